/* Kernels that do not assume a CPU (issue 17 item 4): the OpenCL backend on
 * device 1 under limits a GPU driver enforces and a CPU one hardly does,
 * forced small through the device options (pcnn/device_types.h):
 *   - work-groups of at most 16 items (CL_DEVICE_MAX_WORK_GROUP_SIZE and
 *     CL_KERNEL_WORK_GROUP_SIZE): every launch takes at most 16, and the
 *     sampler (rebuilt for them) and a training step still give device 0's
 *     images and loss; also with the kernels shaped as for a GPU;
 *   - local memory below what the draw's CDF needs: the device opens, trains,
 *     and says it cannot sample instead of failing at launch;
 *   - one allocation at most 256 KiB (CL_DEVICE_MAX_MEM_ALLOC_SIZE): a
 *     workspace past it is refused naming the tensor, not crashed into;
 *   - no cl_khr_fp64: the sampler builds without double and draws device 0's
 *     images (the float CDF flips a draw only within float rounding).
 * Usage: test_cl_limits (device 1; exits 77, skipped, without an OpenCL device). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opencl/cl_backend.h"
#include "pcnn/model.h"
#include "pcnn/sample.h"
#include "test_util.h"

enum { DEVICE = 1, H = 6, W = 5, C = 3 };

static char logged[2048];

static void keep_log(void *ctx, const char *line)
{
    (void)ctx;
    size_t n = strlen(logged);
    snprintf(logged + n, sizeof logged - n, "%s\n", line);
}

static pcnn_device *open_forced(pcnn_device_opts o)
{
    logged[0] = 0;
    o.log = (pcnn_log){keep_log, NULL};
    pcnn_device *dev;
    if (pcnn_device_open_index(DEVICE, &o, &dev))
        fail_msg("device %d with forced limits: %s", DEVICE, pcnn_last_error());
    return dev;
}

static pcnn_model *model_on(pcnn_device *dev)
{
    pcnn_config cfg = {.hidden_dim = 11, .out_dim = 10, .n_layers = 2, .channels = C, .height = H, .width = W};
    pcnn_model *m;
    assert_int_equal(pcnn_model_create(dev, &cfg, &m), PCNN_OK);
    assert_int_equal(pcnn_model_init(m, 41), PCNN_OK);
    return m;
}

/* Device 0's images for seed 77 (test_sample.c's seed: no draw flips there). */
static void reference_images(uint8_t *img, int n, double *loss)
{
    pcnn_device *cpu;
    assert_int_equal(test_device_open(0, &cpu), PCNN_OK);
    pcnn_model *m = model_on(cpu);
    pcnn_sample_opts o = pcnn_sample_defaults();
    o.n = n;
    o.seed = 77;
    assert_int_equal(pcnn_sample(m, &o, img), PCNN_OK);
    uint8_t batch[2 * H * W * C];
    test_random_bytes(batch, sizeof batch, 5);
    assert_int_equal(pcnn_model_loss(m, batch, 2, H, W, 1, loss), PCNN_OK);
    pcnn_model_free(m);
    pcnn_device_close(cpu);
}

/* Samples n images (fast, then naive) and a loss with gradients on dev and
 * compares them with device 0's. */
static void same_as_device_0(pcnn_device *dev, const char *what)
{
    enum { N = 5 };
    uint8_t want[N * H * W * C], got[sizeof want];
    double want_loss, loss;
    reference_images(want, N, &want_loss);
    pcnn_model *m = model_on(dev);
    pcnn_sample_opts o = pcnn_sample_defaults();
    o.n = N;
    o.seed = 77;
    for (int method = 0; method < 2; method++) {
        o.method = method ? PCNN_SAMPLE_NAIVE : PCNN_SAMPLE_FAST;
        assert_int_equal(pcnn_sample(m, &o, got), PCNN_OK);
        size_t differ = 0;
        for (size_t i = 0; i < sizeof got; i++)
            differ += want[i] != got[i];
        print_message("  %s, %s: %zu of %zu sub-pixels differ from device 0\n", what, method ? "naive" : "fast", differ,
                      sizeof got);
        assert_int_equal(differ, 0);
    }
    uint8_t batch[2 * H * W * C];
    test_random_bytes(batch, sizeof batch, 5);
    assert_int_equal(pcnn_model_loss(m, batch, 2, H, W, 1, &loss), PCNN_OK);
    print_message("  %s: loss %.9f, device 0 %.9f\n", what, loss, want_loss);
    /* float32 sums in other orders: ~1e-7 relative */
    assert_true(loss > want_loss - 1e-5 && loss < want_loss + 1e-5);
    pcnn_model_free(m);
}

