/* libFuzzer target: config.txt of a weights directory (key=value lines). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pcnn/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    pcnn_config c;
    if (pcnn_config_parse(text, "fuzz/config.txt", &c) == PCNN_OK) {
        if (pcnn_config_validate(&c) != PCNN_OK)
            abort(); /* parse must only accept valid configs */
        char back[512];
        pcnn_config round;
        pcnn_config_format(&c, back, sizeof back);
        if (pcnn_config_parse(back, "round", &round) != PCNN_OK || memcmp(&round, &c, sizeof c) != 0)
            abort();
    }
    free(text);
    return 0;
}
