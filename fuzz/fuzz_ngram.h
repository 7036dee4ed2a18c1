/* What the n-gram fuzz targets (arpa.c, binary.c) do with a model that loaded: score a line made
 * of its first words and an unknown one, an empty line and a line of likely unknowns, read its info
 * and perplexity (a corrupt model gives wrong numbers, never a crash). */
#ifndef LMPROB_FUZZ_NGRAM_H
#define LMPROB_FUZZ_NGRAM_H

#include "fuzz.h"
#include "lmprob/ngram.h"

static inline void fuzz_score_model(const lmp_ngram *m)
{
    size_t V = lmp_ngram_vocab_size(m);
    char line[512];
    size_t len = 0;
    for (size_t i = 0; i < V && i < 12; i++) {
        const char *w = lmp_ngram_word(m, (lmp_token_id)i);
        size_t n = w ? strlen(w) : 0;
        if (!n || len + n + 1 > sizeof line - sizeof "zzunknown") continue; /* room for the unknown word */
        memcpy(line + len, w, n);
        len += n;
        line[len++] = ' ';
    }
    memcpy(line + len, "zzunknown", 9);
    len += 9;
    lmp_ngram_stats st = {0};
    lmp_ngram_score_line(m, line, len, &st, NULL);
    lmp_ngram_score_line(m, "", 0, &st, NULL);
    lmp_ngram_score_line(m, "a b oov", 7, &st, NULL);
    lmp_ngram_info info;
    lmp_ngram_get_info(m, &info);
    (void)lmp_ngram_stats_perplexity(&st);
}

#endif
