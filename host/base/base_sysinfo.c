/* Machine facts for benchmark reports: see base_sysinfo.h. */
#include "base/base_sysinfo.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#ifndef PCNN_VERSION
#define PCNN_VERSION "unknown"
#endif
#ifndef PCNN_CLBLAST_VERSION
#define PCNN_CLBLAST_VERSION "none"
#endif

void sysinfo_load_average(double out[3])
{
    if (getloadavg(out, 3) != 3)
        out[0] = out[1] = out[2] = -1.0;
}

void sysinfo_get(sysinfo *s)
{
    memset(s, 0, sizeof *s);
    sysinfo_load_average(s->load_before);
    s->load_after[0] = s->load_after[1] = s->load_after[2] = -1.0;
    snprintf(s->cpu_model, sizeof s->cpu_model, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0 && strchr(line, ':')) {
            const char *v = strchr(line, ':') + 1;
            while (*v == ' ')
                v++;
            snprintf(s->cpu_model, sizeof s->cpu_model, "%.*s", (int)strcspn(v, "\n"), v);
            break;
        }
    }
    if (f)
        fclose(f);
    s->cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    s->memory_bytes = sysinfo_memory_bytes();
    snprintf(s->openblas, sizeof s->openblas, "%s", openblas_get_config());
    snprintf(s->clblast, sizeof s->clblast, "%s", PCNN_CLBLAST_VERSION);
    snprintf(s->pcnn, sizeof s->pcnn, "%s", PCNN_VERSION);
}

uint64_t sysinfo_memory_bytes(void) { return (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE); }

long sysinfo_rss_peak_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    if (kib >= 0)
        return kib;
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

/* Writing 5 to clear_refs resets VmHWM (Linux >= 4.0), so each device's peak is its own. */
int sysinfo_rss_peak_reset(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f)
        return 0;
    int ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok;
}
