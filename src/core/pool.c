/* pool.c - the worker threads of pool.h: one pool for the process, started on first use.
 * A task is published as one atomic word (a counter and the number of threads taking
 * part); workers spin on it for a while, then sleep on a condition variable. */
#define _DEFAULT_SOURCE /* sched_yield, pthread_atfork with strict C11 */
#include "pool.h"

#ifdef MG_HAVE_OPENMP

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ __volatile__("yield" ::: "memory")
#else
#define CPU_RELAX() ((void)0)
#endif

#define WORD_NT 0xffffu /* the low 16 bits of the word: threads taking part */

static struct {
    pthread_mutex_t busy; /* held by the thread whose task runs */
    pthread_mutex_t mu;   /* with cv: where idle workers sleep */
    pthread_cond_t cv;
    _Atomic uint64_t word;   /* task counter << 16 | threads taking part (caller included) */
    _Atomic int pending;     /* workers of the current task still running */
    _Atomic int sleepers;    /* workers asleep on cv, or about to be */
    mg__pool_task task;      /* the current task: read by the workers that take part */
    void *arg;
    int nt;                  /* its thread count */
    int nworkers;            /* workers started: thread numbers 1 .. nworkers */
    uint64_t start[MG__POOL_MAX]; /* the word when worker t was started */
} pool = {.busy = PTHREAD_MUTEX_INITIALIZER, .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static long elapsed_ns(const struct timespec *t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)(t.tv_sec - t0->tv_sec) * 1000000000L + (t.tv_nsec - t0->tv_nsec);
}

/* The next word after `seen`: spinning for MG__POOL_SPIN_NS, then asleep. A publisher
 * stores the word, then wakes sleepers if it sees any; a worker counts itself a sleeper,
 * then reads the word: with both in sequentially consistent order, either the publisher
 * sees the sleeper or the worker sees the word. */
static uint64_t next_word(uint64_t seen) {
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t w;
    for (unsigned k = 1;; k++) {
        if ((w = atomic_load_explicit(&pool.word, memory_order_acquire)) != seen) return w;
        CPU_RELAX();
        if (k % 64 == 0 && elapsed_ns(&t0) > MG__POOL_SPIN_NS) break;
    }
    pthread_mutex_lock(&pool.mu);
    atomic_fetch_add(&pool.sleepers, 1);
    while ((w = atomic_load(&pool.word)) == seen) pthread_cond_wait(&pool.cv, &pool.mu);
    atomic_fetch_sub(&pool.sleepers, 1);
    pthread_mutex_unlock(&pool.mu);
    return w;
}

static void *worker(void *p) {
    int t = (int)(intptr_t)p;
    uint64_t seen = pool.start[t];
    for (;;) {
        seen = next_word(seen);
        if (t < (int)(seen & WORD_NT)) {
            pool.task(pool.arg, t, pool.nt);
            atomic_fetch_sub_explicit(&pool.pending, 1, memory_order_release);
        }
    }
    return NULL;
}

/* A forked child has the calling thread only: it starts over with no workers. */
static void after_fork_child(void) {
    pthread_mutex_init(&pool.busy, NULL);
    pthread_mutex_init(&pool.mu, NULL);
    pthread_cond_init(&pool.cv, NULL);
    atomic_store(&pool.pending, 0);
    atomic_store(&pool.sleepers, 0);
    pool.nworkers = 0;
}

static void register_fork(void) { pthread_atfork(NULL, NULL, after_fork_child); }

/* Starts workers up to thread number n - 1 (they block every signal, so the program's
 * handlers run on its own threads); returns how many there are. */
static int start_workers(int n) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    if (pool.nworkers >= n - 1) return pool.nworkers;
    pthread_once(&once, register_fork);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t attr;
    int ok = pthread_attr_init(&attr) == 0;
    if (ok) pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    while (ok && pool.nworkers < n - 1) {
        int t = pool.nworkers + 1;
        pthread_t id;
        pool.start[t] = atomic_load(&pool.word);
        if (pthread_create(&id, &attr, worker, (void *)(intptr_t)t) != 0) break;
        pool.nworkers = t;
    }
    if (ok) pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return pool.nworkers;
}

void mg__pool_run(int nt, mg__pool_task task, void *arg) {
    if (nt > MG__POOL_MAX) nt = MG__POOL_MAX;
    if (nt <= 1 || pthread_mutex_trylock(&pool.busy) != 0) {
        for (int t = 0; t < (nt < 1 ? 1 : nt); t++) task(arg, t, nt < 1 ? 1 : nt);
        return;
    }
    int np = start_workers(nt) + 1;
    if (np > nt) np = nt;
    if (np > 1) {
        pool.task = task, pool.arg = arg, pool.nt = nt;
        atomic_store_explicit(&pool.pending, np - 1, memory_order_relaxed);
        uint64_t w = atomic_load_explicit(&pool.word, memory_order_relaxed);
        atomic_store(&pool.word, ((w >> 16) + 1) << 16 | (uint64_t)np);
        if (atomic_load(&pool.sleepers) > 0) {
            pthread_mutex_lock(&pool.mu);
            pthread_cond_broadcast(&pool.cv);
            pthread_mutex_unlock(&pool.mu);
        }
    }
    task(arg, 0, nt);
    for (int t = np; t < nt; t++) task(arg, t, nt); /* workers that could not start */
    /* The workers run; on a busy machine one may have lost its core: give ours up. */
    for (unsigned k = 0; atomic_load_explicit(&pool.pending, memory_order_acquire) > 0; k++) {
        if (k < 4096) CPU_RELAX();
        else sched_yield();
    }
    pthread_mutex_unlock(&pool.busy);
}

#else /* no threads in this build */

void mg__pool_run(int nt, mg__pool_task task, void *arg) {
    if (nt < 1) nt = 1;
    for (int t = 0; t < nt; t++) task(arg, t, nt);
}

#endif
