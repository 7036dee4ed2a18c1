/* The model tools (include/lmprob/ngram_tools.h): EM weights on a case with a
 * closed-form answer, the merged mixture (normalised, exact on the union,
 * equal to a model given weight 1), relative-entropy pruning on a hand-made
 * bigram model whose numbers are worked out in docs/ngram-toolkit.md (and
 * against the relative entropy summed over the vocabulary), filtering, and
 * bad arguments. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lmprob/ngram.h"
#include "lmprob/ngram_tools.h"
#include "lmprob/ngram_train.h"
#include "test.h"

static lmp_ngram *load_text(const char *name, const char *text)
{
    test_write_text(test_tmp_path(name), text);
    lmp_error err = {0};
    lmp_ngram *m = NULL;
    if (lmp_ngram_load(test_tmp_path(name), NULL, NULL, &m, &err)) fprintf(stderr, "  load %s: %s\n", name, err.msg);
    return m;
}

/* Write a tool's model and load it back, as a user of the CLI gets it. */
static lmp_ngram *reload(const lmp_train_model *t, const char *name)
{
    lmp_error err = {0};
    lmp_ngram *m = NULL;
    if (lmp_train_write_arpa(t, test_tmp_path(name), &err) || lmp_ngram_load(test_tmp_path(name), NULL, NULL, &m, &err))
        fprintf(stderr, "  reload %s: %s\n", name, err.msg);
    return m;
}

static double prob(const lmp_ngram *m, const char *const *h, size_t nh, const char *w)
{
    int32_t ctx[8];
    for (size_t i = 0; i < nh; i++) ctx[i] = lmp_ngram_vocab_index(m, h[i], strlen(h[i]));
    lmp_ngram_state s, o;
    lmp_ngram_state_from(m, ctx, nh, &s);
    return pow(10.0, lmp_ngram_score(m, &s, lmp_ngram_vocab_index(m, w, strlen(w)), &o, NULL));
}

/* ---- EM --------------------------------------------------------------------------------- */

/* Two unigram models over x, y: A gives x .5, y .25, B x .25, y .5, both </s> .25.
 * On n_x x's and n_y y's the log-likelihood n_x log(.25 + .25 l) + n_y log(.5 - .25 l)
 * of A's weight l is largest at l = (2 n_x - n_y) / (n_x + n_y): 6/9 for 5 and 4
 * (</s> is .25 under both, so it does not move l). */
static const char *UNI_A = "\\data\\\nngram 1=5\n\n\\1-grams:\n-99\t<unk>\n-99\t<s>\n-0.60205999\t</s>\n"
                           "-0.30103\tx\n-0.60205999\ty\n\n\\end\\\n";
static const char *UNI_B = "\\data\\\nngram 1=5\n\n\\1-grams:\n-99\t<unk>\n-99\t<s>\n-0.60205999\t</s>\n"
                           "-0.60205999\tx\n-0.30103\ty\n\n\\end\\\n";

