/* pcnn-cl sample --checkpoint FILE|DIR --n N --out grid.png [...]: draws N
 * images, writes them as a PNG grid and, beside it, as uint8 [N,H,W,C] .npy
 * (grid.png -> grid.npy). --out must end in .png. Below temperature 1, a grid
 * that came out mostly blank says why in one line.
 * pcnn-cl sample --bench [--preset P | --checkpoint FILE]: times the fast
 * sampler against the naive one on the same device, side by side (the naive
 * one over a few sub-pixels, extrapolated to the H*W*C it would need). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base_clock.h"
#include "base/base_sysinfo.h"
#include "base/base_try.h"
#include "bench/bench.h"
#include "cli/cli_commands.h"
#include "cli/cli_signals.h"
#include "io/io_file.h"
#include "io/io_npy.h"
#include "io/io_png.h"
#include "pcnn/ckpt.h"
#include "pcnn/model_ckpt.h"
#include "pcnn/npy.h"
#include "pcnn/sample.h"

/* grid.png -> grid.npy; any other name gets .npy appended. */
static char *npy_path_for(const char *png)
{
    size_t len = strlen(png);
    char *p = malloc(len + 5);
    if (!p)
        return NULL;
    int has_png = len >= 4 && strcmp(png + len - 4, ".png") == 0;
    snprintf(p, len + 5, "%.*s.npy", (int)(has_png ? len - 4 : len), png);
    return p;
}

/* grid.png and grid.npy appear together or not at all: both temp files are
 * written in full and fsynced before either is renamed (atomic_files_commit);
 * a stop signal while they are written removes both. */
static pcnn_status write_outputs(const char *out, const uint8_t *images, int n, int H, int W, int C, int scale)
{
    char *npy = npy_path_for(out);
    if (!npy)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
    pcnn_array a = {.dtype = PCNN_U8, .ndim = 4, .shape = {(size_t)n, (size_t)H, (size_t)W, (size_t)C},
                    .data = (void *)images};
    volatile sig_atomic_t *stop = cli_catch_stop("sample", CLI_STOP_POLL);
    atomic_file af[2];
    pcnn_status st = atomic_file_open(&af[0], out);
    if (!st && (st = atomic_file_open(&af[1], npy)))
        atomic_file_abort(&af[0]);
    if (!st) {
        st = png_write_grid_to(&af[0], images, (size_t)n, H, W, C, scale);
        if (!st)
            st = npy_write_to(&af[1], &a);
        if (!st && *stop)
            st = pcnn_fail(PCNN_ERR_IO, "interrupted by signal %d: %s and %s are as they were", cli_stop_signal(), out,
                           npy);
        if (st) {
            atomic_file_abort(&af[0]);
            atomic_file_abort(&af[1]);
        } else {
            st = atomic_files_commit(af, 2);
        }
    }
    cli_catch_stop("sample", CLI_STOP_EXIT);
    if (!st)
        printf("wrote %s and %s\n", out, npy);
    free(npy);
    return st;
}

/* An image is nearly blank when one value fills >= 95% of its sub-pixels. */
static int nearly_blank(const uint8_t *img, size_t bytes)
{
    size_t counts[256] = {0}, top = 0;
    for (size_t i = 0; i < bytes; i++)
        if (++counts[img[i]] > top)
            top = counts[img[i]];
    return top * 100 >= bytes * 95;
}

/* One line on stderr when most images came out nearly blank at T < 1:
 * a sharpened softmax makes the likeliest value (often the background) win. */
static void note_blank(const uint8_t *images, int n, size_t image_bytes, double temperature)
{
    int blank = 0;
    for (int i = 0; i < n; i++)
        blank += nearly_blank(images + (size_t)i * image_bytes, image_bytes);
    if (temperature < 1 && blank * 2 > n)
        fprintf(stderr,
                "pcnn-cl sample: note: %d of %d images are nearly blank (one value in >= 95%% of the sub-pixels): "
                "--temperature %g sharpens every draw towards the likeliest value (often the background); try "
                "--temperature 1\n",
                blank, n, temperature);
}

