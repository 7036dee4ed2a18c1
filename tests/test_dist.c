/* Distributions: values against scipy 1.10 (quoted calls), consistency identities,
 * statistical tests of every sampler with fixed seeds, and invalid inputs.
 *
 * Statistical checks and their false-failure rates (for a correct sampler):
 *  - continuous samplers: Kolmogorov-Smirnov against lmprob's own cdf, n = 20000,
 *    sqrt(n) D < 1.95 (p = 0.001 each); this also checks the cdf against the sampler.
 *  - discrete samplers: chi-square against the pmf with cells of expectation >= 5
 *    (tails pooled); bound df + 6 sqrt(2 df) (p < 1e-5 for df >= 5).
 *  - moments: |mean - mu| < 5 standard errors (p = 6e-7). */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lmprob/dist.h"
#include "lmprob/rng.h"
#include "../src/dist/internal.h"  /* lmp_beta_log_tail_, the log tail the quantile solver steps on */
#include "test.h"

/* Relative tolerances: 1e-14 ~ 45 ulp for closed forms and erfc-based tails; 1e-12 for
 * results of continued fractions / series (scipy's own accuracy is about 1e-14 there);
 * 1e-10 for quantiles found by iteration (scipy stops near 1e-12 relative). */

static void test_normal_values(void)
{
    CHECK_REL(lmp_normal_pdf(1.5, 0.5, 2.0), 0.17603266338214973, 1e-14);   /* norm.pdf(1.5, 0.5, 2) */
    CHECK_REL(lmp_normal_cdf(1.96, 0, 1), 0.9750021048517795, 1e-14);
    CHECK_REL(lmp_normal_sf(10, 0, 1), 7.619853024160525e-24, 1e-14);        /* norm.sf(10) */
    CHECK_REL(lmp_normal_logcdf(-38, 0, 1), -726.5572160188201, 1e-14);      /* norm.logcdf(-38) */
    CHECK_REL(lmp_normal_logsf(30, 0, 1), -454.32124395634327, 1e-14);       /* norm.logsf(30) */
    CHECK_REL(lmp_normal_quantile(1e-300, 0, 1), -37.0470962993612, 1e-13);  /* mpmath root */
    CHECK_REL(lmp_normal_quantile(0.1, 3, 2), 0.43689686891079915, 1e-13);
    /* cdf and sf are computed separately; they add to 1 and are symmetric. */
    for (double x = -8; x <= 8; x += 0.37) {
        CHECK_ABS(lmp_normal_cdf(x, 0, 1) + lmp_normal_sf(x, 0, 1), 1.0, 2e-16);
        CHECK_REL(lmp_normal_cdf(-x, 0, 1), lmp_normal_sf(x, 0, 1), 1e-15);
        /* quantile(cdf(x)) = x within the conditioning of the cdf */
        double c = lmp_normal_cdf(x, 0, 1);
        if (c > 1e-300 && c < 0.999) CHECK_ABS(lmp_normal_quantile(c, 0, 1), x, 1e-13 * (1 + fabs(x)));
    }
    CHECK(lmp_normal_quantile(0, 0, 1) == -INFINITY && lmp_normal_quantile(1, 0, 1) == INFINITY);
    CHECK(isnan(lmp_normal_quantile(1.5, 0, 1)) && isnan(lmp_normal_quantile(NAN, 0, 1)));
    CHECK(lmp_normal_logcdf(-INFINITY, 0, 1) == -INFINITY && lmp_normal_cdf(INFINITY, 0, 1) == 1.0);
}

static void test_discrete_values(void)
{
    CHECK_REL(lmp_binomial_logpmf(0, 1000, 0.999), -6907.755278982137, 1e-13);   /* binom.logpmf */
    CHECK_REL(lmp_binomial_pmf(3, 10, 0.3), 0.266827932, 1e-13);
    CHECK_REL(lmp_binomial_sf(60, 100, 0.5), 0.017600100108852428, 1e-12);      /* binom.sf(60, 100, .5) */
    CHECK_REL(lmp_binomial_cdf(3, 10, 0.3), 0.6496107184000001, 1e-12);
    CHECK(lmp_binomial_quantile(0.3, 40, 0.25) == 9.0);                          /* binom.ppf(0.3, 40, .25) */
    CHECK(lmp_binomial_pmf(11, 10, 0.3) == 0.0 && lmp_binomial_logpmf(-1, 10, 0.3) == -INFINITY);
    CHECK_REL(lmp_poisson_cdf(10, 12.5), 0.29707473994661737, 1e-12);            /* poisson.cdf(10, 12.5) */
    CHECK(lmp_poisson_quantile(0.5, 12.5) == 12.0);
    CHECK_REL(lmp_poisson_logpmf(50, 0.1), -263.70702160147533, 1e-13);
    /* pmfs sum to 1 and the cdf is their running sum. */
    double s = 0;
    for (long k = 0; k <= 60; k++) {
        s += lmp_binomial_pmf(k, 60, 0.37);
        CHECK_REL(lmp_binomial_cdf((double)k, 60, 0.37), s, 1e-12);
    }
    CHECK_ABS(s, 1.0, 1e-14);
    s = 0;
    for (long k = 0; k < 200; k++) s += lmp_poisson_pmf(k, 30.5);
    CHECK_ABS(s, 1.0, 1e-14);
    CHECK_ABS(lmp_bernoulli_pmf(1, 0.3) + lmp_bernoulli_pmf(0, 0.3), 1.0, 1e-16);
}

/* Poisson at rates past 2^53, to the top of the double range (issue: the quantile stepped k by 1 and
 * never returned for lambda >= 2^53; the cdf took k + 1 rounded to k; the pmf's k went through long).
 * References: mpmath at 50 digits (the tails by quadrature of the gamma density, gammainc_ref of
 * tests/accuracy/gen_cases.py; the pmf from loggamma at 400 digits). These are exact functions of the
 * doubles given, and the code computes them so (a few ulps): the condition number in lambda, sqrt(lambda)
 * for the cdf, would allow far more, but the old errors (5e-10, 3e-14 relative) must fail. */
static void test_poisson_huge(void)
{
    CHECK_REL(lmp_poisson_cdf(1e18, 1e18), 0.5000000002659615202676218, 1e-15);      /* old: 0.49999999986701926 */
    CHECK_REL(lmp_poisson_sf(1e18, 1e18), 0.4999999997340384797323782, 1e-15);
    CHECK_REL(lmp_poisson_cdf(0x1p53, 0x1p53), 0.500000002802359976111632, 1e-15);
    CHECK_REL(lmp_poisson_cdf(1e16, 1e16), 0.5000000026596152026762178, 1e-15);      /* below 2^53: Q(k+1) */
    CHECK_REL(lmp_poisson_pmf(9e18, 9e18), 1.3298076013381089265e-10, 4e-16);         /* old: 0 (k as long) */
    CHECK_REL(lmp_poisson_pmf(8.5e18, 8.5e18), 1.368360732847434736e-10, 4e-16);
    CHECK_REL(lmp_poisson_pmf(1e300, 1e300), 3.9894228040143266747e-151, 4e-16);      /* old: 0; exp(log): 3e-14 */
    CHECK_REL(lmp_poisson_logpmf(1e300, 1e300), -346.30670248231152537, 4e-16);       /* old: -inf */
    CHECK_REL(lmp_poisson_pmf(1.0000000001e20, 1e20), 2.4197055106646232947e-11, 4e-16);
    CHECK(lmp_poisson_pmf(2.5, 3) == 0.0 && lmp_poisson_logpmf(2.5, 3) == -INFINITY);
    CHECK(lmp_poisson_pmf(INFINITY, 3) == 0.0 && isnan(lmp_poisson_pmf(NAN, 3)));
    /* The quantile is the smallest whole double k with cdf(k) >= q (past 2^53 the integers between doubles
     * are not doubles): check that property from 2^53 to the top of the range, in both tails. */
    const double lams[] = {0x1p53, 1e16, 1e18, 1e20, 1e100, 1e300, 1.7976931348623157e308};
    const double qs[] = {1e-300, 1e-10, 0.3, 0.5, 0.7, 1 - 1e-10};
    for (size_t i = 0; i < sizeof lams / sizeof lams[0]; i++)
        for (size_t j = 0; j < sizeof qs / sizeof qs[0]; j++) {
            double l = lams[i], q = qs[j], k = lmp_poisson_quantile(q, l);
            double below = k < 0x1p53 ? k - 1 : nextafter(k, 0);
            if (k == INFINITY) CHECK_MSG(lmp_poisson_cdf(1.7976931348623157e308, l) < q, "lambda %g q %g", l, q);
            else CHECK_MSG(lmp_poisson_cdf(k, l) >= q && lmp_poisson_cdf(below, l) < q, "lambda %g q %g: k %.17g", l, q, k);
        }
    CHECK(lmp_poisson_quantile(0.5, 1e16) == 1e16);
    CHECK(lmp_poisson_quantile(0.5, 1e300) == 1e300);
    CHECK(lmp_poisson_quantile(0.99, 1.7976931348623157e308) == INFINITY);   /* beyond the doubles */
}

