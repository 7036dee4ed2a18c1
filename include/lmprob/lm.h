/* One interface for next-token language models, with per-sequence state.
 *
 * Everything that evaluates or generates text (perplexity and its sliding-
 * window recipes, generation, the next-token distribution, the KL between two
 * models) talks to a model through two objects:
 *
 *   lmp_lm      the model handle: immutable after creation, shareable across
 *               threads. Behind it: an n-gram model (ARPA or binary), GPT-2
 *               (a Hugging Face folder or a .safetensors file), or a model of
 *               your own (lmp_lm_create with a vtable; the CLI's chapter mock
 *               LM is one: cli/chapter/mock_lm.c).
 *   lmp_lm_ctx  one sequence being read: the tokens pushed so far and the
 *               model's state after them (an n-gram state, GPT-2's KV cache).
 *               Push tokens, read the next-token log-probabilities over the
 *               whole vocabulary, rewind to a shorter length, copy (fork) into
 *               another context. Created once with its capacity: pushing,
 *               scoring, rewinding and copying allocate nothing.
 *
 * This is KenLM's State (lm/state.hh: FullScore(in_state, word, out_state)
 * threads a small value through the calls) and llama.cpp's KV cache
 * (llama_decode appends a batch; llama_memory_seq_rm cuts a sequence back;
 * llama_memory_seq_cp forks it) behind one C interface, so that no caller
 * rebuilds a context per token: scoring n tokens costs n state steps for an
 * n-gram model and one batched forward pass for GPT-2, not n passes over a
 * growing prefix (docs/lm-interface.md).
 *
 * Conventions
 *  - Token ids are lmp_token_id in [0, vocab_size). Log-probabilities are
 *    natural logs, normalised over the whole vocabulary.
 *  - Sentence markers. A model whose bos differs from its eos (n-gram models:
 *    <s> and </s>; a vtable model with two markers) reads bos as "a sentence starts here": bos is
 *    context only, never predicted (its log-probability is -inf in every
 *    distribution) and pushing it resets the n-gram state to KenLM's
 *    BeginSentenceState. GPT-2 has one marker, <|endoftext|> (bos = eos), which
 *    is an ordinary token to predict.
 *  - "Not predicted" is NaN. lmp_lm_ctx_score writes NaN for a token the model
 *    does not predict: bos as above, and the first token of an empty context
 *    for a model that needs one token of context (GPT-2 adds no BOS, so token 0
 *    of a window is context only, as in Hugging Face's loss). Perplexity code
 *    counts only the other tokens.
 *  - Ownership. Every object is released by its own free, exactly once:
 *    lmp_lm_free for a model handle, lmp_lm_ctx_free for a context. A handle
 *    made by lmp_lm_load owns what it loaded. A handle made over an object you
 *    loaded yourself (lmp_lm_create_ngram, lmp_lm_create_gpt2, lmp_lm_create)
 *    borrows it: free the handle (and its contexts) first, then your object.
 *  - Thread safety. An lmp_lm is read-only after creation: any number of
 *    threads may create and use contexts on it at once. One lmp_lm_ctx must not
 *    be used from two threads at once; distinct contexts are independent.
 *
 * Module order: lm sits above the models (ngram, gpt2) and the samplers
 * (generation), and below eval (perplexity recipes, KL). */
#ifndef LMPROB_LM_H
#define LMPROB_LM_H

#include <stddef.h>
#include <stdint.h>

#include "lmprob/core.h"
#include "lmprob/gpt2.h"
#include "lmprob/ngram.h"
#include "lmprob/rng.h"
#include "lmprob/sample.h"
#include "lmprob/tokenizer.h"

LMP_EXTERN_C_BEGIN

typedef struct lmp_lm lmp_lm;
typedef struct lmp_lm_ctx lmp_lm_ctx;

typedef enum lmp_lm_kind {
    LMP_LM_CUSTOM = 0, /* lmp_lm_create: a vtable of yours */
    /* 1 was the chapter's mock LM, now the CLI's own model over the vtable (cli/chapter/mock_lm.h) */
    LMP_LM_NGRAM = 2,  /* a back-off n-gram model (ngram.h) */
    LMP_LM_GPT2 = 3    /* GPT-2 (gpt2.h) */
} lmp_lm_kind;

