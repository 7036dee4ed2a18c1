/* Random number streams. The state is a caller-owned POD: no global state.
 *
 * Two generators:
 *  - LMP_RNG_XOSHIRO: xoshiro256** (Blackman & Vigna 2018), seeded through
 *    splitmix64; independent streams by lmp_rng_jump (2^128 steps).
 *  - LMP_RNG_NUMPY_LEGACY: numpy's legacy RandomState (MT19937) bit for bit:
 *    np.random.seed(s) then random_sample / randn (polar method with the cached
 *    second deviate) / uniform / choice / binomial give numpy's exact values.
 *
 * Every sampler in lmprob takes an lmp_rng * and draws from it, so any
 * algorithm can run on either stream.
 *
 * The array fillers (lmp_rng_*_n, lmp_rng_shuffle) do nothing, and draw
 * nothing, when the stream or the array is NULL; lmp_rng_seed_keys refuses
 * NULL keys with n > 0 (LMP_EINVAL naming them). */
#ifndef LMPROB_RNG_H
#define LMPROB_RNG_H

#include <stddef.h>
#include <stdint.h>

#include "lmprob/core.h"

LMP_EXTERN_C_BEGIN

typedef enum lmp_rng_kind {
    LMP_RNG_XOSHIRO = 0,
    LMP_RNG_NUMPY_LEGACY = 1
} lmp_rng_kind;

/* Thread safety: a stream is mutable state; one thread at a time per lmp_rng. For
 * threads, give each its own stream (lmp_rng_seed_stream: non-overlapping). */
typedef struct lmp_rng {
    lmp_rng_kind kind;
    uint64_t s[4];      /* xoshiro256** state */
    uint32_t mt[624];   /* MT19937 state (numpy legacy) */
    int mti;            /* MT19937 position */
    int has_gauss;      /* numpy legacy: a cached second normal deviate is waiting */
    double gauss;       /* ... and its value */
} lmp_rng;

/* Seed a stream. numpy legacy takes seeds 0 .. 2^32-1 (as np.random.seed);
 * a larger one is LMP_EINVAL. */
LMP_API lmp_status lmp_rng_seed(lmp_rng *r, lmp_rng_kind kind, uint64_t seed, lmp_error *err);

/* The numpy legacy stream seeded from n >= 1 32-bit keys, as np.random.RandomState(keys) for a
 * sequence of seeds (MT19937's init_by_array). */
LMP_API lmp_status lmp_rng_seed_keys(lmp_rng *r, const uint32_t *keys, size_t n, lmp_error *err);

/* Stream `stream` of seed `seed`: for xoshiro the seeded state jumped `stream`
 * times (non-overlapping for 2^128 draws each), for threads. stream at most
 * LMP_RNG_MAX_STREAM (each jump is 256 steps of work), else LMP_EINVAL. */
#define LMP_RNG_MAX_STREAM 1000000
LMP_API lmp_status lmp_rng_seed_stream(lmp_rng *r, uint64_t seed, uint64_t stream, lmp_error *err);

/* Advance a xoshiro stream by 2^128 draws (no-op for numpy legacy). */
LMP_API void lmp_rng_jump(lmp_rng *r);

LMP_API uint64_t lmp_rng_u64(lmp_rng *r);   /* 64 random bits (numpy legacy: two 32-bit words, high first) */
LMP_API uint32_t lmp_rng_u32(lmp_rng *r);   /* 32 random bits */

/* Uniform double in [0, 1) with 53 random bits; numpy legacy: random_sample(). */
LMP_API double lmp_rng_uniform(lmp_rng *r);

/* Standard normal; numpy legacy: legacy_gauss (polar method, caches the second deviate). */
LMP_API double lmp_rng_normal(lmp_rng *r);

/* Standard exponential (rate 1). xoshiro: a 256-layer ziggurat; numpy legacy:
 * -log(1 - random_sample()), numpy's legacy_standard_exponential. */
LMP_API double lmp_rng_exponential(lmp_rng *r);

/* n uniforms into out[0..n-1]: the values of n calls of lmp_rng_uniform (numpy: random_sample(n)), in one loop. */
LMP_API void lmp_rng_uniform_n(lmp_rng *r, double *out, size_t n);

/* n standard normals into out[0..n-1]: the same values as n calls of lmp_rng_normal,
 * with the xoshiro state kept in registers (about 2x faster for bulk draws). */
LMP_API void lmp_rng_normal_n(lmp_rng *r, double *out, size_t n);

/* Uniform integer in [0, n), n >= 1, without modulo bias. */
LMP_API uint64_t lmp_rng_below(lmp_rng *r, uint64_t n);

