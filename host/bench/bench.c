/* The measurements of `pcnn-cl bench`: see bench.h. Every workload runs once
 * untimed first (the first GEMM of a shape compiles CLBlast kernels; the first
 * pass allocates the workspace), then `reps` timed runs, each ended by
 * finish() so queued device work is counted. */
#include "bench/bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_clock.h"
#include "base/base_sysinfo.h"
#include "base/base_try.h"
#include "model/model_summary.h"
#include "model/model_types.h"
#include "pcnn/optim.h"
#include "sample/sample_samplers.h"

bench_settings bench_defaults(void) { return (bench_settings){"small", 16, 28, 28, 1, 5, 16, 3, 2048, 0, 0, 0, 0}; }

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median, min, max of n samples (sorts them). */
static bench_stat stat_of(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    double med = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    return (bench_stat){med, v[0], v[n - 1], n};
}

/* A rate's statistics from time samples: rate = work / seconds. */
static bench_stat rate_of(const double *seconds, int n, double work)
{
    double v[64];
    for (int i = 0; i < n; i++)
        v[i] = work / seconds[i];
    return stat_of(v, n);
}

/* Pseudo-random pixels (xorshift): the speed does not depend on the values. */
static uint8_t *random_images(size_t n)
{
    uint8_t *p = malloc(n);
    uint32_t x = 2463534242u;
    for (size_t i = 0; p && i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)(x >> 24);
    }
    return p;
}

static pcnn_status make_model(pcnn_device *dev, const bench_settings *s, pcnn_model **m)
{
    pcnn_config cfg = {.hidden_dim = s->hidden_dim,
                       .out_dim = s->out_dim,
                       .n_layers = s->n_layers,
                       .channels = s->colours,
                       .height = s->height,
                       .width = s->width};
    if (!s->hidden_dim)
        TRY(pcnn_config_preset(s->preset, &cfg));
    TRY(pcnn_config_validate(&cfg));
    TRY(pcnn_model_create(dev, &cfg, m));
    return pcnn_model_init(*m, 1);
}

static pcnn_status train_step(pcnn_model *m, pcnn_optim *o, const uint8_t *images, const bench_settings *s)
{
    double loss;
    TRY(pcnn_model_loss(m, images, s->batch, s->height, s->width, 1, &loss));
    TRY(pcnn_optim_step(o));
    backend *be = pcnn_model_device(m);
    return be->ops->finish(be);
}

static pcnn_status bench_train_eval(pcnn_model *m, const bench_settings *s, const uint8_t *images, bench_result *r)
{
    backend *be = pcnn_model_device(m);
    pcnn_optim_state os = pcnn_optim_defaults(PCNN_OPT_ADAM);
    pcnn_optim *o = NULL;
    TRY(pcnn_optim_create(m, &os, &o));
    double t[64], t0 = clock_now_s();
    pcnn_status st = train_step(m, o, images, s);
    r->first_step_s = clock_now_s() - t0;
    for (int i = 0; !st && i < s->reps; i++) {
        t0 = clock_now_s();
        st = train_step(m, o, images, s);
        t[i] = clock_now_s() - t0;
    }
    /* Memory of training (model, optimiser, training workspace) before eval adds its own. */
    r->host_rss_peak_kib = sysinfo_rss_peak_kib();
    r->device_bytes_peak = be->bytes_peak;
    pcnn_optim_free(o);
    TRY(st);
    r->train_s = stat_of(memcpy((double[64]){0}, t, sizeof(double) * (size_t)s->reps), s->reps);
    r->train_ips = rate_of(t, s->reps, s->batch);
    double loss;
    TRY(pcnn_model_loss(m, images, s->batch, s->height, s->width, 0, &loss)); /* warm-up */
    for (int i = 0; i < s->reps; i++) {
        t0 = clock_now_s();
        TRY(pcnn_model_loss(m, images, s->batch, s->height, s->width, 0, &loss));
        TRY(be->ops->finish(be));
        t[i] = clock_now_s() - t0;
    }
    r->eval_ips = rate_of(t, s->reps, s->batch);
    return PCNN_OK;
}