/* How text becomes tokens (lmp_lm_tokenize). */
typedef enum lmp_lm_tokens {
    LMP_LM_TOKENS_DEFAULT = -1, /* lmp_lm_load_params: the model's own (stored) mode */
    LMP_LM_TOKENS_NONE = 0,     /* ids only: the model has no tokenizer (custom models) */
    LMP_LM_TOKENS_WORD = 1,     /* words split on ' ', '\t', '\r', NUL (corpus.h WORD) */
    LMP_LM_TOKENS_CHAR = 2,     /* UTF-8 characters (corpus.h CHAR: <sp>, <tab>, <0xNN>) */
    LMP_LM_TOKENS_BYTE = 3,     /* bytes (corpus.h BYTE) */
    LMP_LM_TOKENS_GPT2 = 4      /* GPT-2's byte-level BPE (tokenizer.h): GPT-2 itself, or an n-gram model
                                 * trained on GPT-2 tokens (lmprob train --mode gpt2: corpus.h GPT2, the
                                 * tokens named as in vocab.json, </s> for the newline) */
} lmp_lm_tokens;

typedef struct lmp_lm_info {
    lmp_lm_kind kind;
    const char *name;          /* "ngram", "gpt2", or the vtable's name */
    size_t vocab_size;
    size_t n_ctx;              /* most tokens one context can hold and the model can attend to
                                * (GPT-2: n_positions); 0 = unbounded (n-gram models use only
                                * their last order-1 tokens, so any length works) */
    unsigned order;            /* n-gram order; 0 for other models */
    lmp_token_id bos;          /* begin-of-sentence id, LMP_TOKEN_NONE if none */
    lmp_token_id eos;          /* end id (</s>, <|endoftext|>): generation stops after it */
    lmp_token_id unk;          /* the unknown-word id of an n-gram model, LMP_TOKEN_NONE if none */
    lmp_lm_tokens tokens;      /* how lmp_lm_tokenize splits text */
    int needs_context;         /* 1: the first token of an empty context is not predicted (GPT-2) */
} lmp_lm_info;

/* ---- making a model handle ------------------------------------------------------- */

/* The token an empty context begins with when generation or a prompt gives none: the model's bos
 * (an n-gram model's <s>); GPT-2's bos_token_id from its config (<|endoftext|>, 50256, unless a
 * fine-tune names another, as Hugging Face's generate starts from it); LMP_TOKEN_NONE if none. */
LMP_API lmp_token_id lmp_lm_start(const lmp_lm *lm);

/* The sentence-start marker: bos when it differs from eos (an n-gram model's <s>), a token that is
 * context only, never predicted, and starts every sentence; LMP_TOKEN_NONE for a model without one
 * (GPT-2, whose <|endoftext|> is both and an ordinary token to predict). */
LMP_API lmp_token_id lmp_lm_sentence_marker(const lmp_lm *lm);

typedef struct lmp_lm_load_params {
    lmp_lm_tokens tokens;      /* n-gram models: LMP_LM_TOKENS_DEFAULT (default) takes the mode the
                                * model file stores, word when it stores none; WORD/CHAR/BYTE/GPT2
                                * ask for one and are refused (LMP_EINVAL) when the file says otherwise */
    const char *vocab;         /* GPT-2's vocabulary: a folder (tokenizer.json, encoder.json + vocab.bpe,
                                * or vocab.json + merges.txt), a tokenizer.json or a tiktoken rank file.
                                * GPT-2 models: used when the model folder has none of its own (NULL:
                                * the folder's files only); n-gram models over GPT-2 tokens: required */
    unsigned threads;          /* GPT-2: threads of each context's forward pass; 0 = all cores */
    lmp_progress_fn progress; /* called while a large file loads (fraction in [0, 1]); may be NULL */
    void *progress_ctx;
} lmp_lm_load_params;

