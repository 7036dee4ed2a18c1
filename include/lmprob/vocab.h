/* Training vocabulary: word string <-> dense lmp_token_id.
 *
 * Ids are stable and dense: <unk> = 0, <s> = 1, </s> = 2 (KenLM's kUNK, kBOS,
 * kEOS in lm/word_index.hh and lm/builder/payload.hh), then every other word in
 * the order it was first added, which is the order KenLM's lmplz numbers words
 * and prints its unigrams. Adding the literal "<unk>" returns 0: an <unk> in
 * training text is the unknown-word class, counted like any word.
 *
 * Open addressing with linear probing over a power-of-two table; strings live
 * in one growing arena.
 *
 * Thread safety: lookups (find, word, size) on one vocabulary from several threads
 * are safe while no thread adds; an add needs the vocabulary to itself. */
#ifndef LMPROB_VOCAB_H
#define LMPROB_VOCAB_H

#include <stddef.h>
#include <stdint.h>

#include "lmprob/core.h"

LMP_EXTERN_C_BEGIN

#define LMP_VOCAB_UNK 0
#define LMP_VOCAB_BOS 1
#define LMP_VOCAB_EOS 2

typedef struct lmp_vocab lmp_vocab;

/* A vocabulary holding the three specials. LMP_ENOMEM on failure (*out NULL). */
LMP_API lmp_status lmp_vocab_create(lmp_vocab **out, lmp_error *err);

/* NULL is a no-op. */
LMP_API void lmp_vocab_free(lmp_vocab *v);

/* Id of word s[0..n) (n > 0), adding it when new. LMP_ENOMEM, or LMP_ERANGE
 * past 2^31 - 1 words (the largest lmp_token_id); LMP_EINVAL for a NULL s
 * with n > 0 or a NULL id. */
LMP_API lmp_status lmp_vocab_add(lmp_vocab *v, const char *s, size_t n, lmp_token_id *id, lmp_error *err);

/* Id of s[0..n), or LMP_TOKEN_NONE when absent (or s is NULL with n > 0). */
LMP_API lmp_token_id lmp_vocab_find(const lmp_vocab *v, const char *s, size_t n);

/* Number of words, specials included (>= 3). */
LMP_API size_t lmp_vocab_size(const lmp_vocab *v);

/* Bytes of memory the vocabulary holds (its tables and words), for memory budgets. */
LMP_API size_t lmp_vocab_bytes(const lmp_vocab *v);

/* NUL-terminated text of id (length in *len if not NULL), NULL when id is out of range. */
LMP_API const char *lmp_vocab_word(const lmp_vocab *v, lmp_token_id id, size_t *len);

LMP_EXTERN_C_END

#endif /* LMPROB_VOCAB_H */
