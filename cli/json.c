/* Strict recursive-descent JSON reader (RFC 8259), errors with line and column. */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
    const char *s, *end;
    const char *line_start;
    long line;
    char *err;
    size_t errlen;
    int failed;
    int depth;
} parser;

static void fail(parser *p, const char *what)
{
    if (p->failed) return;
    p->failed = 1;
    snprintf(p->err, p->errlen, "line %ld, column %ld: %s", p->line,
             (long)(p->s - p->line_start) + 1, what);
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

static int parse_value(parser *p, json_value *out);

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

/* p->s is at the opening quote. The decoded string is never longer than the source. */
static char *parse_string(parser *p)
{
    p->s++;
    const char *start = p->s;
    size_t cap = 0;
    while (start + cap < p->end && start[cap] != '"') cap += (start[cap] == '\\') ? 2 : 1;
    char *buf = malloc(cap + 1);
    if (!buf) { fail(p, "out of memory"); return NULL; }
    size_t k = 0;
    while (p->s < p->end && *p->s != '"') {
        unsigned char c = (unsigned char)*p->s;
        if (c < 0x20) { fail(p, "control character in string"); free(buf); return NULL; }
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
            if (hex4(p, &cp)) { free(buf); return NULL; }
            /* UTF-16 surrogates come in pairs, high (D800-DBFF) then low (DC00-DFFF);
             * a lone one encodes no character (RFC 8259 section 8.2; issue 11:
             * "\ud800\u0041" decoded to a garbage code point). */
            if (cp >= 0xDC00 && cp < 0xE000) {
                char what[96];
                snprintf(what, sizeof what, "lone low surrogate \\u%04X: expected it after a high surrogate", cp);
                p->s -= 6;
                fail(p, what);
                free(buf);
                return NULL;
            }
            if (cp >= 0xD800 && cp < 0xDC00) {
                unsigned lo = 0;
                int paired = p->end - p->s >= 6 && p->s[0] == '\\' && p->s[1] == 'u';
                if (paired) {
                    p->s += 2;
                    if (hex4(p, &lo)) { free(buf); return NULL; }
                    paired = lo >= 0xDC00 && lo < 0xE000;
                }
                if (!paired) {
                    char what[112];
                    snprintf(what, sizeof what, "high surrogate \\u%04X not followed by a low surrogate \\uDC00-\\uDFFF", cp);
                    fail(p, what);
                    free(buf);
                    return NULL;
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            /* a \uXXXX escape takes 6 source bytes and at most 4 decoded ones */
            put_utf8(buf, &k, cp);
            break;
        }
        default: fail(p, "bad escape in string"); free(buf); return NULL;
        }
    }
    if (p->s >= p->end) { fail(p, "unterminated string"); free(buf); return NULL; }
    p->s++;
    buf[k] = '\0';
    return buf;
}

static int parse_container(parser *p, json_value *out, int is_obj)
{
    char close = is_obj ? '}' : ']';
    size_t cap = 0;
    out->type = is_obj ? JSON_OBJECT : JSON_ARRAY;
    p->s++;
    if (++p->depth > 512) { fail(p, "nesting too deep"); return -1; }
    skip_ws(p);
    if (p->s < p->end && *p->s == close) { p->s++; p->depth--; return 0; }
    for (;;) {
        if (out->n == cap) {
            cap = cap ? 2 * cap : 4;
            json_value *ni = realloc(out->items, cap * sizeof *ni);
            if (!ni) { fail(p, "out of memory"); return -1; }
            out->items = ni;
            if (is_obj) {
                char **nk = realloc(out->keys, cap * sizeof *nk);
                if (!nk) { fail(p, "out of memory"); return -1; }
                out->keys = nk;
            }
        }
        skip_ws(p);
        if (is_obj) {
            if (p->s >= p->end || *p->s != '"') { fail(p, "expected a string key"); return -1; }
            char *key = parse_string(p);
            if (!key) return -1;
            out->keys[out->n] = key;
            skip_ws(p);
            if (p->s >= p->end || *p->s != ':') {
                memset(&out->items[out->n], 0, sizeof out->items[0]);
                out->n++;
                fail(p, "expected ':' after key");
                return -1;
            }
            p->s++;
        }
        memset(&out->items[out->n], 0, sizeof out->items[0]);
        out->n++;
        if (parse_value(p, &out->items[out->n - 1])) return -1;
        skip_ws(p);
        if (p->s < p->end && *p->s == ',') { p->s++; continue; }
        if (p->s < p->end && *p->s == close) { p->s++; p->depth--; return 0; }
        fail(p, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
        return -1;
    }
}

static int parse_value(parser *p, json_value *out)
{
    skip_ws(p);
    if (p->s >= p->end) { fail(p, "unexpected end of input"); return -1; }
    char c = *p->s;
    if (c == '{') return parse_container(p, out, 1);
    if (c == '[') return parse_container(p, out, 0);
    if (c == '"') {
        out->type = JSON_STRING;
        out->str = parse_string(p);
        return out->str ? 0 : -1;
    }
    static const struct { const char *word; json_type t; int b; } words[] = {
        {"true", JSON_BOOL, 1}, {"false", JSON_BOOL, 0}, {"null", JSON_NULL, 0}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t L = strlen(words[i].word);
        if ((size_t)(p->end - p->s) >= L && memcmp(p->s, words[i].word, L) == 0) {
            out->type = words[i].t;
            out->boolean = words[i].b;
            p->s += L;
            return 0;
        }
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        char buf[64];
        size_t L = 0;
        while (p->s + L < p->end && L < sizeof buf - 1 && strchr("+-0123456789.eE", p->s[L])) L++;
        memcpy(buf, p->s, L);
        buf[L] = '\0';
        char *endp;
        errno = 0;
        double v = strtod(buf, &endp);
        if (endp == buf || (size_t)(endp - buf) != L) { fail(p, "malformed number"); return -1; }
        if (errno == ERANGE && isinf(v)) { /* 1e400: never a silent infinity */
            char what[128];
            snprintf(what, sizeof what, "number '%s' is out of the range of a double (magnitude above 1.8e308)", buf);
            fail(p, what);
            return -1;
        }
        out->type = JSON_NUMBER;
        out->num = v;
        p->s += L;
        return 0;
    }
    fail(p, "unexpected character");
    return -1;
}

json_value *json_parse(const char *text, size_t len, char *err, size_t errlen)
{
    parser p = {text, text + len, text, 1, err, errlen, 0, 0};
    json_value *root = calloc(1, sizeof *root);
    if (!root) { snprintf(err, errlen, "out of memory"); return NULL; }
    if (parse_value(&p, root) == 0) {
        skip_ws(&p);
        if (p.s != p.end) fail(&p, "trailing characters after the JSON value");
    }
    if (p.failed) { json_free(root); return NULL; }
    return root;
}

static void free_inner(json_value *v)
{
    free(v->str);
    for (size_t i = 0; i < v->n; i++) {
        free_inner(&v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
}

void json_free(json_value *v)
{
    if (!v) return;
    free_inner(v);
    free(v);
}

const json_value *json_get(const json_value *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT) return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
    return NULL;
}
