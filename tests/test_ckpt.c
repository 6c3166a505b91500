/* Checkpoints and weights directories: round trips, and refusal of files that
 * are corrupt, truncated, of another version or of another model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
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
    /* manifest.txt lists the config.txt the export wrote: refused as edited. */
    assert_int_equal(pcnn_weights_dir_load(*state, sub, &back), PCNN_ERR_FORMAT);
    print_message("  refused: %s\n", pcnn_last_error());
    assert_non_null(strstr(pcnn_last_error(), "config.txt: does not match manifest.txt"));
    /* Without the manifest, the shapes are checked against the new config. */
    char manifest[600];
    snprintf(manifest, sizeof manifest, "%s/manifest.txt", sub);
    assert_int_equal(remove(manifest), 0);
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

/* A crafted checkpoint whose config asks for a huge model (out_dim 4000: 17M
 * parameters, 68 MB each for weights and gradients; the 40 KB file
 * with out_dim 20000 asked for 3.2 GB) but holds a small params record is
 * refused before a byte of device memory is allocated. */
static void test_sizes_checked_before_allocating(void **state)
{
    char *dir = test_tmpdir(), bad[512];
    snprintf(bad, sizeof bad, "%s/big.pcnn", dir);
    pcnn_ckpt ck;
    pcnn_ckpt_init(&ck);
    static float few[10000]; /* 40 KB, as in the issue */
    assert_int_equal(pcnn_ckpt_add_text(&ck, "config",
                                        "hidden_dim=4\nout_dim=4000\nn_layers=2\nchannels=1\n"
                                        "height=8\nwidth=8\n"),
                     PCNN_OK);
    assert_int_equal(pcnn_ckpt_add(&ck, "params", PCNN_REC_F32, few, sizeof few), PCNN_OK);
    assert_int_equal(pcnn_ckpt_write(&ck, bad), PCNN_OK);
    pcnn_ckpt_free(&ck);
    pcnn_device *dev = *state;
    size_t peak = dev->bytes_peak, in_use = dev->bytes_in_use;
    dev->bytes_peak = in_use;
    expect_load_fails(dev, bad, "params");
    print_message("  device bytes allocated at the peak of the refused load: %zu\n", dev->bytes_peak - in_use);
    assert_int_equal(dev->bytes_peak, in_use);
    dev->bytes_peak = peak;
    test_rmtree(dir);
    free(dir);
}

/* A checkpoint that holds a NaN weight is refused, naming the tensor; one
 * with an infinite weight too; and a model with a NaN weight is never saved. */
