/* manifest.txt of a weights export: see model_weights_manifest.h. */
#include "model/model_weights_manifest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

uint32_t manifest_crc(const void *bytes, size_t size)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    const unsigned char *p = bytes;
    for (size_t done = 0; done < size;) { /* crc32 takes a uInt length */
        size_t chunk = size - done < (1u << 30) ? size - done : (1u << 30);
        crc = crc32(crc, p + done, (uInt)chunk);
        done += chunk;
    }
    return (uint32_t)crc;
}

pcnn_status manifest_add(weights_manifest *mf, const char *file, int ndim, const size_t *shape, uint32_t crc)
{
    if (strlen(file) >= sizeof mf->e[0].file || ndim < 0 || ndim > 4)
        return pcnn_fail(PCNN_ERR_ARG, "manifest: cannot list %s", file);
    if (mf->n == mf->cap) {
        int cap = mf->cap ? 2 * mf->cap : 32;
        manifest_entry *grown = realloc(mf->e, (size_t)cap * sizeof *grown);
        if (!grown)
            return pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
        mf->e = grown;
        mf->cap = cap;
    }
    manifest_entry *e = &mf->e[mf->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->file, sizeof e->file, "%s", file);
    e->ndim = ndim;
    for (int d = 0; d < ndim; d++)
        e->shape[d] = shape[d];
    e->crc = crc;
    return PCNN_OK;
}

pcnn_status manifest_format(const weights_manifest *mf, char **text)
{
    size_t cap = 128 + (size_t)mf->n * 256, len = 0;
    char *t = malloc(cap);
    if (!t)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
    len += (size_t)snprintf(t + len, cap - len, "pcnn-cl weights manifest %d\n", WEIGHTS_MANIFEST_VERSION);
    if (mf->step < 0)
        len += (size_t)snprintf(t + len, cap - len, "step=none\n");
    else
        len += (size_t)snprintf(t + len, cap - len, "step=%ld\n", mf->step);
    for (int i = 0; i < mf->n; i++) {
        const manifest_entry *e = &mf->e[i];
        len += (size_t)snprintf(t + len, cap - len, "%s", e->file);
        for (int d = 0; d < e->ndim; d++)
            len += (size_t)snprintf(t + len, cap - len, "%s%zu", d ? "," : " shape=", e->shape[d]);
        len += (size_t)snprintf(t + len, cap - len, " crc32=%08x\n", (unsigned)e->crc);
    }
    *text = t;
    return PCNN_OK;
}

/* "7,7,1,8" into shape; 1 on success. */
static int parse_shape(const char *s, manifest_entry *e)
{
    e->ndim = 0;
    for (;;) {
        char *end;
        if (*s < '0' || *s > '9' || e->ndim == 4)
            return 0;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno)
            return 0;
        e->shape[e->ndim++] = (size_t)v;
        if (*end == 0)
            return 1;
        if (*end != ',')
            return 0;
        s = end + 1;
    }
}

/* One "<file> [shape=...] crc32=XXXXXXXX" line (NUL-terminated, no newline). */
static int parse_entry(char *line, manifest_entry *e)
{
    memset(e, 0, sizeof *e);
    char *sp = strchr(line, ' ');
    if (!sp || sp == line || (size_t)(sp - line) >= sizeof e->file)
        return 0;
    memcpy(e->file, line, (size_t)(sp - line));
    if (strchr(e->file, '/'))
        return 0;
    char *p = sp + 1;
    if (strncmp(p, "shape=", 6) == 0) {
        char *next = strchr(p, ' ');
        if (!next)
            return 0;
        *next = 0;
        if (!parse_shape(p + 6, e))
            return 0;
        p = next + 1;
    }
    if (strncmp(p, "crc32=", 6) != 0 || strlen(p + 6) != 8 || strspn(p + 6, "0123456789abcdef") != 8)
        return 0;
    e->crc = (uint32_t)strtoul(p + 6, NULL, 16);
    return 1;
}

static pcnn_status parse_lines(char *t, const char *name, int max_entries, weights_manifest *mf)
{
    int version = 0, at = 0, line_no = 0;
    if (sscanf(t, "pcnn-cl weights manifest %d%n", &version, &at) != 1 || (t[at] != '\n' && t[at] != 0))
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: not a pcnn-cl weights manifest (first line)", name);
    if (version != WEIGHTS_MANIFEST_VERSION)
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: manifest version %d not supported (this pcnn-cl reads version %d)", name,
                         version, WEIGHTS_MANIFEST_VERSION);
    int have_step = 0;
    for (char *line = strchr(t, '\n'); line && line[1];) {
        line++;
        line_no++;
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        if (strncmp(line, "step=", 5) == 0 && !have_step) {
            char *end;
            errno = 0;
            long v = strtol(line + 5, &end, 10);
            if (strcmp(line + 5, "none") == 0)
                mf->step = -1;
            else if (errno || end == line + 5 || *end || v < 0)
                return pcnn_fail(PCNN_ERR_FORMAT, "%s: line %d: bad step '%s'", name, line_no + 1, line + 5);
            else
                mf->step = v;
            have_step = 1;
        } else {
            manifest_entry e;
            if (!parse_entry(line, &e))
                return pcnn_fail(PCNN_ERR_FORMAT, "%s: line %d is not '<file> [shape=A,B,...] crc32=<8 hex digits>'",
                                 name, line_no + 1);
            if (manifest_find(mf, e.file))
                return pcnn_fail(PCNN_ERR_FORMAT, "%s: %s is listed twice", name, e.file);
            if (mf->n >= max_entries)
                return pcnn_fail(PCNN_ERR_FORMAT, "%s: lists more files than the model has", name);
            pcnn_status st = manifest_add(mf, e.file, e.ndim, e.shape, e.crc);
            if (st)
                return st;
        }
        line = nl;
    }
    if (!have_step)
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: has no step= line", name);
    return PCNN_OK;
}

pcnn_status manifest_parse(const char *text, const char *name, int max_entries, weights_manifest *out)
{
    memset(out, 0, sizeof *out);
    char *t = strdup(text);
    if (!t)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
    pcnn_status st = parse_lines(t, name, max_entries, out);
    free(t);
    if (st)
        manifest_free(out);
    return st;
}

const manifest_entry *manifest_find(const weights_manifest *mf, const char *file)
{
    for (int i = 0; i < mf->n; i++)
        if (strcmp(mf->e[i].file, file) == 0)
            return &mf->e[i];
    return NULL;
}

void manifest_free(weights_manifest *mf)
{
    free(mf->e);
    memset(mf, 0, sizeof *mf);
}
