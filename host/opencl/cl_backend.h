/* The OpenCL backend's entry points, free of OpenCL types so device.c and the
 * tests need no OpenCL headers. Only built with PCNN_OPENCL. */
#ifndef PCNN_BACKEND_CL_H
#define PCNN_BACKEND_CL_H

#include "backend/backend.h"
#include "opencl/cl_gemm_tiles.h"
#include "pcnn/device_info.h"

/* The OpenCL devices (device indices 1..n); *why says why there are none. */
int backend_cl_device_count(const char **why);
/* Describes OpenCL device i (0-based: device index i + 1). */
void backend_cl_describe(int i, pcnn_device_info *info);
/* Creates the backend on OpenCL device i: context, queue, the kernels of
 * cl/<family>.cl (from the compile cache or built), CLBlast. NULL + message on failure. */
backend *backend_cl_create(int i);

/* The tiles of the masked products (cl/gemm.cl) this backend uses, and
 * rebuilding its kernels for others (`pcnn-cl tune`). */
void backend_cl_gemm_tiles(const backend *be, cl_gemm_tiles *t);
pcnn_status backend_cl_set_gemm_tiles(backend *be, const cl_gemm_tiles *t);

/* Programs this backend compiled from source and programs it loaded from
 * the compile cache (tests: a second start builds nothing). */
void backend_cl_program_counts(const backend *be, int *built, int *cached);

#endif
