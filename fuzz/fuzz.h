/* Shared helpers of the libFuzzer targets (fuzz/README.md).
 *
 * The readers under test take paths; a fuzz input becomes a file without touching the disk through
 * an anonymous memory file (memfd_create) named by /proc/self/fd/N, and a vocabulary folder is a
 * private directory under /dev/shm (else $TMPDIR or /tmp) created once per process. */
#ifndef LMPROB_FUZZ_H
#define LMPROB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A property the target checks does not hold: abort, so libFuzzer saves the input as a crash. */
#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond);   \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

/* The bytes in a heap block of exactly their size (1 byte when there are none), so that ASan sees a read
 * one byte past the end (libFuzzer's own buffer may have room after it). Aborts without memory. */
static inline void *fuzz_exact_copy(const void *data, size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p) abort();
    if (size) memcpy(p, data, size);
    return p;
}

/* Write the bytes to a fresh memory file; *path names it. Returns the descriptor (close it after). */
static inline int fuzz_memfile(const void *data, size_t size, char path[64])
{
    int fd = memfd_create("fuzz", 0);
    if (fd < 0) abort();
    const char *p = data;
    while (size > 0) {
        ssize_t w = write(fd, p, size);
        if (w <= 0) abort();
        p += w;
        size -= (size_t)w;
    }
    snprintf(path, 64, "/proc/self/fd/%d", fd);
    return fd;
}

/* A private folder for files the target writes (created once; removed by nobody: it is a few
 * files in /dev/shm, overwritten by each input). */
static inline const char *fuzz_tmpdir(void)
{
    static char dir[256];
    if (!dir[0]) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/lmprob-fuzz-XXXXXX", base ? base : "/tmp");
        if (!mkdtemp(dir)) abort();
    }
    return dir;
}

/* Write a whole file in fuzz_tmpdir(); *path gets its path. */
static inline void fuzz_write_file(const char *name, const void *data, size_t size, char path[512])
{
    snprintf(path, 512, "%s/%s", fuzz_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    if (fclose(f)) abort();
}

/* Split data at the first occurrence of sep (a byte string): [data, *a_len) and the rest after
 * the separator in *b / *b_len (empty when absent). */
static inline void fuzz_split(const uint8_t *data, size_t size, const char *sep, size_t *a_len, const uint8_t **b,
                              size_t *b_len)
{
    size_t k = strlen(sep);
    for (size_t i = 0; i + k <= size; i++)
        if (memcmp(data + i, sep, k) == 0) {
            *a_len = i;
            *b = data + i + k;
            *b_len = size - i - k;
            return;
        }
    *a_len = size;
    *b = data + size;
    *b_len = 0;
}

#endif
