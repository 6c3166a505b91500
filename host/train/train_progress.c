/* The progress line: see train_progress.h. */
#include "train/train_progress.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "base/base_clock.h"

enum { LINE_SIZE = 512 };

void progress_format_duration(char *buf, size_t size, double s)
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

void progress_format_count(char *buf, size_t size, size_t n)
{
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%zu", n), at = 0;
    for (int i = 0; i < len && (size_t)at + 2 < size; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[at++] = ',';
        buf[at++] = digits[i];
    }
    if (size)
        buf[(size_t)at < size ? at : (int)size - 1] = 0;
}

/* Cuts a line to width - 1 columns (the last column would wrap on some terminals). */
static void fit(char *line, int width)
{
    if (width > 1 && strlen(line) > (size_t)width - 1)
        line[width - 1] = 0;
}

void progress_format_line(char *buf, size_t size, const progress_info *i, int width)
{
    char train[32] = "-", test[48] = "-", test_short[48] = "-", rate[32] = "-", rate_short[32] = "-", eta[32];
    if (isfinite(i->train_bpd))
        snprintf(train, sizeof train, "%.4f", i->train_bpd);
    if (isfinite(i->test_bpd)) {
        snprintf(test, sizeof test, "%.4f (step %ld)", i->test_bpd, i->test_step);
        snprintf(test_short, sizeof test_short, "%.4f", i->test_bpd);
    }
    if (isfinite(i->images_per_s)) {
        snprintf(rate, sizeof rate, "%.1f", i->images_per_s);
        snprintf(rate_short, sizeof rate_short, "%.0f", i->images_per_s);
    }
    if (i->step >= i->total)
        snprintf(eta, sizeof eta, "0s");
    else
        progress_format_duration(eta, sizeof eta, i->eta_s);
    /* Longest first; the first that fits is drawn. */
    snprintf(buf, size, "step %ld/%ld  train %s bits/dim  test %s  %s images/s  ETA %s", i->step, i->total, train, test,
             rate, eta);
    if (width <= 0 || strlen(buf) < (size_t)width)
        return;
    snprintf(buf, size, "step %ld/%ld  train %s  test %s  %s img/s  ETA %s", i->step, i->total, train, test_short,
             rate_short, eta);
    if (strlen(buf) < (size_t)width)
        return;
    snprintf(buf, size, "%ld/%ld  train %s  test %s  ETA %s", i->step, i->total, train, test_short, eta);
    if (strlen(buf) < (size_t)width)
        return;
    snprintf(buf, size, "%ld/%ld ETA %s", i->step, i->total, eta);
    fit(buf, width);
}

static int columns(const progress *p)
{
    if (p->width > 0)
        return p->width;
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
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

static void draw(progress *p, const char *line)
{
    printf("\r%s\033[K", line); /* \033[K clears what a longer line left */
    p->open = 1;
    p->last_draw = clock_now_s();
    flush(p);
}

void progress_update(progress *p, const progress_info *info, int mark)
{
    if (p->quiet)
        return;
    char line[LINE_SIZE];
    if (!p->live) {
        if (mark) {
            progress_format_line(line, sizeof line, info, 0);
            printf("%s\n", line);
            flush(p);
        }
        return;
    }
    if (!mark && p->open && clock_now_s() - p->last_draw < 0.25)
        return;
    progress_format_line(line, sizeof line, info, columns(p));
    draw(p, line);
}

void progress_phase(progress *p, const char *what, size_t done, size_t total)
{
    if (p->quiet)
        return;
    double t = clock_now_s();
    if (p->live ? done > 0 && p->open && t - p->last_draw < 0.25
                : done > 0 && t - p->last_plain < PROGRESS_PLAIN_EVERY_S)
        return;
    char line[LINE_SIZE], a[32], b[32];
    progress_format_count(a, sizeof a, done);
    progress_format_count(b, sizeof b, total);
    if (total)
        snprintf(line, sizeof line, "%s %s/%s", what, a, b);
    else
        snprintf(line, sizeof line, "%s...", what);
    if (!p->live) {
        printf("%s\n", line);
        p->last_plain = t;
        flush(p);
        return;
    }
    fit(line, columns(p));
    draw(p, line);
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
