/* Uniform(lo, hi), Laplace(mu, b) and exponential(rate): closed forms.
 * Tails use log1p / expm1 so that cdf and sf each keep their relative
 * precision (sf(x) = exp(-rate x) directly, never 1 - cdf). */
#include <float.h>
#include <math.h>

#include "internal.h"

/* ---- uniform ------------------------------------------------------------------------ */

static int bad_u(double lo, double hi) { return !isfinite(lo) || !isfinite(hi) || !(lo < hi); }

lmp_status lmp_uniform_check(double lo, double hi, lmp_error *err)
{
    if (!isfinite(lo)) return lmp_error_set(err, LMP_EINVAL, "lo = %g: expected a finite number", lo);
    if (!isfinite(hi)) return lmp_error_set(err, LMP_EINVAL, "hi = %g: expected a finite number", hi);
    if (!(lo < hi)) return lmp_error_set(err, LMP_EINVAL, "lo = %g, hi = %g: expected lo < hi", lo, hi);
    return LMP_OK;
}

/* Where hi - lo overflows (lo = -1e308, hi = 1e308: cdf(0) was 0, the quantile, mean and draws inf) each
 * formula is taken at half scale, x/2 - lo/2 and hi/2 - lo/2 (exact halvings in that range); elsewhere the
 * plain forms, so that the draws stay numpy's, lo + (hi - lo) u. */
static int wide(double lo, double hi) { return !isfinite(hi - lo); }

double lmp_uniform_pdf(double x, double lo, double hi)
{
    if (bad_u(lo, hi) || isnan(x)) return NAN;
    if (!(x >= lo && x <= hi)) return 0.0;
    return wide(lo, hi) ? 0.5 / (0.5 * hi - 0.5 * lo) : 1.0 / (hi - lo);
}

double lmp_uniform_logpdf(double x, double lo, double hi)
{
    if (bad_u(lo, hi) || isnan(x)) return NAN;
    if (!(x >= lo && x <= hi)) return -INFINITY;
    return wide(lo, hi) ? -(log(0.5 * hi - 0.5 * lo) + M_LN2) : -log(hi - lo);
}

double lmp_uniform_cdf(double x, double lo, double hi)
{
    if (bad_u(lo, hi) || isnan(x)) return NAN;
    if (x <= lo || x >= hi) return x <= lo ? 0.0 : 1.0;
    return wide(lo, hi) ? (0.5 * x - 0.5 * lo) / (0.5 * hi - 0.5 * lo) : (x - lo) / (hi - lo);
}

double lmp_uniform_sf(double x, double lo, double hi)
{
    if (bad_u(lo, hi) || isnan(x)) return NAN;
    if (x <= lo || x >= hi) return x <= lo ? 1.0 : 0.0;
    return wide(lo, hi) ? (0.5 * hi - 0.5 * x) / (0.5 * hi - 0.5 * lo) : (hi - x) / (hi - lo);
}

double lmp_uniform_quantile(double p, double lo, double hi)
{
    if (bad_u(lo, hi) || !(p >= 0 && p <= 1)) return NAN;
    if (wide(lo, hi)) {
        double w = 0.5 * hi - 0.5 * lo;
        return 2.0 * (p <= 0.5 ? 0.5 * lo + p * w : 0.5 * hi - (1.0 - p) * w);
    }
    return p <= 0.5 ? lo + p * (hi - lo) : hi - (1.0 - p) * (hi - lo);
}

double lmp_uniform_mean(double lo, double hi)
{
    if (bad_u(lo, hi)) return NAN;
    return wide(lo, hi) ? 0.5 * lo + 0.5 * hi : lo + 0.5 * (hi - lo);
}
/* (hi - lo)^2 / 12: beyond the doubles (inf) where hi - lo overflows, as it is */
double lmp_uniform_var(double lo, double hi)
{
    if (bad_u(lo, hi)) return NAN;
    /* d^2 / 12, or d (d / 12) where d^2 alone overflows (hi - lo = 2e154: 3.3e307, it was inf) */
    const double d = hi - lo, v = d * d / 12.0;
    return isfinite(v) ? v : d * (d / 12.0);
}

double lmp_uniform_sample(lmp_rng *r, double lo, double hi)
{
    if (!isfinite(lo) || !isfinite(hi)) return NAN;
    double range = hi - lo;   /* numpy: low + (high - low) * random_sample() */
    if (!isfinite(range)) return 2.0 * (0.5 * lo + (0.5 * hi - 0.5 * lo) * lmp_rng_uniform(r));
    return lo + range * lmp_rng_uniform(r);
}

/* ---- Laplace ------------------------------------------------------------------------ */

