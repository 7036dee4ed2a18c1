/* lmprob chapter: run every code example of the chapter
 * (../shared/chapter/probability-and-statistics.txt, blocks b01 .. b20) with
 * lmprob, in order, printing the quantities the chapter's code prints.
 *
 * Randomness: each block gets a fresh numpy-legacy (MT19937) stream, seeded by
 * the block's own np.random.seed when it has one (b03 42, b08 0, b15 42, b17 42,
 * b20 0), else by --seed (default 42). The numpy equivalent of an unseeded
 * block is therefore that block with `np.random.seed(42)` in front; with it,
 * numpy prints the same numbers (tests/cli/test_chapter.sh pins them).
 *
 * Where a comment in the chapter claims a value the code does not produce, the
 * section prints the correct value and a note saying why
 * (../shared/chapter/ERRATA.md has the whole list). docs/chapter.md maps each
 * block to its lmprob command. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "chapter.h"
#include "chapter/experiment.h"
#include "cli.h"
#include "commands.h"
#include "lmprob/bayes.h"
#include "lmprob/dist.h"
#include "lmprob/info.h"
#include "lmprob/linalg.h"
#include "lmprob/nn.h"
#include "lmprob/rng.h"
#include "lmprob/stats.h"

/* ---- output helpers ------------------------------------------------------- */

void ch_say(ch_ctx *c, const char *fmt, ...)
{
    if (c->json) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(c->f, fmt, ap);
    va_end(ap);
    fputc('\n', c->f);
}

static void json_key(ch_ctx *c, const char *key)
{
    fprintf(c->f, "%s\n      ", c->nvalues++ ? "," : "");
    cli_json_string(c->f, key);
    fputs(": ", c->f);
}

void ch_num(ch_ctx *c, const char *key, double v)
{
    if (!c->json) return;
    json_key(c, key);
    cli_json_double(c->f, v);
}

int ch_say_draws(ch_ctx *c, lmp_rng *r, const double *probs, const char *const *vocab, size_t n, const char *label,
                 const char *sep, const char *key)
{
    char line[512];
    size_t o = (size_t)snprintf(line, sizeof line, "%s[", label);
    for (int i = 0; i < 10; i++) {
        size_t k = lmp_categorical_sample(r, probs, n);
        if (k >= n) return cli_fail_status("chapter", LMP_EINVAL, NULL);
        o += (size_t)snprintf(line + o, sizeof line - o, "%s'%s'", i ? sep : "", vocab[k]);
        char name[32];
        snprintf(name, sizeof name, "%s_%d", key, i);
        ch_str(c, name, vocab[k]);
    }
    snprintf(line + o, sizeof line - o, "]");
    ch_say(c, "%s", line);
    return CLI_OK;
}

void ch_str(ch_ctx *c, const char *key, const char *s)
{
    if (!c->json) return;
    json_key(c, key);
    cli_json_string(c->f, s);
}

void ch_note(ch_ctx *c, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (!c->json) {
        fprintf(c->f, "  note: %s\n", buf);
        return;
    }
    if (c->nnotes < CH_MAX_NOTES) {
        c->notes[c->nnotes] = malloc(strlen(buf) + 1);
        if (c->notes[c->nnotes]) {
            strcpy(c->notes[c->nnotes], buf);
            c->nnotes++;
        }
    }
}

int ch_seed(ch_ctx *c, lmp_rng *r, long block_seed)
{
    lmp_error err;
    uint64_t s = block_seed >= 0 ? (uint64_t)block_seed : c->seed;
    lmp_status st = lmp_rng_seed(r, LMP_RNG_NUMPY_LEGACY, s, &err);
    if (st) return ch_fail(c, st, &err);
    return CLI_OK;
}

int ch_fail(ch_ctx *c, lmp_status st, const lmp_error *err)
{
    (void)c;
    return cli_fail_status("chapter", st, err); /* "lmprob: chapter: ...", as every message of a command */
}