/* Defaults: the model's token mode, no extra vocabulary, all cores, no progress. */
LMP_API void lmp_lm_load_params_init(lmp_lm_load_params *p);

/* Load a model by what the path holds: a folder (config.json +
 * model.safetensors, as lmp_gpt2_load) or a .safetensors file is GPT-2; anything else is an n-gram model (ARPA, plain,
 * gzip or xz, or lmprob's binary; "-" reads ARPA from stdin). params may be
 * NULL (defaults). The handle owns what it loaded. Errors: those of
 * lmp_ngram_load and lmp_gpt2_load (file, line or tensor named),
 * LMP_EUNSUPPORTED when this build has no GPT-2 engine, LMP_EINVAL for a token
 * mode the n-gram model's file contradicts. *out is NULL on error. */
LMP_API lmp_status lmp_lm_load(const char *path, const lmp_lm_load_params *params, lmp_lm **out, lmp_error *err);

/* A handle over an n-gram model you loaded (borrowed: m must outlive the
 * handle and its contexts). tokens: WORD, CHAR, BYTE, GPT2, or DEFAULT (the
 * mode m stores, word when none); tok: GPT-2's vocabulary for GPT2 tokens
 * (borrowed too), NULL otherwise. */
LMP_API lmp_status lmp_lm_create_ngram(const lmp_ngram *m, lmp_lm_tokens tokens, const lmp_tokenizer *tok,
                                       lmp_lm **out, lmp_error *err);
/* The same, taking m and tok: lmp_lm_free releases them, and so does a failing call. */
LMP_API lmp_status lmp_lm_create_ngram_take(lmp_ngram *m, lmp_lm_tokens tokens, lmp_tokenizer *tok, lmp_lm **out,
                                            lmp_error *err);

/* A handle over a GPT-2 model and its tokenizer (both borrowed; tok may be
 * NULL: then lmp_lm_tokenize and lmp_lm_token_text are unavailable, and bos/eos
 * are the config's eos_token_id, lmp_gpt2_config). threads
 * as in lmp_lm_load_params. LMP_EINVAL when tok has more tokens than the model;
 * a model with more than tok (padded: resize_token_embeddings with
 * pad_to_multiple_of, nanoGPT's 50,304) scores every id in its softmax, as
 * Hugging Face's loss does, and the ids past tok's have empty text.
 * LMP_EUNSUPPORTED when this build has no GPT-2 engine. */
LMP_API lmp_status lmp_lm_create_gpt2(const lmp_gpt2 *g, const lmp_tokenizer *tok, unsigned threads, lmp_lm **out,
                                      lmp_error *err);

/* The same, taking g and tok (tok may be NULL): lmp_lm_free releases them, and so does a
 * failing call; the caller never frees what it gave. */
LMP_API lmp_status lmp_lm_create_gpt2_take(lmp_gpt2 *g, lmp_tokenizer *tok, unsigned threads, lmp_lm **out,
                                           lmp_error *err);

/* What lmp_lm_load would read at path, without reading it: an n-gram model
 * file, a GPT-2 model without a vocabulary of its own (a bare .safetensors, or
 * a folder with none of tokenizer.json, vocab.json, merges.txt, encoder.json,
 * vocab.bpe), or a GPT-2 folder with one (LMP_LM_PATH_GPT2_VOCAB also for half
 * a pair, which its load refuses naming the missing file). For callers that
 * supply a default GPT-2 vocabulary. */
typedef enum lmp_lm_path_kind {
    LMP_LM_PATH_NGRAM = 0,
    LMP_LM_PATH_GPT2 = 1,
    LMP_LM_PATH_GPT2_VOCAB = 2
} lmp_lm_path_kind;
LMP_API lmp_lm_path_kind lmp_lm_probe_path(const char *path);

/* A model of your own: next_logprobs sees the whole history of a context
 * (the context keeps it), so a stateless function of the prefix is enough. */
