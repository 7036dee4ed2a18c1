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
 * other magnitudes (never seen in a language model) take a printf loop. Cost:
 * three 128-bit divisions and a few 64-bit ones per number, about 10x faster
 * than "%.9g" + strtof. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngram_internal.h"

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
        snprintf(buf, sizeof buf, "%.*e", p, (double)v);
        if (strtof(buf, NULL) == v || p == 8) break;
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

size_t ng_format_float(char *out, float v)
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
