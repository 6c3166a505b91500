/* Reading weights interchange directories and .npz files: see
 * include/pcnn/weights_dir.h. Both are a set of named files (entries); a
 * `source` reads one of them with its size checked first. */
#include "pcnn/weights_dir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/base_try.h"
#include "io/io_file.h"
#include "io/io_zip.h"
#include "model/model_types.h"
#include "model/model_weights_manifest.h"
#include "pcnn/array.h"
#include "pcnn/npy.h"

/* config.txt and manifest.txt are small; a .npy header is at most 64 KiB (format 1.0). */
enum { MAX_TEXT = 1 << 16, MAX_NPY_HEADER = (1 << 16) + 12 };

typedef struct {
    const char *where; /* the directory or the .npz, for messages */
    io_zip *zip;       /* NULL: a directory */
} source;

int pcnn_weights_is_npz(const char *path)
{
    size_t n = strlen(path);
    return n >= 4 && strcmp(path + n - 4, ".npz") == 0;
}

/* "DIR/file" or "FILE.npz:file", as messages name an entry. */
static void entry_name(const source *s, const char *entry, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s%s", s->where, s->zip ? ":" : "/", entry);
}

/* Reads an entry of at most `max` bytes (checked before allocating); *found
 * is 0 when the entry does not exist. */
static pcnn_status source_read(const source *s, const char *entry, size_t max, unsigned char **bytes, size_t *size,
                               int *found)
{
    if (s->zip)
        return io_zip_read(s->zip, entry, max, bytes, size, found);
    char path[4096];
    entry_name(s, entry, path, sizeof path);
    *bytes = NULL;
    *size = 0;
    struct stat st;
    *found = !(stat(path, &st) != 0 && errno == ENOENT);
    if (!*found)
        return PCNN_OK;
    if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > max)
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: %lld bytes, more than the %zu it can hold", path, (long long)st.st_size,
                         max);
    TRY(read_whole_file(path, bytes, size));
    if (*size > max) { /* grew while we read it */
        free(*bytes);
        *bytes = NULL;
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: more than the %zu bytes it can hold", path, max);
    }
    return PCNN_OK;
}

/* Checks an entry's bytes against its manifest line: present, same CRC32. */
static pcnn_status check_manifest(const source *s, const weights_manifest *mf, const char *entry,
                                  const unsigned char *bytes, size_t size)
{
    char name[4200];
    entry_name(s, entry, name, sizeof name);
    const manifest_entry *e = manifest_find(mf, entry);
    if (!e)
        return pcnn_fail(PCNN_ERR_FORMAT,
                         "%s: not listed in manifest.txt (a mixed export? delete manifest.txt to "
                         "import edited weights)",
                         name);
    uint32_t crc = manifest_crc(bytes, size);
    if (crc != e->crc)
        return pcnn_fail(PCNN_ERR_FORMAT,
                         "%s: does not match manifest.txt (CRC32 %08x, the manifest says %08x): a file from "
                         "another export or cut short; delete manifest.txt to import edited weights",
                         name, (unsigned)crc, (unsigned)e->crc);
    return PCNN_OK;
}

/* Reads tensor t of the layout, which must be float32 of the shape config.txt
 * implies, match the manifest (when there is one), with every value finite. */
static pcnn_status read_tensor(const source *s, const pcnn_model *layout, const weights_manifest *mf, int t,
                               pcnn_array *a)
{
    char entry[64], name[4200];
    pcnn_tensor_info info;
    pcnn_model_tensor_info(layout, t, &info);
    snprintf(entry, sizeof entry, "%s.npy", info.name);
    entry_name(s, entry, name, sizeof name);
    unsigned char *bytes;
    size_t size;
    int found;
    /* info.count * 4 cannot overflow: model_layout checked the whole parameter count. */
    TRY(source_read(s, entry, info.count * sizeof(float) + MAX_NPY_HEADER, &bytes, &size, &found));
    if (!found)
        return pcnn_fail(PCNN_ERR_IO, "%s: cannot open: %s", name, strerror(ENOENT));
    pcnn_status st = mf ? check_manifest(s, mf, entry, bytes, size) : PCNN_OK;
    if (!st)
        st = pcnn_npy_parse(bytes, size, name, a);
    free(bytes);
    TRY(st);
    int same = a->dtype == PCNN_F32 && a->ndim == info.ndim;
    for (int d = 0; same && d < a->ndim; d++)
        same = a->shape[d] == info.shape[d];
    if (!same) {
        char got[128], expected[128];
        pcnn_shape_str(a, got, sizeof got);
        pcnn_array want = {.ndim = info.ndim};
        memcpy(want.shape, info.shape, sizeof info.shape);
        pcnn_shape_str(&want, expected, sizeof expected);
        st = pcnn_fail(PCNN_ERR_FORMAT, "%s: expected float32 %s for this config.txt, got %s %s", name, expected,
                       a->dtype == PCNN_F32 ? "float32" : "uint8", got);
    } else {
        size_t bad = pcnn_first_nonfinite(a->data, info.count);
        if (bad < info.count)
            st = pcnn_fail(PCNN_ERR_NUMERIC, "%s: the weights of %s are not finite (element %zu is %g)", name,
                           info.name, bad, (double)((float *)a->data)[bad]);
    }
    if (st)
        pcnn_array_free(a);
    return st;
}

