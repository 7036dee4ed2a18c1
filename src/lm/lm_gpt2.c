/* GPT-2 behind lm.h. The engine (include/lmprob/gpt2.h) and the tokenizer
 * (include/lmprob/tokenizer.h) are separate modules; this file is the only
 * glue between them and the interface. A build without them answers
 * LMP_EUNSUPPORTED. */
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
