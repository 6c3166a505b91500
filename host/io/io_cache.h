/* Where pcnn-cl keeps what only saves time (compiled OpenCL programs, tuned
 * GEMM parameters), and the hash that names those files. */
#ifndef PCNN_IO_CACHE_H
#define PCNN_IO_CACHE_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a 64 over n strings, each followed by a NUL (so "ab"+"c" != "a"+"bc"). */
uint64_t io_hash64(const char *const *parts, int n);

/* The cache directory, created if needed; 0 if there is none to use. */
int io_cache_dir(char *dst, size_t n);

#endif
