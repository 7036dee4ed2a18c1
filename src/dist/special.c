/* Special functions: log-gamma, digamma, log-beta, the regularised incomplete
 * beta and gamma functions, and Loader's saddle-point kernels that the
 * binomial, Poisson, beta and gamma families share.
 *
 * References:
 *  - C. Loader, "Fast and accurate computation of binomial probabilities", 2000:
 *    stirlerr and bd0, so that pmfs never subtract large logarithms.
 *  - Continued fractions for I_x(a, b) and Q(a, x): Abramowitz & Stegun 26.5.8
 *    and 6.5.31, evaluated with the modified Lentz method (Lentz 1976;
 *    Thompson & Barnett 1986).
 *  - Digamma: recurrence psi(x) = psi(x + 1) - 1/x, reflection
 *    psi(1 - x) - psi(x) = pi cot(pi x), the asymptotic series
 *    psi(x) ~ log x - 1/(2x) - sum B_2k / (2k x^2k) (A&S 6.3.18), and a Taylor
 *    series around the positive root x0 = 1.46163... so that psi keeps its
 *    relative precision where it crosses 0. */
#include <float.h>
#include <math.h>

#include "internal.h"

double lmp_sf_lgamma(double x)
{
    int sign;
    if (isnan(x)) return x;
    return lgamma_r(x, &sign);   /* reentrant: no write to the global signgam */
}

double lmp_sf_digamma(double x)
{
    if (isnan(x) || x == -INFINITY) return NAN;
    if (x == INFINITY) return INFINITY;
    if (x <= 0 && x == floor(x)) return NAN;   /* poles */
    double acc = 0.0;
    if (x < 0) {
        /* psi(x) = psi(1 - x) - pi / tan(pi x); tan through the reduced argument. */
        double r = x - floor(x);          /* in (0, 1) */
        acc = -M_PI / tan(M_PI * r);
        x = 1.0 - x;
    }
    if (x < 1e-6) {
        /* psi(x) = -1/x - gamma + (pi^2/6) x + O(x^2) */
        return acc - 1.0 / x - 0.57721566490153286061 + 1.6449340668482264365 * x;
    }
    if (fabs(x - 1.4616321449683622) < 0.1) {
        /* Near the positive root x0 the recurrence loses relative precision (psi ~ 0 is a
         * difference of O(1) terms): Taylor series at x0, coefficients psi^(k)(x0)/k! from
         * mpmath at 50 digits; the next term is below 2e-17 relative for |x - x0| < 0.1. */
        static const double c[14] = {
            0.9676722454476211704274,   -0.4427631689835921060929,  0.2584997609556510106244,
            -0.1639427054424065275043,  0.1078240506912623657572,   -0.07219956125645471092612,
            0.04880428816414310722509,  -0.03316112647484735929226, 0.02259764823221810465962,
            -0.0154247659049489591388,  0.01053879161661217538812,  -0.00720453438635686824097,
            0.004926781395729853446354, -0.003369801655439328082793};
        double dx = (x - 1.4616321449683622) - 9.549995429965697e-17;   /* x0 = hi + lo */
        double sum = 0.0;
        for (int k = 13; k >= 0; k--) sum = sum * dx + c[k];
        return acc + sum * dx;
    }
    while (x < 10.0) {
        acc -= 1.0 / x;
        x += 1.0;
    }
    double z = 1.0 / (x * x);
    /* B2/2, B4/4, ..., B14/14 */
    double series = z * (1.0 / 12 - z * (1.0 / 120 - z * (1.0 / 252 - z * (1.0 / 240 - z * (1.0 / 132 -
                    z * (691.0 / 32760 - z * (1.0 / 12)))))));
    return acc + log(x) - 0.5 / x - series;
}

/* delta(x) = lgamma(x + 1) - (x + 1/2) log x + x - log sqrt(2 pi) from the Stirling series
 * sum_k B_2k / (2k (2k-1) x^(2k-1)) (A&S 6.1.41): 7 terms for x >= 15, 10 for 7 <= x < 15 (the first
 * term left out is below 3e-17 absolute, a fraction of an ulp of the log-densities it enters). */
static double stirlerr_series(double x)
{
    double z = 1.0 / (x * x);
    if (x >= 15.0)
        return (1.0 / 12 - z * (1.0 / 360 - z * (1.0 / 1260 - z * (1.0 / 1680 - z * (1.0 / 1188 -
                z * (691.0 / 360360 - z * (1.0 / 156))))))) / x;
    return (1.0 / 12 - z * (1.0 / 360 - z * (1.0 / 1260 - z * (1.0 / 1680 - z * (1.0 / 1188 -
            z * (691.0 / 360360 - z * (1.0 / 156 - z * (3617.0 / 122400 - z * (43867.0 / 244188 -
            z * (174611.0 / 125400)))))))))) / x;
}

/* delta(y) - delta(y + 1) = (y + 1/2) log(1 + 1/y) - 1 = sum_{i>=1} w^(2i) / (2i + 1), w = 1 / (2y + 1):
 * with (y + 1/2) = 1/(2w) and log((1 + w)/(1 - w)) = 2 atanh w the subtraction of 1 is done exactly
 * by the series, whose terms are all positive (for y >= 1/2, w^2 <= 1/4: 26 terms at most). */
static double stirlerr_step(double y)
{
    double w = 1.0 / (2.0 * y + 1.0), w2 = w * w, t = w2, sum = 0.0;
    for (int i = 1; i < 60; i++) {
        double s1 = sum + t / (2 * i + 1);
        if (s1 == sum) break;
        sum = s1;
        t *= w2;
    }
    return sum;
}

double lmp_stirlerr_(double x)
{
    /* delta(n/2), n = 0..30, from mpmath at 40 digits. */
    static const double half[31] = {
        0.0,                    0.15342640972002734529, 0.08106146679532725822, 0.054814121051917653896,
        0.041340695955409294094, 0.033162873519936287485, 0.027677925684998339149, 0.023746163656297495971,
        0.020790672103765093112, 0.018488450532673185231, 0.016644691189821192163, 0.015134973221917378874,
        0.013876128823070747999, 0.012810465242920226924, 0.011896709945891770095, 0.011104559758206917327,
        0.010411265261972096497, 0.0097994161261588032984, 0.0092554621827127329177, 0.008768700134139385463,
        0.0083305634333628712565, 0.0079341145643140205472, 0.007573675487951840795, 0.0072445543013203831795,
        0.0069428401072095298657, 0.0066652470327076824424, 0.0064089941880042070684, 0.0061717122630394576475,
        0.0059513701127588477356, 0.005746216513010115682, 0.005554733551962801371};
    if (x > 15.0) return stirlerr_series(x);
    double twice = x + x;
    if (twice == floor(twice) && twice >= 1) return half[(int)twice];
    if (x >= 7.0) return stirlerr_series(x);
    if (x >= 0.5) {
        /* Up to 7 by delta(y) = delta(y + 1) + step(y): the direct form below would lose the 0.01..0.08 of
         * delta against O(x log x) terms (9 ulps of an absolute error at x = 5, in every log-density). */
        double acc = 0.0;
        while (x < 7.0) {
            acc += stirlerr_step(x);
            x += 1.0;
        }
        return acc + stirlerr_series(x);
    }
    /* Below 1/2 the terms are O(log x) and delta itself is as large: direct. */
    int sign;
    return lgamma_r(x + 1.0, &sign) - (x + 0.5) * log(x) + x - LMP_LN_SQRT_2PI;
}

/* delta(x + h) - delta(x) for x >= 15, h >= 0, term by term of the Stirling series:
 * c_k [(x + h)^(1-2k) - x^(1-2k)] = c_k x^(1-2k) expm1((1 - 2k) log1p(h/x)), which keeps its relative
 * precision when h << x (x + h - x would round h away first). */
static double stirlerr_diff(double x, double h)
{
    static const double c[7] = {1.0 / 12, -1.0 / 360, 1.0 / 1260, -1.0 / 1680, 1.0 / 1188, -691.0 / 360360,
                                1.0 / 156};
    double lp = log1p(h / x), z = 1.0 / (x * x), xp = 1.0 / x, sum = 0.0;
    for (int k = 0; k < 7; k++) {
        sum += c[k] * xp * expm1(-(2.0 * k + 1.0) * lp);
        xp *= z;
    }
    return sum;
}

double lmp_lgamma_corr_(double x, double h)
{
    if (h == 0) return 0.0;
    if (x >= 15.0) return lmp_bd0_(x + h, x) - 0.5 * log1p(h / x) + stirlerr_diff(x, h);
    /* Below 15 through x + m >= 15: lgamma(x + h) - lgamma(x) = [the same at x + m]
     * - sum_{j<m} log1p(h / (x + j)). */
    double m = ceil(15.0 - x), acc = 0.0;
    for (double j = 0; j < m; j++) acc += log1p(h / (x + j));
    return h * log((x + m) / x) + lmp_lgamma_corr_(x + m, h) - acc;
}

