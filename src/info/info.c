/* Information theory kernels (see include/lmprob/info.h).
 *
 * Float and double inputs share one implementation through a small "vector
 * view" (exactly one of d/f is set): these functions are not the sampling hot
 * path, and one copy of each formula is easier to trust than two. softmax and
 * log-softmax, which are hot, have their own float loops. */
#include "lmprob/info.h"

#include <math.h>
#include <string.h>

#include "../sample/kernels.h"

typedef struct vview {
    const double *d;
    const float *f;
} vview;

static inline double vget(vview v, size_t i) { return v.d ? v.d[i] : (double)v.f[i]; }

/* Neumaier's compensated sum: a sum of 50257 equal terms keeps ~1e-16
 * relative accuracy instead of drifting by n * eps / 2 (the golden entropy of a
 * V = 50257 softmax needs 1e-12). */
typedef struct ksum {
    double s, c;
} ksum;

static inline void kadd(ksum *k, double x)
{
    double t = k->s + x;
    if (fabs(k->s) >= fabs(x)) k->c += (k->s - t) + x;
    else k->c += (x - t) + k->s;
    k->s = t;
}

static inline double kval(const ksum *k) { return k->s + k->c; }

/* 1 / log(base), or NaN for a bad base. Exactly 1 for LMP_BASE_E. */
static double inv_log_base(double base)
{
    if (base == LMP_BASE_E) return 1.0;
    if (!(base > 0) || base == 1.0 || isinf(base)) return NAN;
    return 1.0 / log(base);
}

/* ---- logsumexp --------------------------------------------------------------- */

static double lse_view(vview a, size_t n)
{
    double m = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double x = vget(a, i);
        if (isnan(x)) return NAN;
        if (x > m) m = x;
    }
    if (m == -INFINITY) return -INFINITY; /* empty or all -inf */
    if (m == INFINITY) return INFINITY;
    ksum s = {0, 0};
    for (size_t i = 0; i < n; i++) kadd(&s, exp(vget(a, i) - m));
    return m + log(kval(&s));
}

double lmp_logsumexp(const double *a, size_t n) { return lse_view((vview){a, NULL}, n); }
double lmp_logsumexp_f32(const float *a, size_t n) { return lse_view((vview){NULL, a}, n); }

/* ---- softmax ----------------------------------------------------------------- */

/* Check logits and return their maximum (finite), or an error. */
static lmp_status check_logits(vview x, size_t n, double *max, const char *what, lmp_error *err)
{
    if (n == 0) return lmp_error_set(err, LMP_EINVAL, "%s: expected at least one logit, got an empty vector", what);
    double m = -INFINITY;
    size_t bad = n;
    /* one branch-light loop per type (this runs over the whole vocabulary) */
    if (x.d) {
        for (size_t i = 0; i < n; i++) {
            double v = x.d[i];
            if (!(v < INFINITY)) { bad = i; break; } /* NaN or +inf */
            m = v > m ? v : m;
        }
    } else {
        float mf; /* vectorised: the first NaN/+inf index and the maximum */
        bad = lmp_sample_fcheck(lmp_sample_isa_best(), x.f, n, &mf);
        m = mf;
    }
    if (bad < n)
        return lmp_error_set(err, LMP_EINVAL, "%s: logit[%zu] = %g: expected a finite number or -inf", what, bad,
                             vget(x, bad));
    if (m == -INFINITY)
        return lmp_error_set(err, LMP_EINVAL,
                             "%s: all %zu logits are -inf: expected at least one finite logit", what, n);
    *max = m;
    return LMP_OK;
}

lmp_status lmp_softmax(const double *x, size_t n, double *out, lmp_error *err)
{
    double m;
    lmp_status st = check_logits((vview){x, NULL}, n, &m, "softmax", err);
    if (st) return st;
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        out[i] = exp(x[i] - m); /* exp(-inf) = 0 exactly */
        s += out[i];
    }
    for (size_t i = 0; i < n; i++) out[i] /= s;
    return LMP_OK;
}

lmp_status lmp_softmax_f32(const float *x, size_t n, float *out, lmp_error *err)
{
    double m;
    lmp_status st = check_logits((vview){NULL, x}, n, &m, "softmax", err);
    if (st) return st;
    /* float terms through the vectorised expf of the sampler (libm's expf is
     * ~2.6 ns a call), summed in double (as llama.cpp's dist) */
    double s = lmp_sample_expf_array(lmp_sample_isa_best(), x, n, (float)m, out);
    float inv = (float)(1.0 / s);
    lmp_sample_fscale(lmp_sample_isa_best(), out, n, inv);
    return LMP_OK;
}

