/* Training checkpoints: everything a resume needs, in the checkpoint
 * container (include/pcnn/ckpt.h) as these records:
 *   config, params       the model (pcnn_ckpt_add_model: `eval` and `sample` read these)
 *   train.flags          the training flags (train_flags_format)
 *   train.progress       step, epoch, position in the epoch, shuffle seed, seconds,
 *                        the last test evaluation
 *   optim.state          kind, lr, lr_decay, constants, step (doubles %.17g: exact)
 *   optim.moment.0/.1    the optimiser's moments (Adam m and v; RMSProp v)
 * The shuffle's random state is a pure function of (shuffle seed, epoch)
 * (train_shuffle.h), so (epoch, position, shuffle seed) is the whole RNG and
 * data-order state.
 *
 * Saving keeps two: the new file is written and fsynced under
 * checkpoint.next.pcnn, the current checkpoint.pcnn is hard-linked to
 * checkpoint.prev.pcnn (through a temporary name, renamed over the old
 * prev), then next is renamed over checkpoint.pcnn. At every instant
 * checkpoint.pcnn is a complete checkpoint (the old or the new one), and
 * after a fallback to prev, prev is (see train_ckpt_save).
 *
 * Loading checks every record's size against the config (overflow-safe)
 * before anything is allocated, and refuses non-finite weights and moments. */
#ifndef PCNN_TRAIN_CKPT_H
#define PCNN_TRAIN_CKPT_H

#include <stdint.h>

#include "pcnn/model_ckpt.h"
#include "pcnn/optim.h"
#include "train/train_flags.h"

typedef struct {
    long step;             /* optimiser steps done */
    uint64_t epoch;        /* the epoch being read */
    uint64_t position;     /* the next index into that epoch's order (== n: the epoch is used up) */
    uint64_t shuffle_seed; /* with epoch: the order (train_shuffle.h) */
    double seconds;        /* wall time of the run so far */
    double test_bpd;       /* the last evaluation (NaN: none yet) and its step */
    long test_step;
} train_progress;

/* Saves as above; the weights and moments must be finite (PCNN_ERR_NUMERIC
 * naming the tensor, and nothing written, if not). latest_is_bad: the run
 * resumed from prev because checkpoint.pcnn could not be loaded; then
 * checkpoint.pcnn goes to checkpoint.bad.pcnn instead of over prev, so the
 * good prev survives until the new checkpoint is in place. */
pcnn_status train_ckpt_save(const char *run_dir, pcnn_model *m, pcnn_optim *o, const train_flags *f,
                            const train_progress *p, int latest_is_bad);

/* Loads a training checkpoint file: the model and optimiser are created on
 * `dev`; the caller frees them. */
pcnn_status train_ckpt_load(const char *path, pcnn_device *dev, pcnn_model **m, pcnn_optim **o, train_flags *f,
                            train_progress *p);

/* The training step a checkpoint holds (its train.progress record), or -1
 * for a checkpoint of just a model (`import` makes those). */
pcnn_status train_ckpt_step(const pcnn_ckpt *ck, const char *path, long *step);

/* Just the flags of a checkpoint file. */
pcnn_status train_ckpt_read_flags(const char *path, train_flags *f);

#endif
