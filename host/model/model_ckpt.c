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
    TRY(pcnn_model_check_finite(m, *host_params, "the weights", "not saved"));
    TRY(pcnn_ckpt_add_text(ck, "config", text));
    return pcnn_ckpt_add(ck, "params", PCNN_REC_F32, *host_params, n * sizeof(float));
}

pcnn_status pcnn_ckpt_model_records(const pcnn_ckpt *ck, const char *path, pcnn_config *cfg, size_t *n_params,
                                    const pcnn_record **params)
{
    const pcnn_record *rc;
    TRY(pcnn_ckpt_expect(ck, path, "config", PCNN_REC_TEXT, (size_t)-1, &rc));
    char where[1100];
    snprintf(where, sizeof where, "%s (config record)", path);
    TRY(pcnn_config_parse(rc->data, where, cfg));
    TRY(pcnn_config_param_count(cfg, n_params));
    return pcnn_ckpt_expect(ck, path, "params", PCNN_REC_F32, *n_params * sizeof(float), params);
}

pcnn_status pcnn_model_from_ckpt(pcnn_device *dev, const pcnn_ckpt *ck, const char *path, pcnn_model **out)
{
    *out = NULL;
    pcnn_config cfg;
    size_t n;
    const pcnn_record *rp;
    /* Every size is checked against the config before anything is allocated. */
    TRY(pcnn_ckpt_model_records(ck, path, &cfg, &n, &rp));
    /* The payload may sit at any byte offset in the file: copy to aligned memory. */
    float *params = malloc(rp->bytes ? rp->bytes : 1);
    if (!params)
        return pcnn_fail(PCNN_ERR_MEMORY, "%s: out of memory", path);
    memcpy(params, rp->data, rp->bytes);
    pcnn_model *m = NULL;
    pcnn_status st = pcnn_model_create(dev, &cfg, &m);
    if (!st)
        st = pcnn_model_check_finite(m, params, "the weights", path);
    if (!st)
        st = pcnn_model_set_params(m, params);
    free(params);
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
