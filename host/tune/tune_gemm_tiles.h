/* `pcnn-cl tune` on a device that runs the masked products of cl/gemm.cl:
 * searches their tile parameters (register tile, rows per work-item, the
 * weight gradient's row chunk) for the model's own products. Only built with
 * PCNN_OPENCL; no OpenCL types here. */
#ifndef PCNN_CL_GEMM_TUNE_H
#define PCNN_CL_GEMM_TUNE_H

#include "backend/backend.h"
#include "opencl/cl_gemm_tiles.h"
#include "pcnn/model.h"

typedef struct {
    int tried, valid;                   /* tile sets timed; of those, accepted */
    double before_gflops, after_gflops; /* one step's masked products, count-weighted */
    cl_gemm_tiles best;
} cl_gemm_tune_report;

/* Times one training step's masked products (batch x H x W images of model
 * m) on OpenCL backend `be` for each candidate, for about budget_s seconds,
 * starting from the tiles it has; leaves it with the best. */
pcnn_status cl_gemm_tune_run(backend *be, const pcnn_model *m, int batch, int H, int W, double budget_s,
                             cl_gemm_tune_report *rep);

#endif
