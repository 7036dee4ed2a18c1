/* Random number streams (include/lmprob/rng.h).
 *
 * xoshiro256** (Blackman & Vigna, "Scrambled linear pseudorandom number
 * generators", ACM TOMS 47(4), 2021; preprint 2018): 256-bit state, period
 * 2^256 - 1, seeded from a 64-bit seed through splitmix64 (Steele, Lea & Flood,
 * "Fast splittable pseudorandom number generators", OOPSLA 2014) so that nearby
 * seeds give unrelated states and the state is never all zero.
 *
 * MT19937 (Matsumoto & Nishimura, ACM TOMACS 8(1), 1998) with init_genrand
 * seeding, as numpy's legacy RandomState uses it: np.random.seed(s) for an
 * integer s in [0, 2^32). random_sample() takes two 32-bit words a, b and
 * returns (a >> 5, b >> 6) as a 53-bit fraction; gauss is the Marsaglia polar
 * method returning the second deviate of each pair first and caching the other
 * (numpy's legacy_gauss), which is what np.random.randn / normal reproduce.
 *
 * The xoshiro normal and exponential deviates use 256-layer ziggurats (Marsaglia
 * & Tsang, "The ziggurat method for generating random variables", J. Stat.
 * Softw. 5(8), 2000); tables in ziggurat_tables.c (src/rng/gen_ziggurat.py). */
#include "lmprob/rng.h"

#include <math.h>
#include <string.h>

#include "ziggurat.h"

static inline uint64_t rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static inline uint64_t xoshiro_next(uint64_t *s)
{
    const uint64_t result = rotl64(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return result;
}

/* ---- MT19937 --------------------------------------------------------------- */

enum { MT_N = 624, MT_M = 397 };

static void mt_init_genrand(lmp_rng *r, uint32_t seed)
{
    r->mt[0] = seed;
    for (int i = 1; i < MT_N; i++)
        r->mt[i] = 1812433253u * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) + (uint32_t)i;
    r->mti = MT_N;
}

/* Regenerate all 624 words at once (the standard "twist"). */
static void mt_twist(uint32_t *mt)
{
    const uint32_t upper = 0x80000000u, lower = 0x7fffffffu, matrix_a = 0x9908b0dfu;
    int k;
    uint32_t y;
    for (k = 0; k < MT_N - MT_M; k++) {
        y = (mt[k] & upper) | (mt[k + 1] & lower);
        mt[k] = mt[k + MT_M] ^ (y >> 1) ^ ((y & 1u) ? matrix_a : 0u);
    }
    for (; k < MT_N - 1; k++) {
        y = (mt[k] & upper) | (mt[k + 1] & lower);
        mt[k] = mt[k + (MT_M - MT_N)] ^ (y >> 1) ^ ((y & 1u) ? matrix_a : 0u);
    }
    y = (mt[MT_N - 1] & upper) | (mt[0] & lower);
    mt[MT_N - 1] = mt[MT_M - 1] ^ (y >> 1) ^ ((y & 1u) ? matrix_a : 0u);
}

