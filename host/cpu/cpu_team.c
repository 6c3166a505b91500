/* The CPU backend's persistent team: see cpu_team.h.
 *
 * A run is an epoch. The caller publishes the loop in slot[epoch % 2], then
 * sets `claim` = epoch << 32 (the next task 0) and `wake` = epoch. Threads
 * claim tasks by compare-and-swap on `claim`, so a thread that wakes late,
 * after its epoch has ended, sees another epoch and claims nothing (it can
 * never take a task of a later run with a stale loop: that slot is rewritten
 * only two epochs on, and the swap checks the epoch). The caller waits on the
 * count of finished tasks, never on the threads. */
#include "cpu/cpu_team.h"

#include <limits.h>
#include <linux/futex.h>
#include <omp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { MAX_THREADS = 64 };

/* How long a waiting thread spins before it sleeps: long enough to catch the
 * next loop of a step without a wake-up (tens of microseconds in a VM), short
 * enough that a machine shared with other work loses little to it. */
static const long SPIN_NS = 100 * 1000;

typedef struct {
    _Atomic(cpu_task_fn) fn;
    _Atomic(void *) ctx;
    atomic_int tasks, threads;
    atomic_int done; /* finished tasks; the caller's futex word */
} team_loop;

struct cpu_team {
    pthread_t thread[MAX_THREADS];
    int started;        /* worker threads running (thread indices 1..started) */
    uint32_t epoch;     /* the caller's count of runs */
    _Atomic uint64_t claim; /* epoch << 32 | next task */
    atomic_uint wake;   /* the latest epoch: the workers' futex word */
    atomic_int sleepers;
    atomic_int caller_sleeping;
    atomic_int quit;
    team_loop loop[2];
};

typedef struct {
    cpu_team *team;
    int index;
} worker_arg;

static _Thread_local int inside_task;

static void futex_wait(void *word, unsigned value)
{
    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, value, NULL, NULL, 0);
}

static void futex_wake_all(void *word) { syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0); }

static long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Claims and runs tasks of epoch e until none are left. */
static void run_tasks(cpu_team *t, uint32_t e, int thread)
{
    team_loop *l = &t->loop[e & 1];
    cpu_task_fn fn = atomic_load_explicit(&l->fn, memory_order_acquire);
    void *ctx = atomic_load_explicit(&l->ctx, memory_order_acquire);
    int tasks = atomic_load_explicit(&l->tasks, memory_order_acquire);
    if (thread >= atomic_load_explicit(&l->threads, memory_order_acquire))
        return;
    uint64_t c = atomic_load(&t->claim);
    for (;;) {
        if ((uint32_t)(c >> 32) != e || (int)(uint32_t)c >= tasks)
            return;
        if (!atomic_compare_exchange_weak(&t->claim, &c, c + 1))
            continue; /* c now holds the current value */
        inside_task = 1;
        fn(ctx, (int)(uint32_t)c, thread);
        inside_task = 0;
        if (atomic_fetch_add(&l->done, 1) + 1 == tasks && atomic_load(&t->caller_sleeping))
            futex_wake_all(&l->done);
        c = atomic_load(&t->claim);
    }
}

static void *worker_main(void *p)
{
    worker_arg a = *(worker_arg *)p;
    free(p);
    cpu_team *t = a.team;
    unsigned seen = atomic_load(&t->wake);
    for (;;) {
        unsigned e = atomic_load(&t->wake);
        if (e == seen) {
            long start = now_ns();
            for (int i = 0; (e = atomic_load(&t->wake)) == seen; i++) {
                cpu_relax();
                if ((i & 255) == 255 && now_ns() - start > SPIN_NS) {
                    atomic_fetch_add(&t->sleepers, 1);
                    if ((e = atomic_load(&t->wake)) == seen && !atomic_load(&t->quit))
                        futex_wait(&t->wake, seen);
                    atomic_fetch_sub(&t->sleepers, 1);
                    start = now_ns();
                }
                if (atomic_load(&t->quit))
                    return NULL;
            }
        }
        if (atomic_load(&t->quit))
            return NULL;
        seen = e;
        run_tasks(t, e, a.index);
    }
}

cpu_team *cpu_team_create(void) { return calloc(1, sizeof(cpu_team)); }

void cpu_team_free(cpu_team *t)
{
    if (!t)
        return;
    atomic_store(&t->quit, 1);
    atomic_fetch_add(&t->wake, 1);
    futex_wake_all(&t->wake);
    for (int i = 0; i < t->started; i++)
        pthread_join(t->thread[i], NULL);
    free(t);
}

int cpu_team_size(const cpu_team *t)
{
    int n = omp_get_max_threads();
    return !t || n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : n;
}

/* Starts workers up to index threads - 1; returns how many threads can run. */
static int start_workers(cpu_team *t, int threads)
{
    while (t->started < threads - 1) {
        worker_arg *a = malloc(sizeof *a);
        if (!a)
            break;
        *a = (worker_arg){t, t->started + 1};
        if (pthread_create(&t->thread[t->started], NULL, worker_main, a)) {
            free(a);
            break;
        }
        t->started++;
    }
    return t->started + 1 < threads ? t->started + 1 : threads;
}

void cpu_team_run(cpu_team *t, int tasks, cpu_task_fn fn, void *ctx)
{
    int threads = cpu_team_size(t);
    if (t && threads > 1 && tasks > 1 && !inside_task)
        threads = start_workers(t, threads);
    if (!t || threads <= 1 || tasks <= 1 || inside_task) {
        int outer = inside_task;
        inside_task = 1;
        for (int i = 0; i < tasks; i++)
            fn(ctx, i, 0);
        inside_task = outer;
        return;
    }
    uint32_t e = ++t->epoch;
    team_loop *l = &t->loop[e & 1];
    atomic_store(&l->fn, fn);
    atomic_store(&l->ctx, ctx);
    atomic_store(&l->tasks, tasks);
    atomic_store(&l->threads, threads);
    atomic_store(&l->done, 0);
    atomic_store(&t->claim, (uint64_t)e << 32);
    atomic_store(&t->wake, e);
    if (atomic_load(&t->sleepers))
        futex_wake_all(&t->wake);
    run_tasks(t, e, 0);
    long start = now_ns();
    for (int i = 0; atomic_load(&l->done) != tasks; i++) {
        cpu_relax();
        if ((i & 255) == 255 && now_ns() - start > SPIN_NS) {
            atomic_store(&t->caller_sleeping, 1);
            int d = atomic_load(&l->done);
            if (d != tasks)
                futex_wait(&l->done, (unsigned)d);
            atomic_store(&t->caller_sleeping, 0);
        }
    }
}
