/* A small strict JSON reader (RFC 8259), the one the library and the CLI share:
 * model configs (config.json, safetensors headers), golden reference files,
 * metadata. It builds a tree; numbers are parsed with strtod, so every double
 * round-trips exactly; strings are NUL-terminated UTF-8 with their escapes
 * decoded (a string that contains \u0000 is cut at it: use `len`). An object
 * key has no length beside it, so a key holding \u0000 is refused (LMP_EFORMAT,
 * naming the key): "n_embd\u0000x" would otherwise be read as "n_embd".
 *
 * Strict: RFC 8259 number grammar (no leading zeros, '+', '.5', 'NaN'), no
 * trailing commas, no comments, escapes and surrogate pairs checked, control
 * characters and invalid UTF-8 (Unicode's well-formed sequences only) in strings refused, nesting limited to 512 levels, nothing after
 * the value but white space. Duplicate object keys are kept (lmp_json_get
 * returns the first); callers for whom they matter check.
 *
 * Thread safety: a parsed tree is immutable; parse on any thread. */
#ifndef LMPROB_JSON_H
#define LMPROB_JSON_H

#include <stddef.h>

#include "lmprob/core.h"

LMP_EXTERN_C_BEGIN

typedef enum lmp_json_type {
    LMP_JSON_NULL, LMP_JSON_BOOL, LMP_JSON_NUMBER, LMP_JSON_STRING, LMP_JSON_ARRAY, LMP_JSON_OBJECT
} lmp_json_type;

typedef struct lmp_json_value {
    lmp_json_type type;
    int boolean;                     /* LMP_JSON_BOOL */
    double num;                      /* LMP_JSON_NUMBER */
    char *str;                       /* LMP_JSON_STRING (NUL-terminated, escapes decoded) */
    size_t len;                      /* LMP_JSON_STRING: bytes in str (it may hold a NUL) */
    size_t n;                        /* LMP_JSON_ARRAY / LMP_JSON_OBJECT: number of items */
    struct lmp_json_value *items;    /* LMP_JSON_ARRAY / LMP_JSON_OBJECT: the values */
    char **keys;                     /* LMP_JSON_OBJECT: the keys, parallel to items */
    size_t offset;                   /* byte offset of the value in the text */
} lmp_json_value;

/* Parse `len` bytes of `text` (NULL only with len 0: no value, LMP_EFORMAT). On error *out is NULL and err (code
 * LMP_EFORMAT, or LMP_ENOMEM) says "line L, column C: what", with err->line
 * and err->col set too. `name` (may be NULL) prefixes the message as a file name.
 * LMP_EINVAL for a NULL out, or a NULL text with len > 0. */
LMP_API lmp_status lmp_json_parse(const char *text, size_t len, const char *name, lmp_json_value **out,
                                  lmp_error *err);
/* Frees a whole tree: v is what lmp_json_parse gave (its values, keys and strings are not separate
 * allocations: the tree owns them, and they go with it). NULL is a no-op. */
LMP_API void lmp_json_free(lmp_json_value *v);

/* Member of an object by key (the first one), or NULL (also when obj is not an object, or obj or key is NULL). */
LMP_API const lmp_json_value *lmp_json_get(const lmp_json_value *obj, const char *key);

LMP_EXTERN_C_END

#endif /* LMPROB_JSON_H */
