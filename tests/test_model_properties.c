/* Properties of the model that need no reference values: the gradient equals
 * finite differences of the loss, the network is autoregressive (no logit sees
 * its own or a later sub-pixel), initialisation is seeded and masked, and the
 * loss is the same whichever path the forward pass takes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "pcnn/mask.h"
#include "pcnn/model.h"
#include "test_util.h"

static pcnn_model *random_model(pcnn_device *dev, int colours, uint64_t seed)
{
    pcnn_config cfg = {.hidden_dim = 4, .out_dim = 4, .n_layers = 2, .channels = colours, .height = 6, .width = 5};
    pcnn_model *m;
    assert_int_equal(pcnn_model_create(dev, &cfg, &m), PCNN_OK);
    assert_int_equal(pcnn_model_init(m, seed), PCNN_OK);
    return m;
}

static double mean_loss(pcnn_model *m, const uint8_t *img, int B, int grad)
{
    const pcnn_config *c = pcnn_model_config(m);
    double sum;
    assert_int_equal(pcnn_model_loss(m, img, B, c->height, c->width, grad, &sum), PCNN_OK);
    return sum / ((double)B * c->height * c->width * c->channels);
}

/* For each tensor, the derivative of the loss along that tensor's analytic
 * gradient g (direction d = g/|g|, so the numeric value should be |g|; a wrong
 * gradient of any other direction or size disagrees) by central differences.
 * Float32 losses carry rounding noise (~1e-7) and ReLU kinks bend the curve at
 * random places, so each tensor takes the best of four step sizes: noise hurts
 * the small one, a kink at most one of the others, while a wrong gradient
 * fails them all. Tolerance 2%. */
static void test_gradient_matches_finite_differences(void **state)
{
    static const double steps[] = {3e-3, 1e-3, 3e-4, 1e-4};
    for (int colours = 1; colours <= 3; colours += 2) {
        pcnn_model *m = random_model(*state, colours, 7);
        const pcnn_config *c = pcnn_model_config(m);
        int B = 4;
        size_t n_img = (size_t)B * c->height * c->width * c->channels, np = pcnn_model_param_count(m);
        uint8_t *img = malloc(n_img);
        test_random_bytes(img, n_img, 11);
        float *w0 = malloc(np * sizeof(float)), *w = malloc(np * sizeof(float)), *g = malloc(np * sizeof(float));
        assert_int_equal(pcnn_model_get_params(m, w0), PCNN_OK);
        mean_loss(m, img, B, 1);
        size_t off = 0;
        double worst_err = 0;
        for (int t = 0; t < pcnn_model_tensor_count(m); t++) {
            pcnn_tensor_info info;
            pcnn_model_tensor_info(m, t, &info);
            assert_int_equal(pcnn_model_get_grad(m, t, g + off), PCNN_OK);
            double norm = 0;
            for (size_t i = 0; i < info.count; i++)
                norm += (double)g[off + i] * g[off + i];
            norm = sqrt(norm);
            assert_true(norm > 0); /* every tensor must matter, or this checks nothing */
            double best = INFINITY, best_numeric = 0;
            for (size_t k = 0; k < sizeof steps / sizeof *steps; k++) {
                double loss[2];
                for (int s = 0; s < 2; s++) {
                    memcpy(w, w0, np * sizeof(float));
                    for (size_t i = 0; i < info.count; i++)
                        w[off + i] += (float)((s ? -steps[k] : steps[k]) * g[off + i] / norm);
                    assert_int_equal(pcnn_model_set_params(m, w), PCNN_OK);
                    loss[s] = mean_loss(m, img, B, 0);
                }
                double numeric = (loss[0] - loss[1]) / (2 * steps[k]), err = fabs(numeric - norm) / norm;
                if (err < best) {
                    best = err;
                    best_numeric = numeric;
                }
            }
            print_message("  C=%d %-26s |g| %.6e numeric %.6e rel err %.2e\n", colours, info.name, norm,
                          best_numeric, best);
            worst_err = fmax(worst_err, best);
            off += info.count;
        }
        print_message("  C=%d worst relative error %.3g (tolerance 0.02)\n", colours, worst_err);
        assert_true(worst_err < 0.02);
        free(w0);
        free(w);
        free(g);
        free(img);
        pcnn_model_free(m);
    }
}

