/* The CPU backend's masked products against a plain triple loop in double,
 * over shapes that hit every edge of the blocking: rows not a multiple of the
 * register tile, columns not a multiple of the panel, inner ranges longer than
 * one cache block, segments that split a panel, empty ranges, accumulate and
 * the transposed B, and the weight gradient's BLAS path for wide shapes. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpu/cpu_gemm.h"
#include "test_util.h"

static float uniform(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static float *random_floats(size_t n, unsigned seed)
{
    float *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = uniform(&seed);
    return x;
}

static void column_range(const gemm_segments *s, int j, int *lo, int *hi)
{
    for (int i = 0; i < s->count; i++)
        if (j < s->end[i]) {
            *lo = s->lo[i], *hi = s->hi[i];
            return;
        }
    *lo = *hi = 0;
}

/* Three colour groups over n columns with prefixes K/3, 2K/3, K (as a mode-B
 * 1x1 layer), or a mode-A first group with an empty range. */
static gemm_segments three_groups(int n, int K, int empty_first)
{
    gemm_segments s = {.count = 3};
    for (int g = 0; g < 3; g++) {
        s.end[g] = n * (g + 1) / 3;
        s.lo[g] = 0;
        s.hi[g] = empty_first ? K * g / 2 : K * (g + 1) / 3;
    }
    return s;
}

typedef struct {
    int m, n, K, trans_b, relu, accumulate, empty_first;
} forward_case;

static void check_forward(const forward_case *fc)
{
    int m = fc->m, n = fc->n, K = fc->K, lda = K + 3, ldb = fc->trans_b ? K + 1 : n + 2, ldc = n + 5;
    size_t b_size = fc->trans_b ? (size_t)n * ldb : (size_t)K * ldb;
    float *a = random_floats((size_t)m * lda, 1), *b = random_floats(b_size, 2), *bias = random_floats(n, 3);
    float *c = random_floats((size_t)m * ldc, 4), *c0 = malloc((size_t)m * ldc * sizeof *c0);
    for (size_t i = 0; i < (size_t)m * ldc; i++)
        c0[i] = c[i];
    gemm_segments seg = three_groups(n, K, fc->empty_first);
    cpu_gemm_scratch scratch = {0};
    assert_int_equal(cpu_masked_gemm(&scratch, m, n, a, lda, NULL, b, ldb, fc->trans_b, &seg, bias, fc->relu,
                                     fc->accumulate, c, ldc, NULL),
                     PCNN_OK);
    double worst = 0;
    for (int r = 0; r < m; r++)
        for (int j = 0; j < n; j++) {
            int lo, hi;
            column_range(&seg, j, &lo, &hi);
            double v = bias[j];
            for (int k = lo; k < hi; k++)
                v += (double)a[(size_t)r * lda + k] * (fc->trans_b ? b[(size_t)j * ldb + k] : b[(size_t)k * ldb + j]);
            if (fc->relu)
                v = v > 0 ? v : 0;
            if (fc->accumulate)
                v += c0[(size_t)r * ldc + j];
            double e = fabs(c[(size_t)r * ldc + j] - v);
            worst = e > worst ? e : worst;
        }
    /* The padding between rows is never written. */
    for (int r = 0; r < m; r++)
        for (int j = n; j < ldc; j++)
            assert_true(c[(size_t)r * ldc + j] == c0[(size_t)r * ldc + j]);
    printf("masked_gemm m=%d n=%d K=%d trans_b=%d relu=%d acc=%d: max error %.2e\n", m, n, K, fc->trans_b, fc->relu,
           fc->accumulate, worst);
    assert_true(worst <= 1e-5 * sqrt((double)K + 1));
    cpu_gemm_scratch_free(&scratch);
    free(a), free(b), free(bias), free(c), free(c0);
}

