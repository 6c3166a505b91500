/* Test helpers: see test_util.h. */
#define _GNU_SOURCE
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcnn/device.h"
#include "pcnn/npy.h"

const char *test_data_path(const char *rel)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", PCNN_TEST_DATA, rel);
    return path;
}

void test_load_npy(const char *rel, pcnn_array *out)
{
    const char *path = test_data_path(rel);
    if (pcnn_npy_read(path, out) != PCNN_OK)
        fail_msg("cannot load %s: %s", path, pcnn_last_error());
}

double max_abs_diff(const float *a, const float *b, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= m)) /* also catches NaN */
            m = isnan(d) ? INFINITY : d;
    }
    return m;
}

double max_abs(const float *a, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs((double)a[i]) > m)
            m = fabs((double)a[i]);
    return m;
}

void assert_close(const char *what, const float *got, const float *want, size_t n, double tol)
{
    double err = max_abs_diff(got, want, n);
    print_message("  %-40s max abs error %.3g (tolerance %.3g, n=%zu)\n", what, err, tol, n);
    if (!(err <= tol))
        fail_msg("%s: max abs error %.6g exceeds %.6g", what, err, tol);
}

char *test_tmpdir(void)
{
    char tmpl[] = "/tmp/pcnn-test-XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    return strdup(dir);
}

void test_rmtree(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        print_message("could not remove %s\n", dir);
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void test_random_bytes(uint8_t *buf, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)(splitmix(&seed) >> 56);
}

void test_random_floats(float *buf, size_t n, float scale, uint64_t seed)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = scale * (float)((double)(splitmix(&seed) >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

pcnn_device_opts test_device_opts(void)
{
    static char cache[4096];
    pcnn_device_opts o = pcnn_device_opts_default();
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME"), *gemm = getenv("PCNN_GEMM");
    if (xdg && *xdg)
        snprintf(cache, sizeof cache, "%s/pcnn-cl", xdg);
    else if (home && *home)
        snprintf(cache, sizeof cache, "%s/.cache/pcnn-cl", home);
    o.cache_dir = cache[0] ? cache : NULL;
    if (gemm && *gemm && pcnn_gemm_route_parse(gemm, &o.gemm) != PCNN_OK) {
        fprintf(stderr, "PCNN_GEMM=%s: expected auto, clblast or kernels\n", gemm);
        abort();
    }
    return o;
}

pcnn_status test_device_open(int index, pcnn_device **out)
{
    pcnn_device_opts o = test_device_opts();
    return pcnn_device_open_index(index, &o, out);
}

/* The device the next group runs on. */
static int device_index;

static int setup_device(void **state)
{
    *state = NULL;
    if (device_index >= pcnn_device_count(NULL))
        return 0; /* no such OpenCL device: the tests skip */
    if (test_device_open(device_index, (pcnn_device **)state) != PCNN_OK) {
        print_error("cannot open device %d: %s\n", device_index, pcnn_last_error());
        return -1;
    }
    return 0;
}

static int teardown_device(void **state)
{
    pcnn_device_close(*state);
    return 0;
}

int test_run_on_every_device(const char *what, const struct CMUnitTest *tests, size_t n)
{
    const char *why = NULL;
    int count = pcnn_device_count(&why), failed = 0;
    for (device_index = 0; device_index < (count > 1 ? count : 2); device_index++) {
        char name[300];
        pcnn_device_info info;
        if (device_index < count && pcnn_device_describe(device_index, &info) == PCNN_OK)
            snprintf(name, sizeof name, "%s, device %d (%s)", what, device_index, info.name);
        else
            snprintf(name, sizeof name, "%s, device %d: skipped, %s", what, device_index, why);
        failed += _cmocka_run_group_tests(name, tests, n, setup_device, teardown_device);
    }
    return failed;
}
