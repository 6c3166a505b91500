/* The thread-local last-error message behind include/pcnn/error.h, and the
 * log lines the caller receives. */
#include "pcnn/error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_message[1024];

const char *pcnn_last_error(void) { return last_message; }

void pcnn_clear_error(void) { last_message[0] = '\0'; }

pcnn_status pcnn_fail(pcnn_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_message, sizeof last_message, fmt, ap);
    va_end(ap);
    return status;
}

void pcnn_log_printf(const pcnn_log *log, const char *fmt, ...)
{
    if (!log || !log->fn)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    log->fn(log->ctx, line);
}
