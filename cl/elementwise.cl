/* Element-wise kernels and the bias reductions. Offsets are element offsets
 * (bytes for uint8 views). Build options: -DWG=<local size> (a power of two),
 * the work-group size of the bias_grad reduction. */
#pragma OPENCL FP_CONTRACT OFF

__kernel void fill(__global float *x, ulong x_off, ulong n, float value)
{
    ulong i = get_global_id(0);
    if (i < n)
        x[x_off + i] = value;
}

/* y[r, c] = act(y[r, c] + bias[c]), y is [rows, cols]. */
__kernel void bias_act(__global float *y, ulong y_off, __global const float *bias, ulong bias_off, ulong rows,
                       int cols, int relu)
{
    ulong i = get_global_id(0);
    if (i >= rows * cols)
        return;
    float v = y[y_off + i] + bias[bias_off + i % cols];
    y[y_off + i] = relu ? fmax(v, 0.0f) : v;
}

/* Column sums of dy [rows, cols] in a fixed order, so the result does not
 * depend on scheduling. A work-group of WG items owns BG_COLS adjacent columns
 * (adjacent items read adjacent addresses) and WG / BG_COLS row lanes; lane l
 * sums rows l, l + lanes, ... with Kahan compensation (the CPU backend sums in
 * double), then the lanes are combined by a fixed tree in local memory. */
#define BG_COLS 16
#define BG_LANES (WG / BG_COLS)
__kernel void bias_grad(__global float *db, ulong db_off, __global const float *dy, ulong dy_off, ulong rows,
                        int cols)
{
    __local float part[WG];
    int lid = (int)get_local_id(0), cx = lid % BG_COLS, lane = lid / BG_COLS;
    int c = (int)get_group_id(0) * BG_COLS + cx;
    float sum = 0.0f, comp = 0.0f;
    if (c < cols)
        for (ulong r = lane; r < rows; r += BG_LANES) {
            float term = dy[dy_off + r * cols + c] - comp;
            float t = sum + term;
            comp = (t - sum) - term;
            sum = t;
        }
    part[lid] = sum;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int span = BG_LANES / 2; span > 0; span /= 2) {
        if (lane < span)
            part[lid] += part[lid + span * BG_COLS];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lane == 0 && c < cols)
        db[db_off + c] = part[lid];
}

__kernel void relu(__global float *dst, ulong dst_off, __global const float *src, ulong src_off, ulong n)
{
    ulong i = get_global_id(0);
    if (i < n)
        dst[dst_off + i] = fmax(src[src_off + i], 0.0f);
}

/* dy *= (y > 0) */
__kernel void relu_backward(__global float *dy, ulong dy_off, __global const float *y, ulong y_off, ulong n)
{
    ulong i = get_global_id(0);
    if (i < n && !(y[y_off + i] > 0.0f))
        dy[dy_off + i] = 0.0f;
}

/* y += x */
__kernel void add(__global float *y, ulong y_off, __global const float *x, ulong x_off, ulong n)
{
    ulong i = get_global_id(0);
    if (i < n)
        y[y_off + i] += x[x_off + i];
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
