/* Unit tests for include/lmprob/stats.h: moments, streaming accumulator,
 * covariance/correlation, skewness/kurtosis and the normality tests.
 * Reference values were computed with numpy 1.24.2 / scipy 1.10.1. */
#include <float.h>
#include <stdlib.h>

#include "lmprob/stats.h"
#include "test.h"

/* A deterministic data set built from exact operations only (no libm), so numpy
 * computes the very same doubles: x_i = ((7919 i) mod 1000)/37 + (i^2 mod 13)/7 + 1000. */
static void make_data(double *x, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] = (double)((i * 7919) % 1000) / 37.0 + (double)((i * i) % 13) / 7.0 + 1e3;
}

static const double chapter_x[8] = {2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0};

static void test_chapter_variance(void)
{
    /* The chapter's b07 example: exact rationals, so exact results. */
    CHECK(lmp_stats_mean(chapter_x, 8) == 5.0);
    CHECK(lmp_stats_variance(chapter_x, 8, 0) == 4.0);
    CHECK(lmp_stats_stddev(chapter_x, 8, 0) == 2.0);
    CHECK_REL(lmp_stats_variance(chapter_x, 8, 1), 32.0 / 7.0, 2 * DBL_EPSILON);
}

static void test_numpy_bits(void)
{
    /* Same pairwise order as numpy (n <= 8192): bit-identical to np.sum/np.mean/np.var. */
    double x[1000];
    make_data(x, 1000);
    CHECK(lmp_stats_sum(x, 1000) == 1014357.857142857);
    CHECK(lmp_stats_mean(x, 1000) == 1014.357857142857);
    CHECK(lmp_stats_variance(x, 1000, 0) == 61.17133098455598);
    CHECK(lmp_stats_variance(x, 1000, 1) == 61.23256354810408);
}

static void test_large_n_accuracy(void)
{
    /* 1e6 values past numpy's 8192 buffer: blocked variance against a long
     * double compensated reference. Pairwise error bound ~ eps log2(n) = 4.4e-15;
     * observed ~1e-16. */
    size_t n = 1000000;
    double *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = 1000.0 + 10.0 * ((double)(uint32_t)((uint64_t)i * 2654435761u) / 4294967296.0);
    long double s = 0, c = 0;
    for (size_t i = 0; i < n; i++) {
        long double y = (long double)x[i] - c, t = s + y;
        c = (t - s) - y;
        s = t;
    }
    long double m = s / (long double)n, q = 0;
    for (size_t i = 0; i < n; i++) q += ((long double)x[i] - m) * ((long double)x[i] - m);
    CHECK_REL(lmp_stats_mean(x, n), (double)m, 4.4e-15);
    CHECK_REL(lmp_stats_variance(x, n, 1), (double)(q / (long double)(n - 1)), 4.4e-15);
    /* Merged blocks equal the streaming accumulator up to rounding. */
    lmp_moments mm;
    lmp_moments_init(&mm);
    lmp_moments_add_array(&mm, x, n);
    CHECK_REL(lmp_moments_variance(&mm, 0), lmp_stats_variance(x, n, 0), 1e-12);
    free(x);
}

