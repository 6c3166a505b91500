/* PixelCNN masks (van den Oord et al. 2016, as the seed annotates them).
 * Layout HWIO [kh, kw, f_in, f_out]. With the centre at (kh/2, kw/2): taps above
 * the centre row, and left of the centre in the centre row, are 1; taps right of
 * the centre and below are 0; at the centre, input colour group i feeds output
 * group j iff i < j (mode A) or i <= j (mode B). Group g of an F-channel tensor
 * is channels [g*F/C, (g+1)*F/C). */
#ifndef PCNN_MASK_H
#define PCNN_MASK_H

#include "pcnn/error.h"

typedef enum { PCNN_MASK_A = 'A', PCNN_MASK_B = 'B' } pcnn_mask_mode;

/* Live taps of a kh x kw kernel are its first (kh/2)*kw + kw/2 + 1 taps in
 * row-major order: a contiguous prefix of an HWIO kernel. */
int pcnn_mask_live_taps(int kh, int kw);

/* 1 if input channel i reaches output channel o at the centre tap. */
int pcnn_mask_centre(int f_in, int f_out, int colours, pcnn_mask_mode mode, int i, int o);

/* Checks the shape (odd kernel sides, channels divisible by colours). */
pcnn_status pcnn_mask_check(int kh, int kw, int f_in, int f_out, int colours);

/* Fills hwio[kh*kw*f_in*f_out] with the mask. */
pcnn_status pcnn_mask_fill(float *hwio, int kh, int kw, int f_in, int f_out, int colours, pcnn_mask_mode mode);

#endif
