/* The tuned-parameter file: see io_tune_file.h. */
#include "io/io_tune_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/io_cache.h"
#include "io/io_file.h"

void tune_file_path(char *dst, size_t n, const char *dir, const char *device, const char *driver)
{
    const char *parts[] = {"clblast-tune", device, driver};
    snprintf(dst, n, "%s/clblast-%016llx.txt", dir, (unsigned long long)io_hash64(parts, 3));
}

char *tune_format(const tune_set *t, const char *device, const char *driver)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fprintf(f, "# pcnn-cl tuned parameters: CLBlast's kernels, and PcnnGemm for cl/gemm.cl's tiles\n"
               "# (written by pcnn-cl tune; delete to use the defaults)\n");
    fprintf(f, "device=%s\ndriver=%s\n", device, driver);
    for (int k = 0; k < t->n; k++) {
        fputs(t->kernels[k].kernel, f);
        for (int i = 0; i < t->kernels[k].n; i++)
            fprintf(f, " %s=%zu", t->kernels[k].names[i], t->kernels[k].values[i]);
        fputc('\n', f);
    }
    fclose(f);
    return text;
}

static int is_name(const char *s, size_t len)
{
    if (len == 0 || len >= TUNE_NAME_LEN)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_'))
            return 0;
    return 1;
}

/* "Kernel NAME=V NAME=V ..." */
static int parse_kernel_line(char *line, tune_kernel *k)
{
    memset(k, 0, sizeof *k);
    char *save = NULL, *tok = strtok_r(line, " \t\r", &save);
    if (!tok || !is_name(tok, strlen(tok)))
        return 0;
    snprintf(k->kernel, sizeof k->kernel, "%s", tok);
    while ((tok = strtok_r(NULL, " \t\r", &save))) {
        char *eq = strchr(tok, '=');
        if (!eq || !is_name(tok, (size_t)(eq - tok)) || k->n >= TUNE_MAX_PARAMS)
            return 0;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(eq + 1, &end, 10);
        if (errno || end == eq + 1 || *end || eq[1] == '-' || v > 1u << 30)
            return 0;
        snprintf(k->names[k->n], TUNE_NAME_LEN, "%.*s", (int)(eq - tok), tok);
        k->values[k->n++] = (size_t)v;
    }
    return k->n > 0;
}

pcnn_status tune_parse(const char *text, const char *path, const char *device, const char *driver, tune_set *t)
{
    memset(t, 0, sizeof *t);
    char *copy = strdup(text);
    if (!copy)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory reading %s", path);
    int line_no = 0, have_device = 0, have_driver = 0;
    pcnn_status st = PCNN_OK;
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line && !st; line = strtok_r(NULL, "\n", &save)) {
        line_no++;
        if (line[0] == '#' || line[0] == '\0')
            continue;
        if (strncmp(line, "device=", 7) == 0) {
            have_device = strcmp(line + 7, device) == 0;
            if (!have_device)
                st = pcnn_fail(PCNN_ERR_FORMAT, "%s: made for device '%s', not '%s'", path, line + 7, device);
        } else if (strncmp(line, "driver=", 7) == 0) {
            have_driver = strcmp(line + 7, driver) == 0;
            if (!have_driver)
                st = pcnn_fail(PCNN_ERR_FORMAT, "%s: made for driver '%s', not '%s'", path, line + 7, driver);
        } else if (t->n >= TUNE_MAX_KERNELS || !parse_kernel_line(line, &t->kernels[t->n])) {
            st = pcnn_fail(PCNN_ERR_FORMAT, "%s:%d: expected 'Kernel NAME=VALUE ...'", path, line_no);
        } else {
            t->n++;
        }
    }
    if (!st && (!have_device || !have_driver))
        st = pcnn_fail(PCNN_ERR_FORMAT, "%s: no %s line", path, have_device ? "driver=" : "device=");
    free(copy);
    if (st)
        memset(t, 0, sizeof *t);
    return st;
}

pcnn_status tune_save(const char *path, const tune_set *t, const char *device, const char *driver)
{
    char *text = tune_format(t, device, driver);
    if (!text)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory writing %s", path);
    atomic_file af;
    pcnn_status st = atomic_file_open(&af, path);
    if (!st)
        st = atomic_file_write(&af, text, strlen(text));
    if (!st)
        st = atomic_file_commit(&af);
    else
        atomic_file_abort(&af);
    free(text);
    return st;
}

pcnn_status tune_load(const char *path, const char *device, const char *driver, tune_set *t, int *found)
{
    memset(t, 0, sizeof *t);
    *found = access(path, F_OK) == 0;
    if (!*found)
        return PCNN_OK;
    unsigned char *bytes = NULL;
    size_t size = 0;
    pcnn_status st = read_whole_file(path, &bytes, &size);
    if (!st && strlen((const char *)bytes) != size)
        st = pcnn_fail(PCNN_ERR_FORMAT, "%s: not a text file", path);
    if (!st)
        st = tune_parse((const char *)bytes, path, device, driver, t);
    free(bytes);
    return st;
}
