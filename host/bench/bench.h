/* The measurements behind `pcnn-cl bench`: one device, one model, after a
 * warm-up, the median/min/max of several timed repetitions of each workload.
 * The CLI (host/cli/cmd_bench.c) prints them; bench_json.c and bench_svg.c write them. */
#ifndef PCNN_BENCH_H
#define PCNN_BENCH_H

#include <stdint.h>

#include "bench/bench_gemm.h"
#include "model/model_profile.h"
#include "pcnn/device.h"

typedef struct {
    const char *preset;
    int batch, height, width, colours;
    int reps;        /* timed repetitions per workload (after one warm-up) */
    int sample_n;    /* images the samplers draw */
    int naive_steps; /* sub-pixels the naive sampler is timed over */
    int peak_size;   /* the square sgemm that measures the device's peak */
    int profile;     /* also time `reps` training steps layer by layer */
    /* The model's widths and depth when not the preset's (a checkpoint's
     * model): all three set, or all 0. */
    int hidden_dim, out_dim, n_layers;
} bench_settings;

typedef struct {
    double median, min, max;
    int n;
} bench_stat;

/* The two samplers side by side (bench's definition; `pcnn-cl sample --bench`
 * prints the same). */
typedef struct {
    bench_stat fast_ips;         /* images per second of the fast sampler */
    bench_stat naive_subpixel_s; /* one naive step (a forward pass of the batch); n = 0: not timed */
    double naive_ips;            /* n / (naive_subpixel_s.median * H*W*C): extrapolated to whole images */
    double speedup;              /* fast_ips.median / naive_ips */
} bench_sampling_result;

/* Times the fast sampler drawing n images of H x W (after a one-position
 * warm-up; `reps` runs, a run over 10 s is not repeated) and the naive one
 * over naive_steps sub-pixels (0: not timed), on the model's device. */
pcnn_status bench_sampling(pcnn_model *m, int n, int H, int W, uint64_t seed, float inv_temperature, int reps,
                           int naive_steps, bench_sampling_result *r);

typedef struct {
    step_product product; /* as training issues it (bench/bench_record.h) */
    bench_stat gflops;
} bench_gemm;

typedef struct {
    int index;
    pcnn_device_info info;
    char name[128]; /* the backend's own name */

    bench_stat train_ips, eval_ips; /* images per second */
    bench_stat train_s;             /* seconds per training step */
    double first_step_s;            /* the warm-up step (CLBlast compiles its GEMMs here) */

    int fast_supported;
    char fast_note[160]; /* why sampling was skipped */
    bench_sampling_result sampling;

    bench_gemm *gemms; /* one training step's products, as recorded */
    int n_gemms;
    double model_gemm_gflops; /* all of one step's GEMMs, weighted by how often they run */
    double peak_gflops;       /* the fastest product the device runs: the best of the two below and the model's */
    double peak_plain_gflops; /* the square sgemm through the device's plain GEMM (CLBlast on OpenCL, tuned
                                 where pcnn-cl tune stored parameters) */
    double peak_masked_gflops; /* the same square as a one-segment masked product (pcnn-cl's own kernels
                                  where the device runs them); 0 where the device has none */
    const char *peak_source;   /* which of them gave peak_gflops: "gemm", "masked" or "model" */
    double train_live_gflops; /* live (unmasked) multiply-adds of a step / step time */
    double train_peak_fraction;

    /* OpenCL only (has_compile): set by the caller, which runs probes in fresh processes. */
    int has_compile;
    double compile_cold_s, compile_warm_s; /* open + the first step's extra time */
    double open_cold_s, open_warm_s;

    long host_rss_peak_kib;      /* VmHWM during the training steps */
    long host_rss_base_kib;      /* VmRSS once the device is open, before the model (0 if unknown) */
    uint64_t device_bytes_peak;  /* bytes_peak after the training steps */
    uint64_t analytic_bytes;     /* model_summary's need: weights, gradients, Adam, kept activations */
    uint64_t live_macs_per_step; /* forward+backward, live entries only */

    /* --profile: seconds per step, averaged over profile_steps steps. */
    int profile_steps;
    model_profile profile;
    double profile_optim_s, profile_step_s;
} bench_result;

/* The defaults: small preset, batch 16, 28x28x1 (the default job's), 5 reps, 16 sampled images,
 * 3 naive steps, 2048^3 peak. */
bench_settings bench_defaults(void);

/* Measures device `index`. */
pcnn_status bench_device(int index, const pcnn_device_opts *opts, const bench_settings *s, bench_result *r);
void bench_result_free(bench_result *r);

/* For the compile-time probes (run in a fresh process with an empty cache):
 * opens the device and runs two training steps of batch s->batch. */
pcnn_status bench_open_probe(int index, const pcnn_device_opts *opts, const bench_settings *s, double *open_s,
                             double *first_step_s, double *second_step_s);

#endif
