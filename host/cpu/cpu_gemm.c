/* The CPU backend's masked product; see cpu_gemm.h and backend.h.
 *
 * The products of a PixelCNN are tall and thin: B*H*W rows (16,384 for a
 * batch of 16 CIFAR images) by tens to hundreds of columns. A BLAS packs the
 * tall operand on every call and zeroes C before it accumulates; here the
 * small operand op(B) is packed once into panels of NR columns (with zeros
 * wherever the mask cuts), the activations are read where they lie, MR x NR
 * tiles of C stay in registers over the whole inner range, and the bias and
 * ReLU are applied before a tile is stored.
 *
 * Blocking: each thread takes MC rows at a time; the inner index goes in
 * blocks of KC, so an MC x KC block of A stays in L2 while every panel
 * (KC x NR, in L1) passes over it. The loops never depend on the thread
 * count, so neither do the results. */
#include "cpu/cpu_gemm.h"

#include <cblas.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu_simd.h"

enum { MR = 6, NR = 16, MC = 96, KC = 256 };

/* The inner range of column j (empty past the last column). */
static void column_range(const gemm_segments *s, int j, int *lo, int *hi)
{
    *lo = *hi = 0;
    for (int i = 0; i < s->count; i++)
        if (j < s->end[i]) {
            *lo = s->lo[i];
            *hi = s->hi[i];
            return;
        }
}

static pcnn_status check_segments(const gemm_segments *s, int n, int *kmax)
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

/* The convolution tap behind gathered tap t: the centre first when transposed. */
static int gather_tap(const gemm_gather *g, int t)
{
    return !g->transposed ? t : t == 0 ? g->taps - 1 : t - 1;
}

/* op(B)[k, j]: see backend.h (masked_gemm and gemm_gather.transposed). */
static float b_entry(const float *b, int ldb, int trans_b, const gemm_gather *g, int n, int k, int j)
{
    if (g && g->transposed)
        return b[((size_t)gather_tap(g, k / g->cin) * n + j) * ldb + k % g->cin];
    return trans_b ? b[(size_t)j * ldb + k] : b[(size_t)k * ldb + j];
}

/* Panel p holds op(B)[k, p*NR + jj] at [k*NR + jj], k < kmax, and zero where
 * the column's range excludes k or the column is past n. range[2p..2p+1] is
 * the panel's union range. */
static void pack_panel(float *panel, int *range, int p, int n, int kmax, const float *b, int ldb, int trans_b,
                       const gemm_gather *g, const gemm_segments *seg)
{
    int lo = kmax, hi = 0;
    memset(panel, 0, (size_t)kmax * NR * sizeof *panel);
    for (int jj = 0; jj < NR; jj++) {
        int j = p * NR + jj, jlo, jhi;
        if (j >= n)
            break;
        column_range(seg, j, &jlo, &jhi);
        for (int k = jlo; k < jhi; k++)
            panel[(size_t)k * NR + jj] = b_entry(b, ldb, trans_b, g, n, k, j);
        if (jlo < jhi) {
            lo = jlo < lo ? jlo : lo;
            hi = jhi > hi ? jhi : hi;
        }
    }
    range[2 * p] = lo < hi ? lo : 0;
    range[2 * p + 1] = lo < hi ? hi : 0;
}

/* acc[i] += sum over k in [k0, k1) of arow[i][k * stride] panel[k, :]: the
 * register tile. The forward product passes rows of A (stride 1); the weight
 * gradient passes packed B, MR values per k (stride MR). */
