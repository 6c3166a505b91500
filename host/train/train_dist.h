/* Data-parallel training across processes (MPI): one process drives one
 * device; rank 0 broadcasts the initial weights; each rank computes gradients
 * on its share of every global batch; one MPI_Allreduce over the flat gradient
 * buffer (staged through host memory) sums them, weighted so the result is the
 * gradient of the global batch's mean loss; every rank then applies the same
 * optimiser step. Without MPI (or outside mpirun) this is a world of one. */
#ifndef PCNN_DIST_H
#define PCNN_DIST_H

#include <stddef.h>

#include "pcnn/model.h"

typedef struct dist dist;

/* Joins the job: MPI_Init when built with MPI and `launched` (the process
 * manager's environment is there: mpirun), else a world of one. `timeout_s`
 * bounds every collective: a rank that dies or hangs stops the whole job with
 * a message instead of hanging it (0: no bound). */
/* The MPI library compiled in ("Open MPI v4.1.4"), or NULL without MPI
 * (pcnn-cl --version). Needs no dist_init. */
const char *dist_library_version(void);

pcnn_status dist_init(int *argc, char ***argv, int launched, double timeout_s, dist **out);
void dist_finalize(dist *d);

int dist_rank(const dist *d);
int dist_size(const dist *d);
/* The local rank on this machine (for choosing a device), or dist_rank. */
int dist_local_rank(const dist *d);

/* This rank's share [*begin, *end) of n items split as evenly as possible. */
void dist_share(const dist *d, size_t n, size_t *begin, size_t *end);

/* Copies rank 0's weights to every rank. */
pcnn_status dist_broadcast_params(dist *d, pcnn_model *m);

/* In: the model holds the gradient of this rank's mean loss over `count`
 * sub-pixels, and *loss_sum their summed loss. Out: the model holds the
 * gradient of the mean loss over all ranks' sub-pixels, *loss_sum and *count
 * the global sums. `seconds` (optional) receives the time spent communicating. */
pcnn_status dist_allreduce_grads(dist *d, pcnn_model *m, double *loss_sum, size_t *count, double *seconds);

/* Ends every rank of the job at once (after a failure on this one, the
 * others would wait in a collective). No-op in a world of one. */
void dist_abort(dist *d, int code);

/* Sums a few doubles over all ranks (eval results). */
pcnn_status dist_sum(dist *d, double *values, int n);

#endif
