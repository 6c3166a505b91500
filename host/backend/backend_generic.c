/* The masked products composed of a backend's plain ops: see backend_generic.h.
 *
 * Each segment of a masked product is one GEMM over its inner range, so the
 * blocks the mask cuts are never multiplied; a segment with an empty range
 * (the first group of a 1x1 mode-A layer) still has to write its zeros, which
 * a GEMM with alpha 0 over one inner element does on every backend (CLBlast
 * refuses k = 0). The epilogue (bias, ReLU, the residual add, the softmax)
 * follows as separate ops over the whole block. */
#include "backend/backend_generic.h"

#include "base/base_try.h"

pcnn_status gemm_segments_check(const gemm_segments *s, int n, int *kmax)
{
    if (s->count < 1 || s->count > GEMM_MAX_SEGMENTS || s->end[s->count - 1] != n)
        return pcnn_fail(PCNN_ERR_ARG, "masked_gemm: %d segments must end at column %d", s->count, n);
    *kmax = 0;
    for (int i = 0; i < s->count; i++) {
        if (s->lo[i] < 0 || s->lo[i] > s->hi[i] || (i > 0 && s->end[i] < s->end[i - 1]))
            return pcnn_fail(PCNN_ERR_ARG, "masked_gemm: segment %d is malformed", i);
        if (s->hi[i] > *kmax)
            *kmax = s->hi[i];
    }
    return PCNN_OK;
}

pcnn_status backend_check_range(const char *what, size_t offset, size_t bytes, size_t size)
{
    if (offset > size || bytes > size - offset)
        return pcnn_fail(PCNN_ERR_ARG, "%s of %zu bytes at %zu past a buffer of %zu", what, bytes, offset, size);
    return PCNN_OK;
}

/* The scratch block a ReLU'd residual needs (act(AB + bias) before the add). */
static pcnn_status scratch(backend *be, size_t floats, bview *out)
{
    if (be->generic_scratch_floats < floats) {
        be->ops->release(be, be->generic_scratch);
        be->generic_scratch = be->ops->alloc(be, floats * sizeof(float), "the residual branch of a masked product");
        be->generic_scratch_floats = be->generic_scratch ? floats : 0;
        if (!be->generic_scratch)
            return PCNN_ERR_MEMORY;
    }
    *out = (bview){be->generic_scratch, 0};
    return PCNN_OK;
}

void backend_generic_release(backend *be)
{
    be->ops->release(be, be->generic_scratch);
    be->generic_scratch = NULL;
    be->generic_scratch_floats = 0;
}

/* C[:, segment s] (+)= A[:, lo:hi] op(B)[lo:hi, segment s] for every segment. */
static pcnn_status segment_products(backend *be, int m, bview a, int lda, bview b, int ldb, int trans_b,
                                    const gemm_segments *seg, int accumulate, bview c, int ldc)
{
    for (int s = 0, j0 = 0; s < seg->count; j0 = seg->end[s++]) {
        int cols = seg->end[s] - j0, lo = seg->lo[s], k = seg->hi[s] - lo;
        if (cols == 0 || (k == 0 && accumulate))
            continue; /* adds nothing */
        size_t b_at = trans_b ? (size_t)j0 * ldb + lo : (size_t)lo * ldb + j0;
        TRY(be->ops->gemm(be, 0, trans_b, m, cols, k ? k : 1, k ? 1.0f : 0.0f, bview_at(a, (size_t)lo), lda,
                          bview_at(b, b_at), ldb, accumulate ? 1.0f : 0.0f, bview_at(c, (size_t)j0), ldc));
    }
    return PCNN_OK;
}

