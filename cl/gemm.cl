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

/* ReLU as the CPU backend applies it (host/cpu/cpu_simd.h): v <= 0 gives +0,
 * anything else, NaN included, passes, so a NaN is never hidden as 0. */
static float relu1(float v) { return v <= 0.0f ? 0.0f : v; }
static float8 relu8(float8 v) { return select(v, (float8)0.0f, v <= 0.0f); }

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
                        y = accumulate ? relu8(y) + vload8(v, cr) : relu8(y);
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
                        y = accumulate ? relu1(y) + cr[jj] : relu1(y);
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

/* dst[q][r][i] = src[r*ld + q*group + i] (0 where q*group + i >= cols) for
 * rows r < rows and q < groups: a slice of rows regrouped so that each group
 * of `group` columns is one sequential stream (the weight gradient's
 * operands). One work-item per row, which it reads front to back. */
__kernel void pack_rows(__global float *dst, ulong dst_off, __global const float *src, ulong src_off, int ld,
                        int cols, int group, int groups, int rows)
{
    int r = (int)get_global_id(0);
    if (r >= rows)
        return;
    __global const float *s = src + src_off + (ulong)r * ld;
    __global float *d = dst + dst_off + (ulong)r * group;
    for (int q = 0; q < groups; q++, d += (ulong)rows * group)
        for (int i = 0; i < group; i++)
            d[i] = q * group + i < cols ? s[q * group + i] : 0.0f;
}

/* acc[i] += sum over `rows` rows of ap[i] * bp[0 .. NR), the rows sa and sb
 * apart: MR values of k by NR columns j. Past ka the last k repeats, past nb
 * the columns read 0 (both dropped when the tile is stored). */
static inline void tn_rows(__global const float *ap, int sa, __global const float *bp, int sb, int rows, int ka,
                           int nb, float8 acc[MR][NV])
{
    for (int r = 0; r < rows; r++, ap += sa, bp += sb) {
        float8 bv[NV];
        if (nb == NR) {
#pragma unroll
            for (int v = 0; v < NV; v++)
                bv[v] = vload8(v, bp);
        } else {
            float t[NR];
            for (int jj = 0; jj < NR; jj++)
                t[jj] = jj < nb ? bp[jj] : 0.0f;
#pragma unroll
            for (int v = 0; v < NV; v++)
                bv[v] = vload8(v, t);
        }
#pragma unroll
        for (int i = 0; i < MR; i++) {
            float8 x = ap[min(i, ka - 1)];
#pragma unroll
            for (int v = 0; v < NV; v++)
                acc[i][v] = MAC(x, bv[v], acc[i][v]);
        }
    }
}

/* One tile of the weight gradient (kr values of k by nr columns j) over
 * `rows` rows of A's stream ap and B's stream bp, rows sa and sb apart (a
 * packed stream: MR and NR, zero padded), added to what dst holds unless
 * first (dst: the tile's first entry, rows ldd apart). */
static void tn_tile(__global const float *ap, int sa, __global const float *bp, int sb, int rows, int kr, int nr,
                    int first, __global float *dst, int ldd)
{
    float8 acc[MR][NV];
#pragma unroll
    for (int i = 0; i < MR; i++)
#pragma unroll
        for (int v = 0; v < NV; v++)
            acc[i][v] = 0.0f;
    /* Whole tiles (or packed streams) get constant offsets and vector loads,
     * and keep every accumulator in a register; edge tiles the general loop. */
    int ka = sa == MR ? MR : kr, nb = sb == NR ? NR : nr;
    if (ka == MR && nb == NR)
        tn_rows(ap, sa, bp, sb, rows, MR, NR, acc);
    else
        tn_rows(ap, sa, bp, sb, rows, ka, nb, acc);
    for (int i = 0; i < kr; i++) {
        __global float *d = dst + (ulong)i * ldd;
        if (nr == NR) {
#pragma unroll
            for (int v = 0; v < NV; v++)
                vstore8(first ? acc[i][v] : vload8(v, d) + acc[i][v], v, d);
        } else {
            float t[NR];
#pragma unroll
            for (int v = 0; v < NV; v++)
                vstore8(acc[i][v], v, t);
            for (int jj = 0; jj < nr; jj++)
                d[jj] = first ? t[jj] : d[jj] + t[jj];
        }
    }
}

