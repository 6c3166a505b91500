/* The GEMMs one training step of a model issues (host/model/model_conv.c: per layer and
 * colour group, the forward product, the weight gradient and the input
 * gradient), deduplicated with a count, and a timer that runs them on a
 * backend. Used by `pcnn-cl bench` (GFLOP/s at the model's own shapes) and
 * `pcnn-cl tune` (the objective its search minimises). */
#ifndef PCNN_GEMM_SHAPES_H
#define PCNN_GEMM_SHAPES_H

#include "backend/backend.h"
#include "model/model_conv.h"
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

/* The masked products one training step issues where the backend has
 * masked_gemm (host/model/model_conv.c): per layer the forward product (as NN: m rows, n =
 * cout, k = the im2col width), the weight gradient (as TN: m = k of the
 * forward, n, k = rows summed) and but for input_conv the input gradient (as
 * NT: m rows, n = the im2col width, k = cout), with the segments model_conv.c
 * passes; flops count the live products only. Deduplicated with a count. */
typedef struct {
    gemm_shape shape;
    gemm_segments seg;
    int relu;
} masked_shape;

pcnn_status masked_shapes_of_model(const pcnn_model *m, int B, int H, int W, masked_shape **out, int *n);
/* Buffers for a list of masked products (the bias is read from b). */
pcnn_status masked_buffers_alloc(backend *be, const masked_shape *s, int n, gemm_buffers *g);
/* Runs masked product s `reps` times and waits for it: seconds per run. */
pcnn_status masked_time(gemm_buffers *g, const masked_shape *s, int reps, double *seconds);

/* A square n x n x n NN product. */
gemm_shape gemm_square(int n);

#endif
