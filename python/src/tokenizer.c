/* lmprob._Encoding: GPT-2's byte-level BPE tokenizer (tokenizer.h) for Python.
 * lmprob.Encoding (python/lmprob/_tiktoken.py) adds tiktoken's special-token
 * rules on top; this type holds the tokenizer and does the work.
 *
 * Text: a str is encoded as UTF-8; lone surrogates (which UTF-8 cannot hold)
 * become U+FFFD first, as tiktoken does (it re-decodes through UTF-16 with
 * errors="replace"). bytes are taken as they are (invalid UTF-8: the library's
 * U+FFFD rule, or raw bytes with raw_bytes=True).
 *
 * Thread safety: the tokenizer is immutable after loading; any number of
 * threads may encode and decode with one Encoding at once. Long texts and
 * batches run without the GIL; batches on threads. */
#include "lmpy.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    PyObject_HEAD
    lmp_tokenizer *tok;
    PyObject *path;
} lmpy_Encoding;

PyTypeObject lmpy_Encoding_Type;

const lmp_tokenizer *lmpy_tokenizer_of(PyObject *obj)
{
    if (!PyObject_TypeCheck(obj, &lmpy_Encoding_Type) || !((lmpy_Encoding *)obj)->tok) {
        PyErr_Format(PyExc_TypeError, "expected a loaded lmprob.Encoding, got %.100s", Py_TYPE(obj)->tp_name);
        return NULL;
    }
    return ((lmpy_Encoding *)obj)->tok;
}

static PyObject *enc_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    (void)args;
    (void)kw;
    return type->tp_alloc(type, 0);
}

static void enc_dealloc(lmpy_Encoding *e)
{
    lmp_tokenizer_free(e->tok);
    Py_XDECREF(e->path);
    Py_TYPE(e)->tp_free((PyObject *)e);
}

static int enc_init(lmpy_Encoding *e, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"path", NULL};
    PyObject *pb = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&:Encoding", kwl, lmpy_path_converter, &pb)) return -1;
    if (e->tok) {
        Py_DECREF(pb);
        PyErr_SetString(PyExc_TypeError, "Encoding: already loaded");
        return -1;
    }
    const char *path = PyBytes_AS_STRING(pb);
    if (lmpy_check_readable(path) < 0) {
        Py_DECREF(pb);
        return -1;
    }
    /* loaded into tok without the GIL, stored with it (see Model's __init__: two threads loading into one
     * object both succeeded, and one tokenizer leaked) */
    lmp_tokenizer *tok = NULL;
    lmp_error err;
    lmp_error_clear(&err);
    lmp_status st;
    Py_BEGIN_ALLOW_THREADS
    st = lmp_tokenizer_load(path, &tok, &err);
    Py_END_ALLOW_THREADS
    PyObject *name = st == LMP_OK ? PyUnicode_DecodeFSDefault(path) : NULL;
    if (st != LMP_OK) lmpy_raise_path(path, &err);
    else if (name && e->tok) PyErr_SetString(PyExc_TypeError, "Encoding: already loaded");
    Py_DECREF(pb);
    if (!name || e->tok) {
        Py_XDECREF(name);
        lmp_tokenizer_free(tok);
        return -1;
    }
    e->tok = tok;
    Py_XSETREF(e->path, name);
    return 0;
}

static int loaded(lmpy_Encoding *e)
{
    if (!e->tok) {
        PyErr_SetString(PyExc_ValueError, "Encoding: not loaded");
        return -1;
    }
    return 0;
}

/* The UTF-8 of a str (tiktoken's surrogate rule) or the bytes of a bytes object: a new
 * reference to something that owns them (the str itself, a bytes object), or NULL. */
static PyObject *text_bytes(PyObject *text, const char **s, Py_ssize_t *n, const char *name)
{
    if (PyBytes_Check(text)) {
        *s = PyBytes_AS_STRING(text);
        *n = PyBytes_GET_SIZE(text);
        return Py_NewRef(text);
    }
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "%s: expected str or bytes, got %.100s", name, Py_TYPE(text)->tp_name);
        return NULL;
    }
    *s = PyUnicode_AsUTF8AndSize(text, n);
    if (*s) return Py_NewRef(text);
    if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) return NULL;
    PyErr_Clear();
    /* lone surrogates: tiktoken's text.encode("utf-16", "surrogatepass").decode("utf-16", "replace") */
    PyObject *u16 = PyUnicode_AsEncodedString(text, "utf-16", "surrogatepass");
    PyObject *fixed = u16 ? PyUnicode_Decode(PyBytes_AS_STRING(u16), PyBytes_GET_SIZE(u16), "utf-16", "replace")
                          : NULL;
    Py_XDECREF(u16);
    if (!fixed) return NULL;
    PyObject *b = PyUnicode_AsUTF8String(fixed);
    Py_DECREF(fixed);
    if (!b) return NULL;
    *s = PyBytes_AS_STRING(b);
    *n = PyBytes_GET_SIZE(b);
    return b;
}

