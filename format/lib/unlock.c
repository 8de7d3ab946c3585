/*
 * unlock.c - what a reader does beyond FORMAT.md 3-4 at open: the key record
 * of an encrypted archive opened with the caller's secret keys (13.4), the
 * encrypted index with its clear entries and sealed body (13.6), and the
 * signature trailer (12).
 *
 * Without a key an encrypted archive opens locked: its clear parts are
 * checked as strictly as a plain archive's index (tiling, chunk counts), and
 * its entries are named "#N". With a key, the sealed index is opened and
 * parsed as the plain index it is, and every clear field must equal its
 * sealed copy: the clear parts can be trusted no more than the key can.
 */
#include "keyrec.h"
#include "reader_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ key record */

adbk_status rd_open_keys(struct adbk_reader *r, const struct adbk_reader_options *o,
                         struct adbk_error *err)
{
    const char *name = r->src->name;
    if (!crypto_ready())
        return err_set(err, ADBK_E_IO, "%s: libsodium cannot start", name);
    struct seek_entry *se;
    adbk_status st = rd_seek_entries(r, 1, 1, &se, err);
    if (st != ADBK_OK)
        return st;
    uint64_t klen = se->csize;
    bool plain = se->dsize == 0 && se->checksum == EMPTY_XXH64_LOW32;
    free(se);
    if (!plain || klen > KEY_REC_MAX)
        return err_set(err, ADBK_E_CORRUPT, "%s: the seek-table entry of the key record is "
                       "wrong (%llu bytes)", name, (unsigned long long)klen);
    /* Every frame lies before the seek table: so does the prefix, which the
     * index's place is computed from. */
    if (klen > r->seek_offset - r->header_len)
        return err_set(err, ADBK_E_CORRUPT, "%s: the key record (%llu bytes, per the seek "
                       "table) runs into the seek table", name, (unsigned long long)klen);
    uint8_t *f;
    const uint8_t *body;
    size_t blen;
    st = rd_record(r, r->header_len, klen, REC_KEY, false, &f, &body, &blen, err);
    if (st != ADBK_OK)
        return st;
    st = rd_take_key_record(r, o, f, klen, blen, err);
    free(f);
    return st;
}

adbk_status rd_take_key_record(struct adbk_reader *r, const struct adbk_reader_options *o,
                               const uint8_t *f, uint64_t klen, size_t blen,
                               struct adbk_error *err)
{
    const char *name = r->src->name;
    const uint8_t *body;
    if (!crypto_ready())
        return err_set(err, ADBK_E_IO, "%s: libsodium cannot start", name);
    uint8_t *prefix = realloc(r->prefix, (size_t)(r->header_len + klen));
    if (!prefix)
        return err_set(err, ADBK_E_NOMEM, "%s: no memory for the key record", name);
    memcpy(prefix + r->header_len, f, (size_t)klen);
    r->prefix = prefix;
    r->prefix_len = r->header_len + klen;
    r->prefix_frames = 2;
    body = prefix + r->header_len + REC_HEAD;

    uint16_t count;
    size_t mac_at;
    uint8_t file_key[FILE_KEY_SIZE];
    bool found;
    size_t nids = o ? o->identity_count : 0;
    unsigned faults = key_record_open(body, blen, nids ? o->identities : NULL, nids, &count,
                                      &mac_at, &found, file_key);
    r->info.recipient_count = count;
    if (faults)
        return err_set(err, ADBK_E_CORRUPT, "%s: the key record is damaged (%s)", name,
                       key_record_fault(faults));
    if (!nids)
        return ADBK_OK; /* locked: the clear parts only */
    if (!found)
        return err_set(err, ADBK_E_KEY, "%s is encrypted to %u recipient%s, and none of the %zu "
                       "key%s given opens it", name, count, count == 1 ? "" : "s",
                       nids, nids == 1 ? "" : "s");
    bool mac_ok = key_record_keys(file_key, r->info.archive_id, r->prefix, (size_t)r->header_len,
                                  body, mac_at, &r->keys);
    crypto_wipe(file_key, sizeof file_key);
    if (!mac_ok)
        return err_set(err, ADBK_E_AUTH, "%s: a key opens the archive, but its header MAC "
                       "fails: the header or the key record was changed", name);
    r->unlocked = true;
    r->info.locked = 0;
    return ADBK_OK;
}

/* ------------------------------------------------------------ encrypted index */

