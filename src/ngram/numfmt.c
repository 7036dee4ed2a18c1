/* The numbers of ARPA files: the shortest decimal that reads back as the same
 * float32, laid out as KenLM's lmplz writes it.
 *
 * lmplz prints floats with double-conversion's ToShortest (util/float_to_string.cc:
 * DoubleToStringConverter(NO_FLAGS, "inf", "NaN", 'e', -6, 21, 6, 0) applied to a
 * float): the fewest significant digits that round-trip, the nearest of them
 * when several do, fixed notation when the decimal exponent is in [-6, 21)
 * ("-0.00007147704", "-99") and otherwise a short exponent ("-1.8120181e-7").
 *
 * Exact and without printf: a float v = m 2^e lies in a rounding interval
 * [lo, hi] = [(4m - 2 or 1) 2^(e-2), (4m + 2) 2^(e-2)] (a closed interval when m
 * is even: strtof breaks ties to even). Scaled by 10^k so that v has 9 integer
 * digits, the interval holds at least 5 integers (a float's spacing is 2^-23
 * relative, and 10^8 2^-24 > 5), and the shortest decimal is the multiple of the
 * largest power of ten t in it, the nearest to v when there are two. The
 * rationals are 128-bit integers (num / den), which covers 1e-16 <= |v| < 1e16;
 * other magnitudes (never seen in a language model) take a printf loop.
 *
 * Fast path (ng_format_float): the same steps in double arithmetic, whose
 * rounding error (about 1e-7 of a unit at 9 digits) is far below the interval's
 * width (at least 5 units), with every decision that falls within 1e-5 of a
 * unit of a boundary (an interval end or a tie between two candidates) handed
 * to the exact path; tests/test_ngfmt.c checks the two agree. About 60
 * instructions a number where the exact path took 320. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngram_internal.h"
#include "../core/cnum.h"

typedef unsigned __int128 u128;

static const uint64_t pow10_u64[20] = {1ull,
                                       10ull,
                                       100ull,
                                       1000ull,
                                       10000ull,
                                       100000ull,
                                       1000000ull,
                                       10000000ull,
                                       100000000ull,
                                       1000000000ull,
                                       10000000000ull,
                                       100000000000ull,
                                       1000000000000ull,
                                       10000000000000ull,
                                       100000000000000ull,
                                       1000000000000000ull,
                                       10000000000000000ull,
                                       100000000000000000ull,
                                       1000000000000000000ull,
                                       10000000000000000000ull};

/* Lay out the decimal digits d[0..nd) (no trailing zeros, d[0] != '0') times
 * 10^(e10 - nd + 1), i.e. with the leading digit at decimal exponent e10. */
static size_t layout(char *out, int neg, const char *d, int nd, int e10)
{
    size_t k = 0;
    if (neg) out[k++] = '-';
    if (e10 >= -6 && e10 < 21) {
        if (e10 < 0) {
            out[k++] = '0';
            out[k++] = '.';
            for (int i = 0; i < -e10 - 1; i++) out[k++] = '0';
            memcpy(out + k, d, (size_t)nd);
            k += (size_t)nd;
        } else if (nd <= e10 + 1) {
            memcpy(out + k, d, (size_t)nd);
            k += (size_t)nd;
            for (int i = nd; i <= e10; i++) out[k++] = '0';
        } else {
            memcpy(out + k, d, (size_t)(e10 + 1));
            k += (size_t)(e10 + 1);
            out[k++] = '.';
            memcpy(out + k, d + e10 + 1, (size_t)(nd - e10 - 1));
            k += (size_t)(nd - e10 - 1);
        }
    } else {
        out[k++] = d[0];
        if (nd > 1) {
            out[k++] = '.';
            memcpy(out + k, d + 1, (size_t)(nd - 1));
            k += (size_t)(nd - 1);
        }
        k += (size_t)snprintf(out + k, 8, "e%d", e10);
    }
    out[k] = 0;
    return k;
}

/* Magnitudes outside the 128-bit path: the fewest "%.*e" digits that read back. */
static size_t format_slow(char *out, float v)
{
    char buf[48];
    for (int p = 0; p <= 8; p++) {
        lmp_snprintf_c(buf, sizeof buf, "%.*e", p, (double)v);
        if (lmp_strtof_c(buf, NULL) == v || p == 8) break;
    }
    /* buf: [-]d[.ddd]e[+-]xx */
    const char *s = buf;
    int neg = *s == '-';
    if (neg) s++;
    char d[16];
    int nd = 0;
    for (; *s && *s != 'e'; s++)
        if (*s != '.') d[nd++] = *s;
    int e10 = atoi(s + 1);
    while (nd > 1 && d[nd - 1] == '0') nd--;
    return layout(out, neg, d, nd, e10);
}

