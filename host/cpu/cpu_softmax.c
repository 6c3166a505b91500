/* The CPU backend's softmax cross-entropy (backend_ops.softmax_xent): one
 * pass per row for the max, one for the exponentials and their sum, in eight
 * float lanes (host/cpu/cpu_simd.h). Compiled with fused multiply-adds, like the GEMM:
 * the exp polynomial is a chain of them. */
#include "cpu/cpu_softmax.h"

#include <math.h>

#include "cpu/cpu_simd.h"

typedef double v4d __attribute__((vector_size(32)));

/* Eight values from row[c..n), padded with -inf (which no max picks and whose
 * exp is 0). */
static inline v8 load8_padded(const float *row, int c, int n)
{
    if (c + 8 <= n)
        return load8(row + c);
    float t[8];
    for (int k = 0; k < 8; k++)
        t[k] = c + k < n ? row[c + k] : -INFINITY;
    return load8(t);
}

/* sum_c exp(row[c] - shift) in eight partial sums of double (the loss keeps
 * every digit a float can carry: the finite-difference test sees the
 * difference); the exponentials replace row[c] if keep. */
static double sum_exp_shifted(float *row, int n, float shift, int keep)
{
    v4d lo = {0}, hi = {0};
    for (int c = 0; c < n; c += 8) {
        v8 e = exp8(load8_padded(row, c, n) - shift);
        if (keep)
            for (int k = 0; k < 8 && c + k < n; k++)
                row[c + k] = e[k];
        lo += __builtin_convertvector(__builtin_shufflevector(e, e, 0, 1, 2, 3), v4d);
        hi += __builtin_convertvector(__builtin_shufflevector(e, e, 4, 5, 6, 7), v4d);
    }
    return ((lo[0] + lo[1]) + (lo[2] + lo[3])) + ((hi[0] + hi[1]) + (hi[2] + hi[3]));
}

static float row_max(const float *row, int n)
{
    v8 m = load8_padded(row, 0, n);
    for (int c = 8; c < n; c += 8) {
        v8 v = load8_padded(row, c, n);
        m = select8(v > m, v, m);
    }
    float max = m[0];
    for (int k = 1; k < 8; k++)
        max = m[k] > max ? m[k] : max;
    return max;
}

void cpu_softmax_xent(float *z, const uint8_t *t, float *loss, size_t rows, int classes, int want_grad,
                      float grad_scale)
{
    for (size_t r = 0; r < rows; r++) {
        float *row = z + r * classes;
        float max = row_max(row, classes), target = row[t[r]] - max;
        double sum = sum_exp_shifted(row, classes, max, want_grad);
        if (want_grad) {
            float scale = (float)(grad_scale / sum);
            for (int c = 0; c < classes; c++)
                row[c] *= scale;
            row[t[r]] -= grad_scale;
        }
        loss[r] = (float)(log(sum) - (double)target);
    }
}
