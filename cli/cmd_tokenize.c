/* `lmprob tokenize` and `lmprob detokenize`: GPT-2's byte-level BPE on the
 * command line (include/lmprob/tokenizer.h, docs/tokenizer.md).
 *
 * Both stream: the input is read in 64 KiB chunks and ids (or bytes) go out as
 * soon as they are certain, so memory stays bounded whatever the input size
 * (tokenize: about twice the longest piece, capped by --max-piece; --threads N
 * reads the whole input instead). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"

#define CHUNK ((size_t)1 << 16)
#define IDS_PER_LINE 64

static void tok_usage(FILE *f)
{
    fprintf(f,
            "usage: lmprob tokenize [--gpt2-vocab DIR|FILE] [--ids|--tokens|--count|--u32] [--json] [--special]\n"
            "                       [--raw-bytes|--strict] [--threads N] [--max-piece BYTES] [-o OUT] [FILE|-]\n"
            "\n"
            "GPT-2's byte-level BPE: the token ids of FILE (or stdin), exactly as OpenAI's tiktoken and\n"
            "encoder.py give them (but for the 5,004 letters and digits new in Unicode 15.1 and 16.0: the\n"
            "classes here are Unicode 15.0's, docs/tokenizer.md). The text is read as bytes, streamed in\n"
            "bounded memory; a gzip or xz file (told apart by content) is decompressed first.\n"
            "\n"
            "  --gpt2-vocab P   GPT-2's vocabulary: a folder with tokenizer.json, encoder.json + vocab.bpe\n"
            "                   or vocab.json + merges.txt (a Hugging Face GPT-2 folder: tokenizer.json\n"
            "                   first, with its added tokens), one of those files, or a tiktoken rank file\n"
            "                   (r50k_base.tiktoken). Default: $%s, else the one `make` installs\n"
            "                   (build/gpt2) or `make install` (PREFIX/share/lmprob/gpt2)\n"
            "  --ids            ids, separated by spaces, %d a line (default; one of --ids, --tokens,\n"
            "                   --count, --u32)\n"
            "  --tokens         token names in GPT-2's byte alphabet (\" the\" is \"Ġthe\"), as in vocab.json\n"
            "  --count          the number of tokens only\n"
            "  --u32            ids as little-endian uint32, 4 bytes each (binary; not to a terminal)\n"
            "  --json           {\"ids\": [...]} or {\"tokens\": [...]}, then \"count\", \"bytes\", \"invalid_utf8\"\n"
            "  --special        \"<|endoftext|>\" in the text is the special token 50256, and so are a\n"
            "                   tokenizer.json's special tokens (default: ordinary text, as tiktoken's\n"
            "                   encode_ordinary; a tokenizer.json's other added tokens always split)\n"
            "  --raw-bytes      invalid UTF-8 bytes stay bytes (decoding gives the input back byte for\n"
            "                   byte); default: each invalid sequence is U+FFFD, as every reference sees it,\n"
            "                   with a note on stderr\n"
            "  --strict         invalid UTF-8 is an error (names line and byte)\n"
            "  --threads N      encode on N threads, 0 (all cores) to 1024, at most 64 used (reads the\n"
            "                   whole input into memory: same ids, and no --max-piece limit)\n"
            "  --max-piece B    longest pre-token streamed, in bytes (default %zu): a longer run of\n"
            "                   letters, digits, symbols or spaces is refused with its line\n"
            "  -o, --output F   write to F (through a temporary file, renamed when complete)\n"
            "\n"
            "examples:\n"
            "  lmprob tokenize ../shared/data/tinyshakespeare/input.txt --count     # 338025\n"
            "  echo 'Hello world' | lmprob tokenize                                 # 15496 995 198\n"
            "  lmprob tokenize --tokens <<< \"They'll say\"                          # They 'll Ġsay Ċ\n",
            CLI_GPT2_VOCAB_ENV, IDS_PER_LINE, (size_t)LMP_TOKENIZER_MAX_PIECE);
}

static void detok_usage(FILE *f)
{
    fprintf(f,
            "usage: lmprob detokenize [--gpt2-vocab DIR|FILE] [--u32|--tokens] [-o OUT] [FILE|-]\n"
            "\n"
            "GPT-2 token ids back to the bytes they stand for, streamed. The ids are decimal integers\n"
            "separated by white space or commas ('[' and ']' are ignored, so a JSON list works too);\n"
            "an id outside 0..vocab_size-1 is an error that names its line and position. Token names\n"
            "(--tokens) are separated by white space only: ',', '[' and ']' are tokens of their own.\n"
            "FILE may be gzip or xz (told apart by content).\n"
            "\n"
            "  --gpt2-vocab P   GPT-2's vocabulary, as for lmprob tokenize\n"
            "  --u32            the ids are little-endian uint32 (what lmprob tokenize --u32 writes)\n"
            "  --tokens         the input is token names (\"Ġthe\"), as lmprob tokenize --tokens writes\n"
            "  -o, --output F   write to F (through a temporary file, renamed when complete)\n"
            "\n"
            "example: lmprob tokenize text.txt | lmprob detokenize | cmp - text.txt\n");
}

/* ---- output ------------------------------------------------------------------------ */

