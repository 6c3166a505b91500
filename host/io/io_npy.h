/* The .npy writer's inside, for writers of several files at once (pcnn/npy.h
 * is the public face). */
#ifndef PCNN_IO_NPY_H
#define PCNN_IO_NPY_H

#include "io/io_file.h"
#include "pcnn/npy.h"

/* Writes the whole .npy file of a into an open atomic file (not committed). */
pcnn_status npy_write_to(atomic_file *af, const pcnn_array *a);

#endif
