/* One masked convolution layer, composed of backend operations:
 *   forward:  col = im2col(x) over the live taps;  y = act(col @ W_live + b)
 *   backward: dW_live = col^T dy (centre masked);  db = sum dy;  dx = col2im(dy W_live^T)
 * W_live is the first taps*cin rows of the HWIO kernel viewed as [kh*kw*cin, cout]:
 * the live taps are a prefix of the kernel, so dead taps are never read or written. */
#ifndef PCNN_CONV_H
#define PCNN_CONV_H

#include "backend.h"
#include "pcnn/mask.h"

typedef struct {
    char name[32]; /* "input_conv", "res.0.conv_mid", ... */
    int kh, kw, cin, cout;
    int taps; /* live taps: pcnn_mask_live_taps(kh, kw) */
    pcnn_mask_mode mode;
    int relu;             /* ReLU after the bias */
    size_t w_off, b_off;  /* element offsets of kernel and bias in the parameter buffer */
} conv_layer;

void conv_layer_init(conv_layer *l, const char *name, int k, int cin, int cout, pcnn_mask_mode mode, int relu);

/* Elements of the im2col buffer a layer needs per position (0 for 1x1 layers). */
size_t conv_col_width(const conv_layer *l);

/* y[B*H*W, cout] = act(conv(x[B*H*W, cin])). col: scratch of conv_col_width per position. */
pcnn_status conv_forward(backend *be, const conv_layer *l, bview params, bview y, bview x, bview col, int B,
                         int H, int W);

/* dy [B*H*W, cout] is the gradient w.r.t. y (the layer's output after its
 * activation); it is modified in place by the ReLU backward. Writes dW and db
 * into grads (at the layer's offsets) and, if dx.buf, dx (+)= the input
 * gradient. col and dcol: scratch as for forward. colours: for the centre mask. */
pcnn_status conv_backward(backend *be, const conv_layer *l, bview params, bview grads, bview dx, int dx_accumulate,
                          bview dy, bview y, bview x, bview col, bview dcol, int B, int H, int W, int colours);

#endif
