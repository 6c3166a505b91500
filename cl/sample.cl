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
/* The draw of one image's sub-pixel by a work-group of WG items; p, red and
 * sh (3 ints) are the group's local memory, every item calls it (barriers). */
static void draw_one(__global uchar *px, __global float *input, int has_input, __global const float *z, ulong seed,
                     uint image, uint c1, uint c2, uint c3, float inv_t, __global float *bad, int has_bad,
                     __local real *p, __local float *red, __local int *sh, int wg)
{
    int lid = (int)get_local_id(0);
    /* sh: [0] first, [1] last_live, [2] nonfinite */
    if (lid == 0)
        sh[2] = 0;
    barrier(CLK_LOCAL_MEM_FENCE);
    float m = z[0];
    for (int v = lid; v < 256; v += wg) {
        m = fmax(m, z[v]);
        if (!isfinite(z[v]))
            sh[2] = 1; /* every writer writes the same value */
    }
    red[lid] = m;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int span = wg / 2; span > 0; span /= 2) {
        if (lid < span)
            red[lid] = fmax(red[lid], red[lid + span]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    m = red[0];
    for (int v = lid; v < 256; v += wg)
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
        sh[1] = live;
        sh[0] = -1;
    }
    barrier(CLK_LOCAL_MEM_FENCE);

    uint w0 = philox_w0(seed, image, c1, c2, c3);
#if SAMPLE_FP64
    real u = (real)w0 * (1.0 / 4294967296.0);
#else
    /* 24 bits, so u < 1 also in float: within 2^-24 of the CPU's u. */
    real u = (real)(w0 >> 8) * (1.0f / 16777216.0f);
#endif
    real t = u * p[255];
    for (int v = lid; v < 256; v += wg)
        if (t < p[v] && (v == 0 || !(t < p[v - 1])))
            sh[0] = v;
    barrier(CLK_LOCAL_MEM_FENCE);

    if (lid == 0) {
        int value = sh[0] >= 0 ? sh[0] : sh[1];
        *px = (uchar)value;
        if (has_input)
            *input = (float)value / 255.0f;
        if (has_bad && sh[2])
            *bad = 1.0f;
    }
}

__kernel void sample_draw(__global uchar *pixels, ulong px_off, ulong px_stride, __global float *input, ulong in_off,
                          ulong in_stride, int has_input, __global const float *logits, ulong z_off, ulong ld_z,
                          int n, ulong seed, uint image_base, uint c1, uint c2, uint c3, float inv_t,
                          __global float *bad, ulong bad_off, int has_bad)
{
    __local real p[256];
    __local float red[WG];
    __local int sh[3];
    /* launched with exactly n work-groups: every barrier is reached by all */
    ulong img = get_group_id(0);
    draw_one(pixels + px_off + img * px_stride, input + in_off + img * in_stride, has_input,
             logits + z_off + img * ld_z, seed, image_base + (uint)img, c1, c2, c3, inv_t, bad + bad_off + img,
             has_bad, p, red, sh, WG);
}

/* ---- sample_step: the whole network at one position, one launch --------- */

/* The words of backend.h's enum sample_step_word. */
#define SS_N_OPS 0
#define SS_W 1
#define SS_C 2
#define SS_IMAGE_BYTES 3
#define SS_LOGITS 4
#define SS_LOGITS_LD 5
#define SS_RING0 6
#define SS_RING0_LD 7
#define SS_RING0_R 8
#define SS_BAD 9
#define SS_PARAMS 10
#define SS_HEADER_WORDS 16
#define SAMPLE_OP_WORDS 16
#define SAMPLE_OP_CONV 1
#define SAMPLE_OP_ADD 2

/* STEP_IMAGES images per work-group, STEP_VEC output columns per work-item
 * (1, 4 or 8): build options, chosen per device (several images and float8
 * columns on a CPU device, where one work-group runs on one core; 1 and 1 on
 * a GPU, for more work-groups and items). Neither changes a result: every
 * output element is summed over k = 0, 1, ... in order, then + bias, ReLU. */
#ifndef STEP_IMAGES
#define STEP_IMAGES 1
#endif
#ifndef STEP_VEC
#define STEP_VEC 1
#endif
#ifndef STEP_WG /* its work-group size: a power of two, at least 16 */
#define STEP_WG WG
#endif
#if STEP_VEC == 8
typedef float8 floatv;
#define VLOAD(p) vload8(0, p)
#define VSTORE(v, p) vstore8(v, 0, p)
#elif STEP_VEC == 4
typedef float4 floatv;
#define VLOAD(p) vload4(0, p)
#define VSTORE(v, p) vstore4(v, 0, p)
#else
typedef float floatv;
#define VLOAD(p) (*(p))
#define VSTORE(v, p) (*(p) = (v))
#endif

