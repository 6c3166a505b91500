/* CLBlast GEMM tuning for the model's own shapes: see tune_clblast.h.
 *
 * Objective: the time of one training step's GEMMs (host/bench/bench_gemm.c, each
 * distinct shape once, weighted by how often a step issues it), so a setting
 * that speeds up the big square-ish products but slows the skinny per-colour
 * ones does not win. Search: CLBlast's routine switch first (GemmRoutine
 * XGEMM_MIN_INDIRECT_SIZE decides which products use the direct kernel and
 * which the tiled Xgemm), then random Xgemm parameter sets from the ranges of
 * CLBlast's own tuner, then one-parameter mutations of the best, until the
 * budget runs out. CLBlast rejects some sets (and a kernel may fail to build):
 * those are skipped; an accepted set must also reproduce the default
 * parameters' results on one product of each kind (NN, TN, NT). */
#include "tune/tune_clblast.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_clock.h"
#include "base/base_try.h"
#include "opencl/cl_backend.h"
#include "opencl/cl_clblast_params.h"

typedef struct {
    backend *be;
    const pcnn_log *log;
    const step_product *shapes;
    int n_shapes;
    gemm_buffers buf;
    int check[3];       /* one shape per kind (NN, TN, NT), checked against the reference */
    float *ref[3], *out;
    size_t check_len[3];
    int tried, valid;
} tuner;

/* Seconds of one step's GEMMs; fails if any product fails or a checked one is wrong. */
static pcnn_status step_time(tuner *t, double *seconds)
{
    double total = 0, s;
    for (int i = 0; i < t->n_shapes; i++) {
        TRY(product_time(&t->buf, &t->shapes[i], 1, &s)); /* warm-up (the compile) */
        TRY(product_time(&t->buf, &t->shapes[i], 2, &s));
        total += s * t->shapes[i].shape.count;
        for (int k = 0; k < 3; k++) {
            if (t->check[k] != i)
                continue;
            TRY(t->be->ops->read(t->be, t->buf.c, 0, t->out, t->check_len[k] * sizeof(float)));
            if (!t->ref[k]) { /* the first (default) run is the reference */
                t->ref[k] = malloc(t->check_len[k] * sizeof(float));
                if (!t->ref[k])
                    return pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
                memcpy(t->ref[k], t->out, t->check_len[k] * sizeof(float));
            }
            /* Only the product's own columns: C is shared, the rest holds other shapes' leftovers. */
            const gemm_shape *g = &t->shapes[i].shape;
            for (size_t e = 0; e < t->check_len[k]; e++)
                if ((int)(e % (size_t)g->ldc) < g->n &&
                    !(fabsf(t->out[e] - t->ref[k][e]) <= 1e-3f * (fabsf(t->ref[k][e]) + 1.0f)))
                    return pcnn_fail(PCNN_ERR_NUMERIC, "candidate gives wrong results");
        }
    }
    *seconds = total;
    return PCNN_OK;
}

static double step_flops(const tuner *t)
{
    double f = 0;
    for (int i = 0; i < t->n_shapes; i++)
        f += t->shapes[i].shape.flops * t->shapes[i].shape.count;
    return f;
}

/* Tries one full parameter set (xg NULL: CLBlast's Xgemm defaults); returns
 * its step time or INFINITY if rejected. */
static double try_set(tuner *t, const size_t *xg, size_t min_indirect)
{
    t->tried++;
    tune_set set = {0};
    if (xg) {
        tune_kernel *k = &set.kernels[set.n++];
        snprintf(k->kernel, sizeof k->kernel, "Xgemm");
        for (int p = 0; p < XGEMM_PARAMS; p++) {
            snprintf(k->names[p], TUNE_NAME_LEN, "%s", xgemm_param_names[p]);
            k->values[p] = xg[p];
        }
        k->n = XGEMM_PARAMS;
    }
    tune_kernel *r = &set.kernels[set.n++];
    snprintf(r->kernel, sizeof r->kernel, "GemmRoutine");
    snprintf(r->names[0], TUNE_NAME_LEN, "XGEMM_MIN_INDIRECT_SIZE");
    r->values[0] = min_indirect;
    r->n = 1;
    double s;
    if (backend_cl_apply_clblast(t->be, &set) || step_time(t, &s)) {
        pcnn_log_printf(t->log, "tune: candidate %d rejected: %s", t->tried, pcnn_last_error());
        pcnn_clear_error();
        return INFINITY;
    }
    t->valid++;
    return s;
}

static size_t random_value(int p)
{
    const size_t *r;
    int n = xgemm_range(p, &r);
    return r[rand() % n];
}

