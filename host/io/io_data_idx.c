/* IDX ubyte files (the MNIST format: big-endian header, then the bytes),
 * plain or gzipped: idx:FILE, mnist:DIR and fashion-mnist.
 *   images: u32 magic 0x00000803, u32 n, u32 rows, u32 cols, n*rows*cols bytes
 *   labels: u32 magic 0x00000801, u32 n, n bytes */
#include "io/io_data_idx.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "base/base_sysinfo.h"
#include "base/base_try.h"
#include "io/io_dataset.h"
#include "io/io_file.h"

enum { IDX_IMAGES_MAGIC = 0x00000803, IDX_LABELS_MAGIC = 0x00000801 };

static uint32_t be32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

/* zlib's message for a gzFile, without the path it puts in front. */
static const char *gz_why(gzFile gz, const char *path, int *code)
{
    const char *why = gzerror(gz, code);
    size_t len = strlen(path);
    return strncmp(why, path, len) == 0 && strncmp(why + len, ": ", 2) == 0 ? why + len + 2 : why;
}

/* Inflates into buf[*n..want) until want bytes are there or the stream ends;
 * a truncated or corrupt stream is an error. */
static pcnn_status gz_fill(gzFile gz, const char *path, unsigned char *buf, size_t *n, size_t want)
{
    while (*n < want) {
        size_t chunk = want - *n < (1u << 30) ? want - *n : (1u << 30);
        int got = gzread(gz, buf + *n, (unsigned)chunk);
        int code;
        if (got < 0)
            return pcnn_fail(PCNN_ERR_FORMAT, "%s: corrupt gzip data: %s", path, gz_why(gz, path, &code));
        if (got == 0) {
            const char *why = gz_why(gz, path, &code);
            if (code != Z_OK) /* a truncated stream reads as a short read with an error */
                return pcnn_fail(PCNN_ERR_FORMAT, "%s: truncated or corrupt gzip data: %s", path, why);
            return PCNN_OK;
        }
        *n += (size_t)got;
    }
    return PCNN_OK;
}

enum { IDX_IMAGES_HEADER = 16, IDX_LABELS_HEADER = 8 };

/* The image count and size of an IDX images header, checked (not the data). */
static pcnn_status images_header(const unsigned char *b, size_t size, const char *name, uint32_t dims[3])
{
    if (size < 4)
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: truncated IDX header (%zu bytes)", name, size);
    uint32_t magic = be32(b);
    if (magic == IDX_LABELS_MAGIC)
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: an IDX labels file (magic 0x%08x), not images", name, magic);
    if (magic != IDX_IMAGES_MAGIC)
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: not an IDX ubyte image file (magic 0x%08x, expected 0x%08x)", name,
                         magic, IDX_IMAGES_MAGIC);
    if (size < IDX_IMAGES_HEADER)
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: truncated IDX header (%zu of 16 bytes)", name, size);
    uint32_t n = be32(b + 4), rows = be32(b + 8), cols = be32(b + 12);
    if (n == 0 || rows == 0 || cols == 0 || rows > 65536 || cols > 65536)
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: bad image count or size (%u images of %ux%u)", name, n, rows, cols);
    dims[0] = n, dims[1] = rows, dims[2] = cols;
    return PCNN_OK;
}

/* The whole size (header and data) that the header in b[0..size) declares,
 * or 0 when it is not a well-formed IDX images or labels header (the parser
 * then says what is wrong with it). At most 2^32 * 2^16 * 2^16 + 16: fits. */
static uint64_t declared_size(const unsigned char *b, size_t size)
{
    uint32_t dims[3] = {0, 0, 0};
    if (size >= IDX_LABELS_HEADER && be32(b) == IDX_LABELS_MAGIC)
        return IDX_LABELS_HEADER + (uint64_t)be32(b + 4);
    pcnn_status st = images_header(b, size, "", dims);
    if (st) {
        pcnn_clear_error();
        return 0;
    }
    return IDX_IMAGES_HEADER + (uint64_t)dims[0] * dims[1] * dims[2];
}

/* Inflates a gzipped IDX file: the header first, then at most the size that
 * header declares plus one byte (that byte, if it comes, is refused), into a
 * buffer that grows only with what really arrives. A small file that inflates
 * to gigabytes is refused after reading what its header promised. */
