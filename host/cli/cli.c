/* Flag parsing for every command: see cli.h. */
#include "cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include "io/io_file.h"
#include "pcnn/model_ckpt.h"

static const char *command_summary;

void cli_set_command_summary(const char *summary) { command_summary = summary; }

/* What a string flag's value is, by the flag's name (one table for every
 * command, so the same flag reads the same everywhere). */
static const struct {
    const char *name, *metavar;
} string_metavars[] = {
    {"--checkpoint", "FILE|DIR"},
    {"--run-dir", "DIR"},
    {"--resume", "DIR"},
    {"--data", "SPEC"},
    {"--test-data", "SPEC"},
    {"--device", "SPEC"},
    {"--devices", "all|SPEC,..."},
    {"--preset", "NAME"},
    {"--method", "fast|naive"},
    {"--first-pixel", "model|uniform"},
    {"--optimizer", "adam|rmsprop"},
    {"--split", "standard|seed"},
    {"--mode", "A|B"},
    {"--kernel", "K[xK2]"},
    {"--from", "DIR|FILE"},
    {"--to", "DIR|FILE"},
    {"--out", "FILE"},
    {"--json", "FILE"},
    {"--svg", "FILE"},
    {"--png", "FILE"},
};

static const char *metavar_of(const cli_flag *f)
{
    switch (f->kind) {
    case FLAG_SWITCH:
        return "";
    case FLAG_INT:
    case FLAG_LONG:
        return "N";
    case FLAG_DOUBLE:
        return "X";
    case FLAG_STRING:
        break;
    }
    for (size_t i = 0; i < sizeof string_metavars / sizeof string_metavars[0]; i++)
        if (strcmp(f->name, string_metavars[i].name) == 0)
            return string_metavars[i].metavar;
    return "TEXT";
}

/* Flags whose help starts with "internal:" are for pcnn-cl itself (a probe
 * it runs in a child process): accepted, never listed. */
static int is_internal(const cli_flag *f) { return strncmp(f->help, "internal:", 9) == 0; }

static int has_flag(const cli_flag *flags, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(flags[i].name, name) == 0)
            return 1;
    return 0;
}

/* "  LEFT  help" with the help wrapped at 100 columns under itself. */
static void print_row(const char *left, const char *help, const char *tail)
{
    char text[1024];
    snprintf(text, sizeof text, "%s%s", help, tail);
    enum { INDENT = 27, WIDTH = 100 };
    printf("  %-24s ", left);
    int col = INDENT;
    if ((int)strlen(left) > 24) { /* a long left side gets the help on the next line */
        printf("\n%*s", INDENT, "");
    }
    for (const char *p = text; *p;) {
        while (*p == ' ')
            p++;
        size_t word = strcspn(p, " ");
        if (col > INDENT && col + 1 + (int)word > WIDTH) {
            printf("\n%*s", INDENT, "");
            col = INDENT;
        } else if (col > INDENT) {
            putchar(' ');
            col++;
        }
        printf("%.*s", (int)word, p);
        col += (int)word;
        p += word;
    }
    putchar('\n');
}

static void print_help(const char *command, const char *usage, const cli_flag *flags, int n)
{
    printf("usage: pcnn-cl %s%s%s\n", command, *usage ? " " : "", usage);
    if (command_summary)
        printf("\n%s\n", command_summary);
    if (n)
        printf("\nflags:\n");
    for (int i = 0; i < n; i++) {
        if (is_internal(&flags[i]))
            continue;
        const char *mv = metavar_of(&flags[i]);
        char left[64];
        snprintf(left, sizeof left, "%s%s%s", flags[i].name, *mv ? " " : "", mv);
        print_row(left, flags[i].help, flags[i].required ? " (required)" : "");
    }
    printf("\nglobal flags (before the command: pcnn-cl --device SPEC %s ...):\n", command);
    if (!has_flag(flags, n, "--device"))
        print_row("--device SPEC",
                  "device index (0 = native CPU, 1.. OpenCL) or a piece of its name; see pcnn-cl devices; "
                  "also PCNN_DEVICE (default: the first OpenCL GPU, else 0)",
                  "");
    print_row("--gemm ROUTE",
              "auto|clblast|kernels: an OpenCL device's products (auto: pcnn-cl's kernels on CPU devices, CLBlast on "
              "GPUs); also PCNN_GEMM",
              "");
}

