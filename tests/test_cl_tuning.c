/* The stored tuning an OpenCL backend applies at start (host/opencl/cl_tuning.c):
 * a tune file whose CLBlast line cannot work on the device (a value outside
 * CLBlast's tuner's ranges, tiles that do not fit together, a kernel pcnn-cl
 * does not tune) or a file that is not a tune file at all is ignored with a
 * warning that names the file, and CLBlast's GEMMs still give the right
 * results; a good line is applied and stays applied. The tests share one
 * temporary cache directory. Exit 77 (skipped) without an OpenCL device. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_file.h"
#include "io/io_tune_file.h"
#include "opencl/cl_backend.h"
#include "test_util.h"

/* The warnings the backend sent to its log. */
static char warnings[4096];

static void collect(void *ctx, const char *line)
{
    (void)ctx;
    size_t n = strlen(warnings);
    snprintf(warnings + n, sizeof warnings - n, "%s\n", line);
}

/* Opens OpenCL device 0 (device index 1) on the route that uses CLBlast for
 * every product, with `cache` as its cache directory. */
static backend *open_clblast(const char *cache)
{
    pcnn_device_opts o = pcnn_device_opts_default();
    o.gemm = PCNN_GEMM_CLBLAST;
    o.cache_dir = cache;
    o.log = (pcnn_log){collect, NULL};
    warnings[0] = '\0';
    backend *be = backend_cl_create(0, &o);
    if (!be)
        fail_msg("%s", pcnn_last_error());
    return be;
}

/* A 33 x 17 x 9 product through the backend against a triple loop. */
static void check_gemm(backend *be)
{
    enum { M = 33, N = 17, K = 9 };
    float a[M * K], b[K * N], c[M * N], want[M * N];
    test_random_floats(a, M * K, 1.0f, 7);
    test_random_floats(b, K * N, 1.0f, 8);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < K; k++)
                s += (double)a[i * K + k] * b[k * N + j];
            want[i * N + j] = (float)s;
        }
    bbuf *ba = be->ops->alloc(be, sizeof a, "a"), *bb = be->ops->alloc(be, sizeof b, "b"),
         *bc = be->ops->alloc(be, sizeof c, "c");
    assert_int_equal(be->ops->write(be, ba, 0, a, sizeof a), PCNN_OK);
    assert_int_equal(be->ops->write(be, bb, 0, b, sizeof b), PCNN_OK);
    pcnn_status st =
        be->ops->gemm(be, 0, 0, M, N, K, 1.0f, (bview){ba, 0}, K, (bview){bb, 0}, N, 0.0f, (bview){bc, 0}, N);
    if (st)
        fail_msg("gemm after the tune file: %s", pcnn_last_error());
    assert_int_equal(be->ops->read(be, bc, 0, c, sizeof c), PCNN_OK);
    assert_close("gemm", c, want, M * N, 1e-5);
    be->ops->release(be, ba);
    be->ops->release(be, bb);
    be->ops->release(be, bc);
}

static tune_kernel xgemm(size_t kwg)
{
    static const char *const names[16] = {"GEMMK", "KREG", "KWG", "KWI", "MDIMA", "MDIMC", "MWG", "NDIMB",
                                          "NDIMC", "NWG",  "SA",  "SB",  "STRM",  "STRN",  "VWM", "VWN"};
    const size_t values[16] = {0, 1, kwg, 2, 8, 8, 32, 8, 8, 32, 0, 0, 0, 0, 1, 1};
    tune_kernel k = {.kernel = "Xgemm", .n = 16};
    for (int i = 0; i < 16; i++) {
        snprintf(k.names[i], TUNE_NAME_LEN, "%s", names[i]);
        k.values[i] = values[i];
    }
    return k;
}

/* One cache directory for every test (the compiled kernels are built once);
 * each test writes its own tune file there. */
static char *cache_dir;

/* Writes the tune file for device 1: its path in `path`. */
static void cache_with(const tune_set *set, char *path, size_t n)
{
    pcnn_device_info info;
    backend_cl_describe(0, &info);
    tune_file_path(path, n, cache_dir, info.name, info.driver);
    assert_int_equal(tune_save(path, set, info.name, info.driver), PCNN_OK);
}

static void skip_without_opencl(void)
{
    if (backend_cl_device_count(NULL) == 0) {
        print_message("no OpenCL device: skipped\n");
        exit(77);
    }
}

static void test_impossible_xgemm_line_is_ignored(void **state)
{
    (void)state;
    tune_set set = {.n = 2};
    set.kernels[0] = xgemm(17); /* KWG 17: not a value CLBlast's tuner tries, and KWI 2 does not divide it */
    set.kernels[1] =
        (tune_kernel){.kernel = "GemmRoutine", .n = 1, .names = {"XGEMM_MIN_INDIRECT_SIZE"}, .values = {64}};
    char path[4200];
    cache_with(&set, path, sizeof path);
    backend *be = open_clblast(cache_dir);
    print_message("  warnings: %s", warnings);
    assert_non_null(strstr(warnings, path));
    assert_non_null(strstr(warnings, "Xgemm"));
    assert_null(strstr(warnings, "GemmRoutine")); /* the good line was applied */
    check_gemm(be);
    be->ops->destroy(be);
}

static void test_unknown_kernel_line_is_ignored(void **state)
{
    (void)state;
    tune_set set = {.n = 1};
    set.kernels[0] = (tune_kernel){.kernel = "Xconv", .n = 1, .names = {"WGS"}, .values = {7}};
    char path[4200];
    cache_with(&set, path, sizeof path);
    backend *be = open_clblast(cache_dir);
    print_message("  warnings: %s", warnings);
    assert_non_null(strstr(warnings, path));
    assert_non_null(strstr(warnings, "Xconv"));
    check_gemm(be);
    be->ops->destroy(be);
}

static void test_garbage_file_is_ignored(void **state)
{
    (void)state;
    tune_set set = {0};
    char path[4200];
    cache_with(&set, path, sizeof path);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("this is not a tune file\nXgemm KWG=\n", f);
    fclose(f);
    backend *be = open_clblast(cache_dir);
    print_message("  warnings: %s", warnings);
    assert_non_null(strstr(warnings, path));
    check_gemm(be);
    be->ops->destroy(be);
}

static void test_good_xgemm_line_is_applied_silently(void **state)
{
    (void)state;
    tune_set set = {.n = 1};
    set.kernels[0] = xgemm(32);
    char path[4200];
    cache_with(&set, path, sizeof path);
    backend *be = open_clblast(cache_dir);
    assert_string_equal(warnings, "");
    check_gemm(be);
    be->ops->destroy(be);
}

int main(void)
{
    skip_without_opencl();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_impossible_xgemm_line_is_ignored),
        cmocka_unit_test(test_unknown_kernel_line_is_ignored),
        cmocka_unit_test(test_garbage_file_is_ignored),
        cmocka_unit_test(test_good_xgemm_line_is_applied_silently),
    };
    cache_dir = test_tmpdir();
    int failed = cmocka_run_group_tests_name("stored tuning applied at start", tests, NULL, NULL);
    test_rmtree(cache_dir);
    free(cache_dir);
    return failed;
}