/* The images alone must fit in the machine's memory, or the flags ask the impossible. */
static pcnn_status check_fits(const pcnn_config *cfg, int n, int height, int width)
{
    int H = height ? height : cfg->height, W = width ? width : cfg->width;
    double bytes = (double)n * H * W * cfg->channels, memory = (double)sysinfo_memory_bytes();
    if (bytes > memory)
        return pcnn_fail(PCNN_ERR_ARG, "--n %d images of %dx%dx%d are %.1f GiB, more than this machine's %.1f GiB "
                         "of memory: reduce --n, --height or --width", n, H, W, cfg->channels, bytes / (1 << 30),
                         memory / (1 << 30));
    return PCNN_OK;
}

/* The side-by-side benchmark (bench's, host/bench/bench.c): both samplers
 * after a warm-up, same images, same device. */
static pcnn_status bench(pcnn_model *m, const pcnn_sample_opts *o, int naive_steps)
{
    const pcnn_config *cfg = pcnn_model_config(m);
    int H = o->height ? o->height : cfg->height, W = o->width ? o->width : cfg->width, C = cfg->channels;
    bench_sampling_result r;
    TRY(bench_sampling(m, o->n, H, W, o->seed, 1.0f / o->temperature, 1, naive_steps, &r));
    double fast_s = o->n / r.fast_ips.median;
    printf("device=%s\n", pcnn_device_name(pcnn_model_device(m)));
    printf("model: hidden_dim=%d out_dim=%d n_layers=%d; images %d x %dx%dx%d\n", cfg->hidden_dim, cfg->out_dim,
           cfg->n_layers, o->n, H, W, C);
    printf("fast_seconds=%.3f\nfast_images_per_s=%.3f\n", fast_s, r.fast_ips.median);
    if (naive_steps > 0) {
        double naive_s = o->n / r.naive_ips;
        printf("naive_seconds_per_subpixel=%.4f (over %d sub-pixels)\n", r.naive_subpixel_s.median, naive_steps);
        printf("naive_seconds_extrapolated=%.1f\nnaive_images_per_s=%.6f\n", naive_s, r.naive_ips);
        printf("speedup=%.0f\n", r.speedup);
    }
    return PCNN_OK;
}

