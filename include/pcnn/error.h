/* Status codes and the last error message of the calling thread.
 * Library functions return a status and set a one-line message that names the
 * file, flag, tensor or kernel involved; the CLI prints it once. */
#ifndef PCNN_ERROR_H
#define PCNN_ERROR_H

typedef enum {
    PCNN_OK = 0,
    PCNN_ERR_ARG,     /* a bad flag, value or shape from the caller */
    PCNN_ERR_IO,      /* open/read/write/rename failed */
    PCNN_ERR_FORMAT,  /* a file is not what it claims to be */
    PCNN_ERR_MEMORY,  /* host or device allocation failed */
    PCNN_ERR_DEVICE,  /* a device, driver or kernel build failed */
    PCNN_ERR_NUMERIC, /* NaN or Inf where a finite value was required */
    PCNN_ERR_STOPPED, /* the caller's stop flag was set (a signal): the work was cut short */
} pcnn_status;

/* The message set by the last failing call on this thread ("" if none). */
const char *pcnn_last_error(void);

/* Sets the message (printf-style) and returns `status`, so a failure is one line:
 *   return pcnn_fail(PCNN_ERR_FORMAT, "%s: truncated header", path); */
pcnn_status pcnn_fail(pcnn_status status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Clears the message. */
void pcnn_clear_error(void);

/* Where the library sends a line that is not an error (a warning, a tuner's
 * progress): the program that owns the terminal decides. fn NULL: dropped. */
typedef struct {
    void (*fn)(void *ctx, const char *line);
    void *ctx;
} pcnn_log;

void pcnn_log_printf(const pcnn_log *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
