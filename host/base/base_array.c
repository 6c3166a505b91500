/* pcnn_array helpers: sizes, allocation, shape strings. */
#include "pcnn/array.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t pcnn_dtype_size(pcnn_dtype dtype) { return dtype == PCNN_F32 ? 4 : 1; }

size_t pcnn_array_count(const pcnn_array *a)
{
    size_t n = 1;
    for (int i = 0; i < a->ndim; i++)
        n *= a->shape[i];
    return n;
}

size_t pcnn_array_bytes(const pcnn_array *a) { return pcnn_array_count(a) * pcnn_dtype_size(a->dtype); }

size_t pcnn_first_nonfinite(const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return i;
    return n;
}

pcnn_status pcnn_array_alloc(pcnn_array *a, pcnn_dtype dtype, int ndim, const size_t *shape)
{
    memset(a, 0, sizeof *a);
    if (ndim < 0 || ndim > PCNN_MAX_DIMS)
        return pcnn_fail(PCNN_ERR_ARG, "array of %d dimensions: at most %d supported", ndim, PCNN_MAX_DIMS);
    a->dtype = dtype;
    a->ndim = ndim;
    size_t n = 1;
    for (int i = 0; i < ndim; i++) {
        a->shape[i] = shape[i];
        if (shape[i] && n > SIZE_MAX / 8 / shape[i])
            return pcnn_fail(PCNN_ERR_ARG, "array shape too large");
        n *= shape[i];
    }
    a->data = calloc(n ? n : 1, pcnn_dtype_size(dtype));
    if (!a->data)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory allocating an array of %zu elements", n);
    return PCNN_OK;
}

void pcnn_array_free(pcnn_array *a)
{
    free(a->data);
    memset(a, 0, sizeof *a);
}

const char *pcnn_shape_str(const pcnn_array *a, char *buf, size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < a->ndim && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%zu", i ? ", " : "", a->shape[i]);
    if (used < size)
        snprintf(buf + used, size - used, "]");
    return buf;
}