double lmp_lgamma_diff_(double x, double h)
{
    if (h == 0) return 0.0;
    if (x >= 15.0) return h * log(x) + lmp_lgamma_corr_(x, h);
    /* h log(x + m) + c(x + m, h) - sum log1p(h / (x + j)): no h log x (huge for a tiny x) to cancel */
    double m = ceil(15.0 - x), acc = 0.0;
    for (double j = 0; j < m; j++) acc += log1p(h / (x + j));
    return h * log(x + m) + lmp_lgamma_corr_(x + m, h) - acc;
}

/* x log(x/m) + m - x = d v + 2x sum_{j>=1} v^(2j+1) / (2j+1), d = x - m, v = d / (x + m), |v| < 0.1 (no
 * cancellation); x (2v) so that nothing overflows for x up to the largest double */
static double bd0_series(double x, double d, double v)
{
    double s = d * v;
    double ej = x * (2 * v);
    double v2 = v * v;
    for (int j = 1; j < 1000; j++) {
        ej *= v2;
        double s1 = s + ej / (2 * j + 1);
        if (s1 == s) return s1;
        s = s1;
    }
    return s;
}

double lmp_bd0_(double x, double m)
{
    if (x == 0) return m;
    if (fabs(x - m) < 0.1 * (x + m)) {
        /* the halves where x + m overflows */
        double v = isfinite(x + m) ? (x - m) / (x + m) : (0.5 * x - 0.5 * m) / (0.5 * x + 0.5 * m);
        return bd0_series(x, x - m, v);
    }
    return x * log(x / m) + m - x;
}

/* bd0(x, x - d) from the difference d itself (< x), which the caller has to more digits than x - m would
 * keep: x log(x / (x - d)) - d */
static double bd0_diff(double x, double d)
{
    double v = 0.5 * d / (x - 0.5 * d); /* d / (x + m), m = x - d, without forming 2x */
    if (fabs(v) < 0.1) return bd0_series(x, d, v);
    return -x * log1p(-d / x) - d;
}

/* erfc(sqrt(dev)) / 2 to the precision of dev itself: z = sqrt(dev) rounded moves erfc(z) by a relative
 * 2 z^2 (u / 2) = dev u (1e-14 of a tail at dev = 40), so z = zh + zl is split (zl = (dev - zh^2) / (2 zh) by an
 * fma) and erfc(zh + zl) = erfc(zh) - zl (2 / sqrt(pi)) e^-dev to second order */
static double erfc_sqrt_half(double dev)
{
    double zh = sqrt(dev);
    if (zh == 0) return 0.5;
    double zl = fma(-zh, zh, dev) / (2.0 * zh);
    return 0.5 * erfc(zh) - zl * exp(-dev) / sqrt(M_PI);
}

/* e^(z^2) erfc(z) / 2 for z = sqrt(dev) >= 0, also where erfc underflows: e^dev erfc(z) / 2 below z = 26
 * (erfc > 1e-296), else its asymptotic series (A&S 7.1.23) 1/(2 z sqrt(pi)) sum_n (-1)^n (2n-1)!! / (2z^2)^n,
 * 8 terms to 1e-17 at z = 26. */
static double erfcx_half(double dev)
{
    double z = sqrt(dev);
    if (z < 26.0) return exp(dev) * erfc_sqrt_half(dev);
    double w = 0.5 / dev, t = 1.0, s = 1.0; /* 1 / (2 z^2) */
    for (int n = 1; n < 30; n++) {
        t *= -(2.0 * n - 1.0) * w;
        s += t;
        if (fabs(t) < 1e-17) break;
    }
    return s / (2.0 * z * sqrt(M_PI));
}

/* stirlerr(v) + log(2 pi v) / 2 = lgamma(1 + v) - v log v + v, for v < 1 (each term O(v log v), O(1) at most):
 * the two O(log v) terms of its left side, taken apart, cancel for a tiny v */
static double stirlerr_log_2pi_small(double v) { return lmp_lgamma1p_(v) - v * log(v) + v; }

/* The kernels take the successes k and the failures m = n - k separately: with a beta's a = 6.5e8 and
 * b = 426, n = a + b rounds (its ulp is 1e-7), and n - k would move b by 1e-7: 2e-10 of I_x(a, b). */
double lmp_log_dbinom_raw_(double k, double m, double p, double q)
{
    double n = k + m;
    if (p == 0) return k == 0 ? 0.0 : -INFINITY;
    if (q == 0) return m == 0 ? 0.0 : -INFINITY;
    if (k < 0 || m < 0) return -INFINITY;
    if (k == 0) return m == 0 ? 0.0 : p < 0.1 ? m * log1p(-p) : m * log(q);
    if (m == 0) return q < 0.1 ? k * log1p(-q) : k * log(p);
    /* n p and n q from the smaller of p and q, the other mean as n minus it: callers pass q = 1 - p
     * rounded, and with p = 1e-9, n = 1e9 the rounding of q (u/2) would move n q by n u / 2, and
     * bd0(n - k, n q) ~ (n q - (n - k))^2 / (2 n) with it: 5e-8 of the pmf. */
    double np, nq;
    if (p <= q) {
        np = n * p;
        nq = n - np;
    } else {
        nq = n * q;
        np = n - nq;
    }
    double j = k <= m ? k : m, big = k <= m ? m : k;
    if (j < 0.5) {
        /* A tiny real k or m (a beta's front with b = 1e-288): below 1/2 stirlerr(j) is -log(j) / 2 + O(1)
         * (its direct form), and Loader's -stirlerr(j) - log(2 pi j) / 2 two terms of 331 that cancel, u 331
         * of the result (beta_cdf(0.5; 1.2, 1e-300) was 41 u(1 + kappa) off, and beta_ppf with it). That pair
         * taken together, from Gamma(j + 1) = sqrt(2 pi j) j^j e^-j e^stirlerr(j):
         *   stirlerr(j) + log(2 pi j) / 2 = lgamma(1 + j) - j log j + j,  each term O(j log j);
         * then log C(n, k) p^k q^m = stirlerr(n) - stirlerr(big) - that + log(n / big) / 2 - bd0s, and for
         * n < 1 the same pair for n and big too (stirlerr(n) - stirlerr(big) would cancel likewise). */
        double bd = lmp_bd0_(k, np) + lmp_bd0_(m, nq);
        if (big < 0.5) return stirlerr_log_2pi_small(n) - stirlerr_log_2pi_small(k) - stirlerr_log_2pi_small(m) - bd;
        return lmp_stirlerr_(n) - lmp_stirlerr_(big) - stirlerr_log_2pi_small(j) + 0.5 * log1p(j / big) - bd;
    }
    double lc = lmp_stirlerr_(n) - lmp_stirlerr_(k) - lmp_stirlerr_(m) - lmp_bd0_(k, np) - lmp_bd0_(m, nq);
    /* log(2 pi k m / n), as log j + log1p(-j / n) with j the smaller of k and m: Loader's (and R's)
     * log1p(-k / n) rounds k / n first and keeps only the absolute precision of that rounding when k is
     * near n (1e-11 of a pmf at n = 1e5, k = n - 1). */
    double lf = LMP_LN_2PI + log(j) + log1p(-j / n);
    return lc - 0.5 * lf;
}

double lmp_dbinom_raw_(double k, double m, double p, double q)
{
    if (p == 0) return k == 0 ? 1.0 : 0.0;
    if (q == 0) return m == 0 ? 1.0 : 0.0;
    if (k < 0 || m < 0) return 0.0;
    double n = k + m;
    /* With few successes far below the mean (or few failures), C(n, k) p^k q^m as a product: see
     * lmp_dpois_raw_ for why exp of the log form is not good enough there. */
    double j = -1, pp = p, qq = q;
    int whole = k == floor(k) && m == floor(m) && n < 0x1p53;
    if (whole && k <= 200 && n * p <= 0.25 * k) j = k;
    else if (whole && m <= 200 && n * q <= 0.25 * m) {
        j = m;
        pp = q;
        qq = p;
    }
    if (j > 0) {
        double r = 1.0;
        for (double i = 0; i < j; i++) r *= (n - i) * pp / (i + 1.0);
        return r * exp((n - j) * (qq < 0.5 ? log(qq) : log1p(-pp)));
    }
    return exp(lmp_log_dbinom_raw_(k, m, p, q));
}

double lmp_log_dpois_raw_(double k, double x)
{
    if (x == 0) return k == 0 ? 0.0 : -INFINITY;
    if (k < 0) return -INFINITY;
    if (k == 0) return -x;
    if (x == INFINITY) return -INFINITY;
    /* below 1 Loader's form subtracts two O(log k) terms (stirlerr(k) ~ -log(k)/2): the direct one */
    if (k < 1) return k * log(x) - x - lmp_lgamma1p_(k);
    return -lmp_stirlerr_(k) - lmp_bd0_(k, x) - 0.5 * (LMP_LN_2PI + log(k));
}

