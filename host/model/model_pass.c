/* The forward pass, the loss and the backward pass of the whole model, over
 * the activations workspace. Shapes: rows = B*H*W positions; y [rows, 2H],
 * h1/h2 [rows, H], h3 [rows, 2H], r2/o2 [rows, O], logits [rows, 256C].
 *
 * Memory: one buffer holds what backward needs and nothing more. r = relu(y[L])
 * replaces y[L] in place and output_conv1 applies its ReLU itself (so o1 is
 * never stored); the backward's activation gradients live where the logits
 * were, once the final layer's backward has consumed d(loss)/d(logits), and
 * d_o2 overwrites o2, which the final layer's weight gradient has just read. */
#include <string.h>

#include "base/base_clock.h"
#include "base/base_try.h"
#include "model/model_types.h"
#include "model/model_workspace.h"

const char *const profile_kind_names[PROFILE_KINDS] = {
    "input conv 7x7 (mask A)",     "block 1x1 convs",  "block 3x3 convs",
    "residual adds, copies, ReLU", "output 1x1 convs", "final 1x1 conv + loss",
};

void model_profile_attach(pcnn_model *m, model_profile *p) { m->profile = p; }

/* With a profile attached: waits for the device and returns the time. */
static double profile_mark(pcnn_model *m)
{
    if (!m->profile || m->be->ops->finish(m->be) != PCNN_OK)
        return 0.0;
    return clock_now_s();
}

/* Runs one layer's work; with a profile, charges its time to slots[kind]. */
#define TIMED(slots, kind, expr)                                                                                  \
    do {                                                                                                          \
        double t0_ = profile_mark(m);                                                                             \
        TRY(expr);                                                                                                \
        if (m->profile)                                                                                           \
            (slots)[kind] += profile_mark(m) - t0_;                                                               \
    } while (0)

static bview A(const pcnn_model *m, size_t off) { return (bview){m->ws.act, off}; }

/* The forward pass; with want_loss also the loss (per sub-pixel, in ws->loss)
 * and, with want_grad, d(loss)/d(logits) in place of the logits. */
