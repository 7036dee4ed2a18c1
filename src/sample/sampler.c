/* The sampler object: parameters, lifetime, apply (the fused engine's dispatch over
 * its general path and fast paths), the kept set and the draw. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sampler_internal.h"

/* ---- parameters ---------------------------------------------------------------- */

void lmp_sampler_params_init(lmp_sampler_params *p)
{
    *p = (lmp_sampler_params){
        .conv = LMP_CONV_HF,
        .dtype = LMP_DTYPE_F64,
        .temperature = 1.0,
        .top_k = 0,
        .top_p = 1.0,
        .min_p = 0.0,
        .typical_p = 1.0,
        .epsilon = 0.0,
        .repetition_penalty = 1.0,
        .frequency_penalty = 0.0,
        .presence_penalty = 0.0,
        .penalty_last_n = 0,
        .min_keep = 1,
        .simd = LMP_SIMD_BEST,
        .path = LMP_PATH_AUTO,
    };
}

lmp_status lmp_sampler_params_check(const lmp_sampler_params *p, lmp_error *err)
{
    if (!p) return lmp_error_set(err, LMP_EINVAL, "sampler params: expected a pointer, got NULL");
    if (p->conv != LMP_CONV_HF && p->conv != LMP_CONV_LLAMA)
        return lmp_error_set(err, LMP_EINVAL, "convention = %d: expected LMP_CONV_HF or LMP_CONV_LLAMA", (int)p->conv);
    if (p->dtype != LMP_DTYPE_F64 && p->dtype != LMP_DTYPE_F32)
        return lmp_error_set(err, LMP_EINVAL, "dtype = %d: expected LMP_DTYPE_F64 or LMP_DTYPE_F32", (int)p->dtype);
    if (!(p->temperature >= 0) || isinf(p->temperature))
        return lmp_error_set(err, LMP_EINVAL, "temperature = %g: expected T >= 0 (0 is greedy)", p->temperature);
    /* float32 arithmetic divides by (float)T: a T that rounds to 0 there would divide by 0 (and a message
     * "x / 0 overflows" would name a division nobody asked for) */
    if (p->dtype == LMP_DTYPE_F32 && p->temperature > 0 && (float)p->temperature == 0.0f)
        return lmp_error_set(err, LMP_EINVAL,
                             "temperature = %g: 0 in float32 (dtype f32): expected T = 0 (greedy) or T >= %g",
                             p->temperature, (double)FLT_TRUE_MIN);
    if (p->top_k < 0) return lmp_error_set(err, LMP_EINVAL, "top_k = %ld: expected k >= 0 (0 is off)", p->top_k);
    if (!(p->top_p >= 0 && p->top_p <= 1))
        return lmp_error_set(err, LMP_EINVAL, "top_p = %g: expected p in [0, 1] (1 is off)", p->top_p);
    if (!(p->min_p >= 0 && p->min_p <= 1))
        return lmp_error_set(err, LMP_EINVAL, "min_p = %g: expected a value in [0, 1] (0 is off)", p->min_p);
    if (!(p->typical_p > 0 && p->typical_p <= 1))
        return lmp_error_set(err, LMP_EINVAL, "typical_p = %g: expected a mass in (0, 1] (1 is off)", p->typical_p);
    if (!(p->epsilon >= 0 && p->epsilon < 1))
        return lmp_error_set(err, LMP_EINVAL, "epsilon = %g: expected a value in [0, 1) (0 is off)", p->epsilon);
    if (!(p->repetition_penalty > 0) || isinf(p->repetition_penalty))
        return lmp_error_set(err, LMP_EINVAL, "repetition_penalty = %g: expected a finite penalty > 0 (1 is off)",
                             p->repetition_penalty);
    if (!isfinite(p->frequency_penalty))
        return lmp_error_set(err, LMP_EINVAL, "frequency_penalty = %g: expected a finite number",
                             p->frequency_penalty);
    if (!isfinite(p->presence_penalty))
        return lmp_error_set(err, LMP_EINVAL, "presence_penalty = %g: expected a finite number", p->presence_penalty);
    /* float32 arithmetic takes the penalties as floats: one beyond float32 would be +-inf or 0 there, and a
     * later "presence_penalty = -inf overflows" named a value nobody gave (as the temperature's rule above) */
    if (p->dtype == LMP_DTYPE_F32) {
        const double v[3] = {p->repetition_penalty, p->frequency_penalty, p->presence_penalty};
        static const char *const name[3] = {"repetition_penalty", "frequency_penalty", "presence_penalty"};
        for (int i = 0; i < 3; i++) {
            if (isinf((float)v[i]))
                return lmp_error_set(err, LMP_EINVAL, "%s = %g: beyond float32 (dtype f32): expected |%s| <= %g",
                                     name[i], v[i], name[i], (double)FLT_MAX);
            if (i == 0 && (float)v[i] == 0.0f)
                return lmp_error_set(err, LMP_EINVAL,
                                     "repetition_penalty = %g: 0 in float32 (dtype f32): expected a penalty >= %g",
                                     v[i], (double)FLT_TRUE_MIN);
        }
    }
    if (p->path != LMP_PATH_AUTO && p->path != LMP_PATH_REFERENCE)
        return lmp_error_set(err, LMP_EINVAL, "path = %d: expected LMP_PATH_AUTO or LMP_PATH_REFERENCE", (int)p->path);
    if (p->simd < LMP_SIMD_BEST || p->simd > LMP_SIMD_AVX512)
        return lmp_error_set(err, LMP_EINVAL, "simd = %d: expected LMP_SIMD_BEST, _BASELINE, _AVX2 or _AVX512",
                             (int)p->simd);
    return LMP_OK;
}

