/* The format an n-gram model output's name asks for (out_name.h). */
#include <stdio.h>
#include <string.h>

#include "out_name.h"

static int ends_with(const char *s, size_t n, const char *end)
{
    size_t k = strlen(end);
    return n >= k && memcmp(s + n - k, end, k) == 0;
}

/* The suffix of a compression lmprob reads or knows but does not write, or NULL. */
static const char *unwritten_compression(const char *path)
{
    static const char *const ext[] = {".bz2", ".zst", ".lz4", ".lzma", ".Z", ".zip", ".7z", ".br"};
    size_t n = strlen(path);
    for (size_t i = 0; i < sizeof ext / sizeof *ext; i++)
        if (n > strlen(ext[i]) && ends_with(path, n, ext[i])) return ext[i];
    return NULL;
}

/* The suffix of a compression lmprob writes (.gz or .xz), or NULL. */
static const char *written_compression(const char *path)
{
    size_t n = strlen(path);
    return ends_with(path, n, ".gz") ? ".gz" : ends_with(path, n, ".xz") ? ".xz" : NULL;
}

ng_out_format ng_out_format_of(const char *path)
{
    size_t n = strlen(path);
    if (unwritten_compression(path)) return NG_OUT_UNWRITTEN;
    if (written_compression(path)) {
        n -= 3; /* ARPA, compressed; unless the name says binary under the suffix */
        return ends_with(path, n, ".bin") || ends_with(path, n, ".trie") ? NG_OUT_BINARY_COMPRESSED : NG_OUT_ARPA;
    }
    if (ends_with(path, n, ".bin")) return NG_OUT_BINARY;
    if (ends_with(path, n, ".trie")) return NG_OUT_TRIE;
    return NG_OUT_ARPA;
}

int ng_out_refusal(const char *path, ng_out_format want, char *why, size_t size)
{
    const char *z = unwritten_compression(path);
    if (z)
        snprintf(why, size,
                 "lmprob compresses what it writes with gzip (.gz) or xz (.xz) only: expected a name ending in "
                 ".arpa, .arpa.gz, .arpa.xz, .bin or .trie, not %s",
                 z);
    else if (want == NG_OUT_BY_NAME && ng_out_format_of(path) == NG_OUT_BINARY_COMPRESSED)
        snprintf(why, size,
                 "a binary model is mapped into memory, never compressed: expected a name ending in .bin or .trie, "
                 "or an ARPA name to compress (.arpa.gz, .arpa.xz)");
    else if ((want == NG_OUT_BINARY || want == NG_OUT_TRIE) && (z = written_compression(path)))
        snprintf(why, size, "a binary model is mapped into memory, never compressed: expected a name without %s", z);
    else
        return 0;
    return 1;
}
