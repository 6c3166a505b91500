/* Optimisers over the model's flat parameter vector.
 * Adam as the seed trains (Keras form: beta1 0.9, beta2 0.999, eps 1e-7 added to
 * sqrt(v) before the bias correction), RMSProp as the paper trains (Keras form:
 * rho 0.9, eps 1e-7). The learning rate is multiplied by lr_decay after each step
 * (the seed: 1e-3 and 0.999995). */
#ifndef PCNN_OPTIM_H
#define PCNN_OPTIM_H

#include "pcnn/model.h"

typedef enum { PCNN_OPT_ADAM, PCNN_OPT_RMSPROP } pcnn_optimizer;

typedef struct {
    pcnn_optimizer kind;
    double lr;       /* the learning rate of the next step */
    double lr_decay; /* lr *= lr_decay after every step */
    double beta1, beta2, rho, eps;
    long step; /* steps taken so far */
} pcnn_optim_state;

/* The seed's settings for `kind`: lr 1e-3, decay 0.999995, Keras constants. */
pcnn_optim_state pcnn_optim_defaults(pcnn_optimizer kind);

typedef struct pcnn_optim pcnn_optim;

pcnn_status pcnn_optim_create(pcnn_model *m, const pcnn_optim_state *state, pcnn_optim **out);
void pcnn_optim_free(pcnn_optim *o);
const pcnn_optim_state *pcnn_optim_get_state(const pcnn_optim *o);

/* One update of the model's weights from its current gradients. */
pcnn_status pcnn_optim_step(pcnn_optim *o);

/* Moments (Adam: m then v; RMSProp: v), each param_count floats, for checkpoints. */
int pcnn_optim_moment_count(const pcnn_optim *o);
int pcnn_optim_kind_moment_count(pcnn_optimizer kind);
/* "the optimiser's second moments" (for messages). */
const char *pcnn_optim_moment_name(pcnn_optimizer kind, int which);
pcnn_status pcnn_optim_get_moment(pcnn_optim *o, int which, float *dst);
pcnn_status pcnn_optim_set_moment(pcnn_optim *o, int which, const float *src);
void pcnn_optim_set_state(pcnn_optim *o, const pcnn_optim_state *state);

#endif
