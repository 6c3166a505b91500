/* The checkpoint container: see include/pcnn/ckpt.h. */
#include "pcnn/ckpt.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/base_try.h"
#include "io/io_file.h"

static const char ckpt_magic[8] = {'P', 'C', 'N', 'N', 'C', 'K', 'P', 'T'};

void pcnn_ckpt_init(pcnn_ckpt *ck) { memset(ck, 0, sizeof *ck); }

void pcnn_ckpt_free(pcnn_ckpt *ck)
{
    for (int i = 0; i < ck->n; i++)
        free(ck->rec[i].owned);
    free(ck->rec);
    free(ck->file);
    pcnn_ckpt_init(ck);
}

static pcnn_record *push(pcnn_ckpt *ck, const char *name)
{
    if (strlen(name) >= sizeof ck->rec[0].name) {
        pcnn_fail(PCNN_ERR_ARG, "checkpoint record name '%s' too long", name);
        return NULL;
    }
    if (ck->n == ck->cap) {
        int cap = ck->cap ? 2 * ck->cap : 8;
        pcnn_record *grown = realloc(ck->rec, (size_t)cap * sizeof *grown);
        if (!grown) {
            pcnn_fail(PCNN_ERR_MEMORY, "out of memory building a checkpoint");
            return NULL;
        }
        ck->rec = grown;
        ck->cap = cap;
    }
    pcnn_record *r = &ck->rec[ck->n++];
    memset(r, 0, sizeof *r);
    strcpy(r->name, name);
    return r;
}

pcnn_status pcnn_ckpt_add(pcnn_ckpt *ck, const char *name, pcnn_record_type type, const void *data, size_t bytes)
{
    pcnn_record *r = push(ck, name);
    if (!r)
        return PCNN_ERR_MEMORY;
    r->type = type;
    r->data = data;
    r->bytes = bytes;
    return PCNN_OK;
}

pcnn_status pcnn_ckpt_add_text(pcnn_ckpt *ck, const char *name, const char *text)
{
    char *copy = strdup(text);
    if (!copy)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory building a checkpoint");
    pcnn_status st = pcnn_ckpt_add(ck, name, PCNN_REC_TEXT, copy, strlen(copy));
    if (st)
        free(copy);
    else
        ck->rec[ck->n - 1].owned = copy;
    return st;
}

/* Writes bytes through the atomic file and the running CRC. */
static pcnn_status put(atomic_file *af, uLong *crc, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t done = 0; done < n;) { /* crc32 takes a uInt length */
        size_t chunk = n - done < (1u << 30) ? n - done : (1u << 30);
        *crc = crc32(*crc, p + done, (uInt)chunk);
        done += chunk;
    }
    return atomic_file_write(af, data, n);
}

