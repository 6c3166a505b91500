/* Device numbering: 0 is the native CPU backend. */
#include "pcnn/device.h"

#include "backend.h"

pcnn_status pcnn_device_open(int index, pcnn_device **out)
{
    *out = NULL;
    if (index != 0)
        return pcnn_fail(PCNN_ERR_ARG, "--device %d: no such device (0 is the CPU backend)", index);
    *out = backend_cpu_create();
    return *out ? PCNN_OK : PCNN_ERR_MEMORY;
}

void pcnn_device_close(pcnn_device *dev)
{
    if (dev)
        dev->ops->destroy(dev);
}

const char *pcnn_device_name(const pcnn_device *dev) { return dev->name; }
size_t pcnn_device_bytes_in_use(const pcnn_device *dev) { return dev->bytes_in_use; }
size_t pcnn_device_bytes_peak(const pcnn_device *dev) { return dev->bytes_peak; }