static PyObject *ids_list(const lmp_token_id *ids, size_t n)
{
    PyObject *l = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; l && i < n; i++) {
        PyObject *v = PyLong_FromLong(ids[i]);
        if (!v) Py_CLEAR(l);
        else PyList_SET_ITEM(l, (Py_ssize_t)i, v);
    }
    return l;
}

static int encode_flags(int special, int raw)
{
    return (special ? LMP_TOKENIZER_SPECIAL : 0) | (raw ? LMP_TOKENIZER_RAW_BYTES : 0);
}

/* Encode into buf; the GIL released for long texts. */
static int encode_into(lmpy_Encoding *e, const char *s, Py_ssize_t n, unsigned flags, lmp_token_buf *buf)
{
    lmp_error err;
    lmp_error_clear(&err);
    lmp_status st;
    if (n > 8192) {
        Py_BEGIN_ALLOW_THREADS
        st = lmp_tokenizer_encode_buf(e->tok, s, (size_t)n, flags, buf, &err);
        Py_END_ALLOW_THREADS
    } else {
        st = lmp_tokenizer_encode_buf(e->tok, s, (size_t)n, flags, buf, &err);
    }
    if (st != LMP_OK) {
        lmpy_raise(&err);
        return -1;
    }
    return 0;
}

static PyObject *enc_encode(lmpy_Encoding *e, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"text", "special", "raw_bytes", "numpy", NULL};
    PyObject *text;
    int special = 0, raw = 0, as_np = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$ppp:_encode", kwl, &text, &special, &raw, &as_np)) return NULL;
    if (loaded(e) < 0) return NULL;
    const char *s;
    Py_ssize_t n;
    PyObject *hold = text_bytes(text, &s, &n, "text");
    if (!hold) return NULL;
    lmp_token_buf buf;
    lmp_token_buf_init(&buf);
    PyObject *res = NULL;
    if (encode_into(e, s, n, (unsigned)encode_flags(special, raw), &buf) == 0) {
        if (as_np) {
            Py_ssize_t k = (Py_ssize_t)buf.n;
            uint32_t *d;
            PyObject *blk = lmpy_array_new('I', 1, &k, (void **)&d);
            if (blk) {
                for (size_t i = 0; i < buf.n; i++) d[i] = (uint32_t)buf.ids[i];
                res = lmpy_array_finish(blk);
            }
        } else {
            res = ids_list(buf.ids, buf.n);
        }
    }
    lmp_token_buf_free(&buf);
    Py_DECREF(hold);
    return res;
}

/* ---- batches ----------------------------------------------------------------------------------------- */

typedef struct enc_batch {
    const lmp_tokenizer *tok;
    const char **s;
    size_t *n;
    unsigned flags;
    lmp_token_buf *out;
    lmp_status *st;
    lmp_error *err;
} enc_batch;

static void enc_one(void *ctx, size_t i, int w)
{
    (void)w;
    enc_batch *b = ctx;
    b->st[i] = lmp_tokenizer_encode_buf(b->tok, b->s[i], b->n[i], b->flags, &b->out[i], &b->err[i]);
}

static PyObject *enc_encode_batch(lmpy_Encoding *e, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"texts", "special", "raw_bytes", "num_threads", NULL};
    PyObject *texts;
    int special = 0, raw = 0;
    long threads = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$ppl:_encode_batch", kwl, &texts, &special, &raw, &threads))
        return NULL;
    if (loaded(e) < 0) return NULL;
    if (PyUnicode_Check(texts) || PyBytes_Check(texts))
        return PyErr_Format(PyExc_TypeError, "encode_batch: expected a list of str, got one %.50s",
                            Py_TYPE(texts)->tp_name);
    PyObject *seq = PySequence_Fast(texts, "encode_batch: expected a list of str");
    if (!seq) return NULL;
    size_t k = (size_t)PySequence_Fast_GET_SIZE(seq);
    PyObject **hold = PyMem_RawCalloc(k ? k : 1, sizeof *hold);
    enc_batch b = {e->tok, PyMem_RawCalloc(k ? k : 1, sizeof(char *)), PyMem_RawCalloc(k ? k : 1, sizeof(size_t)),
                   (unsigned)encode_flags(special, raw), PyMem_RawCalloc(k ? k : 1, sizeof(lmp_token_buf)),
                   PyMem_RawCalloc(k ? k : 1, sizeof(lmp_status)), PyMem_RawCalloc(k ? k : 1, sizeof(lmp_error))};
    PyObject *res = NULL;
    size_t got = 0;
    if (!hold || !b.s || !b.n || !b.out || !b.st || !b.err) {
        PyErr_NoMemory();
        goto done;
    }
    size_t bytes = 0;
    for (; got < k; got++) {
        Py_ssize_t n;
        char name[48];
        snprintf(name, sizeof name, "texts[%zu]", got);
        hold[got] = text_bytes(PySequence_Fast_GET_ITEM(seq, (Py_ssize_t)got), &b.s[got], &n, name);
        if (!hold[got]) goto done;
        b.n[got] = (size_t)n;
        bytes += (size_t)n;
        lmp_token_buf_init(&b.out[got]);
    }
    int nt = bytes < 16384 ? 1 : lmpy_threads(threads, k);
    Py_BEGIN_ALLOW_THREADS
    lmpy_parallel(k, nt, enc_one, &b);
    Py_END_ALLOW_THREADS
    for (size_t i = 0; i < k; i++)
        if (b.st[i] != LMP_OK) {
            lmp_error e2 = b.err[i];
            snprintf(e2.msg, sizeof e2.msg, "texts[%zu]: %s", i, b.err[i].msg);
            lmpy_raise(&e2);
            goto done;
        }
    res = PyList_New((Py_ssize_t)k);
    for (size_t i = 0; res && i < k; i++) {
        PyObject *l = ids_list(b.out[i].ids, b.out[i].n);
        if (!l) Py_CLEAR(res);
        else PyList_SET_ITEM(res, (Py_ssize_t)i, l);
    }
