/* verify adapters for the info module: information theory and samplers (see verify.h).
 *
 * Sampler cases name a "convention": "hf" is Hugging Face's logic in float64,
 * "llama" llama.cpp's in float32; "hf_f32" / "llama_f64" (or an explicit
 * "dtype": "float32" / "float64") pick the other precision. */
#include "verify.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lmprob/info.h"
#include "lmprob/sample.h"

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -1)

static int lib_fail(const lmp_error *e, char *err, size_t errlen) { return ERR("%s", e->msg); }

/* ---- information theory -------------------------------------------------------- */

static int v_entropy(const lmp_json_value *a, verify_out *o, char *err, size_t errlen)
{
    double *p, base;
    size_t n;
    if (va_base(a, "base", &base, err, errlen) || va_vector(a, "p", &p, &n, err, errlen)) return -1;
    double h = lmp_entropy(p, n, base == M_E ? LMP_BASE_E : base);
    free(p);
    return vo_scalar(o, h);
}

static int v_entropy_of_softmax(const lmp_json_value *a, verify_out *o, char *err, size_t errlen)
{
    double *x;
    size_t n;
    if (va_vector(a, "logits", &x, &n, err, errlen)) return -1;
    double h = lmp_entropy_of_logits(x, n);
    free(x);
    return vo_scalar(o, h);
}

static int two_vectors(const lmp_json_value *a, const char *k1, const char *k2, double **x, double **y, size_t *n,
                       char *err, size_t errlen)
{
    size_t m;
    if (va_vector(a, k1, x, n, err, errlen)) return -1;
    if (va_vector(a, k2, y, &m, err, errlen)) { free(*x); return -1; }
    if (m != *n) {
        free(*x);
        free(*y);
        return ERR("'%s' has %zu entries and '%s' %zu: expected equal lengths", k1, *n, k2, m);
    }
    return 0;
}

static int get_base(const lmp_json_value *a, double *base, char *err, size_t errlen)
{
    if (va_base(a, "base", base, err, errlen)) return -1;
    if (*base == M_E) *base = LMP_BASE_E;
    return 0;
}

static int v_cross_entropy(const lmp_json_value *a, verify_out *o, char *err, size_t errlen)
{
    double *p, *q, base;
    size_t n;
    if (get_base(a, &base, err, errlen) || two_vectors(a, "p", "q", &p, &q, &n, err, errlen)) return -1;
    double h = lmp_cross_entropy(p, q, n, base);
    free(p);
    free(q);
    return vo_scalar(o, h);
}

typedef double (*div_fn)(const double *, const double *, size_t, double);

static int divergence(const lmp_json_value *a, verify_out *o, char *err, size_t errlen, div_fn f)
{
    double *p, *q, base;
    size_t n;
    if (get_base(a, &base, err, errlen) || two_vectors(a, "P", "Q", &p, &q, &n, err, errlen)) return -1;
    double d = f(p, q, n, base);
    free(p);
    free(q);
    return vo_scalar(o, d);
}

static int v_kl(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return divergence(a, o, e, l, lmp_kl_divergence); }
static int v_js(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return divergence(a, o, e, l, lmp_js_divergence); }
static int v_jsd(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return divergence(a, o, e, l, lmp_js_distance); }

static int v_logsumexp(const lmp_json_value *a, verify_out *o, char *err, size_t errlen)
{
    double *x;
    size_t n;
    if (va_vector(a, "a", &x, &n, err, errlen)) return -1;
    double r = lmp_logsumexp(x, n);
    free(x);
    return vo_scalar(o, r);
}

/* softmax / log_softmax: the library reports all -inf as an error; the golden
 * files follow torch, which returns NaNs there, so the adapter maps that one
 * error (and only that one) to a NaN vector. */
static int v_softmax_common(const lmp_json_value *a, verify_out *o, char *err, size_t errlen, int logsm)
{
    double *x;
    size_t n;
    if (va_vector(a, "logits", &x, &n, err, errlen)) return -1;
    lmp_error e = {0};
    lmp_status st = logsm ? lmp_log_softmax(x, n, x, &e) : lmp_softmax(x, n, x, &e);
    if (st && n > 0 && strstr(e.msg, "are -inf")) {
        for (size_t i = 0; i < n; i++) x[i] = NAN;
        st = LMP_OK;
    }
    int rc = st ? lib_fail(&e, err, errlen) : vo_vector(o, x, n);
    free(x);
    return rc;
}

static int v_softmax(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_softmax_common(a, o, e, l, 0); }
static int v_log_softmax(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_softmax_common(a, o, e, l, 1); }

