/* lmprob bayes: joint tables of two discrete variables, total probability,
 * Bayes' rule over repeated evidence, and the beta-binomial model.
 *
 * A joint table is row-major rows x cols: p[i*cols + j] = P(X = i, Y = j).
 * Scalar functions return NaN on a domain error (a probability outside [0, 1],
 * NaN input); functions that check a whole table return lmp_status.
 * A table p (or an output) that is NULL while rows x cols > 0 is refused:
 * LMP_EINVAL naming it from lmp_joint_check and lmp_joint_normalize, NaN from
 * lmp_joint_independence_gap, 0 from lmp_joint_is_independent; the void
 * functions can only do nothing then (they write no output). */
#ifndef LMPROB_BAYES_H
#define LMPROB_BAYES_H

#include <stddef.h>

#include "lmprob/core.h"

LMP_EXTERN_C_BEGIN

/* ---- joint tables ---------------------------------------------------------- */

/* Check that every cell is in [0, 1] and the cells sum to 1 within tol.
 * LMP_EINVAL names the first bad cell ("p[1][0] = 1.2: expected a probability
 * in [0, 1]") or the sum ("cells sum to 0.9: expected 1 within 1e-09"), or a tol
 * that is NaN or negative. */
LMP_API lmp_status lmp_joint_check(const double *p, size_t rows, size_t cols, double tol, lmp_error *err);
/* Divide every cell by the total (for tables of counts or unnormalised
 * weights). LMP_EINVAL for a negative or non-finite cell or a zero total. */
LMP_API lmp_status lmp_joint_normalize(double *p, size_t rows, size_t cols, lmp_error *err);
/* Marginals: px[i] = sum_j p[i][j] (rows), py[j] = sum_i p[i][j] (cols). */
LMP_API void lmp_joint_marginals(const double *p, size_t rows, size_t cols, double *px, double *py);
/* P(X = i | Y = j) = p[i][j] / P(Y = j), stored at out[i*cols + j] (each column
 * sums to 1). A column with P(Y = j) = 0 is undefined: NaN. */
LMP_API void lmp_joint_x_given_y(const double *p, size_t rows, size_t cols, double *out);
/* P(Y = j | X = i) = p[i][j] / P(X = i), stored at out[i*cols + j] (each row
 * sums to 1). A row with P(X = i) = 0 gives NaN. */
LMP_API void lmp_joint_y_given_x(const double *p, size_t rows, size_t cols, double *out);
/* max_ij |P(X=i, Y=j) - P(X=i) P(Y=j)|: 0 exactly when X and Y are independent. */
LMP_API double lmp_joint_independence_gap(const double *p, size_t rows, size_t cols);
/* 1 when lmp_joint_independence_gap <= tol; 0 when the gap is NaN (a NULL p, a NaN cell or tol). */
LMP_API int lmp_joint_is_independent(const double *p, size_t rows, size_t cols, double tol);

/* ---- Bayes' rule ------------------------------------------------------------ */

/* Total probability of evidence E over the two hypotheses H and not H:
 * P(E) = P(E|H) P(H) + P(E|~H) (1 - P(H)). NaN if an argument is outside [0, 1]. */
LMP_API double lmp_bayes_total_probability(double prior, double p_e_given_h, double p_e_given_not_h);
/* One Bayes update: P(H|E) = P(E|H) P(H) / P(E). NaN when an argument is
 * outside [0, 1] or P(E) = 0. */
LMP_API double lmp_bayes_update(double prior, double p_e_given_h, double p_e_given_not_h);
/* P(condition | n independent positive tests), each test with the given
 * sensitivity P(+|condition) and false-positive rate P(+|no condition): the
 * update applied n times (n = 0 gives the prior). The chapter's example:
 * prior 0.001, sensitivity 0.99, fpr 0.05 -> 0.0194 after one positive,
 * 0.2818 after two. NaN on a domain error. */
LMP_API double lmp_bayes_posterior(double prior, double sensitivity, double false_positive_rate, long n_positive);

/* ---- beta-binomial ------------------------------------------------------------
 * Prior p ~ Beta(a, b) (a, b > 0), data: `heads` successes in n trials
 * (0 <= heads <= n); the posterior is Beta(a + heads, b + n - heads). */

/* Posterior mean (a + heads) / (a + b + n). NaN on a domain error. */
LMP_API double lmp_bayes_beta_posterior_mean(double a, double b, long heads, long n);
/* Posterior mode (MAP) (a + heads - 1) / (a + b + n - 2) when both posterior
 * parameters exceed 1; at the boundary (a parameter <= 1) the density peaks at
 * 0 or 1 and that end is returned; NaN when both are <= 1 (no unique mode) or
 * on a domain error. */
LMP_API double lmp_bayes_beta_posterior_mode(double a, double b, long heads, long n);
/* log P(heads | n, a, b) under the beta-binomial (scipy.stats.betabinom.logpmf):
 * log C(n, heads) + log B(heads + a, n - heads + b) - log B(a, b). */
LMP_API double lmp_bayes_beta_binomial_logpmf(long heads, long n, double a, double b);

LMP_EXTERN_C_END

#endif /* LMPROB_BAYES_H */
