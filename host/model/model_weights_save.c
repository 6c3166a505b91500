/* Writing weights interchange directories and .npz files, all or nothing:
 * see include/pcnn/weights_dir.h. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/base_try.h"
#include "io/io_atomic_dir.h"
#include "io/io_file.h"
#include "io/io_zip.h"
#include "model/model_weights_manifest.h"
#include "pcnn/array.h"
#include "pcnn/npy.h"
#include "pcnn/weights_dir.h"

/* What an export writes into its directory, so that replacing the directory
 * as a whole loses nothing else ("*.tmp.*": what an interrupted write left). */
static int export_file(const char *name, unsigned char type)
{
    size_t n = strlen(name);
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return 1;
    if (type != DT_REG && type != DT_UNKNOWN)
        return 0;
    return strcmp(name, "config.txt") == 0 || strcmp(name, "manifest.txt") == 0 ||
           (n > 4 && strcmp(name + n - 4, ".npy") == 0) || strstr(name, ".tmp.") != NULL;
}

pcnn_status pcnn_weights_save_check(const char *to)
{
    if (pcnn_weights_is_npz(to))
        return output_check(to, "--to", 0);
    TRY(output_check(to, "--to", 1));
    DIR *d = opendir(to);
    if (!d)
        return PCNN_OK; /* a new directory */
    pcnn_status st = PCNN_OK;
    for (struct dirent *e; !st && (e = readdir(d));)
        if (!export_file(e->d_name, e->d_type))
            st = pcnn_fail(PCNN_ERR_ARG,
                           "--to %s: holds %s, which no export writes: an export replaces the whole directory, so "
                           "give a new directory (or a .npz file)",
                           to, e->d_name);
    closedir(d);
    return st;
}

static pcnn_status interrupted(const pcnn_weights_save_opts *o, const char *to)
{
    if (o->interrupted && *o->interrupted)
        return pcnn_fail(PCNN_ERR_IO, "%s: interrupted: nothing written, %s is as it was", to, to);
    return PCNN_OK;
}

/* One tensor as the bytes of its .npy file, and its manifest line. */
static pcnn_status encode_tensor(pcnn_model *m, int t, weights_manifest *mf, char *file, size_t file_size,
                                 unsigned char **bytes, size_t *size)
{
    pcnn_tensor_info info;
    pcnn_model_tensor_info(m, t, &info);
    snprintf(file, file_size, "%s.npy", info.name);
    pcnn_array a;
    TRY(pcnn_array_alloc(&a, PCNN_F32, info.ndim, info.shape));
    pcnn_status st = pcnn_model_get_tensor(m, t, a.data);
    if (!st)
        st = pcnn_npy_encode(&a, bytes, size);
    pcnn_array_free(&a);
    TRY(st);
    return manifest_add(mf, file, info.ndim, info.shape, manifest_crc(*bytes, *size));
}

/* Writes a whole file inside the temporary directory (fsynced with it at the end). */
static pcnn_status put_file(const char *dir, const char *final_dir, const char *file, const void *bytes, size_t n)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "wb");
    if (!f)
        return pcnn_fail(PCNN_ERR_IO, "%s/%s: cannot create: %s", final_dir, file, strerror(errno));
    int ok = fwrite(bytes, 1, n, f) == n;
    int err = errno;
    if (fclose(f) != 0 && ok) {
        ok = 0;
        err = errno;
    }
    if (!ok)
        return pcnn_fail(PCNN_ERR_IO, "%s/%s: write failed: %s", final_dir, file, strerror(err));
    return PCNN_OK;
}

static pcnn_status fill_dir(pcnn_model *m, const char *tmp, const char *to, const char *config, long step,
                            const pcnn_weights_save_opts *o)
{
    weights_manifest mf = {.step = step};
    pcnn_status st = put_file(tmp, to, "config.txt", config, strlen(config));
    if (!st)
        st = manifest_add(&mf, "config.txt", 0, NULL, manifest_crc(config, strlen(config)));
    for (int t = 0; !st && t < pcnn_model_tensor_count(m); t++) {
        char file[64];
        unsigned char *bytes = NULL;
        size_t size = 0;
        st = interrupted(o, to);
        if (!st)
            st = encode_tensor(m, t, &mf, file, sizeof file, &bytes, &size);
        if (!st)
            st = put_file(tmp, to, file, bytes, size);
        free(bytes);
    }
    char *text = NULL;
    if (!st)
        st = manifest_format(&mf, &text);
    if (!st)
        st = put_file(tmp, to, "manifest.txt", text, strlen(text));
    free(text);
    manifest_free(&mf);
    return st ? st : interrupted(o, to);
}

static pcnn_status save_dir(pcnn_model *m, const char *to, const char *config, const pcnn_weights_save_opts *o)
{
    atomic_dir ad;
    TRY(atomic_dir_open(&ad, to));
    pcnn_status st = fill_dir(m, ad.tmp_path, to, config, o->step, o);
    if (st) {
        atomic_dir_abort(&ad); /* the cleanup for every failure and interruption */
        return st;
    }
    return atomic_dir_commit(&ad);
}

static pcnn_status save_npz(pcnn_model *m, const char *to, const char *config, const pcnn_weights_save_opts *o)
{
    int n = pcnn_model_tensor_count(m);
    io_zip_entry *entries = calloc((size_t)n + 2, sizeof *entries);
    char(*files)[64] = calloc((size_t)n, sizeof *files);
    weights_manifest mf = {.step = o->step};
    pcnn_status st = entries && files ? PCNN_OK : pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
    if (!st) {
        entries[0] = (io_zip_entry){"config.txt", config, strlen(config)};
        st = manifest_add(&mf, "config.txt", 0, NULL, manifest_crc(config, strlen(config)));
    }
    for (int t = 0; !st && t < n; t++) {
        unsigned char *bytes = NULL;
        size_t size = 0;
        st = interrupted(o, to);
        if (!st)
            st = encode_tensor(m, t, &mf, files[t], sizeof files[t], &bytes, &size);
        entries[1 + t] = (io_zip_entry){files[t], bytes, size};
    }
    char *text = NULL;
    if (!st)
        st = manifest_format(&mf, &text);
    if (!st) {
        entries[n + 1] = (io_zip_entry){"manifest.txt", text, strlen(text)};
        st = io_zip_write(to, entries, n + 2);
    }
    for (int t = 0; entries && t < n; t++)
        free((void *)entries[1 + t].data);
    free(text);
    free(entries);
    free(files);
    manifest_free(&mf);
    return st;
}

pcnn_status pcnn_weights_save(pcnn_model *m, const char *to, const pcnn_weights_save_opts *opts)
{
    pcnn_weights_save_opts none = {.step = -1};
    const pcnn_weights_save_opts *o = opts ? opts : &none;
    char config[512];
    pcnn_config_format(pcnn_model_config(m), config, sizeof config);
    return pcnn_weights_is_npz(to) ? save_npz(m, to, config, o) : save_dir(m, to, config, o);
}

pcnn_status pcnn_weights_dir_save(pcnn_model *m, const char *dir) { return pcnn_weights_save(m, dir, NULL); }
