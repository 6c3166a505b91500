/* Timing a training step's products: see bench_gemm.h. */
#include "bench/bench_gemm.h"

#include <stdlib.h>
#include <string.h>

#include "base/base_clock.h"
#include "base/base_try.h"

step_product gemm_square(int n)
{
    return (step_product){.kind = PRODUCT_GEMM, .shape = {0, 0, n, n, n, n, n, n, 1, 2.0 * n * n * n}};
}

pcnn_status step_products_select(const step_product *all, int n, int kind, step_product **out, int *count)
{
    *out = malloc((size_t)(n > 0 ? n : 1) * sizeof **out);
    if (!*out)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory listing products");
    *count = 0;
    for (int i = 0; i < n; i++)
        if (kind < 0 ? all[i].kind != PRODUCT_GEMM : (int)all[i].kind == kind)
            (*out)[(*count)++] = all[i];
    return PCNN_OK;
}

/* Rows of an image batch a gathered operand spans. */
static size_t gather_rows(const gemm_gather *g) { return (size_t)g->B * g->H * g->W; }

/* Elements each operand of p spans. */
static size_t span_a(const step_product *p)
{
    const gemm_shape *s = &p->shape;
    if (p->gathered)
        return gather_rows(&p->gather) * p->gather.cin;
    return (size_t)(s->ta ? s->k : s->m) * s->lda;
}

static size_t span_b(const step_product *p)
{
    const gemm_shape *s = &p->shape;
    if (p->gathered && p->gather.transposed) /* the kernel [taps * n, ldb] */
        return (size_t)p->gather.taps * s->n * s->ldb;
    size_t rows = p->kind == PRODUCT_MASKED_TN ? (size_t)s->k : s->tb ? (size_t)s->n : (size_t)s->k;
    size_t b = rows * s->ldb;
    return b > (size_t)s->n ? b : (size_t)s->n; /* the bias is read from b too */
}

static size_t span_c(const step_product *p) { return (size_t)p->shape.m * p->shape.ldc; }

pcnn_status gemm_buffers_alloc(backend *be, const step_product *p, int n, gemm_buffers *g)
{
    memset(g, 0, sizeof *g);
    g->be = be;
    size_t a = 1, b = 1, c = 1, rows = 1;
    for (int i = 0; i < n; i++) {
        a = span_a(&p[i]) > a ? span_a(&p[i]) : a;
        b = span_b(&p[i]) > b ? span_b(&p[i]) : b;
        c = span_c(&p[i]) > c ? span_c(&p[i]) : c;
        if (p[i].kind == PRODUCT_MASKED_XENT && span_c(&p[i]) / 256 > rows)
            rows = span_c(&p[i]) / 256;
    }
    g->a = be->ops->alloc(be, a * sizeof(float), "GEMM benchmark A");
    g->b = g->a ? be->ops->alloc(be, b * sizeof(float), "GEMM benchmark B") : NULL;
    g->c = g->b ? be->ops->alloc(be, c * sizeof(float), "GEMM benchmark C") : NULL;
    g->targets = g->c ? be->ops->alloc(be, rows, "GEMM benchmark targets") : NULL;
    g->loss = g->targets ? be->ops->alloc(be, rows * sizeof(float), "GEMM benchmark losses") : NULL;
    if (!g->loss) {
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
    bbuf *bufs[] = {g->a, g->b, g->c, g->targets, g->loss};
    for (int i = 0; i < 5; i++)
        g->be->ops->release(g->be, bufs[i]);
    memset(g, 0, sizeof *g);
}

static pcnn_status run_once(gemm_buffers *g, const step_product *p)
{
    backend *be = g->be;
    const gemm_shape *h = &p->shape;
    bview a = {g->a, 0}, b = {g->b, 0}, c = {g->c, 0}, none = {NULL, 0};
    const gemm_gather *gather = p->gathered ? &p->gather : NULL;
    switch (p->kind) {
    case PRODUCT_GEMM:
        return be->ops->gemm(be, h->ta, h->tb, h->m, h->n, h->k, 1.0f, a, h->lda, b, h->ldb, 0.0f, c, h->ldc);
    case PRODUCT_MASKED:
        return be->ops->masked_gemm(be, h->m, h->n, a, h->lda, gather, b, h->ldb, h->tb, &p->seg, p->bias ? b : none,
                                    p->relu, p->accumulate, c, h->ldc);
    case PRODUCT_MASKED_TN:
        return be->ops->masked_gemm_tn(be, h->m, h->n, h->k, a, h->lda, gather, b, h->ldb, &p->seg, c, h->ldc);
    case PRODUCT_MASKED_XENT:
        return be->ops->masked_gemm_xent(be, h->m, h->n, a, h->lda, b, h->ldb, &p->seg, p->bias ? b : none, c,
                                         (bview){g->targets, 0}, (bview){g->loss, 0}, p->want_grad, 1e-3f);
    }
    return pcnn_fail(PCNN_ERR_ARG, "unknown product kind %d", (int)p->kind);
}

pcnn_status product_time(gemm_buffers *g, const step_product *p, int reps, double *seconds)
{
    backend *be = g->be;
    TRY(be->ops->finish(be));
    double t0 = clock_now_s();
    for (int r = 0; r < reps; r++)
        TRY(run_once(g, p));
    TRY(be->ops->finish(be));
    *seconds = (clock_now_s() - t0) / reps;
    return PCNN_OK;
}
