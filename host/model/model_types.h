/* The model's inside, shared by model.c (layers, tensors, init), model_pass.c
 * (forward and backward), the samplers and the counters: the struct, and the
 * architecture by name, so no caller re-derives where block i's layers sit. */
#ifndef PCNN_MODEL_TYPES_H
#define PCNN_MODEL_TYPES_H

#include "backend/backend.h"
#include "model/model_conv.h"
#include "model/model_profile.h"
#include "model/model_workspace.h"
#include "pcnn/model.h"

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

/* The layers as model.c lays them out: input_conv, then per residual block
 * conv_in (1x1), conv_mid (3x3), conv_out (1x1), then the head's
 * output_conv1, output_conv2 and final_conv. */
enum { BLOCK_CONV_IN, BLOCK_CONV_MID, BLOCK_CONV_OUT, BLOCK_CONVS };
enum { HEAD_OUTPUT_CONV1, HEAD_OUTPUT_CONV2, HEAD_FINAL_CONV, HEAD_CONVS };

static inline int model_input_conv_index(void) { return 0; }
static inline int model_block_conv_index(int block, int which) { return 1 + BLOCK_CONVS * block + which; }
static inline int model_head_conv_index(const pcnn_model *m, int which)
{
    return model_block_conv_index(m->cfg.n_layers, 0) + which;
}
static inline const conv_layer *model_input_conv(const pcnn_model *m) { return &m->convs[0]; }
static inline const conv_layer *model_block_conv(const pcnn_model *m, int block, int which)
{
    return &m->convs[model_block_conv_index(block, which)];
}
static inline const conv_layer *model_head_conv(const pcnn_model *m, int which)
{
    return &m->convs[model_head_conv_index(m, which)];
}

/* For the samplers, which keep the images on the device between passes:
 * readies the eval workspace for B images of H x W and returns the view of its
 * uint8 images [B, H, W, C]; forward_resident runs the forward pass on them and
 * returns the view of the logits [B*H*W, 256C]. A later prepare may move both. */
pcnn_status model_prepare_resident(pcnn_model *m, int B, int H, int W, bview *pixels);
pcnn_status model_forward_resident(pcnn_model *m, int B, int H, int W, bview *logits);

#endif
