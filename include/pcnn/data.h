/* Image datasets in memory: uint8 pixels [n, height, width, channels] (NHWC).
 * A data spec names the source:
 *   npy:FILE           uint8 [N, H, W, C] or [N, H, W] (C = 1); one file, no splits
 *   idx:FILE           IDX ubyte images (magic 0x00000803), plain or gzipped; one
 *                      file, no splits; a labels file beside it (images-idx3 ->
 *                      labels-idx1 in the name) is checked when present
 *   mnist:DIR          train-images-idx3-ubyte[.gz] / t10k-images-idx3-ubyte[.gz]
 *                      (and their labels-idx1 files, checked when present)
 *   fashion-mnist      mnist: over /usr/share/datasets/fashion-mnist (Debian's
 *                      dataset-fashion-mnist package); fashion-mnist:DIR elsewhere
 *   cifar10:DIR        the CIFAR-10 binary version: data_batch_1..5.bin and
 *                      test_batch.bin (DIR or DIR/cifar-10-batches-bin)
 * Every reader validates what it reads; a bad file is PCNN_ERR_FORMAT with a
 * message naming it. */
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

/* TRAIN/TEST: the dataset's own split. SEED_TRAIN/SEED_TEST: the seed's split
 * of CIFAR-10 (train on data batches 1-4, evaluate on batch 5); other sources
 * refuse them. One-file sources (npy:, idx:) return the whole file for any
 * split. */
typedef enum { PCNN_SPLIT_TRAIN, PCNN_SPLIT_TEST, PCNN_SPLIT_SEED_TRAIN, PCNN_SPLIT_SEED_TEST } pcnn_split;

pcnn_status pcnn_dataset_load(const char *spec, pcnn_split split, pcnn_dataset *out);
void pcnn_dataset_free(pcnn_dataset *d);
/* 1 if the spec names a source with a separate test split (mnist, fashion-mnist, cifar10). */
int pcnn_dataset_has_test_split(const char *spec);

static inline size_t pcnn_dataset_image_bytes(const pcnn_dataset *d)
{
    return (size_t)d->height * d->width * d->channels;
}

/* Parsers of whole files held in memory (for fuzzing and tests); `name` is
 * used in messages. IDX bytes are the plain (uncompressed) file. */
pcnn_status pcnn_idx_images_parse(const void *bytes, size_t size, const char *name, pcnn_dataset *out);
/* The number of labels in an IDX labels file (magic 0x00000801). */
pcnn_status pcnn_idx_labels_parse(const void *bytes, size_t size, const char *name, size_t *count);
/* One CIFAR-10 binary batch: records of 1 label byte (0..9) + 3072 bytes CHW,
 * converted to NHWC [n, 32, 32, 3]. */
pcnn_status pcnn_cifar10_parse(const void *bytes, size_t size, const char *name, pcnn_dataset *out);
/* A .npy of uint8 images, as npy:FILE reads it. */
pcnn_status pcnn_npy_images_parse(const void *bytes, size_t size, const char *name, pcnn_dataset *out);

#endif
