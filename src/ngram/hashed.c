/* Building the hashed model (the layout of ngram_internal.h) one n-gram at a
 * time: the ARPA reader and the conversion of a trained model both feed it.
 *
 * Memory follows what arrives, not what a header declares: the tables and
 * lists start at the size the caller reserves (the declared count when the
 * file can hold it) and double, rehashed, when more n-grams come; at the end
 * of an order the table is rehashed to its final size (1.5 slots per n-gram,
 * KenLM's probing multiplier), so the result does not depend on the reserve.
 *
 * Blanks: SRILM-pruned models can hold an n-gram whose suffix w_k .. w_n is
 * missing. The scorer walks suffixes and stops at the first miss, so, as KenLM
 * does (lm/search_hashed.cc FindLower/AdjustLower), each missing suffix gets a
 * "blank" entry: log10 p = the backed-off probability of w_n after
 * w_k .. w_{n-1} from the lower orders, backoff 0, not written back to ARPA.
 * The blank's context is marked extendable so that states keep it. */
#include <stdlib.h>

#include "../core/bigmem.h"
#include "ngram_internal.h"

void ng_hb_init(ng_hb *b, struct lmp_ngram *m)
{
    memset(b, 0, sizeof *b);
    b->m = m;
}

void ng_hb_free(ng_hb *b)
{
    for (unsigned n = 0; n <= LMP_NGRAM_MAX_ORDER; n++) {
        free(b->blank[n]);
        free(b->slot2ent[n]);
    }
    memset(b, 0, sizeof *b);
}

/* Insert key at its first free slot from its home (the key is not in the table). */
static uint64_t free_slot(const ng_slot *tab, uint64_t cap, uint64_t key)
{
    uint64_t s = ng_home(key, cap);
    while (tab[s].key != 0)
        if (++s == cap) s = 0;
    return s;
}

/* Move order n's table to `cap` slots, keeping the list's slots and the blank marks right. */
static int rehash(ng_hb *b, unsigned n, uint64_t cap)
{
    struct lmp_ngram *m = b->m;
    ng_slot *nt = mem_block_alloc(cap * sizeof *nt);
    uint32_t *ns = malloc(cap * sizeof *ns);
    unsigned char *nb = b->blank[n] ? calloc(cap, 1) : NULL;
    if (!nt || !ns || (b->blank[n] && !nb)) {
        mem_block_free(nt);
        free(ns);
        free(nb);
        return -1;
    }
    for (uint64_t s = 0; s < m->cap[n]; s++) {
        const ng_slot *o = &m->tab[n][s];
        if (o->key == 0) continue;
        uint64_t t = free_slot(nt, cap, o->key);
        nt[t] = *o;
        uint32_t e = b->slot2ent[n][s];
        ns[t] = e;
        if (e != NG_EMPTY_ID) m->ent[n][e].slot = (uint32_t)t;
        if (nb) nb[t] = b->blank[n][s];
    }
    mem_block_free(m->tab[n]);
    free(b->slot2ent[n]);
    free(b->blank[n]);
    m->tab[n] = nt;
    m->cap[n] = cap;
    b->slot2ent[n] = ns;
    b->blank[n] = nb;
    return 0;
}

lmp_status ng_hb_begin(ng_hb *b, unsigned n, uint64_t reserve, lmp_error *err)
{
    struct lmp_ngram *m = b->m;
    if (reserve < 16) reserve = 16;
    m->cap[n] = ng_table_capacity(reserve);
    /* zeroed (empty), one cache line a group, huge pages when large (core/bigmem.h): a probe is
     * then one line and, in a table larger than the TLB's reach in small pages, no page walk */
    m->tab[n] = mem_block_alloc(m->cap[n] * sizeof(ng_slot));
    m->ent[n] = malloc(reserve * sizeof(ng_entry));
    b->slot2ent[n] = malloc(m->cap[n] * sizeof(uint32_t));
    b->reserve[n] = reserve;
    b->added[n] = 0;
    if (!m->tab[n] || !m->ent[n] || !b->slot2ent[n])
        return lmp_error_set(err, LMP_ENOMEM, "out of memory for %llu %u-grams", (unsigned long long)reserve, n);
    memset(b->slot2ent[n], 0xff, m->cap[n] * sizeof(uint32_t));
    b->fill[n] = 0;
    return LMP_OK;
}

