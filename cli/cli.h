/* Shared helpers for the lmprob subcommands: argument parsing with clear
 * errors, reading numbers from files, JSON output. Every error is printed as
 *   lmprob <cmd>: <what>: expected <what was expected>, got '<value>'
 * and the command returns CLI_FAIL (1) or CLI_USAGE (2). */
#ifndef LMPROB_CLI_CLI_H
#define LMPROB_CLI_CLI_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "lmprob.h"
#include "opt.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* The default seed when --seed is not given: runs are reproducible by default. */
#define CLI_DEFAULT_SEED 42

/* Print "lmprob: <msg>\n" to stderr. */
void cli_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* "lmprob: <cmd>: <msg>" for a library message msg that may already begin with "<cmd>: " (the library
 * names its function so: lmp_lm_generate's "generate: ..."): that prefix is not written twice. */
void cli_error_lib(const char *cmd, const char *msg);
/* msg without such a leading "<cmd>: ", for a message that puts something between the two. */
const char *cli_lib_msg(const char *cmd, const char *msg);

/* Print a library error (err->msg, or the status name) after "<cmd>: ", as every message of a command
 * starts (docs/cli.md), and return CLI_FAIL. */
int cli_fail_status(const char *cmd, lmp_status st, const lmp_error *err);

/* 1 when arg is -h or --help. */
int cli_is_help(const char *arg);

/* Strict number parsing: the whole string must be a number (hexadecimal and inf/nan rejected
 * unless the parser says otherwise; a literal beyond the double range is an
 * error naming it; integers start with a digit, or '-' and a digit for
 * cli_parse_long: no leading space or '+'). On error prints
 *   "lmprob: <opt>: expected <kind>, got '<s>'" and returns -1; 0 on success. */
int cli_parse_double(const char *opt, const char *s, double *out);
int cli_parse_long(const char *opt, const char *s, long *out);
int cli_parse_u64(const char *opt, const char *s, uint64_t *out);
/* The same rules without a message (for callers that word their own, such as cli/opt.c):
 * 0, -1 (not such a number), or -2 (cli_scan_double: a finite literal beyond the double range).
 * allow_inf is one of CLI_NUM_* below. */
int cli_scan_double(const char *s, int allow_inf, double *out);
int cli_scan_long(const char *s, long *out);
int cli_scan_u64(const char *s, uint64_t *out);

/* A token id as typed, s[0..len): decimal digits only (no sign, '.', exponent, "0x" or space) and at
 * most INT32_MAX (lmp_token_id), so that detokenize and gpt2 logits read ids alike: 0 and *out, or -1
 * (the caller says what it expected, echoing the text as typed). */
int cli_scan_token_id(const char *s, size_t len, lmp_token_id *out);

/* A list of numbers separated by commas and/or whitespace ("0.1,0.2 0.7").
 * *out is malloc'd; caller frees. Returns 0, or the exit status after printing why: CLI_USAGE for a
 * list that is not one (a usage error), CLI_FAIL when memory ran out (these three functions). Rejects NaN, inf, an empty item ("1,,2",
 * ",1", "1,") and an empty list. A finite literal beyond the double range
 * (1e999) is an error naming it, never an infinity. A token may be of any length. */
int cli_parse_double_list(const char *opt, const char *s, double **out, size_t *n);
/* A list of token ids with the same separators and rules, each read by cli_scan_token_id (so "1.0",
 * "0x1", "1e3", "+5" and "-3" are refused, and the message echoes the item as typed). */
int cli_parse_id_list(const char *opt, const char *s, lmp_token_id **out, size_t *n);
/* Which infinities a number list or file may hold. */
enum { CLI_NUM_FINITE = 0, CLI_NUM_INF = 1, CLI_NUM_NEG_INF = 2 };
/* Same, with allow_inf one of CLI_NUM_*. */
int cli_parse_number_list(const char *opt, const char *s, int allow_inf, double **out, size_t *n);

/* Numbers separated by whitespace and/or commas from a file, or stdin when path
 * is "-"; a line whose first non-blank byte is '#' is a comment. Errors read
 * "<cmd>: <file>:<line>: ..." and name the token. Rejects NaN, hexadecimal, an
 * empty item, a NUL byte, a literal beyond the double range and an empty file;
 * accepts "-inf"/"inf" only when allow_inf. *out is malloc'd; caller frees. */
int cli_read_doubles(const char *cmd, const char *path, int allow_inf, double **out, size_t *n);

/* A distribution's probabilities (dist --p, info --p/--q: CLI_OPT_PROBS) by the library's rule
 * (lmp_prob_check: each >= 0, summing to 1 within 1e-9, or divided by their sum when
 * normalize), so that both commands refuse the same values with the same message:
 * "<cmd>: <flag>: <why>". Returns 0, or -1 after printing it. */
int cli_probs_check(const char *cmd, const char *flag, double *p, size_t n, int normalize);

/* A table: every non-blank line that is not a comment is a row of finite numbers
 * (whitespace or commas), each of want_cols values (0: as many as the first row);
 * errors as above, naming the first row that differs. *out is row-major and
 * malloc'd; caller frees. */
int cli_read_table(const char *cmd, const char *path, size_t want_cols, double **out, size_t *rows, size_t *cols);

/* 1 when argv[i] is option `name` (exactly, or as "name=value"). */
int cli_is_opt(const char *arg, const char *name);

/* A one-line percentage on stderr for long jobs ("lmprob: ppl: scoring  42%", the prefix of errors),
 * drawn only when stderr is a terminal and at most every 1 %. */
typedef struct cli_progress {
    int on;             /* stderr is a terminal and no --quiet */
    int shown;          /* the whole percent last drawn (-1: none yet in this phase) */
    const char *label;  /* the command, "ppl", "model convert" */
    const char *phase;  /* "loading model", "scoring", ... */
} cli_progress;

void cli_progress_start(cli_progress *p, const char *label, const char *phase);
/* Start a new phase from 0 %. */
void cli_progress_phase(cli_progress *p, const char *phase);
/* A command whose stdout streams lines as it goes (--per-token, --per-position) calls this with
 * streams = 1: when stdout is a terminal too, the progress line would be drawn over those lines,
 * so none is drawn. */
void cli_progress_streams(cli_progress *p, int streams);
/* Progress callback (ctx is a cli_progress *); frac in [0, 1], 1 clears the line. */
void cli_progress_update(void *ctx, double frac);

/* ---- output files and fatal signals ---------------------------------------------
 * The library writes outputs under a temporary name and renames them
 * (lmp_atomic_*), and keeps no process-wide state, so the CLI keeps the list of
 * temporary names being written: when SIGINT, SIGTERM, SIGHUP or SIGPIPE ends
 * the process, the handler removes them (unlink is async-signal-safe) and
 * re-raises the signal, so the exit status still tells which one.
 *   int slot = cli_output_begin(path);   // before a library call writes path
 *   st = lmp_train_write_arpa(m, path, &err);
 *   cli_output_end(slot);
 * cli_output_watch registers a temporary name already known (af.tmp after
 * lmp_atomic_open). Both return -1 when there is nothing to watch (stdout, a
 * device) or every slot is taken; cli_output_end(-1) is a no-op. */
void cli_signals_init(void); /* main() calls it once; it also ignores SIGXFSZ, so that a
                                file-size limit is a write error (EFBIG), not a kill */
int cli_output_begin(const char *path);
int cli_output_watch(const char *tmp);
void cli_output_end(int slot);

/* The command line as a shell would take it back ("lmprob" then argv, an
 * argument with spaces or quotes single-quoted), for a model's "command"
 * record; malloc'd (caller frees), NULL without memory. */
char *cli_join_command(int argc, char **argv);

/* Model outputs of train-like commands (mix, prune, filter). */
/* The format OUT asks for, by its name: 1 lmprob's binary hashed layout
 * (.bin), 2 the trie (.trie), 0 ARPA (anything else; written gzip- or
 * xz-compressed when the name ends in .gz or .xz, as SRILM does), -1 a binary
 * layout with a compression suffix (.bin.gz, .trie.xz: a binary is mapped into
 * memory, so it is never compressed), -2 a compression lmprob does not write (.bz2,
 * .zst, ...). cli_model_out_check prints why a negative one is refused and returns
 * CLI_USAGE for it, CLI_OK otherwise: a command calls it before its work. */
int cli_model_out_format(const char *path);
int cli_model_out_check(const char *cmd, const char *path);
/* (Before long work, check OUT with cli_check_output, below.) */
/* Write m (built in memory by lmp_ngram_create_from_train, its metadata
 * kept, "command" set to command when not NULL) as ARPA, in the n-gram order
 * lmprob train writes, or in lmprob's binary format (format as
 * cli_model_out_format). Atomic; prints the error and returns -1 on failure.
 * keep (may be NULL) receives the model as written, to score it without reading the
 * output back (which may be a FIFO, /dev/null or stdout); the caller frees it. Every
 * format holds the same float values (ARPA: the shortest decimal that reads back as the
 * float), so it scores as the file does. */
int cli_write_model(const char *cmd, const lmp_train_model *m, const char *path, int format, const char *command,
                    lmp_ngram **keep);

/* GPT-2's vocabulary for every command that needs one, found in this order:
 *   1. `vocab` (the command's --gpt2-vocab DIR|FILE), when not NULL: used or failed, no fallback;
 *   2. the environment variable LMPROB_GPT2_VOCAB;
 *   3. gpt2/ beside the binary, then ../gpt2 (build/lmprob and build/asan/lmprob find build/gpt2);
 *   4. ../share/lmprob/gpt2 from the binary's folder (where `make install PREFIX=...` puts it).
 * A folder counts when the library takes it for one (lmp_lm_probe_path: tokenizer.json or a file of either
 * pair; half a pair is then refused naming the missing file). Prints the error (naming every place
 * looked at when none has a vocabulary) and returns NULL on failure; `cmd` prefixes messages. */
#define CLI_GPT2_VOCAB_ENV "LMPROB_GPT2_VOCAB"
lmp_tokenizer *cli_gpt2_load(const char *cmd, const char *vocab);
/* The same, and where the vocabulary was found into where[0..size) (for a later message). */
lmp_tokenizer *cli_gpt2_load_at(const char *cmd, const char *vocab, char *where, size_t size);
/* The vocabulary cli_gpt2_load would read (vocab, $LMPROB_GPT2_VOCAB or a default folder), into
 * where[size]: where, or NULL when there is none. Commands name it among their inputs, so that an
 * output into it is refused whichever way it was found. */
const char *cli_gpt2_vocab_path(const char *vocab, char *where, size_t size);

/* A number for text output: printf writes a NaN whose sign bit is set (x86's default NaN, from inf - inf
 * or 0 / 0) as "-nan"; text says "nan", as JSON does. */
static inline double cli_text_num(double x) { return isnan(x) ? NAN : x; }

/* A failed write to standard output, in the one wording of every command: "lmprob: CMD: writing the
 * results to standard output failed: REASON" (errnum 0: "write error"). CLI_STDOUT_FAILED is the words
 * alone, for a message built elsewhere (a JSON object's "error"). */
#define CLI_STDOUT_FAILED "writing the results to standard output failed"
void cli_stdout_failed(const char *cmd, int errnum);

/* JSON output: doubles with 17 significant digits; inf/-inf/nan as the strings
 * "inf", "-inf", "nan" (the golden-file convention). */
void cli_json_double(FILE *f, double x);
void cli_json_doubles(FILE *f, const double *v, size_t n);
void cli_json_string(FILE *f, const char *s);
/* The end of a streamed JSON object that failed midway (docs/cli.md): `close` (what ends the open list, e.g.
 * "\n]"), then , "error": msg} and a newline, so that what was streamed still parses. */
void cli_json_close_error(FILE *f, const char *close, const char *msg);
/* A JSON string of len bytes (may hold NUL), always valid UTF-8: well-formed characters are copied,
 * each maximal invalid subpart becomes U+FFFD (lmp_utf8_char; Python's errors="replace"). Where the
 * exact bytes matter (a GPT-2 token that is part of a character) write them beside it with
 * cli_json_hex: the bytes as a string of lowercase hex digits, two a byte ("e6974a"). */
void cli_json_bytes(FILE *f, const char *s, size_t len);
void cli_json_hex(FILE *f, const char *s, size_t len);

/* s[0..len) for a message, quoted by the caller ('%s'): a value of the user's as a terminal can print it.
 * Well-formed UTF-8 as it is; bytes below 0x20, 0x7f, '\\' and every byte of an invalid UTF-8 sequence
 * escaped (\0 for NUL, \n, \t, \r, \xNN: raw, they were an escape sequence or half a character on the
 * terminal), cut with "..." to fit size. Returns buf. CLI_SHOW(s): a NUL-terminated s in a buffer of
 * CLI_SHOW_SIZE bytes of the enclosing block (about 90 bytes of it: a line of a binary file is no message). */
const char *cli_show(char *buf, size_t size, const char *s, size_t len);
enum { CLI_SHOW_SIZE = 96 };
#define CLI_SHOW(s) cli_show((char[CLI_SHOW_SIZE]){0}, CLI_SHOW_SIZE, (s), strlen(s))

/* A file list (lmprob-mpi's input "@LIST", docs/mpi.md): one path a line, a trailing CR dropped, empty
 * lines skipped; a line of at most PATH_MAX - 1 bytes, a list of at most LMP_READ_MAX bytes (LMP_EFORMAT). *paths (malloc'd, each malloc'd; cli_file_list_free) and *n. LMP_EIO when
 * the list cannot be read, LMP_EFORMAT when it names no file, LMP_ENOMEM; err names the list. */
lmp_status cli_file_list_read(const char *list, char ***paths, size_t *n, lmp_error *err);
void cli_file_list_free(char **paths, size_t n);

/* Fail early: before long work, every command checks that its inputs can be
 * read and its outputs created. Each prints "lmprob: <cmd>: ..." naming the
 * path and why, and returns -1 (0 when fine; "-" and NULL always pass).
 *   cli_check_input       a file or folder that exists and can be read ("-": standard input,
 *                         with cli_stdin_note's terminal note)
 *   cli_check_output      a file the atomic writer can create (its temporary
 *                         file is created and removed)
 *   cli_check_output_dir  a folder that exists and is writable, or can be made */
int cli_check_input(const char *cmd, const char *path);
/* Binary output to stdout (out "-") when stdout is a terminal: refused, "<cmd>: <what> writes binary:
 * redirect stdout or give a file", -1 (a usage error); 0 otherwise. */
int cli_check_binary_stdout(const char *cmd, const char *what, const char *out);
int cli_check_output(const char *cmd, const char *path);
int cli_check_output_dir(const char *cmd, const char *dir);
/* cli_check_output for a command that reads inputs[0..n) (NULL entries and "-" skipped): an
 * output that is one of them under any name (./x, a symlink, a hard link: the same device and
 * inode) would be replaced by the writer's rename, the input lost, so it is refused as a usage
 * error naming both. A device or FIFO (/dev/null, /dev/stdout) is written in place, never
 * replaced, so it may also be an input. A path that is NULL or "-" is standard output: refused
 * (a usage error) when it is a regular file that is a non-empty input (`tokenize f >> f`, whose
 * output would be read back for ever). Returns CLI_OK, CLI_USAGE or CLI_FAIL (message printed);
 * every command that writes an output file calls it once, before its long work, and every command
 * that streams its output while it reads (tokenize, detokenize, ppl) with the path NULL or "-". */
int cli_check_output_from(const char *cmd, const char *path, const char *const *inputs, size_t n);

/* Inputs that cannot both be read: two of paths (NULL: not given) that are standard input ('-'),
 * or the same pipe, FIFO or socket under two names (/dev/stdin and '-', or one /dev/fd/63 twice):
 * the second read found nothing (train --vocab - -: a vocabulary of <unk> alone, exit 0). what[i]
 * names paths[i] in the message ("TEXT", "--vocab"). CLI_OK or CLI_USAGE (message printed). */
int cli_inputs_once(const char *cmd, const char *const *what, const char *const *paths, size_t n);
/* An input that the command reads twice (why says so: "with --output the text is read twice"):
 * standard input or a pipe is refused. CLI_OK (also for NULL) or CLI_USAGE (message printed). */
int cli_input_rereadable(const char *cmd, const char *what, const char *path, const char *why);

/* 1 when the output path is stdout under any name: "-", /dev/stdout, /dev/fd/1, or the file, pipe
 * or terminal stdout is (the same device and inode). A command's summary then goes to stderr, so
 * that it does not end up inside the output (train --output /dev/stdout wrote it after \end\). */
int cli_output_is_stdout(const char *path);

/* ---- models (cli/model.c) -------------------------------------------------------- */


/* The model options the commands share (entries of their option tables, opt.h):
 * --mode word|char|byte|gpt2, --threads T (0: all cores), --gpt2-vocab DIR|FILE, and
 * --window W (>= 2) / --stride S (>= 1) for the commands that score long texts. */
typedef struct cli_lm_opts {
    lmp_lm_tokens mode;     /* LMP_LM_TOKENS_DEFAULT unless --mode */
    long threads;           /* 0 */
    long window, stride;    /* 0: the defaults of lmp_eval_windows */
    int windows_given;      /* --window or --stride seen */
    const char *vocab;      /* --gpt2-vocab DIR|FILE: GPT-2's vocabulary (NULL: the model folder's, else the default) */
} cli_lm_opts;
#define CLI_LM_OPTS_INIT {LMP_LM_TOKENS_DEFAULT, 0, 0, 0, 0, NULL}
#define CLI_OPTS_LM(o) \
    CLI_OPT_MODE(&(o).mode), CLI_OPT_THREADS(&(o).threads), CLI_OPT_GPT2_VOCAB(&(o).vocab), CLI_OPT_VOCAB_RENAMED, CLI_OPT_QUIET
#define CLI_OPTS_LM_WINDOW(o) \
    CLI_OPT_WINDOW(&(o).window, &(o).windows_given), CLI_OPT_STRIDE(&(o).stride, &(o).windows_given)

/* The windows of ppl and kl (and chapter's), checked before a text is read, each printing why:
 *   cli_lm_window_check: the model's context (n_ctx) holds a window of 2 tokens (a window's first
 *     token is context only), else CLI_FAIL naming the model; --window W (0: not given) fits in it,
 *     else CLI_USAGE. CLI_OK otherwise (an unbounded model: always).
 *   cli_stride_check: stride <= window (the window given or the default), else -1 after
 *     "<cmd>: --stride: expected 1 <= stride <= window (W), got 'S'" (a usage error). */
int cli_lm_window_check(const char *cmd, const char *model, const lmp_lm *lm, size_t window);
int cli_stride_check(const char *cmd, size_t window, size_t stride);

/* The model of a command that takes it as an argument or as --model (ppl, next, kl, generate):
 * *model = the one given; prints the error and returns -1 when both are given. */
int cli_one_model(const char *cmd, const char *pos, const char *opt, const char **model);

/* Load a model of any kind after checking the path, with a progress line on a
 * terminal while it loads: an n-gram file (o->mode: the token mode asked,
 * LMP_LM_TOKENS_DEFAULT for the model's own), or GPT-2 (a folder with
 * config.json or a .safetensors file; its vocabulary: --gpt2-vocab, else the
 * folder's tokenizer.json or vocab.json + merges.txt, else the default that cli_gpt2_load finds;
 * o->threads for its forward pass). Prints the error; CLI_OK or CLI_FAIL. */
int cli_lm_load(const char *cmd, const char *path, const cli_lm_opts *o, lmp_lm **out);
/* lmp_gpt2_load with the progress line of the other loaders on a terminal ("lmprob: CMD: loading model 42%"). */
/* The note of a text with no token to score, whose figures print as nan (exit 0, as KenLM's query): ppl, mix --ppl. */
void cli_note_no_tokens(const char *cmd, const char *path);
lmp_status cli_gpt2_load_weights(const char *cmd, const char *path, lmp_gpt2 **out, lmp_error *err);

/* Load the n-gram model at path (ARPA or binary) for a command that reads all of it to write a
 * model (model convert, prune, filter, mix --output). The loader checks a binary's small
 * sections only (the n-gram tables are mapped, not read); here every section's checksum and
 * the structure are checked first, as `model verify` does, so that a damaged file is refused
 * naming its section rather than its damage written out under fresh checksums. progress: the
 * caller's line (a phase of its own, "reading"), or NULL for the loader's "<cmd>: loading model" (on a
 * terminal, unless --quiet). Prints "<cmd>: <why>" and returns -1 on failure, 0 on success. */
int cli_ngram_load_whole(const char *cmd, const char *path, cli_progress *progress, lmp_ngram **out);

/* The one rule of the commands that need probabilities (ppl, kl, mix, prune):
 * lmp_ngram_check_probabilities. Prints "<cmd>: <path>: <why><hint>" (hint may be NULL) and
 * returns -1 when m gives scores; 0 when it gives probabilities or m is NULL (not an n-gram). */
int cli_ngram_need_probabilities(const char *cmd, const char *path, const lmp_ngram *m, const char *hint);

/* lmp_lm_tokenize into malloc'd arrays (unknown and spans optional). With GPT-2's tokens, invalid
 * UTF-8 in the text becomes U+FFFD (as Hugging Face and tiktoken read it), and a note says so naming
 * cmd and what ("--prompt", a file name; NULL: no note). */
lmp_status cli_tokenize(const char *cmd, const char *what, const lmp_lm *lm, const char *text, size_t len,
                        unsigned flags, lmp_token_id **ids, unsigned char **unknown, lmp_lm_span **spans, size_t *n,
                        lmp_error *err);

/* The one note for text read as GPT-2 reads it: "<cmd>: note: <what>: N invalid UTF-8 sequences
 * replaced by U+FFFD as the references do (first at line L, byte B)<hint>" (hint may be NULL). */
void cli_note_invalid_utf8(const char *cmd, const char *what, unsigned long long count, long line, long col,
                           const char *hint);

/* The bytes token id stands for in text, *len of them: a word's, GPT-2 token's bytes (an n-gram over GPT-2
 * tokens: its name's), the character or byte of <sp>, <tab>, <0xNN> (then in *byte). NULL for an id the
 * model has no text for. */
const char *cli_token_bytes(const lmp_lm *lm, lmp_token_id id, char *byte, size_t *len);
/* A token in JSON: "token": its text (a name: "<sp>", "Ġthe"), "token_hex": the bytes it stands for in the
 * text (cli_token_bytes), as generate's words and words_hex. */
void cli_json_token(FILE *f, const lmp_lm *lm, lmp_token_id id);
/* A token as text: words with a space before all but the first; char and
 * byte tokens as the characters they stand for; GPT-2 tokens as their bytes. */
void cli_print_token(FILE *f, const lmp_lm *lm, lmp_token_id id, int first);
/* A note on stderr when GPT-2 g has no config (config.json, __metadata__): all but the head count comes from
 * the shapes, and the head count (n_embd / 64) is a guess that gives other numbers in silence when wrong
 * (Hugging Face refuses such a folder). Nothing for NULL or a model with a config. */
void cli_gpt2_note_inferred(const char *cmd, const char *path, const lmp_gpt2 *g);

/* The sampler options of decode and generate are CLI_OPTS_SAMPLER (opt.h). After parsing:
 * --dtype defaults to f64 with --chain hf, f32 with llama, and the whole set is checked
 * (lmp_sampler_params_check: a value outside its domain for the dtype). 0, or CLI_USAGE said. */
int cli_sampler_finish(const char *cmd, lmp_sampler_params *prm, int dtype_set);

#define CLI_SAMPLER_HELP                                                                                  \
    "  --temperature T          T > 0 divides the logits; T = 0 is greedy (default 1)\n"                   \
    "  --top-k K                keep the K most likely (default 0: off)\n"                                 \
    "  --top-p P                nucleus: keep the smallest top set with mass >= P, P in (0, 1] (default 1: off)\n" \
    "  --min-p P                keep p_i >= P * p_max, P in [0, 1] (default 0: off)\n"                     \
    "  --typical P              locally typical sampling with mass P in (0, 1] (default 1: off)\n"         \
    "  --epsilon E              keep p_i >= E, E in [0, 1) (default 0: off)\n"                             \
    "  --repetition-penalty R   penalise tokens already in the history (R > 0; default 1: off)\n"          \
    "  --frequency-penalty F    logit -= count * F (default 0: off)\n"                                     \
    "  --presence-penalty F     logit -= F if the token occurred (default 0: off)\n"                       \
    "  --penalty-last-n N       the penalties see the last N tokens (default 0: all)\n"                    \
    "  --min-keep N             every filter keeps at least N (default 1)\n"                               \
    "  --chain hf|llama         chain order and edge rules (default hf: temperature first)\n"              \
    "  --dtype f64|f32          arithmetic (default f64 for hf, f32 for llama)\n"                          \
    "  --rng xoshiro|numpy      random stream (default xoshiro; numpy: legacy MT19937, np.random.seed parity)\n"

/* `lmprob train`'s options, checks, output and report, with the training step
 * supplied: lmp_train_model_load for lmprob, the distributed trainer for
 * lmprob-mpi (mpi/). arpa_output: the output path when it is an ARPA file (NULL
 * for a binary one); a trainer may write it itself and set *written (the MPI
 * ranks write it together). A trainer that returns LMP_OK with *m NULL has
 * nothing to report (an MPI rank other than 0); one that fails with an empty
 * err->msg exits 1 quietly (another rank reported the error). */
typedef lmp_status (*cli_train_fn)(const char *input, const char *arpa_output, const lmp_train_params *p,
                                   lmp_train_model **m, int *written, lmp_error *err);
/* stages: 1 prints the training's stage lines on stderr unless --quiet even when it is no terminal (lmprob-mpi,
 * whose rank 0 writes to mpirun's pipe, as lmplz prints its stages); 0 only on a terminal (lmprob train). */
int cli_train_run(int argc, char **argv, cli_train_fn train, int stages);

#endif
