/* Internals of the n-gram model (src/ngram): the in-memory layout shared by
 * the ARPA reader and the mmapped binary format, the hashes, and the buffered
 * line reader. Not a public header.
 *
 * Layout (one per model, identical in memory and on disk, so a binary file is
 * used straight from the mapped pages):
 *   uni[V]            (log10 prob, log10 backoff) of word id i (ids follow the ARPA \1-grams order)
 *   vtab[vcap]        open-addressing table string-hash -> word id
 *   stroff[V+1]       byte offset of word i in `strings`; word i is strings[stroff[i] .. stroff[i+1]-1) plus a NUL
 *   strings[]         the words, NUL-terminated
 *   tab[n][cap[n]]    n = 2..order: open-addressing table n-gram key -> (log10 prob, log10 backoff)
 *   ent[n][count[n]]  n = 2..order: the n-grams in file order as (prefix, last word, slot in tab[n]); prefix is
 *                     the word id for n = 2 and the index into ent[n-1] above; used only to write ARPA back.
 *
 * As in KenLM (lm/blank.hh), a zero backoff is stored as -0.0 when no longer
 * n-gram extends the n-gram (so a state need not keep it) and +0.0 when one
 * does; every non-zero backoff counts as extendable. */
#ifndef LMPROB_NGRAM_INTERNAL_H
#define LMPROB_NGRAM_INTERNAL_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "lmprob/ngram.h"

typedef struct ng_pb {
    float prob;
    float backoff;
} ng_pb;

typedef struct ng_slot {
    uint64_t key; /* 0: empty */
    float prob;
    float backoff;
} ng_slot;

/* On disk (the binary format's vocabulary table), so its fields keep their fixed unsigned widths: id
 * is a word id (< vocab_size, which the loader bounds below INT32_MAX) read as (lmp_token_id)id, or
 * NG_EMPTY_ID. */
typedef struct ng_vslot {
    uint64_t hash;
    uint32_t id; /* NG_EMPTY_ID: empty */
    uint32_t len;
} ng_vslot;

/* An n-gram of order n >= 2 in file order: its context (first n-1 words) as an
 * index into ent[n-1] (for n = 2: the context's word id), its last word, and its
 * slot in tab[n]. On disk (the hashed layout's lists): fixed uint32 fields; the word ids among them
 * are read as lmp_token_id (ng_entry_word) and were checked below vocab_size (< INT32_MAX). */
typedef struct ng_entry {
    uint32_t prefix;
    uint32_t word;
    uint32_t slot;
} ng_entry;

/* An empty slot of the on-disk vocabulary table (ng_vslot.id). */
#define NG_EMPTY_ID UINT32_MAX

/* The last word of an entry, as a word id (ng_entry.word is the on-disk uint32). */
static inline lmp_token_id ng_entry_word(const ng_entry *e) { return (lmp_token_id)e->word; }

struct ng_trie;

struct lmp_ngram {
    unsigned order;
    uint64_t counts[LMP_NGRAM_MAX_ORDER + 1]; /* counts[n], n = 1..order */
    uint64_t vocab_size;
    ng_pb *uni;
    ng_vslot *vtab;
    uint64_t vcap;
    uint64_t *stroff;
    char *strings;
    uint64_t strbytes;
    ng_slot *tab[LMP_NGRAM_MAX_ORDER + 1];
    uint64_t cap[LMP_NGRAM_MAX_ORDER + 1];
    ng_entry *ent[LMP_NGRAM_MAX_ORDER + 1];
    lmp_token_id bos, eos, unk;
    unsigned flags;    /* LMP_NGRAM_UNK_ADDED ... */
    /* ownership: either everything lives in one mapping, or each array is malloc'd */
    void *map;
    size_t map_len;
    uint64_t bytes;    /* size of the data above (file size for a binary) */
    uint64_t arpa_file_bytes; /* an ARPA file's bytes as read (compressed when it is): verify reports them */
    unsigned arpa_compression; /* LMP_NGRAM_ARPA_GZIP or _XZ for a compressed ARPA file, else 0 (info's flags) */
    int from_binary;
    /* metadata: n_meta pairs "key\0value\0" in meta[0 .. meta_bytes); owned
     * (malloc'd) when meta_owned, else inside the mapping */
    char *meta;
    uint64_t meta_bytes;
    unsigned n_meta;
    int meta_owned;
    /* the trie layout (trie.c), NULL for the hashed one: then tab/cap/ent are unused */
    struct ng_trie *trie;
};