static void test_domain(void)
{
    /* Sums past DBL_MAX of finite data: np.mean is inf there; the mean and the standard deviation are
     * doubles (the variance of the second set, 8/9 1e616, is not) */
    double big[3] = {1e308, 1e308, 1.5e308}, spread[3] = {1e308, -1e308, 1e308};
    long double lm = ((long double)big[0] + big[1] + big[2]) / 3;
    CHECK_REL(lmp_stats_mean(big, 3), (double)lm, 2.3e-16);
    CHECK_REL(lmp_stats_mean(spread, 3), 1e308 / 3, 2.3e-16);
    CHECK(lmp_stats_variance(spread, 3, 0) == INFINITY);
    CHECK_REL(lmp_stats_stddev(spread, 3, 0), 1e308 * sqrt(8.0 / 9.0), 4.5e-16);
    /* a spread whose squares underflow (their variance is 0 or below the doubles), while the standard deviation
     * is a double: it was 0. mpmath of the doubles given; the subnormal case to its ulp (2^-1074) */
    double tiny[3] = {1e-170, 2e-170, 3e-170}, sub[3] = {1e-320, 2e-320, 3e-320}, same[3] = {1e-300, 1e-300, 1e-300};
    CHECK_REL(lmp_stats_stddev(tiny, 3, 0), 8.164965809277260942e-171, 4.5e-16);
    CHECK_ABS(lmp_stats_stddev(sub, 3, 0), 8.1648749102045061367e-321, 0x1p-1074);
    CHECK(lmp_stats_stddev(same, 3, 0) == 0 && lmp_stats_stddev(same, 3, 1) == 0);
    double inf2[2] = {INFINITY, 1.0};
    CHECK(lmp_stats_mean(inf2, 2) == INFINITY); /* data that are not finite keep numpy's answer */
    inf2[1] = -INFINITY;
    CHECK(isnan(lmp_stats_mean(inf2, 2)));
    double one = 3.0;
    CHECK(isnan(lmp_stats_mean(NULL, 0)));
    CHECK(isnan(lmp_stats_variance(&one, 1, 1)));  /* n - ddof = 0: numpy gives nan */
    CHECK(isnan(lmp_stats_variance(&one, 1, -1)));
    CHECK(lmp_stats_variance(&one, 1, 0) == 0.0);
    CHECK(lmp_stats_sum(NULL, 0) == 0.0);
    /* Constant data: scipy returns nan for skew and kurtosis. */
    double c[5] = {2, 2, 2, 2, 2};
    CHECK(isnan(lmp_stats_skewness(c, 5, 1)));
    CHECK(isnan(lmp_stats_kurtosis(c, 5, 1, 0)));
    CHECK(isnan(lmp_stats_central_moment(c, 5, 5)));
}

static void test_large_offset(void)
{
    /* E[X^2] - E[X]^2 would lose every digit here; two-pass keeps them. */
    double x[4] = {1000000004.0, 1000000007.0, 1000000013.0, 1000000016.0};
    CHECK(lmp_stats_variance(x, 4, 0) == 22.5);
    lmp_moments m;
    lmp_moments_init(&m);
    lmp_moments_add_array(&m, x, 4);
    CHECK_REL(lmp_moments_variance(&m, 0), 22.5, 1e-12);  /* Welford: a few ulps of the mean's scale */
    /* Huge values (issues: Welford's first step made m2 inf * 0 = NaN for |x| > 1.3e154, and x - mean
     * overflowed for values of opposite signs, so the mean of 1e308 and -1e308 was -inf where lmp_stats_mean
     * gives 0; merging two such accumulators the same) */
    const double big[3] = {1e308, -1e308, 1.5e308};
    lmp_moments_init(&m);
    lmp_moments_add(&m, 1e160); /* and one value past 1.3e154: its variance was inf * 0 = NaN */
    CHECK(lmp_moments_variance(&m, 0) == 0.0 && lmp_moments_mean(&m) == 1e160);
    lmp_moments_add(&m, 1e160);
    CHECK(lmp_moments_variance(&m, 0) == 0.0 && lmp_moments_variance(&m, 1) == 0.0);
    lmp_moments_init(&m);
    lmp_moments_add_array(&m, big, 2);
    CHECK(lmp_moments_mean(&m) == 0.0 && lmp_moments_mean(&m) == lmp_stats_mean(big, 2));
    CHECK(lmp_moments_variance(&m, 0) == INFINITY); /* 1e616: beyond the doubles, as it is */
    lmp_moments_add(&m, big[2]);
    CHECK_REL(lmp_moments_mean(&m), lmp_stats_mean(big, 3), 1e-15);
    lmp_moments a, b;
    lmp_moments_init(&a);
    lmp_moments_init(&b);
    lmp_moments_add(&a, 1e308);
    lmp_moments_add_array(&b, (const double[]){-1e308, -1e308, -1e308}, 3);
    lmp_moments_merge(&a, &b);
    CHECK_REL(lmp_moments_mean(&a), -5e307, 1e-15);
}

/* The streaming mean carries what each rounding of mean += delta / n drops: 1e5 values 1 + k 2^-30 (their
 * sum exact in integers) were 50 ulps off, and values of a few hundred 2^-1074, whose delta / n underflows,
 * stopped moving the mean, so their skewness was 1.6 % off. */
