/* libFuzzer target: a weights .npz (import --from FILE.npz): the zip
 * container (libzip), config.txt, manifest.txt and every tensor. Any bytes
 * are refused or accepted without crashing, or allocating from a size the
 * archive declares before it is checked against config.txt; an accepted
 * model loads. */
#include <stdint.h>
#include <stdlib.h>

#include "pcnn/device.h"
#include "pcnn/weights_dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static pcnn_device *dev;
    if (!dev && pcnn_device_open_index(0, NULL, &dev))
        abort();
    pcnn_model *m;
    if (pcnn_weights_npz_parse(dev, data, size, "fuzz.npz", &m) == PCNN_OK)
        pcnn_model_free(m);
    return 0;
}
