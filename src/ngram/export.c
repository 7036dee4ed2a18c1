/* The n-grams of a loaded model as arrays (lmp_ngram_get_ngrams), for the
 * model tools (src/ngtools: mix, prune, filter) and anyone who wants to walk a
 * model. An n-gram's words are recovered from its entry's prefix chain, as the
 * ARPA writer does: ent[n][i].prefix is the slot of its context in tab[n-1]. */
#include <stdlib.h>

#include "ngram_internal.h"

lmp_status lmp_ngram_get_ngrams(const lmp_ngram *m, unsigned n, lmp_token_id *words, float *logprob, float *backoff,
                                lmp_error *err)
{
    if (!m || n < 1 || n > m->order)
        return lmp_error_set(err, LMP_EINVAL, "order %u: expected 1 .. %u", n, m ? m->order : 0);
    if (n == 1) {
        for (uint64_t i = 0; i < m->counts[1]; i++) {
            if (words) words[i] = (lmp_token_id)i;
            if (logprob) logprob[i] = m->uni[i].prob;
            if (backoff) backoff[i] = m->uni[i].backoff == 0 ? 0.0f : m->uni[i].backoff;
        }
        return LMP_OK;
    }
    /* slot -> entry index of each order below n (2 .. n-1), to walk prefixes */
    uint32_t *slot2ent[LMP_NGRAM_MAX_ORDER + 1] = {0};
    lmp_status st = LMP_OK;
    for (unsigned o = 2; o < n && !st; o++) {
        slot2ent[o] = malloc(m->cap[o] * sizeof(uint32_t));
        if (!slot2ent[o]) {
            st = lmp_error_set(err, LMP_ENOMEM, "out of memory listing %u-grams", n);
            break;
        }
        memset(slot2ent[o], 0xff, m->cap[o] * sizeof(uint32_t));
        for (uint64_t i = 0; i < m->counts[o]; i++)
            if (m->ent[o][i].slot < m->cap[o]) slot2ent[o][m->ent[o][i].slot] = (uint32_t)i;
    }
    for (uint64_t i = 0; i < m->counts[n] && !st; i++) {
        const ng_entry *e = &m->ent[n][i];
        if (e->slot >= m->cap[n]) {
            st = lmp_error_set(err, LMP_EFORMAT, "corrupt model: %u-gram %llu has slot %u beyond %llu", n,
                               (unsigned long long)i, e->slot, (unsigned long long)m->cap[n]);
            break;
        }
        if (logprob) logprob[i] = m->tab[n][e->slot].prob;
        if (backoff) {
            float b = m->tab[n][e->slot].backoff;
            backoff[i] = b == 0 ? 0.0f : b; /* -0.0 only marks "not extended" inside the model */
        }
        if (!words) continue;
        lmp_token_id *w = words + i * n;
        unsigned k = n;
        w[--k] = (lmp_token_id)e->word;
        uint32_t pre = e->prefix;
        for (unsigned o = n - 1; o >= 2 && !st; o--) {
            uint32_t ei = pre < m->cap[o] ? slot2ent[o][pre] : UINT32_MAX;
            if (ei >= m->counts[o]) {
                st = lmp_error_set(err, LMP_EFORMAT, "corrupt model: %u-gram %llu refers to a missing n-gram", n,
                                   (unsigned long long)i);
                break;
            }
            w[--k] = (lmp_token_id)m->ent[o][ei].word;
            pre = m->ent[o][ei].prefix;
        }
        w[0] = (lmp_token_id)pre;
        for (unsigned j = 0; j < n && !st; j++)
            if ((uint64_t)w[j] >= m->vocab_size)
                st = lmp_error_set(err, LMP_EFORMAT, "corrupt model: %u-gram %llu has word id %d beyond %llu", n,
                                   (unsigned long long)i, (int)w[j], (unsigned long long)m->vocab_size);
    }
    for (unsigned o = 2; o < n; o++) free(slot2ent[o]);
    return st;
}
