/* CLBlast's GEMM parameters as `pcnn-cl tune` searches them and the OpenCL
 * backend applies them: the Xgemm kernel's 16 parameters with the ranges
 * CLBlast's own tuner tries and its constraints, the routine switch
 * (GemmRoutine XGEMM_MIN_INDIRECT_SIZE), and the check of one tune-file line
 * before it reaches CLBlast. No OpenCL types, so the tuner above the device
 * layer and the tests use it too. */
#ifndef PCNN_CL_CLBLAST_PARAMS_H
#define PCNN_CL_CLBLAST_PARAMS_H

#include <stddef.h>

#include "io/io_tune_file.h"

enum {
    XGEMM_PARAMS = 16,
    XP_GEMMK = 0,
    XP_KREG,
    XP_KWG,
    XP_KWI,
    XP_MDIMA,
    XP_MDIMC,
    XP_MWG,
    XP_NDIMB,
    XP_NDIMC,
    XP_NWG,
    XP_SA,
    XP_SB,
    XP_STRM,
    XP_STRN,
    XP_VWM,
    XP_VWN
};

extern const char *const xgemm_param_names[XGEMM_PARAMS];

/* The values CLBlast's Xgemm tuner tries for parameter p (GEMMK = 0 kernels). */
int xgemm_range(int p, const size_t **values);

/* The tuner's constraints: tiles divide into work-group sizes and vector
 * widths, and the work-group and local memory fit the device. */
int xgemm_valid(const size_t *v, size_t max_work_group, size_t local_mem);

/* Whether a tune-file line for CLBlast can be applied on a device with these
 * limits: Xgemm with all 16 parameters in their ranges and valid together, or
 * GemmRoutine XGEMM_MIN_INDIRECT_SIZE. 0 with the reason in `why`. */
int clblast_line_valid(const tune_kernel *k, size_t max_work_group, size_t local_mem, char *why, size_t n);

#endif
