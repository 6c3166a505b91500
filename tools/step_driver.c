/* One training step (forward, loss, backward, Adam) or one eval forward with
 * the loss on device 0, for counting instructions: tools/count_instructions.sh
 * runs it under callgrind, which collects only inside measured_step (after a
 * first, uncounted call that allocates the workspace).
 *
 *   step_driver train|eval PRESET COLOURS HEIGHT WIDTH BATCH REPS
 *
 * Prints the mean loss of each call (the same before and after a change that
 * keeps the arithmetic). Not built by CMake; the script compiles it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcnn/device.h"
#include "pcnn/model.h"
#include "pcnn/optim.h"

static int step(pcnn_model *m, pcnn_optim *o, const unsigned char *img, int B, const pcnn_config *cfg, int train,
                double *loss)
{
    if (pcnn_model_loss(m, img, B, cfg->height, cfg->width, train, loss))
        return 1;
    return train && pcnn_optim_step(o);
}

__attribute__((noinline)) int measured_step(pcnn_model *m, pcnn_optim *o, const unsigned char *img, int B,
                                            const pcnn_config *cfg, int train, double *loss)
{
    int r = step(m, o, img, B, cfg, train, loss);
    __asm__ volatile("" ::: "memory");
    return r;
}

int main(int argc, char **argv)
{
    if (argc < 8) {
        fprintf(stderr, "usage: step_driver train|eval PRESET COLOURS HEIGHT WIDTH BATCH REPS\n");
        return 2;
    }
    int train = !strcmp(argv[1], "train");
    pcnn_config cfg = {0};
    if (pcnn_config_preset(argv[2], &cfg))
        return 2;
    cfg.channels = atoi(argv[3]);
    cfg.height = atoi(argv[4]);
    cfg.width = atoi(argv[5]);
    int B = atoi(argv[6]), reps = atoi(argv[7]);
    pcnn_device_opts opts = {0};
    pcnn_device *dev;
    pcnn_model *m;
    pcnn_optim *o;
    pcnn_optim_state st = pcnn_optim_defaults(PCNN_OPT_ADAM);
    if (pcnn_device_open_index(0, &opts, &dev) || pcnn_model_create(dev, &cfg, &m) || pcnn_model_init(m, 1) ||
        pcnn_optim_create(m, &st, &o))
        return 1;
    size_t n = (size_t)B * cfg.height * cfg.width * cfg.channels;
    unsigned char *img = malloc(n);
    if (!img)
        return 1;
    unsigned s = 12345;
    for (size_t i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        img[i] = (unsigned char)(s >> 16);
    }
    double loss = 0;
    for (int r = 0; r <= reps; r++) {
        if (r == 0 ? step(m, o, img, B, &cfg, train, &loss) : measured_step(m, o, img, B, &cfg, train, &loss))
            return 1;
        printf("call %d mean loss %.9g\n", r, loss / (double)n);
    }
    free(img);
    pcnn_optim_free(o);
    pcnn_model_free(m);
    pcnn_device_close(dev);
    return 0;
}
