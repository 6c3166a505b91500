/* What a training run shows and leaves (issue 18): sample grids upscaled to
 * at least 64 pixels per image side, loss.svg's y range from the last 95% of
 * the run with the clipped start marked, the run page's elements, a progress
 * line that fits the terminal, and an evaluation cut short by a stop being
 * redone on resume. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_file.h"
#include "io/io_png.h"
#include "pcnn/npy.h"
#include "test_util.h"
#include "train/train.h"
#include "train/train_progress.h"
#include "train/train_run_dir.h"
#include "train/train_run_page.h"

static char *slurp(const char *path)
{
    unsigned char *bytes;
    size_t size;
    assert_int_equal(read_whole_file(path, &bytes, &size), PCNN_OK);
    char *text = malloc(size + 1);
    memcpy(text, bytes, size);
    text[size] = 0;
    free(bytes);
    return text;
}

static int count(const char *text, const char *what)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

/* A PNG's width and height from its IHDR chunk (big-endian at bytes 16..23). */
static void png_size(const char *path, unsigned *w, unsigned *h)
{
    char *bytes = slurp(path);
    const unsigned char *b = (const unsigned char *)bytes;
    assert_memory_equal(b + 1, "PNG", 3);
    *w = (unsigned)b[16] << 24 | (unsigned)b[17] << 16 | (unsigned)b[18] << 8 | b[19];
    *h = (unsigned)b[20] << 24 | (unsigned)b[21] << 16 | (unsigned)b[22] << 8 | b[23];
    free(bytes);
}

static void test_grid_is_upscaled(void **state)
{
    (void)state;
    uint8_t images[5 * 6 * 6];
    test_random_bytes(images, sizeof images, 1);
    char *dir = test_tmpdir(), path[600];
    snprintf(path, sizeof path, "%s/grid.png", dir);
    /* 5 images of 6x6 in 3 columns, 2 rows with 1-pixel gaps: 20x13 at scale 1.
     * The automatic scale is ceil(64 / 6) = 11: 66 pixels per image side. */
    assert_int_equal(png_grid_auto_scale(6, 6), 11);
    assert_int_equal(png_grid_auto_scale(28, 28), 3);
    assert_int_equal(png_grid_auto_scale(64, 100), 1);
    unsigned w, h;
    assert_int_equal(png_write_grid(path, images, 5, 6, 6, 1, 0), PCNN_OK);
    png_size(path, &w, &h);
    assert_int_equal(w, 11 * 20);
    assert_int_equal(h, 11 * 13);
    assert_int_equal(png_write_grid(path, images, 5, 6, 6, 1, 2), PCNN_OK);
    png_size(path, &w, &h);
    assert_int_equal(w, 40);
    assert_int_equal(h, 26);
    test_rmtree(dir);
    free(dir);
}

/* The y values of the chart's tick labels, largest. */
static double max_tick(const char *svg)
{
    double top = -INFINITY;
    for (const char *p = svg; (p = strstr(p, "class=\"ytick\"")); p++) {
        const char *gt = strchr(p, '>');
        top = fmax(top, strtod(gt + 1, NULL));
    }
    return top;
}

static void test_chart_range_and_elements(void **state)
{
    (void)state;
    enum { N = 100 };
    log_row rows[N];
    for (int i = 0; i < N; i++) /* 7.5 bits/dim for the first 4 steps, then about 3.3 */
        rows[i] = (log_row){.step = (i + 1) * 10,
                            .seconds = (i + 1) * 3.0,
                            .train_bpd = i < 4 ? 7.5 : 3.3 + 0.05 * sin(i),
                            .test_bpd = NAN,
                            .lr = 1e-3};
    rows[49].test_bpd = 3.35;
    rows[99].test_bpd = 3.31;
    char *dir = test_tmpdir(), path[600];
    snprintf(path, sizeof path, "%s/loss.svg", dir);
    assert_int_equal(loss_chart_write_titled(path, rows, N, "fm<1> (preset small)"), PCNN_OK);
    char *svg = slurp(path);
    print_message("  loss.svg: %zu bytes, top tick %g\n", strlen(svg), max_tick(svg));
    /* The range is set by steps past the first 5% (50 of 1000): 3.25..3.35, not 7.5. */
    assert_true(max_tick(svg) < 4.0);
    assert_true(max_tick(svg) >= 3.35);
    assert_int_equal(count(svg, "class=\"clipped\""), 1);
    assert_non_null(strstr(svg, "clipped (up to 7.5)"));
    assert_non_null(strstr(svg, "fm&lt;1&gt; (preset small)"));
    assert_int_equal(count(svg, "class=\"train-raw\""), 1);
    assert_int_equal(count(svg, "class=\"train-smooth\""), 1);
    assert_int_equal(count(svg, "class=\"test\""), 1);
    assert_int_equal(count(svg, "class=\"test-point\""), 2);
    assert_non_null(strstr(svg, "wall-clock time"));
    assert_non_null(strstr(svg, ">1m<") ? strstr(svg, ">1m<") : strstr(svg, ">2m<"));
    /* Every point of every curve lies inside the plot (clipped values at its edge). */
    for (const char *p = svg; (p = strstr(p, "points=\""));) {
        p += 8;
        for (const char *end = strchr(p, '"'); p < end;) {
            char *next;
            double x = strtod(p, &next), y = strtod(next + 1, &next);
            assert_true(x >= 64 && x <= 700.1);
            assert_true(y >= 56 - 0.1 && y <= 392 + 0.1);
            p = next;
            while (*p == ' ')
                p++;
        }
    }
    free(svg);
    test_rmtree(dir);
    free(dir);
}