double lmp_sf_log_beta(double a, double b)
{
    if (isnan(a) || isnan(b) || a <= 0 || b <= 0) return NAN;
    double p = fmin(a, b), q = fmax(a, b);
    if (q == INFINITY) return -INFINITY;
    /* With Gamma(x) = sqrt(2 pi) x^(x - 1/2) e^-x e^delta(x) (delta = stirlerr):
     *   log B(p, q) = log sqrt(2 pi) - 1/2 log q - (p - 1/2) log1p(q/p) - q log1p(p/q)
     *                 + delta(p) + delta(q) - delta(p + q),
     * every main term negative (nothing cancels), and p + q is never formed in a logarithm, so that
     * B(1e308, 1e308) = -1.38e308 stays finite (delta(inf) = 0 is right to 1e-309). */
    if (p >= 15.0) {
        double corr = lmp_stirlerr_(p) + lmp_stirlerr_(q) - lmp_stirlerr_(p + q);
        return LMP_LN_SQRT_2PI - 0.5 * log(q) - (p - 0.5) * log1p(q / p) - q * log1p(p / q) + corr;
    }
    if (q >= 15.0) {
        /* Only q large: lgamma(p) + [lgamma(q) - lgamma(p + q)], the bracket by the same expansion,
         * -p log(p + q) + p - (q - 1/2) log1p(p/q) + delta(q) - delta(p + q). */
        double corr = lmp_stirlerr_(q) - lmp_stirlerr_(p + q);
        return lmp_sf_lgamma(p) + corr + p - p * log(p + q) - (q - 0.5) * log1p(p / q);
    }
    return lmp_sf_lgamma(p) + lmp_sf_lgamma(q) - lmp_sf_lgamma(p + q);
}

/* ---- incomplete beta ----------------------------------------------------------- */

/* The variables come in pairs x + y = 1 where only the smaller of the two is sure to be exact (it is the
 * caller's value, or 1 - x with x >= 1/2, exact by Sterbenz); the larger is 1 minus it rounded. Logs
 * are taken of the exact one: log of the smaller, log1p(-smaller) for the larger. */
static double log_of(double v, double w) { return v <= w ? log(v) : log1p(-w); }

/* x^a y^b / (a B(a, b)) through the binomial kernel (x^a y^b / (a B(a, b)) = C(a+b, a) x^a y^b b / (a+b)),
 * which takes the means from the exact one of x, y and is a product where the log form loses digits. */
static double beta_front(double a, double b, double x, double y)
{
    return lmp_dbinom_raw_(a, b, x, y) * (b / (a + b));
}

/* I_x(a, b) for x below the mean by the even part of the continued fraction A&S 26.5.8,
 *   I = front / (beta_0 + alpha_1 / (beta_1 + alpha_2 / (beta_2 + ...))),
 *   alpha_m = -d_{2m-1} d_{2m},  beta_m = 1 + d_{2m} + d_{2m+1}  (d_0 = 0),
 *   d_{2m+1} = -(a+m)(a+b+m) x / ((a+2m)(a+2m+1)),  d_{2m} = m (b-m) x / ((a+2m-1)(a+2m)),
 * with the denominators written through lambda = a - (a+b) x, computed by the caller from the exact one
 * of x and y (DiDonato & Morris 1992 do the same in BFRAC):
 *   beta_0 = (1 + lambda) / (a + 1),
 *   beta_m = [(a+2m-1)(a (3m+1) + 2m (2m+1) + (a+m)(lambda - m x)) + m (b-m) x (a+2m+1)]
 *            / ((a+2m-1)(a+2m)(a+2m+1)).
 * 1 + d_1 = 1 - (a+b) x / (a+1) itself would cancel near the mean and, in the mirrored frame where x is
 * 1 - (a rounded 1 - x), lose u / x of the result. Each step of the even part is two of the original. */
static double beta_cf(double a, double b, double x, double y, double lambda)
{
    const double tiny = 1e-300;
    /* For a or b past 2^64 each factor of a term is taken over its own denominator, b x kept together, and for
     * a past 2^64 the fraction is taken times sc = a + 1 (an equivalence transformation: beta_m sc, alpha_m
     * sc^2), whose terms are then O(1). Unscaled, beta_m ~ 1/a and alpha_m ~ 1/a^2: the products a^4
     * overflowed to alpha_m = 0 from a ~ 1e77 on and to NaN past ~1e154, and b^2 x^2 to inf * 0 = NaN past
     * b ~ 1e154: beta(2, 1e80) had cdf(4e-80) = 0.90232 (right: 0.90842, P(2, 4)), beta(2, 1e200) had
     * cdf(1e-10) = NaN and beta(2, 1e300) cdf(1e-300) = NaN. */
    int scaled = a > 0x1p64, grouped = scaled || b > 0x1p64;
    double sc = scaled ? a + 1.0 : 1.0;
    double f = scaled ? 1.0 + lambda : (1.0 + lambda) / (a + 1.0);
    if (fabs(f) < tiny) f = tiny;
    double C = f, D = 0.0;
    for (int m = 1; m < 5000000; m++) {
        double dm = (double)m;
        double a1 = a + 2 * dm - 2, a2 = a + 2 * dm - 1, a3 = a + 2 * dm, a4 = a + 2 * dm + 1;
        double alpha, beta;
        if (!grouped) {
            alpha = (a + dm - 1) * (a + b + dm - 1) * dm * (b - dm) * (x * x) / (a1 * a2 * a2 * a3);
            beta = (a2 * (a * (3 * dm + 1) + 2 * dm * (2 * dm + 1) + (a + dm) * (lambda - dm * x)) +
                    dm * (b - dm) * x * a4) / (a2 * a3 * a4);
        } else {
            alpha = ((a + dm - 1) / a1) * ((a + b + dm - 1) * x / a2) * (dm * (sc / a2)) * ((b - dm) * x * (sc / a3));
            beta = (sc / a3) * ((a / a4) * (3 * dm + 1) + (2 * dm) * ((2 * dm + 1) / a4) +
                                ((a + dm) / a4) * (lambda - dm * x)) + (sc / a2) * (dm * (b - dm) * x / a3);
        }
        D = beta + alpha * D;
        if (fabs(D) < tiny) D = tiny;
        C = beta + alpha / C;
        if (fabs(C) < tiny) C = tiny;
        D = 1.0 / D;
        double delta = C * D;
        f *= delta;
        if (fabs(delta - 1.0) < 1e-16 || isnan(delta)) break;   /* NaN: not 5e6 steps of it */
    }
    (void)y;
    return sc / f;
}

/* front * fraction, the tail below the mean. For a past 2^64 the fraction is ~a and the front ~1/a: the front's
 * b / (a + b) is then taken with the fraction, not alone, where it went subnormal before the product
 * (beta(2, 1e300) at x = 6e-299: sf 5.02e-25, right 5.34e-25). */
static double beta_front_cf(double a, double b, double x, double y, double lambda)
{
    double r = beta_cf(a, b, x, y, lambda);
    if (a > 0x1p64) return lmp_dbinom_raw_(a, b, x, y) * (b * (r / (a + b)));
    return beta_front(a, b, x, y) * r;
}

/* I_x(a, b) by the power series (A&S 26.5.4 in DiDonato & Morris's BPSER form)
 *   I = x^a / (a B(a, b)) [1 + a S],  S = sum_{j>=1} (1-b)(2-b)...(j-b) x^j / (j! (a + j)),
 * for x <= 0.7 with b <= 1 or b x <= 0.7 (near x = 1 its terms decay like j^-b). Sets *lower = I and
 * *upper = 1 - I. For a <= 1 the lower tail may be close to 1 even below the mean (a distribution with a tiny
 * a sits at e^(-1/a)), so there I is exp(L) and 1 - I is -expm1(L) of its log
 *   L = a log x + [lgamma(b + a) - lgamma(b) - lgamma(1 + a)] + log1p(a S),
 * every term O(a) and computed to its relative precision (DiDonato & Morris's APSER is its first order);
 * otherwise (and for a = 1 with a small lower tail) x^a / (a B(a, b)) is the front divided by y^b. */
