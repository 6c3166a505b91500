/* The mask picture shows the mask the model uses: every kernel cell of every
 * (input colour, output colour) panel has the seed's shade for the value
 * pcnn_mask_fill gives (255 for 1, 0 for 0, the centre 200 or 55), cell edges
 * are drawn, labels carry their colour, and the text form prints the same
 * 0/1 grids. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_mask_picture.h"
#include "test_util.h"

static const mask_picture_spec specs[] = {
    {7, 7, 15, 24, 3, PCNN_MASK_A}, /* the seed's figure for mask A */
    {3, 3, 15, 24, 3, PCNN_MASK_B}, /* and for mask B */
    {5, 3, 6, 9, 3, PCNN_MASK_A},   /* non-square: rows and columns must not be swapped */
    {3, 5, 4, 2, 1, PCNN_MASK_B},   /* one colour: a single panel */
    {3, 3, 2, 2, 1, PCNN_MASK_A},   /* one colour, mask A: the centre is dead */
};
enum { N_SPECS = sizeof specs / sizeof specs[0] };

/* The seed's shade for a cell: 1 -> 255 and 0 -> 0, the centre 200 / 55. */
static int seed_shade(float mask_value, int centre)
{
    if (centre)
        return mask_value != 0.0f ? 200 : 55;
    return mask_value != 0.0f ? 255 : 0;
}

static float *filled_mask(const mask_picture_spec *s)
{
    float *m = malloc((size_t)s->kh * s->kw * s->f_in * s->f_out * sizeof(float));
    assert_non_null(m);
    assert_int_equal(pcnn_mask_fill(m, s->kh, s->kw, s->f_in, s->f_out, s->colours, s->mode), PCNN_OK);
    return m;
}

static const uint8_t *pixel(const uint8_t *rgb, const mask_picture_layout *L, int x, int y)
{
    assert_true(x >= 0 && y >= 0 && x < L->width && y < L->height);
    return rgb + ((size_t)y * L->width + x) * 3;
}

static void test_cells_have_the_seed_shades(void **state)
{
    (void)state;
    for (int k = 0; k < N_SPECS; k++) {
        const mask_picture_spec *s = &specs[k];
        uint8_t *rgb;
        mask_picture_layout L;
        assert_int_equal(mask_picture_draw(s, &rgb, &L), PCNN_OK);
        float *mask = filled_mask(s);
        int C = s->colours, checked = 0, ones = 0;
        for (int ci = 0; ci < C; ci++)
            for (int co = 0; co < C; co++)
                for (int r = 0; r < s->kh; r++)
                    for (int c = 0; c < s->kw; c++) {
                        /* Kernel row r is drawn r cells below the panel's top (row 0 at the top, as the
                         * seed's inverted y axis); sample the middle of the cell. */
                        int x = L.x0 + co * L.pitch_x + c * L.cell + L.cell / 2;
                        int y = L.y0 + ci * L.pitch_y + r * L.cell + L.cell / 2;
                        size_t i = (size_t)ci * (s->f_in / C), o = (size_t)co * (s->f_out / C);
                        float v = mask[(((size_t)r * s->kw + c) * s->f_in + i) * s->f_out + o];
                        int want = seed_shade(v, r == s->kh / 2 && c == s->kw / 2);
                        const uint8_t *p = pixel(rgb, &L, x, y);
                        if (p[0] != want || p[1] != want || p[2] != want)
                            fail_msg("spec %d panel (%d, %d) cell (%d, %d): pixel (%d, %d, %d), want %d", k, ci, co,
                                     r, c, p[0], p[1], p[2], want);
                        checked++;
                        ones += v != 0.0f;
                    }
        /* A mask of all zeros or all ones would let a broken sampler through. */
        assert_true(ones > 0 && ones < checked);
        print_message("  %dx%d mode %c, %d colours: %d cells match the mask (%d ones)\n", s->kh, s->kw, s->mode, C,
                      checked, ones);
        free(mask);
        free(rgb);
    }
}

/* The edge lines between cells: one shade, unlike both 0 and 255 so they show on light and dark cells. */
static void test_cell_edges_are_drawn(void **state)
{
    (void)state;
    const mask_picture_spec *s = &specs[2]; /* 5x3: rows and columns differ */
    uint8_t *rgb;
    mask_picture_layout L;
    assert_int_equal(mask_picture_draw(s, &rgb, &L), PCNN_OK);
    const uint8_t edge = pixel(rgb, &L, L.x0, L.y0)[0];
    assert_true(edge != 0 && edge != 255);
    for (int ci = 0; ci < s->colours; ci++)
        for (int co = 0; co < s->colours; co++)
        {
            int px = L.x0 + co * L.pitch_x, py = L.y0 + ci * L.pitch_y;
            for (int line = 0; line <= s->kw; line++) /* vertical edges */
                for (int y = 0; y <= s->kh * L.cell; y++)
                    assert_int_equal(pixel(rgb, &L, px + line * L.cell, py + y)[1], edge);
            for (int line = 0; line <= s->kh; line++) /* horizontal edges */
                for (int x = 0; x <= s->kw * L.cell; x++)
                    assert_int_equal(pixel(rgb, &L, px + x, py + line * L.cell)[1], edge);
        }
    free(rgb);
}

