/* Timing the products of a training step (bench/bench_record.h) one at a
 * time on a backend: device buffers big enough for a list of them, and a
 * timer that runs one product as training issues it (plain GEMM, masked,
 * gathered, with its epilogue or its loss). Used by `pcnn-cl bench` (GFLOP/s
 * at the model's own shapes) and `pcnn-cl tune` (the objective its searches
 * minimise). */
#ifndef PCNN_BENCH_GEMM_H
#define PCNN_BENCH_GEMM_H

#include "backend/backend.h"
#include "bench/bench_record.h"

/* Device buffers big enough for every product of a list. */
typedef struct {
    backend *be;
    bbuf *a, *b, *c, *targets, *loss;
} gemm_buffers;

pcnn_status gemm_buffers_alloc(backend *be, const step_product *p, int n, gemm_buffers *g);
void gemm_buffers_free(gemm_buffers *g);

/* Runs product p `reps` times and waits for it: seconds per run. */
pcnn_status product_time(gemm_buffers *g, const step_product *p, int reps, double *seconds);

/* The products of a list of one kind (kind < 0: the masked ones), copied
 * into *out (malloc'd). */
pcnn_status step_products_select(const step_product *all, int n, int kind, step_product **out, int *count);

/* A square n x n x n NN GEMM (the device's peak). */
step_product gemm_square(int n);

#endif
