/* Element-wise kernels and the bias reductions. Offsets are element offsets
 * (bytes for uint8 views). */
#pragma OPENCL FP_CONTRACT OFF

/* The streaming kernels below take 8 elements per work-item as float8 (on a
 * CPU device a bounds check per element becomes masked loads and stores,
 * which are slow); the work-item past the last whole 8 does the n % 8 tail. */
#define TAIL_LOOP(i, n) for (; i < n; i++)

/* ReLU as the CPU backend applies it (host/cpu/cpu_simd.h): v <= 0 gives +0,
 * anything else, NaN included, passes, so a NaN is never hidden as 0. */
static float relu1(float v) { return v <= 0.0f ? 0.0f : v; }
static float8 relu8(float8 v) { return select(v, (float8)0.0f, v <= 0.0f); }

__kernel void fill(__global float *x, ulong x_off, ulong n, float value)
{
    ulong i = get_global_id(0) * 8;
    if (i + 8 <= n)
        vstore8((float8)value, 0, x + x_off + i);
    else
        TAIL_LOOP(i, n) x[x_off + i] = value;
}

/* y[r, c] = act(y[r, c] + bias[c]), y is [rows, cols]. */
__kernel void bias_act(__global float *y, ulong y_off, __global const float *bias, ulong bias_off, ulong rows,
                       int cols, int relu)
{
    ulong i = get_global_id(0);
    if (i >= rows * cols)
        return;
    float v = y[y_off + i] + bias[bias_off + i % cols];
    y[y_off + i] = relu ? relu1(v) : v;
}

/* Column sums of dy [rows, cols] in two launches with a fixed order, so the
 * result does not depend on scheduling: bias_grad_part sums each chunk of
 * chunk_rows rows for 8 adjacent columns (float8, Kahan-compensated: the CPU
 * backend sums in double) into part[chunk][cols]; bias_grad_sum adds the
 * chunks in order. Work-item id of the first: columns (id % blocks) * 8 of
 * chunk id / blocks. */
/* src[0 .. nc) as a float8, zeros past nc. */
static float8 load_cols(__global const float *src, int nc)
{
    if (nc == 8)
        return vload8(0, src);
    float t[8];
    for (int k = 0; k < 8; k++)
        t[k] = k < nc ? src[k] : 0.0f;
    return vload8(0, t);
}

__kernel void bias_grad_part(__global float *part, __global const float *dy, ulong dy_off, int rows, int cols,
                             int chunk_rows)
{
    int blocks = (cols + 7) / 8, id = (int)get_global_id(0), c0 = id % blocks * 8, chunk = id / blocks;
    int r0 = chunk * chunk_rows, r1 = min(rows, r0 + chunk_rows), nc = min(8, cols - c0);
    if (r0 >= rows)
        return;
    /* Four Kahan chains over rows r % 4, so the adds of one row need not wait
     * for the previous row's; combined in a fixed order. */
    float8 sum[4] = {0.0f, 0.0f, 0.0f, 0.0f}, comp[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int r = r0; r < r1; r += 4)
#pragma unroll
        for (int l = 0; l < 4; l++) {
            float8 v = 0.0f;
            if (r + l < r1)
                v = load_cols(dy + dy_off + (ulong)(r + l) * cols + c0, nc);
            float8 term = v - comp[l], s = sum[l] + term;
            comp[l] = (s - sum[l]) - term;
            sum[l] = s;
        }
    float8 total = (sum[0] + sum[1]) + (sum[2] + sum[3]);
    float t[8];
    vstore8(total, 0, t);
    for (int k = 0; k < nc; k++)
        part[(ulong)chunk * cols + c0 + k] = t[k];
}

__kernel void bias_grad_sum(__global float *db, ulong db_off, __global const float *part, int chunks, int cols)
{
    int c = (int)get_global_id(0);
    if (c >= cols)
        return;
    float sum = 0.0f, comp = 0.0f;
    for (int k = 0; k < chunks; k++) {
        float term = part[(ulong)k * cols + c] - comp, s = sum + term;
        comp = (s - sum) - term;
        sum = s;
    }
    db[db_off + c] = sum;
}

/* dst = relu(src), as the CPU backend (-0 gives +0, NaN stays NaN). */
__kernel void relu(__global float *dst, ulong dst_off, __global const float *src, ulong src_off, ulong n)
{
    ulong i = get_global_id(0) * 8;
    if (i + 8 <= n) {
        float8 v = vload8(0, src + src_off + i);
        vstore8(relu8(v), 0, dst + dst_off + i);
    } else {
        TAIL_LOOP(i, n) dst[dst_off + i] = relu1(src[src_off + i]);
    }
}

/* dy = y > 0 ? dy : 0 */
__kernel void relu_backward(__global float *dy, ulong dy_off, __global const float *y, ulong y_off, ulong n)
{
    ulong i = get_global_id(0) * 8;
    if (i + 8 <= n) {
        float8 d = vload8(0, dy + dy_off + i), v = vload8(0, y + y_off + i);
        vstore8(select((float8)0.0f, d, v > 0.0f), 0, dy + dy_off + i);
    } else {
        TAIL_LOOP(i, n) dy[dy_off + i] = y[y_off + i] > 0.0f ? dy[dy_off + i] : 0.0f;
    }
}

/* y += x */
__kernel void add(__global float *y, ulong y_off, __global const float *x, ulong x_off, ulong n)
{
    ulong i = get_global_id(0) * 8;
    if (i + 8 <= n)
        vstore8(vload8(0, y + y_off + i) + vload8(0, x + x_off + i), 0, y + y_off + i);
    else
        TAIL_LOOP(i, n) y[y_off + i] += x[x_off + i];
}

/* x = pixels / 255 (needs correctly rounded division to match the CPU
 * backend bit for bit: the host asks for it where the device offers it). */
__kernel void pixels_to_input(__global float *x, ulong x_off, __global const uchar *pixels, ulong pixels_off,
                              ulong n)
{
    ulong i = get_global_id(0);
    if (i < n)
        x[x_off + i] = (float)pixels[pixels_off + i] / 255.0f;
}