/* Binomial quantiles past 2^53 trials (issue: the quantile walked k by 1 from its guess, and past 2^53
 * k - 1 == k, so lmp_binomial_quantile(0.5, 1e17, 0.5) never returned). As for the Poisson: the smallest
 * whole double k with cdf(k) >= q, checked as that property, and the same answers below 2^53 as the
 * walk gave (scipy's binom.ppf). */
static void test_binomial_quantile_huge(void)
{
    const long ns[] = {(long)1e15, (long)0x1p53, (long)1e17, (long)4e18, LONG_MAX};
    const double ps[] = {1e-12, 0.3, 0.5, 0.999};
    const double qs[] = {1e-10, 0.3, 0.5, 0.7, 1 - 1e-10};
    for (size_t a = 0; a < sizeof ns / sizeof ns[0]; a++)
        for (size_t b = 0; b < sizeof ps / sizeof ps[0]; b++)
            for (size_t c = 0; c < sizeof qs / sizeof qs[0]; c++) {
                long n = ns[a];
                double p = ps[b], q = qs[c], k = lmp_binomial_quantile(q, n, p);
                double below = k < 0x1p53 ? k - 1 : nextafter(k, 0);
                CHECK_MSG(k >= 0 && k <= (double)n && lmp_binomial_cdf(k, n, p) >= q &&
                              (k == 0 || lmp_binomial_cdf(below, n, p) < q),
                          "n %ld p %g q %g: k %.17g", n, p, q, k);
            }
    CHECK(lmp_binomial_quantile(0.5, (long)1e17, 0.5) == 5e16);
    CHECK(lmp_binomial_quantile(0.3, 40, 0.25) == 9.0);   /* binom.ppf(0.3, 40, .25) */
    CHECK(lmp_binomial_quantile(0.5, 10, 0.5) == 5.0 && lmp_binomial_quantile(1e-300, 10, 0.5) == 0.0);
    CHECK(lmp_binomial_quantile(0.999, 1000, 0.001) == 5.0);   /* binom.ppf(.999, 1000, .001) */
}

/* Gamma quantiles of huge shapes (issue: 0.99999995 of the answer at shape 1e18, whose cdf there was 0;
 * 0.995 * shape for every p from 1e30 on). References: the Cornish-Fisher expansion of the gamma quantile,
 * k + z sqrt(k) + (z^2 - 1)/3 + (z^3 - 7z)/(36 sqrt(k)) - ..., in mpmath at 40 digits with z = Phi^-1(p):
 * from k = 1e16 on its next term is below 1e-5, far below an ulp; checked against mpmath quadrature of
 * the density at k = 1e18, p = 1/2 (999999999999999999.667). Tolerance 8 u (1 + kappa) with kappa ~ 1 (the
 * quantile's condition number in the shape; in p it is 1 / (x f(x)) ~ 1e-9): 2e-15. */
static void test_gamma_quantile_huge(void)
{
    CHECK_REL(lmp_gamma_quantile(0.5, 1e18, 1), 999999999999999999.667, 2e-15);   /* old: 9.9999994787739904e17 */
    CHECK_REL(lmp_gamma_quantile(1e-300, 1e18, 1), 999999962952904192.0, 2e-15);
    CHECK_REL(lmp_gamma_quantile(0.999999, 1e18, 1), 1000000004753424256.0, 2e-15);
    CHECK_REL(lmp_gamma_quantile(0.3, 1e20, 1), 99999999994755989504.0, 2e-15);
    CHECK_REL(lmp_gamma_quantile(0.7, 1e30, 1), 1.000000000000000582834578e30, 2e-15); /* old: 0.995e30 */
    CHECK_REL(lmp_gamma_quantile(1e-300, 1e30, 1), 9.999999999999630059251874e29, 2e-15);
    CHECK_REL(lmp_gamma_quantile(0.3, 1e100, 1), 1.000000000000000015902891e100, 2e-15);
    CHECK_REL(lmp_gamma_quantile(0.999999, 1e300, 3), 3.00000000000000015751428e300, 2e-15);
    CHECK_REL(lmp_gamma_quantile(0.5, 1e307, 1), 1e307, 2e-15);
    /* the lower tail where P underflowed in the old series (1e7 terms needed, 1e5 taken): 1.4e-9 off */
    CHECK_REL(lmp_gamma_quantile(1.0259748486923598e-296, 83033076406392992.0, 1), 83033065803130506.92, 2e-15);
    /* an ulp of x is 56 standard deviations here: the answer is the shape itself (its cdf is 1/2, the
     * double below's e^-1956), not 30 ulps below where a Newton step from it overshot */
    CHECK_REL(lmp_gamma_quantile(1.4164633315540716e-221, 8.7190292818449755e+34, 1), 8.7190292818449755e+34, 2.3e-16);
    /* a tiny shape's upper quantile, where the solver's first Newton step lands far above, whose tail
     * the continued fraction now gives without its underflowing prefactor (mpmath; 8 u (1 + kappa), kappa 55) */
    CHECK_REL(lmp_gamma_quantile(0.90995276994535357, 0.020396167526982444, 1), 0.005619056026053520693347733, 5e-14);
}

/* The incomplete beta function and the beta distribution for large a, b (issue: I_{1/2}(1e20, 1e20) = 0.459,
 * 0.0025 at 1e25, 2.8e49 at 1e100, NaN at 1e150; the median of Beta(1e18, 3e18) 0.105; var NaN at 1e155 and
 * at a = b = 1e-200). References: mpmath at 40 digits (betainc_ref of tests/accuracy/gen_cases.py:
 * quadrature of the density, and beta_ppf_ref), quoted. Tolerance 1e-15 (a few ulps): the condition
 * number in x or p is small at these points (in a and b it is ~sqrt(a), which would allow 1e-6; the old
 * errors, 1e-8 and up, must fail). */
static void test_beta_large(void)
{
    CHECK(lmp_beta_cdf(0.5, 1e20, 1e20) == 0.5 && lmp_beta_sf(0.5, 1e20, 1e20) == 0.5);   /* old: 0.459 */
    CHECK(lmp_beta_cdf(0.5, 1e100, 1e100) == 0.5 && lmp_beta_cdf(0.5, 1e150, 1e150) == 0.5);   /* 2.8e49, NaN */
    CHECK(lmp_beta_cdf(0.49999999999999994, 1e100, 1e100) == 0.0);   /* an ulp below the mean: 1.6e34 sd */
    CHECK_REL(lmp_sf_beta_inc(1e4, 3e4, 0.25), 0.5007677677977382914333, 1e-15);            /* old: 1.8e-15 */
    CHECK_REL(lmp_sf_beta_inc_upper(1e4, 3e4, 0.25), 0.4992322322022617085667, 1e-15);
    CHECK_REL(lmp_sf_beta_inc(1e18, 3e18, 0.2499999997), 0.08292833221406257282773, 1e-15);  /* old: 2.5e-8 */
    CHECK_REL(lmp_sf_beta_inc_upper(1e18, 3e18, 0.2500000005), 0.01046066950251978119224, 1e-15);
    CHECK_REL(lmp_sf_beta_inc(1e25, 1e25, 0.4999999999999), 0.1856050918348679980382, 1e-15); /* old: 1.3e-4 */
    CHECK_REL(lmp_sf_beta_inc(1e20, 1e20, 0.4999999999), 0.002338865780530163230495265, 1e-15);
    CHECK_REL(lmp_sf_beta_inc(1e12, 1e12, 0.499999), 0.002338867491058504558918931, 1e-15);
    /* a tail of 1e-19: the deviance r eta^2 / 2 = 40.9 is a double, and e^-dev keeps only its absolute
     * precision, 40 u (kappa in x is ~8000 here); old error 4.2e-14 */
    CHECK_REL(lmp_sf_beta_inc(1e6, 1e9, 0.00099), 7.736701210196651542726e-20, 2e-14);
    CHECK_REL(lmp_beta_quantile(0.5, 1e18, 3e18), 0.25, 2.3e-16);          /* (a - 1/3) / (a + b - 2/3); old 0.105 */
    CHECK_REL(lmp_beta_quantile(1e-300, 1e20, 1e20), 0.4999999986901873491725323, 1e-15);
    CHECK_REL(lmp_beta_quantile(1e-300, 1e4, 3e4), 0.1760257220182373796209451, 1e-15);
    CHECK_REL(lmp_beta_quantile(0.3, 1e4, 3e4), 0.2488616206608231765385036, 1e-15);
    CHECK_REL(lmp_beta_quantile(0.999, 1e4, 3e4), 0.2567258288054860250331711, 1e-15);
    CHECK(lmp_beta_quantile(0.3, 1e150, 1e150) == 0.5);
    /* x far below the mean of the frame a <= b: lambda = a - (a + b) x rounded to a, the deviance was
     * bd0(a, a - lambda) = inf and I_x NaN (seed 12 of the accuracy suite; both parameters' sides, a frame mirrored
     * or not); the log tail, where (a + b) x is still above u a, lost u a / ((a + b) x) of it (1.5e-4 at x = 1e-20).
     * References: I_x underflows (x^a), 1 - I_x = 1; log I_x from mpmath at 60 digits, x^a (1-x)^b / (a B(a, b))
     * 2F1(a + b, 1; a + 1; x) (A&S 26.5.23) */
    CHECK(lmp_beta_sf(1.9364087565986903e-258, 13371222118.11627, 19516.719865370585) == 1.0);    /* old: NaN */
    CHECK(lmp_beta_cdf(1.9364087565986903e-258, 13371222118.11627, 19516.719865370585) == 0.0);
    CHECK(lmp_beta_cdf(1e-300, 2e4, 1e10) == 0.0 && lmp_beta_sf(1e-300, 2e4, 1e10) == 1.0);         /* old: NaN */
    CHECK(lmp_beta_sf(1.0 - 0x1p-53, 1e10, 2e4) == 0.0 && lmp_beta_cdf(1.0 - 0x1p-53, 1e10, 2e4) == 1.0);
    double dl;
    CHECK_REL(lmp_beta_log_tail_(19516.719865370585, 13371222118.11627, 1e-20, 1, 1.0, &dl),
              -617014.4136998179202610634, 1e-15);                                       /* old: 1.5e-4 */
    CHECK_REL(lmp_beta_log_tail_(19516.719865370585, 13371222118.11627, 1.9364087565986903e-258, 1, 1.0, &dl),
              -11299577.23797502446687839, 1e-15);                                       /* old: NaN */
    CHECK_REL(lmp_beta_log_tail_(19516.719865370585, 13371222118.11627, 1e-12, 1, 1.0, &dl),
              -257503.1612612102752136158, 1e-15);                                       /* old: 7.4e-16 */
    /* moments without overflow or underflow: ab/((a+b)^2 (a+b+1)) */
    CHECK_REL(lmp_beta_var(1e-200, 1e-200), 0.25, 1e-15);                   /* old: NaN */
    CHECK_REL(lmp_beta_var(1e155, 1e155), 1.25e-156, 1e-15);                /* old: NaN */
    CHECK_REL(lmp_beta_var(1e150, 1e150), 1.25e-151, 1e-15);                /* old: 0 */
    CHECK_REL(lmp_beta_var(1e308, 1e308), 1.25e-309, 1e-3);                 /* subnormal */
    CHECK(lmp_beta_mean(1e308, 1e308) == 0.5 && lmp_beta_mean(1e308, 3e307) == 1e308 / 1.3e308);
    CHECK_REL(lmp_beta_var(2, 5), 10.0 / 392.0, 1e-15);
}

