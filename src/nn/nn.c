/* Initialisers, layer norm and reparameterisation (see nn.h).
 *
 *  - Glorot, X. & Bengio, Y. (2010). Understanding the difficulty of training
 *    deep feedforward neural networks. AISTATS. Var(W) = 2 / (fan_in + fan_out).
 *  - He, K., Zhang, X., Ren, S. & Sun, J. (2015). Delving deep into rectifiers.
 *    ICCV. Var(W) = 2 / fan_in for ReLU layers.
 *  - Ba, J. L., Kiros, J. R. & Hinton, G. E. (2016). Layer normalization.
 *  - Kingma, D. P. & Welling, M. (2014). Auto-encoding variational Bayes. ICLR.
 *    z = mu + sigma * eps keeps z differentiable in mu and sigma. */
#include <math.h>
#include <string.h>

#include "lmprob/nn.h"
#include "lmprob/stats.h"

double lmp_nn_xavier_normal_std(double fan_in, double fan_out)
{
    if (!(fan_in >= 0 && fan_out >= 0 && fan_in + fan_out > 0)) return NAN;
    return sqrt(2.0 / (fan_in + fan_out));
}

double lmp_nn_xavier_uniform_bound(double fan_in, double fan_out)
{
    if (!(fan_in >= 0 && fan_out >= 0 && fan_in + fan_out > 0)) return NAN;
    return sqrt(6.0 / (fan_in + fan_out));
}

double lmp_nn_he_normal_std(double fan_in)
{
    if (!(fan_in > 0)) return NAN;
    return sqrt(2.0 / fan_in);
}

double lmp_nn_he_uniform_bound(double fan_in)
{
    if (!(fan_in > 0)) return NAN;
    return sqrt(6.0 / fan_in);
}

static const char *const init_names[] = {"xavier_normal", "xavier_uniform", "he_normal", "he_uniform"};

const char *lmp_nn_init_name(lmp_nn_init_kind kind)
{
    return (unsigned)kind < 4 ? init_names[kind] : "unknown";
}

lmp_status lmp_nn_init_parse(const char *name, lmp_nn_init_kind *kind, lmp_error *err)
{
    if (!name || !kind)
        return lmp_error_set(err, LMP_EINVAL, "nn_init_parse: %s is NULL: expected %s", !name ? "name" : "kind",
                             !name ? "an initialiser's name" : "a place for the kind");
    for (int k = 0; k < 4; k++)
        if (strcmp(name, init_names[k]) == 0) {
            *kind = (lmp_nn_init_kind)k;
            return LMP_OK;
        }
    return lmp_error_set(err, LMP_EINVAL,
                         "initialiser '%s': expected xavier_normal, xavier_uniform, he_normal or he_uniform", name);
}

/* LMP_EINVAL for an argument `name` that is NULL while n > 0 values are to be read or written (nn.h). */
static lmp_status null_arg(const char *fn, const char *name, size_t n, lmp_error *err)
{
    return lmp_error_set(err, LMP_EINVAL, "%s: %s is NULL (n = %zu): expected %s", fn, name, n,
                         strcmp(name, "r") ? "an array of n values" : "a random stream");
}

lmp_status lmp_nn_init_fill(lmp_rng *r, lmp_nn_init_kind kind, size_t fan_in, size_t fan_out, double *w, size_t n,
                            lmp_error *err)
{
    double fi = (double)fan_in, fo = (double)fan_out, scale;
    switch (kind) {
    case LMP_NN_XAVIER_NORMAL: scale = lmp_nn_xavier_normal_std(fi, fo); break;
    case LMP_NN_XAVIER_UNIFORM: scale = lmp_nn_xavier_uniform_bound(fi, fo); break;
    case LMP_NN_HE_NORMAL: scale = lmp_nn_he_normal_std(fi); break;
    case LMP_NN_HE_UNIFORM: scale = lmp_nn_he_uniform_bound(fi); break;
    default: return lmp_error_set(err, LMP_EINVAL, "initialiser kind %d: expected 0..3", (int)kind);
    }
    if (isnan(scale))
        return lmp_error_set(err, LMP_EINVAL, "fan_in = %zu, fan_out = %zu: expected %s for %s", fan_in, fan_out,
                             kind == LMP_NN_XAVIER_NORMAL || kind == LMP_NN_XAVIER_UNIFORM ? "fan_in + fan_out >= 1"
                                                                                          : "fan_in >= 1",
                             lmp_nn_init_name(kind));
    if (n && (!r || !w)) return null_arg("init_fill", !w ? "w" : "r", n, err);
    if (kind == LMP_NN_XAVIER_NORMAL || kind == LMP_NN_HE_NORMAL) {
        /* np.random.normal(0, std): loc + scale * gauss. */
        for (size_t i = 0; i < n; i++) w[i] = 0.0 + scale * lmp_rng_normal(r);
    } else {
        /* np.random.uniform(-b, b): low + (high - low) * random_sample. */
        for (size_t i = 0; i < n; i++) w[i] = -scale + (scale - -scale) * lmp_rng_uniform(r);
    }
    return LMP_OK;
}

