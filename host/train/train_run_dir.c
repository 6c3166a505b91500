/* The run directory and its log: see train_run_dir.h. */
#include "train/train_run_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/base_try.h"
#include "io/io_file.h"

char *run_dir_path(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *p = malloc(len);
    if (!p) {
        pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
        return NULL;
    }
    snprintf(p, len, "%s/%s", dir, name);
    return p;
}

/* The files a start writes beside the checkpoints (undone by a failed start,
 * unless they were there before it). */
static const char *const run_files[] = {"config.txt", "train.txt",  "log.csv",
                                        "loss.svg",   "index.html", "checkpoint.next.pcnn"};
enum { N_RUN_FILES = sizeof run_files / sizeof run_files[0], MAX_MADE = 64 };

/* mkdir -p, noting each directory this call created (outermost first). */
static pcnn_status make_dirs_noting(run_dir_hold *h, const char *dir)
{
    if (!dir[0]) /* the loop below starts past the first character */
        return pcnn_fail(PCNN_ERR_ARG, "--run-dir: empty path");
    char *copy = strdup(dir);
    if (!copy)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
    pcnn_status st = PCNN_OK;
    size_t len = strlen(copy);
    for (size_t i = 1; !st && i <= len; i++) {
        if (copy[i] != '/' && copy[i] != 0)
            continue;
        char c = copy[i];
        copy[i] = 0;
        int existed = access(copy, F_OK) == 0;
        st = make_dir(copy);
        if (!st && !existed && h->n_made < MAX_MADE) {
            h->made[h->n_made] = strdup(copy);
            if (h->made[h->n_made])
                h->n_made++;
        }
        copy[i] = c;
    }
    free(copy);
    return st;
}

/* The pid written in a held lock file (0 if it cannot be read yet: the holder
 * writes it just after taking the lock, so wait a little for it). */
static long holder_pid(int fd)
{
    for (int tries = 0; tries < 50; tries++) {
        char buf[32] = {0};
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        char *end;
        long pid = n > 0 ? strtol(buf, &end, 10) : 0;
        if (n > 0 && pid > 0 && *end == '\n')
            return pid;
        struct timespec ms = {0, 2000000};
        nanosleep(&ms, NULL);
    }
    return 0;
}

/* Takes DIR/train.lock with flock for the life of the process's hold. A lock
 * file can be removed (a failed start undoes itself) between our open and
 * our flock: then the lock is on a name no one else sees, so check that the
 * locked file is still the one under the name, and try again if not. */
static pcnn_status take_lock(run_dir_hold *h, const char *dir, const char *flag)
{
    for (int tries = 0; tries < 100; tries++) {
        int created = 1, fd = open(h->lock_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno == EEXIST) {
            created = 0;
            fd = open(h->lock_path, O_RDWR | O_CLOEXEC);
            if (fd < 0 && errno == ENOENT)
                continue; /* removed just now: create it */
        }
        if (fd < 0)
            return pcnn_fail(PCNN_ERR_IO, "%s: cannot open the run directory's lock file: %s", h->lock_path,
                             strerror(errno));
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            long pid = e == EWOULDBLOCK ? holder_pid(fd) : 0;
            close(fd);
            if (e != EWOULDBLOCK)
                return pcnn_fail(PCNN_ERR_IO, "%s: cannot lock the run directory: %s", h->lock_path, strerror(e));
            if (pid)
                return pcnn_fail(PCNN_ERR_ARG, "%s %s is in use: process %ld is training there (it holds %s)", flag,
                                 dir, pid, h->lock_path);
            return pcnn_fail(PCNN_ERR_ARG, "%s %s is in use: another process is training there (it holds %s)", flag,
                             dir, h->lock_path);
        }
        struct stat held, named;
        if (fstat(fd, &held) != 0 || stat(h->lock_path, &named) != 0 || held.st_ino != named.st_ino ||
            held.st_dev != named.st_dev) {
            close(fd);
            continue;
        }
        char pid[32];
        int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
        if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
            pcnn_status st = pcnn_fail(PCNN_ERR_IO, "%s: cannot write: %s", h->lock_path, strerror(errno));
            if (created)
                unlink(h->lock_path);
            close(fd);
            return st;
        }
        h->lock_fd = fd;
        h->created_lock = created;
        return PCNN_OK;
    }
    return pcnn_fail(PCNN_ERR_IO, "%s: the lock file keeps being replaced: cannot lock the run directory",
                     h->lock_path);
}

