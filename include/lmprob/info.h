/* Information theory on probability vectors and logits: logsumexp, softmax,
 * entropy, cross-entropy, KL and Jensen-Shannon divergences, perplexity,
 * cross-entropy loss from logits (PyTorch semantics) and MAP losses.
 *
 * Conventions
 *  - Natural logs (nats) unless a `base` is given: base must be > 0 and != 1
 *    (2 gives bits, 10 bans); LMP_BASE_E gives nats.
 *  - Distribution arguments (entropy, cross-entropy, KL, JS) are normalised by
 *    their sums first, as scipy.stats.entropy does, so counts work too. An
 *    entry that is negative, NaN or infinite, or a zero sum, is a domain error:
 *    the function returns NaN. 0 log 0 = 0; a q = 0 where p > 0 gives +inf.
 *  - Logit arguments may hold -inf (probability 0); NaN is a domain error;
 *    +inf is a domain error for the functions returning a status (softmax), and
 *    gives +inf/NaN as the limit for the scalar ones (logsumexp: +inf).
 *  - Every kernel subtracts the maximum first, so logits of +-1e4 (or 1e308)
 *    stay finite, and accumulates in double (float inputs too).
 *  - Scalar functions return NaN on a domain error; functions that can fail in
 *    more than one way return lmp_status and fill the optional lmp_error.
 *  - No allocation, no global state: every function is reentrant. */
#ifndef LMPROB_INFO_H
#define LMPROB_INFO_H

#include <stddef.h>
#include <stdint.h>

#include "lmprob/core.h"

LMP_EXTERN_C_BEGIN

/* Pass as `base` for natural logs (nats). */
#define LMP_BASE_E 2.71828182845904523536028747135266250

/* ---- log-sum-exp and softmax -------------------------------------------- */

/* log(sum_i exp(a_i)). n = 0 or all -inf -> -inf; any +inf -> +inf; any NaN -> NaN
 * (as torch.logsumexp). */
LMP_API double lmp_logsumexp(const double *a, size_t n);
LMP_API double lmp_logsumexp_f32(const float *a, size_t n);

/* out[i] = exp(x[i] - logsumexp(x)); out may alias x. -inf entries get exactly 0.
 * Errors (LMP_EINVAL): n = 0, a NaN or +inf entry (named with its index), all
 * entries -inf (torch returns NaNs there; lmprob reports it). On error out is
 * left unspecified. The float version uses a vectorised expf (within 2 ulp of
 * libm's; a probability under FLT_MIN, i.e. a logit more than 87.3 below the
 * maximum, is flushed to 0) and a double sum. */
LMP_API lmp_status lmp_softmax(const double *x, size_t n, double *out, lmp_error *err);
LMP_API lmp_status lmp_softmax_f32(const float *x, size_t n, float *out, lmp_error *err);

/* out[i] = x[i] - logsumexp(x); -inf entries stay -inf. Errors as lmp_softmax. */
LMP_API lmp_status lmp_log_softmax(const double *x, size_t n, double *out, lmp_error *err);
LMP_API lmp_status lmp_log_softmax_f32(const float *x, size_t n, float *out, lmp_error *err);

/* softmax(x / T) (Hugging Face's TemperatureLogitsWarper then softmax).
 * T > 0; T = 0 is the limit: a one-hot on the first maximum (greedy);
 * T < 0 or NaN is LMP_EINVAL. */
LMP_API lmp_status lmp_softmax_temperature(const double *x, size_t n, double T, double *out, lmp_error *err);

/* ---- entropies and divergences (distributions are normalised first) ----- */

/* H(p) = -sum p log p / log(base). */
LMP_API double lmp_entropy(const double *p, size_t n, double base);
LMP_API double lmp_entropy_f32(const float *p, size_t n, double base);

/* Entropy in nats of softmax(logits), computed from the logits without forming
 * the probabilities: H = lse - sum softmax_i * x_i. -inf entries contribute 0.
 * NaN, +inf, n = 0 or all -inf -> NaN. */
LMP_API double lmp_entropy_of_logits(const double *logits, size_t n);
LMP_API double lmp_entropy_of_logits_f32(const float *logits, size_t n);

/* H(p, q) = -sum p log q / log(base); terms with p = 0 are 0 (xlogy). */
LMP_API double lmp_cross_entropy(const double *p, const double *q, size_t n, double base);
/* _f32: float32 inputs computed in double, the double variant's value of the widened inputs, bit for
 * bit (likewise lmp_js_divergence_f32, lmp_js_distance_f32). */
LMP_API double lmp_cross_entropy_f32(const float *p, const float *q, size_t n, double base);

/* KL(P || Q) = sum P log(P / Q) / log(base), exact: terms with P = 0 are 0, a
 * term with P > 0 and Q = 0 makes it +inf (scipy.stats.entropy(P, Q)). */
