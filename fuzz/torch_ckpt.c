/* Fuzz the PyTorch checkpoint reader (src/gpt2/torch_ckpt.c, pt_parse): any bytes parse or fail, a
 * pickle is interpreted, never run, and what parses describes only bytes inside the buffer. */
#include "fuzz.h"

#include "torch_ckpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *buf = fuzz_exact_copy(data, size);
    st_file f;
    lmp_error err;
    if (pt_parse(buf, size, "fuzz", &f, &err) == LMP_OK) {
        FUZZ_CHECK(f.data_start == 0);
        for (size_t i = 0; i < f.n; i++) {
            const st_tensor *t = &f.t[i];
            FUZZ_CHECK(t->begin <= t->end && t->end <= size);
            FUZZ_CHECK(t->data == buf + t->begin);
            FUZZ_CHECK(t->end - t->begin == t->count * st_dtype_size(t->dtype));
            FUZZ_CHECK(t->ndim >= 0 && t->ndim <= ST_MAX_DIMS);
            FUZZ_CHECK(t->name != NULL);
            /* touch the first and last byte of each tensor */
            if (t->end > t->begin) {
                volatile unsigned char a = t->data[0], b = t->data[t->end - t->begin - 1];
                (void)a;
                (void)b;
            }
        }
        st_free(&f);
    }
    free(buf);
    return 0;
}