static void test_special_values(void)
{
    CHECK_REL(lmp_sf_lgamma(3.5e5), 4117985.4878075137, 1e-15);                     /* gammaln */
    CHECK(lmp_sf_lgamma(0) == INFINITY && lmp_sf_lgamma(-2) == INFINITY);
    CHECK_REL(lmp_sf_digamma(-0.3), 2.1133097796353972, 1e-13);
    CHECK(isnan(lmp_sf_digamma(0)) && isnan(lmp_sf_digamma(-4)));
    CHECK_REL(lmp_sf_log_beta(1000, 1000), -1388.4826016359023, 1e-13);
    CHECK_REL(lmp_sf_beta_inc(2.5, 3.5, 0.4), 0.4869041915261175, 1e-13);           /* betainc */
    CHECK_REL(lmp_sf_beta_inc(2.5, 3.5, 0.4) + lmp_sf_beta_inc_upper(2.5, 3.5, 0.4), 1.0, 1e-15);
    CHECK_REL(lmp_sf_beta_inc(3.5, 2.5, 0.6), lmp_sf_beta_inc_upper(2.5, 3.5, 0.4), 1e-13);   /* symmetry */
    CHECK_REL(lmp_sf_gamma_inc_upper(7.5, 3.0), 0.9797477467178134, 1e-13);        /* gammaincc */
    CHECK(isnan(lmp_sf_beta_inc(-1, 2, 0.5)) && isnan(lmp_sf_gamma_inc(1, -1)));
}

