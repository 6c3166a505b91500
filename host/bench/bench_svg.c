/* The SVG chart of a benchmark run: one panel per metric, one horizontal bar
 * per device scaled to that panel's largest value, the value (the median of
 * the reps) printed beside it, and for the timed workloads a whisker from the
 * reps' min to their max. Plain SVG 1.1 with no scripts or external fonts, so any browser shows it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench_report.h"

typedef struct {
    const char *title;
    double (*get)(const bench_result *r);
    const bench_stat *(*spread)(const bench_result *r); /* the reps' min..max, or NULL */
} metric;

static double m_train(const bench_result *r) { return r->train_ips.median; }
static double m_eval(const bench_result *r) { return r->eval_ips.median; }
static double m_fast(const bench_result *r) { return r->sampling.fast_ips.n ? r->sampling.fast_ips.median : NAN; }
static double m_gemm(const bench_result *r) { return r->model_gemm_gflops; }
static double m_peak(const bench_result *r) { return r->peak_gflops; }
static double m_live(const bench_result *r) { return r->train_live_gflops; }

static const bench_stat *s_train(const bench_result *r) { return &r->train_ips; }
static const bench_stat *s_eval(const bench_result *r) { return &r->eval_ips; }
static const bench_stat *s_fast(const bench_result *r) { return r->sampling.fast_ips.n ? &r->sampling.fast_ips : NULL; }

static const metric metrics[] = {
    {"training step, images/s", m_train, s_train}, {"eval forward, images/s", m_eval, s_eval},
    {"fast sampling, images/s", m_fast, s_fast},   {"model GEMMs as trained, GFLOP/s", m_gemm, NULL},
    {"sgemm peak, GFLOP/s", m_peak, NULL},         {"training, live GFLOP/s", m_live, NULL},
};

/* The largest value a panel shows: a bar or the end of a whisker. */
static double panel_top(const metric *m, const bench_result *r, int n)
{
    double top = 0;
    for (int d = 0; d < n; d++) {
        double v = m->get(&r[d]);
        const bench_stat *st = m->spread ? m->spread(&r[d]) : NULL;
        if (st && st->n > 1 && isfinite(st->max) && st->max > v)
            v = st->max;
        if (isfinite(v) && v > top)
            top = v;
    }
    return top;
}

/* The reps' min..max as a line across the bar's end, with end ticks. */
static void whisker(FILE *f, const bench_stat *st, double top, int x0, int bar_max, int y, int bar_h)
{
    if (!st || st->n < 2 || !(top > 0) || !isfinite(st->min) || !isfinite(st->max))
        return;
    int a = x0 + (int)lround(bar_max * st->min / top), b = x0 + (int)lround(bar_max * st->max / top);
    int mid = y + bar_h / 2;
    fprintf(f,
            "<g class=\"whisker\" stroke=\"#222\" stroke-width=\"1.5\"><title>min %.4g .. max %.4g over %d "
            "reps</title><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/><line x1=\"%d\" y1=\"%d\" x2=\"%d\" "
            "y2=\"%d\"/><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/></g>\n",
            st->min, st->max, st->n, a, mid, b, mid, a, y + 3, a, y + bar_h - 3, b, y + 3, b, y + bar_h - 3);
}
enum { N_METRICS = sizeof metrics / sizeof metrics[0] };

static const char *const colours[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948"};

/* Text content with the XML specials escaped. */
static void text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else if (*s == '&')
            fputs("&amp;", f);
        else if (*s == '"')
            fputs("&quot;", f);
        else if ((unsigned char)*s >= 0x20)
            fputc(*s, f);
    }
}

pcnn_status bench_write_svg(const char *path, const bench_settings *s, const bench_result *r, int n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return pcnn_fail(PCNN_ERR_MEMORY, "--svg %s: out of memory", path);
    const int width = 760, label_w = 230, bar_max = 380, bar_h = 18, legend_h = 22 * n + 10;
    const int panel_h = 28 + n * (bar_h + 6);
    int height = 50 + legend_h + N_METRICS * panel_h;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
               "font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            width, height);
    fprintf(f, "<text x=\"10\" y=\"22\" font-size=\"15\">pcnn-cl bench: preset ");
    text(f, s->preset);
    fprintf(f, ", batch %d, %dx%dx%d (bars: median of %d; whiskers: min..max)</text>\n", s->batch, s->height, s->width,
            s->colours, s->reps);
    for (int d = 0; d < n; d++) {
        int y = 40 + 22 * d;
        fprintf(f, "<rect x=\"10\" y=\"%d\" width=\"14\" height=\"14\" fill=\"%s\"/>\n", y, colours[d % 6]);
        fprintf(f, "<text x=\"30\" y=\"%d\">%d: ", y + 12, r[d].index);
        text(f, r[d].name);
        fputs("</text>\n", f);
    }
    for (int k = 0; k < N_METRICS; k++) {
        int y0 = 50 + legend_h + k * panel_h;
        double top = panel_top(&metrics[k], r, n);
        fprintf(f, "<text x=\"10\" y=\"%d\" font-weight=\"bold\">", y0 + 14);
        text(f, metrics[k].title);
        fputs("</text>\n", f);
        for (int d = 0; d < n; d++) {
            double v = metrics[k].get(&r[d]);
            int y = y0 + 22 + d * (bar_h + 6);
            int w = isfinite(v) && top > 0 ? (int)lround(bar_max * v / top) : 0;
            fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">device %d</text>\n", label_w - 8, y + 13,
                    r[d].index);
            fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n", label_w, y, w > 0 ? w : 1,
                    bar_h, colours[d % 6]);
            const bench_stat *spread = metrics[k].spread ? metrics[k].spread(&r[d]) : NULL;
            whisker(f, spread, top, label_w, bar_max, y, bar_h);
            int text_x = label_w + w + 6;
            if (spread && spread->n > 1 && top > 0 && isfinite(spread->max))
                text_x = label_w + (int)lround(bar_max * fmax(v, spread->max) / top) + 6;
            if (isfinite(v))
                fprintf(f, "<text x=\"%d\" y=\"%d\">%.4g</text>\n", text_x, y + 13, v);
            else
                fprintf(f, "<text x=\"%d\" y=\"%d\">n/a</text>\n", label_w + 8, y + 13);
        }
    }
    fputs("</svg>\n", f);
    fclose(f);
    pcnn_status st = buf ? bench_commit_text(path, buf, len) : pcnn_fail(PCNN_ERR_MEMORY, "--svg: out of memory");
    free(buf);
    return st;
}
