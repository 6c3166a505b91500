/* The two samplers behind pcnn_sample (host/sample/sample.c) and the checks they
 * share (sample_checks.c), exposed to the tests and the benchmark: one batch of
 * n images at a time, with the image indices image_base .. image_base+n-1
 * keying the random numbers. */
#ifndef PCNN_SAMPLE_INTERNAL_H
#define PCNN_SAMPLE_INTERNAL_H

#include <stdint.h>

#include "backend/backend.h"
#include "pcnn/model.h"

/* 1 if the device implements the ops sampling needs. */
int sample_supported(const backend *be);

/* Reads the n flags sample_draw set (bad, floats) and fails (PCNN_ERR_NUMERIC,
 * naming the first image, image_base + i) if any image met a NaN or infinite
 * logit: a broken model draws noise, never images to keep. */
pcnn_status sample_check_finite(backend *be, bview bad, int n, uint32_t image_base);

/* Naive: a full forward pass of the batch per sub-pixel. Stops after
 * max_steps sub-pixels if max_steps >= 0 (for timing); out_images [n, H, W, C]
 * then holds zeros after them. */
pcnn_status sample_naive_run(pcnn_model *m, int n, int H, int W, uint64_t seed, uint32_t image_base,
                             float inv_temperature, long max_steps, uint8_t *out_images);

/* Fast: caches of earlier positions, one position and colour group at a time.
 * Sized once for up to n images of H x W; run it for any number of batches of
 * up to n images. */
typedef struct fast_sampler fast_sampler;

pcnn_status fast_sampler_create(pcnn_model *m, int n, int H, int W, fast_sampler **out);
void fast_sampler_free(fast_sampler *s);

pcnn_status fast_sampler_run(fast_sampler *s, int n, uint64_t seed, uint32_t image_base, float inv_temperature,
                             long max_steps, uint8_t *out_images);

/* Teacher forcing: runs the fast path over the given images [n, H, W, C]
 * (n = the size the sampler was created for)
 * instead of drawing, and returns the logits it computed at every position and
 * colour as logits [n, H, W, 256C], laid out as pcnn_model_get_logits. */
pcnn_status fast_sampler_teacher(fast_sampler *s, const uint8_t *images, float *logits);

#endif