done:
    for (size_t i = 0; i < got; i++) {
        Py_XDECREF(hold[i]);
        lmp_token_buf_free(&b.out[i]);
    }
    PyMem_RawFree(hold);
    PyMem_RawFree(b.s);
    PyMem_RawFree(b.n);
    PyMem_RawFree(b.out);
    PyMem_RawFree(b.st);
    PyMem_RawFree(b.err);
    Py_DECREF(seq);
    return res;
}

/* ---- decoding ---------------------------------------------------------------------------------------- */

static PyObject *enc_decode_bytes(lmpy_Encoding *e, PyObject *tokens)
{
    if (loaded(e) < 0) return NULL;
    lmp_token_id *ids;
    size_t n;
    if (lmpy_ids_get(tokens, "tokens", lmp_tokenizer_vocab_size(e->tok), &ids, &n) < 0) return NULL;
    lmp_error err;
    size_t len = 0;
    PyObject *res = NULL;
    if (lmp_tokenizer_decode(e->tok, ids, n, NULL, 0, &len, &err) != LMP_OK) {
        lmpy_raise(&err);
        goto done;
    }
    res = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)len);
    if (!res) goto done;
    /* cap len + 1 would write a NUL past the bytes object's data; it has one spare byte */
    if (lmp_tokenizer_decode(e->tok, ids, n, PyBytes_AS_STRING(res), len + 1, &len, &err) != LMP_OK) {
        Py_CLEAR(res);
        lmpy_raise(&err);
    }
done:
    PyMem_RawFree(ids);
    return res;
}

static PyObject *enc_decode_single_token_bytes(lmpy_Encoding *e, PyObject *tok)
{
    if (loaded(e) < 0) return NULL;
    long id = PyLong_AsLong(tok);
    if (id == -1 && PyErr_Occurred()) return NULL;
    size_t len;
    const char *b = id >= 0 && id <= INT32_MAX ? lmp_tokenizer_token_bytes(e->tok, (lmp_token_id)id, &len) : NULL;
    if (!b)
        return PyErr_Format(PyExc_KeyError, "token %ld: expected an id in [0, %zu)", id,
                            lmp_tokenizer_vocab_size(e->tok));
    return PyBytes_FromStringAndSize(b, (Py_ssize_t)len);
}

static PyObject *enc_encode_single_token(lmpy_Encoding *e, PyObject *piece)
{
    if (loaded(e) < 0) return NULL;
    const char *s;
    Py_ssize_t n;
    PyObject *hold = text_bytes(piece, &s, &n, "text_or_bytes");
    if (!hold) return NULL;
    lmp_token_id id = lmp_tokenizer_find_bytes(e->tok, s, (size_t)n);
    if (id == LMP_TOKEN_NONE && n == 13 && memcmp(s, "<|endoftext|>", 13) == 0) id = lmp_tokenizer_eot(e->tok);
    PyObject *r = id == LMP_TOKEN_NONE ? PyErr_Format(PyExc_KeyError, "%R is not a single token", piece)
                                       : PyLong_FromLong(id);
    Py_DECREF(hold);
    return r;
}

static PyObject *enc_n_vocab(lmpy_Encoding *e, void *c)
{
    (void)c;
    if (loaded(e) < 0) return NULL;
    return PyLong_FromSize_t(lmp_tokenizer_vocab_size(e->tok));
}

