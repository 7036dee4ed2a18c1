/* Internal helpers shared by the distribution files (not installed). */
#ifndef LMPROB_SRC_DIST_INTERNAL_H
#define LMPROB_SRC_DIST_INTERNAL_H

#include <math.h>
#include <stddef.h>

#include "lmprob/dist.h"

#define LMP_LN_SQRT_2PI 0.918938533204672741780329736406 /* log(sqrt(2 pi)) */
#define LMP_SQRT_2PI 2.50662827463100050241576528481 /* sqrt(2 pi) */
#define LMP_LN_2PI 1.83787706640934548356065947281       /* log(2 pi) */

/* mu + s z for a location mu and a scale s > 0 (quantiles, inverse cdfs): where s z overflows while the sum
 * need not (mu = 1e308, s = 1e308, z = -2.33: -1.3e308, it was -inf), from the halves, which are exact but
 * for a subnormal half (below 2^-1021, where one more rounding is within the sum's own). */
static inline double lmp_loc_scale_(double mu, double s, double z)
{
    const double v = mu + s * z;
    return isfinite(v) || !isfinite(z) ? v : 2.0 * (0.5 * mu + (0.5 * s) * z);
}

/* The whole double after a whole k >= 0: k + 1 below 2^53, the next double (an ulp, >= 2) above
 * (the quantile searches of the discrete distributions step by it). */
static inline double lmp_next_whole_(double k) { return k < 0x1p53 ? k + 1 : nextafter(k, INFINITY); }

/* The smallest whole double k in [0, kmax] with cdf(k, ctx) >= q, 0 < q < 1, for a discrete distribution
 * (cdf non-decreasing), searched from a guess (Poisson, binomial quantiles); INFINITY when cdf(kmax) < q. */
double lmp_discrete_quantile_(double (*cdf)(double k, const void *ctx), const void *ctx, double q, double guess,
                              double kmax);

/* LMP_EINVAL for an array `name` of fn that is NULL while it should hold n values (dist.h). */
lmp_status lmp_dist_null_(const char *fn, const char *name, size_t n, lmp_error *err);

/* log Gamma(x), x >= 1, as numpy's legacy samplers compute it (random_loggam: Stirling's series), for
 * the acceptance tests whose decisions must be numpy's (Poisson's PTRS, the hypergeometric's HRUA). */
double lmp_loggam_numpy_(double x);
/* Stirling's error delta(x) = lgamma(x + 1) - (x + 1/2) log x + x - log sqrt(2 pi), x > 0. */
double lmp_stirlerr_(double x);
/* lgamma(1 + a), with the relative precision of a tiny a (series below 1/2). */
double lmp_lgamma1p_(double a);
/* lgamma(x + h) - lgamma(x) - h log x for x > 0, h >= 0: the part of a log-gamma difference beyond its
 * leading term, ~ h (h - 1) / (2x) for a large x, with its relative precision even when h << x. */
double lmp_lgamma_corr_(double x, double h);
/* lgamma(x + h) - lgamma(x) for x > 0, h >= 0, without the cancellation of the two log-gammas. */
double lmp_lgamma_diff_(double x, double h);
/* Loader's deviance term bd0(x, m) = x log(x / m) + m - x, without cancellation near x = m. */
double lmp_bd0_(double x, double m);
/* log of C(k + m, k) p^k q^m for real k, m >= 0 (Loader 2000), successes k and failures m given apart (a
 * rounded n = k + m would move m); q = 1 - p given separately, and only the smaller of p, q need be exact. */
double lmp_log_dbinom_raw_(double k, double m, double p, double q);
/* C(k + m, k) p^k q^m itself, to a few ulps also where its log is large (few successes or failures). */
double lmp_dbinom_raw_(double k, double m, double p, double q);
/* log of x^k e^-x / Gamma(k + 1) for real k >= 0 (Loader 2000). */
double lmp_log_dpois_raw_(double k, double x);
/* x^k e^-x / Gamma(k + 1) itself, to a few ulps also where its log is large (small integer k). */
double lmp_dpois_raw_(double k, double x);
/* log P(k, x) (lower) or log Q(k, x), and its derivative in log x (through *dlog), also where the tail
 * underflows. */
double lmp_gamma_log_tail_(double k, double x, int lower, double *dlog);
/* log(I_x(a, b) / target) (lower) or log((1 - I_x(a, b)) / target), to a few u absolutely near the target
 * whatever its size (target = 1: the log of the tail), and its derivative in log(x / (1 - x)), also where the
 * tail underflows. */
double lmp_beta_log_tail_(double a, double b, double x, int lower, double target, double *dlog);
/* Solve logtail(t) = log_target for t (logtail increasing in t, or decreasing when increasing = 0) by
 * Newton with bisection safeguards, from the start t; logtail returns the log of a tail and its
 * derivative in t. */
double lmp_solve_log_tail_(double (*logtail)(double t, const double *par, double *dlog), const double *par,
                           double log_target, double t, int increasing);

/* Polish a quantile x of a distribution by Newton steps in x itself: logtail(x) returns the log of the
 * tail being solved (increasing in x, or decreasing when increasing = 0) and its derivative in log x
 * (logit = 0) or logit x (logit = 1). Where the doubles are too coarse for the distribution (an ulp moves
 * the log tail by more than 1/2), the smallest double whose tail reaches the target. */
double lmp_polish_quantile_(double (*logtail)(double x, const double *par, double *dlog), const double *par,
                            double log_target, double x, int logit, int increasing);

#endif
