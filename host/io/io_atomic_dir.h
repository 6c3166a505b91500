/* A directory of files written all or nothing: the files go into a temporary
 * directory beside the target ("<dir>.tmp.XXXXXX"), which is fsynced and then
 * renamed into place. An existing target is replaced only once the new
 * directory is complete: both are swapped in one step (renameat2's
 * RENAME_EXCHANGE; where the file system lacks it, the old one is renamed
 * aside first and back on failure), then the old one is removed. At every
 * instant the target's name holds the old directory or the new one, never a
 * mix. An existing target is resolved first (realpath): a symlink to a
 * directory keeps being the symlink, its directory is the one replaced, and
 * "." or "w/.." name the directory they mean. */
#ifndef PCNN_IO_ATOMIC_DIR_H
#define PCNN_IO_ATOMIC_DIR_H

#include "pcnn/error.h"

typedef struct {
    char *path;     /* final name (the directory a symlink points to) */
    char *tmp_path; /* the directory being filled */
} atomic_dir;

/* Creates the temporary directory (mode 0777 & ~umask). */
pcnn_status atomic_dir_open(atomic_dir *ad, const char *path);
/* fsyncs every file and the directory, swaps it into place, removes the old one. */
pcnn_status atomic_dir_commit(atomic_dir *ad);
/* Removes the temporary directory and the files in it (after a failure or an
 * interruption). Safe to call twice, and after a commit. */
void atomic_dir_abort(atomic_dir *ad);

/* Removes a directory holding only plain files (one level), as atomic_dir
 * leaves an old or unfinished one. Best effort. */
void atomic_dir_remove(const char *path);

#endif
