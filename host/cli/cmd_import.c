/* pcnn-cl import --from DIR --out FILE: a weights directory into a checkpoint. */
#include <stdio.h>

#include "cli/cli_commands.h"
#include "pcnn/ckpt.h"
#include "pcnn/model_ckpt.h"
#include "pcnn/weights_dir.h"

int cmd_import(const cli_context *ctx, int argc, char **argv)
{
    const char *from = NULL, *out = NULL;
    cli_flag flags[] = {
        {"--from", FLAG_STRING, &from, "weights directory: config.txt plus one .npy per tensor", 0, 0, 1, 0},
        {"--out", FLAG_STRING, &out, "checkpoint file to write", 0, 0, 1, 0},
    };
    int rc = cli_parse("import", "--from DIR --out FILE", flags, 2, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    pcnn_device *dev;
    int open_rc = cli_open_device(ctx, &dev);
    if (open_rc)
        return open_rc;
    pcnn_model *m = NULL;
    pcnn_status st = pcnn_weights_dir_load(dev, from, &m);
    if (!st)
        st = pcnn_model_save(m, out);
    if (st)
        cli_report_error();
    else
        printf("imported %s (%zu parameters) into %s\n", from, pcnn_model_param_count(m), out);
    pcnn_model_free(m);
    pcnn_device_close(dev);
    return cli_exit_code(st);
}
