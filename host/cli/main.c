/* pcnn-cl: the command-line program. Global flags come before the command
 * (pcnn-cl --device 1 train ...); each command parses its own flags. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_sysinfo.h"
#include "cli/cli_commands.h"
#include "cli/cli_signals.h"
#include "pcnn_commit.h" /* generated at every build: cmake/commit.cmake */
#include "train/train_dist.h"

#ifndef PCNN_VERSION
#define PCNN_VERSION "unknown"
#endif

/* pcnn-cl --version: the version, the commit, the backends and the libraries
 * compiled in (versions from the build; OpenBLAS's and MPI's also as the
 * libraries loaded now report themselves). */
static void print_version(void)
{
    sysinfo sys;
    sysinfo_get(&sys);
    const char *mpi = dist_library_version();
    printf("pcnn-cl %s\n", PCNN_VERSION);
    printf("commit: %s\n", PCNN_COMMIT);
#ifdef PCNN_OPENCL
    printf("backends: cpu (device 0), opencl (devices 1..)\n");
    printf("opencl: %s headers and ICD loader; CLBlast %s\n", PCNN_BUILD_OPENCL, PCNN_CLBLAST_VERSION);
#else
    printf("backends: cpu (device 0); opencl not compiled in\n");
#endif
    printf("openblas: %s (loaded: %s)\n", PCNN_BUILD_OPENBLAS, sys.openblas);
    if (mpi)
        printf("mpi: %s (loaded: %s)\n", PCNN_BUILD_MPI, mpi);
    else
        printf("mpi: not compiled in (training runs in one process)\n");
    printf("openmp: %s\nzlib: %s\ncompiler: %s\n", PCNN_BUILD_OPENMP, PCNN_BUILD_ZLIB, PCNN_BUILD_COMPILER);
}

typedef struct {
    const char *name;
    int (*run)(const cli_context *ctx, int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"devices", cmd_devices, "the compute devices --device accepts: full names, compute units, memory (--json)"},
    {"train", cmd_train, "train a model on a dataset: progress, run directory, checkpoints, exact resume"},
    {"eval", cmd_eval, "negative log-likelihood of a dataset in bits/dim"},
    {"import", cmd_import, "a weights directory (config.txt + .npy files) into a checkpoint"},
    {"export", cmd_export, "a checkpoint's weights into a weights directory"},
    {"masks", cmd_masks, "draw or print the masks the model uses, as the seed's figure"},
    {"summary", cmd_summary, "the model's layers, parameters, multiply-adds, receptive field, memory"},
    {"sample", cmd_sample, "draw images from a checkpoint (PNG grid + .npy); --bench times fast vs naive"},
    {"bench", cmd_bench, "time training, eval, sampling and GEMMs on devices; table, JSON, SVG chart"},
    {"tune", cmd_tune, "tune CLBlast's GEMM for the model's shapes on an OpenCL device (applied at every start)"},
};
enum { N_COMMANDS = sizeof commands / sizeof commands[0] };

static void usage(FILE *to)
{
    fprintf(to,
            "usage: pcnn-cl [--device SPEC] [--gemm ROUTE] COMMAND [FLAGS]   (pcnn-cl COMMAND --help for its flags)\n\n"
            "global flags:\n"
            "  --device SPEC  device index (0 = native CPU, 1.. OpenCL; see pcnn-cl devices) or a piece of its\n"
            "                 name; a comma list gives one per MPI rank; also PCNN_DEVICE\n"
            "                 (default: the first OpenCL GPU, else 0)\n"
            "  --gemm ROUTE   auto|clblast|kernels: the products of an OpenCL device (auto: pcnn-cl's kernels\n"
            "                 on CPU devices, CLBlast on GPUs); also PCNN_GEMM\n"
            "  --version      print the version, the commit, the backends and libraries compiled in\n\n"
            "environment (developer knobs):\n"
            "  PCNN_NO_TUNE=1          ignore the results of pcnn-cl tune\n"
            "  PCNN_CL_PROFILE=1       time every OpenCL command; a table on stderr at exit\n"
            "  PCNN_CL_DIR=DIR         read the OpenCL kernels from DIR (e.g. cl) instead of the built-in copies\n"
            "  PCNN_CL_GEMM_TILES=MR,NR,MC,TN_CHUNK   cl/gemm.cl's tiles (overrides pcnn-cl tune's)\n"
            "  XDG_CACHE_HOME          compiled kernels and tune results go to $XDG_CACHE_HOME/pcnn-cl\n"
            "                          (default ~/.cache/pcnn-cl)\n\ncommands:\n");
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(to, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

/* A global flag NAME VALUE or NAME=VALUE at argv[*i]: 1 if it is this flag,
 * with *value set (NULL after a one-line error for a missing or empty one). */
static int global_flag(int argc, char **argv, int *i, const char *name, const char **value)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0 || (argv[*i][n] != '\0' && argv[*i][n] != '='))
        return 0;
    const char *v = argv[*i][n] == '=' ? argv[*i] + n + 1 : *i + 1 < argc ? argv[++*i] : NULL;
    *value = v && *v ? v : NULL;
    if (!*value)
        fprintf(stderr, "pcnn-cl: %s needs a value\n", name);
    return 1;
}

int main(int argc, char **argv)
{
    cli_context ctx;
    if (cli_context_from_env(&ctx, argv[0]))
        return EXIT_USAGE;
    cli_signals_init(); /* SIGPIPE and SIGXFSZ ignored: a failed write says so */
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *value = NULL;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--version") == 0) {
            print_version();
            return 0;
        } else if (global_flag(argc, argv, &i, "--device", &value)) {
            if (!value)
                return EXIT_USAGE;
            ctx.device = value;
        } else if (global_flag(argc, argv, &i, "--gemm", &value)) {
            if (!value)
                return EXIT_USAGE;
            if (pcnn_gemm_route_parse(value, &ctx.opts.gemm)) {
                fprintf(stderr, "pcnn-cl: --gemm '%s': expected auto, clblast or kernels\n", value);
                return EXIT_USAGE;
            }
        } else {
            fprintf(stderr, "pcnn-cl: unknown global flag '%s' (see pcnn-cl --help)\n", argv[i]);
            return EXIT_USAGE;
        }
    }
    if (i >= argc) { /* one line, as for every other bad command line */
        fprintf(stderr, "pcnn-cl: no command given: one of");
        for (int c = 0; c < N_COMMANDS; c++)
            fprintf(stderr, " %s", commands[c].name);
        fprintf(stderr, " (see pcnn-cl --help)\n");
        return EXIT_USAGE;
    }
    for (int c = 0; c < N_COMMANDS; c++)
        if (strcmp(argv[i], commands[c].name) == 0) {
            cli_set_command_summary(commands[c].summary);
            /* A stop signal removes the temp files of any write in progress and
             * exits 128+N; train switches to "save and stop" once it runs. */
            cli_catch_stop(commands[c].name, CLI_STOP_EXIT);
            return commands[c].run(&ctx, argc - i - 1, argv + i + 1);
        }
    fprintf(stderr, "pcnn-cl: unknown command '%s' (see pcnn-cl --help)\n", argv[i]);
    return EXIT_USAGE;
}
