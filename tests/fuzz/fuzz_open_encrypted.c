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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
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
        fuzz_verify_checked(r);
        fuzz_read_all(r, ADBK_E_KEY);
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
        fuzz_read_all(r, ADBK_E_KEY);
        adbk_reader_close(r);
    }
    free(copy);
    return 0;
}