lmp_status lmp_log_softmax(const double *x, size_t n, double *out, lmp_error *err)
{
    double m;
    lmp_status st = check_logits((vview){x, NULL}, n, &m, "log_softmax", err);
    if (st) return st;
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += exp(x[i] - m);
    double lse = m + log(s);
    for (size_t i = 0; i < n; i++) out[i] = x[i] - lse;
    return LMP_OK;
}

lmp_status lmp_log_softmax_f32(const float *x, size_t n, float *out, lmp_error *err)
{
    double m;
    lmp_status st = check_logits((vview){NULL, x}, n, &m, "log_softmax", err);
    if (st) return st;
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += exp((double)x[i] - m);
    double lse = m + log(s);
    for (size_t i = 0; i < n; i++) out[i] = (float)((double)x[i] - lse);
    return LMP_OK;
}

lmp_status lmp_softmax_temperature(const double *x, size_t n, double T, double *out, lmp_error *err)
{
    if (isnan(T) || T < 0)
        return lmp_error_set(err, LMP_EINVAL, "temperature = %g: expected T > 0 (or T = 0 for greedy)", T);
    double m;
    lmp_status st = check_logits((vview){x, NULL}, n, &m, "softmax_temperature", err);
    if (st) return st;
    if (T == 0) { /* the limit T -> 0+: all mass on the first maximum */
        size_t arg = 0;
        while (x[arg] != m) arg++;
        for (size_t i = 0; i < n; i++) out[i] = i == arg ? 1.0 : 0.0;
        return LMP_OK;
    }
    /* Divide first, as HF does (scores / T), then a stable softmax: T = 1e-300
     * overflows x / T to +-inf, which is then a domain error, not a silent NaN. */
    for (size_t i = 0; i < n; i++) {
        out[i] = x[i] / T;
        if (isinf(out[i]) && out[i] > 0)
            return lmp_error_set(err, LMP_ERANGE, "softmax_temperature: logit[%zu] / T = %g / %g overflows", i,
                                 x[i], T);
    }
    return lmp_softmax(out, n, out, err);
}

/* ---- entropies --------------------------------------------------------------- */

/* Sum of a distribution, or NaN if an entry is negative, NaN or infinite, or the sum is 0. */
static double dist_sum(vview p, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double v = vget(p, i);
        if (!(v >= 0) || isinf(v)) return NAN;
        s += v;
    }
    return s > 0 && isfinite(s) ? s : NAN;
}

static double entropy_view(vview p, size_t n, double base)
{
    double ilb = inv_log_base(base), s = dist_sum(p, n);
    if (isnan(ilb) || isnan(s)) return NAN;
    double h = 0.0;
    for (size_t i = 0; i < n; i++) {
        double q = vget(p, i) / s;
        if (q > 0) h -= q * log(q);
    }
    return h * ilb;
}

double lmp_entropy(const double *p, size_t n, double base) { return entropy_view((vview){p, NULL}, n, base); }
double lmp_entropy_f32(const float *p, size_t n, double base) { return entropy_view((vview){NULL, p}, n, base); }

static double entropy_logits_view(vview x, size_t n)
{
    double m;
    if (check_logits(x, n, &m, "entropy", NULL)) return NAN;
    /* H = log Z - sum e_i (x_i - m) / Z with e_i = exp(x_i - m), Z = sum e_i:
     * no log of a tiny probability, no 0 * -inf. */
    ksum z = {0, 0}, t = {0, 0};
    for (size_t i = 0; i < n; i++) {
        double v = vget(x, i);
        if (v == -INFINITY) continue;
        double d = v - m, e = exp(d);
        kadd(&z, e);
        kadd(&t, e * d);
    }
    double h = log(kval(&z)) - kval(&t) / kval(&z);
    return h > 0 ? h : 0.0; /* rounding can leave -1e-17 for a one-hot */
}

double lmp_entropy_of_logits(const double *logits, size_t n) { return entropy_logits_view((vview){logits, NULL}, n); }
double lmp_entropy_of_logits_f32(const float *logits, size_t n) { return entropy_logits_view((vview){NULL, logits}, n); }