/* [(id, text, special), ...]: the added tokens (lmp_tokenizer_added), text as str (bytes when not UTF-8). */
static PyObject *enc_added(lmpy_Encoding *e, void *c)
{
    (void)c;
    if (loaded(e) < 0) return NULL;
    size_t n = lmp_tokenizer_added_count(e->tok);
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t k = 0; list && k < n; k++) {
        int special;
        lmp_token_id id = lmp_tokenizer_added(e->tok, k, &special);
        size_t len;
        const char *b = lmp_tokenizer_token_bytes(e->tok, id, &len);
        PyObject *text = PyUnicode_DecodeUTF8(b, (Py_ssize_t)len, NULL);
        if (!text) {
            PyErr_Clear();
            text = PyBytes_FromStringAndSize(b, (Py_ssize_t)len);
        }
        PyObject *item = text ? Py_BuildValue("(lNO)", (long)id, text, special ? Py_True : Py_False) : NULL;
        if (!item) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)k, item);
    }
    return list;
}

static PyObject *enc_eot(lmpy_Encoding *e, void *c)
{
    (void)c;
    if (loaded(e) < 0) return NULL;
    lmp_token_id t = lmp_tokenizer_eot(e->tok);
    if (t < 0) Py_RETURN_NONE;
    return PyLong_FromLong(t);
}

static PyObject *enc_path(lmpy_Encoding *e, void *c)
{
    (void)c;
    return Py_NewRef(e->path ? e->path : Py_None);
}

/* tiktoken's one-argument methods take their argument by name too */
LMPY_ONE_ARG(enc_decode_bytes, lmpy_Encoding, "decode_bytes", "tokens")
LMPY_ONE_ARG(enc_decode_single_token_bytes, lmpy_Encoding, "decode_single_token_bytes", "token")
LMPY_ONE_ARG(enc_encode_single_token, lmpy_Encoding, "encode_single_token", "text_or_bytes")

static PyMethodDef enc_methods[] = {
    {"_encode", LMPY_FN(enc_encode), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("_encode($self, text, *, special=False, raw_bytes=False, numpy=False)\n--\n\n"
               "Token ids of a str (UTF-8) or bytes: special=True reads <|endoftext|> as the\n"
               "special token; raw_bytes keeps invalid UTF-8 bytes as bytes (round-trips);\n"
               "numpy=True returns a uint32 array.")},
    {"_encode_batch", LMPY_FN(enc_encode_batch), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("_encode_batch($self, texts, *, special=False, raw_bytes=False, num_threads=0)\n--\n\n"
               "_encode of each text, on threads without the GIL.")},
    {"decode_bytes", LMPY_FN(enc_decode_bytes_kw), METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("decode_bytes($self, tokens)\n--\n\nThe bytes of the tokens, concatenated.")},
    {"decode_single_token_bytes", LMPY_FN(enc_decode_single_token_bytes_kw), METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("decode_single_token_bytes($self, token)\n--\n\nThe bytes of one token (KeyError when out of range).")},
    {"encode_single_token", LMPY_FN(enc_encode_single_token_kw), METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("encode_single_token($self, text_or_bytes)\n--\n\nThe id of the token whose bytes these are (KeyError when\n"
               "none; '<|endoftext|>' gives the special token).")},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef enc_getset[] = {
    {"n_vocab", (getter)enc_n_vocab, NULL, PyDoc_STR("number of token ids (50257 for GPT-2)"), NULL},
    {"eot_token", (getter)enc_eot, NULL, PyDoc_STR("id of <|endoftext|> (50256 for GPT-2)"), NULL},
    {"_added", (getter)enc_added, NULL,
     PyDoc_STR("the added tokens, [(id, text, special), ...]: a tokenizer.json's added_tokens, else\n"
               "<|endoftext|> alone"),
     NULL},
    {"path", (getter)enc_path, NULL, PyDoc_STR("the vocabulary it was loaded from"), NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject lmpy_Encoding_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "lmprob._Encoding",
    .tp_basicsize = sizeof(lmpy_Encoding),
    .tp_dealloc = (destructor)enc_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = PyDoc_STR("_Encoding(path)\n\nGPT-2's tokenizer loaded from a vocabulary (a folder with tokenizer.json,\n"
                        "encoder.json + vocab.bpe or vocab.json + merges.txt, one of those files, or a\n"
                        "tiktoken rank file). Use\n"
                        "lmprob.Encoding / lmprob.get_encoding, which add tiktoken's method names."),
    .tp_methods = enc_methods,
    .tp_getset = enc_getset,
    .tp_init = (initproc)enc_init,
    .tp_new = enc_new,
};

int lmpy_init_tokenizer(PyObject *m)
{
    if (PyType_Ready(&lmpy_Encoding_Type) < 0) return -1;
    return PyModule_AddObject(m, "_Encoding", Py_NewRef((PyObject *)&lmpy_Encoding_Type));
}
