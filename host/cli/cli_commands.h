/* The commands of pcnn-cl, one file each (cmd_<name>.c). Each returns the
 * process exit code: 0, EXIT_JOB_FAILED or EXIT_USAGE. */
#ifndef PCNN_COMMANDS_H
#define PCNN_COMMANDS_H

#include "cli/cli.h"

int cmd_import(const cli_context *ctx, int argc, char **argv);
int cmd_export(const cli_context *ctx, int argc, char **argv);
int cmd_devices(const cli_context *ctx, int argc, char **argv);
int cmd_eval(const cli_context *ctx, int argc, char **argv);
int cmd_masks(const cli_context *ctx, int argc, char **argv);
int cmd_summary(const cli_context *ctx, int argc, char **argv);
int cmd_sample(const cli_context *ctx, int argc, char **argv);
int cmd_train(const cli_context *ctx, int argc, char **argv);
int cmd_bench(const cli_context *ctx, int argc, char **argv);
int cmd_tune(const cli_context *ctx, int argc, char **argv);

#endif
