/* The GPT-2 engine (include/lmprob/gpt2.h): the tiny model's logits against
 * PyTorch's (float64), the KV cache against the full forward, threads, the
 * kernels' levels against each other, folders, and bad input.
 *
 * Reference files: $LMP_SHARED (default ../shared, from the repository root
 * where tests/run.sh runs) /gpt2/tiny.safetensors, tiny_ref.json,
 * tiny_ref_logits.f32, tiny-hf/. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/gpt2/gpt2_internal.h"
#include "lmprob/gpt2.h"
#include "lmprob/json.h"
#include "test.h"

static char shared_dir[1024];

static const char *shared(const char *rel)
{
    static char buf[2048];
    snprintf(buf, sizeof buf, "%s/gpt2/%s", shared_dir, rel);
    return buf;
}

/* The reference: the token ids of tiny_ref.json and the [T, NV] logits. */
static lmp_token_id ref_ids[64];
static size_t ref_n;
static float *ref_logits;
static const size_t NV = 50257; /* the tiny model's vocabulary */

static int load_reference(void)
{
    size_t len;
    char *txt = test_read_file(shared("tiny_ref.json"), &len);
    if (!txt) return -1;
    lmp_json_value *j;
    lmp_error err;
    int ok = lmp_json_parse(txt, len, NULL, &j, &err) == LMP_OK;
    free(txt);
    if (!ok) return -1;
    const lmp_json_value *t = lmp_json_get(j, "tokens");
    for (size_t i = 0; t && i < t->n && i < 64; i++) ref_ids[ref_n++] = (lmp_token_id)t->items[i].num;
    lmp_json_free(j);
    size_t blen;
    ref_logits = (float *)test_read_file(shared("tiny_ref_logits.f32"), &blen);
    return ref_logits && blen == ref_n * NV * sizeof(float) ? 0 : -1;
}

static lmp_gpt2 *load_tiny(void)
{
    lmp_gpt2 *m = NULL;
    lmp_error err;
    lmp_status st = lmp_gpt2_load(shared("tiny.safetensors"), NULL, NULL, &m, &err);
    CHECK_MSG(st == LMP_OK, "%s", err.msg);
    return m;
}

/* lmp_gpt2_load's progress: one report a tensor scanned, rising, ending at 1, none after the load */
typedef struct progress_log {
    int calls, rising;
    double last;
} progress_log;

static void log_progress(void *ctx, double f)
{
    progress_log *p = ctx;
    if (!(f >= p->last && f <= 1.0)) p->rising = 0;
    p->last = f;
    p->calls++;
}

static void test_load_progress(void)
{
    progress_log pl = {0, 1, 0.0};
    lmp_gpt2 *m = NULL;
    lmp_error err;
    CHECK_MSG(lmp_gpt2_load(shared("tiny.safetensors"), log_progress, &pl, &m, &err) == LMP_OK, "%s", err.msg);
    if (!m) return;
    lmp_gpt2_config c;
    lmp_gpt2_get_config(m, &c);
    /* the global tensors (wte, wpe, ln_f weight and bias; lm_head when not tied) and 12 a layer */
    CHECK_MSG(pl.calls >= 4 + 12 * c.n_layer, "%d calls for %d layers", pl.calls, c.n_layer);
    CHECK(pl.rising);
    CHECK(pl.last == 1.0);
    const int calls = pl.calls;
    lmp_gpt2_ctx *ctx = NULL;
    const lmp_token_id ids[2] = {15496, 11};
    float *lg = malloc(2 * (size_t)c.n_vocab * sizeof *lg);
    CHECK(lg && lmp_gpt2_ctx_create(m, 8, 1, &ctx, &err) == LMP_OK &&
          lmp_gpt2_ctx_push(ctx, ids, 2, lg, LMP_GPT2_LOGITS_ALL, &err) == LMP_OK);
    CHECK_INT(pl.calls, calls); /* the callback belongs to the load */
    free(lg);
    lmp_gpt2_ctx_free(ctx);
    lmp_gpt2_free(m);
}

static double max_abs_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= m)) m = d; /* NaN propagates */
    }
    return m;
}

/* All logits of ref_ids in one push, on `threads` threads at kernel level `isa`. */
static float *full_forward(const lmp_gpt2 *m, int threads, int isa)
{
    lmp_gpt2_ctx *c;
    lmp_error err;
    if (lmp_gpt2_ctx_create(m, 0, threads, &c, &err)) {
        CHECK_MSG(0, "%s", err.msg);
        return NULL;
    }
    gpt2_ctx_set_isa(c, isa);
    float *lg = malloc(ref_n * NV * sizeof(float));
    lmp_status st = lmp_gpt2_ctx_push(c, ref_ids, ref_n, lg, LMP_GPT2_LOGITS_ALL, &err);
    CHECK_MSG(st == LMP_OK, "%s", err.msg);
    CHECK_INT(lmp_gpt2_ctx_length(c), ref_n);
    lmp_gpt2_ctx_free(c);
    return lg;
}

static void test_config(void)
{
    lmp_gpt2 *m = load_tiny();
    if (!m) return;
    lmp_gpt2_config cf;
    lmp_gpt2_get_config(m, &cf);
    CHECK_INT(cf.n_layer, 2);
    CHECK_INT(cf.n_head, 2);
    CHECK_INT(cf.n_embd, 64);
    CHECK_INT(cf.n_ctx, 1024);
    CHECK_INT(cf.n_vocab, 50257);
    CHECK_INT(cf.n_inner, 256);
    CHECK(cf.eps == 1e-5);
    CHECK_INT(cf.tied, 1);
    CHECK_INT(cf.eos_token_id, 50256);
    CHECK_INT(cf.dtype, LMP_GPT2_F32);
    CHECK_INT(cf.source, LMP_GPT2_CONFIG_METADATA);
    /* wte + wpe + ln_f + 2 layers of (ln 2x2C + attn C*3C+3C + proj C*C+C + fc C*4C+4C + fc2 4C*C+C) */
    size_t C = 64, per_layer = 4 * C + C * 3 * C + 3 * C + C * C + C + C * 4 * C + 4 * C + 4 * C * C + C;
    CHECK_INT(cf.n_params, 50257 * C + 1024 * C + 2 * C + 2 * per_layer);
    CHECK_INT(lmp_gpt2_tensor_count(m), 28);
    lmp_gpt2_tensor t;
    lmp_error err;
    CHECK_INT(lmp_gpt2_tensor_info(m, 27, &t, &err), LMP_OK);
    CHECK(strcmp(t.name, "transformer.wte.weight") == 0 && t.ndim == 2 && t.shape[0] == 50257 && t.used == 1);
    CHECK_INT(lmp_gpt2_tensor_info(m, 28, &t, &err), LMP_EINVAL);
    CHECK_INT(lmp_gpt2_tensor_info(m, 0, NULL, &err), LMP_EINVAL); /* wrote through NULL */
    CHECK_INT(lmp_gpt2_tensor_info(NULL, 0, &t, &err), LMP_EINVAL);
    lmp_gpt2_free(m);
    lmp_gpt2_free(NULL);
}

/* The bar: PyTorch's float64 logits within 1e-4 absolute (fp32
 * rounding over 2 layers of width 64 gives ~1e-6 here; 1e-4 leaves room for
 * other summation orders while still catching any semantic slip, which moves
 * logits by 1e-2 or more). Every kernel level, 1 and 2 threads. */
static void test_tiny_logits(void)
{
    lmp_gpt2 *m = load_tiny();
    if (!m) return;
    for (int isa = GPT2_ISA_C; isa <= m->isa; isa++) {
        float *a = full_forward(m, 1, isa), *b = full_forward(m, 2, isa);
        if (a && b) {
            double d = max_abs_diff(a, ref_logits, ref_n * NV);
            CHECK_MSG(d <= 1e-4, "isa %d: max |logit - torch| = %g", isa, d);
            /* splitting only along outputs: the same bits on any thread count */
            CHECK_MSG(memcmp(a, b, ref_n * NV * sizeof(float)) == 0, "isa %d: 1 and 2 threads differ by %g", isa,
                      max_abs_diff(a, b, ref_n * NV));
            printf("  isa %d: max |logit - torch float64| = %.3g\n", isa, d);
        }
        free(a);
        free(b);
    }
    lmp_gpt2_free(m);
}

/* The KV-cache path (one token at a time; uneven chunks; rewinds; forks)
 * against the full forward: within 1e-5 absolute (the bar; the paths
 * differ only in summation order, a few float ulps of logits of size ~1). */
static void test_kv_cache(void)
{
    lmp_gpt2 *m = load_tiny();
    if (!m) return;
    for (int isa = GPT2_ISA_C; isa <= m->isa; isa++) {
        for (int threads = 1; threads <= 2; threads++) {
            float *full = full_forward(m, threads, isa);
            lmp_gpt2_ctx *c, *fork;
            lmp_error err;
            if (!full || lmp_gpt2_ctx_create(m, 64, threads, &c, &err)) {
                free(full);
                continue;
            }
            gpt2_ctx_set_isa(c, isa);
            float *lg = malloc(ref_n * NV * sizeof(float));
            double worst = 0;
            /* one token at a time, last logits */
            for (size_t i = 0; i < ref_n; i++) {
                CHECK_INT(lmp_gpt2_ctx_push(c, &ref_ids[i], 1, lg, LMP_GPT2_LOGITS_LAST, &err), LMP_OK);
                double d = max_abs_diff(lg, full + i * NV, NV);
                if (d > worst) worst = d;
            }
            CHECK_MSG(worst <= 1e-5, "isa %d threads %d: token by token, max diff %g", isa, threads, worst);
            /* uneven chunks with all logits, after a rewind to 0 */
            CHECK_INT(lmp_gpt2_ctx_rewind(c, 0, &err), LMP_OK);
            static const size_t chunks[] = {3, 1, 7, 2, 6};
            size_t at = 0;
            worst = 0;
            for (size_t k = 0; k < sizeof chunks / sizeof chunks[0] && at < ref_n; k++) {
                size_t nn = chunks[k] < ref_n - at ? chunks[k] : ref_n - at;
                CHECK_INT(lmp_gpt2_ctx_push(c, ref_ids + at, nn, lg, LMP_GPT2_LOGITS_ALL, &err), LMP_OK);
                double d = max_abs_diff(lg, full + at * NV, nn * NV);
                if (d > worst) worst = d;
                at += nn;
            }
            CHECK_INT(at, ref_n);
            CHECK_MSG(worst <= 1e-5, "isa %d threads %d: chunks, max diff %g", isa, threads, worst);
            /* rewind into the middle and push something else, then back */
            CHECK_INT(lmp_gpt2_ctx_rewind(c, 5, &err), LMP_OK);
            lmp_token_id other[4] = {50256, 0, 17, 42};
            CHECK_INT(lmp_gpt2_ctx_push(c, other, 4, NULL, LMP_GPT2_LOGITS_NONE, &err), LMP_OK);
            CHECK_INT(lmp_gpt2_ctx_length(c), 9);
            CHECK_INT(lmp_gpt2_ctx_tokens(c)[5], 50256);
            CHECK_INT(lmp_gpt2_ctx_rewind(c, 5, &err), LMP_OK);
            CHECK_INT(lmp_gpt2_ctx_push(c, ref_ids + 5, ref_n - 5, lg, LMP_GPT2_LOGITS_ALL, &err), LMP_OK);
            double d = max_abs_diff(lg, full + 5 * NV, (ref_n - 5) * NV);
            CHECK_MSG(d <= 1e-5, "isa %d threads %d: after a rewind, max diff %g", isa, threads, d);
            /* fork at 8: the copy continues like the original */
            CHECK_INT(lmp_gpt2_ctx_rewind(c, 8, &err), LMP_OK);
            if (lmp_gpt2_ctx_create(m, 32, 1, &fork, &err) == LMP_OK) {
                gpt2_ctx_set_isa(fork, isa);
                CHECK_INT(lmp_gpt2_ctx_copy(fork, c, &err), LMP_OK);
                CHECK_INT(lmp_gpt2_ctx_length(fork), 8);
                /* the original goes elsewhere; the fork must not notice */
                CHECK_INT(lmp_gpt2_ctx_push(c, other, 4, NULL, LMP_GPT2_LOGITS_NONE, &err), LMP_OK);
                CHECK_INT(lmp_gpt2_ctx_push(fork, ref_ids + 8, ref_n - 8, lg, LMP_GPT2_LOGITS_ALL, &err), LMP_OK);
                d = max_abs_diff(lg, full + 8 * NV, (ref_n - 8) * NV);
                CHECK_MSG(d <= 1e-5, "isa %d threads %d: fork, max diff %g", isa, threads, d);
                /* a fork too small for the source, and one of another model, are refused */
                lmp_gpt2_ctx *small;
                if (lmp_gpt2_ctx_create(m, 4, 1, &small, &err) == LMP_OK) {
                    CHECK_INT(lmp_gpt2_ctx_copy(small, fork, &err), LMP_ERANGE); /* as lmp_lm_ctx_copy */
                    lmp_gpt2_ctx_free(small);
                }
                lmp_gpt2_ctx_free(fork);
            }
            free(lg);
            free(full);
            lmp_gpt2_ctx_free(c);
        }
    }
    lmp_gpt2_free(m);
}

