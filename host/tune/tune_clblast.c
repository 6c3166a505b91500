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

#include <clblast_c.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "base/base_clock.h"
#include "base/base_try.h"
#include "bench/bench_gemm.h"
#include "io/io_cache.h"
#include "model/model_types.h"
#include "opencl/cl_devices.h"

static const char *const XGEMM_NAMES[] = {"GEMMK", "KREG", "KWG",  "KWI",  "MDIMA", "MDIMC", "MWG",  "NDIMB",
                                          "NDIMC", "NWG",  "SA",   "SB",   "STRM",  "STRN",  "VWM",  "VWN"};
enum { N_XGEMM = 16, P_GEMMK = 0, P_KREG, P_KWG, P_KWI, P_MDIMA, P_MDIMC, P_MWG, P_NDIMB, P_NDIMC, P_NWG, P_SA,
       P_SB, P_STRM, P_STRN, P_VWM, P_VWN };

/* The value ranges CLBlast's Xgemm tuner searches (GEMMK = 0 kernels). */
static const size_t RANGES[N_XGEMM][5] = {
    [P_GEMMK] = {0}, [P_KREG] = {1},       [P_KWG] = {16, 32},        [P_KWI] = {2, 8},
    [P_MDIMA] = {8, 16, 32},               [P_MDIMC] = {8, 16, 32},   [P_MWG] = {16, 32, 64, 128},
    [P_NDIMB] = {8, 16, 32},               [P_NDIMC] = {8, 16, 32},   [P_NWG] = {16, 32, 64, 128},
    [P_SA] = {0, 1},  [P_SB] = {0, 1},     [P_STRM] = {0, 1},         [P_STRN] = {0, 1},
    [P_VWM] = {1, 2, 4, 8},                [P_VWN] = {1, 2, 4, 8},
};

static int range_len(int p)
{
    int n = 1;
    while (n < 5 && RANGES[p][n])
        n++;
    return n;
}

/* The constraints of CLBlast's tuner: tiles divide into work-group sizes and
 * vector widths, and the work-group and local memory fit the device. */
static int xgemm_valid(const size_t *v, size_t max_wg, size_t local_mem)
{
    size_t wg = v[P_MDIMC] * v[P_NDIMC];
    if (v[P_KWG] % v[P_KWI] || v[P_MWG] % (v[P_MDIMC] * v[P_VWM]) || v[P_NWG] % (v[P_NDIMC] * v[P_VWN]) ||
        v[P_MWG] % (v[P_MDIMA] * v[P_VWM]) || v[P_NWG] % (v[P_NDIMB] * v[P_VWN]))
        return 0;
    if (v[P_KWG] % (wg / v[P_MDIMA]) || v[P_KWG] % (wg / v[P_NDIMB]) || wg > max_wg)
        return 0;
    return (v[P_SA] * v[P_KWG] * v[P_MWG] + v[P_SB] * v[P_KWG] * v[P_NWG]) * 4 <= local_mem;
}

typedef struct {
    backend *be;
    cl_device_id dev;
    gemm_shape *shapes;
    int n_shapes;
    gemm_buffers buf;
    int check[3];       /* one shape per kind (NN, TN, NT), checked against the reference */
    float *ref[3], *out;
    size_t check_len[3];
    int tried, valid;
} tuner;

static pcnn_status override(cl_device_id dev, const char *kernel, int n, const char *const *names,
                            const size_t *values)
{
    CLBlastStatusCode st = CLBlastOverrideParameters(dev, kernel, CLBlastPrecisionSingle, (size_t)n,
                                                     (const char **)names, values);
    return st == CLBlastSuccess ? PCNN_OK : pcnn_fail(PCNN_ERR_DEVICE, "CLBlast refused %s parameters (%d)", kernel,
                                                      (int)st);
}

