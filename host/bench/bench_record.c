/* The products of one training step, recorded: see bench_record.h.
 *
 * The recording backend holds no data: buffers are sizes only, every op but
 * the products does nothing, a read returns zeros (the loss the model reads
 * back). Its masked products are the ones the backend it imitates has: where
 * that backend composes them (host/backend/backend_generic.c), the recorder
 * runs the same composition, whose GEMMs it records; where it fuses them,
 * the recorder records the masked call itself. */
#include "bench/bench_record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend_generic.h"
#include "base/base_try.h"
#include "pcnn/model.h"

struct bbuf {
    size_t bytes;
};

typedef struct {
    backend base; /* first: a backend * is a recorder * */
    backend_ops ops;
    step_product *list;
    int n, cap;
} recorder;

static recorder *R(backend *be) { return (recorder *)be; }

const char *product_kind_name(product_kind kind)
{
    static const char *const names[] = {"gemm", "masked", "masked_tn", "masked_xent"};
    return names[kind];
}

static pcnn_status add(recorder *r, const step_product *p)
{
    for (int i = 0; i < r->n; i++) {
        step_product *q = &r->list[i];
        if (q->kind == p->kind && memcmp(&q->shape, &p->shape, offsetof(gemm_shape, count)) == 0 &&
            q->relu == p->relu && q->accumulate == p->accumulate && q->bias == p->bias && q->gathered == p->gathered &&
            memcmp(&q->seg, &p->seg, sizeof p->seg) == 0 && memcmp(&q->gather, &p->gather, sizeof p->gather) == 0) {
            q->shape.count++;
            return PCNN_OK;
        }
    }
    if (r->n == r->cap) {
        int cap = r->cap ? 2 * r->cap : 64;
        step_product *grown = realloc(r->list, (size_t)cap * sizeof *grown);
        if (!grown)
            return pcnn_fail(PCNN_ERR_MEMORY, "out of memory recording a training step's products");
        r->list = grown;
        r->cap = cap;
    }
    r->list[r->n] = *p;
    r->list[r->n++].shape.count = 1;
    return PCNN_OK;
}

/* Live flops of a masked product: 2 * rows summed * the summed range lengths. */
static double masked_flops(const gemm_segments *seg, double rows)
{
    double live = 0;
    for (int s = 0, j0 = 0; s < seg->count; j0 = seg->end[s++])
        live += (double)(seg->end[s] - j0) * (seg->hi[s] - seg->lo[s]);
    return 2.0 * rows * live;
}

static int kmax_of(const gemm_segments *seg)
{
    int k = 0;
    for (int s = 0; s < seg->count; s++)
        k = seg->hi[s] > k ? seg->hi[s] : k;
    return k;
}

/* ---- the products ----------------------------------------------------- */

static pcnn_status rec_gemm(backend *be, int ta, int tb, int m, int n, int k, float alpha, bview a, int lda, bview b,
                            int ldb, float beta, bview c, int ldc)
{
    (void)a, (void)b, (void)c, (void)beta;
    if (m == 0 || n == 0 || alpha == 0.0f) /* a zero write (an empty inner range) multiplies nothing */
        return PCNN_OK;
    step_product p = {.kind = PRODUCT_GEMM, .shape = {ta, tb, m, n, k, lda, ldb, ldc, 1, 2.0 * m * n * k}};
    return add(R(be), &p);
}

static pcnn_status rec_masked_gemm(backend *be, int m, int n, bview a, int lda, const gemm_gather *gather, bview b,
                                   int ldb, int trans_b, const gemm_segments *seg, bview bias, int relu, int accumulate,
                                   bview c, int ldc)
{
    (void)a, (void)b, (void)c;
    int k = kmax_of(seg);
    step_product p = {.kind = PRODUCT_MASKED,
                      .shape = {0, trans_b, m, n, k, lda, ldb, ldc, 1, masked_flops(seg, m)},
                      .seg = *seg,
                      .relu = relu,
                      .accumulate = accumulate,
                      .bias = bias.buf != NULL,
                      .gathered = gather != NULL};
    if (gather)
        p.gather = *gather;
    return add(R(be), &p);
}

