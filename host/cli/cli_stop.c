/* Stop signals while a command writes: see cli_stop.h. */
#define _XOPEN_SOURCE 700 /* sigaction, SA_RESETHAND */
#include "cli/cli_stop.h"

#include <string.h>

static volatile sig_atomic_t stop_flag, stop_sig;
static const int stop_signals[3] = {SIGINT, SIGTERM, SIGHUP};
static struct sigaction saved[3]; /* what was installed before cli_stop_catch */

static void on_stop(int sig)
{
    stop_sig = sig;
    stop_flag = 1;
}

volatile sig_atomic_t *cli_stop_catch(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sa.sa_flags = SA_RESETHAND; /* a second signal: the default action, at once */
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 3; i++)
        sigaction(stop_signals[i], &sa, &saved[i]);
    return &stop_flag;
}

void cli_stop_release(void)
{
    for (int i = 0; i < 3; i++)
        sigaction(stop_signals[i], &saved[i], NULL);
}

int cli_stop_signal(void) { return stop_sig; }
