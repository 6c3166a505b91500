/* pcnn_sample: checks the options, splits the images into batches and runs
 * the chosen sampler (sample_fast.c, sample_naive.c) on each; image i of the
 * whole run is image i of the random-number key whatever the batch size. */
#include "pcnn/sample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_try.h"
#include "io/io_png.h"
#include "model/model_types.h"
#include "sample/sample_samplers.h"

pcnn_sample_opts pcnn_sample_defaults(void)
{
    return (pcnn_sample_opts){.n = 1, .method = PCNN_SAMPLE_FAST, .temperature = 1.0f};
}

pcnn_status pcnn_sample_method_parse(const char *name, pcnn_sample_method *out)
{
    if (strcmp(name, "fast") == 0)
        *out = PCNN_SAMPLE_FAST;
    else if (strcmp(name, "naive") == 0)
        *out = PCNN_SAMPLE_NAIVE;
    else
        return pcnn_fail(PCNN_ERR_ARG, "--method: expected fast or naive, got '%s'", name);
    return PCNN_OK;
}

pcnn_status pcnn_first_pixel_parse(const char *name, pcnn_first_pixel *out)
{
    if (strcmp(name, "model") == 0)
        *out = PCNN_FIRST_PIXEL_MODEL;
    else if (strcmp(name, "uniform") == 0)
        *out = PCNN_FIRST_PIXEL_UNIFORM;
    else
        return pcnn_fail(PCNN_ERR_ARG, "--first-pixel: expected model or uniform, got '%s'", name);
    return PCNN_OK;
}

int pcnn_sample_auto_batch(const pcnn_model *m, int n, int H, int W)
{
    enum { CACHE_BYTES = 1 << 20, MOST = 32 };
    if (n < 1 || !m->be->gathers) /* OpenCL: fewer, wider launches */
        return n < 1 ? 1 : n;
    size_t per_image = fast_sampler_floats_per_image(m, H, W) * sizeof(float);
    size_t fit = per_image ? CACHE_BYTES / per_image : MOST;
    if (fit > MOST)
        fit = MOST;
    return fit < 1 ? 1 : fit < (size_t)n ? (int)fit : n;
}

pcnn_status pcnn_sample(pcnn_model *m, const pcnn_sample_opts *opts, uint8_t *out_images)
{
    const pcnn_config *cfg = &m->cfg;
    int H = opts->height ? opts->height : cfg->height, W = opts->width ? opts->width : cfg->width;
    if (opts->n < 1)
        return pcnn_fail(PCNN_ERR_ARG, "--n: need at least one image, got %d", opts->n);
    int batch = opts->batch > 0                    ? (opts->batch < opts->n ? opts->batch : opts->n)
                : opts->method == PCNN_SAMPLE_FAST ? pcnn_sample_auto_batch(m, opts->n, H, W)
                                                   : opts->n;
    if (H < 1 || W < 1 || H > 65536 || W > 65536)
        return pcnn_fail(PCNN_ERR_ARG, "--height/--width: image size %dx%d out of range (1..65536)", H, W);
    if (!(opts->temperature > 0.0f) || !isfinite(1.0f / opts->temperature))
        return pcnn_fail(PCNN_ERR_ARG, "--temperature: must be a positive number, got %g", opts->temperature);
    float inv_t = 1.0f / opts->temperature;
    size_t image_bytes = (size_t)H * W * cfg->channels;
    fast_sampler *fs = NULL;
    if (opts->method == PCNN_SAMPLE_FAST)
        TRY(fast_sampler_create(m, batch, H, W, &fs));
    if (fs)
        fast_sampler_set_stop(fs, opts->stop);
    pcnn_status st = PCNN_OK;
    for (int first = 0; first < opts->n && !st; first += batch) {
        int b = opts->n - first < batch ? opts->n - first : batch;
        uint8_t *dst = out_images + (size_t)first * image_bytes;
        int uniform = opts->first_pixel == PCNN_FIRST_PIXEL_UNIFORM;
        st = fs ? fast_sampler_run(fs, b, opts->seed, (uint32_t)first, inv_t, uniform, -1, dst)
                : sample_naive_run(m, b, H, W, opts->seed, (uint32_t)first, inv_t, uniform, -1, opts->stop, dst);
    }
    fast_sampler_free(fs);
    return st;
}

pcnn_status pcnn_sample_grid(pcnn_model *m, int n, uint64_t seed, const char *path)
{
    return pcnn_sample_grid_stoppable(m, n, seed, 0, NULL, path);
}

pcnn_status pcnn_sample_grid_stoppable(pcnn_model *m, int n, uint64_t seed, int scale, volatile sig_atomic_t *stop,
                                       const char *path)
{
    pcnn_sample_opts opts = pcnn_sample_defaults();
    opts.stop = stop;
    opts.n = n;
    opts.seed = seed;
    const pcnn_config *cfg = &m->cfg;
    uint8_t *images = malloc((size_t)(n > 0 ? n : 1) * cfg->height * cfg->width * cfg->channels);
    if (!images)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory for %d sample images", n);
    pcnn_status st = pcnn_sample(m, &opts, images);
    if (!st)
        st = png_write_grid(path, images, (size_t)n, cfg->height, cfg->width, cfg->channels, scale);
    free(images);
    return st;
}