typedef struct lmp_lm_vtable {
    const char *name;
    /* Natural-log probabilities of every next token after ctx[0..n) (n may be
     * 0); out has vocab_size entries. Required. err is never NULL; a failure
     * returned without a message gets one naming the model and the position. */
    lmp_status (*next_logprobs)(void *self, const lmp_token_id *ctx, size_t n, double *out, lmp_error *err);
    /* log p(token | ctx[0..n)); optional (NULL: taken from next_logprobs). */
    double (*score)(void *self, const lmp_token_id *ctx, size_t n, lmp_token_id token);
    /* The text of a token (NUL-terminated), NULL for an unknown id; optional. */
    const char *(*token_text)(const void *self, lmp_token_id id);
} lmp_lm_vtable;

/* Wrap vt and self (both borrowed) as a model handle. From info: vocab_size
 * (>= 1), n_ctx, bos, eos, unk, needs_context; the other fields are filled in.
 * LMP_EINVAL for a NULL vt->next_logprobs, vocab_size 0, or a marker outside
 * the vocabulary. */
LMP_API lmp_status lmp_lm_create(const lmp_lm_vtable *vt, void *self, const lmp_lm_info *info, lmp_lm **out,
                                 lmp_error *err);

/* NULL is a no-op. Free the model's contexts first. */
LMP_API void lmp_lm_free(lmp_lm *lm);

LMP_API void lmp_lm_get_info(const lmp_lm *lm, lmp_lm_info *info);
LMP_API size_t lmp_lm_vocab_size(const lmp_lm *lm);

/* The n-gram model behind lm, or NULL for any other kind. For what only an
 * n-gram model has: KenLM-convention corpus scoring (lmp_ngram_score_file,
 * the fast path of `lmprob ppl`), its order and vocabulary. */
LMP_API const lmp_ngram *lmp_lm_ngram(const lmp_lm *lm);

/* The GPT-2 model behind lm, or NULL for any other kind: its config (lmp_gpt2_get_config), tensors. */
LMP_API const lmp_gpt2 *lmp_lm_gpt2(const lmp_lm *lm);

/* GPT-2's vocabulary behind lm (a GPT-2 model, or an n-gram model over GPT-2
 * tokens), or NULL. For callers that turn an n-gram's token names ("Ġthe")
 * into text (lmp_tokenizer_find_name, lmp_tokenizer_token_bytes). */
LMP_API const lmp_tokenizer *lmp_lm_tokenizer(const lmp_lm *lm);

/* ---- tokens and text ------------------------------------------------------------ */

/* The bytes of token id (n-gram: the word, for GPT-2 tokens its name; GPT-2: the token's bytes, which
 * may be part of a UTF-8 character or hold a NUL), *len their number; the
 * result is NUL-terminated after *len bytes. NULL (and *len = 0) for an id out
 * of range or a model without token texts. len may be NULL. */
LMP_API const char *lmp_lm_token_text(const lmp_lm *lm, lmp_token_id id, size_t *len);

/* Where a token came from in the text: text[offset .. offset + len). Tokens
 * the tokenizer adds (sentence markers) have len 0. */
typedef struct lmp_lm_span {
    size_t offset, len;
} lmp_lm_span;

/* Flags of lmp_lm_tokenize. */
#define LMP_LM_SENTENCES 1u /* models with sentence markers (bos != eos): every line becomes
                             * bos tokens.. eos, as KenLM's query scores it (an empty line too);
                             * ignored by other models (GPT-2 reads newlines as tokens) */

/* Text to token ids with the model's tokenizer (lmp_lm_info.tokens).
 * n-gram models: the corpus reader of lmprob train (corpus.h) in the model's
 * mode, one line at a time; a piece not in the vocabulary becomes the unk id
 * with unknown[i] = 1 (its text is text[spans[i]]). GPT-2: the BPE tokenizer
 * (<|endoftext|> in the text is the special token). Two-call sizing: *n is
 * set to the number of tokens; ids[0..cap) (and unknown, spans, each optional)
 * are written when *n <= cap, else the call returns LMP_ERANGE and writes
 * nothing useful (call again with cap >= *n). With ids NULL (cap is then not
 * read) only *n is set and the call returns LMP_OK, as lmp_tokenizer_encode's
 * size query. Word mode reads the text as
 * KenLM's query and lmp_ngram_score_file do (corpus.h query_words): a word is
 * its bytes, so one with invalid UTF-8 is an unknown word, and "<s>" or "</s>"
 * typed in the text is the model's own marker, not an error. Errors:
 * LMP_EUNSUPPORTED (the model has no tokenizer), LMP_EFORMAT (invalid UTF-8 in
 * char mode, naming the line and byte),
 * LMP_EINVAL (a flag bit other than LMP_LM_SENTENCES), LMP_ENOMEM. */
