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

/* Which products an OpenCL device runs: cl/gemm.cl's masked kernels, or
 * CLBlast's GEMMs one colour group at a time (the route GPUs take). AUTO: the
 * kernels on CPU devices, CLBlast on GPUs. Device 0 always runs its own. */
typedef enum { PCNN_GEMM_AUTO, PCNN_GEMM_CLBLAST, PCNN_GEMM_KERNELS } pcnn_gemm_route;

/* Parses "auto", "clblast" or "kernels" (for --gemm and PCNN_GEMM), and back. */
pcnn_status pcnn_gemm_route_parse(const char *text, pcnn_gemm_route *out);
const char *pcnn_gemm_route_name(pcnn_gemm_route route);

/* How a device is opened. The library reads no environment variables: the CLI
 * fills this from its flags and the environment (pcnn-cl --help lists them). */
typedef struct {
    pcnn_gemm_route gemm;   /* --gemm, PCNN_GEMM */
    const char *cache_dir;  /* compiled kernels and `pcnn-cl tune` results; NULL: compile every time, untuned */
    int no_tune;            /* ignore the tune file (PCNN_NO_TUNE=1); tune measures the defaults this way */
    const char *kernel_dir; /* read the .cl sources from this directory, not the embedded copies (PCNN_CL_DIR) */
    int profile;            /* OpenCL: time every command, table to `log` at close (PCNN_CL_PROFILE=1) */
    int gemm_tiles[4];      /* cl/gemm.cl's MR, NR, MC, TN_CHUNK (PCNN_CL_GEMM_TILES); all 0: tuned or default */
    int local_rank;         /* MPI: which entry of a comma-separated spec, which GPU of the default, to take */
    pcnn_log log;           /* warnings (an unusable tune file) and the profile table */
} pcnn_device_opts;

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
/* Device bytes allocated now. */
size_t pcnn_device_bytes_in_use(const pcnn_device *dev);

#endif
