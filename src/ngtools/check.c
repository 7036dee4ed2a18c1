/* Does a model give probabilities? The mass of one next-word distribution, and
 * the one rule every command that needs probabilities applies. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ngram/ngram_internal.h"
#include "lmprob/ngram_tools.h"
#include "../core/cnum.h"

/* Words prefetched ahead in the loops over the vocabulary below: a 33,000-word model's check took 5 ms of
 * cache misses, 2.5x KenLM's whole load (bench_query's load lines) */
#define MASS_AHEAD 8

double lmp_ngram_mass_after(const lmp_ngram *m, const lmp_token_id *ctx, size_t n)
{
    if (!ctx && n) return NAN; /* no context (ngram_tools.h) */
    lmp_ngram_state s, o;
    lmp_ngram_state_from(m, ctx, n, &s);
    double sum = 0;
    size_t V = lmp_ngram_vocab_size(m);
    for (size_t w = 0; w < V; w++) {
        if (w + MASS_AHEAD < V) ng_prefetch_score(m, &s, (lmp_token_id)(w + MASS_AHEAD));
        if ((lmp_token_id)w != lmp_ngram_bos(m)) sum += pow(10.0, lmp_ngram_score(m, &s, (lmp_token_id)w, &o, NULL));
    }
    return sum;
}

/* At most this many centres are recorded (11 bits): the record stays under the 64 KiB a metadata value
 * may hold, and a finer table moves a mass by less than LMP_NGRAM_MASS_TOL (PTB's trigram: 1.0046 at 8 bits). */
#define QREC_MAX 2048

lmp_status lmp_ngram_record_quantisation(lmp_ngram *m, lmp_error *err)
{
    if (!m) return lmp_error_set(err, LMP_EINVAL, "lmp_ngram_record_quantisation: NULL model");
    float c[QREC_MAX + 1];
    size_t n = ng_trie_prob_centres(m, 2, c, QREC_MAX + 1);
    if (n == 0 || n > QREC_MAX) return LMP_OK; /* exact values, or a table too fine to matter */
    char *s = malloc(n * 16 + 1), *w = s;
    if (!s) return lmp_error_set(err, LMP_ENOMEM, "out of memory for the quantisation record");
    /* the distinct centres: equal-count bins give a value repeated in the data several codes */
    for (size_t i = 0; i < n; i++)
        if (i == 0 || c[i] != c[i - 1]) w += lmp_snprintf_c(w, (size_t)(s + n * 16 + 1 - w), "%s%.9g", i ? " " : "", (double)c[i]);
    lmp_status st = lmp_ngram_meta_set(m, LMP_NGRAM_META_QUANTISED, s, err);
    free(s);
    return st;
}

/* The recorded centres (lmp_ngram_record_quantisation), ascending; 0 when there is no usable record. */
static size_t recorded_centres(const lmp_ngram *m, double *c, size_t max)
{
    const char *s = lmp_ngram_meta_get(m, LMP_NGRAM_META_QUANTISED);
    size_t n = 0;
    while (s && *s && n < max) {
        char *end;
        /* each centre is a float written with %.9g, which round-trips it only when read back as a float:
         * read as a double, about half of them land below their float (at -q 6 on PTB's trigram, 38 of 64),
         * the value coded as that centre then sat above the interval's top, and a model ppl accepted as a
         * trie was refused once converted to ARPA */
        double v = lmp_strtof_c(s, &end);
        if (end == s || (n && !(v >= c[n - 1]))) return 0; /* not a record of ascending numbers: ignored */
        /* a repeated centre (records written before the thirty-eighth session kept them) counts once */
        if (!n || v > c[n - 1]) c[n++] = v;
        s = end;
        while (*s == ' ') s++;
    }
    return s && *s ? 0 : n;
}

/* The bottom of the recorded interval of a value at or above x (x the value, or the bottom of its own
 * table's interval): the midpoint below the first centre >= x, as the trie's encoder splits them, and
 * never above x (a value that is no centre, a mixture's, is not raised). */
