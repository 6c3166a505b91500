/* The native CPU backend: plain C loops parallel with OpenMP, GEMMs through
 * CBLAS (OpenBLAS). Buffers are host memory; views are pointers plus offsets.
 * Every reduction runs in a fixed order, so results do not depend on the
 * number of threads. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/backend_generic.h"
#include "base/base_rng.h"
#include "cpu/cpu_gemm.h"
#include "cpu/cpu_simd.h"
#include "cpu/cpu_softmax.h"
#include "pcnn/array.h"

struct bbuf {
    size_t bytes;
    void *data;
};

static inline float *F(bview v) { return (float *)v.buf->data + v.off; }
static inline const uint8_t *U8(bview v) { return (const uint8_t *)v.buf->data + v.off; }

typedef struct {
    backend base; /* first, so a backend * is a cpu_backend * */
    cpu_gemm_scratch gemm;
} cpu_backend;

static void cpu_destroy(backend *be)
{
    cpu_gemm_scratch_free(&((cpu_backend *)be)->gemm);
    free(be);
}

static bbuf *cpu_alloc(backend *be, size_t bytes, const char *what)
{
    bbuf *b = malloc(sizeof *b);
    /* 64-byte alignment for vector loads; round up so aligned_alloc accepts it. */
    void *data = b ? aligned_alloc(64, (bytes + 63) / 64 * 64 + 64) : NULL;
    if (!data) {
        free(b);
        pcnn_fail(PCNN_ERR_MEMORY, "out of host memory allocating %s (%.1f MiB): " BACKEND_REDUCE_HINT,
                  what, (double)bytes / (1 << 20));
        return NULL;
    }
    memset(data, 0, bytes);
    b->bytes = bytes;
    b->data = data;
    backend_note_alloc(be, bytes);
    return b;
}

static void cpu_release(backend *be, bbuf *b)
{
    if (!b)
        return;
    be->bytes_in_use -= b->bytes;
    free(b->data);
    free(b);
}

static pcnn_status cpu_write(backend *be, bbuf *dst, size_t off, const void *src, size_t bytes)
{
    (void)be;
    if (backend_check_range("write", off, bytes, dst->bytes))
        return PCNN_ERR_ARG;
    memcpy((char *)dst->data + off, src, bytes);
    return PCNN_OK;
}

static pcnn_status cpu_read(backend *be, bbuf *src, size_t off, void *dst, size_t bytes)
{
    (void)be;
    if (backend_check_range("read", off, bytes, src->bytes))
        return PCNN_ERR_ARG;
    memcpy(dst, (const char *)src->data + off, bytes);
    return PCNN_OK;
}

static pcnn_status cpu_fill(backend *be, bview x, size_t n, float value)
{
    (void)be;
    float *p = F(x);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        p[i] = value;
    return PCNN_OK;
}

static pcnn_status cpu_copy(backend *be, bview dst, bview src, size_t n)
{
    (void)be;
    memmove(F(dst), F(src), n * sizeof(float));
    return PCNN_OK;
}

static pcnn_status cpu_gemm(backend *be, int ta, int tb, int m, int n, int k, float alpha, bview a, int lda,
                            bview b, int ldb, float beta, bview c, int ldc)
{
    (void)be;
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, alpha,
                F(a), lda, F(b), ldb, beta, F(c), ldc);
    return PCNN_OK;
}

static pcnn_status cpu_masked_gemm_op(backend *be, int m, int n, bview a, int lda, const gemm_gather *gather,
                                      bview b, int ldb, int trans_b, const gemm_segments *seg, bview bias, int relu,
                                      int accumulate, bview c, int ldc)
{
    return cpu_masked_gemm(&((cpu_backend *)be)->gemm, m, n, F(a), lda, gather, F(b), ldb, trans_b, seg,
                           bias.buf ? F(bias) : NULL, relu, accumulate, F(c), ldc, NULL);
}

typedef struct {
    float *logits, *loss;
    const uint8_t *targets;
    int groups; /* rows of 256 classes per row of logits */
    int want_grad;
    float grad_scale;
} xent_rows;

static void xent_rows_done(void *ctx, int r0, int r1)
{
    const xent_rows *x = ctx;
    size_t first = (size_t)r0 * x->groups, count = (size_t)(r1 - r0) * x->groups;
    cpu_softmax_xent(x->logits + first * 256, x->targets + first, x->loss + first, count, 256, x->want_grad,
                     x->grad_scale);
}

