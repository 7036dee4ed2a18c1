/* Unit tests for include/lmprob/bayes.h: joint tables, Bayes' rule, beta-binomial. */
#include <float.h>
#include <stdint.h>

#include "lmprob/bayes.h"
#include "test.h"

/* The chapter's P(Weather, Mood): rows Sunny/Rainy, columns Happy/Sad. */
static const double weather[4] = {0.40, 0.10, 0.15, 0.35};

static void test_marginals_conditionals(void)
{
    double px[2], py[2], c[4];
    CHECK(lmp_joint_check(weather, 2, 2, 1e-9, NULL) == LMP_OK);
    lmp_joint_marginals(weather, 2, 2, px, py);
    /* Sums of two decimals: one rounding each. */
    CHECK_ABS(px[0], 0.5, 1e-16);
    CHECK_ABS(px[1], 0.5, 1e-16);
    CHECK_ABS(py[0], 0.55, 1e-16);
    CHECK_ABS(py[1], 0.45, 2e-16);
    lmp_joint_y_given_x(weather, 2, 2, c);
    CHECK_REL(c[0], 0.8, 2 * DBL_EPSILON);  /* P(Happy | Sunny), the chapter's [0.8 0.2] */
    CHECK_REL(c[1], 0.2, 2 * DBL_EPSILON);
    CHECK_REL(c[2] + c[3], 1.0, 2 * DBL_EPSILON);
    lmp_joint_x_given_y(weather, 2, 2, c);
    CHECK_REL(c[0], 0.40 / 0.55, 4 * DBL_EPSILON);  /* P(Sunny | Happy) */
    CHECK_REL(c[0] + c[2], 1.0, 2 * DBL_EPSILON);
    /* Not independent: P(S,H) - P(S)P(H) = 0.4 - 0.275 = 0.125. */
    CHECK_ABS(lmp_joint_independence_gap(weather, 2, 2), 0.125, 1e-15);
    CHECK(!lmp_joint_is_independent(weather, 2, 2, 1e-9));
    /* An outer product is independent. */
    double ind[6];
    const double a[2] = {0.3, 0.7}, b[3] = {0.2, 0.5, 0.3};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++) ind[i * 3 + j] = a[i] * b[j];
    CHECK(lmp_joint_independence_gap(ind, 2, 3) < 1e-16);
    CHECK(lmp_joint_is_independent(ind, 2, 3, 1e-12));
}

static void test_zero_rows(void)
{
    double p[4] = {0.5, 0.5, 0, 0}, c[4];
    lmp_joint_y_given_x(p, 2, 2, c);
    CHECK(c[0] == 0.5 && isnan(c[2]) && isnan(c[3]));
}

static void test_table_errors(void)
{
    lmp_error e;
    double bad[4] = {0.4, 0.1, 1.2, 0.35};
    CHECK(lmp_joint_check(bad, 2, 2, 1e-9, &e) == LMP_EINVAL);
    CHECK_MSG(strstr(e.msg, "p[1][0] = 1.2"), "%s", e.msg);
    double sum9[4] = {0.4, 0.1, 0.15, 0.25};
    CHECK(lmp_joint_check(sum9, 2, 2, 1e-9, &e) == LMP_EINVAL);
    CHECK_MSG(strstr(e.msg, "sum to 0.9") && strstr(e.msg, "expected 1"), "%s", e.msg);
    CHECK(lmp_joint_check(sum9, 2, 2, NAN, &e) == LMP_EINVAL); /* said "expected 1 within nan" */
    CHECK_MSG(strstr(e.msg, "tol = nan"), "%s", e.msg);
    CHECK(lmp_joint_check(sum9, 2, 2, -1.0, &e) == LMP_EINVAL && strstr(e.msg, "tol = -1"));
    CHECK(lmp_joint_normalize(sum9, 2, 2, &e) == LMP_OK);
    CHECK(lmp_joint_check(sum9, 2, 2, 1e-12, &e) == LMP_OK);
    double neg[2] = {-1, 2};
    CHECK(lmp_joint_normalize(neg, 1, 2, &e) == LMP_EINVAL);
    double zero[2] = {0, 0};
    CHECK(lmp_joint_normalize(zero, 1, 2, &e) == LMP_EINVAL);
    double nanp[1] = {NAN};
    CHECK(lmp_joint_check(nanp, 1, 1, 1e-9, &e) == LMP_EINVAL);
    /* cells whose total overflows: a quarter each (was 0, and every conditional NaN) */
    double huge[4] = {1e308, 1e308, 1e308, 1e308}, cond[4];
    CHECK(lmp_joint_normalize(huge, 2, 2, &e) == LMP_OK);
    CHECK(huge[0] == 0.25 && huge[3] == 0.25);
    lmp_joint_y_given_x(huge, 2, 2, cond);
    CHECK(cond[0] == 0.5 && cond[3] == 0.5);
}