/* `reps` training steps with every layer timed; the means per step. */
static pcnn_status bench_profile(pcnn_model *m, const bench_settings *s, const uint8_t *images, bench_result *r)
{
    backend *be = pcnn_model_device(m);
    pcnn_optim_state os = pcnn_optim_defaults(PCNN_OPT_ADAM);
    pcnn_optim *o = NULL;
    TRY(pcnn_optim_create(m, &os, &o));
    model_profile p = {0};
    double loss, optim_s = 0.0, t0 = clock_now_s();
    pcnn_status st = PCNN_OK;
    model_profile_attach(m, &p);
    for (int i = 0; !st && i < s->reps; i++) {
        st = pcnn_model_loss(m, images, s->batch, s->height, s->width, 1, &loss);
        double t1 = clock_now_s();
        if (!st)
            st = pcnn_optim_step(o);
        if (!st)
            st = be->ops->finish(be);
        optim_s += clock_now_s() - t1;
    }
    model_profile_attach(m, NULL);
    double step_s = clock_now_s() - t0;
    pcnn_optim_free(o);
    TRY(st);
    for (int k = 0; k < PROFILE_KINDS; k++) {
        r->profile.forward_s[k] = p.forward_s[k] / s->reps;
        r->profile.backward_s[k] = p.backward_s[k] / s->reps;
    }
    r->profile_optim_s = optim_s / s->reps;
    r->profile_step_s = step_s / s->reps;
    r->profile_steps = s->reps;
    return PCNN_OK;
}

pcnn_status bench_sampling(pcnn_model *m, int n, int H, int W, uint64_t seed, float inv_temperature, int reps,
                           int naive_steps, bench_sampling_result *r)
{
    memset(r, 0, sizeof *r);
    if (reps < 1 || reps > 64)
        return pcnn_fail(PCNN_ERR_ARG, "sampling benchmark: %d repetitions (1..64)", reps);
    int C = pcnn_model_config(m)->channels;
    uint8_t *out = malloc((size_t)n * H * W * C);
    fast_sampler *fs = NULL;
    pcnn_status st = out ? fast_sampler_create(m, n, H, W, &fs) : pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
    if (!st) /* warm-up: the first position's colours */
        st = fast_sampler_run(fs, n, seed, 0, inv_temperature, 0, C, out);
    double t[64];
    int runs = 0;
    while (!st && runs < reps) { /* a run longer than 10 s is not repeated */
        double t0 = clock_now_s();
        st = fast_sampler_run(fs, n, seed, 0, inv_temperature, 0, -1, out);
        t[runs++] = clock_now_s() - t0;
        if (t[runs - 1] > 10.0)
            break;
    }
    fast_sampler_free(fs);
    if (!st)
        r->fast_ips = rate_of(t, runs, n);
    /* The naive sampler over naive_steps sub-pixels, per rep; extrapolated to H*W*C. */
    if (!st && naive_steps > 0)
        st = sample_naive_run(m, n, H, W, seed, 0, inv_temperature, 0, 1, NULL, out); /* warm-up */
    int naive_reps = reps < 3 ? reps : 3;
    for (int i = 0; !st && naive_steps > 0 && i < naive_reps; i++) {
        double t0 = clock_now_s();
        st = sample_naive_run(m, n, H, W, seed, 0, inv_temperature, 0, naive_steps, NULL, out);
        t[i] = (clock_now_s() - t0) / naive_steps;
    }
    if (!st && naive_steps > 0) {
        r->naive_subpixel_s = stat_of(t, naive_reps);
        r->naive_ips = n / (r->naive_subpixel_s.median * H * W * C);
        r->speedup = r->fast_ips.median / r->naive_ips;
    }
    free(out);
    return st;
}