LMP_API double lmp_kl_divergence(const double *P, const double *Q, size_t n, double base);
LMP_API double lmp_kl_divergence_f32(const float *P, const float *Q, size_t n, double base);

/* The chapter's `kl_divergence(P, Q, eps)`: P + eps and Q + eps, each
 * renormalised, then the KL of those (finite wherever the exact one is +inf).
 * eps >= 0 (eps = 0 is the exact KL); the chapter's default is 1e-10. */
LMP_API double lmp_kl_divergence_smoothed(const double *P, const double *Q, size_t n, double eps, double base);
/* The same of float32 inputs, computed in double: the double variant's value of the
 * widened vectors, bit for bit. */
LMP_API double lmp_kl_divergence_smoothed_f32(const float *P, const float *Q, size_t n, double eps, double base);

/* Jensen-Shannon divergence (KL(P||M) + KL(Q||M)) / 2, M = (P+Q)/2, in `base`
 * (at most log(2)/log(base)), and the Jensen-Shannon distance: its square root,
 * which is what scipy.spatial.distance.jensenshannon(P, Q, base) returns. */
LMP_API double lmp_js_divergence(const double *P, const double *Q, size_t n, double base);
LMP_API double lmp_js_distance(const double *P, const double *Q, size_t n, double base);
LMP_API double lmp_js_divergence_f32(const float *P, const float *Q, size_t n, double base);
LMP_API double lmp_js_distance_f32(const float *P, const float *Q, size_t n, double base);

/* ---- perplexity and losses ----------------------------------------------- */

/* exp(-mean(log_probs)), natural-log probabilities; a -inf entry gives +inf;
 * n = 0, NaN or a positive entry (log p > 0) -> NaN. */
LMP_API double lmp_perplexity(const double *log_probs, size_t n);

/* Cross-entropy loss of one example, as torch.nn.functional.cross_entropy:
 *   loss = (1 - s) * (lse(x) - x[target]) + s * (lse(x) - mean_c x_c)
 * with label smoothing s in [0, 1] (PyTorch's formula: the smoothed target puts
 * s / C on every class). No +1e-9 fudge (the chapter's caps the loss at 20.72):
 * the loss of a target with logit -inf is +inf, and with s > 0 so is the loss
 * of any example with a -inf logit (as torch). Errors (LMP_EINVAL): C = 0,
 * target outside [0, C), s outside [0, 1], NaN or +inf logit, all -inf. */
LMP_API lmp_status lmp_ce_loss(const double *logits, size_t C, lmp_token_id target, double label_smoothing,
                               double *loss, lmp_error *err);

/* Mean loss over a batch: logits is N x C row-major, targets[N]; rows whose
 * target equals ignore_index (PyTorch's default -100) are skipped; the mean is
 * over the others, and NaN when every row is ignored (as PyTorch). Errors as
 * lmp_ce_loss, naming the row. */
LMP_API lmp_status lmp_ce_loss_batch(const double *logits, size_t N, size_t C, const lmp_token_id *targets,
                                     lmp_token_id ignore_index, double label_smoothing, double *loss, lmp_error *err);
/* The same for float32 logits, computed in double: the double variant's value of the widened
 * logits, bit for bit. */
LMP_API lmp_status lmp_ce_loss_f32(const float *logits, size_t C, lmp_token_id target, double label_smoothing,
                                   double *loss, lmp_error *err);
LMP_API lmp_status lmp_ce_loss_batch_f32(const float *logits, size_t N, size_t C, const lmp_token_id *targets,
                                         lmp_token_id ignore_index, double label_smoothing, double *loss,
                                         lmp_error *err);

/* MAP losses: the negative log-likelihood of N examples under predicted
 * distributions pred (N x V row-major, each row a probability vector) against
 * targets (N x V, one-hot or soft), averaged over the N EXAMPLES:
 *     NLL = -(1/N) sum_i sum_v t_iv log pred_iv
 * plus the log-prior penalty of the weights w[nw]:
 *     LMP_PRIOR_GAUSSIAN: lambda * sum w^2   (L2, a Gaussian prior)
 *     LMP_PRIOR_LAPLACE:  lambda * sum |w|   (L1, a Laplace prior)
 * (The chapter's `map_loss` takes np.mean over all N*V entries and so divides the
 * NLL by V; `lmprob chapter` shows that reproduction, cli/chapter/map_loss.c.)
 * A pred of 0 where t > 0 gives +inf (no 1e-9 fudge). Errors (LMP_EINVAL):
 * N or V = 0, lambda < 0 or NaN, a pred outside [0, 1], a negative target. */
typedef enum lmp_prior { LMP_PRIOR_GAUSSIAN = 0, LMP_PRIOR_LAPLACE = 1 } lmp_prior;
LMP_API lmp_status lmp_map_loss(const double *pred, const double *targets, size_t N, size_t V, const double *w,
                                size_t nw, double lambda, lmp_prior prior, double *loss, lmp_error *err);

LMP_EXTERN_C_END

#endif
