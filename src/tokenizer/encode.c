/* Encoding and decoding with GPT-2's byte-level BPE (include/lmprob/tokenizer.h).
 *
 * The pre-tokenizer is GPT-2's pattern (openai/gpt-2 src/encoder.py)
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * written out as the leftmost-first matcher a backtracking regex engine runs
 * (scan_piece below): no regex library, one pass over the bytes, classes from
 * the generated Unicode tables. Each piece is then looked up whole (a token
 * that BPE gives back from its own bytes is that piece's one token: most
 * English words end here; the loader checks every token of a merges file and
 * marks those it does not hold for, none of GPT-2's but <|endoftext|>), and
 * otherwise merged by BPE: an array scan for pieces up to 64 bytes (as
 * tiktoken's byte_pair_merge), a heap for longer ones, so a long piece costs
 * O(n log n) instead of O(n^2). */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tok_internal.h"

#define SMALL_PIECE 64      /* BPE by array scan up to this many bytes, by heap beyond */
#define STACK_TEXT 256      /* U+FFFD-replaced pieces up to this many bytes stay on the stack */

/* ---- buffers ------------------------------------------------------------------- */

void lmp_token_buf_init(lmp_token_buf *buf)
{
    if (!buf) return;
    buf->ids = NULL;
    buf->n = 0;
    buf->cap = 0;
}

void lmp_token_buf_free(lmp_token_buf *buf)
{
    if (!buf) return;
    free(buf->ids);
    lmp_token_buf_init(buf);
}

int tok_buf_reserve(lmp_token_buf *buf, size_t extra)
{
    if (buf->cap - buf->n >= extra) return 0;
    size_t need = buf->n + extra;
    if (need < buf->n) return -1;
    size_t nc = buf->cap ? buf->cap : 256;
    while (nc < need) {
        if (nc > SIZE_MAX / 2 / sizeof *buf->ids) return -1;
        nc *= 2;
    }
    lmp_token_id *ni;
    if (nc * sizeof *ni >= MEM_HUGE && buf->cap * sizeof *ni < MEM_HUGE) {
        /* The first size of whole huge pages (nc is a power of two): start
         * on a huge-page boundary, so that all of it can be huge pages. */
        ni = aligned_alloc(MEM_HUGE, nc * sizeof *ni);
        if (!ni) return -1;
        if (buf->n) memcpy(ni, buf->ids, buf->n * sizeof *ni);
        free(buf->ids);
    } else {
        ni = realloc(buf->ids, nc * sizeof *ni);
        if (!ni) return -1;
    }
    mem_hugepages(ni, nc * sizeof *ni);
    buf->ids = ni;
    buf->cap = nc;
    return 0;
}

void tok_scratch_free(tok_scratch *scr)
{
    free(scr->bpe);
    free(scr->text);
    memset(scr, 0, sizeof *scr);
}

static void *scratch_grow(void **mem, size_t *cap, size_t need)
{
    if (*cap >= need) return *mem;
    size_t nc = *cap ? *cap : 4096;
    while (nc < need) nc *= 2;
    void *m = realloc(*mem, nc);
    if (!m) return NULL;
    *mem = m;
    *cap = nc;
    return m;
}

void tok_line_col(const unsigned char *text, size_t pos, long *line, long *col)
{
    long ln = 1;
    size_t start = 0;
    const unsigned char *p = text, *end = text + pos;
    while (p < end) {
        const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) break;
        ln++;
        start = (size_t)(nl - text) + 1;
        p = nl + 1;
    }
    *line = ln;
    *col = (long)(pos - start) + 1;
}

/* ---- UTF-8 and classes ------------------------------------------------------------ */

/* The character at s[i] (i < end): its length, its class, and *bad = 1 when it
 * is an invalid subpart. An invalid subpart is maximal (Unicode §3.9, D93b:
 * the longest prefix of a well-formed sequence, at least one byte), the unit
 * the WHATWG decoder replaces by one U+FFFD; a sequence cut by `end` is such
 * a subpart too (a caller that may see more text keeps away from the end). */
