/* PixelCNN: the layer list, the parameter buffer and its named tensors, and the
 * documented initialisation. The passes are in model_pass.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_rng.h"
#include "base/base_try.h"
#include "model/model_types.h"

pcnn_status pcnn_model_create(pcnn_device *dev, const pcnn_config *cfg, pcnn_model **out)
{
    *out = NULL;
    TRY(pcnn_config_validate(cfg));
    pcnn_model *m = calloc(1, sizeof *m);
    int C = cfg->channels, H2 = 2 * cfg->hidden_dim * C, Hd = cfg->hidden_dim * C, O = cfg->out_dim * C;
    if (m)
        m->convs = calloc((size_t)3 * cfg->n_layers + 4, sizeof *m->convs);
    if (!m || !m->convs) {
        free(m);
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory creating the model");
    }
    m->cfg = *cfg;
    m->be = dev;
    conv_layer *l = m->convs;
    conv_layer_init(l++, "input_conv", 7, C, H2, C, PCNN_MASK_A, 0);
    for (int i = 0; i < cfg->n_layers; i++) {
        char name[32];
        snprintf(name, sizeof name, "res.%d.conv_in", i);
        conv_layer_init(l++, name, 1, H2, Hd, C, PCNN_MASK_B, 1);
        snprintf(name, sizeof name, "res.%d.conv_mid", i);
        conv_layer_init(l++, name, 3, Hd, Hd, C, PCNN_MASK_B, 1);
        snprintf(name, sizeof name, "res.%d.conv_out", i);
        conv_layer_init(l++, name, 1, Hd, H2, C, PCNN_MASK_B, 1);
    }
    conv_layer_init(l++, "output_conv1", 1, H2, O, C, PCNN_MASK_B, 1); /* relu(o1): only r2 is stored */
    conv_layer_init(l++, "output_conv2", 1, O, O, C, PCNN_MASK_B, 0);
    conv_layer_init(l++, "final_conv", 1, O, 256 * C, C, PCNN_MASK_B, 0);
    m->n_convs = (int)(l - m->convs);

    size_t off = 0;
    for (int i = 0; i < m->n_convs; i++) {
        conv_layer *c = &m->convs[i];
        c->w_off = off;
        off += (size_t)c->kh * c->kw * c->cin * c->cout;
        c->b_off = off;
        off += (size_t)c->cout;
    }
    m->n_params = off;
    m->params = dev->ops->alloc(dev, off * sizeof(float), "the model's weights");
    m->grads = m->params ? dev->ops->alloc(dev, off * sizeof(float), "the weights' gradients") : NULL;
    if (!m->grads) {
        pcnn_model_free(m);
        return PCNN_ERR_MEMORY;
    }
    /* Dead taps and cut centre weights are never written by backward: zero once. */
    pcnn_status st = dev->ops->fill(dev, model_grads(m), off, 0.0f);
    if (st) {
        pcnn_model_free(m);
        return st;
    }
    *out = m;
    return PCNN_OK;
}

void pcnn_model_free(pcnn_model *m)
{
    if (!m)
        return;
    workspace_release(m->be, &m->ws);
    m->be->ops->release(m->be, m->params);
    m->be->ops->release(m->be, m->grads);
    free(m->convs);
    free(m);
}

const pcnn_config *pcnn_model_config(const pcnn_model *m) { return &m->cfg; }
pcnn_device *pcnn_model_device(const pcnn_model *m) { return m->be; }
size_t pcnn_model_param_count(const pcnn_model *m) { return m->n_params; }
int pcnn_model_tensor_count(const pcnn_model *m) { return 2 * m->n_convs; }

/* Tensor 2i is layer i's kernel, 2i+1 its bias. */
void pcnn_model_tensor_info(const pcnn_model *m, int index, pcnn_tensor_info *info)
{
    const conv_layer *c = &m->convs[index / 2];
    memset(info, 0, sizeof *info);
    if (index % 2 == 0) {
        snprintf(info->name, sizeof info->name, "%s.kernel", c->name);
        info->ndim = 4;
        info->shape[0] = (size_t)c->kh;
        info->shape[1] = (size_t)c->kw;
        info->shape[2] = (size_t)c->cin;
        info->shape[3] = (size_t)c->cout;
        info->count = (size_t)c->kh * c->kw * c->cin * c->cout;
    } else {
        snprintf(info->name, sizeof info->name, "%s.bias", c->name);
        info->ndim = 1;
        info->shape[0] = info->count = (size_t)c->cout;
    }
}

