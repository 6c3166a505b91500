/* The training job on device 0: shuffling determinism, the flags' text form,
 * exact resume (k steps, interrupt, resume to n == n uninterrupted, bit for
 * bit), a killed checkpoint save leaving a loadable checkpoint, a NaN loss
 * stopping without touching the checkpoint, and a short run whose loss falls. */
#include <dirent.h>
#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "io/io_file.h"
#include "pcnn/ckpt.h"
#include "pcnn/npy.h"
#include "test_util.h"
#include "train/train.h"
#include "train/train_ckpt.h"
#include "train/train_run_dir.h"
#include "train/train_shuffle.h"

static int setup_cpu(void **state)
{
    pcnn_device *dev;
    if (test_device_open(0, &dev) != PCNN_OK)
        return -1;
    *state = dev;
    return 0;
}

static int teardown(void **state)
{
    pcnn_device_close(*state);
    return 0;
}

static int is_permutation(const uint32_t *order, size_t n)
{
    unsigned char *seen = calloc(n, 1);
    int ok = 1;
    for (size_t i = 0; i < n && ok; i++) {
        ok = order[i] < n && !seen[order[i]];
        if (ok)
            seen[order[i]] = 1;
    }
    free(seen);
    return ok;
}

static size_t same_places(const uint32_t *a, const uint32_t *b, size_t n)
{
    size_t same = 0;
    for (size_t i = 0; i < n; i++)
        same += a[i] == b[i];
    return same;
}

static void test_shuffle_is_seeded_and_a_permutation(void **state)
{
    (void)state;
    enum { N = 1000 };
    uint32_t *a = malloc(N * 4), *b = malloc(N * 4);
    for (uint64_t epoch = 0; epoch < 5; epoch++) {
        shuffle_epoch_order(a, N, 7, epoch);
        assert_true(is_permutation(a, N));
        shuffle_epoch_order(b, N, 7, epoch);
        assert_memory_equal(a, b, N * 4); /* same seed and epoch: same order */
        /* Another epoch or another seed: another order. Two random permutations
         * share about one place (expected 1); 50 would be astronomically rare. */
        shuffle_epoch_order(b, N, 7, epoch + 1);
        assert_true(same_places(a, b, N) < 50);
        shuffle_epoch_order(b, N, 8, epoch);
        assert_true(same_places(a, b, N) < 50);
    }
    /* It is a shuffle, not the identity. */
    uint32_t *id = malloc(N * 4);
    for (uint32_t i = 0; i < N; i++)
        id[i] = i;
    assert_true(same_places(a, id, N) < 50);
    free(a);
    free(b);
    free(id);
}

static void test_flags_text_round_trip(void **state)
{
    (void)state;
    train_flags f = train_flags_defaults(), back;
    snprintf(f.data, sizeof f.data, "cifar10:/data/cifar");
    snprintf(f.split, sizeof f.split, "seed");
    f.lr = 0.1 + 0.2; /* not representable in few digits */
    f.lr_decay = 0.999995;
    f.steps = 12345;
    f.seed = 99;
    char text[4096];
    train_flags_format(&f, text, sizeof text);
    assert_int_equal(train_flags_parse(text, "t", &back), PCNN_OK);
    assert_string_equal(back.data, f.data);
    assert_string_equal(back.split, f.split);
    assert_true(back.lr == f.lr);
    assert_true(back.lr_decay == f.lr_decay);
    assert_int_equal(back.steps, 12345);
    assert_int_equal(back.seed, 99);
    assert_int_equal(back.batch, f.batch);
    assert_int_not_equal(train_flags_parse("data=x\n", "t", &back), PCNN_OK); /* incomplete */
    print_message("  %s\n", pcnn_last_error());
}

/* n structured 6x6 grey images: each row one value from a few, so the model
 * has something to learn (uniform noise would not fall below 8 bits). */
