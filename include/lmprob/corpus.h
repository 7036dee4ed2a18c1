/* Corpus reader: text → lines → tokens, exactly as `lmprob train` sees them.
 *
 * Input. One sentence per line ('\n'; a '\r' before it is dropped). Plain text,
 * gzip (zlib, multi-member) or xz (liblzma, concatenated streams), recognised by
 * their magic bytes (1f 8b; fd 37 7a 58 5a 00), from a file or from stdin ("-"),
 * through the library's one line reader (the ARPA reader and the scorer use it
 * too). Lines longer than params.max_line are refused.
 * A last line without '\n' is still a line. Every line is a sentence, including
 * an empty one: KenLM's lmplz counts an empty line as "<s> </s>" (its corpus
 * reader appends </s> after every line, lm/builder/corpus_count.cc) and its query
 * scores it the same way, so training and scoring here do too.
 *
 * Tokens (lmp_corpus_mode):
 *   WORD  split on the bytes KenLM's lmplz splits on: ' ', '\t', '\r', '\n', '\0'
 *         (lm/builder/corpus_count.cc, `delimiters`); "<unk>" is an ordinary
 *         token (the vocabulary maps it to the unknown-word class).
 *   CHAR  one token per Unicode code point (the UTF-8 bytes of the character);
 *         a space becomes the token "<sp>" and a tab "<tab>" (ARPA files are
 *         whitespace-separated, so a literal space cannot be a token); other
 *         control characters become "<0xNN>".
 *   BYTE  one token per byte: '!'..'~' as themselves, every other byte "<0xNN>"
 *         (two upper-case hex digits). No UTF-8 check in this mode.
 *   GPT2  GPT-2's byte-level BPE tokens of the line (params.tokenizer, see
 *         tokenizer.h), each as its name in GPT-2's byte alphabet ("Ġthe" for
 *         " the", the key of vocab.json: no white space, so ARPA files hold
 *         them as they are). Each line is encoded on its own, a '\r' before
 *         its '\n' included (GPT-2 sees it), the '\n' itself not: it is </s>.
 *         A white-space run that spans a newline is therefore split where the
 *         whole-text encoding would keep it (docs/tokenizer.md).
 *
 * UTF-8 (WORD and CHAR modes) is checked strictly (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF). An invalid sequence is an LMP_EFORMAT
 * error naming file, line and the 1-based byte offset in the line, unless
 * replace_invalid is set: then each maximal invalid subpart becomes U+FFFD
 * (as Unicode §3.9 recommends) and is counted in stats.replaced.
 *
 * Sentence markers. In WORD mode a "<s>" or "</s>" token inside the text is an
 * LMP_EFORMAT error (file, line, offset) unless skip_markers is set, in which
 * case it is dropped (as lmplz --skip_symbols treats it as whitespace).
 *
 * Text to score (query_words, WORD mode): read as KenLM's query reads it, and as
 * lmp_ngram_score_file does: a word is the bytes between separators whatever they
 * are (no UTF-8 check: a word with invalid bytes is one the model lacks), and "<s>"
 * or "</s>" inside a line is an ordinary token (the model's own marker). The rules
 * above are training's, where a marker would corrupt the counts.
 *
 * Token views point into the reader's line buffer (or constant strings) and
 * stay valid until the next lmp_corpus_next_line or lmp_corpus_free. */
#ifndef LMPROB_CORPUS_H
#define LMPROB_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "lmprob/core.h"
#include "lmprob/tokenizer.h"

LMP_EXTERN_C_BEGIN

typedef enum lmp_corpus_mode {
    LMP_CORPUS_WORD = 0,
    LMP_CORPUS_CHAR = 1,
    LMP_CORPUS_BYTE = 2,
    LMP_CORPUS_GPT2 = 3
} lmp_corpus_mode;