/* "[a b c]" with %.*f, as numpy prints a rounded array. */
static void fmt_vec(char *buf, size_t len, const double *v, size_t n, int dec)
{
    size_t o = 0;
    o += (size_t)snprintf(buf + o, len - o, "[");
    for (size_t i = 0; i < n && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%.*f", i ? " " : "", dec, v[i] == 0 ? 0.0 : v[i]);
    if (o < len) snprintf(buf + o, len - o, "]");
}

/* ---- b01 PMF / PDF ------------------------------------------------------------ */

static int b01_pmf_pdf(ch_ctx *c)
{
    static const char *vocab[] = {"the", "cat", "sat", "on", "mat"};
    double probs[] = {0.40, 0.25, 0.15, 0.12, 0.08};
    lmp_rng r;
    if (ch_seed(c, &r, -1)) return CLI_FAIL;
    double sum = lmp_stats_sum(probs, 5);
    ch_say(c, "probs.sum() = %.17g", sum);
    ch_say(c, "P(cat) = %.2f", lmp_categorical_pmf(probs, 5, 1));
    ch_num(c, "probs_sum", sum);
    ch_num(c, "p_cat", lmp_categorical_pmf(probs, 5, 1));
    int rc = ch_say_draws(c, &r, probs, vocab, 5, "samples (np.random.choice, size=10) = ", " ", "sample");
    if (rc) return rc;
    size_t n = 768 * 768;
    double *w = malloc(n * sizeof *w);
    if (!w) return cli_fail_status("chapter", LMP_ENOMEM, NULL);
    lmp_normal_sample_n(&r, 0.0, 0.02, w, n);
    double mean = lmp_stats_mean(w, n), sd = lmp_stats_stddev(w, n, 0);
    free(w);
    ch_say(c, "Weight mean: %.4f   (%.17g)", mean, mean);
    ch_say(c, "Weight std: %.4f   (%.17g)", sd, sd);
    double pdf0 = lmp_normal_pdf(0, 0, 0.02);
    ch_say(c, "pdf_at_zero = %.17g   (a density, not a probability: > 1 is fine)", pdf0);
    ch_num(c, "weight_mean", mean);
    ch_num(c, "weight_std", sd);
    ch_num(c, "pdf_at_zero", pdf0);
    double xav = lmp_nn_xavier_normal_std(768, 768);
    ch_note(c, "sigma = 0.02 is the fixed GPT-2/BERT initialisation, not 'Xavier-like': Xavier for 768x768 is "
               "sqrt(2/1536) = %.4f", xav);
    ch_num(c, "xavier_std_768", xav);
    return CLI_OK;
}

/* ---- b02 joint / marginal / conditional ------------------------------------------ */

static int b02_joint(ch_ctx *c)
{
    double joint[4] = {0.40, 0.10, 0.15, 0.35};
    lmp_error err;
    lmp_status st = lmp_joint_check(joint, 2, 2, 1e-12, &err);
    if (st) return ch_fail(c, st, &err);
    double pw[2], pm[2], cond[4];
    lmp_joint_marginals(joint, 2, 2, pw, pm);
    lmp_joint_y_given_x(joint, 2, 2, cond);
    char a[128], b[128], d[128];
    ch_say(c, "joint.sum() = %.17g", lmp_stats_sum(joint, 4));
    fmt_vec(a, sizeof a, pw, 2, 2);
    fmt_vec(b, sizeof b, pm, 2, 2);
    fmt_vec(d, sizeof d, cond, 2, 1);
    ch_say(c, "P(Weather) = %s   P(Mood) = %s   (P(Sad) = %.17g)", a, b, pm[1]);
    ch_say(c, "P(Mood | Sunny) = %s", d);
    ch_num(c, "joint_sum", lmp_stats_sum(joint, 4));
    ch_num(c, "p_sunny", pw[0]);
    ch_num(c, "p_rainy", pw[1]);
    ch_num(c, "p_happy", pm[0]);
    ch_num(c, "p_sad", pm[1]);
    ch_num(c, "p_happy_given_sunny", cond[0]);
    ch_num(c, "p_sad_given_sunny", cond[1]);
    double gap = lmp_joint_independence_gap(joint, 2, 2);
    ch_say(c, "independent? max |P(x,y) - P(x)P(y)| = %.4f -> %s", gap, gap > 1e-12 ? "no" : "yes");
    ch_num(c, "independence_gap", gap);
    return CLI_OK;
}

/* ---- b04 Bayes ------------------------------------------------------------------ */

static int b04_bayes(ch_ctx *c)
{
    double prior = 0.001, sens = 0.99, fpr = 0.05;
    double ppos = lmp_bayes_total_probability(prior, sens, fpr);
    double post = lmp_bayes_update(prior, sens, fpr);
    ch_say(c, "P(positive) = %.5f", ppos);
    ch_say(c, "P(disease | positive test) = %.1f%%   (%.17g)", 100 * post, post);
    ch_say(c, "per 1000 people: %.3f true positives, %.2f false positives", 1000 * prior * sens,
           (1000 - 1000 * prior) * fpr);
    ch_num(c, "p_positive", ppos);
    ch_num(c, "p_disease_given_positive", post);
    ch_num(c, "false_positives_per_1000", (1000 - 1000 * prior) * fpr);
    double post2 = lmp_bayes_update(post, sens, fpr);
    ch_say(c, "a second independent positive test: P(disease | ++) = %.1f%%", 100 * post2);
    ch_num(c, "p_disease_given_two_positives", post2);
    return CLI_OK;
}

/* ---- b05 MAP loss ------------------------------------------------------------------ */

static int b05_map(ch_ctx *c)
{
    double pred[3] = {0.7, 0.2, 0.1}, tgt[3] = {1, 0, 0}, w[2] = {0.5, -1.0};
    double chap, right, l1;
    lmp_error err;
    lmp_status st = ch_map_loss(pred, tgt, 1, 3, w, 0, 0.01, LMP_PRIOR_GAUSSIAN, &chap, &err);
    if (!st) st = lmp_map_loss(pred, tgt, 1, 3, w, 0, 0.01, LMP_PRIOR_GAUSSIAN, &right, &err);
    if (st) return ch_fail(c, st, &err);
    ch_say(c, "one example, p = [0.7 0.2 0.1], target class 0, no weights:");
    ch_say(c, "  chapter map_loss NLL = %.5f   cross-entropy -log 0.7 = %.5f   ratio %.3f", chap, right, right / chap);
    ch_num(c, "chapter_nll", chap);
    ch_num(c, "cross_entropy", right);
    st = lmp_map_loss(pred, tgt, 1, 3, w, 2, 0.01, LMP_PRIOR_GAUSSIAN, &right, &err);
    if (!st) st = lmp_map_loss(pred, tgt, 1, 3, w, 2, 0.01, LMP_PRIOR_LAPLACE, &l1, &err);
    if (st) return ch_fail(c, st, &err);
    ch_say(c, "  with w = [0.5 -1], lambda 0.01: L2 (Gaussian prior) %.5f, L1 (Laplace prior) %.5f", right, l1);
    ch_num(c, "map_l2", right);
    ch_num(c, "map_l1", l1);
    ch_note(c, "bug: -np.mean(targets * np.log(p)) averages over N x V entries, so it is the cross-entropy divided "
               "by V (here 3). Correct: -(targets * np.log(p)).sum(-1).mean(); the MAP/L2 equivalence then needs "
               "lambda scaled to the per-example mean");
    return CLI_OK;
}

/* ---- b06 expectation ------------------------------------------------------------- */

static int b06_expectation(ch_ctx *c)
{
    lmp_rng r;
    if (ch_seed(c, &r, -1)) return CLI_FAIL;
    double values[] = {0, 1, 2, 3}, probs[] = {0.125, 0.375, 0.375, 0.125};
    double ex = 0;
    for (int i = 0; i < 4; i++) ex += values[i] * probs[i];
    ch_say(c, "E[X] = %g   (n p = %g)", ex, lmp_binomial_mean(3, 0.5));
    ch_num(c, "E_X", ex);
    size_t n = 100000;
    double *s = malloc(1000000 * sizeof *s);
    if (!s) return cli_fail_status("chapter", LMP_ENOMEM, NULL);
    for (size_t i = 0; i < n; i++) s[i] = (double)lmp_binomial_sample(&r, 3, 0.5);
    double mc = lmp_stats_mean(s, n);
    ch_say(c, "MC estimate: %.4f   (%.17g, 100000 binomial(3, 0.5) draws)", mc, mc);
    ch_num(c, "mc_estimate", mc);
    lmp_normal_sample_n(&r, 3.0, 2.0, s, 1000000);
    double mg = lmp_stats_mean(s, 1000000);
    free(s);
    ch_say(c, "E[N(3,4)]: %.4f   (%.17g, 10^6 draws; standard error 2/1000 = 0.002)", mg, mg);
    ch_num(c, "gauss_mean", mg);
    return CLI_OK;
}

/* ---- b07 variance, layer norm ------------------------------------------------------- */

static int b07_variance(ch_ctx *c)
{
    double x[] = {2, 4, 4, 4, 5, 5, 7, 9};
    double mean = lmp_stats_mean(x, 8), var = lmp_stats_variance(x, 8, 0), var1 = lmp_stats_variance(x, 8, 1);
    ch_say(c, "mean %g, var %g, std %g", mean, var, lmp_stats_stddev(x, 8, 0));
    ch_say(c, "np.var(x) = %.17g   np.var(x, ddof=1) = %.17g", var, var1);
    ch_num(c, "mean", mean);
    ch_num(c, "var", var);
    ch_num(c, "var_ddof1", var1);
    lmp_rng r;
    if (ch_seed(c, &r, -1)) return CLI_FAIL;
    double acts[4 * 768], normed[4 * 768];
    for (size_t i = 0; i < 4 * 768; i++) acts[i] = lmp_rng_normal(&r);
    lmp_error err;
    char mline[256] = "", sline[256] = "";
    size_t mo = 0, so = 0;
    for (int b = 0; b < 4; b++) {
        lmp_status st = lmp_nn_layer_norm(acts + 768 * b, 768, 1e-5, NULL, NULL, normed + 768 * b, &err);
        if (st) return ch_fail(c, st, &err);
        double m = lmp_stats_mean(normed + 768 * b, 768), s = lmp_stats_stddev(normed + 768 * b, 768, 0);
        mo += (size_t)snprintf(mline + mo, sizeof mline - mo, "%s%.3g", b ? " " : "", m);
        so += (size_t)snprintf(sline + so, sizeof sline - so, "%s%.7f", b ? " " : "", s);
        char key[32];
        snprintf(key, sizeof key, "ln_mean_%d", b);
        ch_num(c, key, m);
        snprintf(key, sizeof key, "ln_std_%d", b);
        ch_num(c, key, s);
    }
    ch_say(c, "normed.mean(axis=-1) = [%s]", mline);
    ch_say(c, "normed.std(axis=-1)  = [%s]", sline);
    ch_note(c, "the stds are just below 1 (about 1 - eps/(2 var)) because eps sits inside the square root");
    return CLI_OK;
}

/* ---- b08 covariance ------------------------------------------------------------------- */

static int b08_covariance(ch_ctx *c)
{
    enum { N = 500 };
    lmp_rng r;
    if (ch_seed(c, &r, 0)) return CLI_FAIL;
    double *X = malloc(3 * N * sizeof *X); /* rows = variables (np.cov(X.T)) */
    if (!X) return cli_fail_status("chapter", LMP_ENOMEM, NULL);
    for (int i = 0; i < N; i++) X[i] = lmp_rng_normal(&r);
    for (int i = 0; i < N; i++) X[N + i] = 0.8 * X[i] + 0.6 * lmp_rng_normal(&r);
    for (int i = 0; i < N; i++) X[2 * N + i] = lmp_rng_normal(&r);
    double cov[9], corr[9];
    lmp_error err;
    lmp_status st = lmp_stats_cov(X, 3, N, 1, 1, cov, &err);
    if (!st) st = lmp_stats_corr(X, 3, N, 1, corr, &err);
    free(X);
    if (st) return ch_fail(c, st, &err);
    ch_say(c, "np.round(cov, 2):");
    for (int i = 0; i < 3; i++) {
        char v[128];
        fmt_vec(v, sizeof v, cov + 3 * i, 3, 2);
        ch_say(c, "  %s", v);
    }
    ch_say(c, "np.round(corr, 2):");
    for (int i = 0; i < 3; i++) {
        char v[128];
        fmt_vec(v, sizeof v, corr + 3 * i, 3, 2);
        ch_say(c, "  %s", v);
    }
    static const char *names[] = {"cov_11", "cov_12", "cov_13", "cov_21", "cov_22", "cov_23",
                                  "cov_31", "cov_32", "cov_33"};
    for (int i = 0; i < 9; i++) ch_num(c, names[i], cov[i]);
    ch_num(c, "corr_12", corr[1]);
    ch_num(c, "corr_13", corr[2]);
    ch_num(c, "corr_23", corr[5]);
    ch_note(c, "the chapter's printed matrix [[1.00 0.81 0.01] [0.81 1.01 -0.02] [0.01 -0.02 0.98]] is not what "
               "np.random.seed(0) gives: the legacy MT19937 stream is frozen (NEP 19), and it prints the matrix "
               "above. The population values are var 1, cov 0.8, var(x2) 0.64 + 0.36 = 1, corr 0.8");
    return CLI_OK;
}

/* ---- b09 Gaussian: 68-95-99.7, CLT, initialisers ------------------------------------------ */

static int b09_gaussian(ch_ctx *c)
{
    double w[3];
    for (int k = 1; k <= 3; k++) w[k - 1] = lmp_normal_cdf(k, 0, 1) - lmp_normal_cdf(-k, 0, 1);
    ch_say(c, "+-1s: %.1f%%  +-2s: %.1f%%  +-3s: %.1f%%", 100 * w[0], 100 * w[1], 100 * w[2]);
    ch_num(c, "within_1s", w[0]);
    ch_num(c, "within_2s", w[1]);
    ch_num(c, "within_3s", w[2]);
    lmp_rng r;
    if (ch_seed(c, &r, -1)) return CLI_FAIL;
    enum { NE = 10000, NS = 30 };
    double *sums = malloc(NE * sizeof *sums);
    double *W = malloc(512 * 512 * sizeof *W);
    if (!sums || !W) {
        free(sums);
        free(W);
        return cli_fail_status("chapter", LMP_ENOMEM, NULL);
    }
    for (int i = 0; i < NE; i++) {
        double s = 0;
        for (int j = 0; j < NS; j++) s += lmp_uniform_sample(&r, 0, 1);
        sums[i] = s;
    }
    lmp_test_result tr;
    lmp_error err;
    lmp_status st = lmp_stats_normaltest(sums, NE, &tr, &err);
    if (st) {
        free(sums);
        free(W);
        return ch_fail(c, st, &err);
    }
    double ku = lmp_stats_kurtosis(sums, NE, 1, 1);
    ch_say(c, "Normality test p-value: %.3f   (K^2 = %.4f; sample excess kurtosis %.4f)", tr.pvalue, tr.statistic, ku);
    ch_num(c, "normaltest_statistic", tr.statistic);
    ch_num(c, "normaltest_pvalue", tr.pvalue);
    ch_num(c, "sums_mean", lmp_stats_mean(sums, NE));
    ch_num(c, "sums_var", lmp_stats_variance(sums, NE, 0));
    /* How often does the test reject on Irwin-Hall(30) sums? Fresh streams seeded 1 .. R. */
    if (c->clt_repeats > 0) {
        long rej05 = 0, rej01 = 0;
        lmp_rng rr;
        /* about 2.7 ms a repeat here: the top of --clt-repeats (100,000) is minutes, so a terminal sees it go */
        cli_progress prog;
        cli_progress_start(&prog, "chapter", "section 9, normality test repeats");
        for (long k = 1; k <= c->clt_repeats; k++) {
            cli_progress_update(&prog, (double)(k - 1) / (double)c->clt_repeats);
            lmp_rng_seed(&rr, LMP_RNG_NUMPY_LEGACY, (uint64_t)k, NULL);
            for (int i = 0; i < NE; i++) {
                double s = 0;
                for (int j = 0; j < NS; j++) s += lmp_rng_uniform(&rr);
                sums[i] = s;
            }
            lmp_test_result t2;
            if (lmp_stats_normaltest(sums, NE, &t2, &err) == LMP_OK) {
                rej05 += t2.pvalue < 0.05;
                rej01 += t2.pvalue < 0.01;
            }
        }
        cli_progress_update(&prog, 1.0); /* clears the line */
        double f05 = (double)rej05 / (double)c->clt_repeats, f01 = (double)rej01 / (double)c->clt_repeats;
        ch_say(c, "over %ld seeded repeats (seeds 1..%ld): p < 0.05 in %.1f%%, p < 0.01 in %.1f%%", c->clt_repeats,
               c->clt_repeats, 100 * f05, 100 * f01);
        ch_num(c, "reject_rate_05", f05);
        ch_num(c, "reject_rate_01", f01);
    }
    /* The sum of 30 U(0,1) is Irwin-Hall: mean 15, variance 30/12, excess kurtosis -6/(5 n) = -0.04. */
    ch_note(c, "'>>0.05: looks Gaussian' is not a property of this code: the sum of 30 uniforms has excess kurtosis "
               "-6/(5*30) = -0.04, which n = 10^4 can detect, so the test rejects at about twice its nominal rate; "
               "and not rejecting normality does not show that data are Gaussian");
    double sx = lmp_nn_xavier_normal_std(512, 512), sh = lmp_nn_he_normal_std(512);
    lmp_normal_sample_n(&r, 0, sx, W, 512 * 512);
    double wx = lmp_stats_stddev(W, 512 * 512, 0);
    lmp_normal_sample_n(&r, 0, sh, W, 512 * 512);
    double wh = lmp_stats_stddev(W, 512 * 512, 0);
    free(sums);
    free(W);
    ch_say(c, "W_xavier std: %.5f (sample %.5f)   W_he std: %.5f (sample %.5f)   ratio %.4f", sx, wx, sh, wh, sh / sx);
    ch_num(c, "xavier_std", sx);
    ch_num(c, "xavier_sample_std", wx);
    ch_num(c, "he_std", sh);
    ch_num(c, "he_sample_std", wh);
    ch_note(c, "the comments are wrong: Xavier for 512x512 is sqrt(2/1024) = %.5f, not 0.0625; 0.0625 = sqrt(2/512) "
               "is the He value (the ratio sqrt(2) is right)", sx);
    return CLI_OK;
}

/* ---- b10 multivariate normal --------------------------------------------------------- */

static int b10_mvn(ch_ctx *c)
{
    static const struct {
        const char *name;
        double mu[2], cov[4];
    } g[3] = {{"spherical", {0, 0}, {1, 0, 0, 1}}, {"elongated", {0, 0}, {4, 0, 0, 0.25}},
              {"correlated", {1, 2}, {1, 0.8, 0.8, 1}}};
    lmp_rng r;
    if (ch_seed(c, &r, -1)) return CLI_FAIL;
    double pts[2 * 500];
    for (int k = 0; k < 3; k++) {
        lmp_mvn *m = NULL;
        lmp_error err;
        lmp_status st = lmp_mvn_create(g[k].mu, g[k].cov, 2, &m, &err);
        if (st) return ch_fail(c, st, &err);
        double XT[2 * 500];
        for (int i = 0; i < 500; i++) {
            lmp_mvn_sample(m, &r, pts + 2 * i);
            XT[i] = pts[2 * i];
            XT[500 + i] = pts[2 * i + 1];
        }
        lmp_mvn_free(m);
        double cov[4];
        st = lmp_stats_cov(XT, 2, 500, 1, 1, cov, &err);
        if (st) return ch_fail(c, st, &err);
        double m0 = lmp_stats_mean(XT, 500), m1 = lmp_stats_mean(XT + 500, 500);
        ch_say(c, "%-10s 500 samples: mean [%.3f %.3f] (true [%g %g]), cov [[%.3f %.3f] [%.3f %.3f]] (true [[%g %g] [%g %g]])",
               g[k].name, m0, m1, g[k].mu[0], g[k].mu[1], cov[0], cov[1], cov[2], cov[3], g[k].cov[0], g[k].cov[1],
               g[k].cov[2], g[k].cov[3]);
        char key[48];
        snprintf(key, sizeof key, "%s_mean_0", g[k].name);
        ch_num(c, key, m0);
        snprintf(key, sizeof key, "%s_mean_1", g[k].name);
        ch_num(c, key, m1);
        snprintf(key, sizeof key, "%s_cov_01", g[k].name);
        ch_num(c, key, cov[1]);
    }
    double mu[3] = {0.0, 1.0, -2.0}, logvar[3] = {0.0, -2.0, 1.0}, z[3], eps[3];
    lmp_error err;
    lmp_status st = lmp_nn_reparam_logvar(&r, mu, logvar, 3, z, eps, &err);
    if (st) return ch_fail(c, st, &err);
    ch_say(c, "vae_reparameterize(mu=[0 1 -2], log_var=[0 -2 1]): eps [%.4f %.4f %.4f] -> z [%.4f %.4f %.4f]", eps[0],
           eps[1], eps[2], z[0], z[1], z[2]);
    ch_note(c, "lmprob draws N(mu, Sigma) as mu + L z with the Cholesky factor L; numpy's multivariate_normal uses an "
               "SVD, so the individual points differ from numpy's (the distribution is the same)");
    return CLI_OK;
}

/* ---- b11 unigram MLE ---------------------------------------------------------------- */

static int b11_unigram(ch_ctx *c)
{
    static const char *corpus[] = {"the", "cat", "sat", "on", "the", "mat", "the", "cat"};
    const char *types[8];
    double counts[8];
    size_t nt = 0, n = 8;
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < nt && strcmp(types[k], corpus[i]) != 0) k++;
        if (k == nt) {
            types[nt] = corpus[i];
            counts[nt++] = 0;
        }
        counts[k] += 1;
    }
    char line[512];
    size_t o = (size_t)snprintf(line, sizeof line, "{");
    for (size_t k = 0; k < nt; k++) {
        o += (size_t)snprintf(line + o, sizeof line - o, "%s'%s': %g", k ? ", " : "", types[k], counts[k] / (double)n);
        char key[32];
        snprintf(key, sizeof key, "p_%s", types[k]);
        ch_num(c, key, counts[k] / (double)n);
    }
    snprintf(line + o, sizeof line - o, "}");
    ch_say(c, "%s", line);
    double ll = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < nt; k++)
            if (strcmp(types[k], corpus[i]) == 0) ll += lmp_categorical_logpmf(counts, nt, k);
    double llu = (double)n * log(1.0 / (double)nt);
    ch_say(c, "Log-likelihood: %.3f", ll);
    ch_say(c, "Uniform log-lik: %.3f   (lower, by Gibbs' inequality: equal only for uniform counts)", llu);
    ch_num(c, "log_likelihood", ll);
    ch_num(c, "uniform_log_likelihood", llu);
    return CLI_OK;
}

