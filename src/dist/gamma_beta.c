/* Gamma(shape k, scale theta) and beta(a, b).
 *
 * Densities through Loader's kernel (no cancellation of large logarithms):
 *   gamma:  f(x) = k/x * x'^k e^-x' / Gamma(k+1), x' = x / theta,
 *   beta:   f(x) = (a+b-1) C(a+b-2, a-1) x^(a-1) (1-x)^(b-1)   for a, b >= 1,
 * with the direct log form elsewhere. cdf / sf are the regularised incomplete
 * gamma and beta functions (special.c); quantiles invert them by safeguarded
 * Newton (lmp_invert_cdf_), working on the smaller tail.
 * Sampling: G. Marsaglia & W. W. Tsang, "A simple method for generating gamma
 * variables", ACM TOMS 26(3), 2000: d = k - 1/3, c = 1/sqrt(9d),
 * v = (1 + c z)^3, accept d v when log u < z^2/2 + d - d v + d log v (with the
 * cheap squeeze u < 1 - 0.0331 z^4 first); for k < 1, G(k+1) U^(1/k).
 * Beta: X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). */
#include <math.h>

#include "internal.h"

/* ---- gamma ------------------------------------------------------------------------------ */

static int bad_g(double k, double th) { return !(k > 0) || !isfinite(k) || !(th > 0) || !isfinite(th); }

lmp_status lmp_gamma_check(double shape, double scale, lmp_error *err)
{
    if (!(shape > 0) || !isfinite(shape))
        return lmp_error_set(err, LMP_EINVAL, "shape = %g: expected shape > 0 (finite)", shape);
    if (!(scale > 0) || !isfinite(scale))
        return lmp_error_set(err, LMP_EINVAL, "scale = %g: expected scale > 0 (finite)", scale);
    return LMP_OK;
}

double lmp_gamma_logpdf(double x, double k, double th)
{
    if (bad_g(k, th) || isnan(x)) return NAN;
    if (x < 0 || x == INFINITY) return -INFINITY;
    if (x == 0) return k < 1 ? INFINITY : k == 1 ? -log(th) : -INFINITY;
    double y = x / th;
    if (k < 1) return (k - 1) * log(y) - y - lmp_sf_lgamma(k) - log(th);
    return log(k / x) + lmp_log_dpois_raw_(k, y);
}

double lmp_gamma_pdf(double x, double k, double th) { return exp(lmp_gamma_logpdf(x, k, th)); }

double lmp_gamma_cdf(double x, double k, double th)
{
    if (bad_g(k, th) || isnan(x)) return NAN;
    return x <= 0 ? 0.0 : lmp_sf_gamma_inc(k, x / th);
}

double lmp_gamma_sf(double x, double k, double th)
{
    if (bad_g(k, th) || isnan(x)) return NAN;
    return x <= 0 ? 1.0 : lmp_sf_gamma_inc_upper(k, x / th);
}

static double g_cdf(double x, const double *par) { return lmp_gamma_cdf(x, par[0], 1.0); }
static double g_sf(double x, const double *par) { return lmp_gamma_sf(x, par[0], 1.0); }
static double g_pdf(double x, const double *par) { return lmp_gamma_pdf(x, par[0], 1.0); }

double lmp_gamma_quantile(double p, double k, double th)
{
    if (bad_g(k, th) || !(p >= 0 && p <= 1)) return NAN;
    if (p == 0) return 0.0;
    if (p == 1) return INFINITY;
    /* Wilson-Hilferty start; for small k the lower tail x ~ (p Gamma(k+1))^(1/k). */
    double z = lmp_normal_quantile(p, 0, 1), c = 1.0 / (9.0 * k);
    double x0 = k * pow(fmax(1 - c + z * sqrt(c), 1e-3), 3);
    if (k < 1 || x0 < 1e-3 * k) {
        double lx = (log(p) + lmp_sf_lgamma(k + 1)) / k;
        if (p < 0.5 && lx < log(x0)) x0 = exp(lx);
    }
    double par[1] = {k};
    lmp_root_fns_ f = {g_cdf, g_sf, g_pdf, par};
    return th * lmp_invert_cdf_(&f, p, x0, 0.0, INFINITY);
}

double lmp_gamma_mean(double k, double th) { return bad_g(k, th) ? NAN : k * th; }
double lmp_gamma_var(double k, double th) { return bad_g(k, th) ? NAN : k * th * th; }

