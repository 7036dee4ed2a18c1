/* Fuzz the ARPA reader (src/ngram/arpa.c): any bytes load or fail with an error, never crash;
 * a model that loads scores sentences made of its own words and a few unknown ones. */
#include "fuzz.h"

#include "lmprob/ngram.h"

static void score_some(const lmp_ngram *m)
{
    size_t V = lmp_ngram_vocab_size(m);
    char line[512];
    size_t len = 0;
    for (size_t i = 0; i < V && i < 12; i++) {
        const char *w = lmp_ngram_word(m, (lmp_token_id)i);
        size_t n = w ? strlen(w) : 0;
        if (!n || len + n + 1 >= sizeof line) continue;
        memcpy(line + len, w, n);
        len += n;
        line[len++] = ' ';
    }
    memcpy(line + len, "zzunknown", 9);
    len += 9;
    lmp_ngram_stats st = {0};
    lmp_ngram_score_line(m, line, len, &st, NULL);
    lmp_ngram_score_line(m, "", 0, &st, NULL);
    lmp_ngram_info info;
    lmp_ngram_get_info(m, &info);
    (void)lmp_ngram_stats_perplexity(&st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_memfile(data, size, path);
    lmp_ngram *m = NULL;
    lmp_error err;
    lmp_status st = lmp_ngram_load_arpa(path, NULL, NULL, &m, &err);
    FUZZ_CHECK((st == LMP_OK) == (m != NULL));
    if (m) score_some(m);
    lmp_ngram_free(m);
    close(fd);
    return 0;
}
