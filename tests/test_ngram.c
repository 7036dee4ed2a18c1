/* n-gram model: hand-computed scores on tests/fixtures/model (see its README),
 * ARPA <-> binary round trips, the lm.h interface, and every documented error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "lmprob/ngram.h"
#include "test.h"
/* The scorer's padded hash and compare are checked against the plain ones. */
#include "../src/ngram/ngram_internal.h"

#define FIX "tests/fixtures/model/"
/* The fixture values are decimals stored as float32 (KenLM's precision): a
 * sum of four of them is within 4 * 2^-24 * 1.5 of the decimal value; 1e-6
 * absolute covers that with room and still catches any wrong backoff (>= 0.1). */
#define TOL 1e-6

static lmp_ngram *load(const char *path)
{
    lmp_error err = {0};
    lmp_ngram *m = NULL;
    lmp_status st = lmp_ngram_load(path, NULL, NULL, &m, &err);
    if (st) fprintf(stderr, "  load %s: %s\n", path, err.msg);
    return m;
}

/* Score a sentence of words token by token; fills the per-token values. */
static double score_sentence(const lmp_ngram *m, const char *const *w, size_t n, double *tok, unsigned *len)
{
    lmp_ngram_state a, b;
    lmp_ngram_state_begin(m, &a);
    double total = 0;
    for (size_t i = 0; i <= n; i++) {
        int32_t id = i < n ? lmp_ngram_vocab_index(m, w[i], strlen(w[i])) : lmp_ngram_eos(m);
        tok[i] = lmp_ngram_score(m, &a, id, &b, &len[i]);
        total += tok[i];
        a = b;
    }
    return total;
}

static void expect_error(const char *name, const char *text, lmp_status want, const char *needle);

static void check_tiny_scores(const lmp_ngram *m)
{
    double t[8];
    unsigned L[8];
    const char *s1[] = {"a", "b", "c"};
    CHECK_ABS(score_sentence(m, s1, 3, t, L), -1.25, TOL);
    CHECK_ABS(t[0], -0.3, TOL);
    CHECK_ABS(t[1], -0.1, TOL);
    CHECK_ABS(t[2], -0.15, TOL);
    CHECK_ABS(t[3], -0.7, TOL);
    CHECK_INT(L[0], 2);
    CHECK_INT(L[1], 3);
    CHECK_INT(L[2], 3);
    CHECK_INT(L[3], 1);
    const char *s2[] = {"b", "a"};
    CHECK_ABS(score_sentence(m, s2, 2, t, L), -3.1, TOL);
    CHECK_ABS(t[0], -1.3, TOL);
    CHECK_ABS(t[1], -0.8, TOL);
    CHECK_ABS(t[2], -1.0, TOL);
    CHECK_INT(L[0] + L[1] + L[2], 3);
    const char *s3[] = {"a", "zzz", "b"};
    CHECK_ABS(score_sentence(m, s3, 3, t, L), -3.0, TOL);
    CHECK_ABS(t[1], -1.4, TOL);
    CHECK_ABS(t[2], -0.8, TOL);
    CHECK_ABS(t[3], -0.5, TOL);
    CHECK_INT(L[3], 2);
    const char *s4[] = {"a", "a", "b"};
    CHECK_ABS(score_sentence(m, s4, 3, t, L), -2.15, TOL);
    CHECK_ABS(t[1], -0.7, TOL);
    CHECK_ABS(t[2], -0.4, TOL);
    CHECK_ABS(t[3], -0.75, TOL);
    CHECK_INT(L[1], 2);
    CHECK_INT(L[3], 2);
}

static void test_tiny_load(void)
{
    lmp_ngram *m = load(FIX "tiny.arpa");
    CHECK(m != NULL);
    if (!m) return;
    lmp_ngram_info info;
    lmp_ngram_get_info(m, &info);
    CHECK_INT(info.order, 3);
    CHECK_INT(info.counts[1], 6);
    CHECK_INT(info.counts[2], 5);
    CHECK_INT(info.counts[3], 2);
    CHECK_INT(info.vocab_size, 6);
    CHECK_INT(info.binary, 0);
    CHECK_INT(info.flags, 0);
    CHECK_INT(lmp_ngram_unk(m), 0);
    CHECK_INT(lmp_ngram_bos(m), 1);
    CHECK_INT(lmp_ngram_eos(m), 2);
    CHECK_INT(lmp_ngram_vocab_find(m, "c", 1), 5);
    CHECK_INT(lmp_ngram_vocab_find(m, "zzz", 3), -1);
    CHECK_INT(lmp_ngram_vocab_index(m, "zzz", 3), 0);
    CHECK(strcmp(lmp_ngram_word(m, 3), "a") == 0);
    CHECK(lmp_ngram_word(m, 6) == NULL);
    CHECK(lmp_ngram_word(m, -1) == NULL);
    lmp_ngram_free(m);
}

