/* A training run's directory: creating it, its small text files, and log.csv
 * (one row per logged interval; on resume the rows after the checkpoint's
 * step are dropped, so the log never holds steps twice). */
#ifndef PCNN_RUN_DIR_H
#define PCNN_RUN_DIR_H

#include <stddef.h>
#include <stdio.h>

#include "pcnn/error.h"

/* Creates `dir` and its parents, and dir/samples. A fresh run refuses a
 * directory that already holds a checkpoint; a resume needs one. */
pcnn_status run_dir_prepare(const char *dir, int resume);

/* Removes the temporary files a killed process left in a run directory. */
void run_dir_remove_stale_temps(const char *dir);

/* Writes dir/name atomically. */
pcnn_status run_dir_write_text(const char *dir, const char *name, const char *text);

/* dir/name in a malloc'd string (NULL and message set when out of memory). */
char *run_dir_path(const char *dir, const char *name);

/* One row of log.csv. test_bpd is NaN where no evaluation happened. */
typedef struct {
    long step;
    double seconds;
    double train_bpd;
    double test_bpd;
    double lr;
    double images_per_s;
} log_row;

#define LOG_CSV_HEADER "step,seconds,train_bits_per_dim,test_bits_per_dim,lr,images_per_s"

typedef struct {
    char *path;
    FILE *f;
    log_row *rows; /* every row so far (for the chart) */
    size_t n, cap;
} train_log;

/* Opens dir/log.csv: a new log (keep_upto < 0), or the existing one with the
 * rows of steps <= keep_upto kept. */
pcnn_status train_log_open(train_log *log, const char *dir, long keep_upto);
/* Appends and flushes one row. */
pcnn_status train_log_append(train_log *log, const log_row *row);
void train_log_close(train_log *log);

/* Writes the training and test curves of the rows as an SVG chart, atomically. */
pcnn_status loss_chart_write(const char *path, const log_row *rows, size_t n);

#endif
