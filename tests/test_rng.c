/* Random streams: numpy's legacy MT19937 bit for bit, xoshiro256** reproducibility and
 * jumps, uniformity and the normal sampler's distribution.
 * Literal values were produced by numpy 1.24.2 (calls quoted next to them) and, for
 * xoshiro, by an independent Python model of the generator whose jump is the
 * 2^128-th power of the 256x256 GF(2) transition matrix (not the jump polynomial),
 * so the jump constants are checked too. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "lmprob/dist.h"
#include "lmprob/rng.h"
#include "test.h"

static lmp_rng np_seeded(uint64_t seed)
{
    lmp_rng r;
    lmp_status st = lmp_rng_seed(&r, LMP_RNG_NUMPY_LEGACY, seed, NULL);
    CHECK(st == LMP_OK);
    return r;
}

static void test_numpy_random_sample(void)
{
    /* np.random.seed(12345); np.random.random_sample(4); then 996 more; then one */
    const double want[4] = {0.9296160928171479, 0.3163755545817859, 0.18391881167709445, 0.2045602785530397};
    lmp_rng r = np_seeded(12345);
    for (int i = 0; i < 4; i++) CHECK(lmp_rng_uniform(&r) == want[i]);   /* exact: bit for bit */
    for (int i = 0; i < 996; i++) lmp_rng_uniform(&r);                      /* crosses a twist (624 words) */
    CHECK(lmp_rng_uniform(&r) == 0.7976445358842773);
}

static void test_numpy_seed_keys(void)
{
    /* np.random.RandomState(keys).random_sample(3) (numpy 1.24), keys shorter than, and longer
     * than, the 624-word state, and at both ends of the key range */
    static const uint32_t k1[3] = {1, 2, 3}, k2[1] = {0}, k3[2] = {4294967295u, 7};
    static uint32_t k4[700];
    for (uint32_t i = 0; i < 700; i++) k4[i] = i;
    static const struct { const uint32_t *keys; size_t n; double want[3]; } c[] = {
        {k1, 3, {0x1.383fbc97230c2p-1, 0x1.c5fd27a5da181p-1, 0x1.e7c4d155e5af8p-2}},
        {k2, 1, {0x1.b0580f98a7dbep-1, 0x1.84129978f9c1ap-1, 0x1.aeaa51052e978p-2}},
        {k3, 2, {0x1.c7859838e64e3p-1, 0x1.9803044ad62b9p-1, 0x1.c447f5fdf6c6ep-1}},
        {k4, 700, {0x1.bc5d2d9c885aep-1, 0x1.d46ba8b5b281dp-1, 0x1.b528bed04a958p-2}},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        lmp_rng r;
        r.has_gauss = 1; /* seeding clears a cached deviate */
        CHECK(lmp_rng_seed_keys(&r, c[i].keys, c[i].n, NULL) == LMP_OK);
        CHECK(r.kind == LMP_RNG_NUMPY_LEGACY && r.has_gauss == 0);
        for (int j = 0; j < 3; j++) CHECK_MSG(lmp_rng_uniform(&r) == c[i].want[j], "case %zu draw %d", i, j);
    }
    lmp_rng r;
    lmp_error err;
    CHECK(lmp_rng_seed_keys(&r, k1, 0, &err) == LMP_EINVAL && strstr(err.msg, "at least one"));
}

static void test_numpy_u32(void)
{
    /* np.random.RandomState(1).randint(0, 2**32, size=3, dtype=np.uint64): the raw MT19937 words */
    lmp_rng r = np_seeded(1);
    CHECK(lmp_rng_u32(&r) == 1791095845u);
    CHECK(lmp_rng_u32(&r) == 4282876139u);
    CHECK(lmp_rng_u32(&r) == 3093770124u);
    r = np_seeded(1);
    CHECK(lmp_rng_u64(&r) == (((uint64_t)1791095845u << 32) | 4282876139u));
}

static void test_numpy_randn_cache(void)
{
    /* np.random.seed(3); np.random.randn(5): an odd count leaves a cached deviate */
    const double want[5] = {1.7886284734303186, 0.43650985051198943, 0.09649746807200862, -1.8634927033644908,
                            -0.27738820251439905};
    lmp_rng r = np_seeded(3);
    for (int i = 0; i < 5; i++) CHECK(lmp_rng_normal(&r) == want[i]);
    CHECK(r.has_gauss == 1);
    /* np.random.seed(7); np.random.normal(3, 2, 3) */
    r = np_seeded(7);
    CHECK(lmp_normal_sample(&r, 3, 2) == 6.381051407600712);
    CHECK(lmp_normal_sample(&r, 3, 2) == 2.0681252589183345);
    CHECK(lmp_normal_sample(&r, 3, 2) == 3.0656403273571686);
    /* Re-seeding clears the cached deviate, as np.random.seed does. */
    lmp_rng_seed(&r, LMP_RNG_NUMPY_LEGACY, 3, NULL);
    CHECK(r.has_gauss == 0 && lmp_rng_normal(&r) == want[0]);
}

