/* The activations and scratch of one batch shape (host/model/model_pass.c
 * reads and writes them): one device buffer laid out so that it holds what
 * backward needs and nothing more. */
#ifndef PCNN_MODEL_WORKSPACE_H
#define PCNN_MODEL_WORKSPACE_H

#include <stddef.h>

#include "backend/backend.h"
#include "model/model_conv.h"
#include "pcnn/config.h"

/* Activations and scratch for one batch shape. Offsets are in floats. In eval
 * mode the per-block slots alias one another (nothing is kept for backward). */
typedef struct {
    size_t rows; /* positions B*H*W this workspace was sized for */
    int train;
    bbuf *pixels;                      /* uint8 [rows, C]: the input and the targets */
    bbuf *act;                         /* forward activations */
    bbuf *loss;                        /* [rows * C] per-sub-pixel losses */
    float *loss_host;                  /* [rows * C]: the losses read back each step (no per-step allocation) */
    size_t x0, col, r, r2, o2, logits; /* r is y[n_layers], made relu(y) in place */
    size_t *y, *h1, *h2, *h3;          /* y[0..n_layers], the others [0..n_layers) */
    size_t d_y, d_h3, d_h2, d_h1, d_col, d_o2, d_o1; /* over the logits and o2 (train only) */
    int B, H, W;                                     /* the last forward's batch shape */
} workspace;

/* Sizes ws for `rows` positions (B*H*W) of a model with these layers, for
 * training (keeps every block's activations and room for the gradients) or
 * eval; keeps the buffers when they are big enough already. */
pcnn_status workspace_prepare(workspace *ws, backend *be, const pcnn_config *cfg, const conv_layer *convs, int n_convs,
                              size_t rows, int train);
void workspace_release(backend *be, workspace *ws);

#endif
