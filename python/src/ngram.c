/* lmprob.Model, lmprob.State, lmprob.FullScoreReturn: kenlm's Python API
 * (kenlm.pyx: Model, State, FullScoreReturn) over lmprob's n-gram models, with
 * kenlm's semantics and numbers, plus what kenlm lacks: the next-token
 * distribution as an array, batch scoring on threads, corpus evaluation,
 * writing the model, and lmprob.train.
 *
 * kenlm's conventions kept here (kenlm.pyx, python/score_sentence.cc):
 *  - text is split on ASCII white space (space, \t, \n, \v, \f, \r: KenLM's
 *    kSpaces, and what bytes.split() splits on); a str is read as UTF-8;
 *  - scores are log10 probabilities summed in float (kenlm's `cdef float
 *    total`, ScoreSentence's `float ret`): lmp_ngram_score computes each term
 *    in float as KenLM does, so the sums are KenLM's bit for bit;
 *  - score(s, bos=True, eos=True) reads the string up to a NUL byte (kenlm
 *    passes it as a C string), the other paths split the whole string;
 *  - OOV means the word's id is <unk>'s (so the literal word "<unk>" is OOV too
 *    and `"<unk>" in model` is False); </s> is never OOV;
 *  - perplexity(s) = 10 ** (-score(s) / (words + 1)).
 *
 * Thread safety: a Model is immutable after loading (the library's lmp_ngram):
 * any number of threads may use one Model at once. A State is a small value
 * written with the GIL held: sharing one between threads is safe in CPython but
 * its value is then whichever call wrote it last. */
#include "lmpy.h"
#include "../../src/ngram/out_name.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* KenLM's kSpaces (util/spaces.cc): \t \n \v \f \r and space. */
static inline int is_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* ---- FullScoreReturn ------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    float log_prob;
    int ngram_length;
    int oov;
} lmpy_fsr;

static PyTypeObject fsr_type;

static PyObject *fsr_make(float lp, int len, int oov)
{
    lmpy_fsr *r = PyObject_New(lmpy_fsr, &fsr_type);
    if (!r) return NULL;
    r->log_prob = lp;
    r->ngram_length = len;
    r->oov = oov;
    return (PyObject *)r;
}

static PyObject *fsr_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"log_prob", "ngram_length", "oov", NULL};
    float lp;
    int len, oov;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "fip:FullScoreReturn", kwl, &lp, &len, &oov)) return NULL;
    lmpy_fsr *r = (lmpy_fsr *)type->tp_alloc(type, 0);
    if (!r) return NULL;
    r->log_prob = lp;
    r->ngram_length = len;
    r->oov = oov;
    return (PyObject *)r;
}

static PyObject *fsr_repr(lmpy_fsr *r)
{
    /* kenlm: '{0}({1}, {2}, {3})'.format(class name, repr(log_prob), ...) */
    PyObject *lp = PyFloat_FromDouble(r->log_prob);
    if (!lp) return NULL;
    const char *name = strrchr(Py_TYPE(r)->tp_name, '.');
    name = name ? name + 1 : Py_TYPE(r)->tp_name;
    PyObject *s = PyUnicode_FromFormat("%s(%R, %d, %s)", name, lp, r->ngram_length,
                                       r->oov ? "True" : "False");
    Py_DECREF(lp);
    return s;
}

static PyObject *fsr_log_prob(lmpy_fsr *r, void *c) { (void)c; return PyFloat_FromDouble(r->log_prob); }
static PyObject *fsr_ngram_length(lmpy_fsr *r, void *c) { (void)c; return PyLong_FromLong(r->ngram_length); }
static PyObject *fsr_oov(lmpy_fsr *r, void *c) { (void)c; return PyBool_FromLong(r->oov); }

static PyGetSetDef fsr_getset[] = {
    {"log_prob", (getter)fsr_log_prob, NULL, PyDoc_STR("log10 p(word | state) (kenlm's FullScoreReturn.log_prob)"), NULL},
    {"ngram_length", (getter)fsr_ngram_length, NULL, PyDoc_STR("length of the n-gram that matched"), NULL},
    {"oov", (getter)fsr_oov, NULL, PyDoc_STR("True when the word is not in the vocabulary (scored as <unk>)"), NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject fsr_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "lmprob.FullScoreReturn",
    .tp_basicsize = sizeof(lmpy_fsr),
    .tp_repr = (reprfunc)fsr_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = PyDoc_STR("FullScoreReturn(log_prob, ngram_length, oov)\n--\n\nWhat Model.BaseFullScore returns (kenlm's "
                        "FullScoreReturn: prob renamed log_prob, oov added)."),
    .tp_getset = fsr_getset,
    .tp_new = fsr_new,
};

/* ---- State -------------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    lmp_ngram_state st;
    lmp_token_id unk; /* <unk> of the model that wrote it: KenLM's word ids for compare and hash */
} lmpy_State;

static PyTypeObject state_type;

/* KenLM's id of an lmprob id: KenLM numbers <unk> 0 and the other words from 1 in
 * the order of the ARPA file's unigrams (lm/vocab.cc); lmprob numbers them all in
 * file order (and appends a missing <unk>). */
static inline uint32_t kenlm_id(lmp_token_id w, lmp_token_id unk)
{
    if (w == unk) return 0;
    return (uint32_t)(unk >= 0 && w > unk ? w : w + 1);
}

static void kenlm_words(const lmpy_State *s, uint32_t *out)
{
    for (unsigned i = 0; i < s->st.length; i++) out[i] = kenlm_id(s->st.words[i], s->unk);
}

/* MurmurHash64A (Austin Appleby, public domain), the 64-bit MurmurHash2 that KenLM's
 * util::MurmurHashNative is on 64-bit machines; KenLM's State hash is that of its
 * words (lm/state.hh hash_value), seed 0. */
static uint64_t murmur64a(const void *key, size_t len, uint64_t seed)
{
    const uint64_t m = 0xc6a4a7935bd1e995ull;
    const int r = 47;
    uint64_t h = seed ^ ((uint64_t)len * m);
    const unsigned char *p = key;
    size_t blocks = len / 8;
    for (size_t i = 0; i < blocks; i++) {
        uint64_t k;
        memcpy(&k, p + 8 * i, 8);
        k *= m;
        k ^= k >> r;
        k *= m;
        h ^= k;
        h *= m;
    }
    const unsigned char *tail = p + 8 * blocks;
    uint64_t t = 0;
    for (size_t i = len & 7; i > 0; i--) t |= (uint64_t)tail[i - 1] << (8 * (i - 1));
    if (len & 7) {
        h ^= t;
        h *= m;
    }
    h ^= h >> r;
    h *= m;
    h ^= h >> r;
    return h;
}

static Py_hash_t state_hash(lmpy_State *s)
{
    uint32_t w[LMP_NGRAM_MAX_ORDER];
    kenlm_words(s, w);
    Py_hash_t h = (Py_hash_t)murmur64a(w, s->st.length * sizeof(uint32_t), 0);
    return h == -1 ? -2 : h;
}

/* KenLM's State::Compare: the length first, then memcmp of the word ids. */
static int state_compare(const lmpy_State *a, const lmpy_State *b)
{
    if (a->st.length != b->st.length) return a->st.length < b->st.length ? -1 : 1;
    uint32_t x[LMP_NGRAM_MAX_ORDER], y[LMP_NGRAM_MAX_ORDER];
    kenlm_words(a, x);
    kenlm_words(b, y);
    return memcmp(x, y, a->st.length * sizeof(uint32_t));
}

static PyObject *state_richcompare(PyObject *a, PyObject *b, int op)
{
    if (!PyObject_TypeCheck(a, &state_type) || !PyObject_TypeCheck(b, &state_type)) Py_RETURN_NOTIMPLEMENTED;
    int c = state_compare((lmpy_State *)a, (lmpy_State *)b);
    Py_RETURN_RICHCOMPARE(c, 0, op);
}

static PyObject *state_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kw, ":State", kwl)) return NULL;
    lmpy_State *s = (lmpy_State *)type->tp_alloc(type, 0);
    if (!s) return NULL;
    lmp_ngram_state_null(&s->st);
    s->unk = 0;
    return (PyObject *)s;
}

static PyObject *state_copy(lmpy_State *s, PyObject *unused)
{
    (void)unused;
    lmpy_State *c = (lmpy_State *)state_type.tp_alloc(Py_TYPE(s), 0);
    if (!c) return NULL;
    c->st = s->st;
    c->unk = s->unk;
    return (PyObject *)c;
}

static PyObject *state_deepcopy(lmpy_State *s, PyObject *memo)
{
    (void)memo;
    return state_copy(s, NULL);
}

static PyObject *state_length(lmpy_State *s, void *c)
{
    (void)c;
    return PyLong_FromUnsignedLong(s->st.length);
}

static PyObject *state_words(lmpy_State *s, void *c)
{
    (void)c;
    PyObject *t = PyTuple_New(s->st.length);
    for (unsigned i = 0; t && i < s->st.length; i++) {
        PyObject *v = PyLong_FromLong(s->st.words[i]);
        if (!v) Py_CLEAR(t);
        else PyTuple_SET_ITEM(t, i, v);
    }
    return t;
}

