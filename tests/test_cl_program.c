/* The OpenCL kernel programs: embedded sources equal cl/ on disk byte for byte
 * (so build-log line numbers are the file's), the compile cache (a second
 * start builds nothing; corrupt, truncated or foreign entries are rebuilt),
 * and a broken kernel source (through the kernel_dir option, PCNN_CL_DIR) fails with an error naming
 * the device, the file and the build log's line. Each test uses its own
 * XDG_CACHE_HOME, so nothing comes from the user's cache. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io_file.h"
#include "opencl/cl_backend.h"
#include "opencl/cl_sources.h"
#include "test_util.h"

#ifndef PCNN_CL_SOURCE_DIR
#error "PCNN_CL_SOURCE_DIR must point at cl/"
#endif

enum { N_PROGRAMS = 6 };

/* The device options every start uses: a fresh cache directory per test
 * (dir/pcnn-cl, as the CLI makes of XDG_CACHE_HOME), a kernel directory
 * where a test sets one. */
static pcnn_device_opts cl_opts;
static char cache_dir[4200];

static char *fresh_cache(void)
{
    char *dir = test_tmpdir();
    snprintf(cache_dir, sizeof cache_dir, "%s/pcnn-cl", dir);
    cl_opts = pcnn_device_opts_default();
    cl_opts.cache_dir = cache_dir;
    return dir;
}

/* The backend works: fill a buffer and read it back. */
static void check_works(backend *be)
{
    bbuf *b = be->ops->alloc(be, 10 * sizeof(float), "check");
    assert_non_null(b);
    assert_int_equal(be->ops->fill(be, (bview){b, 3}, 7, 2.5f), PCNN_OK);
    float got[10];
    assert_int_equal(be->ops->read(be, b, 0, got, sizeof got), PCNN_OK);
    for (int i = 0; i < 10; i++)
        assert_true(got[i] == (i < 3 ? 0.0f : 2.5f));
    be->ops->release(be, b);
}

static void start(int *built, int *cached)
{
    backend *be = backend_cl_create(0, &cl_opts);
    if (!be)
        fail_msg("%s", pcnn_last_error());
    backend_cl_program_counts(be, built, cached);
    check_works(be);
    be->ops->destroy(be);
    print_message("  start: %d programs built, %d loaded from the cache\n", *built, *cached);
}

/* Paths of the cache entries (at most 16). */
static int entries(const char *cache, char paths[16][4300])
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/pcnn-cl", cache);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) && n < 16;)
        if (strstr(e->d_name, ".clbin"))
            snprintf(paths[n++], 4300, "%s/%s", dir, e->d_name);
    closedir(d);
    return n;
}

static void test_embedded_sources_equal_files(void **state)
{
    (void)state;
    assert_int_equal(cl_source_count, N_PROGRAMS);
    for (int i = 0; i < cl_source_count; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", PCNN_CL_SOURCE_DIR, cl_sources[i].name);
        unsigned char *disk;
        size_t n;
        assert_int_equal(read_whole_file(path, &disk, &n), PCNN_OK);
        print_message("  %s: %zu bytes embedded, %zu on disk\n", cl_sources[i].name, cl_sources[i].len, n);
        assert_int_equal(n, cl_sources[i].len);
        assert_memory_equal(disk, cl_sources[i].text, n);
        free(disk);
    }
}

static void test_second_start_builds_nothing(void **state)
{
    (void)state;
    char *cache = fresh_cache();
    int built, cached;
    start(&built, &cached);
    assert_int_equal(built, N_PROGRAMS);
    assert_int_equal(cached, 0);
    start(&built, &cached);
    assert_int_equal(built, 0);
    assert_int_equal(cached, N_PROGRAMS);
    test_rmtree(cache);
    free(cache);
}

static void test_bad_entries_are_rebuilt(void **state)
{
    (void)state;
    char *cache = fresh_cache();
    int built, cached;
    start(&built, &cached);
    char paths[16][4300];
    assert_int_equal(entries(cache, paths), N_PROGRAMS);
    unsigned char *bytes[N_PROGRAMS];
    size_t size[N_PROGRAMS];
    for (int i = 0; i < N_PROGRAMS; i++)
        assert_int_equal(read_whole_file(paths[i], &bytes[i], &size[i]), PCNN_OK);
    /* 0: a flipped byte in the binary; 1: truncated; 2: another entry's bytes
     * (a foreign key); 3: garbage of the right length. */
    bytes[0][size[0] / 2] ^= 0x40;
    FILE *f = fopen(paths[0], "wb");
    fwrite(bytes[0], 1, size[0], f);
    fclose(f);
    f = fopen(paths[1], "wb");
    fwrite(bytes[1], 1, size[1] / 3, f);
    fclose(f);
    f = fopen(paths[2], "wb");
    fwrite(bytes[3], 1, size[3], f);
    fclose(f);
    memset(bytes[3], 0x5a, size[3]);
    f = fopen(paths[3], "wb");
    fwrite(bytes[3], 1, size[3], f);
    fclose(f);
    /* The four broken entries are rebuilt, any others still load. */
    start(&built, &cached);
    assert_int_equal(built, 4);
    assert_int_equal(cached, N_PROGRAMS - 4);
    /* ... and the rebuilt entries were written back. */
    start(&built, &cached);
    assert_int_equal(built, 0);
    assert_int_equal(cached, N_PROGRAMS);
    for (int i = 0; i < N_PROGRAMS; i++)
        free(bytes[i]);
    test_rmtree(cache);
    free(cache);
}

