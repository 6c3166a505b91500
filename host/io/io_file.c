/* Whole-file reads and atomic writes: see io_file.h. */
#define _POSIX_C_SOURCE 200809L
#include "io/io_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

pcnn_status read_whole_file(const char *path, unsigned char **bytes, size_t *size)
{
    *bytes = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return pcnn_fail(PCNN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap + 1);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        cap *= 2;
        unsigned char *grown = realloc(buf, cap + 1);
        if (!grown) {
            free(buf);
            buf = NULL;
        }
        buf = grown;
    }
    int failed = ferror(f);
    fclose(f);
    if (!buf)
        return pcnn_fail(PCNN_ERR_MEMORY, "%s: out of memory reading the file", path);
    if (failed) {
        free(buf);
        return pcnn_fail(PCNN_ERR_IO, "%s: read error", path);
    }
    buf[n] = 0;
    *bytes = buf;
    *size = n;
    return PCNN_OK;
}

pcnn_status atomic_file_open(atomic_file *af, const char *path)
{
    memset(af, 0, sizeof *af);
    size_t len = strlen(path);
    af->path = strdup(path);
    af->tmp_path = malloc(len + 16);
    if (!af->path || !af->tmp_path) {
        atomic_file_abort(af);
        return pcnn_fail(PCNN_ERR_MEMORY, "%s: out of memory", path);
    }
    snprintf(af->tmp_path, len + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(af->tmp_path);
    if (fd < 0) {
        pcnn_status st = pcnn_fail(PCNN_ERR_IO, "%s: cannot create a temporary file beside it: %s",
                                   path, strerror(errno));
        free(af->tmp_path);
        af->tmp_path = NULL;
        atomic_file_abort(af);
        return st;
    }
    /* mkstemp makes the file 0600; give it the mode a plain create would have. */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    af->f = fdopen(fd, "wb");
    if (!af->f) {
        pcnn_status st = pcnn_fail(PCNN_ERR_IO, "%s: cannot open for writing: %s", path, strerror(errno));
        close(fd);
        atomic_file_abort(af);
        return st;
    }
    return PCNN_OK;
}

pcnn_status atomic_file_write(atomic_file *af, const void *data, size_t n)
{
    if (n && fwrite(data, 1, n, af->f) != n)
        return pcnn_fail(PCNN_ERR_IO, "%s: write failed: %s", af->path, strerror(errno));
    return PCNN_OK;
}

static void fsync_parent_dir(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd); /* best effort: the rename is already atomic */
        close(fd);
    }
    free(copy);
}

pcnn_status atomic_file_commit(atomic_file *af)
{
    pcnn_status st = PCNN_OK;
    if (fflush(af->f) != 0 || fsync(fileno(af->f)) != 0)
        st = pcnn_fail(PCNN_ERR_IO, "%s: write failed: %s", af->path, strerror(errno));
    if (fclose(af->f) != 0 && st == PCNN_OK)
        st = pcnn_fail(PCNN_ERR_IO, "%s: write failed: %s", af->path, strerror(errno));
    af->f = NULL;
    if (st == PCNN_OK && rename(af->tmp_path, af->path) != 0)
        st = pcnn_fail(PCNN_ERR_IO, "%s: cannot rename the finished file into place: %s",
                       af->path, strerror(errno));
    if (st == PCNN_OK) {
        fsync_parent_dir(af->path);
        free(af->tmp_path);
        af->tmp_path = NULL;
    }
    atomic_file_abort(af);
    return st;
}

void atomic_file_abort(atomic_file *af)
{
    if (af->f)
        fclose(af->f);
    if (af->tmp_path)
        unlink(af->tmp_path);
    free(af->tmp_path);
    free(af->path);
    memset(af, 0, sizeof *af);
}

int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

pcnn_status make_dir(const char *path)
{
    if (mkdir(path, 0777) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return PCNN_OK;
        return pcnn_fail(PCNN_ERR_IO, "%s: exists and is not a directory", path);
    }
    return pcnn_fail(PCNN_ERR_IO, "%s: cannot create directory: %s", path, strerror(errno));
}

pcnn_status make_dirs(const char *dir)
{
    if (!dir[0]) /* the loop below starts past the first character */
        return pcnn_fail(PCNN_ERR_ARG, "an empty directory path");
    char *copy = strdup(dir);
    if (!copy)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
    pcnn_status st = PCNN_OK;
    for (char *p = copy + 1; !st && *p; p++)
        if (*p == '/') {
            *p = 0;
            st = make_dir(copy);
            *p = '/';
        }
    if (!st)
        st = make_dir(copy);
    free(copy);
    return st;
}
