/* lmprob._GPT2: GPT-2 inference (gpt2.h) and its evaluation through lm.h and
 * eval.h: logits as arrays, next-token log-probabilities, per-token scores and
 * perplexity by the three window recipes (docs/perplexity.md).
 *
 * Thread safety: the weights are immutable after loading and every call makes
 * its own context (KV cache, scratch, worker threads), so any number of
 * threads may use one model at once. Every forward pass runs without the GIL. */
#include "lmpy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    PyObject_HEAD
    lmp_gpt2 *g;
    lmp_tokenizer *tok_owned; /* the folder's own vocabulary */
    PyObject *encoding;       /* or an lmprob Encoding whose tokenizer is borrowed */
    lmp_lm *lm;               /* over g and the tokenizer (borrowed) */
    int threads;
    lmp_gpt2_config cfg;
} lmpy_GPT2;

static PyObject *g2_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    (void)args;
    (void)kw;
    return type->tp_alloc(type, 0);
}

static void g2_dealloc(lmpy_GPT2 *o)
{
    lmp_lm_free(o->lm);
    lmp_gpt2_free(o->g);
    lmp_tokenizer_free(o->tok_owned);
    Py_XDECREF(o->encoding);
    Py_TYPE(o)->tp_free((PyObject *)o);
}

static int g2_init(lmpy_GPT2 *o, PyObject *args, PyObject *kw)
{
    /* default_encoding: enc is the default GPT-2 vocabulary, not the caller's choice: a model too small for it
     * (a toy of 100 ids) runs on token ids alone instead of being refused */
    static char *kwl[] = {"path", "encoding", "threads", "default_encoding", NULL};
    PyObject *pb = NULL, *enc = Py_None;
    long threads = 0;
    int default_encoding = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|O$lp:GPT2", kwl, lmpy_path_converter, &pb, &enc, &threads,
                                     &default_encoding))
        return -1;
    int rc = -1;
    const char *path = PyBytes_AS_STRING(pb);
    const lmp_tokenizer *tok = NULL;
    lmp_error err;
    lmp_error_clear(&err);
    lmp_status st;
    if (o->g) {
        PyErr_SetString(PyExc_TypeError, "GPT2: already loaded");
        goto done;
    }
    if (threads < 0 || threads > 1024) {
        PyErr_Format(PyExc_ValueError, "GPT2: threads = %ld: expected 0 (every core) to 1024", threads);
        goto done;
    }
    if (enc != Py_None && !(tok = lmpy_tokenizer_of(enc))) goto done;
    if (lmpy_check_readable(path) < 0) goto done;
    lmp_lm_path_kind kind = lmp_lm_probe_path(path);
    if (kind == LMP_LM_PATH_NGRAM) {
        PyErr_Format(lmpy_FormatError, "%s: expected a GPT-2 checkpoint (a Hugging Face folder with config.json and "
                                       "model.safetensors or pytorch_model.bin, or one such file); for an n-gram "
                                       "model use "
                                       "lmprob.Model", path);
        goto done;
    }
    /* Loaded into g, tok_owned and lm, and stored in the object with the GIL held, after a second look:
     * another thread may be loading into this object too (g2.__init__(path) on threads; both loads wrote
     * o->g without the GIL, both returned 0 and one model leaked). */
    lmp_gpt2 *g = NULL;
    lmp_tokenizer *tok_owned = NULL;
    lmp_lm *lm = NULL;
    Py_BEGIN_ALLOW_THREADS
    st = lmp_gpt2_load(path, NULL, NULL, &g, &err);
    if (st == LMP_OK && !tok && kind == LMP_LM_PATH_GPT2_VOCAB) st = lmp_tokenizer_load(path, &tok_owned, &err);
    Py_END_ALLOW_THREADS
    if (st != LMP_OK) {
        lmpy_raise_path(path, &err);
        goto drop;
    }
    if (tok_owned) tok = tok_owned;
    lmp_gpt2_config gc;
    lmp_gpt2_get_config(g, &gc);
    if (default_encoding && tok && lmp_tokenizer_vocab_size(tok) > (size_t)gc.n_vocab) {
        tok = NULL;
        enc = Py_None;
    }
    if (lmp_lm_create_gpt2(g, tok, (unsigned)threads, &lm, &err) != LMP_OK) {
        lmpy_raise(&err);
        goto drop;
    }
    if (o->g) {
        PyErr_SetString(PyExc_TypeError, "GPT2: already loaded");
        goto drop;
    }
    o->g = g;
    o->tok_owned = tok_owned;
    o->lm = lm;
    g = NULL; /* the object's now */
    tok_owned = NULL;
    lm = NULL;
    if (tok && enc != Py_None) o->encoding = Py_NewRef(enc);
    o->threads = (int)threads;
    o->cfg = gc;
    /* as the CLI's note (cli_gpt2_note_inferred): with no config the head count is a guess */
    if (o->cfg.source == LMP_GPT2_CONFIG_INFERRED &&
        PyErr_WarnFormat(PyExc_UserWarning, 1,
                         "%s has no config (config.json, or __metadata__ in the file): n_head = %d is n_embd / 64, "
                         "as in every GPT-2 size, and the rest comes from the tensors' shapes",
                         path, o->cfg.n_head) < 0)
        goto done;
    rc = 0;
