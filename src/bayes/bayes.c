/* Joint tables, Bayes' rule and the beta-binomial model (see bayes.h). */
#include <math.h>

#include "lmprob/bayes.h"

#include "../dist/internal.h"
#include "../core/sizes.h"

static int is_prob(double p)
{
    return p >= 0 && p <= 1;  /* false for NaN */
}

/* 1 when the table has cells and p, or an output of rows x cols cells (out), is NULL: the void
 * functions then do nothing, the others refuse it (bayes.h). */
static int null_table(const double *p, size_t rows, size_t cols, const double *out)
{
    return rows && cols && (!p || !out);
}

static lmp_status null_table_error(const char *fn, size_t rows, size_t cols, lmp_error *err)
{
    return lmp_error_set(err, LMP_EINVAL, "%s: p is NULL (table %zu x %zu): expected rows x cols cells", fn, rows,
                         cols);
}

lmp_status lmp_joint_check(const double *p, size_t rows, size_t cols, double tol, lmp_error *err)
{
    if (rows == 0 || cols == 0)
        return lmp_error_set(err, LMP_EINVAL, "table is %zu x %zu: expected at least one row and one column", rows,
                             cols);
    if (lmp_array_too_large(rows, cols, sizeof(double)))
        return lmp_error_set(err, LMP_ERANGE, "table is %zu x %zu: too large (its bytes overflow size_t)", rows, cols);
    /* a NaN tol refused every table with "expected 1 within nan", naming the sum instead of the tolerance */
    if (!(tol >= 0)) return lmp_error_set(err, LMP_EINVAL, "tol = %g: expected a tolerance >= 0", tol);
    if (null_table(p, rows, cols, p)) return null_table_error("joint_check", rows, cols, err);
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
    if (lmp_array_too_large(rows, cols, sizeof(double)))
        return lmp_error_set(err, LMP_ERANGE, "table is %zu x %zu: too large (its bytes overflow size_t)", rows, cols);
    if (null_table(p, rows, cols, p)) return null_table_error("joint_normalize", rows, cols, err);
    double s = 0;
    for (size_t k = 0; k < rows * cols; k++) {
        if (!(p[k] >= 0) || !isfinite(p[k]))
            return lmp_error_set(err, LMP_EINVAL, "p[%zu][%zu] = %g: expected a finite non-negative weight",
                                 k / cols, k % cols, p[k]);
        s += p[k];
    }
    if (!(s > 0)) return lmp_error_set(err, LMP_EINVAL, "cells sum to 0: expected a positive total");
    /* the division as info --normalize's (lmp_prob_check): a total that overflows (four cells of 1e308:
     * every cell was 0, every conditional NaN) is summed at 2^-64 of the cells' size */
    return lmp_prob_check(p, rows * cols, 1, err);
}

void lmp_joint_marginals(const double *p, size_t rows, size_t cols, double *px, double *py)
{
    if ((rows && !px) || (cols && !py) || null_table(p, rows, cols, p)) return;
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
    if (null_table(p, rows, cols, out)) return;
    for (size_t j = 0; j < cols; j++) {
        double py = 0;
        for (size_t i = 0; i < rows; i++) py += p[i * cols + j];
        for (size_t i = 0; i < rows; i++) out[i * cols + j] = py > 0 ? p[i * cols + j] / py : NAN;
    }
}

void lmp_joint_y_given_x(const double *p, size_t rows, size_t cols, double *out)
{
    if (null_table(p, rows, cols, out)) return;
    for (size_t i = 0; i < rows; i++) {
        double px = 0;
        for (size_t j = 0; j < cols; j++) px += p[i * cols + j];
        for (size_t j = 0; j < cols; j++) out[i * cols + j] = px > 0 ? p[i * cols + j] / px : NAN;
    }
}

