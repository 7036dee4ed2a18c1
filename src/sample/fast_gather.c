/* Top-k and min-p as the first truncation, straight from float32 logits: one
 * streaming pass gathers a superset of the survivors, only those are converted. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sampler_internal.h"

/* Top-k as the first truncation, straight from float32 logits: when nothing
 * before it changes the logits (no penalties; in HF order at most a
 * temperature, which is monotone), the top k of the processed logits are among
 * the raw logits above a threshold taken from a stride sample, lowered by a
 * margin so that a temperature cannot merge an excluded logit with the k-th
 * value. One pass over the input validates it and gathers those positions; only
 * they are converted (and divided by T). The top-k step then runs exactly on
 * them. Returns 1 when done, 0 when not applicable (the caller takes the
 * general path), -1 on an input error (NaN/+inf, all -inf). */
static float const_thr(float mx, const void *ctx)
{
    (void)mx;
    return *(const float *)ctx;
}

int smp_topk_first(lmp_sampler *s, const float *lf, size_t V, lmp_status *st, lmp_error *err)
{
    const lmp_sampler_params *p = &s->prm;
    int hf = p->conv == LMP_CONV_HF;
    int no_pen = p->repetition_penalty == 1.0 && p->frequency_penalty == 0.0 && p->presence_penalty == 0.0;
    if (!lf || !no_pen || p->top_k <= 0 || V > s->cap || V <= 4 * SAMPLE_SIZE) return 0;
    if (hf && p->temperature == 0.0) return 0; /* greedy first */
    size_t K = (size_t)p->top_k;
    if (hf && K < p->min_keep) K = p->min_keep;
    if (K > V / 64) return 0;
    double *w = s->work;
    size_t stride = V / SAMPLE_SIZE;
    for (size_t j = 0; j < SAMPLE_SIZE; j++) {
        float v = lf[j * stride];
        if (!(v < INFINITY)) return 0; /* let the general path report it */
        w[j] = -(double)v;
    }
    size_t ks = (2 * K * SAMPLE_SIZE + V - 1) / V + 16;
    double thr = -smp_select_kth_smallest(w, SAMPLE_SIZE, ks);
    /* A margin of 2^-20 relative (and an absolute 1e-30) covers the rounding of
     * x / T to float (or double) many times over. */
    thr -= fabs(thr) * 0x1p-20 + 1e-30;
    float thrf = (float)thr, fmx;
    if ((double)thrf > thr) thrf = nextafterf(thrf, -INFINITY);
    size_t m, bad = lmp_sample_fgather(s->isa, lf, V, const_thr, &thrf, &fmx, s->id, &m);
    if (bad < V)
        return *st = smp_bad_logit_error(bad, (double)lf[bad], err), -1;
    if (m < K) return 0;
    /* convert the gathered logits as smp_load() would (temperature fused in HF order) */
    double T = hf && p->temperature != 1.0 ? R(s->f32, p->temperature) : 1.0;
    float tf = (float)T;
    double mx = -INFINITY;
    for (size_t j = 0; j < m; j++) {
        size_t i = (size_t)s->id[j];
        double v = lf[i];
        if (T != 1.0) v = s->f32 ? (double)(lf[i] / tf) : v / T;
        if (!(v < INFINITY))
            return *st = lmp_error_set(err, LMP_ERANGE, "logit[%zu] / T = %g / %g overflows: expected a larger T",
                                       i, (double)lf[i], T), -1;
        s->id[j] = (lmp_token_id)i;
        s->lg[j] = v;
        mx = v > mx ? v : mx;
    }
    if (mx == -INFINITY) return *st = smp_all_inf_error(lf, NULL, V, T, err), -1;
    s->n = m;
    s->ident = 0;
    s->temp_done = T != 1.0;
    s->max_ok = 0;
    smp_step_top_k(s);
    s->topk_done = 1;
    return 1;
}
/* Min-p as the first truncation, straight from float32 logits: the rule is a
 * threshold in logit space (llama.cpp exactly; HF's probability comparison
 * whenever no logit is within rounding of the line, as in step_min_p), so the
 * selection needs no exponential. One streaming pass validates, finds the
 * maximum and gathers every logit above the line of the running maximum minus
 * a margin (lmp_sample_fgather: a superset of the final candidates, as the
 * line only rises with the maximum); only those are converted and tested
 * against the final line. If a logit is near the line (HF), or fewer than
 * min_keep survive, it returns 0 and the general path decides. */
