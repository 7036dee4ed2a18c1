/* Unit tests for include/lmprob/linalg.h: Householder least squares, Cholesky,
 * polynomial fits. Expected fits are exact rational least squares (sympy),
 * rounded to double. */
#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lmprob/linalg.h"
#include "test.h"

static void test_exact_line_and_cubic(void)
{
    double x[10], y[10], c[4];
    for (int i = 0; i < 10; i++) {
        x[i] = -3 + 0.8 * i;
        y[i] = 2 * x[i] + 1;
    }
    CHECK(lmp_linalg_polyfit(x, y, 10, 1, c, NULL) == LMP_OK);
    /* Data on the line up to one rounding per y: coefficients to ~1e-15. */
    CHECK_ABS(c[0], 2.0, 1e-14);
    CHECK_ABS(c[1], 1.0, 1e-14);
    for (int i = 0; i < 10; i++) y[i] = x[i] * x[i] * x[i] - 2 * x[i] + 0.5;
    CHECK(lmp_linalg_polyfit(x, y, 10, 3, c, NULL) == LMP_OK);
    CHECK_ABS(c[0], 1.0, 1e-13);
    CHECK_ABS(c[1], 0.0, 1e-13);
    CHECK_ABS(c[2], -2.0, 1e-13);
    CHECK_ABS(c[3], 0.5, 1e-13);
}

static void test_against_exact_ls(void)
{
    double x[12], y[12], c[4];
    for (int i = 0; i < 12; i++) {
        x[i] = i / 10.0;
        y[i] = ((i * 37) % 11) / 5.0;
    }
    CHECK(lmp_linalg_polyfit(x, y, 12, 3, c, NULL) == LMP_OK);
    /* Exact rational LS rounded to double; cond ~1e3: 1e-13 relative. */
    const double want[4] = {-2.5641025641025643, 1.2087912087912096, 1.7728937728937724, 0.3626373626373627};
    for (int k = 0; k < 4; k++) CHECK_REL(c[k], want[k], 1e-13);
}

static void test_degree10_fitted_values(void)
{
    /* Degree 10 on 20 points of [0, 1]: monomial coefficients ~2e6 with cond ~1e8,
     * yet the fitted values through the Chebyshev form keep ~1e-14. */
    double x[20], y[20];
    for (int i = 0; i < 20; i++) {
        x[i] = i / 19.0;
        y[i] = ((i * 13) % 7) / 3.0;
    }
    lmp_linalg_poly fit;
    CHECK(lmp_linalg_poly_fit(x, y, 20, 10, &fit, NULL) == LMP_OK);
    CHECK_ABS(lmp_linalg_poly_eval(&fit, x[0]), -0.001550891221056139, 1e-13);
    CHECK_ABS(lmp_linalg_poly_eval(&fit, x[1]), 2.013951883707269, 1e-13);
    CHECK_ABS(lmp_linalg_poly_eval(&fit, x[4]), 1.0301858075090422, 1e-13);
    CHECK_ABS(lmp_linalg_poly_eval(&fit, x[19]), 0.6719956688322505, 1e-13);
    double c[11];
    CHECK(lmp_linalg_poly_coef(&fit, c, NULL) == LMP_OK);
    CHECK_REL(c[0], -170734.52789456438, 1e-9);   /* cond(V) ~1e8 x long double eps ~1e-19 */
    CHECK_REL(c[5], 692463.3961762318, 1e-9);
    CHECK_REL(c[10], -0.001550891221056139, 1e-9);
}

static void test_polyval(void)
{
    const double c[4] = {1, -2, 0, 5};  /* x^3 - 2x^2 + 5 */
    CHECK(lmp_linalg_polyval(c, 3, 2.0) == 5.0);
    CHECK(lmp_linalg_polyval(c, 3, -1.0) == 2.0);
    CHECK(lmp_linalg_polyval(c, 0, 7.0) == 1.0);
}

