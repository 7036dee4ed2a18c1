/* Scoring text with an n-gram model: sentences, corpus perplexity (incl. and
 * excl. OOV), cross-entropy per token and per byte. Conventions follow KenLM's
 * query (lm/ngram_query.hh): <s> is context, </s> is scored and counted, OOV
 * words are scored as <unk> and counted apart. A literal "<unk>" in the text is
 * an OOV too: KenLM's vocabulary never stores <unk> (lm/vocab.cc: Insert gives
 * it id 0 and keeps it out of the table), so Index("<unk>") is 0, which the
 * query counts as NotFound. Its score is <unk>'s either way. */
#include <stdlib.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "../core/ksum.h"
#include "ngram_internal.h"

#define LOG2_10 3.32192809488736234787

double lmp_ngram_stats_perplexity(const lmp_ngram_stats *s)
{
    if (s->tokens == 0) return NAN;
    return pow(10.0, -s->log10_prob / (double)s->tokens);
}

double lmp_ngram_stats_perplexity_excl_oov(const lmp_ngram_stats *s)
{
    if (s->tokens <= s->oov) return NAN;
    return pow(10.0, -(s->log10_prob - s->log10_prob_oov) / (double)(s->tokens - s->oov));
}

double lmp_ngram_stats_bits_per_token(const lmp_ngram_stats *s)
{
    if (s->tokens == 0) return NAN;
    return -s->log10_prob * LOG2_10 / (double)s->tokens;
}

double lmp_ngram_stats_bits_per_byte(const lmp_ngram_stats *s)
{
    if (s->bytes == 0) return NAN;
    return -s->log10_prob * LOG2_10 / (double)s->bytes;
}

/* Word separators: the bytes lmplz splits training text on (' ', '\t', '\r',
 * '\0'; lm/builder/corpus_count.cc), which lmprob's corpus reader uses too,
 * so a text is split here exactly as in training. One compare for the common
 * case of a printable byte. */
static inline int ws(char c)
{
    unsigned char u = (unsigned char)c;
    return u <= 32 && (u == 32 || u == 9 || u == 13 || u == 0);
}

/* Sentences are scored in chunks of up to NG_CHUNK_TOKENS words. Within a
 * chunk, the word hashes are computed first (prefetching the vocabulary
 * slots), then the ids, then the scores; while token t is scored, the table
 * slots that token t + NG_AHEAD will probe are prefetched. The keys of those
 * probes depend only on the words, not on the state (the state only decides
 * how far the probing goes), so the loads of several tokens overlap instead
 * of waiting one cache miss after another; this is where lmprob gains on
 * KenLM's query, which probes one token at a time. */
#define NG_CHUNK_TOKENS 256
#define NG_AHEAD 8 /* < NG_RING */
#define NG_HIST (LMP_NGRAM_MAX_ORDER - 1)

typedef struct ng_chunk {
    const char *w[NG_CHUNK_TOKENS + 1];
    size_t len[NG_CHUNK_TOKENS + 1];
    uint64_t h[NG_CHUNK_TOKENS + 1];
    lmp_token_id ids[NG_HIST + NG_CHUNK_TOKENS + 1]; /* NG_HIST words of history, then the chunk */
    unsigned char oov[NG_CHUNK_TOKENS + 1];
} ng_chunk;

/* The keys and home slots of the n-grams ending at a token, worked out once
 * when its slots are prefetched and used again when it is scored. */
typedef struct ng_probe {
    uint64_t key[NG_HIST];  /* key of the (j+2)-gram ending at the token */
    uint64_t slot[NG_HIST]; /* its home slot */
} ng_probe;

/* A ring of NG_RING (> NG_AHEAD) probes stays in L1. */
#define NG_RING 16