LMP_API lmp_status lmp_lm_tokenize(const lmp_lm *lm, const char *text, size_t len, unsigned flags, lmp_token_id *ids,
                                   unsigned char *unknown, lmp_lm_span *spans, size_t cap, size_t *n, lmp_error *err);

/* ---- contexts ---------------------------------------------------------------------- */

/* A context for up to max_tokens tokens (>= 1; for a bounded model at most
 * n_ctx). Allocates everything it will need (the token history, the model's
 * state: GPT-2's KV cache and the scratch of a batch). *out is NULL on error. */
LMP_API lmp_status lmp_lm_ctx_create(const lmp_lm *lm, size_t max_tokens, lmp_lm_ctx **out, lmp_error *err);
LMP_API void lmp_lm_ctx_free(lmp_lm_ctx *c); /* NULL is a no-op */

LMP_API const lmp_lm *lmp_lm_ctx_model(const lmp_lm_ctx *c);
LMP_API size_t lmp_lm_ctx_length(const lmp_lm_ctx *c);
LMP_API size_t lmp_lm_ctx_capacity(const lmp_lm_ctx *c);
/* The tokens pushed so far (length of them), oldest first; valid until the next change. */
LMP_API const lmp_token_id *lmp_lm_ctx_tokens(const lmp_lm_ctx *c);

/* Append ids[0..n) (n may be 0). Errors: LMP_EINVAL (an id out of range,
 * naming its index), LMP_ERANGE (the context would exceed its capacity). On
 * error the context is unchanged. GPT-2 defers the forward pass to the next
 * call that needs logits, so a context pushed and then scored costs one
 * batched pass. */
LMP_API lmp_status lmp_lm_ctx_push(lmp_lm_ctx *c, const lmp_token_id *ids, size_t n, lmp_error *err);

/* The next-token distribution after the context: out[vocab_size] natural-log
 * probabilities (-inf for impossible tokens, bos included when bos != eos).
 * LMP_EDOM for an empty context of a model that needs_context. */
LMP_API lmp_status lmp_lm_ctx_next_logprobs(lmp_lm_ctx *c, double *out, lmp_error *err);
LMP_API lmp_status lmp_lm_ctx_next_logprobs_f32(lmp_lm_ctx *c, float *out, lmp_error *err);

/* Score and append: logprob[i] = log p(ids[i] | context, ids[0..i)), NaN where
 * the model does not predict (see the conventions above). The batched path:
 * GPT-2 runs one forward pass over the tokens with the logits of every
 * position. Errors as lmp_lm_ctx_push. */
LMP_API lmp_status lmp_lm_ctx_score(lmp_lm_ctx *c, const lmp_token_id *ids, size_t n, double *logprob,
                                    lmp_error *err);

/* Predict and append: rows[i * vocab_size .. (i+1) * vocab_size) is the
 * distribution (natural-log probabilities, float) the model gives for the
 * token at ids[i], i.e. after the context and ids[0..i); then ids[i] is
 * appended. Row i of a token the model does not predict (an empty context of a
 * needs_context model) is all NaN. For comparing whole distributions (lmprob
 * kl): n rows of vocab_size floats, so pass a few hundred ids at a time. */
LMP_API lmp_status lmp_lm_ctx_predict_f32(lmp_lm_ctx *c, const lmp_token_id *ids, size_t n, float *rows,
                                          lmp_error *err);

