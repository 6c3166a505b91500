/* loss.svg: training and test bits/dim against the step, as a small SVG
 * (no library needed; any browser shows it), rewritten atomically. */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_try.h"
#include "io/io_file.h"
#include "train/train_run_dir.h"

enum { CHART_W = 720, CHART_H = 420, LEFT = 64, RIGHT = 20, TOP = 36, BOTTOM = 48, MAX_TICKS = 32 };

typedef struct {
    atomic_file af;
    pcnn_status st;
} svg;

static void emit(svg *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(svg *s, const char *fmt, ...)
{
    if (s->st)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    s->st = atomic_file_write(&s->af, buf, (size_t)(n < (int)sizeof buf ? n : (int)sizeof buf - 1));
}

/* A "nice" tick step (1, 2 or 5 times a power of ten) for about `ticks` ticks. */
static double tick_step(double span, int ticks)
{
    double raw = span / ticks, p = pow(10.0, floor(log10(raw)));
    double m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/* How many ticks lo, lo + step, ... up to hi: an integer count, at most
 * MAX_TICKS, so a step below one ULP of the values (a diverged run's 1e33
 * bits/dim) or a non-finite one still ends the loop. */
static int tick_count(double lo, double hi, double step)
{
    double n = floor((hi - lo) / step + 0.5) + 1;
    return n >= 1 && n <= MAX_TICKS ? (int)n : n > MAX_TICKS ? MAX_TICKS : 1;
}

typedef struct {
    double x0, x1, y0, y1;
} range;

static double px(const range *r, double x) { return LEFT + (x - r->x0) / (r->x1 - r->x0) * (CHART_W - LEFT - RIGHT); }
static double py(const range *r, double y) { return CHART_H - BOTTOM - (y - r->y0) / (r->y1 - r->y0) * (CHART_H - TOP - BOTTOM); }

/* One curve: a polyline through the finite values; test points also get dots
 * (they are sparse: one per evaluation). */
static void curve(svg *s, const range *r, const log_row *rows, size_t n, int test, const char *colour)
{
    emit(s, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", colour);
    for (size_t i = 0; i < n; i++) {
        double v = test ? rows[i].test_bpd : rows[i].train_bpd;
        if (isfinite(v))
            emit(s, " %.1f,%.1f", px(r, (double)rows[i].step), py(r, v));
    }
    emit(s, "\"/>\n");
    for (size_t i = 0; test && i < n; i++)
        if (isfinite(rows[i].test_bpd))
            emit(s, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", px(r, (double)rows[i].step),
                 py(r, rows[i].test_bpd), colour);
}

pcnn_status loss_chart_write(const char *path, const log_row *rows, size_t n)
{
    range r = {0, 1, INFINITY, -INFINITY};
    for (size_t i = 0; i < n; i++) {
        r.x1 = fmax(r.x1, (double)rows[i].step);
        double v[2] = {rows[i].train_bpd, rows[i].test_bpd};
        for (int k = 0; k < 2; k++)
            if (isfinite(v[k])) {
                r.y0 = fmin(r.y0, v[k]);
                r.y1 = fmax(r.y1, v[k]);
            }
    }
    if (!(r.y0 <= r.y1)) {
        r.y0 = 0;
        r.y1 = 8;
    }
    /* A span of at least a millionth of the values, so the ticks differ at %g. */
    double span = fmax(r.y1 - r.y0, fmax(0.1, 1e-6 * fmax(fabs(r.y0), fabs(r.y1))));
    if (!isfinite(span))
        span = DBL_MAX;
    double ystep = tick_step(span, 6);
    r.y0 = floor(r.y0 / ystep) * ystep;
    r.y1 = ceil(r.y1 / ystep) * ystep;
    if (r.y1 <= r.y0)
        r.y1 = r.y0 + ystep;
    double xstep = tick_step(r.x1 - r.x0, 8);

    svg s = {.st = PCNN_OK};
    TRY(atomic_file_open(&s.af, path));
    emit(&s, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
         "font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", CHART_W, CHART_H);
    emit(&s, "<text x=\"%d\" y=\"22\" font-size=\"14\">bits/dim: train (blue), test (orange)</text>\n", LEFT);
    for (int i = 0, ny = tick_count(r.y0, r.y1, ystep); i < ny; i++) {
        double y = r.y0 + i * ystep;
        emit(&s, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", LEFT, CHART_W - RIGHT,
             py(&r, y), py(&r, y));
        emit(&s, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", LEFT - 6, py(&r, y) + 4, y);
    }
    for (int i = 0, nx = tick_count(0, r.x1, xstep); i < nx; i++)
        emit(&s, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n", px(&r, i * xstep),
             CHART_H - BOTTOM + 18, i * xstep);
    emit(&s, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">step</text>\n", (LEFT + CHART_W - RIGHT) / 2,
         CHART_H - 8);
    emit(&s, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>\n", LEFT, TOP,
         CHART_W - LEFT - RIGHT, CHART_H - TOP - BOTTOM);
    curve(&s, &r, rows, n, 0, "#1f77b4");
    curve(&s, &r, rows, n, 1, "#ff7f0e");
    emit(&s, "</svg>\n");
    if (s.st) {
        atomic_file_abort(&s.af);
        return s.st;
    }
    return atomic_file_commit(&s.af);
}
