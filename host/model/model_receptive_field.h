/* The receptive field of the model's output: the set of input sub-pixels that
 * can influence the logits of one colour at a pixel p, found by walking the
 * layer list backwards (final_conv ... the residual blocks ... input_conv) and
 * following every live tap of every mask. Pixels are reported relative to p;
 * the field only reaches up and left (and right in the rows above), with the
 * "blind spot" of stacked masked convolutions to the upper right. The field
 * is that of an unbounded image: an image smaller than it cuts it at the edges. */
#ifndef PCNN_RECEPTIVE_FIELD_H
#define PCNN_RECEPTIVE_FIELD_H

#include <stdint.h>

#include "pcnn/model.h"

typedef struct {
    int rows_above, cols_left, cols_right; /* extent of the field around p */
    uint64_t positions;                    /* pixels other than p that influence the output */
    uint64_t box_before;      /* pixels before p in raster order inside the field's bounding box */
    unsigned centre_colours;  /* bit k set: input colour k at p itself influences the output */
} receptive_field;

/* The field of output colour `colour` (0 .. channels-1) of the model's logits. */
pcnn_status receptive_field_compute(const pcnn_model *m, int colour, receptive_field *out);

#endif
