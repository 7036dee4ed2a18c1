/* The compact trie layout of lmprob's binary n-gram files.
 *
 * Structure (KenLM's trie, lm/trie.hh and search_trie.cc; Pauls & Klein 2011,
 * "Faster and smaller n-gram language models", section 3): a trie over the
 * n-grams read backwards, so that scoring w after c_1 c_2 .. walks from w to
 * c_1 to c_2 and stops at the first miss. Level 1 is the vocabulary: unigram
 * values by word id and, for each word, the range of its children in level 2.
 * Level L >= 2 holds the L-grams sorted by (their suffix's position in level
 * L-1, their first word): the children of one (L-1)-gram are contiguous. Each
 * L-gram is a fixed-width bit-packed record
 *     key | probability code | backoff code (no backoff at the highest order)
 * and, below the highest order, the start of its children in level L+1 comes
 * from a monotone pointer sequence coded with Elias-Fano (Elias 1974; Fano
 * 1971), in blocks of 64 (Vigna 2013, "Quasi-succinct indices").
 *
 * Keys. Level 2 keys are word ids (the bigram's first word). Above, the key of
 * c_{L-1} .. c_1 w is not the word c_{L-1} but the rank of the context
 * c_{L-1} .. c_1 among its siblings in level L-1 (the children of
 * c_{L-2} .. c_1), a small number: Pauls & Klein's and Pibiri & Venturini's
 * (2017) "context-based identifier remapping". A state-threading scorer gets
 * that rank for free: it is where the previous token's walk found that
 * context, so the state carries it (lmp_ngram_state.rank). Ranks follow word
 * ids (siblings are sorted by their first word), so the trie's order is
 * lmplz's suffix order and writing it back gives lmplz's file.
 *
 * Values. Exact (the default): per level and per field the cheaper of (a) an
 * index into the level's distinct values and (b) the float's own bits with the
 * 8-bit exponent replaced by an index into the level's few distinct exponents
 * (and the sign dropped when the whole level shares it): log10 probabilities
 * take 26-28 bits instead of 32, backoffs 10-13 (they take few distinct
 * values). Quantised (prob_q / bo_q bits): equal-count bins with their means
 * as centres (Federico & Bertoldi 2006, as KenLM's lm/quantize.cc), backoffs
 * with two reserved codes for the zero backoffs -0.0 ("not extendable") and
 * +0.0 (KenLM's kNoExtensionQuant / kExtensionQuant); a level with no more
 * distinct values than codes keeps them exactly. Unigrams are never quantised.
 *
 * Blanks (suffixes missing from pruned models, see hashed.c) are entries too;
 * a sorted list of their positions per level keeps them out of the ARPA view.
 *
 * Memory for building: 24 bytes per n-gram and a hash map of one order at a
 * time (suffix links); the file is written from malloc'd sections. */
#include <stdlib.h>

#include "ngram_internal.h"

#define NM (LMP_NGRAM_MAX_ORDER + 1)
#define EF_WORD_BITS 27
#define EF_MAX_WORDS (1ull << EF_WORD_BITS)

struct ng_trie {
    ng_trie_params P;
    uint64_t vocab;
    const uint32_t *ptr1;           /* [V + 1] children of word w in level 2: [ptr1[w], ptr1[w + 1]) */
    const uint8_t *rec[NM];         /* bit-packed records of level L */
    const uint64_t *efh[NM];        /* Elias-Fano block headers of level L's child pointers (L < order) */
    const uint64_t *efd[NM];        /* their blocks */
    uint64_t efh_n[NM], efd_n[NM];  /* headers, data words */
    const uint32_t *ptab[NM];       /* probability code table: float bits (TABLE) or exponent fields (EXP) */
    const uint32_t *btab[NM];       /* backoff code table */
    const uint32_t *blank[NM];      /* sorted positions of the blank entries */
    uint64_t kmask[NM], pmask[NM], bmask[NM];
    uint64_t rec_bytes[NM];
};

/* ---- bits ------------------------------------------------------------------------ */

/* width (<= 57) bits at bit position pos of a little-endian bit string padded by 8 bytes. */
static inline uint64_t bits_at(const uint8_t *base, uint64_t pos, uint64_t mask)
{
    uint64_t w;
    memcpy(&w, base + (pos >> 3), 8);
    return (w >> (pos & 7)) & mask;
}

static inline void bits_put(uint8_t *base, uint64_t pos, uint64_t v)
{
    uint64_t w;
    memcpy(&w, base + (pos >> 3), 8);
    w |= v << (pos & 7);
    memcpy(base + (pos >> 3), &w, 8);
}

static unsigned bits_for(uint64_t max_value)
{
    unsigned b = 0;
    while (b < 64 && (max_value >> b) != 0) b++;
    return b;
}

/* Set bits of x, by the SWAR sums of Hacker's Delight (5-2): the library is
 * built for baseline x86-64, where the popcount builtin is a call into libgcc
 * (it was an eighth of the trie's scoring time). */
static inline unsigned pc64(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    return (unsigned)((x * 0x0101010101010101ULL) >> 56);
}

/* Position of the j-th set bit (0-based) of x, which has more than j: the
 * byte holding it from broadword prefix sums of the byte counts (Vigna 2008,
 * "Broadword implementation of rank/select queries"), then a short loop in
 * that byte. */