static inline size_t char_at(const unsigned char *s, size_t i, size_t end, int *cls, int *bad)
{
    unsigned b = s[i];
    if (b < 0x80) {
        *cls = tok_uc_stage2[b]; /* block 0 of the table is U+0000..U+007F */
        return 1;
    }
    size_t avail = end - i;
    uint32_t cp;
    size_t n;
    unsigned lo = 0x80, hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) {
        n = 2;
        cp = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
        n = 3;
        cp = b & 0x0f;
        if (b == 0xe0) lo = 0xa0;      /* no overlong forms */
        else if (b == 0xed) hi = 0x9f; /* no surrogates */
    } else if (b >= 0xf0 && b <= 0xf4) {
        n = 4;
        cp = b & 0x07;
        if (b == 0xf0) lo = 0x90;      /* no overlong forms */
        else if (b == 0xf4) hi = 0x8f; /* nothing above U+10FFFF */
    } else {
        *cls = TOK_OTHER;
        *bad = 1;
        return 1;
    }
    for (size_t k = 1; k < n; k++) {
        unsigned c = k < avail ? s[i + k] : 0;
        if (k >= avail || c < lo || c > hi) {
            *cls = TOK_OTHER;
            *bad = 1;
            return k;
        }
        cp = cp << 6 | (c & 0x3f);
        lo = 0x80;
        hi = 0xbf;
    }
    *cls = tok_class(cp);
    return n;
}

/* The end of the piece that starts at s[i] (i < end), GPT-2's pattern matched
 * leftmost-first as a backtracking engine does; *bad |= 1 when the piece
 * holds invalid UTF-8. */
static inline size_t scan_piece(const unsigned char *s, size_t i, size_t end, int *bad)
{
    unsigned b = s[i];
    /* 's|'t|'re|'ve|'m|'ll|'d (case-sensitive, as the pattern) */
    if (b == '\'' && i + 1 < end) {
        unsigned c = s[i + 1];
        if (c == 's' || c == 't' || c == 'm' || c == 'd') return i + 2;
        if (i + 2 < end) {
            unsigned d = s[i + 2];
            if ((c == 'r' && d == 'e') || (c == 'v' && d == 'e') || (c == 'l' && d == 'l')) return i + 3;
        }
    }
    /*  ?\p{L}+ |  ?\p{N}+ |  ?[^\s\p{L}\p{N}]+ : an optional U+0020, then a run of one class */
    size_t k = i + (b == ' ');
    int cls;
    if (k < end) {
        size_t len = char_at(s, k, end, &cls, bad);
        if (cls != TOK_SPACE) {
            size_t j = k + len;
            if (cls == TOK_LETTER) { /* the common case: an ASCII letter run */
                while (j < end && (unsigned)((s[j] | 0x20) - 'a') < 26) j++;
            }
            /* The character that ends the run is the next piece's: its badness is not this piece's
             * (--strict would name a byte of this piece that is valid). */
            while (j < end) {
                int c2, b2 = 0;
                size_t l2 = char_at(s, j, end, &c2, &b2);
                if (c2 != cls) break;
                *bad |= b2;
                j += l2;
            }
            return j;
        }
    }
    /* \s+(?!\S) | \s+ : a white-space run; when non-space follows a run of two
     * or more, the lookahead gives back the last character (it starts the next
     * piece, as " " in " word"). */
    size_t j = i, last = i;
    while (j < end) {
        int b2 = 0; /* white space is valid UTF-8: only the character after the run can be bad, and it is not ours */
        size_t l = char_at(s, j, end, &cls, &b2);
        if (cls != TOK_SPACE) break;
        last = j;
        j += l;
    }
    if (j == end || last == i) return j;
    return last;
}

/* ---- BPE --------------------------------------------------------------------------- */

/* Pieces up to SMALL_PIECE bytes: parts in an array, each with the rank of the
 * pair it starts; merge the leftmost lowest-ranked pair until none is left
 * (tiktoken src/lib.rs byte_pair_merge; the same order as encoder.py's bpe()
 * for a merges file in which every merge comes after the merges making its
 * two halves, which the loader checks). */
size_t tok_bpe_small(const lmp_tokenizer *t, const unsigned char *s, size_t n, lmp_token_id *id)
{
    /* id[i]: part i; rm[i]: the pair (i, i+1) as rank << 32 | merged id, or
     * UINT64_MAX. Equal ranks mean the same merged token, so the smallest rm
     * is the lowest rank, and `<` keeps the leftmost. */
    uint64_t rm[SMALL_PIECE];
    for (size_t i = 0; i < n; i++) id[i] = t->byte_id[s[i]];
    size_t m = n;
    for (size_t i = 0; i + 1 < m; i++) {
        const tok_pair *p = tok_pair_find(t, id[i], id[i + 1]);
        rm[i] = p ? (uint64_t)p->rank << 32 | (uint32_t)p->merged : UINT64_MAX;
    }
    while (m > 1) {
        uint64_t best = rm[0];
        size_t bi = 0;
        for (size_t i = 1; i + 1 < m; i++)
            if (rm[i] < best) {
                best = rm[i];
                bi = i;
            }
        if (best == UINT64_MAX) break;
        id[bi] = (lmp_token_id)(uint32_t)best;
        for (size_t i = bi + 1; i + 1 < m; i++) {
            id[i] = id[i + 1];
            rm[i] = rm[i + 1];
        }
        m--;
        if (bi > 0) {
            const tok_pair *p = tok_pair_find(t, id[bi - 1], id[bi]);
            rm[bi - 1] = p ? (uint64_t)p->rank << 32 | (uint32_t)p->merged : UINT64_MAX;
        }
        if (bi + 1 < m) {
            const tok_pair *p = tok_pair_find(t, id[bi], id[bi + 1]);
            rm[bi] = p ? (uint64_t)p->rank << 32 | (uint32_t)p->merged : UINT64_MAX;
        }
    }
    return m;
}