static pcnn_status cpu_masked_gemm_xent_op(backend *be, int m, int n, bview a, int lda, bview b, int ldb,
                                           const gemm_segments *seg, bview bias, bview logits, bview targets,
                                           bview loss, int want_grad, float grad_scale)
{
    if (n % 256)
        return pcnn_fail(PCNN_ERR_ARG, "masked_gemm_xent: %d logits per row is not a multiple of 256", n);
    xent_rows x = {F(logits), F(loss), U8(targets), n / 256, want_grad, grad_scale};
    gemm_rows_done done = {xent_rows_done, &x};
    return cpu_masked_gemm(&((cpu_backend *)be)->gemm, m, n, F(a), lda, NULL, F(b), ldb, 0, seg,
                           bias.buf ? F(bias) : NULL, 0, 0, F(logits), n, &done);
}

static pcnn_status cpu_masked_gemm_tn_op(backend *be, int K, int n, int m, bview a, int lda,
                                         const gemm_gather *gather, bview b, int ldb, const gemm_segments *seg,
                                         bview c, int ldc)
{
    return cpu_masked_gemm_tn(&((cpu_backend *)be)->gemm, K, n, m, F(a), lda, gather, F(b), ldb, seg, F(c), ldc);
}

static pcnn_status cpu_im2col(backend *be, bview colv, bview inv, int B, int H, int W, int cin, int kh, int kw,
                              int taps)
{
    (void)be;
    float *col = F(colv);
    const float *in = F(inv);
    size_t row_len = (size_t)taps * cin;
#pragma omp parallel for schedule(static)
    for (long p = 0; p < (long)B * H * W; p++) {
        int b = (int)(p / ((long)H * W)), y = (int)(p / W % H), x = (int)(p % W);
        float *dst = col + (size_t)p * row_len;
        for (int t = 0; t < taps; t++, dst += cin) {
            int sy = y + t / kw - kh / 2, sx = x + t % kw - kw / 2;
            if (sy < 0 || sy >= H || sx < 0 || sx >= W)
                memset(dst, 0, (size_t)cin * sizeof(float));
            else
                memcpy(dst, in + (((size_t)b * H + sy) * W + sx) * cin, (size_t)cin * sizeof(float));
        }
    }
    return PCNN_OK;
}

static pcnn_status cpu_col2im(backend *be, bview dinv, bview dcolv, int B, int H, int W, int cin, int kh, int kw,
                              int taps, int accumulate)
{
    (void)be;
    float *din = F(dinv);
    const float *dcol = F(dcolv);
    size_t row_len = (size_t)taps * cin;
    /* Gather form: each input position sums what every tap took from it, in tap
     * order, so no two threads write the same element. */
#pragma omp parallel for schedule(static)
    for (long p = 0; p < (long)B * H * W; p++) {
        int b = (int)(p / ((long)H * W)), y = (int)(p / W % H), x = (int)(p % W);
        float *dst = din + (size_t)p * cin;
        if (!accumulate)
            memset(dst, 0, (size_t)cin * sizeof(float));
        for (int t = 0; t < taps; t++) {
            int oy = y - (t / kw - kh / 2), ox = x - (t % kw - kw / 2);
            if (oy < 0 || oy >= H || ox < 0 || ox >= W)
                continue;
            const float *src = dcol + (((size_t)b * H + oy) * W + ox) * row_len + (size_t)t * cin;
            for (int c = 0; c < cin; c++)
                dst[c] += src[c];
        }
    }
    return PCNN_OK;
}

static pcnn_status cpu_bias_act(backend *be, bview yv, bview biasv, size_t rows, int cols, int relu)
{
    (void)be;
    float *y = F(yv);
    const float *bias = F(biasv);
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < rows; r++) {
        float *row = y + r * cols;
        if (relu)
            for (int c = 0; c < cols; c++) {
                float v = row[c] + bias[c];
                row[c] = relu1(v);
            }
        else
            for (int c = 0; c < cols; c++)
                row[c] += bias[c];
    }
    return PCNN_OK;
}

static pcnn_status cpu_bias_grad(backend *be, bview dbv, bview dyv, size_t rows, int cols)
{
    (void)be;
    float *db = F(dbv);
    const float *dy = F(dyv);
    /* Each thread owns blocks of 16 columns (one cache line of a row) and sums
     * all rows in order, in double: the same bits for any thread count. */
    enum { BLOCK = 16 };
#pragma omp parallel for schedule(static, 1)
    for (int c0 = 0; c0 < cols; c0 += BLOCK) {
        int c1 = c0 + BLOCK < cols ? c0 + BLOCK : cols;
        double acc[BLOCK] = {0};
        for (size_t r = 0; r < rows; r++)
            for (int c = c0; c < c1; c++)
                acc[c - c0] += dy[r * cols + c];
        for (int c = c0; c < c1; c++)
            db[c] = (float)acc[c - c0];
    }
    return PCNN_OK;
}

