/* Loading GPT-2's vocabulary (include/lmprob/tokenizer.h): OpenAI's
 * encoder.json + vocab.bpe, Hugging Face's vocab.json + merges.txt, or a
 * tiktoken rank file, checked line by line, into the tables of tok_internal.h.
 *
 * Two merge semantics, one per reference, so that each format gives exactly
 * its reference's ids:
 *   - merges files (encoder.py, Hugging Face): a pair of adjacent tokens
 *     merges only when it is a line of the merges file; its rank is the line.
 *   - rank files (tiktoken, src/lib.rs byte_pair_merge): a pair merges when
 *     the concatenation of its bytes is a token; its rank is that token's rank.
 *     So every split of every token into two tokens is a pair (108,299 for
 *     GPT-2, against 50,000 merge lines).
 * For GPT-2 the two agree: every token encodes to itself under both, and the
 * corpora tests compare them (docs/tokenizer.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lmprob/json.h"
#include "../core/path.h"
#include "tok_internal.h"

#define SPECIAL_EOT "<|endoftext|>"

/* ---- GPT-2's byte alphabet (encoder.py bytes_to_unicode) ----------------------
 * The 188 printable bytes '!'..'~', U+00A1..U+00AC, U+00AE..U+00FF stand for
 * themselves; the other 68 bytes, in increasing order, become U+0100..U+0143.
 * Names are therefore white-space free UTF-8 (" the" -> "Ġthe", U+0120). */
static int byte_is_printable(unsigned b) { return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae; }

static void alphabet_init(uint16_t cp_of[256], int16_t byte_of[0x144])
{
    unsigned next = 0x100;
    for (unsigned cp = 0; cp < 0x144; cp++) byte_of[cp] = -1;
    for (unsigned b = 0; b < 256; b++) {
        unsigned cp = byte_is_printable(b) ? b : next++;
        cp_of[b] = (uint16_t)cp;
        byte_of[cp] = (int16_t)b;
    }
}

/* Name -> bytes (at most n bytes out); -1 when a character is outside the alphabet. */
static long name_to_bytes(const int16_t byte_of[0x144], const char *name, size_t n, unsigned char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned c = (unsigned char)name[i];
        unsigned cp;
        if (c < 0x80) {
            cp = c;
            i++;
        } else if ((c & 0xe0) == 0xc0 && i + 1 < n && ((unsigned char)name[i + 1] & 0xc0) == 0x80) {
            cp = (c & 0x1f) << 6 | ((unsigned char)name[i + 1] & 0x3f);
            i += 2;
        } else {
            return -1;
        }
        if (cp >= 0x144 || byte_of[cp] < 0) return -1;
        out[o++] = (unsigned char)byte_of[cp];
    }
    return (long)o;
}

/* A file's bytes: mapped read-only (populated) when possible, else read. */
typedef struct text_file {
    const char *data;
    size_t len;
    const char *path;
    void *map;   /* mmap'd region, or NULL */
    char *heap;  /* read() copy, or NULL */
} text_file;

static void close_file(text_file *f)
{
    if (f->map) munmap(f->map, f->len);
    free(f->heap);
    f->map = NULL;
    f->heap = NULL;
}

static lmp_status read_file(const char *path, text_file *f, lmp_error *err)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    f->data = "";
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return lmp_error_set_at(err, LMP_EIO, path, 0, "cannot open: %s", strerror(errno));
    void *map;
    size_t size;
    if (mem_map_fd(fd, path, MEM_MAP_POPULATE, &map, &size, NULL) == LMP_OK) {
        close(fd);
        f->map = map;
        f->len = size;
        if (map) f->data = map;
        return LMP_OK;
    }
    /* Not a regular file (a pipe, a device), or one that cannot be mapped: read it whole, up to a bound.
     * GPT-2's files are 1 MB and 456 kB, and vocabularies of 250,000 tokens some 10 MB: a stream past 256 MiB
     * is no vocabulary (/dev/zero was read until memory ran out). */
    char *buf;
    size_t n;
    lmp_status rs = lmp_read_fd(fd, path, (size_t)256 << 20, &buf, &n, err);
    close(fd);
    if (rs == LMP_EUNSUPPORTED)
        return lmp_error_set_at(err, LMP_EFORMAT, path, 0, "more than 256 MiB without an end: not a GPT-2 vocabulary file");
    if (rs) return rs;
    f->heap = buf;
    f->data = buf;
    f->len = n;
    return LMP_OK;
}

/* Line (1-based) and byte in the line of offset pos, for messages. */
static void line_col(const text_file *f, size_t pos, long *line, long *col)
{
    long ln = 1;
    size_t start = 0;
    for (size_t i = 0; i < pos && i < f->len; i++)
        if (f->data[i] == '\n') {
            ln++;
            start = i + 1;
        }
    *line = ln;
    *col = (long)(pos - start) + 1;
}

/* A value for a message: quoted, printable ASCII and valid UTF-8 as is, other
 * bytes as \xNN, cut after about 60 bytes. */
static const char *show(char *out, size_t cap, const void *data, size_t n)
{
    const unsigned char *s = data;
    size_t o = 0;
    out[o++] = '"';
    for (size_t i = 0; i < n && o + 8 < cap; i++) {
        if (i >= 60) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        unsigned c = s[i];
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c >= 0x20 && c != 0x7f) {
            out[o++] = (char)c; /* UTF-8 bytes pass through: names are UTF-8 */
        } else {
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
        }
    }
    out[o++] = '"';
    out[o] = '\0';
    return out;
}

static lmp_status fmt_error(lmp_error *err, const text_file *f, size_t pos, const char *msg)
{
    long line, col;
    line_col(f, pos, &line, &col);
    lmp_status st = lmp_error_set_at(err, LMP_EFORMAT, f->path, line, "byte %ld: %s", col, msg);
    if (err) err->col = col;
    return st;
}

static size_t pow2_at_least(size_t n)
{
    size_t p = 16;
    while (p < n) p <<= 1;
    return p;
}

/* ---- building the tables ---------------------------------------------------------- */

/* A token read from a file: its declared id, its bytes at blob[off .. off + len),
 * and where it was (byte offset in the file) for messages. */
typedef struct entry {
    int32_t id;
    uint32_t off, len, pos;
} entry;

typedef struct builder {
    entry *e;
    size_t n, cap;
    unsigned char *blob; /* sized by the file: token bytes never outgrow their text */
    size_t blob_len, blob_cap;
} builder;

static void builder_free(builder *b)
{
    mem_block_free(b->e);
    mem_block_free(b->blob);
    memset(b, 0, sizeof *b);
}

static int builder_init(builder *b, size_t file_len, size_t expect)
{
    memset(b, 0, sizeof *b);
    b->cap = expect < 256 ? 256 : expect;
    b->e = mem_block_alloc(b->cap * sizeof *b->e);
    b->blob_cap = file_len + 16; /* + "<|endoftext|>" a rank file lacks */
    b->blob = mem_block_alloc(b->blob_cap);
    return b->e && b->blob ? 0 : -1;
}

static int builder_add(builder *b, int64_t id, const unsigned char *bytes, size_t n, size_t pos)
{
    if (b->n == b->cap) {
        entry *ne = mem_block_alloc(2 * b->cap * sizeof *ne);
        if (!ne) return -1;
        memcpy(ne, b->e, b->n * sizeof *ne);
        mem_block_free(b->e);
        b->e = ne;
        b->cap *= 2;
    }
    if (b->blob_len + n > b->blob_cap || pos > UINT32_MAX) return -1;
    memcpy(b->blob + b->blob_len, bytes, n);
    b->e[b->n] = (entry){(int32_t)id, (uint32_t)b->blob_len, (uint32_t)n, (uint32_t)pos};
    b->n++;
    b->blob_len += n;
    return 0;
}

static const tok_pair *pair_insert(lmp_tokenizer *t, lmp_token_id a, lmp_token_id b, uint32_t rank, int32_t merged)
{
    uint64_t key = ((uint64_t)(uint32_t)a << 32 | (uint32_t)b) + 1;
    for (size_t i = (size_t)tok_pair_hash(key) & t->pmask;; i = (i + 1) & t->pmask) {
        tok_pair *p = &t->pslot[i];
        if (p->key == key) return p;
        if (p->key == 0) {
            p->key = key;
            p->rank = rank;
            p->merged = merged;
            t->npairs++;
            return NULL;
        }
    }
}

static lmp_status alloc_pairs(lmp_tokenizer *t, size_t npairs, lmp_error *err)
{
    size_t cap = pow2_at_least(2 * npairs + 2);
    t->pair_block = mem_block_alloc(cap * sizeof *t->pslot);
    if (!t->pair_block) return lmp_error_set(err, LMP_ENOMEM, "out of memory (pair table of %zu)", cap);
    t->pslot = t->pair_block;
    t->pmask = cap - 1;
    t->npairs = 0;
    return LMP_OK;
}

static size_t align8(size_t n) { return (n + 7) & ~(size_t)7; }

/* How far ahead the table builds below prefetch (entries). */
#define PIPE 16

/* From the builder (entries in id order, ids 0..n-1 already checked): one
 * block with the bytes, the names and the bytes -> id table. Duplicate bytes
 * are an error. */
