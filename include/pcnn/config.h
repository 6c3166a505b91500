/* The model configuration and its named presets. Widths are per colour, as in
 * the seed: the network has H = hidden_dim*C hidden and O = out_dim*C output
 * channels for C colours. height/width are the image size the model is trained
 * and sampled at (the convolutions themselves accept any size). */
#ifndef PCNN_CONFIG_H
#define PCNN_CONFIG_H

#include <stddef.h>

#include "pcnn/error.h"

typedef struct {
    int hidden_dim;
    int out_dim;
    int n_layers; /* residual blocks */
    int channels; /* colours: 1 or 3 */
    int height;
    int width;
} pcnn_config;

/* tiny (4, 8, 2), small (16, 32, 5), paper (43, 342, 15), seed (128, 1024, 15);
 * sets the widths and layers, leaves channels/height/width alone. */
pcnn_status pcnn_config_preset(const char *name, pcnn_config *cfg);
/* The preset names, NULL-terminated. */
extern const char *const pcnn_preset_names[];

pcnn_status pcnn_config_validate(const pcnn_config *cfg);

/* key=value lines (hidden_dim, out_dim, n_layers, channels, height, width;
 * "batch" is accepted and ignored). `name` is used in messages. Every model
 * key must be present. */
pcnn_status pcnn_config_parse(const char *text, const char *name, pcnn_config *cfg);
/* Writes the key=value lines; returns the length (snprintf-style). */
int pcnn_config_format(const pcnn_config *cfg, char *buf, size_t size);

#endif
