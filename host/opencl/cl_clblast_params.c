/* CLBlast's GEMM parameter space: see cl_clblast_params.h. */
#include "opencl/cl_clblast_params.h"

#include <stdio.h>
#include <string.h>

const char *const xgemm_param_names[XGEMM_PARAMS] = {"GEMMK", "KREG", "KWG", "KWI", "MDIMA", "MDIMC", "MWG", "NDIMB",
                                                     "NDIMC", "NWG",  "SA",  "SB",  "STRM",  "STRN",  "VWM", "VWN"};

/* The value ranges CLBlast's Xgemm tuner searches (GEMMK = 0 kernels). */
static const size_t RANGES[XGEMM_PARAMS][5] = {
    [XP_GEMMK] = {0},
    [XP_KREG] = {1},
    [XP_KWG] = {16, 32},
    [XP_KWI] = {2, 8},
    [XP_MDIMA] = {8, 16, 32},
    [XP_MDIMC] = {8, 16, 32},
    [XP_MWG] = {16, 32, 64, 128},
    [XP_NDIMB] = {8, 16, 32},
    [XP_NDIMC] = {8, 16, 32},
    [XP_NWG] = {16, 32, 64, 128},
    [XP_SA] = {0, 1},
    [XP_SB] = {0, 1},
    [XP_STRM] = {0, 1},
    [XP_STRN] = {0, 1},
    [XP_VWM] = {1, 2, 4, 8},
    [XP_VWN] = {1, 2, 4, 8},
};

int xgemm_range(int p, const size_t **values)
{
    int n = 1;
    while (n < 5 && RANGES[p][n])
        n++;
    *values = RANGES[p];
    return n;
}

int xgemm_valid(const size_t *v, size_t max_wg, size_t local_mem)
{
    size_t wg = v[XP_MDIMC] * v[XP_NDIMC];
    if (!v[XP_KWI] || !v[XP_MDIMA] || !v[XP_NDIMB] || !wg || !v[XP_VWM] || !v[XP_VWN])
        return 0;
    if (v[XP_KWG] % v[XP_KWI] || v[XP_MWG] % (v[XP_MDIMC] * v[XP_VWM]) || v[XP_NWG] % (v[XP_NDIMC] * v[XP_VWN]) ||
        v[XP_MWG] % (v[XP_MDIMA] * v[XP_VWM]) || v[XP_NWG] % (v[XP_NDIMB] * v[XP_VWN]))
        return 0;
    if (wg < v[XP_MDIMA] || wg < v[XP_NDIMB] || v[XP_KWG] % (wg / v[XP_MDIMA]) || v[XP_KWG] % (wg / v[XP_NDIMB]) ||
        wg > max_wg)
        return 0;
    return (v[XP_SA] * v[XP_KWG] * v[XP_MWG] + v[XP_SB] * v[XP_KWG] * v[XP_NWG]) * 4 <= local_mem;
}

static int in_range(int p, size_t v)
{
    const size_t *r;
    int n = xgemm_range(p, &r);
    for (int i = 0; i < n; i++)
        if (r[i] == v)
            return 1;
    return 0;
}

int clblast_line_valid(const tune_kernel *k, size_t max_wg, size_t local_mem, char *why, size_t n)
{
    if (strcmp(k->kernel, "GemmRoutine") == 0) {
        if (k->n == 1 && strcmp(k->names[0], "XGEMM_MIN_INDIRECT_SIZE") == 0 && k->values[0] <= (1u << 20))
            return 1;
        snprintf(why, n, "GemmRoutine takes XGEMM_MIN_INDIRECT_SIZE=0..%u alone", 1u << 20);
        return 0;
    }
    if (strcmp(k->kernel, "Xgemm") != 0) {
        snprintf(why, n, "%s: not a kernel pcnn-cl tunes (Xgemm, GemmRoutine)", k->kernel);
        return 0;
    }
    size_t v[XGEMM_PARAMS];
    int seen = 0;
    for (int p = 0; p < XGEMM_PARAMS; p++) {
        int found = 0;
        for (int i = 0; i < k->n && !found; i++)
            if (strcmp(k->names[i], xgemm_param_names[p]) == 0) {
                v[p] = k->values[i];
                found = 1;
            }
        if (!found) {
            snprintf(why, n, "Xgemm without %s", xgemm_param_names[p]);
            return 0;
        }
        if (!in_range(p, v[p])) {
            snprintf(why, n, "Xgemm %s=%zu is outside the values CLBlast's tuner tries", xgemm_param_names[p], v[p]);
            return 0;
        }
        seen++;
    }
    if (seen != k->n) {
        snprintf(why, n, "Xgemm has parameters CLBlast's Xgemm does not take");
        return 0;
    }
    if (!xgemm_valid(v, max_wg, local_mem)) {
        snprintf(why, n,
                 "Xgemm parameters that do not fit together or on this device (work-group %zu, local memory %zu)",
                 max_wg, local_mem);
        return 0;
    }
    return 1;
}
