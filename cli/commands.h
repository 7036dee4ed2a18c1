/* The subcommands of `lmprob`. Each lives in cli/cmd_<name>.c (verify in verify.c)
 * and is `int cmd_<name>(int argc, char **argv)` with argv[0] the subcommand name.
 * Declared weak so that the dispatcher lists only the commands this build has. */
#ifndef LMPROB_CLI_COMMANDS_H
#define LMPROB_CLI_COMMANDS_H

#define LMP_COMMANDS(X)                                                                  \
    X(verify, "evaluate golden reference files (scipy/numpy/torch values)")            \
    X(dist, "distributions: pdf/pmf, cdf, sf, quantile, moments, sampling")            \
    X(rng, "random streams: xoshiro256** and numpy's legacy MT19937")                  \
    X(stats, "moments, covariance, correlation, skewness, kurtosis, normality tests")   \
    X(fit, "least-squares polynomial fit and evaluation")                              \
    X(bayes, "joint tables, marginals, conditionals, Bayes' rule, beta-binomial")      \
    X(nn, "initialisers, layer norm, reparameterisation")                              \
    X(experiment, "the chapter's experiments: mc, rule, clt, biasvar, disease")        \
    X(info, "entropy, cross-entropy, KL, JS, perplexity")                              \
    X(decode, "sample next tokens from logits: greedy, temperature, top-k/p, min-p")   \
    X(train, "train an n-gram language model on a corpus")                             \
    X(ppl, "perplexity of a text under a model (n-gram or GPT-2; sliding windows)")    \
    X(generate, "generate text from a model (n-gram or GPT-2)")                         \
    X(next, "the next-token distribution after a prompt: top k, entropy, nucleus")     \
    X(kl, "KL and JS between two models of one vocabulary, position by position")      \
    X(model, "inspect and convert model files (ARPA <-> binary)")                      \
    X(mix, "interpolate n-gram models: EM weights, merged model, on-the-fly ppl")      \
    X(prune, "relative-entropy pruning of an n-gram model (Stolcke 1998)")             \
    X(filter, "restrict an n-gram model to a vocabulary or a text (KenLM's filter)")   \
    X(tokenize, "GPT-2's byte-level BPE: text -> token ids (as tiktoken)")              \
    X(detokenize, "GPT-2 token ids -> text")                                           \
    X(gpt2, "GPT-2 checkpoints: validate and describe, logits of token ids")          \
    X(chapter, "run every code example of the chapter, with corrections")              \
    X(demo, "the main job: models, tables and pictures on a corpus")

#define LMP_DECLARE_CMD(name, summary) int cmd_##name(int argc, char **argv) __attribute__((weak));
LMP_COMMANDS(LMP_DECLARE_CMD)
#undef LMP_DECLARE_CMD

#endif
