/* The one clock pcnn-cl measures with: monotonic seconds (never jumps with
 * the wall clock), for step times, ETAs, timeouts and benchmarks. */
#ifndef PCNN_BASE_CLOCK_H
#define PCNN_BASE_CLOCK_H

#include <time.h>

static inline double clock_now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#endif