/* Batch walks of the trie (trie.c): for elements i < n with word ids[i] (< 0:
 * none) and hist[i] context words in their sentence, found[i * (order - 1) + L - 2]
 * = the entry of level L matching the word and its L-1 context words
 * (UINT32_MAX: none), ranks[] the same places: its rank among its siblings
 * (below the highest order). The scratch arrays hold n entries each. */
typedef struct ng_trie_walk_scratch {
    uint32_t *el, *key, *rank;
    uint64_t *b, *e;
} ng_trie_walk_scratch;
struct lmp_ngram;
void ng_trie_walk_batch(const struct lmp_ngram *m, const lmp_token_id *ids, const uint32_t *hist, size_t n, uint32_t *found,
                        uint32_t *ranks, ng_trie_walk_scratch *s);
/* ng_trie_score with the walk's entries and their ranks among their siblings
 * given (their rows of found[] and ranks[]): the same result. */
float ng_trie_score_found(const struct lmp_ngram *m, const lmp_ngram_state *in, lmp_token_id word, lmp_ngram_state *out,
                          unsigned *ngram_len, const uint32_t *found, const uint32_t *ranks);

/* ng_score for the trie layout (trie.c). */
float ng_trie_score(const struct lmp_ngram *m, const lmp_ngram_state *in, lmp_token_id word, lmp_ngram_state *out,
                    unsigned *ngram_len);

/* ---- hashing ---------------------------------------------------------------- */

/* 64-bit string hash (8 bytes at a time, then a murmur-style finaliser). Fixed
 * across platforms of one byte order: it is stored in the binary format. */
static inline uint64_t ng_fmix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* The n < 8 bytes s[0..n) as a little-endian number: byte i at bits 8i (what
 * memcpy gives on the little-endian machines the binary format is for). On
 * those, two overlapping loads of 4, 2 or 1 bytes (no read past s + n, no loop
 * whose trip count varies by word); elsewhere byte by byte. */
static inline uint64_t ng_tail_bytes(const char *s, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        return (uint64_t)a | (uint64_t)b << (8 * (n - 4)); /* the overlap holds the same bytes */
    }
    if (n >= 2) {
        uint16_t a, b;
        memcpy(&a, s, 2);
        memcpy(&b, s + n - 2, 2);
        return (uint64_t)a | (uint64_t)b << (8 * (n - 2));
    }
    return n ? (unsigned char)s[0] : 0;
#else
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++) w |= (uint64_t)(unsigned char)s[i] << (8 * i);
    return w;
#endif
}

static inline uint64_t ng_hash_str(const char *s, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0x100000001b3ULL);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ ng_fmix(w)) * 0x9e3779b97f4a7c15ULL;
        s += 8;
        n -= 8;
    }
    if (n) {
        uint64_t w = ng_tail_bytes(s, n);
        h = (h ^ ng_fmix(w ^ 0xa5a5a5a5a5a5a5a5ULL)) * 0x9e3779b97f4a7c15ULL;
    }
    h = ng_fmix(h);
    return h;
}

/* ng_hash_str (same value) of a word followed by at least 7 more readable
 * bytes, as in the scorer's padded text buffer: the tail is one 8-byte load
 * masked to its n bytes instead of a byte loop, whose varying trip count cost
 * a branch miss per word (hashing was 14 ns of ~100 ns per token on PTB). */
static inline uint64_t ng_hash_str_padded(const char *s, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0x100000001b3ULL);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ ng_fmix(w)) * 0x9e3779b97f4a7c15ULL;
        s += 8;
        n -= 8;
    }
    if (n) {
        uint64_t w;
        memcpy(&w, s, 8);
        w &= ~0ULL >> (64 - 8 * n); /* little-endian: byte i at bits 8i, as ng_hash_str */
        h = (h ^ ng_fmix(w ^ 0xa5a5a5a5a5a5a5a5ULL)) * 0x9e3779b97f4a7c15ULL;
    }
    return ng_fmix(h);