/* ---- b12 cross-entropy loss --------------------------------------------------------- */

static int b12_ce(ch_ctx *c)
{
    double logits[5] = {1.0, 2.0, 3.0, 0.5, 0.2};
    double loss, chap;
    lmp_error err;
    lmp_status st = lmp_ce_loss(logits, 5, 2, 0.0, &loss, &err);
    if (st) return ch_fail(c, st, &err);
    double p[5];
    st = lmp_softmax(logits, 5, p, &err);
    if (st) return ch_fail(c, st, &err);
    chap = -log(p[2] + 1e-9);
    ch_say(c, "Loss = %.4f   (exact logsumexp - 3 = %.17g; the chapter's +1e-9 version %.17g)", loss, loss, chap);
    ch_num(c, "loss", loss);
    ch_num(c, "chapter_loss", chap);
    double big[3] = {1000, 0, -1000}, lb, pb[3];
    st = lmp_ce_loss(big, 3, 2, 0.0, &lb, &err);
    if (!st) st = lmp_softmax(big, 3, pb, &err);
    if (st) return ch_fail(c, st, &err);
    double capped = -log(pb[2] + 1e-9);
    ch_say(c, "logits [1000 0 -1000], target 2: exact %.6g, chapter's code %.4f", lb, capped);
    ch_num(c, "big_loss", lb);
    ch_num(c, "big_chapter_loss", capped);
    ch_note(c, "the +1e-9 caps the loss at -ln(1e-9) = %.2f; lmprob computes -log_softmax directly (no cap)",
            -log(1e-9));
    return CLI_OK;
}

