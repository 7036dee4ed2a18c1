/* Probability distributions and special functions.
 *
 * Conventions (docs/distributions.md has the formulas and their sources):
 *  - Scalar functions return double and NaN when a parameter is outside its
 *    domain (sigma <= 0, p outside [0, 1], NaN anywhere, ...). A point outside
 *    the support is not an error: pdf 0, logpdf -inf, cdf 0 or 1.
 *  - `_check` functions validate parameters and return an lmp_status with a
 *    message naming the value and what was expected ("sigma = -1: expected
 *    sigma > 0"); use them at API boundaries (CLI, constructors).
 *  - cdf is P(X <= x); sf is P(X > x), computed directly (no 1 - cdf
 *    cancellation); logcdf / logsf stay finite far in the tails.
 *  - quantile(p) is the smallest x with cdf(x) >= p; p = 0 and p = 1 give the
 *    ends of the support (possibly -inf / inf); p outside [0, 1] gives NaN.
 *  - Samplers take the lmp_rng * first. On the numpy legacy stream, the
 *    samplers marked "numpy" reproduce numpy's RandomState bit for bit.
 *  - Continuous families are parametrised like scipy.stats: normal(mu, sigma),
 *    laplace(mu, b), exponential(rate) = scipy expon(scale = 1/rate),
 *    gamma(shape, scale), beta(a, b), uniform(lo, hi).
 *  - An array (or rng, table, output) that is NULL while values are to be read
 *    or written is refused: LMP_EINVAL naming it ("prob_check: p is NULL
 *    (n = 3): ..."), NaN from the functions returning a double, n from
 *    lmp_categorical_index / _sample (no draw made); the void samplers
 *    (lmp_normal_sample_n, lmp_alias_sample_n, lmp_mvn_sample) do nothing. */
#ifndef LMPROB_DIST_H
#define LMPROB_DIST_H

#include <stddef.h>

#include "lmprob/core.h"
#include "lmprob/rng.h"

LMP_EXTERN_C_BEGIN

/* ---- special functions ------------------------------------------------------ */

/* log |Gamma(x)|; +inf at 0, -1, -2, ...; NaN for NaN. */
LMP_API double lmp_sf_lgamma(double x);
/* psi(x) = d/dx log Gamma(x); NaN at 0, -1, -2, ... (poles) and for NaN. */
LMP_API double lmp_sf_digamma(double x);
/* log B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b) for a, b > 0, computed
 * without cancellation when a or b is large; NaN otherwise. */
LMP_API double lmp_sf_log_beta(double a, double b);
/* Regularised incomplete beta I_x(a, b) and its complement 1 - I_x(a, b),
 * each to full relative precision (a, b > 0, 0 <= x <= 1; NaN otherwise). */
LMP_API double lmp_sf_beta_inc(double a, double b, double x);
LMP_API double lmp_sf_beta_inc_upper(double a, double b, double x);
/* Regularised incomplete gamma P(a, x) and Q(a, x) = 1 - P(a, x) (a > 0, x >= 0). */
LMP_API double lmp_sf_gamma_inc(double a, double x);
LMP_API double lmp_sf_gamma_inc_upper(double a, double x);

/* ---- probability vectors ------------------------------------------------------ */

/* Check a probability vector p[0..n-1]: n >= 1, every entry finite and >= 0,
 * and the sum within 1e-9 of 1. With normalize != 0 the sum only has to be
 * > 0 (finite weights whose sum overflows are fine), and p is divided by it in
 * place. LMP_EINVAL with the first offending index and value otherwise. */
LMP_API lmp_status lmp_prob_check(double *p, size_t n, int normalize, lmp_error *err);

/* ---- categorical ------------------------------------------------------------- */

/* One draw from weights p[0..n-1] (non-negative, not necessarily normalised),
 * with numpy's choice semantics: one uniform u per draw and the first i with
 * cumsum(p)[i] > u * sum(p), so zero-weight entries are never drawn. O(n), no
 * allocation. On the numpy legacy stream it is np.random.choice(n, p=p) bit
 * for bit (numpy divides the cumulative sums by the total; so does this).
 * Returns n (not a valid index) when the total is not finite and > 0; validate
 * weights with lmp_prob_check. */