static void test_em_known_answer(void)
{
    lmp_ngram *a = load_text("a.arpa", UNI_A), *b = load_text("b.arpa", UNI_B);
    CHECK(a && b);
    if (!a || !b) return;
    test_write_text(test_tmp_path("held.txt"), "x y x y\nx x y\ny x\n");
    const lmp_ngram *g[2] = {a, b};
    double w[2] = {0.5, 0.5};
    lmp_ngram_mix_em_info info;
    lmp_error err = {0};
    CHECK_INT(lmp_ngram_mix_em(g, 2, test_tmp_path("held.txt"), w, 1e-12, 100000, &info, &err), LMP_OK);
    /* EM converges linearly; at tol 1e-12 the weights are within ~1e-9 of the optimum
     * (the ARPA's 8-digit log10 .5 and .25 move it by ~1e-8) */
    CHECK_ABS(w[0], 2.0 / 3.0, 1e-7);
    CHECK_ABS(w[1], 1.0 / 3.0, 1e-7);
    CHECK(info.converged);
    CHECK_INT(info.tokens, 12); /* 9 words and 3 </s> */
    /* the likelihood at the optimum: 5 log(.25 + .25 * 2/3) + 4 log(.5 - .25 * 2/3) + 3 log .25 */
    double want = 5 * log10(0.25 + 0.25 * 2 / 3.0) + 4 * log10(0.5 - 0.25 * 2 / 3.0) + 3 * log10(0.25);
    CHECK_ABS(info.log10_prob, want, 1e-6);
    /* another start, same answer */
    w[0] = 0.05, w[1] = 0.95;
    CHECK_INT(lmp_ngram_mix_em(g, 2, test_tmp_path("held.txt"), w, 1e-12, 100000, &info, &err), LMP_OK);
    CHECK_ABS(w[0], 2.0 / 3.0, 1e-7);
    /* only x's: l = 1 is the maximum, EM heads there */
    test_write_text(test_tmp_path("xonly.txt"), "x x x\n");
    w[0] = w[1] = 0.5;
    CHECK_INT(lmp_ngram_mix_em(g, 2, test_tmp_path("xonly.txt"), w, 1e-9, 1000000, &info, &err), LMP_OK);
    CHECK(w[0] > 0.999);
    /* the merged unigram model holds the exact mixture */
    w[0] = 2.0 / 3.0, w[1] = 1.0 / 3.0;
    lmp_train_model *mm = NULL;
    CHECK_INT(lmp_train_model_create_mix(g, w, 2, &mm, &err), LMP_OK);
    const char *x[1] = {"x"};
    double lp;
    CHECK(lmp_train_lookup(mm, x, 1, &lp, NULL) == 0);
    CHECK_ABS(lp, log10(2.0 / 3.0 * 0.5 + 1.0 / 3.0 * 0.25), 1e-7); /* float model values */
    lmp_train_model_free(mm);
    /* bad arguments */
    double bad[2] = {0.7, 0.7};
    CHECK_INT(lmp_ngram_mix_em(g, 2, test_tmp_path("held.txt"), bad, 1e-9, 10, &info, &err), LMP_EINVAL);
    CHECK(strstr(err.msg, "sum to") != NULL);
    double zero[2] = {1.0, 0.0};
    CHECK_INT(lmp_ngram_mix_em(g, 2, test_tmp_path("held.txt"), zero, 1e-9, 10, &info, &err), LMP_EINVAL);
    CHECK_INT(lmp_ngram_mix_em(g, 2, test_tmp_path("missing.txt"), w, 1e-9, 10, &info, &err), LMP_EIO);
    CHECK(strstr(err.msg, "missing.txt") != NULL);
    lmp_ngram_free(a);
    lmp_ngram_free(b);
}

/* ---- merged model ------------------------------------------------------------------------ */

static const char *TEXT_A = "the cat sat on the mat\nthe dog sat\na cat ran on a mat\nthe mat\n";
static const char *TEXT_B = "a dog ran\nthe dog ate the bone\na bone on the mat\ndog eat dog\n";

static lmp_ngram *train_model(const char *name, const char *text, unsigned order)
{
    test_write_text(test_tmp_path(name), text);
    lmp_train_params p;
    lmp_train_params_init(&p);
    p.order = order;
    p.estimator = LMP_EST_WB; /* any estimator with backoffs; no discounts to estimate on tiny data */
    lmp_train_model *t = NULL;
    lmp_error err = {0};
    if (lmp_train_model_load(test_tmp_path(name), &p, &t, &err)) {
        fprintf(stderr, "  train %s: %s\n", name, err.msg);
        return NULL;
    }
    char an[64];
    snprintf(an, sizeof an, "%s.arpa", name);
    lmp_ngram *m = reload(t, an);
    lmp_train_model_free(t);
    return m;
}

