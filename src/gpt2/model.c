/* Loading a GPT-2 checkpoint: a Hugging Face folder or a bare .safetensors
 * file, validated in full before use (see gpt2.h and docs/gpt2.md).
 *
 * Order of the checks: the safetensors header (safetensors.c: lengths, JSON,
 * dtypes, offsets, overlaps); every tensor name is a GPT-2 name; the config
 * (config.json, else the header's __metadata__, else inferred from shapes) is
 * well-formed and of a model this engine runs; every required tensor is
 * present once, with a float dtype and the shape the config implies; then the
 * weights are materialised (F32 in place, F16/BF16 converted) and scanned for
 * NaN and infinities. Nothing is used before all of this has passed. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/bigmem.h"
#include "../core/path.h"
#include "gpt2_internal.h"
#include "torch_ckpt.h"
#include "../core/cnum.h"

/* ---- tensor names ---------------------------------------------------------- */

enum { G_WTE, G_WPE, G_LNF_W, G_LNF_B, G_LM_HEAD, G_NGLOBAL };
static const char *const global_names[G_NGLOBAL] = {"wte.weight", "wpe.weight", "ln_f.weight", "ln_f.bias",
                                                    "lm_head.weight"};

enum { L_LN1_W, L_LN1_B, L_ATTN_W, L_ATTN_B, L_PROJ_W, L_PROJ_B, L_LN2_W, L_LN2_B, L_FC_W, L_FC_B, L_FC2_W, L_FC2_B,
       L_NSLOTS };
static const char *const layer_names[L_NSLOTS] = {
    "ln_1.weight",        "ln_1.bias",        "attn.c_attn.weight", "attn.c_attn.bias",
    "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight",        "ln_2.bias",
    "mlp.c_fc.weight",    "mlp.c_fc.bias",    "mlp.c_proj.weight",  "mlp.c_proj.bias"};

#define MAX_LAYERS 1024

/* What a tensor name means: a global slot, a layer slot, an ignored buffer. */
typedef struct name_ref {
    int kind;  /* 0 global, 1 layer, 2 ignored, -1 not a GPT-2 name */
    int slot;
    long layer;
} name_ref;

static name_ref classify(const char *name)
{
    name_ref r = {-1, 0, 0};
    const char *s = name;
    if (strncmp(s, "transformer.", 12) == 0) s += 12;
    for (int g = 0; g < G_NGLOBAL; g++) {
        /* lm_head lives outside the transformer module in HF, so never prefixed */
        if (strcmp(s, global_names[g]) == 0 && !(g == G_LM_HEAD && s != name)) {
            r.kind = 0;
            r.slot = g;
            return r;
        }
    }
    if (s[0] != 'h' || s[1] != '.' || s[2] < '0' || s[2] > '9') return r;
    s += 2;
    long i = 0;
    if (*s == '0' && s[1] != '.') return r; /* no leading zeros: one name per layer */
    while (*s >= '0' && *s <= '9') {
        i = i * 10 + (*s++ - '0');
        if (i >= MAX_LAYERS) return r;
    }
    if (*s++ != '.') return r;
    r.layer = i;
    for (int k = 0; k < L_NSLOTS; k++)
        if (strcmp(s, layer_names[k]) == 0) {
            r.kind = 1;
            r.slot = k;
            return r;
        }
    /* the causal mask and the masked-score constant, saved as buffers by old transformers */
    if (strcmp(s, "attn.bias") == 0 || strcmp(s, "attn.masked_bias") == 0) r.kind = 2;
    /* cross-attention (add_cross_attention, an encoder-decoder's decoder): GPT2LMHeadModel loads it and,
     * with no encoder states, computes the plain decoder, whose logits these are (it was refused) */
    if (strncmp(s, "crossattention.", 15) == 0 || strncmp(s, "ln_cross_attn.", 14) == 0) r.kind = 2;
    return r;
}

/* ---- config ------------------------------------------------------------------ */

typedef struct cfg_in {
    long n_layer, n_head, n_embd, n_pos, n_vocab, n_inner; /* -1: not given */
    double eps;                                            /* NaN: not given */
    int scale_attn, scale_inv_layer, tie;                  /* -1: not given */
    long eos, bos;                                         /* -1: not given, -2: null */
} cfg_in;

static void cfg_unset(cfg_in *c)
{
    c->n_layer = c->n_head = c->n_embd = c->n_pos = c->n_vocab = c->n_inner = -1;
    c->eps = NAN;
    c->scale_attn = c->scale_inv_layer = c->tie = -1;
    c->eos = c->bos = -1;
}

/* An integer config value in [1, max]. */
static lmp_status cfg_int(const lmp_json_value *v, const char *key, long max, long *out, int strings,
                          const char *label, lmp_error *err)
{
    double d;
    if (v->type == LMP_JSON_NUMBER) {
        d = v->num;
    } else if (v->type == LMP_JSON_STRING && strings) { /* __metadata__ values are strings */
        char *end;
        errno = 0;
        d = lmp_strtod_c(v->str, &end);
        if (end == v->str || *end || errno) d = NAN;
    } else if (v->type == LMP_JSON_STRING) {
        return lmp_error_set_at(err, LMP_EFORMAT, label, 0, "config: %s = \"%.40s\" is a string: expected a number", key,
                                v->str);
    } else {
        return lmp_error_set_at(err, LMP_EFORMAT, label, 0, "config: %s is not a number", key);
    }
    if (!(d >= 1 && d <= (double)max) || d != floor(d))
        return lmp_error_set_at(err, LMP_EFORMAT, label, 0, "config: %s = %.17g: expected an integer in [1, %ld]", key,
                                d, max);
    *out = (long)d;
    return LMP_OK;
}

static lmp_status cfg_bool(const lmp_json_value *v, const char *key, int *out, int strings, const char *label,
                           lmp_error *err)
{
    if (v->type == LMP_JSON_BOOL) {
        *out = v->boolean;
        return LMP_OK;
    }
    if (!strings) return lmp_error_set_at(err, LMP_EFORMAT, label, 0, "config: %s: expected true or false", key);
    if (v->type == LMP_JSON_STRING && (strcmp(v->str, "true") == 0 || strcmp(v->str, "True") == 0)) {
        *out = 1;
        return LMP_OK;
    }
    if (v->type == LMP_JSON_STRING && (strcmp(v->str, "false") == 0 || strcmp(v->str, "False") == 0)) {
        *out = 0;
        return LMP_OK;
    }
    return lmp_error_set_at(err, LMP_EFORMAT, label, 0, "config: %s: expected true or false", key);
}