static int bad_l(double mu, double b) { return !isfinite(mu) || !(b > 0) || !isfinite(b); }

lmp_status lmp_laplace_check(double mu, double b, lmp_error *err)
{
    if (!isfinite(mu)) return lmp_error_set(err, LMP_EINVAL, "mu = %g: expected a finite number", mu);
    if (!(b > 0) || !isfinite(b)) return lmp_error_set(err, LMP_EINVAL, "b = %g: expected a scale b > 0 (finite)", b);
    return LMP_OK;
}

/* |x - mu| / b with the halves where x - mu overflows (x = 1e308, mu = -1e308, b = 1e308: 2, it was inf) */
static double laplace_t(double x, double mu, double b)
{
    const double d = fabs(x - mu);
    return isfinite(d) || !isfinite(x) ? d / b : (fabs(0.5 * x - 0.5 * mu)) / (0.5 * b);
}

/* log(2b), also where 2b overflows (b above DBL_MAX / 2: it was -log(inf), the logpdf -inf) */
static double laplace_log2b(double b) { return b <= 0.5 * DBL_MAX ? log(2.0 * b) : M_LN2 + log(b); }

double lmp_laplace_logpdf(double x, double mu, double b)
{
    if (bad_l(mu, b) || isnan(x)) return NAN;
    return -laplace_t(x, mu, b) - laplace_log2b(b);
}

double lmp_laplace_pdf(double x, double mu, double b)
{
    if (bad_l(mu, b) || isnan(x)) return NAN;
    /* exp(-t) / (2b) while exp(-t) is a normal double; below that (a scale of 1e-300 brings a subnormal
     * exp(-t) back to 1e-24) its few digits were scaled up, 75 % off: exp of the log then, whose absolute
     * error t u is within the density's condition number t */
    const double t = laplace_t(x, mu, b), e = exp(-t);
    /* e / 2 / b: 2b overflowed for b above DBL_MAX / 2 (the density 5e-309 of b = 1e308 was 0) */
    return e >= DBL_MIN ? 0.5 * e / b : exp(-t - laplace_log2b(b));
}

double lmp_laplace_cdf(double x, double mu, double b)
{
    if (bad_l(mu, b) || isnan(x)) return NAN;
    const double t = laplace_t(x, mu, b);
    return x <= mu ? 0.5 * exp(-t) : -0.5 * expm1(-t) + 0.5;
}

double lmp_laplace_sf(double x, double mu, double b)
{
    if (bad_l(mu, b) || isnan(x)) return NAN;
    const double t = laplace_t(x, mu, b);
    return x >= mu ? 0.5 * exp(-t) : -0.5 * expm1(-t) + 0.5;
}

double lmp_laplace_quantile(double p, double mu, double b)
{
    if (bad_l(mu, b) || !(p >= 0 && p <= 1)) return NAN;
    return lmp_loc_scale_(mu, b, p <= 0.5 ? log(2.0 * p) : -log(2.0 * (1.0 - p)));
}

double lmp_laplace_mean(double mu, double b) { return bad_l(mu, b) ? NAN : mu; }
double lmp_laplace_var(double mu, double b) { return bad_l(mu, b) ? NAN : 2.0 * b * b; }

double lmp_laplace_sample(lmp_rng *r, double mu, double b)
{
    if (bad_l(mu, b)) return NAN;
    double u;
    do u = lmp_rng_uniform(r);
    while (u == 0.0);
    /* Inverse cdf, each half from its own end so that neither log sees 0. numpy's random_laplace
     * (distributions.c) writes the upper half's argument 2 - u - u, which rounds where 2 - u does (an odd
     * last bit of u); 2 (1 - u) is exact. The numpy stream keeps numpy's, for its draws. */
    if (u >= 0.5) return mu - b * log(r->kind == LMP_RNG_NUMPY_LEGACY ? 2.0 - u - u : 2.0 * (1.0 - u));
    return mu + b * log(2.0 * u);
}

/* ---- exponential ------------------------------------------------------------------------ */

static int bad_e(double rate) { return !(rate > 0) || !isfinite(rate); }

lmp_status lmp_exponential_check(double rate, lmp_error *err)
{
    if (bad_e(rate)) return lmp_error_set(err, LMP_EINVAL, "rate = %g: expected a rate > 0 (finite)", rate);
    return LMP_OK;
}

double lmp_exponential_logpdf(double x, double rate)
{
    if (bad_e(rate) || isnan(x)) return NAN;
    return x < 0 ? -INFINITY : log(rate) - rate * x;
}

