/* The masked products of backend.h (masked_gemm, masked_gemm_tn), written for
 * devices that run a work-item as a thread of a CPU core (PoCL): one
 * work-item computes whole MR x NR register tiles with explicit float8
 * vectors and loops over many of them, so a launch has a few hundred
 * work-items instead of one per element, and nothing needs local memory or
 * barriers. Build options:
 *   -DMR=<rows of a register tile> (1..8)  -DNR=<columns: 8 or 16>
 *   -DMC=<rows per work-item of the forward product, a multiple of MR>
 * Row-major throughout; offsets are element offsets of views. A column's
 * inner range comes from the segments (backend.h's gemm_segments) passed as
 * int8 vectors: segment s covers columns [end[s-1], end[s]) and inner indices
 * [lo[s], hi[s]). */
#pragma OPENCL FP_CONTRACT OFF

#define NV (NR / 8) /* float8 vectors per tile row */

/* a*b + c in one rounding where the device has a fused multiply-add
 * (-DHAVE_FMA=1; a software fma would be far slower than two roundings). */
#if HAVE_FMA
#define MAC(a, b, c) fma(a, b, c)
#else
#define MAC(a, b, c) ((a) * (b) + (c))
#endif

static void column_range(int j, int nseg, int8 end, int8 lo, int8 hi, int *jlo, int *jhi)
{
    int e[8], l[8], h[8];
    vstore8(end, 0, e);
    vstore8(lo, 0, l);
    vstore8(hi, 0, h);
    *jlo = *jhi = 0;
    for (int s = 0; s < nseg; s++)
        if (j < e[s]) {
            *jlo = l[s];
            *jhi = h[s];
            return;
        }
}

/* packed[p][k][jj] = op(B)[k, p*NR + jj] for k < kmax, zero where column
 * p*NR + jj's range excludes k or the column is past n. op(B)[k, j] is
 * b[j*ldb + k] if trans_b, else b[k*ldb + j]. One work-item per element. */
__kernel void pack_b(__global float *packed, __global const float *b, ulong b_off, int ldb, int trans_b, int n,
                     int kmax, int npanels, int nseg, int8 end, int8 lo, int8 hi)
{
    int i = (int)get_global_id(0);
    if (i >= npanels * kmax * NR)
        return;
    int jj = i % NR, k = i / NR % kmax, p = i / (NR * kmax), j = p * NR + jj, jlo, jhi;
    column_range(j, nseg, end, lo, hi, &jlo, &jhi);
    float v = 0.0f;
    if (j < n && k >= jlo && k < jhi)
        v = trans_b ? b[b_off + (ulong)j * ldb + k] : b[b_off + (ulong)k * ldb + j];
    packed[i] = v;
}

/* The union of the inner ranges of panel p's columns ([0, 0) if all empty). */
static void panel_range(int p, int n, int nseg, int8 end, int8 lo, int8 hi, int *plo, int *phi)
{
    int l = 1 << 30, h = 0;
    for (int jj = 0; jj < NR && p * NR + jj < n; jj++) {
        int jlo, jhi;
        column_range(p * NR + jj, nseg, end, lo, hi, &jlo, &jhi);
        if (jlo < jhi) {
            l = min(l, jlo);
            h = max(h, jhi);
        }
    }
    *plo = l < h ? l : 0;
    *phi = l < h ? h : 0;
}

/* C[r, j] = act(sum over k in range(j) of A[r, k] op(B)[k, j] + bias[j]) (+ C[r, j] if accumulate),
 * with op(B) packed by pack_b. Work-item (block, panel) = id / npanels, id % npanels:
 * rows [block*MC, block*MC + MC) of columns [panel*NR, panel*NR + NR). */