/* Decoding (one token a push: the rows go through gpt2_gemv_chunks's fixed
 * chunks of k) gives the same bits on 1, 2 and 3 threads, at every kernel
 * level: the chunks, and the order their sums are added in, do not depend on
 * the thread count. */
static void test_decode_threads(void)
{
    lmp_gpt2 *m = load_tiny();
    if (!m) return;
    { /* 0 threads: every online CPU (the library's one rule for thread counts, as lm.h's) */
        lmp_gpt2_ctx *c0 = NULL;
        lmp_error err;
        const long nc = sysconf(_SC_NPROCESSORS_ONLN);
        CHECK_INT(lmp_gpt2_ctx_create(m, 8, 0, &c0, &err), LMP_OK);
        if (c0) CHECK_INT(lmp_gpt2_ctx_threads(c0), nc > 256 ? 256 : nc > 0 ? nc : 1);
        lmp_gpt2_ctx_free(c0);
    }
    for (int isa = GPT2_ISA_C; isa <= m->isa; isa++) {
        float *lg[3] = {NULL, NULL, NULL};
        for (int t = 0; t < 3; t++) {
            lmp_gpt2_ctx *c;
            lmp_error err;
            if (lmp_gpt2_ctx_create(m, 32, (unsigned)t + 1, &c, &err)) {
                CHECK_MSG(0, "%s", err.msg);
                continue;
            }
            CHECK_INT(lmp_gpt2_ctx_threads(c), t + 1);
            gpt2_ctx_set_isa(c, isa);
            lg[t] = malloc(ref_n * NV * sizeof(float));
            for (size_t i = 0; i < ref_n; i++)
                CHECK_INT(lmp_gpt2_ctx_push(c, &ref_ids[i], 1, lg[t] + i * NV, LMP_GPT2_LOGITS_LAST, &err), LMP_OK);
            lmp_gpt2_ctx_free(c);
        }
        for (int t = 1; t < 3; t++)
            if (lg[0] && lg[t])
                CHECK_MSG(memcmp(lg[0], lg[t], ref_n * NV * sizeof(float)) == 0,
                          "isa %d: decoding on 1 and %d threads differs by %g", isa, t + 1,
                          max_abs_diff(lg[0], lg[t], ref_n * NV));
        for (int t = 0; t < 3; t++) free(lg[t]);
    }
    lmp_gpt2_free(m);
}

/* A thread that falls behind has its units taken over by the others (ctx.c,
 * share_next): the same bits whoever runs a unit. Skewed, the last thread
 * starts with every unit, so the others run only what they take over: in
 * decoding steps (one row a product) and in a prefill (several rows a
 * product: column blocks and attention heads as units). */
static void test_takeover(void)
{
    lmp_gpt2 *m = load_tiny();
    if (!m) return;
    lmp_error err;
    float *lg[3] = {NULL, NULL, NULL}, *full = full_forward(m, 1, m->isa);
    unsigned long steals = 0, prefill_steals = 0;
    for (int t = 0; t < 3; t++) {
        lmp_gpt2_ctx *c;
        if (lmp_gpt2_ctx_create(m, 32, t + 1, &c, &err)) {
            CHECK_MSG(0, "%s", err.msg);
            continue;
        }
        gpt2_ctx_share_skew(c, t > 0);
        lg[t] = malloc(ref_n * NV * sizeof(float));
        /* the reference tokens, then the same again from a rewind: 2 ref_n steps */
        for (int pass = 0; pass < 2; pass++) {
            CHECK_INT(lmp_gpt2_ctx_rewind(c, 0, &err), LMP_OK);
            for (size_t i = 0; i < ref_n; i++)
                CHECK_INT(lmp_gpt2_ctx_push(c, &ref_ids[i], 1, lg[t] + i * NV, LMP_GPT2_LOGITS_LAST, &err), LMP_OK);
        }
        float *all = malloc(ref_n * NV * sizeof(float));
        const unsigned long before = gpt2_ctx_share_skew(c, t > 0); /* the decoding steps' */
        steals += t > 0 ? before : 0;
        CHECK_INT(lmp_gpt2_ctx_rewind(c, 0, &err), LMP_OK);
        CHECK_INT(lmp_gpt2_ctx_push(c, ref_ids, ref_n, all, LMP_GPT2_LOGITS_ALL, &err), LMP_OK);
        if (t > 0) prefill_steals += gpt2_ctx_share_skew(c, 1) - before;
        if (full && all)
            CHECK_MSG(memcmp(full, all, ref_n * NV * sizeof(float)) == 0,
                      "skewed prefill on %d threads: logits differ from 1 thread's by %g", t + 1,
                      max_abs_diff(full, all, ref_n * NV));
        free(all);
        lmp_gpt2_ctx_free(c);
    }
    free(full);
    for (int t = 1; t < 3; t++)
        if (lg[0] && lg[t])
            CHECK_MSG(memcmp(lg[0], lg[t], ref_n * NV * sizeof(float)) == 0,
                      "skewed shares on %d threads: logits differ from 1 thread's by %g", t + 1,
                      max_abs_diff(lg[0], lg[t], ref_n * NV));
    /* 2 x ref_n steps on each of 2 and 3 threads, every shared-out stage of them starting with
     * idle threads: were nothing ever taken over, the last thread would have run it all alone */
    CHECK_MSG(steals > 0, "no unit was taken over in %zu skewed decoding steps", 4 * ref_n);
    CHECK_MSG(prefill_steals > 0, "no unit was taken over in 2 skewed prefills of %zu tokens", ref_n);
    for (int t = 0; t < 3; t++) free(lg[t]);
    lmp_gpt2_free(m);
}

/* The Hugging Face folder (config.json + model.safetensors) gives the same model. */
static void test_folder(void)
{
    lmp_gpt2 *a = load_tiny(), *b = NULL;
    lmp_error err;
    lmp_status st = lmp_gpt2_load(shared("tiny-hf"), NULL, NULL, &b, &err);
    CHECK_MSG(st == LMP_OK, "%s", err.msg);
    if (b) {
        const char *wp = lmp_gpt2_weights_path(b);
        CHECK_MSG(wp && strstr(wp, "tiny-hf/model.safetensors"), "%s", wp ? wp : "NULL");
    }
    if (a && b) {
        lmp_gpt2_config ca, cb;
        lmp_gpt2_get_config(a, &ca);
        lmp_gpt2_get_config(b, &cb);
        CHECK_INT(cb.source, LMP_GPT2_CONFIG_JSON);
        CHECK(ca.n_layer == cb.n_layer && ca.n_head == cb.n_head && ca.n_embd == cb.n_embd && ca.n_ctx == cb.n_ctx &&
              ca.n_vocab == cb.n_vocab && ca.eps == cb.eps && ca.n_params == cb.n_params);
        float *la = full_forward(a, 2, a->isa), *lb = full_forward(b, 2, b->isa);
        if (la && lb) CHECK(memcmp(la, lb, ref_n * NV * sizeof(float)) == 0);
        free(la);
        free(lb);
    }
    lmp_gpt2_free(a);
    lmp_gpt2_free(b);
}

/* ---- checkpoints built in memory, good and bad ------------------------------------- */

/* A small GPT-2 (vocab 40, 8 positions, width 32, 2 heads, 1 layer) as a
 * safetensors buffer, with hooks to break it. */
typedef struct spec {
    const char *dtype_of;   /* tensor whose dtype is replaced by `dtype` */
    const char *dtype;
    const char *drop;       /* tensor left out */
    const char *reshape;    /* tensor whose first dimension is doubled (its data too) */
    int prefix;             /* 1: "transformer." names */
    int f16;                /* 1: every tensor F16; 2: every tensor BF16 */
    int rounded;            /* with f16 = 0: F32 holding the values an F16 (1) or BF16 (2) file holds */
    int extra_buffers;      /* 1: add h.0.attn.bias, h.0.attn.masked_bias and two cross-attention tensors */
    int lm_head;            /* 1: an lm_head.weight of its own */
    const char *nan_in;     /* tensor whose element bad_at (0: 5) becomes bad_value (NaN when it is 0) */
    long bad_at;
    float bad_value;
    const char *metadata;   /* raw __metadata__ JSON object, or NULL */
    int C, F, V, P;         /* width, MLP width, vocabulary, positions: 0 for 32, 128, 40, 8 */
    int part;               /* 0: every tensor; 1: the first half (in the list below); 2: the rest (shards) */
} spec;

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static void put(buf *b, const void *s, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 1024;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}
static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

static uint16_t f2h(float f) /* float to IEEE half, round toward zero; test data only */
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    int e = (int)((x >> 23) & 0xff) - 127 + 15;
    if ((x & 0x7fffffff) > 0x7f800000) return (uint16_t)(sign | 0x7e00);
    if (e <= 0) return (uint16_t)sign;
    if (e >= 31) return (uint16_t)(sign | 0x7c00);
    return (uint16_t)(sign | (uint32_t)e << 10 | ((x >> 13) & 0x3ff));
}

/* f2h's output back to float: normal numbers, zeros, infinities and NaN
 * (f2h makes no subnormals). Written apart from the library's converter. */
static float h2f(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff, x;
    if (e == 0) x = sign;
    else if (e == 31) x = sign | 0x7f800000u | m << 13;
    else x = sign | (e - 15 + 127) << 23 | m << 13;
    float f;
    memcpy(&f, &x, 4);
    return f;
}

