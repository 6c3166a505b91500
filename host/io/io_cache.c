/* The cache directory and the key hash: see io_cache.h. */
#include "io/io_cache.h"

#include <stdio.h>

#include "io/io_file.h"

uint64_t io_hash64(const char *const *parts, int n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < n; i++) {
        const unsigned char *p = (const unsigned char *)parts[i];
        do {
            h ^= *p;
            h *= 0x100000001b3ull;
        } while (*p++);
    }
    return h;
}

uint64_t io_hash64_bytes(uint64_t h, const void *bytes, size_t n)
{
    const unsigned char *p = bytes;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

int io_cache_dir_ready(const char *dir)
{
    if (!dir || !*dir || make_dirs(dir) != PCNN_OK) {
        pcnn_clear_error(); /* no cache only costs time */
        return 0;
    }
    return 1;
}