#else
    return ng_hash_str(s, n);
#endif
}

/* N-gram keys are built from the predicted word backwards through its
 * context, so scoring extends one key per context word:
 *   key(w) = mix(w); key(c_1 w) = combine(key(w), c_1); key(c_2 c_1 w) = combine(.., c_2) ...
 * (the combine step is KenLM's CombineWordHash, lm/search_hashed.hh). Key 0
 * marks an empty slot, so a key that happens to be 0 is stored as 1. The keys are stored in the
 * binary format: a word id is hashed as its 32-bit unsigned value, (uint32_t)w, before it is
 * widened (no sign extension), as when ids were uint32_t. */
static inline uint64_t ng_key1(lmp_token_id w)
{
    return ng_fmix((uint64_t)(uint32_t)w + 0x51ed270b27c6f0a1ULL);
}

static inline uint64_t ng_combine(uint64_t key, lmp_token_id w)
{
    return (key * 8978948897894561157ULL) ^ ((uint64_t)(1 + (uint32_t)w) * 17894857484156487943ULL);
}

static inline uint64_t ng_key_fix(uint64_t key)
{
    return key ? key : 1;
}

/* Slot index from a key: mix, then map onto [0, cap) by a 64x64 -> 128-bit
 * multiply (Lemire's "fastrange"), so tables need not be powers of two and can
 * use KenLM's probing size of 1.5 slots per entry. */
static inline uint64_t ng_bucket(uint64_t key, uint64_t cap)
{
    uint64_t h = (key ^ (key >> 31)) * 0x9e3779b97f4a7c15ULL;
    return (uint64_t)(((unsigned __int128)h * cap) >> 64);
}

/* N-gram tables are probed in groups of NG_GROUP slots: a key's home is the
 * first slot of a group (64 bytes, one cache line, as the tables are 64-byte
 * aligned), and a probe compares the group's keys at once and moves on to the
 * next group only if all are taken. Insertion is plain linear probing from
 * the home slot; as nothing is ever removed, the taken slots of a group are a
 * prefix of it, so a group whose last slot is empty ends the search. One
 * line per probe and no branch per slot: the scalar slot loop this replaced
 * (2.1-2.8 slots per probe at 1.5 slots per entry) mispredicted its exit. */
#define NG_GROUP 4u

static inline uint64_t ng_home(uint64_t key, uint64_t cap)
{
    return ng_bucket(key, cap / NG_GROUP) * NG_GROUP;
}

/* Search from home slot i (a multiple of NG_GROUP; cap is one too). */
static inline const ng_slot *ng_find_at(const ng_slot *tab, uint64_t cap, uint64_t key, uint64_t i)
{
    /* Bounded probe: a corrupt (full) table cannot loop forever. */
    for (uint64_t step = 0; step < cap; step += NG_GROUP) {
        const ng_slot *g = &tab[i];
        unsigned hit = (unsigned)(g[0].key == key) | (unsigned)(g[1].key == key) << 1 |
                       (unsigned)(g[2].key == key) << 2 | (unsigned)(g[3].key == key) << 3;
        if (hit) return &g[__builtin_ctz(hit)];
        if (g[NG_GROUP - 1].key == 0) return NULL;
        i += NG_GROUP;
        if (i == cap) i = 0;
    }
    return NULL;
}

static inline const ng_slot *ng_find(const ng_slot *tab, uint64_t cap, uint64_t key)
{
    return ng_find_at(tab, cap, key, ng_home(key, cap));
}

/* a[0..n) == b[0..n) for the short strings of a vocabulary, inline. */
static inline int ng_same(const char *a, const char *b, size_t n)
{
    while (n >= 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y) return 0;
        a += 8;
        b += 8;
        n -= 8;
    }
    return ng_tail_bytes(a, n) == ng_tail_bytes(b, n);
}