static int count_colour(const uint8_t *rgb, const mask_picture_layout *L, int x0, int y0, int x1, int y1,
                        const uint8_t want[3])
{
    int n = 0;
    for (int y = y0 < 0 ? 0 : y0; y < y1 && y < L->height; y++)
        for (int x = x0 < 0 ? 0 : x0; x < x1 && x < L->width; x++)
            n += memcmp(pixel(rgb, L, x, y), want, 3) == 0;
    return n;
}

/* Left of each panel row: only that input colour's label ink; above each panel column: only that output colour's. */
static void test_labels_have_their_colours(void **state)
{
    (void)state;
    static const uint8_t ink[3][3] = {{255, 0, 0}, {0, 128, 0}, {0, 0, 255}};
    const mask_picture_spec *s = &specs[0];
    uint8_t *rgb;
    mask_picture_layout L;
    assert_int_equal(mask_picture_draw(s, &rgb, &L), PCNN_OK);
    int panel = s->kh * L.cell + 1;
    for (int k = 0; k < 3; k++)
        for (int other = 0; other < 3; other++) {
            int left = count_colour(rgb, &L, 0, L.y0 + k * L.pitch_y, L.x0, L.y0 + k * L.pitch_y + panel, ink[other]);
            int top = count_colour(rgb, &L, L.x0 + k * L.pitch_x, L.y0 - 40, L.x0 + k * L.pitch_x + panel, L.y0,
                                   ink[other]);
            if (other == k) {
                assert_true(left > 20);
                assert_true(top > 20);
            } else {
                assert_int_equal(left, 0);
                assert_int_equal(top, 0);
            }
        }
    free(rgb);
}

/* The text form: C*kh lines of only 0/1, each with the C panels of one kernel row side by side. */
static void test_text_matches_mask(void **state)
{
    (void)state;
    for (int k = 0; k < N_SPECS; k++) {
        const mask_picture_spec *s = &specs[k];
        FILE *f = tmpfile();
        assert_non_null(f);
        assert_int_equal(mask_picture_print(f, s), PCNN_OK);
        rewind(f);
        float *mask = filled_mask(s);
        int C = s->colours, grid_lines = 0;
        char line[1024];
        while (fgets(line, sizeof line, f)) {
            if (strspn(line, "01 \n") != strlen(line) || strspn(line, " \n") == strlen(line))
                continue;
            int ci = grid_lines / s->kh, r = grid_lines % s->kh, digits = 0;
            assert_true(ci < C);
            for (const char *p = line; *p; p++) {
                if (*p != '0' && *p != '1')
                    continue;
                int co = digits / s->kw, c = digits % s->kw;
                assert_true(co < C);
                size_t i = (size_t)ci * (s->f_in / C), o = (size_t)co * (s->f_out / C);
                float v = mask[(((size_t)r * s->kw + c) * s->f_in + i) * s->f_out + o];
                assert_int_equal(*p - '0', v != 0.0f);
                digits++;
            }
            assert_int_equal(digits, C * s->kw);
            grid_lines++;
        }
        assert_int_equal(grid_lines, C * s->kh);
        free(mask);
        fclose(f);
    }
}

static void test_bad_specs_are_refused(void **state)
{
    (void)state;
    const mask_picture_spec bad[] = {
        {4, 3, 3, 3, 3, PCNN_MASK_A},        /* even side */
        {3, 3, 4, 3, 3, PCNN_MASK_B},        /* channels not divisible by colours */
        {3, 3, 3, 3, 2, PCNN_MASK_B},        /* two colours */
        {3, 3, 3, 3, 3, (pcnn_mask_mode)'C'},
        {63, 63, 3000, 3000, 3, PCNN_MASK_B}, /* too large to fill */
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        uint8_t *rgb = (uint8_t *)1;
        assert_int_equal(mask_picture_draw(&bad[k], &rgb, NULL), PCNN_ERR_ARG);
        assert_null(rgb);
        assert_true(strlen(pcnn_last_error()) > 0);
        print_message("  refused: %s\n", pcnn_last_error());
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cells_have_the_seed_shades),
        cmocka_unit_test(test_cell_edges_are_drawn),
        cmocka_unit_test(test_labels_have_their_colours),
        cmocka_unit_test(test_text_matches_mask),
        cmocka_unit_test(test_bad_specs_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
