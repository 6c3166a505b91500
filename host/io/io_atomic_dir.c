/* Directories written all or nothing: see io_atomic_dir.h. */
#include "io/io_atomic_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void atomic_dir_remove(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        char file[PATH_MAX];
        for (struct dirent *e; (e = readdir(d));) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(file, sizeof file, "%s/%s", path, e->d_name);
            unlink(file);
        }
        closedir(d);
    }
    rmdir(path);
}

static void fsync_path(const char *path, int flags)
{
    int fd = open(path, O_RDONLY | flags);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static void fsync_parent(const char *path)
{
    char *copy = strdup(path);
    if (copy)
        fsync_path(dirname(copy), O_DIRECTORY);
    free(copy);
}

pcnn_status atomic_dir_open(atomic_dir *ad, const char *path)
{
    ad->path = ad->tmp_path = NULL;
    char *name = strdup(path);
    if (!name)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
    for (size_t n = strlen(name); n > 1 && name[n - 1] == '/'; n--) /* "w/" is w */
        name[n - 1] = 0;
    struct stat st;
    if (lstat(name, &st) == 0) { /* a symlink: replace what it points to; ".": the directory itself */
        char *real = realpath(name, NULL);
        if (real) {
            free(name);
            name = real;
        }
    }
    size_t len = strlen(name) + 16;
    ad->tmp_path = malloc(len);
    if (!ad->tmp_path) {
        free(name);
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
    }
    snprintf(ad->tmp_path, len, "%s.tmp.XXXXXX", name);
    ad->path = name;
    if (!mkdtemp(ad->tmp_path)) {
        pcnn_status s =
            pcnn_fail(PCNN_ERR_IO, "%s: cannot create a temporary directory beside it: %s", name, strerror(errno));
        free(ad->tmp_path);
        ad->tmp_path = NULL;
        atomic_dir_abort(ad);
        return s;
    }
    mode_t mask = umask(0); /* mkdtemp makes it 0700: give it what mkdir would */
    umask(mask);
    chmod(ad->tmp_path, 0777 & ~mask);
    return PCNN_OK;
}

/* Every file in the temporary directory, then the directory itself. */
static void fsync_all(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        char file[PATH_MAX];
        for (struct dirent *e; (e = readdir(d));) {
            if (e->d_name[0] == '.')
                continue;
            snprintf(file, sizeof file, "%s/%s", dir, e->d_name);
            fsync_path(file, 0);
        }
        closedir(d);
    }
    fsync_path(dir, O_DIRECTORY);
}

/* The target exists: swap it with the new directory, or rename it aside. On
 * success *old names where the old directory now is (to be removed). */
static pcnn_status replace(atomic_dir *ad, char **old)
{
    if (renameat2(AT_FDCWD, ad->tmp_path, AT_FDCWD, ad->path, RENAME_EXCHANGE) == 0) {
        *old = ad->tmp_path; /* the old directory now has the temporary name */
        ad->tmp_path = NULL;
        return PCNN_OK;
    }
    if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
        return pcnn_fail(PCNN_ERR_IO, "%s: cannot replace it with the new directory: %s", ad->path, strerror(errno));
    size_t len = strlen(ad->path) + 16;
    char *aside = malloc(len);
    if (!aside)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
    snprintf(aside, len, "%s.tmp.XXXXXX", ad->path);
    /* An empty directory of a fresh name, which rename(2) may replace. */
    if (!mkdtemp(aside) || rename(ad->path, aside) != 0) {
        pcnn_status s =
            pcnn_fail(PCNN_ERR_IO, "%s: cannot move the old directory aside: %s", ad->path, strerror(errno));
        rmdir(aside);
        free(aside);
        return s;
    }
    if (rename(ad->tmp_path, ad->path) != 0) {
        pcnn_status s =
            pcnn_fail(PCNN_ERR_IO, "%s: cannot rename the new directory into place: %s", ad->path, strerror(errno));
        rename(aside, ad->path); /* the old one back */
        free(aside);
        return s;
    }
    free(ad->tmp_path);
    ad->tmp_path = NULL;
    *old = aside;
    return PCNN_OK;
}

pcnn_status atomic_dir_commit(atomic_dir *ad)
{
    fsync_all(ad->tmp_path);
    struct stat st;
    char *old = NULL;
    pcnn_status s = PCNN_OK;
    if (lstat(ad->path, &st) == 0) {
        s = S_ISDIR(st.st_mode) ? replace(ad, &old)
                                : pcnn_fail(PCNN_ERR_IO, "%s: exists and is not a directory", ad->path);
    } else if (rename(ad->tmp_path, ad->path) != 0) {
        s = pcnn_fail(PCNN_ERR_IO, "%s: cannot rename the new directory into place: %s", ad->path, strerror(errno));
    } else {
        free(ad->tmp_path);
        ad->tmp_path = NULL;
    }
    if (!s)
        fsync_parent(ad->path);
    if (old) {
        atomic_dir_remove(old);
        free(old);
    }
    atomic_dir_abort(ad);
    return s;
}

void atomic_dir_abort(atomic_dir *ad)
{
    if (ad->tmp_path)
        atomic_dir_remove(ad->tmp_path);
    free(ad->tmp_path);
    free(ad->path);
    ad->path = ad->tmp_path = NULL;
}
