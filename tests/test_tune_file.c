/* The tuned parameter file (host/io/io_tune_file.c, host/opencl/cl_gemm_tiles.c): what is saved loads
 * back the same; a missing file is "not found" without error; a corrupt,
 * truncated or foreign file is refused with a message naming it (the OpenCL
 * backend then warns and starts with CLBlast's defaults). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef PCNN_OPENCL
#include "opencl/cl_gemm_tiles.h"
#endif
#include "test_util.h"
#include "io/io_tune_file.h"

static const char *DEV = "pthread-haswell-AMD EPYC", *DRV = "3.1+debian";

static tune_set example(void)
{
    tune_set t = {0};
    tune_kernel *x = &t.kernels[t.n++];
    snprintf(x->kernel, sizeof x->kernel, "Xgemm");
    const char *names[] = {"GEMMK", "KREG", "KWG", "MWG", "VWM"};
    const size_t values[] = {0, 1, 32, 64, 4};
    for (int i = 0; i < 5; i++) {
        snprintf(x->names[i], TUNE_NAME_LEN, "%s", names[i]);
        x->values[i] = values[i];
    }
    x->n = 5;
    tune_kernel *r = &t.kernels[t.n++];
    snprintf(r->kernel, sizeof r->kernel, "GemmRoutine");
    snprintf(r->names[0], TUNE_NAME_LEN, "XGEMM_MIN_INDIRECT_SIZE");
    r->values[0] = 256;
    r->n = 1;
    return t;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_round_trip(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), path[600];
    tune_file_path(path, sizeof path, dir, DEV, DRV);
    tune_set t = example(), back;
    int found = 0;
    assert_int_equal(tune_load(path, DEV, DRV, &back, &found), PCNN_OK);
    assert_int_equal(found, 0);
    assert_int_equal(tune_save(path, &t, DEV, DRV), PCNN_OK);
    assert_int_equal(tune_load(path, DEV, DRV, &back, &found), PCNN_OK);
    assert_int_equal(found, 1);
    assert_int_equal(back.n, t.n);
    for (int k = 0; k < t.n; k++) {
        assert_string_equal(back.kernels[k].kernel, t.kernels[k].kernel);
        assert_int_equal(back.kernels[k].n, t.kernels[k].n);
        for (int i = 0; i < t.kernels[k].n; i++) {
            assert_string_equal(back.kernels[k].names[i], t.kernels[k].names[i]);
            assert_int_equal(back.kernels[k].values[i], t.kernels[k].values[i]);
        }
    }
    test_rmtree(dir);
    free(dir);
}

static void test_path_depends_on_driver(void **state)
{
    (void)state;
    char a[300], b[300];
    tune_file_path(a, sizeof a, "/c", DEV, DRV);
    tune_file_path(b, sizeof b, "/c", DEV, "3.2");
    assert_string_not_equal(a, b);
}

static void test_corrupt_files_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "device=pthread-haswell-AMD EPYC\ndriver=3.1+debian\nXgemm KWG=thirty-two\n",  /* not a number */
        "device=pthread-haswell-AMD EPYC\ndriver=3.1+debian\nXgemm KWG=-1\n",          /* negative */
        "device=pthread-haswell-AMD EPYC\ndriver=3.1+debian\nXgemm\n",                 /* no parameters */
        "device=pthread-haswell-AMD EPYC\ndriver=3.1+debian\nXgemm KW\xffG=1\n",       /* bad name */
        "device=pthread-haswell-AMD EPYC\nXgemm KWG=32\n",                             /* no driver line */
        "device=some GPU\ndriver=3.1+debian\nXgemm KWG=32\n",                          /* another device */
        "device=pthread-haswell-AMD EPYC\ndriver=9.9\nXgemm KWG=32\n",                 /* another driver */
        "",                                                                            /* empty */
    };
    char *dir = test_tmpdir(), path[600];
    snprintf(path, sizeof path, "%s/t.txt", dir);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_text(path, bad[i]);
        tune_set t;
        int found = 0;
        pcnn_status st = tune_load(path, DEV, DRV, &t, &found);
        printf("case %zu: %s\n", i, pcnn_last_error());
        assert_int_equal(st, PCNN_ERR_FORMAT);
        assert_int_equal(found, 1);
        assert_int_equal(t.n, 0); /* nothing half-parsed is left to apply */
        assert_non_null(strstr(pcnn_last_error(), path));
    }
    /* Binary junk (a NUL inside) is refused as well. */
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite("device=\0\x01\x02", 1, 10, f);
    fclose(f);
    tune_set t;
    int found;
    assert_int_equal(tune_load(path, DEV, DRV, &t, &found), PCNN_ERR_FORMAT);
    test_rmtree(dir);
    free(dir);
}

#ifdef PCNN_OPENCL
/* cl/gemm.cl's tiles travel as a PcnnGemm line beside CLBlast's and come
 * back the same; a line with tiles the kernels cannot take (more than 12
 * accumulators, rows per work-item not a multiple of the tile, a missing
 * value) is ignored, leaving the defaults. */
static void test_gemm_tiles_line(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), path[600];
    tune_file_path(path, sizeof path, dir, DEV, DRV);
    tune_set t = example(), back;
    cl_gemm_tiles tiles = {4, 16, 48, 1024}, got = cl_gemm_tiles_default();
    assert_int_equal(cl_gemm_tiles_from_tune(&t, &got), 0);
    cl_gemm_tiles_to_tune(&tiles, &t.kernels[t.n++]);
    int found;
    assert_int_equal(tune_save(path, &t, DEV, DRV), PCNN_OK);
    assert_int_equal(tune_load(path, DEV, DRV, &back, &found), PCNN_OK);
    assert_int_equal(cl_gemm_tiles_from_tune(&back, &got), 1);
    assert_memory_equal(&got, &tiles, sizeof tiles);
    static const cl_gemm_tiles bad[] = {{8, 16, 96, 512}, {6, 16, 100, 512}, {6, 12, 96, 512}, {0, 8, 96, 512},
                                        {6, 16, 96, 0}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(cl_gemm_tiles_valid(&bad[i]), 0);
        cl_gemm_tiles_to_tune(&bad[i], &back.kernels[back.n - 1]);
        got = cl_gemm_tiles_default();
        assert_int_equal(cl_gemm_tiles_from_tune(&back, &got), 0);
    }
    back.kernels[back.n - 1].n = 3; /* TN_CHUNK missing */
    cl_gemm_tiles_to_tune(&tiles, &back.kernels[back.n - 1]);
    back.kernels[back.n - 1].n = 3;
    assert_int_equal(cl_gemm_tiles_from_tune(&back, &got), 0);
    cl_gemm_tiles def = cl_gemm_tiles_default();
    assert_int_equal(cl_gemm_tiles_valid(&def), 1);
    test_rmtree(dir);
    free(dir);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_path_depends_on_driver),
        cmocka_unit_test(test_corrupt_files_refused),
#ifdef PCNN_OPENCL
        cmocka_unit_test(test_gemm_tiles_line),
#endif
    };
    return cmocka_run_group_tests_name("tuned CLBlast parameter file", tests, NULL, NULL);
}
