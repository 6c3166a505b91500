/* The training job's progress display: on a terminal one line redrawn in
 * place with \r (at most a few times a second); elsewhere (a pipe, a log
 * file) plain lines at the moments the caller marks. */
#ifndef PCNN_PROGRESS_H
#define PCNN_PROGRESS_H

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
    double last_draw;
} progress;

/* Redraws the live line (throttled unless `mark`); in plain mode prints a
 * line only when `mark` is set. */
void progress_update(progress *p, const progress_info *info, int mark);
/* Prints a message on a line of its own (ending any live line first). */
void progress_say(progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Ends a live line with its newline. */
void progress_end(progress *p);

#endif