static void test_work_groups_of_16(void **state)
{
    (void)state;
    for (int gpu = 0; gpu < 2; gpu++) {
        pcnn_device_opts o = test_device_opts();
        o.force_max_work_group = 16;
        o.force_gpu_layout = gpu;
        pcnn_device *dev = open_forced(o);
        size_t local, local_mem, max_wg, dev_local;
        backend_cl_kernel_limits(dev, &local, &local_mem);
        backend_cl_limits(dev, &max_wg, &dev_local);
        print_message("  work-groups forced to 16%s: largest launch %zu items, device limit %zu\n",
                      gpu ? " (kernels shaped as for a GPU)" : "", local, max_wg);
        assert_int_equal(max_wg, 16);
        assert_true(local >= 1 && local <= 16);
        same_as_device_0(dev, gpu ? "16-item work-groups, GPU shapes" : "16-item work-groups");
        pcnn_device_close(dev);
    }
}

static void test_local_memory_too_small_to_sample(void **state)
{
    (void)state;
    pcnn_device_opts o = test_device_opts();
    pcnn_device *dev = open_forced(o);
    size_t local, need;
    backend_cl_kernel_limits(dev, &local, &need);
    pcnn_device_close(dev);
    print_message("  the sampler's kernels take %zu bytes of local memory\n", need);
    if (need < 64) {
        print_message("  the driver reports no local memory use: nothing to force\n");
        skip();
    }
    o.force_local_mem = need - 1;
    dev = open_forced(o);
    print_message("  local memory forced to %zu bytes: %s", need - 1, logged);
    assert_non_null(strstr(logged, "no sampling on this device"));
    pcnn_model *m = model_on(dev);
    uint8_t img[H * W * C];
    pcnn_sample_opts so = pcnn_sample_defaults();
    so.n = 1;
    assert_int_not_equal(pcnn_sample(m, &so, img), PCNN_OK);
    print_message("  sampling: %s\n", pcnn_last_error());
    double loss;
    uint8_t batch[2 * H * W * C];
    test_random_bytes(batch, sizeof batch, 5);
    assert_int_equal(pcnn_model_loss(m, batch, 2, H, W, 1, &loss), PCNN_OK); /* training still runs */
    pcnn_model_free(m);
    pcnn_device_close(dev);
    o.force_local_mem = need; /* exactly enough */
    dev = open_forced(o);
    same_as_device_0(dev, "local memory just enough");
    pcnn_device_close(dev);
}

static void test_allocation_limit(void **state)
{
    (void)state;
    pcnn_device_opts o = test_device_opts();
    o.force_max_alloc = 256 << 10;
    pcnn_device *dev = open_forced(o);
    pcnn_model *m = model_on(dev); /* its parameters fit */
    enum { B = 64 };
    uint8_t *batch = malloc((size_t)B * H * W * C);
    test_random_bytes(batch, (size_t)B * H * W * C, 3);
    double loss;
    /* B*H*W*256*C logits = 2.9 MiB: past one allocation */
    assert_int_equal(pcnn_model_loss(m, batch, B, H, W, 1, &loss), PCNN_ERR_MEMORY);
    print_message("  one allocation forced to 256 KiB: %s\n", pcnn_last_error());
    assert_non_null(strstr(pcnn_last_error(), "more than one allocation may take"));
    free(batch);
    pcnn_model_free(m);
    pcnn_device_close(dev);
}

static void test_no_fp64(void **state)
{
    (void)state;
    pcnn_device_opts o = test_device_opts();
    o.force_no_fp64 = 1;
    pcnn_device *dev = open_forced(o);
    same_as_device_0(dev, "no cl_khr_fp64");
    pcnn_device_close(dev);
}

int main(void)
{
    const char *why = NULL;
    if (pcnn_device_count(&why) < 2) {
        printf("test_cl_limits: no OpenCL device (%s): skipped\n", why ? why : "none found");
        return TEST_SKIPPED;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_work_groups_of_16),
        cmocka_unit_test(test_local_memory_too_small_to_sample),
        cmocka_unit_test(test_allocation_limit),
        cmocka_unit_test(test_no_fp64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
