/* libFuzzer target: the checkpoint container and the model inside it. Any
 * bytes are refused or accepted without crashing, or allocating more than
 * they hold; an accepted model loads. */
#include <stdint.h>
#include <stdlib.h>

#include "pcnn/ckpt.h"
#include "pcnn/device.h"
#include "pcnn/model_ckpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static pcnn_device *dev;
    if (!dev && pcnn_device_open_index(0, NULL, &dev))
        abort();
    pcnn_ckpt ck;
    if (pcnn_ckpt_parse(data, size, "fuzz.pcnn", &ck) != PCNN_OK)
        return 0;
    /* Any config, however large the model it asks for: loading checks every
     * record's size against it before allocating (docs/RELIABILITY.md), so
     * what is allocated is bounded by the input's own size (-max_len), and a
     * load that allocated first would trip -rss_limit_mb. */
    pcnn_model *m;
    if (pcnn_model_from_ckpt(dev, &ck, "fuzz.pcnn", &m) == PCNN_OK)
        pcnn_model_free(m);
    pcnn_ckpt_free(&ck);
    return 0;
}
