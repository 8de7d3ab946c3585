/*
 * keyrec.c - opening what an encrypted archive seals (FORMAT.md 13), shared
 * by the reader and salvage: see keyrec.h.
 */
#include "keyrec.h"

#include <stdlib.h>
#include <string.h>

unsigned key_record_open(const uint8_t *body, size_t len, const struct adbk_age_identity *ids,
                         size_t nids, uint16_t *count, size_t *mac_at, bool *found,
                         uint8_t file_key[FILE_KEY_SIZE])
{
    *found = false;
    unsigned faults = key_decode(body, len, count, mac_at);
    if (faults)
        return faults;
    struct cursor c = {.p = body, .len = *mac_at, .pos = 2};
    for (uint16_t k = 0; k < *count; k++) {
        struct stanza_rec st;
        unsigned f = stanza_decode(&c, &st);
        if (f) {
            *found = false;
            return f;
        }
        /* Stanzas of other types are skipped (13.4); every stanza is still
         * decoded, so a malformed one after the one that opened is seen. As
         * age's readers must, a malformed X25519 stanza (not one 32-byte
         * share and a 32-byte body) and a share that gives an all-zero
         * secret are damage, not a stanza for someone else. */
        bool x25519 = st.type.len == 6 && memcmp(st.type.p, "X25519", 6) == 0;
        if (!x25519)
            continue;
        if (st.arg_count != 1 || st.args[0].len != X25519_SIZE || st.body.len != WRAPPED_SIZE) {
            *found = false;
            return KEY_X25519;
        }
        for (size_t i = 0; i < nids && !*found; i++) {
            int u = stanza_unwrap((const uint8_t *)st.args[0].p, (const uint8_t *)st.body.p,
                                  &ids[i], file_key);
            if (u < 0) {
                *found = false;
                return KEY_WEAK;
            }
            *found = u == 1;
        }
    }
    if (c.pos != *mac_at) {
        *found = false;
        return KEY_TRAILING;
    }
    return 0;
}

const char *key_record_fault(unsigned faults)
{
    return (faults & KEY_COUNT)      ? "no stanza, or over 1,024"
           : (faults & KEY_ARGS)     ? "a stanza with over 16 arguments"
           : (faults & KEY_TYPE)     ? "a stanza type that is not printable ASCII"
           : (faults & KEY_TRAILING) ? "bytes after its last stanza"
           : (faults & KEY_X25519)   ? "an X25519 stanza without one 32-byte share and a "
                                       "32-byte body"
           : (faults & KEY_WEAK)     ? "an X25519 share that gives an all-zero secret"
                                     : "a stanza runs past it";
}

bool key_record_keys(const uint8_t file_key[FILE_KEY_SIZE], const uint8_t archive_id[16],
                     const uint8_t *hdr, size_t hdr_len, const uint8_t *body, size_t mac_at,
                     struct archive_keys *k)
{
    keys_derive(file_key, archive_id, k);
    uint8_t mac[MAC_SIZE];
    header_mac(k, hdr, hdr_len, body, mac_at, mac);
    if (mac_equal(mac, body + mac_at))
        return true;
    crypto_wipe(k, sizeof *k);
    return false;
}

bool sealed_open(const struct archive_keys *k, uint32_t type, const uint8_t *body,
                 const struct sealed_rec *r, uint8_t *pt)
{
    return unseal(k, type, r->number, type == REC_CHK ? r->chunk : 0, body, r->clear_len,
                  r->sealed, r->sealed_len, pt);
}

int eidx_open(const struct archive_keys *k, const uint8_t *body, size_t blen,
              struct eidx_rec *x, uint8_t **plain, size_t *plain_len)
{
    *plain = NULL;
    *plain_len = 0;
    if (eidx_decode(body, blen, x) != 0)
        return EIDX_OPEN_MALFORMED;
    struct cursor c = {.p = body, .len = blen, .pos = EIDX_FIXED};
    for (uint64_t i = 0; i < x->member_count; i++) {
        struct centry_rec ce;
        if (centry_decode(&c, &ce))
            return EIDX_OPEN_MALFORMED;
    }
    const uint8_t *n = cur_take(&c, 4);
    uint32_t slen = n ? le_get32(n) : 0;
    size_t ad = c.pos;
    const uint8_t *sealed = n ? cur_take(&c, slen) : NULL;
    if (!sealed || slen < SEAL_TAG)
        return EIDX_OPEN_MALFORMED;
    uint8_t *pt = malloc(slen - SEAL_TAG ? slen - SEAL_TAG : 1);
    if (!pt)
        return EIDX_OPEN_NOMEM;
    if (!unseal(k, REC_IDX, 0, 0, body, ad, sealed, slen, pt)) {
        free(pt);
        return EIDX_OPEN_AUTH;
    }
    *plain = pt;
    *plain_len = slen - SEAL_TAG;
    return 0;
}
