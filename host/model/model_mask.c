/* PixelCNN masks: see include/pcnn/mask.h. */
#include "pcnn/mask.h"

#include <stddef.h>

int pcnn_mask_live_taps(int kh, int kw) { return (kh / 2) * kw + kw / 2 + 1; }

int pcnn_mask_centre(int f_in, int f_out, int colours, pcnn_mask_mode mode, int i, int o)
{
    int group_in = i / (f_in / colours), group_out = o / (f_out / colours);
    return mode == PCNN_MASK_A ? group_in < group_out : group_in <= group_out;
}

pcnn_status pcnn_mask_check(int kh, int kw, int f_in, int f_out, int colours)
{
    if (kh < 1 || kw < 1 || kh % 2 == 0 || kw % 2 == 0)
        return pcnn_fail(PCNN_ERR_ARG, "mask kernel %dx%d: sides must be odd and positive", kh, kw);
    if (colours != 1 && colours != 3)
        return pcnn_fail(PCNN_ERR_ARG, "mask: colours must be 1 or 3, got %d", colours);
    if (f_in < 1 || f_out < 1 || f_in % colours || f_out % colours)
        return pcnn_fail(PCNN_ERR_ARG, "mask: channels %d -> %d must be positive multiples of %d colours",
                         f_in, f_out, colours);
    return PCNN_OK;
}

pcnn_status pcnn_mask_fill(float *hwio, int kh, int kw, int f_in, int f_out, int colours, pcnn_mask_mode mode)
{
    pcnn_status st = pcnn_mask_check(kh, kw, f_in, f_out, colours);
    if (st)
        return st;
    int live = pcnn_mask_live_taps(kh, kw), centre = live - 1;
    for (int tap = 0; tap < kh * kw; tap++)
        for (int i = 0; i < f_in; i++)
            for (int o = 0; o < f_out; o++) {
                float v = tap < centre ? 1.0f
                          : tap == centre ? (float)pcnn_mask_centre(f_in, f_out, colours, mode, i, o)
                                          : 0.0f;
                hwio[((size_t)tap * f_in + i) * f_out + o] = v;
            }
    return PCNN_OK;
}
