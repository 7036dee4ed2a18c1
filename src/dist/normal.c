/* The normal distribution N(mu, sigma^2).
 *
 * cdf/sf: Phi(z) = erfc(-z / sqrt 2) / 2, with the rounding of z / sqrt 2
 * corrected: erfc(t + e) ~ erfc(t) exp(-2 t e) for the small error e of the
 * rounded product (found exactly with fma), so the relative error stays a few
 * ulps even at z = -37.5 where Phi ~ 5e-308 (and subnormal below).
 * logcdf: for z < -20 the asymptotic series (A&S 26.2.12)
 *   Phi(z) = phi(z) / |z| * (1 - 1/z^2 + 3/z^4 - 15/z^6 + ...),
 * which is exact to double precision there; log(Phi) otherwise, and
 * log1p(-sf) for z > 0.
 * quantile: M. J. Wichura, "Algorithm AS 241: The percentage points of the
 * normal distribution", Applied Statistics 37(3), 1988 (PPND16, ~1e-16),
 * refined by one Newton step in log space in the far tails. */
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

double lmp_normal_logpdf(double x, double mu, double sigma)
{
    if (bad(mu, sigma) || isnan(x)) return NAN;
    double z = (x - mu) / sigma;
    return -0.5 * z * z - LMP_LN_SQRT_2PI - log(sigma);
}

double lmp_normal_pdf(double x, double mu, double sigma)
{
    if (bad(mu, sigma) || isnan(x)) return NAN;
    double z = (x - mu) / sigma;
    return exp(-0.5 * z * z) / (sigma * 2.50662827463100050242);
}

/* Phi(z) for the standard normal, accurate in the lower tail. */
static double std_cdf(double z)
{
    if (isnan(z)) return z;
    if (z > 8.3) return 1.0 - 0.5 * erfc(z * M_SQRT1_2);   /* sf < 5.2e-17: Phi rounds to 1 - sf */
    if (z > -1.0) return 0.5 * erfc(-z * M_SQRT1_2);
    if (z < -40.0) return 0.0;                               /* below the smallest subnormal */
    /* t = -z / sqrt 2, with its rounding error e: t_exact = t + e. */
    const double s_hi = M_SQRT1_2, s_lo = -4.833646656726457e-17; /* sqrt(1/2) = s_hi + s_lo */
    double t = -z * s_hi;
    double e = fma(-z, s_hi, -t) + (-z) * s_lo;
    return 0.5 * erfc(t) * exp(-2.0 * t * e);
}

double lmp_normal_cdf(double x, double mu, double sigma)
{
    if (bad(mu, sigma) || isnan(x)) return NAN;
    return std_cdf((x - mu) / sigma);
}

double lmp_normal_sf(double x, double mu, double sigma)
{
    if (bad(mu, sigma) || isnan(x)) return NAN;
    return std_cdf(-(x - mu) / sigma);
}

/* log Phi(z). */
static double std_logcdf(double z)
{
    if (isnan(z)) return z;
    if (z > 0) return log1p(-std_cdf(-z));
    if (z > -20.0) return log(std_cdf(z));
    if (z == -INFINITY) return -INFINITY;
    /* Asymptotic series; terms (2k-1)!! / z^2k keep shrinking for k < z^2/2 > 200. */
    double z2 = z * z, term = 1.0, sum = 1.0;
    for (int k = 1; k < 60; k++) {
        term *= -(2.0 * k - 1.0) / z2;
        double s1 = sum + term;
        if (s1 == sum) break;
        sum = s1;
    }
    return -0.5 * z2 - LMP_LN_SQRT_2PI - log(-z) + log(sum);
}

double lmp_normal_logcdf(double x, double mu, double sigma)
{
    if (bad(mu, sigma) || isnan(x)) return NAN;
    return std_logcdf((x - mu) / sigma);
}

double lmp_normal_logsf(double x, double mu, double sigma)
{
    if (bad(mu, sigma) || isnan(x)) return NAN;
    return std_logcdf(-(x - mu) / sigma);
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
    return mu + sigma * z;
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
    if (!isfinite(mu) || !(sigma >= 0) || !isfinite(sigma)) {
        for (size_t i = 0; i < n; i++) out[i] = NAN;
        return;
    }
    for (size_t i = 0; i < n; i++) out[i] = mu + sigma * lmp_rng_normal(r);
}
