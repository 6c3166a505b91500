/* The model summary against independent counts: the parameter total equals
 * the sizes of the model's own tensors; live parameters and multiply-adds
 * equal counts over pcnn_mask_fill; the receptive field equals a brute-force
 * walk over every channel of every layer on a grid; the training-step memory
 * equals what the device really allocates for a training step. */
#include <stdlib.h>
#include <string.h>

#include "model/model_summary.h"
#include "pcnn/mask.h"
#include "pcnn/optim.h"
#include "test_util.h"

static pcnn_model *make_model(pcnn_device *dev, const char *preset, int hidden, int out, int layers, int colours)
{
    pcnn_config cfg = {.hidden_dim = hidden, .out_dim = out, .n_layers = layers, .channels = colours, .height = 8,
                       .width = 8};
    if (preset)
        assert_int_equal(pcnn_config_preset(preset, &cfg), PCNN_OK);
    pcnn_model *m;
    assert_int_equal(pcnn_model_create(dev, &cfg, &m), PCNN_OK);
    return m;
}

/* A kernel tensor's mask, from its name and shape: input_conv is mask A, every other layer mask B (model.h). */
static float *kernel_mask(const pcnn_tensor_info *info, int colours, pcnn_mask_mode *mode)
{
    *mode = strcmp(info->name, "input_conv.kernel") == 0 ? PCNN_MASK_A : PCNN_MASK_B;
    float *mask = malloc(info->count * sizeof(float));
    assert_non_null(mask);
    assert_int_equal(pcnn_mask_fill(mask, (int)info->shape[0], (int)info->shape[1], (int)info->shape[2],
                                    (int)info->shape[3], colours, *mode),
                     PCNN_OK);
    return mask;
}

static size_t count_nonzero(const float *x, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += x[i] != 0.0f;
    return k;
}

static void test_params_equal_the_tensors(void **state)
{
    static const char *presets[] = {"tiny", "small", "paper"};
    for (int p = 0; p < 3; p++)
        for (int colours = 1; colours <= 3; colours += 2) {
            pcnn_model *m = make_model(*state, presets[p], 0, 0, 0, colours);
            model_summary s;
            assert_int_equal(model_summary_compute(m, 32, 32, 16, &s), PCNN_OK);
            assert_int_equal(2 * s.n_layers, pcnn_model_tensor_count(m));
            uint64_t total = 0, live = 0;
            for (int t = 0; t < pcnn_model_tensor_count(m); t += 2) {
                pcnn_tensor_info kernel, bias;
                pcnn_model_tensor_info(m, t, &kernel);
                pcnn_model_tensor_info(m, t + 1, &bias);
                pcnn_mask_mode mode;
                float *mask = kernel_mask(&kernel, colours, &mode);
                const layer_summary *l = &s.layers[t / 2];
                assert_int_equal(l->params, kernel.count + bias.count);
                assert_int_equal(l->live_params, count_nonzero(mask, kernel.count) + bias.count);
                assert_int_equal(l->mode, (char)mode);
                assert_true(strncmp(kernel.name, l->name, strlen(l->name)) == 0);
                total += kernel.count + bias.count;
                live += count_nonzero(mask, kernel.count) + bias.count;
                free(mask);
            }
            assert_int_equal(s.params, total);
            assert_int_equal(s.params, pcnn_model_param_count(m));
            assert_int_equal(s.live_params, live);
            assert_true(s.live_params < s.params);
            print_message("  %-5s %d colour(s): %llu params = the tensors' sizes, %llu live\n", presets[p], colours,
                          (unsigned long long)s.params, (unsigned long long)s.live_params);
            model_summary_free(&s);
            pcnn_model_free(m);
        }
}

/* Multiply-adds per image, counted position by position from the mask:
 * dense = every kernel entry, live = the nonzero entries, computed = every
 * entry of the taps that hold any nonzero, and of the centre tap (the GEMM
 * over the live taps always multiplies it, even where mask A with one colour
 * cuts all of it). */
static void test_macs_against_mask_counts(void **state)
{
    for (int colours = 1; colours <= 3; colours += 2) {
        pcnn_model *m = make_model(*state, NULL, 2, 3, 2, colours);
        int H = 5, W = 4;
        model_summary s;
        assert_int_equal(model_summary_compute(m, H, W, 1, &s), PCNN_OK);
        uint64_t dense = 0, live = 0, computed = 0;
        for (int t = 0; t < pcnn_model_tensor_count(m); t += 2) {
            pcnn_tensor_info k;
            pcnn_model_tensor_info(m, t, &k);
            pcnn_mask_mode mode;
            float *mask = kernel_mask(&k, colours, &mode);
            size_t tap_size = k.shape[2] * k.shape[3];
            uint64_t l_dense = 0, l_live = 0, l_computed = 0;
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                    for (size_t tap = 0; tap < k.shape[0] * k.shape[1]; tap++) {
                        size_t nz = count_nonzero(mask + tap * tap_size, tap_size);
                        l_dense += tap_size;
                        l_live += nz;
                        int centre = tap == (k.shape[0] / 2) * k.shape[1] + k.shape[1] / 2;
                        l_computed += nz || centre ? tap_size : 0;
                    }
            const layer_summary *l = &s.layers[t / 2];
            assert_int_equal(l->macs_dense, l_dense);
            assert_int_equal(l->macs_live, l_live);
            assert_int_equal(l->macs_computed, l_computed);
            dense += l_dense;
            live += l_live;
            computed += l_computed;
            free(mask);
        }
        assert_int_equal(s.macs_dense, dense);
        assert_int_equal(s.macs_live, live);
        assert_int_equal(s.macs_computed, computed);
        assert_true(live < computed && computed < dense);
        model_summary_free(&s);
        pcnn_model_free(m);
    }
}