static inline void prefetch_token(const lmp_ngram *m, const lmp_token_id *ids, size_t t, size_t hist, ng_probe *pr)
{
    ng_prefetch(&m->uni[ids[t]]);
    if (m->trie) return;
    uint64_t key = ng_key1(ids[t]);
    /* The history may sit before ids[0] (t < j): a signed index, not t - j in
     * size_t, whose wrap-around is a pointer overflow (clang UBSan, issue 11). */
    const ptrdiff_t at = (ptrdiff_t)t;
    for (unsigned j = 1; j < m->order && j <= hist; j++) {
        key = ng_combine(key, ids[at - (ptrdiff_t)j]);
        unsigned n = j + 1;
        uint64_t k = ng_key_fix(key), i = ng_home(k, m->cap[n]);
        pr->key[j - 1] = k;
        pr->slot[j - 1] = i;
        ng_prefetch(&m->tab[n][i]);
    }
}

typedef struct ng_sent {
    lmp_ngram_state a, b, *st[2];
    lmp_ngram_sentence s;
    size_t hist;   /* valid history words before the chunk (<s> counts) */
    ng_chunk c;
} ng_sent;

/* The bookkeeping of every scorer (the sentence scorer's chunks, trie_scores,
 * hashed_batch_score): each scored token added to its sentence (and to the OOV sums) and
 * passed to the token callback; a finished sentence added to the totals and passed on. */
static inline void token_scored(lmp_ngram_sentence *sent, lmp_ngram_stats *acc, const lmp_ngram_callbacks *cb,
                                const char *word, size_t wlen, lmp_token_id id, int oov, unsigned len, double p)
{
    sent->log10_prob += p;
    sent->tokens++;
    if (oov) {
        sent->oov++;
        acc->log10_prob_oov += p;
    }
    if (cb && cb->token) {
        lmp_ngram_token tk = {word, wlen, id, oov, len, p};
        cb->token(cb->ctx, &tk);
    }
}

static inline void sentence_close(const lmp_ngram_sentence *sent, lmp_ngram_stats *acc, const lmp_ngram_callbacks *cb)
{
    acc->log10_prob += sent->log10_prob;
    acc->tokens += sent->tokens;
    acc->oov += sent->oov;
    acc->sentences++;
    if (cb && cb->sentence) cb->sentence(cb->ctx, sent);
}

static inline void sentence_open(lmp_ngram_sentence *sent, uint64_t index)
{
    sent->index = index;
    sent->log10_prob = 0;
    sent->tokens = 0;
    sent->oov = 0;
}

static void sent_begin(const lmp_ngram *m, ng_sent *S, uint64_t index)
{
    lmp_ngram_state_begin(m, &S->a);
    S->st[0] = &S->a;
    S->st[1] = &S->b;
    sentence_open(&S->s, index);
    S->hist = 0;
    if (m->bos >= 0) {
        S->c.ids[NG_HIST - 1] = m->bos;
        S->hist = 1;
    }
}

/* Score the k words in S->c.w/len (plus </s> when last) */
static void sent_chunk(const lmp_ngram *m, ng_sent *S, size_t k, int last, lmp_ngram_stats *acc,
                       const lmp_ngram_callbacks *cb)
{
    ng_chunk *c = &S->c;
    for (size_t i = 0; i < k; i++) {
        c->h[i] = ng_hash_str(c->w[i], c->len[i]);
        ng_prefetch(&m->vtab[ng_bucket(c->h[i], m->vcap)]);
    }
    lmp_token_id *ids = c->ids + NG_HIST;
    for (size_t i = 0; i < k; i++) {
        lmp_token_id id = ng_vocab_find_h(m, c->w[i], c->len[i], c->h[i]);
        c->oov[i] = id < 0 || id == m->unk; /* a literal <unk> too, as KenLM's query (ng_is_oov) */
        ids[i] = id < 0 ? m->unk : id;
    }
    size_t total = k;
    if (last && m->eos >= 0) {
        ids[k] = m->eos;
        c->oov[k] = 0;
        c->w[k] = "</s>";
        c->len[k] = 4;
        total = k + 1;
    }
    size_t hist = S->hist;
    /* The state's context words are the last words of the sentence (state.length <= the
     * history), so the keys worked out from the ids are the ones ng_score would make. */
    ng_probe ring[NG_RING];
    for (size_t t = 0; t < total && t < NG_AHEAD; t++) prefetch_token(m, ids, t, hist + t, &ring[t % NG_RING]);
    for (size_t t = 0; t < total; t++) {
        if (t + NG_AHEAD < total)
            prefetch_token(m, ids, t + NG_AHEAD, hist + t + NG_AHEAD, &ring[(t + NG_AHEAD) % NG_RING]);
        unsigned len;
        const ng_probe *pr = &ring[t % NG_RING];
        double p = m->trie ? ng_score(m, S->st[0], ids[t], S->st[1], &len)
                           : ng_score_keys(m, S->st[0], ids[t], S->st[1], &len, pr->key, pr->slot);
        lmp_ngram_state *tmp = S->st[0];
        S->st[0] = S->st[1];
        S->st[1] = tmp;
        token_scored(&S->s, acc, cb, c->w[t], c->len[t], ids[t], c->oov[t], len, p);
    }
    /* Carry the last NG_HIST ids over as history for the next chunk. */
    size_t keep = hist + total < NG_HIST ? hist + total : NG_HIST;
    memmove(c->ids + NG_HIST - keep, ids + total - keep, keep * sizeof(lmp_token_id));
    S->hist = keep;
}

