/* Training vocabulary (include/lmprob/vocab.h). */
#include "lmprob/vocab.h"

#include <stdlib.h>
#include <string.h>

struct lmp_vocab {
    uint32_t *table;  /* id + 1, 0 = empty */
    uint32_t *hashes; /* per id: low 32 bits of the hash */
    uint64_t *off;    /* per id: offset of the word in the arena */
    uint32_t *len;    /* per id: length */
    size_t n, ids_cap, mask;
    char *arena;
    size_t arena_len, arena_cap;
};

/* 64-bit FNV-1a, then a murmur-style finaliser for the low bits used as index. */
static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

static int grow_table(lmp_vocab *v)
{
    size_t ncap = (v->mask + 1) * 2;
    uint32_t *t = calloc(ncap, sizeof *t);
    if (!t) return -1;
    for (size_t id = 0; id < v->n; id++) {
        size_t i = v->hashes[id] & (ncap - 1);
        while (t[i]) i = (i + 1) & (ncap - 1);
        t[i] = (uint32_t)id + 1;
    }
    free(v->table);
    v->table = t;
    v->mask = ncap - 1;
    return 0;
}

lmp_status lmp_vocab_create(lmp_vocab **out, lmp_error *err)
{
    *out = NULL;
    lmp_vocab *v = calloc(1, sizeof *v);
    if (!v) return lmp_error_set(err, LMP_ENOMEM, "vocabulary: out of memory");
    v->mask = 1023;
    v->table = calloc(v->mask + 1, sizeof *v->table);
    v->ids_cap = 256;
    v->hashes = malloc(v->ids_cap * sizeof *v->hashes);
    v->off = malloc(v->ids_cap * sizeof *v->off);
    v->len = malloc(v->ids_cap * sizeof *v->len);
    v->arena_cap = 4096;
    v->arena = malloc(v->arena_cap);
    if (!v->table || !v->hashes || !v->off || !v->len || !v->arena) {
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
    free(v->hashes);
    free(v->off);
    free(v->len);
    free(v->arena);
    free(v);
}

static lmp_token_id find_h(const lmp_vocab *v, const char *s, size_t n, uint64_t h, size_t *slot)
{
    size_t i = h & v->mask;
    uint32_t h32 = (uint32_t)h;
    for (;;) {
        uint32_t e = v->table[i];
        if (!e) break;
        uint32_t id = e - 1;
        if (v->hashes[id] == h32 && v->len[id] == n && memcmp(v->arena + v->off[id], s, n) == 0)
            return (lmp_token_id)id;
        i = (i + 1) & v->mask;
    }
    if (slot) *slot = i;
    return LMP_TOKEN_NONE;
}

lmp_token_id lmp_vocab_find(const lmp_vocab *v, const char *s, size_t n)
{
    return find_h(v, s, n, hash_bytes(s, n), NULL);
}

lmp_status lmp_vocab_add(lmp_vocab *v, const char *s, size_t n, lmp_token_id *id, lmp_error *err)
{
    uint64_t h = hash_bytes(s, n);
    size_t slot;
    lmp_token_id f = find_h(v, s, n, h, &slot);
    if (f >= 0) {
        *id = f;
        return LMP_OK;
    }
    if (v->n >= (size_t)INT32_MAX) return lmp_error_set(err, LMP_ERANGE, "vocabulary: more than 2^31-1 words");
    if (v->n == v->ids_cap) {
        size_t nc = v->ids_cap * 2;
        uint32_t *nh = realloc(v->hashes, nc * sizeof *nh);
        if (nh) v->hashes = nh;
        uint64_t *no = realloc(v->off, nc * sizeof *no);
        if (no) v->off = no;
        uint32_t *nl = realloc(v->len, nc * sizeof *nl);
        if (nl) v->len = nl;
        if (!nh || !no || !nl) return lmp_error_set(err, LMP_ENOMEM, "vocabulary: out of memory");
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
    v->hashes[nid] = (uint32_t)h;
    v->arena_len += n + 1;
    v->table[slot] = (uint32_t)nid + 1;
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
           v->ids_cap * (sizeof *v->hashes + sizeof *v->off + sizeof *v->len) + v->arena_cap;
}
