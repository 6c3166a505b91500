/* libFuzzer target: the dataset readers (IDX images and labels, CIFAR-10
 * batches, .npy images) must refuse or accept any bytes without crashing,
 * and what they accept must fit in what they were given. The first byte
 * picks the reader; the rest is the file. */
#include <stdint.h>
#include <stdlib.h>

#include "pcnn/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *file = data + 1;
    size_t n = size - 1, labels;
    pcnn_dataset d;
    pcnn_status st = PCNN_OK;
    switch (data[0] % 4) {
    case 0: st = pcnn_idx_images_parse(file, n, "fuzz-images", &d); break;
    case 1:
        if (pcnn_idx_labels_parse(file, n, "fuzz-labels", &labels) == PCNN_OK && labels > n)
            abort();
        return 0;
    case 2: st = pcnn_cifar10_parse(file, n, "fuzz-cifar", &d); break;
    default: st = pcnn_npy_images_parse(file, n, "fuzz.npy", &d); break;
    }
    if (st == PCNN_OK) {
        /* Every image byte came from the file (CIFAR adds one label byte per image). */
        if (d.n == 0 || d.n * pcnn_dataset_image_bytes(&d) > n)
            abort();
        pcnn_dataset_free(&d);
    }
    return 0;
}