/* ---- lifetime ------------------------------------------------------------------ */

lmp_status lmp_sampler_create(const lmp_sampler_params *prm, size_t max_vocab, lmp_sampler **out, lmp_error *err)
{
    *out = NULL;
    lmp_status st = lmp_sampler_params_check(prm, err);
    if (st) return st;
    if (max_vocab == 0 || max_vocab > (size_t)INT32_MAX)
        return lmp_error_set(err, LMP_EINVAL, "max_vocab = %zu: expected from 1 to %d", max_vocab, INT32_MAX);
    lmp_sampler *s = calloc(1, sizeof *s);
    if (!s) return lmp_error_set(err, LMP_ENOMEM, "sampler: out of memory");
    s->prm = *prm;
    if (s->prm.min_keep == 0) s->prm.min_keep = 1;
    s->cap = max_vocab;
    s->f32 = prm->dtype == LMP_DTYPE_F32;
    /* the kernels' level: the machine's, capped by prm->simd (BASELINE 0, AVX2 1, AVX512 2) */
    s->isa = lmp_sample_isa_best();
    if (prm->simd != LMP_SIMD_BEST && (int)prm->simd - 1 < s->isa) s->isa = (int)prm->simd - 1;
    s->id = malloc(max_vocab * sizeof *s->id);
    s->iota = malloc(max_vocab * sizeof *s->iota);
    s->lg = malloc(max_vocab * sizeof *s->lg);
    s->p = malloc(max_vocab * sizeof *s->p);
    s->key = malloc(max_vocab * sizeof *s->key);
    /* room for the radix sort of every literal path's members (up to LMP_SAMPLE_EXACT_MAX of them): with only
     * cap doubles, a vocabulary of 1,000 sorted its top-p set by heapsort, 3x the time of one of 2,000 */
    const size_t exact = max_vocab < LMP_SAMPLE_EXACT_MAX ? max_vocab : LMP_SAMPLE_EXACT_MAX;
    s->work_n = 4 * exact > max_vocab ? 4 * exact : max_vocab;
    s->work = malloc(s->work_n * sizeof *s->work);
    s->ord = malloc(max_vocab * sizeof *s->ord);
    s->flag = malloc(max_vocab);
    s->cnt = calloc(max_vocab, sizeof *s->cnt);
    if (!s->id || !s->iota || !s->lg || !s->p || !s->key || !s->work || !s->ord || !s->flag || !s->cnt) {
        lmp_sampler_free(s);
        return lmp_error_set(err, LMP_ENOMEM, "sampler: out of memory for max_vocab = %zu", max_vocab);
    }
    for (size_t i = 0; i < max_vocab; i++) s->iota[i] = (lmp_token_id)i;
    if ((st = smp_chain_init(s, err))) {
        lmp_sampler_free(s);
        return st;
    }
    *out = s;
    return LMP_OK;
}

void lmp_sampler_free(lmp_sampler *s)
{
    if (!s) return;
    free(s->id);
    free(s->iota);
    free(s->lg);
    free(s->p);
    free(s->key);
    free(s->work);
    free(s->ord);
    free(s->flag);
    free(s->cnt);
    smp_chain_free(s);
    free(s);
}