size_t ng_format_float_exact(char *out, float v)
{
    if (v == 0) {
        out[0] = '0';
        out[1] = 0;
        return 1;
    }
    if (isinf(v)) return (size_t)snprintf(out, 8, v < 0 ? "-inf" : "inf");
    if (isnan(v)) return (size_t)snprintf(out, 8, "NaN");
    uint32_t bits;
    memcpy(&bits, &v, 4);
    int neg = (int)(bits >> 31);
    uint32_t ef = (bits >> 23) & 0xff, frac = bits & 0x7fffff;
    uint64_t m = ef ? (frac | 0x800000u) : frac;
    int e2 = ef ? (int)ef - 150 : -149;
    float a = fabsf(v);
    if (!(a >= 1e-16f && a < 1e16f)) return format_slow(out, v);
    /* 4m, and the interval ends, in units of 2^(e2-2). */
    uint64_t xv = 4 * m, xl = 4 * m - ((frac == 0 && ef > 1) ? 1 : 2), xh = 4 * m + 2;
    int inclusive = (m & 1) == 0;
    int s = e2 - 2;
    /* E = floor(log10 a) (estimate, corrected below), k = 8 - E: v 10^k in [1e8, 1e9). */
    int E = (int)floor(log10((double)a));
    u128 num_v, num_l, num_h, den;
    uint64_t V, L, H;
    u128 rv;
    for (int tries = 0;; tries++) {
        int k = 8 - E;
        u128 nmul = 1, dmul = 1;
        if (s >= 0) nmul <<= s;
        else dmul <<= -s;
        if (k >= 0) nmul *= k <= 19 ? (u128)pow10_u64[k] : (u128)pow10_u64[19] * pow10_u64[k - 19];
        else dmul *= (u128)pow10_u64[-k];
        num_v = xv * nmul;
        num_l = xl * nmul;
        num_h = xh * nmul;
        den = dmul;
        V = (uint64_t)(num_v / den);
        rv = num_v % den;
        if (V < 100000000ull && tries < 2) {
            E--;
            continue;
        }
        if (V >= 1000000000ull && tries < 2) {
            E++;
            continue;
        }
        break;
    }
    /* Integers in the interval: [L, H]. */
    L = (uint64_t)(num_l / den);
    if (num_l % den != 0 || !inclusive) L++;
    H = (uint64_t)(num_h / den);
    if (num_h % den == 0 && !inclusive) H--;
    int k = 8 - E;
    uint64_t best = V;
    int best_j = 0;
    for (int j = 9; j >= 0; j--) {
        uint64_t t = pow10_u64[j];
        uint64_t q = V / t; /* q t <= V < (q + 1) t */
        uint64_t c1 = q * t, c2 = (q + 1) * t;
        int ok1 = c1 >= L && c1 <= H, ok2 = c2 >= L && c2 <= H;
        if (!ok1 && !ok2) continue;
        if (ok1 && ok2) {
            /* the nearer to v (exactly: distances times den), ties to the even one */
            u128 d1 = (u128)(V - c1) * den + rv, d2 = (u128)(c2 - V) * den - rv;
            if (d1 < d2 || (d1 == d2 && (q & 1) == 0)) best = c1;
            else best = c2;
        } else {
            best = ok1 ? c1 : c2;
        }
        best_j = j;
        break;
    }
    (void)best_j;
    /* best 10^-k: digits without trailing zeros. */
    char dig[24];
    int nd = snprintf(dig, sizeof dig, "%llu", (unsigned long long)best);
    int e10 = nd - 1 - k;
    while (nd > 1 && dig[nd - 1] == '0') nd--;
    return layout(out, neg, dig, nd, e10);
}

static const double pow10_tab[] = {1e-24, 1e-23, 1e-22, 1e-21, 1e-20, 1e-19, 1e-18, 1e-17, 1e-16, 1e-15, 1e-14,
                                   1e-13, 1e-12, 1e-11, 1e-10, 1e-9,  1e-8,  1e-7,  1e-6,  1e-5,  1e-4,  1e-3,
                                   1e-2,  1e-1,  1e0,   1e1,   1e2,   1e3,   1e4,   1e5,   1e6,   1e7,   1e8,
                                   1e9,   1e10,  1e11,  1e12,  1e13,  1e14,  1e15,  1e16,  1e17,  1e18,  1e19,
                                   1e20,  1e21,  1e22,  1e23,  1e24};
#define P10(k) pow10_tab[(k) + 24]

static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                     "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                     "8081828384858687888990919293949596979899";

/* Digits of n (< 10^10) into d (no terminator), returns their count: two at a
 * time from a table, as the division by 100 is a multiplication. */
