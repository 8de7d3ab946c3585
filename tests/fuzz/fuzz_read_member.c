/*
 * fuzz_read_member.c - adbk_reader_read_member on every member of a repaired
 * copy of the input: content arrives in order and never beyond the member's
 * size, and a member read as good has exactly its size and its XXH3-128.
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
        fuzz_read_all(r, ADBK_OK);
        size_t n = adbk_reader_count(r);
        /* Past the last member is an argument error, not a crash. */
        struct adbk_error err = {0};
        FUZZ_ASSERT(adbk_reader_read_member(r, n, NULL, NULL, &err) == ADBK_E_ARG);
        adbk_reader_close(r);
    }
    free(copy);
    return 0;
}
