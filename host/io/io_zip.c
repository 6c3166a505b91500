/* Zip containers through libzip: see io_zip.h. */
#include "io/io_zip.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

struct io_zip {
    zip_t *zip;
    char *name;
};

static pcnn_status zip_failure(const char *name, zip_error_t *err, const char *what)
{
    pcnn_status st = pcnn_fail(PCNN_ERR_FORMAT, "%s: %s: %s", name, what, zip_error_strerror(err));
    zip_error_fini(err);
    return st;
}

static pcnn_status wrap(zip_t *zip, const char *name, io_zip **out)
{
    *out = calloc(1, sizeof **out);
    if (*out)
        (*out)->name = strdup(name);
    if (!*out || !(*out)->name) {
        zip_discard(zip);
        if (*out)
            free(*out);
        *out = NULL;
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
    }
    (*out)->zip = zip;
    return PCNN_OK;
}

pcnn_status io_zip_open(const char *path, io_zip **out)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return pcnn_fail(PCNN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return pcnn_fail(PCNN_ERR_IO, "%s: is %s, not a file", path, S_ISDIR(st.st_mode) ? "a directory" : "special");
    int code = 0;
    zip_t *zip = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &code);
    if (!zip) {
        zip_error_t err;
        zip_error_init_with_code(&err, code);
        return zip_failure(path, &err, "not a readable .npz (zip) file");
    }
    return wrap(zip, path, out);
}

pcnn_status io_zip_open_memory(const void *bytes, size_t size, const char *name, io_zip **out)
{
    *out = NULL;
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t *src = zip_source_buffer_create(bytes, size, 0, &err);
    zip_t *zip = src ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err) : NULL;
    if (!zip) {
        if (src)
            zip_source_free(src);
        return zip_failure(name, &err, "not a readable .npz (zip) file");
    }
    zip_error_fini(&err);
    return wrap(zip, name, out);
}

void io_zip_close(io_zip *z)
{
    if (!z)
        return;
    zip_discard(z->zip); /* read-only: nothing to write back */
    free(z->name);
    free(z);
}

pcnn_status io_zip_read(io_zip *z, const char *entry, size_t max, unsigned char **bytes, size_t *size, int *found)
{
    *bytes = NULL;
    *size = 0;
    *found = 0;
    zip_int64_t index = zip_name_locate(z->zip, entry, 0);
    if (index < 0)
        return PCNN_OK;
    *found = 1;
    zip_stat_t zs;
    if (zip_stat_index(z->zip, (zip_uint64_t)index, 0, &zs) != 0 || !(zs.valid & ZIP_STAT_SIZE))
        return pcnn_fail(PCNN_ERR_FORMAT, "%s:%s: cannot read its size: %s", z->name, entry, zip_strerror(z->zip));
    if (zs.size > max)
        return pcnn_fail(PCNN_ERR_FORMAT, "%s:%s: the archive says %llu bytes, more than the %zu it can hold", z->name,
                         entry, (unsigned long long)zs.size, max);
    size_t n = (size_t)zs.size;
    unsigned char *buf = malloc(n + 1);
    if (!buf)
        return pcnn_fail(PCNN_ERR_MEMORY, "%s:%s: out of memory", z->name, entry);
    zip_file_t *f = zip_fopen_index(z->zip, (zip_uint64_t)index, 0);
    if (!f) {
        free(buf);
        return pcnn_fail(PCNN_ERR_FORMAT, "%s:%s: cannot open: %s", z->name, entry, zip_strerror(z->zip));
    }
    /* Exactly n bytes, then the end: one byte more is a lie about the size. */
    zip_int64_t got = zip_fread(f, buf, n), extra = got == (zip_int64_t)n ? zip_fread(f, buf + n, 1) : 0;
    pcnn_status st = PCNN_OK;
    if (got < 0 || extra < 0)
        st = pcnn_fail(PCNN_ERR_FORMAT, "%s:%s: %s", z->name, entry, zip_file_strerror(f));
    else if (got != (zip_int64_t)n || extra != 0)
        st =
            pcnn_fail(PCNN_ERR_FORMAT, "%s:%s: holds other than the %zu bytes the archive declares", z->name, entry, n);
    zip_fclose(f);
    if (st) {
        free(buf);
        return st;
    }
    buf[n] = 0;
    *bytes = buf;
    *size = n;
    return PCNN_OK;
}