static void test_merge(void)
{
    lmp_ngram *a = train_model("ta.txt", TEXT_A, 3), *b = train_model("tb.txt", TEXT_B, 2);
    CHECK(a && b);
    if (!a || !b) return;
    const lmp_ngram *g[2] = {a, b};
    const double w[2] = {0.3, 0.7};
    lmp_error err = {0};
    lmp_train_model *t = NULL;
    CHECK_INT(lmp_train_model_create_mix(g, w, 2, &t, &err), LMP_OK);
    lmp_ngram *m = reload(t, "merged.arpa");
    lmp_train_model_free(t);
    CHECK(m != NULL);
    if (!m) return;
    CHECK_INT(lmp_ngram_order(m), 3);
    /* union vocabulary: words of both */
    CHECK(lmp_ngram_vocab_find(m, "bone", 4) >= 0 && lmp_ngram_vocab_find(m, "cat", 3) >= 0);
    /* every context's distribution sums to one, and each n-gram of the union has the
     * exact mixture's probability; a word unseen after its context need not */
    const char *ctxs[][2] = {{"the", NULL}, {"a", NULL}, {"dog", NULL}, {"<s>", NULL}, {"the", "cat"}, {"<s>", "the"},
                             {"on", "the"}, {"zebra", NULL}};
    size_t nv = lmp_ngram_vocab_size(m);
    int exact = 0, differ = 0;
    for (size_t c = 0; c < sizeof ctxs / sizeof ctxs[0]; c++) {
        size_t nh = ctxs[c][1] ? 2 : 1;
        double sum = 0;
        for (size_t v = 0; v < nv; v++) {
            const char *word = lmp_ngram_word(m, (int32_t)v);
            if (strcmp(word, "<s>") == 0) continue;
            double pm = prob(m, ctxs[c], nh, word);
            sum += pm;
            double pa = lmp_ngram_vocab_find(a, word, strlen(word)) >= 0 ? prob(a, ctxs[c], nh, word) : 0.0;
            double pb = lmp_ngram_vocab_find(b, word, strlen(word)) >= 0 ? prob(b, ctxs[c], nh, word) : 0.0;
            double mix = w[0] * pa + w[1] * pb;
            /* is "h w" (or its bigram suffix) an n-gram of either model? Then it is in the union
             * with the mixture's value. */
            int32_t ids[3];
            for (size_t j = 0; j < nh; j++) ids[j] = lmp_ngram_vocab_index(m, ctxs[c][j], strlen(ctxs[c][j]));
            ids[nh] = (int32_t)v;
            lmp_ngram_state s, o;
            lmp_ngram_state_from(m, ids, nh, &s);
            unsigned len;
            lmp_ngram_score(m, &s, (int32_t)v, &o, &len);
            if (len == nh + 1) {
                /* float model values: 8-digit ARPA and float32 sums, ~1e-6 relative */
                CHECK_MSG(fabs(pm - mix) <= 2e-6 * mix, "%s %s: merged %.9g mixture %.9g", ctxs[c][nh - 1], word, pm, mix);
                exact++;
            } else if (fabs(pm - mix) > 1e-4 * mix) {
                differ++;
            }
        }
        CHECK_MSG(fabs(sum - 1.0) < 1e-5, "context %zu: sum %.9g", c, sum);
    }
    CHECK(exact > 20);
    CHECK(differ > 5); /* the documented difference exists here */
    lmp_ngram_free(m);
    /* weights 1, 0: the merged model is model A again, everywhere */
    const double w10[2] = {1.0, 0.0};
    CHECK_INT(lmp_train_model_create_mix(g, w10, 2, &t, &err), LMP_OK);
    m = reload(t, "merged10.arpa");
    lmp_train_model_free(t);
    CHECK(m != NULL);
    if (!m) return;
    test_write_text(test_tmp_path("eval.txt"), "the cat ran on the mat\na dog sat on a bone\nthe cat\n");
    lmp_ngram_stats sa, sm, sf;
    CHECK_INT(lmp_ngram_score_file(a, test_tmp_path("eval.txt"), &sa, NULL, &err), LMP_OK);
    CHECK_INT(lmp_ngram_score_file(m, test_tmp_path("eval.txt"), &sm, NULL, &err), LMP_OK);
    CHECK_INT(lmp_ngram_mix_score_file(g, w10, 2, test_tmp_path("eval.txt"), &sf, &err), LMP_OK);
    /* words of B only ("bone") get 0 from A: -inf under A's mixture; A itself scores them as <unk> */
    CHECK(isinf(sf.log10_prob));
    test_write_text(test_tmp_path("eval2.txt"), "the cat ran on the mat\na dog sat on a mat\nthe cat\n");
    CHECK_INT(lmp_ngram_score_file(a, test_tmp_path("eval2.txt"), &sa, NULL, &err), LMP_OK);
    CHECK_INT(lmp_ngram_score_file(m, test_tmp_path("eval2.txt"), &sm, NULL, &err), LMP_OK);
    CHECK_INT(lmp_ngram_mix_score_file(g, w10, 2, test_tmp_path("eval2.txt"), &sf, &err), LMP_OK);
    CHECK_ABS(sm.log10_prob, sa.log10_prob, 1e-5);
    CHECK_ABS(sf.log10_prob, sa.log10_prob, 1e-5);
    CHECK_INT(sf.tokens, sa.tokens);
    lmp_ngram_free(m);
    lmp_ngram_free(a);
    lmp_ngram_free(b);
}

