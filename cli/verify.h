/* `lmprob verify`: evaluate golden reference cases (schema: ../shared/golden/README.md).
 *
 * Each module registers adapters in its own table (cli/verify_<module>.c):
 *   const verify_entry verify_table_<module>[] = { {"normal_pdf", v_normal_pdf}, ..., {NULL, NULL} };
 * An adapter reads its arguments with the va_* helpers, calls the library, and
 * stores the result with vo_*. It returns 0, or -1 with a message in err. */
#ifndef LMPROB_CLI_VERIFY_H
#define LMPROB_CLI_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "lmprob/json.h"

typedef struct verify_out {
    double *v;      /* flattened result (row-major for matrices); owned by the runner */
    size_t n;       /* number of values */
    size_t rows;    /* 0 for a scalar, 1.. for vector (rows = n) or matrix */
    size_t cols;    /* 0 for scalar/vector */
    size_t max_n;   /* set by the runner: the case's expected value count. A result
                       longer than that cannot pass, so an adapter whose result size
                       comes from its arguments checks it first (vo_room), and never
                       allocates more than a case can hold (issue 11: {"size": 1e9}
                       in a 120-byte case took 7.8 GB) */
    int oom;        /* set by a vo_* writer whose allocation failed: the runner stops (out of memory is
                       not a failed case) */
} verify_out;

typedef int (*verify_fn)(const lmp_json_value *args, verify_out *out, char *err, size_t errlen);

typedef struct verify_entry {
    const char *function;
    verify_fn fn;
} verify_entry;

extern const verify_entry verify_table_dist[];   /* cli/verify_dist.c: rng, special functions, distributions */
extern const verify_entry verify_table_stats[];  /* cli/verify_stats.c: moments, tests, polyfit, nn, bayes */
extern const verify_entry verify_table_info[];   /* cli/verify_info.c: information theory, samplers */

/* Argument readers. Each returns 0, or -1 with "argument 'key': ..." in err. */
int va_double(const lmp_json_value *args, const char *key, double *out, char *err, size_t errlen);
int va_double_opt(const lmp_json_value *args, const char *key, double def, double *out, char *err, size_t errlen);
int va_long(const lmp_json_value *args, const char *key, long *out, char *err, size_t errlen);
int va_long_opt(const lmp_json_value *args, const char *key, long def, long *out, char *err, size_t errlen);
int va_bool_opt(const lmp_json_value *args, const char *key, int def, int *out, char *err, size_t errlen);
/* NULL when absent. */
const char *va_string_opt(const lmp_json_value *args, const char *key);
/* "base": "e" (or absent) -> e, 2 -> 2, 10 -> 10. */
int va_base(const lmp_json_value *args, const char *key, double *base, char *err, size_t errlen);
/* A vector: a JSON list (numbers or "inf"/"-inf"/"nan") or a generator object
 * {"size","fill","set"} / {"size","start","step"}. *v is malloc'd; caller frees. */
int va_vector(const lmp_json_value *args, const char *key, double **v, size_t *n, char *err, size_t errlen);
/* Same, requiring integers; stored as long. */
int va_long_vector(const lmp_json_value *args, const char *key, long **v, size_t *n, char *err, size_t errlen);
/* A matrix given as a list of rows of equal length; row-major, malloc'd. */
int va_matrix(const lmp_json_value *args, const char *key, double **m, size_t *rows, size_t *cols, char *err,
              size_t errlen);
/* 1 when the key is present. */
int va_has(const lmp_json_value *args, const char *key);

/* The largest vector a generator object may make: 2^24 values (128 MiB), 300
 * times a GPT-2 vocabulary; a larger "size" is an error. */
#define VERIFY_MAX_GENERATED (1u << 24)

/* 0 when a result of n values fits the case (n <= out->max_n); else -1 with
 * "<what> = n: ..." in err. */
int vo_room(const verify_out *out, uint64_t n, const char *what, char *err, size_t errlen);

/* Result writers. They copy; return 0, or -1 when out of memory (and set out->oom). */
int vo_scalar(verify_out *out, double x);
int vo_vector(verify_out *out, const double *v, size_t n);
int vo_long_vector(verify_out *out, const long *v, size_t n);
int vo_matrix(verify_out *out, const double *m, size_t rows, size_t cols);

int cmd_verify(int argc, char **argv);

#endif
