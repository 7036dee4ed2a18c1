/* Unit tests for include/lmprob/nn.h: initialisers, layer norm, reparameterisation.
 * numpy references: numpy 1.24.2 legacy RandomState. */
#include <float.h>
#include <stdlib.h>

#include "lmprob/nn.h"
#include "lmprob/stats.h"
#include "test.h"

static void test_scales(void)
{
    /* Golden values (torch formulas); the chapter's b09 claims 0.0625 for Xavier 512x512: it is 0.0442. */
    CHECK_REL(lmp_nn_xavier_normal_std(512, 512), 0.04419417382415922, 1e-15);
    CHECK_REL(lmp_nn_xavier_uniform_bound(512, 512), 0.07654655446197431, 1e-15);
    CHECK(lmp_nn_he_normal_std(512) == 0.0625);
    CHECK_REL(lmp_nn_he_uniform_bound(512), 0.10825317547305482, 1e-15);
    CHECK(isnan(lmp_nn_he_normal_std(0)));
    CHECK(isnan(lmp_nn_xavier_normal_std(0, 0)));
    CHECK(isnan(lmp_nn_xavier_uniform_bound(-1, 3)));
}

static void test_fill_numpy(void)
{
    lmp_rng r;
    double w[5];
    /* np.random.seed(42); np.random.normal(0, sqrt(2/10), 5) */
    const double want[5] = {0.22213732230386962, -0.061833675256054536, 0.2896551198881222, 0.6811196581380177,
                            -0.10471657260847204};
    CHECK(lmp_rng_seed(&r, LMP_RNG_NUMPY_LEGACY, 42, NULL) == LMP_OK);
    CHECK(lmp_nn_init_fill(&r, LMP_NN_XAVIER_NORMAL, 4, 6, w, 5, NULL) == LMP_OK);
    for (int i = 0; i < 5; i++) CHECK_REL(w[i], want[i], 1e-15);  /* same operations as numpy: bits */
    /* np.random.seed(7); np.random.uniform(-sqrt(0.6), sqrt(0.6), 3) */
    const double wu[3] = {-0.6563803756723184, 0.4336483282545831, -0.09541600836381392};
    CHECK(lmp_rng_seed(&r, LMP_RNG_NUMPY_LEGACY, 7, NULL) == LMP_OK);
    CHECK(lmp_nn_init_fill(&r, LMP_NN_XAVIER_UNIFORM, 4, 6, w, 3, NULL) == LMP_OK);
    for (int i = 0; i < 3; i++) CHECK_REL(w[i], wu[i], 1e-15);
    lmp_error e;
    CHECK(lmp_nn_init_fill(&r, LMP_NN_HE_NORMAL, 0, 6, w, 3, &e) == LMP_EINVAL);
    CHECK(strstr(e.msg, "fan_in = 0"));
    /* Xavier's variance 2 / (fan_in + fan_out) takes fan_in = 0 (as nn.h says now); both 0 names that rule */
    CHECK(lmp_nn_init_fill(&r, LMP_NN_XAVIER_NORMAL, 0, 3, w, 3, NULL) == LMP_OK);
    CHECK(lmp_nn_init_fill(&r, LMP_NN_XAVIER_UNIFORM, 0, 0, w, 3, &e) == LMP_EINVAL && strstr(e.msg, "expected fan_in + fan_out >= 1"));
    CHECK(lmp_nn_init_fill(&r, LMP_NN_HE_UNIFORM, 0, 3, w, 3, &e) == LMP_EINVAL && strstr(e.msg, "expected fan_in >= 1"));
    lmp_nn_init_kind k;
    CHECK(lmp_nn_init_parse("he_uniform", &k, NULL) == LMP_OK && k == LMP_NN_HE_UNIFORM);
    CHECK(lmp_nn_init_parse("glorot", &k, &e) == LMP_EINVAL);
    CHECK(strstr(e.msg, "'glorot'"));
}

