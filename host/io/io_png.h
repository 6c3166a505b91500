/* PNG output (stb_image_write) and image grids, written atomically. */
#ifndef PCNN_IMAGE_H
#define PCNN_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "io/io_file.h"
#include "pcnn/error.h"

/* Writes an 8-bit PNG of width x height pixels with `channels` (1, 3 or 4)
 * interleaved bytes per pixel. */
pcnn_status png_write(const char *path, const uint8_t *pixels, int width, int height, int channels);

/* Lays n images [n, h, w, c] out in a grid of `cols` columns with a 1-pixel
 * gap of `gap_value`; returns a malloc'd [rows*(h+1)-1, cols*(w+1)-1, c] buffer
 * and its size, or NULL (message set). */
uint8_t *image_grid(const uint8_t *images, size_t n, int h, int w, int c, int cols, uint8_t gap_value,
                    int *grid_h, int *grid_w);

/* The nearest-neighbour scale that makes an h x w image at least
 * PNG_GRID_MIN_SIDE pixels on each side (1 for images that large already). */
enum { PNG_GRID_MIN_SIDE = 64 };
int png_grid_auto_scale(int h, int w);

/* A grid PNG of n images, as square as possible, every pixel (the gaps too)
 * drawn as a scale x scale block (nearest neighbour; 0: png_grid_auto_scale).
 * The PNG is scale*(rows*(h+1)-1) high and scale*(cols*(w+1)-1) wide. */
pcnn_status png_write_grid(const char *path, const uint8_t *images, size_t n, int h, int w, int c, int scale);

/* The same into an open atomic file, not committed (for files that must
 * appear together: atomic_files_commit). */
pcnn_status png_write_to(atomic_file *af, const uint8_t *pixels, int width, int height, int channels);
pcnn_status png_write_grid_to(atomic_file *af, const uint8_t *images, size_t n, int h, int w, int c, int scale);

#endif
