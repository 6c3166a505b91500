/* Datasets in memory: freeing one, and joining the files of a split. */
#include "data/data_append.h"

#include <stdlib.h>
#include <string.h>

void pcnn_dataset_free(pcnn_dataset *d)
{
    free(d->pixels);
    memset(d, 0, sizeof *d);
}

pcnn_status dataset_append(pcnn_dataset *a, pcnn_dataset *b, const char *name)
{
    if (a->n == 0) {
        *a = *b;
        memset(b, 0, sizeof *b);
        return PCNN_OK;
    }
    if (a->height != b->height || a->width != b->width || a->channels != b->channels) {
        pcnn_status st = pcnn_fail(PCNN_ERR_FORMAT, "%s: images are %dx%dx%d, the files before it hold %dx%dx%d", name,
                                   b->height, b->width, b->channels, a->height, a->width, a->channels);
        pcnn_dataset_free(b);
        return st;
    }
    size_t per = pcnn_dataset_image_bytes(a);
    uint8_t *grown = realloc(a->pixels, (a->n + b->n) * per);
    if (!grown) {
        pcnn_dataset_free(b);
        return pcnn_fail(PCNN_ERR_MEMORY, "%s: out of memory for %zu images", name, a->n + b->n);
    }
    memcpy(grown + a->n * per, b->pixels, b->n * per);
    a->pixels = grown;
    a->n += b->n;
    pcnn_dataset_free(b);
    return PCNN_OK;
}