static void test_continuous_values(void)
{
    CHECK_REL(lmp_gamma_cdf(0.1, 0.5, 2), 0.24817036595415076, 1e-12);          /* gamma.cdf(.1, .5, scale=2) */
    CHECK_REL(lmp_gamma_quantile(0.3, 4.2, 0.5), 1.4681781149683637, 1e-10);
    CHECK_REL(lmp_beta_sf(0.9, 3, 4), 0.0012699999999999988, 1e-12);
    CHECK_REL(lmp_beta_quantile(0.8, 0.7, 1.9), 0.47809574967275875, 1e-10);
    CHECK_REL(lmp_laplace_quantile(0.1, 1, 2), -2.2188758248682006, 1e-14);
    CHECK_REL(lmp_exponential_cdf(1e-20, 3), 3e-20, 1e-14);                      /* expm1, not 1 - exp */
    CHECK_REL(lmp_exponential_quantile(1e-17, 2), 5e-18, 1e-14);
    double x[3] = {0.25, 0.25, 0.5}, a[3] = {0.5, 2, 3};
    CHECK_REL(lmp_dirichlet_logpdf(x, a, 3), 0.6128603024542354, 1e-13);
    double off[3] = {0.25, 0.25, 0.6};
    CHECK(lmp_dirichlet_logpdf(off, a, 3) == -INFINITY);
    /* Quantile round trips on both tails. */
    const double ps[5] = {1e-12, 0.01, 0.5, 0.99, 1 - 1e-9};
    for (int i = 0; i < 5; i++) {
        double p = ps[i];
        CHECK_REL(lmp_gamma_cdf(lmp_gamma_quantile(p, 2.5, 3), 2.5, 3), p, 1e-9);
        CHECK_REL(lmp_gamma_cdf(lmp_gamma_quantile(p, 0.2, 1), 0.2, 1), p, 1e-9);
        CHECK_REL(lmp_beta_cdf(lmp_beta_quantile(p, 2, 7), 2, 7), p, 1e-9);
        CHECK_REL(lmp_laplace_cdf(lmp_laplace_quantile(p, 0, 1), 0, 1), p, 1e-12);
        /* x = lo + 4p is rounded to ulp(1): the round trip is good to 1e-15 absolute, not relative */
        CHECK_ABS(lmp_uniform_cdf(lmp_uniform_quantile(p, -1, 3), -1, 3), p, 1e-15);
    }
    /* gamma pdf, shape 1e-300 at x = 2: 6.8e-302 is a normal double, the product needs no exp of a log of -693
     * (7.9e-14 off); mpmath x^(k-1) e^-x / Gamma(k) at 50 digits */
    CHECK_REL(lmp_gamma_pdf(2, 1e-300, 1), 6.7667641618306347643e-302, 4e-16);
    CHECK_REL(lmp_gamma_pdf(1e-10, 1e-300, 1), 9.9999999989999998863e-291, 4e-16);
    /* a gamma log density where k / x or k / (x / theta) overflows or x / theta underflows (it was NaN: Loader's
     * log(k / x) = +inf plus his deviance's -inf); mpmath (k - 1) log y - y - lgamma(k) - log theta, y = x / theta,
     * of the doubles given. A relative tolerance: the terms are of one sign, nothing cancels. */
    CHECK_REL(lmp_gamma_logpdf(1e-310, 1e6, 1), -726616169.59592294861, 1e-15);
    CHECK(lmp_gamma_pdf(1e-310, 1e6, 1) == 0);
    CHECK_REL(lmp_gamma_logpdf(1e-10, 1e300, 1), -7.1280137882815419949e+302, 1e-15);
    CHECK_REL(lmp_gamma_logpdf(1e-310, 5, 1e300), -6312.2612086340331323, 1e-15);
    /* this one does cancel: 10.9 from k log y = -702 and log(k / x) = 713; its condition number in log theta is
     * k |log y| / 10.9 = 64, so 2e-14 is a few ulps of it */
    CHECK_REL(lmp_gamma_logpdf(1e-310, 0.5, 1e300), 10.940560522045528333, 2e-14);
    /* a shape below 1: log k and -log y cancelled when summed apart (shape 1e-300 at x = 2e-300 was 714 u off,
     * u = 2^-53 relative, where the condition number is 3; a sweep of 3,000 random shapes below 1 had 216 u
     * times (1 + the condition number) at worst, now 2.2); mpmath at 50 digits */
    CHECK_REL(lmp_gamma_logpdf(2e-300, 1e-300, 1), -0.69314718055994531, 1e-15);
    CHECK_REL(lmp_gamma_logpdf(1.3383542423585854e-273, 1.8062537408979184e-273, 0.5169473908740541),
              0.29981426217123215, 1e-15);
    CHECK_REL(lmp_gamma_logpdf(6.9951297985548195e-208, 3.242376850481068e-206, 2.713888983629444e+229),
              3.836262678819734, 3e-15);
    /* beta cdf / sf with b past ~1e77 (the continued fraction's a^4 and b^2 x^2 overflowed: 0.9 % off at
     * b = 1e80, NaN from ~1e154 on, a subnormal front at 1e300). References: I_x(a, b) -> P(a, -b log1p(-x))
     * as b -> inf with a fixed, off by O(a / b); mpmath at 50 digits. Relative tolerances: the condition numbers
     * are O(1) here, O(b x) = 60 in the far tail. */
    CHECK_REL(lmp_beta_cdf(4e-80, 2, 1e80), 0.90842180555632908731, 2e-15);
    CHECK_REL(lmp_beta_sf(4e-80, 2, 1e80), 0.091578194443670912695, 2e-15);
    CHECK_REL(lmp_beta_cdf(1e-300, 2, 1e300), 0.26424111765711538534, 2e-15);
    CHECK_REL(lmp_beta_sf(1e-300, 2, 1e300), 0.73575888234288461466, 2e-15);
    CHECK_REL(lmp_beta_sf(6e-299, 2, 1e300), 5.3414715652448773436e-25, 4e-14);
    CHECK_REL(lmp_beta_cdf(1.75e-160, 3.5, 1e160), 0.16477451738965789538, 2e-15);
    CHECK(lmp_beta_cdf(1e-10, 2, 1e200) == 1 && lmp_beta_sf(1e-10, 2, 1e200) == 0);
    /* a quantile below the smallest subnormal is that subnormal, the smallest x with cdf(x) >= p > 0 = cdf(0)
     * (it was 0); a standard quantile that underflows while its scaled value does not (it was 0): mpmath
     * root of P(1/2, x) = 1e-170, times 1e100 */
    CHECK(lmp_gamma_quantile(0.5, 1e-10, 1) == 0x1p-1074 && lmp_gamma_cdf(0x1p-1074, 1e-10, 1) >= 0.5);
    CHECK(lmp_beta_quantile(0.5, 1e-10, 1) == 0x1p-1074);
    /* the same above the middle, solved on the upper tail (seed 24 of the accuracy suite): a = 7.8e-265,
     * b = 722.6, p = 0.9487 is x = e^(-6.7721413639012058e262) (mpmath root of I_x = p at 60 digits, from
     * x^a / (a B(a, b))), cdf(5e-324) = 1 - 6e-262; it was 2^-1024, where the logit's 1 / (1 + e^-t) stopped */
    CHECK(lmp_beta_quantile(0.9486530504507695, 7.783674213866966e-265, 722.565025869859) == 0x1p-1074);
    CHECK(lmp_beta_quantile(0.75, 1e-300, 2) == 0x1p-1074);
    CHECK(lmp_beta_cdf(0x1p-1074, 7.783674213866966e-265, 722.565025869859) >= 0.9486530504507695);
    CHECK_REL(lmp_gamma_quantile(1e-170, 0.5, 1e100), 7.85398163397448295944933397484966936554e-241, 1e-15);
    /* the gamma's above the middle, solved on the upper tail: a tiny shape's P = x^k / Gamma(k + 1) = p below
     * e^-745, times the scale (mpmath: that root with 1 + k exact; Q(k, e^t) was Q(k, 0) = 1 there, a flat
     * tail, and the quantile 0, 4.9e-224 for 1.05e-319, and 5e-324 only by chance; seed 38) */
    CHECK_REL(lmp_gamma_quantile(0.99, 1e-5, 1e300), 1.85687106481630879913351364149e-137, 1e-10);
    CHECK_REL(lmp_gamma_quantile(0.75, 4e-4, 1), 2.52708442114526714177230430249e-313, 1e-10);
    CHECK(lmp_gamma_quantile(0.6798892444808361, 6.077929705097096e-175, 2.7569440259133802e-59) == 0x1p-1074);
    CHECK(lmp_gamma_quantile(0.75, 1e-300, 1) == 0x1p-1074 && lmp_gamma_cdf(0x1p-1074, 1e-300, 1) >= 0.75);
    /* the upper tail of a small a and a huge b past b x = 0.7, by DiDonato & Morris's BGRAT: the continued
     * fraction was 5.5e-15 off in both (mpmath's betainc at 600 bits); a tail past e^-745, where the
     * expansion's r = e^-z z^b / Gamma(b) underflows, is Q(b, z)'s alone (NaN from 0 / 0 otherwise) */
    CHECK_REL(lmp_beta_sf(6.85597582034168e-09, 0.006798721792411961, 114679519.73864773),
              0.002177437821203075360218969, 2e-15);
    CHECK_REL(lmp_beta_sf(2.3905981065086307e-11, 0.04740251586915333, 41192390639.109276),
              0.01117505405687954058860814, 2e-15);
    CHECK(lmp_beta_sf(0.9620608941546731, 461223371943438.25, 3.1601901354465475e-19) == 1);
    /* quantiles of a tiny b at or near 1, in the top doubles where the logit's 1 / (1 + e^-t) is a staircase
     * (or 1), by bisection over those doubles; and the solver's start there at most (a mean that rounds to 1
     * made it t = inf). References: mpmath roots of 1 - I_(1-x)(b, a) = p at 400 digits. Before: 1 for the
     * second to fourth (errors 8.9e-16, 9.1e-13, 2.4e-3), 0.99999999999997 for the first (2.9e-14). */
    CHECK(lmp_beta_quantile(0.16101753117919557, 1.6307970001538856e-121, 3.382415585010797e-123) == 1);
    CHECK(lmp_beta_cdf(0x1.fffffffffffffp-1, 1.6307970001538856e-121, 3.382415585010797e-123) < 0.16101753117919557);
    CHECK_REL(lmp_beta_quantile(2.6559162183130627e-101, 1e15, 1e-100), 0.99999999999999911182158, 2.3e-16);
    CHECK_REL(lmp_beta_quantile(2.559373872991646e-21, 1e12, 1e-20), 0.99999999999909050529823, 2.3e-16);
    CHECK_REL(lmp_beta_quantile(1.3159374289267198e-82, 0.4901586630620449, 1.7649483823787142e-83),
              0.9975739771934521, 1e-15);
    /* quantiles of a tiny b at a tiny p: I_x(a, b) = b B_x(a, b) (1 + O(b)), conditioned like p / b, and the
     * solver's residual was log I - log p, resolved only to the ulp of |log p| = 523 (1.1e-13 of I). Now the
     * tail's ratio to the target, and (the last two) the front of I_x without Loader's two -log(b)/2 terms
     * that cancel: beta_cdf(0.5; 1.2, 1e-300) was 2.5e-14 off (41 u(1 + kappa)), beta_sf of the mirror and
     * beta_pdf at a = 1 + 5e-13 likewise. References: mpmath at 400 digits, betainc and its Newton root;
     * tolerances the promise's 8 u (1 + kappa) (kappa 0.74, 0.14, 34, 1.1; 4.4, 7.3, 1.4). Before: 9.2e-15,
     * 2.0e-15, 1.0e-12, 6.3e-15 off; 2.5e-14, 2.6e-14, 3.0e-15 (seeds 45 to 50 and their sweep). */
    CHECK_REL(lmp_beta_quantile(5.393219430874623e-228, 0.0027328807965663385, 1.4450340358884708e-230),
              0.9993347167121551331354258, 1.5e-15);
    CHECK_REL(lmp_beta_quantile(5.112177072367892e-175, 0.003508140604885137, 1.7399987112638547e-177),
              0.9998428204199620844169792, 1e-15);
    CHECK_REL(lmp_beta_quantile(1.465869332911754e-291, 0.052347621247511085, 7.818971298400619e-293),
              0.4186597103850903793529786, 3e-14);
    CHECK_REL(lmp_beta_quantile(2.917206694847942e-292, 8.722745446939308, 2.881091847436418e-288),
              0.4226397872764338118826282, 1.8e-15);
    CHECK_REL(lmp_beta_cdf(0.5, 1.2, 1e-300), 5.177396505565745546845348e-301, 4.8e-15);
    CHECK_REL(lmp_beta_sf(0.6383801109536156, 1.831481073902024e-229, 1.7332286324000963),
              2.383258385966402661542648e-230, 7.4e-15);
    CHECK_REL(lmp_beta_pdf(0.15871851401483564, 1.0000000000005203, 1.53638032353646), 1.400356925771927756222918,
              2.1e-15);
    /* a normal density whose sigma sqrt(2 pi) or x - mu overflows: subnormal, not 0 (mpmath) */
    CHECK_REL(lmp_normal_pdf(0, 1e308, 1e308), 2.41970724519143347141218211978e-309, 1e-6);
    CHECK_REL(lmp_normal_pdf(-1e308, 1e308, 1e308), 5.39909665131880513577939436474e-310, 1e-5);
    CHECK_REL(lmp_normal_cdf(-1e308, 1e308, 1e308), 0.0227501319481792072002826371665, 1e-15);
}

/* Uniform where hi - lo overflows (lo = -1e308, hi = 1e308: cdf(0) was 0, quantile(0.25), mean and draws inf).
 * Exact values: the halvings are exact in that range. */