pcnn_status run_dir_prepare(const char *dir, int resume, run_dir_hold *h)
{
    memset(h, 0, sizeof *h);
    h->lock_fd = -1;
    const char *flag = resume ? "--resume" : "--run-dir";
    h->dir = strdup(dir);
    h->lock_path = run_dir_path(dir, "train.lock");
    char *ckpt = run_dir_path(dir, "checkpoint.pcnn"), *prev = run_dir_path(dir, "checkpoint.prev.pcnn");
    char *samples = run_dir_path(dir, "samples");
    pcnn_status st = h->dir && h->lock_path && ckpt && prev && samples ? PCNN_OK : PCNN_ERR_MEMORY;
    /* A resume of a directory without a run touches nothing. */
    if (!st && resume && !file_exists(ckpt) && !file_exists(prev))
        st = pcnn_fail(PCNN_ERR_ARG, "--resume %s: no checkpoint.pcnn in that directory", dir);
    if (!st && !resume)
        st = make_dirs_noting(h, dir);
    /* Everything below happens under the lock, so two starts cannot both see
     * an empty directory, and a second process touches nothing. */
    if (!st)
        st = take_lock(h, dir, flag);
    for (int i = 0; !st && i < N_RUN_FILES; i++) {
        char *path = run_dir_path(dir, run_files[i]);
        if (!path)
            st = PCNN_ERR_MEMORY;
        else if (access(path, F_OK) == 0)
            h->existed |= 1u << i;
        free(path);
    }
    if (!st && !resume && file_exists(ckpt))
        st = pcnn_fail(PCNN_ERR_ARG, "--run-dir %s already holds a run (checkpoint.pcnn): continue it with "
                       "--resume %s, or choose another --run-dir", dir, dir);
    if (!st && access(samples, F_OK) != 0) {
        st = make_dir(samples);
        h->made_samples = !st;
    }
    free(ckpt);
    free(prev);
    free(samples);
    if (st)
        run_dir_release(h, 1);
    return st;
}

void run_dir_release(run_dir_hold *h, int undo)
{
    if (undo && h->lock_fd >= 0) { /* only what this process did while it held the directory */
        for (int i = 0; i < N_RUN_FILES; i++) {
            char *path = h->existed & (1u << i) ? NULL : run_dir_path(h->dir, run_files[i]);
            if (path)
                unlink(path);
            free(path);
        }
        char *samples = h->made_samples ? run_dir_path(h->dir, "samples") : NULL;
        if (samples)
            rmdir(samples);
        free(samples);
        if (h->lock_fd >= 0 && h->created_lock)
            unlink(h->lock_path); /* while still holding it: see take_lock */
    }
    if (h->lock_fd >= 0)
        close(h->lock_fd);
    for (int i = h->n_made; i-- > 0;) {
        if (undo)
            rmdir(h->made[i]); /* only if empty: never what others put there */
        free(h->made[i]);
    }
    free(h->lock_path);
    free(h->dir);
    memset(h, 0, sizeof *h);
    h->lock_fd = -1;
}

/* Removes the temporaries in one directory: atomic_file's ("<name>.tmp.XXXXXX")
 * and the link made while keeping the previous checkpoint, never complete files. */
static void remove_temps_in(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d));) {
        if (strstr(e->d_name, ".tmp.") || strcmp(e->d_name, "checkpoint.prev.tmp") == 0) {
            char *path = run_dir_path(dir, e->d_name);
            if (path)
                remove(path);
            free(path);
        }
    }
    closedir(d);
}

void run_dir_remove_stale_temps(const char *dir)
{
    remove_temps_in(dir);
    char *samples = run_dir_path(dir, "samples"); /* a grid cut short by a kill */
    if (samples)
        remove_temps_in(samples);
    free(samples);
}

pcnn_status run_dir_write_text(const char *dir, const char *name, const char *text)
{
    char *path = run_dir_path(dir, name);
    if (!path)
        return PCNN_ERR_MEMORY;
    atomic_file af;
    pcnn_status st = atomic_file_open(&af, path);
    if (!st) {
        st = atomic_file_write(&af, text, strlen(text));
        st = st ? (atomic_file_abort(&af), st) : atomic_file_commit(&af);
    }
    free(path);
    return st;
}

static pcnn_status keep_row(train_log *log, const log_row *row)
{
    if (log->n == log->cap) {
        size_t cap = log->cap ? 2 * log->cap : 256;
        log_row *grown = realloc(log->rows, cap * sizeof *grown);
        if (!grown)
            return pcnn_fail(PCNN_ERR_MEMORY, "%s: out of memory", log->path);
        log->rows = grown;
        log->cap = cap;
    }
    log->rows[log->n++] = *row;
    return PCNN_OK;
}

/* Nine significant digits (a log, not a checkpoint); NaN is an empty field. */
static void format_value(char *buf, size_t size, double v)
{
    if (isnan(v))
        buf[0] = 0;
    else
        snprintf(buf, size, "%.9g", v);
}

