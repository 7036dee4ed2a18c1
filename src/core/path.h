/* Joining a folder and a file name (internal; not installed): the one rule for the library's loaders that
 * look inside a folder (a GPT-2 folder's config.json and model.safetensors, a vocabulary's files, the
 * counter's temporary files). */
#ifndef LMPROB_CORE_PATH_H
#define LMPROB_CORE_PATH_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* dir + "/" + name into buf (size bytes). A slash that dir ends with is not doubled: a folder given as
 * "tiny-hf/" names "tiny-hf/config.json" in messages, not "tiny-hf//config.json". Returns -1, buf
 * holding a cut path, when the whole does not fit: a cut path names another file, so the caller must
 * refuse it rather than open it. */
static inline int lmp_path_join(char *buf, size_t size, const char *dir, const char *name)
{
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/') dl--;
    const char *sep = dl == 1 && dir[0] == '/' ? "" : "/";
    int k = snprintf(buf, size, "%.*s%s%s", (int)dl, dir, sep, name);
    return k < 0 || (size_t)k >= size ? -1 : 0;
}

#endif /* LMPROB_CORE_PATH_H */