static uint16_t f2bf(float f) /* float to bfloat16, truncated: the upper half of its bits */
{
    uint32_t x;
    memcpy(&x, &f, 4);
    return (uint16_t)(x >> 16);
}

static float bf2f(uint16_t h)
{
    uint32_t x = (uint32_t)h << 16;
    float f;
    memcpy(&f, &x, 4);
    return f;
}

static char *make_model(const spec *sp, size_t *size)
{
    /* SV: not the file-level NV (clang -Wshadow) */
    const int C = sp->C ? sp->C : 32, SV = sp->V ? sp->V : 40, P = sp->P ? sp->P : 8, F = sp->F ? sp->F : 128;
    struct {
        const char *name;
        int d0, d1;
    } ts[32];
    int nt = 0;
#define T(n, a, b) (ts[nt].name = (n), ts[nt].d0 = (a), ts[nt].d1 = (b), nt++)
    T("wte.weight", SV, C);
    T("wpe.weight", P, C);
    T("ln_f.weight", C, 0);
    T("ln_f.bias", C, 0);
    T("h.0.ln_1.weight", C, 0);
    T("h.0.ln_1.bias", C, 0);
    T("h.0.attn.c_attn.weight", C, 3 * C);
    T("h.0.attn.c_attn.bias", 3 * C, 0);
    T("h.0.attn.c_proj.weight", C, C);
    T("h.0.attn.c_proj.bias", C, 0);
    T("h.0.ln_2.weight", C, 0);
    T("h.0.ln_2.bias", C, 0);
    T("h.0.mlp.c_fc.weight", C, F);
    T("h.0.mlp.c_fc.bias", F, 0);
    T("h.0.mlp.c_proj.weight", F, C);
    T("h.0.mlp.c_proj.bias", C, 0);
    if (sp->extra_buffers) {
        T("h.0.attn.bias", 1, P * P);
        T("h.0.attn.masked_bias", 1, 0);
        T("h.0.crossattention.q_attn.weight", C, C); /* add_cross_attention's, unused without an encoder */
        T("h.0.ln_cross_attn.weight", 1, C);
    }
    if (sp->lm_head) T("lm_head.weight", SV, C);
#undef T
    buf hdr = {0}, data = {0};
    puts_(&hdr, "{");
    if (sp->metadata) {
        puts_(&hdr, "\"__metadata__\":");
        puts_(&hdr, sp->metadata);
        puts_(&hdr, ",");
    }
    uint32_t rng = 12345;
    for (int i = 0; i < nt; i++) {
        if (sp->drop && strcmp(sp->drop, ts[i].name) == 0) continue;
        if (sp->part && (sp->part == 1) != (i < nt / 2)) { /* the other shard's: its draws still made */
            for (int k = 0; k < ts[i].d0 * (ts[i].d1 ? ts[i].d1 : 1); k++) rng = rng * 1664525u + 1013904223u;
            continue;
        }
        int d0 = ts[i].d0, d1 = ts[i].d1;
        if (sp->reshape && strcmp(sp->reshape, ts[i].name) == 0) d0 *= 2;
        size_t count = (size_t)d0 * (size_t)(d1 ? d1 : 1);
        int is_f16 = sp->f16;
        const char *dt = is_f16 == 1 ? "F16" : is_f16 == 2 ? "BF16" : "F32";
        if (sp->dtype_of && strcmp(sp->dtype_of, ts[i].name) == 0) dt = sp->dtype;
        size_t begin = data.n;
        int is_ln_w = strstr(ts[i].name, "ln_") && strstr(ts[i].name, ".weight");
        for (size_t k = 0; k < count; k++) {
            rng = rng * 1664525u + 1013904223u;
            float v = ((float)(rng >> 8) / 16777216.0f - 0.5f) * 0.2f + (is_ln_w ? 1.0f : 0.0f);
            if (sp->nan_in && strcmp(sp->nan_in, ts[i].name) == 0 && k == (size_t)(sp->bad_at ? sp->bad_at : 5))
                v = sp->bad_value != 0 ? sp->bad_value : NAN;
            if (is_f16) {
                uint16_t h = is_f16 == 1 ? f2h(v) : f2bf(v);
                put(&data, &h, 2);
            } else {
                if (sp->rounded == 1) v = h2f(f2h(v));
                if (sp->rounded == 2) v = bf2f(f2bf(v));
                put(&data, &v, 4);
            }
        }
        char e[256];
        char full[96];
        snprintf(full, sizeof full, "%s%s", sp->prefix && strncmp(ts[i].name, "lm_head", 7) ? "transformer." : "",
                 ts[i].name);
        if (d1)
            snprintf(e, sizeof e, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[%d,%d],\"data_offsets\":[%zu,%zu]}",
                     hdr.n > 1 && hdr.p[hdr.n - 1] != ',' ? "," : "", full, dt, d0, d1, begin, data.n);
        else
            snprintf(e, sizeof e, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[%d],\"data_offsets\":[%zu,%zu]}",
                     hdr.n > 1 && hdr.p[hdr.n - 1] != ',' ? "," : "", full, dt, d0, begin, data.n);
        puts_(&hdr, e);
    }
    puts_(&hdr, "}");
    while (hdr.n % 8) puts_(&hdr, " ");
    buf out = {0};
    uint64_t hl = hdr.n;
    unsigned char le[8];
    for (int i = 0; i < 8; i++) le[i] = (unsigned char)(hl >> (8 * i));
    put(&out, le, 8);
    put(&out, hdr.p, hdr.n);
    put(&out, data.p, data.n);
    free(hdr.p);
    free(data.p);
    *size = out.n;
    return out.p;
}

static const char *good_cfg = "{\"n_layer\":1,\"n_head\":2,\"n_embd\":32,\"n_positions\":8,\"vocab_size\":40}";

/* The model a spec builds, with no config but its own (metadata or shapes), and that config; *buf holds the file
 * (the weights are read in place: free it after the model). NULL when it fails (a check fails too). */
static lmp_gpt2 *spec_model(const spec *sp, char **buf, lmp_gpt2_config *cf)
{
    size_t n;
    lmp_error err;
    lmp_gpt2 *m = NULL;
    *buf = make_model(sp, &n);
    CHECK_MSG(lmp_gpt2_create(*buf, n, NULL, 0, "m", &m, &err) == LMP_OK, "%s", err.msg);
    if (m) lmp_gpt2_get_config(m, cf);
    return m;
}

static lmp_status try_model(const char *data, size_t size, const char *cfg, lmp_error *err)
{
    lmp_gpt2 *m = NULL;
    lmp_status st = lmp_gpt2_create(data, size, cfg, cfg ? strlen(cfg) : 0, "m.safetensors", &m, err);
    CHECK(st == LMP_OK ? m != NULL : m == NULL);
    lmp_gpt2_free(m);
    return st;
}

#define EXPECT_ERR(st_, want_st, needle)                                                            \
    do {                                                                                            \
        lmp_status s_ = (st_);                                                                      \
        CHECK_MSG(s_ == (want_st), "status %d, want %d: %s", (int)s_, (int)(want_st), err.msg);    \
        CHECK_MSG(strstr(err.msg, (needle)) != NULL, "message '%s' lacks '%s'", err.msg, (needle)); \
    } while (0)

/* A sharded folder (model.safetensors.index.json and its shards, as transformers' save_pretrained
 * writes a checkpoint past its max_shard_size): the same model, bit for bit, as the one file; each
 * way the index and the shards can disagree is an error naming the file at fault. */
static void write_shards(const char *dir, const char *index_json, const char *nan_in)
{
    char path[600];
    for (int part = 1; part <= 2; part++) {
        spec sp = {.part = part, .nan_in = nan_in};
        size_t n;
        char *a = make_model(&sp, &n);
        snprintf(path, sizeof path, "%s/model-0000%d-of-00002.safetensors", dir, part);
        CHECK(test_write_file(path, a, n) == 0);
        free(a);
    }
    snprintf(path, sizeof path, "%s/model.safetensors.index.json", dir);
    CHECK(test_write_text(path, index_json) == 0);
    snprintf(path, sizeof path, "%s/config.json", dir);
    CHECK(test_write_text(path, good_cfg) == 0);
}

/* weight_map of make_model's tensors: the first half in shard 1. `skip` leaves one name out,
 * `move` puts one in the other shard, `shard1` renames the first shard. */
static char *shard_index(const char *skip, const char *move, const char *shard1)
{
    spec all = {0};
    size_t n;
    char *a = make_model(&all, &n);
    st_file f;
    lmp_error err;
    buf out = {0};
    puts_(&out, "{\"metadata\": {\"total_size\": 1}, \"weight_map\": {");
    if (st_parse(a, n, "m", &f, &err) == LMP_OK) {
        for (size_t i = 0, listed = 0; i < f.n; i++) {
            if (skip && strcmp(f.t[i].name, skip) == 0) continue;
            int second = i >= f.n / 2;
            if (move && strcmp(f.t[i].name, move) == 0) second = !second;
            char e[300];
            snprintf(e, sizeof e, "%s\"%s\": \"%s\"", listed++ ? ", " : "", f.t[i].name,
                     second ? "model-00002-of-00002.safetensors" : shard1 ? shard1 : "model-00001-of-00002.safetensors");
            puts_(&out, e);
        }
        st_free(&f);
    }
    puts_(&out, "}}");
    put(&out, "", 1);
    free(a);
    return out.p;
}

