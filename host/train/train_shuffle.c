/* Per-epoch shuffling: see train_shuffle.h. */
#include "train/train_shuffle.h"

#include "base/base_rng.h"

/* Keeps the shuffle's random words apart from any other user of the same seed. */
#define SHUFFLE_KEY_TAG 0x53485546464C45ull /* "SHUFFLE" */

void shuffle_epoch_order(uint32_t *order, size_t n, uint64_t seed, uint64_t epoch)
{
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    rng_stream s = {.key = seed ^ SHUFFLE_KEY_TAG, .counter = epoch << 40};
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rng_stream_below(&s, i);
        uint32_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
}
