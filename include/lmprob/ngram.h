/* Back-off n-gram language models: ARPA and binary files, exact scoring with
 * KenLM's conventions, corpus perplexity (lm.h wraps it: lmp_lm_create_ngram).
 *
 * Model. An ARPA back-off model (Katz 1987; the format of SRILM, KenLM's lmplz
 * and lmprob train) gives for each n-gram a log10 probability and, below the
 * highest order, a log10 back-off weight. The probability of word w after the
 * context c_k .. c_1 (c_1 the most recent) is, with m the longest matching
 * n-gram (c_{m-1} .. c_1 w):
 *     log10 p(w | c) = log10 p(c_{m-1} .. c_1 w) + sum_{j=m}^{k} backoff(c_j .. c_1)
 * exactly as KenLM's FullScore (lm/model.cc): the backoffs are those of the
 * context suffixes longer than the matched context. A word missing from the
 * vocabulary is scored as <unk> (KenLM: the <unk> unigram; when an ARPA file has
 * no <unk>, it gets log10 p = -100, as KenLM does) and counted as OOV.
 *
 * State. Like KenLM's lm/state.hh State, lmp_ngram_state is a fixed-size value
 * holding the last (at most order-1) words that can still be extended and
 * their backoffs; scoring reads one state and writes the next and allocates
 * nothing. The state keeps only contexts that some longer n-gram extends
 * (KenLM's "state minimisation"), so results equal KenLM's query bit for bit
 * on the same float values.
 *
 * Numbers are float (32-bit) in the model, as in KenLM; per-token scores are
 * computed in float like KenLM and returned as double, corpus sums are double.
 * Log base: 10 everywhere in this header unless a name says ln (natural log).
 *
 * Files: lmp_ngram_load reads ARPA (plain, gzip or xz) or lmprob's binary
 * format (detected by its magic "LMPNGRAM"; mmapped, see docs/ngram-model.md).
 * Both writers are atomic (temporary file + rename): no partial output file. */
#ifndef LMPROB_NGRAM_H
#define LMPROB_NGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "lmprob/core.h"
#include "lmprob/ngram_train.h"

LMP_EXTERN_C_BEGIN

/* LMP_NGRAM_MAX_ORDER (core.h): the highest order this build handles. */

/* Version of the binary format this build reads and writes. */
#define LMP_NGRAM_BINARY_VERSION 3u

/* Thread safety: a model is immutable once loaded (the binary format is a read-only
 * mmap); any number of threads may score with one model, each with its own
 * lmp_ngram_state and lmp_ngram_stats. Only lmp_ngram_free and
 * lmp_ngram_meta_set need it to themselves. */
typedef struct lmp_ngram lmp_ngram;

/* Scoring state (caller-owned POD). words[0] is the most recent word;
 * backoff[i] is the log10 backoff of the context words[i] .. words[0]. */
typedef struct lmp_ngram_state {
    lmp_token_id words[LMP_NGRAM_MAX_ORDER - 1];
    float backoff[LMP_NGRAM_MAX_ORDER - 1];
    /* trie layout only: where the context words[i] .. words[0] sits among its
     * siblings (the next token's lookup key); callers copy it, never read it */
    uint32_t rank[LMP_NGRAM_MAX_ORDER - 1];
    unsigned length;
} lmp_ngram_state;

/* Flags in lmp_ngram_info.flags. */
#define LMP_NGRAM_UNK_ADDED 1u /* the ARPA file had no <unk>: added with log10 p = -100 */
#define LMP_NGRAM_ARPA_GZIP 2u /* loaded from a gzip-compressed ARPA file (never stored in a binary) */
#define LMP_NGRAM_ARPA_XZ 4u   /* loaded from an xz-compressed ARPA file (never stored in a binary) */

/* One level of the trie layout (lmp_ngram_info.level[n], order n >= 2). */
typedef struct lmp_ngram_level_info {
    uint64_t entries;                  /* n-grams, and the blanks of a pruned model */
    unsigned key_bits, prob_bits, backoff_bits, record_bits;
    uint64_t record_bytes;             /* the bit-packed records */
    uint64_t pointer_bytes;            /* the Elias-Fano child pointers (0 at the highest order) */
} lmp_ngram_level_info;