/* The median GFLOP/s of product p over min(reps, 3) runs after a warm-up. */
static pcnn_status square_rate(backend *be, const step_product *p, int reps, double *gflops)
{
    gemm_buffers g;
    TRY(gemm_buffers_alloc(be, p, 1, &g));
    double t[3], sec;
    if (reps > 3)
        reps = 3;
    pcnn_status st = product_time(&g, p, 1, &sec);
    for (int k = 0; !st && k < reps; k++)
        st = product_time(&g, p, 1, &t[k]);
    gemm_buffers_free(&g);
    TRY(st);
    *gflops = rate_of(t, reps, p->shape.flops * 1e-9).median;
    return PCNN_OK;
}

/* The device's peak with the best GEMM it has: the square product through
 * its plain GEMM (CLBlast on an OpenCL device, with the parameters pcnn-cl
 * tune stored if any), and as a masked product of one full segment (the
 * route training's products take: pcnn-cl's kernels on CPU devices); and
 * no lower than the fastest of the model's own products, so that a training
 * step's share of the peak is a share. */
static pcnn_status bench_peak(backend *be, const bench_settings *s, bench_result *r)
{
    step_product sq = gemm_square(s->peak_size);
    TRY(square_rate(be, &sq, s->reps, &r->peak_plain_gflops));
    r->peak_gflops = r->peak_plain_gflops;
    r->peak_source = "gemm";
    if (be->ops->masked_gemm) {
        step_product mq = sq;
        mq.kind = PRODUCT_MASKED;
        mq.seg = (gemm_segments){.count = 1, .end = {s->peak_size}, .lo = {0}, .hi = {s->peak_size}};
        TRY(square_rate(be, &mq, s->reps, &r->peak_masked_gflops));
        if (r->peak_masked_gflops > r->peak_gflops) {
            r->peak_gflops = r->peak_masked_gflops;
            r->peak_source = "masked";
        }
    }
    for (int i = 0; i < r->n_gemms; i++)
        if (r->gemms[i].gflops.median > r->peak_gflops) {
            r->peak_gflops = r->gemms[i].gflops.median;
            r->peak_source = "model";
        }
    return PCNN_OK;
}

/* One step's products as training issues them (recorded, bench/bench_record.h),
 * each timed alone, then the device's peak (bench_peak). */
static pcnn_status bench_gemms(pcnn_model *m, const bench_settings *s, bench_result *r)
{
    backend *be = pcnn_model_device(m);
    step_product *list = NULL;
    int n = 0;
    TRY(step_products_record(be, pcnn_model_config(m), s->batch, s->height, s->width, &list, &n));
    r->gemms = calloc((size_t)(n > 0 ? n : 1), sizeof *r->gemms);
    if (!r->gemms) {
        free(list);
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory for %d GEMM results", n);
    }
    r->n_gemms = n;
    gemm_buffers g;
    pcnn_status st = gemm_buffers_alloc(be, list, n, &g);
    double total_s = 0, total_flops = 0, t[64], sec;
    for (int i = 0; !st && i < n; i++) {
        const gemm_shape *sh = &list[i].shape;
        r->gemms[i].product = list[i];
        for (int k = -1; !st && k < s->reps; k++) /* k = -1: the warm-up */
            st = product_time(&g, &list[i], 1, k < 0 ? &sec : &t[k]);
        if (st)
            break;
        r->gemms[i].gflops = rate_of(t, s->reps, sh->flops * 1e-9);
        total_s += sh->count * sh->flops * 1e-9 / r->gemms[i].gflops.median;
        total_flops += sh->count * sh->flops * 1e-9;
    }
    gemm_buffers_free(&g);
    free(list);
    TRY(st);
    r->model_gemm_gflops = total_flops / total_s;
    return bench_peak(be, s, r);
}
/* Live multiply-adds of a training step: forward once, backward twice (weights
 * and input), except that input_conv has no input gradient. */
static uint64_t live_macs(const model_summary *ms)
{
    uint64_t macs = 0;
    for (int i = 0; i < ms->n_layers; i++)
        macs += ms->layers[i].macs_live * (i == 0 ? 2 : 3);
    return macs * (uint64_t)ms->batch;
}