static char *write_images(const char *dir, int n)
{
    size_t shape[4] = {(size_t)n, 6, 6, 1};
    pcnn_array a;
    assert_int_equal(pcnn_array_alloc(&a, PCNN_U8, 4, shape), PCNN_OK);
    uint8_t *p = a.data, noise[6 * 6 * 64];
    test_random_bytes(noise, sizeof noise, 5);
    for (int i = 0; i < n; i++)
        for (int y = 0; y < 6; y++)
            for (int x = 0; x < 6; x++)
                p[(i * 6 + y) * 6 + x] = (uint8_t)(40 * ((i + y) % 4) + (noise[(i * 36 + y * 6 + x) % sizeof noise] & 3));
    char *spec = malloc(600);
    snprintf(spec, 600, "npy:%s/images.npy", dir);
    char path[560];
    snprintf(path, sizeof path, "%s/images.npy", dir);
    assert_int_equal(pcnn_npy_write(path, &a), PCNN_OK);
    pcnn_array_free(&a);
    return spec;
}

static train_flags tiny_flags(const char *spec, long steps)
{
    train_flags f = train_flags_defaults();
    snprintf(f.data, sizeof f.data, "%s", spec);
    snprintf(f.test_data, sizeof f.test_data, "%s", spec);
    f.hidden_dim = 2;
    f.out_dim = 4;
    f.layers = 1;
    f.batch = 4;
    f.steps = steps;
    f.epochs = 0;
    f.seed = 3;
    f.eval_every = 3;   /* evaluations and samples between steps must not disturb training */
    f.sample_every = 4;
    f.ckpt_every = 5;
    return f;
}

typedef struct {
    double loss[64];
    long last;
    long stop_at;
    volatile sig_atomic_t *flag;
} recorder;

static void record(void *ctx, long step, double loss)
{
    recorder *r = ctx;
    assert_true(step >= 1 && step < 64);
    r->loss[step] = loss;
    r->last = step;
    if (r->stop_at && step == r->stop_at)
        *r->flag = 1; /* as SIGINT would */
}

static float *read_params(const char *dir, size_t *n)
{
    char path[600];
    snprintf(path, sizeof path, "%s/checkpoint.pcnn", dir);
    pcnn_ckpt ck;
    assert_int_equal(pcnn_ckpt_read(path, &ck), PCNN_OK);
    const pcnn_record *r = pcnn_ckpt_find(&ck, "params");
    assert_non_null(r);
    float *p = malloc(r->bytes);
    memcpy(p, r->data, r->bytes);
    *n = r->bytes / 4;
    pcnn_ckpt_free(&ck);
    return p;
}