static pcnn_status read_gz(const char *path, unsigned char **bytes, size_t *size)
{
    *bytes = NULL;
    *size = 0;
    int fd;
    struct stat fst;
    TRY(io_open_regular(path, &fd, &fst)); /* a FIFO or device never reaches zlib */
    gzFile gz = gzdopen(fd, "rb");
    if (!gz) {
        close(fd);
        return pcnn_fail(PCNN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    size_t cap = IDX_IMAGES_HEADER, n = 0;
    unsigned char *buf = malloc(cap);
    pcnn_status st =
        buf ? gz_fill(gz, path, buf, &n, IDX_IMAGES_HEADER) : pcnn_fail(PCNN_ERR_MEMORY, "%s: out of memory", path);
    uint64_t declared = st ? 0 : declared_size(buf, n);
    if (!st && declared > sysinfo_memory_bytes())
        st = pcnn_fail(PCNN_ERR_FORMAT, "%s: its IDX header declares %llu bytes, more than this machine's memory", path,
                       (unsigned long long)declared);
    if (!st && declared > SIZE_MAX - 1)
        st = pcnn_fail(PCNN_ERR_FORMAT, "%s: its IDX header declares %llu bytes, more than this build can hold", path,
                       (unsigned long long)declared);
    size_t limit = declared > n ? (size_t)declared + 1 : n; /* one byte past: a longer stream shows */
    while (!st && n == cap && cap < limit) {
        size_t grown_cap = cap < (1u << 20) ? 1u << 20 : 2 * cap; /* geometric: what arrives, at most twice */
        if (grown_cap > limit || grown_cap < cap)
            grown_cap = limit;
        unsigned char *grown = realloc(buf, grown_cap);
        if (!grown) {
            st = pcnn_fail(PCNN_ERR_MEMORY, "%s: out of memory inflating the file", path);
            break;
        }
        buf = grown;
        cap = grown_cap;
        st = gz_fill(gz, path, buf, &n, cap);
    }
    if (!st && declared && n > declared)
        st = pcnn_fail(PCNN_ERR_FORMAT, "%s: the gzip data holds more than the %llu bytes its IDX header declares",
                       path, (unsigned long long)declared);
    gzclose(gz);
    if (st) {
        free(buf);
        return st;
    }
    *bytes = buf;
    *size = n;
    return PCNN_OK;
}

/* Reads a file whole, inflating it if it starts with the gzip magic 1f 8b. */
static pcnn_status read_maybe_gz(const char *path, unsigned char **bytes, size_t *size)
{
    TRY(read_whole_file(path, bytes, size));
    if (*size >= 2 && (*bytes)[0] == 0x1f && (*bytes)[1] == 0x8b) {
        free(*bytes);
        return read_gz(path, bytes, size);
    }
    return PCNN_OK;
}

pcnn_status pcnn_idx_images_parse(const void *bytes, size_t size, const char *name, pcnn_dataset *out)
{
    memset(out, 0, sizeof *out);
    const unsigned char *b = bytes;
    uint32_t dims[3] = {0, 0, 0};
    TRY(images_header(b, size, name, dims));
    uint32_t n = dims[0], rows = dims[1], cols = dims[2];
    uint64_t want = (uint64_t)n * rows * cols;
    if (want > size - 16)
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: truncated: %u images of %ux%u need %llu bytes, the file holds %zu",
                         name, n, rows, cols, (unsigned long long)want, size - 16);
    if (want < size - 16)
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: %zu bytes of data for %u images of %ux%u (expected %llu): wrong image "
                         "size or count", name, size - 16, n, rows, cols, (unsigned long long)want);
    out->pixels = malloc((size_t)want);
    if (!out->pixels)
        return pcnn_fail(PCNN_ERR_MEMORY, "%s: out of memory for %u images", name, n);
    memcpy(out->pixels, b + 16, (size_t)want);
    out->n = n;
    out->height = (int)rows;
    out->width = (int)cols;
    out->channels = 1;
    return PCNN_OK;
}

pcnn_status pcnn_idx_labels_parse(const void *bytes, size_t size, const char *name, size_t *count)
{
    const unsigned char *b = bytes;
    *count = 0;
    if (size < 8)
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: truncated IDX labels header (%zu of 8 bytes)", name, size);
    uint32_t magic = be32(b), n = be32(b + 4);
    if (magic != IDX_LABELS_MAGIC)
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: not an IDX labels file (magic 0x%08x, expected 0x%08x)", name, magic,
                         IDX_LABELS_MAGIC);
    if ((uint64_t)n != size - 8)
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: header says %u labels, the file holds %zu", name, n, size - 8);
    *count = n;
    return PCNN_OK;
}

pcnn_status idx_load(const char *images_path, const char *labels_path, pcnn_dataset *out)
{
    memset(out, 0, sizeof *out);
    unsigned char *bytes;
    size_t size;
    TRY(read_maybe_gz(images_path, &bytes, &size));
    pcnn_status st = pcnn_idx_images_parse(bytes, size, images_path, out);
    free(bytes);
    if (st || !labels_path || !file_exists(labels_path))
        return st;
    size_t labels = 0;
    st = read_maybe_gz(labels_path, &bytes, &size);
    if (!st) {
        st = pcnn_idx_labels_parse(bytes, size, labels_path, &labels);
        free(bytes);
    }
    if (!st && labels != out->n)
        st = pcnn_fail(PCNN_ERR_FORMAT, "%s: %zu labels for the %zu images of %s", labels_path, labels, out->n,
                       images_path);
    if (st)
        pcnn_dataset_free(out);
    return st;
}

/* DIR/<prefix>-<kind>-ubyte, or with .gz, whichever exists (NULL if neither). */
static char *find_idx(const char *dir, const char *prefix, const char *kind)
{
    size_t len = strlen(dir) + strlen(prefix) + strlen(kind) + 16;
    char *path = malloc(len);
    if (!path)
        return NULL;
    snprintf(path, len, "%s/%s-%s-ubyte", dir, prefix, kind);
    if (file_exists(path))
        return path;
    strcat(path, ".gz");
    if (file_exists(path))
        return path;
    free(path);
    return NULL;
}

pcnn_status mnist_load_dir(const char *dir, pcnn_split split, pcnn_dataset *out)
{
    memset(out, 0, sizeof *out);
    const char *prefix = split == PCNN_SPLIT_TEST ? "t10k" : "train";
    char *images = find_idx(dir, prefix, "images-idx3");
    if (!images)
        return pcnn_fail(PCNN_ERR_IO, "%s: no %s-images-idx3-ubyte or %s-images-idx3-ubyte.gz in this directory", dir,
                         prefix, prefix);
    char *labels = find_idx(dir, prefix, "labels-idx1");
    pcnn_status st = idx_load(images, labels, out);
    free(images);
    free(labels);
    return st;
}
