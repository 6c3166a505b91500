/* The file `pcnn-cl tune` leaves in the cache directory: CLBlast kernel
 * parameters and cl/gemm.cl's tiles (host/opencl/cl_gemm_tiles.h) for one device and
 * driver, applied at every start of the OpenCL backend on that device. Text,
 * one kernel per line:
 *   # pcnn-cl tuned parameters ...
 *   device=<device name>
 *   driver=<driver version>
 *   Xgemm GEMMK=0 KREG=1 KWG=32 ...
 *   GemmRoutine XGEMM_MIN_INDIRECT_SIZE=256
 *   PcnnGemm MR=6 NR=16 MC=96 TN_CHUNK=512
 * Named clblast-<hash of device and driver>.txt, so a new driver starts from
 * CLBlast's own defaults; the device and driver lines are checked on load. No
 * OpenCL here, so the format is tested everywhere. */
#ifndef PCNN_TUNE_FILE_H
#define PCNN_TUNE_FILE_H

#include <stddef.h>

#include "pcnn/error.h"

enum { TUNE_MAX_KERNELS = 4, TUNE_MAX_PARAMS = 24, TUNE_NAME_LEN = 32 };

typedef struct {
    char kernel[TUNE_NAME_LEN]; /* "Xgemm", "XgemmDirect", "GemmRoutine" */
    int n;
    char names[TUNE_MAX_PARAMS][TUNE_NAME_LEN];
    size_t values[TUNE_MAX_PARAMS];
} tune_kernel;

typedef struct {
    int n;
    tune_kernel kernels[TUNE_MAX_KERNELS];
} tune_set;

/* <dir>/clblast-<16 hex digits>.txt for this device and driver. */
void tune_file_path(char *dst, size_t n, const char *dir, const char *device, const char *driver);

/* The text form (malloc'd). */
char *tune_format(const tune_set *t, const char *device, const char *driver);

/* Parses the text form; PCNN_ERR_FORMAT naming `path` and the line if it is
 * malformed or made for another device or driver. */
pcnn_status tune_parse(const char *text, const char *path, const char *device, const char *driver, tune_set *t);

/* Writes atomically. */
pcnn_status tune_save(const char *path, const tune_set *t, const char *device, const char *driver);

/* Reads and parses; *found = 0 (and PCNN_OK) when there is no file. */
pcnn_status tune_load(const char *path, const char *device, const char *driver, tune_set *t, int *found);

#endif
