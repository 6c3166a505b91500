/* What is known about one compute device before it is opened: what
 * `pcnn-cl devices` lists and what --device matches names against. */
#ifndef PCNN_DEVICE_INFO_H
#define PCNN_DEVICE_INFO_H

#include <stdint.h>

/* What `pcnn-cl devices` lists about one device. */
typedef struct {
    int index;
    char backend[16];   /* "cpu", "opencl" */
    char platform[128]; /* OpenCL platform name; "native" for device 0 */
    char platform_vendor[64];
    char name[128];
    char type[16]; /* "CPU", "GPU", "accelerator", "other" */
    char vendor[128];
    char driver[64];
    int compute_units;
    int is_gpu;
    uint64_t global_mem, max_alloc; /* bytes; 0 where unknown */
} pcnn_device_info;

#endif