int tok_bpe(const lmp_tokenizer *t, const unsigned char *s, size_t n, tok_sink *sink, tok_scratch *scr)
{
    if (n > SMALL_PIECE) return tok_bpe_heap(t, s, n, sink, scr);
    lmp_token_id id[SMALL_PIECE];
    size_t m = tok_bpe_small(t, s, n, id);
    for (size_t i = 0; i < m; i++)
        if (tok_sink_push(sink, id[i])) return -1;
    return 0;
}

/* Long pieces: the parts as a doubly linked list over byte positions, the
 * candidate pairs in a binary min-heap keyed (rank << 32 | position), so the
 * lowest rank pops first and, among equal ranks, the leftmost. Entries go
 * stale when a neighbour merges; a popped entry is used only if its pair
 * still stands and still has that rank. Every merge pushes at most two
 * entries, so the heap never exceeds 3n. */
static void heap_push(uint64_t *h, size_t *n, uint64_t v)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h[p] <= v) break;
        h[i] = h[p];
        i = p;
    }
    h[i] = v;
}

static uint64_t heap_pop(uint64_t *h, size_t *n)
{
    uint64_t top = h[0], v = h[--(*n)];
    size_t i = 0, m = *n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= m) break;
        if (c + 1 < m && h[c + 1] < h[c]) c++;
        if (h[c] >= v) break;
        h[i] = h[c];
        i = c;
    }
    if (m) h[i] = v;
    return top;
}

int tok_bpe_heap(const lmp_tokenizer *t, const unsigned char *s, size_t n, tok_sink *sink, tok_scratch *scr)
{
    /* positions are int32_t below (a piece over 2^31 - 1 bytes would wrap them). A stream refuses such a
     * piece by its max_piece (at most LMP_TOKENIZER_PIECE_LIMIT) first; text in memory reaches this bound
     * only with a piece that needs 77 GB of scratch, and it is reported as out of memory */
    if (n > LMP_TOKENIZER_PIECE_LIMIT) return -1;
    size_t need = n * (3 * sizeof(int32_t)) + 3 * n * sizeof(uint64_t);
    unsigned char *mem = scratch_grow(&scr->bpe, &scr->bpe_cap, need);
    if (!mem) {
        sink->oom = 1;
        return -1;
    }
    uint64_t *heap = (uint64_t *)mem;
    int32_t *id = (int32_t *)(mem + 3 * n * sizeof(uint64_t));
    int32_t *nx = id + n, *pv = nx + n; /* next / previous live position, -1 at the ends */
    size_t hn = 0;
    for (size_t i = 0; i < n; i++) {
        id[i] = t->byte_id[s[i]];
        nx[i] = i + 1 < n ? (int32_t)(i + 1) : -1;
        pv[i] = (int32_t)i - 1;
    }
    for (size_t i = 0; i + 1 < n; i++) {
        const tok_pair *p = tok_pair_find(t, id[i], id[i + 1]);
        if (p) heap_push(heap, &hn, (uint64_t)p->rank << 32 | i);
    }
    while (hn) {
        uint64_t top = heap_pop(heap, &hn);
        uint32_t rank = (uint32_t)(top >> 32);
        int32_t i = (int32_t)(uint32_t)top;
        if (id[i] < 0 || nx[i] < 0) continue; /* merged into its left neighbour, or now last */
        int32_t j = nx[i];
        const tok_pair *p = tok_pair_find(t, id[i], id[j]);
        if (!p || p->rank != rank) continue; /* stale */
        id[i] = p->merged;
        id[j] = -1;
        nx[i] = nx[j];
        if (nx[j] >= 0) pv[nx[j]] = i;
        if (pv[i] >= 0) {
            const tok_pair *q = tok_pair_find(t, id[pv[i]], id[i]);
            if (q) heap_push(heap, &hn, (uint64_t)q->rank << 32 | (uint32_t)pv[i]);
        }
        if (nx[i] >= 0) {
            const tok_pair *q = tok_pair_find(t, id[i], id[nx[i]]);
            if (q) heap_push(heap, &hn, (uint64_t)q->rank << 32 | (uint32_t)i);
        }
    }
    for (int32_t i = 0; i >= 0; i = nx[i])
        if (tok_sink_push(sink, id[i])) return -1;
    return 0;
}

