/* Fused softmax cross-entropy with its gradient: one work-group of WG items
 * per row of `classes` logits (-DWG=<power of two>). The max is subtracted
 * before exp (no overflow), and both reductions run as a fixed tree in local
 * memory, so results are deterministic. */
#pragma OPENCL FP_CONTRACT OFF

__kernel void softmax_xent(__global float *z, ulong z_off, __global const uchar *targets, ulong t_off,
                           __global float *loss, ulong loss_off, ulong rows, int classes, int want_grad,
                           float grad_scale)
{
    __local float red[WG];
    ulong r = get_group_id(0);
    int lid = (int)get_local_id(0);
    /* launched with exactly rows work-groups: no bounds check, and every
     * barrier below is reached by the whole group */
    __global float *row = z + z_off + r * classes;

    float m = -INFINITY;
    for (int c = lid; c < classes; c += WG)
        m = fmax(m, row[c]);
    red[lid] = m;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int span = WG / 2; span > 0; span /= 2) {
        if (lid < span)
            red[lid] = fmax(red[lid], red[lid + span]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float max = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);

    float s = 0.0f;
    for (int c = lid; c < classes; c += WG)
        s += exp(row[c] - max);
    red[lid] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int span = WG / 2; span > 0; span /= 2) {
        if (lid < span)
            red[lid] += red[lid + span];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float sum = red[0];
    int t = targets[t_off + r];
    if (lid == 0)
        loss[loss_off + r] = log(sum) - (row[t] - max);
    /* Everyone has read row[t] before it is overwritten below. */
    barrier(CLK_GLOBAL_MEM_FENCE);
    if (want_grad) {
        float inv = 1.0f / sum;
        for (int c = lid; c < classes; c += WG)
            row[c] = grad_scale * (exp(row[c] - max) * inv - (c == t ? 1.0f : 0.0f));
    }
}
