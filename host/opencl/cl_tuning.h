/* `pcnn-cl tune`'s results for one OpenCL device, applied when its backend is
 * created: the tune file in the cache directory (host/io/io_tune_file.h) is
 * read once and gives both CLBlast's parameter overrides and cl/gemm.cl's
 * tiles. A file that is malformed, made for another device or driver, or has
 * a line that cannot work on this device is ignored (the line, or the file)
 * with a warning naming the file, so CLBlast never runs with parameters that
 * break it. Internal to the OpenCL backend. */
#ifndef PCNN_CL_TUNING_H
#define PCNN_CL_TUNING_H

#include "io/io_tune_file.h"
#include "opencl/cl_devices.h"
#include "opencl/cl_gemm_tiles.h"

typedef struct {
    char path[2200];  /* the device's tune file ("" without a cache directory) */
    tune_set clblast; /* the CLBlast lines that were applied */
    int have_tiles;   /* a valid PcnnGemm line was found: tiles */
    cl_gemm_tiles tiles;
} cl_tuning;

/* Reads dev's tune file from cache_dir (nothing when cache_dir is NULL or ""
 * or no_tune) and applies its CLBlast lines; warnings go to log. */
void cl_tuning_load(const cl_device_entry *dev, const char *cache_dir, int no_tune, const pcnn_log *log,
                    cl_tuning *out);

/* Checks the CLBlast lines of `set` against dev and applies them (the tuner's
 * candidates); PCNN_ERR_ARG naming the line if one cannot work there. */
pcnn_status cl_tuning_apply_clblast(const cl_device_entry *dev, const tune_set *set);

#endif