/* ---- one piece ------------------------------------------------------------------------ */

/* Encode piece s[0..n). `bad`: it holds invalid UTF-8, to be replaced (each
 * maximal subpart by EF BF BD) unless RAW_BYTES; counted in inv either way. */
static int encode_piece(const lmp_tokenizer *t, const unsigned char *s, size_t n, int bad, unsigned flags,
                        size_t text_off, tok_sink *sink, tok_scratch *scr, tok_invalid *inv)
{
    unsigned char stackbuf[3 * STACK_TEXT];
    if (bad) {
        unsigned char *out = stackbuf;
        if (n > STACK_TEXT) {
            out = scratch_grow((void **)&scr->text, &scr->text_cap, 3 * n);
            if (!out) {
                sink->oom = 1;
                return -1;
            }
        }
        size_t o = 0;
        for (size_t i = 0; i < n;) {
            int cls, b = 0;
            size_t l = char_at(s, i, n, &cls, &b);
            if (b) {
                if (inv->count++ == 0) inv->first = text_off + i;
                if (!(flags & LMP_TOKENIZER_RAW_BYTES)) {
                    out[o++] = 0xef;
                    out[o++] = 0xbf;
                    out[o++] = 0xbd;
                    i += l;
                    continue;
                }
            }
            memcpy(out + o, s + i, l);
            o += l;
            i += l;
        }
        s = out;
        n = o;
    }
    if (n == 1) return tok_sink_push(sink, t->byte_id[s[0]]);
    lmp_token_id whole = tok_find(t, s, n);
    if (whole != LMP_TOKEN_NONE && !(t->tflags[whole] & (TOK_F_ADDED | TOK_F_NOT_SELF)))
        return tok_sink_push(sink, whole);
    return tok_bpe(t, s, n, sink, scr);
}

/* First invalid byte of s[0..n), or n. */
static size_t first_invalid(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        int cls, b = 0;
        size_t l = char_at(s, i, n, &cls, &b);
        if (b) return i;
        i += l;
    }
    return n;
}

size_t lmp_tokenizer_invalid_utf8(const void *text, size_t len, size_t *first)
{
    const unsigned char *s = text;
    size_t count = 0;
    if (first) *first = len;
    if (!s) return 0;
    for (size_t i = 0; i < len;) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        int cls, b = 0;
        size_t l = char_at(s, i, len, &cls, &b);
        if (b && count++ == 0 && first) *first = i;
        i += l;
    }
    return count;
}

/* ---- added tokens --------------------------------------------------------------------------
 * The text is split at added tokens before the pre-tokenizer sees it, as Hugging Face's tokenizers
 * (AddedVocabulary::extract_and_normalize) do: first at the tokens that are not "normalized"
 * (the special ones, "<|endoftext|>"), leftmost first and the longest of those starting there,
 * then, in each gap that leaves, at the normalized ones the same way (GPT-2 has no normalizer, so
 * a token matches its own bytes in both passes). A special token is plain text without
 * LMP_TOKENIZER_SPECIAL (tokenizers' split_special_tokens, tiktoken's encode_ordinary).
 *
 * The tokens of a pass are a trie (load.c): each position of the text is looked up in it, the first
 * byte in a table, so the split costs about one table lookup a byte however many tokens were added
 * (a fine-tune may add thousands); when the pass's tokens all start with one byte (GPT-2's
 * "<|endoftext|>", "<|...|>" tokens, "[...]" ones), memchr finds the places to look. */

typedef struct added_scan {
    const lmp_tokenizer *t;
    const unsigned char *text;
    size_t accept; /* a match must start before this (a stream: every token starting there fits) */
    int special;   /* special tokens match (LMP_TOKENIZER_SPECIAL) */
} added_scan;

/* The longest token of the pass that starts at s and ends within n bytes, or -1 (*len its length). */
static long trie_match(const added_scan *a, int pass, const unsigned char *s, size_t n, size_t *len)
{
    const lmp_tokenizer *t = a->t;
    long best = -1;
    uint32_t node = t->trie_root[pass][s[0]];
    for (size_t i = 1; node; i++) {
        const tok_trie_node *nd = &t->trie[node];
        if (nd->added >= 0 && (a->special || !t->added[nd->added].special)) {
            best = nd->added;
            *len = i;
        }
        if (i >= n) break;
        node = nd->child;
        while (node && t->trie[node].byte != s[i]) node = t->trie[node].sibling;
    }
    return best;
}

/* The token of the pass that starts first in text[from, limit) and ends by limit (the longest of those
 * starting there): its index, *at its start; -1 if none. */