static void test_disease(void)
{
    /* The chapter's b04 and its second test (golden values, closed forms). */
    CHECK_REL(lmp_bayes_total_probability(0.001, 0.99, 0.05), 0.99 * 0.001 + 0.05 * 0.999, 1e-15);
    CHECK_REL(lmp_bayes_posterior(0.001, 0.99, 0.05, 1), 0.019434628975265017, 1e-14);
    CHECK_REL(lmp_bayes_posterior(0.001, 0.99, 0.05, 2), 0.28183229813664595, 1e-13);
    CHECK(lmp_bayes_posterior(0.001, 0.99, 0.05, 0) == 0.001);
    /* Many positives: the posterior tends to 1 without 0/0 (the closed form underflows at n ~ 250). */
    double p = lmp_bayes_posterior(0.001, 0.99, 0.05, 400);
    CHECK(p > 0.999999 && p <= 1.0);
    CHECK(isnan(lmp_bayes_posterior(1.5, 0.99, 0.05, 1)));
    CHECK(isnan(lmp_bayes_posterior(0.1, 0.99, 0.05, -1)));
    CHECK(isnan(lmp_bayes_update(0.5, 0.0, 0.0)));  /* P(E) = 0 */
    CHECK(isnan(lmp_bayes_posterior(0.0, 0.5, 0.0, 3)) && isnan(lmp_bayes_posterior(1.0, 0.0, 0.5, 3)));
    CHECK(lmp_bayes_posterior(0.0, 0.5, 0.25, 3) == 0.0 && lmp_bayes_posterior(0.5, 0.5, 0.0, 3) == 1.0);
    /* Products below the subnormals (seed 12 of the accuracy suite): s p = 1.7e-364 was 0 at the first update, and
     * the posterior 0 (now the scaled closed form; mpmath at 50 digits, s^n p / (s^n p + f^n (1 - p))). 8 u (1 +
     * kappa), kappa = 1 + 2n (1 - posterior) */
    CHECK_REL(lmp_bayes_posterior(2.1247214685893796e-86, 8.016293305043796e-279, 2.4597146024112052e-124, 1),
              6.924539321366544448860504e-241, 3.6e-15);                                        /* old: 0 */
    CHECK_REL(lmp_bayes_posterior(1.1923761926394632e-215, 6.350548841057468e-155, 9.184566278049337e-144, 3),
              3.941587029526927780417685e-249, 7.2e-15);                                        /* old: 0 */
    CHECK_REL(lmp_bayes_update(1e-200, 1e-200, 1e-300), 9.99999999999999939141433e-101, 3.6e-15);  /* old: 0 */
    CHECK_REL(lmp_bayes_update(0.3, 1e-310, 2e-310), 0.1764705882352941099638545, 3.6e-15);   /* subnormal s p */
    /* n = 1000 (the sequential updates took n steps; the powers take log2 n) */
    CHECK_REL(lmp_bayes_posterior(0.25, 0.5, 0.75, 1000), 2.701591552175855556828089e-177, 1.8e-12);
    CHECK(lmp_bayes_posterior(0.25, 0.5, 0.75, 1000000000) == 0.0);   /* 2^-584962502; old: 3 * 2^-1074 */
}