static void test_sharded(void)
{
    lmp_error err;
    size_t n;
    spec all = {0};
    char *a = make_model(&all, &n);
    lmp_gpt2 *one = NULL, *sh = NULL;
    CHECK_MSG(lmp_gpt2_create(a, n, good_cfg, strlen(good_cfg), "m", &one, &err) == LMP_OK, "%s", err.msg);
    char dir[600], *ix = shard_index(NULL, NULL, NULL);
    snprintf(dir, sizeof dir, "%s", test_tmp_path("sharded"));
    CHECK(mkdir(dir, 0755) == 0);
    write_shards(dir, ix, NULL);
    CHECK_MSG(lmp_gpt2_load(dir, NULL, NULL, &sh, &err) == LMP_OK, "%s", err.msg);
    if (one && sh) {
        CHECK_INT(lmp_gpt2_tensor_count(sh), lmp_gpt2_tensor_count(one));
        lmp_gpt2_tensor t1, t2;
        CHECK_INT(lmp_gpt2_tensor_info(one, 0, &t1, &err), LMP_OK);
        CHECK_INT(lmp_gpt2_tensor_info(sh, lmp_gpt2_tensor_count(sh) - 1, &t2, &err), LMP_OK);
        CHECK(t1.file == NULL);
        CHECK_MSG(t2.file && strstr(t2.file, "/model-00002-of-00002.safetensors"), "%s", t2.file ? t2.file : "NULL");
        /* where the weights came from: the index of a sharded folder, the name given to lmp_gpt2_create */
        const char *wp = lmp_gpt2_weights_path(sh);
        CHECK_MSG(wp && strstr(wp, "sharded/model.safetensors.index.json"), "%s", wp ? wp : "NULL");
        CHECK(lmp_gpt2_weights_path(one) && strcmp(lmp_gpt2_weights_path(one), "m") == 0);
        lmp_gpt2 *unnamed = NULL;
        CHECK_MSG(lmp_gpt2_create(a, n, good_cfg, strlen(good_cfg), NULL, &unnamed, &err) == LMP_OK, "%s", err.msg);
        CHECK(unnamed && lmp_gpt2_weights_path(unnamed) == NULL);
        lmp_gpt2_free(unnamed);
        lmp_token_id ids[6] = {3, 1, 4, 1, 5, 9};
        float *l1 = malloc(6 * 40 * sizeof(float)), *l2 = malloc(6 * 40 * sizeof(float));
        lmp_gpt2_ctx *c1, *c2;
        if (lmp_gpt2_ctx_create(one, 0, 1, &c1, &err) == LMP_OK) {
            if (lmp_gpt2_ctx_create(sh, 0, 1, &c2, &err) == LMP_OK) {
                CHECK_INT(lmp_gpt2_ctx_push(c1, ids, 6, l1, LMP_GPT2_LOGITS_ALL, &err), LMP_OK);
                CHECK_INT(lmp_gpt2_ctx_push(c2, ids, 6, l2, LMP_GPT2_LOGITS_ALL, &err), LMP_OK);
                CHECK(memcmp(l1, l2, 6 * 40 * sizeof(float)) == 0);
                lmp_gpt2_ctx_free(c2);
            }
            lmp_gpt2_ctx_free(c1);
        }
        free(l1);
        free(l2);
    }
    lmp_gpt2_free(sh);
    lmp_gpt2_free(one);
    free(ix);
    /* the index and the shards disagree, or something is missing */
    static const struct {
        const char *skip, *move, *shard1, *nan_in;
        lmp_status want;
        const char *file, *needle;
    } bad[] = {
        {"h.0.ln_2.bias", NULL, NULL, NULL, LMP_EFORMAT, "model-00002-of-00002.safetensors",
         "tensor 'h.0.ln_2.bias' is not in"},
        {NULL, "wpe.weight", NULL, NULL, LMP_EFORMAT, "model-00001-of-00002.safetensors",
         "tensor 'wpe.weight' is here, but"},
        {NULL, NULL, "model-00003-of-00002.safetensors", NULL, LMP_EIO, "model-00003-of-00002.safetensors",
         "cannot open"},
        {NULL, NULL, "../model-00001-of-00002.safetensors", NULL, LMP_EFORMAT, "model.safetensors.index.json",
         "expected the name of a file in the folder"},
        {NULL, NULL, NULL, "h.0.mlp.c_proj.weight", LMP_EFORMAT, "model-00002-of-00002.safetensors",
         "element 5 (row 0, column 5) is NaN"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "bad%zu", i);
        snprintf(dir, sizeof dir, "%s", test_tmp_path(name));
        CHECK(mkdir(dir, 0755) == 0);
        ix = shard_index(bad[i].skip, bad[i].move, bad[i].shard1);
        write_shards(dir, ix, bad[i].nan_in);
        free(ix);
        lmp_status st = lmp_gpt2_load(dir, NULL, NULL, &sh, &err);
        CHECK_MSG(st == bad[i].want && sh == NULL, "case %zu: status %d, want %d", i, (int)st, (int)bad[i].want);
        CHECK_MSG(strstr(err.msg, bad[i].file) && strstr(err.msg, bad[i].needle), "case %zu: message '%s'", i,
                  err.msg);
        lmp_gpt2_free(sh);
        sh = NULL;
    }
    /* a tensor named twice in the weight_map (JSON allows a key twice; an index never has one) */
    snprintf(dir, sizeof dir, "%s", test_tmp_path("twice"));
    CHECK(mkdir(dir, 0755) == 0);
    ix = shard_index(NULL, NULL, NULL);
    const char *open_ = "\"weight_map\": {";
    char *at = strstr(ix, open_), twice[8192];
    if (at) {
        at += strlen(open_);
        snprintf(twice, sizeof twice, "%.*s\"wte.weight\": \"model-00001-of-00002.safetensors\", %s", (int)(at - ix), ix,
                 at);
        write_shards(dir, twice, NULL);
        CHECK_INT(lmp_gpt2_load(dir, NULL, NULL, &sh, &err), LMP_EFORMAT);
        CHECK_MSG(strstr(err.msg, "weight_map names tensor 'wte.weight' twice"), "%s", err.msg);
    }
    free(ix);
    /* no weight_map */
    snprintf(dir, sizeof dir, "%s", test_tmp_path("nomap"));
    CHECK(mkdir(dir, 0755) == 0);
    write_shards(dir, "{\"metadata\": {}}", NULL);
    CHECK_INT(lmp_gpt2_load(dir, NULL, NULL, &sh, &err), LMP_EFORMAT);
    CHECK_MSG(strstr(err.msg, "weight_map"), "%s", err.msg);
    /* a model.safetensors beside the shards is the model (as transformers reads such a folder) */
    char path[700];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    CHECK(test_write_file(path, a, n) == 0);
    CHECK_MSG(lmp_gpt2_load(dir, NULL, NULL, &sh, &err) == LMP_OK, "%s", err.msg);
    lmp_gpt2_free(sh);
    free(a);
}

/* Shapes the tiny model does not reach, through whole passes: an MLP wider than one k-block
 * of the vector kernels (KC_MAX, 3072: GPT-2 XL's 6400, where c_fc's output is stored into the
 * panels that c_proj then reads k-block by k-block), an odd head count, widths and token counts
 * off the micro-kernels' multiples (and off 16, the AVX-512 layer norm's and attention's). Every level against the portable kernels (which the tiny
 * model checks against PyTorch), 1 and 2 threads bit for bit, and the KV cache token by token
 * against the full pass. (An XL-shaped layer, 1600 wide, 25 heads, against PyTorch: docs/gpt2.md.) */
static void test_wide_shapes(void)
{
    static const int shapes[][6] = {/* C, heads, F, V, P, tokens */
                                    {96, 3, 3200, 300, 64, 45},
                                    {80, 5, 3090, 257, 48, 29},
                                    /* width and head size multiples of 8, not of 16: the AVX2 layer norm and
                                     * attention at the AVX-512 level */
                                    {120, 3, 480, 203, 64, 50}};
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        const int C = shapes[si][0], H = shapes[si][1], F = shapes[si][2], V = shapes[si][3], P = shapes[si][4];
        const size_t n = (size_t)shapes[si][5];
        spec sp = {.C = C, .F = F, .V = V, .P = P};
        size_t size;
        char *a = make_model(&sp, &size), cfg[200];
        snprintf(cfg, sizeof cfg, "{\"n_layer\":1,\"n_head\":%d,\"n_embd\":%d,\"n_inner\":%d,\"n_positions\":%d,"
                 "\"vocab_size\":%d}", H, C, F, P, V);
        lmp_gpt2 *m = NULL;
        lmp_error err;
        CHECK_MSG(lmp_gpt2_create(a, size, cfg, strlen(cfg), "wide", &m, &err) == LMP_OK, "%s", err.msg);
        lmp_token_id ids[64];
        uint32_t st = 99;
        for (size_t i = 0; i < n; i++) ids[i] = (lmp_token_id)((st = st * 1664525u + 1013904223u) >> 8) % (unsigned)V;
        float *ref = NULL;
        for (int isa = GPT2_ISA_C; m && isa <= m->isa; isa++) {
            float *lg[2] = {malloc(n * (size_t)V * sizeof(float)), malloc(n * (size_t)V * sizeof(float))};
            for (int t = 0; t < 2; t++) {
                lmp_gpt2_ctx *c;
                if (lmp_gpt2_ctx_create(m, 0, t + 1, &c, &err) != LMP_OK) {
                    CHECK_MSG(0, "%s", err.msg);
                    continue;
                }
                gpt2_ctx_set_isa(c, isa);
                CHECK_INT(lmp_gpt2_ctx_push(c, ids, n, lg[t], LMP_GPT2_LOGITS_ALL, &err), LMP_OK);
                if (t == 0 && isa == m->isa) { /* the KV cache, token by token, at the top level */
                    float *one = malloc((size_t)V * sizeof(float));
                    double worst = 0;
                    CHECK_INT(lmp_gpt2_ctx_rewind(c, 0, &err), LMP_OK);
                    for (size_t i = 0; i < n; i++) {
                        CHECK_INT(lmp_gpt2_ctx_push(c, ids + i, 1, one, LMP_GPT2_LOGITS_LAST, &err), LMP_OK);
                        double d = max_abs_diff(one, lg[0] + i * (size_t)V, (size_t)V);
                        if (!(d <= worst)) worst = d;
                    }
                    CHECK_MSG(worst <= 1e-5, "C %d F %d isa %d: token by token, max diff %g", C, F, isa, worst);
                    free(one);
                }
                lmp_gpt2_ctx_free(c);
            }
            CHECK_MSG(memcmp(lg[0], lg[1], n * (size_t)V * sizeof(float)) == 0, "C %d F %d isa %d: 1 and 2 threads differ",
                      C, F, isa);
            if (!ref) {
                ref = lg[0];
                lg[0] = NULL;
            } else {
                double d = max_abs_diff(lg[0], ref, n * (size_t)V);
                CHECK_MSG(d <= 1e-4, "C %d F %d isa %d: max |logit - portable| = %g", C, F, isa, d);
                printf("  C %d, %d heads, F %d: isa %d against the portable kernels: %.3g\n", C, H, F, isa, d);
            }
            free(lg[0]);
            free(lg[1]);
        }
        free(ref);
        lmp_gpt2_free(m);
        free(a);
    }
}

