/* The masked products (backend.h: masked_gemm, masked_gemm_tn,
 * masked_gemm_xent) composed of a backend's plain ops: one `gemm` per column
 * segment over its inner range, then bias_act / relu / add, then
 * softmax_xent. A backend installs these for the products it does not fuse
 * (OpenCL on GPUs: CLBlast's GEMMs; cl/gemm.cl devices: the fused softmax),
 * so every backend has all three and model code has one path per pass. Also
 * the checks every backend shares. */
#ifndef PCNN_BACKEND_GENERIC_H
#define PCNN_BACKEND_GENERIC_H

#include "backend/backend.h"

/* Fills the masked products `ops` leaves NULL with the compositions below. */
void backend_install_generic(backend_ops *ops);

pcnn_status generic_masked_gemm(backend *be, int m, int n, bview a, int lda, const gemm_gather *gather, bview b,
                                int ldb, int trans_b, const gemm_segments *seg, bview bias, int relu, int accumulate,
                                bview c, int ldc);
pcnn_status generic_masked_gemm_tn(backend *be, int K, int n, int m, bview a, int lda, const gemm_gather *gather,
                                   bview b, int ldb, const gemm_segments *seg, bview c, int ldc);
pcnn_status generic_masked_gemm_xent(backend *be, int m, int n, bview a, int lda, bview b, int ldb,
                                     const gemm_segments *seg, bview bias, bview logits, bview targets, bview loss,
                                     int want_grad, float grad_scale);

/* Frees the scratch a ReLU'd residual took (call from the backend's destroy). */
void backend_generic_release(backend *be);

/* Segments that cover [0, n) in order with ranges lo <= hi; *kmax = the
 * largest hi. PCNN_ERR_ARG naming the fault otherwise. */
pcnn_status gemm_segments_check(const gemm_segments *s, int n, int *kmax);

/* A read or write of `bytes` at `offset` inside a buffer of `size` bytes
 * (overflow-safe); `what` ("read", "write") starts the message. */
pcnn_status backend_check_range(const char *what, size_t offset, size_t bytes, size_t size);

#endif
