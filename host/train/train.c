/* The training loop: see train.h. Setup (data, model, optimiser, run
 * directory, or all of it from a checkpoint), then steps with logging,
 * evaluation, sample grids and checkpoints at their intervals. */
#include "train/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base_clock.h"
#include "base/base_sysinfo.h"
#include "base/base_try.h"
#include "io/io_cache.h"
#include "io/io_file.h"
#include "pcnn/ckpt.h"
#include "pcnn/data.h"
#include "pcnn/optim.h"
#include "train/train_ckpt.h"
#include "train/train_dist.h"
#include "train/train_progress.h"
#include "train/train_run_dir.h"
#include "train/train_run_page.h"
#include "train/train_sample_grid.h"
#include "train/train_shuffle.h"

/* A log row every LOG_EVERY steps (and at evaluations and the end): its train
 * bits/dim is the mean over the steps since the row before. */
enum { LOG_EVERY = 10, SAMPLE_IMAGES = 16 };

typedef struct {
    const train_flags *f; /* &flags */
    train_flags flags;    /* the caller's, with data_check filled in */
    const train_opts *o;
    pcnn_dataset train, test;
    int have_test;
    pcnn_model *m;
    pcnn_optim *opt;
    train_progress p;
    uint32_t *order; /* this epoch's order */
    uint8_t *batch;  /* [B, H, W, C] */
    train_log log;
    progress bar;
    long total;         /* the step the run ends at */
    long saved_step;    /* the step of checkpoint.pcnn (-1: none) */
    double t_start;     /* this session's start (monotonic) */
    double seconds0;    /* the run's seconds at this session's start */
    long step0;         /* the step at this session's start */
    /* The interval since the last log row. */
    double interval_loss, interval_train_s;
    long interval_steps;
    double last_rate;
    double shown_train_bpd; /* the last row's, for the progress line */
    double comm_s;          /* seconds spent in MPI collectives this session */
    run_dir_hold hold;      /* the run directory's lock (the writer's) */
    int latest_is_bad;      /* resumed from prev: checkpoint.pcnn is not loadable */
    /* For the ETA: this session's seconds in steps, and the last evaluation's
     * and sample grid's durations (NaN until one ran). */
    double train_s, eval_s, sample_s;
    int eval_pending; /* an evaluation was cut short by the stop flag */
    char title[300];  /* "runs/fm (preset small)" for the chart and the page */
} job;

/* With MPI, rank 0 alone writes files and prints; every rank computes. */
static int is_writer(const job *j) { return !j->o->dist || dist_rank(j->o->dist) == 0; }
static int ranks(const job *j) { return j->o->dist ? dist_size(j->o->dist) : 1; }

static double run_seconds(const job *j) { return j->seconds0 + (clock_now_s() - j->t_start); }

static const char *program(const job *j) { return j->o->program ? j->o->program : "pcnn-cl"; }

/* Loads one dataset, saying so first (Fashion-MNIST's gzipped files take seconds). */
static pcnn_status load_one(job *j, const char *spec, pcnn_split split, const char *what, pcnn_dataset *out)
{
    char line[1200];
    snprintf(line, sizeof line, "loading %s images (%s)", what, spec);
    progress_phase(&j->bar, line, 0, 0);
    return pcnn_dataset_load(spec, split, out);
}

/* The training images' fingerprint, recorded at the start (train.txt and
 * every checkpoint's flags) and compared on resume: a data file that was
 * replaced or changed since would silently continue on other data. */
static pcnn_status check_data(job *j)
{
    const pcnn_dataset *d = &j->train;
    uint64_t h = io_hash64_bytes(IO_HASH64_START, d->pixels, d->n * pcnn_dataset_image_bytes(d));
    char now[sizeof j->flags.data_check];
    snprintf(now, sizeof now, "%zu images %dx%dx%d, fnv1a64 %016llx", d->n, d->height, d->width, d->channels,
             (unsigned long long)h);
    if (j->o->resume && j->flags.data_check[0] && strcmp(now, j->flags.data_check) != 0)
        return pcnn_fail(PCNN_ERR_ARG,
                         "--resume %s: the training data %s changed since the run started (then %s; now %s): "
                         "resume with the data it started on, or start a new run",
                         j->o->run_dir, j->f->data, j->flags.data_check, now);
    memcpy(j->flags.data_check, now, sizeof now);
    return PCNN_OK;
}

