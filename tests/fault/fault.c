/* libfault.so: an allocation-failure injector for tests, loaded with LD_PRELOAD
 * (tests/fault/run.sh). Nothing in the library or the CLI knows about it: it
 * replaces malloc, calloc, realloc, reallocarray, aligned_alloc, posix_memalign
 * and memalign for the whole process (glibc routes its own allocations, those
 * of fopen or strdup, through the replacement too) and forwards to the next
 * definition, the C library's or AddressSanitizer's (then run with
 * ASAN_OPTIONS=verify_asan_link_order=0, so ASan and LSan still check every
 * block).
 *
 * Environment:
 *   LMP_FAULT_NTH=N      the N-th allocation call (1-based, counted from main on,
 *                        all threads) returns NULL with errno = ENOMEM; the others
 *                        succeed. 0 or unset: none fails.
 *   LMP_FAULT_TRACE=F    at exit, write to F one line per allocation call:
 *                        "index site", the site being "object+offset" of the
 *                        caller (stable across runs despite address-space
 *                        randomisation), so that a test can fail every distinct
 *                        call site at least once.
 *
 * Not counted: calls made inside pthread_getattr_np, which the sanitizer
 * runtimes call at every thread start and abort on when it fails (a limit of
 * ASan, not of lmprob: its CHECK "pthread_getattr_np(...) == 0").
 *
 * Bootstrap: dlsym itself may allocate before the real functions are known;
 * those few blocks come from a static arena and are never freed. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static void *(*real_aligned_alloc)(size_t, size_t);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_memalign)(size_t, size_t);

static _Alignas(16) unsigned char arena[1 << 16];
static size_t arena_used;
static int resolving, armed;
static unsigned long nth;
static unsigned long calls;
static _Thread_local int in_getattr; /* inside pthread_getattr_np: not counted */

enum { TRACE_CAP = 1 << 20 };
static void **trace;
static const char *trace_path;

static int from_arena(const void *p)
{
    return (const unsigned char *)p >= arena && (const unsigned char *)p < arena + sizeof arena;
}

static void *arena_alloc(size_t n)
{
    size_t at = (arena_used + 15) & ~(size_t)15;
    if (at + n > sizeof arena) return NULL;
    arena_used = at + n;
    return arena + at;
}

static void resolve(void)
{
    if (real_malloc || resolving) return;
    resolving = 1;
    real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    real_aligned_alloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "aligned_alloc");
    real_posix_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
    real_memalign = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "memalign");
    real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    resolving = 0;
}

/* 1 when this call must fail; records the call site when tracing. */
static int should_fail(void *site)
{
    if (!armed) return 0;
    if (in_getattr) return 0;
    unsigned long k = __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
    if (trace && k <= TRACE_CAP) trace[k - 1] = site;
    if (k == nth) {
        errno = ENOMEM;
        return 1;
    }
    return 0;
}

__attribute__((constructor)) static void fault_init(void)
{
    resolve();
    const char *n = getenv("LMP_FAULT_NTH");
    nth = n ? strtoul(n, NULL, 10) : 0;
    trace_path = getenv("LMP_FAULT_TRACE");

    /* mapped, not allocated: the sanitized CLI's leak check (which scans no global
     * data, cli/main.c) would count a heap block held here as leaked */
    if (trace_path && *trace_path) {
        void *m = mmap(NULL, TRACE_CAP * sizeof *trace, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        trace = m == MAP_FAILED ? NULL : m;
    }
    armed = 1;
}

__attribute__((destructor)) static void fault_fini(void)
{
    armed = 0;
    if (!trace) return;
    FILE *f = fopen(trace_path, "w");
    if (!f) return;
    unsigned long n = calls < TRACE_CAP ? calls : TRACE_CAP;
    for (unsigned long i = 0; i < n; i++) {
        Dl_info di;
        const char *obj = "?";
        uintptr_t off = (uintptr_t)trace[i];
        if (dladdr(trace[i], &di) && di.dli_fname) {
            obj = strrchr(di.dli_fname, '/') ? strrchr(di.dli_fname, '/') + 1 : di.dli_fname;
            off = (uintptr_t)trace[i] - (uintptr_t)di.dli_fbase;
        }
        fprintf(f, "%lu %s+%#lx\n", i + 1, obj, (unsigned long)off);
    }
    fclose(f);
}

void *malloc(size_t n)
{
    resolve();
    if (!real_malloc) return arena_alloc(n);
    if (should_fail(__builtin_return_address(0))) return NULL;
    return real_malloc(n);
}

void *calloc(size_t n, size_t k)
{
    resolve();
    if (!real_calloc) {
        if (k && n > SIZE_MAX / k) return NULL;
        return arena_alloc(n * k); /* static storage: already zero */
    }
    if (should_fail(__builtin_return_address(0))) return NULL;
    return real_calloc(n, k);
}

void *realloc(void *p, size_t n)
{
    resolve();
    if (from_arena(p) || !real_realloc) {
        void *q = real_malloc ? real_malloc(n) : arena_alloc(n);
        if (q && p) {
            size_t left = (size_t)(arena + sizeof arena - (const unsigned char *)p); /* never read past the arena */
            memcpy(q, p, n < left ? n : left);
        }
        return q;
    }
    if (should_fail(__builtin_return_address(0))) return NULL;
    return real_realloc(p, n);
}

void *reallocarray(void *p, size_t n, size_t k)
{
    if (k && n > SIZE_MAX / k) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, n * k);
}

void free(void *p)
{
    if (!p || from_arena(p)) return;
    resolve();
    if (real_free) real_free(p);
}

void *aligned_alloc(size_t a, size_t n)
{
    resolve();
    if (should_fail(__builtin_return_address(0))) return NULL;
    return real_aligned_alloc(a, n);
}

void *memalign(size_t a, size_t n)
{
    resolve();
    if (should_fail(__builtin_return_address(0))) return NULL;
    return real_memalign(a, n);
}

int posix_memalign(void **out, size_t a, size_t n)
{
    resolve();
    if (should_fail(__builtin_return_address(0))) return ENOMEM;
    return real_posix_memalign(out, a, n);
}

/* Wrapped only to mark its allocations as not counted (see the top). */
int pthread_getattr_np(pthread_t t, pthread_attr_t *attr)
{
    static int (*real)(pthread_t, pthread_attr_t *);
    if (!real) real = (int (*)(pthread_t, pthread_attr_t *))dlsym(RTLD_NEXT, "pthread_getattr_np");
    in_getattr = 1;
    int r = real(t, attr);
    in_getattr = 0;
    return r;
}