double lmp_cross_entropy(const double *p, const double *q, size_t n, double base)
{
    vview P = {p, NULL}, Q = {q, NULL};
    double ilb = inv_log_base(base), sp = dist_sum(P, n), sq = dist_sum(Q, n);
    if (isnan(ilb) || isnan(sp) || isnan(sq)) return NAN;
    double h = 0.0;
    for (size_t i = 0; i < n; i++) {
        double a = p[i] / sp, b = q[i] / sq;
        if (a == 0) continue; /* xlogy(0, anything) = 0 */
        if (b == 0) return INFINITY;
        h -= a * log(b);
    }
    return h * ilb;
}

/* KL of already-normalised views with scale factors: sum (P_i/sp) log((P_i/sp) / (Q_i/sq)). */
static double kl_view(vview P, vview Q, size_t n, double base)
{
    double ilb = inv_log_base(base), sp = dist_sum(P, n), sq = dist_sum(Q, n);
    if (isnan(ilb) || isnan(sp) || isnan(sq)) return NAN;
    double d = 0.0;
    for (size_t i = 0; i < n; i++) {
        double a = vget(P, i) / sp, b = vget(Q, i) / sq;
        if (a == 0) continue;
        if (b == 0) return INFINITY;
        d += a * log(a / b);
    }
    return d * ilb;
}

double lmp_kl_divergence(const double *P, const double *Q, size_t n, double base)
{
    return kl_view((vview){P, NULL}, (vview){Q, NULL}, n, base);
}

double lmp_kl_divergence_f32(const float *P, const float *Q, size_t n, double base)
{
    return kl_view((vview){NULL, P}, (vview){NULL, Q}, n, base);
}

double lmp_kl_divergence_smoothed(const double *P, const double *Q, size_t n, double eps, double base)
{
    if (!(eps >= 0) || isinf(eps)) return NAN;
    double ilb = inv_log_base(base), sp = dist_sum((vview){P, NULL}, n), sq = dist_sum((vview){Q, NULL}, n);
    if (isnan(ilb) || isnan(sp) || isnan(sq)) return NAN;
    /* The chapter adds eps to the raw inputs, then normalises (P + eps) / sum(P + eps). */
    double spe = 0.0, sqe = 0.0;
    for (size_t i = 0; i < n; i++) {
        spe += P[i] + eps;
        sqe += Q[i] + eps;
    }
    double d = 0.0;
    for (size_t i = 0; i < n; i++) {
        double a = (P[i] + eps) / spe, b = (Q[i] + eps) / sqe;
        if (a == 0) continue;
        if (b == 0) return INFINITY;
        d += a * log(a / b);
    }
    return d * ilb;
}

double lmp_js_divergence(const double *P, const double *Q, size_t n, double base)
{
    double ilb = inv_log_base(base), sp = dist_sum((vview){P, NULL}, n), sq = dist_sum((vview){Q, NULL}, n);
    if (isnan(ilb) || isnan(sp) || isnan(sq)) return NAN;
    double d = 0.0;
    for (size_t i = 0; i < n; i++) {
        double a = P[i] / sp, b = Q[i] / sq, m = 0.5 * (a + b);
        if (a > 0) d += 0.5 * a * log(a / m);
        if (b > 0) d += 0.5 * b * log(b / m);
    }
    if (d < 0) d = 0; /* rounding for P == Q */
    return d * ilb;
}

double lmp_js_distance(const double *P, const double *Q, size_t n, double base)
{
    return sqrt(lmp_js_divergence(P, Q, n, base));
}

/* ---- perplexity and losses ------------------------------------------------- */

double lmp_perplexity(const double *log_probs, size_t n)
{
    if (n == 0) return NAN;
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double v = log_probs[i];
        if (isnan(v) || v > 0) return NAN;
        if (v == -INFINITY) return INFINITY;
        s += v;
    }
    return exp(-s / (double)n);
}

/* Loss of one row; the row is already checked to have a finite maximum m. */
static double ce_row(const double *x, size_t C, size_t target, double s, double m)
{
    double z = 0.0;
    for (size_t c = 0; c < C; c++) z += exp(x[c] - m);
    double lse = m + log(z);
    double nll = lse - x[target]; /* +inf when x[target] = -inf */
    if (s == 0) return nll;
    double mean = 0.0;
    for (size_t c = 0; c < C; c++) mean += x[c];
    mean /= (double)C; /* -inf when some logit is -inf: the smoothed loss is +inf, as torch */
    return (1.0 - s) * nll + s * (lse - mean);
}

