/* GPT-2 inference: load a Hugging Face checkpoint, run the forward pass in fp32.
 *
 * A model (lmp_gpt2) is the weights of a GPT-2 (Radford et al. 2019) as
 * Hugging Face's GPT2LMHeadModel stores them in safetensors: loaded once,
 * validated in full before use, immutable afterwards. F32 weights are used in
 * place from the mmapped file (no second copy); F16 and BF16 weights are
 * converted to F32 once at load (a heap copy of twice the file's tensor bytes).
 *
 * A context (lmp_gpt2_ctx) is one sequence being read: it owns the KV cache
 * (keys and values of every layer for the tokens pushed so far), the scratch
 * of the forward pass and a thread pool. Pushing n tokens runs them through
 * the network in one batched pass (prefill) and can return the logits of all
 * n positions, of the last one, or none; pushing one token at a time is
 * decoding with the KV cache. A push allocates nothing.
 *
 * Semantics are Hugging Face's GPT2LMHeadModel in fp32: learned token and
 * position embeddings, pre-layer-norm blocks, causal multi-head attention
 * (Vaswani et al. 2017) scaled by 1/sqrt(head_dim), the GELU tanh
 * approximation ("gelu_new"; Hendrycks & Gimpel 2016), Conv1D weights stored
 * [in, out] (y = x W + b), a final layer norm, and the output projection tied
 * to the token embedding unless the checkpoint says otherwise. See docs/gpt2.md.
 *
 * Thread safety: a loaded lmp_gpt2 is immutable; any number of contexts on
 * any number of threads may share it. One lmp_gpt2_ctx must not be used from
 * two threads at once (it runs its own worker threads inside a push); distinct
 * contexts are independent. A model must outlive its contexts. */
#ifndef LMPROB_GPT2_H
#define LMPROB_GPT2_H

#include <stddef.h>
#include <stdint.h>

#include "lmprob/core.h"

LMP_EXTERN_C_BEGIN

typedef struct lmp_gpt2 lmp_gpt2;
typedef struct lmp_gpt2_ctx lmp_gpt2_ctx;

/* Storage type of the weights in the file. */
typedef enum lmp_gpt2_dtype { LMP_GPT2_F32 = 0, LMP_GPT2_F16 = 1, LMP_GPT2_BF16 = 2 } lmp_gpt2_dtype;

/* Where the configuration came from. */
typedef enum lmp_gpt2_config_source {
    LMP_GPT2_CONFIG_JSON = 0,     /* config.json of a Hugging Face folder */
    LMP_GPT2_CONFIG_METADATA = 1, /* the safetensors __metadata__ */
    LMP_GPT2_CONFIG_INFERRED = 2  /* inferred from the tensor shapes (n_head = n_embd / 64) */
} lmp_gpt2_config_source;

typedef struct lmp_gpt2_config {
    int n_layer;        /* transformer blocks */
    int n_head;         /* attention heads; head_dim = n_embd / n_head */
    int n_embd;         /* model width */
    int n_ctx;          /* n_positions: the longest sequence the model can read */
    int n_vocab;        /* vocab_size: rows of the token embedding, columns of the logits */
    int n_inner;        /* MLP hidden width (n_inner, or 4 n_embd when the config has none) */
    double eps;         /* layer_norm_epsilon */
    int scale_attn_weights;              /* 1: scores / sqrt(head_dim) (HF default) */
    int scale_attn_by_inverse_layer_idx; /* 1: scores of layer i also / (i + 1) */
    int tied;           /* 1: the output projection is the token embedding */
    lmp_token_id eos_token_id; /* eos_token_id (HF's default 50256 when absent); LMP_TOKEN_NONE when null or not a
                                  token of the model */
    lmp_gpt2_dtype dtype;           /* storage type of the weights */
    lmp_gpt2_config_source source;  /* where the numbers above came from */
    size_t n_params;    /* parameters, counting a tied output projection once */
    size_t weight_bytes;/* bytes of F32 weights the forward pass reads (in the file or converted) */
    lmp_token_id bos_token_id; /* bos_token_id (HF's default 50256 when absent), where generation from nothing
                                  starts; LMP_TOKEN_NONE when null or not a token of the model */
} lmp_gpt2_config;

