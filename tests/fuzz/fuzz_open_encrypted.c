/*
 * fuzz_open_encrypted.c - encrypted (2.0) and signed (1.2) archives read with
 * their keys: a repaired copy of the input is opened with the fixed test
 * identity (fuzz_common.h), verified, and every member read; when it is
 * signed, it is opened again trusting the fixed test signer, and every
 * member read against its signed Span_Digest. Seeds: the archives in
 * seeds/, made with those keys (make-seeds.sh). Record checksums are
 * repaired as for the other targets; a seal (Poly1305 tag, Header_MAC,
 * signature) no mutation can forge, so what lies behind one is reached from
 * the seeds' own bytes and their clear parts.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
    const struct adbk_reader *r;
    uint64_t findings;
};

static void on_damage(void *ctx, const struct adbk_damage *d)
{
    struct seen *s = ctx;
    s->findings++;
    FUZZ_ASSERT(d->status != ADBK_OK);
    FUZZ_ASSERT(d->message != NULL && d->message[0] != '\0');
    FUZZ_ASSERT(d->member >= -1 && d->member < (long)adbk_reader_count(s->r));
    FUZZ_ASSERT(d->offset <= adbk_reader_info(s->r)->file_size);
}

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

/* Reads every member: a member read as good has its size and XXH3-128. */
static void read_all(struct adbk_reader *r, XXH3_state_t *h)
{
    for (size_t i = 0; i < adbk_reader_count(r); i++) {
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
            FUZZ_ASSERT(st != ADBK_E_NOMEM && st != ADBK_E_IO && st != ADBK_E_KEY);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    XXH3_state_t *h = XXH3_createState();
    FUZZ_ASSERT(h != NULL);
    struct adbk_reader_options ro = fuzz_reader_options();
    ro.identities = fuzz_identity();
    ro.identity_count = 1;
    uint8_t *copy;
    struct fuzz_buf b;
    struct adbk_source src;
    struct adbk_reader *r = NULL;
    bool signed_by_us = false;
    if (fuzz_open_with(data, size, 1, &ro, &copy, &b, &src, &r) == ADBK_OK) {
        const struct adbk_archive_info *in = adbk_reader_info(r);
        /* With the key given, an encrypted archive opens unlocked or not at all. */
        FUZZ_ASSERT(!in->locked);
        FUZZ_ASSERT(in->encrypted == (in->format_major == ADBK_FORMAT_ENCRYPTED_MAJOR));
        FUZZ_ASSERT(!in->trusted); /* nobody was trusted */
        signed_by_us = in->is_signed && in->signature_ok &&
                       memcmp(in->signer, fuzz_signer()->key, 32) == 0;
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
        read_all(r, h);
        adbk_reader_close(r);
    }
    free(copy);
    /* Signed: again, trusting the signer. What opened with a good signature
     * of this key opens trusted too. */
    ro.trusted = fuzz_signer();
    ro.trusted_count = 1;
    r = NULL;
    adbk_status st = fuzz_open_with(data, size, 1, &ro, &copy, &b, &src, &r);
    FUZZ_ASSERT(!signed_by_us || st == ADBK_OK);
    if (st == ADBK_OK) {
        const struct adbk_archive_info *in = adbk_reader_info(r);
        FUZZ_ASSERT(in->is_signed && in->signature_ok && in->trusted);
        read_all(r, h);
        adbk_reader_close(r);
    }
    free(copy);
    XXH3_freeState(h);
    return 0;
}