/* ---- pruning ------------------------------------------------------------------------------- */

/* A bigram model by hand: unigrams <unk> .1, </s> .3, a .4, b .2; p(b|a) = .5, p(</s>|a) = .3,
 * p(a|<s>) = .6, p(a|b) = .45, each backoff the one that normalises (.4, 2/3, .55/.6).
 * Stolcke's D for each bigram (docs/ngram-toolkit.md works them out):
 *   a b .0477528, a </s> .0089888, <s> a .0105655, b a .00044699;
 * perplexity changes 10^D - 1: .1162, .02091, .02463, .001030. */
static const char *HAND = "\\data\\\nngram 1=5\nngram 2=4\n\n\\1-grams:\n"
                          "-1\t<unk>\t0\n-99\t<s>\t-0.17609126\n-0.52287875\t</s>\t0\n-0.39794001\ta\t-0.39794001\n"
                          "-0.69897\tb\t-0.037788561\n\n\\2-grams:\n"
                          "-0.30103\ta b\n-0.52287875\ta </s>\n-0.22184875\t<s> a\n-0.34678749\tb a\n\n\\end\\\n";

static void test_prune_hand(void)
{
    lmp_ngram *g = load_text("hand.arpa", HAND);
    CHECK(g != NULL);
    if (!g) return;
    lmp_error err = {0};
    lmp_train_model *t = NULL;
    lmp_ngram_prune_info info;
    /* between b a's .00103 and the next, .0209: only "b a" goes */
    CHECK_INT(lmp_train_model_create_pruned(g, 0.005, 2, &t, &info, &err), LMP_OK);
    CHECK_INT(info.before[2], 4);
    CHECK_INT(info.after[2], 3);
    /* the hand value, to the 8 digits of the ARPA numbers */
    CHECK_ABS(info.delta_h10, 0.00044698532, 2e-9);
    CHECK_ABS(info.ppl_change, 0.0010297516, 5e-9);
    const char *ba[2] = {"b", "a"}, *bb[1] = {"b"}, *aa[1] = {"a"};
    double lp, lb;
    CHECK(lmp_train_lookup(t, ba, 2, &lp, &lb) == -1);
    CHECK(lmp_train_lookup(t, bb, 1, &lp, &lb) == 0);
    CHECK_ABS(lb, 0.0, 1e-12); /* b is no context any more: backoff 1 */
    CHECK(lmp_train_lookup(t, aa, 1, &lp, &lb) == 0);
    CHECK_ABS(lb, log10(0.4), 1e-7); /* untouched */
    /* D is p(h) times the relative entropy of p(.|h) before and after: summed over the vocabulary */
    lmp_ngram *p = reload(t, "hand.pruned.arpa");
    lmp_train_model_free(t);
    CHECK(p != NULL);
    if (!p) return;
    const char *vocab[] = {"<unk>", "</s>", "a", "b"};
    double kl = 0;
    for (int i = 0; i < 4; i++) {
        double p0 = prob(g, bb, 1, vocab[i]), p1 = prob(p, bb, 1, vocab[i]);
        kl += p0 * log10(p0 / p1);
    }
    CHECK_ABS(0.2 * kl, info.delta_h10, 1e-7); /* p(b) = .2; float model values */
    lmp_ngram_free(p);
    /* .022: "a </s>" (.0209) goes too, "<s> a" (.0246) stays; a's backoff becomes (1 - .5) / (1 - .2) */
    CHECK_INT(lmp_train_model_create_pruned(g, 0.022, 2, &t, &info, &err), LMP_OK);
    CHECK_INT(info.after[2], 2);
    CHECK_ABS(info.delta_h10, 0.00044698532 + 0.0089887958, 2e-8);
    CHECK(lmp_train_lookup(t, aa, 1, &lp, &lb) == 0);
    CHECK_ABS(lb, log10(0.625), 1e-7);
    lmp_train_model_free(t);
    /* a huge threshold removes every bigram, a tiny one none */
    CHECK_INT(lmp_train_model_create_pruned(g, 1.0, 2, &t, &info, &err), LMP_OK);
    CHECK_INT(info.after[2], 0);
    lmp_train_model_free(t);
    CHECK_INT(lmp_train_model_create_pruned(g, 1e-9, 2, &t, &info, &err), LMP_OK);
    CHECK_INT(info.after[2], 4);
    CHECK_ABS(info.delta_h10, 0.0, 0.0);
    lmp_train_model_free(t);
    /* bad arguments */
    CHECK_INT(lmp_train_model_create_pruned(g, 0.0, 2, &t, &info, &err), LMP_EINVAL);
    CHECK(t == NULL);
    CHECK_INT(lmp_train_model_create_pruned(g, NAN, 2, &t, &info, &err), LMP_EINVAL);
    CHECK_INT(lmp_train_model_create_pruned(g, 1e-6, 1, &t, &info, &err), LMP_EINVAL);
    lmp_ngram_free(g);
}

