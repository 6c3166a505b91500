/* Adam and RMSProp against an independent formula: tests/data/golden/optim/
 * (from ../shared/golden, see its README) holds, for each optimiser, weights
 * w0 [n], the gradient fed at each of 8 steps and the weights after each step,
 * computed in float64 with lr decay 0.9 per step (step t uses lr * 0.9^(t-1):
 * decaying before the step instead moves weights by ~1e-3). A float32 replay
 * stays within 2.1e-7 of them, so the tolerance is 1e-6 absolute on every
 * step; the learning rate after step t must be the README's lr_after_step_t.
 *
 * The optimiser runs on a model's flat parameters: the n golden weights sit
 * in final_conv.bias (biases are never masked) and every other gradient is 0,
 * so every other weight must stay exactly as it was. On device 0
 * (test_optim_golden) or every OpenCL device (test_optim_golden_cl). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "io/io_file.h"
#include "pcnn/optim.h"
#include "test_util.h"

/* The value of key= in the case's config.txt. */
static double config_value(const char *text, const char *key)
{
    char pattern[96];
    snprintf(pattern, sizeof pattern, "\n%s=", key);
    const char *at = strncmp(text, pattern + 1, strlen(pattern + 1)) == 0 ? text : strstr(text, pattern);
    if (!at)
        fail_msg("config.txt has no %s", key);
    at = strchr(at + (at == text ? 0 : 1), '=') + 1;
    return strtod(at, NULL);
}

static void run_case(pcnn_device *dev, const char *name, pcnn_optimizer kind)
{
    char rel[256];
    snprintf(rel, sizeof rel, "golden/optim/%s/config.txt", name);
    unsigned char *text;
    size_t size;
    assert_int_equal(read_whole_file(test_data_path(rel), &text, &size), PCNN_OK);
    pcnn_array w0, grads, w_after;
    snprintf(rel, sizeof rel, "golden/optim/%s/w0.npy", name);
    test_load_npy(rel, &w0);
    snprintf(rel, sizeof rel, "golden/optim/%s/grads.npy", name);
    test_load_npy(rel, &grads);
    snprintf(rel, sizeof rel, "golden/optim/%s/w_after.npy", name);
    test_load_npy(rel, &w_after);
    int steps = (int)config_value((char *)text, "steps");
    size_t n = (size_t)config_value((char *)text, "n");
    assert_int_equal(pcnn_array_count(&w0), n);
    assert_int_equal(pcnn_array_count(&grads), (size_t)steps * n);
    assert_int_equal(pcnn_array_count(&w_after), (size_t)steps * n);

    /* Three colours: final_conv.bias holds 768 >= n values. */
    pcnn_config cfg = {.hidden_dim = 1, .out_dim = 1, .n_layers = 0, .channels = 3, .height = 2, .width = 2};
    pcnn_model *m;
    assert_int_equal(pcnn_model_create(dev, &cfg, &m), PCNN_OK);
    assert_int_equal(pcnn_model_init(m, 5), PCNN_OK);
    int t = pcnn_model_tensor_find(m, "final_conv.bias");
    pcnn_tensor_info info;
    pcnn_model_tensor_info(m, t, &info);
    assert_true(info.count >= n);
    size_t off = 0; /* tensors lie in order in the flat vector */
    for (int k = 0; k < t; k++) {
        pcnn_tensor_info before;
        pcnn_model_tensor_info(m, k, &before);
        off += before.count;
    }
    size_t total = pcnn_model_param_count(m);
    float *bias = calloc(info.count, sizeof *bias), *g = calloc(total, sizeof *g);
    float *start = malloc(total * sizeof *start), *now = malloc(total * sizeof *now);
    memcpy(bias, w0.data, n * sizeof *bias);
    assert_int_equal(pcnn_model_set_tensor(m, t, bias), PCNN_OK);
    assert_int_equal(pcnn_model_get_params(m, start), PCNN_OK);

    pcnn_optim_state s = pcnn_optim_defaults(kind);
    s.lr = config_value((char *)text, "lr");
    s.lr_decay = config_value((char *)text, "lr_decay");
    s.beta1 = config_value((char *)text, "beta1");
    s.beta2 = config_value((char *)text, "beta2");
    s.rho = config_value((char *)text, "rho");
    s.eps = config_value((char *)text, "eps");
    pcnn_optim *o;
    assert_int_equal(pcnn_optim_create(m, &s, &o), PCNN_OK);
    print_message("%s on %s, %d steps of %zu weights (tolerance 1e-6 absolute):\n", name, dev->name, steps, n);
    for (int step = 1; step <= steps; step++) {
        memcpy(g + off, (const float *)grads.data + (size_t)(step - 1) * n, n * sizeof *g);
        assert_int_equal(pcnn_model_set_grads(m, g), PCNN_OK);
        assert_int_equal(pcnn_optim_step(o), PCNN_OK);
        assert_int_equal(pcnn_model_get_params(m, now), PCNN_OK);
        char what[64], key[32];
        snprintf(what, sizeof what, "step %d weights", step);
        assert_close(what, now + off, (const float *)w_after.data + (size_t)(step - 1) * n, n, 1e-6);
        /* The rest of the model got zero gradients: untouched, bit for bit. */
        assert_memory_equal(now, start, off * sizeof *now);
        assert_memory_equal(now + off + n, start + off + n, (total - off - n) * sizeof *now);
        snprintf(key, sizeof key, "lr_after_step_%d", step);
        double want_lr = config_value((char *)text, key), lr = pcnn_optim_get_state(o)->lr;
        if (!(fabs(lr - want_lr) <= 1e-12 * want_lr))
            fail_msg("after step %d the learning rate is %.17g, the golden %.17g", step, lr, want_lr);
        assert_int_equal(pcnn_optim_get_state(o)->step, step);
    }
    pcnn_optim_free(o);
    pcnn_model_free(m);
    free(bias);
    free(g);
    free(start);
    free(now);
    free(text);
    pcnn_array_free(&w0);
    pcnn_array_free(&grads);
    pcnn_array_free(&w_after);
}

static void test_adam(void **state) { run_case(*state, "adam", PCNN_OPT_ADAM); }
static void test_rmsprop(void **state) { run_case(*state, "rmsprop", PCNN_OPT_RMSPROP); }

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adam),
        cmocka_unit_test(test_rmsprop),
    };
    return TEST_MAIN_ON_DEVICES(argc, argv, "optimisers against golden steps", tests);
}
