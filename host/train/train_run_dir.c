/* The run directory and its log: see train_run_dir.h. */
#include "train/train_run_dir.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_try.h"
#include "io/io_file.h"

char *run_dir_path(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *p = malloc(len);
    if (!p) {
        pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
        return NULL;
    }
    snprintf(p, len, "%s/%s", dir, name);
    return p;
}

pcnn_status run_dir_prepare(const char *dir, int resume)
{
    char *ckpt = run_dir_path(dir, "checkpoint.pcnn"), *samples = run_dir_path(dir, "samples");
    pcnn_status st = ckpt && samples ? PCNN_OK : PCNN_ERR_MEMORY;
    if (!st && !resume && file_exists(ckpt))
        st = pcnn_fail(PCNN_ERR_ARG, "--run-dir %s already holds a run (checkpoint.pcnn): continue it with "
                       "--resume %s, or choose another --run-dir", dir, dir);
    if (!st && resume && !file_exists(ckpt)) {
        char *prev = run_dir_path(dir, "checkpoint.prev.pcnn");
        if (!prev || !file_exists(prev))
            st = pcnn_fail(PCNN_ERR_ARG, "--resume %s: no checkpoint.pcnn in that directory", dir);
        free(prev);
    }
    if (!st)
        st = make_dirs(dir);
    if (!st)
        st = make_dir(samples);
    free(ckpt);
    free(samples);
    return st;
}

void run_dir_remove_stale_temps(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d));) {
        /* atomic_file's temporaries ("<name>.tmp.XXXXXX") and the link made
         * while keeping the previous checkpoint: never complete files. */
        if (strstr(e->d_name, ".tmp.") || strcmp(e->d_name, "checkpoint.prev.tmp") == 0) {
            char *path = run_dir_path(dir, e->d_name);
            if (path)
                remove(path);
            free(path);
        }
    }
    closedir(d);
}

pcnn_status run_dir_write_text(const char *dir, const char *name, const char *text)
{
    char *path = run_dir_path(dir, name);
    if (!path)
        return PCNN_ERR_MEMORY;
    atomic_file af;
    pcnn_status st = atomic_file_open(&af, path);
    if (!st) {
        st = atomic_file_write(&af, text, strlen(text));
        st = st ? (atomic_file_abort(&af), st) : atomic_file_commit(&af);
    }
    free(path);
    return st;
}

static pcnn_status keep_row(train_log *log, const log_row *row)
{
    if (log->n == log->cap) {
        size_t cap = log->cap ? 2 * log->cap : 256;
        log_row *grown = realloc(log->rows, cap * sizeof *grown);
        if (!grown)
            return pcnn_fail(PCNN_ERR_MEMORY, "%s: out of memory", log->path);
        log->rows = grown;
        log->cap = cap;
    }
    log->rows[log->n++] = *row;
    return PCNN_OK;
}

/* Nine significant digits (a log, not a checkpoint); NaN is an empty field. */
static void format_value(char *buf, size_t size, double v)
{
    if (isnan(v))
        buf[0] = 0;
    else
        snprintf(buf, size, "%.9g", v);
}

static int format_row(char *buf, size_t size, const log_row *r)
{
    char v[5][32];
    format_value(v[0], sizeof v[0], r->seconds);
    format_value(v[1], sizeof v[1], r->train_bpd);
    format_value(v[2], sizeof v[2], r->test_bpd);
    format_value(v[3], sizeof v[3], r->lr);
    format_value(v[4], sizeof v[4], r->images_per_s);
    return snprintf(buf, size, "%ld,%s,%s,%s,%s,%s\n", r->step, v[0], v[1], v[2], v[3], v[4]);
}

static double parse_field(char **p)
{
    char *end, *s = *p;
    double v = strtod(s, &end);
    if (end == s)
        v = NAN;
    while (*end && *end != ',' && *end != '\n')
        end++;
    *p = *end == ',' ? end + 1 : end;
    return v;
}

/* Reads the rows of an existing log with step <= keep_upto. */
static pcnn_status read_rows(train_log *log, long keep_upto)
{
    unsigned char *bytes;
    size_t size;
    TRY(read_whole_file(log->path, &bytes, &size));
    char *line = (char *)bytes;
    pcnn_status st = PCNN_OK;
    if (strncmp(line, LOG_CSV_HEADER, strlen(LOG_CSV_HEADER)) != 0)
        st = pcnn_fail(PCNN_ERR_FORMAT, "%s: not a pcnn-cl training log (first line is not '%s')", log->path,
                       LOG_CSV_HEADER);
    for (line = strchr(line, '\n'); !st && line && line[1]; line = strchr(line, '\n')) {
        line++;
        if (!strchr(line, '\n'))
            break; /* a row cut short by a kill or a full disk mid-append */
        char *p = line;
        log_row r;
        r.step = (long)parse_field(&p);
        r.seconds = parse_field(&p);
        r.train_bpd = parse_field(&p);
        r.test_bpd = parse_field(&p);
        r.lr = parse_field(&p);
        r.images_per_s = parse_field(&p);
        if (r.step <= keep_upto && r.step >= 0)
            st = keep_row(log, &r);
    }
    free(bytes);
    return st;
}

pcnn_status train_log_open(train_log *log, const char *dir, long keep_upto)
{
    memset(log, 0, sizeof *log);
    log->path = run_dir_path(dir, "log.csv");
    if (!log->path)
        return PCNN_ERR_MEMORY;
    pcnn_status st = PCNN_OK;
    if (keep_upto >= 0 && file_exists(log->path))
        st = read_rows(log, keep_upto);
    /* Rewrite atomically (header + kept rows), then append to it. */
    atomic_file af;
    if (!st)
        st = atomic_file_open(&af, log->path);
    if (!st) {
        st = atomic_file_write(&af, LOG_CSV_HEADER "\n", strlen(LOG_CSV_HEADER) + 1);
        for (size_t i = 0; !st && i < log->n; i++) {
            char line[256];
            int len = format_row(line, sizeof line, &log->rows[i]);
            st = atomic_file_write(&af, line, (size_t)len);
        }
        st = st ? (atomic_file_abort(&af), st) : atomic_file_commit(&af);
    }
    if (!st) {
        log->f = fopen(log->path, "a");
        if (!log->f)
            st = pcnn_fail(PCNN_ERR_IO, "%s: cannot open for appending: %s", log->path, strerror(errno));
    }
    if (st)
        train_log_close(log);
    return st;
}

pcnn_status train_log_append(train_log *log, const log_row *row)
{
    char line[256];
    int len = format_row(line, sizeof line, row);
    if (fwrite(line, 1, (size_t)len, log->f) != (size_t)len || fflush(log->f) != 0)
        return pcnn_fail(PCNN_ERR_IO, "%s: write failed: %s", log->path, strerror(errno));
    return keep_row(log, row);
}

void train_log_close(train_log *log)
{
    if (log->f)
        fclose(log->f);
    free(log->path);
    free(log->rows);
    memset(log, 0, sizeof *log);
}
