/* Strict recursive-descent JSON reader (RFC 8259); see include/lmprob/json.h.
 * Errors carry line and column. Memory is bounded by the input: every value
 * takes at least one byte of text.
 *
 * The tree lives in an arena owned by its root: strings, and each container's
 * items and keys at their exact count, are cut from a few large blocks, freed
 * together by lmp_json_free. A container's items are gathered on one stack the
 * parser reuses (a nested container's items above its parent's) and copied to
 * the arena when it closes. One small allocation per value, as before, cost
 * 2,500 page faults and 100,000 mallocs for GPT-2's tokenizer.json (2.1 MB):
 * blocks of a megabyte or more are asked for in transparent huge pages
 * (mem_hugepages), a few faults in all. Under AddressSanitizer each piece is
 * followed by a poisoned gap, so reading past a string or an items array is
 * still reported, as it was for separate allocations. */
#include "lmprob/json.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bigmem.h"
#include "cnum.h"

#if defined(__SANITIZE_ADDRESS__)
#define JSON_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JSON_ASAN 1
#endif
#endif
#ifdef JSON_ASAN
#include <sanitizer/asan_interface.h>
#define ARENA_GAP 16 /* poisoned bytes after every piece (two shadow granules) */
#else
#define ASAN_POISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#define ARENA_GAP 0
#endif

typedef struct arena_block {
    struct arena_block *next;
    size_t cap, used; /* bytes of data[] */
    _Alignas(16) unsigned char data[];
} arena_block;

/* What lmp_json_parse returns: the root first, so that its address is the tree's. */
typedef struct json_tree {
    lmp_json_value root;
    arena_block *blocks; /* the newest first */
} json_tree;

typedef struct parser {
    const char *text, *s, *end;
    const char *line_start;
    long line;
    const char *what;      /* first failure, NULL while none */
    long fail_line, fail_col;
    int nomem;
    int depth;
    json_tree *tree;
    size_t next_block;     /* the size of the next block (doubles) */
    struct slot { lmp_json_value v; char *key; } *stk; /* the open containers' items and keys */
    size_t sn, scap;
    char whatbuf[256];     /* a message that names a value (what points here) */
} parser;

static void fail(parser *p, const char *what)
{
    if (p->what) return;
    p->what = what;
    p->fail_line = p->line;
    p->fail_col = (long)(p->s - p->line_start) + 1;
}

static void arena_free(arena_block *b)
{
    while (b) {
        arena_block *next = b->next;
        ASAN_UNPOISON_MEMORY_REGION(b->data, b->cap);
        free(b);
        b = next;
    }
}

/* The arena bytes a piece of n bytes takes: its gap, and up to the next 16-byte boundary
 * (at least 16; 0 when that overflows). */
static size_t piece_bytes(size_t n)
{
    if (n == 0) n = 1;
    return n <= SIZE_MAX - ARENA_GAP - 15 - sizeof(arena_block) ? (n + ARENA_GAP + 15) & ~(size_t)15 : 0;
}

/* n bytes, 16-aligned, from the tree's arena; NULL (and the parse failed) without memory. */
static void *arena_alloc(parser *p, size_t n)
{
    size_t need = piece_bytes(n);
    if (!need) goto nomem;
    arena_block *b = p->tree->blocks;
    if (!b || b->cap - b->used < need) {
        size_t cap = p->next_block;
        if (cap < need) cap = need;
        if (cap > SIZE_MAX - sizeof *b) cap = need;
        b = malloc(sizeof *b + cap);
        if (!b && cap > need) b = malloc(sizeof *b + (cap = need)); /* under a memory limit: what this piece needs */
        if (!b) goto nomem;
        mem_hugepages(b, sizeof *b + cap);
        b->cap = cap;
        b->used = 0;
        b->next = p->tree->blocks;
        p->tree->blocks = b;
        ASAN_POISON_MEMORY_REGION(b->data, cap);
        if (p->next_block <= SIZE_MAX / 4) p->next_block *= 2;
    }
    void *q = b->data + b->used;
    b->used += need;
    ASAN_UNPOISON_MEMORY_REGION(q, n);
    return q;
nomem:
    p->nomem = 1;
    fail(p, "out of memory");
    return NULL;
}

/* Gives back the end of the newest piece, q of `had` bytes, keeping n (the string
 * turned out shorter than its bound). */
static void arena_shrink(parser *p, void *q, size_t had, size_t n)
{
    arena_block *b = p->tree->blocks;
    size_t old = piece_bytes(had), now = piece_bytes(n);
    if ((unsigned char *)q + old != b->data + b->used) return;
    ASAN_POISON_MEMORY_REGION((unsigned char *)q + n, had - n);
    b->used -= old - now;
}