__kernel void masked_gemm(__global const float *a, ulong a_off, int lda, __global const float8 *packed, int kmax,
                          int npanels, __global const float *bias, ulong bias_off, int has_bias, int relu,
                          int accumulate, __global float *c, ulong c_off, int ldc, int m, int n, int nseg, int8 end,
                          int8 lo, int8 hi)
{
    int id = (int)get_global_id(0), p = id % npanels, r_end = min(m, id / npanels * MC + MC);
    if (id / npanels * MC >= m)
        return;
    int k0, k1, j0 = p * NR, nr = min(NR, n - j0);
    panel_range(p, n, nseg, end, lo, hi, &k0, &k1);
    __global const float8 *panel = packed + (ulong)p * kmax * NV;
    float8 bv[NV];
    for (int v = 0; v < NV; v++)
        bv[v] = 0.0f;
    if (has_bias)
        for (int jj = 0; jj < nr; jj++)
            ((float *)bv)[jj] = bias[bias_off + j0 + jj];
    for (int r = id / npanels * MC; r < r_end; r += MR) {
        int mr = min(MR, r_end - r);
        __global const float *ar[MR];
#pragma unroll
        for (int i = 0; i < MR; i++) /* a short tile repeats its last row and drops it */
            ar[i] = a + a_off + (ulong)(r + min(i, mr - 1)) * lda;
        float8 acc[MR][NV];
#pragma unroll
        for (int i = 0; i < MR; i++)
#pragma unroll
            for (int v = 0; v < NV; v++)
                acc[i][v] = 0.0f;
        for (int k = k0; k < k1; k++) {
            float8 b[NV];
#pragma unroll
            for (int v = 0; v < NV; v++)
                b[v] = panel[k * NV + v];
#pragma unroll
            for (int i = 0; i < MR; i++) {
                float8 x = ar[i][k];
#pragma unroll
                for (int v = 0; v < NV; v++)
                    acc[i][v] = MAC(x, b[v], acc[i][v]);
            }
        }
        for (int i = 0; i < mr; i++) {
            __global float *cr = c + c_off + (ulong)(r + i) * ldc + j0;
            if (nr == NR) {
#pragma unroll
                for (int v = 0; v < NV; v++) {
                    float8 y = acc[i][v];
                    if (accumulate && !relu)
                        y += vload8(v, cr);
                    y += bv[v];
                    if (relu) /* with accumulate, a residual connection: added after the act */
                        y = accumulate ? fmax(y, 0.0f) + vload8(v, cr) : fmax(y, 0.0f);
                    vstore8(y, v, cr);
                }
            } else {
                float t[NR];
#pragma unroll
                for (int v = 0; v < NV; v++)
                    vstore8(acc[i][v], v, t);
                for (int jj = 0; jj < nr; jj++) {
                    float y = t[jj];
                    if (accumulate && !relu)
                        y += cr[jj];
                    y += ((float *)bv)[jj];
                    if (relu)
                        y = accumulate ? fmax(y, 0.0f) + cr[jj] : fmax(y, 0.0f);
                    cr[jj] = y;
                }
            }
        }
    }
}

/* Whether entry (k, j) of the weight gradient is live: k in range(j). */
static int live(int k, int j, int nseg, int8 end, int8 lo, int8 hi)
{
    int jlo, jhi;
    column_range(j, nseg, end, lo, hi, &jlo, &jhi);
    return k >= jlo && k < jhi;
}

/* acc[i] += sum over `rows` rows of ap[i] * bp[0 .. NR) (the rows lda and ldb
 * apart): MR values of k by NR columns j. Past kr the last k repeats, past nr
 * the columns read 0; both are dropped when the tile is stored. */
static inline void tn_rows(__global const float *ap, int lda, __global const float *bp, int ldb, int rows, int kr,
                           int nr, float8 acc[MR][NV])
{
    for (int r = 0; r < rows; r++, ap += lda, bp += ldb) {
        float8 bv[NV];
        if (nr == NR) {
#pragma unroll
            for (int v = 0; v < NV; v++)
                bv[v] = vload8(v, bp);
        } else {
            float t[NR];
            for (int jj = 0; jj < NR; jj++)
                t[jj] = jj < nr ? bp[jj] : 0.0f;
#pragma unroll
            for (int v = 0; v < NV; v++)
                bv[v] = vload8(v, t);
        }
#pragma unroll
        for (int i = 0; i < MR; i++) {
            float8 x = ap[min(i, kr - 1)];
#pragma unroll
            for (int v = 0; v < NV; v++)
                acc[i][v] = MAC(x, bv[v], acc[i][v]);
        }
    }
}

