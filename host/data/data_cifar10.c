/* The CIFAR-10 binary version: data_batch_1.bin .. data_batch_5.bin and
 * test_batch.bin, each 10000 records of 1 label byte (0..9) and 3072 pixel
 * bytes stored channel by channel (CHW: 1024 red, 1024 green, 1024 blue, rows
 * top to bottom), converted here to NHWC. */
#include "data/data_cifar10.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_try.h"
#include "data/data_append.h"
#include "io/io_file.h"

enum { CIFAR_SIDE = 32, CIFAR_PIXELS = CIFAR_SIDE * CIFAR_SIDE, CIFAR_RECORD = 1 + 3 * CIFAR_PIXELS };

pcnn_status pcnn_cifar10_parse(const void *bytes, size_t size, const char *name, pcnn_dataset *out)
{
    memset(out, 0, sizeof *out);
    if (size == 0 || size % CIFAR_RECORD)
        return pcnn_fail(PCNN_ERR_FORMAT,
                         "%s: %zu bytes is not a whole number of CIFAR-10 records (%d bytes each): truncated, or "
                         "not the binary version",
                         name, size, CIFAR_RECORD);
    size_t n = size / CIFAR_RECORD;
    const unsigned char *rec = bytes;
    for (size_t i = 0; i < n; i++)
        if (rec[i * CIFAR_RECORD] > 9)
            return pcnn_fail(PCNN_ERR_FORMAT, "%s: record %zu has label %u (CIFAR-10 labels are 0..9): not a CIFAR-10 "
                             "binary batch", name, i, rec[i * CIFAR_RECORD]);
    out->pixels = malloc(n * 3 * CIFAR_PIXELS);
    if (!out->pixels)
        return pcnn_fail(PCNN_ERR_MEMORY, "%s: out of memory for %zu images", name, n);
    for (size_t i = 0; i < n; i++) {
        const unsigned char *chw = rec + i * CIFAR_RECORD + 1;
        uint8_t *hwc = out->pixels + i * 3 * CIFAR_PIXELS;
        for (int p = 0; p < CIFAR_PIXELS; p++)
            for (int c = 0; c < 3; c++)
                hwc[p * 3 + c] = chw[c * CIFAR_PIXELS + p];
    }
    out->n = n;
    out->height = out->width = CIFAR_SIDE;
    out->channels = 3;
    return PCNN_OK;
}

static pcnn_status load_batch(const char *dir, const char *file, pcnn_dataset *out)
{
    size_t len = strlen(dir) + strlen(file) + 2;
    char *path = malloc(len);
    if (!path)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
    snprintf(path, len, "%s/%s", dir, file);
    unsigned char *bytes;
    size_t size;
    pcnn_status st = read_whole_file(path, &bytes, &size);
    if (!st) {
        st = pcnn_cifar10_parse(bytes, size, path, out);
        free(bytes);
    }
    free(path);
    return st;
}

pcnn_status cifar10_load_dir(const char *dir, pcnn_split split, pcnn_dataset *out)
{
    memset(out, 0, sizeof *out);
    /* The official archive unpacks into cifar-10-batches-bin/: accept its parent too. */
    size_t len = strlen(dir) + 64;
    char *root = malloc(len), *probe = malloc(len);
    if (!root || !probe) {
        free(root);
        free(probe);
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
    }
    snprintf(root, len, "%s", dir);
    snprintf(probe, len, "%s/data_batch_1.bin", dir);
    if (!file_exists(probe)) {
        snprintf(probe, len, "%s/cifar-10-batches-bin/data_batch_1.bin", dir);
        if (file_exists(probe))
            snprintf(root, len, "%s/cifar-10-batches-bin", dir);
    }
    free(probe);
    const char *files[5];
    int nfiles = 0;
    static const char *const batches[] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                          "data_batch_4.bin", "data_batch_5.bin"};
    if (split == PCNN_SPLIT_TEST)
        files[nfiles++] = "test_batch.bin";
    else if (split == PCNN_SPLIT_SEED_TEST)
        files[nfiles++] = batches[4];
    else
        for (int i = 0; i < (split == PCNN_SPLIT_SEED_TRAIN ? 4 : 5); i++)
            files[nfiles++] = batches[i];
    pcnn_status st = PCNN_OK;
    for (int i = 0; !st && i < nfiles; i++) {
        pcnn_dataset part;
        st = load_batch(root, files[i], &part);
        if (!st)
            st = dataset_append(out, &part, files[i]);
    }
    free(root);
    if (st)
        pcnn_dataset_free(out);
    return st;
}
