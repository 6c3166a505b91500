/* Compute devices. Index 0 is the native CPU backend; 1, 2, ... are OpenCL
 * devices in platform order (where OpenCL is available). */
#ifndef PCNN_DEVICE_H
#define PCNN_DEVICE_H

#include <stddef.h>

#include "pcnn/error.h"

typedef struct backend pcnn_device;

/* Opens device `index`. */
pcnn_status pcnn_device_open(int index, pcnn_device **out);
void pcnn_device_close(pcnn_device *dev);
const char *pcnn_device_name(const pcnn_device *dev);
/* Device bytes allocated now and at most so far. */
size_t pcnn_device_bytes_in_use(const pcnn_device *dev);
size_t pcnn_device_bytes_peak(const pcnn_device *dev);

#endif
