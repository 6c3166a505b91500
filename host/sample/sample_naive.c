/* The naive sampler, the seed's generate_images: for every sub-pixel in raster
 * order (row, column, colour), run the whole network on the whole batch and
 * draw that sub-pixel of every image from the logits. H*W*C forward passes:
 * the reference the fast sampler must agree with. One difference from the
 * seed by default: the very first sub-pixel is drawn from the model like
 * every other, where the seed draws it uniformly from 0..255; uniform_first
 * (--first-pixel uniform) is the seed's rule. The images stay on the device: the draw
 * writes into the model's own input buffer. */
#include <stdlib.h>

#include "base/base_try.h"
#include "model/model_types.h"
#include "sample/sample_samplers.h"

pcnn_status sample_naive_run(pcnn_model *m, int n, int H, int W, uint64_t seed, uint32_t image_base,
                             float inv_temperature, int uniform_first, long max_steps, volatile sig_atomic_t *stop,
                             uint8_t *out_images)
{
    backend *be = m->be;
    if (!sample_supported(be))
        return pcnn_fail(PCNN_ERR_DEVICE, "sample: device '%s' lacks the sampling ops", be->name);
    int C = m->cfg.channels;
    size_t image_bytes = (size_t)H * W * C, logits_row = (size_t)256 * C;
    bview pixels, logits;
    TRY(model_prepare_resident(m, n, H, W, &pixels));
    /* Start from zeros: sub-pixels not drawn yet are masked out of every logit
     * that matters, but they must hold something deterministic. */
    uint8_t *zeros = calloc((size_t)n, image_bytes);
    if (!zeros)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory for %d images", n);
    pcnn_status st = be->ops->write(be, pixels.buf, pixels.off, zeros, (size_t)n * image_bytes);
    free(zeros);
    TRY(st);
    bview bad = {be->ops->alloc(be, (size_t)n * sizeof(float), "the sampler's flags"), 0};
    if (!bad.buf)
        return PCNN_ERR_MEMORY;
    st = be->ops->fill(be, bad, (size_t)n, 0.0f);
    bview uniform = {NULL, 0};
    if (!st && uniform_first) { /* 256 equal logits */
        uniform.buf = be->ops->alloc(be, 256 * sizeof(float), "the uniform first sub-pixel's logits");
        st = uniform.buf ? be->ops->fill(be, uniform, 256, 0.0f) : PCNN_ERR_MEMORY;
    }
    long step = 0;
    for (int y = 0; y < H && !st; y++)
        for (int x = 0; x < W && !st; x++)
            for (int g = 0; g < C && !st; g++, step++) {
                if (max_steps >= 0 && step >= max_steps)
                    goto done;
                st = sample_poll_stop(stop);
                if (st)
                    break;
                size_t at = (size_t)y * W + x;
                if (uniform.buf && step == 0) { /* no forward pass needed */
                    st = be->ops->sample_draw(be, bview_at(pixels, 0), image_bytes, (bview){NULL, 0}, 0, uniform, 0, n,
                                              seed, image_base, y, x, g, inv_temperature, bad);
                    continue;
                }
                st = model_forward_resident(m, n, H, W, &logits);
                if (!st)
                    st = be->ops->sample_draw(be, bview_at(pixels, at * C + g), image_bytes, (bview){NULL, 0}, 0,
                                              bview_at(logits, at * logits_row + (size_t)g * 256),
                                              (size_t)H * W * logits_row, n, seed, image_base, y, x, g, inv_temperature,
                                              bad);
            }
done:
    if (!st)
        st = sample_check_finite(be, bad, n, image_base);
    be->ops->release(be, bad.buf);
    if (uniform.buf)
        be->ops->release(be, uniform.buf);
    TRY(st);
    return be->ops->read(be, pixels.buf, pixels.off, out_images, (size_t)n * image_bytes);
}
