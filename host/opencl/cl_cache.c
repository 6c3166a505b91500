/* The compile cache's entries and keys: see cl_cache.h. */
#include "opencl/cl_cache.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "io/io_file.h"

static const char MAGIC[8] = {'P', 'C', 'N', 'N', 'C', 'L', 'B', 1};

/* The header, stored in host byte order (a binary is only ever loaded by the
 * host and device that made it: both are in the key). */
typedef struct {
    char magic[8];
    uint64_t key;
    uint64_t size;       /* bytes of binary after the header */
    uint32_t binary_crc; /* CRC-32 of the binary */
    uint32_t header_crc; /* CRC-32 of the fields above */
} entry_header;

void cl_cache_path(char *dst, size_t n, const char *dir, uint64_t key)
{
    snprintf(dst, n, "%s/%016llx.clbin", dir, (unsigned long long)key);
}

static uint32_t crc(const void *p, size_t n) { return (uint32_t)crc32(0L, (const Bytef *)p, (uInt)n); }

int cl_cache_load(const char *dir, uint64_t key, unsigned char **binary, size_t *size)
{
    *binary = NULL;
    *size = 0;
    char path[4200];
    cl_cache_path(path, sizeof path, dir, key);
    unsigned char *bytes;
    size_t n;
    if (read_whole_file(path, &bytes, &n) != PCNN_OK) {
        pcnn_clear_error(); /* a missing entry is the normal first start */
        return 0;
    }
    entry_header h;
    int ok = n >= sizeof h;
    if (ok) {
        memcpy(&h, bytes, sizeof h);
        ok = memcmp(h.magic, MAGIC, sizeof MAGIC) == 0 && h.header_crc == crc(&h, offsetof(entry_header, header_crc)) &&
             h.key == key && h.size == n - sizeof h && h.size > 0 && h.binary_crc == crc(bytes + sizeof h, h.size);
    }
    if (!ok) {
        free(bytes);
        return 0;
    }
    *size = h.size;
    *binary = malloc(h.size);
    if (*binary)
        memcpy(*binary, bytes + sizeof h, h.size);
    free(bytes);
    return *binary != NULL;
}

int cl_cache_store(const char *dir, uint64_t key, const unsigned char *binary, size_t size)
{
    char path[4200];
    cl_cache_path(path, sizeof path, dir, key);
    entry_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, MAGIC, sizeof MAGIC);
    h.key = key;
    h.size = size;
    h.binary_crc = crc(binary, size);
    h.header_crc = crc(&h, offsetof(entry_header, header_crc));
    atomic_file af;
    if (atomic_file_open(&af, path) != PCNN_OK)
        goto failed;
    if (atomic_file_write(&af, &h, sizeof h) != PCNN_OK || atomic_file_write(&af, binary, size) != PCNN_OK) {
        atomic_file_abort(&af);
        goto failed;
    }
    if (atomic_file_commit(&af) != PCNN_OK)
        goto failed;
    return 1;
failed:
    pcnn_clear_error();
    return 0;
}