static pcnn_status load_data(job *j)
{
    const train_flags *f = j->f;
    int seed = strcmp(f->split, "seed") == 0;
    TRY(load_one(j, f->data, seed ? PCNN_SPLIT_SEED_TRAIN : PCNN_SPLIT_TRAIN, "training", &j->train));
    if (f->test_data[0]) {
        TRY(load_one(j, f->test_data, PCNN_SPLIT_TEST, "test", &j->test));
        j->have_test = 1;
    } else if (pcnn_dataset_has_test_split(f->data)) {
        TRY(load_one(j, f->data, seed ? PCNN_SPLIT_SEED_TEST : PCNN_SPLIT_TEST, "test", &j->test));
        j->have_test = 1;
    }
    if (j->have_test && (j->test.height != j->train.height || j->test.width != j->train.width ||
                         j->test.channels != j->train.channels))
        return pcnn_fail(PCNN_ERR_ARG, "--test-data %s: images are %dx%dx%d, the training images (%s) %dx%dx%d",
                         f->test_data[0] ? f->test_data : f->data, j->test.height, j->test.width, j->test.channels,
                         f->data, j->train.height, j->train.width, j->train.channels);
    if (j->train.n > UINT32_MAX)
        return pcnn_fail(PCNN_ERR_ARG, "--data %s: %zu images is more than this build shuffles", f->data, j->train.n);
    return check_data(j);
}

static pcnn_status parse_optimizer(const char *name, pcnn_optimizer *out)
{
    if (strcmp(name, "adam") == 0)
        *out = PCNN_OPT_ADAM;
    else if (strcmp(name, "rmsprop") == 0)
        *out = PCNN_OPT_RMSPROP;
    else
        return pcnn_fail(PCNN_ERR_ARG, "--optimizer: expected adam or rmsprop, got '%s'", name);
    return PCNN_OK;
}

/* load(path) on the run's checkpoint.pcnn or, when that cannot be used
 * (corrupt, truncated, missing), on checkpoint.prev.pcnn; then why_latest
 * says what was wrong with the latest (else it is empty). A failure names
 * the latest's problem, and prev's when there is a prev. */
enum { WHY_SIZE = 700 };
static pcnn_status load_latest_or_prev(const char *run_dir, pcnn_status (*load)(const char *path, void *ctx), void *ctx,
                                       char why_latest[WHY_SIZE])
{
    why_latest[0] = 0;
    char *latest = run_dir_path(run_dir, "checkpoint.pcnn"), *prev = run_dir_path(run_dir, "checkpoint.prev.pcnn");
    pcnn_status st = latest && prev ? load(latest, ctx) : PCNN_ERR_MEMORY;
    if (st && st != PCNN_ERR_MEMORY && st != PCNN_ERR_ARG) {
        char why[WHY_SIZE];
        snprintf(why, sizeof why, "%s", pcnn_last_error());
        if (!file_exists(prev))
            st = pcnn_fail(st, "%s", why);
        else if (load(prev, ctx) == PCNN_OK) {
            st = PCNN_OK;
            memcpy(why_latest, why, sizeof why);
        } else {
            char why_prev[WHY_SIZE];
            snprintf(why_prev, sizeof why_prev, "%s", pcnn_last_error()); /* pcnn_fail writes over it */
            st = pcnn_fail(st, "%s; and the previous checkpoint cannot be used either: %s", why, why_prev);
        }
    }
    free(latest);
    free(prev);
    return st;
}

typedef struct {
    job *j;
    pcnn_device *dev;
    train_flags stored;
} load_ctx;

static pcnn_status load_training(const char *path, void *ctx)
{
    load_ctx *c = ctx;
    return train_ckpt_load(path, c->dev, &c->j->m, &c->j->opt, &c->stored, &c->j->p);
}

