/* Atomic output files: temporary name in the same folder, then rename(2),
 * which POSIX makes atomic within one file system. */
#include "lmprob/core.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

lmp_status lmp_atomic_open(lmp_atomic_file *af, const char *path, lmp_error *err)
{
    memset(af, 0, sizeof *af);
    if (!path || !*path) return lmp_error_set(err, LMP_EINVAL, "output path is empty");
    if (strcmp(path, "-") == 0) {
        af->fp = stdout;
        af->is_stdout = 1;
        return LMP_OK;
    }
    if (strlen(path) >= sizeof af->path)
        return lmp_error_set(err, LMP_EINVAL, "output path is too long (%zu bytes)", strlen(path));
    snprintf(af->path, sizeof af->path, "%s", path);
    snprintf(af->tmp, sizeof af->tmp, "%s.tmp.%ld", path, (long)getpid());
    af->fp = fopen(af->tmp, "wb");
    if (!af->fp)
        return lmp_error_set_at(err, LMP_EIO, path, 0, "cannot create %s: %s", af->tmp, strerror(errno));
    return LMP_OK;
}

lmp_status lmp_atomic_commit(lmp_atomic_file *af, lmp_error *err)
{
    if (!af->fp) return lmp_error_set(err, LMP_EINVAL, "output file is not open");
    if (af->is_stdout) {
        af->fp = NULL;
        if (fflush(stdout) != 0) return lmp_error_set(err, LMP_EIO, "writing to stdout: %s", strerror(errno));
        return LMP_OK;
    }
    int bad = ferror(af->fp) || fflush(af->fp) != 0 || fsync(fileno(af->fp)) != 0;
    int saved = errno;
    if (fclose(af->fp) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    af->fp = NULL;
    if (bad) {
        unlink(af->tmp);
        return lmp_error_set_at(err, LMP_EIO, af->path, 0, "write failed: %s", strerror(saved));
    }
    if (rename(af->tmp, af->path) != 0) {
        saved = errno;
        unlink(af->tmp);
        return lmp_error_set_at(err, LMP_EIO, af->path, 0, "cannot rename %s into place: %s", af->tmp,
                                strerror(saved));
    }
    return LMP_OK;
}

void lmp_atomic_abort(lmp_atomic_file *af)
{
    if (!af->fp) return;
    if (af->is_stdout) {
        af->fp = NULL;
        return;
    }
    fclose(af->fp);
    af->fp = NULL;
    unlink(af->tmp);
}
