/* The directory of what only saves time (compiled OpenCL programs, tuned GEMM
 * parameters), and the hash that names those files. */
#ifndef PCNN_IO_CACHE_H
#define PCNN_IO_CACHE_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a 64 over n strings, each followed by a NUL (so "ab"+"c" != "a"+"bc"). */
uint64_t io_hash64(const char *const *parts, int n);

/* FNV-1a 64 over n bytes, continuing from h (start with IO_HASH64_START). */
#define IO_HASH64_START 0xcbf29ce484222325ull
uint64_t io_hash64_bytes(uint64_t h, const void *bytes, size_t n);

/* Creates the cache directory the caller chose (the CLI: $XDG_CACHE_HOME/pcnn-cl
 * or ~/.cache/pcnn-cl) if needed; 0 if it is unusable (then nothing is cached). */
int io_cache_dir_ready(const char *dir);

#endif