lmp_status lmp_nn_layer_norm(const double *x, size_t n, double eps, const double *gamma, const double *beta,
                             double *out, lmp_error *err)
{
    if (n == 0) return lmp_error_set(err, LMP_EINVAL, "n = 0: layer norm needs at least one value");
    if (!(eps >= 0) || !isfinite(eps)) return lmp_error_set(err, LMP_EINVAL, "eps = %g: expected eps >= 0", eps);
    if (!x || !out) return null_arg("layer_norm", !x ? "x" : "out", n, err);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) return lmp_error_set(err, LMP_EINVAL, "x[%zu] = %g: expected a finite number", i, x[i]);
        if (gamma && !isfinite(gamma[i]))
            return lmp_error_set(err, LMP_EINVAL, "gamma[%zu] = %g: expected a finite number", i, gamma[i]);
        if (beta && !isfinite(beta[i]))
            return lmp_error_set(err, LMP_EINVAL, "beta[%zu] = %g: expected a finite number", i, beta[i]);
    }
    /* The moments of y = x / s, s = 2^ilogb(max |x|), so that nothing overflows (x = 1e308, -1e308: the
     * variance was inf and out [0, -0]; 1e200, 1e200, 3e200: var overflowed too) or underflows
     * (1e-200, 2e-200, 3e-200: var 0, "constant x"). With a power of 2 every scaling is exact, so where
     * nothing over- or underflows out is the same to the bit: var_y + eps / s^2 = (var + eps) / s^2 and
     * (y - m_y) / sqrt(that) = (x - mean) / sqrt(var + eps). eps keeps torch's meaning in x's own units
     * (the result depends on the scale when eps > 0): where eps / s^2 overflows (x tiny, eps > 0) the
     * variance is below 1e-300 of it and out = (x - mean) / sqrt(eps). */
    double mx = 0.0;
    for (size_t i = 0; i < n; i++) mx = fmax(mx, fabs(x[i]));
    double sc = mx > 0 ? ldexp(1.0, ilogb(mx)) : 1.0;
    double *y = out; /* out may alias x: y_i = x_i / sc in place (no scratch), read back below */
    for (size_t i = 0; i < n; i++) y[i] = x[i] / sc;
    double mean = lmp_stats_mean(y, n);
    double var = lmp_stats_variance(y, n, 0); /* two-pass, biased: as torch and the chapter */
    double r = eps / sc / sc;
    if (!(var + r > 0)) {
        /* every x equal (and x / sc exact): an x that out aliases is given back as it was */
        if (out == x)
            for (size_t i = 0; i < n; i++) out[i] = y[i] * sc;
        return lmp_error_set(err, LMP_EINVAL, "var + eps = 0 (constant x with eps = 0): expected eps > 0");
    }
    double denom = sqrt(var + r);
    int tiny = !(r < 1e300); /* eps / s^2 overflowed or nearly */
    double se = sqrt(eps);
    for (size_t i = 0; i < n; i++) {
        double v = tiny ? ((y[i] - mean) * sc) / se : (y[i] - mean) / denom;
        if (gamma) v *= gamma[i];
        if (beta) v += beta[i];
        out[i] = v;
    }
    return LMP_OK;
}

lmp_status lmp_nn_reparam(lmp_rng *r, const double *mu, const double *sigma, size_t n, double *z, double *eps_out,
                          lmp_error *err)
{
    if (n && (!r || !mu || !sigma || !z))
        return null_arg("reparam", !mu ? "mu" : !sigma ? "sigma" : !z ? "z" : "r", n, err);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(mu[i])) return lmp_error_set(err, LMP_EINVAL, "mu[%zu] = %g: expected a finite number", i, mu[i]);
        if (!(sigma[i] >= 0) || !isfinite(sigma[i]))
            return lmp_error_set(err, LMP_EINVAL, "sigma[%zu] = %g: expected a finite sigma >= 0", i, sigma[i]);
    }
    for (size_t i = 0; i < n; i++) {
        double e = lmp_rng_normal(r);
        if (eps_out) eps_out[i] = e;
        z[i] = mu[i] + e * sigma[i];
    }
    return LMP_OK;
}

lmp_status lmp_nn_reparam_logvar(lmp_rng *r, const double *mu, const double *logvar, size_t n, double *z,
                                 double *eps_out, lmp_error *err)
{
    if (n && (!r || !mu || !logvar || !z))
        return null_arg("reparam_logvar", !mu ? "mu" : !logvar ? "logvar" : !z ? "z" : "r", n, err);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(mu[i])) return lmp_error_set(err, LMP_EINVAL, "mu[%zu] = %g: expected a finite number", i, mu[i]);
        if (!isfinite(logvar[i]))
            return lmp_error_set(err, LMP_EINVAL, "logvar[%zu] = %g: expected a finite number", i, logvar[i]);
    }
    for (size_t i = 0; i < n; i++) {
        double e = lmp_rng_normal(r);
        if (eps_out) eps_out[i] = e;
        z[i] = mu[i] + e * exp(0.5 * logvar[i]);  /* std = exp(0.5 * log_var), as the chapter */
    }
    return LMP_OK;
}
