/* Distributed n-gram training on MPI (docs/mpi.md): the same model as
 * lmp_train_model_load, byte for byte, with counting spread over the ranks.
 *
 * 1. Each rank reads its own byte range of the corpus, split at line
 *    boundaries (a compressed file is read whole by rank 0), into word ids
 *    numbered in the order the rank first sees them.
 * 2. Vocabulary: rank 0 gathers each rank's new words in rank order and adds
 *    them to one vocabulary. Rank r's range follows rank r-1's in the file, so
 *    this is exactly the first-seen order of the whole file (lmplz's numbering,
 *    which fixes the ARPA order). Each rank gets its map local id -> global id.
 * 3. Each rank counts the top-order n-grams of its range with the one-machine
 *    counter (train_count_top: the --memory budget, sorted runs spilled to disk).
 * 4. Exchange: an n-gram goes to the rank that owns its last word (a hash of the
 *    word id), in rounds of at most `chunk` records per pair of ranks
 *    (MPI_Alltoallv), and each rank merges what it receives, summing counts.
 *    Every n-gram ending in w is now on owner(w), and so is every n-gram of
 *    every lower order ending in w with all its left extensions: the adjusted
 *    counts (Kneser & Ney 1995: the number of distinct words before an n-gram)
 *    are local (train_adjust, unchanged). lmplz's end-of-input quirk (see
 *    train_adjust) belongs to the globally last record in suffix order: the
 *    ranks compare their last records and only its holder keeps it.
 * 5. The backoff estimators (add-k, MLE, Katz, stupid backoff): rank 0
 *    gathers the adjusted counts of every order (a merge of the ranks' sorted,
 *    disjoint pieces), estimates and writes the model with the one-machine
 *    code (train_finish, the one ARPA writer, atomically).
 * 6. The interpolated estimators (modified Kneser-Ney, Kneser-Ney, absolute
 *    discounting, Witten-Bell) estimate where the data is, with the pieces of
 *    the one-machine estimator (train_internal.h), so the doubles are the same:
 *    - counts of counts, hence the discounts (Chen & Goodman 1998 eq. 26):
 *      summed over the ranks (MPI_Allreduce), the same on every rank;
 *    - unigrams: their counts summed on every rank (8 bytes a word), the same
 *      probabilities everywhere;
 *    - order n >= 2: the normalisation of context c (the sum of its adjusted
 *      counts and gamma(c)) needs every n-gram "c x", which lie on the owners
 *      of the words x. Each n-gram goes to the owner of c's last word (where c
 *      is), which sums them in the one-machine order, sets c's backoff, and
 *      answers each n-gram with den(c) and gamma(c) (two bounded all-to-all
 *      exchanges). The interpolation with the lower order, p(w | c) = u +
 *      gamma(c) p(w | c'), is then local: c' w ends in w too.
 * 7. The ARPA file: each rank puts its n-grams of every order in the written
 *    order (lexicographic) and sends them to rank 0 in chunks, as the writer
 *    asks for them; rank 0 merges the ranks' chunks into the one ARPA writer.
 *    No rank holds the whole model: rank 0 holds one chunk per rank. (A
 *    binary output, .bin or .trie, is still built on rank 0 from the whole
 *    model, gathered: step 5's gather_order.)
 *
 * Errors: after each step the ranks agree (MPI_Allreduce) whether one failed;
 * the rank that failed returns its error prefixed with its rank, the others
 * an empty message (cli_train_run then exits 1 quietly). Nothing is written
 * before the last step, and that write is atomic. */
#include <mpi.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/core/strtab.h"
#include "../src/count/train_internal.h"
#include "cli.h"
#include "train_mpi.h"

typedef struct ctx {
    int rank, size;
    uint64_t sent_bytes; /* to other ranks: exchange, vocabulary and gather */
    lmp_error *err;
    const lmp_train_params *p; /* its progress callback: rank 0's stage lines */
} ctx;

/* 1 when some rank failed. The failing rank's message gets its rank; the
 * others clear theirs (another rank reports). */
