/* Device numbering and selection: 0 is the native CPU backend, 1.. the
 * OpenCL devices in platform order (when built with PCNN_OPENCL). */
#include "pcnn/device.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#ifdef PCNN_OPENCL
#include "opencl/cl_backend.h"
#endif

static int opencl_count(const char **why)
{
#ifdef PCNN_OPENCL
    return backend_cl_device_count(why);
#else
    if (why)
        *why = "pcnn-cl was built without OpenCL (PCNN_OPENCL=OFF or no OpenCL found at build time)";
    return 0;
#endif
}

int pcnn_device_count(const char **why_no_opencl) { return 1 + opencl_count(why_no_opencl); }

pcnn_status pcnn_device_describe(int index, pcnn_device_info *info)
{
    memset(info, 0, sizeof *info);
    if (index < 0 || index >= pcnn_device_count(NULL))
        return pcnn_fail(PCNN_ERR_ARG, "no device %d (see pcnn-cl devices)", index);
    if (index == 0) {
        backend *cpu = backend_cpu_create();
        if (!cpu)
            return PCNN_ERR_MEMORY;
        snprintf(info->backend, sizeof info->backend, "cpu");
        snprintf(info->platform, sizeof info->platform, "native");
        snprintf(info->platform_vendor, sizeof info->platform_vendor, "pcnn-cl");
        snprintf(info->name, sizeof info->name, "%s", cpu->name);
        snprintf(info->type, sizeof info->type, "CPU");
        snprintf(info->vendor, sizeof info->vendor, "-");
        snprintf(info->driver, sizeof info->driver, "-");
        cpu->ops->destroy(cpu);
        return PCNN_OK;
    }
#ifdef PCNN_OPENCL
    backend_cl_describe(index - 1, info);
#endif
    return PCNN_OK;
}

pcnn_status pcnn_device_open(int index, pcnn_device **out)
{
    *out = NULL;
    if (index == 0) { /* the CPU backend never needs OpenCL enumerated */
        *out = backend_cpu_create();
        return *out ? PCNN_OK : PCNN_ERR_MEMORY;
    }
    const char *why = NULL;
    int n = pcnn_device_count(&why);
    if (index < 0 || index >= n)
        return pcnn_fail(PCNN_ERR_ARG, "--device %d: no such device (0 is the CPU backend%s%s; see pcnn-cl devices)",
                         index, n > 1 ? "" : "; ", n > 1 ? "" : why);
#ifdef PCNN_OPENCL
    *out = backend_cl_create(index - 1);
#endif
    return *out ? PCNN_OK : PCNN_ERR_DEVICE;
}

static int contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return 1;
    }
    return n == 0;
}

pcnn_status pcnn_device_open_spec(const char *spec, pcnn_device **out)
{
    *out = NULL;
    char *end;
    long index = spec ? strtol(spec, &end, 10) : -1;
    if (spec && *spec && end != spec && !*end) /* an index: no need to enumerate OpenCL for device 0 */
        return pcnn_device_open(index < 0 || index > 1 << 20 ? -1 : (int)index, out);
    int n = pcnn_device_count(NULL);
    if (!spec || !*spec) { /* default: the first OpenCL GPU, else the CPU backend */
        for (int i = 1; i < n; i++) {
            pcnn_device_info info;
            if (pcnn_device_describe(i, &info) == PCNN_OK && info.is_gpu)
                return pcnn_device_open(i, out);
        }
        return pcnn_device_open(0, out);
    }
    for (int i = 0; i < n; i++) {
        pcnn_device_info info;
        if (pcnn_device_describe(i, &info) != PCNN_OK)
            continue;
        char all[700];
        snprintf(all, sizeof all, "%s %s %s %s %s", info.backend, info.platform, info.platform_vendor, info.name,
                 info.vendor);
        if (contains_nocase(all, spec))
            return pcnn_device_open(i, out);
    }
    return pcnn_fail(PCNN_ERR_ARG, "--device '%s': no device index or name matches (see pcnn-cl devices)", spec);
}

void pcnn_device_close(pcnn_device *dev)
{
    if (dev)
        dev->ops->destroy(dev);
}

const char *pcnn_device_name(const pcnn_device *dev) { return dev->name; }
size_t pcnn_device_bytes_in_use(const pcnn_device *dev) { return dev->bytes_in_use; }
size_t pcnn_device_bytes_peak(const pcnn_device *dev) { return dev->bytes_peak; }