static long added_next(const added_scan *a, int pass, size_t from, size_t limit, size_t *at)
{
    const lmp_tokenizer *t = a->t;
    size_t end = limit < a->accept ? limit : a->accept, len;
    if (!t->pass_has[pass][a->special]) return -1;
    for (size_t p = from; p < end; p++) {
        if (t->trie_one_first[pass]) {
            const unsigned char *q = memchr(a->text + p, t->trie_first[pass], end - p);
            if (!q) return -1;
            p = (size_t)(q - a->text);
        } else if (!t->trie_root[pass][a->text[p]]) {
            continue;
        }
        long k = trie_match(a, pass, a->text + p, limit - p, &len);
        if (k >= 0) {
            *at = p;
            return k;
        }
    }
    return -1;
}

/* Pieces of text[pos, seg) (seg_final: nothing after seg can change them). */
static lmp_status encode_pieces(const lmp_tokenizer *t, const unsigned char *text, size_t len, size_t *pos_io,
                                size_t seg, int seg_final, unsigned flags, size_t max_piece, tok_sink *sink,
                                tok_scratch *scr, tok_invalid *inv, int *held)
{
    size_t pos = *pos_io;
    while (pos < seg) {
        int bad = 0;
        size_t e = scan_piece(text, pos, seg, &bad);
        if (!seg_final && e + t->lookahead > seg) {
            *pos_io = pos;
            *held = 1;
            if (max_piece && len - pos > max_piece + t->lookahead) return LMP_ERANGE;
            return LMP_OK;
        }
        /* A stream refuses every piece longer than max_piece, also one that a chunk holds whole (issue:
         * only an open piece was measured, so the same text passed or failed with the chunking). */
        if (max_piece && e - pos > max_piece) {
            *pos_io = pos;
            return LMP_ERANGE;
        }
        if (bad && (flags & LMP_TOKENIZER_STRICT)) {
            *pos_io = pos + first_invalid(text + pos, e - pos);
            return LMP_EFORMAT;
        }
        if (encode_piece(t, text + pos, e - pos, bad, flags, pos, sink, scr, inv)) {
            *pos_io = pos;
            return LMP_ENOMEM;
        }
        pos = e;
    }
    *pos_io = pos;
    return LMP_OK;
}

lmp_status tok_encode_run(const lmp_tokenizer *t, const unsigned char *text, size_t len, unsigned flags, int final,
                          size_t max_piece, tok_sink *sink, tok_scratch *scr, tok_invalid *inv, size_t *consumed)
{
    size_t pos = 0;
    int held = 0;
    lmp_status st = LMP_OK;
    added_scan a = {t, text, len, (flags & LMP_TOKENIZER_SPECIAL) != 0};
    /* A stream's chunk: a token starting in its last added_max - 1 bytes may not be whole yet, nor the longest
     * one starting there; those wait for the next chunk (pieces wait `lookahead` bytes). */
    if (!final) a.accept = len >= t->added_max ? len - t->added_max + 1 : 0;
    while (pos < len) {
        size_t s1 = len, s2 = 0;
        long k1 = added_next(&a, 0, pos, len, &s1);
        if (k1 < 0) s1 = len;
        while (pos < s1) {
            long k2 = added_next(&a, 1, pos, s1, &s2);
            size_t seg = k2 >= 0 ? s2 : s1;
            st = encode_pieces(t, text, len, &pos, seg, final || k1 >= 0 || k2 >= 0, flags, max_piece, sink, scr, inv,
                               &held);
            if (st || held) goto out;
            if (k2 >= 0) {
                if (tok_sink_push(sink, t->added[k2].id)) goto oom;
                pos += t->added[k2].len;
            }
        }
        if (k1 >= 0) {
            if (tok_sink_push(sink, t->added[k1].id)) goto oom;
            pos += t->added[k1].len;
        }
    }
out:
    *consumed = pos;
    return st;
oom:
    *consumed = pos;
    return LMP_ENOMEM;
}

/* ---- the public encoders ----------------------------------------------------------------- */

static lmp_status check_args(const lmp_tokenizer *t, const void *text, size_t len, unsigned flags, lmp_error *err)
{
    if (!t) return lmp_error_set(err, LMP_EINVAL, "tokenizer is NULL");
    if (!text && len) return lmp_error_set(err, LMP_EINVAL, "text is NULL with length %zu", len);
    if (flags & ~(LMP_TOKENIZER_SPECIAL | LMP_TOKENIZER_RAW_BYTES | LMP_TOKENIZER_STRICT))
        return lmp_error_set(err, LMP_EINVAL, "flags 0x%x: expected LMP_TOKENIZER_SPECIAL, _RAW_BYTES, _STRICT", flags);
    if ((flags & LMP_TOKENIZER_STRICT) && (flags & LMP_TOKENIZER_RAW_BYTES))
        return lmp_error_set(err, LMP_EINVAL, "flags: STRICT and RAW_BYTES exclude each other");
    return LMP_OK;
}

