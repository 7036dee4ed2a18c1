/* bench_query MODEL TEXT [REPEAT]: load time and scoring time of `lmprob ppl`'s
 * library path (lmp_ngram_load + lmp_ngram_score_file), measured apart: a tool for
 * looking into one model by hand (bench/bench_query.sh times whole processes, as a
 * user runs them, and takes the load as the command on empty text). Prints
 *   load_ms=<ms> score_ms=<best of REPEAT> tokens=<n> ppl=<perplexity> */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lmprob/ngram.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_query MODEL TEXT [REPEAT]\n");
        return 2;
    }
    int repeat = argc > 3 ? atoi(argv[3]) : 5;
    if (repeat < 1) repeat = 1;
    lmp_error err = {0};
    lmp_ngram *m;
    double t0 = now_ms();
    if (lmp_ngram_load(argv[1], NULL, NULL, &m, &err)) {
        fprintf(stderr, "bench_query: %s\n", err.msg);
        return 1;
    }
    double load = now_ms() - t0, best = 1e300;
    lmp_ngram_stats s;
    for (int r = 0; r < repeat; r++) {
        double a = now_ms();
        if (lmp_ngram_score_file(m, argv[2], &s, NULL, &err)) {
            fprintf(stderr, "bench_query: %s\n", err.msg);
            lmp_ngram_free(m);
            return 1;
        }
        double d = now_ms() - a;
        if (d < best) best = d;
    }
    printf("load_ms=%.3f score_ms=%.3f tokens=%llu ppl=%.6f\n", load, best, (unsigned long long)s.tokens,
           lmp_ngram_stats_perplexity(&s));
    lmp_ngram_free(m);
    return 0;
}
