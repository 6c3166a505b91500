/* Non-finite values are never hidden (docs/RELIABILITY.md): every operation
 * that applies a ReLU passes NaN through (relu(v) = v <= 0 ? 0 : v), so a NaN
 * weight reaches the loss, whose check stops training; the sampler refuses
 * non-finite logits; a NaN in a parameter vector is reported by tensor name.
 * The ReLU cases put NaNs in whole rows (through A), whole columns (through B
 * and through the bias) and single elements, over shapes that take every
 * path of a blocked kernel: full and partial register tiles, one and several
 * blocks of the inner dimension, with and without the residual accumulate.
 * On device 0 (test_nonfinite) or every OpenCL device (test_nonfinite_cl). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "pcnn/model.h"
#include "pcnn/sample.h"
#include "test_util.h"

static bbuf *upload(backend *be, const float *host, size_t n)
{
    bbuf *b = be->ops->alloc(be, n * sizeof(float), "test tensor");
    assert_non_null(b);
    assert_int_equal(be->ops->write(be, b, 0, host, n * sizeof(float)), PCNN_OK);
    return b;
}

static float *download(backend *be, bbuf *b, size_t n)
{
    float *host = malloc(n * sizeof *host);
    assert_int_equal(be->ops->read(be, b, 0, host, n * sizeof(float)), PCNN_OK);
    return host;
}

/* Fails unless out[i] is NaN exactly where want_nan[i], and finite elsewhere. */
static void expect_nan_pattern(const char *what, const float *out, const unsigned char *want_nan, size_t n)
{
    size_t nans = 0;
    for (size_t i = 0; i < n; i++) {
        if (want_nan[i] && !isnan(out[i]))
            fail_msg("%s: element %zu is %g, expected NaN (a ReLU hid it)", what, i, (double)out[i]);
        if (!want_nan[i] && !isfinite(out[i]))
            fail_msg("%s: element %zu is %g, expected a finite value", what, i, (double)out[i]);
        nans += want_nan[i];
    }
    print_message("  %-60s %zu NaNs kept of %zu elements\n", what, nans, n);
}

/* relu and bias_act: NaNs (of either sign) at the start, in the 8-wide body
 * and in the tail, and a NaN bias column. */
static void test_relu_and_bias_act_pass_nan(void **state)
{
    backend *be = *state;
    enum { ROWS = 13, COLS = 77, N = ROWS * COLS };
    float *x = malloc(N * sizeof *x), bias[COLS];
    unsigned char want[N];
    test_random_floats(x, N, 1.0f, 11);
    test_random_floats(bias, COLS, 1.0f, 12);
    memset(want, 0, sizeof want);
    size_t at[] = {0, 9, 500, N - 3, N - 1};
    for (size_t i = 0; i < sizeof at / sizeof *at; i++) {
        x[at[i]] = i % 2 ? -NAN : NAN;
        want[at[i]] = 1;
    }
    bbuf *src = upload(be, x, N), *dst = upload(be, x, N);
    assert_int_equal(be->ops->relu(be, (bview){dst, 0}, (bview){src, 0}, N), PCNN_OK);
    float *out = download(be, dst, N);
    expect_nan_pattern("relu", out, want, N);
    for (size_t i = 0; i < N; i++)
        if (!want[i])
            assert_true(out[i] == (x[i] > 0 ? x[i] : 0.0f));
    free(out);

    bias[COLS - 1] = NAN; /* a whole column */
    for (int r = 0; r < ROWS; r++)
        want[(size_t)r * COLS + COLS - 1] = 1;
    bbuf *b = upload(be, bias, COLS);
    assert_int_equal(be->ops->bias_act(be, (bview){src, 0}, (bview){b, 0}, ROWS, COLS, 1), PCNN_OK);
    out = download(be, src, N);
    expect_nan_pattern("bias_act relu", out, want, N);
    free(out);

    /* add_act_2d (the sampler's bias + ReLU), the bias as a broadcast row. */
    assert_int_equal(be->ops->write(be, src, 0, x, N * sizeof(float)), PCNN_OK);
    assert_int_equal(
        be->ops->add_act_2d(be, (bview){dst, 0}, COLS, (bview){src, 0}, COLS, (bview){b, 0}, 0, ROWS, COLS, 1),
        PCNN_OK);
    out = download(be, dst, N);
    expect_nan_pattern("add_act_2d relu", out, want, N);
    free(out);
    be->ops->release(be, src);
    be->ops->release(be, dst);
    be->ops->release(be, b);
    free(x);
}

/* The masked product's ReLU epilogue (where the backend has one), with and
 * without the residual accumulate. NaN rows come from A (one in the first
 * inner index, one in the last: a later block of the inner dimension), NaN
 * columns from B and from the bias. */