typedef struct lmp_ngram_info {
    unsigned order;
    uint64_t counts[LMP_NGRAM_MAX_ORDER + 1]; /* counts[n] n-grams of order n, n = 1..order; counts[0] = 0 */
    size_t vocab_size;                        /* = counts[1] */
    uint64_t bytes;                           /* model data size (binary: the file size) */
    int binary;                               /* 1 when loaded from a binary (mmapped) file */
    int trie;                                 /* 1 for the trie layout, 0 for the hashed one (or ARPA) */
    unsigned prob_bits, backoff_bits;         /* trie: quantisation bits, 0 when the values are exact */
    unsigned flags;
    lmp_ngram_level_info level[LMP_NGRAM_MAX_ORDER + 1]; /* trie: its levels 2..order (zero otherwise) */
} lmp_ngram_info;

/* ---- loading, writing ---------------------------------------------------------- */

/* Load an ARPA (plain/gzip/xz) or binary model, detected by content; "-" reads
 * ARPA from stdin. progress may be NULL. Errors name file and line (ARPA) or
 * byte offset (binary): LMP_EFORMAT for a malformed file (wrong counts, missing
 * section, positive log probability, truncated file, binary garbage, a
 * duplicate n-gram, a context that is not an n-gram), LMP_EUNSUPPORTED for an
 * order above LMP_NGRAM_MAX_ORDER or a binary of another version, LMP_EIO,
 * LMP_ENOMEM. *out is NULL on error. */
LMP_API lmp_status lmp_ngram_load(const char *path, lmp_progress_fn progress, void *ctx, lmp_ngram **out, lmp_error *err);
LMP_API lmp_status lmp_ngram_load_arpa(const char *path, lmp_progress_fn progress, void *ctx, lmp_ngram **out,
                               lmp_error *err);
LMP_API lmp_status lmp_ngram_load_binary(const char *path, lmp_ngram **out, lmp_error *err);

/* The model lmp_train_* made, ready to score without writing and reading ARPA
 * (the same numbers as its ARPA file loaded, bit for bit; the n-grams in the
 * training's order; its metadata). The trained model may be freed afterwards.
 * LMP_ENOMEM. */
LMP_API lmp_status lmp_ngram_create_from_train(const lmp_train_model *m, lmp_ngram **out, lmp_error *err);

/* 1 when the file is a regular file that starts with the binary magic, 0 otherwise (a pipe,
 * FIFO or device is not opened; also 0 on I/O error). */
LMP_API int lmp_ngram_is_binary_file(const char *path);

LMP_API void lmp_ngram_free(lmp_ngram *m); /* NULL is a no-op */

/* Order of the n-grams in a written ARPA file. */
typedef enum lmp_arpa_order {
    /* as the model holds them: the order they were read in (ARPA), the order of
     * the training (lmp_train_*: lmplz's suffix order), the trie's order */
    LMP_ARPA_ORDER_KEEP = 0,
    /* each order sorted by its words' positions in \1-grams, first word most
     * significant (the context's position, then the last word): the order
     * IRSTLM's compile-lm needs (its sort-lm.pl sorts by the words' bytes, which
     * is this order when the unigrams are in byte order) */
    LMP_ARPA_ORDER_CONTEXT = 1
} lmp_arpa_order;

typedef struct lmp_ngram_write_params {
    lmp_arpa_order order;           /* default LMP_ARPA_ORDER_KEEP */
    lmp_progress_fn progress; /* may be NULL */
    void *progress_ctx;
} lmp_ngram_write_params;

/* Write ARPA text ("-" = stdout) or the binary format, atomically. The ARPA
 * writer (one for every kind of model, trained ones too): the model's
 * metadata as '#' comment lines before \data\ (see lmp_ngram_meta_get), the
 * n-grams in params->order (params may be NULL: defaults), every number the
 * shortest decimal that reads back as the same float, in lmplz's layout, so
 * ARPA -> binary -> ARPA gives identical scores (and an lmplz file back byte
 * for byte). Memory: a fixed 2 MiB of line buffers (a longer line is written
 * piece by piece), plus 20 bytes per n-gram of one order for
 * LMP_ARPA_ORDER_CONTEXT. */
LMP_API lmp_status lmp_ngram_write_arpa(const lmp_ngram *m, const char *path, const lmp_ngram_write_params *params,
                                lmp_error *err);
LMP_API lmp_status lmp_ngram_write_binary(const lmp_ngram *m, const char *path, lmp_error *err);

