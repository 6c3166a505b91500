/* pcnn-cl train: the flags of the training job, resuming a run with its own
 * settings, and Ctrl-C / SIGTERM as "save a checkpoint and stop". The job
 * itself is host/train/train.c. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_commands.h"
#include "cli/cli_signals.h"
#include "pcnn/config.h"
#include "train/train.h"
#include "train/train_dist.h"
#include "train/train_summary.h"

/* The values as the command line gave them (NULL/unseen: not given). */
typedef struct {
    const char *data, *test_data, *split, *preset, *optimizer, *run_dir, *resume;
    int hidden_dim, out_dim, layers, batch, scale, quiet, json;
    long steps, epochs, seed, eval_every, sample_every, ckpt_every;
    double lr, lr_decay, mpi_timeout;
} cli_values;

enum {
    F_DATA,
    F_TEST_DATA,
    F_SPLIT,
    F_PRESET,
    F_HIDDEN,
    F_OUT,
    F_LAYERS,
    F_BATCH,
    F_STEPS,
    F_EPOCHS,
    F_LR,
    F_LR_DECAY,
    F_OPTIMIZER,
    F_SEED,
    F_EVAL,
    F_SAMPLE,
    F_CKPT,
    F_RUN_DIR,
    F_RESUME,
    F_MPI_TIMEOUT,
    F_SCALE,
    F_QUIET,
    F_JSON,
    N_FLAGS
};

static int copy_str(char *dst, size_t size, const char *src, const char *flag)
{
    if (strlen(src) >= size || strchr(src, '\n')) {
        fprintf(stderr, "pcnn-cl train: %s: value too long or has a newline\n", flag);
        return 0;
    }
    strcpy(dst, src);
    return 1;
}

/* A data spec whose path part is relative (npy:data.npy) as an absolute,
 * real path (npy:/home/me/data.npy), so a resume finds the data from any
 * directory and a given --data compares with the stored one as real paths.
 * A path that does not exist (yet) is made absolute from the current
 * directory; its loader reports it. */
static int absolute_spec(char *spec, size_t size, const char *flag)
{
    static const char *const kinds[] = {"npy:", "idx:", "mnist:", "cifar10:", "fashion-mnist:"};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        size_t n = strlen(kinds[k]);
        if (strncmp(spec, kinds[k], n) != 0 || !spec[n])
            continue;
        char *real = realpath(spec + n, NULL), cwd[4096], out[4096];
        int len;
        if (real)
            len = snprintf(out, sizeof out, "%s%s", kinds[k], real);
        else if (spec[n] == '/' || !getcwd(cwd, sizeof cwd))
            len = snprintf(out, sizeof out, "%s", spec);
        else
            len = snprintf(out, sizeof out, "%s%s/%s", kinds[k], cwd, spec + n);
        free(real);
        if (len < 0 || (size_t)len >= size || (size_t)len >= sizeof out) {
            fprintf(stderr, "pcnn-cl train: %s %s: its absolute path is too long\n", flag, spec);
            return 0;
        }
        memcpy(spec, out, (size_t)len + 1);
        return 1;
    }
    return 1;
}

/* A fresh run: the defaults, the preset, then the flags given. Returns 0 or
 * the exit code after printing why. */
