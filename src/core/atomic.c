/* Atomic output files (include/lmprob/core.h): a temporary name in the target's
 * folder, then rename(2), which POSIX makes atomic within one file system.
 *
 * What the target is decides how it is written (issue 11: as root, --output
 * /dev/null replaced the device by a regular file, a FIFO's reader got nothing
 * and a symlink was replaced instead of its target):
 *   stat(2) follows every link, /proc's "magic" ones (/dev/stdout ->
 *   /proc/self/fd/1 -> pipe:[..]) included, so a target that exists and is not
 *   a regular file or a folder is opened and written in place; a regular file
 *   behind symlinks is found with realpath(3); a symlink to a file that does
 *   not exist yet is followed link by link (readlink), as the shell's '>' would.
 *
 * Temporary names carry the process id, so a leftover of a run killed by
 * SIGKILL is recognisable: same target prefix, and kill(pid, 0) answers ESRCH. */
#include "lmprob/core.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMP_MARK ".lmprob-tmp."
/* The longest file name (one path component) the usual Linux file systems take. */
enum { NAME_LIMIT = 255, LINK_HOPS = 40 };

/* ---- names ------------------------------------------------------------------------ */

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Split path into its folder ("." when none; "/" for the root) and last name. */
static void split_path(const char *path, char *dir, size_t dsize, const char **base)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(dir, dsize, ".");
        *base = path;
    } else if (slash == path) {
        snprintf(dir, dsize, "/");
        *base = slash + 1;
    } else {
        snprintf(dir, dsize, "%.*s", (int)(slash - path), path);
        *base = slash + 1;
    }
}

/* The temporary file name for base without the pid: "<base>.lmprob-tmp." or,
 * when base is too long to take the suffix and a pid (20 digits) within
 * NAME_LIMIT bytes, "<start of base>~<hash of base>.lmprob-tmp.". */
static void temp_prefix(const char *base, char *out, size_t size)
{
    size_t bl = strlen(base), ml = strlen(TMP_MARK);
    if (bl + ml + 20 <= NAME_LIMIT) {
        snprintf(out, size, "%s%s", base, TMP_MARK);
        return;
    }
    size_t keep = NAME_LIMIT - ml - 20 - 17; /* 17: "~" and 16 hex digits */
    while (keep > 0 && ((unsigned char)base[keep] & 0xC0) == 0x80) keep--; /* whole UTF-8 characters */
    snprintf(out, size, "%.*s~%016llx%s", (int)keep, base, (unsigned long long)fnv1a(base), TMP_MARK);
}

/* Follow a chain of symlinks whose end does not exist (a dangling link). */
static lmp_status follow_dangling(const char *path, char *out, size_t size, lmp_error *err)
{
    char cur[PATH_MAX], link[PATH_MAX];
    if (snprintf(cur, sizeof cur, "%s", path) >= (int)sizeof cur)
        return lmp_error_set(err, LMP_EINVAL, "output path of %zu bytes: expected fewer than %d", strlen(path), PATH_MAX);
    for (int hops = 0;; hops++) {
        struct stat sb;
        if (lstat(cur, &sb) != 0 || !S_ISLNK(sb.st_mode)) break;
        if (hops == LINK_HOPS)
            return lmp_error_set_at(err, LMP_EIO, path, 0, "more than %d symbolic links: expected a chain that ends", LINK_HOPS);
        ssize_t n = readlink(cur, link, sizeof link - 1);
        if (n < 0) return lmp_error_set_at(err, LMP_EIO, path, 0, "cannot read the symbolic link %s: %s", cur, strerror(errno));
        link[n] = '\0';
        if (link[0] == '/') {
            memcpy(cur, link, (size_t)n + 1);
        } else {
            char dir[PATH_MAX];
            const char *base;
            split_path(cur, dir, sizeof dir, &base);
            if (snprintf(cur, sizeof cur, "%s/%s", dir, link) >= (int)sizeof cur)
                return lmp_error_set_at(err, LMP_EINVAL, path, 0, "symbolic link target too long: expected fewer than %d bytes",
                                        PATH_MAX);
        }
    }
    if (snprintf(out, size, "%s", cur) >= (int)size)
        return lmp_error_set_at(err, LMP_EINVAL, path, 0, "output path too long: expected fewer than %zu bytes", size);
    return LMP_OK;
}

