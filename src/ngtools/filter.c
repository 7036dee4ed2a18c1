/* Filtering a model to a vocabulary (KenLM's filter, modes "single" and
 * "union"): n-grams are kept or dropped, no number changes. */
#include <stdlib.h>
#include <string.h>

#include "lmprob/corpus.h"
#include "lmprob/ngram_tools.h"
#include "ngtools_internal.h"

typedef struct pair32 {
    lmp_token_id word; /* >= 0 */
    uint32_t line;
} pair32;

static int pair_cmp(const void *a, const void *b)
{
    const pair32 *x = a, *y = b;
    if (x->word != y->word) return x->word < y->word ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

static int is_special(lmp_token_id w) { return w == LMP_VOCAB_UNK || w == LMP_VOCAB_BOS || w == LMP_VOCAB_EOS; }

/* 1 when the sorted lines[lo..hi) hold x (binary search). */
static int has_line(const uint32_t *lines, uint64_t lo, uint64_t end, uint32_t x)
{
    uint64_t hi = end;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (lines[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo < end && lines[lo] == x;
}

/* UNION: is there a line holding every non-special word of g[0..n)? The
 * lines of word w are the sorted lines[off[w] .. off[w+1]). Walks the
 * shortest list and looks each line up in the others: a common word such as
 * "the" is on most lines, and scanning its list for every n-gram made this
 * the slowest step. */
static int on_one_line(const lmp_token_id *g, unsigned n, const uint64_t *off, const uint32_t *lines)
{
    unsigned k = 0, s = 0;
    lmp_token_id ws[LMP_NGRAM_MAX_ORDER];
    for (unsigned j = 0; j < n; j++)
        if (!is_special(g[j])) {
            if (off[g[j]] == off[g[j] + 1]) return 0;
            ws[k++] = g[j];
        }
    if (k == 0) return 1;
    for (unsigned j = 1; j < k; j++)
        if (off[ws[j] + 1] - off[ws[j]] < off[ws[s] + 1] - off[ws[s]]) s = j;
    for (uint64_t i = off[ws[s]]; i < off[ws[s] + 1]; i++) {
        unsigned j = 0;
        while (j < k && (j == s || has_line(lines, off[ws[j]], off[ws[j] + 1], lines[i]))) j++;
        if (j == k) return 1;
    }
    return 0;
}

lmp_status lmp_train_model_create_filtered(const lmp_ngram *g, const char *path, lmp_ngram_filter_mode mode,
                                           lmp_train_model **out, lmp_error *err)
{
    *out = NULL;
    if (!g || !path) return lmp_error_set(err, LMP_EINVAL, "model or path is NULL");
    if (mode != LMP_FILTER_VOCAB && mode != LMP_FILTER_UNION)
        return lmp_error_set(err, LMP_EINVAL, "filter mode %d: expected LMP_FILTER_VOCAB or LMP_FILTER_UNION", (int)mode);
    lmp_train_model *full = NULL, *m = NULL;
    lmp_corpus *c = NULL;
    pair32 *pairs = NULL;
    uint64_t np = 0, cap = 0, *off = NULL;
    uint32_t *lines = NULL;     /* line numbers */
    lmp_token_id *newid = NULL; /* old id -> new id (kept words) */
    unsigned char *keep = NULL;
    ngt_rec *recs = NULL;
    lmp_vocab *voc = NULL;
    lmp_status st = ngt_from_ngram(g, &full, NULL, err);
    if (st) return st;
    const uint64_t V = full->o[1].m;
    keep = calloc(V, 1);
    off = calloc(V + 1, sizeof *off);
    newid = malloc(V * sizeof *newid);
    if (!keep || !off || !newid) {
        st = lmp_error_set(err, LMP_ENOMEM, "filtering: out of memory");
        goto done;
    }
    lmp_corpus_params cp;
    lmp_corpus_params_init(&cp);
    cp.skip_markers = 1; /* <s> and </s> are always kept */
    cp.query_words = 1;  /* the words of the texts to score, read as ppl reads them (bytes) */
    if ((st = lmp_corpus_load(path, &cp, &c, err))) goto done;
    const lmp_token *tok;
    size_t nt;
    /* Only a line with a word of the model gets a number (union mode: the lines a word is on), so 32 bits
     * number 2^32 such lines, not 2^32 lines of text: the 2^32nd line of a text that is mostly empty was
     * numbered 0 again, and "a" on the first line and "b" on it kept the bigram "a b". */
    uint32_t line = 0;
    uint64_t nwords = 0;
    while ((st = lmp_corpus_next_line(c, &tok, &nt, err)) == LMP_OK) {
        nwords += nt;
        int numbered = 0;
        for (size_t t = 0; t < nt; t++) {
            lmp_token_id w = lmp_vocab_find(full->vocab, tok[t].ptr, tok[t].len);
            if (w < 0) continue; /* not in the model: nothing to keep */
            keep[w] = 1;
            if (mode != LMP_FILTER_UNION) continue;
            if (np == cap) {
                uint64_t nc = cap ? 2 * cap : 4096;
                pair32 *nx = realloc(pairs, nc * sizeof *nx);
                if (!nx) {
                    st = lmp_error_set(err, LMP_ENOMEM, "filtering: out of memory");
                    goto done;
                }
                pairs = nx;
                cap = nc;
            }
            if (!numbered && line == UINT32_MAX) {
                st = lmp_error_set(err, LMP_EUNSUPPORTED,
                                   "%s: more than %u lines with words of the model: union filtering numbers them "
                                   "in 32 bits; expected at most that many",
                                   path, UINT32_MAX);
                goto done;
            }
            numbered = 1;
            pairs[np].word = w;
            pairs[np++].line = line;
        }
        line += numbered;
    }
    if (st != LMP_EOF) goto done;
    st = LMP_OK;
    if (nwords == 0) { /* as lmprob train's --vocab (src/estimate/train.c) */
        st = lmp_error_set(err, LMP_EINVAL,
                           "%s: the word list has no words: expected one or more words (whitespace-separated), "
                           "since with none the filtered model keeps only <s>, </s> and <unk>",
                           path);
        goto done;
    }
    for (unsigned s = 0; s < 3; s++) keep[s] = 1; /* <unk>, <s>, </s> (ids 0..2) */
    if (mode == LMP_FILTER_UNION) { /* per word, its sorted distinct lines */
        if (np) qsort(pairs, np, sizeof *pairs, pair_cmp); /* none: pairs is NULL, which qsort may not take */
        lines = malloc((np ? np : 1) * sizeof *lines);
        if (!lines) {
            st = lmp_error_set(err, LMP_ENOMEM, "filtering: out of memory");
            goto done;
        }
        uint64_t k = 0;
        for (uint64_t i = 0; i < np; i++) {
            if (k && pairs[i].word == pairs[i - 1].word && pairs[i].line == pairs[i - 1].line) continue;
            off[pairs[i].word + 1]++;
            lines[k++] = pairs[i].line;
        }
        for (uint64_t w = 0; w < V; w++) off[w + 1] += off[w];
    }
    /* the kept words, in their order, as the new vocabulary */
    if ((st = lmp_vocab_create(&voc, err))) goto done;
    for (uint64_t w = 0; w < V; w++) {
        if (!keep[w]) continue;
        size_t len;
        const char *s = lmp_vocab_word(full->vocab, (lmp_token_id)w, &len);
        lmp_token_id id;
        if ((st = lmp_vocab_add(voc, s, len, &id, err))) goto done;
        newid[w] = id;
    }
    st = ngt_model_create(full->order, voc, &m, err);
    voc = NULL;
    if (st) goto done;
    for (uint64_t w = 0; w < V; w++)
        if (keep[w]) {
            m->o[1].lp[newid[w]] = full->o[1].lp[w];
            if (m->o[1].lb) m->o[1].lb[newid[w]] = full->o[1].lb[w];
        }
    for (unsigned n = 2; n <= full->order; n++) {
        const train_order *t = &full->o[n];
        free(recs);
        recs = malloc((t->m ? t->m : 1) * sizeof *recs);
        if (!recs) {
            st = lmp_error_set(err, LMP_ENOMEM, "filtering: out of memory for %llu %u-grams", (unsigned long long)t->m, n);
            goto done;
        }
        uint64_t k = 0;
        for (uint64_t i = 0; i < t->m; i++) {
            const lmp_token_id *gw = t->w + i * n;
            int ok = 1;
            for (unsigned j = 0; j < n && ok; j++) ok = keep[gw[j]];
            if (ok && mode == LMP_FILTER_UNION) ok = on_one_line(gw, n, off, lines);
            if (!ok) continue;
            memset(recs[k].r, 0, sizeof recs[k].r);
            for (unsigned j = 0; j < n; j++) recs[k].r[n - 1 - j] = newid[gw[j]];
            recs[k].lp = t->lp[i];
            recs[k].lb = t->lb ? t->lb[i] : 0;
            k++;
        }
        k = ngt_sort_unique(recs, k);
        if ((st = ngt_set_order(m, n, recs, k, err))) goto done;
    }
    ngt_update_info(m);
    {
        char what[4300];
        const char *old = lmp_ngram_meta_get(g, LMP_NGRAM_META_VOCAB);
        snprintf(what, sizeof what, "%s%sfiltered (%s) to %s", old ? old : "", old ? ", " : "",
                 mode == LMP_FILTER_UNION ? "union" : "vocab", path);
        st = ngt_meta_copy(m, g, LMP_NGRAM_META_VOCAB, what, err);
    }
done:
    lmp_corpus_free(c);
    lmp_train_model_free(full);
    lmp_vocab_free(voc);
    free(pairs);
    free(off);
    free(lines);
    free(newid);
    free(keep);
    free(recs);
    if (st) {
        lmp_train_model_free(m);
        return st;
    }
    *out = m;
    return LMP_OK;
}
