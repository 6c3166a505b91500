/* A model in a checkpoint container (pcnn/ckpt.h): the records "config"
 * (text, config.txt form) and "params" (f32, the flat parameter vector);
 * training adds its own state beside them. */
#ifndef PCNN_MODEL_CKPT_H
#define PCNN_MODEL_CKPT_H

#include "pcnn/ckpt.h"
#include "pcnn/model.h"

/* A model's records ("config", "params"). *host_params is a host copy of the
 * parameters that must live until the write; free it after. */
pcnn_status pcnn_ckpt_add_model(pcnn_ckpt *ck, pcnn_model *m, float **host_params);
/* Builds the model a checkpoint describes, on `dev`. */
pcnn_status pcnn_model_from_ckpt(pcnn_device *dev, const pcnn_ckpt *ck, const char *path, pcnn_model **out);

/* A checkpoint of just the model. */
pcnn_status pcnn_model_save(pcnn_model *m, const char *path);
pcnn_status pcnn_model_load(pcnn_device *dev, const char *path, pcnn_model **out);

#endif
