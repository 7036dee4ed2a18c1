/* Polynomial least squares in the Chebyshev basis (see linalg.h for why).
 *
 * The fit maps x to t = (2x - (lo + hi)) / (hi - lo) in [-1, 1] and solves
 * min || sum_k c_k T_k(t_i) - y_i || by Householder QR (qr.c). Chebyshev
 * polynomials are well conditioned on [-1, 1] (Trefethen, Approximation Theory
 * and Approximation Practice, ch. 3), so c is accurate to a few ulps of long
 * double even where the monomial Vandermonde matrix is nearly singular. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg_internal.h"
#include "lmprob/linalg.h"

static long double to_t(const lmp_linalg_poly *p, double x)
{
    if (p->hi == p->lo) return (long double)x - p->lo;  /* only deg 0 gets here */
    return (2.0L * x - ((long double)p->lo + p->hi)) / ((long double)p->hi - p->lo);
}

lmp_status lmp_linalg_check_points_(const char *fn, const double *x, const double *y, size_t n, size_t deg,
                                    const void *out, lmp_error *err)
{
    if (deg > LMP_LINALG_POLY_MAX_DEGREE)
        return lmp_error_set(err, LMP_EUNSUPPORTED, "degree = %zu: expected a degree <= %d", deg,
                             LMP_LINALG_POLY_MAX_DEGREE);
    if (deg >= n)
        return lmp_error_set(err, LMP_EINVAL, "degree = %zu with %zu point(s): degree %zu needs at least %zu points",
                             deg, n, deg, deg + 1);
    if (!x || !y || !out) /* n > deg >= 0 here */
        return lmp_error_set(err, LMP_EINVAL, "%s: %s is NULL (n = %zu, degree %zu): expected %s", fn,
                             !x ? "x" : !y ? "y" : "the output", n, deg,
                             out ? "an array of n values" : "a place for the fit");
    return LMP_OK;
}

lmp_status lmp_linalg_poly_fit(const double *x, const double *y, size_t n, size_t deg, lmp_linalg_poly *fit,
                               lmp_error *err)
{
    lmp_status st = lmp_linalg_check_points_("poly_fit", x, y, n, deg, fit, err);
    if (st) return st;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) return lmp_error_set(err, LMP_EINVAL, "x[%zu] = %g: expected a finite number", i, x[i]);
        if (!isfinite(y[i])) return lmp_error_set(err, LMP_EINVAL, "y[%zu] = %g: expected a finite number", i, y[i]);
        if (x[i] < lo) lo = x[i];
        if (x[i] > hi) hi = x[i];
    }
    size_t p = deg + 1;
    memset(fit, 0, sizeof *fit);
    fit->deg = deg;
    fit->lo = lo;
    fit->hi = hi;
    if (deg > 0 && lo == hi)
        return lmp_error_set(err, LMP_ESINGULAR,
                             "all %zu x values equal %g: a degree %zu fit needs at least %zu distinct x values", n,
                             lo, deg, deg + 1);
    long double *a = malloc((n * p + n + p) * sizeof *a);
    if (!a) return lmp_error_set(err, LMP_ENOMEM, "out of memory for a %zu x %zu fit", n, p);
    long double *b = a + n * p, *c = b + n;
    for (size_t i = 0; i < n; i++) {
        long double t = to_t(fit, x[i]);
        long double tkm1 = 1, tk = t;  /* T_0, T_1; T_{k+1} = 2t T_k - T_{k-1} */
        a[i * p] = 1;
        for (size_t k = 1; k < p; k++) {
            a[i * p + k] = tk;
            long double next = 2 * t * tk - tkm1;
            tkm1 = tk;
            tk = next;
        }
        b[i] = y[i];
    }
    /* A column is dependent when its QR pivot is below 1e-13 of the largest
     * column norm: far below any honest Chebyshev fit on distinct points
     * (condition ~1e2..1e6), far above long double rounding (1e-19). */
    int rc = lmp_linalg_qr_solve_ld_(a, n, p, b, c, 1e-13L);
    if (rc) {
        size_t distinct = 0;
        /* Count distinct x for the message (n is small; quadratic is fine). */
        for (size_t i = 0; i < n; i++) {
            size_t j = 0;
            while (j < i && x[j] != x[i]) j++;
            if (j == i) distinct++;
        }
        free(a);
        return lmp_error_set(err, LMP_ESINGULAR,
                             "x has %zu distinct value(s): a degree %zu fit needs at least %zu distinct x values "
                             "(singular least-squares system)",
                             distinct, deg, deg + 1);
    }
    for (size_t k = 0; k < p; k++) fit->cheb[k] = c[k];
    free(a);
    return LMP_OK;
}