static void test_fill_moments(void)
{
    /* 512x512 He normal and Xavier uniform on xoshiro: sample std within 4
     * standard errors (se of a std estimate ~ std / sqrt(2n) = 0.1%): false-failure rate ~6e-5. */
    size_t n = 512 * 512;
    double *w = malloc(n * sizeof *w);
    lmp_rng r;
    CHECK(lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 3, NULL) == LMP_OK);
    CHECK(lmp_nn_init_fill(&r, LMP_NN_HE_NORMAL, 512, 512, w, n, NULL) == LMP_OK);
    double sd = lmp_stats_stddev(w, n, 0);
    CHECK(fabs(sd / 0.0625 - 1) < 4 / sqrt(2.0 * (double)n));
    CHECK(lmp_nn_init_fill(&r, LMP_NN_XAVIER_UNIFORM, 512, 512, w, n, NULL) == LMP_OK);
    double b = lmp_nn_xavier_uniform_bound(512, 512), mx = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(w[i]) > mx) mx = fabs(w[i]);
    CHECK(mx <= b && mx > 0.999 * b);
    /* Uniform(-b, b) has std b/sqrt(3) = the Xavier normal std; se of the std ~ 0.9/sqrt(n) relative. */
    CHECK(fabs(lmp_stats_stddev(w, n, 0) / lmp_nn_xavier_normal_std(512, 512) - 1) < 4 * 0.9 / sqrt((double)n));
    free(w);
}

static void test_layer_norm(void)
{
    const double x[4] = {1, 2, 3, 4};
    double out[4];
    CHECK(lmp_nn_layer_norm(x, 4, 1e-5, NULL, NULL, out, NULL) == LMP_OK);
    CHECK_REL(out[0], -1.3416354199689269, 1e-14);
    CHECK_REL(out[3], 1.3416354199689269, 1e-14);
    const double g[4] = {1, 2, 0.5, -1}, b[4] = {0, 0.1, -0.2, 0.3}, x2[4] = {0.5, -1.5, 2.0, 0.0};
    CHECK(lmp_nn_layer_norm(x2, 4, 1e-5, g, b, out, NULL) == LMP_OK);
    CHECK_REL(out[1], -2.699991040043008, 1e-14);
    /* Mean 0 and std sqrt(var/(var+eps)) < 1 (ERRATA b07). */
    CHECK(lmp_nn_layer_norm(x, 4, 1e-5, NULL, NULL, out, NULL) == LMP_OK);
    CHECK_ABS(lmp_stats_mean(out, 4), 0.0, 1e-15);
    CHECK_REL(lmp_stats_stddev(out, 4, 0), sqrt(1.25 / (1.25 + 1e-5)), 1e-14);
    lmp_error e;
    const double c[3] = {2, 2, 2};
    CHECK(lmp_nn_layer_norm(c, 3, 0, NULL, NULL, out, &e) == LMP_EINVAL);
    CHECK(strstr(e.msg, "eps"));
    CHECK(lmp_nn_layer_norm(c, 3, -1, NULL, NULL, out, &e) == LMP_EINVAL);
    CHECK(lmp_nn_layer_norm(c, 0, 1e-5, NULL, NULL, out, &e) == LMP_EINVAL);
    /* x at the ends of the double range (issue: [0, -0], zeros, and "constant x" for a non-constant x).
     * Exact values: (x - mean) / sd for eps = 0, sd the biased standard deviation; with eps = 1e-5 and
     * var ~1e-400 torch's result is (x - mean) / sqrt(eps). */
    const double big[2] = {1e308, -1e308}, big3[3] = {1e200, 1e200, 3e200}, tiny3[3] = {1e-200, 2e-200, 3e-200};
    CHECK(lmp_nn_layer_norm(big, 2, 1e-5, NULL, NULL, out, NULL) == LMP_OK);
    CHECK_REL(out[0], 1.0, 1e-15);
    CHECK_REL(out[1], -1.0, 1e-15);
    CHECK(lmp_nn_layer_norm(big3, 3, 1e-5, NULL, NULL, out, NULL) == LMP_OK);
    CHECK_REL(out[0], -sqrt(0.5), 1e-15);
    CHECK_REL(out[2], sqrt(2.0), 1e-15);
    CHECK(lmp_nn_layer_norm(tiny3, 3, 0, NULL, NULL, out, &e) == LMP_OK);
    CHECK_REL(out[0], -sqrt(1.5), 1e-15);
    CHECK(out[1] == 0.0);
    CHECK_REL(out[2], sqrt(1.5), 1e-15);
    CHECK(lmp_nn_layer_norm(tiny3, 3, 1e-5, NULL, NULL, out, NULL) == LMP_OK);
    CHECK_REL(out[0], -1e-200 / sqrt(1e-5), 1e-15);
    /* out aliasing x: a refused constant x comes back unchanged */
    double cc[3] = {3e-300, 3e-300, 3e-300};
    CHECK(lmp_nn_layer_norm(cc, 3, 0, NULL, NULL, cc, &e) == LMP_EINVAL);
    CHECK(cc[0] == 3e-300 && cc[2] == 3e-300);
    double al[4] = {1, 2, 3, 4};
    CHECK(lmp_nn_layer_norm(al, 4, 1e-5, NULL, NULL, al, NULL) == LMP_OK);
    CHECK_REL(al[0], -1.3416354199689269, 1e-14);
}

