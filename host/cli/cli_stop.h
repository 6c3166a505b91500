/* A stop signal (SIGINT, SIGTERM, SIGHUP) while a command writes its outputs
 * (export, import, sample): the handler only sets a flag, which the writer
 * checks between files; it then removes its temporary files and the command
 * ends with one line, leaving every output as it was. A second signal kills
 * at once (SA_RESETHAND). (Training has its own handler: cmd_train.c.) */
#ifndef PCNN_CLI_STOP_H
#define PCNN_CLI_STOP_H

#include <signal.h>

/* Installs the handlers; returns the flag they set. */
volatile sig_atomic_t *cli_stop_catch(void);
/* Back to the handlers installed before (a stop that came stays in the flag). */
void cli_stop_release(void);
/* The signal that set the flag (0: none), for the one-line message. */
int cli_stop_signal(void);

#endif