typedef enum { T_STDOUT, T_DIRECT, T_FD, T_FILE } target_kind;

/* If path, or a link on the way to its target, names one of this process's
 * open files (/dev/stdout, /dev/fd/N, /proc/self/fd/N, /proc/<our pid>/fd/N,
 * /proc/thread-self/fd/N, or a link to one of them), that descriptor N; else
 * -1. Such a name is the descriptor itself: when it is a regular file (the
 * shell's "> file" or ">> file"), replacing the file by rename lost what the
 * shell, or other commands, wrote to it before and after. */
static int own_fd_link(const char *path)
{
    char cur[PATH_MAX], link[PATH_MAX], dir[PATH_MAX], real[PATH_MAX], want[64];
    if (snprintf(cur, sizeof cur, "%s", path) >= (int)sizeof cur) return -1;
    long pid = (long)getpid();
    for (int hops = 0; hops <= LINK_HOPS; hops++) {
        const char *base;
        split_path(cur, dir, sizeof dir, &base);
        size_t bl = strlen(base);
        if (bl > 0 && bl < 10 && strspn(base, "0123456789") == bl && realpath(dir, real)) {
            snprintf(want, sizeof want, "/proc/%ld/", pid);
            size_t wl = strlen(want), rl = strlen(real);
            if (strncmp(real, want, wl) == 0 && rl >= wl + 2 && strcmp(real + rl - 3, "/fd") == 0) {
                const char *mid = real + wl; /* "fd" or "task/<tid>/fd" */
                if (strcmp(mid, "fd") == 0 ||
                    (strncmp(mid, "task/", 5) == 0 && strspn(mid + 5, "0123456789") == strlen(mid + 5) - 3))
                    return atoi(base);
            }
        }
        struct stat sb;
        if (lstat(cur, &sb) != 0 || !S_ISLNK(sb.st_mode)) return -1;
        ssize_t n = readlink(cur, link, sizeof link - 1);
        if (n < 0) return -1;
        link[n] = '\0';
        if (link[0] == '/') {
            memcpy(cur, link, (size_t)n + 1);
        } else {
            char up[PATH_MAX];
            split_path(cur, up, sizeof up, &base);
            if (snprintf(cur, sizeof cur, "%s/%s", up, link) >= (int)sizeof cur) return -1;
        }
    }
    return -1;
}

/* What path is and, for a file, the final name that gets renamed over. */
static lmp_status resolve(const char *path, target_kind *kind, char *final, size_t fsize, struct stat *sb, int *exists,
                          int *fd, lmp_error *err)
{
    *exists = 0;
    *fd = -1;
    if (!path || !*path) return lmp_error_set(err, LMP_EINVAL, "output path is empty: expected a file name or '-'");
    if (strcmp(path, "-") == 0) {
        *kind = T_STDOUT;
        return LMP_OK;
    }
    if (strlen(path) >= fsize)
        return lmp_error_set(err, LMP_EINVAL, "output path of %zu bytes: expected fewer than %zu", strlen(path), fsize);
    *kind = T_FILE;
    if (stat(path, sb) == 0) {
        *exists = 1;
        if (S_ISDIR(sb->st_mode)) return lmp_error_set_at(err, LMP_EIO, path, 0, "is a directory: expected a file name");
        if (!S_ISREG(sb->st_mode)) {
            *kind = T_DIRECT;
            return LMP_OK;
        }
        if ((*fd = own_fd_link(path)) >= 0) {
            *kind = T_FD;
            return LMP_OK;
        }
        struct stat lsb;
        if (lstat(path, &lsb) == 0 && S_ISLNK(lsb.st_mode)) {
            char real[PATH_MAX];
            if (!realpath(path, real))
                return lmp_error_set_at(err, LMP_EIO, path, 0, "cannot follow the symbolic link: %s", strerror(errno));
            if (snprintf(final, fsize, "%s", real) >= (int)fsize)
                return lmp_error_set_at(err, LMP_EINVAL, path, 0, "output path too long: expected fewer than %zu bytes", fsize);
            return LMP_OK;
        }
        snprintf(final, fsize, "%s", path);
        return LMP_OK;
    }
    if (errno != ENOENT) return lmp_error_set_at(err, LMP_EIO, path, 0, "cannot use as output: %s", strerror(errno));
    int closed = own_fd_link(path); /* /dev/stdout with stdout closed: not a name to create a file beside */
    if (closed >= 0)
        return lmp_error_set_at(err, LMP_EIO, path, 0, "cannot write: descriptor %d is not open: expected an open "
                                "descriptor or a file name", closed);
    return follow_dangling(path, final, fsize, err);
}

