/* Information theory kernels (see include/lmprob/info.h).
 *
 * Float and double inputs share one implementation through a small "vector
 * view" (exactly one of d/f is set): one copy of each formula is easier to
 * trust than two. The passes over a whole vector (maximum, exp sums,
 * entropy terms, sums of log probabilities) run in the vector kernels of
 * vmath.h (exp and log within 1 ulp, TwoSum accumulation), on the widest ISA
 * the machine has, chosen per call; the rest is scalar. */
#include "lmprob/info.h"

#include <math.h>
#include <string.h>

#include "../dist/internal.h"
#include "../sample/kernels.h"
#include "vmath.h"
#include "../core/sizes.h"
#include "../core/ksum.h"

typedef struct vview {
    const double *d;
    const float *f;
} vview;

static inline double vget(vview v, size_t i) { return v.d ? v.d[i] : (double)v.f[i]; }

/* Sums by Neumaier's compensation (src/core/ksum.h): a sum of 50257 equal terms keeps ~1e-16 relative accuracy
 * instead of drifting by n * eps / 2 (the golden entropy of a V = 50257 softmax needs 1e-12). */

/* 1 / log(base), or NaN for a bad base. Exactly 1 for LMP_BASE_E. */
static double inv_log_base(double base)
{
    if (base == LMP_BASE_E) return 1.0;
    if (!(base > 0) || base == 1.0 || isinf(base)) return NAN;
    return 1.0 / log(base);
}

/* ---- logsumexp --------------------------------------------------------------- */

/* The parts of a stable log-sum-exp over entries with no NaN and no +inf: m = max x,
 * imax = the first index of the maximum, r = sum over every other index of exp(x_i - m)
 * (compensated). Then logsumexp(x) = m + log1p(r). Keeping the maximum's term (exactly 1)
 * out of r is what makes the result right to its last digits when one logit dominates:
 * log(1 + r) would round r away against the 1, log1p(r) keeps it (lse(x) - m ~ r, a
 * log-softmax of the leading token ~ -r, a cross-entropy of a confident right guess
 * ~ r). The differences x_i - m are exact for logits within a factor 2 of each other
 * (Sterbenz) and carry one rounding otherwise, so logits far from 0 lose nothing. */
typedef struct lse_parts {
    double m, r;
    size_t imax;
} lse_parts;

static lse_parts lse_split(vview a, size_t n, double m)
{
    int isa = lmp_sample_isa_best();
    lse_parts p = {m, 0.0, 0};
    p.r = lmp_vm_exp_sum_others(isa, a.d, a.f, n, m, &p.imax);
    return p;
}

static double lse_view(vview a, size_t n)
{
    double m;
    if (!a.d && !a.f) return NAN; /* no array: as a domain error (n = 0 gives -inf, the empty sum's log) */
    if (lmp_vm_check_max(lmp_sample_isa_best(), a.d, a.f, n, &m) < n) { /* NaN anywhere wins over +inf */
        for (size_t i = 0; i < n; i++)
            if (isnan(vget(a, i))) return NAN;
        return INFINITY;
    }
    if (m == -INFINITY) return -INFINITY; /* empty or all -inf */
    if (m == INFINITY) return INFINITY;
    return m + log1p(lse_split(a, n, m).r);
}

double lmp_logsumexp(const double *a, size_t n) { return lse_view((vview){a, NULL}, n); }
double lmp_logsumexp_f32(const float *a, size_t n) { return lse_view((vview){NULL, a}, n); }

/* ---- softmax ----------------------------------------------------------------- */

