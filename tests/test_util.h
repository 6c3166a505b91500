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

/* main() of a test that runs on devices: with no argument on device 0, with
 * the argument "opencl" on every OpenCL device in turn (ctest registers both:
 * NAME and NAME_cl). Each test's *state is the open pcnn_device. Returns the
 * number of failures, or TEST_SKIPPED when there is no OpenCL device: a test
 * whose subject is absent is reported as skipped, never as passed. */
int test_main_on_devices(int argc, char **argv, const char *what, const struct CMUnitTest *tests, size_t n);
#define TEST_MAIN_ON_DEVICES(argc, argv, what, tests)                                                                  \
    test_main_on_devices(argc, argv, what, tests, sizeof tests / sizeof tests[0])

/* ctest's SKIP_RETURN_CODE for every test here. */
enum { TEST_SKIPPED = 77 };

/* Runs fn(ctx) in a child process and returns how far the child's peak
 * resident memory grew while it ran, in KiB (-1 if it could not be measured);
 * *status gets fn's return value, and msg (if not NULL, msg_size bytes) the
 * library's last error message in the child. For tests that something is NOT
 * allocated: the parent never holds the memory. */
long test_peak_rss_growth_kib(int (*fn)(void *ctx), void *ctx, int *status, char *msg, size_t msg_size);

/* Fills buf with bytes/floats from a seeded generator. */
void test_random_bytes(uint8_t *buf, size_t n, uint64_t seed);
void test_random_floats(float *buf, size_t n, float scale, uint64_t seed);

#endif
