/* Joint tables, Bayes' rule and the beta-binomial model (see bayes.h). */
#include <math.h>

#include "lmprob/bayes.h"

static int is_prob(double p)
{
    return p >= 0 && p <= 1;  /* false for NaN */
}

lmp_status lmp_joint_check(const double *p, size_t rows, size_t cols, double tol, lmp_error *err)
{
    if (rows == 0 || cols == 0)
        return lmp_error_set(err, LMP_EINVAL, "table is %zu x %zu: expected at least one row and one column", rows,
                             cols);
    double s = 0;
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            double v = p[i * cols + j];
            if (!is_prob(v))
                return lmp_error_set(err, LMP_EINVAL, "p[%zu][%zu] = %g: expected a probability in [0, 1]", i, j, v);
            s += v;
        }
    if (!(fabs(s - 1.0) <= tol))
        return lmp_error_set(err, LMP_EINVAL, "cells sum to %.17g: expected 1 within %g", s, tol);
    return LMP_OK;
}

lmp_status lmp_joint_normalize(double *p, size_t rows, size_t cols, lmp_error *err)
{
    if (rows == 0 || cols == 0)
        return lmp_error_set(err, LMP_EINVAL, "table is %zu x %zu: expected at least one row and one column", rows,
                             cols);
    double s = 0;
    for (size_t k = 0; k < rows * cols; k++) {
        if (!(p[k] >= 0) || !isfinite(p[k]))
            return lmp_error_set(err, LMP_EINVAL, "p[%zu][%zu] = %g: expected a finite non-negative weight",
                                 k / cols, k % cols, p[k]);
        s += p[k];
    }
    if (!(s > 0)) return lmp_error_set(err, LMP_EINVAL, "cells sum to 0: expected a positive total");
    for (size_t k = 0; k < rows * cols; k++) p[k] /= s;
    return LMP_OK;
}

void lmp_joint_marginals(const double *p, size_t rows, size_t cols, double *px, double *py)
{
    /* Accumulate in the same order as numpy's joint.sum(axis=...) on these small tables. */
    for (size_t j = 0; j < cols; j++) py[j] = 0;
    for (size_t i = 0; i < rows; i++) {
        double s = 0;
        for (size_t j = 0; j < cols; j++) {
            s += p[i * cols + j];
            py[j] += p[i * cols + j];
        }
        px[i] = s;
    }
}

void lmp_joint_x_given_y(const double *p, size_t rows, size_t cols, double *out)
{
    for (size_t j = 0; j < cols; j++) {
        double py = 0;
        for (size_t i = 0; i < rows; i++) py += p[i * cols + j];
        for (size_t i = 0; i < rows; i++) out[i * cols + j] = py > 0 ? p[i * cols + j] / py : NAN;
    }
}

void lmp_joint_y_given_x(const double *p, size_t rows, size_t cols, double *out)
{
    for (size_t i = 0; i < rows; i++) {
        double px = 0;
        for (size_t j = 0; j < cols; j++) px += p[i * cols + j];
        for (size_t j = 0; j < cols; j++) out[i * cols + j] = px > 0 ? p[i * cols + j] / px : NAN;
    }
}

double lmp_joint_independence_gap(const double *p, size_t rows, size_t cols)
{
    double gap = 0;
    for (size_t i = 0; i < rows; i++) {
        double px = 0;
        for (size_t j = 0; j < cols; j++) px += p[i * cols + j];
        for (size_t j = 0; j < cols; j++) {
            double py = 0;
            for (size_t k = 0; k < rows; k++) py += p[k * cols + j];
            double d = fabs(p[i * cols + j] - px * py);
            if (!(d <= gap)) gap = d;  /* NaN propagates */
        }
    }
    return gap;
}

int lmp_joint_is_independent(const double *p, size_t rows, size_t cols, double tol)
{
    return lmp_joint_independence_gap(p, rows, cols) <= tol;
}

double lmp_bayes_total_probability(double prior, double p_e_given_h, double p_e_given_not_h)
{
    if (!is_prob(prior) || !is_prob(p_e_given_h) || !is_prob(p_e_given_not_h)) return NAN;
    return p_e_given_h * prior + p_e_given_not_h * (1 - prior);
}

double lmp_bayes_update(double prior, double p_e_given_h, double p_e_given_not_h)
{
    double pe = lmp_bayes_total_probability(prior, p_e_given_h, p_e_given_not_h);
    if (!(pe > 0)) return NAN;
    return (p_e_given_h * prior) / pe;
}

double lmp_bayes_posterior(double prior, double sensitivity, double false_positive_rate, long n_positive)
{
    if (n_positive < 0 || !is_prob(prior) || !is_prob(sensitivity) || !is_prob(false_positive_rate)) return NAN;
    /* Sequential updates, each posterior the next prior: stays in [0, 1] for any
     * n (the closed form s^n p / (s^n p + f^n (1-p)) underflows to 0/0). */
    double p = prior;
    for (long k = 0; k < n_positive; k++) {
        p = lmp_bayes_update(p, sensitivity, false_positive_rate);
        if (isnan(p)) return NAN;
    }
    return p;
}

static int beta_args_ok(double a, double b, long heads, long n)
{
    return a > 0 && b > 0 && isfinite(a) && isfinite(b) && n >= 0 && heads >= 0 && heads <= n;
}

double lmp_bayes_beta_posterior_mean(double a, double b, long heads, long n)
{
    if (!beta_args_ok(a, b, heads, n)) return NAN;
    return (a + (double)heads) / (a + b + (double)n);
}

double lmp_bayes_beta_posterior_mode(double a, double b, long heads, long n)
{
    if (!beta_args_ok(a, b, heads, n)) return NAN;
    double A = a + (double)heads, B = b + (double)(n - heads);
    if (A > 1 && B > 1) return (A - 1) / (A + B - 2);
    if (A <= 1 && B > 1) return 0.0;  /* density decreasing on (0, 1) */
    if (A > 1 && B <= 1) return 1.0;  /* density increasing */
    return NAN;                       /* U-shaped or uniform: no unique mode */
}

/* log B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b); lgamma_r keeps the sign
 * out of the global signgam (no global state). Arguments here are > 0. */
static double log_beta(double a, double b)
{
    int s;
    return lgamma_r(a, &s) + lgamma_r(b, &s) - lgamma_r(a + b, &s);
}

double lmp_bayes_beta_binomial_logpmf(long heads, long n, double a, double b)
{
    if (!beta_args_ok(a, b, heads, n)) return NAN;
    double k = (double)heads, N = (double)n;
    /* log C(n, k) = -log(n + 1) - log B(n - k + 1, k + 1) (scipy's _lcomb form). */
    double log_comb = -log1p(N) - log_beta(N - k + 1, k + 1);
    return log_comb + log_beta(k + a, N - k + b) - log_beta(a, b);
}