static lmp_status build_vocab(lmp_tokenizer *t, const builder *b, const uint16_t cp_of[256], const text_file *f,
                              lmp_error *err)
{
    size_t n = b->n;
    /* At most 2 UTF-8 bytes a token byte, and a NUL: no counting pass. */
    size_t name_bytes = 2 * b->blob_len + n;
    size_t tcap = pow2_at_least(2 * n + 2);
    size_t o_off = 0, o_noff = align8(o_off + (n + 1) * 4), o_slot = align8(o_noff + (n + 1) * 4),
           o_bytes = o_slot + tcap * sizeof(tok_slot), o_names = o_bytes + align8(b->blob_len + 1),
           total = o_names + name_bytes;
    unsigned char *blk = mem_block_alloc(total);
    if (!blk) return lmp_error_set(err, LMP_ENOMEM, "out of memory (%zu tokens)", n);
    t->block = blk;
    t->n = n;
    t->off = (uint32_t *)(blk + o_off);
    t->name_off = (uint32_t *)(blk + o_noff);
    t->tslot = (tok_slot *)(blk + o_slot);
    t->tmask = tcap - 1;
    t->bytes = blk + o_bytes;
    t->names = (char *)(blk + o_names);
    size_t o = 0, no = 0;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *src = b->blob + b->e[i].off;
        uint32_t len = b->e[i].len;
        t->off[i] = (uint32_t)o;
        memcpy(t->bytes + o, src, len);
        o += len;
        t->name_off[i] = (uint32_t)no;
        for (uint32_t k = 0; k < len; k++) {
            unsigned cp = cp_of[src[k]];
            if (cp < 0x80) {
                t->names[no++] = (char)cp;
            } else {
                t->names[no++] = (char)(0xc0 | cp >> 6);
                t->names[no++] = (char)(0x80 | (cp & 0x3f));
            }
        }
        t->names[no++] = '\0';
    }
    t->off[n] = (uint32_t)o;
    t->name_off[n] = (uint32_t)no;
    for (size_t i = 0; i < 256; i++) t->byte_id[i] = LMP_TOKEN_NONE;
    /* The inserts land at random in a table larger than a core's L2 cache:
     * each token's hash is computed PIPE tokens ahead and its slot prefetched,
     * so that the cache misses overlap instead of coming one after another. */
    uint64_t hring[PIPE];
    for (size_t j = 0; j < n && j < PIPE; j++) {
        hring[j] = lmp_strhash(t->bytes + t->off[j], t->off[j + 1] - t->off[j]);
        tok_prefetch(&t->tslot[hring[j] & t->tmask]);
    }
    for (size_t i = 0; i < n; i++) {
        const unsigned char *s = t->bytes + t->off[i];
        size_t len = t->off[i + 1] - t->off[i];
        uint64_t h = hring[i % PIPE];
        if (i + PIPE < n) {
            size_t j = i + PIPE;
            hring[j % PIPE] = lmp_strhash(t->bytes + t->off[j], t->off[j + 1] - t->off[j]);
            tok_prefetch(&t->tslot[hring[j % PIPE] & t->tmask]);
        }
        tok_key key = {t, s, len};
        size_t empty = 0;
        lmp_token_id dup = lmp_strtab_find(t->tslot, t->tmask, h, tok_key_eq, &key, &empty);
        if (dup != LMP_TOKEN_NONE) {
            char v[200], m[400];
            const char *nm = t->names + t->name_off[i];
            snprintf(m, sizeof m, "duplicate token %s: ids %d and %zu", show(v, sizeof v, nm, strlen(nm)), dup, i);
            return fmt_error(err, f, b->e[i].pos, m);
        }
        lmp_strtab_fill(t->tslot, empty, h, (lmp_token_id)i);
        if (len == 1) t->byte_id[s[0]] = (lmp_token_id)i;
    }
    for (unsigned c = 0; c < 256; c++)
        if (t->byte_id[c] == LMP_TOKEN_NONE)
            return lmp_error_set_at(err, LMP_EFORMAT, f->path, 0,
                                    "byte 0x%02x has no one-byte token: expected all 256 bytes", c);
    t->eot = tok_find(t, (const unsigned char *)SPECIAL_EOT, sizeof SPECIAL_EOT - 1);
    return LMP_OK;
}

/* ---- JSON vocabularies (encoder.json, vocab.json): one flat object ------------- */