/* The model and optimiser: new, or from the run's checkpoint (falling back to
 * the previous one if the latest cannot be read). */
static pcnn_status make_model(job *j, pcnn_device *dev)
{
    const train_flags *f = j->f;
    pcnn_optimizer kind = PCNN_OPT_ADAM;
    TRY(parse_optimizer(f->optimizer, &kind));
    if (!j->o->resume) {
        pcnn_config cfg = {.hidden_dim = f->hidden_dim, .out_dim = f->out_dim, .n_layers = f->layers,
                           .channels = j->train.channels, .height = j->train.height, .width = j->train.width};
        TRY(pcnn_model_create(dev, &cfg, &j->m));
        TRY(pcnn_model_init(j->m, (uint64_t)f->seed));
        pcnn_optim_state s = pcnn_optim_defaults(kind);
        s.lr = f->lr;
        s.lr_decay = f->lr_decay;
        TRY(pcnn_optim_create(j->m, &s, &j->opt));
        j->p = (train_progress){.shuffle_seed = (uint64_t)f->seed, .test_bpd = NAN};
        return PCNN_OK;
    }
    load_ctx ctx = {.j = j, .dev = dev};
    char why[WHY_SIZE];
    TRY(load_latest_or_prev(j->o->run_dir, load_training, &ctx, why));
    if (why[0]) {
        progress_say(&j->bar,
                     "warning: %s; resuming from %s/checkpoint.prev.pcnn (step %ld) instead; the "
                     "unloadable one goes to checkpoint.bad.pcnn at the next save",
                     why, j->o->run_dir, j->p.step);
        j->latest_is_bad = 1;
    }
    const pcnn_config *c = pcnn_model_config(j->m);
    if (c->hidden_dim != f->hidden_dim || c->out_dim != f->out_dim || c->n_layers != f->layers)
        return pcnn_fail(PCNN_ERR_ARG, "--resume %s: the checkpoint's model (hidden_dim %d, out_dim %d, layers %d) is "
                         "not the one the flags describe (%d, %d, %d)", j->o->run_dir, c->hidden_dim, c->out_dim,
                         c->n_layers, f->hidden_dim, f->out_dim, f->layers);
    if (c->channels != j->train.channels || c->height != j->train.height || c->width != j->train.width)
        return pcnn_fail(PCNN_ERR_ARG, "--resume %s: the checkpoint's model is for %dx%dx%d images, --data %s holds "
                         "%dx%dx%d", j->o->run_dir, c->height, c->width, c->channels, f->data, j->train.height,
                         j->train.width, j->train.channels);
    if (pcnn_optim_get_state(j->opt)->kind != kind)
        return pcnn_fail(PCNN_ERR_ARG, "--resume %s: the checkpoint's optimiser is not %s", j->o->run_dir,
                         f->optimizer);
    if (j->o->lr_given) {
        pcnn_optim_state s = *pcnn_optim_get_state(j->opt);
        s.lr = f->lr;
        pcnn_optim_set_state(j->opt, &s);
    }
    return PCNN_OK;
}

static long total_steps(const job *j)
{
    const train_flags *f = j->f;
    long by_epochs = 0;
    if (f->epochs > 0) {
        double steps = ceil((double)f->epochs * (double)j->train.n / f->batch);
        by_epochs = steps > 1e15 ? (long)1e15 : (long)steps;
    }
    if (f->steps > 0 && by_epochs > 0)
        return f->steps < by_epochs ? f->steps : by_epochs;
    return f->steps > 0 ? f->steps : by_epochs;
}