static void test_good_variants(void)
{
    lmp_error err;
    size_t n;
    spec base = {0};
    char *a = make_model(&base, &n);
    CHECK_MSG(try_model(a, n, good_cfg, &err) == LMP_OK, "%s", err.msg);
    /* eos_token_id: HF's default 50256 is no token of a 40-token model (none); one given; null (none) */
    const char *eos_cfg[3] = {good_cfg,
                              "{\"n_layer\":1,\"n_head\":2,\"n_embd\":32,\"n_positions\":8,\"vocab_size\":40,"
                              "\"eos_token_id\":0}",
                              "{\"n_layer\":1,\"n_head\":2,\"n_embd\":32,\"n_positions\":8,\"vocab_size\":40,"
                              "\"eos_token_id\":null}"};
    const int eos_want[3] = {-1, 0, -1};
    for (int i = 0; i < 3; i++) {
        lmp_gpt2 *g = NULL;
        CHECK_MSG(lmp_gpt2_create(a, n, eos_cfg[i], strlen(eos_cfg[i]), "m", &g, &err) == LMP_OK, "%s", err.msg);
        if (!g) continue;
        lmp_gpt2_config cf;
        lmp_gpt2_get_config(g, &cf);
        CHECK_INT(cf.eos_token_id, eos_want[i]);
        lmp_gpt2_free(g);
    }
    /* without a config: inferred (n_head = 32 / 64 is not an integer, so refused) */
    EXPECT_ERR(try_model(a, n, NULL, &err), LMP_EFORMAT, "head count cannot be inferred");
    free(a);
    /* prefixed names, ignored buffers, an untied lm_head, metadata config */
    spec s2 = {.prefix = 1, .extra_buffers = 1, .lm_head = 1,
               .metadata = "{\"format\":\"pt\",\"config\":\"{\\\"n_layer\\\":1,\\\"n_head\\\":2,\\\"n_embd\\\":32,"
                           "\\\"n_positions\\\":8,\\\"vocab_size\\\":40,\\\"tie_word_embeddings\\\":false}\"}"};
    a = make_model(&s2, &n);
    lmp_gpt2 *m = NULL;
    CHECK_MSG(lmp_gpt2_create(a, n, NULL, 0, "m", &m, &err) == LMP_OK, "%s", err.msg);
    if (m) {
        lmp_gpt2_config cf;
        lmp_gpt2_get_config(m, &cf);
        CHECK_INT(cf.tied, 0);
        CHECK_INT(cf.source, LMP_GPT2_CONFIG_METADATA);
        CHECK(m->lm_head != m->wte);
        size_t unused = 0;
        for (size_t i = 0; i < lmp_gpt2_tensor_count(m); i++) {
            lmp_gpt2_tensor t;
            lmp_gpt2_tensor_info(m, i, &t, &err);
            unused += !t.used;
        }
        CHECK_INT(unused, 4); /* the two attn buffers, the two cross-attention tensors (refused before) */
        lmp_gpt2_free(m);
    }
    free(a);
    /* metadata keys one by one */
    spec s3 = {.metadata = "{\"n_layer\":\"1\",\"n_head\":\"2\",\"n_embd\":\"32\",\"n_positions\":\"8\","
                           "\"vocab_size\":\"40\",\"layer_norm_epsilon\":\"1e-5\"}"};
    char *b = make_model(&s3, &n);
    CHECK_MSG(try_model(b, n, NULL, &err) == LMP_OK, "%s", err.msg);
    free(b);
    /* the same entries without tie_word_embeddings, with an lm_head.weight of its own: it is used (untied),
     * as when the shapes alone give the config (it was dropped for wte: other logits, no word) */
    spec s3h = s3;
    s3h.lm_head = 1;
    lmp_gpt2_config cf;
    lmp_gpt2 *mh3 = spec_model(&s3h, &b, &cf);
    if (mh3) {
        CHECK_INT(cf.source, LMP_GPT2_CONFIG_METADATA);
        CHECK_INT(cf.tied, 0);
        CHECK(mh3->lm_head != mh3->wte);
        lmp_gpt2_free(mh3);
    }
    free(b);
    /* some entries only (no n_layer, no n_embd): those are taken, the shapes give the rest; they were
     * dropped for a guess (here the guess fails, n_embd 32; with n_embd 64 it gave 1 head for 2) */
    spec s5 = {.metadata = "{\"format\":\"pt\",\"n_head\":\"2\",\"layer_norm_epsilon\":\"0.01\"}"};
    lmp_gpt2 *mp = spec_model(&s5, &b, &cf);
    if (mp) {
        CHECK_INT(cf.source, LMP_GPT2_CONFIG_METADATA);
        CHECK_INT(cf.n_head, 2);
        CHECK_INT(cf.n_layer, 1);
        CHECK_INT(cf.n_embd, 32);
        CHECK(cf.eps == 0.01);
        lmp_gpt2_free(mp);
    }
    free(b);
    /* tied but an lm_head.weight present: HF ties it, so it is not read; absent: wte */
    for (int with_head = 0; with_head <= 1; with_head++) {
        spec s4 = {.lm_head = with_head};
        b = make_model(&s4, &n);
        lmp_gpt2 *mt = NULL;
        CHECK_MSG(lmp_gpt2_create(b, n, good_cfg, strlen(good_cfg), "t", &mt, &err) == LMP_OK, "%s", err.msg);
        if (mt) {
            lmp_gpt2_get_config(mt, &cf);
            CHECK_INT(cf.tied, 1);
            CHECK(mt->lm_head == mt->wte);
            for (size_t i = 0; i < lmp_gpt2_tensor_count(mt); i++) {
                lmp_gpt2_tensor t;
                lmp_gpt2_tensor_info(mt, i, &t, &err);
                if (strcmp(t.name, "lm_head.weight") == 0) CHECK_INT(t.used, 0);
            }
            lmp_gpt2_free(mt);
        }
        free(b);
    }
    /* an unaligned buffer: F32 tensors are copied, not read misaligned; same logits */
    char *al = make_model(&base, &n);
    char *un = malloc(n + 1);
    memcpy(un + 1, al, n);
    lmp_gpt2 *ma = NULL, *mu = NULL;
    lmp_gpt2_create(al, n, good_cfg, strlen(good_cfg), "a", &ma, &err);
    lmp_gpt2_create(un + 1, n, good_cfg, strlen(good_cfg), "u", &mu, &err);
    CHECK(ma && mu);
    if (ma && mu) {
        lmp_gpt2_ctx *ca, *cu;
        lmp_token_id ids[5] = {1, 2, 3, 39, 0};
        float la[5 * 40], lu[5 * 40];
        lmp_gpt2_ctx_create(ma, 0, 1, &ca, &err);
        lmp_gpt2_ctx_create(mu, 0, 1, &cu, &err);
        CHECK_INT(lmp_gpt2_ctx_push(ca, ids, 5, la, LMP_GPT2_LOGITS_ALL, &err), LMP_OK);
        CHECK_INT(lmp_gpt2_ctx_push(cu, ids, 5, lu, LMP_GPT2_LOGITS_ALL, &err), LMP_OK);
        CHECK(memcmp(la, lu, sizeof la) == 0);
        /* bad pushes leave the context as it was */
        lmp_token_id bad[2] = {3, 40};
        EXPECT_ERR(lmp_gpt2_ctx_push(ca, bad, 2, la, LMP_GPT2_LOGITS_LAST, &err), LMP_EINVAL, "token 1 has id 40");
        bad[1] = -1;
        EXPECT_ERR(lmp_gpt2_ctx_push(ca, bad, 2, la, LMP_GPT2_LOGITS_LAST, &err), LMP_EINVAL, "id -1");
        EXPECT_ERR(lmp_gpt2_ctx_push(ca, ids, 4, la, LMP_GPT2_LOGITS_LAST, &err), LMP_ERANGE, "at most 8 tokens");
        EXPECT_ERR(lmp_gpt2_ctx_push(ca, ids, 0, la, LMP_GPT2_LOGITS_LAST, &err), LMP_EINVAL, "0 tokens");
        EXPECT_ERR(lmp_gpt2_ctx_push(ca, ids, 1, NULL, LMP_GPT2_LOGITS_LAST, &err), LMP_EINVAL, "logits is NULL");
        EXPECT_ERR(lmp_gpt2_ctx_rewind(ca, 6, &err), LMP_EINVAL, "holds only 5");
        CHECK_INT(lmp_gpt2_ctx_length(ca), 5);
        CHECK_INT(lmp_gpt2_ctx_push(ca, ids, 3, NULL, LMP_GPT2_LOGITS_NONE, &err), LMP_OK);
        CHECK_INT(lmp_gpt2_ctx_copy(ca, cu, &err), LMP_EINVAL); /* another model */
        lmp_gpt2_ctx *big;
        EXPECT_ERR(lmp_gpt2_ctx_create(ma, 9, 1, &big, &err), LMP_ERANGE, "n_ctx = 8"); /* as lmp_lm_ctx_create */
        CHECK(big == NULL);
        lmp_gpt2_ctx_free(ca);
        lmp_gpt2_ctx_free(cu);
    }
    lmp_gpt2_free(ma);
    lmp_gpt2_free(mu);
    free(al);
    free(un);
    /* F16 and BF16 weights: converted exactly and computed in fp32, so the
     * logits are those of an F32 file holding the same values, bit for bit */
    for (int half = 1; half <= 2; half++) {
        spec sh = {.f16 = half}, sf = {.rounded = half};
        size_t nh, nf;
        char *fh = make_model(&sh, &nh), *ff = make_model(&sf, &nf);
        lmp_gpt2 *mh = NULL, *mf = NULL;
        CHECK_MSG(lmp_gpt2_create(fh, nh, good_cfg, strlen(good_cfg), "h", &mh, &err) == LMP_OK, "%s", err.msg);
        CHECK_MSG(lmp_gpt2_create(ff, nf, good_cfg, strlen(good_cfg), "f", &mf, &err) == LMP_OK, "%s", err.msg);
        if (mh && mf) {
            lmp_gpt2_config ch;
            lmp_gpt2_get_config(mh, &ch);
            CHECK_INT(ch.dtype, half == 1 ? LMP_GPT2_F16 : LMP_GPT2_BF16);
            lmp_gpt2_ctx *ch_, *cf_;
            lmp_token_id ids[6] = {7, 0, 39, 12, 12, 3};
            float lh[6 * 40], lf[6 * 40];
            CHECK_INT(lmp_gpt2_ctx_create(mh, 0, 2, &ch_, &err), LMP_OK);
            CHECK_INT(lmp_gpt2_ctx_create(mf, 0, 2, &cf_, &err), LMP_OK);
            CHECK_INT(lmp_gpt2_ctx_push(ch_, ids, 6, lh, LMP_GPT2_LOGITS_ALL, &err), LMP_OK);
            CHECK_INT(lmp_gpt2_ctx_push(cf_, ids, 6, lf, LMP_GPT2_LOGITS_ALL, &err), LMP_OK);
            CHECK_MSG(memcmp(lh, lf, sizeof lh) == 0, "%s: logits differ from F32's by %g", half == 1 ? "F16" : "BF16",
                      max_abs_diff(lh, lf, 6 * 40));
            lmp_gpt2_ctx_free(ch_);
            lmp_gpt2_ctx_free(cf_);
        }
        lmp_gpt2_free(mh);
        lmp_gpt2_free(mf);
        free(fh);
        free(ff);
    }
}