LMP_API size_t lmp_categorical_sample(lmp_rng *r, const double *p, size_t n);
/* The index for a given uniform u in [0, 1): the first i with
 * cumsum(p)[i] / sum(p) > u (numpy's searchsorted side='right'); n when the
 * total is not finite and > 0. The kernel of lmp_categorical_sample. */
LMP_API size_t lmp_categorical_index(const double *p, size_t n, double u);
/* pmf p[k] / sum(p) and its log (-inf for a zero weight); NaN for k >= n or a NULL p. */
LMP_API double lmp_categorical_pmf(const double *p, size_t n, size_t k);
LMP_API double lmp_categorical_logpmf(const double *p, size_t n, size_t k);

/* Walker's alias method (Walker 1977) with Vose's stable table construction
 * (Vose 1991): O(K) set-up, O(1) per draw, one uniform per draw. */
/* Thread safety: the table is read-only after lmp_alias_create; any number of threads
 * may sample from one table, each with its own lmp_rng. */
typedef struct lmp_alias lmp_alias;
/* Build from weights p[0..K-1] (finite, >= 0, positive sum, which may overflow a
 * double; normalised here).
 * *out is owned by the caller: free with lmp_alias_free. */
LMP_API lmp_status lmp_alias_create(const double *p, size_t K, lmp_alias **out, lmp_error *err);
LMP_API size_t lmp_alias_sample(const lmp_alias *a, lmp_rng *r);
/* n draws into out[0..n-1]; nothing (no draw) when a, r or out is NULL. */
LMP_API void lmp_alias_sample_n(const lmp_alias *a, lmp_rng *r, size_t *out, size_t n);
/* The normalised probability the table was built with (tests read it back). */
LMP_API double lmp_alias_pmf(const lmp_alias *a, size_t k);
LMP_API size_t lmp_alias_size(const lmp_alias *a);
LMP_API void lmp_alias_free(lmp_alias *a);   /* NULL is a no-op */

/* ---- Bernoulli(p) --------------------------------------------------------------- */
LMP_API lmp_status lmp_bernoulli_check(double p, lmp_error *err);
LMP_API double lmp_bernoulli_pmf(long k, double p);
LMP_API double lmp_bernoulli_logpmf(long k, double p);
LMP_API double lmp_bernoulli_cdf(double k, double p);
LMP_API double lmp_bernoulli_sf(double k, double p);
LMP_API double lmp_bernoulli_mean(double p);
LMP_API double lmp_bernoulli_var(double p);
/* 1 when u < p (one uniform); -1 for an invalid p. */
LMP_API int lmp_bernoulli_sample(lmp_rng *r, double p);

/* ---- binomial(n, p) -------------------------------------------------------------- */
LMP_API lmp_status lmp_binomial_check(long n, double p, lmp_error *err);
/* Loader's saddle-point form (Loader 2000): accurate where the pmf underflows
 * in naive form, e.g. logpmf(0; 1000, 0.999) = -6907.755... */
LMP_API double lmp_binomial_pmf(long k, long n, double p);
LMP_API double lmp_binomial_logpmf(long k, long n, double p);
/* P(X <= k) and P(X > k) through the incomplete beta function (k real: floor). */
LMP_API double lmp_binomial_cdf(double k, long n, double p);
LMP_API double lmp_binomial_sf(double k, long n, double p);
/* Smallest k with cdf(k) >= q. */
LMP_API double lmp_binomial_quantile(double q, long n, double p);
LMP_API double lmp_binomial_mean(long n, double p);
LMP_API double lmp_binomial_var(long n, double p);
/* numpy: inversion when n*min(p, 1-p) <= 30, BTPE (Kachitvichyanukul &
 * Schmeiser 1988) otherwise, with numpy's p > 0.5 flip; -1 for invalid n, p. */
