/* N-gram file formats: the ARPA number formatter, the one ARPA writer and its
 * orders, metadata, checksums, the trie. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lmprob/ngram.h"
#include "lmprob/ngram_train.h"
#include "test.h"
#include "../src/ngram/ngram_internal.h"

#define FIX "tests/fixtures/model/"

static lmp_ngram *load(const char *path)
{
    lmp_error err = {0};
    lmp_ngram *m = NULL;
    if (lmp_ngram_load(path, NULL, NULL, &m, &err)) fprintf(stderr, "  load %s: %s\n", path, err.msg);
    return m;
}

/* Per-token log10 probabilities and n-gram lengths of a text, through the file scorer. */
typedef struct tok_log {
    double p[4096];
    unsigned len[4096];
    size_t n;
} tok_log;

static void on_tok(void *ctx, const lmp_ngram_token *t)
{
    tok_log *l = ctx;
    if (l->n < 4096) {
        l->p[l->n] = t->log10_prob;
        l->len[l->n] = t->ngram_len;
    }
    l->n++;
}

static void score_all(const lmp_ngram *m, const char *text, tok_log *out)
{
    lmp_ngram_callbacks cb = {on_tok, NULL, NULL, out};
    lmp_ngram_stats st;
    lmp_error err = {0};
    out->n = 0;
    CHECK(lmp_ngram_score_file(m, text, &st, &cb, &err) == LMP_OK);
}

/* The same per-token values, bit for bit (the trie keeps the ARPA's floats). */
static int same_scores(const lmp_ngram *a, const lmp_ngram *b, const char *text)
{
    static tok_log x, y;
    score_all(a, text, &x);
    score_all(b, text, &y);
    if (x.n != y.n || x.n == 0) return 0;
    for (size_t i = 0; i < x.n && i < 4096; i++)
        if (memcmp(&x.p[i], &y.p[i], sizeof x.p[i]) != 0 || x.len[i] != y.len[i]) {
            fprintf(stderr, "  token %zu: %.9g (length %u) vs %.9g (length %u)\n", i, x.p[i], x.len[i], y.p[i], y.len[i]);
            return 0;
        }
    return 1;
}

/* Reference: the fewest significant digits (1..9) that round-trip through
 * strtof, found by brute force with printf; its value is the nearest such decimal. */
static int ref_digits(float v)
{
    char buf[64];
    for (int p = 0; p <= 8; p++) {
        snprintf(buf, sizeof buf, "%.*e", p, (double)v);
        if (strtof(buf, NULL) == v) return p + 1;
    }
    return 9;
}

