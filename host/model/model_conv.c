/* The masked convolution layer over a backend: see model_conv.h. */
#include "model/model_conv.h"

#include <stdio.h>

#include "base/base_try.h"

void conv_layer_init(conv_layer *l, const char *name, int k, int cin, int cout, int colours, pcnn_mask_mode mode,
                     int relu)
{
    snprintf(l->name, sizeof l->name, "%s", name);
    l->kh = l->kw = k;
    l->cin = cin;
    l->cout = cout;
    l->taps = pcnn_mask_live_taps(k, k);
    l->colours = colours;
    l->mode = mode;
    l->relu = relu;
    l->w_off = l->b_off = 0;
}

int conv_group_k(const conv_layer *l, int g)
{
    int n_in = l->mode == PCNN_MASK_A ? g : g + 1;
    return (l->taps - 1) * l->cin + n_in * (l->cin / l->colours);
}

size_t conv_col_width(const conv_layer *l) { return l->kh * l->kw == 1 ? 0 : (size_t)l->taps * l->cin; }

enum { GATHER_MIN_CHANNELS = 16 };

int conv_gathers(const backend *be, const conv_layer *l)
{
    return be->gathers && conv_col_width(l) && l->cin >= GATHER_MIN_CHANNELS;
}

size_t conv_im2col_width(const backend *be, const conv_layer *l)
{
    return conv_gathers(be, l) ? 0 : conv_col_width(l);
}

/* Output group g reads the prefix [0, K_g) of the inputs. */
gemm_segments conv_forward_segments(const conv_layer *l)
{
    gemm_segments s = {.count = l->colours};
    for (int g = 0; g < l->colours; g++) {
        s.end[g] = (g + 1) * (l->cout / l->colours);
        s.lo[g] = 0;
        s.hi[g] = conv_group_k(l, g);
    }
    return s;
}

gemm_segments conv_input_grad_segments(const conv_layer *l)
{
    int gout = l->cout / l->colours, kfull = l->taps * l->cin;
    gemm_segments s = {.count = l->colours + 1};
    for (int g = 0; g < l->colours; g++) {
        s.end[g] = conv_group_k(l, g);
        s.lo[g] = g * gout;
        s.hi[g] = l->cout;
    }
    s.end[l->colours] = kfull;
    s.lo[l->colours] = s.hi[l->colours] = 0;
    return s;
}

/* The input gradient as one transposed product (gemm_gather.transposed):
 * input column c of group g reads the centre tap's output groups that c feeds
 * (g' >= g for mask B, g' > g for mask A), then every other tap in full. */
static gemm_segments transposed_segments(const conv_layer *l)
{
    int gin = l->cin / l->colours, gout = l->cout / l->colours;
    gemm_segments s = {.count = l->colours};
    for (int g = 0; g < l->colours; g++) {
        s.end[g] = (g + 1) * gin;
        s.lo[g] = (l->mode == PCNN_MASK_A ? g + 1 : g) * gout;
        s.hi[g] = l->taps * l->cout;
    }
    return s;
}

/* The A operand of the layer's products: the input itself (1x1, or a backend
 * that gathers the taps from it), else its im2col written into col. */
static pcnn_status input_operand(backend *be, const conv_layer *l, bview x, bview col, int B, int H, int W, bview *a,
                                 const gemm_gather **gathered, gemm_gather *gather)
{
    *gather = (gemm_gather){B, H, W, l->cin, l->kh, l->kw, l->taps, 0};
    *gathered = conv_gathers(be, l) ? gather : NULL;
    *a = x;
    if (conv_col_width(l) && !*gathered) {
        TRY(be->ops->im2col(be, col, x, B, H, W, l->cin, l->kh, l->kw, l->taps));
        *a = col;
    }
    return PCNN_OK;
}

