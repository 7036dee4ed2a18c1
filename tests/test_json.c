/* The shared JSON reader (include/lmprob/json.h): values, strictness, errors with line and column. */
#include <stdlib.h>

#include "lmprob/json.h"
#include "test.h"

static lmp_status parse(const char *s, lmp_json_value **v, lmp_error *err)
{
    return lmp_json_parse(s, strlen(s), NULL, v, err);
}

static void test_values(void)
{
    lmp_json_value *v;
    lmp_error err;
    CHECK_INT(parse(" {\"a\": [1, -2.5e3, 0.125, true, false, null], \"b\\u00e9\": \"x\\ny\\ud83d\\ude00\"} ", &v, &err),
              LMP_OK);
    if (!v) return;
    const lmp_json_value *a = lmp_json_get(v, "a");
    CHECK(a && a->type == LMP_JSON_ARRAY && a->n == 6);
    if (a && a->n == 6) {
        CHECK(a->items[0].num == 1 && a->items[1].num == -2500 && a->items[2].num == 0.125);
        CHECK(a->items[3].type == LMP_JSON_BOOL && a->items[3].boolean == 1 && a->items[5].type == LMP_JSON_NULL);
    }
    const lmp_json_value *b = lmp_json_get(v, "b\xc3\xa9");
    CHECK(b && b->type == LMP_JSON_STRING && b->len == 7 && memcmp(b->str, "x\ny\xf0\x9f\x98\x80", 7) == 0);
    CHECK(lmp_json_get(v, "c") == NULL);
    CHECK(lmp_json_get(a, "a") == NULL);
    lmp_json_free(v);
    /* a \u0000 inside a string is kept; len tells */
    CHECK_INT(parse("\"a\\u0000b\"", &v, &err), LMP_OK);
    if (v) CHECK(v->len == 3 && v->str[1] == '\0' && v->str[2] == 'b');
    lmp_json_free(v);
    /* but not inside a key: keys are C strings, "n_embd\u0000x" would be read as n_embd */
    CHECK_INT(parse("{\"ok\": 1, \"n_embd\\u0000x\": 2}", &v, &err), LMP_EFORMAT);
    CHECK(v == NULL);
    CHECK_MSG(strstr(err.msg, "column 11: object key \"n_embd\\u0000x\" holds \\u0000") != NULL, "msg: %s", err.msg);
    lmp_json_free(NULL);
}

/* Containers whose items outnumber the parser's item stack many times over, nested so that a
 * child fills (and moves) the stack while its parent's items sit below (src/core/json.c): every
 * value comes back in place, keys with their values; a failure deep inside frees all (ASan's
 * leak check in make test) and names the place. */
static void test_big_nested(void)
{
    const int outer = 3, inner = 5000;
    size_t cap = (size_t)outer * inner * 40 + 100, k = 0;
    char *s = malloc(cap);
    if (!s) { CHECK(0); return; }
    k += (size_t)snprintf(s + k, cap - k, "[");
    for (int o = 0; o < outer; o++) {
        k += (size_t)snprintf(s + k, cap - k, "%s{\"n\": %d, \"list\": [", o ? ", " : "", o);
        for (int i = 0; i < inner; i++)
            k += (size_t)snprintf(s + k, cap - k, "%s{\"k%d\": \"v%d_%d\"}", i ? "," : "", i, o, i);
        k += (size_t)snprintf(s + k, cap - k, "], \"after\": %d}", -o);
    }
    k += (size_t)snprintf(s + k, cap - k, ", \"end\"]");
    lmp_json_value *v;
    lmp_error err;
    CHECK_INT(lmp_json_parse(s, k, NULL, &v, &err), LMP_OK);
    if (v) {
        CHECK(v->type == LMP_JSON_ARRAY && v->n == (size_t)outer + 1);
        int bad = 0;
        for (int o = 0; o < outer && v->n == (size_t)outer + 1; o++) {
            const lmp_json_value *ob = &v->items[o], *n = lmp_json_get(ob, "n"), *l = lmp_json_get(ob, "list"),
                                 *a = lmp_json_get(ob, "after");
            if (!n || n->num != o || !a || a->num != -o || !l || l->n != (size_t)inner) { bad++; continue; }
            for (int i = 0; i < inner; i++) {
                char key[32], val[32];
                snprintf(key, sizeof key, "k%d", i);
                snprintf(val, sizeof val, "v%d_%d", o, i);
                const lmp_json_value *e = lmp_json_get(&l->items[i], key);
                if (l->items[i].n != 1 || !e || e->type != LMP_JSON_STRING || strcmp(e->str, val) != 0) bad++;
            }
        }
        CHECK_MSG(bad == 0, "%d values out of place", bad);
        CHECK(v->items[outer].type == LMP_JSON_STRING && strcmp(v->items[outer].str, "end") == 0);
        lmp_json_free(v);
    }
    /* the same text cut inside the last list: an error, nothing leaked */
    size_t cut = (size_t)(strrchr(s, '{') - s) + 3;
    CHECK_INT(lmp_json_parse(s, cut, NULL, &v, &err), LMP_EFORMAT);
    CHECK(v == NULL);
    CHECK_MSG(strstr(err.msg, "line 1, column") != NULL, "msg: %s", err.msg);
    free(s);
}

