/* Building the kernels of one cl/<family>.cl file for one device: the source comes
 * from the binary (embedded at build time) or from $PCNN_CL_DIR (kernel
 * development); the program binary comes from the compile cache when a valid
 * entry exists, else it is built from source and stored. */
#ifndef PCNN_CL_PROGRAM_H
#define PCNN_CL_PROGRAM_H

#include <CL/cl.h>

#include "opencl/cl_devices.h"

typedef struct {
    int built;  /* programs compiled from source */
    int cached; /* programs loaded from the compile cache */
} cl_program_counts;

/* Builds (or loads) `file` (e.g. "im2col.cl") with `options` for dev. A build
 * failure names the device, the kernel file and gives the build log. */
pcnn_status cl_program_get(cl_context ctx, const cl_device_entry *dev, const char *file, const char *options,
                           cl_program *out, cl_program_counts *counts);

#endif