static void test_bad_files(void)
{
    lmp_error err;
    size_t n;
    spec base = {0};
    char *a = make_model(&base, &n);
    char *b = malloc(n + 64);

    /* truncated: inside the length, inside the header, inside the data */
    EXPECT_ERR(try_model(a, 5, good_cfg, &err), LMP_EFORMAT, "truncated file");
    EXPECT_ERR(try_model(a, 100, good_cfg, &err), LMP_EFORMAT, "runs past the end of the file");
    EXPECT_ERR(try_model(a, n - 10, good_cfg, &err), LMP_EFORMAT, "h.0.mlp.c_proj.bias");
    EXPECT_ERR(try_model(a, n - 10, good_cfg, &err), LMP_EFORMAT, "past the end of the data");
    /* header length lying past the end */
    memcpy(b, a, n);
    b[6] = 1;
    EXPECT_ERR(try_model(b, n, good_cfg, &err), LMP_EFORMAT, "runs past the end");
    /* bad JSON in the header */
    memcpy(b, a, n);
    char *colon = strchr(b + 8, ':');
    *colon = ';';
    EXPECT_ERR(try_model(b, n, good_cfg, &err), LMP_EFORMAT, "expected ':'");
    /* trailing bytes no tensor describes */
    memcpy(b, a, n);
    memset(b + n, 0, 8);
    EXPECT_ERR(try_model(b, n + 8, good_cfg, &err), LMP_EFORMAT, "trailing bytes");
    free(a);

    /* unknown dtype; a known dtype the model cannot use */
    spec s1 = {.dtype_of = "h.0.ln_2.bias", .dtype = "F33"};
    a = make_model(&s1, &n);
    EXPECT_ERR(try_model(a, n, good_cfg, &err), LMP_EFORMAT, "'h.0.ln_2.bias': unknown dtype 'F33'");
    free(a);
    spec s1b = {.dtype_of = "h.0.ln_2.bias", .dtype = "I32"};
    a = make_model(&s1b, &n);
    EXPECT_ERR(try_model(a, n, good_cfg, &err), LMP_EUNSUPPORTED, "'h.0.ln_2.bias' has dtype I32");
    free(a);
    spec s1c = {.dtype_of = "h.0.ln_2.bias", .dtype = "F64"}; /* 8 bytes an element: size disagrees */
    a = make_model(&s1c, &n);
    EXPECT_ERR(try_model(a, n, good_cfg, &err), LMP_EFORMAT, "'h.0.ln_2.bias': 128 bytes");
    free(a);

    /* offsets out of the file, overlapping, with a gap */
    a = make_model(&base, &n);
    const char *hdr_end = a + 8 + 2000;
    (void)hdr_end;
    static const struct {
        const char *from, *to, *needle;
    } edits[] = {
        {"\"wpe.weight\":{\"dtype\":\"F32\",\"shape\":[8,32],\"data_offsets\":[5120,6144]",
         "\"wpe.weight\":{\"dtype\":\"F32\",\"shape\":[8,32],\"data_offsets\":[5120,9999999]", "'wpe.weight'"},
        {"\"wpe.weight\":{\"dtype\":\"F32\",\"shape\":[8,32],\"data_offsets\":[5120,6144]",
         "\"wpe.weight\":{\"dtype\":\"F32\",\"shape\":[8,32],\"data_offsets\":[5100,6124]", "overlaps"},
        {"\"wpe.weight\":{\"dtype\":\"F32\",\"shape\":[8,32],\"data_offsets\":[5120,6144]",
         "\"wpe.weight\":{\"dtype\":\"F32\",\"shape\":[8,32],\"data_offsets\":[6144,5120]", "end before they begin"},
        {"\"wpe.weight\":{\"dtype\":\"F32\",\"shape\":[8,32],\"data_offsets\":[5120,6144]",
         "\"wpe.weight\":{\"dtype\":\"F32\",\"shape\":[8,32],\"data_offsets\":[5120,6144.5]", "data_offsets must be"},
        {"\"wpe.weight\":{\"dtype\":\"F32\",\"shape\":[8,32],\"data_offsets\":[5120,6144]",
         "\"wpe.weight\":{\"dtype\":\"F32\",\"shape\":[8,-32],\"data_offsets\":[5120,6144]", "shape[1] is not"},
        {"\"wpe.weight\":{\"dtype\":\"F32\",\"shape\":[8,32],\"data_offsets\":[5120,6144]",
         "\"wpe.weight\":{\"dtype\":\"F32\",\"shape\":[8,32.0],\"data_offsets\":[5120,6144]", "shape[1] is not"},
        {"\"wpe.weight\":{\"dtype\":\"F32\",\"shape\":[8,32],\"data_offsets\":[5120,6144]",
         "\"wpe.weight\":{\"dtype\":\"F32\",\"shape\":[8,32],\"data_offsets\":[5120,6.144e3]", "data_offsets must be"},
        {"\"wpe.weight\":{\"dtype\":\"F32\",\"shape\":[8,32],\"data_offsets\":[5120,6144]",
         "\"wpe.weight\":{\"dtype\":\"F32\",\"shape\":[8,32],\"data_offsets\":[5120,6144],\"x\":1", "unknown field 'x'"},
        {"\"wpe.weight\":{\"dtype\":\"F32\",\"shape\":[8,32],\"data_offsets\":[5120,6144]",
         "\"wte.weight\":{\"dtype\":\"F32\",\"shape\":[8,32],\"data_offsets\":[5120,6144]", "appears twice"},
        {"\"wpe.weight\":{\"dtype\":\"F32\",\"shape\":[8,32],\"data_offsets\":[5120,6144]",
         "\"transformer.wte.weight\":{\"dtype\":\"F32\",\"shape\":[8,32],\"data_offsets\":[5120,6144]",
         "are the same weight"},
        {"\"wpe.weight\":{\"dtype\":\"F32\",\"shape\":[8,32],\"data_offsets\":[5120,6144]",
         "\"wpx.weight\":{\"dtype\":\"F32\",\"shape\":[8,32],\"data_offsets\":[5120,6144]", "'wpx.weight' is not a GPT-2"},
        {"\"wpe.weight\":{\"dtype\":\"F32\",\"shape\":[8,32],\"data_offsets\":[5120,6144]",
         "\"wpe.weight\":{\"dtype\":\"F32\",\"shape\":[1,8,32],\"data_offsets\":[5120,6144]", "dimensions"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        char *at = strstr(a + 8, edits[i].from);
        CHECK_MSG(at != NULL, "edit %zu: the test model's header changed", i);
        if (!at) continue;
        /* rebuild the header with the edit, keeping its length a multiple of 8 */
        buf h = {0};
        uint64_t hl = 0;
        for (int k = 7; k >= 0; k--) hl = hl << 8 | (unsigned char)a[k];
        put(&h, a + 8, (size_t)(at - (a + 8)));
        puts_(&h, edits[i].to);
        const char *rest = at + strlen(edits[i].from);
        put(&h, rest, (size_t)(a + 8 + hl - rest));
        while (h.n % 8) puts_(&h, " ");
        buf f = {0};
        unsigned char le[8];
        for (int k = 0; k < 8; k++) le[k] = (unsigned char)((uint64_t)h.n >> (8 * k));
        put(&f, le, 8);
        put(&f, h.p, h.n);
        put(&f, a + 8 + hl, n - 8 - hl);
        EXPECT_ERR(try_model(f.p, f.n, good_cfg, &err), LMP_EFORMAT, edits[i].needle);
        free(h.p);
        free(f.p);
    }

    /* config that disagrees with the shapes */
    EXPECT_ERR(try_model(a, n, "{\"n_layer\":1,\"n_head\":2,\"n_embd\":64,\"n_positions\":8,\"vocab_size\":40}", &err),
               LMP_EFORMAT, "'wte.weight' has shape [40, 32]");
    EXPECT_ERR(try_model(a, n, "{\"n_layer\":1,\"n_head\":2,\"n_embd\":32,\"n_positions\":8,\"vocab_size\":41}", &err),
               LMP_EFORMAT, "vocab_size");
    EXPECT_ERR(try_model(a, n, "{\"n_layer\":2,\"n_head\":2,\"n_embd\":32,\"n_positions\":8,\"vocab_size\":40}", &err),
               LMP_EFORMAT, "missing tensor 'transformer.h.1.ln_1.weight'");
    EXPECT_ERR(try_model(a, n, "{\"n_layer\":1,\"n_head\":3,\"n_embd\":32,\"n_positions\":8,\"vocab_size\":40}", &err),
               LMP_EFORMAT, "not a multiple of n_head");
    EXPECT_ERR(try_model(a, n, "{\"n_layer\":1,\"n_head\":2,\"n_embd\":32,\"n_positions\":8,\"vocab_size\":40,"
                               "\"activation_function\":\"relu\"}", &err),
               LMP_EUNSUPPORTED, "activation_function 'relu'");
    EXPECT_ERR(try_model(a, n, "{\"model_type\":\"llama\"}", &err), LMP_EUNSUPPORTED, "model_type 'llama'");
    EXPECT_ERR(try_model(a, n, "{\"eos_token_id\":\"x\"}", &err), LMP_EFORMAT, "eos_token_id: expected a token id");
    EXPECT_ERR(try_model(a, n, "{\"eos_token_id\":2.5}", &err), LMP_EFORMAT, "eos_token_id: expected a token id");
    EXPECT_ERR(try_model(a, n, "{\"eos_token_id\":-1}", &err), LMP_EFORMAT, "eos_token_id: expected a token id");
    EXPECT_ERR(try_model(a, n, "{\"n_layer\":0}", &err), LMP_EFORMAT, "n_layer = 0");
    /* strings are __metadata__'s way (its values are all strings), not config.json's */
    EXPECT_ERR(try_model(a, n, "{\"n_layer\":1,\"n_head\":2,\"n_embd\":\"32\"}", &err), LMP_EFORMAT,
               "n_embd = \"32\" is a string: expected a number");
    EXPECT_ERR(try_model(a, n, "{\"n_layer\":1,\"n_head\":2,\"n_embd\":32,\"tie_word_embeddings\":\"true\"}", &err),
               LMP_EFORMAT, "tie_word_embeddings: expected true or false");
    EXPECT_ERR(try_model(a, n, "{\"n_layer\":1.5}", &err), LMP_EFORMAT, "n_layer = 1.5");
    EXPECT_ERR(try_model(a, n, "{\"n_layer\":1,", &err), LMP_EFORMAT, "config:1:");
    EXPECT_ERR(try_model(a, n, "[1]", &err), LMP_EFORMAT, "expected a JSON object");
    EXPECT_ERR(try_model(a, n, "{\"n_layer\":1,\"n_head\":2,\"n_embd\":32,\"n_positions\":8,\"vocab_size\":40,"
                               "\"layer_norm_epsilon\":-1}", &err),
               LMP_EFORMAT, "layer_norm_epsilon");
    free(a);

    /* a missing tensor; a layer beyond the config; a wrong shape; NaN */
    spec s2 = {.drop = "h.0.attn.c_proj.bias"};
    a = make_model(&s2, &n);
    EXPECT_ERR(try_model(a, n, good_cfg, &err), LMP_EFORMAT, "missing tensor 'transformer.h.0.attn.c_proj.bias'");
    free(a);
    spec s2b = {.drop = "wte.weight"};
    a = make_model(&s2b, &n);
    EXPECT_ERR(try_model(a, n, good_cfg, &err), LMP_EFORMAT, "missing tensor 'transformer.wte.weight'");
    free(a);
    spec s2c = {.lm_head = 0};
    a = make_model(&s2c, &n);
    EXPECT_ERR(try_model(a, n, "{\"n_layer\":1,\"n_head\":2,\"n_embd\":32,\"n_positions\":8,\"vocab_size\":40,"
                               "\"tie_word_embeddings\":false}", &err),
               LMP_EFORMAT, "missing tensor 'lm_head.weight'");
    EXPECT_ERR(try_model(a, n, "{\"n_layer\":1,\"n_head\":2,\"n_embd\":32,\"n_positions\":8,\"vocab_size\":40,"
                               "\"tie_word_embeddings\":3}", &err),
               LMP_EFORMAT, "tie_word_embeddings");
    free(a);
    spec s3 = {.reshape = "h.0.mlp.c_fc.weight"};
    a = make_model(&s3, &n);
    EXPECT_ERR(try_model(a, n, good_cfg, &err), LMP_EFORMAT,
               "'h.0.mlp.c_fc.weight' has shape [64, 128], but the config (config) implies [n_embd, n_inner] = [32, 128]");
    free(a);
    spec s4 = {.nan_in = "h.0.attn.c_attn.weight"};
    a = make_model(&s4, &n);
    EXPECT_ERR(try_model(a, n, good_cfg, &err), LMP_EFORMAT,
               "'h.0.attn.c_attn.weight': element 5 (row 0, column 5) is NaN");
    free(a);
    spec s5 = {.nan_in = "ln_f.bias", .f16 = 1};
    a = make_model(&s5, &n);
    EXPECT_ERR(try_model(a, n, good_cfg, &err), LMP_EFORMAT, "'ln_f.bias': element 5 is NaN");
    free(a);
    /* The scan reads whole blocks of 4,096 floats on the bits (model.c check_finite): a value on either
     * side of a block's edge, in a later block, in the partial last block; a NaN with its sign and
     * payload set; and the extremes that are finite (FLT_MAX, the least subnormal) are not flagged.
     * wte of V = 300, C = 32: 9,600 floats, two whole blocks and 1,408. */
    {
        const char *cfg300 = "{\"n_layer\":1,\"n_head\":2,\"n_embd\":32,\"n_positions\":8,\"vocab_size\":300}";
        uint32_t neg_nan_bits = 0xffc00001u;
        float neg_nan;
        memcpy(&neg_nan, &neg_nan_bits, sizeof neg_nan);
        struct { long at; float v; const char *want; } cases[] = {
            {4095, INFINITY, "'wte.weight': element 4095 (row 127, column 31) is +inf"},
            {4096, -INFINITY, "'wte.weight': element 4096 (row 128, column 0) is -inf"},
            {8191, 0, "'wte.weight': element 8191 (row 255, column 31) is NaN"},
            {8192, neg_nan, "'wte.weight': element 8192 (row 256, column 0) is NaN"},
            {9599, -INFINITY, "'wte.weight': element 9599 (row 299, column 31) is -inf"},
            {4000, FLT_MAX, NULL},
            {5000, -FLT_MAX, NULL},
            {6000, 1e-45f, NULL},
        };
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            spec sb = {.nan_in = "wte.weight", .bad_at = cases[c].at, .bad_value = cases[c].v, .V = 300};
            a = make_model(&sb, &n);
            if (cases[c].want) EXPECT_ERR(try_model(a, n, cfg300, &err), LMP_EFORMAT, cases[c].want);
            else CHECK_MSG(try_model(a, n, cfg300, &err) == LMP_OK, "finite value %g at %ld: %s",
                           (double)cases[c].v, cases[c].at, err.msg);
            free(a);
        }
    }
    free(b);

    /* files that do not exist, folders without a model */
    lmp_gpt2 *m = NULL;
    EXPECT_ERR(lmp_gpt2_load("/nonexistent/model.safetensors", NULL, NULL, &m, &err), LMP_EIO, "cannot open");
    EXPECT_ERR(lmp_gpt2_load(shared_dir, NULL, NULL, &m, &err), LMP_EFORMAT, "a folder without model.safetensors");
    CHECK(m == NULL);
}

