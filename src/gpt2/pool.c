/* The thread pool of a GPT-2 context: n - 1 workers plus the caller.
 *
 * A push is one task run by every thread, with barriers between the stages
 * of the forward pass (about 5 per layer). Decoding one token of GPT-2 124M
 * takes a few milliseconds, so a barrier must cost well under a microsecond:
 * threads spin on atomics (with the CPU's pause hint) while a push runs, and
 * workers keep spinning for a while after it (the next push usually follows
 * at once) before they sleep on a condition variable, so that an idle context
 * costs no CPU. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gpt2_internal.h"

/* Workers that have seen no task for this long go to sleep. */
#define IDLE_SPIN_NS 2000000L

struct gpt2_pool {
    int n;
    pthread_t *th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_uint gen;     /* task generation: bumped once per run */
    atomic_int done;     /* workers finished with the current task */
    int sleepers;        /* under mu */
    int stop;            /* under mu, and read after gen changes */
    gpt2_task_fn fn;
    void *arg;
    atomic_uint bar_count, bar_gen;
};

typedef struct worker_arg {
    gpt2_pool *p;
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

static void *worker(void *v)
{
    worker_arg wa = *(worker_arg *)v;
    free(v);
    gpt2_pool *p = wa.p;
    unsigned seen = 0;
    for (;;) {
        unsigned g;
        long t0 = 0;
        unsigned spins = 0;
        while ((g = atomic_load_explicit(&p->gen, memory_order_acquire)) == seen) {
            cpu_relax();
            if ((++spins & 1023) != 0) continue;
            long t = now_ns();
            if (!t0) t0 = t;
            if (t - t0 < IDLE_SPIN_NS) continue;
            pthread_mutex_lock(&p->mu);
            p->sleepers++;
            while (atomic_load_explicit(&p->gen, memory_order_acquire) == seen) pthread_cond_wait(&p->cv, &p->mu);
            p->sleepers--;
            pthread_mutex_unlock(&p->mu);
            t0 = 0;
        }
        seen = g;
        pthread_mutex_lock(&p->mu);
        int stop = p->stop;
        pthread_mutex_unlock(&p->mu);
        if (stop) break;
        p->fn(p->arg, wa.tid, p->n);
        atomic_fetch_add_explicit(&p->done, 1, memory_order_release);
    }
    return NULL;
}

static void wake(gpt2_pool *p)
{
    atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
    pthread_mutex_lock(&p->mu);
    if (p->sleepers) pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

lmp_status gpt2_pool_create(int n, gpt2_pool **out, lmp_error *err)
{
    *out = NULL;
    if (n < 1) n = 1;
    gpt2_pool *p = calloc(1, sizeof *p);
    if (!p) return lmp_error_set(err, LMP_ENOMEM, "out of memory for a thread pool");
    p->n = n;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->th = calloc((size_t)n, sizeof *p->th);
    if (!p->th) {
        gpt2_pool_free(p);
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
            p->n = i; /* the workers started so far are joined by free */
            gpt2_pool_free(p);
            return lmp_error_set(err, rc == ENOMEM ? LMP_ENOMEM : LMP_EIO, "cannot start thread %d of %d: %s", i + 1,
                                 n, strerror(rc));
        }
    }
    *out = p;
    return LMP_OK;
}

void gpt2_pool_free(gpt2_pool *p)
{
    if (!p) return;
    if (p->th && p->n > 1) {
        pthread_mutex_lock(&p->mu);
        p->stop = 1;
        pthread_mutex_unlock(&p->mu);
        wake(p);
        for (int i = 1; i < p->n; i++) pthread_join(p->th[i], NULL);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->th);
    free(p);
}

int gpt2_pool_size(const gpt2_pool *p) { return p->n; }

void gpt2_pool_run(gpt2_pool *p, gpt2_task_fn fn, void *arg)
{
    if (p->n == 1) {
        fn(arg, 0, 1);
        return;
    }
    p->fn = fn;
    p->arg = arg;
    atomic_store_explicit(&p->done, 0, memory_order_relaxed);
    wake(p);
    fn(arg, 0, p->n);
    unsigned spins = 0;
    while (atomic_load_explicit(&p->done, memory_order_acquire) != p->n - 1) {
        cpu_relax();
        if ((++spins & 4095) == 0) sched_yield(); /* a worker descheduled on a busy machine */
    }
}

void gpt2_pool_barrier(gpt2_pool *p)
{
    if (p->n == 1) return;
    unsigned g = atomic_load_explicit(&p->bar_gen, memory_order_acquire);
    if (atomic_fetch_add_explicit(&p->bar_count, 1, memory_order_acq_rel) == (unsigned)p->n - 1) {
        atomic_store_explicit(&p->bar_count, 0, memory_order_relaxed);
        atomic_fetch_add_explicit(&p->bar_gen, 1, memory_order_release);
        return;
    }
    unsigned spins = 0;
    while (atomic_load_explicit(&p->bar_gen, memory_order_acquire) == g) {
        cpu_relax();
        if ((++spins & 4095) == 0) sched_yield();
    }
}