static inline void tile_product(const float *const arow[MR], size_t stride, const float *panel, int k0, int k1,
                                v8 acc[MR][2])
{
    v8 a00 = acc[0][0], a01 = acc[0][1], a10 = acc[1][0], a11 = acc[1][1], a20 = acc[2][0], a21 = acc[2][1];
    v8 a30 = acc[3][0], a31 = acc[3][1], a40 = acc[4][0], a41 = acc[4][1], a50 = acc[5][0], a51 = acc[5][1];
    const float *r0 = arow[0], *r1 = arow[1], *r2 = arow[2], *r3 = arow[3], *r4 = arow[4], *r5 = arow[5];
    for (int k = k0; k < k1; k++) {
        v8 b0 = load8(panel + (size_t)k * NR), b1 = load8(panel + (size_t)k * NR + 8);
        size_t at = (size_t)k * stride;
        float x;
        x = r0[at], a00 += x * b0, a01 += x * b1;
        x = r1[at], a10 += x * b0, a11 += x * b1;
        x = r2[at], a20 += x * b0, a21 += x * b1;
        x = r3[at], a30 += x * b0, a31 += x * b1;
        x = r4[at], a40 += x * b0, a41 += x * b1;
        x = r5[at], a50 += x * b0, a51 += x * b1;
    }
    acc[0][0] = a00, acc[0][1] = a01, acc[1][0] = a10, acc[1][1] = a11, acc[2][0] = a20, acc[2][1] = a21;
    acc[3][0] = a30, acc[3][1] = a31, acc[4][0] = a40, acc[4][1] = a41, acc[5][0] = a50, acc[5][1] = a51;
}

typedef struct {
    const float *bias; /* at the panel's first column, or NULL */
    int relu;
    int add_old;      /* add C before the bias and act: a partial sum, or accumulate without act */
    int add_old_late; /* add C after the act: accumulate with ReLU (a residual connection) */
    int last;    /* the tile's inner range is complete: apply bias and act */
} epilogue;

static void store_tile(v8 acc[MR][2], float *c, int ldc, int mr, int nr, const epilogue *e)
{
    if (nr == NR) {
        v8 b0 = {0}, b1 = {0};
        if (e->last && e->bias)
            b0 = load8(e->bias), b1 = load8(e->bias + 8);
        for (int i = 0; i < mr; i++) {
            float *ci = c + (size_t)i * ldc;
            v8 v0 = acc[i][0], v1 = acc[i][1];
            if (e->add_old)
                v0 += load8(ci), v1 += load8(ci + 8);
            if (e->last) {
                v0 += b0, v1 += b1;
                if (e->relu)
                    v0 = relu8(v0), v1 = relu8(v1);
            }
            if (e->add_old_late)
                v0 += load8(ci), v1 += load8(ci + 8);
            store8(ci, v0), store8(ci + 8, v1);
        }
        return;
    }
    float t[MR][NR];
    for (int i = 0; i < mr; i++)
        store8(t[i], acc[i][0]), store8(t[i] + 8, acc[i][1]);
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) {
            float *cij = c + (size_t)i * ldc + j, v = t[i][j];
            if (e->add_old)
                v += *cij;
            if (e->last) {
                if (e->bias)
                    v += e->bias[j];
                if (e->relu)
                    v = relu1(v);
            }
            if (e->add_old_late)
                v += *cij;
            *cij = v;
        }
}

/* The A operand: a matrix, or the im2col of `a` (gather) with a row of zeros
 * for the taps that fall outside the image. */
typedef struct {
    const float *a;
    int lda;
    const gemm_gather *gather;
    const float *zeros; /* gather->cin zeros */
} a_operand;

/* Where row r's tap t reads: a row of the input, or the zeros. */
static const float *gathered_row(const a_operand *A, int r, int t)
{
    const gemm_gather *g = A->gather;
    int b = r / (g->H * g->W), y = r / g->W % g->H, x = r % g->W, ct = gather_tap(g, t);
    int dy = ct / g->kw - g->kh / 2, dx = ct % g->kw - g->kw / 2;
    int sy = g->transposed ? y - dy : y + dy, sx = g->transposed ? x - dx : x + dx;
    if (sy < 0 || sy >= g->H || sx < 0 || sx >= g->W)
        return A->zeros;
    return A->a + (((size_t)b * g->H + sy) * g->W + sx) * g->cin;
}

/* acc += A[rows r.., k0:k1] panel[k0:k1, :] for the tile's rows (a short
 * tile repeats its last row; the store drops it). Gathered, the inner range
 * goes tap by tap, each tap's rows read where they lie in the input:
 * tap_rows[i * taps + t] is where row r0 + i's tap t reads (r0: the block's first row). */