static void score_line(const lmp_ngram *m, ng_sent *S, const char *line, size_t len, lmp_ngram_stats *acc,
                       const lmp_ngram_callbacks *cb)
{
    sent_begin(m, S, acc->sentences);
    size_t i = 0, k = 0;
    for (;;) {
        while (i < len && ws(line[i])) i++;
        if (i >= len) break;
        size_t s = i;
        while (i < len && !ws(line[i])) i++;
        if (k == NG_CHUNK_TOKENS) {
            sent_chunk(m, S, k, 0, acc, cb);
            k = 0;
        }
        S->c.w[k] = line + s;
        S->c.len[k] = i - s;
        k++;
    }
    sent_chunk(m, S, k, 1, acc, cb);
    sentence_close(&S->s, acc, cb);
    acc->bytes += len + 1;
}

void lmp_ngram_score_line(const lmp_ngram *m, const char *line, size_t len, lmp_ngram_stats *acc,
                          const lmp_ngram_callbacks *cb)
{
    if (!acc || (!line && len)) return; /* ngram.h: nothing scored */
    ng_sent S;
    score_line(m, &S, line, len, acc, cb);
}

void lmp_ngram_score_words(const lmp_ngram *m, const char *const *w, const size_t *len, size_t n,
                           lmp_ngram_stats *acc, const lmp_ngram_callbacks *cb)
{
    if (!acc || ((!w || !len) && n)) return; /* ngram.h: nothing scored */
    ng_sent S;
    sent_begin(m, &S, acc->sentences);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k == NG_CHUNK_TOKENS) {
            sent_chunk(m, &S, k, 0, acc, cb);
            k = 0;
        }
        S.c.w[k] = w[i];
        S.c.len[k] = len[i];
        k++;
    }
    sent_chunk(m, &S, k, 1, acc, cb);
    sentence_close(&S.s, acc, cb);
}

/* ---- whole files: many sentences per batch, prefetching across sentence ends ---- */

enum { EL_WORD = 0, EL_BEGIN = 1, EL_EOS = 2, EL_END = 3 };

typedef struct ng_batch {
    char *text;          /* copies of the lines of this batch */
    size_t text_len, text_cap;
    size_t *woff;        /* per element: offset of the word in text */
    uint32_t *wlen;
    lmp_token_id *ids;
    unsigned char *kind; /* EL_* */
    unsigned char *oov;
    uint32_t *hist;      /* words of context before this element inside its sentence (<s> counts) */
    uint64_t *hash;      /* string hash of each word */
    size_t n, cap;
    /* the trie layout's batch walks (trie_batch_score) */
    uint32_t *found, *ranks;
    ng_trie_walk_scratch ws;
    size_t trie_cap;
} ng_batch;

#define NG_BATCH_ELEMS 8192
#define NG_BATCH_TEXT (1u << 18)
#define NG_TEXT_PAD 16

