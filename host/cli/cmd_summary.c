/* pcnn-cl summary [--preset NAME | --checkpoint FILE|DIR | --run-dir DIR]
 * [--height H --width W --colours C] [--batch B] (default: small on 28x28x1,
 * the default job's): the model's layers as a table (Keras's
 * model.summary(), with what masking changes), the receptive field of the
 * output, and the memory of one training step. Counts are in model_summary.c. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli_commands.h"
#include "model/model_summary.h"
#include "pcnn/ckpt.h"
#include "pcnn/model_ckpt.h"

/* 1234567 -> "1,234,567" */
static const char *grouped(uint64_t v, char buf[32])
{
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%" PRIu64, v), o = 0;
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = 0;
    return buf;
}

static double mib(uint64_t bytes) { return (double)bytes / (1024.0 * 1024.0); }

static void print_table(const model_summary *s)
{
    char a[32], b[32], c[32], d[32], kernel[16], chans[32];
    printf("%-18s %-7s %-4s %15s %13s %13s %10s %17s %17s\n", "layer", "kernel", "mode", "in -> out", "params",
           "live params", "live taps", "MACs/image dense", "MACs/image live");
    for (int i = 0; i < s->n_layers; i++) {
        const layer_summary *l = &s->layers[i];
        snprintf(kernel, sizeof kernel, "%dx%d", l->kh, l->kw);
        snprintf(chans, sizeof chans, "%d -> %d", l->cin, l->cout);
        char taps[16];
        snprintf(taps, sizeof taps, "%d/%d", l->live_taps, l->kh * l->kw);
        printf("%-18s %-7s %-4c %15s %13s %13s %10s %17s %17s\n", l->name, kernel, l->mode, chans, grouped(l->params, a),
               grouped(l->live_params, b), taps, grouped(l->macs_dense, c), grouped(l->macs_live, d));
    }
    printf("%-18s %-7s %-4s %15s %13s %13s %10s %17s %17s\n", "total", "", "", "", grouped(s->params, a),
           grouped(s->live_params, b), "", grouped(s->macs_dense, c), grouped(s->macs_live, d));
    printf("\nparams: every kernel stored in full HWIO [kh, kw, in, out] (masked taps are stored, as zeros) plus the "
           "biases; live params: only the weights the masks keep, plus the biases.\n");
    printf("MACs: multiply-adds for one %dx%d image; dense = a plain convolution with the full kernel (the seed's "
           "tf.nn.conv2d),\nlive = only the weights the masks keep. pcnn-cl's im2col GEMM over the live taps does %s "
           "(%.2fx fewer than dense; it multiplies the cut centre colour blocks by their zeros).\n",
           s->cfg.height, s->cfg.width, grouped(s->macs_computed, a),
           s->macs_computed ? (double)s->macs_dense / (double)s->macs_computed : 0.0);
}

static void colours_seen(unsigned bits, int C, char *buf, size_t size)
{
    static const char *names = "RGB";
    size_t o = 0;
    buf[0] = 0;
    for (int g = 0; g < C && o + 4 < size; g++)
        if (bits >> g & 1)
            o += (size_t)snprintf(buf + o, size - o, "%s%c", o ? ", " : "", C == 1 ? 'X' : names[g]);
    if (!o)
        snprintf(buf, size, "none");
}

static void print_field(const model_summary *s)
{
    int C = s->cfg.channels, k3 = 0;
    for (int i = 1; i < s->n_layers; i++)
        k3 += s->layers[i].kh > 1 || s->layers[i].kw > 1;
    const receptive_field *f = &s->field[C - 1];
    char a[32], b[32];
    printf("\nreceptive field of the output at a pixel p: the input pixels that can change the logits at p, traced back "
           "through\n%s (%dx%d mask %c) and %d larger-than-1x1 mask-B layer%s (1x1 layers and residual additions add no "
           "pixels):\n",
           s->layers[0].name, s->layers[0].kh, s->layers[0].kw, s->layers[0].mode, k3, k3 == 1 ? "" : "s");
    printf("  extent: %d rows above p, %d columns left and %d right: a bounding box of %d x %d pixels\n", f->rows_above,
           f->cols_left, f->cols_right, f->rows_above + 1, f->cols_left + f->cols_right + 1);
    printf("  pixels before p that influence it: %s of the box's %s before p (the rest is the blind spot to the "
           "upper right that stacked masks leave)\n",
           grouped(f->positions, a), grouped(f->box_before, b));
    for (int c = 0; c < C; c++) {
        char seen[32];
        colours_seen(s->field[c].centre_colours, C, seen, sizeof seen);
        const receptive_field *g = &s->field[c];
        int same = g->positions == f->positions && g->rows_above == f->rows_above && g->cols_left == f->cols_left &&
                   g->cols_right == f->cols_right;
        printf("  output colour %c: at p itself it sees input colours: %s%s\n", C == 1 ? 'X' : "RGB"[c], seen,
               same ? "" : " (and a different set of pixels before p!)");
    }
    if (f->rows_above + 1 > s->cfg.height || f->cols_left + f->cols_right + 1 > s->cfg.width)
        printf("  (larger than a %dx%d image: near the edges the zero padding cuts it)\n", s->cfg.height,
               s->cfg.width);
}

