/* The training job: data -> model -> optimiser steps, with periodic test
 * evaluation, sample grids and checkpoints in a run directory, exact resume,
 * and a clean stop on SIGINT/SIGTERM (the caller owns the signal handlers and
 * hands in the flag they set).
 *
 * A run directory holds:
 *   config.txt            the model configuration (as weights directories have it)
 *   train.txt             the training flags (train_flags_format), then device=<its full name>
 *   log.csv               step,seconds,train_bits_per_dim,test_bits_per_dim,lr,images_per_s
 *   loss.svg              the loss curves, rewritten at each evaluation
 *   samples/step_N.png    sample grids: every --sample-every steps, of the final model, and
 *                         at the first evaluation of a run shorter than --sample-every
 *   index.html            the run page (train_run_page.h), rewritten at every evaluation
 *   checkpoint.pcnn       the latest good checkpoint; checkpoint.prev.pcnn the one before */
#ifndef PCNN_TRAIN_H
#define PCNN_TRAIN_H

#include <signal.h>
#include <stddef.h>

#include "pcnn/device.h"
#include "train/train_dist.h"
#include "train/train_flags.h"

/* Called after every step with that step's mean training loss (nats). */
typedef void (*train_step_hook)(void *ctx, long step, double loss_nats);

typedef struct {
    const char *run_dir;
    int resume;                         /* continue from run_dir/checkpoint.pcnn */
    int lr_given;                       /* on resume: use flags->lr instead of the checkpoint's lr */
    volatile sig_atomic_t *interrupted; /* set by a signal handler: save and stop (may be NULL) */
    int live_progress;                  /* redraw one progress line with \r (a terminal) */
    int quiet;                          /* no progress output at all (tests, --quiet, --json) */
    int sample_scale;                   /* grid pixels per image pixel; 0 = at least 64 per image side */
    const char *program;                /* the name the user typed for pcnn-cl, in printed commands (NULL: pcnn-cl) */
    size_t eval_images;                 /* periodic evaluations use the first N test images; 0 = all */
    train_step_hook hook;
    void *hook_ctx;
    dist *dist; /* data-parallel over MPI (NULL: this process alone) */
} train_opts;

typedef struct {
    long steps_done;       /* optimiser steps in the run so far (after a resume: in total) */
    int interrupted;       /* stopped by the flag; a checkpoint was saved */
    double last_train_bpd; /* mean train bits/dim of the last logged interval */
    double last_test_bpd;  /* the last evaluation's, or -1 */
    double comm_s_per_step; /* MPI: seconds of communication per step (0 alone) */
    long total_steps;       /* the step the run was to end at */
    long test_step;         /* the step of last_test_bpd */
    double session_s;       /* wall time of this call */
    double run_s;           /* wall time of the run in all (with the sessions before a resume) */
    int eval_pending;       /* interrupted during an evaluation: the resume redoes it */
} train_result;

/* Runs (or resumes) the job on `dev`. Status PCNN_ERR_NUMERIC: the loss went
 * NaN/Inf (message names the step; the last checkpoint is untouched). */
pcnn_status train_run(pcnn_device *dev, const train_flags *flags, const train_opts *opts, train_result *result);

/* Reads the training flags stored in a run directory's latest checkpoint. */
pcnn_status train_read_run_flags(const char *run_dir, train_flags *out);

#endif
