/* Drawing images from a PixelCNN.
 *
 * Two samplers with the same result: `naive` is the seed's generate_images
 * (one full forward pass of the batch per sub-pixel: H*W*C passes; but see
 * pcnn_first_pixel: by default the very first sub-pixel comes from the model,
 * where the seed draws it uniformly), kept as the reference; `fast` computes every layer at the current position and colour
 * only, from cached activations of earlier positions (about one forward pass
 * per image in total). Randomness is keyed by (seed, image index, row, column,
 * colour), so a seed gives the same images with either method, any batch size
 * and on any device (up to float rounding of the logits: see backend.h,
 * sample_draw). */
#ifndef PCNN_SAMPLE_H
#define PCNN_SAMPLE_H

#include <signal.h>
#include <stdint.h>

#include "pcnn/model.h"

typedef enum { PCNN_SAMPLE_FAST, PCNN_SAMPLE_NAIVE } pcnn_sample_method;

/* The very first sub-pixel (row 0, column 0, colour 0) of each image: drawn
 * from the model like every other (MODEL, the default), or uniformly from
 * 0..255 as the seed's generate_images does (UNIFORM), the model drawing
 * from the next sub-pixel on. Both samplers, every device: the same images
 * for a seed. */
typedef enum { PCNN_FIRST_PIXEL_MODEL, PCNN_FIRST_PIXEL_UNIFORM } pcnn_first_pixel;

typedef struct {
    int n;                     /* images to draw */
    int height, width;         /* image size; 0 = the model's configuration */
    pcnn_sample_method method; /* PCNN_SAMPLE_FAST by default */
    uint64_t seed;
    float temperature; /* softmax(logits / temperature); 1 = the model's own distribution */
    int batch;         /* images computed together; 0 = chosen for speed (pcnn_sample_auto_batch) */
    pcnn_first_pixel first_pixel;
    /* Polled at every position: once it is non-zero the samplers stop with
     * PCNN_ERR_STOPPED (NULL: never). The program's signal handler sets it. */
    volatile sig_atomic_t *stop;
} pcnn_sample_opts;

/* n = 1, the model's size, fast, seed 0, temperature 1, batch 0, first pixel from the model. */
pcnn_sample_opts pcnn_sample_defaults(void);

/* Parses "fast" or "naive" (for --method). */
pcnn_status pcnn_sample_method_parse(const char *name, pcnn_sample_method *out);

/* Parses "model" or "uniform" (for --first-pixel). */
pcnn_status pcnn_first_pixel_parse(const char *name, pcnn_first_pixel *out);

/* The batch opts->batch = 0 means for n images of H x W with the fast
 * sampler: on the native CPU backend (device 0), the most images, at most 32,
 * whose sampler state fits in 1 MiB (a core's L2: past it a step's products
 * stream from memory, and one batch of 64 or 128 images took several times
 * as long as batches of 16 or 32), at least 1; on OpenCL devices all n
 * (each step is a few kernel launches, so fewer, wider launches win). The
 * naive sampler keeps all n. The images do not depend on the batch. */
int pcnn_sample_auto_batch(const pcnn_model *m, int n, int H, int W);

/* Draws opts->n images into out_images [n, height, width, C] (uint8). */
pcnn_status pcnn_sample(pcnn_model *m, const pcnn_sample_opts *opts, uint8_t *out_images);

/* For training's periodic grids: n images at the model's size with the fast
 * sampler and temperature 1, written as a PNG grid to `path`, each pixel a
 * 3x3 block or larger: at least 64 pixels per image side. */
pcnn_status pcnn_sample_grid(pcnn_model *m, int n, uint64_t seed, const char *path);
/* The same, each pixel a scale x scale block (0: as above), stopping
 * (PCNN_ERR_STOPPED, nothing written) once *stop is set (may be NULL). */
pcnn_status pcnn_sample_grid_stoppable(pcnn_model *m, int n, uint64_t seed, int scale, volatile sig_atomic_t *stop,
                                       const char *path);

#endif
