/* The fast sampler's kernels (host/sample/sample_fast.c): a strided add + activation,
 * the im2col of one position from a ring of rows, and the draw of one
 * sub-pixel per image. Offsets are element offsets (bytes for uint8 views).
 * Build options: -DWG=<local size> (a power of two, >= 16), the work-group
 * size of sample_draw; -DSAMPLE_FP64=1 where the device has cl_khr_fp64, so
 * the draw's CDF is in double exactly as on the CPU backend (else float: see
 * backend.h for what that costs). */
#pragma OPENCL FP_CONTRACT OFF

#if SAMPLE_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
typedef double real;
#else
typedef float real;
#endif

/* dst[r*ld_dst + c] = act(a[r*ld_a + c] + b[r*ld_b + c]) over [rows, cols];
 * has_b == 0 adds nothing (b is then any valid buffer, never read). One
 * work-item per element, and each reads its element before writing it, so
 * dst may alias a or b element for element. */
__kernel void add_act_2d(__global float *dst, ulong dst_off, ulong ld_dst, __global const float *a, ulong a_off,
                         ulong ld_a, __global const float *b, ulong b_off, ulong ld_b, int has_b, ulong rows,
                         int cols, int relu)
{
    ulong i = get_global_id(0);
    if (i >= rows * cols)
        return;
    ulong r = i / cols, c = i % cols;
    float v = a[a_off + r * ld_a + c];
    if (has_b)
        v = v + b[b_off + r * ld_b + c];
    dst[dst_off + r * ld_dst + c] = relu ? (v <= 0.0f ? 0.0f : v) : v; /* ReLU: NaN passes, as everywhere */
}

/* col[i, t*cin + c] = ring[i, (y + dy_t) % R, x + dx_t, c], 0 outside the
 * image; ring is [n, R, W, cin], col [n, taps*cin]. One work-item per element
 * of col (adjacent items read adjacent channels). */
__kernel void gather_taps(__global float *col, ulong col_off, __global const float *ring, ulong ring_off, int n,
                          int R, int W, int cin, int kh, int kw, int taps, int y, int x)
{
    ulong i = get_global_id(0), row_len = (ulong)taps * cin;
    if (i >= (ulong)n * row_len)
        return;
    ulong img = i / row_len;
    int k = (int)(i % row_len), t = k / cin, c = k % cin;
    int sy = y + t / kw - kh / 2, sx = x + t % kw - kw / 2;
    float v = 0.0f;
    if (sy >= 0 && sx >= 0 && sx < W)
        v = ring[ring_off + img * ((ulong)R * W * cin) + ((ulong)(sy % R) * W + sx) * cin + c];
    col[col_off + i] = v;
}

/* Philox4x32-10 word 0, as host/base/base_rng.c computes it: 32-bit products split
 * into high (mul_hi) and low halves, the key bumped by the Weyl constants. */
static uint philox_w0(ulong key, uint x0, uint x1, uint x2, uint x3)
{
    uint k0 = (uint)key, k1 = (uint)(key >> 32);
    for (int round = 0; round < 10; round++) {
        uint hi0 = mul_hi(0xD2511F53u, x0), lo0 = 0xD2511F53u * x0;
        uint hi1 = mul_hi(0xCD9E8D57u, x2), lo1 = 0xCD9E8D57u * x2;
        uint y0 = hi1 ^ x1 ^ k0, y2 = hi0 ^ x3 ^ k1;
        x0 = y0;
        x1 = lo1;
        x2 = y2;
        x3 = lo0;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    return x0;
}

/* One work-group of WG items per image draws value v with probability
 * softmax(z * inv_t)_v by inverting the CDF, step for step as backend.h
 * documents (and host/cpu/cpu_backend.c's draw_one does):
 *   m = max z (exact in any order);  e_v = exp((real)(z_v - m) * inv_t) (in
 *   parallel: each e_v is a pure function of z_v, m);  P_v = e_0 + ... + e_v
 *   summed in order by one item (the order fixes the rounding, so P equals the
 *   CPU's running sum);  t = u * P_255;  value = the first v with t < P_v,
 *   found in parallel (P is non-decreasing, so exactly one v has
 *   t < P_v and not t < P_{v-1}), else the last v with e_v > 0 (NaN logits).
 * The counter is (image_base + i, c1, c2, c3) = (image, y, x, tag | colour).
 * has_bad: bad[img] = 1 when a logit is NaN or infinite (else left as it is). */
__kernel void sample_draw(__global uchar *pixels, ulong px_off, ulong px_stride, __global float *input, ulong in_off,
                          ulong in_stride, int has_input, __global const float *logits, ulong z_off, ulong ld_z,
                          int n, ulong seed, uint image_base, uint c1, uint c2, uint c3, float inv_t,
                          __global float *bad, ulong bad_off, int has_bad)
{
    __local real p[256];
    __local float red[WG];
    __local int first, last_live, nonfinite;
    int img = (int)get_group_id(0), lid = (int)get_local_id(0);
    /* launched with exactly n work-groups: every barrier is reached by all */
    __global const float *z = logits + z_off + (ulong)img * ld_z;

    if (lid == 0)
        nonfinite = 0;
    barrier(CLK_LOCAL_MEM_FENCE);
    float m = z[0];
    for (int v = lid; v < 256; v += WG) {
        m = fmax(m, z[v]);
        if (!isfinite(z[v]))
            nonfinite = 1; /* every writer writes the same value */
    }
    red[lid] = m;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int span = WG / 2; span > 0; span /= 2) {
        if (lid < span)
            red[lid] = fmax(red[lid], red[lid + span]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    m = red[0];
    for (int v = lid; v < 256; v += WG)
        p[v] = exp((real)(z[v] - m) * (real)inv_t);
    barrier(CLK_LOCAL_MEM_FENCE);

    if (lid == 0) {
        real sum = 0;
        int live = 0;
        for (int v = 0; v < 256; v++) {
            if (p[v] > 0)
                live = v;
            sum += p[v];
            p[v] = sum;
        }
        last_live = live;
        first = -1;
    }
    barrier(CLK_LOCAL_MEM_FENCE);

    uint w0 = philox_w0(seed, image_base + (uint)img, c1, c2, c3);
#if SAMPLE_FP64
    real u = (real)w0 * (1.0 / 4294967296.0);
#else
    /* 24 bits, so u < 1 also in float: within 2^-24 of the CPU's u. */
    real u = (real)(w0 >> 8) * (1.0f / 16777216.0f);
#endif
    real t = u * p[255];
    for (int v = lid; v < 256; v += WG)
        if (t < p[v] && (v == 0 || !(t < p[v - 1])))
            first = v;
    barrier(CLK_LOCAL_MEM_FENCE);

    if (lid == 0) {
        int value = first >= 0 ? first : last_live;
        pixels[px_off + (ulong)img * px_stride] = (uchar)value;
        if (has_input)
            input[in_off + (ulong)img * in_stride] = (float)value / 255.0f;
        if (has_bad && nonfinite)
            bad[bad_off + img] = 1.0f;
    }
}