static inline unsigned select64(uint64_t x, unsigned j)
{
    const uint64_t L8 = 0x0101010101010101ULL, H8 = 0x8080808080808080ULL;
    uint64_t s = x - ((x >> 1) & 0x5555555555555555ULL);
    s = (s & 0x3333333333333333ULL) + ((s >> 2) & 0x3333333333333333ULL);
    s = (s + (s >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    uint64_t c = s * L8; /* byte k: set bits in bytes 0..k (<= 64, so the high bit is free) */
    /* bytes whose running count is <= j (a prefix of the bytes): their high bits */
    uint64_t le = (((uint64_t)j * L8 | H8) - c) & H8;
    unsigned k = (unsigned)(((le >> 7) * L8) >> 56); /* the byte holding the bit */
    unsigned before = k ? (unsigned)((c >> (8 * (k - 1))) & 0xff) : 0;
    unsigned r = j - before, byte = (unsigned)((x >> (8 * k)) & 0xff);
    while (r--) byte &= byte - 1;
    return 8 * k + (unsigned)__builtin_ctz(byte);
}

/* ---- Elias-Fano child pointers ---------------------------------------------------------
 * Values v_0 <= v_1 <= .. <= v_m (v_i: first child of entry i, v_m: the count
 * of the next level) in blocks of 64. Header of block b (64 bits): v_{64b}
 * (32 bits) | first data word (27 bits) | l (5 bits). Data of a block: its 64
 * low parts of l bits (l words), then the high parts in unary: value j sets
 * bit ((v_j - v_{64b}) >> l) + j. l is chosen per block to minimise its bits,
 * so a block holding a word with thousands of children is still a few words
 * long and a select scans at most ~3 words. */

/* v_i and v_{i+1}, both at most `limit` (the next level's size: a corrupt
 * block gives wrong values, never a read outside the model). */
static inline void ef_pair(const uint64_t *H, const uint64_t *D, uint64_t i, uint64_t limit, uint64_t *a, uint64_t *b)
{
    uint64_t h = H[i >> 6], word = (h >> 32) & (EF_MAX_WORDS - 1);
    unsigned j = (unsigned)(i & 63), l = (unsigned)(h >> 59);
    uint64_t base = h & 0xffffffffu;
    const uint64_t *blk = D + word;
    const uint64_t *up = blk + l;
    /* the block's high-part words (checked at load to lie inside the data) */
    uint64_t nw = ((H[(i >> 6) + 1] >> 32) & (EF_MAX_WORDS - 1)) - word - l;
    uint64_t lmask = (1ull << l) - 1;
    unsigned k = j, w = 0;
    uint64_t x = up[0];
    for (unsigned c; (c = pc64(x)) <= k;) {
        k -= c;
        if (++w >= nw) {
            *a = *b = limit;
            return;
        }
        x = up[w];
    }
    unsigned pos = select64(x, k);
    uint64_t hi = (uint64_t)w * 64 + pos - j;
    uint64_t lo = l ? bits_at((const uint8_t *)blk, (uint64_t)j * l, lmask) : 0;
    uint64_t va = base + ((hi << l) | lo), vb;
    if (j == 63) {
        vb = H[(i >> 6) + 1] & 0xffffffffu;
    } else {
        /* the next set bit after pos */
        uint64_t rest = pos == 63 ? 0 : x >> (pos + 1) << (pos + 1);
        while (!rest) {
            if (++w >= nw) {
                *a = *b = limit;
                return;
            }
            rest = up[w];
        }
        uint64_t hi2 = (uint64_t)w * 64 + (unsigned)__builtin_ctzll(rest) - (j + 1);
        uint64_t lo2 = l ? bits_at((const uint8_t *)blk, (uint64_t)(j + 1) * l, lmask) : 0;
        vb = base + ((hi2 << l) | lo2);
    }
    *a = va < limit ? va : limit;
    *b = vb < limit ? vb : limit;
}

typedef struct u64buf {
    uint64_t *v;
    uint64_t n, cap;
} u64buf;

static int u64_room(u64buf *b, uint64_t more)
{
    if (b->n + more <= b->cap) return 0;
    uint64_t nc = b->cap ? b->cap : 1024;
    while (nc < b->n + more) nc *= 2;
    uint64_t *nv = realloc(b->v, nc * sizeof *nv);
    if (!nv) return -1;
    memset(nv + b->cap, 0, (nc - b->cap) * sizeof *nv);
    b->v = nv;
    b->cap = nc;
    return 0;
}

/* Code v[0..m] (m + 1 values) into headers H and data D. */
static int ef_build(const uint32_t *v, uint64_t m, u64buf *H, u64buf *D)
{
    uint64_t nvals = m + 1, nblocks = (nvals + 63) / 64;
    if (u64_room(H, nblocks + 1)) return -1;
    for (uint64_t b = 0; b < nblocks; b++) {
        uint64_t first = 64 * b, cnt = nvals - first < 64 ? nvals - first : 64;
        uint64_t base = v[first], span = v[first + cnt - 1] - base;
        unsigned best_l = 0;
        uint64_t best = ~0ull;
        for (unsigned l = 0; l < 32; l++) {
            uint64_t cost = 64 * (uint64_t)l + ((span >> l) + cnt + 63) / 64 * 64;
            if (cost < best) {
                best = cost;
                best_l = l;
            }
        }
        unsigned l = best_l;
        uint64_t upw = ((span >> l) + cnt + 63) / 64, at = D->n;
        if (at + l + upw + 2 > EF_MAX_WORDS) return -2;
        if (u64_room(D, l + upw + 2)) return -1;
        uint8_t *lowp = (uint8_t *)(D->v + at);
        uint64_t *up = D->v + at + l;
        for (uint64_t j = 0; j < cnt; j++) {
            uint64_t d = v[first + j] - base;
            if (l) bits_put(lowp, j * l, d & ((1ull << l) - 1));
            uint64_t bit = (d >> l) + j;
            up[bit >> 6] |= 1ull << (bit & 63);
        }
        D->n = at + l + upw;
        H->v[b] = base | (at << 32) | ((uint64_t)l << 59);
    }
    /* a last header: the end of the data, and the value after the last block's
     * (v_m again; read for v_{i+1} when i + 1 = m starts a block) */
    H->v[nblocks] = v[m] | (D->n << 32);
    H->n = nblocks + 1;
    /* padding: a select may read the word after a block, a low-bits read 8 bytes past */
    if (u64_room(D, 2)) return -1;
    D->n += 2;
    return 0;
}

/* ---- value codes ------------------------------------------------------------------------ */

typedef struct coder {
    unsigned kind, bits, ebits;
    uint32_t *table; /* TABLE: float bits sorted by value; EXP: exponent fields << 23, sorted */
    uint32_t n;
    int quantised;
} coder;

static uint32_t fbits(float v)
{
    uint32_t b;
    memcpy(&b, &v, 4);
    return b;
}

static float ffrom(uint32_t b)
{
    float v;
    memcpy(&v, &b, 4);
    return v;
}

static int cmp_float_bits(const void *a, const void *b)
{
    float x = ffrom(*(const uint32_t *)a), y = ffrom(*(const uint32_t *)b);
    if (x < y) return -1;
    if (x > y) return 1;
    uint32_t p = *(const uint32_t *)a, q = *(const uint32_t *)b; /* -0.0 before +0.0 */
    return p > q ? -1 : p < q;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* An order-preserving map of float bits to unsigned ones (negative values
 * reversed, -0.0 just below +0.0) and back. */
static inline uint32_t float_key(uint32_t b) { return b >> 31 ? ~b : b | 0x80000000u; }
static inline uint32_t float_unkey(uint32_t k) { return k >> 31 ? k & 0x7fffffffu : ~k; }

/* Distinct values of v[0..m) into a new array sorted as floats (as_float) or as
 * unsigned integers (*out, *n): two 16-bit passes of a radix sort. */
static int distinct(const uint32_t *v, uint64_t m, int as_float, uint32_t **out, uint32_t *n)
{
    uint32_t *a = malloc((m ? m : 1) * sizeof *a), *b = malloc((m ? m : 1) * sizeof *b);
    uint64_t *cnt = calloc(65537, sizeof *cnt);
    if (!a || !b || !cnt) {
        free(a);
        free(b);
        free(cnt);
        return -1;
    }
    for (uint64_t i = 0; i < m; i++) a[i] = as_float ? float_key(v[i]) : v[i];
    for (int pass = 0; pass < 2; pass++) {
        unsigned sh = 16 * (unsigned)pass;
        memset(cnt, 0, 65537 * sizeof *cnt);
        for (uint64_t i = 0; i < m; i++) cnt[((a[i] >> sh) & 0xffff) + 1]++;
        for (unsigned k = 0; k < 65536; k++) cnt[k + 1] += cnt[k];
        for (uint64_t i = 0; i < m; i++) b[cnt[(a[i] >> sh) & 0xffff]++] = a[i];
        uint32_t *t = a;
        a = b;
        b = t;
    }
    uint64_t k = 0;
    for (uint64_t i = 0; i < m; i++)
        if (k == 0 || a[k - 1] != a[i]) a[k++] = a[i];
    if (as_float)
        for (uint64_t i = 0; i < k; i++) a[i] = float_unkey(a[i]);
    free(b);
    free(cnt);
    *out = a;
    *n = (uint32_t)k;
    return 0;
}

/* The exact coder of the values v[0..m) (float bits) with the fewest bits overall. */
static int coder_exact(const uint32_t *v, uint64_t m, coder *c)
{
    memset(c, 0, sizeof *c);
    uint32_t *vals, nv, *exps, ne;
    if (distinct(v, m, 1, &vals, &nv)) return -1;
    uint32_t *e = malloc((m ? m : 1) * sizeof *e);
    if (!e) {
        free(vals);
        return -1;
    }
    int neg = 0, pos = 0;
    for (uint64_t i = 0; i < m; i++) {
        e[i] = v[i] & 0x7f800000u;
        if (v[i] >> 31) neg = 1;
        else pos = 1;
    }
    int r = distinct(e, m, 0, &exps, &ne);
    free(e);
    if (r) {
        free(vals);
        return -1;
    }
    unsigned tbits = bits_for(nv > 1 ? nv - 1 : 0), ebits = bits_for(ne > 1 ? ne - 1 : 0);
    unsigned xbits = ebits + 23 + (neg && pos);
    uint64_t tcost = m * (uint64_t)tbits + 32 * (uint64_t)nv, xcost = m * (uint64_t)xbits + 32 * (uint64_t)ne;
    if (tcost <= xcost) {
        c->kind = NG_CODE_TABLE;
        c->bits = tbits;
        c->table = vals;
        c->n = nv;
        free(exps);
    } else {
        c->kind = neg && pos ? NG_CODE_EXP : neg ? NG_CODE_EXPNEG : NG_CODE_EXPPOS;
        c->bits = xbits;
        c->ebits = ebits;
        c->table = exps;
        c->n = ne;
        free(vals);
    }
    return 0;
}

/* Equal-count bins of the values (KenLM lm/quantize.cc MakeBins): `bins`
 * centres, each the mean of its bin, after `reserved` fixed codes. A level with
 * no more distinct values than bins keeps them exactly. */
static int coder_quant(const uint32_t *v, uint64_t m, unsigned q, int backoff, coder *c)
{
    memset(c, 0, sizeof *c);
    unsigned reserved = backoff ? 2 : 0;
    uint64_t ncodes = 1ull << q;
    float *x = malloc((m ? m : 1) * sizeof *x);
    if (!x) return -1;
    uint64_t k = 0;
    for (uint64_t i = 0; i < m; i++)
        if (!(backoff && ffrom(v[i]) == 0)) x[k++] = ffrom(v[i]);
    qsort(x, k, sizeof *x, cmp_float);
    uint64_t nd = 0;
    for (uint64_t i = 0; i < k; i++)
        if (nd == 0 || fbits(x[nd - 1]) != fbits(x[i])) x[nd++] = x[i];
    c->kind = NG_CODE_TABLE;
    c->bits = q;
    c->quantised = 1;
    c->n = (uint32_t)ncodes;
    c->table = calloc(ncodes, sizeof *c->table);
    if (!c->table) {
        free(x);
        return -1;
    }
    uint32_t *t = c->table;
    if (backoff) {
        t[0] = fbits(-0.0f); /* no extension */
        t[1] = fbits(0.0f);  /* extension */
    }
    uint64_t bins = ncodes - reserved;
    if (nd <= bins) {
        for (uint64_t i = 0; i < bins; i++) t[reserved + i] = fbits(x[i < nd ? i : (nd ? nd - 1 : 0)]);
        if (!nd)
            for (uint64_t i = 0; i < bins; i++) t[reserved + i] = fbits(-0.0f);
        /* the distinct values alone are codes (the rest repeat the last one): a table shorter
         * than 2^q in the file (ng_trie_level.prob_n / bo_n) says the level is exact */
        c->n = (uint32_t)(reserved + (nd ? nd : 1));
    } else {
        /* the bins are made over all values (with repeats), as KenLM */
        k = 0;
        for (uint64_t i = 0; i < m; i++)
            if (!(backoff && ffrom(v[i]) == 0)) x[k++] = ffrom(v[i]);
        qsort(x, k, sizeof *x, cmp_float);
        uint64_t start = 0;
        for (uint64_t i = 0; i < bins; i++) {
            uint64_t finish = k * (i + 1) / bins;
            float centre;
            if (finish == start) centre = i ? ffrom(t[reserved + i - 1]) : x[0];
            else {
                double s = 0;
                for (uint64_t j = start; j < finish; j++) s += x[j];
                centre = (float)(s / (double)(finish - start));
            }
            t[reserved + i] = fbits(centre);
            start = finish;
        }
    }
    free(x);
    return 0;
}

/* Code of value bits u under coder c (u is one of the values c was made from). */
static uint64_t encode(const coder *c, uint32_t u, int backoff)
{
    if (c->kind == NG_CODE_TABLE && c->quantised) {
        float v = ffrom(u);
        unsigned reserved = backoff ? 2 : 0;
        if (backoff && v == 0) return (u >> 31) ? 0 : 1;
        /* the nearest centre (KenLM's Encode: lower_bound, then the closer neighbour) */
        uint32_t lo = reserved, hi = c->n;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (ffrom(c->table[mid]) < v) lo = mid + 1;
            else hi = mid;
        }
        if (lo == reserved) return reserved;
        if (lo == c->n) return c->n - 1;
        return (v - ffrom(c->table[lo - 1]) < ffrom(c->table[lo]) - v) ? lo - 1 : lo;
    }
    if (c->kind == NG_CODE_TABLE) {
        uint32_t lo = 0, hi = c->n;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (cmp_float_bits(&c->table[mid], &u) < 0) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
    uint32_t ex = u & 0x7f800000u, lo = 0, hi = c->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (c->table[mid] < ex) lo = mid + 1;
        else hi = mid;
    }
    uint64_t code = ((uint64_t)lo << 23) | (u & 0x7fffffu);
    if (c->kind == NG_CODE_EXP) code |= (uint64_t)(u >> 31) << (23 + c->ebits);
    return code;
}

static inline float decode(unsigned kind, const uint32_t *tab, unsigned ebits, uint64_t code)
{
    if (kind == NG_CODE_TABLE) return ffrom(tab[code]);
    uint32_t b = tab[code >> 23 & ((1u << ebits) - 1)] | (uint32_t)(code & 0x7fffffu);
    if (kind == NG_CODE_EXPNEG || (kind == NG_CODE_EXP && (code >> (23 + ebits)) & 1)) b |= 0x80000000u;
    return ffrom(b);
}

/* ---- the loaded trie ---------------------------------------------------------------------- */

static inline unsigned ebits_of(const ng_trie_level *lv, int backoff)
{
    unsigned kind = backoff ? lv->bo_kind : lv->prob_kind, bits = backoff ? lv->bo_bits : lv->prob_bits;
    if (kind == NG_CODE_TABLE) return 0;
    return bits - 23 - (kind == NG_CODE_EXP);
}

static inline float rec_prob(const struct ng_trie *t, unsigned L, uint64_t e)
{
    const ng_trie_level *lv = &t->P.level[L];
    uint64_t code = bits_at(t->rec[L], e * lv->rec_bits + lv->key_bits, t->pmask[L]);
    return decode(lv->prob_kind, t->ptab[L], ebits_of(lv, 0), code);
}

static inline float rec_backoff(const struct ng_trie *t, unsigned L, uint64_t e)
{
    const ng_trie_level *lv = &t->P.level[L];
    uint64_t code = bits_at(t->rec[L], e * lv->rec_bits + lv->key_bits + lv->prob_bits, t->bmask[L]);
    return decode(lv->bo_kind, t->btab[L], ebits_of(lv, 1), code);
}

static inline uint64_t rec_key(const struct ng_trie *t, unsigned L, uint64_t e)
{
    return bits_at(t->rec[L], e * t->P.level[L].rec_bits, t->kmask[L]);
}

/* Entry with `key` among [b, e) of level L (keys rise), or UINT64_MAX: binary
 * search, then a scan of the last few. (Interpolation search, as KenLM's
 * util/sorted_uniform.hh, was tried on level 2 and missed the cache more: its
 * keys are word ids in lmplz's first-seen order, which crowd the frequent words
 * at the low end; KenLM sorts its vocabulary by hash for that reason.) */
static inline uint64_t find_key(const struct ng_trie *t, unsigned L, uint64_t b, uint64_t e, uint64_t key)
{
    const uint8_t *rec = t->rec[L];
    const uint64_t rb = t->P.level[L].rec_bits, km = t->kmask[L];
    while (e - b > 6) {
        uint64_t mid = b + (e - b) / 2, k = bits_at(rec, mid * rb, km);
        if (k < key) b = mid + 1;
        else if (k > key) e = mid;
        else return mid;
    }
    for (; b < e; b++) {
        uint64_t k = bits_at(rec, b * rb, km);
        if (k >= key) return k == key ? b : UINT64_MAX;
    }
    return UINT64_MAX;
}

float ng_trie_score(const struct lmp_ngram *m, const lmp_ngram_state *in, lmp_token_id word, lmp_ngram_state *out,
                    unsigned *ngram_len)
{
    const struct ng_trie *t = m->trie;
    const ng_pb *u = &m->uni[word];
    float prob = u->prob;
    unsigned len = 1;
    out->words[0] = word;
    out->backoff[0] = u->backoff;
    out->rank[0] = (uint32_t)word; /* a unigram's rank is its word id (>= 0) */
    out->length = ng_has_ext(u->backoff) ? 1 : 0;
    unsigned ctx = in->length;
    if (ctx > m->order - 1) ctx = m->order - 1;
    uint64_t b = t->ptr1[word], e = t->ptr1[word + 1], last = 0;
    for (unsigned i = 0; i < ctx && b < e; i++) {
        unsigned L = i + 2;
        uint64_t at = find_key(t, L, b, e, in->rank[i]);
        if (at == UINT64_MAX) break;
        last = at; /* only the longest match's probability is decoded, after the walk */
        len = L;
        if (L == m->order) break;
        float bo = rec_backoff(t, L, at);
        out->words[i + 1] = in->words[i];
        out->backoff[i + 1] = bo;
        out->rank[i + 1] = (uint32_t)(at - b);
        if (ng_has_ext(bo)) out->length = L;
        ef_pair(t->efh[L], t->efd[L], at, t->P.level[L + 1].count, &b, &e);
    }
    if (len > 1) prob = rec_prob(t, len, last);
    for (unsigned j = len - 1; j < in->length; j++) prob += in->backoff[j];
    *ngram_len = len;
    return prob;
}

double ng_trie_prob_floor(const struct lmp_ngram *m, unsigned L, float v)
{
    const struct ng_trie *t = m->trie;
    if (!t || !t->P.prob_q || L < 2 || L > m->order) return v;
    const ng_trie_level *lv = &t->P.level[L];
    /* a level with no more distinct values than codes kept them (coder_quant): a short table */
    if (lv->prob_kind != NG_CODE_TABLE || lv->prob_n < ((uint32_t)1 << lv->prob_bits)) return v;
    /* the centres rise (coder_quant); the first equal to v, as encode's lower_bound finds it */
    const uint32_t *tab = t->ptab[L];
    uint32_t lo = 0, hi = (uint32_t)1 << lv->prob_bits;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (ffrom(tab[mid]) < v) lo = mid + 1;
        else hi = mid;
    }
    if (lo == 0) return -INFINITY;
    /* encode breaks a tie toward the upper centre: the midpoint itself codes as v */
    return 0.5 * ((double)ffrom(tab[lo - 1]) + (double)v);
}

size_t ng_trie_prob_centres(const struct lmp_ngram *m, unsigned L, float *out, size_t max)
{
    const struct ng_trie *t = m->trie;
    if (!t || !t->P.prob_q || L < 2 || L > m->order) return 0;
    const ng_trie_level *lv = &t->P.level[L];
    if (lv->prob_kind != NG_CODE_TABLE || lv->prob_n < ((uint32_t)1 << lv->prob_bits)) return 0;
    size_t n = (size_t)1 << lv->prob_bits;
    for (size_t i = 0; i < n && i < max; i++) out[i] = ffrom(t->ptab[L][i]);
    return n < max ? n : max;
}

void ng_trie_free(struct ng_trie *t)
{
    free(t);
}

void ng_trie_info(const struct lmp_ngram *m, lmp_ngram_info *info)
{
    const struct ng_trie *t = m->trie;
    info->prob_bits = t->P.prob_q;
    info->backoff_bits = t->P.bo_q;
    for (unsigned L = 2; L <= m->order; L++) {
        const ng_trie_level *lv = &t->P.level[L];
        lmp_ngram_level_info *o = &info->level[L];
        o->entries = lv->count;
        o->key_bits = lv->key_bits;
        o->prob_bits = lv->prob_bits;
        o->backoff_bits = lv->bo_bits;
        o->record_bits = lv->rec_bits;
        o->record_bytes = t->rec_bytes[L];
        o->pointer_bytes = L < m->order ? 8 * (t->efh_n[L] + t->efd_n[L]) : 0;
    }
}

/* Section indices: ptr1, then records of levels 2..N, pointer headers and data of levels 2..N-1, codebooks, blanks. */
static unsigned sec_ptr1(void) { return NG_SEC_COMMON; }
static unsigned sec_rec(unsigned L) { return NG_SEC_COMMON + 1 + L - 2; }
static unsigned sec_efh(unsigned N, unsigned L) { return NG_SEC_COMMON + 1 + (N - 1) + 2 * (L - 2); }
static unsigned sec_efd(unsigned N, unsigned L) { return sec_efh(N, L) + 1; }
static unsigned sec_codes(unsigned N) { return NG_SEC_COMMON + 1 + (N - 1) + (N >= 2 ? 2 * (N - 2) : 0); }
static unsigned sec_blanks(unsigned N) { return sec_codes(N) + 1; }
static unsigned n_sections(unsigned N) { return sec_blanks(N) + 1; }

void ng_trie_section_name(const ng_header *h, unsigned i, char *buf, size_t cap)
{
    unsigned N = h->order;
    if (i == sec_ptr1()) snprintf(buf, cap, "unigram child pointers");
    else if (i == sec_codes(N)) snprintf(buf, cap, "codebooks");
    else if (i == sec_blanks(N)) snprintf(buf, cap, "blanks");
    else if (N >= 2 && i >= sec_rec(2) && i <= sec_rec(N)) snprintf(buf, cap, "%u-gram records", i - sec_rec(2) + 2);
    else if (N >= 3 && i >= sec_efh(N, 2) && i < sec_codes(N))
        snprintf(buf, cap, "%u-gram child pointers (%s)", (i - sec_efh(N, 2)) / 2 + 2,
                 (i - sec_efh(N, 2)) % 2 ? "blocks" : "block headers");
    else snprintf(buf, cap, "section %u", i);
}

#define CORRUPT(off, fmt, ...)                                                                             \
    lmp_error_set_at(err, LMP_EFORMAT, path, 0, "corrupt binary model at offset %llu: " fmt,                   \
                     (unsigned long long)(off), __VA_ARGS__)

static int kind_ok(unsigned kind) { return kind >= NG_CODE_EXP && kind <= NG_CODE_EXPPOS; }

lmp_status ng_trie_load(const char *path, const ng_header *h, const unsigned char *base, struct lmp_ngram *m,
                        lmp_error *err)
{
    unsigned N = h->order;
    if (h->n_sections != n_sections(N))
        return CORRUPT(224, "%u sections: the trie layout of order %u has %u", h->n_sections, N, n_sections(N));
    struct ng_trie *t = calloc(1, sizeof *t);
    if (!t) return lmp_error_set(err, LMP_ENOMEM, "out of memory");
    m->trie = t;
    memcpy(&t->P, h->params, sizeof t->P);
    t->vocab = h->vocab_size;
    const ng_section *S = h->sec;
    uint64_t V = h->vocab_size;
    if (S[sec_ptr1()].bytes != (V + 1) * sizeof(uint32_t))
        return CORRUPT(S[sec_ptr1()].off, "the unigram children hold %llu bytes, expected %llu",
                       (unsigned long long)S[sec_ptr1()].bytes, (unsigned long long)(V + 1) * 4);
    /* Checked at every load, with the common sections: the unigram child pointers (read whole below) and the
     * codebooks (every score reads them) are small, and a flipped byte in either changed scores silently, where
     * the order checks below let about 1 in 7 pointer flips through (a fuzz of the thirty-fourth session). A
     * codebook of 16 MiB or more (24-bit codes) is left to verify, as the n-gram records are. */
    lmp_status cs = ng_check_section(path, h, base + S[sec_ptr1()].off, sec_ptr1(), err);
    if (!cs && S[sec_codes(N)].bytes < ((uint64_t)16 << 20))
        cs = ng_check_section(path, h, base + S[sec_codes(N)].off, sec_codes(N), err);
    if (cs) return cs;
    t->ptr1 = (const uint32_t *)(const void *)(base + S[sec_ptr1()].off);
    uint64_t codes_n = S[sec_codes(N)].bytes / 4, blanks_n = S[sec_blanks(N)].bytes / 4;
    const uint32_t *codes = (const uint32_t *)(const void *)(base + S[sec_codes(N)].off);
    const uint32_t *blanks = (const uint32_t *)(const void *)(base + S[sec_blanks(N)].off);
    /* unigram children are cheap to check whole (O(V)): rising, ending at the bigram count */
    uint64_t c2 = N >= 2 ? t->P.level[2].count : 0;
    for (uint64_t w = 0; w < V; w++)
        if (t->ptr1[w] > t->ptr1[w + 1])
            return CORRUPT(S[sec_ptr1()].off + 4 * w, "the children of word %llu start at %u, after the next word's %u",
                           (unsigned long long)w, t->ptr1[w], t->ptr1[w + 1]);
    if (t->ptr1[0] != 0 || t->ptr1[V] != c2)
        return CORRUPT(S[sec_ptr1()].off, "the unigram children span %u..%u, expected 0..%llu", t->ptr1[0], t->ptr1[V],
                       (unsigned long long)c2);
    for (unsigned L = 2; L <= N; L++) {
        const ng_trie_level *lv = &t->P.level[L];
        int top = L == N;
        if (lv->count >= UINT32_MAX / 2 || lv->key_bits > 32 || !kind_ok(lv->prob_kind) || lv->prob_bits > 32 ||
            (!top && (!kind_ok(lv->bo_kind) || lv->bo_bits > 32)) || (top && lv->bo_bits != 0) ||
            lv->rec_bits != lv->key_bits + lv->prob_bits + (top ? 0 : lv->bo_bits) ||
            (lv->prob_kind != NG_CODE_TABLE && lv->prob_bits < 23 + (lv->prob_kind == NG_CODE_EXP)) ||
            (!top && lv->bo_kind != NG_CODE_TABLE && lv->bo_bits < 23 + (lv->bo_kind == NG_CODE_EXP)))
            return CORRUPT(232, "level %u: %llu entries, record bits %u = key %u + prob %u (kind %u) + backoff %u (kind %u)",
                           L, (unsigned long long)lv->count, lv->rec_bits, lv->key_bits, lv->prob_bits, lv->prob_kind,
                           lv->bo_bits, lv->bo_kind);
        uint64_t rbytes = (lv->count * lv->rec_bits + 7) / 8 + 8;
        if (S[sec_rec(L)].bytes != rbytes)
            return CORRUPT(S[sec_rec(L)].off, "the %u-gram records hold %llu bytes, expected %llu", L,
                           (unsigned long long)S[sec_rec(L)].bytes, (unsigned long long)rbytes);
        t->rec[L] = base + S[sec_rec(L)].off;
        t->rec_bytes[L] = rbytes;
        t->kmask[L] = (1ull << lv->key_bits) - 1;
        t->pmask[L] = (1ull << lv->prob_bits) - 1;
        t->bmask[L] = (1ull << lv->bo_bits) - 1;
        /* the code tables: a code can never index past them (the loop bound is the code width) */
        uint64_t pn = lv->prob_kind == NG_CODE_TABLE ? (1ull << lv->prob_bits) : (1ull << ebits_of(lv, 0));
        if ((uint64_t)lv->prob_at + pn > codes_n || lv->prob_n > pn)
            return CORRUPT(S[sec_codes(N)].off, "level %u: probability codes %u + %llu beyond the %llu codebook entries",
                           L, lv->prob_at, (unsigned long long)pn, (unsigned long long)codes_n);
        t->ptab[L] = codes + lv->prob_at;
        if (!top) {
            uint64_t bn = lv->bo_kind == NG_CODE_TABLE ? (1ull << lv->bo_bits) : (1ull << ebits_of(lv, 1));
            if ((uint64_t)lv->bo_at + bn > codes_n || lv->bo_n > bn)
                return CORRUPT(S[sec_codes(N)].off, "level %u: backoff codes %u + %llu beyond the %llu codebook entries",
                               L, lv->bo_at, (unsigned long long)bn, (unsigned long long)codes_n);
            t->btab[L] = codes + lv->bo_at;
            const ng_section *eh = &S[sec_efh(N, L)], *ed = &S[sec_efd(N, L)];
            uint64_t nblocks = (lv->count + 1 + 63) / 64;
            if (eh->bytes != (nblocks + 1) * 8 || ed->bytes % 8 != 0 || ed->bytes / 8 > EF_MAX_WORDS || ed->bytes < 16)
                return CORRUPT(eh->off, "the %u-gram child pointers: %llu header bytes for %llu entries, %llu data bytes",
                               L, (unsigned long long)eh->bytes, (unsigned long long)lv->count,
                               (unsigned long long)ed->bytes);
            t->efh[L] = (const uint64_t *)(const void *)(base + eh->off);
            t->efd[L] = (const uint64_t *)(const void *)(base + ed->off);
            t->efh_n[L] = nblocks + 1;
            t->efd_n[L] = ed->bytes / 8;
        }
        if (lv->blank_at > blanks_n || lv->blanks > blanks_n - lv->blank_at || lv->blanks > lv->count) /* no wrap */
            return CORRUPT(S[sec_blanks(N)].off, "level %u: %llu blanks from %llu beyond the %llu listed", L,
                           (unsigned long long)lv->blanks, (unsigned long long)lv->blank_at,
                           (unsigned long long)blanks_n);
        t->blank[L] = blanks + lv->blank_at;
        if (lv->count - lv->blanks != h->counts[L])
            return CORRUPT(80, "level %u: %llu entries with %llu blanks, the header counts %llu n-grams", L,
                           (unsigned long long)lv->count, (unsigned long long)lv->blanks,
                           (unsigned long long)h->counts[L]);
    }
    /* The pointer blocks are read at query time with a bound per block header:
     * check every header now (O(n / 64), a few hundred KB for a large model) so a
     * corrupt one cannot send a read outside its section. */
    for (unsigned L = 2; L < N; L++) {
        uint64_t next = t->P.level[L + 1].count;
        for (uint64_t b = 0; b + 1 < t->efh_n[L]; b++) {
            uint64_t hv = t->efh[L][b], word = (hv >> 32) & (EF_MAX_WORDS - 1), l = hv >> 59;
            uint64_t nb = (t->efh[L][b + 1] >> 32) & (EF_MAX_WORDS - 1);
            uint64_t vb = hv & 0xffffffffu, vn = t->efh[L][b + 1] & 0xffffffffu;
            /* the block: l words of low parts, then at least one word of high parts, inside the data */
            if (nb < word + l + 1 || nb > t->efd_n[L] - 2 || vb > vn || vn > next)
                return CORRUPT(S[sec_efh(N, L)].off + 8 * b, "%u-gram pointer block %llu: value %llu..%llu, data words "
                               "%llu..%llu of %llu, %u low bits",
                               L, (unsigned long long)b, (unsigned long long)vb, (unsigned long long)vn,
                               (unsigned long long)word, (unsigned long long)nb, (unsigned long long)t->efd_n[L],
                               (unsigned)l);
        }
    }
    return LMP_OK;
}

/* ---- building ------------------------------------------------------------------------------ */

/* Per level while building: entries are dense ids, the real n-grams first (their
 * index in ent[L]) then the blanks. */
typedef struct tb_level {
    uint64_t total, real;
    uint32_t *slot2d;  /* table slot -> dense id (UINT32_MAX: empty) */
    uint32_t *sfx;     /* suffix (last L-1 words): dense id at level L-1; the word for L = 2 */
    uint32_t *pos;     /* dense id -> trie position */
    uint32_t *ptrv;    /* [total + 1] first child position in level L+1, by trie position */
    lmp_token_id *bwords; /* blanks' words, L per blank (NULL without blanks) */
    uint64_t nblank;
} tb_level;

static void tb_level_free(tb_level *t)
{
    free(t->slot2d);
    free(t->sfx);
    free(t->pos);
    free(t->ptrv);
    free(t->bwords);
    memset(t, 0, sizeof *t);
}

/* Key of the words ids[0..n) (oldest first) in the hashed layout. */
static uint64_t key_of(const lmp_token_id *ids, unsigned n)
{
    uint64_t k = ng_key1(ids[n - 1]);
    for (int j = (int)n - 2; j >= 0; j--) k = ng_combine(k, ids[j]);
    return ng_key_fix(k);
}

/* Dense id at level L (>= 2) of the words ids[0..L), UINT32_MAX when absent. */
static uint32_t dense_of(const struct lmp_ngram *m, const tb_level *lv, unsigned L, const lmp_token_id *ids)
{
    const ng_slot *s = ng_find(m->tab[L], m->cap[L], key_of(ids, L));
    return s ? lv[L].slot2d[s - m->tab[L]] : UINT32_MAX;
}

/* Words of real entry i of level L of a hashed model (oldest first). */
static void real_words(const struct lmp_ngram *m, unsigned L, uint64_t i, lmp_token_id *ids)
{
    const ng_entry *e = &m->ent[L][i];
    ids[L - 1] = ng_entry_word(e);
    uint32_t pre = e->prefix;
    for (unsigned o = L - 1; o >= 2; o--) {
        const ng_entry *pe = &m->ent[o][pre];
        ids[o - 1] = ng_entry_word(pe);
        pre = pe->prefix;
    }
    ids[0] = (lmp_token_id)pre; /* a 2-gram's prefix is its context's word id */
}

typedef struct tb_out {
    ng_trie_params P;
    uint32_t *ptr1;
    uint8_t *rec[NM];
    uint64_t rec_bytes[NM];
    u64buf efh[NM], efd[NM];
    uint32_t *codes;
    uint64_t ncodes, codes_cap;
    uint32_t *blanks;
    uint64_t nblanks;
} tb_out;

/* Frees and empties o, so that a second call is harmless: tb_build frees its output when it fails and
 * lmp_ngram_write_trie frees it whatever happened (a failed allocation in tb_build freed every block
 * twice: "double free or corruption" under a memory limit, found by an allocation-failure sweep). */
static void tb_out_free(tb_out *o)
{
    free(o->ptr1);
    for (unsigned L = 0; L < NM; L++) {
        free(o->rec[L]);
        free(o->efh[L].v);
        free(o->efd[L].v);
    }
    free(o->codes);
    free(o->blanks);
    memset(o, 0, sizeof *o);
}

/* Append a code table padded to `room` entries (every code of its width
 * indexes inside it, even in a damaged file). */
static int codes_add(tb_out *o, const uint32_t *v, uint64_t n, uint64_t room, uint32_t *at)
{
    if (room < n) room = n;
    if (o->ncodes + room > o->codes_cap) {
        uint64_t nc = o->codes_cap ? o->codes_cap : 1024;
        while (nc < o->ncodes + room) nc *= 2;
        uint32_t *p = realloc(o->codes, nc * sizeof *p);
        if (!p) return -1;
        o->codes = p;
        o->codes_cap = nc;
    }
    memcpy(o->codes + o->ncodes, v, n * sizeof *v);
    for (uint64_t i = n; i < room; i++) o->codes[o->ncodes + i] = n ? v[n - 1] : 0;
    *at = (uint32_t)o->ncodes;
    o->ncodes += room;
    return 0;
}

/* Entries a code table of coder c must have. */
static uint64_t code_room(const coder *c)
{
    return c->kind == NG_CODE_TABLE ? 1ull << c->bits : 1ull << c->ebits;
}

#define NOMEM_IF(c)                                                                                        \
    do {                                                                                                   \
        if (c) {                                                                                           \
            st = lmp_error_set(err, LMP_ENOMEM, "building the trie: out of memory");                       \
            goto done;                                                                                     \
        }                                                                                                  \
    } while (0)

/* Build the trie sections of the hashed model m. */
static lmp_status tb_build(const struct lmp_ngram *m, unsigned pq, unsigned bq, tb_out *o, lmp_error *err)
{
    const unsigned N = m->order;
    const uint64_t V = m->vocab_size;
    tb_level lv[NM];
    memset(lv, 0, sizeof lv);
    memset(o, 0, sizeof *o);
    lmp_status st = LMP_OK;
    /* fw: each entry's first word as the counting sort's unsigned key (ids are >= 0); ctx: its context's index */
    uint32_t *fw = NULL, *ctx = NULL, *pv = NULL, *bv = NULL, *perm = NULL, *tmp = NULL, *keys = NULL, *fwprev = NULL;
    o->P.prob_q = (uint8_t)pq;
    o->P.bo_q = (uint8_t)bq;
    o->ptr1 = calloc(V + 1, sizeof *o->ptr1);
    NOMEM_IF(!o->ptr1);
    /* dense ids: real n-grams, then blanks (occupied slots no list entry names) */
    for (unsigned L = 2; L <= N; L++) {
        tb_level *t = &lv[L];
        t->slot2d = malloc(m->cap[L] * sizeof *t->slot2d);
        NOMEM_IF(!t->slot2d);
        memset(t->slot2d, 0xff, m->cap[L] * sizeof *t->slot2d);
        t->real = m->counts[L];
        for (uint64_t i = 0; i < t->real; i++) t->slot2d[m->ent[L][i].slot] = (uint32_t)i;
        uint64_t d = t->real;
        for (uint64_t s = 0; s < m->cap[L]; s++)
            if (m->tab[L][s].key != 0 && t->slot2d[s] == UINT32_MAX) t->slot2d[s] = (uint32_t)d++;
        t->total = d;
        t->nblank = d - t->real;
        if (t->total >= UINT32_MAX / 2) {
            st = lmp_error_set(err, LMP_EUNSUPPORTED, "%llu %u-grams: the trie handles fewer than 2^31 per order",
                               (unsigned long long)t->total, L);
            goto done;
        }
    }
    /* the blanks' words: each is a suffix of a real n-gram of a higher order */
    for (unsigned L = 2; L <= N; L++)
        if (lv[L].nblank) NOMEM_IF(!(lv[L].bwords = malloc(lv[L].nblank * L * sizeof(lmp_token_id))));
    for (unsigned Lh = 3; Lh <= N; Lh++) {
        int any = 0;
        for (unsigned j = 2; j < Lh; j++) any |= lv[j].nblank != 0;
        if (!any) continue;
        lmp_token_id ids[LMP_NGRAM_MAX_ORDER];
        for (uint64_t i = 0; i < m->counts[Lh]; i++) {
            real_words(m, Lh, i, ids);
            for (unsigned j = 2; j < Lh; j++) {
                if (!lv[j].nblank) continue;
                uint32_t d = dense_of(m, lv, j, ids + Lh - j);
                if (d != UINT32_MAX && d >= lv[j].real)
                    memcpy(lv[j].bwords + (d - lv[j].real) * j, ids + Lh - j, j * sizeof *ids);
            }
        }
    }
    for (unsigned L = 2; L <= N; L++) {
        tb_level *t = &lv[L], *p = &lv[L - 1];
        const uint64_t T = t->total, P1 = L == 2 ? V : p->total;
        ng_trie_level *ol = &o->P.level[L];
        fw = malloc((T ? T : 1) * sizeof *fw);
        ctx = malloc((T ? T : 1) * sizeof *ctx);
        pv = malloc((T ? T : 1) * sizeof *pv);
        bv = malloc((T ? T : 1) * sizeof *bv);
        t->sfx = malloc((T ? T : 1) * sizeof *t->sfx);
        NOMEM_IF(!fw || !ctx || !pv || !bv || !t->sfx);
        lmp_token_id ids[LMP_NGRAM_MAX_ORDER];
        for (uint64_t d = 0; d < T; d++) {
            if (d < t->real) {
                const ng_entry *e = &m->ent[L][d];
                ctx[d] = e->prefix;
                fw[d] = L == 2 ? e->prefix : fwprev[e->prefix];
                const ng_slot *s = &m->tab[L][e->slot];
                pv[d] = fbits(s->prob);
                bv[d] = fbits(s->backoff);
                if (L == 2) t->sfx[d] = e->word;
                else {
                    real_words(m, L, d, ids);
                    t->sfx[d] = dense_of(m, lv, L - 1, ids + 1);
                }
            } else {
                const lmp_token_id *w = t->bwords + (d - t->real) * L;
                /* ctx, sfx: indices into level L-1 (for L = 2 into the words: the ids, >= 0); fw: the
                 * first word as the counting sort's unsigned key */
                ctx[d] = L == 2 ? (uint32_t)w[0] : dense_of(m, lv, L - 1, w);
                fw[d] = (uint32_t)w[0];
                t->sfx[d] = L == 2 ? (uint32_t)w[1] : dense_of(m, lv, L - 1, w + 1);
                const ng_slot *s = ng_find(m->tab[L], m->cap[L], key_of(w, L));
                pv[d] = fbits(s ? s->prob : 0.0f);
                bv[d] = fbits(s ? s->backoff : -0.0f);
            }
            if (ctx[d] >= P1 || t->sfx[d] >= P1 || fw[d] >= V) {
                st = lmp_error_set(err, LMP_EFORMAT, "building the trie: the %u-gram %llu has no context or suffix", L,
                                   (unsigned long long)d);
                goto done;
            }
        }
        /* trie order: by the suffix's position, then the first word (two stable counting sorts) */
        perm = malloc((T ? T : 1) * sizeof *perm);
        tmp = malloc((T ? T : 1) * sizeof *tmp);
        keys = malloc((T ? T : 1) * sizeof *keys);
        t->pos = malloc((T ? T : 1) * sizeof *t->pos);
        NOMEM_IF(!perm || !tmp || !keys || !t->pos);
        for (uint64_t d = 0; d < T; d++) {
            tmp[d] = (uint32_t)d;
            keys[d] = L == 2 ? t->sfx[d] : p->pos[t->sfx[d]];
        }
        NOMEM_IF(ng_counting_sort(tmp, fw, T, V, perm) || ng_counting_sort(perm, keys, T, P1, tmp));
        for (uint64_t q = 0; q < T; q++) t->pos[tmp[q]] = (uint32_t)q;
        /* position -> dense id; tmp still owns it, so that a failure below frees it at done: (it was
         * handed to `order` and leaked there, found by the allocation sweep under LeakSanitizer) */
        const uint32_t *order = tmp;
        /* child pointers of level L-1 (of the words for L = 2), by position */
        uint32_t *cnt = L == 2 ? o->ptr1 : (p->ptrv = calloc(P1 + 1, sizeof *p->ptrv));
        NOMEM_IF(!cnt);
        for (uint64_t d = 0; d < T; d++) cnt[keys[d] + 1]++;
        for (uint64_t q = 0; q < P1; q++) cnt[q + 1] += cnt[q];
        /* keys: the first word at level 2, above it the context's rank among its siblings */
        uint32_t maxkey = 0;
        for (uint64_t d = 0; d < T; d++) {
            uint32_t k;
            if (L == 2) k = ctx[d];
            else {
                uint32_t c = ctx[d], cs = p->sfx[c];
                uint32_t begin = L == 3 ? o->ptr1[cs] : lv[L - 2].ptrv[lv[L - 2].pos[cs]];
                k = p->pos[c] - begin;
            }
            keys[d] = k;
            if (k > maxkey) maxkey = k;
        }
        /* value coders */
        coder pc, bc;
        memset(&bc, 0, sizeof bc);
        int r = pq ? coder_quant(pv, T, pq, 0, &pc) : coder_exact(pv, T, &pc);
        NOMEM_IF(r);
        if (L < N) {
            r = bq ? coder_quant(bv, T, bq, 1, &bc) : coder_exact(bv, T, &bc);
            if (r) free(pc.table);
            NOMEM_IF(r);
        }
        ol->count = T;
        ol->key_bits = (uint8_t)bits_for(maxkey);
        ol->prob_bits = (uint8_t)pc.bits;
        ol->prob_kind = (uint8_t)pc.kind;
        ol->bo_bits = (uint8_t)(L < N ? bc.bits : 0);
        ol->bo_kind = (uint8_t)(L < N ? bc.kind : NG_CODE_TABLE);
        ol->rec_bits = (uint8_t)(ol->key_bits + ol->prob_bits + ol->bo_bits);
        ol->prob_n = pc.n;
        r = codes_add(o, pc.table, pc.n, code_room(&pc), &ol->prob_at);
        if (!r && L < N) {
            ol->bo_n = bc.n;
            r = codes_add(o, bc.table, bc.n, code_room(&bc), &ol->bo_at);
        }
        o->rec_bytes[L] = (T * ol->rec_bits + 7) / 8 + 8;
        o->rec[L] = r ? NULL : calloc(o->rec_bytes[L], 1);
        if (!o->rec[L]) {
            free(pc.table);
            free(bc.table);
            NOMEM_IF(1);
        }
        for (uint64_t q = 0; q < T; q++) {
            uint32_t d = order[q];
            uint64_t at = q * ol->rec_bits;
            bits_put(o->rec[L], at, keys[d]);
            bits_put(o->rec[L], at + ol->key_bits, encode(&pc, pv[d], 0));
            if (L < N) bits_put(o->rec[L], at + ol->key_bits + ol->prob_bits, encode(&bc, bv[d], 1));
        }
        free(pc.table);
        free(bc.table);
        /* blanks, by position */
        ol->blank_at = o->nblanks;
        ol->blanks = t->nblank;
        if (t->nblank) {
            uint32_t *nb = realloc(o->blanks, (o->nblanks + t->nblank) * sizeof *nb);
            NOMEM_IF(!nb);
            o->blanks = nb;
            uint64_t k = o->nblanks;
            for (uint64_t q = 0; q < T; q++)
                if (order[q] >= t->real) o->blanks[k++] = (uint32_t)q;
            o->nblanks = k;
        }
        free(tmp);
        tmp = NULL;
        /* level L-1's pointers are complete: code them */
        if (L >= 3) {
            r = ef_build(p->ptrv, P1, &o->efh[L - 1], &o->efd[L - 1]);
            if (r == -2) {
                st = lmp_error_set(err, LMP_EUNSUPPORTED, "the %u-gram child pointers need more than 2^27 words", L - 1);
                goto done;
            }
            NOMEM_IF(r);
        }
        /* what the next level needs: pos, sfx, ptrv of L-1 and L; first words of L */
        free(fwprev);
        fwprev = fw;
        fw = NULL;
        free(ctx);
        free(pv);
        free(bv);
        free(keys);
        free(perm);
        ctx = pv = bv = keys = perm = NULL;
        if (L >= 3) {
            free(lv[L - 2].pos);
            free(lv[L - 2].ptrv);
            free(lv[L - 2].sfx);
            lv[L - 2].pos = lv[L - 2].ptrv = lv[L - 2].sfx = NULL;
        }
    }
done:
    free(fw);
    free(fwprev);
    free(ctx);
    free(pv);
    free(bv);
    free(perm);
    free(tmp);
    free(keys);
    for (unsigned L = 0; L < NM; L++) tb_level_free(&lv[L]);
    if (st) tb_out_free(o);
    return st;
}

lmp_status lmp_ngram_write_trie(const lmp_ngram *m, const char *path, const lmp_ngram_trie_params *params,
                                lmp_error *err)
{
    if (!m || !path) return lmp_error_set(err, LMP_EINVAL, "lmp_ngram_write_trie: NULL model or path");
    unsigned pq = params ? params->prob_bits : 0, bq = params ? params->backoff_bits : 0;
    if (pq > 24 || bq > 24)
        return lmp_error_set(err, LMP_EINVAL, "quantisation to %u / %u bits: expected 0 (exact) or 1 to 24 bits", pq, bq);
    if (bq && !pq) return lmp_error_set(err, LMP_EINVAL, "backoff bits %u without probability bits: expected prob_bits > 0", bq);
    /* as build_binary, -b defaults to -q; at least 2, which the two reserved backoff codes need */
    if (pq && !bq) bq = pq < 2 ? 2 : pq;
    if (bq == 1) return lmp_error_set(err, LMP_EINVAL, "backoff bits 1: expected at least 2 (two codes are reserved for the zero backoffs)");
    /* the builder reads the hashed layout (its tables know the blanks); a trie is converted first */
    lmp_ngram *h = NULL;
    if (m->trie) {
        ng_src s;
        lmp_status st = ng_src_of_model(m, &s, err);
        if (st) return st;
        st = ng_build_hashed(&s, &h, err);
        ng_src_release(&s);
        if (st) return st;
        m = h;
    }
    tb_out o;
    lmp_status st = m->order >= 2 ? tb_build(m, pq, bq, &o, err) : LMP_OK;
    if (m->order < 2) {
        memset(&o, 0, sizeof o);
        o.ptr1 = calloc(m->vocab_size + 1, sizeof *o.ptr1);
        if (!o.ptr1) st = lmp_error_set(err, LMP_ENOMEM, "out of memory");
    }
    if (!st) {
        ng_header hd;
        ng_header_init(&hd, m, NG_LAYOUT_TRIE);
        memcpy(hd.params, &o.P, sizeof o.P);
        ng_wsec s[NG_MAX_SECTIONS];
        memset(s, 0, sizeof s);
        const unsigned N = m->order;
        ng_common_sections(m, s);
        s[sec_ptr1()] = (ng_wsec){o.ptr1, (m->vocab_size + 1) * sizeof(uint32_t)};
        for (unsigned L = 2; L <= N; L++) s[sec_rec(L)] = (ng_wsec){o.rec[L], o.rec_bytes[L]};
        for (unsigned L = 2; L < N; L++) {
            s[sec_efh(N, L)] = (ng_wsec){o.efh[L].v, o.efh[L].n * 8};
            s[sec_efd(N, L)] = (ng_wsec){o.efd[L].v, o.efd[L].n * 8};
        }
        s[sec_codes(N)] = (ng_wsec){o.codes, o.ncodes * 4};
        s[sec_blanks(N)] = (ng_wsec){o.blanks, o.nblanks * 4};
        st = ng_write_sections(path, &hd, s, n_sections(N), err);
    }
    tb_out_free(&o);
    lmp_ngram_free(h);
    return st;
}

/* ---- the ARPA view, checks, conversion ---------------------------------------------------- */

typedef struct trie_view {
    const struct lmp_ngram *m;
    uint32_t *pos[NM], *ctx[NM]; /* per real n-gram, in trie order: its position, its context's index */
    lmp_token_id *w[NM];         /* and its last word */
} trie_view;

/* Entries of level L before position p that are not blanks. */
static uint64_t real_index(const struct ng_trie *t, unsigned L, uint64_t p)
{
    const ng_trie_level *lv = &t->P.level[L];
    uint64_t lo = 0, hi = lv->blanks; /* blanks below p */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (t->blank[L][mid] < p) lo = mid + 1;
        else hi = mid;
    }
    return p - lo;
}