static PyObject *state_repr(lmpy_State *s)
{
    PyObject *w = state_words(s, NULL);
    if (!w) return NULL;
    PyObject *r = PyUnicode_FromFormat("State(words=%R)", w);
    Py_DECREF(w);
    return r;
}

static PyMethodDef state_methods[] = {
    {"__copy__", LMPY_FN(state_copy), METH_NOARGS, PyDoc_STR("A copy of the state.")},
    {"__deepcopy__", LMPY_FN(state_deepcopy), METH_O, PyDoc_STR("A copy of the state.")},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef state_getset[] = {
    {"length", (getter)state_length, NULL, PyDoc_STR("how many context words the state keeps (KenLM's Length())"),
     NULL},
    {"words", (getter)state_words, NULL,
     PyDoc_STR("the kept context as lmprob word ids, most recent first (Model.word(id) names them)"), NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(state_doc,
"State()\n"
"--\n"
"\n"
"A language-model context for incremental scoring (kenlm.State): the last words\n"
"that a longer n-gram can still extend, and their backoffs. Fill it with\n"
"Model.BeginSentenceWrite / NullContextWrite, then thread it through\n"
"Model.BaseScore(in_state, word, out_state). A new State is the empty context.\n"
"\n"
"Equality, ordering and hash are kenlm's: states are equal when they keep the\n"
"same words (length, then the word ids compared as KenLM's memcmp, with KenLM's\n"
"numbering of the vocabulary), and hash(state) is KenLM's MurmurHash of those\n"
"ids, so beam-search code can key dictionaries by State. Comparing a State with\n"
"anything else is False (kenlm raises TypeError).");

static PyTypeObject state_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "lmprob.State",
    .tp_basicsize = sizeof(lmpy_State),
    .tp_repr = (reprfunc)state_repr,
    .tp_hash = (hashfunc)state_hash,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = state_doc,
    .tp_richcompare = state_richcompare,
    .tp_methods = state_methods,
    .tp_getset = state_getset,
    .tp_new = state_new,
};

/* ---- Model -------------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    lmp_ngram *m;
    PyObject *path;       /* bytes: kenlm's Model.path (the absolute path) */
    PyObject *source;     /* bytes: the absolute path of the file read (Model(path)); NULL for a trained model */
    lmp_token_id unk, bos, eos;
    size_t V;
    unsigned order;
    int norm; /* evaluate: 0 not looked at yet, 1 probabilities, 2 scores (lmp_ngram_check_probabilities: O(V)) */
} lmpy_Model;

static PyTypeObject model_type;

static void model_setup(lmpy_Model *M)
{
    M->unk = lmp_ngram_unk(M->m);
    M->bos = lmp_ngram_bos(M->m);
    M->eos = lmp_ngram_eos(M->m);
    M->V = lmp_ngram_vocab_size(M->m);
    M->order = lmp_ngram_order(M->m);
    M->norm = 0;
}

static PyObject *model_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    (void)args;
    (void)kw;
    lmpy_Model *M = (lmpy_Model *)type->tp_alloc(type, 0);
    return (PyObject *)M;
}

static void model_dealloc(lmpy_Model *M)
{
    lmp_ngram_free(M->m);
    Py_XDECREF(M->path);
    Py_XDECREF(M->source);
    Py_TYPE(M)->tp_free((PyObject *)M);
}

/* str (UTF-8) or bytes, as kenlm's as_str: the bytes of a sentence or word. A str holding lone surrogates
 * is encoded with surrogateescape, the inverse of how word() and vocab() decode the model's words (a
 * Latin-1 word b'caf\xe9' comes back as 'caf\udce9', which index(), `in` and score() refused with
 * UnicodeEncodeError): its bytes live in *keep, a new reference the caller releases (NULL otherwise). */
static int as_bytes(PyObject *o, const char **s, Py_ssize_t *n, PyObject **keep)
{
    *keep = NULL;
    if (PyUnicode_Check(o)) {
        *s = PyUnicode_AsUTF8AndSize(o, n);
        if (*s) return 0;
        if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) return -1;
        PyErr_Clear();
        *keep = PyUnicode_AsEncodedString(o, "utf-8", "surrogateescape");
        if (!*keep) return -1;
        *s = PyBytes_AS_STRING(*keep);
        *n = PyBytes_GET_SIZE(*keep);
        return 0;
    }
    if (PyBytes_Check(o)) {
        *s = PyBytes_AS_STRING(o);
        *n = PyBytes_GET_SIZE(o);
        return 0;
    }
    PyObject *t = PyObject_Type(o);
    PyErr_Format(PyExc_TypeError, "Cannot convert %R to string", t);
    Py_XDECREF(t);
    return -1;
}

static int model_init(lmpy_Model *M, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"path", "config", NULL};
    PyObject *pathb = NULL, *config = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|O:Model", kwl, lmpy_path_converter, &pathb, &config)) return -1;
    const char *path = PyBytes_AS_STRING(pathb);
    if (M->m) { /* before the load; checked again after it */
        PyErr_SetString(PyExc_TypeError, "Model: already loaded");
        Py_DECREF(pathb);
        return -1;
    }
    if (lmpy_check_readable(path) < 0) {
        Py_DECREF(pathb);
        return -1;
    }
    /* Loaded into m without the GIL, and stored in M->m with it: another thread may be loading into this
     * object too (m.__init__(path) on threads; both loads wrote M->m without the GIL, both returned 0 and
     * one model leaked). */
    lmp_ngram *m = NULL;
    lmp_error err;
    lmp_error_clear(&err);
    lmp_status st;
    Py_BEGIN_ALLOW_THREADS
    st = lmp_ngram_load(path, NULL, NULL, &m, &err);
    /* a quantised trie's values keep the record of their rounding in what write_arpa/write_binary write
     * (ngram_tools.h; the CLI's model convert does the same): without it the ARPA of a -q 8 trie is
     * refused as "not a probability model". Here, before any other thread can see the model. */
    if (st == LMP_OK) st = lmp_ngram_record_quantisation(m, &err);
    Py_END_ALLOW_THREADS
    if (st != LMP_OK) {
        lmp_ngram_free(m);
        lmpy_raise_path(path, &err);
        Py_DECREF(pathb);
        return -1;
    }
    /* kenlm: self.path = os.path.abspath(as_str(path)); Python code, so before the check below, which
     * nothing may separate from the stores */
    PyObject *osp = PyImport_ImportModule("os.path");
    PyObject *abs = osp ? PyObject_CallMethod(osp, "abspath", "O", pathb) : NULL;
    Py_XDECREF(osp);
    Py_DECREF(pathb);
    if (!abs || M->m) {
        if (abs) PyErr_SetString(PyExc_TypeError, "Model: already loaded");
        Py_XDECREF(abs);
        lmp_ngram_free(m);
        return -1;
    }
    M->m = m;
    model_setup(M);
    Py_XSETREF(M->path, abs);
    Py_XSETREF(M->source, Py_NewRef(abs)); /* M->path is the user's to set; this stays */
    return 0;
}

static int check_model(lmpy_Model *M)
{
    if (!M->m) {
        PyErr_SetString(PyExc_ValueError, "Model: not loaded (call Model(path))");
        return -1;
    }
    return 0;
}

/* The id of word s[0..n) as KenLM's Index: <unk>'s id when not in the vocabulary. */
static inline lmp_token_id word_index(const lmpy_Model *M, const char *s, size_t n)
{
    return lmp_ngram_vocab_index(M->m, s, n);
}

/* log10 p of the words of s[0..n) and </s>, from <s> or the null context, summed in
 * float as kenlm. Plain C: called with or without the GIL. */
static float score_text(const lmpy_Model *M, const char *s, size_t n, int bos, int eos)
{
    lmp_ngram_state a, b, *in = &a, *out = &b;
    if (bos) lmp_ngram_state_begin(M->m, in);
    else lmp_ngram_state_null(in);
    float total = 0.0f;
    size_t i = 0;
    int nul = memchr(s, '\0', n) != NULL;
    for (;;) {
        while (i < n && is_space((unsigned char)s[i])) i++;
        if (i >= n) break;
        size_t j = i;
        while (j < n && !is_space((unsigned char)s[j])) j++;
        /* kenlm looks a word up as a C string: a NUL inside ends it */
        const char *z = nul ? memchr(s + i, '\0', j - i) : NULL;
        size_t len = z ? (size_t)(z - (s + i)) : j - i;
        total += (float)lmp_ngram_score(M->m, in, word_index(M, s + i, len), out, NULL);
        lmp_ngram_state *t = in;
        in = out;
        out = t;
        i = j;
    }
    if (eos) total += (float)lmp_ngram_score(M->m, in, M->eos >= 0 ? M->eos : M->unk, out, NULL);
    return total;
}

