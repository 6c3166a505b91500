/* The tile parameters of the OpenCL masked products (cl/gemm.cl's -D values
 * and the weight gradient's row chunk), their defaults, and their line in the
 * tune file that `pcnn-cl tune` writes beside CLBlast's parameters:
 *   PcnnGemm MR=6 NR=16 MC=96 TN_CHUNK=256
 * No OpenCL here, so the format is tested everywhere. */
#ifndef PCNN_CL_GEMM_TILES_H
#define PCNN_CL_GEMM_TILES_H

#include "io/io_tune_file.h"

#define CL_GEMM_TUNE_KERNEL "PcnnGemm"

typedef struct {
    int mr, nr;   /* register tile: rows (1..8) by columns (8 or 16) */
    int mc;       /* rows of the forward product per work-item, a multiple of mr */
    int tn_chunk; /* rows of the weight gradient per cache-resident chunk */
} cl_gemm_tiles;

/* 6 x 16 tiles (12 float8 accumulators: with the two B vectors and a
 * broadcast, 15 of AVX2's 16 registers), 96 rows, chunks of 256 rows. */
cl_gemm_tiles cl_gemm_tiles_default(void);

/* Whether the kernels can be built with t: the ranges above, and at most 12
 * accumulator vectors (more would spill on a 16-register CPU). */
int cl_gemm_tiles_valid(const cl_gemm_tiles *t);

/* The PcnnGemm line of a tune set: 1 and *t if present and valid, else 0. */
int cl_gemm_tiles_from_tune(const tune_set *s, cl_gemm_tiles *t);

/* The PcnnGemm line for t. */
void cl_gemm_tiles_to_tune(const cl_gemm_tiles *t, tune_kernel *k);

#endif
