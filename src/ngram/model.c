/* The n-gram model: vocabulary, facts, and scoring with KenLM's state
 * semantics (lm/model.cc GenericModel::FullScore / ScoreExceptBackoff). */
#include <stdlib.h>
#include <sys/mman.h>

#include "../core/bigmem.h"
#include "ngram_internal.h"

void ng_release(struct lmp_ngram *m)
{
    if (m->meta_owned) free(m->meta);
    ng_trie_free(m->trie);
    if (m->map) {
        munmap(m->map, m->map_len);
    } else {
        free(m->uni);
        free(m->vtab);
        free(m->stroff);
        free(m->strings);
        for (unsigned n = 2; n <= LMP_NGRAM_MAX_ORDER; n++) {
            mem_block_free(m->tab[n]);
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

lmp_status ng_build_vocab_table(struct lmp_ngram *m, const char *path, uint64_t dup[2], lmp_error *err)
{
    if (dup) dup[0] = dup[1] = UINT64_MAX;
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
            if (v->hash == h && v->len == n && memcmp(m->strings + m->stroff[v->id], s, n) == 0) {
                if (dup) {
                    dup[0] = v->id;
                    dup[1] = id;
                }
                return lmp_error_set_at(err, LMP_EFORMAT, path, 0,
                                        "word '%s' appears twice among the unigrams (ids %u and %llu): "
                                        "expected each word once",
                                        s, v->id, (unsigned long long)id);
            }
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
    info->flags = m->flags | m->arpa_compression;
    if (m->trie) {
        info->trie = 1;
        ng_trie_info(m, info);
    }
}

unsigned lmp_ngram_order(const lmp_ngram *m) { return m->order; }
size_t lmp_ngram_vocab_size(const lmp_ngram *m) { return (size_t)m->vocab_size; }
lmp_token_id lmp_ngram_bos(const lmp_ngram *m) { return m->bos; }
lmp_token_id lmp_ngram_eos(const lmp_ngram *m) { return m->eos; }
lmp_token_id lmp_ngram_unk(const lmp_ngram *m) { return m->unk; }

lmp_token_id lmp_ngram_vocab_find(const lmp_ngram *m, const char *s, size_t n)
{
    if (!s && n) return LMP_TOKEN_NONE; /* no word (ngram.h) */
    return ng_vocab_find(m, s, n);
}

lmp_token_id lmp_ngram_vocab_index(const lmp_ngram *m, const char *s, size_t n)
{
    lmp_token_id id = lmp_ngram_vocab_find(m, s, n);
    return id < 0 ? m->unk : id;
}

const char *lmp_ngram_word(const lmp_ngram *m, lmp_token_id id)
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
    s->rank[0] = (uint32_t)m->bos;
    s->length = 1;
}

double lmp_ngram_score(const lmp_ngram *m, const lmp_ngram_state *in, lmp_token_id word, lmp_ngram_state *out,
                       unsigned *ngram_len)
{
    unsigned len;
    float p = ng_score(m, in, word, out, &len);
    if (ngram_len) *ngram_len = len;
    return (double)p;
}

void lmp_ngram_state_from(const lmp_ngram *m, const lmp_token_id *ctx, size_t n, lmp_ngram_state *out)
{
    if (!out || (!ctx && n)) return; /* ngram.h: nothing to write, or to read */
    lmp_ngram_state a, b;
    size_t keep = m->order - 1, start = n > keep ? n - keep : 0;
    if (n > 0 && ctx[0] == m->bos && m->bos >= 0 && start == 0) {
        lmp_ngram_state_begin(m, &a);
        start = 1;
    } else {
        lmp_ngram_state_null(&a);
    }
    for (size_t i = start; i < n; i++) {
        lmp_token_id w = ctx[i];
        if (w < 0 || (uint64_t)w >= m->vocab_size) w = m->unk;
        lmp_ngram_score(m, &a, w, &b, NULL);
        a = b;
    }
    *out = a;
}

/* ---- metadata ------------------------------------------------------------------------ */

int ng_meta_valid(const char *meta, uint64_t bytes, unsigned n)
{
    uint64_t at = 0;
    /* 2 * n in 64 bits: a header's n of 2^31 wrapped to 0 records in unsigned arithmetic, and the
     * lookups then walked n pairs past the section (found by the binary fuzz target) */
    for (uint64_t i = 0; i < 2 * (uint64_t)n; i++) {
        const char *z = at < bytes ? memchr(meta + at, 0, (size_t)(bytes - at)) : NULL;
        if (!z) return 0;
        at = (uint64_t)(z - meta) + 1;
    }
    return at == bytes;
}

const char *ng_meta_find(const char *meta, uint64_t bytes, unsigned n, const char *key)
{
    (void)bytes;
    const char *p = meta;
    for (unsigned i = 0; i < n; i++) {
        const char *v = p + strlen(p) + 1;
        if (strcmp(p, key) == 0) return v;
        p = v + strlen(v) + 1;
    }
    return NULL;
}

static int key_ok(const char *key)
{
    size_t n = strlen(key);
    if (n < 1 || n > 32) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = key[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return 0;
    }
    return 1;
}

lmp_status ng_meta_put(struct lmp_ngram *m, const char *key, const char *value, lmp_error *err)
{
    if (!key_ok(key))
        return lmp_error_set(err, LMP_EINVAL, "metadata key '%.40s': expected 1 to 32 characters of a-z, 0-9, _ and -",
                             key);
    size_t kl = strlen(key), vl = strlen(value);
    if (vl > 65536) return lmp_error_set(err, LMP_EINVAL, "metadata '%s': value of %zu bytes, expected at most 65536", key, vl);
    /* rebuild the block without the old record of key, then append the new one */
    uint64_t cap = m->meta_bytes + kl + vl + 2;
    char *nb = malloc(cap ? cap : 1), *w = nb;
    if (!nb) return lmp_error_set(err, LMP_ENOMEM, "out of memory");
    unsigned n = 0;
    const char *p = m->meta;
    for (unsigned i = 0; i < m->n_meta; i++) {
        const char *v = p + strlen(p) + 1, *next = v + strlen(v) + 1;
        if (strcmp(p, key) != 0) {
            memcpy(w, p, (size_t)(next - p));
            w += next - p;
            n++;
        }
        p = next;
    }
    memcpy(w, key, kl + 1);
    w += kl + 1;
    memcpy(w, value, vl + 1);
    w += vl + 1;
    if (m->meta_owned) free(m->meta);
    m->meta = nb;
    m->meta_bytes = (uint64_t)(w - nb);
    m->n_meta = n + 1;
    m->meta_owned = 1;
    return LMP_OK;
}

const char *lmp_ngram_meta_get(const lmp_ngram *m, const char *key)
{
    if (!m || !key) return NULL;
    return ng_meta_find(m->meta, m->meta_bytes, m->n_meta, key);
}

size_t lmp_ngram_meta_count(const lmp_ngram *m)
{
    return m ? m->n_meta : 0;
}

void lmp_ngram_meta_at(const lmp_ngram *m, size_t i, const char **key, const char **value)
{
    *key = *value = NULL;
    if (!m || i >= m->n_meta) return;
    const char *p = m->meta;
    for (size_t k = 0; k < i; k++) {
        p += strlen(p) + 1;
        p += strlen(p) + 1;
    }
    *key = p;
    *value = p + strlen(p) + 1;
}

lmp_status lmp_ngram_meta_set(lmp_ngram *m, const char *key, const char *value, lmp_error *err)
{
    if (!m || !key || !value) return lmp_error_set(err, LMP_EINVAL, "lmp_ngram_meta_set: NULL argument");
    return ng_meta_put(m, key, value, err);
}

static const char *const tokens_names[] = {"unknown", "word", "char", "byte", "gpt2"};

const char *lmp_ngram_tokens_name(lmp_ngram_tokens t)
{
    return (unsigned)t < sizeof tokens_names / sizeof *tokens_names ? tokens_names[t] : "unknown";
}

lmp_ngram_tokens lmp_ngram_tokens_parse(const char *s)
{
    for (unsigned t = 1; s && t < sizeof tokens_names / sizeof *tokens_names; t++)
        if (strcmp(s, tokens_names[t]) == 0) return (lmp_ngram_tokens)t;
    return LMP_NGRAM_TOKENS_UNKNOWN;
}

lmp_ngram_tokens lmp_ngram_get_tokens(const lmp_ngram *m)
{
    return lmp_ngram_tokens_parse(lmp_ngram_meta_get(m, LMP_NGRAM_META_TOKENS));
}

lmp_status lmp_ngram_check_tokens(const lmp_ngram *m, lmp_ngram_tokens want, lmp_error *err)
{
    if ((unsigned)want > (unsigned)LMP_NGRAM_TOKENS_GPT2 || want == LMP_NGRAM_TOKENS_UNKNOWN)
        return lmp_error_set(err, LMP_EINVAL, "check_tokens: token kind %d: expected word, char, byte or gpt2",
                             (int)want);
    lmp_ngram_tokens have = lmp_ngram_get_tokens(m);
    if (have == LMP_NGRAM_TOKENS_UNKNOWN || have == want) return LMP_OK;
    return lmp_error_set(err, LMP_EINVAL,
                         "the model was trained on %s tokens (its record 'tokens: %s'), the text would be read as %s "
                         "tokens: expected --mode %s",
                         lmp_ngram_tokens_name(have), lmp_ngram_tokens_name(have), lmp_ngram_tokens_name(want),
                         lmp_ngram_tokens_name(have));
}