static void skip_ws(const text_file *f, size_t *i)
{
    while (*i < f->len) {
        char c = f->data[*i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        (*i)++;
    }
}

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        char c = s[k];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

/* A JSON string at *i (the opening quote) turned into token bytes through the
 * byte alphabet: every character must be one of its 256 code points. */
static lmp_status json_token(const text_file *f, size_t *i, const int16_t byte_of[0x144], unsigned char *out,
                             size_t cap, size_t *n, lmp_error *err)
{
    size_t start = *i, k = *i + 1, o = 0;
    char m[300], v[200];
    for (;;) {
        /* The common case: printable ASCII, its own byte in the alphabet. */
        while (k < f->len && o < cap) {
            unsigned char c = (unsigned char)f->data[k];
            if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') break;
            out[o++] = c;
            k++;
        }
        if (k >= f->len) return fmt_error(err, f, start, "unterminated string (file truncated?)");
        unsigned char c = (unsigned char)f->data[k];
        uint32_t cp;
        if (c == '"') break;
        if (c < 0x20) return fmt_error(err, f, k, "control character inside a string");
        if (c == '\\') {
            char e = k + 1 < f->len ? f->data[k + 1] : '\0';
            k += 2;
            switch (e) {
            case '"': cp = '"'; break;
            case '\\': cp = '\\'; break;
            case '/': cp = '/'; break;
            case 'b': cp = 8; break;
            case 'f': cp = 12; break;
            case 'n': cp = 10; break;
            case 'r': cp = 13; break;
            case 't': cp = 9; break;
            case 'u': {
                unsigned u, lo;
                if (k + 4 > f->len) return fmt_error(err, f, k - 2, "unexpected end of file in a \\u escape (truncated?)");
                if (hex4(f->data + k, &u)) return fmt_error(err, f, k - 2, "bad \\u escape");
                k += 4;
                if (u >= 0xd800 && u < 0xdc00) {
                    if (k + 6 > f->len || f->data[k] != '\\' || f->data[k + 1] != 'u' || hex4(f->data + k + 2, &lo) ||
                        lo < 0xdc00 || lo > 0xdfff)
                        return fmt_error(err, f, k - 6, "lone surrogate in a \\u escape");
                    k += 6;
                    u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                } else if (u >= 0xdc00 && u < 0xe000) {
                    return fmt_error(err, f, k - 6, "lone surrogate in a \\u escape");
                }
                cp = u;
                break;
            }
            default: return fmt_error(err, f, k - 2, "unknown escape in a string");
            }
        } else if (c < 0x80) {
            cp = c;
            k++;
        } else {
            /* UTF-8 in the file (vocab.json as Hugging Face writes it): only
             * two-byte forms can be in the alphabet (U+00A1..U+0143). */
            if (c >= 0xc2 && c <= 0xdf && k + 1 < f->len && ((unsigned char)f->data[k + 1] & 0xc0) == 0x80) {
                cp = (uint32_t)(c & 0x1f) << 6 | ((unsigned char)f->data[k + 1] & 0x3f);
                k += 2;
            } else {
                snprintf(m, sizeof m, "byte 0x%02x in a token string is not a character of GPT-2's byte alphabet", c);
                return fmt_error(err, f, k, m);
            }
        }
        if (cp >= 0x144 || byte_of[cp] < 0) {
            show(v, sizeof v, f->data + start + 1, k - start - 1);
            snprintf(m, sizeof m, "token %s has U+%04X, which is not in GPT-2's byte alphabet", v, (unsigned)cp);
            return fmt_error(err, f, start, m);
        }
        if (o == cap) return fmt_error(err, f, start, "token longer than 1024 bytes");
        out[o++] = (unsigned char)byte_of[cp];
    }
    if (o == 0) return fmt_error(err, f, start, "empty token string");
    *i = k + 1;
    *n = o;
    return LMP_OK;
}

static lmp_status parse_json_vocab(const text_file *f, const int16_t byte_of[0x144], builder *b, lmp_error *err)
{
    size_t i = 0;
    unsigned char tok[1024];
    char m[300];
    skip_ws(f, &i);
    if (i >= f->len) return fmt_error(err, f, i, "empty file: expected a JSON object {\"token\": id, ...}");
    if (f->data[i] != '{') return fmt_error(err, f, i, "expected '{' (a JSON object {\"token\": id, ...})");
    i++;
    skip_ws(f, &i);
    if (i < f->len && f->data[i] == '}') return fmt_error(err, f, i, "empty vocabulary");
    for (;;) {
        skip_ws(f, &i);
        if (i >= f->len) return fmt_error(err, f, i, "unexpected end of file (truncated?): expected a token string");
        if (f->data[i] != '"') return fmt_error(err, f, i, "expected a token string");
        size_t pos = i, n = 0;
        lmp_status st = json_token(f, &i, byte_of, tok, sizeof tok, &n, err);
        if (st) return st;
        skip_ws(f, &i);
        if (i >= f->len) return fmt_error(err, f, i, "unexpected end of file (truncated?): expected ':'");
        if (f->data[i] != ':') return fmt_error(err, f, i, "expected ':'");
        i++;
        skip_ws(f, &i);
        size_t ns = i;
        int64_t id = 0;
        while (i < f->len && f->data[i] >= '0' && f->data[i] <= '9' && id <= INT32_MAX)
            id = id * 10 + (f->data[i++] - '0');
        if (i == ns || id > INT32_MAX || (i < f->len && (f->data[i] == '.' || f->data[i] == 'e' || f->data[i] == 'E'))) {
            size_t e = ns;
            while (e < f->len && e - ns < 20 && f->data[e] != ',' && f->data[e] != '}') e++;
            char v[100];
            snprintf(m, sizeof m, "expected a token id (an integer from 0 to 2147483647), got %s",
                     show(v, sizeof v, f->data + ns, e - ns));
            return fmt_error(err, f, ns, m);
        }
        if (builder_add(b, id, tok, n, pos)) return lmp_error_set(err, LMP_ENOMEM, "out of memory reading %s", f->path);
        skip_ws(f, &i);
        if (i >= f->len) return fmt_error(err, f, i, "unexpected end of file (truncated?): expected ',' or '}'");
        if (f->data[i] == ',') {
            i++;
            continue;
        }
        if (f->data[i] != '}') return fmt_error(err, f, i, "expected ',' or '}'");
        i++;
        break;
    }
    skip_ws(f, &i);
    if (i < f->len) return fmt_error(err, f, i, "unexpected text after the closing '}'");
    return LMP_OK;
}

/* Put the entries in id order; ids must be exactly 0..n-1. */
static lmp_status order_by_id(builder *b, const text_file *f, lmp_error *err)
{
    size_t n = b->n;
    char m[300];
    int sorted = 1;
    for (size_t i = 0; i < n && sorted; i++) sorted = b->e[i].id == (int32_t)i;
    if (sorted) return LMP_OK; /* encoder.json lists its tokens in id order */
    entry *s = mem_block_alloc(n * sizeof *s);
    if (!s) return lmp_error_set(err, LMP_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) s[i].len = UINT32_MAX;
    for (size_t i = 0; i < n; i++) {
        int32_t id = b->e[i].id;
        if (id < 0 || (size_t)id >= n) {
            mem_block_free(s);
            snprintf(m, sizeof m, "id %ld out of range: %zu tokens need ids 0..%zu", (long)id, n, n - 1);
            return fmt_error(err, f, b->e[i].pos, m);
        }
        if (s[id].len != UINT32_MAX) {
            long l0, c0;
            line_col(f, s[id].pos, &l0, &c0);
            mem_block_free(s);
            snprintf(m, sizeof m, "duplicate id %ld (also at line %ld, byte %ld)", (long)id, l0, c0);
            return fmt_error(err, f, b->e[i].pos, m);
        }
        s[id] = b->e[i];
    }
    mem_block_free(b->e);
    b->e = s;
    b->cap = n;
    return LMP_OK;
}

/* The next line of f from *i: [*s, *le) without its '\n' (and a '\r' before
 * it); 0 at the end of the file. */
static int next_line(const text_file *f, size_t *i, size_t *s, size_t *le)
{
    if (*i >= f->len) return 0;
    *s = *i;
    const char *nl = memchr(f->data + *i, '\n', f->len - *i);
    size_t e = nl ? (size_t)(nl - f->data) : f->len;
    *i = nl ? e + 1 : f->len;
    *le = e;
    if (e > *s && f->data[e - 1] == '\r') (*le)--;
    return 1;
}

/* ---- merges (vocab.bpe, merges.txt) -------------------------------------------- */

/* The lookups of a merge line hit two tables larger than a core's L2 cache at
 * random, and were most of the load time. So the lines go through a short
 * pipeline: a line is parsed and its two names' hashes computed PIPE lines
 * before it is checked, with their slots prefetched; the (left, right) pair
 * it makes is inserted PIPE merges later, its slot prefetched too. Lines are
 * checked in file order, so the first error reported is the one a line-by-line
 * reader finds first. */
#define MERGE_LINE_MAX 2048

typedef struct merge_line {
    long line;        /* 1-based line of a merges file; 0: a JSON array item at byte `pos` */
    size_t pos;
    const char *a_s, *b_s; /* the two names (la and lb bytes) */
    size_t la, lb;
    long ba, bb;      /* their lengths in bytes; -1: a character outside the byte alphabet */
    uint64_t ha, hb;
    unsigned char cat[MERGE_LINE_MAX]; /* a's bytes then b's */
} merge_line;

typedef struct merge_pair {
    lmp_token_id a, b, r;
    uint32_t rank;
} merge_pair;

typedef struct merge_state {
    lmp_tokenizer *t;
    const text_file *f;
    int32_t *made;          /* made[id]: the merge that makes the token (its line, or 1-based JSON index), 0: none */
    merge_line *ring;       /* lines parsed, not yet checked: [checked, parsed) modulo PIPE */
    size_t parsed, checked;
    merge_pair pairs[PIPE]; /* pairs checked, not yet inserted: [inserted, queued) */
    size_t queued, inserted;
    uint32_t rank;
    lmp_token_id guess; /* the id after the last merge's result: in GPT-2's files, the next result */
    uint64_t fp;        /* fingerprint of the merges: (left, right, result) ids in rank order */
} merge_state;

/* A merge's place for messages: "line L" of a merges file, or the line of a JSON item. */
static long merge_where(const merge_state *ms, const merge_line *m)
{
    if (m->line) return m->line;
    long line, col;
    line_col(ms->f, m->pos, &line, &col);
    return line;
}

static void merge_insert_pending(merge_state *ms, size_t keep)
{
    while (ms->queued - ms->inserted > keep) {
        const merge_pair *p = &ms->pairs[ms->inserted++ % PIPE];
        pair_insert(ms->t, p->a, p->b, p->rank, p->r);
    }
}

/* Check the oldest parsed line and queue the pair it makes. */
static lmp_status merge_check(merge_state *ms, lmp_error *err)
{
    lmp_tokenizer *t = ms->t;
    const text_file *f = ms->f;
    const merge_line *m = &ms->ring[ms->checked++ % PIPE];
    char v1[200], v2[200];
    lmp_token_id a = m->ba < 0 ? LMP_TOKEN_NONE : tok_find_h(t, m->cat, (size_t)m->ba, m->ha);
    lmp_token_id b = m->bb < 0 ? LMP_TOKEN_NONE : tok_find_h(t, m->cat + m->ba, (size_t)m->bb, m->hb);
    if (a == LMP_TOKEN_NONE || b == LMP_TOKEN_NONE)
        return lmp_error_set_at(err, LMP_EFORMAT, f->path, merge_where(ms, m),
                                "merge names %s, which is not in the vocabulary",
                                a == LMP_TOKEN_NONE ? show(v1, sizeof v1, m->a_s, m->la)
                                                    : show(v1, sizeof v1, m->b_s, m->lb));
    for (int k = 0; k < 2; k++) {
        lmp_token_id x = k ? b : a;
        if (t->off[x + 1] - t->off[x] > 1 && ms->made[x] == 0) {
            const char *nm = t->names + t->name_off[x];
            return lmp_error_set_at(err, LMP_EFORMAT, f->path, merge_where(ms, m),
                                    "merge uses %s before any line makes it: expected the merges in the order they "
                                    "were learnt", show(v1, sizeof v1, nm, strlen(nm)));
        }
    }
    /* The result: the guessed id if its bytes are a's + b's (token bytes are
     * unique, so then it is the one), else a lookup. */
    size_t lr = (size_t)(m->ba + m->bb);
    lmp_token_id r = ms->guess;
    if ((size_t)r >= t->n || t->off[r + 1] - t->off[r] != lr || !tok_eq(t->bytes + t->off[r], m->cat, lr))
        r = tok_find(t, m->cat, lr);
    if (r == LMP_TOKEN_NONE || (t->tflags[r] & TOK_F_ADDED)) {
        int k = snprintf(v2, sizeof v2, "%.*s %.*s", (int)(m->la < 90 ? m->la : 90), m->a_s,
                         (int)(m->lb < 90 ? m->lb : 90), m->b_s);
        return lmp_error_set_at(err, LMP_EFORMAT, f->path, merge_where(ms, m),
                                r == LMP_TOKEN_NONE ? "merge result %s is not in the vocabulary"
                                                    : "merge result %s is an added token, not one BPE makes",
                                show(v1, sizeof v1, v2, k > 0 ? (size_t)k : 0));
    }
    /* made[] holds a merges file's line, or a JSON array's 1-based index */
    long at = m->line ? m->line : (long)ms->rank + 1;
    if (ms->made[r]) {
        const char *nm = t->names + t->name_off[r];
        return lmp_error_set_at(err, LMP_EFORMAT, f->path, merge_where(ms, m), "%s is made twice: %s %ld and %ld",
                                show(v1, sizeof v1, nm, strlen(nm)), m->line ? "lines" : "merges", (long)ms->made[r],
                                at);
    }
    ms->made[r] = (int32_t)at;
    ms->guess = r + 1;
    merge_insert_pending(ms, PIPE - 1);
    uint64_t key = ((uint64_t)(uint32_t)a << 32 | (uint32_t)b) + 1;
    tok_prefetch(&t->pslot[(size_t)tok_pair_hash(key) & t->pmask]);
    ms->pairs[ms->queued++ % PIPE] = (merge_pair){a, b, r, ms->rank++};
    ms->fp = lmp_strhash_mum(ms->fp ^ ((uint64_t)(uint32_t)a << 32 | (uint32_t)b), 0x9e3779b97f4a7c15ull ^ (uint32_t)r);
    return LMP_OK;
}

/* Check every line parsed so far (before reporting an error found while parsing). */
static lmp_status merge_drain(merge_state *ms, lmp_error *err)
{
    while (ms->checked < ms->parsed) {
        lmp_status st = merge_check(ms, err);
        if (st) return st;
    }
    return LMP_OK;
}

static lmp_status merge_begin(merge_state *ms, lmp_tokenizer *t, const text_file *f, lmp_error *err)
{
    memset(ms, 0, sizeof *ms);
    ms->t = t;
    ms->f = f;
    size_t ring_at = align8(t->n * sizeof *ms->made);
    ms->made = mem_block_alloc(ring_at + PIPE * sizeof *ms->ring);
    if (!ms->made) return lmp_error_set(err, LMP_ENOMEM, "out of memory");
    ms->ring = (merge_line *)((char *)ms->made + ring_at);
    return alloc_pairs(t, t->n, err);
}

/* One merge, names a (la bytes) and b (lb bytes), checked PIPE merges later (la + lb < MERGE_LINE_MAX). */
static lmp_status merge_feed(merge_state *ms, const char *a_s, size_t la, const char *b_s, size_t lb, long line,
                             size_t pos, lmp_error *err)
{
    lmp_tokenizer *t = ms->t;
    lmp_status st;
    if (ms->parsed - ms->checked == PIPE && (st = merge_check(ms, err))) return st;
    merge_line *m = &ms->ring[ms->parsed++ % PIPE];
    m->line = line;
    m->pos = pos;
    m->a_s = a_s;
    m->b_s = b_s;
    m->la = la;
    m->lb = lb;
    /* Names -> bytes (each character is one byte), both halves into cat. */
    m->ba = name_to_bytes(t->byte_of_cp, a_s, la, m->cat);
    m->bb = m->ba < 0 ? -1 : name_to_bytes(t->byte_of_cp, b_s, lb, m->cat + m->ba);
    if (m->ba >= 0) {
        m->ha = lmp_strhash(m->cat, (size_t)m->ba);
        tok_prefetch(&t->tslot[m->ha & t->tmask]);
    }
    if (m->bb >= 0) {
        m->hb = lmp_strhash(m->cat + m->ba, (size_t)m->bb);
        tok_prefetch(&t->tslot[m->hb & t->tmask]);
    }
    return LMP_OK;
}

/* The last merges checked and inserted; every token longer than one byte, the added tokens excepted,
 * must have been made by one. Frees the state; the merges' fingerprint into t->merges_fp. */
static lmp_status merge_end(merge_state *ms, lmp_status st, lmp_error *err)
{
    lmp_tokenizer *t = ms->t;
    if (st == LMP_OK) st = merge_drain(ms, err);
    if (st == LMP_OK) {
        merge_insert_pending(ms, 0);
        size_t need = 0;
        lmp_token_id missing = LMP_TOKEN_NONE;
        for (size_t k = 0; k < t->n; k++) {
            if (t->off[k + 1] - t->off[k] <= 1 || (t->tflags[k] & TOK_F_ADDED)) continue;
            need++;
            if (!ms->made[k] && missing == LMP_TOKEN_NONE) missing = (lmp_token_id)k;
        }
        if (missing != LMP_TOKEN_NONE) {
            char v[200];
            const char *nm = t->names + t->name_off[missing];
            st = lmp_error_set_at(err, LMP_EFORMAT, ms->f->path, 0,
                                  "%u merges for %zu tokens longer than one byte: token %s (id %d) is made by no merge",
                                  (unsigned)ms->rank, need, show(v, sizeof v, nm, strlen(nm)), (int)missing);
        }
    }
    mem_block_free(ms->made);
    ms->made = NULL;
    t->merges_fp = ms->fp;
    return st;
}

/* A merges file (vocab.bpe, merges.txt): an optional "#version" line, then "A B" a line. */
static lmp_status parse_merges(lmp_tokenizer *t, const text_file *f, lmp_error *err)
{
    merge_state ms;
    lmp_status st = merge_begin(&ms, t, f, err);
    if (st) return merge_end(&ms, st, err);
    char v1[200];
    size_t i = 0;
    long line = 0;
    size_t blank_at = 0;
    long blank_line = 0;
    size_t s, le;
    while (next_line(f, &i, &s, &le)) {
        line++;
        if (line == 1 && le - s >= 8 && memcmp(f->data + s, "#version", 8) == 0) continue;
        if (le == s) {
            if (!blank_line) {
                blank_line = line;
                blank_at = s;
            }
            continue;
        }
        const char *a_s = f->data + s;
        const char *sp = memchr(a_s, ' ', le - s);
        if (blank_line || line > INT32_MAX || !sp || sp == a_s || sp + 1 == f->data + le ||
            memchr(sp + 1, ' ', (size_t)(f->data + le - sp - 1)) || le - s >= MERGE_LINE_MAX) {
            if ((st = merge_drain(&ms, err))) break;
            if (blank_line)
                st = lmp_error_set_at(err, LMP_EFORMAT, f->path, blank_line,
                                      "empty line before more merges (byte %zu): expected one merge \"A B\" a line",
                                      blank_at);
            else if (line > INT32_MAX)
                st = lmp_error_set_at(err, LMP_EFORMAT, f->path, line, "too many lines");
            else
                st = lmp_error_set_at(err, LMP_EFORMAT, f->path, line, "expected two tokens \"A B\", got %s",
                                      show(v1, sizeof v1, a_s, le - s));
            break;
        }
        if ((st = merge_feed(&ms, a_s, (size_t)(sp - a_s), sp + 1, (size_t)(f->data + le - sp - 1), line, s, err)))
            break;
    }
    return merge_end(&ms, st, err);
}

/* ---- tiktoken rank files ------------------------------------------------------- */

static int b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Strict RFC 4648 base64 with padding; returns the decoded length or -1. */
static long b64_decode(const char *s, size_t n, unsigned char *out, size_t cap)
{
    if (n == 0 || n % 4) return -1;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4], pad = 0;
        for (int k = 0; k < 4; k++) {
            unsigned char c = (unsigned char)s[i + k];
            if (c == '=' && i + 4 == n && k >= 2) {
                v[k] = 0;
                pad++;
            } else {
                if (pad) return -1;
                v[k] = b64_val(c);
                if (v[k] < 0) return -1;
            }
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        if (o + 3 - (size_t)pad > cap) return -1;
        out[o++] = (unsigned char)(w >> 16);
        if (pad < 2) out[o++] = (unsigned char)(w >> 8);
        if (pad < 1) out[o++] = (unsigned char)w;
        if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff))) return -1; /* non-canonical */
    }
    return (long)o;
}

