/* Training vocabulary: word string <-> dense uint32 id.
 *
 * Ids are stable and dense: <unk> = 0, <s> = 1, </s> = 2 (KenLM's kUNK, kBOS,
 * kEOS in lm/word_index.hh and lm/builder/payload.hh), then every other word in
 * the order it was first added, which is the order KenLM's lmplz numbers words
 * and prints its unigrams. Adding the literal "<unk>" returns 0: an <unk> in
 * training text is the unknown-word class, counted like any word.
 *
 * Open addressing with linear probing over a power-of-two table; strings live
 * in one growing arena. Not thread-safe for concurrent adds. */
#ifndef LMPROB_VOCAB_H
#define LMPROB_VOCAB_H

#include <stddef.h>
#include <stdint.h>

#include "lmprob/core.h"

#define LMP_VOCAB_UNK 0u
#define LMP_VOCAB_BOS 1u
#define LMP_VOCAB_EOS 2u

typedef struct lmp_vocab lmp_vocab;

/* A vocabulary holding the three specials. LMP_ENOMEM on failure (*out NULL). */
lmp_status lmp_vocab_create(lmp_vocab **out, lmp_error *err);

/* NULL is a no-op. */
void lmp_vocab_free(lmp_vocab *v);

/* Id of word s[0..n) (n > 0), adding it when new. LMP_ENOMEM, or LMP_ERANGE
 * past 2^32 - 2 words. */
lmp_status lmp_vocab_add(lmp_vocab *v, const char *s, size_t n, uint32_t *id, lmp_error *err);

/* Id of s[0..n), or -1 when absent. */
int64_t lmp_vocab_find(const lmp_vocab *v, const char *s, size_t n);

/* Number of words, specials included (>= 3). */
size_t lmp_vocab_size(const lmp_vocab *v);

/* NUL-terminated text of id (length in *len if not NULL), NULL when id is out of range. */
const char *lmp_vocab_word(const lmp_vocab *v, uint32_t id, size_t *len);

#endif /* LMPROB_VOCAB_H */
