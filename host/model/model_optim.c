/* Adam and RMSProp over the flat parameter buffer: one backend call per step. */
#include "pcnn/optim.h"

#include <math.h>
#include <stdlib.h>

#include "base/base_try.h"
#include "model/model_types.h"

struct pcnn_optim {
    pcnn_model *model;
    pcnn_optim_state s;
    bbuf *moment[2];
};

pcnn_optim_state pcnn_optim_defaults(pcnn_optimizer kind)
{
    return (pcnn_optim_state){
        .kind = kind, .lr = 1e-3, .lr_decay = 0.999995, .beta1 = 0.9, .beta2 = 0.999, .rho = 0.9, .eps = 1e-7,
        .step = 0,
    };
}

int pcnn_optim_moment_count(const pcnn_optim *o) { return o->s.kind == PCNN_OPT_ADAM ? 2 : 1; }

pcnn_status pcnn_optim_create(pcnn_model *m, const pcnn_optim_state *state, pcnn_optim **out)
{
    *out = NULL;
    pcnn_optim *o = calloc(1, sizeof *o);
    if (!o)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory creating the optimiser");
    o->model = m;
    o->s = *state;
    backend *be = m->be;
    const char *names[2] = {"the optimiser's first moments", "the optimiser's second moments"};
    for (int i = 0; i < pcnn_optim_moment_count(o); i++) {
        const char *what = o->s.kind == PCNN_OPT_ADAM ? names[i] : "the optimiser's mean squares";
        o->moment[i] = be->ops->alloc(be, m->n_params * sizeof(float), what);
        pcnn_status st = o->moment[i] ? be->ops->fill(be, (bview){o->moment[i], 0}, m->n_params, 0.0f)
                                      : PCNN_ERR_MEMORY;
        if (st) {
            pcnn_optim_free(o);
            return st;
        }
    }
    *out = o;
    return PCNN_OK;
}

void pcnn_optim_free(pcnn_optim *o)
{
    if (!o)
        return;
    for (int i = 0; i < 2; i++)
        o->model->be->ops->release(o->model->be, o->moment[i]);
    free(o);
}

const pcnn_optim_state *pcnn_optim_get_state(const pcnn_optim *o) { return &o->s; }
void pcnn_optim_set_state(pcnn_optim *o, const pcnn_optim_state *state) { o->s = *state; }

pcnn_status pcnn_optim_step(pcnn_optim *o)
{
    pcnn_model *m = o->model;
    backend *be = m->be;
    pcnn_optim_state *s = &o->s;
    bview w = model_params(m), g = model_grads(m);
    if (s->kind == PCNN_OPT_ADAM) {
        double t = (double)(s->step + 1);
        double step_size = s->lr * sqrt(1.0 - pow(s->beta2, t)) / (1.0 - pow(s->beta1, t));
        TRY(be->ops->adam(be, w, g, (bview){o->moment[0], 0}, (bview){o->moment[1], 0}, m->n_params,
                          (float)step_size, (float)s->beta1, (float)s->beta2, (float)s->eps));
    } else {
        TRY(be->ops->rmsprop(be, w, g, (bview){o->moment[0], 0}, m->n_params, (float)s->lr, (float)s->rho,
                             (float)s->eps));
    }
    s->step++;
    s->lr *= s->lr_decay;
    return PCNN_OK;
}

static pcnn_status check_moment(const pcnn_optim *o, int which)
{
    if (which < 0 || which >= pcnn_optim_moment_count(o))
        return pcnn_fail(PCNN_ERR_ARG, "optimiser moment %d does not exist", which);
    return PCNN_OK;
}

pcnn_status pcnn_optim_get_moment(pcnn_optim *o, int which, float *dst)
{
    TRY(check_moment(o, which));
    backend *be = o->model->be;
    return be->ops->read(be, o->moment[which], 0, dst, o->model->n_params * sizeof(float));
}

pcnn_status pcnn_optim_set_moment(pcnn_optim *o, int which, const float *src)
{
    TRY(check_moment(o, which));
    backend *be = o->model->be;
    return be->ops->write(be, o->moment[which], 0, src, o->model->n_params * sizeof(float));
}