static void print_memory(const model_summary *s)
{
    const train_memory *t = &s->memory;
    printf("\nmemory of one training step, batch %d of %dx%dx%d images, Adam:\n", s->batch, s->cfg.height,
           s->cfg.width, s->cfg.channels);
    printf("  %-56s %10.2f MiB\n", "weights", mib(t->weights));
    printf("  %-56s %10.2f MiB\n", "gradients", mib(t->gradients));
    printf("  %-56s %10.2f MiB\n", "optimiser state (Adam: 2 moments)", mib(t->optimiser));
    printf("  %-56s %10.2f MiB\n", "activations kept for backward (layer inputs, logits)", mib(t->activations));
    printf("  %-56s %10.2f MiB\n", "analytic need (the four above)", mib(t->need));
    printf("  %-56s %10.2f MiB\n", "im2col buffer", mib(t->im2col));
    printf("  %-56s %10.2f MiB\n", "activation gradients beyond the freed logits", mib(t->gradient_spill));
    printf("  %-56s %10.2f MiB\n", "input pixels and per-sub-pixel losses", mib(t->pixels_and_losses));
    printf("  %-56s %10.2f MiB  (%.2fx the need)\n", "total per device", mib(t->total),
           (double)t->total / (double)t->need);
    printf("  The total is what the layout of host/model/model_pass.c allocates, the same on every device; with N MPI ranks "
           "each\n  device holds all of the weights and state and the activations of its B/N images.\n");
}

int cmd_summary(const cli_context *ctx, int argc, char **argv)
{
    const char *preset = "small", *ckpt_arg = NULL, *run_dir = NULL;
    int height = 28, width = 28, colours = 1, batch = 16;
    cli_flag flags[] = {
        {"--preset", FLAG_STRING, &preset,
         "tiny, small, paper or seed (small, on 28x28x1 images: the default job's model)", 0, 0, 0, 0},
        {"--checkpoint", FLAG_STRING, &ckpt_arg, "summarise the model in this checkpoint (or run directory) instead", 0,
         0, 0, 0},
        {"--height", FLAG_INT, &height, "image height (28, or the checkpoint's)", 1, 65536, 0, 0},
        {"--width", FLAG_INT, &width, "image width (28, or the checkpoint's)", 1, 65536, 0, 0},
        {"--colours", FLAG_INT, &colours, "colour channels, 1 or 3 (1, or the checkpoint's)", 1, 3, 0, 0},
        {"--batch", FLAG_INT, &batch, "images per training step, for the memory (16)", 1, 1 << 20, 0, 0},
        {"--run-dir", FLAG_STRING, &run_dir, "summarise the model of this run directory (its checkpoint.pcnn)", 0, 0, 0,
         0},
    };
    int rc = cli_parse("summary",
                       "[--preset NAME | --checkpoint FILE|DIR | --run-dir DIR] [--height N --width N --colours N] "
                       "[--batch N]",
                       flags, sizeof flags / sizeof flags[0], argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    if ((flags[0].seen != 0) + (ckpt_arg != NULL) + (run_dir != NULL) > 1) {
        fprintf(stderr, "pcnn-cl summary: give one of --preset, --checkpoint and --run-dir\n");
        return EXIT_USAGE;
    }
    char ckpt_path[4096];
    const char *ckpt = NULL;
    if (ckpt_arg || run_dir) {
        if ((rc = cli_checkpoint_path("summary", ckpt_arg ? "--checkpoint" : "--run-dir", ckpt_arg ? ckpt_arg : run_dir,
                                      ckpt_path, sizeof ckpt_path)))
            return rc;
        ckpt = ckpt_path;
    }
    if (colours != 1 && colours != 3) {
        fprintf(stderr, "pcnn-cl summary: --colours must be 1 or 3, got %d\n", colours);
        return EXIT_USAGE;
    }
    pcnn_config cfg = {.channels = colours, .height = height, .width = width};
    if (!ckpt && pcnn_config_preset(preset, &cfg)) {
        fprintf(stderr, "pcnn-cl summary: %s\n", pcnn_last_error());
        return EXIT_USAGE;
    }
    pcnn_device *dev;
    int open_rc = cli_open_device(ctx, &dev);
    if (open_rc)
        return open_rc;
    pcnn_model *m = NULL;
    pcnn_status st = ckpt ? pcnn_model_load(dev, ckpt, &m) : pcnn_model_create(dev, &cfg, &m);
    if (st) {
        cli_report_error();
        pcnn_device_close(dev);
        return cli_exit_code(st);
    }
    const pcnn_config *mc = pcnn_model_config(m);
    if (ckpt && flags[4].seen && colours != mc->channels) {
        fprintf(stderr, "pcnn-cl summary: --colours %d: %s holds a %d-colour model\n", colours, ckpt, mc->channels);
        pcnn_model_free(m);
        pcnn_device_close(dev);
        return EXIT_USAGE;
    }
    model_summary s;
    st = model_summary_compute(m, flags[2].seen || !ckpt ? height : mc->height,
                               flags[3].seen || !ckpt ? width : mc->width, batch, &s);
    if (st) {
        cli_report_error();
    } else {
        printf("model: %s%s, hidden_dim %d, out_dim %d, %d residual blocks, %d colour%s (2H = %d, O = %d "
               "channels)\n\n",
               ckpt ? "checkpoint " : "preset ", ckpt ? ckpt : preset, mc->hidden_dim, mc->out_dim, mc->n_layers,
               mc->channels, mc->channels > 1 ? "s" : "", 2 * mc->hidden_dim * mc->channels,
               mc->out_dim * mc->channels);
        print_table(&s);
        print_field(&s);
        print_memory(&s);
        printf("\nparams=%" PRIu64 "\nlive_params=%" PRIu64 "\nmacs_dense=%" PRIu64 "\nmacs_live=%" PRIu64
               "\ntrain_step_bytes=%" PRIu64 "\n",
               s.params, s.live_params, s.macs_dense, s.macs_live, s.memory.total);
        model_summary_free(&s);
    }
    pcnn_model_free(m);
    pcnn_device_close(dev);
    return cli_exit_code(st);
}
