/* The SVG chart of a benchmark run: one panel per metric, one horizontal bar
 * per device scaled to that panel's largest value, the value printed beside
 * it. Plain SVG 1.1 with no scripts or external fonts, so any browser shows it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench_report.h"

typedef struct {
    const char *title;
    double (*get)(const bench_result *r);
} metric;

static double m_train(const bench_result *r) { return r->train_ips.median; }
static double m_eval(const bench_result *r) { return r->eval_ips.median; }
static double m_fast(const bench_result *r) { return r->sampling.fast_ips.n ? r->sampling.fast_ips.median : NAN; }
static double m_gemm(const bench_result *r) { return r->model_gemm_gflops; }
static double m_peak(const bench_result *r) { return r->peak_gflops; }
static double m_live(const bench_result *r) { return r->train_live_gflops; }

static const metric metrics[] = {
    {"training step, images/s", m_train},   {"eval forward, images/s", m_eval},
    {"fast sampling, images/s", m_fast},    {"model GEMMs as trained, GFLOP/s", m_gemm},
    {"sgemm peak, GFLOP/s", m_peak},        {"training, live GFLOP/s", m_live},
};
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
    fprintf(f, ", batch %d, %dx%dx%d (median of %d)</text>\n", s->batch, s->height, s->width, s->colours, s->reps);
    for (int d = 0; d < n; d++) {
        int y = 40 + 22 * d;
        fprintf(f, "<rect x=\"10\" y=\"%d\" width=\"14\" height=\"14\" fill=\"%s\"/>\n", y, colours[d % 6]);
        fprintf(f, "<text x=\"30\" y=\"%d\">%d: ", y + 12, r[d].index);
        text(f, r[d].name);
        fputs("</text>\n", f);
    }
    for (int k = 0; k < N_METRICS; k++) {
        int y0 = 50 + legend_h + k * panel_h;
        double top = 0;
        for (int d = 0; d < n; d++) {
            double v = metrics[k].get(&r[d]);
            if (isfinite(v) && v > top)
                top = v;
        }
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
            if (isfinite(v))
                fprintf(f, "<text x=\"%d\" y=\"%d\">%.4g</text>\n", label_w + w + 6, y + 13, v);
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