/* The clear entries, tiled; into r->entries when locked, else into c[]. */
static adbk_status clear_entries(struct adbk_reader *r, struct cursor *cur, uint64_t count,
                                 struct centry_rec *ce, struct adbk_error *err)
{
    const char *name = r->src->name;
    uint64_t frame = r->prefix_frames, off = r->prefix_len;
    for (uint64_t i = 0; i < count; i++) {
        if (centry_decode(cur, &ce[i]))
            return err_set(err, ADBK_E_CORRUPT, "%s: clear index entry %llu has a bad size",
                           name, (unsigned long long)i);
        if (r->info.is_signed && !ce[i].digest)
            return err_set(err, ADBK_E_CORRUPT, "%s: clear index entry %llu has no Span_Digest",
                           name, (unsigned long long)i);
        struct adbk_entry e = {.name = "", .size = ce[i].size, .first_frame = ce[i].first_frame,
                               .offset = ce[i].offset, .chunk_count = ce[i].chunk_count,
                               .span = ce[i].span, .span_xxh64 = ce[i].span_hash};
        char shown[32];
        snprintf(shown, sizeof shown, "#%llu", (unsigned long long)i);
        adbk_status st = rd_tile(r, i, &e, &frame, &off, err);
        if (st == ADBK_OK)
            st = rd_chunk_count_rule(r, &e, shown, err);
        if (st != ADBK_OK)
            return st;
        if (r->info.is_signed)
            memcpy(r->digests[i], ce[i].digest, DIGEST_SIZE);
        if (r->unlocked)
            continue;
        e.name = strdup(shown);
        e.source_path = strdup("");
        r->entries[i] = e;
        r->count = (size_t)i + 1;
        if (!e.name || !e.source_path)
            return err_set(err, ADBK_E_NOMEM, "%s: no memory for index entry %llu", name,
                           (unsigned long long)i);
    }
    if (frame != r->info.frame_count - 1 || off != r->info.index_offset)
        return err_set(err, ADBK_E_CORRUPT, "%s: the index's members end at frame %llu, byte "
                       "%llu, but the index is frame %llu at byte %llu", name,
                       (unsigned long long)frame, (unsigned long long)off,
                       (unsigned long long)(r->info.frame_count - 1),
                       (unsigned long long)r->info.index_offset);
    return ADBK_OK;
}

/* The sealed index, opened and parsed as the plain index it is; its entries
 * must agree with the clear ones. */
static adbk_status open_sealed(struct adbk_reader *r, const uint8_t *body, size_t ad,
                               const uint8_t *sealed, size_t slen, uint64_t ioff,
                               const struct centry_rec *ce, uint64_t count,
                               struct adbk_error *err)
{
    const char *name = r->src->name;
    uint8_t *plain = malloc(slen - SEAL_TAG ? slen - SEAL_TAG : 1);
    if (!plain)
        return err_set(err, ADBK_E_NOMEM, "%s: no memory for the index", name);
    adbk_status st = ADBK_OK;
    if (!unseal(&r->keys, REC_IDX, 0, 0, body, ad, sealed, slen, plain))
        st = err_set(err, ADBK_E_AUTH, "%s: the sealed index does not authenticate: changed, or "
                     "taken from another archive", name);
    size_t end;
    if (st == ADBK_OK)
        st = rd_parse_plain_index(r, plain, slen - SEAL_TAG, ioff, &end, err);
    if (st == ADBK_OK && r->count != count)
        st = err_set(err, ADBK_E_CORRUPT, "%s: the sealed index holds %zu members, the clear one "
                     "%llu", name, r->count, (unsigned long long)count);
    for (size_t i = 0; st == ADBK_OK && i < r->count; i++) {
        const struct adbk_entry *e = &r->entries[i];
        if (e->size != ce[i].size || e->first_frame != ce[i].first_frame ||
            e->offset != ce[i].offset || e->chunk_count != ce[i].chunk_count ||
            e->span != ce[i].span || e->span_xxh64 != ce[i].span_hash)
            st = err_set(err, ADBK_E_CORRUPT, "%s: index entry %zu differs between its clear "
                         "and sealed forms", name, i);
    }
    free(plain);
    return st;
}