static double recorded_floor(const double *c, size_t n, double x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    if (lo == 0) return -INFINITY;
    if (lo == n) return x; /* above every centre: not from the recorded table */
    const double edge = 0.5 * (c[lo - 1] + c[lo]);
    return edge < x ? edge : x;
}

lmp_status lmp_ngram_check_probabilities(const lmp_ngram *m, double *mass, lmp_error *err)
{
    if (mass) *mass = NAN;
    if (!m) return lmp_error_set(err, LMP_EINVAL, "lmp_ngram_check_probabilities: NULL model");
    /* After <s> (the empty context for a model without it): the context every sentence starts
     * from. A word seen after <s> gets its bigram's value, a quantised one in a trie made with
     * -q; any other word its unigram (never quantised) times <s>'s backoff (a unigram's:
     * exact). So the mass the model had before quantisation is at least `floor`, the sum with
     * every bigram value moved down to the bottom of its rounding interval. */
    lmp_token_id bos = lmp_ngram_bos(m);
    lmp_ngram_state s, o;
    if (bos >= 0) lmp_ngram_state_begin(m, &s);
    else lmp_ngram_state_null(&s);
    double sum = 0, floor = 0;
    size_t V = lmp_ngram_vocab_size(m);
    double *rec = lmp_ngram_meta_get(m, LMP_NGRAM_META_QUANTISED) ? malloc(QREC_MAX * sizeof *rec) : NULL;
    const size_t nrec = rec ? recorded_centres(m, rec, QREC_MAX) : 0;
    for (size_t w = 0; w < V; w++) {
        if (w + MASS_AHEAD < V) ng_prefetch_score(m, &s, (lmp_token_id)(w + MASS_AHEAD));
        if ((lmp_token_id)w == bos) continue; /* never predicted */
        unsigned len;
        double lp = lmp_ngram_score(m, &s, (lmp_token_id)w, &o, &len);
        sum += pow(10.0, lp);
        /* len >= 2 after a one-word state: the bigram's own value, no backoff added; its own table's
         * interval, then the recorded one of the quantisation it went through before (if any) */
        double f = lp;
        if (len >= 2 && s.length == 1) {
            f = ng_trie_prob_floor(m, len, (float)lp);
            if (nrec) f = recorded_floor(rec, nrec, f);
        }
        floor += pow(10.0, f);
    }
    free(rec);
    if (mass) *mass = sum;
    const char *ctx = bos >= 0 ? "after <s>" : "in the empty context";
    /* lmprob train's record: stupid backoff (Brants et al. 2007) gives scores whatever they sum to
     * (a model made from one by a tool that renormalises is still no estimate of probabilities) */
    const char *est = lmp_ngram_meta_get(m, LMP_NGRAM_META_ESTIMATOR);
    if (est && strncmp(est, "stupid", 6) == 0) {
        char sums[96] = ""; /* the sum only where it shows: a renormalised one sums to 1 */
        if (sum > 1.0 + LMP_NGRAM_MASS_TOL) snprintf(sums, sizeof sums, " (they sum to %.6g %s)", sum, ctx);
        return lmp_error_set(err, LMP_EDOM,
                             "a stupid-backoff model (as its estimator record says): its values are scores, not "
                             "probabilities%s",
                             sums);
    }
    /* 1e-3: far above float rounding summed over a vocabulary, far below stupid backoff's excess
     * (its backoff factor times the unseen words' unigram mass: 0.10 after <s> on PTB) */
    if (floor > 1.0 + LMP_NGRAM_MASS_TOL) {
        lmp_ngram_info in;
        lmp_ngram_get_info(m, &in);
        char q[128] = "";
        if (in.prob_bits && floor != sum)
            snprintf(q, sizeof q, ", at least %.6g before its %u-bit quantisation", floor, in.prob_bits);
        else if (nrec && floor != sum)
            snprintf(q, sizeof q, ", at least %.6g before the quantisation it records", floor);
        return lmp_error_set(err, LMP_EDOM,
                             "not a probability model: its values %s sum to %.6g%s, expected at most 1 + %g: scores, "
                             "not probabilities",
                             ctx, sum, q, LMP_NGRAM_MASS_TOL);
    }
    return LMP_OK;
}
