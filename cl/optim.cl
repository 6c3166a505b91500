/* Optimiser updates, one work-item per parameter, in the same float
 * operations as the CPU backend (FP_CONTRACT off: no fused multiply-adds). */
#pragma OPENCL FP_CONTRACT OFF

/* Keras Adam: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; w -= step m / (sqrt(v) + eps). */
__kernel void adam(__global float *w, ulong w_off, __global const float *g, ulong g_off, __global float *m,
                   ulong m_off, __global float *v, ulong v_off, ulong n, float step_size, float b1, float b2,
                   float eps)
{
    ulong i = get_global_id(0);
    if (i >= n)
        return;
    float gi = g[g_off + i];
    float mi = b1 * m[m_off + i] + (1.0f - b1) * gi;
    float vi = b2 * v[v_off + i] + (1.0f - b2) * gi * gi;
    m[m_off + i] = mi;
    v[v_off + i] = vi;
    w[w_off + i] -= step_size * mi / (sqrt(vi) + eps);
}

/* Keras RMSProp: v = rho v + (1-rho) g^2; w -= lr g / (sqrt(v) + eps). */
__kernel void rmsprop(__global float *w, ulong w_off, __global const float *g, ulong g_off, __global float *v,
                      ulong v_off, ulong n, float lr, float rho, float eps)
{
    ulong i = get_global_id(0);
    if (i >= n)
        return;
    float gi = g[g_off + i];
    float vi = rho * v[v_off + i] + (1.0f - rho) * gi * gi;
    v[v_off + i] = vi;
    w[w_off + i] -= lr * gi / (sqrt(vi) + eps);
}
