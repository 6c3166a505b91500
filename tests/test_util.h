/* Helpers shared by the tests: golden data paths, loading .npy files that must
 * exist, and comparisons that print what they compared. */
#ifndef PCNN_TEST_UTIL_H
#define PCNN_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the headers above first. */
#include <cmocka.h>

#include "pcnn/array.h"
#include "pcnn/device.h"

#ifndef PCNN_TEST_DATA
#error "PCNN_TEST_DATA must point at tests/data"
#endif

/* PCNN_TEST_DATA "/" rel, in a static buffer (one at a time). */
const char *test_data_path(const char *rel);

/* Reads a .npy under tests/data; fails the test if it cannot. */
void test_load_npy(const char *rel, pcnn_array *out);

/* Largest |a - b| over n floats, and the largest |b|. */
double max_abs_diff(const float *a, const float *b, size_t n);
double max_abs(const float *a, size_t n);

/* Fails unless max|a - b| <= tol; prints the error either way. */
void assert_close(const char *what, const float *got, const float *want, size_t n, double tol);

/* A temporary directory for one test (removed by test_rmtree). */
char *test_tmpdir(void);
void test_rmtree(const char *dir);

/* Device options as the CLI gives them from the environment: the cache
 * directory of XDG_CACHE_HOME or HOME, and PCNN_GEMM (ctest runs the OpenCL
 * tests once with PCNN_GEMM=kernels and once with PCNN_GEMM=clblast, the
 * route GPUs take). test_device_open opens device `index` with them. */
pcnn_device_opts test_device_opts(void);
pcnn_status test_device_open(int index, pcnn_device **out);

/* Runs the group once on device 0 and once on every OpenCL device (with none,
 * one OpenCL group runs with a NULL state, so its tests must skip()). Each
 * test's *state is the open pcnn_device. Returns the number of failures. */
int test_run_on_every_device(const char *what, const struct CMUnitTest *tests, size_t n);
#define TEST_RUN_ON_EVERY_DEVICE(what, tests) test_run_on_every_device(what, tests, sizeof tests / sizeof tests[0])

/* Fills buf with bytes/floats from a seeded generator. */
void test_random_bytes(uint8_t *buf, size_t n, uint64_t seed);
void test_random_floats(float *buf, size_t n, float scale, uint64_t seed);

#endif
