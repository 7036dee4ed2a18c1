/* Training vocabulary (include/lmprob/vocab.h). */
#include "lmprob/vocab.h"

#include <stdlib.h>
#include <string.h>

#include "../core/strtab.h"

struct lmp_vocab {
    lmp_strtab_slot *table; /* word -> id: the library's one string table (core/strtab.h) */
    uint64_t *off;    /* per id: offset of the word in the arena */
    uint32_t *len;    /* per id: length */
    size_t n, ids_cap, mask;
    char *arena;
    size_t arena_len, arena_cap;
};

/* Double the table: every word goes to its slot in the new one (the slots keep no
 * hash, so each is hashed again: amortised one more hash per word). */
static int grow_table(lmp_vocab *v)
{
    size_t ncap = (v->mask + 1) * 2;
    lmp_strtab_slot *t = calloc(ncap, sizeof *t);
    if (!t) return -1;
    for (size_t id = 0; id < v->n; id++)
        lmp_strtab_put(t, ncap - 1, lmp_strhash(v->arena + v->off[id], v->len[id]), (lmp_token_id)id);
    free(v->table);
    v->table = t;
    v->mask = ncap - 1;
    return 0;
}

lmp_status lmp_vocab_create(lmp_vocab **out, lmp_error *err)
{
    if (!out) return lmp_error_set(err, LMP_EINVAL, "vocab_create: out is NULL: expected a place for the vocabulary");
    *out = NULL;
    lmp_vocab *v = calloc(1, sizeof *v);
    if (!v) return lmp_error_set(err, LMP_ENOMEM, "vocabulary: out of memory");
    v->mask = 1023;
    v->table = calloc(v->mask + 1, sizeof *v->table);
    v->ids_cap = 256;
    v->off = malloc(v->ids_cap * sizeof *v->off);
    v->len = malloc(v->ids_cap * sizeof *v->len);
    v->arena_cap = 4096;
    v->arena = malloc(v->arena_cap);
    if (!v->table || !v->off || !v->len || !v->arena) {
        lmp_vocab_free(v);
        return lmp_error_set(err, LMP_ENOMEM, "vocabulary: out of memory");
    }
    static const char *const specials[3] = {"<unk>", "<s>", "</s>"};
    for (int i = 0; i < 3; i++) {
        lmp_token_id id;
        lmp_status st = lmp_vocab_add(v, specials[i], strlen(specials[i]), &id, err);
        if (st) {
            lmp_vocab_free(v);
            return st;
        }
    }
    *out = v;
    return LMP_OK;
}

void lmp_vocab_free(lmp_vocab *v)
{
    if (!v) return;
    free(v->table);
    free(v->off);
    free(v->len);
    free(v->arena);
    free(v);
}

typedef struct vocab_key {
    const lmp_vocab *v;
    const char *s;
    size_t n;
} vocab_key;

static int vocab_key_eq(const void *owner, lmp_token_id id)
{
    const vocab_key *k = owner;
    return k->v->len[id] == k->n && memcmp(k->v->arena + k->v->off[id], k->s, k->n) == 0;
}

static lmp_token_id find_h(const lmp_vocab *v, const char *s, size_t n, uint64_t h, size_t *slot)
{
    vocab_key k = {v, s, n};
    return lmp_strtab_find(v->table, v->mask, h, vocab_key_eq, &k, slot);
}

lmp_token_id lmp_vocab_find(const lmp_vocab *v, const char *s, size_t n)
{
    if (!s && n) return LMP_TOKEN_NONE; /* no word (vocab.h) */
    return find_h(v, s, n, lmp_strhash(s, n), NULL);
}

lmp_status lmp_vocab_add(lmp_vocab *v, const char *s, size_t n, lmp_token_id *id, lmp_error *err)
{
    if ((!s && n) || !id || !v)
        return lmp_error_set(err, LMP_EINVAL, "vocab_add: %s is NULL (n = %zu): expected %s",
                             !v ? "the vocabulary" : !id ? "id" : "the word", n,
                             !v ? "a vocabulary" : !id ? "a place for the id" : "n bytes");
    if (n == 0) return lmp_error_set(err, LMP_EINVAL, "vocab_add: an empty word: expected n > 0 bytes");
    uint64_t h = lmp_strhash(s, n);
    size_t slot = 0;
    lmp_token_id f = find_h(v, s, n, h, &slot);
    if (f >= 0) {
        *id = f;
        return LMP_OK;
    }
    if (v->n >= (size_t)INT32_MAX) return lmp_error_set(err, LMP_ERANGE, "vocabulary: more than 2^31-1 words");
    if (v->n == v->ids_cap) {
        size_t nc = v->ids_cap * 2;
        uint64_t *no = realloc(v->off, nc * sizeof *no);
        if (no) v->off = no;
        uint32_t *nl = realloc(v->len, nc * sizeof *nl);
        if (nl) v->len = nl;
        if (!no || !nl) return lmp_error_set(err, LMP_ENOMEM, "vocabulary: out of memory");
        v->ids_cap = nc;
    }
    if (v->arena_len + n + 1 > v->arena_cap) {
        size_t nc = v->arena_cap * 2;
        while (nc < v->arena_len + n + 1) nc *= 2;
        char *na = realloc(v->arena, nc);
        if (!na) return lmp_error_set(err, LMP_ENOMEM, "vocabulary: out of memory");
        v->arena = na;
        v->arena_cap = nc;
    }
    memcpy(v->arena + v->arena_len, s, n);
    v->arena[v->arena_len + n] = '\0';
    size_t nid = v->n++;
    v->off[nid] = v->arena_len;
    v->len[nid] = (uint32_t)n;
    v->arena_len += n + 1;
    lmp_strtab_fill(v->table, slot, h, (lmp_token_id)nid);
    if (v->n * 2 > v->mask + 1 && grow_table(v)) return lmp_error_set(err, LMP_ENOMEM, "vocabulary: out of memory");
    *id = (lmp_token_id)nid;
    return LMP_OK;
}

size_t lmp_vocab_size(const lmp_vocab *v) { return v->n; }

const char *lmp_vocab_word(const lmp_vocab *v, lmp_token_id id, size_t *len)
{
    if (id < 0 || (size_t)id >= v->n) return NULL;
    if (len) *len = v->len[id];
    return v->arena + v->off[id];
}

size_t lmp_vocab_bytes(const lmp_vocab *v)
{
    return sizeof *v + (v->mask + 1) * sizeof *v->table +
           v->ids_cap * (sizeof *v->off + sizeof *v->len) + v->arena_cap;
}