static int set_value(const char *command, cli_flag *f, const char *value)
{
    if (f->kind == FLAG_STRING) {
        *(const char **)f->dst = value;
        return 0;
    }
    char *end;
    errno = 0;
    if (f->kind == FLAG_INT || f->kind == FLAG_LONG) {
        /* Integers as integers: a double holds them exactly only below 2^53,
         * so --seed 9007199254740993 must not become ...992. Exponent forms
         * (1e6) are whole numbers too, where a double holds them exactly. */
        long long iv = strtoll(value, &end, 10);
        int exact = !errno && end != value && !*end;
        if (!exact && !(errno == ERANGE && end != value && !*end)) {
            errno = 0;
            double d = strtod(value, &end);
            if (errno || end == value || *end || !isfinite(d)) {
                fprintf(stderr, "pcnn-cl %s: %s expects a number, got '%s'\n", command, f->name, value);
                return EXIT_USAGE;
            }
            if (d != floor(d) || fabs(d) > 9007199254740992.0) {
                fprintf(stderr, "pcnn-cl %s: %s expects a whole number%s, got '%s'\n", command, f->name,
                        d == floor(d) ? " (write integers above 2^53 in digits)" : "", value);
                return EXIT_USAGE;
            }
            iv = (long long)d;
            exact = 1;
        }
        /* The range check in integers: min and max are whole numbers below 2^63. */
        long long lo = (long long)f->min, hi = f->max >= 9.2233720368547758e18 ? LLONG_MAX : (long long)f->max;
        if (!exact || iv < lo || iv > hi) {
            fprintf(stderr, "pcnn-cl %s: %s must be in %lld..%lld, got %s\n", command, f->name, lo, hi, value);
            return EXIT_USAGE;
        }
        if (f->kind == FLAG_INT)
            *(int *)f->dst = (int)iv;
        else
            *(long *)f->dst = (long)iv;
        return 0;
    }
    double v = strtod(value, &end);
    if (errno || end == value || *end || !isfinite(v)) {
        fprintf(stderr, "pcnn-cl %s: %s expects a number, got '%s'\n", command, f->name, value);
        return EXIT_USAGE;
    }
    if (v < f->min || v > f->max) {
        fprintf(stderr, "pcnn-cl %s: %s must be in %.15g..%.15g, got %s\n", command, f->name, f->min, f->max, value);
        return EXIT_USAGE;
    }
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
        int global = (len == 8 && strncmp(arg, "--device", 8) == 0) || (len == 6 && strncmp(arg, "--gemm", 6) == 0);
        if (!f && global) {
            fprintf(stderr,
                    "pcnn-cl %s: %.*s is a global flag: put it before the command (pcnn-cl %.*s VALUE %s ...)\n",
                    command, (int)len, arg, (int)len, arg, command);
            return EXIT_USAGE;
        }
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

int cli_checkpoint_path(const char *command, const char *flag, const char *path, char *buf, size_t size)
{
    struct stat sb;
    int n = stat(path, &sb) == 0 && S_ISDIR(sb.st_mode) ? snprintf(buf, size, "%s/checkpoint.pcnn", path)
                                                        : snprintf(buf, size, "%s", path);
    if (n < 0 || (size_t)n >= size) {
        fprintf(stderr, "pcnn-cl %s: %s: the path is too long\n", command, flag);
        return EXIT_USAGE;
    }
    if (strcmp(buf, path) != 0 && access(buf, F_OK) != 0) {
        fprintf(stderr,
                "pcnn-cl %s: %s %s: the directory holds no checkpoint.pcnn (a run directory has one after "
                "its first checkpoint)\n",
                command, flag, path);
        return EXIT_USAGE;
    }
    return 0;
}

int cli_checkpoint_config(const char *path, pcnn_config *cfg)
{
    pcnn_ckpt ck;
    pcnn_status st = pcnn_ckpt_read(path, &ck);
    if (!st) {
        size_t n_params;
        const pcnn_record *params;
        st = pcnn_ckpt_model_records(&ck, path, cfg, &n_params, &params);
        pcnn_ckpt_free(&ck);
    }
    if (st)
        cli_report_error();
    return cli_exit_code(st);
}

int cli_check_output(const char *flag, const char *path, int is_dir)
{
    pcnn_status st = path ? output_check(path, flag, is_dir) : PCNN_OK;
    if (st)
        cli_report_error();
    return cli_exit_code(st);
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