LMP_API long lmp_binomial_sample(lmp_rng *r, long n, double p);
/* count draws into out[0..count-1]: the values, in order, of count calls of lmp_binomial_sample (numpy's
 * binomial(n, p, size=count)), the set-up done once (numpy caches it the same way). LMP_EINVAL for an invalid
 * n or p (lmp_binomial_check's message), a NULL rng, or a NULL out with count > 0. */
LMP_API lmp_status lmp_binomial_sample_n(lmp_rng *r, long n, double p, long *out, size_t count, lmp_error *err);

/* ---- Poisson(lambda) ---------------------------------------------------------------- */
LMP_API lmp_status lmp_poisson_check(double lambda, lmp_error *err);
/* k is a double (the support reaches every lambda, to 1e308): 0 / -inf where k is not whole. */
LMP_API double lmp_poisson_pmf(double k, double lambda);
LMP_API double lmp_poisson_logpmf(double k, double lambda);
/* P(X <= floor(k)) and P(X > floor(k)); past 2^53 every double is whole and k + 1 no double: still
 * the exact tails at that k (Q(k + 1, lambda) = Q(k, lambda) + pmf(k), A&S 6.5.21). */
LMP_API double lmp_poisson_cdf(double k, double lambda);
LMP_API double lmp_poisson_sf(double k, double lambda);
/* The smallest whole double k with cdf(k) >= q (past 2^53: the quantile rounded up to a double);
 * bracket and bisection, a bounded number of cdf calls for every lambda. */
LMP_API double lmp_poisson_quantile(double q, double lambda);
LMP_API double lmp_poisson_mean(double lambda);
LMP_API double lmp_poisson_var(double lambda);
/* The largest lambda lmp_poisson_sample takes: numpy's (2^63 - 1) - 10 sqrt(2^63 - 1), so that a
 * draw, ten standard deviations above, still fits a 64-bit integer. */
#define LMP_POISSON_SAMPLE_MAX 9.223372006484771e18
/* lmp_poisson_check, and lambda <= LMP_POISSON_SAMPLE_MAX. */
LMP_API lmp_status lmp_poisson_sample_check(double lambda, lmp_error *err);
/* numpy: multiplication method for lambda < 10, PTRS (Hoermann 1993) otherwise, numpy's draws bit
 * for bit from its stream; -1 for a lambda that lmp_poisson_sample_check refuses. */
LMP_API long lmp_poisson_sample(lmp_rng *r, double lambda);

/* ---- uniform(lo, hi) ---------------------------------------------------------------- */
LMP_API lmp_status lmp_uniform_check(double lo, double hi, lmp_error *err);
LMP_API double lmp_uniform_pdf(double x, double lo, double hi);
LMP_API double lmp_uniform_logpdf(double x, double lo, double hi);
LMP_API double lmp_uniform_cdf(double x, double lo, double hi);
LMP_API double lmp_uniform_sf(double x, double lo, double hi);
LMP_API double lmp_uniform_quantile(double p, double lo, double hi);
LMP_API double lmp_uniform_mean(double lo, double hi);
LMP_API double lmp_uniform_var(double lo, double hi);
/* numpy: lo + (hi - lo) * random_sample(). */
LMP_API double lmp_uniform_sample(lmp_rng *r, double lo, double hi);

/* ---- normal(mu, sigma) ---------------------------------------------------------------- */
LMP_API lmp_status lmp_normal_check(double mu, double sigma, lmp_error *err);
LMP_API double lmp_normal_pdf(double x, double mu, double sigma);
LMP_API double lmp_normal_logpdf(double x, double mu, double sigma);
LMP_API double lmp_normal_cdf(double x, double mu, double sigma);
LMP_API double lmp_normal_sf(double x, double mu, double sigma);
LMP_API double lmp_normal_logcdf(double x, double mu, double sigma);
LMP_API double lmp_normal_logsf(double x, double mu, double sigma);
/* Wichura's AS 241 (PPND16), relative accuracy about 1e-16, to p = 1e-300 and below. */
LMP_API double lmp_normal_quantile(double p, double mu, double sigma);
LMP_API double lmp_normal_mean(double mu, double sigma);
LMP_API double lmp_normal_var(double mu, double sigma);
/* numpy: loc + scale * gauss. */
LMP_API double lmp_normal_sample(lmp_rng *r, double mu, double sigma);
/* n draws into out (no allocation); nothing (no draw) when out is NULL, and NaNs without one when r is. */
LMP_API void lmp_normal_sample_n(lmp_rng *r, double mu, double sigma, double *out, size_t n);

