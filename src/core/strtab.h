/* The library's one in-memory hash table from strings to ids (internal).
 *
 * Open addressing with linear probing over slots of {tag, id}: the tag is the high
 * half of the string's 64-bit hash, forced odd so that 0 marks an empty slot, and the
 * low bits pick the home slot. The strings themselves live with the owner (an arena
 * indexed by id), which the caller's eq() compares against, so a slot is 8 bytes and
 * a lookup touches one slot line and, on a tag match, the string.
 * Users: the training vocabulary (src/vocab/vocab.c) and GPT-2's tokenizer
 * (src/tokenizer). The n-gram model's vocabulary (ng_vslot, src/ngram) is a table of
 * the binary file format, with its own stored hash (ng_hash_str): it is read in place
 * from the file, so its layout is the format's, not this one.
 *
 * lmp_strhash: 8-byte little-endian words folded by a 128-bit multiply (the "mum" step
 * of wyhash), so a 5-byte word costs one load and two multiplies. Nothing stores it:
 * it may change between builds. */
#ifndef LMPROB_CORE_STRTAB_H
#define LMPROB_CORE_STRTAB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lmprob/core.h"

static inline uint64_t lmp_strhash_mum(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* n in 1..7 bytes as one word: for n >= 4 two overlapping 4-byte loads, else three bytes. */
static inline uint64_t lmp_strhash_tail(const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + n - 4, 4);
        v = (uint64_t)a | (uint64_t)b << (8 * (n - 4));
    } else {
        v = (uint64_t)p[0] | (uint64_t)p[n >> 1] << 8 | (uint64_t)p[n - 1] << 16;
    }
    return v;
}

static inline uint64_t lmp_strhash(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = lmp_strhash_mum(h ^ w, 0xa0761d6478bd642full);
        p += 8;
        n -= 8;
    }
    if (n) h = lmp_strhash_mum(h ^ lmp_strhash_tail(p, n), 0xe7037ed1a0b428dbull);
    return lmp_strhash_mum(h, 0x8ebc6af09c88c6e3ull);
}

typedef struct lmp_strtab_slot {
    uint32_t tag;    /* lmp_strtab_tag(hash); 0: empty */
    lmp_token_id id; /* the owner's id of the string */
} lmp_strtab_slot;

static inline uint32_t lmp_strtab_tag(uint64_t h) { return (uint32_t)(h >> 32) | 1u; }

/* The id whose string eq(owner, id) says is the one looked up (hash h), or
 * LMP_TOKEN_NONE; then *empty (when not NULL) is the slot where it would go. mask + 1
 * is the number of slots, a power of two, and at least one slot must be empty. */
static inline lmp_token_id lmp_strtab_find(const lmp_strtab_slot *slots, size_t mask, uint64_t h,
                                           int (*eq)(const void *owner, lmp_token_id id), const void *owner,
                                           size_t *empty)
{
    uint32_t tag = lmp_strtab_tag(h);
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        const lmp_strtab_slot *sl = &slots[i];
        if (sl->tag == 0) {
            if (empty) *empty = i;
            return LMP_TOKEN_NONE;
        }
        if (sl->tag == tag && eq(owner, sl->id)) return sl->id;
    }
}

/* Fill slot i (the *empty that lmp_strtab_find gave) with id, hash h. */
static inline void lmp_strtab_fill(lmp_strtab_slot *slots, size_t i, uint64_t h, lmp_token_id id)
{
    slots[i].tag = lmp_strtab_tag(h);
    slots[i].id = id;
}

/* Put id (hash h) in its first empty slot, for a string known not to be there
 * (building or growing a table). */
static inline void lmp_strtab_put(lmp_strtab_slot *slots, size_t mask, uint64_t h, lmp_token_id id)
{
    size_t i = (size_t)h & mask;
    while (slots[i].tag) i = (i + 1) & mask;
    slots[i].tag = lmp_strtab_tag(h);
    slots[i].id = id;
}

#endif
