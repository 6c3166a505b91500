/* The final summary: see train_summary.h. */
#include "train/train_summary.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "train/train_progress.h"
#include "train/train_run_page.h"

enum { MAX_FILES = 64 };

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The run directory's files (not its lock, temporaries or directories), sorted. */
static int list_files(const char *dir, char *names[MAX_FILES])
{
    int n = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d)) && n < MAX_FILES;) {
        const char *name = e->d_name;
        if (name[0] == '.' || strcmp(name, "samples") == 0 || strcmp(name, "train.lock") == 0 || strstr(name, ".tmp"))
            continue;
        names[n] = strdup(name);
        n += names[n] != NULL;
    }
    if (d)
        closedir(d);
    qsort(names, (size_t)n, sizeof *names, by_name);
    return n;
}

/* A JSON string (quotes, backslashes and control characters escaped). */
static void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(out, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(out, "\\u%04x", ch);
        else
            fputc(ch, out);
    }
    fputc('"', out);
}

static void json_number(FILE *out, double v)
{
    if (v >= 0)
        fprintf(out, "%.6g", v);
    else
        fprintf(out, "null");
}

typedef struct {
    char sample[2400], eval[2400], resume[2400], page[1200];
} next_commands;

static void make_commands(const train_summary_ctx *c, const train_result *r, next_commands *n)
{
    const char *test = c->test_data && c->test_data[0] ? c->test_data : c->data;
    snprintf(n->sample, sizeof n->sample, "%s sample --checkpoint %s/checkpoint.pcnn --n 16 --out %s/more.png",
             c->program, c->run_dir, c->run_dir);
    snprintf(n->eval, sizeof n->eval, "%s eval --checkpoint %s/checkpoint.pcnn --data %s", c->program, c->run_dir,
             test);
    if (r->interrupted)
        snprintf(n->resume, sizeof n->resume, "%s train --resume %s", c->program, c->run_dir);
    else
        snprintf(n->resume, sizeof n->resume, "%s train --resume %s --steps %ld", c->program, c->run_dir,
                 2 * r->steps_done);
    snprintf(n->page, sizeof n->page, "%s/index.html", c->run_dir);
}

static void print_json(FILE *out, const train_summary_ctx *c, const train_result *r, char **files, int n_files,
                       const long *samples, size_t n_samples, const next_commands *n)
{
    fprintf(out, "{\"status\": \"%s\", \"steps\": %ld, \"total_steps\": %ld, \"elapsed_s\": %.3f, \"run_s\": %.3f, ",
            r->interrupted ? "interrupted" : "done", r->steps_done, r->total_steps, r->session_s, r->run_s);
    fprintf(out, "\"train_bits_per_dim\": ");
    json_number(out, r->last_train_bpd);
    fprintf(out, ", \"test_bits_per_dim\": ");
    json_number(out, r->last_test_bpd);
    fprintf(out, ", \"test_step\": %ld, \"eval_pending\": %s, \"run_dir\": ", r->last_test_bpd >= 0 ? r->test_step : -1,
            r->eval_pending ? "true" : "false");
    json_string(out, c->run_dir);
    fprintf(out, ", \"files\": [");
    for (int i = 0; i < n_files; i++) {
        fprintf(out, i ? ", " : "");
        json_string(out, files[i]);
    }
    fprintf(out, "], \"samples\": [");
    for (size_t i = 0; i < n_samples; i++)
        fprintf(out, "%s\"samples/step_%07ld.png\"", i ? ", " : "", samples[i]);
    fprintf(out, "], \"page\": ");
    json_string(out, n->page);
    fprintf(out, ", \"next\": {\"sample\": ");
    json_string(out, n->sample);
    fprintf(out, ", \"eval\": ");
    json_string(out, n->eval);
    fprintf(out, ", \"resume\": ");
    json_string(out, n->resume);
    fprintf(out, "}}\n");
}

void train_summary_print(FILE *out, const train_summary_ctx *c, const train_result *r, int json)
{
    char *files[MAX_FILES];
    int n_files = list_files(c->run_dir, files);
    size_t n_samples;
    long *samples = run_sample_steps(c->run_dir, &n_samples);
    next_commands n;
    make_commands(c, r, &n);
    if (json) {
        print_json(out, c, r, files, n_files, samples, n_samples, &n);
    } else {
        char elapsed[32], run[32];
        progress_format_duration(elapsed, sizeof elapsed, r->session_s);
        progress_format_duration(run, sizeof run, r->run_s);
        if (r->interrupted)
            fprintf(out, "interrupted at step %ld (checkpoint saved): resume with %s\n", r->steps_done, n.resume);
        if (r->eval_pending)
            fprintf(out, "the evaluation of step %ld was cut short: the resume redoes it first\n", r->steps_done);
        fprintf(out, "%s: %ld steps in %s", r->interrupted ? "stopped" : "done", r->steps_done, elapsed);
        if (r->run_s > r->session_s + 1)
            fprintf(out, " (the run %s in all)", run);
        if (r->last_train_bpd >= 0)
            fprintf(out, "; train %.4f bits/dim", r->last_train_bpd);
        if (r->last_test_bpd >= 0)
            fprintf(out, ", test %.4f bits/dim (step %ld)", r->last_test_bpd, r->test_step);
        fprintf(out, "\nrun directory %s:", c->run_dir);
        for (int i = 0; i < n_files; i++)
            fprintf(out, " %s", files[i]);
        if (n_samples == 1)
            fprintf(out, "; samples/step_%07ld.png", samples[0]);
        else if (n_samples > 1)
            fprintf(out, "; samples/: %zu grids, step_%07ld.png .. step_%07ld.png", n_samples, samples[0],
                    samples[n_samples - 1]);
        fprintf(out, "\nnext:\n  look:    %s (open in a browser)\n  sample:  %s\n  eval:    %s\n", n.page, n.sample,
                n.eval);
        if (!r->interrupted)
            fprintf(out, "  longer:  %s\n", n.resume);
    }
    fflush(out);
    for (int i = 0; i < n_files; i++)
        free(files[i]);
    free(samples);
}