/* Changing sub-pixel (y, x, c) must leave every logit of earlier positions, and
 * of colours <= c at the same position, bit-for-bit unchanged; it must change
 * some later logit (so the test can see a leak if there is one). */
static void test_autoregressive(void **state)
{
    for (int colours = 1; colours <= 3; colours += 2) {
        pcnn_model *m = random_model(*state, colours, 3);
        const pcnn_config *c = pcnn_model_config(m);
        int H = c->height, W = c->width, C = c->channels;
        size_t n_img = (size_t)H * W * C, n_logits = n_img * 256;
        uint8_t *img = malloc(n_img);
        float *base = malloc(n_logits * sizeof(float)), *changed = malloc(n_logits * sizeof(float));
        test_random_bytes(img, n_img, 5);
        mean_loss(m, img, 1, 0);
        assert_int_equal(pcnn_model_get_logits(m, base), PCNN_OK);
        int checked = 0;
        for (size_t sub = 0; sub < n_img; sub++) {
            img[sub] ^= 0x80;
            mean_loss(m, img, 1, 0);
            img[sub] ^= 0x80;
            assert_int_equal(pcnn_model_get_logits(m, changed), PCNN_OK);
            size_t first_diff = n_logits;
            for (size_t i = 0; i < n_logits && first_diff == n_logits; i++)
                if (base[i] != changed[i])
                    first_diff = i;
            /* Logit i belongs to sub-pixel i / 256 (position-major, then colour). */
            if (first_diff / 256 <= sub)
                fail_msg("C=%d: changing sub-pixel %zu changed the logits of sub-pixel %zu", C, sub,
                         first_diff / 256);
            if (sub + 1 < n_img)
                assert_true(first_diff < n_logits); /* some later sub-pixel must see it */
            checked++;
        }
        print_message("  C=%d: %d sub-pixels changed, none leaked backwards\n", C, checked);
        free(img);
        free(base);
        free(changed);
        pcnn_model_free(m);
    }
}

static void test_init_is_seeded_and_masked(void **state)
{
    pcnn_model *a = random_model(*state, 3, 42), *b = random_model(*state, 3, 42), *c = random_model(*state, 3, 43);
    size_t np = pcnn_model_param_count(a);
    float *wa = malloc(np * sizeof(float)), *wb = malloc(np * sizeof(float)), *wc = malloc(np * sizeof(float));
    assert_int_equal(pcnn_model_get_params(a, wa), PCNN_OK);
    assert_int_equal(pcnn_model_get_params(b, wb), PCNN_OK);
    assert_int_equal(pcnn_model_get_params(c, wc), PCNN_OK);
    assert_memory_equal(wa, wb, np * sizeof(float));
    assert_memory_not_equal(wa, wc, np * sizeof(float));
    /* Every masked entry of every kernel is zero, every live one is not. */
    size_t off = 0;
    for (int t = 0; t < pcnn_model_tensor_count(a); t++) {
        pcnn_tensor_info info;
        pcnn_model_tensor_info(a, t, &info);
        if (info.ndim == 4) {
            float *mask = malloc(info.count * sizeof *mask);
            assert_int_equal(pcnn_mask_fill(mask, (int)info.shape[0], (int)info.shape[1], (int)info.shape[2],
                                            (int)info.shape[3], 3, t == 0 ? PCNN_MASK_A : PCNN_MASK_B),
                             PCNN_OK);
            for (size_t i = 0; i < info.count; i++)
                assert_true((wa[off + i] != 0.0f) == (mask[i] != 0.0f));
            free(mask);
        }
        off += info.count;
    }
    free(wa);
    free(wb);
    free(wc);
    pcnn_model_free(a);
    pcnn_model_free(b);
    pcnn_model_free(c);
}

