/* `pcnn-cl tune`: on one OpenCL device, searches the parameters of the
 * products a training step of the model issues there (cl/gemm.cl's tiles
 * where the device runs them, CLBlast's GEMM parameters for the CLBlast
 * products) and stores the best in the device's tune file, which the backend
 * applies at every start (host/opencl/cl_tuning.c). A job above device.c: it
 * opens the device untuned, so "before" is the defaults. Only built with
 * PCNN_OPENCL. */
#ifndef PCNN_TUNE_H
#define PCNN_TUNE_H

#include "pcnn/config.h"
#include "pcnn/device.h"
#include "tune/tune_clblast.h"
#include "tune/tune_gemm_tiles.h"

typedef struct {
    int tiles_tuned; /* the device runs cl/gemm.cl's masked products: their tiles were searched */
    tune_tiles_report tiles;
    tune_clblast_report clblast;
    char path[2200]; /* the tune file */
    int saved;       /* something beat the defaults and was stored */
} tune_report;

/* Tunes the device `spec` names (opened with opts, its tuning ignored) for
 * the products of one training step of `cfg` at `batch`, for about budget_s
 * seconds: where the device runs cl/gemm.cl's products their tiles get up to
 * half the budget, CLBlast (which the fast sampler's small products use
 * everywhere) the rest. */
pcnn_status tune_run(const char *spec, const pcnn_device_opts *opts, const pcnn_config *cfg, int batch, double budget_s,
                     tune_report *rep);

#endif
