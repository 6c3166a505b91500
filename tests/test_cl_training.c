/* A whole training step on each OpenCL device against the CPU backend: for
 * each golden model case, two steps of forward, backward and Adam from the
 * same weights and images, comparing the loss, every gradient, both Adam
 * moments and the weights after each step.
 * Tolerances: loss relative 1e-6; gradients 1e-4 of the largest |gradient|
 * (the GEMMs sum in another order; the golden test allows 1e-3); moments
 * absolute 1e-6; weights absolute 1e-5: Adam moves a weight by about
 * lr = 1e-3 whatever the gradient's size, so a near-zero gradient whose last
 * bits differ moves it by a visibly different amount; 1e-5 is 1% of a step. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "model_cases.h"
#include "pcnn/optim.h"

static void compare_state(const char *what, pcnn_model *cpu, pcnn_model *cl, pcnn_optim *ocpu, pcnn_optim *ocl)
{
    size_t n = pcnn_model_param_count(cpu);
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    char label[128];
    assert_int_equal(pcnn_model_get_grads(cpu, a), PCNN_OK);
    assert_int_equal(pcnn_model_get_grads(cl, b), PCNN_OK);
    snprintf(label, sizeof label, "%s: gradients", what);
    assert_close(label, b, a, n, 1e-4 * max_abs(a, n));
    for (int k = 0; ocpu && k < pcnn_optim_moment_count(ocpu); k++) {
        assert_int_equal(pcnn_optim_get_moment(ocpu, k, a), PCNN_OK);
        assert_int_equal(pcnn_optim_get_moment(ocl, k, b), PCNN_OK);
        snprintf(label, sizeof label, "%s: Adam moment %d", what, k);
        assert_close(label, b, a, n, 1e-6);
    }
    assert_int_equal(pcnn_model_get_params(cpu, a), PCNN_OK);
    assert_int_equal(pcnn_model_get_params(cl, b), PCNN_OK);
    snprintf(label, sizeof label, "%s: weights", what);
    assert_close(label, b, a, n, 1e-5);
    free(a);
    free(b);
}

static void test_training_step_matches_cpu(void **state)
{
    (void)state;
    int n = pcnn_device_count(NULL);
    if (n < 2)
        skip();
    for (int dev = 1; dev < n; dev++)
        for (size_t c = 0; c < sizeof model_cases / sizeof *model_cases; c++) {
            pcnn_device *cpu_dev, *cl_dev;
            assert_int_equal(test_device_open(0, &cpu_dev), PCNN_OK);
            if (test_device_open(dev, &cl_dev) != PCNN_OK)
                fail_msg("device %d: %s", dev, pcnn_last_error());
            print_message("%s on %s\n", model_cases[c], pcnn_device_name(cl_dev));
            pcnn_array images, again;
            pcnn_model *cpu = load_model_case(cpu_dev, model_cases[c], &images);
            pcnn_model *cl = load_model_case(cl_dev, model_cases[c], &again);
            pcnn_array_free(&again);
            pcnn_optim_state s = pcnn_optim_defaults(PCNN_OPT_ADAM);
            pcnn_optim *ocpu, *ocl;
            assert_int_equal(pcnn_optim_create(cpu, &s, &ocpu), PCNN_OK);
            assert_int_equal(pcnn_optim_create(cl, &s, &ocl), PCNN_OK);
            int B = (int)images.shape[0], H = (int)images.shape[1], W = (int)images.shape[2];
            for (int step = 1; step <= 2; step++) {
                double lcpu, lcl;
                assert_int_equal(pcnn_model_loss(cpu, images.data, B, H, W, 1, &lcpu), PCNN_OK);
                assert_int_equal(pcnn_model_loss(cl, images.data, B, H, W, 1, &lcl), PCNN_OK);
                double rel = fabs(lcl - lcpu) / fabs(lcpu);
                print_message("  step %d: loss CPU %.9g OpenCL %.9g relative difference %.3g (tolerance 1e-6)\n", step,
                              lcpu, lcl, rel);
                assert_true(rel <= 1e-6);
                assert_int_equal(pcnn_optim_step(ocpu), PCNN_OK);
                assert_int_equal(pcnn_optim_step(ocl), PCNN_OK);
                char what[64];
                snprintf(what, sizeof what, "step %d", step);
                compare_state(what, cpu, cl, ocpu, ocl);
            }
            pcnn_optim_free(ocpu);
            pcnn_optim_free(ocl);
            pcnn_model_free(cpu);
            pcnn_model_free(cl);
            pcnn_array_free(&images);
            pcnn_device_close(cl_dev);
            pcnn_device_close(cpu_dev);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_training_step_matches_cpu)};
    int failed = cmocka_run_group_tests_name("training step, OpenCL vs CPU", tests, NULL, NULL);
    /* 77: ctest reports the test as skipped (SKIP_RETURN_CODE) when there is no OpenCL device. */
    return failed ? failed : pcnn_device_count(NULL) > 1 ? 0 : 77;
}