static const char *view_word(const void *self, lmp_token_id id, size_t *len)
{
    const struct lmp_ngram *m = ((const trie_view *)self)->m;
    *len = (size_t)(m->stroff[id + 1] - m->stroff[id] - 1);
    return m->strings + m->stroff[id];
}

static void view_unigram(const void *self, lmp_token_id id, float *prob, float *backoff)
{
    const struct lmp_ngram *m = ((const trie_view *)self)->m;
    *prob = m->uni[id].prob;
    *backoff = m->uni[id].backoff;
}

static void view_entry(const void *self, unsigned n, uint64_t i, uint32_t *ctx, lmp_token_id *w, float *prob,
                       float *backoff)
{
    const trie_view *v = self;
    const struct lmp_ngram *m = v->m;
    uint64_t p = v->pos[n][i];
    *ctx = v->ctx[n][i];
    *w = v->w[n][i];
    *prob = rec_prob(m->trie, n, p);
    *backoff = n < m->order ? rec_backoff(m->trie, n, p) : 0.0f;
}

/* Walk the trie level by level: each position's parent, its context's
 * position and its last word, kept for the real n-grams. */
lmp_status ng_trie_src(const struct lmp_ngram *m, ng_src *s, lmp_error *err)
{
    const struct ng_trie *t = m->trie;
    const unsigned N = m->order;
    uint64_t total = 0;
    for (unsigned L = 2; L <= N; L++) total += m->counts[L];
    /* one block: the view, then two index arrays per level, then the words of every level */
    char *blk = malloc(sizeof(trie_view) + 2 * (total + 1) * sizeof(uint32_t) + (total + 1) * sizeof(lmp_token_id));
    uint32_t *cpos_prev = NULL, *cpos = NULL;
    lmp_token_id *w_prev = NULL, *wl = NULL;
    if (!blk) return lmp_error_set(err, LMP_ENOMEM, "out of memory for the trie's ARPA view");
    trie_view *v = (trie_view *)(void *)blk;
    memset(v, 0, sizeof *v);
    v->m = m;
    uint32_t *arr = (uint32_t *)(void *)(blk + sizeof *v);
    lmp_token_id *warr = (lmp_token_id *)(void *)(blk + sizeof *v + 2 * (total + 1) * sizeof(uint32_t));
    lmp_status st = LMP_OK;
    for (unsigned L = 2; L <= N && !st; L++) {
        const uint64_t T = t->P.level[L].count, R = m->counts[L];
        v->pos[L] = arr;
        v->ctx[L] = arr + R;
        v->w[L] = warr;
        arr += 2 * R;
        warr += R;
        cpos = malloc((T ? T : 1) * sizeof *cpos);
        wl = malloc((T ? T : 1) * sizeof *wl);
        if (!cpos || !wl) {
            st = lmp_error_set(err, LMP_ENOMEM, "out of memory for the trie's ARPA view");
            break;
        }
        const uint64_t P = L == 2 ? m->vocab_size : t->P.level[L - 1].count, nbl = t->P.level[L].blanks;
        uint64_t k = 0, bi = 0;
        for (uint64_t q = 0; q < P && !st; q++) {
            uint64_t b, e;
            if (L == 2) {
                b = t->ptr1[q];
                e = t->ptr1[q + 1];
            } else {
                ef_pair(t->efh[L - 1], t->efd[L - 1], q, T, &b, &e);
            }
            for (uint64_t p = b; p < e; p++) {
                uint64_t key = rec_key(t, L, p), c;
                if (L == 2) c = key;
                else {
                    /* the context's node: the children of the parent's context */
                    uint64_t pc = cpos_prev[q], nb, ne;
                    if (L == 3) nb = t->ptr1[pc];
                    else ef_pair(t->efh[L - 2], t->efd[L - 2], pc, t->P.level[L - 1].count, &nb, &ne);
                    c = nb + key;
                }
                /* the last word: the parent itself at level 2 (q < vocab_size < INT32_MAX, checked at load) */
                lmp_token_id wd = L == 2 ? (lmp_token_id)q : w_prev[q];
                if (c >= (L == 2 ? m->vocab_size : t->P.level[L - 1].count)) {
                    st = lmp_error_set(err, LMP_EFORMAT, "corrupt trie: the %u-gram at %llu has no context", L,
                                       (unsigned long long)p);
                    break;
                }
                cpos[p] = (uint32_t)c;
                wl[p] = wd;
                /* a blank is not part of the view (positions come in rising order) */
                if (bi < nbl && t->blank[L][bi] == p) {
                    bi++;
                } else if (k < R) {
                    v->pos[L][k] = (uint32_t)p;
                    v->ctx[L][k] = L == 2 ? (uint32_t)c : (uint32_t)real_index(t, L - 1, c);
                    v->w[L][k] = wd;
                    k++;
                } else {
                    k++;
                }
            }
        }
        if (!st && k != R)
            st = lmp_error_set(err, LMP_EFORMAT, "corrupt trie: level %u lists %llu n-grams, the header %llu", L,
                               (unsigned long long)k, (unsigned long long)R);
        free(cpos_prev);
        free(w_prev);
        cpos_prev = cpos;
        w_prev = wl;
        cpos = NULL;
        wl = NULL;
    }
    free(cpos_prev);
    free(w_prev);
    free(cpos);
    free(wl);
    if (st) {
        free(blk);
        return st;
    }
    s->self = v;
    s->word = view_word;
    s->unigram = view_unigram;
    s->entry = view_entry;
    s->owned = blk;
    return LMP_OK;
}