/* Issue 14 §9: a cache entry that is a FIFO or a link to /dev/zero is not
 * read (one would block in open, the other be read until memory ran out):
 * both programs are built again, the FIFO stays a FIFO, and the link stays.
 * Under an alarm, so a regression fails instead of hanging. */
static void test_special_entries_are_not_read(void **state)
{
    (void)state;
    char *cache = fresh_cache();
    int built, cached;
    start(&built, &cached);
    char paths[16][4300];
    assert_int_equal(entries(cache, paths), N_PROGRAMS);
    assert_int_equal(unlink(paths[0]), 0);
    assert_int_equal(mkfifo(paths[0], 0666), 0);
    assert_int_equal(unlink(paths[1]), 0);
    assert_int_equal(symlink("/dev/zero", paths[1]), 0);
    alarm(120);
    start(&built, &cached);
    alarm(0);
    assert_int_equal(built, 2);
    assert_int_equal(cached, N_PROGRAMS - 2);
    struct stat st;
    assert_int_equal(lstat(paths[0], &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    assert_int_equal(lstat(paths[1], &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    test_rmtree(cache);
    free(cache);
}

/* Copies cl/ into dir, breaking line `line` of softmax.cl. */
static void broken_copy(const char *dir, int line)
{
    for (int i = 0; i < cl_source_count; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, cl_sources[i].name);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        int at = 1;
        for (const char *s = cl_sources[i].text; *s; s++) {
            int line_start = s == cl_sources[i].text || s[-1] == '\n';
            if (strcmp(cl_sources[i].name, "softmax.cl") == 0 && at == line && line_start)
                fputs("this is not OpenCL C; ", f);
            fputc(*s, f);
            at += *s == '\n';
        }
        fclose(f);
    }
}

static void test_broken_kernel_reports_build_log(void **state)
{
    (void)state;
    char *cache = fresh_cache(), *src = test_tmpdir();
    broken_copy(src, 20);
    cl_opts.kernel_dir = src;
    backend *be = backend_cl_create(0, &cl_opts);
    cl_opts.kernel_dir = NULL;
    const char *msg = pcnn_last_error();
    print_message("  error: %.300s...\n", msg);
    assert_null(be);
    pcnn_device_info info;
    backend_cl_describe(0, &info);
    char file[4300];
    snprintf(file, sizeof file, "%s/softmax.cl", src);
    assert_non_null(strstr(msg, "kernel build failed"));
    assert_non_null(strstr(msg, info.name));
    assert_non_null(strstr(msg, file));
    assert_non_null(strstr(msg, ":20:")); /* the build log points at the broken line */
    /* An intact copy in PCNN_CL_DIR builds and runs. */
    broken_copy(src, -1);
    cl_opts.kernel_dir = src;
    int built, cached;
    start(&built, &cached);
    cl_opts.kernel_dir = NULL;
    assert_int_equal(built + cached, N_PROGRAMS);
    test_rmtree(src);
    test_rmtree(cache);
    free(src);
    free(cache);
}

/* test_cl_program: the embedded sources (no device needed);
 * test_cl_program_device (`test_cl_program device`): the compile cache and
 * build logs on the first OpenCL device, skipped (77) without one. */
int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "device") == 0) {
        const char *why = NULL;
        if (backend_cl_device_count(&why) == 0) {
            printf("OpenCL programs: no OpenCL device (%s): skipped\n", why ? why : "none found");
            return TEST_SKIPPED;
        }
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_second_start_builds_nothing),
            cmocka_unit_test(test_bad_entries_are_rebuilt),
            cmocka_unit_test(test_special_entries_are_not_read),
            cmocka_unit_test(test_broken_kernel_reports_build_log),
        };
        return cmocka_run_group_tests_name("OpenCL programs and compile cache", tests, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_embedded_sources_equal_files),
    };
    return cmocka_run_group_tests_name("OpenCL kernel sources embedded", tests, NULL, NULL);
}