drop:
    lmp_lm_free(lm); /* over g and the tokenizer: first */
    lmp_gpt2_free(g);
    lmp_tokenizer_free(tok_owned);
done:
    Py_DECREF(pb);
    return rc;
}

static int ready(lmpy_GPT2 *o)
{
    if (!o->lm) {
        PyErr_SetString(PyExc_ValueError, "GPT2: not loaded");
        return -1;
    }
    return 0;
}

/* Token ids from a list/array, or from text through the model's tokenizer (lmp_lm_tokenize:
 * <|endoftext|> in the text is the special token, as `lmprob ppl --model`). */
static int get_ids(lmpy_GPT2 *o, PyObject *obj, lmp_token_id **ids, size_t *n)
{
    if (!PyUnicode_Check(obj) && !PyBytes_Check(obj))
        return lmpy_ids_get(obj, "tokens", (size_t)o->cfg.n_vocab, ids, n);
    if (!lmp_lm_tokenizer(o->lm)) {
        PyErr_SetString(PyExc_ValueError, "GPT2: this model has no tokenizer (its folder has no tokenizer.json or "
                                          "vocab.json + merges.txt and no encoding was given): pass token ids");
        return -1;
    }
    const char *s;
    Py_ssize_t len;
    PyObject *hold = NULL;
    if (PyUnicode_Check(obj)) {
        s = PyUnicode_AsUTF8AndSize(obj, &len);
        if (!s) return -1;
    } else {
        s = PyBytes_AS_STRING(obj);
        len = PyBytes_GET_SIZE(obj);
    }
    hold = Py_NewRef(obj);
    lmp_error err;
    lmp_error_clear(&err);
    size_t need = 0;
    lmp_status st;
    lmp_token_id *t = NULL;
    Py_BEGIN_ALLOW_THREADS
    st = lmp_lm_tokenize(o->lm, s, (size_t)len, 0, NULL, NULL, NULL, 0, &need, &err);
    if (st == LMP_ERANGE || st == LMP_OK) {
        t = malloc((need ? need : 1) * sizeof *t);
        st = t ? lmp_lm_tokenize(o->lm, s, (size_t)len, 0, t, NULL, NULL, need, &need, &err)
               : lmp_error_set(&err, LMP_ENOMEM, "out of memory for %zu tokens", need);
    }
    Py_END_ALLOW_THREADS
    Py_DECREF(hold);
    if (st != LMP_OK) {
        free(t);
        lmpy_raise(&err);
        return -1;
    }
    /* hand over in PyMem_Raw memory, as lmpy_ids_get does */
    *ids = PyMem_RawMalloc((need ? need : 1) * sizeof **ids);
    if (!*ids) {
        free(t);
        PyErr_NoMemory();
        return -1;
    }
    if (need) memcpy(*ids, t, need * sizeof *t);
    free(t);
    *n = need;
    return 0;
}

