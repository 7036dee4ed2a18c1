/* Large blocks of memory (bigmem.c): transparent huge pages and zeroed,
 * aligned blocks, for the tables that are written once and then probed at
 * random (the tokenizer's, the n-gram model's); and files mapped read-only.
 * Internal to the library. */
#ifndef LMPROB_CORE_BIGMEM_H
#define LMPROB_CORE_BIGMEM_H

#include <stddef.h>

#include "lmprob/core.h"

#define MEM_HUGE ((size_t)2 << 20)     /* a huge page (x86-64, aarch64 with 4 KiB pages) */
#define MEM_HUGE_MIN ((size_t)1 << 20) /* blocks smaller than this get no huge pages */

/* Ask that the whole small pages of [p, p + n) be transparent huge pages: a
 * hint that changes no content (nothing under MEM_HUGE_MIN bytes, nothing with
 * THP off or `never`, or on a system without madvise). The kernel backs with
 * huge pages the aligned 2 MiB ranges that the mapping holds whole. Also for a
 * file's mapping before its first read (GPT-2's weights, src/gpt2/model.c): a
 * file not yet cached is then read into huge pages where the file system can. */
void mem_hugepages(void *p, size_t n);

/* n rounded up to whole huge pages (a multiple of MEM_HUGE stays as it is); n at
 * most SIZE_MAX - MEM_HUGE + 1. What mem_block_alloc maps for a block of n bytes
 * from MEM_HUGE_MIN on. */
static inline size_t mem_huge_round(size_t n) { return (n + MEM_HUGE - 1) & ~(MEM_HUGE - 1); }

/* Alignment of every mem_block_alloc block: a cache line, at least. */
#define MEM_BLOCK_ALIGN 64

/* n zeroed bytes, MEM_BLOCK_ALIGN-aligned: from 64 KiB on a mapping populated at
 * once, from MEM_HUGE_MIN on in whole huge pages from a huge-page boundary;
 * smaller blocks from the heap. NULL without memory. Freed by mem_block_free
 * (NULL: nothing). mem_block_mapped: the bytes the block's mapping holds (its
 * header's small page included), 0 for a heap block. */
void *mem_block_alloc(size_t n);
void mem_block_free(void *q);
size_t mem_block_mapped(const void *q);

/* A file mapped read-only whole (MAP_PRIVATE), the one way the library maps one
 * (GPT-2's weights, a binary n-gram model, a tokenizer's files): *map and *size,
 * NULL and 0 for an empty file; munmap(*map, *size) when done. how:
 *   MEM_MAP_HUGE      2 MiB pages asked for before the first read: a file not yet
 *                     in the page cache is read into them where the file system can;
 *   MEM_MAP_POPULATE  every page mapped now, in one call (MADV_POPULATE_READ; before
 *                     Linux 5.14, read-ahead asked for): for a caller that reads it all.
 * Errors name path: LMP_EIO when it cannot be opened or mapped, LMP_EUNSUPPORTED
 * ("not a regular file") for a pipe, a device or a folder, which a caller may read
 * instead (lmp_read_fd). mem_map_fd: the same for an open descriptor, left open. */
enum { MEM_MAP_HUGE = 1, MEM_MAP_POPULATE = 2 };
lmp_status mem_map_file(const char *path, unsigned how, void **map, size_t *size, lmp_error *err);
lmp_status mem_map_fd(int fd, const char *path, unsigned how, void **map, size_t *size, lmp_error *err);

/* Unmap from this process the pages wholly inside [p, p + n) of a read-only file
 * mapping of mem_map_file (MADV_DONTNEED): bytes read once and no longer needed,
 * such as F16 weights after their conversion. They stay in the page cache, and
 * read back from the file if touched again. Never for anonymous memory, whose
 * pages would read back as zeros. */
void mem_map_release(const void *p, size_t n);

#endif
