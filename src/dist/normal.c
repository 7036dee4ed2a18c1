/* The normal distribution N(mu, sigma^2).
 *
 * cdf/sf: Cody's rational approximations (see std_cdf), a few ulps relative
 * error in both tails down to Phi ~ 5e-308 (subnormal below).
 * logcdf: for z < -20 the asymptotic series (A&S 26.2.12)
 *   Phi(z) = phi(z) / |z| * (1 - 1/z^2 + 3/z^4 - 15/z^6 + ...),
 * which is exact to double precision there; log(Phi) otherwise, and
 * log1p(-sf) for z > 0.
 * quantile: M. J. Wichura, "Algorithm AS 241: The percentage points of the
 * normal distribution", Applied Statistics 37(3), 1988 (PPND16, ~1e-16),
 * refined by one Newton step in log space in the far tails. */
#include <float.h>
#include <math.h>

#include "internal.h"

lmp_status lmp_normal_check(double mu, double sigma, lmp_error *err)
{
    if (!isfinite(mu)) return lmp_error_set(err, LMP_EINVAL, "mu = %g: expected a finite number", mu);
    if (!(sigma > 0) || !isfinite(sigma))
        return lmp_error_set(err, LMP_EINVAL, "sigma = %g: expected sigma > 0 (finite)", sigma);
    return LMP_OK;
}

static int bad(double mu, double sigma) { return !isfinite(mu) || !(sigma > 0) || !isfinite(sigma); }

/* (x - mu) / sigma; the division (long latency, first in every dependency chain) is skipped
 * for the standard scale, where it is exact anyway. */
static inline double standardize(double x, double mu, double sigma)
{
    double d = x - mu;
    /* x - mu overflows (x = -1e308, mu = 1e308) while z may be 2: halves then, exactly */
    if (!isfinite(d) && isfinite(x)) return (0.5 * x - 0.5 * mu) / (0.5 * sigma);
    return sigma == 1.0 ? d : d / sigma;
}

double lmp_normal_logpdf(double x, double mu, double sigma)
{
    if (bad(mu, sigma) || isnan(x)) return NAN;
    double z = standardize(x, mu, sigma);
    return -0.5 * z * z - LMP_LN_SQRT_2PI - log(sigma);
}

double lmp_normal_pdf(double x, double mu, double sigma)
{
    if (bad(mu, sigma) || isnan(x)) return NAN;
    double z = standardize(x, mu, sigma), h = -0.5 * z * z;
    /* exp(h) below the normal range (h < -708.39): the standard density would pass through a subnormal and
     * keep only its few bits before a tiny sigma scales it back up (z = -38.5, sigma = 1.6e-226: 4.7e-323, 9
     * units of 2^-1074, a relative error of 1.5e-2). From the log instead: the exponent's rounding,
     * (|h| + |log sigma|) u, stays below kappa u, kappa >= z^2 - 1 = 2|h| - 1 > 1400 here. */
    if (h < -708.0) return exp(h - LMP_LN_SQRT_2PI - log(sigma));
    double e = exp(h);
    /* A subnormal sigma has few bits: sigma sqrt(2 pi) would round it (20% at 5e-324); 4 sigma is exact */
    if (sigma < DBL_MIN) return e / (4.0 * sigma) / LMP_SQRT_2PI * 4.0;
    double d = sigma * LMP_SQRT_2PI;
    /* sigma sqrt(2 pi) overflows from sigma = 7.2e307 while the density is a subnormal (sigma = 1e308 at
     * z = 1: 2.4e-309, it was 0): then divided one factor at a time */
    return isfinite(d) ? e / d : e / sigma / LMP_SQRT_2PI;
}

/* Phi(z) for the standard normal: W. J. Cody, "Rational Chebyshev approximations for the
 * error function", Math. Comp. 23, 1969, in the form of his ANORM (ACM TOMS Algorithm 715,
 * 1993): a rational function of z^2 for |z| <= 0.67448975, and for larger |z|
 * Phi(-|z|) = exp(-z^2/2) R(|z|) with R rational in |z| (|z| <= sqrt 32) or in 1/z^2.
 * The rational parts are good to about 1e-18; exp(-z^2/2) is evaluated with z^2 split
 * exactly into h + l (Veltkamp/Dekker), exp(-h/2) (1 - l/2), so the tail keeps a
 * relative error of a few ulps down to z = -37.5 (Phi ~ 5e-308). The upper tail is the
 * same expression at -z, never 1 - Phi. */