static void add_token(void *ctx, const lmp_ngram_token *t)
{
    *(float *)ctx += (float)t->log10_prob; /* kenlm's float sum, token by token in order */
}

#if defined(__SSE2__)
/* Bit i set when p[i] is one of kenlm's separators (is_space), for 16 bytes. */
static inline uint32_t space_mask16(const char *p)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i t = _mm_sub_epi8(v, _mm_set1_epi8('\t')); /* '\t'..'\r': t in 0..4, unsigned */
    __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(4)), t);
    __m128i sp = _mm_cmpeq_epi8(v, _mm_set1_epi8(' '));
    return (uint32_t)_mm_movemask_epi8(_mm_or_si128(sp, ctl));
}
#endif

/* The words of s[0..n) split on is_space into w/len; returns their count, or cap + 1 when
 * there are more than cap. 16 bytes at a time where SSE2 is there: a separator mask, then
 * the word boundaries by counting zero bits (the byte loop it replaced was most of the
 * module's own instructions per sentence, callgrind). */
static size_t split_words(const char *s, size_t n, const char **w, size_t *len, size_t cap)
{
    size_t k = 0;
#if defined(__SSE2__)
    int in_word = 0;
    size_t start = 0;
    for (size_t i = 0; i < n; i += 16) {
        size_t m = n - i < 16 ? n - i : 16;
        uint32_t sep;
        if (m == 16) {
            sep = space_mask16(s + i);
        } else { /* the tail, padded with separators (never read past s + n) */
            char b[16];
            memset(b, ' ', sizeof b);
            memcpy(b, s + i, m);
            sep = space_mask16(b);
        }
        uint32_t word = ~sep & 0xffffu;
        unsigned cur = 0;
        for (;;) {
            uint32_t rest = (in_word ? sep : word) >> cur;
            if (!rest) break;
            cur += (unsigned)__builtin_ctz(rest);
            if (in_word) {
                if (k == cap) return cap + 1;
                w[k] = s + start;
                len[k++] = i + cur - start;
            } else {
                start = i + cur;
            }
            in_word = !in_word;
        }
    }
    if (in_word) { /* a word that ends the last full block */
        if (k == cap) return cap + 1;
        w[k] = s + start;
        len[k++] = n - start;
    }
#else
    for (size_t i = 0;;) {
        while (i < n && is_space((unsigned char)s[i])) i++;
        if (i >= n) break;
        size_t j = i;
        while (j < n && !is_space((unsigned char)s[j])) j++;
        if (k == cap) return cap + 1;
        w[k] = s + i;
        len[k++] = j - i;
        i = j;
    }
#endif
    return k;
}

/* Words per sentence on the batched path (longer sentences take score_text's). */
#define SENT_WORDS 512

/* kenlm's score: bos and eos together go through ScoreSentence, which reads a C string.
 * That case (the common one) runs on the library's batched sentence scorer
 * (lmp_ngram_score_words: hashes first, prefetched probes), the words split here on
 * KenLM's separators; its per-token values are KenLM's, summed here in float. */
static float score_sentence(const lmpy_Model *M, const char *s, size_t n, int bos, int eos)
{
    if (!(bos && eos)) return score_text(M, s, n, bos, eos);
    const char *z = memchr(s, '\0', n);
    if (z) n = (size_t)(z - s);
    if (M->eos < 0) return score_text(M, s, n, 1, 1);
    const char *w[SENT_WORDS];
    size_t len[SENT_WORDS];
    size_t k = split_words(s, n, w, len, SENT_WORDS);
    if (k > SENT_WORDS) return score_text(M, s, n, 1, 1);
    float total = 0.0f;
    lmp_ngram_stats acc;
    memset(&acc, 0, sizeof acc);
    lmp_ngram_callbacks cb = {add_token, NULL, NULL, &total};
    lmp_ngram_score_words(M->m, w, len, k, &acc, &cb);
    return total;
}

static PyObject *model_score(lmpy_Model *M, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    /* METH_FASTCALL with interned names (lmpy_kw_parse_fast): kenlm code calls score once per
     * sentence, so the call itself is most of the cost for short sentences. Keywords as
     * kenlm's Cython methods take them. */
    static const char *const names[] = {"sentence", "bos", "eos", NULL};
    static PyObject *keys[sizeof names / sizeof names[0]];
    static lmpy_kwspec spec = {"score", names, 3, 1, keys};
    PyObject *v[sizeof names / sizeof names[0]];
    if (lmpy_kw_parse_fast(&spec, args, nargs, kwnames, v) < 0) return NULL;
    int bos = 1, eos = 1;
    if (v[1] && (bos = PyObject_IsTrue(v[1])) < 0) return NULL;
    if (v[2] && (eos = PyObject_IsTrue(v[2])) < 0) return NULL;
    if (check_model(M) < 0) return NULL;
    const char *s;
    Py_ssize_t n;
    PyObject *keep;
    if (as_bytes(v[0], &s, &n, &keep) < 0) return NULL;
    const double sc = score_sentence(M, s, (size_t)n, bos, eos);
    Py_XDECREF(keep);
    return PyFloat_FromDouble(sc);
}

static size_t count_words(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && is_space((unsigned char)s[i])) i++;
        if (i >= n) break;
        w++;
        while (i < n && !is_space((unsigned char)s[i])) i++;
    }
    return w;
}

static PyObject *model_perplexity(lmpy_Model *M, PyObject *sent)
{
    if (check_model(M) < 0) return NULL;
    const char *s;
    Py_ssize_t n;
    PyObject *keep;
    if (as_bytes(sent, &s, &n, &keep) < 0) return NULL;
    /* kenlm: words = len(as_str(sentence).split()) + 1; 10.0 ** (-score / words) */
    double words = (double)(count_words(s, (size_t)n) + 1);
    double sc = score_sentence(M, s, (size_t)n, 1, 1);
    Py_XDECREF(keep);
    return PyFloat_FromDouble(pow(10.0, -sc / words));
}

/* full_scores' list for the bytes s[0..n) (below) */
static PyObject *full_scores_list(lmpy_Model *M, const char *s, Py_ssize_t n, int bos, int eos);

static PyObject *model_full_scores(lmpy_Model *M, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"sentence", "bos", "eos", NULL};
    PyObject *sent;
    int bos = 1, eos = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|pp:full_scores", kwl, &sent, &bos, &eos)) return NULL;
    if (check_model(M) < 0) return NULL;
    const char *s;
    Py_ssize_t n;
    PyObject *keep;
    if (as_bytes(sent, &s, &n, &keep) < 0) return NULL;
    PyObject *list = full_scores_list(M, s, n, bos, eos);
    Py_XDECREF(keep);
    return list;
}

/* full_scores' list for the bytes s[0..n) */
static PyObject *full_scores_list(lmpy_Model *M, const char *s, Py_ssize_t n, int bos, int eos)
{
    PyObject *list = PyList_New(0);
    if (!list) return NULL;
    lmp_ngram_state a, b, *in = &a, *out = &b;
    if (bos) lmp_ngram_state_begin(M->m, in);
    else lmp_ngram_state_null(in);
    for (size_t i = 0;;) {
        while (i < (size_t)n && is_space((unsigned char)s[i])) i++;
        if (i >= (size_t)n) break;
        size_t j = i;
        while (j < (size_t)n && !is_space((unsigned char)s[j])) j++;
        const char *z = memchr(s + i, '\0', j - i);
        lmp_token_id id = word_index(M, s + i, z ? (size_t)(z - (s + i)) : j - i);
        unsigned len = 0;
        float lp = (float)lmp_ngram_score(M->m, in, id, out, &len);
        PyObject *t = Py_BuildValue("(dIO)", (double)lp, len, id == M->unk ? Py_True : Py_False);
        if (!t || PyList_Append(list, t) < 0) {
            Py_XDECREF(t);
            Py_DECREF(list);
            return NULL;
        }
        Py_DECREF(t);
        lmp_ngram_state *tmp = in;
        in = out;
        out = tmp;
        i = j;
    }
    if (eos) {
        unsigned len = 0;
        float lp = (float)lmp_ngram_score(M->m, in, M->eos >= 0 ? M->eos : M->unk, out, &len);
        PyObject *t = Py_BuildValue("(dIO)", (double)lp, len, Py_False);
        if (!t || PyList_Append(list, t) < 0) {
            Py_XDECREF(t);
            Py_DECREF(list);
            return NULL;
        }
        Py_DECREF(t);
    }
    PyObject *it = PyObject_GetIter(list);
    Py_DECREF(list);
    return it;
}

