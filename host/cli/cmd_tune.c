/* pcnn-cl tune --device SPEC [--preset P] [--batch B] [--budget SECONDS]:
 * tunes the products of the model's training step on an OpenCL device
 * (host/tune/tune.c: cl/gemm.cl's tiles where the device runs them, CLBlast's
 * GEMM parameters), stores the best in the cache directory and prints
 * before/after GFLOP/s. The OpenCL backend applies the file at every start. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli_commands.h"
#include "pcnn/config.h"
#ifdef PCNN_OPENCL
#include "tune/tune.h"
#endif

#ifdef PCNN_OPENCL
/* prefix + before/after GFLOP/s and the speedup, or why nothing was compared. */
static void print_gain(const char *prefix, const char *what, int tried, double before, double after)
{
    if (tried == 0 || !(before > 0) || !(after > 0))
        printf("%s: the budget was too short to try any candidate (raise --budget)\n", what);
    else
        printf("%sbefore_gflops=%.2f\n%safter_gflops=%.2f\n%sspeedup=%.2f\n", prefix, before, prefix, after, prefix,
               after / before);
}
#endif

int cmd_tune(const cli_context *ctx, int argc, char **argv)
{
    const char *preset = "small", *device = ctx->device;
    int batch = 16, height = 28, width = 28, colours = 1; /* the default job's shapes */
    double budget = 120;
    cli_flag flags[] = {
        {"--device", FLAG_STRING, &device, "the OpenCL device to tune: index or name (also the global --device)", 0, 0,
         0, 0},
        {"--preset", FLAG_STRING, &preset, "the model whose GEMM shapes to tune for (small)", 0, 0, 0, 0},
        {"--batch", FLAG_INT, &batch, "training batch of those shapes (16)", 1, 1 << 20, 0, 0},
        {"--height", FLAG_INT, &height, "image height of those shapes (28, the default job's)", 1, 4096, 0, 0},
        {"--width", FLAG_INT, &width, "image width (28)", 1, 4096, 0, 0},
        {"--colours", FLAG_INT, &colours, "colours, 1 or 3 (1)", 1, 3, 0, 0},
        {"--budget", FLAG_DOUBLE, &budget, "seconds to search (120); too short a budget tries nothing and says so", 1,
         86400, 0, 0},
    };
    int rc =
        cli_parse("tune", "--device SPEC [--preset NAME] [--batch N] [--height N --width N --colours N] [--budget X]",
                  flags, sizeof flags / sizeof flags[0], argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (!device) {
        fprintf(stderr, "pcnn-cl tune: --device is required (an OpenCL device; see pcnn-cl devices)\n");
        return EXIT_USAGE;
    }
    pcnn_config cfg = {.channels = colours, .height = height, .width = width};
    if (colours == 2 || pcnn_config_preset(preset, &cfg)) {
        if (colours == 2)
            fprintf(stderr, "pcnn-cl tune: --colours must be 1 or 3\n");
        else
            cli_report_error();
        return EXIT_USAGE;
    }
#ifdef PCNN_OPENCL
    tune_report rep;
    pcnn_status st = tune_run(device, &ctx->opts, &cfg, batch, budget, &rep);
    if (st) {
        cli_report_error();
        return cli_exit_code(st);
    }
    if (rep.tiles_tuned) {
        const cl_gemm_tiles *b = &rep.tiles.best;
        printf("masked_candidates=%d masked_valid=%d\n", rep.tiles.tried, rep.tiles.valid);
        print_gain("masked_", "cl/gemm.cl tiles", rep.tiles.tried, rep.tiles.before_gflops, rep.tiles.after_gflops);
        printf("masked_tiles MR=%d NR=%d MC=%d TN_CHUNK=%d\n", b->mr, b->nr, b->mc, b->tn_chunk);
    }
    printf("candidates=%d valid=%d\n", rep.clblast.tried, rep.clblast.valid);
    print_gain("", "CLBlast", rep.clblast.tried, rep.clblast.before_gflops, rep.clblast.after_gflops);
    if (rep.saved)
        printf("wrote %s\n", rep.path);
    else if (rep.clblast.tried == 0 && rep.tiles.tried == 0)
        printf("nothing was tried; %s left as it was\n", rep.path);
    else
        printf("nothing beat the defaults; %s left as it was\n", rep.path);
    return 0;
#else
    fprintf(stderr, "pcnn-cl tune: built without OpenCL; there is no device %s to tune\n", device);
    return EXIT_USAGE;
#endif
}
