/* The model format an output's name asks for: the one rule of every writer of a whole n-gram model in the
 * project's programs (the CLI's train, prune, filter and mix through cli_model_out_format and
 * cli_model_out_check; the Python module's train, write_arpa and write_binary). Internal: no LMP_API,
 * not in the installed headers; the CLI and the module link the library's objects as they are.
 *
 * The library's readers sniff a file's content, so a model written plain under a name that says otherwise
 * still loads, and the name lies: `train -o x.arpa.bz2` wrote plain text, and the Python module wrote ARPA
 * text under m.bin and a binary model under x.arpa.gz. */
#ifndef LMPROB_NGRAM_OUT_NAME_H
#define LMPROB_NGRAM_OUT_NAME_H

#include <stddef.h>

typedef enum {
    NG_OUT_UNWRITTEN = -2,         /* a compression lmprob reads or knows but does not write: .bz2, .zst, ... */
    NG_OUT_BINARY_COMPRESSED = -1, /* a binary layout's name under .gz or .xz (.bin.gz, .trie.xz) */
    NG_OUT_ARPA = 0,               /* any other name: ARPA text, gzip- or xz-compressed for .gz or .xz */
    NG_OUT_BINARY = 1,             /* .bin: lmprob's hashed binary layout */
    NG_OUT_TRIE = 2,               /* .trie: the trie layout */
    NG_OUT_BY_NAME = 3             /* ng_out_refusal's `want`: the format the name asks for */
} ng_out_format;

/* The format path's name asks for. */
ng_out_format ng_out_format_of(const char *path);

/* Whether a model may be written to path in the format `want` (NG_OUT_ARPA, NG_OUT_BINARY or NG_OUT_TRIE: a
 * format the caller chose, as `model convert --to`; NG_OUT_BY_NAME: the one the name asks for). 0 when it
 * may; 1 when not, with why[0..size) the reason, the words a message puts after "CMD: PATH: ". Refused: a
 * compression lmprob does not write, whatever the format; a binary layout under .gz or .xz. A chosen
 * ARPA may take a binary layout's name (.bin, and .bin.gz compressed), as `--to arpa` may. */
int ng_out_refusal(const char *path, ng_out_format want, char *why, size_t size);

#endif