typedef enum { OUT_IDS, OUT_TOKENS, OUT_COUNT, OUT_U32 } out_kind;

typedef struct writer {
    FILE *fp;
    out_kind kind;
    int json;
    uint64_t n;         /* ids written */
    char buf[1 << 16];
    size_t len;
    int err;
} writer;

static void w_flush(writer *w)
{
    if (w->len && fwrite(w->buf, 1, w->len, w->fp) != w->len) w->err = 1;
    w->len = 0;
}

static void w_put(writer *w, const void *p, size_t n)
{
    if (w->len + n > sizeof w->buf) w_flush(w);
    if (n > sizeof w->buf) {
        if (fwrite(p, 1, n, w->fp) != n) w->err = 1;
        return;
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

static void w_ids(writer *w, const lmp_tokenizer *tok, const lmp_token_id *ids, size_t n)
{
    for (size_t i = 0; i < n; i++, w->n++) {
        if (w->kind == OUT_COUNT) continue;
        if (w->kind == OUT_U32) {
            uint32_t v = (uint32_t)ids[i];
            unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                                  (unsigned char)(v >> 24)};
            w_put(w, b, 4);
            continue;
        }
        char sep[3];
        size_t ns = 0;
        if (w->json) {
            if (w->n) sep[ns++] = ',';
            if (w->n % IDS_PER_LINE == 0) sep[ns++] = '\n';
            else sep[ns++] = ' ';
        } else if (w->n) {
            sep[ns++] = w->n % IDS_PER_LINE == 0 ? '\n' : ' ';
        }
        w_put(w, sep, ns);
        if (w->kind == OUT_IDS) {
            char d[12];
            size_t k = sizeof d;
            uint32_t v = (uint32_t)ids[i];
            do d[--k] = (char)('0' + v % 10);
            while ((v /= 10) != 0);
            w_put(w, d + k, sizeof d - k);
        } else {
            size_t len;
            const char *nm = lmp_tokenizer_token_name(tok, ids[i], &len);
            if (w->json) {
                /* Names are printable UTF-8 without '"' escapes except '"' and '\\' themselves. */
                w_put(w, "\"", 1);
                for (size_t k = 0; k < len; k++) {
                    if (nm[k] == '"' || nm[k] == '\\') w_put(w, "\\", 1);
                    w_put(w, nm + k, 1);
                }
                w_put(w, "\"", 1);
            } else {
                w_put(w, nm, len);
            }
        }
    }
}

/* ---- what both commands open: the vocabulary, the input, the output ------------------- */

typedef struct io {
    lmp_tokenizer *tok;
    lmp_text_reader *in; /* decompressed as every text is (core.h, "texts"); NULL when read whole */
    const char *name; /* the input in messages */
    lmp_atomic_file af;
    int open_out;
    int slot; /* the temporary output, removed on SIGINT/SIGTERM (cli_output_watch) */
} io;

static int io_open(io *x, const char *cmd, const char *vocab, const char *path, int whole, const char *out)
{
    memset(x, 0, sizeof *x);
    x->name = cli_input_name(path);
    if (!(x->tok = cli_gpt2_load(cmd, vocab))) return -1;
    cli_stdin_note(cmd, path);
    lmp_error err;
    lmp_error_clear(&err);
    if (!whole && lmp_text_reader_open(path, &x->in, &err) != LMP_OK) {
        cli_error("%s: %s", cmd, err.msg);
        return -1;
    }
    if (lmp_atomic_open(&x->af, out, &err) != LMP_OK) {
        cli_error("%s: %s", cmd, err.msg);
        return -1;
    }
    x->open_out = 1;
    x->slot = cli_output_watch(x->af.tmp);
    return 0;
}

/* Commit the output (ok) or drop it; close everything. Returns the exit status. */
static int io_close(io *x, const char *cmd, int ok)
{
    int rc = ok ? CLI_OK : CLI_FAIL;
    if (x->open_out) {
        lmp_error err;
        lmp_error_clear(&err);
        if (!ok) {
            lmp_atomic_abort(&x->af);
        } else if (lmp_atomic_commit(&x->af, &err) != LMP_OK) {
            cli_error("%s: %s", cmd, err.msg);
            rc = CLI_FAIL;
        }
        cli_output_end(x->slot);
    }
    lmp_text_reader_free(x->in);
    lmp_tokenizer_free(x->tok);
    return rc;
}

/* ---- tokenize ------------------------------------------------------------------------ */

/* The whole input, for --threads (which splits it at pretokenizer boundaries); without it the input
 * streams, whatever its size. */
static int read_all(const char *path, char **data, size_t *len)
{
    lmp_error err;
    lmp_status st = lmp_read_text(path, 0, data, len, &err);
    if (st)
        cli_error("tokenize: %s%s", err.msg,
                  st == LMP_EUNSUPPORTED || st == LMP_ENOMEM
                      ? " (--threads reads the input whole; without it the input streams)"
                      : "");
    return st ? -1 : 0;
}

/* A failed write, in the words of every command: the file's name, or standard output's */
static void write_failed(const char *cmd, const char *out)
{
    if (!out || strcmp(out, "-") == 0) cli_stdout_failed(cmd, errno);
    else cli_error("%s: %s: write failed: %s", cmd, out, strerror(errno));
}

int cmd_tokenize(int argc, char **argv)
{
    const char *vocab = NULL, *path = NULL, *out = "-";
    out_kind kind = OUT_IDS;
    int json = 0, threads = 1;
    long threads_l = 1;
    unsigned flags = 0;
    size_t max_piece = LMP_TOKENIZER_MAX_PIECE;
    int as_ids = 0, tokens = 0, count = 0, u32 = 0, special = 0, raw = 0, strict = 0;
    uint64_t mp = UINT64_MAX; /* not given: the default, below */
    const cli_opt opts[] = {
        CLI_OPT_THREADS(&threads_l), CLI_OPT_OUTPUT(&out), CLI_OPT_JSON(&json), CLI_OPT_GPT2_VOCAB(&vocab),
        CLI_OPT_VOCAB_RENAMED,
        {.name = "--ids", .kind = CLI_OPT_FLAG, .dest = &as_ids},
        {.name = "--tokens", .kind = CLI_OPT_FLAG, .dest = &tokens},
        {.name = "--count", .kind = CLI_OPT_FLAG, .dest = &count},
        {.name = "--u32", .kind = CLI_OPT_FLAG, .dest = &u32},
        {.name = "--special", .kind = CLI_OPT_FLAG, .dest = &special},
        {.name = "--raw-bytes", .kind = CLI_OPT_FLAG, .dest = &raw},
        {.name = "--strict", .kind = CLI_OPT_FLAG, .dest = &strict},
        {.name = "--max-piece", .kind = CLI_OPT_U64, .dest = &mp, .expect = "a number of bytes from 64 to 2147483646 (2^31 - 2)"},
    };
    int prc = cli_parse("tokenize", argc, argv, opts, CLI_NOPTS(opts), &path, 1, NULL, tok_usage);
    if (prc) return prc;
    /* --max-piece bounds what the stream holds of one piece; --threads N reads the input whole and has no
     * such limit: given both, the limit was ignored in silence (a piece the stream refuses was encoded) */
    const int mp_given = mp != UINT64_MAX;
    if (!mp_given) mp = max_piece;
    if (mp_given && threads_l != 1) {
        cli_error("tokenize: --max-piece bounds the streamed reading (one thread); --threads %ld reads the input "
                  "whole, with no piece limit: expected one of them", threads_l);
        return CLI_USAGE;
    }
    if (mp < 64 || mp > LMP_TOKENIZER_PIECE_LIMIT) {
        cli_error("tokenize: --max-piece: expected a number of bytes from 64 to 2147483646 (2^31 - 2), got '%llu'",
                  (unsigned long long)mp);
        return CLI_USAGE;
    }
    max_piece = (size_t)mp;
    if (as_ids + tokens + count + u32 > 1) {
        cli_error("tokenize: --ids, --tokens, --count and --u32: expected one of them, got %d", as_ids + tokens + count + u32);
        return CLI_USAGE;
    }
    kind = tokens ? OUT_TOKENS : count ? OUT_COUNT : u32 ? OUT_U32 : OUT_IDS;
    flags = (special ? LMP_TOKENIZER_SPECIAL : 0u) | (raw ? LMP_TOKENIZER_RAW_BYTES : 0u) | (strict ? LMP_TOKENIZER_STRICT : 0u);
    /* the shared domain 0..1024: 0 is every online core; the encoder runs at most 64 */
    if (threads_l == 0) {
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        threads_l = nc > 0 ? nc : 1;
    }
    threads = threads_l > 64 ? 64 : (int)threads_l;
    if ((flags & LMP_TOKENIZER_RAW_BYTES) && (flags & LMP_TOKENIZER_STRICT)) {
        cli_error("tokenize: --raw-bytes and --strict exclude each other");
        return CLI_USAGE;
    }
    if (kind == OUT_U32 && json) {
        cli_error("tokenize: --u32 is binary: not with --json");
        return CLI_USAGE;
    }
    if (kind == OUT_U32 && cli_check_binary_stdout("tokenize", "--u32", out)) return CLI_USAGE;
    if (!path) path = "-";
    io x;
    lmp_error err;
    lmp_error_clear(&err);
    int ok = 0;
    char vpath[4200]; /* the vocabulary that will be read, however it is found (--gpt2-vocab, $LMPROB_GPT2_VOCAB, default) */
    const char *inputs[] = {path, cli_gpt2_vocab_path(vocab, vpath, sizeof vpath)};
    if ((prc = cli_check_output_from("tokenize", out, inputs, 2))) return prc;
    if (io_open(&x, "tokenize", vocab, path, threads > 1, out)) return io_close(&x, "tokenize", 0);
    const lmp_tokenizer *tok = x.tok;
    lmp_text_reader *in = x.in;
    const char *name = x.name;
    writer *w = calloc(1, sizeof *w);
    lmp_token_buf ids;
    lmp_token_buf_init(&ids);
    lmp_tokenizer_stream *s = NULL;
    char *chunk = NULL, *all = NULL;
    uint64_t bytes = 0, invalid = 0;
    long inv_line = 0, inv_col = 0;
    char emsg[sizeof err.msg + 200] = ""; /* an error after the JSON opened: closes it (below) */
    if (!w) {
        cli_error("tokenize: out of memory");
        goto done;
    }
    w->fp = x.af.fp;
    w->kind = kind;
    w->json = json;
    if (json && kind != OUT_COUNT) w_put(w, kind == OUT_TOKENS ? "{\"tokens\": [" : "{\"ids\": [", kind == OUT_TOKENS ? 12 : 9);

    if (threads > 1) {
        size_t len;
        if (read_all(path, &all, &len)) goto done;
        if (lmp_tokenizer_encode_threads(tok, all, len, flags, threads, &ids, &err) != LMP_OK) {
            snprintf(emsg, sizeof emsg, "%s: %s", name, err.msg);
            cli_error("tokenize: %s", emsg);
            goto done;
        }
        bytes = len;
        w_ids(w, tok, ids.ids, ids.n);
        size_t first;
        invalid = lmp_tokenizer_invalid_utf8(all, len, &first);
        if (invalid) {
            inv_line = 1;
            size_t ls = 0;
            for (const char *p = all; (p = memchr(p, '\n', (size_t)(all + first - p))) != NULL; p++) {
                inv_line++;
                ls = (size_t)(p - all) + 1;
            }
            inv_col = (long)(first - ls) + 1;
        }
    } else {
        if (lmp_tokenizer_stream_create(tok, flags, max_piece, &s, &err) != LMP_OK || !(chunk = malloc(CHUNK))) {
            cli_error("tokenize: %s", s ? "out of memory" : err.msg);
            goto done;
        }
        for (;;) {
            size_t got;
            if (lmp_text_reader_read(in, chunk, CHUNK, &got, &err) != LMP_OK) {
                snprintf(emsg, sizeof emsg, "%s", err.msg);
                cli_error("tokenize: %s", emsg);
                goto done;
            }
            lmp_status st = got ? lmp_tokenizer_stream_feed(s, chunk, got, &ids, &err)
                                : lmp_tokenizer_stream_finish(s, &ids, &err);
            if (st != LMP_OK) {
                snprintf(emsg, sizeof emsg, "%s: %s%s", name, err.msg,
                         st == LMP_ERANGE ? "; --max-piece BYTES raises the limit" : "");
                cli_error("tokenize: %s", emsg);
                goto done;
            }
            w_ids(w, tok, ids.ids, ids.n);
            ids.n = 0;
            if (w->err) break;
            if (got == 0) break;
        }
        lmp_tokenizer_stream_stats stats;
        lmp_tokenizer_stream_get_stats(s, &stats);
        bytes = stats.bytes;
        invalid = stats.invalid;
        inv_line = stats.first_invalid_line;
        inv_col = stats.first_invalid_col;
    }
    if (json) {
        char tail[200];
        int k;
        if (kind == OUT_COUNT)
            k = snprintf(tail, sizeof tail, "{\"count\": %llu, \"bytes\": %llu, \"invalid_utf8\": %llu}\n",
                         (unsigned long long)w->n, (unsigned long long)bytes, (unsigned long long)invalid);
        else
            k = snprintf(tail, sizeof tail, "\n], \"count\": %llu, \"bytes\": %llu, \"invalid_utf8\": %llu}\n",
                         (unsigned long long)w->n, (unsigned long long)bytes, (unsigned long long)invalid);
        w_put(w, tail, (size_t)k);
    } else if (kind == OUT_COUNT) {
        char tail[40];
        int k = snprintf(tail, sizeof tail, "%llu\n", (unsigned long long)w->n);
        w_put(w, tail, (size_t)k);
    } else if (kind != OUT_U32 && w->n) {
        w_put(w, "\n", 1);
    }
    w_flush(w);
    if (w->err) {
        write_failed("tokenize", out);
        goto done;
    }
    if (invalid && !(flags & LMP_TOKENIZER_RAW_BYTES))
        cli_note_invalid_utf8("tokenize", name, (unsigned long long)invalid, inv_line, inv_col,
                              "; --raw-bytes keeps the bytes, --strict refuses them");
    ok = 1;
done:
    /* The ids stream as they are made (bounded memory): what came out before an error stays, a prefix of
     * the result (docs/cli.md); a JSON object is closed with the error in it, as generate and ppl close
     * theirs (it ended open after '{"ids": [' and thousands of ids). A file output is dropped anyway. */
    if (!ok && w && json && kind != OUT_COUNT && emsg[0] && !w->err) {
        w_flush(w);
        cli_json_close_error(w->fp, "\n]", emsg);
    }
    free(w);
    free(chunk);
    free(all);
    lmp_token_buf_free(&ids);
    lmp_tokenizer_stream_free(s);
    return io_close(&x, "tokenize", ok);
}

/* ---- detokenize ----------------------------------------------------------------------- */

int cmd_detokenize(int argc, char **argv)
{
    const char *vocab = NULL, *path = NULL, *out = "-";
    int u32 = 0, names = 0;
    const cli_opt opts[] = {
        CLI_OPT_OUTPUT(&out), CLI_OPT_GPT2_VOCAB(&vocab), CLI_OPT_VOCAB_RENAMED,
        {.name = "--u32", .kind = CLI_OPT_FLAG, .dest = &u32},
        {.name = "--tokens", .kind = CLI_OPT_FLAG, .dest = &names},
    };
    int prc = cli_parse("detokenize", argc, argv, opts, CLI_NOPTS(opts), &path, 1, NULL, detok_usage);
    if (prc) return prc;
    if (u32 && names) {
        cli_error("detokenize: --u32 and --tokens exclude each other");
        return CLI_USAGE;
    }
    if (!path) path = "-";
    io x;
    int ok = 0;
    char vpath[4200];
    const char *inputs[] = {path, cli_gpt2_vocab_path(vocab, vpath, sizeof vpath)};
    if ((prc = cli_check_output_from("detokenize", out, inputs, 2))) return prc;
    if (io_open(&x, "detokenize", vocab, path, 0, out)) return io_close(&x, "detokenize", 0);
    const lmp_tokenizer *tok = x.tok;
    lmp_text_reader *in = x.in;
    const char *name = x.name;
    unsigned char *chunk = malloc(CHUNK + 8);
    size_t vocab_n = lmp_tokenizer_vocab_size(tok);
    uint64_t pos = 0; /* ids read */
    long line = 1;
    /* Text mode: a token (digits, or a name) may span two chunks: keep it in `word`. */
    char word[4096];
    size_t wl = 0;
    unsigned char carry[4];
    size_t nc = 0;
    int bom_seen = 0; /* the input's first separator was reached: a byte-order mark is only at the start */
    if (!chunk) {
        cli_error("detokenize: out of memory");
        goto done;
    }
    for (;;) {
        size_t got;
        lmp_error rerr;
        if (lmp_text_reader_read(in, chunk, CHUNK, &got, &rerr) != LMP_OK) {
            cli_error("detokenize: %s", rerr.msg);
            goto done;
        }
        int eof = got == 0;
        if (u32) {
            size_t i = 0;
            while (nc && i < got && nc < 4) carry[nc++] = chunk[i++];
            if (eof && nc) {
                cli_error("detokenize: %s: %zu trailing bytes: expected a whole number of 4-byte ids", name, nc);
                goto done;
            }
            for (;;) {
                uint32_t v;
                if (nc == 4) {
                    v = (uint32_t)carry[0] | (uint32_t)carry[1] << 8 | (uint32_t)carry[2] << 16 |
                        (uint32_t)carry[3] << 24;
                    nc = 0;
                } else if (i + 4 <= got) {
                    v = (uint32_t)chunk[i] | (uint32_t)chunk[i + 1] << 8 | (uint32_t)chunk[i + 2] << 16 |
                        (uint32_t)chunk[i + 3] << 24;
                    i += 4;
                } else {
                    while (i < got) carry[nc++] = chunk[i++];
                    break;
                }
                if (v >= vocab_n) {
                    cli_error("detokenize: %s: id %lu at position %llu (byte %llu): expected an id from 0 to %zu", name,
                              (unsigned long)v, (unsigned long long)pos, (unsigned long long)pos * 4, vocab_n - 1);
                    goto done;
                }
                size_t len;
                const char *b = lmp_tokenizer_token_bytes(tok, (lmp_token_id)v, &len);
                if (fwrite(b, 1, len, x.af.fp) != len) goto werr;
                pos++;
            }
        } else {
            for (size_t i = 0; i <= got; i++) {
                int end = i == got;
                if (end && !eof) break;
                unsigned c = end ? ' ' : chunk[i];
                /* A token name never holds white space (GPT-2's byte alphabet spells it Ġ, Ċ, ĉ, č), but
                 * ",", "[" and "]" are names of tokens: they separate ids only (a JSON list of ids). */
                int sep = c == ' ' || c == '\n' || c == '\t' || c == '\r' ||
                          (!names && (c == ',' || c == '[' || c == ']'));
                if (!sep) {
                    if (wl == sizeof word) {
                        cli_error("detokenize: %s: line %ld: a token longer than %zu bytes: expected %s separated by "
                                  "white space%s",
                                  name, line, sizeof word, names ? "token names" : "token ids",
                                  names ? "" : " or commas");
                        goto done;
                    }
                    word[wl++] = (char)c;
                    continue;
                }
                /* a byte-order mark at the start (an editor's UTF-8 "with BOM"): skipped, as the numbers
                 * files and corpora skip it; it was read as part of the first id */
                if (!bom_seen && wl >= 3 && memcmp(word, "\xEF\xBB\xBF", 3) == 0) {
                    memmove(word, word + 3, wl - 3);
                    wl -= 3;
                }
                bom_seen = 1;
                if (wl) {
                    lmp_token_id id = LMP_TOKEN_NONE;
                    char shown[400];
                    /* the value as typed, a NUL or control byte escaped (%s would stop at a NUL) */
                    cli_show(shown, sizeof shown, word, wl);
                    const char *nul = memchr(word, '\0', wl);
                    char at[64] = "";
                    if (nul) snprintf(at, sizeof at, " (a NUL byte at byte %zu of it)", (size_t)(nul - word) + 1);
                    if (names) {
                        id = lmp_tokenizer_find_name(tok, word, wl);
                        if (id == LMP_TOKEN_NONE) {
                            cli_error("detokenize: %s: line %ld (the input's token %llu, counted from 0): '%s'%s is not a token name",
                                      name, line, (unsigned long long)pos, shown, at);
                            goto done;
                        }
                    } else {
                        if (cli_scan_token_id(word, wl, &id) || (size_t)id >= vocab_n) {
                            cli_error("detokenize: %s: line %ld (the input's token %llu, counted from 0): '%s'%s: expected an id from "
                                      "0 to %zu", name, line, (unsigned long long)pos, shown, at, vocab_n - 1);
                            goto done;
                        }
                    }
                    size_t len;
                    const char *b = lmp_tokenizer_token_bytes(tok, id, &len);
                    if (fwrite(b, 1, len, x.af.fp) != len) goto werr;
                    pos++;
                    wl = 0;
                }
                if (c == '\n') line++;
            }
        }
        if (eof) break;
    }
    ok = 1;
    goto done;
werr:
    write_failed("detokenize", out);
done:
    free(chunk);
    return io_close(&x, "detokenize", ok);
}