static void beta_series(double a, double b, double x, double y, double *lower, double *upper)
{
    double sum = 0.0, c = 1.0;
    for (int j = 1; j < 100000; j++) {
        c *= (1.0 - b / j) * x;
        double w = c / (a + j);
        sum += w;
        if (fabs(w) <= 1e-17 * fabs(sum) || c == 0) break;
    }
    if (a <= 1.0) {
        /* 1 / (a B(a, b)) = Gamma(a + b) / (Gamma(1 + a) Gamma(b)); for b <= 1 written as
         * b / (a + b) * exp(lgamma(1+a+b) - lgamma(1+b) - lgamma(1+a)), the factor kept out of the exponent
         * (for a tiny b it is ~1e-148, whose log exp() would return to only 340 ulps) */
        double E, lf;
        if (b <= 1.0) {
            /* lgamma(1+a+b) - lgamma(1+b) as a difference over the shift a, not of two rounded values */
            E = a * log_of(x, y) + (lmp_lgamma_diff_(1.0 + b, a) - lmp_lgamma1p_(a)) + log1p(a * sum);
            lf = -log1p(a / b);
        } else {
            E = a * log_of(x, y) + (lmp_lgamma_diff_(b, a) - lmp_lgamma1p_(a)) + log1p(a * sum);
            lf = 0.0;
        }
        double L = E + lf;
        if (a < 1.0 || L > -1.0) {
            *lower = (b <= 1.0 ? b / (a + b) : 1.0) * exp(E);
            *upper = -expm1(L);
            return;
        }
        /* a = 1 (a binomial sf at k = 0) far below 1: the front is then an exact product, where exp(L) keeps
         * only the absolute precision of a log of -700 */
    }
    double lead = beta_front(a, b, x, y) / exp(b * log_of(y, x));
    *lower = lead * (1.0 + a * sum);
    *upper = 1.0 - *lower;
}

/* I_x(a, b) for a >= 15 and b <= 1, x near 1 (y the exact one), by DiDonato & Morris's asymptotic expansion
 * BGRAT (ACM TOMS 18 (1992) 360, Algorithm 708, section 9; Temme's form of it): with nu = a + (b - 1) / 2,
 * z = -nu log x,
 *   I = Gamma(a + b) / (Gamma(a) nu^b) [Q(b, z) + r sum_{n>=1} d_n J_n],  r = e^-z z^b / Gamma(b),
 *   J_0 = Q(b, z) / r,  J_n = [(b + 2n - 2)(b + 2n - 1) J_{n-1} + (z + b + 2n - 1) (log^2 x / 4)^(n-1)] / (4 nu^2),
 *   d_n = (b - 1) c_n + (1/n) sum_{i<n} (b i - n) c_i d_{n-i},  c_n = 1 / (2n + 1)!,
 * the leading term Q(b, z) apart (as in BGRAT it is r J_0, and r's e^-z rounds). Gamma(a + b) / (Gamma(a) nu^b)
 * = exp(lgamma(a + b) - lgamma(a) - b log a - b log(nu / a)), O(b / a) terms each. Used for the upper tail of a
 * small a and a large b past b x = 0.7, where the front times the continued fraction of the mirrored frame (120
 * to 130 steps at b = 1e8..4e10) was up to 50 ulps off (beta_sf(6.9e-9; 0.0068, 1.1e8): 5.5e-15, 9.8 u (1 +
 * kappa); a seed-38 case of the accuracy suite 7.4). */
static double beta_grat(double a, double b, double x, double y)
{
    double bm1 = (b - 0.5) - 0.5, nu = a + 0.5 * bm1;
    double lnx = log_of(x, y), z = -nu * lnx;
    double ratio = exp(lmp_lgamma_corr_(a, b) - b * log1p(0.5 * bm1 / a));
    double r = b * exp(b * log(z) - z - lmp_lgamma1p_(b)); /* e^-z z^b / Gamma(b) = b e^-z z^b / Gamma(1 + b) */
    double q = lmp_sf_gamma_inc_upper(b, z);
    if (!(r > 0)) return ratio * q; /* z past ~745: the corrections, r J_n, are below the subnormals too */
    double v = 0.25 / (nu * nu), t2 = 0.25 * lnx * lnx;
    double j = q / r, sum = 0.0, t = 1.0, cn = 1.0, n2 = 0.0, c[31], d[31];
    for (int n = 1; n <= 30; n++) {
        double bp2n = b + n2;
        j = (bp2n * (bp2n + 1.0) * j + (z + bp2n + 1.0) * t) * v;
        n2 += 2.0;
        t *= t2;
        cn /= n2 * (n2 + 1.0);
        c[n] = cn;
        double s = 0.0, coef = b - n;
        for (int i = 1; i < n; i++, coef += b) s += coef * c[i] * d[n - i];
        d[n] = bm1 * cn + s / n;
        double dj = d[n] * j;
        sum += dj;
        if (fabs(dj) * r <= 1e-17 * (q + r * sum)) break;
    }
    return ratio * (q + r * sum);
}

/* lambda = a - (a + b) x = (a + b) y - b, from the exact one of x, y, with a + b and its product with x kept to
 * twice the working precision (Dekker's two-sum and an fma for the product's error): near the mean lambda is
 * ~sqrt(a) while a and (a + b) x are ~a, and the plain a - s x kept only u a of it (1e4 at a = b = 1e20, a
 * relative error of 1e-6 in every tail taken through it). Halved where a + b overflows. */
static double beta_lambda(double a, double b, double x, double y)
{
    double sc = isfinite(a + b) ? 1.0 : 0.5;
    a *= sc;
    b *= sc;
    double sh = a + b, bb = sh - a, sl = (a - (sh - bb)) + (b - bb);   /* a + b = sh + sl exactly */
    double lam;
    if (x <= y) {
        double p = sh * x, e = fma(sh, x, -p);                            /* sh x = p + e exactly */
        lam = ((a - p) - e) - sl * x;
    } else {
        double p = sh * y, e = fma(sh, y, -p);
        lam = ((p - b) + e) + sl * y;
    }
    return lam / sc;
}

/* ---- incomplete beta for large a and b: Temme's uniform asymptotic expansion ---------------------- */

/* For min(a, b) >= BETA_TEMME_MIN the continued fraction needs O(sqrt(a)) steps near the mean and loses as
 * many roundings: 1e-12 of I_x at a = b = 1e10, 1e-7 at 1e16, and at 1e20 I_{1/2} = 0.459 (5000000 steps
 * were not enough), 2.8e49 at 1e100. There the expansion of N. M. Temme, "Special functions" (Wiley 1996),
 * sec. 11.3.3.2, DLMF 8.18.9, with r = a + b and x0 = a / r:
 *   I_x(a, b) = erfc(-eta sqrt(r/2)) / 2 - e^(-r eta^2 / 2) / sqrt(2 pi r) * Psi / Phi,
 *   -eta^2 / 2 = x0 log(x / x0) + (1 - x0) log((1 - x) / (1 - x0)),   eta / (x - x0) > 0.
 * It comes from I = A int_{-inf}^eta e^(-r z^2/2) f(z) dz with f = (dt/dz) / (t (1 - t)) = z / (t - x0) and
 * A = x0^a (1-x0)^b / B(a, b), integrated by parts again and again: f_0 = f, g_k(z) = (f_k(z) - f_k(0)) / z,
 * f_{k+1} = g_k', Psi = sum_k g_k(eta) / r^k, Phi = sum_k f_k(0) / r^k (Phi's normalisation makes the
 * erfc term's coefficient exactly 1, so that I -> 1 as eta -> inf). Our own derivation of the coefficients,
 * checked against mpmath (betainc and quadrature of the density at 40 digits): c_0 = -g_0 is DLMF 8.18.11.
 * In the frame a <= b (the caller mirrors), with tau = a / b, u = x - x0 and the scalings
 * u = (a / r) V, eta = sqrt(tau) Z, everything depends on tau alone and stays O(1) for every tau:
 *   Z^2 / 2 = V^2 / 2 + sum_{n>=3} gamma_n V^n,  gamma_n = ((-1)^n + tau^(n-1)) / (n (1 + tau)),
 *   V = -lambda / a,  r eta^2 / 2 = R Z^2 / 2 = bd0(a, a - lambda) + bd0(b, b + lambda),  R = a (1 + tau),
 * and the expansion is one in 1 / R ~ 1 / min(a, b). phi(Z) = Z / V(Z) is a power series in Z (radius
 * >= 2.5: the singularities of the inverse map lie at R Z^2 / 2 = 2 pi i k a on the other sheets of the
 * logarithms); its coefficients come from a recurrence (beta_temme_phi), and then f_k, g_k are its
 * shifted derivatives. The tails that do not
 * underflow have |Z| <= sqrt(2 * 745 / R) <= 0.39 at R >= 1e4: 48 coefficients and at most 6 powers of
 * 1 / R are ~1e-20; measured against mpmath: 1e-17 at R = 2e3 with 4 powers, 3e-20 at 2e4 with 3. Past
 * |Z| = 0.6 (a tail below e^-1800, asked for only in log form, by a quantile's Newton steps) the series
 * is not used: g_0 = 1/V - 1/Z and g_1 in closed form, f_1 = -Z x (1-x) / (s V^3) + 1/Z^2, s = x0 (1 - x0). */