static void test_numpy_exponential(void)
{
    /* np.random.seed(5); np.random.exponential(1.0, 3): legacy -log(1 - random_sample()) */
    lmp_rng r = np_seeded(5);
    CHECK(lmp_rng_exponential(&r) == 0.2510199773226526);
    CHECK(lmp_rng_exponential(&r) == 2.0458698788498744);
    CHECK(lmp_rng_exponential(&r) == 0.23157796536609507);
}

/* Poisson (PTRS), gamma (Marsaglia-Tsang on the legacy gauss) and Dirichlet on numpy's stream. */
static void test_numpy_poisson_gamma_dirichlet(void)
{
    /* np.random.seed(31); np.random.poisson(25.0, 8) */
    const long pois[8] = {22, 20, 33, 16, 17, 28, 13, 24};
    lmp_rng r = np_seeded(31);
    for (int i = 0; i < 8; i++) CHECK(lmp_poisson_sample(&r, 25.0) == pois[i]);
    /* np.random.seed(32); np.random.gamma(4.0, 0.5, 3) */
    r = np_seeded(32);
    CHECK(lmp_gamma_sample(&r, 4.0, 0.5) == 1.5191694913774796);
    CHECK(lmp_gamma_sample(&r, 4.0, 0.5) == 2.945642240093692);
    CHECK(lmp_gamma_sample(&r, 4.0, 0.5) == 2.683069674516116);
    /* np.random.seed(33); np.random.dirichlet([2.0, 1.0, 3.0]) */
    const double alpha[3] = {2.0, 1.0, 3.0};
    double x[3];
    r = np_seeded(33);
    CHECK(lmp_dirichlet_sample(&r, alpha, 3, x, NULL) == LMP_OK);
    CHECK(x[0] == 0.5363030107165926 && x[1] == 0.12554530032834255 && x[2] == 0.3381516889550649);
}

/* Below shape 1 the numpy stream takes numpy's own samplers: legacy_standard_gamma's rejection, Johnk's
 * beta where both shapes are <= 1, the Dirichlet of those gammas, and random_laplace's 2 - u - u (values
 * from numpy 1.24.2, calls quoted). Before, each was lmprob's algorithm on both streams. */
static void test_numpy_small_shapes(void)
{
    /* RandomState(34).gamma(0.3, 2.0, 4) */
    const double g[4] = {3.8745075956481464e-05, 0.0007211424927086218, 1.2886230417894075e-06, 0.11686359146921789};
    lmp_rng r = np_seeded(34);
    for (int i = 0; i < 4; i++) CHECK_MSG(lmp_gamma_sample(&r, 0.3, 2.0) == g[i], "gamma draw %d", i);
    /* RandomState(35).beta(0.5, 0.7, 4): Johnk */
    const double b[4] = {0.5297677807265326, 0.2507268515440299, 0.9389007189711712, 0.7108656613616947};
    r = np_seeded(35);
    for (int i = 0; i < 4; i++) CHECK_MSG(lmp_beta_sample(&r, 0.5, 0.7) == b[i], "beta draw %d", i);
    /* RandomState(36).beta(0.4, 2.5, 3): two gammas, one of them below shape 1 */
    const double b2[3] = {0.24859271290205912, 0.007817848825607739, 0.7699240640032919};
    r = np_seeded(36);
    for (int i = 0; i < 3; i++) CHECK_MSG(lmp_beta_sample(&r, 0.4, 2.5) == b2[i], "beta draw %d", i);
    /* RandomState(37).dirichlet([0.2, 0.5, 3.0]) */
    const double alpha[3] = {0.2, 0.5, 3.0};
    double x[3];
    r = np_seeded(37);
    CHECK(lmp_dirichlet_sample(&r, alpha, 3, x, NULL) == LMP_OK);
    CHECK(x[0] == 0.17904993451464735 && x[1] == 0.005059132130709733 && x[2] == 0.815890933354643);
    /* RandomState(6).laplace(0.0, 1.0): its uniform is >= 0.5 with an odd last bit, where 2 - u - u and
     * 2 (1 - u) differ (-log of the latter: 1.5404731214107499) */
    r = np_seeded(6);
    CHECK(lmp_laplace_sample(&r, 0.0, 1.0) == 1.5404731214107503);
    /* RandomState(0).binomial(5, 0.0) and binomial(0, 0.5) are 0 after one uniform (numpy's inversion runs),
     * so the next random_sample is the stream's second value; here it was the first */
    r = np_seeded(0);
    CHECK(lmp_binomial_sample(&r, 5, 0.0) == 0 && lmp_rng_uniform(&r) == 0.7151893663724195);
    r = np_seeded(0);
    CHECK(lmp_binomial_sample(&r, 0, 0.5) == 0 && lmp_rng_uniform(&r) == 0.7151893663724195);
    long zeros[3];
    r = np_seeded(0);
    CHECK(lmp_binomial_sample_n(&r, 4, 0.0, zeros, 3, NULL) == LMP_OK && zeros[2] == 0);
    CHECK(lmp_rng_uniform(&r) == 0.5448831829968969); /* RandomState(0).random_sample(4)[3] */
    /* RandomState(38).dirichlet([1e-300, 1e-300]) is NaN (every gamma rounds to 0, numpy's 0/0); here a
     * point of the simplex, drawn in log space */
    const double tiny[2] = {1e-300, 1e-300};
    r = np_seeded(38);
    for (int i = 0; i < 3; i++) {
        CHECK(lmp_dirichlet_sample(&r, tiny, 2, x, NULL) == LMP_OK);
        CHECK_MSG(x[0] >= 0 && x[1] >= 0 && x[0] + x[1] == 1.0, "draw %d: %g %g", i, x[0], x[1]);
    }
}

