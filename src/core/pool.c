/* A pool of n - 1 worker threads plus the caller (pool.h): a GPT-2 context's
 * (its first user, whose needs set the policy below) and the Python module's.
 *
 * A GPT-2 push is one task run by every thread, with barriers between the stages
 * of the forward pass (about 8 per layer). Decoding one token of GPT-2 124M
 * takes a few milliseconds, so a barrier must cost well under a microsecond
 * when the threads have their cores: waiting threads spin on an atomic (with
 * the CPU's pause hint). But a thread can also wait for one that the system
 * has descheduled (a busy machine, more threads than cores), and spinning
 * then burns the very time slice the other thread needs: so every wait spins
 * for a bounded time (SPIN_NS) and then sleeps on a condition variable until
 * the thread it waits for wakes it. Workers with no task spin longer
 * (IDLE_SPIN_NS: the next push usually follows at once) before they sleep, so
 * an idle context costs no CPU.
 *
 * The sleep/wake handshake (the same for the three waits): the waiter, under
 * the mutex, counts itself in `sleepers`, then re-reads the word it waits on
 * and sleeps only if it is unchanged; the waker changes the word, then reads
 * `sleepers` (both sequentially consistent, so one of them sees the other's
 * store) and, if anyone sleeps, broadcasts under the mutex, which it can only
 * take once the sleeper is inside pthread_cond_wait. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pool.h"

/* a wait inside a push: 50 us of spinning, then sleep (overridable at build
 * time only to measure the policy against pure spinning: docs/gpt2.md) */
#ifndef TPOOL_SPIN_NS
#define TPOOL_SPIN_NS 50000L
#endif
#define SPIN_NS TPOOL_SPIN_NS
#define IDLE_SPIN_NS 2000000L /* a worker between pushes: 2 ms */

struct tpool {
    int n;
    pthread_t *th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_int sleepers;   /* threads in (or entering) pthread_cond_wait */
    atomic_uint gen;       /* task generation: bumped once per run */
    atomic_uint done;      /* workers finished with the current task */
    atomic_uint bar_count; /* threads arrived at the current barrier */
    atomic_uint bar_gen;   /* barrier generation */
    int stop;              /* set before the last bump of gen */
    tpool_task_fn fn;
    void *arg;
};

typedef struct worker_arg {
    tpool *p;
    int tid;
} worker_arg;

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* Wait until *w != old: spin for spin_ns, then sleep until woken. */
static void wait_change(tpool *p, atomic_uint *w, unsigned old, long spin_ns)
{
    long t0 = 0;
    for (unsigned spins = 1;; spins++) {
        if (atomic_load_explicit(w, memory_order_acquire) != old) return;
        cpu_relax();
        if (spins % 256) continue;
        long t = now_ns();
        if (!t0) t0 = t;
        if (t - t0 >= spin_ns) break;
    }
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add(&p->sleepers, 1);
    while (atomic_load(w) == old) pthread_cond_wait(&p->cv, &p->mu);
    atomic_fetch_sub(&p->sleepers, 1);
    pthread_mutex_unlock(&p->mu);
}

/* After changing a word some thread may wait on: wake the sleepers. */
static void wake_all(tpool *p)
{
    if (atomic_load(&p->sleepers) == 0) return;
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static void *worker(void *v)
{
    worker_arg wa = *(worker_arg *)v;
    free(v);
    tpool *p = wa.p;
    unsigned seen = 0;
    for (;;) {
        wait_change(p, &p->gen, seen, IDLE_SPIN_NS);
        seen = atomic_load_explicit(&p->gen, memory_order_acquire);
        if (p->stop) break;
        p->fn(p->arg, wa.tid, p->n);
        /* the last worker to finish wakes the caller if it sleeps */
        atomic_fetch_add(&p->done, 1);
        wake_all(p);
    }
    return NULL;
}

lmp_status tpool_create(int n, tpool **out, lmp_error *err)
{
    *out = NULL;
    if (n < 1) n = 1;
    tpool *p = calloc(1, sizeof *p);
    if (!p) return lmp_error_set(err, LMP_ENOMEM, "out of memory for a thread pool");
    p->n = 1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->th = calloc((size_t)n, sizeof *p->th);
    if (!p->th) {
        tpool_free(p);
        return lmp_error_set(err, LMP_ENOMEM, "out of memory for a thread pool");
    }
    for (int i = 1; i < n; i++) {
        worker_arg *wa = malloc(sizeof *wa);
        int rc = wa ? 0 : ENOMEM;
        if (wa) {
            wa->p = p;
            wa->tid = i;
            rc = pthread_create(&p->th[i], NULL, worker, wa);
            if (rc) free(wa);
        }
        if (rc) {
            tpool_free(p); /* joins the p->n - 1 workers started so far */
            return lmp_error_set(err, rc == ENOMEM ? LMP_ENOMEM : LMP_EIO, "cannot start thread %d of %d: %s", i + 1,
                                 n, strerror(rc));
        }
        p->n = i + 1;
    }
    *out = p;
    return LMP_OK;
}

void tpool_free(tpool *p)
{
    if (!p) return;
    if (p->n > 1) {
        p->stop = 1;
        atomic_fetch_add(&p->gen, 1); /* publishes stop */
        wake_all(p);
        for (int i = 1; i < p->n; i++) pthread_join(p->th[i], NULL);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->th);
    free(p);
}

int tpool_size(const tpool *p) { return p->n; }

void tpool_run(tpool *p, tpool_task_fn fn, void *arg)
{
    if (p->n == 1) {
        fn(arg, 0, 1);
        return;
    }
    p->fn = fn;
    p->arg = arg;
    atomic_store_explicit(&p->done, 0, memory_order_relaxed);
    atomic_fetch_add(&p->gen, 1);
    wake_all(p);
    fn(arg, 0, p->n);
    unsigned d;
    while ((d = atomic_load_explicit(&p->done, memory_order_acquire)) != (unsigned)p->n - 1)
        wait_change(p, &p->done, d, SPIN_NS);
}

void tpool_barrier(tpool *p)
{
    if (p->n == 1) return;
    unsigned g = atomic_load_explicit(&p->bar_gen, memory_order_acquire);
    if (atomic_fetch_add_explicit(&p->bar_count, 1, memory_order_acq_rel) == (unsigned)p->n - 1) {
        atomic_store_explicit(&p->bar_count, 0, memory_order_relaxed);
        atomic_fetch_add(&p->bar_gen, 1);
        wake_all(p);
        return;
    }
    wait_change(p, &p->bar_gen, g, SPIN_NS);
}

void run_pair(void *(*fn)(void *), void *a, void *b)
{
    pthread_t th;
    const int threaded = b && pthread_create(&th, NULL, fn, b) == 0;
    fn(a);
    if (threaded) pthread_join(th, NULL);
    else if (b) fn(b);
}