/* Vocabulary lookup of word s[0..n) with hash h = ng_hash_str(s, n): its id, or LMP_TOKEN_NONE. */
static inline lmp_token_id ng_vocab_find_h(const struct lmp_ngram *m, const char *s, size_t n, uint64_t h)
{
    uint64_t cap = m->vcap;
    uint64_t i = ng_bucket(h, cap);
    for (uint64_t step = 0; step < cap; step++) {
        const ng_vslot *v = &m->vtab[i];
        if (v->id == NG_EMPTY_ID) return LMP_TOKEN_NONE;
        if (v->hash == h && v->len == n && ng_same(m->strings + m->stroff[v->id], s, n)) return (lmp_token_id)v->id;
        if (++i == cap) i = 0;
    }
    return LMP_TOKEN_NONE;
}

/* ng_same(a, b, n) where b (the text) is followed by at least 7 readable bytes
 * and a (a vocabulary word) by `room` >= n readable bytes: the tail is compared
 * by one masked 8-byte load when a's side has room for it. */
static inline int ng_same_padded(const char *a, const char *b, size_t n, size_t room)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (n >= 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y) return 0;
        a += 8;
        b += 8;
        n -= 8;
        room -= 8;
    }
    if (n && room >= 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        return ((x ^ y) & (~0ULL >> (64 - 8 * n))) == 0;
    }
#else
    (void)room;
#endif
    return ng_same(a, b, n);
}

/* ng_vocab_find_h for a word s[0..n) followed by at least 7 readable bytes. */
static inline lmp_token_id ng_vocab_find_padded(const struct lmp_ngram *m, const char *s, size_t n, uint64_t h)
{
    uint64_t cap = m->vcap;
    uint64_t i = ng_bucket(h, cap);
    for (uint64_t step = 0; step < cap; step++) {
        const ng_vslot *v = &m->vtab[i];
        if (v->id == NG_EMPTY_ID) return LMP_TOKEN_NONE;
        if (v->hash == h && v->len == n) {
            uint64_t off = m->stroff[v->id];
            if (ng_same_padded(m->strings + off, s, n, (size_t)(m->strbytes - off))) return (lmp_token_id)v->id;
        }
        if (++i == cap) i = 0;
    }
    return LMP_TOKEN_NONE;
}

static inline lmp_token_id ng_vocab_find(const struct lmp_ngram *m, const char *s, size_t n)
{
    return ng_vocab_find_h(m, s, n, ng_hash_str(s, n));
}

/* KenLM's HasExtension: false only for a zero backoff marked -0.0. */
static inline int ng_has_ext(float b)
{
    return !(b == 0.0f && signbit(b));
}

/* Table slots for n entries: 1.5 per entry (KenLM's probing multiplier), plus
 * a few so that a tiny table has room for blank entries and an empty slot. */
static inline uint64_t ng_capacity(uint64_t n)
{
    return n + n / 2 + 8;
}

/* Slots of an n-gram table: ng_capacity rounded up to whole groups. */
static inline uint64_t ng_table_capacity(uint64_t n)
{
    return (ng_capacity(n) + NG_GROUP - 1) / NG_GROUP * NG_GROUP;
}

/* The backoff walk of one token (KenLM's state scoring): the (i+2)-gram keys
 * key[i] of the word and its context, probed from their home slots home[i]
 * (home NULL: worked out here). */
static inline __attribute__((always_inline)) float ng_score_keys(const struct lmp_ngram *m,
                                                                 const lmp_ngram_state *in, lmp_token_id word,
                                                                 lmp_ngram_state *out, unsigned *ngram_len,
                                                                 const uint64_t *key, const uint64_t *home)
{
    const ng_pb *u = &m->uni[word];
    float prob = u->prob;
    unsigned len = 1;
    out->words[0] = word;
    out->backoff[0] = u->backoff;
    out->length = ng_has_ext(u->backoff) ? 1 : 0;
    unsigned ctx = in->length;
    if (ctx > m->order - 1) ctx = m->order - 1;
    for (unsigned i = 0; i < ctx; i++) {
        unsigned n = i + 2;
        const ng_slot *s = home ? ng_find_at(m->tab[n], m->cap[n], key[i], home[i])
                                : ng_find(m->tab[n], m->cap[n], key[i]);
        if (!s) break;
        prob = s->prob;
        len = n;
        if (n == m->order) break;
        out->words[i + 1] = in->words[i];
        out->backoff[i + 1] = s->backoff;
        if (ng_has_ext(s->backoff)) out->length = n;
    }
    for (unsigned j = len - 1; j < in->length; j++) prob += in->backoff[j];
    *ngram_len = len;
    return prob;
}

