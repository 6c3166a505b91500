/* The dataset readers behind pcnn_dataset_load (host/io/io_data.c dispatches). */
#ifndef PCNN_DATA_INTERNAL_H
#define PCNN_DATA_INTERNAL_H

#include "pcnn/data.h"

/* host/io/io_data_idx.c: one IDX images file, plain or gzipped; labels_path (may be
 * NULL) is checked when it exists. */
pcnn_status idx_load(const char *images_path, const char *labels_path, pcnn_dataset *out);
/* host/io/io_data_idx.c: mnist:DIR layout (train-* / t10k-*). */
pcnn_status mnist_load_dir(const char *dir, pcnn_split split, pcnn_dataset *out);

/* host/io/io_data_cifar10.c */
pcnn_status cifar10_load_dir(const char *dir, pcnn_split split, pcnn_dataset *out);

/* host/io/io_data.c: appends b's images to a (same image size); frees b. */
pcnn_status dataset_append(pcnn_dataset *a, pcnn_dataset *b, const char *name);

/* 1 if path names an existing regular file. */
int file_exists(const char *path);

#endif