static pcnn_status cpu_relu(backend *be, bview dst, bview src, size_t n)
{
    (void)be;
    float *d = F(dst);
    const float *s = F(src);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        d[i] = relu1(s[i]);
    return PCNN_OK;
}

static pcnn_status cpu_relu_backward(backend *be, bview dyv, bview yv, size_t n)
{
    (void)be;
    float *dy = F(dyv);
    const float *y = F(yv);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        dy[i] = y[i] > 0.0f ? dy[i] : 0.0f;
    return PCNN_OK;
}

static pcnn_status cpu_add(backend *be, bview yv, bview xv, size_t n)
{
    (void)be;
    float *y = F(yv);
    const float *x = F(xv);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        y[i] += x[i];
    return PCNN_OK;
}

static pcnn_status cpu_mask_centre(backend *be, bview wv, int kh, int kw, int cin, int cout, int colours, int mode)
{
    (void)be;
    float *centre = F(wv) + (size_t)((kh / 2) * kw + kw / 2) * cin * cout;
    int gin = cin / colours, gout = cout / colours;
    for (int i = 0; i < cin; i++)
        for (int o = 0; o < cout; o++) {
            int cut = mode == 'A' ? i / gin >= o / gout : i / gin > o / gout;
            if (cut)
                centre[(size_t)i * cout + o] = 0.0f;
        }
    return PCNN_OK;
}

static pcnn_status cpu_pixels_to_input(backend *be, bview xv, bview pixels, size_t n)
{
    (void)be;
    float *x = F(xv);
    const uint8_t *p = U8(pixels);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        x[i] = (float)p[i] / 255.0f;
    return PCNN_OK;
}

static pcnn_status cpu_softmax_xent_op(backend *be, bview logits, bview targets, bview loss, size_t rows,
                                       int classes, int want_grad, float grad_scale)
{
    (void)be;
    cpu_softmax_xent(F(logits), U8(targets), F(loss), rows, classes, want_grad, grad_scale);
    return PCNN_OK;
}

/* The sampling ops work on one position for n images: a few thousand
 * elements, where starting threads costs more than the loop. */
enum { PARALLEL_MIN = 1 << 15 };

static pcnn_status cpu_add_act_2d(backend *be, bview dstv, size_t ld_dst, bview av, size_t ld_a, bview bv,
                                  size_t ld_b, size_t rows, int cols, int relu)
{
    (void)be;
    float *dst = F(dstv);
    const float *a = F(av), *b = bv.buf ? F(bv) : NULL;
#pragma omp parallel for schedule(static) if (rows * (size_t)cols >= PARALLEL_MIN)
    for (size_t r = 0; r < rows; r++) {
        float *d = dst + r * ld_dst;
        const float *ar = a + r * ld_a, *br = b ? b + r * ld_b : NULL;
        for (int c = 0; c < cols; c++) {
            float v = br ? ar[c] + br[c] : ar[c];
            d[c] = relu ? relu1(v) : v;
        }
    }
    return PCNN_OK;
}

static pcnn_status cpu_gather_taps(backend *be, bview colv, bview ringv, int n, int R, int W, int cin, int kh,
                                   int kw, int taps, int y, int x)
{
    (void)be;
    float *col = F(colv);
    const float *ring = F(ringv);
    size_t row_len = (size_t)taps * cin, image = (size_t)R * W * cin;
#pragma omp parallel for schedule(static) if ((size_t)n * row_len >= PARALLEL_MIN)
    for (int i = 0; i < n; i++) {
        float *dst = col + (size_t)i * row_len;
        for (int t = 0; t < taps; t++, dst += cin) {
            int sy = y + t / kw - kh / 2, sx = x + t % kw - kw / 2;
            if (sy < 0 || sx < 0 || sx >= W)
                memset(dst, 0, (size_t)cin * sizeof(float));
            else
                memcpy(dst, ring + i * image + ((size_t)(sy % R) * W + sx) * cin, (size_t)cin * sizeof(float));
        }
    }
    return PCNN_OK;
}