/* The hashed keys of the n-grams ending at word that the state could extend: key[i] is the (i+2)-gram's; returns
 * how many (ng_score and ng_prefetch_score). */
static inline unsigned ng_state_keys(const struct lmp_ngram *m, const lmp_ngram_state *in, lmp_token_id word,
                                     uint64_t key[LMP_NGRAM_MAX_ORDER - 1])
{
    uint64_t k = ng_key1(word);
    unsigned ctx = in->length < m->order - 1 ? in->length : m->order - 1;
    for (unsigned i = 0; i < ctx; i++) {
        k = ng_combine(k, in->words[i]);
        key[i] = ng_key_fix(k);
    }
    return ctx;
}

static inline float ng_score(const struct lmp_ngram *m, const lmp_ngram_state *in, lmp_token_id word,
                             lmp_ngram_state *out, unsigned *ngram_len)
{
    if (m->trie) return ng_trie_score(m, in, word, out, ngram_len);
    uint64_t key[LMP_NGRAM_MAX_ORDER - 1];
    ng_state_keys(m, in, word, key);
    return ng_score_keys(m, in, word, out, ngram_len, key, NULL);
}

/* A prefetch the compiler must keep: with GCC 12 -O2 the __builtin_prefetch
 * calls of the scorer's pipeline were missing from the generated code
 * (objdump showed none in the loop), so on x86-64 it is a volatile asm
 * statement (WikiText-2 order 5: scoring 50 -> 38 ms). */
static inline void ng_prefetch(const void *p)
{
#if defined(__x86_64__) || defined(__i386__)
    __asm__ volatile("prefetcht0 %0" : : "m"(*(const char *)p));
#else
    __builtin_prefetch(p);
#endif
}

/* Prefetches what lmp_ngram_score(m, in, word, ...) reads first: the word's unigram and, in the hashed layout,
 * the home slot of each n-gram ending at it that the state could extend. For a loop over every word from one
 * state (lmp_ngram_check_probabilities), a few words ahead: each probe of a large table is a cache miss. */
static inline void ng_prefetch_score(const lmp_ngram *m, const lmp_ngram_state *in, lmp_token_id word)
{
    ng_prefetch(&m->uni[word]);
    if (m->trie) return;
    uint64_t key[LMP_NGRAM_MAX_ORDER - 1];
    unsigned ctx = ng_state_keys(m, in, word, key);
    for (unsigned i = 0; i < ctx; i++) ng_prefetch(&m->tab[i + 2][ng_home(key[i], m->cap[i + 2])]);
}

/* Text input (ARPA files, text to score) goes through the library's one line
 * reader, src/core/reader.h. */
#include "../core/reader.h"

/* Detect the file kind by its first bytes. */
int ng_is_binary_magic(const char *buf, size_t n);
/* lmp_ngram_is_binary_file with the read's failure reported: *is_binary = 1 for a regular file that
 * starts with the magic; a file that cannot be stat'ed or opened, or is not regular, is 0 and LMP_OK (the
 * loader that follows opens it and names what is wrong); a failed read of the first bytes is LMP_EIO,
 * since taking it for ARPA text would turn a transient read error into a parse error on binary bytes. */
lmp_status ng_probe_binary(const char *path, int *is_binary, lmp_error *err);

/* ---- binary files (binary.c): header, section directory ------------------------- */

#define NG_HEADER_BYTES 4096u
#define NG_MAX_SECTIONS 48
#define NG_LAYOUT_HASHED 1u
#define NG_LAYOUT_TRIE 2u

/* Sections every layout starts with. */
enum { NG_SEC_UNI = 0, NG_SEC_VTAB, NG_SEC_STROFF, NG_SEC_STRINGS, NG_SEC_META, NG_SEC_COMMON };

typedef struct ng_section {
    uint64_t off, bytes, sum;
} ng_section;

