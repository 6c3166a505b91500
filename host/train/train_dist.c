/* Data-parallel training over MPI: see train_dist.h. Built without PCNN_MPI (or run
 * outside mpirun) every function is the world-of-one identity. */
#include "train/train_dist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base_clock.h"
#include "base/base_try.h"

#ifdef PCNN_MPI
#include <mpi.h>
#endif

struct dist {
    int rank, size, local_rank;
    double timeout_s;
    int mpi; /* MPI_Init was called by us */
    float *host; /* staging buffer for the flat gradient */
    size_t host_n;
};

pcnn_status dist_init(int *argc, char ***argv, int launched, double timeout_s, dist **out)
{
    dist *d = calloc(1, sizeof *d);
    if (!d)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory");
    d->size = 1;
    d->timeout_s = timeout_s;
#ifdef PCNN_MPI
    /* Only join MPI when launched by a process manager: a plain run stays a
     * plain program (no MPI start-up cost, no singleton daemon). */
    if (launched) {
        int provided;
        if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
            free(d);
            return pcnn_fail(PCNN_ERR_DEVICE, "MPI_Init failed");
        }
        d->mpi = 1;
        MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
        MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
        MPI_Comm_size(MPI_COMM_WORLD, &d->size);
        MPI_Comm local;
        MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, d->rank, MPI_INFO_NULL, &local);
        MPI_Comm_rank(local, &d->local_rank);
        MPI_Comm_free(&local);
    }
#else
    (void)argc;
    (void)argv;
    (void)launched;
#endif
    *out = d;
    return PCNN_OK;
}

void dist_finalize(dist *d)
{
    if (!d)
        return;
#ifdef PCNN_MPI
    if (d->mpi)
        MPI_Finalize();
#endif
    free(d->host);
    free(d);
}

void dist_abort(dist *d, int code)
{
#ifdef PCNN_MPI
    if (d && d->mpi && d->size > 1)
        MPI_Abort(MPI_COMM_WORLD, code);
#else
    (void)d;
    (void)code;
#endif
}

int dist_rank(const dist *d) { return d->rank; }
int dist_size(const dist *d) { return d->size; }
int dist_local_rank(const dist *d) { return d->local_rank; }

void dist_share(const dist *d, size_t n, size_t *begin, size_t *end)
{
    *begin = n * (size_t)d->rank / (size_t)d->size;
    *end = n * (size_t)(d->rank + 1) / (size_t)d->size;
}

#ifdef PCNN_MPI
/* Waits for a nonblocking collective, at most timeout_s: a dead or hung rank
 * must stop the job with a message, never hang it. */
static pcnn_status wait_bounded(dist *d, MPI_Request *req, const char *what)
{
    double start = clock_now_s();
    for (;;) {
        int done = 0;
        if (MPI_Test(req, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS)
            return pcnn_fail(PCNN_ERR_DEVICE, "rank %d: %s failed: another rank has died", d->rank, what);
        if (done)
            return PCNN_OK;
        if (d->timeout_s > 0 && clock_now_s() - start > d->timeout_s)
            return pcnn_fail(PCNN_ERR_DEVICE, "rank %d: %s timed out after %.0f s: another rank has died or hangs",
                             d->rank, what, d->timeout_s);
        struct timespec nap = {0, 200000}; /* 0.2 ms: polling must not steal a core from the work */
        nanosleep(&nap, NULL);
    }
}
#endif

static pcnn_status stage(dist *d, size_t n)
{
    if (d->host_n >= n)
        return PCNN_OK;
    float *grown = realloc(d->host, n * sizeof(float));
    if (!grown)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory staging %zu gradients", n);
    d->host = grown;
    d->host_n = n;
    return PCNN_OK;
}

pcnn_status dist_broadcast_params(dist *d, pcnn_model *m)
{
    if (d->size == 1)
        return PCNN_OK;
#ifdef PCNN_MPI
    size_t n = pcnn_model_param_count(m);
    TRY(stage(d, n));
    if (d->rank == 0)
        TRY(pcnn_model_get_params(m, d->host));
    MPI_Request req;
    if (MPI_Ibcast(d->host, (int)n, MPI_FLOAT, 0, MPI_COMM_WORLD, &req) != MPI_SUCCESS)
        return pcnn_fail(PCNN_ERR_DEVICE, "rank %d: broadcast of the weights failed", d->rank);
    TRY(wait_bounded(d, &req, "broadcast of the weights"));
    return d->rank == 0 ? PCNN_OK : pcnn_model_set_params(m, d->host);
#else
    (void)m;
    return PCNN_OK;
#endif
}

pcnn_status dist_sum(dist *d, double *values, int n)
{
    if (d->size == 1)
        return PCNN_OK;
#ifdef PCNN_MPI
    MPI_Request req;
    if (MPI_Iallreduce(MPI_IN_PLACE, values, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD, &req) != MPI_SUCCESS)
        return pcnn_fail(PCNN_ERR_DEVICE, "rank %d: allreduce failed", d->rank);
    return wait_bounded(d, &req, "allreduce of the losses");
#else
    (void)values;
    (void)n;
    return PCNN_OK;
#endif
}

pcnn_status dist_allreduce_grads(dist *d, pcnn_model *m, double *loss_sum, size_t *count, double *seconds)
{
    double start = clock_now_s();
    if (seconds)
        *seconds = 0;
    if (d->size == 1)
        return PCNN_OK;
    /* Global totals first: each rank's gradient is of its own mean, so it is
     * weighted by its share of the global count before the sum. */
    double totals[2] = {*loss_sum, (double)*count};
    TRY(dist_sum(d, totals, 2));
    size_t n = pcnn_model_param_count(m);
    TRY(stage(d, n));
    TRY(pcnn_model_get_grads(m, d->host));
    float weight = (float)((double)*count / totals[1]);
    for (size_t i = 0; i < n; i++)
        d->host[i] *= weight;
#ifdef PCNN_MPI
    MPI_Request req;
    if (MPI_Iallreduce(MPI_IN_PLACE, d->host, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &req) != MPI_SUCCESS)
        return pcnn_fail(PCNN_ERR_DEVICE, "rank %d: allreduce of the gradients failed", d->rank);
    TRY(wait_bounded(d, &req, "allreduce of the gradients"));
#endif
    TRY(pcnn_model_set_grads(m, d->host));
    *loss_sum = totals[0];
    *count = (size_t)totals[1];
    if (seconds)
        *seconds = clock_now_s() - start;
    return PCNN_OK;
}

const char *dist_library_version(void)
{
#ifdef PCNN_MPI
    /* One of the calls MPI allows before MPI_Init. */
    static char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    if (!version[0] && MPI_Get_library_version(version, &len) == MPI_SUCCESS) {
        version[strcspn(version, ",\n")] = 0; /* "Open MPI v4.1.4, package: ..." -> "Open MPI v4.1.4" */
    }
    return version[0] ? version : "MPI (version unknown)";
#else
    return NULL;
#endif
}