/* The error of a failed run over text (offset `at` from tok_encode_run). */
static lmp_status run_error(lmp_status st, const unsigned char *text, size_t len, size_t at, lmp_error *err)
{
    if (st == LMP_ENOMEM) return lmp_error_set(err, LMP_ENOMEM, "out of memory while encoding");
    long line, col;
    tok_line_col(text, at, &line, &col);
    st = lmp_error_set(err, LMP_EFORMAT, "line %ld, byte %ld (offset %zu): invalid UTF-8 byte 0x%02x: expected UTF-8 text",
                       line, col, at, at < len ? text[at] : 0);
    if (err) {
        err->line = line;
        err->col = col;
    }
    return st;
}

static lmp_status encode_sink(const lmp_tokenizer *t, const void *text, size_t len, unsigned flags, tok_sink *sink,
                              lmp_error *err)
{
    tok_scratch scr = {0};
    tok_invalid inv = {0, 0};
    size_t at = 0;
    lmp_status st = tok_encode_run(t, text, len, flags, 1, 0, sink, &scr, &inv, &at);
    tok_scratch_free(&scr);
    if (st == LMP_OK && sink->oom) st = LMP_ENOMEM;
    if (st) return run_error(st, text, len, at, err);
    return LMP_OK;
}

size_t lmp_tokenizer_encode_bound(size_t len, unsigned flags)
{
    if (flags & (LMP_TOKENIZER_RAW_BYTES | LMP_TOKENIZER_STRICT)) return len;
    return len > SIZE_MAX / 3 ? SIZE_MAX : 3 * len;
}

lmp_status lmp_tokenizer_encode(const lmp_tokenizer *t, const void *text, size_t len, unsigned flags,
                                lmp_token_id *ids, size_t cap, size_t *n_ids, lmp_error *err)
{
    lmp_status st = check_args(t, text, len, flags, err);
    if (st) return st;
    tok_sink sink = {ids, ids ? cap : 0, 0, NULL, 0};
    st = encode_sink(t, text, len, flags, &sink, err);
    if (n_ids) *n_ids = sink.n;
    if (st) return st;
    if (ids && sink.n > cap)
        return lmp_error_set(err, LMP_ERANGE, "id buffer of %zu too small: the text has %zu ids", cap, sink.n);
    return LMP_OK;
}

lmp_status lmp_tokenizer_count(const lmp_tokenizer *t, const void *text, size_t len, unsigned flags, size_t *n_ids,
                               lmp_error *err)
{
    return lmp_tokenizer_encode(t, text, len, flags, NULL, 0, n_ids, err);
}

lmp_status lmp_tokenizer_encode_buf(const lmp_tokenizer *t, const void *text, size_t len, unsigned flags,
                                    lmp_token_buf *buf, lmp_error *err)
{
    lmp_status st = check_args(t, text, len, flags, err);
    if (st) return st;
    if (!buf) return lmp_error_set(err, LMP_EINVAL, "buffer is NULL");
    size_t n0 = buf->n;
    /* About one id per 4 bytes of English: reserve that much up front. */
    if (tok_buf_reserve(buf, len / 4 + 16)) return lmp_error_set(err, LMP_ENOMEM, "out of memory (%zu ids)", len / 4);
    tok_sink sink = {NULL, 0, 0, buf, 0};
    st = encode_sink(t, text, len, flags, &sink, err);
    if (st) buf->n = n0;
    return st;
}

/* ---- threads --------------------------------------------------------------------------------- */

#define MAX_THREADS 64
#define MIN_CHUNK ((size_t)1 << 18) /* below 256 KiB a thread is not worth starting */
#define MIN_GRAB ((size_t)1 << 16)  /* the smallest part handed out (and 1/256 of the text) */
#define MAX_GRABS 1024              /* about 310 parts at most, for 64 threads */

/* The threads take the text in parts, each as it becomes free, from a cursor
 * (guided scheduling: a part is the rest / (2 x threads), at least MIN_GRAB
 * bytes and 1/256 of the text, so the last parts are small and the threads
 * end together, even when some part of the text costs more per byte or a
 * core is busy elsewhere). Each part writes its ids straight into its own
 * region of the caller's buffer, sized for English (one id per 4 bytes,
 * + 1/8): no copy of a part's ids and no second buffer to fault in while
 * encoding. Ids beyond a region (denser text) go to the part's spill buffer.
 * At the end the regions are closed up in order by one memmove. */
