/* manifest.txt of a weights export: which checkpoint step the files came
 * from, and per file its shape (tensors) and the CRC32 (zlib's) of all its
 * bytes, so that a directory mixing two exports, or a file cut short, is
 * refused by import naming the file:
 *
 *   pcnn-cl weights manifest 1
 *   step=1200                                    (or step=none)
 *   config.txt crc32=8f3a2b1c
 *   input_conv.kernel.npy shape=7,7,1,8 crc32=1d2e3f40
 *   ...                                          (one line per tensor file)
 */
#ifndef PCNN_MODEL_WEIGHTS_MANIFEST_H
#define PCNN_MODEL_WEIGHTS_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "pcnn/error.h"

#define WEIGHTS_MANIFEST_VERSION 1

typedef struct {
    char file[64];
    int ndim; /* 0: not a tensor (config.txt) */
    size_t shape[4];
    uint32_t crc;
} manifest_entry;

typedef struct {
    long step; /* -1: none */
    int n, cap;
    manifest_entry *e;
} weights_manifest;

uint32_t manifest_crc(const void *bytes, size_t size);

/* Appends an entry (ndim 0 for a file that is not a tensor). */
pcnn_status manifest_add(weights_manifest *mf, const char *file, int ndim, const size_t *shape, uint32_t crc);
/* The text above, malloc'd. */
pcnn_status manifest_format(const weights_manifest *mf, char **text);
/* Parses the text (`name` in messages), at most max_entries lines of files. */
pcnn_status manifest_parse(const char *text, const char *name, int max_entries, weights_manifest *out);
/* The entry for `file`, or NULL. */
const manifest_entry *manifest_find(const weights_manifest *mf, const char *file);
void manifest_free(weights_manifest *mf);

#endif
