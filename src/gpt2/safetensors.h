/* The safetensors reader of the GPT-2 engine (library-internal).
 *
 * A safetensors file (https://github.com/huggingface/safetensors, format
 * section of its README) is: an unsigned 64-bit little-endian header length N,
 * N bytes of UTF-8 JSON, then the tensor data. The JSON maps each tensor name
 * to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the
 * first byte after the header), plus an optional "__metadata__" object of
 * string values.
 *
 * st_parse validates the whole header against the buffer before anything uses
 * it, as the reference implementation does (safetensors' Metadata::validate):
 *   - the buffer holds the 8 length bytes and the N header bytes (N <= 100 MB);
 *   - the header is one JSON object (the strict reader of lmprob/json.h);
 *   - every entry is an object with exactly a known dtype string, a shape of at
 *     most ST_MAX_DIMS non-negative integers, and two integer data_offsets with
 *     begin <= end <= data size; no duplicate names;
 *   - end - begin equals the element count times the dtype's size (no overflow);
 *   - sorted by offset, the tensors tile the data area: no overlap, no gap, and
 *     the last one ends at the end of the buffer;
 *   - __metadata__, when present, is an object of strings.
 * Every error names the tensor (or the header position) and what is wrong.
 *
 * It reads only the bytes it is given (never past `size`) and allocates memory
 * bounded by the header size. It is the entry point a fuzzer drives. */
#ifndef LMPROB_GPT2_SAFETENSORS_H
#define LMPROB_GPT2_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "lmprob/core.h"
#include "lmprob/json.h"

#define ST_MAX_DIMS 8
#define ST_MAX_HEADER ((uint64_t)100 << 20) /* the reference implementation's limit */

typedef enum st_dtype {
    ST_BOOL, ST_U8, ST_I8, ST_F8_E4M3, ST_F8_E5M2, ST_I16, ST_U16, ST_F16, ST_BF16,
    ST_I32, ST_U32, ST_F32, ST_F64, ST_I64, ST_U64, ST_NDTYPES
} st_dtype;

typedef struct st_tensor {
    const char *name;              /* points into the parsed header (st_file.json) */
    st_dtype dtype;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    uint64_t count;                /* product of the shape */
    uint64_t begin, end;           /* data_offsets */
    const unsigned char *data;     /* base + data_start + begin */
    const char *file;              /* a shard's path, for messages (model.c); NULL for the one file */
} st_tensor;

typedef struct st_file {
    const unsigned char *base;     /* the whole file */
    size_t size;
    size_t data_start;             /* 8 + N */
    st_tensor *t;                  /* in header order */
    size_t n;
    const lmp_json_value *metadata;/* the __metadata__ object, or NULL */
    lmp_json_value *json;          /* the parsed header (owns names and metadata) */
    char *strings;                 /* a PyTorch checkpoint's names (torch_ckpt.c), else NULL */
} st_file;

/* Parse and validate buf[0..size). `name` (may be NULL) labels the messages.
 * On error *out is zeroed and nothing is left allocated. */
lmp_status st_parse(const void *buf, size_t size, const char *name, st_file *out, lmp_error *err);
void st_free(st_file *f);

const char *st_dtype_name(st_dtype d);
size_t st_dtype_size(st_dtype d);
/* The st_tensor of that name, or NULL. */
const st_tensor *st_find(const st_file *f, const char *name);

#endif