typedef struct grab {
    size_t start, len; /* text[start .. start + len) */
    size_t at, room;   /* its region: ids[at .. at + room) */
    size_t n;          /* its ids (those beyond room are in spill) */
    lmp_token_buf spill;
    lmp_status st;
    size_t err_at; /* error offset within the part */
} grab;

typedef struct par {
    const lmp_tokenizer *t;
    const unsigned char *text;
    size_t len;
    unsigned flags;
    size_t threads;
    lmp_token_id *ids; /* the caller's buffer, reserved for every region */
    pthread_mutex_t mu;
    size_t cursor, out; /* the next byte of text to hand out, the next free id slot */
    size_t ngrabs;
    int stop; /* a part failed: hand out no more */
    grab g[MAX_GRABS];
} par;

/* Room for the ids of len bytes of English, and more. */
static size_t grab_room(size_t len) { return len / 4 + len / 32 + 64; }

/* A cut at or after `from` where a piece boundary is certain: text[p] is ASCII
 * white space and text[p-1] ASCII non-space. The piece holding p-1 is a run of
 * one class (or a contraction) and cannot take a white-space character, and
 * the white-space run from p cannot reach back; no UTF-8 sequence holds an
 * ASCII white-space byte, nor an added token (else one thread encodes all).
 * Returns len when there is none. */
static size_t find_cut(const unsigned char *s, size_t from, size_t len)
{
    if (from == 0) from = 1;
    for (size_t p = from; p < len; p++) {
        unsigned c = s[p];
        if ((c == ' ' || c == '\n' || c == '\t' || c == '\r') && s[p - 1] > 0x20 && s[p - 1] < 0x7f) return p;
    }
    return len;
}

/* The next part to encode, or NULL. */
static grab *par_next(par *p)
{
    grab *g = NULL;
    pthread_mutex_lock(&p->mu);
    if (!p->stop && p->cursor < p->len) {
        size_t rest = p->len - p->cursor, want = rest / (2 * p->threads);
        if (want < MIN_GRAB) want = MIN_GRAB;
        if (want < p->len / (MAX_GRABS / 4)) want = p->len / (MAX_GRABS / 4);
        size_t end = want >= rest || p->ngrabs == MAX_GRABS - 1 ? p->len : find_cut(p->text, p->cursor + want, p->len);
        g = &p->g[p->ngrabs++];
        g->start = p->cursor;
        g->len = end - p->cursor;
        g->at = p->out;
        g->room = grab_room(g->len);
        p->cursor = end;
        p->out += g->room;
    }
    pthread_mutex_unlock(&p->mu);
    return g;
}

static void *par_main(void *arg)
{
    par *p = arg;
    tok_scratch scr = {0};
    grab *g;
    while ((g = par_next(p)) != NULL) {
        tok_sink sink = {p->ids + g->at, g->room, 0, &g->spill, 0};
        tok_invalid inv = {0, 0};
        g->st = tok_encode_run(p->t, p->text + g->start, g->len, p->flags, 1, 0, &sink, &scr, &inv, &g->err_at);
        if (g->st == LMP_OK && sink.oom) g->st = LMP_ENOMEM;
        g->n = sink.n;
        if (g->st) {
            pthread_mutex_lock(&p->mu);
            p->stop = 1;
            pthread_mutex_unlock(&p->mu);
        }
    }
    tok_scratch_free(&scr);
    return NULL;
}

