/* A GPT-2 context: one sequence, its KV cache, the forward pass.
 *
 * The forward pass of n new tokens at positions [len, len + n) (Radford et
 * al. 2019, section 2.3: GPT with the layer norm moved to the input of each
 * block and one added after the last; Hugging Face's GPT2LMHeadModel):
 *   x = wte[id] + wpe[pos]
 *   for each layer:  x += proj(attn(LN1(x)));  x += fc2(gelu(fc(LN2(x))))
 *   logits = LN_f(x) W_out^T
 * All n rows go through each weight matrix together (a matrix product, not n
 * vector products), and the keys and values of the new rows are appended to
 * the cache, so the next push attends to them without recomputing.
 *
 * Threads: the whole pass is one task of the context's pool. Each stage
 * splits its work (matrix columns, rows, heads x row blocks) between the
 * threads and ends at a barrier. Work is split only along outputs, never
 * along a sum, so every number is computed by the same operations in the
 * same order whatever the thread count: the results are bit-identical for
 * any `threads`. The products and the attention heads are cut into units that
 * a thread can take over from another that falls behind (share_next), which
 * changes who computes a unit, never how. */
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gpt2_internal.h"

/* Query rows per attention task. */
#define ATT_ROWS 16
/* Columns of a unit of the one-row output projection (share_next): 256 rows of
 * the [V][C] weight, 768 KB for GPT-2, 197 units for its 50257 words. */
#define ONE_ROW_UNIT 256
/* Columns of a unit of a product of several rows (share_next): 36 units for
 * GPT-2's attention input (2304 columns), 786 for its output layer. On a
 * shared VM whose cores slow down each on its own, a 2-thread prefill with
 * these units was faster than with a fixed half each in 11 of 14 alternating
 * rounds (docs/gpt2.md, "AVX2 kernels"). */
#define ROWS_UNIT 64

/* The units of work a thread still owns in a shared-out stage: [lo, hi) as
 * hi << 32 | lo, alone on its cache line (share_next). */
typedef struct unit_share {
    _Alignas(64) _Atomic uint64_t r;
} unit_share;

struct lmp_gpt2_ctx {
    const lmp_gpt2 *m;
    int isa;
    size_t cap, len;
    lmp_token_id *tokens;
    /* KV cache. Keys of (layer, head) in tiles of GPT2_KT positions (d x KT each,
     * so that a block of scores is a matrix product with contiguous rows);
     * values as rows of d floats. */
    float *kc, *vc;
    size_t k_head, v_head; /* floats per (layer, head) */
    /* activations of up to cap rows */
    float *x, *h, *qkv, *att, *ff;
    float *apack; /* the packed A of the current matrix product (shared) */
    float *part;  /* one row's partial sums by chunk of k (gemv_split; shared) */
    unit_share *share; /* a thread's units still to run (share_next), one cache line each */
    int share_skew;    /* tests: the last thread starts with all the units (gpt2_ctx_share_skew) */
    _Atomic unsigned long steals; /* units taken over from another thread's share, since creation */
    /* per-thread scratch: matrix-product packing, attention scores, one
     * normalised row (decoding: see ln_gemm) */
    float *tscratch;
    size_t ts_gemm, ts_att, ts_row; /* floats of each, per thread */
    tpool *pool;
    /* the push in flight */
    const lmp_token_id *ids;
    size_t n;
    float *logits;
    lmp_gpt2_logits which;
};

static void *alloc_floats(size_t n)
{
    /* 64-byte alignment: a cache line, an AVX-512 vector */
    size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    return aligned_alloc(64, bytes ? bytes : 64);
}

void lmp_gpt2_ctx_free(lmp_gpt2_ctx *c)
{
    if (!c) return;
    tpool_free(c->pool);
    free(c->tokens);
    free(c->kc);
    free(c->vc);
    free(c->x);
    free(c->h);
    free(c->qkv);
    free(c->att);
    free(c->ff);
    free(c->tscratch);
    free(c->apack);
    free(c->part);
    free(c->share);
    free(c);
}

