/* cl/gemm.cl's tile parameters and their tune-file line: see cl_gemm_tiles.h. */
#include "opencl/cl_gemm_tiles.h"

#include <stdio.h>
#include <string.h>

static const char *const NAMES[] = {"MR", "NR", "MC", "TN_CHUNK"};

cl_gemm_tiles cl_gemm_tiles_default(void) { return (cl_gemm_tiles){6, 16, 96, 256}; }

int cl_gemm_tiles_valid(const cl_gemm_tiles *t)
{
    return t->mr >= 1 && t->mr <= 8 && (t->nr == 8 || t->nr == 16) && t->mr * (t->nr / 8) <= 12 &&
           t->mc >= t->mr && t->mc <= 4096 && t->mc % t->mr == 0 && t->tn_chunk >= 16 && t->tn_chunk <= 1 << 20;
}

int cl_gemm_tiles_from_tune(const tune_set *s, cl_gemm_tiles *t)
{
    for (int k = 0; k < s->n; k++) {
        const tune_kernel *tk = &s->kernels[k];
        if (strcmp(tk->kernel, CL_GEMM_TUNE_KERNEL) != 0)
            continue;
        int v[4] = {-1, -1, -1, -1};
        for (int i = 0; i < tk->n; i++)
            for (int j = 0; j < 4; j++)
                if (strcmp(tk->names[i], NAMES[j]) == 0)
                    v[j] = (int)tk->values[i];
        cl_gemm_tiles got = {v[0], v[1], v[2], v[3]};
        if (!cl_gemm_tiles_valid(&got))
            return 0;
        *t = got;
        return 1;
    }
    return 0;
}

void cl_gemm_tiles_to_tune(const cl_gemm_tiles *t, tune_kernel *k)
{
    memset(k, 0, sizeof *k);
    snprintf(k->kernel, sizeof k->kernel, "%s", CL_GEMM_TUNE_KERNEL);
    int v[4] = {t->mr, t->nr, t->mc, t->tn_chunk};
    for (int j = 0; j < 4; j++) {
        snprintf(k->names[j], TUNE_NAME_LEN, "%s", NAMES[j]);
        k->values[j] = (size_t)v[j];
    }
    k->n = 4;
}
