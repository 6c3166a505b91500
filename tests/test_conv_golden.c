/* One masked convolution, forward and backward, against every golden conv case
 * (tolerance: 1e-4 of each tensor's largest magnitude, as the golden README
 * measured for float32), on device 0 and on every OpenCL device. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "io/io_file.h"
#include "model/model_conv.h"
#include "pcnn/device.h"
#include "pcnn/mask.h"
#include "test_util.h"

typedef struct {
    int k, fin, fout, colours, relu;
    char mode;
} conv_case;

static conv_case read_case(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "golden/conv/%s/config.txt", name);
    unsigned char *text;
    size_t size;
    assert_int_equal(read_whole_file(test_data_path(rel), &text, &size), PCNN_OK);
    conv_case c = {0};
    int kw = 0;
    char act[16] = "";
    const char *s = (const char *)text;
    assert_true(sscanf(strstr(s, "kernel="), "kernel=%dx%d", &c.k, &kw) == 2);
    assert_true(sscanf(strstr(s, "fin="), "fin=%d", &c.fin) == 1);
    assert_true(sscanf(strstr(s, "fout="), "fout=%d", &c.fout) == 1);
    assert_true(sscanf(strstr(s, "mode="), "mode=%c", &c.mode) == 1);
    assert_true(sscanf(strstr(s, "channels="), "channels=%d", &c.colours) == 1);
    assert_true(sscanf(strstr(s, "act="), "act=%15s", act) == 1);
    assert_int_equal(c.k, kw);
    c.relu = strcmp(act, "relu") == 0;
    free(text);
    return c;
}

static void load(const char *name, const char *tensor, pcnn_array *a)
{
    char rel[256];
    snprintf(rel, sizeof rel, "golden/conv/%s/%s.npy", name, tensor);
    test_load_npy(rel, a);
}

static bbuf *upload(backend *be, const void *data, size_t bytes)
{
    bbuf *b = be->ops->alloc(be, bytes, "test tensor");
    assert_non_null(b);
    if (data)
        assert_int_equal(be->ops->write(be, b, 0, data, bytes), PCNN_OK);
    return b;
}

static void check(backend *be, bbuf *b, size_t off, const pcnn_array *want, const char *what)
{
    size_t n = pcnn_array_count(want);
    float *got = malloc(n * sizeof *got);
    assert_int_equal(be->ops->read(be, b, off * sizeof(float), got, n * sizeof(float)), PCNN_OK);
    double tol = 1e-4 * max_abs(want->data, n);
    assert_close(what, got, want->data, n, tol);
    free(got);
}

static void run_case(backend *be, const char *name)
{
    if (!be)
        skip(); /* no OpenCL device here */
    print_message("case %s on %s\n", name, be->name);
    conv_case c = read_case(name);
    pcnn_array x, kernel, bias, y, dy, dx, dkernel, dbias;
    load(name, "x", &x);
    load(name, "kernel", &kernel);
    load(name, "bias", &bias);
    load(name, "y", &y);
    load(name, "dy", &dy);
    load(name, "dx", &dx);
    load(name, "dkernel", &dkernel);
    load(name, "dbias", &dbias);
    int B = (int)x.shape[0], H = (int)x.shape[1], W = (int)x.shape[2];
    size_t rows = (size_t)B * H * W, nk = pcnn_array_count(&kernel);

    conv_layer l;
    conv_layer_init(&l, name, c.k, c.fin, c.fout, c.colours, (pcnn_mask_mode)c.mode, c.relu);
    l.w_off = 0;
    l.b_off = nk;
    /* Parameters: kernel * mask, then bias (the model masks raw weights on the way in). */
    float *params = malloc((nk + (size_t)c.fout) * sizeof(float));
    assert_int_equal(pcnn_mask_fill(params, c.k, c.k, c.fin, c.fout, c.colours, (pcnn_mask_mode)c.mode), PCNN_OK);
    for (size_t i = 0; i < nk; i++)
        params[i] *= ((float *)kernel.data)[i];
    memcpy(params + nk, bias.data, (size_t)c.fout * sizeof(float));

    size_t np = nk + (size_t)c.fout, colw = conv_col_width(&l) ? conv_col_width(&l) : 1;
    bbuf *p = upload(be, params, np * sizeof(float));
    bbuf *g = upload(be, NULL, np * sizeof(float));
    assert_int_equal(be->ops->fill(be, (bview){g, 0}, np, 0.0f), PCNN_OK);
    bbuf *bx = upload(be, x.data, pcnn_array_bytes(&x));
    bbuf *by = upload(be, NULL, rows * c.fout * sizeof(float));
    bbuf *bdy = upload(be, dy.data, pcnn_array_bytes(&dy));
    bbuf *bdx = upload(be, NULL, pcnn_array_bytes(&dx));
    bbuf *col = upload(be, NULL, rows * colw * sizeof(float));
    bbuf *dcol = upload(be, NULL, rows * colw * sizeof(float));

    assert_int_equal(conv_forward(be, &l, (bview){p, 0}, (bview){by, 0}, (bview){bx, 0}, (bview){col, 0}, B, H, W),
                     PCNN_OK);
    check(be, by, 0, &y, "y");
    assert_int_equal(conv_backward(be, &l, (bview){p, 0}, (bview){g, 0}, (bview){bdx, 0}, 0, (bview){bdy, 0},
                                   (bview){by, 0}, (bview){bx, 0}, (bview){col, 0}, (bview){dcol, 0}, B, H, W),
                     PCNN_OK);
    check(be, bdx, 0, &dx, "dx");
    check(be, g, 0, &dkernel, "dkernel");
    check(be, g, nk, &dbias, "dbias");

    bbuf *bufs[] = {p, g, bx, by, bdy, bdx, col, dcol};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        be->ops->release(be, bufs[i]);
    pcnn_array *arrays[] = {&x, &kernel, &bias, &y, &dy, &dx, &dkernel, &dbias};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        pcnn_array_free(arrays[i]);
    free(params);
}

static void test_conv_1x1_B_C3(void **state) { run_case(*state, "conv_1x1_B_C3"); }
static void test_conv_3x3_A_C1(void **state) { run_case(*state, "conv_3x3_A_C1"); }
static void test_conv_3x3_B_relu_C3(void **state) { run_case(*state, "conv_3x3_B_relu_C3"); }
static void test_conv_7x7_A_C3(void **state) { run_case(*state, "conv_7x7_A_C3"); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_1x1_B_C3),
        cmocka_unit_test(test_conv_3x3_A_C1),
        cmocka_unit_test(test_conv_3x3_B_relu_C3),
        cmocka_unit_test(test_conv_7x7_A_C3),
    };
    return TEST_RUN_ON_EVERY_DEVICE("conv golden", tests);
}
