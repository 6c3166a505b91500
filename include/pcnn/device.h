/* Compute devices. Index 0 is the native CPU backend; 1, 2, ... are OpenCL
 * devices in platform order (where OpenCL is available). */
#ifndef PCNN_DEVICE_H
#define PCNN_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "pcnn/device_types.h"
#include "pcnn/error.h"

/* Number of devices (1 + the OpenCL devices). When there is no OpenCL device,
 * *why_no_opencl (if not NULL) says why (no driver, OpenCL disabled at build). */
int pcnn_device_count(const char **why_no_opencl);
/* Describes device `index` (0 <= index < pcnn_device_count()). */
pcnn_status pcnn_device_describe(int index, pcnn_device_info *info);

/* Parses "auto", "clblast" or "kernels" (for --gemm and PCNN_GEMM), and back. */
pcnn_status pcnn_gemm_route_parse(const char *text, pcnn_gemm_route *out);
const char *pcnn_gemm_route_name(pcnn_gemm_route route);

/* Everything off: untuned, no disk cache, AUTO, silent. */
pcnn_device_opts pcnn_device_opts_default(void);

/* The device index a --device / PCNN_DEVICE value names. The value is
 * trimmed; a whole number is an index (never matched against names); a
 * comma-separated list gives one entry per local rank (cycled); anything else
 * is a case-insensitive substring of "backend platform platform-vendor name
 * vendor" (first match); NULL or "" is the default: the first OpenCL GPU
 * (ranks take the GPUs in turn), else device 0. PCNN_ERR_ARG if nothing
 * matches. */
pcnn_status pcnn_device_select(const char *spec, int local_rank, int *index);

/* Opens the device a spec names (pcnn_device_select), or one by index. opts
 * may be NULL (pcnn_device_opts_default()). */
pcnn_status pcnn_device_open(const char *spec, const pcnn_device_opts *opts, pcnn_device **out);
pcnn_status pcnn_device_open_index(int index, const pcnn_device_opts *opts, pcnn_device **out);
void pcnn_device_close(pcnn_device *dev);
const char *pcnn_device_name(const pcnn_device *dev);
/* The name for one-line headers: device 0 as "native CPU (model, N cores)"
 * (its full name carries OpenBLAS's build string, kept for `devices` and
 * train.txt), other devices by their name. Writes into buf; returns buf. */
const char *pcnn_device_label(const pcnn_device *dev, char *buf, size_t size);
/* Device bytes allocated now. */
size_t pcnn_device_bytes_in_use(const pcnn_device *dev);

#endif
