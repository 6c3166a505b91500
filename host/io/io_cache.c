/* The cache directory and the key hash: see io_cache.h. */
#include "io/io_cache.h"

#include <stdio.h>
#include <stdlib.h>

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

int io_cache_dir(char *dst, size_t n)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char base[4096];
    if (xdg && *xdg)
        snprintf(base, sizeof base, "%s", xdg);
    else if (home && *home)
        snprintf(base, sizeof base, "%s/.cache", home);
    else
        return 0;
    if (make_dir(base) != PCNN_OK)
        return 0;
    if ((size_t)snprintf(dst, n, "%s/pcnn-cl", base) >= n)
        return 0;
    return make_dir(dst) == PCNN_OK;
}

