/* Fuzz `lmprob verify` (cli/verify.c and its adapter tables) on a golden-reference file: the JSON
 * reader, the case schema (function, args, expected, rtol/atol), the argument readers (vectors,
 * generators {"size","fill"}, matrices) and each adapter's checks on what it is given. Any file
 * gives a pass/fail count and no crash. Run with -close_fd_mask=3: verify prints its report. */
#include "fuzz.h"

#include "commands.h"
#include "verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_memfile(data, size, path);
    char *argv[] = {"verify", path, NULL};
    (void)cmd_verify(2, argv);
    fflush(stdout);
    close(fd);
    return 0;
}