static int fresh_flags(const cli_flag *fl, const cli_values *v, train_flags *f)
{
    *f = train_flags_defaults();
    if (fl[F_DATA].seen &&
        (!copy_str(f->data, sizeof f->data, v->data, "--data") || !absolute_spec(f->data, sizeof f->data, "--data")))
        return EXIT_USAGE;
    if (fl[F_TEST_DATA].seen && (!copy_str(f->test_data, sizeof f->test_data, v->test_data, "--test-data") ||
                                 !absolute_spec(f->test_data, sizeof f->test_data, "--test-data")))
        return EXIT_USAGE;
    if (fl[F_SPLIT].seen && !copy_str(f->split, sizeof f->split, v->split, "--split"))
        return EXIT_USAGE;
    if (fl[F_PRESET].seen && !copy_str(f->preset, sizeof f->preset, v->preset, "--preset"))
        return EXIT_USAGE;
    if (fl[F_OPTIMIZER].seen && !copy_str(f->optimizer, sizeof f->optimizer, v->optimizer, "--optimizer"))
        return EXIT_USAGE;
    pcnn_config cfg = {0};
    if (pcnn_config_preset(f->preset, &cfg)) {
        cli_report_error();
        return EXIT_USAGE;
    }
    f->hidden_dim = fl[F_HIDDEN].seen ? v->hidden_dim : cfg.hidden_dim;
    f->out_dim = fl[F_OUT].seen ? v->out_dim : cfg.out_dim;
    f->layers = fl[F_LAYERS].seen ? v->layers : cfg.n_layers;
    if (fl[F_BATCH].seen)
        f->batch = v->batch;
    f->steps = fl[F_STEPS].seen ? v->steps : 0;
    f->epochs = fl[F_EPOCHS].seen ? v->epochs : fl[F_STEPS].seen ? 0 : 1; /* neither: one epoch */
    if (fl[F_LR].seen)
        f->lr = v->lr;
    if (fl[F_LR_DECAY].seen)
        f->lr_decay = v->lr_decay;
    if (fl[F_SEED].seen)
        f->seed = v->seed;
    if (fl[F_EVAL].seen)
        f->eval_every = v->eval_every;
    if (fl[F_SAMPLE].seen)
        f->sample_every = v->sample_every;
    if (fl[F_CKPT].seen)
        f->ckpt_every = v->ckpt_every;
    if (strcmp(f->split, "standard") != 0 && strcmp(f->split, "seed") != 0) {
        fprintf(stderr, "pcnn-cl train: --split: expected standard or seed, got '%s'\n", f->split);
        return EXIT_USAGE;
    }
    if (strcmp(f->optimizer, "adam") != 0 && strcmp(f->optimizer, "rmsprop") != 0) {
        fprintf(stderr, "pcnn-cl train: --optimizer: expected adam or rmsprop, got '%s'\n", f->optimizer);
        return EXIT_USAGE;
    }
    return 0;
}

static int refuse(const char *dir, const char *flag, const char *given, const char *stored)
{
    fprintf(stderr,
            "pcnn-cl train: --resume %s: %s %s differs from the run's %s (see %s/train.txt); a run continues with "
            "its own settings: only --steps, --epochs, --lr and the --*-every intervals may change\n",
            dir, flag, given, stored, dir);
    return EXIT_USAGE;
}

/* A resume: the run's own flags; the ones that may change are taken from the
 * command line, any other flag given must agree with the run. */