static void test_resume_is_exact(void **state)
{
    enum { N = 14, K = 6 }; /* 40 images, batch 4: epochs turn over at steps 10 */
    char *dir = test_tmpdir(), a[560], b[560];
    char *spec = write_images(dir, 40);
    snprintf(a, sizeof a, "%s/straight", dir);
    snprintf(b, sizeof b, "%s/stopped", dir);
    train_flags f = tiny_flags(spec, N);
    volatile sig_atomic_t flag = 0;
    recorder straight = {0}, stopped = {.stop_at = K, .flag = &flag};
    train_result r;
    train_opts o = {.run_dir = a, .quiet = 1, .hook = record, .hook_ctx = &straight};
    assert_int_equal(train_run(*state, &f, &o, &r), PCNN_OK);
    assert_int_equal(r.steps_done, N);
    assert_false(r.interrupted);

    o = (train_opts){.run_dir = b, .quiet = 1, .interrupted = &flag, .hook = record, .hook_ctx = &stopped};
    assert_int_equal(train_run(*state, &f, &o, &r), PCNN_OK);
    assert_true(r.interrupted);
    assert_int_equal(r.steps_done, K);
    /* The checkpoint says where it stopped; continue from it. */
    train_flags stored;
    assert_int_equal(train_read_run_flags(b, &stored), PCNN_OK);
    assert_int_equal(stored.steps, N);
    flag = 0;
    recorder resumed = {0};
    o = (train_opts){.run_dir = b, .resume = 1, .quiet = 1, .interrupted = &flag, .hook = record, .hook_ctx = &resumed};
    assert_int_equal(train_run(*state, &stored, &o, &r), PCNN_OK);
    assert_int_equal(r.steps_done, N);
    assert_int_equal(resumed.last, N);
    for (int s = 1; s <= N; s++) {
        double got = s <= K ? stopped.loss[s] : resumed.loss[s];
        print_message("  step %2d: %.17g %s %.17g\n", s, straight.loss[s], got == straight.loss[s] ? "==" : "!=", got);
        assert_true(got == straight.loss[s]); /* bit for bit */
    }
    assert_true(straight.loss[N] < straight.loss[1]);
    size_t na, nb;
    float *pa = read_params(a, &na), *pb = read_params(b, &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(pa, pb, na * 4);
    free(pa);
    free(pb);

    /* The log holds each step once, in order, with its header. */
    char path[600];
    snprintf(path, sizeof path, "%s/log.csv", b);
    train_log log;
    assert_int_equal(train_log_open(&log, b, 1000), PCNN_OK);
    assert_true(log.n >= 2);
    for (size_t i = 1; i < log.n; i++)
        assert_true(log.rows[i].step > log.rows[i - 1].step);
    assert_int_equal(log.rows[log.n - 1].step, N);
    train_log_close(&log);
    snprintf(path, sizeof path, "%s/samples/step_0000004.png", b);
    assert_true(access(path, R_OK) == 0);
    snprintf(path, sizeof path, "%s/loss.svg", b);
    assert_true(access(path, R_OK) == 0);
    test_rmtree(dir);
    free(dir);
    free(spec);
}

static void test_resume_refuses_another_model(void **state)
{
    char *dir = test_tmpdir(), run[560];
    char *spec = write_images(dir, 8);
    snprintf(run, sizeof run, "%s/run", dir);
    train_flags f = tiny_flags(spec, 2);
    train_result r;
    train_opts o = {.run_dir = run, .quiet = 1};
    assert_int_equal(train_run(*state, &f, &o, &r), PCNN_OK);
    /* A fresh run into the same directory is refused too. */
    assert_int_equal(train_run(*state, &f, &o, &r), PCNN_ERR_ARG);
    print_message("  %s\n", pcnn_last_error());
    assert_non_null(strstr(pcnn_last_error(), "--resume"));
    f.hidden_dim = 3;
    f.steps = 4;
    o.resume = 1;
    assert_int_equal(train_run(*state, &f, &o, &r), PCNN_ERR_ARG);
    print_message("  %s\n", pcnn_last_error());
    assert_non_null(strstr(pcnn_last_error(), "hidden_dim 2"));
    test_rmtree(dir);
    free(dir);
    free(spec);
}

/* A child saves checkpoints in a loop and is SIGKILLed at some moment of it:
 * checkpoint.pcnn (and the one kept beside it) must always load. The model is
 * built before the fork: the child only copies and writes (OpenMP's threads
 * do not survive a fork, so the child must not start a parallel region). */
static void test_killed_save_leaves_a_loadable_checkpoint(void **state)
{
    char *dir = test_tmpdir(), path[600];
    pcnn_config cfg = {.hidden_dim = 8, .out_dim = 16, .n_layers = 4, .channels = 3, .height = 8, .width = 8};
    train_flags f = train_flags_defaults();
    pcnn_model *model;
    pcnn_optim *opt;
    pcnn_optim_state s = pcnn_optim_defaults(PCNN_OPT_ADAM);
    assert_int_equal(pcnn_model_create(*state, &cfg, &model), PCNN_OK);
    assert_int_equal(pcnn_model_init(model, 1), PCNN_OK);
    assert_int_equal(pcnn_optim_create(model, &s, &opt), PCNN_OK);
    long saves_seen = 0;
    for (int round = 0; round < 4; round++) {
        int ready[2];
        assert_int_equal(pipe(ready), 0);
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) { /* the child: save, tell the parent, save again and again */
            for (long step = 1000L * round + 1;; step++) {
                train_progress p = {.step = step, .test_bpd = NAN};
                s.step = step;
                pcnn_optim_set_state(opt, &s);
                if (train_ckpt_save(dir, model, opt, &f, &p, 0))
                    _exit(3);
                if (step == 1000L * round + 1 && write(ready[1], "x", 1) != 1)
                    _exit(4);
            }
        }
        close(ready[1]);
        char c;
        assert_int_equal(read(ready[0], &c, 1), 1);
        close(ready[0]);
        struct timespec pause = {0, 1000000L * (1 + 25 * round)}; /* somewhere in a later save */
        nanosleep(&pause, NULL);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        assert_true(WIFSIGNALED(status));
        const char *names[2] = {"checkpoint.pcnn", "checkpoint.prev.pcnn"};
        for (int k = 0; k < 2; k++) {
            snprintf(path, sizeof path, "%s/%s", dir, names[k]);
            if (k == 1 && access(path, F_OK) != 0)
                continue; /* killed within the second save: no previous one yet */
            pcnn_model *m;
            pcnn_optim *o;
            train_flags back;
            train_progress p;
            pcnn_status st = train_ckpt_load(path, *state, &m, &o, &back, &p);
            if (st)
                fail_msg("round %d: %s does not load after the kill: %s", round, names[k], pcnn_last_error());
            print_message("  round %d: %s loads (step %ld)\n", round, names[k], p.step);
            assert_true(p.step / 1000 == round || (k == 1 && p.step / 1000 == round - 1));
            saves_seen += p.step % 1000;
            pcnn_optim_free(o);
            pcnn_model_free(m);
        }
    }
    assert_true(saves_seen > 4); /* the kills did land after saves had happened */
    /* What the kills left half-written is swept away on resume; the checkpoints stay. */
    run_dir_remove_stale_temps(dir);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int files = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        print_message("  left in the run directory: %s\n", e->d_name);
        assert_null(strstr(e->d_name, ".tmp"));
        files++;
    }
    closedir(d);
    assert_true(files >= 1 && files <= 3); /* checkpoint.pcnn, .prev, maybe a finished .next */
    pcnn_optim_free(opt);
    pcnn_model_free(model);
    test_rmtree(dir);
    free(dir);
}

