/* The CPU backend's persistent team: see cpu_team.h.
 *
 * A run is an epoch. The caller publishes the loop in slot[epoch % 2], then
 * sets `claim` = epoch << 32 (the next task 0) and `wake` = epoch. Threads
 * claim tasks by compare-and-swap on `claim`, so a thread that wakes late,
 * after its epoch has ended, sees another epoch and claims nothing (it can
 * never take a task of a later run with a stale loop: that slot is rewritten
 * only two epochs on, and the swap checks the epoch). The caller waits on the
 * count of finished tasks, never on the threads.
 *
 * On a shared machine the caller also watches what the team is worth: over a
 * window of WINDOW_NS it adds up the time it spent running tasks, the time it
 * then waited for tasks held by other threads, and who ran how many. When it
 * waited longer than the other threads saved it (a worker descheduled in the
 * middle of a task holds the whole loop until the OS runs it again), the next
 * SINGLE_WINDOWS windows run every loop on the caller alone, then one window
 * tries the team again. Results do not change: they never depend on which
 * thread runs a task. And while the process is being preempted (its count of
 * involuntary context switches grew by 2 or more during the last window)
 * waiting threads spin SPIN_BUSY_NS, not SPIN_NS, before they sleep: spinning
 * then only burns the share of the CPU the OS gives us. */
#include "cpu/cpu_team.h"

#include <limits.h>
#include <linux/futex.h>
#include <omp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { MAX_THREADS = 64 };

/* How long a waiting thread spins before it sleeps: long enough to catch the
 * next loop of a step without a wake-up (tens of microseconds in a VM), short
 * enough that a machine shared with other work loses little to it. */
static const long SPIN_NS = 100 * 1000, SPIN_BUSY_NS = 5 * 1000;
static const long WINDOW_NS = 20 * 1000 * 1000;
enum { SINGLE_WINDOWS = 10 };

/* The caller's accounts over the current window (see the top of this file). */
typedef struct {
    long start, busy, stall; /* ns */
    long tasks, caller_tasks;
    long involuntary; /* getrusage's ru_nivcsw at the window's start */
} team_window;

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
    atomic_long spin_ns; /* how long waiting threads spin before they sleep */
    int single_left;     /* windows still to run on the caller alone */
    team_window window;
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

static long involuntary_switches(void)
{
    struct rusage u;
    return getrusage(RUSAGE_SELF, &u) ? 0 : u.ru_nivcsw;
}

/* Closes the window once WINDOW_NS have passed: whether the next windows run
 * on the caller alone, and how long waiting threads spin. */
static void window_tick(cpu_team *t, long now)
{
    team_window *w = &t->window;
    if (now - w->start < WINDOW_NS)
        return;
    if (t->single_left > 0)
        t->single_left--;
    else if (w->tasks > w->caller_tasks || w->stall > 0) {
        /* what the other threads' tasks would have cost the caller */
        double saved = w->caller_tasks
                           ? (double)w->busy * (double)(w->tasks - w->caller_tasks) / (double)w->caller_tasks
                           : (double)w->stall;
        /* (and only for a wait worth the switch: a twentieth of a window) */
        if ((double)w->stall > saved && w->stall > WINDOW_NS / 20)
            t->single_left = SINGLE_WINDOWS;
    }
    long inv = involuntary_switches();
    atomic_store_explicit(&t->spin_ns, inv - w->involuntary >= 2 ? SPIN_BUSY_NS : SPIN_NS, memory_order_relaxed);
    *w = (team_window){.start = now, .involuntary = inv};
}

/* Claims and runs tasks of epoch e until none are left; returns how many it ran. */
static int run_tasks(cpu_team *t, uint32_t e, int thread)
{
    team_loop *l = &t->loop[e & 1];
    cpu_task_fn fn = atomic_load_explicit(&l->fn, memory_order_acquire);
    void *ctx = atomic_load_explicit(&l->ctx, memory_order_acquire);
    int tasks = atomic_load_explicit(&l->tasks, memory_order_acquire);
    if (thread >= atomic_load_explicit(&l->threads, memory_order_acquire))
        return 0;
    uint64_t c = atomic_load(&t->claim);
    for (int ran = 0;;) {
        if ((uint32_t)(c >> 32) != e || (int)(uint32_t)c >= tasks)
            return ran;
        if (!atomic_compare_exchange_weak(&t->claim, &c, c + 1))
            continue; /* c now holds the current value */
        ran++;
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
                if ((i & 255) == 255 && now_ns() - start > atomic_load_explicit(&t->spin_ns, memory_order_relaxed)) {
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

cpu_team *cpu_team_create(void)
{
    cpu_team *t = calloc(1, sizeof(cpu_team));
    if (t) {
        atomic_init(&t->spin_ns, SPIN_NS);
        t->window = (team_window){.start = now_ns(), .involuntary = involuntary_switches()};
    }
    return t;
}

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
    long start = 0;
    if (t && threads > 1 && tasks > 1 && !inside_task) {
        window_tick(t, start = now_ns());
        threads = t->single_left ? 1 : start_workers(t, threads);
    }
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
    int mine = run_tasks(t, e, 0);
    long ran = now_ns(), spin = atomic_load_explicit(&t->spin_ns, memory_order_relaxed);
    for (int i = 0; atomic_load(&l->done) != tasks; i++) {
        cpu_relax();
        if ((i & 255) == 255 && now_ns() - ran > spin) {
            atomic_store(&t->caller_sleeping, 1);
            int d = atomic_load(&l->done);
            if (d != tasks)
                futex_wait(&l->done, (unsigned)d);
            atomic_store(&t->caller_sleeping, 0);
        }
    }
    team_window *w = &t->window;
    w->busy += ran - start;
    w->stall += now_ns() - ran;
    w->tasks += tasks;
    w->caller_tasks += mine;
}