static int batch_reserve(ng_batch *b, size_t elems, size_t text)
{
    if (b->n + elems > b->cap) {
        size_t nc = b->cap ? b->cap : NG_BATCH_ELEMS;
        while (nc < b->n + elems) nc *= 2;
        size_t *wo = realloc(b->woff, nc * sizeof *wo);
        if (!wo) return -1;
        b->woff = wo;
        uint32_t *wl = realloc(b->wlen, nc * sizeof *wl);
        if (!wl) return -1;
        b->wlen = wl;
        lmp_token_id *id = realloc(b->ids, nc * sizeof *id);
        if (!id) return -1;
        b->ids = id;
        unsigned char *k = realloc(b->kind, nc);
        if (!k) return -1;
        b->kind = k;
        unsigned char *o = realloc(b->oov, nc);
        if (!o) return -1;
        b->oov = o;
        uint32_t *h = realloc(b->hist, nc * sizeof *h);
        if (!h) return -1;
        b->hist = h;
        uint64_t *hh = realloc(b->hash, nc * sizeof *hh);
        if (!hh) return -1;
        b->hash = hh;
        b->cap = nc;
    }
    /* NG_TEXT_PAD spare bytes after the text: the word hash and compare read
     * 8 bytes at a time past a word's end (ng_hash_str_padded). */
    if (b->text_len + text + NG_TEXT_PAD > b->text_cap || !b->text) {
        size_t nc = b->text_cap ? b->text_cap : NG_BATCH_TEXT;
        while (nc < b->text_len + text + NG_TEXT_PAD) nc *= 2;
        char *t = realloc(b->text, nc);
        if (!t) return -1;
        b->text = t;
        b->text_cap = nc;
    }
    return 0;
}

static void batch_free(ng_batch *b)
{
    free(b->found);
    free(b->ranks);
    free(b->ws.el);
    free(b->ws.key);
    free(b->ws.rank);
    free(b->ws.b);
    free(b->ws.e);
    free(b->text);
    free(b->woff);
    free(b->wlen);
    free(b->ids);
    free(b->kind);
    free(b->oov);
    free(b->hist);
    free(b->hash);
}

static inline void push_el(ng_batch *b, size_t off, uint32_t len, int kind, uint32_t hist)
{
    b->woff[b->n] = off;
    b->wlen[b->n] = len;
    b->kind[b->n] = (unsigned char)kind;
    b->hist[b->n] = hist;
    b->n++;
}

/* Separator bits of text[i .. i+n), n <= 16: bit k set when text[i+k] is a separator. */
static inline uint32_t sep_mask(const char *p, size_t n)
{
#if defined(__SSE2__)
    if (n == 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\t'))),
                                 _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\r')), _mm_cmpeq_epi8(x, _mm_setzero_si128())));
        return (uint32_t)_mm_movemask_epi8(m);
    }
#endif
    uint32_t mask = 0;
    for (size_t k = 0; k < n; k++)
        if (ws(p[k])) mask |= 1u << k;
    return mask;
}

/* Append one line as <begin> words <eos|end>. Returns -1 on allocation failure.
 * Words are found 16 bytes at a time from the separator bit masks. */
static int batch_add_line(const lmp_ngram *m, ng_batch *b, const char *line, size_t len)
{
    /* At most len/2 + 1 words in len bytes. */
    if (batch_reserve(b, len / 2 + 3, len)) return -1;
    size_t base = b->text_len;
    char *text = b->text + base;
    memcpy(text, line, len);
    b->text_len += len;
    uint32_t h = m->bos >= 0 ? 1 : 0;
    push_el(b, 0, 0, EL_BEGIN, 0);
    int in_word = 0;
    size_t start = 0;
    for (size_t i = 0; i < len; i += 16) {
        size_t n = len - i < 16 ? len - i : 16;
        uint32_t sep = sep_mask(text + i, n);
        uint32_t word = ~sep & (n == 16 ? 0xffffu : ((1u << n) - 1));
        unsigned cur = 0;
        while (cur < n) {
            uint32_t rest = (in_word ? sep : word) >> cur;
            if (!rest) break;
            cur += (unsigned)__builtin_ctz(rest);
            if (in_word) {
                push_el(b, base + start, (uint32_t)(i + cur - start), EL_WORD, h);
                h++;
            } else {
                start = i + cur;
            }
            in_word = !in_word;
        }
    }
    if (in_word) {
        push_el(b, base + start, (uint32_t)(len - start), EL_WORD, h);
        h++;
    }
    push_el(b, 0, 0, m->eos >= 0 ? EL_EOS : EL_END, h);
    return 0;
}

