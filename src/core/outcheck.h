/* The one rule for an output that would destroy an input (internal; not installed): the CLI's
 * cli_check_output_from and the Python module's lmpy_check_output_from both ask it, before any work, so that
 * `lmprob train -o c.txt c.txt` and `lmprob.train("c.txt", output="c.txt")` are refused in the same words. */
#ifndef LMPROB_CORE_OUTCHECK_H
#define LMPROB_CORE_OUTCHECK_H

#include <stddef.h>

/* 0 when writing out (a path; NULL or "-": standard output) destroys none of inputs[0..n) (NULL entries
 * skipped; "-" is standard input, the file or pipe it is); else 1, with why[0..size) the reason, the words a
 * message puts after "CMD: ". Refused, whatever either is named (./x, a symbolic or hard link):
 *   - out is one of the inputs, a regular file (the rename would replace it) or a FIFO (read to its end,
 *     then opened for writing with no reader left: a wait for ever); a device is both harmlessly;
 *   - out is a file a model or vocabulary folder given as input is read by (config.json, the weights and
 *     their shards and indexes, the tokenizer files), in that folder;
 *   - an input is a temporary file of out (lmp_atomic_is_temp_of), which opening out removes;
 *   - standard output, a regular file, is a non-empty input (what is written would be read back: cat's rule;
 *     `> f` empties f first). */
int lmp_output_conflict(const char *out, const char *const *inputs, size_t n, char *why, size_t size);

#endif
