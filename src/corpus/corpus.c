/* Corpus reader (include/lmprob/corpus.h): a streaming line reader over plain,
 * gzip or xz input, strict UTF-8 checking, and the three tokenisers.
 * Not here: vocabulary (src/vocab), counting (src/count). */
#include "lmprob/corpus.h"

#include <stdlib.h>
#include <string.h>

#include "../core/reader.h"

struct lmp_corpus {
    lmp_corpus_params p;
    io_reader *r;
    char *fixed; /* line after U+FFFD replacement */
    size_t fixed_cap;
    const char *line; /* current line */
    size_t line_len;
    lmp_token *tok;
    size_t tok_cap;
    lmp_token_buf ids; /* GPT2 mode: the line's ids */
    lmp_tokenizer_stream *ts; /* GPT2 mode: its encoder, which bounds a piece by max_piece */
    char bytenames[256][8];
    lmp_corpus_stats st;
    lmp_status sticky;
    lmp_error sticky_err;
};

void lmp_corpus_params_init(lmp_corpus_params *p)
{
    memset(p, 0, sizeof *p);
    p->mode = LMP_CORPUS_WORD;
}

/* ---- open / free ------------------------------------------------------------------ */

static void init_bytenames(lmp_corpus *c)
{
    static const char hex[] = "0123456789ABCDEF";
    for (int b = 0; b < 256; b++) {
        char *s = c->bytenames[b];
        if (b >= 0x21 && b <= 0x7e) {
            s[0] = (char)b;
            s[1] = '\0';
        } else {
            s[0] = '<'; s[1] = '0'; s[2] = 'x'; s[3] = hex[b >> 4]; s[4] = hex[b & 15]; s[5] = '>'; s[6] = '\0';
        }
    }
}

static lmp_status check_params(const lmp_corpus_params *p, lmp_error *err)
{
    if ((int)p->mode < 0 || (int)p->mode > 3)
        return lmp_error_set(err, LMP_EINVAL, "corpus mode = %d: expected word (0), char (1), byte (2) or gpt2 (3)",
                             (int)p->mode);
    if (p->mode == LMP_CORPUS_GPT2 && !p->tokenizer)
        return lmp_error_set(err, LMP_EINVAL, "corpus mode gpt2 needs a tokenizer (lmp_corpus_params.tokenizer)");
    return LMP_OK;
}

/* The reader is opened by the caller (file or memory); c takes it. */
static lmp_status corpus_make(const lmp_corpus_params *params, lmp_corpus **out, lmp_error *err)
{
    *out = NULL;
    lmp_corpus_params p;
    if (params) p = *params;
    else lmp_corpus_params_init(&p);
    lmp_status st = check_params(&p, err);
    if (st) return st;
    lmp_corpus *c = calloc(1, sizeof *c);
    if (c) {
        c->tok_cap = 64;
        c->tok = malloc(c->tok_cap * sizeof *c->tok);
    }
    if (!c || !c->tok) {
        free(c);
        return lmp_error_set(err, LMP_ENOMEM, "corpus reader: out of memory");
    }
    c->p = p;
    init_bytenames(c);
    lmp_token_buf_init(&c->ids);
    /* without max_piece, no bound of its own but the BPE's: the line's limit (at most 256 MiB) is the bound */
    if (p.mode == LMP_CORPUS_GPT2 &&
        (st = lmp_tokenizer_stream_create(p.tokenizer, 0, p.max_piece ? p.max_piece : LMP_TOKENIZER_PIECE_LIMIT, &c->ts,
                                          err))) {
        lmp_corpus_free(c);
        return st;
    }
    *out = c;
    return LMP_OK;
}

lmp_status lmp_corpus_load(const char *path, const lmp_corpus_params *params, lmp_corpus **out, lmp_error *err)
{
    *out = NULL;
    if (!path || !*path) return lmp_error_set(err, LMP_EINVAL, "corpus path is empty: expected a file name or '-'");
    lmp_corpus *c;
    lmp_status st = corpus_make(params, &c, err);
    if (st) return st;
    if ((st = io_reader_open(path, c->p.max_line, &c->r, err))) {
        lmp_corpus_free(c);
        return st;
    }
    *out = c;
    return LMP_OK;
}

lmp_status lmp_corpus_create(const void *data, size_t size, const char *name, const lmp_corpus_params *params,
                               lmp_corpus **out, lmp_error *err)
{
    if (!out) return lmp_error_set(err, LMP_EINVAL, "corpus_create: out is NULL: expected a place for the reader");
    *out = NULL;
    if (!data && size) return lmp_error_set(err, LMP_EINVAL, "corpus data is NULL with size %zu", size);
    lmp_corpus *c;
    lmp_status st = corpus_make(params, &c, err);
    if (st) return st;
    if ((st = io_reader_open_mem(data, size, name, c->p.max_line, !c->p.plain, &c->r, err))) {
        lmp_corpus_free(c);
        return st;
    }
    *out = c;
    return LMP_OK;
}