typedef struct ng_header {
    char magic[8];
    uint32_t version;
    uint32_t bom;
    uint32_t header_bytes;
    uint32_t order;
    uint32_t layout;
    uint32_t flags;
    uint64_t vocab_size, vcap, strbytes, file_size;
    int32_t bos, eos, unk; /* on disk: fixed width */
    uint32_t n_meta;
    uint64_t counts[LMP_NGRAM_MAX_ORDER + 1], caps[LMP_NGRAM_MAX_ORDER + 1];
    uint32_t n_sections;
    uint32_t reserved;
    uint64_t params[64];
    ng_section sec[NG_MAX_SECTIONS];
} ng_header;

/* A section to write. */
typedef struct ng_wsec {
    const void *data;
    uint64_t bytes;
} ng_wsec;

uint64_t ng_checksum(const void *data, uint64_t n);
/* The checksum stored in a header's last 8 bytes, over the NG_HEADER_BYTES - 8 before them. */
uint64_t ng_header_checksum(const void *header);
void ng_header_init(ng_header *h, const struct lmp_ngram *m, uint32_t layout);
void ng_common_sections(const struct lmp_ngram *m, ng_wsec *s);
/* Lay out, checksum and write the sections behind the header, atomically. */
lmp_status ng_write_sections(const char *path, ng_header *h, const ng_wsec *s, unsigned nsec, lmp_error *err);
void ng_section_name(const ng_header *h, unsigned i, char *buf, size_t cap);
/* The most metadata lmp_ngram_peek_tokens reads: lmprob writes a few records of at most 64 KiB. */
#define NG_PEEK_META_MAX ((uint64_t)16 << 20)
/* A binary model's header and metadata section, read with pread (the sections after it are not
 * touched, so the cost does not grow with the model), into m's metadata (owned): the loader's
 * checks of those two (header, directory, file size, metadata checksum and records), and its
 * messages. *peeked = 1 when the metadata was read; 0 when the section is over NG_PEEK_META_MAX
 * (left to the loader) or on an error. */
lmp_status ng_binary_peek_meta(const char *path, struct lmp_ngram *m, int *peeked, lmp_error *err);

/* ---- the trie layout (trie.c) ------------------------------------------------------ */

/* Per level L = 2..order (index L), in the header's parameters. */
typedef struct ng_trie_level {
    uint64_t count;                /* entries, blanks included */
    uint64_t blanks, blank_at;     /* blank entries, and where their positions start in the blank section */
    uint32_t prob_at, prob_n;      /* its probability code table in the codebook section (floats or exponents) */
    uint32_t bo_at, bo_n;          /* its backoff code table */
    uint8_t key_bits, prob_bits, bo_bits, rec_bits;
    uint8_t prob_kind, bo_kind;    /* NG_CODE_* */
    uint8_t reserved[2];
} ng_trie_level;

typedef struct ng_trie_params {
    uint8_t prob_q, bo_q;          /* quantisation bits (0: values kept exactly) */
    uint8_t reserved[6];
    ng_trie_level level[LMP_NGRAM_MAX_ORDER + 1];
} ng_trie_params;

/* How a value is coded in a record. */
#define NG_CODE_EXP 1u    /* exactly: sign bit, an index into a table of the level's float exponents, 23 mantissa bits */
#define NG_CODE_TABLE 2u  /* an index into a table of floats (the level's distinct values, or quantisation centres) */
#define NG_CODE_EXPNEG 3u /* as NG_CODE_EXP without the sign bit: every value of the level is negative */
#define NG_CODE_EXPPOS 4u /* as NG_CODE_EXP without the sign bit: every value of the level is positive */

struct ng_trie;
lmp_status ng_trie_load(const char *path, const ng_header *h, const unsigned char *base, struct lmp_ngram *m,
                        lmp_error *err);
void ng_trie_free(struct ng_trie *t);
void ng_trie_info(const struct lmp_ngram *m, lmp_ngram_info *info);
void ng_trie_section_name(const ng_header *h, unsigned i, char *buf, size_t cap);
/* The lowest value a probability of a level-L n-gram that the trie stores as v can have had
 * before quantisation (lmp_ngram_check_probabilities): a quantised value was coded as the
 * nearest of the level's centres, so it lay at or above the midpoint between v and the centre
 * below it (-inf below the first). v itself for an exact level, a hashed model, or L < 2. */