/* acc + x*w in one rounding where the device has a fused multiply-add
 * (-DHAVE_FMA=1, as cl/gemm.cl): fma is exact by the standard, so every such
 * device sums the same bits; elsewhere two roundings. */
#if HAVE_FMA
#define STEP_MAC(T, x, w, acc) fma((T)(x), w, acc)
#else
#define STEP_MAC(T, x, w, acc) ((acc) + (x) * (w))
#endif

static uint word(__global const int *o, int i) { return (uint)o[i]; }
#define SCALAR_STORE(v, p) (*(p) = (v))

/* Columns [j0, j0 + V) of one convolution at (y, x), group g, for the images
 * [img0, img0 + nimg), nimg <= STEP_IMAGES. V = STEP_VEC (vector) or 1 (the tail of go % STEP_VEC). */
#define CONV_COLUMNS(T, LOAD, STORE, V)                                                                           \
    {                                                                                                              \
        T acc[STEP_IMAGES];                                                                                        \
        for (int i = 0; i < STEP_IMAGES; i++)                                                                      \
            acc[i] = (T)0.0f;                                                                                      \
        __global const float *wj = params + w_off + (ulong)(g * go + j0);                                         \
        if (in_r) {                                                                                                \
            for (int t = 0; t < taps; t++) {                                                                       \
                int kt = t * cin, kn = min(cin, K - kt);                                                           \
                if (kn <= 0)                                                                                       \
                    break;                                                                                         \
                int sy = y + t / kw - kh / 2, sx = x + t % kw - kw / 2;                                            \
                if (sy < 0 || sx < 0 || sx >= W) /* zeros: adding their products changes nothing */               \
                    continue;                                                                                      \
                __global const float *src = state + in_off + ((ulong)(sy % in_r) * W + sx) * cin;                  \
                for (int c = 0; c < kn; c++) {                                                                     \
                    T wv = LOAD(wj + (ulong)(kt + c) * cout);                                                      \
                    for (int i = 0; i < STEP_IMAGES; i++)                                                          \
                        if (i < nimg)                                                                              \
                            acc[i] = STEP_MAC(T, src[(ulong)(img0 + i) * in_ld + c], wv, acc[i]);                     \
                }                                                                                                  \
            }                                                                                                      \
        } else {                                                                                                   \
            __global const float *src = state + in_off;                                                            \
            for (int k = 0; k < K; k++) {                                                                          \
                T wv = LOAD(wj + (ulong)k * cout);                                                                 \
                for (int i = 0; i < STEP_IMAGES; i++)                                                              \
                    if (i < nimg)                                                                                  \
                        acc[i] = STEP_MAC(T, src[(ulong)(img0 + i) * in_ld + k], wv, acc[i]);                         \
            }                                                                                                      \
        }                                                                                                          \
        T bv = LOAD(params + b_off + (ulong)(g * go + j0));                                                        \
        for (int i = 0; i < nimg; i++) {                                                                           \
            T v = acc[i] + bv;                                                                                     \
            if (relu)                                                                                              \
                v = select(v, (T)0.0f, v <= (T)0.0f); /* ReLU: NaN passes, as everywhere */                       \
            STORE(v, state + out_at + (ulong)(img0 + i) * out_ld + (ulong)j0);                                     \
        }                                                                                                          \
    }

/* The lanes of v that are columns of the group: j0 + lane < go. */
#define PARTIAL_STORE(v, p)                                                                                        \
    {                                                                                                              \
        float lanes_[STEP_VEC];                                                                                    \
        VSTORE(v, lanes_);                                                                                         \
        for (int l_ = 0; l_ < go - j0; l_++)                                                                       \
            (p)[l_] = lanes_[l_];                                                                                  \
    }