static int get_state(PyObject *o, const char *name, lmpy_State **s)
{
    if (!PyObject_TypeCheck(o, &state_type)) {
        PyErr_Format(PyExc_TypeError, "Argument '%s' has incorrect type (expected lmprob.State, got %.100s)", name,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    *s = (lmpy_State *)o;
    return 0;
}

static PyObject *model_begin_sentence_write(lmpy_Model *M, PyObject *o)
{
    lmpy_State *s;
    if (check_model(M) < 0 || get_state(o, "state", &s) < 0) return NULL;
    lmp_ngram_state_begin(M->m, &s->st);
    s->unk = M->unk;
    Py_RETURN_NONE;
}

static PyObject *model_null_context_write(lmpy_Model *M, PyObject *o)
{
    lmpy_State *s;
    if (check_model(M) < 0 || get_state(o, "state", &s) < 0) return NULL;
    lmp_ngram_state_null(&s->st);
    s->unk = M->unk;
    Py_RETURN_NONE;
}

static int base_args(lmpy_Model *M, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, lmpy_kwspec *spec,
                     lmpy_State **in, lmp_token_id *id, lmpy_State **out)
{
    PyObject *v[4];
    if (lmpy_kw_parse_fast(spec, args, nargs, kwnames, v) < 0) return -1;
    PyObject *a = v[0], *w = v[1], *b = v[2];
    if (check_model(M) < 0 || get_state(a, "in_state", in) < 0 || get_state(b, "out_state", out) < 0) return -1;
    if (!PyUnicode_Check(w) && !PyBytes_Check(w)) {
        PyErr_Format(PyExc_TypeError, "Argument 'word' has incorrect type (expected str, got %.100s)",
                     Py_TYPE(w)->tp_name);
        return -1;
    }
    const char *s;
    Py_ssize_t n;
    PyObject *keep;
    if (as_bytes(w, &s, &n, &keep) < 0) return -1;
    const char *z = memchr(s, '\0', (size_t)n);
    *id = word_index(M, s, z ? (size_t)(z - s) : (size_t)n);
    Py_XDECREF(keep);
    return 0;
}

/* BaseScore's and BaseFullScore's arguments, by position or name as kenlm's */
static const char *const base_names[] = {"in_state", "word", "out_state", NULL};

static PyObject *model_base_score(lmpy_Model *M, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static PyObject *keys[4];
    static lmpy_kwspec spec = {"BaseScore", base_names, 3, 3, keys};
    lmpy_State *in, *out;
    lmp_token_id id;
    if (base_args(M, args, nargs, kwnames, &spec, &in, &id, &out) < 0) return NULL;
    lmp_ngram_state from = in->st, to; /* in and out may be one object */
    float lp = (float)lmp_ngram_score(M->m, &from, id, &to, NULL);
    out->st = to;
    out->unk = M->unk;
    return PyFloat_FromDouble(lp);
}

static PyObject *model_base_full_score(lmpy_Model *M, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static PyObject *keys[4];
    static lmpy_kwspec spec = {"BaseFullScore", base_names, 3, 3, keys};
    lmpy_State *in, *out;
    lmp_token_id id;
    if (base_args(M, args, nargs, kwnames, &spec, &in, &id, &out) < 0) return NULL;
    lmp_ngram_state from = in->st, to;
    unsigned len = 0;
    float lp = (float)lmp_ngram_score(M->m, &from, id, &to, &len);
    out->st = to;
    out->unk = M->unk;
    return fsr_make(lp, (int)len, id == M->unk);
}

static int model_contains(lmpy_Model *M, PyObject *word)
{
    if (check_model(M) < 0) return -1;
    const char *s;
    Py_ssize_t n;
    PyObject *keep;
    if (as_bytes(word, &s, &n, &keep) < 0) return -1;
    const char *z = memchr(s, '\0', (size_t)n);
    const int in = word_index(M, s, z ? (size_t)(z - s) : (size_t)n) != M->unk;
    Py_XDECREF(keep);
    return in;
}

static PyObject *model_repr(lmpy_Model *M)
{
    if (!M->m) return PyUnicode_FromString("<Model (not loaded)>");
    if (!M->path) return PyUnicode_FromString("<Model from None>"); /* path set to None by the user */
    /* kenlm: '<Model from {0}>'.format(os.path.basename(self.path)), path being bytes */
    PyObject *osp = PyImport_ImportModule("os.path");
    PyObject *base = osp ? PyObject_CallMethod(osp, "basename", "O", M->path) : NULL;
    Py_XDECREF(osp);
    if (!base) return NULL;
    PyObject *r = PyUnicode_FromFormat("<Model from %R>", base);
    Py_DECREF(base);
    return r;
}

static PyObject *model_reduce(lmpy_Model *M, PyObject *unused)
{
    (void)unused;
    if (!M->path || PyBytes_GET_SIZE(M->path) == 0)
        return PyErr_Format(PyExc_TypeError, "a Model without a path (made in memory by lmprob.train, or its path "
                                             "set to None) cannot be pickled: write it (write_arpa / write_binary) "
                                             "and load the file");
    return Py_BuildValue("(O(O))", (PyObject *)Py_TYPE(M), M->path);
}

static PyObject *model_order(lmpy_Model *M, void *c)
{
    (void)c;
    if (check_model(M) < 0) return NULL;
    return PyLong_FromUnsignedLong(M->order);
}

static PyObject *model_path(lmpy_Model *M, void *c)
{
    (void)c;
    return Py_NewRef(M->path ? M->path : Py_None);
}

/* kenlm declares `cdef public bytes path`: user code may set it (bytes or None; del sets None), and repr and
 * pickling follow the new value. */
static int model_set_path(lmpy_Model *M, PyObject *v, void *c)
{
    (void)c;
    if (v && v != Py_None && !PyBytes_Check(v)) {
        PyErr_Format(PyExc_TypeError, "Model.path: expected bytes or None, got %.200s", Py_TYPE(v)->tp_name);
        return -1;
    }
    Py_XSETREF(M->path, v && v != Py_None ? Py_NewRef(v) : NULL);
    return 0;
}

static PyObject *model_vocab_size(lmpy_Model *M, void *c)
{
    (void)c;
    if (check_model(M) < 0) return NULL;
    return PyLong_FromSize_t(M->V);
}

static PyObject *id_or_none(lmp_token_id id)
{
    if (id < 0) Py_RETURN_NONE;
    return PyLong_FromLong(id);
}

static PyObject *model_bos(lmpy_Model *M, void *c) { (void)c; return check_model(M) < 0 ? NULL : id_or_none(M->bos); }
static PyObject *model_eos(lmpy_Model *M, void *c) { (void)c; return check_model(M) < 0 ? NULL : id_or_none(M->eos); }
static PyObject *model_unk(lmpy_Model *M, void *c) { (void)c; return check_model(M) < 0 ? NULL : id_or_none(M->unk); }

/* ---- beyond kenlm ------------------------------------------------------------------------------ */

static PyObject *model_index(lmpy_Model *M, PyObject *word)
{
    if (check_model(M) < 0) return NULL;
    const char *s;
    Py_ssize_t n;
    PyObject *keep;
    if (as_bytes(word, &s, &n, &keep) < 0) return NULL;
    const long id = word_index(M, s, (size_t)n);
    Py_XDECREF(keep);
    return PyLong_FromLong(id);
}

static PyObject *model_word(lmpy_Model *M, PyObject *idobj)
{
    if (check_model(M) < 0) return NULL;
    long id = PyLong_AsLong(idobj);
    if (id == -1 && PyErr_Occurred()) return NULL;
    const char *w = id >= 0 && id <= INT32_MAX ? lmp_ngram_word(M->m, (lmp_token_id)id) : NULL;
    if (!w) return PyErr_Format(PyExc_IndexError, "word: id %ld: expected an id in [0, %zu)", id, M->V);
    return PyUnicode_DecodeUTF8(w, (Py_ssize_t)strlen(w), "surrogateescape");
}

static PyObject *model_vocab(lmpy_Model *M, PyObject *unused)
{
    (void)unused;
    if (check_model(M) < 0) return NULL;
    PyObject *l = PyList_New((Py_ssize_t)M->V);
    for (size_t i = 0; l && i < M->V; i++) {
        const char *w = lmp_ngram_word(M->m, (lmp_token_id)i);
        PyObject *s = PyUnicode_DecodeUTF8(w, (Py_ssize_t)strlen(w), "surrogateescape");
        if (!s) Py_CLEAR(l);
        else PyList_SET_ITEM(l, (Py_ssize_t)i, s);
    }
    return l;
}

/* Every word's log p from one state: V lookups, GIL released for large vocabularies. */
typedef struct next_job {
    const lmpy_Model *M;
    lmp_ngram_state st;
    double scale; /* 1 for log10, ln 10 for nats, 1/log10(base) otherwise */
    double *d;
    float *f;
} next_job;

static void next_fill(next_job *j)
{
    const lmpy_Model *M = j->M;
    lmp_ngram_state nx;
    for (size_t v = 0; v < M->V; v++) {
        double lp = (lmp_token_id)v == M->bos ? -INFINITY : lmp_ngram_score(M->m, &j->st, (lmp_token_id)v, &nx, NULL);
        if (j->scale != 1.0) lp *= j->scale;
        if (j->d) j->d[v] = lp;
        else j->f[v] = (float)lp;
    }
}

static PyObject *model_next_logprobs(lmpy_Model *M, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"state", "base", "out", NULL};
    PyObject *so, *out = Py_None;
    double base = 10.0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|d$O:next_logprobs", kwl, &so, &base, &out)) return NULL;
    lmpy_State *s;
    if (check_model(M) < 0 || get_state(so, "state", &s) < 0) return NULL;
    if (!(base > 0) || base == 1.0 || !isfinite(base))
        return lmpy_err(PyExc_ValueError, "next_logprobs: base = %g: expected a base > 0 and != 1 (10: "
                                              "log10 as kenlm's scores, math.e: nats)", base);
    next_job j = {M, s->st, base == 10.0 ? 1.0 : log(10.0) / log(base), NULL, NULL};
    PyObject *blk = NULL;
    lmpy_view v;
    int have_view = 0;
    if (out == Py_None) {
        Py_ssize_t n = (Py_ssize_t)M->V;
        blk = lmpy_array_new('d', 1, &n, (void **)&j.d);
        if (!blk) return NULL;
    } else {
        if (lmpy_view_get(out, &v, "out", LMPY_FLOAT | LMPY_WRITABLE) < 0) return NULL;
        have_view = 1;
        if (v.ndim != 1 || v.shape[0] != (Py_ssize_t)M->V || v.strides[0] != v.itemsize) {
            lmpy_view_release(&v);
            return PyErr_Format(PyExc_ValueError, "next_logprobs: out: expected a contiguous 1-D array of %zu "
                                                  "(the vocabulary size)", M->V);
        }
        if (v.type == 'd') j.d = (double *)v.data;
        else j.f = (float *)v.data;
    }
    if (M->V > 4096) {
        Py_BEGIN_ALLOW_THREADS
        next_fill(&j);
        Py_END_ALLOW_THREADS
    } else {
        next_fill(&j);
    }
    if (have_view) {
        lmpy_view_release(&v);
        return Py_NewRef(out);
    }
    return lmpy_array_finish(blk);
}

/* Sentences as (pointer, length) pairs, the objects kept alive by a tuple of them: the
 * calls read them with the GIL released, while another thread may change the caller's list. */
typedef struct text_list {
    PyObject *seq;        /* a tuple of the input's items */
    PyObject *keep;       /* a list of the bytes of items encoded with surrogateescape (as_bytes), or NULL */
    const char **s;
    size_t *n;
    size_t count;
} text_list;

static void text_list_free(text_list *t)
{
    PyMem_RawFree(t->s);
    PyMem_RawFree(t->n);
    Py_CLEAR(t->seq);
    Py_CLEAR(t->keep);
}

static int text_list_get(PyObject *obj, text_list *t, const char *name)
{
    memset(t, 0, sizeof *t);
    if (PyUnicode_Check(obj) || PyBytes_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s: expected a list of sentences, got one %.50s (wrap it in a list)", name,
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    t->seq = PySequence_Tuple(obj);
    if (!t->seq) {
        if (!PyErr_ExceptionMatches(PyExc_TypeError)) return -1; /* raised by the caller's iterator */
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s: expected a sequence of str or bytes, got %.100s", name,
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    t->count = (size_t)PyTuple_GET_SIZE(t->seq);
    t->s = PyMem_RawMalloc((t->count ? t->count : 1) * sizeof *t->s);
    t->n = PyMem_RawMalloc((t->count ? t->count : 1) * sizeof *t->n);
    if (!t->s || !t->n) {
        text_list_free(t);
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < t->count; i++) {
        Py_ssize_t n;
        PyObject *it = PyTuple_GET_ITEM(t->seq, (Py_ssize_t)i);
        if (!PyUnicode_Check(it) && !PyBytes_Check(it)) {
            PyErr_Format(PyExc_TypeError, "%s[%zu]: expected str or bytes, got %.100s", name, i,
                         Py_TYPE(it)->tp_name);
            text_list_free(t);
            return -1;
        }
        PyObject *keep;
        if (as_bytes(it, &t->s[i], &n, &keep) < 0) {
            text_list_free(t);
            return -1;
        }
        if (keep) { /* held by the list until the list is freed */
            if ((!t->keep && !(t->keep = PyList_New(0))) || PyList_Append(t->keep, keep) < 0) {
                Py_DECREF(keep);
                text_list_free(t);
                return -1;
            }
            Py_DECREF(keep);
        }
        t->n[i] = (size_t)n;
    }
    return 0;
}

typedef struct batch_job {
    const lmpy_Model *M;
    const text_list *t;
    int bos, eos;
    double *out;
} batch_job;

static void batch_one(void *ctx, size_t i, int worker)
{
    (void)worker;
    batch_job *j = ctx;
    j->out[i] = score_sentence(j->M, j->t->s[i], j->t->n[i], j->bos, j->eos);
}

static PyObject *model_score_batch(lmpy_Model *M, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"sentences", "bos", "eos", "threads", NULL};
    PyObject *obj;
    int bos = 1, eos = 1;
    long threads = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|pp$l:score_batch", kwl, &obj, &bos, &eos, &threads)) return NULL;
    if (check_model(M) < 0) return NULL;
    if (threads < 0) return PyErr_Format(PyExc_ValueError, "score_batch: threads = %ld: expected >= 0 (0: all cores)",
                                         threads);
    text_list t;
    if (text_list_get(obj, &t, "sentences") < 0) return NULL;
    Py_ssize_t n = (Py_ssize_t)t.count;
    batch_job j = {M, &t, bos, eos, NULL};
    PyObject *blk = lmpy_array_new('d', 1, &n, (void **)&j.out);
    if (!blk) {
        text_list_free(&t);
        return NULL;
    }
    /* threads only when the work is worth starting them (~20 us each) */
    size_t bytes = 0;
    for (size_t i = 0; i < t.count; i++) bytes += t.n[i];
    int nt = bytes < 16384 ? 1 : lmpy_threads(threads, t.count);
    Py_BEGIN_ALLOW_THREADS
    lmpy_parallel(t.count, nt, batch_one, &j);
    Py_END_ALLOW_THREADS
    text_list_free(&t);
    return lmpy_array_finish(blk);
}

static PyObject *stats_dict(const lmp_ngram_stats *s, int from_scores)
{
    return Py_BuildValue("{s:d,s:d,s:d,s:d,s:d,s:K,s:K,s:K,s:K,s:d,s:O}", "perplexity", lmp_ngram_stats_perplexity(s),
                         "perplexity_excl_oov", lmp_ngram_stats_perplexity_excl_oov(s), "log10_prob", s->log10_prob,
                         "bits_per_token", lmp_ngram_stats_bits_per_token(s), "bits_per_byte",
                         lmp_ngram_stats_bits_per_byte(s), "tokens", (unsigned long long)s->tokens, "oov",
                         (unsigned long long)s->oov, "sentences", (unsigned long long)s->sentences, "bytes",
                         (unsigned long long)s->bytes, "log10_prob_oov", s->log10_prob_oov,
                         "scores_not_probabilities", from_scores ? Py_True : Py_False);
}

static PyObject *model_evaluate(lmpy_Model *M, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"text", "scores", NULL};
    PyObject *obj;
    int scores = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$p:evaluate", kwl, &obj, &scores)) return NULL;
    if (check_model(M) < 0) return NULL;
    lmp_ngram_stats acc;
    memset(&acc, 0, sizeof acc);
    lmp_error err;
    lmp_error_clear(&err);
    /* Perplexity needs probabilities, as in `lmprob ppl` (cli/cmd_ppl.c): a model whose next-word values
     * are scores (stupid backoff) is refused unless scores=True asks for the same figures from them. */
    if (M->norm == 0) M->norm = lmp_ngram_check_probabilities(M->m, NULL, NULL) == LMP_OK ? 1 : 2;
    const int unnormalised = M->norm == 2;
    if (unnormalised && !scores && lmp_ngram_check_probabilities(M->m, NULL, &err) != LMP_OK)
        return PyErr_Format(PyExc_ValueError,
                            "evaluate: %s, so perplexity is undefined; scores=True computes the same figures from "
                            "the scores", err.msg);
    lmp_error_clear(&err);
    if (PyUnicode_Check(obj) || PyBytes_Check(obj) || PyObject_HasAttrString(obj, "__fspath__")) {
        PyObject *pb = NULL;
        if (!PyUnicode_FSConverter(obj, &pb)) return NULL;
        const char *path = PyBytes_AS_STRING(pb);
        if (lmpy_check_readable(path) < 0) {
            Py_DECREF(pb);
            return NULL;
        }
        lmp_status st;
        Py_BEGIN_ALLOW_THREADS
        st = lmp_ngram_score_file(M->m, path, &acc, NULL, &err);
        Py_END_ALLOW_THREADS
        if (st != LMP_OK) {
            lmpy_raise_path(path, &err);
            Py_DECREF(pb);
            return NULL;
        }
        Py_DECREF(pb);
        return stats_dict(&acc, unnormalised);
    }
    text_list t;
    if (text_list_get(obj, &t, "text") < 0) return NULL;
    /* One thread, in order: the sums are those of `lmprob ppl` on the same lines. */
    Py_BEGIN_ALLOW_THREADS
    for (size_t i = 0; i < t.count; i++) {
        const char *s = t.s[i];
        size_t n = t.n[i];
        if (memchr(s, '\n', n)) {
            /* several lines in one string: each one a sentence, as in a file */
            size_t a = 0;
            while (a <= n) {
                const char *nl = memchr(s + a, '\n', n - a);
                size_t b = nl ? (size_t)(nl - s) : n;
                if (b > a || nl) lmp_ngram_score_line(M->m, s + a, b - a, &acc, NULL);
                if (!nl) break;
                a = b + 1;
                if (a == n) break;
            }
        } else {
            lmp_ngram_score_line(M->m, s, n, &acc, NULL);
        }
    }
    Py_END_ALLOW_THREADS
    text_list_free(&t);
    return stats_dict(&acc, unnormalised);
}

/* An output name refused as the CLI refuses it (src/ngram/out_name.h): ValueError "cmd: path: why". 0 or -1. */
static int check_out_name(const char *cmd, const char *path, ng_out_format want)
{
    char why[256];
    if (!ng_out_refusal(path, want, why, sizeof why)) return 0;
    PyErr_Format(PyExc_ValueError, "%s: %s: %s", cmd, path, why);
    return -1;
}

static PyObject *model_write(lmpy_Model *M, PyObject *args, PyObject *kw, int binary)
{
    static char *kwl[] = {"path", NULL};
    PyObject *pb = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&", kwl, lmpy_path_converter, &pb)) return NULL;
    if (check_model(M) < 0) {
        Py_DECREF(pb);
        return NULL;
    }
    const char *path = PyBytes_AS_STRING(pb);
    /* as `lmprob model convert IN IN`: the model's own file is an input, which the rename would replace */
    const char *in = M->source ? PyBytes_AS_STRING(M->source) : NULL, *cmd = binary ? "write_binary" : "write_arpa";
    if (check_out_name(cmd, path, binary ? NG_OUT_BINARY : NG_OUT_ARPA) < 0 ||
        lmpy_check_output_from(cmd, path, &in, 1) < 0) {
        Py_DECREF(pb);
        return NULL;
    }
    lmp_error err;
    lmp_error_clear(&err);
    lmp_status st;
    Py_BEGIN_ALLOW_THREADS
    st = binary ? lmp_ngram_write_binary(M->m, path, &err) : lmp_ngram_write_arpa(M->m, path, NULL, &err);
    Py_END_ALLOW_THREADS
    Py_DECREF(pb);
    if (st != LMP_OK) return lmpy_raise(&err);
    Py_RETURN_NONE;
}

static PyObject *model_write_arpa(lmpy_Model *M, PyObject *args, PyObject *kw) { return model_write(M, args, kw, 0); }
static PyObject *model_write_binary(lmpy_Model *M, PyObject *args, PyObject *kw) { return model_write(M, args, kw, 1); }

static PyObject *model_info(lmpy_Model *M, PyObject *unused)
{
    (void)unused;
    if (check_model(M) < 0) return NULL;
    lmp_ngram_info in;
    lmp_ngram_get_info(M->m, &in);
    PyObject *counts = PyList_New(in.order);
    for (unsigned n = 1; counts && n <= in.order; n++)
        PyList_SET_ITEM(counts, n - 1, PyLong_FromUnsignedLongLong(in.counts[n]));
    if (!counts) return NULL;
    PyObject *meta = PyDict_New();
    for (size_t i = 0; meta && i < lmp_ngram_meta_count(M->m); i++) {
        const char *k, *v;
        lmp_ngram_meta_at(M->m, i, &k, &v);
        PyObject *vs = PyUnicode_DecodeUTF8(v, (Py_ssize_t)strlen(v), "replace");
        if (!vs || PyDict_SetItemString(meta, k, vs) < 0) Py_CLEAR(meta);
        Py_XDECREF(vs);
    }
    if (!meta) {
        Py_DECREF(counts);
        return NULL;
    }
    return Py_BuildValue("{s:I,s:N,s:n,s:K,s:O,s:O,s:N}", "order", in.order, "counts", counts, "vocab_size",
                         (Py_ssize_t)in.vocab_size, "bytes", (unsigned long long)in.bytes, "binary",
                         in.binary ? Py_True : Py_False, "trie", in.trie ? Py_True : Py_False, "metadata", meta);
}

/* kenlm's one-argument methods take their argument by name too (Cython's def) */
LMPY_ONE_ARG(model_perplexity, lmpy_Model, "perplexity", "sentence")
LMPY_ONE_ARG(model_begin_sentence_write, lmpy_Model, "BeginSentenceWrite", "state")
LMPY_ONE_ARG(model_null_context_write, lmpy_Model, "NullContextWrite", "state")
LMPY_ONE_ARG(model_index, lmpy_Model, "index", "word")
LMPY_ONE_ARG(model_word, lmpy_Model, "word", "id")

static PyMethodDef model_methods[] = {
    {"score", LMPY_FN(model_score), METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("score($self, sentence, bos=True, eos=True)\n--\n\n"
               "log10 probability of a string (str or bytes; words split on ASCII white space),\n"
               "summed in float as kenlm does: log10 p(sentence </s> | <s>) by default. bos=False\n"
               "starts from the empty context, eos=False leaves out </s>. Never include <s>.")},
    {"perplexity", LMPY_FN(model_perplexity_kw), METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("perplexity($self, sentence)\n--\n\n10 ** (-score(sentence) / (words + 1)), the +1 for </s> (kenlm's rule).")},
    {"full_scores", LMPY_FN(model_full_scores), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("full_scores($self, sentence, bos=True, eos=True)\n--\n\n"
               "An iterator of (log10 prob, n-gram length, oov) for each word and, with eos,\n"
               "for </s> (never oov).")},
    {"BeginSentenceWrite", LMPY_FN(model_begin_sentence_write_kw), METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("BeginSentenceWrite($self, state)\n--\n\nSet state to the context <s> (KenLM's BeginSentenceState).")},
    {"NullContextWrite", LMPY_FN(model_null_context_write_kw), METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("NullContextWrite($self, state)\n--\n\nSet state to the empty context.")},
    {"BaseScore", LMPY_FN(model_base_score), METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("BaseScore($self, in_state, word, out_state)\n--\n\n"
               "log10 p(word | in_state); writes the context after word to out_state (which\n"
               "may be in_state itself).")},
    {"BaseFullScore", LMPY_FN(model_base_full_score), METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("BaseFullScore($self, in_state, word, out_state)\n--\n\n"
               "As BaseScore, returning a FullScoreReturn(log_prob, ngram_length, oov).")},
    {"next_logprobs", LMPY_FN(model_next_logprobs), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("next_logprobs($self, state, base=10, *, out=None)\n--\n\n"
               "The log probability of every word of the vocabulary after state: a float64\n"
               "array of vocab_size entries, entry i for Model.word(i). base 10 gives\n"
               "exactly BaseScore(state, word, ...) for each word; base=math.e gives nats.\n"
               "<s> is context only: -inf. out: a contiguous float32/float64 array to fill.\n"
               "Releases the GIL.")},
    {"score_batch", LMPY_FN(model_score_batch), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("score_batch($self, sentences, bos=True, eos=True, *, threads=0)\n--\n\n"
               "score() of every sentence of a list, in one call: a float64 array, entry i\n"
               "equal to score(sentences[i], bos, eos). Runs without the GIL on `threads`\n"
               "threads (0: every core).")},
    {"evaluate", LMPY_FN(model_evaluate), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("evaluate($self, text, *, scores=False)\n--\n\n"
               "Corpus figures as `lmprob ppl`: text is a path (plain, gzip or xz; one sentence\n"
               "a line) or a list of sentences. Returns a dict: perplexity,\n"
               "perplexity_excl_oov, log10_prob, bits_per_token, bits_per_byte, tokens (with\n"
               "</s>), oov, sentences, bytes, log10_prob_oov, scores_not_probabilities.\n"
               "A model whose values are scores (stupid backoff) is a ValueError, as in\n"
               "`lmprob ppl`, unless scores=True (`ppl --scores`). Releases the GIL.")},
    {"index", LMPY_FN(model_index_kw), METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("index($self, word)\n--\n\nThe word's id in this model (<unk>'s id when it is not in the vocabulary).")},
    {"word", LMPY_FN(model_word_kw), METH_FASTCALL | METH_KEYWORDS, PyDoc_STR("word($self, id)\n--\n\nThe word of an id (IndexError when out of range).")},
    {"vocab", LMPY_FN(model_vocab), METH_NOARGS, PyDoc_STR("vocab($self)\n--\n\nThe words by id, a list of vocab_size str.")},
    {"info", LMPY_FN(model_info), METH_NOARGS,
     PyDoc_STR("info($self)\n--\n\nA dict: order, counts per order, vocab_size, bytes, binary, trie, and the\n"
               "metadata lmprob train records (tokens, vocab, estimator, command).")},
    {"write_arpa", LMPY_FN(model_write_arpa), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("write_arpa($self, path)\n--\n\nWrite the model as ARPA text (atomically: a temporary file, then rename);\n"
               "gzip- or xz-compressed when path ends in .gz or .xz (other compressions: ValueError).")},
    {"write_binary", LMPY_FN(model_write_binary), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("write_binary($self, path)\n--\n\nWrite lmprob's binary format (loads by mmap), atomically; never\n"
               "compressed: a path ending in .gz, .xz, .bz2, ... is a ValueError.")},
    {"__reduce__", LMPY_FN(model_reduce), METH_NOARGS, PyDoc_STR("Pickle as the model's path (as kenlm).")},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef model_getset[] = {
    {"order", (getter)model_order, NULL, PyDoc_STR("the model's n-gram order"), NULL},
    {"path", (getter)model_path, (setter)model_set_path, PyDoc_STR("the absolute path it was loaded from, as bytes (kenlm); settable, as kenlm's"), NULL},
    {"vocab_size", (getter)model_vocab_size, NULL, PyDoc_STR("number of words, <unk> <s> </s> included"), NULL},
    {"bos", (getter)model_bos, NULL, PyDoc_STR("id of <s> (None when the model has none)"), NULL},
    {"eos", (getter)model_eos, NULL, PyDoc_STR("id of </s> (None when the model has none)"), NULL},
    {"unk", (getter)model_unk, NULL, PyDoc_STR("id of <unk>"), NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PySequenceMethods model_as_sequence = {
    .sq_contains = (objobjproc)model_contains,
};

PyDoc_STRVAR(model_doc,
"Model(path, config=None)\n"
"--\n"
"\n"
"A back-off n-gram language model read from an ARPA file (plain, gzip or xz) or\n"
"lmprob's binary format (mmapped), with kenlm's Python API and numbers: score,\n"
"perplexity, full_scores, order, `word in model`, and the State API\n"
"(BeginSentenceWrite, NullContextWrite, BaseScore, BaseFullScore). `config` is\n"
"accepted for kenlm compatibility and ignored. Scores are log10, KenLM's\n"
"conventions throughout (docs/python.md).\n"
"\n"
"Beyond kenlm: next_logprobs(state) over the vocabulary, score_batch on\n"
"threads, evaluate (corpus perplexity), index/word/vocab, info, write_arpa,\n"
"write_binary.\n"
"\n"
"Errors: FileNotFoundError for a missing file; lmprob.FormatError (an OSError)\n"
"naming file and line for a malformed one (a KenLM binary file is refused with\n"
"a message: convert its ARPA with `lmprob model convert`).\n"
"\n"
"Thread safety: immutable once loaded; any number of threads may share one Model.");

static PyTypeObject model_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "lmprob.Model",
    .tp_basicsize = sizeof(lmpy_Model),
    .tp_dealloc = (destructor)model_dealloc,
    .tp_repr = (reprfunc)model_repr,
    .tp_as_sequence = &model_as_sequence,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = model_doc,
    .tp_methods = model_methods,
    .tp_getset = model_getset,
    .tp_init = (initproc)model_init,
    .tp_new = model_new,
};

/* ---- lmprob.train ------------------------------------------------------------------------------- */

static int parse_estimator(const char *v, lmp_estimator *e)
{
    lmp_error err;
    lmp_error_clear(&err);
    if (lmp_train_estimator_parse(v, e, &err) == LMP_OK) return 0;
    lmpy_err(PyExc_ValueError, "train: %s", err.msg);
    return -1;
}

/* A list of per-order integers (prune thresholds, Good-Turing k), the last value repeated
 * up to LMP_NGRAM_MAX_ORDER as lmplz and `lmprob train` do. Returns how many were given. */
static int per_order(PyObject *o, const char *name, uint64_t *out, unsigned max_value)
{
    if (o == Py_None) return 0;
    PyObject *seq = PySequence_Fast(o, "");
    if (!seq) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "train: %s: expected a list of ints, one per order", name);
        return -1;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n == 0 || n > LMP_NGRAM_MAX_ORDER) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_ValueError, "train: %s: expected 1 to %d values, one per order, got %zd", name,
                     LMP_NGRAM_MAX_ORDER, n);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned long long v = PyLong_AsUnsignedLongLong(PySequence_Fast_GET_ITEM(seq, i));
        if (PyErr_Occurred() || (max_value && v > max_value)) {
            Py_DECREF(seq);
            PyErr_Clear();
            PyErr_Format(PyExc_ValueError, "train: %s[%zd]: expected an int from 0%s", name, i,
                         max_value ? " to the limit" : "");
            return -1;
        }
        out[i] = v;
    }
    for (Py_ssize_t i = n; i < LMP_NGRAM_MAX_ORDER; i++) out[i] = out[n - 1];
    Py_DECREF(seq);
    return (int)n;
}

