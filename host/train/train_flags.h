/* The training flags: everything that decides what a run computes, as a
 * struct, its defaults, and its text form (train.txt and every checkpoint's
 * train.flags record), compared on --resume. */
#ifndef PCNN_TRAIN_FLAGS_H
#define PCNN_TRAIN_FLAGS_H

#include <stddef.h>

#include "pcnn/error.h"

/* Everything that decides what a run computes; stored in train.txt and in
 * every checkpoint, compared on --resume. */
typedef struct {
    char data[1024];      /* --data SPEC */
    char test_data[1024]; /* --test-data SPEC; "" = the dataset's own test split */
    char split[16];       /* "standard" or "seed" (cifar10: batches 1-4 / batch 5) */
    char preset[16];
    int hidden_dim, out_dim, layers; /* resolved: the preset's unless overridden */
    int batch;
    long steps, epochs; /* the run ends at whichever comes first; 0 = no limit from it */
    double lr, lr_decay;
    char optimizer[16]; /* "adam" or "rmsprop" */
    long seed;
    long eval_every, sample_every, ckpt_every; /* 0 = off */
    /* The training images when the run started: "N images HxWxC, fnv1a64 X"
     * (train_data_check); a resume refuses data that differs. Optional in
     * the text ("" in runs from before it existed). */
    char data_check[128];
} train_flags;

/* The defaults of `pcnn-cl train` with no flags (steps/epochs both 0: the
 * caller decides). */
train_flags train_flags_defaults(void);
/* key=value lines, doubles with 17 significant digits (exact round trip). */
int train_flags_format(const train_flags *f, char *buf, size_t size);
/* Parses what train_flags_format wrote; `name` is used in messages. */
pcnn_status train_flags_parse(const char *text, const char *name, train_flags *f);

#endif
