/* Shared by the evaluations of src/eval (not a public header). */
#ifndef LMPROB_EVAL_INTERNAL_H
#define LMPROB_EVAL_INTERNAL_H

#include "lmprob/eval.h"

/* Check a context, ids[0..n) and the window (defaults applied, as
 * lmp_eval_windows); *span = the longest window the text gives. */
lmp_status eval_check_windows(lmp_lm_ctx *c, const lmp_token_id *ids, size_t n, size_t *window, size_t *stride,
                              size_t *span, lmp_error *err);

/* Start a window: a fresh context holding ids[begin .. first). */
lmp_status eval_window(lmp_lm_ctx *c, const lmp_token_id *ids, size_t begin, size_t first, lmp_error *err);

#endif
