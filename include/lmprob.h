/* lmprob: the umbrella header. Include this, or the module headers you need.
 * Modules follow the data: core -> rng -> dist/stats/linalg/bayes/nn/info ->
 * sample -> corpus/vocab -> ngram; tokenizer (GPT-2 BPE) -> gpt2 (a transformer
 * LM); both kinds of model -> lm (one interface with per-sequence contexts) -> eval. */
#ifndef LMPROB_H
#define LMPROB_H

#include "lmprob/core.h"
#include "lmprob/rng.h"
#include "lmprob/dist.h"
#include "lmprob/stats.h"
#include "lmprob/linalg.h"
#include "lmprob/bayes.h"
#include "lmprob/nn.h"
#include "lmprob/info.h"
#include "lmprob/sample.h"
#include "lmprob/corpus.h"
#include "lmprob/vocab.h"
#include "lmprob/ngram_train.h"
#include "lmprob/ngram.h"
#include "lmprob/ngram_tools.h"
#include "lmprob/json.h"
#include "lmprob/tokenizer.h"
#include "lmprob/gpt2.h"
#include "lmprob/lm.h"
#include "lmprob/eval.h"

#endif