typedef struct minp_ctx {
    double T, L, margin;
    float tf; /* (float)T: float32 divides by it in float */
    int f32, hf;
} minp_ctx;

/* the processed logit of x (a float32 logit), exactly as smp_load() computes it */
static inline double minp_l(const minp_ctx *c, double x)
{
    return c->T == 1.0 ? x : c->f32 ? (double)((float)x / c->tf) : x / c->T;
}

/* The gather line (in the input's units) for a maximum raw logit mx: the
 * min-p line lowered by a margin far above the rounding of the conversion.
 * Non-decreasing in mx (every step is monotone, and the extra slack of the
 * pre-filter absorbs a rounding wobble of the |line| term). */
static double minp_gather_line(const minp_ctx *c, float mx, double slack, double *line_out)
{
    double m = minp_l(c, mx);
    double llama_thr = R(c->f32, m + R(c->f32, c->L));
    double line = c->hf ? m + c->L : llama_thr;
    double lo = line - c->margin - 1e-3 - fabs(line) * 1e-6;
    lo -= slack * (1.0 + fabs(lo));
    if (line_out) *line_out = line;
    return c->T != 1.0 ? lo * c->T : lo;
}

static float minp_thr_of(float mx, const void *vc)
{
    const minp_ctx *c = vc;
    if (mx == -INFINITY) return INFINITY; /* nothing finite yet: nothing to gather */
    double thr = minp_gather_line(c, mx, 1e-6, NULL);
    if (!(thr < INFINITY)) return -INFINITY; /* x / T overflows: the general path reports it */
    float thrf = (float)thr;
    if ((double)thrf > thr) thrf = nextafterf(thrf, -INFINITY);
    return thrf;
}

int smp_minp_first(lmp_sampler *s, const float *lf, size_t V, lmp_status *st, lmp_error *err)
{
    const lmp_sampler_params *p = &s->prm;
    int hf = p->conv == LMP_CONV_HF, f32 = s->f32;
    int no_pen = p->repetition_penalty == 1.0 && p->frequency_penalty == 0.0 && p->presence_penalty == 0.0;
    size_t k = (size_t)p->top_k;
    if (hf && p->top_k > 0 && k < p->min_keep) k = p->min_keep;
    int k_off = p->top_k == 0 || k >= V;
    if (!lf || !no_pen || !(p->min_p > 0) || !k_off || p->top_p < 1.0 || V > s->cap || V <= 4 * SAMPLE_SIZE)
        return 0;
    if (!hf && p->typical_p < 1.0) return 0;
    if (hf && p->temperature == 0.0) return 0;
    minp_ctx c;
    c.T = hf && p->temperature != 1.0 ? R(f32, p->temperature) : 1.0;
    c.tf = (float)c.T;
    c.L = log(p->min_p);
    c.margin = (fabs(c.L) + 8.0) * (f32 ? 1e-5 : 1e-12);
    c.f32 = f32;
    c.hf = hf;
    float mx;
    size_t g;
    size_t bad = lmp_sample_fgather(s->isa, lf, V, minp_thr_of, &c, &mx, s->id, &g);
    if (bad < V)
        return *st = smp_bad_logit_error(bad, (double)lf[bad], err), -1;
    if (mx == -INFINITY) return *st = smp_no_finite_error(V, err), -1;
    double m = minp_l(&c, mx);
    if (!(m < INFINITY) || m == -INFINITY) return 0; /* let the general path report the overflow */
    double line;
    double thr = minp_gather_line(&c, mx, 0.0, &line);
    float thrf = (float)thr;
    if ((double)thrf > thr) thrf = nextafterf(thrf, -INFINITY);
    double llama_thr = line;
    /* the candidates: a superset of { x >= thrf }; below thrf a logit is far from the line */
    size_t n = 0;
    for (size_t j = 0; j < g; j++) {
        lmp_token_id i = s->id[j];
        float x = lf[i];
        if (!(x >= thrf)) continue;
        double l = minp_l(&c, x);
        int keep;
        if (hf) {
            double d = l - m - c.L;
            if (fabs(d) <= c.margin) return 0; /* near the line: HF's literal comparison decides */
            keep = d >= 0;
        } else {
            keep = l >= llama_thr;
        }
        s->id[n] = i;
        s->lg[n] = l;
        n += keep;
    }
    if (n < p->min_keep) return 0;
    s->n = n;
    s->ident = 0;
    s->temp_done = c.T != 1.0;
    s->lgmax = m;
    s->max_ok = 1;
    s->minp_done = 1;
    return 1;
}
