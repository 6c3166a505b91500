/* PixelCNN (van den Oord et al. 2016, as "The Annotated Pixel-CNN" builds it)
 * on a device:
 *   input_conv 7x7 mask A, C -> 2H (no activation)
 *   n_layers residual blocks: y += relu(1x1 B 2H->H) -> relu(3x3 B H->H) -> relu(1x1 B H->2H)
 *   output_conv1 1x1 B 2H->O on relu(y); output_conv2 1x1 B O->O on relu(y)
 *   final_conv 1x1 B O->256C on y; logit c*256+v = colour c, value v.
 * Loss: mean softmax cross-entropy over all B*H*W*C sub-pixels, in nats.
 *
 * Tensors (in this order) are named as in the weights interchange directory:
 * input_conv.kernel, input_conv.bias, res.{i}.conv_{in,mid,out}.{kernel,bias},
 * output_conv1.*, output_conv2.*, final_conv.*; kernels HWIO. */
#ifndef PCNN_MODEL_H
#define PCNN_MODEL_H

#include <stdint.h>

#include "pcnn/config.h"
#include "pcnn/device_types.h"

typedef struct pcnn_model pcnn_model;

typedef struct {
    char name[48];
    int ndim;
    size_t shape[4];
    size_t count;
} pcnn_tensor_info;

pcnn_status pcnn_model_create(pcnn_device *dev, const pcnn_config *cfg, pcnn_model **out);
void pcnn_model_free(pcnn_model *m);
const pcnn_config *pcnn_model_config(const pcnn_model *m);
pcnn_device *pcnn_model_device(const pcnn_model *m);

/* The documented initialisation: every kernel and bias Glorot-uniform, as
 * Keras's add_weight gives the seed (kernel limit sqrt(6 / (kh*kw*(f_in+f_out))),
 * bias limit sqrt(3 / f_out)), from a counter-based generator keyed by
 * (seed, tensor, element); then the mask is applied. */
pcnn_status pcnn_model_init(pcnn_model *m, uint64_t seed);

int pcnn_model_tensor_count(const pcnn_model *m);
/* Index of a tensor by name, or -1. */
int pcnn_model_tensor_find(const pcnn_model *m, const char *name);
void pcnn_model_tensor_info(const pcnn_model *m, int index, pcnn_tensor_info *info);
/* Copies a tensor in (raw weights: the mask is applied on the way in) or out. */
pcnn_status pcnn_model_set_tensor(pcnn_model *m, int index, const float *src);
pcnn_status pcnn_model_get_tensor(pcnn_model *m, int index, float *dst);
/* The gradient of the last backward pass for one tensor. */
pcnn_status pcnn_model_get_grad(pcnn_model *m, int index, float *dst);

/* All parameters as one flat vector (the tensors above, in order). */
size_t pcnn_model_param_count(const pcnn_model *m);
pcnn_status pcnn_model_get_params(pcnn_model *m, float *dst);
pcnn_status pcnn_model_set_params(pcnn_model *m, const float *src);

/* All gradients as one flat vector, laid out as the parameters (for all-reduce). */
pcnn_status pcnn_model_get_grads(pcnn_model *m, float *dst);
pcnn_status pcnn_model_set_grads(pcnn_model *m, const float *src);

/* Runs the model on uint8 images [B, H, W, C] and returns the sum of the
 * per-sub-pixel losses in nats (divide by B*H*W*C for the mean). With
 * want_grad, also runs the backward pass for the mean loss and leaves the
 * gradients in the model. */
pcnn_status pcnn_model_loss(pcnn_model *m, const uint8_t *images, int B, int H, int W, int want_grad,
                            double *loss_sum);
/* Copies the logits [B, H, W, C, 256] of the last forward pass (before any
 * gradient overwrote them: call pcnn_model_loss with want_grad = 0). */
pcnn_status pcnn_model_get_logits(pcnn_model *m, float *dst);

#endif
