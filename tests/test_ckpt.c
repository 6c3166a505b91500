/* Checkpoints and weights directories: round trips, and refusal of files that
 * are corrupt, truncated, of another version or of another model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_file.h"
#include "pcnn/ckpt.h"
#include "pcnn/model_ckpt.h"
#include "pcnn/npy.h"
#include "pcnn/weights_dir.h"
#include "test_util.h"

static pcnn_model *make_model(pcnn_device *dev, int hidden)
{
    pcnn_config cfg = {.hidden_dim = hidden, .out_dim = 3, .n_layers = 1, .channels = 3, .height = 4, .width = 4};
    pcnn_model *m;
    assert_int_equal(pcnn_model_create(dev, &cfg, &m), PCNN_OK);
    assert_int_equal(pcnn_model_init(m, 9), PCNN_OK);
    return m;
}

static void assert_same_params(pcnn_model *a, pcnn_model *b)
{
    size_t n = pcnn_model_param_count(a);
    assert_int_equal(n, pcnn_model_param_count(b));
    assert_memory_equal(pcnn_model_config(a), pcnn_model_config(b), sizeof(pcnn_config));
    float *wa = malloc(n * sizeof(float)), *wb = malloc(n * sizeof(float));
    assert_int_equal(pcnn_model_get_params(a, wa), PCNN_OK);
    assert_int_equal(pcnn_model_get_params(b, wb), PCNN_OK);
    assert_memory_equal(wa, wb, n * sizeof(float));
    free(wa);
    free(wb);
}

static void test_checkpoint_round_trip(void **state)
{
    char *dir = test_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/m.pcnn", dir);
    pcnn_model *m = make_model(*state, 2), *back;
    assert_int_equal(pcnn_model_save(m, path), PCNN_OK);
    assert_int_equal(pcnn_model_load(*state, path, &back), PCNN_OK);
    assert_same_params(m, back);
    pcnn_model_free(back);
    pcnn_model_free(m);
    test_rmtree(dir);
    free(dir);
}

static void test_weights_dir_round_trip(void **state)
{
    char *dir = test_tmpdir(), sub[512];
    snprintf(sub, sizeof sub, "%s/weights", dir);
    pcnn_model *m = make_model(*state, 2), *back;
    assert_int_equal(pcnn_weights_dir_save(m, sub), PCNN_OK);
    assert_int_equal(pcnn_weights_dir_load(*state, sub, &back), PCNN_OK);
    assert_same_params(m, back);
    pcnn_model_free(back);
    pcnn_model_free(m);
    test_rmtree(dir);
    free(dir);
}

static void write_bytes(const char *path, const unsigned char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

static void expect_load_fails(pcnn_device *dev, const char *path, const char *word)
{
    pcnn_model *m = (pcnn_model *)1;
    assert_int_not_equal(pcnn_model_load(dev, path, &m), PCNN_OK);
    print_message("  refused: %s\n", pcnn_last_error());
    assert_null(m);
    assert_non_null(strstr(pcnn_last_error(), path));
    assert_non_null(strstr(pcnn_last_error(), word));
}

static void test_bad_checkpoints_refused(void **state)
{
    char *dir = test_tmpdir(), path[512], bad[512];
    snprintf(path, sizeof path, "%s/m.pcnn", dir);
    snprintf(bad, sizeof bad, "%s/bad.pcnn", dir);
    pcnn_model *m = make_model(*state, 2);
    assert_int_equal(pcnn_model_save(m, path), PCNN_OK);
    pcnn_model_free(m);
    unsigned char *b;
    size_t n;
    assert_int_equal(read_whole_file(path, &b, &n), PCNN_OK);

    b[n / 2] ^= 1; /* one flipped bit */
    write_bytes(bad, b, n);
    expect_load_fails(*state, bad, "checksum");
    b[n / 2] ^= 1;

    for (size_t cut = 0; cut < n; cut += n / 97 + 1) { /* truncated anywhere */
        write_bytes(bad, b, cut);
        pcnn_model *t;
        assert_int_equal(pcnn_model_load(*state, bad, &t), PCNN_ERR_FORMAT);
    }

    b[8] = 2; /* another format version */
    write_bytes(bad, b, n);
    expect_load_fails(*state, bad, "version 2");
    b[8] = 1;

    memcpy(b, "NOTACKPT", 8);
    write_bytes(bad, b, n);
    expect_load_fails(*state, bad, "magic");
    free(b);

    /* A checkpoint whose params do not fit its config. */
    pcnn_ckpt ck;
    pcnn_ckpt_init(&ck);
    float few[3] = {0};
    assert_int_equal(pcnn_ckpt_add_text(&ck, "config", "hidden_dim=2\nout_dim=3\nn_layers=1\nchannels=3\nheight=4\nwidth=4\n"), PCNN_OK);
    assert_int_equal(pcnn_ckpt_add(&ck, "params", PCNN_REC_F32, few, sizeof few), PCNN_OK);
    assert_int_equal(pcnn_ckpt_write(&ck, bad), PCNN_OK);
    pcnn_ckpt_free(&ck);
    expect_load_fails(*state, bad, "params");

    expect_load_fails(*state, "/nonexistent/ckpt.pcnn", "cannot open");
    test_rmtree(dir);
    free(dir);
}