/* A trigram model pruned: contexts of kept trigrams stay, and the result is normalised. */
static void test_prune_trigram(void)
{
    lmp_ngram *g = train_model("tp.txt", TEXT_A, 3);
    CHECK(g != NULL);
    if (!g) return;
    lmp_error err = {0};
    lmp_train_model *t = NULL;
    lmp_ngram_prune_info info;
    /* at .03 no trigram is left and bigrams go too */
    CHECK_INT(lmp_train_model_create_pruned(g, 0.03, 2, &t, &info, &err), LMP_OK);
    CHECK_INT(info.after[3], 0);
    CHECK(info.after[2] < info.before[2]);
    lmp_train_model_free(t);
    /* at .005 some trigrams stay, and so do their contexts (every bigram here is one) */
    CHECK_INT(lmp_train_model_create_pruned(g, 0.005, 2, &t, &info, &err), LMP_OK);
    CHECK(info.after[3] < info.before[3] && info.after[3] > 0);
    CHECK_INT(info.after[2], info.before[2]);
    /* --min-order 3 leaves the bigrams alone whatever the threshold */
    lmp_train_model *t3 = NULL;
    lmp_ngram_prune_info i3;
    CHECK_INT(lmp_train_model_create_pruned(g, 0.5, 3, &t3, &i3, &err), LMP_OK);
    CHECK_INT(i3.after[2], i3.before[2]);
    CHECK_INT(i3.after[3], 0);
    lmp_train_model_free(t3);
    lmp_ngram *p = reload(t, "tp.pruned.arpa");
    lmp_train_model_free(t);
    CHECK(p != NULL); /* the reader demands every trigram's context: kept */
    if (!p) return;
    const char *ctxs[][2] = {{"the", "cat"}, {"<s>", "the"}, {"the", NULL}, {"sat", NULL}};
    for (size_t c = 0; c < 4; c++) {
        double sum = 0;
        for (size_t v = 0; v < lmp_ngram_vocab_size(p); v++) {
            const char *word = lmp_ngram_word(p, (int32_t)v);
            if (strcmp(word, "<s>") != 0) sum += prob(p, ctxs[c], ctxs[c][1] ? 2 : 1, word);
        }
        CHECK_MSG(fabs(sum - 1.0) < 1e-5, "context %zu: sum %.9g", c, sum);
    }
    lmp_ngram_free(p);
    lmp_ngram_free(g);
}

