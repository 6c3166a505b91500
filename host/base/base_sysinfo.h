/* What a benchmark report says about the machine it ran on: CPU model,
 * cores, memory, the process's peak resident memory, library versions. */
#ifndef PCNN_SYSINFO_H
#define PCNN_SYSINFO_H

#include <stdint.h>

typedef struct {
    char cpu_model[128];
    int cores;
    uint64_t memory_bytes;
    char openblas[160];
    char clblast[32];
    char pcnn[32];
    /* The 1, 5 and 15 minute load averages when sysinfo_get ran and when the
     * measuring ended (sysinfo_load_average); -1 where unknown. A figure taken
     * while other work loads the machine is not a quiet-machine figure. */
    double load_before[3], load_after[3];
} sysinfo;

void sysinfo_get(sysinfo *s);

/* The 1, 5 and 15 minute load averages (-1 each if unknown). */
void sysinfo_load_average(double out[3]);

/* The machine's physical memory in bytes. */
uint64_t sysinfo_memory_bytes(void);

/* Peak resident set size in KiB (VmHWM, else ru_maxrss). */
long sysinfo_rss_peak_kib(void);
/* Resets the peak to the current RSS (/proc/self/clear_refs); 0 if it cannot. */
int sysinfo_rss_peak_reset(void);

#endif
