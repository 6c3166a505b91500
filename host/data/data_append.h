/* What every dataset reader does with the images it read: join the files of
 * one split (CIFAR-10's five batches) into one dataset. */
#ifndef PCNN_DATA_APPEND_H
#define PCNN_DATA_APPEND_H

#include "pcnn/data.h"

/* Appends b's images to a (same image size); frees b. `name` (b's file) is
 * used in messages. */
pcnn_status dataset_append(pcnn_dataset *a, pcnn_dataset *b, const char *name);

#endif
