/* exp for float arrays in a form the compiler vectorises: range reduction
 * x = n ln2 + r, |r| <= ln2/2, a degree-6 polynomial for e^r, and 2^n built
 * from the exponent bits. Relative error below 2e-7 (about 2 ulp) on
 * [-87, 88]; below -87 it returns 0 (softmax inputs are <= 0, so the result
 * only underflows). glibc's scalar expf costs ~5x more per element here, and
 * the softmax over 256 values per sub-pixel is as large as a GEMM. */
#ifndef PCNN_VEC_EXP_H
#define PCNN_VEC_EXP_H

#include <stdint.h>
#include <string.h>

static inline float vec_expf(float x)
{
    const float log2e = 1.44269504088896341f, ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f;
    /* NaN goes through as 0 (and comes back out as NaN below): converting a
     * NaN to int is undefined, and a NaN loss must reach the caller's check. */
    float xc = x < -87.0f ? -87.0f : x > 88.0f ? 88.0f : x == x ? x : 0.0f;
    float fn = xc * log2e;
    fn = fn + (fn >= 0 ? 0.5f : -0.5f);
    int32_t n = (int32_t)fn; /* round to nearest */
    float r = xc - (float)n * ln2_hi - (float)n * ln2_lo;
    float p = 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t bits = (n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    float y = p * scale;
    return x < -87.0f ? 0.0f : x != x ? x : y;
}

#endif
