/* A pool of worker threads: n threads in all, the caller's plus n - 1 workers
 * that wait between tasks (pool.c says how: a bounded spin, then a sleep).
 * Used by GPT-2's contexts (one pool each) and by the Python module's batch
 * calls. A pool is used by one caller at a time. */
#ifndef LMP_CORE_POOL_H
#define LMP_CORE_POOL_H

#include "lmprob/core.h"

typedef struct tpool tpool;
typedef void (*tpool_task_fn)(void *arg, int tid, int nth);
/* n threads in all: the caller's plus n - 1 workers (an error if one cannot be started). */
lmp_status tpool_create(int n, tpool **out, lmp_error *err);
/* Stops and joins the workers; NULL is fine. */
void tpool_free(tpool *p);
/* Run fn(arg, tid, n) on every thread (the caller is tid 0); return when all are done. */
void tpool_run(tpool *p, tpool_task_fn fn, void *arg);
/* Inside a task: wait until every thread of the pool reaches the barrier. */
void tpool_barrier(tpool *p);
int tpool_size(const tpool *p);

/* Two halves of one job on two threads, for the n-gram pipeline's 2-way splits (counting, adjusting,
 * linking, writing ARPA): fn(a) on this thread and fn(b) on a thread started for it, joined before the
 * return. b NULL: fn(a) only. A thread that cannot be started is no error: fn(b) runs here after fn(a). */
void run_pair(void *(*fn)(void *), void *a, void *b);

#endif