static pcnn_status add_entries(zip_t *zip, const char *path, const io_zip_entry *entries, int n)
{
    for (int i = 0; i < n; i++) {
        zip_source_t *src = zip_source_buffer(zip, entries[i].data, entries[i].size, 0);
        zip_int64_t index = src ? zip_file_add(zip, entries[i].name, src, ZIP_FL_ENC_UTF_8) : -1;
        if (index < 0) {
            if (src)
                zip_source_free(src);
            return pcnn_fail(PCNN_ERR_IO, "%s: cannot add %s: %s", path, entries[i].name, zip_strerror(zip));
        }
        if (zip_set_file_compression(zip, (zip_uint64_t)index, ZIP_CM_STORE, 0) != 0)
            return pcnn_fail(PCNN_ERR_IO, "%s: %s: %s", path, entries[i].name, zip_strerror(zip));
    }
    return PCNN_OK;
}

/* The archive lands beside, and replaces, the file a symlink names (the link stays). */
static pcnn_status write_resolved(const char *path, const io_zip_entry *entries, int n);

pcnn_status io_zip_write(const char *path, const io_zip_entry *entries, int n)
{
    struct stat st;
    char *real = lstat(path, &st) == 0 && S_ISLNK(st.st_mode) ? realpath(path, NULL) : NULL;
    pcnn_status result = write_resolved(real ? real : path, entries, n);
    free(real);
    return result;
}

static pcnn_status write_resolved(const char *path, const io_zip_entry *entries, int n)
{
    size_t len = strlen(path) + 16;
    char *tmp = malloc(len);
    if (!tmp)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
    snprintf(tmp, len, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        pcnn_status st =
            pcnn_fail(PCNN_ERR_IO, "%s: cannot create a temporary file beside it: %s", path, strerror(errno));
        free(tmp);
        return st;
    }
    close(fd);
    int code = 0;
    zip_t *zip = zip_open(tmp, ZIP_TRUNCATE, &code);
    pcnn_status st = PCNN_OK;
    if (!zip) {
        zip_error_t err;
        zip_error_init_with_code(&err, code);
        st = pcnn_fail(PCNN_ERR_IO, "%s: cannot write: %s", path, zip_error_strerror(&err));
        zip_error_fini(&err);
    }
    if (!st && (st = add_entries(zip, path, entries, n)))
        zip_discard(zip);
    /* zip_close writes the archive (through a temporary file of its own,
     * which it removes on failure) and renames it over tmp. */
    if (!st && zip_close(zip) != 0) {
        st = pcnn_fail(PCNN_ERR_IO, "%s: write failed: %s", path, zip_strerror(zip));
        zip_discard(zip);
    }
    if (!st) {
        mode_t mask = umask(0);
        umask(mask);
        fd = open(tmp, O_RDONLY);
        if (fd < 0 || fchmod(fd, 0666 & ~mask) != 0 || fsync(fd) != 0)
            st = pcnn_fail(PCNN_ERR_IO, "%s: write failed: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    if (!st && rename(tmp, path) != 0)
        st = pcnn_fail(PCNN_ERR_IO, "%s: cannot rename the finished file into place: %s", path, strerror(errno));
    if (st) {
        unlink(tmp);
    } else {
        char *copy = strdup(path);
        fd = copy ? open(dirname(copy), O_RDONLY | O_DIRECTORY) : -1;
        if (fd >= 0) {
            fsync(fd);
            close(fd);
        }
        free(copy);
    }
    free(tmp);
    return st;
}