#define BETA_TEMME_MIN 1e4
#define BT_N 48 /* Taylor coefficients of phi */
#define BT_K 6  /* powers of 1 / R at most */

/* phi[0..BT_N-1], the Taylor coefficients of phi(Z) = Z / V(Z) for the given tau (<= 1). With
 * Z^2 / 2 = G(V) = -[log(1 + V) + log(1 - tau V) / tau] / (1 + tau), G'(V) = V / ((1 + V)(1 - tau V)), so
 * V V' = Z (1 + V)(1 - tau V) = Z (1 + (1 - tau) V - tau V^2): with U = V^2, (m + 1) u_{m+1} / 2 =
 * [m = 1] + (1 - tau) v_{m-1} - tau u_{m-1}, and u_{m+1} = 2 v_m + sum_{j=2}^{m-1} v_j v_{m+1-j} gives v_m.
 * O(BT_N^2) steps, each coefficient to a few ulps (checked against mpmath's Lagrange inversion of the
 * series of G for tau = 1, 1/2, 1/3, 1e-3, 1e-300). */
static void beta_temme_phi(double tau, double *phi)
{
    double v[BT_N + 2], u[BT_N + 3];
    for (int m = 0; m < BT_N + 2; m++) v[m] = u[m] = 0.0;
    v[1] = 1.0;
    u[2] = 1.0;
    for (int m = 2; m <= BT_N; m++) {
        u[m + 1] = 2.0 * ((1.0 - tau) * v[m - 1] - tau * u[m - 1]) / (m + 1);
        double acc = u[m + 1];
        for (int j = 2; j < m; j++) acc -= v[j] * v[m + 1 - j];
        v[m] = 0.5 * acc;
    }
    /* phi = 1 / (V / Z) = 1 / sum v[n + 1] Z^n, v[1] = 1 */
    phi[0] = 1.0;
    for (int m = 1; m < BT_N; m++) {
        double acc = 0.0;
        for (int j = 1; j <= m; j++) acc -= v[j + 1] * phi[m - j];
        phi[m] = acc;
    }
}

/* One of the deviance's two terms, bd0(p, p - d): p = a, d = lambda, whose mean a - lambda is (a + b) x, or
 * p = b, d = -lambda, mean b + lambda = (a + b) y; t is that x or y. Where the mean is below p / 2, t < 1/2 is
 * the exact one of x, y, and the mean is taken from it: lambda, rounded, keeps only u p of a mean far below p
 * (bd0_diff's 1 - d / p is off by u p / mean), and where (a + b) t < u p it rounds to p itself, bd0 = inf and
 * I_x = NaN (x = 1.9e-258, a = 1.3e10, b = 19517: 1 - I_x is 1). With q = mean / p = t (a + b) / p < 1/2,
 * bd0 = p (q - log q - 1) (the definition, bd0(x, m) = x log(x / m) + m - x; its terms lose at most 3 bits
 * at q = 1/2). log q = log t - log(p / (a + b)) where q is below the normal range (then -log q > 708, and the
 * difference loses at most a bit), which a subnormal t would take into the quotient's rounding. */
static double beta_dev_term(double p, double d, double a, double b, double t)
{
    if (!(d > 0.5 * p)) return bd0_diff(p, d);
    double r = isfinite(a + b) ? p / (a + b) : (0.5 * p) / (0.5 * a + 0.5 * b); /* p / (a + b) <= 1 */
    double q = t / r, lq = q >= DBL_MIN ? log(q) : log(t) - log(r);
    return p * ((q - lq) - 1.0);
}

/* The tail on x's side in the frame a <= b, lambda = a - (a + b) x (from beta_lambda): I_x(a, b) for
 * lambda > 0, 1 - I_x(a, b) for lambda <= 0, or its log (lg = 1); *dl (if not NULL) = x (1 - x) f(x) / tail. */
static double beta_temme(double a, double b, double x, double y, double lambda, int lg, double *dl)
{
    double tau = a / b, inv = 1.0 / a / (1.0 + tau), V = -lambda / a;
    double dev = beta_dev_term(a, lambda, a, b, x) + beta_dev_term(b, -lambda, a, b, y); /* r eta^2 / 2 */
    double Z = sqrt(2.0 * (dev / a) / (1.0 + tau));
    if (lambda > 0) Z = -Z;
    double Psi = 0.0, Phi = 0.0;
    if (fabs(Z) <= 0.6) {
        double phi[BT_N];
        beta_temme_phi(tau, phi);
        double ik = 1.0;
        for (int k = 0, len = BT_N; k < BT_K && len > 2; k++, len -= 2) {
            double gk = 0.0; /* g_k(Z) = sum_j f_k[j + 1] Z^j */
            for (int j = len - 2; j >= 0; j--) gk = gk * Z + phi[j + 1];
            double tp = ik * gk, tf = ik * phi[0];
            Psi += tp;
            Phi += tf;
            if (fabs(tp) <= 1e-18 * fabs(Psi) && fabs(tf) <= 1e-18 * Phi) break;
            for (int j = 0; j + 2 < len; j++) phi[j] = (j + 1) * phi[j + 2]; /* f_{k+1}[j] = (j+1) f_k[j+2] */
            ik *= inv;
        }
    } else {
        double xy = x * y, s = tau / ((1.0 + tau) * (1.0 + tau));
        double f1 = -Z * xy / (s * V * V * V) + 1.0 / (Z * Z);
        /* f_1(0) = f[2] = d_2^2 - d_3 from the series' first terms: with gamma_3, gamma_4 above,
         * d_2 = -gamma_3 and d_3 = 5 gamma_3^2 / 2 - gamma_4 (reversion of Z = V + gamma_3 V^2
         * + (gamma_4 - gamma_3^2 / 2) V^3 + ...) */
        double g3 = (tau * tau - 1.0) / (3.0 * (1.0 + tau)), g4 = (1.0 + tau * tau * tau) / (4.0 * (1.0 + tau));
        double d2 = -g3, d3 = 2.5 * g3 * g3 - g4;
        double f10 = d2 * d2 - d3;
        Psi = (1.0 / V - 1.0 / Z) + inv * (f1 - f10) / Z;
        Phi = 1.0 + inv * f10;
    }
    double rt = LMP_SQRT_2PI * sqrt(a) * sqrt(1.0 + tau); /* sqrt(2 pi R) */
    double corr = Psi / (rt * Phi);
    if (lambda > 0) corr = -corr; /* I = erfc(..)/2 - e^-dev corr; 1 - I = erfc/2 + e^-dev corr above */
    /* x (1 - x) f(x) = A e^-dev, A = sqrt(s r / (2 pi)) / Phi = sqrt(a / (1 + tau) / (2 pi)) / Phi */
    double A = sqrt(a / (1.0 + tau)) / (LMP_SQRT_2PI * Phi);
    double B = erfcx_half(dev) + corr; /* tail = e^-dev B */
    if (dl) *dl = A / B;
    if (lg) return -dev + log(B);
    return erfc_sqrt_half(dev) + exp(-dev) * corr;
}

/* I_x(a, b) (lower = 1) or 1 - I_x(a, b) (lower = 0), DiDonato & Morris's (1992) choice of frame and method:
 *  - min(a, b) <= 1: the frame with x0 = min(x, 1 - x) <= 1/2 (a0, b0 swapped with it); the series when
 *    b0 <= 1 or b0 x0 <= 0.7, the series of the mirrored frame when x0 >= 0.29 (there y0 <= 0.71 and it
 *    converges geometrically), else the continued fraction on the side of the mean;
 *  - both > 1: the side of the mean (lambda = a - (a+b) x >= 0, from the exact variable), the series when
 *    b x <= 0.7, else the continued fraction.
 * The series gives both tails (see beta_series); elsewhere the other tail is 1 minus the computed one, which
 * is the smaller. */
