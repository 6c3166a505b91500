/* pcnn-cl eval --checkpoint FILE|DIR [--data SPEC] [--batch N]: the negative
 * log-likelihood of a dataset's test split (the whole file for npy: and
 * idx:), in nats per sub-pixel, nats per image and bits per sub-pixel (the
 * last line, for scripts). Without --data, the run's own test data (the
 * checkpoint's training flags say which). Progress on stderr: one redrawn
 * line on a terminal, plain lines otherwise. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/base_clock.h"
#include "cli/cli_commands.h"
#include "pcnn/ckpt.h"
#include "pcnn/data.h"
#include "pcnn/model_ckpt.h"
#include "train/train_ckpt.h"

/* The test data the run evaluated on: --test-data, else the training data's
 * test split (the seed's split where the run used it). */
static int run_test_data(const char *ckpt, char *spec, size_t size, pcnn_split *split)
{
    train_flags f;
    if (train_ckpt_read_flags(ckpt, &f)) {
        fprintf(stderr, "pcnn-cl eval: --data is required: %s records no training run (%s)\n", ckpt, pcnn_last_error());
        return EXIT_USAGE;
    }
    const char *use = f.test_data[0] ? f.test_data : f.data;
    if (!f.test_data[0] && !pcnn_dataset_has_test_split(f.data)) {
        fprintf(stderr, "pcnn-cl eval: --data is required: the run's data %s has no test split\n", f.data);
        return EXIT_USAGE;
    }
    *split = !f.test_data[0] && strcmp(f.split, "seed") == 0 ? PCNN_SPLIT_SEED_TEST : PCNN_SPLIT_TEST;
    snprintf(spec, size, "%s", use);
    return 0;
}

/* "evaluating 3,200/10,000 images": redrawn in place on a terminal, else a
 * plain line at most every `every` seconds. */
typedef struct {
    int tty, shown;
    double every, start, last;
} eval_progress;

static void grouped(size_t v, char buf[32])
{
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%zu", v), o = 0;
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = 0;
}

static void progress_show(eval_progress *p, size_t done, size_t total)
{
    double now = clock_now_s();
    if (done < total && now - p->last < (p->tty ? 0.2 : p->every))
        return;
    if (done == total && !p->shown)
        return; /* a quick evaluation says nothing */
    char a[32], b[32];
    grouped(done, a);
    grouped(total, b);
    double rate = now > p->start ? (double)done / (now - p->start) : 0;
    fprintf(stderr, "%sevaluating %s/%s images (%.0f images/s)%s", p->tty ? "\r" : "", a, b, rate,
            p->tty ? (done == total ? "\n" : "\033[K") : "\n");
    fflush(stderr);
    p->shown = 1;
    p->last = now;
}

int cmd_eval(const cli_context *ctx, int argc, char **argv)
{
    const char *ckpt_arg = NULL, *spec = NULL;
    int batch = 16;
    double every = 1.0;
    cli_flag flags[] = {
        {"--checkpoint", FLAG_STRING, &ckpt_arg, "checkpoint file, or a run directory (its checkpoint.pcnn)", 0, 0, 1,
         0},
        {"--data", FLAG_STRING, &spec,
         "images: fashion-mnist, mnist:DIR, cifar10:DIR (their test split), idx:FILE, npy:FILE "
         "(default: the run's test data)",
         0, 0, 0, 0},
        {"--batch", FLAG_INT, &batch, "images per forward pass (16)", 1, 1 << 20, 0, 0},
        {"--progress-every", FLAG_DOUBLE, &every, "internal: seconds between progress lines off a terminal", 0, 1e6, 0,
         0},
    };
    int rc = cli_parse("eval", "--checkpoint FILE|DIR [--data SPEC] [--batch N]", flags, sizeof flags / sizeof flags[0],
                       argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    char ckpt[4096], run_spec[1024];
    if ((rc = cli_checkpoint_path("eval", "--checkpoint", ckpt_arg, ckpt, sizeof ckpt)))
        return rc;
    pcnn_split split = PCNN_SPLIT_TEST;
    if (!spec) {
        if ((rc = run_test_data(ckpt, run_spec, sizeof run_spec, &split)))
            return rc;
        spec = run_spec;
    }
    pcnn_device *dev;
    int open_rc = cli_open_device(ctx, &dev);
    if (open_rc)
        return open_rc;
    pcnn_model *m = NULL;
    pcnn_dataset data = {0};
    double sum = 0.0;
    pcnn_status st = pcnn_model_load(dev, ckpt, &m);
    if (!st)
        st = pcnn_dataset_load(spec, split, &data);
    if (!st && data.channels != pcnn_model_config(m)->channels)
        st = pcnn_fail(PCNN_ERR_ARG, "%s: images have %d colour channels, the model %s expects %d", spec,
                       data.channels, ckpt, pcnn_model_config(m)->channels);
    double start = clock_now_s();
    eval_progress bar = {isatty(STDERR_FILENO), 0, every, start, start};
    for (size_t i = 0; !st && i < data.n; i += (size_t)batch) {
        int b = (int)(data.n - i < (size_t)batch ? data.n - i : (size_t)batch);
        double part;
        st = pcnn_model_loss(m, data.pixels + i * pcnn_dataset_image_bytes(&data), b, data.height, data.width, 0,
                             &part);
        sum += part;
        if (!st)
            progress_show(&bar, i + (size_t)b, data.n);
    }
    double dims = (double)pcnn_dataset_image_bytes(&data);
    double nats = st ? 0 : sum / ((double)data.n * dims);
    if (!st && !isfinite(nats))
        st = pcnn_fail(PCNN_ERR_NUMERIC,
                       "%s: the loss on %s is %s: the model's logits are not finite (its weights "
                       "are broken)",
                       ckpt, spec, isnan(nats) ? "NaN" : "infinite");
    if (st) {
        cli_report_error();
    } else {
        char label[256];
        printf("images=%zu size=%dx%dx%d data=%s device=%s\n", data.n, data.height, data.width, data.channels, spec,
               pcnn_device_label(dev, label, sizeof label));
        printf("nats_per_dim=%.9g\n", nats);
        printf("nats_per_image=%.9g\n", nats * dims);
        printf("bits_per_dim=%.9g\n", nats / log(2.0));
    }
    pcnn_dataset_free(&data);
    pcnn_model_free(m);
    pcnn_device_close(dev);
    return cli_exit_code(st);
}
