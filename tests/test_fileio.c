/* The atomic writer when the file system says no: a file-size limit (EFBIG,
 * as a full disk gives ENOSPC), a parent that is a regular file (ENOTDIR) and
 * a directory where the file must go (EISDIR). Each failure must name the
 * file and the reason, leave no temporary file, and keep the old file. */
#define _GNU_SOURCE /* strerror, setrlimit */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "io/io_atomic_dir.h"
#include "io/io_file.h"
#include "test_util.h"

static const char old_text[] = "the old contents\n";

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void assert_file_holds(const char *path, const char *text)
{
    unsigned char *bytes;
    size_t size;
    assert_int_equal(read_whole_file(path, &bytes, &size), PCNN_OK);
    assert_string_equal((char *)bytes, text);
    free(bytes);
}

/* No "<name>.tmp.XXXXXX" left in dir. */
static void assert_no_temp_files(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));)
        if (strstr(e->d_name, ".tmp.")) {
            print_error("temporary file left behind: %s/%s\n", dir, e->d_name);
            fail();
        }
    closedir(d);
}

/* The message names the file and says why, in one line. */
static void assert_message(const char *path, int err)
{
    const char *msg = pcnn_last_error();
    printf("  refused: %s\n", msg);
    assert_non_null(strstr(msg, path));
    assert_non_null(strstr(msg, strerror(err)));
    assert_null(strchr(msg, '\n'));
}

/* Writes n bytes atomically over path; returns the first failing status. */
static pcnn_status write_atomically(const char *path, size_t n)
{
    char *bytes = calloc(n, 1);
    assert_non_null(bytes);
    atomic_file af;
    pcnn_status st = atomic_file_open(&af, path);
    if (!st) {
        st = atomic_file_write(&af, bytes, n);
        st = st ? (atomic_file_abort(&af), st) : atomic_file_commit(&af);
    }
    free(bytes);
    return st;
}

static void test_file_size_limit(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/big.bin", dir);
    write_file(path, old_text);
    /* Lower the soft limit only, so it can be put back; SIGXFSZ ignored as
     * pcnn-cl's main() does, so write() returns EFBIG instead. */
    struct rlimit was, low;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &was), 0);
    low = was;
    low.rlim_cur = 64 << 10;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &low), 0);
    pcnn_status st = write_atomically(path, 256 << 10); /* more than stdio buffers: fails in write or commit */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &was), 0);
    signal(SIGXFSZ, old_handler);
    assert_int_equal(st, PCNN_ERR_IO);
    assert_message(path, EFBIG);
    assert_no_temp_files(dir);
    assert_file_holds(path, old_text);
    test_rmtree(dir);
    free(dir);
}

static void test_parent_is_a_file(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), file[512], path[600];
    snprintf(file, sizeof file, "%s/plain", dir);
    write_file(file, old_text);
    snprintf(path, sizeof path, "%s/x.bin", file);
    assert_int_equal(write_atomically(path, 16), PCNN_ERR_IO);
    assert_message(path, ENOTDIR);
    assert_file_holds(file, old_text);
    test_rmtree(dir);
    free(dir);
}

static void test_directory_in_the_way(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/target", dir);
    assert_int_equal(mkdir(path, 0777), 0);
    assert_int_equal(write_atomically(path, 16), PCNN_ERR_IO);
    assert_message(path, EISDIR);
    assert_no_temp_files(dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    test_rmtree(dir);
    free(dir);
}

/* Two files that must appear together (sample's grid.png and grid.npy): the
 * second rename fails (a directory where the second file goes), so the first,
 * already renamed, must get its old contents back; nothing temporary stays. */
static void test_pair_second_rename_fails(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), a[512], b[512];
    snprintf(a, sizeof a, "%s/grid.png", dir);
    snprintf(b, sizeof b, "%s/grid.npy", dir);
    write_file(a, old_text);
    atomic_file af[2];
    assert_int_equal(atomic_file_open(&af[0], a), PCNN_OK);
    assert_int_equal(atomic_file_open(&af[1], b), PCNN_OK);
    assert_int_equal(atomic_file_write(&af[0], "new png\n", 8), PCNN_OK);
    assert_int_equal(atomic_file_write(&af[1], "new npy\n", 8), PCNN_OK);
    assert_int_equal(mkdir(b, 0777), 0);
    assert_int_equal(atomic_files_commit(af, 2), PCNN_ERR_IO);
    assert_message(b, EISDIR);
    assert_file_holds(a, old_text);
    assert_no_temp_files(dir);
    /* Both renames succeed: both new. */
    assert_int_equal(rmdir(b), 0);
    write_file(b, old_text);
    assert_int_equal(atomic_file_open(&af[0], a), PCNN_OK);
    assert_int_equal(atomic_file_open(&af[1], b), PCNN_OK);
    assert_int_equal(atomic_file_write(&af[0], "new png\n", 8), PCNN_OK);
    assert_int_equal(atomic_file_write(&af[1], "new npy\n", 8), PCNN_OK);
    assert_int_equal(atomic_files_commit(af, 2), PCNN_OK);
    assert_file_holds(a, "new png\n");
    assert_file_holds(b, "new npy\n");
    assert_no_temp_files(dir);
    test_rmtree(dir);
    free(dir);
}

/* A directory written all or nothing: abort leaves the old one and no
 * temporary directory; commit replaces the old one whole (no old file
 * survives in it); a new name is created. */
static void test_atomic_dir(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), target[512], file[600];
    snprintf(target, sizeof target, "%s/w", dir);
    assert_int_equal(mkdir(target, 0777), 0);
    snprintf(file, sizeof file, "%s/old.npy", target);
    write_file(file, old_text);
    atomic_dir ad;
    assert_int_equal(atomic_dir_open(&ad, target), PCNN_OK);
    snprintf(file, sizeof file, "%s/new.npy", ad.tmp_path);
    write_file(file, "new\n");
    atomic_dir_abort(&ad);
    assert_no_temp_files(dir);
    snprintf(file, sizeof file, "%s/old.npy", target);
    assert_file_holds(file, old_text);

    assert_int_equal(atomic_dir_open(&ad, target), PCNN_OK);
    snprintf(file, sizeof file, "%s/new.npy", ad.tmp_path);
    write_file(file, "new\n");
    assert_int_equal(atomic_dir_commit(&ad), PCNN_OK);
    assert_no_temp_files(dir);
    snprintf(file, sizeof file, "%s/new.npy", target);
    assert_file_holds(file, "new\n");
    snprintf(file, sizeof file, "%s/old.npy", target);
    assert_false(file_exists(file));

    snprintf(target, sizeof target, "%s/fresh/", dir); /* a trailing slash, a new name */
    assert_int_equal(atomic_dir_open(&ad, target), PCNN_OK);
    assert_int_equal(atomic_dir_commit(&ad), PCNN_OK);
    struct stat st;
    snprintf(target, sizeof target, "%s/fresh", dir);
    assert_int_equal(stat(target, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_no_temp_files(dir);
    test_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_size_limit),      cmocka_unit_test(test_parent_is_a_file),
        cmocka_unit_test(test_directory_in_the_way), cmocka_unit_test(test_pair_second_rename_fails),
        cmocka_unit_test(test_atomic_dir),
    };
    return cmocka_run_group_tests_name("atomic writes that fail", tests, NULL, NULL);
}
