/* Data specs: which reader loads which source (see include/pcnn/data.h), and
 * the npy: reader. */
#include "pcnn/data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_try.h"
#include "data/data_cifar10.h"
#include "data/data_idx.h"
#include "data/data_append.h"
#include "io/io_file.h"
#include "pcnn/npy.h"

/* Where Debian's dataset-fashion-mnist package installs the files. */
#define FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

/* Takes over a parsed array as a dataset, or explains why it is not images. */
static pcnn_status dataset_from_array(pcnn_array *a, const char *name, pcnn_dataset *out)
{
    char shape[128];
    pcnn_shape_str(a, shape, sizeof shape);
    int ok = a->dtype == PCNN_U8 && (a->ndim == 3 || (a->ndim == 4 && (a->shape[3] == 1 || a->shape[3] == 3)));
    for (int i = 0; ok && i < a->ndim; i++)
        ok = a->shape[i] > 0 && (i == 0 || a->shape[i] <= 65536);
    if (!ok) {
        const char *dtype = a->dtype == PCNN_U8 ? "uint8" : "float32";
        pcnn_array_free(a);
        return pcnn_fail(PCNN_ERR_FORMAT,
                         "%s: expected uint8 images [N, H, W, C] with C = 1 or 3 (or [N, H, W]), got %s %s", name,
                         dtype, shape);
    }
    out->n = a->shape[0];
    out->height = (int)a->shape[1];
    out->width = (int)a->shape[2];
    out->channels = a->ndim == 4 ? (int)a->shape[3] : 1;
    out->pixels = a->data; /* ownership moves to the dataset */
    return PCNN_OK;
}

pcnn_status pcnn_npy_images_parse(const void *bytes, size_t size, const char *name, pcnn_dataset *out)
{
    memset(out, 0, sizeof *out);
    pcnn_array a;
    TRY(pcnn_npy_parse(bytes, size, name, &a));
    return dataset_from_array(&a, name, out);
}

static pcnn_status load_npy(const char *path, pcnn_dataset *out)
{
    pcnn_array a;
    TRY(pcnn_npy_read(path, &a));
    return dataset_from_array(&a, path, out);
}

/* idx:FILE: the labels file is the images file with images-idx3 -> labels-idx1. */
static pcnn_status load_idx_file(const char *path, pcnn_dataset *out)
{
    const char *at = strstr(path, "images-idx3");
    if (!at)
        return idx_load(path, NULL, out);
    size_t len = strlen(path);
    char *labels = malloc(len + 1);
    if (!labels)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
    memcpy(labels, path, len + 1);
    memcpy(labels + (at - path), "labels-idx1", 11);
    pcnn_status st = idx_load(path, labels, out);
    free(labels);
    return st;
}

static int has_prefix(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

int pcnn_dataset_has_test_split(const char *spec)
{
    return has_prefix(spec, "mnist:") || has_prefix(spec, "cifar10:") || strcmp(spec, "fashion-mnist") == 0 ||
           has_prefix(spec, "fashion-mnist:");
}

pcnn_status pcnn_dataset_load(const char *spec, pcnn_split split, pcnn_dataset *out)
{
    memset(out, 0, sizeof *out);
    int seed_split = split == PCNN_SPLIT_SEED_TRAIN || split == PCNN_SPLIT_SEED_TEST;
    if (seed_split && !has_prefix(spec, "cifar10:"))
        return pcnn_fail(PCNN_ERR_ARG, "--split seed: only cifar10:DIR has the seed's split, not '%s'", spec);
    if (has_prefix(spec, "npy:"))
        return load_npy(spec + 4, out);
    if (has_prefix(spec, "idx:"))
        return load_idx_file(spec + 4, out);
    if (has_prefix(spec, "mnist:"))
        return mnist_load_dir(spec + 6, split, out);
    if (has_prefix(spec, "fashion-mnist:"))
        return mnist_load_dir(spec + 14, split, out);
    if (strcmp(spec, "fashion-mnist") == 0) {
        /* PCNN_FASHION_MNIST_DIR: the package's files somewhere else (and how
         * the tests see a machine without them). */
        const char *dir = getenv("PCNN_FASHION_MNIST_DIR");
        if (!dir || !dir[0])
            dir = FASHION_MNIST_DIR;
        pcnn_status st = mnist_load_dir(dir, split, out);
        char probe[4200];
        snprintf(probe, sizeof probe, "%s/train-images-idx3-ubyte.gz", dir);
        if (st == PCNN_ERR_IO && !file_exists(probe))
            return pcnn_fail(PCNN_ERR_IO,
                             "fashion-mnist: %s not found: install Debian's dataset-fashion-mnist package "
                             "(tools/setup.sh does) or give --data mnist:DIR",
                             probe);
        return st;
    }
    if (has_prefix(spec, "cifar10:"))
        return cifar10_load_dir(spec + 8, split, out);
    return pcnn_fail(PCNN_ERR_ARG,
                     "--data: unknown data spec '%s' (expected fashion-mnist, mnist:DIR, idx:FILE, cifar10:DIR "
                     "or npy:FILE)",
                     spec);
}