double lmp_exponential_pdf(double x, double rate)
{
    if (bad_e(rate) || isnan(x)) return NAN;
    if (x < 0) return 0.0;
    /* as the Laplace density: a subnormal exp(-rate x) scaled up by a rate of 1e300 kept a few digits */
    const double e = exp(-rate * x);
    return e >= DBL_MIN ? rate * e : exp(log(rate) - rate * x);
}

double lmp_exponential_cdf(double x, double rate)
{
    if (bad_e(rate) || isnan(x)) return NAN;
    return x <= 0 ? 0.0 : -expm1(-rate * x);
}

double lmp_exponential_sf(double x, double rate)
{
    if (bad_e(rate) || isnan(x)) return NAN;
    return x <= 0 ? 1.0 : exp(-rate * x);
}

double lmp_exponential_quantile(double p, double rate)
{
    if (bad_e(rate) || !(p >= 0 && p <= 1)) return NAN;
    return -log1p(-p) / rate;
}

double lmp_exponential_mean(double rate) { return bad_e(rate) ? NAN : 1.0 / rate; }
double lmp_exponential_var(double rate) { return bad_e(rate) ? NAN : 1.0 / (rate * rate); }

double lmp_exponential_sample(lmp_rng *r, double rate)
{
    if (bad_e(rate)) return NAN;
    /* numpy's exponential(scale) is scale * standard_exponential(): on its stream the scale 1 / rate is
     * rounded first, as a numpy user's exponential(1 / rate) rounds it (e / rate differed by an ulp in a
     * third to a half of the draws for rate 3); on xoshiro one rounding, e / rate */
    if (r->kind == LMP_RNG_NUMPY_LEGACY) return (1.0 / rate) * lmp_rng_exponential(r);
    return lmp_rng_exponential(r) / rate;   /* ziggurat; numpy: -log(1 - random_sample()) */
}

/* ---- von Mises draws ---------------------------------------------------------------------- */

lmp_status lmp_vonmises_sample_check(double mu, double kappa, lmp_error *err)
{
    if (!isfinite(mu)) return lmp_error_set(err, LMP_EINVAL, "mu = %g: expected a finite number", mu);
    if (!(kappa >= 0) || !isfinite(kappa))
        return lmp_error_set(err, LMP_EINVAL, "kappa = %g: expected kappa >= 0 (finite)", kappa);
    return LMP_OK;
}

/* Best & Fisher, "Efficient simulation of the von Mises distribution", Appl. Statist. 28 (1979) 152-157: a wrapped
 * Cauchy envelope of parameter rho, s = (1 + rho^2) / (2 rho), accepting W = cos(theta) by the two tests of their
 * steps 3-4, then a sign from a third uniform; numpy 1.24's random_vonmises step for step (the Taylor form s =
 * 1/kappa + kappa below kappa 1e-5, a uniform angle below 1e-8, and the angle wrapped to (-pi, pi] by fmod with
 * the sign kept). From kappa 6.0e15 on, s can round to 1, then W to 1 and Y to 0, and numpy's loop never ends:
 * where s is 1 the draw is mu + N(0, 1) / sqrt(kappa), wrapped, the normal limit, whose error in the angle
 * (O(1/kappa), 1.7e-16 there) is below the rounding of the wrapping itself (an ulp of pi, 4.4e-16). */
double lmp_vonmises_sample(lmp_rng *r, double mu, double kappa)
{
    lmp_error err;
    if (lmp_vonmises_sample_check(mu, kappa, &err) != LMP_OK) return NAN;
    const double pi = 3.14159265358979323846;
    if (kappa < 1e-8) return pi * (2 * lmp_rng_uniform(r) - 1);
    double s;
    if (kappa < 1e-5) {
        s = 1. / kappa + kappa;
    } else {
        const double rr = 1 + sqrt(1 + 4 * kappa * kappa), rho = (rr - sqrt(2 * rr)) / (2 * kappa);
        s = (1 + rho * rho) / (2 * rho);
    }
    double res;
    if (!(s > 1)) {
        res = mu + lmp_rng_normal(r) / sqrt(kappa);
    } else {
        double w;
        for (;;) {
            const double z = cos(pi * lmp_rng_uniform(r));
            w = (1 + s * z) / (s + z);
            const double y = kappa * (s - w), v = lmp_rng_uniform(r);
            /* v = 0: y >= 0 accepts by the first test, and y < 0 rejects (log of a negative is NaN) */
            if (y * (2 - y) - v >= 0 || log(y / v) + 1 - y >= 0) break;
        }
        res = acos(w);
        if (lmp_rng_uniform(r) < 0.5) res = -res;
        res += mu;
    }
    const int neg = res < 0;
    const double mod = fmod(fabs(res) + pi, 2 * pi) - pi;
    return neg ? -mod : mod;
}
