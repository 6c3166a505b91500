/* Applying stored tuning: see cl_tuning.h. */
#include "opencl/cl_tuning.h"

#include <clblast_c.h>
#include <stdio.h>
#include <string.h>

#include "opencl/cl_clblast_params.h"
#include "opencl/cl_clblast_status.h"

static pcnn_status override(const cl_device_entry *dev, const tune_kernel *k)
{
    const char *names[TUNE_MAX_PARAMS];
    for (int i = 0; i < k->n; i++)
        names[i] = k->names[i];
    CLBlastStatusCode st =
        CLBlastOverrideParameters(dev->device, k->kernel, CLBlastPrecisionSingle, (size_t)k->n, names, k->values);
    return st == CLBlastSuccess ? PCNN_OK
                                : pcnn_fail(PCNN_ERR_DEVICE, "CLBlast refused the %s parameters: %s", k->kernel,
                                            clblast_status_message(st));
}

pcnn_status cl_tuning_apply_clblast(const cl_device_entry *dev, const tune_set *set)
{
    char why[200];
    for (int i = 0; i < set->n; i++) {
        const tune_kernel *k = &set->kernels[i];
        if (strcmp(k->kernel, CL_GEMM_TUNE_KERNEL) == 0)
            continue; /* our own kernels' tiles, not CLBlast's */
        if (!clblast_line_valid(k, dev->max_work_group, dev->local_mem, why, sizeof why))
            return pcnn_fail(PCNN_ERR_ARG, "%s", why);
    }
    for (int i = 0; i < set->n; i++)
        if (strcmp(set->kernels[i].kernel, CL_GEMM_TUNE_KERNEL) != 0 && override(dev, &set->kernels[i]))
            return PCNN_ERR_DEVICE;
    return PCNN_OK;
}

void cl_tuning_load(const cl_device_entry *dev, const char *cache_dir, int no_tune, const pcnn_log *log, cl_tuning *out)
{
    memset(out, 0, sizeof *out);
    if (!cache_dir || !*cache_dir)
        return;
    tune_file_path(out->path, sizeof out->path, cache_dir, dev->info.name, dev->info.driver);
    tune_set set;
    int found = 0;
    if (no_tune)
        return;
    if (tune_load(out->path, dev->info.name, dev->info.driver, &set, &found)) {
        pcnn_log_printf(log, "warning: ignoring the tuned parameters: %s (run pcnn-cl tune again, or delete it)",
                        pcnn_last_error());
        pcnn_clear_error();
        return;
    }
    char why[200];
    for (int i = 0; found && i < set.n; i++) {
        const tune_kernel *k = &set.kernels[i];
        if (strcmp(k->kernel, CL_GEMM_TUNE_KERNEL) == 0) {
            cl_gemm_tiles t;
            tune_set one = {.n = 1, .kernels = {*k}};
            if (cl_gemm_tiles_from_tune(&one, &t)) {
                out->tiles = t;
                out->have_tiles = 1;
            } else {
                pcnn_log_printf(log, "warning: %s: ignoring its %s line (tiles cl/gemm.cl cannot take)", out->path,
                                CL_GEMM_TUNE_KERNEL);
            }
            continue;
        }
        if (!clblast_line_valid(k, dev->max_work_group, dev->local_mem, why, sizeof why)) {
            pcnn_log_printf(log, "warning: %s: ignoring its %s line: %s", out->path, k->kernel, why);
            continue;
        }
        if (override(dev, k)) {
            pcnn_log_printf(log, "warning: %s: ignoring its %s line: %s", out->path, k->kernel, pcnn_last_error());
            pcnn_clear_error();
            continue;
        }
        out->clblast.kernels[out->clblast.n++] = *k;
    }
}