static pcnn_status forward(pcnn_model *m, int B, int H, int W, int want_loss, int want_grad)
{
    backend *be = m->be;
    const backend_ops *o = be->ops;
    workspace *ws = &m->ws;
    bview p = model_params(m), col = A(m, ws->col);
    size_t rows = (size_t)B * H * W;
    int L = m->cfg.n_layers, C = m->cfg.channels;
    double *t = m->profile ? m->profile->forward_s : NULL;
    TIMED(t, PROFILE_INPUT_CONV, o->pixels_to_input(be, A(m, ws->x0), (bview){ws->pixels, 0}, rows * C));
    TIMED(t, PROFILE_INPUT_CONV, conv_forward(be, model_input_conv(m), p, A(m, ws->y[0]), A(m, ws->x0), col, B, H, W));
    /* Without a backward to come, each block adds its branch straight into the
     * running y (cur), whatever workspace this is; training keeps every y[i]. */
    size_t cur = ws->y[0];
    for (int i = 0; i < L; i++) {
        const conv_layer *conv_in = model_block_conv(m, i, BLOCK_CONV_IN),
                         *conv_mid = model_block_conv(m, i, BLOCK_CONV_MID),
                         *conv_out = model_block_conv(m, i, BLOCK_CONV_OUT);
        TIMED(t, PROFILE_BLOCK_1X1, conv_forward(be, conv_in, p, A(m, ws->h1[i]), A(m, cur), col, B, H, W));
        TIMED(t, PROFILE_BLOCK_3X3, conv_forward(be, conv_mid, p, A(m, ws->h2[i]), A(m, ws->h1[i]), col, B, H, W));
        if (!want_grad) { /* y += relu(conv(h2)), h3 never stored */
            TIMED(t, PROFILE_BLOCK_1X1, conv_forward_residual(be, conv_out, p, A(m, cur), A(m, ws->h2[i]), B, H, W));
            continue;
        }
        TIMED(t, PROFILE_BLOCK_1X1, conv_forward(be, conv_out, p, A(m, ws->h3[i]), A(m, ws->h2[i]), col, B, H, W));
        size_t ch = (size_t)conv_out->cout;
        if (ws->y[i + 1] != cur) /* y[i+1] = y[i] + h3 in one pass, not a copy and then an add */
            TIMED(t, PROFILE_ELEMENTWISE,
                  o->add_act_2d(be, A(m, ws->y[i + 1]), ch, A(m, cur), ch, A(m, ws->h3[i]), ch, rows, (int)ch, 0));
        else
            TIMED(t, PROFILE_ELEMENTWISE, o->add(be, A(m, cur), A(m, ws->h3[i]), rows * ch));
        cur = ws->y[i + 1];
    }
    const conv_layer *out1 = model_head_conv(m, HEAD_OUTPUT_CONV1), *out2 = model_head_conv(m, HEAD_OUTPUT_CONV2),
                     *final = model_head_conv(m, HEAD_FINAL_CONV);
    TIMED(t, PROFILE_ELEMENTWISE, o->relu(be, A(m, ws->r), A(m, cur), rows * out1->cin));
    TIMED(t, PROFILE_OUTPUT_1X1, conv_forward(be, out1, p, A(m, ws->r2), A(m, ws->r), col, B, H, W));
    TIMED(t, PROFILE_OUTPUT_1X1, conv_forward(be, out2, p, A(m, ws->o2), A(m, ws->r2), col, B, H, W));
    bview logits = A(m, ws->logits), pixels = {ws->pixels, 0}, loss = {ws->loss, 0};
    size_t n = rows * C;
    float scale = (float)(1.0 / (double)n);
    if (want_loss)
        TIMED(t, PROFILE_FINAL_CONV, conv_forward_xent(be, final, p, logits, A(m, ws->o2), pixels, loss, want_grad,
                                                       scale, B, H, W));
    else /* the samplers want the logits alone */
        TIMED(t, PROFILE_FINAL_CONV, conv_forward(be, final, p, logits, A(m, ws->o2), col, B, H, W));
    return PCNN_OK;
}

static pcnn_status backward(pcnn_model *m, int B, int H, int W)
{
    backend *be = m->be;
    const backend_ops *o = be->ops;
    workspace *ws = &m->ws;
    bview p = model_params(m), g = model_grads(m), col = A(m, ws->col), dcol = A(m, ws->d_col);
    size_t rows = (size_t)B * H * W;
    int L = m->cfg.n_layers;
    const conv_layer *out1 = model_head_conv(m, HEAD_OUTPUT_CONV1), *out2 = model_head_conv(m, HEAD_OUTPUT_CONV2),
                     *final = model_head_conv(m, HEAD_FINAL_CONV);
    double *t = m->profile ? m->profile->backward_s : NULL;
    /* The logits buffer already holds d(loss)/d(logits). */
    TIMED(t, PROFILE_FINAL_CONV,
          conv_backward(be, final, p, g, A(m, ws->d_o2), 0, A(m, ws->logits), A(m, ws->logits), A(m, ws->o2), col,
                        dcol, B, H, W));
    TIMED(t, PROFILE_OUTPUT_1X1,
          conv_backward(be, out2, p, g, A(m, ws->d_o1), 0, A(m, ws->d_o2), A(m, ws->o2), A(m, ws->r2), col, dcol, B,
                        H, W));
    /* output_conv1's ReLU: conv_backward applies it, with r2 as its output. */
    TIMED(t, PROFILE_OUTPUT_1X1,
          conv_backward(be, out1, p, g, A(m, ws->d_y), 0, A(m, ws->d_o1), A(m, ws->r2), A(m, ws->r), col, dcol, B, H,
                        W));
    TIMED(t, PROFILE_ELEMENTWISE, o->relu_backward(be, A(m, ws->d_y), A(m, ws->r), rows * out1->cin));
    for (int i = L - 1; i >= 0; i--) {
        const conv_layer *conv_in = model_block_conv(m, i, BLOCK_CONV_IN),
                         *conv_mid = model_block_conv(m, i, BLOCK_CONV_MID),
                         *conv_out = model_block_conv(m, i, BLOCK_CONV_OUT);
        /* d_y holds d(loss)/d(y[i+1]); the block adds its path to it in place. */
        TIMED(t, PROFILE_ELEMENTWISE, o->copy(be, A(m, ws->d_h3), A(m, ws->d_y), rows * conv_out->cout));
        TIMED(t, PROFILE_BLOCK_1X1,
              conv_backward(be, conv_out, p, g, A(m, ws->d_h2), 0, A(m, ws->d_h3), A(m, ws->h3[i]), A(m, ws->h2[i]),
                            col, dcol, B, H, W));
        TIMED(t, PROFILE_BLOCK_3X3,
              conv_backward(be, conv_mid, p, g, A(m, ws->d_h1), 0, A(m, ws->d_h2), A(m, ws->h2[i]), A(m, ws->h1[i]),
                            col, dcol, B, H, W));
        TIMED(t, PROFILE_BLOCK_1X1,
              conv_backward(be, conv_in, p, g, A(m, ws->d_y), 1, A(m, ws->d_h1), A(m, ws->h1[i]), A(m, ws->y[i]), col,
                            dcol, B, H, W));
    }
    TIMED(t, PROFILE_INPUT_CONV,
          conv_backward(be, model_input_conv(m), p, g, (bview){NULL, 0}, 0, A(m, ws->d_y), A(m, ws->y[0]), A(m, ws->x0),
                        col, dcol, B, H, W));
    return PCNN_OK;
}