static void tile_of_a(const a_operand *A, const float *const *tap_rows, int r0, int r, int mr, const float *panel,
                      int k0, int k1, v8 acc[MR][2])
{
    const float *arow[MR];
    if (!A->gather) {
        for (int i = 0; i < MR; i++)
            arow[i] = A->a + (size_t)(r + (i < mr ? i : mr - 1)) * A->lda;
        tile_product(arow, 1, panel, k0, k1, acc);
        return;
    }
    int cin = A->gather->cin, taps = A->gather->taps;
    for (int t = k0 / cin; t * cin < k1; t++) {
        int kk0 = k0 > t * cin ? k0 - t * cin : 0, kk1 = k1 < (t + 1) * cin ? k1 - t * cin : cin;
        for (int i = 0; i < MR; i++)
            arow[i] = tap_rows[(size_t)(r - r0 + (i < mr ? i : mr - 1)) * taps + t];
        tile_product(arow, 1, panel + (size_t)t * cin * NR, kk0, kk1, acc);
    }
}

/* Rows [r0, r1) against every panel, for inner block [kb, kb + kc). */
static void row_block(int r0, int r1, int kb, int kc, int n, int npanels, const float *packed, const int *range,
                      int kmax, const a_operand *A, const float *const *tap_rows, const float *bias, int relu,
                      int accumulate, float *c, int ldc)
{
    for (int p = 0; p < npanels; p++) {
        int lo = range[2 * p], hi = range[2 * p + 1];
        int kfirst = lo / kc * kc, klast = hi > lo ? (hi - 1) / kc * kc : kfirst;
        if (kb < kfirst || kb > klast)
            continue;
        int k0 = kb > lo ? kb : lo, k1 = kb + kc < hi ? kb + kc : hi;
        int nr = n - p * NR < NR ? n - p * NR : NR;
        /* With ReLU, accumulate adds after the act; the caller made one inner block cover it. */
        epilogue e = {bias ? bias + p * NR : NULL, relu, kb != kfirst || (accumulate && !relu),
                      accumulate && relu, kb == klast};
        const float *panel = packed + (size_t)p * kmax * NR;
        for (int r = r0; r < r1; r += MR) {
            int mr = r1 - r < MR ? r1 - r : MR;
            /* The first panel meets a matrix's rows first: fetch the next tile's while this one runs. */
            if (p == 0 && !A->gather)
                for (int i = 0; i < MR && r + MR + i < r1; i++)
                    for (int k = k0; k < k1; k += 16)
                        __builtin_prefetch(A->a + (size_t)(r + MR + i) * A->lda + k);
            v8 acc[MR][2];
            for (int i = 0; i < MR; i++)
                acc[i][0] = acc[i][1] = (v8){0};
            tile_of_a(A, tap_rows, r0, r, mr, panel, k0, k1, acc);
            store_tile(acc, c + (size_t)r * ldc + p * NR, ldc, mr, nr, &e);
        }
    }
}

/* Where each row of [r0, r1) reads each tap: tap_rows[(r - r0) * taps + t]. */
static void fill_tap_rows(const a_operand *A, int r0, int r1, const float **tap_rows)
{
    for (int r = r0; r < r1; r++)
        for (int t = 0; t < A->gather->taps; t++)
            tap_rows[(size_t)(r - r0) * A->gather->taps + t] = gathered_row(A, r, t);
}

static pcnn_status check_gather(const gemm_gather *g, int m, int kmax)
{
    if (g->cin < 1 || g->taps < 1 || g->taps > g->kh * g->kw || (long)g->B * g->H * g->W != m ||
        kmax > g->taps * g->cin)
        return pcnn_fail(PCNN_ERR_ARG, "masked_gemm: gather of %d taps x %d channels does not fit %d rows, k %d",
                         g->taps, g->cin, m, kmax);
    return PCNN_OK;
}

static pcnn_status scratch_reserve(cpu_gemm_scratch *s, size_t floats)
{
    if (s->floats >= floats)
        return PCNN_OK;
    free(s->data);
    s->data = aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64);
    s->floats = s->data ? floats : 0;
    if (!s->data)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of host memory packing a weight matrix (%zu floats)", floats);
    return PCNN_OK;
}

