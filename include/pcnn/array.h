/* A host array with a dtype and a C-order shape: what .npy files hold. */
#ifndef PCNN_ARRAY_H
#define PCNN_ARRAY_H

#include <stddef.h>
#include <stdint.h>

#include "pcnn/error.h"

#define PCNN_MAX_DIMS 8

typedef enum { PCNN_F32, PCNN_U8 } pcnn_dtype;

typedef struct {
    pcnn_dtype dtype;
    int ndim;
    size_t shape[PCNN_MAX_DIMS];
    void *data; /* owned: free with pcnn_array_free */
} pcnn_array;

size_t pcnn_dtype_size(pcnn_dtype dtype);
size_t pcnn_array_count(const pcnn_array *a);
size_t pcnn_array_bytes(const pcnn_array *a);

/* Allocates a zeroed array of the given shape. */
pcnn_status pcnn_array_alloc(pcnn_array *a, pcnn_dtype dtype, int ndim, const size_t *shape);
void pcnn_array_free(pcnn_array *a);

/* The index of the first NaN or infinity among v[0..n), or n if all are finite. */
size_t pcnn_first_nonfinite(const float *v, size_t n);

/* Writes "[2, 8, 8, 3]" into buf. */
const char *pcnn_shape_str(const pcnn_array *a, char *buf, size_t size);

#endif