/* The weight gradient, C[k, j] = sum over r < m of A[r, k] B[r, j] for k in
 * range(j), else 0, in tiles of MR values of k by NR columns j. As any GEMM
 * whose inner dimension (the rows) is long, it goes in blocks over packed
 * operands: pack_rows has laid rows [q0, q1) of A out as groups of MR
 * columns (ap[g][r][MR]) and of B as panels of NR (bp[p][r][NR]), so a tile
 * reads two sequential streams. A work-item owns a block of block_k x block_n
 * tiles and walks its rows in chunks of chunk_rows, whose streams stay in
 * cache while every tile of the block passes over them (the B panel in L1);
 * the tiles' sums add up in the output chunk after chunk, pass after pass
 * (a pass: the rows packed at once). With few blocks (a small C) the rows
 * are also split `splits` ways: split s sums into part[s] (K x n) and
 * tn_reduce adds the splits in order. The order of every sum is fixed by the
 * shape, never by scheduling. Work-item id: block id % blocks of split
 * id / blocks. The last pass zeroes the entries the mask cuts (direct). */
__kernel void masked_gemm_tn(__global const float *a, ulong a_off, int lda, __global const float *b, ulong b_off,
                             int ldb, int q0, int q1, int last,
                             __global float *c, ulong c_off, int ldc, __global float *part, ulong part_off, int K,
                             int n, int m, int splits, int block_k, int block_n, int chunk_rows, int nseg, int8 end,
                             int8 lo, int8 hi)
{
    int kgroups = (K + MR - 1) / MR, npanels = (n + NR - 1) / NR, id = (int)get_global_id(0);
    int bk = (kgroups + block_k - 1) / block_k, blocks = bk * ((npanels + block_n - 1) / block_n);
    int split = id / blocks, blk = id % blocks, split_rows = (m + splits - 1) / splits;
    if (split >= splits)
        return;
    int g0 = blk % bk * block_k, g1 = min(kgroups, g0 + block_k), p0 = blk / bk * block_n,
        p1 = min(npanels, p0 + block_n);
    int s0 = min(m, split * split_rows), s1 = min(m, s0 + split_rows), direct = splits == 1;
    /* This split's rows in this pass; an empty split writes its zeros in the first pass. */
    int r0 = max(s0, q0), r1 = min(s1, q1), rows_packed = q1 - q0;
    if (r0 >= r1 && !(s0 == s1 && q0 == 0))
        r1 = r0 = -1;
    __global float *dst = direct ? c + c_off : part + part_off + (ulong)split * K * n;
    int ldd = direct ? ldc : n;
    for (int cr = r0; cr >= 0 && (cr < r1 || cr == r0); cr += chunk_rows) {
        int rows = min(chunk_rows, r1 - cr);
        for (int p = p0; p < p1; p++) {
            int j0 = p * NR, nr = min(NR, n - j0), plo, phi;
            panel_range(p, n, nseg, end, lo, hi, &plo, &phi);
            /* A stream: packed (lda 0: ap[g][r][MR], rows q0..q1) or A itself; B the same. */
            __global const float *bp = ldb ? b + b_off + (ulong)cr * ldb + j0
                                           : b + b_off + ((ulong)p * rows_packed + (cr - q0)) * NR;
            for (int g = g0; g < g1; g++) {
                int k0 = g * MR, kr = min(MR, K - k0);
                if (k0 >= phi || k0 + kr <= plo)
                    continue; /* no live entry: the mask below (or tn_reduce) writes its zeros */
                __global const float *ap = lda ? a + a_off + (ulong)cr * lda + k0
                                               : a + a_off + ((ulong)g * rows_packed + (cr - q0)) * MR;
                tn_tile(ap, lda ? lda : MR, bp, ldb ? ldb : NR, rows, kr, nr, cr == s0, dst + (ulong)k0 * ldd + j0,
                        ldd);
            }
        }
    }
    if (!direct || !last)
        return;
    for (int j = p0 * NR; j < min(n, p1 * NR); j++) {
        int jlo, jhi;
        column_range(j, nseg, end, lo, hi, &jlo, &jhi);
        for (int k = g0 * MR; k < min(K, g1 * MR); k++)
            if (k < jlo || k >= jhi)
                c[c_off + (ulong)k * ldc + j] = 0.0f;
    }
}

/* C[k, j] = sum over splits of part[split][k][j] in split order where (k, j)
 * is live, else 0. One work-item per entry of C (K x n). */
__kernel void tn_reduce(__global float *c, ulong c_off, int ldc, __global const float *part, ulong part_off, int K,
                        int n, int splits, int nseg, int8 end, int8 lo, int8 hi)
{
    int i = (int)get_global_id(0);
    if (i >= K * n)
        return;
    int k = i / n, j = i % n;
    float s = 0.0f;
    if (live(k, j, nseg, end, lo, hi))
        for (int sp = 0; sp < splits; sp++)
            s += part[part_off + (ulong)sp * K * n + i];
    c[c_off + (ulong)k * ldc + j] = s;
}
