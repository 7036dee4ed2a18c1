/* Gamma(shape k, scale theta) and beta(a, b).
 *
 * Densities through Loader's kernel (no cancellation of large logarithms):
 *   gamma:  f(x) = k/x * x'^k e^-x' / Gamma(k+1), x' = x / theta,
 *   beta:   f(x) = (a+b-1) C(a+b-2, a-1) x^(a-1) (1-x)^(b-1)   for a, b >= 1,
 * with the direct log form elsewhere. cdf / sf are the regularised incomplete
 * gamma and beta functions (special.c); quantiles invert the log of the smaller
 * tail by Newton in log x (gamma) or logit x (beta), lmp_solve_log_tail_.
 * Sampling: G. Marsaglia & W. W. Tsang, "A simple method for generating gamma
 * variables", ACM TOMS 26(3), 2000: d = k - 1/3, c = 1/sqrt(9d),
 * v = (1 + c z)^3, accept d v when log u < z^2/2 + d - d v + d log v (with the
 * cheap squeeze u < 1 - 0.0331 z^4 first); for k < 1, G(k+1) U^(1/k).
 * Beta: X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). */
#include <float.h>
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
    /* log y from log x - log theta where x / theta left the normal range (x = 1e-310, theta = 1e300: y is 0,
     * its log -1404 is not) */
    double ly = y >= DBL_MIN && y < INFINITY ? log(y) : log(x) - log(th);
    if (k < 1) {
        /* -lgamma(k) = log k - lgamma(1 + k), and log k joins the (k - 1) log y - log theta = k log y - log x
         * of the power: k log y + log(k / x). Summed apart, log k and -log y, both large for a tiny shape,
         * cancelled (shape 1e-300 at x = 2e-300: 690 - 691, a relative error of 714 u, u = 2^-53, where the
         * condition number is 3), as lmp_beta_logpdf's did before log(p / x) */
        const double r = k / x, lr = r >= DBL_MIN && r < INFINITY ? log(r) : log(k) - log(x);
        return k * ly + lr - y - lmp_lgamma1p_(k);
    }
    /* the direct form also where k / x or k / y overflows: Loader's log(k / x) was +inf and his deviance
     * bd0(k, y) +inf there, so shape 1e6 at x = 1e-310 (shape 1e300 at 1e-10) gave inf - inf = NaN; the
     * terms (k - 1) log y and lgamma(k) are then both huge and of one sign, so nothing cancels */
    if (!(k / x < INFINITY) || !(k / y < INFINITY)) return (k - 1) * ly - y - lmp_sf_lgamma(k) - log(th);
    return log(k / x) + lmp_log_dpois_raw_(k, y);
}

/* (n0 n1 n2) / (d0 d1) with the exponents summed apart (frexp), so that no partial product or quotient leaves
 * the range (a subnormal x divides as well as any): the one rounding into a subnormal, if any, is the result's
 * own. All finite and > 0. */
static double scaled_ratio(double n0, double n1, double n2, double d0, double d1)
{
    int e0, e1, e2, f0, f1;
    const double m = frexp(n0, &e0) * frexp(n1, &e1) * frexp(n2, &e2) / (frexp(d0, &f0) * frexp(d1, &f1));
    return ldexp(m, e0 + e1 + e2 - f0 - f1); /* m in [1/8, 4): never out of range */
}