static void test_streaming_mean_carry(void)
{
    enum { N = 100000 };
    static double x[N];
    uint64_t ksum = 0, s = 12345;
    for (int i = 0; i < N; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        const uint64_t k = s >> 34; /* 30 bits */
        ksum += k;
        x[i] = 1.0 + ldexp((double)k, -30);
    }
    const double exact = 1.0 + (double)ksum / N / 0x1p30; /* ksum < 2^47: exact as a double; two roundings */
    lmp_moments m, a, b;
    lmp_moments_init(&m);
    lmp_moments_add_array(&m, x, N);
    CHECK_REL(lmp_moments_mean(&m), exact, 4.5e-16); /* 2 ulps of a mean in [1, 2) */
    lmp_moments_init(&a);
    lmp_moments_init(&b);
    lmp_moments_add_array(&a, x, N / 3);
    lmp_moments_add_array(&b, x + N / 3, N - N / 3);
    lmp_moments_merge(&a, &b);
    CHECK_REL(lmp_moments_mean(&a), exact, 4.5e-16);
    /* subnormal data: k 2^-1074, k in 1..1000 */
    for (int i = 0; i < 2000; i++) x[i] = ldexp((double)((i * 7919) % 1000 + 1 + (i % 7 == 0) * 300), -1074);
    lmp_moments_init(&m);
    lmp_moments_add_array(&m, x, 2000);
    CHECK_REL(lmp_moments_skewness(&m, 1), lmp_stats_skewness(x, 2000, 1), 1e-12);
    CHECK_REL(lmp_moments_kurtosis(&m, 1, 1), lmp_stats_kurtosis(x, 2000, 1, 1), 1e-12);
    CHECK_REL(lmp_moments_variance(&m, 0), lmp_stats_variance(x, 2000, 0), 1e-12);
}

static void test_skew_kurt(void)
{
    double x[200];
    make_data(x, 200);
    /* The exact values (mpmath, 50 digits) to a few ulps: the moments about the computed mean are corrected
     * by the first moment about it, which scipy does not do (its 0.016980369991033382 and
     * 0.017108955423560022 are 2.8e-12 off: the mean of data offset by 1000 is 1e-13 off, and m3 ~ 0). */
    CHECK_REL(lmp_stats_skewness(x, 200, 1), 0.016980369990986352, 1e-14);
    CHECK_REL(lmp_stats_skewness(x, 200, 0), 0.017108955423512634, 1e-14);
    CHECK_REL(lmp_stats_kurtosis(x, 200, 1, 1), -1.1806135057102445, 1e-13);
    CHECK_REL(lmp_stats_kurtosis(x, 200, 0, 0), 1.8199415573269735, 1e-13);
}

static void test_normality(void)
{
    double x[200];
    make_data(x, 200);
    lmp_test_result r;
    lmp_error e;
    CHECK(lmp_stats_skewtest(x, 200, &r, &e) == LMP_OK);
    /* The skewness is tiny here (0.017) so relative agreement is limited by it: 1e-10. */
    CHECK_REL(r.statistic, 0.10141475846120213, 1e-10);
    CHECK_REL(r.pvalue, 0.9192212213180608, 1e-12);
    CHECK(lmp_stats_kurtosistest(x, 200, &r, &e) == LMP_OK);
    CHECK_REL(r.statistic, -9.104178761804805, 1e-12);
    CHECK_REL(r.pvalue, 8.692153309339886e-20, 1e-10);  /* erfc tail: relative accuracy kept */
    CHECK(lmp_stats_normaltest(x, 200, &r, &e) == LMP_OK);
    CHECK_REL(r.statistic, 82.89635588013142, 1e-12);
    CHECK_REL(r.pvalue, 9.983550881799552e-19, 1e-10);

    double y[300];
    for (size_t i = 0; i < 300; i++) {
        double v = (double)((i * 31) % 97);
        y[i] = v * v / 97.0;
    }
    CHECK(lmp_stats_normaltest(y, 300, &r, &e) == LMP_OK);
    CHECK_REL(r.statistic, 46.07016916136074, 1e-12);
    CHECK_REL(r.pvalue, 9.908088485047644e-11, 1e-10);
}

