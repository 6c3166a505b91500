/* The progress line: see train_progress.h. */
#include "train/train_progress.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "base/base_clock.h"

/* "1h02m", "3m20s", "45s" */
static void format_duration(char *buf, size_t size, double s)
{
    if (!isfinite(s) || s < 0)
        snprintf(buf, size, "?");
    else if (s >= 3600)
        snprintf(buf, size, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
    else if (s >= 60)
        snprintf(buf, size, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    else
        snprintf(buf, size, "%ds", (int)s);
}

static void format_line(char *buf, size_t size, const progress_info *i)
{
    char train[32] = "-", test[48] = "-", rate[32] = "-", eta[32];
    if (isfinite(i->train_bpd))
        snprintf(train, sizeof train, "%.4f", i->train_bpd);
    if (isfinite(i->test_bpd))
        snprintf(test, sizeof test, "%.4f (step %ld)", i->test_bpd, i->test_step);
    if (isfinite(i->images_per_s))
        snprintf(rate, sizeof rate, "%.1f", i->images_per_s);
    format_duration(eta, sizeof eta, i->eta_s);
    snprintf(buf, size, "step %ld/%ld  train %s bits/dim  test %s  %s images/s  ETA %s", i->step, i->total, train,
             test, rate, i->step >= i->total ? "0s" : eta);
}

/* Flushes stdout; once that fails (EPIPE: the reader of a pipe went away,
 * as in pcnn-cl train | head -1; SIGPIPE is ignored) nothing more is printed
 * and the run goes on. */
static void flush(progress *p)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        p->quiet = 1;
        p->open = 0;
        clearerr(stdout);
    }
}

void progress_update(progress *p, const progress_info *info, int mark)
{
    if (p->quiet)
        return;
    char line[256];
    if (!p->live) {
        if (mark) {
            format_line(line, sizeof line, info);
            printf("%s\n", line);
            flush(p);
        }
        return;
    }
    double t = clock_now_s();
    if (!mark && p->open && t - p->last_draw < 0.25)
        return;
    p->last_draw = t;
    format_line(line, sizeof line, info);
    printf("\r%s\033[K", line); /* \033[K clears what a longer line left */
    p->open = 1;
    flush(p);
}

void progress_end(progress *p)
{
    if (p->open) {
        printf("\n");
        flush(p);
    }
    p->open = 0;
}

void progress_say(progress *p, const char *fmt, ...)
{
    if (p->quiet)
        return;
    progress_end(p);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    flush(p);
}