static void test_tiny_scores(void)
{
    lmp_ngram *m = load(FIX "tiny.arpa");
    CHECK(m != NULL);
    if (!m) return;
    check_tiny_scores(m);
    /* State minimisation: after "a b c" nothing can be extended (KenLM keeps length 0). */
    lmp_ngram_state a, b;
    const int32_t ctx[] = {1, 3, 4, 5};
    lmp_ngram_state_from(m, ctx, 4, &a);
    CHECK_INT(a.length, 0);
    /* After "<s> a": both "a" and "<s> a" can be extended. */
    lmp_ngram_state_from(m, ctx, 2, &b);
    CHECK_INT(b.length, 2);
    CHECK_INT(b.words[0], 3);
    CHECK_INT(b.words[1], 1);
    CHECK_ABS(b.backoff[1], -0.1, TOL);
    lmp_ngram_free(m);
}

typedef struct collect {
    double tok[64];
    unsigned len[64];
    int oov[64];
    size_t n;
    double sent[8];
    size_t ns;
} collect;

static void on_tok(void *c, const lmp_ngram_token *t)
{
    collect *k = c;
    if (k->n < 64) {
        k->tok[k->n] = t->log10_prob;
        k->len[k->n] = t->ngram_len;
        k->oov[k->n] = t->oov;
        k->n++;
    }
}

static void on_sent(void *c, const lmp_ngram_sentence *s)
{
    collect *k = c;
    if (k->ns < 8) k->sent[k->ns++] = s->log10_prob;
}

