/* The native CPU backend: plain C loops cut into tasks for one persistent
 * thread team (host/cpu/cpu_team.h), the masked products in host/cpu/cpu_gemm.c,
 * plain GEMMs through CBLAS (OpenBLAS). Buffers are host memory; views are
 * pointers plus offsets. Every reduction runs in a fixed order, so results do
 * not depend on the number of threads. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/backend_generic.h"
#include "base/base_rng.h"
#include "cpu/cpu_gemm.h"
#include "cpu/cpu_sample_step.h"
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
    backend_ops ops;
    cpu_gemm_scratch gemm;
} cpu_backend;

/* Loops over [0, n) in chunks of `chunk`, one task each: fn(ctx, i0, i1). */
typedef void (*range_fn)(void *ctx, size_t i0, size_t i1);
typedef struct {
    range_fn fn;
    void *ctx;
    size_t n, chunk;
} range_job;

static void range_task(void *ctx, int task, int thread)
{
    const range_job *j = ctx;
    (void)thread;
    size_t i0 = (size_t)task * j->chunk, i1 = i0 + j->chunk < j->n ? i0 + j->chunk : j->n;
    j->fn(j->ctx, i0, i1);
}

/* Elementwise loops take 32 Ki elements a task (128 KiB of floats): enough
 * tasks to balance, few enough that claiming them costs nothing. */
enum { CHUNK = 1 << 15 };

static void parallel_range(backend *be, size_t n, size_t chunk, range_fn fn, void *ctx)
{
    if (n == 0)
        return;
    range_job j = {fn, ctx, n, chunk ? chunk : 1};
    size_t tasks = (n + j.chunk - 1) / j.chunk;
    if (tasks > (size_t)1 << 30) { /* an int task count: larger chunks */
        j.chunk = (n + ((size_t)1 << 30) - 1) >> 30;
        tasks = (n + j.chunk - 1) / j.chunk;
    }
    cpu_team_run(cpu_gemm_team(&((cpu_backend *)be)->gemm), (int)tasks, range_task, &j);
}

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

typedef struct {
    float *y;
    const float *x, *z;
    const uint8_t *u8;
    float value;
} elementwise;

static void fill_range(void *ctx, size_t i0, size_t i1)
{
    const elementwise *e = ctx;
    for (size_t i = i0; i < i1; i++)
        e->y[i] = e->value;
}

static pcnn_status cpu_fill(backend *be, bview x, size_t n, float value)
{
    parallel_range(be, n, CHUNK, fill_range, &(elementwise){.y = F(x), .value = value});
    return PCNN_OK;
}

static void copy_range(void *ctx, size_t i0, size_t i1)
{
    const elementwise *e = ctx;
    memcpy(e->y + i0, e->x + i0, (i1 - i0) * sizeof(float));
}

static pcnn_status cpu_copy(backend *be, bview dst, bview src, size_t n)
{
    float *d = F(dst);
    const float *s = F(src);
    if (d < s + n && s < d + n) /* overlapping: one memmove */
        memmove(d, s, n * sizeof(float));
    else
        parallel_range(be, n, CHUNK, copy_range, &(elementwise){.y = d, .x = s});
    return PCNN_OK;
}