/* Bulk normals and uniforms are the same values as one call at a time, on both streams. */
static void test_normal_n_matches(void)
{
    for (int kind = 0; kind < 2; kind++) {
        lmp_rng a, b;
        lmp_rng_seed(&a, (lmp_rng_kind)kind, 123, NULL);
        b = a;
        double buf[5001];
        lmp_rng_normal_n(&a, buf, 5001);
        int same = 1;
        for (int i = 0; i < 5001; i++) same &= buf[i] == lmp_rng_normal(&b);
        CHECK_MSG(same, "kind %d", kind);
        CHECK(lmp_rng_u64(&a) == lmp_rng_u64(&b));   /* and the streams stay in step */
        lmp_rng_uniform_n(&a, buf, 5001);
        same = 1;
        for (int i = 0; i < 5001; i++) same &= buf[i] == lmp_rng_uniform(&b);
        CHECK_MSG(same, "uniform, kind %d", kind);
        CHECK(lmp_rng_u64(&a) == lmp_rng_u64(&b));
    }
}

static void test_numpy_choice_binomial(void)
{
    /* np.random.seed(99); np.random.choice(6, size=15, p=[0.1, 0, 0.3, 0.2, 0.25, 0.15]) */
    const double p[6] = {0.1, 0, 0.3, 0.2, 0.25, 0.15};
    const size_t want[15] = {4, 3, 4, 0, 4, 3, 2, 0, 5, 0, 4, 4, 2, 3, 5};
    lmp_rng r = np_seeded(99);
    for (int i = 0; i < 15; i++) CHECK(lmp_categorical_sample(&r, p, 6) == want[i]);
    /* np.random.seed(2024); np.random.binomial(1000, 0.3, 12): BTPE (n p = 300 > 30) */
    const long btpe[12] = {305, 307, 306, 308, 279, 298, 311, 313, 308, 290, 305, 291};
    r = np_seeded(2024);
    for (int i = 0; i < 12; i++) CHECK(lmp_binomial_sample(&r, 1000, 0.3) == btpe[i]);
    /* np.random.seed(2024); np.random.binomial(100, 0.97, 12): inversion on q = 0.03, n - X */
    const long flip[12] = {97, 96, 99, 100, 98, 99, 96, 96, 97, 97, 100, 96};
    r = np_seeded(2024);
    for (int i = 0; i < 12; i++) CHECK(lmp_binomial_sample(&r, 100, 0.97) == flip[i]);
}

static void test_numpy_seed_range(void)
{
    lmp_rng r;
    lmp_error e;
    CHECK(lmp_rng_seed(&r, LMP_RNG_NUMPY_LEGACY, 4294967295u, &e) == LMP_OK);
    CHECK(lmp_rng_seed(&r, LMP_RNG_NUMPY_LEGACY, 4294967296u, &e) == LMP_EINVAL);
    CHECK(strstr(e.msg, "4294967296") != NULL && strstr(e.msg, "2^32 - 1") != NULL);
    CHECK(lmp_rng_seed(&r, (lmp_rng_kind)7, 1, &e) == LMP_EINVAL);
    CHECK(lmp_rng_seed(NULL, LMP_RNG_XOSHIRO, 1, &e) == LMP_EINVAL);
}

