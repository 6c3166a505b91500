/* The golden whole-model cases and a loader shared by the model tests. */
#ifndef PCNN_TEST_MODEL_CASES_H
#define PCNN_TEST_MODEL_CASES_H

#include "pcnn/model.h"
#include "pcnn/weights_dir.h"
#include "test_util.h"

static const char *const model_cases[] = {"model_tiny_rgb", "model_tiny_gray"};

/* Loads golden/model/<name>'s weights onto dev and its images. */
static inline pcnn_model *load_model_case(pcnn_device *dev, const char *name, pcnn_array *images)
{
    char rel[256];
    snprintf(rel, sizeof rel, "golden/model/%s", name);
    pcnn_model *m = NULL;
    if (pcnn_weights_dir_load(dev, test_data_path(rel), &m) != PCNN_OK)
        fail_msg("cannot load %s: %s", rel, pcnn_last_error());
    snprintf(rel, sizeof rel, "golden/model/%s/images.npy", name);
    test_load_npy(rel, images);
    return m;
}

#endif