double lmp_gamma_pdf(double x, double k, double th)
{
    if (bad_g(k, th) || isnan(x)) return NAN;
    if (x <= 0 || x == INFINITY) return exp(lmp_gamma_logpdf(x, k, th));
    double y = x / th;
    /* Products, not exp of a log: log(k / x) alone is -80 for x = 1e35, and exp keeps only its absolute
     * precision (80 ulps of a density whose condition number is 2).
     *   k <  1: (k / y) y^k e^-y / Gamma(1 + k) / theta  (k / y and pow(y, k) stay in range; y^(k-1) need not)
     *   k >= 1: (k / y) dpois(k, y) / theta, dpois = y^k e^-y / Gamma(k + 1) by Loader's kernel */
    if (k < 1) {
        /* the product wherever its factors and the result are normal doubles (each rounding then relative);
         * the threshold was 2^-1000, which sent shape 1e-300 at x = 2 (6.8e-302) to exp of a log of -693:
         * 7.9e-14 off */
        double f1 = k / y, f2 = pow(y, k) * exp(-y);
        double v = f1 * f2 / exp(lmp_lgamma1p_(k)) / th;
        if (f1 >= DBL_MIN && f2 >= DBL_MIN && isfinite(v) && v >= DBL_MIN) return v;
        return exp(lmp_gamma_logpdf(x, k, th));
    }
    /* each factor a normal double, or exp of the log: a subnormal dpois (shape 2 at y = 740) divided by a
     * scale of 1e-300 kept its few digits (9.8e-4 off); the log's absolute error, |log f| u, is then within
     * the density's condition number |k - 1 - y| */
    const double f1 = k / y, f2 = lmp_dpois_raw_(k, y);
    const double v = scaled_ratio(f1, f2, 1.0, th, 1.0);
    if (f1 >= DBL_MIN && f2 >= DBL_MIN && isfinite(v) && v > 0) return v;
    return exp(lmp_gamma_logpdf(x, k, th));
}

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

/* log of the tail at x, par = {k, lower} */
static double g_tail_x(double x, const double *par, double *dlog)
{
    return lmp_gamma_log_tail_(par[0], x, (int)par[1], dlog);
}

/* log of the tail in t = log(x / x0), par = {k, lower, x0} (x0 = 1: t = log x) */
static double g_logtail(double t, const double *par, double *dlog)
{
    double k = par[0];
    if (par[2] != 1) return lmp_gamma_log_tail_(k, par[2] * exp(t), (int)par[1], dlog);
    if (t < -700 && par[1] != 0) {
        /* x = e^t underflows (or nearly): P = x^k / Gamma(k + 1) (1 - k x / (k + 1) + ...) to double
         * precision, in t itself, so that a quantile below the smallest double is found as such (0) */
        *dlog = k;
        return k * t - lmp_lgamma1p_(k);
    }
    if (t < -700) {
        /* the upper tail there is 1 - P, P as above: log Q = log(-expm1(log P)), derivative -k P / Q, in t
         * itself (as b_logtail's, seed 24). A tiny shape puts most of its mass there (k = 6.1e-175: P = 0.68
         * at x = e^(-6.3e173)); Q(k, e^t) was Q(k, 0) = 1 from t = -745, a flat tail on which the solver
         * stopped, and the quantile was 0 (seed 38) */
        double lp = k * t - lmp_lgamma1p_(k), q = -expm1(lp);
        *dlog = -k * exp(lp) / q;
        return log(q);
    }
    return lmp_gamma_log_tail_(k, exp(t), (int)par[1], dlog);
}