static pcnn_status cpu_gemm(backend *be, int ta, int tb, int m, int n, int k, float alpha, bview a, int lda,
                            bview b, int ldb, float beta, bview c, int ldc)
{
    if (!ta && !tb && alpha == 1.0f && beta == 0.0f &&
        cpu_small_gemm(&((cpu_backend *)be)->gemm, m, n, k, F(a), lda, F(b), ldb, F(c), ldc))
        return PCNN_OK;
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

typedef struct {
    float *out;
    const float *in;
    int B, H, W, cin, kh, kw, taps, accumulate;
} conv_rows;

/* Rows (positions) per task of a conv loop: about CHUNK floats. */
static size_t rows_per_task(size_t row_len) { return row_len >= CHUNK ? 1 : CHUNK / (row_len ? row_len : 1); }

static void im2col_range(void *ctx, size_t p0, size_t p1)
{
    const conv_rows *j = ctx;
    int H = j->H, W = j->W, cin = j->cin, kh = j->kh, kw = j->kw;
    size_t row_len = (size_t)j->taps * cin;
    /* The position (b, y, x) and each tap's place (ty, tx) in the kernel are
     * stepped along: no division per position or tap. */
    int b = (int)(p0 / ((size_t)H * W)), y = (int)(p0 / W % H), x = (int)(p0 % W);
    for (size_t p = p0; p < p1; p++) {
        float *dst = j->out + p * row_len;
        for (int t = 0, ty = 0, tx = 0; t < j->taps; t++, dst += cin) {
            int sy = y + ty - kh / 2, sx = x + tx - kw / 2;
            if (++tx == kw)
                tx = 0, ty++;
            if (sy < 0 || sy >= H || sx < 0 || sx >= W) {
                for (int c = 0; c < cin; c++)
                    dst[c] = 0.0f;
                continue;
            }
            const float *src = j->in + (((size_t)b * H + sy) * W + sx) * cin;
            if (cin <= 4) /* the input layer's few colours: a call per tap costs more than the copy */
                for (int c = 0; c < cin; c++)
                    dst[c] = src[c];
            else
                memcpy(dst, src, (size_t)cin * sizeof(float));
        }
        if (++x == W) {
            x = 0;
            if (++y == H)
                y = 0, b++;
        }
    }
}

static pcnn_status cpu_im2col(backend *be, bview colv, bview inv, int B, int H, int W, int cin, int kh, int kw,
                              int taps)
{
    conv_rows j = {F(colv), F(inv), B, H, W, cin, kh, kw, taps, 0};
    parallel_range(be, (size_t)B * H * W, rows_per_task((size_t)taps * cin), im2col_range, &j);
    return PCNN_OK;
}

/* Gather form: each input position sums what every tap took from it, in tap
 * order, so no two tasks write the same element. */
static void col2im_range(void *ctx, size_t p0, size_t p1)
{
    const conv_rows *j = ctx;
    int H = j->H, W = j->W, cin = j->cin, kh = j->kh, kw = j->kw;
    size_t row_len = (size_t)j->taps * cin;
    for (size_t p = p0; p < p1; p++) {
        int b = (int)(p / ((size_t)H * W)), y = (int)(p / W % H), x = (int)(p % W);
        float *dst = j->out + p * cin;
        if (!j->accumulate)
            memset(dst, 0, (size_t)cin * sizeof(float));
        for (int t = 0; t < j->taps; t++) {
            int oy = y - (t / kw - kh / 2), ox = x - (t % kw - kw / 2);
            if (oy < 0 || oy >= H || ox < 0 || ox >= W)
                continue;
            const float *src = j->in + (((size_t)b * H + oy) * W + ox) * row_len + (size_t)t * cin;
            for (int c = 0; c < cin; c++)
                dst[c] += src[c];
        }
    }
}

static pcnn_status cpu_col2im(backend *be, bview dinv, bview dcolv, int B, int H, int W, int cin, int kh, int kw,
                              int taps, int accumulate)
{
    conv_rows j = {F(dinv), F(dcolv), B, H, W, cin, kh, kw, taps, accumulate};
    parallel_range(be, (size_t)B * H * W, rows_per_task((size_t)taps * cin), col2im_range, &j);
    return PCNN_OK;
}

typedef struct {
    float *y;
    const float *bias;
    int cols, relu;
} bias_rows;

static void bias_act_range(void *ctx, size_t r0, size_t r1)
{
    const bias_rows *j = ctx;
    for (size_t r = r0; r < r1; r++) {
        float *row = j->y + r * j->cols;
        if (j->relu)
            for (int c = 0; c < j->cols; c++) {
                float v = row[c] + j->bias[c];
                row[c] = relu1(v);
            }
        else
            for (int c = 0; c < j->cols; c++)
                row[c] += j->bias[c];
    }
}

static pcnn_status cpu_bias_act(backend *be, bview yv, bview biasv, size_t rows, int cols, int relu)
{
    bias_rows j = {F(yv), F(biasv), cols, relu};
    parallel_range(be, rows, rows_per_task((size_t)cols), bias_act_range, &j);
    return PCNN_OK;
}

/* The bias gradient sums each column over all rows: rows in parts of
 * BIAS_PART_ROWS (fixed by the shape, not the thread count), each part in
 * order (float over 32 rows, then double), then the parts in order. */
enum { BIAS_PART_ROWS = 1024 };

typedef struct {
    const float *dy;
    double *partial; /* parts x cols */
    size_t rows;
    int cols;
} bias_grad_job;

static void bias_grad_part(void *ctx, int part, int thread)
{
    const bias_grad_job *j = ctx;
    (void)thread;
    enum { COLS = 256, ROWS = 32 }; /* float sums over ROWS rows (vectorised), then added in double */
    size_t r0 = (size_t)part * BIAS_PART_ROWS, r1 = r0 + BIAS_PART_ROWS < j->rows ? r0 + BIAS_PART_ROWS : j->rows;
    double *acc = j->partial + (size_t)part * j->cols;
    for (int c = 0; c < j->cols; c++)
        acc[c] = 0.0;
    for (int c0 = 0; c0 < j->cols; c0 += COLS) {
        int nc = j->cols - c0 < COLS ? j->cols - c0 : COLS;
        for (size_t r = r0; r < r1; r += ROWS) {
            float f[COLS] = {0};
            for (size_t rr = r; rr < r1 && rr < r + ROWS; rr++) {
                const float *row = j->dy + rr * j->cols + c0;
                for (int c = 0; c < nc; c++)
                    f[c] += row[c];
            }
            for (int c = 0; c < nc; c++)
                acc[c0 + c] += f[c];
        }
    }
}

static pcnn_status cpu_bias_grad(backend *be, bview dbv, bview dyv, size_t rows, int cols)
{
    float *db = F(dbv);
    size_t parts = (rows + BIAS_PART_ROWS - 1) / BIAS_PART_ROWS;
    parts = parts ? parts : 1;
    double *partial = malloc(parts * (size_t)cols * sizeof *partial);
    if (!partial)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of host memory for the bias gradient's partial sums");
    bias_grad_job j = {F(dyv), partial, rows, cols};
    cpu_team_run(cpu_gemm_team(&((cpu_backend *)be)->gemm), (int)parts, bias_grad_part, &j);
    for (int c = 0; c < cols; c++) {
        double v = partial[c];
        for (size_t p = 1; p < parts; p++)
            v += partial[p * cols + c];
        db[c] = (float)v;
    }
    free(partial);
    return PCNN_OK;
}

static void relu_range(void *ctx, size_t i0, size_t i1)
{
    const elementwise *e = ctx;
    for (size_t i = i0; i < i1; i++)
        e->y[i] = relu1(e->x[i]);
}

static pcnn_status cpu_relu(backend *be, bview dst, bview src, size_t n)
{
    parallel_range(be, n, CHUNK, relu_range, &(elementwise){.y = F(dst), .x = F(src)});
    return PCNN_OK;
}

static void relu_backward_range(void *ctx, size_t i0, size_t i1)
{
    const elementwise *e = ctx;
    for (size_t i = i0; i < i1; i++)
        e->y[i] = e->x[i] > 0.0f ? e->y[i] : 0.0f;
}

static pcnn_status cpu_relu_backward(backend *be, bview dyv, bview yv, size_t n)
{
    parallel_range(be, n, CHUNK, relu_backward_range, &(elementwise){.y = F(dyv), .x = F(yv)});
    return PCNN_OK;
}

static void add_range(void *ctx, size_t i0, size_t i1)
{
    const elementwise *e = ctx;
    for (size_t i = i0; i < i1; i++)
        e->y[i] += e->x[i];
}

static pcnn_status cpu_add(backend *be, bview yv, bview xv, size_t n)
{
    parallel_range(be, n, CHUNK, add_range, &(elementwise){.y = F(yv), .x = F(xv)});
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

static void pixels_range(void *ctx, size_t i0, size_t i1)
{
    const elementwise *e = ctx;
    for (size_t i = i0; i < i1; i++)
        e->y[i] = (float)e->u8[i] / 255.0f;
}

static pcnn_status cpu_pixels_to_input(backend *be, bview xv, bview pixels, size_t n)
{
    parallel_range(be, n, CHUNK, pixels_range, &(elementwise){.y = F(xv), .u8 = U8(pixels)});
    return PCNN_OK;
}

static void softmax_range(void *ctx, size_t r0, size_t r1)
{
    const xent_rows *x = ctx;
    cpu_softmax_xent(x->logits + r0 * x->groups, x->targets + r0, x->loss + r0, r1 - r0, x->groups, x->want_grad,
                     x->grad_scale);
}

static pcnn_status cpu_softmax_xent_op(backend *be, bview logits, bview targets, bview loss, size_t rows,
                                       int classes, int want_grad, float grad_scale)
{
    /* groups holds the row length (classes) here */
    xent_rows x = {F(logits), F(loss), U8(targets), classes, want_grad, grad_scale};
    parallel_range(be, rows, rows_per_task((size_t)classes), softmax_range, &x);
    return PCNN_OK;
}

/* The sampling ops work on one position for n images: a few thousand
 * elements, where starting threads costs more than the loop. */
enum { PARALLEL_MIN = 1 << 15 };

typedef struct {
    float *dst;
    const float *a, *b;
    size_t ld_dst, ld_a, ld_b;
    int cols, relu;
} add_act_rows;

static void add_act_range(void *ctx, size_t r0, size_t r1)
{
    const add_act_rows *j = ctx;
    for (size_t r = r0; r < r1; r++) {
        float *d = j->dst + r * j->ld_dst;
        const float *ar = j->a + r * j->ld_a, *br = j->b ? j->b + r * j->ld_b : NULL;
        for (int c = 0; c < j->cols; c++) {
            float v = br ? ar[c] + br[c] : ar[c];
            d[c] = j->relu ? relu1(v) : v;
        }
    }
}

static pcnn_status cpu_add_act_2d(backend *be, bview dstv, size_t ld_dst, bview av, size_t ld_a, bview bv,
                                  size_t ld_b, size_t rows, int cols, int relu)
{
    add_act_rows j = {F(dstv), F(av), bv.buf ? F(bv) : NULL, ld_dst, ld_a, ld_b, cols, relu};
    size_t per = PARALLEL_MIN / (cols > 0 ? (size_t)cols : 1);
    parallel_range(be, rows, per ? per : 1, add_act_range, &j);
    return PCNN_OK;
}

typedef struct {
    float *col;
    const float *ring;
    int R, W, cin, kh, kw, taps, y, x;
} taps_rows;

static void gather_taps_range(void *ctx, size_t i0, size_t i1)
{
    const taps_rows *j = ctx;
    size_t row_len = (size_t)j->taps * j->cin, image = (size_t)j->R * j->W * j->cin;
    for (size_t i = i0; i < i1; i++) {
        float *dst = j->col + i * row_len;
        for (int t = 0; t < j->taps; t++, dst += j->cin) {
            int sy = j->y + t / j->kw - j->kh / 2, sx = j->x + t % j->kw - j->kw / 2;
            if (sy < 0 || sx < 0 || sx >= j->W)
                memset(dst, 0, (size_t)j->cin * sizeof(float));
            else
                memcpy(dst, j->ring + i * image + ((size_t)(sy % j->R) * j->W + sx) * j->cin,
                       (size_t)j->cin * sizeof(float));
        }
    }
}

static pcnn_status cpu_gather_taps(backend *be, bview colv, bview ringv, int n, int R, int W, int cin, int kh,
                                   int kw, int taps, int y, int x)
{
    taps_rows j = {F(colv), F(ringv), R, W, cin, kh, kw, taps, y, x};
    size_t per = PARALLEL_MIN / ((size_t)taps * cin > 0 ? (size_t)taps * cin : 1);
    parallel_range(be, (size_t)n, per ? per : 1, gather_taps_range, &j);
    return PCNN_OK;
}

/* exp(x) in eight lanes for -708 <= x <= 0: x = n ln2 + r with ln2 in two
 * parts (the first has 21 trailing zero bits, so n * ln2_hi is exact), then
 * exp(r), |r| <= ln2/2, by its Taylor series to r^13 (the next term is below
 * 1e-17 of the result), times 2^n built from the exponent bits. Within an ulp
 * of libm's exp, as the draw's contract allows (backend.h: any device's exp
 * changes a choice only when t falls within rounding of a partial sum). */
static inline v8d exp8d(v8d x)
{
    const double shifter = 6755399441055744.0; /* 1.5 * 2^52: adding it rounds to an integer */
    v8d n = (x * 1.4426950408889634 + shifter) - shifter;
    v8d r = (x - n * 6.93147180369123816490e-01) - n * 1.90821492927058770002e-10;
    v8d p = (v8d){0} + 1.0 / 6227020800.0;
    static const double c[13] = {1.0 / 479001600.0,
                                 1.0 / 39916800.0,
                                 1.0 / 3628800.0,
                                 1.0 / 362880.0,
                                 1.0 / 40320.0,
                                 1.0 / 5040.0,
                                 1.0 / 720.0,
                                 1.0 / 120.0,
                                 1.0 / 24.0,
                                 1.0 / 6.0,
                                 0.5,
                                 1.0,
                                 1.0};
    for (int i = 0; i < 13; i++)
        p = p * r + c[i];
    v8l bits = (__builtin_convertvector(n, v8l) + 1023) << 52;
    return p * (v8d)bits;
}

static inline int exp8d_domain(double x) { return x >= -708.0 && x <= 0.0; }

/* The inversion documented in backend.h, step for step: the exponentials
 * eight at a time (lanes outside exp8d's range, NaN among them, through libm;
 * below -746 exp is 0), their sum in order with every partial sum kept, then the first v
 * whose partial sum exceeds t by bisection: the partial sums never decrease,
 * so it is the v the linear scan finds. */
static int draw_one(const float *z, float inv_t, uint32_t bits)
{
    float m = z[0];
    for (int v = 1; v < 256; v++) /* fmaxf(m, z[v]), inline: a NaN loses to a number */
        if (z[v] > m || isnan(m))
            m = z[v];
    double e[256], cum[256], sum = 0.0;
    for (int v = 0; v < 256; v += 8) {
        v8d x, in_range;
        for (int l = 0; l < 8; l++) {
            x[l] = (double)(z[v + l] - m) * (double)inv_t;
            in_range[l] = exp8d_domain(x[l]) ? x[l] : 0.0; /* NaN too: no lane converts a NaN */
        }
        v8d y = exp8d(in_range);
        for (int l = 0; l < 8; l++)
            e[v + l] = exp8d_domain(x[l]) ? y[l] : x[l] < -746.0 ? 0.0 : exp(x[l]);
    }
    int last_live = 0;
    for (int v = 0; v < 256; v++) {
        sum += e[v];
        cum[v] = sum;
        if (e[v] > 0.0)
            last_live = v;
    }
    double t = (double)bits * (1.0 / 4294967296.0) * sum;
    if (!(t < sum))
        return last_live;
    int lo = 0, hi = 255; /* cum[hi] > t */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (cum[mid] > t)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

typedef struct {
    uint8_t *px;
    float *in, *bad;
    const float *z;
    size_t pixel_stride, input_stride, ld_logits;
    uint64_t seed;
    uint32_t image_base;
    int y, x, colour;
    float inv_temperature;
} draw_job;

/* pcnn_first_nonfinite(z, 256) == 256, sixteen lanes at a time: a float is
 * finite unless its exponent bits are all ones. */
static int all_finite256(const float *z)
{
    v16i any = {0};
    for (int v = 0; v < 256; v += 16) {
        v16 x = load16(z + v);
        any |= ((v16i)x & 0x7f800000) == 0x7f800000;
    }
    for (int l = 0; l < 16; l++)
        if (any[l])
            return 0;
    return 1;
}

void cpu_draw_pixel(const float *z, float inv_t, uint64_t seed, uint32_t image, int y, int x, int colour, uint8_t *px,
                    float *in, float *bad)
{
    philox_block r = rng_sample_block(seed, image, y, x, colour);
    int v = draw_one(z, inv_t, r.v[0]);
    if (bad && !all_finite256(z))
        *bad = 1.0f;
    *px = (uint8_t)v;
    if (in)
        *in = (float)v / 255.0f;
}

static void draw_range(void *ctx, size_t i0, size_t i1)
{
    const draw_job *j = ctx;
    for (size_t i = i0; i < i1; i++)
        cpu_draw_pixel(j->z + i * j->ld_logits, j->inv_temperature, j->seed, j->image_base + (uint32_t)i, j->y, j->x,
                       j->colour, j->px + i * j->pixel_stride, j->in ? j->in + i * j->input_stride : NULL,
                       j->bad ? j->bad + i : NULL);
}

static pcnn_status cpu_sample_step_op(backend *be, bview program, bview state, bview params, bview pixels, int n,
                                      uint64_t seed, uint32_t image_base, int y, int x, int g, float inv_temperature,
                                      int draw)
{
    cpu_sample_step(cpu_gemm_team(&((cpu_backend *)be)->gemm), (const int32_t *)program.buf->data + program.off,
                    F(state), F(params), (uint8_t *)pixels.buf->data + pixels.off, n, seed, image_base, y, x, g,
                    inv_temperature, draw);
    return PCNN_OK;
}

static pcnn_status cpu_sample_draw(backend *be, bview pixels, size_t pixel_stride, bview input, size_t input_stride,
                                   bview logits, size_t ld_logits, int n, uint64_t seed, uint32_t image_base, int y,
                                   int x, int colour, float inv_temperature, bview badv)
{
    draw_job j = {(uint8_t *)pixels.buf->data + pixels.off,
                  input.buf ? F(input) : NULL,
                  badv.buf ? F(badv) : NULL,
                  F(logits),
                  pixel_stride,
                  input_stride,
                  ld_logits,
                  seed,
                  image_base,
                  y,
                  x,
                  colour,
                  inv_temperature};
    parallel_range(be, (size_t)n, 32, draw_range, &j);
    return PCNN_OK;
}

typedef struct {
    float *w, *m, *v;
    const float *g;
    float step_size, b1, b2, eps;
} optim_job;

static void adam_range(void *ctx, size_t i0, size_t i1)
{
    const optim_job *j = ctx;
    float *w = j->w, *m = j->m, *v = j->v, b1 = j->b1, b2 = j->b2;
    const float *g = j->g;
    for (size_t i = i0; i < i1; i++) {
        m[i] = b1 * m[i] + (1.0f - b1) * g[i];
        v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
        w[i] -= j->step_size * m[i] / (sqrtf(v[i]) + j->eps);
    }
}

static pcnn_status cpu_adam(backend *be, bview wv, bview gv, bview mv, bview vv, size_t n, float step_size,
                            float b1, float b2, float eps)
{
    optim_job j = {F(wv), F(mv), F(vv), F(gv), step_size, b1, b2, eps};
    parallel_range(be, n, CHUNK, adam_range, &j);
    return PCNN_OK;
}

static void rmsprop_range(void *ctx, size_t i0, size_t i1)
{
    const optim_job *j = ctx; /* step_size = lr, b1 = rho */
    float *w = j->w, *v = j->v, rho = j->b1;
    const float *g = j->g;
    for (size_t i = i0; i < i1; i++) {
        v[i] = rho * v[i] + (1.0f - rho) * g[i] * g[i];
        w[i] -= j->step_size * g[i] / (sqrtf(v[i]) + j->eps);
    }
}

static pcnn_status cpu_rmsprop(backend *be, bview wv, bview gv, bview vv, size_t n, float lr, float rho, float eps)
{
    optim_job j = {F(wv), NULL, F(vv), F(gv), lr, rho, 0.0f, eps};
    parallel_range(be, n, CHUNK, rmsprop_range, &j);
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
    .sample_step = cpu_sample_step_op,
    .adam = cpu_adam,
    .rmsprop = cpu_rmsprop,
    .finish = cpu_finish,
};

backend *backend_cpu_create(int sample_composed)
{
    cpu_backend *cb = calloc(1, sizeof *cb);
    backend *be = cb ? &cb->base : NULL;
    if (!be) {
        pcnn_fail(PCNN_ERR_MEMORY, "out of memory creating the CPU backend");
        return NULL;
    }
    cb->ops = cpu_ops;
    if (sample_composed) /* the fast sampler's step as a chain of ops */
        cb->ops.sample_step = NULL;
    be->ops = &cb->ops;
    be->gathers = 1;
    snprintf(be->name, sizeof be->name, "CPU (%s)", openblas_get_config());
    return be;
}
