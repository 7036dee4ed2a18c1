/* The one line reader of the library (internal; not installed): plain, gzip
 * (zlib, concatenated members) or xz (liblzma, concatenated streams), told
 * apart by their magic bytes (1f 8b; fd 37 7a 58 5a 00), from a file, from
 * stdin ("-") or from memory. The corpus reader (src/corpus), the ARPA reader
 * and the text scorer (src/ngram) read through it, and, as bytes rather than
 * lines, every text read whole or streamed (lmp_read_text, lmp_text_reader:
 * GPT-2's scoring, the tokenizer's input).
 *
 * Lines are handed out as views into one buffer (no copy per line), valid until
 * the next call. The buffer grows with the longest line, up to max_line bytes:
 * a longer line is an LMP_EFORMAT error naming the file, the line and the
 * limit, raised once max_line bytes have been read, so memory stays bounded by
 * about twice max_line whatever the input. The compressed input is read in
 * fixed chunks; xz streams that would need more than IO_XZ_MEMLIMIT bytes to
 * decode (a dictionary size declared in the header) are refused before the
 * decoder allocates them.
 *
 * Errors are sticky: after one, every call returns the same error again. */
#ifndef LMPROB_CORE_READER_H
#define LMPROB_CORE_READER_H

#include <stddef.h>
#include <stdint.h>

#include "lmprob/core.h"

/* Default and largest sensible line length: 256 MiB. */
#define IO_MAX_LINE_DEFAULT ((size_t)256 << 20)
/* xz decoder memory limit: 256 MiB (xz -9e needs 65 MiB to decode). */
#define IO_XZ_MEMLIMIT ((uint64_t)256 << 20)

typedef struct io_reader io_reader;

typedef enum io_compression { IO_PLAIN = 0, IO_GZIP = 1, IO_XZ = 2 } io_compression;

/* Open a file, or stdin for "-" (never closed). max_line 0 means
 * IO_MAX_LINE_DEFAULT. LMP_EIO when it cannot be opened or is a directory,
 * LMP_EFORMAT for a corrupt compressed header, LMP_ENOMEM. */
lmp_status io_reader_open(const char *path, size_t max_line, io_reader **out, lmp_error *err);

/* Read size bytes at data (kept alive by the caller until io_reader_free);
 * name appears in messages ("<memory>" when NULL). detect 1: told apart by
 * the magic bytes as a file is; 0: the bytes are the text (a text already read
 * and decompressed, a prompt), whatever they start with. */
lmp_status io_reader_open_mem(const void *data, size_t size, const char *name, size_t max_line, int detect,
                              io_reader **out, lmp_error *err);

/* The next line, without its '\n' (a '\r' before it is kept: callers decide).
 * *had_newline (may be NULL) is 0 only for a last line without '\n'.
 * LMP_EOF after the last line. */
lmp_status io_reader_line(io_reader *r, const char **line, size_t *len, int *had_newline, lmp_error *err);

/* The next up to n decompressed bytes, whatever they hold (a view, valid until
 * the next call), for readers of bytes rather than lines (lmp_text_reader):
 * *got > 0 until the end of the input, then 0. No line is counted. */
lmp_status io_reader_read(io_reader *r, size_t n, const char **data, size_t *got, lmp_error *err);

/* A view of up to n decompressed bytes not handed out yet (*got < n only at the
 * end of the input); consumes nothing. */
lmp_status io_reader_peek(io_reader *r, size_t n, const char **data, size_t *got, lmp_error *err);

io_compression io_reader_compression(const io_reader *r);
const char *io_reader_compression_name(const io_reader *r); /* "plain", "gzip", "xz" */
uint64_t io_reader_bytes(const io_reader *r);     /* decompressed bytes handed out, newlines included */
uint64_t io_reader_raw_bytes(const io_reader *r); /* raw (compressed) bytes read so far */
uint64_t io_reader_raw_size(const io_reader *r);  /* size of a regular file, else 0 */
long io_reader_lineno(const io_reader *r);        /* 1-based number of the last line handed out */
const char *io_reader_name(const io_reader *r);   /* the path, "<stdin>" or the memory name */

/* NULL is a no-op. */
void io_reader_free(io_reader *r);

#endif