/* The probes of one element, worked out when they are prefetched and used when
 * it is scored, so the scorer does not hash again: after a branch miss the
 * next probe's address is ready at once instead of after the key's
 * multiply chain. A ring of NG_RING (> NG_AHEAD) elements stays in L1. */
_Static_assert(NG_AHEAD < NG_RING, "an element's probes must stay in the ring until it is scored");

static inline void prefetch_el(const lmp_ngram *m, const ng_batch *b, size_t t, ng_probe *pr)
{
    if (b->kind[t] == EL_BEGIN || b->kind[t] == EL_END) return;
    const lmp_token_id *ids = b->ids;
    ng_prefetch(&m->uni[ids[t]]);
    uint64_t key = ng_key1(ids[t]);
    size_t hist = b->hist[t];
    for (unsigned j = 1; j < m->order && j <= hist; j++) {
        key = ng_combine(key, ids[t - j]);
        unsigned n = j + 1;
        uint64_t k = ng_key_fix(key), i = ng_home(k, m->cap[n]);
        pr->key[j - 1] = k;
        pr->slot[j - 1] = i;
        ng_prefetch(&m->tab[n][i]);
    }
}

/* ng_score with the keys and home slots of pr (same result). */
static inline float score_pre(const lmp_ngram *m, const lmp_ngram_state *in, lmp_token_id word, lmp_ngram_state *out,
                              unsigned *ngram_len, const ng_probe *pr)
{
    return ng_score_keys(m, in, word, out, ngram_len, pr->key, pr->slot);
}

/* Resolve element t's id (its vocabulary slot was prefetched earlier). */
static inline void resolve_el(const lmp_ngram *m, ng_batch *b, size_t t)
{
    switch (b->kind[t]) {
    case EL_WORD: {
        lmp_token_id id = ng_vocab_find_padded(m, b->text + b->woff[t], b->wlen[t], b->hash[t]);
        b->oov[t] = id < 0 || id == m->unk; /* a literal <unk> too, as KenLM's query */
        b->ids[t] = id < 0 ? m->unk : id;
        break;
    }
    case EL_BEGIN:
        b->ids[t] = m->bos;
        b->oov[t] = 0;
        break;
    case EL_EOS:
        b->ids[t] = m->eos;
        b->oov[t] = 0;
        break;
    default:
        b->ids[t] = -1;
        b->oov[t] = 0;
    }
}

/* The trie layout: every element's id first (vocabulary slots prefetched
 * ahead), then the walks of the whole batch level by level with their cache
 * misses overlapped (ng_trie_walk_batch), then the scores in order from the
 * entries found. Returns -1 without memory for the walks. */
static void trie_scores(const lmp_ngram *m, ng_batch *b, lmp_ngram_stats *acc, const lmp_ngram_callbacks *cb,
                        int walked);

static int trie_batch_score(const lmp_ngram *m, ng_batch *b, lmp_ngram_stats *acc, const lmp_ngram_callbacks *cb)
{
    size_t n = b->n;
    const size_t A = NG_AHEAD, stride = m->order > 1 ? m->order - 1 : 1;
    if (b->trie_cap < n) {
        size_t nc = b->cap > n ? b->cap : n;
        uint32_t *f = realloc(b->found, nc * stride * sizeof *f);
        if (f) b->found = f;
        uint32_t *r = realloc(b->ranks, nc * stride * sizeof *r);
        if (r) b->ranks = r;
        uint32_t *el = realloc(b->ws.el, nc * sizeof *el);
        if (el) b->ws.el = el;
        uint32_t *key = realloc(b->ws.key, nc * sizeof *key);
        if (key) b->ws.key = key;
        uint32_t *rank = realloc(b->ws.rank, nc * sizeof *rank);
        if (rank) b->ws.rank = rank;
        uint64_t *lo = realloc(b->ws.b, nc * sizeof *lo);
        if (lo) b->ws.b = lo;
        uint64_t *hi = realloc(b->ws.e, nc * sizeof *hi);
        if (hi) b->ws.e = hi;
        if (!f || !r || !el || !key || !rank || !lo || !hi) return -1;
        b->trie_cap = nc;
    }
    for (size_t t = 0; t < n; t++)
        if (b->kind[t] == EL_WORD) b->hash[t] = ng_hash_str_padded(b->text + b->woff[t], b->wlen[t]);
    for (size_t t = 0; t < n; t++) {
        if (t + 2 * A < n && b->kind[t + 2 * A] == EL_WORD)
            ng_prefetch(&m->vtab[ng_bucket(b->hash[t + 2 * A], m->vcap)]);
        resolve_el(m, b, t);
    }
    ng_trie_walk_batch(m, b->ids, b->hist, n, b->found, b->ranks, &b->ws);
    trie_scores(m, b, acc, cb, 1);
    return 0;
}

