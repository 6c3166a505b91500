/* What both samplers ask before, during and after a batch: whether the
 * device has the ops sampling needs, whether the caller asked them to stop
 * (at every position), and whether any image met a non-finite logit. Apart
 * from the samplers so that neither reaches into the other. */
#include <stdlib.h>

#include "sample/sample_samplers.h"

int sample_supported(const backend *be)
{
    return be->ops->add_act_2d && be->ops->gather_taps && be->ops->sample_draw;
}

pcnn_status sample_check_finite(backend *be, bview bad, int n, uint32_t image_base)
{
    float *flags = malloc((size_t)n * sizeof *flags);
    if (!flags)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
    pcnn_status st = be->ops->read(be, bad.buf, bad.off * sizeof(float), flags, (size_t)n * sizeof(float));
    for (int i = 0; !st && i < n; i++)
        if (flags[i] != 0.0f)
            st = pcnn_fail(PCNN_ERR_NUMERIC,
                           "sample: the model's logits for image %u are not finite (NaN or "
                           "infinite): its weights are broken, so nothing was written",
                           image_base + (uint32_t)i);
    free(flags);
    return st;
}

pcnn_status sample_poll_stop(volatile sig_atomic_t *stop)
{
    return stop && *stop ? pcnn_fail(PCNN_ERR_STOPPED, "sample: stopped by a signal before the images were drawn")
                         : PCNN_OK;
}
