/* The chapter's mock LM (its mock_lm_probs) as a model of the one interface (lm.h), built on the public vtable
 * (lmp_lm_create) as any user's model is: a toy of the book's, so it lives with the book's code (CLI-private),
 * not in the library. Vocabulary <s> the cat sat </s> (ids 0..4, bos 0, eos 4). Next-token probabilities in the
 * chapter's branch order: after exactly [<s>] (or the empty context) [0, .7, .2, 0, .1]; after "the"
 * [0, 0, .6, .1, .3]; after "cat" [0, 0, 0, .8, .2]; otherwise [0, 0, 0, 0, 1]. Token texts are the five words;
 * it has no tokenizer (ids only). Used by the chapter's block b03 and by tests/test_lm.c. */
#ifndef LMPROB_CLI_CHAPTER_MOCK_LM_H
#define LMPROB_CLI_CHAPTER_MOCK_LM_H

#include "lmprob/lm.h"

enum { CH_MOCK_BOS, CH_MOCK_THE, CH_MOCK_CAT, CH_MOCK_SAT, CH_MOCK_EOS, CH_MOCK_V };

/* A new model (free with lmp_lm_free); its name in lmp_lm_info is "mock". */
lmp_status ch_mock_lm_create(lmp_lm **out, lmp_error *err);

#endif
