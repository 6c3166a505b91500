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
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) { /* fopen opens one; reading it fails */
        fclose(f);
        return pcnn_fail(PCNN_ERR_IO, "%s: is a directory, not a file", path);
    }
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
    int failed = ferror(f), err = errno;
    fclose(f);
    if (!buf)
        return pcnn_fail(PCNN_ERR_MEMORY, "%s: out of memory reading the file", path);
    if (failed) {
        free(buf);
        return pcnn_fail(PCNN_ERR_IO, "%s: read error: %s", path, strerror(err));
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

/* fflush + fsync + fclose, keeping the temp file for a rename. */
static pcnn_status finish(atomic_file *af)
{
    pcnn_status st = PCNN_OK;
    /* EINVAL: a descriptor that cannot be synced (a FIFO or device written in place). */
    if (fflush(af->f) != 0 || (fsync(fileno(af->f)) != 0 && errno != EINVAL))
        st = pcnn_fail(PCNN_ERR_IO, "%s: write failed: %s", af->path, strerror(errno));
    if (fclose(af->f) != 0 && st == PCNN_OK)
        st = pcnn_fail(PCNN_ERR_IO, "%s: write failed: %s", af->path, strerror(errno));
    af->f = NULL;
    return st;
}

/* Where the old file under af->path waits while the set is renamed: a hard
 * link "<path>.tmp.old<pid>.<n>" (a name every temp sweep knows). Returns 1
 * with the backup made, 0 when there is no old file, -1 when there is one but
 * the file system makes no hard links (FAT): then a failed set keeps the new
 * file rather than lose both. */
static int keep_old(const atomic_file *af, char *backup, size_t size)
{
    backup[0] = 0;
    struct stat st;
    if (lstat(af->path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    for (int tries = 0; tries < 100; tries++) {
        snprintf(backup, size, "%s.tmp.old%ld.%d", af->path, (long)getpid(), tries);
        if (link(af->path, backup) == 0)
            return 1;
        if (errno != EEXIST)
            break;
    }
    backup[0] = 0;
    return -1;
}

pcnn_status atomic_files_commit(atomic_file *afs, int n)
{
    enum { MAX_SET = 8 };
    char backups[MAX_SET][4096];
    int had_old[MAX_SET] = {0}, renamed = 0;
    pcnn_status st = n <= MAX_SET ? PCNN_OK : pcnn_fail(PCNN_ERR_ARG, "atomic_files_commit: %d files", n);
    for (int i = 0; !st && i < n; i++)
        st = finish(&afs[i]);
    /* A file written in place (no temp: a FIFO or a device) has no old
     * contents to keep and nothing to rename. */
    for (int i = 0; !st && i < n; i++)
        had_old[i] = afs[i].tmp_path ? keep_old(&afs[i], backups[i], sizeof backups[i]) : -1;
    for (; !st && renamed < n; renamed++)
        if (afs[renamed].tmp_path && rename(afs[renamed].tmp_path, afs[renamed].path) != 0) {
            st = pcnn_fail(PCNN_ERR_IO, "%s: cannot rename the finished file into place: %s", afs[renamed].path,
                           strerror(errno));
            break;
        }
    for (int i = 0; i < n && i < MAX_SET; i++) {
        if (st && i < renamed) { /* put the old file back, or remove the new one (best effort) */
            if (had_old[i] == 1)
                rename(backups[i], afs[i].path);
            else if (had_old[i] == 0)
                unlink(afs[i].path);
        } else if (had_old[i] == 1) {
            unlink(backups[i]);
        }
        if (i < renamed) {
            free(afs[i].tmp_path); /* renamed: no temp file left to remove */
            afs[i].tmp_path = NULL;
        }
    }
    if (n > 0 && !st)
        fsync_parent_dir(afs[0].path);
    for (int i = 0; i < n; i++)
        atomic_file_abort(&afs[i]);
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

pcnn_status output_check(const char *path, const char *flag, int is_dir)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (is_dir && !S_ISDIR(st.st_mode))
            return pcnn_fail(PCNN_ERR_ARG, "%s %s: exists and is not a directory", flag, path);
        if (!is_dir && S_ISDIR(st.st_mode))
            return pcnn_fail(PCNN_ERR_ARG, "%s %s: is a directory", flag, path);
        if (is_dir) {
            if (access(path, W_OK | X_OK) != 0)
                return pcnn_fail(PCNN_ERR_ARG, "%s %s: cannot write into it: %s", flag, path, strerror(errno));
            return PCNN_OK;
        }
    }
    char *copy = strdup(path);
    if (!copy)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
    const char *dir = dirname(copy); /* "." for a bare name */
    pcnn_status result = PCNN_OK;
    if (stat(dir, &st) != 0)
        result = pcnn_fail(PCNN_ERR_ARG, "%s %s: the directory %s does not exist%s", flag, path, dir,
                           is_dir ? " (only the last level is created)" : "");
    else if (!S_ISDIR(st.st_mode))
        result = pcnn_fail(PCNN_ERR_ARG, "%s %s: %s is not a directory", flag, path, dir);
    else if (access(dir, W_OK | X_OK) != 0)
        result = pcnn_fail(PCNN_ERR_ARG, "%s %s: cannot write into %s: %s", flag, path, dir, strerror(errno));
    free(copy);
    return result;
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