lmp_status lmp_tokenizer_encode_threads(const lmp_tokenizer *t, const void *text, size_t len, unsigned flags,
                                        unsigned threads, lmp_token_buf *buf, lmp_error *err)
{
    lmp_status st = check_args(t, text, len, flags, err);
    if (st) return st;
    if (!buf) return lmp_error_set(err, LMP_EINVAL, "buffer is NULL");
    if (threads > MAX_THREADS)
        return lmp_error_set(err, LMP_EINVAL, "threads = %u: expected 0 (every CPU) to %d", threads, MAX_THREADS);
    if (threads == 0) { /* every online CPU (it was this thread only: the one rule is lm.h's, 0 = all) */
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        threads = nc > MAX_THREADS ? (unsigned)MAX_THREADS : nc > 0 ? (unsigned)nc : 1u;
    }
    size_t nt = threads;
    if (nt > len / MIN_CHUNK) nt = len / MIN_CHUNK;
    if (t->added_ws) nt = 1; /* an added token with white space in it could straddle a cut (find_cut) */
    if (nt <= 1) return lmp_tokenizer_encode_buf(t, text, len, flags, buf, err);

    par *p = calloc(1, sizeof *p);
    if (!p) return lmp_error_set(err, LMP_ENOMEM, "out of memory");
    /* Every region fits: the rooms of all parts add up to at most this. */
    size_t need = grab_room(len) + 64 * (size_t)MAX_GRABS;
    size_t n0 = buf->n;
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        free(p);
        return lmp_error_set(err, LMP_ENOMEM, "cannot create a mutex");
    }
    if (tok_buf_reserve(buf, need)) {
        pthread_mutex_destroy(&p->mu);
        free(p);
        return lmp_error_set(err, LMP_ENOMEM, "out of memory (%zu ids)", need);
    }
    p->t = t;
    p->text = text;
    p->len = len;
    p->flags = flags;
    p->threads = nt;
    p->ids = buf->ids;
    p->out = n0;

    pthread_t tid[MAX_THREADS];
    size_t started = 0;
    for (size_t k = 1; k < nt; k++) {
        if (pthread_create(&tid[started], NULL, par_main, p) != 0) break; /* the others do its share */
        started++;
    }
    par_main(p);
    for (size_t k = 0; k < started; k++) pthread_join(tid[k], NULL);

    /* The first failing part in text order names the error (the parts before
     * it were all handed out, and ended). */
    st = LMP_OK;
    size_t total = 0, spilled = 0;
    for (size_t k = 0; k < p->ngrabs && st == LMP_OK; k++) {
        const grab *g = &p->g[k];
        if (g->st) st = run_error(g->st, text, len, g->start + g->err_at, err);
        total += g->n;
        spilled += g->spill.n;
    }
    if (st == LMP_OK && spilled == 0) {
        /* Close the regions up: each moves down (never past its own start). */
        size_t w = n0;
        for (size_t k = 0; k < p->ngrabs; k++) {
            const grab *g = &p->g[k];
            if (g->at != w) memmove(buf->ids + w, buf->ids + g->at, g->n * sizeof *buf->ids);
            w += g->n;
        }
        buf->n = w;
    } else if (st == LMP_OK) {
        /* Some part outgrew its region: lay the parts out in a new array. */
        size_t cap = n0 + total;
        lmp_token_id *ni = cap > SIZE_MAX / sizeof *ni ? NULL : malloc(cap * sizeof *ni);
        if (!ni) {
            st = lmp_error_set(err, LMP_ENOMEM, "out of memory (%zu ids)", total);
        } else {
            mem_hugepages(ni, cap * sizeof *ni);
            memcpy(ni, buf->ids, n0 * sizeof *ni);
            size_t w = n0;
            for (size_t k = 0; k < p->ngrabs; k++) {
                const grab *g = &p->g[k];
                size_t in = g->n - g->spill.n;
                memcpy(ni + w, buf->ids + g->at, in * sizeof *ni);
                /* A part that fit its region has no spill buffer at all (ids NULL): memcpy from NULL is
                 * undefined even for 0 bytes (C11 7.24.1p2; UBSan's nonnull-attribute check). */
                if (g->spill.n) memcpy(ni + w + in, g->spill.ids, g->spill.n * sizeof *ni);
                w += g->n;
            }
            free(buf->ids);
            buf->ids = ni;
            buf->cap = cap;
            buf->n = w;
        }
    }
    if (st) buf->n = n0;
    for (size_t k = 0; k < p->ngrabs; k++) lmp_token_buf_free(&p->g[k].spill);
    pthread_mutex_destroy(&p->mu);
    free(p);
    return st;
}

/* ---- decoding ------------------------------------------------------------------------------------ */

lmp_status lmp_tokenizer_decode(const lmp_tokenizer *t, const lmp_token_id *ids, size_t n, char *out, size_t cap,
                                size_t *len, lmp_error *err)
{
    if (len) *len = 0;
    if (!t) return lmp_error_set(err, LMP_EINVAL, "tokenizer is NULL");
    if (!ids && n) return lmp_error_set(err, LMP_EINVAL, "ids is NULL with n = %zu", n);
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        lmp_token_id id = ids[i];
        if (id < 0 || (size_t)id >= t->n) {
            lmp_status st = lmp_error_set(err, LMP_EINVAL, "id %ld at position %zu: expected an id from 0 to %zu",
                                          (long)id, i, t->n - 1);
            if (err) err->col = (long)i + 1;
            return st;
        }
        total += t->off[id + 1] - t->off[id];
    }
    if (len) *len = total;
    if (!out) return LMP_OK;
    size_t o = 0;
    for (size_t i = 0; i < n && o < cap; i++) {
        size_t a = t->off[ids[i]], l = t->off[ids[i] + 1] - a;
        if (l > cap - o) l = cap - o;
        memcpy(out + o, t->bytes + a, l);
        o += l;
    }
    if (cap < total) return lmp_error_set(err, LMP_ERANGE, "output buffer of %zu bytes too small: %zu needed", cap, total);
    if (cap > total) out[total] = '\0';
    return LMP_OK;
}