static void test_strict(void)
{
    static const char *bad[] = {
        "", "   ", "{", "[1,]", "{\"a\":1,}", "01", "+1", ".5", "1.", "1e", "-", "NaN", "Infinity", "[1 2]",
        "{\"a\" 1}", "{a:1}", "\"abc", "\"a\\x\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\\u12\"",
        "\"a\tb\"", "tru", "nul", "[1] x", "// c\n1", "0x10",
        /* invalid UTF-8 in a string: a lone byte, overlong, a surrogate, a cut sequence, past U+10FFFF */
        "\"\xff\"", "\"\xc0\x80\"", "\"\xed\xa0\x80\"", "\"a\xe2\x82\"", "\"\xf4\x90\x80\x80\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lmp_json_value *v = (lmp_json_value *)1;
        lmp_error err;
        lmp_status st = parse(bad[i], &v, &err);
        CHECK_MSG(st == LMP_EFORMAT && v == NULL, "'%s' parsed", bad[i]);
    }
    /* well-formed UTF-8 of every length is kept as it is */
    lmp_json_value *u;
    lmp_error uerr;
    CHECK_INT(parse("\"a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", &u, &uerr), LMP_OK);
    CHECK(u && u->len == 10 && memcmp(u->str, "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10) == 0);
    lmp_json_free(u);
    /* 512 levels are fine, 513 are not */
    char deep[2 * 513 + 1];
    for (int depth = 512; depth <= 513; depth++) {
        memset(deep, '[', (size_t)depth);
        memset(deep + depth, ']', (size_t)depth);
        deep[2 * depth] = '\0';
        lmp_json_value *v;
        lmp_error err;
        CHECK_INT(parse(deep, &v, &err), depth == 512 ? LMP_OK : LMP_EFORMAT);
        lmp_json_free(v);
    }
}

static void test_error_position(void)
{
    lmp_json_value *v;
    lmp_error err;
    CHECK_INT(lmp_json_parse("{\n  \"a\": 1,\n  \"b\": [1, 2,, 3]\n}", 31, "cfg.json", &v, &err), LMP_EFORMAT);
    CHECK_INT(err.line, 3);
    CHECK_INT(err.col, 14);
    CHECK_MSG(strstr(err.msg, "cfg.json:3:") != NULL, "%s", err.msg);
}

/* NULL arguments (issue: a NULL out was written through, a NULL key went to strcmp, a NULL text was read or
 * offset; the sanitizers stopped there): LMP_EINVAL, an empty text, NULL. */
static void test_null_arguments(void)
{
    lmp_json_value *v = NULL;
    lmp_error err;
    CHECK_INT(lmp_json_parse("[1]", 3, NULL, NULL, &err), LMP_EINVAL);
    CHECK(strstr(err.msg, "output pointer") != NULL);
    CHECK_INT(lmp_json_parse(NULL, 5, NULL, &v, &err), LMP_EINVAL);
    CHECK(v == NULL && strstr(err.msg, "NULL with length 5") != NULL);
    CHECK_INT(lmp_json_parse(NULL, 0, NULL, &v, &err), LMP_EFORMAT); /* as "": no value */
    CHECK(v == NULL);
    CHECK_INT(lmp_json_parse("{\"a\": 1}", 8, NULL, &v, &err), LMP_OK);
    CHECK(lmp_json_get(v, NULL) == NULL && lmp_json_get(NULL, "a") == NULL && lmp_json_get(v, "a") != NULL);
    lmp_json_free(v);
}

int main(int argc, char **argv)
{
    RUN(test_values);
    RUN(test_big_nested);
    RUN(test_strict);
    RUN(test_error_position);
    RUN(test_null_arguments);
    (void)argc;
    return TEST_SUMMARY();
}
