/* The CIFAR-10 binary reader: data_batch_1..5.bin and test_batch.bin. */
#ifndef PCNN_DATA_CIFAR10_H
#define PCNN_DATA_CIFAR10_H

#include "pcnn/data.h"

pcnn_status cifar10_load_dir(const char *dir, pcnn_split split, pcnn_dataset *out);

#endif