static pcnn_status run_all(pcnn_device *dev, const bench_settings *s, bench_result *r)
{
    pcnn_model *m = NULL;
    size_t n_pixels = (size_t)(s->batch > s->sample_n ? s->batch : s->sample_n) * s->height * s->width * s->colours;
    uint8_t *images = random_images(n_pixels);
    if (!images)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory for %zu benchmark pixels", n_pixels);
    pcnn_status st = make_model(dev, s, &m);
    model_summary ms = {0};
    if (!st)
        st = model_summary_compute(m, s->height, s->width, s->batch, &ms);
    if (!st) {
        r->analytic_bytes = ms.memory.need;
        r->live_macs_per_step = live_macs(&ms);
        st = bench_train_eval(m, s, images, r);
    }
    if (!st && s->profile)
        st = bench_profile(m, s, images, r);
    if (!st) {
        r->train_live_gflops = 2.0 * (double)r->live_macs_per_step * 1e-9 / r->train_s.median;
        r->fast_supported = sample_supported(dev);
        if (!r->fast_supported)
            snprintf(r->fast_note, sizeof r->fast_note, "skipped: this backend lacks the sampling ops");
        else
            st = bench_sampling(m, s->sample_n, s->height, s->width, 0, 1.0f, s->reps, s->naive_steps, &r->sampling);
    }
    if (!st)
        st = bench_gemms(m, s, r);
    if (!st && r->peak_gflops > 0)
        r->train_peak_fraction = r->train_live_gflops / r->peak_gflops;
    model_summary_free(&ms);
    pcnn_model_free(m);
    free(images);
    return st;
}

static pcnn_status check_settings(const bench_settings *s)
{
    if (s->reps < 1 || s->reps > 64)
        return pcnn_fail(PCNN_ERR_ARG, "--reps must be in 1..64, got %d", s->reps);
    if (s->sample_n < 1 || s->naive_steps < 0 || s->peak_size < 1)
        return pcnn_fail(PCNN_ERR_ARG, "bench: sample count, naive steps and peak size must be positive");
    return PCNN_OK;
}

pcnn_status bench_device(int index, const pcnn_device_opts *opts, const bench_settings *s, bench_result *r)
{
    memset(r, 0, sizeof *r);
    r->index = index;
    TRY(check_settings(s));
    TRY(pcnn_device_describe(index, &r->info));
    pcnn_device *dev = NULL;
    TRY(pcnn_device_open_index(index, opts, &dev));
    if (sysinfo_rss_peak_reset())
        r->host_rss_base_kib = sysinfo_rss_peak_kib(); /* the process before the model: code, libraries */
    snprintf(r->name, sizeof r->name, "%s", pcnn_device_name(dev));
    pcnn_status st = run_all(dev, s, r);
    pcnn_device_close(dev);
    return st;
}

void bench_result_free(bench_result *r)
{
    free(r->gemms);
    r->gemms = NULL;
    r->n_gemms = 0;
}

pcnn_status bench_open_probe(int index, const pcnn_device_opts *opts, const bench_settings *s, double *open_s,
                             double *first_step_s, double *second_step_s)
{
    pcnn_device *dev = NULL;
    double t0 = clock_now_s();
    TRY(pcnn_device_open_index(index, opts, &dev));
    *open_s = clock_now_s() - t0;
    pcnn_model *m = NULL;
    pcnn_optim *o = NULL;
    uint8_t *images = random_images((size_t)s->batch * s->height * s->width * s->colours);
    pcnn_status st = images ? make_model(dev, s, &m) : pcnn_fail(PCNN_ERR_MEMORY, "out of memory for images");
    pcnn_optim_state os = pcnn_optim_defaults(PCNN_OPT_ADAM);
    if (!st)
        st = pcnn_optim_create(m, &os, &o);
    t0 = clock_now_s();
    if (!st)
        st = train_step(m, o, images, s);
    *first_step_s = clock_now_s() - t0;
    t0 = clock_now_s();
    if (!st)
        st = train_step(m, o, images, s);
    *second_step_s = clock_now_s() - t0;
    pcnn_optim_free(o);
    pcnn_model_free(m);
    free(images);
    pcnn_device_close(dev);
    return st;
}
