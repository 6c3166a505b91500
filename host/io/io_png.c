/* PNG files through stb_image_write, into memory first so the file itself is
 * written atomically (see io_file.h). */
#include "io/io_png.h"

#include <math.h>
#include <stb_image_write.h> /* Debian's libstb holds the implementation */
#include <stdlib.h>
#include <string.h>

#include "io/io_file.h"

typedef struct {
    atomic_file *af;
    pcnn_status status;
} png_sink;

static void sink_write(void *ctx, void *data, int size)
{
    png_sink *s = ctx;
    if (s->status == PCNN_OK)
        s->status = atomic_file_write(s->af, data, (size_t)size);
}

pcnn_status png_write_to(atomic_file *af, const uint8_t *pixels, int width, int height, int channels)
{
    if (width < 1 || height < 1 || channels < 1 || channels > 4)
        return pcnn_fail(PCNN_ERR_ARG, "%s: cannot write a %dx%dx%d PNG", af->path, width, height, channels);
    png_sink sink = {af, PCNN_OK};
    if (!stbi_write_png_to_func(sink_write, &sink, width, height, channels, pixels, width * channels) &&
        sink.status == PCNN_OK)
        sink.status = pcnn_fail(PCNN_ERR_MEMORY, "%s: PNG encoding failed", af->path);
    return sink.status;
}

pcnn_status png_write(const char *path, const uint8_t *pixels, int width, int height, int channels)
{
    atomic_file af;
    pcnn_status st = atomic_file_open(&af, path);
    if (st)
        return st;
    if ((st = png_write_to(&af, pixels, width, height, channels))) {
        atomic_file_abort(&af);
        return st;
    }
    return atomic_file_commit(&af);
}

uint8_t *image_grid(const uint8_t *images, size_t n, int h, int w, int c, int cols, uint8_t gap_value,
                    int *grid_h, int *grid_w)
{
    int rows = (int)((n + (size_t)cols - 1) / (size_t)cols);
    *grid_h = rows * (h + 1) - 1;
    *grid_w = cols * (w + 1) - 1;
    size_t bytes = (size_t)*grid_h * *grid_w * c;
    uint8_t *grid = malloc(bytes ? bytes : 1);
    if (!grid) {
        pcnn_fail(PCNN_ERR_MEMORY, "out of memory laying out %zu images", n);
        return NULL;
    }
    memset(grid, gap_value, bytes);
    for (size_t i = 0; i < n; i++) {
        int gy = (int)(i / (size_t)cols) * (h + 1), gx = (int)(i % (size_t)cols) * (w + 1);
        for (int y = 0; y < h; y++)
            memcpy(grid + ((size_t)(gy + y) * *grid_w + gx) * c, images + ((i * h + y) * w) * c, (size_t)w * c);
    }
    return grid;
}

int png_grid_auto_scale(int h, int w)
{
    int side = h < w ? h : w;
    return side >= PNG_GRID_MIN_SIDE || side < 1 ? 1 : (PNG_GRID_MIN_SIDE + side - 1) / side;
}

/* [h, w, c] -> [h*s, w*s, c], each pixel an s x s block. */
static uint8_t *upscale(const uint8_t *src, int h, int w, int c, int s)
{
    size_t row = (size_t)w * s * c;
    uint8_t *dst = malloc((size_t)h * s * row);
    if (!dst) {
        pcnn_fail(PCNN_ERR_MEMORY, "out of memory scaling a %dx%d grid by %d", w, h, s);
        return NULL;
    }
    for (int y = 0; y < h; y++) {
        uint8_t *out = dst + (size_t)y * s * row;
        for (int x = 0; x < w; x++)
            for (int k = 0; k < s; k++)
                memcpy(out + ((size_t)x * s + k) * c, src + ((size_t)y * w + x) * c, (size_t)c);
        for (int k = 1; k < s; k++)
            memcpy(out + k * row, out, row);
    }
    return dst;
}

pcnn_status png_write_grid_to(atomic_file *af, const uint8_t *images, size_t n, int h, int w, int c, int scale)
{
    if (n == 0)
        return pcnn_fail(PCNN_ERR_ARG, "%s: no images to draw", af->path);
    if (scale <= 0)
        scale = png_grid_auto_scale(h, w);
    int cols = (int)ceil(sqrt((double)n)), gh, gw;
    double rows = ceil((double)n / cols);
    if ((double)scale * (cols * (w + 1.0)) > 65535 || (double)scale * (rows * (h + 1.0)) > 65535)
        return pcnn_fail(PCNN_ERR_ARG,
                         "%s: a grid of %zu %dx%d images at --scale %d is over 65535 pixels a side: "
                         "lower --scale or --n",
                         af->path, n, h, w, scale);
    uint8_t *grid = image_grid(images, n, h, w, c, cols, 255, &gh, &gw);
    if (!grid)
        return PCNN_ERR_MEMORY;
    uint8_t *big = scale > 1 ? upscale(grid, gh, gw, c, scale) : grid;
    pcnn_status st = big ? png_write_to(af, big, gw * scale, gh * scale, c) : PCNN_ERR_MEMORY;
    if (big != grid)
        free(big);
    free(grid);
    return st;
}

pcnn_status png_write_grid(const char *path, const uint8_t *images, size_t n, int h, int w, int c, int scale)
{
    atomic_file af;
    pcnn_status st = atomic_file_open(&af, path);
    if (st)
        return st;
    if ((st = png_write_grid_to(&af, images, n, h, w, c, scale))) {
        atomic_file_abort(&af);
        return st;
    }
    return atomic_file_commit(&af);
}
