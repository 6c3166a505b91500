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

/* Strips comments: what a kernel's code says, not its prose. */
static char *strip_comments(const char *src, size_t n)
{
    char *out = malloc(n + 1), *o = out;
    for (size_t i = 0; i < n;) {
        if (src[i] == '/' && i + 1 < n && src[i + 1] == '*') {
            for (i += 2; i + 1 < n && !(src[i] == '*' && src[i + 1] == '/'); i++)
                if (src[i] == '\n')
                    *o++ = '\n'; /* keep line numbers */
            i += 2;
        } else if (src[i] == '/' && i + 1 < n && src[i + 1] == '/') {
            while (i < n && src[i] != '\n')
                i++;
        } else {
            *o++ = src[i++];
        }
    }
    *o = 0;
    return out;
}

static int ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* What a GPU driver refuses and a CPU one may let through: every kernel is
 * OpenCL C 1.2 (NVIDIA's drivers offer no more) and uses double only inside
 * `#if SAMPLE_FP64` (set where the device has cl_khr_fp64): no double type,
 * no unsuffixed floating literal (double where fp64 exists), no fp64 pragma
 * outside it, and none of OpenCL C 2.0's generic address space, work-group
 * or sub-group functions, atomics, pipes or device-side enqueue. */
static void test_kernels_are_opencl_c_1_2_without_fp64(void **state)
{
    (void)state;
    static const char *const opencl_2[] = {"__generic",    "generic",     "pipe",         "enqueue_kernel",
                                           "ndrange_t",    "queue_t",     "clk_event_t",  "memory_scope",
                                           "memory_order", "to_global",   "to_local",     "to_private",
                                           "atomic_int",   "atomic_load", "atomic_store", "atomic_work_item_fence"};
    int problems = 0;
    for (int f = 0; f < cl_source_count; f++) {
        char *text = strip_comments((const char *)cl_sources[f].text, cl_sources[f].len);
        /* Preprocessor blocks: 1 inside #if SAMPLE_FP64, 0 in its #else, else
         * what the enclosing block is. */
        int stack[32], depth = 0, fp64 = 0, line = 1;
        for (char *l = text; *l; line++) {
            char *end = strchr(l, '\n');
            if (end)
                *end = 0;
            char *t = l + strspn(l, " \t");
            if (*t == '#') {
                if (strncmp(t, "#if", 3) == 0) {
                    assert_true(depth < 32);
                    stack[depth++] = fp64;
                    if (strstr(t, "SAMPLE_FP64"))
                        fp64 = 1;
                } else if (strncmp(t, "#else", 5) == 0 || strncmp(t, "#elif", 5) == 0) {
                    if (fp64 && !(depth > 0 && stack[depth - 1]))
                        fp64 = 0;
                } else if (strncmp(t, "#endif", 6) == 0) {
                    assert_true(depth > 0);
                    fp64 = stack[--depth];
                }
            }
            for (char *p = l; *p && !fp64; p++) {
                if (p > l && ident_char(p[-1]))
                    continue;
                const char *why = NULL;
                if (strncmp(p, "double", 6) == 0 && !ident_char(p[6]))
                    why = "the type double";
                else if (strstr(p, "cl_khr_fp64") == p)
                    why = "cl_khr_fp64";
                else if (strncmp(p, "work_group_", 11) == 0 || strncmp(p, "sub_group_", 10) == 0)
                    why = "an OpenCL C 2.0 work-group or sub-group function";
                for (size_t k = 0; !why && k < sizeof opencl_2 / sizeof opencl_2[0]; k++) {
                    size_t len = strlen(opencl_2[k]);
                    if (strncmp(p, opencl_2[k], len) == 0 && !ident_char(p[len]))
                        why = "OpenCL C 2.0";
                }
                if (!why && ((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9'))) {
                    char *q = p;
                    int real = 0;
                    if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X'))
                        for (q += 2; ident_char(*q); q++) {
                        }
                    else
                        for (; (*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E' ||
                               ((*q == '+' || *q == '-') && (q[-1] == 'e' || q[-1] == 'E'));
                             q++)
                            real |= *q == '.' || *q == 'e' || *q == 'E';
                    if (real && *q != 'f' && *q != 'F')
                        why = "a floating literal without f (a double where the device has fp64)";
                    p = q - 1;
                }
                if (why) {
                    print_error("cl/%s:%d: %s outside #if SAMPLE_FP64: %s\n", cl_sources[f].name, line, why, l);
                    problems++;
                    break;
                }
            }
            if (!end)
                break;
            l = end + 1;
        }
        assert_int_equal(depth, 0);
        free(text);
    }
    print_message("  %d kernel sources checked: OpenCL C 1.2, double only under SAMPLE_FP64\n", cl_source_count);
    assert_int_equal(problems, 0);
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
        cmocka_unit_test(test_kernels_are_opencl_c_1_2_without_fp64),
    };
    return cmocka_run_group_tests_name("OpenCL kernel sources embedded", tests, NULL, NULL);
}