/* manifest.txt, when there is one: parsed, its config.txt line checked, and
 * every file it lists one this config.txt has. *have is 0 without one. */
static pcnn_status read_manifest(const source *s, const pcnn_model *layout, const unsigned char *config,
                                 size_t config_size, weights_manifest *mf, int *have)
{
    unsigned char *text;
    size_t size;
    char name[4200];
    entry_name(s, "manifest.txt", name, sizeof name);
    int n = pcnn_model_tensor_count(layout);
    TRY(source_read(s, "manifest.txt", MAX_TEXT + (size_t)n * 256, &text, &size, have));
    if (!*have)
        return PCNN_OK;
    pcnn_status st = strlen((char *)text) != size ? pcnn_fail(PCNN_ERR_FORMAT, "%s: not a text file (NUL byte)", name)
                                                  : manifest_parse((char *)text, name, n + 1, mf);
    free(text);
    TRY(st);
    st = check_manifest(s, mf, "config.txt", config, config_size);
    for (int i = 0; !st && i < mf->n; i++) {
        int known = strcmp(mf->e[i].file, "config.txt") == 0;
        for (int t = 0; !known && t < n; t++) {
            pcnn_tensor_info info;
            pcnn_model_tensor_info(layout, t, &info);
            char entry[64];
            snprintf(entry, sizeof entry, "%s.npy", info.name);
            known = strcmp(entry, mf->e[i].file) == 0;
        }
        if (!known)
            st = pcnn_fail(PCNN_ERR_FORMAT, "%s: lists %s, which is no tensor of this config.txt", name, mf->e[i].file);
    }
    if (st)
        manifest_free(mf);
    return st;
}

static pcnn_status load(pcnn_device *dev, const source *s, pcnn_model **out, long *step)
{
    *out = NULL;
    if (step)
        *step = -1;
    char name[4200];
    entry_name(s, "config.txt", name, sizeof name);
    unsigned char *text;
    size_t size;
    int found;
    TRY(source_read(s, "config.txt", MAX_TEXT, &text, &size, &found));
    if (!found)
        return pcnn_fail(PCNN_ERR_IO, "%s: cannot open: %s", name, strerror(ENOENT));
    pcnn_config cfg;
    pcnn_status st = strlen((char *)text) != size ? pcnn_fail(PCNN_ERR_FORMAT, "%s: not a text file (NUL byte)", name)
                                                  : pcnn_config_parse((char *)text, name, &cfg);
    /* Every tensor is read and checked against config.txt before the model's
     * memory is allocated (a config.txt that asks for gigabytes, beside
     * small files, allocates nothing). */
    pcnn_model *layout = NULL, *m = NULL;
    if (!st)
        st = model_layout(&cfg, &layout);
    weights_manifest mf = {0};
    int have_manifest = 0;
    if (!st)
        st = read_manifest(s, layout, text, size, &mf, &have_manifest);
    free(text);
    int n = st ? 0 : pcnn_model_tensor_count(layout);
    pcnn_array *tensors = st ? NULL : calloc((size_t)n, sizeof *tensors);
    if (!st && !tensors)
        st = pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
    int loaded = 0;
    for (; !st && loaded < n; loaded++)
        st = read_tensor(s, layout, have_manifest ? &mf : NULL, loaded, &tensors[loaded]);
    if (st && loaded > 0)
        loaded--; /* the one that failed freed itself */
    if (!st)
        st = pcnn_model_create(dev, &cfg, &m);
    for (int t = 0; !st && t < n; t++)
        st = pcnn_model_set_tensor(m, t, tensors[t].data);
    for (int t = 0; t < loaded; t++)
        pcnn_array_free(&tensors[t]);
    free(tensors);
    pcnn_model_free(layout);
    if (!st && step && have_manifest)
        *step = mf.step;
    manifest_free(&mf);
    if (st) {
        pcnn_model_free(m);
        return st;
    }
    *out = m;
    return PCNN_OK;
}

pcnn_status pcnn_weights_load(pcnn_device *dev, const char *from, pcnn_model **out, long *step)
{
    *out = NULL;
    source s = {from, NULL};
    struct stat st;
    if (stat(from, &st) == 0 ? S_ISREG(st.st_mode) : pcnn_weights_is_npz(from))
        TRY(io_zip_open(from, &s.zip));
    pcnn_status result = load(dev, &s, out, step);
    io_zip_close(s.zip);
    return result;
}

pcnn_status pcnn_weights_npz_parse(pcnn_device *dev, const void *bytes, size_t size, const char *name, pcnn_model **out)
{
    *out = NULL;
    source s = {name, NULL};
    TRY(io_zip_open_memory(bytes, size, name, &s.zip));
    pcnn_status result = load(dev, &s, out, NULL);
    io_zip_close(s.zip);
    return result;
}

pcnn_status pcnn_weights_dir_load(pcnn_device *dev, const char *dir, pcnn_model **out)
{
    return pcnn_weights_load(dev, dir, out, NULL);
}