/* ---- b13 entropy ---------------------------------------------------------------------- */

static int b13_entropy(ch_ctx *c)
{
    double det[3] = {1, 0, 0}, coin[2] = {0.5, 0.5}, four[4] = {0.25, 0.25, 0.25, 0.25};
    double h0 = lmp_entropy(det, 3, LMP_BASE_E), h1 = lmp_entropy(coin, 2, 2), h2 = lmp_entropy(four, 4, 2);
    ch_say(c, "H([1 0 0]) = %g nats   H(fair coin) = %g bit   H(2 coins) = %g bits", h0 == 0 ? 0.0 : h0, h1, h2);
    ch_num(c, "h_deterministic", h0);
    ch_num(c, "h_coin_bits", h1);
    ch_num(c, "h_two_coins_bits", h2);
    enum { V = 50257 };
    double *lg = calloc(V, sizeof *lg), *p = malloc(V * sizeof *p);
    if (!lg || !p) {
        free(lg);
        free(p);
        return cli_fail_status("chapter", LMP_ENOMEM, NULL);
    }
    lg[42] = 10.0;
    lmp_error err;
    lmp_status st = lmp_softmax(lg, V, p, &err);
    double hp = lmp_entropy(p, V, LMP_BASE_E), pmax = p[42];
    lg[42] = 0.0;
    if (!st) st = lmp_softmax(lg, V, p, &err);
    double hf = lmp_entropy(p, V, LMP_BASE_E);
    double gap = log((double)V - 1) + 10; /* the logit gap that would put 1 - e^-10 of the mass on one token */
    lg[42] = gap;
    if (!st) st = lmp_softmax(lg, V, p, &err);
    double hg = lmp_entropy(p, V, LMP_BASE_E);
    free(lg);
    free(p);
    if (st) return ch_fail(c, st, &err);
    ch_say(c, "Peaked H = %.2f nats   (p_max = %.4f)", hp, pmax);
    ch_say(c, "Flat H = %.2f nats   (ln 50257 = %.4f)", hf, log((double)V));
    ch_say(c, "one logit ln(V-1) + 10 = %.2f above the rest: H = %.4f nats", gap, hg);
    ch_num(c, "h_peaked", hp);
    ch_num(c, "p_max_peaked", pmax);
    ch_num(c, "h_flat", hf);
    ch_num(c, "h_gap", hg);
    ch_note(c, "the chapter claims 'Peaked H ~ 0.0': e^10 = 22026 against 50256 logits at 0 gives p_max = %.4f and "
               "H = %.2f nats; H ~ 0 needs a gap of about ln V + 10 (last line)", pmax, hp);
    ch_note(c, "the chapter's shannon_entropy([1,0,0]) prints -0.0 (-np.sum([0.0])); the value is 0");
    return CLI_OK;
}

