/* Compute devices. Index 0 is the native CPU backend; 1, 2, ... are OpenCL
 * devices in platform order (where OpenCL is available). */
#ifndef PCNN_DEVICE_H
#define PCNN_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "pcnn/device_info.h"
#include "pcnn/error.h"

typedef struct backend pcnn_device;

/* Number of devices (1 + the OpenCL devices). When there is no OpenCL device,
 * *why_no_opencl (if not NULL) says why (no driver, OpenCL disabled at build). */
int pcnn_device_count(const char **why_no_opencl);
/* Describes device `index` (0 <= index < pcnn_device_count()). */
pcnn_status pcnn_device_describe(int index, pcnn_device_info *info);

/* Opens device `index`. */
pcnn_status pcnn_device_open(int index, pcnn_device **out);
/* Opens the device a --device / PCNN_DEVICE value names: an index, or a
 * case-insensitive substring of "backend platform platform-vendor name vendor" (first match);
 * NULL or "" = the default (the first OpenCL GPU, else device 0). */
pcnn_status pcnn_device_open_spec(const char *spec, pcnn_device **out);
void pcnn_device_close(pcnn_device *dev);
const char *pcnn_device_name(const pcnn_device *dev);
/* Device bytes allocated now and at most so far. */
size_t pcnn_device_bytes_in_use(const pcnn_device *dev);
size_t pcnn_device_bytes_peak(const pcnn_device *dev);

#endif