double lmp_joint_independence_gap(const double *p, size_t rows, size_t cols)
{
    if (null_table(p, rows, cols, p)) return NAN;
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

/* A positive double as m 2^e, m in [1/2, 1) (m = 0 for 0), the exponent apart: the products of Bayes' rule
 * below neither underflow nor overflow. Exponents saturate at +-2^40 (a ratio of 2^(2^40) is 0 or 1 already). */
typedef struct {
    double m;
    long long e;
} scaled;

static long long sat_exp(long long e) { return e > (1LL << 40) ? (1LL << 40) : e < -(1LL << 40) ? -(1LL << 40) : e; }

static scaled sc_of(double x)
{
    int k;
    double m = frexp(x, &k);
    return (scaled){m, m == 0 ? 0 : k};
}

static scaled sc_mul(scaled a, scaled b)
{
    scaled r = sc_of(a.m * b.m); /* in [1/4, 1): exact scaling, one rounding */
    if (r.m != 0) r.e = sat_exp(r.e + a.e + b.e);
    return r;
}

/* x^n by squaring: each step one rounding, a relative error of at most about n u in all (the posterior's
 * condition number in the rates is n (1 - posterior) each) */
static scaled sc_pow(double x, long n)
{
    scaled r = {0.5, 1}, b = sc_of(x); /* r = 1 */
    for (unsigned long k = (unsigned long)n; k; k >>= 1) {
        if (k & 1) r = sc_mul(r, b);
        if (k > 1) b = sc_mul(b, b);
    }
    return r;
}

/* a / (a + b) for a, b >= 0 as scaled numbers; NaN if both are 0 */
static double sc_share(scaled a, scaled b)
{
    if (a.m == 0 && b.m == 0) return NAN;
    if (a.m == 0) return 0.0;
    if (b.m == 0) return 1.0;
    long long d = b.e - a.e;
    if (d <= 0) return a.m / (a.m + ldexp(b.m, (int)(d < -2000 ? -2000 : d)));
    int k = (int)(d > 2000 ? 2000 : d); /* the share is below 2^-(d - 1): subnormal or 0 past d = 1022 */
    return ldexp(a.m / (ldexp(a.m, -k) + b.m), -k);
}

/* P(H | E) = s p / (s p + f (1 - p)) with s = P(E|H), f = P(E|~H) (total probability, above), from the scaled
 * products: s p underflowed to 0 for p = 2e-86, s = 8e-279 (posterior 6.9e-241 after one positive, with
 * f = 2.5e-124; seed 12 of the accuracy suite), and P(E) with it to a NaN. NaN only where P(E) is exactly 0. */
double lmp_bayes_update(double prior, double p_e_given_h, double p_e_given_not_h)
{
    if (!is_prob(prior) || !is_prob(p_e_given_h) || !is_prob(p_e_given_not_h)) return NAN;
    return sc_share(sc_mul(sc_of(p_e_given_h), sc_of(prior)), sc_mul(sc_of(p_e_given_not_h), sc_of(1 - prior)));
}

double lmp_bayes_posterior(double prior, double sensitivity, double false_positive_rate, long n_positive)
{
    if (n_positive < 0 || !is_prob(prior) || !is_prob(sensitivity) || !is_prob(false_positive_rate)) return NAN;
    if (n_positive == 0) return prior;
    /* The closed form s^n p / (s^n p + f^n (1 - p)) with its products scaled (sc_*, above): as doubles they
     * underflow to 0/0, and the n sequential updates this replaces underflowed too (s p < 2^-1074 at the first
     * update), took n steps (16 s at n = 1e9) and stalled at 3 * 2^-1074 on the way down to 0 */
    scaled a = sc_mul(sc_pow(sensitivity, n_positive), sc_of(prior));
    scaled b = sc_mul(sc_pow(false_positive_rate, n_positive), sc_of(1 - prior));
    return sc_share(a, b);
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

/* log f(0) = log [Gamma(b + n) Gamma(s) / (Gamma(b) Gamma(s + n))] = -sum_{j<n} log1p(a / (b + j)),
 * s = a + b: the sum itself for short n (terms of one sign), otherwise one of two regroupings of the four
 * log-gamma values, whichever has the smaller terms (the rounding error of each is u times its terms);
 * with G(x, h) = lgamma(x + h) - lgamma(x) and c(x, h) = G(x, h) - h log x (both in special.c):
 *   over the shift a:  G(b, a) - G(b + n, a) = -a log1p(n/b) + c(b, a) - c(b + n, a)   (a << b)
 *   over the shift n:  G(b, n) - G(s, n)     = -n log1p(a/b) + c(b, n) - c(s, n)       (n << b)
 * (the log1p forms when b >= 15, where c is small; G itself below, where it has no h log b to cancel). */
static double beta_binomial_log_f0(double n, double a, double b)
{
    if (n <= 64) {
        double acc = 0.0;
        for (double j = 0; j < n; j++) acc -= log1p(a / (b + j));
        return acc;
    }
    double s = a + b, r1, r2, e1, e2;
    if (b >= 15.0) {
        double l1 = a * log1p(n / b), c1 = lmp_lgamma_corr_(b, a), c2 = lmp_lgamma_corr_(b + n, a);
        double l2 = n * log1p(a / b), c3 = lmp_lgamma_corr_(b, n), c4 = lmp_lgamma_corr_(s, n);
        r1 = -l1 + (c1 - c2);
        e1 = fabs(l1) + fabs(c1) + fabs(c2);
        r2 = -l2 + (c3 - c4);
        e2 = fabs(l2) + fabs(c3) + fabs(c4);
    } else {
        double g1 = lmp_lgamma_diff_(b, a), g2 = lmp_lgamma_diff_(b + n, a);
        double g3 = lmp_lgamma_diff_(b, n), g4 = lmp_lgamma_diff_(s, n);
        r1 = g1 - g2;
        e1 = fabs(g1) + fabs(g2);
        r2 = g3 - g4;
        e2 = fabs(g3) + fabs(g4);
    }
    return e1 <= e2 ? r1 : r2;
}

double lmp_bayes_beta_binomial_logpmf(long heads, long n, double a, double b)
{
    if (!beta_args_ok(a, b, heads, n)) return NAN;
    double k = (double)heads, N = (double)n;
    if (heads == n) { /* the mirror image of k = 0 */
        k = 0;
        double t = a;
        a = b;
        b = t;
    }
    double s = a + b;
    if (k == 0) {
        /* f(0) = B(a, n + b) / B(a, b) = Gamma(b + n) Gamma(s) / (Gamma(b) Gamma(s + n)):
         * log f(0) = [lgamma(b + a) - lgamma(b)] - [lgamma(b + n + a) - lgamma(b + n)], two log-gamma
         * differences over the same shift a, each as small as a log x. */
        return n == 0 ? 0.0 : beta_binomial_log_f0(N, a, b);
    }
    /* 0 < k < n. Write log f = log C(n, k) + log B(k + a, n - k + b) - log B(a, b) with the nine Gamma
     * values in Stirling's form (Gamma(x) = sqrt(2 pi) x^(x - 1/2) e^-x e^delta(x), and lgamma(m + 1) =
     * log sqrt(2 pi) + (m + 1/2) log m - m + delta(m) for the factorials). The linear terms cancel exactly,
     * and with t = k + a, T = n + s and the posterior mean m = t / T the x log x terms regroup, as in
     * Loader's (2000) binomial saddle point, into four deviances bd0 >= 0:
     *   log f = -bd0(k, n m) - bd0(a, s m) - bd0(n - k, n (1 - m)) - bd0(b, s (1 - m))
     *           + 1/2 log(n a b T / (k (n - k) t (T - t) s)) - log sqrt(2 pi)
     *           + delta(n) - delta(k) - delta(n - k) + delta(t) + delta(T - t) - delta(T)
     *           - delta(a) - delta(b) + delta(s).
     * (k log(k/(nm)) + a log(a/(sm)) = bd0(k, nm) + bd0(a, sm) because k + a = (n + s) m.) Nothing of the
     * size of lgamma(n) is ever subtracted, so a huge n, a or b costs no digits (the three differences of
     * log-gamma functions lose 7e-6 relative at a = 1e10). */
    double t = k + a, u = (N - k) + b, T = N + s;
    double m = t / T, m1 = u / T;
    if (!isfinite(T) || !isfinite(s)) return NAN;
    double dev = lmp_bd0_(k, N * m) + lmp_bd0_(a, s * m) + lmp_bd0_(N - k, N * m1) + lmp_bd0_(b, s * m1);
    /* the half-log term, as a sum of logs of ratios near 1 or of moderate size (no product that overflows) */
    double half = log(a / t) + log(b / u) + log(T / s) + log(N / (k * (N - k)));
    double corr = lmp_stirlerr_(N) - lmp_stirlerr_(k) - lmp_stirlerr_(N - k) + lmp_stirlerr_(t) + lmp_stirlerr_(u) -
                  lmp_stirlerr_(T) - lmp_stirlerr_(a) - lmp_stirlerr_(b) + lmp_stirlerr_(s);
    return -dev + 0.5 * half - LMP_LN_SQRT_2PI + corr;
}