/* Add the blanks for the missing suffixes of ids[0..n) (orders 2 .. n-1). */
static ng_hb_result add_blanks(ng_hb *b, unsigned n, const lmp_token_id *ids)
{
    struct lmp_ngram *m = b->m;
    for (unsigned j = 2; j < n; j++) { /* suffix of length j: ids[n-j .. n-1] */
        uint64_t key = ng_key1(ids[n - 1]);
        for (unsigned q = 2; q <= j; q++) key = ng_combine(key, ids[n - q]);
        key = ng_key_fix(key);
        if (ng_find(m->tab[j], m->cap[j], key)) continue;
        if (b->fill[j] + 2 > m->cap[j]) { /* keep one empty slot: probes end there */
            b->bad_order = j;
            return NG_HB_FULL;
        }
        if (!b->blank[j] && !(b->blank[j] = calloc(m->cap[j], 1))) return NG_HB_NOMEM;
        lmp_ngram_state st, out;
        lmp_ngram_state_from(m, ids + n - j, j - 1, &st);
        unsigned len;
        float p = ng_score(m, &st, ids[n - 1], &out, &len);
        uint64_t s = free_slot(m->tab[j], m->cap[j], key);
        m->tab[j][s].key = key;
        m->tab[j][s].prob = p;
        m->tab[j][s].backoff = -0.0f;
        b->blank[j][s] = 1;
        if (b->slot2ent[j]) b->slot2ent[j][s] = NG_EMPTY_ID;
        b->fill[j]++;
        /* its context ids[n-j .. n-2] can now be extended */
        if (j == 2) {
            float *pb = &m->uni[ids[n - 2]].backoff;
            if (*pb == 0) *pb = 0.0f;
        } else {
            uint64_t ck = ng_key1(ids[n - 2]);
            for (unsigned q = 3; q <= j; q++) ck = ng_combine(ck, ids[n - q]);
            /* the table is the builder's to write: the slot found (read-only) by its index in it */
            const ng_slot *cs = ng_find(m->tab[j - 1], m->cap[j - 1], ng_key_fix(ck));
            float *cb = cs ? &m->tab[j - 1][cs - m->tab[j - 1]].backoff : NULL;
            if (cb && *cb == 0) *cb = 0.0f;
        }
    }
    return NG_HB_OK;
}

ng_hb_result ng_hb_add(ng_hb *b, unsigned n, const lmp_token_id *ids, float p, float bo)
{
    struct lmp_ngram *m = b->m;
    if (n >= 3) {
        ng_hb_result r = add_blanks(b, n, ids);
        if (r) return r;
    }
    /* The context w_1 .. w_{n-1} must be an (n-1)-gram; it can now be extended. */
    uint32_t prefix; /* ng_entry.prefix (on disk): the context's word id for n = 2, else its entry index */
    if (n == 2) {
        prefix = (uint32_t)ids[0]; /* a word id, >= 0 */
        float *pb = &m->uni[ids[0]].backoff;
        if (*pb == 0) *pb = 0.0f;
    } else {
        uint64_t pk = ng_key1(ids[n - 2]);
        for (int j = (int)n - 3; j >= 0; j--) pk = ng_combine(pk, ids[j]);
        pk = ng_key_fix(pk);
        const ng_slot *ps = ng_find(m->tab[n - 1], m->cap[n - 1], pk);
        uint64_t pslot = ps ? (uint64_t)(ps - m->tab[n - 1]) : 0;
        if (ps && b->blank[n - 1] && b->blank[n - 1][pslot]) ps = NULL; /* a blank is no n-gram */
        if (!ps) return NG_HB_NOCTX;
        float *pb = &m->tab[n - 1][pslot].backoff;
        if (*pb == 0) *pb = 0.0f;
        prefix = b->slot2ent[n - 1][pslot];
    }
    uint64_t i = b->added[n];
    if (i >= UINT32_MAX / 2) return NG_HB_NOMEM;
    /* room for one more n-gram: the list, and the table below 1/1.5 full */
    if (i == b->reserve[n]) {
        uint64_t nr = b->reserve[n] * 2;
        ng_entry *ne = realloc(m->ent[n], nr * sizeof *ne);
        if (!ne) return NG_HB_NOMEM;
        m->ent[n] = ne;
        b->reserve[n] = nr;
        if (rehash(b, n, ng_table_capacity(nr))) return NG_HB_NOMEM;
    }
    uint64_t key = ng_key1(ids[n - 1]);
    for (int j = (int)n - 2; j >= 0; j--) key = ng_combine(key, ids[j]);
    key = ng_key_fix(key);
    uint64_t cap = m->cap[n];
    uint64_t s = ng_home(key, cap);
    while (m->tab[n][s].key != 0 && m->tab[n][s].key != key)
        if (++s == cap) s = 0;
    if (m->tab[n][s].key == key) {
        const ng_entry *e = &m->ent[n][b->slot2ent[n][s]];
        return e->prefix == prefix && ng_entry_word(e) == ids[n - 1] ? NG_HB_DUP : NG_HB_COLLISION;
    }
    m->tab[n][s].key = key;
    m->tab[n][s].prob = p;
    m->tab[n][s].backoff = bo;
    b->slot2ent[n][s] = (uint32_t)i;
    m->ent[n][i].prefix = prefix;
    m->ent[n][i].word = (uint32_t)ids[n - 1]; /* the on-disk field; a word id, >= 0 */
    m->ent[n][i].slot = (uint32_t)s;
    b->added[n] = i + 1;
    b->fill[n] = i + 1;
    return NG_HB_OK;
}

