/* Data specs: which reader loads which source. See include/pcnn/data.h. */
#include "pcnn/data.h"

#include <stdlib.h>
#include <string.h>

#include "pcnn/npy.h"
#include "try.h"

void pcnn_dataset_free(pcnn_dataset *d)
{
    free(d->pixels);
    memset(d, 0, sizeof *d);
}

static pcnn_status load_npy(const char *path, pcnn_dataset *out)
{
    pcnn_array a;
    TRY(pcnn_npy_read(path, &a));
    char shape[128];
    pcnn_shape_str(&a, shape, sizeof shape);
    int ok = a.dtype == PCNN_U8 && (a.ndim == 3 || (a.ndim == 4 && (a.shape[3] == 1 || a.shape[3] == 3)));
    for (int i = 0; ok && i < a.ndim; i++)
        ok = a.shape[i] > 0 && (i == 0 || a.shape[i] <= 65536);
    if (!ok) {
        const char *dtype = a.dtype == PCNN_U8 ? "uint8" : "float32";
        pcnn_array_free(&a);
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: expected uint8 images [N, H, W, C] with C = 1 or 3 (or [N, H, W]), got %s %s",
                         path, dtype, shape);
    }
    out->n = a.shape[0];
    out->height = (int)a.shape[1];
    out->width = (int)a.shape[2];
    out->channels = a.ndim == 4 ? (int)a.shape[3] : 1;
    out->pixels = a.data; /* ownership moves to the dataset */
    return PCNN_OK;
}

pcnn_status pcnn_dataset_load(const char *spec, pcnn_split split, pcnn_dataset *out)
{
    (void)split;
    memset(out, 0, sizeof *out);
    if (strncmp(spec, "npy:", 4) == 0)
        return load_npy(spec + 4, out);
    return pcnn_fail(PCNN_ERR_ARG, "--data: unknown data spec '%s' (expected npy:FILE)", spec);
}