static void test_uniform_wide(void)
{
    const double lo = -1e308, hi = 1e308;
    CHECK(lmp_uniform_cdf(0, lo, hi) == 0.5 && lmp_uniform_sf(0, lo, hi) == 0.5);
    CHECK(lmp_uniform_cdf(-5e307, lo, hi) == 0.25 && lmp_uniform_sf(5e307, lo, hi) == 0.25);
    CHECK(lmp_uniform_quantile(0.25, lo, hi) == -5e307 && lmp_uniform_quantile(0.5, lo, hi) == 0.0);
    CHECK_REL(lmp_uniform_quantile(0.9, lo, hi), 8e307, 1e-15);
    CHECK(lmp_uniform_mean(lo, hi) == 0.0 && lmp_uniform_var(lo, hi) == INFINITY);   /* var > DBL_MAX */
    CHECK_REL(lmp_uniform_logpdf(0, lo, hi), -(log(1e308) + log(2.0)), 1e-15);
    CHECK_ABS(lmp_uniform_pdf(0, lo, hi), 5e-309, 0x1p-1070);                          /* subnormal */
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 3, NULL);
    int inside = 1;
    for (int i = 0; i < 100; i++) {
        double v = lmp_uniform_sample(&r, lo, hi);
        inside &= v >= lo && v <= hi;
    }
    CHECK(inside);
    CHECK(lmp_uniform_cdf(0.25, 0, 1) == 0.25 && lmp_uniform_mean(1, 3) == 2.0);      /* the plain forms */
}

static void test_mvn(void)
{
    const double mean[3] = {0, 0, 0};
    const double cov[9] = {2.0, 0.3, 0.1, 0.3, 1.0, 0.2, 0.1, 0.2, 0.5};
    const double x[3] = {1.0, 0.5, -0.3};
    lmp_mvn *m = NULL;
    lmp_error e;
    CHECK(lmp_mvn_create(mean, cov, 3, &m, &e) == LMP_OK);
    if (!m) return;
    CHECK(lmp_mvn_dim(m) == 3);
    CHECK_REL(lmp_mvn_logpdf(m, x), -3.1954103844732376, 1e-12);   /* multivariate_normal.logpdf */
    /* Sample mean and covariance of 2e5 draws: within 5 standard errors. */
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 3, NULL);
    const long n = 200000;
    double s[3] = {0}, ss[9] = {0}, v[3];
    for (long i = 0; i < n; i++) {
        lmp_mvn_sample(m, &r, v);
        for (int a = 0; a < 3; a++) {
            s[a] += v[a];
            for (int b = 0; b < 3; b++) ss[a * 3 + b] += v[a] * v[b];
        }
    }
    for (int a = 0; a < 3; a++) {
        CHECK_ABS(s[a] / n, 0.0, 5 * sqrt(cov[a * 4] / n));
        for (int b = 0; b < 3; b++) {
            double c = ss[a * 3 + b] / n, se = sqrt((cov[a * 4] * cov[b * 4] + cov[a * 3 + b] * cov[a * 3 + b]) / n);
            CHECK_ABS(c, cov[a * 3 + b], 5 * se);
        }
    }
    lmp_mvn_free(m);
    lmp_mvn_free(NULL);
    /* Singular and indefinite covariances are LMP_ESINGULAR with a message. */
    const double sing[4] = {1, 1, 1, 1}, indef[4] = {1, 2, 2, 1}, asym[4] = {1, 0.5, 0.4, 1};
    CHECK(lmp_mvn_create(mean, sing, 2, &m, &e) == LMP_ESINGULAR && m == NULL);
    CHECK(strstr(e.msg, "not positive definite") != NULL);
    CHECK(lmp_mvn_create(mean, indef, 2, &m, &e) == LMP_ESINGULAR);
    CHECK(lmp_mvn_create(mean, asym, 2, &m, &e) == LMP_EINVAL && strstr(e.msg, "symmetric") != NULL);
    /* d x d doubles that overflow size_t (issue: d = 2^32 wrapped d * d to 0: the checks read mean and cov past
     * the caller's arrays, then calloc(0) took the factor): LMP_ERANGE, before anything is read. */
    m = (lmp_mvn *)&e; /* not NULL: the call must clear it */
    CHECK(lmp_mvn_create(mean, cov, (size_t)1 << 32, &m, &e) == LMP_ERANGE && m == NULL);
    CHECK(strstr(e.msg, "too large") != NULL);
    CHECK(lmp_mvn_create(mean, cov, (size_t)1 << 31, &m, &e) == LMP_ERANGE);
}

/* ---- samplers ------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef double (*draw_fn)(lmp_rng *r, const double *par);
typedef double (*cdf_fn)(double x, const double *par);

static double ks_stat(draw_fn draw, cdf_fn cdf, const double *par, uint64_t seed, lmp_rng_kind kind)
{
    const size_t n = 20000;
    double *x = malloc(n * sizeof *x);
    if (!x) return INFINITY;
    lmp_rng r;
    lmp_rng_seed(&r, kind, seed, NULL);
    for (size_t i = 0; i < n; i++) x[i] = draw(&r, par);
    qsort(x, n, sizeof *x, cmp_double);
    double d = 0;
    for (size_t i = 0; i < n; i++) {
        double c = cdf(x[i], par);
        d = fmax(d, fmax(fabs(c - (double)i / n), fabs((double)(i + 1) / n - c)));
    }
    free(x);
    return sqrt((double)n) * d;
}

static double d_normal(lmp_rng *r, const double *p) { return lmp_normal_sample(r, p[0], p[1]); }
static double c_normal(double x, const double *p) { return lmp_normal_cdf(x, p[0], p[1]); }
static double d_uniform(lmp_rng *r, const double *p) { return lmp_uniform_sample(r, p[0], p[1]); }
static double c_uniform(double x, const double *p) { return lmp_uniform_cdf(x, p[0], p[1]); }
static double d_laplace(lmp_rng *r, const double *p) { return lmp_laplace_sample(r, p[0], p[1]); }
static double c_laplace(double x, const double *p) { return lmp_laplace_cdf(x, p[0], p[1]); }
static double d_expon(lmp_rng *r, const double *p) { return lmp_exponential_sample(r, p[0]); }
static double c_expon(double x, const double *p) { return lmp_exponential_cdf(x, p[0]); }
static double d_gamma(lmp_rng *r, const double *p) { return lmp_gamma_sample(r, p[0], p[1]); }
static double c_gamma(double x, const double *p) { return lmp_gamma_cdf(x, p[0], p[1]); }
static double d_beta(lmp_rng *r, const double *p) { return lmp_beta_sample(r, p[0], p[1]); }
static double c_beta(double x, const double *p) { return lmp_beta_cdf(x, p[0], p[1]); }

static void test_continuous_samplers_ks(void)
{
    struct {
        const char *name;
        draw_fn d;
        cdf_fn c;
        double par[2];
    } cases[] = {
        {"normal(3,2)", d_normal, c_normal, {3, 2}},
        {"uniform(-1,4)", d_uniform, c_uniform, {-1, 4}},
        {"laplace(1,0.5)", d_laplace, c_laplace, {1, 0.5}},
        {"exponential(2.5)", d_expon, c_expon, {2.5, 0}},
        {"gamma(0.3,2)", d_gamma, c_gamma, {0.3, 2}},
        {"gamma(1,1)", d_gamma, c_gamma, {1, 1}},
        {"gamma(5.5,0.7)", d_gamma, c_gamma, {5.5, 0.7}},
        {"gamma(300,1)", d_gamma, c_gamma, {300, 1}},
        {"beta(0.5,0.5)", d_beta, c_beta, {0.5, 0.5}},
        {"beta(2,5)", d_beta, c_beta, {2, 5}},
        {"beta(0.05,3)", d_beta, c_beta, {0.05, 3}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int kind = 0; kind < 2; kind++) {
            double k = ks_stat(cases[i].d, cases[i].c, cases[i].par, 1000 + i, (lmp_rng_kind)kind);
            CHECK_MSG(k < 1.95, "%s on %s: sqrt(n) D = %g", cases[i].name, kind ? "numpy" : "xoshiro", k);
        }
}

/* Chi-square of integer draws against pmf(k), pooling cells with expectation < 5. */
typedef long (*idraw_fn)(lmp_rng *r, const double *par);
typedef double (*pmf_fn)(long k, const double *par);

static void chisq_check(const char *name, idraw_fn draw, pmf_fn pmf, const double *par, long kmax, uint64_t seed,
                        lmp_rng_kind kind)
{
    const long n = 200000;
    long *cnt = calloc((size_t)kmax + 2, sizeof *cnt);
    if (!cnt) return;
    lmp_rng r;
    lmp_rng_seed(&r, kind, seed, NULL);
    for (long i = 0; i < n; i++) {
        long k = draw(&r, par);
        CHECK_MSG(k >= 0 && k <= kmax, "%s draw %ld", name, k);
        cnt[k < 0 ? kmax + 1 : k > kmax ? kmax + 1 : k]++;
    }
    double chi = 0, e_acc = 0, o_acc = 0;
    int df = -1;
    for (long k = 0; k <= kmax; k++) {
        e_acc += n * pmf(k, par);
        o_acc += (double)cnt[k];
        if (e_acc >= 5 || k == kmax) {
            chi += (o_acc - e_acc) * (o_acc - e_acc) / fmax(e_acc, 1e-300);
            df++;
            e_acc = o_acc = 0;
        }
    }
    CHECK_MSG(cnt[kmax + 1] == 0, "%s: %ld draws out of range", name, cnt[kmax + 1]);
    CHECK_MSG(df >= 1 && chi < df + 6 * sqrt(2.0 * df), "%s on %s: chi2 = %g, df = %d", name, kind ? "numpy" : "xoshiro",
              chi, df);
    free(cnt);
}