static pcnn_status setup(job *j, pcnn_device *dev)
{
    const train_flags *f = j->f;
    if (f->batch < ranks(j))
        return pcnn_fail(PCNN_ERR_ARG, "--batch %d is smaller than the %d processes sharing it", f->batch, ranks(j));
    if (is_writer(j)) {
        TRY(run_dir_prepare(j->o->run_dir, j->o->resume, &j->hold));
        if (j->o->resume)
            run_dir_remove_stale_temps(j->o->run_dir);
    }
    TRY(load_data(j));
    TRY(make_model(j, dev));
    if (j->o->dist) /* every rank starts from rank 0's weights */
        TRY(dist_broadcast_params(j->o->dist, j->m));
    if (is_writer(j)) {
        char text[4096];
        pcnn_config_format(pcnn_model_config(j->m), text, sizeof text);
        TRY(run_dir_write_text(j->o->run_dir, "config.txt", text));
        int len = train_flags_format(f, text, sizeof text);
        if (len >= 0 && (size_t)len < sizeof text) /* the device's full name beside the flags */
            snprintf(text + len, sizeof text - (size_t)len, "device=%s\n", pcnn_device_name(dev));
        TRY(run_dir_write_text(j->o->run_dir, "train.txt", text));
        TRY(train_log_open(&j->log, j->o->run_dir, j->o->resume ? j->p.step : -1));
    }
    j->order = malloc(j->train.n * sizeof *j->order);
    j->batch = malloc((size_t)f->batch * pcnn_dataset_image_bytes(&j->train));
    if (!j->order || !j->batch)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory for a batch of %d images", f->batch);
    shuffle_epoch_order(j->order, j->train.n, j->p.shuffle_seed, j->p.epoch);
    j->total = total_steps(j);
    j->saved_step = j->o->resume ? j->p.step : -1;
    return PCNN_OK;
}

/* Copies the next batch in this epoch's order, moving to the next epoch (and
 * its order) when this one is used up. */
static void next_batch(job *j)
{
    size_t per = pcnn_dataset_image_bytes(&j->train);
    for (int i = 0; i < j->f->batch; i++) {
        if (j->p.position >= j->train.n) {
            j->p.epoch++;
            j->p.position = 0;
            shuffle_epoch_order(j->order, j->train.n, j->p.shuffle_seed, j->p.epoch);
        }
        memcpy(j->batch + (size_t)i * per, j->train.pixels + (size_t)j->order[j->p.position++] * per, per);
    }
}

/* Test bits/dim over the first `limit` test images (0: all). *stopped when
 * the interrupt flag cut it short (the result is then meaningless). */
static pcnn_status evaluate(job *j, double *bpd, int *stopped)
{
    size_t n = j->o->eval_images && j->o->eval_images < j->test.n ? j->o->eval_images : j->test.n;
    size_t per = pcnn_dataset_image_bytes(&j->test), first = 0, end = n;
    double sum = 0.0;
    *stopped = 0;
    if (j->o->dist) /* each rank its share of the test images; the sums are added below */
        dist_share(j->o->dist, n, &first, &end);
    char what[96];
    snprintf(what, sizeof what, "step %ld/%ld: evaluating test", j->p.step, j->total);
    double t0 = clock_now_s();
    for (size_t i = first; i < end; i += (size_t)j->f->batch) {
        /* Ranks must stay in step, so only a lone process stops mid-evaluation. */
        if (ranks(j) == 1 && j->o->interrupted && *j->o->interrupted) {
            *stopped = 1;
            return PCNN_OK;
        }
        /* Rank 0 shows its share as the whole: the ranks run in step. */
        progress_phase(&j->bar, what, end > first ? (i - first) * n / (end - first) : 0, n);
        int b = (int)(end - i < (size_t)j->f->batch ? end - i : (size_t)j->f->batch);
        double part;
        TRY(pcnn_model_loss(j->m, j->test.pixels + i * per, b, j->test.height, j->test.width, 0, &part));
        sum += part;
    }
    progress_phase(&j->bar, what, n, n);
    if (j->o->dist)
        TRY(dist_sum(j->o->dist, &sum, 1));
    *bpd = sum / ((double)n * per) / log(2.0);
    j->eval_s = clock_now_s() - t0;
    return PCNN_OK;
}

/* A value that must be finite is not (the loss, a weight, a moment, the test
 * bits/dim): stop without saving, and say where the last good checkpoint is
 * and how to go on. `what` says what went wrong. */