static PyObject *g2_logits(lmpy_GPT2 *o, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"tokens", "last_only", NULL};
    PyObject *obj;
    int last = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$p:logits", kwl, &obj, &last)) return NULL;
    if (ready(o) < 0) return NULL;
    lmp_token_id *ids;
    size_t n;
    if (get_ids(o, obj, &ids, &n) < 0) return NULL;
    PyObject *blk = NULL, *res = NULL;
    if (n == 0 || n > (size_t)o->cfg.n_ctx) {
        PyErr_Format(PyExc_ValueError, "logits: %zu tokens: expected 1 to n_ctx = %d", n, o->cfg.n_ctx);
        goto done;
    }
    Py_ssize_t shape[2] = {(Py_ssize_t)n, o->cfg.n_vocab};
    float *out;
    blk = last ? lmpy_array_new('f', 1, shape + 1, (void **)&out) : lmpy_array_new('f', 2, shape, (void **)&out);
    if (!blk) goto done;
    lmp_error err;
    lmp_error_clear(&err);
    lmp_status st;
    lmp_gpt2_ctx *ctx = NULL;
    Py_BEGIN_ALLOW_THREADS
    st = lmp_gpt2_ctx_create(o->g, n, (unsigned)o->threads, &ctx, &err);
    if (st == LMP_OK) st = lmp_gpt2_ctx_push(ctx, ids, n, out, last ? LMP_GPT2_LOGITS_LAST : LMP_GPT2_LOGITS_ALL, &err);
    lmp_gpt2_ctx_free(ctx);
    Py_END_ALLOW_THREADS
    res = lmpy_array_finish_or_raise(blk, st, &err);
    blk = NULL;
done:
    Py_XDECREF(blk);
    PyMem_RawFree(ids);
    return res;
}

static PyObject *g2_next_logprobs(lmpy_GPT2 *o, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"tokens", NULL};
    PyObject *obj;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O:next_logprobs", kwl, &obj)) return NULL;
    if (ready(o) < 0) return NULL;
    lmp_token_id *ids;
    size_t n;
    if (get_ids(o, obj, &ids, &n) < 0) return NULL;
    PyObject *blk = NULL, *res = NULL;
    if (n == 0 || n > (size_t)o->cfg.n_ctx) {
        PyErr_Format(PyExc_ValueError, "next_logprobs: %zu tokens: expected 1 to n_ctx = %d (GPT-2 adds no "
                                       "BOS: give it at least one token)", n, o->cfg.n_ctx);
        goto done;
    }
    Py_ssize_t V = o->cfg.n_vocab;
    float *out;
    blk = lmpy_array_new('f', 1, &V, (void **)&out);
    if (!blk) goto done;
    lmp_error err;
    lmp_error_clear(&err);
    lmp_status st;
    lmp_lm_ctx *c = NULL;
    Py_BEGIN_ALLOW_THREADS
    st = lmp_lm_ctx_create(o->lm, n, &c, &err);
    if (st == LMP_OK) st = lmp_lm_ctx_push(c, ids, n, &err);
    if (st == LMP_OK) st = lmp_lm_ctx_next_logprobs_f32(c, out, &err);
    lmp_lm_ctx_free(c);
    Py_END_ALLOW_THREADS
    res = lmpy_array_finish_or_raise(blk, st, &err);
    blk = NULL;
done:
    Py_XDECREF(blk);
    PyMem_RawFree(ids);
    return res;
}

