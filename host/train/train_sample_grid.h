/* The training job's periodic sample grids: <run-dir>/samples/step_NNNNNNN.png. */
#ifndef PCNN_SAMPLE_GRID_H
#define PCNN_SAMPLE_GRID_H

#include <signal.h>

#include "pcnn/model.h"

/* Draws `n` images from the model with the fast sampler (seed `seed`) and
 * writes them as a PNG grid, each pixel a scale x scale block (0: at least 64
 * pixels per image side); *path_out (malloc'd, may be NULL) names the file.
 * Once *stop is set (polled at every position; may be NULL) it gives up:
 * PCNN_ERR_STOPPED, nothing written. */
pcnn_status write_sample_grid(pcnn_model *m, const char *run_dir, long step, int n, uint64_t seed, int scale,
                              volatile sig_atomic_t *stop, char **path_out);

#endif
