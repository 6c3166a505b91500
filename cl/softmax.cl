/* Fused softmax cross-entropy with its gradient, one work-item per row of
 * `classes` logits: on a CPU device a row is a short loop over float8
 * vectors, where a work-group per row would spend its time in barriers. The
 * max is subtracted before exp (no overflow); the sum of exponentials runs in
 * eight lanes combined by a fixed tree, so results are deterministic and its
 * rounding stays near the CPU backend's (which sums eight lanes in double).
 * The gradient follows the CPU backend's steps: e_c * (grad_scale / sum),
 * then grad_scale subtracted at the target. */
#pragma OPENCL FP_CONTRACT OFF

/* Element c of the row, -inf past its end (padding the last float8). */
static float8 load_padded(__global const float *row, int c, int classes)
{
    if (c + 8 <= classes)
        return vload8(0, row + c);
    float t[8];
    for (int k = 0; k < 8; k++)
        t[k] = c + k < classes ? row[c + k] : -INFINITY;
    return vload8(0, t);
}

__kernel void softmax_xent(__global float *z, ulong z_off, __global const uchar *targets, ulong t_off,
                           __global float *loss, ulong loss_off, ulong rows, int classes, int want_grad,
                           float grad_scale)
{
    ulong r = get_global_id(0);
    if (r >= rows)
        return;
    __global float *row = z + z_off + r * classes;
    float8 m8 = load_padded(row, 0, classes);
    for (int c = 8; c < classes; c += 8)
        m8 = fmax(m8, load_padded(row, c, classes));
    float4 m4 = fmax(m8.lo, m8.hi);
    float2 m2 = fmax(m4.lo, m4.hi);
    float max = fmax(m2.lo, m2.hi);
    int t = targets[t_off + r];
    float target = row[t] - max;

    float8 s8 = 0.0f;
    for (int c = 0; c < classes; c += 8) {
        float8 e = exp(load_padded(row, c, classes) - max); /* padding: exp(-inf) = 0 */
        s8 += e;
        if (want_grad) {
            if (c + 8 <= classes)
                vstore8(e, 0, row + c);
            else
                for (int k = 0; c + k < classes; k++)
                    row[c + k] = e[k];
        }
    }
    float4 s4 = s8.lo + s8.hi;
    float2 s2 = s4.lo + s4.hi;
    float sum = s2.lo + s2.hi;
    if (want_grad) {
        float scale = grad_scale / sum;
        for (int c = 0; c < classes; c++)
            row[c] *= scale;
        row[t] -= grad_scale;
    }
    loss[loss_off + r] = log(sum) - target;
}
