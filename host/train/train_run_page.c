/* The run page: see train_run_page.h. */
#include "train/train_run_page.h"

#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_try.h"
#include "io/io_file.h"
#include "train/train_progress.h"

void html_escape(char *dst, size_t size, const char *src)
{
    size_t at = 0;
    for (; *src && size; src++) {
        const char *e = *src == '&'    ? "&amp;"
                        : *src == '<'  ? "&lt;"
                        : *src == '>'  ? "&gt;"
                        : *src == '"'  ? "&quot;"
                        : *src == '\'' ? "&#39;"
                                       : NULL;
        size_t len = e ? strlen(e) : 1;
        if (at + len >= size)
            break;
        memcpy(dst + at, e ? e : src, len);
        at += len;
    }
    if (size)
        dst[at] = 0;
}

/* A growing text buffer (st: the first failure, after which nothing is added). */
typedef struct {
    char *text;
    size_t len, cap;
    pcnn_status st;
} page;

static void add_bytes(page *pg, const char *s, size_t len)
{
    if (pg->st)
        return;
    if (pg->len + len + 1 > pg->cap) {
        size_t cap = pg->cap ? pg->cap : 16384;
        while (cap < pg->len + len + 1)
            cap *= 2;
        char *grown = realloc(pg->text, cap);
        if (!grown) {
            pg->st = pcnn_fail(PCNN_ERR_MEMORY, "out of memory for the run page");
            return;
        }
        pg->text = grown;
        pg->cap = cap;
    }
    memcpy(pg->text + pg->len, s, len);
    pg->len += len;
    pg->text[pg->len] = 0;
}

