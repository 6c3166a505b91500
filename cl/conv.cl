/* Masked-conv kernels: im2col / col2im over the live taps, and the centre-tap
 * colour mask on a kernel gradient. Mirrors backend_cpu.c element for element.
 * Offsets are element offsets into the buffers (views), passed as arguments
 * because sub-buffers carry alignment rules. Build options: -DWG=<local size>. */
#pragma OPENCL FP_CONTRACT OFF

/* col[(b,y,x), t*cin + ci] = in[b, y+dy_t, x+dx_t, ci], 0 outside the image.
 * One work-item per element of col: [rows, taps*cin]. */
__kernel void im2col(__global float *col, ulong col_off, __global const float *in, ulong in_off, int B, int H,
                     int W, int cin, int kh, int kw, int taps)
{
    ulong i = get_global_id(0);
    ulong row_len = (ulong)taps * cin, total = (ulong)B * H * W * row_len;
    if (i >= total)
        return;
    ulong p = i / row_len;
    int rem = (int)(i % row_len), t = rem / cin, ci = rem % cin;
    int b = (int)(p / ((ulong)H * W)), y = (int)(p / W % H), x = (int)(p % W);
    int sy = y + t / kw - kh / 2, sx = x + t % kw - kw / 2;
    float v = 0.0f;
    if (sy >= 0 && sy < H && sx >= 0 && sx < W)
        v = in[in_off + (((ulong)b * H + sy) * W + sx) * cin + ci];
    col[col_off + i] = v;
}

/* The adjoint, as a gather: each input element sums, in tap order, what every
 * tap took from it, so no two work-items write the same element and the sum
 * order is the CPU backend's. One work-item per element of din: [rows, cin]. */
__kernel void col2im(__global float *din, ulong din_off, __global const float *dcol, ulong dcol_off, int B, int H,
                     int W, int cin, int kh, int kw, int taps, int accumulate)
{
    ulong i = get_global_id(0);
    if (i >= (ulong)B * H * W * cin)
        return;
    ulong p = i / cin;
    int c = (int)(i % cin);
    int b = (int)(p / ((ulong)H * W)), y = (int)(p / W % H), x = (int)(p % W);
    ulong row_len = (ulong)taps * cin;
    float acc = accumulate ? din[din_off + i] : 0.0f;
    for (int t = 0; t < taps; t++) {
        int oy = y - (t / kw - kh / 2), ox = x - (t % kw - kw / 2);
        if (oy < 0 || oy >= H || ox < 0 || ox >= W)
            continue;
        acc += dcol[dcol_off + (((ulong)b * H + oy) * W + ox) * row_len + (ulong)t * cin + c];
    }
    din[din_off + i] = acc;
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