/* Non-finite optimiser moments are never saved (RMSProp at --lr 1000 made
 * infinite mean squares while the loss stayed finite): the save fails naming
 * the moment and the tensor, checkpoint.pcnn is left byte for byte, and no
 * temporary file stays. And a training checkpoint whose moment records do not
 * fit its config is refused before any device memory is allocated. */
static void test_nonfinite_moments_never_saved(void **state)
{
    char *dir = test_tmpdir(), path[600];
    snprintf(path, sizeof path, "%s/checkpoint.pcnn", dir);
    pcnn_config cfg = {.hidden_dim = 2, .out_dim = 4, .n_layers = 1, .channels = 1, .height = 6, .width = 6};
    train_flags f = train_flags_defaults();
    pcnn_model *model;
    pcnn_optim *opt;
    pcnn_optim_state s = pcnn_optim_defaults(PCNN_OPT_RMSPROP);
    assert_int_equal(pcnn_model_create(*state, &cfg, &model), PCNN_OK);
    assert_int_equal(pcnn_model_init(model, 1), PCNN_OK);
    assert_int_equal(pcnn_optim_create(model, &s, &opt), PCNN_OK);
    train_progress p = {.step = 0, .test_bpd = NAN};
    assert_int_equal(train_ckpt_save(dir, model, opt, &f, &p, 0), PCNN_OK);
    unsigned char *before, *after;
    size_t nb, na;
    assert_int_equal(read_whole_file(path, &before, &nb), PCNN_OK);
    size_t n = pcnn_model_param_count(model);
    float *v = calloc(n, sizeof *v);
    v[n - 3] = INFINITY; /* final_conv.bias */
    assert_int_equal(pcnn_optim_set_moment(opt, 0, v), PCNN_OK);
    assert_int_equal(train_ckpt_save(dir, model, opt, &f, &p, 0), PCNN_ERR_NUMERIC);
    print_message("  refused: %s\n", pcnn_last_error());
    assert_non_null(strstr(pcnn_last_error(), "the optimiser's mean squares (optim.moment.0) of final_conv.bias"));
    assert_int_equal(read_whole_file(path, &after, &na), PCNN_OK);
    assert_int_equal(na, nb);
    assert_memory_equal(after, before, na);
    free(after);
    DIR *d = opendir(dir);
    for (struct dirent *e; (e = readdir(d));)
        assert_null(strstr(e->d_name, ".tmp"));
    closedir(d);

    /* The moment record cut to 40 bytes: refused before allocating. */
    pcnn_ckpt ck;
    assert_int_equal(pcnn_ckpt_parse(before, nb, "mem", &ck), PCNN_OK);
    for (int i = 0; i < ck.n; i++)
        if (strcmp(ck.rec[i].name, "optim.moment.0") == 0)
            ck.rec[i].bytes = 40;
    assert_int_equal(pcnn_ckpt_write(&ck, path), PCNN_OK);
    pcnn_ckpt_free(&ck);
    pcnn_device *dev;
    assert_int_equal(test_device_open(0, &dev), PCNN_OK);
    pcnn_model *m2 = (pcnn_model *)1;
    pcnn_optim *o2 = (pcnn_optim *)1;
    train_flags f2;
    train_progress p2;
    assert_int_equal(train_ckpt_load(path, dev, &m2, &o2, &f2, &p2), PCNN_ERR_FORMAT);
    print_message("  refused: %s (device bytes at the peak: %zu)\n", pcnn_last_error(), dev->bytes_peak);
    assert_non_null(strstr(pcnn_last_error(), "optim.moment.0"));
    assert_int_equal(dev->bytes_peak, 0);
    assert_null(m2);
    assert_null(o2);
    pcnn_device_close(dev);
    free(before);
    free(v);
    pcnn_optim_free(opt);
    pcnn_model_free(model);
    test_rmtree(dir);
    free(dir);
}

