/* The on-disk compile cache of OpenCL program binaries, under
 * $XDG_CACHE_HOME/pcnn-cl (or ~/.cache/pcnn-cl). An entry is one file named
 * by its key (a hash of source, build options, device, driver and pcnn-cl
 * version) holding a header (magic, key, size, checksums) and the binary.
 * Entries are written atomically; one that is truncated, corrupt or made for
 * another key is ignored (and then rebuilt and overwritten), never trusted. */
#ifndef PCNN_CL_CACHE_H
#define PCNN_CL_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "io/io_cache.h"

/* The entry's path for a key. */
void cl_cache_path(char *dst, size_t n, const char *dir, uint64_t key);

/* A valid entry's binary (malloc'd) and 1, or 0 if there is none or it is invalid. */
int cl_cache_load(const char *dir, uint64_t key, unsigned char **binary, size_t *size);

/* Stores an entry atomically. Failures are not errors (the cache only saves
 * time); returns 0 if the entry could not be written. */
int cl_cache_store(const char *dir, uint64_t key, const unsigned char *binary, size_t size);

#endif
