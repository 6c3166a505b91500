/* The model's own GEMM shapes and their timing: see bench_gemm.h. */
#include "bench/bench_gemm.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base_clock.h"
#include "base/base_try.h"
#include "model/model_types.h"

static int add_shape(gemm_shape *list, int n, int ta, int tb, int m, int nn, int k, int lda, int ldb, int ldc)
{
    for (int i = 0; i < n; i++) {
        gemm_shape *s = &list[i];
        if (s->ta == ta && s->tb == tb && s->m == m && s->n == nn && s->k == k && s->lda == lda && s->ldb == ldb &&
            s->ldc == ldc) {
            s->count++;
            return n;
        }
    }
    list[n] = (gemm_shape){ta, tb, m, nn, k, lda, ldb, ldc, 1, 2.0 * m * nn * k};
    return n + 1;
}

/* Mirrors conv_forward/conv_backward: the same calls with the same leading
 * dimensions, so the timings are of exactly what training runs. k = 0 groups
 * (mode A's first group of a 1x1 layer) are left out: there the forward is a
 * one-column zero write and the backward skips them. */
pcnn_status gemm_shapes_of_model(const pcnn_model *m, int B, int H, int W, gemm_shape **out, int *n)
{
    int rows = B * H * W, cap = 3 * m->n_convs * m->cfg.channels, count = 0;
    gemm_shape *list = calloc((size_t)cap, sizeof *list);
    if (!list)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory listing GEMM shapes");
    for (int i = 0; i < m->n_convs; i++) {
        const conv_layer *l = &m->convs[i];
        int kfull = l->taps * l->cin, gout = l->cout / l->colours;
        for (int g = 0; g < l->colours; g++) {
            int k = conv_group_k(l, g);
            if (k)
                count = add_shape(list, count, 0, 0, rows, gout, k, kfull, l->cout, l->cout);
        }
    }
    for (int i = m->n_convs - 1; i >= 0; i--) {
        const conv_layer *l = &m->convs[i];
        int kfull = l->taps * l->cin, gout = l->cout / l->colours;
        for (int g = 0; g < l->colours; g++) {
            int k = conv_group_k(l, g);
            if (!k)
                continue;
            count = add_shape(list, count, 1, 0, k, gout, rows, kfull, l->cout, l->cout);
            if (i > 0) /* input_conv has no input gradient */
                count = add_shape(list, count, 0, 1, rows, k, gout, l->cout, l->cout, kfull);
        }
    }
    *out = list;
    *n = count;
    return PCNN_OK;
}

/* Live flops of a masked product: 2 * rows * the summed range lengths. */
static double masked_flops(const gemm_segments *seg, double rows)
{
    double live = 0;
    for (int s = 0, j0 = 0; s < seg->count; j0 = seg->end[s++])
        live += (double)(seg->end[s] - j0) * (seg->hi[s] - seg->lo[s]);
    return 2.0 * rows * live;
}

static int add_masked(masked_shape *list, int n, gemm_shape sh, gemm_segments seg, int relu)
{
    for (int i = 0; i < n; i++)
        if (memcmp(&list[i].shape, &sh, offsetof(gemm_shape, count)) == 0 && list[i].relu == relu &&
            memcmp(&list[i].seg, &seg, sizeof seg) == 0) {
            list[i].shape.count++;
            return n;
        }
    sh.count = 1;
    sh.flops = masked_flops(&seg, sh.ta ? sh.k : sh.m);
    list[n] = (masked_shape){sh, seg, relu};
    return n + 1;
}

pcnn_status masked_shapes_of_model(const pcnn_model *m, int B, int H, int W, masked_shape **out, int *n)
{
    int rows = B * H * W, count = 0;
    masked_shape *list = calloc(3 * (size_t)m->n_convs, sizeof *list);
    if (!list)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory listing GEMM shapes");
    for (int i = 0; i < m->n_convs; i++) {
        const conv_layer *l = &m->convs[i];
        int kfull = l->taps * l->cin;
        gemm_segments fwd = conv_forward_segments(l), in = conv_input_grad_segments(l);
        gemm_shape forward = {0, 0, rows, l->cout, kfull, kfull, l->cout, l->cout, 0, 0},
                   weights = {1, 0, kfull, l->cout, rows, kfull, l->cout, l->cout, 0, 0},
                   input = {0, 1, rows, kfull, l->cout, l->cout, l->cout, kfull, 0, 0};
        count = add_masked(list, count, forward, fwd, l->relu);
        count = add_masked(list, count, weights, fwd, 0);
        if (i > 0) /* input_conv has no input gradient */
            count = add_masked(list, count, input, in, 0);
    }
    *out = list;
    *n = count;
    return PCNN_OK;
}