static void test_masked_gemm_relu_passes_nan(void **state)
{
    backend *be = *state;
    if (!be->ops->masked_gemm) {
        print_message("  %s has no masked_gemm (gemm + bias_act, tested above)\n", be->name);
        return;
    }
    int shapes[][3] = {{1, 1, 1}, {7, 16, 9}, {37, 45, 300}, {130, 100, 1030}, {64, 48, 64}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        for (int accumulate = 0; accumulate < 2; accumulate++) {
            float *a = malloc((size_t)m * k * sizeof *a), *bm = malloc((size_t)k * n * sizeof *bm);
            float *bias = malloc((size_t)n * sizeof *bias), *c = malloc((size_t)m * n * sizeof *c);
            unsigned char *want = calloc((size_t)m * n, 1);
            test_random_floats(a, (size_t)m * k, 1.0f, 21 + s);
            test_random_floats(bm, (size_t)k * n, 1.0f, 22 + s);
            test_random_floats(bias, (size_t)n, 1.0f, 23 + s);
            test_random_floats(c, (size_t)m * n, 1.0f, 24 + s);
            int rows[2] = {0, m - 1}, cols[2] = {n - 1, n / 2};
            a[(size_t)rows[0] * k] = NAN;            /* first inner index */
            a[(size_t)rows[1] * k + k - 1] = -NAN;   /* last inner index */
            bm[(size_t)(k / 2) * n + cols[0]] = NAN; /* through B */
            bias[cols[1]] = NAN;                     /* through the bias */
            for (int r = 0; r < m; r++)
                for (int j = 0; j < n; j++)
                    want[(size_t)r * n + j] = r == rows[0] || r == rows[1] || j == cols[0] || j == cols[1];
            bbuf *A = upload(be, a, (size_t)m * k), *B = upload(be, bm, (size_t)k * n), *bb = upload(be, bias, n);
            bbuf *C = upload(be, c, (size_t)m * n);
            gemm_segments seg = {.count = 1, .end = {n}, .lo = {0}, .hi = {k}};
            assert_int_equal(be->ops->masked_gemm(be, m, n, (bview){A, 0}, k, NULL, (bview){B, 0}, n, 0, &seg,
                                                  (bview){bb, 0}, 1, accumulate, (bview){C, 0}, n),
                             PCNN_OK);
            float *out = download(be, C, (size_t)m * n);
            char what[96];
            snprintf(what, sizeof what, "masked_gemm relu m=%d n=%d k=%d accumulate=%d", m, n, k, accumulate);
            expect_nan_pattern(what, out, want, (size_t)m * n);
            free(out);
            be->ops->release(be, A);
            be->ops->release(be, B);
            be->ops->release(be, bb);
            be->ops->release(be, C);
            free(a);
            free(bm);
            free(bias);
            free(c);
            free(want);
        }
    }
}

static pcnn_model *tiny_model(pcnn_device *dev, int colours)
{
    pcnn_config cfg = {.hidden_dim = 4, .out_dim = 4, .n_layers = 2, .channels = colours, .height = 6, .width = 5};
    pcnn_model *m;
    assert_int_equal(pcnn_model_create(dev, &cfg, &m), PCNN_OK);
    assert_int_equal(pcnn_model_init(m, 3), PCNN_OK);
    return m;
}

static void poison(pcnn_model *m, const char *tensor, size_t element, float value)
{
    int t = pcnn_model_tensor_find(m, tensor);
    assert_true(t >= 0);
    pcnn_tensor_info info;
    pcnn_model_tensor_info(m, t, &info);
    float *w = malloc(info.count * sizeof *w);
    assert_int_equal(pcnn_model_get_tensor(m, t, w), PCNN_OK);
    w[element] = value;
    assert_int_equal(pcnn_model_set_tensor(m, t, w), PCNN_OK);
    free(w);
}

/* One NaN weight in front of each ReLU of the network makes the loss NaN, in
 * evaluation and in training (before the fix, the ReLU turned it into 0 and
 * the loss stayed finite). Kernel element 0 is the first tap: always live. */
static void test_nan_weight_reaches_the_loss(void **state)
{
    static const char *const tensors[] = {"res.0.conv_in.bias",  "res.1.conv_mid.bias",   "res.0.conv_out.bias",
                                          "output_conv1.bias",   "res.0.conv_mid.kernel", "res.1.conv_in.kernel",
                                          "output_conv1.kernel", "input_conv.kernel"};
    for (int colours = 1; colours <= 3; colours += 2)
        for (size_t i = 0; i < sizeof tensors / sizeof *tensors; i++) {
            pcnn_model *m = tiny_model(*state, colours);
            /* input_conv element 0 reads the image: colour 0 of the first tap */
            poison(m, tensors[i], 0, NAN);
            enum { B = 2 };
            uint8_t images[B * 6 * 5 * 3];
            test_random_bytes(images, sizeof images, 5 + i);
            for (int grad = 0; grad < 2; grad++) {
                double sum;
                assert_int_equal(pcnn_model_loss(m, images, B, 6, 5, grad, &sum), PCNN_OK);
                if (!isnan(sum))
                    fail_msg("%d colours, NaN in %s, %s: loss %g, expected NaN", colours, tensors[i],
                             grad ? "training" : "evaluation", sum);
            }
            print_message("  %d colour(s), NaN in %-22s -> loss NaN (evaluation and training)\n", colours, tensors[i]);
            pcnn_model_free(m);
        }
}

