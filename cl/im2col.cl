/* Masked-conv kernels: im2col / col2im over the live taps, and the centre-tap
 * colour mask on a kernel gradient. Mirrors cpu_backend.c element for element.
 * Offsets are element offsets into the buffers (views), passed as arguments
 * because sub-buffers carry alignment rules. Build options: -DWG=<local size>. */
#pragma OPENCL FP_CONTRACT OFF

/* col[(b,y,x), t*cin + ci] = in[b, y+dy_t, x+dx_t, ci], 0 outside the image.
 * One work-item per row of col ([rows, taps*cin]): a row's position is
 * divided out once, then each tap is a contiguous copy of cin floats (the
 * divisions per element cost more than the copy on a CPU device). */
__kernel void im2col(__global float *restrict col, ulong col_off, __global const float *restrict in, ulong in_off,
                     int B, int H, int W, int cin, int kh, int kw, int taps)
{
    int p = (int)get_global_id(0);
    if (p >= B * H * W)
        return;
    int b = p / (H * W), y = p / W % H, x = p % W;
    __global float *dst = col + col_off + (ulong)p * taps * cin;
    for (int t = 0; t < taps; t++, dst += cin) {
        int sy = y + t / kw - kh / 2, sx = x + t % kw - kw / 2;
        if (sy < 0 || sy >= H || sx < 0 || sx >= W) {
            for (int ci = 0; ci < cin; ci++)
                dst[ci] = 0.0f;
        } else {
            __global const float *src = in + in_off + (((ulong)b * H + sy) * W + sx) * cin;
            for (int ci = 0; ci < cin; ci++)
                dst[ci] = src[ci];
        }
    }
}

/* The adjoint, as a gather: each input row sums, in tap order, what every
 * tap took from it, so no two work-items write the same element and the sum
 * order is the CPU backend's. One work-item per row of din ([rows, cin]). */
__kernel void col2im(__global float *restrict din, ulong din_off, __global const float *restrict dcol, ulong dcol_off,
                     int B, int H, int W, int cin, int kh, int kw, int taps, int accumulate)
{
    int p = (int)get_global_id(0);
    if (p >= B * H * W)
        return;
    int b = p / (H * W), y = p / W % H, x = p % W;
    __global float *dst = din + din_off + (ulong)p * cin;
    if (!accumulate)
        for (int c = 0; c < cin; c++)
            dst[c] = 0.0f;
    for (int t = 0; t < taps; t++) {
        int oy = y - (t / kw - kh / 2), ox = x - (t % kw - kw / 2);
        if (oy < 0 || oy >= H || ox < 0 || ox >= W)
            continue;
        __global const float *src = dcol + dcol_off + (((ulong)b * H + oy) * W + ox) * taps * cin + (ulong)t * cin;
        for (int c = 0; c < cin; c++)
            dst[c] += src[c];
    }
}

/* Zeroes the centre-tap weights i -> o that the colour mask cuts: group(i) >
 * group(o), or >= for mode A ('A' = 65). One work-item per centre weight. */
__kernel void mask_centre(__global float *w, ulong w_off, int kh, int kw, int cin, int cout, int colours, int mode)
{
    ulong i = get_global_id(0);
    if (i >= (ulong)cin * cout)
        return;
    int ci = (int)(i / cout), co = (int)(i % cout);
    int gi = ci / (cin / colours), go = co / (cout / colours);
    int cut = mode == 'A' ? gi >= go : gi > go;
    if (cut)
        w[w_off + (ulong)((kh / 2) * kw + kw / 2) * cin * cout + i] = 0.0f;
}
