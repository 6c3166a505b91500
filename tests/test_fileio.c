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
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* Issue 14 §2: outputs that are not regular files are never replaced. */

static void write_text_atomically(const char *path, const char *text, pcnn_status want)
{
    atomic_file af;
    pcnn_status st = atomic_file_open(&af, path);
    if (!st) {
        st = atomic_file_write(&af, text, strlen(text));
        st = st ? (atomic_file_abort(&af), st) : atomic_file_commit(&af);
    }
    if (st)
        printf("  refused: %s\n", pcnn_last_error());
    assert_int_equal(st, want);
}

static void assert_is_link_to(const char *link, const char *want)
{
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    char got[600];
    ssize_t n = readlink(link, got, sizeof got - 1);
    assert_true(n > 0);
    got[n] = 0;
    assert_string_equal(got, want);
}

static void test_symlink_target_is_updated(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), path[600], other[600], link[600], chain[600], dangling[600];
    snprintf(other, sizeof other, "%s/elsewhere", dir);
    assert_int_equal(mkdir(other, 0777), 0);
    snprintf(path, sizeof path, "%s/elsewhere/real.txt", dir);
    write_file(path, old_text);
    chmod(path, 0640);
    snprintf(link, sizeof link, "%s/link.txt", dir);
    assert_int_equal(symlink("elsewhere/real.txt", link), 0); /* relative to the link's directory */
    snprintf(chain, sizeof chain, "%s/chain.txt", dir);
    assert_int_equal(symlink("link.txt", chain), 0);
    write_text_atomically(link, "new through the link\n", PCNN_OK);
    assert_is_link_to(link, "elsewhere/real.txt");
    assert_file_holds(path, "new through the link\n");
    write_text_atomically(chain, "new through the chain\n", PCNN_OK);
    assert_is_link_to(chain, "link.txt");
    assert_is_link_to(link, "elsewhere/real.txt");
    assert_file_holds(path, "new through the chain\n");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640); /* the replaced file's mode is kept */
    /* A dangling link: its target is created, the link stays. */
    snprintf(dangling, sizeof dangling, "%s/dangling.txt", dir);
    assert_int_equal(symlink("elsewhere/new.txt", dangling), 0);
    write_text_atomically(dangling, "created\n", PCNN_OK);
    assert_is_link_to(dangling, "elsewhere/new.txt");
    snprintf(path, sizeof path, "%s/elsewhere/new.txt", dir);
    assert_file_holds(path, "created\n");
    assert_no_temp_files(dir);
    assert_no_temp_files(other);
    test_rmtree(dir);
    free(dir);
}

/* A FIFO with a reader gets the bytes and stays a FIFO; with no reader it is
 * refused in one line at once (run in a child under an alarm: a regression
 * that blocks in open fails instead of hanging). */
static void test_fifo_is_written_in_place(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), fifo[600];
    snprintf(fifo, sizeof fifo, "%s/out.fifo", dir);
    assert_int_equal(mkfifo(fifo, 0666), 0);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t reader = fork();
    assert_true(reader >= 0);
    if (reader == 0) { /* copies what arrives through the FIFO into the pipe */
        alarm(20);
        close(fds[0]);
        int fd = open(fifo, O_RDONLY);
        char buf[256];
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0)
            if (write(fds[1], buf, (size_t)n) != n)
                _exit(1);
        _exit(0);
    }
    close(fds[1]);
    pid_t writer = fork();
    assert_true(writer >= 0);
    if (writer == 0) {
        alarm(20);
        for (int i = 0; i < 200; i++) { /* until the reader has opened its end */
            atomic_file af;
            if (atomic_file_open(&af, fifo) == PCNN_OK)
                _exit(atomic_file_write(&af, "through the fifo\n", 17) || atomic_file_commit(&af));
            usleep(20000);
        }
        _exit(2);
    }
    int status;
    assert_int_equal(waitpid(writer, &status, 0), writer);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char got[64] = {0};
    ssize_t n = read(fds[0], got, sizeof got - 1);
    assert_int_equal(n, 17);
    assert_string_equal(got, "through the fifo\n");
    close(fds[0]);
    assert_int_equal(waitpid(reader, &status, 0), reader);
    struct stat st;
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    /* No reader now. */
    pid_t lone = fork();
    assert_true(lone >= 0);
    if (lone == 0) {
        alarm(10);
        atomic_file af;
        pcnn_status s = atomic_file_open(&af, fifo);
        printf("  no reader: %s\n", pcnn_last_error());
        fflush(stdout);
        _exit(s == PCNN_ERR_IO && strstr(pcnn_last_error(), "no reader") ? 0 : 1);
    }
    assert_int_equal(waitpid(lone, &status, 0), lone);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    assert_no_temp_files(dir);
    test_rmtree(dir);
    free(dir);
}

/* A character device (a null device made here when allowed, else /dev/null
 * itself, which a non-root process cannot replace anyway) is written in
 * place; a socket is refused; /dev/stdout reaches the descriptor. */
