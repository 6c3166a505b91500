/* Image datasets in memory: uint8 pixels [n, height, width, channels] (NHWC).
 * A data spec names the source:
 *   npy:FILE   uint8 [N, H, W, C] or [N, H, W] (C = 1) */
#ifndef PCNN_DATA_H
#define PCNN_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "pcnn/error.h"

typedef struct {
    size_t n;
    int height, width, channels;
    uint8_t *pixels; /* owned */
} pcnn_dataset;

typedef enum { PCNN_SPLIT_TRAIN, PCNN_SPLIT_TEST } pcnn_split;

pcnn_status pcnn_dataset_load(const char *spec, pcnn_split split, pcnn_dataset *out);
void pcnn_dataset_free(pcnn_dataset *d);

static inline size_t pcnn_dataset_image_bytes(const pcnn_dataset *d)
{
    return (size_t)d->height * d->width * d->channels;
}

#endif
