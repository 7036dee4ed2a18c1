/* Counting a program's heap allocations, for the tests that a call allocates
 * nothing (test_gpt2_alloc.c, test_tokenizer_alloc.c). Included once, by the
 * program's only file: its malloc, calloc, realloc and aligned_alloc take
 * precedence over libc's, add one to n_alloc and forward to glibc's __libc_*
 * entry points.
 *
 * Under AddressSanitizer or ThreadSanitizer the allocator belongs to the
 * sanitizer: COUNTING is 0, nothing is counted, and the same calls still run
 * (so the sanitizer checks them). */
#ifndef LMPROB_TEST_ALLOC_COUNT_H
#define LMPROB_TEST_ALLOC_COUNT_H

#include <stdatomic.h>
#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define COUNTING 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define COUNTING 0
#endif
#endif
#ifndef COUNTING
#define COUNTING 1
#endif

/* atomic: worker threads (the GPT-2 pool, the encoder's chunks) allocate too */
static atomic_size_t n_alloc;

#if COUNTING
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t align, size_t n);
void *malloc(size_t n)
{
    n_alloc++;
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t size)
{
    n_alloc++;
    return __libc_calloc(n, size);
}
void *realloc(void *p, size_t n)
{
    n_alloc++;
    return __libc_realloc(p, n);
}
void *aligned_alloc(size_t align, size_t n)
{
    n_alloc++;
    return __libc_memalign(align, n);
}
#endif

#endif
