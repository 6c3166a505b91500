/* The receptive field of the output: see model_receptive_field.h.
 *
 * A dependency set is one bitset per colour group: bit (row, col) of group g
 * says that channel group g of this layer's input at pixel p + (-row, col - X)
 * is needed. Rows go up from p (row 0 is p's row), columns are centred on p at
 * X = the sum of every layer's kw/2, so no shift ever leaves the canvas. Going
 * back through a masked conv: an off-centre live tap (dy, dx) needs every
 * input group at the shifted pixel; the centre tap needs input group i for
 * output group j iff i < j (mask A) or i <= j (mask B). */
#include "model/model_receptive_field.h"

#include <stdlib.h>
#include <string.h>

#include "model/model_types.h"

typedef struct {
    int rows, cols, words, groups;
    uint64_t *bits; /* [groups][rows][words] */
} dep_set;

static uint64_t *set_row(const dep_set *s, int g, int row) { return s->bits + ((size_t)g * s->rows + row) * s->words; }

static int set_alloc(dep_set *s, int rows, int cols, int groups)
{
    s->rows = rows;
    s->cols = cols;
    s->words = (cols + 63) / 64;
    s->groups = groups;
    s->bits = calloc((size_t)groups * rows * s->words, sizeof(uint64_t));
    return s->bits != NULL;
}

static size_t set_words(const dep_set *s) { return (size_t)s->groups * s->rows * s->words; }

/* dst bit j + shift |= src bit j, within one row of `words` words. */
static void or_shifted(uint64_t *dst, const uint64_t *src, int words, int shift)
{
    int q = (shift < 0 ? -shift : shift) / 64, r = (shift < 0 ? -shift : shift) % 64;
    for (int w = 0; w < words; w++) {
        int from = shift >= 0 ? w - q : w + q;
        if (from < 0 || from >= words)
            continue;
        uint64_t v;
        if (shift >= 0) {
            v = src[from] << r;
            if (r && from - 1 >= 0)
                v |= src[from - 1] >> (64 - r);
        } else {
            v = src[from] >> r;
            if (r && from + 1 < words)
                v |= src[from + 1] << (64 - r);
        }
        dst[w] |= v;
    }
}

/* in = the input dependencies of a conv layer whose output dependencies are `out`. */
static void conv_back(const conv_layer *l, const dep_set *out, dep_set *in, uint64_t *any)
{
    int G = out->groups, words = out->words;
    memset(in->bits, 0, set_words(in) * sizeof(uint64_t));
    memset(any, 0, (size_t)out->rows * words * sizeof(uint64_t));
    for (int g = 0; g < G; g++)
        for (size_t i = 0; i < (size_t)out->rows * words; i++)
            any[i] |= set_row(out, g, 0)[i];
    /* Off-centre live taps: the first taps-1 in row-major order. */
    for (int t = 0; t + 1 < l->taps; t++) {
        int up = l->kh / 2 - t / l->kw, dx = t % l->kw - l->kw / 2;
        for (int row = 0; row + up < out->rows; row++)
            for (int g = 0; g < G; g++)
                or_shifted(set_row(in, g, row + up), any + (size_t)row * words, words, dx);
    }
    for (int gi = 0; gi < G; gi++)
        for (int go = 0; go < G; go++)
            if (l->mode == PCNN_MASK_A ? gi < go : gi <= go)
                for (size_t i = 0; i < (size_t)out->rows * words; i++)
                    set_row(in, gi, 0)[i] |= set_row(out, go, 0)[i];
    /* Keep bits past the last column clear, so counts stay exact. */
    uint64_t last = in->cols % 64 ? ((uint64_t)1 << (in->cols % 64)) - 1 : ~(uint64_t)0;
    for (int g = 0; g < G; g++)
        for (int row = 0; row < in->rows; row++)
            set_row(in, g, row)[words - 1] &= last;
}

