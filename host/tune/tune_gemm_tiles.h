/* `pcnn-cl tune` on a device that runs the masked products of cl/gemm.cl:
 * searches their tile parameters (register tile, rows per work-item, the
 * weight gradient's row chunk) for the model's own products. Only built with
 * PCNN_OPENCL; no OpenCL types here. */
#ifndef PCNN_TUNE_GEMM_TILES_H
#define PCNN_TUNE_GEMM_TILES_H

#include "bench/bench_gemm.h"
#include "opencl/cl_backend.h"

typedef struct {
    int tried, valid;                   /* tile sets timed; of those, accepted */
    double before_gflops, after_gflops; /* one step's masked products, count-weighted */
    cl_gemm_tiles best;
} tune_tiles_report;

/* Times the masked products `shapes` (one training step's, as recorded) on OpenCL backend
 * `be` for each candidate, for about budget_s seconds, starting from the
 * tiles it has; leaves it with the best. Progress lines go to log. */
pcnn_status tune_gemm_tiles(backend *be, const step_product *shapes, int n_shapes, double budget_s, const pcnn_log *log,
                            tune_tiles_report *rep);

#endif