static PyObject *g2_score(lmpy_GPT2 *o, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"tokens", NULL};
    PyObject *obj;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O:score", kwl, &obj)) return NULL;
    if (ready(o) < 0) return NULL;
    lmp_token_id *ids;
    size_t n;
    if (get_ids(o, obj, &ids, &n) < 0) return NULL;
    PyObject *blk = NULL, *res = NULL;
    if (n > (size_t)o->cfg.n_ctx) {
        PyErr_Format(PyExc_ValueError, "score: %zu tokens: expected at most n_ctx = %d (perplexity() slides a "
                                       "window over longer texts)", n, o->cfg.n_ctx);
        goto done;
    }
    Py_ssize_t k = (Py_ssize_t)n;
    double *lp;
    blk = lmpy_array_new('d', 1, &k, (void **)&lp);
    if (!blk) goto done;
    lmp_error err;
    lmp_error_clear(&err);
    lmp_status st = LMP_OK;
    if (n > 0) {
        lmp_lm_ctx *c = NULL;
        Py_BEGIN_ALLOW_THREADS
        st = lmp_lm_ctx_create(o->lm, n, &c, &err);
        if (st == LMP_OK) st = lmp_lm_ctx_score(c, ids, n, lp, &err);
        lmp_lm_ctx_free(c);
        Py_END_ALLOW_THREADS
    }
    res = lmpy_array_finish_or_raise(blk, st, &err);
    blk = NULL;
done:
    Py_XDECREF(blk);
    PyMem_RawFree(ids);
    return res;
}

static PyObject *result_dict(const lmp_ppl_result *r)
{
    return Py_BuildValue("{s:d,s:d,s:d,s:n,s:n}", "perplexity", r->perplexity, "nll", r->nll, "denominator",
                         r->denominator, "scored_tokens", (Py_ssize_t)r->scored_tokens, "forward_passes",
                         (Py_ssize_t)r->forward_passes);
}

/* perplexity's window or stride: None (0: the default), or an int >= lo. */
static int window_arg(PyObject *o, const char *name, long long lo, size_t *out)
{
    long long v;
    if (o == Py_None) return 0;
    if (lmpy_int_arg(o, "perplexity", name, lo, &v) < 0) return -1;
    *out = (size_t)v;
    return 0;
}

/* Ctrl-C during a long perplexity: the passes run without the GIL, so Python's handler cannot run
 * until they return (a stride-1 pass over a long text took minutes to raise KeyboardInterrupt).
 * The token callback takes the GIL back every 50 ms or so and lets Python run its pending signal
 * handlers; an exception from one (KeyboardInterrupt) stops the passes (LMP_ECANCELED) and stays set
 * for the caller. Between checks a token costs a clock read. */
typedef struct interrupt_check {
    struct timespec last;
    int raised;
} interrupt_check;

static int check_interrupt(void *ud, const lmp_ppl_token *t)
{
    (void)t;
    interrupt_check *ic = ud;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((now.tv_sec - ic->last.tv_sec) * 1000000000L + (now.tv_nsec - ic->last.tv_nsec) < 50000000L) return 0;
    ic->last = now;
    PyGILState_STATE gs = PyGILState_Ensure();
    ic->raised = PyErr_CheckSignals() < 0;
    PyGILState_Release(gs);
    return ic->raised;
}

