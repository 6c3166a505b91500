/* libFuzzer target: the checkpoint container and the model inside it. Any
 * bytes are refused or accepted without crashing; an accepted model loads. */
#include <stdint.h>
#include <stdlib.h>

#include "pcnn/ckpt.h"
#include "pcnn/model_ckpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static pcnn_device *dev;
    if (!dev && pcnn_device_open_index(0, NULL, &dev))
        abort();
    pcnn_ckpt ck;
    if (pcnn_ckpt_parse(data, size, "fuzz.pcnn", &ck) != PCNN_OK)
        return 0;
    const pcnn_record *cfg = pcnn_ckpt_find(&ck, "config");
    /* Only build small models: a fuzzed config may ask for gigabytes. */
    if (cfg && cfg->bytes < 256) {
        pcnn_config c;
        if (pcnn_config_parse(cfg->data, "fuzz", &c) == PCNN_OK && c.hidden_dim <= 8 && c.out_dim <= 8 &&
            c.n_layers <= 4) {
            pcnn_model *m;
            if (pcnn_model_from_ckpt(dev, &ck, "fuzz.pcnn", &m) == PCNN_OK)
                pcnn_model_free(m);
        }
    }
    pcnn_ckpt_free(&ck);
    return 0;
}