static void test_text_scoring(void)
{
    lmp_ngram *m = load(FIX "tiny.arpa");
    CHECK(m != NULL);
    if (!m) return;
    const char *text = "a b c\n\tb  a \r\na zzz b\n";
    const char *path = test_tmp_path("text.txt");
    test_write_text(path, text);
    lmp_ngram_stats s, s2 = {0};
    collect c = {0}, c2 = {0};
    lmp_ngram_callbacks cb = {on_tok, on_sent, NULL, &c}, cb2 = {on_tok, on_sent, NULL, &c2};
    lmp_error err = {0};
    CHECK(lmp_ngram_score_file(m, path, &s, &cb, &err) == LMP_OK);
    CHECK_INT(s.tokens, 11);
    CHECK_INT(s.oov, 1);
    CHECK_INT(s.sentences, 3);
    CHECK_INT(s.bytes, strlen(text));
    CHECK_ABS(s.log10_prob, -7.35, 4 * TOL);
    CHECK_ABS(s.log10_prob_oov, -1.4, TOL);
    /* Perplexity 10^(7.35/11) and 10^(5.95/10): relative error of the sums above over ~8. */
    CHECK_REL(lmp_ngram_stats_perplexity(&s), pow(10.0, 7.35 / 11), 1e-5);
    CHECK_REL(lmp_ngram_stats_perplexity_excl_oov(&s), pow(10.0, 0.595), 1e-5);
    CHECK_REL(lmp_ngram_stats_bits_per_token(&s), 7.35 / 11 * log2(10.0), 1e-5);
    CHECK_REL(lmp_ngram_stats_bits_per_byte(&s), 7.35 * log2(10.0) / (double)strlen(text), 1e-5);
    CHECK_INT(c.n, 11);
    CHECK_INT(c.ns, 3);
    CHECK_ABS(c.sent[1], -3.1, TOL);
    CHECK_INT(c.oov[5], 0);
    CHECK_INT(c.oov[8], 1);
    CHECK_ABS(c.tok[8], -1.4, TOL);
    /* The same lines through lmp_ngram_score_line and lmp_ngram_score_words: identical numbers. */
    lmp_ngram_score_line(m, "a b c", 5, &s2, &cb2);
    lmp_ngram_score_line(m, "\tb  a \r", 7, &s2, &cb2);
    const char *w[] = {"a", "zzz", "b"};
    size_t wl[] = {1, 3, 1};
    lmp_ngram_score_words(m, w, wl, 3, &s2, &cb2);
    CHECK_INT(s2.tokens, 11);
    CHECK_INT(s2.oov, 1);
    CHECK(s2.log10_prob == s.log10_prob);
    CHECK_INT(c2.n, 11);
    for (size_t i = 0; i < 11 && i < c2.n; i++) {
        CHECK(c2.tok[i] == c.tok[i]);
        CHECK_INT(c2.len[i], c.len[i]);
    }
    /* A last line without a newline is scored; its bytes are what the file has. */
    test_write_text(path, "a b c\nb a");
    CHECK(lmp_ngram_score_file(m, path, &s, NULL, &err) == LMP_OK);
    CHECK_INT(s.sentences, 2);
    CHECK_INT(s.bytes, 9);
    CHECK_ABS(s.log10_prob, -4.35, 2 * TOL);
    /* Every separator (space, tab, CR, NUL) across 16-byte blocks: the file scorer splits as the words say. */
    {
        static const char mixed[] = "a\tb  c\rzz\0a   b\t\tc a\r\rb c\0\0zz a b c\n";
        FILE *f = fopen(path, "wb");
        if (f) {
            fwrite(mixed, 1, sizeof mixed - 1, f);
            fclose(f);
        }
        const char *mw[] = {"a", "b", "c", "zz", "a", "b", "c", "a", "b", "c", "zz", "a", "b", "c"};
        size_t ml[14];
        for (int i = 0; i < 14; i++) ml[i] = strlen(mw[i]);
        lmp_ngram_stats sf, sw = {0};
        CHECK(lmp_ngram_score_file(m, path, &sf, NULL, &err) == LMP_OK);
        lmp_ngram_score_words(m, mw, ml, 14, &sw, NULL);
        CHECK_INT(sf.tokens, 15);
        CHECK_INT(sf.oov, 2);
        CHECK(sf.log10_prob == sw.log10_prob);
        CHECK_INT(sf.bytes, sizeof mixed - 1);
    }
    /* An empty line is "<s> </s>". */
    test_write_text(path, "\n");
    CHECK(lmp_ngram_score_file(m, path, &s, NULL, &err) == LMP_OK);
    CHECK_INT(s.tokens, 1);
    CHECK_ABS(s.log10_prob, -0.7 - 0.5, TOL);
    /* A long sentence (more words than one internal batch) agrees with the token-by-token sum. */
    size_t nw = 20000;
    char *big = malloc(nw * 2 + 2);
    const char **ww = malloc(nw * sizeof *ww);
    double *tt = malloc((nw + 1) * sizeof *tt);
    unsigned *ll = malloc((nw + 1) * sizeof *ll);
    if (big && ww && tt && ll) {
        for (size_t i = 0; i < nw; i++) {
            big[2 * i] = "abcz"[(i * 7 + i / 3) % 4];
            big[2 * i + 1] = ' ';
            ww[i] = i % 4 == 0 ? "a" : i % 4 == 1 ? "b" : i % 4 == 2 ? "c" : "zz";
        }
        big[2 * nw] = '\n';
        big[2 * nw + 1] = 0;
        test_write_text(path, big);
        CHECK(lmp_ngram_score_file(m, path, &s, NULL, &err) == LMP_OK);
        double want = 0;
        lmp_ngram_state a, b;
        lmp_ngram_state_begin(m, &a);
        for (size_t i = 0; i <= nw; i++) {
            int32_t id = i < nw ? lmp_ngram_vocab_index(m, big + 2 * i, 1) : lmp_ngram_eos(m);
            want += lmp_ngram_score(m, &a, id, &b, NULL);
            a = b;
        }
        CHECK_REL(s.log10_prob, want, 1e-12);
        CHECK_INT(s.tokens, nw + 1);
        lmp_ngram_stats s3 = {0};
        lmp_ngram_score_words(m, ww, NULL, 0, &s3, NULL);
        CHECK_INT(s3.tokens, 1);
    }
    free(big);
    free(ww);
    free(tt);
    free(ll);
    lmp_ngram_free(m);
}

