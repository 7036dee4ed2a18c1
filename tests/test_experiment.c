/* Unit tests for cli/chapter/experiment.h: numpy parity of the chapter's
 * experiments on the legacy stream, and statistical properties on xoshiro. */
#include <math.h>
#include <stdlib.h>

#include "chapter/experiment.h"
#include "test.h"

static void test_mc_numpy(void)
{
    /* np.random.seed(42); binomial(3, .5, 100000).mean(); normal(3, 2, 10**6).mean();
     * then binomial(3, .5, 10).mean(), (.., 100).mean(). Integer sums are exact and
     * the normal mean uses numpy's pairwise order: equality. */
    lmp_rng r;
    ch_exp_mc_params p = ch_exp_mc_defaults();
    p.max_pow10 = 2;
    ch_exp_mc_result o;
    CHECK(lmp_rng_seed(&r, LMP_RNG_NUMPY_LEGACY, 42, NULL) == LMP_OK);
    CHECK(ch_exp_mc(&r, &p, &o, NULL) == LMP_OK);
    CHECK(o.exact == 1.5);
    CHECK(o.chapter_mean == 1.49848);
    CHECK_REL(o.normal_mean, 2.997116549422912, 1e-15);
    CHECK_INT(o.rows, 2);
    CHECK(o.row[0].mean == 1.1 && o.row[1].mean == 1.68);
    p.max_pow10 = 0;
    lmp_error e;
    CHECK(ch_exp_mc(&r, &p, &o, &e) == LMP_EINVAL);
}

static void test_rule(void)
{
    lmp_rng r;
    ch_exp_rule_params p = {200000, NULL, NULL};
    ch_exp_rule_result o;
    CHECK(lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 5, NULL) == LMP_OK);
    CHECK(ch_exp_rule(&r, &p, &o, NULL) == LMP_OK);
    CHECK_REL(o.exact[0], 0.6826894921370859, 1e-15);
    CHECK_REL(o.exact[2], 0.9973002039367398, 1e-15);
    /* Each fraction within 4 binomial standard errors: false-failure rate ~6e-5 per check. */
    for (int k = 0; k < 3; k++) CHECK(fabs(o.empirical[k] - o.exact[k]) < 4 * o.std_error[k]);
}

static void test_clt_numpy(void)
{
    /* np.random.seed(42); s = uniform(0, 1, (10000, 30)).sum(axis=1); stats.normaltest(s). */
    lmp_rng r;
    ch_exp_clt_params p = ch_exp_clt_defaults();
    p.repeats = 0;
    ch_exp_clt_result o;
    CHECK(lmp_rng_seed(&r, LMP_RNG_NUMPY_LEGACY, 42, NULL) == LMP_OK);
    CHECK(ch_exp_clt(&r, &p, &o, NULL) == LMP_OK);
    CHECK(o.mean == 15.014426174818958);
    CHECK_REL(o.var, 2.4983864784365557, 1e-15);
    CHECK_REL(o.statistic, 0.90441109611102, 1e-12);
    CHECK_REL(o.pvalue, 0.6362233818049462, 1e-12);
    CHECK_REL(o.theory_kurtosis, -0.04, 1e-15);
    CHECK(isnan(o.reject_rate));
}

static void test_clt_control(void)
{
    /* 200 repeats of 2000 sums: the Gaussian control rejects ~5%; 4 binomial
     * standard errors (sqrt(.05 .95 / 200) = 1.5%) around 5%. */
    lmp_rng r;
    ch_exp_clt_params p = ch_exp_clt_defaults();
    p.n_experiments = 2000;
    p.repeats = 200;
    ch_exp_clt_result o;
    CHECK(lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 11, NULL) == LMP_OK);
    CHECK(ch_exp_clt(&r, &p, &o, NULL) == LMP_OK);
    CHECK(fabs(o.control_reject_rate - 0.05) < 4 * sqrt(0.05 * 0.95 / 200));
    CHECK(o.median_pvalue > 0 && o.median_pvalue < 1);
}

static void test_biasvar_numpy(void)
{
    /* The chapter's block, degrees 1 and 3, numpy 1.24 values (np.polyfit + np.polyval). */
    lmp_rng r;
    ch_exp_biasvar_params p = ch_exp_biasvar_defaults();
    p.n_degrees = 2;
    p.numpy_fit = 1;
    ch_exp_biasvar_result o;
    CHECK(lmp_rng_seed(&r, LMP_RNG_NUMPY_LEGACY, 0, NULL) == LMP_OK);
    CHECK(ch_exp_biasvar(&r, &p, &o, NULL) == LMP_OK);
    /* Well-conditioned fits: only rounding differs from LAPACK (1e-9 relative on bias^2 ~1e-5). */
    CHECK_REL(o.row[0].bias2, 1.3620120836960551e-05, 1e-9);
    CHECK_REL(o.row[0].var, 0.013618923045058845, 1e-11);
    CHECK_REL(o.row[1].bias2, 1.4843238385668745e-05, 1e-9);
    CHECK_REL(o.row[1].var, 0.011863113650142854, 1e-11);
    CHECK_INT(o.row[1].rank_deficient, 0);
    /* The exact fit gives the same rows for these degrees. */
    ch_exp_biasvar_result q;
    p.numpy_fit = 0;
    CHECK(lmp_rng_seed(&r, LMP_RNG_NUMPY_LEGACY, 0, NULL) == LMP_OK);
    CHECK(ch_exp_biasvar(&r, &p, &q, NULL) == LMP_OK);
    CHECK_REL(q.row[1].var, o.row[1].var, 1e-11);
    p.degrees[1] = 20;
    lmp_error e;
    CHECK(ch_exp_biasvar(&r, &p, &q, &e) == LMP_EINVAL);
    CHECK(strstr(e.msg, "degree = 20"));
}

