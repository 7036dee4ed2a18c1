/* lmprob core: status codes, per-call error messages, version.
 *
 * Every library function that parses, allocates or does I/O returns an
 * lmp_status and fills an optional caller-owned lmp_error (never a global).
 * Scalar math (pdf, cdf, entropy, ...) returns NaN on a domain error instead.
 * The library never calls exit() or abort() on bad input. */
#ifndef LMPROB_CORE_H
#define LMPROB_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Every public header wraps its declarations in LMP_EXTERN_C_BEGIN/END (C++
 * callers link against the C symbols) and marks every function LMP_API: the
 * library is built with -fvisibility=hidden, so the shared object exports
 * exactly what the public headers declare. */
#ifdef __cplusplus
#define LMP_EXTERN_C_BEGIN extern "C" {
#define LMP_EXTERN_C_END }
#else
#define LMP_EXTERN_C_BEGIN
#define LMP_EXTERN_C_END
#endif
#if defined(__GNUC__) || defined(__clang__)
#define LMP_API __attribute__((visibility("default")))
#else
#define LMP_API
#endif

LMP_EXTERN_C_BEGIN

/* The one token-id type of the library: vocabulary ids of n-gram models, GPT-2
 * token ids, sampler candidates. Valid ids are >= 0; LMP_TOKEN_NONE marks "no
 * token" (a model without <s>, a lookup that failed). */
typedef int32_t lmp_token_id;
#define LMP_TOKEN_NONE ((lmp_token_id)-1)

/* Progress of a long job (loading a model, writing one): called with the fraction done, in [0, 1], rising;
 * ctx is the caller's. Every loader and writer that reports progress takes one. */
typedef void (*lmp_progress_fn)(void *ctx, double fraction);

/* The highest n-gram order of this build, for training and for models alike
 * (KenLM: KENLM_MAX_ORDER, default 6). */
#define LMP_NGRAM_MAX_ORDER 8

#define LMP_VERSION_MAJOR 0
#define LMP_VERSION_MINOR 1
#define LMP_VERSION_PATCH 0
#define LMP_VERSION_STRING "0.1.0"

typedef enum lmp_status {
    LMP_OK = 0,
    LMP_EINVAL,      /* an argument is outside its domain (sigma <= 0, p > 1, NaN, ...) */
    LMP_EDOM,        /* mathematically undefined for these inputs */
    LMP_ERANGE,      /* result not representable */
    LMP_ENOMEM,      /* allocation failed */
    LMP_EIO,         /* a read or write failed */
    LMP_EFORMAT,     /* malformed file or text (names file, line, value) */
    LMP_ESINGULAR,   /* singular or non-positive-definite matrix */
    LMP_EUNSUPPORTED,/* valid request this build does not support (e.g. order too high) */
    LMP_EOF,         /* end of input: a normal return, not a failure */
    LMP_ECANCELED    /* the caller's callback asked to stop (eval.h): not a failure of the library */
} lmp_status;

/* Caller-owned error record. `msg` is the complete human-readable message
 * (it already names file/line/value where there is one); file and line are
 * also kept apart for programs that want them. */
/* Thread safety, the whole library: there is no global mutable state, so distinct
 * objects can be used from distinct threads without locks. Whether ONE object may be
 * used from several threads at once is written on each handle ("Thread safety:" in
 * its header); an lmp_error is written by the call it is passed to, so give each
 * thread its own. */
typedef struct lmp_error {
    lmp_status code;
    long line;       /* 1-based, 0 when not about a line */
    long col;        /* 1-based byte offset in the line, 0 when unknown */
    char file[256];  /* "" when not about a file */
    char msg[512];
} lmp_error;

/* "0.1.0". */
LMP_API const char *lmp_version(void);

/* Short name of a status ("invalid argument", ...). Never NULL. */
LMP_API const char *lmp_status_str(lmp_status st);

