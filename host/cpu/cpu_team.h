/* The CPU backend's threads: one persistent team that runs every parallel
 * loop of a step, handing out tasks one at a time.
 *
 * Why not an OpenMP parallel region per loop: each region ends in a barrier,
 * and on a shared machine the thread that waits there for a descheduled one
 * spins away its time slice (a step ran at 0.30 of its quiet speed with one
 * competing process). Here tasks are claimed dynamically, so a thread that
 * gets no CPU holds back at most the task it is on; the caller waits only for
 * tasks that were claimed, never for a thread that has not started; and a
 * waiting thread spins briefly, then sleeps in the kernel (futex). When the
 * caller waits for other threads longer than they save it (they are being
 * descheduled), loops run on the caller alone for a while; while the process
 * is being preempted, waiting threads sleep after a few microseconds.
 *
 * Determinism: a task must compute the same values whichever thread runs it
 * (thread is only for choosing per-thread scratch), so results never depend on
 * the thread count. The team's size follows omp_get_max_threads() of the
 * calling thread (OMP_NUM_THREADS, omp_set_num_threads). */
#ifndef PCNN_CPU_TEAM_H
#define PCNN_CPU_TEAM_H

typedef struct cpu_team cpu_team;

/* Runs task `task` of a loop; `thread` is in [0, cpu_team_size()). */
typedef void (*cpu_task_fn)(void *ctx, int task, int thread);

/* NULL when out of memory (the caller then runs its loops on one thread). */
cpu_team *cpu_team_create(void);
void cpu_team_free(cpu_team *team);

/* The threads a run started now may use (at least 1): size per-thread scratch by it. */
int cpu_team_size(const cpu_team *team);

/* fn(ctx, i, thread) for every i in [0, tasks), each exactly once, on the
 * calling thread and the team's; returns when all have finished. A NULL team,
 * one thread, or a call from inside a task runs them in order on the caller. */
void cpu_team_run(cpu_team *team, int tasks, cpu_task_fn fn, void *ctx);

#endif
