/* Multivariate normal N(mean, cov) through the Cholesky factor cov = L L^T
 * (Golub & Van Loan, "Matrix Computations", alg. 4.2.1):
 *   log f(x) = -(d log 2pi + 2 sum log L_ii + |L^-1 (x - mean)|^2) / 2,
 *   sample   = mean + L z, z ~ N(0, I).
 * A covariance that is not symmetric or not positive definite is rejected at
 * creation (LMP_ESINGULAR), naming the pivot that failed. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "../core/sizes.h"

struct lmp_mvn {
    size_t d;
    double *mean;   /* [d] */
    double *L;      /* [d*d] lower triangle, row-major */
    double *work;   /* [d] scratch for logpdf (which therefore takes a non-const lmp_mvn) */
    double log_det; /* log det cov = 2 sum log L_ii */
};

void lmp_mvn_free(lmp_mvn *m)
{
    if (!m) return;
    free(m->mean);
    free(m->L);
    free(m->work);
    free(m);
}

lmp_status lmp_mvn_create(const double *mean, const double *cov, size_t d, lmp_mvn **out, lmp_error *err)
{
    if (!out) return lmp_error_set(err, LMP_EINVAL, "out = NULL: expected a place for the distribution");
    *out = NULL;
    if (d == 0) return lmp_error_set(err, LMP_EINVAL, "dimension d = %zu: expected d >= 1", d);
    /* cov and L hold d x d doubles: d = 2^32 made d * d wrap to 0, so the checks read cov[0] for every entry
     * and calloc(0) took the Cholesky factor. */
    if (lmp_array_too_large(d, d, sizeof(double)))
        return lmp_error_set(err, LMP_ERANGE, "dimension d = %zu: too large (d x d doubles overflow size_t)", d);
    if (!mean || !cov) return lmp_dist_null_("mvn_create", !mean ? "mean" : "cov", !mean ? d : d * d, err);
    for (size_t i = 0; i < d; i++)
        if (!isfinite(mean[i])) return lmp_error_set(err, LMP_EINVAL, "mean[%zu] = %g: expected a finite number", i, mean[i]);
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            double a = cov[i * d + j], b = cov[j * d + i];
            if (!isfinite(a)) return lmp_error_set(err, LMP_EINVAL, "cov[%zu][%zu] = %g: expected a finite number", i, j, a);
            if (j > i && fabs(a - b) > 1e-12 * fmax(fabs(a), fabs(b)))
                return lmp_error_set(err, LMP_EINVAL, "cov[%zu][%zu] = %g but cov[%zu][%zu] = %g: expected a symmetric matrix",
                                     i, j, a, j, i, b);
        }
    lmp_mvn *m = calloc(1, sizeof *m);
    if (!m) return lmp_error_set(err, LMP_ENOMEM, "mvn of dimension %zu: out of memory", d);
    m->d = d;
    m->mean = malloc(d * sizeof *m->mean);
    m->L = calloc(d * d, sizeof *m->L);
    m->work = malloc(d * sizeof *m->work);
    if (!m->mean || !m->L || !m->work) {
        lmp_mvn_free(m);
        return lmp_error_set(err, LMP_ENOMEM, "mvn of dimension %zu: out of memory", d);
    }
    memcpy(m->mean, mean, d * sizeof *mean);
    double *L = m->L;
    double log_det = 0.0;
    for (size_t j = 0; j < d; j++) {
        double s = cov[j * d + j];
        for (size_t k = 0; k < j; k++) s -= L[j * d + k] * L[j * d + k];
        /* Relative threshold: a pivot that lost all but rounding noise is singular. */
        if (!(s > 1e-14 * fabs(cov[j * d + j])) || !(s > 0)) {
            lmp_mvn_free(m);
            return lmp_error_set(err, LMP_ESINGULAR,
                                 "covariance is not positive definite: Cholesky pivot %zu = %g (expected above "
                                 "1e-14 times its diagonal entry %g, below which it is rounding noise: the matrix is "
                                 "singular, indefinite, or within rounding of singular)",
                                 j, s, cov[j * d + j]);
        }
        double ljj = sqrt(s);
        L[j * d + j] = ljj;
        log_det += 2.0 * log(ljj);
        for (size_t i = j + 1; i < d; i++) {
            double t = cov[i * d + j];
            for (size_t k = 0; k < j; k++) t -= L[i * d + k] * L[j * d + k];
            L[i * d + j] = t / ljj;
        }
    }
    m->log_det = log_det;
    *out = m;
    return LMP_OK;
}

size_t lmp_mvn_dim(const lmp_mvn *m) { return m ? m->d : 0; }

double lmp_mvn_logpdf(lmp_mvn *m, const double *x)
{
    if (!m || !x) return NAN;
    size_t d = m->d;
    const double *L = m->L;
    double q = 0.0;
    /* Forward substitution L y = x - mean, accumulating |y|^2. */
    double *y = m->work;
    for (size_t i = 0; i < d; i++) {
        if (isnan(x[i])) return NAN;
        double t = x[i] - m->mean[i];
        for (size_t k = 0; k < i; k++) t -= L[i * d + k] * y[k];
        y[i] = t / L[i * d + i];
        q += y[i] * y[i];
    }
    return -0.5 * ((double)d * LMP_LN_2PI + m->log_det + q);
}

void lmp_mvn_sample(const lmp_mvn *m, lmp_rng *r, double *out)
{
    if (!m || !r || !out) return; /* nothing drawn */
    size_t d = m->d;
    /* z in out itself, then mean + L z from the last row up: row i reads z_0 .. z_i,
     * which rows below it have not overwritten yet (same sums, same order, no scratch). */
    for (size_t i = 0; i < d; i++) out[i] = lmp_rng_normal(r);
    for (size_t i = d; i-- > 0;) {
        double t = m->mean[i];
        for (size_t k = 0; k <= i; k++) t += m->L[i * d + k] * out[k];
        out[i] = t;
    }
}
