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

#include <stdlib.h>
#include <string.h>

#include "backend/backend_generic.h"
#include "cpu/cpu_simd.h"

/* The register tile: MR rows by NR = 16 columns, one v16 per row. AVX-512
 * has 32 zmm registers: 12 accumulators, the panel's row and the broadcasts
 * (the FMAs read them from memory). AVX's 16 ymm hold 6 rows of two halves;
 * SSE's 16 xmm 3 rows of four quarters. */
#if defined(__AVX512F__)
#define MR 12
#elif defined(__AVX__)
#define MR 6
#else
#define MR 3
#endif
enum { NR = 16, MC = 96, KC = 256 };

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
 * gradient passes packed B, MR values per k (stride MR). Each row's
 * accumulator is a named variable (the ROWS list) so that it stays in a
 * register over the whole loop. */
#if MR == 12
#define ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#elif MR == 6
#define ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
#else
#define ROWS(X) X(0) X(1) X(2)
#endif
static inline void tile_product(const float *const arow[MR], size_t stride, const float *panel, size_t pstride,
                                int k0, int k1, v16 acc[MR])
{
#define ROW_LOAD(i) v16 a##i = acc[i]; const float *r##i = arow[i];
#define ROW_FMA(i) a##i += r##i[at] * b;
#define ROW_SAVE(i) acc[i] = a##i;
    ROWS(ROW_LOAD)
    for (int k = k0; k < k1; k++) {
        v16 b = load16(panel + (size_t)k * pstride);
        size_t at = (size_t)k * stride;
        ROWS(ROW_FMA)
    }
    ROWS(ROW_SAVE)
#undef ROW_LOAD
#undef ROW_FMA
#undef ROW_SAVE
}

typedef struct {
    const float *bias; /* at the panel's first column, or NULL */
    int relu;
    int add_old;      /* add C before the bias and act: a partial sum, or accumulate without act */
    int add_old_late; /* add C after the act: accumulate with ReLU (a residual connection) */
    int last;    /* the tile's inner range is complete: apply bias and act */
} epilogue;

