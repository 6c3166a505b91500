/* Building the kernels of one cl/<family>.cl file for one device: the source comes
 * from the binary (embedded at build time) or from a kernel directory (kernel
 * development: the device option kernel_dir, PCNN_CL_DIR); the program binary
 * comes from the compile cache when a valid entry exists, else it is built
 * from source and stored. */
#ifndef PCNN_CL_PROGRAM_H
#define PCNN_CL_PROGRAM_H

#include <CL/cl.h>

#include "opencl/cl_devices.h"

typedef struct {
    int built;  /* programs compiled from source */
    int cached; /* programs loaded from the compile cache */
} cl_program_counts;

/* Where sources and binaries come from: "" = the embedded sources, no cache. */
typedef struct {
    char kernel_dir[2048];
    char cache_dir[2048];
} cl_build_env;

/* Builds (or loads) `file` (e.g. "im2col.cl") with `options` for dev. A build
 * failure names the device and the kernel file and gives the start of the
 * build log; the whole log is kept in the cache directory and named. */
pcnn_status cl_program_get(cl_context ctx, const cl_device_entry *dev, const cl_build_env *env, const char *file,
                           const char *options, cl_program *out, cl_program_counts *counts);

#endif
