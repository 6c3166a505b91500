/* The OpenCL backend's entry points, free of OpenCL types so device.c, the
 * tuner and the tests need no OpenCL headers. Only built with PCNN_OPENCL. */
#ifndef PCNN_CL_BACKEND_H
#define PCNN_CL_BACKEND_H

#include <stddef.h>

#include "backend/backend.h"
#include "io/io_tune_file.h"
#include "opencl/cl_gemm_tiles.h"
#include "pcnn/device_types.h"

/* The OpenCL devices (device indices 1..n); *why says why there are none. */
int backend_cl_device_count(const char **why);
/* Describes OpenCL device i (0-based: device index i + 1). */
void backend_cl_describe(int i, pcnn_device_info *info);
/* Creates the backend on OpenCL device i: context, queue, `pcnn-cl tune`'s
 * parameters (host/opencl/cl_tuning.c), the kernels of cl/<family>.cl (from
 * the compile cache or built), CLBlast. NULL + message on failure. */
backend *backend_cl_create(int i, const pcnn_device_opts *opts);

/* What `pcnn-cl tune` (host/tune/) needs of a backend it searches on. */
const pcnn_device_info *backend_cl_info(const backend *be);
/* Whether the masked products run cl/gemm.cl's kernels (else CLBlast). */
int backend_cl_masked_kernels(const backend *be);
/* The largest work-group and the local memory, bytes (CLBlast's constraints). */
void backend_cl_limits(const backend *be, size_t *max_work_group, size_t *local_mem);
/* The device's tune file ("" when the backend has no cache directory). */
const char *backend_cl_tune_file(const backend *be);
/* cl/gemm.cl's tiles, and rebuilding the kernels for others. */
void backend_cl_gemm_tiles(const backend *be, cl_gemm_tiles *t);
pcnn_status backend_cl_set_gemm_tiles(backend *be, const cl_gemm_tiles *t);
/* Overrides CLBlast's parameters for this device with the CLBlast lines of
 * `set` (each checked first). */
pcnn_status backend_cl_apply_clblast(backend *be, const tune_set *set);

/* Over every kernel: the largest work-group it is launched with and the
 * most local memory it takes (CL_KERNEL_LOCAL_MEM_SIZE), bytes (tests of the
 * forced limits of device_types.h). */
void backend_cl_kernel_limits(const backend *be, size_t *largest_local, size_t *largest_local_mem);

/* Programs this backend compiled from source and programs it loaded from
 * the compile cache (tests: a second start builds nothing). */
void backend_cl_program_counts(const backend *be, int *built, int *cached);

#endif