static double std_cdf(double z)
{
    static const double a[5] = {2.2352520354606839287, 161.02823106855587881, 1067.6894854603709582,
                                18154.981253343561249, 0.065682337918207449113};
    static const double b[4] = {47.20258190468824187, 976.09855173777669322, 10260.932208618978205,
                                45507.789335026729956};
    static const double c[9] = {0.39894151208813466764, 8.8831497943883759412, 93.506656132177855979,
                                597.27027639480026226,  2494.5375852903726711, 6848.1904505362823326,
                                11602.651437647350124,  9842.7148383839780218, 1.0765576773720192317e-8};
    static const double d[8] = {22.266688044328115691, 235.38790178262499861, 1519.377599407554805,
                                6485.558298266760755,  18615.571640885098091, 34900.952721145977266,
                                38912.003286093271411, 19685.429676859990727};
    static const double p[6] = {0.21589853405795699,     0.1274011611602473639, 0.022235277870649807,
                                0.001421619193227893466, 2.9112874951168792e-5, 0.02307344176494017303};
    static const double q[5] = {1.28426009614491121, 0.468238212480865118, 0.0659881378689285515,
                                0.00378239633202758244, 7.29751555083966205e-5};
    if (isnan(z)) return z;
    double y = fabs(z);
    /* Every coefficient is positive, so the polynomials are evaluated in Estrin's
     * order (short dependency chains) without any cancellation. */
    if (y <= 0.67448975) {
        double x2 = z * z, x4 = x2 * x2;
        double num = (a[3] + a[2] * x2) + x4 * (a[1] + a[0] * x2) + x4 * x4 * a[4];
        double den = (b[3] + b[2] * x2) + x4 * (b[1] + b[0] * x2) + x4 * x4;
        return 0.5 + z * num / den;
    }
    if (y > 38.5) return z < 0 ? 0.0 : 1.0;   /* Phi(-38.5) < 2.5e-324: rounds to 0 */
    double r;
    if (y <= 5.656854249492380195) {
        double y2 = y * y, y4 = y2 * y2;
        double num = (c[7] + c[6] * y) + y2 * (c[5] + c[4] * y) + y4 * ((c[3] + c[2] * y) + y2 * (c[1] + c[0] * y)) +
                     y4 * y4 * c[8];
        double den = (d[7] + d[6] * y) + y2 * (d[5] + d[4] * y) + y4 * ((d[3] + d[2] * y) + y2 * (d[1] + d[0] * y)) +
                     y4 * y4;
        r = num / den;
    } else {
        /* R = (1/sqrt(2 pi) - x P(x)/Q(x)) / y with x = 1/y^2; multiplied through by
         * w^5 (w = y^2) it needs a single division. */
        double w = y * y, w2 = w * w, w4 = w2 * w2;
        double num = (p[5] + p[0] * w) + w2 * (p[1] + p[2] * w) + w4 * (p[3] + p[4] * w);
        double den = (1.0 + q[0] * w) + w2 * (q[1] + q[2] * w) + w4 * (q[3] + q[4] * w);
        r = (0.398942280401432677939946059934 * w * den - num) / (w * den * y);   /* 1/sqrt(2 pi) */
    }
    /* y^2 = h + l exactly (Veltkamp split of y into 26-bit halves). */
    double t = 134217729.0 * y, yh = t - (t - y), yl = y - yh;
    double h = y * y, l = ((yh * yh - h) + 2.0 * yh * yl) + yl * yl;
    double tail = exp(-0.5 * h) * (1.0 - 0.5 * l) * r;
    return z < 0 ? tail : 1.0 - tail;
}

double lmp_normal_cdf(double x, double mu, double sigma)
{
    if (bad(mu, sigma) || isnan(x)) return NAN;
    return std_cdf(standardize(x, mu, sigma));
}

double lmp_normal_sf(double x, double mu, double sigma)
{
    if (bad(mu, sigma) || isnan(x)) return NAN;
    return std_cdf(-standardize(x, mu, sigma));
}

/* log Phi(z). */
static double std_logcdf(double z)
{
    if (isnan(z)) return z;
    if (z > 0) return log1p(-std_cdf(-z));
    if (z > -20.0) return log(std_cdf(z));
    if (z == -INFINITY) return -INFINITY;
    /* Asymptotic series; terms (2k-1)!! / z^2k keep shrinking for k < z^2/2 > 200. z^2 overflows for
     * |z| > 1.34e154 while z^2 / 2 does not up to 1.9e154 (log Phi(-1.5e154) = -1.125e308): the half is
     * taken first, and the series, 1 to double precision there, does not need z^2. */
    double z2 = z * z, term = 1.0, sum = 1.0;
    for (int k = 1; k < 60 && isfinite(z2); k++) {
        term *= -(2.0 * k - 1.0) / z2;
        double s1 = sum + term;
        if (s1 == sum) break;
        sum = s1;
    }
    return -(0.5 * z) * z - LMP_LN_SQRT_2PI - log(-z) + log(sum);
}