/* ---- b14 KL divergence ------------------------------------------------------------------ */

static int b14_kl(ch_ctx *c)
{
    double P[2] = {0.9, 0.1}, Q[2] = {0.5, 0.5};
    double pq = lmp_kl_divergence_smoothed(P, Q, 2, 1e-10, LMP_BASE_E);
    double qp = lmp_kl_divergence_smoothed(Q, P, 2, 1e-10, LMP_BASE_E);
    ch_say(c, "KL(P||Q) = %.4f", pq);
    ch_say(c, "KL(Q||P) = %.4f", qp);
    ch_num(c, "kl_pq", pq);
    ch_num(c, "kl_qp", qp);
    ch_note(c, "the chapter claims KL(P||Q) = 0.5108 and KL(Q||P) = 0.4185: 0.5108 is KL(Q||P), and 0.4185 is no "
               "standard quantity here; KL(P||Q) = 0.9 ln 1.8 + 0.1 ln 0.2 = %.4f", pq);
    lmp_rng r;
    if (ch_seed(c, &r, -1)) return CLI_FAIL;
    double alpha[10], p[10], q[10], mn = INFINITY;
    for (int i = 0; i < 10; i++) alpha[i] = 1.0;
    lmp_error err;
    for (int t = 0; t < 1000; t++) {
        lmp_status st = lmp_dirichlet_sample(&r, alpha, 10, p, &err);
        if (!st) st = lmp_dirichlet_sample(&r, alpha, 10, q, &err);
        if (st) return ch_fail(c, st, &err);
        double k = lmp_kl_divergence_smoothed(p, q, 10, 1e-10, LMP_BASE_E);
        if (k < mn) mn = k;
    }
    ch_say(c, "KL >= 0 over 1000 Dirichlet(1) pairs: min KL = %.6f -> %s", mn, mn >= -1e-9 ? "holds" : "VIOLATED");
    ch_num(c, "min_kl_dirichlet", mn);
    return CLI_OK;
}