/* ---- filtering ------------------------------------------------------------------------------ */

static void test_filter(void)
{
    lmp_ngram *g = train_model("tf.txt", TEXT_A, 3);
    CHECK(g != NULL);
    if (!g) return;
    lmp_error err = {0};
    lmp_train_model *t = NULL;
    /* vocabulary: the, cat, sat, mat (any layout) */
    test_write_text(test_tmp_path("v.txt"), "the cat\nsat   mat\n");
    CHECK_INT(lmp_train_model_create_filtered(g, test_tmp_path("v.txt"), LMP_FILTER_VOCAB, &t, &err), LMP_OK);
    lmp_train_info info;
    lmp_train_get_info(t, &info);
    CHECK_INT(info.counts[1], 7); /* <unk> <s> </s> + 4 */
    const char *tc[2] = {"the", "cat"}, *tm[2] = {"the", "mat"}, *ts[3] = {"the", "cat", "sat"}, *on[2] = {"on", "the"};
    double lp, lb;
    CHECK(lmp_train_lookup(t, tc, 2, &lp, &lb) == 0);
    CHECK(lmp_train_lookup(t, tm, 2, &lp, &lb) == 0);
    CHECK(lmp_train_lookup(t, ts, 3, &lp, &lb) == 0);
    CHECK(lmp_train_lookup(t, on, 2, &lp, &lb) == -1);
    lmp_ngram *f = reload(t, "tf.vocab.arpa");
    lmp_train_model_free(t);
    CHECK(f != NULL);
    if (!f) return;
    /* sentences of vocabulary words score as under the full model */
    test_write_text(test_tmp_path("in.txt"), "the cat sat\nthe mat\ncat mat the sat\n");
    lmp_ngram_stats s0, s1;
    CHECK_INT(lmp_ngram_score_file(g, test_tmp_path("in.txt"), &s0, NULL, &err), LMP_OK);
    CHECK_INT(lmp_ngram_score_file(f, test_tmp_path("in.txt"), &s1, NULL, &err), LMP_OK);
    /* the same floats (the writer prints each as the shortest decimal that reads back as it) */
    CHECK_ABS(s1.log10_prob, s0.log10_prob, 0.0);
    CHECK(s1.log10_prob != 0);
    lmp_ngram_free(f);
    /* union: "on the mat" and "a cat": "the cat" holds words of two lines only: dropped */
    test_write_text(test_tmp_path("u.txt"), "on the mat\na cat\n");
    CHECK_INT(lmp_train_model_create_filtered(g, test_tmp_path("u.txt"), LMP_FILTER_UNION, &t, &err), LMP_OK);
    const char *onm[3] = {"on", "the", "mat"}, *ac[2] = {"a", "cat"}, *cat[1] = {"cat"};
    CHECK(lmp_train_lookup(t, onm, 3, &lp, &lb) == 0);
    CHECK(lmp_train_lookup(t, ac, 2, &lp, &lb) == 0);
    CHECK(lmp_train_lookup(t, tc, 2, &lp, &lb) == -1);
    CHECK(lmp_train_lookup(t, cat, 1, &lp, &lb) == 0);
    /* the numbers are the model's, exactly */
    lmp_ngram *u = reload(t, "tf.union.arpa");
    lmp_train_model_free(t);
    CHECK(u != NULL);
    if (u) {
        int32_t iu = lmp_ngram_vocab_find(u, "cat", 3), ig = lmp_ngram_vocab_find(g, "cat", 3);
        size_t vu = lmp_ngram_vocab_size(u), vg = lmp_ngram_vocab_size(g);
        float *pu = malloc(vu * sizeof *pu), *bu = malloc(vu * sizeof *bu);
        float *pg = malloc(vg * sizeof *pg), *bg = malloc(vg * sizeof *bg);
        CHECK(pu && bu && pg && bg);
        if (pu && bu && pg && bg) {
            CHECK_INT(lmp_ngram_get_ngrams(u, 1, NULL, pu, bu, &err), LMP_OK);
            CHECK_INT(lmp_ngram_get_ngrams(g, 1, NULL, pg, bg, &err), LMP_OK);
            CHECK(pu[iu] == pg[ig]);
            CHECK(bu[iu] == bg[ig]);
        }
        free(pu);
        free(bu);
        free(pg);
        free(bg);
        lmp_ngram_free(u);
    }
    /* errors */
    CHECK_INT(lmp_train_model_create_filtered(g, test_tmp_path("nope.txt"), LMP_FILTER_VOCAB, &t, &err), LMP_EIO);
    CHECK(t == NULL);
    CHECK(strstr(err.msg, "nope.txt") != NULL);
    CHECK_INT(lmp_train_model_create_filtered(g, test_tmp_path("v.txt"), (lmp_ngram_filter_mode)7, &t, &err), LMP_EINVAL);
    lmp_ngram_free(g);
}