/* The inversion documented in backend.h, step for step. */
static int draw_one(const float *z, float inv_t, uint32_t bits)
{
    float m = z[0];
    for (int v = 1; v < 256; v++)
        m = fmaxf(m, z[v]);
    double e[256], sum = 0.0;
    int last_live = 0;
    for (int v = 0; v < 256; v++) {
        e[v] = exp((double)(z[v] - m) * (double)inv_t);
        sum += e[v];
        if (e[v] > 0.0)
            last_live = v;
    }
    double t = (double)bits * (1.0 / 4294967296.0) * sum, cum = 0.0;
    for (int v = 0; v < 256; v++) {
        cum += e[v];
        if (t < cum)
            return v;
    }
    return last_live;
}

static pcnn_status cpu_sample_draw(backend *be, bview pixels, size_t pixel_stride, bview input, size_t input_stride,
                                   bview logits, size_t ld_logits, int n, uint64_t seed, uint32_t image_base, int y,
                                   int x, int colour, float inv_temperature, bview badv)
{
    (void)be;
    uint8_t *px = (uint8_t *)pixels.buf->data + pixels.off;
    float *in = input.buf ? F(input) : NULL, *bad = badv.buf ? F(badv) : NULL;
    const float *z = F(logits);
#pragma omp parallel for schedule(static) if (n >= 64)
    for (int i = 0; i < n; i++) {
        philox_block r = rng_sample_block(seed, image_base + (uint32_t)i, y, x, colour);
        const float *zi = z + (size_t)i * ld_logits;
        int v = draw_one(zi, inv_temperature, r.v[0]);
        if (bad && pcnn_first_nonfinite(zi, 256) < 256)
            bad[i] = 1.0f;
        px[(size_t)i * pixel_stride] = (uint8_t)v;
        if (in)
            in[(size_t)i * input_stride] = (float)v / 255.0f;
    }
    return PCNN_OK;
}

static pcnn_status cpu_adam(backend *be, bview wv, bview gv, bview mv, bview vv, size_t n, float step_size,
                            float b1, float b2, float eps)
{
    (void)be;
    float *w = F(wv), *m = F(mv), *v = F(vv);
    const float *g = F(gv);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        m[i] = b1 * m[i] + (1.0f - b1) * g[i];
        v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
        w[i] -= step_size * m[i] / (sqrtf(v[i]) + eps);
    }
    return PCNN_OK;
}

static pcnn_status cpu_rmsprop(backend *be, bview wv, bview gv, bview vv, size_t n, float lr, float rho, float eps)
{
    (void)be;
    float *w = F(wv), *v = F(vv);
    const float *g = F(gv);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        v[i] = rho * v[i] + (1.0f - rho) * g[i] * g[i];
        w[i] -= lr * g[i] / (sqrtf(v[i]) + eps);
    }
    return PCNN_OK;
}

static pcnn_status cpu_finish(backend *be)
{
    (void)be;
    return PCNN_OK;
}

static const backend_ops cpu_ops = {
    .destroy = cpu_destroy,
    .alloc = cpu_alloc,
    .release = cpu_release,
    .write = cpu_write,
    .read = cpu_read,
    .fill = cpu_fill,
    .copy = cpu_copy,
    .gemm = cpu_gemm,
    .masked_gemm = cpu_masked_gemm_op,
    .masked_gemm_xent = cpu_masked_gemm_xent_op,
    .masked_gemm_tn = cpu_masked_gemm_tn_op,
    .im2col = cpu_im2col,
    .col2im = cpu_col2im,
    .bias_act = cpu_bias_act,
    .bias_grad = cpu_bias_grad,
    .relu = cpu_relu,
    .relu_backward = cpu_relu_backward,
    .add = cpu_add,
    .mask_centre = cpu_mask_centre,
    .pixels_to_input = cpu_pixels_to_input,
    .softmax_xent = cpu_softmax_xent_op,
    .add_act_2d = cpu_add_act_2d,
    .gather_taps = cpu_gather_taps,
    .sample_draw = cpu_sample_draw,
    .adam = cpu_adam,
    .rmsprop = cpu_rmsprop,
    .finish = cpu_finish,
};

backend *backend_cpu_create(void)
{
    cpu_backend *cb = calloc(1, sizeof *cb);
    backend *be = cb ? &cb->base : NULL;
    if (!be) {
        pcnn_fail(PCNN_ERR_MEMORY, "out of memory creating the CPU backend");
        return NULL;
    }
    be->ops = &cpu_ops;
    be->gathers = 1;
    snprintf(be->name, sizeof be->name, "CPU (%s)", openblas_get_config());
    return be;
}