/* The loss does not depend on the path the forward pass takes: with or
 * without gradients (eval fuses each block's residual add and the loss into
 * its GEMMs), in a fresh eval workspace or in a training one. Bit for bit. */
static void test_loss_is_the_same_on_every_path(void **state)
{
    for (int colours = 1; colours <= 3; colours += 2) {
        pcnn_model *fresh = random_model(*state, colours, 5), *trained = random_model(*state, colours, 5);
        const pcnn_config *c = pcnn_model_config(fresh);
        int B = 3;
        size_t n = (size_t)B * c->height * c->width * c->channels;
        uint8_t *img = malloc(n);
        test_random_bytes(img, n, 9);
        double eval_fresh = mean_loss(fresh, img, B, 0);
        double with_grad = mean_loss(trained, img, B, 1);
        double eval_after = mean_loss(trained, img, B, 0);
        print_message("  %d colour(s): eval %.9f, with gradients %.9f, eval in a training workspace %.9f\n",
                      colours, eval_fresh, with_grad, eval_after);
        assert_true(eval_fresh == with_grad);
        assert_true(eval_fresh == eval_after);
        free(img);
        pcnn_model_free(fresh);
        pcnn_model_free(trained);
    }
}

/* The CPU reads a k x k layer's im2col from its input and computes the input
 * gradient as one transposed product when a tap brings 16+ channels (hidden 6
 * x 3 colours here); with `gathers` off it builds the im2col matrix and its
 * gradient instead. Both give the same loss and gradients. */
static void test_gathered_convolutions_match_im2col(void **state)
{
    backend *be = *state;
    pcnn_config cfg = {.hidden_dim = 6, .out_dim = 4, .n_layers = 2, .channels = 3, .height = 7, .width = 6};
    int B = 2;
    size_t n = (size_t)B * cfg.height * cfg.width * cfg.channels;
    uint8_t *img = malloc(n);
    test_random_bytes(img, n, 13);
    double loss[2];
    float *grads[2] = {NULL, NULL};
    for (int gathers = 1; gathers >= 0; gathers--) {
        be->gathers = gathers;
        pcnn_model *m;
        assert_int_equal(pcnn_model_create(be, &cfg, &m), PCNN_OK);
        assert_int_equal(pcnn_model_init(m, 21), PCNN_OK);
        loss[gathers] = mean_loss(m, img, B, 1);
        grads[gathers] = malloc(pcnn_model_param_count(m) * sizeof(float));
        assert_int_equal(pcnn_model_get_grads(m, grads[gathers]), PCNN_OK);
        if (gathers == 0) {
            size_t np = pcnn_model_param_count(m);
            print_message("  loss gathered %.9f, im2col %.9f\n", loss[1], loss[0]);
            assert_true(fabs(loss[1] - loss[0]) <= 1e-6 * fabs(loss[0]));
            assert_close("gradients, gathered vs im2col", grads[1], grads[0], np, 1e-5 * max_abs(grads[0], np));
        }
        pcnn_model_free(m);
    }
    be->gathers = 1;
    free(grads[0]);
    free(grads[1]);
    free(img);
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
        cmocka_unit_test(test_gradient_matches_finite_differences),
        cmocka_unit_test(test_autoregressive),
        cmocka_unit_test(test_init_is_seeded_and_masked),
        cmocka_unit_test(test_loss_is_the_same_on_every_path),
        cmocka_unit_test(test_gathered_convolutions_match_im2col),
    };
    return cmocka_run_group_tests_name("model properties, device 0 (CPU)", tests, setup_cpu, teardown);
}