static double beta_inc_impl(double a, double b, double x, int lower)
{
    if (isnan(a) || isnan(b) || isnan(x) || a <= 0 || b <= 0 || x < 0 || x > 1) return NAN;
    if (x == 0) return lower ? 0.0 : 1.0;
    if (x == 1) return lower ? 1.0 : 0.0;
    double y = 1.0 - x;
    double lambda = beta_lambda(a, b, x, y);
    double lo, up;
    int swap;
    if (fmin(a, b) <= 1.0) {
        swap = x > 0.5;
        double a0 = swap ? b : a, b0 = swap ? a : b, x0 = swap ? y : x, y0 = swap ? x : y;
        if (b0 <= 1.0 || b0 * x0 <= 0.7) beta_series(a0, b0, x0, y0, &lo, &up);
        else if (x0 >= 0.29) beta_series(b0, a0, y0, x0, &up, &lo);
        else if (b0 >= 15.0) {
            /* a0 <= 1 < b0 here: the upper tail, the smaller one (P(a0, b0 x0) >= P(1, 0.7) = 0.5) */
            up = beta_grat(b0, a0, y0, x0);
            lo = 1.0 - up;
        } else {
            double l0 = swap ? -lambda : lambda;
            if (l0 >= 0) {
                lo = beta_front_cf(a0, b0, x0, y0, l0);
                up = 1.0 - lo;
            } else {
                up = beta_front_cf(b0, a0, y0, x0, -l0);
                lo = 1.0 - up;
            }
        }
    } else if (fmin(a, b) >= BETA_TEMME_MIN) {
        /* the frame a <= b, mirrored (I_x(a, b) = 1 - I_y(b, a), lambda -> -lambda) if need be; the tail on
         * x's side is computed, the other as 1 minus it */
        swap = a > b;
        double l0 = swap ? -lambda : lambda;
        double t = swap ? beta_temme(b, a, y, x, l0, 0, NULL) : beta_temme(a, b, x, y, l0, 0, NULL);
        lo = l0 > 0 ? t : 1.0 - t;
        up = l0 > 0 ? 1.0 - t : t;
    } else {
        swap = lambda < 0;
        double a0 = swap ? b : a, b0 = swap ? a : b, x0 = swap ? y : x, y0 = swap ? x : y;
        if (b0 * x0 <= 0.7) beta_series(a0, b0, x0, y0, &lo, &up);
        else {
            lo = beta_front_cf(a0, b0, x0, y0, fabs(lambda));
            up = 1.0 - lo;
        }
    }
    if (swap) {
        double t = lo;
        lo = up;
        up = t;
    }
    return lower ? lo : up;
}

double lmp_sf_beta_inc(double a, double b, double x) { return beta_inc_impl(a, b, x, 1); }
double lmp_sf_beta_inc_upper(double a, double b, double x) { return beta_inc_impl(a, b, x, 0); }

/* ---- incomplete gamma ------------------------------------------------------------ */

/* lgamma(1 + a) for |a| <= 1/2 by its Taylor series (A&S 6.1.33),
 *   lgamma(1 + a) = -gamma a + sum_{k>=2} (-1)^k zeta(k) a^k / k
 *                 = -gamma a + (a - log1p(a)) + sum_{k>=2} (-1)^k (zeta(k) - 1) a^k / k,
 * which keeps the relative precision of a tiny a that lgamma(1 + a) would round away in 1 + a. */
static double lgamma1p_small(double a)
{
    static const double zm1[40] = {   /* zeta(k) - 1, k = 2..41 (mpmath) */
        0.64493406684822641, 0.20205690315959429, 0.082323233711138186, 0.036927755143369927,
        0.01734306198444914, 0.0083492773819228271, 0.0040773561979443396, 0.0020083928260822143,
        0.00099457512781808526, 0.00049418860411946453, 0.00024608655330804832, 0.00012271334757848915,
        6.1248135058704828e-05, 3.0588236307020493e-05, 1.5282259408651871e-05, 7.6371976378997626e-06,
        3.8172932649998402e-06, 1.908212716553939e-06, 9.5396203387279621e-07, 4.7693298678780645e-07,
        2.38450502727733e-07, 1.1921992596531106e-07, 5.960818905125948e-08, 2.9803503514652279e-08,
        1.4901554828365043e-08, 7.4507117898354301e-09, 3.7253340247884573e-09, 1.8626597235130491e-09,
        9.3132743241966817e-10, 4.6566290650337837e-10, 2.3283118336765053e-10, 1.1641550172700519e-10,
        5.8207720879027015e-11, 2.9103850444971e-11, 1.4551921891041985e-11, 7.2759598350574818e-12,
        3.6379795473786509e-12, 1.8189896503070661e-12, 9.0949478402638884e-13, 4.5474737830421542e-13};
    double sum = 0.0, ak = -a;
    for (int k = 2; k < 42; k++) {
        ak *= -a;                                   /* (-1)^k a^k */
        double t = zm1[k - 2] * ak / k;
        sum += t;
        if (fabs(t) < 1e-18 * fabs(a)) break;
    }
    return -0.57721566490153286061 * a + (a - log1p(a)) + sum;
}

double lmp_lgamma1p_(double a)
{
    if (fabs(a) <= 0.5) return lgamma1p_small(a);
    int sign;
    return lgamma_r(1.0 + a, &sign);
}

double lmp_dpois_raw_(double k, double x)
{
    if (x == 0) return k == 0 ? 1.0 : 0.0;
    if (k == 0) return exp(-x);
    if (k < 1) return exp(k * log(x) - x - lmp_lgamma1p_(k));
    if (k <= 200 && k == floor(k) && x <= 0.25 * k) {
        /* x^k / k! as a product: exp of Loader's log form carries an absolute error of u |log f|, which
         * is 690 ulps of a Poisson tail of 1e-300 at a tiny rate (where the result's condition number
         * is k); k roundings here. The partial products stay in range whenever the result does. */
        double p = 1.0;
        for (double i = 1; i <= k; i++) p *= x / i;
        return p * exp(-x);
    }
    if (x < INFINITY) {
        /* exp(-delta(k) - bd0(k, x)) / sqrt(2 pi k): only the deviance goes through exp, and it is ~0 near
         * the mean. The log form's -log(2 pi k) / 2 there carries an absolute rounding of u log(k) / 2 into
         * the exponent: 3.2e-14 of pmf(1e300; 1e300) = 3.99e-151, 1.7e-15 at 9e18; now a few ulps. Where
         * the exponent is below -700 the result is near the subnormals anyway: the log form. */
        double e = -lmp_stirlerr_(k) - lmp_bd0_(k, x);
        if (e > -700) return exp(e) / (LMP_SQRT_2PI * sqrt(k));
    }
    return exp(lmp_log_dpois_raw_(k, x));
}

/* sum_{n>=0} x^n / ((a+1)...(a+n)): P(a, x) = x^a e^-x / Gamma(a+1) * this (A&S 6.5.29); every term > 0. */
static double gamma_series_sum(double a, double x)
{
    double sum = 1.0, term = 1.0, ap = a;
    for (int n = 1; n < 100000; n++) {
        ap += 1.0;
        term *= x / ap;
        sum += term;
        if (term < sum * 1e-17) break;
    }
    return sum;
}

/* Q(a, x) by the Legendre continued fraction (A&S 6.5.31), modified Lentz:
 * Q = x^a e^-x / Gamma(a) * 1/(x+1-a- 1(1-a)/(x+3-a- 2(2-a)/(x+5-a- ...))).
 * gamma_cf_frac is the fraction times a, Q / (x^a e^-x / Gamma(a + 1)): finite where Q underflows. */
static double gamma_cf_frac(double a, double x)
{
    const double tiny = 1e-300;
    double b = x + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;
    for (int i = 1; i < 100000; i++) {
        double an = -i * (i - a);
        b += 2.0;
        d = an * d + b;
        if (fabs(d) < tiny) d = tiny;
        c = b + an / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < 1e-16) break;
    }
    return a * h;   /* x^a e^-x / Gamma(a) = a x^a e^-x / Gamma(a + 1) */
}

static double gamma_cf(double a, double x) { return lmp_dpois_raw_(a, x) * gamma_cf_frac(a, x); }

/* Q(a, x) for a < 1 and x <= 1 (DiDonato & Morris 1986, sec. 3): with gamma(a, x) = sum_n (-1)^n
 * x^(a+n) / (n! (a+n)),
 *   Q = [(Gamma(1+a) - 1) - (x^a - 1) - a x^a S] / Gamma(1+a),  S = sum_{n>=1} (-1)^n x^n / (n! (a+n)),
 * three terms of size O(a) each computed to their relative precision (expm1, the series above), where
 * 1 - P loses all of Q ~ a E1(x) when a is tiny. */
static double gamma_q_small_a(double a, double x)
{
    double S = 0.0, t = 1.0;
    for (int n = 1; n < 100; n++) {
        t *= -x / n;
        double term = t / (a + n);
        S += term;
        if (fabs(term) < 1e-17 * fabs(S)) break;
    }
    double lg = lmp_lgamma1p_(a);
    double xa1 = expm1(a * log(x));
    return (expm1(lg) - xa1 - a * (xa1 + 1.0) * S) / exp(lg);
}

#include "temme_tables.h"

/* Temme's uniform asymptotic expansion (Temme 1979; DLMF 8.12.4, 8.12.8): with a eta^2 / 2 =
 * a (lambda - 1 - log lambda) = bd0(a, x) (Loader's deviance: no cancellation near x = a),
 *   Q = erfc(eta sqrt(a/2)) / 2 + R,  P = erfc(-eta sqrt(a/2)) / 2 - R,
 *   R = exp(-bd0(a, x)) / sqrt(2 pi a) * sum_k c_k(eta) / a^k,
 * c_k from the Taylor tables of gen_temme.py. Used for a >= 20, |x/a - 1| <= 0.4, where the series and
 * the continued fraction need O(sqrt(a)) terms (a million at a = 1e12) and lose as many roundings.
 * temme_sum returns bd0(a, x) and the sum; the tail on the side of x (P below a, Q above) is
 * erfc(sqrt(bd0)) / 2 -+ R, the smaller one, the other is 1 minus it. */