double ng_trie_prob_floor(const struct lmp_ngram *m, unsigned L, float v);
/* Checksum of section i (its bytes at data) against the header's directory: LMP_OK or LMP_EFORMAT naming it. */
lmp_status ng_check_section(const char *path, const ng_header *h, const unsigned char *data, unsigned i,
                            lmp_error *err);
/* The centres (ascending) of order L's probability code table when its values were quantised
 * (a full table: ng_trie_prob_floor's case), up to max of them into out; 0 otherwise. */
size_t ng_trie_prob_centres(const struct lmp_ngram *m, unsigned L, float *out, size_t max);
/* Deep structural check of a loaded trie (lmp_ngram_verify). */
lmp_status ng_trie_check(const char *path, const struct lmp_ngram *m, lmp_error *err);
/* A trie model written as the hashed layout. */
lmp_status ng_trie_to_hashed_write(const struct lmp_ngram *m, const char *path, lmp_error *err);



/* ---- building a hashed model n-gram by n-gram (hashed.c) ------------------------- */

typedef enum ng_hb_result {
    NG_HB_OK = 0,
    NG_HB_NOCTX,     /* the context (first n-1 words) is not an (n-1)-gram */
    NG_HB_DUP,       /* the n-gram is there already */
    NG_HB_COLLISION, /* another n-gram has the same 64-bit key */
    NG_HB_FULL,      /* blanks would fill the table of order bad_order */
    NG_HB_NOMEM
} ng_hb_result;

typedef struct ng_hb {
    struct lmp_ngram *m;
    uint64_t fill[LMP_NGRAM_MAX_ORDER + 1];            /* slots used per order (n-grams + blanks) */
    uint64_t added[LMP_NGRAM_MAX_ORDER + 1];           /* n-grams added per order */
    uint64_t reserve[LMP_NGRAM_MAX_ORDER + 1];         /* room in ent[n] */
    unsigned char *blank[LMP_NGRAM_MAX_ORDER + 1];     /* per order, 1 for a blank slot (NULL: none yet) */
    uint32_t *slot2ent[LMP_NGRAM_MAX_ORDER + 1];       /* slot -> list index, orders n-1 and n while adding order n */
    unsigned bad_order;                                /* NG_HB_FULL: the order whose table is full */
} ng_hb;

void ng_hb_init(ng_hb *b, struct lmp_ngram *m);
void ng_hb_free(ng_hb *b);
/* Start order n (>= 2; the orders below are complete) with room for `reserve` n-grams. */
lmp_status ng_hb_begin(ng_hb *b, unsigned n, uint64_t reserve, lmp_error *err);
/* Add the n-gram ids[0..n) (oldest word first): blanks for its missing suffixes,
 * its context marked extendable, the n-gram at the end of ent[n]. */
ng_hb_result ng_hb_add(ng_hb *b, unsigned n, const lmp_token_id *ids, float prob, float backoff);
/* Finish order n: counts[n], the table at its final size. */
lmp_status ng_hb_end(ng_hb *b, unsigned n, lmp_error *err);
/* Bytes of the hashed model's arrays. */
uint64_t ng_model_bytes(const struct lmp_ngram *m);

/* Build the vocabulary table of m from stroff/strings; fails on a duplicate word. */
/* dup (may be NULL) receives the ids of a word found twice (earlier, later; UINT64_MAX when none). */
lmp_status ng_build_vocab_table(struct lmp_ngram *m, const char *path, uint64_t dup[2], lmp_error *err);

/* The shortest decimal that reads back as v (float32), laid out as lmplz
 * writes numbers (numfmt.c); out must hold 32 bytes. Returns the length. */
size_t ng_format_float(char *out, float v);
/* The same by exact 128-bit integer arithmetic (the fast path's fallback, and its test). */
size_t ng_format_float_exact(char *out, float v);

/* ---- the model as the writers and builders read it -------------------------------
 * One view over every kind of model (hashed, trie, trained): the unigrams by
 * id, and for each order n >= 2 its n-grams in the source's order, each as
 * (context, last word, values), the context being the index of the n-gram's
 * first n-1 words in order n-1 (for n = 2: their word id). Blanks (the
 * suffixes added for pruned models) are not part of the view. Read-only
 * callbacks: the ARPA writer calls them from two threads. */
