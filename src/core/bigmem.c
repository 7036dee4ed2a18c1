/* Large blocks of memory (bigmem.h).
 *
 * Why huge pages. The first write to a fresh 4 KiB page is a page fault, and in
 * the virtual machine this was measured on, a very expensive one: the
 * tokenizer's ids of 9.4 MB of English take 9 MB, 2,200 pages, and loading its
 * vocabulary writes about 7 MB (docs/tokenizer.md, "Memory"). And a table
 * probed at random, like an n-gram model's, misses the TLB on almost every
 * probe once it is larger than the TLB's reach in small pages (a few MB); in
 * 2 MiB pages the whole table fits it (docs/ngram-model.md, "Memory layout").
 *
 * So the large blocks are mappings of whole 2 MiB huge pages, aligned, marked
 * for transparent huge pages and populated in one call; with huge pages
 * unavailable they are ordinary pages, populated the same way. Small blocks
 * and other systems use the heap. Zeroed either way, and aligned to a cache
 * line at least, which the n-gram tables' probes count on (one line a group).
 *
 * mem_block_free needs the mapping's start and length: they are kept in the
 * HDR bytes before the block, which for a mapping are the end of one small
 * page mapped before it. So a block of exactly 2 MiB (a table of a
 * power-of-two size) is one huge page, not two (with the header inside the
 * mapping it took 2 MiB + 64 bytes, rounded up to 4 MiB). */
#include "bigmem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HDR MEM_BLOCK_ALIGN

typedef struct block_hdr {
    char *base; /* the mapping (len bytes), or the heap's block (len 0) */
    size_t len;
} block_hdr;

void mem_hugepages(void *p, size_t n)
{
#if defined(MADV_HUGEPAGE) && defined(_SC_PAGESIZE)
    if (!p || n < MEM_HUGE_MIN) return;
    long ps = sysconf(_SC_PAGESIZE);
    if (ps <= 0) return;
    uintptr_t a = (uintptr_t)p & ~((uintptr_t)ps - 1), e = ((uintptr_t)p + n) & ~((uintptr_t)ps - 1);
    if (e > a) (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}

void *mem_block_alloc(size_t n)
{
    if (n > SIZE_MAX / 2 - MEM_HUGE) return NULL;
#ifdef MAP_ANONYMOUS
    long ps = sysconf(_SC_PAGESIZE);
    if (n >= ((size_t)1 << 16) && ps >= HDR) {
        /* Whole huge pages from a huge-page boundary for MEM_HUGE_MIN bytes and
         * more: the last one only partly used costs its zeroing, far less than
         * the faults of the same bytes in small pages. */
        size_t pg = (size_t)ps;
        int huge = n >= MEM_HUGE_MIN;
        size_t body = huge ? mem_huge_round(n) : n;
        size_t len = pg + body + (huge ? MEM_HUGE : 0); /* huge: room to move to a boundary */
        int flags = MAP_PRIVATE | MAP_ANONYMOUS;
#if defined(MAP_POPULATE) && !defined(MADV_POPULATE_WRITE)
        if (!huge) flags |= MAP_POPULATE;
#endif
        char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, -1, 0);
        if (m != MAP_FAILED) {
            char *p = m + pg;
            if (huge) { /* the block on a huge-page boundary, its header page just before: trim the rest */
                p = (char *)(((uintptr_t)m + pg + MEM_HUGE - 1) & ~(uintptr_t)(MEM_HUGE - 1));
                if (p - pg > m) munmap(m, (size_t)(p - pg - m));
                if (m + len > p + body) munmap(p + body, (size_t)(m + len - (p + body)));
                mem_hugepages(p, body);
            }
#ifdef MADV_POPULATE_WRITE
            (void)madvise(p - pg, pg + body, MADV_POPULATE_WRITE); /* on failure, pages fault in as written */
#endif
            block_hdr *h = (block_hdr *)(void *)(p - HDR);
            h->base = p - pg;
            h->len = pg + body;
            return p;
        }
    }
#endif
    /* the heap: the header in the first HDR bytes, the block after it, both aligned */
    size_t total = (n + HDR + HDR - 1) / HDR * HDR;
    char *p = aligned_alloc(HDR, total);
    if (!p) return NULL;
    memset(p, 0, total);
    block_hdr *h = (block_hdr *)(void *)p;
    h->base = p;
    h->len = 0;
    return p + HDR;
}

void mem_block_free(void *q)
{
    if (!q) return;
    const block_hdr *h = (const block_hdr *)(void *)((char *)q - HDR);
    if (h->len) munmap(h->base, h->len);
    else free(h->base);
}

size_t mem_block_mapped(const void *q)
{
    return ((const block_hdr *)(const void *)((const char *)q - HDR))->len;
}

void mem_map_release(const void *p, size_t n)
{
#ifdef MADV_DONTNEED
    const long pg = sysconf(_SC_PAGESIZE);
    if (pg <= 0 || n == 0) return;
    const uintptr_t mask = ~((uintptr_t)pg - 1), a = ((uintptr_t)p + (uintptr_t)pg - 1) & mask,
                    e = ((uintptr_t)p + n) & mask; /* the whole pages inside */
    if (e > a) (void)madvise((void *)a, e - a, MADV_DONTNEED);
#else
    (void)p, (void)n;
#endif
}

lmp_status mem_map_fd(int fd, const char *path, unsigned how, void **map, size_t *size, lmp_error *err)
{
    *map = NULL;
    *size = 0;
    struct stat sb;
    if (fstat(fd, &sb) != 0) return lmp_error_set_at(err, LMP_EIO, path, 0, "cannot read: %s", strerror(errno));
    if (!S_ISREG(sb.st_mode)) return lmp_error_set_at(err, LMP_EUNSUPPORTED, path, 0, "not a regular file");
    if (sb.st_size == 0) return LMP_OK;
    if ((uintmax_t)sb.st_size > SIZE_MAX)
        return lmp_error_set_at(err, LMP_EUNSUPPORTED, path, 0, "%jd bytes: larger than this system can map",
                                (intmax_t)sb.st_size);
    const size_t n = (size_t)sb.st_size;
    void *p = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) return lmp_error_set_at(err, LMP_EIO, path, 0, "mmap failed: %s", strerror(errno));
    if (how & MEM_MAP_HUGE) mem_hugepages(p, n);
    if (how & MEM_MAP_POPULATE) {
#ifdef MADV_POPULATE_READ
        if (madvise(p, n, MADV_POPULATE_READ) != 0)
#endif
            (void)madvise(p, n, MADV_WILLNEED);
    }
    *map = p;
    *size = n;
    return LMP_OK;
}

lmp_status mem_map_file(const char *path, unsigned how, void **map, size_t *size, lmp_error *err)
{
    *map = NULL;
    *size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return lmp_error_set_at(err, LMP_EIO, path, 0, "cannot open: %s", strerror(errno));
    lmp_status st = mem_map_fd(fd, path, how, map, size, err);
    close(fd); /* the mapping stays */
    return st;
}
