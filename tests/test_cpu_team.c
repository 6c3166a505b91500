/* The CPU backend's thread team on a shared machine (host/cpu/cpu_team.c):
 * when a worker holds its tasks far longer than the caller (as a worker the
 * OS has descheduled does), the team stops waiting for it and runs the next
 * loops on the caller alone; later it tries the worker again. Every task
 * runs exactly once throughout. */
#include <omp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "cpu/cpu_team.h"
#include "test_util.h"

enum { TASKS = 16 };

typedef struct {
    atomic_int count[TASKS];
    atomic_int worker_ran;
    int slow_worker;
} job;

static long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

/* The caller's tasks compute for 50 us; a slow worker's task takes 3 ms (a
 * descheduled thread), a fast one's 50 us. */
static void task(void *ctx, int i, int thread)
{
    job *j = ctx;
    atomic_fetch_add(&j->count[i], 1);
    if (thread != 0) {
        atomic_store(&j->worker_ran, 1);
        if (j->slow_worker) {
            nanosleep(&(struct timespec){0, 3000000}, NULL);
            return;
        }
    }
    for (long t0 = now_ns(); now_ns() - t0 < 50000;)
        ;
}

/* One run; returns whether a worker ran any of its tasks. */
static int run_once(cpu_team *team, job *j)
{
    for (int i = 0; i < TASKS; i++)
        atomic_store(&j->count[i], 0);
    atomic_store(&j->worker_ran, 0);
    cpu_team_run(team, TASKS, task, j);
    for (int i = 0; i < TASKS; i++)
        assert_int_equal(atomic_load(&j->count[i]), 1);
    return atomic_load(&j->worker_ran);
}

static void test_team_stops_waiting_for_a_slow_worker(void **state)
{
    (void)state;
    omp_set_num_threads(2);
    cpu_team *team = cpu_team_create();
    assert_non_null(team);
    assert_int_equal(cpu_team_size(team), 2);
    job j = {.slow_worker = 1};
    /* 20 runs in a row on the caller alone: with the worker in them every
     * run takes 3 ms and the worker is woken for each. */
    int alone = 0, runs = 0;
    for (; runs < 400 && alone < 20; runs++)
        alone = run_once(team, &j) ? 0 : alone + 1;
    print_message("slow worker: %d runs until 20 in a row ran on the caller alone\n", runs);
    assert_int_equal(alone, 20);
    /* The worker is fast again: the team takes it back within a few windows. */
    j.slow_worker = 0;
    int back = 0;
    long t0 = now_ns();
    for (runs = 0; !back && now_ns() - t0 < 3000000000L; runs++)
        back = run_once(team, &j);
    print_message("fast worker: back after %d runs, %.0f ms\n", runs, (double)(now_ns() - t0) / 1e6);
    assert_true(back);
    cpu_team_free(team);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_team_stops_waiting_for_a_slow_worker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
