/* Device numbering, selection and opening: 0 is the native CPU backend, 1..
 * the OpenCL devices in platform order (when built with PCNN_OPENCL). */
#include "pcnn/device.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "base/base_sysinfo.h"
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
        backend *cpu = backend_cpu_create(0);
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

static const char *const ROUTE_NAMES[] = {"auto", "clblast", "kernels"};

const char *pcnn_gemm_route_name(pcnn_gemm_route route) { return ROUTE_NAMES[route]; }

pcnn_status pcnn_gemm_route_parse(const char *text, pcnn_gemm_route *out)
{
    for (int i = 0; i < 3; i++)
        if (text && strcmp(text, ROUTE_NAMES[i]) == 0) {
            *out = (pcnn_gemm_route)i;
            return PCNN_OK;
        }
    return pcnn_fail(PCNN_ERR_ARG, "--gemm '%s': expected auto, clblast or kernels", text ? text : "");
}

pcnn_device_opts pcnn_device_opts_default(void) { return (pcnn_device_opts){.gemm = PCNN_GEMM_AUTO}; }

pcnn_status pcnn_device_open_index(int index, const pcnn_device_opts *opts, pcnn_device **out)
{
    *out = NULL;
    pcnn_device_opts none = pcnn_device_opts_default();
    if (!opts)
        opts = &none;
    if (index == 0) { /* the CPU backend never needs OpenCL enumerated */
        *out = backend_cpu_create(opts->sample_composed);
        return *out ? PCNN_OK : PCNN_ERR_MEMORY;
    }
    const char *why = NULL;
    int n = pcnn_device_count(&why);
    if (index < 0 || index >= n)
        return pcnn_fail(PCNN_ERR_ARG, "--device %d: no such device (0 is the CPU backend%s%s; see pcnn-cl devices)",
                         index, n > 1 ? "" : "; ", n > 1 ? "" : why);
#ifdef PCNN_OPENCL
    *out = backend_cl_create(index - 1, opts);
#endif
    return *out ? PCNN_OK : PCNN_ERR_DEVICE;
}

static int contains_nocase(const char *hay, const char *needle, size_t n)
{
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return 1;
    }
    return n == 0;
}

/* One entry of a spec, [p, p + n), already trimmed. */
static pcnn_status select_one(const char *p, size_t n, const char *spec, int *index)
{
    int count = pcnn_device_count(NULL), digits = n > 0;
    for (size_t i = 0; i < n; i++)
        digits &= isdigit((unsigned char)p[i]) != 0;
    if (digits) { /* an index, never a name: "1" must not match "0.3.21" in device 0's name */
        long v = n <= 7 ? strtol(p, NULL, 10) : -1;
        if (v < 0 || v >= count)
            return pcnn_fail(PCNN_ERR_ARG, "--device '%s': no device %.*s (0..%d; see pcnn-cl devices)", spec, (int)n,
                             p, count - 1);
        *index = (int)v;
        return PCNN_OK;
    }
    if (n > 0 && (p[0] == '-' || p[0] == '+') && n > 1 && isdigit((unsigned char)p[1]))
        return pcnn_fail(PCNN_ERR_ARG, "--device '%s': device indices are 0..%d (see pcnn-cl devices)", spec,
                         count - 1);
    for (int i = 0; i < count; i++) {
        pcnn_device_info info;
        if (pcnn_device_describe(i, &info) != PCNN_OK)
            continue;
        char all[700];
        snprintf(all, sizeof all, "%s %s %s %s %s", info.backend, info.platform, info.platform_vendor, info.name,
                 info.vendor);
        if (contains_nocase(all, p, n)) {
            *index = i;
            return PCNN_OK;
        }
    }
    return pcnn_fail(PCNN_ERR_ARG, "--device '%s': no device index or name matches (see pcnn-cl devices)", spec);
}

static int is_space(char c) { return isspace((unsigned char)c) != 0; }

pcnn_status pcnn_device_select(const char *spec, int local_rank, int *index)
{
    *index = 0;
    const char *p = spec ? spec : "";
    while (is_space(*p))
        p++;
    if (!*p) { /* default: the OpenCL GPUs, one per local rank in turn; else the CPU backend */
        int gpus[64], n_gpus = 0, count = pcnn_device_count(NULL);
        for (int i = 1; i < count && n_gpus < 64; i++) {
            pcnn_device_info info;
            if (pcnn_device_describe(i, &info) == PCNN_OK && info.is_gpu)
                gpus[n_gpus++] = i;
        }
        *index = n_gpus ? gpus[(local_rank < 0 ? 0 : local_rank) % n_gpus] : 0;
        return PCNN_OK;
    }
    /* A list: entry local_rank, cycled. */
    int entries = 1;
    for (const char *q = p; *q; q++)
        entries += *q == ',';
    int want = (local_rank < 0 ? 0 : local_rank) % entries;
    for (int e = 0; e < want; e++)
        p = strchr(p, ',') + 1;
    const char *end = strchr(p, ',');
    if (!end)
        end = p + strlen(p);
    while (p < end && is_space(*p))
        p++;
    while (end > p && is_space(end[-1]))
        end--;
    if (p == end)
        return pcnn_fail(PCNN_ERR_ARG, "--device '%s': an empty entry in the list", spec);
    return select_one(p, (size_t)(end - p), spec, index);
}

pcnn_status pcnn_device_open(const char *spec, const pcnn_device_opts *opts, pcnn_device **out)
{
    *out = NULL;
    int index;
    if (pcnn_device_select(spec, opts ? opts->local_rank : 0, &index))
        return PCNN_ERR_ARG;
    return pcnn_device_open_index(index, opts, out);
}

void pcnn_device_close(pcnn_device *dev)
{
    if (dev)
        dev->ops->destroy(dev);
}

const char *pcnn_device_name(const pcnn_device *dev) { return dev->name; }

const char *pcnn_device_label(const pcnn_device *dev, char *buf, size_t size)
{
    if (strncmp(dev->name, "CPU (OpenBLAS", 13) != 0) { /* device 0's name: cpu_backend.c */
        snprintf(buf, size, "%s", dev->name);
        return buf;
    }
    sysinfo si;
    sysinfo_get(&si);
    snprintf(buf, size, "native CPU (%s, %d cores)", si.cpu_model, si.cores);
    return buf;
}
size_t pcnn_device_bytes_in_use(const pcnn_device *dev) { return dev->bytes_in_use; }