static inline __attribute__((always_inline)) uint32_t mt_next32(lmp_rng *r)
{
    if (r->mti >= MT_N) {
        mt_twist(r->mt);
        r->mti = 0;
    }
    uint32_t y = r->mt[r->mti++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

/* numpy's legacy random_sample: 27 + 26 bits, (a * 2^26 + b) / 2^53. */
static inline __attribute__((always_inline)) double mt_double(lmp_rng *r)
{
    uint32_t a = mt_next32(r) >> 5, b = mt_next32(r) >> 6;
    return ((double)a * 67108864.0 + (double)b) / 9007199254740992.0;
}

/* ---- seeding ----------------------------------------------------------------- */

lmp_status lmp_rng_seed(lmp_rng *r, lmp_rng_kind kind, uint64_t seed, lmp_error *err)
{
    if (!r) return lmp_error_set(err, LMP_EINVAL, "rng = NULL: expected a pointer to an lmp_rng");
    if (kind != LMP_RNG_XOSHIRO && kind != LMP_RNG_NUMPY_LEGACY)
        return lmp_error_set(err, LMP_EINVAL, "rng kind = %d: expected LMP_RNG_XOSHIRO (0) or LMP_RNG_NUMPY_LEGACY (1)",
                             (int)kind);
    if (kind == LMP_RNG_NUMPY_LEGACY && seed > 0xffffffffu)
        return lmp_error_set(err, LMP_EINVAL,
                             "seed = %llu: expected a seed between 0 and 2^32 - 1 for the numpy legacy stream "
                             "(as np.random.seed)",
                             (unsigned long long)seed);
    r->kind = kind;
    r->has_gauss = 0;
    r->gauss = 0.0;
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
    if (kind == LMP_RNG_NUMPY_LEGACY) mt_init_genrand(r, (uint32_t)seed);
    else r->mti = 0;
    return LMP_OK;
}

/* MT19937 seeded from an array of keys: init_by_array of Matsumoto and Nishimura's reference
 * implementation (mt19937ar.c, 2002), which numpy's legacy seeding calls for a seed that is a sequence
 * (np.random.RandomState([1, 2, 3])). The state is init_genrand(19650218) mixed with the keys, cycled
 * over max(624, n) words, then mixed once more; word 0 is set to 2^31 so that the state is never zero. */
lmp_status lmp_rng_seed_keys(lmp_rng *r, const uint32_t *keys, size_t n, lmp_error *err)
{
    if (!r) return lmp_error_set(err, LMP_EINVAL, "rng = NULL: expected a pointer to an lmp_rng");
    if (n == 0) return lmp_error_set(err, LMP_EINVAL, "keys: expected at least one 32-bit key");
    if (!keys)
        return lmp_error_set(err, LMP_EINVAL, "seed_keys: keys is NULL (n = %zu): expected an array of n keys", n);
    lmp_status st = lmp_rng_seed(r, LMP_RNG_NUMPY_LEGACY, 19650218u, err);
    if (st) return st;
    uint32_t *mt = r->mt;
    size_t i = 1, j = 0;
    for (size_t k = n > MT_N ? n : MT_N; k > 0; k--) {
        mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525u)) + keys[j] + (uint32_t)j;
        if (++i >= MT_N) {
            mt[0] = mt[MT_N - 1];
            i = 1;
        }
        if (++j >= n) j = 0;
    }
    for (size_t k = MT_N - 1; k > 0; k--) {
        mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1566083941u)) - (uint32_t)i;
        if (++i >= MT_N) {
            mt[0] = mt[MT_N - 1];
            i = 1;
        }
    }
    mt[0] = 0x80000000u;
    r->mti = MT_N;
    return LMP_OK;
}

void lmp_rng_jump(lmp_rng *r)
{
    /* The jump polynomial of xoshiro256 for 2^128 steps (Blackman & Vigna). */
    static const uint64_t jump[4] = {0x180ec6d33cfd0abau, 0xd5a61266f0c9392cu, 0xa9582618e03fc9aau,
                                     0x39abdc4529b1661cu};
    if (r->kind != LMP_RNG_XOSHIRO) return;
    uint64_t t[4] = {0, 0, 0, 0};
    for (int i = 0; i < 4; i++)
        for (int b = 0; b < 64; b++) {
            if (jump[i] & ((uint64_t)1 << b))
                for (int k = 0; k < 4; k++) t[k] ^= r->s[k];
            xoshiro_next(r->s);
        }
    for (int k = 0; k < 4; k++) r->s[k] = t[k];
    r->has_gauss = 0;
}

