/* Per-command timing of the OpenCL backend: see cl_profile.h. */
#include "opencl/cl_profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_clock.h"

double cl_profile_begin(const cl_profile *p, cl_command_queue q)
{
    if (!p->on)
        return 0.0;
    clFinish(q);
    return clock_now_s();
}

void cl_profile_end(cl_profile *p, cl_command_queue q, const char *name, double t0)
{
    if (!p->on)
        return;
    clFinish(q);
    double s = clock_now_s() - t0;
    int i = 0;
    while (i < p->n && strcmp(p->e[i].name, name) != 0)
        i++;
    if (i == p->n) {
        if (p->n == CL_PROFILE_NAMES)
            return;
        snprintf(p->e[p->n++].name, sizeof p->e[0].name, "%s", name);
    }
    p->e[i].seconds += s;
    p->e[i].calls++;
}

void cl_profile_print(const cl_profile *p, const char *device, const pcnn_log *log)
{
    if (!p->on || p->n == 0)
        return;
    int order[CL_PROFILE_NAMES];
    double total = 0.0;
    long calls = 0;
    for (int i = 0; i < p->n; i++) {
        order[i] = i;
        total += p->e[i].seconds;
        calls += p->e[i].calls;
    }
    for (int i = 1; i < p->n; i++) /* insertion sort, largest first */
        for (int j = i; j > 0 && p->e[order[j]].seconds > p->e[order[j - 1]].seconds; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    pcnn_log_printf(log, "OpenCL profile %s: %.3f s in %ld commands", device, total, calls);
    for (int k = 0; k < p->n; k++) {
        int i = order[k];
        pcnn_log_printf(log, "  %-32s %9.4f s %5.1f%% %7ld calls %9.1f us/call", p->e[i].name, p->e[i].seconds,
                        100.0 * p->e[i].seconds / total, p->e[i].calls, 1e6 * p->e[i].seconds / (double)p->e[i].calls);
    }
}