/* Backward through one conv on a grid: need_in[q][i] if some needed output
 * (p, o) reads input (q, i) through a nonzero mask entry. Layout [y][x][c]. */
static void brute_conv_back(const pcnn_tensor_info *k, const float *mask, int GH, int GW, const uint8_t *need_out,
                            uint8_t *need_in)
{
    int kh = (int)k->shape[0], kw = (int)k->shape[1], cin = (int)k->shape[2], cout = (int)k->shape[3];
    memset(need_in, 0, (size_t)GH * GW * cin);
    for (int y = 0; y < GH; y++)
        for (int x = 0; x < GW; x++)
            for (int o = 0; o < cout; o++) {
                if (!need_out[((size_t)y * GW + x) * cout + o])
                    continue;
                for (int ty = 0; ty < kh; ty++)
                    for (int tx = 0; tx < kw; tx++) {
                        int qy = y + ty - kh / 2, qx = x + tx - kw / 2;
                        if (qy < 0 || qx < 0 || qy >= GH || qx >= GW)
                            continue;
                        for (int i = 0; i < cin; i++)
                            if (mask[(((size_t)ty * kw + tx) * cin + i) * cout + o] != 0.0f)
                                need_in[((size_t)qy * GW + qx) * cin + i] = 1;
                    }
            }
}

/* The field of output colour c at p = the bottom row's middle of a grid large
 * enough that nothing is cut, by the brute force above over the tensors in
 * reverse; residual blocks (res.i.conv_in .. conv_out) add their input's need. */
static void brute_field(pcnn_model *m, int colour, receptive_field *f)
{
    int n = pcnn_model_tensor_count(m), C = pcnn_model_config(m)->channels, up = 0, half = 0, maxc = 0;
    pcnn_tensor_info info[256];
    assert_true(n <= 256);
    for (int t = 0; t < n; t += 2) {
        pcnn_model_tensor_info(m, t, &info[t]);
        up += (int)info[t].shape[0] / 2;
        half += (int)info[t].shape[1] / 2;
        maxc = (int)(info[t].shape[2] > (size_t)maxc ? info[t].shape[2] : (size_t)maxc);
        maxc = (int)(info[t].shape[3] > (size_t)maxc ? info[t].shape[3] : (size_t)maxc);
    }
    int GH = up + 3, GW = 2 * half + 5, py = GH - 1, px = GW / 2;
    size_t cells = (size_t)GH * GW * maxc;
    uint8_t *need = calloc(cells, 1), *next = calloc(cells, 1), *saved = calloc(cells, 1);
    int last = n - 2, cout = (int)info[last].shape[3];
    for (int o = colour * (cout / C); o < (colour + 1) * (cout / C); o++)
        need[((size_t)py * GW + px) * cout + o] = 1;
    for (int t = last; t >= 0; t -= 2) {
        size_t plane = (size_t)GH * GW * info[t].shape[3];
        if (strstr(info[t].name, ".conv_out."))
            memcpy(saved, need, plane);
        pcnn_mask_mode mode;
        float *mask = kernel_mask(&info[t], C, &mode);
        brute_conv_back(&info[t], mask, GH, GW, need, next);
        free(mask);
        size_t in_plane = (size_t)GH * GW * info[t].shape[2];
        if (strstr(info[t].name, ".conv_in."))
            for (size_t i = 0; i < in_plane; i++)
                next[i] |= saved[i];
        memcpy(need, next, in_plane);
    }
    memset(f, 0, sizeof *f);
    int min_x = px, max_x = px;
    for (int y = 0; y < GH; y++)
        for (int x = 0; x < GW; x++)
            for (int c = 0; c < C; c++) {
                if (!need[((size_t)y * GW + x) * C + c])
                    continue;
                if (y == py && x == px) {
                    f->centre_colours |= 1u << c;
                    continue;
                }
                assert_true(y < py || x < px); /* nothing at or after p in raster order */
                f->rows_above = py - y > f->rows_above ? py - y : f->rows_above;
                min_x = x < min_x ? x : min_x;
                max_x = x > max_x ? x : max_x;
            }
    for (int y = 0; y < GH; y++)
        for (int x = 0; x < GW; x++) {
            int any = 0;
            for (int c = 0; c < C; c++)
                any |= need[((size_t)y * GW + x) * C + c];
            f->positions += any && !(y == py && x == px);
        }
    /* The grid's margin must stay untouched, or the grid cut the field. */
    assert_true(f->rows_above < py && min_x > 0 && max_x < GW - 1);
    f->cols_left = px - min_x;
    f->cols_right = max_x - px;
    free(need);
    free(next);
    free(saved);
}

