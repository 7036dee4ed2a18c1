/* Compressed output of the library's text writers (internal; not installed).
 *
 * A model file named *.gz or *.xz is written compressed, as SRILM's tools write
 * any file whose name ends so, and the line reader (reader.h) reads it back by its
 * magic bytes. The writer wraps the FILE * it writes into (an lmp_atomic_file's)
 * in a FILE * that compresses (glibc's fopencookie: gzip by zlib, xz by
 * liblzma), so a writer that prints with stdio needs no second code path:
 *   io_compression c = io_compression_for_name(path);
 *   FILE *z = c == IO_PLAIN ? af.fp : io_zwriter_open(af.fp, c, err);
 *   ... fprintf(z, ...), fwrite(..., z) ...
 *   if (z != af.fp && io_zwriter_close(z, err)) ... failed (the stream's end is written here)
 * A write error of the underlying file (a full disk, a file-size limit) fails the
 * compressing stream's writes and stays set on the underlying FILE, where
 * lmp_atomic_commit finds it. Levels: gzip 6 and xz 6, the defaults of gzip(1)
 * and xz(1); xz's encoder takes about 94 MiB while it runs. */
#ifndef LMPROB_CORE_ZWRITE_H
#define LMPROB_CORE_ZWRITE_H

#include <stdio.h>

#include "lmprob/core.h"
#include "reader.h"

/* IO_GZIP for a name ending in ".gz", IO_XZ for ".xz", IO_PLAIN otherwise ("-" included). */
io_compression io_compression_for_name(const char *path);

/* A stream compressing into under (kept open: the caller closes or commits it).
 * NULL with err set (LMP_ENOMEM, or LMP_EINVAL for IO_PLAIN). */
FILE *io_zwriter_open(FILE *under, io_compression c, lmp_error *err);

/* Finish the compressed stream (its trailer into under) and close z. LMP_EIO when
 * a write failed on the way, now or before. */
lmp_status io_zwriter_close(FILE *z, const char *path, lmp_error *err);

#endif