static int any_failed(ctx *c, lmp_status st)
{
    int f = st != LMP_OK, g = 0;
    MPI_Allreduce(&f, &g, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (!g) return 0;
    if (f) {
        char msg[sizeof c->err->msg];
        snprintf(msg, sizeof msg, "rank %d of %d: %s", c->rank, c->size, c->err->msg[0] ? c->err->msg : lmp_status_str(st));
        memcpy(c->err->msg, msg, sizeof msg);
    } else {
        lmp_error_clear(c->err);
    }
    return 1;
}

/* Fault injection for tests/cli/test_mpi.sh and docs/mpi.md: LMPROB_MPI_TEST_DIE=R
 * kills rank R (SIGKILL) after counting, =R:STAGE at STAGE ("counted", or
 * "estimating" at the first exchange of the distributed estimation). */
static void test_die(const ctx *c, const char *stage)
{
    const char *die = getenv("LMPROB_MPI_TEST_DIE");
    if (!die || atoi(die) != c->rank) return;
    const char *colon = strchr(die, ':');
    if (strcmp(colon ? colon + 1 : "counted", stage) == 0) raise(SIGKILL);
}

/* Point-to-point transfers of any size in messages of at most 64 MiB (MPI counts are int). */
enum { MSG_BYTES = 1 << 26 };

static void send_bytes(ctx *c, const void *buf, uint64_t n, int dest, int tag)
{
    const char *p = buf;
    c->sent_bytes += n;
    do {
        int k = n < MSG_BYTES ? (int)n : MSG_BYTES;
        MPI_Send(p, k, MPI_BYTE, dest, tag, MPI_COMM_WORLD);
        p += k;
        n -= (uint64_t)k;
    } while (n);
}

static void recv_bytes(void *buf, uint64_t n, int src, int tag)
{
    char *p = buf;
    do {
        int k = n < MSG_BYTES ? (int)n : MSG_BYTES;
        MPI_Recv(p, k, MPI_BYTE, src, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        p += k;
        n -= (uint64_t)k;
    } while (n);
}

/* ---- 1. the rank's byte range ---------------------------------------------------- */

/* The first line start at or after pos (pos itself when the byte before it is a newline). */
static lmp_status line_start(int fd, const char *path, uint64_t size, uint64_t pos, uint64_t *out, lmp_error *err)
{
    if (pos == 0 || pos >= size) {
        *out = pos < size ? pos : size;
        return LMP_OK;
    }
    char buf[65536];
    uint64_t at = pos - 1;
    while (at < size) {
        ssize_t k = pread(fd, buf, sizeof buf, (off_t)at);
        if (k < 0) return lmp_error_set(err, LMP_EIO, "%s: reading at byte %llu: %s", path, (unsigned long long)at, strerror(errno));
        if (k == 0) break;
        char *nl = memchr(buf, '\n', (size_t)k);
        if (nl) {
            *out = at + (uint64_t)(nl - buf) + 1;
            return LMP_OK;
        }
        at += (uint64_t)k;
    }
    *out = size;
    return LMP_OK;
}

/* Read this rank's lines of path into *buf (bytes [*b, *e) of the file). */
static lmp_status read_range(ctx *c, const char *path, char **buf, uint64_t *b, uint64_t *e, lmp_error *err)
{
    *buf = NULL;
    *b = *e = 0;
    if (strcmp(path, "-") == 0)
        return lmp_error_set(err, LMP_EINVAL, "input '-': expected a file (each rank reads its own byte range of it)");
    int fd = open(path, O_RDONLY);
    if (fd < 0) return lmp_error_set(err, LMP_EIO, "cannot open %s: %s", path, strerror(errno));
    struct stat sb;
    lmp_status st = LMP_OK;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        st = lmp_error_set(err, LMP_EIO, "%s: expected a regular file (each rank reads a byte range of it)", path);
        goto done;
    }
    uint64_t size = (uint64_t)sb.st_size;
    /* plain, gzip or xz as the one reader tells them (bzip2 and zstd refused by name) */
    lmp_text_reader *tr = NULL;
    if ((st = lmp_text_reader_open(path, &tr, err))) goto done;
    const int compressed = strcmp(lmp_text_reader_compression(tr), "plain") != 0;
    lmp_text_reader_free(tr);
    if (compressed) { /* a compressed stream cannot be entered in the middle: rank 0 reads it all */
        *b = 0;
        *e = c->rank == 0 ? size : 0;
    } else {
        uint64_t r = (uint64_t)c->rank, n = (uint64_t)c->size;
        if ((st = line_start(fd, path, size, size / n * r + size % n * r / n, b, err))) goto done;
        if ((st = line_start(fd, path, size, size / n * (r + 1) + size % n * (r + 1) / n, e, err))) goto done;
    }
    uint64_t len = *e - *b;
    *buf = malloc(len ? len : 1);
    if (!*buf) {
        st = lmp_error_set(err, LMP_ENOMEM, "%s: out of memory for bytes %llu..%llu", path, (unsigned long long)*b,
                           (unsigned long long)*e);
        goto done;
    }
    for (uint64_t got = 0; got < len;) {
        ssize_t k = pread(fd, *buf + got, len - got, (off_t)(*b + got));
        if (k <= 0) {
            st = lmp_error_set(err, LMP_EIO, "%s: reading bytes %llu..%llu: %s", path, (unsigned long long)*b,
                               (unsigned long long)*e, k < 0 ? strerror(errno) : "the file got shorter");
            goto done;
        }
        got += (uint64_t)k;
    }
done:
    close(fd);
    if (st) {
        free(*buf);
        *buf = NULL;
    }
    return st;
}

/* A reader error in bytes [b, e) of path numbers the lines of that range: make it the file's line (the lines
 * before b counted, on this error path only), so that "path:line:" is where lmprob train points, and name
 * the range. When the message does not start with "path:line: " (a path cut short), the range's line is
 * named in words instead. */
static void range_line(const char *path, uint64_t b, uint64_t e, lmp_error *err)
{
    char old[64], msg[sizeof err->msg];
    int k = snprintf(old, sizeof old, ":%ld: ", err->line);
    size_t plen = strlen(path);
    long before = 0;
    int fd = b ? open(path, O_RDONLY) : -1;
    char buf[65536];
    for (uint64_t at = 0; fd >= 0 && at < b;) {
        ssize_t got = pread(fd, buf, b - at < sizeof buf ? (size_t)(b - at) : sizeof buf, (off_t)at);
        if (got <= 0) {
            before = -1;
            break;
        }
        for (ssize_t i = 0; i < got; i++) before += buf[i] == '\n';
        at += (uint64_t)got;
    }
    if (fd >= 0) close(fd);
    if (b && fd < 0) before = -1;
    if (before >= 0 && strncmp(err->msg, path, plen) == 0 && strncmp(err->msg + plen, old, (size_t)k) == 0) {
        snprintf(msg, sizeof msg, "%s:%ld: %s (this rank's byte range %llu..%llu)", path, before + err->line,
                 err->msg + plen + (size_t)k, (unsigned long long)b, (unsigned long long)e);
        err->line += before;
    } else {
        snprintf(msg, sizeof msg, "%s (line %ld of this rank's byte range %llu..%llu of %s)", err->msg, err->line,
                 (unsigned long long)b, (unsigned long long)e, path);
    }
    memcpy(err->msg, msg, sizeof msg);
}

/* Input "@LIST": LIST names the files, one a line, read as their concatenation
 * (cat). Whole files per rank, in contiguous blocks that keep the list's order:
 * file i goes to the rank whose share of the total bytes holds its first byte,
 * so a rank reads one file, several, or none. A file that cannot be stat'ed
 * counts as empty here and fails on the rank that opens it. */
static lmp_status read_files(ctx *c, const char *list, const lmp_train_params *p, train_budget *bud, lmp_vocab *lv,
                             uint64_t *vheld, train_ids *ids, uint64_t **wcount, uint64_t *wcap, lmp_train_info *info, lmp_error *err)
{
    /* the list as cli_train_run read it for its checks (the output may not be one of its files) */
    char **path = NULL;
    size_t n = 0;
    lmp_status st = cli_file_list_read(list, &path, &n, err);
    if (st) return st;
    uint64_t *size = calloc(n, sizeof *size), total = 0, lines = 0;
    if (!size) st = lmp_error_set(err, LMP_ENOMEM, "file list %s: out of memory", list);
    for (size_t i = 0; i < n && !st; i++) {
        struct stat sb;
        size[i] = stat(path[i], &sb) == 0 ? (uint64_t)sb.st_size : 0;
        total += size[i];
    }
    uint64_t before = 0;
    for (uint64_t i = 0; i < n && !st; i++) {
        int r = total ? (int)((long double)before * c->size / total) : 0;
        before += size[i];
        if (r >= c->size) r = c->size - 1;
        if (r != c->rank) continue;
        lmp_corpus *cp = NULL;
        if (!(st = lmp_corpus_load(path[i], &p->corpus, &cp, err))) {
            st = train_read_ids(cp, p, bud, lv, vheld, ids, wcount, wcap, info, err);
            lines += info->sentences; /* train_read_ids counts the lines of one corpus */
        }
        lmp_corpus_free(cp);
    }
    info->sentences = lines;
    cli_file_list_free(path, n);
    free(size);
    return st;
}

/* ---- 0. one job ----------------------------------------------------------------- */

/* Appends x's bytes to the fingerprint buffer (fixed fields: no padding, no pointers). */
#define FP_ADD(b, n, x) (memcpy((b) + (n), &(x), sizeof(x)), (n) += sizeof(x))

/* What makes the model: every option that reaches the counts or the estimate (not the output, threads or
 * the temporary folder, which each rank may have its own of). */
static uint64_t options_fingerprint(const lmp_train_params *p)
{
    unsigned char b[512];
    size_t n = 0;
    int mode = (int)p->corpus.mode, est = (int)p->estimator;
    FP_ADD(b, n, p->order);
    FP_ADD(b, n, est);
    FP_ADD(b, n, p->k);
    FP_ADD(b, n, p->min_count);
    FP_ADD(b, n, p->vocab_size);
    FP_ADD(b, n, p->discount_fallback);
    FP_ADD(b, n, p->fallback);
    FP_ADD(b, n, p->prune);
    FP_ADD(b, n, p->discount);
    FP_ADD(b, n, p->alpha);
    FP_ADD(b, n, p->gt_max);
    FP_ADD(b, n, p->nltk_conventions);
    FP_ADD(b, n, mode);
    FP_ADD(b, n, p->corpus.replace_invalid);
    FP_ADD(b, n, p->corpus.skip_markers);
    FP_ADD(b, n, p->corpus.max_line);
    FP_ADD(b, n, p->corpus.max_piece);
    return lmp_strhash(b, n);
}

/* Blocks of each file hashed into the content fingerprint: 65 of 4 KiB spread evenly from its first byte
 * to its last (260 KiB read, whatever the size), so a copy of the same size with other bytes is told apart
 * (a sed over the corpus, a copy still being written) without reading the whole corpus twice; a difference
 * that falls between the blocks passes. */
enum { FP_BLOCKS = 65, FP_BLOCK = 4096 };

/* The content fingerprint of the file at path, of size bytes, into *h. -1 when it cannot be read here. */
static int content_fingerprint(const char *path, uint64_t size, uint64_t *h)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    unsigned char buf[FP_BLOCK + sizeof(uint64_t)];
    int rc = 0;
    for (unsigned k = 0; k < FP_BLOCKS && rc == 0; k++) {
        const uint64_t span = size > FP_BLOCK ? size - FP_BLOCK : 0;
        const uint64_t at = span / (FP_BLOCKS - 1) * k + span % (FP_BLOCKS - 1) * k / (FP_BLOCKS - 1);
        size_t got = 0;
        if (fseeko(f, (off_t)at, SEEK_SET) != 0) rc = -1;
        else got = fread(buf + sizeof(uint64_t), 1, FP_BLOCK, f);
        if (ferror(f)) rc = -1;
        memcpy(buf, h, sizeof *h);
        *h = lmp_strhash(buf, sizeof(uint64_t) + got);
    }
    fclose(f);
    return rc;
}

/* The input as this rank sees it: the size of the file, or of each listed file in order (fp[0]), and their
 * sampled bytes (fp[1], content_fingerprint). *seen = 0 when a file cannot be stat'ed or read here (the
 * reading step names it and the rank). */
static void input_fingerprint(const char *input, uint64_t fp[2], int *seen)
{
    *seen = 1;
    char **path = NULL;
    size_t n = 0;
    lmp_error e;
    fp[0] = fp[1] = 0;
    if (input[0] == '@') {
        if (cli_file_list_read(input + 1, &path, &n, &e)) {
            *seen = 0;
            return;
        }
    }
    uint64_t h = lmp_strhash(&n, sizeof n), c = h;
    for (size_t i = 0; i < (path ? n : 1); i++) {
        const char *f = path ? path[i] : input;
        struct stat sb;
        if (stat(f, &sb) != 0) {
            *seen = 0;
            continue;
        }
        uint64_t v[2] = {h, (uint64_t)sb.st_size};
        h = lmp_strhash(v, sizeof v);
        if (S_ISREG(sb.st_mode) && content_fingerprint(f, (uint64_t)sb.st_size, &c) != 0) *seen = 0;
    }
    cli_file_list_free(path, n);
    fp[0] = h;
    fp[1] = c;
}

/* Every rank parsed its own command line and reads its own copy of the input (on another node, another
 * copy), so before any work they agree on one job:
 * - the budgets, to the smallest: --memory 10% is a share of each node's RAM, and every exchange round is
 *   sized from --memory or --count-tables (round_records), so ranks with different budgets sent rounds
 *   larger than the receiver's buffer (a heap overrun in MPI_Alltoallv);
 * - the options that make the model and the sizes of the input files, by fingerprint: a rank with other
 *   options, or a copy of the corpus of another size, trained a model of neither, hung in a collective its
 *   estimator never reaches, or stopped on an internal error; now the job stops with one message. So does a
 *   copy of the same size with other bytes (sampled: content_fingerprint), which trained a mixed model.
 * An input that is no file (stdin, a FIFO, a folder) is refused here, once (by rank 0) when every rank
 * sees it so. */