static lmp_status temp_name(const char *final, long pid, char *buf, size_t size, lmp_error *err)
{
    char dir[PATH_MAX], prefix[NAME_LIMIT + 1];
    const char *base;
    split_path(final, dir, sizeof dir, &base);
    if (!*base) return lmp_error_set_at(err, LMP_EINVAL, final, 0, "output path ends with '/': expected a file name");
    temp_prefix(base, prefix, sizeof prefix);
    int k = strcmp(dir, "/") == 0 ? snprintf(buf, size, "/%s%ld", prefix, pid)
                                  : snprintf(buf, size, "%s/%s%ld", dir, prefix, pid);
    if (k < 0 || (size_t)k >= size)
        return lmp_error_set_at(err, LMP_EINVAL, final, 0, "temporary file name of %d bytes: expected fewer than %zu", k, size);
    return LMP_OK;
}

lmp_status lmp_atomic_temp_path(const char *path, long pid, char *buf, size_t size, lmp_error *err)
{
    if (!buf && size)
        return lmp_error_set(err, LMP_EINVAL, "atomic_temp_path: buf is NULL (size %zu): expected a buffer", size);
    if (size) buf[0] = '\0';
    target_kind kind;
    char final[4096];
    struct stat sb;
    int exists, fd;
    lmp_status st = resolve(path, &kind, final, sizeof final, &sb, &exists, &fd, err);
    if (st || kind != T_FILE) return st;
    return temp_name(final, pid, buf, size, err);
}

/* ---- stale temporary files ------------------------------------------------------------ */

/* The pid of a temporary file's name "<prefix><pid>" (decimal, no sign, no leading 0), or 0 when name is
 * not one. */
static long temp_pid(const char *name, const char *prefix)
{
    size_t pl = strlen(prefix);
    if (strncmp(name, prefix, pl) != 0) return 0;
    const char *digits = name + pl;
    char *end;
    errno = 0;
    long pid = strtol(digits, &end, 10);
    if (end == digits || *end || errno || pid <= 0 || digits[0] == '0' || digits[0] == '+') return 0;
    return pid;
}

/* Remove "<prefix><pid>" files in final's folder whose process is gone. Best
 * effort: a folder we cannot list or a file we cannot remove is left alone. */
static void clean_stale(const char *final)
{
    char dir[PATH_MAX], prefix[NAME_LIMIT + 1];
    const char *base;
    split_path(final, dir, sizeof dir, &base);
    temp_prefix(base, prefix, sizeof prefix);
    DIR *d = opendir(dir);
    if (!d) return;
    int dfd = dirfd(d);
    long self = (long)getpid();
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long pid = temp_pid(e->d_name, prefix);
        if (!pid) continue;
        if (pid != self && !(kill((pid_t)pid, 0) != 0 && errno == ESRCH)) continue; /* alive (or not ours to judge) */
        struct stat sb;
        if (fstatat(dfd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(sb.st_mode)) continue;
        unlinkat(dfd, e->d_name, 0);
    }
    closedir(d);
}