/* ---- b20 bias-variance ------------------------------------------------------------------- */

static int b20_biasvar(ch_ctx *c)
{
    enum { ND = 200, NT = 20 };
    static const size_t degs[] = {1, 3, 7, 15};
    double sigma = 0.3, x_test = 0.5;
    lmp_rng r;
    if (ch_seed(c, &r, 0)) return CLI_FAIL;
    ch_say(c, "%8s %10s %10s %12s", "Degree", "Bias^2", "Variance", "Total MSE");
    for (size_t d = 0; d < 4; d++) {
        double preds[ND], X[NT], y[NT];
        for (int k = 0; k < ND; k++) {
            for (int i = 0; i < NT; i++) X[i] = lmp_uniform_sample(&r, 0, 1);
            for (int i = 0; i < NT; i++) y[i] = sin(2 * M_PI * X[i]) + sigma * lmp_rng_normal(&r);
            lmp_linalg_poly fit;
            lmp_error err;
            lmp_status st = lmp_linalg_poly_fit(X, y, NT, degs[d], &fit, &err);
            if (st) return ch_fail(c, st, &err);
            preds[k] = lmp_linalg_poly_eval(&fit, x_test);
        }
        double bias2 = pow(lmp_stats_mean(preds, ND) - sin(2 * M_PI * x_test), 2);
        double var = lmp_stats_variance(preds, ND, 0);
        double mse = bias2 + var + sigma * sigma;
        ch_say(c, "%8zu %10.4f %10.4f %12.4f", degs[d], bias2, var, mse);
        char key[32];
        snprintf(key, sizeof key, "bias2_deg%zu", degs[d]);
        ch_num(c, key, bias2);
        snprintf(key, sizeof key, "var_deg%zu", degs[d]);
        ch_num(c, key, var);
        snprintf(key, sizeof key, "mse_deg%zu", degs[d]);
        ch_num(c, key, mse);
    }
    ch_note(c, "'degree 1: high bias' does not show at x_test = 0.5: sin(2 pi x) is antisymmetric about 0.5, so any "
               "least-squares fit is unbiased there in expectation (at x = 0.25 degree 1 has bias^2 about 0.26; "
               "lmprob experiment biasvar averages over a grid)");
    ch_note(c, "'degree 7: sweet spot' is wrong here: degree 3 has the lowest MSE; degree 15 has huge variance");
    ch_note(c, "degree 15 with 20 points is ill-conditioned: numpy's polyfit (monomial Vandermonde, rcond cut-off, "
               "RankWarning) truncates singular values, lmprob fits in a Chebyshev basis by QR, so the degree-15 "
               "numbers differ from numpy's; degrees 1, 3, 7 agree");
    return CLI_OK;
}

