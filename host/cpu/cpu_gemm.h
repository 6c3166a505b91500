/* The CPU backend's masked product (backend_ops.masked_gemm): register-blocked
 * GEMM that reads the activations in place (no packing of the large operand),
 * skips every masked block, and applies bias and ReLU while the tile is still
 * in registers. See backend.h for the contract. */
#ifndef PCNN_CPU_GEMM_H
#define PCNN_CPU_GEMM_H

#include <stddef.h>

#include "backend/backend.h"
#include "cpu/cpu_team.h"

typedef struct {
    float *data; /* the packed B operand, grown as needed and kept between calls */
    size_t floats;
    cpu_team *team; /* the threads, started at the first product (freed with the scratch) */
    int team_failed;
} cpu_gemm_scratch;

/* The scratch's team, created on first use (NULL if that failed: loops then run on the caller). */
cpu_team *cpu_gemm_team(cpu_gemm_scratch *scratch);

/* Called by the thread that finished rows [r0, r1) of C, while they are in its cache. */
typedef struct {
    void (*fn)(void *ctx, int r0, int r1);
    void *ctx;
} gemm_rows_done;

pcnn_status cpu_masked_gemm(cpu_gemm_scratch *scratch, int m, int n, const float *a, int lda,
                            const gemm_gather *gather, const float *b, int ldb, int trans_b, const gemm_segments *seg,
                            const float *bias, int relu, int accumulate, float *c, int ldc,
                            const gemm_rows_done *done);

pcnn_status cpu_masked_gemm_tn(cpu_gemm_scratch *scratch, int K, int n, int m, const float *a, int lda,
                               const gemm_gather *gather, const float *b, int ldb, const gemm_segments *seg, float *c,
                               int ldc);

/* C[m, n] = A[m, k] B[k, n] (row-major, no transposes) for the few rows of
 * the fast sampler (m <= SMALL_GEMM_ROWS), on the calling thread, B read in
 * place: a BLAS call costs more than such a product. Returns 0 (and does
 * nothing) for a shape it does not take. */
enum { SMALL_GEMM_ROWS = 64 };
int cpu_small_gemm(cpu_gemm_scratch *scratch, int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                   float *c, int ldc);

void cpu_gemm_scratch_free(cpu_gemm_scratch *scratch);

#endif