int lmp_atomic_is_temp_of(const char *output, const char *path)
{
    if (!output || !path || strcmp(path, "-") == 0) return 0;
    target_kind kind;
    char final[4096];
    struct stat sb;
    int exists, fd;
    if (resolve(output, &kind, final, sizeof final, &sb, &exists, &fd, NULL) != LMP_OK || kind != T_FILE) return 0;
    char fdir[PATH_MAX], prefix[NAME_LIMIT + 1];
    const char *fbase;
    split_path(final, fdir, sizeof fdir, &fbase);
    temp_prefix(fbase, prefix, sizeof prefix);
    /* the input as the file it names (a symbolic link to a temporary file is that file) */
    char real[PATH_MAX], idir[PATH_MAX];
    const char *in = realpath(path, real) ? real : path, *ibase;
    split_path(in, idir, sizeof idir, &ibase);
    if (!temp_pid(ibase, prefix)) return 0;
    struct stat a, b;
    return stat(fdir, &a) == 0 && stat(idir, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* ---- open / commit / abort -------------------------------------------------------------- */

lmp_status lmp_atomic_open(lmp_atomic_file *af, const char *path, lmp_error *err)
{
    if (!af) return lmp_error_set(err, LMP_EINVAL, "atomic_open: af is NULL: expected a place for the file");
    memset(af, 0, sizeof *af);
    target_kind kind;
    struct stat sb;
    int exists, own;
    lmp_status st = resolve(path, &kind, af->final, sizeof af->final, &sb, &exists, &own, err);
    if (st) return st;
    if (kind == T_STDOUT) {
        af->fp = stdout;
        af->is_stdout = 1;
        return LMP_OK;
    }
    snprintf(af->path, sizeof af->path, "%s", path);
    int fd = -1;
    if (kind == T_FD) {
        /* Written through the descriptor, as the shell's ">&N": its offset and O_APPEND are kept. */
        int fl = fcntl(own, F_GETFL);
        if (fl >= 0 && (fl & O_ACCMODE) == O_RDONLY)
            return lmp_error_set_at(err, LMP_EIO, path, 0, "cannot write: descriptor %d is open for reading only", own);
        if (own == STDOUT_FILENO) fflush(stdout); /* what stdout holds comes first */
        if (own == STDERR_FILENO) fflush(stderr);
        fd = fl < 0 ? -1 : fcntl(own, F_DUPFD_CLOEXEC, 0);
    } else if (kind == T_DIRECT) {
        /* No O_CREAT: if the device vanished since stat, fail rather than make a file. */
        fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
    }
    if (kind == T_FD || kind == T_DIRECT) {
        if (fd < 0) return lmp_error_set_at(err, LMP_EIO, path, 0, "cannot open for writing: %s", strerror(errno));
        af->fp = fdopen(fd, "wb");
        if (!af->fp) {
            int e = errno;
            close(fd);
            return lmp_error_set_at(err, e == ENOMEM ? LMP_ENOMEM : LMP_EIO, path, 0, "cannot open for writing: %s",
                                    strerror(e));
        }
        af->is_direct = 1;
        return LMP_OK;
    }
    if (exists && faccessat(AT_FDCWD, af->final, W_OK, AT_EACCESS) != 0)
        return lmp_error_set_at(err, LMP_EIO, path, 0, "cannot replace: %s (expected a file we may write)", strerror(errno));
    if ((st = temp_name(af->final, (long)getpid(), af->tmp, sizeof af->tmp, err))) return st;
    clean_stale(af->final);
    fd = open(af->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno == EEXIST) { /* left by an earlier process with our pid */
        unlink(af->tmp);
        fd = open(af->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    }
    if (fd < 0) {
        int e = errno;
        const char *slash = strrchr(af->tmp, '/');
        if (e == ENOENT || e == ENOTDIR) /* the folder is not there: say that, not the temporary name we made up */
            lmp_error_set_at(err, LMP_EIO, path, 0, "cannot write: its folder %.*s %s (expected an existing folder)",
                             slash ? (int)(slash - af->tmp) : 1, slash ? af->tmp : ".",
                             e == ENOENT ? "does not exist" : "is not a folder");
        else
            lmp_error_set_at(err, LMP_EIO, path, 0, "cannot create the temporary file %s: %s",
                             slash ? slash + 1 : af->tmp, strerror(e));
        af->tmp[0] = '\0';
        return LMP_EIO;
    }
    if (exists) {
        /* The replacement keeps the permission bits (and for root the owner) of the file it replaces. */
        int ignored = fchmod(fd, sb.st_mode & 07777); /* best effort: a failure keeps the default mode */
        if (geteuid() == 0) ignored = fchown(fd, sb.st_uid, sb.st_gid);
        (void)ignored;
    }
    af->fp = fdopen(fd, "wb");
    if (!af->fp) {
        int e = errno;
        close(fd);
        unlink(af->tmp);
        af->tmp[0] = '\0';
        return lmp_error_set_at(err, e == ENOMEM ? LMP_ENOMEM : LMP_EIO, path, 0, "cannot open for writing: %s", strerror(e));
    }
    return LMP_OK;
}

/* fsync the folder so the rename survives a power cut (EINVAL: a file system without it). */
static void sync_dir(const char *final)
{
    char dir[PATH_MAX];
    const char *base;
    split_path(final, dir, sizeof dir, &base);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    (void)fsync(fd);
    close(fd);
}

/* The temporary file's bytes written into the target itself, for a target that cannot be replaced by a
 * rename: a file bind-mounted over its name (a container's `-v host.arpa:/work/out.arpa`: EBUSY), or another
 * user's file in a sticky folder such as /tmp that we may write but not replace (EPERM). The output is complete
 * in the temporary file before the target is touched, so a failed run still leaves the target as it was; only
 * a failure during this copy leaves it cut, and then the temporary file is kept and named. Returns 0, or the
 * errno of the failure. */
static int copy_into(const char *tmp, const char *final)
{
    int in = open(tmp, O_RDONLY | O_CLOEXEC);
    if (in < 0) return errno;
    int out = open(final, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
    if (out < 0) {
        int e = errno;
        close(in);
        return e;
    }
    char buf[1 << 16];
    int e = 0;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n < 0) e = errno;
            break;
        }
        for (ssize_t done = 0; done < n && !e;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) e = errno;
            else done += w;
        }
        if (e) break;
    }
    if (!e && fsync(out) != 0 && errno != EINVAL) e = errno;
    if (close(out) != 0 && !e) e = errno;
    close(in);
    return e;
}