pcnn_status cpu_masked_gemm(cpu_gemm_scratch *scratch, int m, int n, const float *a, int lda,
                            const gemm_gather *gather, const float *b, int ldb, int trans_b, const gemm_segments *seg,
                            const float *bias, int relu, int accumulate, float *c, int ldc,
                            const gemm_rows_done *done)
{
    int kmax;
    pcnn_status st = check_segments(seg, n, &kmax);
    if (st != PCNN_OK)
        return st;
    /* C's old value is added after the act, so C cannot hold partial sums:
     * then the whole inner range is one block. */
    int kc = relu && accumulate && kmax > KC ? kmax : KC;
    if (m <= 0 || n <= 0)
        return PCNN_OK;
    int npanels = (n + NR - 1) / NR;
    if (gather && (st = check_gather(gather, m, kmax)) != PCNN_OK)
        return st;
    /* The panels, the zeros a gather reads outside the image, each thread's
     * table of tap rows, then the panel ranges as ints, in one allocation. */
    int threads = omp_get_max_threads();
    /* zeros rounded to 16 floats keeps the pointer tables after it aligned */
    size_t panel_floats = (size_t)npanels * kmax * NR, zeros = gather ? ((size_t)gather->cin + 15) / 16 * 16 : 0;
    size_t table = gather ? (size_t)MC * gather->taps : 0; /* pointers, counted as two floats each */
    size_t floats = panel_floats + zeros + 2 * table * threads + 2 * (size_t)npanels;
    if ((st = scratch_reserve(scratch, floats)) != PCNN_OK)
        return st;
    float *packed = scratch->data;
    const float **tables = (const float **)(void *)(packed + panel_floats + zeros);
    int *range = (int *)(packed + panel_floats + zeros + 2 * table * threads);
    memset(packed + panel_floats, 0, zeros * sizeof(float));
    a_operand A = {a, lda, gather, packed + panel_floats};
#pragma omp parallel for schedule(static)
    for (int p = 0; p < npanels; p++)
        pack_panel(packed + (size_t)p * kmax * NR, range, p, n, kmax, b, ldb, trans_b, gather, seg);
    int nblocks = (m + MC - 1) / MC;
#pragma omp parallel for schedule(static)
    for (int blk = 0; blk < nblocks; blk++) {
        int r0 = blk * MC, r1 = r0 + MC < m ? r0 + MC : m;
        const float **tap_rows = gather ? tables + table * omp_get_thread_num() : NULL;
        if (gather)
            fill_tap_rows(&A, r0, r1, tap_rows);
        for (int kb = 0; kb < kmax || kb == 0; kb += kc)
            row_block(r0, r1, kb, kc, n, npanels, packed, range, kmax, &A, tap_rows, bias, relu, accumulate, c, ldc);
        if (done)
            done->fn(done->ctx, r0, r1);
    }
    return PCNN_OK;
}

/* Stores a tile of the weight gradient, acc[i] = C[k0 + i, j0 .. j0 + NR):
 * entries the mask cuts are 0 (lo, hi: each column's range); the others take
 * acc, added to what earlier row blocks left unless first. */
static void store_tn_tile(v8 acc[MR][2], int k0, int kr, int j0, int nr, const int *lo, const int *hi, int first,
                          float *c, int ldc)
{
    for (int i = 0; i < kr; i++) {
        float *ck = c + (size_t)(k0 + i) * ldc + j0;
        if (nr == NR) {
            v8i k = (v8i){0} + (k0 + i);
            for (int h = 0; h < 2; h++) {
                v8i lo8, hi8;
                memcpy(&lo8, lo + j0 + 8 * h, sizeof lo8);
                memcpy(&hi8, hi + j0 + 8 * h, sizeof hi8);
                v8 v = first ? acc[i][h] : acc[i][h] + load8(ck + 8 * h);
                store8(ck + 8 * h, (v8)((v8i)v & (k >= lo8) & (k < hi8)));
            }
            continue;
        }
        for (int j = 0; j < nr; j++) {
            int live = k0 + i >= lo[j0 + j] && k0 + i < hi[j0 + j];
            ck[j] = live ? (first ? 0.0f : ck[j]) + acc[i][j / 8][j % 8] : 0.0f;
        }
    }
}