static void test_xoshiro_values_and_jump(void)
{
    lmp_rng r;
    CHECK(lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 42, NULL) == LMP_OK);
    lmp_rng copy = r;
    CHECK(lmp_rng_u64(&r) == 0x15780b2e0c2ec716u);
    CHECK(lmp_rng_u64(&r) == 0x6104d9866d113a7eu);
    CHECK(lmp_rng_u64(&r) == 0xae17533239e499a1u);
    /* Jump from the freshly seeded state: state and first output from the matrix power. */
    lmp_rng_jump(&copy);
    CHECK(copy.s[0] == 0x81746704fde896b5u && copy.s[1] == 0x645e944932dae0aeu);
    CHECK(copy.s[2] == 0xf4776829231c282cu && copy.s[3] == 0x2393f9798732dba1u);
    CHECK(lmp_rng_u64(&copy) == 0x50086ef83cbf4f4au);
    /* seed_stream(s, k) = seed then k jumps; streams differ. */
    lmp_rng s0, s1, s1b;
    CHECK(lmp_rng_seed_stream(&s0, 42, 0, NULL) == LMP_OK);
    CHECK(lmp_rng_seed_stream(&s1, 42, 1, NULL) == LMP_OK);
    lmp_rng_seed(&s1b, LMP_RNG_XOSHIRO, 42, NULL);
    lmp_rng_jump(&s1b);
    uint64_t a = lmp_rng_u64(&s0), b = lmp_rng_u64(&s1);
    CHECK(a == 0x15780b2e0c2ec716u && b == 0x50086ef83cbf4f4au && b == lmp_rng_u64(&s1b));
    /* Same seed, same sequence; a different seed, a different one. */
    lmp_rng x, y;
    lmp_rng_seed(&x, LMP_RNG_XOSHIRO, 7, NULL);
    lmp_rng_seed(&y, LMP_RNG_XOSHIRO, 7, NULL);
    int same = 1;
    for (int i = 0; i < 1000; i++) same &= lmp_rng_normal(&x) == lmp_rng_normal(&y);
    CHECK(same);
    lmp_rng_seed(&y, LMP_RNG_XOSHIRO, 8, NULL);
    CHECK(lmp_rng_u64(&x) != lmp_rng_u64(&y));
}

/* Uniform: chi-square over 100 bins, 10^6 draws, both streams. 99 degrees of freedom:
 * mean 99, sd 14; the bound 99 + 5 sd = 169 fails a correct generator with probability ~1e-6. */
static void test_uniform_chisq(void)
{
    for (int kind = 0; kind < 2; kind++) {
        lmp_rng r;
        lmp_rng_seed(&r, (lmp_rng_kind)kind, 2026, NULL);
        long cnt[100] = {0};
        const long n = 1000000;
        for (long i = 0; i < n; i++) {
            double u = lmp_rng_uniform(&r);
            CHECK(u >= 0 && u < 1);
            cnt[(int)(u * 100)]++;
        }
        double chi = 0;
        for (int b = 0; b < 100; b++) chi += (cnt[b] - n / 100.0) * (cnt[b] - n / 100.0) / (n / 100.0);
        CHECK_MSG(chi < 169, "kind %d: chi2 = %g", kind, chi);
    }
}

/* below(n): every value in range, counts within 5 sigma for a non-power-of-two n. */
static void test_below(void)
{
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 5, NULL);
    long cnt[7] = {0};
    const long n = 700000;
    for (long i = 0; i < n; i++) {
        uint64_t v = lmp_rng_below(&r, 7);
        CHECK(v < 7);
        cnt[v < 7 ? v : 0]++;
    }
    double sd = sqrt(n * (1.0 / 7) * (6.0 / 7));
    for (int i = 0; i < 7; i++) CHECK_MSG(fabs(cnt[i] - n / 7.0) < 5 * sd, "count[%d] = %ld", i, cnt[i]);
    CHECK(lmp_rng_below(&r, 1) == 0 && lmp_rng_below(&r, 0) == 0);
    /* Huge n: the multiply-shift path with rejection. */
    uint64_t big = (UINT64_C(1) << 63) + 12345;
    for (int i = 0; i < 1000; i++) CHECK(lmp_rng_below(&r, big) < big);
}

/* lmp_rng_interval on numpy's stream is RandomState.randint / shuffle's draw (values from numpy 1.24:
 * RandomState(0).randint(10, size=6), randint(2**40 + 3, size=3), randint(-2**63, 2**63 - 1, size=2), then
 * random_sample(); RandomState(7).shuffle(arange(8))). On xoshiro: in range, and max = 0 draws nothing. */
