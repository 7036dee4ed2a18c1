/* The memory budget of one training run (train_internal.h): every large array
 * of the pipeline is taken from it before it is allocated. Amounts are the
 * allocator's usable sizes (malloc_usable_size), so that a free gives back
 * exactly what its allocation took, whatever the allocator rounded up to. */
#include "train_internal.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

static const double MIB = 1024.0 * 1024.0;

/* Set aside from --memory for what the budget does not see: the program
 * itself, the corpus reader's and the ARPA writer's buffers, the allocator's
 * slack (measured 5 to 30 MiB over the live bytes on WikiText-2, docs/reliability.md). */
#define TB_OVERHEAD ((uint64_t)16 << 20)

void tb_init(train_budget *b, uint64_t limit)
{
    memset(b, 0, sizeof *b);
    uint64_t keep = limit / 4 < TB_OVERHEAD ? limit / 4 : TB_OVERHEAD;
    b->limit = limit - keep;
    b->total = limit;
}

/* Take n bytes if they fit: 0, or -1 (nothing taken). A budget never set
 * (total 0: a model made by mix, prune or filter) has no limit. */
static int take(train_budget *b, uint64_t n)
{
    uint64_t cur = __atomic_load_n(&b->used, __ATOMIC_RELAXED);
    do {
        if (b->total && (n > b->limit || cur > b->limit - n)) return -1;
    } while (!__atomic_compare_exchange_n(&b->used, &cur, cur + n, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    uint64_t now = cur + n, peak = __atomic_load_n(&b->peak, __ATOMIC_RELAXED);
    while (now > peak && !__atomic_compare_exchange_n(&b->peak, &peak, now, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
    return 0;
}

/* Adjust by delta without a check (the allocator's rounding, external holders). */
static void adjust(train_budget *b, int64_t delta)
{
    uint64_t now = __atomic_add_fetch(&b->used, (uint64_t)delta, __ATOMIC_RELAXED);
    uint64_t peak = __atomic_load_n(&b->peak, __ATOMIC_RELAXED);
    while (delta > 0 && now > peak && !__atomic_compare_exchange_n(&b->peak, &peak, now, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
}

/* "12.3 MiB", "24 KiB" below a MiB, "1000 bytes" below a KiB (a budget of 1 byte read "0 KiB"). */
static void fmt_bytes(char *buf, size_t size, uint64_t n)
{
    if (n < 1024) snprintf(buf, size, "%u byte%s", (unsigned)n, n == 1 ? "" : "s");
    else if (n < (1u << 20)) snprintf(buf, size, "%.0f KiB", (double)n / 1024.0);
    else snprintf(buf, size, "%.1f MiB", (double)n / MIB);
}

static void refuse(const train_budget *b, uint64_t n, const char *what, lmp_error *err)
{
    char need[32], used[32], total[32], kept[32];
    /* what the budget lacks: n, and what memory held outside it (tb_hold) already took past it
     * (a bare n read "needs 0 KiB more" when a vocabulary had gone over) */
    uint64_t u = __atomic_load_n(&b->used, __ATOMIC_RELAXED);
    fmt_bytes(need, sizeof need, n + (u > b->limit ? u - b->limit : 0));
    fmt_bytes(used, sizeof used, u);
    fmt_bytes(total, sizeof total, b->total);
    fmt_bytes(kept, sizeof kept, b->total - b->limit);
    lmp_error_set(err, LMP_ENOMEM,
                  "training needs %s more for %s, with %s already in use: expected the whole training within "
                  "memory %s (lmprob train --memory, Python memory=; %s of it kept for the program and its "
                  "buffers; raise it: counting spills to disk, but the estimation holds every n-gram in memory)",
                  need, what, used, total, kept);
}

void *tb_array(train_budget *b, uint64_t count, size_t size, int zero, const char *what, lmp_error *err)
{
    if (count == 0) count = 1;
    if (size && count > SIZE_MAX / size) {
        lmp_error_set(err, LMP_ENOMEM, "%s: %llu elements of %zu bytes do not fit in memory", what,
                      (unsigned long long)count, size);
        return NULL;
    }
    size_t n = (size_t)count * size;
    if (take(b, n)) {
        refuse(b, n, what, err);
        return NULL;
    }
    void *p = zero ? calloc(count, size) : malloc(n);
    if (!p) {
        adjust(b, -(int64_t)n);
        lmp_error_set(err, LMP_ENOMEM, "%s: out of memory (%.1f MiB)", what, (double)n / MIB);
        return NULL;
    }
    adjust(b, (int64_t)malloc_usable_size(p) - (int64_t)n);
    return p;
}

void *tb_resize(train_budget *b, void *p, uint64_t count, size_t size, const char *what, lmp_error *err)
{
    if (count == 0) count = 1;
    if (size && count > SIZE_MAX / size) {
        lmp_error_set(err, LMP_ENOMEM, "%s: %llu elements of %zu bytes do not fit in memory", what,
                      (unsigned long long)count, size);
        return NULL;
    }
    size_t n = (size_t)count * size, old = p ? malloc_usable_size(p) : 0;
    if (p && n <= old) { /* shrinking takes nothing more: a budget at its end may still give back */
        void *q = realloc(p, n);
        if (!q) return p; /* the block stays as it was */
        adjust(b, (int64_t)malloc_usable_size(q) - (int64_t)old);
        return q;
    }
    /* realloc may hold the old and the new block at once: take n before, give old back after. */
    if (take(b, n)) {
        refuse(b, n, what, err);
        return NULL;
    }
    void *q = realloc(p, n);
    if (!q) {
        adjust(b, -(int64_t)n);
        lmp_error_set(err, LMP_ENOMEM, "%s: out of memory (%.1f MiB)", what, (double)n / MIB);
        return NULL;
    }
    adjust(b, (int64_t)malloc_usable_size(q) - (int64_t)n - (int64_t)old);
    return q;
}

void tb_free(train_budget *b, void *p)
{
    if (!p) return;
    size_t n = malloc_usable_size(p);
    adjust(b, -(int64_t)n);
    free(p);
    /* A large block freed inside the heap stays resident until reused (glibc
     * serves blocks below its adaptive mmap threshold, up to 32 MiB, from the
     * heap): give its pages back, so that the process's memory follows the
     * budget's count rather than its history.
     * One thread at a time: glibc initialises its allocator in the first call
     * into it, unguarded, and where malloc is not glibc's (a sanitizer's, or a
     * preloaded allocator) that first call is malloc_trim's, so two threads
     * trimming at once raced in that initialisation and crashed (under
     * AddressSanitizer, once in a few hundred trainings). A thread that finds
     * another trimming leaves it to that one. */
    if (n >= ((size_t)4 << 20) && !__atomic_exchange_n(&b->trimming, 1, __ATOMIC_ACQUIRE)) {
        malloc_trim(0);
        __atomic_store_n(&b->trimming, 0, __ATOMIC_RELEASE);
    }
}

void tb_hold(train_budget *b, int64_t delta) { adjust(b, delta); }

lmp_status tb_check(const train_budget *b, uint64_t n, const char *what, lmp_error *err)
{
    uint64_t used = __atomic_load_n(&b->used, __ATOMIC_RELAXED);
    if (!b->total || (n <= b->limit && used <= b->limit - n)) return LMP_OK;
    refuse(b, n, what, err);
    return LMP_ENOMEM;
}

uint64_t tb_left(const train_budget *b)
{
    if (!b->total) return UINT64_MAX;
    uint64_t u = __atomic_load_n(&b->used, __ATOMIC_RELAXED);
    return u < b->limit ? b->limit - u : 0;
}