static lmp_status ce_check(const double *x, size_t C, lmp_token_id target, double s, long row, double *m,
                           lmp_error *err)
{
    char where[48] = "";
    if (row >= 0) snprintf(where, sizeof where, " (row %ld)", row);
    if (C == 0) return lmp_error_set(err, LMP_EINVAL, "ce_loss: expected at least one class, got C = 0");
    if (target < 0 || (size_t)target >= C)
        return lmp_error_set(err, LMP_EINVAL, "ce_loss%s: target = %ld: expected a class in [0, %zu)", where,
                             (long)target, C);
    if (!(s >= 0 && s <= 1))
        return lmp_error_set(err, LMP_EINVAL, "ce_loss: label_smoothing = %g: expected a value in [0, 1]", s);
    lmp_status st = check_logits((vview){x, NULL}, C, m, "ce_loss", err);
    if (st && row >= 0 && err) {
        char tmp[sizeof err->msg];
        snprintf(tmp, sizeof tmp, "%s", err->msg);
        lmp_error_set(err, st, "%s (row %ld)", tmp, row);
    }
    return st;
}

lmp_status lmp_ce_loss(const double *logits, size_t C, lmp_token_id target, double label_smoothing, double *loss,
                       lmp_error *err)
{
    double m;
    lmp_status st = ce_check(logits, C, target, label_smoothing, -1, &m, err);
    if (st) return st;
    *loss = ce_row(logits, C, (size_t)target, label_smoothing, m);
    return LMP_OK;
}

lmp_status lmp_ce_loss_batch(const double *logits, size_t N, size_t C, const lmp_token_id *targets,
                             lmp_token_id ignore_index, double label_smoothing, double *loss, lmp_error *err)
{
    double sum = 0.0;
    size_t used = 0;
    for (size_t i = 0; i < N; i++) {
        if (targets[i] == ignore_index) continue;
        double m;
        lmp_status st = ce_check(logits + i * C, C, targets[i], label_smoothing, (long)i, &m, err);
        if (st) return st;
        sum += ce_row(logits + i * C, C, (size_t)targets[i], label_smoothing, m);
        used++;
    }
    *loss = used ? sum / (double)used : NAN; /* PyTorch: mean over zero elements is NaN */
    return LMP_OK;
}

lmp_status lmp_map_loss(const double *pred, const double *t, size_t N, size_t V, const double *w, size_t nw,
                        double lambda, lmp_prior prior, double *loss, lmp_error *err)
{
    if (N == 0 || V == 0)
        return lmp_error_set(err, LMP_EINVAL, "map_loss: N = %zu, V = %zu: expected at least one example and class",
                             N, V);
    if (!(lambda >= 0) || isinf(lambda))
        return lmp_error_set(err, LMP_EINVAL, "map_loss: lambda = %g: expected a finite lambda >= 0", lambda);
    if (prior != LMP_PRIOR_GAUSSIAN && prior != LMP_PRIOR_LAPLACE)
        return lmp_error_set(err, LMP_EINVAL, "map_loss: prior = %d: expected LMP_PRIOR_GAUSSIAN or LMP_PRIOR_LAPLACE",
                             (int)prior);
    double nll = 0.0;
    for (size_t i = 0; i < N * V; i++) {
        if (!(pred[i] >= 0 && pred[i] <= 1))
            return lmp_error_set(err, LMP_EINVAL, "map_loss: pred[%zu][%zu] = %g: expected a probability in [0, 1]",
                                 i / V, i % V, pred[i]);
        if (!(t[i] >= 0) || isinf(t[i]))
            return lmp_error_set(err, LMP_EINVAL, "map_loss: target[%zu][%zu] = %g: expected a finite value >= 0",
                                 i / V, i % V, t[i]);
        if (t[i] > 0) nll -= pred[i] > 0 ? t[i] * log(pred[i]) : -INFINITY;
    }
    nll /= (double)N;
    double reg = 0.0;
    for (size_t j = 0; j < nw; j++) {
        if (!isfinite(w[j]))
            return lmp_error_set(err, LMP_EINVAL, "map_loss: w[%zu] = %g: expected a finite weight", j, w[j]);
        reg += prior == LMP_PRIOR_GAUSSIAN ? w[j] * w[j] : fabs(w[j]);
    }
    *loss = nll + lambda * reg;
    return LMP_OK;
}
