/* The training flags as text (train.txt and the checkpoint's "train.flags"
 * record): one key=value per line, doubles with %.17g so a resume sees the
 * very same values. */
#include "train/train_flags.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

train_flags train_flags_defaults(void)
{
    train_flags f;
    memset(&f, 0, sizeof f);
    snprintf(f.data, sizeof f.data, "fashion-mnist");
    snprintf(f.split, sizeof f.split, "standard");
    snprintf(f.preset, sizeof f.preset, "small");
    snprintf(f.optimizer, sizeof f.optimizer, "adam");
    f.batch = 16;
    f.lr = 1e-3;
    f.lr_decay = 0.999995;
    f.eval_every = 500;
    f.sample_every = 1000;
    f.ckpt_every = 500;
    return f;
}

typedef enum { K_STR, K_INT, K_LONG, K_DOUBLE } kind;

typedef struct {
    const char *key;
    kind kind;
    size_t offset, size; /* size: of the char array for K_STR */
    int optional;        /* may be missing (then default); written only when not empty */
} field;

#define STR(name)                                                                                                      \
    {                                                                                                                  \
#name, K_STR, offsetof(train_flags, name), sizeof(((train_flags *)0)->name), 0                                 \
    }
#define STR_OPTIONAL(name)                                                                                             \
    {                                                                                                                  \
#name, K_STR, offsetof(train_flags, name), sizeof(((train_flags *)0)->name), 1                                 \
    }
#define NUM(name, k)                                                                                                   \
    {                                                                                                                  \
#name, k, offsetof(train_flags, name), 0, 0                                                                    \
    }

static const field fields[] = {
    STR(data),
    STR(test_data),
    STR(split),
    STR(preset),
    NUM(hidden_dim, K_INT),
    NUM(out_dim, K_INT),
    NUM(layers, K_INT),
    NUM(batch, K_INT),
    NUM(steps, K_LONG),
    NUM(epochs, K_LONG),
    NUM(lr, K_DOUBLE),
    NUM(lr_decay, K_DOUBLE),
    STR(optimizer),
    NUM(seed, K_LONG),
    NUM(eval_every, K_LONG),
    NUM(sample_every, K_LONG),
    NUM(ckpt_every, K_LONG),
    STR_OPTIONAL(data_check),
};
enum { NFIELDS = sizeof fields / sizeof fields[0] };

int train_flags_format(const train_flags *f, char *buf, size_t size)
{
    size_t at = 0;
    const char *base = (const char *)f;
    for (int i = 0; i < NFIELDS; i++) {
        const field *d = &fields[i];
        const void *p = base + d->offset;
        int n = 0;
        if (d->optional && d->kind == K_STR && !*(const char *)p)
            continue;
        char *out = at < size ? buf + at : NULL;
        size_t room = at < size ? size - at : 0;
        switch (d->kind) {
        case K_STR: n = snprintf(out, room, "%s=%s\n", d->key, (const char *)p); break;
        case K_INT: n = snprintf(out, room, "%s=%d\n", d->key, *(const int *)p); break;
        case K_LONG: n = snprintf(out, room, "%s=%ld\n", d->key, *(const long *)p); break;
        case K_DOUBLE: n = snprintf(out, room, "%s=%.17g\n", d->key, *(const double *)p); break;
        }
        at += (size_t)n;
    }
    return (int)at;
}

static int parse_value(const field *d, const char *value, void *p)
{
    char *end;
    errno = 0;
    if (d->kind == K_STR) {
        if (strlen(value) >= d->size)
            return 0;
        strcpy(p, value);
        return 1;
    }
    if (d->kind == K_DOUBLE) {
        double v = strtod(value, &end);
        if (errno || end == value || *end)
            return 0;
        *(double *)p = v;
        return 1;
    }
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end)
        return 0;
    if (d->kind == K_INT) {
        if (v < -2147483647L || v > 2147483647L)
            return 0;
        *(int *)p = (int)v;
    } else {
        *(long *)p = v;
    }
    return 1;
}

pcnn_status train_flags_parse(const char *text, const char *name, train_flags *f)
{
    *f = train_flags_defaults();
    int seen[NFIELDS] = {0}, line_no = 0;
    char *base = (char *)f;
    for (const char *p = text; *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char line[1200];
        line_no++;
        if (len >= sizeof line)
            return pcnn_fail(PCNN_ERR_FORMAT, "%s:%d: line too long", name, line_no);
        memcpy(line, p, len);
        line[len] = 0;
        p += len + (eol ? 1 : 0);
        if (!line[0])
            continue;
        char *eq = strchr(line, '=');
        if (!eq)
            return pcnn_fail(PCNN_ERR_FORMAT, "%s:%d: expected key=value", name, line_no);
        *eq = 0;
        int k = 0;
        while (k < NFIELDS && strcmp(fields[k].key, line) != 0)
            k++;
        if (k == NFIELDS)
            return pcnn_fail(PCNN_ERR_FORMAT, "%s:%d: unknown training flag '%s'", name, line_no, line);
        if (!parse_value(&fields[k], eq + 1, base + fields[k].offset))
            return pcnn_fail(PCNN_ERR_FORMAT, "%s:%d: bad value for '%s'", name, line_no, line);
        seen[k] = 1;
    }
    for (int k = 0; k < NFIELDS; k++)
        if (!seen[k] && !fields[k].optional)
            return pcnn_fail(PCNN_ERR_FORMAT, "%s: missing training flag '%s'", name, fields[k].key);
    return PCNN_OK;
}