static lmp_status agree_job(ctx *c, const char *input, lmp_train_params *p, lmp_error *err)
{
    /* 0 means no limit (memory) or "what memory leaves" (count_tables): the largest, for the minimum */
    uint64_t lim[2] = {p->memory ? p->memory : UINT64_MAX, p->count_tables ? p->count_tables : UINT64_MAX};
    MPI_Allreduce(MPI_IN_PLACE, lim, 2, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
    p->memory = lim[0] == UINT64_MAX ? 0 : lim[0];
    p->count_tables = lim[1] == UINT64_MAX ? 0 : lim[1];

    struct stat sb;
    int not_file = input[0] != '@' && (strcmp(input, "-") == 0 ||
                                       (stat(input, &sb) == 0 && !S_ISREG(sb.st_mode)));
    int seen;
    uint64_t fo = options_fingerprint(p), fi[2];
    input_fingerprint(input, fi, &seen);
    /* min and max of each: equal when every rank has the same; seen and not_file as their minimum */
    uint64_t v[5] = {fo, fi[0], (uint64_t)seen, (uint64_t)not_file, fi[1]}, lo[5], hi[5];
    MPI_Allreduce(v, lo, 5, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(v, hi, 5, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
    lmp_status st = LMP_OK;
    if (lo[3] && input[0] != '@' && strcmp(input, "-") != 0 && S_ISDIR(sb.st_mode)) /* as lmprob train's reader */
        st = lmp_error_set(err, LMP_EIO, "%s: is a directory: expected a file", input);
    else if (lo[3]) /* every rank: one message */
        st = lmp_error_set(err, LMP_EINVAL, "%s: expected a regular file (each rank reads its own byte range of it)",
                           strcmp(input, "-") == 0 ? "input '-'" : input);
    else if (hi[3]) /* some ranks only: the reading step names them */
        return LMP_OK;
    else if (lo[0] != hi[0])
        st = lmp_error_set(err, LMP_EINVAL, "the ranks were given different options (%d ranks): expected the same "
                           "command line on every rank (mpirun gives every rank the same; with MPMD's 'A : B', compare "
                           "them)", c->size);
    else if (lo[2] && lo[1] != hi[1])
        st = lmp_error_set(err, LMP_EINVAL, "%s: the ranks see files of different sizes (%d ranks): expected the same "
                           "copy on every node (a stale copy, or a file still being written?)", input, c->size);
    else if (lo[2] && lo[4] != hi[4]) /* the same sizes, other bytes: trained a model of both, exit 0 */
        st = lmp_error_set(err, LMP_EINVAL, "%s: the ranks see files of the same size with different bytes (%d "
                           "ranks): expected the same copy on every node (a stale or edited copy?)", input, c->size);
    if (st && c->rank != 0) lmp_error_clear(err); /* the same on every rank: rank 0 says it */
    return st;
}

/* ---- 2. one vocabulary ---------------------------------------------------------- */

enum { TAG_VOCAB = 1, TAG_MAP, TAG_W, TAG_CNT }; /* TAG_CNT + k: gather_order's column k */

/* Words 3.. of v as (uint32 length, bytes) records. */
static lmp_status vocab_blob(const lmp_vocab *v, char **out, uint64_t *bytes, lmp_error *err)
{
    size_t nv = lmp_vocab_size(v);
    uint64_t n = 0;
    for (size_t i = 3; i < nv; i++) {
        size_t len;
        lmp_vocab_word(v, (lmp_token_id)i, &len);
        n += 4 + len;
    }
    char *b = malloc(n ? n : 1), *w = b;
    if (!b) return lmp_error_set(err, LMP_ENOMEM, "vocabulary: out of memory");
    for (size_t i = 3; i < nv; i++) {
        size_t len;
        const char *s = lmp_vocab_word(v, (lmp_token_id)i, &len);
        uint32_t l = (uint32_t)len;
        memcpy(w, &l, 4);
        memcpy(w + 4, s, len);
        w += 4 + len;
    }
    *out = b;
    *bytes = n;
    return LMP_OK;
}

/* Rank 0: add the words of a blob to gv, the map local id -> global id into map[0..nv). */
static lmp_status vocab_merge(lmp_vocab *gv, const char *b, uint64_t bytes, lmp_token_id *map, lmp_error *err)
{
    map[0] = 0;
    map[1] = 1;
    map[2] = 2;
    uint64_t i = 3;
    for (const char *p = b, *end = b + bytes; p < end; i++) {
        uint32_t l;
        memcpy(&l, p, 4);
        lmp_token_id id;
        lmp_status st = lmp_vocab_add(gv, p + 4, l, &id, err);
        if (st) return st;
        map[i] = id;
        p += 4 + l;
    }
    return LMP_OK;
}

/* Receive n bytes from src into buf, or, when buf is NULL (no memory for them),
 * receive and drop them so that the sender is not left blocked. */
static void recv_or_drop(void *buf, uint64_t n, int src, int tag)
{
    if (buf) {
        recv_bytes(buf, n, src, tag);
        return;
    }
    char *tmp = malloc(MSG_BYTES);
    for (uint64_t left = n; left;) {
        uint64_t k = left < MSG_BYTES ? left : MSG_BYTES;
        if (tmp) recv_bytes(tmp, k, src, tag);
        else MPI_Recv(NULL, 0, MPI_BYTE, src, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE); /* truncation: MPI reports it */
        left -= k;
    }
    free(tmp);
}

static lmp_status build_vocab(ctx *c, lmp_vocab *lv, train_ids *ids, lmp_vocab **gvp, uint32_t *nwords, lmp_error *err)
{
    char *blob = NULL;
    uint64_t bytes = 0, nv = lmp_vocab_size(lv);
    lmp_token_id *map = NULL, **maps = NULL; /* local id -> global id (sent as their 4 bytes) */
    uint64_t *all = NULL;
    int failed = 0;
    lmp_status st = vocab_blob(lv, &blob, &bytes, err);
    if (!st) {
        map = malloc(nv * sizeof *map);
        all = c->rank == 0 ? calloc((size_t)c->size, 2 * sizeof *all) : NULL;
        maps = c->rank == 0 ? calloc((size_t)c->size, sizeof *maps) : NULL;
        if (!map || (c->rank == 0 && (!all || !maps))) st = lmp_error_set(err, LMP_ENOMEM, "vocabulary: out of memory");
    }
    if ((failed = any_failed(c, st))) goto done;
    uint64_t mine[2] = {bytes, nv};
    MPI_Gather(mine, 2, MPI_UINT64_T, all, 2, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    if (c->rank == 0) {
        st = lmp_vocab_create(gvp, err);
        for (int r = 0; r < c->size; r++) {
            char *b = blob;
            if (r > 0 && all[2 * r]) {
                b = st ? NULL : malloc(all[2 * r]);
                if (!b && !st) st = lmp_error_set(err, LMP_ENOMEM, "vocabulary: out of memory");
                recv_or_drop(b, all[2 * r], r, TAG_VOCAB);
            }
            if (!st && !(maps[r] = malloc(all[2 * r + 1] * sizeof **maps)))
                st = lmp_error_set(err, LMP_ENOMEM, "vocabulary: out of memory");
            if (!st) st = vocab_merge(*gvp, b, all[2 * r], maps[r], err);
            if (b != blob) free(b);
        }
    } else if (bytes) {
        send_bytes(c, blob, bytes, 0, TAG_VOCAB);
    }
    if ((failed = any_failed(c, st))) goto done;
    if (c->rank == 0) {
        memcpy(map, maps[0], nv * sizeof *map);
        for (int r = 1; r < c->size; r++) send_bytes(c, maps[r], all[2 * r + 1] * sizeof *map, r, TAG_MAP);
        *nwords = (uint32_t)lmp_vocab_size(*gvp);
    } else {
        recv_bytes(map, nv * sizeof *map, 0, TAG_MAP);
    }
    MPI_Bcast(nwords, 1, MPI_UINT32_T, 0, MPI_COMM_WORLD);
    for (uint64_t i = 0; i < ids->n; i++) ids->v[i] = map[ids->v[i]];
done:
    for (int r = 0; maps && r < c->size; r++) free(maps[r]);
    free(maps);
    free(all);
    free(map);
    free(blob);
    return failed ? (st ? st : LMP_EIO) : LMP_OK;
}

/* ---- 4. exchange by the hash of the last word ------------------------------------ */

/* The rank that owns the n-grams ending in word w (Fibonacci hashing, Knuth 6.4). */
static inline int owner(lmp_token_id w, int np)
{
    return (int)(((uint64_t)(uint32_t)((uint32_t)w * 2654435761u) * (uint64_t)np) >> 32); /* hashed unsigned */
}

/* The words of a record (uint32_t words: the n-gram's ids, copied from lmp_token_id, then counts,
 * ranks or positions) as ids: the ids are >= 0, and reading a uint32_t object through its signed
 * counterpart is allowed (C11 6.5p7), so this is the same value. */
static inline const lmp_token_id *rec_ids(const uint32_t *r) { return (const lmp_token_id *)(const void *)r; }

static inline int suffix_cmp(const lmp_token_id *a, const lmp_token_id *b, unsigned n)
{
    for (unsigned i = n; i-- > 0;)
        if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    return 0;
}

/* Records received from one rank, in the order it sent them. */
typedef struct xin {
    unsigned char *r;
    uint64_t n, cap;
} xin;

static void xin_free(xin *in, int np)
{
    for (int s = 0; in && s < np; s++) free(in[s].r);
    free(in);
}

/* Records per pair of ranks and round for records of `size` bytes: send and
 * receive buffers take a quarter of the budget, or --count-tables when given
 * (the knob that makes buffers small for tests: many rounds); one round's
 * bytes stay below 2^31 (MPI counts are int). */
static uint64_t round_records(const lmp_train_params *p, int np, size_t size)
{
    uint64_t chunk = (p->count_tables ? p->count_tables : p->memory / 4) / 2 / ((uint64_t)np * size);
    if (chunk < 256) chunk = 256;
    if (chunk > (uint64_t)INT32_MAX / ((uint64_t)np * size)) chunk = (uint64_t)INT32_MAX / ((uint64_t)np * size);
    return chunk;
}

/* pack(arg, i, out): write record i (`size` bytes) to out. */
typedef void (*xpack_fn)(const void *arg, uint64_t i, unsigned char *out);

/* All-to-all of n records of `size` bytes: record i goes to rank dest[i]. In
 * rounds of at most `chunk` records per pair of ranks (MPI_Alltoallv), so the
 * buffers stay bounded whatever the data; in[s] gets rank s's records in the
 * order s packed them (increasing i). */
static lmp_status xchg(ctx *c, uint64_t n, size_t size, const int *dest, xpack_fn pack, const void *arg, uint64_t chunk,
                       xin *in, lmp_error *err)
{
    const int np = c->size;
    uint64_t *first = calloc((size_t)np + 1, sizeof *first), *sent = calloc((size_t)np, sizeof *sent);
    uint64_t *idx = malloc((n ? n : 1) * sizeof *idx);
    int *scount = calloc((size_t)np, sizeof *scount), *rcount = calloc((size_t)np, sizeof *rcount);
    int *displ = calloc((size_t)np, sizeof *displ);
    unsigned char *sbuf = malloc(chunk * (uint64_t)np * size), *rbuf = malloc(chunk * (uint64_t)np * size);
    lmp_status st = LMP_OK;
    int failed;
    if (!first || !sent || !idx || !scount || !rcount || !displ || !sbuf || !rbuf)
        st = lmp_error_set(err, LMP_ENOMEM, "exchanging %llu records: out of memory", (unsigned long long)n);
    uint64_t rounds = 0;
    if (!st) { /* the records of each destination, in their order (a counting sort) */
        for (uint64_t i = 0; i < n; i++) first[dest[i] + 1]++;
        for (int d = 0; d < np; d++) first[d + 1] += first[d];
        for (uint64_t i = 0; i < n; i++) idx[first[dest[i]] + sent[dest[i]]++] = i;
        for (int d = 0; d < np; d++) {
            sent[d] = 0;
            uint64_t k = (first[d + 1] - first[d] + chunk - 1) / chunk;
            if (k > rounds) rounds = k;
            displ[d] = (int)((uint64_t)d * chunk * size);
        }
    }
    if ((failed = any_failed(c, st))) goto done;
    MPI_Allreduce(MPI_IN_PLACE, &rounds, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
    for (uint64_t round = 0; round < rounds; round++) {
        for (int d = 0; d < np; d++) {
            uint64_t k = 0;
            unsigned char *out = sbuf + (uint64_t)d * chunk * size;
            for (; k < chunk && first[d] + sent[d] < first[d + 1]; k++, sent[d]++)
                pack(arg, idx[first[d] + sent[d]], out + k * size);
            scount[d] = (int)(k * size);
            if (d != c->rank) c->sent_bytes += k * size;
        }
        MPI_Alltoall(scount, 1, MPI_INT, rcount, 1, MPI_INT, MPI_COMM_WORLD);
        MPI_Alltoallv(sbuf, scount, displ, MPI_BYTE, rbuf, rcount, displ, MPI_BYTE, MPI_COMM_WORLD);
        for (int s = 0; s < np && !st; s++) {
            uint64_t k = (uint64_t)rcount[s] / size;
            if (in[s].n + k > in[s].cap) {
                uint64_t nc = in[s].cap ? in[s].cap * 2 : 4096;
                while (nc < in[s].n + k) nc *= 2;
                unsigned char *nr = realloc(in[s].r, nc * size);
                if (!nr) {
                    st = lmp_error_set(err, LMP_ENOMEM, "exchanging records: out of memory for %llu", (unsigned long long)nc);
                    break;
                }
                in[s].r = nr;
                in[s].cap = nc;
            }
            if (k) memcpy(in[s].r + in[s].n * size, rbuf + (uint64_t)s * chunk * size, k * size);
            in[s].n += k;
        }
        if ((failed = any_failed(c, st))) goto done;
    }
done:
    free(first);
    free(sent);
    free(idx);
    free(scount);
    free(rcount);
    free(displ);
    free(sbuf);
    free(rbuf);
    return failed ? (st ? st : LMP_EIO) : LMP_OK;
}

/* An n-gram as a record: its n words, then its count (low, high 32 bits). */
static void pack_ngram(const void *arg, uint64_t i, unsigned char *out)
{
    const train_order *t = arg;
    uint32_t r[LMP_NGRAM_MAX_ORDER + 2];
    memcpy(r, t->w + i * t->n, t->n * sizeof *r);
    r[t->n] = (uint32_t)t->cnt[i];
    r[t->n + 1] = (uint32_t)(t->cnt[i] >> 32);
    memcpy(out, r, (t->n + 2) * sizeof *r);
}

/* The top order to the owners of the last words (pack_ngram records), then each
 * rank's received n-grams merged in suffix order, equal ones summed. */
static lmp_status exchange(ctx *c, train_order *top, unsigned N, const lmp_train_params *p, lmp_error *err)
{
    const int np = c->size;
    const unsigned S = N + 2;
    if (np == 1) return LMP_OK; /* every n-gram is already where it belongs */
    int *dest = malloc((top->m ? top->m : 1) * sizeof *dest);
    xin *in = calloc((size_t)np, sizeof *in);
    uint64_t *pos = calloc((size_t)np, sizeof *pos);
    lmp_status st = dest && in && pos ? LMP_OK : lmp_error_set(err, LMP_ENOMEM, "exchanging n-grams: out of memory");
    int failed = 0;
    for (uint64_t i = 0; !st && i < top->m; i++) dest[i] = owner(top->w[i * N + N - 1], np);
    if ((failed = any_failed(c, st))) goto done;
    top->n = N;
    if ((st = xchg(c, top->m, S * sizeof(uint32_t), dest, pack_ngram, top, round_records(p, np, S * sizeof(uint32_t)), in,
                   err))) {
        failed = 1;
        goto done;
    }
    /* The local records are all sent: merge what came, summing equal n-grams. */
    free(top->w);
    free(top->cnt);
    top->w = NULL;
    top->cnt = NULL;
    top->m = 0;
    uint64_t bound = 0;
    for (int s = 0; s < np; s++) bound += in[s].n;
    top->w = malloc((bound ? bound : 1) * N * sizeof *top->w);
    top->cnt = malloc((bound ? bound : 1) * sizeof *top->cnt);
    if (!top->w || !top->cnt)
        st = lmp_error_set(err, LMP_ENOMEM, "merging exchanged n-grams: out of memory for %llu", (unsigned long long)bound);
    if (!st) {
        uint64_t m = 0;
        for (;;) {
            int best = -1;
            for (int s = 0; s < np; s++)
                if (pos[s] < in[s].n && (best < 0 || suffix_cmp(rec_ids((const uint32_t *)in[s].r + pos[s] * S),
                                                                rec_ids((const uint32_t *)in[best].r + pos[best] * S),
                                                                N) < 0))
                    best = s;
            if (best < 0) break;
            const uint32_t *r = (const uint32_t *)in[best].r + pos[best]++ * S;
            uint64_t cnt = (uint64_t)r[N] | ((uint64_t)r[N + 1] << 32);
            if (m > 0 && memcmp(top->w + (m - 1) * N, r, N * sizeof *r) == 0) top->cnt[m - 1] += cnt;
            else {
                memcpy(top->w + m * N, r, N * sizeof *r);
                top->cnt[m++] = cnt;
            }
        }
        top->m = m;
    }
    failed = any_failed(c, st);
done:
    free(dest);
    free(pos);
    xin_free(in, np);
    return failed ? (st ? st : LMP_EIO) : LMP_OK;
}

/* ---- 5. gather an order on rank 0 ----------------------------------------------- */

/* Order n >= 2 of every rank into one array on rank 0 (disjoint pieces, each in
 * suffix order: a merge): its words and ncol columns of 8-byte values, col[k]
 * (the adjusted counts; or the log10 probabilities and backoffs). On rank 0
 * o->w and col[k] become the merged arrays, elsewhere they are freed (NULL). */
static lmp_status gather_order(ctx *c, train_order *o, unsigned n, void *col[], int ncol, lmp_error *err)
{
    const int np = c->size;
    if (np == 1) return LMP_OK;
    uint64_t *ms = c->rank == 0 ? calloc((size_t)np, sizeof *ms) : NULL;
    lmp_status st = c->rank == 0 && !ms ? lmp_error_set(err, LMP_ENOMEM, "gathering %u-grams: out of memory", n) : LMP_OK;
    if (any_failed(c, st)) return st ? st : LMP_EIO;
    MPI_Gather(&o->m, 1, MPI_UINT64_T, ms, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    if (c->rank != 0) {
        if (o->m) {
            send_bytes(c, o->w, o->m * n * sizeof *o->w, 0, TAG_W);
            for (int k = 0; k < ncol; k++) send_bytes(c, col[k], o->m * 8, 0, TAG_CNT + k);
        }
        free(o->w);
        o->w = NULL;
        for (int k = 0; k < ncol; k++) {
            free(col[k]);
            col[k] = NULL;
        }
        return any_failed(c, LMP_OK) ? LMP_EIO : LMP_OK;
    }
    uint64_t total = 0;
    for (int r = 0; r < np; r++) total += ms[r];
    const uint64_t t1 = total ? total : 1;
    lmp_token_id *w = malloc(t1 * n * sizeof *w), *mw = malloc(t1 * n * sizeof *mw);
    unsigned char *v[4] = {NULL}, *mv[4] = {NULL};
    int nomem = !w || !mw;
    for (int k = 0; k < ncol; k++) {
        v[k] = malloc(t1 * 8);
        mv[k] = malloc(t1 * 8);
        nomem |= !v[k] || !mv[k];
    }
    uint64_t *off = calloc((size_t)np + 1, sizeof *off), *pos = calloc((size_t)np, sizeof *pos);
    if (nomem || !off || !pos)
        st = lmp_error_set(err, LMP_ENOMEM, "gathering %llu %u-grams: out of memory", (unsigned long long)total, n);
    for (int r = 0; r < np; r++) {
        if (off) off[r + 1] = off[r] + ms[r];
        if (!ms[r]) continue;
        if (r == 0) {
            if (!st) {
                memcpy(w, o->w, o->m * n * sizeof *w);
                for (int k = 0; k < ncol; k++) memcpy(v[k], col[k], o->m * 8);
            }
        } else if (!st) {
            recv_bytes(w + off[r] * n, ms[r] * n * sizeof *w, r, TAG_W);
            for (int k = 0; k < ncol; k++) recv_bytes(v[k] + off[r] * 8, ms[r] * 8, r, TAG_CNT + k);
        } else { /* take what is sent, then fail */
            recv_or_drop(NULL, ms[r] * n * sizeof *w, r, TAG_W);
            for (int k = 0; k < ncol; k++) recv_or_drop(NULL, ms[r] * 8, r, TAG_CNT + k);
        }
    }
    if (!st) {
        for (int r = 0; r < np; r++) pos[r] = off[r];
        for (uint64_t i = 0; i < total; i++) {
            int best = -1;
            for (int r = 0; r < np; r++)
                if (pos[r] < off[r + 1] && (best < 0 || suffix_cmp(w + pos[r] * n, w + pos[best] * n, n) < 0)) best = r;
            memcpy(mw + i * n, w + pos[best] * n, n * sizeof *w);
            for (int k = 0; k < ncol; k++) memcpy(mv[k] + i * 8, v[k] + pos[best] * 8, 8);
            pos[best]++;
        }
        free(o->w);
        o->w = mw;
        o->m = total;
        mw = NULL;
        for (int k = 0; k < ncol; k++) {
            free(col[k]);
            col[k] = mv[k];
            mv[k] = NULL;
        }
    }
    free(w);
    free(mw);
    for (int k = 0; k < ncol; k++) {
        free(v[k]);
        free(mv[k]);
    }
    free(off);
    free(pos);
    free(ms);
    return any_failed(c, st) ? (st ? st : LMP_EIO) : LMP_OK;
}

/* ---- 6. estimation where the data is (the interpolated estimators) ---------------- */

/* A context's request: the n-gram (n words), its count (two words, with
 * TRAIN_MARK), and on the owner the rank and position it came from. */
enum { REQ_MAX = LMP_NGRAM_MAX_ORDER + 4 };

/* Context-major order of requests: the context (words 0..n-2) in suffix
 * order, then the last word; qsort_r's argument is n. */
static int req_cmp(const void *a, const void *b, void *arg)
{
    const uint32_t *x = a, *y = b;
    unsigned n = *(const unsigned *)arg;
    int k = suffix_cmp(rec_ids(x), rec_ids(y), n - 1);
    if (k) return k;
    return x[n - 1] < y[n - 1] ? -1 : x[n - 1] > y[n - 1];
}

/* The answer to a request: the context's denominator (WB: its total) and gamma. */
typedef struct reply {
    uint64_t den;
    double gamma;
} reply;

static void pack_reply(const void *arg, uint64_t i, unsigned char *out)
{
    memcpy(out, (const reply *)arg + i, sizeof(reply));
}

/* Order n (>= 2) of the interpolated estimators, distributed. The n-grams of
 * context c are on the owners of their last words, c itself on the owner of
 * its own last word: every n-gram goes as a request to owner(c), which sums
 * c's n-grams in one-machine order (by last word) into den(c) and gamma(c),
 * sets c's backoff, and answers each request; then each rank has what
 * p(w | c) = u + gamma(c) p(w | c') needs, c' w being local (same last word). */
static lmp_status estimate_order(ctx *c, train_order *o, unsigned n, const double D[4], int wb,
                                 const lmp_train_params *p, train_budget *b, lmp_error *err)
{
    const int np = c->size;
    train_order *hi = &o[n], *lo = &o[n - 1];
    const unsigned R = n + 2; /* request: n words, count */
    uint32_t *flat = NULL;
    int *dest = NULL, *back_dest = NULL;
    xin *in = calloc((size_t)np, sizeof *in), *back = calloc((size_t)np, sizeof *back);
    reply *rep = NULL;
    uint64_t *off = calloc((size_t)np + 1, sizeof *off), *cur = calloc((size_t)np, sizeof *cur);
    lmp_status st = train_interp_alloc(b, hi, lo, err);
    int failed = 0;
    if (!st) {
        dest = malloc((hi->m ? hi->m : 1) * sizeof *dest);
        if (!dest || !in || !back || !off || !cur)
            st = lmp_error_set(err, LMP_ENOMEM, "estimating %llu %u-grams: out of memory", (unsigned long long)hi->m, n);
    }
    for (uint64_t i = 0; !st && i < hi->m; i++) dest[i] = owner(hi->w[i * n + n - 2], np);
    if (n == 2) test_die(c, "estimating");
    if ((failed = any_failed(c, st))) goto done;
    if ((st = xchg(c, hi->m, R * sizeof(uint32_t), dest, pack_ngram, hi, round_records(p, np, R * sizeof(uint32_t)), in,
                   err))) {
        failed = 1;
        goto done;
    }

    /* owner of the contexts: every request, context-major, with where it came from */
    const unsigned F = R + 2;
    for (int s = 0; s < np; s++) off[s + 1] = off[s] + in[s].n;
    const uint64_t total = off[np];
    flat = malloc((total ? total : 1) * F * sizeof *flat);
    rep = malloc((total ? total : 1) * sizeof *rep);
    if (!flat || !rep) st = lmp_error_set(err, LMP_ENOMEM, "estimating: out of memory for %llu requests", (unsigned long long)total);
    if (!st) {
        for (int s = 0; s < np; s++) {
            for (uint64_t k = 0; k < in[s].n; k++) {
                uint32_t *f = flat + (off[s] + k) * F;
                memcpy(f, in[s].r + k * R * sizeof *f, R * sizeof *f);
                f[R] = (uint32_t)s;
                f[R + 1] = (uint32_t)k; /* links are 32-bit: an order holds fewer than 2^32 n-grams */
            }
            free(in[s].r);
            in[s].r = NULL;
            in[s].n = in[s].cap = 0;
        }
        unsigned nn = n;
        qsort_r(flat, total, F * sizeof *flat, req_cmp, &nn);
        uint64_t j = 0; /* the contexts in lo, in suffix order like the groups */
        for (uint64_t g = 0; g < total && !st;) {
            const uint32_t *first = flat + g * F;
            uint64_t e = g + 1;
            while (e < total && suffix_cmp(rec_ids(flat + e * F), rec_ids(first), n - 1) == 0) e++;
            uint64_t ci = UINT64_MAX;
            if (n == 2) {
                ci = first[0]; /* a unigram context: its word id */
            } else {
                while (j < lo->m && suffix_cmp(lo->w + j * (n - 1), rec_ids(first), n - 1) < 0) j++;
                if (j < lo->m && suffix_cmp(lo->w + j * (n - 1), rec_ids(first), n - 1) == 0) ci = j;
            }
            uint64_t den = 0, n1p = 0;
            double gamma = 0;
            for (uint64_t k = g; k < e; k++) {
                const uint32_t *f = flat + k * F;
                uint64_t cnt = (uint64_t)f[n] | ((uint64_t)f[n + 1] << 32);
                if (ci == UINT64_MAX && !(cnt & TRAIN_MARK)) /* only a pruned n-gram may lose its context */
                    st = lmp_error_set(err, LMP_EFORMAT, "internal: the context of a %u-gram is not a %u-gram", n, n - 1);
                if (ci != UINT64_MAX) train_ctx_add(wb, cnt, D, &den, &n1p, &gamma);
            }
            if (ci != UINT64_MAX) {
                train_ctx_close(wb, den, &n1p, &gamma);
                lo->lb[ci] = train_ctx_backoff(gamma);
            }
            for (uint64_t k = g; k < e; k++) {
                const uint32_t *f = flat + k * F;
                rep[off[f[R]] + f[R + 1]] = (reply){wb ? n1p : den, gamma};
            }
            g = e;
        }
    }
    free(flat);
    flat = NULL;
    if ((failed = any_failed(c, st))) goto done;
    /* the answers, in the order of the requests of each rank */
    back_dest = malloc((total ? total : 1) * sizeof *back_dest);
    st = back_dest ? LMP_OK : lmp_error_set(err, LMP_ENOMEM, "estimating: out of memory");
    for (int s = 0; s < np && !st; s++)
        for (uint64_t k = off[s]; k < off[s + 1]; k++) back_dest[k] = s;
    if ((failed = any_failed(c, st))) goto done;
    st = xchg(c, total, sizeof *rep, back_dest, pack_reply, rep, round_records(p, np, sizeof *rep), back, err);
    free(rep);
    rep = NULL;
    if (st) {
        failed = 1;
        goto done;
    }

    /* the probabilities of this rank's n-grams */
    int pruned = 0;
    uint64_t j = 0;
    for (uint64_t i = 0; i < hi->m && !st; i++) {
        const int d = dest[i];
        reply r;
        if (cur[d] >= back[d].n) {
            st = lmp_error_set(err, LMP_EFORMAT, "internal: rank %d answered %llu of the %u-gram requests", d,
                               (unsigned long long)back[d].n, n);
            break;
        }
        memcpy(&r, back[d].r + cur[d]++ * sizeof r, sizeof r);
        const uint64_t a = hi->cnt[i];
        if (a & TRAIN_MARK) {
            hi->p[i] = 0;
            pruned = 1;
            continue;
        }
        const lmp_token_id *gw = hi->w + i * n;
        uint64_t s;
        if (n == 2) {
            s = (uint64_t)gw[1]; /* order 1 is indexed by word id (>= 0) */
        } else { /* the suffix c' w: same last word, so here; in suffix order like hi */
            while (j < lo->m && suffix_cmp(lo->w + j * (n - 1), gw + 1, n - 1) < 0) j++;
            s = j;
            if (j >= lo->m || suffix_cmp(lo->w + j * (n - 1), gw + 1, n - 1) != 0)
                st = lmp_error_set(err, LMP_EFORMAT, "internal: the suffix of a %u-gram is not a %u-gram", n, n - 1);
        }
        if (!st) hi->p[i] = train_interp_p(wb, a, D, r.den, r.den, r.gamma, lo->p[s]);
    }
    if ((failed = any_failed(c, st))) goto done;
    if (pruned) train_compact_pruned(hi);
    tb_free(b, hi->cnt);
    hi->cnt = NULL;
    train_to_log(lo, 1);
done:
    free(flat);
    free(rep);
    free(dest);
    free(back_dest);
    free(off);
    free(cur);
    xin_free(in, np);
    xin_free(back, np);
    return failed ? (st ? st : LMP_EIO) : LMP_OK;
}

/* The interpolated estimators (MKN, KN, ABS, WB) on every rank: the unigram
 * counts summed everywhere (every rank holds the unigrams: 8 bytes a word),
 * the counts of counts summed (MPI_Allreduce) so that every rank has the same
 * discounts, then order by order estimate_order. o[n] is left with w, lp and
 * lb of this rank's n-grams (the unigrams: every word's lp, the backoffs of the
 * words this rank owns, 0 for the others). quirk: lmplz's last n-gram (step 5). */
static lmp_status estimate_distributed(ctx *c, train_order *o, unsigned N, const lmp_train_params *p, int holder,
                                       const uint64_t *quirk, lmp_train_info *info, train_budget *b, lmp_error *err)
{
    const int wb = p->estimator == LMP_EST_WB;
    uint64_t ms[LMP_NGRAM_MAX_ORDER + 1] = {0};
    for (unsigned n = 2; n <= N; n++) ms[n] = o[n].m;
    MPI_Allreduce(MPI_IN_PLACE, ms, LMP_NGRAM_MAX_ORDER + 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    for (unsigned n = 2; n <= N; n++)
        if (ms[n] >= UINT32_MAX) { /* as link_order: the model's links (and the requests' positions) are 32-bit */
            if (c->rank != 0) return LMP_EUNSUPPORTED;
            return lmp_error_set(err, LMP_EUNSUPPORTED, "%llu %u-grams: expected fewer than 2^32 - 1 n-grams per order",
                                 (unsigned long long)ms[n], n);
        }
    for (uint64_t i = 0; i < o[1].m; i += 1 << 24) {
        int k = (int)(o[1].m - i < (1u << 24) ? o[1].m - i : (1u << 24));
        MPI_Allreduce(MPI_IN_PLACE, o[1].cnt + i, k, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
        c->sent_bytes += (uint64_t)k * 8;
    }
    o[1].last_raw_valid = (int)quirk[3];
    o[1].last_idx = quirk[4];
    o[1].last_raw = quirk[5];
    for (unsigned n = 2; n < N; n++)
        if (c->rank != holder) o[n].last_raw_valid = 0; /* the holder's last n-gram is the global last */
    uint64_t nk[LMP_NGRAM_MAX_ORDER + 1][5];
    double D[LMP_NGRAM_MAX_ORDER + 1][4];
    memset(nk, 0, sizeof nk);
    for (unsigned n = 2; n <= N; n++) train_count_counts(&o[n], N, nk[n]);
    MPI_Allreduce(MPI_IN_PLACE, nk, (int)(sizeof nk / sizeof nk[0][0]), MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    train_count_counts(&o[1], N, nk[1]); /* the same unigrams on every rank */
    lmp_status st = train_interp_discounts(p, N, (const uint64_t(*)[5])nk, D, info, err);
    if (st) { /* the same on every rank: rank 0 says it */
        if (c->rank != 0) lmp_error_clear(err);
        return st;
    }
    st = train_interp_unigrams(b, &o[1], D[1], p, info->sentences, err);
    if (any_failed(c, st)) return st ? st : LMP_EIO;
    for (unsigned n = 2; n <= N; n++)
        if ((st = estimate_order(c, o, n, D[n], wb, p, b, err))) return st;
    train_to_log(&o[N], 1);
    return LMP_OK;
}

/* ---- 7. the ARPA file, written while the ranks' pieces arrive ---------------------- */

/* Order n's pieces go from every rank to rank 0 in chunks, each rank's in the
 * written order (train_written_order: lexicographic), and rank 0 merges them
 * (a heap of the ranks' next n-grams) into the one ARPA writer's windows
 * (train_write_arpa_pulled). Rank 0 holds a chunk per rank, never the model. A
 * chunk is sent with MPI_Ssend, which returns once rank 0 has begun to receive
 * it, so a rank runs at most one chunk ahead of the writer, and rank 0 never
 * holds chunks it has not asked for (MPI_Send may buffer small messages). */
enum { TAG_STREAM = 64 }; /* + n: order n's chunks */

/* Bytes of one record of order n (of N) in a chunk: n word ids, log10 p, and
 * the log10 backoff below the top order, as floats (as written). */
static uint64_t rec_bytes(unsigned n, unsigned N) { return 4ull * n + 4 + (n < N ? 4 : 0); }

/* Records in a full chunk of order n: as the exchange rounds, half of a quarter
 * of --memory (or half of --count-tables when given) over the ranks, 4 KiB to
 * 4 MiB a chunk; the same on every rank, so rank 0 knows the size of every
 * chunk it receives. */
static uint64_t chunk_records(int np, unsigned n, unsigned N, const lmp_train_params *p)
{
    uint64_t bytes = (p->count_tables ? p->count_tables : p->memory / 4) / 2 / (uint64_t)np;
    if (bytes < (4u << 10)) bytes = 4u << 10;
    if (bytes > (4u << 20)) bytes = 4u << 20;
    return bytes / rec_bytes(n, N);
}

/* A chunk's columns in its buffer: w[k][n], lp[k], lb[k] (n < N). */
static void chunk_cols(unsigned char *buf, uint64_t k, unsigned n, unsigned N, lmp_token_id **w, float **lp, float **lb)
{
    *w = (lmp_token_id *)(void *)buf;
    *lp = (float *)(buf + 4 * k * n);
    *lb = n < N ? *lp + k : NULL;
}

/* A rank other than 0: every order's n-grams, in the written order, in chunks. */
static void stream_send(ctx *c, const train_order *o, uint32_t *const perm[], unsigned N, const lmp_train_params *p,
                        unsigned char *buf)
{
    for (unsigned n = 2; n <= N; n++) {
        const uint64_t C = chunk_records(c->size, n, N, p);
        for (uint64_t i = 0; i < o[n].m; i += C) {
            uint64_t k = o[n].m - i < C ? o[n].m - i : C;
            lmp_token_id *w;
            float *lp, *lb;
            chunk_cols(buf, k, n, N, &w, &lp, &lb);
            for (uint64_t j = 0; j < k; j++) {
                uint32_t at = perm[n][i + j];
                memcpy(w + j * n, o[n].w + (uint64_t)at * n, n * sizeof *w);
                lp[j] = (float)o[n].lp[at];
                if (lb) lb[j] = (float)o[n].lb[at];
            }
            c->sent_bytes += k * rec_bytes(n, N); /* <= 4 MiB: one message */
            MPI_Ssend(buf, (int)(k * rec_bytes(n, N)), MPI_BYTE, 0, TAG_STREAM + (int)n, MPI_COMM_WORLD);
            if (n == 2 && i == 0) test_die(c, "writing"); /* a rank lost in the middle of the stream */
        }
    }
}

/* Rank 0's view of one rank's stream of the order being merged. */
typedef struct in_stream {
    uint64_t m[LMP_NGRAM_MAX_ORDER + 1];     /* the rank's n-grams of each order */
    uint64_t recvd[LMP_NGRAM_MAX_ORDER + 1]; /* how many of them rank 0 has received */
    uint64_t have, at;                        /* in the current chunk: records, next one */
    lmp_token_id *w;                          /* the current chunk's columns */
    float *lp, *lb;
    unsigned char *buf;
} in_stream;

typedef struct merger {
    ctx *c;
    const lmp_train_params *p;
    unsigned N, n;           /* the model's order; the order being merged (0: none yet) */
    const train_order *own;  /* rank 0's pieces and their written order */
    uint32_t *const *perm;
    in_stream *in;           /* [np] */
    int *heap, nheap;        /* ranks with n-grams left, by their next n-gram */
} merger;

static const lmp_token_id *head(const merger *g, int r)
{
    const in_stream *s = &g->in[r];
    if (r == 0) return g->own[g->n].w + (uint64_t)g->perm[g->n][s->at] * g->n;
    return s->w + s->at * g->n;
}

static inline int prefix_cmp(const lmp_token_id *a, const lmp_token_id *b, unsigned n)
{
    for (unsigned k = 0; k < n; k++)
        if (a[k] != b[k]) return a[k] < b[k] ? -1 : 1;
    return 0;
}

static void sift_down(merger *g, int i)
{
    for (;;) {
        int l = 2 * i + 1, best = i;
        if (l < g->nheap && prefix_cmp(head(g, g->heap[l]), head(g, g->heap[best]), g->n) < 0) best = l;
        if (l + 1 < g->nheap && prefix_cmp(head(g, g->heap[l + 1]), head(g, g->heap[best]), g->n) < 0) best = l + 1;
        if (best == i) return;
        int t = g->heap[i];
        g->heap[i] = g->heap[best];
        g->heap[best] = t;
        i = best;
    }
}

/* The next chunk of rank r's order n (r > 0). */
static void next_chunk(merger *g, int r, unsigned n)
{
    in_stream *s = &g->in[r];
    const uint64_t C = chunk_records(g->c->size, n, g->N, g->p), left = s->m[n] - s->recvd[n];
    s->have = left < C ? left : C;
    s->at = 0;
    recv_bytes(s->buf, s->have * rec_bytes(n, g->N), r, TAG_STREAM + (int)n);
    s->recvd[n] += s->have;
    chunk_cols(s->buf, s->have, n, g->N, &s->w, &s->lp, &s->lb);
}

static void merge_begin(merger *g, unsigned n)
{
    g->n = n;
    g->nheap = 0;
    for (int r = 0; r < g->c->size; r++) {
        in_stream *s = &g->in[r];
        s->at = s->have = 0;
        if (!s->m[n]) continue;
        if (r == 0) s->have = s->m[n];
        else next_chunk(g, r, n);
        g->heap[g->nheap++] = r;
    }
    for (int i = g->nheap / 2; i-- > 0;) sift_down(g, i);
}

/* train_pull_fn: the next `count` n-grams of order n over all ranks. */
static lmp_status merge_pull(void *arg, unsigned n, uint64_t count, lmp_token_id *w, float *lp, float *lb,
                             lmp_error *err)
{
    merger *g = arg;
    if (n != g->n) merge_begin(g, n);
    for (uint64_t k = 0; k < count; k++) {
        if (!g->nheap)
            return lmp_error_set(err, LMP_EINVAL, "internal: the ranks sent fewer %u-grams than they counted", n);
        const int r = g->heap[0];
        in_stream *s = &g->in[r];
        memcpy(w + k * n, head(g, r), n * sizeof *w);
        if (r == 0) {
            uint32_t at = g->perm[n][s->at];
            lp[k] = (float)g->own[n].lp[at];
            if (lb) lb[k] = (float)g->own[n].lb[at];
        } else {
            lp[k] = s->lp[s->at];
            if (lb) lb[k] = s->lb[s->at];
        }
        if (++s->at == s->have && r != 0 && s->recvd[n] < s->m[n]) next_chunk(g, r, n);
        if (s->at == s->have) g->heap[0] = g->heap[--g->nheap]; /* this rank has no more n-grams of order n */
        sift_down(g, 0);
    }
    return LMP_OK;
}

/* After a failed write: take what the ranks still send, so that none waits forever. */
static void merge_drain(merger *g)
{
    for (int r = 1; r < g->c->size; r++)
        for (unsigned n = 2; n <= g->N; n++)
            while (g->in[r].recvd[n] < g->in[r].m[n]) next_chunk(g, r, n);
}

/* Orders 2..N of every rank into the ARPA file at path: rank 0 writes m (the
 * metadata and unigrams, and o[n].m = every rank's count), the others send
 * their pieces o[n]. Collective; only rank 0 passes m, path and counts (rank
 * r's n-grams of order n at counts[r * (LMP_NGRAM_MAX_ORDER + 1) + n]). prior:
 * a failure before the call (rank 0's model), which every rank is told of first. */
static lmp_status write_streamed(ctx *c, train_order *o, unsigned N, uint32_t nwords, const lmp_train_params *p,
                                 lmp_train_model *m, const char *path, const uint64_t *counts, lmp_status prior,
                                 lmp_error *err)
{
    const int np = c->size;
    uint32_t *perm[LMP_NGRAM_MAX_ORDER + 1] = {NULL};
    unsigned char *sendbuf = NULL;
    merger g;
    memset(&g, 0, sizeof g);
    lmp_status st = prior;
    uint64_t most = 0; /* the largest chunk, in bytes */
    for (unsigned n = 2; n <= N; n++) {
        uint64_t b = chunk_records(np, n, N, p) * rec_bytes(n, N);
        if (b > most) most = b;
        if (!st) st = train_written_order(&o[n], nwords, &perm[n], err);
    }
    if (c->rank == 0) {
        g.in = calloc((size_t)np, sizeof *g.in);
        g.heap = calloc((size_t)np, sizeof *g.heap);
        if (!st && (!g.in || !g.heap)) st = lmp_error_set(err, LMP_ENOMEM, "writing ARPA: out of memory");
        for (int r = 1; !st && r < np; r++)
            if (!(g.in[r].buf = malloc(most))) st = lmp_error_set(err, LMP_ENOMEM, "writing ARPA: out of memory");
    } else if (!st && !(sendbuf = malloc(most))) {
        st = lmp_error_set(err, LMP_ENOMEM, "writing ARPA: out of memory for a chunk of %llu bytes",
                           (unsigned long long)most);
    }
    int failed = any_failed(c, st);
    if (failed) goto done;
    if (c->rank != 0) {
        stream_send(c, o, perm, N, p, sendbuf);
        failed = any_failed(c, LMP_OK);
        goto done;
    }
    g.c = c;
    g.p = p;
    g.N = N;
    g.own = o;
    g.perm = perm;
    for (int r = 0; r < np; r++)
        for (unsigned n = 2; n <= N; n++) g.in[r].m[n] = counts[(size_t)r * (LMP_NGRAM_MAX_ORDER + 1) + n];
    st = train_write_arpa_pulled(m, path, merge_pull, &g, err);
    if (st) merge_drain(&g);
    failed = any_failed(c, st);
done:
    for (unsigned n = 0; n <= N; n++) free(perm[n]);
    if (g.in)
        for (int r = 0; r < np; r++) free(g.in[r].buf);
    free(g.in);
    free(g.heap);
    free(sendbuf);
    return failed ? (st ? st : LMP_EIO) : LMP_OK;
}

static void report(const ctx *c, const char *stage, double t0)
{
    /* rank 0 tells the stages as lmprob train does (lmprob-mpi asks for them unless --quiet: a job of hours
     * showed nothing until its summary) */
    if (c->rank == 0 && c->p && c->p->progress) c->p->progress(c->p->progress_ctx, stage, 0);
    if (!getenv("LMPROB_MPI_STATS")) return;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    fprintf(stderr, "lmprob-mpi: rank %d: %s at %.2f s, peak RSS %ld KiB, sent %llu bytes\n", c->rank, stage,
            MPI_Wtime() - t0, ru.ru_maxrss, (unsigned long long)c->sent_bytes);
}

lmp_status mpi_train(const char *input, const char *arpa_output, const lmp_train_params *params, lmp_train_model **out,
                     int *written, lmp_error *err)
{
    *out = NULL;
    *written = 0;
    ctx c = {0, 1, 0, err, NULL};
    MPI_Comm_rank(MPI_COMM_WORLD, &c.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &c.size);
    double t0 = MPI_Wtime();
    lmp_train_params p;
    if (params) p = *params;
    else lmp_train_params_init(&p);
    if (p.threads == 0) p.threads = 2;
    lmp_status st = lmp_train_params_check(&p, err);
    if (!st && mpi_train_not_distributed(&p))
        st = lmp_error_set(err, LMP_EUNSUPPORTED, "--vocab, --min-count and --vocab-size are not distributed: "
                           "expected lmprob train for them");
    if (st) { /* the same on every rank: rank 0 says it */
        if (c.rank != 0) lmp_error_clear(err);
        return st;
    }
    if ((st = agree_job(&c, input, &p, err))) return st; /* first: the line limit follows the agreed budget */
    train_line_limit(&p); /* the lines lmprob train refuses, refused here too */
    c.p = &p;
    const unsigned N = p.order;
    const char *tmp = NULL;
    char *text = NULL;
    uint64_t b, e;
    lmp_vocab *lv = NULL, *gv = NULL;
    lmp_corpus *corpus = NULL;
    train_ids ids = {NULL, 0, 0};
    uint64_t *wcount = NULL, wcap = 0, vheld = 0;
    /* The rank's --memory budget bounds reading and counting (as lmp_train_model_create's); what
     * follows the exchange (malloc'ed receive buffers) is accounted in an unlimited budget. */
    train_budget bud, after;
    tb_init(&bud, p.memory);
    tb_init(&after, 0);
    lmp_train_info info;
    memset(&info, 0, sizeof info);
    lmp_train_model *m = NULL;
    train_order o[LMP_NGRAM_MAX_ORDER + 1];
    memset(o, 0, sizeof o);
    uint32_t nwords = 0;
    uint64_t *counts = NULL; /* rank 0, streaming: every rank's n-grams of each order (step 7) */

    /* 1. read this rank's lines (its folder for spilled runs checked first, as lmprob train's) */
    st = train_temp_dir(&p, &tmp, err);
    if (!st) st = lmp_vocab_create(&lv, err);
    if (!st && input[0] == '@') {
        st = read_files(&c, input + 1, &p, &bud, lv, &vheld, &ids, &wcount, &wcap, &info, err);
    } else if (!st) {
        st = read_range(&c, input, &text, &b, &e, err);
        if (!st) st = lmp_corpus_create(text, e - b, input, &p.corpus, &corpus, err);
        if (!st) st = train_read_ids(corpus, &p, &bud, lv, &vheld, &ids, &wcount, &wcap, &info, err);
        if (st == LMP_EFORMAT && err->line > 0) range_line(input, b, e, err);
    }
    lmp_corpus_free(corpus);
    free(text);
    tb_free(&bud, wcount);
    if (any_failed(&c, st)) goto fail;
    report(&c, "read", t0);

    /* 2. one vocabulary, in first-seen order over the whole file */
    if ((st = build_vocab(&c, lv, &ids, &gv, &nwords, err))) goto fail;
    lmp_vocab_free(lv);
    lv = NULL;
    uint64_t sums[2] = {info.tokens, info.sentences};
    MPI_Allreduce(MPI_IN_PLACE, sums, 2, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    info.tokens = sums[0];
    info.sentences = sums[1];
    if (info.sentences == 0) {
        st = lmp_error_set_at(err, LMP_EFORMAT, input, 0, "empty corpus: expected at least one line of text");
        if (c.rank != 0) lmp_error_clear(err);
        goto fail;
    }

    /* 3. count this rank's n-grams of the top order within --memory */
    uint64_t runs = 0;
    st = train_count_top(&bud, p.count_tables, &ids.v, ids.n, N, nwords, tmp, p.threads, &o[N], &runs, err);
    tb_free(&bud, ids.v); /* the counter frees it once counted; not on every error path */
    ids.v = NULL;
    test_die(&c, "counted");
    if (any_failed(&c, st)) goto fail;
    MPI_Reduce(c.rank == 0 ? MPI_IN_PLACE : &runs, &runs, 1, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
    info.spilled_runs = runs;
    report(&c, "counted", t0);

    /* 4. n-grams to the owner of their last word */
    if ((st = exchange(&c, &o[N], N, &p, err))) goto fail;
    report(&c, "exchanged", t0);
    /* the globally last record in suffix order carries lmplz's end-of-input quirk */
    lmp_token_id *lasts = malloc((size_t)c.size * (N + 1) * sizeof *lasts); /* per rank: has one (0/1), its words */
    lmp_token_id mine[LMP_NGRAM_MAX_ORDER + 1] = {0};
    if (o[N].m) {
        mine[0] = 1;
        memcpy(mine + 1, o[N].w + (o[N].m - 1) * N, N * sizeof *mine);
    }
    st = lasts ? LMP_OK : lmp_error_set(err, LMP_ENOMEM, "out of memory");
    if (any_failed(&c, st)) { /* this rank's block, when another rank's failed (scan-build) */
        free(lasts);
        goto fail;
    }
    MPI_Allgather(mine, (int)N + 1, MPI_INT32_T, lasts, (int)N + 1, MPI_INT32_T, MPI_COMM_WORLD);
    int holder = -1;
    for (int r = 0; r < c.size; r++)
        if (lasts[r * (N + 1)] &&
            (holder < 0 || suffix_cmp(lasts + r * (N + 1) + 1, lasts + holder * (N + 1) + 1, N) > 0))
            holder = r;
    free(lasts);
    int continuation = p.estimator == LMP_EST_MKN || p.estimator == LMP_EST_KN;
    st = train_adjust(&after, o, N, nwords, continuation, p.prune, p.threads, err);
    if (any_failed(&c, st)) goto fail;
    for (unsigned n = 1; n <= N; n++) o[n].n = n;
    report(&c, "adjusted", t0);

    /* 5. adjusted counts to rank 0 */
    uint64_t quirk[3 * (LMP_NGRAM_MAX_ORDER + 1)] = {0};
    for (unsigned n = 1; n < N; n++)
        if (c.rank == holder && o[n].last_raw_valid) {
            quirk[3 * n] = 1;
            quirk[3 * n + 1] = o[n].last_idx;
            quirk[3 * n + 2] = o[n].last_raw;
        }
    MPI_Allreduce(MPI_IN_PLACE, quirk, 3 * (int)(N + 1), MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    /* The interpolated estimators estimate where the data is (step 6); the others
     * (backoff models: add-k, MLE, Katz, stupid) estimate on rank 0 from the
     * gathered adjusted counts. One rank holds everything already: it runs the
     * one-machine estimation (the requests and answers would only copy and sort
     * its own n-grams: 1.9x the wall time and 1.5x the memory of lmprob train on
     * the bench's 12 M tokens, docs/mpi.md). */
    const int distributed = c.size > 1 && (p.estimator == LMP_EST_MKN || p.estimator == LMP_EST_KN ||
                                           p.estimator == LMP_EST_ABS || p.estimator == LMP_EST_WB);
    if (distributed) {
        /* 6. estimation on every rank; then rank 0 joins the pieces of the model */
        if ((st = estimate_distributed(&c, o, N, &p, holder, quirk, &info, &after, err))) goto fail;
        report(&c, "estimated", t0);
        /* the unigrams' log probabilities are the same everywhere; each backoff is on its word's owner only */
        for (uint64_t i = 0; N > 1 && i < o[1].m; i += 1 << 24) { /* order 1: no backoffs */
            int k = (int)(o[1].m - i < (1u << 24) ? o[1].m - i : (1u << 24));
            MPI_Reduce(c.rank == 0 ? MPI_IN_PLACE : o[1].lb + i, o[1].lb + i, k, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
            if (c.rank != 0) c.sent_bytes += (uint64_t)k * 8;
        }
        for (unsigned n = 2; n <= N && !arpa_output; n++) { /* a binary output is built from the whole model */
            void *col[2] = {o[n].lp, o[n].lb};
            st = gather_order(&c, &o[n], n, col, n < N ? 2 : 1, err);
            o[n].lp = col[0];
            o[n].lb = n < N ? col[1] : NULL;
            if (st) goto fail;
        }
    } else {
        /* 5. adjusted counts to rank 0. Unigrams: dense by word id, each counted on the owner of the word only */
        for (uint64_t i = 0; i < o[1].m; i += 1 << 24) {
            int k = (int)(o[1].m - i < (1u << 24) ? o[1].m - i : (1u << 24));
            MPI_Reduce(c.rank == 0 ? MPI_IN_PLACE : o[1].cnt + i, o[1].cnt + i, k, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
            if (c.rank != 0) c.sent_bytes += (uint64_t)k * 8;
        }
        for (unsigned n = 2; n <= N; n++) {
            void *col[1] = {o[n].cnt};
            st = gather_order(&c, &o[n], n, col, 1, err);
            o[n].cnt = col[0];
            if (st) goto fail;
        }
        for (unsigned n = 1; n < N && c.rank == 0; n++) {
            o[n].last_raw_valid = (int)quirk[3 * n];
            o[n].last_idx = n == 1 ? quirk[3 * n + 1] : o[n].m - 1; /* the holder's last n-gram is the global last */
            o[n].last_raw = quirk[3 * n + 2];
        }
    }
    const int stream = distributed && arpa_output; /* the ARPA file written while the pieces arrive (step 7) */
    /* rank 0 learns every rank's count of each order (the header's totals, and how much each rank will send) */
    enum { NC = LMP_NGRAM_MAX_ORDER + 1 };
    uint64_t my_counts[NC] = {0};
    if (stream) {
        for (unsigned n = 2; n <= N; n++) my_counts[n] = o[n].m;
        counts = c.rank == 0 ? calloc((size_t)c.size * NC, sizeof *counts) : NULL;
        st = c.rank == 0 && !counts ? lmp_error_set(err, LMP_ENOMEM, "writing ARPA: out of memory") : LMP_OK;
        if (any_failed(&c, st)) goto fail;
        MPI_Gather(my_counts, NC, MPI_UINT64_T, counts, NC, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    } else {
        report(&c, "gathered", t0);
    }
    /* peak_bytes (lmprob train --json): the largest rank's budgets, reading and counting (bud) and what follows
     * the exchange (after); rank 0 adds its model's estimation below. It was rank 0's model budget alone: 0
     * when the ranks estimate. */
    uint64_t peak = bud.peak + after.peak, peak_max = peak;
    MPI_Reduce(&peak, &peak_max, 1, MPI_UINT64_T, MPI_MAX, 0, MPI_COMM_WORLD);
    if (c.rank != 0) {
        if (stream) {
            st = write_streamed(&c, o, N, nwords, &p, NULL, NULL, NULL, LMP_OK, err);
            report(&c, "written", t0);
        }
        for (unsigned n = 0; n <= N; n++) train_order_free(&after, &o[n]);
        return st;
    }

    /* rank 0: the model (estimated already, or estimated here with the one-machine code) */
    if ((m = calloc(1, sizeof *m))) {
        m->order = N;
        m->est = p.estimator;
        tb_init(&m->budget, 0); /* rank 0 holds the model but when it streams: unbounded here (docs/mpi.md) */
        m->vocab = gv;
        gv = NULL;
        if (stream) { /* rank 0 keeps its own pieces (o) to merge them; the model has every rank's count */
            m->o[1] = o[1];
            memset(&o[1], 0, sizeof o[1]);
            for (unsigned n = 2; n <= N; n++) {
                m->o[n].n = n;
                for (int r = 0; r < c.size; r++) m->o[n].m += counts[(size_t)r * NC + n];
            }
        } else {
            memcpy(m->o, o, sizeof o);
            memset(o, 0, sizeof o);
        }
        info.order = N;
        info.estimator = p.estimator;
        info.vocab = nwords;
        m->info = info;
        if ((st = distributed ? train_finish_estimated(m, &p, err) : train_finish(m, &p, err)) && !stream) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "rank 0: %s", err->msg);
            memcpy(err->msg, msg, sizeof msg);
        }
        if (!st) {
            uint64_t own = peak + m->info.peak_bytes; /* train_finish*: the model budget's peak */
            m->info.peak_bytes = own > peak_max ? own : peak_max;
            /* lmprob train refuses to pass --memory; here it is not yet a bound (docs/mpi.md, "What is not
             * done"): said, where the ranks passed it in silence (WikiText-2 order 4 on 2 ranks at --memory 32M
             * peaked at 56.9 MiB) */
            if (p.memory && m->info.peak_bytes > p.memory)
                fprintf(stderr,
                        "lmprob-mpi: note: the largest rank's tracked memory peaked at %.1f MiB, above --memory %.1f "
                        "MiB: lmprob-mpi does not hold its ranks to --memory yet (docs/mpi.md)\n",
                        (double)m->info.peak_bytes / 1048576.0, (double)p.memory / 1048576.0);
        }
    } else {
        st = lmp_error_set(err, LMP_ENOMEM, "training: out of memory");
    }
    if (!distributed && !st) report(&c, "estimated", t0);
    if (stream) { /* the other ranks are in write_streamed: it agrees on st first */
        if (!st && p.progress) p.progress(p.progress_ctx, "writing ARPA", 0);
        st = write_streamed(&c, o, N, nwords, &p, m, arpa_output, counts, st, err);
        free(counts);
        counts = NULL;
        report(&c, "written", t0);
        for (unsigned n = 0; n <= N; n++) train_order_free(&after, &o[n]);
        *written = !st;
    }
    if (st) goto fail;
    *out = m;
    return LMP_OK;
fail:
    lmp_train_model_free(m);
    for (unsigned n = 0; n <= N; n++) train_order_free(&after, &o[n]);
    free(counts);
    free(ids.v);
    lmp_vocab_free(lv);
    lmp_vocab_free(gv);
    return st ? st : LMP_EIO;
}
