/* Fuzz GPT-2 model loading from memory (src/gpt2/model.c: config.json and the safetensors
 * checkpoint together, lmp_gpt2_create). The input is a config.json, the line "#safetensors",
 * then a .safetensors file (without that line: no config, the whole input is the checkpoint).
 * A model that loads runs a forward pass of two tokens, then the same tokens one at a time (the
 * decoding kernels), on two threads: the shapes the loader accepted must be the shapes the
 * forward pass reads. */
#include "fuzz.h"

#include "lmprob/gpt2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t cfg_len, st_len;
    const uint8_t *st;
    fuzz_split(data, size, "\n#safetensors\n", &cfg_len, &st, &st_len);
    const char *cfg = (const char *)data;
    if (st_len == 0 && cfg_len == size) { /* no separator: all checkpoint */
        st = data;
        st_len = size;
        cfg = NULL;
        cfg_len = 0;
    }
    unsigned char *w = fuzz_exact_copy(st, st_len);
    char *c = cfg ? fuzz_exact_copy(cfg, cfg_len) : NULL;
    lmp_gpt2 *m = NULL;
    lmp_error err;
    lmp_status s = lmp_gpt2_create(w, st_len, c, cfg_len, "fuzz", &m, &err);
    FUZZ_CHECK((s == LMP_OK) == (m != NULL));
    if (m) {
        lmp_gpt2_config conf;
        lmp_gpt2_get_config(m, &conf);
        /* Keep the forward pass small: a checkpoint that passes the loader is at most the input. */
        lmp_gpt2_ctx *ctx = NULL;
        size_t want = conf.n_ctx < 2 ? (size_t)conf.n_ctx : 2;
        /* Two threads: decoding shares one row's products out by chunks of the sum (ctx.c
         * gemv_split), and the shares must stay inside the shapes the loader accepted. */
        if (conf.n_vocab > 0 && want > 0 && lmp_gpt2_ctx_create(m, want, 2, &ctx, &err) == LMP_OK) {
            float *logits = malloc((size_t)conf.n_vocab * sizeof *logits);
            if (!logits) abort();
            lmp_token_id ids[2] = {0, (lmp_token_id)(conf.n_vocab - 1)};
            /* Overflowing weights may give inf or NaN logits: only the memory accesses are checked. */
            FUZZ_CHECK(lmp_gpt2_ctx_push(ctx, ids, want, logits, LMP_GPT2_LOGITS_LAST, &err) == LMP_OK);
            /* the same tokens one at a time: the one-row (decoding) kernels */
            FUZZ_CHECK(lmp_gpt2_ctx_rewind(ctx, 0, &err) == LMP_OK);
            for (size_t i = 0; i < want; i++)
                FUZZ_CHECK(lmp_gpt2_ctx_push(ctx, ids + i, 1, logits, LMP_GPT2_LOGITS_LAST, &err) == LMP_OK);
            free(logits);
            lmp_gpt2_ctx_free(ctx);
        }
        lmp_gpt2_free(m);
    }
    free(w);
    free(c);
    return 0;
}