static void set_or(dep_set *dst, const dep_set *src)
{
    for (size_t i = 0; i < set_words(dst); i++)
        dst->bits[i] |= src->bits[i];
}

static void swap_sets(dep_set *a, dep_set *b)
{
    dep_set t = *a;
    *a = *b;
    *b = t;
}

static int popcount64(uint64_t x)
{
    int n = 0;
    for (; x; x &= x - 1)
        n++;
    return n;
}

static void measure(const dep_set *s, int centre_col, receptive_field *f)
{
    memset(f, 0, sizeof *f);
    int min_col = centre_col, max_col = centre_col;
    for (int row = 0; row < s->rows; row++)
        for (int w = 0; w < s->words; w++) {
            uint64_t u = 0;
            for (int g = 0; g < s->groups; g++)
                u |= set_row(s, g, row)[w];
            if (!u)
                continue;
            f->positions += (uint64_t)popcount64(u);
            if (row > f->rows_above)
                f->rows_above = row;
            for (int b = 0; b < 64; b++)
                if (u >> b & 1) {
                    int col = w * 64 + b;
                    min_col = col < min_col ? col : min_col;
                    max_col = col > max_col ? col : max_col;
                }
        }
    for (int g = 0; g < s->groups; g++)
        if (set_row(s, g, 0)[centre_col / 64] >> (centre_col % 64) & 1)
            f->centre_colours |= 1u << g;
    if (f->centre_colours)
        f->positions--;
    f->cols_left = centre_col - min_col;
    f->cols_right = max_col - centre_col;
    f->box_before = (uint64_t)f->rows_above * (f->cols_left + f->cols_right + 1) + (uint64_t)f->cols_left;
}

pcnn_status receptive_field_compute(const pcnn_model *m, int colour, receptive_field *out)
{
    int C = m->cfg.channels, L = m->cfg.n_layers, up = 0, half_w = 0;
    if (colour < 0 || colour >= C)
        return pcnn_fail(PCNN_ERR_ARG, "receptive field: colour %d out of range 0..%d", colour, C - 1);
    for (int i = 0; i < m->n_convs; i++) {
        up += m->convs[i].kh / 2;
        half_w += m->convs[i].kw / 2;
    }
    dep_set cur, next, block_out;
    uint64_t *any = NULL;
    int ok = set_alloc(&cur, up + 1, 2 * half_w + 1, C) & set_alloc(&next, up + 1, 2 * half_w + 1, C) &
             set_alloc(&block_out, up + 1, 2 * half_w + 1, C);
    if (ok)
        any = malloc((size_t)cur.rows * cur.words * sizeof(uint64_t));
    if (!any) {
        free(cur.bits);
        free(next.bits);
        free(block_out.bits);
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory computing the receptive field");
    }
    /* Start: output group `colour` of final_conv at p. */
    set_row(&cur, colour, 0)[half_w / 64] |= (uint64_t)1 << (half_w % 64);
    /* Back through final_conv, output_conv2, output_conv1 (ReLUs change no dependency). */
    for (int k = HEAD_CONVS - 1; k >= 0; k--) {
        conv_back(model_head_conv(m, k), &cur, &next, any);
        swap_sets(&cur, &next);
    }
    /* Each block: y[i+1] = y[i] + convs(y[i]), so y[i] is needed where the
     * block's convs need it and wherever y[i+1] is needed. */
    for (int b = L - 1; b >= 0; b--) {
        memcpy(block_out.bits, cur.bits, set_words(&cur) * sizeof(uint64_t));
        for (int k = BLOCK_CONVS - 1; k >= 0; k--) {
            conv_back(model_block_conv(m, b, k), &cur, &next, any);
            swap_sets(&cur, &next);
        }
        set_or(&cur, &block_out);
    }
    conv_back(model_input_conv(m), &cur, &next, any);
    measure(&next, half_w, out);
    free(cur.bits);
    free(next.bits);
    free(block_out.bits);
    free(any);
    return PCNN_OK;
}