static void test_interval(void)
{
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_NUMPY_LEGACY, 0, NULL);
    static const int64_t small[6] = {5, 0, 3, 3, 7, 9};
    for (int i = 0; i < 6; i++) CHECK(lmp_rng_interval(&r, 9) == (uint64_t)small[i]);
    static const int64_t wide[3] = {909012193557, 1041261508388, 377492290630};
    for (int i = 0; i < 3; i++) CHECK(lmp_rng_interval(&r, (UINT64_C(1) << 40) + 2) == (uint64_t)wide[i]);
    static const int64_t full[2] = {-8177202283848492456, -4193751150162790086};
    for (int i = 0; i < 2; i++) /* [-2^63, 2^63 - 2]: off = -2^63, max = 2^64 - 2 */
        CHECK((int64_t)(lmp_rng_interval(&r, UINT64_MAX - 1) + (UINT64_C(1) << 63)) == full[i]);
    CHECK(lmp_rng_interval(&r, 0) == 0); /* draws nothing: the next uniform is numpy's */
    CHECK(lmp_rng_uniform(&r) == 0x1.e9210b65573eep-2);
    lmp_rng_seed(&r, LMP_RNG_NUMPY_LEGACY, 7, NULL);
    int q[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    for (int i = 7; i >= 1; i--) {
        int j = (int)lmp_rng_interval(&r, (uint64_t)i), t = q[i];
        q[i] = q[j];
        q[j] = t;
    }
    static const int want[8] = {2, 5, 0, 6, 3, 1, 4, 7};
    for (int i = 0; i < 8; i++) CHECK_MSG(q[i] == want[i], "shuffle[%d] = %d", i, q[i]);
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 3, NULL);
    lmp_rng s = r;
    CHECK(lmp_rng_interval(&r, 0) == 0);
    CHECK(lmp_rng_u64(&r) == lmp_rng_u64(&s));
    int seen[5] = {0};
    for (int i = 0; i < 1000; i++) {
        uint64_t v = lmp_rng_interval(&r, 4);
        CHECK(v <= 4);
        seen[v <= 4 ? v : 0] = 1;
    }
    for (int i = 0; i < 5; i++) CHECK(seen[i]);
    (void)lmp_rng_interval(&r, UINT64_MAX); /* any 64 bits: no max + 1 overflow */
}

/* lmp_rng_interval8 / 16 and lmp_rng_bit on numpy's stream are randint for the 8-bit, 16-bit and boolean
 * dtypes, one buffer a call (values from numpy 1.24: RandomState(0).randint(10, size=9, dtype=np.uint8),
 * randint(-5, 300, size=5, dtype=np.int16), randint(2, size=40, dtype=bool), randint(256, size=5,
 * dtype=np.uint8), randint(65536, size=3, dtype=np.uint16), then random_sample()). The pieces are those of
 * lmp_rng_u32's words, low end first; on xoshiro every value is reached. */
static void test_interval_narrow(void)
{
    lmp_rng r = np_seeded(0);
    lmp_rng_bits b = {0};
    static const int u8[9] = {4, 7, 5, 6, 6, 7, 0, 1, 8};
    for (int i = 0; i < 9; i++) CHECK_MSG(lmp_rng_interval8(&r, 9, &b) == u8[i], "uint8[%d]", i);
    b = (lmp_rng_bits){0};
    static const int i16[5] = {73, 246, 190, 224, 4};
    for (int i = 0; i < 5; i++) CHECK_MSG(lmp_rng_interval16(&r, 304, &b) - 5 == i16[i], "int16[%d]", i);
    b = (lmp_rng_bits){0};
    static const char bits[] = "1100101101111011100001011111100110101000";
    for (int i = 0; i < 40; i++) CHECK_MSG(lmp_rng_bit(&r, &b) == bits[i] - '0', "bool[%d]", i);
    b = (lmp_rng_bits){0};
    static const int full8[5] = {242, 214, 102, 98, 36};
    for (int i = 0; i < 5; i++) CHECK_MSG(lmp_rng_interval8(&r, 255, &b) == full8[i], "uint8 full[%d]", i);
    b = (lmp_rng_bits){0};
    static const int full16[3] = {14935, 19499, 15430};
    for (int i = 0; i < 3; i++) CHECK_MSG(lmp_rng_interval16(&r, 65535, &b) == full16[i], "uint16 full[%d]", i);
    CHECK(lmp_rng_interval16(&r, 0, &b) == 0 && lmp_rng_interval8(&r, 0, &b) == 0); /* draw nothing */
    CHECK(lmp_rng_uniform(&r) == 0x1.d097bbdaca690p-5);

    /* the pieces of one word: 2 halves, 4 bytes, 32 bits, low first; a wider draw than what is left
     * takes the next word */
    lmp_rng s = np_seeded(5), t = s;
    uint32_t w0 = lmp_rng_u32(&t), w1 = lmp_rng_u32(&t);
    b = (lmp_rng_bits){0};
    CHECK(lmp_rng_interval16(&s, 65535, &b) == (w0 & 0xFFFF));
    CHECK(lmp_rng_interval8(&s, 255, &b) == ((w0 >> 16) & 0xFF));
    for (int i = 24; i < 32; i++) CHECK(lmp_rng_bit(&s, &b) == (int)((w0 >> i) & 1));
    CHECK(lmp_rng_interval16(&s, 65535, &b) == (w1 & 0xFFFF));
    CHECK(b.left == 16);

    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 3, NULL);
    b = (lmp_rng_bits){0};
    int seen[6] = {0}, ones = 0;
    for (int i = 0; i < 1000; i++) {
        unsigned v = lmp_rng_interval8(&r, 5, &b), w = lmp_rng_interval16(&r, 5, &b);
        CHECK(v <= 5 && w <= 5);
        seen[v <= 5 ? v : 0] = seen[w <= 5 ? w : 0] = 1;
        ones += lmp_rng_bit(&r, &b);
    }
    for (int i = 0; i < 6; i++) CHECK(seen[i]);
    CHECK_MSG(ones > 400 && ones < 600, "ones %d of 1000", ones); /* 6.3 standard deviations */
}