/* Standard gamma (scale 1), shape k >= 1. */
static double mt_gamma(lmp_rng *r, double k)
{
    double d = k - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double z, v;
        do {
            z = lmp_rng_normal(r);
            v = 1.0 + c * z;
        } while (v <= 0);
        v = v * v * v;
        double u = lmp_rng_uniform(r);
        double z2 = z * z;
        if (u < 1.0 - 0.0331 * z2 * z2) return d * v;
        if (log(u) < 0.5 * z2 + d * (1.0 - v + log(v))) return d * v;
    }
}

double lmp_gamma_sample(lmp_rng *r, double shape, double scale)
{
    if (bad_g(shape, scale)) return NAN;
    if (shape == 1) return scale * lmp_rng_exponential(r);   /* Gamma(1) is exponential */
    if (shape > 1) return scale * mt_gamma(r, shape);
    /* Marsaglia & Tsang's boost: G(k) = G(k+1) U^(1/k); 1 - u in (0, 1]. */
    double g = mt_gamma(r, shape + 1.0);
    return scale * g * exp(log1p(-lmp_rng_uniform(r)) / shape);
}

/* ---- beta ---------------------------------------------------------------------------------- */

static int bad_b(double a, double b) { return !(a > 0) || !isfinite(a) || !(b > 0) || !isfinite(b); }

lmp_status lmp_beta_check(double a, double b, lmp_error *err)
{
    if (!(a > 0) || !isfinite(a)) return lmp_error_set(err, LMP_EINVAL, "a = %g: expected a > 0 (finite)", a);
    if (!(b > 0) || !isfinite(b)) return lmp_error_set(err, LMP_EINVAL, "b = %g: expected b > 0 (finite)", b);
    return LMP_OK;
}

double lmp_beta_logpdf(double x, double a, double b)
{
    if (bad_b(a, b) || isnan(x)) return NAN;
    if (x < 0 || x > 1) return -INFINITY;
    if (x == 0) return a < 1 ? INFINITY : a == 1 ? log(b) : -INFINITY;
    if (x == 1) return b < 1 ? INFINITY : b == 1 ? log(a) : -INFINITY;
    if (a >= 1 && b >= 1)
        return log(a + b - 1) + lmp_log_dbinom_raw_(a - 1, a + b - 2, x, 1.0 - x);
    return (a - 1) * log(x) + (b - 1) * log1p(-x) - lmp_sf_log_beta(a, b);
}

double lmp_beta_pdf(double x, double a, double b) { return exp(lmp_beta_logpdf(x, a, b)); }

double lmp_beta_cdf(double x, double a, double b)
{
    if (bad_b(a, b) || isnan(x)) return NAN;
    return x <= 0 ? 0.0 : x >= 1 ? 1.0 : lmp_sf_beta_inc(a, b, x);
}

double lmp_beta_sf(double x, double a, double b)
{
    if (bad_b(a, b) || isnan(x)) return NAN;
    return x <= 0 ? 1.0 : x >= 1 ? 0.0 : lmp_sf_beta_inc_upper(a, b, x);
}

static double b_cdf(double x, const double *par) { return lmp_beta_cdf(x, par[0], par[1]); }
static double b_sf(double x, const double *par) { return lmp_beta_sf(x, par[0], par[1]); }
static double b_pdf(double x, const double *par) { return lmp_beta_pdf(x, par[0], par[1]); }

double lmp_beta_quantile(double p, double a, double b)
{
    if (bad_b(a, b) || !(p >= 0 && p <= 1)) return NAN;
    if (p == 0) return 0.0;
    if (p == 1) return 1.0;
    double par[2] = {a, b};
    lmp_root_fns_ f = {b_cdf, b_sf, b_pdf, par};
    double m = a / (a + b);
    return lmp_invert_cdf_(&f, p, m, 0.0, 1.0);
}

double lmp_beta_mean(double a, double b) { return bad_b(a, b) ? NAN : a / (a + b); }
double lmp_beta_var(double a, double b)
{
    return bad_b(a, b) ? NAN : a * b / ((a + b) * (a + b) * (a + b + 1));
}

double lmp_beta_sample(lmp_rng *r, double a, double b)
{
    if (bad_b(a, b)) return NAN;
    double x = lmp_gamma_sample(r, a, 1.0), y = lmp_gamma_sample(r, b, 1.0);
    if (x + y == 0) return lmp_rng_uniform(r) < a / (a + b) ? 1.0 : 0.0;   /* both underflowed (a, b tiny) */
    return x / (x + y);
}