double lmp_linalg_poly_eval(const lmp_linalg_poly *fit, double x)
{
    if (!fit) return NAN;
    /* Clenshaw's recurrence: b_k = c_k + 2t b_{k+1} - b_{k+2}; f = c_0 + t b_1 - b_2. */
    long double t = to_t(fit, x), b1 = 0, b2 = 0;
    for (size_t k = fit->deg; k >= 1; k--) {
        long double b0 = fit->cheb[k] + 2 * t * b1 - b2;
        b2 = b1;
        b1 = b0;
    }
    return (double)(fit->cheb[0] + t * b1 - b2);
}

lmp_status lmp_linalg_poly_coef(const lmp_linalg_poly *fit, double *coef, lmp_error *err)
{
    if (!fit || !coef)
        return lmp_error_set(err, LMP_EINVAL, "poly_coef: %s is NULL: expected %s", !fit ? "the fit" : "coef",
                             !fit ? "a fitted polynomial" : "an array of deg + 1 values");
    size_t p = fit->deg + 1;
    long double pt[LMP_LINALG_POLY_MAX_DEGREE + 1] = {0};   /* power series in t, pt[j] t^j */
    long double tkm1[LMP_LINALG_POLY_MAX_DEGREE + 1] = {0}; /* T_{k-1} */
    long double tk[LMP_LINALG_POLY_MAX_DEGREE + 1] = {0};   /* T_k */
    long double tn[LMP_LINALG_POLY_MAX_DEGREE + 1];
    tkm1[0] = 1;
    pt[0] = fit->cheb[0];
    if (p > 1) {
        tk[1] = 1;
        pt[1] += fit->cheb[1];
    }
    for (size_t k = 2; k < p; k++) {
        for (size_t j = 0; j <= k; j++) tn[j] = (j ? 2 * tk[j - 1] : 0) - tkm1[j];
        for (size_t j = 0; j <= k; j++) {
            tkm1[j] = tk[j];
            tk[j] = tn[j];
            pt[j] += fit->cheb[k] * tk[j];
        }
    }
    /* t = s x + o; expand sum_j pt[j] (s x + o)^j by Horner on polynomials. */
    long double s = 1, o = 0;
    if (fit->hi != fit->lo) {
        s = 2.0L / ((long double)fit->hi - fit->lo);
        o = -((long double)fit->lo + fit->hi) / ((long double)fit->hi - fit->lo);
    } else {
        o = -(long double)fit->lo;
    }
    long double r[LMP_LINALG_POLY_MAX_DEGREE + 1] = {0};  /* r[j] x^j */
    for (size_t jj = p; jj-- > 0;) {
        /* r <- r * (s x + o) + pt[jj] */
        for (size_t j = p - 1; j >= 1; j--) r[j] = r[j] * o + r[j - 1] * s;
        r[0] = r[0] * o + pt[jj];
    }
    for (size_t j = 0; j < p; j++) coef[j] = (double)r[p - 1 - j] + 0.0; /* + 0: no -0 (a fit of zeros) */
    /* the fit is finite (its values, lmp_linalg_poly_eval); a monomial coefficient of it may not be: a slope
     * of 1e300 over an x range of 1e-10 is 1e310 */
    for (size_t j = 0; j < p; j++)
        if (!isfinite(coef[j]))
            return lmp_error_set(err, LMP_ERANGE,
                                 "the coefficient of x^%zu is beyond the range of a double (|c| > 1.8e308): "
                                 "rescale x or y",
                                 p - 1 - j);
    return LMP_OK;
}

lmp_status lmp_linalg_polyfit(const double *x, const double *y, size_t n, size_t deg, double *coef, lmp_error *err)
{
    lmp_linalg_poly fit;
    lmp_status st = lmp_linalg_check_points_("polyfit", x, y, n, deg, coef, err);
    if (!st) st = lmp_linalg_poly_fit(x, y, n, deg, &fit, err);
    if (st) return st;
    return lmp_linalg_poly_coef(&fit, coef, err);
}

double lmp_linalg_polyval(const double *coef, size_t deg, double x)
{
    if (!coef) return NAN; /* deg + 1 >= 1 values expected */
    double r = coef[0];
    for (size_t i = 1; i <= deg; i++) r = r * x + coef[i];
    return r;
}
