/* The tune job: see tune.h. */
#include "tune/tune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_clock.h"
#include "base/base_try.h"
#include "model/model_types.h"

static pcnn_status search(backend *be, const pcnn_model *m, int batch, double budget_s, const pcnn_log *log,
                          tune_report *rep)
{
    const pcnn_config *cfg = pcnn_model_config(m);
    step_product *all = NULL, *masked = NULL, *gemms = NULL;
    int n_all = 0, n_masked = 0, n_gemms = 0;
    double t0 = clock_now_s();
    pcnn_status st = step_products_record(be, cfg, batch, cfg->height, cfg->width, &all, &n_all);
    rep->tiles_tuned = backend_cl_masked_kernels(be);
    if (!st && rep->tiles_tuned)
        st = step_products_select(all, n_all, -1, &masked, &n_masked);
    if (!st && rep->tiles_tuned)
        st = tune_gemm_tiles(be, masked, n_masked, budget_s / 2, log, &rep->tiles);
    /* CLBlast's own products: the GPU route's per-group GEMMs, or the fast
     * sampler's where cl/gemm.cl runs the training products. */
    if (!st)
        st = step_products_select(all, n_all, PRODUCT_GEMM, &gemms, &n_gemms);
    if (!st && n_gemms == 0) {
        free(gemms);
        gemms = NULL;
        st = step_products_record_composed(cfg, batch, cfg->height, cfg->width, &gemms, &n_gemms);
    }
    double left = budget_s - (clock_now_s() - t0);
    if (!st)
        st = tune_clblast(be, gemms, n_gemms, left > 1 ? left : 1, log, &rep->clblast);
    free(all);
    free(masked);
    free(gemms);
    return st;
}

pcnn_status tune_run(const char *spec, const pcnn_device_opts *opts, const pcnn_config *cfg, int batch, double budget_s,
                     tune_report *rep)
{
    memset(rep, 0, sizeof *rep);
    int index;
    TRY(pcnn_device_select(spec, opts->local_rank, &index));
    if (index == 0)
        return pcnn_fail(PCNN_ERR_ARG, "--device 0 is the CPU backend (OpenBLAS and our own kernels need no tuning); "
                                       "tune needs an OpenCL device (1..; see pcnn-cl devices)");
    pcnn_device_opts untuned = *opts;
    untuned.no_tune = 1; /* "before" is the defaults, not an earlier tuning's values */
    pcnn_device *dev = NULL;
    TRY(pcnn_device_open_index(index, &untuned, &dev));
    snprintf(rep->path, sizeof rep->path, "%s", backend_cl_tune_file(dev));
    pcnn_model *m = NULL;
    pcnn_status st = rep->path[0] ? pcnn_model_create(dev, cfg, &m)
                                  : pcnn_fail(PCNN_ERR_IO, "tune: no cache directory to store the results in "
                                                           "(set XDG_CACHE_HOME or HOME)");
    if (!st)
        st = search(dev, m, batch, budget_s, &opts->log, rep);
    tune_set best = rep->clblast.best;
    /* Tiles nobody tried are the defaults: a budget too short to try any stores nothing. */
    if (!st && rep->tiles_tuned && rep->tiles.tried > 0 && best.n < TUNE_MAX_KERNELS)
        cl_gemm_tiles_to_tune(&rep->tiles.best, &best.kernels[best.n++]);
    rep->saved = !st && best.n > 0;
    if (rep->saved) {
        const pcnn_device_info *info = backend_cl_info(dev);
        st = tune_save(rep->path, &best, info->name, info->driver);
    }
    pcnn_model_free(m);
    pcnn_device_close(dev);
    return st;
}