static int v_softmax_temperature(const lmp_json_value *a, verify_out *o, char *err, size_t errlen)
{
    double *x, T;
    size_t n;
    if (va_double(a, "T", &T, err, errlen) || va_vector(a, "logits", &x, &n, err, errlen)) return -1;
    lmp_error e = {0};
    lmp_status st = lmp_softmax_temperature(x, n, T, x, &e);
    int rc = st ? lib_fail(&e, err, errlen) : vo_vector(o, x, n);
    free(x);
    return rc;
}

static int v_ce_loss(const lmp_json_value *a, verify_out *o, char *err, size_t errlen)
{
    double *x, s, loss;
    long t;
    size_t n;
    if (va_long(a, "target", &t, err, errlen) || va_double_opt(a, "label_smoothing", 0.0, &s, err, errlen) ||
        va_vector(a, "logits", &x, &n, err, errlen))
        return -1;
    if (t < INT32_MIN || t > INT32_MAX) {
        free(x);
        return ERR("'target' = %ld: expected a token id (a 32-bit integer)", t);
    }
    lmp_error e = {0};
    lmp_status st = lmp_ce_loss(x, n, (lmp_token_id)t, s, &loss, &e);
    free(x);
    return st ? lib_fail(&e, err, errlen) : vo_scalar(o, loss);
}

static int v_ce_loss_batch(const lmp_json_value *a, verify_out *o, char *err, size_t errlen)
{
    double *x, s, loss;
    long *t, ign;
    size_t r, c, nt;
    if (va_long_opt(a, "ignore_index", -100, &ign, err, errlen) ||
        va_double_opt(a, "label_smoothing", 0.0, &s, err, errlen) || va_matrix(a, "logits", &x, &r, &c, err, errlen))
        return -1;
    if (va_long_vector(a, "targets", &t, &nt, err, errlen)) { free(x); return -1; }
    int rc;
    if (nt != r) {
        rc = ERR("'targets' has %zu entries for %zu rows of logits", nt, r);
    } else {
        lmp_token_id *tt = malloc((nt ? nt : 1) * sizeof *tt);
        size_t bad = nt;
        for (size_t i = 0; tt && i < nt; i++) {
            if (t[i] < INT32_MIN || t[i] > INT32_MAX) bad = i;
            tt[i] = (lmp_token_id)t[i];
        }
        if (!tt) rc = ERR("out of memory");
        else if (bad < nt || ign < INT32_MIN || ign > INT32_MAX)
            rc = ERR("'targets'/'ignore_index': expected token ids (32-bit integers)");
        else {
            lmp_error e = {0};
            lmp_status st = lmp_ce_loss_batch(x, r, c, tt, (lmp_token_id)ign, s, &loss, &e);
            rc = st ? lib_fail(&e, err, errlen) : vo_scalar(o, loss);
        }
        free(tt);
    }
    free(x);
    free(t);
    return rc;
}

static int v_perplexity(const lmp_json_value *a, verify_out *o, char *err, size_t errlen)
{
    double *x;
    size_t n;
    if (va_vector(a, "log_probs", &x, &n, err, errlen)) return -1;
    double r = lmp_perplexity(x, n);
    free(x);
    return vo_scalar(o, r);
}

/* ---- samplers -------------------------------------------------------------------- */

/* Parameters from "convention" (and optional "dtype"), with every filter off. */
static int conv_params(const lmp_json_value *a, lmp_sampler_params *p, char *err, size_t errlen)
{
    lmp_sampler_params_init(p);
    const char *c = va_string_opt(a, "convention");
    if (!c || strcmp(c, "hf") == 0 || strcmp(c, "hf_f64") == 0) {
        p->conv = LMP_CONV_HF;
        p->dtype = LMP_DTYPE_F64;
    } else if (strcmp(c, "hf_f32") == 0 || strcmp(c, "hf32") == 0) {
        p->conv = LMP_CONV_HF;
        p->dtype = LMP_DTYPE_F32;
    } else if (strcmp(c, "llama") == 0 || strcmp(c, "llama_f32") == 0) {
        p->conv = LMP_CONV_LLAMA;
        p->dtype = LMP_DTYPE_F32;
    } else if (strcmp(c, "llama_f64") == 0) {
        p->conv = LMP_CONV_LLAMA;
        p->dtype = LMP_DTYPE_F64;
    } else {
        return ERR("argument 'convention': expected \"hf\", \"hf_f32\", \"llama\" or \"llama_f64\", got \"%s\"", c);
    }
    const char *d = va_string_opt(a, "dtype");
    if (d) {
        if (strcmp(d, "float32") == 0 || strcmp(d, "f32") == 0) p->dtype = LMP_DTYPE_F32;
        else if (strcmp(d, "float64") == 0 || strcmp(d, "f64") == 0) p->dtype = LMP_DTYPE_F64;
        else return ERR("argument 'dtype': expected \"float32\" or \"float64\", got \"%s\"", d);
    }
    long mk;
    if (va_long_opt(a, "min_keep", 1, &mk, err, errlen)) return -1;
    if (mk < 0) return ERR("argument 'min_keep': expected >= 0, got %ld", mk);
    p->min_keep = (size_t)mk;
    return 0;
}