void lmp_corpus_free(lmp_corpus *c)
{
    if (!c) return;
    io_reader_free(c->r);
    free(c->fixed);
    free(c->tok);
    lmp_token_buf_free(&c->ids);
    lmp_tokenizer_stream_free(c->ts);
    free(c);
}

/* ---- UTF-8 ------------------------------------------------------------------------ */

/* Check (and with replace_invalid, repair) the current line. */
static lmp_status line_utf8(lmp_corpus *c, lmp_error *err)
{
    const unsigned char *s = (const unsigned char *)c->line;
    size_t n = c->line_len, i = 0;
    while (i < n && s[i] < 0x80) i++;
    if (i == n) return LMP_OK; /* ASCII fast path */
    size_t first_bad = n;
    for (size_t j = i; j < n;) {
        int k = lmp_utf8_char(s + j, n - j); /* core.h: a length, or minus an invalid subpart's */
        if (k < 0) {
            first_bad = j;
            break;
        }
        j += (size_t)k;
    }
    if (first_bad == n) return LMP_OK;
    if (!c->p.replace_invalid) {
        lmp_error_set_at(err, LMP_EFORMAT, io_reader_name(c->r), io_reader_lineno(c->r),
                         "invalid UTF-8 at byte %zu of the line (byte 0x%02X): expected UTF-8 text",
                         first_bad + 1, s[first_bad]);
        if (err) err->col = (long)first_bad + 1;
        return LMP_EFORMAT;
    }
    /* Each invalid subpart → EF BF BD (3 bytes): at most 3x the length. */
    size_t need = 3 * n + 1;
    if (need > c->fixed_cap) {
        char *nb = realloc(c->fixed, need);
        if (!nb) return lmp_error_set(err, LMP_ENOMEM, "corpus reader: out of memory");
        c->fixed = nb;
        c->fixed_cap = need;
    }
    char *o = c->fixed;
    memcpy(o, s, first_bad);
    size_t w = first_bad;
    for (size_t j = first_bad; j < n;) {
        int k = lmp_utf8_char(s + j, n - j); /* core.h: a length, or minus an invalid subpart's */
        if (k > 0) {
            memcpy(o + w, s + j, (size_t)k);
            w += (size_t)k;
            j += (size_t)k;
        } else {
            memcpy(o + w, "\xEF\xBF\xBD", 3);
            w += 3;
            j += (size_t)-k;
            c->st.replaced++;
        }
    }
    c->line = o;
    c->line_len = w;
    return LMP_OK;
}

/* ---- lines and tokens --------------------------------------------------------------- */

static lmp_status push_token(lmp_corpus *c, size_t *nt, const char *p, size_t len, lmp_error *err)
{
    if (*nt == c->tok_cap) {
        size_t ncap = c->tok_cap * 2;
        lmp_token *nt2 = realloc(c->tok, ncap * sizeof *nt2);
        if (!nt2) return lmp_error_set(err, LMP_ENOMEM, "corpus reader: out of memory");
        c->tok = nt2;
        c->tok_cap = ncap;
    }
    c->tok[*nt].ptr = p;
    c->tok[*nt].len = len;
    (*nt)++;
    return LMP_OK;
}