static void test_round_trip(void)
{
    lmp_ngram *m = load(FIX "tiny.arpa");
    CHECK(m != NULL);
    if (!m) return;
    lmp_error err = {0};
    const char *bin = test_tmp_path("tiny.bin"), *arpa = test_tmp_path("tiny2.arpa"), *arpa2 = test_tmp_path("tiny3.arpa");
    CHECK(lmp_ngram_write_binary(m, bin, &err) == LMP_OK);
    CHECK(lmp_ngram_is_binary_file(bin) == 1);
    CHECK(lmp_ngram_is_binary_file(FIX "tiny.arpa") == 0);
    lmp_ngram *b = load(bin);
    CHECK(b != NULL);
    if (b) {
        lmp_ngram_info info;
        lmp_ngram_get_info(b, &info);
        CHECK_INT(info.binary, 1);
        CHECK_INT(info.counts[3], 2);
        check_tiny_scores(b);
        /* binary -> ARPA -> model: identical scores; ARPA -> ARPA is byte-identical. */
        CHECK(lmp_ngram_write_arpa(b, arpa, NULL, &err) == LMP_OK);
        lmp_ngram *c = load(arpa);
        CHECK(c != NULL);
        if (c) {
            check_tiny_scores(c);
            CHECK(lmp_ngram_write_arpa(c, arpa2, NULL, &err) == LMP_OK);
            lmp_ngram_free(c);
        }
        FILE *f1 = fopen(arpa, "rb"), *f2 = fopen(arpa2, "rb");
        CHECK(f1 && f2);
        if (f1 && f2) {
            int same = 1, a1, a2;
            do {
                a1 = fgetc(f1);
                a2 = fgetc(f2);
                if (a1 != a2) same = 0;
            } while (a1 != EOF && a2 != EOF);
            CHECK(same);
        }
        if (f1) fclose(f1);
        if (f2) fclose(f2);
        lmp_ngram_free(b);
    }
    lmp_ngram_free(m);
}

static void test_nounk_srilm(void)
{
    lmp_ngram *m = load(FIX "nounk.arpa");
    CHECK(m != NULL);
    if (!m) return;
    lmp_ngram_info info;
    lmp_ngram_get_info(m, &info);
    CHECK_INT(info.flags & LMP_NGRAM_UNK_ADDED, LMP_NGRAM_UNK_ADDED);
    CHECK_INT(info.vocab_size, 5);
    CHECK_INT(lmp_ngram_unk(m), 4);
    lmp_ngram_stats s = {0};
    lmp_ngram_score_line(m, "x y", 3, &s, NULL);
    CHECK_ABS(s.log10_prob, -0.1 - 0.2 - 0.5, TOL);
    lmp_ngram_score_line(m, "z", 1, &s, NULL);
    /* z: <unk> -100 + bo(<s>) -0.4; </s> from the empty state: -0.5 (float32 of -100.4: 4e-6 off) */
    CHECK_ABS(s.log10_prob, -0.8 - 100.9, 1e-5);
    CHECK_INT(s.oov, 1);
    lmp_ngram_free(m);
}

/* A pruned SRILM-style model: "x y z" is a trigram but its suffix "y z" is no
 * bigram. As KenLM, the missing suffix gets a blank entry with the backed-off
 * probability p(z) + bo(y) = -1.3, so "x y z" is still reached (KenLM's query
 * on this file prints the same numbers, see the fixture README). */
static void test_pruned_blanks(void)
{
    lmp_ngram *m = load(FIX "pruned.arpa");
    CHECK(m != NULL);
    if (!m) return;
    double t[8];
    unsigned L[8];
    const char *s1[] = {"x", "y", "z"};
    CHECK_ABS(score_sentence(m, s1, 3, t, L), -1.45, TOL);
    CHECK_ABS(t[1], -0.4, TOL);
    CHECK_ABS(t[2], -0.05, TOL);
    CHECK_INT(L[2], 3);
    const char *s2[] = {"y", "z"};
    CHECK_ABS(score_sentence(m, s2, 2, t, L), -3.1, TOL);
    CHECK_ABS(t[1], -1.3, TOL);
    CHECK_INT(L[1], 2);
    /* The blank is not an n-gram of the file: counts and the ARPA written back are unchanged. */
    lmp_ngram_info info;
    lmp_ngram_get_info(m, &info);
    CHECK_INT(info.counts[2], 2);
    lmp_error err = {0};
    const char *bin = test_tmp_path("pruned.bin"), *arpa = test_tmp_path("pruned2.arpa");
    CHECK(lmp_ngram_write_binary(m, bin, &err) == LMP_OK);
    CHECK(lmp_ngram_write_arpa(m, arpa, NULL, &err) == LMP_OK);
    lmp_ngram *b = load(bin), *c = load(arpa);
    CHECK(b && c);
    if (b && c) {
        CHECK_ABS(score_sentence(b, s1, 3, t, L), -1.45, TOL);
        CHECK_ABS(score_sentence(c, s1, 3, t, L), -1.45, TOL);
        lmp_ngram_get_info(c, &info);
        CHECK_INT(info.counts[2], 2);
    }
    lmp_ngram_free(b);
    lmp_ngram_free(c);
    lmp_ngram_free(m);
    /* A blank is not a context: an n-gram whose context exists only as a blank is refused. */
    expect_error("blankctx.arpa",
                     "\\data\\\nngram 1=5\nngram 2=1\nngram 3=2\n\n\\1-grams:\n-1\t<s>\t-0.5\n-1\t</s>\n"
                     "-1\tx\t-0.1\n-1\ty\t-0.1\n-1\tz\n\n\\2-grams:\n-0.5\tx y\t-0.2\n\n\\3-grams:\n"
                     "-0.2\tx y z\n-0.3\ty z z\n\n\\end\\\n",
                     LMP_EFORMAT, "context 'y z'");
}

