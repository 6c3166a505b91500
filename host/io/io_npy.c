/* .npy reader and writer. The header is a Python dict literal such as
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 8, 8, 3), }
 * which we parse strictly: three known keys, nothing else trusted. */
#include "pcnn/npy.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_npy.h"

static const unsigned char npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

typedef struct {
    const char *p, *end;
} cursor;

static void skip_space(cursor *c)
{
    while (c->p < c->end && isspace((unsigned char)*c->p))
        c->p++;
}

static int take(cursor *c, char ch)
{
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A quoted Python string ('x' or "x") into out (at most size-1 chars). */
static int take_string(cursor *c, char *out, size_t size)
{
    skip_space(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return 0;
    char quote = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != quote) {
        if (n + 1 >= size)
            return 0;
        out[n++] = *c->p++;
    }
    if (c->p >= c->end)
        return 0;
    c->p++;
    out[n] = 0;
    return 1;
}

static int take_word(cursor *c, const char *word)
{
    skip_space(c);
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) >= n && memcmp(c->p, word, n) == 0) {
        c->p += n;
        return 1;
    }
    return 0;
}

/* A shape tuple "(2, 8, 8, 3)", "(5,)" or "()". */
static int take_shape(cursor *c, pcnn_array *a)
{
    if (!take(c, '('))
        return 0;
    a->ndim = 0;
    for (;;) {
        if (take(c, ')'))
            return 1;
        skip_space(c);
        if (c->p >= c->end || !isdigit((unsigned char)*c->p) || a->ndim == PCNN_MAX_DIMS)
            return 0;
        size_t v = 0;
        while (c->p < c->end && isdigit((unsigned char)*c->p)) {
            if (v > (SIZE_MAX - 9) / 10)
                return 0;
            v = v * 10 + (size_t)(*c->p++ - '0');
        }
        a->shape[a->ndim++] = v;
        if (!take(c, ',')) {
            return take(c, ')');
        }
    }
}

static pcnn_status parse_header(const char *text, size_t len, const char *name, pcnn_array *a)
{
    cursor c = {text, text + len};
    int have_descr = 0, have_order = 0, have_shape = 0;
    if (!take(&c, '{'))
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: .npy header is not a dict", name);
    while (!take(&c, '}')) {
        char key[32], value[32];
        if (!take_string(&c, key, sizeof key) || !take(&c, ':'))
            return pcnn_fail(PCNN_ERR_FORMAT, "%s: malformed .npy header", name);
        if (strcmp(key, "descr") == 0) {
            if (!take_string(&c, value, sizeof value))
                return pcnn_fail(PCNN_ERR_FORMAT, "%s: malformed 'descr' in .npy header", name);
            if (strcmp(value, "<f4") == 0)
                a->dtype = PCNN_F32;
            else if (strcmp(value, "|u1") == 0 || strcmp(value, "<u1") == 0 || strcmp(value, ">u1") == 0)
                a->dtype = PCNN_U8;
            else
                return pcnn_fail(PCNN_ERR_FORMAT,
                                 "%s: dtype '%s' not supported (expected '<f4' float32 or '|u1' uint8)",
                                 name, value);
            have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (take_word(&c, "True"))
                return pcnn_fail(PCNN_ERR_FORMAT, "%s: Fortran-order arrays are not supported (expected C order)", name);
            if (!take_word(&c, "False"))
                return pcnn_fail(PCNN_ERR_FORMAT, "%s: malformed 'fortran_order' in .npy header", name);
            have_order = 1;
        } else if (strcmp(key, "shape") == 0) {
            if (!take_shape(&c, a))
                return pcnn_fail(PCNN_ERR_FORMAT, "%s: malformed 'shape' in .npy header", name);
            have_shape = 1;
        } else {
            return pcnn_fail(PCNN_ERR_FORMAT, "%s: unexpected key '%s' in .npy header", name, key);
        }
        if (!take(&c, ',')) {
            if (!take(&c, '}'))
                return pcnn_fail(PCNN_ERR_FORMAT, "%s: malformed .npy header", name);
            break;
        }
    }
    if (!have_descr || !have_order || !have_shape)
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: .npy header lacks %s", name,
                         !have_descr ? "'descr'" : !have_order ? "'fortran_order'" : "'shape'");
    return PCNN_OK;
}

