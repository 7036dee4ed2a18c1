/* Joining a folder and a file name (internal; not installed): the one rule for the library's loaders that
 * look inside a folder (a GPT-2 folder's config.json and model.safetensors, a vocabulary's files, the
 * counter's temporary files). */
#ifndef LMPROB_CORE_PATH_H
#define LMPROB_CORE_PATH_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "lmprob/core.h"

/* dir + "/" + name into buf (size bytes). A slash that dir ends with is not doubled: a folder given as
 * "tiny-hf/" names "tiny-hf/config.json" in messages, not "tiny-hf//config.json". LMP_EINVAL naming dir
 * (err may be NULL) when the whole does not fit: a cut path names another file, so it is refused rather
 * than opened. */
static inline lmp_status lmp_path_join(char *buf, size_t size, const char *dir, const char *name, lmp_error *err)
{
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/') dl--;
    const char *sep = dl == 1 && dir[0] == '/' ? "" : "/";
    int k = snprintf(buf, size, "%.*s%s%s", (int)dl, dir, sep, name);
    if (k >= 0 && (size_t)k < size) return LMP_OK;
    return lmp_error_set_at(err, LMP_EINVAL, dir, 0, "a folder path of %zu bytes: too long to hold %s (at most %zu)",
                            strlen(dir), name, size - 2 - strlen(name));
}

/* The folder that path names an entry of, into out[size]: "." for a bare name, "/" for one at the root
 * (slashes that end path are not a name's). */
static inline void lmp_path_parent(const char *path, char *out, size_t size)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') n--;
    while (n > 0 && path[n - 1] != '/') n--;
    if (n == 0) snprintf(out, size, ".");
    else snprintf(out, size, "%.*s", (int)(n > 1 ? n - 1 : 1), path);
}

#endif /* LMPROB_CORE_PATH_H */
