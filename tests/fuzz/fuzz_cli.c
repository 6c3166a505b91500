/* libFuzzer target: the command-line flag parser. The input is split at NUL
 * bytes into argv; every outcome must be a parse, --help or a usage error.
 * (tools/fuzz.sh passes -close_fd_mask=3: the parser prints usage errors.) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    char *argv[64];
    int argc = 0;
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = 0;
    for (size_t i = 0; i <= size && argc < 64;) {
        argv[argc++] = buf + i;
        i += strlen(buf + i) + 1;
    }
    const char *name = NULL;
    int batch = 16, flag = 0;
    long steps = 0;
    double lr = 1e-3;
    cli_flag flags[] = {
        {"--name", FLAG_STRING, &name, "a string", 0, 0, 0, 0},
        {"--batch", FLAG_INT, &batch, "an int", 1, 65536, 1, 0},
        {"--steps", FLAG_LONG, &steps, "a long", 0, 1e15, 0, 0},
        {"--lr", FLAG_DOUBLE, &lr, "a double", 0, 10, 0, 0},
        {"--flag", FLAG_SWITCH, &flag, "a switch", 0, 0, 0, 0},
    };
    int rc = cli_parse("fuzz", "[flags]", flags, 5, argc, argv);
    if (rc != 0 && rc != -1 && rc != EXIT_USAGE)
        abort();
    if (rc == 0 && (batch < 1 || batch > 65536 || lr < 0 || lr > 10))
        abort(); /* accepted a value outside its range */
    if (rc == 0 && name && !*name)
        abort(); /* accepted an empty value */
    free(buf);
    return 0;
}