static pcnn_status numeric_stop(job *j, long step, const char *what)
{
    progress_end(&j->bar);
    double lr = pcnn_optim_get_state(j->opt)->lr;
    if (j->saved_step < 0)
        return pcnn_fail(PCNN_ERR_NUMERIC, "step %ld: %s; no checkpoint yet: start again with a lower --lr (now %g)",
                         step, what, lr);
    return pcnn_fail(PCNN_ERR_NUMERIC,
                     "step %ld: %s; stopped without saving: %s/checkpoint.pcnn (step %ld) is the "
                     "last good checkpoint, untouched. Resume with a lower learning rate: %s train --resume %s "
                     "--lr %g",
                     step, what, j->o->run_dir, j->saved_step, program(j), j->o->run_dir, lr / 10);
}

static pcnn_status save(job *j)
{
    j->p.seconds = run_seconds(j);
    if (is_writer(j)) {
        pcnn_status st = train_ckpt_save(j->o->run_dir, j->m, j->opt, j->f, &j->p, j->latest_is_bad);
        if (st == PCNN_ERR_NUMERIC) { /* a weight or moment is NaN or infinite: the message names it */
            char why[600];
            snprintf(why, sizeof why, "%s", pcnn_last_error());
            return numeric_stop(j, j->p.step, why);
        }
        TRY(st);
    }
    j->latest_is_bad = 0;
    j->saved_step = j->p.step;
    return PCNN_OK;
}

static size_t eval_count(const job *j)
{
    return j->o->eval_images && j->o->eval_images < j->test.n ? j->o->eval_images : j->test.n;
}

/* Steps in (from, to] that are multiples of `every` (0: none), plus `to`
 * itself when it is not one (the end has its own evaluation and grid). */
static long due_between(long from, long to, long every)
{
    if (every <= 0 || to <= from)
        return 0;
    return to / every - from / every + (to % every != 0);
}

/* The time left: the steps at this session's pace, plus the evaluations and
 * sample grids still to come at the last one's duration (before the first
 * evaluation: a forward pass costs about a third of a training step). */
static double eta_seconds(const job *j)
{
    long done = j->p.step - j->step0;
    if (done <= 0 || !(j->train_s > 0))
        return NAN;
    const train_flags *f = j->f;
    double step_s = j->train_s / (double)done, eta = step_s * (double)(j->total - j->p.step);
    if (j->have_test && f->eval_every > 0) {
        double each = isfinite(j->eval_s) ? j->eval_s : step_s / f->batch * (double)eval_count(j) / 3;
        eta += each * (double)due_between(j->p.step, j->total, f->eval_every);
    }
    if (f->sample_every > 0 && isfinite(j->sample_s))
        eta += j->sample_s * (double)due_between(j->p.step, j->total, f->sample_every);
    return eta;
}

static progress_info info_now(const job *j, double train_bpd)
{
    return (progress_info){
        .step = j->p.step,
        .total = j->total,
        .train_bpd = train_bpd,
        .test_bpd = j->p.test_bpd,
        .test_step = j->p.test_step,
        .images_per_s = j->last_rate,
        .eta_s = eta_seconds(j),
    };
}

static pcnn_status write_grid(job *j, long step)
{
    char what[96];
    snprintf(what, sizeof what, "step %ld/%ld: drawing %d samples", step, j->total, SAMPLE_IMAGES);
    progress_phase(&j->bar, what, 0, 0);
    double t0 = clock_now_s();
    char *path = NULL;
    /* A stop signal cuts the grid short: no grid, and the loop saves and stops. */
    pcnn_status st = write_sample_grid(j->m, j->o->run_dir, step, SAMPLE_IMAGES, (uint64_t)j->f->seed + (uint64_t)step,
                                       j->o->sample_scale, j->o->interrupted, &path);
    free(path);
    if (st == PCNN_ERR_STOPPED)
        return PCNN_OK;
    TRY(st);
    j->sample_s = clock_now_s() - t0;
    return PCNN_OK;
}

