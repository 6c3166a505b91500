/* The two samplers behind pcnn_sample (host/sample/sample.c) and the checks they
 * share (sample_checks.c), exposed to the tests and the benchmark: one batch of
 * n images at a time, with the image indices image_base .. image_base+n-1
 * keying the random numbers. */
#ifndef PCNN_SAMPLE_INTERNAL_H
#define PCNN_SAMPLE_INTERNAL_H

#include <signal.h>
#include <stdint.h>

#include "backend/backend.h"
#include "pcnn/model.h"

/* 1 if the device implements the ops sampling needs. */
int sample_supported(const backend *be);

/* Reads the n flags sample_draw set (bad, floats) and fails (PCNN_ERR_NUMERIC,
 * naming the first image, image_base + i) if any image met a NaN or infinite
 * logit: a broken model draws noise, never images to keep. */
pcnn_status sample_check_finite(backend *be, bview bad, int n, uint32_t image_base);

/* uniform_first (both samplers, --first-pixel uniform): sub-pixel (0, 0, 0)
 * of every image is drawn uniformly from 0..255 (the seed's rule: sample_draw
 * on 256 equal logits, the same uniform u as the model's draw would use, so
 * value = floor(256 u) on every device), the model drawing from the next
 * sub-pixel on.
 *
 * Naive: a full forward pass of the batch per sub-pixel. Stops after
 * max_steps sub-pixels if max_steps >= 0 (for timing); out_images [n, H, W, C]
 * then holds zeros after them. */
pcnn_status sample_naive_run(pcnn_model *m, int n, int H, int W, uint64_t seed, uint32_t image_base,
                             float inv_temperature, int uniform_first, long max_steps, volatile sig_atomic_t *stop,
                             uint8_t *out_images);

/* Fast: caches of earlier positions, one position and colour group at a time.
 * Sized once for up to n images of H x W; run it for any number of batches of
 * up to n images. */
typedef struct fast_sampler fast_sampler;

pcnn_status fast_sampler_create(pcnn_model *m, int n, int H, int W, fast_sampler **out);
void fast_sampler_free(fast_sampler *s);

pcnn_status fast_sampler_run(fast_sampler *s, int n, uint64_t seed, uint32_t image_base, float inv_temperature,
                             int uniform_first, long max_steps, uint8_t *out_images);
/* Polled by fast_sampler_run at every sub-pixel: PCNN_ERR_STOPPED once set. */
void fast_sampler_set_stop(fast_sampler *s, volatile sig_atomic_t *stop);

/* PCNN_ERR_STOPPED with its message if *stop is set (stop may be NULL). */
pcnn_status sample_poll_stop(volatile sig_atomic_t *stop);

/* The floats one image of the fast sampler's caches takes (for choosing a
 * batch that stays in the CPU's caches). */
size_t fast_sampler_floats_per_image(const pcnn_model *m, int H, int W);

/* Teacher forcing: runs the fast path over the given images [n, H, W, C]
 * (n = the size the sampler was created for)
 * instead of drawing, and returns the logits it computed at every position and
 * colour as logits [n, H, W, 256C], laid out as pcnn_model_get_logits. */
pcnn_status fast_sampler_teacher(fast_sampler *s, const uint8_t *images, float *logits);

#endif