static pcnn_status rec_masked_gemm_tn(backend *be, int K, int n, int m, bview a, int lda, const gemm_gather *gather,
                                      bview b, int ldb, const gemm_segments *seg, bview c, int ldc)
{
    (void)a, (void)b, (void)c;
    step_product p = {.kind = PRODUCT_MASKED_TN,
                      .shape = {1, 0, K, n, m, lda, ldb, ldc, 1, masked_flops(seg, m)},
                      .seg = *seg,
                      .gathered = gather != NULL};
    if (gather)
        p.gather = *gather;
    return add(R(be), &p);
}

static pcnn_status rec_masked_gemm_xent(backend *be, int m, int n, bview a, int lda, bview b, int ldb,
                                        const gemm_segments *seg, bview bias, bview logits, bview targets, bview loss,
                                        int want_grad, float grad_scale)
{
    (void)a, (void)b, (void)logits, (void)targets, (void)loss, (void)grad_scale;
    step_product p = {.kind = PRODUCT_MASKED_XENT,
                      .shape = {0, 0, m, n, kmax_of(seg), lda, ldb, n, 1, masked_flops(seg, m)},
                      .seg = *seg,
                      .bias = bias.buf != NULL,
                      .want_grad = want_grad};
    return add(R(be), &p);
}

/* ---- everything else records nothing ---------------------------------- */

static void rec_destroy(backend *be)
{
    free(R(be)->list);
    free(be);
}

static bbuf *rec_alloc(backend *be, size_t bytes, const char *what)
{
    (void)be;
    bbuf *b = malloc(sizeof *b);
    if (!b)
        pcnn_fail(PCNN_ERR_MEMORY, "out of host memory recording %s", what);
    else
        b->bytes = bytes;
    return b;
}

static void rec_release(backend *be, bbuf *b)
{
    (void)be;
    free(b);
}

static pcnn_status rec_write(backend *be, bbuf *dst, size_t off, const void *src, size_t bytes)
{
    (void)be, (void)src;
    return backend_check_range("write", off, bytes, dst->bytes);
}

static pcnn_status rec_read(backend *be, bbuf *src, size_t off, void *dst, size_t bytes)
{
    (void)be;
    memset(dst, 0, bytes);
    return backend_check_range("read", off, bytes, src->bytes);
}

