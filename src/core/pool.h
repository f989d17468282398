/* pool.h - the library's own worker threads, for the compiled replay and the optimisers:
 * a fork-join of a task over nt threads, the caller being thread 0. Not installed.
 *
 * Why not OpenMP's: an OpenMP worker busy-waits for its next region for as long as the
 * runtime's spin count says (libgomp: 300,000 spins, 3.4 ms on the machine of the
 * performance analysis), longer than a training step, so a second core was held at 100%
 * between steps and while the caller did anything else, and only an environment variable
 * read at program start (OMP_WAIT_POLICY, GOMP_SPINCOUNT) changed that, for the whole
 * program. These workers spin for at most MG__POOL_SPIN_NS after their last task (the
 * serial gap inside a training step, between the replay and the optimiser, is shorter),
 * then sleep on a condition variable until the next task.
 *
 * A task is split by its thread number t alone and must not wait for another thread
 * (no barrier inside a task: two phases are two tasks): when the pool is busy (another
 * thread of the program is running a task, or a task starts one) the caller runs t = 0,
 * 1, ..., nt-1 itself, one after the other, with the same results. Without threads in the
 * build (MG_HAVE_OPENMP undefined: the threads feature) every task runs that way. */
#ifndef MG_CORE_POOL_H
#define MG_CORE_POOL_H

#include <stddef.h>

/* Spinning time of an idle worker before it sleeps. */
#define MG__POOL_SPIN_NS 100000L
/* Most threads a task runs on (the caller included). */
#define MG__POOL_MAX 64

typedef void (*mg__pool_task)(void *arg, int t, int nt);

/* Runs task(arg, t, nt) for t = 0 .. nt-1 (nt clamped to 1 .. MG__POOL_MAX), t = 0 on the
 * calling thread, and returns when every one has returned. Starts workers the first time
 * they are needed; if a worker cannot be started, the caller runs its share. */
void mg__pool_run(int nt, mg__pool_task task, void *arg);

#endif