/* The scores of a batch in order, from the batch walks (walked = 1) or each
 * token's own walk (ng_trie_score). */
static void trie_scores(const lmp_ngram *m, ng_batch *b, lmp_ngram_stats *acc, const lmp_ngram_callbacks *cb, int walked)
{
    const size_t n = b->n, stride = m->order > 1 ? m->order - 1 : 1;
    lmp_ngram_state sa, sb, *st[2] = {&sa, &sb};
    lmp_ngram_sentence sent = {0, 0, 0, 0};
    for (size_t t = 0; t < n; t++) {
        int kind = b->kind[t];
        if (kind == EL_BEGIN) {
            lmp_ngram_state_begin(m, st[0]);
            sentence_open(&sent, acc->sentences);
            continue;
        }
        if (kind != EL_END) {
            unsigned len;
            double p = walked ? ng_trie_score_found(m, st[0], b->ids[t], st[1], &len, b->found + t * stride,
                                                    b->ranks + t * stride)
                              : ng_trie_score(m, st[0], b->ids[t], st[1], &len);
            lmp_ngram_state *tmp = st[0];
            st[0] = st[1];
            st[1] = tmp;
            token_scored(&sent, acc, cb, kind == EL_EOS ? "</s>" : b->text + b->woff[t], kind == EL_EOS ? 4 : b->wlen[t],
                         b->ids[t], b->oov[t], len, p);
        }
        if (kind == EL_EOS || kind == EL_END) sentence_close(&sent, acc, cb);
    }
    b->n = 0;
    b->text_len = 0;
}

static void trie_tokens_score(const lmp_ngram *m, ng_batch *b, lmp_ngram_stats *acc, const lmp_ngram_callbacks *cb)
{
    for (size_t t = 0; t < b->n; t++) {
        if (b->kind[t] == EL_WORD) b->hash[t] = ng_hash_str_padded(b->text + b->woff[t], b->wlen[t]);
        resolve_el(m, b, t);
    }
    trie_scores(m, b, acc, cb, 0);
}

/* A three-stage software pipeline over the elements: at step t the
 * vocabulary slot of element t + 2A is prefetched, element t + A gets its id
 * and its n-gram probes prefetched, and element t is scored (A = NG_AHEAD). */