lmp_status lmp_rng_seed_stream(lmp_rng *r, uint64_t seed, uint64_t stream, lmp_error *err)
{
    lmp_status st = lmp_rng_seed(r, LMP_RNG_XOSHIRO, seed, err);
    if (st) return st;
    if (stream > LMP_RNG_MAX_STREAM)
        return lmp_error_set(err, LMP_EINVAL, "stream = %llu: expected a stream index <= %d", (unsigned long long)stream,
                             LMP_RNG_MAX_STREAM);
    for (uint64_t i = 0; i < stream; i++) lmp_rng_jump(r);
    return LMP_OK;
}

/* ---- draws ---------------------------------------------------------------------- */

/* The draws' cores, inlined into the one-value functions and into the loops of the _n functions (a loop
 * over the exported functions pays a call a value: randint of 10^5 int8 values took 1.3 times numpy's).
 * Each takes the stream's kind as `np` (1: numpy's MT19937): the one-value functions pass r->kind's, the
 * loops test it once and run a loop a kind (RNG_BY_KIND), with nothing left to decide per value. */
#define RNG_INLINE static inline __attribute__((always_inline))
#define RNG_BY_KIND(r, body)                                              \
    do {                                                                  \
        if ((r)->kind == LMP_RNG_NUMPY_LEGACY) {                          \
            const int np = 1;                                             \
            body                                                          \
        } else {                                                          \
            const int np = 0;                                             \
            body                                                          \
        }                                                                 \
    } while (0)

RNG_INLINE uint64_t rng_u64(lmp_rng *r, int np)
{
    if (np) {
        uint64_t hi = mt_next32(r);
        return (hi << 32) | mt_next32(r);
    }
    return xoshiro_next(r->s);
}

RNG_INLINE uint32_t rng_u32(lmp_rng *r, int np)
{
    if (np) return mt_next32(r);
    return (uint32_t)(xoshiro_next(r->s) >> 32); /* the high bits are the best ones */
}

uint64_t lmp_rng_u64(lmp_rng *r) { return rng_u64(r, r->kind == LMP_RNG_NUMPY_LEGACY); }

uint32_t lmp_rng_u32(lmp_rng *r) { return rng_u32(r, r->kind == LMP_RNG_NUMPY_LEGACY); }

double lmp_rng_uniform(lmp_rng *r)
{
    if (r->kind == LMP_RNG_NUMPY_LEGACY) return mt_double(r);
    return (double)(xoshiro_next(r->s) >> 11) * 0x1.0p-53;
}

void lmp_rng_uniform_n(lmp_rng *r, double *out, size_t n)
{
    if (!r || !out) return; /* rng.h: nothing to draw with, or into */
    if (r->kind == LMP_RNG_NUMPY_LEGACY)
        for (size_t i = 0; i < n; i++) out[i] = mt_double(r);
    else
        for (size_t i = 0; i < n; i++) out[i] = (double)(xoshiro_next(r->s) >> 11) * 0x1.0p-53;
}

/* numpy's legacy_gauss: polar method, returns f*x2 and caches f*x1. */
static double legacy_gauss(lmp_rng *r)
{
    if (r->has_gauss) {
        r->has_gauss = 0;
        return r->gauss;
    }
    double x1, x2, r2;
    do {
        x1 = 2.0 * mt_double(r) - 1.0;
        x2 = 2.0 * mt_double(r) - 1.0;
        r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 == 0.0);
    double f = sqrt(-2.0 * log(r2) / r2);
    r->gauss = f * x1;
    r->has_gauss = 1;
    return f * x2;
}

/* Ziggurat (Marsaglia & Tsang 2000) with 256 layers of equal area v. Layer i
 * (1..255) is the box [0, x_i] x [f(x_i), f(x_{i+1})]; layer 0 is the base
 * strip below f(R), R = x_1, plus the tail beyond R, given the pseudo-width
 * x_0 = v / f(R). One 64-bit draw gives the layer (8 bits), the sign (1 bit)
 * and a 53-bit uniform; about 98.8% of draws return after one comparison. */