const lmp_sampler_params *lmp_sampler_get_params(const lmp_sampler *s) { return &s->prm; }
static lmp_status temperature_overflow(lmp_sampler *s, lmp_error *err)
{
    s->n = 0;
    return lmp_error_set(err, LMP_ERANGE, "logit[%d] / T = %g / %g overflows: expected a larger T", (int)s->t_over_id,
                         s->t_over_v, s->prm.temperature);
}

static lmp_status apply_common(lmp_sampler *s, const float *lf, const double *ld, size_t V, const lmp_token_id *hist,
                               size_t nh, lmp_error *err)
{
    if (!s) return lmp_error_set(err, LMP_EINVAL, "sampler: expected a sampler, got NULL");
    if (V && !lf && !ld) return lmp_error_set(err, LMP_EINVAL, "logits: NULL for V = %zu: expected an array of V values", V);
    s->applied = 0;
    s->n = 0;
    s->lazy = 0;
    s->p_exps = 0;
    s->lg_pending = 0;
    s->tp_lazy = 0;
    s->t_over = 0;
    /* The whole history, whatever the chain: it was checked by the penalty steps alone (and only their
     * last n tokens), so one history was an error or not depending on the parameters. After the reset
     * above: a failed apply leaves no kept set, whatever the error. */
    if (nh > 0 && !hist) return lmp_error_set(err, LMP_EINVAL, "history: %zu tokens but a NULL pointer", nh);
    for (size_t i = 0; i < nh; i++)
        if (hist[i] < 0 || (size_t)hist[i] >= V)
            return lmp_error_set(err, LMP_EINVAL, "history[%zu] = %d: expected a token id in [0, %zu)", i,
                                 (int)hist[i], V);
    if (!s->fused) { /* the steps one by one over the candidate array (chain.c) */
        lmp_status rst = smp_chain_apply(s, lf, ld, V, hist, nh, err);
        if (rst) return rst;
        s->n = s->cand.n;
        s->ident = 0;
        s->applied = 1;
        return LMP_OK;
    }
    if (smp_lazy_eligible(s, lf, V)) {
        lmp_status lst = smp_apply_lazy(s, lf, V, err);
        if (lst) s->n = 0;
        return lst;
    }
    s->topk_done = 0;
    s->topp_done = 0;
    s->minp_done = 0;
    lmp_status gst = LMP_OK;
    int gathered = smp_topk_first(s, lf, V, &gst, err);
    if (gathered == 0) gathered = smp_topp_first(s, lf, V, &gst, err);
    if (gathered == 0) gathered = smp_minp_first(s, lf, V, &gst, err);
    if (gathered < 0) {
        s->n = 0;
        return gst;
    }
    if (gathered) {
        /* the steps after the gathered one (smp_step_top_k / smp_step_top_p skip themselves when done) */
        static const step_fn hf_rest[] = {smp_step_top_p, smp_step_min_p, smp_step_typical, smp_step_epsilon};
        static const step_fn llama_rest[] = {smp_step_typical, smp_step_top_p, smp_step_min_p, smp_step_epsilon, smp_step_temperature};
        if (s->prm.conv == LMP_CONV_HF)
            for (size_t i = 0; i < 4; i++) hf_rest[i](s);
        else
            for (size_t i = 0; i < 5; i++) llama_rest[i](s);
        if (s->t_over) return temperature_overflow(s, err);
        if (!s->tp_lazy) smp_cur_softmax(s);
        s->applied = 1;
        return LMP_OK;
    }
    /* HF order with no penalties: the temperature is the first step, so divide
     * while loading (the same operation, one pass fewer). */
    const lmp_sampler_params *p = &s->prm;
    int no_pen = p->repetition_penalty == 1.0 && p->frequency_penalty == 0.0 && p->presence_penalty == 0.0;
    double T = 1.0;
    s->temp_done = 0;
    if (p->conv == LMP_CONV_HF && no_pen && p->temperature > 0 && p->temperature != 1.0) {
        T = R(s->f32, p->temperature);
        s->temp_done = 1;
    }
    lmp_status st = smp_load(s, lf, ld, V, T, err);
    if (!st) st = smp_penalties(s, V, hist, nh, err);
    if (st) {
        s->n = 0;
        return st;
    }
    static const step_fn hf_order[] = {smp_step_temperature, smp_step_top_k, smp_step_top_p, smp_step_min_p, smp_step_typical,
                                       smp_step_epsilon};
    static const step_fn llama_order[] = {smp_step_top_k, smp_step_typical, smp_step_top_p, smp_step_min_p, smp_step_epsilon,
                                          smp_step_temperature};
    const step_fn *steps = s->prm.conv == LMP_CONV_HF ? hf_order : llama_order;
    for (size_t i = 0; i < 6; i++) steps[i](s);
    if (s->t_over) return temperature_overflow(s, err);
    smp_cur_softmax(s);
    s->applied = 1;
    return LMP_OK;
}