/* ---- Laplace(mu, b) --------------------------------------------------------------------- */
LMP_API lmp_status lmp_laplace_check(double mu, double b, lmp_error *err);
LMP_API double lmp_laplace_pdf(double x, double mu, double b);
LMP_API double lmp_laplace_logpdf(double x, double mu, double b);
LMP_API double lmp_laplace_cdf(double x, double mu, double b);
LMP_API double lmp_laplace_sf(double x, double mu, double b);
LMP_API double lmp_laplace_quantile(double p, double mu, double b);
LMP_API double lmp_laplace_mean(double mu, double b);
LMP_API double lmp_laplace_var(double mu, double b);
LMP_API double lmp_laplace_sample(lmp_rng *r, double mu, double b);

/* ---- exponential(rate) ------------------------------------------------------------------ */
LMP_API lmp_status lmp_exponential_check(double rate, lmp_error *err);
LMP_API double lmp_exponential_pdf(double x, double rate);
LMP_API double lmp_exponential_logpdf(double x, double rate);
LMP_API double lmp_exponential_cdf(double x, double rate);
LMP_API double lmp_exponential_sf(double x, double rate);
LMP_API double lmp_exponential_quantile(double p, double rate);
LMP_API double lmp_exponential_mean(double rate);
LMP_API double lmp_exponential_var(double rate);
/* numpy (scale = 1/rate): -log(1 - random_sample()) / rate. */
LMP_API double lmp_exponential_sample(lmp_rng *r, double rate);

/* ---- gamma(shape k, scale theta) ---------------------------------------------------------- */
LMP_API lmp_status lmp_gamma_check(double shape, double scale, lmp_error *err);
LMP_API double lmp_gamma_pdf(double x, double shape, double scale);
LMP_API double lmp_gamma_logpdf(double x, double shape, double scale);
LMP_API double lmp_gamma_cdf(double x, double shape, double scale);
LMP_API double lmp_gamma_sf(double x, double shape, double scale);
LMP_API double lmp_gamma_quantile(double p, double shape, double scale);
LMP_API double lmp_gamma_mean(double shape, double scale);
LMP_API double lmp_gamma_var(double shape, double scale);
/* Marsaglia & Tsang (2000), numpy's for shape >= 1 (shape 1: an exponential draw); shape < 1 through
 * G(shape + 1) * U^(1/shape) on xoshiro, numpy's legacy rejection on the numpy stream (its draws). */
LMP_API double lmp_gamma_sample(lmp_rng *r, double shape, double scale);

/* ---- beta(a, b) ---------------------------------------------------------------------------- */
LMP_API lmp_status lmp_beta_check(double a, double b, lmp_error *err);
LMP_API double lmp_beta_pdf(double x, double a, double b);
LMP_API double lmp_beta_logpdf(double x, double a, double b);
LMP_API double lmp_beta_cdf(double x, double a, double b);
LMP_API double lmp_beta_sf(double x, double a, double b);
LMP_API double lmp_beta_quantile(double p, double a, double b);
LMP_API double lmp_beta_mean(double a, double b);
LMP_API double lmp_beta_var(double a, double b);
/* X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b); on the numpy stream numpy's legacy beta (Johnk's method
 * where a <= 1 and b <= 1), draw for draw. */
LMP_API double lmp_beta_sample(lmp_rng *r, double a, double b);

