/*
 * fuzz_salvage.c - adbk_salvage of the input (as is: salvage trusts no
 * checksum it has not checked itself, and the raw bytes are what it meets)
 * into memory, with the fixed test identity (fuzz_common.h), so that
 * encrypted inputs (seeds/) are opened too; inputs of odd size are repaired
 * signed by the fixed test key. When salvage writes a repaired archive, that
 * archive must open with the same identity (trusting that key when signed),
 * be encrypted exactly when salvage says, and verify as intact.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct out {
    uint8_t *p;
    size_t len, cap;
};

static int out_write(void *ctx, const void *buf, size_t len)
{
    struct out *o = ctx;
    if (o->cap - o->len < len) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap - o->len < len)
            cap *= 2;
        uint8_t *p = realloc(o->p, cap);
        if (!p)
            return ENOMEM;
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->len, buf, len);
    o->len += len;
    return 0;
}

static void on_damage(void *ctx, uint64_t offset, uint64_t length, const char *message)
{
    const struct fuzz_buf *b = ctx;
    FUZZ_ASSERT(message != NULL && message[0] != '\0');
    FUZZ_ASSERT(offset <= b->len && length <= b->len - offset);
}

static void on_member(void *ctx, const struct adbk_salvage_member *m)
{
    const struct fuzz_buf *b = ctx;
    FUZZ_ASSERT(m->archive_offset <= b->len);
    FUZZ_ASSERT(!m->complete || m->output_name != NULL);
    FUZZ_ASSERT(m->piece_count == 0 || m->pieces != NULL);
    FUZZ_ASSERT(m->lost_count == 0 || m->lost != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    FUZZ_ASSERT(copy != NULL);
    if (size)
        memcpy(copy, data, size);
    struct fuzz_buf b = {copy, size};
    struct adbk_source src = fuzz_source(&b);
    struct out o = {0};
    struct adbk_sink sink = {out_write, NULL, &o, "repaired archive"};
    /* With one thread, the repaired archive is compressed in this thread too:
     * a worker started and joined per input is what grows under ASan. */
    unsigned threads = fuzz_reader_options().threads;
    bool sign = size & 1;
    struct adbk_salvage_options so = {.level = 1, .threads = threads, .in_caller = threads == 1,
                                      .identities = fuzz_identity(), .identity_count = 1,
                                      .sign_key = sign ? fuzz_sign_key() : NULL};
    struct adbk_salvage_callbacks cb = {.damage = on_damage, .member = on_member, .ctx = &b};
    struct adbk_salvage_result res;
    struct adbk_error err = {0};
    adbk_status st = adbk_salvage(&src, &sink, &so, &cb, &res, &err);
    if (st == ADBK_OK) {
        /* What salvage writes is a whole, intact archive. */
        struct fuzz_buf rb = {o.p, o.len};
        struct adbk_source rsrc = fuzz_source(&rb);
        struct adbk_reader *r = NULL;
        struct adbk_error rerr = {0};
        struct adbk_reader_options ro = fuzz_reader_options();
        ro.identities = fuzz_identity();
        ro.identity_count = 1;
        ro.trusted = sign ? fuzz_signer() : NULL;
        ro.trusted_count = sign;
        adbk_status rst = adbk_reader_open_source(&rsrc, &ro, &r, &rerr);
        if (rst != ADBK_OK)
            fprintf(stderr, "fuzz_salvage: the repaired archive does not open: %s\n",
                    rerr.message);
        FUZZ_ASSERT(rst == ADBK_OK);
        const struct adbk_archive_info *in = adbk_reader_info(r);
        FUZZ_ASSERT(!!in->encrypted == !!res.encrypted && !in->locked);
        FUZZ_ASSERT(!!in->is_signed == sign && (!sign || in->trusted));
        rst = adbk_reader_verify(r, NULL, NULL, &rerr);
        if (rst != ADBK_OK)
            fprintf(stderr, "fuzz_salvage: the repaired archive does not verify: %s\n",
                    rerr.message);
        FUZZ_ASSERT(rst == ADBK_OK);
        adbk_reader_close(r);
    } else {
        fuzz_check_error(st, &err);
    }
    free(o.p);
    free(copy);
    return 0;
}
