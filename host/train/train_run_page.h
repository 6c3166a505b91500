/* index.html in a run directory: one self-contained page (no network, no
 * script; the loss chart inline, the sample grids by their relative paths in
 * samples/) with the run's settings, its latest figures, every sample grid
 * in order with its step and the command that resumes it. Rewritten
 * atomically at every evaluation and at the end. */
#ifndef PCNN_RUN_PAGE_H
#define PCNN_RUN_PAGE_H

#include <stddef.h>

#include "pcnn/error.h"
#include "train/train_run_dir.h"

typedef struct {
    const char *run_dir;
    const char *program;     /* the name the user typed for pcnn-cl */
    const char *title;       /* "runs/fm (preset small)" */
    const char *status;      /* "running", "finished", "interrupted" */
    const char *device;      /* the device's full name */
    const char *flags_text;  /* train.txt: key=value lines */
    const char *config_text; /* config.txt */
    const log_row *rows;
    size_t n_rows;
    long step, total;
    double seconds; /* the run's wall time so far */
} run_page;

/* Writes p->run_dir/index.html, inlining p->run_dir/loss.svg when there is
 * one and listing p->run_dir/samples/step_*.png in step order. */
pcnn_status run_page_write(const run_page *p);

/* src with & < > " ' as entities, cut to fit size (always terminated). */
void html_escape(char *dst, size_t size, const char *src);

/* The steps of the grids in dir/samples (step_NNNNNNN.png), ascending, in a
 * malloc'd array (*n of them; NULL when there are none). */
long *run_sample_steps(const char *run_dir, size_t *n);

#endif
