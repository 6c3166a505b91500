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

pcnn_status pcnn_sample(pcnn_model *m, const pcnn_sample_opts *opts, uint8_t *out_images)
{
    const pcnn_config *cfg = &m->cfg;
    int H = opts->height ? opts->height : cfg->height, W = opts->width ? opts->width : cfg->width;
    int batch = opts->batch > 0 && opts->batch < opts->n ? opts->batch : opts->n;
    if (opts->n < 1)
        return pcnn_fail(PCNN_ERR_ARG, "--n: need at least one image, got %d", opts->n);
    if (H < 1 || W < 1 || H > 65536 || W > 65536)
        return pcnn_fail(PCNN_ERR_ARG, "--height/--width: image size %dx%d out of range (1..65536)", H, W);
    if (!(opts->temperature > 0.0f) || !isfinite(1.0f / opts->temperature))
        return pcnn_fail(PCNN_ERR_ARG, "--temperature: must be a positive number, got %g", opts->temperature);
    float inv_t = 1.0f / opts->temperature;
    size_t image_bytes = (size_t)H * W * cfg->channels;
    fast_sampler *fs = NULL;
    if (opts->method == PCNN_SAMPLE_FAST)
        TRY(fast_sampler_create(m, batch, H, W, &fs));
    pcnn_status st = PCNN_OK;
    for (int first = 0; first < opts->n && !st; first += batch) {
        int b = opts->n - first < batch ? opts->n - first : batch;
        uint8_t *dst = out_images + (size_t)first * image_bytes;
        st = fs ? fast_sampler_run(fs, b, opts->seed, (uint32_t)first, inv_t, -1, dst)
                : sample_naive_run(m, b, H, W, opts->seed, (uint32_t)first, inv_t, -1, dst);
    }
    fast_sampler_free(fs);
    return st;
}

pcnn_status pcnn_sample_grid(pcnn_model *m, int n, uint64_t seed, const char *path)
{
    pcnn_sample_opts opts = pcnn_sample_defaults();
    opts.n = n;
    opts.seed = seed;
    const pcnn_config *cfg = &m->cfg;
    uint8_t *images = malloc((size_t)(n > 0 ? n : 1) * cfg->height * cfg->width * cfg->channels);
    if (!images)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory for %d sample images", n);
    pcnn_status st = pcnn_sample(m, &opts, images);
    if (!st)
        st = png_write_grid(path, images, (size_t)n, cfg->height, cfg->width, cfg->channels);
    free(images);
    return st;
}