lmp_status ng_trie_check(const char *path, const struct lmp_ngram *m, lmp_error *err)
{
    const struct ng_trie *t = m->trie;
    const unsigned N = m->order;
    for (unsigned L = 2; L <= N; L++) {
        const ng_trie_level *lv = &t->P.level[L];
        for (uint64_t k = 1; k < lv->blanks; k++)
            if (t->blank[L][k] <= t->blank[L][k - 1] || t->blank[L][k] >= lv->count)
                return lmp_error_set_at(err, LMP_EFORMAT, path, 0, "corrupt trie: the %u-gram blanks are not sorted", L);
        const uint64_t P = L == 2 ? m->vocab_size : t->P.level[L - 1].count;
        uint64_t last_end = 0;
        for (uint64_t q = 0; q < P; q++) {
            uint64_t b, e;
            if (L == 2) {
                b = t->ptr1[q];
                e = t->ptr1[q + 1];
            } else {
                ef_pair(t->efh[L - 1], t->efd[L - 1], q, UINT64_MAX, &b, &e);
            }
            if (b != last_end || e < b || e > lv->count)
                return lmp_error_set_at(err, LMP_EFORMAT, path, 0,
                                        "corrupt trie: the children of %u-gram %llu span %llu..%llu, expected to start "
                                        "at %llu within %llu",
                                        L - 1, (unsigned long long)q, (unsigned long long)b, (unsigned long long)e,
                                        (unsigned long long)last_end, (unsigned long long)lv->count);
            for (uint64_t p = b + 1; p < e; p++)
                if (rec_key(t, L, p) <= rec_key(t, L, p - 1))
                    return lmp_error_set_at(err, LMP_EFORMAT, path, 0,
                                            "corrupt trie: the keys of the children of %u-gram %llu do not rise at "
                                            "%llu",
                                            L - 1, (unsigned long long)q, (unsigned long long)p);
            last_end = e;
        }
        if (last_end != lv->count)
            return lmp_error_set_at(err, LMP_EFORMAT, path, 0, "corrupt trie: the %u-grams' parents cover %llu of %llu",
                                    L, (unsigned long long)last_end, (unsigned long long)lv->count);
    }
    /* the view walks every context link */
    ng_src s;
    lmp_status st = ng_src_of_model(m, &s, err);
    ng_src_release(&s);
    return st;
}