static int format_row(char *buf, size_t size, const log_row *r)
{
    char v[5][32];
    format_value(v[0], sizeof v[0], r->seconds);
    format_value(v[1], sizeof v[1], r->train_bpd);
    format_value(v[2], sizeof v[2], r->test_bpd);
    format_value(v[3], sizeof v[3], r->lr);
    format_value(v[4], sizeof v[4], r->images_per_s);
    return snprintf(buf, size, "%ld,%s,%s,%s,%s,%s\n", r->step, v[0], v[1], v[2], v[3], v[4]);
}

static double parse_field(char **p)
{
    char *end, *s = *p;
    double v = strtod(s, &end);
    if (end == s)
        v = NAN;
    while (*end && *end != ',' && *end != '\n')
        end++;
    *p = *end == ',' ? end + 1 : end;
    return v;
}

/* Reads the rows of an existing log with step <= keep_upto. */
static pcnn_status read_rows(train_log *log, long keep_upto)
{
    unsigned char *bytes;
    size_t size;
    TRY(read_whole_file(log->path, &bytes, &size));
    char *line = (char *)bytes;
    pcnn_status st = PCNN_OK;
    if (strncmp(line, LOG_CSV_HEADER, strlen(LOG_CSV_HEADER)) != 0)
        st = pcnn_fail(PCNN_ERR_FORMAT, "%s: not a pcnn-cl training log (first line is not '%s')", log->path,
                       LOG_CSV_HEADER);
    for (line = strchr(line, '\n'); !st && line && line[1]; line = strchr(line, '\n')) {
        line++;
        if (!strchr(line, '\n'))
            break; /* a row cut short by a kill or a full disk mid-append */
        char *p = line;
        log_row r;
        r.step = (long)parse_field(&p);
        r.seconds = parse_field(&p);
        r.train_bpd = parse_field(&p);
        r.test_bpd = parse_field(&p);
        r.lr = parse_field(&p);
        r.images_per_s = parse_field(&p);
        if (r.step <= keep_upto && r.step >= 0)
            st = keep_row(log, &r);
    }
    free(bytes);
    return st;
}

/* Writes the header and the kept rows atomically, then opens the file for appending. */
static pcnn_status rewrite_log(train_log *log)
{
    if (log->f)
        fclose(log->f);
    log->f = NULL;
    atomic_file af;
    pcnn_status st = atomic_file_open(&af, log->path);
    if (!st) {
        st = atomic_file_write(&af, LOG_CSV_HEADER "\n", strlen(LOG_CSV_HEADER) + 1);
        for (size_t i = 0; !st && i < log->n; i++) {
            char line[256];
            int len = format_row(line, sizeof line, &log->rows[i]);
            st = atomic_file_write(&af, line, (size_t)len);
        }
        st = st ? (atomic_file_abort(&af), st) : atomic_file_commit(&af);
    }
    if (!st) {
        log->f = fopen(log->path, "a");
        if (!log->f)
            st = pcnn_fail(PCNN_ERR_IO, "%s: cannot open for appending: %s", log->path, strerror(errno));
    }
    return st;
}

pcnn_status train_log_open(train_log *log, const char *dir, long keep_upto)
{
    memset(log, 0, sizeof *log);
    log->path = run_dir_path(dir, "log.csv");
    if (!log->path)
        return PCNN_ERR_MEMORY;
    pcnn_status st = PCNN_OK;
    if (keep_upto >= 0 && file_exists(log->path))
        st = read_rows(log, keep_upto);
    if (!st)
        st = rewrite_log(log);
    if (st)
        train_log_close(log);
    return st;
}

pcnn_status train_log_set_test(train_log *log, long step, double test_bpd, double seconds)
{
    if (log->n && log->rows[log->n - 1].step == step) {
        log->rows[log->n - 1].test_bpd = test_bpd;
        return rewrite_log(log);
    }
    log_row r = {
        .step = step, .seconds = seconds, .train_bpd = NAN, .test_bpd = test_bpd, .lr = NAN, .images_per_s = NAN};
    return train_log_append(log, &r);
}

pcnn_status train_log_append(train_log *log, const log_row *row)
{
    char line[256];
    int len = format_row(line, sizeof line, row);
    if (fwrite(line, 1, (size_t)len, log->f) != (size_t)len || fflush(log->f) != 0)
        return pcnn_fail(PCNN_ERR_IO, "%s: write failed: %s", log->path, strerror(errno));
    return keep_row(log, row);
}

void train_log_close(train_log *log)
{
    if (log->f)
        fclose(log->f);
    free(log->path);
    free(log->rows);
    memset(log, 0, sizeof *log);
}
