/* Fuzz the JSON reader (src/core/json.c): any bytes parse or fail with a position, never crash;
 * what parses is walked whole. */
#include "fuzz.h"

#include "lmprob/json.h"

static size_t walk(const lmp_json_value *v, size_t depth)
{
    size_t n = 1;
    if (v->type == LMP_JSON_STRING) FUZZ_CHECK(v->str && v->str[v->len] == '\0');
    if (v->type == LMP_JSON_ARRAY || v->type == LMP_JSON_OBJECT)
        for (size_t i = 0; i < v->n; i++) {
            if (v->type == LMP_JSON_OBJECT) {
                FUZZ_CHECK(v->keys[i] != NULL);
                FUZZ_CHECK(lmp_json_get(v, v->keys[i]) != NULL);
            }
            n += walk(&v->items[i], depth + 1);
        }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lmp_json_value *v = NULL;
    lmp_error err;
    lmp_status st = lmp_json_parse((const char *)data, size, "fuzz", &v, &err);
    FUZZ_CHECK((st == LMP_OK) == (v != NULL));
    if (v) {
        FUZZ_CHECK(walk(v, 0) >= 1);
        lmp_json_free(v);
    }
    return 0;
}