lmp_status ng_trie_to_hashed_write(const struct lmp_ngram *m, const char *path, lmp_error *err)
{
    ng_src s;
    lmp_status st = ng_src_of_model(m, &s, err);
    if (st) return st;
    lmp_ngram *h = NULL;
    st = ng_build_hashed(&s, &h, err);
    ng_src_release(&s);
    if (!st) st = lmp_ngram_write_binary(h, path, err);
    lmp_ngram_free(h);
    return st;
}

/* ---- batch scoring: the walks of many tokens, level by level, interleaved ------------------
 * A token's walk is a chain of dependent memory reads (search a node, read its
 * child pointer, search the child node, ...), and KenLM's query waits on each
 * in turn. Over a batch the walks are made level by level instead: level L of
 * token t needs only level L-1 of token t (the node to search) and of token
 * t-1 (the key, the context's rank), so all tokens' level-L lookups are
 * independent. They run NG_GROUP_WALK (64) at a time, one memory step each per
 * round, with the next address of every lookup prefetched before the round
 * that reads it ("group prefetching", Chen, Ailamaki, Gibbons & Mowry 2004):
 * the cache misses of a group overlap. */
#define NG_GROUP_WALK 64

/* Lookups of one level: element ids el[0..cnt), each searching key[k] in [b[k], e[k]). */
static void search_batch(const struct ng_trie *t, unsigned L, size_t cnt, const uint32_t *el, const uint32_t *key,
                         uint64_t *b, uint64_t *e, uint32_t *found_row, size_t stride)
{
    const uint8_t *rec = t->rec[L];
    const uint64_t rb = t->P.level[L].rec_bits, km = t->kmask[L];
    for (size_t g0 = 0; g0 < cnt; g0 += NG_GROUP_WALK) {
        size_t gn = cnt - g0 < NG_GROUP_WALK ? cnt - g0 : NG_GROUP_WALK;
        uint64_t lo[NG_GROUP_WALK], hi[NG_GROUP_WALK], mid[NG_GROUP_WALK];
        unsigned char idx[NG_GROUP_WALK]; /* the lookups still searching */
        size_t live = gn;
        for (size_t g = 0; g < gn; g++) {
            lo[g] = b[g0 + g];
            hi[g] = e[g0 + g];
            mid[g] = lo[g] + (hi[g] - lo[g]) / 2;
            ng_prefetch(rec + (mid[g] * rb >> 3));
            idx[g] = (unsigned char)g;
        }
        while (live) {
            size_t keep = 0;
            for (size_t j = 0; j < live; j++) {
                size_t g = idx[j], k = g0 + g;
                uint32_t *res = &found_row[(size_t)el[k] * stride];
                if (hi[g] - lo[g] <= 8) { /* the rest is a line or two: scan it */
                    uint64_t at = UINT64_MAX;
                    for (uint64_t p = lo[g]; p < hi[g]; p++) {
                        uint64_t kk = bits_at(rec, p * rb, km);
                        if (kk >= key[k]) {
                            if (kk == key[k]) at = p;
                            break;
                        }
                    }
                    *res = at == UINT64_MAX ? UINT32_MAX : (uint32_t)at;
                    continue;
                }
                uint64_t kk = bits_at(rec, mid[g] * rb, km);
                if (kk == key[k]) {
                    *res = (uint32_t)mid[g];
                    continue;
                }
                if (kk < key[k]) lo[g] = mid[g] + 1;
                else hi[g] = mid[g];
                mid[g] = lo[g] + (hi[g] - lo[g]) / 2;
                ng_prefetch(rec + (mid[g] * rb >> 3));
                idx[keep++] = (unsigned char)g;
            }
            live = keep;
        }
    }
}