double lmp_normal_logcdf(double x, double mu, double sigma)
{
    if (bad(mu, sigma) || isnan(x)) return NAN;
    return std_logcdf(standardize(x, mu, sigma));
}

double lmp_normal_logsf(double x, double mu, double sigma)
{
    if (bad(mu, sigma) || isnan(x)) return NAN;
    return std_logcdf(-standardize(x, mu, sigma));
}

/* AS 241 PPND16 for 0 < p < 1. */
static double ppnd16(double p)
{
    double q = p - 0.5;
    if (fabs(q) <= 0.425) {
        double r = 0.180625 - q * q;
        return q *
               (((((((2.5090809287301226727e+3 * r + 3.3430575583588128105e+4) * r + 6.7265770927008700853e+4) * r +
                    4.5921953931549871457e+4) * r + 1.3731693765509461125e+4) * r + 1.9715909503065514427e+3) * r +
                 1.3314166789178437745e+2) * r + 3.3871328727963666080e+0) /
               (((((((5.2264952788528545610e+3 * r + 2.8729085735721942674e+4) * r + 3.9307895800092710610e+4) * r +
                    2.1213794301586595867e+4) * r + 5.3941960214247511077e+3) * r + 6.8718700749205790830e+2) * r +
                 4.2313330701600911252e+1) * r + 1.0);
    }
    double r = q < 0 ? p : 1.0 - p;
    r = sqrt(-log(r));
    double val;
    if (r <= 5.0) {
        r -= 1.6;
        val = (((((((7.74545014278341407640e-4 * r + 2.27238449892691845833e-2) * r + 2.41780725177450611770e-1) * r +
                   1.27045825245236838258e+0) * r + 3.64784832476320460504e+0) * r + 5.76949722146069140550e+0) * r +
                4.63033784615654529590e+0) * r + 1.42343711074968357734e+0) /
              (((((((1.05075007164441684324e-9 * r + 5.47593808499534494600e-4) * r + 1.51986665636164571966e-2) * r +
                   1.48103976427480074590e-1) * r + 6.89767334985100004550e-1) * r + 1.67638483018380384940e+0) * r +
                2.05319162663775882187e+0) * r + 1.0);
    } else {
        r -= 5.0;
        val = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 1.24266094738807843860e-3) * r +
                   2.65321895265761230930e-2) * r + 2.96560571828504891230e-1) * r + 1.78482653991729133580e+0) * r +
                5.46378491116411436990e+0) * r + 6.65790464350110377720e+0) /
              (((((((2.04426310338993978564e-15 * r + 1.42151175831644588870e-7) * r + 1.84631831751005468180e-5) * r +
                   7.86869131145613259100e-4) * r + 1.48753612908506148525e-2) * r + 1.36929880922735805310e-1) * r +
                5.99832206555887937690e-1) * r + 1.0);
    }
    return q < 0 ? -val : val;
}

double lmp_normal_quantile(double p, double mu, double sigma)
{
    if (bad(mu, sigma) || isnan(p) || p < 0 || p > 1) return NAN;
    if (p == 0) return -INFINITY;
    if (p == 1) return INFINITY;
    double z = ppnd16(p);
    double t = p < 0.5 ? p : 1.0 - p;
    if (t < 1e-20 && p < 0.5) {
        /* One Newton step on log Phi(z) = log p: dz = (log p - log Phi) * Phi / phi. */
        double lc = std_logcdf(z);
        double ratio = exp(lc - (-0.5 * z * z - LMP_LN_SQRT_2PI));
        z += (log(p) - lc) * ratio;
    }
    return lmp_loc_scale_(mu, sigma, z);
}

double lmp_normal_mean(double mu, double sigma) { return bad(mu, sigma) ? NAN : mu; }
double lmp_normal_var(double mu, double sigma) { return bad(mu, sigma) ? NAN : sigma * sigma; }

double lmp_normal_sample(lmp_rng *r, double mu, double sigma)
{
    if (!isfinite(mu) || !(sigma >= 0) || !isfinite(sigma)) return NAN;
    return mu + sigma * lmp_rng_normal(r);
}

void lmp_normal_sample_n(lmp_rng *r, double mu, double sigma, double *out, size_t n)
{
    if (!out) return; /* nowhere to write: nothing drawn */
    if (!isfinite(mu) || !(sigma >= 0) || !isfinite(sigma)) {
        for (size_t i = 0; i < n; i++) out[i] = NAN;
        return;
    }
    if (!r) return; /* (out, with NaN above, needs no stream) */
    lmp_rng_normal_n(r, out, n);
    if (mu != 0.0 || sigma != 1.0)
        for (size_t i = 0; i < n; i++) out[i] = mu + sigma * out[i];
}
