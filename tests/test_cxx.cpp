// A C++ program that includes lmprob.h and calls the library: the public
// headers must compile as C++ (-std=c++11 -pedantic) and their declarations
// must have C linkage (LMP_EXTERN_C_BEGIN/END), or this does not link.
// Built by the Makefile with $(CXX) against the static library (and by
// tests/cli/test_exports.sh against the shared one); prints
// "test_cxx: N passed, M failed" like every unit program.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "lmprob.h"

static int n_pass, n_fail;

static void check(bool ok, const char *what, int line)
{
    if (ok) {
        n_pass++;
    } else {
        n_fail++;
        std::printf("FAIL %s:%d: %s\n", __FILE__, line, what);
    }
}
#define CHECK(x) check((x), #x, __LINE__)

int main()
{
    CHECK(std::strcmp(lmp_version(), LMP_VERSION_STRING) == 0);

    // Errors are per call, filled in a caller-owned record.
    lmp_error err;
    CHECK(lmp_normal_check(0.0, -1.0, &err) == LMP_EINVAL);
    CHECK(std::strstr(err.msg, "sigma") != nullptr);

    // Scalar math: the normal cdf at 1.96 (scipy: 0.9750021048517795).
    CHECK(std::fabs(lmp_normal_cdf(1.96, 0.0, 1.0) - 0.9750021048517795) < 1e-15);

    // An RNG stream, seeded; numpy's legacy stream gives numpy's first uniform for seed 42.
    lmp_rng rng;
    CHECK(lmp_rng_seed(&rng, LMP_RNG_NUMPY_LEGACY, 42, &err) == LMP_OK);
    CHECK(lmp_rng_uniform(&rng) == 0.3745401188473625);

    // softmax of [1, 2, 3] sums to 1 and is increasing.
    const double x[3] = {1.0, 2.0, 3.0};
    double p[3];
    CHECK(lmp_softmax(x, 3, p, &err) == LMP_OK);
    CHECK(std::fabs(p[0] + p[1] + p[2] - 1.0) < 1e-15 && p[0] < p[1] && p[1] < p[2]);

    // A handle: a greedy sampler (temperature 0) picks the first maximum.
    lmp_sampler_params prm;
    lmp_sampler_params_init(&prm);
    prm.temperature = 0.0;
    lmp_sampler *s = nullptr;
    CHECK(lmp_sampler_create(&prm, 8, &s, &err) == LMP_OK);
    const double logits[5] = {0.5, 2.0, -1.0, 2.0, 0.0};
    lmp_token_id tok = LMP_TOKEN_NONE;
    CHECK(lmp_sampler_sample(s, logits, 5, nullptr, 0, &rng, &tok, &err) == LMP_OK);
    CHECK(tok == 1);
    lmp_sampler_free(s);

    // A vocabulary: the specials first, then words in the order added.
    lmp_vocab *v = nullptr;
    CHECK(lmp_vocab_create(&v, &err) == LMP_OK);
    lmp_token_id id = LMP_TOKEN_NONE;
    CHECK(lmp_vocab_add(v, "cat", 3, &id, &err) == LMP_OK);
    CHECK(id == 3);
    CHECK(lmp_vocab_find(v, "cat", 3) == 3);
    CHECK(lmp_vocab_find(v, "dog", 3) == LMP_TOKEN_NONE);
    lmp_vocab_free(v);

    std::printf("test_cxx: %d passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
