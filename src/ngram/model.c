/* The n-gram model: vocabulary, facts, and scoring with KenLM's state
 * semantics (lm/model.cc GenericModel::FullScore / ScoreExceptBackoff). */
#include <stdlib.h>
#include <sys/mman.h>

#include "ngram_internal.h"

void ng_release(struct lmp_ngram *m)
{
    if (m->map) {
        munmap(m->map, m->map_len);
    } else {
        free(m->uni);
        free(m->vtab);
        free(m->stroff);
        free(m->strings);
        for (unsigned n = 2; n <= LMP_NGRAM_MAX_ORDER; n++) {
            free(m->tab[n]);
            free(m->ent[n]);
        }
    }
    memset(m, 0, sizeof *m);
}

void lmp_ngram_free(lmp_ngram *m)
{
    if (!m) return;
    ng_release(m);
    free(m);
}

lmp_status ng_build_vocab_table(struct lmp_ngram *m, const char *path, lmp_error *err)
{
    m->vcap = ng_capacity(m->vocab_size);
    m->vtab = malloc(m->vcap * sizeof *m->vtab);
    if (!m->vtab) return lmp_error_set(err, LMP_ENOMEM, "out of memory for a vocabulary of %llu words",
                                       (unsigned long long)m->vocab_size);
    for (uint64_t i = 0; i < m->vcap; i++) {
        m->vtab[i].hash = 0;
        m->vtab[i].id = NG_EMPTY_ID;
        m->vtab[i].len = 0;
    }
    uint64_t cap = m->vcap;
    for (uint64_t id = 0; id < m->vocab_size; id++) {
        const char *s = m->strings + m->stroff[id];
        size_t n = (size_t)(m->stroff[id + 1] - m->stroff[id] - 1);
        uint64_t h = ng_hash_str(s, n);
        uint64_t i = ng_bucket(h, cap);
        for (;;) {
            ng_vslot *v = &m->vtab[i];
            if (v->id == NG_EMPTY_ID) {
                v->hash = h;
                v->id = (uint32_t)id;
                v->len = (uint32_t)n;
                break;
            }
            if (v->hash == h && v->len == n && memcmp(m->strings + m->stroff[v->id], s, n) == 0)
                return lmp_error_set_at(err, LMP_EFORMAT, path, 0,
                                        "word '%s' appears twice among the unigrams (ids %u and %llu): "
                                        "expected each word once",
                                        s, v->id, (unsigned long long)id);
            if (++i == cap) i = 0;
        }
    }
    return LMP_OK;
}

void lmp_ngram_get_info(const lmp_ngram *m, lmp_ngram_info *info)
{
    memset(info, 0, sizeof *info);
    info->order = m->order;
    for (unsigned n = 1; n <= m->order; n++) info->counts[n] = m->counts[n];
    info->vocab_size = (size_t)m->vocab_size;
    info->bytes = m->bytes;
    info->binary = m->from_binary;
    info->flags = m->flags;
}

unsigned lmp_ngram_order(const lmp_ngram *m) { return m->order; }
size_t lmp_ngram_vocab_size(const lmp_ngram *m) { return (size_t)m->vocab_size; }
int32_t lmp_ngram_bos(const lmp_ngram *m) { return m->bos; }
int32_t lmp_ngram_eos(const lmp_ngram *m) { return m->eos; }
int32_t lmp_ngram_unk(const lmp_ngram *m) { return m->unk; }

int32_t lmp_ngram_vocab_find(const lmp_ngram *m, const char *s, size_t n)
{
    return ng_vocab_find(m, s, n);
}

int32_t lmp_ngram_vocab_index(const lmp_ngram *m, const char *s, size_t n)
{
    int32_t id = ng_vocab_find(m, s, n);
    return id < 0 ? m->unk : id;
}

const char *lmp_ngram_word(const lmp_ngram *m, int32_t id)
{
    if (id < 0 || (uint64_t)id >= m->vocab_size) return NULL;
    return m->strings + m->stroff[id];
}

void lmp_ngram_state_null(lmp_ngram_state *s)
{
    memset(s, 0, sizeof *s);
}

void lmp_ngram_state_begin(const lmp_ngram *m, lmp_ngram_state *s)
{
    memset(s, 0, sizeof *s);
    if (m->bos < 0) return;
    /* KenLM BeginSentenceState: length 1 whatever <s>'s backoff. */
    s->words[0] = m->bos;
    s->backoff[0] = m->uni[m->bos].backoff;
    s->length = 1;
}

double lmp_ngram_score(const lmp_ngram *m, const lmp_ngram_state *in, int32_t word, lmp_ngram_state *out,
                       unsigned *ngram_len)
{
    unsigned len;
    float p = ng_score(m, in, word, out, &len);
    if (ngram_len) *ngram_len = len;
    return (double)p;
}

void lmp_ngram_state_from(const lmp_ngram *m, const int32_t *ctx, size_t n, lmp_ngram_state *out)
{
    lmp_ngram_state a, b;
    size_t keep = m->order - 1, start = n > keep ? n - keep : 0;
    if (n > 0 && ctx[0] == m->bos && m->bos >= 0 && start == 0) {
        lmp_ngram_state_begin(m, &a);
        start = 1;
    } else {
        lmp_ngram_state_null(&a);
    }
    for (size_t i = start; i < n; i++) {
        int32_t w = ctx[i];
        if (w < 0 || (uint64_t)w >= m->vocab_size) w = m->unk;
        lmp_ngram_score(m, &a, w, &b, NULL);
        a = b;
    }
    *out = a;
}
