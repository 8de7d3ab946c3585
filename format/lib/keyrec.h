/*
 * keyrec.h - opening what an encrypted archive (FORMAT.md 13) seals, as the
 * reader (unlock.c, decode.c) and salvage both do it: the key record with
 * the caller's secret keys, the sealed part of a member, chunk or
 * member-end record, and the sealed body of the encrypted index.
 *
 * Where fields lie is records.c's business and every primitive crypto.c's;
 * here they are put together once, so that the reader and salvage open an
 * archive the same way. Nothing here prints or keeps state; only
 * eidx_open allocates.
 */
#ifndef ADBK_KEYREC_H
#define ADBK_KEYREC_H

#include "crypto.h"
#include "records.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The key record's body (13.4, len bytes) against the identities (ids,
 * nids of them, borrowed): every stanza is decoded, and each X25519 stanza
 * tried with each identity until one opens. Returns the body's faults
 * (KEY_*, 0 when it is well formed). *count is Stanza_Count and *mac_at
 * where Header_MAC starts, so the stanzas as the writer copies them are
 * body[0 .. *mac_at). *found says whether an identity opened a stanza; then
 * file_key holds the File_Key (a secret: the caller wipes it). */
unsigned key_record_open(const uint8_t *body, size_t len, const struct adbk_age_identity *ids,
                         size_t nids, uint16_t *count, size_t *mac_at, bool *found,
                         uint8_t file_key[FILE_KEY_SIZE]);

/* What key_record_open's faults mean, worst first, for a message. */
const char *key_record_fault(unsigned faults);

/* The archive's keys (13.3) from file_key and archive_id into *k, and the
 * check of Header_MAC (the key body's 32 bytes at mac_at) over the header
 * record's frame (hdr, hdr_len bytes) and the body before mac_at. False,
 * with *k wiped, when the MAC does not match. */
bool key_record_keys(const uint8_t file_key[FILE_KEY_SIZE], const uint8_t archive_id[16],
                     const uint8_t *hdr, size_t hdr_len, const uint8_t *body, size_t mac_at,
                     struct archive_keys *k);

/* Opens the sealed part of a record of type REC_MBR, REC_CHK or REC_END
 * whose body sealed_decode read into r: the nonce from the type and r's
 * numbers, the AD the body's clear part. pt receives r->sealed_len -
 * SEAL_TAG bytes (it may be r->sealed itself: opened in place). False when
 * it does not authenticate (changed, moved, or from another archive). */
bool sealed_open(const struct archive_keys *k, uint32_t type, const uint8_t *body,
                 const struct sealed_rec *r, uint8_t *pt);

/* What eidx_open finds wrong. */
enum {
    EIDX_OPEN_MALFORMED = 1, /* the clear part, an entry or Sealed_Size runs past the body */
    EIDX_OPEN_AUTH,          /* the sealed index does not authenticate */
    EIDX_OPEN_NOMEM,
};
/* The encrypted index's body (13.6, blen bytes): its clear part into *x, and
 * its sealed index opened with k into *plain (malloc'd, *plain_len bytes:
 * the body of a plain index, FORMAT.md 3.5, which idx_decode reads). Clear
 * entries are stepped over by their Entry_Size, not checked. Returns 0 or
 * one of EIDX_OPEN_*. */
int eidx_open(const struct archive_keys *k, const uint8_t *body, size_t blen,
              struct eidx_rec *x, uint8_t **plain, size_t *plain_len);

#endif
