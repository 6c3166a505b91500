/* File helpers shared by every format: read a whole file, and write one
 * atomically (temp file in the same directory, fsync, rename, fsync of the
 * directory) so a crash never leaves a half-written file under the final name. */
#ifndef PCNN_FILEIO_H
#define PCNN_FILEIO_H

#include <stddef.h>
#include <stdio.h>

#include "pcnn/error.h"

struct stat;

/* Opens `path` for reading only if it is a regular file: opened with
 * O_NONBLOCK (a FIFO never blocks the open), then fstat'ed; a directory, FIFO,
 * device or socket is refused in one line ("is not a regular file"). *fd is
 * then a blocking descriptor, *st its stat (st_size caps what is read). */
pcnn_status io_open_regular(const char *path, int *fd, struct stat *st);

/* Reads all of `path` into a malloc'd buffer (NUL-terminated for text use):
 * a regular file only (io_open_regular), at most the st_size it had when opened. */
pcnn_status read_whole_file(const char *path, unsigned char **bytes, size_t *size);

typedef struct {
    FILE *f;
    char *path;     /* the file written: `path`, or the file its symlink names */
    char *tmp_path; /* where the bytes go until commit (NULL: written in place) */
    int direct;     /* a device or FIFO: written in place, never replaced */
    int temp_slot;  /* its entry for atomic_file_remove_temps */
} atomic_file;

/* A symlink is resolved first (its final target, also when that does not
 * exist yet), so the temp file sits beside the target, the rename replaces
 * the target and the link stays. A target that is a device or a FIFO is
 * written in place (no temp, no rename: never replaced; a FIFO needs a reader,
 * else one line); a socket is refused in one line. */
pcnn_status atomic_file_open(atomic_file *af, const char *path);
/* Writes n bytes; on failure names the file (disk full shows here or at commit). */
pcnn_status atomic_file_write(atomic_file *af, const void *data, size_t n);
/* Flushes, fsyncs and renames over the final name; on failure the temp file is
 * removed and whatever was under the final name is untouched. */
pcnn_status atomic_file_commit(atomic_file *af);
/* Drops the temp file (after a failed write). Safe to call twice. */
void atomic_file_abort(atomic_file *af);

/* Several files that appear together or not at all (sample's grid.png and
 * grid.npy): each written in full to its temp file, then every temp file is
 * flushed, fsynced and closed before the first rename. If a flush or a rename
 * fails, every temp file is removed and the final names that were already
 * renamed get their old files back (kept as hard links until the end), so on
 * failure none of the n names changes. A crash between two renames (a window
 * of microseconds) can still leave the new first file beside the old second.
 * A file with no temp (written in place) is only flushed. */
pcnn_status atomic_files_commit(atomic_file *afs, int n);

/* Unlinks the temp file of every atomic_file now open. Async-signal-safe: for
 * the program's SIGINT/SIGTERM handler before it exits (the library installs
 * no handler). */
void atomic_file_remove_temps(void);

/* The file a write to `path` lands on: the final target of a symlink (chains
 * and dangling links followed, relative ones from the link's directory), else
 * path. *in_place is set when the chain reaches a file descriptor's name
 * (/dev/stdout -> /proc/self/fd/1, /dev/fd/N): that is opened and written as
 * it is. malloc'd; NULL when out of memory. */
char *io_write_target(const char *path, int *in_place);

/* Copies a regular file to `to`, atomically. */
pcnn_status io_copy_file(const char *from, const char *to);

/* Whether `path` can be written (atomically, as above) before any work is
 * done: its directory exists, is a directory and is writable, and path is
 * not itself a directory. Fails with PCNN_ERR_ARG (a wrong command-line
 * value), the message starting with `flag` and the path. With is_dir, path
 * is a directory to write into (created if missing): it must be one if it
 * exists, else its parent must be writable. */
pcnn_status output_check(const char *path, const char *flag, int is_dir);

/* 1 if path names an existing regular file. */
int file_exists(const char *path);

/* Creates a directory if it does not exist (one level). */
pcnn_status make_dir(const char *path);
/* The same with every missing parent (mkdir -p). */
pcnn_status make_dirs(const char *path);

#endif