static double ziggurat_normal(lmp_rng *r)
{
    for (;;) {
        uint64_t u = xoshiro_next(r->s);
        unsigned i = (unsigned)(u & 0xff);
        double sign = (u & 0x100) ? -1.0 : 1.0;
        double z = (double)(u >> 11) * 0x1.0p-53 * lmp_zig_x[i];
        if (z < lmp_zig_x[i + 1]) return (u & 0x100) ? -z : z;
        if (i == 0) {
            /* The tail beyond R: Marsaglia (1964), exponential proposals. */
            double a, b;
            do {
                a = -log1p(-lmp_rng_uniform(r)) / lmp_zig_x[1];
                b = -log1p(-lmp_rng_uniform(r));
            } while (b + b < a * a);
            return sign * (lmp_zig_x[1] + a);
        }
        /* The wedge: accept under the curve. */
        double y = lmp_zig_f[i] + lmp_rng_uniform(r) * (lmp_zig_f[i + 1] - lmp_zig_f[i]);
        if (y < exp(-0.5 * z * z)) return sign * z;
    }
}

double lmp_rng_normal(lmp_rng *r)
{
    if (r->kind == LMP_RNG_NUMPY_LEGACY) return legacy_gauss(r);
    return ziggurat_normal(r);
}

/* Exponential ziggurat, same layout as the normal one with f(x) = exp(-x); the tail
 * beyond R is R + Exp(1) by memorylessness. */
double lmp_rng_exponential(lmp_rng *r)
{
    if (r->kind == LMP_RNG_NUMPY_LEGACY) return -log(1.0 - mt_double(r));
    double shift = 0.0;
    for (;;) {
        uint64_t u = xoshiro_next(r->s);
        unsigned i = (unsigned)(u & 0xff);
        double x = (double)(u >> 11) * 0x1.0p-53 * lmp_zig_ex[i];
        if (x < lmp_zig_ex[i + 1]) return shift + x;
        if (i == 0) {
            shift += lmp_zig_ex[1];
            continue;
        }
        double y = lmp_zig_ef[i] + lmp_rng_uniform(r) * (lmp_zig_ef[i + 1] - lmp_zig_ef[i]);
        if (y < exp(-x)) return shift + x;
    }
}

void lmp_rng_normal_n(lmp_rng *r, double *out, size_t n)
{
    if (!r || !out) return; /* rng.h: nothing to draw with, or into */
    if (r->kind == LMP_RNG_NUMPY_LEGACY) {
        for (size_t i = 0; i < n; i++) out[i] = legacy_gauss(r);
        return;
    }
    /* The ziggurat's fast path inline on a local copy of the state; the rare slow
     * path (~1.2%) hands the state back to ziggurat_normal, which redraws from scratch
     * exactly as a call of lmp_rng_normal would have. */
    uint64_t s[4] = {r->s[0], r->s[1], r->s[2], r->s[3]};
    for (size_t i = 0; i < n; i++) {
        uint64_t keep[4] = {s[0], s[1], s[2], s[3]};
        uint64_t u = xoshiro_next(s);
        unsigned k = (unsigned)(u & 0xff);
        double z = (double)(u >> 11) * 0x1.0p-53 * lmp_zig_x[k];
        if (z < lmp_zig_x[k + 1]) {
            out[i] = (u & 0x100) ? -z : z;
            continue;
        }
        for (int j = 0; j < 4; j++) r->s[j] = keep[j];
        out[i] = ziggurat_normal(r);
        for (int j = 0; j < 4; j++) s[j] = r->s[j];
    }
    for (int j = 0; j < 4; j++) r->s[j] = s[j];
}

