/* The tile search of `pcnn-cl tune` for cl/gemm.cl: see tune_gemm_tiles.h.
 *
 * Objective: the count-weighted time of one step's masked products
 * (host/bench/bench_gemm.c), the best of two runs after a warm-up. Candidates:
 * every register tile that fits 16 vector registers, times three row blocks
 * (each a rebuild of cl/gemm.cl, about a second on PoCL), then the weight
 * gradient's row chunk for the best of those (no rebuild); the winner must
 * then beat the starting tiles again in three alternating timings (the
 * machine may be shared). A candidate must reproduce the starting tiles'
 * results on one product of each kind. */
#include "tune/tune_gemm_tiles.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_clock.h"
#include "base/base_try.h"

typedef struct {
    backend *be;
    const pcnn_log *log;
    const step_product *shapes;
    int n_shapes;
    gemm_buffers buf;
    float *ref[3], *out; /* outputs of the first product of each kind (NN, TN, NT) at the start */
    size_t len[3];
    int first[3];
} tuner;

static int kind_of(const step_product *p) { return p->kind == PRODUCT_MASKED_TN ? 1 : p->shape.tb ? 2 : 0; }

/* Seconds of one step's products; fails if a checked product differs from the reference. */
static pcnn_status step_time(tuner *t, double *seconds)
{
    double total = 0, s, best;
    for (int i = 0; i < t->n_shapes; i++) {
        TRY(product_time(&t->buf, &t->shapes[i], 1, &s)); /* warm-up: PoCL compiles at the first launch */
        TRY(product_time(&t->buf, &t->shapes[i], 1, &best));
        TRY(product_time(&t->buf, &t->shapes[i], 1, &s));
        total += (s < best ? s : best) * t->shapes[i].shape.count;
        int k = kind_of(&t->shapes[i]);
        if (t->first[k] != i)
            continue;
        TRY(t->be->ops->read(t->be, t->buf.c, 0, t->out, t->len[k] * sizeof(float)));
        if (!t->ref[k]) {
            if (!(t->ref[k] = malloc(t->len[k] * sizeof(float))))
                return pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
            for (size_t e = 0; e < t->len[k]; e++)
                t->ref[k][e] = t->out[e];
        }
        const gemm_shape *g = &t->shapes[i].shape;
        for (size_t e = 0; e < t->len[k]; e++) {
            float want = t->ref[k][e];
            if ((int)(e % (size_t)g->ldc) < g->n && !(fabsf(t->out[e] - want) <= 1e-4f * (fabsf(want) + 1)))
                return pcnn_fail(PCNN_ERR_NUMERIC, "tiles give wrong results");
        }
    }
    *seconds = total;
    return PCNN_OK;
}

enum { CONFIRM = 3 };

static double median3(double v[CONFIRM])
{
    double a = v[0], b = v[1], c = v[2];
    return a > b ? (b > c ? b : a > c ? c : a) : (a > c ? a : b > c ? c : b);
}

static double try_tiles(tuner *t, const cl_gemm_tiles *c, tune_tiles_report *rep)
{
    double s;
    rep->tried++;
    if (backend_cl_set_gemm_tiles(t->be, c) || step_time(t, &s)) {
        pcnn_log_printf(t->log, "tune: tiles MR=%d NR=%d MC=%d TN_CHUNK=%d rejected: %s", c->mr, c->nr, c->mc,
                        c->tn_chunk, pcnn_last_error());
        pcnn_clear_error();
        return INFINITY;
    }
    rep->valid++;
    return s;
}