typedef struct ng_src {
    unsigned order;
    uint64_t counts[LMP_NGRAM_MAX_ORDER + 1]; /* counts[1]: the vocabulary */
    const void *self;
    const char *(*word)(const void *self, lmp_token_id id, size_t *len);
    void (*unigram)(const void *self, lmp_token_id id, float *prob, float *backoff);
    /* *ctx: an index into order n-1 (for n = 2 the index into order 1, which is the word id); *w: a word id */
    void (*entry)(const void *self, unsigned n, uint64_t i, uint32_t *ctx, lmp_token_id *w, float *prob,
                  float *backoff);
    /* the n word ids of entry i of order n when the source holds them (else NULL:
     * the writer walks the contexts) */
    const lmp_token_id *(*words)(const void *self, unsigned n, uint64_t i);
    const char *meta;      /* metadata pairs "key\0value\0", n_meta of them */
    uint64_t meta_bytes;
    unsigned n_meta;
    unsigned flags;        /* LMP_NGRAM_UNK_ADDED ... */
    void *owned;           /* released by ng_src_release */
    /* A streamed source (NULL: every entry can be read at any time). The ARPA
     * writer, in LMP_ARPA_ORDER_KEEP only, calls fill(self, n, from, to) before it
     * formats positions [from, to) of order n (to - from <= NG_ARPA_WINDOW, the
     * windows of an order in increasing order, orders 2, 3, ...); entry and words
     * then answer for those positions only. fill_ctx is the (writable) window
     * that self reads. The distributed trainer streams its ranks' pieces through
     * it (mpi/train_mpi.c), so that no process holds the model. */
    lmp_status (*fill)(void *fill_ctx, unsigned n, uint64_t from, uint64_t to, lmp_error *err);
    void *fill_ctx;
} ng_src;

/* The most positions the ARPA writer formats between two fills (two blocks). */
#define NG_ARPA_WINDOW 32768u

/* The view of a loaded or built model (hashed or trie; a trie's view holds
 * 12 bytes per n-gram, released by ng_src_release). */
lmp_status ng_src_of_model(const struct lmp_ngram *m, ng_src *src, lmp_error *err);
void ng_src_release(ng_src *src);
/* The entries of a trie model's view (12 bytes per n-gram; trie.c). */
lmp_status ng_trie_src(const struct lmp_ngram *m, ng_src *s, lmp_error *err);
/* The n words of entry i of order n >= 2, oldest first. */
void ng_src_words(const ng_src *s, unsigned n, uint64_t i, lmp_token_id *ids);
/* A hashed model holding the source's n-grams (its blanks re-made). */
lmp_status ng_build_hashed(const ng_src *s, struct lmp_ngram **out, lmp_error *err);
/* About the most ng_build_hashed allocates for s (for memory budgets). */
uint64_t ng_build_hashed_bytes(const ng_src *s);
/* Stable counting sort of idx[0..m) by key[idx[.]] (keys < nkeys) into out; -1 without memory. */
int ng_counting_sort(const uint32_t *idx, const uint32_t *key, uint64_t m, uint64_t nkeys, uint32_t *out);

/* Write src as ARPA text (the one ARPA writer; arpa_write.c). */
/* The most ng_write_arpa allocates at once for s in this order (for memory budgets). */
uint64_t ng_write_arpa_bytes(const ng_src *s, lmp_arpa_order order);
lmp_status ng_write_arpa(const ng_src *src, const char *path, lmp_arpa_order order, lmp_progress_fn progress,
                         void *pctx, lmp_error *err);

/* Metadata pairs: find key in meta[0 .. bytes) (NULL when absent). */
const char *ng_meta_find(const char *meta, uint64_t bytes, unsigned n, const char *key);
/* Add or replace key = value in the model's (owned) metadata. */
lmp_status ng_meta_put(struct lmp_ngram *m, const char *key, const char *value, lmp_error *err);
/* Check a metadata block read from a file: n pairs of NUL-terminated strings. */
int ng_meta_valid(const char *meta, uint64_t bytes, unsigned n);

/* Free the model's arrays (malloc'd or mapped). */
void ng_release(struct lmp_ngram *m);

#endif