/* Huge (finite) weights make a non-finite loss: the job stops naming the
 * step, and the checkpoint it would resume from is left byte for byte as it
 * was. (NaN weights never get this far: loading refuses them.) */
static void test_nan_loss_stops_and_keeps_the_checkpoint(void **state)
{
    char *dir = test_tmpdir(), run[560], path[600];
    char *spec = write_images(dir, 8);
    snprintf(run, sizeof run, "%s/run", dir);
    snprintf(path, sizeof path, "%s/checkpoint.pcnn", run);
    train_flags f = tiny_flags(spec, 2);
    train_result r;
    train_opts o = {.run_dir = run, .quiet = 1};
    assert_int_equal(train_run(*state, &f, &o, &r), PCNN_OK);
    /* Poison the weights inside the checkpoint (the CRC is rewritten). */
    pcnn_ckpt ck;
    assert_int_equal(pcnn_ckpt_read(path, &ck), PCNN_OK);
    const pcnn_record *p = pcnn_ckpt_find(&ck, "params");
    float huge = 1e30f;
    for (size_t i = 0; i < p->bytes / 4; i++)
        memcpy((unsigned char *)p->data + 4 * i, &huge, 4);
    assert_int_equal(pcnn_ckpt_write(&ck, path), PCNN_OK);
    pcnn_ckpt_free(&ck);
    unsigned char *before, *after;
    size_t nb, na;
    assert_int_equal(read_whole_file(path, &before, &nb), PCNN_OK);
    f.steps = 4;
    o.resume = 1;
    assert_int_equal(train_run(*state, &f, &o, &r), PCNN_ERR_NUMERIC);
    print_message("  %s\n", pcnn_last_error());
    assert_non_null(strstr(pcnn_last_error(), "step 3"));
    assert_non_null(strstr(pcnn_last_error(), "--lr"));
    assert_int_equal(read_whole_file(path, &after, &na), PCNN_OK);
    assert_int_equal(na, nb);
    assert_memory_equal(after, before, na);
    free(before);
    free(after);
    test_rmtree(dir);
    free(dir);
    free(spec);
}

