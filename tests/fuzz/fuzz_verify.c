/*
 * fuzz_verify.c - adbk_reader_verify on a repaired copy of the input: every
 * finding must name a real member (or none), and verify must say "intact"
 * exactly when it reported no finding.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy;
    struct fuzz_buf b;
    struct adbk_source src;
    struct adbk_reader *r = NULL;
    if (fuzz_open(data, size, 1, &copy, &b, &src, &r) == ADBK_OK) {
        fuzz_verify_checked(r);
        adbk_reader_close(r);
    }
    free(copy);
    return 0;
}