lmp_status lmp_gpt2_ctx_create(const lmp_gpt2 *m, size_t max_tokens, unsigned threads, lmp_gpt2_ctx **out,
                               lmp_error *err)
{
    if (!out) return lmp_error_set(err, LMP_EINVAL, "lmp_gpt2_ctx_create: out is NULL");
    *out = NULL;
    if (!m) return lmp_error_set(err, LMP_EINVAL, "lmp_gpt2_ctx_create: model is NULL");
    const lmp_gpt2_config *cf = &m->cfg;
    if (max_tokens == 0) max_tokens = (size_t)cf->n_ctx;
    if (max_tokens > (size_t)cf->n_ctx)
        return lmp_error_set(err, LMP_ERANGE, "max_tokens = %zu: expected at most the model's n_ctx = %d", max_tokens,
                             cf->n_ctx);
    if (threads == 0) {
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        threads = nc > 0 ? (nc > 256 ? 256u : (unsigned)nc) : 1u;
    }
    if (threads > 256) threads = 256;
    lmp_gpt2_ctx *c = calloc(1, sizeof *c);
    if (!c) return lmp_error_set(err, LMP_ENOMEM, "out of memory for a GPT-2 context");
    c->m = m;
    c->isa = m->isa;
    c->cap = max_tokens;
    const size_t C = (size_t)cf->n_embd, H = (size_t)cf->n_head, d = C / H, F = (size_t)cf->n_inner,
                 L = (size_t)cf->n_layer, T = max_tokens;
    const size_t tiles = (T + GPT2_KT - 1) / GPT2_KT;
    c->k_head = tiles * GPT2_KT * d;
    c->v_head = T * d;
    c->tokens = malloc(T * sizeof *c->tokens);
    c->kc = alloc_floats(L * H * c->k_head);
    c->vc = alloc_floats(L * H * c->v_head);
    c->x = alloc_floats(T * C);
    c->h = alloc_floats(T * C);
    c->qkv = alloc_floats(T * 3 * C);
    c->att = alloc_floats(T * C);
    /* ff holds the MLP's hidden rows, row-major or (where the kernels can)
     * already packed as the A panels of the MLP's second product. The sizes of
     * the kernels' buffers: the largest of every level up to the model's, which
     * tests may lower the context to (gpt2_ctx_set_isa) */
    size_t kmax = F > C ? F : C, ffp = T * F, apk = 0, gsc = 0;
    for (int isa = GPT2_ISA_C; isa <= c->isa; isa++) {
        const size_t f = gpt2_gemm_pack_floats(isa, T, F), a = gpt2_gemm_pack_floats(isa, T, kmax),
                     g = gpt2_gemm_scratch_floats(isa, T, kmax);
        ffp = f > ffp ? f : ffp;
        apk = a > apk ? a : apk;
        gsc = g > gsc ? g : gsc;
    }
    c->ff = alloc_floats(ffp);
    c->ts_gemm = (gsc + 15) / 16 * 16;
    c->ts_att = (gpt2_attention_scratch_floats(ATT_ROWS, T) + 15) / 16 * 16;
    c->ts_row = (C + 15) / 16 * 16;
    c->tscratch = alloc_floats((size_t)threads * (c->ts_gemm + c->ts_att + c->ts_row));
    c->apack = alloc_floats(apk);
    c->part = alloc_floats(gpt2_gemv_chunks(kmax) * (F > 3 * C ? F : 3 * C));
    c->share = aligned_alloc(64, (size_t)threads * sizeof *c->share);
    if (c->share)
        for (unsigned t = 0; t < threads; t++) atomic_init(&c->share[t].r, 0);
    atomic_init(&c->steals, 0);
    if (!c->tokens || !c->kc || !c->vc || !c->x || !c->h || !c->qkv || !c->att || !c->ff || !c->tscratch ||
        !c->apack || !c->part || !c->share) {
        const size_t kv_mb = 2 * L * H * c->k_head * sizeof(float) >> 20; /* read before c is freed */
        lmp_gpt2_ctx_free(c);
        return lmp_error_set(err, LMP_ENOMEM,
                             "out of memory for a GPT-2 context of %zu tokens (KV cache %zu MB plus activations)", T,
                             kv_mb);
    }
    lmp_status st = tpool_create((int)threads, &c->pool, err);
    if (st) {
        lmp_gpt2_ctx_free(c);
        return st;
    }
    *out = c;
    return LMP_OK;
}