static void random_set(size_t *v, size_t max_wg, size_t local_mem)
{
    do {
        for (int p = 0; p < XGEMM_PARAMS; p++)
            v[p] = random_value(p);
    } while (!xgemm_valid(v, max_wg, local_mem));
}

static pcnn_status search(tuner *t, double budget_s, tune_clblast_report *rep)
{
    double t_end = clock_now_s() + budget_s, flops = step_flops(t), base;
    TRY(step_time(t, &base)); /* CLBlast's defaults (the reference results) */
    rep->before_gflops = flops / base * 1e-9;
    /* 1. The routine switch, with the default Xgemm. */
    static const size_t thresholds[] = {0, 64, 128, 256, 384, 512, 768, 1024, 2048};
    size_t best_min = 0;
    double best = INFINITY;
    for (size_t i = 0; i < sizeof thresholds / sizeof thresholds[0] && clock_now_s() < t_end; i++) {
        double s = try_set(t, NULL, thresholds[i]);
        if (s < best)
            best = s, best_min = thresholds[i];
    }
    /* 2. Random Xgemm sets, then 3. mutations of the best, until the budget is spent. */
    size_t max_wg, local_mem, cur[XGEMM_PARAMS], best_x[XGEMM_PARAMS];
    backend_cl_limits(t->be, &max_wg, &local_mem);
    int have_x = 0;
    srand(12345);
    for (int round = 0; clock_now_s() < t_end; round++) {
        if (!have_x || round % 2 == 0) {
            random_set(cur, max_wg, local_mem);
        } else {
            do {
                memcpy(cur, best_x, sizeof cur);
                int p = rand() % XGEMM_PARAMS;
                cur[p] = random_value(p);
            } while (!xgemm_valid(cur, max_wg, local_mem));
        }
        double s = try_set(t, cur, best_min);
        if (isfinite(s))
            pcnn_log_printf(t->log, "tune: candidate %d: %.1f GFLOP/s (best so far %.1f)", t->tried, flops / s * 1e-9,
                            flops / (s < best ? s : best) * 1e-9);
        if (s < best) {
            best = s;
            memcpy(best_x, cur, sizeof best_x);
            have_x = 1;
        }
    }
    rep->after_gflops = flops / best * 1e-9;
    tune_set *ts = &rep->best;
    memset(ts, 0, sizeof *ts);
    if (have_x) {
        tune_kernel *k = &ts->kernels[ts->n++];
        snprintf(k->kernel, sizeof k->kernel, "Xgemm");
        for (int p = 0; p < XGEMM_PARAMS; p++) {
            snprintf(k->names[p], TUNE_NAME_LEN, "%s", xgemm_param_names[p]);
            k->values[p] = best_x[p];
        }
        k->n = XGEMM_PARAMS;
    }
    tune_kernel *k = &ts->kernels[ts->n++];
    snprintf(k->kernel, sizeof k->kernel, "GemmRoutine");
    snprintf(k->names[0], TUNE_NAME_LEN, "XGEMM_MIN_INDIRECT_SIZE");
    k->values[0] = best_min;
    k->n = 1;
    if (rep->after_gflops < rep->before_gflops) { /* nothing beat the defaults: they stay, nothing is stored */
        ts->n = 0;
        rep->after_gflops = rep->before_gflops;
    }
    return PCNN_OK;
}

static void prepare_checks(tuner *t)
{
    size_t longest = 0;
    for (int k = 0; k < 3; k++) {
        t->check[k] = -1;
        for (int i = 0; i < t->n_shapes && t->check[k] < 0; i++) {
            const gemm_shape *s = &t->shapes[i].shape;
            if ((k == 0 && !s->ta && !s->tb) || (k == 1 && s->ta) || (k == 2 && s->tb)) {
                t->check[k] = i;
                t->check_len[k] = (size_t)s->m * s->ldc;
            }
        }
        if (t->check[k] >= 0 && t->check_len[k] > longest)
            longest = t->check_len[k];
    }
    t->out = malloc((longest ? longest : 1) * sizeof(float));
}

pcnn_status tune_clblast(backend *be, const step_product *shapes, int n_shapes, double budget_s, const pcnn_log *log,
                         tune_clblast_report *rep)
{
    memset(rep, 0, sizeof *rep);
    tuner t = {.be = be, .log = log, .shapes = shapes, .n_shapes = n_shapes};
    pcnn_status st = gemm_buffers_alloc(be, shapes, n_shapes, &t.buf);
    if (!st) {
        prepare_checks(&t);
        st = t.out ? search(&t, budget_s, rep) : pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
    }
    rep->tried = t.tried;
    rep->valid = t.valid;
    gemm_buffers_free(&t.buf);
    for (int k = 0; k < 3; k++)
        free(t.ref[k]);
    free(t.out);
    return st;
}