static void test_masked_gemm_shapes(void **state)
{
    (void)state;
    const forward_case cases[] = {
        {1, 1, 1, 0, 0, 0, 0},      {7, 17, 5, 0, 1, 0, 0},      {100, 48, 224, 0, 1, 0, 0},
        {97, 43, 600, 0, 1, 0, 0},  {13, 129, 70, 1, 0, 1, 0},   {200, 96, 96, 1, 0, 0, 1},
        {6, 16, 300, 0, 0, 1, 1},   {95, 768, 96, 0, 0, 0, 0},   {50, 48, 48, 0, 1, 1, 0}, /* residual */
        {40, 20, 700, 0, 1, 1, 0}, /* residual past one inner block */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_forward(&cases[i]);
}

static void check_weight_grad(int m, int K, int n, int empty_first)
{
    int lda = K + 2, ldb = n + 1, ldc = n + 3;
    float *a = random_floats((size_t)m * lda, 5), *b = random_floats((size_t)m * ldb, 6);
    float *c = random_floats((size_t)K * ldc, 7);
    gemm_segments seg = three_groups(n, K, empty_first);
    cpu_gemm_scratch scratch = {0};
    assert_int_equal(cpu_masked_gemm_tn(&scratch, K, n, m, a, lda, NULL, b, ldb, &seg, c, ldc), PCNN_OK);
    double worst = 0;
    for (int k = 0; k < K; k++)
        for (int j = 0; j < n; j++) {
            int lo, hi;
            column_range(&seg, j, &lo, &hi);
            double v = 0;
            if (k >= lo && k < hi)
                for (int r = 0; r < m; r++)
                    v += (double)a[(size_t)r * lda + k] * b[(size_t)r * ldb + j];
            double e = fabs(c[(size_t)k * ldc + j] - v);
            worst = e > worst ? e : worst;
        }
    printf("masked_gemm_tn K=%d n=%d m=%d: max error %.2e\n", K, n, m, worst);
    assert_true(worst <= 1e-5 * sqrt((double)m));
    cpu_gemm_scratch_free(&scratch);
    free(a), free(b), free(c);
}

static void test_masked_gemm_tn_shapes(void **state)
{
    (void)state;
    check_weight_grad(1, 1, 1, 0);
    check_weight_grad(1000, 75, 96, 1); /* several row blocks, a tail group of k */
    check_weight_grad(333, 224, 48, 0);
    check_weight_grad(50, 17, 43, 1);
    check_weight_grad(300, 400, 300, 0); /* wide: the BLAS path */
}

/* Reading the input through the im2col (gather) gives the same bits as the
 * im2col matrix itself, forward and weight gradient, for a 3x3 and a 7x7
 * masked kernel over odd image sizes (taps at every border). */
static void check_gather(int B, int H, int W, int cin, int k, int n)
{
    int taps = k * k / 2 + 1, K = taps * cin, m = B * H * W;
    gemm_gather g = {B, H, W, cin, k, k, taps, 0};
    float *x = random_floats((size_t)m * cin, 11), *w = random_floats((size_t)K * n, 12);
    float *dy = random_floats((size_t)m * n, 13), *col = calloc((size_t)m * K, sizeof(float));
    float *y[2], *dw[2];
    for (int r = 0; r < m; r++) { /* the im2col matrix, by its definition in backend.h */
        int b = r / (H * W), yy = r / W % H, xx = r % W;
        for (int t = 0; t < taps; t++) {
            int sy = yy + t / k - k / 2, sx = xx + t % k - k / 2;
            if (sy >= 0 && sy < H && sx >= 0 && sx < W)
                for (int c = 0; c < cin; c++)
                    col[(size_t)r * K + t * cin + c] = x[(((size_t)b * H + sy) * W + sx) * cin + c];
        }
    }
    gemm_segments seg = three_groups(n, K, 0);
    cpu_gemm_scratch scratch = {0};
    for (int v = 0; v < 2; v++) {
        y[v] = malloc((size_t)m * n * sizeof(float));
        dw[v] = malloc((size_t)K * n * sizeof(float));
        const float *a = v ? x : col;
        const gemm_gather *gp = v ? &g : NULL;
        assert_int_equal(cpu_masked_gemm(&scratch, m, n, a, K, gp, w, n, 0, &seg, NULL, 1, 0, y[v], n, NULL), PCNN_OK);
        assert_int_equal(cpu_masked_gemm_tn(&scratch, K, n, m, a, K, gp, dy, n, &seg, dw[v], n), PCNN_OK);
    }
    printf("gather B=%d %dx%d cin=%d %dx%d n=%d: identical to the im2col matrix\n", B, H, W, cin, k, k, n);
    assert_memory_equal(y[0], y[1], (size_t)m * n * sizeof(float));
    assert_memory_equal(dw[0], dw[1], (size_t)K * n * sizeof(float));
    cpu_gemm_scratch_free(&scratch);
    free(x), free(w), free(dy), free(col), free(y[0]), free(y[1]), free(dw[0]), free(dw[1]);
}

static void test_gather_matches_im2col(void **state)
{
    (void)state;
    check_gather(2, 5, 7, 6, 3, 48);
    check_gather(1, 9, 4, 3, 7, 30);
    check_gather(3, 3, 3, 40, 3, 40); /* K spans several register-tile groups per tap */
    check_gather(1, 12, 12, 90, 3, 600); /* wide: the weight gradient's BLAS path */
    check_gather(5, 29, 29, 16, 3, 48);  /* two weight-gradient parts, the second starting mid-row */
}

/* The input gradient of a masked k x k convolution as one transposed product
 * (centre tap first, taps read at q - offset) against its definition:
 * dx[q, c] = sum over live (t, o) of dy[q - off_t, o] W[t*cx + c, o], where
 * the centre tap is live only from output groups that input group feeds. */
static void check_transposed(int B, int H, int W, int cx, int co, int k, int mode_a, int accumulate)
{
    int taps = k * k / 2 + 1, m = B * H * W, C = 3;
    float *dy = random_floats((size_t)m * co, 21), *w = random_floats((size_t)taps * cx * co, 22);
    float *dx = random_floats((size_t)m * cx, 23), *dx0 = malloc((size_t)m * cx * sizeof(float));
    for (size_t i = 0; i < (size_t)m * cx; i++)
        dx0[i] = dx[i];
    gemm_gather g = {B, H, W, co, k, k, taps, 1};
    gemm_segments seg = {.count = C};
    for (int gi = 0; gi < C; gi++) {
        seg.end[gi] = (gi + 1) * cx / C;
        seg.lo[gi] = (mode_a ? gi + 1 : gi) * (co / C);
        seg.hi[gi] = taps * co;
    }
    cpu_gemm_scratch scratch = {0};
    assert_int_equal(cpu_masked_gemm(&scratch, m, cx, dy, co, &g, w, co, 0, &seg, NULL, 0, accumulate, dx, cx, NULL),
                     PCNN_OK);
    double worst = 0;
    for (int q = 0; q < m; q++) {
        int b = q / (H * W), y = q / W % H, x = q % W;
        for (int c = 0; c < cx; c++) {
            double v = accumulate ? dx0[(size_t)q * cx + c] : 0.0;
            for (int t = 0; t < taps; t++) {
                int sy = y - (t / k - k / 2), sx = x - (t % k - k / 2);
                if (sy < 0 || sy >= H || sx < 0 || sx >= W)
                    continue;
                for (int o = 0; o < co; o++) {
                    int gc = c / (cx / C), go = o / (co / C);
                    if (t == taps - 1 && (mode_a ? go <= gc : go < gc))
                        continue;
                    v += (double)dy[(((size_t)b * H + sy) * W + sx) * co + o] * w[((size_t)t * cx + c) * co + o];
                }
            }
            double e = fabs(dx[(size_t)q * cx + c] - v);
            worst = e > worst ? e : worst;
        }
    }
    printf("transposed B=%d %dx%d %d->%d %dx%d mode %c acc=%d: max error %.2e\n", B, H, W, cx, co, k, k,
           mode_a ? 'A' : 'B', accumulate, worst);
    assert_true(worst <= 1e-5 * sqrt((double)taps * co));
    cpu_gemm_scratch_free(&scratch);
    free(dy), free(w), free(dx), free(dx0);
}

static void test_transposed_gather_is_the_input_gradient(void **state)
{
    (void)state;
    check_transposed(2, 5, 7, 48, 48, 3, 0, 0);
    check_transposed(1, 6, 6, 18, 30, 5, 1, 1);
    check_transposed(3, 4, 3, 129, 129, 3, 0, 0); /* several inner blocks, tail panels */
}

/* The sampler's few-row product against the triple loop: column tails, a
 * pair of panels and a single one, rows not a multiple of the tile. */
static void test_small_gemm_is_the_product(void **state)
{
    (void)state;
    const int shapes[][3] = {{1, 1, 1}, {16, 256, 96}, {13, 48, 240}, {16, 37, 5}, {64, 80, 33}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2], lda = k + 3, ldb = n + 5, ldc = n + 2;
        float *a = random_floats((size_t)m * lda, 11), *b = random_floats((size_t)k * ldb, 12);
        float *c = random_floats((size_t)m * ldc, 13);
        cpu_gemm_scratch scratch = {0};
        assert_true(cpu_small_gemm(&scratch, m, n, k, a, lda, b, ldb, c, ldc));
        double worst = 0;
        for (int r = 0; r < m; r++)
            for (int j = 0; j < n; j++) {
                double v = 0;
                for (int q = 0; q < k; q++)
                    v += (double)a[(size_t)r * lda + q] * b[(size_t)q * ldb + j];
                double e = fabs(c[(size_t)r * ldc + j] - v);
                worst = e > worst ? e : worst;
            }
        printf("small gemm m=%d n=%d k=%d: max error %.2e\n", m, n, k, worst);
        assert_true(worst <= 1e-5 * sqrt((double)k));
        assert_false(cpu_small_gemm(&scratch, SMALL_GEMM_ROWS + 1, n, k, a, lda, b, ldb, c, ldc));
        cpu_gemm_scratch_free(&scratch);
        free(a), free(b), free(c);
    }
}