/* Each bad file -> the expected status and a message naming file and line. */
static void expect_error(const char *name, const char *text, lmp_status want, const char *needle)
{
    const char *path = test_tmp_path(name);
    test_write_text(path, text);
    lmp_error err = {0};
    lmp_ngram *m = NULL;
    lmp_status st = lmp_ngram_load(path, NULL, NULL, &m, &err);
    CHECK_MSG(st == want, "%s: status %d, want %d (%s)", name, (int)st, (int)want, err.msg);
    CHECK(m == NULL);
    CHECK_MSG(strstr(err.msg, needle) != NULL, "%s: message '%s' lacks '%s'", name, err.msg, needle);
    CHECK_MSG(strstr(err.msg, path) != NULL, "%s: message '%s' lacks the file name", name, err.msg);
    lmp_ngram_free(m);
}

#define HEAD "\\data\\\nngram 1=3\nngram 2=1\n\n\\1-grams:\n-1\t<s>\t-0.5\n-1\t</s>\n-1\ta\t-0.1\n\n\\2-grams:\n"

static void test_arpa_errors(void)
{
    expect_error("count.arpa", HEAD "-0.5\t<s> a\n-0.5\ta </s>\n\n\\end\\\n", LMP_EFORMAT, ":12: ");
    expect_error("count2.arpa", "\\data\\\nngram 1=4\n\n\\1-grams:\n-1\t<s>\n-1\t</s>\n-1\ta\n\n\\end\\\n",
                 LMP_EFORMAT, "has 3 n-grams before '\\end\\'");
    expect_error("missing.arpa",
                 "\\data\\\nngram 1=3\nngram 2=1\n\n\\1-grams:\n-1\t<s>\n-1\t</s>\n-1\ta\n\n\\end\\\n",
                 LMP_EFORMAT, "\\2-grams:");
    /* no sentence marker: the end went unscored, or the first word had no context (KenLM refuses) */
    expect_error("noeos.arpa", "\\data\\\nngram 1=2\n\n\\1-grams:\n-99\t<s>\n-0.3\ta\n\n\\end\\\n", LMP_EFORMAT,
                 "no </s> among the 2 unigrams");
    expect_error("nobos.arpa", "\\data\\\nngram 1=2\n\n\\1-grams:\n-0.3\t</s>\n-0.3\ta\n\n\\end\\\n", LMP_EFORMAT,
                 "no <s> among");
    expect_error("positive.arpa", HEAD "0.5\t<s> a\n\n\\end\\\n", LMP_EFORMAT, "positive log10 probability");
    expect_error("positive1.arpa", "\\data\\\nngram 1=1\n\n\\1-grams:\n0.1\ta\n\\end\\\n", LMP_EFORMAT, ":5: ");
    expect_error("truncated.arpa", HEAD "-0.5\t<s> a\n", LMP_EFORMAT, "truncated");
    expect_error("truncated2.arpa", "\\data\\\nngram 1=3\nngram 2=1\n\n\\1-grams:\n-1\t<s>\n", LMP_EFORMAT,
                 "truncated");
    expect_error("garbage.arpa", "\x7f" "ELF\x02\x01\x01\x00\x00\x00\x00", LMP_EFORMAT, "binary data");
    expect_error("notarpa.arpa", "hello world\n", LMP_EFORMAT, "expected '\\data\\'");
    expect_error("empty.arpa", "", LMP_EFORMAT, "empty file");
    expect_error("kenlm.arpa", "mmap lm http://kheafield.com/code format version 5\n\0\0", LMP_EFORMAT,
                 "KenLM binary");
    expect_error("unkword.arpa", HEAD "-0.5\t<s> q\n\n\\end\\\n", LMP_EFORMAT, "word 'q'");
    expect_error("context.arpa",
                 "\\data\\\nngram 1=3\nngram 2=1\nngram 3=1\n\n\\1-grams:\n-1\t<s>\t-0.5\n-1\t</s>\n-1\ta\t-0.1\n\n"
                 "\\2-grams:\n-0.5\t<s> a\t0\n\n\\3-grams:\n-0.2\ta a a\n\n\\end\\\n",
                 LMP_EFORMAT, "context 'a a'");
    expect_error("dup.arpa",
                 "\\data\\\nngram 1=3\nngram 2=2\n\n\\1-grams:\n-1\t<s>\t-0.5\n-1\t</s>\n-1\ta\t-0.1\n\n"
                 "\\2-grams:\n-0.5\t<s> a\n-0.4\t<s> a\n\n\\end\\\n",
                 LMP_EFORMAT, "duplicate 2-gram '<s> a'");
    expect_error("dupword.arpa", "\\data\\\nngram 1=2\n\n\\1-grams:\n-1\ta\n-1\ta\n\n\\end\\\n", LMP_EFORMAT,
                 "appears twice");
    expect_error("order.arpa", "\\data\\\nngram 1=1\nngram 3=1\n", LMP_EFORMAT, "expected order 2");
    expect_error("big.arpa",
                 "\\data\\\nngram 1=1\nngram 2=1\nngram 3=1\nngram 4=1\nngram 5=1\nngram 6=1\nngram 7=1\n"
                 "ngram 8=1\nngram 9=1\n",
                 LMP_EUNSUPPORTED, "orders up to 8");
    expect_error("backoff.arpa", HEAD "-0.5\t<s> a\t-0.3\n\n\\end\\\n", LMP_EFORMAT, "highest order");
    expect_error("nan.arpa", HEAD "nan\t<s> a\n\n\\end\\\n", LMP_EFORMAT, "expected a number, got 'nan'");
    expect_error("fields.arpa", HEAD "-0.5\t<s> a\t0\textra\n\n\\end\\\n", LMP_EFORMAT, "optional backoff");
    expect_error("trailing.arpa", HEAD "-0.5\t<s> a\n\n\\end\\\nmore\n", LMP_EFORMAT, "after '\\end\\'");
    expect_error("undeclared.arpa", HEAD "-0.5\t<s> a\n\n\\3-grams:\n-1\t<s> a a\n\\end\\\n", LMP_EFORMAT,
                 "not declared");
    /* A missing file: LMP_EIO naming it. */
    lmp_error err = {0};
    lmp_ngram *m = NULL;
    CHECK(lmp_ngram_load(test_tmp_path("nope.arpa"), NULL, NULL, &m, &err) == LMP_EIO);
    CHECK(strstr(err.msg, "nope.arpa") != NULL);
}