/* Run a sampler with params p on a["logits"]; store the kept ids (count_only: their number). */
static int run_keep(const lmp_json_value *a, const lmp_sampler_params *p, int count_only, verify_out *o, char *err,
                    size_t errlen)
{
    double *x;
    size_t n;
    if (va_vector(a, "logits", &x, &n, err, errlen)) return -1;
    lmp_error e = {0};
    lmp_sampler *s = NULL;
    lmp_status st = lmp_sampler_create(p, n ? n : 1, &s, &e);
    if (!st) st = lmp_sampler_apply(s, x, n, NULL, 0, &e);
    int rc;
    if (st) {
        rc = lib_fail(&e, err, errlen);
    } else {
        lmp_candidates c = lmp_sampler_kept(s);
        if (count_only) {
            rc = vo_scalar(o, (double)c.n);
        } else {
            double *ids = malloc((c.n ? c.n : 1) * sizeof *ids);
            if (!ids) rc = ERR("out of memory");
            else {
                for (size_t i = 0; i < c.n; i++) ids[i] = c.id[i];
                rc = vo_vector(o, ids, c.n);
                free(ids);
            }
        }
    }
    lmp_sampler_free(s);
    free(x);
    return rc;
}

static int top_k_common(const lmp_json_value *a, verify_out *o, char *err, size_t errlen, int count_only)
{
    lmp_sampler_params p;
    long k;
    if (conv_params(a, &p, err, errlen) || va_long(a, "k", &k, err, errlen)) return -1;
    p.top_k = k;
    return run_keep(a, &p, count_only, o, err, errlen);
}

static int v_top_k_keep(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return top_k_common(a, o, e, l, 0); }
static int v_top_k_count(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return top_k_common(a, o, e, l, 1); }

static int v_top_p_keep(const lmp_json_value *a, verify_out *o, char *err, size_t errlen)
{
    lmp_sampler_params p;
    if (conv_params(a, &p, err, errlen) || va_double(a, "p", &p.top_p, err, errlen)) return -1;
    return run_keep(a, &p, 0, o, err, errlen);
}

static int v_min_p_keep(const lmp_json_value *a, verify_out *o, char *err, size_t errlen)
{
    lmp_sampler_params p;
    if (conv_params(a, &p, err, errlen) || va_double(a, "min_p", &p.min_p, err, errlen)) return -1;
    return run_keep(a, &p, 0, o, err, errlen);
}

static int v_typical_keep(const lmp_json_value *a, verify_out *o, char *err, size_t errlen)
{
    lmp_sampler_params p;
    if (conv_params(a, &p, err, errlen) || va_double(a, "mass", &p.typical_p, err, errlen)) return -1;
    return run_keep(a, &p, 0, o, err, errlen);
}

static int v_epsilon_keep(const lmp_json_value *a, verify_out *o, char *err, size_t errlen)
{
    lmp_sampler_params p;
    if (conv_params(a, &p, err, errlen) || va_double(a, "epsilon", &p.epsilon, err, errlen)) return -1;
    return run_keep(a, &p, 0, o, err, errlen);
}

/* A whole chain: T and top_p (the golden cases), plus any of top_k, min_p,
 * typical, epsilon when present. */
static int v_chain_keep(const lmp_json_value *a, verify_out *o, char *err, size_t errlen)
{
    lmp_sampler_params p;
    if (conv_params(a, &p, err, errlen) || va_double_opt(a, "T", 1.0, &p.temperature, err, errlen) ||
        va_double_opt(a, "top_p", 1.0, &p.top_p, err, errlen) || va_long_opt(a, "top_k", 0, &p.top_k, err, errlen) ||
        va_double_opt(a, "min_p", 0.0, &p.min_p, err, errlen) ||
        va_double_opt(a, "typical", 1.0, &p.typical_p, err, errlen) ||
        va_double_opt(a, "epsilon", 0.0, &p.epsilon, err, errlen))
        return -1;
    return run_keep(a, &p, 0, o, err, errlen);
}

