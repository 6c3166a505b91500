/* A development aid for the OpenCL backend: with the device option `profile`
 * (PCNN_CL_PROFILE=1 in the CLI) every
 * command is waited for and its wall time added to a table by name (kernel,
 * "clblast NN", "copy"), sent to the device's log when the backend is destroyed.
 * Waiting after each command serialises the queue, so the totals are a little
 * above a normal run's; they show where the time goes and how many launches a
 * step makes. Off (the default) it costs one branch per command. */
#ifndef PCNN_CL_PROFILE_H
#define PCNN_CL_PROFILE_H

#include <CL/cl.h>

#include "pcnn/error.h"

enum { CL_PROFILE_NAMES = 48 };

typedef struct {
    int on;
    int n;
    struct {
        char name[40];
        double seconds;
        long calls;
    } e[CL_PROFILE_NAMES];
} cl_profile;

/* Before a command: waits for the queue, returns the time (0 when off). */
double cl_profile_begin(const cl_profile *p, cl_command_queue q);
/* After it: waits for it and adds its time under `name`. */
void cl_profile_end(cl_profile *p, cl_command_queue q, const char *name, double t0);
/* The table, largest total first (nothing when off or empty). */
void cl_profile_print(const cl_profile *p, const char *device, const pcnn_log *log);

#endif