RNG_INLINE uint64_t rng_below(lmp_rng *r, int np, uint64_t n)
{
    if (n <= 1) return 0;
    /* Lemire, "Fast random integer generation in an interval", ACM TOMACS 29(1),
     * 2019: multiply-shift with a rejection zone of size 2^64 mod n. */
    uint64_t x = rng_u64(r, np);
    unsigned __int128 m = (unsigned __int128)x * n;
    uint64_t lo = (uint64_t)m;
    if (lo < n) {
        uint64_t t = (0 - n) % n;
        while (lo < t) {
            x = rng_u64(r, np);
            m = (unsigned __int128)x * n;
            lo = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

uint64_t lmp_rng_below(lmp_rng *r, uint64_t n) { return rng_below(r, r->kind == LMP_RNG_NUMPY_LEGACY, n); }

/* The smallest 2^k - 1 >= max (numpy's gen_mask). */
RNG_INLINE uint64_t low_mask(uint64_t max)
{
    uint64_t mask = max;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    mask |= mask >> 32;
    return mask;
}

/* lmp_rng_interval for max >= 1, with max's mask computed once by the caller. */
RNG_INLINE uint64_t rng_interval(lmp_rng *r, int np, uint64_t max, uint64_t mask)
{
    if (!np) return max == UINT64_MAX ? rng_u64(r, 0) : rng_below(r, 0, max + 1);
    /* numpy's masked rejection (numpy/random/src/distributions: random_interval, bounded_masked_uint64,
     * buffered_bounded_masked_uint32): at most 2 draws a value on average, and the only integer method
     * legacy RandomState has, so the one to reproduce. */
    uint64_t v;
    if (max <= 0xFFFFFFFFu) {
        do v = mt_next32(r) & mask;
        while (v > max);
    } else {
        do v = rng_u64(r, 1) & mask;
        while (v > max);
    }
    return v;
}

uint64_t lmp_rng_interval(lmp_rng *r, uint64_t max)
{
    return max == 0 ? 0 : rng_interval(r, r->kind == LMP_RNG_NUMPY_LEGACY, max, low_mask(max));
}

/* The next `width` bits (1 .. 16) of the buffer. numpy's buffered_uint16 / buffered_uint8 /
 * buffered_bounded_bool keep the word and a count of the pieces left and shift before each later piece;
 * counting bits instead gives the same pieces for one width and stays defined when widths are mixed. */
RNG_INLINE uint32_t take_bits(lmp_rng *r, int np, lmp_rng_bits *b, int width)
{
    if (b->left < width) {
        b->word = rng_u32(r, np);
        b->left = 32;
    }
    uint32_t v = b->word & ((UINT32_C(1) << width) - 1);
    b->word >>= width;
    b->left -= width;
    return v;
}

/* numpy's masked rejection on buffered pieces (distributions.c: buffered_bounded_masked_uint16 and
 * _uint8; random_bounded_uint16_fill calls buffered_uint16 unmasked for max = 0xFFFF, the same draw),
 * for max >= 1 and its mask. */
RNG_INLINE uint32_t interval_narrow(lmp_rng *r, int np, uint32_t max, uint32_t mask, lmp_rng_bits *b, int width)
{
    uint32_t v;
    do v = take_bits(r, np, b, width) & mask;
    while (v > max);
    return v;
}

uint16_t lmp_rng_interval16(lmp_rng *r, uint16_t max, lmp_rng_bits *b)
{
    return max == 0 ? 0 : (uint16_t)interval_narrow(r, r->kind == LMP_RNG_NUMPY_LEGACY, max, (uint32_t)low_mask(max), b, 16);
}

uint8_t lmp_rng_interval8(lmp_rng *r, uint8_t max, lmp_rng_bits *b)
{
    return max == 0 ? 0 : (uint8_t)interval_narrow(r, r->kind == LMP_RNG_NUMPY_LEGACY, max, (uint32_t)low_mask(max), b, 8);
}

int lmp_rng_bit(lmp_rng *r, lmp_rng_bits *b) { return (int)take_bits(r, r->kind == LMP_RNG_NUMPY_LEGACY, b, 1); }

/* ---- many values a call ------------------------------------------------------------ */

/* One loop a kind and width; each value wraps at its width as numpy's off + rng does (off + v in the
 * unsigned type of the output). max = 0 draws nothing (every value is off). The buffer of the narrow
 * widths is a local: the stores to out cannot touch it, so it stays in registers. RNG_FILL is the body of
 * each: out[i] = (T)(off + DRAW), DRAW an expression of the kind's `np`. */
#define RNG_FILL(T, DRAW)                                                                  \
    do {                                                                                   \
        if (max == 0) {                                                                    \
            for (size_t i = 0; i < n; i++) out[i] = off;                                   \
            return;                                                                        \
        }                                                                                  \
        RNG_BY_KIND(r, for (size_t i = 0; i < n; i++) out[i] = (T)(off + (DRAW)););        \
    } while (0)

void lmp_rng_interval_n(lmp_rng *r, uint64_t off, uint64_t max, uint64_t *out, size_t n)
{
    if (!r || !out) return; /* rng.h: nothing to draw with, or into */
    const uint64_t mask = low_mask(max);
    RNG_FILL(uint64_t, rng_interval(r, np, max, mask));
}

void lmp_rng_interval32_n(lmp_rng *r, uint32_t off, uint32_t max, uint32_t *out, size_t n)
{
    if (!r || !out) return; /* rng.h: nothing to draw with, or into */
    const uint64_t mask = low_mask(max);
    RNG_FILL(uint32_t, (uint32_t)rng_interval(r, np, max, mask));
}

void lmp_rng_interval16_n(lmp_rng *r, uint16_t off, uint16_t max, uint16_t *out, size_t n)
{
    if (!r || !out) return; /* rng.h: nothing to draw with, or into */
    lmp_rng_bits b = {0};
    const uint32_t mask = (uint32_t)low_mask(max);
    RNG_FILL(uint16_t, interval_narrow(r, np, max, mask, &b, 16));
}

void lmp_rng_interval8_n(lmp_rng *r, uint8_t off, uint8_t max, uint8_t *out, size_t n)
{
    if (!r || !out) return; /* rng.h: nothing to draw with, or into */
    lmp_rng_bits b = {0};
    const uint32_t mask = (uint32_t)low_mask(max);
    RNG_FILL(uint8_t, interval_narrow(r, np, max, mask, &b, 8));
}

void lmp_rng_bit_n(lmp_rng *r, uint8_t *out, size_t n)
{
    if (!r || !out) return; /* rng.h: nothing to draw with, or into */
    lmp_rng_bits b = {0};
    RNG_BY_KIND(r, for (size_t i = 0; i < n; i++) out[i] = (uint8_t)take_bits(r, np, &b, 1););
}

/* Items i and j (each `size` bytes) trade places. */
RNG_INLINE void swap_items(unsigned char *p, size_t i, size_t j, size_t size)
{
    if (size == 8) { /* int64 indices and doubles: the common case, one move each way */
        uint64_t t;
        memcpy(&t, p + i * 8, 8);
        memmove(p + i * 8, p + j * 8, 8);
        memcpy(p + j * 8, &t, 8);
        return;
    }
    unsigned char tmp[64];
    for (size_t o = 0; o < size; o += sizeof tmp) { /* items of any size, a piece at a time */
        const size_t L = size - o < sizeof tmp ? size - o : sizeof tmp;
        memcpy(tmp, p + i * size + o, L);
        memmove(p + i * size + o, p + j * size + o, L);
        memcpy(p + j * size + o, tmp, L);
    }
}

/* numpy's shuffle of a 1-d array (mtrand.pyx RandomState.shuffle, _shuffle_raw): for i = n-1 down to 1,
 * swap item i with item lmp_rng_interval(i). */
void lmp_rng_shuffle(lmp_rng *r, void *items, size_t n, size_t size)
{
    if (!r || !items) return; /* rng.h: nothing to draw with, or into */
    unsigned char *p = items;
    RNG_BY_KIND(r, for (size_t i = n; i-- > 1;) swap_items(p, i, (size_t)rng_interval(r, np, i, low_mask(i)), size););
}