static void le32(unsigned char *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static void le64(unsigned char *b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static pcnn_status write_all(const pcnn_ckpt *ck, atomic_file *af)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    unsigned char head[16];
    memcpy(head, ckpt_magic, 8);
    le32(head + 8, PCNN_CKPT_VERSION);
    le32(head + 12, (uint32_t)ck->n);
    TRY(put(af, &crc, head, sizeof head));
    for (int i = 0; i < ck->n; i++) {
        const pcnn_record *r = &ck->rec[i];
        unsigned char b[8];
        uint32_t len = (uint32_t)strlen(r->name);
        le32(b, len);
        TRY(put(af, &crc, b, 4));
        TRY(put(af, &crc, r->name, len));
        le32(b, (uint32_t)r->type);
        TRY(put(af, &crc, b, 4));
        le64(b, r->bytes);
        TRY(put(af, &crc, b, 8));
        TRY(put(af, &crc, r->data, r->bytes));
    }
    unsigned char tail[4];
    le32(tail, (uint32_t)crc);
    return atomic_file_write(af, tail, 4);
}

pcnn_status pcnn_ckpt_write(const pcnn_ckpt *ck, const char *path)
{
    atomic_file af;
    TRY(atomic_file_open(&af, path));
    pcnn_status st = write_all(ck, &af);
    if (st) {
        atomic_file_abort(&af);
        return st;
    }
    return atomic_file_commit(&af);
}

static uint32_t rd32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t rd64(const unsigned char *b) { return (uint64_t)rd32(b) | (uint64_t)rd32(b + 4) << 32; }

/* Parses ck->file[0..size) in place. */
static pcnn_status parse_owned(pcnn_ckpt *ck, size_t size, const char *name)
{
    const unsigned char *b = ck->file;
    if (size < 20 || memcmp(b, ckpt_magic, 8) != 0)
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: not a pcnn-cl checkpoint (bad magic)", name);
    uint32_t version = rd32(b + 8);
    if (version != PCNN_CKPT_VERSION)
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: checkpoint format version %u, this build reads version %d", name,
                         version, PCNN_CKPT_VERSION);
    size_t body = size - 4;
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t done = 0; done < body;) {
        size_t chunk = body - done < (1u << 30) ? body - done : (1u << 30);
        crc = crc32(crc, b + done, (uInt)chunk);
        done += chunk;
    }
    if ((uint32_t)crc != rd32(b + body))
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: checksum mismatch: the checkpoint is corrupt or truncated", name);
    uint32_t count = rd32(b + 12);
    size_t at = 16;
    for (uint32_t i = 0; i < count; i++) {
        if (body - at < 4)
            return pcnn_fail(PCNN_ERR_FORMAT, "%s: record %u is truncated", name, i);
        uint32_t len = rd32(b + at);
        at += 4;
        if (len == 0 || len >= sizeof ck->rec[0].name || body - at < (size_t)len + 12)
            return pcnn_fail(PCNN_ERR_FORMAT, "%s: record %u has a bad name", name, i);
        char rname[64];
        memcpy(rname, b + at, len);
        rname[len] = 0;
        at += len;
        uint32_t type = rd32(b + at);
        uint64_t bytes = rd64(b + at + 4);
        at += 12;
        if (type < PCNN_REC_TEXT || type > PCNN_REC_BYTES || bytes > body - at ||
            (type == PCNN_REC_F32 && bytes % 4))
            return pcnn_fail(PCNN_ERR_FORMAT, "%s: record '%s' has a bad type or size", name, rname);
        if (memchr(rname, 0, len))
            return pcnn_fail(PCNN_ERR_FORMAT, "%s: record %u has a bad name", name, i);
        const void *data = b + at;
        if (type == PCNN_REC_TEXT) { /* copy so the text is NUL-terminated */
            char *text = malloc((size_t)bytes + 1);
            if (!text)
                return pcnn_fail(PCNN_ERR_MEMORY, "%s: out of memory", name);
            memcpy(text, data, (size_t)bytes);
            text[bytes] = 0;
            TRY(pcnn_ckpt_add(ck, rname, PCNN_REC_TEXT, text, (size_t)bytes));
            ck->rec[ck->n - 1].owned = text;
        } else {
            TRY(pcnn_ckpt_add(ck, rname, (pcnn_record_type)type, data, (size_t)bytes));
        }
        at += (size_t)bytes;
    }
    if (at != body)
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: %zu unexpected bytes after the last record", name, body - at);
    return PCNN_OK;
}

pcnn_status pcnn_ckpt_read(const char *path, pcnn_ckpt *out)
{
    pcnn_ckpt_init(out);
    size_t size;
    TRY(read_whole_file(path, &out->file, &size));
    pcnn_status st = parse_owned(out, size, path);
    if (st)
        pcnn_ckpt_free(out);
    return st;
}

pcnn_status pcnn_ckpt_parse(const void *bytes, size_t size, const char *name, pcnn_ckpt *out)
{
    pcnn_ckpt_init(out);
    out->file = malloc(size ? size : 1);
    if (!out->file)
        return pcnn_fail(PCNN_ERR_MEMORY, "%s: out of memory", name);
    memcpy(out->file, bytes, size);
    pcnn_status st = parse_owned(out, size, name);
    if (st)
        pcnn_ckpt_free(out);
    return st;
}

const pcnn_record *pcnn_ckpt_find(const pcnn_ckpt *ck, const char *name)
{
    for (int i = 0; i < ck->n; i++)
        if (strcmp(ck->rec[i].name, name) == 0)
            return &ck->rec[i];
    return NULL;
}

pcnn_status pcnn_ckpt_expect(const pcnn_ckpt *ck, const char *path, const char *name, pcnn_record_type type,
                             size_t bytes, const pcnn_record **out)
{
    const pcnn_record *r = pcnn_ckpt_find(ck, name);
    if (!r)
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: checkpoint has no '%s' record", path, name);
    if (r->type != type || (bytes != (size_t)-1 && r->bytes != bytes))
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: checkpoint record '%s' holds %zu bytes of type %d, expected %zu of type %d",
                         path, name, r->bytes, (int)r->type, bytes, (int)type);
    *out = r;
    return PCNN_OK;
}
