/* The model's inside, shared by model.c (layers, tensors, init) and
 * model_pass.c (forward and backward). */
#ifndef PCNN_MODEL_INTERNAL_H
#define PCNN_MODEL_INTERNAL_H

#include "backend/backend.h"
#include "model/model_conv.h"
#include "model/model_profile.h"
#include "pcnn/model.h"

/* Activations and scratch for one batch shape. Offsets are in floats. In eval
 * mode the per-block slots alias one another (nothing is kept for backward). */
typedef struct {
    size_t rows; /* positions B*H*W this workspace was sized for */
    int train;
    bbuf *pixels;  /* uint8 [rows, C]: the input and the targets */
    bbuf *act;     /* forward activations */
    bbuf *loss;    /* [rows * C] per-sub-pixel losses */
    float *loss_host; /* [rows * C]: the losses read back each step (no per-step allocation) */
    size_t x0, col, r, r2, o2, logits; /* r is y[n_layers], made relu(y) in place */
    size_t *y, *h1, *h2, *h3; /* y[0..n_layers], the others [0..n_layers) */
    size_t d_y, d_h3, d_h2, d_h1, d_col, d_o2, d_o1; /* over the logits and o2 (train only) */
    int B, H, W; /* the last forward's batch shape */
} workspace;

struct pcnn_model {
    pcnn_config cfg;
    backend *be;
    int n_convs;
    conv_layer *convs; /* input_conv, res.i.conv_{in,mid,out}..., output_conv1, output_conv2, final_conv */
    size_t n_params;
    bbuf *params, *grads;
    workspace ws;
    model_profile *profile; /* NULL unless bench --profile attached one */
};

static inline bview model_params(const pcnn_model *m) { return (bview){m->params, 0}; }
static inline bview model_grads(const pcnn_model *m) { return (bview){m->grads, 0}; }

void workspace_release(backend *be, workspace *ws);

/* For the samplers, which keep the images on the device between passes:
 * readies the eval workspace for B images of H x W and returns the view of its
 * uint8 images [B, H, W, C]; forward_resident runs the forward pass on them and
 * returns the view of the logits [B*H*W, 256C]. A later prepare may move both. */
pcnn_status model_prepare_resident(pcnn_model *m, int B, int H, int W, bview *pixels);
pcnn_status model_forward_resident(pcnn_model *m, int B, int H, int W, bview *logits);

#endif