/* Whether any entry of the tile (rows k0 .. k0 + kr, columns j0 .. j0 + nr) is live. */
static int tn_tile_live(int k0, int kr, int j0, int nr, const int *lo, const int *hi)
{
    for (int j = j0; j < j0 + nr; j++)
        if (lo[j] < hi[j] && k0 < hi[j] && k0 + kr > lo[j])
            return 1;
    return 0;
}

/* Past this K + n, a block of rows that fits L2 is too short to pay for
 * storing C after it, and the BLAS's own blocking wins (measured: 33 vs 113
 * GFLOP/s at K = n = 1026; 53 vs 47 at K = 224, n = 48). */
enum { TN_MAX_WIDTH = 1024 };

/* The weight gradient by the BLAS, one product per segment. */
static pcnn_status blas_masked_gemm_tn(int K, int n, int m, const float *a, int lda, const float *b, int ldb,
                                       const gemm_segments *seg, float *c, int ldc)
{
    for (int k = 0; k < K; k++)
        memset(c + (size_t)k * ldc, 0, (size_t)n * sizeof *c);
    for (int s = 0, j0 = 0; s < seg->count; j0 = seg->end[s++]) {
        int lo = seg->lo[s], hi = seg->hi[s] < K ? seg->hi[s] : K;
        if (lo < hi && seg->end[s] > j0)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, hi - lo, seg->end[s] - j0, m, 1.0f, a + lo, lda,
                        b + j0, ldb, 0.0f, c + (size_t)lo * ldc + j0, ldc);
    }
    return PCNN_OK;
}

/* The weight gradient through the forward's register tile: a block of rows
 * of A is packed into groups of MR columns (the broadcasts, MR values per
 * row) and of B into panels of NR columns (the vectors), both then read
 * sequentially; a tile is MR rows k by NR columns j of C. Each tile sums the
 * row blocks in order, so the result does not depend on the thread count. */
/* Row r of the A operand, all K = taps * cin of it, into dst. */
static void gather_row(const a_operand *A, int r, float *dst)
{
    int cin = A->gather->cin;
    for (int t = 0; t < A->gather->taps; t++)
        memcpy(dst + (size_t)t * cin, gathered_row(A, r, t), (size_t)cin * sizeof *dst);
}