/* Every prefix of a valid file is refused cleanly (the truncated-download
 * case), and so is every single-byte corruption of its header: no crash, no
 * leak (ASan), an error or a model. */
static void test_prefixes_and_flips(void)
{
    size_t n;
    spec base = {0};
    char *a = make_model(&base, &n);
    lmp_error err;
    uint64_t hl = 0;
    for (int k = 7; k >= 0; k--) hl = hl << 8 | (unsigned char)a[k];
    for (size_t len = 0; len < n; len += (len < 8 + hl + 64 ? 1 : 97)) {
        char *cut = malloc(len ? len : 1);
        memcpy(cut, a, len);
        lmp_status st = try_model(cut, len, good_cfg, &err);
        CHECK_MSG(st == LMP_EFORMAT, "prefix of %zu bytes: status %d", len, (int)st);
        free(cut);
    }
    char *b = malloc(n);
    size_t ok = 0;
    for (size_t i = 0; i < 8 + hl; i++) {
        memcpy(b, a, n);
        b[i] ^= (char)(i % 7 == 0 ? 0x80 : 0x04);
        lmp_status st = try_model(b, n, good_cfg, &err);
        ok += st == LMP_OK;
        CHECK(st == LMP_OK || st == LMP_EFORMAT || st == LMP_EUNSUPPORTED);
    }
    (void)ok;
    free(b);
    free(a);
}

/* The same for PyTorch checkpoints, both formats (src/gpt2/torch_ckpt.c): every prefix is refused
 * (a zip's directory is at its end, so any cut loses it; the format before 1.6 loses a storage's
 * bytes), and every single-byte change anywhere in the file gives a model or an error. The files are
 * the reader's fuzz seeds (fuzz/make_seeds.py: torch_zip, torch_legacy, which torch.load reads). */
static void test_torch_prefixes_and_flips(void)
{
    static const char *cfg = "{\"n_layer\":1,\"n_head\":2,\"n_embd\":8,\"n_positions\":4,\"vocab_size\":8}";
    static const char *files[2] = {"fuzz/corpus/torch_ckpt/tied.bin", "fuzz/corpus/torch_ckpt/legacy.bin"};
    for (int f = 0; f < 2; f++) {
        size_t n = 0;
        char *a = test_read_file(files[f], &n);
        CHECK_MSG(a != NULL, "%s: cannot read", files[f]);
        if (!a) continue;
        lmp_error err;
        CHECK_MSG(try_model(a, n, cfg, &err) == LMP_OK, "%s: %s", files[f], err.msg);
        for (size_t len = 0; len < n; len++) {
            char *cut = malloc(len ? len : 1);
            memcpy(cut, a, len);
            lmp_status st = try_model(cut, len, cfg, &err);
            CHECK_MSG(st == LMP_EFORMAT || st == LMP_EUNSUPPORTED, "%s: prefix of %zu bytes: status %d", files[f], len,
                      (int)st);
            free(cut);
        }
        char *b = malloc(n);
        for (size_t i = 0; i < n; i++) {
            memcpy(b, a, n);
            b[i] ^= (char)(i % 7 == 0 ? 0x80 : 0x04);
            lmp_status st = try_model(b, n, cfg, &err);
            CHECK(st == LMP_OK || st == LMP_EFORMAT || st == LMP_EUNSUPPORTED);
        }
        free(b);
        free(a);
    }
}

/* ---- the kernels against each other (white box) --------------------------------------- */

static float frand(uint32_t *st)
{
    *st = *st * 1664525u + 1013904223u;
    return ((float)(*st >> 8) / 16777216.0f - 0.5f) * 2.0f;
}

/* The vector product kernels (every level the CPU has) against the portable
 * ones on awkward shapes: rows not a multiple of the micro-kernel's 14 (6 for
 * AVX2), columns not a multiple of 32 (16),
 * one row (the decoding kernels), K over the k-block (two blocks), both
 * layouts of B, bias, GELU, accumulation. The two differ only in rounding
 * (one per fused multiply-add against two), so the tolerance is relative to
 * the sum of |terms|: 4 K float epsilons. */
static void gemm_level(int top);
static void test_gemm_levels(void)
{
    if (gpt2_isa_detect() == GPT2_ISA_C) printf("  (no AVX2 or AVX-512 here: only the portable kernels run)\n");
    for (int top = GPT2_ISA_AVX2; top <= gpt2_isa_detect(); top++)
        gemm_level(top);
}

static void gemm_level(int top)
{
    static const size_t shapes[][3] = {{1, 70, 33}, {1, 3100, 40}, {15, 64, 33}, {19, 3100, 65}, {29, 128, 100},
                                       {14, 16, 32}, {2, 7, 1}};
    uint32_t st = 7;
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        const size_t M = shapes[si][0], K = shapes[si][1], N = shapes[si][2];
        for (int bt = 0; bt < 2; bt++)
            for (int mode = 0; mode < 3; mode++) { /* 0: plain + bias, 1: GELU, 2: accumulate */
                float *A = malloc(M * K * sizeof *A), *B = malloc(K * N * sizeof *B), *bias = malloc(N * sizeof *bias);
                float *C0 = malloc(M * N * sizeof *C0), *C1 = malloc(M * N * sizeof *C1);
                float *absC = malloc(M * N * sizeof *absC);
                for (size_t i = 0; i < M * K; i++) A[i] = frand(&st);
                for (size_t i = 0; i < K * N; i++) B[i] = frand(&st);
                for (size_t i = 0; i < N; i++) bias[i] = frand(&st);
                float *Cin = malloc(M * N * sizeof *Cin);
                for (size_t i = 0; i < M * N; i++) Cin[i] = C0[i] = C1[i] = frand(&st);
                gpt2_gemm g = {A, K, B, bt ? K : N, bt, bias, NULL, N, M, N, K, mode == 2, mode == 1, 0};
                for (size_t i = 0; i < M; i++)
                    for (size_t n = 0; n < N; n++) {
                        double a = fabs(C0[i * N + n]) * (mode == 2) + fabs(bias[n]);
                        for (size_t k = 0; k < K; k++) a += fabs(A[i * K + k] * (bt ? B[n * K + k] : B[k * N + n]));
                        absC[i * N + n] = (float)a;
                    }
                float *Ap = malloc((gpt2_gemm_pack_floats(top, M, K) + 16) * sizeof *Ap);
                float *Bp = aligned_alloc(64, (gpt2_gemm_scratch_floats(top, M, K) + 16) * sizeof *Bp);
                g.C = C0;
                gpt2_gemm_cols(GPT2_ISA_C, &g, NULL, 0, N, NULL);
                g.C = C1;
                gpt2_gemm_pack(top, A, K, M, K, 0, gpt2_gemm_panels(top, M), Ap);
                /* the columns in two uneven shares, as two threads would */
                size_t q = gpt2_gemm_col_quantum(top), cut = N > q ? (N / q / 2) * q : 0;
                gpt2_gemm_cols(top, &g, Ap, 0, cut, Bp);
                gpt2_gemm_cols(top, &g, Ap, cut, N, Bp);
                double worst = 0;
                for (size_t i = 0; i < M * N; i++) {
                    double d = fabs((double)C0[i] - (double)C1[i]) / (4.0 * (double)K * 1.2e-7 * absC[i] + 1e-30);
                    if (!(d <= worst)) worst = d;
                }
                CHECK_MSG(worst <= 1.0, "isa %d M %zu K %zu N %zu b_trans %d mode %d: error %.3g of the bound", top, M,
                          K, N, bt, mode, worst);
                if (top == GPT2_ISA_AVX512 && M > 1 && mode != 1) {
                    /* the matrix products of both vector levels sum in one order (gpt2_internal.h):
                     * the same bits (not with GELU: AVX2 divides where AVX-512 refines an estimate) */
                    float *C2 = malloc(M * N * sizeof *C2), *Ap2 = malloc((gpt2_gemm_pack_floats(GPT2_ISA_AVX2, M, K) + 16) * sizeof *Ap2);
                    float *Bp2 = aligned_alloc(64, (gpt2_gemm_scratch_floats(GPT2_ISA_AVX2, M, K) + 16) * sizeof *Bp2);
                    memcpy(C2, Cin, M * N * sizeof *C2);
                    gpt2_gemm g2 = g;
                    g2.C = C2;
                    gpt2_gemm_pack(GPT2_ISA_AVX2, A, K, M, K, 0, gpt2_gemm_panels(GPT2_ISA_AVX2, M), Ap2);
                    gpt2_gemm_cols(GPT2_ISA_AVX2, &g2, Ap2, 0, N, Bp2);
                    CHECK_MSG(memcmp(C1, C2, M * N * sizeof *C1) == 0,
                              "M %zu K %zu N %zu b_trans %d mode %d: AVX2 and AVX-512 products differ by %g", M, K, N, bt,
                              mode, max_abs_diff(C1, C2, M * N));
                    free(C2), free(Ap2), free(Bp2);
                }
                if (mode != 2 && gpt2_gemm_can_pack_c(top, M, K)) {
                    /* C written straight into the next product's panels: the same bits
                     * as packing the row-major C, zero rows past M included */
                    const size_t np = gpt2_gemm_pack_floats(top, M, N);
                    float *P0 = malloc(np * sizeof *P0), *P1 = malloc(np * sizeof *P1);
                    for (size_t i = 0; i < np; i++) P1[i] = NAN;
                    gpt2_gemm_pack(top, C1, N, M, N, 0, gpt2_gemm_panels(top, M), P0);
                    gpt2_gemm gp = g;
                    gp.C = P1;
                    gp.c_packed = 1;
                    gpt2_gemm_cols(top, &gp, Ap, 0, cut, Bp);
                    gpt2_gemm_cols(top, &gp, Ap, cut, N, Bp);
                    CHECK_MSG(memcmp(P0, P1, np * sizeof *P0) == 0, "M %zu K %zu N %zu b_trans %d mode %d: packed C differs",
                              M, K, N, bt, mode);
                    free(P0), free(P1);
                }
                free(A), free(B), free(bias), free(C0), free(C1), free(Cin), free(absC), free(Ap), free(Bp);
            }
    }
}