static void test_fit_errors(void)
{
    double x[5] = {0, 1, 2, 3, 4}, y[5] = {1, 2, 1, 2, 1}, c[8];
    lmp_error e;
    CHECK(lmp_linalg_polyfit(x, y, 5, 5, c, &e) == LMP_EINVAL);
    CHECK_MSG(strstr(e.msg, "degree 5 needs at least 6 points"), "%s", e.msg);
    double xr[5] = {1, 1, 2, 2, 2};
    CHECK(lmp_linalg_polyfit(xr, y, 5, 2, c, &e) == LMP_ESINGULAR);
    CHECK_MSG(strstr(e.msg, "2 distinct"), "%s", e.msg);
    double xs[5] = {3, 3, 3, 3, 3};
    CHECK(lmp_linalg_polyfit(xs, y, 5, 1, c, &e) == LMP_ESINGULAR);
    /* Degree 0 of constant x is fine: the mean. */
    CHECK(lmp_linalg_polyfit(xs, y, 5, 0, c, &e) == LMP_OK);
    CHECK_REL(c[0], 7.0 / 5.0, 2 * DBL_EPSILON);
    y[2] = NAN;
    CHECK(lmp_linalg_polyfit(x, y, 5, 1, c, &e) == LMP_EINVAL);
    CHECK(strstr(e.msg, "y[2]"));
    double big[40] = {0}, bigy[40] = {0};
    for (int i = 0; i < 40; i++) big[i] = i;
    CHECK(lmp_linalg_polyfit(big, bigy, 40, 33, c, &e) == LMP_EUNSUPPORTED);
    /* a finite fit whose slope is beyond the doubles (2e310): LMP_ERANGE naming the coefficient (it was inf
     * with LMP_OK); its values stay finite */
    double x2[2] = {0, 1e-10}, y2[2] = {-1e300, 1e300};
    CHECK(lmp_linalg_polyfit(x2, y2, 2, 1, c, &e) == LMP_ERANGE);
    CHECK_MSG(strstr(e.msg, "coefficient of x^1 is beyond the range of a double"), "%s", e.msg);
    CHECK(isinf(c[0]) && c[1] == -1e300);
    lmp_linalg_poly fit;
    CHECK(lmp_linalg_poly_fit(x2, y2, 2, 1, &fit, NULL) == LMP_OK);
    CHECK_REL(lmp_linalg_poly_eval(&fit, 1e-10), 1e300, 1e-12);
    /* a fit of zeros has coefficients 0, not -0 (the CLI printed "c[x^0] = -0") */
    double z[3] = {0, 0, 0};
    CHECK(lmp_linalg_polyfit(x, z, 3, 1, c, &e) == LMP_OK);
    CHECK(c[0] == 0 && !signbit(c[0]) && c[1] == 0 && !signbit(c[1]));
}

static void test_lstsq(void)
{
    /* Overdetermined, consistent: exact answer [1, -2]. */
    double A[8] = {1, 0, 0, 1, 1, 1, 2, 1};
    double b[4] = {1, -2, -1, 0};
    double x[2];
    CHECK(lmp_linalg_lstsq(A, 4, 2, b, x, NULL) == LMP_OK);
    CHECK_ABS(x[0], 1.0, 1e-15);
    CHECK_ABS(x[1], -2.0, 1e-15);
    /* Inconsistent: the normal-equation solution (A^T A)^{-1} A^T b. For
     * A = [1 1 1]^T, b = [1 2 4]: the mean 7/3. */
    double A1[3] = {1, 1, 1}, b1[3] = {1, 2, 4};
    CHECK(lmp_linalg_lstsq(A1, 3, 1, b1, x, NULL) == LMP_OK);
    CHECK_REL(x[0], 7.0 / 3.0, 2 * DBL_EPSILON);
    /* Dependent columns. */
    double S[6] = {1, 2, 2, 4, 3, 6};
    lmp_error e;
    CHECK(lmp_linalg_lstsq(S, 3, 2, b1, x, &e) == LMP_ESINGULAR);
    CHECK(strstr(e.msg, "column 1"));
    CHECK(lmp_linalg_lstsq(S, 2, 3, b1, x, &e) == LMP_EINVAL);
}

