/* The masked convolution layer over a backend: see conv.h. */
#include "conv.h"

#include <stdio.h>

#include "try.h"

void conv_layer_init(conv_layer *l, const char *name, int k, int cin, int cout, pcnn_mask_mode mode, int relu)
{
    snprintf(l->name, sizeof l->name, "%s", name);
    l->kh = l->kw = k;
    l->cin = cin;
    l->cout = cout;
    l->taps = pcnn_mask_live_taps(k, k);
    l->mode = mode;
    l->relu = relu;
    l->w_off = l->b_off = 0;
}

size_t conv_col_width(const conv_layer *l) { return l->kh * l->kw == 1 ? 0 : (size_t)l->taps * l->cin; }

pcnn_status conv_forward(backend *be, const conv_layer *l, bview params, bview y, bview x, bview col, int B,
                         int H, int W)
{
    const backend_ops *o = be->ops;
    int rows = B * H * W, k = l->taps * l->cin;
    bview a = x;
    if (conv_col_width(l)) {
        TRY(o->im2col(be, col, x, B, H, W, l->cin, l->kh, l->kw, l->taps));
        a = col;
    }
    TRY(o->gemm(be, 0, 0, rows, l->cout, k, 1.0f, a, k, bview_at(params, l->w_off), l->cout, 0.0f, y, l->cout));
    return o->bias_act(be, y, bview_at(params, l->b_off), (size_t)rows, l->cout, l->relu);
}

pcnn_status conv_backward(backend *be, const conv_layer *l, bview params, bview grads, bview dx, int dx_accumulate,
                          bview dy, bview y, bview x, bview col, bview dcol, int B, int H, int W, int colours)
{
    const backend_ops *o = be->ops;
    int rows = B * H * W, k = l->taps * l->cin;
    int im2col = conv_col_width(l) != 0;
    if (l->relu)
        TRY(o->relu_backward(be, dy, y, (size_t)rows * l->cout));
    bview a = x;
    if (im2col) {
        TRY(o->im2col(be, col, x, B, H, W, l->cin, l->kh, l->kw, l->taps));
        a = col;
    }
    bview dw = bview_at(grads, l->w_off);
    /* dW_live[k, cout] = a^T[k, rows] dy[rows, cout] */
    TRY(o->gemm(be, 1, 0, k, l->cout, rows, 1.0f, a, k, dy, l->cout, 0.0f, dw, l->cout));
    TRY(o->mask_centre(be, dw, l->kh, l->kw, l->cin, l->cout, colours, l->mode));
    TRY(o->bias_grad(be, bview_at(grads, l->b_off), dy, (size_t)rows, l->cout));
    if (!dx.buf)
        return PCNN_OK;
    bview w = bview_at(params, l->w_off);
    if (!im2col) /* dx[rows, cin] (+)= dy[rows, cout] W^T */
        return o->gemm(be, 0, 1, rows, l->cin, l->cout, 1.0f, dy, l->cout, w, l->cout,
                       dx_accumulate ? 1.0f : 0.0f, dx, l->cin);
    TRY(o->gemm(be, 0, 1, rows, k, l->cout, 1.0f, dy, l->cout, w, l->cout, 0.0f, dcol, k));
    return o->col2im(be, dx, dcol, B, H, W, l->cin, l->kh, l->kw, l->taps, dx_accumulate);
}