/* Load a model from `path`: a Hugging Face model folder (config.json and, in
 * from_pretrained's order, model.safetensors, its shards and
 * model.safetensors.index.json, pytorch_model.bin, or its shards and
 * pytorch_model.bin.index.json; tokenizer files in it are not read here) or a
 * bare .safetensors file (config from the "config" entry of __metadata__, or
 * from n_layer/n_head/... entries there, else inferred from the shapes) or a
 * bare PyTorch checkpoint (config inferred from the shapes). A PyTorch
 * checkpoint is either format of torch.save (a zip archive since PyTorch 1.6,
 * back-to-back pickles before): its pickle is read, never run, and may hold
 * only a state dict of tensors (any other global is LMP_EFORMAT).
 * Tensor names with or without the "transformer." prefix; ".attn.bias" and
 * ".attn.masked_bias" buffers are ignored; "lm_head.weight" is used when the
 * config says the embeddings are not tied, else the token embedding.
 * Everything is validated before use: header length against the file size,
 * JSON syntax, dtypes, shapes against the config, offsets inside the file, no
 * overlapping tensors, every required tensor present, no NaN or infinity in
 * any weight (a full scan at load; see docs/gpt2.md for its cost).
 * Errors: LMP_EIO (cannot open/map), LMP_EFORMAT (the message names the file,
 * the tensor and what is wrong), LMP_EUNSUPPORTED (a valid file of a kind this
 * engine does not run, e.g. another activation), LMP_ENOMEM. *out is NULL on error.
 * progress (may be NULL) hears the fraction of the weights checked and made ready, tensor by tensor (the
 * finite scan and the page faults of a cold file are most of a load), as lmp_ngram_load reports its reading;
 * it is not called once lmp_gpt2_load has returned. */
LMP_API lmp_status lmp_gpt2_load(const char *path, lmp_progress_fn progress, void *ctx, lmp_gpt2 **out,
                                 lmp_error *err);

/* The same from memory: `data` holds a whole .safetensors file or PyTorch
 * checkpoint (told apart by their first bytes; size bytes,
 * kept by the caller for the model's lifetime, suitably aligned or not);
 * config_json (config_len bytes, may be NULL) plays the part of config.json.
 * `name` (may be NULL) is used in error messages in place of a file name. */
LMP_API lmp_status lmp_gpt2_create(const void *data, size_t size, const char *config_json, size_t config_len,
                                   const char *name, lmp_gpt2 **out, lmp_error *err);

LMP_API void lmp_gpt2_free(lmp_gpt2 *model); /* NULL is a no-op */

/* Copy the configuration into *out. */
LMP_API void lmp_gpt2_get_config(const lmp_gpt2 *model, lmp_gpt2_config *out);

/* The tensors of the file as read (including ignored buffers), in file order. */
typedef struct lmp_gpt2_tensor {
    const char *name;     /* as in the file; valid while the model lives */
    const char *dtype;    /* "F32", "F16", "BF16", or the file's other dtype for an ignored buffer */
    int ndim;
    int64_t shape[4];     /* first ndim entries */
    uint64_t begin, end;  /* safetensors: data_offsets (relative to the end of the header); PyTorch: bytes in the file */
    int used;             /* 1: read by the forward pass; 0: ignored buffer */
    const char *file;     /* a sharded folder: the shard holding it (begin, end are in that file); else NULL */
} lmp_gpt2_tensor;
LMP_API size_t lmp_gpt2_tensor_count(const lmp_gpt2 *model);
/* The file the weights were read from: a folder's model.safetensors or pytorch_model.bin, a sharded folder's
 * model.safetensors.index.json or pytorch_model.bin.index.json, or the file given; for lmp_gpt2_create its
 * `name`. NULL without one (or for a NULL model). Valid while the model lives. */
LMP_API const char *lmp_gpt2_weights_path(const lmp_gpt2 *model);
/* i < lmp_gpt2_tensor_count(model); returns LMP_EINVAL otherwise, or for a NULL model or out. */
LMP_API lmp_status lmp_gpt2_tensor_info(const lmp_gpt2 *model, size_t i, lmp_gpt2_tensor *out, lmp_error *err);

