/* pcnn-cl eval --checkpoint FILE --data SPEC [--batch N]: the negative
 * log-likelihood of a dataset's test split (the whole file for npy: and
 * idx:), in nats and bits per sub-pixel. */
#include <math.h>
#include <stdio.h>

#include "cli/cli_commands.h"
#include "pcnn/ckpt.h"
#include "pcnn/data.h"
#include "pcnn/model_ckpt.h"

int cmd_eval(const cli_context *ctx, int argc, char **argv)
{
    const char *ckpt = NULL, *spec = NULL;
    int batch = 16;
    cli_flag flags[] = {
        {"--checkpoint", FLAG_STRING, &ckpt, "checkpoint file", 0, 0, 1, 0},
        {"--data", FLAG_STRING, &spec, "images: fashion-mnist, mnist:DIR, cifar10:DIR (their test split), idx:FILE, npy:FILE", 0, 0, 1, 0},
        {"--batch", FLAG_INT, &batch, "images per forward pass (16)", 1, 1 << 20, 0, 0},
    };
    int rc = cli_parse("eval", "--checkpoint FILE --data SPEC [--batch N]", flags, 3, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    pcnn_device *dev;
    int open_rc = cli_open_device(ctx, &dev);
    if (open_rc)
        return open_rc;
    pcnn_model *m = NULL;
    pcnn_dataset data = {0};
    double sum = 0.0;
    pcnn_status st = pcnn_model_load(dev, ckpt, &m);
    if (!st)
        st = pcnn_dataset_load(spec, PCNN_SPLIT_TEST, &data);
    if (!st && data.channels != pcnn_model_config(m)->channels)
        st = pcnn_fail(PCNN_ERR_ARG, "%s: images have %d colour channels, the model %s expects %d", spec,
                       data.channels, ckpt, pcnn_model_config(m)->channels);
    for (size_t i = 0; !st && i < data.n; i += (size_t)batch) {
        int b = (int)(data.n - i < (size_t)batch ? data.n - i : (size_t)batch);
        double part;
        st = pcnn_model_loss(m, data.pixels + i * pcnn_dataset_image_bytes(&data), b, data.height, data.width, 0,
                             &part);
        sum += part;
    }
    if (st) {
        cli_report_error();
    } else {
        double nats = sum / ((double)data.n * pcnn_dataset_image_bytes(&data));
        printf("images=%zu size=%dx%dx%d device=%s\n", data.n, data.height, data.width, data.channels,
               pcnn_device_name(dev));
        printf("bits_per_dim=%.9g\n", nats / log(2.0));
        printf("nats=%.9g\n", nats);
    }
    pcnn_dataset_free(&data);
    pcnn_model_free(m);
    pcnn_device_close(dev);
    return cli_exit_code(st);
}
