/* Internals of the GPT-2 tokenizer (include/lmprob/tokenizer.h): the loaded
 * vocabulary, its two hash tables, the Unicode classes, and the entry points
 * shared by load.c, encode.c and stream.c.
 *
 * Vocabulary layout (three allocations, built once by load.c):
 *   bytes[off[id] .. off[id+1])       the token's bytes
 *   names + name_off[id]              its name in GPT-2's byte alphabet, NUL-terminated
 *                                     (a name is looked up by turning it back into bytes)
 *   tslot[tmask + 1]                  bytes -> id     (open addressing, linear probing)
 *   pslot[pmask + 1]                  (left id, right id) -> (rank, merged id)   (the second)
 *   byte_id[b]                        the id of the one-byte token b
 *   added[], tflags[id], trie[]       the added tokens, per-id flags, the split's tries (the third)
 * The tables are sized to at most 50 % load so that a miss (the common case
 * for the pair table) ends after about two probes. */
#ifndef LMPROB_TOK_INTERNAL_H
#define LMPROB_TOK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lmprob/tokenizer.h"
#include "../core/bigmem.h"
#include "../core/strtab.h"

/* ---- Unicode classes (generated at build time by scripts/gen_unicode.c) ---- */
enum { TOK_OTHER = 0, TOK_LETTER = 1, TOK_NUMBER = 2, TOK_SPACE = 3 };

extern const char tok_unicode_version[];
extern const unsigned short tok_uc_stage1[0x110000 / 128];
extern const unsigned char tok_uc_stage2[];

static inline int tok_class(uint32_t cp)
{
    return tok_uc_stage2[(size_t)tok_uc_stage1[cp >> 7] * 128 + (cp & 127)];
}

/* A hint to bring the cache line at p in ahead of its use (GCC and Clang;
 * nothing elsewhere). */
#if defined(__GNUC__) || defined(__clang__)
#define tok_prefetch(p) __builtin_prefetch(p)
#else
#define tok_prefetch(p) ((void)(p))
#endif

/* ---- the vocabulary ---------------------------------------------------------- */
typedef lmp_strtab_slot tok_slot; /* bytes -> id: the library's one string table (core/strtab.h) */

typedef struct tok_pair {
    uint64_t key;   /* ((uint64_t)left << 32 | right) + 1; 0 marks an empty slot (zeroed memory) */
    uint32_t rank;  /* merge rank: line order in vocab.bpe / merges.txt, id in a rank file */
    lmp_token_id merged; /* the id of left's bytes + right's bytes */
} tok_pair;

/* An added token (Hugging Face's added_tokens; for OpenAI's files, "<|endoftext|>"): the text is
 * split at its occurrences before the pre-tokenizer runs, as tokenizers' AddedVocabulary does. */
typedef struct tok_added {
    lmp_token_id id;
    uint32_t len;             /* its bytes are the token's: bytes[off[id] .. off[id] + len) */
    unsigned char special;    /* matched only with LMP_TOKENIZER_SPECIAL; otherwise it is text */
    unsigned char normalized; /* matched in the second pass, in the gaps the first pass leaves */
} tok_added;

/* The added tokens' bytes in two tries, one a pass (0: not normalized, 1: normalized), for the split:
 * node 0 is no node; root[pass][b] is the node of the first byte b; a node's children are a list of
 * siblings; `added` is the index into added[] of the token ending there, -1 for none. */
typedef struct tok_trie_node {
    uint32_t child, sibling;
    int32_t added;
    unsigned char byte;
} tok_trie_node;

/* Per-id flags (tflags). */
enum {
    TOK_F_ADDED = 1,    /* an added token: never taken whole from a piece (the split finds it) */
    TOK_F_NOT_SELF = 2, /* BPE of its bytes is not the token itself: a piece equal to it goes through BPE */
};

