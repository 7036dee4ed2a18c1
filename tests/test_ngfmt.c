/* N-gram file formats: the ARPA number formatter, the one ARPA writer and its
 * orders, metadata, checksums, the trie. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lmprob/ngram.h"
#include "test.h"
#include "../src/ngram/ngram_internal.h"

/* Reference: the fewest significant digits (1..9) that round-trip through
 * strtof, found by brute force with printf; its value is the nearest such decimal. */
static int ref_digits(float v)
{
    char buf[64];
    for (int p = 0; p <= 8; p++) {
        snprintf(buf, sizeof buf, "%.*e", p, (double)v);
        if (strtof(buf, NULL) == v) return p + 1;
    }
    return 9;
}

static int sig_digits(const char *s)
{
    int n = 0, started = 0, trailing = 0;
    for (; *s && *s != 'e'; s++) {
        if (*s < '0' || *s > '9') continue;
        if (*s != '0') started = 1;
        if (!started) continue;
        n++;
        trailing = *s == '0' ? trailing + 1 : 0;
    }
    /* trailing zeros before the decimal point of an integer are not significant */
    return n - trailing;
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t xorshift(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int check_one(float v)
{
    char buf[40];
    size_t n = ng_format_float(buf, v);
    if (n != strlen(buf)) return 0;
    float back = strtof(buf, NULL);
    if (back != v) {
        fprintf(stderr, "  %a -> '%s' reads back as %a\n", (double)v, buf, (double)back);
        return 0;
    }
    int want = ref_digits(v), got = sig_digits(buf);
    if (got != want) {
        fprintf(stderr, "  %a (%.9g) -> '%s': %d significant digits, the shortest has %d\n", (double)v, (double)v, buf,
                got, want);
        return 0;
    }
    return 1;
}

/* Every formatted float reads back as itself with the fewest digits; layouts as lmplz. */
static void test_format_float(void)
{
    char buf[40];
    struct {
        float v;
        const char *want;
    } fixed[] = {
        {0.0f, "0"},
        {-0.0f, "0"},
        {-99.0f, "-99"},
        {-100.0f, "-100"},
        {-0.5f, "-0.5"},
        {-1.8120181e-7f, "-1.8120181e-7"},
        {-7.147704e-5f, "-0.00007147704"},
        {-1e-6f, "-0.000001"},
        {-1e-7f, "-1e-7"},
        {-0.30103f, "-0.30103"},
        {-1.2999429f, "-1.2999429"},
        {-0.061040911f, "-0.06104091"},
        {1e21f, "1e21"},
        {-123456792.0f, "-123456790"},
        {3.4028235e38f, "3.4028235e38"},
        {1.4e-45f, "1e-45"},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        ng_format_float(buf, fixed[i].v);
        CHECK_MSG(strcmp(buf, fixed[i].want) == 0, "%.9g -> '%s', want '%s'", (double)fixed[i].v, buf, fixed[i].want);
    }
    int bad = 0;
    /* every exponent with random mantissas, and random bit patterns */
    for (uint32_t e = 0; e < 255 && bad < 5; e++)
        for (int r = 0; r < 200 && bad < 5; r++) {
            uint32_t bits = (e << 23) | (uint32_t)(xorshift() & 0x7fffff) | (r & 1 ? 0x80000000u : 0);
            if (r == 2) bits &= ~0x7fffffu; /* powers of two: the narrower lower gap */
            if (r == 3) bits |= 0x7fffffu;
            float v;
            memcpy(&v, &bits, 4);
            if (v != 0 && !check_one(v)) bad++;
        }
    for (int r = 0; r < 300000 && bad < 5; r++) {
        /* log10 probabilities as language models hold them: -10 .. 0 */
        float v = -(float)((double)(xorshift() >> 11) / 9007199254740992.0 * 10.0);
        if (v != 0 && !check_one(v)) bad++;
    }
    CHECK(bad == 0);
}

int main(int argc, char **argv)
{
    RUN(test_format_float);
    (void)argc;
    return TEST_SUMMARY();
}