pcnn_status generic_masked_gemm(backend *be, int m, int n, bview a, int lda, const gemm_gather *gather, bview b,
                                int ldb, int trans_b, const gemm_segments *seg, bview bias, int relu, int accumulate,
                                bview c, int ldc)
{
    int kmax;
    TRY(gemm_segments_check(seg, n, &kmax));
    if (gather)
        return pcnn_fail(PCNN_ERR_ARG, "masked_gemm: %s reads no gathered operand (it does not set `gathers`)",
                         be->name);
    if (m <= 0 || n <= 0)
        return PCNN_OK;
    /* The epilogue as strided element-wise passes: act(C + bias) is
     * add_act_2d with the bias as one broadcast row (ld 0). */
    const backend_ops *o = be->ops;
    if (accumulate && relu) { /* C += relu(AB + bias): the branch first, then the add */
        bview t;
        TRY(scratch(be, (size_t)m * n, &t));
        TRY(segment_products(be, m, a, lda, b, ldb, trans_b, seg, 0, t, n));
        TRY(o->add_act_2d(be, t, (size_t)n, t, (size_t)n, bias, 0, (size_t)m, n, 1));
        return o->add_act_2d(be, c, (size_t)ldc, c, (size_t)ldc, t, (size_t)n, (size_t)m, n, 0);
    }
    /* Without a ReLU, C + AB + bias is the GEMM with beta 1, then the bias. */
    TRY(segment_products(be, m, a, lda, b, ldb, trans_b, seg, accumulate, c, ldc));
    if (!bias.buf && !relu)
        return PCNN_OK;
    return o->add_act_2d(be, c, (size_t)ldc, c, (size_t)ldc, bias, 0, (size_t)m, n, relu);
}

pcnn_status generic_masked_gemm_tn(backend *be, int K, int n, int m, bview a, int lda, const gemm_gather *gather,
                                   bview b, int ldb, const gemm_segments *seg, bview c, int ldc)
{
    int kmax;
    TRY(gemm_segments_check(seg, n, &kmax));
    if (gather)
        return pcnn_fail(PCNN_ERR_ARG, "masked_gemm_tn: %s reads no gathered operand (it does not set `gathers`)",
                         be->name);
    if (K <= 0 || n <= 0)
        return PCNN_OK;
    /* The entries the mask cuts are 0; the live ones are each segment's product. */
    if (ldc == n) {
        TRY(be->ops->fill(be, c, (size_t)K * n, 0.0f));
    } else {
        for (int k = 0; k < K; k++)
            TRY(be->ops->fill(be, bview_at(c, (size_t)k * ldc), (size_t)n, 0.0f));
    }
    for (int s = 0, j0 = 0; s < seg->count; j0 = seg->end[s++]) {
        int lo = seg->lo[s], hi = seg->hi[s] < K ? seg->hi[s] : K, cols = seg->end[s] - j0;
        if (lo < hi && cols > 0 && m > 0)
            TRY(be->ops->gemm(be, 1, 0, hi - lo, cols, m, 1.0f, bview_at(a, (size_t)lo), lda, bview_at(b, (size_t)j0),
                              ldb, 0.0f, bview_at(c, (size_t)lo * ldc + j0), ldc));
    }
    return PCNN_OK;
}

pcnn_status generic_masked_gemm_xent(backend *be, int m, int n, bview a, int lda, bview b, int ldb,
                                     const gemm_segments *seg, bview bias, bview logits, bview targets, bview loss,
                                     int want_grad, float grad_scale)
{
    if (n % 256)
        return pcnn_fail(PCNN_ERR_ARG, "masked_gemm_xent: %d logits per row are not rows of 256 classes", n);
    TRY(be->ops->masked_gemm(be, m, n, a, lda, NULL, b, ldb, 0, seg, bias, 0, 0, logits, n));
    return be->ops->softmax_xent(be, logits, targets, loss, (size_t)m * (n / 256), 256, want_grad, grad_scale);
}

void backend_install_generic(backend_ops *ops)
{
    if (!ops->masked_gemm)
        ops->masked_gemm = generic_masked_gemm;
    if (!ops->masked_gemm_tn)
        ops->masked_gemm_tn = generic_masked_gemm_tn;
    if (!ops->masked_gemm_xent)
        ops->masked_gemm_xent = generic_masked_gemm_xent;
}