struct lmp_tokenizer {
    size_t n;              /* ids 0..n-1, the added tokens included */
    lmp_token_id eot;      /* "<|endoftext|>", or LMP_TOKEN_NONE */
    tok_added *added;      /* n_added of them, in the order the file lists them */
    size_t n_added;
    size_t added_max;      /* the longest added token, in bytes (0: none) */
    int added_ws;          /* an added token holds ASCII white space (the threaded cut could split it) */
    size_t lookahead;      /* bytes a streamed piece waits for: its extent (8) + the longest added token */
    unsigned char *tflags; /* n: TOK_F_* of each id */
    tok_trie_node *trie;   /* the added tokens' tries (above) */
    uint32_t trie_root[2][256];
    unsigned char trie_first[2]; /* the first byte of every token of the pass when they all share one */
    unsigned char trie_one_first[2]; /* 1 when they do (memchr finds the candidates) */
    unsigned char pass_has[2][2]; /* [pass][special allowed]: the pass has a token to match */
    void *extra;           /* the allocation holding added, tflags and trie */
    uint64_t merges_fp;    /* fingerprint of a merges file's merges (load.c), 0 for a rank file */
    int self_checked;      /* tok_check_self ran (GPT-2's own merges skip it) */
    char *path;            /* the file the vocabulary was read from (tokenizer.json, encoder.json, ...) */
    uint32_t *off;         /* n + 1: token id's bytes are bytes[off[id] .. off[id+1]) */
    unsigned char *bytes;
    uint32_t *name_off;    /* n + 1: its name is names[name_off[id] .. name_off[id+1] - 1), NUL-terminated */
    char *names;
    tok_slot *tslot;       /* bytes -> id */
    size_t tmask;
    tok_pair *pslot;       /* (left, right) -> merge */
    size_t pmask;
    size_t npairs;
    lmp_token_id byte_id[256];
    void *block, *pair_block; /* the two allocations holding all of the above */
    int16_t byte_of_cp[0x144]; /* GPT-2's byte alphabet: code point -> byte, -1 outside */
};

/* The vocabulary's hash and slots are the library's string table (core/strtab.h). */
/* a[0..n) == b[0..n), inline for the short strings of a vocabulary (a call
 * to memcmp cost as much as the rest of a lookup). */
static inline int tok_eq(const unsigned char *a, const unsigned char *b, size_t n)
{
    if (n >= 8) {
        uint64_t x, y;
        for (size_t i = 0; i + 8 <= n; i += 8) {
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);
            if (x != y) return 0;
        }
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    return n == 0 || lmp_strhash_tail(a, n) == lmp_strhash_tail(b, n);
}

/* Is the string of `id` the bytes looked up (tok_find's owner: t and the key)? */
typedef struct tok_key {
    const lmp_tokenizer *t;
    const unsigned char *s;
    size_t n;
} tok_key;

static inline int tok_key_eq(const void *owner, lmp_token_id id)
{
    const tok_key *k = owner;
    uint32_t a = k->t->off[id], b = k->t->off[id + 1];
    return b - a == k->n && tok_eq(k->t->bytes + a, k->s, k->n);
}

/* bytes -> id, or LMP_TOKEN_NONE; h = lmp_strhash(s, n). */
static inline lmp_token_id tok_find_h(const lmp_tokenizer *t, const unsigned char *s, size_t n, uint64_t h)
{
    tok_key k = {t, s, n};
    return lmp_strtab_find(t->tslot, t->tmask, h, tok_key_eq, &k, NULL);
}

static inline lmp_token_id tok_find(const lmp_tokenizer *t, const unsigned char *s, size_t n)
{
    return tok_find_h(t, s, n, lmp_strhash(s, n));
}

static inline uint64_t tok_pair_hash(uint64_t key) { return lmp_strhash_mum(key ^ 0x2d358dccaa6c78a5ull, 0x8bb84b93962eacc9ull); }

