/* Tuning CLBlast's GEMM for the model's own shapes on one OpenCL device
 * (`pcnn-cl tune`), and applying the stored result at every start of the
 * OpenCL backend. Only built with PCNN_OPENCL. */
#ifndef PCNN_CLBLAST_TUNE_H
#define PCNN_CLBLAST_TUNE_H

#include "io/io_tune_file.h"
#include "pcnn/error.h"
#include "tune/tune_gemm_tiles.h"

/* What a tuning run found. */
typedef struct {
    int tried, valid;                     /* candidates timed; of those, accepted */
    double before_gflops, after_gflops;   /* one step's GEMMs, count-weighted */
    tune_set best;
    char path[4200]; /* where it was stored */
    int gemm_tuned;  /* the device runs cl/gemm.cl's masked products: their tiles were searched too */
    cl_gemm_tune_report gemm;
} clblast_tune_report;

/* Tunes on device `index` (an OpenCL device) for the GEMMs of preset `preset`
 * at batch x 32x32x3, for about budget_s seconds, and stores the best. Where
 * the device runs cl/gemm.cl's masked products (training's products), their
 * tiles are searched first, with up to half the budget; CLBlast (which the
 * fast sampler's small products still use) gets the rest. */
pcnn_status clblast_tune_run(int index, const char *preset, int batch, double budget_s, clblast_tune_report *rep);

/* Called by backend_cl_create (the OpenCL device entry as void *, so this
 * header needs no OpenCL): applies the stored parameters, if any; a corrupt
 * or foreign file is ignored with a warning on stderr. PCNN_NO_TUNE=1 skips it
 * (tune measures CLBlast's defaults that way). */
void clblast_tune_apply(const void *cl_device_entry);

#endif
