/* Kernel sources, program builds and the compile cache: see cl_program.h. */
#include "opencl/cl_program.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_file.h"
#include "opencl/cl_cache.h"
#include "opencl/cl_sources.h"

#ifndef PCNN_VERSION
#define PCNN_VERSION "unknown"
#endif

/* The source text of `file` (malloc'd) and where it came from, for messages. */
static pcnn_status load_source(const char *dir, const char *file, char **text, char *origin, size_t origin_len)
{
    if (*dir) {
        snprintf(origin, origin_len, "%s/%s", dir, file);
        unsigned char *bytes;
        size_t n;
        if (read_whole_file(origin, &bytes, &n) != PCNN_OK)
            return pcnn_fail(PCNN_ERR_IO, "kernel directory (PCNN_CL_DIR): cannot read kernel source %s", origin);
        bytes[n] = '\0';
        *text = (char *)bytes;
        return PCNN_OK;
    }
    for (int i = 0; i < cl_source_count; i++)
        if (strcmp(cl_sources[i].name, file) == 0) {
            snprintf(origin, origin_len, "cl/%s (embedded)", file);
            *text = malloc(cl_sources[i].len + 1);
            if (!*text)
                return pcnn_fail(PCNN_ERR_MEMORY, "out of memory copying kernel source %s", file);
            memcpy(*text, cl_sources[i].text, cl_sources[i].len + 1);
            return PCNN_OK;
        }
    return pcnn_fail(PCNN_ERR_ARG, "no kernel source %s is embedded in this build", file);
}

/* The build log (malloc'd, NUL-terminated), or NULL. */
static char *build_log_text(cl_program p, cl_device_id d)
{
    size_t len = 0;
    if (clGetProgramBuildInfo(p, d, CL_PROGRAM_BUILD_LOG, 0, NULL, &len) != CL_SUCCESS || len == 0)
        return NULL;
    char *log = malloc(len + 1);
    if (!log || clGetProgramBuildInfo(p, d, CL_PROGRAM_BUILD_LOG, len, log, NULL) != CL_SUCCESS) {
        free(log);
        return NULL;
    }
    log[len] = '\0';
    return log;
}

/* The start of a build log in one line (newlines become " | "), as much as fits. */
static void build_log_line(const char *log, char *dst, size_t n)
{
    dst[0] = '\0';
    if (!log)
        return;
    size_t o = 0;
    for (const char *s = log; *s && o + 4 < n; s++) {
        if (*s == '\n') {
            if (s[1] && o > 0) {
                memcpy(dst + o, " | ", 3);
                o += 3;
            }
        } else if (*s != '\r') {
            dst[o++] = *s;
        }
    }
    dst[o] = '\0';
}

/* Keeps the whole log where the message can name it: <cache>/build-<key>.log. */
static void keep_build_log(const cl_build_env *env, uint64_t key, const char *log, char *path, size_t n)
{
    path[0] = '\0';
    if (!log || !io_cache_dir_ready(env->cache_dir))
        return;
    snprintf(path, n, "%s/build-%016llx.log", env->cache_dir, (unsigned long long)key);
    atomic_file af;
    if (atomic_file_open(&af, path) || atomic_file_write(&af, log, strlen(log)) || atomic_file_commit(&af)) {
        atomic_file_abort(&af);
        pcnn_clear_error();
        path[0] = '\0';
    }
}

static pcnn_status build_from_source(cl_context ctx, const cl_device_entry *dev, const cl_build_env *env, uint64_t key,
                                     const char *source, const char *origin, const char *options, cl_program *out)
{
    cl_int st;
    cl_program p = clCreateProgramWithSource(ctx, 1, &source, NULL, &st);
    if (st != CL_SUCCESS)
        return pcnn_fail(PCNN_ERR_DEVICE, "%s: clCreateProgramWithSource failed on %s: %s", origin, dev->info.name,
                         cl_status_name(st));
    st = clBuildProgram(p, 1, &dev->device, options, NULL, NULL);
    if (st != CL_SUCCESS) {
        char *log = build_log_text(p, dev->device), start[400], kept[4200];
        build_log_line(log, start, sizeof start);
        keep_build_log(env, key, log, kept, sizeof kept);
        free(log);
        clReleaseProgram(p);
        return pcnn_fail(PCNN_ERR_DEVICE, "kernel build failed on device '%s' for %s (%s, options %s): %s%s%s",
                         dev->info.name, origin, cl_status_name(st), options, start[0] ? start : "(empty build log)",
                         kept[0] ? " ... whole log: " : "", kept);
    }
    *out = p;
    return PCNN_OK;
}

/* A program from a cached binary, or NULL if the driver refuses it (then the
 * caller builds from source: a cached entry is never trusted beyond that). */
static cl_program from_binary(cl_context ctx, const cl_device_entry *dev, const unsigned char *bin, size_t size,
                              const char *options)
{
    cl_int st, bin_st;
    cl_program p = clCreateProgramWithBinary(ctx, 1, &dev->device, &size, &bin, &bin_st, &st);
    if (st != CL_SUCCESS || bin_st != CL_SUCCESS)
        return NULL;
    if (clBuildProgram(p, 1, &dev->device, options, NULL, NULL) != CL_SUCCESS) {
        clReleaseProgram(p);
        return NULL;
    }
    return p;
}

static void store_binary(cl_program p, const char *dir, uint64_t key)
{
    size_t size = 0;
    if (clGetProgramInfo(p, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) != CL_SUCCESS || size == 0)
        return;
    unsigned char *bin = malloc(size);
    if (bin && clGetProgramInfo(p, CL_PROGRAM_BINARIES, sizeof bin, &bin, NULL) == CL_SUCCESS)
        cl_cache_store(dir, key, bin, size);
    free(bin);
}

pcnn_status cl_program_get(cl_context ctx, const cl_device_entry *dev, const cl_build_env *env, const char *file,
                           const char *options, cl_program *out, cl_program_counts *counts)
{
    *out = NULL;
    char *source, origin[4200];
    pcnn_status status = load_source(env->kernel_dir, file, &source, origin, sizeof origin);
    if (status)
        return status;
    const char *parts[] = {source, options, dev->info.name, dev->info.driver, dev->platform_version, PCNN_VERSION};
    uint64_t key = io_hash64(parts, (int)(sizeof parts / sizeof parts[0]));
    const char *dir = env->cache_dir;
    int have_dir = io_cache_dir_ready(dir);
    unsigned char *bin = NULL;
    size_t size = 0;
    if (have_dir && cl_cache_load(dir, key, &bin, &size)) {
        *out = from_binary(ctx, dev, bin, size, options);
        free(bin);
        if (*out) {
            counts->cached++;
            free(source);
            return PCNN_OK;
        }
    }
    status = build_from_source(ctx, dev, env, key, source, origin, options, out);
    free(source);
    if (status)
        return status;
    counts->built++;
    if (have_dir)
        store_binary(*out, dir, key);
    return PCNN_OK;
}