/* r50k_base, GPT-2's encoding in tiktoken, has 50,256 ranks; its <|endoftext|> is 50256, after them
 * (tiktoken_ext/openai_public.py), which is where the loader puts it. */
#define R50K_RANKS 50256

/* A rank file of another encoding must not load as GPT-2's: p50k_base (50,280 ranks: its extra
 * white-space tokens come after 50256, the id of its <|endoftext|>), cl100k_base (100,256) and
 * o200k_base (199,998) split text with other patterns, so GPT-2's pre-tokenizer would give other ids
 * than tiktoken does, silently. Every one has more lines than r50k_base: counted before parsing (a
 * memchr pass). A smaller file still loads, under GPT-2's rules (test vocabularies, the fuzzer's). */
static lmp_status check_rank_count(const text_file *f, lmp_error *err)
{
    size_t lines = 0;
    for (const char *p = f->data, *e = f->data + f->len; p < e; lines++) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        p = nl ? nl + 1 : e;
    }
    if (lines <= R50K_RANKS) return LMP_OK;
    return lmp_error_set_at(err, LMP_EFORMAT, f->path, 0,
                            "%zu ranks: expected GPT-2's rank file (r50k_base, 50,256 ranks): lmprob implements "
                            "GPT-2's pre-tokenizer and <|endoftext|> only, and this is another encoding (p50k_base "
                            "has 50,280 ranks, cl100k_base 100,256, o200k_base 199,998)",
                            lines);
}

static lmp_status parse_rank_file(const text_file *f, builder *b, lmp_error *err)
{
    size_t i = 0;
    long line = 0;
    unsigned char tok[1024];
    char v[200];
    size_t s, le;
    while (next_line(f, &i, &s, &le)) {
        line++;
        if (le == s) {
            if (i >= f->len) break; /* a final empty line */
            return lmp_error_set_at(err, LMP_EFORMAT, f->path, line, "empty line: expected \"<base64> <rank>\"");
        }
        const char *sp = memchr(f->data + s, ' ', le - s);
        if (!sp)
            return lmp_error_set_at(err, LMP_EFORMAT, f->path, line, "expected \"<base64> <rank>\", got %s",
                                    show(v, sizeof v, f->data + s, le - s));
        size_t lb = (size_t)(sp - (f->data + s));
        long n = b64_decode(f->data + s, lb, tok, sizeof tok);
        if (n < 0)
            return lmp_error_set_at(err, LMP_EFORMAT, f->path, line, "bad base64 %s: expected RFC 4648 base64",
                                    show(v, sizeof v, f->data + s, lb));
        const char *r = sp + 1;
        int64_t rank = 0;
        const char *q = r;
        while (q < f->data + le && *q >= '0' && *q <= '9' && rank <= INT32_MAX) rank = rank * 10 + (*q++ - '0');
        if (q == r || q != f->data + le || rank > INT32_MAX)
            return lmp_error_set_at(err, LMP_EFORMAT, f->path, line, "expected a rank (an integer), got %s",
                                    show(v, sizeof v, r, (size_t)(f->data + le - r)));
        if ((uint64_t)rank != b->n)
            return lmp_error_set_at(err, LMP_EFORMAT, f->path, line,
                                    "rank %lld out of order: expected %zu (ranks are ids 0, 1, 2, ... in line order)",
                                    (long long)rank, b->n);
        if (builder_add(b, rank, tok, (size_t)n, s)) return lmp_error_set(err, LMP_ENOMEM, "out of memory");
    }
    if (b->n == 0) return lmp_error_set_at(err, LMP_EFORMAT, f->path, 0, "no ranks: empty file");
    /* tiktoken's GPT-2 encodings add <|endoftext|> after the last rank
     * (tiktoken_ext/openai_public.py: special_tokens {"<|endoftext|>": 50256}). */
    if (builder_add(b, (int64_t)b->n, (const unsigned char *)SPECIAL_EOT, sizeof SPECIAL_EOT - 1, f->len))
        return lmp_error_set(err, LMP_ENOMEM, "out of memory");
    return LMP_OK;
}

