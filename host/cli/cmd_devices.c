/* pcnn-cl devices [--json]: the devices --device accepts. One line each
 * (index, backend, type, compute units, global memory, largest allocation
 * and the full name, never cut), then an indented line with the platform,
 * vendor and driver; device 0 shows the machine's cores and memory. --json
 * prints the same as a JSON array. Says why there is no OpenCL device when
 * there is none. */
#include <stdio.h>

#include "base/base_sysinfo.h"
#include "cli/cli_commands.h"

static void print_mib(uint64_t bytes)
{
    if (bytes)
        printf(" %10.0f", (double)bytes / (1 << 20));
    else
        printf(" %10s", "-");
}

/* A JSON string with the specials escaped. */
static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void json_device(const pcnn_device_info *d, int first)
{
    printf("%s\n  {\"index\": %d, \"backend\": ", first ? "" : ",", d->index);
    json_str(d->backend);
    printf(", \"name\": ");
    json_str(d->name);
    printf(", \"type\": ");
    json_str(d->type);
    printf(", \"platform\": ");
    json_str(d->platform);
    printf(", \"vendor\": ");
    json_str(d->vendor);
    printf(", \"driver\": ");
    json_str(d->driver);
    printf(", \"compute_units\": %d, \"global_mem_bytes\": %llu, \"max_alloc_bytes\": %llu}", d->compute_units,
           (unsigned long long)d->global_mem, (unsigned long long)d->max_alloc);
}

int cmd_devices(const cli_context *ctx, int argc, char **argv)
{
    (void)ctx;
    int json = 0;
    cli_flag flags[] = {
        {"--json", FLAG_SWITCH, &json, "print the devices as a JSON array (every field, names in full)", 0, 0, 0, 0},
    };
    int rc = cli_parse("devices", "[--json]", flags, 1, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    const char *why = NULL;
    int n = pcnn_device_count(&why);
    sysinfo sys;
    sysinfo_get(&sys);
    if (json)
        printf("[");
    else
        printf("%-5s %-7s %-6s %5s %10s %10s  %s\n", "index", "backend", "type", "units", "mem_MiB", "alloc_MiB",
               "device");
    for (int i = 0; i < n; i++) {
        pcnn_device_info d;
        pcnn_status st = pcnn_device_describe(i, &d);
        if (st) {
            cli_report_error();
            return cli_exit_code(st);
        }
        if (i == 0) { /* the native backend runs on the whole machine */
            if (!d.compute_units)
                d.compute_units = sys.cores;
            if (!d.global_mem)
                d.global_mem = sys.memory_bytes;
            if (d.vendor[0] == '-' || !d.vendor[0])
                snprintf(d.vendor, sizeof d.vendor, "%s", sys.cpu_model);
        }
        if (json) {
            json_device(&d, i == 0);
            continue;
        }
        printf("%-5d %-7s %-6s ", d.index, d.backend, d.type);
        if (d.compute_units)
            printf("%5d", d.compute_units);
        else
            printf("%5s", "-");
        print_mib(d.global_mem);
        print_mib(d.max_alloc);
        printf("  %s\n", d.name);
        printf("      platform: %s; vendor: %s; driver: %s%s\n", d.platform, d.vendor, d.driver,
               i == 0 ? " (units: cores; mem: the machine's memory)" : "");
    }
    if (json)
        printf("\n]\n");
    else if (n == 1)
        printf("no OpenCL device: %s\n", why);
    return 0;
}
