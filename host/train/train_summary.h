/* What `pcnn-cl train` prints when it ends (all that --quiet leaves, and
 * what --json prints as one JSON object): how it ended, the time, the
 * figures, the files in the run directory (samples/ too) and the commands to
 * go on with, under the name the user typed for the program. */
#ifndef PCNN_TRAIN_SUMMARY_H
#define PCNN_TRAIN_SUMMARY_H

#include <stdio.h>

#include "train/train.h"

typedef struct {
    const char *program; /* the name the user typed for pcnn-cl */
    const char *run_dir;
    const char *data;      /* the run's --data (for the eval command) */
    const char *test_data; /* its --test-data ("" or NULL: the dataset's own test split) */
} train_summary_ctx;

void train_summary_print(FILE *out, const train_summary_ctx *c, const train_result *r, int json);

#endif