int gpt2_ctx_set_isa(lmp_gpt2_ctx *c, int isa)
{
    c->isa = isa < c->m->isa ? isa : c->m->isa;
    return c->isa;
}

unsigned long gpt2_ctx_share_skew(lmp_gpt2_ctx *c, int skew)
{
    c->share_skew = skew;
    return atomic_load(&c->steals);
}

const lmp_gpt2 *lmp_gpt2_ctx_model(const lmp_gpt2_ctx *c) { return c->m; }
size_t lmp_gpt2_ctx_length(const lmp_gpt2_ctx *c) { return c->len; }
size_t lmp_gpt2_ctx_capacity(const lmp_gpt2_ctx *c) { return c->cap; }
unsigned lmp_gpt2_ctx_threads(const lmp_gpt2_ctx *c) { return (unsigned)tpool_size(c->pool); }
const lmp_token_id *lmp_gpt2_ctx_tokens(const lmp_gpt2_ctx *c) { return c->tokens; }

lmp_status lmp_gpt2_ctx_rewind(lmp_gpt2_ctx *c, size_t keep, lmp_error *err)
{
    if (keep > c->len)
        return lmp_error_set(err, LMP_EINVAL, "rewind to %zu tokens: the context holds only %zu", keep, c->len);
    c->len = keep; /* the cache rows past keep are overwritten by the next push */
    return LMP_OK;
}

lmp_status lmp_gpt2_ctx_copy(lmp_gpt2_ctx *dst, const lmp_gpt2_ctx *src, lmp_error *err)
{
    if (dst->m != src->m) return lmp_error_set(err, LMP_EINVAL, "context copy: the contexts belong to different models");
    if (src->len > dst->cap)
        return lmp_error_set(err, LMP_ERANGE, "context copy: the source holds %zu tokens, the destination only %zu",
                             src->len, dst->cap);
    if (dst == src) return LMP_OK;
    const lmp_gpt2_config *cf = &src->m->cfg;
    const size_t LH = (size_t)cf->n_layer * (size_t)cf->n_head, d = (size_t)(cf->n_embd / cf->n_head);
    const size_t kfl = (src->len + GPT2_KT - 1) / GPT2_KT * GPT2_KT * d, vfl = src->len * d;
    for (size_t i = 0; i < LH; i++) {
        memcpy(dst->kc + i * dst->k_head, src->kc + i * src->k_head, kfl * sizeof(float));
        memcpy(dst->vc + i * dst->v_head, src->vc + i * src->v_head, vfl * sizeof(float));
    }
    memcpy(dst->tokens, src->tokens, src->len * sizeof *src->tokens);
    dst->len = src->len;
    return LMP_OK;
}

/* ---- the forward pass ----------------------------------------------------------- */

static void split(size_t n, size_t q, int tid, int nth, size_t *a, size_t *b)
{
    /* [a, b) of thread tid, in multiples of q (the last share takes the rest) */
    size_t units = (n + q - 1) / q;
    size_t ua = units * (size_t)tid / (size_t)nth, ub = units * (size_t)(tid + 1) / (size_t)nth;
    *a = ua * q < n ? ua * q : n;
    *b = ub * q < n ? ub * q : n;
}

/* Thread tid's scratch: ts_gemm floats for the products, then ts_att for
 * attention, then ts_row for one normalised row. */
static float *thread_scratch(const lmp_gpt2_ctx *c, int tid)
{
    return c->tscratch + (size_t)tid * (c->ts_gemm + c->ts_att + c->ts_row);
}