pcnn_status conv_forward(backend *be, const conv_layer *l, bview params, bview y, bview x, bview col, int B,
                         int H, int W)
{
    bview a;
    gemm_gather gather;
    const gemm_gather *gathered;
    TRY(input_operand(be, l, x, col, B, H, W, &a, &gathered, &gather));
    gemm_segments s = conv_forward_segments(l);
    return be->ops->masked_gemm(be, B * H * W, l->cout, a, l->taps * l->cin, gathered, bview_at(params, l->w_off),
                                l->cout, 0, &s, bview_at(params, l->b_off), l->relu, 0, y, l->cout);
}

pcnn_status conv_forward_residual(backend *be, const conv_layer *l, bview params, bview y, bview x, int B, int H,
                                  int W)
{
    if (conv_col_width(l))
        return pcnn_fail(PCNN_ERR_ARG, "conv_forward_residual: %s is not a 1x1 layer", l->name);
    gemm_segments s = conv_forward_segments(l);
    return be->ops->masked_gemm(be, B * H * W, l->cout, x, l->cin, NULL, bview_at(params, l->w_off), l->cout, 0, &s,
                                bview_at(params, l->b_off), l->relu, 1, y, l->cout);
}

pcnn_status conv_forward_xent(backend *be, const conv_layer *l, bview params, bview logits, bview x, bview targets,
                              bview loss, int want_grad, float grad_scale, int B, int H, int W)
{
    if (conv_col_width(l) || l->relu)
        return pcnn_fail(PCNN_ERR_ARG, "conv_forward_xent: %s is not a 1x1 layer without act", l->name);
    gemm_segments s = conv_forward_segments(l);
    return be->ops->masked_gemm_xent(be, B * H * W, l->cout, x, l->cin, bview_at(params, l->w_off), l->cout, &s,
                                     bview_at(params, l->b_off), logits, targets, loss, want_grad, grad_scale);
}

pcnn_status conv_backward(backend *be, const conv_layer *l, bview params, bview grads, bview dx, int dx_accumulate,
                          bview dy, bview y, bview x, bview col, bview dcol, int B, int H, int W)
{
    const backend_ops *o = be->ops;
    int rows = B * H * W, kfull = l->taps * l->cin;
    if (l->relu)
        TRY(o->relu_backward(be, dy, y, (size_t)rows * l->cout));
    bview a;
    gemm_gather gather;
    const gemm_gather *gathered;
    TRY(input_operand(be, l, x, col, B, H, W, &a, &gathered, &gather));
    bview dw = bview_at(grads, l->w_off), w = bview_at(params, l->w_off);
    /* dW[:K_g, group g] = a[:, :K_g]^T dy[:, group g] */
    gemm_segments fs = conv_forward_segments(l);
    TRY(o->masked_gemm_tn(be, kfull, l->cout, rows, a, kfull, gathered, dy, l->cout, &fs, dw, l->cout));
    TRY(o->bias_grad(be, bview_at(grads, l->b_off), dy, (size_t)rows, l->cout));
    if (!dx.buf)
        return PCNN_OK;
    if (gathered) { /* dx straight from dy: no d(im2col), no col2im */
        gemm_gather t = {B, H, W, l->cout, l->kh, l->kw, l->taps, 1};
        gemm_segments ts = transposed_segments(l);
        return o->masked_gemm(be, rows, l->cin, dy, l->cout, &t, w, l->cout, 0, &ts, (bview){NULL, 0}, 0, dx_accumulate,
                              dx, l->cin);
    }
    /* d(a)[:, :K_g] += dy[:, group g] W[:K_g, group g]^T, then col2im for a
     * k x k layer (1x1: d(a) is dx itself, accumulated if asked). */
    int im2col = conv_col_width(l) != 0;
    gemm_segments is = conv_input_grad_segments(l);
    TRY(o->masked_gemm(be, rows, kfull, dy, l->cout, NULL, w, l->cout, 1, &is, (bview){NULL, 0}, 0,
                       !im2col && dx_accumulate, im2col ? dcol : dx, kfull));
    return im2col ? o->col2im(be, dx, dcol, B, H, W, l->cin, l->kh, l->kw, l->taps, dx_accumulate) : PCNN_OK;
}