/* The many-value forms against the one-value ones: the same values and the same stream after them, on both
 * kinds, for spans that reject often (max just above a power of two), never (max = 2^k - 1), or draw nothing
 * (max = 0), with offsets that wrap at the width (numpy's off + rng in the unsigned type). The narrow forms
 * start a buffer of their own, empty, as one randint call; lmp_rng_shuffle is the loop of test_interval's
 * shuffle (and numpy's: RandomState(7).shuffle(arange(8))); lmp_binomial_sample_n is lmp_binomial_sample
 * count times (inversion, BTPE, p > 1/2 and the ends), and refuses what lmp_binomial_sample cannot draw. */
static void test_interval_n(void)
{
    enum { N = 3001 };
    static uint64_t o64[N];
    static uint32_t o32[N];
    static uint16_t o16[N];
    static uint8_t o8[N];
    static const uint64_t spans[] = {0, 1, 2, 5, 9, 128, 255, 256, 65535, 65536, 4294967295u, 4294967296u,
                                     (UINT64_C(1) << 40) + 2, UINT64_MAX - 1, UINT64_MAX};
    for (int kind = 0; kind < 2; kind++) {
        for (size_t k = 0; k < sizeof spans / sizeof *spans; k++) {
            const uint64_t m = spans[k], off = UINT64_MAX - 7; /* every sum past 7 wraps */
            lmp_rng a, b;
            lmp_rng_seed(&a, kind ? LMP_RNG_NUMPY_LEGACY : LMP_RNG_XOSHIRO, 11 + k, NULL);
            b = a;
            lmp_rng_interval_n(&a, off, m, o64, N);
            int same = 1;
            for (int i = 0; i < N; i++) same &= o64[i] == off + lmp_rng_interval(&b, m);
            CHECK_MSG(same && lmp_rng_u64(&a) == lmp_rng_u64(&b), "kind %d 64-bit max %llu", kind,
                      (unsigned long long)m);
            if (m <= UINT32_MAX) {
                b = a;
                lmp_rng_interval32_n(&a, (uint32_t)off, (uint32_t)m, o32, N);
                same = 1;
                for (int i = 0; i < N; i++) same &= o32[i] == (uint32_t)((uint32_t)off + lmp_rng_interval(&b, m));
                CHECK_MSG(same && lmp_rng_u64(&a) == lmp_rng_u64(&b), "kind %d 32-bit max %llu", kind,
                          (unsigned long long)m);
            }
            if (m <= UINT16_MAX) {
                b = a;
                lmp_rng_interval16_n(&a, (uint16_t)off, (uint16_t)m, o16, N);
                lmp_rng_bits bits = {0};
                same = 1;
                for (int i = 0; i < N; i++)
                    same &= o16[i] == (uint16_t)((uint16_t)off + lmp_rng_interval16(&b, (uint16_t)m, &bits));
                CHECK_MSG(same && lmp_rng_u64(&a) == lmp_rng_u64(&b), "kind %d 16-bit max %llu", kind,
                          (unsigned long long)m);
            }
            if (m <= UINT8_MAX) {
                b = a;
                lmp_rng_interval8_n(&a, (uint8_t)off, (uint8_t)m, o8, N);
                lmp_rng_bits bits = {0};
                same = 1;
                for (int i = 0; i < N; i++)
                    same &= o8[i] == (uint8_t)((uint8_t)off + lmp_rng_interval8(&b, (uint8_t)m, &bits));
                CHECK_MSG(same && lmp_rng_u64(&a) == lmp_rng_u64(&b), "kind %d 8-bit max %llu", kind,
                          (unsigned long long)m);
            }
        }
        lmp_rng a, b;
        lmp_rng_seed(&a, kind ? LMP_RNG_NUMPY_LEGACY : LMP_RNG_XOSHIRO, 5, NULL);
        b = a;
        lmp_rng_bit_n(&a, o8, N);
        lmp_rng_bits bits = {0};
        int same = 1;
        for (int i = 0; i < N; i++) same &= o8[i] == lmp_rng_bit(&b, &bits);
        CHECK_MSG(same && lmp_rng_u64(&a) == lmp_rng_u64(&b), "kind %d bits", kind);
    }
    /* numpy's values through the many-value forms: RandomState(0).randint(10, size=9, dtype=np.uint8),
     * randint(-5, 300, size=5, dtype=np.int16) and randint(2, size=40, dtype=bool) (test_interval_narrow) */
    lmp_rng r = np_seeded(0);
    static const uint8_t u8[9] = {4, 7, 5, 6, 6, 7, 0, 1, 8};
    lmp_rng_interval8_n(&r, 0, 9, o8, 9);
    for (int i = 0; i < 9; i++) CHECK_MSG(o8[i] == u8[i], "uint8[%d]", i);
    static const int16_t i16[5] = {73, 246, 190, 224, 4};
    lmp_rng_interval16_n(&r, (uint16_t)-5, 304, o16, 5);
    for (int i = 0; i < 5; i++) CHECK_MSG((int16_t)o16[i] == i16[i], "int16[%d] = %d", i, (int16_t)o16[i]);
    static const char bitv[] = "1100101101111011100001011111100110101000";
    lmp_rng_bit_n(&r, o8, 40);
    for (int i = 0; i < 40; i++) CHECK_MSG(o8[i] == bitv[i] - '0', "bool[%d]", i);

    r = np_seeded(7);
    int64_t q[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    lmp_rng_shuffle(&r, q, 8, sizeof *q);
    static const int64_t want[8] = {2, 5, 0, 6, 3, 1, 4, 7};
    for (int i = 0; i < 8; i++) CHECK_MSG(q[i] == want[i], "shuffle[%d] = %lld", i, (long long)q[i]);
    /* items of other sizes (3 bytes, and 100: more than the 64-byte piece) move whole, by the same swaps */
    unsigned char t3[8][3], t100[8][100];
    for (int i = 0; i < 8; i++) {
        for (int j = 0; j < 3; j++) t3[i][j] = (unsigned char)(i * 3 + j);
        for (int j = 0; j < 100; j++) t100[i][j] = (unsigned char)(i + 8 * (j % 30));
    }
    r = np_seeded(7);
    lmp_rng_shuffle(&r, t3, 8, 3);
    r = np_seeded(7);
    lmp_rng_shuffle(&r, t100, 8, 100);
    for (int i = 0; i < 8; i++) {
        int ok3 = 1, ok100 = 1;
        for (int j = 0; j < 3; j++) ok3 &= t3[i][j] == (unsigned char)(want[i] * 3 + j);
        for (int j = 0; j < 100; j++) ok100 &= t100[i][j] == (unsigned char)(want[i] + 8 * (j % 30));
        CHECK_MSG(ok3 && ok100, "item %d of 3 and 100 bytes", i);
    }
    lmp_rng_shuffle(&r, NULL, 0, 8); /* nothing to do */
    lmp_rng_shuffle(&r, q, 1, 8);
    CHECK(q[0] == 2);

    static long kv[2000];
    static const struct { long n; double p; } bp[] = {{1000, 0.3}, {100, 0.97}, {10, 0.3}, {0, 0.4}, {50, 0.0},
                                                       {50, 1.0}, {100000, 0.5}, {61, 0.5}};
    for (size_t k = 0; k < sizeof bp / sizeof *bp; k++) {
        lmp_rng a = np_seeded(2024), b = a;
        CHECK(lmp_binomial_sample_n(&a, bp[k].n, bp[k].p, kv, 2000, NULL) == LMP_OK);
        int same = 1;
        for (int i = 0; i < 2000; i++) same &= kv[i] == lmp_binomial_sample(&b, bp[k].n, bp[k].p);
        CHECK_MSG(same && lmp_rng_u64(&a) == lmp_rng_u64(&b), "binomial(%ld, %g)", bp[k].n, bp[k].p);
    }
    lmp_error err = {0};
    CHECK(lmp_binomial_sample_n(&r, -1, 0.5, kv, 1, &err) == LMP_EINVAL && err.msg[0]);
    CHECK(lmp_binomial_sample_n(&r, 5, 1.5, kv, 1, NULL) == LMP_EINVAL);
    CHECK(lmp_binomial_sample_n(&r, 5, 0.5, NULL, 1, NULL) == LMP_EINVAL);
    CHECK(lmp_binomial_sample_n(&r, 5, 0.5, NULL, 0, NULL) == LMP_OK);
}

/* The ziggurat normal: mean, variance, skewness, kurtosis and tail frequencies over 4e6 draws.
 * Each moment bound is 5 standard errors (sd of the sample mean 1/2000, of the variance
 * sqrt(2)/2000, of the skewness sqrt(6)/2000, of the excess kurtosis sqrt(24)/2000). The tail
 * counts test the ziggurat's base strip and tail code: P(|Z| > 3.6541528853610088) = 2.58e-4. */
static void test_normal_moments(void)
{
    for (int kind = 0; kind < 2; kind++) {
        lmp_rng r;
        lmp_rng_seed(&r, (lmp_rng_kind)kind, 11, NULL);
        const long n = 4000000;
        double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
        long tail = 0, beyond4 = 0;
        for (long i = 0; i < n; i++) {
            double z = lmp_rng_normal(&r);
            s1 += z;
            s2 += z * z;
            s3 += z * z * z;
            s4 += z * z * z * z;
            tail += fabs(z) > 3.6541528853610088;
            beyond4 += fabs(z) > 4.0;
        }
        double m = s1 / n, v = s2 / n - m * m, sk = s3 / n, ku = s4 / n - 3;
        double se = 1.0 / sqrt((double)n);
        CHECK_MSG(fabs(m) < 5 * se, "kind %d mean %g", kind, m);
        CHECK_MSG(fabs(v - 1) < 5 * sqrt(2.0) * se, "kind %d var %g", kind, v);
        CHECK_MSG(fabs(sk) < 5 * sqrt(6.0) * se, "kind %d skew %g", kind, sk);
        CHECK_MSG(fabs(ku) < 5 * sqrt(24.0) * se, "kind %d kurt %g", kind, ku);
        double et = 2.5803249e-4 * n, e4 = 6.334248e-5 * n;   /* 2 * scipy.stats.norm.sf(R), 2 * sf(4) */
        CHECK_MSG(fabs(tail - et) < 5 * sqrt(et), "kind %d tail %ld vs %g", kind, tail, et);
        CHECK_MSG(fabs(beyond4 - e4) < 5 * sqrt(e4), "kind %d beyond4 %ld vs %g", kind, beyond4, e4);
    }
}

/* Kolmogorov-Smirnov over 2^16 xoshiro normals against the exact cdf:
 * sqrt(n) D < 1.95 fails a correct sampler with probability 0.001. */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_normal_ks(void)
{
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 99, NULL);
    const size_t n = 65536;
    double *x = malloc(n * sizeof *x);
    CHECK(x != NULL);
    if (!x) return;
    for (size_t i = 0; i < n; i++) x[i] = lmp_rng_normal(&r);
    qsort(x, n, sizeof *x, cmp_double);
    double d = 0;
    for (size_t i = 0; i < n; i++) {
        double c = lmp_normal_cdf(x[i], 0, 1);
        d = fmax(d, fmax(fabs(c - (double)i / n), fabs((double)(i + 1) / n - c)));
    }
    CHECK_MSG(sqrt((double)n) * d < 1.95, "KS sqrt(n) D = %g", sqrt((double)n) * d);
    free(x);
}

