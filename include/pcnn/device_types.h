/* The types of compute devices, without the functions (pcnn/device.h): the
 * opaque device, what is known about one before it is opened, and how one is
 * opened. Headers that only pass devices around include this. */
#ifndef PCNN_DEVICE_TYPES_H
#define PCNN_DEVICE_TYPES_H

#include <stdint.h>

#include "pcnn/error.h"

typedef struct backend pcnn_device;

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

/* Which products an OpenCL device runs: cl/gemm.cl's masked kernels, or
 * CLBlast's GEMMs one colour group at a time (the route GPUs take). AUTO: the
 * kernels on CPU devices, CLBlast on GPUs. Device 0 always runs its own. */
typedef enum { PCNN_GEMM_AUTO, PCNN_GEMM_CLBLAST, PCNN_GEMM_KERNELS } pcnn_gemm_route;

/* How a device is opened. The library reads no environment variables: the CLI
 * fills this from its flags and the environment (pcnn-cl --help lists them). */
typedef struct {
    pcnn_gemm_route gemm;   /* --gemm, PCNN_GEMM */
    const char *cache_dir;  /* compiled kernels and `pcnn-cl tune` results; NULL: compile every time, untuned */
    int no_tune;            /* ignore the tune file (PCNN_NO_TUNE=1); tune measures the defaults this way */
    const char *kernel_dir; /* read the .cl sources from this directory, not the embedded copies (PCNN_CL_DIR) */
    int profile;            /* OpenCL: time every command, table to `log` at close (PCNN_CL_PROFILE=1) */
    int gemm_tiles[4];      /* cl/gemm.cl's MR, NR, MC, TN_CHUNK (PCNN_CL_GEMM_TILES); all 0: tuned or default */
    int sample_composed;    /* the fast sampler's step as ~100 launches, not one sample_step (tests) */
    /* OpenCL: limits below the device's own (0: the device's), so that a CPU
     * device runs under what a GPU driver enforces (tests): the work-group size
     * (CL_DEVICE_MAX_WORK_GROUP_SIZE, and every kernel's CL_KERNEL_WORK_GROUP_SIZE),
     * local memory (CL_DEVICE_LOCAL_MEM_SIZE) and one allocation
     * (CL_DEVICE_MAX_MEM_ALLOC_SIZE) in bytes, and no cl_khr_fp64. */
    unsigned force_max_work_group;
    uint64_t force_local_mem, force_max_alloc;
    int force_no_fp64;
    int force_gpu_layout;   /* treat the device as a GPU: its GEMM route and kernel shapes (tests) */
    int local_rank;         /* MPI: which entry of a comma-separated spec, which GPU of the default, to take */
    pcnn_log log;           /* warnings (an unusable tune file) and the profile table */
} pcnn_device_opts;

#endif
