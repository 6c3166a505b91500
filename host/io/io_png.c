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

pcnn_status png_write_grid_to(atomic_file *af, const uint8_t *images, size_t n, int h, int w, int c)
{
    if (n == 0)
        return pcnn_fail(PCNN_ERR_ARG, "%s: no images to draw", af->path);
    int cols = (int)ceil(sqrt((double)n)), gh, gw;
    uint8_t *grid = image_grid(images, n, h, w, c, cols, 255, &gh, &gw);
    if (!grid)
        return PCNN_ERR_MEMORY;
    pcnn_status st = png_write_to(af, grid, gw, gh, c);
    free(grid);
    return st;
}

pcnn_status png_write_grid(const char *path, const uint8_t *images, size_t n, int h, int w, int c)
{
    atomic_file af;
    pcnn_status st = atomic_file_open(&af, path);
    if (st)
        return st;
    if ((st = png_write_grid_to(&af, images, n, h, w, c))) {
        atomic_file_abort(&af);
        return st;
    }
    return atomic_file_commit(&af);
}