/* 39 values, one of them 20 times the others: the skewness -5.954 is near its bound (n - 2) / sqrt(n - 1) = 6.002,
 * where it hardly moves with the data (condition numbers of the p-values 0.72, 0.29, 0.99), while the skewtest
 * p-value moves by 22.6 times its relative error. Computed in double, g1 was 1.9 u off, and the p-values of
 * skewtest and normaltest 4.7e-15 and 4.8e-15 (seed 14 of the accuracy suite); the moments are now long double.
 * References: mpmath at 60 digits (tests/accuracy/gen_cases.py's exact skewtest_z / kurtosistest_z), tolerances
 * 8 u (1 + kappa) as the suite's. */
static void test_normality_saturated(void)
{
    static const double x[39] = {
        -1.3019498249958967e+67, 8.462871306752474e+66, -4.149552874781951e+65, -2.221339980311545e+65,
        4.8922326886724965e+66, -8.712890346220296e+65, -2.8366646625379066e+67, 2.5988671922994185e+65,
        3.2341280707453486e+65, -1.5949071936175278e+66, 2.4106498633519053e+65, -4.309996015548557e+66,
        -2.2695225604739603e+64, 1.0632970859966969e+66, 2.592012440510903e+66, -6.683130821890955e+65,
        -3.3938695415494385e+66, -1.9768841604943264e+66, -4.99463529385372e+67, -3.984953915953636e+67,
        -1.1817798995223237e+67, 1.7076957829191754e+66, -2.8644457855377613e+65, 1.6103668819840346e+65,
        -9.882172979261556e+68, -1.2659453121080886e+66, -4.134005478770135e+66, -1.500885082517854e+66,
        5.5466961863931e+66, -1.701184736771734e+66, -2.1547639326180287e+66, 2.110755049969426e+66,
        1.0219373345014598e+66, -9.416005561945045e+65, 3.8664200017943828e+65, 2.05352062430651e+66,
        -4.333170610940023e+65, -1.8727503297876054e+66, -4.900841678369682e+66};
    lmp_test_result r;
    CHECK(lmp_stats_skewtest(x, 39, &r, NULL) == LMP_OK);
    CHECK_REL(r.pvalue, 1.143554927312156083146083e-13, 1.6e-15);    /* old: 1.1435549273121507e-13 */
    CHECK(lmp_stats_normaltest(x, 39, &r, NULL) == LMP_OK);
    CHECK_REL(r.pvalue, 3.251812594788060178679402e-20, 1.8e-15);    /* old: 3.2518125947880445e-20 */
    CHECK(lmp_stats_kurtosistest(x, 39, &r, NULL) == LMP_OK);
    CHECK_REL(r.pvalue, 3.963405139507470619026917e-9, 1.2e-15);
}

static void test_normality_errors(void)
{
    double x[7] = {1, 2, 3, 4, 5, 6, 7};
    lmp_test_result r;
    lmp_error e;
    CHECK(lmp_stats_skewtest(x, 7, &r, &e) == LMP_EINVAL);
    CHECK(strstr(e.msg, "n = 7") && strstr(e.msg, "at least 8"));
    CHECK(lmp_stats_normaltest(x, 7, &r, &e) == LMP_EINVAL);
    CHECK(lmp_stats_kurtosistest(x, 4, &r, &e) == LMP_EINVAL);
    CHECK(strstr(e.msg, "at least 5"));
    double z[8] = {1, 2, 3, 4, 5, 6, 7, NAN};
    CHECK(lmp_stats_skewtest(z, 8, &r, &e) == LMP_EINVAL);
    CHECK(strstr(e.msg, "x[7]"));
    /* scipy.stats.skewtest([1..7, 20]) */
    z[7] = 20;
    CHECK(lmp_stats_skewtest(z, 8, &r, NULL) == LMP_OK);
    CHECK_REL(r.statistic, 2.873567807429272, 1e-12);
    CHECK_REL(r.pvalue, 0.004058639436743425, 1e-11);
}