lmp_status lmp_sampler_apply_f32(lmp_sampler *s, const float *logits, size_t V, const lmp_token_id *hist, size_t nh,
                             lmp_error *err)
{
    return apply_common(s, logits, NULL, V, hist, nh, err);
}

lmp_status lmp_sampler_apply(lmp_sampler *s, const double *logits, size_t V, const lmp_token_id *hist, size_t nh,
                               lmp_error *err)
{
    return apply_common(s, NULL, logits, V, hist, nh, err);
}

lmp_candidates lmp_sampler_kept(lmp_sampler *s)
{
    if (s->applied && s->lazy && !s->materialized) smp_lazy_materialize(s);
    if (s->applied && s->tp_lazy) {
        smp_topp_form(s);
        lmp_candidates c = {s->tp_kid, s->lg, s->p, s->n};
        return c;
    }
    smp_lg_ready(s);
    lmp_candidates c = {s->ident ? s->iota : s->id, s->lg, s->p, s->applied ? s->n : 0};
    return c;
}
lmp_token_id lmp_sampler_draw_u(const lmp_sampler *s, double u)
{
    /* u outside [0, 1) (NaN, inf, -1) picked the first or the last kept token */
    if (!s || !s->applied || s->n == 0 || !(u >= 0.0 && u < 1.0)) return LMP_TOKEN_NONE;
    if (s->lazy) return smp_lazy_draw(s, u);
    if (s->tp_lazy) {
        /* the first kept token (in id order) whose running mass passes u times
         * the kept mass (numpy's choice rule on the renormalised kept set; a u
         * within rounding of a boundary may pick the neighbour of what the
         * formed arrays would give) */
        const float *xs = (const float *)(const void *)s->work, *es = xs + s->cap;
        size_t j = lmp_sample_topp_draw(s->isa, xs, es, s->tp_n, s->tp_tf, s->tp_lthr, s->tp_lo, s->tp_hi, s->tp_iz,
                                        u * s->tp_mass);
        return s->id[j];
    }
    size_t i = lmp_sample_cdf_search(s->p, s->n, u);
    return s->ident ? (lmp_token_id)i : s->id[i];
}

lmp_token_id lmp_sampler_draw(const lmp_sampler *s, lmp_rng *rng)
{
    if (!s || !rng || !s->applied || s->n == 0) return LMP_TOKEN_NONE;
    return lmp_sampler_draw_u(s, lmp_rng_uniform(rng));
}

lmp_status lmp_sampler_sample_f32(lmp_sampler *s, const float *logits, size_t V, const lmp_token_id *hist, size_t nh,
                              lmp_rng *rng, lmp_token_id *token, lmp_error *err)
{
    /* checked before the apply: a NULL rng crashed in the draw, after the apply had done its work */
    if (!rng || !token)
        return lmp_error_set(err, LMP_EINVAL, "sample: expected a random stream and a place for the token, got NULL");
    lmp_status st = lmp_sampler_apply_f32(s, logits, V, hist, nh, err);
    if (st) return st;
    *token = lmp_sampler_draw(s, rng);
    return LMP_OK;
}

lmp_status lmp_sampler_sample(lmp_sampler *s, const double *logits, size_t V, const lmp_token_id *hist, size_t nh,
                                lmp_rng *rng, lmp_token_id *token, lmp_error *err)
{
    /* checked before the apply: a NULL rng crashed in the draw, after the apply had done its work */
    if (!rng || !token)
        return lmp_error_set(err, LMP_EINVAL, "sample: expected a random stream and a place for the token, got NULL");
    lmp_status st = lmp_sampler_apply(s, logits, V, hist, nh, err);
    if (st) return st;
    *token = lmp_sampler_draw(s, rng);
    return LMP_OK;
}
