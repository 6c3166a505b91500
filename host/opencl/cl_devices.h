/* OpenCL platforms and devices, enumerated once per process in platform
 * order (the order behind device indices 1, 2, ...). Internal to the OpenCL
 * backend: nothing above host/backend/backend.h includes this. */
#ifndef PCNN_CL_DEVICES_H
#define PCNN_CL_DEVICES_H

#include <CL/cl.h>

#include "pcnn/device_types.h"
#include "pcnn/error.h"

typedef struct {
    cl_platform_id platform;
    cl_device_id device;
    pcnn_device_info info; /* what `pcnn-cl devices` prints */
    char platform_version[128];
    cl_uint max_work_group;
    size_t local_mem;     /* CL_DEVICE_LOCAL_MEM_SIZE (32 KiB where the driver does not say) */
    int correct_div_sqrt; /* CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT for float */
    int fp64;             /* cl_khr_fp64: double in kernels (the sampler's CDF) */
} cl_device_entry;

/* All OpenCL devices (cached after the first call). When there are none, *why
 * says why (no ICD / no platform / platforms without devices). */
int cl_device_entries(const cl_device_entry **list, const char **why);

/* A readable name for an OpenCL status code ("CL_OUT_OF_RESOURCES"). */
const char *cl_status_name(cl_int status);

#endif
