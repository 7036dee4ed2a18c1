/* One cold pass of lmprob's GPT-2 tokenizer, for bench/bench_tokenizer.sh:
 *
 *   bench_tokenizer VOCAB FILE THREADS
 *
 * In this fresh process: load the vocabulary (timed), read FILE into memory
 * (not timed: the peers get their text as a string too), encode it once on
 * THREADS threads (timed; no warm-up pass, no cache carried over: the
 * tokenizer keeps none). Prints
 *   load_ms=<ms> load_cpu_ms=<ms> encode_s=<s> encode_cpu_s=<s> bytes=<n> ids=<n> load_faults=<n> encode_faults=<n>
 * Wall-clock times (CLOCK_MONOTONIC), and the encode call's process CPU time
 * (CLOCK_PROCESS_CPUTIME_ID: on a shared machine, time spent waiting for a
 * core is in the wall time only); the page faults (getrusage ru_minflt +
 * ru_majflt) taken while loading and while encoding. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "lmprob.h"

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now(void) { return clock_s(CLOCK_MONOTONIC); }

static long faults(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt + ru.ru_majflt;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: bench_tokenizer VOCAB FILE THREADS\n");
        return 2;
    }
    lmp_error err;
    lmp_tokenizer *tok;
    long f0 = faults();
    double t0 = now(), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    if (lmp_tokenizer_load(argv[1], &tok, &err) != LMP_OK) {
        fprintf(stderr, "bench_tokenizer: %s\n", err.msg);
        return 1;
    }
    double load = now() - t0, load_cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    long load_faults = faults() - f0;
    FILE *f = fopen(argv[2], "rb");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    if (!text || fread(text, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "bench_tokenizer: cannot read %s\n", argv[2]);
        return 1;
    }
    fclose(f);
    lmp_token_buf ids;
    lmp_token_buf_init(&ids);
    long f1 = faults();
    double t1 = now(), c1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    if (lmp_tokenizer_encode_threads(tok, text, (size_t)n, 0, atoi(argv[3]), &ids, &err) != LMP_OK) {
        fprintf(stderr, "bench_tokenizer: %s\n", err.msg);
        return 1;
    }
    double enc = now() - t1, cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c1;
    long enc_faults = faults() - f1;
    printf("load_ms=%.3f load_cpu_ms=%.3f encode_s=%.6f encode_cpu_s=%.6f bytes=%ld ids=%zu load_faults=%ld "
           "encode_faults=%ld\n",
           load * 1e3, load_cpu * 1e3, enc, cpu, n, ids.n, load_faults, enc_faults);
    lmp_token_buf_free(&ids);
    free(text);
    lmp_tokenizer_free(tok);
    return 0;
}
