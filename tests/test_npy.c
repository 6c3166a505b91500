/* .npy: round trips of both dtypes, both header versions, the golden files,
 * and a clear error for everything we do not read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcnn/npy.h"
#include "test_util.h"

/* Builds a .npy in memory: version, header dict, then `data_bytes` bytes. */
static size_t make_npy(unsigned char *buf, int version, const char *dict, size_t data_bytes)
{
    size_t prefix = version == 1 ? 10 : 12, dlen = strlen(dict);
    size_t total = (prefix + dlen + 1 + 63) / 64 * 64, hlen = total - prefix;
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)version;
    buf[7] = 0;
    for (size_t i = 0; i < prefix - 8; i++)
        buf[8 + i] = (unsigned char)(hlen >> (8 * i));
    memset(buf + prefix, ' ', hlen);
    memcpy(buf + prefix, dict, dlen);
    buf[total - 1] = '\n';
    for (size_t i = 0; i < data_bytes; i++)
        buf[total + i] = (unsigned char)i;
    return total + data_bytes;
}

static void test_round_trip_both_dtypes(void **state)
{
    (void)state;
    char *dir = test_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/a.npy", dir);
    size_t shape[4] = {2, 3, 5, 7};
    pcnn_array a, b;
    assert_int_equal(pcnn_array_alloc(&a, PCNN_F32, 4, shape), PCNN_OK);
    test_random_floats(a.data, pcnn_array_count(&a), 3.0f, 1);
    assert_int_equal(pcnn_npy_write(path, &a), PCNN_OK);
    assert_int_equal(pcnn_npy_read(path, &b), PCNN_OK);
    assert_int_equal(b.dtype, PCNN_F32);
    assert_int_equal(b.ndim, 4);
    assert_memory_equal(b.shape, a.shape, sizeof a.shape);
    assert_memory_equal(b.data, a.data, pcnn_array_bytes(&a));
    pcnn_array_free(&a);
    pcnn_array_free(&b);

    size_t shape1[1] = {11};
    assert_int_equal(pcnn_array_alloc(&a, PCNN_U8, 1, shape1), PCNN_OK);
    test_random_bytes(a.data, 11, 2);
    assert_int_equal(pcnn_npy_write(path, &a), PCNN_OK);
    assert_int_equal(pcnn_npy_read(path, &b), PCNN_OK);
    assert_int_equal(b.dtype, PCNN_U8);
    assert_int_equal(b.ndim, 1);
    assert_int_equal(b.shape[0], 11);
    assert_memory_equal(b.data, a.data, 11);
    pcnn_array_free(&a);
    pcnn_array_free(&b);
    test_rmtree(dir);
    free(dir);
}

static void test_version_2_header(void **state)
{
    (void)state;
    unsigned char buf[256];
    size_t n = make_npy(buf, 2, "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }", 6);
    pcnn_array a;
    assert_int_equal(pcnn_npy_parse(buf, n, "v2.npy", &a), PCNN_OK);
    assert_int_equal(a.ndim, 2);
    assert_int_equal(a.shape[1], 3);
    assert_int_equal(((unsigned char *)a.data)[5], 5);
    pcnn_array_free(&a);
}

static void test_scalar_shape(void **state)
{
    (void)state;
    unsigned char buf[256];
    size_t n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 4);
    pcnn_array a;
    assert_int_equal(pcnn_npy_parse(buf, n, "scalar.npy", &a), PCNN_OK);
    assert_int_equal(a.ndim, 0);
    assert_int_equal(pcnn_array_count(&a), 1);
    pcnn_array_free(&a);
}

static void test_golden_file_reads(void **state)
{
    (void)state;
    pcnn_array a;
    test_load_npy("golden/model/model_tiny_rgb/images.npy", &a);
    assert_int_equal(a.dtype, PCNN_U8);
    assert_int_equal(a.ndim, 4);
    assert_int_equal(a.shape[0], 2);
    assert_int_equal(a.shape[3], 3);
    pcnn_array_free(&a);
}

/* Each bad input: the dict, how many data bytes follow, and a word the error must contain. */
static void expect_refused(int version, const char *dict, size_t data_bytes, const char *word)
{
    unsigned char buf[512];
    size_t n = make_npy(buf, version, dict, data_bytes);
    pcnn_array a;
    assert_int_equal(pcnn_npy_parse(buf, n, "bad.npy", &a), PCNN_ERR_FORMAT);
    const char *msg = pcnn_last_error();
    print_message("  refused: %s\n", msg);
    assert_non_null(strstr(msg, "bad.npy"));
    assert_non_null(strstr(msg, word));
    assert_null(a.data);
}

static void test_bad_inputs_refused(void **state)
{
    (void)state;
    expect_refused(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8, "dtype '>f4'");
    expect_refused(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 16, "dtype '<f8'");
    expect_refused(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", 8, "dtype");
    expect_refused(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", 8, "Fortran");
    expect_refused(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 20, "truncated");
    expect_refused(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 12, "oversized");
    expect_refused(1, "{'descr': '<f4', 'fortran_order': False, }", 8, "'shape'");
    expect_refused(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", 8, "shape");
    expect_refused(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", 8, "shape");
    expect_refused(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }",
                   8, "shape");
    expect_refused(1, "[1, 2]", 0, "dict");
    expect_refused(3 + 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8, "version");

    pcnn_array a;
    assert_int_equal(pcnn_npy_parse("\x93NUMPX\x01\x00\x00\x00", 10, "bad.npy", &a), PCNN_ERR_FORMAT);
    assert_non_null(strstr(pcnn_last_error(), "magic"));
    /* A header length running past the end of the file. */
    unsigned char buf[512];
    size_t n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8);
    assert_int_equal(pcnn_npy_parse(buf, 40, "bad.npy", &a), PCNN_ERR_FORMAT);
    assert_non_null(strstr(pcnn_last_error(), "truncated"));
    (void)n;
    assert_int_equal(pcnn_npy_read("/nonexistent/x.npy", &a), PCNN_ERR_IO);
    assert_non_null(strstr(pcnn_last_error(), "/nonexistent/x.npy"));
}

static void test_every_truncation_refused(void **state)
{
    (void)state;
    unsigned char buf[512];
    size_t n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", 24);
    for (size_t cut = 0; cut < n; cut++) {
        pcnn_array a;
        assert_int_equal(pcnn_npy_parse(buf, cut, "cut.npy", &a), PCNN_ERR_FORMAT);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_both_dtypes), cmocka_unit_test(test_version_2_header),
        cmocka_unit_test(test_scalar_shape),           cmocka_unit_test(test_golden_file_reads),
        cmocka_unit_test(test_bad_inputs_refused),     cmocka_unit_test(test_every_truncation_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