/* Check logits and return their maximum (finite), or an error. */
static lmp_status check_logits(vview x, size_t n, const void *out, double *max, const char *what, lmp_error *err)
{
    if (n == 0) return lmp_error_set(err, LMP_EINVAL, "%s: expected at least one logit, got an empty vector", what);
    if ((!x.d && !x.f) || !out)
        return lmp_error_set(err, LMP_EINVAL, "%s: %s NULL (n = %zu): expected an array of n values", what,
                             !out ? "the output is" : "the logits are", n);
    double m = -INFINITY;
    size_t bad = n;
    /* one branch-light loop per type (this runs over the whole vocabulary) */
    if (x.d) {
        bad = lmp_vm_check_max(lmp_sample_isa_best(), x.d, NULL, n, &m);
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
    lmp_status st = check_logits((vview){x, NULL}, n, out, &m, "softmax", err);
    if (st) return st;
    /* Compensated sum: a plain one drifts by up to n u (2e-11 for n = 1e5), far beyond the
     * few ulps each probability is otherwise good to. exp(-inf) = 0 and exp(0) = 1 exactly.
     * Then one multiplication by 1 / z: two roundings (1 ulp) where a division has one, at
     * a fifth of the cost; 1 / z is exact for the one-hot z = 1. */
    int isa = lmp_sample_isa_best();
    double z = lmp_vm_dd_val(lmp_vm_exp_sum(isa, x, NULL, 0, n, m, out, NULL));
    lmp_vm_scale(isa, out, n, 1.0 / z);
    return LMP_OK;
}

lmp_status lmp_softmax_f32(const float *x, size_t n, float *out, lmp_error *err)
{
    double m;
    lmp_status st = check_logits((vview){NULL, x}, n, out, &m, "softmax", err);
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
    lmp_status st = check_logits((vview){x, NULL}, n, out, &m, "log_softmax", err);
    if (st) return st;
    /* (x_i - m) - log1p(r), never x_i - (m + log(z)): with logits near 1e6 the latter keeps
     * only the absolute precision of 1e6 (lse_split). */
    double l = log1p(lse_split((vview){x, NULL}, n, m).r);
    lmp_vm_sub2(lmp_sample_isa_best(), x, NULL, n, m, l, out, NULL);
    return LMP_OK;
}

lmp_status lmp_log_softmax_f32(const float *x, size_t n, float *out, lmp_error *err)
{
    double m;
    lmp_status st = check_logits((vview){NULL, x}, n, out, &m, "log_softmax", err);
    if (st) return st;
    double l = log1p(lse_split((vview){NULL, x}, n, m).r);
    lmp_vm_sub2(lmp_sample_isa_best(), NULL, x, n, m, l, NULL, out);
    return LMP_OK;
}

lmp_status lmp_softmax_temperature(const double *x, size_t n, double T, double *out, lmp_error *err)
{
    if (isnan(T) || T < 0)
        return lmp_error_set(err, LMP_EINVAL, "temperature = %g: expected T > 0 (or T = 0 for greedy)", T);
    double m;
    lmp_status st = check_logits((vview){x, NULL}, n, out, &m, "softmax_temperature", err);
    if (st) return st;
    if (T == 0) { /* the limit T -> 0+: all mass on the first maximum */
        size_t arg = 0;
        while (x[arg] != m) arg++;
        for (size_t i = 0; i < n; i++) out[i] = i == arg ? 1.0 : 0.0;
        return LMP_OK;
    }
    /* softmax((x - m) / T): the same function as softmax(x / T) (softmax ignores a common
     * shift), but the differences are taken before the division, so logits far from 0 keep
     * their digits, and (x - m) / T <= 0 never overflows to +inf however small T is. A
     * difference of finite logits that overflows (1e308 - -1e308) is taken from the halves,
     * over T / 2: with T = 1.7e308 its quotient is -1.2, not -inf (probability 0.236, it was 0). */
    lmp_ksum s = {0, 0};
    for (size_t i = 0; i < n; i++) {
        const double d = x[i] - m;
        out[i] = exp(d == -INFINITY && x[i] > -INFINITY ? (0.5 * x[i] - 0.5 * m) / (0.5 * T) : d / T);
        lmp_ksum_add(&s, out[i]);
    }
    double z = lmp_ksum_value(&s);
    for (size_t i = 0; i < n; i++) out[i] /= z;
    return LMP_OK;
}

/* ---- entropies --------------------------------------------------------------- */

/* A distribution given as non-negative weights, seen through its normalised values
 * q_i = w_i / sum w. The weights are first scaled by a power of two (exact) that brings
 * the largest to [1, 2), so that a sum of weights near DBL_MAX does not overflow (the
 * entropy of [1e308, 1e308, 1e308] is log 3) and one of weights near DBL_MIN does not lose
 * its digits. rest is the sum of every weight but the largest one, computed on its own:
 * log q of the largest is log1p(-rest / sum), which keeps its relative precision when the
 * distribution is nearly one-hot (log(q) of a q = 1 - 1e-9 rounded to double would
 * keep only 7 digits, and H ~ 1e-8 would keep as many). */
typedef struct wdist {
    int shift; /* the weights are read as ldexp(w, shift) = (w * s1) * s2 */
    double s1, s2;
    double sum, rest;
    size_t imax;
} wdist;

/* What every divergence takes as a distribution: 0, with *mx the largest weight, or -1 if a
 * weight is negative, NaN or infinite, or all are 0. */
static int weights_check(int isa, vview w, size_t n, double *mx)
{
    if (!w.d && !w.f) return -1; /* no array: NaN, as any other bad input of these functions */
    return lmp_vm_check_weights(isa, w.d, w.f, n, mx) || !(*mx > 0) ? -1 : 0;
}

/* 0, or -1 as weights_check. */
static int wdist_init(vview w, size_t n, wdist *d)
{
    int isa = lmp_sample_isa_best();
    double mx;
    if (weights_check(isa, w, n, &mx)) return -1;
    d->imax = lmp_vm_find(isa, w.d, w.f, n, mx);
    d->shift = -ilogb(mx); /* not one factor: 2^1074 for a subnormal maximum overflows */
    /* w * 2^shift in two exact steps when 2^shift is beyond the doubles; one factor
     * (possibly subnormal, the product then rounded once, as ldexp) otherwise */
    d->s1 = ldexp(1.0, d->shift > 1023 ? 1023 : d->shift);
    d->s2 = ldexp(1.0, d->shift > 1023 ? d->shift - 1023 : 0);
    d->rest = lmp_vm_dd_add(lmp_vm_sum_scaled(isa, w.d, w.f, 0, d->imax, d->s1, d->s2),
                     lmp_vm_sum_scaled(isa, w.d, w.f, d->imax + 1, n, d->s1, d->s2));
    d->sum = ldexp(mx, d->shift) + d->rest;
    return 0;
}

static inline double wq(vview w, const wdist *d, size_t i) { return ldexp(vget(w, i), d->shift) / d->sum; }

/* log q_i for q_i > 0 */
static inline double wlogq(vview w, const wdist *d, size_t i)
{
    return i == d->imax ? log1p(-d->rest / d->sum) : log(wq(w, d, i));
}

/* The view the divergence kernels (vmath.h) read: the same values as wq() */
static inline lmp_vm_wv wv(vview w, const wdist *d) { return (lmp_vm_wv){w.d, w.f, d->s1, d->s2, d->sum, d->shift}; }

static double entropy_view(vview p, size_t n, double base)
{
    double ilb = inv_log_base(base);
    wdist d;
    if (isnan(ilb) || wdist_init(p, n, &d)) return NAN;
    /* Every term -q log q is >= 0: a compensated sum keeps the result to a few ulps for any
     * length (a plain one drifts by up to n u: 5e-13 relative over a million counts).
     * The largest weight's term is -q log1p(-rest / sum) (wlogq); every other q_i = w_i / S
     * is at most 1/2, so -q_i log q_i = (w_i / S)(log S - log w_i) with log S - log w_i
     * >= log 2: the two logs cancel by at most a factor 3, and S's reciprocal and the
     * division leave the loop (the vector kernel sums w_i (log S - log w_i)). */
    int isa = lmp_sample_isa_best();
    double logS = log(d.sum);
    double rest = lmp_vm_dd_add(lmp_vm_entropy_terms(isa, p.d, p.f, 0, d.imax, d.s1, d.s2, logS),
                         lmp_vm_entropy_terms(isa, p.d, p.f, d.imax + 1, n, d.s1, d.s2, logS));
    double qm = wq(p, &d, d.imax);
    double h = rest / d.sum + -qm * wlogq(p, &d, d.imax);
    return base == LMP_BASE_E ? h : h / log(base);
}

double lmp_entropy(const double *p, size_t n, double base) { return entropy_view((vview){p, NULL}, n, base); }
double lmp_entropy_f32(const float *p, size_t n, double base) { return entropy_view((vview){NULL, p}, n, base); }

static double entropy_logits_view(vview x, size_t n)
{
    double m;
    if (check_logits(x, n, &m, &m, "entropy", NULL)) return NAN;
    /* H = log Z - sum e_i d_i / Z with d_i = x_i - m <= 0, e_i = exp(d_i), Z = 1 + r:
     * log Z as log1p(r) (lse_split), and the two terms are both >= 0, so nothing cancels;
     * no log of a tiny probability, no 0 * -inf. */
    lse_parts lp = lse_split(x, n, m);
    /* the maximum's term is -exp(0) 0 = 0: the vector kernel runs over all of them */
    double t = lmp_vm_dd_val(lmp_vm_exp_dsum(lmp_sample_isa_best(), x.d, x.f, 0, n, m));
    double h = log1p(lp.r) + t / (1.0 + lp.r);
    return h < 0 ? 0.0 : h; /* rounding below 0 only: a NaN is not hidden as 0 */
}

double lmp_entropy_of_logits(const double *logits, size_t n) { return entropy_logits_view((vview){logits, NULL}, n); }
double lmp_entropy_of_logits_f32(const float *logits, size_t n) { return entropy_logits_view((vview){NULL, logits}, n); }

static double xent_view(vview P, vview Q, size_t n, double base)
{
    double ilb = inv_log_base(base);
    wdist dp, dq;
    if (isnan(ilb) || wdist_init(P, n, &dp) || wdist_init(Q, n, &dq)) return NAN;
    /* terms -a log b >= 0, a = w / sum P (the division once, at the end); Q's largest
     * probability by its own log1p (wlogq), the others in the vector kernel */
    int isa = lmp_sample_isa_best(), inf0, inf1;
    lmp_vm_dd h0 = lmp_vm_xent_terms(isa, wv(P, &dp), wv(Q, &dq), 0, dq.imax, &inf0);
    lmp_vm_dd h1 = lmp_vm_xent_terms(isa, wv(P, &dp), wv(Q, &dq), dq.imax + 1, n, &inf1);
    if (inf0 || inf1) return INFINITY;
    double am = wq(P, &dp, dq.imax);
    double h = lmp_vm_dd_add(h0, h1) / dp.sum + (am == 0 ? 0.0 : -am * wlogq(Q, &dq, dq.imax));
    return base == LMP_BASE_E ? h : h / log(base);
}

double lmp_cross_entropy(const double *p, const double *q, size_t n, double base)
{
    return xent_view((vview){p, NULL}, (vview){q, NULL}, n, base);
}

double lmp_cross_entropy_f32(const float *p, const float *q, size_t n, double base)
{
    return xent_view((vview){NULL, p}, (vview){NULL, q}, n, base);
}

/* KL(P || Q) = sum a log(a / b) over a = P/sum P, b = Q/sum Q. Since sum a = sum b = 1 it
 * equals sum [a log(a / b) + b - a], and each bracket is Loader's deviance bd0(a, b) >= 0
 * (evaluated by its series where a ~ b): a sum of non-negative terms, where the plain
 * form sums terms of both signs that cancel to O(|a - b|^2) and leaves the rounding of the
 * two normalisations (~u) against a result that may be 1e-20. A term with a = 0 is b. */
static double kl_view(vview P, vview Q, size_t n, double base)
{
    double ilb = inv_log_base(base);
    wdist dp, dq;
    if (isnan(ilb) || wdist_init(P, n, &dp) || wdist_init(Q, n, &dq)) return NAN;
    int inf;
    double d = lmp_vm_dd_val(lmp_vm_kl_terms(lmp_sample_isa_best(), wv(P, &dp), wv(Q, &dq), n, &inf));
    if (inf) return INFINITY;
    return base == LMP_BASE_E ? d : d / log(base);
}

double lmp_kl_divergence(const double *P, const double *Q, size_t n, double base)
{
    return kl_view((vview){P, NULL}, (vview){Q, NULL}, n, base);
}

double lmp_kl_divergence_f32(const float *P, const float *Q, size_t n, double base)
{
    return kl_view((vview){NULL, P}, (vview){NULL, Q}, n, base);
}

static double kl_smooth_view(vview P, vview Q, size_t n, double eps, double base)
{
    if (!(eps >= 0) || isinf(eps)) return NAN;
    double ilb = inv_log_base(base);
    int isa = lmp_sample_isa_best();
    double mp, mq;
    /* the inputs checked as every divergence checks them; their sums and largest entries
     * (wdist) are not needed here */
    if (isnan(ilb) || weights_check(isa, P, n, &mp) || weights_check(isa, Q, n, &mq)) return NAN;
    /* The chapter adds eps to the raw inputs, then normalises (P + eps) / sum(P + eps)
     * (here times the reciprocal of the sum: one rounding more, in a vector kernel). A
     * float32 input is read as the doubles it holds: the sums and terms are the double
     * variant's of the widened vectors, bit for bit. Both sides and eps are first scaled by
     * the power of two that brings the largest of them to [1, 2), as every divergence's weights
     * are (wdist): the reciprocal of a subnormal sum overflowed (weights 1e-320, 2e-320: NaN)
     * and a sum past DBL_MAX had 0 as its reciprocal (weights 1e308: 0). A power of two
     * changes no rounding, so the result is the unscaled one's bit for bit wherever that one
     * stayed in range. */
    const int shift = -ilogb(fmax(eps, fmax(mp, mq)));
    const double s1 = ldexp(1.0, shift > 1023 ? 1023 : shift), s2 = ldexp(1.0, shift > 1023 ? shift - 1023 : 0);
    lmp_vm_dd sp, sq;
    lmp_vm_sum_plus(isa, P.d, P.f, Q.d, Q.f, n, eps, s1, s2, &sp, &sq);
    double spe = lmp_vm_dd_val(sp), sqe = lmp_vm_dd_val(sq);
    return lmp_vm_dd_val(lmp_vm_kl_smooth(isa, P.d, P.f, Q.d, Q.f, n, eps, s1, s2, 1.0 / spe, 1.0 / sqe)) * ilb;
}

double lmp_kl_divergence_smoothed(const double *P, const double *Q, size_t n, double eps, double base)
{
    return kl_smooth_view((vview){P, NULL}, (vview){Q, NULL}, n, eps, base);
}

double lmp_kl_divergence_smoothed_f32(const float *P, const float *Q, size_t n, double eps, double base)
{
    return kl_smooth_view((vview){NULL, P}, (vview){NULL, Q}, n, eps, base);
}

/* JS = (KL(a || m) + KL(b || m)) / 2 with m = (a + b) / 2, each KL as a sum of bd0 terms
 * (see kl_view): bd0(0, m) = m covers the zeros of either side. */
static double js_view(vview PV, vview QV, size_t n, double base)
{
    double ilb = inv_log_base(base);
    wdist dp, dq;
    if (isnan(ilb) || wdist_init(PV, n, &dp) || wdist_init(QV, n, &dq)) return NAN;
    double v = lmp_vm_dd_val(lmp_vm_js_terms(lmp_sample_isa_best(), wv(PV, &dp), wv(QV, &dq), n));
    /* 0 <= JS <= ln 2 (Lin, IEEE Trans. Inf. Theory 37(1), 1991; equal for disjoint supports), where the sum's last
     * rounding can step one ulp past either end: clamped, so that js / ln 2 is at most 1 and
     * sqrt(1 - js_bits) is a number */
    if (v < 0) v = 0;
    if (v > M_LN2) v = M_LN2;
    return base == LMP_BASE_E ? v : v / log(base);
}

double lmp_js_divergence(const double *P, const double *Q, size_t n, double base)
{
    return js_view((vview){P, NULL}, (vview){Q, NULL}, n, base);
}

double lmp_js_divergence_f32(const float *P, const float *Q, size_t n, double base)
{
    return js_view((vview){NULL, P}, (vview){NULL, Q}, n, base);
}

double lmp_js_distance(const double *P, const double *Q, size_t n, double base)
{
    return sqrt(lmp_js_divergence(P, Q, n, base));
}

double lmp_js_distance_f32(const float *P, const float *Q, size_t n, double base)
{
    return sqrt(lmp_js_divergence_f32(P, Q, n, base));
}

/* ---- perplexity and losses ------------------------------------------------- */

double lmp_perplexity(const double *log_probs, size_t n)
{
    if (n == 0 || !log_probs) return NAN;
    int flag;
    lmp_vm_dd s = lmp_vm_logprob_sum(lmp_sample_isa_best(), log_probs, NULL, n, &flag);
    if (flag) /* the first bad entry decides, as it always did */
        for (size_t i = 0; i < n; i++) {
            double v = log_probs[i];
            if (isnan(v) || v > 0) return NAN;
            if (v == -INFINITY) return INFINITY;
        }
    /* every entry finite and <= 0 here: a sum that is not finite overflowed (-1e308 twice: the
     * double-double's error term is inf - inf, NaN), and the mean is then below -DBL_MAX / n, whose
     * exp(-mean) is inf at any n a machine can hold */
    double sum = lmp_vm_dd_val(s);
    if (!isfinite(sum)) return INFINITY;
    return exp(-sum / (double)n);
}

/* Loss of one row; the row is already checked to have a finite maximum m. With d = x - m,
 * nll = lse(d) - d_t = log1p(r) - d_t (lse_split), and PyTorch's label smoothing adds
 * s (lse(d) - mean d) - s nll; every piece is a difference to the maximum, so logits far
 * from 0 lose no digits, and a confident right guess (nll ~ r) keeps its own. */
static double ce_row(vview x, size_t C, size_t target, double s, double m)
{
    lse_parts lp = lse_split(x, C, m);
    double lse = log1p(lp.r);
    double nll = lse - (vget(x, target) - m); /* +inf when x[target] = -inf */
    if (s == 0) return nll;
    lmp_ksum md = {0, 0};
    for (size_t c = 0; c < C; c++) {
        /* a -inf logit makes the mean -inf and the smoothed loss +inf, as torch's; returned here,
         * since the compensated sum's error term would make NaN of it. torch's (1 - s) nll is
         * 0 * inf = NaN when s = 1 and the target's logit is -inf: the same NaN here. */
        double v = vget(x, c);
        if (v == -INFINITY) return s == 1 && nll == INFINITY ? NAN : INFINITY;
        lmp_ksum_add(&md, v - m);
    }
    double mean = lmp_ksum_value(&md) / (double)C;
    return (1.0 - s) * nll + s * (lse - mean);
}

static lmp_status ce_check(vview x, size_t C, lmp_token_id target, double s, long row, double *m, lmp_error *err)
{
    if (C == 0) return lmp_error_set(err, LMP_EINVAL, "ce_loss: expected at least one class, got C = 0");
    if (target < 0 || (size_t)target >= C) {
        /* the row named only here: a snprintf per row was a third of a small loss (132 ns of 5 logits) */
        char where[48] = "";
        if (row >= 0) snprintf(where, sizeof where, " (row %ld)", row);
        return lmp_error_set(err, LMP_EINVAL, "ce_loss%s: target = %ld: expected a class in [0, %zu)", where,
                             (long)target, C);
    }
    if (!(s >= 0 && s <= 1))
        return lmp_error_set(err, LMP_EINVAL, "ce_loss: label_smoothing = %g: expected a value in [0, 1]", s);
    lmp_status st = check_logits(x, C, m, m, "ce_loss", err);
    if (st && row >= 0 && err) {
        char tmp[sizeof err->msg];
        snprintf(tmp, sizeof tmp, "%s", err->msg);
        lmp_error_set(err, st, "%s (row %ld)", tmp, row);
    }
    return st;
}

/* Row i of an N x C view */
static inline vview vrow(vview x, size_t i, size_t C)
{
    return x.d ? (vview){x.d + i * C, NULL} : (vview){NULL, x.f + i * C};
}

static lmp_status ce_batch_view(vview logits, size_t N, size_t C, const lmp_token_id *targets,
                                lmp_token_id ignore_index, double label_smoothing, double *loss, lmp_error *err)
{
    if (!loss || (N && ((!logits.d && !logits.f) || !targets)))
        return lmp_error_set(err, LMP_EINVAL, "ce_loss: %s is NULL (N = %zu): expected an array (or a place for the loss)",
                             !loss ? "loss" : !targets ? "targets" : "logits", N);
    if (lmp_array_too_large(N, C, logits.d ? sizeof(double) : sizeof(float)))
        return lmp_error_set(err, LMP_ERANGE, "ce_loss: logits are %zu x %zu: too large (their bytes overflow size_t)",
                             N, C);
    lmp_ksum sum = {0, 0};
    size_t used = 0;
    int inf = 0; /* a row's loss is +inf (its target's logit -inf): kept out of the compensated sum,
                  * whose error term would turn it into NaN */
    for (size_t i = 0; i < N; i++) {
        if (targets[i] == ignore_index) continue;
        double m;
        vview row = vrow(logits, i, C);
        lmp_status st = ce_check(row, C, targets[i], label_smoothing, (long)i, &m, err);
        if (st) return st;
        double r = ce_row(row, C, (size_t)targets[i], label_smoothing, m);
        if (isinf(r)) inf = 1;
        else lmp_ksum_add(&sum, r);
        used++;
    }
    /* PyTorch: the mean over zero rows is NaN */
    *loss = !used ? NAN : inf ? INFINITY : lmp_ksum_value(&sum) / (double)used;
    return LMP_OK;
}

static lmp_status ce_one_view(vview logits, size_t C, lmp_token_id target, double label_smoothing, double *loss,
                              lmp_error *err)
{
    if (!loss) return lmp_error_set(err, LMP_EINVAL, "ce_loss: loss is NULL: expected a place for the loss");
    double m;
    lmp_status st = ce_check(logits, C, target, label_smoothing, -1, &m, err);
    if (st) return st;
    *loss = ce_row(logits, C, (size_t)target, label_smoothing, m);
    return LMP_OK;
}

lmp_status lmp_ce_loss(const double *logits, size_t C, lmp_token_id target, double label_smoothing, double *loss,
                       lmp_error *err)
{
    return ce_one_view((vview){logits, NULL}, C, target, label_smoothing, loss, err);
}

lmp_status lmp_ce_loss_f32(const float *logits, size_t C, lmp_token_id target, double label_smoothing, double *loss,
                           lmp_error *err)
{
    return ce_one_view((vview){NULL, logits}, C, target, label_smoothing, loss, err);
}

lmp_status lmp_ce_loss_batch(const double *logits, size_t N, size_t C, const lmp_token_id *targets,
                             lmp_token_id ignore_index, double label_smoothing, double *loss, lmp_error *err)
{
    return ce_batch_view((vview){logits, NULL}, N, C, targets, ignore_index, label_smoothing, loss, err);
}

lmp_status lmp_ce_loss_batch_f32(const float *logits, size_t N, size_t C, const lmp_token_id *targets,
                                 lmp_token_id ignore_index, double label_smoothing, double *loss, lmp_error *err)
{
    return ce_batch_view((vview){NULL, logits}, N, C, targets, ignore_index, label_smoothing, loss, err);
}

lmp_status lmp_map_loss(const double *pred, const double *t, size_t N, size_t V, const double *w, size_t nw,
                        double lambda, lmp_prior prior, double *loss, lmp_error *err)
{
    if (N == 0 || V == 0)
        return lmp_error_set(err, LMP_EINVAL, "map_loss: N = %zu, V = %zu: expected at least one example and class",
                             N, V);
    if (lmp_array_too_large(N, V, sizeof(double)))
        return lmp_error_set(err, LMP_ERANGE, "map_loss: N = %zu, V = %zu: too large (N x V doubles overflow size_t)",
                             N, V);
    if (!pred || !t || !loss || (nw && !w))
        return lmp_error_set(err, LMP_EINVAL, "map_loss: %s is NULL: expected an array (or a place for the loss)",
                             !pred ? "pred" : !t ? "targets" : !loss ? "loss" : "w");
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
