/* A training run's directory: creating it, its small text files, and log.csv
 * (one row per logged interval; on resume the rows after the checkpoint's
 * step are dropped, so the log never holds steps twice). */
#ifndef PCNN_RUN_DIR_H
#define PCNN_RUN_DIR_H

#include <stddef.h>
#include <stdio.h>

#include "pcnn/error.h"

/* A run directory held by this process: its lock, and what the start
 * created (so that a start that fails can remove it again). */
typedef struct {
    char *dir;
    char *lock_path;  /* dir/train.lock: flock'ed while held, holds the holder's pid */
    int lock_fd;      /* -1: not held */
    int created_lock; /* this process created train.lock */
    char *made[64];   /* directories this process created, outermost first */
    int n_made;
    int made_samples; /* dir/samples too */
    unsigned existed; /* which of the start's files were there before it */
} run_dir_hold;

/* Creates `dir` and its parents, and dir/samples, and locks it for this
 * process (flock on dir/train.lock, held until run_dir_release). A second
 * process gets PCNN_ERR_ARG naming the pid that holds it, and has touched
 * nothing. Under the lock, a fresh run refuses a directory that already holds
 * a checkpoint; a resume needs one (checked before anything is touched). */
pcnn_status run_dir_prepare(const char *dir, int resume, run_dir_hold *h);

/* Lets go of the lock. undo: the start failed before its first checkpoint:
 * remove what it created (files it wrote that were not there before, the
 * lock file, directories it made that are empty again). Safe to call twice. */
void run_dir_release(run_dir_hold *h, int undo);

/* Removes the temporary files a killed process left in a run directory and
 * its samples/. */
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
/* Puts an evaluation's figure into the row of `step` when the log ends with
 * that step (rewriting the file atomically), else appends a row of its own. */
pcnn_status train_log_set_test(train_log *log, long step, double test_bpd, double seconds);
void train_log_close(train_log *log);

/* Writes the training and test curves of the rows as an SVG chart,
 * atomically (host/train/train_loss_chart.c); title (NULL: none) names the
 * run, e.g. "runs/fm (preset small)". */
pcnn_status loss_chart_write(const char *path, const log_row *rows, size_t n);
pcnn_status loss_chart_write_titled(const char *path, const log_row *rows, size_t n, const char *title);

#endif
