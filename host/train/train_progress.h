/* The training job's progress display: on a terminal one line redrawn in
 * place with \r (at most a few times a second), cut to the terminal's width
 * (TIOCGWINSZ) so that it never wraps; elsewhere (a pipe, a log file) plain
 * lines at the moments the caller marks. Phases between steps (loading data,
 * evaluating, drawing samples) show themselves the same way, so the display
 * never stands still without a word. */
#ifndef PCNN_PROGRESS_H
#define PCNN_PROGRESS_H

#include <stddef.h>

typedef struct {
    long step, total;
    double train_bpd;    /* NaN until known */
    double test_bpd;     /* NaN until the first evaluation */
    long test_step;
    double images_per_s; /* NaN until known */
    double eta_s;        /* NaN until known */
} progress_info;

typedef struct {
    int live;   /* redraw in place (stdout is a terminal) */
    int quiet;  /* print nothing */
    int open;   /* a live line is on screen without its newline */
    int width;  /* the terminal's columns (0: ask the terminal at each draw) */
    double last_draw;
    double last_plain; /* when the last plain phase line was printed */
} progress;

/* Redraws the live line (throttled unless `mark`); in plain mode prints a
 * line only when `mark` is set. */
void progress_update(progress *p, const progress_info *info, int mark);
/* A phase: "<what> 3,200/10,000" (total 0: "<what>..."). Live: redrawn
 * (throttled; done == 0 always draws); plain: a line when done == 0 and then
 * at most every PROGRESS_PLAIN_EVERY_S seconds. */
enum { PROGRESS_PLAIN_EVERY_S = 10 };
void progress_phase(progress *p, const char *what, size_t done, size_t total);
/* Prints a message on a line of its own (ending any live line first). */
void progress_say(progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Ends a live line with its newline. */
void progress_end(progress *p);

/* "1h02m", "3m20s", "45s" ("?" when not finite). */
void progress_format_duration(char *buf, size_t size, double s);
/* 10000 -> "10,000". */
void progress_format_count(char *buf, size_t size, size_t n);
/* The step line as it would be drawn on a terminal `width` columns wide (0:
 * no limit): the longest form that fits in width - 1 columns, else cut. */
void progress_format_line(char *buf, size_t size, const progress_info *info, int width);

#endif
