/* Counter-based random numbers (Philox4x32-10, Salmon et al. 2011): the value
 * for a given (key, counter) is a pure function, so any element can be drawn
 * independently, in any order, on any device, with the same result. */
#ifndef PCNN_RNG_H
#define PCNN_RNG_H

#include <stdint.h>

typedef struct {
    uint32_t v[4];
} philox_block;

/* Four 32-bit random words for counter (c0, c1, c2, c3) under a 64-bit key. */
philox_block philox4x32(uint64_t key, uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3);

/* A uniform float in [0, 1) from 24 random bits. */
static inline float rng_unit_float(uint32_t bits) { return (float)(bits >> 8) * (1.0f / 16777216.0f); }

/* The block behind sub-pixel (y, x, colour) of image `image` when sampling
 * with `seed` (the counter's last word is tagged so that it never meets the
 * counters of weight init or of streams). Pure 32-bit integer math: an OpenCL
 * kernel computes the same words. */
#define RNG_SAMPLE_TAG 0x53414D00u /* "SAM\0" */
static inline philox_block rng_sample_block(uint64_t seed, uint32_t image, int y, int x, int colour)
{
    return philox4x32(seed, image, (uint32_t)y, (uint32_t)x, RNG_SAMPLE_TAG | (uint32_t)colour);
}

/* A sequential stream on top of philox (for shuffling): state is (key, counter). */
typedef struct {
    uint64_t key;
    uint64_t counter;
} rng_stream;

uint64_t rng_stream_next(rng_stream *s);
/* Uniform integer in [0, n) without modulo bias. */
uint64_t rng_stream_below(rng_stream *s, uint64_t n);

#endif