/* ---- draws only: numpy's RandomState hypergeometric and von Mises ------------------------------ */
/* ngood, nbad >= 0, 1 <= nsample <= ngood + nbad (numpy's RandomState refuses nsample 0), ngood + nbad
 * below 2^63 - 2. */
LMP_API lmp_status lmp_hypergeometric_sample_check(long ngood, long nbad, long nsample, lmp_error *err);
/* The number of good items among nsample drawn without replacement from ngood good and nbad bad ones:
 * numpy's legacy algorithms (sequential draws to nsample 10, Stadlober's HRUA above), numpy's draws bit
 * for bit from its stream; -1 for what lmp_hypergeometric_sample_check refuses. */
LMP_API long lmp_hypergeometric_sample(lmp_rng *r, long ngood, long nbad, long nsample);
/* mu finite, kappa >= 0 finite. */
LMP_API lmp_status lmp_vonmises_sample_check(double mu, double kappa, lmp_error *err);
/* An angle in [-pi, pi] from the von Mises distribution of mean mu and concentration kappa: Best & Fisher
 * (1979) as numpy 1.24's RandomState.vonmises, its draws bit for bit from its stream where its loop ends;
 * from kappa 6.0e15 on, where it need not, the normal limit mu + N(0, 1) / sqrt(kappa), wrapped. NaN for
 * what lmp_vonmises_sample_check refuses. */
LMP_API double lmp_vonmises_sample(lmp_rng *r, double mu, double kappa);

/* ---- Dirichlet(alpha[0..k-1]) ---------------------------------------------------------------- */
/* k >= 2 and every alpha finite and > 0. */
LMP_API lmp_status lmp_dirichlet_check(const double *alpha, size_t k, lmp_error *err);
/* log density at x on the simplex (x_i >= 0, sum 1 within 1e-9); -inf off the
 * simplex; NaN for invalid alpha or a NULL x. */
LMP_API double lmp_dirichlet_logpdf(const double *x, const double *alpha, size_t k);
/* out[0..k-1] = Gamma(alpha_i) draws normalised to sum 1; numpy's on its stream, for every alpha (where
 * numpy's draws all round to 0 and it returns NaN, a point drawn in log space instead). */
LMP_API lmp_status lmp_dirichlet_sample(lmp_rng *r, const double *alpha, size_t k, double *out, lmp_error *err);
/* mean[i] = alpha_i / A and var[i] = mean_i (1 - mean_i) / (A + 1), A = sum alpha, for every alpha in range
 * (also where A overflows). */
LMP_API lmp_status lmp_dirichlet_moments(const double *alpha, size_t k, double *mean, double *var, lmp_error *err);

/* ---- multivariate normal N(mean, cov), dimension d -------------------------------------------- */
/* Opaque: holds the mean, the Cholesky factor L (cov = L L^T) and scratch space for
 * logpdf (so no call allocates).
 * Thread safety: lmp_mvn_sample and lmp_mvn_dim only read the object (any number of
 * threads, each with its own lmp_rng); lmp_mvn_logpdf writes the scratch, so one
 * thread at a time per object (or one lmp_mvn per thread). */
typedef struct lmp_mvn lmp_mvn;
/* cov is d x d row-major, must be symmetric (within 1e-12 relative) and
 * positive definite; otherwise LMP_ESINGULAR naming the failing pivot.
 * LMP_ERANGE when d x d doubles overflow size_t (nothing is read then). */
LMP_API lmp_status lmp_mvn_create(const double *mean, const double *cov, size_t d, lmp_mvn **out, lmp_error *err);
LMP_API void lmp_mvn_free(lmp_mvn *m);
LMP_API size_t lmp_mvn_dim(const lmp_mvn *m);
/* NaN when m or x is NULL. */
LMP_API double lmp_mvn_logpdf(lmp_mvn *m, const double *x);
/* out[0..d-1] = mean + L z, z standard normal; nothing (no draw) when m, r or out is NULL. */
LMP_API void lmp_mvn_sample(const lmp_mvn *m, lmp_rng *r, double *out);

LMP_EXTERN_C_END

#endif
