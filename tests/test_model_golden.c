/* The whole model against every golden model case: logits, loss, every
 * gradient, and the weights after 3 Adam steps, with the tolerances the
 * golden README gives for a float32 implementation, on device 0
 * (test_model_golden) or on every OpenCL device (test_model_golden_cl:
 * `test_model_golden opencl`, skipped without one). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_file.h"
#include "model_cases.h"
#include "pcnn/mask.h"
#include "pcnn/optim.h"

static double golden_loss(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "golden/model/%s/loss.txt", name);
    unsigned char *text;
    size_t size;
    assert_int_equal(read_whole_file(test_data_path(rel), &text, &size), PCNN_OK);
    double loss = 0;
    assert_true(sscanf(strstr((char *)text, "loss_nats="), "loss_nats=%lf", &loss) == 1);
    free(text);
    return loss;
}

static void test_logits_and_loss(void **state)
{
    for (size_t c = 0; c < sizeof model_cases / sizeof *model_cases; c++) {
        pcnn_array images, logits;
        pcnn_model *m = load_model_case(*state, model_cases[c], &images);
        char rel[256];
        snprintf(rel, sizeof rel, "golden/model/%s/logits.npy", model_cases[c]);
        test_load_npy(rel, &logits);
        double sum;
        int B = (int)images.shape[0], H = (int)images.shape[1], W = (int)images.shape[2];
        assert_int_equal(pcnn_model_loss(m, images.data, B, H, W, 0, &sum), PCNN_OK);
        double loss = sum / (double)pcnn_array_count(&images), want = golden_loss(model_cases[c]);
        double rel_err = fabs(loss - want) / want;
        print_message("%s: loss %.9f nats, golden %.9f, relative error %.3g (tolerance 1e-5)\n", model_cases[c],
                      loss, want, rel_err);
        assert_true(rel_err <= 1e-5);
        size_t n = pcnn_array_count(&logits);
        float *got = malloc(n * sizeof *got);
        assert_int_equal(pcnn_model_get_logits(m, got), PCNN_OK);
        assert_close("logits", got, logits.data, n, 1e-4 * max_abs(logits.data, n));
        free(got);
        pcnn_array_free(&logits);
        pcnn_array_free(&images);
        pcnn_model_free(m);
    }
}

static void test_every_gradient(void **state)
{
    for (size_t c = 0; c < sizeof model_cases / sizeof *model_cases; c++) {
        pcnn_array images;
        pcnn_model *m = load_model_case(*state, model_cases[c], &images);
        double sum;
        assert_int_equal(pcnn_model_loss(m, images.data, (int)images.shape[0], (int)images.shape[1],
                                         (int)images.shape[2], 1, &sum),
                         PCNN_OK);
        print_message("%s gradients (tolerance 1e-3 of each tensor's max |g|):\n", model_cases[c]);
        for (int t = 0; t < pcnn_model_tensor_count(m); t++) {
            pcnn_tensor_info info;
            pcnn_model_tensor_info(m, t, &info);
            char rel[256];
            snprintf(rel, sizeof rel, "golden/model/%s/grad/%s.npy", model_cases[c], info.name);
            pcnn_array want;
            test_load_npy(rel, &want);
            assert_int_equal(pcnn_array_count(&want), info.count);
            float *got = malloc(info.count * sizeof *got);
            assert_int_equal(pcnn_model_get_grad(m, t, got), PCNN_OK);
            assert_close(info.name, got, want.data, info.count, 1e-3 * max_abs(want.data, info.count));
            free(got);
            pcnn_array_free(&want);
        }
        pcnn_array_free(&images);
        pcnn_model_free(m);
    }
}

static void test_three_adam_steps(void **state)
{
    for (size_t c = 0; c < sizeof model_cases / sizeof *model_cases; c++) {
        pcnn_array images;
        pcnn_model *m = load_model_case(*state, model_cases[c], &images);
        pcnn_optim_state s = pcnn_optim_defaults(PCNN_OPT_ADAM);
        pcnn_optim *opt;
        assert_int_equal(pcnn_optim_create(m, &s, &opt), PCNN_OK);
        for (int step = 0; step < 3; step++) {
            double sum;
            assert_int_equal(pcnn_model_loss(m, images.data, (int)images.shape[0], (int)images.shape[1],
                                             (int)images.shape[2], 1, &sum),
                             PCNN_OK);
            assert_int_equal(pcnn_optim_step(opt), PCNN_OK);
        }
        assert_int_equal(pcnn_optim_get_state(opt)->step, 3);
        print_message("%s after 3 Adam steps (all within 5e-4, 99.9%% within 1e-5):\n", model_cases[c]);
        int checked = 0;
        size_t loose = 0, total = 0;
        for (int t = 0; t < pcnn_model_tensor_count(m); t++) {
            pcnn_tensor_info info;
            pcnn_model_tensor_info(m, t, &info);
            char rel[256];
            snprintf(rel, sizeof rel, "golden/model/%s/after_adam/%s.npy", model_cases[c], info.name);
            pcnn_array want;
            test_load_npy(rel, &want);
            float *got = malloc(info.count * sizeof *got), *mask = malloc(info.count * sizeof *mask);
            assert_int_equal(pcnn_model_get_tensor(m, t, got), PCNN_OK);
            /* Masked entries of the raw golden weights keep their random values
             * (zero gradient); ours are zero. Compare kernel * mask. */
            float *w = want.data;
            if (info.ndim == 4) {
                int colours = pcnn_model_config(m)->channels;
                pcnn_mask_mode mode = t == 0 ? PCNN_MASK_A : PCNN_MASK_B;
                assert_int_equal(pcnn_mask_fill(mask, (int)info.shape[0], (int)info.shape[1], (int)info.shape[2],
                                                (int)info.shape[3], colours, mode),
                                 PCNN_OK);
                for (size_t i = 0; i < info.count; i++)
                    w[i] *= mask[i];
            }
            for (size_t i = 0; i < info.count; i++)
                loose += fabsf(got[i] - w[i]) > 1e-5f;
            total += info.count;
            assert_close(info.name, got, w, info.count, 5e-4);
            free(got);
            free(mask);
            pcnn_array_free(&want);
            checked++;
        }
        assert_int_equal(checked, pcnn_model_tensor_count(m));
        print_message("  %zu of %zu weights beyond 1e-5\n", loose, total);
        assert_true((double)loose <= 1e-3 * (double)total);
        pcnn_optim_free(opt);
        pcnn_array_free(&images);
        pcnn_model_free(m);
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logits_and_loss),
        cmocka_unit_test(test_every_gradient),
        cmocka_unit_test(test_three_adam_steps),
    };
    return TEST_MAIN_ON_DEVICES(argc, argv, "model golden", tests);
}