static void test_streaming_merge(void)
{
    /* Any split, merged in any order, equals the one-shot moments (rounding only). */
    double x[1000];
    make_data(x, 1000);
    for (size_t i = 0; i < 1000; i++) x[i] = (x[i] - 1000) * (x[i] - 1000) / 10;  /* skewed */
    lmp_moments all, parts[7];
    lmp_moments_init(&all);
    lmp_moments_add_array(&all, x, 1000);
    size_t cuts[8] = {0, 1, 3, 100, 101, 500, 999, 1000};
    for (int k = 0; k < 7; k++) {
        lmp_moments_init(&parts[k]);
        lmp_moments_add_array(&parts[k], x + cuts[k], cuts[k + 1] - cuts[k]);
    }
    lmp_moments merged;
    lmp_moments_init(&merged);
    for (int k = 6; k >= 0; k--) lmp_moments_merge(&merged, &parts[k]);
    CHECK_INT(merged.n, 1000);
    /* Rounding in the updates: 1e-12 relative is ~1e4 ulps, far above the few
     * hundred ulps seen, far below any formula error (which would be O(1)). */
    CHECK_REL(lmp_moments_mean(&merged), lmp_stats_mean(x, 1000), 1e-12);
    CHECK_REL(lmp_moments_variance(&merged, 1), lmp_stats_variance(x, 1000, 1), 1e-12);
    CHECK_REL(lmp_moments_skewness(&merged, 0), lmp_stats_skewness(x, 1000, 0), 1e-11);
    CHECK_REL(lmp_moments_kurtosis(&merged, 1, 1), lmp_stats_kurtosis(x, 1000, 1, 1), 1e-11);
    CHECK_REL(lmp_moments_skewness(&all, 1), lmp_stats_skewness(x, 1000, 1), 1e-11);
    CHECK_REL(lmp_moments_kurtosis(&all, 0, 0), lmp_stats_kurtosis(x, 1000, 0, 0), 1e-11);
    double mn = x[0], mx = x[0];
    for (size_t i = 0; i < 1000; i++) {
        if (x[i] < mn) mn = x[i];
        if (x[i] > mx) mx = x[i];
    }
    CHECK(merged.min == mn && merged.max == mx);
    /* Merging with itself doubles the count and keeps mean and variance (ddof 0). */
    lmp_moments twice = all;
    lmp_moments_merge(&twice, &twice);
    CHECK_INT(twice.n, 2000);
    CHECK_REL(lmp_moments_variance(&twice, 0), lmp_moments_variance(&all, 0), 1e-13);
    lmp_moments empty;
    lmp_moments_init(&empty);
    CHECK(isnan(lmp_moments_mean(&empty)));
    CHECK(isnan(lmp_moments_variance(&empty, 0)));
}

/* Skewness and kurtosis are scale-free, and the streaming ones must be so across the doubles. Their sums
 * of fourth powers overflowed past a spread of 1.3e77 and underflowed below 1e-77 (kurtosis NaN at 1e80 and
 * 1e-100, skewness NaN at 1e150 and 1e-150); the one-pass functions, which scale, were right. */
