/* Masks equal every golden mask (shape and every value), and bad shapes are refused. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcnn/mask.h"
#include "test_util.h"

static void test_every_golden_mask(void **state)
{
    (void)state;
    DIR *d = opendir(test_data_path("golden/mask"));
    assert_non_null(d);
    int checked = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        int kh, kw, fin, fout, colours;
        char mode;
        if (sscanf(e->d_name, "mask_k%dx%d_in%d_out%d_%c_C%d.npy", &kh, &kw, &fin, &fout, &mode, &colours) != 6)
            continue;
        char rel[512];
        snprintf(rel, sizeof rel, "golden/mask/%s", e->d_name);
        pcnn_array want;
        test_load_npy(rel, &want);
        assert_int_equal(want.ndim, 4);
        assert_int_equal(want.shape[0], kh);
        assert_int_equal(want.shape[1], kw);
        assert_int_equal(want.shape[2], fin);
        assert_int_equal(want.shape[3], fout);
        size_t n = pcnn_array_count(&want);
        float *got = malloc(n * sizeof *got);
        assert_int_equal(pcnn_mask_fill(got, kh, kw, fin, fout, colours, (pcnn_mask_mode)mode), PCNN_OK);
        assert_close(e->d_name, got, want.data, n, 0.0);
        /* The live-tap prefix holds every 1 of the mask. */
        size_t live = (size_t)pcnn_mask_live_taps(kh, kw) * fin * fout;
        for (size_t i = live; i < n; i++)
            assert_true(got[i] == 0.0f);
        free(got);
        pcnn_array_free(&want);
        checked++;
    }
    closedir(d);
    print_message("  checked %d golden masks\n", checked);
    assert_int_equal(checked, 9);
}

static void test_live_taps(void **state)
{
    (void)state;
    assert_int_equal(pcnn_mask_live_taps(1, 1), 1);
    assert_int_equal(pcnn_mask_live_taps(3, 3), 5);
    assert_int_equal(pcnn_mask_live_taps(7, 7), 25);
    assert_int_equal(pcnn_mask_live_taps(3, 5), 8);
}

static void test_bad_shapes_refused(void **state)
{
    (void)state;
    float buf[64];
    assert_int_equal(pcnn_mask_fill(buf, 2, 3, 3, 3, 3, PCNN_MASK_A), PCNN_ERR_ARG);
    assert_non_null(strstr(pcnn_last_error(), "odd"));
    assert_int_equal(pcnn_mask_fill(buf, 1, 1, 4, 3, 3, PCNN_MASK_B), PCNN_ERR_ARG);
    assert_non_null(strstr(pcnn_last_error(), "multiples"));
    assert_int_equal(pcnn_mask_fill(buf, 1, 1, 2, 2, 2, PCNN_MASK_B), PCNN_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_golden_mask),
        cmocka_unit_test(test_live_taps),
        cmocka_unit_test(test_bad_shapes_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