static void test_weights_dir_wrong_shape_refused(void **state)
{
    char *dir = test_tmpdir(), sub[512], cfg[600];
    snprintf(sub, sizeof sub, "%s/w", dir);
    pcnn_model *m = make_model(*state, 2), *back;
    assert_int_equal(pcnn_weights_dir_save(m, sub), PCNN_OK);
    pcnn_model_free(m);
    /* config.txt now says hidden_dim=3: the saved tensors no longer fit. */
    snprintf(cfg, sizeof cfg, "%s/config.txt", sub);
    FILE *f = fopen(cfg, "w");
    fputs("hidden_dim=3\nout_dim=3\nn_layers=1\nchannels=3\nheight=4\nwidth=4\n", f);
    fclose(f);
    assert_int_equal(pcnn_weights_dir_load(*state, sub, &back), PCNN_ERR_FORMAT);
    print_message("  refused: %s\n", pcnn_last_error());
    assert_non_null(strstr(pcnn_last_error(), "input_conv.kernel.npy"));
    f = fopen(cfg, "w");
    fputs("hidden_dim=3\nout_dim=3\nn_layers=1\ncolours=3\n", f);
    fclose(f);
    assert_int_equal(pcnn_weights_dir_load(*state, sub, &back), PCNN_ERR_FORMAT);
    assert_non_null(strstr(pcnn_last_error(), "unknown key 'colours'"));
    test_rmtree(dir);
    free(dir);
}

static void test_failed_write_keeps_old_file(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/x.npy", dir);
    size_t shape[1] = {4};
    pcnn_array a, back;
    assert_int_equal(pcnn_array_alloc(&a, PCNN_U8, 1, shape), PCNN_OK);
    assert_int_equal(pcnn_npy_write(path, &a), PCNN_OK);
    atomic_file af;
    assert_int_equal(atomic_file_open(&af, path), PCNN_OK);
    assert_int_equal(atomic_file_write(&af, "garbage", 7), PCNN_OK);
    atomic_file_abort(&af); /* as after a failed write */
    assert_int_equal(pcnn_npy_read(path, &back), PCNN_OK);
    assert_int_equal(back.shape[0], 4);
    pcnn_array_free(&a);
    pcnn_array_free(&back);
    test_rmtree(dir);
    free(dir);
}

static int setup_cpu(void **state) { return test_device_open(0, (pcnn_device **)state) ? -1 : 0; }

static int teardown(void **state)
{
    pcnn_device_close(*state);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checkpoint_round_trip),
        cmocka_unit_test(test_weights_dir_round_trip),
        cmocka_unit_test(test_bad_checkpoints_refused),
        cmocka_unit_test(test_weights_dir_wrong_shape_refused),
        cmocka_unit_test(test_failed_write_keeps_old_file),
    };
    return cmocka_run_group_tests_name("checkpoints, device 0 (CPU)", tests, setup_cpu, teardown);
}