/* The merge of (left, right), or NULL. */
static inline const tok_pair *tok_pair_find(const lmp_tokenizer *t, lmp_token_id left, lmp_token_id right)
{
    uint64_t key = ((uint64_t)(uint32_t)left << 32 | (uint32_t)right) + 1;
    for (size_t i = (size_t)tok_pair_hash(key) & t->pmask;; i = (i + 1) & t->pmask) {
        const tok_pair *p = &t->pslot[i];
        if (p->key == key) return p;
        if (p->key == 0) return NULL;
    }
}

/* ---- encoding internals shared by encode.c and stream.c ---------------------- */

/* Scratch of one encoding call or stream, kept until the call/stream ends:
 * `bpe` for the long-piece BPE (tok_bpe_heap), `text` for a piece whose
 * invalid UTF-8 becomes U+FFFD. Both grow geometrically, so a call allocates
 * at most O(log(longest piece)) times, never per token. */
typedef struct tok_scratch {
    void *bpe;
    size_t bpe_cap;
    unsigned char *text;
    size_t text_cap;
} tok_scratch;

/* Where ids go: a caller's array (ids, cap; writes stop at cap but counting
 * goes on), then, when buf is not NULL, a growing buffer (cap = 0: only the
 * buffer). n counts them all. */
typedef struct tok_sink {
    lmp_token_id *ids;
    size_t cap;
    size_t n;
    lmp_token_buf *buf; /* non-NULL: append here instead */
    int oom;
} tok_sink;

/* Invalid UTF-8 seen while encoding. */
typedef struct tok_invalid {
    uint64_t count;
    size_t first; /* byte offset in the text of the first one (valid when count > 0) */
} tok_invalid;

/* Encode text[0..len). final = 0: the text may continue, so stop before the
 * first piece whose extent could still change; *consumed is the number of
 * bytes fully encoded (final = 1: all of them). Returns LMP_OK, LMP_ENOMEM,
 * LMP_EFORMAT (STRICT: *consumed is the offset of the first invalid byte), or
 * LMP_ERANGE (max_piece != 0 and a piece longer than max_piece bytes, whole
 * in the text or, final = 0, still open past max_piece + LOOKAHEAD bytes:
 * *consumed is where it starts). */
lmp_status tok_encode_run(const lmp_tokenizer *t, const unsigned char *text, size_t len, unsigned flags, int final,
                          size_t max_piece, tok_sink *sink, tok_scratch *scr, tok_invalid *inv, size_t *consumed);

/* BPE of one piece's bytes (n >= 1), ids appended to sink. Exposed for the
 * tests that compare the short-piece and long-piece algorithms. */
int tok_bpe(const lmp_tokenizer *t, const unsigned char *s, size_t n, tok_sink *sink, tok_scratch *scr);
/* The short-piece BPE (n <= 64): the ids into out, their number returned. */
size_t tok_bpe_small(const lmp_tokenizer *t, const unsigned char *s, size_t n, lmp_token_id *out);
int tok_bpe_heap(const lmp_tokenizer *t, const unsigned char *s, size_t n, tok_sink *sink, tok_scratch *scr);

void tok_scratch_free(tok_scratch *scr);
/* Marks with TOK_F_NOT_SELF the tokens that BPE of their own bytes does not give back (load.c). */
lmp_status tok_check_self(lmp_tokenizer *t, lmp_error *err);
int tok_buf_reserve(lmp_token_buf *buf, size_t extra);

/* Large blocks: mem_block_alloc and mem_hugepages (src/core/bigmem.h). */

static inline int tok_sink_push(tok_sink *s, lmp_token_id id)
{
    if (s->n < s->cap) {
        s->ids[s->n] = id;
    } else if (s->buf) {
        lmp_token_buf *b = s->buf;
        if (b->n == b->cap && tok_buf_reserve(b, 1)) {
            s->oom = 1;
            return -1;
        }
        b->ids[b->n++] = id;
    }
    s->n++;
    return 0;
}

/* Line and byte-in-line (both 1-based) of offset pos in text[0..pos]. */
void tok_line_col(const unsigned char *text, size_t pos, long *line, long *col);

#endif
