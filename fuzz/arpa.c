/* Fuzz the ARPA reader (src/ngram/arpa.c): any bytes load or fail with an error, never crash;
 * a model that loads scores sentences made of its own words and a few unknown ones. */
#include "fuzz_ngram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_memfile(data, size, path);
    lmp_ngram *m = NULL;
    lmp_error err;
    lmp_status st = lmp_ngram_load_arpa(path, NULL, NULL, &m, &err);
    FUZZ_CHECK((st == LMP_OK) == (m != NULL));
    if (m) fuzz_score_model(m);
    lmp_ngram_free(m);
    close(fd);
    return 0;
}
