/* NumPy .npy files: format 1.0 and 2.0 headers, '<f4' and '|u1', C order.
 * Anything else (big-endian, Fortran order, other dtypes, truncated data, a header
 * that lies about the size) is a PCNN_ERR_FORMAT naming the file. */
#ifndef PCNN_NPY_H
#define PCNN_NPY_H

#include "pcnn/array.h"

pcnn_status pcnn_npy_read(const char *path, pcnn_array *out);

/* Parses a whole .npy file held in memory; `name` is used in messages. */
pcnn_status pcnn_npy_parse(const void *bytes, size_t size, const char *name, pcnn_array *out);

/* Writes format 1.0, atomically: a temp file in
 * the same directory, fsynced, then renamed over `path`. */
pcnn_status pcnn_npy_write(const char *path, const pcnn_array *a);

/* The bytes of the .npy file pcnn_npy_write writes, in one malloc'd buffer
 * (for containers such as .npz). */
pcnn_status pcnn_npy_encode(const pcnn_array *a, unsigned char **bytes, size_t *size);

#endif