/* Uniform integer in [0, max] (max = UINT64_MAX: any 64 bits). numpy legacy: numpy's masked rejection
 * (random_interval, and randint's bounded fill with use_masked), bit for bit: 32-bit words while
 * max < 2^32, else 64-bit words (two 32-bit words, high first), each masked to the smallest 2^k - 1 >= max
 * and redrawn while above max; max = 0 draws nothing. So RandomState.randint(low, high) is
 * low + lmp_rng_interval(r, high - 1 - low), and shuffle / permutation swap item i with item
 * lmp_rng_interval(r, i) for i = n-1 down to 1. xoshiro: lmp_rng_below(max + 1) (Lemire). */
LMP_API uint64_t lmp_rng_interval(lmp_rng *r, uint64_t max);

/* Narrow integers from a 32-bit word shared between draws, as numpy's RandomState.randint makes them for
 * 8-bit, 16-bit and boolean dtypes (numpy/random/src/distributions/distributions.c: buffered_uint8,
 * buffered_uint16, buffered_bounded_bool): each word lmp_rng_u32 gives is used up in pieces of the width
 * drawn, low bits first, what is left kept here for the next draw. numpy starts every randint call with an
 * empty buffer and keeps one for the whole call, so a caller reproducing a call zero-initialises one
 * (lmp_rng_bits b = {0};) and passes it to each draw of the call. Caller-owned, like the stream; widths may
 * be mixed (a draw wider than what is left takes a new word and drops the rest). */
typedef struct lmp_rng_bits {
    uint32_t word;  /* the bits not yet used, lowest next */
    int left;       /* how many: 0 .. 32 (0: the next draw takes a new word) */
} lmp_rng_bits;

/* Uniform integer in [0, max] by masked rejection on 16-bit (8-bit) pieces of the buffer: numpy's
 * buffered_bounded_masked_uint16 / _uint8, bit for bit on the numpy stream; so randint(low, high,
 * dtype=np.int16) is low + lmp_rng_interval16(r, high - 1 - low, &b). max = 0 draws nothing. The same
 * algorithm on xoshiro (the high 32 bits of each output). */
LMP_API uint16_t lmp_rng_interval16(lmp_rng *r, uint16_t max, lmp_rng_bits *b);
LMP_API uint8_t lmp_rng_interval8(lmp_rng *r, uint8_t max, lmp_rng_bits *b);

/* One random bit (0 or 1) from the buffer: numpy's buffered_bounded_bool, so randint(2, dtype=bool) on the
 * numpy stream (randint(0, 1, dtype=bool) draws nothing: the caller's case). */
LMP_API int lmp_rng_bit(lmp_rng *r, lmp_rng_bits *b);

/* n values as one RandomState.randint(low, high, size=n, dtype=...) call draws them, into out[0..n-1]:
 * out[i] = off + (a draw in [0, max]), wrapping at the output's width (off = low, max = high - 1 - low, in
 * the dtype's unsigned type), max = 0 drawing nothing. The 64-bit and 32-bit forms draw as lmp_rng_interval
 * (numpy's random_bounded_uint64_fill / uint32_fill); the 16-bit and 8-bit ones as lmp_rng_interval16 / 8
 * and lmp_rng_bit_n as lmp_rng_bit (n values in {0, 1}: randint(2, dtype=bool)), each on a buffer of its
 * own that starts empty and whose unused bits are dropped at the end, as numpy's buffer lasts one call.
 * The same values and the same stream state as that many one-value calls, at a fraction of their time. */
LMP_API void lmp_rng_interval_n(lmp_rng *r, uint64_t off, uint64_t max, uint64_t *out, size_t n);
LMP_API void lmp_rng_interval32_n(lmp_rng *r, uint32_t off, uint32_t max, uint32_t *out, size_t n);
LMP_API void lmp_rng_interval16_n(lmp_rng *r, uint16_t off, uint16_t max, uint16_t *out, size_t n);
LMP_API void lmp_rng_interval8_n(lmp_rng *r, uint8_t off, uint8_t max, uint8_t *out, size_t n);
LMP_API void lmp_rng_bit_n(lmp_rng *r, uint8_t *out, size_t n);

/* Shuffles items[0..n-1] (each `size` bytes) in place as numpy's RandomState.shuffle does a 1-d array: for
 * i = n-1 down to 1, item i swapped with item lmp_rng_interval(r, i). So permutation(n) is this shuffle of
 * 0, 1, ..., n-1, bit for bit on the numpy stream. */
LMP_API void lmp_rng_shuffle(lmp_rng *r, void *items, size_t n, size_t size);

LMP_EXTERN_C_END

#endif
