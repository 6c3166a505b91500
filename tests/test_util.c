/* Test helpers: see test_util.h. */
#define _GNU_SOURCE
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pcnn/device.h"
#include "pcnn/npy.h"

const char *test_data_path(const char *rel)
{
    static char path[4096];
    /* PCNN_TEST_DATA_DIR: tests/data elsewhere, as tools/gpu_check.sh's bundle carries it. */
    const char *dir = getenv("PCNN_TEST_DATA_DIR");
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : PCNN_TEST_DATA, rel);
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

int test_main_on_devices(int argc, char **argv, const char *what, const struct CMUnitTest *tests, size_t n)
{
    int opencl = argc > 1 && strcmp(argv[1], "opencl") == 0;
    if (argc > 1 && !opencl) {
        fprintf(stderr, "usage: %s [opencl]\n", argv[0]);
        return 2;
    }
    const char *why = NULL;
    int count = pcnn_device_count(&why), failed = 0;
    if (opencl && count < 2) {
        printf("%s: no OpenCL device (%s): skipped\n", what, why ? why : "none found");
        return TEST_SKIPPED;
    }
    for (device_index = opencl ? 1 : 0; device_index < (opencl ? count : 1); device_index++) {
        char name[300];
        pcnn_device_info info;
        if (pcnn_device_describe(device_index, &info) != PCNN_OK)
            snprintf(info.name, sizeof info.name, "?");
        snprintf(name, sizeof name, "%s, device %d (%s)", what, device_index, info.name);
        failed += _cmocka_run_group_tests(name, tests, n, setup_device, teardown_device);
    }
    return failed;
}

/* VmRSS or VmHWM of this process in KiB, from /proc/self/status. */
static long status_kib(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    size_t len = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, len) == 0 && line[len] == ':') {
            kib = strtol(line + len + 1, NULL, 10);
            break;
        }
    if (f)
        fclose(f);
    return kib;
}

long test_peak_rss_growth_kib(int (*fn)(void *ctx), void *ctx, int *status, char *msg, size_t msg_size)
{
    struct {
        long growth;
        int status;
        char msg[512];
    } r;
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        close(fds[0]);
        /* Writing 5 to clear_refs sets the peak (VmHWM) to what is resident now. */
        FILE *f = fopen("/proc/self/clear_refs", "w");
        if (f) {
            fputs("5", f);
            fclose(f);
        }
        long before = status_kib("VmHWM");
        memset(&r, 0, sizeof r);
        r.status = fn(ctx);
        snprintf(r.msg, sizeof r.msg, "%s", pcnn_last_error());
        long after = status_kib("VmHWM");
        r.growth = before < 0 || after < 0 ? -1 : after - before;
        ssize_t w = write(fds[1], &r, sizeof r);
        _exit(w == (ssize_t)sizeof r ? 0 : 1);
    }
    close(fds[1]);
    ssize_t got = read(fds[0], &r, sizeof r);
    close(fds[0]);
    int wstatus;
    waitpid(pid, &wstatus, 0);
    if (got != (ssize_t)sizeof r || !WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0)
        return -1;
    *status = r.status;
    if (msg)
        snprintf(msg, msg_size, "%s", r.msg);
    return r.growth;
}