double lmp_gamma_quantile(double p, double k, double th)
{
    if (bad_g(k, th) || !(p >= 0 && p <= 1)) return NAN;
    if (p == 0) return 0.0;
    if (p == 1) return INFINITY;
    /* Solve on the smaller tail, P(k, x) = p or Q(k, x) = 1 - p (exact for p > 1/2), in t = log x by
     * Newton (lmp_solve_log_tail_): the log of a tail is nearly linear in log x far out, so a quantile of
     * 1e-200 takes as few steps as one of 0.3, and every x down to the subnormals is reachable.
     * Start: Wilson & Hilferty's cube-root normal approximation, or where it fails (small k, far lower
     * tail) the leading term P ~ x^k / Gamma(k + 1); far in the upper tail Q ~ x^(k-1) e^-x / Gamma(k). */
    int lower = p <= 0.5;
    double target = lower ? p : 1.0 - p;
    double z = lmp_normal_quantile(p, 0, 1), c = 1.0 / (9.0 * k);
    double w = 1 - c + z * sqrt(c);
    /* log1p: for a huge k, w = 1 - 1/(9k) + z/(3 sqrt k) rounds near 1 */
    double t0 = w > 0.05 ? log(k) + 3 * log1p(z * sqrt(c) - c) : NAN;
    if (lower) {
        /* P <= x^k / Gamma(k + 1), so ts is below the quantile, and close to it (by ~x / (k + 1) in t)
         * where x << k + 1: taken there, or where Wilson-Hilferty fails or lies below it. Not otherwise:
         * for a large k ts is log(k / e), far down in the tail, whence Newton needs dozens of steps. */
        double ts = (log(target) + lmp_sf_lgamma(k + 1)) / k;
        if (isnan(t0) || ts > t0 || ts < log(k + 1) - 3) t0 = ts;
    } else if (isnan(t0)) {
        double x = -log(target);
        for (int i = 0; i < 3; i++) x = -log(target) + (k - 1) * log(fmax(x, 1e-300)) - lmp_sf_lgamma(k);
        t0 = log(fmax(x, 1e-300));
    }
    if (!lower) {
        /* the root of the leading term P = x^k / Gamma(k + 1) = p: where it lies below e^-700 (a tiny k at
         * p > 1/2) the solver starts there, on g_logtail's branch that is that term (from the start above,
         * t = -690.8, Newton on log(-expm1(k t)) takes 90 steps to t = -6.3e173) */
        double tu = (log(p) + lmp_lgamma1p_(k)) / k;
        if (tu < -700) t0 = tu;
    }
    if (!isfinite(t0)) t0 = 0.0;
    /* From k = 1e4 on, t is the log of x / k, whose resolution near 0 is every double's: log x itself
     * (230 at k = 1e100) resolves x to 3e-14 while the distribution is 1e-50 of k wide, so that Newton in
     * it saw a step function (1e100: 0.995 of the answer for every p). The start is then Wilson-Hilferty
     * (the leading term's is never nearer there, and w > 0.05 for every p at such k). */
    double x0 = 1.0;
    if (k >= 1e4 && w > 0.05) {
        x0 = k;
        t0 = 3 * log1p(z * sqrt(c) - c);
    }
    double par[3] = {k, lower, x0};
    double t = lmp_solve_log_tail_(g_logtail, par, log(target), t0, lower);
    double x = x0 * exp(t);
    if (x < DBL_MIN) {
        /* x below 2^-1022 (a small shape far down its lower tail: shape 1/2 at p = 1e-170 is 7.8e-341; or a
         * tiny shape at p > 1/2, whose P = p there too: shape 6.1e-175 at p = 0.68, it was 0, seed 38): there
         * P = x^k / Gamma(k + 1) to double precision (A&S 6.5.29: the next term is -k x / (k + 1)), and
         * theta x = (p Gamma(k + 1) theta^k)^(1/k) in closed form, by pow where the base is a normal double
         * (7.8e-241 at theta = 1e100; it was 0; exp of t + log theta would keep only the absolute precision
         * of t ~ -782, 1e-13), else by that exp. Below the subnormals the smallest positive double, the
         * smallest x with cdf(x) >= p > 0 = cdf(0) (shape 1e-10, p = 1/2: cdf(5e-324) = 0.99999993; it was
         * 0). */
        double lg = lmp_lgamma1p_(k), v = p * exp(lg) * pow(th, k);
        double r = v >= DBL_MIN && isfinite(v) ? pow(v, 1.0 / k) : exp((log(p) + lg) / k + log(th));
        return r > 0 ? r : DBL_TRUE_MIN;
    }
    x = lmp_polish_quantile_(g_tail_x, par, log(target), x, 0, lower);
    return th * x;
}

double lmp_gamma_mean(double k, double th) { return bad_g(k, th) ? NAN : k * th; }
/* k theta^2 with the exponents apart (scaled_ratio): k theta could be subnormal while the variance is not
 * (k = 5e-324, theta = 1e10: 4.9e-304 kept 5 digits) */
double lmp_gamma_var(double k, double th) { return bad_g(k, th) ? NAN : scaled_ratio(k, th, th, 1.0, 1.0); }

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

/* Below shape 1 on the numpy stream: numpy's legacy_standard_gamma there (numpy/random/src/legacy/
 * legacy-distributions.c), a rejection from U^(1/k) below 1 - k and from the exponential tail above,
 * each accepted against an exponential V; kept as numpy writes it so that the stream is numpy's. Its
 * draws round to 0 where the variate is below the doubles (for k = 1e-3 about half of them: P(X <
 * 4.9e-324) = 0.475), as the boost below does too. */
