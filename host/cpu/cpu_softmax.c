/* The CPU backend's softmax cross-entropy (backend_ops.softmax_xent): one
 * pass per row for the max, one for the exponentials and their sum, in sixteen
 * float lanes (host/cpu/cpu_simd.h). Compiled with fused multiply-adds, like the GEMM:
 * the exp polynomial is a chain of them. */
#include "cpu/cpu_softmax.h"

#include <math.h>
#include <string.h>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "cpu/cpu_simd.h"

/* lo += e[0..8), hi += e[8..16) in double. GCC's generic conversion of a half
 * goes through four xmm pieces; AVX-512 converts eight floats at once. */
static inline void add_doubles(v8d *lo, v8d *hi, v16 e)
{
#if defined(__AVX512F__)
    __m512 v;
    memcpy(&v, &e, sizeof v);
    __m512d l = _mm512_cvtps_pd(_mm512_castps512_ps256(v));
    __m512d h = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    v8d lv, hv;
    memcpy(&lv, &l, sizeof lv);
    memcpy(&hv, &h, sizeof hv);
    *lo += lv;
    *hi += hv;
#else
    *lo += __builtin_convertvector(__builtin_shufflevector(e, e, 0, 1, 2, 3, 4, 5, 6, 7), v8d);
    *hi += __builtin_convertvector(__builtin_shufflevector(e, e, 8, 9, 10, 11, 12, 13, 14, 15), v8d);
#endif
}

/* Sixteen values from row[c..n), padded with -inf (which no max picks and
 * whose exp is 0). */
static inline v16 load16_padded(const float *row, int c, int n)
{
    if (c + 16 <= n)
        return load16(row + c);
    float t[16];
    for (int k = 0; k < 16; k++)
        t[k] = c + k < n ? row[c + k] : -INFINITY;
    return load16(t);
}

/* sum_c exp(row[c] - shift) in sixteen partial sums of double (the loss keeps
 * every digit a float can carry: the finite-difference test sees the
 * difference); the exponentials replace row[c] if keep. */
static double sum_exp_shifted(float *row, int n, float shift, int keep)
{
    v8d lo = {0}, hi = {0};
    int c = 0;
    for (; c + 16 <= n; c += 16) {
        v16 e = exp16(load16(row + c) - shift);
        if (keep)
            store16(row + c, e);
        add_doubles(&lo, &hi, e);
    }
    if (c < n) {
        v16 e = exp16(load16_padded(row, c, n) - shift);
        if (keep)
            for (int k = 0; c + k < n; k++)
                row[c + k] = e[k];
        add_doubles(&lo, &hi, e);
    }
    v8d s = lo + hi;
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

static float row_max(const float *row, int n)
{
    v16 m = load16_padded(row, 0, n);
    int c = 16;
    for (; c + 16 <= n; c += 16) {
        v16 v = load16(row + c);
        m = select16(v > m, v, m);
    }
    if (c < n) {
        v16 v = load16_padded(row, c, n);
        m = select16(v > m, v, m);
    }
    return max16(m);
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
            int c = 0;
            for (; c + 16 <= classes; c += 16)
                store16(row + c, load16(row + c) * scale);
            for (; c < classes; c++)
                row[c] *= scale;
            row[t[r]] -= grad_scale;
        }
        loss[r] = (float)(log(sum) - (double)target);
    }
}