/* Seconds of one step's GEMMs; fails if any product fails or a checked one is wrong. */
static pcnn_status step_time(tuner *t, double *seconds)
{
    double total = 0, s;
    for (int i = 0; i < t->n_shapes; i++) {
        TRY(gemm_time(&t->buf, &t->shapes[i], 1, &s)); /* warm-up (the compile) */
        TRY(gemm_time(&t->buf, &t->shapes[i], 2, &s));
        total += s * t->shapes[i].count;
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
            const gemm_shape *g = &t->shapes[i];
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
        f += t->shapes[i].flops * t->shapes[i].count;
    return f;
}

/* Tries one full parameter set; returns its step time or INFINITY if rejected. */
static double try_set(tuner *t, const size_t *xg, size_t min_indirect)
{
    t->tried++;
    const char *routine = "XGEMM_MIN_INDIRECT_SIZE";
    double s;
    if ((xg && override(t->dev, "Xgemm", N_XGEMM, XGEMM_NAMES, xg)) ||
        override(t->dev, "GemmRoutine", 1, &routine, &min_indirect) || step_time(t, &s)) {
        fprintf(stderr, "tune: candidate %d rejected: %s\n", t->tried, pcnn_last_error());
        pcnn_clear_error();
        return INFINITY;
    }
    t->valid++;
    return s;
}

static void random_set(size_t *v, size_t max_wg, size_t local_mem)
{
    do {
        for (int p = 0; p < N_XGEMM; p++)
            v[p] = RANGES[p][rand() % range_len(p)];
    } while (!xgemm_valid(v, max_wg, local_mem));
}

static pcnn_status search(tuner *t, double budget_s, const cl_device_entry *e, clblast_tune_report *rep)
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
    size_t max_wg = e->max_work_group, local_mem = 32768, cur[N_XGEMM], best_x[N_XGEMM];
    cl_ulong lm = 0;
    if (clGetDeviceInfo(e->device, CL_DEVICE_LOCAL_MEM_SIZE, sizeof lm, &lm, NULL) == CL_SUCCESS && lm)
        local_mem = (size_t)lm;
    int have_x = 0;
    srand(12345);
    for (int round = 0; clock_now_s() < t_end; round++) {
        if (!have_x || round % 2 == 0) {
            random_set(cur, max_wg, local_mem);
        } else {
            do {
                memcpy(cur, best_x, sizeof cur);
                int p = rand() % N_XGEMM;
                cur[p] = RANGES[p][rand() % range_len(p)];
            } while (!xgemm_valid(cur, max_wg, local_mem));
        }
        double s = try_set(t, cur, best_min);
        if (isfinite(s))
            fprintf(stderr, "tune: candidate %d: %.1f GFLOP/s (best so far %.1f)\n", t->tried, flops / s * 1e-9,
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
        for (int p = 0; p < N_XGEMM; p++) {
            snprintf(k->names[p], TUNE_NAME_LEN, "%s", XGEMM_NAMES[p]);
            k->values[p] = best_x[p];
        }
        k->n = N_XGEMM;
    }
    tune_kernel *k = &ts->kernels[ts->n++];
    snprintf(k->kernel, sizeof k->kernel, "GemmRoutine");
    snprintf(k->names[0], TUNE_NAME_LEN, "XGEMM_MIN_INDIRECT_SIZE");
    k->values[0] = best_min;
    k->n = 1;
    if (rep->after_gflops < rep->before_gflops) /* nothing beat the defaults: store nothing new */
        ts->n = 0;
    return PCNN_OK;
}

static void prepare_checks(tuner *t)
{
    size_t longest = 0;
    for (int k = 0; k < 3; k++) {
        t->check[k] = -1;
        for (int i = 0; i < t->n_shapes && t->check[k] < 0; i++) {
            const gemm_shape *s = &t->shapes[i];
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

pcnn_status clblast_tune_run(int index, const char *preset, int batch, double budget_s, clblast_tune_report *rep)
{
    memset(rep, 0, sizeof *rep);
    const cl_device_entry *list;
    int n = cl_device_entries(&list, NULL);
    if (index < 1 || index > n)
        return pcnn_fail(PCNN_ERR_ARG, "--device %d: tune needs an OpenCL device (1..%d; 0 is the CPU backend, "
                                       "whose OpenBLAS needs no tuning)", index, n);
    const cl_device_entry *e = &list[index - 1];
    char dir[4096];
    if (!io_cache_dir(dir, sizeof dir))
        return pcnn_fail(PCNN_ERR_IO, "tune: no cache directory (set XDG_CACHE_HOME or HOME)");
    tune_file_path(rep->path, sizeof rep->path, dir, e->info.name, e->info.driver);
    pcnn_device *dev = NULL;
    TRY(pcnn_device_open(index, &dev));
    pcnn_config cfg = {.channels = 3, .height = 32, .width = 32};
    pcnn_model *m = NULL;
    tuner t = {.be = dev, .dev = e->device};
    pcnn_status st = pcnn_config_preset(preset, &cfg);
    if (!st)
        st = pcnn_model_create(dev, &cfg, &m);
    if (!st)
        st = gemm_shapes_of_model(m, batch, cfg.height, cfg.width, &t.shapes, &t.n_shapes);
    if (!st)
        st = gemm_buffers_alloc(dev, t.shapes, t.n_shapes, &t.buf);
    double t0 = clock_now_s();
    rep->gemm_tuned = !st && dev->ops->masked_gemm != NULL;
    if (rep->gemm_tuned)
        st = cl_gemm_tune_run(dev, m, batch, cfg.height, cfg.width, budget_s / 2, &rep->gemm);
    if (!st) {
        prepare_checks(&t);
        double left = budget_s - (clock_now_s() - t0);
        st = t.out ? search(&t, left > 1 ? left : 1, e, rep) : pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
    }
    rep->tried = t.tried;
    rep->valid = t.valid;
    if (!st && rep->gemm_tuned)
        cl_gemm_tiles_to_tune(&rep->gemm.best, &rep->best.kernels[rep->best.n++]);
    if (!st && rep->best.n)
        st = tune_save(rep->path, &rep->best, e->info.name, e->info.driver);
    gemm_buffers_free(&t.buf);
    for (int k = 0; k < 3; k++)
        free(t.ref[k]);
    free(t.out);
    free(t.shapes);
    pcnn_model_free(m);
    pcnn_device_close(dev);
    return st;
}

void clblast_tune_apply(const void *entry)
{
    const cl_device_entry *e = entry;
    const char *off = getenv("PCNN_NO_TUNE");
    char dir[4096], path[4200];
    if ((off && *off && strcmp(off, "0") != 0) || !io_cache_dir(dir, sizeof dir))
        return;
    tune_file_path(path, sizeof path, dir, e->info.name, e->info.driver);
    tune_set t;
    int found = 0;
    if (tune_load(path, e->info.name, e->info.driver, &t, &found)) {
        fprintf(stderr, "pcnn-cl: warning: ignoring tuned CLBlast parameters: %s\n", pcnn_last_error());
        pcnn_clear_error();
        return;
    }
    for (int k = 0; found && k < t.n; k++) {
        if (strcmp(t.kernels[k].kernel, CL_GEMM_TUNE_KERNEL) == 0)
            continue; /* our own kernels' tiles: cl_gemm.c reads them */
        const char *names[TUNE_MAX_PARAMS];
        for (int i = 0; i < t.kernels[k].n; i++)
            names[i] = t.kernels[k].names[i];
        if (override(e->device, t.kernels[k].kernel, t.kernels[k].n, names, t.kernels[k].values)) {
            fprintf(stderr, "pcnn-cl: warning: ignoring %s: %s\n", path, pcnn_last_error());
            pcnn_clear_error();
        }
    }
}
