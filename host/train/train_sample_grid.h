/* The training job's periodic sample grids: <run-dir>/samples/step_NNNNNNN.png. */
#ifndef PCNN_SAMPLE_GRID_H
#define PCNN_SAMPLE_GRID_H

#include "pcnn/model.h"

/* Draws `n` images from the model with the fast sampler (seed `seed`) and
 * writes them as a PNG grid, each pixel a scale x scale block (0: at least 64
 * pixels per image side); *path_out (malloc'd, may be NULL) names the file. */
pcnn_status write_sample_grid(pcnn_model *m, const char *run_dir, long step, int n, uint64_t seed, int scale,
                              char **path_out);

#endif
