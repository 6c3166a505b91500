/* Philox4x32-10: see base_rng.h. */
#include "base/base_rng.h"

philox_block philox4x32(uint64_t key, uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3)
{
    uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
    uint32_t x0 = c0, x1 = c1, x2 = c2, x3 = c3;
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)0xD2511F53u * x0, p1 = (uint64_t)0xCD9E8D57u * x2;
        uint32_t y0 = (uint32_t)(p1 >> 32) ^ x1 ^ k0, y1 = (uint32_t)p1;
        uint32_t y2 = (uint32_t)(p0 >> 32) ^ x3 ^ k1, y3 = (uint32_t)p0;
        x0 = y0;
        x1 = y1;
        x2 = y2;
        x3 = y3;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    return (philox_block){{x0, x1, x2, x3}};
}

uint64_t rng_stream_next(rng_stream *s)
{
    uint64_t c = s->counter++;
    philox_block b = philox4x32(s->key, (uint32_t)c, (uint32_t)(c >> 32), 0x5EED5EEDu, 0);
    return (uint64_t)b.v[0] | (uint64_t)b.v[1] << 32;
}

uint64_t rng_stream_below(rng_stream *s, uint64_t n)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    for (;;) {
        uint64_t r = rng_stream_next(s);
        if (r < limit)
            return r % n;
    }
}
