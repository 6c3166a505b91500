/* A tiny built-in 5x7 bitmap font for labelling pictures without a font
 * library: the capitals A B G M R, the lowercase letters a e f i k l n o r s t
 * u x, the digits and the space. Any other character is drawn as a hollow box
 * so a missing glyph shows instead of vanishing. */
#ifndef PCNN_BITMAP_FONT_H
#define PCNN_BITMAP_FONT_H

#include <stdint.h>

enum { FONT_GLYPH_W = 5, FONT_GLYPH_H = 7 };

/* Pixels one line of text takes at an integer scale (one blank column of
 * glyph pixels between characters). */
int font_text_width(const char *text, int scale);
static inline int font_text_height(int scale) { return FONT_GLYPH_H * scale; }

/* Draws text with its top-left corner at (x, y) onto an RGB picture of
 * width x height pixels; pixels outside the picture are skipped. */
void font_draw(uint8_t *rgb, int width, int height, int x, int y, const char *text, int scale,
               const uint8_t colour[3]);

#endif