static double temme_sum(double a, double x, double *dev)
{
    *dev = lmp_bd0_(a, x);
    double eta = sqrt(2.0 * *dev / a);
    if (x < a) eta = -eta;
    double sum = 0.0, ak = 1.0;
    for (int k = 0; k < TEMME_K; k++) {
        double ck = 0.0;
        for (int n = TEMME_N - 1; n >= 0; n--) ck = ck * eta + temme_d[k][n];
        double t = ck * ak;
        sum += t;
        if (fabs(t) < 1e-18 * fabs(sum)) break;
        ak /= a;
    }
    return sum;
}

static double gamma_temme(double a, double x, int lower)
{
    double dev, sum = temme_sum(a, x, &dev);
    double R = exp(-dev) / (LMP_SQRT_2PI * sqrt(a)) * sum;   /* 2 pi a would overflow past 2.9e307 */
    double z = sqrt(dev);
    if (x < a) {
        double P = 0.5 * erfc(z) - R;
        return lower ? P : 1.0 - P;
    }
    double Q = 0.5 * erfc(z) + R;
    return lower ? 1.0 - Q : Q;
}

/* The log of the smaller tail (P for x < a, Q for x > a) in Temme's region, also where it underflows:
 *   tail = e^-bd0 [erfcx(z) / 2 -+ sum / sqrt(2 pi a)],  z = sqrt(bd0), erfcx(z) = e^(z^2) erfc(z),
 * the bracket ~ 1 / ((lambda - 1) sqrt(2 pi a)) (the 1/eta of erfcx and of c_0 = 1/(lambda-1) - 1/eta
 * cancel between the two terms, the rest does not), so log tail = -bd0 + log(bracket) with no
 * exponential that could overflow (erfcx_half); returned: log(bracket), and bd0 through *devp. For a = 1e18 the power series that took over where the tail underflows needs 1e7
 * terms at x = a (1 - 5e-8) and stopped at 1e5: a log tail off by thousands, and a quantile that
 * crawled (shape 1e18: 0.99999995 of the answer, where its cdf is 0). */
static double gamma_temme_log(double a, double x, double *devp)
{
    double dev, sum = temme_sum(a, x, &dev), ex;
    *devp = dev;
    ex = erfcx_half(dev);
    double r = sum / (LMP_SQRT_2PI * sqrt(a));
    return log(x < a ? ex - r : ex + r);
}

static double gamma_inc_impl(double a, double x, int lower)
{
    if (isnan(a) || isnan(x) || a <= 0 || x < 0) return NAN;
    if (x == 0) return lower ? 0.0 : 1.0;
    if (x == INFINITY) return lower ? 1.0 : 0.0;
    if (a == INFINITY) return lower ? 0.0 : 1.0;
    if (a >= 20.0 && fabs(x - a) <= 0.4 * a) return gamma_temme(a, x, lower);
    if (a < 1.0 && x <= 1.0) {
        if (lower) return lmp_dpois_raw_(a, x) * gamma_series_sum(a, x);
        return gamma_q_small_a(a, x);
    }
    if (x < a + 1.0) {
        double v = lmp_dpois_raw_(a, x) * gamma_series_sum(a, x);
        return lower ? v : 1.0 - v;
    }
    double v = gamma_cf(a, x);
    return lower ? 1.0 - v : v;
}

double lmp_sf_gamma_inc(double a, double x) { return gamma_inc_impl(a, x, 1); }
double lmp_sf_gamma_inc_upper(double a, double x) { return gamma_inc_impl(a, x, 0); }

/* ---- quantiles: the log of a tail, solved by Newton ------------------------------------ */

/* log P(k, x) (lower) or log Q(k, x) and its derivative in log x, +-x f(x) / tail. Where the tail is
 * below 1e-300 (a quantile near the bottom of the double range) it is taken in log form, the prefactor
 * as Loader's log: its absolute error u |log f| moves the root by u |log x|, within the quantile's own
 * condition number in the shape (~ |log x|). */
double lmp_gamma_log_tail_(double k, double x, int lower, double *dlog)
{
    double v = gamma_inc_impl(k, x, lower), lv, lr;
    double ld = lmp_log_dpois_raw_(k, x); /* log x^k e^-x / Gamma(k + 1) */
    /* lr = ld - lv = log(x f(x) / (k tail)), taken apart from lv where the tail underflows: there lv is
     * huge (-5e17 at x = 5e17), and ld - lv of the two rounded logs would be off by its ulps (64), the
     * derivative by e^64 */
    if (v > 1e-300) {
        lv = log(v);
        lr = ld - lv;
    } else if (k >= 20.0 && fabs(x - k) <= 0.4 * k) {
        /* Temme's region, the smaller tail (v's): lv = -bd0 + log B, ld = -delta(k) - bd0 - log(2 pi k) / 2 */
        double dev, lb = gamma_temme_log(k, x, &dev);
        lv = lb - dev;
        lr = -lmp_stirlerr_(k) - 0.5 * (LMP_LN_2PI + log(k)) - lb;
    } else if (lower) {
        lr = -log(gamma_series_sum(k, x));
        lv = ld - lr;
    } else {
        /* the continued fraction's value without its prefactor (which may underflow) */
        double h = gamma_cf_frac(k, x);
        lr = isfinite(h) && h > 0 ? -log(h) : INFINITY;
        lv = ld - lr;
    }
    double d = k * exp(lr); /* x f(x) / tail, f = x^(k-1) e^-x / Gamma(k) */
    *dlog = lower ? d : -d;
    return lv;
}

/* log I_x(a, b) and its derivative in u = log(x / (1 - x)): x (1 - x) f(x) / I = a front / I. */
/* log I_x(a, b) below the mean where it underflows is the front (Loader's log form) times the series or the
 * continued fraction: this returns the log of that factor, tail / front. */
static double beta_log_lower_ratio(double a, double b, double x, double y)
{
    double lambda = beta_lambda(a, b, x, y);
    if (x <= 0.7 && (b <= 1.0 || b * x <= 0.7)) {
        double sum = 0.0, c = 1.0;
        for (int j = 1; j < 100000; j++) {
            c *= (1.0 - b / j) * x;
            double w = c / (a + j);
            sum += w;
            if (fabs(w) <= 1e-17 * fabs(sum) || c == 0) break;
        }
        return -b * log_of(y, x) + log1p(a * sum);
    }
    return log(beta_cf(a, b, x, y, lambda));
}

/* log(r / target) for positive doubles, through their binary exponents: r = mr 2^er, target = mt 2^et,
 * log(mr / mt) + (er - et) log 2. Near r = target, mr / mt is one rounding from the exact ratio and er - et is
 * -1, 0 or 1, so the result is good to a few u absolutely whatever the size of r: log r - log target keeps only
 * the absolute precision of log target (its ulp is 1.1e-13 at target = 5e-228), a relative 1.1e-13 of the tail. */
static double log_ratio(double r, double target)
{
    int er, et;
    double mr = frexp(r, &er), mt = frexp(target, &et);
    return log(mr / mt) + (double)(er - et) * 0.693147180559945309417232121458;
}

