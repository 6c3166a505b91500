/* The products (GEMMs and masked products) one training step of a model
 * issues on a backend, recorded by running one forward and backward through
 * host/model/model_pass.c on a backend that records instead of computing: so
 * bench and tune time exactly what training runs (the gathered 3x3 layers on
 * the CPU, CLBlast's per-group GEMMs on the GPU route), with no copy of the
 * model's product list to drift. */
#ifndef PCNN_BENCH_RECORD_H
#define PCNN_BENCH_RECORD_H

#include "backend/backend.h"
#include "pcnn/config.h"

typedef struct {
    int ta, tb, m, n, k;
    int lda, ldb, ldc;
    int count;    /* how often one training step issues it */
    double flops; /* 2*m*n*k, or the live products of a masked one */
} gemm_shape;

typedef enum { PRODUCT_GEMM, PRODUCT_MASKED, PRODUCT_MASKED_TN, PRODUCT_MASKED_XENT } product_kind;

/* "gemm", "masked", "masked_tn", "masked_xent" (bench's JSON and lines). */
const char *product_kind_name(product_kind kind);

/* One product as issued. shape: a GEMM's own; for masked products m, n and k
 * as a GEMM would have them (masked_gemm: m rows, n columns, k = the longest
 * range; masked_gemm_tn: m = K, n, k = the rows summed), with tb for
 * masked_gemm's trans_b. */
typedef struct {
    product_kind kind;
    gemm_shape shape;
    gemm_segments seg;
    int relu, accumulate, bias, want_grad;
    int gathered;
    gemm_gather gather;
} step_product;

/* The distinct products of one training step of a model of `cfg` at B images
 * of H x W on a backend like `like` (its `gathers`, and which masked
 * products it composes), in first-use order with their counts. *out is
 * malloc'd. */
pcnn_status step_products_record(const backend *like, const pcnn_config *cfg, int B, int H, int W, step_product **out,
                                 int *n);

/* The same on a backend that composes every masked product of plain GEMMs
 * and gathers nothing: the GEMMs the GPU route (CLBlast) runs. */
pcnn_status step_products_record_composed(const pcnn_config *cfg, int B, int H, int W, step_product **out, int *n);

#endif