/* A count argument of train (min_count, vocab_size, memory) when given: an int >= 0, never
 * wrapped ("K" would take -1 as 2^64 - 1 and 2^65 as 0). */
static int count_arg(PyObject *o, const char *name, unsigned long long *out)
{
    long long v;
    if (!o) return 0;
    if (lmpy_int_arg(o, "train", name, 0, &v) < 0) return -1;
    *out = (unsigned long long)v;
    return 0;
}

static PyObject *py_train(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kwl[] = {"corpus", "order", "estimator", "output", "k", "min_count", "vocab_size",
                          "vocab_file", "discount_fallback", "prune", "discount", "alpha", "gt_max",
                          "nltk", "mode", "memory", "threads", "text", NULL};
    PyObject *corpus = Py_None, *output = Py_None, *vocab_file = Py_None, *fallback = Py_False, *prune = Py_None;
    PyObject *gt_max = Py_None, *text = Py_None;
    long order = 3, threads = 2;
    const char *est = "mkn", *mode = "word";
    double k = 1.0, discount = 0.0, alpha = 0.4;
    unsigned long long min_count = 0, vocab_size = 0, memory = 0;
    PyObject *min_count_o = NULL, *vocab_size_o = NULL, *memory_o = NULL;
    int nltk = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|Ols$OdOOOOOddOpsOlO:train", kwl, &corpus, &order, &est, &output, &k,
                                     &min_count_o, &vocab_size_o, &vocab_file, &fallback, &prune, &discount, &alpha,
                                     &gt_max, &nltk, &mode, &memory_o, &threads, &text))
        return NULL;
    if (count_arg(min_count_o, "min_count", &min_count) < 0 || count_arg(vocab_size_o, "vocab_size", &vocab_size) < 0 ||
        count_arg(memory_o, "memory", &memory) < 0)
        return NULL;
    lmp_train_params p;
    lmp_train_params_init(&p);
    if (order < 1 || order > LMP_NGRAM_MAX_ORDER)
        return PyErr_Format(PyExc_ValueError, "train: order = %ld: expected 1 to %d", order, LMP_NGRAM_MAX_ORDER);
    p.order = (unsigned)order;
    if (parse_estimator(est, &p.estimator) < 0) return NULL;
    p.k = k;
    p.min_count = min_count;
    p.vocab_size = vocab_size;
    p.discount = discount;
    p.alpha = alpha;
    p.nltk_conventions = nltk;
    if (memory) p.memory = memory;
    /* as lmprob train --threads: 0 (every core) to 1024, of which the pipeline uses 1 or 2 (it refused
     * 0, which everywhere else in the module means every core) */
    if (threads < 0 || threads > 1024)
        return PyErr_Format(PyExc_ValueError, "train: threads = %ld: expected 0 (every core) to 1024", threads);
    p.threads = threads == 1 ? 1u : 2u;
    if (strcmp(mode, "word") == 0) p.corpus.mode = LMP_CORPUS_WORD;
    else if (strcmp(mode, "char") == 0) p.corpus.mode = LMP_CORPUS_CHAR;
    else if (strcmp(mode, "byte") == 0) p.corpus.mode = LMP_CORPUS_BYTE;
    else return PyErr_Format(PyExc_ValueError, "train: mode = '%s': expected word, char or byte", mode);
    /* discount_fallback: False, True (lmplz's 0.5 1 1.5), or three discounts */
    if (PyBool_Check(fallback)) {
        p.discount_fallback = fallback == Py_True;
    } else {
        PyObject *t = PySequence_Check(fallback) ? PySequence_Tuple(fallback) : NULL;
        int ok = t && PyArg_ParseTuple(t, "ddd;train: discount_fallback: expected True or (D1, D2, D3+)",
                                       &p.fallback[0], &p.fallback[1], &p.fallback[2]);
        Py_XDECREF(t);
        if (!ok) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "train: discount_fallback: expected True or (D1, D2, D3+)");
            return NULL;
        }
        p.discount_fallback = 1;
    }
    int np = per_order(prune, "prune", p.prune, 0);
    if (np < 0) return NULL;
    uint64_t g[LMP_NGRAM_MAX_ORDER];
    int ngt = per_order(gt_max, "gt_max", g, LMP_TRAIN_GT_MAX);
    if (ngt < 0) return NULL;
    for (int i = 0; ngt > 0 && i < LMP_NGRAM_MAX_ORDER; i++) p.gt_max[i] = (unsigned)g[i];
    if (p.estimator == LMP_EST_KATZ && np == 0) /* `lmprob train`'s default: SRILM's -gtNmin 1 1 2 2 ... */
        for (int i = 2; i < LMP_NGRAM_MAX_ORDER; i++) p.prune[i] = 1;

    PyObject *path_b = NULL, *vocab_b = NULL, *out_b = NULL, *data = NULL;
    PyObject *res = NULL;
    lmp_train_model *tm = NULL;
    lmp_corpus *cr = NULL;
    lmp_ngram *nm = NULL;
    lmp_error err;
    lmp_error_clear(&err);
    if (vocab_file != Py_None) {
        if (!PyUnicode_FSConverter(vocab_file, &vocab_b)) goto done;
        p.vocab_file = PyBytes_AS_STRING(vocab_b);
        if (lmpy_check_readable(p.vocab_file) < 0) goto done;
    }
    if (output != Py_None && !PyUnicode_FSConverter(output, &out_b)) goto done;
    /* the text: text= (a str or bytes of lines), or corpus= a path or a list of sentences */
    if ((text == Py_None) == (corpus == Py_None)) {
        PyErr_SetString(PyExc_TypeError, "train: expected one of corpus (a path or a list of sentences) or text");
        goto done;
    }
    if (text != Py_None) {
        if (PyUnicode_Check(text)) data = PyUnicode_AsUTF8String(text);
        else if (PyBytes_Check(text)) data = Py_NewRef(text);
        else PyErr_Format(PyExc_TypeError, "train: text: expected str or bytes, got %.100s", Py_TYPE(text)->tp_name);
        if (!data) goto done;
    } else if (PyUnicode_Check(corpus) || PyBytes_Check(corpus) || PyObject_HasAttrString(corpus, "__fspath__")) {
        if (!PyUnicode_FSConverter(corpus, &path_b)) goto done;
        if (lmpy_check_readable(PyBytes_AS_STRING(path_b)) < 0) goto done;
    } else {
        /* a list of sentences: one line each */
        PyObject *nl = PyUnicode_FromString("\n");
        PyObject *strs = PySequence_List(corpus);
        PyObject *joined = NULL;
        if (nl && strs) {
            int ok = 1;
            for (Py_ssize_t i = 0; ok && i < PyList_GET_SIZE(strs); i++) {
                PyObject *it = PyList_GET_ITEM(strs, i);
                if (PyBytes_Check(it)) {
                    PyObject *u = PyUnicode_DecodeUTF8(PyBytes_AS_STRING(it), PyBytes_GET_SIZE(it), "surrogateescape");
                    if (!u || PyList_SetItem(strs, i, u) < 0) ok = 0; /* SetItem drops the bytes */
                } else if (!PyUnicode_Check(it)) {
                    PyErr_Format(PyExc_TypeError, "train: corpus[%zd]: expected str, got %.100s", i,
                                 Py_TYPE(it)->tp_name);
                    ok = 0;
                }
            }
            if (ok) joined = PyUnicode_Join(nl, strs);
        }
        Py_XDECREF(nl);
        Py_XDECREF(strs);
        if (!joined) goto done;
        data = PyUnicode_AsEncodedString(joined, "utf-8", "surrogateescape");
        Py_DECREF(joined);
        if (!data) goto done;
    }
    /* before reading anything: the format the name asks for, as `lmprob train -o` takes it, and no input it is
     * (the rename would replace a corpus or vocabulary) */
    const char *out = out_b ? PyBytes_AS_STRING(out_b) : NULL;
    const ng_out_format fmt = out ? ng_out_format_of(out) : NG_OUT_ARPA;
    if (out) {
        const char *inputs[] = {path_b ? PyBytes_AS_STRING(path_b) : NULL, p.vocab_file};
        if (check_out_name("train", out, NG_OUT_BY_NAME) < 0 || lmpy_check_output_from("train", out, inputs, 2) < 0)
            goto done;
    }
    lmp_status st;
    Py_BEGIN_ALLOW_THREADS
    if (path_b) {
        st = lmp_train_model_load(PyBytes_AS_STRING(path_b), &p, &tm, &err);
    } else {
        st = lmp_corpus_create(PyBytes_AS_STRING(data), (size_t)PyBytes_GET_SIZE(data), "<text>", &p.corpus, &cr, &err);
        if (st == LMP_OK) st = lmp_train_model_create(cr, &p, &tm, &err);
    }
    if (st == LMP_OK && out && fmt == NG_OUT_ARPA) st = lmp_train_write_arpa(tm, out, &err);
    if (st == LMP_OK) st = lmp_ngram_create_from_train(tm, &nm, &err);
    /* .bin and .trie: the binary layout of the model built, as `lmprob train -o m.bin` writes it */
    if (st == LMP_OK && out && fmt == NG_OUT_BINARY) st = lmp_ngram_write_binary(nm, out, &err);
    if (st == LMP_OK && out && fmt == NG_OUT_TRIE) st = lmp_ngram_write_trie(nm, out, NULL, &err);
    Py_END_ALLOW_THREADS
    if (st != LMP_OK) {
        lmpy_raise_path(path_b ? PyBytes_AS_STRING(path_b) : NULL, &err);
        goto done;
    }
    lmpy_Model *M = (lmpy_Model *)model_type.tp_alloc(&model_type, 0);
    if (!M) goto done;
    M->m = nm;
    nm = NULL;
    model_setup(M);
    if (out_b) {
        PyObject *osp = PyImport_ImportModule("os.path");
        M->path = osp ? PyObject_CallMethod(osp, "abspath", "O", out_b) : NULL;
        Py_XDECREF(osp);
        if (!M->path) {
            Py_DECREF(M);
            goto done;
        }
    } else {
        M->path = PyBytes_FromString("");
    }
    res = (PyObject *)M;