/* The compact trie layout (docs/ngram-model.md): the n-grams sorted by their
 * reversed words, each a bit-packed record (key, probability, backoff) with
 * Elias-Fano coded pointers to its children, as KenLM's trie and Pauls & Klein
 * (2011). prob_bits / backoff_bits: 0 keeps every value exactly (the scores
 * equal the ARPA's bit for bit); 1..24 quantise the probabilities / backoffs of
 * orders >= 2 to that many bits (equal-count bins, as KenLM's build_binary -q
 * -b, after Federico & Bertoldi 2006); backoff_bits 0 with prob_bits > 0 means
 * backoff_bits = prob_bits (as build_binary), and 2 for prob_bits 1 (backoffs need
 * 2 bits at least: two codes are reserved for the zero backoffs). */
typedef struct lmp_ngram_trie_params {
    unsigned prob_bits;
    unsigned backoff_bits;
} lmp_ngram_trie_params;

LMP_API lmp_status lmp_ngram_write_trie(const lmp_ngram *m, const char *path, const lmp_ngram_trie_params *params,
                                lmp_error *err);

/* Check a model file completely: a binary one section by section against the
 * checksums of its header, then the structure the scorer relies on; an ARPA
 * one by reading it. report (may be NULL) hears each section: its name, offset
 * and size in the file, and whether it is intact. LMP_EFORMAT names the first damaged section and
 * its offset. */
typedef void (*lmp_ngram_verify_fn)(void *ctx, const char *section, uint64_t offset, uint64_t bytes, int ok);
LMP_API lmp_status lmp_ngram_verify(const char *path, lmp_ngram_verify_fn report, void *ctx, lmp_error *err);

/* ---- vocabulary and model facts ----------------------------------------------------- */

LMP_API void lmp_ngram_get_info(const lmp_ngram *m, lmp_ngram_info *info);
LMP_API unsigned lmp_ngram_order(const lmp_ngram *m);
LMP_API size_t lmp_ngram_vocab_size(const lmp_ngram *m);
/* Id of the word s[0..n), or LMP_TOKEN_NONE when it is not in the vocabulary
 * (or s is NULL with n > 0). */
LMP_API lmp_token_id lmp_ngram_vocab_find(const lmp_ngram *m, const char *s, size_t n);
/* Id of the word, or the <unk> id when it is not in the vocabulary (or s is NULL with n > 0). */
LMP_API lmp_token_id lmp_ngram_vocab_index(const lmp_ngram *m, const char *s, size_t n);
/* The text of word id (NUL-terminated), or NULL when id is out of range. */
LMP_API const char *lmp_ngram_word(const lmp_ngram *m, lmp_token_id id);
LMP_API lmp_token_id lmp_ngram_bos(const lmp_ngram *m); /* <s>, LMP_TOKEN_NONE when the model has none */
LMP_API lmp_token_id lmp_ngram_eos(const lmp_ngram *m); /* </s>, LMP_TOKEN_NONE when the model has none */
LMP_API lmp_token_id lmp_ngram_unk(const lmp_ngram *m); /* <unk> (always present) */

/* The n-grams of order n (1 .. order) in the model's order (the order of the
 * ARPA file it was read from; unigrams: by id): words[i*n .. i*n+n) (ids, the
 * predicted word last), log10 probability and log10 backoff (0 when none) of
 * n-gram i, for i < counts[n]. Each output may be NULL; the caller sizes
 * them (counts[n] * n ids, counts[n] floats). The blank entries a model gets
 * for missing suffixes (see the ARPA reader) are not listed. LMP_EINVAL for a
 * bad order, LMP_ENOMEM, LMP_EFORMAT for a corrupt binary. */
LMP_API lmp_status lmp_ngram_get_ngrams(const lmp_ngram *m, unsigned n, lmp_token_id *words, float *logprob, float *backoff,
                                lmp_error *err);

/* ---- what the model is: metadata ---------------------------------------------------
 * A model made by lmprob records how it was made, as key/value strings: in the
 * binary formats (a section of the file) and in ARPA files (comment lines
 * "# lmprob KEY: VALUE" before \data\, which KenLM, IRSTLM and Sphinx skip).
 * Keys written by lmprob train: */
#define LMP_NGRAM_META_TOKENS "tokens"       /* word, char, byte or gpt2 (lmp_ngram_tokens_name) */
#define LMP_NGRAM_META_VOCAB "vocab"         /* the vocabulary rule: "all", "min-count N", "size N", "file PATH" */
#define LMP_NGRAM_META_ESTIMATOR "estimator" /* mkn, kn, addk k=K, mle, ... */
#define LMP_NGRAM_META_COMMAND "command"     /* the command line that trained it */