/* Every split of every token into two tokens is a pair (tiktoken's rule).
 * The lookups of a token's splits are independent: their hashes come first
 * and their slots are prefetched, PIPE splits at a time, so that the cache
 * misses overlap; the pairs found are kept (at most one per split) and
 * inserted once the table is sized, each slot prefetched PIPE pairs ahead. */
static lmp_status rank_pairs(lmp_tokenizer *t, lmp_error *err)
{
    size_t bound = 0;
    for (size_t id = 0; id < t->n; id++) bound += t->off[id + 1] - t->off[id] - 1;
    merge_pair *pairs = mem_block_alloc((bound + 1) * sizeof *pairs);
    if (!pairs) return lmp_error_set(err, LMP_ENOMEM, "out of memory (%zu splits)", bound);
    size_t np = 0;
    uint64_t hp[PIPE], hs[PIPE];
    for (size_t id = 0; id < t->n; id++) {
        if ((lmp_token_id)id == t->eot) continue;
        const unsigned char *s = t->bytes + t->off[id];
        size_t len = t->off[id + 1] - t->off[id];
        for (size_t k0 = 1; k0 < len; k0 += PIPE) {
            size_t k1 = len - k0 > PIPE ? k0 + PIPE : len;
            for (size_t k = k0; k < k1; k++) {
                hp[k - k0] = lmp_strhash(s, k);
                hs[k - k0] = lmp_strhash(s + k, len - k);
                tok_prefetch(&t->tslot[hp[k - k0] & t->tmask]);
                tok_prefetch(&t->tslot[hs[k - k0] & t->tmask]);
            }
            for (size_t k = k0; k < k1; k++) {
                lmp_token_id a = tok_find_h(t, s, k, hp[k - k0]);
                if (a == LMP_TOKEN_NONE) continue;
                lmp_token_id b = tok_find_h(t, s + k, len - k, hs[k - k0]);
                if (b == LMP_TOKEN_NONE) continue;
                pairs[np++] = (merge_pair){a, b, (lmp_token_id)id, (uint32_t)id};
            }
        }
    }
    lmp_status st = alloc_pairs(t, np, err);
    if (st == LMP_OK)
        for (size_t i = 0; i < np; i++) {
            if (i + PIPE < np) {
                const merge_pair *q = &pairs[i + PIPE];
                uint64_t key = ((uint64_t)(uint32_t)q->a << 32 | (uint32_t)q->b) + 1;
                tok_prefetch(&t->pslot[(size_t)tok_pair_hash(key) & t->pmask]);
            }
            pair_insert(t, pairs[i].a, pairs[i].b, pairs[i].rank, pairs[i].r);
        }
    mem_block_free(pairs);
    return st;
}

/* ---- added tokens, and tokens that BPE does not give back ------------------------------- */

/* One added token as a file lists it: its content (raw UTF-8, not the byte alphabet) and flags. */
typedef struct added_spec {
    int64_t id;
    const char *content;
    size_t len;
    int special, normalized;
    size_t pos; /* in the file, for messages */
} added_spec;

/* The added tokens (ids already in the vocabulary), their per-id flags, their tries and the stream's
 * lookahead. */