lmp_status ng_hb_end(ng_hb *b, unsigned n, lmp_error *err)
{
    struct lmp_ngram *m = b->m;
    uint64_t cnt = b->added[n];
    m->counts[n] = cnt;
    uint64_t want = ng_table_capacity(cnt);
    if (m->cap[n] != want && rehash(b, n, want))
        return lmp_error_set(err, LMP_ENOMEM, "out of memory for %llu %u-grams", (unsigned long long)cnt, n);
    if (b->reserve[n] > cnt && cnt > 0) {
        ng_entry *ne = realloc(m->ent[n], cnt * sizeof *ne);
        if (ne) m->ent[n] = ne;
        b->reserve[n] = cnt;
    }
    /* order n-1's slot map is no longer needed (contexts are looked up one order down) */
    if (n >= 2) {
        free(b->slot2ent[n - 1]);
        b->slot2ent[n - 1] = NULL;
    }
    return LMP_OK;
}

uint64_t ng_model_bytes(const struct lmp_ngram *m)
{
    uint64_t b = m->vocab_size * (sizeof(ng_pb) + sizeof(uint64_t)) + m->vcap * sizeof(ng_vslot) + m->strbytes +
                 m->meta_bytes;
    for (unsigned n = 2; n <= m->order; n++) b += m->cap[n] * sizeof(ng_slot) + m->counts[n] * sizeof(ng_entry);
    return b;
}

uint64_t ng_build_hashed_bytes(const ng_src *s)
{
    /* ng_model_bytes of the result (tables at their first capacity, before any
     * blank a missing suffix adds), and the builder's slot maps of two orders */
    uint64_t V = s->counts[1], words = 0, slots = 0;
    for (uint64_t i = 0; i < V; i++) {
        size_t len;
        s->word(s->self, (lmp_token_id)i, &len); /* i < V: vocabularies stop at INT32_MAX words (lmp_vocab_add, the readers) */
        words += len + 1;
    }
    uint64_t b = V * (sizeof(ng_pb) + sizeof(uint64_t)) + ng_capacity(V) * sizeof(ng_vslot) + words + 8 + s->meta_bytes;
    for (unsigned n = 2; n <= s->order; n++) {
        uint64_t cap = ng_table_capacity(s->counts[n] < 16 ? 16 : s->counts[n]);
        b += cap * sizeof(ng_slot) + s->counts[n] * sizeof(ng_entry);
        if (cap > slots) slots = cap;
    }
    return b + 2 * slots * sizeof(uint32_t);
}