/* Token kinds a model can be trained on. */
typedef enum lmp_ngram_tokens {
    LMP_NGRAM_TOKENS_UNKNOWN = 0, /* no record (e.g. an ARPA file from another toolkit) */
    LMP_NGRAM_TOKENS_WORD = 1,    /* whitespace-separated words */
    LMP_NGRAM_TOKENS_CHAR = 2,    /* UTF-8 characters */
    LMP_NGRAM_TOKENS_BYTE = 3,    /* bytes */
    LMP_NGRAM_TOKENS_GPT2 = 4     /* GPT-2 BPE tokens */
} lmp_ngram_tokens;

/* "word", "char", "byte", "gpt2", or "unknown". */
LMP_API const char *lmp_ngram_tokens_name(lmp_ngram_tokens t);
/* The kind named s ("word", ...), LMP_NGRAM_TOKENS_UNKNOWN for any other string. */
LMP_API lmp_ngram_tokens lmp_ngram_tokens_parse(const char *s);
/* The model's token kind (its "tokens" record), UNKNOWN when it has none. */
LMP_API lmp_ngram_tokens lmp_ngram_get_tokens(const lmp_ngram *m);
/* LMP_OK when text read as `want` tokens suits the model (the same kind, or a
 * model without the record); otherwise LMP_EINVAL and a message naming both
 * kinds and the --mode to use. */
LMP_API lmp_status lmp_ngram_check_tokens(const lmp_ngram *m, lmp_ngram_tokens want, lmp_error *err);
/* The same check before loading: reads only the token record of the model file at
 * path (an ARPA file's lines up to its counts; a binary's header and metadata section,
 * a bounded read whatever the model's size), so that a wrong --mode is refused before
 * a large model is parsed or mapped. *have = the record (UNKNOWN without one).
 * *peeked (when not NULL) = 1 when the record was read; 0 for "-", a pipe or any other
 * file that is not a regular file (it cannot be read twice, so it is left to the
 * loader and the check to lmp_ngram_check_tokens after the load), a binary whose
 * metadata section is over 16 MiB (not written by lmprob), and on an error. want
 * UNKNOWN: no check. LMP_EINVAL with lmp_ngram_check_tokens's message on a mismatch;
 * the loader's errors for a file that cannot be opened, has no \data\ section, or a
 * bad binary header or metadata section (damage after it is the loader's to find). */
LMP_API lmp_status lmp_ngram_peek_tokens(const char *path, lmp_ngram_tokens want, lmp_ngram_tokens *have,
                                         int *peeked, lmp_error *err);

/* Value of a metadata key (NUL-terminated), NULL when absent. */
LMP_API const char *lmp_ngram_meta_get(const lmp_ngram *m, const char *key);
/* Number of records, and record i (0-based; *key and *value NULL when out of range). */
LMP_API size_t lmp_ngram_meta_count(const lmp_ngram *m);
LMP_API void lmp_ngram_meta_at(const lmp_ngram *m, size_t i, const char **key, const char **value);
/* Add or replace a record. key: 1 to 32 bytes of [a-z0-9_-]; value: any
 * NUL-terminated text up to 64 KiB (written to ARPA with \n, \r, \\ and \xNN
 * escapes). LMP_EINVAL on a bad key, LMP_ENOMEM. Not safe while another thread
 * reads the model. */
LMP_API lmp_status lmp_ngram_meta_set(lmp_ngram *m, const char *key, const char *value, lmp_error *err);

/* ---- scoring -------------------------------------------------------------------------- */

/* The state after <s> (KenLM BeginSentenceState); the null state when the
 * model has no <s>. */
LMP_API void lmp_ngram_state_begin(const lmp_ngram *m, lmp_ngram_state *s);
/* The empty context (KenLM NullContextState). */
LMP_API void lmp_ngram_state_null(lmp_ngram_state *s);

/* log10 p(word | in) with backoff; writes the next state to *out (out may not
 * alias in) and the length of the matched n-gram to *ngram_len (may be NULL).
 * word must be in [0, vocab_size) (map OOV words to lmp_ngram_unk first). */
LMP_API double lmp_ngram_score(const lmp_ngram *m, const lmp_ngram_state *in, lmp_token_id word, lmp_ngram_state *out,
                       unsigned *ngram_len);

