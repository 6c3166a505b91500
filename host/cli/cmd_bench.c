/* pcnn-cl bench [--devices all|LIST] [--preset P] [--batch B] [...]: measures
 * every listed device on the same model and prints a table (one column per
 * device), with --json and --svg writing the same results. The measuring is
 * host/bench/bench.c; this file parses flags, runs the compile-time probes and prints.
 *
 * Compile time needs a cold start, and both our cache and PoCL's kcache live
 * under XDG_CACHE_HOME and are read when OpenCL starts, once per process: so
 * each probe is a fresh `pcnn-cl bench --probe-open` process with
 * XDG_CACHE_HOME pointing at a new empty directory (cold), run again on the
 * same directory (warm). */
/* nftw, mkdtemp, posix_spawn: POSIX 2008 with XSI. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench_report.h"
#include "cli/cli_commands.h"

extern char **environ;

/* Above this 1-minute load average before a run, other work was sharing the
 * cores (the "after" figure includes the benchmark's own load). */
#define QUIET_LOAD 0.3

/* "all", or device specs (indices or names, as --device takes) separated by
 * commas, into indices; returns the count or -1 after printing why. */
static int parse_devices(const cli_context *ctx, const char *spec, int *idx, int cap)
{
    int total = pcnn_device_count(NULL), n = 0;
    if (strcmp(spec, "all") == 0) {
        for (int i = 0; i < total && n < cap; i++)
            idx[n++] = i;
        return n;
    }
    for (const char *p = spec; n < cap;) {
        size_t len = strcspn(p, ",");
        if (len == 0) {
            fprintf(stderr, "pcnn-cl bench: --devices '%s': an empty entry in the list\n", spec);
            return -1;
        }
        char one[256];
        snprintf(one, sizeof one, "%.*s", (int)(len < sizeof one ? len : sizeof one - 1), p);
        if (cli_device_index(ctx, one, &idx[n]))
            return -1;
        n++;
        if (!p[len])
            break;
        p += len + 1;
    }
    return n;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/* Runs `pcnn-cl --device N bench --probe-open ...` with XDG_CACHE_HOME=cache
 * and reads its one line of results. */
static int run_probe(const cli_context *ctx, int index, const bench_settings *s, const char *ckpt, const char *cache,
                     double out[3])
{
    char dev[16], batch[16], h[16], w[16], c[16], xdg[4200];
    snprintf(dev, sizeof dev, "%d", index);
    snprintf(batch, sizeof batch, "%d", s->batch);
    snprintf(h, sizeof h, "%d", s->height);
    snprintf(w, sizeof w, "%d", s->width);
    snprintf(c, sizeof c, "%d", s->colours);
    snprintf(xdg, sizeof xdg, "XDG_CACHE_HOME=%s", cache);
    char *argv[] = {"pcnn-cl",
                    "--device",
                    dev,
                    "--gemm",
                    (char *)pcnn_gemm_route_name(ctx->opts.gemm),
                    "bench",
                    "--probe-open",
                    ckpt ? "--checkpoint" : "--preset",
                    ckpt ? (char *)ckpt : (char *)s->preset,
                    "--batch",
                    batch,
                    "--height",
                    h,
                    "--width",
                    w,
                    "--colours",
                    c,
                    NULL};
    size_t n_env = 0;
    while (environ[n_env])
        n_env++;
    char **env = calloc(n_env + 2, sizeof *env);
    int fds[2];
    if (!env || pipe(fds) != 0) {
        free(env);
        return 0;
    }
    size_t k = 0;
    for (size_t i = 0; i < n_env; i++)
        if (strncmp(environ[i], "XDG_CACHE_HOME=", 15) != 0)
            env[k++] = environ[i];
    env[k++] = xdg;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    pid_t pid;
    int ok = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, env) == 0;
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    free(env);
    FILE *f = fdopen(fds[0], "r");
    char line[256];
    int got = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "probe open_s=%lf first_step_s=%lf second_step_s=%lf", &out[0], &out[1], &out[2]) == 3)
            got = 1;
    if (f)
        fclose(f);
    else
        close(fds[0]);
    int status = 0;
    if (ok)
        waitpid(pid, &status, 0);
    return ok && got && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Cold and warm compile times of an OpenCL device (a note on stderr if the probes fail). */