pcnn_status pcnn_model_loss(pcnn_model *m, const uint8_t *images, int B, int H, int W, int want_grad,
                            double *loss_sum)
{
    int C = m->cfg.channels;
    if (B < 1 || H < 1 || W < 1)
        return pcnn_fail(PCNN_ERR_ARG, "batch shape %dx%dx%d must be positive", B, H, W);
    size_t rows = (size_t)B * H * W, n = rows * C;
    TRY(workspace_prepare(&m->ws, m->be, &m->cfg, m->convs, m->n_convs, rows, want_grad));
    workspace *ws = &m->ws;
    backend *be = m->be;
    TRY(be->ops->write(be, ws->pixels, 0, images, n));
    TRY(forward(m, B, H, W, 1, want_grad));
    ws->B = B;
    ws->H = H;
    ws->W = W;
    if (want_grad)
        TRY(backward(m, B, H, W));
    TRY(be->ops->read(be, ws->loss, 0, ws->loss_host, n * sizeof(float)));
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += ws->loss_host[i];
    *loss_sum = sum;
    return PCNN_OK;
}

pcnn_status model_prepare_resident(pcnn_model *m, int B, int H, int W, bview *pixels)
{
    if (B < 1 || H < 1 || W < 1)
        return pcnn_fail(PCNN_ERR_ARG, "batch shape %dx%dx%d must be positive", B, H, W);
    TRY(workspace_prepare(&m->ws, m->be, &m->cfg, m->convs, m->n_convs, (size_t)B * H * W, 0));
    *pixels = (bview){m->ws.pixels, 0};
    return PCNN_OK;
}

pcnn_status model_forward_resident(pcnn_model *m, int B, int H, int W, bview *logits)
{
    if (!m->ws.act || m->ws.rows < (size_t)B * H * W)
        return pcnn_fail(PCNN_ERR_ARG, "model_forward_resident: workspace not prepared for %dx%dx%d", B, H, W);
    TRY(forward(m, B, H, W, 0, 0));
    m->ws.B = B;
    m->ws.H = H;
    m->ws.W = W;
    *logits = A(m, m->ws.logits);
    return PCNN_OK;
}

pcnn_status pcnn_model_get_logits(pcnn_model *m, float *dst)
{
    workspace *ws = &m->ws;
    if (!ws->act || !ws->B)
        return pcnn_fail(PCNN_ERR_ARG, "no forward pass has run yet");
    size_t n = (size_t)ws->B * ws->H * ws->W * 256 * m->cfg.channels;
    return m->be->ops->read(m->be, ws->act, ws->logits * sizeof(float), dst, n * sizeof(float));
}
