/* A model inside a checkpoint: the "config" and "params" records. */
#include "pcnn/model_ckpt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_try.h"
#include "pcnn/ckpt.h"

pcnn_status pcnn_ckpt_add_model(pcnn_ckpt *ck, pcnn_model *m, float **host_params)
{
    char text[512];
    pcnn_config_format(pcnn_model_config(m), text, sizeof text);
    size_t n = pcnn_model_param_count(m);
    *host_params = malloc(n * sizeof(float));
    if (!*host_params)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory copying %zu weights for a checkpoint", n);
    TRY(pcnn_model_get_params(m, *host_params));
    TRY(pcnn_ckpt_add_text(ck, "config", text));
    return pcnn_ckpt_add(ck, "params", PCNN_REC_F32, *host_params, n * sizeof(float));
}

pcnn_status pcnn_model_from_ckpt(pcnn_device *dev, const pcnn_ckpt *ck, const char *path, pcnn_model **out)
{
    *out = NULL;
    const pcnn_record *rc, *rp;
    TRY(pcnn_ckpt_expect(ck, path, "config", PCNN_REC_TEXT, (size_t)-1, &rc));
    pcnn_config cfg;
    char where[1100];
    snprintf(where, sizeof where, "%s (config record)", path);
    TRY(pcnn_config_parse(rc->data, where, &cfg));
    pcnn_model *m;
    TRY(pcnn_model_create(dev, &cfg, &m));
    pcnn_status st = pcnn_ckpt_expect(ck, path, "params", PCNN_REC_F32, pcnn_model_param_count(m) * sizeof(float), &rp);
    if (!st) {
        /* The payload may sit at any byte offset in the file: copy to aligned memory. */
        float *params = malloc(rp->bytes ? rp->bytes : 1);
        st = params ? PCNN_OK : pcnn_fail(PCNN_ERR_MEMORY, "%s: out of memory", path);
        if (params) {
            memcpy(params, rp->data, rp->bytes);
            st = pcnn_model_set_params(m, params);
            free(params);
        }
    }
    if (st) {
        pcnn_model_free(m);
        return st;
    }
    *out = m;
    return PCNN_OK;
}

pcnn_status pcnn_model_save(pcnn_model *m, const char *path)
{
    pcnn_ckpt ck;
    pcnn_ckpt_init(&ck);
    float *params = NULL;
    pcnn_status st = pcnn_ckpt_add_model(&ck, m, &params);
    if (!st)
        st = pcnn_ckpt_write(&ck, path);
    free(params);
    pcnn_ckpt_free(&ck);
    return st;
}

pcnn_status pcnn_model_load(pcnn_device *dev, const char *path, pcnn_model **out)
{
    *out = NULL;
    pcnn_ckpt ck;
    TRY(pcnn_ckpt_read(path, &ck));
    pcnn_status st = pcnn_model_from_ckpt(dev, &ck, path, out);
    pcnn_ckpt_free(&ck);
    return st;
}
