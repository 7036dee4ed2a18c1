/* The chapter's experiments (see experiment.h).
 *
 * Each draws from the lmp_rng in exactly the order of the chapter's numpy code,
 * so that with the numpy-legacy stream seeded as np.random.seed(s) the same
 * numbers come out: np.random.uniform(0, 1, k) is k random_sample() values,
 * np.random.randn(k) / normal(mu, s, k) k legacy gauss values (mu + s z),
 * np.random.binomial(n, p, k) k lmp_binomial_sample calls, and np.sum/np.mean/
 * np.var are lmp_stats_sum/mean/variance (same pairwise order, same bits). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lmprob/dist.h"
#include "experiment.h"
#include "lmprob/linalg.h"
#include "lmprob/stats.h"

/* ---- mc ------------------------------------------------------------------------ */

ch_exp_mc_params ch_exp_mc_defaults(void)
{
    ch_exp_mc_params p = {3, 0.5, 100000, 3.0, 2.0, 1000000, 6};
    return p;
}

/* Mean of k binomial draws. The draws are integers <= n, so their double sum
 * is exact in any order (k n < 2^53) and equals numpy's mean of the int array. */
static double binomial_mean(lmp_rng *r, long n, double p, size_t k)
{
    double s = 0;
    for (size_t i = 0; i < k; i++) s += (double)lmp_binomial_sample(r, n, p);
    return s / (double)k;
}

lmp_status ch_exp_mc(lmp_rng *r, const ch_exp_mc_params *prm, ch_exp_mc_result *out, lmp_error *err)
{
    if (lmp_binomial_check(prm->trials, prm->p, err)) return LMP_EINVAL;
    if (prm->chapter_size == 0 || prm->normal_size == 0 || !(prm->normal_sigma > 0) ||
        !isfinite(prm->normal_mu) || prm->max_pow10 < 1 || prm->max_pow10 > CH_EXP_MC_MAX_ROWS)
        return lmp_error_set(err, LMP_EINVAL,
                             "mc parameters: expected sizes >= 1, sigma > 0 and max_pow10 in 1..%d, got %d",
                             CH_EXP_MC_MAX_ROWS, prm->max_pow10);
    memset(out, 0, sizeof *out);
    /* E[X] = sum_k k P(X = k) = n p (the chapter's sum(values * probs) = 3 * 0.5). */
    out->exact = (double)prm->trials * prm->p;
    out->chapter_mean = binomial_mean(r, prm->trials, prm->p, prm->chapter_size);
    double *g = malloc(prm->normal_size * sizeof *g);
    if (!g) return lmp_error_set(err, LMP_ENOMEM, "out of memory for %zu normal draws", prm->normal_size);
    for (size_t i = 0; i < prm->normal_size; i++) g[i] = prm->normal_mu + prm->normal_sigma * lmp_rng_normal(r);
    out->normal_mean = lmp_stats_mean(g, prm->normal_size);
    free(g);
    double np_ = (double)prm->trials * prm->p, var = np_ * (1 - prm->p);
    size_t size = 1;
    for (int k = 1; k <= prm->max_pow10; k++) {
        size *= 10;
        ch_exp_mc_row *row = &out->row[out->rows++];
        row->size = size;
        row->mean = binomial_mean(r, prm->trials, prm->p, size);
        row->abs_error = fabs(row->mean - np_);
        row->std_error = sqrt(var / (double)size);
    }
    return LMP_OK;
}

/* ---- rule ---------------------------------------------------------------------- */

ch_exp_rule_params ch_exp_rule_defaults(void)
{
    ch_exp_rule_params p = {1000000, NULL, NULL};
    return p;
}

lmp_status ch_exp_rule(lmp_rng *r, const ch_exp_rule_params *prm, ch_exp_rule_result *out, lmp_error *err)
{
    if (prm->n == 0) return lmp_error_set(err, LMP_EINVAL, "n = 0: expected at least one draw");
    size_t cnt[3] = {0, 0, 0};
    for (size_t i = 0; i < prm->n; i++) {
        if (prm->progress && (i & 0xfffff) == 0) prm->progress(prm->progress_ctx, (double)i / (double)prm->n);
        double z = fabs(lmp_rng_normal(r));
        cnt[0] += z < 1;
        cnt[1] += z < 2;
        cnt[2] += z < 3;
    }
    out->n = prm->n;
    for (int k = 0; k < 3; k++) {
        /* P(|Z| < k) = erf(k / sqrt 2) = 1 - erfc(...): the chapter's cdf(k) - cdf(-k). */
        out->exact[k] = erf((k + 1) / M_SQRT2);
        out->empirical[k] = (double)cnt[k] / (double)prm->n;
        out->std_error[k] = sqrt(out->exact[k] * (1 - out->exact[k]) / (double)prm->n);
    }
    return LMP_OK;
}