static void test_disease(void)
{
    lmp_rng r;
    ch_exp_disease_params p = ch_exp_disease_defaults();
    p.population = 400000;
    ch_exp_disease_result o;
    CHECK(lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 9, NULL) == LMP_OK);
    CHECK(ch_exp_disease(&r, &p, &o, NULL) == LMP_OK);
    CHECK_INT(o.rows, 4);
    CHECK_REL(o.row[1].posterior, 0.019434628975265017, 1e-14);
    CHECK_REL(o.row[2].posterior, 0.28183229813664595, 1e-13);
    /* Simulation within 4 binomial standard errors of Bayes' answer. */
    for (int k = 1; k <= 3; k++) {
        double q = o.row[k].posterior, se = sqrt(q * (1 - q) / (double)o.row[k].people);
        CHECK_MSG(fabs(o.row[k].simulated - q) < 4 * se, "k=%d sim %g bayes %g se %g", k, o.row[k].simulated, q, se);
    }
    ch_exp_disease_free(&o);
    /* bayes disease's range (CLI_OPT_TESTS): the rows are allocated, no longer a table of 11 */
    p.tests = CH_EXP_DISEASE_MAX_TESTS;
    p.population = 1000;
    CHECK(ch_exp_disease(&r, &p, &o, NULL) == LMP_OK);
    CHECK_INT(o.rows, CH_EXP_DISEASE_MAX_TESTS + 1);
    CHECK(o.row[CH_EXP_DISEASE_MAX_TESTS].positives == CH_EXP_DISEASE_MAX_TESTS);
    CHECK_REL(o.row[2].posterior, 0.28183229813664595, 1e-13);
    ch_exp_disease_free(&o);
    p.tests = CH_EXP_DISEASE_MAX_TESTS + 1;
    lmp_error e;
    CHECK(ch_exp_disease(&r, &p, &o, &e) == LMP_EINVAL);
    ch_exp_disease_free(&o); /* a no-op after a failure */
    /* a positive with P(+) = 0 has no posterior: refused (the rows held nan), as bayes disease refuses it */
    p = ch_exp_disease_defaults();
    p.population = 10;
    p.sensitivity = 0;
    p.fpr = 0;
    CHECK(ch_exp_disease(&r, &p, &o, &e) == LMP_EDOM);
    CHECK(strstr(e.msg, "test 1 is '+' but P(+) = 0") != NULL);
    CHECK(o.row == NULL && o.rows == 0);
    p.tests = 0; /* no test: the prior alone */
    CHECK(ch_exp_disease(&r, &p, &o, &e) == LMP_OK);
    CHECK_INT(o.rows, 1);
    ch_exp_disease_free(&o);
}

static void test_map_loss_chapter(void)
{
    /* ERRATA b05: p = [.7, .2, .1], one-hot target 0: the chapter's map_loss
     * returns CE / 3 = 0.11889 (np.mean over the V entries too). */
    double pred[] = {0.7, 0.2, 0.1}, tg[] = {1.0, 0.0, 0.0}, w[] = {0.5, -2.0}, loss;
    CHECK(ch_map_loss(pred, tg, 1, 3, w, 2, 0.0, LMP_PRIOR_GAUSSIAN, &loss, NULL) == LMP_OK);
    CHECK_REL(loss, -log(0.7 + 1e-9) / 3.0, 1e-15);
    CHECK_ABS(loss, 0.11889, 1e-5);
    CHECK(ch_map_loss(pred, tg, 1, 3, w, 2, 0.01, LMP_PRIOR_LAPLACE, &loss, NULL) == LMP_OK);
    CHECK_REL(loss, -log(0.7 + 1e-9) / 3.0 + 0.01 * 2.5, 1e-15);
    /* arguments are checked as lmp_map_loss checks them */
    lmp_error err;
    CHECK(ch_map_loss(pred, tg, 1, 3, w, 2, -1.0, LMP_PRIOR_GAUSSIAN, &loss, &err) == LMP_EINVAL);
}

int main(int argc, char **argv)
{
    (void)argc;
    RUN(test_mc_numpy);
    RUN(test_rule);
    RUN(test_clt_numpy);
    RUN(test_clt_control);
    RUN(test_biasvar_numpy);
    RUN(test_disease);
    RUN(test_map_loss_chapter);
    return TEST_SUMMARY();
}