/* ---- the section table ---------------------------------------------------------------- */

typedef struct section {
    const char *block;
    const char *title;
    const char *api; /* the lmprob functions the section calls */
    int (*fn)(ch_ctx *);
} section;

static const section sections[] = {
    {"b01", "PMF and PDF: categorical sampling, Gaussian weights",
     "lmp_categorical_sample, lmp_normal_sample_n, lmp_normal_pdf", b01_pmf_pdf},
    {"b02", "Joint, marginal and conditional distributions", "lmp_joint_marginals, lmp_joint_y_given_x", b02_joint},
    {"b03", "The chain rule: a mock LM generates and scores a sequence", "lmp_lm_create (the mock's vtable), lmp_lm_ctx_*, lmp_lm_sequence_logprob", ch_b03_chain},
    {"b04", "Bayes' rule: disease testing", "lmp_bayes_total_probability, lmp_bayes_update", b04_bayes},
    {"b05", "MAP estimation: NLL + L2/L1 penalty", "lmp_map_loss (and the chapter's, cli/chapter/map_loss.c)", b05_map},
    {"b06", "Expected value: exact, Monte Carlo", "lmp_binomial_sample, lmp_normal_sample_n", b06_expectation},
    {"b07", "Variance, standard deviation, layer norm", "lmp_stats_variance, lmp_nn_layer_norm", b07_variance},
    {"b08", "Covariance and correlation", "lmp_stats_cov, lmp_stats_corr", b08_covariance},
    {"b09", "Gaussian: 68-95-99.7, CLT normality test, Xavier/He", "lmp_normal_cdf, lmp_stats_normaltest, lmp_nn_*",
     b09_gaussian},
    {"b10", "Multivariate normal, VAE reparameterisation", "lmp_mvn_sample, lmp_nn_reparam_logvar", b10_mvn},
    {"b11", "MLE of a unigram model", "lmp_categorical_logpmf", b11_unigram},
    {"b12", "Cross-entropy loss from logits", "lmp_ce_loss, lmp_softmax", b12_ce},
    {"b13", "Entropy", "lmp_entropy, lmp_softmax", b13_entropy},
    {"b14", "KL divergence", "lmp_kl_divergence_smoothed, lmp_dirichlet_sample", b14_kl},
    {"b15", "Greedy decoding vs sampling", "lmp_argmax, lmp_categorical_sample", ch_b15_greedy},
    {"b16", "Temperature", "lmp_softmax_temperature", ch_b16_temperature},
    {"b17", "Top-k sampling", "lmp_sampler (top_k, HF ties)", ch_b17_topk},
    {"b18", "Nucleus (top-p) sampling", "lmp_sampler (top_p)", ch_b18_nucleus},
    {"b19", "Perplexity", "lmp_perplexity", ch_b19_perplexity},
    {"b19hf", "Sliding-window perplexity (the Hugging Face example)", "lmp_eval_perplexity (eval.h)",
     ch_b19_sliding},
    {"b20", "Bias-variance decomposition", "lmp_linalg_poly_fit, lmp_stats_variance", b20_biasvar},
};
#define NSECTIONS (sizeof sections / sizeof sections[0])

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lmprob chapter [N ...] [--list] [--json] [--seed S] [--rng numpy] [--clt-repeats R]\n"
            "                      [--model M.arpa --text FILE] [--window W] [--stride S] [--quiet]\n"
            "\n"
            "Runs the code examples of the chapter (probability-and-statistics), in order, with lmprob, and\n"
            "prints what each prints; where the chapter's comments claim a wrong value it prints the right one\n"
            "and a note. N selects sections (1..%zu, see --list).\n"
            "  --seed S          numpy-legacy seed for the blocks that do not seed themselves (default %d)\n"
            "  --clt-repeats R   section 9: repeat the normality test R times (default 500; 0 skips; at most 100000)\n"
            "  --model, --text   section 20: also run the sliding-window perplexity of an n-gram model on a text\n"
            "  --window, --stride  section 20: window and stride (default 1024 and W/2: 512, as the chapter)\n"
            "  --rng numpy       the stream of those blocks: numpy's legacy MT19937 (the only one: the blocks are numpy code)\n"
            "  --json            one JSON object with the values and notes of each section\n"
            "  --quiet           no progress line on a terminal (errors and notes still print)\n"
            "\n"
            "example: lmprob chapter 9 --seed 7 --clt-repeats 50\n",
            NSECTIONS, CLI_DEFAULT_SEED);
}

