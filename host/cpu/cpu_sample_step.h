/* The CPU backend's sample_step (backend.h): the fast sampler's whole step at
 * one position, every layer for a few images per team task, then the draw. */
#ifndef PCNN_CPU_SAMPLE_STEP_H
#define PCNN_CPU_SAMPLE_STEP_H

#include <stdint.h>

#include "cpu/cpu_team.h"

/* backend.h's sample_draw for one image: the value drawn from softmax(z *
 * inv_t) goes to *px and, if in, value / 255 to *in; *bad = 1 (if bad) when
 * one of z[0..255] is not finite. (host/cpu/cpu_backend.c) */
void cpu_draw_pixel(const float *z, float inv_t, uint64_t seed, uint32_t image, int y, int x, int colour, uint8_t *px,
                    float *in, float *bad);

/* backend.h's sample_step on host memory: prog is the program's words,
 * state and params the floats its offsets point into. */
void cpu_sample_step(cpu_team *team, const int32_t *prog, float *state, const float *params, uint8_t *pixels, int n,
                     uint64_t seed, uint32_t image_base, int y, int x, int g, float inv_t, int draw);

#endif