/* Fill *err (if err is not NULL) and return code. printf-style message. */
LMP_API lmp_status lmp_error_set(lmp_error *err, lmp_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Same, recording a file and line; the message is prefixed "file:line: ". */
LMP_API lmp_status lmp_error_set_at(lmp_error *err, lmp_status code, const char *file, long line,
                                    const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

LMP_API void lmp_error_clear(lmp_error *err);

/* ---- atomic output files --------------------------------------------------
 * Write to a temporary name in the target's folder, then rename over the
 * target, so a reader never sees a half-written file and a failed run leaves
 * nothing behind:
 *   lmp_atomic_file af;
 *   if (lmp_atomic_open(&af, path, err)) return ...;
 *   fprintf(af.fp, ...);
 *   return lmp_atomic_commit(&af, err);     // or lmp_atomic_abort(&af) on failure
 * The target:
 *   "-"                  stdout (commit flushes, abort does nothing);
 *   a device, FIFO, ...  (anything but a regular file or a folder that exists)
 *                        written directly: no temporary file, nothing renamed
 *                        over it (/dev/null stays /dev/null; a FIFO's reader
 *                        gets the data); abort cannot take back what was written;
 *   one of our descriptors  (/dev/stdout, /dev/fd/N, /proc/self/fd/N, or a link
 *                        to one) that is a regular file ("> out.txt" or ">> log"):
 *                        written through the descriptor, at its offset (O_APPEND
 *                        kept), as the shell's ">&N" would: nothing renamed over
 *                        it, so what others wrote to it stays;
 *   a symlink            followed (a chain, or one to a file that does not exist
 *                        yet): the temporary file is made beside the final
 *                        target and renamed over it, so the link stays a link;
 *   a regular file       replaced; it keeps its permission bits (and, for root,
 *                        its owner); one that we may not write is refused. One
 *                        that a rename cannot replace (a file bind-mounted over
 *                        its name: EBUSY; another user's in a sticky folder:
 *                        EPERM) gets the complete temporary file's bytes
 *                        written into it at commit, and the temporary file is
 *                        removed (kept, and named in the error, if that fails).
 * The temporary name is "<name>.lmprob-tmp.<pid>" (a name too long to take the
 * suffix within 255 bytes is cut, on a UTF-8 boundary, and followed by "~" and a
 * hash of the whole name), so it is recognisable: lmp_atomic_open first removes
 * the temporary files of earlier runs to the same target whose process no
 * longer exists on this machine (left by kill -9 or a power cut). */

/* Thread safety: one lmp_atomic_file belongs to one thread (a FILE being written). */
typedef struct lmp_atomic_file {
    FILE *fp;
    char path[4096];   /* the target as given */
    char final[4096];  /* the file renamed over (symlinks followed) */
    char tmp[4400];    /* the temporary file ("" when writing directly) */
    int is_stdout;
    int is_direct;     /* a device, FIFO or socket written in place */
} lmp_atomic_file;

LMP_API lmp_status lmp_atomic_open(lmp_atomic_file *af, const char *path, lmp_error *err);
/* Flush, fsync, close and rename. On failure the temporary file is removed. */
LMP_API lmp_status lmp_atomic_commit(lmp_atomic_file *af, lmp_error *err);
/* Close and remove the temporary file. Safe to call twice. */
LMP_API void lmp_atomic_abort(lmp_atomic_file *af);

/* The temporary file that lmp_atomic_open(path) makes in process pid, into
 * buf (size bytes); "" when there is none (stdout, a device or FIFO). For a
 * program that removes it when a signal ends the process: it registers the
 * name before writing and unlinks it in its handler (unlink is
 * async-signal-safe). LMP_EINVAL when the name does not fit in size. */
LMP_API lmp_status lmp_atomic_temp_path(const char *path, long pid, char *buf, size_t size, lmp_error *err);

/* 1 when the file path names is a temporary file of output, "<name>.lmprob-tmp.<pid>" beside output's final
 * target (symbolic links followed), whatever the pid; else 0. lmp_atomic_open(output) removes the ones whose
 * process is gone, so a program that reads path and then writes output checks this first: a run that was
 * killed left the file, and a user who reads it back (to recover it, say) would lose it before it is read. */
LMP_API int lmp_atomic_is_temp_of(const char *output, const char *path);

/* ---- whole files --------------------------------------------------------------
 * The one way the library and the CLI read a file whole as its bytes (a model's
 * config, a vocabulary from a pipe, a golden file); a text, which may be
 * compressed, is read whole or streamed by lmp_read_text and lmp_text_reader
 * (below), and line by line by the corpus reader (corpus.h).
 *
 * lmp_read_file: the bytes of path ("-": standard input) into *data, a new
 * buffer freed with free(), followed by a NUL that *len does not count. A regular
 * file is read into one buffer of its size; a pipe, a terminal or a device until
 * its end. At most max bytes (0: LMP_READ_MAX): more is LMP_EUNSUPPORTED ("more
 * than 1 GiB, the most read whole"), which a caller may reword ("not a
 * vocabulary"), and for a regular file is known before anything is read. A file
 * that cannot be opened or read (a folder: "Is a directory") is LMP_EIO, no memory
 * LMP_ENOMEM. The messages start "PATH: cannot read: " ("<stdin>" for "-"). On
 * failure *data is NULL and *len 0.
 *
 * lmp_read_fd: the same from an open descriptor, from its current offset, named
 * name in the messages; the descriptor stays open.
 *
 * Thread safety: none needed (no object); distinct threads may read at once. */
#define LMP_READ_MAX ((size_t)1 << 30)
LMP_API lmp_status lmp_read_file(const char *path, size_t max, char **data, size_t *len, lmp_error *err);
LMP_API lmp_status lmp_read_fd(int fd, const char *name, size_t max, char **data, size_t *len, lmp_error *err);

/* ---- texts --------------------------------------------------------------------
 * A text as its writer stored it: plain, gzip or xz (concatenated members or
 * streams), told apart by their magic bytes as the corpus reader tells them
 * (corpus.h), from a file or standard input ("-"); bzip2 and zstd input is
 * LMP_EUNSUPPORTED ("decompress it first"), a damaged stream LMP_EFORMAT. Every
 * command that reads a text (scoring, tokenizing, comparing models) reads it so:
 * a compressed text is never scored as its compressed bytes.
 *
 * lmp_read_text: the decompressed text whole, as lmp_read_file gives a file (a
 * new buffer freed with free(), a NUL after it); at most max bytes, compressed or
 * not (0: LMP_READ_MAX): more is LMP_EUNSUPPORTED.
 *
 * lmp_text_reader: the same streamed in bounded memory. _read fills buf with
 * up to cap decompressed bytes (*got < cap only at the end of the text, 0 after
 * it); _compression is "plain", "gzip" or "xz"; _bytes counts the decompressed
 * bytes read. Errors are sticky: after one, every _read returns it again.
 *
 * Thread safety: one lmp_text_reader belongs to one thread at a time. */
typedef struct lmp_text_reader lmp_text_reader;
LMP_API lmp_status lmp_read_text(const char *path, size_t max, char **data, size_t *len, lmp_error *err);
LMP_API lmp_status lmp_text_reader_open(const char *path, lmp_text_reader **out, lmp_error *err);
LMP_API lmp_status lmp_text_reader_read(lmp_text_reader *r, void *buf, size_t cap, size_t *got, lmp_error *err);
LMP_API const char *lmp_text_reader_compression(const lmp_text_reader *r);
LMP_API uint64_t lmp_text_reader_bytes(const lmp_text_reader *r);
/* NULL is a no-op. */
LMP_API void lmp_text_reader_free(lmp_text_reader *r);

/* ---- UTF-8 ------------------------------------------------------------------
 * The length of the well-formed UTF-8 character at s[0..n): 1 to 4; or minus the
 * length of the maximal invalid subpart there, -1 to -3 (Unicode 15, section 3.9,
 * D93b and Table 3-7: the unit that one U+FFFD replaces, as the WHATWG decoder and
 * Python's errors="replace" do; a sequence cut by n is such a subpart). 0 when n
 * is 0. For readers that check or repair text (the corpus reader, the CLI's JSON). */
LMP_API int lmp_utf8_char(const void *s, size_t n);

LMP_EXTERN_C_END

#endif /* LMPROB_CORE_H */