double lmp_beta_log_tail_(double a, double b, double x, int lower, double target, double *dlog)
{
    if (isnan(x)) return *dlog = NAN;
    double y = 1.0 - x;
    if (fmin(a, b) >= BETA_TEMME_MIN && x > 0 && x < 1) {
        /* Temme's expansion in log form (the smaller tail, on x's side, in the frame a <= b), and the
         * derivative x (1 - x) f / tail from it, not from a difference of two huge logs */
        double lambda = beta_lambda(a, b, x, y), D;
        int sw = a > b;
        double l0 = sw ? -lambda : lambda;
        double ls = sw ? beta_temme(b, a, y, x, l0, 1, &D) : beta_temme(a, b, x, y, l0, 1, &D), lv = ls;
        if (((l0 > 0) != sw) != lower) { /* asked for the larger tail: 1 minus the smaller */
            double t = exp(ls);
            lv = log1p(-t);
            D *= t / (1.0 - t);
        }
        *dlog = lower ? D : -D;
        return lv - log(target);
    }
    /* The tail over the target, not log tail - log target: a tiny b makes I_x(a, b) = b B_x(a, b) (1 + O(b))
     * (B_x(a, 0) = the integral of t^(a-1) / (1 - t) from 0 to x, finite below 1), and a tiny a the upper tail
     * likewise, so that the quantile of p = 5.4e-228 at b = 1.4e-230 is conditioned like p / b = 373, not like
     * log p = -523 (kappa 0.74): the difference of the two logs resolved I only to 1.1e-13 (seeds 45 to 50) */
    double v = beta_inc_impl(a, b, x, lower), g;
    double ldb = lmp_log_dbinom_raw_(a, b, x, y); /* x^a y^b / (a B(a, b)) = dbinom_raw(a, b, x, y) b / (a + b) */
    double lfront = ldb + log(b / (a + b)), lr;
    /* lr = log(tail / front), apart from the log of the tail where the tail underflows (the log of the tail and
     * lfront are then huge and their difference would keep only their absolute precision) */
    if (v > 1e-300) {
        lr = log(v) - lfront;
        g = log_ratio(v, target);
    } else {
        /* the front's factor b / (a + b) (a / (a + b) for the upper tail, with lr's a / b) over the target as
         * above; the rest, dbinom_raw times the series or fraction, is a modest number for a tiny b near 1 */
        double lc = lower ? beta_log_lower_ratio(a, b, x, y) : beta_log_lower_ratio(b, a, y, x);
        lr = lower ? lc : lc + log(a / b);
        g = ldb + lc + log_ratio((lower ? b : a) / (a + b), target);
    }
    double d = a * exp(-lr); /* x (1 - x) f(x) / tail = a front / tail */
    *dlog = lower ? d : -d;
    return g;
}

double lmp_solve_log_tail_(double (*logtail)(double t, const double *par, double *dlog), const double *par,
                           double log_target, double t, int increasing)
{
    /* Newton on g(t) = log tail(t) - log target, kept inside a bracket [lo, hi] that it narrows; a step
     * that leaves the bracket (or a tail that under- or overflows) is replaced by bisection, or by a
     * doubling step while one side is still open. Stops when a step is below 2 u (t is a log, or a logit:
     * a relative step of x), or stalls. */
    double lo = -INFINITY, hi = INFINITY, prev = INFINITY;
    double open_step = 1.0;
    for (int it = 0; it < 400; it++) {
        double d, g = logtail(t, par, &d) - log_target;
        if (g == 0) return t;
        int below = increasing ? g < 0 : g > 0; /* the root is above t */
        if (!isnan(g)) {
            if (below) lo = t;
            else hi = t;
        }
        double tn = t - g / d;
        /* converged: a step below the resolution of t, which may round tn onto t (= lo or hi) and
         * would otherwise be taken for a step out of the bracket (k = 1e20: t = 46.05 went to 44.05) */
        if (isfinite(g) && isfinite(d) && d != 0 && fabs(tn - t) <= 2 * DBL_EPSILON * fmax(1.0, fabs(t))) return tn;
        /* Newton that crawls, a step not below half the one before (far above an upper quantile
         * log Q ~ -e^t, whose Newton steps are 1 each: 480 of them from t = 479), is replaced by
         * bisection too once the bracket is closed (the safeguard of Numerical Recipes' rtsafe) */
        int crawl = isfinite(lo) && isfinite(hi) && fabs(tn - t) > 0.5 * prev;
        if (!isfinite(g) || !isfinite(tn) || !(tn > lo && tn < hi) || crawl) {
            if (isfinite(lo) && isfinite(hi)) tn = 0.5 * (lo + hi);
            else if (isfinite(lo)) tn = lo + (open_step *= 2);
            else tn = hi - (open_step *= 2);
        }
        double step = fabs(tn - t);
        if (step <= 2 * DBL_EPSILON * fmax(1.0, fabs(t)) || tn == lo || tn == hi) return tn;
        if (it > 8 && step >= prev && isfinite(lo) && isfinite(hi) && hi - lo <= 64 * DBL_EPSILON * fmax(1.0, fabs(t)))
            return tn;
        prev = step;
        t = tn;
    }
    return t;
}

double lmp_polish_quantile_(double (*logtail)(double x, const double *par, double *dlog), const double *par,
                            double log_target, double x, int logit, int increasing)
{
    /* Newton in x itself: the solver's variable (log x ~ 27 for x ~ 1e12, a logit near 0 of ~ -230) is good
     * only to its own ulp, tens of ulps of x. x + (dx/dt) step, not x (1 + step): 1 + step rounds the step
     * to a multiple of u. */
    int ill = 0;
    for (int i = 0; i < 3 && x > 0 && isfinite(x) && (!logit || x < 1); i++) {
        double d, g = logtail(x, par, &d) - log_target;
        double step = -g / d; /* in log x or logit x */
        double xn = x + (logit ? x * (1.0 - x) : x) * step;
        /* a step of more than 1e-6 is the solver's to take, but for one of a few ulps of x: near 1 that is a
         * large step in the logit (1e-6 moves x = 1 - 1.7e-10 by 1.4 ulps), and 1 / (1 + e^-t) itself is an ulp
         * or two off there (beta_ppf(8.380860078893317e-153; 0.00167, 1.35e-155) stayed 2 ulps above its root) */
        if (!isfinite(step) || (fabs(step) > 1e-6 && fabs(xn - x) > 64 * DBL_EPSILON * x)) break;
        if (xn == x) break;
        /* Where the doubles are coarser than the distribution (past shapes of ~1e33 an ulp is many standard
         * deviations, 56 at a gamma shape of 8.7e34, and the tail jumps by e^1000 from one double to the
         * next) the linearisation overshoots (by 30 ulps there, by 350 from the middle of Beta(1.4e32,
         * 1.3e30)): a step of more than a few ulps is kept only if it brings the tail nearer the target,
         * and the doubles are walked below. (Smaller steps are Newton's last ones, or rounding noise.) */
        if (fabs(d) * DBL_EPSILON > 0.5 || fabs(xn - x) > 4 * DBL_EPSILON * fabs(x)) {
            double dn, gn = logtail(xn, par, &dn) - log_target;
            if (!(fabs(gn) < fabs(g))) {
                ill = 1;
                break;
            }
        }
        x = xn;
    }
    if (!ill || !(x > 0) || !isfinite(x)) return x;
    /* There the quantile's own definition decides: the smallest double whose tail reaches the target (the
     * tail computed at each double is far more precise than the jumps between them). Up while it falls
     * short, down while the double below still reaches it; a few steps from Newton's answer. */
    double d, g = logtail(x, par, &d) - log_target;
    for (int i = 0; i < 64 && (increasing ? g < 0 : g > 0); i++) {
        double xn = nextafter(x, INFINITY);
        if (!isfinite(xn) || (logit && xn >= 1)) break;
        x = xn;
        g = logtail(x, par, &d) - log_target;
    }
    for (int i = 0; i < 64; i++) {
        double xp = nextafter(x, 0.0);
        if (!(xp > 0)) break;
        double gp = logtail(xp, par, &d) - log_target;
        if (!(increasing ? gp >= 0 : gp <= 0)) break;
        x = xp;
    }
    return x;
}

double lmp_discrete_quantile_(double (*cdf)(double k, const void *ctx), const void *ctx, double q, double guess,
                              double kmax)
{
    /* Bracket between lo (cdf(lo) < q; -1 stands for "below 0", cdf 0 < q) and hi (cdf(hi) >= q), outwards
     * from the guess by doubling steps that start at an ulp of it (k += 1 stops moving past 2^53: a Poisson
     * lambda of 1e16 or a binomial n of 1e17 never returned), then bisect the whole doubles between them. At
     * most ~1100 doublings and ~1100 bisections even from the ends of the double range; from a good guess, a
     * handful. Past 2^53 the answer is the true quantile rounded up to the next double (the integers between
     * are not doubles). */
    double g = isfinite(guess) ? fmin(fmax(guess, 0.0), kmax) : (guess > 0 ? kmax : 0.0);
    double s = fmax(1.0, floor(g * DBL_EPSILON)), lo, hi;
    if (cdf(g, ctx) >= q) {
        hi = g;
        for (;;) {
            lo = hi - s >= 0 ? hi - s : -1.0;
            if (lo < 0 || cdf(lo, ctx) < q) break;
            hi = lo;
            s *= 2;
        }
    } else {
        lo = g;
        for (;;) {
            if (lo == kmax) return INFINITY; /* cdf(kmax) < q: beyond kmax */
            hi = fmin(lo + s, kmax);
            if (cdf(hi, ctx) >= q) break;
            lo = hi;
            s *= 2;
        }
    }
    for (int it = 0; it < 2200 && lmp_next_whole_(lo) < hi; it++) {
        double mid = lo < 0 ? floor(0.5 * hi) : floor(lo + 0.5 * (hi - lo));
        if (!(mid > lo && mid < hi)) mid = lo < 0 ? 0.0 : lmp_next_whole_(lo);
        if (cdf(mid, ctx) >= q) hi = mid;
        else lo = mid;
    }
    return hi;
}
