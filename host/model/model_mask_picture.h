/* Pictures of a PixelCNN mask, as the seed's figure draws them: a grid of
 * panels, one per (input colour, output colour) pair (rows: input colour,
 * columns: output colour), each showing the kernel's kh x kw cells for input
 * channel i*f_in/C and output channel o*f_out/C. Kernel row 0 is at the top,
 * as in the image. Shades are the seed's: 255 where the mask is 1, 0 where it
 * is 0, and the centre cell 200 (live) or 55 (dead) so it stands out. */
#ifndef PCNN_MASK_PICTURE_H
#define PCNN_MASK_PICTURE_H

#include <stdint.h>
#include <stdio.h>

#include "pcnn/mask.h"

typedef struct {
    int kh, kw, f_in, f_out, colours;
    pcnn_mask_mode mode;
} mask_picture_spec;

/* Where things are in a drawn picture (pixels), for callers and tests. */
typedef struct {
    int width, height;
    int cell;             /* from one cell's left (top) edge line to the next's */
    int x0, y0;           /* the top-left edge pixel of panel (0, 0) */
    int pitch_x, pitch_y; /* from one panel's top-left to the next one's */
} mask_picture_layout;

/* The largest mask (kh*kw*f_in*f_out entries) drawn: it is filled in full
 * with pcnn_mask_fill, so that the picture shows exactly what the model uses. */
#define MASK_PICTURE_MAX_ENTRIES ((size_t)1 << 25)

/* Checks the spec like pcnn_mask_check, plus the size limit. */
pcnn_status mask_picture_check(const mask_picture_spec *s);

/* Draws the picture into a malloc'd RGB buffer [height, width, 3]. */
pcnn_status mask_picture_draw(const mask_picture_spec *s, uint8_t **rgb, mask_picture_layout *layout);

pcnn_status mask_picture_write_png(const mask_picture_spec *s, const char *path);

/* The same as text: a title, then per input colour one block of lines with the
 * panels side by side, each a kh x kw grid of 0/1. */
pcnn_status mask_picture_print(FILE *out, const mask_picture_spec *s);

#endif