/* The same bits on 1 thread as on 3: every sum runs in one fixed order, and
 * each task computes the same values whichever thread claims it. */
static void check_thread_count(int m)
{
    int K = 150, n = 100;
    float *a = random_floats((size_t)m * K, 8), *b = random_floats((size_t)m * n, 9);
    float *out[2], *grad[2];
    gemm_segments seg = three_groups(n, K, 0);
    cpu_gemm_scratch scratch = {0};
    for (int t = 0; t < 2; t++) {
        omp_set_num_threads(t ? 3 : 1);
        out[t] = malloc((size_t)m * n * sizeof(float));
        grad[t] = malloc((size_t)K * n * sizeof(float));
        assert_int_equal(cpu_masked_gemm(&scratch, m, n, a, K, NULL, b, n, 0, &seg, NULL, 1, 0, out[t], n, NULL),
                         PCNN_OK);
        assert_int_equal(cpu_masked_gemm_tn(&scratch, K, n, m, a, K, NULL, b, n, &seg, grad[t], n), PCNN_OK);
    }
    assert_memory_equal(out[0], out[1], (size_t)m * n * sizeof(float));
    assert_memory_equal(grad[0], grad[1], (size_t)K * n * sizeof(float));
    cpu_gemm_scratch_free(&scratch);
    free(a), free(b), free(out[0]), free(out[1]), free(grad[0]), free(grad[1]);
}

static void test_thread_count_does_not_change_results(void **state)
{
    (void)state;
    check_thread_count(500);
    check_thread_count(5000); /* the weight gradient in several row parts */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_masked_gemm_shapes),
        cmocka_unit_test(test_masked_gemm_tn_shapes),
        cmocka_unit_test(test_gather_matches_im2col),
        cmocka_unit_test(test_transposed_gather_is_the_input_gradient),
        cmocka_unit_test(test_small_gemm_is_the_product),
        cmocka_unit_test(test_thread_count_does_not_change_results),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