static lmp_status tokenize(lmp_corpus *c, size_t *ntok, lmp_error *err)
{
    const char *s = c->line;
    size_t n = c->line_len, nt = 0;
    lmp_status st;
    if (c->p.mode == LMP_CORPUS_WORD) {
        size_t i = 0;
        for (;;) {
            while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\0')) i++;
            if (i >= n) break;
            size_t b = i;
            while (i < n && !(s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\0')) i++;
            size_t len = i - b;
            if (s[b] == '<' && (c->p.skip_markers || !c->p.query_words) &&
                ((len == 3 && memcmp(s + b, "<s>", 3) == 0) || (len == 4 && memcmp(s + b, "</s>", 4) == 0))) {
                if (c->p.skip_markers) {
                    c->st.skipped++;
                    continue;
                }
                lmp_error_set_at(err, LMP_EFORMAT, io_reader_name(c->r), io_reader_lineno(c->r),
                                 "sentence marker '%.*s' at byte %zu of the line: expected ordinary words (every line is "
                                 "already one sentence <s> ... </s>)",
                                 (int)len, s + b, b + 1);
                if (err) err->col = (long)b + 1;
                return LMP_EFORMAT;
            }
            if ((st = push_token(c, &nt, s + b, len, err))) return st;
        }
    } else if (c->p.mode == LMP_CORPUS_CHAR) {
        for (size_t i = 0; i < n;) {
            unsigned char b = (unsigned char)s[i];
            if (b < 0x80) {
                if (b == ' ') st = push_token(c, &nt, "<sp>", 4, err);
                else if (b == '\t') st = push_token(c, &nt, "<tab>", 5, err);
                else if (b < 0x20 || b == 0x7f) st = push_token(c, &nt, c->bytenames[b], 6, err);
                else st = push_token(c, &nt, s + i, 1, err);
                i++;
            } else {
                int k = lmp_utf8_char(s + i, n - i);
                if (k < 0) k = -k; /* cannot happen after line_utf8, but never loop forever */
                st = push_token(c, &nt, s + i, (size_t)k, err);
                i += (size_t)k;
            }
            if (st) return st;
        }
    } else if (c->p.mode == LMP_CORPUS_BYTE) {
        for (size_t i = 0; i < n; i++) {
            unsigned char b = (unsigned char)s[i];
            if ((st = push_token(c, &nt, c->bytenames[b], strlen(c->bytenames[b]), err))) return st;
        }
    } else {
        /* GPT2: the line is valid UTF-8 here (line_utf8), so the encoder sees
         * what every reference would. Names live in the tokenizer. */
        c->ids.n = 0;
        lmp_error e;
        lmp_error_clear(&e);
        if ((st = lmp_tokenizer_stream_feed(c->ts, s, n, &c->ids, &e)) == LMP_OK)
            st = lmp_tokenizer_stream_finish(c->ts, &c->ids, &e);
        if (st == LMP_ERANGE) /* a piece past max_piece: the stream's line is 1, the file's is ours */
            return lmp_error_set_at(err, st, io_reader_name(c->r), io_reader_lineno(c->r),
                                    "byte %ld: a piece (a run of letters, digits, symbols or white space) longer "
                                    "than %zu bytes: expected at most %zu, the reader's piece limit",
                                    e.col, c->p.max_piece, c->p.max_piece);
        if (st) {
            if (err) *err = e;
            return st;
        }
        for (size_t i = 0; i < c->ids.n; i++) {
            size_t len;
            const char *name = lmp_tokenizer_token_name(c->p.tokenizer, c->ids.ids[i], &len);
            if (name[0] == '<' && (strcmp(name, "<s>") == 0 || strcmp(name, "</s>") == 0 || strcmp(name, "<unk>") == 0)) {
                /* Not in GPT-2's vocabulary, but another BPE vocabulary could have it. */
                lmp_error_set_at(err, LMP_EFORMAT, io_reader_name(c->r), io_reader_lineno(c->r),
                                 "token %d is named '%s', which an n-gram model reserves: expected a vocabulary "
                                 "without <s>, </s>, <unk> tokens", (int)c->ids.ids[i], name);
                return LMP_EFORMAT;
            }
            if ((st = push_token(c, &nt, name, len, err))) return st;
        }
    }
    *ntok = nt;
    return LMP_OK;
}

static lmp_status fail_sticky(lmp_corpus *c, lmp_status st, lmp_error *err)
{
    c->sticky = st;
    if (err) c->sticky_err = *err;
    else lmp_error_set(&c->sticky_err, st, "%s: %s", io_reader_name(c->r), lmp_status_str(st));
    return st;
}

lmp_status lmp_corpus_next_line(lmp_corpus *c, const lmp_token **tokens, size_t *ntokens, lmp_error *err)
{
    if (!c || !tokens || !ntokens)
        return lmp_error_set(err, LMP_EINVAL, "corpus_next_line: %s is NULL: expected %s",
                             !c ? "the corpus" : !tokens ? "tokens" : "ntokens", !c ? "an open corpus" : "a place for it");
    *tokens = NULL;
    *ntokens = 0;
    if (c->sticky) {
        if (err) *err = c->sticky_err;
        return c->sticky;
    }
    const char *line;
    size_t len;
    int nl;
    lmp_status st = io_reader_line(c->r, &line, &len, &nl, err);
    if (st == LMP_EOF) return st;
    if (st) return fail_sticky(c, st, err);
    c->st.bytes += len + (nl ? 1 : 0);
    if (len > 0 && line[len - 1] == '\r' && c->p.mode != LMP_CORPUS_GPT2) len--;
    c->line = line;
    c->line_len = len;
    c->st.lines++;
    c->st.line_bytes = c->line_len;
    /* words of a text to score are bytes (query_words): KenLM's query checks no encoding */
    if (c->p.mode != LMP_CORPUS_BYTE && !(c->p.mode == LMP_CORPUS_WORD && c->p.query_words) &&
        (st = line_utf8(c, err)))
        return fail_sticky(c, st, err);
    size_t nt = 0;
    if ((st = tokenize(c, &nt, err))) return fail_sticky(c, st, err);
    c->st.tokens += nt;
    *tokens = c->tok;
    *ntokens = nt;
    return LMP_OK;
}

const char *lmp_corpus_line(const lmp_corpus *c, size_t *len)
{
    if (len) *len = c->line ? c->line_len : 0;
    return c->line ? c->line : "";
}

long lmp_corpus_line_number(const lmp_corpus *c) { return io_reader_lineno(c->r); }

void lmp_corpus_get_stats(const lmp_corpus *c, lmp_corpus_stats *out) { *out = c->st; }

const char *lmp_corpus_compression(const lmp_corpus *c)
{
    return io_reader_compression_name(c->r);
}

const char *lmp_corpus_name(const lmp_corpus *c) { return io_reader_name(c->r); }