/* The state after the words ctx[0..n) (oldest first), starting from the null
 * state, or from <s> when ctx[0] is the <s> id; only the last order-1 words
 * matter. Ids out of range are taken as <unk>. Does nothing when out is NULL,
 * or ctx is NULL with n > 0. */
LMP_API void lmp_ngram_state_from(const lmp_ngram *m, const lmp_token_id *ctx, size_t n, lmp_ngram_state *out);

/* ---- text ----------------------------------------------------------------------------- */

/* Corpus accumulators. Conventions (KenLM's query, lm/ngram_query.hh): each
 * line is a sentence scored as <s> w_1 .. w_n </s>; </s> is scored and counted
 * as a token, <s> is context only; OOV words are scored as <unk> and counted. */
typedef struct lmp_ngram_stats {
    double log10_prob;     /* sum over all scored tokens (incl. </s> and OOV) */
    double log10_prob_oov; /* the part of log10_prob from OOV tokens */
    uint64_t tokens;       /* scored tokens, incl. </s> */
    uint64_t oov;          /* OOV tokens among them */
    uint64_t sentences;    /* lines */
    uint64_t bytes;        /* bytes of the text, incl. newlines (input bytes after decompression) */
} lmp_ngram_stats;

/* 10^(-log10_prob / tokens). NaN when tokens = 0. */
LMP_API double lmp_ngram_stats_perplexity(const lmp_ngram_stats *s);
/* The same without the OOV tokens: 10^(-(log10_prob - log10_prob_oov) / (tokens - oov)). */
LMP_API double lmp_ngram_stats_perplexity_excl_oov(const lmp_ngram_stats *s);
/* Cross-entropy -log2 P / tokens (bits per token; = log2 perplexity). */
LMP_API double lmp_ngram_stats_bits_per_token(const lmp_ngram_stats *s);
/* -log2 P / bytes: bits per byte of the text (incl. newlines), all tokens incl. OOV and </s>. */
LMP_API double lmp_ngram_stats_bits_per_byte(const lmp_ngram_stats *s);

/* One scored token, handed to a callback. word is not NUL-terminated. */
typedef struct lmp_ngram_token {
    const char *word;
    size_t len;
    lmp_token_id id;          /* vocabulary id, the <unk> id for an OOV word */
    int oov;             /* 1 when the word is not in the vocabulary */
    unsigned ngram_len;  /* length of the matched n-gram */
    double log10_prob;
} lmp_ngram_token;

typedef struct lmp_ngram_sentence {
    uint64_t index;      /* 0-based line number */
    double log10_prob;
    uint64_t tokens;     /* incl. </s> */
    uint64_t oov;
} lmp_ngram_sentence;

typedef struct lmp_ngram_callbacks {
    void (*token)(void *ctx, const lmp_ngram_token *t);        /* may be NULL */
    void (*sentence)(void *ctx, const lmp_ngram_sentence *s);  /* may be NULL */
    lmp_progress_fn progress;                                  /* may be NULL */
    void *ctx;
} lmp_ngram_callbacks;

/* Score one line of text (words separated by ' ', '\t', '\r' or NUL, the
 * separators of lmplz and of lmprob's corpus reader in word mode; no '\n'
 * inside) as one sentence and add it to *acc (its bytes are
 * len + 1 for the newline). cb may be NULL. Does nothing when acc is NULL, or
 * line is NULL with len > 0. */
LMP_API void lmp_ngram_score_line(const lmp_ngram *m, const char *line, size_t len, lmp_ngram_stats *acc,
                          const lmp_ngram_callbacks *cb);

/* Score the words w[0..n) (lengths len[0..n)) as one sentence (<s> .. </s>)
 * and add them to *acc (bytes are not counted: the caller knows them). For
 * callers that tokenize text themselves (lmp corpus reader). Does nothing
 * when acc is NULL, or w or len is NULL with n > 0. */
LMP_API void lmp_ngram_score_words(const lmp_ngram *m, const char *const *w, const size_t *len, size_t n,
                           lmp_ngram_stats *acc, const lmp_ngram_callbacks *cb);

/* Score every line of a text file (plain, gzip or xz; "-" = stdin). As KenLM's
 * query, a last line without a newline is scored too (lmprob) and its bytes
 * counted as they are. *acc is zeroed first. */
LMP_API lmp_status lmp_ngram_score_file(const lmp_ngram *m, const char *path, lmp_ngram_stats *acc,
                                const lmp_ngram_callbacks *cb, lmp_error *err);

LMP_EXTERN_C_END

#endif
