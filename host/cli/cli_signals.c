/* Signal handling for every command: see cli_signals.h. */
#define _XOPEN_SOURCE 700 /* sigaction, SA_RESETHAND */
#include "cli/cli_signals.h"

#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "io/io_file.h"

static volatile sig_atomic_t stop_signal;
static cli_stop_mode stop_mode;
static int stop_newline;    /* train on a terminal: end the live progress line first */
static char stop_line[160]; /* "pcnn-cl CMD: " ..., composed before any signal can come */
static size_t stop_line_len;

static void say(const char *s, size_t n)
{
    ssize_t ignored = write(STDERR_FILENO, s, n);
    (void)ignored;
}

static const char *signal_name(int sig)
{
    return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" : "a signal";
}

/* Async-signal-safe only: write, unlink, _exit. */
static void on_stop(int sig)
{
    stop_signal = sig;
    if (stop_mode == CLI_STOP_POLL)
        return; /* the command removes its temporaries and says so */
    if (stop_newline)
        say("\n", 1);
    say(stop_line, stop_line_len);
    const char *name = signal_name(sig);
    say(name, strlen(name));
    if (stop_mode == CLI_STOP_SAVE) {
        static const char rest[] = ": saving a checkpoint and stopping (a second signal quits at once)\n";
        say(rest, sizeof rest - 1);
        return;
    }
    atomic_file_remove_temps();
    static const char rest[] = ": stopped; its temporary files are removed\n";
    say(rest, sizeof rest - 1);
    _exit(128 + sig);
}

void cli_signals_init(void)
{
    signal(SIGPIPE, SIG_IGN);
    /* Past a file-size limit (ulimit -f) a write should fail with EFBIG, which
     * names the file and keeps the last checkpoint, not kill us mid-write. */
    signal(SIGXFSZ, SIG_IGN);
}

volatile sig_atomic_t *cli_catch_stop(const char *command, cli_stop_mode mode)
{
    stop_mode = mode;
    stop_newline = mode == CLI_STOP_SAVE && isatty(STDOUT_FILENO);
    size_t n = strlen(command);
    if (n > sizeof stop_line - 32)
        n = sizeof stop_line - 32;
    memcpy(stop_line, "pcnn-cl ", 8);
    memcpy(stop_line + 8, command, n);
    memcpy(stop_line + 8 + n, ": ", 2);
    stop_line_len = 10 + n;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sa.sa_flags = SA_RESETHAND; /* a second signal: the default action, at once */
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaddset(&sa.sa_mask, SIGHUP);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    return &stop_signal;
}

int cli_stop_signal(void) { return stop_signal; }

int cli_stop_exit_code(pcnn_status st) { return st && stop_signal ? 128 + stop_signal : cli_exit_code(st); }