lmp_status ng_build_hashed(const ng_src *s, struct lmp_ngram **out, lmp_error *err)
{
    *out = NULL;
    struct lmp_ngram *m = calloc(1, sizeof *m);
    if (!m) return lmp_error_set(err, LMP_ENOMEM, "out of memory");
    uint64_t V = s->counts[1], bytes = 0;
    if (V > (uint64_t)INT32_MAX) { /* every word id must be an lmp_token_id (>= 0) */
        free(m);
        return lmp_error_set(err, LMP_EUNSUPPORTED, "%llu words: a model holds at most 2^31-1 words",
                             (unsigned long long)V);
    }
    for (uint64_t i = 0; i < V; i++) {
        size_t len;
        s->word(s->self, (lmp_token_id)i, &len);
        bytes += len + 1;
    }
    m->order = s->order;
    m->vocab_size = V;
    m->counts[1] = V;
    m->flags = s->flags;
    m->uni = malloc(V * sizeof *m->uni);
    m->stroff = malloc((V + 1) * sizeof *m->stroff);
    m->strings = malloc(bytes + 8);
    lmp_status st = LMP_OK;
    if (!m->uni || !m->stroff || !m->strings) st = lmp_error_set(err, LMP_ENOMEM, "out of memory for %llu words", (unsigned long long)V);
    uint64_t at = 0;
    for (uint64_t i = 0; !st && i < V; i++) {
        size_t len;
        const char *w = s->word(s->self, (lmp_token_id)i, &len);
        m->stroff[i] = at;
        memcpy(m->strings + at, w, len);
        m->strings[at + len] = 0;
        at += len + 1;
        float p, b;
        s->unigram(s->self, (lmp_token_id)i, &p, &b);
        m->uni[i].prob = p;
        m->uni[i].backoff = b == 0 ? -0.0f : b; /* extendable again when a bigram has it as its context */
    }
    if (!st) {
        memset(m->strings + at, 0, 8);
        m->stroff[V] = at;
        m->strbytes = at;
        st = ng_build_vocab_table(m, "<model>", NULL, err);
    }
    if (!st) {
        m->unk = ng_vocab_find(m, "<unk>", 5);
        m->bos = ng_vocab_find(m, "<s>", 3);
        m->eos = ng_vocab_find(m, "</s>", 4);
        if (m->unk < 0) st = lmp_error_set(err, LMP_EFORMAT, "the model has no <unk>");
    }
    const char *mp = s->meta;
    for (unsigned i = 0; !st && i < s->n_meta; i++) {
        const char *val = mp + strlen(mp) + 1;
        st = ng_meta_put(m, mp, val, err);
        mp = val + strlen(val) + 1;
    }
    ng_hb b;
    ng_hb_init(&b, m);
    for (unsigned n = 2; !st && n <= s->order; n++) {
        st = ng_hb_begin(&b, n, s->counts[n], err);
        lmp_token_id ids[LMP_NGRAM_MAX_ORDER];
        for (uint64_t i = 0; !st && i < s->counts[n]; i++) {
            uint32_t ctx;
            lmp_token_id w;
            float p, bo;
            s->entry(s->self, n, i, &ctx, &w, &p, &bo);
            ng_src_words(s, n, i, ids);
            ng_hb_result r = ng_hb_add(&b, n, ids, p, bo == 0 ? -0.0f : bo);
            if (r == NG_HB_NOMEM) st = lmp_error_set(err, LMP_ENOMEM, "out of memory for %u-grams", n);
            else if (r == NG_HB_COLLISION)
                st = lmp_error_set(err, LMP_EUNSUPPORTED, "64-bit hash collision between two %u-grams: this model "
                                   "cannot be stored in the hashed layout (use the trie)", n);
            else if (r == NG_HB_FULL)
                st = lmp_error_set(err, LMP_EUNSUPPORTED, "too many %u-grams missing (suffixes of longer n-grams)",
                                   b.bad_order);
            else if (r) st = lmp_error_set(err, LMP_EFORMAT, "%u-gram %llu: %s", n, (unsigned long long)i,
                                           r == NG_HB_DUP ? "a duplicate" : "its context is not an n-gram");
        }
        if (!st) st = ng_hb_end(&b, n, err);
    }
    ng_hb_free(&b);
    if (st) {
        lmp_ngram_free(m);
        return st;
    }
    m->bytes = ng_model_bytes(m);
    *out = m;
    return LMP_OK;
}