/* ---- clt ----------------------------------------------------------------------- */

ch_exp_clt_params ch_exp_clt_defaults(void)
{
    ch_exp_clt_params p = {10000, 30, 500, 0.05, NULL, NULL};
    return p;
}

/* One sample of n_experiments sums of n_samples uniforms: np.random.uniform(0, 1,
 * (n_experiments, n_samples)).sum(axis=1), row-major draws, pairwise row sums. */
typedef struct clt_work {
    const ch_exp_clt_params *prm;
    double done, total; /* draws */
} clt_work;

static void clt_did(clt_work *w, double draws)
{
    w->done += draws;
    if (w->prm->progress) w->prm->progress(w->prm->progress_ctx, w->done / w->total);
}

static void draw_sums(lmp_rng *r, size_t ne, size_t ns, double *row, double *sums, clt_work *w)
{
    double pending = 0; /* draws not reported yet: reported every 2^22 */
    for (size_t i = 0; i < ne; i++) {
        for (size_t j = 0; j < ns; j++) row[j] = lmp_rng_uniform(r);
        sums[i] = lmp_stats_sum(row, ns);
        if ((pending += (double)ns) >= 4194304.0) {
            clt_did(w, pending);
            pending = 0;
        }
    }
    clt_did(w, pending);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

lmp_status ch_exp_clt(lmp_rng *r, const ch_exp_clt_params *prm, ch_exp_clt_result *out, lmp_error *err)
{
    size_t ne = prm->n_experiments, ns = prm->n_samples;
    if (ne < 8 || ns == 0 || ns > 100000 || !(prm->alpha > 0 && prm->alpha < 1))
        return lmp_error_set(err, LMP_EINVAL,
                             "clt parameters: n_experiments = %zu, n_samples = %zu, alpha = %g: expected "
                             "n_experiments >= 8, 1 <= n_samples <= 100000, 0 < alpha < 1",
                             ne, ns, prm->alpha);
    memset(out, 0, sizeof *out);
    double *sums = malloc((ne + ns + (prm->repeats ? prm->repeats : 1)) * sizeof *sums);
    if (!sums) return lmp_error_set(err, LMP_ENOMEM, "out of memory for %zu sums", ne);
    double *row = sums + ne, *pv = row + ns;
    /* the work: 1 + repeats samples of ne * ns uniforms, and repeats control samples of ne normals */
    clt_work w = {prm, 0, (double)ne * ((double)ns * (double)(1 + prm->repeats) + (double)prm->repeats)};
    draw_sums(r, ne, ns, row, sums, &w);
    double n = (double)ns;
    out->mean = lmp_stats_mean(sums, ne);
    out->var = lmp_stats_variance(sums, ne, 0);
    out->skewness = lmp_stats_skewness(sums, ne, 1);
    out->kurtosis = lmp_stats_kurtosis(sums, ne, 1, 1);
    out->theory_mean = n / 2;
    out->theory_var = n / 12;
    out->theory_skewness = 0;
    out->theory_kurtosis = -6.0 / (5.0 * n);  /* Irwin-Hall excess kurtosis */
    lmp_test_result t;
    lmp_status st = lmp_stats_normaltest(sums, ne, &t, err);
    if (st) { free(sums); return st; }
    out->statistic = t.statistic;
    out->pvalue = t.pvalue;
    out->repeats = prm->repeats;
    out->reject_rate = out->reject_rate_001 = out->median_pvalue = out->control_reject_rate = NAN;
    if (prm->repeats) {
        size_t rej = 0, rej01 = 0, crej = 0;
        for (size_t k = 0; k < prm->repeats; k++) {
            draw_sums(r, ne, ns, row, sums, &w);
            if ((st = lmp_stats_normaltest(sums, ne, &t, err))) { free(sums); return st; }
            pv[k] = t.pvalue;
            rej += t.pvalue < prm->alpha;
            rej01 += t.pvalue < 0.01;
        }
        /* Control: exact Gaussian samples of the same size. A calibrated test
         * rejects ~alpha of them; the excess for the sums is real non-normality. */
        for (size_t k = 0; k < prm->repeats; k++) {
            for (size_t i = 0; i < ne; i++) sums[i] = lmp_rng_normal(r);
            clt_did(&w, (double)ne);
            if ((st = lmp_stats_normaltest(sums, ne, &t, err))) { free(sums); return st; }
            crej += t.pvalue < prm->alpha;
        }
        double R = (double)prm->repeats;
        out->reject_rate = (double)rej / R;
        out->reject_rate_001 = (double)rej01 / R;
        out->control_reject_rate = (double)crej / R;
        qsort(pv, prm->repeats, sizeof *pv, cmp_double);
        size_t m = prm->repeats;
        out->median_pvalue = m % 2 ? pv[m / 2] : 0.5 * (pv[m / 2 - 1] + pv[m / 2]);
    }
    free(sums);
    return LMP_OK;
}

/* ---- biasvar ------------------------------------------------------------------- */

ch_exp_biasvar_params ch_exp_biasvar_defaults(void)
{
    ch_exp_biasvar_params p;
    memset(&p, 0, sizeof p);
    p.n_datasets = 200;
    p.n_train = 20;
    p.sigma = 0.3;
    p.x_test = 0.5;
    p.n_degrees = 4;
    p.degrees[0] = 1;
    p.degrees[1] = 3;
    p.degrees[2] = 7;
    p.degrees[3] = 15;
    p.n_grid = 19;
    p.grid_lo = 0.05;
    p.grid_hi = 0.95;
    return p;
}

static double true_fn(double x)
{
    return sin(2 * M_PI * x);  /* (2 pi) x, as numpy evaluates 2 * np.pi * x */
}

lmp_status ch_exp_biasvar(lmp_rng *r, const ch_exp_biasvar_params *prm, ch_exp_biasvar_result *out,
                           lmp_error *err)
{
    size_t nd = prm->n_datasets, nt = prm->n_train, ng = prm->n_grid;
    if (nd < 2 || nt < 1 || !(prm->sigma >= 0) || !isfinite(prm->x_test) || prm->n_degrees < 1 ||
        prm->n_degrees > CH_EXP_BIASVAR_MAX_DEGREES || ng < 1 || ng > CH_EXP_BIASVAR_MAX_GRID ||
        !(prm->grid_lo <= prm->grid_hi))
        return lmp_error_set(err, LMP_EINVAL,
                             "biasvar parameters: expected n_datasets >= 2, n_train >= 1, sigma >= 0, 1..%d "
                             "degrees and 1..%d grid points",
                             CH_EXP_BIASVAR_MAX_DEGREES, CH_EXP_BIASVAR_MAX_GRID);
    for (size_t d = 0; d < prm->n_degrees; d++)
        if (prm->degrees[d] < 0 || (size_t)prm->degrees[d] >= nt)
            return lmp_error_set(err, LMP_EINVAL, "degree = %d with %zu training points: expected 0 <= degree < %zu",
                                 prm->degrees[d], nt, nt);
    memset(out, 0, sizeof *out);
    /* preds: nd x (1 + ng): column 0 at x_test, then the grid. */
    size_t w = 1 + ng;
    double *x = malloc((2 * nt + nd * w + nd) * sizeof *x);
    if (!x) return lmp_error_set(err, LMP_ENOMEM, "out of memory");
    double *y = x + nt, *preds = y + nt, *col = preds + nd * w;
    double gx[CH_EXP_BIASVAR_MAX_GRID];
    for (size_t j = 0; j < ng; j++)
        gx[j] = ng == 1 ? prm->grid_lo : prm->grid_lo + (double)j * ((prm->grid_hi - prm->grid_lo) / (double)(ng - 1));
    for (size_t d = 0; d < prm->n_degrees; d++) {
        size_t rankdef = 0;
        for (size_t s = 0; s < nd; s++) {
            for (size_t i = 0; i < nt; i++) x[i] = lmp_rng_uniform(r);          /* np.random.uniform(0, 1, n) */
            for (size_t i = 0; i < nt; i++) y[i] = true_fn(x[i]) + prm->sigma * lmp_rng_normal(r);  /* + sigma randn */
            size_t deg = (size_t)prm->degrees[d];
            if (prm->numpy_fit) {
                double coef[LMP_LINALG_POLY_MAX_DEGREE + 1];
                size_t rank;
                lmp_status st = lmp_linalg_polyfit_numpy(x, y, nt, deg, coef, &rank, err);
                if (st) { free(x); return st; }
                rankdef += rank < deg + 1;
                preds[s * w] = lmp_linalg_polyval(coef, deg, prm->x_test);
                for (size_t j = 0; j < ng; j++) preds[s * w + 1 + j] = lmp_linalg_polyval(coef, deg, gx[j]);
            } else {
                lmp_linalg_poly fit;
                lmp_status st = lmp_linalg_poly_fit(x, y, nt, deg, &fit, err);
                if (st) { free(x); return st; }
                preds[s * w] = lmp_linalg_poly_eval(&fit, prm->x_test);
                for (size_t j = 0; j < ng; j++) preds[s * w + 1 + j] = lmp_linalg_poly_eval(&fit, gx[j]);
            }
        }
        ch_exp_biasvar_row *row = &out->row[out->rows++];
        row->rank_deficient = rankdef;
        row->degree = prm->degrees[d];
        double s2 = prm->sigma * prm->sigma;
        for (size_t j = 0; j < w; j++) {
            for (size_t s = 0; s < nd; s++) col[s] = preds[s * w + j];
            double truth = true_fn(j == 0 ? prm->x_test : gx[j - 1]);
            double m = lmp_stats_mean(col, nd);
            double b2 = (m - truth) * (m - truth);
            double v = lmp_stats_variance(col, nd, 0);  /* preds.var(): population variance */
            if (j == 0) {
                row->bias2 = b2;
                row->var = v;
                row->mse = b2 + v + s2;
            } else {
                row->grid_bias2 += b2 / (double)ng;
                row->grid_var += v / (double)ng;
            }
        }
        row->grid_mse = row->grid_bias2 + row->grid_var + s2;
    }
    free(x);
    return LMP_OK;
}

/* ---- disease ------------------------------------------------------------------- */

ch_exp_disease_params ch_exp_disease_defaults(void)
{
    ch_exp_disease_params p = {0.001, 0.99, 0.05, 3, 1000000, NULL, NULL};
    return p;
}

lmp_status ch_exp_disease(lmp_rng *r, const ch_exp_disease_params *prm, ch_exp_disease_result *out,
                           lmp_error *err)
{
    memset(out, 0, sizeof *out); /* so that ch_exp_disease_free is safe after a failure */
    if (!(prm->prior >= 0 && prm->prior <= 1) || !(prm->sensitivity >= 0 && prm->sensitivity <= 1) ||
        !(prm->fpr >= 0 && prm->fpr <= 1))
        return lmp_error_set(err, LMP_EINVAL,
                             "prior = %g, sensitivity = %g, fpr = %g: expected probabilities in [0, 1]", prm->prior,
                             prm->sensitivity, prm->fpr);
    if (prm->tests < 0 || prm->tests > CH_EXP_DISEASE_MAX_TESTS)
        return lmp_error_set(err, LMP_EINVAL, "tests = %d: expected 0..%d", prm->tests, CH_EXP_DISEASE_MAX_TESTS);
    out->row = calloc((size_t)prm->tests + 1, sizeof *out->row);
    if (!out->row) return lmp_error_set(err, LMP_ENOMEM, "out of memory for %d rows", prm->tests + 1);
    out->rows = prm->tests + 1;
    double p = prm->prior;
    for (int k = 0; k <= prm->tests; k++) {
        out->row[k].positives = k;
        out->row[k].posterior = p;
        /* next prior = this posterior (independent tests given the condition) */
        if (k == prm->tests) break;
        double pe = prm->sensitivity * p + prm->fpr * (1 - p);
        /* A positive that cannot happen has no posterior (0/0): refused as bayes disease refuses it, where
         * the rows printed nan with exit 0. */
        if (!(pe > 0)) {
            free(out->row);
            memset(out, 0, sizeof *out);
            return lmp_error_set(err, LMP_EDOM,
                                 "test %d is '+' but P(+) = 0 with --sensitivity %g --fpr %g (prior %g): expected a "
                                 "possible result",
                                 k + 1, prm->sensitivity, prm->fpr, p);
        }
        p = prm->sensitivity * p / pe;
    }
    /* Simulate: each person is sick with probability prior, then takes tests
     * while they keep coming back positive. */
    for (size_t i = 0; i < prm->population; i++) {
        if (prm->progress && (i & 0xfffff) == 0) prm->progress(prm->progress_ctx, (double)i / (double)prm->population);
        int sick = lmp_rng_uniform(r) < prm->prior;
        double q = sick ? prm->sensitivity : prm->fpr;
        out->row[0].people++;
        out->row[0].sick += (size_t)sick;
        for (int k = 1; k <= prm->tests; k++) {
            if (!(lmp_rng_uniform(r) < q)) break;
            out->row[k].people++;
            out->row[k].sick += (size_t)sick;
        }
    }
    for (int k = 0; k <= prm->tests; k++)
        out->row[k].simulated = out->row[k].people ? (double)out->row[k].sick / (double)out->row[k].people : NAN;
    return LMP_OK;
}

void ch_exp_disease_free(ch_exp_disease_result *out)
{
    if (!out) return;
    free(out->row);
    out->row = NULL;
    out->rows = 0;
}