static int sig_digits(const char *s)
{
    int n = 0, started = 0, trailing = 0;
    for (; *s && *s != 'e'; s++) {
        if (*s < '0' || *s > '9') continue;
        if (*s != '0') started = 1;
        if (!started) continue;
        n++;
        trailing = *s == '0' ? trailing + 1 : 0;
    }
    /* trailing zeros before the decimal point of an integer are not significant */
    return n - trailing;
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t xorshift(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int check_one(float v)
{
    char buf[40], exact[40];
    size_t n = ng_format_float(buf, v);
    ng_format_float_exact(exact, v);
    if (strcmp(buf, exact) != 0) {
        fprintf(stderr, "  %a: fast path '%s', exact path '%s'\n", (double)v, buf, exact);
        return 0;
    }
    if (n != strlen(buf)) return 0;
    float back = strtof(buf, NULL);
    if (back != v) {
        fprintf(stderr, "  %a -> '%s' reads back as %a\n", (double)v, buf, (double)back);
        return 0;
    }
    int want = ref_digits(v), got = sig_digits(buf);
    if (got != want) {
        fprintf(stderr, "  %a (%.9g) -> '%s': %d significant digits, the shortest has %d\n", (double)v, (double)v, buf,
                got, want);
        return 0;
    }
    return 1;
}

/* Every formatted float reads back as itself with the fewest digits; layouts as lmplz. */
static void test_format_float(void)
{
    char buf[40];
    struct {
        float v;
        const char *want;
    } fixed[] = {
        {0.0f, "0"},
        {-0.0f, "0"},
        {-99.0f, "-99"},
        {-100.0f, "-100"},
        {-0.5f, "-0.5"},
        {-1.8120181e-7f, "-1.8120181e-7"},
        {-7.147704e-5f, "-0.00007147704"},
        {-1e-6f, "-0.000001"},
        {-1e-7f, "-1e-7"},
        {-0.30103f, "-0.30103"},
        {-1.2999429f, "-1.2999429"},
        {-0.061040911f, "-0.06104091"},
        {1e21f, "1e21"},
        {-123456792.0f, "-123456790"},
        {3.4028235e38f, "3.4028235e38"},
        {1.4e-45f, "1e-45"},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        ng_format_float(buf, fixed[i].v);
        CHECK_MSG(strcmp(buf, fixed[i].want) == 0, "%.9g -> '%s', want '%s'", (double)fixed[i].v, buf, fixed[i].want);
    }
    int bad = 0;
    /* every exponent with random mantissas, and random bit patterns */
    for (uint32_t e = 0; e < 255 && bad < 5; e++)
        for (int r = 0; r < 200 && bad < 5; r++) {
            uint32_t bits = (e << 23) | (uint32_t)(xorshift() & 0x7fffff) | (r & 1 ? 0x80000000u : 0);
            if (r == 2) bits &= ~0x7fffffu; /* powers of two: the narrower lower gap */
            if (r == 3) bits |= 0x7fffffu;
            float v;
            memcpy(&v, &bits, 4);
            if (v != 0 && !check_one(v)) bad++;
        }
    const long nrand = test_scaled(300000, 30000); /* random cases: fewer under an emulator */
    for (long r = 0; r < nrand && bad < 5; r++) {
        /* log10 probabilities as language models hold them: -10 .. 0 */
        float v = -(float)((double)(xorshift() >> 11) / 9007199254740992.0 * 10.0);
        if (v != 0 && !check_one(v)) bad++;
    }
    CHECK(bad == 0);
}

/* A text with seen and unseen n-grams and an OOV word, for the fixtures' vocabulary {a, b, c} / {x, y, z}. */
static const char *fixture_text(void)
{
    const char *p = test_tmp_path("text.txt");
    test_write_text(p, "a b c\nb a\na zzz b\na a b\nc b a c b\n\nx y z\nx y\ny z x y z\nz z\n");
    return p;
}

/* The trie scores exactly as the ARPA model (the fixtures include a pruned
 * model, whose missing suffixes become blanks) and writes the same ARPA back. */
static void test_trie_exact(void)
{
    const char *text = fixture_text();
    const char *names[] = {"tiny", "pruned", "nounk"};
    for (size_t f = 0; f < 3; f++) {
        char in[256];
        snprintf(in, sizeof in, FIX "%s.arpa", names[f]);
        lmp_ngram *m = load(in);
        CHECK(m != NULL);
        if (!m) continue;
        lmp_error err = {0};
        const char *tp = test_tmp_path("x.trie"), *a1 = test_tmp_path("a1.arpa"), *a2 = test_tmp_path("a2.arpa");
        CHECK(lmp_ngram_write_trie(m, tp, NULL, &err) == LMP_OK);
        lmp_ngram *t = load(tp);
        CHECK(t != NULL);
        if (t) {
            lmp_ngram_info info;
            lmp_ngram_get_info(t, &info);
            CHECK(info.trie == 1 && info.binary == 1 && info.prob_bits == 0);
            CHECK_MSG(same_scores(m, t, text), "%s: trie scores differ", names[f]);
            /* the state API, one token at a time, also through a trie */
            lmp_ngram_state s1, s2, n1, n2;
            lmp_ngram_state_begin(m, &s1);
            lmp_ngram_state_begin(t, &s2);
            for (int32_t w = 0; w < (int32_t)lmp_ngram_vocab_size(m); w++) {
                unsigned l1, l2;
                double p1 = lmp_ngram_score(m, &s1, w, &n1, &l1), p2 = lmp_ngram_score(t, &s2, w, &n2, &l2);
                CHECK(p1 == p2 && l1 == l2 && n1.length == n2.length);
                s1 = n1;
                s2 = n2;
            }
            /* ARPA from the trie = ARPA from the model (blanks are not written), in one
             * canonical order (the trie keeps lmplz's suffix order, the fixtures are not in it) */
            lmp_ngram_write_params wp = {LMP_ARPA_ORDER_CONTEXT, NULL, NULL};
            CHECK(lmp_ngram_write_arpa(m, a1, &wp, &err) == LMP_OK);
            CHECK(lmp_ngram_write_arpa(t, a2, &wp, &err) == LMP_OK);
            char *x = test_read_file(a1, NULL), *y = test_read_file(a2, NULL);
            CHECK_MSG(x && y && strcmp(x, y) == 0, "%s: ARPA from the trie differs", names[f]);
            free(x);
            free(y);
            /* trie -> hashed binary -> the same scores */
            const char *hb = test_tmp_path("h.bin");
            CHECK(lmp_ngram_write_binary(t, hb, &err) == LMP_OK);
            lmp_ngram *h = load(hb);
            CHECK(h && same_scores(m, h, text));
            lmp_ngram_free(h);
            CHECK(lmp_ngram_verify(tp, NULL, NULL, &err) == LMP_OK);
        }
        lmp_ngram_free(t);
        lmp_ngram_free(m);
    }
}

/* Quantised tries: every value one of at most 2^bits centres per order, the
 * zero backoffs (extension marks) kept, and scores close to the exact ones. */
static void test_trie_quantised(void)
{
    lmp_train_params p;
    lmp_train_params_init(&p);
    p.order = 4;
    p.discount_fallback = 1;
    lmp_train_model *tm = NULL;
    lmp_error err = {0};
    CHECK(lmp_train_model_load("tests/fixtures/train_small.txt", &p, &tm, &err) == LMP_OK);
    if (!tm) return;
    lmp_ngram *m = NULL;
    CHECK(lmp_ngram_create_from_train(tm, &m, &err) == LMP_OK);
    lmp_train_model_free(tm);
    if (!m) return;
    const char *text = "tests/fixtures/train_small.txt";
    /* 2 bits: probabilities take 4 values per order, backoffs 2 values and the two zeros */
    const char *q2 = test_tmp_path("q2.trie"), *q8 = test_tmp_path("q8.trie");
    lmp_ngram_trie_params tp2 = {2, 0}, tp8 = {8, 8};
    CHECK(lmp_ngram_write_trie(m, q2, &tp2, &err) == LMP_OK);
    CHECK(lmp_ngram_write_trie(m, q8, &tp8, &err) == LMP_OK);
    lmp_ngram *a = load(q2), *b = load(q8);
    CHECK(a && b);
    if (a && b) {
        lmp_ngram_info info;
        lmp_ngram_get_info(a, &info);
        CHECK(info.prob_bits == 2 && info.backoff_bits == 2);
        ng_src s;
        CHECK(ng_src_of_model(a, &s, &err) == LMP_OK);
        for (unsigned n = 2; n <= 4; n++) {
            float seen[64];
            unsigned ns = 0;
            int distinct_ok = 1;
            for (uint64_t i = 0; i < s.counts[n]; i++) {
                uint32_t ctx;
                lmp_token_id w;
                float pr, bo;
                s.entry(s.self, n, i, &ctx, &w, &pr, &bo);
                unsigned k = 0;
                while (k < ns && seen[k] != pr) k++;
                if (k == ns && ns < 64) seen[ns++] = pr;
            }
            if (ns > 4) distinct_ok = 0;
            CHECK_MSG(distinct_ok, "order %u: %u distinct quantised probabilities, expected at most 4", n, ns);
        }
        ng_src_release(&s);
        /* 8 bits on this small model: at most 256 values per order, which hold them all exactly */
        CHECK(same_scores(m, b, text));
        /* 2 bits: not exact, but the perplexity stays within a factor of 2 */
        lmp_ngram_stats sa, sm;
        CHECK(lmp_ngram_score_file(m, text, &sm, NULL, &err) == LMP_OK);
        CHECK(lmp_ngram_score_file(a, text, &sa, NULL, &err) == LMP_OK);
        double pa = lmp_ngram_stats_perplexity(&sa), pm = lmp_ngram_stats_perplexity(&sm);
        CHECK_MSG(pa > pm / 2 && pa < pm * 2, "2-bit perplexity %g vs exact %g", pa, pm);
    }
    lmp_ngram_trie_params bad = {25, 0}, bad2 = {0, 8}, bad3 = {8, 1};
    CHECK(lmp_ngram_write_trie(m, q2, &bad, &err) == LMP_EINVAL);
    CHECK(lmp_ngram_write_trie(m, q2, &bad2, &err) == LMP_EINVAL);
    CHECK(lmp_ngram_write_trie(m, q2, &bad3, &err) == LMP_EINVAL);
    lmp_ngram_free(a);
    lmp_ngram_free(b);
    lmp_ngram_free(m);
}

/* A copy of the binary model at src with the byte at `off` flipped (off < 0: the file cut to its
 * first -off bytes), at path. */
static int damaged_copy(const char *src, const char *path, long off)
{
    size_t len = 0;
    char *img = test_read_file(src, &len);
    const long n = (long)len;
    FILE *f = img && n > 0 ? fopen(path, "wb") : NULL;
    int ok = f != NULL;
    if (ok && off >= 0 && off < n) img[off] ^= 0x40;
    if (ok) ok = fwrite(img, 1, (size_t)(off < 0 ? -off : n), f) == (size_t)(off < 0 ? -off : n);
    if (f && fclose(f) != 0) ok = 0;
    free(img);
    return ok;
}

/* lmp_ngram_peek_tokens on a binary model (the word model at bin, hashed or trie) reads its header
 * and metadata section only: a damaged body is left to the loader, which then names the damage;
 * a damaged header or metadata section, or a cut file, is refused by the peek with the loader's
 * message. Before, the peek loaded (mapped and checked) the whole model, and the loader did it again. */
static void peek_binary(const char *bin)
{
    char dmg[600];
    snprintf(dmg, sizeof dmg, "%s.damaged", bin);
    lmp_error err = {0};
    lmp_ngram_tokens have;
    int peeked;
    lmp_ngram *m = NULL;
    ng_header h;
    size_t len = 0;
    char *img = test_read_file(bin, &len);
    const long n = (long)len;
    CHECK(img && n > (long)NG_HEADER_BYTES);
    if (!img || n <= (long)NG_HEADER_BYTES) {
        free(img);
        return;
    }
    memcpy(&h, img, sizeof h);
    free(img);
    /* the unigrams (their checksum is checked at every load) */
    CHECK(damaged_copy(bin, dmg, (long)h.sec[NG_SEC_UNI].off + 5));
    peeked = 0;
    have = LMP_NGRAM_TOKENS_UNKNOWN;
    CHECK(lmp_ngram_peek_tokens(dmg, LMP_NGRAM_TOKENS_WORD, &have, &peeked, &err) == LMP_OK);
    CHECK(have == LMP_NGRAM_TOKENS_WORD && peeked == 1);
    CHECK(lmp_ngram_peek_tokens(dmg, LMP_NGRAM_TOKENS_CHAR, &have, &peeked, &err) == LMP_EINVAL);
    CHECK(strstr(err.msg, "trained on word tokens") != NULL);
    CHECK(lmp_ngram_load(dmg, NULL, NULL, &m, &err) == LMP_EFORMAT && m == NULL);
    CHECK_MSG(strstr(err.msg, "(unigrams,") && strstr(err.msg, "checksum"), "%s", err.msg);
    /* the metadata section: the peek reads it, so it finds the damage, with the loader's message */
    CHECK(damaged_copy(bin, dmg, (long)h.sec[NG_SEC_META].off + 1));
    CHECK(lmp_ngram_peek_tokens(dmg, LMP_NGRAM_TOKENS_WORD, &have, &peeked, &err) == LMP_EFORMAT && peeked == 0);
    CHECK_MSG(strstr(err.msg, "(metadata,") && strstr(err.msg, "checksum"), "%s", err.msg);
    char peek_msg[sizeof err.msg];
    snprintf(peek_msg, sizeof peek_msg, "%s", err.msg);
    CHECK(lmp_ngram_load(dmg, NULL, NULL, &m, &err) == LMP_EFORMAT && strcmp(err.msg, peek_msg) == 0);
    /* the header's checksum, and a cut file (the header's file size) */
    CHECK(damaged_copy(bin, dmg, 100));
    CHECK(lmp_ngram_peek_tokens(dmg, LMP_NGRAM_TOKENS_WORD, &have, &peeked, &err) == LMP_EFORMAT);
    CHECK_MSG(strstr(err.msg, "header checksum") != NULL, "%s", err.msg);
    CHECK(damaged_copy(bin, dmg, -(n - 64)));
    CHECK(lmp_ngram_peek_tokens(dmg, LMP_NGRAM_TOKENS_WORD, &have, &peeked, &err) == LMP_EFORMAT);
    CHECK_MSG(strstr(err.msg, "truncated binary model") != NULL, "%s", err.msg);
    CHECK(damaged_copy(bin, dmg, -10));
    CHECK(lmp_ngram_peek_tokens(dmg, LMP_NGRAM_TOKENS_WORD, &have, &peeked, &err) == LMP_EFORMAT);
    CHECK_MSG(strstr(err.msg, "truncated binary model: the file ends at offset 10") != NULL, "%s", err.msg);
    remove(dmg);
}

/* A trained model in memory equals its ARPA file loaded; the ARPA carries the
 * metadata and the IRSTLM order; the binary layouts keep the metadata. */
static void test_from_train_and_meta(void)
{
    lmp_train_params p;
    lmp_train_params_init(&p);
    p.order = 3;
    p.min_count = 2;
    p.discount_fallback = 1;
    p.command = "lmprob train --order 3 \"x\ny\" \\ \x01";
    lmp_train_model *tm = NULL;
    lmp_error err = {0};
    CHECK(lmp_train_model_load("tests/fixtures/train_small.txt", &p, &tm, &err) == LMP_OK);
    if (!tm) return;
    lmp_ngram *m = NULL;
    CHECK(lmp_ngram_create_from_train(tm, &m, &err) == LMP_OK);
    const char *arpa = test_tmp_path("t.arpa");
    CHECK(lmp_train_write_arpa(tm, arpa, &err) == LMP_OK);
    lmp_train_model_free(tm);
    lmp_ngram *r = load(arpa);
    CHECK(m && r);
    if (!m || !r) {
        lmp_ngram_free(m);
        lmp_ngram_free(r);
        return;
    }
    CHECK(same_scores(m, r, "tests/fixtures/train_small.txt"));
    /* metadata: the same records in memory, through ARPA (escaped) and through both binary layouts */
    const char *bin = test_tmp_path("t.bin"), *trie = test_tmp_path("t.trie");
    CHECK(lmp_ngram_write_binary(r, bin, &err) == LMP_OK);
    CHECK(lmp_ngram_write_trie(r, trie, NULL, &err) == LMP_OK);
    lmp_ngram *b = load(bin), *t = load(trie);
    const lmp_ngram *all[] = {m, r, b, t};
    for (int i = 0; i < 4; i++) {
        if (!all[i]) {
            CHECK(all[i] != NULL);
            continue;
        }
        CHECK(lmp_ngram_get_tokens(all[i]) == LMP_NGRAM_TOKENS_WORD);
        const char *c = lmp_ngram_meta_get(all[i], LMP_NGRAM_META_COMMAND);
        CHECK_MSG(c && strcmp(c, p.command) == 0, "model %d: command '%s'", i, c ? c : "(none)");
        const char *v = lmp_ngram_meta_get(all[i], LMP_NGRAM_META_VOCAB);
        CHECK(v && strcmp(v, "min-count 2") == 0);
        const char *e = lmp_ngram_meta_get(all[i], LMP_NGRAM_META_ESTIMATOR);
        CHECK(e && strcmp(e, "mkn") == 0);
        CHECK_INT(lmp_ngram_meta_count(all[i]), 4);
        CHECK(lmp_ngram_meta_get(all[i], "nope") == NULL);
        CHECK(lmp_ngram_check_tokens(all[i], LMP_NGRAM_TOKENS_WORD, &err) == LMP_OK);
        CHECK(lmp_ngram_check_tokens(all[i], LMP_NGRAM_TOKENS_CHAR, &err) == LMP_EINVAL);
        CHECK(strstr(err.msg, "trained on word tokens") != NULL && strstr(err.msg, "--mode word") != NULL);
    }
    /* the ARPA: comment lines, escapes, then \data\ */
    char *txt = test_read_file(arpa, NULL);
    CHECK(txt && strncmp(txt, "# lmprob tokens: word\n# lmprob vocab: min-count 2\n", 50) == 0);
    CHECK(txt && strstr(txt, "# lmprob command: lmprob train --order 3 \"x\\ny\" \\\\ \\x01\n") != NULL);
    free(txt);
    /* set, replace, list; bad keys refused; a mapped binary gets a private copy */
    CHECK(lmp_ngram_meta_set(b, "note", "one", &err) == LMP_OK);
    CHECK(lmp_ngram_meta_set(b, "note", "two", &err) == LMP_OK);
    CHECK(strcmp(lmp_ngram_meta_get(b, "note"), "two") == 0);
    CHECK_INT(lmp_ngram_meta_count(b), 5);
    const char *k, *val;
    lmp_ngram_meta_at(b, 4, &k, &val);
    CHECK(k && strcmp(k, "note") == 0 && strcmp(val, "two") == 0);
    lmp_ngram_meta_at(b, 5, &k, &val);
    CHECK(k == NULL && val == NULL);
    CHECK(lmp_ngram_meta_set(b, "Bad Key", "x", &err) == LMP_EINVAL);
    CHECK(lmp_ngram_meta_set(b, "", "x", &err) == LMP_EINVAL);
    CHECK(strcmp(lmp_ngram_tokens_name(LMP_NGRAM_TOKENS_GPT2), "gpt2") == 0);
    CHECK(lmp_ngram_tokens_parse("byte") == LMP_NGRAM_TOKENS_BYTE);
    CHECK(lmp_ngram_tokens_parse("bpe") == LMP_NGRAM_TOKENS_UNKNOWN);
    /* the record read from the file's head alone: a body that does not parse is not read */
    const char *head = test_tmp_path("head.arpa");
    test_write_text(head, "# lmprob tokens: char\n\n\\data\\\nngram 1=3\n\n\\1-grams:\nnot ARPA\n");
    lmp_ngram_tokens have = LMP_NGRAM_TOKENS_WORD;
    int peeked = -1;
    CHECK(lmp_ngram_peek_tokens(head, LMP_NGRAM_TOKENS_UNKNOWN, &have, &peeked, &err) == LMP_OK);
    CHECK(have == LMP_NGRAM_TOKENS_CHAR && peeked == 1);
    CHECK(lmp_ngram_peek_tokens(head, LMP_NGRAM_TOKENS_CHAR, &have, NULL, &err) == LMP_OK);
    CHECK(lmp_ngram_peek_tokens(head, LMP_NGRAM_TOKENS_WORD, &have, NULL, &err) == LMP_EINVAL);
    CHECK(strstr(err.msg, "trained on char tokens") != NULL && strstr(err.msg, "--mode char") != NULL);
    lmp_ngram *hm = NULL;
    CHECK(lmp_ngram_load(head, NULL, NULL, &hm, &err) == LMP_EFORMAT && hm == NULL);
    CHECK(lmp_ngram_peek_tokens(bin, LMP_NGRAM_TOKENS_BYTE, &have, NULL, &err) == LMP_EINVAL && have == LMP_NGRAM_TOKENS_WORD);
    CHECK(lmp_ngram_peek_tokens(FIX "tiny.arpa", LMP_NGRAM_TOKENS_BYTE, &have, &peeked, &err) == LMP_OK);
    CHECK(have == LMP_NGRAM_TOKENS_UNKNOWN && peeked == 1); /* read: it has no record */
    CHECK(lmp_ngram_peek_tokens(test_tmp_path("nope.arpa"), LMP_NGRAM_TOKENS_WORD, &have, NULL, &err) == LMP_EIO);
    /* not a regular file (a pipe, a device): left unread for the loader, which reads it once */
    CHECK(lmp_ngram_peek_tokens("/dev/null", LMP_NGRAM_TOKENS_WORD, &have, &peeked, &err) == LMP_OK);
    CHECK(have == LMP_NGRAM_TOKENS_UNKNOWN && peeked == 0);
    peek_binary(bin);
    peek_binary(trie);
    /* an ARPA from another toolkit has no record: any mode is accepted */
    lmp_ngram *x = load(FIX "tiny.arpa");
    CHECK(x && lmp_ngram_get_tokens(x) == LMP_NGRAM_TOKENS_UNKNOWN && lmp_ngram_meta_count(x) == 0);
    CHECK(x && lmp_ngram_check_tokens(x, LMP_NGRAM_TOKENS_CHAR, &err) == LMP_OK);
    lmp_ngram_free(x);
    lmp_ngram_free(b);
    lmp_ngram_free(t);
    lmp_ngram_free(m);
    lmp_ngram_free(r);
}

/* Word positions of n-gram i of order n of a loaded ARPA (oldest first): its ids. */
static int context_sorted(const lmp_ngram *m)
{
    ng_src s;
    lmp_error err = {0};
    if (ng_src_of_model(m, &s, &err)) return 0;
    int ok = 1;
    for (unsigned n = 2; n <= s.order && ok; n++) {
        lmp_token_id prev[LMP_NGRAM_MAX_ORDER], cur[LMP_NGRAM_MAX_ORDER];
        for (uint64_t i = 0; i < s.counts[n] && ok; i++) {
            ng_src_words(&s, n, i, cur);
            if (i > 0) {
                int cmp = 0;
                for (unsigned j = 0; j < n && !cmp; j++) cmp = cur[j] < prev[j] ? -1 : cur[j] > prev[j];
                if (cmp <= 0) ok = 0;
            }
            memcpy(prev, cur, sizeof cur);
        }
    }
    ng_src_release(&s);
    return ok;
}

/* LMP_ARPA_ORDER_CONTEXT: each order in the lexicographic order of its words'
 * positions among the unigrams (what IRSTLM's compile-lm needs), the same model. */
static void test_arpa_orders(void)
{
    lmp_train_params p;
    lmp_train_params_init(&p);
    p.order = 4;
    p.discount_fallback = 1;
    lmp_train_model *tm = NULL;
    lmp_error err = {0};
    CHECK(lmp_train_model_load("tests/fixtures/train_small.txt", &p, &tm, &err) == LMP_OK);
    if (!tm) return;
    const char *a = test_tmp_path("ctx.arpa"), *k = test_tmp_path("keep.arpa"), *c2 = test_tmp_path("ctx2.arpa");
    CHECK(lmp_train_write_arpa(tm, a, &err) == LMP_OK);
    lmp_ngram *m = NULL;
    CHECK(lmp_ngram_create_from_train(tm, &m, &err) == LMP_OK);
    lmp_train_model_free(tm);
    lmp_ngram *ctx = load(a);
    CHECK(ctx && context_sorted(ctx));
    /* the training's own order (lmplz's suffix order) is not this one */
    CHECK(m && !context_sorted(m));
    if (m) {
        lmp_ngram_write_params wp = {LMP_ARPA_ORDER_KEEP, NULL, NULL};
        CHECK(lmp_ngram_write_arpa(m, k, &wp, &err) == LMP_OK);
        wp.order = LMP_ARPA_ORDER_CONTEXT;
        CHECK(lmp_ngram_write_arpa(m, c2, &wp, &err) == LMP_OK);
        char *x = test_read_file(a, NULL), *y = test_read_file(c2, NULL);
        CHECK(x && y && strcmp(x, y) == 0); /* one writer: train's file = the in-memory model's, sorted */
        free(x);
        free(y);
        lmp_ngram *kk = load(k);
        CHECK(kk && ctx && same_scores(kk, ctx, "tests/fixtures/train_small.txt"));
        lmp_ngram_free(kk);
        wp.order = (lmp_arpa_order)7;
        CHECK(lmp_ngram_write_arpa(m, k, &wp, &err) == LMP_EINVAL);
    }
    lmp_ngram_free(ctx);
    lmp_ngram_free(m);
}

/* Text before \data\ (Sphinx writes a sentence there) is skipped; lmprob's
 * "# lmprob" comments are metadata; a file that never reaches \data\ is refused. */
static void test_arpa_preamble(void)
{
    const char *p = test_tmp_path("pre.arpa");
    test_write_text(p, "This is an ARPA-format language model file, generated by CMU Sphinx\n"
                  "# a comment\n# lmprob tokens: char\n# lmprob note: a\\nb\\x41\\\\\n\n"
                  "\\data\\\nngram 1=3\n\n\\1-grams:\n-1\t<unk>\n-1\t<s>\n-0.5\t</s>\n\\end\\\n");
    lmp_ngram *m = load(p);
    CHECK(m != NULL);
    if (m) {
        CHECK(lmp_ngram_get_tokens(m) == LMP_NGRAM_TOKENS_CHAR);
        const char *note = lmp_ngram_meta_get(m, "note");
        CHECK_MSG(note && strcmp(note, "a\nbA\\") == 0, "note '%s'", note ? note : "(none)");
        CHECK_INT(lmp_ngram_vocab_size(m), 3);
    }
    lmp_ngram_free(m);
    lmp_error err = {0};
    test_write_text(p, "hello\nworld\n");
    CHECK(lmp_ngram_load(p, NULL, NULL, &m, &err) == LMP_EFORMAT);
    CHECK_MSG(strstr(err.msg, "pre.arpa:1: expected '\\data\\'") != NULL && strstr(err.msg, "'hello'") != NULL,
              "%s", err.msg);
}

/* Declared counts the file cannot hold are refused before anything is allocated. */
static void test_arpa_counts_bounded(void)
{
    const char *p = test_tmp_path("big.arpa");
    test_write_text(p, "\\data\\\nngram 1=2000000000\nngram 2=2000000000\n\n\\1-grams:\n-1\t<unk>\n-1\ta\n\\end\\\n");
    lmp_ngram *m = NULL;
    lmp_error err = {0};
    CHECK(lmp_ngram_load(p, NULL, NULL, &m, &err) == LMP_EFORMAT);
    CHECK_MSG(strstr(err.msg, "declares ngram 1=2000000000") != NULL && strstr(err.msg, "can hold at most") != NULL,
              "%s", err.msg);
    CHECK(m == NULL);
}

/* verify finds a flipped byte in every section of both binary layouts, naming it;
 * a load checks the small sections' checksums itself. */
/* pruned.arpa (its trie has blanks) as a hashed binary model into files[0] and a trie into files[1], named
 * <stem>.bin and <stem>.trie: copies of the names, since tmp_path's 8 rotating buffers are reused. 0 on success. */
static int write_pruned_binaries(const char *stem, char files[2][512])
{
    lmp_ngram *m = load(FIX "pruned.arpa");
    CHECK(m != NULL);
    if (!m) return -1;
    lmp_error err = {0};
    char name[64];
    snprintf(name, sizeof name, "%s.bin", stem);
    snprintf(files[0], 512, "%s", test_tmp_path(name));
    snprintf(name, sizeof name, "%s.trie", stem);
    snprintf(files[1], 512, "%s", test_tmp_path(name));
    int ok = lmp_ngram_write_binary(m, files[0], &err) == LMP_OK && lmp_ngram_write_trie(m, files[1], NULL, &err) == LMP_OK;
    CHECK_MSG(ok, "%s", err.msg);
    lmp_ngram_free(m);
    return ok ? 0 : -1;
}

static void test_verify_sections(void)
{
    char files[2][512];
    if (write_pruned_binaries("v", files)) return;
    for (int f = 0; f < 2; f++) {
        size_t len = 0;
        char *orig = test_read_file(files[f], &len);
        const long n = (long)len;
        if (!orig) continue;
        ng_header h;
        memcpy(&h, orig, sizeof h);
        char bad[512];
        snprintf(bad, sizeof bad, "%s", test_tmp_path("flip.bin"));
        for (unsigned i = 0; i < h.n_sections; i++) {
            if (h.sec[i].bytes == 0) continue;
            char name[64];
            ng_section_name(&h, i, name, sizeof name);
            char *c = malloc((size_t)n);
            memcpy(c, orig, (size_t)n);
            c[h.sec[i].off + h.sec[i].bytes / 2] ^= 0x10;
            FILE *o = fopen(bad, "wb");
            if (o) {
                fwrite(c, 1, (size_t)n, o);
                fclose(o);
            }
            free(c);
            lmp_error e = {0};
            CHECK_MSG(lmp_ngram_verify(bad, NULL, NULL, &e) == LMP_EFORMAT && strstr(e.msg, name) != NULL,
                      "%s: a flipped byte in section %u (%s): '%s'", files[f], i, name, e.msg);
            /* the sections a load reads whole are checked at every load */
            lmp_ngram *x = NULL;
            lmp_status st = lmp_ngram_load(bad, NULL, NULL, &x, &e);
            if (i < NG_SEC_COMMON) CHECK_MSG(st == LMP_EFORMAT, "%s: section %s not checked at load", files[f], name);
            else if (x) {
                /* a damaged body loads; scoring it gives wrong numbers, never a crash (ASan) */
                lmp_ngram_stats s;
                lmp_ngram_score_file(x, fixture_text(), &s, NULL, &e);
            }
            lmp_ngram_free(x);
        }
        /* every byte after the header outside the sections (the zero padding) is checked too:
         * before, a flipped byte there was "intact" */
        int padding = 0;
        for (long pos = NG_HEADER_BYTES; pos < n; pos++) {
            int inside = 0;
            for (unsigned i = 0; i < h.n_sections && !inside; i++)
                inside = (uint64_t)pos >= h.sec[i].off && (uint64_t)pos < h.sec[i].off + h.sec[i].bytes;
            if (inside) continue;
            padding++;
            orig[pos] ^= 0x01;
            FILE *o = fopen(bad, "wb");
            if (o) {
                fwrite(orig, 1, (size_t)n, o);
                fclose(o);
            }
            orig[pos] ^= 0x01;
            lmp_error e = {0};
            CHECK_MSG(lmp_ngram_verify(bad, NULL, NULL, &e) == LMP_EFORMAT && strstr(e.msg, "padding") != NULL,
                      "%s: a flipped padding byte at %ld: '%s'", files[f], pos, e.msg);
        }
        CHECK_MSG(padding > 0, "%s: no padding to check", files[f]);
        free(orig);
    }
}

/* Header fields whose sum or product with another wraps in 64 bits, under a valid header checksum: a vocabulary
 * table of vcap = its slots + 2^60 (vcap * 16 wrapped to the section's size, and the load's check of the table
 * read past the mapping) and a trie level whose blanks start at 2^64 - blanks (blank_at + blanks wrapped to 0,
 * and the blanks' pointer went 4 * blanks bytes before its section: model verify crashed). Both refused now. */
static void write_with_header(const char *out, char *file, size_t len, const ng_header *h)
{
    memcpy(file, h, sizeof *h);
    uint64_t sum = ng_header_checksum(file);
    memcpy(file + NG_HEADER_BYTES - 8, &sum, 8);
    CHECK(test_write_file(out, file, len) == 0);
}

static void test_header_wraps(void)
{
    char files[3][512];
    if (write_pruned_binaries("w", files)) return;
    snprintf(files[2], sizeof files[2], "%s", test_tmp_path("wrapped.bin"));
    lmp_error err = {0};
    for (int f = 0; f < 2; f++) {
        size_t len = 0;
        char *orig = test_read_file(files[f], &len);
        if (!orig) continue;
        ng_header h;
        memcpy(&h, orig, sizeof h);
        ng_header w = h;
        w.vcap += (uint64_t)1 << 60;
        CHECK(w.vcap * sizeof(ng_vslot) == h.vcap * sizeof(ng_vslot)); /* the wrap this case is about */
        write_with_header(files[2], orig, len, &w);
        lmp_ngram *x = NULL;
        lmp_status st = lmp_ngram_load(files[2], NULL, NULL, &x, &err);
        CHECK_MSG(st == LMP_EFORMAT && strstr(err.msg, "corrupt binary model header") != NULL,
                  "%s with vcap + 2^60: status %d, '%s'", files[f], (int)st, err.msg);
        lmp_ngram_free(x);
        if (f == 1) {
            ng_trie_params P;
            memcpy(&P, h.params, sizeof P);
            int levels = 0;
            for (unsigned L = 2; L <= h.order; L++) {
                if (P.level[L].blanks == 0) continue;
                levels++;
                ng_trie_params Q = P;
                Q.level[L].blank_at = 0 - Q.level[L].blanks; /* + blanks = 0 in 64 bits */
                w = h;
                memcpy(w.params, &Q, sizeof Q);
                write_with_header(files[2], orig, len, &w);
                x = NULL;
                st = lmp_ngram_load(files[2], NULL, NULL, &x, &err);
                CHECK_MSG(st == LMP_EFORMAT && strstr(err.msg, "blanks from") != NULL,
                          "level %u with blanks at 2^64 - %llu: status %d, '%s'", L,
                          (unsigned long long)P.level[L].blanks, (int)st, err.msg);
                lmp_ngram_free(x);
                st = lmp_ngram_verify(files[2], NULL, NULL, &err);
                CHECK_MSG(st == LMP_EFORMAT && strstr(err.msg, "blanks from") != NULL, "verify: '%s'", err.msg);
            }
            CHECK_MSG(levels > 0, "pruned.arpa's trie has no blanks to test");
        }
        free(orig);
    }
}

int main(int argc, char **argv)
{
    test_chdir_root(argv[0]);
    if (test_tmpdir_make("test_ngfmt") < 0) return 1;
    RUN(test_format_float);
    RUN(test_trie_exact);
    RUN(test_trie_quantised);
    RUN(test_from_train_and_meta);
    RUN(test_arpa_orders);
    RUN(test_arpa_preamble);
    RUN(test_arpa_counts_bounded);
    RUN(test_verify_sections);
    RUN(test_header_wraps);
    (void)argc;
    test_tmpdir_remove();
    return TEST_SUMMARY();
}