/* The layer norm fused into the packing (gpt2_gemm_pack_ln) against the rows
 * normalised by gpt2_layernorm_rows and then packed: the same bits, zero rows
 * past M included, for row counts not a multiple of any level's panel and the
 * panels in two uneven shares, as two threads pack them. */
static void test_pack_ln(void)
{
    static const size_t shapes[][2] = {{2, 8}, {7, 64}, {15, 48}, {29, 768}, {14, 16}};
    uint32_t st = 11;
    for (int top = GPT2_ISA_AVX2; top <= gpt2_isa_detect(); top++)
        for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
            const size_t M = shapes[si][0], K = shapes[si][1], lda = K + 8, np = gpt2_gemm_panels(top, M),
                         nf = gpt2_gemm_pack_floats(top, M, K);
            float *A = malloc(M * lda * sizeof *A), *h = malloc(M * K * sizeof *h), *w = malloc(K * sizeof *w),
                  *b = malloc(K * sizeof *b), *P0 = malloc(nf * sizeof *P0), *P1 = malloc(nf * sizeof *P1);
            for (size_t i = 0; i < M * lda; i++) A[i] = 3.0f * frand(&st) + 0.5f; /* a mean far from 0 */
            for (size_t i = 0; i < K; i++) w[i] = frand(&st), b[i] = frand(&st);
            for (size_t i = 0; i < nf; i++) P0[i] = P1[i] = NAN;
            for (size_t i = 0; i < M; i++) gpt2_layernorm_rows(top, A + i * lda, h + i * K, 0, 1, K, w, b, 1e-5f);
            gpt2_gemm_pack(top, h, K, M, K, 0, np, P0);
            const size_t cut = np / 3;
            int fused = gpt2_gemm_pack_ln(top, A, lda, M, K, 0, cut, w, b, 1e-5f, P1);
            fused &= gpt2_gemm_pack_ln(top, A, lda, M, K, cut, np, w, b, 1e-5f, P1);
            /* AVX2 fuses rows of a multiple of 8 floats, AVX-512 of 16; elsewhere the
             * caller normalises first and packs after (gpt2_gemm_pack_ln returns 0) */
            const size_t quantum = top == GPT2_ISA_AVX512 ? 16 : 8;
            CHECK_MSG(fused == (K % quantum == 0), "isa %d K %zu: fused %d, expected it where K is a multiple of %zu",
                      top, K, fused, quantum);
            if (fused)
                CHECK_MSG(memcmp(P0, P1, nf * sizeof *P0) == 0, "isa %d M %zu K %zu: fused layer norm differs by %g",
                          top, M, K, max_abs_diff(P0, P1, nf));
            free(A), free(h), free(w), free(b), free(P0), free(P1);
        }
}

/* The vector attention against the portable one: a head's cache of random keys
 * and values, query blocks at several positions, head sizes 8 to 128. */
/* The one-row kernels lay their loads on the weights' cache lines
 * (kernels_x86.c, line_offset): a weight matrix starting at any float of a
 * line gives the same bits as one starting a line, for both layouts, any
 * column share, with and without accumulation, bias and GELU. And the chunked
 * row product (gpt2_gemv_reduce) against the plain one. */
static void gemv_alignment(int top);
static void test_gemv_alignment(void)
{
    for (int top = GPT2_ISA_C; top <= gpt2_isa_detect(); top++) gemv_alignment(top);
}

static void gemv_alignment(int top)
{
    uint32_t st = 5;
    static const size_t shapes[][2] = {{16, 40}, {64, 33}, {96, 100}, {768, 70}, {48, 17}, {40, 48}};
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        const size_t K = shapes[si][0], N = shapes[si][1];
        float *x = malloc(K * sizeof *x), *bias = malloc(N * sizeof *bias), *c0 = malloc(N * sizeof *c0);
        float *buf = aligned_alloc(64, (K * N + 64) * sizeof *buf), *ref = malloc(N * sizeof *ref),
              *out = malloc(N * sizeof *out);
        float *part = malloc(gpt2_gemv_chunks(K) * N * sizeof *part);
        for (size_t i = 0; i < K; i++) x[i] = frand(&st);
        for (size_t i = 0; i < N; i++) bias[i] = frand(&st), c0[i] = frand(&st);
        float *w = malloc(K * N * sizeof *w);
        for (size_t i = 0; i < K * N; i++) w[i] = frand(&st);
        for (int bt = 0; bt < 2; bt++)
            for (int mode = 0; mode < 3; mode++) { /* 0: plain + bias, 1: GELU, 2: accumulate */
                const size_t ld = bt ? K : N;
                for (size_t off = 0; off < 16; off++) {
                    float *B = buf + off;
                    memcpy(B, w, K * N * sizeof *w);
                    memcpy(out, c0, N * sizeof *out);
                    gpt2_gemm g = {x, K, B, ld, bt, bias, out, N, 1, N, K, mode == 2, mode == 1, 0};
                    size_t q = gpt2_gemm_col_quantum(top), cut = N > q ? (N / q / 2) * q : 0;
                    gpt2_gemm_cols(top, &g, NULL, 0, cut, NULL);
                    gpt2_gemm_cols(top, &g, NULL, cut, N, NULL);
                    if (off == 0) memcpy(ref, out, N * sizeof *ref);
                    else
                        CHECK_MSG(memcmp(ref, out, N * sizeof *ref) == 0,
                                  "isa %d K %zu N %zu b_trans %d mode %d: weights %zu floats into a line differ by %g",
                                  top, K, N, bt, mode, off, max_abs_diff(ref, out, N));
                    if (bt || off != 3) continue;
                    /* chunks of k, then their sums in order: the plain product within float rounding */
                    const size_t nch = gpt2_gemv_chunks(K);
                    for (size_t c = 0; c < nch; c++) {
                        const size_t k0 = c * GPT2_GEMV_KCHUNK,
                                     kn = K - k0 < GPT2_GEMV_KCHUNK ? K - k0 : GPT2_GEMV_KCHUNK;
                        gpt2_gemm sub = {x + k0, K, B + k0 * ld, ld, 0, NULL, part + c * N, N, 1, N, kn, 0, 0, 0};
                        gpt2_gemm_cols(top, &sub, NULL, 0, N, NULL);
                    }
                    memcpy(out, c0, N * sizeof *out);
                    gpt2_gemv_reduce(top, &g, part, nch, 0, 5 < N ? 5 : N);
                    gpt2_gemv_reduce(top, &g, part, nch, 5 < N ? 5 : N, N);
                    double worst = 0;
                    for (size_t n = 0; n < N; n++) {
                        double a = fabs(bias[n]) + (mode == 2 ? fabs(c0[n]) : 0);
                        for (size_t k = 0; k < K; k++) a += fabs(x[k] * w[k * N + n]);
                        double d = fabs((double)out[n] - (double)ref[n]) / (4.0 * (double)K * 1.2e-7 * a + 1e-30);
                        if (!(d <= worst)) worst = d;
                    }
                    CHECK_MSG(worst <= 1.0, "isa %d K %zu N %zu mode %d: chunked row product, error %.3g of the bound",
                              top, K, N, mode, worst);
                }
            }
        free(x), free(bias), free(c0), free(buf), free(ref), free(out), free(part), free(w);
    }
}

static void attention_level(int top);
static void test_attention_levels(void)
{
    for (int top = GPT2_ISA_AVX2; top <= gpt2_isa_detect(); top++) attention_level(top);
}

static void attention_level(int top)
{
    uint32_t st = 11;
    static const size_t dims[] = {8, 16, 24, 32, 64, 128};
    static const size_t cases[][3] = {{0, 0, 1}, {0, 0, 16}, {0, 5, 13}, {37, 0, 1}, {37, 3, 16}, {100, 0, 9}};
    for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++) {
        const size_t d = dims[di], T = 128, tiles = T / GPT2_KT;
        float *kt = aligned_alloc(64, tiles * GPT2_KT * d * sizeof(float)), *v = malloc(T * d * sizeof(float));
        float *q = malloc(T * d * sizeof(float)), *o0 = malloc(T * d * sizeof(float)), *o1 = malloc(T * d * sizeof(float));
        float *s = aligned_alloc(64, gpt2_attention_scratch_floats(16, T) * sizeof(float));
        for (size_t i = 0; i < tiles * GPT2_KT * d; i++) kt[i] = 2.0f * frand(&st);
        for (size_t i = 0; i < T * d; i++) v[i] = frand(&st), q[i] = frand(&st);
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            const size_t pos0 = cases[c][0], i0 = cases[c][1], i1 = cases[c][2];
            gpt2_attention(GPT2_ISA_C, q, d, kt, v, o0, d, d, pos0, i0, i1, 0.125f, s);
            gpt2_attention(top, q, d, kt, v, o1, d, d, pos0, i0, i1, 0.125f, s);
            double worst = 0;
            for (size_t i = i0 * d; i < i1 * d; i++) {
                double dd = fabs((double)o0[i] - (double)o1[i]);
                if (!(dd <= worst)) worst = dd;
            }
            /* outputs are averages of values in [-1, 1]: float rounding of the
             * scores, exps and sums stays far below 1e-5 */
            CHECK_MSG(worst <= 1e-5, "isa %d d %zu pos0 %zu rows [%zu, %zu): max diff %g", top, d, pos0, i0, i1,
                      worst);
        }
        free(kt), free(v), free(q), free(o0), free(o1), free(s);
    }
}

int main(int argc, char **argv)
{
    test_chdir_root(argv[0]);
    if (test_tmpdir_make("test_gpt2") != 0) return 1;
    const char *sh = getenv("LMP_SHARED");
    snprintf(shared_dir, sizeof shared_dir, "%s", sh ? sh : "../shared");
    if (load_reference() != 0) {
        fprintf(stderr, "test_gpt2: cannot read the references under %s/gpt2\n", shared_dir);
        test_failed_++;
    } else {
        RUN(test_config);
        RUN(test_load_progress);
        RUN(test_tiny_logits);
        RUN(test_kv_cache);
        RUN(test_decode_threads);
        RUN(test_takeover);
        RUN(test_folder);
    }
    RUN(test_gemm_levels);
    RUN(test_pack_ln);
    RUN(test_attention_levels);
    RUN(test_gemv_alignment);
    RUN(test_good_variants);
    RUN(test_wide_shapes);
    RUN(test_sharded);
    RUN(test_bad_files);
    RUN(test_prefixes_and_flips);
    RUN(test_torch_prefixes_and_flips);
    free(ref_logits);
    test_tmpdir_remove();
    (void)argc;
    return TEST_SUMMARY();
}
