/* Eight-float vectors for the CPU backend's hot loops, with GCC's vector
 * extensions: one AVX register where the CPU has AVX (PCNN_NATIVE), two SSE
 * registers otherwise. The compiler's auto-vectoriser gives up on loops with
 * selects and bit casts (the exp below); written this way they always vectorise. */
#ifndef PCNN_SIMD_H
#define PCNN_SIMD_H

#include <stdint.h>
#include <string.h>

typedef float v8 __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

static inline v8 load8(const float *p)
{
    v8 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void store8(float *p, v8 v) { memcpy(p, &v, sizeof v); }

static inline v8 splat8(float f) { return (v8){0} + f; }

/* Sixteen floats: the register tile's row of the masked GEMM. One zmm
 * register on AVX-512, two ymm on AVX, four xmm otherwise (GCC splits it). */
typedef float v16 __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));

static inline v16 load16(const float *p)
{
    v16 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void store16(float *p, v16 v) { memcpy(p, &v, sizeof v); }

static inline v16 relu16(v16 v) { return (v16)((v16i)v & (v > (v16){0})); }

/* m ? a : b, lane by lane (m from a comparison: all ones or zero). */
static inline v8 select8(v8i m, v8 a, v8 b) { return (v8)((m & (v8i)a) | (~m & (v8i)b)); }

/* max(v, 0); NaN gives 0, as the scalar v > 0 ? v : 0. */
static inline v8 relu8(v8 v) { return (v8)((v8i)v & (v > (v8){0})); }

/* exp: range reduction x = n ln2 + r, |r| <= ln2/2, a degree-6 polynomial for
 * e^r, and 2^n built from the exponent bits. Relative error below 2e-7 (about
 * 2 ulp) on [-87, 88]; below -87 it returns 0 (softmax inputs are <= 0, so the
 * result only underflows); NaN stays NaN so a NaN loss reaches the caller's
 * check. glibc's scalar expf costs ~5x more per element, and the softmax over
 * 256 values per sub-pixel is as large as a GEMM. */
static inline v8 exp8(v8 x)
{
    const float log2e = 1.44269504088896341f, ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f;
    v8 lo = splat8(-87.0f), hi = splat8(88.0f);
    v8i nan = x != x;
    v8 xc = select8(x < lo, lo, select8(x > hi, hi, select8(nan, (v8){0}, x)));
    v8 fn = xc * log2e;
    fn += select8(fn >= (v8){0}, splat8(0.5f), splat8(-0.5f));
    v8i n = __builtin_convertvector(fn, v8i); /* round half away from zero */
    v8 nf = __builtin_convertvector(n, v8);
    v8 r = xc - nf * ln2_hi - nf * ln2_lo;
    v8 p = r * (1.0f / 720.0f) + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    v8 y = p * (v8)((n + 127) << 23);
    return select8(nan, x, select8(x < lo, (v8){0}, y));
}

#endif