/* ---- units shared out, and taken over from a slow thread ----------------------------
 * A decoding step reads 500 MB of weights in 49 products, each ended by a
 * barrier, so a thread that falls behind (its core shared with another
 * program, a slower core of a hybrid CPU, a page fault) holds up the others at
 * every one: on a shared 2-core VM the threads waited at barriers for 11-15 %
 * of a step when each ran a fixed half. So each thread starts on its
 * contiguous share of the units, as before, but takes it a piece at a time
 * from the front, and one whose share is done takes the back half of the
 * largest share left. Which thread runs a unit changes no bits: every unit is
 * computed whole, by the same operations, wherever it runs. */

static uint64_t share_pack(size_t lo, size_t hi) { return (uint64_t)hi << 32 | (uint64_t)lo; }
static size_t share_lo(uint64_t r) { return (size_t)(r & 0xffffffffu); }
static size_t share_hi(uint64_t r) { return (size_t)(r >> 32); }

/* The next units [*a, *b) of thread tid: from its own share's front, at most
 * half of what it has left (all of it on one thread) and not past a multiple
 * of `run` (a whole chunk of rows, say), or else the back half of the largest
 * other share. 0: none left. */
static int share_next(lmp_gpt2_ctx *c, int tid, int nth, size_t run, size_t *a, size_t *b)
{
    _Atomic uint64_t *own = &c->share[tid].r;
    uint64_t v = atomic_load_explicit(own, memory_order_relaxed);
    while (share_lo(v) < share_hi(v)) {
        const size_t lo = share_lo(v), hi = share_hi(v), edge = run - lo % run;
        size_t take = nth == 1 ? hi - lo : (hi - lo + 1) / 2;
        if (take > edge) take = edge;
        if (atomic_compare_exchange_weak_explicit(own, &v, share_pack(lo + take, hi), memory_order_relaxed,
                                                  memory_order_relaxed)) {
            *a = lo;
            *b = lo + take;
            return 1;
        }
    }
    for (;;) {
        int victim = -1;
        uint64_t w = 0;
        for (int t = 0; t < nth; t++) {
            const uint64_t r = atomic_load_explicit(&c->share[t].r, memory_order_relaxed);
            if (t != tid && share_hi(r) > share_lo(r) && share_hi(r) - share_lo(r) > share_hi(w) - share_lo(w)) {
                w = r;
                victim = t;
            }
        }
        if (victim < 0) return 0;
        const size_t lo = share_lo(w), hi = share_hi(w), take = (hi - lo) / 2 ? (hi - lo) / 2 : 1;
        if (atomic_compare_exchange_strong_explicit(&c->share[victim].r, &w, share_pack(lo, hi - take),
                                                    memory_order_relaxed, memory_order_relaxed)) {
            atomic_fetch_add_explicit(&c->steals, 1, memory_order_relaxed);
            *a = hi - take;
            *b = hi;
            return 1;
        }
    }
}

/* Thread tid's first share of units [0, n) (the same contiguous split as before). Shares
 * left by an earlier stage are all empty, so a thread that looks before another has
 * set its share finds nothing to take and the other runs it all: slower, never wrong.
 * That rests on every sharing stage ending at tpool_barrier before the next stage's
 * share_begin: without it a thread still in stage k's share_next could take stage
 * k + 1's units and run them with stage k's product (wrong logits, no crash; pointed
 * out by the thirty-fourth session's ThreadSanitizer audit, which found no race). */