static void test_devices_and_sockets_are_never_replaced(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), dev[600], sock[600];
    snprintf(dev, sizeof dev, "%s/null", dir);
    if (mknod(dev, S_IFCHR | 0666, makedev(1, 3)) != 0)
        snprintf(dev, sizeof dev, "/dev/null");
    write_text_atomically(dev, "into the device\n", PCNN_OK);
    struct stat st;
    assert_int_equal(lstat(dev, &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    snprintf(sock, sizeof sock, "%s/s.sock", dir);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(sock) < sizeof addr.sun_path)
        memcpy(addr.sun_path, sock, strlen(sock) + 1);
    if (fd >= 0 && addr.sun_path[0] && bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0) {
        write_text_atomically(sock, "x\n", PCNN_ERR_IO);
        assert_non_null(strstr(pcnn_last_error(), "is a socket"));
        assert_int_equal(lstat(sock, &st), 0);
        assert_true(S_ISSOCK(st.st_mode));
    }
    if (fd >= 0)
        close(fd);
    /* A link to /proc/self/fd/1 (what /dev/stdout is; a copy here, so a
     * regression replaces nothing in /dev) when stdout is a pipe: the bytes
     * come out of the pipe and the link stays. */
    char out[600];
    snprintf(out, sizeof out, "%s/stdout", dir);
    assert_int_equal(symlink("/proc/self/fd/1", out), 0);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        alarm(10);
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        atomic_file af;
        _exit(atomic_file_open(&af, out) || atomic_file_write(&af, "to stdout\n", 10) || atomic_file_commit(&af));
    }
    close(fds[1]);
    char got[32] = {0};
    assert_int_equal(read(fds[0], got, sizeof got - 1), 10);
    assert_string_equal(got, "to stdout\n");
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_is_link_to(out, "/proc/self/fd/1");
    assert_no_temp_files(dir);
    test_rmtree(dir);
    free(dir);
}

/* Issue 14 §9: a FIFO or /dev/zero given as an input is refused at once in
 * one line; nothing is read past the size the file had when opened. Each read
 * runs in a child under an alarm and a 256 MiB address-space limit, so a
 * regression fails instead of hanging or eating memory. */
static void refused_in_child(const char *path)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(10);
        struct rlimit as = {256 << 20, 256 << 20};
        setrlimit(RLIMIT_AS, &as);
        unsigned char *bytes;
        size_t size;
        pcnn_status st = read_whole_file(path, &bytes, &size);
        printf("  %s: %s\n", path, st ? pcnn_last_error() : "read");
        fflush(stdout);
        _exit(st == PCNN_ERR_IO && strstr(pcnn_last_error(), "is not a regular file") &&
                      !strchr(pcnn_last_error(), '\n')
                  ? 0
                  : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status))
        print_error("%s: the reader was killed by signal %d\n", path, WTERMSIG(status));
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_special_inputs_are_refused(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), fifo[600], link[600];
    snprintf(fifo, sizeof fifo, "%s/in.fifo", dir);
    assert_int_equal(mkfifo(fifo, 0666), 0);
    refused_in_child(fifo);
    refused_in_child("/dev/zero");
    snprintf(link, sizeof link, "%s/zero.npy", dir); /* a link to one: the same */
    assert_int_equal(symlink("/dev/zero", link), 0);
    refused_in_child(link);
    /* A writer holding the FIFO open changes nothing. */
    int keep = open(fifo, O_RDWR);
    assert_true(keep >= 0);
    refused_in_child(fifo);
    close(keep);
    test_rmtree(dir);
    free(dir);
}

/* Issue 14 §8: what the program's signal handler calls before it exits: the
 * temp files of the writes in progress go, finished files stay. */
static void test_remove_temps_of_open_writes(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), a[600], b[600], done[600];
    snprintf(a, sizeof a, "%s/a.bin", dir);
    snprintf(b, sizeof b, "%s/b.bin", dir);
    snprintf(done, sizeof done, "%s/done.txt", dir);
    write_text_atomically(done, "finished\n", PCNN_OK);
    atomic_file fa, fb;
    assert_int_equal(atomic_file_open(&fa, a), PCNN_OK);
    assert_int_equal(atomic_file_open(&fb, b), PCNN_OK);
    assert_int_equal(atomic_file_write(&fa, "x", 1), PCNN_OK);
    assert_int_equal(access(fa.tmp_path, F_OK), 0);
    atomic_file_remove_temps();
    assert_int_not_equal(access(fa.tmp_path, F_OK), 0);
    assert_int_not_equal(access(fb.tmp_path, F_OK), 0);
    atomic_file_abort(&fa);
    atomic_file_abort(&fb);
    assert_no_temp_files(dir);
    assert_int_not_equal(access(a, F_OK), 0);
    assert_file_holds(done, "finished\n");
    atomic_file_remove_temps(); /* nothing open: nothing happens */
    assert_file_holds(done, "finished\n");
    test_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_size_limit),
        cmocka_unit_test(test_parent_is_a_file),
        cmocka_unit_test(test_directory_in_the_way),
        cmocka_unit_test(test_symlink_target_is_updated),
        cmocka_unit_test(test_fifo_is_written_in_place),
        cmocka_unit_test(test_devices_and_sockets_are_never_replaced),
        cmocka_unit_test(test_special_inputs_are_refused),
        cmocka_unit_test(test_remove_temps_of_open_writes),
        cmocka_unit_test(test_pair_second_rename_fails),
        cmocka_unit_test(test_atomic_dir),
    };
    return cmocka_run_group_tests_name("atomic writes that fail, special outputs and inputs", tests, NULL, NULL);
}
