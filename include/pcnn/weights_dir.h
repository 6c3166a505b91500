/* The weights interchange directory: config.txt plus one .npy per tensor, named
 * as the model's tensors (input_conv.kernel.npy, res.0.conv_in.bias.npy, ...),
 * kernels raw HWIO float32. This is how weights move to and from NumPy,
 * TensorFlow and PyTorch. */
#ifndef PCNN_WEIGHTS_DIR_H
#define PCNN_WEIGHTS_DIR_H

#include "pcnn/model.h"

/* Reads config.txt and every tensor; each must exist with the exact shape. */
pcnn_status pcnn_weights_dir_load(pcnn_device *dev, const char *dir, pcnn_model **out);
/* Creates the directory if needed and writes config.txt and every tensor. */
pcnn_status pcnn_weights_dir_save(pcnn_model *m, const char *dir);

#endif