static void skip_ws(parser *p)
{
    while (p->s < p->end) {
        char c = *p->s;
        if (c == '\n') {
            p->line++;
            p->line_start = p->s + 1;
        } else if (c != ' ' && c != '\t' && c != '\r') {
            break;
        }
        p->s++;
    }
}

static int parse_value(parser *p, lmp_json_value *out);

static void put_utf8(char *buf, size_t *k, unsigned cp)
{
    if (cp < 0x80) {
        buf[(*k)++] = (char)cp;
    } else if (cp < 0x800) {
        buf[(*k)++] = (char)(0xC0 | (cp >> 6));
        buf[(*k)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        buf[(*k)++] = (char)(0xE0 | (cp >> 12));
        buf[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[(*k)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        buf[(*k)++] = (char)(0xF0 | (cp >> 18));
        buf[(*k)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        buf[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[(*k)++] = (char)(0x80 | (cp & 0x3F));
    }
}

static int hex4(parser *p, unsigned *cp)
{
    if (p->end - p->s < 4) { fail(p, "truncated \\u escape"); return -1; }
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p->s[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else { fail(p, "bad hex digit in \\u escape"); return -1; }
    }
    p->s += 4;
    *cp = v;
    return 0;
}

/* p->s is at the opening quote. The decoded string is never longer than the
 * source (an escape of 2, 6 or 12 bytes decodes to at most 1, 3 or 4). */
static char *parse_string(parser *p, size_t *len)
{
    p->s++;
    const char *start = p->s;
    size_t cap = 0;
    while (start + cap < p->end && start[cap] != '"') cap += (start[cap] == '\\') ? 2 : 1;
    char *buf = arena_alloc(p, cap + 1);
    if (!buf) return NULL;
    size_t k = 0;
    while (p->s < p->end && *p->s != '"') {
        unsigned char c = (unsigned char)*p->s;
        if (c < 0x20) { fail(p, "control character in string"); return NULL; }
        if (c >= 0x80) { /* RFC 8259 8.1: the text is UTF-8; "\xff" and overlong "\xc0\x80" were kept as bytes */
            int l = lmp_utf8_char(p->s, (size_t)(p->end - p->s));
            if (l < 0) { fail(p, "invalid UTF-8 in string"); return NULL; }
            memcpy(buf + k, p->s, (size_t)l);
            k += (size_t)l;
            p->s += l;
            continue;
        }
        if (c != '\\') { buf[k++] = (char)c; p->s++; continue; }
        p->s++;
        if (p->s >= p->end) break;
        char e = *p->s++;
        switch (e) {
        case '"': buf[k++] = '"'; break;
        case '\\': buf[k++] = '\\'; break;
        case '/': buf[k++] = '/'; break;
        case 'b': buf[k++] = '\b'; break;
        case 'f': buf[k++] = '\f'; break;
        case 'n': buf[k++] = '\n'; break;
        case 'r': buf[k++] = '\r'; break;
        case 't': buf[k++] = '\t'; break;
        case 'u': {
            unsigned cp;
            if (hex4(p, &cp)) { return NULL; }
            if (cp >= 0xDC00 && cp < 0xE000) { fail(p, "lone low surrogate in \\u escape"); return NULL; }
            if (cp >= 0xD800 && cp < 0xDC00) {
                unsigned lo;
                if (p->end - p->s < 2 || p->s[0] != '\\' || p->s[1] != 'u') {
                    fail(p, "high surrogate not followed by a \\u low surrogate");
                    return NULL;
                }
                p->s += 2;
                if (hex4(p, &lo)) { return NULL; }
                if (lo < 0xDC00 || lo >= 0xE000) {
                    fail(p, "high surrogate not followed by a low surrogate");
                    return NULL;
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            put_utf8(buf, &k, cp);
            break;
        }
        default: fail(p, "bad escape in string"); return NULL;
        }
    }
    if (p->s >= p->end) { fail(p, "unterminated string"); return NULL; }
    p->s++;
    buf[k] = '\0';
    arena_shrink(p, buf, cap + 1, k + 1);
    *len = k;
    return buf;
}

/* Room for one more item on the parser's stack: a mem_block_alloc block (huge
 * pages from a megabyte on: GPT-2's vocabulary is 50,257 items, 3.6 MB), moved
 * to one twice its size when full. realloc grew it in small pages (1,000 faults). */
static int stack_reserve(parser *p)
{
    if (p->sn < p->scap) return 0;
    size_t cap = p->scap ? 2 * p->scap : 64;
    struct slot *ns = cap <= SIZE_MAX / 4 / sizeof *ns ? mem_block_alloc(cap * sizeof *ns) : NULL;
    if (!ns) {
        p->nomem = 1;
        fail(p, "out of memory");
        return -1;
    }
    if (p->sn) memcpy(ns, p->stk, p->sn * sizeof *ns);
    mem_block_free(p->stk);
    p->stk = ns;
    p->scap = cap;
    return 0;
}

static int parse_container(parser *p, lmp_json_value *out, int is_obj)
{
    char close = is_obj ? '}' : ']';
    out->type = is_obj ? LMP_JSON_OBJECT : LMP_JSON_ARRAY;
    if (++p->depth > 512) { fail(p, "nesting deeper than 512 levels"); return -1; }
    p->s++;
    skip_ws(p);
    if (p->s < p->end && *p->s == close) { p->s++; p->depth--; return 0; }
    const size_t base = p->sn; /* this container's items are stk[base..sn) */
    for (;;) {
        char *key = NULL;
        skip_ws(p);
        if (is_obj) {
            if (p->s >= p->end || *p->s != '"') { fail(p, "expected a string key"); return -1; }
            size_t klen;
            const char *kstart = p->s;
            key = parse_string(p, &klen);
            if (!key) return -1;
            if (strlen(key) != klen) {
                /* Keys are C strings (no length beside them): "a\u0000b" would be read as "a" (a safetensors
                 * tensor "ln_1.bias\u0000x" as ln_1.bias). Refused, the key shown as written. */
                size_t k = 0;
                k += (size_t)snprintf(p->whatbuf, sizeof p->whatbuf, "object key \"");
                for (size_t i = 0; i < klen && k + 40 < sizeof p->whatbuf; i++)
                    k += (size_t)(key[i] ? snprintf(p->whatbuf + k, sizeof p->whatbuf - k, "%c", key[i])
                                         : snprintf(p->whatbuf + k, sizeof p->whatbuf - k, "\\u0000"));
                snprintf(p->whatbuf + k, sizeof p->whatbuf - k, "%s\" holds \\u0000: expected a key without NUL",
                         k + 40 >= sizeof p->whatbuf ? "..." : "");
                p->s = kstart; /* the error's column is the key's */
                fail(p, p->whatbuf);
                return -1;
            }
            skip_ws(p);
            if (p->s >= p->end || *p->s != ':') { fail(p, "expected ':' after key"); return -1; }
            p->s++;
        }
        /* parsed into a local: a nested container may move the stack */
        lmp_json_value item = {0};
        if (parse_value(p, &item) || stack_reserve(p)) return -1;
        p->stk[p->sn].v = item;
        p->stk[p->sn].key = key;
        p->sn++;
        skip_ws(p);
        if (p->s < p->end && *p->s == ',') { p->s++; continue; }
        if (p->s < p->end && *p->s == close) break;
        fail(p, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
        return -1;
    }
    p->s++;
    p->depth--;
    size_t n = p->sn - base;
    out->items = arena_alloc(p, n * sizeof *out->items); /* n * 64 <= the text's bytes * 64: no overflow */
    if (!out->items) return -1;
    for (size_t i = 0; i < n; i++) out->items[i] = p->stk[base + i].v;
    if (is_obj) {
        out->keys = arena_alloc(p, n * sizeof *out->keys);
        if (!out->keys) return -1;
        for (size_t i = 0; i < n; i++) out->keys[i] = p->stk[base + i].key;
    }
    out->n = n;
    p->sn = base;
    return 0;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* RFC 8259 section 6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static int parse_number(parser *p, lmp_json_value *out)
{
    const char *q = p->s, *e = p->end;
    if (q < e && *q == '-') q++;
    if (q >= e || !is_digit(*q)) { fail(p, "malformed number"); return -1; }
    if (*q == '0') {
        q++;
        if (q < e && is_digit(*q)) { fail(p, "malformed number (leading zero)"); return -1; }
    } else {
        while (q < e && is_digit(*q)) q++;
    }
    if (q < e && *q == '.') {
        q++;
        if (q >= e || !is_digit(*q)) { fail(p, "malformed number (no digit after '.')"); return -1; }
        while (q < e && is_digit(*q)) q++;
    }
    if (q < e && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < e && (*q == '+' || *q == '-')) q++;
        if (q >= e || !is_digit(*q)) { fail(p, "malformed number (no digit in the exponent)"); return -1; }
        while (q < e && is_digit(*q)) q++;
    }
    size_t L = (size_t)(q - p->s);
    char small[64], *buf = small;
    if (L >= sizeof small) {
        buf = malloc(L + 1);
        if (!buf) { p->nomem = 1; fail(p, "out of memory"); return -1; }
    }
    memcpy(buf, p->s, L);
    buf[L] = '\0';
    out->type = LMP_JSON_NUMBER;
    errno = 0;
    out->num = lmp_strtod_c(buf, NULL); /* the grammar was checked above; a decimal point in any locale */
    if (errno == ERANGE && isinf(out->num)) {
        /* 1e400 would be a silent infinity (issue 11: every float parse that overflows is an error naming the value) */
        snprintf(p->whatbuf, sizeof p->whatbuf, "number '%.64s%s' is out of the range of a double (magnitude above 1.8e308)",
                 buf, L > 64 ? "..." : "");
        if (buf != small) free(buf);
        fail(p, p->whatbuf);
        return -1;
    }
    if (buf != small) free(buf);
    p->s = q;
    return 0;
}

static int parse_value(parser *p, lmp_json_value *out)
{
    skip_ws(p);
    out->offset = (size_t)(p->s - p->text);
    if (p->s >= p->end) { fail(p, "unexpected end of input"); return -1; }
    char c = *p->s;
    if (c == '{') return parse_container(p, out, 1);
    if (c == '[') return parse_container(p, out, 0);
    if (c == '"') {
        out->type = LMP_JSON_STRING;
        out->str = parse_string(p, &out->len);
        return out->str ? 0 : -1;
    }
    static const struct { const char *word; lmp_json_type t; int b; } words[] = {
        {"true", LMP_JSON_BOOL, 1}, {"false", LMP_JSON_BOOL, 0}, {"null", LMP_JSON_NULL, 0}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t L = strlen(words[i].word);
        if ((size_t)(p->end - p->s) >= L && memcmp(p->s, words[i].word, L) == 0) {
            out->type = words[i].t;
            out->boolean = words[i].b;
            p->s += L;
            return 0;
        }
    }
    if (c == '-' || is_digit(c)) return parse_number(p, out);
    fail(p, "unexpected character");
    return -1;
}

lmp_status lmp_json_parse(const char *text, size_t len, const char *name, lmp_json_value **out, lmp_error *err)
{
    /* a NULL out was written through, a NULL text read (len > 0) or offset (NULL + 0 is undefined) */
    if (!out) return lmp_error_set(err, LMP_EINVAL, "lmp_json_parse: expected an output pointer, got NULL");
    *out = NULL;
    if (!text && len) return lmp_error_set(err, LMP_EINVAL, "lmp_json_parse: text is NULL with length %zu", len);
    if (!text) text = "";
    json_tree *tree = calloc(1, sizeof *tree);
    if (!tree) return lmp_error_set(err, LMP_ENOMEM, "%s%sout of memory", name ? name : "", name ? ": " : "");
    parser p = {.text = text, .s = text, .end = text + len, .line_start = text, .line = 1, .tree = tree};
    /* The first block holds the whole tree of most texts: GPT-2's tokenizer.json
     * makes 3.7 bytes of tree a byte of text, 5.7 compact (ASan's gaps aside).
     * Pages never written cost nothing; later blocks double. */
    p.next_block = len <= (SIZE_MAX - 4096) / 6 ? 6 * len + 4096 : SIZE_MAX / 4;
    if (parse_value(&p, &tree->root) == 0) {
        skip_ws(&p);
        if (p.s != p.end) fail(&p, "trailing characters after the JSON value");
    }
    mem_block_free(p.stk);
    if (p.what) {
        lmp_json_free(&tree->root);
        lmp_status st = p.nomem ? LMP_ENOMEM : LMP_EFORMAT;
        if (name) lmp_error_set_at(err, st, name, p.fail_line, "column %ld: %s", p.fail_col, p.what);
        else lmp_error_set(err, st, "line %ld, column %ld: %s", p.fail_line, p.fail_col, p.what);
        if (err) { err->line = p.fail_line; err->col = p.fail_col; }
        return st;
    }
    *out = &tree->root;
    return LMP_OK;
}

void lmp_json_free(lmp_json_value *v)
{
    if (!v) return;
    json_tree *tree = (json_tree *)(void *)v; /* v is a tree's root (its first member) */
    arena_free(tree->blocks);
    free(tree);
}

const lmp_json_value *lmp_json_get(const lmp_json_value *obj, const char *key)
{
    if (!obj || !key || obj->type != LMP_JSON_OBJECT) return NULL; /* strcmp(NULL) is undefined */
    for (size_t i = 0; i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
    return NULL;
}
