/* pcnn-cl devices: the devices --device accepts, one line each: index,
 * backend, platform, name, type, vendor, driver, compute units, global memory
 * and largest allocation. Says why there is no OpenCL device when there is none. */
#include <stdio.h>

#include "cli/cli_commands.h"

static void print_mib(uint64_t bytes)
{
    if (bytes)
        printf("%10.0f", (double)bytes / (1 << 20));
    else
        printf("%10s", "-");
}

int cmd_devices(const cli_context *ctx, int argc, char **argv)
{
    (void)ctx;
    int rc = cli_parse("devices", "", NULL, 0, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    const char *why = NULL;
    int n = pcnn_device_count(&why);
    printf("%-5s %-7s %-28s %-36s %-6s %-20s %-12s %5s %10s %10s\n", "index", "backend", "platform", "device", "type",
           "vendor", "driver", "units", "mem_MiB", "alloc_MiB");
    for (int i = 0; i < n; i++) {
        pcnn_device_info d;
        pcnn_status st = pcnn_device_describe(i, &d);
        if (st) {
            cli_report_error();
            return cli_exit_code(st);
        }
        printf("%-5d %-7s %-28.28s %-36.36s %-6s %-20.20s %-12.12s ", d.index, d.backend, d.platform, d.name, d.type,
               d.vendor, d.driver);
        if (d.compute_units)
            printf("%5d ", d.compute_units);
        else
            printf("%5s ", "-");
        print_mib(d.global_mem);
        printf(" ");
        print_mib(d.max_alloc);
        printf("\n");
    }
    if (n == 1)
        printf("no OpenCL device: %s\n", why);
    return 0;
}