static void test_reparam(void)
{
    /* The chapter's vae_reparameterize with np.random.seed(1). */
    const double mu[3] = {0.5, -1.0, 2.0}, lv[3] = {0.0, log(4.0), -2.0};
    const double want[3] = {2.1243453636632417, -2.2235128273001505, 1.8056964709347785};
    double z[3], eps[3];
    lmp_rng r;
    CHECK(lmp_rng_seed(&r, LMP_RNG_NUMPY_LEGACY, 1, NULL) == LMP_OK);
    CHECK(lmp_nn_reparam_logvar(&r, mu, lv, 3, z, eps, NULL) == LMP_OK);
    /* exp(0.5 log 4) = 2 up to one rounding: a few ulps. */
    for (int i = 0; i < 3; i++) CHECK_REL(z[i], want[i], 1e-15);
    /* Same draws through the sigma form. */
    const double sig[3] = {1.0, 2.0, exp(-1.0)};
    double z2[3];
    CHECK(lmp_rng_seed(&r, LMP_RNG_NUMPY_LEGACY, 1, NULL) == LMP_OK);
    CHECK(lmp_nn_reparam(&r, mu, sig, 3, z2, NULL, NULL) == LMP_OK);
    for (int i = 0; i < 3; i++) CHECK_REL(z2[i], mu[i] + eps[i] * sig[i], 1e-15);
    const double bad[3] = {1, -0.5, 1};
    lmp_error e;
    CHECK(lmp_nn_reparam(&r, mu, bad, 3, z2, NULL, &e) == LMP_EINVAL);
    CHECK(strstr(e.msg, "sigma[1] = -0.5"));
}

/* An array or rng that is NULL while n > 0: LMP_EINVAL naming it (each crashed before). */
static void test_null_arrays(void)
{
    double x[3] = {1, 2, 3}, o[3];
    lmp_rng r;
    lmp_error e;
    CHECK(lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 1, &e) == LMP_OK);
    CHECK(lmp_nn_init_fill(&r, LMP_NN_HE_NORMAL, 3, 1, NULL, 3, &e) == LMP_EINVAL &&
          strstr(e.msg, "init_fill: w is NULL (n = 3)"));
    CHECK(lmp_nn_init_fill(NULL, LMP_NN_HE_NORMAL, 3, 1, o, 3, &e) == LMP_EINVAL && strstr(e.msg, "r is NULL"));
    CHECK(lmp_nn_init_fill(NULL, LMP_NN_HE_NORMAL, 3, 1, NULL, 0, &e) == LMP_OK);
    CHECK(lmp_nn_layer_norm(NULL, 3, 1e-5, NULL, NULL, o, &e) == LMP_EINVAL && strstr(e.msg, "layer_norm: x is NULL"));
    CHECK(lmp_nn_layer_norm(x, 3, 1e-5, NULL, NULL, NULL, &e) == LMP_EINVAL && strstr(e.msg, "out is NULL"));
    CHECK(lmp_nn_reparam(&r, NULL, x, 3, o, NULL, &e) == LMP_EINVAL && strstr(e.msg, "reparam: mu is NULL (n = 3)"));
    CHECK(lmp_nn_reparam(&r, x, NULL, 3, o, NULL, &e) == LMP_EINVAL && strstr(e.msg, "sigma is NULL"));
    CHECK(lmp_nn_reparam(&r, x, x, 3, NULL, NULL, &e) == LMP_EINVAL && strstr(e.msg, "z is NULL"));
    CHECK(lmp_nn_reparam(NULL, x, x, 3, o, NULL, &e) == LMP_EINVAL);
    CHECK(lmp_nn_reparam_logvar(&r, x, NULL, 3, o, NULL, &e) == LMP_EINVAL && strstr(e.msg, "logvar is NULL"));
    CHECK(lmp_nn_reparam_logvar(&r, NULL, x, 3, o, NULL, &e) == LMP_EINVAL);
}

int main(int argc, char **argv)
{
    (void)argc;
    RUN(test_scales);
    RUN(test_fill_numpy);
    RUN(test_fill_moments);
    RUN(test_layer_norm);
    RUN(test_reparam);
    RUN(test_null_arrays);
    return TEST_SUMMARY();
}