/* lmp_ngram_get_ngrams lists what the ARPA file holds, in its order */
static void test_get_ngrams(void)
{
    lmp_ngram *g = load_text("hand2.arpa", HAND);
    CHECK(g != NULL);
    if (!g) return;
    lmp_token_id w[8];
    float p[4], b[4];
    lmp_error err = {0};
    CHECK_INT(lmp_ngram_get_ngrams(g, 2, w, p, b, &err), LMP_OK);
    CHECK(strcmp(lmp_ngram_word(g, w[0]), "a") == 0 && strcmp(lmp_ngram_word(g, w[1]), "b") == 0);
    CHECK(strcmp(lmp_ngram_word(g, w[6]), "b") == 0 && strcmp(lmp_ngram_word(g, w[7]), "a") == 0);
    CHECK_ABS(p[3], -0.34678749, 1e-7);
    CHECK_ABS(b[3], 0.0, 0.0);
    CHECK_INT(lmp_ngram_get_ngrams(g, 3, w, p, b, &err), LMP_EINVAL);
    CHECK_INT(lmp_ngram_get_ngrams(g, 0, w, p, b, &err), LMP_EINVAL);
    lmp_ngram_free(g);
}

/* NULL weights, a NULL context with n > 0, a NULL acc or out: LMP_EINVAL naming them, NaN from mass_after
 * (each crashed before). */
static void test_null_arrays(void)
{
    lmp_ngram *a = load_text("na.arpa", UNI_A);
    CHECK(a != NULL);
    if (!a) return;
    test_write_text(test_tmp_path("nheld.txt"), "x y\n");
    const lmp_ngram *g[2] = {a, a}; /* the checks come before the models are read */
    double w[2] = {0.5, 0.5};
    lmp_ngram_stats acc;
    lmp_train_model *t = NULL;
    lmp_error err = {0};
    CHECK(lmp_ngram_mix_score_file(g, NULL, 2, test_tmp_path("nheld.txt"), &acc, &err) == LMP_EINVAL &&
          strstr(err.msg, "weights are NULL (k = 2)"));
    CHECK(lmp_ngram_mix_score_file(g, w, 2, test_tmp_path("nheld.txt"), NULL, &err) == LMP_EINVAL &&
          strstr(err.msg, "acc is NULL"));
    CHECK(lmp_ngram_mix_em(g, 2, test_tmp_path("nheld.txt"), NULL, 1e-7, 10, NULL, &err) == LMP_EINVAL &&
          strstr(err.msg, "weights are NULL"));
    CHECK(lmp_train_model_create_mix(g, NULL, 2, &t, &err) == LMP_EINVAL && t == NULL);
    CHECK(lmp_train_model_create_mix(g, w, 2, NULL, &err) == LMP_EINVAL && strstr(err.msg, "out is NULL"));
    CHECK(isnan(lmp_ngram_mass_after(a, NULL, 2)));
    lmp_ngram_free(a);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    if (test_tmpdir_make("test_ngtools") < 0) return 1;
    RUN(test_get_ngrams);
    RUN(test_em_known_answer);
    RUN(test_merge);
    RUN(test_prune_hand);
    RUN(test_prune_trigram);
    RUN(test_filter);
    RUN(test_null_arrays);
    test_tmpdir_remove();
    return TEST_SUMMARY();
}
