/* Mask pictures and their text form: see model_mask_picture.h. The figure follows
 * the seed's matplotlib code (pcolor with cell edges, inverted y axis, input
 * colour labels on the left, output colour labels on top, a title). */
#include "model/model_mask_picture.h"

#include <stdlib.h>
#include <string.h>

#include "base/base_try.h"
#include "io/io_font.h"
#include "io/io_png.h"

/* The seed's shades (gray colour map, 0 black .. 255 white). */
enum { SHADE_ONE = 255, SHADE_ZERO = 0, SHADE_CENTRE_ONE = 200, SHADE_CENTRE_ZERO = 55 };
/* The seed draws black edges; mid grey keeps them visible between dark cells too. */
enum { SHADE_EDGE = 128, SHADE_BACKGROUND = 255 };
enum { MARGIN = 16, PANEL_GAP = 20, TITLE_SCALE = 3, LETTER_SCALE = 3, SUB_SCALE = 2 };

/* matplotlib's 'r', 'g' and 'b', which the seed's labels use. */
static const uint8_t label_colours[3][3] = {{255, 0, 0}, {0, 128, 0}, {0, 0, 255}};
static const uint8_t black[3] = {0, 0, 0};
static const char colour_letters[] = "RGB";

pcnn_status mask_picture_check(const mask_picture_spec *s)
{
    TRY(pcnn_mask_check(s->kh, s->kw, s->f_in, s->f_out, s->colours));
    if (s->mode != PCNN_MASK_A && s->mode != PCNN_MASK_B)
        return pcnn_fail(PCNN_ERR_ARG, "mask mode must be A or B");
    double entries = (double)s->kh * s->kw * s->f_in * s->f_out;
    if (entries > (double)MASK_PICTURE_MAX_ENTRIES)
        return pcnn_fail(PCNN_ERR_ARG, "a %dx%dx%dx%d mask is too large to draw (limit %zu entries)", s->kh, s->kw,
                         s->f_in, s->f_out, MASK_PICTURE_MAX_ENTRIES);
    return PCNN_OK;
}

/* The panels as the seed samples them: panel (ci, co) cell (r, c) is the mask
 * at tap (r, c), input channel ci*f_in/C, output channel co*f_out/C.
 * out[((ci*C + co)*kh + r)*kw + c] in {0, 1}. */
static pcnn_status sample_panels(const mask_picture_spec *s, uint8_t **out)
{
    TRY(mask_picture_check(s));
    int C = s->colours;
    size_t taps = (size_t)s->kh * s->kw;
    float *mask = malloc(taps * s->f_in * s->f_out * sizeof(float));
    uint8_t *panels = malloc((size_t)C * C * taps);
    if (!mask || !panels) {
        free(mask);
        free(panels);
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory drawing a %dx%d mask", s->kh, s->kw);
    }
    pcnn_status st = pcnn_mask_fill(mask, s->kh, s->kw, s->f_in, s->f_out, C, s->mode);
    for (int ci = 0; !st && ci < C; ci++)
        for (int co = 0; co < C; co++)
            for (size_t t = 0; t < taps; t++) {
                size_t i = (size_t)ci * (s->f_in / C), o = (size_t)co * (s->f_out / C);
                panels[((size_t)ci * C + co) * taps + t] = mask[(t * s->f_in + i) * s->f_out + o] != 0.0f;
            }
    free(mask);
    if (st)
        free(panels);
    *out = st ? NULL : panels;
    return st;
}

static void title_text(const mask_picture_spec *s, char *buf, size_t size)
{
    snprintf(buf, size, "Mask %c for a %d x %d kernel", (char)s->mode, s->kh, s->kw);
}

/* A colour label: the colour's letter with "in"/"out" as a subscript, as the
 * seed's $R_{in}$; one colour has no letter, just the subscript word. */
static int label_width(int colours, const char *sub)
{
    int letter = colours > 1 ? font_text_width("R", LETTER_SCALE) + 2 : 0;
    return letter + font_text_width(sub, SUB_SCALE);
}

static void draw_label(uint8_t *rgb, int w, int h, int x, int y, int colours, int colour, const char *sub)
{
    const uint8_t *ink = colours > 1 ? label_colours[colour] : black;
    char letter[2] = {colour_letters[colour], 0};
    if (colours > 1) {
        font_draw(rgb, w, h, x, y, letter, LETTER_SCALE, ink);
        x += font_text_width(letter, LETTER_SCALE) + 2;
    }
    /* The subscript sits on the letter's baseline and hangs a little below it. */
    int sub_y = y + font_text_height(LETTER_SCALE) - font_text_height(SUB_SCALE) + 3;
    font_draw(rgb, w, h, x, sub_y, sub, SUB_SCALE, ink);
}

static void fill_rect(uint8_t *rgb, int width, int x, int y, int w, int h, uint8_t v)
{
    for (int yy = y; yy < y + h; yy++)
        memset(rgb + ((size_t)yy * width + x) * 3, v, (size_t)w * 3);
}

static mask_picture_layout plan_layout(const mask_picture_spec *s, const char *title)
{
    mask_picture_layout L;
    int C = s->colours, side = s->kh > s->kw ? s->kh : s->kw;
    L.cell = 168 / side < 6 ? 6 : 168 / side > 48 ? 48 : 168 / side;
    int panel_w = s->kw * L.cell + 1, panel_h = s->kh * L.cell + 1;
    L.pitch_x = panel_w + PANEL_GAP;
    L.pitch_y = panel_h + PANEL_GAP;
    int row_label_w = label_width(C, "in"), col_label_h = font_text_height(LETTER_SCALE) + 3;
    int grid_w = C * panel_w + (C - 1) * PANEL_GAP, grid_h = C * panel_h + (C - 1) * PANEL_GAP;
    int content_w = row_label_w + 10 + grid_w, title_w = font_text_width(title, TITLE_SCALE);
    L.width = 2 * MARGIN + (content_w > title_w ? content_w : title_w);
    L.x0 = (L.width - content_w) / 2 + row_label_w + 10;
    L.y0 = MARGIN + font_text_height(TITLE_SCALE) + 16 + col_label_h + 8;
    L.height = L.y0 + grid_h + MARGIN;
    return L;
}