int cmd_chapter(int argc, char **argv)
{
    ch_ctx c;
    memset(&c, 0, sizeof c);
    c.f = stdout;
    c.seed = CLI_DEFAULT_SEED;
    c.clt_repeats = 500;
    /* ppl's options (CLI_OPT_WINDOW, CLI_OPT_STRIDE) into c below, with ppl's default stride W/2 (the chapter's
     * 1024/512 when neither is given): --window 8 alone was refused for a stride of 512 never asked for */
    long window = 1024, stride = 0;
    int list = 0;
    int want[NSECTIONS] = {0}, any = 0;
    lmp_rng_kind rk = LMP_RNG_NUMPY_LEGACY;
    const cli_opt opts[] = {
        /* --rng: the flag's one domain, as in every command (test_cli.sh); numpy alone is checked below */
        {.name = "--list", .kind = CLI_OPT_FLAG, .dest = &list}, CLI_OPT_JSON(&c.json), CLI_OPT_RNG(&rk),
        CLI_OPT_SEED(&c.seed),
        /* experiment clt --repeats's domain: up to 1e15 a run of hours to years (seeds 1..R, 10^4 sums of 30 each),
         * with seeds past numpy's 2^32 */
        {.name = "--clt-repeats", .kind = CLI_OPT_LONG, .dest = &c.clt_repeats, .lo = 0, .hi = 100000, .expect = "an integer from 0 to 100000"},
        {.name = "--model", .kind = CLI_OPT_STR, .dest = &c.model},
        {.name = "--text", .kind = CLI_OPT_STR, .dest = &c.text},
        CLI_OPT_WINDOW(&window, NULL), CLI_OPT_STRIDE(&stride, NULL), CLI_OPT_QUIET,
    };
    const char *pos[64];
    size_t npos = 0;
    int prc = cli_parse("chapter", argc, argv, opts, CLI_NOPTS(opts), pos, 64, &npos, usage);
    if (prc) return prc;
    c.window = (size_t)window;
    c.stride = stride ? (size_t)stride : (size_t)window / 2;
    /* the chapter's blocks are numpy code: they draw numpy's legacy stream */
    if (rk != LMP_RNG_NUMPY_LEGACY) {
        cli_error("chapter: --rng: expected numpy (the chapter's examples draw numpy's legacy stream), got 'xoshiro'");
        return CLI_USAGE;
    }
    if (cli_seed_check("chapter", rk, c.seed)) return CLI_USAGE;
    for (size_t p = 0; p < npos; p++) {
        long k;
        if (cli_scan_long(pos[p], &k) || k < 1 || (size_t)k > NSECTIONS) {
            cli_error("chapter: section: expected 1..%zu, got '%s'", NSECTIONS, pos[p]);
            return CLI_USAGE;
        }
        want[k - 1] = 1;
        any = 1;
    }
    if (cli_stride_check("chapter", c.window, c.stride)) return CLI_USAGE;
    if ((c.model == NULL) != (c.text == NULL)) {
        cli_error("chapter: --model and --text: expected both or neither, got only %s", c.model ? "--model" : "--text");
        return CLI_USAGE;
    }
    /* fail early: section 20 comes after every other section */
    const char *const in_what[] = {"--model", "--text"}, *const in_paths[] = {c.model, c.text};
    if (cli_inputs_once("chapter", in_what, in_paths, 2) ||
        cli_input_rereadable("chapter", "--text", c.text, "section 20 reads it twice (scored by sentence, then as one stream)"))
        return CLI_USAGE;
    size_t s_model = 0; /* the section that scores --model on --text */
    while (sections[s_model].fn != ch_b19_sliding) s_model++;
    if (c.model && any && !want[s_model]) {
        cli_error("chapter: --model and --text: they are section %zu's: expected %zu among the sections", s_model + 1,
                  s_model + 1);
        return CLI_USAGE;
    }
    if (cli_check_input("chapter", c.model) || cli_check_input("chapter", c.text)) return CLI_FAIL;
    if (list && c.json) { /* one JSON object, as every --json (it printed the text table) */
        printf("{\"sections\": [");
        for (size_t s = 0, first = 1; s < NSECTIONS; s++) {
            if (any && !want[s]) continue;
            printf("%s\n  {\"section\": %zu, \"block\": ", first ? "" : ",", s + 1);
            first = 0;
            cli_json_string(stdout, sections[s].block);
            printf(", \"title\": ");
            cli_json_string(stdout, sections[s].title);
            printf(", \"api\": ");
            cli_json_string(stdout, sections[s].api);
            printf("}");
        }
        printf("\n]}\n");
        return CLI_OK;
    }
    if (list) {
        for (size_t s = 0; s < NSECTIONS; s++)
            if (!any || want[s])
                printf("%2zu  %-6s %-58s %s\n", s + 1, sections[s].block, sections[s].title, sections[s].api);
        return CLI_OK;
    }
    if (c.model) { /* nothing on stdout after an error: the model and text are read before the first section */
        lmp_error err;
        lmp_status st = ch_model_prepare(&c, &err);
        if (st) {
            cli_error("chapter: %s", err.msg);
            return c.mrun.not_ngram ? CLI_USAGE : CLI_FAIL; /* a model of another kind: the option's value */
        }
    }
    int rc = CLI_OK, first = 1;
    if (c.json) fprintf(c.f, "{\"seed\": %llu, \"sections\": [", (unsigned long long)c.seed);
    for (size_t s = 0; s < NSECTIONS; s++) {
        if (any && !want[s]) continue;
        c.nvalues = 0;
        c.nnotes = 0;
        if (c.json) {
            fprintf(c.f, "%s\n  {\"section\": %zu, \"block\": ", first ? "" : ",", s + 1);
            cli_json_string(c.f, sections[s].block);
            fprintf(c.f, ", \"title\": ");
            cli_json_string(c.f, sections[s].title);
            fprintf(c.f, ", \"values\": {");
        } else {
            fprintf(c.f, "%s== %zu. [%s] %s\n", first ? "" : "\n", s + 1, sections[s].block, sections[s].title);
        }
        first = 0;
        int r = sections[s].fn(&c);
        if (r != CLI_OK) rc = r;
        if (c.json) {
            fprintf(c.f, "}, \"notes\": [");
            for (int k = 0; k < c.nnotes; k++) {
                fprintf(c.f, "%s", k ? ", " : "");
                cli_json_string(c.f, c.notes[k]);
            }
            fprintf(c.f, "], \"ok\": %s}", r == CLI_OK ? "true" : "false");
        }
        for (int k = 0; k < c.nnotes; k++) free(c.notes[k]);
        c.nnotes = 0;
        fflush(c.f);
    }
    if (c.json) fprintf(c.f, "\n]}\n");
    return rc;
}