typedef struct lmp_corpus_params {
    lmp_corpus_mode mode; /* default LMP_CORPUS_WORD */
    int replace_invalid;  /* 1: invalid UTF-8 → U+FFFD; 0 (default): LMP_EFORMAT error */
    int skip_markers;     /* 1: drop "<s>"/"</s>" tokens; 0 (default): LMP_EFORMAT error */
    const lmp_tokenizer *tokenizer; /* GPT2 mode: the vocabulary (required there; must outlive the reader) */
    size_t max_line;      /* longest line accepted, in bytes (0, the default: 256 MiB); a longer line is
                             an LMP_EFORMAT error raised once that many bytes are read, so the reader's
                             memory stays about twice this whatever the input */
    int plain;            /* lmp_corpus_create: 1: the bytes are the text whatever they start with (a text
                             already read and decompressed, a prompt); 0 (default): gzip and xz are told
                             apart by their magic bytes, as in a file */
    int query_words;      /* WORD mode: 1 reads text to score as KenLM's query (no UTF-8 check, "<s>" and
                             "</s>" ordinary tokens; skip_markers still drops them); 0 (default): training */
    size_t max_piece;     /* GPT2 mode: the longest pre-token (a run of letters, digits, symbols or white space), in
                             bytes (0, the default: only the line's limit); a longer one is an LMP_ERANGE error
                             naming the line and byte. Its BPE takes about 36 bytes a byte (lmprob train: an
                             eighth of --memory, as its lines) */
} lmp_corpus_params;

/* A token: a view of len bytes (not NUL-terminated). */
typedef struct lmp_token {
    const char *ptr;
    size_t len;
} lmp_token;

/* Running totals, all counted so far. */
typedef struct lmp_corpus_stats {
    uint64_t lines;      /* lines returned */
    uint64_t tokens;     /* tokens returned (no <s>/</s>) */
    uint64_t bytes;      /* uncompressed bytes of the returned lines, each '\n' included (for bits per byte) */
    uint64_t line_bytes; /* bytes of the last returned line, its '\n' (and, but in GPT2 mode, a '\r' before it) not included */
    uint64_t replaced;   /* invalid UTF-8 sequences replaced by U+FFFD */
    uint64_t skipped;    /* <s>/</s> tokens dropped (skip_markers) */
} lmp_corpus_stats;

/* Thread safety: a reader is a position in a stream; one thread at a time per reader. */
typedef struct lmp_corpus lmp_corpus;

/* Defaults: WORD mode, invalid UTF-8 and markers are errors. */
LMP_API void lmp_corpus_params_init(lmp_corpus_params *p);

/* Open a file ("-": stdin; the caller keeps stdin open). params may be NULL
 * (defaults). Errors: LMP_EIO (cannot open or read: names the file and errno),
 * LMP_EFORMAT (a corrupt gzip/xz header), LMP_EINVAL (bad params), LMP_ENOMEM.
 * *out is NULL on error. */
LMP_API lmp_status lmp_corpus_load(const char *path, const lmp_corpus_params *params, lmp_corpus **out, lmp_error *err);

/* Read from memory (size bytes at data; plain, gzip or xz). The data must stay
 * alive until lmp_corpus_free. name (may be NULL: "<memory>") appears in errors.
 * LMP_EINVAL for a NULL data with size > 0 or a NULL out. */
LMP_API lmp_status lmp_corpus_create(const void *data, size_t size, const char *name, const lmp_corpus_params *params,
                                     lmp_corpus **out, lmp_error *err);

/* Next line as tokens: *tokens (array of *ntokens views, owned by the reader).
 * An empty or all-whitespace line gives ntokens = 0 and LMP_OK.
 * Returns LMP_EOF after the last line (not an error), LMP_EFORMAT for invalid
 * UTF-8 / a marker / corrupt compressed data (err names file, line and byte offset
 * in the line), LMP_EIO for a read error, LMP_ENOMEM. After an error the reader
 * only returns that error again. */
LMP_API lmp_status lmp_corpus_next_line(lmp_corpus *c, const lmp_token **tokens, size_t *ntokens, lmp_error *err);

/* The raw bytes of the last returned line (after U+FFFD replacement, without
 * '\n' and a trailing '\r'); valid like the token views. */
LMP_API const char *lmp_corpus_line(const lmp_corpus *c, size_t *len);

/* 1-based number of the last returned line (0 before the first). */
LMP_API long lmp_corpus_line_number(const lmp_corpus *c);

LMP_API void lmp_corpus_get_stats(const lmp_corpus *c, lmp_corpus_stats *out);

/* "plain", "gzip" or "xz" (known after open). */
LMP_API const char *lmp_corpus_compression(const lmp_corpus *c);

/* The name used in error messages (the path, "<stdin>", or the memory name). */
LMP_API const char *lmp_corpus_name(const lmp_corpus *c);

/* NULL is a no-op. Does not close stdin. */
LMP_API void lmp_corpus_free(lmp_corpus *c);

LMP_EXTERN_C_END

#endif /* LMPROB_CORPUS_H */
