/* GPT-2 behind lm.h: the engine (include/lmprob/gpt2.h) and the tokenizer
 * (include/lmprob/tokenizer.h). Until their implementations are in this tree,
 * a GPT-2 path is recognised and answered with LMP_EUNSUPPORTED. */
#include <string.h>
#include <sys/stat.h>

#include "lm_internal.h"

int lm_gpt2_is_model_path(const char *path)
{
    size_t n = strlen(path);
    if (n >= 12 && strcmp(path + n - 12, ".safetensors") == 0) return 1;
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) return 0;
    char cfg[4096];
    if ((size_t)snprintf(cfg, sizeof cfg, "%s/config.json", path) >= sizeof cfg) return 0;
    return stat(cfg, &sb) == 0;
}

int lm_gpt2_folder_has_vocab(const char *path)
{
    static const char *const pairs[2][2] = {{"vocab.json", "merges.txt"}, {"encoder.json", "vocab.bpe"}};
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) return 0;
    for (int k = 0; k < 2; k++) {
        char a[4200], b[4200];
        snprintf(a, sizeof a, "%s/%s", path, pairs[k][0]);
        snprintf(b, sizeof b, "%s/%s", path, pairs[k][1]);
        if (stat(a, &sb) == 0 && stat(b, &sb) == 0) return 1;
    }
    return 0;
}

lmp_status lm_gpt2_load(const char *path, const lmp_lm_load_params *p, lmp_lm **out, lmp_error *err)
{
    (void)p;
    *out = NULL;
    return lmp_error_set(err, LMP_EUNSUPPORTED, "%s: a GPT-2 model, but this build of lmprob has no GPT-2 engine",
                         path);
}

lmp_status lmp_lm_create_gpt2(const lmp_gpt2 *g, const lmp_tokenizer *tok, unsigned threads, lmp_lm **out,
                              lmp_error *err)
{
    (void)g;
    (void)tok;
    (void)threads;
    if (out) *out = NULL;
    return lmp_error_set(err, LMP_EUNSUPPORTED, "this build of lmprob has no GPT-2 engine");
}

lmp_status lmp_lm_create_gpt2_take(lmp_gpt2 *g, lmp_tokenizer *tok, unsigned threads, lmp_lm **out, lmp_error *err)
{
    return lmp_lm_create_gpt2(g, tok, threads, out, err);
}
