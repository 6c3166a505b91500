/* libFuzzer target: the .npy reader must refuse or accept any bytes without
 * crashing, and what it accepts must round-trip through the writer's shape. */
#include <stdint.h>
#include <stdlib.h>

#include "pcnn/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pcnn_array a;
    if (pcnn_npy_parse(data, size, "fuzz.npy", &a) == PCNN_OK) {
        if (pcnn_array_bytes(&a) > size)
            abort(); /* accepted more data than the file held */
        pcnn_array_free(&a);
    }
    return 0;
}