static long i_binom(lmp_rng *r, const double *p) { return lmp_binomial_sample(r, (long)p[0], p[1]); }
static double p_binom(long k, const double *p) { return lmp_binomial_pmf(k, (long)p[0], p[1]); }
static long i_pois(lmp_rng *r, const double *p) { return lmp_poisson_sample(r, p[0]); }
static double p_pois(long k, const double *p) { return lmp_poisson_pmf(k, p[0]); }
/* the hypergeometric pmf C(good, k) C(bad, n - k) / C(good + bad, n) from log-gammas (par: good, bad, n) */
static long i_hyper(lmp_rng *r, const double *p) { return lmp_hypergeometric_sample(r, (long)p[0], (long)p[1], (long)p[2]); }
static double lchoose(double n, double k) { return lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1); }
static double p_hyper(long k, const double *p)
{
    if (k > p[0] || p[2] - (double)k > p[1] || k > p[2]) return 0.0;
    return exp(lchoose(p[0], (double)k) + lchoose(p[1], p[2] - (double)k) - lchoose(p[0] + p[1], p[2]));
}
static long i_bern(lmp_rng *r, const double *p) { return lmp_bernoulli_sample(r, p[0]); }
static double p_bern(long k, const double *p) { return lmp_bernoulli_pmf(k, p[0]); }

static void test_discrete_samplers_chisq(void)
{
    for (int kind = 0; kind < 2; kind++) {
        const double b1[2] = {20, 0.3}, b2[2] = {1000, 0.3}, b3[2] = {1000, 0.985}, b4[2] = {50, 0.9};
        chisq_check("binomial(20,0.3) inversion", i_binom, p_binom, b1, 20, 7, (lmp_rng_kind)kind);
        chisq_check("binomial(1000,0.3) BTPE", i_binom, p_binom, b2, 1000, 8, (lmp_rng_kind)kind);
        chisq_check("binomial(1000,0.985) flipped", i_binom, p_binom, b3, 1000, 9, (lmp_rng_kind)kind);
        chisq_check("binomial(50,0.9) flipped inversion", i_binom, p_binom, b4, 50, 10, (lmp_rng_kind)kind);
        const double l1[1] = {3.2}, l2[1] = {45.0}, l3[1] = {2000.0};
        chisq_check("poisson(3.2)", i_pois, p_pois, l1, 60, 11, (lmp_rng_kind)kind);
        chisq_check("poisson(45) PTRS", i_pois, p_pois, l2, 200, 12, (lmp_rng_kind)kind);
        chisq_check("poisson(2000) PTRS", i_pois, p_pois, l3, 3000, 13, (lmp_rng_kind)kind);
        const double q[1] = {0.37};
        chisq_check("bernoulli(0.37)", i_bern, p_bern, q, 1, 14, (lmp_rng_kind)kind);
        /* the urn draws (nsample <= 10), HRUA, HRUA on the complement of a sample over half the urn, and
         * with more bad than good */
        const double h1[3] = {30, 12, 5}, h2[3] = {300, 120, 50}, h3[3] = {120, 300, 350}, h4[3] = {40, 2000, 900};
        chisq_check("hypergeometric(30,12,5) urn", i_hyper, p_hyper, h1, 5, 15, (lmp_rng_kind)kind);
        chisq_check("hypergeometric(300,120,50) HRUA", i_hyper, p_hyper, h2, 50, 16, (lmp_rng_kind)kind);
        chisq_check("hypergeometric(120,300,350) HRUA complement", i_hyper, p_hyper, h3, 120, 17, (lmp_rng_kind)kind);
        chisq_check("hypergeometric(40,2000,900) HRUA", i_hyper, p_hyper, h4, 40, 18, (lmp_rng_kind)kind);
    }
}

/* von Mises draws against the density exp(kappa cos(x - mu)) integrated over 36 arcs (Simpson's rule,
 * normalised over the circle): a chi-square test, both streams, from nearly uniform to concentrated (where
 * the arcs are taken around mu, 8 standard deviations wide), mu near the wrap at pi too. */
static void test_vonmises_sampler(void)
{
    static const double cases[][2] = {{0.5, 0.3}, {-2.0, 4.0}, {3.0, 50.0}, {1.0, 1e-6}, {-3.1, 2000.0}};
    enum { BINS = 36, SUB = 64, N = 200000 };
    for (int kind = 0; kind < 2; kind++)
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            const double mu = cases[c][0], kappa = cases[c][1], pi = 3.14159265358979323846;
            const double half = kappa > 10 ? 8.0 / sqrt(kappa) : pi; /* the arcs span mu +- half */
            double e[BINS + 1] = {0}, tot = 0;
            long cnt[BINS + 1] = {0};
            for (int b = 0; b < BINS; b++) { /* arc b: offsets from mu in [lo, lo + w) */
                const double w = 2 * half / BINS, lo = -half + b * w, h = w / SUB;
                double acc = 0;
                for (int j = 0; j <= SUB; j++)
                    acc += (j == 0 || j == SUB ? 1 : j % 2 ? 4 : 2) * exp(kappa * (cos(lo + j * h) - 1));
                e[b] = acc * h / 3;
            }
            for (int b = 0; b < BINS; b++) tot += e[b];
            if (half < pi) tot /= 1 - 1e-12; /* the mass past 8 sigma, below 1e-14 */
            lmp_rng r;
            lmp_rng_seed(&r, (lmp_rng_kind)kind, 19 + c, NULL);
            for (long i = 0; i < N; i++) {
                const double x = lmp_vonmises_sample(&r, mu, kappa);
                CHECK_MSG(x >= -pi && x <= pi, "vonmises(%g, %g): draw %g outside [-pi, pi]", mu, kappa, x);
                double d = remainder(x - mu, 2 * pi); /* the offset from mu, in [-pi, pi] */
                const int b = (int)floor((d + half) / (2 * half / BINS));
                cnt[b >= 0 && b < BINS ? b : BINS]++;
            }
            double chi = 0;
            for (int b = 0; b < BINS; b++) {
                const double ex = N * e[b] / tot;
                chi += (cnt[b] - ex) * (cnt[b] - ex) / ex;
            }
            const int df = BINS - 1;
            CHECK_MSG(cnt[BINS] <= 1 && chi < df + 6 * sqrt(2.0 * df), "vonmises(%g, %g) on %s: chi2 = %g, df = %d, "
                      "%ld past the arcs", mu, kappa, kind ? "numpy" : "xoshiro", chi, df, cnt[BINS]);
        }
}

/* Categorical: inverse-CDF (both streams) and alias tables (both streams) over V = 1000
 * weights with 10% zeros; zero weights are never drawn. */
static void test_categorical(void)
{
    const size_t V = 1000;
    double *p = malloc(V * sizeof *p);
    long *cnt = malloc(V * sizeof *cnt);
    if (!p || !cnt) { free(p); free(cnt); return; }
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 77, NULL);
    for (size_t i = 0; i < V; i++) p[i] = i % 10 == 3 ? 0.0 : lmp_gamma_sample(&r, 0.7, 1.0);
    double tot = 0;
    for (size_t i = 0; i < V; i++) tot += p[i];
    lmp_alias *al = NULL;
    lmp_error e;
    CHECK(lmp_alias_create(p, V, &al, &e) == LMP_OK);
    if (!al) { free(p); free(cnt); return; }
    CHECK(lmp_alias_size(al) == V);
    for (size_t i = 0; i < V; i += 97) CHECK_REL(lmp_alias_pmf(al, i), p[i] / tot, 1e-15);
    for (int method = 0; method < 4; method++) {
        lmp_rng_seed(&r, (lmp_rng_kind)(method & 1), 500 + method, NULL);
        memset(cnt, 0, V * sizeof *cnt);
        const long n = test_scaled(1000000, 100000); /* the threshold below is in standard deviations */
        for (long j = 0; j < n; j++) {
            size_t k = method < 2 ? lmp_categorical_sample(&r, p, V) : lmp_alias_sample(al, &r);
            CHECK(k < V);
            cnt[k < V ? k : 0]++;
        }
        double chi = 0;
        int df = -1, zero_hits = 0;
        for (size_t i = 0; i < V; i++) {
            if (p[i] == 0) { zero_hits += cnt[i] != 0; continue; }
            double ex = n * p[i] / tot;
            chi += (cnt[i] - ex) * (cnt[i] - ex) / ex;
            df++;
        }
        CHECK_MSG(zero_hits == 0, "method %d drew a zero-weight outcome", method);
        CHECK_MSG(chi < df + 6 * sqrt(2.0 * df), "method %d: chi2 = %g, df = %d", method, chi, df);
    }
    /* The blocked (xoshiro) search picks the same index as numpy's exact rule for the same
     * uniform except when u * total lands within rounding of a cut point. */
    lmp_rng a, b;
    lmp_rng_seed(&a, LMP_RNG_XOSHIRO, 9, NULL);
    b = a;
    int differ = 0;
    for (int j = 0; j < 100000; j++) differ += lmp_categorical_sample(&a, p, V) != lmp_categorical_index(p, V, lmp_rng_uniform(&b));
    CHECK_MSG(differ <= 2, "fast and exact searches differ %d times in 1e5", differ);
    /* Edge cases: u = 0 skips leading zeros; all-zero weights give n (invalid). */
    const double lead[4] = {0, 0, 1, 1};
    CHECK(lmp_categorical_index(lead, 4, 0.0) == 2 && lmp_categorical_index(lead, 4, 0.5) == 3);
    const double zeros[3] = {0, 0, 0};
    CHECK(lmp_categorical_index(zeros, 3, 0.2) == 3);
    CHECK(lmp_categorical_sample(&a, zeros, 3) == 3);
    CHECK_REL(lmp_categorical_pmf(lead, 4, 3), 0.5, 1e-16);
    CHECK(lmp_categorical_logpmf(lead, 4, 0) == -INFINITY && isnan(lmp_categorical_pmf(lead, 4, 4)));
    lmp_alias_free(al);
    lmp_alias_free(NULL);
    free(p);
    free(cnt);
}

