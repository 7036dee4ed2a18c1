/* Driver for tests/cli/test_clang_ubsan.sh: scores sentences of every length
 * from 0 to 300 words (past one 256-word chunk) through every scoring entry
 * point, so that clang's UndefinedBehaviorSanitizer sees the scorer's
 * prefetch pipeline (issue 11: a pointer-overflow report on every sentence,
 * the history index t - j computed in size_t; gcc's UBSan does not see it). */
#include <stdio.h>
#include <string.h>

#include "lmprob/ngram.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: score_ub MODEL TEXT\n");
        return 2;
    }
    lmp_ngram *m;
    lmp_error err;
    if (lmp_ngram_load(argv[1], NULL, NULL, &m, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    static const char *vocab[] = {"the", "cat", "sat", "on", "mat", "dog", "zebra"};
    const char *w[300];
    size_t len[300];
    lmp_ngram_stats s;
    memset(&s, 0, sizeof s);
    for (size_t n = 0; n <= 300; n++) {
        for (size_t i = 0; i < n; i++) {
            w[i] = vocab[(i * 5 + n) % 7];
            len[i] = strlen(w[i]);
        }
        lmp_ngram_score_words(m, w, len, n, &s, NULL);
    }
    char line[4000];
    size_t k = 0;
    for (size_t i = 0; i < 300; i++) k += (size_t)snprintf(line + k, sizeof line - k, "%s ", vocab[i % 7]);
    lmp_ngram_score_line(m, line, k, &s, NULL);
    if (lmp_ngram_score_file(m, argv[2], &s, NULL, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        lmp_ngram_free(m);
        return 1;
    }
    printf("%llu tokens\n", (unsigned long long)s.tokens);
    lmp_ngram_free(m);
    return 0;
}
