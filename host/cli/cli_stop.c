/* Stop signals while a command writes: see cli_stop.h. */
#define _XOPEN_SOURCE 700 /* sigaction, SA_RESETHAND */
#include "cli/cli_stop.h"

#include <string.h>

static volatile sig_atomic_t stop_flag, stop_sig;

static void on_stop(int sig)
{
    stop_sig = sig;
    stop_flag = 1;
}

static void set_handlers(void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = handler == SIG_DFL ? 0 : SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

volatile sig_atomic_t *cli_stop_catch(void)
{
    set_handlers(on_stop);
    return &stop_flag;
}

void cli_stop_release(void) { set_handlers(SIG_DFL); }

int cli_stop_signal(void) { return stop_sig; }
