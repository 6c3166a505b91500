/* OpenCL device enumeration and status names: see cl_devices.h. */
#include "opencl/cl_devices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_PLATFORMS = 16, MAX_DEVICES_PER_PLATFORM = 32 };

/* Enumerated once; device handles of the ICD are process-lifetime objects. */
static cl_device_entry entries[MAX_PLATFORMS * MAX_DEVICES_PER_PLATFORM];
static int n_entries = -1;
static char why_none[256];

static void platform_str(cl_platform_id p, cl_platform_info what, char *dst, size_t n)
{
    if (clGetPlatformInfo(p, what, n, dst, NULL) != CL_SUCCESS)
        snprintf(dst, n, "?");
    dst[n - 1] = '\0';
}

static void device_str(cl_device_id d, cl_device_info what, char *dst, size_t n)
{
    if (clGetDeviceInfo(d, what, n, dst, NULL) != CL_SUCCESS)
        snprintf(dst, n, "?");
    dst[n - 1] = '\0';
}

/* OpenCL 1.2 makes double optional: the extension says kernels may use it.
 * Extension lists run to several KiB (Intel GPUs), so the length is asked first. */
static int has_extension(cl_device_id d, const char *name)
{
    size_t len = 0;
    if (clGetDeviceInfo(d, CL_DEVICE_EXTENSIONS, 0, NULL, &len) != CL_SUCCESS || len == 0)
        return 0;
    char *ext = malloc(len + 1);
    int found = 0;
    if (ext && clGetDeviceInfo(d, CL_DEVICE_EXTENSIONS, len, ext, NULL) == CL_SUCCESS) {
        ext[len] = '\0';
        size_t nl = strlen(name);
        for (const char *s = strstr(ext, name); s && !found; s = strstr(s + 1, name))
            found = (s == ext || s[-1] == ' ') && (s[nl] == ' ' || s[nl] == '\0');
    }
    free(ext);
    return found;
}

static const char *type_name(cl_device_type t)
{
    if (t & CL_DEVICE_TYPE_GPU)
        return "GPU";
    if (t & CL_DEVICE_TYPE_CPU)
        return "CPU";
    if (t & CL_DEVICE_TYPE_ACCELERATOR)
        return "accelerator";
    return "other";
}

static void describe(cl_device_entry *e, cl_platform_id p, cl_device_id d, int index)
{
    memset(e, 0, sizeof *e);
    e->platform = p;
    e->device = d;
    pcnn_device_info *in = &e->info;
    in->index = index;
    snprintf(in->backend, sizeof in->backend, "opencl");
    platform_str(p, CL_PLATFORM_NAME, in->platform, sizeof in->platform);
    platform_str(p, CL_PLATFORM_VENDOR, in->platform_vendor, sizeof in->platform_vendor);
    platform_str(p, CL_PLATFORM_VERSION, e->platform_version, sizeof e->platform_version);
    device_str(d, CL_DEVICE_NAME, in->name, sizeof in->name);
    device_str(d, CL_DEVICE_VENDOR, in->vendor, sizeof in->vendor);
    device_str(d, CL_DRIVER_VERSION, in->driver, sizeof in->driver);
    cl_device_type type = 0;
    cl_uint units = 0;
    cl_ulong global = 0, max_alloc = 0, local_mem = 0;
    size_t max_wg = 1;
    cl_device_fp_config fp = 0;
    clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof type, &type, NULL);
    clGetDeviceInfo(d, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof units, &units, NULL);
    clGetDeviceInfo(d, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof global, &global, NULL);
    clGetDeviceInfo(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof max_alloc, &max_alloc, NULL);
    clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof max_wg, &max_wg, NULL);
    clGetDeviceInfo(d, CL_DEVICE_SINGLE_FP_CONFIG, sizeof fp, &fp, NULL);
    clGetDeviceInfo(d, CL_DEVICE_LOCAL_MEM_SIZE, sizeof local_mem, &local_mem, NULL);
    snprintf(in->type, sizeof in->type, "%s", type_name(type));
    in->is_gpu = (type & CL_DEVICE_TYPE_GPU) != 0;
    in->compute_units = (int)units;
    in->global_mem = global;
    in->max_alloc = max_alloc;
    e->max_work_group = (cl_uint)max_wg;
    e->local_mem = local_mem ? (size_t)local_mem : 32768;
    e->correct_div_sqrt = (fp & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0;
    e->fp64 = has_extension(d, "cl_khr_fp64");
}

