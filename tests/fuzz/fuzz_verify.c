/*
 * fuzz_verify.c - adbk_reader_verify on a repaired copy of the input: every
 * finding must name a real member (or none), and verify must say "intact"
 * exactly when it reported no finding.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
    struct adbk_reader *r;
    uint64_t findings;
};

static void on_damage(void *ctx, const struct adbk_damage *d)
{
    struct seen *s = ctx;
    s->findings++;
    FUZZ_ASSERT(d->status != ADBK_OK);
    FUZZ_ASSERT(d->message != NULL && d->message[0] != '\0');
    FUZZ_ASSERT(d->member >= -1 && d->member < (long)adbk_reader_count(s->r));
    if (d->member >= 0)
        FUZZ_ASSERT(d->member_name == adbk_reader_member(s->r, (size_t)d->member)->name);
    else
        FUZZ_ASSERT(d->member_name == NULL);
    FUZZ_ASSERT(d->offset <= adbk_reader_info(s->r)->file_size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy;
    struct fuzz_buf b;
    struct adbk_source src;
    struct adbk_reader *r = NULL;
    if (fuzz_open(data, size, 1, &copy, &b, &src, &r) == ADBK_OK) {
        struct seen s = {.r = r};
        struct adbk_verify_callbacks cb = {.damage = on_damage, .ctx = &s};
        struct adbk_verify_result res;
        struct adbk_error err = {0};
        adbk_status st = adbk_reader_verify(r, &cb, &res, &err);
        FUZZ_ASSERT(res.damaged == s.findings);
        if (st == ADBK_OK) {
            FUZZ_ASSERT(s.findings == 0);
        } else {
            fuzz_check_error(st, &err);
            FUZZ_ASSERT(st != ADBK_E_NOMEM && st != ADBK_E_IO);
            FUZZ_ASSERT(s.findings > 0);
        }
        adbk_reader_close(r);
    }
    free(copy);
    return 0;
}
