/* Where a training step's time goes, by layer kind: with a profile attached
 * (model_profile_attach), the forward and backward passes wait for the device
 * after every layer and charge the time to its kind. Waiting costs a device
 * that queues work some overlap, so a profiled step is a little slower than a
 * plain one; the shares are what bench --profile reports. */
#ifndef PCNN_MODEL_PROFILE_H
#define PCNN_MODEL_PROFILE_H

#include "pcnn/model.h"

typedef enum {
    PROFILE_INPUT_CONV,  /* 7x7 mask A */
    PROFILE_BLOCK_1X1,   /* each block's conv_in and conv_out */
    PROFILE_BLOCK_3X3,   /* each block's conv_mid */
    PROFILE_ELEMENTWISE, /* residual adds and copies, the ReLU before the output layers */
    PROFILE_OUTPUT_1X1,  /* output_conv1 and output_conv2 */
    PROFILE_FINAL_CONV,  /* the 1x1 layer to 256 logits per colour, with the softmax cross-entropy */
    PROFILE_KINDS
} profile_kind;

typedef struct {
    double forward_s[PROFILE_KINDS], backward_s[PROFILE_KINDS];
} model_profile;

extern const char *const profile_kind_names[PROFILE_KINDS];

/* Times every following pass into p (accumulating); NULL stops. */
void model_profile_attach(pcnn_model *m, model_profile *p);

#endif
