/* Command-line plumbing shared by the commands: flag tables, parsing with
 * one-line errors, and the global context (the chosen device). */
#ifndef PCNN_CLI_H
#define PCNN_CLI_H

#include <stddef.h>

#include "pcnn/config.h"
#include "pcnn/device.h"

/* Exit codes: 0 success, 1 the job failed, 2 the command line was wrong. */
enum { EXIT_JOB_FAILED = 1, EXIT_USAGE = 2 };

typedef enum { FLAG_STRING, FLAG_INT, FLAG_LONG, FLAG_DOUBLE, FLAG_SWITCH } flag_kind;

typedef struct {
    const char *name; /* "--batch" */
    flag_kind kind;
    void *dst;        /* const char **, int *, long *, double *, or int * for switches */
    const char *help; /* one line; "(required)" is added for required flags */
    double min, max;  /* accepted range for numbers */
    int required;
    int seen;
} cli_flag;

/* What the global flags and the environment say, for every command. The CLI
 * is the one place that reads the environment (PCNN_DEVICE, PCNN_GEMM,
 * PCNN_NO_TUNE, PCNN_CL_PROFILE, PCNN_CL_DIR, PCNN_CL_GEMM_TILES,
 * XDG_CACHE_HOME / HOME): the library gets it all as device options. */
typedef struct {
    const char *device; /* --device / PCNN_DEVICE, or NULL (the default device) */
    const char *program;
    pcnn_device_opts opts; /* --gemm, the cache directory and the developer knobs */
} cli_context;

/* Fills ctx from the environment (before the global flags override it);
 * returns 0, or EXIT_USAGE after a one-line error for a malformed value. */
int cli_context_from_env(cli_context *ctx, const char *program);

/* Parses argv against the table. Returns 0 to go on, EXIT_USAGE after printing
 * a one-line error, or -1 after printing --help (the caller exits 0). */
int cli_parse(const char *command, const char *usage, cli_flag *flags, int nflags, int argc, char **argv);

/* Opens the device the context names (with local_rank: the entry of a
 * comma-separated --device for that MPI rank). Returns 0, or the exit code
 * after printing the error (EXIT_USAGE when no device matches). */
int cli_open_device(const cli_context *ctx, pcnn_device **dev);
int cli_open_rank_device(const cli_context *ctx, int local_rank, pcnn_device **dev);

/* The index of the device `spec` names (NULL: the context's --device), as
 * cli_open_device would open it. Returns 0, or EXIT_USAGE after the error. */
int cli_device_index(const cli_context *ctx, const char *spec, int *index);

/* Checks, before any work, that `path` (given with `flag`; NULL: not given)
 * can be written: output_check (io/io_file.h). Returns 0, or the exit code
 * after printing the one-line error. */
int cli_check_output(const char *flag, const char *path, int is_dir);

/* --checkpoint PATH for every command: a run directory means
 * PATH/checkpoint.pcnn. Writes the file to open into buf. Returns 0, or
 * EXIT_USAGE after a one-line error (a directory without a checkpoint.pcnn,
 * a path too long). */
int cli_checkpoint_path(const char *command, const char *flag, const char *path, char *buf, size_t size);

/* The model configuration a checkpoint file holds (without a device).
 * Returns 0, or the exit code after the one-line error. */
int cli_checkpoint_config(const char *path, pcnn_config *cfg);

/* The command whose --help is printed next says what it does (main.c sets
 * it from its command table before running the command). */
void cli_set_command_summary(const char *summary);

/* The program's name as the user can type it again: argv0's base name when
 * $PATH finds this very binary under it, else argv0 as typed (build/pcnn-cl). */
const char *cli_program_name(const char *argv0);

/* Prints "pcnn-cl: <message>" for the last library error. */
void cli_report_error(void);

/* The exit code for a command's status: PCNN_ERR_ARG means the command line
 * asked for something impossible (a value only checked once the job looked
 * at it), so EXIT_USAGE; any other failure EXIT_JOB_FAILED. */
int cli_exit_code(pcnn_status st);

#endif