pcnn_status cpu_masked_gemm_tn(cpu_gemm_scratch *scratch, int K, int n, int m, const float *a, int lda,
                               const gemm_gather *gather, const float *b, int ldb, const gemm_segments *seg, float *c,
                               int ldc)
{
    int kmax;
    pcnn_status st = check_segments(seg, n, &kmax);
    if (st != PCNN_OK)
        return st;
    if (gather && (K != gather->taps * gather->cin || gather->transposed ||
                   (st = check_gather(gather, m, kmax)) != PCNN_OK))
        return st ? st : pcnn_fail(PCNN_ERR_ARG, "masked_gemm_tn: K %d is not taps x channels of a plain gather", K);
    if (K <= 0 || n <= 0)
        return PCNN_OK;
    int kgroups = (K + MR - 1) / MR, npanels = (n + NR - 1) / NR;
    size_t zeros = gather ? (size_t)gather->cin : 0;
    if (kgroups * MR + npanels * NR > TN_MAX_WIDTH) {
        if (!gather)
            return blas_masked_gemm_tn(K, n, m, a, lda, b, ldb, seg, c, ldc);
        /* The BLAS needs the im2col matrix itself. */
        if ((st = scratch_reserve(scratch, zeros + (size_t)m * K)) != PCNN_OK)
            return st;
        a_operand A = {a, 0, gather, scratch->data};
        float *col = scratch->data + zeros;
        memset(scratch->data, 0, zeros * sizeof(float));
#pragma omp parallel for schedule(static)
        for (int r = 0; r < m; r++)
            gather_row(&A, r, col + (size_t)r * K);
        return blas_masked_gemm_tn(K, n, m, col, K, b, ldb, seg, c, ldc);
    }
    /* Rows per block: both packed slices about 256 KiB together. It must not
     * depend on the thread count: it sets where the partial sums are added. */
    int rc = 65536 / (kgroups * MR + npanels * NR);
    rc = rc < 16 ? 16 : rc > 1024 ? 1024 : rc;
    /* No barrier inside: on a shared machine a thread waiting for a descheduled
     * one loses its time slice at every barrier (a step took 20x longer). Each
     * thread owns every T-th unit of the longer dimension (groups of MR rows k,
     * or panels of NR columns j), packs what its tiles read, and sums its tiles
     * over all rows itself. */
    int T = omp_get_max_threads(), by_k = kgroups >= npanels;
    int per = ((by_k ? kgroups : npanels) + T - 1) / T, ga = by_k ? per : kgroups, pb = by_k ? npanels : per;
    size_t thread_floats = (size_t)ga * rc * MR + (size_t)pb * rc * NR + (size_t)K;
    thread_floats = (thread_floats + 15) / 16 * 16;
    zeros = (zeros + 15) / 16 * 16;
    if ((st = scratch_reserve(scratch, T * thread_floats + zeros + 2 * (size_t)npanels * NR)) != PCNN_OK)
        return st;
    float *zero_row = scratch->data + T * thread_floats;
    memset(zero_row, 0, zeros * sizeof(float));
    a_operand A = {a, lda, gather, zero_row};
    int *lo = (int *)(zero_row + zeros), *hi = lo + npanels * NR;
    for (int j = 0; j < npanels * NR; j++)
        column_range(seg, j, &lo[j], &hi[j]);
#pragma omp parallel
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        int g_first = by_k ? t : 0, g_step = by_k ? nt : 1, p_first = by_k ? 0 : t, p_step = by_k ? 1 : nt;
        float *ag = scratch->data + t * thread_floats, *bp = ag + (size_t)ga * rc * MR;
        float *row = bp + (size_t)pb * rc * NR;
        for (int r0 = 0; r0 < m || r0 == 0; r0 += rc) {
            int nrows = (r0 + rc < m ? r0 + rc : m) - r0;
            for (int r = 0; r < nrows; r++) {
                const float *ar = a + (size_t)(r0 + r) * lda, *br = b + (size_t)(r0 + r) * ldb;
                if (gather) {
                    gather_row(&A, r0 + r, row);
                    ar = row;
                }
                for (int g = g_first, li = 0; g < kgroups; g += g_step, li++)
                    for (int i = 0; i < MR; i++)
                        ag[((size_t)li * rc + r) * MR + i] = g * MR + i < K ? ar[g * MR + i] : 0.0f;
                for (int p = p_first, lj = 0; p < npanels; p += p_step, lj++) {
                    float *dst = bp + ((size_t)lj * rc + r) * NR;
                    if ((p + 1) * NR <= n)
                        store8(dst, load8(br + p * NR)), store8(dst + 8, load8(br + p * NR + 8));
                    else
                        for (int jj = 0; jj < NR; jj++)
                            dst[jj] = p * NR + jj < n ? br[p * NR + jj] : 0.0f;
                }
            }
            for (int p = p_first, lj = 0; p < npanels; p += p_step, lj++)
                for (int g = g_first, li = 0; g < kgroups; g += g_step, li++) {
                    int k0 = g * MR, j0 = p * NR, kr = K - k0 < MR ? K - k0 : MR, nr = n - j0 < NR ? n - j0 : NR;
                    if (!tn_tile_live(k0, kr, j0, nr, lo, hi)) {
                        if (r0 == 0) /* the mask cuts it all: zero it once */
                            store_tn_tile((v8[MR][2]){{{0}}}, k0, kr, j0, nr, lo, hi, 1, c, ldc);
                        continue;
                    }
                    const float *arow[MR];
                    for (int i = 0; i < MR; i++)
                        arow[i] = ag + (size_t)li * rc * MR + i;
                    v8 acc[MR][2] = {{{0}}};
                    tile_product(arow, MR, bp + (size_t)lj * rc * NR, 0, nrows, acc);
                    store_tn_tile(acc, k0, kr, j0, nr, lo, hi, r0 == 0, c, ldc);
                }
        }
    }
    return PCNN_OK;
}

void cpu_gemm_scratch_free(cpu_gemm_scratch *s)
{
    free(s->data);
    s->data = NULL;
    s->floats = 0;
}