static void store_tile(v16 acc[MR], float *c, int ldc, int mr, int nr, const epilogue *e)
{
    if (nr == NR) {
        v16 b = {0};
        if (e->last && e->bias)
            b = load16(e->bias);
        for (int i = 0; i < mr; i++) {
            float *ci = c + (size_t)i * ldc;
            v16 v = acc[i];
            if (e->add_old)
                v += load16(ci);
            if (e->last) {
                v += b;
                if (e->relu)
                    v = relu16(v);
            }
            if (e->add_old_late)
                v += load16(ci);
            store16(ci, v);
        }
        return;
    }
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) {
            float *cij = c + (size_t)i * ldc + j, v = acc[i][j];
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

#if defined(__AVX512F__)
/* Two panels side by side (MR x 32): 24 accumulators, and each broadcast
 * feeds two FMAs, so the loads no longer keep pace with the FMAs. AVX has
 * too few registers for it. */
#define PAIRS 1
static inline void tile_product2(const float *const arow[MR], size_t stride, const float *panel0,
                                 const float *panel1, size_t pstride, int k0, int k1, v16 acc0[MR], v16 acc1[MR])
{
#define ROW_LOAD(i) v16 a##i = acc0[i], c##i = acc1[i]; const float *r##i = arow[i];
#define ROW_FMA(i) { float x = r##i[at]; a##i += x * b0; c##i += x * b1; }
#define ROW_SAVE(i) acc0[i] = a##i; acc1[i] = c##i;
    ROWS(ROW_LOAD)
    for (int k = k0; k < k1; k++) {
        v16 b0 = load16(panel0 + (size_t)k * pstride), b1 = load16(panel1 + (size_t)k * pstride);
        size_t at = (size_t)k * stride;
        ROWS(ROW_FMA)
    }
    ROWS(ROW_SAVE)
#undef ROW_LOAD
#undef ROW_FMA
#undef ROW_SAVE
}
#else
#define PAIRS 0
#endif

/* One panel, or two (panel1 not NULL: then acc1 takes the second); a
 * panel's rows lie pstride floats apart (NR when packed). */
static inline void tile_panels(const float *const arow[MR], size_t stride, const float *panel0, const float *panel1,
                               size_t pstride, int k0, int k1, v16 acc0[MR], v16 acc1[MR])
{
#if PAIRS
    if (panel1) {
        tile_product2(arow, stride, panel0, panel1, pstride, k0, k1, acc0, acc1);
        return;
    }
#else
    if (panel1) {
        tile_product(arow, stride, panel0, pstride, k0, k1, acc0);
        tile_product(arow, stride, panel1, pstride, k0, k1, acc1);
        return;
    }
#endif
    tile_product(arow, stride, panel0, pstride, k0, k1, acc0);
}

/* The A operand: a matrix, or the im2col of `a` (gather) with a row of zeros
 * for the taps that fall outside the image. */
typedef struct {
    const float *a;
    int lda;
    const gemm_gather *gather;
    const float *zeros; /* gather->cin zeros */
} a_operand;

/* Where taps [t0, t1) read relative to the position: oy[t - t0], ox[t - t0]. */
static void tap_offsets(const gemm_gather *g, int t0, int t1, int *oy, int *ox)
{
    int sign = g->transposed ? -1 : 1;
    for (int t = t0; t < t1; t++) {
        int ct = gather_tap(g, t);
        oy[t - t0] = sign * (ct / g->kw - g->kh / 2);
        ox[t - t0] = sign * (ct % g->kw - g->kw / 2);
    }
}

/* Where the row at position (b, y, x) reads each of n taps (offsets oy, ox):
 * a row of the input, or the zeros. */
static void rows_at(const a_operand *A, int b, int y, int x, const int *oy, const int *ox, int n, const float **rows)
{
    const gemm_gather *g = A->gather;
    const float *image = A->a + (size_t)b * g->H * g->W * g->cin;
    for (int i = 0; i < n; i++) {
        int sy = y + oy[i], sx = x + ox[i];
        rows[i] = sy < 0 || sy >= g->H || sx < 0 || sx >= g->W ? A->zeros : image + ((size_t)sy * g->W + sx) * g->cin;
    }
}

/* Where row r's taps read: rows[t] = a row of the input, or the zeros, for
 * taps [t0, t1) (at most TAP_CHUNK). The position is decoded once for all its taps. */
enum { TAP_CHUNK = 64 };
static void gathered_rows(const a_operand *A, int r, int t0, int t1, const float **rows)
{
    const gemm_gather *g = A->gather;
    int oy[TAP_CHUNK], ox[TAP_CHUNK];
    tap_offsets(g, t0, t1, oy, ox);
    rows_at(A, r / (g->H * g->W), r / g->W % g->H, r % g->W, oy, ox, t1 - t0, rows);
}

/* acc += A[rows r.., k0:k1] panel[k0:k1, :] for the tile's rows (a short
 * tile repeats its last row; the store drops it). Gathered, the inner range
 * goes tap by tap, each tap's rows read where they lie in the input:
 * tap_rows[i * taps + t] is where row r0 + i's tap t reads (r0: the block's first row). */
static void tile_of_a(const a_operand *A, const float *const *tap_rows, int r0, int r, int mr, const float *panel,
                      const float *panel1, int k0, int k1, v16 acc[MR], v16 acc1[MR])
{
    const float *arow[MR];
    if (!A->gather) {
        const float *first = A->a + (size_t)r * A->lda;
        for (int i = 0; i < MR; i++)
            arow[i] = first + (size_t)(mr == MR || i < mr ? i : mr - 1) * A->lda;
        tile_panels(arow, 1, panel, panel1, NR, k0, k1, acc, acc1);
        return;
    }
    int cin = A->gather->cin, taps = A->gather->taps;
    const float *const *rows = tap_rows + (size_t)(r - r0) * taps;
    for (int t = k0 / cin; t * cin < k1; t++) {
        int kk0 = k0 > t * cin ? k0 - t * cin : 0, kk1 = k1 < (t + 1) * cin ? k1 - t * cin : cin;
        for (int i = 0; i < MR; i++)
            arow[i] = rows[(size_t)(mr == MR || i < mr ? i : mr - 1) * taps + t];
        tile_panels(arow, 1, panel + (size_t)t * cin * NR, panel1 ? panel1 + (size_t)t * cin * NR : NULL, NR, kk0,
                    kk1, acc, acc1);
    }
}

/* Rows [r0, r1) against every panel, for inner block [kb, kb + kc). */
static void row_block(int r0, int r1, int kb, int kc, int n, int npanels, const float *packed, const int *range,
                      int kmax, const a_operand *A, const float *const *tap_rows, const float *bias, int relu,
                      int accumulate, float *c, int ldc)
{
    for (int p = 0, step; p < npanels; p += step) {
        int lo = range[2 * p], hi = range[2 * p + 1];
        /* Two panels with the same inner range go through one 32-wide tile. */
        step = PAIRS && p + 1 < npanels && range[2 * p + 2] == lo && range[2 * p + 3] == hi ? 2 : 1;
        int kfirst = lo / kc * kc, klast = hi > lo ? (hi - 1) / kc * kc : kfirst;
        if (kb < kfirst || kb > klast)
            continue;
        int k0 = kb > lo ? kb : lo, k1 = kb + kc < hi ? kb + kc : hi;
        int nr = n - p * NR < NR ? n - p * NR : NR, nr1 = n - (p + 1) * NR < NR ? n - (p + 1) * NR : NR;
        /* With ReLU, accumulate adds after the act; the caller made one inner block cover it. */
        epilogue e = {bias ? bias + p * NR : NULL, relu, kb != kfirst || (accumulate && !relu),
                      accumulate && relu, kb == klast};
        epilogue e1 = e;
        e1.bias = bias ? bias + (p + 1) * NR : NULL;
        const float *panel = packed + (size_t)p * kmax * NR, *panel1 = step == 2 ? panel + (size_t)kmax * NR : NULL;
        for (int r = r0; r < r1; r += MR) {
            int mr = r1 - r < MR ? r1 - r : MR;
            /* The first panel meets a matrix's rows first: fetch the next tile's while this one runs. */
            if (p == 0 && !A->gather)
                for (int i = 0; i < MR && r + MR + i < r1; i++)
                    for (int k = k0; k < k1; k += 16)
                        __builtin_prefetch(A->a + (size_t)(r + MR + i) * A->lda + k);
            v16 acc[MR], acc1[MR];
            for (int i = 0; i < MR; i++)
                acc[i] = acc1[i] = (v16){0};
            tile_of_a(A, tap_rows, r0, r, mr, panel, panel1, k0, k1, acc, acc1);
            store_tile(acc, c + (size_t)r * ldc + p * NR, ldc, mr, nr, &e);
            if (panel1)
                store_tile(acc1, c + (size_t)r * ldc + (p + 1) * NR, ldc, mr, nr1, &e1);
        }
    }
}

/* Where each row of [r0, r1) reads each tap: tap_rows[(r - r0) * taps + t].
 * The tap offsets are found once, and the position steps along the rows (a
 * few divisions per row cost as much as a small layer's products). */
static void fill_tap_rows(const a_operand *A, int r0, int r1, const float **tap_rows)
{
    const gemm_gather *g = A->gather;
    int taps = g->taps;
    if (taps > TAP_CHUNK) {
        for (int r = r0; r < r1; r++)
            for (int t = 0; t < taps; t += TAP_CHUNK)
                gathered_rows(A, r, t, t + TAP_CHUNK < taps ? t + TAP_CHUNK : taps,
                              tap_rows + (size_t)(r - r0) * taps + t);
        return;
    }
    int oy[TAP_CHUNK], ox[TAP_CHUNK];
    tap_offsets(g, 0, taps, oy, ox);
    int b = r0 / (g->H * g->W), y = r0 / g->W % g->H, x = r0 % g->W;
    for (int r = r0; r < r1; r++) {
        rows_at(A, b, y, x, oy, ox, taps, tap_rows + (size_t)(r - r0) * taps);
        if (++x == g->W) {
            x = 0;
            if (++y == g->H)
                y = 0, b++;
        }
    }
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

cpu_team *cpu_gemm_team(cpu_gemm_scratch *s)
{
    if (!s->team && !s->team_failed) {
        s->team = cpu_team_create();
        s->team_failed = !s->team; /* then every loop runs on the calling thread */
    }
    return s->team;
}

/* The forward product's two loops as team tasks: the panels, then blocks of MC rows. */
typedef struct {
    int m, n, kmax, kc, npanels, relu, accumulate, ldb, trans_b, ldc;
    const float *b, *bias;
    float *packed, *c;
    int *range;
    const float **tables;
    size_t table;
    const gemm_segments *seg;
    const gemm_gather *gather;
    a_operand A;
    const gemm_rows_done *done;
} forward_job;

static void pack_task(void *ctx, int p, int thread)
{
    const forward_job *f = ctx;
    (void)thread;
    pack_panel(f->packed + (size_t)p * f->kmax * NR, f->range, p, f->n, f->kmax, f->b, f->ldb, f->trans_b, f->gather,
               f->seg);
}

static void rows_task(void *ctx, int blk, int thread)
{
    const forward_job *f = ctx;
    int r0 = blk * MC, r1 = r0 + MC < f->m ? r0 + MC : f->m;
    const float **tap_rows = f->gather ? f->tables + f->table * thread : NULL;
    if (f->gather)
        fill_tap_rows(&f->A, r0, r1, tap_rows);
    for (int kb = 0; kb < f->kmax || kb == 0; kb += f->kc)
        row_block(r0, r1, kb, f->kc, f->n, f->npanels, f->packed, f->range, f->kmax, &f->A, tap_rows, f->bias, f->relu,
                  f->accumulate, f->c, f->ldc);
    if (f->done)
        f->done->fn(f->done->ctx, r0, r1);
}

pcnn_status cpu_masked_gemm(cpu_gemm_scratch *scratch, int m, int n, const float *a, int lda,
                            const gemm_gather *gather, const float *b, int ldb, int trans_b, const gemm_segments *seg,
                            const float *bias, int relu, int accumulate, float *c, int ldc,
                            const gemm_rows_done *done)
{
    int kmax;
    pcnn_status st = gemm_segments_check(seg, n, &kmax);
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
    cpu_team *team = cpu_gemm_team(scratch);
    int threads = cpu_team_size(team);
    /* zeros rounded to 16 floats keeps the pointer tables after it aligned */
    size_t panel_floats = (size_t)npanels * kmax * NR, zeros = gather ? ((size_t)gather->cin + 15) / 16 * 16 : 0;
    size_t table = gather ? (size_t)MC * gather->taps : 0; /* pointers, counted as two floats each */
    size_t floats = panel_floats + zeros + 2 * table * threads + 2 * (size_t)npanels;
    if ((st = scratch_reserve(scratch, floats)) != PCNN_OK)
        return st;
    float *packed = scratch->data;
    memset(packed + panel_floats, 0, zeros * sizeof(float));
    forward_job f = {m, n, kmax, kc, npanels, relu, accumulate, ldb, trans_b, ldc, b, bias, packed, c,
                     (int *)(packed + panel_floats + zeros + 2 * table * threads),
                     (const float **)(void *)(packed + panel_floats + zeros), table, seg, gather,
                     {a, lda, gather, packed + panel_floats}, done};
    cpu_team_run(team, npanels, pack_task, &f);
    cpu_team_run(team, (m + MC - 1) / MC, rows_task, &f);
    return PCNN_OK;
}

/* Whether any entry of the tile (rows k0 .. k0 + kr, columns j0 .. j0 + nr) is live. */
static int tn_tile_live(int k0, int kr, int j0, int nr, const int *lo, const int *hi)
{
    for (int j = j0; j < j0 + nr; j++)
        if (lo[j] < hi[j] && k0 < hi[j] && k0 + kr > lo[j])
            return 1;
    return 0;
}

/* The weight gradient C[K, n] = A^T B through the forward's register tile (a
 * tile is MR rows k by NR columns j of C).
 *
 * The m rows (the long inner dimension) are cut into `parts` of fixed size,
 * and each part's product goes to a partial sum of its own, [K, n]; then
 * C = the partials added in order 0, 1, ..., with the mask applied. Tasks are
 * (part, block of TN_KB rows of C, block of TN_NB columns): a task packs its
 * rows of A into groups of MR columns (the broadcasts) and of B into panels of
 * NR columns (the vectors), TN_RC rows at a time, and adds each tile into its
 * block of the partial, which stays in L2. Nothing depends on which thread
 * runs a task, so the result does not depend on the thread count; no task
 * waits for another, and no packing is repeated across threads. */
enum { TN_KB = 240, TN_NB = 256, TN_RC = 256, TN_PART_ROWS = 2048, TN_MAX_PARTS = 8 };

typedef struct {
    int K, n, m, parts, part_rows, kblocks, nblocks, ldb, ldc;
    const float *b;
    a_operand A;
    const int *lo, *hi;
    float *partial; /* parts x [K, n] */
    float *buffers; /* per thread: packed A, packed B, one row */
    size_t thread_floats;
    float *c;
} tn_job;

/* A[r, k0 .. k1) into dst (a gathered row tap by tap). */
static void a_row_range(const a_operand *A, int r, int k0, int k1, float *dst)
{
    if (!A->gather) {
        memcpy(dst, A->a + (size_t)r * A->lda + k0, (size_t)(k1 - k0) * sizeof *dst);
        return;
    }
    int cin = A->gather->cin, t0 = k0 / cin, t1 = (k1 + cin - 1) / cin;
    const float *rows[TAP_CHUNK];
    for (int tb = t0; tb < t1; tb += TAP_CHUNK) {
        int te = tb + TAP_CHUNK < t1 ? tb + TAP_CHUNK : t1;
        gathered_rows(A, r, tb, te, rows);
        for (int t = tb; t < te; t++) {
            int c0 = k0 > t * cin ? k0 - t * cin : 0, c1 = k1 < (t + 1) * cin ? k1 - t * cin : cin;
            memcpy(dst + t * cin + c0 - k0, rows[t - tb] + c0, (size_t)(c1 - c0) * sizeof *dst);
        }
    }
}

/* A[r, k0 .. k1) for r = r, r + 1, ... in turn: for a gathered A of at most
 * TAP_CHUNK taps in the range, the taps' offsets are found once and the
 * position steps along the rows (no division per row or tap). */
typedef struct {
    const a_operand *A;
    int r, k0, k1, t0, t1, stepped, b, y, x;
    int oy[TAP_CHUNK], ox[TAP_CHUNK];
} row_cursor;

static void cursor_start(row_cursor *c, const a_operand *A, int r, int k0, int k1)
{
    const gemm_gather *g = A->gather;
    c->A = A;
    c->r = r;
    c->k0 = k0;
    c->k1 = k1;
    c->stepped = 0;
    if (!g)
        return;
    c->t0 = k0 / g->cin;
    c->t1 = (k1 + g->cin - 1) / g->cin;
    if (c->t1 - c->t0 > TAP_CHUNK)
        return;
    c->stepped = 1;
    tap_offsets(g, c->t0, c->t1, c->oy, c->ox);
    c->b = r / (g->H * g->W);
    c->y = r / g->W % g->H;
    c->x = r % g->W;
}

static void cursor_row(row_cursor *c, float *dst)
{
    if (!c->stepped) {
        a_row_range(c->A, c->r++, c->k0, c->k1, dst);
        return;
    }
    const gemm_gather *g = c->A->gather;
    int cin = g->cin, k0 = c->k0, k1 = c->k1;
    const float *rows[TAP_CHUNK];
    rows_at(c->A, c->b, c->y, c->x, c->oy, c->ox, c->t1 - c->t0, rows);
    for (int t = c->t0; t < c->t1; t++) {
        int c0 = k0 > t * cin ? k0 - t * cin : 0, c1 = k1 < (t + 1) * cin ? k1 - t * cin : cin;
        memcpy(dst + t * cin + c0 - k0, rows[t - c->t0] + c0, (size_t)(c1 - c0) * sizeof *dst);
    }
    c->r++;
    if (++c->x == g->W) {
        c->x = 0;
        if (++c->y == g->H)
            c->y = 0, c->b++;
    }
}

static void tn_task(void *ctx, int task, int thread)
{
    const tn_job *j = ctx;
    int part = task / (j->kblocks * j->nblocks), kb = task / j->nblocks % j->kblocks, jb = task % j->nblocks;
    int k0 = kb * TN_KB, k1 = k0 + TN_KB < j->K ? k0 + TN_KB : j->K;
    int j0 = jb * TN_NB, j1 = j0 + TN_NB < j->n ? j0 + TN_NB : j->n;
    int r_begin = part * j->part_rows, r_end = r_begin + j->part_rows < j->m ? r_begin + j->part_rows : j->m;
    int groups = (k1 - k0 + MR - 1) / MR, panels = (j1 - j0 + NR - 1) / NR;
    float *ag = j->buffers + j->thread_floats * thread, *bp = ag + (size_t)TN_RC * TN_KB, *row = bp + (size_t)TN_RC * TN_NB;
    float *part_c = j->partial + (size_t)part * j->K * j->n;
    row_cursor cursor;
    cursor_start(&cursor, &j->A, r_begin, k0, k1);
    for (int r0 = r_begin; r0 < r_end || r0 == r_begin; r0 += TN_RC) {
        int rc = (r0 + TN_RC < r_end ? r0 + TN_RC : r_end) - r0, first = r0 == r_begin;
        for (int r = 0; r < rc; r++) {
            cursor_row(&cursor, row);
            for (int i = k1 - k0; i < groups * MR; i++)
                row[i] = 0.0f;
            for (int g = 0; g < groups; g++)
                memcpy(ag + ((size_t)g * rc + r) * MR, row + g * MR, MR * sizeof(float));
            const float *br = j->b + (size_t)(r0 + r) * j->ldb + j0;
            for (int p = 0; p < panels; p++) {
                float *dst = bp + ((size_t)p * rc + r) * NR;
                if (j0 + (p + 1) * NR <= j1)
                    store16(dst, load16(br + p * NR));
                else
                    for (int jj = 0; jj < NR; jj++)
                        dst[jj] = j0 + p * NR + jj < j1 ? br[p * NR + jj] : 0.0f;
            }
        }
        for (int p = 0, step; p < panels; p += step) {
            step = PAIRS && p + 1 < panels ? 2 : 1;
            for (int g = 0; g < groups; g++) {
                int kk = k0 + g * MR, kr = k1 - kk < MR ? k1 - kk : MR;
                v16 acc[2][MR] = {{{0}}};
                int live = 0;
                for (int q = p; q < p + step; q++) {
                    int jq = j0 + q * NR;
                    live |= tn_tile_live(kk, kr, jq, j1 - jq < NR ? j1 - jq : NR, j->lo, j->hi);
                }
                if (live) {
                    const float *arow[MR];
                    for (int i = 0; i < MR; i++)
                        arow[i] = ag + (size_t)g * rc * MR + i;
                    const float *panel = bp + (size_t)p * rc * NR;
                    tile_panels(arow, MR, panel, step == 2 ? panel + (size_t)rc * NR : NULL, NR, 0, rc, acc[0],
                                acc[1]);
                } else if (!first)
                    continue; /* the mask cuts it all: zeros stored once */
                for (int q = 0; q < step; q++) {
                    int jj = j0 + (p + q) * NR, nr = j1 - jj < NR ? j1 - jj : NR;
                    for (int i = 0; i < kr; i++) {
                        float *dst = part_c + (size_t)(kk + i) * j->n + jj;
                        if (nr == NR)
                            store16(dst, first ? acc[q][i] : acc[q][i] + load16(dst));
                        else
                            for (int x = 0; x < nr; x++)
                                dst[x] = first ? acc[q][i][x] : dst[x] + acc[q][i][x];
                    }
                }
            }
        }
    }
}

/* C[k, :] = the partials' sum in part order where k is live, else 0; a task per MR rows. */
static void tn_reduce_task(void *ctx, int task, int thread)
{
    const tn_job *j = ctx;
    (void)thread;
    size_t stride = (size_t)j->K * j->n;
    for (int k = task * MR; k < j->K && k < (task + 1) * MR; k++) {
        const float *src = j->partial + (size_t)k * j->n;
        float *dst = j->c + (size_t)k * j->ldc;
        for (int q = 0; q < j->n; q++) {
            float v = src[q];
            for (int p = 1; p < j->parts; p++)
                v += src[p * stride + q];
            dst[q] = k >= j->lo[q] && k < j->hi[q] ? v : 0.0f;
        }
    }
}

pcnn_status cpu_masked_gemm_tn(cpu_gemm_scratch *scratch, int K, int n, int m, const float *a, int lda,
                               const gemm_gather *gather, const float *b, int ldb, const gemm_segments *seg, float *c,
                               int ldc)
{
    int kmax;
    pcnn_status st = gemm_segments_check(seg, n, &kmax);
    if (st != PCNN_OK)
        return st;
    if (gather && (K != gather->taps * gather->cin || gather->transposed ||
                   (st = check_gather(gather, m, kmax)) != PCNN_OK))
        return st ? st : pcnn_fail(PCNN_ERR_ARG, "masked_gemm_tn: K %d is not taps x channels of a plain gather", K);
    if (K <= 0 || n <= 0)
        return PCNN_OK;
    /* Parts: fixed by the shape alone (they set where partial sums are added),
     * and their partials at most 16 Mi floats together. */
    int parts = m / TN_PART_ROWS;
    size_t cap = ((size_t)16 << 20) / ((size_t)K * n);
    parts = parts < 1 ? 1 : parts > TN_MAX_PARTS ? TN_MAX_PARTS : parts;
    parts = (size_t)parts > cap ? (cap < 1 ? 1 : (int)cap) : parts;
    int part_rows = m > 0 ? (m + parts - 1) / parts : 0;
    cpu_team *team = cpu_gemm_team(scratch);
    int threads = cpu_team_size(team);
    size_t thread_floats = ((size_t)TN_RC * (TN_KB + TN_NB) + TN_KB + MR + 15) / 16 * 16;
    size_t zeros = gather ? ((size_t)gather->cin + 15) / 16 * 16 : 0, partial = (size_t)parts * K * n;
    size_t ints = 2 * ((size_t)n + 15) / 16 * 16;
    if ((st = scratch_reserve(scratch, threads * thread_floats + zeros + partial + ints)) != PCNN_OK)
        return st;
    float *zero_row = scratch->data + threads * thread_floats;
    memset(zero_row, 0, zeros * sizeof(float));
    int *lo = (int *)(zero_row + zeros + partial), *hi = lo + ints / 2;
    for (int j = 0; j < n; j++)
        column_range(seg, j, &lo[j], &hi[j]);
    tn_job job = {K, n, m, parts, part_rows, (K + TN_KB - 1) / TN_KB, (n + TN_NB - 1) / TN_NB, ldb, ldc, b,
                  {a, lda, gather, zero_row}, lo, hi, zero_row + zeros, scratch->data, thread_floats, c};
    cpu_team_run(team, parts * job.kblocks * job.nblocks, tn_task, &job);
    cpu_team_run(team, (K + MR - 1) / MR, tn_reduce_task, &job);
    return PCNN_OK;
}

int cpu_small_gemm(cpu_gemm_scratch *scratch, int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                   float *c, int ldc)
{
    if (m > SMALL_GEMM_ROWS || m < 1 || n < 1 || k < 1)
        return 0;
    int full = n / NR * NR;
    if (full < n && scratch_reserve(scratch, (size_t)k * NR) != PCNN_OK)
        return 0;
    const epilogue plain = {NULL, 0, 0, 0, 1};
    for (int r = 0; r < m; r += MR) {
        int mr = m - r < MR ? m - r : MR;
        const float *arow[MR];
        for (int i = 0; i < MR; i++)
            arow[i] = a + (size_t)(r + (i < mr ? i : mr - 1)) * lda;
        for (int j = 0; j < full; j += 2 * NR) {
            v16 acc[MR] = {{0}}, acc1[MR] = {{0}};
            int pair = j + 2 * NR <= full;
            tile_panels(arow, 1, b + j, pair ? b + j + NR : NULL, (size_t)ldb, 0, k, acc, acc1);
            store_tile(acc, c + (size_t)r * ldc + j, ldc, mr, NR, &plain);
            if (pair)
                store_tile(acc1, c + (size_t)r * ldc + j + NR, ldc, mr, NR, &plain);
        }
        if (full < n) { /* the last columns, padded with zeros to a panel */
            float *panel = scratch->data;
            if (r == 0)
                for (int kk = 0; kk < k; kk++)
                    for (int jj = 0; jj < NR; jj++)
                        panel[(size_t)kk * NR + jj] = full + jj < n ? b[(size_t)kk * ldb + full + jj] : 0.0f;
            v16 acc[MR] = {{0}};
            tile_product(arow, 1, panel, NR, 0, k, acc);
            store_tile(acc, c + (size_t)r * ldc + full, ldc, mr, n - full, &plain);
        }
    }
    return 1;
}

void cpu_gemm_scratch_free(cpu_gemm_scratch *s)
{
    free(s->data);
    cpu_team_free(s->team);
    memset(s, 0, sizeof *s);
}