adbk_status rd_parse_sealed_index(struct adbk_reader *r, const uint8_t *body, size_t blen,
                                  uint64_t index_offset, size_t *end, struct adbk_error *err)
{
    const char *name = r->src->name;
    struct eidx_rec x;
    unsigned f = eidx_decode(body, blen, &x);
    if (f & EIDX_SHORT)
        return err_set(err, ADBK_E_CORRUPT, "%s: index record is too short", name);
    if (memcmp(x.archive_id, r->info.archive_id, 16) != 0 || x.created != r->info.created_sec)
        return err_set(err, ADBK_E_CORRUPT, "%s: the index belongs to another archive (its id "
                       "or time differ from the header's)", name);
    if (x.index_frame != r->info.frame_count - 1 || x.index_offset != index_offset)
        return err_set(err, ADBK_E_CORRUPT, "%s: the index says it is frame %llu at byte %llu; "
                       "the seek table puts it at frame %llu, byte %llu", name,
                       (unsigned long long)x.index_frame, (unsigned long long)x.index_offset,
                       (unsigned long long)(r->info.frame_count - 1),
                       (unsigned long long)index_offset);
    if (f & EIDX_COUNTS)
        return err_set(err, ADBK_E_CORRUPT, "%s: index claims %llu members, more than its %zu "
                       "bytes hold", name, (unsigned long long)x.member_count, blen);
    r->info.not_after = x.not_after;
    uint64_t count = x.member_count;
    struct centry_rec *ce = calloc(count ? (size_t)count : 1, sizeof *ce);
    if (!r->unlocked) {
        r->entries = calloc(count ? (size_t)count : 1, sizeof *r->entries);
        r->extras = calloc(count ? (size_t)count : 1, sizeof *r->extras);
    }
    if (r->info.is_signed)
        r->digests = calloc(count ? (size_t)count : 1, sizeof *r->digests);
    adbk_status st = ADBK_OK;
    if (!ce || (!r->unlocked && (!r->entries || !r->extras)) ||
        (r->info.is_signed && !r->digests))
        st = err_set(err, ADBK_E_NOMEM, "%s: no memory for %llu index entries", name,
                     (unsigned long long)count);
    struct cursor c = {.p = body, .len = blen, .pos = EIDX_FIXED};
    if (st == ADBK_OK)
        st = clear_entries(r, &c, count, ce, err);
    const uint8_t *n = st == ADBK_OK ? cur_take(&c, 4) : NULL;
    uint32_t slen = n ? le_get32(n) : 0;
    size_t ad = c.pos;
    const uint8_t *sealed = n ? cur_take(&c, slen) : NULL;
    if (st == ADBK_OK && (!sealed || slen < SEAL_TAG))
        st = err_set(err, ADBK_E_CORRUPT, "%s: the sealed index (%u bytes) does not fit the "
                     "index record", name, slen);
    *end = c.pos;
    if (st == ADBK_OK && r->unlocked)
        st = open_sealed(r, body, ad, sealed, slen, index_offset, ce, count, err);
    free(ce);
    return st;
}

/* ------------------------------------------------------------ signature */

static bool is_trusted(const struct adbk_reader *r, const uint8_t key[SIGN_PUBLIC])
{
    for (size_t i = 0; i < r->ntrusted; i++)
        if (memcmp(r->trusted[i].key, key, SIGN_PUBLIC) == 0)
            return true;
    return false;
}

/* The Prefix_Digest of the frames before the first member. */
static void prefix_digest(const struct adbk_reader *r, uint8_t out[DIGEST_SIZE])
{
    struct digest_list dl;
    uint8_t d[DIGEST_SIZE];
    dlist_init(&dl);
    frame_digest(r->prefix, (size_t)r->header_len, d);
    dlist_add(&dl, d);
    if (r->prefix_frames == 2) {
        frame_digest(r->prefix + r->header_len, (size_t)(r->prefix_len - r->header_len), d);
        dlist_add(&dl, d);
    }
    dlist_final(&dl, out);
}

adbk_status rd_check_signature(struct adbk_reader *r, const uint8_t *body, size_t blen,
                               size_t end, struct adbk_error *err)
{
    const char *name = r->src->name;
    if (!r->info.is_signed) {
        if (r->ntrusted)
            return err_set(err, ADBK_E_SIGNATURE, "%s is not signed, and a signer is required "
                           "(--trust)", name);
        return ADBK_OK;
    }
    char *why = r->sig_problem;
    size_t cap = sizeof r->sig_problem;
    struct sig_rec sr = {0};
    if (!why[0] && (blen < SIG_FIXED || end != blen - SIG_FIXED))
        snprintf(why, cap, "its signature trailer is not at the end of the index");
    else if (!why[0] && sig_decode(body + blen - SIG_FIXED, &sr))
        snprintf(why, cap, "its signature trailer is damaged (magic or algorithm)");
    if (!why[0]) {
        memcpy(r->info.signer, sr.public_key, sizeof r->info.signer);
        uint8_t ih[64], pd[DIGEST_SIZE];
        index_hash(body, blen - SIGNATURE_SIZE, ih);
        prefix_digest(r, pd);
        if (!crypto_ready())
            return err_set(err, ADBK_E_IO, "%s: libsodium cannot start", name);
        if (!verify_index(sr.public_key, ih, sr.signature))
            snprintf(why, cap, "its signature does not verify: the index was changed after "
                     "signing");
        else if (memcmp(pd, sr.prefix_digest, DIGEST_SIZE) != 0)
            snprintf(why, cap, "its header does not match the signed Prefix_Digest");
    }
    r->info.signature_ok = !why[0];
    r->info.trusted = r->info.signature_ok && is_trusted(r, sr.public_key);
    if (!r->ntrusted || r->info.trusted)
        return ADBK_OK;
    if (why[0])
        return err_set(err, ADBK_E_SIGNATURE, "%s: %s", name, why);
    struct adbk_sign_public p;
    memcpy(p.key, sr.public_key, sizeof p.key);
    char text[ADBK_KEY_TEXT];
    adbk_sign_public_text(&p, text);
    return err_set(err, ADBK_E_SIGNATURE, "%s is signed by %s, which is not a trusted key", name,
                   text);
}
