/* loss.svg: training and test bits/dim against the step, as a small SVG
 * (no library needed; any browser shows it), rewritten atomically. The y
 * range comes from the last 95% of the run (the first steps' 7-8 bits/dim
 * would squash what matters into the bottom fifth): values outside it are
 * drawn at the edge and the clipped part is shaded and labelled. The train
 * curve is drawn raw (light) and smoothed; test points are dots; the top axis
 * gives the wall-clock time of the run at those steps. */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_try.h"
#include "io/io_file.h"
#include "train/train_run_dir.h"
#include "train/train_run_page.h"

enum { CHART_W = 720, CHART_H = 440, LEFT = 64, RIGHT = 20, TOP = 56, BOTTOM = 48, MAX_TICKS = 32 };

/* The y range ignores the first CLIP_FRACTION of the steps. */
#define CLIP_FRACTION 0.05

typedef struct {
    atomic_file af;
    pcnn_status st;
} svg;

static void emit(svg *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(svg *s, const char *fmt, ...)
{
    if (s->st)
        return;
    char buf[1024];
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
/* Values outside the range are drawn at its edge. */
static double py(const range *r, double y)
{
    double v = y < r->y0 ? r->y0 : y > r->y1 ? r->y1 : y;
    return CHART_H - BOTTOM - (v - r->y0) / (r->y1 - r->y0) * (CHART_H - TOP - BOTTOM);
}

static double value(const log_row *row, int test) { return test ? row->test_bpd : row->train_bpd; }

/* One polyline through the finite values of a curve (smooth: an exponential
 * moving average over about a twentieth of the rows). */
static void polyline(svg *s, const range *r, const log_row *rows, size_t n, int test, int smooth, const char *cls,
                     const char *style)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += isfinite(value(&rows[i], test));
    double alpha = 2.0 / (fmax(1.0, (double)count / 20) + 1), avg = NAN;
    emit(s, "<polyline class=\"%s\" fill=\"none\" %s points=\"", cls, style);
    for (size_t i = 0; i < n; i++) {
        double v = value(&rows[i], test);
        if (!isfinite(v))
            continue;
        avg = isfinite(avg) ? avg + alpha * (v - avg) : v;
        emit(s, " %.1f,%.1f", px(r, (double)rows[i].step), py(r, smooth ? avg : v));
    }
    emit(s, "\"/>\n");
}

/* "90s", "12m", "1h30m" for axis labels. */
static void time_label(char *buf, size_t size, double s)
{
    if (s >= 3600)
        snprintf(buf, size, fmod(s, 3600) ? "%dh%02dm" : "%dh", (int)(s / 3600), (int)fmod(s / 60, 60));
    else if (s >= 120)
        snprintf(buf, size, fmod(s, 60) ? "%dm%02ds" : "%dm", (int)(s / 60), (int)fmod(s, 60));
    else
        snprintf(buf, size, "%gs", s);
}

/* The top axis: where the run's wall clock passes round times, by linear
 * interpolation of the rows' (step, seconds). Drawn only when the seconds grow. */
static void time_axis(svg *s, const range *r, const log_row *rows, size_t n)
{
    double t_end = n ? rows[n - 1].seconds : 0;
    if (n < 2 || !isfinite(t_end) || !(t_end > rows[0].seconds))
        return;
    double step = tick_step(t_end, 6);
    /* Seconds in round units: 1, 2, 5, 10, 15, 30 s; then minutes and hours alike. */
    static const double nice[] = {1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 18000, 36000, 86400};
    for (size_t k = 0; k < sizeof nice / sizeof nice[0]; k++)
        if (nice[k] >= step) {
            step = nice[k];
            break;
        }
    emit(s, "<g class=\"time-axis\">\n");
    emit(s, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" fill=\"#555\">wall-clock time</text>\n", CHART_W - RIGHT,
         TOP - 22);
    size_t i = 0;
    double last_x = -INFINITY; /* an evaluation's jump in time puts ticks close together: label every 36 px at most */
    for (int k = 1, nt = tick_count(0, t_end, step); k < nt; k++) {
        double t = k * step;
        while (i + 1 < n && !(rows[i + 1].seconds >= t))
            i++;
        if (i + 1 >= n)
            break;
        double t0 = rows[i].seconds, t1 = rows[i + 1].seconds;
        double f = t1 > t0 ? (t - t0) / (t1 - t0) : 0;
        double x = px(r, rows[i].step + f * (double)(rows[i + 1].step - rows[i].step));
        if (x - last_x < 36)
            continue;
        last_x = x;
        char label[32];
        time_label(label, sizeof label, t);
        emit(s, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", x, x, TOP - 5, TOP);
        emit(s, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%s</text>\n", x, TOP - 8, label);
    }
    emit(s, "</g>\n");
}

pcnn_status loss_chart_write(const char *path, const log_row *rows, size_t n)
{
    return loss_chart_write_titled(path, rows, n, NULL);
}

pcnn_status loss_chart_write_titled(const char *path, const log_row *rows, size_t n, const char *title)
{
    range r = {0, 1, INFINITY, -INFINITY};
    for (size_t i = 0; i < n; i++)
        r.x1 = fmax(r.x1, (double)rows[i].step);
    /* The y range: the values past the first CLIP_FRACTION of the steps (all
     * of them when that leaves none); peak: the largest value of all. */
    double cut = r.x1 * CLIP_FRACTION, peak = -INFINITY;
    for (int pass = 0; pass < 2 && !(r.y0 <= r.y1); pass++)
        for (size_t i = 0; i < n; i++)
            for (int k = 0; k < 2; k++) {
                double v = value(&rows[i], k);
                if (!isfinite(v))
                    continue;
                peak = fmax(peak, v);
                if (pass == 1 || (double)rows[i].step >= cut) {
                    r.y0 = fmin(r.y0, v);
                    r.y1 = fmax(r.y1, v);
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
    if (!isfinite(r.y1 - r.y0)) { /* values near DBL_MAX: a range that px/py can divide by */
        r.y0 = -DBL_MAX / 4;
        r.y1 = DBL_MAX / 4;
    }
    double xstep = tick_step(r.x1 - r.x0, 8);
    int clipped = peak > r.y1;

    svg s = {.st = PCNN_OK};
    TRY(atomic_file_open(&s.af, path));
    emit(&s, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
         "font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", CHART_W, CHART_H);
    char escaped[600] = "";
    if (title)
        html_escape(escaped, sizeof escaped, title);
    emit(&s,
         "<text class=\"title\" x=\"%d\" y=\"16\" font-size=\"14\">%s%sbits/dim: train (blue; light: raw), test "
         "(orange)</text>\n",
         LEFT, escaped, title ? ": " : "");
    if (clipped) { /* the steps whose values set no part of the range */
        double x0 = px(&r, 0), x1 = px(&r, cut);
        emit(&s, "<rect class=\"clipped\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#eee\"/>\n", x0, TOP,
             fmax(x1 - x0, 2), CHART_H - TOP - BOTTOM);
        emit(&s,
             "<text class=\"clipped-note\" x=\"%.1f\" y=\"%d\" fill=\"#555\">first %g%% of the steps clipped "
             "(up to %.3g)</text>\n",
             x0 + 4, TOP + 14, CLIP_FRACTION * 100, peak);
    }
    for (int i = 0, ny = tick_count(r.y0, r.y1, ystep); i < ny; i++) {
        double y = r.y0 + i * ystep;
        emit(&s, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", LEFT, CHART_W - RIGHT,
             py(&r, y), py(&r, y));
        emit(&s, "<text class=\"ytick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", LEFT - 6, py(&r, y) + 4,
             y);
    }
    for (int i = 0, nx = tick_count(0, r.x1, xstep); i < nx; i++)
        emit(&s, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n", px(&r, i * xstep),
             CHART_H - BOTTOM + 18, i * xstep);
    emit(&s, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">step</text>\n", (LEFT + CHART_W - RIGHT) / 2,
         CHART_H - 8);
    emit(&s, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>\n", LEFT, TOP,
         CHART_W - LEFT - RIGHT, CHART_H - TOP - BOTTOM);
    time_axis(&s, &r, rows, n);
    polyline(&s, &r, rows, n, 0, 0, "train-raw", "stroke=\"#9ecae1\" stroke-width=\"1\"");
    polyline(&s, &r, rows, n, 0, 1, "train-smooth", "stroke=\"#1f77b4\" stroke-width=\"2\"");
    polyline(&s, &r, rows, n, 1, 0, "test", "stroke=\"#ff7f0e\" stroke-width=\"1.5\"");
    for (size_t i = 0; i < n; i++)
        if (isfinite(rows[i].test_bpd))
            emit(&s, "<circle class=\"test-point\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#ff7f0e\"/>\n",
                 px(&r, (double)rows[i].step), py(&r, rows[i].test_bpd));
    emit(&s, "</svg>\n");
    if (s.st) {
        atomic_file_abort(&s.af);
        return s.st;
    }
    return atomic_file_commit(&s.af);
}
