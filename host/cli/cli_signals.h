/* Signals, for every command: the only place pcnn-cl installs handlers (the
 * library installs none; it polls a stop flag handed in through its options).
 *
 * - SIGPIPE is ignored: a closed stdout (pcnn-cl train | head -1) makes
 *   writes fail with EPIPE, and printing stops there instead of the process
 *   dying without a save or a message. SIGXFSZ likewise (a file-size limit
 *   fails the write, which names the file).
 * - SIGHUP (a dropped ssh session) is a stop signal like SIGINT and SIGTERM.
 * - train (CLI_STOP_SAVE): the first stop signal sets the flag; the run saves
 *   a checkpoint within a step, an evaluation batch or a sampled position, and
 *   exits 0 with the resume command. A second one kills at once (checkpoints
 *   are atomic).
 * - every other command that writes (CLI_STOP_EXIT): sample, import, export,
 *   bench, tune, eval, masks. The handler removes the temp files of every
 *   atomic write in progress, prints one line and exits 128 + the signal's
 *   number (130 SIGINT, 143 SIGTERM, 129 SIGHUP); finished outputs are kept.
 * - while a command writes outputs it must clean up itself (CLI_STOP_POLL:
 *   export's temporary directory, sample's pair, import): the handler only
 *   records the signal; the writer checks the flag between files, removes its
 *   temporaries, and the command ends with one line and 128 + the signal. It
 *   goes back to CLI_STOP_EXIT when the writing is done. */
#ifndef PCNN_CLI_SIGNALS_H
#define PCNN_CLI_SIGNALS_H

#include <signal.h>

#include "pcnn/error.h"

/* At the start of main(): SIGPIPE and SIGXFSZ ignored. */
void cli_signals_init(void);

typedef enum { CLI_STOP_SAVE, CLI_STOP_EXIT, CLI_STOP_POLL } cli_stop_mode;

/* Catches SIGINT, SIGTERM and SIGHUP for `command` (its name, for the
 * messages) in the given mode; returns the flag (0, or the signal's number
 * once one came) to hand to the library. */
volatile sig_atomic_t *cli_catch_stop(const char *command, cli_stop_mode mode);

/* The stop signal that came (0: none), for the exit code 128 + it. */
int cli_stop_signal(void);

/* The exit code of a CLI_STOP_POLL command: 128 + the signal when it failed
 * because one came, else cli_exit_code(st). */
int cli_stop_exit_code(pcnn_status st);

#endif
