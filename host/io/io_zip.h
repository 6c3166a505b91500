/* Zip containers (NumPy's .npz) through libzip: reading entries with their
 * sizes checked before anything is allocated, and writing a whole archive
 * atomically. */
#ifndef PCNN_IO_ZIP_H
#define PCNN_IO_ZIP_H

#include <stddef.h>

#include "pcnn/error.h"

typedef struct io_zip io_zip;

/* Opens a zip file for reading (a regular file only); `path` names it in messages. */
pcnn_status io_zip_open(const char *path, io_zip **out);
/* The same over bytes in memory (for the fuzzer); they must outlive the handle. */
pcnn_status io_zip_open_memory(const void *bytes, size_t size, const char *name, io_zip **out);
void io_zip_close(io_zip *z);

/* The entry called `entry`, into a malloc'd buffer (NUL-terminated, not
 * counted in *size). *found is 0 (and nothing is read) when there is no such
 * entry. An entry whose size the archive declares above `max` is refused
 * before a byte is allocated; the bytes read must be exactly the declared
 * size, and libzip checks their CRC. */
pcnn_status io_zip_read(io_zip *z, const char *entry, size_t max, unsigned char **bytes, size_t *size, int *found);

typedef struct {
    const char *name;
    const void *data; /* must live until io_zip_write returns */
    size_t size;
} io_zip_entry;

/* Writes the entries, stored uncompressed as np.savez does, to a temporary
 * file beside `path`, fsyncs it and renames it into place: on failure `path`
 * is untouched and no temporary file is left. */
pcnn_status io_zip_write(const char *path, const io_zip_entry *entries, int n);

#endif