static void test_receptive_field_against_brute_force(void **state)
{
    static const int cases[][4] = {/* hidden, out, blocks, colours */
                                   {1, 1, 0, 1}, {1, 1, 0, 3}, {1, 1, 2, 3}, {2, 1, 3, 1}, {1, 1, 6, 3}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        pcnn_model *m = make_model(*state, NULL, cases[k][0], cases[k][1], cases[k][2], cases[k][3]);
        for (int c = 0; c < cases[k][3]; c++) {
            receptive_field got, want;
            assert_int_equal(receptive_field_compute(m, c, &got), PCNN_OK);
            brute_field(m, c, &want);
            print_message("  %d blocks, colour %d of %d: %d up, %d left, %d right, %llu pixels, centre colours %x\n",
                          cases[k][2], c, cases[k][3], got.rows_above, got.cols_left, got.cols_right,
                          (unsigned long long)got.positions, got.centre_colours);
            assert_int_equal(got.rows_above, want.rows_above);
            assert_int_equal(got.cols_left, want.cols_left);
            assert_int_equal(got.cols_right, want.cols_right);
            assert_int_equal(got.positions, want.positions);
            assert_int_equal(got.centre_colours, want.centre_colours);
            /* Output colour c sees exactly the earlier colours of its own pixel. */
            assert_int_equal(got.centre_colours, (1u << c) - 1);
            assert_int_equal(got.box_before,
                             (uint64_t)got.rows_above * (got.cols_left + got.cols_right + 1) + got.cols_left);
        }
        pcnn_model_free(m);
    }
}

/* 7x7 mask A reaches 3 pixels each way, each 3x3 mask-B layer one more: the
 * paper's 15 blocks give 18 rows up and 18 columns each side. */
static void test_paper_field_extent(void **state)
{
    pcnn_model *m = make_model(*state, "paper", 0, 0, 0, 3);
    receptive_field f;
    assert_int_equal(receptive_field_compute(m, 2, &f), PCNN_OK);
    assert_int_equal(f.rows_above, 3 + 15);
    assert_int_equal(f.cols_left, 3 + 15);
    assert_int_equal(f.cols_right, 3 + 15);
    assert_true(f.positions < f.box_before); /* the blind spot */
    pcnn_model_free(m);
}

/* The analytic memory of a training step equals the bytes the device holds
 * after creating the model and Adam and running one step with gradients. */
static void test_train_memory_matches_the_device(void **state)
{
    pcnn_device *dev = *state;
    for (int colours = 1; colours <= 3; colours += 2) {
        size_t before = pcnn_device_bytes_in_use(dev);
        pcnn_model *m = make_model(dev, NULL, 3, 5, 2, colours);
        pcnn_optim_state adam = pcnn_optim_defaults(PCNN_OPT_ADAM);
        pcnn_optim *opt;
        assert_int_equal(pcnn_optim_create(m, &adam, &opt), PCNN_OK);
        assert_int_equal(pcnn_model_init(m, 3), PCNN_OK);
        int B = 3, H = 6, W = 5;
        size_t n = (size_t)B * H * W * colours;
        uint8_t *img = malloc(n);
        test_random_bytes(img, n, 5);
        double loss;
        assert_int_equal(pcnn_model_loss(m, img, B, H, W, 1, &loss), PCNN_OK);
        assert_int_equal(pcnn_optim_step(opt), PCNN_OK);
        size_t used = pcnn_device_bytes_in_use(dev) - before;
        model_summary s;
        assert_int_equal(model_summary_compute(m, H, W, B, &s), PCNN_OK);
        print_message("  %d colour(s): summary %llu bytes, device %zu bytes\n", colours,
                      (unsigned long long)s.memory.total, used);
        assert_int_equal(s.memory.total, used);
        assert_int_equal(s.memory.weights, pcnn_model_param_count(m) * sizeof(float));
        model_summary_free(&s);
        free(img);
        pcnn_optim_free(opt);
        pcnn_model_free(m);
    }
}

static int open_device(void **state) { return test_device_open(0, (pcnn_device **)state) ? -1 : 0; }
static int close_device(void **state)
{
    pcnn_device_close(*state);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params_equal_the_tensors),
        cmocka_unit_test(test_macs_against_mask_counts),
        cmocka_unit_test(test_receptive_field_against_brute_force),
        cmocka_unit_test(test_paper_field_extent),
        cmocka_unit_test(test_train_memory_matches_the_device),
    };
    return cmocka_run_group_tests(tests, open_device, close_device);
}