/* ---- per-sequence context ------------------------------------------------- */

/* Create a context that holds up to max_tokens tokens (0: the model's n_ctx;
 * more than n_ctx is LMP_ERANGE, as lmp_lm_ctx_create) and computes on `threads` threads (the
 * caller's plus threads - 1 workers; 0: every online CPU, the library's one rule for
 * thread counts; at most 256).
 * Allocates the KV cache (2 n_layer max_tokens n_embd floats) and the scratch
 * of a push of up to max_tokens tokens up front. *out is NULL on error. */
LMP_API lmp_status lmp_gpt2_ctx_create(const lmp_gpt2 *model, size_t max_tokens, unsigned threads,
                                       lmp_gpt2_ctx **out, lmp_error *err);
LMP_API void lmp_gpt2_ctx_free(lmp_gpt2_ctx *ctx); /* NULL is a no-op; joins the workers */

LMP_API const lmp_gpt2 *lmp_gpt2_ctx_model(const lmp_gpt2_ctx *ctx);
LMP_API size_t lmp_gpt2_ctx_length(const lmp_gpt2_ctx *ctx);   /* tokens pushed (and kept) so far */
LMP_API size_t lmp_gpt2_ctx_capacity(const lmp_gpt2_ctx *ctx); /* max_tokens */
LMP_API unsigned lmp_gpt2_ctx_threads(const lmp_gpt2_ctx *ctx); /* threads in use */
/* The tokens of the context, lmp_gpt2_ctx_length() of them; valid until the next push/rewind/copy/free. */
LMP_API const lmp_token_id *lmp_gpt2_ctx_tokens(const lmp_gpt2_ctx *ctx);

/* Which logits a push writes. */
typedef enum lmp_gpt2_logits {
    LMP_GPT2_LOGITS_NONE = 0, /* none (logits may be NULL) */
    LMP_GPT2_LOGITS_LAST = 1, /* the last pushed position: n_vocab floats */
    LMP_GPT2_LOGITS_ALL = 2   /* every pushed position: n x n_vocab floats, row-major */
} lmp_gpt2_logits;

/* Append ids[0..n) at positions [len, len + n) in one batched pass, and write
 * the requested logits (row i: the scores of the token that follows ids[i]).
 * The bits do not depend on the thread count. How the tokens are split across
 * pushes, and LOGITS_LAST against LOGITS_ALL, changes only the summation order
 * (a one-row push uses the vector-matrix kernels): the logits agree within
 * 1e-5, not bit for bit (on the tiny model, 3.9e-7 at most, measured in the
 * thirty-eighth session; docs/gpt2.md, "Equalities checked by the tests").
 * Errors (the context is left unchanged): LMP_EINVAL for an id outside
 * [0, n_vocab) (naming its index and value), n == 0 with logits requested,
 * NULL logits when requested; LMP_ERANGE when len + n exceeds the capacity. */
LMP_API lmp_status lmp_gpt2_ctx_push(lmp_gpt2_ctx *ctx, const lmp_token_id *ids, size_t n, float *logits,
                                     lmp_gpt2_logits which, lmp_error *err);

/* Keep the first `keep` tokens and forget the rest (keep <= length, else LMP_EINVAL). O(1). */
LMP_API lmp_status lmp_gpt2_ctx_rewind(lmp_gpt2_ctx *ctx, size_t keep, lmp_error *err);

/* Make dst a copy of src's sequence (tokens and KV cache), e.g. to fork a
 * sequence for sampling or beam search: lmp_gpt2_ctx_create + copy. Both
 * contexts must belong to the same model (else LMP_EINVAL) and dst must hold
 * src's length (else LMP_ERANGE, as lmp_lm_ctx_copy). Copies only the src length's rows; allocates nothing. */
LMP_API lmp_status lmp_gpt2_ctx_copy(lmp_gpt2_ctx *dst, const lmp_gpt2_ctx *src, lmp_error *err);

LMP_EXTERN_C_END

#endif /* LMPROB_GPT2_H */
