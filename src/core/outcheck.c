/* An output that would destroy an input (outcheck.h). */
#include "outcheck.h"
#include "path.h"

#include "lmprob/core.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether name is a shard of Hugging Face's sharded weights: <stem>-NNNNN-of-NNNNN<ext> */
static int hf_shard_name(const char *name, const char *stem, const char *ext)
{
    size_t ls = strlen(stem), le = strlen(ext), n = strlen(name);
    if (n != ls + 15 + le || strncmp(name, stem, ls) != 0 || strcmp(name + n - le, ext) != 0) return 0;
    static const char pat[] = "-#####-of-#####"; /* '#': a digit */
    for (int i = 0; i < 15; i++)
        if (pat[i] == '#' ? !isdigit((unsigned char)name[ls + i]) : name[ls + i] != pat[i]) return 0;
    return 1;
}

/* Whether the file at path lies directly in the folder dir (its parent folder is dir: compared by device and
 * inode, so any spelling of either path, or a symlink to the folder, is the same) and has a name that a model
 * or vocabulary folder is read by: Hugging Face's config, weights (whole or in shards, and their indexes;
 * src/gpt2/model.c) and tokenizer files (src/lm/lm_gpt2.c, src/tokenizer). Other files there (an earlier
 * output, an lmprob model.bin) may be written. */
static int in_folder(const char *path, const struct stat *dir)
{
    static const char *const read[] = {"config.json",       "tokenizer.json",    "vocab.json",
                                       "merges.txt",        "encoder.json",      "vocab.bpe",
                                       "model.safetensors", "pytorch_model.bin", "model.safetensors.index.json",
                                       "pytorch_model.bin.index.json"};
    const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
    int named = hf_shard_name(name, "model", ".safetensors") || hf_shard_name(name, "pytorch_model", ".bin");
    for (size_t k = 0; k < sizeof read / sizeof read[0] && !named; k++) named = strcmp(name, read[k]) == 0;
    if (!named) return 0;
    char parent[4200];
    lmp_path_parent(path, parent, sizeof parent);
    struct stat p;
    return stat(parent, &p) == 0 && p.st_dev == dir->st_dev && p.st_ino == dir->st_ino;
}

/* stat of an input; "-" is standard input, the file or pipe it is */
static int stat_input(const char *in, struct stat *sb)
{
    return strcmp(in, "-") == 0 ? fstat(0, sb) : stat(in, sb);
}

int lmp_output_conflict(const char *out, const char *const *inputs, size_t n, char *why, size_t size)
{
    if (!out || strcmp(out, "-") == 0) {
        struct stat o;
        if (fstat(1, &o) != 0 || !S_ISREG(o.st_mode)) return 0;
        for (size_t i = 0; i < n; i++) {
            struct stat in;
            if (!inputs[i] || stat_input(inputs[i], &in) != 0) continue;
            if (in.st_dev == o.st_dev && in.st_ino == o.st_ino && in.st_size > 0) {
                snprintf(why, size,
                         "standard output is the input %s%s (the same file): expected another file for the output, "
                         "since what is written would be read back as input",
                         inputs[i], strcmp(inputs[i], "-") == 0 ? " (standard input)" : "");
                return 1;
            }
        }
        return 0;
    }
    /* An input that is a temporary file of the output (left by a killed run): opening the output removes it
     * before it is read (lmp_atomic_open cleans up after dead processes), so a file kept to be recovered was
     * lost with "cannot open: No such file or directory" (the fortieth session). */
    for (size_t i = 0; i < n; i++)
        if (inputs[i] && lmp_atomic_is_temp_of(out, inputs[i])) {
            snprintf(why, size,
                     "input %s is a temporary file of the output %s, left by a run that did not finish: expected "
                     "another name for it (rename it first), since writing %s removes such files",
                     inputs[i], out, out);
            return 1;
        }
    /* stat follows symlinks, so a link to an input is that input. A regular file would be replaced by the
     * output; a FIFO that is also the input would wait forever for a second reader (a device, /dev/null
     * say, is both at once harmlessly). */
    struct stat o;
    if (stat(out, &o) != 0 || !(S_ISREG(o.st_mode) || S_ISFIFO(o.st_mode))) return 0;
    for (size_t i = 0; i < n; i++) {
        struct stat in;
        if (!inputs[i] || stat_input(inputs[i], &in) != 0) continue;
        if (S_ISDIR(in.st_mode) && S_ISREG(o.st_mode) && in_folder(out, &in)) {
            /* a model or vocabulary folder: the files in it are read (config.json, model.safetensors,
             * encoder.json, ...); `gpt2 logits DIR -o DIR/config.json` replaced the model's config */
            snprintf(why, size,
                     "output %s is a file in the input folder %s: expected an output name outside it, since the "
                     "folder's files are read as input and writing it would replace one",
                     out, inputs[i]);
            return 1;
        }
        if (in.st_dev == o.st_dev && in.st_ino == o.st_ino) {
            const int fifo = S_ISFIFO(o.st_mode);
            snprintf(why, size,
                     "output %s is the input %s%s (the same %s): expected another output name, since writing it "
                     "would %s",
                     out, inputs[i], strcmp(inputs[i], "-") == 0 ? " (standard input)" : "", fifo ? "FIFO" : "file",
                     fifo ? "wait for a reader that never comes" : "replace the input");
            return 1;
        }
    }
    return 0;
}