static void hashed_batch_score(const lmp_ngram *m, ng_batch *b, lmp_ngram_stats *acc, const lmp_ngram_callbacks *cb)
{
    size_t n = b->n;
    const size_t A = NG_AHEAD;
    for (size_t t = 0; t < n; t++)
        if (b->kind[t] == EL_WORD) b->hash[t] = ng_hash_str_padded(b->text + b->woff[t], b->wlen[t]);
    for (size_t t = 0; t < n && t < 2 * A; t++)
        if (b->kind[t] == EL_WORD) ng_prefetch(&m->vtab[ng_bucket(b->hash[t], m->vcap)]);
    ng_probe ring[NG_RING];
    for (size_t t = 0; t < n && t < A; t++) {
        resolve_el(m, b, t);
        prefetch_el(m, b, t, &ring[t % NG_RING]);
    }
    lmp_ngram_state sa, sb, *st[2] = {&sa, &sb};
    lmp_ngram_sentence sent = {0, 0, 0, 0};
    for (size_t t = 0; t < n; t++) {
        if (t + 2 * A < n && b->kind[t + 2 * A] == EL_WORD)
            ng_prefetch(&m->vtab[ng_bucket(b->hash[t + 2 * A], m->vcap)]);
        if (t + A < n) {
            resolve_el(m, b, t + A);
            prefetch_el(m, b, t + A, &ring[(t + A) % NG_RING]);
        }
        int kind = b->kind[t];
        if (kind == EL_BEGIN) {
            lmp_ngram_state_begin(m, st[0]);
            sentence_open(&sent, acc->sentences);
            continue;
        }
        if (kind != EL_END) {
            unsigned len;
            double p = score_pre(m, st[0], b->ids[t], st[1], &len, &ring[t % NG_RING]);
            lmp_ngram_state *tmp = st[0];
            st[0] = st[1];
            st[1] = tmp;
            token_scored(&sent, acc, cb, kind == EL_EOS ? "</s>" : b->text + b->woff[t], kind == EL_EOS ? 4 : b->wlen[t],
                         b->ids[t], b->oov[t], len, p);
        }
        if (kind == EL_EOS || kind == EL_END) sentence_close(&sent, acc, cb);
    }
    b->n = 0;
    b->text_len = 0;
}

static void batch_score(const lmp_ngram *m, ng_batch *b, lmp_ngram_stats *acc, const lmp_ngram_callbacks *cb)
{
    if (!m->trie) hashed_batch_score(m, b, acc, cb);
    else if (trie_batch_score(m, b, acc, cb) != 0) trie_tokens_score(m, b, acc, cb); /* no memory for the walks */
}

/* Moves the totals' log-probabilities of the batch just scored into the running compensated sums. */
static void fold_sums(lmp_ngram_stats *acc, lmp_ksum *lp, lmp_ksum *lpo)
{
    lmp_ksum_add(lp, acc->log10_prob);
    lmp_ksum_add(lpo, acc->log10_prob_oov);
    acc->log10_prob = acc->log10_prob_oov = 0.0;
}

lmp_status lmp_ngram_score_file(const lmp_ngram *m, const char *path, lmp_ngram_stats *acc,
                                const lmp_ngram_callbacks *cb, lmp_error *err)
{
    if (!m || !acc) /* as lmp_ngram_mix_score_file */
        return lmp_error_set(err, LMP_EINVAL, "score_file: %s is NULL: expected %s", !m ? "the model" : "acc",
                             !m ? "a loaded model" : "a place for the totals");
    memset(acc, 0, sizeof *acc);
    io_reader *r;
    lmp_status st = io_reader_open(path, 0, &r, err);
    if (st) return st;
    const char *line;
    size_t len;
    int nl;
    uint64_t total = io_reader_raw_size(r), every = 0;
    ng_batch b = {0};
    /* The totals: each batch's sum in order, the batches' sums compensated (Neumaier), so that the drift stays
     * that of one batch's tokens whatever the text's length (a sum in order over 2^32 lines was 6e-7 off). */
    lmp_ksum lp = {0, 0}, lpo = {0, 0};
    while ((st = io_reader_line(r, &line, &len, &nl, err)) == LMP_OK) {
        if (batch_add_line(m, &b, line, len)) {
            st = lmp_error_set(err, LMP_ENOMEM, "out of memory for a batch of text");
            break;
        }
        if (b.n >= NG_BATCH_ELEMS || b.text_len >= NG_BATCH_TEXT) {
            batch_score(m, &b, acc, cb);
            fold_sums(acc, &lp, &lpo);
            if (cb && cb->progress && total && (++every & 0x3) == 0)
                cb->progress(cb->ctx, (double)io_reader_raw_bytes(r) / (double)total);
        }
    }
    if (st == LMP_EOF) {
        batch_score(m, &b, acc, cb);
        fold_sums(acc, &lp, &lpo);
        acc->bytes = io_reader_bytes(r);
    }
    acc->log10_prob = lmp_ksum_value(&lp);
    acc->log10_prob_oov = lmp_ksum_value(&lpo);
    batch_free(&b);
    io_reader_free(r);
    if (st != LMP_EOF) return st;
    if (cb && cb->progress) cb->progress(cb->ctx, 1.0);
    return LMP_OK;
}