static PyObject *g2_perplexity(lmpy_GPT2 *o, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"text", "window", "stride", "recipe", "details", NULL};
    PyObject *obj, *wo = Py_None, *so = Py_None;
    const char *recipe = "exact";
    int details = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OO$sp:perplexity", kwl, &obj, &wo, &so, &recipe, &details))
        return NULL;
    if (ready(o) < 0) return NULL;
    unsigned mask;
    int which;
    if (strcmp(recipe, "exact") == 0) which = LMP_PPL_EXACT;
    else if (strcmp(recipe, "hf") == 0) which = LMP_PPL_HF;
    else if (strcmp(recipe, "chapter") == 0) which = LMP_PPL_CHAPTER;
    else if (strcmp(recipe, "all") == 0) which = -1;
    else
        return PyErr_Format(PyExc_ValueError, "perplexity: recipe = '%s': expected 'exact', 'hf', 'chapter' or 'all'",
                            recipe);
    mask = which < 0 ? LMP_PPL_ALL : 1u << which;
    size_t window = 0, stride = 0;
    if (window_arg(wo, "window", 2, &window) < 0 || window_arg(so, "stride", 1, &stride) < 0) return NULL;
    lmp_token_id *ids;
    size_t n;
    if (get_ids(o, obj, &ids, &n) < 0) return NULL;
    size_t w = window, s = stride;
    lmp_eval_windows(o->lm, n, &w, &s);
    lmp_ppl_result r[LMP_PPL_RECIPES];
    memset(r, 0, sizeof r);
    lmp_error err;
    lmp_error_clear(&err);
    lmp_status st;
    lmp_lm_ctx *c = NULL;
    interrupt_check ic = {{0, 0}, 0};
    clock_gettime(CLOCK_MONOTONIC, &ic.last);
    Py_BEGIN_ALLOW_THREADS
    st = lmp_lm_ctx_create(o->lm, w ? w : 1, &c, &err);
    if (st == LMP_OK) st = lmp_eval_perplexity(c, ids, n, window, stride, mask, check_interrupt, &ic, r, &err);
    lmp_lm_ctx_free(c);
    Py_END_ALLOW_THREADS
    PyMem_RawFree(ids);
    if (st == LMP_ECANCELED && ic.raised) return NULL; /* the signal handler's exception is set */
    /* fewer than 2 tokens: nothing scored, the perplexity undefined: NaN with a RuntimeWarning, as lmprob ppl
     * prints nan with a note and lmprob.perplexity([]) gives nan (it raised ValueError) */
    if (st == LMP_EDOM) {
        if (PyErr_WarnEx(PyExc_RuntimeWarning, err.msg, 1) < 0) return NULL;
        st = LMP_OK;
    }
    if (st != LMP_OK) return lmpy_raise(&err);
    static const char *const names[LMP_PPL_RECIPES] = {"exact", "hf", "chapter"};
    if (which >= 0) return details ? result_dict(&r[which]) : PyFloat_FromDouble(r[which].perplexity);
    PyObject *d = PyDict_New();
    for (int i = 0; d && i < LMP_PPL_RECIPES; i++) {
        PyObject *v = details ? result_dict(&r[i]) : PyFloat_FromDouble(r[i].perplexity);
        if (!v || PyDict_SetItemString(d, names[i], v) < 0) Py_CLEAR(d);
        Py_XDECREF(v);
    }
    return d;
}

static PyObject *g2_config(lmpy_GPT2 *o, void *c)
{
    (void)c;
    if (ready(o) < 0) return NULL;
    const lmp_gpt2_config *g = &o->cfg;
    static const char *const dt[] = {"F32", "F16", "BF16"};
    PyObject *eos = g->eos_token_id >= 0 ? PyLong_FromLong(g->eos_token_id) : Py_NewRef(Py_None);
    if (!eos) return NULL;
    PyObject *bos = g->bos_token_id >= 0 ? PyLong_FromLong(g->bos_token_id) : Py_NewRef(Py_None);
    if (!bos) {
        Py_DECREF(eos);
        return NULL;
    }
    return Py_BuildValue("{s:i,s:i,s:i,s:i,s:i,s:i,s:d,s:O,s:s,s:n,s:N,s:N}", "n_layer", g->n_layer, "n_head",
                         g->n_head, "n_embd", g->n_embd, "n_ctx", g->n_ctx, "n_vocab", g->n_vocab, "n_inner",
                         g->n_inner, "eps", g->eps, "tied", g->tied ? Py_True : Py_False, "dtype", dt[g->dtype],
                         "n_params", (Py_ssize_t)g->n_params, "eos_token_id", eos, "bos_token_id", bos);
}