static void share_begin(lmp_gpt2_ctx *c, size_t n, int tid, int nth)
{
    size_t a, b;
    split(n, 1, tid, nth, &a, &b);
    if (c->share_skew) { /* the last thread starts with all: the others must take their work over */
        a = 0;
        b = tid == nth - 1 ? n : 0;
    }
    atomic_store_explicit(&c->share[tid].r, share_pack(a, b), memory_order_relaxed);
    if (c->share_skew && nth > 1) {
        /* tests only (test_takeover): every share set before anyone looks, and the owner
         * of all the units gives the others up to 2 ms to take some before it starts. Without
         * this, on a busy machine a helper thread could be off its core for a whole stage of the
         * tiny model, every stage, and the test that takeovers happen failed now and then
         * (once in a make test, 2026-12-05). */
        const unsigned long s0 = atomic_load(&c->steals);
        tpool_barrier(c->pool);
        if (tid == nth - 1 && n > 1) {
            struct timespec t0, t;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            do {
                sched_yield();
                clock_gettime(CLOCK_MONOTONIC, &t);
            } while (atomic_load(&c->steals) == s0 &&
                     (t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 2000000L);
        }
    }
}

/* One row times a [K][N] weight on all threads (gpt2_internal.h,
 * gpt2_gemv_chunks): the (chunk, column block) units in chunk order, shared
 * out (share_next), a claim's columns of each chunk in one call; a barrier;
 * then the columns' sums split as usual. */
static void gemv_split(lmp_gpt2_ctx *c, const gpt2_gemm *g, int tid, int nth)
{
    const size_t N = g->N, K = g->K, nch = gpt2_gemv_chunks(K),
                 ncb = (N + GPT2_GEMV_CBLOCK - 1) / GPT2_GEMV_CBLOCK;
    size_t u0, u1;
    share_begin(c, nch * ncb, tid, nth);
    while (share_next(c, tid, nth, ncb, &u0, &u1)) {
        while (u0 < u1) {
            const size_t ch = u0 / ncb, j0 = u0 % ncb, j1 = u1 - ch * ncb < ncb ? u1 - ch * ncb : ncb;
            const size_t k0 = ch * GPT2_GEMV_KCHUNK, kn = K - k0 < GPT2_GEMV_KCHUNK ? K - k0 : GPT2_GEMV_KCHUNK;
            const gpt2_gemm s = {g->A + k0, g->lda, g->B + k0 * g->ldb, g->ldb, 0, NULL, c->part + ch * N, N, 1, N,
                                 kn, 0, 0, 0};
            gpt2_gemm_cols(c->isa, &s, NULL, j0 * GPT2_GEMV_CBLOCK,
                           j1 * GPT2_GEMV_CBLOCK < N ? j1 * GPT2_GEMV_CBLOCK : N, thread_scratch(c, tid));
            u0 = ch * ncb + j1;
        }
    }
    tpool_barrier(c->pool);
    size_t a, b;
    split(N, 16, tid, nth, &a, &b);
    gpt2_gemv_reduce(c->isa, g, c->part, nch, a, b);
}

/* The columns of a product (A packed in Ap, or NULL) on all threads, in units
 * of `unit` columns (rounded up to the kernels' quantum) shared out. */
static void cols_shared(lmp_gpt2_ctx *c, const gpt2_gemm *g, const float *Ap, size_t unit, int tid, int nth)
{
    const size_t q = gpt2_gemm_col_quantum(c->isa), u = (unit + q - 1) / q * q, n = (g->N + u - 1) / u;
    size_t a, e;
    share_begin(c, n, tid, nth);
    while (share_next(c, tid, nth, n, &a, &e))
        gpt2_gemm_cols(c->isa, g, Ap, a * u, e * u < g->N ? e * u : g->N, thread_scratch(c, tid));
}

/* One matrix product on all threads: pack A (if the kernels want it), then columns. */
static void gemm_split(lmp_gpt2_ctx *c, const gpt2_gemm *g, int tid, int nth)
{
    if (g->M == 1 && !g->b_trans) {
        gemv_split(c, g, tid, nth);
        return;
    }
    size_t a, b, np = gpt2_gemm_panels(c->isa, g->M);
    if (np) {
        split(np, 1, tid, nth, &a, &b);
        gpt2_gemm_pack(c->isa, g->A, g->lda, g->M, g->K, a, b, c->apack);
        tpool_barrier(c->pool);
    }
    cols_shared(c, g, c->apack, g->M == 1 ? ONE_ROW_UNIT : ROWS_UNIT, tid, nth);
}

/* x -> LN(x) -> a product with it (g->A is the row-major scratch h). Where the
 * kernels pack A into panels, the layer norm is applied on the way in (one
 * pass over x, one barrier); otherwise the rows are normalised into h first. */
static void ln_gemm(lmp_gpt2_ctx *c, const float *x, const float *w, const float *b, const gpt2_gemm *g, int tid,
                    int nth)
{
    const float eps = (float)c->m->cfg.eps;
    if (g->M == 1) {
        /* One row (decoding): every thread normalises it into its own scratch
         * and multiplies that, with no barrier in between (a barrier costs more
         * than a row of n_embd; on a busy machine far more: a thread waits for
         * the other to be scheduled). The same arithmetic on every thread, so
         * the same bits. */
        float *row = thread_scratch(c, tid) + c->ts_gemm + c->ts_att;
        gpt2_layernorm_rows(c->isa, x, row, 0, 1, g->K, w, b, eps);
        gpt2_gemm g1 = *g;
        g1.A = row;
        g1.lda = g->K;
        if (!g->b_trans) {
            gemv_split(c, &g1, tid, nth);
            return;
        }
        /* the output projection: units of ONE_ROW_UNIT columns (rows of the weight) */
        cols_shared(c, &g1, NULL, ONE_ROW_UNIT, tid, nth);
        return;
    }
    size_t a, e, np = gpt2_gemm_panels(c->isa, g->M);
    split(np, 1, tid, nth, &a, &e);
    if (np && gpt2_gemm_pack_ln(c->isa, x, g->K, g->M, g->K, a, e, w, b, eps, c->apack)) {
        tpool_barrier(c->pool);
        cols_shared(c, g, c->apack, ROWS_UNIT, tid, nth);
        return;
    }
    split(g->M, 1, tid, nth, &a, &e);
    gpt2_layernorm_rows(c->isa, x, c->h, a, e, g->K, w, b, eps);
    tpool_barrier(c->pool);
    gemm_split(c, g, tid, nth);
}

static void forward_task(void *arg, int tid, int nth)
{
    lmp_gpt2_ctx *c = arg;
    const lmp_gpt2 *m = c->m;
    const lmp_gpt2_config *cf = &m->cfg;
    const size_t n = c->n, pos0 = c->len, C = (size_t)cf->n_embd, H = (size_t)cf->n_head, d = C / H,
                 F = (size_t)cf->n_inner, V = (size_t)cf->n_vocab;
    float *att_s = thread_scratch(c, tid) + c->ts_gemm;
    size_t r0, r1;

    /* embeddings */
    split(n, 1, tid, nth, &r0, &r1);
    for (size_t i = r0; i < r1; i++) {
        const float *te = m->wte + (size_t)c->ids[i] * C, *pe = m->wpe + (pos0 + i) * C;
        float *x = c->x + i * C;
        for (size_t j = 0; j < C; j++) x[j] = te[j] + pe[j];
    }
    tpool_barrier(c->pool);

    for (int l = 0; l < cf->n_layer; l++) {
        const gpt2_layer *L = &m->layers[l];
        float *kc = c->kc + (size_t)l * H * c->k_head, *vc = c->vc + (size_t)l * H * c->v_head;

        ln_gemm(c, c->x, L->ln1_w, L->ln1_b,
                &(gpt2_gemm){c->h, C, L->attn_w, 3 * C, 0, L->attn_b, c->qkv, 3 * C, n, 3 * C, C, 0, 0, 0}, tid, nth);
        tpool_barrier(c->pool);

        /* Heads are shared out as units: a thread appends its heads' new keys
         * and values to the cache, then runs their attention, with no barrier
         * in between. */
        float scale = cf->scale_attn_weights ? 1.0f / sqrtf((float)d) : 1.0f;
        if (cf->scale_attn_by_inverse_layer_idx) scale /= (float)(l + 1);
        size_t h0, h1;
        share_begin(c, H, tid, nth);
        while (share_next(c, tid, nth, H, &h0, &h1))
            for (size_t hd = h0; hd < h1; hd++) {
                float *kt = kc + hd * c->k_head, *vv = vc + hd * c->v_head;
                gpt2_kv_append(c->isa, c->qkv + C + hd * d, c->qkv + 2 * C + hd * d, 3 * C, kt, vv, d, pos0, n);
                for (size_t i0 = 0; i0 < n; i0 += ATT_ROWS)
                    gpt2_attention(c->isa, c->qkv + hd * d, 3 * C, kt, vv, c->att + hd * d, C, d, pos0, i0,
                                   i0 + ATT_ROWS < n ? i0 + ATT_ROWS : n, scale, att_s);
            }
        tpool_barrier(c->pool);

        gemm_split(c, &(gpt2_gemm){c->att, C, L->proj_w, C, 0, L->proj_b, c->x, C, n, C, C, 1, 0, 0}, tid, nth);
        tpool_barrier(c->pool);
        if (gpt2_gemm_panels(c->isa, n) && gpt2_gemm_can_pack_c(c->isa, n, C)) {
            /* gelu(fc(LN2(x))) is stored straight into the panels mlp c_proj reads:
             * no packing pass over the n x n_inner activations, one barrier less */
            ln_gemm(c, c->x, L->ln2_w, L->ln2_b,
                    &(gpt2_gemm){c->h, C, L->fc_w, F, 0, L->fc_b, c->ff, F, n, F, C, 0, 1, 1}, tid, nth);
            tpool_barrier(c->pool);
            cols_shared(c, &(gpt2_gemm){c->ff, F, L->fc2_w, C, 0, L->fc2_b, c->x, C, n, C, F, 1, 0, 0}, c->ff,
                        ROWS_UNIT, tid, nth);
        } else {
            ln_gemm(c, c->x, L->ln2_w, L->ln2_b,
                    &(gpt2_gemm){c->h, C, L->fc_w, F, 0, L->fc_b, c->ff, F, n, F, C, 0, 1, 0}, tid, nth);
            tpool_barrier(c->pool);
            gemm_split(c, &(gpt2_gemm){c->ff, F, L->fc2_w, C, 0, L->fc2_b, c->x, C, n, C, F, 1, 0, 0}, tid, nth);
        }
        tpool_barrier(c->pool);
    }

    if (c->which == LMP_GPT2_LOGITS_NONE) return;
    const size_t first = c->which == LMP_GPT2_LOGITS_ALL ? 0 : n - 1, rows = n - first;
    ln_gemm(c, c->x + first * C, m->lnf_w, m->lnf_b,
            &(gpt2_gemm){c->h, C, m->lm_head, C, 1, NULL, c->logits, V, rows, V, C, 0, 0, 0}, tid, nth);
}

lmp_status lmp_gpt2_ctx_push(lmp_gpt2_ctx *c, const lmp_token_id *ids, size_t n, float *logits, lmp_gpt2_logits which,
                             lmp_error *err)
{
    if (which != LMP_GPT2_LOGITS_NONE && which != LMP_GPT2_LOGITS_LAST && which != LMP_GPT2_LOGITS_ALL)
        return lmp_error_set(err, LMP_EINVAL, "push: which = %d: expected NONE, LAST or ALL", (int)which);
    if (n == 0) {
        if (which != LMP_GPT2_LOGITS_NONE)
            return lmp_error_set(err, LMP_EINVAL, "push of 0 tokens: no position to give logits for");
        return LMP_OK;
    }
    if (!ids) return lmp_error_set(err, LMP_EINVAL, "push: ids is NULL");
    if (which != LMP_GPT2_LOGITS_NONE && !logits) return lmp_error_set(err, LMP_EINVAL, "push: logits is NULL");
    if (n > c->cap - c->len)
        return lmp_error_set(err, LMP_ERANGE,
                             "push of %zu tokens at position %zu: the context holds at most %zu tokens (%zu more)", n,
                             c->len, c->cap, c->cap - c->len);
    const int32_t V = c->m->cfg.n_vocab;
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= V)
            return lmp_error_set(err, LMP_EINVAL, "push: token %zu has id %ld: expected an id in [0, %d)", i,
                                 (long)ids[i], V);
    c->ids = ids;
    c->n = n;
    c->logits = logits;
    c->which = which;
    tpool_run(c->pool, forward_task, c);
    memcpy(c->tokens + c->len, ids, n * sizeof *ids);
    c->len += n;
    return LMP_OK;
}
