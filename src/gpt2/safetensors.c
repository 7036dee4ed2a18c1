/* The safetensors reader: parse and validate a whole header (safetensors.h). */
#include "safetensors.h"

#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    size_t size;
} dtypes[ST_NDTYPES] = {
    [ST_BOOL] = {"BOOL", 1},   [ST_U8] = {"U8", 1},     [ST_I8] = {"I8", 1},
    [ST_F8_E4M3] = {"F8_E4M3", 1}, [ST_F8_E5M2] = {"F8_E5M2", 1},
    [ST_I16] = {"I16", 2},     [ST_U16] = {"U16", 2},   [ST_F16] = {"F16", 2},   [ST_BF16] = {"BF16", 2},
    [ST_I32] = {"I32", 4},     [ST_U32] = {"U32", 4},   [ST_F32] = {"F32", 4},
    [ST_F64] = {"F64", 8},     [ST_I64] = {"I64", 8},   [ST_U64] = {"U64", 8},
};

const char *st_dtype_name(st_dtype d) { return (unsigned)d < ST_NDTYPES ? dtypes[d].name : "?"; }
size_t st_dtype_size(st_dtype d) { return (unsigned)d < ST_NDTYPES ? dtypes[d].size : 0; }

const st_tensor *st_find(const st_file *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->t[i].name, name) == 0) return &f->t[i];
    return NULL;
}

void st_free(st_file *f)
{
    if (!f) return;
    free(f->t);
    lmp_json_free(f->json);
    free(f->strings);
    memset(f, 0, sizeof *f);
}

/* A JSON number that is an integer in [0, 2^53] (exact in a double; no
 * checkpoint comes near 2^53 bytes). */
/* A shape or offset: written as a JSON integer (digits only, as safetensors' own reader, which
 * parses them as unsigned integers, takes them: 64.0, 6.4e1 and -0 are refused), exact in a double. */
static int as_uint(const char *text, const lmp_json_value *v, uint64_t *out)
{
    if (!v || v->type != LMP_JSON_NUMBER) return 0;
    const char *p = text + v->offset;
    if (*p < '0' || *p > '9') return 0;
    while (*p >= '0' && *p <= '9') p++;
    if (*p == '.' || *p == 'e' || *p == 'E') return 0;
    double d = v->num;
    if (!(d >= 0.0 && d <= 9007199254740992.0) || d != (double)(uint64_t)d) return 0;
    *out = (uint64_t)d;
    return 1;
}

