/* Float vectors for the CPU backend's hot loops, with GCC's vector
 * extensions. The compiler's auto-vectoriser gives up on loops with
 * selects and bit casts (the exp below); written this way they always vectorise. */
#ifndef PCNN_SIMD_H
#define PCNN_SIMD_H

#include <stdint.h>
#include <string.h>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

/* Sixteen floats: the register tile's row of the masked GEMM and the
 * softmax's lanes. One zmm register on AVX-512, two ymm on AVX, four xmm
 * otherwise (GCC splits it). */
typedef float v16 __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));
typedef double v8d __attribute__((vector_size(64)));
typedef int64_t v8l __attribute__((vector_size(64)));

static inline v16 load16(const float *p)
{
    v16 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void store16(float *p, v16 v) { memcpy(p, &v, sizeof v); }

static inline v16 splat16(float f) { return (v16){0} + f; }

/* m ? a : b, lane by lane (m from a comparison: all ones or zero). */
static inline v16 select16(v16i m, v16 a, v16 b) { return (v16)((m & (v16i)a) | (~m & (v16i)b)); }

/* ReLU, one definition for every place the CPU backend applies it: v <= 0
 * gives +0, anything else (NaN included) passes, so a NaN weight or
 * activation is never hidden as 0 and reaches the loss's finiteness check. */
static inline float relu1(float v) { return v <= 0.0f ? 0.0f : v; }
static inline v16 relu16(v16 v) { return (v16)((v16i)v & ~(v <= (v16){0})); }

/* exp: range reduction x = n ln2 + r, |r| <= ln2/2, a degree-6 polynomial for
 * e^r, and 2^n built from the exponent bits. Relative error below 2e-7 (about
 * 2 ulp) on [-87, 88]; below -87 it returns 0 (softmax inputs are <= 0, so the
 * result only underflows); NaN stays NaN so a NaN loss reaches the caller's
 * check. glibc's scalar expf costs ~5x more per element, and the softmax over
 * 256 values per sub-pixel is as large as a GEMM.
 *
 * n is rounded by adding 1.5 * 2^23 (the sum's last bit is then n; its bits
 * less the constant's are n as an integer), not by converting to int and back,
 * and NaN needs no select of its own: no comparison picks it, so it runs
 * through the polynomial and stays NaN. About 20 vector instructions. */
#if defined(__AVX512F__)
/* AVX-512: the same steps, bit for bit, in 12 instructions. vscalefps
 * multiplies by 2^nf itself (no integer exponent to build), and the lanes
 * below -87 are zeroed by the mask of the one comparison left: no clamp is
 * needed above (softmax inputs are <= 0; a larger x overflows to inf, not to
 * exp(88)) nor below (those lanes are dropped whatever the polynomial gave). */
static inline v16 exp16(v16 x)
{
    __m512 v, y;
    memcpy(&v, &x, sizeof v);
    __mmask16 keep = _mm512_cmp_ps_mask(v, _mm512_set1_ps(-87.0f), _CMP_NLT_UQ); /* NaN kept */
    __m512 fn = _mm512_fmadd_ps(v, _mm512_set1_ps(1.44269504088896341f), _mm512_set1_ps(12582912.0f));
    __m512 nf = _mm512_sub_ps(fn, _mm512_set1_ps(12582912.0f));
    __m512 r = _mm512_fnmadd_ps(nf, _mm512_set1_ps(0.693359375f), v);
    r = _mm512_fnmadd_ps(nf, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_fmadd_ps(r, _mm512_set1_ps(1.0f / 720.0f), _mm512_set1_ps(1.0f / 120.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    y = _mm512_maskz_scalef_ps(keep, p, nf);
    v16 out;
    memcpy(&out, &y, sizeof out);
    return out;
}
#else
static inline v16 exp16(v16 x)
{
    const float log2e = 1.44269504088896341f, ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f;
    const float round = 12582912.0f; /* 1.5 * 2^23 */
    v16 lo = splat16(-87.0f), hi = splat16(88.0f);
    v16i below = x < lo;
    v16 xc = select16(below, lo, select16(x > hi, hi, x));
    v16 fn = xc * log2e + round;
    v16i n = (v16i)fn - (v16i)splat16(round);
    v16 nf = fn - round;
    v16 r = xc - nf * ln2_hi - nf * ln2_lo;
    v16 p = r * (1.0f / 720.0f) + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    v16 y = p * (v16)((n + 127) << 23);
    return (v16)((v16i)y & ~below);
}
#endif

/* The largest of the sixteen lanes (a NaN lane may or may not win). */
static inline float max16(v16 m)
{
    m = select16(__builtin_shufflevector(m, m, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7) > m,
                 __builtin_shufflevector(m, m, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7), m);
    m = select16(__builtin_shufflevector(m, m, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11) > m,
                 __builtin_shufflevector(m, m, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11), m);
    m = select16(__builtin_shufflevector(m, m, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13) > m,
                 __builtin_shufflevector(m, m, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13), m);
    return m[1] > m[0] ? m[1] : m[0];
}

#endif