static void test_gzip(void)
{
    /* A gzip-compressed ARPA file reads like the plain one. */
    FILE *f = fopen(FIX "tiny.arpa", "rb");
    CHECK(f != NULL);
    if (!f) return;
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    const char *gz = test_tmp_path("tiny.arpa.gz");
    gzFile g = gzopen(gz, "wb");
    CHECK(g != NULL);
    if (!g) return;
    gzwrite(g, buf, (unsigned)n);
    gzclose(g);
    lmp_ngram *m = load(gz);
    CHECK(m != NULL);
    if (m) check_tiny_scores(m);
    lmp_ngram_free(m);
    /* A truncated gzip file: an error, not a short model. */
    FILE *in = fopen(gz, "rb");
    char z[4096];
    size_t zn = in ? fread(z, 1, sizeof z, in) : 0;
    if (in) fclose(in);
    const char *cut = test_tmp_path("cut.arpa.gz");
    FILE *out = fopen(cut, "wb");
    if (out) {
        fwrite(z, 1, zn / 2, out);
        fclose(out);
    }
    lmp_error err = {0};
    m = NULL;
    CHECK(lmp_ngram_load(cut, NULL, NULL, &m, &err) == LMP_EFORMAT);
    CHECK_MSG(strstr(err.msg, "truncated") != NULL, "%s", err.msg);
    lmp_ngram_free(m);
}

