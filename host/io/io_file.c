/* Whole-file reads and atomic writes: see io_file.h. */
#define _POSIX_C_SOURCE 200809L
#include "io/io_file.h"

#include "base/base_try.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a special file is, for messages. */
static const char *kind_of(mode_t mode)
{
    return S_ISFIFO(mode)   ? "a FIFO"
           : S_ISCHR(mode)  ? "a character device"
           : S_ISBLK(mode)  ? "a block device"
           : S_ISSOCK(mode) ? "a socket"
           : S_ISDIR(mode)  ? "a directory"
                            : "not a regular file";
}

pcnn_status io_open_regular(const char *path, int *fd_out, struct stat *st)
{
    *fd_out = -1;
    /* O_NONBLOCK: opening a FIFO with no writer returns at once instead of
     * waiting forever; fstat then refuses it. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return pcnn_fail(PCNN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fd, st) != 0) {
        int err = errno;
        close(fd);
        return pcnn_fail(PCNN_ERR_IO, "%s: cannot open: %s", path, strerror(err));
    }
    if (S_ISDIR(st->st_mode)) {
        close(fd);
        return pcnn_fail(PCNN_ERR_IO, "%s: is a directory, not a file", path);
    }
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        return pcnn_fail(PCNN_ERR_IO, "%s: is not a regular file (it is %s): not read", path, kind_of(st->st_mode));
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    *fd_out = fd;
    return PCNN_OK;
}

pcnn_status read_whole_file(const char *path, unsigned char **bytes, size_t *size)
{
    *bytes = NULL;
    *size = 0;
    int fd;
    struct stat st;
    TRY(io_open_regular(path, &fd, &st));
    /* At most st_size bytes: a file that grows while it is read is cut
     * there, and no special file gets this far. */
    if ((uint64_t)st.st_size >= SIZE_MAX) {
        close(fd);
        return pcnn_fail(PCNN_ERR_MEMORY, "%s: too large to read", path);
    }
    size_t cap = (size_t)st.st_size, n = 0;
    unsigned char *buf = malloc(cap + 1);
    if (!buf) {
        close(fd);
        return pcnn_fail(PCNN_ERR_MEMORY, "%s: out of memory reading the file (%zu bytes)", path, cap);
    }
    int err = 0;
    while (n < cap) {
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            err = errno;
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    if (err) {
        free(buf);
        return pcnn_fail(PCNN_ERR_IO, "%s: read error: %s", path, strerror(err));
    }
    buf[n] = 0;
    *bytes = buf;
    *size = n;
    return PCNN_OK;
}

/* Live temporary files, for atomic_file_remove_temps (a signal handler's):
 * fixed slots written before they are marked used, so the handler only ever
 * reads complete names. */
enum { TEMP_SLOTS = 32, TEMP_PATH = 4096 };
static char temp_names[TEMP_SLOTS][TEMP_PATH];
static volatile sig_atomic_t temp_used[TEMP_SLOTS];

static int temp_register(const char *path)
{
    if (strlen(path) >= TEMP_PATH)
        return -1;
    for (int i = 0; i < TEMP_SLOTS; i++)
        if (!temp_used[i]) {
            memcpy(temp_names[i], path, strlen(path) + 1);
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            temp_used[i] = 1;
            return i;
        }
    return -1;
}

static void temp_unregister(int slot)
{
    if (slot >= 0 && slot < TEMP_SLOTS)
        temp_used[slot] = 0;
}

void atomic_file_remove_temps(void)
{
    for (int i = 0; i < TEMP_SLOTS; i++)
        if (temp_used[i])
            unlink(temp_names[i]);
}

enum { MAX_LINKS = 40 };

/* A file descriptor's name (/dev/stdout is a link to /proc/self/fd/1): what
 * it leads to is opened, not a path beside it. */
static int is_fd_name(const char *p) { return strncmp(p, "/proc/", 6) == 0 || strncmp(p, "/dev/fd/", 8) == 0; }

char *io_write_target(const char *path, int *in_place)
{
    *in_place = is_fd_name(path);
    char *p = strdup(path);
    for (int hops = 0; p && !*in_place && hops < MAX_LINKS; hops++) {
        struct stat st;
        char target[TEMP_PATH];
        ssize_t n;
        if (lstat(p, &st) != 0 || !S_ISLNK(st.st_mode) || (n = readlink(p, target, sizeof target - 1)) <= 0)
            return p;
        target[n] = 0;
        char *next;
        if (target[0] == '/') {
            next = strdup(target);
        } else { /* relative to the link's directory */
            const char *slash = strrchr(p, '/');
            size_t dir_len = slash ? (size_t)(slash - p) + 1 : 0;
            next = malloc(dir_len + (size_t)n + 1);
            if (next) {
                memcpy(next, p, dir_len);
                memcpy(next + dir_len, target, (size_t)n + 1);
            }
        }
        free(p);
        p = next;
        *in_place = p && is_fd_name(p);
    }
    return p;
}

/* A target that exists and is not a regular file (a device, a FIFO, a
 * socket): written in place, never replaced. A FIFO needs a reader already
 * there (else it would wait forever); a socket cannot be opened. */
static pcnn_status open_direct(atomic_file *af, const struct stat *st)
{
    if (S_ISSOCK(st->st_mode))
        return pcnn_fail(PCNN_ERR_IO, "%s: is a socket: not written (give a file or a FIFO)", af->path);
    /* A regular file reached through a descriptor's name (--json /dev/stdout
     * > file) gets the bytes after what the descriptor wrote already. */
    int append = S_ISREG(st->st_mode) ? O_APPEND : 0;
    int fd = open(af->path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | append);
    if (fd < 0 && errno == ENXIO)
        return pcnn_fail(PCNN_ERR_IO, "%s: is %s with no reader: not written", af->path, kind_of(st->st_mode));
    if (fd < 0)
        return pcnn_fail(PCNN_ERR_IO, "%s: cannot open for writing: %s", af->path, strerror(errno));
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    af->f = fdopen(fd, "wb");
    if (!af->f) {
        close(fd);
        return pcnn_fail(PCNN_ERR_IO, "%s: cannot open for writing: %s", af->path, strerror(errno));
    }
    af->direct = 1;
    return PCNN_OK;
}

pcnn_status atomic_file_open(atomic_file *af, const char *path)
{
    memset(af, 0, sizeof *af);
    af->temp_slot = -1;
    /* A symlink is followed: the file it names is replaced and the link stays. */
    int in_place;
    af->path = io_write_target(path, &in_place);
    size_t len = af->path ? strlen(af->path) : 0;
    af->tmp_path = malloc(len + 16);
    if (!af->path || !af->tmp_path) {
        atomic_file_abort(af);
        return pcnn_fail(PCNN_ERR_MEMORY, "%s: out of memory", path);
    }
    struct stat st;
    int exists = stat(af->path, &st) == 0;
    if (exists && (in_place || (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)))) {
        free(af->tmp_path);
        af->tmp_path = NULL;
        pcnn_status s = open_direct(af, &st);
        if (s)
            atomic_file_abort(af);
        return s;
    }
    snprintf(af->tmp_path, len + 16, "%s.tmp.XXXXXX", af->path);
    int fd = mkstemp(af->tmp_path);
    if (fd < 0) {
        pcnn_status s =
            pcnn_fail(PCNN_ERR_IO, "%s: cannot create a temporary file beside it: %s", af->path, strerror(errno));
        free(af->tmp_path);
        af->tmp_path = NULL;
        atomic_file_abort(af);
        return s;
    }
    af->temp_slot = temp_register(af->tmp_path);
    /* mkstemp makes the file 0600; give it the mode of the file it replaces,
     * or the one a plain create would have. */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, exists && S_ISREG(st.st_mode) ? st.st_mode & 07777 : 0666 & ~mask);
    af->f = fdopen(fd, "wb");
    if (!af->f) {
        pcnn_status s = pcnn_fail(PCNN_ERR_IO, "%s: cannot open for writing: %s", af->path, strerror(errno));
        close(fd);
        atomic_file_abort(af);
        return s;
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
    /* A device or FIFO cannot be fsynced (EINVAL, EROFS): flushing is all. */
    if (fflush(af->f) != 0 || (fsync(fileno(af->f)) != 0 && !(af->direct && (errno == EINVAL || errno == EROFS))))
        st = pcnn_fail(PCNN_ERR_IO, "%s: write failed: %s", af->path, strerror(errno));
    if (fclose(af->f) != 0 && st == PCNN_OK)
        st = pcnn_fail(PCNN_ERR_IO, "%s: write failed: %s", af->path, strerror(errno));
    af->f = NULL;
    if (st == PCNN_OK && !af->direct && rename(af->tmp_path, af->path) != 0)
        st = pcnn_fail(PCNN_ERR_IO, "%s: cannot rename the finished file into place: %s", af->path, strerror(errno));
    if (st == PCNN_OK && !af->direct) {
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
    temp_unregister(af->temp_slot);
    free(af->tmp_path);
    free(af->path);
    memset(af, 0, sizeof *af);
    af->temp_slot = -1;
}

pcnn_status io_copy_file(const char *from, const char *to)
{
    int fd;
    struct stat st;
    TRY(io_open_regular(from, &fd, &st));
    atomic_file af;
    pcnn_status s = atomic_file_open(&af, to);
    char buf[1 << 16];
    while (!s) {
        ssize_t got = read(fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            s = pcnn_fail(PCNN_ERR_IO, "%s: read error: %s", from, strerror(errno));
        if (got <= 0)
            break;
        s = atomic_file_write(&af, buf, (size_t)got);
    }
    close(fd);
    if (s) {
        atomic_file_abort(&af);
        return s;
    }
    return atomic_file_commit(&af);
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