/* Dirichlet with alphas whose sum overflows (9e307 + 9e307: logpdf NaN, mean and var 0, every draw 0) and
 * its moments. logpdf reference: mpmath at 400 digits, lgamma(2a) - 2 lgamma(a) + 2 (a - 1) log(1/2). */
static void test_dirichlet_huge(void)
{
    const double big[2] = {9e307, 9e307}, half[2] = {0.5, 0.5}, a3[3] = {1, 2, 3};
    CHECK_REL(lmp_dirichlet_logpdf(half, big, 2), 354.666206300889367438168, 1e-15);
    double m[3], v[3], x[2];
    CHECK(lmp_dirichlet_moments(big, 2, m, v, NULL) == LMP_OK);
    CHECK(m[0] == 0.5 && m[1] == 0.5);
    CHECK_REL(v[0], 0.25 / 9e307 / 2, 1e-3);   /* subnormal: 1.39e-309, kept to ~3 digits */
    CHECK(lmp_dirichlet_moments(a3, 3, m, v, NULL) == LMP_OK);
    CHECK_REL(m[0], 1.0 / 6, 1e-15);
    CHECK_REL(v[0], (1.0 / 6) * (5.0 / 6) / 7, 1e-15);
    CHECK_REL(v[2], 0.25 / 7, 1e-15);
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 5, NULL);
    CHECK(lmp_dirichlet_sample(&r, big, 2, x, NULL) == LMP_OK);
    CHECK(x[0] == 0.5 && x[1] == 0.5);   /* sd 4e-155: the draw is 1/2 to the last bit */
    CHECK(lmp_dirichlet_moments(a3, 1, m, v, NULL) == LMP_EINVAL);
}

static void test_dirichlet_sampler(void)
{
    const double alpha[4] = {0.5, 1.0, 2.0, 4.5}, tiny[3] = {1e-3, 1e-3, 1e-3};
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 21, NULL);
    const long n = 100000;
    double s[4] = {0}, x[4];
    for (long i = 0; i < n; i++) {
        CHECK(lmp_dirichlet_sample(&r, alpha, 4, x, NULL) == LMP_OK);
        double t = 0;
        for (int j = 0; j < 4; j++) {
            s[j] += x[j];
            t += x[j];
        }
        if (i < 100) CHECK_ABS(t, 1.0, 1e-14);
    }
    /* E x_j = alpha_j / a0, Var x_j = m (1 - m) / (a0 + 1); a0 = 8. */
    for (int j = 0; j < 4; j++) {
        double m = alpha[j] / 8.0;
        CHECK_ABS(s[j] / n, m, 5 * sqrt(m * (1 - m) / 9.0 / n));
    }
    /* Tiny alphas: still a point of the simplex (no 0/0). */
    double y[3];
    for (int i = 0; i < 100; i++) {
        CHECK(lmp_dirichlet_sample(&r, tiny, 3, y, NULL) == LMP_OK);
        CHECK_ABS(y[0] + y[1] + y[2], 1.0, 1e-14);
        CHECK(!isnan(y[0]) && y[0] >= 0);
    }
    lmp_error e;
    const double badal[2] = {1.0, -2.0};
    CHECK(lmp_dirichlet_sample(&r, badal, 2, y, &e) == LMP_EINVAL && strstr(e.msg, "alpha[1] = -2") != NULL);
}

/* ---- invalid inputs -------------------------------------------------------------------------- */

/* The beta log-density where a shape is below 1 and a log is large (mpmath, 60 digits): (a - 1) log x and
 * -log B(a, b) were summed apart and cancelled (115 ulps, and 170 u(1 + kappa) with both shapes tiny). */
/* Parameters at the ends of the doubles, where an intermediate left the range or cancelled while the
 * result did not (an audit against mpmath at 50 digits, 7 December 2026; references below are its values
 * of the doubles given, and the tolerances a few ulps times each result's condition number, 1 to 4 here). */
static void test_range_edges(void)
{
    double m[3], v[3];
    /* Dirichlet: 1 - mean_i as A - alpha_i cancelled where alpha_i dominates */
    const double a1[2] = {1e-10, 1}, a2[2] = {1e-3, 1}, a3[3] = {0.3, 0.1, 1e4}, a4[2] = {1e-300, 1};
    CHECK(lmp_dirichlet_moments(a1, 2, m, v, NULL) == LMP_OK);
    CHECK_REL(v[1], 4.9999999987500001824e-11, 1e-15);
    CHECK(lmp_dirichlet_moments(a2, 2, m, v, NULL) == LMP_OK);
    CHECK_REL(v[1], 0.00049875212194152625073, 1e-15);
    CHECK(lmp_dirichlet_moments(a3, 3, m, v, NULL) == LMP_OK);
    CHECK_REL(v[2], 3.9991201423790429297e-9, 1e-15);
    CHECK(lmp_dirichlet_moments(a4, 2, m, v, NULL) == LMP_OK);
    CHECK_REL(v[1], 5e-301, 1e-15); /* it was 0 */
    CHECK_REL(v[0], 5e-301, 1e-15);
    /* location + scale * z where scale * z overflows but the sum does not */
    CHECK_REL(lmp_normal_quantile(0.01, 1e308, 1e308), -1.3263478740408411076e+308, 1e-15);
    CHECK_REL(lmp_normal_quantile(0.99, -1e308, 1e308), 1.3263478740408411076e+308, 1e-15);
    CHECK_REL(lmp_laplace_quantile(0.05, 1e308, 1e308), -1.3025850929940456428e+308, 1e-15);
    CHECK(lmp_laplace_quantile(0.01, 1e308, 1e308) == -INFINITY); /* -2.9e308 is past the doubles */
    /* Laplace: 2b and x - mu overflowed */
    CHECK_REL(lmp_laplace_logpdf(0, 0, 1e308), -709.889355822726016, 1e-15);
    CHECK_REL(lmp_laplace_pdf(0, 0, 1.7e308), 2.9411764705882354e-309, 1e-13); /* subnormal: 2^-1074 steps */
    CHECK_REL(lmp_laplace_cdf(1e308, -1e308, 1e308), 0.93233235838169365405, 1e-15);
    CHECK_REL(lmp_laplace_sf(1e308, -1e308, 1e308), 0.067667641618306345947, 1e-15);
    CHECK_REL(lmp_laplace_cdf(-1.5e308, 1.5e308, 1e308), 0.02489353418393197149, 1e-15);
    CHECK_REL(lmp_laplace_sf(-1.5e308, 1.5e308, 1e308), 1 - 0.02489353418393197149, 1e-15);
    /* variances whose partial products left the range */
    CHECK_REL(lmp_uniform_var(0, 2e154), 3.3333333333333335797e+307, 1e-15);
    CHECK_REL(lmp_gamma_var(5e-324, 1e10 + 0.5), 4.9406564589065310876e-304, 1e-15);
}

static void test_beta_logpdf_cancellation(void)
{
    static const struct { double x, a, b, want; } c[] = {
        {3e-299, 1e-300, 1.0, -0x1.b35a6f90bd69bp+1},
        {9.923419039428714e-243, 1.0411105584646795e-59, 5.963167866501858e-241, 0x1.0622cee634aecp+2},
        {0x1.fffffffffep-1, 2.5, 1e-200, -0x1.b0ca8795fc883p+8}, /* 1 - 2^-40: y = 2^-40 exact, b tiny */
        {0.3, 1e-5, 0.5, -0x1.442e3639c481bp+3},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        double got = lmp_beta_logpdf(c[i].x, c[i].a, c[i].b);
        /* the condition numbers here are below 1: eight ulps */
        CHECK_MSG(fabs(got - c[i].want) <= 8 * 0x1p-53 * fabs(c[i].want), "case %zu: %.17g, want %.17g", i, got,
                  c[i].want);
    }
}

