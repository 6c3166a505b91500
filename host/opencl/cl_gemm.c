/* The OpenCL backend's products: plain GEMM through CLBlast, and the masked
 * products of backend.h through cl/gemm.cl (packing the weights into panels
 * with zeros where the mask cuts, then register-tiled kernels; the weight
 * gradient sums row chunks into partial products that tn_reduce adds in a
 * fixed order). */
#include <clblast_c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend_generic.h"
#include "base/base_try.h"
#include "opencl/cl_kernels.h"
#include "opencl/cl_clblast_status.h"

pcnn_status cl_gemm(backend *be, int ta, int tb, int m, int n, int k, float alpha, bview a, int lda, bview b,
                    int ldb, float beta, bview cv, int ldc)
{
    cl_backend *c = CL(be);
    if (m == 0 || n == 0)
        return PCNN_OK;
    if (k == 0)
        return pcnn_fail(PCNN_ERR_ARG, "gemm %dx%d with an empty inner dimension", m, n);
    cl_event done = NULL;
    double t0 = cl_profile_begin(&c->profile, c->queue);
    CLBlastStatusCode st = CLBlastSgemm(CLBlastLayoutRowMajor, ta ? CLBlastTransposeYes : CLBlastTransposeNo,
                                        tb ? CLBlastTransposeYes : CLBlastTransposeNo, (size_t)m, (size_t)n, (size_t)k,
                                        alpha, a.buf->mem, a.off, (size_t)lda, b.buf->mem, b.off, (size_t)ldb, beta,
                                        cv.buf->mem, cv.off, (size_t)ldc, &c->queue, &done);
    if (done)
        clReleaseEvent(done);
    cl_profile_end(&c->profile, c->queue, ta ? "clblast TN" : tb ? "clblast NT" : "clblast NN", t0);
    if (st != CLBlastSuccess)
        return pcnn_fail(PCNN_ERR_DEVICE, "CLBlast sgemm %s%s m=%d n=%d k=%d on %s: %s", ta ? "T" : "N", tb ? "T" : "N",
                         m, n, k, c->dev->info.name, clblast_status_message(st));
    return cl_throttle(c);
}

/* The weight gradient's blocking (see masked_gemm_tn in cl/gemm.cl and
 * cl_masked_gemm_tn below). */
enum { TN_BLOCK_K = 96, TN_BLOCK_N = 128, TN_ITEMS = 32, TN_SPLIT_ROWS = 256, TN_PART_MAX = 4 << 20 };
/* Floats of packed operands per pass (one pass for the small preset's
 * products; the paper's widest take 5). */
enum { TN_PACK_MAX = 8 << 20 };
/* Multiply-adds per packed float from which the operands are packed
 * (measured on PoCL: the paper preset's output layers gain 2x, the small
 * preset's products and the paper's narrower ones lose 10-30%). */
enum { TN_PACK_REUSE = 128 };

/* The segments as cl/gemm.cl takes them, checked as the CPU backend checks
 * them; *kmax is the end of the longest range. */
typedef struct {
    cl_int count;
    cl_int8 end, lo, hi;
} seg_args;

static pcnn_status segment_args(const gemm_segments *s, int n, seg_args *a, int *kmax)
{
    TRY(gemm_segments_check(s, n, kmax));
    memset(a, 0, sizeof *a);
    a->count = s->count;
    for (int i = 0; i < s->count; i++) {
        a->end.s[i] = s->end[i];
        a->lo.s[i] = s->lo[i];
        a->hi.s[i] = s->hi[i];
    }
    return PCNN_OK;
}

/* The scratch buffer, grown to at least `floats` (not counted in the
 * backend's bytes: like the CPU backend's packing buffer, it is the
 * implementation's, not the model's). Commands already queued keep the old
 * buffer alive until they finish. */

pcnn_status cl_masked_gemm(backend *be, int m, int n, bview a, int lda, const gemm_gather *gather, bview b, int ldb,
                           int trans_b, const gemm_segments *seg, bview bias, int relu, int accumulate, bview cv,
                           int ldc)
{
    cl_backend *c = CL(be);
    seg_args s;
    int kmax;
    TRY(segment_args(seg, n, &s, &kmax));
    if (gather) /* this backend leaves `gathers` 0, so model_conv.c builds the im2col matrix */
        return pcnn_fail(PCNN_ERR_ARG, "masked_gemm: %s reads no gathered operand", c->dev->info.name);
    if (m <= 0 || n <= 0)
        return PCNN_OK;
    const cl_gemm_tiles *g = &c->gemm;
    int npanels = (n + g->nr - 1) / g->nr;
    size_t packed = (size_t)npanels * kmax * g->nr, blocks = ((size_t)m + g->mc - 1) / g->mc;
    TRY(cl_scratch_reserve(c, packed));
    TRY(LAUNCH(c, K_PACK_B, packed, A_CLMEM(c->scratch), A_MEM(b), A_U64(b.off), A_INT(ldb), A_INT(trans_b),
               A_INT(n), A_INT(kmax), A_INT(npanels), A_INT(s.count), A_INT8(s.end), A_INT8(s.lo), A_INT8(s.hi)));
    bview bb = bias.buf ? bias : a; /* a valid buffer argument, never read without has_bias */
    return LAUNCH(c, K_MASKED_GEMM, blocks * npanels, A_MEM(a), A_U64(a.off), A_INT(lda), A_CLMEM(c->scratch),
                  A_INT(kmax), A_INT(npanels), A_MEM(bb), A_U64(bb.off), A_INT(bias.buf != NULL), A_INT(relu),
                  A_INT(accumulate), A_MEM(cv), A_U64(cv.off), A_INT(ldc), A_INT(m), A_INT(n), A_INT(s.count),
                  A_INT8(s.end), A_INT8(s.lo), A_INT8(s.hi));
}