static void touch(const char *dir, const char *name)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("x", f);
    fclose(f);
}

static void test_run_page(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), sub[600], path[700];
    snprintf(sub, sizeof sub, "%s/samples", dir);
    assert_int_equal(make_dir(sub), PCNN_OK);
    touch(sub, "step_0000010.png");
    touch(sub, "step_0000002.png");
    touch(sub, "notes.txt");
    log_row rows[2] = {{.step = 2, .seconds = 1, .train_bpd = 5.5, .test_bpd = 5.25, .lr = 1e-3, .images_per_s = 9},
                       {.step = 10, .seconds = 4, .train_bpd = 4.5, .test_bpd = NAN, .lr = 1e-3, .images_per_s = 10}};
    snprintf(path, sizeof path, "%s/loss.svg", dir);
    assert_int_equal(loss_chart_write_titled(path, rows, 2, "r"), PCNN_OK);
    run_page p = {.run_dir = dir,
                  .program = "pcnn-cl",
                  .title = "a<b>&c (preset tiny)",
                  .status = "running",
                  .device = "CPU",
                  .flags_text = "data=npy:x.npy\nbatch=4\n",
                  .config_text = "hidden_dim=2\n",
                  .rows = rows,
                  .n_rows = 2,
                  .step = 10,
                  .total = 20,
                  .seconds = 4};
    assert_int_equal(run_page_write(&p), PCNN_OK);
    snprintf(path, sizeof path, "%s/index.html", dir);
    char *html = slurp(path);
    assert_non_null(strstr(html, "<title>a&lt;b&gt;&amp;c (preset tiny)</title>"));
    assert_int_equal(count(html, "<svg"), 1); /* the chart inline */
    assert_int_equal(count(html, "<img "), 2);
    char *two = strstr(html, "src=\"samples/step_0000002.png\""),
         *ten = strstr(html, "src=\"samples/step_0000010.png\"");
    assert_true(two && ten && two < ten); /* in step order */
    assert_non_null(strstr(html, "<figcaption>step 10</figcaption>"));
    char resume[800];
    snprintf(resume, sizeof resume, "pcnn-cl train --resume %s", dir);
    assert_non_null(strstr(html, resume));
    assert_non_null(strstr(html, "<td id=\"test-bpd\">5.2500 (step 2)</td>"));
    assert_non_null(strstr(html, "<td id=\"train-bpd\">4.5000</td>"));
    assert_non_null(strstr(html, "<th>batch</th><td>4</td>"));
    /* Self-contained: no script, and the one URL is the SVG namespace (never fetched). */
    assert_null(strstr(html, "<script"));
    assert_int_equal(count(html, "http"), count(html, "xmlns=\"http://www.w3.org/2000/svg\""));
    free(html);
    test_rmtree(dir);
    free(dir);
}

static void test_progress_line_fits(void **state)
{
    (void)state;
    progress_info i = {.step = 123456,
                       .total = 987654,
                       .train_bpd = 3.45678,
                       .test_bpd = 3.5,
                       .test_step = 120000,
                       .images_per_s = 1234.5,
                       .eta_s = 7322};
    char line[512];
    progress_format_line(line, sizeof line, &i, 0);
    print_message("  unlimited: %s\n", line);
    assert_non_null(strstr(line, "ETA 2h02m"));
    for (int width = 10; width <= 200; width += 7) {
        progress_format_line(line, sizeof line, &i, width);
        assert_true(strlen(line) <= (size_t)width - 1);
        if (width >= 50)
            assert_non_null(strstr(line, "ETA 2h02m")); /* what matters most survives */
    }
    char n[32];
    progress_format_count(n, sizeof n, 10000);
    assert_string_equal(n, "10,000");
    progress_format_count(n, sizeof n, 999);
    assert_string_equal(n, "999");
    progress_format_count(n, sizeof n, 1234567);
    assert_string_equal(n, "1,234,567");
}

