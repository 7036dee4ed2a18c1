/* Internal: the normal and exponential ziggurat tables (src/rng/ziggurat_tables.c, generated
 * by src/rng/gen_ziggurat.py). x[0] = v / f(R) is the pseudo-width of the base
 * strip, x[1] = R, x[256] = 0; f[i] = exp(-x[i]^2 / 2) with f[0] = 0. */
#ifndef LMPROB_SRC_RNG_ZIGGURAT_H
#define LMPROB_SRC_RNG_ZIGGURAT_H

extern const double lmp_zig_x[257];
extern const double lmp_zig_f[257];
/* The same for the standard exponential, f(x) = exp(-x). */
extern const double lmp_zig_ex[257];
extern const double lmp_zig_ef[257];

#endif