static void test_cholesky(void)
{
    /* A = L L^T with L = [[2,0,0],[1,3,0],[-1,2,1]]. */
    double A[9] = {4, 2, -2, 2, 10, 5, -2, 5, 6};
    const double L[9] = {2, 0, 0, 1, 3, 0, -1, 2, 1};
    CHECK(lmp_linalg_cholesky(A, 3, NULL) == LMP_OK);
    for (int k = 0; k < 9; k++) CHECK_ABS(A[k], L[k], 1e-15);
    double B[4] = {1, 2, 2, 1};  /* eigenvalues 3, -1 */
    lmp_error e;
    CHECK(lmp_linalg_cholesky(B, 2, &e) == LMP_ESINGULAR);
    CHECK(strstr(e.msg, "pivot 1"));
}

static void test_svd_numpy_semantics(void)
{
    /* Rank-deficient design (3 distinct x, degree 3): np.polyfit warns and
     * returns the minimum-norm scaled solution; numpy 1.24 values. The fit is
     * unique only up to the null space, so the check is on the min-norm answer
     * (cond of the kept part ~10: 1e-12). */
    double x[6] = {0, 0, 1, 1, 2, 2}, y[6] = {1, 2, 2, 3, 5, 6}, c[4];
    size_t rank = 0;
    const double want[4] = {0.21428571428571455, 0.3571428571428578, 0.4285714285714282, 1.4999999999999996};
    CHECK(lmp_linalg_polyfit_numpy(x, y, 6, 3, c, &rank, NULL) == LMP_OK);
    CHECK_INT(rank, 3);
    for (int k = 0; k < 4; k++) CHECK_REL(c[k], want[k], 1e-12);
    /* The exact fit refuses the same system. */
    CHECK(lmp_linalg_polyfit(x, y, 6, 3, c, NULL) == LMP_ESINGULAR);
    /* Full rank: same as the QR fit (cond ~1e3, both backward stable: 1e-12). */
    double xa[12], ya[12], cq[4];
    for (int i = 0; i < 12; i++) {
        xa[i] = i / 10.0;
        ya[i] = ((i * 37) % 11) / 5.0;
    }
    CHECK(lmp_linalg_polyfit_numpy(xa, ya, 12, 3, c, &rank, NULL) == LMP_OK);
    CHECK_INT(rank, 4);
    CHECK(lmp_linalg_polyfit(xa, ya, 12, 3, cq, NULL) == LMP_OK);
    for (int k = 0; k < 4; k++) CHECK_REL(c[k], cq[k], 1e-12);
    /* np.linalg.lstsq of a rank-1 matrix: minimum-norm solution. */
    double A[6] = {1, 2, 2, 4, 3, 6}, b[3] = {1, 2, 4}, xs[2];
    CHECK(lmp_linalg_lstsq_svd(A, 3, 2, b, 0, xs, &rank, NULL) == LMP_OK);
    CHECK_INT(rank, 1);
    CHECK_REL(xs[0], 0.24285714285714274, 1e-14);
    CHECK_REL(xs[1], 0.48571428571428565, 1e-14);
}

/* An array or output that is NULL where values are read or written: LMP_EINVAL naming it, NaN from
 * polyval and poly_eval (each crashed before). */
