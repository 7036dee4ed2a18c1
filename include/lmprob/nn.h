/* lmprob nn: the chapter's neural-network statistics: weight initialisers
 * (Glorot & Bengio 2010; He et al. 2015), layer normalisation (Ba, Kiros &
 * Hinton 2016) and the VAE reparameterisation trick (Kingma & Welling 2014).
 *
 * Randomness comes only from the lmp_rng passed in. With the numpy-legacy
 * stream the fills reproduce numpy: normal fills draw np.random.normal(0, std)
 * (one legacy gauss per value, std * z), uniform fills np.random.uniform(-b, b)
 * (-b + 2b u per value), reparam draws np.random.randn in order.
 *
 * An array (or the rng) that is NULL while n > 0 values are to be read or
 * written is LMP_EINVAL naming it ("reparam: sigma is NULL (n = 3): ..."); the
 * optional ones (gamma, beta, eps_out) may be NULL. */
#ifndef LMPROB_NN_H
#define LMPROB_NN_H

#include <stddef.h>

#include "lmprob/core.h"
#include "lmprob/rng.h"

LMP_EXTERN_C_BEGIN

/* Glorot/Xavier normal: std = sqrt(2 / (fan_in + fan_out)). NaN if both are 0. */
LMP_API double lmp_nn_xavier_normal_std(double fan_in, double fan_out);
/* Glorot/Xavier uniform: U(-b, b), b = sqrt(6 / (fan_in + fan_out)) (same variance b^2/3). */
LMP_API double lmp_nn_xavier_uniform_bound(double fan_in, double fan_out);
/* He/Kaiming normal for ReLU: std = sqrt(2 / fan_in). NaN if fan_in <= 0. */
LMP_API double lmp_nn_he_normal_std(double fan_in);
/* He/Kaiming uniform for ReLU: b = sqrt(6 / fan_in). */
LMP_API double lmp_nn_he_uniform_bound(double fan_in);

typedef enum lmp_nn_init_kind {
    LMP_NN_XAVIER_NORMAL,
    LMP_NN_XAVIER_UNIFORM,
    LMP_NN_HE_NORMAL,
    LMP_NN_HE_UNIFORM
} lmp_nn_init_kind;

/* Name ("xavier_normal", ...) and its inverse (LMP_EINVAL for an unknown name). */
LMP_API const char *lmp_nn_init_name(lmp_nn_init_kind kind);
LMP_API lmp_status lmp_nn_init_parse(const char *name, lmp_nn_init_kind *kind, lmp_error *err);

/* Fill w[0..n) (n = fan_in * fan_out for a dense layer, any n allowed) from the
 * initialiser. LMP_EINVAL when the scale is undefined: fan_in + fan_out = 0 for Xavier (whose
 * variance 2 / (fan_in + fan_out) takes fan_in = 0), fan_in = 0 for He. */
LMP_API lmp_status lmp_nn_init_fill(lmp_rng *r, lmp_nn_init_kind kind, size_t fan_in, size_t fan_out, double *w,
                                    size_t n, lmp_error *err);

/* Layer norm over one vector: out = (x - mean) / sqrt(var + eps) * gamma + beta,
 * var biased (divisor n), as torch.nn.functional.layer_norm. gamma and beta may
 * be NULL (1 and 0). out may alias x. LMP_EINVAL for n == 0, eps < 0, a
 * non-finite value, or var + eps == 0 (constant x with eps = 0). The moments
 * are taken of x scaled by a power of 2 near max |x|, so x anywhere in the
 * double range works (1e308, -1e308 gives 1, -1; 1e-200, 2e-200, 3e-200 with
 * eps = 0 gives -1.22, 0, 1.22) and the result is torch's where torch's own
 * arithmetic does not overflow. */
LMP_API lmp_status lmp_nn_layer_norm(const double *x, size_t n, double eps, const double *gamma, const double *beta,
                                     double *out, lmp_error *err);

/* Reparameterisation z = mu + eps * sigma, eps ~ N(0, 1) drawn in order from r.
 * sigma >= 0. If eps_out is not NULL it receives the draws. LMP_EINVAL for a
 * negative or non-finite sigma (names the index). */
LMP_API lmp_status lmp_nn_reparam(lmp_rng *r, const double *mu, const double *sigma, size_t n, double *z,
                                  double *eps_out, lmp_error *err);
/* Same with sigma = exp(logvar / 2) (the chapter's vae_reparameterize). */
LMP_API lmp_status lmp_nn_reparam_logvar(lmp_rng *r, const double *mu, const double *logvar, size_t n, double *z,
                                         double *eps_out, lmp_error *err);

LMP_EXTERN_C_END

#endif /* LMPROB_NN_H */