int pcnn_model_tensor_find(const pcnn_model *m, const char *name)
{
    pcnn_tensor_info info;
    for (int i = 0; i < pcnn_model_tensor_count(m); i++) {
        pcnn_model_tensor_info(m, i, &info);
        if (strcmp(info.name, name) == 0)
            return i;
    }
    return -1;
}

static size_t tensor_offset(const pcnn_model *m, int index)
{
    const conv_layer *c = &m->convs[index / 2];
    return index % 2 == 0 ? c->w_off : c->b_off;
}

/* Zeroes the masked entries of a kernel already on the device: dead taps and
 * the cut colour blocks of the centre tap. */
static pcnn_status apply_mask(pcnn_model *m, const conv_layer *c)
{
    size_t live = (size_t)c->taps * c->cin * c->cout, all = (size_t)c->kh * c->kw * c->cin * c->cout;
    bview w = bview_at(model_params(m), c->w_off);
    if (all > live)
        TRY(m->be->ops->fill(m->be, bview_at(w, live), all - live, 0.0f));
    return m->be->ops->mask_centre(m->be, w, c->kh, c->kw, c->cin, c->cout, m->cfg.channels, c->mode);
}

pcnn_status pcnn_model_set_tensor(pcnn_model *m, int index, const float *src)
{
    pcnn_tensor_info info;
    pcnn_model_tensor_info(m, index, &info);
    TRY(m->be->ops->write(m->be, m->params, tensor_offset(m, index) * sizeof(float), src,
                          info.count * sizeof(float)));
    return index % 2 == 0 ? apply_mask(m, &m->convs[index / 2]) : PCNN_OK;
}

pcnn_status pcnn_model_get_tensor(pcnn_model *m, int index, float *dst)
{
    pcnn_tensor_info info;
    pcnn_model_tensor_info(m, index, &info);
    return m->be->ops->read(m->be, m->params, tensor_offset(m, index) * sizeof(float), dst,
                            info.count * sizeof(float));
}

pcnn_status pcnn_model_get_grad(pcnn_model *m, int index, float *dst)
{
    pcnn_tensor_info info;
    pcnn_model_tensor_info(m, index, &info);
    return m->be->ops->read(m->be, m->grads, tensor_offset(m, index) * sizeof(float), dst,
                            info.count * sizeof(float));
}

pcnn_status pcnn_model_get_params(pcnn_model *m, float *dst)
{
    return m->be->ops->read(m->be, m->params, 0, dst, m->n_params * sizeof(float));
}

pcnn_status pcnn_model_get_grads(pcnn_model *m, float *dst)
{
    return m->be->ops->read(m->be, m->grads, 0, dst, m->n_params * sizeof(float));
}

pcnn_status pcnn_model_set_grads(pcnn_model *m, const float *src)
{
    return m->be->ops->write(m->be, m->grads, 0, src, m->n_params * sizeof(float));
}

pcnn_status pcnn_model_set_params(pcnn_model *m, const float *src)
{
    TRY(m->be->ops->write(m->be, m->params, 0, src, m->n_params * sizeof(float)));
    for (int i = 0; i < m->n_convs; i++)
        TRY(apply_mask(m, &m->convs[i]));
    return PCNN_OK;
}

pcnn_status pcnn_model_init(pcnn_model *m, uint64_t seed)
{
    float *host = malloc(m->n_params * sizeof(float));
    if (!host)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory initialising %zu weights", m->n_params);
    for (int t = 0; t < pcnn_model_tensor_count(m); t++) {
        const conv_layer *c = &m->convs[t / 2];
        double limit = t % 2 == 0 ? sqrt(6.0 / ((double)c->kh * c->kw * (c->cin + c->cout)))
                                  : sqrt(3.0 / (double)c->cout);
        pcnn_tensor_info info;
        pcnn_model_tensor_info(m, t, &info);
        float *dst = host + tensor_offset(m, t);
        for (size_t i = 0; i < info.count; i++) {
            philox_block r = philox4x32(seed, (uint32_t)i, (uint32_t)(i >> 32), (uint32_t)t, 0x1417u);
            dst[i] = (float)((2.0 * rng_unit_float(r.v[0]) - 1.0) * limit);
        }
    }
    pcnn_status st = pcnn_model_set_params(m, host);
    free(host);
    return st;
}