static void test_nonfinite_weights_refused(void **state)
{
    char *dir = test_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/m.pcnn", dir);
    pcnn_model *m = make_model(*state, 2);
    int t = pcnn_model_tensor_find(m, "res.0.conv_mid.kernel");
    assert_true(t >= 0);
    pcnn_tensor_info info;
    pcnn_model_tensor_info(m, t, &info);
    float *w = malloc(info.count * sizeof *w);
    assert_int_equal(pcnn_model_get_tensor(m, t, w), PCNN_OK);
    w[0] = NAN; /* the first tap, above-left of the centre: live (the mask keeps it) */
    assert_int_equal(pcnn_model_set_tensor(m, t, w), PCNN_OK);
    assert_int_equal(pcnn_model_save(m, path), PCNN_ERR_NUMERIC);
    print_message("  save refused: %s\n", pcnn_last_error());
    assert_non_null(strstr(pcnn_last_error(), "res.0.conv_mid.kernel"));
    assert_int_equal(access(path, F_OK), -1); /* nothing written */

    /* The same weights written into a checkpoint by hand. */
    pcnn_model *good = make_model(*state, 2);
    size_t n = pcnn_model_param_count(good);
    float *params = malloc(n * sizeof *params);
    assert_int_equal(pcnn_model_get_params(good, params), PCNN_OK);
    const float bad_values[2] = {NAN, INFINITY};
    for (int k = 0; k < 2; k++) {
        char text[512];
        pcnn_config_format(pcnn_model_config(good), text, sizeof text);
        params[n - 1] = bad_values[k]; /* final_conv.bias, last element */
        pcnn_ckpt ck;
        pcnn_ckpt_init(&ck);
        assert_int_equal(pcnn_ckpt_add_text(&ck, "config", text), PCNN_OK);
        assert_int_equal(pcnn_ckpt_add(&ck, "params", PCNN_REC_F32, params, n * sizeof(float)), PCNN_OK);
        assert_int_equal(pcnn_ckpt_write(&ck, path), PCNN_OK);
        pcnn_ckpt_free(&ck);
        expect_load_fails(*state, path, "final_conv.bias");
        assert_non_null(strstr(pcnn_last_error(), "not finite"));
    }
    free(params);
    free(w);
    pcnn_model_free(good);
    pcnn_model_free(m);
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

/* The same weights through a .npz: identical parameters; every truncation of
 * the file, and a flipped byte in a tensor, refused without a crash. */
static void test_npz_round_trip_and_truncations(void **state)
{
    char *dir = test_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/w.npz", dir);
    pcnn_model *m = make_model(*state, 2), *back;
    pcnn_weights_save_opts o = {.step = 42};
    assert_int_equal(pcnn_weights_save(m, path, &o), PCNN_OK);
    long step = 0;
    assert_int_equal(pcnn_weights_load(*state, path, &back, &step), PCNN_OK);
    assert_int_equal(step, 42);
    assert_same_params(m, back);
    pcnn_model_free(back);
    unsigned char *b;
    size_t n;
    assert_int_equal(read_whole_file(path, &b, &n), PCNN_OK);
    for (size_t cut = 0; cut < n; cut += n / 61 + 1) {
        assert_int_not_equal(pcnn_weights_npz_parse(*state, b, cut, "cut.npz", &back), PCNN_OK);
        assert_null(back);
    }
    /* A byte in the middle of the archive (a tensor's data): libzip's CRC or the manifest's refuses it. */
    b[n / 2] ^= 0x40;
    assert_int_not_equal(pcnn_weights_npz_parse(*state, b, n, "flipped.npz", &back), PCNN_OK);
    print_message("  refused: %s\n", pcnn_last_error());
    free(b);
    pcnn_model_free(m);
    test_rmtree(dir);
    free(dir);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Replaces the first occurrence of `from` in the file by `to`. */
static void edit_file(const char *path, const char *from, const char *to)
{
    unsigned char *b;
    size_t n;
    assert_int_equal(read_whole_file(path, &b, &n), PCNN_OK);
    char *at = strstr((char *)b, from), *out = malloc(n + strlen(to) + 1);
    assert_non_null(at);
    size_t head = (size_t)(at - (char *)b);
    memcpy(out, b, head);
    strcpy(out + head, to);
    strcat(out, at + strlen(from));
    write_text(path, out);
    free(out);
    free(b);
}

static void expect_manifest_refusal(pcnn_device *dev, const char *dir, const char *words)
{
    pcnn_model *back;
    assert_int_equal(pcnn_weights_dir_load(dev, dir, &back), PCNN_ERR_FORMAT);
    print_message("  refused: %s\n", pcnn_last_error());
    assert_non_null(strstr(pcnn_last_error(), words));
    assert_null(back);
}

/* A manifest.txt that is malformed, of another version, lists a file the
 * model has no tensor for, or leaves a tensor out is refused, saying which. */
static void test_manifest_refusals(void **state)
{
    char *dir = test_tmpdir(), sub[512], manifest[600];
    snprintf(sub, sizeof sub, "%s/w", dir);
    snprintf(manifest, sizeof manifest, "%s/manifest.txt", sub);
    pcnn_model *m = make_model(*state, 2);
    pcnn_weights_save_opts o = {.step = 7};
    assert_int_equal(pcnn_weights_save(m, sub, &o), PCNN_OK);
    pcnn_model_free(m);
    unsigned char *good;
    size_t n;
    assert_int_equal(read_whole_file(manifest, &good, &n), PCNN_OK);
    assert_non_null(strstr((char *)good, "step=7\n"));

    edit_file(manifest, "pcnn-cl weights manifest 1", "pcnn-cl weights manifest 2");
    expect_manifest_refusal(*state, sub, "manifest version 2 not supported");
    write_text(manifest, (char *)good);
    edit_file(manifest, " crc32=", " crc32=zz");
    expect_manifest_refusal(*state, sub, "manifest.txt: line 3 is not");
    write_text(manifest, (char *)good);
    edit_file(manifest, "final_conv.bias.npy", "final_conv.gain.npy");
    expect_manifest_refusal(*state, sub, "lists final_conv.gain.npy, which is no tensor");
    write_text(manifest, (char *)good);
    edit_file(manifest, "input_conv.bias.npy", "input_conv.kernel.npy");
    expect_manifest_refusal(*state, sub, "input_conv.kernel.npy is listed twice");
    write_text(manifest, (char *)good);
    edit_file(manifest, "step=7", "step=-3");
    expect_manifest_refusal(*state, sub, "bad step");
    write_text(manifest, (char *)good);
    pcnn_model *back;
    assert_int_equal(pcnn_weights_dir_load(*state, sub, &back), PCNN_OK);
    pcnn_model_free(back);
    free(good);
    test_rmtree(dir);
    free(dir);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checkpoint_round_trip),       cmocka_unit_test(test_weights_dir_round_trip),
        cmocka_unit_test(test_bad_checkpoints_refused),     cmocka_unit_test(test_sizes_checked_before_allocating),
        cmocka_unit_test(test_nonfinite_weights_refused),   cmocka_unit_test(test_weights_dir_wrong_shape_refused),
        cmocka_unit_test(test_failed_write_keeps_old_file), cmocka_unit_test(test_npz_round_trip_and_truncations),
        cmocka_unit_test(test_manifest_refusals),
    };
    return TEST_MAIN_ON_DEVICES(argc, argv, "checkpoints", tests);
}