void ng_trie_walk_batch(const struct lmp_ngram *m, const lmp_token_id *ids, const uint32_t *hist, size_t n, uint32_t *found,
                        uint32_t *ranks, ng_trie_walk_scratch *s)
{
    const struct ng_trie *t = m->trie;
    const unsigned N = m->order;
    const size_t stride = N > 1 ? N - 1 : 1;
    for (size_t i = 0; i < n * stride; i++) found[i] = UINT32_MAX;
    if (N < 2) return;
    /* level 2: the node of w from the unigrams; the key is the previous word's id */
    size_t cnt = 0;
    for (size_t i = 1; i < n; i++) {
        if (ids[i] < 0 || hist[i] < 1 || ids[i - 1] < 0) continue;
        lmp_token_id w = ids[i];
        if (t->ptr1[w] == t->ptr1[w + 1]) continue;
        s->el[cnt] = (uint32_t)i;
        s->key[cnt] = (uint32_t)ids[i - 1]; /* a search key (a rank above level 2): here the id, >= 0 */
        s->b[cnt] = t->ptr1[w];
        s->e[cnt] = t->ptr1[w + 1];
        cnt++;
    }
    for (unsigned L = 2; L <= N && cnt; L++) {
        const size_t col = L - 2;
        search_batch(t, L, cnt, s->el, s->key, s->b, s->e, found + col, stride);
        if (L == N) break;
        /* the rank of each found entry among its siblings: the next token's key one level up */
        for (size_t i = 0; i < n; i++) s->rank[i] = UINT32_MAX;
        for (size_t k = 0; k < cnt; k++) {
            uint32_t f = found[(size_t)s->el[k] * stride + col];
            if (f != UINT32_MAX) s->rank[s->el[k]] = ranks[(size_t)s->el[k] * stride + col] = (uint32_t)(f - s->b[k]);
        }
        /* tokens that go on: found here, L words of context, their key found by the previous token;
         * their child pointers' block headers prefetched */
        size_t c2 = 0;
        for (size_t k = 0; k < cnt; k++) {
            uint32_t i = s->el[k], f = found[(size_t)i * stride + col];
            if (f == UINT32_MAX || hist[i] < L || s->rank[i - 1] == UINT32_MAX) continue;
            ng_prefetch(&t->efh[L][f >> 6]);
            s->el[c2] = i;
            s->key[c2] = s->rank[i - 1];
            c2++;
        }
        /* then the blocks the headers point to */
        for (size_t k = 0; k < c2; k++) {
            uint32_t f = found[(size_t)s->el[k] * stride + col];
            uint64_t h = t->efh[L][f >> 6];
            ng_prefetch(t->efd[L] + ((h >> 32) & (EF_MAX_WORDS - 1)) + (h >> 59));
        }
        /* the children's ranges: the next level's nodes */
        size_t c3 = 0;
        for (size_t k = 0; k < c2; k++) {
            uint32_t i = s->el[k], f = found[(size_t)i * stride + col];
            uint64_t nb, ne;
            ef_pair(t->efh[L], t->efd[L], f, t->P.level[L + 1].count, &nb, &ne);
            if (nb >= ne) continue;
            s->el[c3] = i;
            s->key[c3] = s->key[k];
            s->b[c3] = nb;
            s->e[c3] = ne;
            c3++;
        }
        cnt = c3;
    }
}