/* loss.svg, then index.html (which inlines it). */
static pcnn_status write_chart_and_page(job *j, const char *status)
{
    if (!is_writer(j))
        return PCNN_OK;
    char *chart = run_dir_path(j->o->run_dir, "loss.svg");
    pcnn_status st = chart ? loss_chart_write_titled(chart, j->log.rows, j->log.n, j->title) : PCNN_ERR_MEMORY;
    free(chart);
    TRY(st);
    char flags[4096], config[4096];
    train_flags_format(j->f, flags, sizeof flags);
    pcnn_config_format(pcnn_model_config(j->m), config, sizeof config);
    run_page page = {.run_dir = j->o->run_dir,
                     .program = program(j),
                     .title = j->title,
                     .status = status,
                     .device = pcnn_device_name(pcnn_model_device(j->m)),
                     .flags_text = flags,
                     .config_text = config,
                     .rows = j->log.rows,
                     .n_rows = j->log.n,
                     .step = j->p.step,
                     .total = j->total,
                     .seconds = run_seconds(j)};
    return run_page_write(&page);
}

static int stop_flag(const job *j) { return j->o->interrupted && *j->o->interrupted; }

/* Everything due after step j->p.step: evaluation, log row, samples, chart
 * and page, checkpoint. */
static pcnn_status after_step(job *j)
{
    const train_flags *f = j->f;
    long step = j->p.step;
    int eval_due = j->have_test && f->eval_every > 0 && (step % f->eval_every == 0 || step == j->total);
    int first_eval = eval_due && !isfinite(j->p.test_bpd);
    double test_bpd = NAN;
    if (eval_due) {
        int stopped;
        TRY(evaluate(j, &test_bpd, &stopped));
        j->eval_pending = stopped;
        if (stopped)
            test_bpd = NAN;
        else if (!isfinite(test_bpd)) {
            char what[64];
            snprintf(what, sizeof what, "the test bits/dim is %g", test_bpd);
            return numeric_stop(j, step, what);
        } else {
            j->p.test_bpd = test_bpd;
            j->p.test_step = step;
        }
    }
    int row_due = step % LOG_EVERY == 0 || isfinite(test_bpd) || step == j->total;
    double train_bpd = j->interval_steps ? j->interval_loss / j->interval_steps / log(2.0) : NAN;
    if (row_due && j->interval_steps && is_writer(j)) {
        j->last_rate = (double)j->interval_steps * f->batch / j->interval_train_s;
        log_row r = {.step = step, .seconds = run_seconds(j), .train_bpd = train_bpd, .test_bpd = test_bpd,
                     .lr = pcnn_optim_get_state(j->opt)->lr, .images_per_s = j->last_rate};
        TRY(train_log_append(&j->log, &r));
        j->interval_loss = j->interval_train_s = 0;
        j->interval_steps = 0;
    }
    /* Grids: every --sample-every steps, the final model's, and a short run's
     * first evaluation (it would have none until its end). Not while stopping. */
    int grid_due = f->sample_every > 0 && is_writer(j) && !stop_flag(j) &&
                   (step % f->sample_every == 0 || step == j->total ||
                    (first_eval && isfinite(test_bpd) && step < f->sample_every));
    if (grid_due)
        TRY(write_grid(j, step));
    int ckpt_due = (f->ckpt_every > 0 && step % f->ckpt_every == 0) || step == j->total;
    if (isfinite(test_bpd) || ckpt_due || grid_due)
        TRY(write_chart_and_page(j, step == j->total ? "finished" : "running"));
    if (row_due && isfinite(train_bpd))
        j->shown_train_bpd = train_bpd;
    /* Every step: a live line redraws itself (throttled); plain output only at marks. */
    progress_info info = info_now(j, j->shown_train_bpd);
    progress_update(&j->bar, &info, row_due && (isfinite(test_bpd) || step % 100 == 0 || step == j->total));
    if (ckpt_due)
        TRY(save(j));
    return PCNN_OK;
}

/* A resume of a run whose evaluation at its checkpoint's step was cut short
 * by a stop redoes it first, and puts its figure in that step's log row. */