static void test_beta_binomial(void)
{
    /* Golden: Beta(2,2) prior, 7 of 10 -> Beta(9,5). */
    CHECK_REL(lmp_bayes_beta_posterior_mean(2, 2, 7, 10), 9.0 / 14.0, 1e-15);
    CHECK_REL(lmp_bayes_beta_posterior_mode(2, 2, 7, 10), 8.0 / 12.0, 1e-15);
    CHECK_REL(lmp_bayes_beta_binomial_logpmf(7, 10, 2, 2), -2.1902559080201263, 1e-13);
    /* scipy.stats.betabinom.logpmf at other points; lgamma differences: 1e-12. */
    CHECK_REL(lmp_bayes_beta_binomial_logpmf(3, 20, 0.5, 0.7), -2.9705847244928894, 1e-12);
    CHECK_REL(lmp_bayes_beta_binomial_logpmf(0, 5, 1, 1), -log(6.0), 1e-14);  /* uniform prior: 1/(n+1) */
    CHECK_REL(lmp_bayes_beta_binomial_logpmf(150, 300, 30.5, 12.25), -7.762627653572427, 1e-11);
    /* Mode at the boundary and undefined. */
    CHECK(lmp_bayes_beta_posterior_mode(1, 3, 0, 2) == 0.0);
    CHECK(lmp_bayes_beta_posterior_mode(3, 1, 2, 2) == 1.0);
    CHECK(isnan(lmp_bayes_beta_posterior_mode(0.5, 0.5, 0, 0)));
    CHECK(isnan(lmp_bayes_beta_posterior_mean(-1, 2, 1, 2)));
    CHECK(isnan(lmp_bayes_beta_binomial_logpmf(3, 2, 1, 1)));
    /* The pmf sums to 1 over k = 0..n. */
    double s = 0;
    for (long k = 0; k <= 30; k++) s += exp(lmp_bayes_beta_binomial_logpmf(k, 30, 2.5, 0.8));
    CHECK_ABS(s, 1.0, 1e-13);
}

/* A table or output that is NULL while the table has cells: LMP_EINVAL naming it, NaN from the gap, 0 from
 * is_independent, nothing done by the void functions (each crashed before). */
static void test_null_arrays(void)
{
    double p[4] = {0.25, 0.25, 0.25, 0.25}, px[2] = {-1, -1}, py[2] = {-1, -1}, out[4] = {-1, -1, -1, -1};
    lmp_error e;
    CHECK(lmp_joint_check(NULL, 2, 2, 1e-9, &e) == LMP_EINVAL && strstr(e.msg, "joint_check: p is NULL (table 2 x 2)"));
    CHECK(lmp_joint_normalize(NULL, 2, 2, &e) == LMP_EINVAL && strstr(e.msg, "joint_normalize: p is NULL"));
    CHECK(isnan(lmp_joint_independence_gap(NULL, 2, 2)) && lmp_joint_is_independent(NULL, 2, 2, 1.0) == 0);
    lmp_joint_marginals(NULL, 2, 2, px, py);
    lmp_joint_marginals(p, 2, 2, NULL, py);
    lmp_joint_marginals(p, 2, 2, px, NULL);
    CHECK(px[0] == -1 && py[0] == -1);
    lmp_joint_x_given_y(NULL, 2, 2, out);
    lmp_joint_x_given_y(p, 2, 2, NULL);
    lmp_joint_y_given_x(NULL, 2, 2, out);
    lmp_joint_y_given_x(p, 2, 2, NULL);
    CHECK(out[0] == -1);
    lmp_joint_marginals(p, 2, 2, px, py); /* and the valid calls still work */
    CHECK(px[0] == 0.5 && py[1] == 0.5);
}

/* A table whose cells cannot exist (rows x cols doubles overflow size_t): LMP_ERANGE, nothing read
 * (joint_normalize read p[6][0] of a 4-cell array as rows x cols wrapped) */
static void test_table_too_large(void)
{
    double p[4] = {0.1, 0.2, 0.3, 0.4};
    lmp_error err;
    CHECK_INT(lmp_joint_check(p, SIZE_MAX / 2, 4, 1e-9, &err), LMP_ERANGE);
    CHECK_INT(lmp_joint_normalize(p, SIZE_MAX / 2, 4, &err), LMP_ERANGE);
    CHECK(p[0] == 0.1 && p[3] == 0.4);
    CHECK_INT(lmp_joint_check(p, 2, 2, 1e-9, &err), LMP_OK);
}

int main(int argc, char **argv)
{
    (void)argc;
    RUN(test_table_too_large);
    RUN(test_marginals_conditionals);
    RUN(test_zero_rows);
    RUN(test_table_errors);
    RUN(test_disease);
    RUN(test_beta_binomial);
    RUN(test_null_arrays);
    return TEST_SUMMARY();
}