static void measure_compile(const cli_context *ctx, bench_result *r, const bench_settings *s, const char *ckpt)
{
    char dir[] = "/tmp/pcnn-bench-cache-XXXXXX";
    if (!mkdtemp(dir))
        return;
    double cold[3], warm[3];
    if (run_probe(ctx, r->index, s, ckpt, dir, cold) && run_probe(ctx, r->index, s, ckpt, dir, warm)) {
        r->has_compile = 1;
        r->open_cold_s = cold[0];
        r->open_warm_s = warm[0];
        /* The first step's extra time is CLBlast compiling its GEMM kernels. */
        r->compile_cold_s = cold[0] + (cold[1] - cold[2] > 0 ? cold[1] - cold[2] : 0);
        r->compile_warm_s = warm[0] + (warm[1] - warm[2] > 0 ? warm[1] - warm[2] : 0);
    } else {
        fprintf(stderr, "pcnn-cl bench: note: the compile-time probe failed on device %d\n", r->index);
    }
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void row(const char *label, const bench_result *r, int n, double (*get)(const bench_result *), const char *fmt)
{
    printf("%-34s", label);
    for (int i = 0; i < n; i++) {
        double v = get(&r[i]);
        char cell[64];
        if (v != v)
            snprintf(cell, sizeof cell, "-");
        else
            snprintf(cell, sizeof cell, fmt, v);
        printf(" %22s", cell);
    }
    printf("\n");
}

static double best_model_product(const bench_result *r)
{
    double best = 0;
    for (int k = 0; k < r->n_gemms; k++)
        if (r->gemms[k].gflops.median > best)
            best = r->gemms[k].gflops.median;
    return best;
}

#define GETTER(name, expr)                                                                                             \
    static double name(const bench_result *r) { return (expr); }
GETTER(g_train, r->train_ips.median)
GETTER(g_train_min, r->train_ips.min)
GETTER(g_train_max, r->train_ips.max)
GETTER(g_eval, r->eval_ips.median)
GETTER(g_fast, r->sampling.fast_ips.n ? r->sampling.fast_ips.median : 0.0 / 0.0)
GETTER(g_naive, r->sampling.naive_subpixel_s.n ? r->sampling.naive_ips : 0.0 / 0.0)
GETTER(g_gemm, r->model_gemm_gflops)
GETTER(g_peak, r->peak_gflops)
GETTER(g_peak_plain, r->peak_plain_gflops)
GETTER(g_peak_masked, r->peak_masked_gflops > 0 ? r->peak_masked_gflops : 0.0 / 0.0)
GETTER(g_peak_model, best_model_product(r))
GETTER(g_live, r->train_live_gflops)
GETTER(g_frac, 100.0 * r->train_peak_fraction)
GETTER(g_cold, r->has_compile ? r->compile_cold_s : 0.0 / 0.0)
GETTER(g_warm, r->has_compile ? r->compile_warm_s : 0.0 / 0.0)
GETTER(g_rss, r->host_rss_peak_kib / 1024.0)
GETTER(g_dev, r->device_bytes_peak / 1048576.0)
GETTER(g_need, r->analytic_bytes / 1048576.0)
GETTER(g_dev_ratio, (double)r->device_bytes_peak / (double)r->analytic_bytes)
GETTER(g_rss_ratio, r->host_rss_peak_kib * 1024.0 / (double)r->analytic_bytes)
GETTER(g_rss_added, r->host_rss_base_kib ? (r->host_rss_peak_kib - r->host_rss_base_kib) / 1024.0 : 0.0 / 0.0)
GETTER(g_rss_added_ratio, r->host_rss_base_kib ? (r->host_rss_peak_kib - r->host_rss_base_kib) * 1024.0 /
                                                     (double)r->analytic_bytes
                                               : 0.0 / 0.0)

/* Where a step's time goes on one device: ms per step by layer kind. */
static void print_profile(const bench_result *r)
{
    const model_profile *p = &r->profile;
    double layers = 0.0;
    for (int k = 0; k < PROFILE_KINDS; k++)
        layers += p->forward_s[k] + p->backward_s[k];
    double other = r->profile_step_s - layers - r->profile_optim_s;
    printf("\nprofile, device %d: ms per training step (mean of %d; each layer waits for the device)\n", r->index,
           r->profile_steps);
    printf("%-34s %10s %10s %10s %7s\n", "layer kind", "forward", "backward", "total", "share");
    for (int k = 0; k < PROFILE_KINDS; k++) {
        double f = p->forward_s[k], b = p->backward_s[k];
        printf("%-34s %10.2f %10.2f %10.2f %6.1f%%\n", profile_kind_names[k], 1e3 * f, 1e3 * b, 1e3 * (f + b),
               100.0 * (f + b) / r->profile_step_s);
    }
    printf("%-34s %10s %10s %10.2f %6.1f%%\n", "optimizer (Adam)", "", "", 1e3 * r->profile_optim_s,
           100.0 * r->profile_optim_s / r->profile_step_s);
    printf("%-34s %10s %10s %10.2f %6.1f%%\n", "other (upload, loss readback)", "", "", 1e3 * other,
           100.0 * other / r->profile_step_s);
    printf("%-34s %10s %10s %10.2f\n", "step", "", "", 1e3 * r->profile_step_s);
}

static void print_load(const char *when, const double l[3])
{
    printf("load average %s: %.2f, %.2f, %.2f (1, 5, 15 min)%s\n", when, l[0], l[1], l[2],
           l[0] > QUIET_LOAD ? "  [not a quiet machine]" : "");
}

static void print_table(const sysinfo *sys, const bench_settings *s, const bench_result *r, int n, int verbose)
{
    printf("machine: %s, %d cores, %.1f GiB; pcnn-cl %s, %s, CLBlast %s\n", sys->cpu_model, sys->cores,
           sys->memory_bytes / 1073741824.0, sys->pcnn, sys->openblas, sys->clblast);
    print_load("before", sys->load_before);
    print_load("after", sys->load_after);
    if (s->hidden_dim)
        printf("model: %s (hidden_dim %d, out_dim %d, %d blocks)", s->preset, s->hidden_dim, s->out_dim, s->n_layers);
    else
        printf("model: preset %s", s->preset);
    printf(", batch %d, %dx%dx%d; median of %d reps after a warm-up (min..max in JSON)\n", s->batch, s->height,
           s->width, s->colours, s->reps);
    for (int i = 0; i < n; i++)
        printf("device %d: %s\n", r[i].index, r[i].name);
    printf("%-34s", "metric");
    for (int i = 0; i < n; i++) {
        char head[32];
        snprintf(head, sizeof head, "device %d", r[i].index);
        printf(" %22s", head);
    }
    printf("\n");
    row("train step, images/s", r, n, g_train, "%.2f");
    row("  min", r, n, g_train_min, "%.2f");
    row("  max", r, n, g_train_max, "%.2f");
    row("eval forward, images/s", r, n, g_eval, "%.2f");
    row("fast sampling, images/s", r, n, g_fast, "%.3f");
    row("naive sampling, images/s (extrap.)", r, n, g_naive, "%.3g");
    row("model GEMMs as trained, GFLOP/s", r, n, g_gemm, "%.1f");
    row("sgemm peak, GFLOP/s (best below)", r, n, g_peak, "%.1f");
    row("  square, the plain GEMM", r, n, g_peak_plain, "%.1f");
    row("  square, the masked kernels", r, n, g_peak_masked, "%.1f");
    row("  fastest model product", r, n, g_peak_model, "%.1f");
    row("train, live GFLOP/s", r, n, g_live, "%.1f");
    row("train, % of sgemm peak", r, n, g_frac, "%.1f");
    row("compile cold, s", r, n, g_cold, "%.2f");
    row("compile warm, s", r, n, g_warm, "%.2f");
    row("host RSS peak, MiB", r, n, g_rss, "%.1f");
    row("device bytes peak, MiB", r, n, g_dev, "%.1f");
    row("analytic training need, MiB", r, n, g_need, "%.1f");
    row("device bytes peak / need", r, n, g_dev_ratio, "%.2f");
    row("host RSS peak / need", r, n, g_rss_ratio, "%.2f");
    row("host RSS added by training, MiB", r, n, g_rss_added, "%.1f");
    row("host RSS added / need", r, n, g_rss_added_ratio, "%.2f");
    for (int i = 0; i < n; i++)
        if (r[i].profile_steps)
            print_profile(&r[i]);
    for (int i = 0; i < n; i++)
        if (!r[i].fast_supported)
            fprintf(stderr, "pcnn-cl bench: note: device %d sampling %s\n", r[i].index, r[i].fast_note);
    for (int i = 0; verbose && i < n; i++)
        for (int k = 0; k < r[i].n_gemms; k++) {
            const step_product *p = &r[i].gemms[k].product;
            const gemm_shape *g = &p->shape;
            printf("gemm device=%d %s%s op=%c%c m=%d n=%d k=%d count=%d gflops=%.2f\n", r[i].index,
                   product_kind_name(p->kind),
                   !p->gathered           ? ""
                   : p->gather.transposed ? " gathered-transposed"
                                          : " gathered",
                   g->ta ? 'T' : 'N', g->tb ? 'T' : 'N', g->m, g->n, g->k, g->count, r[i].gemms[k].gflops.median);
        }
}

int cmd_bench(const cli_context *ctx, int argc, char **argv)
{
    bench_settings s = bench_defaults();
    const char *devices = "all", *json = NULL, *svg = NULL;
    const char *ckpt_arg = NULL, *run_dir = NULL;
    int probe = 0, no_compile = 0, verbose = 0;
    cli_flag flags[] = {
        {"--devices", FLAG_STRING, &devices, "all (default) or devices (indices or names), e.g. 0,1", 0, 0, 0, 0},
        {"--preset", FLAG_STRING, &s.preset, "tiny, small (default), paper or seed", 0, 0, 0, 0},
        {"--checkpoint", FLAG_STRING, &ckpt_arg,
         "the model of this checkpoint (or run directory): its widths, depth and image size", 0, 0, 0, 0},
        {"--run-dir", FLAG_STRING, &run_dir, "the model of this run directory (its checkpoint.pcnn)", 0, 0, 0, 0},
        {"--batch", FLAG_INT, &s.batch, "training and eval batch (16)", 1, 1 << 20, 0, 0},
        {"--height", FLAG_INT, &s.height, "image height (28, the default job's, or the checkpoint's)", 1, 4096, 0, 0},
        {"--width", FLAG_INT, &s.width, "image width (28, or the checkpoint's)", 1, 4096, 0, 0},
        {"--colours", FLAG_INT, &s.colours, "1 or 3 (1, or the checkpoint's)", 1, 3, 0, 0},
        {"--reps", FLAG_INT, &s.reps, "timed repetitions per workload, after a warm-up (5)", 1, 64, 0, 0},
        {"--sample-n", FLAG_INT, &s.sample_n, "images the samplers draw (16)", 1, 1 << 16, 0, 0},
        {"--naive-steps", FLAG_INT, &s.naive_steps, "sub-pixels the naive sampler is timed over, 0 skips (3)", 0,
         1 << 20, 0, 0},
        {"--peak-size", FLAG_INT, &s.peak_size, "n of the n^3 sgemm that measures the peak (2048)", 16, 16384, 0, 0},
        {"--profile", FLAG_SWITCH, &s.profile, "also time each layer kind over --reps training steps", 0, 0, 0, 0},
        {"--no-compile", FLAG_SWITCH, &no_compile, "skip the OpenCL compile-time probes", 0, 0, 0, 0},
        {"--json", FLAG_STRING, &json, "write the results as JSON", 0, 0, 0, 0},
        {"--svg", FLAG_STRING, &svg, "write a bar chart comparing the devices (min..max whiskers)", 0, 0, 0, 0},
        {"--verbose", FLAG_SWITCH, &verbose, "also print every model GEMM's shape and GFLOP/s after the table", 0, 0, 0,
         0},
        {"--probe-open", FLAG_SWITCH, &probe, "internal: time opening --device and two steps", 0, 0, 0, 0},
    };
    int rc = cli_parse("bench",
                       "[--devices all|SPEC,...] [--preset NAME | --checkpoint FILE|DIR | --run-dir DIR] [--batch N] "
                       "[--height N --width N --colours N] [--reps N] [--json FILE] [--svg FILE] [--verbose]",
                       flags, sizeof flags / sizeof flags[0], argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (s.colours == 2) {
        fprintf(stderr, "pcnn-cl bench: --colours must be 1 or 3\n");
        return EXIT_USAGE;
    }
    pcnn_config check = {0};
    if (pcnn_config_preset(s.preset, &check)) {
        cli_report_error();
        return EXIT_USAGE;
    }
    char ckpt_path[4096];
    const char *ckpt = NULL;
    if ((flags[1].seen != 0) + (ckpt_arg != NULL) + (run_dir != NULL) > 1) {
        fprintf(stderr, "pcnn-cl bench: give one of --preset, --checkpoint and --run-dir\n");
        return EXIT_USAGE;
    }
    if (ckpt_arg || run_dir) {
        pcnn_config cfg;
        if ((rc = cli_checkpoint_path("bench", ckpt_arg ? "--checkpoint" : "--run-dir", ckpt_arg ? ckpt_arg : run_dir,
                                      ckpt_path, sizeof ckpt_path)) ||
            (rc = cli_checkpoint_config(ckpt_path, &cfg)))
            return rc;
        ckpt = ckpt_path;
        s.preset = "checkpoint";
        s.hidden_dim = cfg.hidden_dim;
        s.out_dim = cfg.out_dim;
        s.n_layers = cfg.n_layers;
        if (!flags[5].seen)
            s.height = cfg.height;
        if (!flags[6].seen)
            s.width = cfg.width;
        if (flags[7].seen && s.colours != cfg.channels) {
            fprintf(stderr, "pcnn-cl bench: --colours %d: %s holds a %d-colour model\n", s.colours, ckpt, cfg.channels);
            return EXIT_USAGE;
        }
        s.colours = cfg.channels;
    }
    if (probe) {
        int index;
        if (cli_device_index(ctx, NULL, &index))
            return EXIT_USAGE;
        double t[3];
        pcnn_status st = bench_open_probe(index, &ctx->opts, &s, &t[0], &t[1], &t[2]);
        if (st) {
            cli_report_error();
            return cli_exit_code(st);
        }
        printf("probe open_s=%.6f first_step_s=%.6f second_step_s=%.6f\n", t[0], t[1], t[2]);
        return 0;
    }
    int idx[64];
    int n = parse_devices(ctx, devices, idx, 64);
    if (n < 0)
        return EXIT_USAGE;
    /* The outputs before minutes of measuring. */
    if ((rc = cli_check_output("--json", json, 0)) || (rc = cli_check_output("--svg", svg, 0)))
        return rc;
    bench_result *r = calloc((size_t)n, sizeof *r);
    if (!r) {
        fprintf(stderr, "pcnn-cl bench: out of memory\n");
        return EXIT_JOB_FAILED;
    }
    sysinfo sys;
    sysinfo_get(&sys);
    pcnn_status st = PCNN_OK;
    for (int i = 0; !st && i < n; i++) {
        fprintf(stderr, "pcnn-cl bench: device %d ...\n", idx[i]);
        st = bench_device(idx[i], &ctx->opts, &s, &r[i]);
        if (!st && idx[i] > 0 && !no_compile)
            measure_compile(ctx, &r[i], &s, ckpt);
    }
    sysinfo_load_average(sys.load_after);
    if (!st)
        print_table(&sys, &s, r, n, verbose);
    if (!st && json) {
        st = bench_write_json(json, &sys, &s, r, n);
        if (!st)
            fprintf(stderr, "pcnn-cl bench: wrote %s\n", json);
    }
    if (!st && svg) {
        st = bench_write_svg(svg, &s, r, n);
        if (!st)
            fprintf(stderr, "pcnn-cl bench: wrote %s\n", svg);
    }
    if (st)
        cli_report_error();
    for (int i = 0; i < n; i++)
        bench_result_free(&r[i]);
    free(r);
    return cli_exit_code(st);
}