static lmp_status set_added(lmp_tokenizer *t, const added_spec *spec, size_t na, lmp_error *err)
{
    size_t nodes = 1; /* node 0: none */
    for (size_t k = 0; k < na; k++) nodes += t->off[spec[k].id + 1] - t->off[spec[k].id];
    if (nodes > UINT32_MAX) return lmp_error_set(err, LMP_ERANGE, "added tokens: %zu bytes in all: too many", nodes);
    size_t f_at = align8(na * sizeof *t->added), n_at = align8(f_at + t->n + 1);
    t->extra = malloc(n_at + nodes * sizeof *t->trie);
    if (!t->extra) return lmp_error_set(err, LMP_ENOMEM, "out of memory");
    t->added = (tok_added *)t->extra;
    t->tflags = (unsigned char *)t->extra + f_at;
    t->trie = (tok_trie_node *)((char *)t->extra + n_at);
    memset(t->tflags, 0, t->n + 1);
    memset(t->trie_root, 0, sizeof t->trie_root);
    memset(t->pass_has, 0, sizeof t->pass_has);
    t->trie[0] = (tok_trie_node){0, 0, -1, 0};
    uint32_t used = 1;
    int firsts[2] = {-1, -1}; /* the pass's one first byte so far, -2 once there are two */
    t->n_added = na;
    t->added_max = 0;
    t->added_ws = 0;
    for (size_t k = 0; k < na; k++) {
        lmp_token_id id = (lmp_token_id)spec[k].id;
        uint32_t len = t->off[id + 1] - t->off[id];
        const unsigned char *b = t->bytes + t->off[id];
        int pass = spec[k].normalized != 0;
        t->added[k] = (tok_added){id, len, (unsigned char)spec[k].special, (unsigned char)pass};
        t->tflags[id] |= TOK_F_ADDED;
        if (len > t->added_max) t->added_max = len;
        t->pass_has[pass][1] = 1;
        if (!spec[k].special) t->pass_has[pass][0] = 1;
        firsts[pass] = firsts[pass] == -1 || firsts[pass] == b[0] ? b[0] : -2;
        /* the bytes into the pass's trie; the last node names the token */
        uint32_t *link = &t->trie_root[pass][b[0]], node = 0;
        for (uint32_t i = 0; i < len; i++) {
            uint32_t c = *link;
            while (c && t->trie[c].byte != b[i]) c = t->trie[c].sibling;
            if (!c) {
                c = used++;
                t->trie[c] = (tok_trie_node){0, *link, -1, b[i]};
                *link = c;
            }
            node = c;
            link = &t->trie[c].child;
        }
        t->trie[node].added = (int32_t)k;
        for (uint32_t i = 0; i < len; i++)
            if (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') t->added_ws = 1;
    }
    for (int pass = 0; pass < 2; pass++) {
        t->trie_one_first[pass] = firsts[pass] >= 0;
        t->trie_first[pass] = (unsigned char)(firsts[pass] >= 0 ? firsts[pass] : 0);
    }
    /* A piece's extent depends on at most the two characters after it (8 bytes); an added token that
     * could end its segment starts within those and is whole added_max bytes later. GPT-2: 24. */
    t->lookahead = 8 + 3 + (t->added_max > 13 ? t->added_max : 13);
    return LMP_OK;
}

/* The added tokens whose ids are past the vocabulary's entries into the builder (their bytes their text). */
static lmp_status add_past_vocab(builder *b, const added_spec *spec, size_t na, size_t nv, const char *path,
                                 lmp_error *err)
{
    for (size_t k = 0; k < na; k++)
        if ((size_t)spec[k].id >= nv &&
            builder_add(b, spec[k].id, (const unsigned char *)spec[k].content, spec[k].len, spec[k].pos))
            return lmp_error_set(err, LMP_ENOMEM, "out of memory reading %s", path);
    return LMP_OK;
}

/* Marks the tokens whose bytes BPE does not turn back into the token (merges files: a piece equal to
 * one is then merged, not taken whole). None of GPT-2's 50,256; a vocabulary trained elsewhere may
 * have some, when a lower-ranked merge inside the token wins first. It takes about 8 ms for GPT-2, a
 * third of a command's start (26 ms against 18), so GPT-2's own merges skip it: whether BPE gives a
 * token back depends on the merges alone (a token's bytes start BPE as the ids of its merge tree's
 * leaves, then only ranks decide), which the fingerprint names; tests/test_tokenizer.c runs the check
 * on GPT-2's and finds none, and checks that its three files take this path. */
#define GPT2_MERGES_FP 0xaee69f4a8b945e6bull /* GPT-2's 50,000 merges (vocab.bpe, merges.txt, tokenizer.json) */

lmp_status tok_check_self(lmp_tokenizer *t, lmp_error *err)
{
    t->self_checked = 1;
    tok_scratch scr = {0};
    lmp_token_id small[64], two[2];
    for (size_t id = 0; id < t->n; id++) {
        size_t len = t->off[id + 1] - t->off[id];
        if (len < 2 || (t->tflags[id] & TOK_F_ADDED)) continue;
        const unsigned char *s = t->bytes + t->off[id];
        int self;
        if (len <= 64) {
            size_t k = tok_bpe_small(t, s, len, small);
            self = k == 1 && small[0] == (lmp_token_id)id;
        } else {
            tok_sink sink = {two, 2, 0, NULL, 0};
            if (tok_bpe(t, s, len, &sink, &scr)) {
                tok_scratch_free(&scr);
                return lmp_error_set(err, LMP_ENOMEM, "out of memory");
            }
            self = sink.n == 1 && two[0] == (lmp_token_id)id;
        }
        if (!self) t->tflags[id] |= TOK_F_NOT_SELF;
    }
    tok_scratch_free(&scr);
    return LMP_OK;
}

static lmp_status check_self_unless_gpt2(lmp_tokenizer *t, lmp_error *err)
{
    return t->merges_fp == GPT2_MERGES_FP ? LMP_OK : tok_check_self(t, err);
}

/* ---- Hugging Face's tokenizer.json ----------------------------------------------------- *
 * The file AutoTokenizer reads: model (BPE: vocab, merges), added_tokens, and the pipeline around
 * them. lmprob implements GPT-2's pipeline, so every part of it is checked to be GPT-2's: no
 * normalizer, the ByteLevel pre-tokenizer with GPT-2's pattern and no prefix space, no dropout, no
 * subword prefix or suffix, no byte fallback, a post-processor and decoder that add nothing. A file
 * for another pipeline (Llama 3's, Qwen's, BERT's) is refused naming the part, not encoded wrongly. */

static lmp_status hf_error(lmp_error *err, const text_file *f, const lmp_json_value *v, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static lmp_status hf_error(lmp_error *err, const text_file *f, const lmp_json_value *v, const char *fmt, ...)
{
    char m[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    return fmt_error(err, f, v ? v->offset : 0, m);
}

static int json_null(const lmp_json_value *v) { return !v || v->type == LMP_JSON_NULL; }

/* A JSON boolean member, `dflt` when absent or null; -1 when it is something else. */
static int json_flag(const lmp_json_value *obj, const char *key, int dflt)
{
    const lmp_json_value *v = lmp_json_get(obj, key);
    if (json_null(v)) return dflt;
    return v->type == LMP_JSON_BOOL ? v->boolean : -1;
}

static const char *json_type_of(const lmp_json_value *v)
{
    const lmp_json_value *ty = lmp_json_get(v, "type");
    return ty && ty->type == LMP_JSON_STRING ? ty->str : "(no type)";
}

/* A pipeline part that must be absent, null, or of type `ok` (NULL: must be absent or null). */
static lmp_status hf_part(const text_file *f, const lmp_json_value *root, const char *key, const char *ok,
                          const char *why, lmp_error *err)
{
    const lmp_json_value *v = lmp_json_get(root, key);
    if (json_null(v)) return LMP_OK;
    if (v->type != LMP_JSON_OBJECT) return hf_error(err, f, v, "%s: expected an object or null", key);
    if (ok && strcmp(json_type_of(v), ok) == 0) return LMP_OK;
    return hf_error(err, f, v, "%s is %s: %s", key, json_type_of(v), why);
}

static lmp_status hf_pipeline(const text_file *f, const lmp_json_value *root, const lmp_json_value *model,
                              int *ignore_merges, lmp_error *err)
{
    lmp_status st;
    const char *gpt2 = "lmprob implements GPT-2's byte-level BPE pipeline only";
    char why[200];
    if ((st = hf_part(f, root, "normalizer", NULL, "expected null (GPT-2 normalizes nothing)", err))) return st;
    snprintf(why, sizeof why, "expected ByteLevel (%s)", gpt2);
    if ((st = hf_part(f, root, "pre_tokenizer", "ByteLevel", why, err))) return st;
    const lmp_json_value *pre = lmp_json_get(root, "pre_tokenizer");
    if (json_null(pre)) return hf_error(err, f, pre, "pre_tokenizer is null: expected ByteLevel (%s)", gpt2);
    if (json_flag(pre, "add_prefix_space", 0) != 0)
        return hf_error(err, f, pre, "pre_tokenizer.add_prefix_space is not false: GPT-2 adds no space before "
                                     "the text (expected false)");
    if (json_flag(pre, "use_regex", 1) != 1)
        return hf_error(err, f, pre, "pre_tokenizer.use_regex is not true: expected GPT-2's pattern (true)");
    if ((st = hf_part(f, root, "post_processor", "ByteLevel",
                      "expected ByteLevel or null: this one adds tokens around every text, which lmprob does not",
                      err)))
        return st;
    if ((st = hf_part(f, root, "decoder", "ByteLevel", "expected ByteLevel or null (GPT-2's byte-level decoding)",
                      err)))
        return st;
    if (model->type != LMP_JSON_OBJECT) return hf_error(err, f, model, "model: expected an object");
    const lmp_json_value *ty = lmp_json_get(model, "type");
    if (ty && (ty->type != LMP_JSON_STRING || strcmp(ty->str, "BPE") != 0))
        return hf_error(err, f, ty, "model.type is %s: expected BPE (%s)",
                        ty->type == LMP_JSON_STRING ? ty->str : "not a string", gpt2);
    if (!json_null(lmp_json_get(model, "dropout")))
        return hf_error(err, f, lmp_json_get(model, "dropout"),
                        "model.dropout is set: BPE dropout splits text at random; expected null");
    static const char *const affix[2] = {"continuing_subword_prefix", "end_of_word_suffix"};
    for (int k = 0; k < 2; k++) {
        const lmp_json_value *v = lmp_json_get(model, affix[k]);
        if (!json_null(v) && (v->type != LMP_JSON_STRING || v->len != 0))
            return hf_error(err, f, v, "model.%s is set: expected \"\" or null (%s)", affix[k], gpt2);
    }
    if (json_flag(model, "byte_fallback", 0) != 0)
        return hf_error(err, f, lmp_json_get(model, "byte_fallback"),
                        "model.byte_fallback is not false: expected false (byte-level BPE has every byte)");
    *ignore_merges = json_flag(model, "ignore_merges", 0);
    if (*ignore_merges < 0)
        return hf_error(err, f, lmp_json_get(model, "ignore_merges"), "model.ignore_merges: expected true or false");
    return LMP_OK;
}

/* An integer id in 0..INT32_MAX, or -1. */
static int64_t json_id(const lmp_json_value *v)
{
    if (!v || v->type != LMP_JSON_NUMBER || !(v->num >= 0 && v->num <= INT32_MAX) || v->num != (double)(int64_t)v->num)
        return -1;
    return (int64_t)v->num;
}

/* model.vocab into the builder; the added tokens the vocabulary lacks after it, their bytes their text. */
static lmp_status hf_vocab(const text_file *f, const lmp_json_value *model, const int16_t byte_of[0x144],
                           const added_spec *spec, size_t na, builder *b, lmp_error *err)
{
    const lmp_json_value *vocab = lmp_json_get(model, "vocab");
    if (!vocab || vocab->type != LMP_JSON_OBJECT)
        return hf_error(err, f, vocab ? vocab : model, "model.vocab: expected an object {\"token\": id, ...}");
    if (vocab->n == 0) return hf_error(err, f, vocab, "model.vocab is empty");
    unsigned char tok[1024];
    char v[200];
    for (size_t i = 0; i < vocab->n; i++) {
        const char *name = vocab->keys[i];
        size_t nl = strlen(name);
        long n = nl <= sizeof tok ? name_to_bytes(byte_of, name, nl, tok) : -1;
        if (n <= 0)
            return hf_error(err, f, &vocab->items[i], "token %s: %s", show(v, sizeof v, name, nl),
                            nl > sizeof tok ? "longer than 1024 bytes"
                            : nl == 0       ? "empty"
                                            : "has a character outside GPT-2's byte alphabet (expected the "
                                              "byte-level names of vocab.json, \" the\" as \"\\u0120the\")");
        int64_t id = json_id(&vocab->items[i]);
        if (id < 0)
            return hf_error(err, f, &vocab->items[i], "token %s: expected an id (an integer from 0 to 2147483647)",
                            show(v, sizeof v, name, nl));
        if (builder_add(b, id, tok, (size_t)n, vocab->items[i].offset))
            return lmp_error_set(err, LMP_ENOMEM, "out of memory reading %s", f->path);
    }
    return add_past_vocab(b, spec, na, b->n, f->path, err);
}

/* added_tokens: [{"id", "content", "special", "normalized", "lstrip", "rstrip", "single_word"}, ...]. */
static lmp_status hf_added(const text_file *f, const lmp_json_value *root, added_spec **out, size_t *na,
                           lmp_error *err)
{
    *out = NULL;
    *na = 0;
    const lmp_json_value *arr = lmp_json_get(root, "added_tokens");
    if (json_null(arr)) return LMP_OK;
    if (arr->type != LMP_JSON_ARRAY) return hf_error(err, f, arr, "added_tokens: expected an array");
    if (arr->n == 0) return LMP_OK;
    added_spec *spec = calloc(arr->n, sizeof *spec);
    if (!spec) return lmp_error_set(err, LMP_ENOMEM, "out of memory");
    char v[200];
    for (size_t k = 0; k < arr->n; k++) {
        const lmp_json_value *a = &arr->items[k], *c = lmp_json_get(a, "content");
        lmp_status st = LMP_OK;
        if (a->type != LMP_JSON_OBJECT) {
            st = hf_error(err, f, a, "added_tokens[%zu]: expected an object", k);
        } else if (!c || c->type != LMP_JSON_STRING || c->len == 0 || c->len > 1024) {
            st = hf_error(err, f, a, "added_tokens[%zu]: expected \"content\", a string of 1 to 1024 bytes", k);
        } else if ((spec[k].id = json_id(lmp_json_get(a, "id"))) < 0) {
            st = hf_error(err, f, a, "added token %s: expected an \"id\" (an integer from 0 to 2147483647)",
                          show(v, sizeof v, c->str, c->len));
        } else {
            spec[k].content = c->str;
            spec[k].len = c->len;
            spec[k].pos = a->offset;
            spec[k].special = json_flag(a, "special", 0);
            spec[k].normalized = json_flag(a, "normalized", !spec[k].special);
            static const char *const unsupported[3] = {"lstrip", "rstrip", "single_word"};
            for (int u = 0; u < 3 && !st; u++)
                if (json_flag(a, unsupported[u], 0) != 0)
                    st = hf_error(err, f, a, "added token %s: \"%s\" is not false: lmprob matches added tokens "
                                             "as they are written (expected false)",
                                  show(v, sizeof v, c->str, c->len), unsupported[u]);
            if (!st && (spec[k].special < 0 || spec[k].normalized < 0))
                st = hf_error(err, f, a, "added token %s: \"special\" and \"normalized\" must be true or false",
                              show(v, sizeof v, c->str, c->len));
            for (size_t j = 0; j < k && !st; j++)
                if (spec[j].id == spec[k].id)
                    st = hf_error(err, f, a, "added token %s: id %lld is already added_tokens[%zu]'s",
                                  show(v, sizeof v, c->str, c->len), (long long)spec[k].id, j);
        }
        if (st) {
            free(spec);
            return st;
        }
    }
    *out = spec;
    *na = arr->n;
    return LMP_OK;
}

/* An added token whose id the vocabulary has: its text must be that token's bytes. */
static lmp_status hf_check_added(const lmp_tokenizer *t, const text_file *f, const added_spec *spec, size_t na,
                                 lmp_error *err)
{
    char v1[200], v2[200], m[500];
    for (size_t k = 0; k < na; k++) {
        lmp_token_id id = (lmp_token_id)spec[k].id;
        size_t n = t->off[id + 1] - t->off[id];
        if (n == spec[k].len && memcmp(t->bytes + t->off[id], spec[k].content, n) == 0) continue;
        const char *nm = t->names + t->name_off[id];
        snprintf(m, sizeof m, "added token %s has id %d, which the vocabulary gives to %s",
                 show(v1, sizeof v1, spec[k].content, spec[k].len), (int)id, show(v2, sizeof v2, nm, strlen(nm)));
        return fmt_error(err, f, spec[k].pos, m);
    }
    return LMP_OK;
}

static lmp_status hf_merges(lmp_tokenizer *t, const text_file *f, const lmp_json_value *model, lmp_error *err)
{
    const lmp_json_value *arr = lmp_json_get(model, "merges");
    if (!arr || arr->type != LMP_JSON_ARRAY)
        return hf_error(err, f, arr ? arr : model, "model.merges: expected an array of \"A B\" or [\"A\", \"B\"]");
    merge_state ms;
    lmp_status st = merge_begin(&ms, t, f, err);
    char v[200];
    for (size_t k = 0; k < arr->n && !st; k++) {
        const lmp_json_value *it = &arr->items[k];
        const char *a = NULL, *b = NULL;
        size_t la = 0, lb = 0;
        if (it->type == LMP_JSON_STRING) { /* "A B": byte-level names hold no space */
            const char *sp = memchr(it->str, ' ', it->len);
            size_t rest = sp ? it->len - (size_t)(sp + 1 - it->str) : 0;
            if (sp && sp != it->str && rest > 0 && !memchr(sp + 1, ' ', rest)) {
                a = it->str;
                la = (size_t)(sp - it->str);
                b = sp + 1;
                lb = it->len - la - 1;
            }
        } else if (it->type == LMP_JSON_ARRAY && it->n == 2 && it->items[0].type == LMP_JSON_STRING &&
                   it->items[1].type == LMP_JSON_STRING && it->items[0].len && it->items[1].len) {
            a = it->items[0].str;
            la = it->items[0].len;
            b = it->items[1].str;
            lb = it->items[1].len;
        }
        if (!a || la + lb >= MERGE_LINE_MAX) {
            if (!(st = merge_drain(&ms, err)))
                st = hf_error(err, f, it, "model.merges[%zu]: expected \"A B\" or [\"A\", \"B\"], two tokens, got %s",
                              k,
                              it->type == LMP_JSON_STRING ? show(v, sizeof v, it->str, it->len) : "another value");
            break;
        }
        st = merge_feed(&ms, a, la, b, lb, 0, it->offset, err);
    }
    return merge_end(&ms, st, err);
}

static lmp_status load_hf_json(lmp_tokenizer *t, const text_file *vf, builder *b, const uint16_t cp_of[256],
                               lmp_error *err)
{
    lmp_json_value *root = NULL;
    added_spec *spec = NULL;
    size_t na = 0;
    int ignore_merges = 0;
    lmp_status st = lmp_json_parse(vf->data, vf->len, vf->path, &root, err);
    if (st) return st;
    const lmp_json_value *model = lmp_json_get(root, "model");
    if (root->type != LMP_JSON_OBJECT || !model)
        st = hf_error(err, vf, root, "expected a Hugging Face tokenizer.json (an object with \"model\")");
    if (!st) st = hf_pipeline(vf, root, model, &ignore_merges, err);
    if (!st) st = hf_added(vf, root, &spec, &na, err);
    if (!st) st = hf_vocab(vf, model, t->byte_of_cp, spec, na, b, err);
    if (!st) st = order_by_id(b, vf, err);
    if (!st) st = build_vocab(t, b, cp_of, vf, err);
    if (!st) st = hf_check_added(t, vf, spec, na, err);
    if (!st) st = set_added(t, spec, na, err);
    if (!st) st = hf_merges(t, vf, model, err);
    /* ignore_merges (Llama 3's BPE): a piece that is a token is that token, as the lookup does */
    if (!st && !ignore_merges) st = check_self_unless_gpt2(t, err);
    free(spec);
    lmp_json_free(root);
    return st;
}

/* OpenAI's files and rank files: "<|endoftext|>", when the vocabulary has it, is the one added token. */
static lmp_status set_eot_added(lmp_tokenizer *t, lmp_error *err)
{
    added_spec eot = {t->eot, SPECIAL_EOT, sizeof SPECIAL_EOT - 1, 1, 0, 0};
    return set_added(t, &eot, t->eot == LMP_TOKEN_NONE ? 0 : 1, err);
}

/* ---- a slow tokenizer's added tokens: added_tokens.json ------------------------------------------------ *
 * save_pretrained of a slow tokenizer (use_fast=False, or transformers before 4.0) writes no tokenizer.json:
 * a fine-tune's added tokens are in added_tokens.json ({"[PAD]": 50257, ...}) beside vocab.json + merges.txt,
 * and which of them are special in special_tokens_map.json (values a string, {"content": ...}, or a list of
 * those). AutoTokenizer makes a fast tokenizer of them (special ones not normalized, the others normalized),
 * which is what is read here. */

static int exists(const char *p);

/* The files' names live here, with the files: their messages name them after legacy_read returned
 * (hf_check_added), which read them from legacy_read's stack while the names were its locals. */
typedef struct legacy_added {
    text_file af, sf;
    lmp_json_value *added, *special;
    char apath[4200], spath[4200];
} legacy_added;

static void legacy_free(legacy_added *L)
{
    lmp_json_free(L->added);
    lmp_json_free(L->special);
    close_file(&L->af);
    close_file(&L->sf);
}

/* Is `content` a value of special_tokens_map.json (a string, {"content": ...}, or a list of those)? */
static int legacy_is_special(const lmp_json_value *v, const char *content, size_t len)
{
    if (!v) return 0;
    if (v->type == LMP_JSON_STRING) return v->len == len && memcmp(v->str, content, len) == 0;
    if (v->type == LMP_JSON_OBJECT) return legacy_is_special(lmp_json_get(v, "content"), content, len);
    if (v->type == LMP_JSON_ARRAY)
        for (size_t i = 0; i < v->n; i++)
            if (legacy_is_special(&v->items[i], content, len)) return 1;
    return 0;
}

/* added_tokens.json in folder dir (vpath's), when there is one: its tokens into spec (*na of them; NULL,
 * 0 without the file). */
static lmp_status legacy_read(const char *vpath, legacy_added *L, added_spec **spec, size_t *na, lmp_error *err)
{
    const char *slash = strrchr(vpath, '/');
    int dl = slash ? (int)(slash - vpath + 1) : 0;
    *spec = NULL;
    *na = 0;
    memset(L, 0, sizeof *L);
    char *ap = L->apath, *sp = L->spath;
    snprintf(ap, sizeof L->apath, "%.*sadded_tokens.json", dl, vpath);
    snprintf(sp, sizeof L->spath, "%.*sspecial_tokens_map.json", dl, vpath);
    if (!exists(ap)) return LMP_OK;
    lmp_status st = read_file(ap, &L->af, err);
    if (!st) st = lmp_json_parse(L->af.data, L->af.len, ap, &L->added, err);
    if (!st && L->added->type != LMP_JSON_OBJECT)
        st = hf_error(err, &L->af, L->added, "expected an object {\"token\": id, ...}");
    if (!st && exists(sp)) {
        st = read_file(sp, &L->sf, err);
        if (!st) st = lmp_json_parse(L->sf.data, L->sf.len, sp, &L->special, err);
    }
    if (st || L->added->n == 0) return st;
    added_spec *s = calloc(L->added->n, sizeof *s);
    if (!s) return lmp_error_set(err, LMP_ENOMEM, "out of memory");
    char v[200];
    for (size_t k = 0; k < L->added->n; k++) {
        const char *c = L->added->keys[k];
        size_t cl = strlen(c);
        if (cl == 0 || cl > 1024 || (s[k].id = json_id(&L->added->items[k])) < 0) {
            free(s);
            return hf_error(err, &L->af, &L->added->items[k],
                            "added token %s: expected text of 1 to 1024 bytes and an id (an integer from 0 to 2147483647)",
                            show(v, sizeof v, c, cl));
        }
        for (size_t j = 0; j < k; j++)
            if (s[j].id == s[k].id) {
                long long id = (long long)s[k].id;
                free(s);
                return hf_error(err, &L->af, &L->added->items[k], "added token %s: id %lld is also %s's",
                                show(v, sizeof v, c, cl), id, L->added->keys[j]);
            }
        s[k].content = c;
        s[k].len = cl;
        for (size_t j = 0; L->special && L->special->type == LMP_JSON_OBJECT && j < L->special->n; j++)
            s[k].special |= legacy_is_special(&L->special->items[j], c, cl); /* each entry of the map */
        s[k].normalized = !s[k].special;
        s[k].pos = L->added->items[k].offset;
    }
    *spec = s;
    *na = L->added->n;
    return LMP_OK;
}

/* <|endoftext|> (when the vocabulary has it and added_tokens.json does not list it) and the file's tokens. */
static lmp_status set_legacy_added(lmp_tokenizer *t, const added_spec *spec, size_t na, lmp_error *err)
{
    if (na == 0) return set_eot_added(t, err);
    added_spec *all = malloc((na + 1) * sizeof *all);
    if (!all) return lmp_error_set(err, LMP_ENOMEM, "out of memory");
    size_t n = 0;
    int listed = 0;
    for (size_t k = 0; k < na; k++) listed |= spec[k].id == t->eot;
    if (t->eot != LMP_TOKEN_NONE && !listed) all[n++] = (added_spec){t->eot, SPECIAL_EOT, sizeof SPECIAL_EOT - 1, 1, 0, 0};
    memcpy(all + n, spec, na * sizeof *spec);
    lmp_status st = set_added(t, all, n + na, err);
    free(all);
    return st;
}

/* ---- the public entry points ------------------------------------------------------ */

void lmp_tokenizer_free(lmp_tokenizer *t)
{
    if (!t) return;
    mem_block_free(t->block);
    mem_block_free(t->pair_block);
    free(t->extra);
    free(t->path);
    free(t);
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

lmp_status lmp_tokenizer_load(const char *path, lmp_tokenizer **out, lmp_error *err)
{
    if (!out) return lmp_error_set(err, LMP_EINVAL, "lmp_tokenizer_load: out is NULL");
    *out = NULL;
    if (!path || !*path) return lmp_error_set(err, LMP_EINVAL, "lmp_tokenizer_load: no path");
    char vpath[4096], mpath[4096];
    int ranks = 0, hf = 0;
    if (is_dir(path)) {
        /* tokenizer.json first: it is what Hugging Face's AutoTokenizer reads, added tokens included
         * (vocab.json + merges.txt beside it have the model's vocabulary only). encoder.json is the
         * longest of the other names: when it fits, they do. */
        lmp_status jst;
        if ((jst = lmp_path_join(vpath, sizeof vpath, path, "tokenizer.json", err))) return jst;
        if (exists(vpath)) {
            hf = 1;
        } else if ((jst = lmp_path_join(vpath, sizeof vpath, path, "encoder.json", err)) ||
                   (jst = lmp_path_join(mpath, sizeof mpath, path, "vocab.bpe", err))) {
            return jst;
        }
        if (!hf && !exists(vpath) && !exists(mpath)) {
            lmp_path_join(vpath, sizeof vpath, path, "vocab.json", NULL);
            lmp_path_join(mpath, sizeof mpath, path, "merges.txt", NULL);
            if (!exists(vpath) && !exists(mpath))
                return lmp_error_set_at(err, LMP_EIO, path, 0,
                                        "no GPT-2 vocabulary here: expected tokenizer.json, encoder.json + vocab.bpe, "
                                        "or vocab.json + merges.txt");
        }
        /* Half a pair is a broken vocabulary, not none: said so, naming the file that is missing (a caller
         * that falls back to a default when a folder has none must not take this one for none). */
        if (!hf && (!exists(vpath) || !exists(mpath)))
            return lmp_error_set_at(err, LMP_EIO, path, 0, "%s without %s: expected both (GPT-2's vocabulary and merges)",
                                    base_name(exists(vpath) ? vpath : mpath), base_name(exists(vpath) ? mpath : vpath));
    } else if (!exists(path)) {
        return lmp_error_set_at(err, LMP_EIO, path, 0, "cannot open: %s", strerror(errno));
    } else {
        const char *bn = base_name(path);
        int dl = (int)(bn - path);
        size_t bl = strlen(bn);
        snprintf(vpath, sizeof vpath, "%s", path);
        if (strcmp(bn, "encoder.json") == 0 || strcmp(bn, "vocab.json") == 0)
            snprintf(mpath, sizeof mpath, "%.*s%s", dl, path, strcmp(bn, "encoder.json") == 0 ? "vocab.bpe" : "merges.txt");
        else if (bl >= 5 && strcmp(bn + bl - 5, ".json") == 0)
            hf = 1; /* tokenizer.json, under any name */
        else
            ranks = 1;
    }

    uint16_t cp_of[256];
    lmp_tokenizer *t = calloc(1, sizeof *t);
    builder b;
    memset(&b, 0, sizeof b);
    text_file vf = {0}, mf = {0};
    if (!t) return lmp_error_set(err, LMP_ENOMEM, "out of memory");
    alphabet_init(cp_of, t->byte_of_cp);
    t->eot = LMP_TOKEN_NONE;
    lmp_status st = read_file(vpath, &vf, err);
    if (st) goto fail;
    /* About 20 bytes of encoder.json per token (50,257 in 1,042,301 bytes), 9 of a rank file. */
    if (builder_init(&b, vf.len, vf.len / (ranks ? 8 : 16) + 16)) {
        st = lmp_error_set(err, LMP_ENOMEM, "out of memory reading %s", vpath);
        goto fail;
    }
    if (hf) {
        if ((st = load_hf_json(t, &vf, &b, cp_of, err))) goto fail;
    } else if (ranks) {
        if ((st = check_rank_count(&vf, err))) goto fail;
        if ((st = parse_rank_file(&vf, &b, err))) goto fail;
        if ((st = build_vocab(t, &b, cp_of, &vf, err))) goto fail;
        if ((st = set_eot_added(t, err))) goto fail;
        if ((st = rank_pairs(t, err))) goto fail;
    } else {
        legacy_added L = {0}; /* freed below also when merges.txt could not be read, before legacy_read */
        added_spec *spec = NULL;
        size_t na = 0;
        st = read_file(mpath, &mf, err);
        if (!st) st = legacy_read(vpath, &L, &spec, &na, err);
        if (!st) st = parse_json_vocab(&vf, t->byte_of_cp, &b, err);
        if (!st) st = add_past_vocab(&b, spec, na, b.n, vpath, err);
        if (!st) st = order_by_id(&b, &vf, err);
        if (!st) st = build_vocab(t, &b, cp_of, &vf, err);
        if (!st) st = hf_check_added(t, &L.af, spec, na, err);
        if (!st) st = set_legacy_added(t, spec, na, err);
        if (!st) st = parse_merges(t, &mf, err);
        if (!st) st = check_self_unless_gpt2(t, err);
        free(spec);
        legacy_free(&L);
        if (st) goto fail;
    }
    builder_free(&b);
    close_file(&vf);
    close_file(&mf);
    if (!(t->path = strdup(vpath))) {
        lmp_tokenizer_free(t);
        return lmp_error_set(err, LMP_ENOMEM, "out of memory");
    }
    *out = t;
    return LMP_OK;
fail:
    builder_free(&b);
    close_file(&vf);
    close_file(&mf);
    lmp_tokenizer_free(t);
    return st;
}

size_t lmp_tokenizer_vocab_size(const lmp_tokenizer *t) { return t ? t->n : 0; }

lmp_token_id lmp_tokenizer_eot(const lmp_tokenizer *t) { return t ? t->eot : LMP_TOKEN_NONE; }

const char *lmp_tokenizer_path(const lmp_tokenizer *t) { return t ? t->path : NULL; }

size_t lmp_tokenizer_added_count(const lmp_tokenizer *t) { return t ? t->n_added : 0; }

lmp_token_id lmp_tokenizer_added(const lmp_tokenizer *t, size_t k, int *special)
{
    if (special) *special = 0;
    if (!t || k >= t->n_added) return LMP_TOKEN_NONE;
    if (special) *special = t->added[k].special;
    return t->added[k].id;
}

const char *lmp_tokenizer_unicode_version(void) { return tok_unicode_version; }

const char *lmp_tokenizer_token_bytes(const lmp_tokenizer *t, lmp_token_id id, size_t *len)
{
    if (!t || id < 0 || (size_t)id >= t->n) {
        if (len) *len = 0;
        return NULL;
    }
    if (len) *len = t->off[id + 1] - t->off[id];
    return (const char *)t->bytes + t->off[id];
}

const char *lmp_tokenizer_token_name(const lmp_tokenizer *t, lmp_token_id id, size_t *len)
{
    if (!t || id < 0 || (size_t)id >= t->n) {
        if (len) *len = 0;
        return NULL;
    }
    if (len) *len = t->name_off[id + 1] - t->name_off[id] - 1;
    return t->names + t->name_off[id];
}

lmp_token_id lmp_tokenizer_find_bytes(const lmp_tokenizer *t, const void *bytes, size_t len)
{
    if (!t || !bytes || len == 0) return LMP_TOKEN_NONE;
    return tok_find(t, bytes, len);
}

lmp_token_id lmp_tokenizer_find_name(const lmp_tokenizer *t, const char *name, size_t len)
{
    if (!t || !name || len == 0 || len > 2048) return LMP_TOKEN_NONE;
    unsigned char buf[2048];
    long n = name_to_bytes(t->byte_of_cp, name, len, buf);
    return n < 0 ? LMP_TOKEN_NONE : tok_find(t, buf, (size_t)n);
}