static char *write_images(const char *dir, int n)
{
    size_t shape[4] = {(size_t)n, 6, 6, 1};
    pcnn_array a;
    assert_int_equal(pcnn_array_alloc(&a, PCNN_U8, 4, shape), PCNN_OK);
    test_random_bytes(a.data, (size_t)n * 36, 5);
    char *spec = malloc(600), path[560];
    snprintf(spec, 600, "npy:%s/images.npy", dir);
    snprintf(path, sizeof path, "%s/images.npy", dir);
    assert_int_equal(pcnn_npy_write(path, &a), PCNN_OK);
    pcnn_array_free(&a);
    return spec;
}

typedef struct {
    long stop_at;
    volatile sig_atomic_t *flag;
} stopper;

static void stop_hook(void *ctx, long step, double loss)
{
    (void)loss;
    stopper *s = ctx;
    if (step == s->stop_at)
        *s->flag = 1; /* as SIGINT would, just before the step's evaluation */
}

/* The test field of log.csv's row for `step` (NAN: empty; -1: no such row). */
static double logged_test(const char *run, long step)
{
    char path[700];
    snprintf(path, sizeof path, "%s/log.csv", run);
    char *text = slurp(path);
    double v = -1;
    int rows = 0;
    for (char *line = strchr(text, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        if (strtol(line + 1, NULL, 10) != step)
            continue;
        rows++;
        char *f = line + 1;
        for (int k = 0; k < 3; k++)
            f = strchr(f, ',') + 1;
        v = *f == ',' ? NAN : strtod(f, NULL);
    }
    free(text);
    assert_true(rows <= 1); /* each step once */
    return v;
}

static void test_cut_evaluation_is_redone(void **state)
{
    char *dir = test_tmpdir(), run[600];
    char *spec = write_images(dir, 24);
    snprintf(run, sizeof run, "%s/run", dir);
    train_flags f = train_flags_defaults();
    snprintf(f.data, sizeof f.data, "%s", spec);
    snprintf(f.test_data, sizeof f.test_data, "%s", spec);
    f.hidden_dim = 2;
    f.out_dim = 4;
    f.layers = 1;
    f.batch = 4;
    f.steps = 6;
    f.epochs = 0;
    f.eval_every = 3;
    f.sample_every = 0;
    f.ckpt_every = 0;
    volatile sig_atomic_t flag = 0;
    stopper s = {.stop_at = 3, .flag = &flag};
    train_opts o = {.run_dir = run, .quiet = 1, .interrupted = &flag, .hook = stop_hook, .hook_ctx = &s};
    train_result r;
    assert_int_equal(train_run(*state, &f, &o, &r), PCNN_OK);
    assert_true(r.interrupted);
    assert_int_equal(r.steps_done, 3);
    assert_true(r.eval_pending);
    double cut = logged_test(run, 3);
    assert_true(cut == -1 || isnan(cut)); /* no figure for step 3: its evaluation was cut */
    flag = 0;
    o = (train_opts){.run_dir = run, .resume = 1, .quiet = 1, .interrupted = &flag};
    assert_int_equal(train_run(*state, &f, &o, &r), PCNN_OK);
    assert_false(r.interrupted);
    assert_int_equal(r.steps_done, 6);
    double redone = logged_test(run, 3), last = logged_test(run, 6);
    print_message("  test bits/dim at step 3 (redone on resume) %g, at step 6 %g\n", redone, last);
    assert_true(isfinite(redone) && redone > 0);
    assert_true(isfinite(last) && last > 0);
    free(spec);
    test_rmtree(dir);
    free(dir);
}

static int setup_cpu(void **state)
{
    pcnn_device *dev;
    if (test_device_open(0, &dev))
        return -1;
    *state = dev;
    return 0;
}

static int teardown(void **state)
{
    pcnn_device_close(*state);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid_is_upscaled),
        cmocka_unit_test(test_chart_range_and_elements),
        cmocka_unit_test(test_run_page),
        cmocka_unit_test(test_progress_line_fits),
        cmocka_unit_test(test_cut_evaluation_is_redone),
    };
    return cmocka_run_group_tests_name("run outputs", tests, setup_cpu, teardown);
}