static void test_streaming_scale(void)
{
    const double base[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 30};
    const double scales[] = {1, 1e50, 1e80, 1e100, 1e150, 1e200, 1e290, 1e-50, 1e-80, 1e-100, 1e-150, 1e-200, 1e-300,
                             1e-305};
    for (size_t s = 0; s < sizeof scales / sizeof *scales; s++) {
        double x[10];
        for (int i = 0; i < 10; i++) x[i] = base[i] * scales[s];
        lmp_moments all, a, b;
        lmp_moments_init(&all);
        lmp_moments_add_array(&all, x, 10);
        lmp_moments_init(&a);
        lmp_moments_init(&b);
        lmp_moments_add_array(&a, x, 1);  /* one value: no spread yet, its unit anything */
        lmp_moments_add_array(&b, x + 1, 9);
        lmp_moments_merge(&a, &b);
        lmp_moments_init(&b);
        lmp_moments_add_array(&b, x + 1, 9);
        lmp_moments_add(&b, x[0]);
        double sk = lmp_stats_skewness(x, 10, 1), ku = lmp_stats_kurtosis(x, 10, 1, 0);
        CHECK_REL(sk, 2.1989467970006, 1e-12);
        const lmp_moments *ms[3] = {&all, &a, &b};
        for (int k = 0; k < 3; k++) {
            /* rounding of ten updates: a few ulps, far below the O(1) of a lost scale */
            CHECK_REL(lmp_moments_skewness(ms[k], 1), sk, 1e-12);
            CHECK_REL(lmp_moments_kurtosis(ms[k], 1, 0), ku, 1e-12);
            double v = lmp_stats_variance(x, 10, 1);
            if (v >= DBL_MIN && isfinite(v)) CHECK_REL(lmp_moments_variance(ms[k], 1), v, 1e-12);
            else CHECK(lmp_moments_variance(ms[k], 1) == v);  /* inf or 0 as the data's: beyond the doubles */
        }
    }
    /* deviations that overflow a double: values of both signs near the top, skewness and kurtosis finite */
    const double big[4] = {1e308, -1e308, 1.5e308, -0.2e308};
    lmp_moments m;
    lmp_moments_init(&m);
    lmp_moments_add_array(&m, big, 4);
    CHECK_REL(lmp_moments_skewness(&m, 1), lmp_stats_skewness(big, 4, 1), 1e-13);
    CHECK_REL(lmp_moments_kurtosis(&m, 1, 1), lmp_stats_kurtosis(big, 4, 1, 1), 1e-13);
    /* constant data at any scale: NaN, as lmp_stats_skewness */
    lmp_moments_init(&m);
    for (int i = 0; i < 5; i++) lmp_moments_add(&m, 3e-300);
    CHECK(isnan(lmp_moments_skewness(&m, 1)) && lmp_moments_variance(&m, 0) == 0.0);
}