static int cmp_begin(const void *a, const void *b)
{
    const st_tensor *x = *(const st_tensor *const *)a, *y = *(const st_tensor *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return 0;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp((*(const st_tensor *const *)a)->name, (*(const st_tensor *const *)b)->name);
}

#define FAIL(...) do { st = lmp_error_set_at(err, LMP_EFORMAT, label, 0, __VA_ARGS__); goto fail; } while (0)

lmp_status st_parse(const void *buf, size_t size, const char *name, st_file *out, lmp_error *err)
{
    memset(out, 0, sizeof *out);
    const char *label = name ? name : "safetensors";
    const unsigned char *base = buf;
    lmp_status st = LMP_OK;
    const st_tensor **order = NULL;
    if (size < 8)
        return lmp_error_set_at(err, LMP_EFORMAT, label, 0,
                                "truncated file: %zu bytes, expected at least the 8-byte header length", size);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | base[i]; /* little-endian, any host */
    if (hlen > size - 8)
        return lmp_error_set_at(err, LMP_EFORMAT, label, 0,
                                "header length %llu runs past the end of the file (%zu bytes after the length field): "
                                "truncated file or not safetensors",
                                (unsigned long long)hlen, size - 8);
    if (hlen > ST_MAX_HEADER)
        return lmp_error_set_at(err, LMP_EFORMAT, label, 0, "header length %llu: expected at most %llu bytes",
                                (unsigned long long)hlen, (unsigned long long)ST_MAX_HEADER);
    if (hlen < 2 || base[8] != '{')
        return lmp_error_set_at(err, LMP_EFORMAT, label, 0,
                                "the header does not start with '{': expected a JSON object (not a safetensors file?)");
    lmp_error jerr;
    st = lmp_json_parse((const char *)base + 8, (size_t)hlen, NULL, &out->json, &jerr);
    if (st) return lmp_error_set_at(err, st, label, 0, "header JSON: %s", jerr.msg);
    const lmp_json_value *root = out->json;
    const char *htext = (const char *)base + 8;
    if (root->type != LMP_JSON_OBJECT) FAIL("header: expected a JSON object");
    out->base = base;
    out->size = size;
    out->data_start = 8 + (size_t)hlen;
    const uint64_t data_size = size - out->data_start;
    out->t = calloc(root->n ? root->n : 1, sizeof *out->t);
    order = calloc(root->n ? root->n : 1, sizeof *order);
    if (!out->t || !order) {
        st = lmp_error_set(err, LMP_ENOMEM, "%s: out of memory for %zu tensor entries", label, root->n);
        goto fail;
    }
    for (size_t i = 0; i < root->n; i++) {
        const char *key = root->keys[i];
        const lmp_json_value *v = &root->items[i];
        if (strcmp(key, "__metadata__") == 0) {
            if (out->metadata) FAIL("header: __metadata__ appears twice");
            if (v->type != LMP_JSON_OBJECT) FAIL("header: __metadata__ must be an object of strings");
            for (size_t k = 0; k < v->n; k++)
                if (v->items[k].type != LMP_JSON_STRING)
                    FAIL("header: __metadata__ entry '%s' is not a string", v->keys[k]);
            out->metadata = v;
            continue;
        }
        if (v->type != LMP_JSON_OBJECT) FAIL("tensor '%s': expected an object with dtype, shape, data_offsets", key);
        st_tensor *t = &out->t[out->n];
        t->name = key;
        const lmp_json_value *dt = NULL, *sh = NULL, *off = NULL;
        for (size_t k = 0; k < v->n; k++) {
            const char *f = v->keys[k];
            const lmp_json_value **slot = strcmp(f, "dtype") == 0          ? &dt
                                          : strcmp(f, "shape") == 0        ? &sh
                                          : strcmp(f, "data_offsets") == 0 ? &off
                                                                           : NULL;
            if (!slot) FAIL("tensor '%s': unknown field '%s' (expected dtype, shape, data_offsets)", key, f);
            if (*slot) FAIL("tensor '%s': field '%s' appears twice", key, f);
            *slot = &v->items[k];
        }
        if (!dt || !sh || !off)
            FAIL("tensor '%s': missing field '%s'", key, !dt ? "dtype" : !sh ? "shape" : "data_offsets");
        if (dt->type != LMP_JSON_STRING) FAIL("tensor '%s': dtype is not a string", key);
        int d = -1;
        for (int k = 0; k < ST_NDTYPES; k++)
            if (strcmp(dt->str, dtypes[k].name) == 0) d = k;
        if (d < 0) FAIL("tensor '%s': unknown dtype '%.40s' (expected one of F32, F16, BF16, F64, I64, ...)", key, dt->str);
        t->dtype = (st_dtype)d;
        if (sh->type != LMP_JSON_ARRAY) FAIL("tensor '%s': shape is not an array", key);
        if (sh->n > ST_MAX_DIMS) FAIL("tensor '%s': shape has %zu dimensions, at most %d supported", key, sh->n, ST_MAX_DIMS);
        t->ndim = (int)sh->n;
        uint64_t count = 1;
        int overflow = 0;
        for (size_t k = 0; k < sh->n; k++) {
            uint64_t dim;
            if (!as_uint(htext, &sh->items[k], &dim)) FAIL("tensor '%s': shape[%zu] is not a non-negative integer", key, k);
            t->shape[k] = (int64_t)dim;
            if (dim != 0 && count > UINT64_MAX / dim) overflow = 1;
            else count *= dim;
        }
        if (off->type != LMP_JSON_ARRAY || off->n != 2 || !as_uint(htext, &off->items[0], &t->begin) ||
            !as_uint(htext, &off->items[1], &t->end))
            FAIL("tensor '%s': data_offsets must be two non-negative integers [begin, end]", key);
        if (t->begin > t->end)
            FAIL("tensor '%s': data_offsets [%llu, %llu] end before they begin", key, (unsigned long long)t->begin,
                 (unsigned long long)t->end);
        if (t->end > data_size)
            FAIL("tensor '%s': data_offsets [%llu, %llu] run past the end of the data (%llu bytes): truncated file?",
                 key, (unsigned long long)t->begin, (unsigned long long)t->end, (unsigned long long)data_size);
        uint64_t esz = dtypes[d].size;
        if (overflow || count > UINT64_MAX / esz || count * esz != t->end - t->begin) {
            char shp[160];
            size_t k = 0;
            shp[0] = '\0';
            for (int j = 0; j < t->ndim && k < sizeof shp - 24; j++)
                k += (size_t)snprintf(shp + k, sizeof shp - k, "%s%lld", j ? ", " : "", (long long)t->shape[j]);
            FAIL("tensor '%s': %llu bytes at [%llu, %llu], but %s [%s] needs %s%llu", key,
                 (unsigned long long)(t->end - t->begin), (unsigned long long)t->begin, (unsigned long long)t->end,
                 dtypes[d].name, shp, overflow || count > UINT64_MAX / esz ? "more than " : "",
                 overflow || count > UINT64_MAX / esz ? (unsigned long long)UINT64_MAX
                                                      : (unsigned long long)(count * esz));
        }
        t->count = count;
        t->data = base + out->data_start + t->begin;
        order[out->n] = t;
        out->n++;
    }
    if (out->n > 1) {
        qsort(order, out->n, sizeof *order, cmp_name);
        for (size_t i = 1; i < out->n; i++)
            if (strcmp(order[i - 1]->name, order[i]->name) == 0) FAIL("tensor '%s' appears twice in the header", order[i]->name);
    }
    /* The tensors must tile the data area exactly, as in the reference reader:
     * an overlap means two tensors share bytes, a gap or a tail means bytes
     * that no tensor describes (a file written wrongly, or cut and padded). */
    qsort(order, out->n, sizeof *order, cmp_begin);
    uint64_t at = 0;
    for (size_t i = 0; i < out->n; i++) {
        const st_tensor *t = order[i];
        if (t->begin < at)
            FAIL("tensor '%s' at [%llu, %llu] overlaps tensor '%s' which ends at %llu", t->name,
                 (unsigned long long)t->begin, (unsigned long long)t->end, order[i - 1]->name, (unsigned long long)at);
        if (t->begin > at && i == 0)
            FAIL("tensor '%s' starts at data offset %llu: the first %llu data bytes belong to no tensor", t->name,
                 (unsigned long long)t->begin, (unsigned long long)t->begin);
        if (t->begin > at)
            FAIL("tensor '%s' starts at %llu, but tensor '%s' ends at %llu: %llu bytes belong to no tensor", t->name,
                 (unsigned long long)t->begin, order[i - 1]->name, (unsigned long long)at,
                 (unsigned long long)(t->begin - at));
        at = t->end;
    }
    if (at != data_size)
        FAIL("the tensors end at data offset %llu but the file has %llu data bytes: %s", (unsigned long long)at,
             (unsigned long long)data_size, at < data_size ? "trailing bytes that no tensor describes" : "truncated");
    free(order);
    return LMP_OK;
fail:
    free(order);
    st_free(out);
    return st;
}
