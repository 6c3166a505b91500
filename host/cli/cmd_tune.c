/* pcnn-cl tune --device N [--preset P] [--batch B] [--budget SECONDS]: tunes
 * CLBlast's GEMM for the model's own shapes on OpenCL device N (the search is
 * host/tune/tune_clblast.c), stores the best in the cache directory and prints
 * before/after GFLOP/s. The OpenCL backend applies the file at every start. */
/* setenv */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli_commands.h"
#include "pcnn/config.h"
#ifdef PCNN_OPENCL
#include "tune/tune_clblast.h"
#endif

int cmd_tune(const cli_context *ctx, int argc, char **argv)
{
    const char *preset = "small";
    int batch = 16, device = -1;
    double budget = 120;
    cli_flag flags[] = {
        {"--device", FLAG_INT, &device, "the OpenCL device to tune (1..; also the global --device)", 0, 1 << 20, 0,
         0},
        {"--preset", FLAG_STRING, &preset, "the model whose GEMM shapes to tune for (small)", 0, 0, 0, 0},
        {"--batch", FLAG_INT, &batch, "training batch of those shapes (16)", 1, 1 << 20, 0, 0},
        {"--budget", FLAG_DOUBLE, &budget, "seconds to search (120)", 1, 86400, 0, 0},
    };
    int rc = cli_parse("tune", "--device N [--preset P] [--batch B] [--budget SECONDS]", flags,
                       sizeof flags / sizeof flags[0], argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (device < 0 && ctx->device) {
        char *end;
        long v = strtol(ctx->device, &end, 10);
        device = *ctx->device && !*end && v >= 0 && v < 1 << 20 ? (int)v : -1;
    }
    if (device < 0) {
        fprintf(stderr, "pcnn-cl tune: --device N is required (an OpenCL device index; see pcnn-cl devices)\n");
        return EXIT_USAGE;
    }
    pcnn_config check = {0};
    if (pcnn_config_preset(preset, &check)) {
        cli_report_error();
        return EXIT_USAGE;
    }
    if (device == 0) {
        fprintf(stderr, "pcnn-cl tune: --device 0 is the CPU backend (OpenBLAS); tune needs an OpenCL device (1..)\n");
        return EXIT_USAGE;
    }
#ifdef PCNN_OPENCL
    /* Measure "before" at CLBlast's defaults, not at an earlier tuning's values. */
    setenv("PCNN_NO_TUNE", "1", 1);
    clblast_tune_report rep;
    pcnn_status st = clblast_tune_run(device, preset, batch, budget, &rep);
    if (st) {
        cli_report_error();
        return cli_exit_code(st);
    }
    if (rep.gemm_tuned) {
        const cl_gemm_tiles *b = &rep.gemm.best;
        printf("masked_candidates=%d masked_valid=%d\n", rep.gemm.tried, rep.gemm.valid);
        printf("masked_before_gflops=%.2f\nmasked_after_gflops=%.2f\nmasked_speedup=%.2f\n", rep.gemm.before_gflops,
               rep.gemm.after_gflops, rep.gemm.after_gflops / rep.gemm.before_gflops);
        printf("masked_tiles MR=%d NR=%d MC=%d TN_CHUNK=%d\n", b->mr, b->nr, b->mc, b->tn_chunk);
    }
    printf("candidates=%d valid=%d\n", rep.tried, rep.valid);
    printf("before_gflops=%.2f\nafter_gflops=%.2f\nspeedup=%.2f\n", rep.before_gflops, rep.after_gflops,
           rep.after_gflops / rep.before_gflops);
    if (rep.best.n)
        printf("wrote %s\n", rep.path);
    else
        printf("nothing beat CLBlast's defaults; %s left as it was\n", rep.path);
    return 0;
#else
    fprintf(stderr, "pcnn-cl tune: built without OpenCL; there is no device %d\n", device);
    return EXIT_USAGE;
#endif
}