/* How many ways masked_gemm_tn splits its rows: enough work-items for the
 * device (TN_ITEMS) when C has few blocks, never below TN_SPLIT_ROWS rows a
 * split nor past TN_PART_MAX floats of partial sums. The shape alone decides,
 * so the order of the sums does too. */
static size_t tn_splits(size_t blocks, int m, size_t entries)
{
    size_t splits = (TN_ITEMS + blocks - 1) / blocks;
    size_t most_rows = ((size_t)m + TN_SPLIT_ROWS - 1) / TN_SPLIT_ROWS, most_part = TN_PART_MAX / entries;
    splits = splits < most_rows ? splits : most_rows;
    splits = splits < most_part ? splits : most_part;
    return splits > 1 ? splits : 1;
}

pcnn_status cl_masked_gemm_tn(backend *be, int K, int n, int m, bview a, int lda, const gemm_gather *gather, bview b,
                              int ldb, const gemm_segments *seg, bview cv, int ldc)
{
    cl_backend *c = CL(be);
    seg_args s;
    int kmax;
    TRY(segment_args(seg, n, &s, &kmax));
    if (gather)
        return pcnn_fail(PCNN_ERR_ARG, "masked_gemm_tn: %s reads no gathered operand", c->dev->info.name);
    if (K <= 0 || n <= 0)
        return PCNN_OK;
    const cl_gemm_tiles *g = &c->gemm;
    /* Blocks of about TN_BLOCK_K x TN_BLOCK_N entries of C: a chunk's streams
     * (tn_chunk rows of TN_BLOCK_K + TN_BLOCK_N floats) stay in a CPU core's
     * L2 while the block's tiles pass over them. */
    int block_k = TN_BLOCK_K / g->mr > 1 ? TN_BLOCK_K / g->mr : 1, block_n = TN_BLOCK_N / g->nr;
    size_t kgroups = ((size_t)K + g->mr - 1) / g->mr, npanels = ((size_t)n + g->nr - 1) / g->nr;
    size_t blocks = (kgroups + block_k - 1) / block_k * ((npanels + block_n - 1) / block_n);
    size_t entries = (size_t)K * n, splits = tn_splits(blocks, m, entries);
    /* A wide product packs both operands first, in passes of up to
     * TN_PACK_MAX packed floats (a whole number of chunks each): its tiles
     * read a few columns of rows that lie far apart, each row a new page to
     * the prefetcher; packing costs a pass over A and B, which pays where
     * each packed float meets enough multiply-adds, K n / (K + n). */
    int pack = (double)K * n / ((double)K + n) >= TN_PACK_REUSE;
    size_t wa = kgroups * g->mr, width = pack ? wa + npanels * g->nr : 0;
    size_t pass = width ? TN_PACK_MAX / width / g->tn_chunk * g->tn_chunk : (size_t)m;
    pass = pass > (size_t)g->tn_chunk ? pass : (size_t)g->tn_chunk;
    size_t part_off = width * pass;
    TRY(cl_scratch_reserve(c, part_off + (splits > 1 ? splits * entries : 0) + 1));
    for (size_t q0 = 0; q0 < (size_t)m || q0 == 0; q0 += pass) {
        size_t q1 = q0 + pass < (size_t)m ? q0 + pass : (size_t)m, rows = q1 - q0;
        /* The operands as the kernel takes them: a packed stream is scratch with ld 0. */
        cl_mem scratch = c->scratch;
        karg ma = A_MEM(a), mb = A_MEM(b), ms = {sizeof scratch, &scratch};
        size_t a_off = a.off, b_off = b.off;
        if (pack) {
            ma = mb = ms;
            a_off = 0, b_off = wa * rows;
            TRY(LAUNCH(c, K_PACK_ROWS, rows, A_CLMEM(c->scratch), A_U64(a_off), A_MEM(a), A_U64(a.off + q0 * lda),
                       A_INT(lda), A_INT(K), A_INT(g->mr), A_INT(kgroups), A_INT(rows)));
            TRY(LAUNCH(c, K_PACK_ROWS, rows, A_CLMEM(c->scratch), A_U64(b_off), A_MEM(b), A_U64(b.off + q0 * ldb),
                       A_INT(ldb), A_INT(n), A_INT(g->nr), A_INT(npanels), A_INT(rows)));
        }
        TRY(LAUNCH(c, K_MASKED_GEMM_TN, splits * blocks, ma, A_U64(a_off), A_INT(pack ? 0 : lda), mb, A_U64(b_off),
                   A_INT(pack ? 0 : ldb), A_INT(q0), A_INT(q1), A_INT(q1 >= (size_t)m), A_MEM(cv), A_U64(cv.off),
                   A_INT(ldc), A_CLMEM(c->scratch), A_U64(part_off), A_INT(K), A_INT(n), A_INT(m), A_INT(splits),
                   A_INT(block_k), A_INT(block_n), A_INT(g->tn_chunk), A_INT(s.count), A_INT8(s.end), A_INT8(s.lo),
                   A_INT8(s.hi)));
    }
    if (splits == 1)
        return PCNN_OK;
    return LAUNCH(c, K_TN_REDUCE, entries, A_MEM(cv), A_U64(cv.off), A_INT(ldc), A_CLMEM(c->scratch),
                  A_U64(part_off), A_INT(K), A_INT(n), A_INT(splits), A_INT(s.count), A_INT8(s.end), A_INT8(s.lo),
                  A_INT8(s.hi));
}