pcnn_status pcnn_npy_parse(const void *bytes, size_t size, const char *name, pcnn_array *out)
{
    const unsigned char *b = bytes;
    memset(out, 0, sizeof *out);
    if (size < 10 || memcmp(b, npy_magic, sizeof npy_magic) != 0)
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: not a .npy file (bad magic)", name);
    unsigned major = b[6];
    size_t header_len, header_start;
    if (major == 1) {
        header_len = (size_t)b[8] | (size_t)b[9] << 8;
        header_start = 10;
    } else if (major == 2 || major == 3) {
        if (size < 12)
            return pcnn_fail(PCNN_ERR_FORMAT, "%s: truncated .npy header", name);
        header_len = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
        header_start = 12;
    } else {
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: .npy format version %u not supported (expected 1.0 or 2.0)",
                         name, major);
    }
    if (header_len > size - header_start)
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: truncated .npy header", name);
    pcnn_array a;
    memset(&a, 0, sizeof a);
    pcnn_status st = parse_header((const char *)b + header_start, header_len, name, &a);
    if (st)
        return st;
    size_t count = 1, esize = pcnn_dtype_size(a.dtype);
    for (int i = 0; i < a.ndim; i++) {
        if (a.shape[i] && count > SIZE_MAX / esize / a.shape[i])
            return pcnn_fail(PCNN_ERR_FORMAT, "%s: .npy shape is too large", name);
        count *= a.shape[i];
    }
    size_t data_bytes = count * esize, have = size - header_start - header_len;
    if (have != data_bytes)
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: %s data: header says %zu bytes, file holds %zu", name,
                         have < data_bytes ? "truncated" : "oversized", data_bytes, have);
    st = pcnn_array_alloc(out, a.dtype, a.ndim, a.shape);
    if (st)
        return st;
    memcpy(out->data, b + header_start + header_len, data_bytes);
    return PCNN_OK;
}

pcnn_status pcnn_npy_read(const char *path, pcnn_array *out)
{
    unsigned char *bytes;
    size_t size;
    memset(out, 0, sizeof *out);
    pcnn_status st = read_whole_file(path, &bytes, &size);
    if (st)
        return st;
    st = pcnn_npy_parse(bytes, size, path, out);
    free(bytes);
    return st;
}

/* The format 1.0 header of a (our headers are always short), padded with
 * spaces so the data starts on a 64-byte boundary, ending with '\n'; returns
 * its length. */
static size_t npy_header(const pcnn_array *a, unsigned char head[640])
{
    char dict[512];
    int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                     a->dtype == PCNN_F32 ? "<f4" : "|u1");
    for (int i = 0; i < a->ndim; i++)
        n += snprintf(dict + n, sizeof dict - (size_t)n, "%zu%s", a->shape[i],
                      a->ndim == 1 ? "," : i + 1 < a->ndim ? ", " : "");
    n += snprintf(dict + n, sizeof dict - (size_t)n, "), }");
    size_t total = (10 + (size_t)n + 1 + 63) / 64 * 64, header_len = total - 10;
    memcpy(head, npy_magic, 6);
    head[6] = 1;
    head[7] = 0;
    head[8] = (unsigned char)(header_len & 0xff);
    head[9] = (unsigned char)(header_len >> 8);
    memset(head + 10, ' ', header_len);
    memcpy(head + 10, dict, (size_t)n);
    head[total - 1] = '\n';
    return total;
}

pcnn_status pcnn_npy_encode(const pcnn_array *a, unsigned char **bytes, size_t *size)
{
    unsigned char head[640];
    size_t h = npy_header(a, head), data = pcnn_array_bytes(a);
    *size = 0;
    *bytes = malloc(h + data);
    if (!*bytes)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory encoding a .npy of %zu bytes", data);
    memcpy(*bytes, head, h);
    memcpy(*bytes + h, a->data, data);
    *size = h + data;
    return PCNN_OK;
}

pcnn_status npy_write_to(atomic_file *af, const pcnn_array *a)
{
    unsigned char head[640];
    size_t total = npy_header(a, head);
    pcnn_status st = atomic_file_write(af, head, total);
    return st ? st : atomic_file_write(af, a->data, pcnn_array_bytes(a));
}

pcnn_status pcnn_npy_write(const char *path, const pcnn_array *a)
{
    atomic_file af;
    pcnn_status st = atomic_file_open(&af, path);
    if (st)
        return st;
    if ((st = npy_write_to(&af, a))) {
        atomic_file_abort(&af);
        return st;
    }
    return atomic_file_commit(&af);
}
