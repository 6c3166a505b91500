/* Model configuration: presets, validation, and the key=value text form used by
 * config.txt in weights directories and inside checkpoints. */
#include "pcnn/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    int hidden_dim, out_dim, n_layers;
} preset;

/* paper: 15 layers, 2h = 2*43*3 = 258 (about 256), output layers 342*3 = 1026
 * (about 1024) wide; seed: the blog's config.yml. */
static const preset presets[] = {
    {"tiny", 4, 8, 2},
    {"small", 16, 32, 5},
    {"paper", 43, 342, 15},
    {"seed", 128, 1024, 15},
};

const char *const pcnn_preset_names[] = {"tiny", "small", "paper", "seed", NULL};

pcnn_status pcnn_config_preset(const char *name, pcnn_config *cfg)
{
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (strcmp(presets[i].name, name) == 0) {
            cfg->hidden_dim = presets[i].hidden_dim;
            cfg->out_dim = presets[i].out_dim;
            cfg->n_layers = presets[i].n_layers;
            return PCNN_OK;
        }
    return pcnn_fail(PCNN_ERR_ARG, "--preset: unknown preset '%s' (expected tiny, small, paper or seed)", name);
}

pcnn_status pcnn_config_validate(const pcnn_config *c)
{
    if (c->channels != 1 && c->channels != 3)
        return pcnn_fail(PCNN_ERR_ARG, "channels must be 1 or 3, got %d", c->channels);
    if (c->hidden_dim < 1 || c->hidden_dim > 65536)
        return pcnn_fail(PCNN_ERR_ARG, "hidden_dim must be in 1..65536, got %d", c->hidden_dim);
    if (c->out_dim < 1 || c->out_dim > 65536)
        return pcnn_fail(PCNN_ERR_ARG, "out_dim must be in 1..65536, got %d", c->out_dim);
    if (c->n_layers < 0 || c->n_layers > 1000)
        return pcnn_fail(PCNN_ERR_ARG, "n_layers must be in 0..1000, got %d", c->n_layers);
    if (c->height < 1 || c->width < 1 || c->height > 65536 || c->width > 65536)
        return pcnn_fail(PCNN_ERR_ARG, "image size %dx%d out of range (1..65536)", c->height, c->width);
    return PCNN_OK;
}

static int parse_int(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    while (*end == ' ' || *end == '\t' || *end == '\r')
        end++;
    if (errno || end == s || *end || v < -2147483647L || v > 2147483647L)
        return 0;
    *out = (int)v;
    return 1;
}

pcnn_status pcnn_config_parse(const char *text, const char *name, pcnn_config *cfg)
{
    struct {
        const char *key;
        int *field;
        int seen;
    } keys[] = {
        {"hidden_dim", &cfg->hidden_dim, 0}, {"out_dim", &cfg->out_dim, 0}, {"n_layers", &cfg->n_layers, 0},
        {"channels", &cfg->channels, 0},     {"height", &cfg->height, 0},   {"width", &cfg->width, 0},
    };
    enum { NKEYS = sizeof keys / sizeof keys[0] };
    int line_no = 0;
    const char *p = text;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        line_no++;
        char line[256];
        if (len >= sizeof line)
            return pcnn_fail(PCNN_ERR_FORMAT, "%s:%d: line too long", name, line_no);
        memcpy(line, p, len);
        line[len] = 0;
        p += len + (eol ? 1 : 0);
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == 0 || *s == '#' || *s == '\r')
            continue;
        char *eq = strchr(s, '=');
        if (!eq)
            return pcnn_fail(PCNN_ERR_FORMAT, "%s:%d: expected key=value", name, line_no);
        *eq = 0;
        for (char *k = eq - 1; k >= s && (*k == ' ' || *k == '\t'); k--)
            *k = 0;
        int value;
        if (!parse_int(eq + 1, &value))
            return pcnn_fail(PCNN_ERR_FORMAT, "%s:%d: '%s' needs an integer value", name, line_no, s);
        if (strcmp(s, "batch") == 0)
            continue;
        int known = 0;
        for (int k = 0; k < NKEYS; k++)
            if (strcmp(s, keys[k].key) == 0) {
                *keys[k].field = value;
                keys[k].seen = known = 1;
            }
        if (!known)
            return pcnn_fail(PCNN_ERR_FORMAT, "%s:%d: unknown key '%s'", name, line_no, s);
    }
    for (int k = 0; k < NKEYS; k++)
        if (!keys[k].seen)
            return pcnn_fail(PCNN_ERR_FORMAT, "%s: missing key '%s'", name, keys[k].key);
    if (pcnn_config_validate(cfg)) { /* a bad value in a file: the file is wrong, not the command line */
        char why[512];
        snprintf(why, sizeof why, "%s", pcnn_last_error());
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: %s", name, why);
    }
    return PCNN_OK;
}

int pcnn_config_format(const pcnn_config *c, char *buf, size_t size)
{
    return snprintf(buf, size, "hidden_dim=%d\nout_dim=%d\nn_layers=%d\nchannels=%d\nheight=%d\nwidth=%d\n",
                    c->hidden_dim, c->out_dim, c->n_layers, c->channels, c->height, c->width);
}