/* The weight gradient, C[k, j] = sum over r < m of A[r, k] B[r, j] for k in
 * range(j), else 0, in tiles of MR values of k by NR columns j. The rows are
 * cut into chunks of `chunk_rows`; work-item id takes tile id % tiles of
 * chunk id / tiles, so neighbouring work-items read the same rows (in cache).
 * One chunk: the tile goes straight to C (masked). Several: each chunk's
 * tile goes to part[chunk][k][j] (K x n each) and tn_reduce sums them in
 * chunk order, so the result never depends on scheduling. */
__kernel void masked_gemm_tn(__global const float *a, ulong a_off, int lda, __global const float *b, ulong b_off,
                             int ldb, __global float *c, ulong c_off, int ldc, __global float *part, int K, int n,
                             int m, int chunk_rows, int nseg, int8 end, int8 lo, int8 hi)
{
    int kgroups = (K + MR - 1) / MR, tiles = kgroups * ((n + NR - 1) / NR), id = (int)get_global_id(0);
    int chunk = id / tiles, t = id % tiles, k0 = t % kgroups * MR, j0 = t / kgroups * NR;
    int r0 = chunk * chunk_rows, r1 = min(m, r0 + chunk_rows);
    if (r0 >= m && chunk > 0)
        return;
    /* The tile's column ranges, taken before the loop so that the segment
     * vectors do not hold registers the accumulators need. */
    int kr = min(MR, K - k0), nr = min(NR, n - j0), any = 0, clo[NR], chi[NR];
    for (int jj = 0; jj < NR; jj++) {
        clo[jj] = chi[jj] = 0;
        if (jj < nr)
            column_range(j0 + jj, nseg, end, lo, hi, &clo[jj], &chi[jj]);
        any |= clo[jj] < chi[jj] && clo[jj] < k0 + kr && chi[jj] > k0;
    }
    int direct = chunk_rows >= m;
    if (!any && !direct)
        return; /* tn_reduce writes the zeros */
    float8 acc[MR][NV];
#pragma unroll
    for (int i = 0; i < MR; i++)
#pragma unroll
        for (int v = 0; v < NV; v++)
            acc[i][v] = 0.0f;
    __global const float *ap = a + a_off + (ulong)r0 * lda + k0, *bp = b + b_off + (ulong)r0 * ldb + j0;
    int rows = any ? r1 - r0 : 0;
    /* Whole tiles get constant offsets and vector loads (and keep every
     * accumulator in a register); edge tiles the general loop. */
    if (kr == MR && nr == NR)
        tn_rows(ap, lda, bp, ldb, rows, MR, NR, acc);
    else
        tn_rows(ap, lda, bp, ldb, rows, kr, nr, acc);
    for (int i = 0; i < kr; i++) {
        float t8[NR];
#pragma unroll
        for (int v = 0; v < NV; v++)
            vstore8(acc[i][v], v, t8);
        if (direct) {
            __global float *cr = c + c_off + (ulong)(k0 + i) * ldc + j0;
            for (int jj = 0; jj < nr; jj++)
                cr[jj] = k0 + i >= clo[jj] && k0 + i < chi[jj] ? t8[jj] : 0.0f;
        } else {
            __global float *pr = part + ((ulong)chunk * K + k0 + i) * n + j0;
            for (int jj = 0; jj < nr; jj++)
                pr[jj] = t8[jj];
        }
    }
}

/* C[k, j] = sum over chunks of part[chunk][k][j] in chunk order where (k, j)
 * is live, else 0. One work-item per entry of C (K x n). */
__kernel void tn_reduce(__global float *c, ulong c_off, int ldc, __global const float *part, int K, int n, int chunks,
                        int nseg, int8 end, int8 lo, int8 hi)
{
    int i = (int)get_global_id(0);
    if (i >= K * n)
        return;
    int k = i / n, j = i % n;
    float s = 0.0f;
    if (live(k, j, nseg, end, lo, hi))
        for (int ch = 0; ch < chunks; ch++)
            s += part[(ulong)ch * K * n + i];
    c[c_off + (ulong)k * ldc + j] = s;
}
