/* Weights interchange directories: see include/pcnn/weights_dir.h. */
#include "pcnn/weights_dir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_try.h"
#include "io/io_file.h"
#include "model/model_types.h"
#include "pcnn/array.h"
#include "pcnn/npy.h"

/* Reads dir/<tensor>.npy for tensor t of the layout, which must be float32 of
 * the shape config.txt implies, with every value finite. */
static pcnn_status read_tensor(const pcnn_model *layout, int t, const char *dir, pcnn_array *a)
{
    char path[4096];
    pcnn_tensor_info info;
    pcnn_model_tensor_info(layout, t, &info);
    snprintf(path, sizeof path, "%s/%s.npy", dir, info.name);
    TRY(pcnn_npy_read(path, a));
    int same = a->dtype == PCNN_F32 && a->ndim == info.ndim;
    for (int d = 0; same && d < a->ndim; d++)
        same = a->shape[d] == info.shape[d];
    pcnn_status st = PCNN_OK;
    if (!same) {
        char got[128], expected[128];
        pcnn_shape_str(a, got, sizeof got);
        pcnn_array want = {.ndim = info.ndim};
        memcpy(want.shape, info.shape, sizeof info.shape);
        pcnn_shape_str(&want, expected, sizeof expected);
        st = pcnn_fail(PCNN_ERR_FORMAT, "%s: expected float32 %s for this config.txt, got %s %s", path, expected,
                       a->dtype == PCNN_F32 ? "float32" : "uint8", got);
    } else {
        size_t bad = pcnn_first_nonfinite(a->data, info.count);
        if (bad < info.count)
            st = pcnn_fail(PCNN_ERR_NUMERIC, "%s: the weights of %s are not finite (element %zu is %g)", path,
                           info.name, bad, (double)((float *)a->data)[bad]);
    }
    if (st)
        pcnn_array_free(a);
    return st;
}

pcnn_status pcnn_weights_dir_load(pcnn_device *dev, const char *dir, pcnn_model **out)
{
    *out = NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/config.txt", dir);
    unsigned char *text;
    size_t size;
    TRY(read_whole_file(path, &text, &size));
    pcnn_config cfg;
    pcnn_status st = strlen((char *)text) != size
                         ? pcnn_fail(PCNN_ERR_FORMAT, "%s: not a text file (NUL byte)", path)
                         : pcnn_config_parse((char *)text, path, &cfg);
    free(text);
    TRY(st);
    /* Every tensor is read and checked against config.txt before the model's
     * memory is allocated (a config.txt that asks for gigabytes, beside
     * small files, allocates nothing). */
    pcnn_model *layout, *m = NULL;
    TRY(model_layout(&cfg, &layout));
    int n = pcnn_model_tensor_count(layout);
    pcnn_array *tensors = calloc((size_t)n, sizeof *tensors);
    st = tensors ? PCNN_OK : pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
    int loaded = 0;
    for (; !st && loaded < n; loaded++)
        st = read_tensor(layout, loaded, dir, &tensors[loaded]);
    if (st && loaded > 0)
        loaded--; /* the one that failed freed itself */
    if (!st)
        st = pcnn_model_create(dev, &cfg, &m);
    for (int t = 0; !st && t < n; t++)
        st = pcnn_model_set_tensor(m, t, tensors[t].data);
    for (int t = 0; t < loaded; t++)
        pcnn_array_free(&tensors[t]);
    free(tensors);
    pcnn_model_free(layout);
    if (st) {
        pcnn_model_free(m);
        return st;
    }
    *out = m;
    return PCNN_OK;
}

pcnn_status pcnn_weights_dir_save(pcnn_model *m, const char *dir)
{
    TRY(make_dir(dir));
    char path[4096], text[512];
    int len = pcnn_config_format(pcnn_model_config(m), text, sizeof text);
    snprintf(path, sizeof path, "%s/config.txt", dir);
    atomic_file af;
    TRY(atomic_file_open(&af, path));
    pcnn_status st = atomic_file_write(&af, text, (size_t)len);
    if (st) {
        atomic_file_abort(&af);
        return st;
    }
    TRY(atomic_file_commit(&af));
    for (int t = 0; t < pcnn_model_tensor_count(m); t++) {
        pcnn_tensor_info info;
        pcnn_model_tensor_info(m, t, &info);
        pcnn_array a;
        TRY(pcnn_array_alloc(&a, PCNN_F32, info.ndim, info.shape));
        snprintf(path, sizeof path, "%s/%s.npy", dir, info.name);
        st = pcnn_model_get_tensor(m, t, a.data);
        if (!st)
            st = pcnn_npy_write(path, &a);
        pcnn_array_free(&a);
        TRY(st);
    }
    return PCNN_OK;
}
