/*
 * fuzz_read_member.c - adbk_reader_read_member on every member of a repaired
 * copy of the input: content arrives in order and never beyond the member's
 * size, and a member read as good has exactly its size and its XXH3-128.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct got {
    XXH3_state_t *h;
    uint64_t bytes, limit;
};

static int on_content(void *ctx, const void *buf, size_t len)
{
    struct got *g = ctx;
    FUZZ_ASSERT(len > 0);
    g->bytes += len;
    FUZZ_ASSERT(g->bytes <= g->limit);
    XXH3_128bits_update(g->h, buf, len);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy;
    struct fuzz_buf b;
    struct adbk_source src;
    struct adbk_reader *r = NULL;
    if (fuzz_open(data, size, 1, &copy, &b, &src, &r) == ADBK_OK) {
        XXH3_state_t *h = XXH3_createState();
        FUZZ_ASSERT(h != NULL);
        size_t n = adbk_reader_count(r);
        for (size_t i = 0; i < n; i++) {
            const struct adbk_entry *e = adbk_reader_member(r, i);
            struct got g = {.h = h, .limit = e->size};
            XXH3_128bits_reset(h);
            struct adbk_error err = {0};
            adbk_status st = adbk_reader_read_member(r, i, on_content, &g, &err);
            if (st == ADBK_OK) {
                FUZZ_ASSERT(g.bytes == e->size);
                XXH128_canonical_t c;
                XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h));
                FUZZ_ASSERT(memcmp(c.digest, e->xxh128, 16) == 0);
            } else {
                fuzz_check_error(st, &err);
                FUZZ_ASSERT(st != ADBK_E_NOMEM && st != ADBK_E_IO);
            }
        }
        /* Past the last member is an argument error, not a crash. */
        struct adbk_error err = {0};
        FUZZ_ASSERT(adbk_reader_read_member(r, n, NULL, NULL, &err) == ADBK_E_ARG);
        XXH3_freeState(h);
        adbk_reader_close(r);
    }
    free(copy);
    return 0;
}