done:
    lmp_ngram_free(nm);
    lmp_train_model_free(tm);
    lmp_corpus_free(cr);
    Py_XDECREF(path_b);
    Py_XDECREF(vocab_b);
    Py_XDECREF(out_b);
    Py_XDECREF(data);
    return res;
}

PyMethodDef lmpy_ngram_methods[] = {
    {"train", LMPY_FN(py_train), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("train(corpus=None, order=3, estimator='mkn', *, output=None, k=1.0, min_count=0,\n"
               "      vocab_size=0, vocab_file=None, discount_fallback=False, prune=None,\n"
               "      discount=0.0, alpha=0.4, gt_max=None, nltk=False, mode='word', memory=0,\n"
               "      threads=2, text=None)\n--\n\n"
               "Estimate an n-gram model, as `lmprob train` with the same options, and return\n"
               "it as a Model (no file needed). corpus: a path to a text file (plain, gzip\n"
               "or xz; one sentence a line) or a list of sentences; or text=: one string of\n"
               "lines. estimator: mkn (modified Kneser-Ney, KenLM's lmplz numbers), kn, addk\n"
               "(k), mle, wb, katz (gt_max), abs (discount), stupid (alpha). output: also\n"
               "write the model there, as `lmprob train -o` names formats: .bin binary, .trie\n"
               "the trie, .gz/.xz compressed ARPA, other names ARPA (.bz2 and a binary name\n"
               "under .gz/.xz: ValueError; nor may it be the corpus or vocab_file). prune:\n"
               "per-order count thresholds (the last repeats).\n"
               "min_count: words seen fewer times become <unk>; vocab_size: keep the most\n"
               "frequent words; vocab_file: a word list (one a line) that is the vocabulary.\n"
               "discount_fallback: KenLM's --discount_fallback: True (0.5 1 1.5) or three\n"
               "discounts, used where the counts cannot give them. nltk: NLTK's conventions\n"
               "(addk, mle, wb, abs, stupid: <s> a vocabulary word and unigram event, wb/abs\n"
               "ending at the MLE unigram, as nltk.lm: NLTK's model at order 2; abs with\n"
               "discount=0.75, NLTK's default). mode: 'word', 'char' or 'byte'\n"
               "tokens. memory: bytes for the whole training (0: the default 1G, as --memory).\n"
               "Releases the GIL; training runs on `threads` threads: 0 (every core) to\n"
               "1024, of which the pipeline uses 1, or 2 for any other value, as --threads.")},
    {NULL, NULL, 0, NULL},
};

int lmpy_init_ngram(PyObject *m)
{
    if (PyType_Ready(&fsr_type) < 0 || PyType_Ready(&state_type) < 0 || PyType_Ready(&model_type) < 0) return -1;
    if (PyModule_AddObject(m, "FullScoreReturn", Py_NewRef((PyObject *)&fsr_type)) < 0 ||
        PyModule_AddObject(m, "State", Py_NewRef((PyObject *)&state_type)) < 0 ||
        PyModule_AddObject(m, "Model", Py_NewRef((PyObject *)&model_type)) < 0)
        return -1;
    return 0;
}
