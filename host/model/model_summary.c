/* Counting a model: see model_summary.h. Everything is derived from the
 * model's conv_layer list and the mask rules, never from a second copy of the
 * architecture. */
#include "model/model_summary.h"

#include <stdlib.h>
#include <string.h>

#include "base/base_try.h"
#include "model/model_types.h"

/* Kernel entries a mask keeps: every off-centre live tap in full, and at the
 * centre the colour-group pairs i -> j with i < j (A) or i <= j (B), each a
 * (cin/C) x (cout/C) block. */
static uint64_t kept_kernel_entries(const conv_layer *l, int colours)
{
    uint64_t pairs = (uint64_t)colours * (colours - 1) / 2 + (l->mode == PCNN_MASK_B ? (uint64_t)colours : 0);
    uint64_t centre = pairs * (uint64_t)(l->cin / colours) * (uint64_t)(l->cout / colours);
    return (uint64_t)(l->taps - 1) * l->cin * l->cout + centre;
}

static void summarise_layer(const conv_layer *l, int colours, uint64_t positions, layer_summary *s)
{
    memset(s, 0, sizeof *s);
    memcpy(s->name, l->name, sizeof s->name);
    s->kh = l->kh;
    s->kw = l->kw;
    s->cin = l->cin;
    s->cout = l->cout;
    s->mode = (char)l->mode;
    s->live_taps = l->taps;
    uint64_t full = (uint64_t)l->kh * l->kw * l->cin * l->cout, kept = kept_kernel_entries(l, colours);
    s->params = full + (uint64_t)l->cout;
    s->live_params = kept + (uint64_t)l->cout;
    s->macs_dense = full * positions;
    s->macs_live = kept * positions;
    s->macs_computed = (uint64_t)l->taps * l->cin * l->cout * positions;
}

/* The sizes workspace_prepare (host/model/model_workspace.c) allocates with train = 1,
 * plus the parameter buffer, its gradients (model.c) and Adam's moments
 * (model_optim.c). Keep in step with those files; test_summary checks the total
 * against what the device really allocates. */
train_memory model_train_memory(const pcnn_model *m, uint64_t rows)
{
    const pcnn_config *c = &m->cfg;
    uint64_t C = (uint64_t)c->channels, L = (uint64_t)c->n_layers, H2 = 2 * (uint64_t)c->hidden_dim * C,
             Hd = (uint64_t)c->hidden_dim * C, O = (uint64_t)c->out_dim * C, col = 0, col_fwd = 0,
             f = sizeof(float);
    for (int i = 0; i < m->n_convs; i++) { /* as max_col_width in model_pass.c */
        uint64_t w = conv_im2col_width(m->be, &m->convs[i]);
        col_fwd = w > col_fwd ? w : col_fwd;
        col = i > 0 && w > col ? w : col;
    }
    train_memory t;
    t.weights = t.gradients = (uint64_t)m->n_params * f;
    t.optimiser = 2 * t.weights;
    /* x0; per block y[i], h1, h2, h3; r (= y[L] after its ReLU), r2, o2, logits. */
    uint64_t act = C + L * (H2 + Hd + Hd + H2) + H2 + 2 * O + 256 * C;
    t.activations = rows * act * f;
    t.im2col = rows * col_fwd * f; /* what a gathering backend still needs (the 7x7 input layer's) */
    /* d_o1, d_y, d_h3, d_h2, d_h1, d_col from where the logits start (d_o2 takes o2's place). */
    uint64_t grads = O + 2 * H2 + 2 * Hd + col;
    t.gradient_spill = grads > 256 * C ? rows * (grads - 256 * C) * f : 0;
    /* uint8 pixels and a float loss per sub-pixel. */
    t.pixels_and_losses = rows * C * (1 + f);
    t.need = t.weights + t.gradients + t.optimiser + t.activations;
    t.total = t.need + t.im2col + t.gradient_spill + t.pixels_and_losses;
    return t;
}

pcnn_status model_summary_compute(const pcnn_model *m, int height, int width, int batch, model_summary *out)
{
    memset(out, 0, sizeof *out);
    if (height < 1 || width < 1 || batch < 1)
        return pcnn_fail(PCNN_ERR_ARG, "summary: image %dx%d and batch %d must be positive", height, width, batch);
    out->cfg = m->cfg;
    out->cfg.height = height;
    out->cfg.width = width;
    out->batch = batch;
    out->n_layers = m->n_convs;
    out->layers = calloc((size_t)m->n_convs, sizeof *out->layers);
    if (!out->layers)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory summarising %d layers", m->n_convs);
    uint64_t positions = (uint64_t)height * width;
    for (int i = 0; i < m->n_convs; i++) {
        layer_summary *s = &out->layers[i];
        summarise_layer(&m->convs[i], m->cfg.channels, positions, s);
        out->params += s->params;
        out->live_params += s->live_params;
        out->macs_dense += s->macs_dense;
        out->macs_live += s->macs_live;
        out->macs_computed += s->macs_computed;
    }
    for (int c = 0; c < m->cfg.channels; c++) {
        pcnn_status st = receptive_field_compute(m, c, &out->field[c]);
        if (st) {
            model_summary_free(out);
            return st;
        }
    }
    /* Bytes are counted in 64 bits: refuse sizes whose count would wrap. */
    train_memory fixed = model_train_memory(m, 0), one = model_train_memory(m, 1);
    if ((double)batch * (double)positions * (double)(one.total - fixed.total) + (double)fixed.total > 1.8e19) {
        model_summary_free(out);
        return pcnn_fail(PCNN_ERR_ARG, "summary: a batch of %d images of %dx%d needs more than 2^64 bytes: reduce "
                         "--batch, --height or --width", batch, height, width);
    }
    out->memory = model_train_memory(m, (uint64_t)batch * positions);
    return PCNN_OK;
}

void model_summary_free(model_summary *s)
{
    free(s->layers);
    s->layers = NULL;
}