static pcnn_status redo_cut_evaluation(job *j)
{
    const train_flags *f = j->f;
    long step = j->p.step;
    if (!j->o->resume || !j->have_test || f->eval_every <= 0 || step <= 0 || step % f->eval_every != 0 ||
        j->p.test_step == step)
        return PCNN_OK;
    progress_say(&j->bar, "step %ld: redoing the evaluation that the stop cut short", step);
    double bpd;
    int stopped;
    TRY(evaluate(j, &bpd, &stopped));
    if (stopped || !isfinite(bpd)) /* stopped again (the loop ends at once), or the step's own check comes later */
        return PCNN_OK;
    j->p.test_bpd = bpd;
    j->p.test_step = step;
    if (is_writer(j))
        TRY(train_log_set_test(&j->log, step, bpd, run_seconds(j)));
    return write_chart_and_page(j, "running");
}

static pcnn_status one_step(job *j)
{
    const pcnn_config *c = pcnn_model_config(j->m);
    double t0 = clock_now_s(), loss_sum;
    next_batch(j);
    /* With MPI this rank takes its share [first, end) of the global batch; the
     * all-reduce turns the gradients into those of the global batch's mean. */
    size_t first = 0, end = (size_t)j->f->batch, per = (size_t)c->height * c->width * c->channels;
    if (j->o->dist)
        dist_share(j->o->dist, end, &first, &end);
    TRY(pcnn_model_loss(j->m, j->batch + first * per, (int)(end - first), c->height, c->width, 1, &loss_sum));
    size_t count = (end - first) * per;
    if (j->o->dist) {
        double comm_s;
        TRY(dist_allreduce_grads(j->o->dist, j->m, &loss_sum, &count, &comm_s));
        j->comm_s += comm_s;
    }
    double loss = loss_sum / (double)count;
    if (!isfinite(loss)) {
        return numeric_stop(j, j->p.step + 1,
                            isnan(loss) ? "the training loss is NaN" : "the training loss is infinite");
    }
    TRY(pcnn_optim_step(j->opt));
    j->p.step++;
    j->interval_loss += loss;
    j->interval_steps++;
    j->interval_train_s += clock_now_s() - t0;
    j->train_s += clock_now_s() - t0;
    if (j->o->hook)
        j->o->hook(j->o->hook_ctx, j->p.step, loss);
    return PCNN_OK;
}

static pcnn_status run(job *j, pcnn_device *dev, train_result *r)
{
    TRY(setup(j, dev));
    j->seconds0 = j->p.seconds;
    j->step0 = j->p.step;
    j->t_start = clock_now_s();
    const pcnn_config *c = pcnn_model_config(j->m);
    const char *base = strrchr(j->o->run_dir, '/');
    snprintf(j->title, sizeof j->title, "%s (preset %s)", base && base[1] ? base + 1 : j->o->run_dir, j->f->preset);
    char device[256], n_train[32], n_test[32], params[32];
    pcnn_device_label(dev, device, sizeof device);
    progress_format_count(n_train, sizeof n_train, j->train.n);
    progress_format_count(n_test, sizeof n_test, j->have_test ? eval_count(j) : 0);
    progress_format_count(params, sizeof params, pcnn_model_param_count(j->m));
    progress_say(&j->bar,
                 "%s %s: %s images %dx%dx%d (%s), %s test; preset %s, %s parameters; batch %d, steps "
                 "%ld..%ld; %s",
                 j->o->resume ? "resuming" : "training", j->o->run_dir, n_train, c->height, c->width, c->channels,
                 j->f->data, n_test, j->f->preset, params, j->f->batch, j->p.step + 1, j->total, device);
    if (!j->have_test)
        progress_say(&j->bar, "note: %s has no test split: give --test-data SPEC to see test bits/dim", j->f->data);
    if (j->saved_step < 0) /* a checkpoint from the start: there is always one to resume or fall back to */
        TRY(save(j));
    TRY(redo_cut_evaluation(j));
    while (j->p.step < j->total) {
        double stop = j->o->interrupted && *j->o->interrupted;
        if (j->o->dist) /* every rank stops at the same step, or the collectives would hang */
            TRY(dist_sum(j->o->dist, &stop, 1));
        if (stop > 0) {
            r->interrupted = 1;
            break;
        }
        TRY(one_step(j));
        TRY(after_step(j));
    }
    if (ranks(j) == 1 && j->o->interrupted && *j->o->interrupted)
        r->interrupted = 1;
    if (r->interrupted && j->saved_step != j->p.step)
        TRY(save(j));
    if (r->interrupted)
        TRY(write_chart_and_page(j, "interrupted"));
    progress_end(&j->bar);
    r->total_steps = j->total;
    r->test_step = j->p.test_step;
    r->session_s = clock_now_s() - j->t_start;
    r->run_s = run_seconds(j);
    r->eval_pending = r->interrupted && j->eval_pending;
    r->steps_done = j->p.step;
    r->comm_s_per_step = j->p.step > j->step0 ? j->comm_s / (double)(j->p.step - j->step0) : 0;
    r->last_test_bpd = isfinite(j->p.test_bpd) ? j->p.test_bpd : -1;
    for (size_t i = j->log.n; i-- > 0;)
        if (isfinite(j->log.rows[i].train_bpd)) {
            r->last_train_bpd = j->log.rows[i].train_bpd;
            break;
        }
    return PCNN_OK;
}