static void test_cov_corr(void)
{
    /* Golden: numpy.cov(X, ddof=1) of a 3 x 5 matrix (exact rationals). */
    double X[15] = {1, 2, 3, 4, 5, 2, 4, 5, 4, 5, 5, 3, 2, 2, 1};
    double C[9], R[9];
    double want[9] = {2.5, 1.5, -2.25, 1.5, 1.5, -1.75, -2.25, -1.75, 2.3};
    CHECK(lmp_stats_cov(X, 3, 5, 1, 1, C, NULL) == LMP_OK);
    for (int k = 0; k < 9; k++) CHECK_REL(C[k], want[k], 1e-14);
    /* rowvar = 0 on the transpose gives the same matrix. */
    double XT[15];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 5; j++) XT[j * 3 + i] = X[i * 5 + j];
    CHECK(lmp_stats_cov(XT, 5, 3, 0, 1, R, NULL) == LMP_OK);
    for (int k = 0; k < 9; k++) CHECK(R[k] == C[k]);
    CHECK(lmp_stats_corr(X, 3, 5, 1, R, NULL) == LMP_OK);
    CHECK_REL(R[1], 0.7745966692414834, 1e-14);
    CHECK_REL(R[2], -0.9383148632568364, 1e-14);
    CHECK_ABS(R[0], 1.0, 2 * DBL_EPSILON);  /* c_ii / s_i / s_i: 1 up to two roundings, as numpy */
    CHECK_ABS(R[4], 1.0, 2 * DBL_EPSILON);
    /* Errors name the value. */
    lmp_error e;
    CHECK(lmp_stats_cov(X, 3, 5, 1, 5, C, &e) == LMP_EINVAL);
    CHECK(strstr(e.msg, "ddof = 5"));
    CHECK(lmp_stats_ddof_check(2, 2, &e) == LMP_EINVAL && strstr(e.msg, "ddof = 2 with 2 observations"));
    CHECK(lmp_stats_ddof_check(2, 1, &e) == LMP_OK && lmp_stats_ddof_check(2, -1, NULL) == LMP_EINVAL);
    X[7] = NAN;
    CHECK(lmp_stats_cov(X, 3, 5, 1, 1, C, &e) == LMP_EINVAL);
    CHECK(strstr(e.msg, "X[1][2]"));
    /* Sizes whose bytes overflow size_t (issue: 2^40 x 2^40 wrapped to a malloc of 0 bytes, then the centring
     * wrote past it; 2^33 x 2 variables: a k x k result of 2^69 bytes): LMP_ERANGE before X is read. */
    CHECK(lmp_stats_cov(X, (size_t)1 << 40, (size_t)1 << 40, 1, 1, C, &e) == LMP_ERANGE && strstr(e.msg, "too large"));
    CHECK(lmp_stats_cov(X, (size_t)1 << 33, 2, 1, 1, C, &e) == LMP_ERANGE);
    CHECK(lmp_stats_corr(X, 2, (size_t)1 << 62, 0, C, &e) == LMP_ERANGE);
    /* A constant variable: correlation undefined, NaN as numpy. */
    double K[6] = {1, 2, 3, 4, 4, 4};
    CHECK(lmp_stats_corr(K, 2, 3, 1, R, NULL) == LMP_OK);
    CHECK(R[0] == 1.0 && isnan(R[1]) && isnan(R[3]));
    /* At the ends of the double range (seed 22 of the accuracy suite: deviations near 1e155, the covariance
     * inf and every r NaN): X times 2^530 (squared deviations near 2^1062 overflow) and times 2^-560 (near
     * 2^-1120 they underflow to 0) is the same data for a correlation, which now scales each variable's
     * deviations by a power of two: the same bits as at scale 1, r_12 = sqrt(0.6) (exact: 1.5 / sqrt(2.5 1.5)). */
    double X0[15] = {1, 2, 3, 4, 5, 2, 4, 5, 4, 5, 5, 3, 2, 2, 1};
    double R0[9], Xs[15], Rs[9];
    CHECK(lmp_stats_corr(X0, 3, 5, 1, R0, NULL) == LMP_OK);
    CHECK_REL(R0[1], 0.77459666924148337704, 2 * DBL_EPSILON);
    for (int sc = 0; sc < 2; sc++) {
        for (int k = 0; k < 15; k++) Xs[k] = ldexp(X0[k], sc ? -560 : 530);
        CHECK(lmp_stats_corr(Xs, 3, 5, 1, Rs, NULL) == LMP_OK);
        for (int k = 0; k < 9; k++) CHECK(Rs[k] == R0[k]);
    }
    /* The seed's case: four variables of three observations, each dominated by one near 1.8e155: every
     * 1 - r is below 1e-200 (mpmath at 200 digits). */
    double H[12] = {2.4040545129657157e-142, 1.8220059596947319e+155, 2.101870939551809e-61,
                    2.4040562084624894e-142, 1.8220065257322e+155, 2.1690061144307356e-61,
                    2.404054742785958e-142, 1.8220060713075043e+155, 1.8546201148601678e-61,
                    2.4040538655721817e-142, 1.8220057745101213e+155, 1.9854275771168668e-61};
    double RH[16];
    CHECK(lmp_stats_corr(H, 4, 3, 1, RH, NULL) == LMP_OK);
    for (int k = 0; k < 16; k++) CHECK_ABS(RH[k], 1.0, 2 * DBL_EPSILON);
}

