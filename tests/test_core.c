/* core.h's whole-file reader (src/core/readfile.c): regular files of sizes
 * around its first buffer and past a huge page, pipes that make it grow, the
 * bound exactly met and passed by one byte, a descriptor read from its
 * offset, and the errors (a folder, a missing file, /dev/zero). */
#include "lmprob/core.h"
#include "test.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/lmp_test_core_XXXXXX";

/* byte i of every test's content: not periodic in any power of two */
static unsigned char pattern(size_t i) { return (unsigned char)((i * 2654435761u) >> 13); }

static int write_file(const char *path, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    for (size_t i = 0; i < n; i++) fputc(pattern(i), f);
    return fclose(f);
}

static int same_as_pattern(const char *data, size_t n, size_t from)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)data[i] != pattern(from + i)) return 0;
    return data[n] == '\0';
}

static void test_regular_sizes(void)
{
    /* around the first stream buffer (64 KiB) and past a huge page (2 MiB) */
    const size_t sizes[] = {0, 1, 65535, 65536, 65537, ((size_t)3 << 20) + 7};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        char path[256];
        snprintf(path, sizeof path, "%s/f%zu", dir, k);
        CHECK(write_file(path, sizes[k]) == 0);
        char *data = (char *)1;
        size_t len = 99;
        lmp_error err;
        CHECK(lmp_read_file(path, 0, &data, &len, &err) == LMP_OK);
        CHECK_MSG(len == sizes[k], "size %zu: read %zu", sizes[k], len);
        CHECK(data && same_as_pattern(data, len, 0));
        free(data);
    }
}

static void test_regular_bound(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s/b100", dir);
    CHECK(write_file(path, 100) == 0);
    char *data;
    size_t len;
    lmp_error err;
    CHECK(lmp_read_file(path, 100, &data, &len, &err) == LMP_OK); /* exactly the bound: taken */
    CHECK(len == 100 && same_as_pattern(data, len, 0));
    free(data);
    CHECK(lmp_read_file(path, 99, &data, &len, &err) == LMP_EUNSUPPORTED);
    CHECK(data == NULL && len == 0);
    CHECK_MSG(strstr(err.msg, "b100: cannot read: 100 bytes, more than 99 bytes, the most read whole") != NULL, "%s",
              err.msg);
    CHECK(lmp_read_file(path, 99, &data, &len, NULL) == LMP_EUNSUPPORTED); /* no error record: still a status */
}

typedef struct feed {
    int fd;
    size_t n;
} feed;

/* writes n pattern bytes in uneven pieces, then closes */
static void *feed_pipe(void *arg)
{
    feed *f = arg;
    unsigned char buf[7919];
    size_t done = 0;
    while (done < f->n) {
        size_t k = f->n - done < sizeof buf ? f->n - done : sizeof buf;
        for (size_t i = 0; i < k; i++) buf[i] = pattern(done + i);
        ssize_t w = write(f->fd, buf, k);
        if (w <= 0) break;
        done += (size_t)w;
    }
    close(f->fd);
    return NULL;
}

/* a pipe of n bytes read with bound max; returns the status */
static lmp_status read_pipe(size_t n, size_t max, char **data, size_t *len, lmp_error *err)
{
    int p[2];
    if (pipe(p) != 0) return LMP_EIO;
    feed f = {p[1], n};
    pthread_t t;
    pthread_create(&t, NULL, feed_pipe, &f);
    lmp_status st = lmp_read_fd(p[0], "pipe", max, data, len, err);
    close(p[0]); /* a writer still blocked on a full pipe gets EPIPE (SIGPIPE ignored in main) */
    pthread_join(t, NULL);
    return st;
}

static void test_pipes(void)
{
    /* each through several doublings, the largest past 1 MiB where huge pages are asked for */
    const size_t sizes[] = {0, 1, 65536, 65537, ((size_t)5 << 20) + 3};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        char *data;
        size_t len;
        lmp_error err;
        CHECK(read_pipe(sizes[k], 0, &data, &len, &err) == LMP_OK);
        CHECK_MSG(len == sizes[k], "size %zu: read %zu", sizes[k], len);
        CHECK(data && same_as_pattern(data, len, 0));
        free(data);
    }
    /* the bound: exactly met (the buffer full, then the end), and passed by one byte */
    const size_t n = ((size_t)1 << 20) + 1;
    char *data;
    size_t len;
    lmp_error err;
    CHECK(read_pipe(n, n, &data, &len, &err) == LMP_OK);
    CHECK(len == n && same_as_pattern(data, len, 0));
    free(data);
    CHECK(read_pipe(n, n - 1, &data, &len, &err) == LMP_EUNSUPPORTED);
    CHECK(data == NULL && len == 0);
    CHECK_MSG(strstr(err.msg, "pipe: cannot read: more than 1 MiB, the most read whole (a device, or a "
                              "stream without an end?)") != NULL,
              "%s", err.msg);
}

static void test_offset(void)
{
    /* a descriptor already read in part (standard input after `head -1`): the rest */
    char path[256];
    snprintf(path, sizeof path, "%s/off", dir);
    CHECK(write_file(path, 70000) == 0);
    int fd = open(path, O_RDONLY);
    char skip[1000];
    CHECK(fd >= 0 && read(fd, skip, sizeof skip) == (ssize_t)sizeof skip);
    char *data;
    size_t len;
    lmp_error err;
    CHECK(lmp_read_fd(fd, path, 69000, &data, &len, &err) == LMP_OK); /* the rest is exactly the bound */
    CHECK(len == 69000 && same_as_pattern(data, len, 1000));
    free(data);
    close(fd);
}

static void test_errors(void)
{
    char *data;
    size_t len;
    lmp_error err;
    CHECK(lmp_read_file(dir, 0, &data, &len, &err) == LMP_EIO);
    CHECK_MSG(strstr(err.msg, ": cannot read: Is a directory") != NULL && strncmp(err.msg, dir, strlen(dir)) == 0,
              "%s", err.msg);
    CHECK(data == NULL && len == 0);
    char path[256];
    snprintf(path, sizeof path, "%s/missing", dir);
    CHECK(lmp_read_file(path, 0, &data, &len, &err) == LMP_EIO);
    CHECK_MSG(strstr(err.msg, "missing: cannot read: No such file or directory") != NULL, "%s", err.msg);
    CHECK(lmp_read_file("/dev/zero", (size_t)3 << 20, &data, &len, &err) == LMP_EUNSUPPORTED);
    CHECK_MSG(strcmp(err.msg, "/dev/zero: cannot read: more than 3 MiB, the most read whole (a device, or a stream "
                              "without an end?)") == 0,
              "%s", err.msg);
    CHECK(lmp_read_fd(-1, "x", 0, &data, &len, &err) == LMP_EINVAL);
    /* a regular file of size 0 with content: read as a stream, whole */
    CHECK(lmp_read_file("/proc/self/status", 0, &data, &len, &err) == LMP_OK);
    CHECK(data && len > 0 && strstr(data, "Name:") == data && data[len - 1] == '\n');
    free(data);
    CHECK(lmp_read_file(NULL, 0, &data, &len, &err) == LMP_EINVAL);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    signal(SIGPIPE, SIG_IGN);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_regular_sizes);
    RUN(test_regular_bound);
    RUN(test_pipes);
    RUN(test_offset);
    RUN(test_errors);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return TEST_SUMMARY();
}