/* Keep the first keep tokens (keep <= length), as if nothing after them had
 * been pushed. LMP_EINVAL for keep > length. */
LMP_API lmp_status lmp_lm_ctx_rewind(lmp_lm_ctx *c, size_t keep, lmp_error *err);

/* Make dst a copy of src (fork a sequence): same model, dst's capacity >=
 * src's length. Errors: LMP_EINVAL (different models), LMP_ERANGE. */
LMP_API lmp_status lmp_lm_ctx_copy(lmp_lm_ctx *dst, const lmp_lm_ctx *src, lmp_error *err);

/* ---- helpers over any model ----------------------------------------------------------- */

/* The chain rule: log P(ids[start..n) | ids[0..start)) = sum_t log p(ids[t] | ids[<t]),
 * skipping tokens the model does not predict. One context, one batched pass.
 * A token of probability 0 makes it -inf: not an error. Errors: LMP_EINVAL
 * (bad id, start > n), LMP_ERANGE (n above a bounded model's n_ctx). */
LMP_API lmp_status lmp_lm_sequence_logprob(const lmp_lm *lm, const lmp_token_id *ids, size_t n, size_t start,
                                           double *logprob, lmp_error *err);

/* ---- generation -------------------------------------------------------------------------- */

typedef struct lmp_lm_generate_params {
    size_t max_new;        /* tokens per sentence at most (>= 1); a sentence reaching it is cut */
    size_t sentences;      /* sentences to write (>= 1): a sentence ends at eos or when cut */
} lmp_lm_generate_params;

/* max_new 50, sentences 1. */
LMP_API void lmp_lm_generate_params_init(lmp_lm_generate_params *p);

/* What lmp_lm_generate reports, token by token (stream them as they come). */
typedef enum lmp_lm_event_kind {
    LMP_LM_EVENT_TOKEN = 0, /* a generated token (not eos) */
    LMP_LM_EVENT_END = 1,   /* the sentence ended: the model drew eos (id = eos) */
    LMP_LM_EVENT_CUT = 2    /* the sentence reached max_new without eos (id = LMP_TOKEN_NONE) */
} lmp_lm_event_kind;

typedef struct lmp_lm_event {
    lmp_lm_event_kind kind;
    lmp_token_id id;
    double logprob;        /* log p(id | context) under the model, before the sampler's filters */
    size_t sentence;       /* 0-based */
    size_t index;          /* 0-based index of the token in its sentence */
} lmp_lm_event;

/* Return 0 to go on, non-zero to stop generating (lmp_lm_generate returns LMP_OK). */
typedef int (*lmp_lm_event_fn)(void *ud, const lmp_lm_event *ev);

/* Generate from the context c (the prompt already pushed) with sampler s and
 * rng: each token is drawn by s from the model's next-token log-probabilities
 * (softmax(log p) = p, so they serve as logits), the penalties seeing the
 * context's tokens. A sentence ends right after the model's eos (pushed, and
 * reported as LMP_LM_EVENT_END) or when it reaches max_new tokens
 * (LMP_LM_EVENT_CUT); the next sentence starts with the model's bos pushed,
 * when bos != eos (a new n-gram sentence). An empty context gets the model's
 * bos first (when it has one). Each token is drawn from the whole context; when
 * the context is full (any model's, bounded or not), its older half is dropped
 * before the drawn token is pushed: a rewind to nothing and a push of the
 * newer half, as llama.cpp's context shift, so an n-gram model's state is then
 * that of the newer half (the same as before once it holds order - 1 tokens),
 * and the sampler's penalties see only the tokens the context still holds.
 * Give the context room for the prompt and max_new tokens to keep them all.
 * on_token may be NULL. The sampler's max_vocab must be >= vocab_size.
 * Allocates one vocabulary-sized buffer per call. */
LMP_API lmp_status lmp_lm_generate(lmp_lm_ctx *c, lmp_sampler *s, lmp_rng *rng, const lmp_lm_generate_params *p,
                                   lmp_lm_event_fn on_token, void *ud, lmp_error *err);

LMP_EXTERN_C_END

#endif