static void test_null_arrays(void)
{
    double x[3] = {0, 1, 2}, y[3] = {1, 3, 5}, c[2], A[6] = {1, 0, 1, 1, 1, 2}, L[4] = {4, 0, 2, 5};
    size_t rank;
    lmp_linalg_poly fit;
    lmp_error e;
    CHECK(lmp_linalg_poly_fit(NULL, y, 3, 1, &fit, &e) == LMP_EINVAL && strstr(e.msg, "poly_fit: x is NULL (n = 3"));
    CHECK(lmp_linalg_poly_fit(x, NULL, 3, 1, &fit, &e) == LMP_EINVAL && strstr(e.msg, "y is NULL"));
    CHECK(lmp_linalg_poly_fit(x, y, 3, 1, NULL, &e) == LMP_EINVAL && strstr(e.msg, "the output is NULL"));
    CHECK(lmp_linalg_polyfit(x, y, 3, 1, NULL, &e) == LMP_EINVAL && strstr(e.msg, "polyfit: the output is NULL"));
    CHECK(lmp_linalg_polyfit(NULL, y, 3, 1, c, &e) == LMP_EINVAL);
    CHECK(lmp_linalg_polyfit_numpy(x, NULL, 3, 1, c, &rank, &e) == LMP_EINVAL && strstr(e.msg, "polyfit_numpy: y"));
    CHECK(lmp_linalg_polyfit_numpy(x, y, 3, 1, NULL, &rank, &e) == LMP_EINVAL);
    CHECK(lmp_linalg_poly_fit(x, y, 3, 1, &fit, &e) == LMP_OK);
    CHECK(lmp_linalg_poly_coef(&fit, NULL, &e) == LMP_EINVAL && strstr(e.msg, "coef is NULL"));
    CHECK(lmp_linalg_poly_coef(NULL, c, &e) == LMP_EINVAL && isnan(lmp_linalg_poly_eval(NULL, 1.0)));
    CHECK(isnan(lmp_linalg_polyval(NULL, 1, 2.0)));
    CHECK(lmp_linalg_lstsq(NULL, 3, 2, y, c, &e) == LMP_EINVAL && strstr(e.msg, "lstsq: A is NULL (A is 3 x 2)"));
    CHECK(lmp_linalg_lstsq(A, 3, 2, NULL, c, &e) == LMP_EINVAL && strstr(e.msg, "b is NULL"));
    CHECK(lmp_linalg_lstsq(A, 3, 2, y, NULL, &e) == LMP_EINVAL && strstr(e.msg, "x is NULL"));
    CHECK(lmp_linalg_lstsq_svd(NULL, 3, 2, y, 0, c, &rank, &e) == LMP_EINVAL && strstr(e.msg, "lstsq_svd: A"));
    CHECK(lmp_linalg_lstsq_svd(A, 3, 2, y, 0, NULL, NULL, &e) == LMP_EINVAL);
    CHECK(lmp_linalg_cholesky(NULL, 2, &e) == LMP_EINVAL && strstr(e.msg, "cholesky: A is NULL (n = 2)"));
    CHECK(lmp_linalg_cholesky(NULL, 0, &e) == LMP_OK && lmp_linalg_cholesky(L, 2, &e) == LMP_OK);
}

/* Dimensions whose arrays cannot exist (the bytes overflow size_t): LMP_ERANGE before anything is read
 * or written (cholesky with n = 2^33 wrote past A; lstsq read it as m n wrapped). A is a real 2 x 2. */
static void test_sizes_too_large(void)
{
    double A[4] = {4, 1, 1, 3}, b[2] = {1, 2}, x[2];
    size_t r;
    lmp_error err;
    CHECK_INT(lmp_linalg_cholesky(A, (size_t)1 << 33, &err), LMP_ERANGE);
    CHECK(A[0] == 4 && A[1] == 1 && A[2] == 1 && A[3] == 3);
    CHECK_INT(lmp_linalg_lstsq(A, SIZE_MAX / 2, 4, b, x, &err), LMP_ERANGE);
    CHECK_INT(lmp_linalg_lstsq(A, (size_t)1 << 40, (size_t)1 << 30, b, x, &err), LMP_ERANGE);
    CHECK_INT(lmp_linalg_lstsq_svd(A, SIZE_MAX / 2, 4, b, 0, x, &r, &err), LMP_ERANGE);
    CHECK(strstr(err.msg, "too large") != NULL);
    CHECK_INT(lmp_linalg_cholesky(A, 2, &err), LMP_OK); /* the same arrays at their true sizes */
}

int main(int argc, char **argv)
{
    (void)argc;
    RUN(test_sizes_too_large);
    RUN(test_exact_line_and_cubic);
    RUN(test_against_exact_ls);
    RUN(test_degree10_fitted_values);
    RUN(test_polyval);
    RUN(test_fit_errors);
    RUN(test_lstsq);
    RUN(test_cholesky);
    RUN(test_svd_numpy_semantics);
    RUN(test_null_arrays);
    return TEST_SUMMARY();
}
