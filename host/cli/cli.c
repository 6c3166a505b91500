/* Flag parsing for every command: see cli.h. */
#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_help(const char *command, const char *usage, const cli_flag *flags, int n)
{
    printf("usage: pcnn-cl %s %s\n\n", command, usage);
    for (int i = 0; i < n; i++) {
        const char *arg = flags[i].kind == FLAG_SWITCH ? "" : flags[i].kind == FLAG_STRING ? " VALUE" : " N";
        char left[64];
        snprintf(left, sizeof left, "%s%s", flags[i].name, arg);
        printf("  %-24s %s%s\n", left, flags[i].help, flags[i].required ? " (required)" : "");
    }
}

static int set_value(const char *command, cli_flag *f, const char *value)
{
    if (f->kind == FLAG_STRING) {
        *(const char **)f->dst = value;
        return 0;
    }
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    if (errno || end == value || *end || !isfinite(v)) {
        fprintf(stderr, "pcnn-cl %s: %s expects a number, got '%s'\n", command, f->name, value);
        return EXIT_USAGE;
    }
    if ((f->kind == FLAG_INT || f->kind == FLAG_LONG) && v != floor(v)) {
        fprintf(stderr, "pcnn-cl %s: %s expects a whole number, got '%s'\n", command, f->name, value);
        return EXIT_USAGE;
    }
    if (v < f->min || v > f->max) {
        fprintf(stderr, "pcnn-cl %s: %s must be in %.15g..%.15g, got %s\n", command, f->name, f->min, f->max, value);
        return EXIT_USAGE;
    }
    if (f->kind == FLAG_INT)
        *(int *)f->dst = (int)v;
    else if (f->kind == FLAG_LONG)
        *(long *)f->dst = (long)v;
    else
        *(double *)f->dst = v;
    return 0;
}

int cli_parse(const char *command, const char *usage, cli_flag *flags, int nflags, int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_help(command, usage, flags, nflags);
            return -1;
        }
        const char *eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        cli_flag *f = NULL;
        for (int k = 0; k < nflags; k++)
            if (strlen(flags[k].name) == len && strncmp(flags[k].name, arg, len) == 0)
                f = &flags[k];
        if (!f) {
            fprintf(stderr, "pcnn-cl %s: unknown %s '%.*s' (see pcnn-cl %s --help)\n", command,
                    arg[0] == '-' ? "flag" : "argument", (int)len, arg, command);
            return EXIT_USAGE;
        }
        f->seen = 1;
        if (f->kind == FLAG_SWITCH) {
            if (eq) {
                fprintf(stderr, "pcnn-cl %s: %s takes no value\n", command, f->name);
                return EXIT_USAGE;
            }
            *(int *)f->dst = 1;
            continue;
        }
        const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!value || !*value) { /* an empty value is a forgotten one ("--run-dir $DIR") */
            fprintf(stderr, "pcnn-cl %s: %s needs a value\n", command, f->name);
            return EXIT_USAGE;
        }
        int rc = set_value(command, f, value);
        if (rc)
            return rc;
    }
    for (int k = 0; k < nflags; k++)
        if (flags[k].required && !flags[k].seen) {
            fprintf(stderr, "pcnn-cl %s: %s is required (see pcnn-cl %s --help)\n", command, flags[k].name, command);
            return EXIT_USAGE;
        }
    return 0;
}

void cli_report_error(void) { fprintf(stderr, "pcnn-cl: %s\n", pcnn_last_error()); }

int cli_exit_code(pcnn_status st) { return st == PCNN_OK ? 0 : st == PCNN_ERR_ARG ? EXIT_USAGE : EXIT_JOB_FAILED; }

int cli_open_rank_device(const cli_context *ctx, int local_rank, pcnn_device **dev)
{
    pcnn_device_opts opts = ctx->opts;
    opts.local_rank = local_rank;
    pcnn_status st = pcnn_device_open(ctx->device, &opts, dev);
    if (st)
        cli_report_error();
    return cli_exit_code(st);
}

int cli_open_device(const cli_context *ctx, pcnn_device **dev) { return cli_open_rank_device(ctx, 0, dev); }

int cli_device_index(const cli_context *ctx, const char *spec, int *index)
{
    pcnn_status st = pcnn_device_select(spec ? spec : ctx->device, 0, index);
    if (st)
        cli_report_error();
    return cli_exit_code(st);
}

/* Library log lines (warnings, a tuner's progress) go to stderr, marked. */
static void log_to_stderr(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "pcnn-cl: %s\n", line);
}

/* 1 for a set switch variable ("1", "yes"; "0" and "" are off). */
static int env_on(const char *name)
{
    const char *v = getenv(name);
    return v && *v && strcmp(v, "0") != 0;
}

int cli_context_from_env(cli_context *ctx, const char *program)
{
    static char cache_dir[4096];
    memset(ctx, 0, sizeof *ctx);
    ctx->program = program;
    ctx->device = getenv("PCNN_DEVICE");
    ctx->opts = pcnn_device_opts_default();
    ctx->opts.log = (pcnn_log){log_to_stderr, NULL};
    const char *gemm = getenv("PCNN_GEMM");
    if (gemm && *gemm && pcnn_gemm_route_parse(gemm, &ctx->opts.gemm)) {
        fprintf(stderr, "pcnn-cl: PCNN_GEMM=%s: expected auto, clblast or kernels\n", gemm);
        return EXIT_USAGE;
    }
    /* The XDG base directory rule for caches. */
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n = xdg && *xdg     ? snprintf(cache_dir, sizeof cache_dir, "%s/pcnn-cl", xdg)
            : home && *home ? snprintf(cache_dir, sizeof cache_dir, "%s/.cache/pcnn-cl", home)
                            : -1;
    ctx->opts.cache_dir = n > 0 && (size_t)n < sizeof cache_dir ? cache_dir : NULL;
    ctx->opts.no_tune = env_on("PCNN_NO_TUNE");
    ctx->opts.profile = env_on("PCNN_CL_PROFILE");
    const char *dir = getenv("PCNN_CL_DIR");
    ctx->opts.kernel_dir = dir && *dir ? dir : NULL;
    const char *tiles = getenv("PCNN_CL_GEMM_TILES");
    if (tiles && *tiles) {
        int *t = ctx->opts.gemm_tiles;
        char tail;
        if (sscanf(tiles, "%d,%d,%d,%d%c", &t[0], &t[1], &t[2], &t[3], &tail) != 4 || t[0] <= 0 || t[1] <= 0 ||
            t[2] <= 0 || t[3] <= 0) {
            fprintf(stderr, "pcnn-cl: PCNN_CL_GEMM_TILES=%s: expected MR,NR,MC,TN_CHUNK (four positive numbers)\n",
                    tiles);
            return EXIT_USAGE;
        }
    }
    return 0;
}
