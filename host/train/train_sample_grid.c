/* Sample grids during training: the fast sampler (host/sample/sample.c) drawing into
 * a PNG under the run directory. */
#include "train/train_sample_grid.h"

#include <stdio.h>
#include <stdlib.h>

#include "pcnn/sample.h"
#include "train/train_run_dir.h"

pcnn_status write_sample_grid(pcnn_model *m, const char *run_dir, long step, int n, uint64_t seed, int scale,
                              volatile sig_atomic_t *stop, char **path_out)
{
    if (path_out)
        *path_out = NULL;
    char name[64];
    snprintf(name, sizeof name, "samples/step_%07ld.png", step);
    char *path = run_dir_path(run_dir, name);
    if (!path)
        return PCNN_ERR_MEMORY;
    pcnn_status st = pcnn_sample_grid_stoppable(m, n, seed, scale, stop, path);
    if (!st && path_out)
        *path_out = path;
    else
        free(path);
    return st;
}