static long file_size(const char *p)
{
    FILE *f = fopen(p, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

static void copy_prefix(const char *from, const char *to, long n, long patch_at, unsigned char patch)
{
    FILE *f = fopen(from, "rb");
    if (!f) return;
    char *buf = malloc((size_t)n);
    size_t got = buf ? fread(buf, 1, (size_t)n, f) : 0;
    fclose(f);
    if (patch_at >= 0 && (size_t)patch_at < got) buf[patch_at] = (char)patch;
    FILE *o = fopen(to, "wb");
    if (o) {
        fwrite(buf, 1, got, o);
        fclose(o);
    }
    free(buf);
}

/* ng_hash_str_padded and ng_same_padded (the scorer's text path: 8-byte loads
 * past a word's end, masked) give exactly ng_hash_str / ng_same for every
 * length, whatever bytes follow the word. Exact comparisons: the hash is
 * stored in the binary format. */
static void test_padded_hash(void)
{
    char buf[64], other[64];
    for (size_t n = 0; n <= 40; n++) {
        for (int trial = 0; trial < 4; trial++) {
            for (size_t i = 0; i < sizeof buf; i++) buf[i] = (char)(0x21 + (i * 37 + n * 11 + (size_t)trial * 5) % 90);
            memcpy(other, buf, sizeof buf);
            /* garbage after the word must not matter */
            for (size_t i = n; i < sizeof other; i++) other[i] = (char)(i * 13 + (size_t)trial);
            uint64_t h = ng_hash_str(buf, n);
            CHECK_MSG(ng_hash_str_padded(buf, n) == h, "n = %zu", n);
            CHECK_MSG(ng_hash_str_padded(other, n) == h, "n = %zu", n);
            /* room = bytes readable from the vocabulary side: exactly n (byte path) or more */
            CHECK(ng_same_padded(buf, other, n, n));
            CHECK(ng_same_padded(buf, other, n, n + 8));
            if (n > 0) {
                other[n - 1] ^= 1;
                CHECK(!ng_same_padded(buf, other, n, n));
                CHECK(!ng_same_padded(buf, other, n, n + 8));
                other[n - 1] ^= 1;
                other[0] ^= 0x40;
                CHECK(!ng_same_padded(buf, other, n, n + 8));
            }
        }
    }
}

static void test_binary_errors(void)
{
    lmp_ngram *m = load(FIX "tiny.arpa");
    CHECK(m != NULL);
    if (!m) return;
    lmp_error err = {0};
    const char *bin = test_tmp_path("e.bin");
    CHECK(lmp_ngram_write_binary(m, bin, &err) == LMP_OK);
    lmp_ngram_free(m);
    long n = file_size(bin);
    CHECK(n > 4096);
    const char *bad = test_tmp_path("bad.bin");
    struct {
        long keep, at;
        unsigned char val;
        lmp_status st;
        const char *needle;
    } cases[] = {
        {n - 100, -1, 0, LMP_EFORMAT, "truncated binary model: the file ends at offset"},
        {300, -1, 0, LMP_EFORMAT, "inside the 4096-byte header"},
        {n, 8, 9, LMP_EUNSUPPORTED, "version 9"},
        /* a file of the previous format (2: no section checksums, 512-byte header) */
        {n, 8, 2, LMP_EUNSUPPORTED,
         "binary model format version 2 (offset 8): this build reads version 3; re-create it with 'lmprob model "
         "convert"},
        {n, 12, 0, LMP_EUNSUPPORTED, "byte order"},
        {n, 30, 0x55, LMP_EFORMAT, "checksum"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        copy_prefix(bin, bad, cases[i].keep, cases[i].at, cases[i].val);
        lmp_error e2 = {0};
        lmp_ngram *b = NULL;
        lmp_status st = lmp_ngram_load(bad, NULL, NULL, &b, &e2);
        CHECK_MSG(st == cases[i].st, "case %zu: status %d (%s)", i, (int)st, e2.msg);
        CHECK_MSG(strstr(e2.msg, cases[i].needle) != NULL, "case %zu: '%s' lacks '%s'", i, e2.msg, cases[i].needle);
        CHECK(strstr(e2.msg, bad) != NULL);
        CHECK(b == NULL);
        lmp_ngram_free(b);
    }
    /* Corrupt vocabulary offsets after a valid header: caught at load by the
     * section's checksum (the small sections are checked at every load). */
    FILE *f = fopen(bin, "rb");
    unsigned char hdr[4096];
    size_t got = f ? fread(hdr, 1, 4096, f) : 0;
    if (f) fclose(f);
    CHECK_INT(got, 4096);
    uint64_t off_stroff;
    memcpy(&off_stroff, hdr + 744 + 24 * 2, 8); /* section 2: word offsets */
    copy_prefix(bin, bad, n, (long)off_stroff + 8, 0xff);
    lmp_ngram *b = NULL;
    CHECK(lmp_ngram_load(bad, NULL, NULL, &b, &err) == LMP_EFORMAT);
    CHECK_MSG(strstr(err.msg, "corrupt binary model at offset") != NULL && strstr(err.msg, "word offsets") != NULL,
              "%s", err.msg);
    lmp_ngram_free(b);
    /* A table size that is not whole probe groups, with a valid header checksum:
     * refused (the group probe would read past the table). caps[2] is at 152 + 2 * 8. */
    {
        unsigned char h2[4096];
        memcpy(h2, hdr, 4096);
        uint64_t cap2;
        memcpy(&cap2, h2 + 168, 8);
        CHECK(cap2 % 4 == 0);
        cap2 -= 1;
        memcpy(h2 + 168, &cap2, 8);
        uint64_t sum = 0xcbf29ce484222325ULL;
        for (int i = 0; i < 4088; i++) sum = (sum ^ h2[i]) * 0x100000001b3ULL;
        memcpy(h2 + 4088, &sum, 8);
        copy_prefix(bin, bad, n, -1, 0);
        FILE *o = fopen(bad, "r+b");
        CHECK(o != NULL);
        if (o) {
            CHECK(fwrite(h2, 1, 4096, o) == 4096);
            fclose(o);
        }
        b = NULL;
        CHECK(lmp_ngram_load(bad, NULL, NULL, &b, &err) == LMP_EFORMAT);
        CHECK_MSG(strstr(err.msg, "order 2:") != NULL && strstr(err.msg, "slots") != NULL, "%s", err.msg);
        CHECK(b == NULL);
        lmp_ngram_free(b);
    }
    /* Writing a binary to stdout is refused. */
    m = load(FIX "tiny.arpa");
    if (m) CHECK(lmp_ngram_write_binary(m, "-", &err) == LMP_EINVAL);
    lmp_ngram_free(m);
    lmp_ngram_free(NULL);
}

/* A NULL word, context, line, word array or accumulator with a length above 0: LMP_TOKEN_NONE (<unk> from
 * vocab_index), nothing done by the void functions (each crashed before). */
static void test_null_arrays(void)
{
    lmp_ngram *m = load(FIX "tiny.arpa");
    CHECK(m != NULL);
    if (!m) return;
    const lmp_token_id ctx[2] = {1, 3};
    const char *w[1] = {"a"};
    size_t len[1] = {1};
    lmp_ngram_stats acc;
    memset(&acc, 0, sizeof acc);
    lmp_ngram_state s, before;
    lmp_ngram_state_null(&s);
    before = s;
    CHECK(lmp_ngram_vocab_find(m, NULL, 3) == LMP_TOKEN_NONE);
    CHECK(lmp_ngram_vocab_index(m, NULL, 3) == lmp_ngram_vocab_index(m, "zzz", 3)); /* <unk> */
    lmp_ngram_state_from(m, NULL, 2, &s);
    lmp_ngram_state_from(m, ctx, 2, NULL);
    CHECK(memcmp(&s, &before, sizeof s) == 0);
    lmp_ngram_score_line(m, NULL, 3, &acc, NULL);
    lmp_ngram_score_line(m, "a b", 3, NULL, NULL);
    lmp_ngram_score_words(m, NULL, len, 1, &acc, NULL);
    lmp_ngram_score_words(m, w, NULL, 1, &acc, NULL);
    lmp_ngram_score_words(m, w, len, 1, NULL, NULL);
    CHECK(acc.sentences == 0 && acc.tokens == 0);
    lmp_ngram_score_words(m, NULL, NULL, 0, &acc, NULL); /* an empty sentence: <s> </s>, as before */
    CHECK(acc.sentences == 1 && acc.tokens == 1);
    lmp_ngram_free(m);
}

int main(int argc, char **argv)
{
    test_chdir_root(argv[0]);
    (void)argc;
    if (test_tmpdir_make("test_ngram") < 0) return 1;
    RUN(test_tiny_load);
    RUN(test_tiny_scores);
    RUN(test_text_scoring);
    RUN(test_round_trip);
    RUN(test_nounk_srilm);
    RUN(test_pruned_blanks);
    RUN(test_arpa_errors);
    RUN(test_gzip);
    RUN(test_binary_errors);
    RUN(test_padded_hash);
    RUN(test_null_arrays);
    test_tmpdir_remove();
    return TEST_SUMMARY();
}