/* Read a GPT2Config (HF names and their attribute_map aliases) from a JSON
 * object. Unknown keys are ignored (HF configs carry many, e.g. task params). strings: numbers and
 * booleans may be strings, as in a safetensors __metadata__ (whose values are all strings); in a
 * config.json "64" is refused, as the model Hugging Face builds from it fails. */
static lmp_status cfg_read(const lmp_json_value *o, cfg_in *c, int strings, const char *label, lmp_error *err)
{
    /* alias: an attribute_map name. GPT2Config sets its own names first and then the other keyword
     * arguments through the map, so an alias wins over its plain name whatever their order in the file
     * ({"n_head": 2, "num_attention_heads": 4} is 4 heads there): read in a second pass here (the order
     * of the file decided, 2 heads, other logits with no word) */
    static const struct {
        const char *key;
        int field, alias;
        long max;
    } ints[] = {
        {"n_layer", 0, 0, MAX_LAYERS},        {"num_hidden_layers", 0, 1, MAX_LAYERS},
        {"n_head", 1, 0, 4096},               {"num_attention_heads", 1, 1, 4096},
        {"n_embd", 2, 0, 65536},              {"hidden_size", 2, 1, 65536},
        {"n_positions", 3, 0, 1L << 20},      {"max_position_embeddings", 3, 1, 1L << 20},
        {"vocab_size", 4, 0, 1L << 24},       {"n_inner", 5, 0, 1L << 20},
    };
    lmp_status st;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < o->n; i++)
            for (size_t j = 0; j < sizeof ints / sizeof ints[0]; j++) {
                const char *k = o->keys[i];
                const lmp_json_value *v = &o->items[i];
                if (ints[j].alias != pass || strcmp(k, ints[j].key) != 0) continue;
                if (ints[j].field == 5 && v->type == LMP_JSON_NULL) break; /* n_inner: null = 4 n_embd */
                long *dst[] = {&c->n_layer, &c->n_head, &c->n_embd, &c->n_pos, &c->n_vocab, &c->n_inner};
                if ((st = cfg_int(v, k, ints[j].max, dst[ints[j].field], strings, label, err))) return st;
            }
    for (size_t i = 0; i < o->n; i++) {
        const char *k = o->keys[i];
        const lmp_json_value *v = &o->items[i];
        if (strcmp(k, "layer_norm_epsilon") == 0) {
            double e = NAN;
            if (v->type == LMP_JSON_NUMBER) e = v->num;
            else if (v->type == LMP_JSON_STRING && strings) {
                char *end;
                e = lmp_strtod_c(v->str, &end);
                if (end == v->str || *end) e = NAN;
            }
            if (!(e > 0 && e < 1))
                return lmp_error_set_at(err, LMP_EFORMAT, label, 0,
                                        "config: layer_norm_epsilon: expected a number in (0, 1)");
            c->eps = e;
        } else if (strcmp(k, "scale_attn_weights") == 0) {
            if ((st = cfg_bool(v, k, &c->scale_attn, strings, label, err))) return st;
        } else if (strcmp(k, "scale_attn_by_inverse_layer_idx") == 0) {
            if ((st = cfg_bool(v, k, &c->scale_inv_layer, strings, label, err))) return st;
        } else if (strcmp(k, "tie_word_embeddings") == 0) {
            if ((st = cfg_bool(v, k, &c->tie, strings, label, err))) return st;
        } else if (strcmp(k, "eos_token_id") == 0 || strcmp(k, "bos_token_id") == 0) {
            /* a token id (0 allowed), or null for none; a list (newer configs may give several) is not GPT-2's */
            long *dst = k[0] == 'e' ? &c->eos : &c->bos;
            if (v->type == LMP_JSON_NULL) *dst = -2;
            else if (v->type == LMP_JSON_NUMBER && v->num >= 0 && v->num < (double)(1L << 24) &&
                     v->num == floor(v->num))
                *dst = (long)v->num;
            else
                return lmp_error_set_at(err, LMP_EFORMAT, label, 0,
                                        "config: %s: expected a token id (an integer >= 0) or null", k);
        } else if (strcmp(k, "model_type") == 0) {
            if (v->type != LMP_JSON_STRING || strcmp(v->str, "gpt2") != 0)
                return lmp_error_set_at(err, LMP_EUNSUPPORTED, label, 0,
                                        "config: model_type '%.60s': this engine runs GPT-2 only (model_type \"gpt2\")",
                                        v->type == LMP_JSON_STRING ? v->str : "?");
        } else if (strcmp(k, "activation_function") == 0) {
            /* gelu_new and gelu_pytorch_tanh are the same formula (the tanh
             * approximation); other activations would give other logits */
            if (v->type != LMP_JSON_STRING ||
                (strcmp(v->str, "gelu_new") != 0 && strcmp(v->str, "gelu_pytorch_tanh") != 0))
                return lmp_error_set_at(err, LMP_EUNSUPPORTED, label, 0,
                                        "config: activation_function '%.60s': expected \"gelu_new\" (the tanh "
                                        "approximation GPT-2 uses)",
                                        v->type == LMP_JSON_STRING ? v->str : "?");
        }
    }
    return LMP_OK;
}

/* ---- helpers ----------------------------------------------------------------- */

static void shape_str(char *buf, size_t len, const int64_t *shape, int ndim)
{
    size_t k = 0;
    buf[0] = '\0';
    for (int j = 0; j < ndim && k + 24 < len; j++)
        k += (size_t)snprintf(buf + k, len - k, "%s%lld", j ? ", " : "", (long long)shape[j]);
}