static void add(page *pg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(page *pg, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    add_bytes(pg, buf, n < (int)sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* Text as HTML (escaped). */
static void add_text(page *pg, const char *s)
{
    char buf[3200];
    while (*s) { /* in pieces, so any length passes */
        char piece[512];
        size_t len = strlen(s) < sizeof piece - 1 ? strlen(s) : sizeof piece - 1;
        memcpy(piece, s, len);
        piece[len] = 0;
        html_escape(buf, sizeof buf, piece);
        add_bytes(pg, buf, strlen(buf));
        s += len;
    }
}

static int by_step(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

long *run_sample_steps(const char *run_dir, size_t *n)
{
    *n = 0;
    char *dir = run_dir_path(run_dir, "samples");
    DIR *d = dir ? opendir(dir) : NULL;
    free(dir);
    if (!d)
        return NULL;
    long *steps = NULL;
    size_t cap = 0;
    for (struct dirent *e; (e = readdir(d));) {
        long step;
        char tail[8];
        if (sscanf(e->d_name, "step_%ld%7s", &step, tail) != 2 || strcmp(tail, ".png") != 0 || step < 0)
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 32;
            long *grown = realloc(steps, cap * sizeof *grown);
            if (!grown)
                break;
            steps = grown;
        }
        steps[(*n)++] = step;
    }
    closedir(d);
    if (steps)
        qsort(steps, *n, sizeof *steps, by_step);
    return steps;
}

/* The key=value lines of a settings text as table rows. */
static void add_settings(page *pg, const char *heading, const char *text)
{
    add(pg, "<h2>%s</h2>\n<table class=\"settings\">\n", heading);
    for (const char *p = text ? text : ""; *p;) {
        const char *eol = strchr(p, '\n'), *end = eol ? eol : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        char key[256] = "", val[1200] = "";
        if (eq) {
            snprintf(key, sizeof key, "%.*s", (int)(eq - p), p);
            snprintf(val, sizeof val, "%.*s", (int)(end - eq - 1), eq + 1);
            add(pg, "<tr><th>");
            add_text(pg, key);
            add(pg, "</th><td>");
            add_text(pg, val);
            add(pg, "</td></tr>\n");
        }
        p = eol ? eol + 1 : end;
    }
    add(pg, "</table>\n");
}

static void add_figures(page *pg, const run_page *p)
{
    double train = NAN, test = NAN, rate = NAN;
    long test_step = -1;
    for (size_t i = 0; i < p->n_rows; i++) {
        const log_row *r = &p->rows[i];
        if (isfinite(r->train_bpd))
            train = r->train_bpd;
        if (isfinite(r->test_bpd)) {
            test = r->test_bpd;
            test_step = r->step;
        }
        if (isfinite(r->images_per_s))
            rate = r->images_per_s;
    }
    char elapsed[32];
    progress_format_duration(elapsed, sizeof elapsed, p->seconds);
    add(pg, "<h2>Latest figures</h2>\n<table class=\"figures\">\n");
    add(pg, "<tr><th>status</th><td id=\"status\">");
    add_text(pg, p->status);
    add(pg, "</td></tr>\n<tr><th>step</th><td id=\"step\">%ld of %ld</td></tr>\n", p->step, p->total);
    if (isfinite(train))
        add(pg, "<tr><th>train bits/dim</th><td id=\"train-bpd\">%.4f</td></tr>\n", train);
    if (isfinite(test))
        add(pg, "<tr><th>test bits/dim</th><td id=\"test-bpd\">%.4f (step %ld)</td></tr>\n", test, test_step);
    if (isfinite(rate))
        add(pg, "<tr><th>images/s</th><td>%.1f</td></tr>\n", rate);
    add(pg, "<tr><th>wall time</th><td>%s</td></tr>\n<tr><th>device</th><td>", elapsed);
    add_text(pg, p->device ? p->device : "?");
    add(pg, "</td></tr>\n</table>\n");
}

static void add_samples(page *pg, const run_page *p)
{
    size_t n;
    long *steps = run_sample_steps(p->run_dir, &n);
    add(pg, "<h2>Samples</h2>\n");
    if (!n)
        add(pg, "<p>No sample grid yet (one every --sample-every steps, and one of the final model).</p>\n");
    add(pg, "<div class=\"samples\">\n");
    for (size_t i = 0; i < n; i++)
        add(pg,
            "<figure class=\"grid\"><img src=\"samples/step_%07ld.png\" alt=\"samples at step %ld\">"
            "<figcaption>step %ld</figcaption></figure>\n",
            steps[i], steps[i], steps[i]);
    add(pg, "</div>\n");
    free(steps);
}

pcnn_status run_page_write(const run_page *p)
{
    page pg = {0};
    add(&pg, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
    add_text(&pg, p->title);
    add(&pg, "</title>\n<style>\nbody{font-family:sans-serif;margin:2em;color:#222;background:#fff}\n"
             "table{border-collapse:collapse}th,td{padding:2px 10px;text-align:left;border-bottom:1px solid #eee}\n"
             "th{font-weight:normal;color:#555}\n.samples{display:flex;flex-wrap:wrap;gap:12px}\n"
             "figure{margin:0}img{image-rendering:pixelated;border:1px solid #ccc}\n"
             "code{background:#f4f4f4;padding:2px 6px}\n.cols{display:flex;flex-wrap:wrap;gap:2em}\n</style>\n"
             "</head>\n<body>\n<h1>");
    add_text(&pg, p->title);
    add(&pg, "</h1>\n<p>pcnn-cl run page, rewritten at every evaluation; reload to see the latest.</p>\n");
    add(&pg, "<p>Resume (or extend with <code>--steps N</code>): <code id=\"resume\">");
    char cmd[2400];
    snprintf(cmd, sizeof cmd, "%s train --resume %s", p->program ? p->program : "pcnn-cl", p->run_dir);
    add_text(&pg, cmd);
    add(&pg, "</code></p>\n");
    add_figures(&pg, p);
    add(&pg, "<h2>Loss</h2>\n<div class=\"chart\">\n");
    char *svg_path = run_dir_path(p->run_dir, "loss.svg");
    unsigned char *svg = NULL;
    size_t svg_size = 0;
    if (svg_path && file_exists(svg_path) && read_whole_file(svg_path, &svg, &svg_size) == PCNN_OK)
        add_bytes(&pg, (const char *)svg, svg_size);
    else
        add(&pg, "<p>No loss chart yet.</p>\n");
    free(svg);
    free(svg_path);
    add(&pg, "</div>\n");
    add_samples(&pg, p);
    add(&pg, "<div class=\"cols\">\n<div>\n");
    add_settings(&pg, "Training flags", p->flags_text);
    add(&pg, "</div>\n<div>\n");
    add_settings(&pg, "Model", p->config_text);
    add(&pg, "</div>\n</div>\n</body>\n</html>\n");
    pcnn_status st = pg.st;
    char *path = st ? NULL : run_dir_path(p->run_dir, "index.html");
    if (!st && !path)
        st = PCNN_ERR_MEMORY;
    atomic_file af;
    if (!st)
        st = atomic_file_open(&af, path);
    if (!st) {
        st = atomic_file_write(&af, pg.text, pg.len);
        st = st ? (atomic_file_abort(&af), st) : atomic_file_commit(&af);
    }
    free(path);
    free(pg.text);
    return st;
}