pcnn_status mask_picture_draw(const mask_picture_spec *s, uint8_t **rgb_out, mask_picture_layout *layout)
{
    *rgb_out = NULL;
    uint8_t *panels;
    TRY(sample_panels(s, &panels));
    char title[96];
    title_text(s, title, sizeof title);
    mask_picture_layout L = plan_layout(s, title);
    uint8_t *rgb = malloc((size_t)L.width * L.height * 3);
    if (!rgb) {
        free(panels);
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory drawing a %dx%d picture", L.width, L.height);
    }
    memset(rgb, SHADE_BACKGROUND, (size_t)L.width * L.height * 3);
    font_draw(rgb, L.width, L.height, (L.width - font_text_width(title, TITLE_SCALE)) / 2, MARGIN, title,
              TITLE_SCALE, black);
    int C = s->colours, panel_w = s->kw * L.cell + 1, panel_h = s->kh * L.cell + 1;
    for (int ci = 0; ci < C; ci++)
        for (int co = 0; co < C; co++) {
            int px = L.x0 + co * L.pitch_x, py = L.y0 + ci * L.pitch_y;
            const uint8_t *panel = panels + ((size_t)ci * C + co) * s->kh * s->kw;
            fill_rect(rgb, L.width, px, py, panel_w, panel_h, SHADE_EDGE);
            for (int r = 0; r < s->kh; r++)
                for (int c = 0; c < s->kw; c++) {
                    int one = panel[r * s->kw + c], centre = r == s->kh / 2 && c == s->kw / 2;
                    uint8_t v = centre ? (one ? SHADE_CENTRE_ONE : SHADE_CENTRE_ZERO) : (one ? SHADE_ONE : SHADE_ZERO);
                    fill_rect(rgb, L.width, px + c * L.cell + 1, py + r * L.cell + 1, L.cell - 1, L.cell - 1, v);
                }
        }
    int letter_h = font_text_height(LETTER_SCALE);
    for (int k = 0; k < C; k++) {
        int row_x = L.x0 - 10 - label_width(C, "in"), row_y = L.y0 + k * L.pitch_y + panel_h / 2 - letter_h / 2;
        draw_label(rgb, L.width, L.height, row_x, row_y, C, k, "in");
        int col_x = L.x0 + k * L.pitch_x + (panel_w - label_width(C, "out")) / 2, col_y = L.y0 - 8 - letter_h - 3;
        draw_label(rgb, L.width, L.height, col_x, col_y, C, k, "out");
    }
    free(panels);
    *rgb_out = rgb;
    if (layout)
        *layout = L;
    return PCNN_OK;
}

pcnn_status mask_picture_write_png(const mask_picture_spec *s, const char *path)
{
    uint8_t *rgb;
    mask_picture_layout L;
    TRY(mask_picture_draw(s, &rgb, &L));
    pcnn_status st = png_write(path, rgb, L.width, L.height, 3);
    free(rgb);
    return st;
}

static void panel_label(const mask_picture_spec *s, int ci, int co, char *buf, size_t size)
{
    if (s->colours == 1)
        snprintf(buf, size, "in -> out");
    else
        snprintf(buf, size, "%c_in -> %c_out", colour_letters[ci], colour_letters[co]);
}

pcnn_status mask_picture_print(FILE *out, const mask_picture_spec *s)
{
    uint8_t *panels;
    TRY(sample_panels(s, &panels));
    char title[96], label[32];
    title_text(s, title, sizeof title);
    int C = s->colours, grid_w = 2 * s->kw - 1;
    panel_label(s, 0, 0, label, sizeof label);
    int col_w = (int)strlen(label) > grid_w ? (int)strlen(label) : grid_w;
    fprintf(out, "%s: %d -> %d channels, %d colour%s\n", title, s->f_in, s->f_out, C, C > 1 ? "s" : "");
    fprintf(out, "each panel: the mask from input channel i*%d to output channel o*%d (i, o: the input and output "
                 "colour); kernel row 0 at the top; centre at row %d, column %d\n",
            s->f_in / C, s->f_out / C, s->kh / 2, s->kw / 2);
    for (int ci = 0; ci < C; ci++) {
        fputc('\n', out);
        for (int co = 0; co < C; co++) {
            panel_label(s, ci, co, label, sizeof label);
            fprintf(out, "%-*s%s", co + 1 < C ? col_w : 0, label, co + 1 < C ? "    " : "\n");
        }
        for (int r = 0; r < s->kh; r++)
            for (int co = 0; co < C; co++) {
                const uint8_t *row = panels + (((size_t)ci * C + co) * s->kh + r) * s->kw;
                for (int c = 0; c < s->kw; c++)
                    fprintf(out, "%d%s", row[c], c + 1 < s->kw ? " " : "");
                fprintf(out, "%*s%s", co + 1 < C ? col_w - grid_w : 0, "", co + 1 < C ? "    " : "\n");
            }
    }
    free(panels);
    return ferror(out) ? pcnn_fail(PCNN_ERR_IO, "writing the mask as text failed") : PCNN_OK;
}