lmp_status lmp_atomic_commit(lmp_atomic_file *af, lmp_error *err)
{
    if (!af->fp) return lmp_error_set(err, LMP_EINVAL, "output file is not open");
    if (af->is_stdout) {
        af->fp = NULL;
        if (fflush(stdout) != 0 || ferror(stdout))
            return lmp_error_set(err, LMP_EIO, "writing the results to standard output failed: %s", strerror(errno));
        return LMP_OK;
    }
    int bad = ferror(af->fp) != 0;
    int saved = bad ? (errno ? errno : EIO) : 0;
    if (!bad && fflush(af->fp) != 0) {
        bad = 1;
        saved = errno;
    }
    /* Devices and FIFOs: no fsync (EINVAL on most), no rename. */
    if (!bad && !af->is_direct && fsync(fileno(af->fp)) != 0) {
        bad = 1;
        saved = errno;
    }
    if (fclose(af->fp) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    af->fp = NULL;
    if (bad) {
        if (!af->is_direct) unlink(af->tmp);
        return lmp_error_set_at(err, LMP_EIO, af->path, 0, "write failed: %s", strerror(saved));
    }
    if (af->is_direct) return LMP_OK;
    if (rename(af->tmp, af->final) != 0) {
        saved = errno;
        if (saved == EBUSY || saved == EPERM) { /* a mount point, a sticky folder: written into instead */
            /* Signals wait for the copy's end: the target is cut from its first write on, and a handler that
             * removes the temporary file (the CLI's, on Ctrl-C) would leave neither the old content nor the
             * whole new one. The faults a program causes itself (SIGSEGV, SIGBUS, ...) are not blocked. */
            sigset_t all, old;
            sigfillset(&all);
            static const int sync_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS};
            for (size_t i = 0; i < sizeof sync_signals / sizeof sync_signals[0]; i++) sigdelset(&all, sync_signals[i]);
            pthread_sigmask(SIG_BLOCK, &all, &old);
            int e = copy_into(af->tmp, af->final);
            if (!e) unlink(af->tmp);
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            if (!e) return LMP_OK;
            const char *slash = strrchr(af->tmp, '/');
            return lmp_error_set_at(err, LMP_EIO, af->path, 0,
                                    "cannot rename the temporary file into place (%s), and writing the output into "
                                    "it failed: %s; the whole output is in %s",
                                    strerror(saved), strerror(e), slash ? slash + 1 : af->tmp);
        }
        unlink(af->tmp);
        return lmp_error_set_at(err, LMP_EIO, af->path, 0, "cannot rename the temporary file into place: %s",
                                strerror(saved));
    }
    sync_dir(af->final);
    return LMP_OK;
}

void lmp_atomic_abort(lmp_atomic_file *af)
{
    if (!af || !af->fp) return; /* NULL, as every release of the library */
    if (af->is_stdout) {
        af->fp = NULL;
        return;
    }
    fclose(af->fp);
    af->fp = NULL;
    if (!af->is_direct) unlink(af->tmp);
}
