/* pcnn-cl export --checkpoint FILE --to DIR: a checkpoint's weights as .npy files. */
#include <stdio.h>

#include "cli/cli_commands.h"
#include "pcnn/ckpt.h"
#include "pcnn/model_ckpt.h"
#include "pcnn/weights_dir.h"

int cmd_export(const cli_context *ctx, int argc, char **argv)
{
    const char *ckpt_arg = NULL, *to = NULL;
    cli_flag flags[] = {
        {"--checkpoint", FLAG_STRING, &ckpt_arg, "checkpoint file to read, or a run directory (its checkpoint.pcnn)", 0,
         0, 1, 0},
        {"--to", FLAG_STRING, &to, "weights directory to write (created if needed)", 0, 0, 1, 0},
    };
    int rc = cli_parse("export", "--checkpoint FILE|DIR --to DIR", flags, 2, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    char ckpt[4096];
    if ((rc = cli_checkpoint_path("export", "--checkpoint", ckpt_arg, ckpt, sizeof ckpt)))
        return rc;
    rc = cli_check_output("--to", to, 1);
    if (rc)
        return rc;
    pcnn_device *dev;
    int open_rc = cli_open_device(ctx, &dev);
    if (open_rc)
        return open_rc;
    pcnn_model *m = NULL;
    pcnn_status st = pcnn_model_load(dev, ckpt, &m);
    if (!st)
        st = pcnn_weights_dir_save(m, to);
    if (st)
        cli_report_error();
    else
        printf("exported %s into %s (%d tensors and config.txt)\n", ckpt, to, pcnn_model_tensor_count(m));
    pcnn_model_free(m);
    pcnn_device_close(dev);
    return cli_exit_code(st);
}