static int resume_flags(const cli_flag *fl, const cli_values *v, train_flags *f)
{
    const char *dir = v->resume;
    pcnn_status st = train_read_run_flags(dir, f);
    if (st) {
        cli_report_error();
        return cli_exit_code(st);
    }
    train_flags given;
    int rc = fresh_flags(fl, v, &given);
    if (rc)
        return rc;
    const struct {
        int flag;
        const char *a, *b;
    } strs[] = {
        {F_DATA, given.data, f->data},         {F_TEST_DATA, given.test_data, f->test_data},
        {F_SPLIT, given.split, f->split},      {F_PRESET, given.preset, f->preset},
        {F_OPTIMIZER, given.optimizer, f->optimizer},
    };
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        if (fl[strs[i].flag].seen && strcmp(strs[i].a, strs[i].b) != 0)
            return refuse(dir, fl[strs[i].flag].name, strs[i].a, strs[i].b);
    const struct {
        int flag;
        long a, b;
    } nums[] = {
        {F_HIDDEN, given.hidden_dim, f->hidden_dim}, {F_OUT, given.out_dim, f->out_dim},
        {F_LAYERS, given.layers, f->layers},         {F_BATCH, given.batch, f->batch},
        {F_SEED, given.seed, f->seed},
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        if (fl[nums[i].flag].seen && nums[i].a != nums[i].b) {
            char a[32], b[32];
            snprintf(a, sizeof a, "%ld", nums[i].a);
            snprintf(b, sizeof b, "%ld", nums[i].b);
            return refuse(dir, fl[nums[i].flag].name, a, b);
        }
    if (fl[F_LR_DECAY].seen && given.lr_decay != f->lr_decay) {
        char a[32], b[32];
        snprintf(a, sizeof a, "%.17g", given.lr_decay);
        snprintf(b, sizeof b, "%.17g", f->lr_decay);
        return refuse(dir, "--lr-decay", a, b);
    }
    if (fl[F_RUN_DIR].seen && strcmp(v->run_dir, dir) != 0) {
        fprintf(stderr, "pcnn-cl train: --resume %s continues in that directory; drop --run-dir %s\n", dir, v->run_dir);
        return EXIT_USAGE;
    }
    /* The length: the flags given define it (as on a fresh run). */
    if (fl[F_STEPS].seen || fl[F_EPOCHS].seen) {
        f->steps = given.steps;
        f->epochs = given.epochs;
    }
    if (fl[F_LR].seen)
        f->lr = given.lr;
    if (fl[F_EVAL].seen)
        f->eval_every = given.eval_every;
    if (fl[F_SAMPLE].seen)
        f->sample_every = given.sample_every;
    if (fl[F_CKPT].seen)
        f->ckpt_every = given.ckpt_every;
    return 0;
}

int cmd_train(const cli_context *ctx, int argc, char **argv)
{
    cli_values v = {0};
    cli_flag fl[N_FLAGS] = {
        [F_DATA] = {"--data", FLAG_STRING, &v.data,
                    "training images: fashion-mnist (default), mnist:DIR, idx:FILE, "
                    "cifar10:DIR, npy:FILE",
                    0, 0, 0, 0},
        [F_TEST_DATA] = {"--test-data", FLAG_STRING, &v.test_data, "test images (default: the dataset's test split)", 0,
                         0, 0, 0},
        [F_SPLIT] = {"--split", FLAG_STRING, &v.split,
                     "seed: cifar10 batches 1-4 to train, batch 5 to test "
                     "(the seed's split)",
                     0, 0, 0, 0},
        [F_PRESET] = {"--preset", FLAG_STRING, &v.preset, "tiny, small (default), paper or seed", 0, 0, 0, 0},
        [F_HIDDEN] = {"--hidden-dim", FLAG_INT, &v.hidden_dim, "hidden width per colour (the preset's)", 1, 65536, 0,
                      0},
        [F_OUT] = {"--out-dim", FLAG_INT, &v.out_dim, "output width per colour (the preset's)", 1, 65536, 0, 0},
        [F_LAYERS] = {"--layers", FLAG_INT, &v.layers, "residual blocks (the preset's)", 0, 1000, 0, 0},
        [F_BATCH] = {"--batch", FLAG_INT, &v.batch, "images per step (16)", 1, 1 << 20, 0, 0},
        [F_STEPS] = {"--steps", FLAG_LONG, &v.steps,
                     "optimiser steps to train (with neither this nor --epochs: "
                     "1 epoch)",
                     1, 1e15, 0, 0},
        [F_EPOCHS] = {"--epochs", FLAG_LONG, &v.epochs, "passes over the training images", 1, 1e9, 0, 0},
        [F_LR] = {"--lr", FLAG_DOUBLE, &v.lr, "learning rate (1e-3)", 0, 1e3, 0, 0},
        [F_LR_DECAY] = {"--lr-decay", FLAG_DOUBLE, &v.lr_decay, "lr multiplier after every step (0.999995)", 0, 1, 0,
                        0},
        [F_OPTIMIZER] = {"--optimizer", FLAG_STRING, &v.optimizer, "adam (default) or rmsprop", 0, 0, 0, 0},
        [F_SEED] = {"--seed", FLAG_LONG, &v.seed, "weights, data order and samples (0)", 0, 9223372036854775807.0, 0,
                    0},
        [F_EVAL] = {"--eval-every", FLAG_LONG, &v.eval_every, "test bits/dim every N steps (500; 0 = off)", 0, 1e15, 0,
                    0},
        [F_SAMPLE] = {"--sample-every", FLAG_LONG, &v.sample_every, "sample grid PNG every N steps (1000; 0 = off)", 0,
                      1e15, 0, 0},
        [F_CKPT] = {"--ckpt-every", FLAG_LONG, &v.ckpt_every,
                    "checkpoint every N steps (500; 0 = only at the end "
                    "and on Ctrl-C)",
                    0, 1e15, 0, 0},
        [F_RUN_DIR] = {"--run-dir", FLAG_STRING, &v.run_dir, "where the run's files go (runs/YYYYMMDD-HHMMSS)", 0, 0, 0,
                       0},
        [F_RESUME] = {"--resume", FLAG_STRING, &v.resume, "continue the run in DIR exactly where it stopped", 0, 0, 0,
                      0},
        [F_MPI_TIMEOUT] = {"--mpi-timeout", FLAG_DOUBLE, &v.mpi_timeout,
                           "under mpirun: seconds any collective may "
                           "wait for a dead or hung rank before the job stops (300; 0 = forever)",
                           0, 1e9, 0, 0},
        [F_SCALE] = {"--scale", FLAG_INT, &v.scale,
                     "sample grids draw each pixel as NxN (0 = at least 64 pixels per image side)", 0, 64, 0, 0},
        [F_QUIET] = {"--quiet", FLAG_SWITCH, &v.quiet, "no progress: print only the final summary", 0, 0, 0, 0},
        [F_JSON] = {"--json", FLAG_SWITCH, &v.json, "no progress: print the final summary as one JSON object", 0, 0, 0,
                    0},
    };
    v.mpi_timeout = 300;
    int rc = cli_parse("train", "[--data SPEC] [--preset NAME] [--steps N | --epochs N] [--run-dir DIR] ... | "
                       "--resume DIR [--steps N]", fl, N_FLAGS, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    train_flags f;
    rc = v.resume ? resume_flags(fl, &v, &f) : fresh_flags(fl, &v, &f);
    if (rc)
        return rc;
    char default_dir[64];
    if (!v.resume && !v.run_dir) {
        time_t t = time(NULL);
        strftime(default_dir, sizeof default_dir, "runs/%Y%m%d-%H%M%S", localtime(&t));
    }
    train_opts o = {
        .run_dir = v.resume    ? v.resume
                   : v.run_dir ? v.run_dir
                               : default_dir,
        .resume = v.resume != NULL,
        .lr_given = v.resume != NULL && fl[F_LR].seen,
        .live_progress = isatty(STDOUT_FILENO),
        .quiet = v.quiet || v.json,
        .sample_scale = v.scale,
        .program = cli_program_name(ctx->program),
    };
    dist *d;
    /* Launched by mpirun (Open MPI, or a PMI/PMIx process manager)? */
    int launched = getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
    if (dist_init(NULL, NULL, launched, v.mpi_timeout, &d)) {
        cli_report_error();
        return EXIT_JOB_FAILED;
    }
    if (dist_size(d) > 1)
        o.dist = d;
    pcnn_device *dev;
    /* Under mpirun, --device may be a list (one entry per local rank, cycled);
     * with no --device, ranks take the machine's OpenCL GPUs in turn. */
    rc = cli_open_rank_device(ctx, dist_local_rank(d), &dev);
    if (rc) {
        dist_abort(d, rc);
        dist_finalize(d);
        return rc;
    }
    o.interrupted = cli_catch_stop("train", CLI_STOP_SAVE);
    train_result r;
    pcnn_status st = train_run(dev, &f, &o, &r);
    if (st) {
        if (dist_size(d) > 1)
            fprintf(stderr, "pcnn-cl train (rank %d of %d): %s\n", dist_rank(d), dist_size(d), pcnn_last_error());
        else
            cli_report_error();
        pcnn_device_close(dev);
        rc = cli_exit_code(st); /* a run directory that already holds a run is a usage error too */
        dist_abort(d, rc);      /* the other ranks would wait for this one forever */
        dist_finalize(d);
        return rc;
    }
    if (dist_rank(d) != 0) {
        pcnn_device_close(dev);
        dist_finalize(d);
        return 0;
    }
    if (dist_size(d) > 1 && !v.json)
        printf("mpi: %d ranks, %.4f s of communication per step\n", dist_size(d), r.comm_s_per_step);
    train_summary_ctx sc = {.program = o.program, .run_dir = o.run_dir, .data = f.data, .test_data = f.test_data};
    train_summary_print(stdout, &sc, &r, v.json);
    pcnn_device_close(dev);
    dist_finalize(d);
    return 0;
}