/* A NULL array or stream: the fillers do nothing (nor draw), seed_keys refuses NULL keys (each crashed
 * before). */
static void test_null_arrays(void)
{
    lmp_rng r, before;
    lmp_error e;
    double d[2] = {-1, -1};
    uint64_t u64[2] = {9, 9};
    CHECK(lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 3, &e) == LMP_OK);
    before = r;
    lmp_rng_uniform_n(&r, NULL, 3);
    lmp_rng_normal_n(&r, NULL, 3);
    lmp_rng_interval_n(&r, 0, 10, NULL, 3);
    lmp_rng_interval32_n(&r, 0, 10, NULL, 3);
    lmp_rng_interval16_n(&r, 0, 10, NULL, 3);
    lmp_rng_interval8_n(&r, 0, 10, NULL, 3);
    lmp_rng_bit_n(&r, NULL, 3);
    lmp_rng_shuffle(&r, NULL, 3, 8);
    CHECK(memcmp(&r, &before, sizeof r) == 0); /* nothing drawn */
    lmp_rng_uniform_n(NULL, d, 2);
    lmp_rng_normal_n(NULL, d, 2);
    lmp_rng_interval_n(NULL, 0, 10, u64, 2);
    lmp_rng_shuffle(NULL, d, 2, sizeof *d);
    CHECK(d[0] == -1 && u64[0] == 9);
    CHECK(lmp_rng_seed_keys(&r, NULL, 3, &e) == LMP_EINVAL && strstr(e.msg, "seed_keys: keys is NULL (n = 3)"));
}

int main(int argc, char **argv)
{
    (void)argc;
    RUN(test_numpy_random_sample);
    RUN(test_numpy_seed_keys);
    RUN(test_numpy_u32);
    RUN(test_numpy_randn_cache);
    RUN(test_numpy_exponential);
    RUN(test_numpy_poisson_gamma_dirichlet);
    RUN(test_numpy_small_shapes);
    RUN(test_normal_n_matches);
    RUN(test_numpy_choice_binomial);
    RUN(test_numpy_seed_range);
    RUN(test_xoshiro_values_and_jump);
    RUN(test_uniform_chisq);
    RUN(test_below);
    RUN(test_interval);
    RUN(test_interval_narrow);
    RUN(test_interval_n);
    RUN(test_normal_moments);
    RUN(test_normal_ks);
    RUN(test_null_arrays);
    return TEST_SUMMARY();
}