int cmd_sample(const cli_context *ctx, int argc, char **argv)
{
    const char *ckpt_arg = NULL, *out = NULL, *method = "fast", *preset = "small", *first_pixel = "model";
    int n = 16, batch = 0, height = 0, width = 0, channels = 3, do_bench = 0, naive_steps = 3, scale = 0;
    long seed = 0;
    double temperature = 1.0;
    cli_flag flags[] = {
        {"--checkpoint", FLAG_STRING, &ckpt_arg,
         "checkpoint file, or a run directory (its checkpoint.pcnn); required unless --bench", 0, 0, 0, 0},
        {"--n", FLAG_INT, &n, "images to draw (16)", 1, 1 << 24, 0, 0},
        {"--out", FLAG_STRING, &out,
         "PNG grid to write (must end in .png); the images also go to the same name .npy; required unless --bench", 0,
         0, 0, 0},
        {"--method", FLAG_STRING, &method,
         "fast (default) or naive (the seed's generate_images: a forward pass per sub-pixel; same images)", 0, 0, 0, 0},
        {"--first-pixel", FLAG_STRING, &first_pixel,
         "model (default): the first sub-pixel of each image drawn from the model like every other; uniform: the "
         "seed's rule, the very first (red) sub-pixel uniform over 0..255, the model from the next one on",
         0, 0, 0, 0},
        {"--seed", FLAG_LONG, &seed, "random seed (0)", 0, 9223372036854775807.0, 0, 0},
        {"--temperature", FLAG_DOUBLE, &temperature, "sample softmax(logits / T) (1)", 1e-6, 1e6, 0, 0},
        {"--batch", FLAG_INT, &batch,
         "images computed together (default: chosen for speed, as many as stay in the CPU's caches; all on a GPU)", 1,
         1 << 24, 0, 0},
        {"--height", FLAG_INT, &height, "image height (the checkpoint's)", 1, 65536, 0, 0},
        {"--width", FLAG_INT, &width, "image width (the checkpoint's)", 1, 65536, 0, 0},
        {"--scale", FLAG_INT, &scale, "draw each pixel of the grid as NxN (0 = at least 64 pixels per image side)", 0,
         64, 0, 0},
        {"--bench", FLAG_SWITCH, &do_bench, "time fast against naive instead of writing images", 0, 0, 0, 0},
        {"--preset", FLAG_STRING, &preset, "--bench without --checkpoint: randomly initialised preset (small)", 0, 0, 0,
         0},
        {"--channels", FLAG_INT, &channels, "--bench without --checkpoint: colours, 1 or 3 (3)", 1, 3, 0, 0},
        {"--naive-steps", FLAG_INT, &naive_steps, "--bench: naive sub-pixels to time, 0 to skip (3)", 0, 1 << 20, 0, 0},
    };
    int rc = cli_parse("sample",
                       "--checkpoint FILE|DIR --out FILE.png [--n N] [--method fast|naive] "
                       "[--first-pixel model|uniform] [--seed N] [--temperature X] [--batch N] [--height N --width N] "
                       "| --bench [--preset NAME] [--n N]",
                       flags, sizeof flags / sizeof flags[0], argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (!do_bench && (!ckpt_arg || !out)) {
        fprintf(stderr, "pcnn-cl sample: %s is required (see pcnn-cl sample --help)\n",
                !ckpt_arg ? "--checkpoint" : "--out");
        return EXIT_USAGE;
    }
    size_t out_len = out ? strlen(out) : 0;
    if (!do_bench && (out_len < 5 || strcmp(out + out_len - 4, ".png") != 0 || out[out_len - 5] == '/')) {
        fprintf(stderr, "pcnn-cl sample: --out %s: the grid is a PNG, so its name must end in .png (e.g. grid.png)\n",
                out);
        return EXIT_USAGE;
    }
    char ckpt_path[4096];
    const char *ckpt = NULL;
    if (ckpt_arg) {
        if ((rc = cli_checkpoint_path("sample", "--checkpoint", ckpt_arg, ckpt_path, sizeof ckpt_path)))
            return rc;
        ckpt = ckpt_path;
    }
    pcnn_sample_opts o = pcnn_sample_defaults();
    o.n = n;
    o.seed = (uint64_t)seed;
    o.temperature = (float)temperature;
    o.batch = batch;
    o.height = height;
    o.width = width;
    if (pcnn_sample_method_parse(method, &o.method) || pcnn_first_pixel_parse(first_pixel, &o.first_pixel)) {
        cli_report_error();
        return EXIT_USAGE;
    }
    if (!do_bench) { /* both outputs, before drawing a single image */
        char *npy = npy_path_for(out);
        rc = npy ? cli_check_output("--out", out, 0) : EXIT_JOB_FAILED;
        if (!rc)
            rc = cli_check_output("--out", npy, 0);
        free(npy);
        if (rc)
            return rc;
    }
    pcnn_device *dev;
    int open_rc = cli_open_device(ctx, &dev);
    if (open_rc)
        return open_rc;
    pcnn_model *m = NULL;
    pcnn_status st;
    if (ckpt) {
        st = pcnn_model_load(dev, ckpt, &m);
    } else {
        pcnn_config cfg = {.channels = channels, .height = height ? height : 32, .width = width ? width : 32};
        st = pcnn_config_preset(preset, &cfg);
        if (!st)
            st = pcnn_model_create(dev, &cfg, &m);
        if (!st)
            st = pcnn_model_init(m, 1);
    }
    uint8_t *images = NULL;
    if (!st)
        st = check_fits(pcnn_model_config(m), n, height, width);
    if (!st && do_bench) {
        st = bench(m, &o, naive_steps);
    } else if (!st) {
        const pcnn_config *cfg = pcnn_model_config(m);
        int H = height ? height : cfg->height, W = width ? width : cfg->width;
        images = malloc((size_t)n * H * W * cfg->channels);
        st = images ? PCNN_OK : pcnn_fail(PCNN_ERR_MEMORY, "out of memory for %d images", n);
        double t0 = clock_now_s();
        if (!st)
            st = pcnn_sample(m, &o, images);
        char label[256];
        if (!st)
            printf("sampled %d images %dx%dx%d (%s, seed %ld, temperature %g%s) in %.2f s on %s\n", n, H, W,
                   cfg->channels, method, seed, temperature,
                   o.first_pixel == PCNN_FIRST_PIXEL_UNIFORM ? ", first pixel uniform" : "", clock_now_s() - t0,
                   pcnn_device_label(dev, label, sizeof label));
        if (!st)
            st = write_outputs(out, images, n, H, W, cfg->channels, scale);
        if (!st) /* after the files: a failed write stays one line */
            note_blank(images, n, (size_t)H * W * cfg->channels, temperature);
    }
    if (st)
        cli_report_error();
    free(images);
    pcnn_model_free(m);
    pcnn_device_close(dev);
    return cli_stop_exit_code(st);
}