/* The message of a non-finite parameter vector names the tensor and element. */
static void test_check_finite_names_the_tensor(void **state)
{
    pcnn_model *m = tiny_model(*state, 3);
    size_t n = pcnn_model_param_count(m);
    float *v = malloc(n * sizeof *v);
    assert_int_equal(pcnn_model_get_params(m, v), PCNN_OK);
    assert_int_equal(pcnn_model_check_finite(m, v, "the weights", "here"), PCNN_OK);
    size_t off = 0;
    for (int t = 0; t < pcnn_model_tensor_count(m); t++) {
        pcnn_tensor_info info;
        pcnn_model_tensor_info(m, t, &info);
        size_t e = info.count / 2;
        float saved = v[off + e];
        v[off + e] = t % 2 ? INFINITY : NAN;
        assert_int_equal(pcnn_model_check_finite(m, v, "the weights", "here"), PCNN_ERR_NUMERIC);
        char want[128];
        snprintf(want, sizeof want, "here: the weights of %s are not finite (element %zu is ", info.name, e);
        if (!strstr(pcnn_last_error(), want))
            fail_msg("expected '%s...', got '%s'", want, pcnn_last_error());
        v[off + e] = saved;
        off += info.count;
    }
    print_message("  e.g. %s\n", pcnn_last_error());
    free(v);
    pcnn_model_free(m);
}

/* The draw flags every image whose logits hold a NaN or an infinity and
 * leaves the others' flags alone. */
static void test_sample_draw_flags_nonfinite_logits(void **state)
{
    backend *be = *state;
    enum { N = 5 };
    float logits[N * 256], flags[N] = {0, 0, 0, 0, 0.5f};
    test_random_floats(logits, N * 256, 3.0f, 31);
    logits[1 * 256 + 255] = NAN;
    logits[3 * 256 + 0] = INFINITY;
    bbuf *z = upload(be, logits, N * 256), *f = upload(be, flags, N);
    bbuf *px = be->ops->alloc(be, N, "pixels");
    assert_non_null(px);
    assert_int_equal(be->ops->sample_draw(be, (bview){px, 0}, 1, (bview){NULL, 0}, 0, (bview){z, 0}, 256, N, 7, 0, 0, 0,
                                          0, 1.0f, (bview){f, 0}),
                     PCNN_OK);
    float *out = download(be, f, N);
    const float want[N] = {0, 1, 0, 1, 0.5f};
    assert_memory_equal(out, want, sizeof want);
    free(out);
    be->ops->release(be, z);
    be->ops->release(be, f);
    be->ops->release(be, px);
}

/* A model whose logits are not finite draws no images: both samplers fail
 * (before, they wrote all-black images and succeeded). NaN weights before a
 * ReLU, a NaN in the logits' bias, and huge finite weights that overflow. */
static void test_sample_refuses_nonfinite_logits(void **state)
{
    struct {
        const char *tensor, *also;
        float value;
    } cases[] = {{"res.0.conv_mid.bias", NULL, NAN},
                 {"final_conv.bias", NULL, NAN},
                 {"output_conv2.kernel", "final_conv.kernel", 1e30f}}; /* 1e30 * 1e30 overflows */
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
        for (int method = 0; method < 2; method++) {
            pcnn_model *m = tiny_model(*state, 1);
            /* one NaN; or whole tensors of huge weights */
            const char *names[2] = {cases[c].tensor, cases[c].also};
            for (int k = 0; k < 2 && names[k]; k++) {
                pcnn_tensor_info info;
                pcnn_model_tensor_info(m, pcnn_model_tensor_find(m, names[k]), &info);
                for (size_t e = 0; e < (cases[c].value > 1.0f ? info.count : 1); e++)
                    poison(m, names[k], e, cases[c].value);
            }
            pcnn_sample_opts o = pcnn_sample_defaults();
            o.n = 3;
            o.method = method ? PCNN_SAMPLE_NAIVE : PCNN_SAMPLE_FAST;
            uint8_t images[3 * 6 * 5];
            assert_int_equal(pcnn_sample(m, &o, images), PCNN_ERR_NUMERIC);
            assert_non_null(strstr(pcnn_last_error(), "not finite"));
            print_message("  %s, %s = %g: %s\n", method ? "naive" : "fast", cases[c].tensor, (double)cases[c].value,
                          pcnn_last_error());
            pcnn_model_free(m);
        }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relu_and_bias_act_pass_nan),
        cmocka_unit_test(test_masked_gemm_relu_passes_nan),
        cmocka_unit_test(test_nan_weight_reaches_the_loss),
        cmocka_unit_test(test_check_finite_names_the_tensor),
        cmocka_unit_test(test_sample_draw_flags_nonfinite_logits),
        cmocka_unit_test(test_sample_refuses_nonfinite_logits),
    };
    return TEST_MAIN_ON_DEVICES(argc, argv, "non-finite values", tests);
}