static pcnn_status search(tuner *t, double budget_s, tune_tiles_report *rep)
{
    static const int PAIRS[][2] = {{6, 16}, {4, 16}, {8, 8}, {6, 8}, {4, 8}};
    static const int ROWS[] = {96, 48, 192}, CHUNKS[] = {256, 128, 512, 64};
    double flops = 0, end = clock_now_s() + budget_s, best_s;
    for (int i = 0; i < t->n_shapes; i++)
        flops += t->shapes[i].shape.flops * t->shapes[i].shape.count;
    cl_gemm_tiles start, c;
    backend_cl_gemm_tiles(t->be, &start);
    TRY(step_time(t, &best_s)); /* the starting tiles: the reference results */
    rep->best = start;
    rep->before_gflops = flops / best_s * 1e-9;
    for (int p = 0; p < 5 && clock_now_s() < end; p++)
        for (int r = 0; r < 3 && clock_now_s() < end; r++) {
            c = (cl_gemm_tiles){PAIRS[p][0], PAIRS[p][1], ROWS[r], start.tn_chunk};
            if (c.mr == start.mr && c.nr == start.nr && c.mc == start.mc)
                continue;
            double s = try_tiles(t, &c, rep);
            if (s < best_s)
                best_s = s, rep->best = c;
        }
    for (int k = 0; k < 4 && clock_now_s() < end; k++) {
        c = rep->best;
        if (CHUNKS[k] == c.tn_chunk)
            continue;
        c.tn_chunk = CHUNKS[k];
        double s = try_tiles(t, &c, rep);
        if (s < best_s)
            best_s = s, rep->best = c;
    }
    /* On a shared machine one timing can flatter a candidate: the winner
     * must beat the starting tiles again, timed in alternation. */
    if (memcmp(&rep->best, &start, sizeof start) != 0) {
        double s_best[CONFIRM], s_start[CONFIRM];
        for (int i = 0; i < CONFIRM; i++) {
            TRY(backend_cl_set_gemm_tiles(t->be, &start));
            TRY(step_time(t, &s_start[i]));
            TRY(backend_cl_set_gemm_tiles(t->be, &rep->best));
            TRY(step_time(t, &s_best[i]));
        }
        double mb = median3(s_best), ms = median3(s_start);
        pcnn_log_printf(t->log, "tune: confirming MR=%d NR=%d MC=%d TN_CHUNK=%d: %.1f vs %.1f GFLOP/s at the start",
                        rep->best.mr, rep->best.nr, rep->best.mc, rep->best.tn_chunk, flops / mb * 1e-9,
                        flops / ms * 1e-9);
        best_s = mb < ms ? mb : ms;
        rep->before_gflops = flops / ms * 1e-9;
        if (ms <= mb)
            rep->best = start;
    }
    rep->after_gflops = flops / best_s * 1e-9;
    return backend_cl_set_gemm_tiles(t->be, &rep->best);
}

pcnn_status tune_gemm_tiles(backend *be, const step_product *shapes, int n_shapes, double budget_s, const pcnn_log *log,
                            tune_tiles_report *rep)
{
    *rep = (tune_tiles_report){0};
    if (!backend_cl_masked_kernels(be))
        return pcnn_fail(PCNN_ERR_ARG, "%s does not use cl/gemm.cl's masked products", be->name);
    tuner t = {.be = be, .log = log, .shapes = shapes, .n_shapes = n_shapes, .first = {-1, -1, -1}};
    size_t longest = 1;
    for (int i = 0; i < t.n_shapes; i++) {
        const gemm_shape *g = &t.shapes[i].shape;
        int k = kind_of(&t.shapes[i]);
        if (t.first[k] < 0) {
            t.first[k] = i;
            t.len[k] = (size_t)g->m * g->ldc;
            longest = t.len[k] > longest ? t.len[k] : longest;
        }
    }
    pcnn_status st = gemm_buffers_alloc(be, t.shapes, t.n_shapes, &t.buf);
    if (!st)
        st = (t.out = malloc(longest * sizeof(float))) ? search(&t, budget_s, rep)
                                                        : pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
    gemm_buffers_free(&t.buf);
    for (int k = 0; k < 3; k++)
        free(t.ref[k]);
    free(t.out);
    return st;
}