static int utoa10(uint64_t n, char *d)
{
    char tmp[12];
    int k = 12;
    while (n >= 100) {
        unsigned r = (unsigned)(n % 100);
        n /= 100;
        tmp[--k] = digit_pairs[2 * r + 1];
        tmp[--k] = digit_pairs[2 * r];
    }
    if (n >= 10) {
        tmp[--k] = digit_pairs[2 * n + 1];
        tmp[--k] = digit_pairs[2 * n];
    } else {
        tmp[--k] = (char)('0' + n);
    }
    int nd = 12 - k;
    for (int i = 0; i < nd; i++) d[i] = tmp[k + i];
    return nd;
}

/* 1 when [L, H] holds a multiple of t (L >= 1). */
static inline int mult_in(uint64_t L, uint64_t H, uint64_t t)
{
    return H / t * t >= L;
}

size_t ng_format_float(char *out, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, 4);
    uint32_t ef = (bits >> 23) & 0xff, frac = bits & 0x7fffff;
    /* zero, subnormals, inf, NaN and |v| outside [2^-50, 2^50): the exact path */
    if (ef < 77 || ef > 176) return ng_format_float_exact(out, v);
    /* |v| and the rounding interval around it, exact in double: half the float
     * spacing 2^(ef - 151) built from its bits, a quarter below a power of two */
    double d = fabs((double)v), half;
    uint64_t hb = (uint64_t)((int)ef - 151 + 1023) << 52;
    memcpy(&half, &hb, 8);
    double lo = d - (frac == 0 ? half / 2 : half), hi = d + half;
    /* E = floor(log10 |v|): floor((ef - 127) log10 2) by a fixed-point product
     * (78913 / 2^18 = 0.301029...; offset by 40 to divide a positive number), then corrected */
    int E = (((int)ef - 127) * 78913 + (40 << 18)) / (1 << 18) - 40;
    if (d >= P10(E + 1)) E++;
    int k = 8 - E; /* |v| 10^k in [1e8, 1e9) */
    double s = P10(k), vs = d * s, ls = lo * s, hs = hi * s;
    /* floor of positive values below 2^53 by conversion (no libm call on baseline x86-64) */
    uint64_t li = (uint64_t)ls, hi_i = (uint64_t)hs;
    double lfr = ls - (double)li, hfr = hs - (double)hi_i;
    /* an interval end within 1e-5 of an integer: double rounding cannot decide, the exact path */
    if (lfr < 1e-5 || lfr > 1 - 1e-5 || hfr < 1e-5 || hfr > 1 - 1e-5) return ng_format_float_exact(out, v);
    uint64_t L = li + 1, H = hi_i; /* no integer lies on an end, so ties to even do not arise */
    /* the largest power of ten with a multiple in [L, H]: its multiples have the fewest digits
     * (a language model's log10 values need 7 to 9 digits: one to three tests) */
    uint64_t t = 1;
    if (mult_in(L, H, 10)) {
        t = 10;
        if (mult_in(L, H, 100)) {
            t = 100;
            while (t < 1000000000ull && mult_in(L, H, t * 10)) t *= 10; /* rare: 6 digits or fewer */
        }
    }
    /* the multiple of t nearest to |v| 10^k within [L, H] (divisions by constants where common) */
    uint64_t V = (uint64_t)vs, c1 = t == 1 ? V : t == 10 ? V / 10 * 10 : V / t * t, c2 = c1 + t, best;
    int ok1 = c1 >= L && c1 <= H, ok2 = c2 >= L && c2 <= H;
    if (ok1 && ok2) {
        double d1 = vs - (double)c1, d2 = (double)c2 - vs;
        if (fabs(d1 - d2) < 1e-5) return ng_format_float_exact(out, v);
        best = d1 < d2 ? c1 : c2;
    } else if (ok1 || ok2) {
        best = ok1 ? c1 : c2;
    } else {
        return ng_format_float_exact(out, v);
    }
    /* best / t has no trailing zero (else a multiple of 10 t would be in [L, H]) */
    char dig[12];
    int nd = utoa10(t == 1 ? best : t == 10 ? best / 10 : best / t, dig);
    int e10 = (best >= 1000000000ull ? 9 : 8) - k; /* the leading digit's decimal exponent */
    char *o = out;
    if (bits >> 31) *o++ = '-';
    if (e10 < 0 && e10 >= -6) { /* 0.000ddd */
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -e10 - 1; i++) *o++ = '0';
        for (int i = 0; i < nd; i++) *o++ = dig[i];
        *o = 0;
        return (size_t)(o - out);
    }
    if (e10 >= 0 && e10 < nd - 1) { /* dd.ddd */
        for (int i = 0; i <= e10; i++) *o++ = dig[i];
        *o++ = '.';
        for (int i = e10 + 1; i < nd; i++) *o++ = dig[i];
        *o = 0;
        return (size_t)(o - out);
    }
    return layout(out, (int)(bits >> 31), dig, nd, e10);
}