/* IEEE half to float, exactly (subnormals, infinities, NaN kept). */
static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff, bits;
    if (e == 0x1f) {
        bits = sign | 0x7f800000u | (m << 13);
    } else if (e != 0) {
        bits = sign | ((e + 112) << 23) | (m << 13);
    } else if (m == 0) {
        bits = sign;
    } else { /* subnormal: m * 2^-24, exact in float */
        float f = (float)m * 0x1p-24f;
        memcpy(&bits, &f, 4);
        bits |= sign;
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static float bf16_to_float(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static uint16_t load_u16le(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

void lmp_gpt2_free(lmp_gpt2 *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->nheap; i++) mem_block_free(m->heap[i]);
    free(m->heap);
    free(m->layers);
    free(m->used);
    st_free(&m->st);
    if (m->map) munmap(m->map, m->map_size);
    for (size_t i = 0; i < m->nshards; i++) {
        st_free(&m->shards[i].st);
        if (m->shards[i].map) munmap(m->shards[i].map, m->shards[i].size);
        free(m->shards[i].path);
    }
    free(m->shards);
    free(m->source);
    free(m);
}

/* Whether [p, p + n) lies inside the mapping [map, map + size) (map NULL: none). */
static int in_map(const void *map, size_t size, const unsigned char *p, size_t n)
{
    const unsigned char *b = map;
    return b && p >= b && n <= size && (size_t)(p - b) <= size - n;
}

/* The F32 values of a used tensor: in place when F32 and aligned on a little-
 * endian host, otherwise a heap copy (converted from F16/BF16). */
static lmp_status materialise(lmp_gpt2 *m, const st_tensor *t, const float **out, const char *label, lmp_error *err)
{
    if (t->dtype == ST_F32 && ((uintptr_t)t->data % sizeof(float)) == 0 && host_is_little_endian()) {
        *out = (const float *)(const void *)t->data;
        return LMP_OK;
    }
    size_t n = (size_t)t->count;
    /* in huge pages where the block is large (mem_block_alloc): the copies of GPT-2 124M's weights are 500 MB,
     * and a fault per 4 KB page cost more than the conversion (its F16 checkpoint loaded in 1.6 s, now 0.4-0.55;
     * docs/gpt2.md, "PyTorch checkpoints") */
    float *f = mem_block_alloc(n * sizeof(float) + 64);
    if (!f) return lmp_error_set_at(err, LMP_ENOMEM, label, 0, "tensor '%s': out of memory for %zu floats", t->name, n);
    m->heap[m->nheap++] = f;
    const unsigned char *p = t->data;
    if (t->dtype == ST_F32 && host_is_little_endian()) {
        memcpy(f, p, n * sizeof(float)); /* only misaligned: a PyTorch checkpoint of before 1.6 puts every tensor so */
    } else if (t->dtype == ST_F32) {
        for (size_t i = 0; i < n; i++) {
            uint32_t b = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
                         (uint32_t)p[4 * i + 3] << 24;
            memcpy(&f[i], &b, 4);
        }
    } else if (t->dtype == ST_F16) {
        for (size_t i = 0; i < n; i++) f[i] = half_to_float(load_u16le(p + 2 * i));
    } else {
        for (size_t i = 0; i < n; i++) f[i] = bf16_to_float(load_u16le(p + 2 * i));
    }
    /* The source bytes are read for good: out of this process's memory when they are a file it mapped (never a
     * caller's buffer, lmp_gpt2_create). The map is populated whole at load (MEM_MAP_POPULATE), so an F16 or BF16
     * model held its file and the fp32 copy, 3x the file in RSS: 4.7 GB for GPT-2 large's 1.55 GB of F16. */
    const size_t bytes = n * (t->dtype == ST_F32 ? 4 : 2);
    int own = in_map(m->map, m->map_size, p, bytes);
    for (size_t s = 0; s < m->nshards && !own; s++) own = in_map(m->shards[s].map, m->shards[s].size, p, bytes);
    if (own) mem_map_release(p, bytes);
    *out = f;
    return LMP_OK;
}

/* The first non-finite value, as "index i (row r, column c)". */
static lmp_status check_finite(const float *w, const st_tensor *t, const char *label, lmp_error *err)
{
    size_t n = (size_t)t->count, bad = n;
    /* An or-reduce over blocks of a constant 4,096 floats, so that the common case is one streaming
     * pass; on the bits (a float is not finite when its exponent bits are all ones), which gcc -O2
     * vectorizes with SSE2 alone, where isfinite() stayed one float at a time: 124M's 498 MB went
     * from 100 to 22 ms (docs/gpt2.md, "Validation"). Only a block that holds one is searched. */
    enum { BLOCK = 4096 };
    for (size_t b = 0; b < n && bad == n; b += BLOCK) {
        size_t e = n - b >= BLOCK ? b + BLOCK : n;
        uint32_t any = 0;
        if (e - b == BLOCK) {
            for (size_t i = 0; i < BLOCK; i++) {
                uint32_t x;
                memcpy(&x, &w[b + i], sizeof x);
                any |= (x & 0x7f800000u) == 0x7f800000u ? 1u : 0u;
            }
        } else {
            any = 1; /* the last, partial block: searched as it is */
        }
        if (any)
            for (size_t i = b; i < e; i++)
                if (!isfinite(w[i])) {
                    bad = i;
                    break;
                }
    }
    if (bad == n) return LMP_OK;
    char where[96] = "";
    if (t->ndim == 2)
        snprintf(where, sizeof where, " (row %zu, column %zu)", bad / (size_t)t->shape[1], bad % (size_t)t->shape[1]);
    return lmp_error_set_at(err, LMP_EFORMAT, label, 0, "tensor '%s': element %zu%s is %s: expected finite weights",
                            t->name, bad, where, isnan(w[bad]) ? "NaN" : w[bad] > 0 ? "+inf" : "-inf");
}

/* ---- building the model from a parsed file ------------------------------------ */

/* The file a message about tensor t names: its shard, or the one file's label. */
static const char *tlabel(const st_tensor *t, const char *file_label) { return t->file ? t->file : file_label; }

typedef struct req_t {
    const st_tensor *t;
    const char *want_name;
    int64_t d0, d1; /* d1 < 0: a vector */
    const char *why;
} req_t;

/* One tensor checked: its elements added to *done and the fraction of total told to lmp_gpt2_load's caller. */
static void load_progress(const lmp_gpt2 *m, const st_tensor *t, double *done, double total)
{
    *done += (double)t->count;
    if (m->progress) m->progress(m->progress_ctx, total > 0 ? *done / total : 1.0);
}

static lmp_status build(lmp_gpt2 *m, const char *st_label, const char *cfg_text, size_t cfg_len, const char *cfg_label,
                        lmp_error *err)
{
    st_file *f = &m->st;
    lmp_status st = LMP_OK;
    const st_tensor *glob[G_NGLOBAL] = {0};
    const st_tensor *(*lay)[L_NSLOTS] = NULL;
    long max_layer = -1;
    m->used = calloc(f->n ? f->n : 1, sizeof *m->used);
    m->heap = calloc(f->n ? f->n : 1, sizeof *m->heap);
    if (!m->used || !m->heap) return lmp_error_set(err, LMP_ENOMEM, "%s: out of memory", st_label);

    /* 1. names */
    for (size_t i = 0; i < f->n; i++) {
        name_ref r = classify(f->t[i].name);
        if (r.kind < 0)
            return lmp_error_set_at(err, LMP_EFORMAT, tlabel(&f->t[i], st_label), 0,
                                    "tensor '%s' is not a GPT-2 tensor (expected Hugging Face GPT2LMHeadModel names: "
                                    "wte.weight, wpe.weight, h.N.attn.c_attn.weight, ..., ln_f.weight, with or "
                                    "without 'transformer.')",
                                    f->t[i].name);
        if (r.kind == 1 && r.layer > max_layer) max_layer = r.layer;
    }
    if (max_layer >= 0) {
        lay = calloc((size_t)max_layer + 1, sizeof *lay);
        if (!lay) return lmp_error_set(err, LMP_ENOMEM, "%s: out of memory", st_label);
    }
    for (size_t i = 0; i < f->n; i++) {
        const st_tensor *t = &f->t[i];
        name_ref r = classify(t->name);
        const st_tensor **slot = r.kind == 0 ? &glob[r.slot] : r.kind == 1 ? &lay[r.layer][r.slot] : NULL;
        if (!slot) continue;
        if (*slot) {
            st = lmp_error_set_at(err, LMP_EFORMAT, tlabel(t, st_label), 0, "tensors '%s' and '%s' are the same weight",
                                  (*slot)->name, t->name);
            goto done;
        }
        *slot = t;
    }

    /* 2. config */
    cfg_in ci;
    int infer = 0; /* no config: what it would say comes from the shapes (below) */
    cfg_unset(&ci);
    lmp_gpt2_config *c = &m->cfg;
    memset(c, 0, sizeof *c);
    const char *clabel = st_label;
    if (cfg_text) {
        lmp_json_value *j;
        clabel = cfg_label;
        if ((st = lmp_json_parse(cfg_text, cfg_len, cfg_label, &j, err))) goto done;
        if (j->type != LMP_JSON_OBJECT) st = lmp_error_set_at(err, LMP_EFORMAT, cfg_label, 0, "expected a JSON object");
        else st = cfg_read(j, &ci, 0, cfg_label, err);
        lmp_json_free(j);
        if (st) goto done;
        c->source = LMP_GPT2_CONFIG_JSON;
    } else if (f->metadata && lmp_json_get(f->metadata, "config")) {
        const lmp_json_value *s = lmp_json_get(f->metadata, "config");
        lmp_json_value *j;
        lmp_error jerr;
        lmp_status js = lmp_json_parse(s->str, s->len, NULL, &j, &jerr);
        if (js) { /* out of memory stays itself (a MemoryError in Python, not a FormatError) */
            st = lmp_error_set_at(err, js == LMP_ENOMEM ? LMP_ENOMEM : LMP_EFORMAT, st_label, 0, "__metadata__ config: %s",
                                  jerr.msg);
            goto done;
        }
        if (j->type != LMP_JSON_OBJECT)
            st = lmp_error_set_at(err, LMP_EFORMAT, st_label, 0, "__metadata__ config: expected a JSON object");
        else st = cfg_read(j, &ci, 0, st_label, err);
        lmp_json_free(j);
        if (st) goto done;
        c->source = LMP_GPT2_CONFIG_METADATA;
    } else if (f->metadata && (lmp_json_get(f->metadata, "n_layer") || lmp_json_get(f->metadata, "n_embd"))) {
        if ((st = cfg_read(f->metadata, &ci, 1, st_label, err))) goto done;
        c->source = LMP_GPT2_CONFIG_METADATA;
    } else {
        /* No config but what the shapes say, and the config entries __metadata__ has (n_head, say): those
         * are taken, not dropped for a guess (a head count of n_embd / 64 gave other logits in silence) */
        infer = 1;
        c->source = LMP_GPT2_CONFIG_INFERRED;
        if (f->metadata) {
            if ((st = cfg_read(f->metadata, &ci, 1, st_label, err))) goto done;
            if (ci.n_head > 0 || ci.n_pos > 0 || ci.n_vocab > 0 || ci.n_inner > 0 || !isnan(ci.eps) ||
                ci.scale_attn >= 0 || ci.scale_inv_layer >= 0 || ci.tie >= 0 || ci.eos != -1 || ci.bos != -1)
                c->source = LMP_GPT2_CONFIG_METADATA;
        }
    }

    /* What the shapes say, for inference and for the messages. */
    const st_tensor *wte = glob[G_WTE], *wpe = glob[G_WPE];
    if (!wte || !wpe) {
        st = lmp_error_set_at(err, LMP_EFORMAT, st_label, 0, "missing tensor '%s'",
                              !wte ? "transformer.wte.weight" : "transformer.wpe.weight");
        goto done;
    }
    if (wte->ndim != 2 || wpe->ndim != 2) {
        const st_tensor *t = wte->ndim != 2 ? wte : wpe;
        st = lmp_error_set_at(err, LMP_EFORMAT, tlabel(t, st_label), 0, "tensor '%s' has %d dimensions: expected 2",
                              t->name, t->ndim);
        goto done;
    }
    if (infer) { /* what a config would say and none did, from the shapes */
        if (ci.n_layer < 0) ci.n_layer = max_layer + 1;
        if (ci.n_vocab < 0) ci.n_vocab = (long)wte->shape[0];
        if (ci.n_embd < 0) ci.n_embd = (long)wte->shape[1];
        if (ci.n_pos < 0) ci.n_pos = (long)wpe->shape[0];
        const st_tensor *fc = lay ? lay[0][L_FC_W] : NULL;
        if (ci.n_inner < 0 && fc && fc->ndim == 2) ci.n_inner = (long)fc->shape[1];
        /* Shapes do not give the head count; every GPT-2 size has heads of 64 */
        if (ci.n_head < 0 && ci.n_embd % 64 != 0) {
            st = lmp_error_set_at(err, LMP_EFORMAT, st_label, 0,
                                  "no config: n_embd = %ld is not a multiple of 64, so the head count cannot be "
                                  "inferred; give a config.json (a Hugging Face folder)",
                                  ci.n_embd);
            goto done;
        }
        if (ci.n_head < 0) ci.n_head = ci.n_embd / 64;
    }
    /* A bare file (its config in __metadata__, or none) that does not say whether the output projection is
     * tied: tied unless the file has its own lm_head.weight, which is then used (it was dropped for wte when
     * the metadata had a config: other logits, no word). A folder's config.json keeps GPT2Config's default,
     * tied, as Hugging Face builds it. */
    if (!cfg_text && ci.tie < 0) ci.tie = glob[G_LM_HEAD] ? 0 : 1;
    /* HF GPT2Config defaults for what the config leaves out */
    c->n_layer = (int)(ci.n_layer > 0 ? ci.n_layer : 12);
    c->n_head = (int)(ci.n_head > 0 ? ci.n_head : 12);
    c->n_embd = (int)(ci.n_embd > 0 ? ci.n_embd : 768);
    c->n_ctx = (int)(ci.n_pos > 0 ? ci.n_pos : 1024);
    c->n_vocab = (int)(ci.n_vocab > 0 ? ci.n_vocab : 50257);
    c->n_inner = (int)(ci.n_inner > 0 ? ci.n_inner : 4 * (long)c->n_embd);
    c->eps = isnan(ci.eps) ? 1e-5 : ci.eps;
    c->scale_attn_weights = ci.scale_attn < 0 ? 1 : ci.scale_attn;
    c->scale_attn_by_inverse_layer_idx = ci.scale_inv_layer < 0 ? 0 : ci.scale_inv_layer;
    c->tied = ci.tie < 0 ? 1 : ci.tie;
    /* HF's GPT2Config default is 50256; its configs keep that default even for models with a smaller
     * vocabulary, where it is no token of theirs: then none */
    long eos = ci.eos == -1 ? 50256 : ci.eos, bos = ci.bos == -1 ? 50256 : ci.bos;
    c->eos_token_id = eos >= 0 && eos < c->n_vocab ? (lmp_token_id)eos : LMP_TOKEN_NONE;
    c->bos_token_id = bos >= 0 && bos < c->n_vocab ? (lmp_token_id)bos : LMP_TOKEN_NONE;
    if (c->n_embd % c->n_head != 0) {
        st = lmp_error_set_at(err, LMP_EFORMAT, clabel, 0, "config: n_embd = %d is not a multiple of n_head = %d",
                              c->n_embd, c->n_head);
        goto done;
    }
    if (max_layer >= c->n_layer) {
        for (int k = 0; k < L_NSLOTS; k++)
            if (lay[max_layer][k]) {
                st = lmp_error_set_at(err, LMP_EFORMAT, tlabel(lay[max_layer][k], st_label), 0,
                                      "tensor '%s' is of layer %ld, but the config has n_layer = %d (layers 0..%d)",
                                      lay[max_layer][k]->name, max_layer, c->n_layer, c->n_layer - 1);
                goto done;
            }
        /* only ignored buffers name that layer: harmless */
    }

    /* 3. presence, dtype, shape */
    const int64_t C = c->n_embd, F = c->n_inner, V = c->n_vocab, P = c->n_ctx;
    req_t req[G_NGLOBAL + L_NSLOTS];
    m->layers = calloc((size_t)c->n_layer, sizeof *m->layers);
    if (!m->layers) {
        st = lmp_error_set(err, LMP_ENOMEM, "%s: out of memory", st_label);
        goto done;
    }
    char shp[96], want[96];
    for (long l = -1; l < c->n_layer; l++) {
        int nreq = 0;
        char names[L_NSLOTS][64];
        if (l < 0) {
            req[nreq++] = (req_t){glob[G_WTE], "transformer.wte.weight", V, C, "[vocab_size, n_embd]"};
            req[nreq++] = (req_t){glob[G_WPE], "transformer.wpe.weight", P, C, "[n_positions, n_embd]"};
            req[nreq++] = (req_t){glob[G_LNF_W], "transformer.ln_f.weight", C, -1, "[n_embd]"};
            req[nreq++] = (req_t){glob[G_LNF_B], "transformer.ln_f.bias", C, -1, "[n_embd]"};
            if (!c->tied || glob[G_LM_HEAD])
                req[nreq++] = (req_t){glob[G_LM_HEAD], "lm_head.weight", V, C, "[vocab_size, n_embd]"};
        } else {
            static const struct {
                int rows, cols; /* 0: 1, 1: C, 3: 3C, 4: F, -1: none */
            } dims[L_NSLOTS] = {{1, -1}, {1, -1}, {1, 3}, {3, -1}, {1, 1}, {1, -1},
                                {1, -1}, {1, -1}, {1, 4}, {4, -1}, {4, 1}, {1, -1}};
            static const char *const why[L_NSLOTS] = {
                "[n_embd]", "[n_embd]", "[n_embd, 3 n_embd]", "[3 n_embd]", "[n_embd, n_embd]", "[n_embd]",
                "[n_embd]", "[n_embd]", "[n_embd, n_inner]",  "[n_inner]",  "[n_inner, n_embd]", "[n_embd]"};
            for (int k = 0; k < L_NSLOTS; k++) {
                int64_t v0 = dims[k].rows == 1 ? C : dims[k].rows == 3 ? 3 * C : F;
                int64_t v1 = dims[k].cols < 0 ? -1 : dims[k].cols == 1 ? C : dims[k].cols == 3 ? 3 * C : F;
                snprintf(names[k], sizeof names[k], "transformer.h.%ld.%s", l, layer_names[k]);
                req[nreq++] = (req_t){l <= max_layer ? lay[l][k] : NULL, names[k], v0, v1, why[k]};
            }
        }
        for (int r = 0; r < nreq; r++) {
            const st_tensor *t = req[r].t;
            if (!t && l > max_layer) { /* a whole layer past the file's last: the config's count is the cause */
                char have[48];
                if (max_layer < 0) snprintf(have, sizeof have, "has no layer");
                else snprintf(have, sizeof have, "has layers 0..%ld", max_layer);
                st = lmp_error_set_at(err, LMP_EFORMAT, st_label, 0,
                                      "missing tensor '%s' (named with or without 'transformer.'): the config has "
                                      "n_layer = %d, but the file %s",
                                      req[r].want_name, c->n_layer, have);
                goto done;
            }
            if (!t) {
                st = lmp_error_set_at(err, LMP_EFORMAT, st_label, 0, "missing tensor '%s'%s", req[r].want_name,
                                      c->tied ? "" : " (the config says the output projection is not tied to wte)");
                goto done;
            }
            if (t->dtype != ST_F32 && t->dtype != ST_F16 && t->dtype != ST_BF16) {
                st = lmp_error_set_at(err, LMP_EUNSUPPORTED, tlabel(t, st_label), 0,
                                      "tensor '%s' has dtype %s: expected F32, F16 or BF16", t->name,
                                      st_dtype_name(t->dtype));
                goto done;
            }
            int64_t wshape[2] = {req[r].d0, req[r].d1};
            int wdim = req[r].d1 < 0 ? 1 : 2;
            if (t->ndim != wdim || t->shape[0] != wshape[0] || (wdim == 2 && t->shape[1] != wshape[1])) {
                shape_str(shp, sizeof shp, t->shape, t->ndim);
                shape_str(want, sizeof want, wshape, wdim);
                st = lmp_error_set_at(err, LMP_EFORMAT, tlabel(t, st_label), 0,
                                      "tensor '%s' has shape [%s], but the config (%s) implies %s = [%s] "
                                      "(n_embd %d, n_inner %d, vocab_size %d, n_positions %d)",
                                      t->name, shp,
                                      c->source == LMP_GPT2_CONFIG_JSON       ? cfg_label
                                      : c->source == LMP_GPT2_CONFIG_METADATA ? "__metadata__"
                                                                              : "inferred from wte/wpe",
                                      req[r].why, want, c->n_embd, c->n_inner, c->n_vocab, c->n_ctx);
                goto done;
            }
        }
    }

    /* 4. materialise, check for NaN/inf (with progress: the scan is most of a load) */
    {
        double total = 0, done = 0;
        for (int g = 0; g < G_NGLOBAL; g++)
            if (glob[g] && !(g == G_LM_HEAD && c->tied)) total += (double)glob[g]->count;
        for (int l = 0; l < c->n_layer; l++)
            for (int k = 0; k < L_NSLOTS; k++) total += (double)lay[l][k]->count;
        const float **gdst[G_NGLOBAL] = {&m->wte, &m->wpe, &m->lnf_w, &m->lnf_b, &m->lm_head};
        for (int g = 0; g < G_NGLOBAL; g++) {
            if (!glob[g] || (g == G_LM_HEAD && c->tied)) continue;
            if ((st = materialise(m, glob[g], gdst[g], tlabel(glob[g], st_label), err))) goto done;
            if ((st = check_finite(*gdst[g], glob[g], tlabel(glob[g], st_label), err))) goto done;
            m->used[glob[g] - f->t] = 1;
            load_progress(m, glob[g], &done, total);
        }
        if (c->tied) m->lm_head = m->wte;
        for (int l = 0; l < c->n_layer; l++) {
            gpt2_layer *L = &m->layers[l];
            const float **ldst[L_NSLOTS] = {&L->ln1_w, &L->ln1_b, &L->attn_w, &L->attn_b, &L->proj_w, &L->proj_b,
                                            &L->ln2_w, &L->ln2_b, &L->fc_w,   &L->fc_b,   &L->fc2_w,  &L->fc2_b};
            for (int k = 0; k < L_NSLOTS; k++) {
                const st_tensor *t = lay[l][k];
                if ((st = materialise(m, t, ldst[k], tlabel(t, st_label), err))) goto done;
                if ((st = check_finite(*ldst[k], t, tlabel(t, st_label), err))) goto done;
                m->used[t - f->t] = 1;
                load_progress(m, t, &done, total);
            }
        }
    }
    /* 5. summary numbers */
    c->dtype = wte->dtype == ST_F16 ? LMP_GPT2_F16 : wte->dtype == ST_BF16 ? LMP_GPT2_BF16 : LMP_GPT2_F32;
    for (size_t i = 0; i < f->n; i++)
        if (m->used[i]) {
            c->n_params += (size_t)f->t[i].count;
            c->weight_bytes += (size_t)f->t[i].count * sizeof(float);
        }
done:
    free(lay);
    return st;
}

/* The model whose tensors m->st lists (st = LMP_OK) built and handed out, or freed (with its maps) on any
 * error, st's included: the last step of every constructor. */
static lmp_status finish_model(lmp_gpt2 *m, lmp_status st, const char *st_label, const char *cfg_text, size_t cfg_len,
                               const char *cfg_label, lmp_gpt2 **out, lmp_error *err)
{
    if (!st) {
        m->isa = gpt2_isa_detect();
        st = build(m, st_label, cfg_text, cfg_len, cfg_label, err);
        m->progress = NULL; /* the caller's, for the load only: the model outlives its ctx */
        m->progress_ctx = NULL;
    }
    if (!st && !(m->source = strdup(st_label))) st = lmp_error_set(err, LMP_ENOMEM, "%s: out of memory", st_label);
    if (st) {
        lmp_gpt2_free(m);
        return st;
    }
    *out = m;
    return LMP_OK;
}

/* A weights file's tensors: a PyTorch checkpoint (a zip archive, torch_ckpt.c) or a safetensors file. */
static lmp_status weights_parse(const void *buf, size_t size, const char *label, st_file *out, lmp_error *err)
{
    return pt_is_checkpoint(buf, size) ? pt_parse(buf, size, label, out, err) : st_parse(buf, size, label, out, err);
}

static lmp_status create_common(lmp_gpt2 **out, const void *data, size_t size, const char *st_label,
                                const char *cfg_text, size_t cfg_len, const char *cfg_label, void *map,
                                lmp_progress_fn progress, void *pctx, lmp_error *err)
{
    lmp_gpt2 *m = calloc(1, sizeof *m);
    if (!m) {
        if (map) munmap(map, size);
        return lmp_error_set(err, LMP_ENOMEM, "%s: out of memory", st_label);
    }
    m->progress = progress;
    m->progress_ctx = pctx;
    m->map = map;
    m->map_size = size;
    return finish_model(m, weights_parse(data, size, st_label, &m->st, err), st_label, cfg_text, cfg_len, cfg_label, out,
                        err);
}

lmp_status lmp_gpt2_create(const void *data, size_t size, const char *config_json, size_t config_len,
                           const char *name, lmp_gpt2 **out, lmp_error *err)
{
    if (!out) return lmp_error_set(err, LMP_EINVAL, "lmp_gpt2_create: out is NULL");
    *out = NULL;
    if (!data && size) return lmp_error_set(err, LMP_EINVAL, "lmp_gpt2_create: data is NULL");
    lmp_status st = create_common(out, data, size, name ? name : "safetensors", config_json,
                                  config_json ? config_len : 0, "config", NULL, NULL, NULL, err);
    if (!st && !name) { /* the messages' label, not a file */
        free((*out)->source);
        (*out)->source = NULL;
    }
    return st;
}

/* A small JSON file whole (config.json, a sharded checkpoint's index): what is larger than 16 MiB is no
 * such file (GPT-2 1.5B's index is 26 kB). */
static lmp_status read_small(const char *path, const char *what, char **text, size_t *len, lmp_error *err)
{
    lmp_status st = lmp_read_file(path, (size_t)16 << 20, text, len, err);
    if (st == LMP_EUNSUPPORTED) st = lmp_error_set_at(err, LMP_EFORMAT, path, 0, "larger than 16 MiB: not %s", what);
    return st;
}

/* Map a checkpoint file read-only: in 2 MB pages where the kernel can (asked for before the first
 * read, a file not yet in the page cache is read in 2 MB pages and mapped so: 474 of GPT-2 124M's
 * 498 MB, against 434 without asking, on Linux 6.18 and ext4), and decoding streams the weights
 * with fewer TLB misses (docs/gpt2.md, "Page cache"). Then every page is mapped in one call: the
 * finite check reads them all anyway, and one call is cheaper than a fault per page. Kernels before
 * 5.14 lack MADV_POPULATE_READ: then read-ahead is asked for, as the n-gram loader does. An empty
 * file is *map NULL, *size 0. */
static lmp_status map_file(const char *path, void **map, size_t *size, lmp_error *err)
{
    return mem_map_file(path, MEM_MAP_HUGE | MEM_MAP_POPULATE, map, size, err);
}

/* A name and where it came from, for sorting (qsort takes no context: the name travels with its index). */
typedef struct name_ix {
    const char *s;
    size_t i;
} name_ix;

static int name_ix_cmp(const void *a, const void *b)
{
    return strcmp(((const name_ix *)a)->s, ((const name_ix *)b)->s);
}

/* A shard's name from the index: a file of the folder itself, nothing that leads out of it. */
static int plain_file_name(const lmp_json_value *v)
{
    return v->type == LMP_JSON_STRING && v->len > 0 && v->len == strlen(v->str) && !strchr(v->str, '/') &&
           strcmp(v->str, ".") != 0 && strcmp(v->str, "..") != 0;
}

/* A sharded folder, as transformers' save_pretrained writes one past max_shard_size (5 GB by
 * default: GPT-2 XL in F32 is 6.2 GB): model.safetensors.index.json maps each tensor name to the
 * shard that holds it ("weight_map"). Each shard is mapped and validated on its own (st_parse);
 * then every tensor of a shard must be listed for that shard, and every listed tensor must be in
 * its shard, as transformers' loader requires. m->st gets all the tensors, each naming its shard
 * (st_tensor.file) for the messages. */
static lmp_status load_shards(lmp_gpt2 *m, const char *dir, const char *index_path, lmp_error *err)
{
    char *text = NULL;
    size_t len = 0;
    lmp_json_value *j = NULL;
    lmp_status st = read_small(index_path, "a shard index", &text, &len, err);
    if (!st) st = lmp_json_parse(text, len, index_path, &j, err);
    free(text);
    if (st) return st;
    const lmp_json_value *wm = lmp_json_get(j, "weight_map");
    if (!wm || wm->type != LMP_JSON_OBJECT || wm->n == 0) {
        st = lmp_error_set_at(err, LMP_EFORMAT, index_path, 0,
                              "expected a non-empty \"weight_map\" object (tensor name -> shard file)");
        goto done;
    }
    /* Sorted views, so that checking any index against any shards is O(n log n): the entries by shard name
     * (a run of equal names is one shard, the shards in name order: model-00001-of-..., ...) and by tensor name
     * (one entry a tensor). */
    const size_t n = wm->n;
    size_t total = 0;
    name_ix *by_file = malloc(n * sizeof *by_file), *by_key = malloc(n * sizeof *by_key);
    size_t *which = malloc(n * sizeof *which); /* shard of each weight_map entry */
    unsigned char *seen = calloc(n, 1);        /* entries whose tensor a shard holds */
    if (!by_file || !by_key || !which || !seen || !(m->shards = calloc(n, sizeof *m->shards))) {
        st = lmp_error_set(err, LMP_ENOMEM, "%s: out of memory", index_path);
        goto shards_done;
    }
    for (size_t i = 0; i < n; i++) {
        const lmp_json_value *v = &wm->items[i];
        if (!plain_file_name(v)) {
            st = lmp_error_set_at(err, LMP_EFORMAT, index_path, 0,
                                  "weight_map[\"%s\"]: expected the name of a file in the folder (a string without "
                                  "'/')",
                                  wm->keys[i]);
            goto shards_done;
        }
        by_file[i] = (name_ix){v->str, i};
        by_key[i] = (name_ix){wm->keys[i], i};
    }
    qsort(by_file, n, sizeof *by_file, name_ix_cmp);
    qsort(by_key, n, sizeof *by_key, name_ix_cmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp(by_key[i].s, by_key[i - 1].s) == 0) {
            st = lmp_error_set_at(err, LMP_EFORMAT, index_path, 0, "weight_map names tensor '%s' twice", by_key[i].s);
            goto shards_done;
        }
    for (size_t i = 0; i < n && !st; i++) {
        if (i > 0 && strcmp(by_file[i].s, by_file[i - 1].s) == 0) {
            which[by_file[i].i] = m->nshards - 1;
            continue;
        }
        struct gpt2_shard *sh = &m->shards[m->nshards];
        char sp[4096];
        which[by_file[i].i] = m->nshards;
        if ((st = lmp_path_join(sp, sizeof sp, dir, by_file[i].s, err))) break;
        if (!(sh->path = strdup(sp))) {
            st = lmp_error_set(err, LMP_ENOMEM, "%s: out of memory", index_path);
            break;
        }
        m->nshards++;
        if ((st = map_file(sp, &sh->map, &sh->size, err))) break;
        st = weights_parse(sh->map ? sh->map : "", sh->size, sp, &sh->st, err);
    }
    /* every tensor of a shard is listed for that shard (a shard's names are distinct: st_parse) */
    for (size_t k = 0; k < m->nshards && !st; k++) {
        const struct gpt2_shard *sh = &m->shards[k];
        for (size_t t = 0; t < sh->st.n && !st; t++) {
            const name_ix key = {sh->st.t[t].name, 0};
            const name_ix *hit = bsearch(&key, by_key, n, sizeof *by_key, name_ix_cmp);
            if (!hit)
                st = lmp_error_set_at(err, LMP_EFORMAT, sh->path, 0, "tensor '%s' is not in %s's weight_map", key.s,
                                      index_path);
            else if (which[hit->i] != k)
                st = lmp_error_set_at(err, LMP_EFORMAT, sh->path, 0, "tensor '%s' is here, but %s places it in %s",
                                      key.s, index_path, m->shards[which[hit->i]].path);
            else seen[hit->i] = 1;
        }
        total += sh->st.n;
    }
    /* and every listed tensor is in its shard */
    for (size_t i = 0; i < n && !st; i++)
        if (!seen[i])
            st = lmp_error_set_at(err, LMP_EFORMAT, m->shards[which[i]].path, 0,
                                  "no tensor '%s', which %s places in this shard", wm->keys[i], index_path);
shards_done:
    free(by_file);
    free(by_key);
    free(which);
    free(seen);
    if (!st && !(m->st.t = calloc(total ? total : 1, sizeof *m->st.t)))
        st = lmp_error_set(err, LMP_ENOMEM, "%s: out of memory", index_path);
    for (size_t k = 0; k < m->nshards && !st; k++)
        for (size_t t = 0; t < m->shards[k].st.n; t++) {
            m->st.t[m->st.n] = m->shards[k].st.t[t];
            m->st.t[m->st.n++].file = m->shards[k].path;
        }
done:
    lmp_json_free(j);
    return st;
}

lmp_status lmp_gpt2_load(const char *path, lmp_progress_fn progress, void *ctx, lmp_gpt2 **out, lmp_error *err)
{
    if (!out) return lmp_error_set(err, LMP_EINVAL, "lmp_gpt2_load: out is NULL");
    *out = NULL;
    if (!path) return lmp_error_set(err, LMP_EINVAL, "lmp_gpt2_load: path is NULL");
    struct stat sb;
    if (stat(path, &sb) != 0) return lmp_error_set_at(err, LMP_EIO, path, 0, "cannot open: %s", strerror(errno));
    char st_path[4096], cfg_path[4096], index_path[4096];
    char *cfg_text = NULL;
    size_t cfg_len = 0;
    int sharded = 0;
    if (S_ISDIR(sb.st_mode)) {
        /* the weights transformers' from_pretrained takes, in its order: safetensors first, then a PyTorch
         * checkpoint (pytorch_model.bin, what save_pretrained wrote before safetensors), each whole or in shards */
        static const struct {
            const char *file;
            int index; /* a sharded checkpoint's index */
        } order[4] = {{"model.safetensors", 0},
                      {"model.safetensors.index.json", 1},
                      {"pytorch_model.bin", 0},
                      {"pytorch_model.bin.index.json", 1}};
        lmp_status jst = lmp_path_join(cfg_path, sizeof cfg_path, path, "config.json", err);
        if (jst) return jst;
        int found = 0;
        for (int k = 0; k < 4 && !found; k++) {
            char *dst = order[k].index ? index_path : st_path; /* both 4096 bytes */
            if ((jst = lmp_path_join(dst, sizeof st_path, path, order[k].file, err))) return jst;
            found = access(dst, F_OK) == 0;
            sharded = found && order[k].index;
        }
        if (!found)
            return lmp_error_set_at(err, LMP_EFORMAT, path, 0,
                                    "a folder without model.safetensors or pytorch_model.bin: expected a Hugging Face "
                                    "GPT-2 folder (config.json + model.safetensors or pytorch_model.bin, or their "
                                    "shards and index .json)");
        if (access(cfg_path, F_OK) == 0) {
            lmp_status st = read_small(cfg_path, "a model config", &cfg_text, &cfg_len, err);
            if (st) return st;
        }
    } else {
        /* a sharded checkpoint's index, or one of its shards, named instead of its folder: the index was read
         * as a safetensors file ("header length 7022349238375811707 runs past the end"), a shard as a model
         * missing most of its tensors */
        const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path, *dash = strrchr(base, '-');
        const int dl = slash ? (int)(slash - path) : 1; /* the folder, as "%.*s" of dir */
        const char *dir = slash ? path : ".";
        const size_t bl = strlen(base);
        unsigned long k = 0, of = 0;
        if (bl > 11 && strcmp(base + bl - 11, ".index.json") == 0)
            return lmp_error_set_at(err, LMP_EINVAL, path, 0,
                                    "the index of a sharded checkpoint: expected the folder that holds it, its "
                                    "shards and config.json (%.*s)", dl, dir);
        /* save_pretrained's shard names: model-00002-of-00003.safetensors, pytorch_model-00001-of-00002.bin */
        if (dash && dash - base >= 9 && sscanf(dash - 9, "-%5lu-of-%5lu.", &k, &of) == 2 && of > 1)
            return lmp_error_set_at(err, LMP_EINVAL, path, 0,
                                    "shard %lu of %lu of a sharded checkpoint: expected the folder that holds its "
                                    "index, the %lu shards and config.json (%.*s)", k, of, of, dl, dir);
        snprintf(st_path, sizeof st_path, "%s", path);
    }
    lmp_status st;
    if (sharded) {
        lmp_gpt2 *m = calloc(1, sizeof *m);
        if (m) {
            m->progress = progress;
            m->progress_ctx = ctx;
        }
        st = !m ? lmp_error_set(err, LMP_ENOMEM, "%s: out of memory", index_path)
                : finish_model(m, load_shards(m, path, index_path, err), index_path, cfg_text, cfg_len, cfg_path, out,
                               err);
    } else {
        void *map;
        size_t size;
        st = map_file(st_path, &map, &size, err);
        if (!st)
            st = create_common(out, map ? map : "", size, st_path, cfg_text, cfg_len, cfg_path, map, progress, ctx, err);
    }
    free(cfg_text);
    return st;
}

void lmp_gpt2_get_config(const lmp_gpt2 *m, lmp_gpt2_config *out) { *out = m->cfg; }

size_t lmp_gpt2_tensor_count(const lmp_gpt2 *m) { return m->st.n; }

const char *lmp_gpt2_weights_path(const lmp_gpt2 *m) { return m ? m->source : NULL; }

lmp_status lmp_gpt2_tensor_info(const lmp_gpt2 *m, size_t i, lmp_gpt2_tensor *out, lmp_error *err)
{
    if (!m || !out)
        return lmp_error_set(err, LMP_EINVAL, "lmp_gpt2_tensor_info: expected a model and an output, got NULL");
    if (i >= m->st.n)
        return lmp_error_set(err, LMP_EINVAL, "tensor index %zu: expected < %zu", i, m->st.n);
    const st_tensor *t = &m->st.t[i];
    memset(out, 0, sizeof *out);
    out->name = t->name;
    out->dtype = st_dtype_name(t->dtype);
    out->ndim = t->ndim < 4 ? t->ndim : 4;
    for (int k = 0; k < out->ndim; k++) out->shape[k] = t->shape[k];
    out->begin = t->begin;
    out->end = t->end;
    out->used = m->used[i];
    out->file = t->file;
    return LMP_OK;
}