/* A failed write (disk full, directory gone) never touches the last
 * checkpoint: say so, and how to go on. */
static pcnn_status say_checkpoint_intact(const job *j, pcnn_status st)
{
    char why[700];
    snprintf(why, sizeof why, "%s", pcnn_last_error());
    return pcnn_fail(st,
                     "%s; the last checkpoint (step %ld) is intact: once that is fixed, continue with "
                     "%s train --resume %s",
                     why, j->saved_step, program(j), j->o->run_dir);
}

pcnn_status train_run(pcnn_device *dev, const train_flags *flags, const train_opts *opts, train_result *result)
{
    memset(result, 0, sizeof *result);
    result->last_train_bpd = result->last_test_bpd = -1;
    job j;
    memset(&j, 0, sizeof j);
    j.flags = *flags;
    j.f = &j.flags;
    j.o = opts;
    j.bar.live = opts->live_progress;
    j.bar.quiet = opts->quiet || (opts->dist && dist_rank(opts->dist) != 0);
    j.last_rate = j.shown_train_bpd = j.eval_s = j.sample_s = NAN;
    j.t_start = clock_now_s();
    j.saved_step = -1;
    pcnn_status st = run(&j, dev, result);
    if (st == PCNN_ERR_IO && j.saved_step >= 0)
        st = say_checkpoint_intact(&j, st);
    /* A fresh start that failed before its first checkpoint leaves nothing behind. */
    run_dir_release(&j.hold, st && !opts->resume && j.saved_step < 0);
    progress_end(&j.bar);
    train_log_close(&j.log);
    free(j.order);
    free(j.batch);
    pcnn_optim_free(j.opt);
    pcnn_model_free(j.m);
    pcnn_dataset_free(&j.train);
    pcnn_dataset_free(&j.test);
    return st;
}

static pcnn_status load_flags(const char *path, void *out) { return train_ckpt_read_flags(path, out); }

pcnn_status train_read_run_flags(const char *run_dir, train_flags *out)
{
    char *latest = run_dir_path(run_dir, "checkpoint.pcnn"), *prev = run_dir_path(run_dir, "checkpoint.prev.pcnn");
    pcnn_status st = latest && prev ? PCNN_OK : PCNN_ERR_MEMORY;
    if (!st && !file_exists(latest) && !file_exists(prev)) /* not a run directory: the flag is wrong */
        st = pcnn_fail(PCNN_ERR_ARG, "--resume %s: no checkpoint.pcnn in that directory", run_dir);
    char why[WHY_SIZE];
    if (!st)
        st = load_latest_or_prev(run_dir, load_flags, out, why);
    free(latest);
    free(prev);
    return st;
}