static void test_invalid(void)
{
    lmp_error e;
    CHECK(lmp_normal_check(0, -1, &e) == LMP_EINVAL);
    CHECK(strcmp(e.msg, "sigma = -1: expected sigma > 0 (finite)") == 0);
    CHECK(lmp_normal_check(NAN, 1, &e) == LMP_EINVAL && strstr(e.msg, "mu = nan") != NULL);
    CHECK(lmp_normal_check(0, 1, NULL) == LMP_OK);
    CHECK(lmp_binomial_check(10, 1.5, &e) == LMP_EINVAL && strstr(e.msg, "p = 1.5") != NULL);
    CHECK(lmp_binomial_check(-1, 0.5, &e) == LMP_EINVAL && strstr(e.msg, "n = -1") != NULL);
    CHECK(lmp_poisson_check(-2, &e) == LMP_EINVAL);
    CHECK(lmp_uniform_check(1, 1, &e) == LMP_EINVAL);
    CHECK(lmp_laplace_check(0, 0, &e) == LMP_EINVAL);
    CHECK(lmp_exponential_check(INFINITY, &e) == LMP_EINVAL);
    CHECK(lmp_gamma_check(0, 1, &e) == LMP_EINVAL && lmp_gamma_check(1, -1, &e) == LMP_EINVAL);
    CHECK(lmp_beta_check(1, NAN, &e) == LMP_EINVAL);
    CHECK(lmp_bernoulli_check(-0.1, &e) == LMP_EINVAL);
    /* Scalar functions return NaN (samplers NaN or -1) on invalid parameters. */
    CHECK(isnan(lmp_normal_pdf(0, 0, 0)) && isnan(lmp_normal_cdf(0, 0, -1)) && isnan(lmp_normal_logcdf(NAN, 0, 1)));
    CHECK(isnan(lmp_binomial_pmf(1, 3, -0.5)) && isnan(lmp_poisson_pmf(1, -1)) && isnan(lmp_gamma_pdf(1, -1, 1)));
    CHECK(isnan(lmp_beta_cdf(0.5, 0, 1)) && isnan(lmp_laplace_pdf(0, 0, -1)) && isnan(lmp_exponential_sf(1, 0)));
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 1, NULL);
    CHECK(lmp_binomial_sample(&r, 5, 2.0) == -1 && lmp_poisson_sample(&r, -1) == -1);
    CHECK(isnan(lmp_gamma_sample(&r, 0, 1)) && isnan(lmp_normal_sample(&r, 0, -1)));
    CHECK(lmp_bernoulli_sample(&r, 1.1) == -1);
    /* Probability vectors. */
    double ok[3] = {0.2, 0.3, 0.5}, neg[3] = {0.5, -0.1, 0.6}, nanv[2] = {0.5, NAN}, sum[2] = {0.3, 0.6}, w[2] = {1, 3};
    CHECK(lmp_prob_check(ok, 3, 0, &e) == LMP_OK);
    CHECK(lmp_prob_check(neg, 3, 0, &e) == LMP_EINVAL && strstr(e.msg, "p[1] = -0.1") != NULL);
    CHECK(lmp_prob_check(nanv, 2, 1, &e) == LMP_EINVAL && strstr(e.msg, "p[1] = nan") != NULL);
    CHECK(lmp_prob_check(sum, 2, 0, &e) == LMP_EINVAL && strstr(e.msg, "expected probabilities summing to 1") != NULL);
    CHECK(lmp_prob_check(w, 2, 1, &e) == LMP_OK && w[0] == 0.25 && w[1] == 0.75);
    CHECK(lmp_prob_check(ok, 0, 0, &e) == LMP_EINVAL);
    /* Alias tables reject what cannot be normalised. */
    lmp_alias *al = (lmp_alias *)&e;   /* must be overwritten with NULL on failure */
    double zero[2] = {0, 0};
    CHECK(lmp_alias_create(zero, 2, &al, &e) == LMP_EINVAL && al == NULL);
    CHECK(lmp_alias_create(neg, 3, &al, &e) == LMP_EINVAL && strstr(e.msg, "p[1] = -0.1") != NULL);
    CHECK(lmp_alias_create(ok, 0, &al, &e) == LMP_EINVAL);
    /* Finite weights whose sum overflows are weights all the same (issue: "sum of weights = inf: expected a
     * positive finite sum", where lmp_prob_check normalises them), normalised exactly at 2^-64 of their size. */
    const double huge[3] = {1e308, 0, 1.5e308};
    CHECK(lmp_alias_create(huge, 3, &al, &e) == LMP_OK && al != NULL);
    if (al) {
        CHECK(lmp_alias_pmf(al, 0) == 0.4 && lmp_alias_pmf(al, 1) == 0.0 && lmp_alias_pmf(al, 2) == 0.6);
        lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 7, NULL);
        for (int i = 0; i < 100; i++) CHECK(lmp_alias_sample(al, &r) != 1);
        lmp_alias_free(al);
    }
}

/* An array, rng or output that is NULL while values are to be read or written: LMP_EINVAL naming it, NaN,
 * n from the categorical index, nothing done by the void samplers (each crashed, or named the wrong thing,
 * before). */
static void test_null_arrays(void)
{
    double p[3] = {0.2, 0.3, 0.5}, o[3] = {-1, -1, -1}, cov[4] = {1, 0, 0, 1};
    size_t idx[3] = {7, 7, 7};
    lmp_rng r;
    lmp_error e;
    lmp_alias *al = NULL;
    lmp_mvn *m = NULL;
    CHECK(lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 1, &e) == LMP_OK);
    CHECK(lmp_prob_check(NULL, 3, 0, &e) == LMP_EINVAL && strstr(e.msg, "prob_check: p is NULL (n = 3)"));
    CHECK(lmp_categorical_index(NULL, 3, 0.5) == 3 && lmp_categorical_sample(&r, NULL, 3) == 3);
    CHECK(isnan(lmp_categorical_pmf(NULL, 3, 1)) && isnan(lmp_categorical_logpmf(NULL, 3, 1)));
    CHECK(lmp_alias_create(NULL, 3, &al, &e) == LMP_EINVAL && strstr(e.msg, "alias_create: p is NULL (n = 3)"));
    CHECK(lmp_alias_create(p, 3, &al, &e) == LMP_OK);
    lmp_alias_sample_n(al, &r, NULL, 3);
    lmp_alias_sample_n(NULL, &r, idx, 3);
    lmp_alias_sample_n(al, NULL, idx, 3);
    CHECK(idx[0] == 7);
    lmp_alias_free(al);
    lmp_normal_sample_n(&r, 0, 1, NULL, 3);
    lmp_normal_sample_n(NULL, 0, 1, o, 3);
    CHECK(o[0] == -1);
    CHECK(lmp_dirichlet_check(NULL, 3, &e) == LMP_EINVAL && strstr(e.msg, "dirichlet: alpha is NULL (n = 3)"));
    CHECK(isnan(lmp_dirichlet_logpdf(NULL, p, 3)) && isnan(lmp_dirichlet_logpdf(p, NULL, 3)));
    CHECK(lmp_dirichlet_sample(&r, p, 3, NULL, &e) == LMP_EINVAL && strstr(e.msg, "dirichlet_sample: out is NULL"));
    CHECK(lmp_dirichlet_moments(p, 3, o, NULL, &e) == LMP_EINVAL && strstr(e.msg, "var is NULL (n = 3)"));
    CHECK(lmp_mvn_create(NULL, cov, 2, &m, &e) == LMP_EINVAL && strstr(e.msg, "mvn_create: mean is NULL (n = 2)"));
    CHECK(lmp_mvn_create(p, NULL, 2, &m, &e) == LMP_EINVAL && strstr(e.msg, "cov is NULL (n = 4)"));
    CHECK(lmp_mvn_create(p, cov, 2, &m, &e) == LMP_OK);
    CHECK(isnan(lmp_mvn_logpdf(m, NULL)) && isnan(lmp_mvn_logpdf(NULL, p)));
    lmp_mvn_sample(m, &r, NULL);
    lmp_mvn_sample(NULL, &r, o);
    CHECK(o[0] == -1);
    lmp_mvn_free(m);
}

int main(int argc, char **argv)
{
    (void)argc;
    RUN(test_normal_values);
    RUN(test_discrete_values);
    RUN(test_poisson_huge);
    RUN(test_binomial_quantile_huge);
    RUN(test_gamma_quantile_huge);
    RUN(test_beta_large);
    RUN(test_special_values);
    RUN(test_continuous_values);
    RUN(test_uniform_wide);
    RUN(test_mvn);
    RUN(test_continuous_samplers_ks);
    RUN(test_discrete_samplers_chisq);
    RUN(test_vonmises_sampler);
    RUN(test_categorical);
    RUN(test_dirichlet_sampler);
    RUN(test_dirichlet_huge);
    RUN(test_beta_logpdf_cancellation);
    RUN(test_range_edges);
    RUN(test_invalid);
    RUN(test_null_arrays);
    return TEST_SUMMARY();
}
