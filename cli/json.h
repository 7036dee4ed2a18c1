/* A small strict JSON reader for the CLI (golden files, model metadata).
 * Numbers are parsed with strtod, so every double round-trips exactly. */
#ifndef LMPROB_CLI_JSON_H
#define LMPROB_CLI_JSON_H

#include <stddef.h>

typedef enum json_type {
    JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT
} json_type;

typedef struct json_value {
    json_type type;
    int boolean;                 /* JSON_BOOL */
    double num;                  /* JSON_NUMBER */
    char *str;                   /* JSON_STRING (NUL-terminated, escapes decoded) */
    size_t n;                    /* JSON_ARRAY / JSON_OBJECT: number of items */
    struct json_value *items;    /* JSON_ARRAY / JSON_OBJECT: the values */
    char **keys;                 /* JSON_OBJECT: the keys, parallel to items */
} json_value;

/* Parse `len` bytes. Returns NULL on error with "line L, column C: what" in err. */
json_value *json_parse(const char *text, size_t len, char *err, size_t errlen);
void json_free(json_value *v);

/* Member of an object by key, or NULL. */
const json_value *json_get(const json_value *obj, const char *key);

#endif