pcnn_status masked_buffers_alloc(backend *be, const masked_shape *s, int n, gemm_buffers *g)
{
    gemm_shape *plain = malloc((size_t)(n > 0 ? n : 1) * sizeof *plain);
    if (!plain)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory for GEMM buffers");
    for (int i = 0; i < n; i++)
        plain[i] = s[i].shape;
    pcnn_status st = gemm_buffers_alloc(be, plain, n, g);
    free(plain);
    return st;
}

pcnn_status masked_time(gemm_buffers *g, const masked_shape *s, int reps, double *seconds)
{
    backend *be = g->be;
    const gemm_shape *h = &s->shape;
    bview a = {g->a, 0}, b = {g->b, 0}, c = {g->c, 0};
    TRY(be->ops->finish(be));
    double t0 = clock_now_s();
    for (int r = 0; r < reps; r++)
        TRY(h->ta ? be->ops->masked_gemm_tn(be, h->m, h->n, h->k, a, h->lda, NULL, b, h->ldb, &s->seg, c, h->ldc)
                  : be->ops->masked_gemm(be, h->m, h->n, a, h->lda, NULL, b, h->ldb, h->tb, &s->seg,
                                         h->tb ? (bview){NULL, 0} : b, s->relu, 0, c, h->ldc));
    TRY(be->ops->finish(be));
    *seconds = (clock_now_s() - t0) / reps;
    return PCNN_OK;
}

gemm_shape gemm_square(int n) { return (gemm_shape){0, 0, n, n, n, n, n, n, 1, 2.0 * n * n * n}; }

/* Elements each operand spans: rows of the stored matrix times its leading dimension. */
static size_t span_a(const gemm_shape *s) { return (size_t)(s->ta ? s->k : s->m) * s->lda; }
static size_t span_b(const gemm_shape *s) { return (size_t)(s->tb ? s->n : s->k) * s->ldb; }
static size_t span_c(const gemm_shape *s) { return (size_t)s->m * s->ldc; }

pcnn_status gemm_buffers_alloc(backend *be, const gemm_shape *s, int n, gemm_buffers *g)
{
    memset(g, 0, sizeof *g);
    g->be = be;
    size_t a = 1, b = 1, c = 1;
    for (int i = 0; i < n; i++) {
        a = span_a(&s[i]) > a ? span_a(&s[i]) : a;
        b = span_b(&s[i]) > b ? span_b(&s[i]) : b;
        c = span_c(&s[i]) > c ? span_c(&s[i]) : c;
    }
    g->a = be->ops->alloc(be, a * sizeof(float), "GEMM benchmark A");
    g->b = g->a ? be->ops->alloc(be, b * sizeof(float), "GEMM benchmark B") : NULL;
    g->c = g->b ? be->ops->alloc(be, c * sizeof(float), "GEMM benchmark C") : NULL;
    if (!g->c) {
        gemm_buffers_free(g);
        return PCNN_ERR_MEMORY;
    }
    /* Finite, nonzero operands: zeros could take a fast path somewhere. */
    TRY(be->ops->fill(be, (bview){g->a, 0}, a, 0.5f));
    return be->ops->fill(be, (bview){g->b, 0}, b, 0.25f);
}

void gemm_buffers_free(gemm_buffers *g)
{
    if (!g->be)
        return;
    g->be->ops->release(g->be, g->a);
    g->be->ops->release(g->be, g->b);
    g->be->ops->release(g->be, g->c);
    memset(g, 0, sizeof *g);
}

pcnn_status gemm_time(gemm_buffers *g, const gemm_shape *s, int reps, double *seconds)
{
    backend *be = g->be;
    TRY(be->ops->finish(be));
    double t0 = clock_now_s();
    for (int r = 0; r < reps; r++)
        TRY(be->ops->gemm(be, s->ta, s->tb, s->m, s->n, s->k, 1.0f, (bview){g->a, 0}, s->lda, (bview){g->b, 0},
                          s->ldb, 0.0f, (bview){g->c, 0}, s->ldc));
    TRY(be->ops->finish(be));
    *seconds = (clock_now_s() - t0) / reps;
    return PCNN_OK;
}