static double numpy_gamma_small(lmp_rng *r, double k)
{
    for (;;) {
        double u = lmp_rng_uniform(r), v = lmp_rng_exponential(r);
        if (u <= 1.0 - k) {
            double x = pow(u, 1. / k);
            if (x <= v) return x;
        } else {
            double y = -log((1 - u) / k);
            double x = pow(1.0 - k + k * y, 1. / k);
            if (x <= (v + y)) return x;
        }
    }
}

double lmp_gamma_sample(lmp_rng *r, double shape, double scale)
{
    if (bad_g(shape, scale)) return NAN;
    if (shape == 1) return scale * lmp_rng_exponential(r);   /* Gamma(1) is exponential */
    if (shape > 1) return scale * mt_gamma(r, shape);
    if (r->kind == LMP_RNG_NUMPY_LEGACY) return scale * numpy_gamma_small(r, shape);
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

/* log(1 / B(p, q)) - log p = lgamma(q + p) - lgamma(q) - lgamma(1 + p), p = min(a, b) < 1: without the
 * log p, which the log-density pairs with a log of x or 1 - x and the density multiplies in as p */
static double beta_inv_rest(double p, double q) { return lmp_lgamma_diff_(q, p) - lmp_lgamma1p_(p); }

double lmp_beta_logpdf(double x, double a, double b)
{
    if (bad_b(a, b) || isnan(x)) return NAN;
    if (x < 0 || x > 1) return -INFINITY;
    if (x == 0) return a < 1 ? INFINITY : a == 1 ? log(b) : -INFINITY;
    if (x == 1) return b < 1 ? INFINITY : b == 1 ? log(a) : -INFINITY;
    if (a >= 1 && b >= 1)
        return log(a + b - 1) + lmp_log_dbinom_raw_(a - 1, b - 1, x, 1.0 - x);
    /* -log B(a, b) = log p + lgamma(q + p) - lgamma(q) - lgamma(1 + p), p = min(a, b) < 1, and log p joins the
     * term of the smaller of x and y = 1 - x, whose log is the large one: (a - 1) log x + log p =
     * a log x + log(p / x). Summed apart, they cancelled: a = 1e-300 at x = 3e-299 gives 687 - 691, 115 ulps
     * where the condition number is 0.6; a = 1e-59, b = 6e-241 at x = 1e-242, 557 - 553. */
    const double p = fmin(a, b), q = fmax(a, b), rest = beta_inv_rest(p, q);
    if (x <= 0.5) {
        const double r = p / x, lr = r >= DBL_MIN && r < INFINITY ? log(r) : log(p) - log(x);
        return a * log(x) + lr + (b - 1) * log1p(-x) + rest;
    }
    const double y = 1.0 - x; /* exact from 1/2 on */
    const double r = p / y, lr = r >= DBL_MIN && r < INFINITY ? log(r) : log(p) - log(y);
    return b * log(y) + lr + (a - 1) * log(x) + rest;
}

double lmp_beta_pdf(double x, double a, double b)
{
    if (bad_b(a, b) || isnan(x)) return NAN;
    if (x <= 0 || x >= 1) return exp(lmp_beta_logpdf(x, a, b));
    double y = 1.0 - x, v;
    if (a >= 1 && b >= 1) {
        /* (a + b - 1) C(a+b-2, a-1) x^(a-1) y^(b-1), the binomial kernel itself (not exp of its log) */
        v = (a + b - 1) * lmp_dbinom_raw_(a - 1, b - 1, x, y);
    } else {
        /* x^a y^b / (x y B(a, b)) with 1/B(a, b) = p Gamma(q + p) / (Gamma(q) Gamma(1 + p)), p = min(a, b) < 1:
         * exp(lgamma(q + p) - lgamma(q) - lgamma(1 + p)) has an exponent of the size of p log q, where
         * exp(-log B) or exp((a-1) log x) would keep only the absolute precision of a log of 1e-300. */
        double p = fmin(a, b), q = fmax(a, b);
        double inv_b = p * exp(beta_inv_rest(p, q));
        /* y^b as exp(b log1p(-x)) for x < 1/2: pow(1 - x, b) carries the rounding of 1 - x times b (2.8e-14 at
         * b = 256, where the density's kappa is b x ~ 0.2: x = 8.7e-4, a = 0.144 was off by 8.4e-15); above 1/2,
         * 1 - x is exact. */
        double yb = x < 0.5 ? exp(b * log1p(-x)) : pow(y, b);
        /* The factors multiplied and divided with their exponents apart (scaled_ratio): x^a y^b inv_b
         * underflowed before the division by x y (a = 1.5, b = 0.5 at x = 1e-212 kept 5 digits of 16). Below 1,
         * x^a / x (x^a >= x does not underflow, and a - 1 would lose a tiny a; a subnormal x divides exactly);
         * from 1 on, x^(a - 1) itself, which underflows only where the density does. Likewise for y. */
        const double nx = a < 1 ? pow(x, a) : pow(x, a - 1), dx = a < 1 ? x : 1.0;
        const double ny = b < 1 ? yb : x < 0.5 ? exp((b - 1) * log1p(-x)) : pow(y, b - 1), dy = b < 1 ? y : 1.0;
        if (nx >= DBL_MIN && ny >= DBL_MIN && inv_b >= DBL_MIN && isfinite(nx) && isfinite(ny) && isfinite(inv_b)) {
            v = scaled_ratio(nx, ny, inv_b, dx, dy);
            if (isfinite(v) && v > 0) return v;
        }
        return exp(lmp_beta_logpdf(x, a, b));
    }
    if (isfinite(v) && v > 0x1p-1000) return v;
    return exp(lmp_beta_logpdf(x, a, b));
}

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

/* Both return log(tail / target), the solver's residual itself (its log_target is 0): the tail's ratio to the
 * target keeps its relative precision where log target is large (lmp_beta_log_tail_). */

/* at x, par = {a, b, lower, xs, target, log target} */
static double b_tail_x(double x, const double *par, double *dlog)
{
    return lmp_beta_log_tail_(par[0], par[1], x, (int)par[2], par[4], dlog);
}

/* in t = logit(x) - logit(xs) (xs = 0: t = logit(x)) */
static double b_logtail(double t, const double *par, double *dlog)
{
    double a = par[0], b = par[1], xs = par[3], target = par[4], lt = par[5];
    int lower = par[2] != 0;
    if (xs > 0) {
        /* x / (1 - x) = e^t xs / (1 - xs): x = xs + xs (1 - xs) (e^t - 1) / (1 + xs (e^t - 1)), exact near xs */
        double e = expm1(t);
        return lmp_beta_log_tail_(a, b, xs + xs * (1.0 - xs) * e / (1.0 + xs * e), lower, target, dlog);
    }
    if (lower && t < -700) {
        /* x = 1/(1 + e^-t) ~ e^t underflows (or nearly): I = x^a / (a B(a, b)) (1 + O(x)), in t itself */
        *dlog = a;
        return a * t - log(a) - lmp_sf_log_beta(a, b) - lt;
    }
    if (!lower && t > 700) {
        /* 1 - x ~ e^-t underflows: 1 - I = (1-x)^b / (b B(a, b)) (1 + O(1-x)) */
        *dlog = -b;
        return -b * t - log(b) - lmp_sf_log_beta(a, b) - lt;
    }
    if (!lower && t < -700) {
        /* x ~ e^t underflows, and the upper tail is 1 - I, I = x^a / (a B(a, b)) (1 + O(x)) as above: in t
         * itself, log(1 - I) = log(-expm1(log I)), derivative -a I / (1 - I). A tiny a puts most of its
         * mass there (a = 7.8e-265, b = 722.6: I = 0.95 at x = e^(-6.8e262)); 1 / (1 + e^-t) was 0 from
         * t = -709.8, a tail of 0 whose root the solver took for t = -709.8 (x = 2^-1024; seed 24). */
        double li = a * t - log(a) - lmp_sf_log_beta(a, b), q = -expm1(li);
        *dlog = -a * exp(li) / q;
        return log(q) - lt;
    }
    return lmp_beta_log_tail_(a, b, 1.0 / (1.0 + exp(-t)), lower, target, dlog);
}

double lmp_beta_quantile(double p, double a, double b)
{
    if (bad_b(a, b) || !(p >= 0 && p <= 1)) return NAN;
    if (p == 0) return 0.0;
    if (p == 1) return 1.0;
    /* Newton on the log of the smaller tail, I_x = p (p <= 1/2) or 1 - I_x = 1 - p (exact), in the logit
     * t = log(x / (1 - x)) (lmp_solve_log_tail_), and x = 1 / (1 + e^-t) at the end: never 1 - (a quantile
     * of the mirrored distribution), which would keep only the absolute precision of 1 near 0 (1e-9 of a
     * quantile of 6e-8). Start: the leading term I ~ x^a / (a B(a, b)) (or 1 - I ~ (1-x)^b / (b B(a, b)))
     * where that lies well away from the mean, else the normal approximation. */
    int lower = p <= 0.5;
    double target = lower ? p : 1.0 - p, lt = log(target);
    double mean = lmp_beta_mean(a, b), sd = sqrt(lmp_beta_var(a, b)), xs = 0.0;
    double lB = lmp_sf_log_beta(a, b), t0;
    double lx = (lt + log(a) + lB) / a, ly = (lt + log(b) + lB) / b;
    double x0 = mean + lmp_normal_quantile(p, 0, 1) * sd;
    if (!(x0 > 0)) x0 = 0.5 * mean;
    if (!(x0 < 1)) x0 = 0.5 * (1 + mean);
    if (fmin(a, b) >= 1e4) {
        /* t is the logit of x over that of the normal start xs: the logit itself resolves x only to its own
         * ulp, where the distribution is 1/sqrt(a) of x wide (1e-50 at a = 1e100). A mean that rounds to 1
         * (b / a < 2^-54): 1 - X then lies below 1.4 times its mean (< 2^-54) for every p >= 2^-1074 (the
         * relative deviation of a tail of e^-745 is sqrt(1490 / b) < 0.4), so the smallest double with
         * cdf >= p is 1 itself. */
        if (x0 >= 1) return 1.0;
        xs = x0;
        t0 = 0.0;
    } else if (lower && lx < log(0.5 * mean)) t0 = lx - log1p(-exp(lx));
    else if (!lower && ly < log(0.5 * (1 - mean))) t0 = log1p(-exp(ly)) - ly;
    else t0 = log(x0) - log1p(-x0);
    if (!lower && xs == 0) {
        /* the root of the leading term above, I = x^a / (a B(a, b)) = p: where it lies below e^-700 (a tiny a
         * at p > 1/2) the solver starts there, on the branch of b_logtail that is that term (from the
         * normal start, Newton in t on log(-a t) would need a hundred steps to t = -6.8e262) */
        double tu = (log(p) + log(a) + lB) / a;
        if (tu < -700) t0 = tu;
    }
    double par[6] = {a, b, lower, xs, target, lt};
    if (xs == 0) {
        /* A root in the top 2^13 doubles below 1 (x > 1 - 2^-40, t > 27.7), or past them: there 1 / (1 + e^-t)
         * resolves 1 - x to 13 bits or none, the tail in t is a staircase, and 1 itself from t = 37.4. A tiny b
         * puts its quantiles there when p/b or log a is large: at a = 1.6e-121, b = 3.4e-123, p = 0.16 the
         * root is 1 - e^(-4.6e121), Newton's first step from the flat middle went to t = 1.3e121, and
         * bisection down from there spent the solver's steps and stopped at t = 31 (0.99999999999997 for 1);
         * at a = 1e15, b = 1e-100 the quantile of p = 2.6559162183130627e-101 is 1 - 2^-50 (it was 1). The
         * quantile's own definition decides there, as in lmp_polish_quantile_: the smallest double whose
         * tail reaches the target, by bisection over those doubles (widths 2^-40 .. 2^-53, halved exactly). */
        double d, lo = 1.0 - 0x1p-40, hi = 1.0, g = b_tail_x(lo, par, &d);
        if (lower ? g < 0 : g > 0) {
            while (hi - lo > 0x1p-53) {
                double mid = 0.5 * (lo + hi);
                g = b_tail_x(mid, par, &d);
                if (lower ? g < 0 : g > 0) lo = mid;
                else hi = mid;
            }
            return hi;
        }
        /* the root is at or below 1 - 2^-40: start there at most (a mean that rounds to 1, b / a < 2^-54,
         * made the normal start 1 and t0 = inf, and the solver's answer 1: the quantile of
         * p = 2.559373872991646e-21 at a = 1e12, b = 1e-20 is 1 - 2^-40) */
        t0 = fmin(t0, 27.725887222397811); /* log(2^40) */
    }
    double t = lmp_solve_log_tail_(b_logtail, par, 0.0, t0, lower); /* log(tail / target) = 0 */
    double x;
    if (xs > 0) {
        double e = expm1(t);
        x = xs + xs * (1.0 - xs) * e / (1.0 + xs * e);
    } else if (t < -40) {
        /* x = e^t / (1 + e^t) = e^t (1 - e^t + ...): e^t itself to double precision, and subnormal where it
         * is (1 / (1 + e^-t) was 0 from t = -709). Below the subnormals the smallest positive double: cdf(0)
         * = 0 < p (a = 1e-10, b = 1 at p = 1/2: cdf(5e-324) = 0.99999993; it was 0). */
        x = exp(t);
        if (!(x > 0)) return DBL_TRUE_MIN;
        if (x < DBL_MIN) return x; /* subnormal: no polish (its ulp is most of it) */
    } else {
        x = 1.0 / (1.0 + exp(-t));
    }
    return lmp_polish_quantile_(b_tail_x, par, 0.0, x, 1, lower);
}

/* a / (a + b) and b / (a + b) each directly (not 1 minus the other), in halves where a + b overflows */
double lmp_beta_mean(double a, double b)
{
    if (bad_b(a, b)) return NAN;
    return isfinite(a + b) ? a / (a + b) : (0.5 * a) / (0.5 * a + 0.5 * b);
}

/* ab / ((a + b)^2 (a + b + 1)) as (a / (a + b)) (b / (a + b)) / (a + b + 1): ab underflows for a, b ~ 1e-200
 * (0/0: NaN for 0.25) and (a + b)^2 overflows from 1.3e154 (NaN, then 0 for 1e150) */
double lmp_beta_var(double a, double b)
{
    if (bad_b(a, b)) return NAN;
    double h = 0.5 * a + 0.5 * b;
    if (!isfinite(a + b)) return 0.5 * ((0.5 * a / h) * (0.5 * b / h)) / h;
    double s = a + b;
    return (a / s) * (b / s) / (s + 1.0);
}

/* Both shapes at most 1 on the numpy stream: numpy's legacy_beta there, Johnk's method (M. D. Johnk,
 * "Erzeugung von betaverteilten und gammaverteilten Zufallszahlen", Metrika 8, 1964): X = U^(1/a),
 * Y = V^(1/b), accepted when X + Y <= 1, and X / (X + Y), through logs where both underflow. */
static double numpy_beta_johnk(lmp_rng *r, double a, double b)
{
    for (;;) {
        double u = lmp_rng_uniform(r), v = lmp_rng_uniform(r);
        double x = pow(u, 1.0 / a), y = pow(v, 1.0 / b);
        if (x + y <= 1.0) {
            if (x + y > 0) return x / (x + y);
            double lx = log(u) / a, ly = log(v) / b, lm = lx > ly ? lx : ly;
            lx -= lm;
            ly -= lm;
            return exp(lx - log(exp(lx) + exp(ly)));
        }
    }
}

double lmp_beta_sample(lmp_rng *r, double a, double b)
{
    if (bad_b(a, b)) return NAN;
    if (r->kind == LMP_RNG_NUMPY_LEGACY && a <= 1.0 && b <= 1.0) return numpy_beta_johnk(r, a, b);
    double x = lmp_gamma_sample(r, a, 1.0), y = lmp_gamma_sample(r, b, 1.0);
    if (x + y == 0) return lmp_rng_uniform(r) < a / (a + b) ? 1.0 : 0.0;   /* both underflowed (a, b tiny) */
    return x / (x + y);
}
