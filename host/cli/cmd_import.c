/* pcnn-cl import --from DIR|FILE.npz --out FILE: weights (pcnn/weights_dir.h)
 * into a checkpoint, checked against their manifest.txt when there is one. A
 * stop signal before the checkpoint is renamed into place leaves no file. */
#include <stdio.h>

#include "cli/cli_commands.h"
#include "cli/cli_signals.h"
#include "pcnn/ckpt.h"
#include "pcnn/model_ckpt.h"
#include "pcnn/weights_dir.h"

int cmd_import(const cli_context *ctx, int argc, char **argv)
{
    const char *from = NULL, *out = NULL;
    cli_flag flags[] = {
        {"--from", FLAG_STRING, &from,
         "weights directory or .npz: config.txt, manifest.txt (checked when present) and one .npy per tensor", 0, 0, 1,
         0},
        {"--out", FLAG_STRING, &out, "checkpoint file to write", 0, 0, 1, 0},
    };
    int rc = cli_parse("import", "--from DIR|FILE.npz --out FILE", flags, 2, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    rc = cli_check_output("--out", out, 0);
    if (rc)
        return rc;
    pcnn_device *dev;
    int open_rc = cli_open_device(ctx, &dev);
    if (open_rc)
        return open_rc;
    pcnn_model *m = NULL;
    volatile sig_atomic_t *stop = cli_catch_stop("import", CLI_STOP_POLL);
    long step = -1;
    pcnn_status st = pcnn_weights_load(dev, from, &m, &step);
    /* The checkpoint is one atomic write: a signal during it takes effect
     * after, so the file is there whole or not at all. */
    int saved = 0;
    if (!st && !*stop) {
        st = pcnn_model_save(m, out);
        saved = !st;
    }
    if (!st && *stop)
        st = pcnn_fail(PCNN_ERR_IO, "import interrupted by signal %d: %s", cli_stop_signal(),
                       saved ? "the checkpoint had been written whole and is kept" : "nothing written");
    cli_catch_stop("import", CLI_STOP_EXIT);
    if (st)
        cli_report_error();
    if (st)
        rc = cli_stop_exit_code(st);
    else {
        char note[48] = "no training step recorded";
        if (step >= 0)
            snprintf(note, sizeof note, "exported at step %ld", step);
        printf("imported %s (%zu parameters, %s) into %s\n", from, pcnn_model_param_count(m), note, out);
    }
    pcnn_model_free(m);
    pcnn_device_close(dev);
    return rc;
}