static void conv_op(__global const int *o, __global float *state, __global const float *params, ulong n_params,
                    int img0, int nimg, int W, int C, int y, int x, int g)
{
    int cin = o[1], cout = o[2], kh = o[3], kw = o[4], taps = o[5], mask_a = o[6], relu = o[7];
    ulong w_off = word(o, 8), b_off = word(o, 9), in_off = word(o, 10), in_ld = word(o, 11);
    int in_r = o[12];
    ulong out_off = word(o, 13), out_ld = word(o, 14);
    int out_r = o[15];
    int go = cout / C, gi = cin / C;
    int K = (taps - 1) * cin + (mask_a ? g : g + 1) * gi;
    ulong out_at = out_off + (out_r ? ((ulong)(y % out_r) * W + x) * cout : 0) + (ulong)g * go;
    int vec_cols = go / STEP_VEC * STEP_VEC;
    for (int j = (int)get_local_id(0) * STEP_VEC; j < go; j += STEP_WG * STEP_VEC) {
        int j0 = j;
        /* The tail (go % STEP_VEC columns) as a vector too where the lanes past
         * the group read weights and biases inside params (lanes are
         * independent: the extra ones are dropped); else column by column. */
        ulong reach = (ulong)g * go + j + STEP_VEC;
        if (j < vec_cols) {
            CONV_COLUMNS(floatv, VLOAD, VSTORE, STEP_VEC)
        } else if (w_off + (ulong)max(K - 1, 0) * cout + reach <= n_params && b_off + reach <= n_params) {
            CONV_COLUMNS(floatv, VLOAD, PARTIAL_STORE, STEP_VEC)
        } else {
            for (j0 = j; j0 < go; j0++)
                CONV_COLUMNS(float, *, SCALAR_STORE, 1)
        }
    }
}

/* dst[img, g*cols + c] = act(a[..] + b[..]) for the group's images. */
static void add_op(__global const int *o, __global float *state, int img0, int nimg, int g)
{
    int cols = o[1], relu = o[2], has_b = o[5] >= 0;
    ulong dst = word(o, 3), a = word(o, 4), b = has_b ? word(o, 5) : 0, ld = word(o, 6);
    for (int e = (int)get_local_id(0); e < nimg * cols; e += STEP_WG) {
        ulong at = (ulong)(img0 + e / cols) * ld + (ulong)g * cols + (ulong)(e % cols);
        float v = state[a + at];
        if (has_b)
            v = v + state[b + at];
        state[dst + at] = relu ? (v <= 0.0f ? 0.0f : v) : v;
    }
}

/* backend.h's sample_step: a work-group of STEP_WG items per per_group (<= STEP_IMAGES) images
 * walks the program's layers in order (a barrier between layers: a layer
 * reads what the group wrote before it), then draws each image's sub-pixel.
 * Launched with ceil(n / per_group) work-groups. */
__kernel void sample_step(__global const int *prog, ulong prog_off, __global float *state, ulong state_off,
                          __global const float *params, ulong params_off, __global uchar *pixels, ulong px_off, int n,
                          int per_group, ulong seed, uint image_base, int y, int x, int g, float inv_t, int draw)
{
    __local real p[256];
    __local float red[STEP_WG];
    __local int sh[3];
    prog += prog_off;
    state += state_off;
    params += params_off;
    int W = prog[SS_W], C = prog[SS_C], n_ops = prog[SS_N_OPS];
    int img0 = (int)get_group_id(0) * per_group, nimg = min(per_group, n - img0);
    for (int op = 0; op < n_ops; op++) {
        __global const int *o = prog + SS_HEADER_WORDS + op * SAMPLE_OP_WORDS;
        if (o[0] == SAMPLE_OP_CONV)
            conv_op(o, state, params, word(prog, SS_PARAMS), img0, nimg, W, C, y, x, g);
        else
            add_op(o, state, img0, nimg, g);
        barrier(CLK_GLOBAL_MEM_FENCE);
    }
    if (!draw)
        return;
    ulong image_bytes = word(prog, SS_IMAGE_BYTES), ld_z = word(prog, SS_LOGITS_LD), ring_ld = word(prog, SS_RING0_LD);
    ulong at = ((ulong)y * W + x) * C + g, ring_at = ((ulong)(y % prog[SS_RING0_R]) * W + x) * C + g;
    for (int i = 0; i < nimg; i++) {
        ulong img = (ulong)(img0 + i);
        draw_one(pixels + px_off + img * image_bytes + at, state + word(prog, SS_RING0) + img * ring_ld + ring_at, 1,
                 state + word(prog, SS_LOGITS) + img * ld_z + (ulong)g * 256, seed, image_base + (uint)img, (uint)y,
                 (uint)x, 0x53414D00u | (uint)g, inv_t, state + word(prog, SS_BAD) + img, 1, p, red, sh, STEP_WG);
    }
}
