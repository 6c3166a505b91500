/* The CLBlast half of `pcnn-cl tune`: searches CLBlast's GEMM parameters
 * (the direct/indirect switch, then Xgemm tiles) for the GEMMs the model
 * issues on a device that runs them through CLBlast. Only built with
 * PCNN_OPENCL; no OpenCL types here. */
#ifndef PCNN_TUNE_CLBLAST_H
#define PCNN_TUNE_CLBLAST_H

#include "bench/bench_gemm.h"
#include "io/io_tune_file.h"

typedef struct {
    int tried, valid;                   /* candidates timed; of those, accepted */
    double before_gflops, after_gflops; /* one step's GEMMs, count-weighted */
    tune_set best;                      /* empty when nothing beat CLBlast's defaults */
} tune_clblast_report;

/* Times the GEMMs `shapes` (plain products) on OpenCL backend `be` (opened untuned) for each
 * candidate, for about budget_s seconds; progress lines go to log. */
pcnn_status tune_clblast(backend *be, const step_product *shapes, int n_shapes, double budget_s, const pcnn_log *log,
                         tune_clblast_report *rep);

#endif
