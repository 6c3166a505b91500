/* pcnn-cl masks --kernel K[xK2] --in F_IN --out F_OUT --mode A|B [--colours 1|3]
 * [--png FILE]: the mask the model uses, drawn as the seed's figure (a PNG) or
 * printed as a grid of 0/1 per (input colour, output colour) panel. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_commands.h"
#include "model/model_mask_picture.h"

/* "7" -> 7x7, "7x5" -> 7 rows by 5 columns; sides odd, 1..63. */
static int parse_kernel(const char *text, int *kh, int *kw)
{
    char *end;
    long h = strtol(text, &end, 10), w = h;
    if (end != text && (*end == 'x' || *end == 'X')) {
        const char *rest = end + 1;
        w = strtol(rest, &end, 10);
        if (end == rest)
            w = -1;
    }
    if (end == text || *end || h < 1 || w < 1 || h > 63 || w > 63) {
        fprintf(stderr, "pcnn-cl masks: --kernel expects K or KxK2 with sides in 1..63, got '%s'\n", text);
        return 0;
    }
    if (h % 2 == 0 || w % 2 == 0) {
        fprintf(stderr, "pcnn-cl masks: --kernel %s: sides must be odd (the centre is the present pixel)\n", text);
        return 0;
    }
    *kh = (int)h;
    *kw = (int)w;
    return 1;
}

int cmd_masks(const cli_context *ctx, int argc, char **argv)
{
    (void)ctx;
    const char *kernel = NULL, *mode = NULL, *png = NULL;
    int f_in = 0, f_out = 0, colours = 3;
    cli_flag flags[] = {
        {"--kernel", FLAG_STRING, &kernel, "kernel size K or KxK2 (rows x columns), odd sides", 0, 0, 1, 0},
        {"--in", FLAG_INT, &f_in, "input channels F_IN", 1, 65536, 1, 0},
        {"--out", FLAG_INT, &f_out, "output channels F_OUT", 1, 65536, 1, 0},
        {"--mode", FLAG_STRING, &mode, "A (first layer) or B (the others)", 0, 0, 1, 0},
        {"--colours", FLAG_INT, &colours, "colour channels, 1 or 3 (3)", 1, 3, 0, 0},
        {"--png", FLAG_STRING, &png, "draw the picture into this PNG instead of printing text", 0, 0, 0, 0},
    };
    int rc = cli_parse("masks", "--kernel K[xK2] --in F_IN --out F_OUT --mode A|B [--colours 1|3] [--png FILE]",
                       flags, 6, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    mask_picture_spec s = {.f_in = f_in, .f_out = f_out, .colours = colours};
    if (!parse_kernel(kernel, &s.kh, &s.kw))
        return EXIT_USAGE;
    if ((mode[0] != 'A' && mode[0] != 'B' && mode[0] != 'a' && mode[0] != 'b') || mode[1]) {
        fprintf(stderr, "pcnn-cl masks: --mode must be A or B, got '%s'\n", mode);
        return EXIT_USAGE;
    }
    s.mode = mode[0] == 'A' || mode[0] == 'a' ? PCNN_MASK_A : PCNN_MASK_B;
    if (colours != 1 && colours != 3) {
        fprintf(stderr, "pcnn-cl masks: --colours must be 1 or 3, got %d\n", colours);
        return EXIT_USAGE;
    }
    if (f_in % colours || f_out % colours) {
        fprintf(stderr, "pcnn-cl masks: --in %d and --out %d must be multiples of --colours %d\n", f_in, f_out,
                colours);
        return EXIT_USAGE;
    }
    if (mask_picture_check(&s)) {
        fprintf(stderr, "pcnn-cl masks: %s\n", pcnn_last_error());
        return EXIT_USAGE;
    }
    rc = cli_check_output("--png", png, 0);
    if (rc)
        return rc;
    pcnn_status st = png ? mask_picture_write_png(&s, png) : mask_picture_print(stdout, &s);
    if (st) {
        cli_report_error();
        return cli_exit_code(st);
    }
    if (png)
        printf("wrote mask %c for a %d x %d kernel (%d -> %d channels, %d colour%s) to %s\n", (char)s.mode, s.kh,
               s.kw, f_in, f_out, colours, colours > 1 ? "s" : "", png);
    return 0;
}
