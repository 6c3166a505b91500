/* The IDX reader (MNIST, Fashion-MNIST): one images file, plain or gzipped. */
#ifndef PCNN_DATA_IDX_H
#define PCNN_DATA_IDX_H

#include "pcnn/data.h"

/* One IDX images file; labels_path (may be NULL) is checked when it exists. */
pcnn_status idx_load(const char *images_path, const char *labels_path, pcnn_dataset *out);
/* The mnist:DIR layout (train-* / t10k-*, .gz or plain). */
pcnn_status mnist_load_dir(const char *dir, pcnn_split split, pcnn_dataset *out);

#endif