/* A short real run: the mean training loss of the last steps is well below
 * that of the first steps (uniform guessing is 8 bits/dim). */
static void test_short_run_loss_falls(void **state)
{
    enum { N = 48 };
    char *dir = test_tmpdir(), run[560];
    char *spec = write_images(dir, 64);
    snprintf(run, sizeof run, "%s/run", dir);
    train_flags f = tiny_flags(spec, N);
    f.hidden_dim = 4;
    f.out_dim = 8;
    f.lr = 1e-2;
    f.sample_every = 0;
    f.eval_every = 16;
    recorder rec = {0};
    train_result r;
    train_opts o = {.run_dir = run, .quiet = 1, .hook = record, .hook_ctx = &rec};
    assert_int_equal(train_run(*state, &f, &o, &r), PCNN_OK);
    double first = 0, last = 0;
    for (int s = 1; s <= 8; s++) {
        first += rec.loss[s] / 8 / log(2.0);
        last += rec.loss[N - 8 + s] / 8 / log(2.0);
    }
    print_message("  train bits/dim: first 8 steps %.3f, last 8 steps %.3f; test %.3f\n", first, last,
                  r.last_test_bpd);
    assert_true(first > 7.0); /* a fresh model guesses about uniformly */
    assert_true(last < first - 2.0);
    assert_true(r.last_test_bpd > 0 && r.last_test_bpd < first - 2.0);
    test_rmtree(dir);
    free(dir);
    free(spec);
}

/* Issue 14 §1: a diverged run's bits/dim (1e16..1e33, all alike) made the
 * chart's tick loop add a step below one ULP of the values forever. Each
 * chart, drawn in a child under a 20 s alarm and a 1 MB file-size limit, must
 * end with a small SVG. */
static void test_loss_chart_of_huge_values_ends(void **state)
{
    (void)state;
    static const double values[][2] = {{1e33, 1e33},       {1e16, 1e16 * (1 + 1e-15)}, {3.0, 1e33},
                                       {DBL_MAX, DBL_MAX}, {-DBL_MAX, DBL_MAX},        {1e-300, 2e-300}};
    char *dir = test_tmpdir(), path[560];
    snprintf(path, sizeof path, "%s/loss.svg", dir);
    for (size_t k = 0; k < sizeof values / sizeof values[0]; k++) {
        log_row rows[3] = {{.step = 1, .train_bpd = values[k][0], .test_bpd = NAN},
                           {.step = 2, .train_bpd = values[k][1], .test_bpd = values[k][1]},
                           {.step = 1000000000, .train_bpd = values[k][1], .test_bpd = NAN}};
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            alarm(20);
            struct rlimit fs = {1 << 20, 1 << 20};
            setrlimit(RLIMIT_FSIZE, &fs);
            _exit(loss_chart_write(path, rows, 3) == PCNN_OK ? 0 : 1);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        print_message("  chart of %g and %g: %s %d\n", values[k][0], values[k][1],
                      WIFEXITED(status) ? "exit" : "signal",
                      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        struct stat sb;
        assert_int_equal(stat(path, &sb), 0);
        assert_true(sb.st_size > 500 && sb.st_size < 20000);
    }
    test_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shuffle_is_seeded_and_a_permutation),
        cmocka_unit_test(test_flags_text_round_trip),
        cmocka_unit_test(test_resume_is_exact),
        cmocka_unit_test(test_resume_refuses_another_model),
        cmocka_unit_test(test_killed_save_leaves_a_loadable_checkpoint),
        cmocka_unit_test(test_nan_loss_stops_and_keeps_the_checkpoint),
        cmocka_unit_test(test_nonfinite_moments_never_saved),
        cmocka_unit_test(test_short_run_loss_falls),
        cmocka_unit_test(test_loss_chart_of_huge_values_ends),
    };
    return cmocka_run_group_tests_name("training, device 0 (CPU)", tests, setup_cpu, teardown);
}
