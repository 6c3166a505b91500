/* Weights interchange directories: see include/pcnn/weights_dir.h. */
#include "pcnn/weights_dir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_try.h"
#include "io/io_file.h"
#include "pcnn/npy.h"

static pcnn_status load_tensors(pcnn_model *m, const char *dir)
{
    char path[4096];
    for (int t = 0; t < pcnn_model_tensor_count(m); t++) {
        pcnn_tensor_info info;
        pcnn_model_tensor_info(m, t, &info);
        snprintf(path, sizeof path, "%s/%s.npy", dir, info.name);
        pcnn_array a;
        TRY(pcnn_npy_read(path, &a));
        int same = a.dtype == PCNN_F32 && a.ndim == info.ndim;
        for (int d = 0; same && d < a.ndim; d++)
            same = a.shape[d] == info.shape[d];
        if (!same) {
            char got[128];
            pcnn_shape_str(&a, got, sizeof got);
            pcnn_array want = {.ndim = info.ndim};
            memcpy(want.shape, info.shape, sizeof info.shape);
            char expected[128];
            pcnn_shape_str(&want, expected, sizeof expected);
            const char *dtype = a.dtype == PCNN_F32 ? "float32" : "uint8";
            pcnn_array_free(&a);
            return pcnn_fail(PCNN_ERR_FORMAT, "%s: expected float32 %s for this config.txt, got %s %s", path,
                             expected, dtype, got);
        }
        pcnn_status st = pcnn_model_set_tensor(m, t, a.data);
        pcnn_array_free(&a);
        TRY(st);
    }
    return PCNN_OK;
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
    pcnn_model *m;
    TRY(pcnn_model_create(dev, &cfg, &m));
    st = load_tensors(m, dir);
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
