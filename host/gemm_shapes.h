/* The GEMMs one training step of a model issues (host/conv.c: per layer and
 * colour group, the forward product, the weight gradient and the input
 * gradient), deduplicated with a count, and a timer that runs them on a
 * backend. Used by `pcnn-cl bench` (GFLOP/s at the model's own shapes) and
 * `pcnn-cl tune` (the objective its search minimises). */
#ifndef PCNN_GEMM_SHAPES_H
#define PCNN_GEMM_SHAPES_H

#include "backend.h"
#include "pcnn/model.h"

typedef struct {
    int ta, tb, m, n, k;
    int lda, ldb, ldc;
    int count;    /* how often one training step issues it */
    double flops; /* 2*m*n*k */
} gemm_shape;

/* The distinct GEMMs of one training step over B images of H x W, in first-use
 * order (forward, then backward). *out is malloc'd. */
pcnn_status gemm_shapes_of_model(const pcnn_model *m, int B, int H, int W, gemm_shape **out, int *n);

/* Device buffers big enough for every shape of a list (and a square n^3). */
typedef struct {
    backend *be;
    bbuf *a, *b, *c;
} gemm_buffers;

pcnn_status gemm_buffers_alloc(backend *be, const gemm_shape *s, int n, gemm_buffers *g);
void gemm_buffers_free(gemm_buffers *g);

/* Runs shape s `reps` times and waits for it: seconds per run. */
pcnn_status gemm_time(gemm_buffers *g, const gemm_shape *s, int reps, double *seconds);

/* A square n x n x n NN product. */
gemm_shape gemm_square(int n);

double bench_now_s(void);

#endif