static void test_central_moments(void)
{
    /* m2 of the chapter data = 4; m3 = mean((x-5)^3) = (-27-1-1-1+0+0+8+64)/8 = 5.25; m4 = (81+1+1+1+16+256)/8 = 44.5. */
    CHECK(lmp_stats_central_moment(chapter_x, 8, 2) == 4.0);
    CHECK(lmp_stats_central_moment(chapter_x, 8, 3) == 5.25);
    CHECK(lmp_stats_central_moment(chapter_x, 8, 4) == 44.5);
    /* cubes past the doubles both ways (1e600 and -2.7e601: inf - inf) where the moment itself, -6e600, is
     * past them: -inf, not NaN */
    const double h[4] = {1e200, -3e200, 1e200, 1e200};
    CHECK(lmp_stats_central_moment(h, 4, 3) == -INFINITY);
    CHECK(lmp_stats_central_moment(h, 4, 4) == INFINITY);
    CHECK_REL(lmp_stats_skewness(chapter_x, 8, 1), 5.25 / 8.0, 2 * DBL_EPSILON);
    CHECK_REL(lmp_stats_kurtosis(chapter_x, 8, 0, 1), 44.5 / 16.0, 2 * DBL_EPSILON);
    /* deviations that themselves overflow: -1.6e308 - 6e307 (the mean, whose pairwise sum overflows too) is
     * past the doubles; m3 was NaN and so were skewness and kurtosis, which are scale-free (mpmath at 50 digits:
     * -0.7071067811865476 and -1.5; -0.588110567033377 and -1.5) */
    const double o1[3] = {1.7e308, 1.7e308, -1.6e308}, o2[3] = {1.7e308, -1.7e308, 1e308};
    CHECK(lmp_stats_central_moment(o1, 3, 2) == INFINITY && lmp_stats_central_moment(o1, 3, 3) == -INFINITY &&
          lmp_stats_central_moment(o1, 3, 4) == INFINITY);
    CHECK_REL(lmp_stats_skewness(o1, 3, 1), -0.7071067811865476, 8 * DBL_EPSILON);
    CHECK_REL(lmp_stats_kurtosis(o1, 3, 1, 1), -1.5, 8 * DBL_EPSILON);
    CHECK(lmp_stats_central_moment(o2, 3, 3) == -INFINITY);
    CHECK_REL(lmp_stats_skewness(o2, 3, 1), -0.588110567033377, 8 * DBL_EPSILON);
    CHECK_REL(lmp_stats_kurtosis(o2, 3, 1, 1), -1.5, 8 * DBL_EPSILON);
}

/* An array (or output) that is NULL while its length is above 0: NaN from the scalar functions, LMP_EINVAL
 * naming it from the others, nothing added by lmp_moments_add_array (each crashed before). */
static void test_null_arrays(void)
{
    double x[8] = {1, 2, 3, 4, 5, 7, 6, 9}, out[4];
    lmp_test_result t;
    lmp_error e;
    CHECK(isnan(lmp_stats_sum(NULL, 3)) && lmp_stats_sum(NULL, 0) == 0 && isnan(lmp_stats_mean(NULL, 3)));
    CHECK(isnan(lmp_stats_variance(NULL, 3, 0)) && isnan(lmp_stats_stddev(NULL, 3, 1)));
    CHECK(isnan(lmp_stats_central_moment(NULL, 3, 2)) && isnan(lmp_stats_skewness(NULL, 3, 1)));
    CHECK(isnan(lmp_stats_kurtosis(NULL, 3, 1, 1)));
    CHECK(lmp_stats_skewtest(NULL, 8, &t, &e) == LMP_EINVAL && strstr(e.msg, "skewtest: x is NULL (n = 8)"));
    CHECK(lmp_stats_kurtosistest(x, 8, NULL, &e) == LMP_EINVAL && strstr(e.msg, "kurtosistest: out is NULL"));
    CHECK(lmp_stats_normaltest(NULL, 8, &t, &e) == LMP_EINVAL && strstr(e.msg, "normaltest"));
    CHECK(lmp_stats_cov(NULL, 2, 4, 1, 1, out, &e) == LMP_EINVAL && strstr(e.msg, "cov: x is NULL (n = 8)"));
    CHECK(lmp_stats_cov(x, 2, 4, 1, 1, NULL, &e) == LMP_EINVAL && strstr(e.msg, "out is NULL"));
    CHECK(lmp_stats_corr(NULL, 2, 4, 1, out, &e) == LMP_EINVAL && lmp_stats_corr(x, 2, 4, 0, NULL, &e) == LMP_EINVAL);
    lmp_moments m;
    lmp_moments_init(&m);
    lmp_moments_add_array(&m, NULL, 3);
    lmp_moments_add_array(NULL, x, 3);
    CHECK(m.n == 0);
}

int main(int argc, char **argv)
{
    (void)argc;
    RUN(test_chapter_variance);
    RUN(test_numpy_bits);
    RUN(test_large_n_accuracy);
    RUN(test_domain);
    RUN(test_large_offset);
    RUN(test_skew_kurt);
    RUN(test_normality);
    RUN(test_normality_saturated);
    RUN(test_normality_errors);
    RUN(test_streaming_merge);
    RUN(test_streaming_scale);
    RUN(test_streaming_mean_carry);
    RUN(test_cov_corr);
    RUN(test_central_moments);
    RUN(test_null_arrays);
    return TEST_SUMMARY();
}
