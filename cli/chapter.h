/* `lmprob chapter`: shared pieces of the walk-through of the chapter's code
 * examples (cli/cmd_chapter.c, cli/chapter_*.c). Each section prints the
 * quantities the chapter's code prints, computed with lmprob, then notes where
 * the chapter's comments claim something else (../shared/chapter/ERRATA.md). */
#ifndef LMPROB_CLI_CHAPTER_H
#define LMPROB_CLI_CHAPTER_H

#include <stdint.h>
#include <stdio.h>

#include "lmprob.h"
#include "lmprob/rng.h"

#define CH_MAX_NOTES 12

typedef struct ch_ctx {
    FILE *f;
    int json;
    uint64_t seed;          /* for the blocks that do not seed numpy themselves */
    long clt_repeats;       /* b09: repeats of the normality test */
    const char *model;      /* optional n-gram model for the sliding-window section */
    const char *text;       /* ... and the text it scores */
    size_t window, stride;  /* sliding window */
    struct ch_model_run {   /* section 20 on --model/--text, computed before anything is printed */
        int ready;
        int not_ngram;      /* the error: --model is a GPT-2 model (a usage error) */
        size_t tokens;      /* the text as one stream */
        double ppl_sent;    /* lmprob ppl's, sentence by sentence */
        unsigned long long sent_tokens;
        lmp_ppl_result res[LMP_PPL_RECIPES];
    } mrun;
    int nvalues;            /* JSON: values written in the current section */
    int nnotes;
    char *notes[CH_MAX_NOTES];
} ch_ctx;

/* Text mode: print a line (JSON mode: nothing). */
void ch_say(ch_ctx *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* A value: JSON mode writes "key": value; text mode prints nothing (the ch_say line shows it). */
void ch_num(ch_ctx *c, const char *key, double v);
void ch_str(ch_ctx *c, const char *key, const char *s);
/* A correction or caveat: text mode "  note: ...", JSON mode collected into "notes". */
void ch_note(ch_ctx *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Ten draws of np.random.choice(vocab, p=probs): the text line "<label>[w1<sep>w2...]" and the
 * JSON values "<key>_0".."<key>_9". CLI_OK, or ch_fail's status. */
int ch_say_draws(ch_ctx *c, lmp_rng *r, const double *probs, const char *const *vocab, size_t n, const char *label,
                 const char *sep, const char *key);

/* Seed a numpy-legacy stream: the block's own np.random.seed, or c->seed when it has none. */
int ch_seed(ch_ctx *c, lmp_rng *r, long block_seed);

/* Report a library failure inside a section; returns CLI_FAIL. */
int ch_fail(ch_ctx *c, lmp_status st, const lmp_error *err);

/* Sections implemented in cli/chapter_lm.c (the language-model half). */
int ch_b15_greedy(ch_ctx *c);
int ch_b16_temperature(ch_ctx *c);
int ch_b17_topk(ch_ctx *c);
int ch_b18_nucleus(ch_ctx *c);
int ch_b19_perplexity(ch_ctx *c);
int ch_b19_sliding(ch_ctx *c);
/* Section 20's n-gram part (--model, --text): every figure, before the chapter prints a line, so that a
 * bad model or text fails with nothing on stdout. LMP_OK, or an error (err names the file). */
lmp_status ch_model_prepare(ch_ctx *c, lmp_error *err);
int ch_b03_chain(ch_ctx *c);

#endif