static PyObject *g2_n_ctx(lmpy_GPT2 *o, void *c)
{
    (void)c;
    return ready(o) < 0 ? NULL : PyLong_FromLong(o->cfg.n_ctx);
}

static PyObject *g2_n_vocab(lmpy_GPT2 *o, void *c)
{
    (void)c;
    return ready(o) < 0 ? NULL : PyLong_FromLong(o->cfg.n_vocab);
}

static PyObject *g2_has_tokenizer(lmpy_GPT2 *o, void *c)
{
    (void)c;
    return ready(o) < 0 ? NULL : PyBool_FromLong(lmp_lm_tokenizer(o->lm) != NULL);
}

static PyMethodDef g2_methods[] = {
    {"logits", LMPY_FN(g2_logits), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("logits($self, tokens, *, last_only=False)\n--\n\n"
               "The raw logits of a forward pass over tokens (ids, or text through the model's\n"
               "tokenizer): a float32 array (n, n_vocab), row i scoring the token after\n"
               "tokens[i] (Hugging Face's GPT2LMHeadModel(...).logits[0]); last_only: the\n"
               "last row, (n_vocab,). At most n_ctx tokens. Releases the GIL.")},
    {"next_logprobs", LMPY_FN(g2_next_logprobs), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("next_logprobs($self, tokens)\n--\n\nlog_softmax of the last position's logits: the next-token distribution\n"
               "(float32, natural logs).")},
    {"score", LMPY_FN(g2_score), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("score($self, tokens)\n--\n\nlog p(tokens[i] | tokens[:i]) for each token (float64, nats); NaN for the\n"
               "first, which has no context (GPT-2 adds no BOS). One batched forward pass.")},
    {"perplexity", LMPY_FN(g2_perplexity), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("perplexity($self, text, window=None, stride=None, *, recipe='exact', details=False)\n--\n\n"
               "Perplexity of a text (or token ids) with a sliding window (default n_ctx) moved\n"
               "by stride (default window / 2), as `lmprob ppl --model`. recipe: 'exact' (every\n"
               "scored token once: the figure to report), 'hf' (the Hugging Face doc's\n"
               "weighting), 'chapter' (the chapter's compute_perplexity, NaN where its code\n"
               "gives nan), or 'all' (a dict of the three). details=True: dicts with nll,\n"
               "denominator, scored_tokens and forward_passes. docs/perplexity.md.")},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef g2_getset[] = {
    {"config", (getter)g2_config, NULL, PyDoc_STR("the model's configuration, a dict"), NULL},
    {"n_ctx", (getter)g2_n_ctx, NULL, PyDoc_STR("the longest sequence the model reads (n_positions)"), NULL},
    {"n_vocab", (getter)g2_n_vocab, NULL, PyDoc_STR("the number of token ids"), NULL},
    {"has_tokenizer", (getter)g2_has_tokenizer, NULL, PyDoc_STR("True when text can be given instead of ids"), NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject g2_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "lmprob._GPT2",
    .tp_basicsize = sizeof(lmpy_GPT2),
    .tp_dealloc = (destructor)g2_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = PyDoc_STR("_GPT2(path, encoding=None, *, threads=0, default_encoding=False)\n\nUse lmprob.GPT2, which "
                        "finds the default vocabulary (default_encoding: encoding is that default, dropped for a "
                        "model too small for it)."),
    .tp_methods = g2_methods,
    .tp_getset = g2_getset,
    .tp_init = (initproc)g2_init,
    .tp_new = g2_new,
};

int lmpy_init_gpt2(PyObject *m)
{
    if (PyType_Ready(&g2_type) < 0) return -1;
    return PyModule_AddObject(m, "_GPT2", Py_NewRef((PyObject *)&g2_type));
}
