/* The order in which training visits the images: a fresh permutation each
 * epoch, a pure function of (seed, epoch), so a resume recomputes exactly the
 * order the interrupted run was following. */
#ifndef PCNN_SHUFFLE_H
#define PCNN_SHUFFLE_H

#include <stddef.h>
#include <stdint.h>

/* order[0..n) = a permutation of 0..n-1: Fisher-Yates driven by an rng_stream
 * keyed by `seed` whose counter starts at epoch << 40 (epochs never share
 * random words while n < 2^39). */
void shuffle_epoch_order(uint32_t *order, size_t n, uint64_t seed, uint64_t epoch);

#endif