static void enumerate(void)
{
    n_entries = 0;
    cl_platform_id platforms[MAX_PLATFORMS];
    cl_uint np = 0;
    cl_int st = clGetPlatformIDs(MAX_PLATFORMS, platforms, &np);
    if (st != CL_SUCCESS || np == 0) {
        /* -1001 is CL_PLATFORM_NOT_FOUND_KHR: the ICD loader found no driver. */
        snprintf(why_none, sizeof why_none,
                 "no OpenCL platform (%s): no OpenCL driver (ICD) is installed, e.g. pocl-opencl-icd or a GPU "
                 "vendor's driver",
                 st == CL_SUCCESS ? "none listed" : cl_status_name(st));
        return;
    }
    for (cl_uint p = 0; p < np && p < MAX_PLATFORMS; p++) {
        cl_device_id devs[MAX_DEVICES_PER_PLATFORM];
        cl_uint nd = 0;
        if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, MAX_DEVICES_PER_PLATFORM, devs, &nd) != CL_SUCCESS)
            continue;
        for (cl_uint d = 0; d < nd && d < MAX_DEVICES_PER_PLATFORM; d++, n_entries++)
            describe(&entries[n_entries], platforms[p], devs[d], n_entries + 1);
    }
    if (n_entries == 0)
        snprintf(why_none, sizeof why_none, "%u OpenCL platform(s) but no device on any of them", np);
}

int cl_device_entries(const cl_device_entry **list, const char **why)
{
    if (n_entries < 0)
        enumerate();
    *list = entries;
    if (why)
        *why = why_none;
    return n_entries;
}

const char *cl_status_name(cl_int status)
{
    switch (status) {
#define NAME(code)                                                                                                     \
    case code:                                                                                                         \
        return #code;
        NAME(CL_SUCCESS)
        NAME(CL_DEVICE_NOT_FOUND)
        NAME(CL_DEVICE_NOT_AVAILABLE)
        NAME(CL_COMPILER_NOT_AVAILABLE)
        NAME(CL_MEM_OBJECT_ALLOCATION_FAILURE)
        NAME(CL_OUT_OF_RESOURCES)
        NAME(CL_OUT_OF_HOST_MEMORY)
        NAME(CL_PROFILING_INFO_NOT_AVAILABLE)
        NAME(CL_MEM_COPY_OVERLAP)
        NAME(CL_IMAGE_FORMAT_MISMATCH)
        NAME(CL_IMAGE_FORMAT_NOT_SUPPORTED)
        NAME(CL_BUILD_PROGRAM_FAILURE)
        NAME(CL_MAP_FAILURE)
        NAME(CL_MISALIGNED_SUB_BUFFER_OFFSET)
        NAME(CL_COMPILE_PROGRAM_FAILURE)
        NAME(CL_LINKER_NOT_AVAILABLE)
        NAME(CL_LINK_PROGRAM_FAILURE)
        NAME(CL_INVALID_VALUE)
        NAME(CL_INVALID_DEVICE_TYPE)
        NAME(CL_INVALID_PLATFORM)
        NAME(CL_INVALID_DEVICE)
        NAME(CL_INVALID_CONTEXT)
        NAME(CL_INVALID_QUEUE_PROPERTIES)
        NAME(CL_INVALID_COMMAND_QUEUE)
        NAME(CL_INVALID_HOST_PTR)
        NAME(CL_INVALID_MEM_OBJECT)
        NAME(CL_INVALID_BINARY)
        NAME(CL_INVALID_BUILD_OPTIONS)
        NAME(CL_INVALID_PROGRAM)
        NAME(CL_INVALID_PROGRAM_EXECUTABLE)
        NAME(CL_INVALID_KERNEL_NAME)
        NAME(CL_INVALID_KERNEL_DEFINITION)
        NAME(CL_INVALID_KERNEL)
        NAME(CL_INVALID_ARG_INDEX)
        NAME(CL_INVALID_ARG_VALUE)
        NAME(CL_INVALID_ARG_SIZE)
        NAME(CL_INVALID_KERNEL_ARGS)
        NAME(CL_INVALID_WORK_DIMENSION)
        NAME(CL_INVALID_WORK_GROUP_SIZE)
        NAME(CL_INVALID_WORK_ITEM_SIZE)
        NAME(CL_INVALID_GLOBAL_OFFSET)
        NAME(CL_INVALID_EVENT_WAIT_LIST)
        NAME(CL_INVALID_EVENT)
        NAME(CL_INVALID_OPERATION)
        NAME(CL_INVALID_BUFFER_SIZE)
        NAME(CL_INVALID_GLOBAL_WORK_SIZE)
#undef NAME
    case -1001:
        return "CL_PLATFORM_NOT_FOUND_KHR";
    default:
        return "unknown OpenCL status";
    }
}
