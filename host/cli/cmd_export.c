/* pcnn-cl export --checkpoint FILE --to DIR|FILE.npz: a checkpoint's weights
 * as .npy files (pcnn/weights_dir.h), all of them or none: a stop signal or a
 * failed write removes what was written and leaves --to as it was. */
#include <stdio.h>

#include "cli/cli_commands.h"
#include "cli/cli_signals.h"
#include "pcnn/ckpt.h"
#include "pcnn/model_ckpt.h"
#include "pcnn/weights_dir.h"
#include "train/train_ckpt.h"

/* The model and the training step (-1: none) of a checkpoint file. */
static pcnn_status load(pcnn_device *dev, const char *path, pcnn_model **m, long *step)
{
    pcnn_ckpt ck;
    pcnn_status st = pcnn_ckpt_read(path, &ck);
    if (st)
        return st;
    st = train_ckpt_step(&ck, path, step);
    if (!st)
        st = pcnn_model_from_ckpt(dev, &ck, path, m);
    pcnn_ckpt_free(&ck);
    return st;
}

/* "step 1200", or "no training step" for a checkpoint import made. */
static const char *step_text(long step, char buf[32])
{
    if (step < 0)
        return "no training step";
    snprintf(buf, 32, "step %ld", step);
    return buf;
}

int cmd_export(const cli_context *ctx, int argc, char **argv)
{
    const char *ckpt_arg = NULL, *to = NULL;
    cli_flag flags[] = {
        {"--checkpoint", FLAG_STRING, &ckpt_arg, "checkpoint file to read, or a run directory (its checkpoint.pcnn)", 0,
         0, 1, 0},
        {"--to", FLAG_STRING, &to,
         "weights directory to write (replaced as a whole; created if needed), or FILE.npz for one NumPy file", 0, 0, 1,
         0},
    };
    int rc = cli_parse("export", "--checkpoint FILE|DIR --to DIR|FILE.npz", flags, 2, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    char ckpt[4096];
    if ((rc = cli_checkpoint_path("export", "--checkpoint", ckpt_arg, ckpt, sizeof ckpt)))
        return rc;
    pcnn_status st = pcnn_weights_save_check(to);
    if (st) {
        cli_report_error();
        return cli_exit_code(st);
    }
    pcnn_device *dev;
    int open_rc = cli_open_device(ctx, &dev);
    if (open_rc)
        return open_rc;
    pcnn_model *m = NULL;
    pcnn_weights_save_opts o = {.step = -1};
    char buf[32];
    st = load(dev, ckpt, &m, &o.step);
    if (!st) {
        o.interrupted = cli_catch_stop("export", CLI_STOP_POLL);
        st = pcnn_weights_save(m, to, &o);
        cli_catch_stop("export", CLI_STOP_EXIT);
    }
    if (st)
        cli_report_error();
    if (st)
        rc = cli_stop_exit_code(st);
    else
        printf("exported %s (%s) into %s: %d tensors, config.txt and manifest.txt\n", ckpt, step_text(o.step, buf), to,
               pcnn_model_tensor_count(m));
    pcnn_model_free(m);
    pcnn_device_close(dev);
    return rc;
}