float ng_trie_score_found(const struct lmp_ngram *m, const lmp_ngram_state *in, lmp_token_id word, lmp_ngram_state *out,
                          unsigned *ngram_len, const uint32_t *found, const uint32_t *ranks)
{
    const struct ng_trie *t = m->trie;
    const ng_pb *u = &m->uni[word];
    float prob = u->prob;
    unsigned len = 1;
    out->words[0] = word;
    out->backoff[0] = u->backoff;
    out->rank[0] = (uint32_t)word; /* a unigram's rank is its word id (>= 0) */
    out->length = ng_has_ext(u->backoff) ? 1 : 0;
    unsigned ctx = in->length;
    if (ctx > m->order - 1) ctx = m->order - 1;
    uint64_t last = 0;
    for (unsigned i = 0; i < ctx; i++) {
        unsigned L = i + 2;
        uint64_t at = found[i];
        if (at == UINT32_MAX) break;
        last = at;
        len = L;
        if (L == m->order) break;
        float bo = rec_backoff(t, L, at);
        out->words[i + 1] = in->words[i];
        out->backoff[i + 1] = bo;
        out->rank[i + 1] = ranks[i];
        if (ng_has_ext(bo)) out->length = L;
    }
    if (len > 1) prob = rec_prob(t, len, last);
    for (unsigned j = len - 1; j < in->length; j++) prob += in->backoff[j];
    *ngram_len = len;
    return prob;
}