static int v_argmax(const lmp_json_value *a, verify_out *o, char *err, size_t errlen)
{
    double *x;
    size_t n;
    if (va_vector(a, "logits", &x, &n, err, errlen)) return -1;
    size_t i = lmp_argmax(x, n);
    free(x);
    if (n == 0 || i == n) return ERR("argmax: expected a non-empty vector without NaN");
    return vo_scalar(o, (double)i);
}

static int ids_arg(const lmp_json_value *a, const char *key, lmp_token_id **ids, size_t *n, char *err, size_t errlen)
{
    long *v;
    if (va_long_vector(a, key, &v, n, err, errlen)) return -1;
    *ids = malloc((*n ? *n : 1) * sizeof **ids);
    if (!*ids) { free(v); return ERR("out of memory"); }
    for (size_t i = 0; i < *n; i++) {
        if (v[i] < INT32_MIN || v[i] > INT32_MAX) {
            const long bad = v[i]; /* the message quoted v[i] after v was freed */
            free(v);
            free(*ids);
            return ERR("argument '%s': item %zu = %ld is not a token id", key, i, bad);
        }
        (*ids)[i] = (lmp_token_id)v[i];
    }
    free(v);
    return 0;
}

static int v_repetition_penalty(const lmp_json_value *a, verify_out *o, char *err, size_t errlen)
{
    double *s, pen;
    lmp_token_id *ids;
    size_t n, ni;
    if (va_double(a, "penalty", &pen, err, errlen) || va_vector(a, "scores", &s, &n, err, errlen)) return -1;
    if (ids_arg(a, "prev_ids", &ids, &ni, err, errlen)) { free(s); return -1; }
    lmp_error e = {0};
    lmp_status st = lmp_repetition_penalty(s, n, ids, ni, pen, &e);
    int rc = st ? lib_fail(&e, err, errlen) : vo_vector(o, s, n);
    free(s);
    free(ids);
    return rc;
}

static int v_penalties(const lmp_json_value *a, verify_out *o, char *err, size_t errlen)
{
    double *x, rep, fr, pr;
    lmp_token_id *ids;
    size_t n, ni;
    if (va_double_opt(a, "penalty_repeat", 1.0, &rep, err, errlen) ||
        va_double_opt(a, "penalty_freq", 0.0, &fr, err, errlen) ||
        va_double_opt(a, "penalty_present", 0.0, &pr, err, errlen) || va_vector(a, "logits", &x, &n, err, errlen))
        return -1;
    if (ids_arg(a, "last_n_tokens", &ids, &ni, err, errlen)) { free(x); return -1; }
    float *f = malloc((n ? n : 1) * sizeof *f);
    int rc;
    if (!f) rc = ERR("out of memory");
    else {
        for (size_t i = 0; i < n; i++) f[i] = (float)x[i];
        lmp_error e = {0};
        lmp_status st = lmp_penalties_f32(f, n, ids, ni, (float)rep, (float)fr, (float)pr, &e);
        for (size_t i = 0; i < n; i++) x[i] = f[i];
        rc = st ? lib_fail(&e, err, errlen) : vo_vector(o, x, n);
        free(f);
    }
    free(x);
    free(ids);
    return rc;
}

static int v_sample_index(const lmp_json_value *a, verify_out *o, char *err, size_t errlen)
{
    double *w, u;
    size_t n;
    if (va_double(a, "u", &u, err, errlen) || va_vector(a, "weights", &w, &n, err, errlen)) return -1;
    size_t i = lmp_sample_index(w, n, u);
    free(w);
    if (i >= n) return ERR("sample_index: expected weights >= 0 with a positive sum and u in [0, 1)");
    return vo_scalar(o, (double)i);
}

const verify_entry verify_table_info[] = {
    {"entropy", v_entropy},
    {"entropy_of_softmax", v_entropy_of_softmax},
    {"cross_entropy", v_cross_entropy},
    {"kl_divergence", v_kl},
    {"js_divergence", v_js},
    {"js_distance", v_jsd},
    {"logsumexp", v_logsumexp},
    {"softmax", v_softmax},
    {"log_softmax", v_log_softmax},
    {"softmax_temperature", v_softmax_temperature},
    {"ce_loss", v_ce_loss},
    {"ce_loss_batch", v_ce_loss_batch},
    {"perplexity", v_perplexity},
    {"top_k_keep", v_top_k_keep},
    {"top_k_count", v_top_k_count},
    {"top_p_keep", v_top_p_keep},
    {"min_p_keep", v_min_p_keep},
    {"typical_keep", v_typical_keep},
    {"epsilon_keep", v_epsilon_keep},
    {"chain_keep", v_chain_keep},
    {"argmax", v_argmax},
    {"repetition_penalty", v_repetition_penalty},
    {"penalties", v_penalties},
    {"sample_index", v_sample_index},
    {NULL, NULL},
};