/* The ops below ignore every argument: their signatures are the table's. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#define NOTHING                                                                                                        \
    {                                                                                                                  \
        return PCNN_OK;                                                                                                \
    }
static pcnn_status rec_fill(backend *be, bview x, size_t n, float v) NOTHING static pcnn_status
    rec_copy(backend *be, bview d, bview s, size_t n) NOTHING static pcnn_status
    rec_im2col(backend *be, bview col, bview in, int B, int H, int W, int cin, int kh, int kw, int taps) NOTHING
    static pcnn_status rec_col2im(backend *be, bview din, bview dcol, int B, int H, int W, int cin, int kh, int kw,
                                  int taps, int accumulate) NOTHING static pcnn_status
    rec_bias_act(backend *be, bview y, bview bias, size_t rows, int cols, int relu) NOTHING static pcnn_status
    rec_bias_grad(backend *be, bview db, bview dy, size_t rows, int cols) NOTHING static pcnn_status
    rec_relu(backend *be, bview d, bview s, size_t n) NOTHING static pcnn_status
    rec_relu_backward(backend *be, bview dy, bview y, size_t n) NOTHING static pcnn_status
    rec_add(backend *be, bview y, bview x, size_t n) NOTHING static pcnn_status
    rec_mask_centre(backend *be, bview w, int kh, int kw, int cin, int cout, int C, int mode) NOTHING static pcnn_status
    rec_pixels_to_input(backend *be, bview x, bview p, size_t n) NOTHING static pcnn_status
    rec_softmax_xent(backend *be, bview z, bview t, bview l, size_t rows, int classes, int want_grad,
                     float scale) NOTHING static pcnn_status
    rec_add_act_2d(backend *be, bview d, size_t ldd, bview a, size_t lda, bview b, size_t ldb, size_t rows, int cols,
                   int relu) NOTHING static pcnn_status
    rec_gather_taps(backend *be, bview col, bview ring, int n, int R, int W, int cin, int kh, int kw, int taps, int y,
                    int x) NOTHING static pcnn_status
    rec_sample_draw(backend *be, bview px, size_t ps, bview in, size_t is, bview z, size_t ldz, int n, uint64_t seed,
                    uint32_t base, int y, int x, int c, float t) NOTHING static pcnn_status
    rec_adam(backend *be, bview w, bview g, bview m, bview v, size_t n, float s, float b1, float b2, float eps) NOTHING
    static pcnn_status
    rec_rmsprop(backend *be, bview w, bview g, bview v, size_t n, float lr, float rho, float eps) NOTHING
    static pcnn_status rec_finish(backend *be) NOTHING
#pragma GCC diagnostic pop

    static const backend_ops rec_ops = {
        .destroy = rec_destroy,
        .alloc = rec_alloc,
        .release = rec_release,
        .write = rec_write,
        .read = rec_read,
        .fill = rec_fill,
        .copy = rec_copy,
        .gemm = rec_gemm,
        .masked_gemm = rec_masked_gemm,
        .masked_gemm_tn = rec_masked_gemm_tn,
        .masked_gemm_xent = rec_masked_gemm_xent,
        .im2col = rec_im2col,
        .col2im = rec_col2im,
        .bias_act = rec_bias_act,
        .bias_grad = rec_bias_grad,
        .relu = rec_relu,
        .relu_backward = rec_relu_backward,
        .add = rec_add,
        .mask_centre = rec_mask_centre,
        .pixels_to_input = rec_pixels_to_input,
        .softmax_xent = rec_softmax_xent,
        .add_act_2d = rec_add_act_2d,
        .gather_taps = rec_gather_taps,
        .sample_draw = rec_sample_draw,
        .adam = rec_adam,
        .rmsprop = rec_rmsprop,
        .finish = rec_finish,
};

/* A recorder whose masked products are the generic compositions where
 * `composed` says so (bits: 1 masked_gemm, 2 masked_gemm_tn, 4 _xent). */
static pcnn_status record(int composed, int gathers, const pcnn_config *cfg, int B, int H, int W, step_product **out,
                          int *n)
{
    *out = NULL;
    *n = 0;
    recorder *r = calloc(1, sizeof *r);
    if (!r)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory recording a training step's products");
    r->ops = rec_ops;
    if (composed & 1)
        r->ops.masked_gemm = generic_masked_gemm;
    if (composed & 2)
        r->ops.masked_gemm_tn = generic_masked_gemm_tn;
    if (composed & 4)
        r->ops.masked_gemm_xent = generic_masked_gemm_xent;
    r->base.ops = &r->ops;
    r->base.gathers = gathers;
    snprintf(r->base.name, sizeof r->base.name, "the recording backend");
    pcnn_config c = *cfg;
    c.height = H;
    c.width = W;
    pcnn_model *m = NULL;
    uint8_t *images = calloc((size_t)B * H * W * cfg->channels, 1);
    double loss;
    pcnn_status st = images ? pcnn_model_create(&r->base, &c, &m) : pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
    if (!st)
        st = pcnn_model_loss(m, images, B, H, W, 1, &loss);
    pcnn_model_free(m);
    free(images);
    if (!st) {
        *out = r->list;
        *n = r->n;
        r->list = NULL;
    }
    rec_destroy(&r->base);
    return st;
}

pcnn_status step_products_record(const backend *like, const pcnn_config *cfg, int B, int H, int W, step_product **out,
                                 int *n)
{
    int composed = (like->ops->masked_gemm == generic_masked_gemm) |
                   (like->ops->masked_gemm_tn == generic_masked_gemm_tn) << 1 |
                   (like->ops->masked_gemm_xent == generic_masked_gemm_xent) << 2;
    return record(composed, like->gathers, cfg, B, H, W, out, n);
}

pcnn_status step_products_record_composed(const pcnn_config *cfg, int B, int H, int W, step_product **out, int *n)
{
    return record(7, 0, cfg, B, H, W, out, n);
}
