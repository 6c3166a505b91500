/* One masked convolution layer, composed of backend operations:
 *   forward:  col = im2col(x) over the live taps;  y = act(col @ W_live + b)
 *   backward: dW_live = col^T dy;  db = sum dy;  dx = col2im(dy W_live^T)
 * W_live is the first taps*cin rows of the HWIO kernel viewed as [kh*kw*cin, cout]:
 * the live taps are a prefix of the kernel, so dead taps are never read or written.
 *
 * Colour groups: output group g reads every input channel of the taps before
 * the centre, and at the centre only the input groups the mask lets through
 * (g of them for mode A, g+1 for mode B). In the im2col row the centre tap's
 * channels come last, group by group, so what group g reads is a prefix of K:
 *   K_g = (taps-1)*cin + n_in(g)*cin/C.
 * Each group is one GEMM over that prefix, so the zero blocks of the centre's
 * block triangle cost nothing (1x1 mode-B layers do 2/3 of the dense work for
 * C = 3), and the cut weights' gradients are never written (they stay zero). */
#ifndef PCNN_CONV_H
#define PCNN_CONV_H

#include "backend/backend.h"
#include "pcnn/mask.h"

typedef struct {
    char name[32]; /* "input_conv", "res.0.conv_mid", ... */
    int kh, kw, cin, cout;
    int taps;    /* live taps: pcnn_mask_live_taps(kh, kw) */
    int colours; /* colour groups of the input and output channels */
    pcnn_mask_mode mode;
    int relu;             /* ReLU after the bias */
    size_t w_off, b_off;  /* element offsets of kernel and bias in the parameter buffer */
} conv_layer;

void conv_layer_init(conv_layer *l, const char *name, int k, int cin, int cout, int colours, pcnn_mask_mode mode,
                     int relu);

/* K_g: the prefix of the im2col row that output colour group g reads. */
int conv_group_k(const conv_layer *l, int g);

/* The segments (backend.h) of the masked products: forward, output group g
 * reads the prefix [0, K_g); input gradient, column k gets the output groups
 * whose prefix covers it (g' >= g for k in [K_{g-1}, K_g), none past the last
 * prefix). The weight gradient uses the forward's. */
gemm_segments conv_forward_segments(const conv_layer *l);
gemm_segments conv_input_grad_segments(const conv_layer *l);

/* Elements of the im2col buffer a layer needs per position (0 for 1x1 layers). */
size_t conv_col_width(const conv_layer *l);

/* Whether the backend reads this layer's im2col straight from its input (a
 * gemm_gather): it must be able to, and each tap must bring enough channels
 * to pay for a pass of the register tile (the 7x7 input layer's 3 do not). */
int conv_gathers(const backend *be, const conv_layer *l);

/* Elements of the im2col matrix conv_forward and conv_backward write per
 * position, and of its gradient conv_backward writes (when it computes dx):
 * conv_col_width, or 0 when the backend gathers. */
size_t conv_im2col_width(const backend *be, const conv_layer *l);

/* y[B*H*W, cout] = act(conv(x[B*H*W, cin])). col: scratch of conv_im2col_width per position. */
pcnn_status conv_forward(backend *be, const conv_layer *l, bview params, bview y, bview x, bview col, int B,
                         int H, int W);

/* y += act(conv(x)) in one pass: a residual connection whose branch output
 * is not kept (eval). Only where the backend has masked_gemm; else PCNN_ERR_ARG. */
pcnn_status conv_forward_residual(backend *be, const conv_layer *l, bview params, bview y, bview x, int B, int H,
                                  int W);

/* The final layer and the loss at once (backend masked_gemm_xent, which the
 * caller checked): logits = conv(x) + bias, then softmax_xent as backend.h
 * describes, over 256-class rows. */
pcnn_status conv_forward_xent(backend *be, const conv_layer *l, bview params, bview logits, bview x, bview targets,
                              bview loss, int want_grad, float grad_scale, int B, int H, int W);

/* dy [B*H*W, cout] is the gradient w.r.t. y (the layer's output after its
 * activation); it is modified in place by the ReLU backward. Writes dW and db
 * into grads (at the layer's offsets; the cut centre weights are left as they
 * are, zero) and, if dx.buf, dx (+)= the input gradient. col and dcol: scratch
 * as for forward. */
pcnn_status conv_backward(backend *be, const conv_layer *l, bview params, bview grads, bview dx, int dx_accumulate,
                          bview dy, bview y, bview x, bview col, bview dcol, int B, int H, int W);

#endif
