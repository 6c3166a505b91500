/* The checkpoint container: one file of named records with a versioned header
 * and a CRC32 over everything, written atomically.
 *
 *   "PCNNCKPT"  u32 version  u32 record_count
 *   record_count x { u32 name_len, name, u32 type, u64 bytes, payload }
 *   u32 crc32 of all the bytes before it
 * All integers little-endian; f32 payloads little-endian IEEE floats.
 *
 * What a model's checkpoint holds is pcnn/model_ckpt.h's business. */
#ifndef PCNN_CKPT_H
#define PCNN_CKPT_H

#include <stddef.h>

#include "pcnn/error.h"

#define PCNN_CKPT_VERSION 1

typedef enum { PCNN_REC_TEXT = 1, PCNN_REC_F32 = 2, PCNN_REC_BYTES = 3 } pcnn_record_type;

typedef struct {
    char name[64];
    pcnn_record_type type;
    size_t bytes;
    const void *data; /* text records are NUL-terminated (not counted in bytes) */
    void *owned;      /* non-NULL when the container owns the data */
} pcnn_record;

typedef struct {
    int n, cap;
    pcnn_record *rec;
    unsigned char *file; /* the bytes records point into, after a read */
} pcnn_ckpt;

void pcnn_ckpt_init(pcnn_ckpt *ck);
void pcnn_ckpt_free(pcnn_ckpt *ck);

/* Adds a record that points at `data` (which must outlive the write). */
pcnn_status pcnn_ckpt_add(pcnn_ckpt *ck, const char *name, pcnn_record_type type, const void *data, size_t bytes);
/* Adds a text record, copying the text. */
pcnn_status pcnn_ckpt_add_text(pcnn_ckpt *ck, const char *name, const char *text);

pcnn_status pcnn_ckpt_write(const pcnn_ckpt *ck, const char *path);
pcnn_status pcnn_ckpt_read(const char *path, pcnn_ckpt *out);
/* Parses a checkpoint held in memory (taking a copy); `name` is used in messages. */
pcnn_status pcnn_ckpt_parse(const void *bytes, size_t size, const char *name, pcnn_ckpt *out);

/* The record called `name`, or NULL. */
const pcnn_record *pcnn_ckpt_find(const pcnn_ckpt *ck, const char *name);
/* The record called `name` with the given type and size, or an error naming `path`. */
pcnn_status pcnn_ckpt_expect(const pcnn_ckpt *ck, const char *path, const char *name, pcnn_record_type type,
                             size_t bytes, const pcnn_record **out);

#endif
