/* Fuzz the safetensors reader (src/gpt2/safetensors.c, st_parse): any bytes parse or fail, and
 * what parses describes only bytes inside the buffer, tiling the data area. */
#include "fuzz.h"

#include "safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *buf = fuzz_exact_copy(data, size);
    st_file f;
    lmp_error err;
    if (st_parse(buf, size, "fuzz", &f, &err) == LMP_OK) {
        uint64_t total = 0;
        for (size_t i = 0; i < f.n; i++) {
            const st_tensor *t = &f.t[i];
            FUZZ_CHECK(t->begin <= t->end && t->end <= size - f.data_start);
            FUZZ_CHECK(t->data == buf + f.data_start + t->begin);
            FUZZ_CHECK(t->ndim >= 0 && t->ndim <= ST_MAX_DIMS);
            FUZZ_CHECK(t->name != NULL);
            total += t->end - t->begin;
            /* touch the first and last byte of each tensor */
            if (t->end > t->begin) {
                volatile unsigned char a = t->data[0], b = t->data[t->end - t->begin - 1];
                (void)a;
                (void)b;
            }
        }
        FUZZ_CHECK(total == size - f.data_start);
        st_free(&f);
    }
    free(buf);
    return 0;
}
