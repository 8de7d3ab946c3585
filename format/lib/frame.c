/*
 * frame.c - adbk records (FORMAT.md section 3): building and checking the
 * skippable frames that carry the header, member, member-end and index.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

const char *rec_type_name(uint32_t type)
{
    switch (type) {
    case REC_HDR: return "header record";
    case REC_MBR: return "member record";
    case REC_END: return "member-end record";
    case REC_IDX: return "index record";
    }
    return "record";
}

adbk_status rec_build(uint32_t type, const uint8_t *body, size_t body_len, uint8_t **out,
                      size_t *out_len, struct adbk_error *err)
{
    if (body_len > REC_MAX_PAYLOAD - REC_MIN_PAYLOAD)
        return err_set(err, ADBK_E_LIMIT, "%s of %zu bytes exceeds the %u-byte record limit",
                       rec_type_name(type), body_len, REC_MAX_PAYLOAD);
    size_t payload = 4 + body_len + 8;
    uint8_t *f = malloc(SKIPPABLE_HEADER + payload);
    if (!f)
        return err_set(err, ADBK_E_NOMEM, "no memory for a %zu-byte %s", payload,
                       rec_type_name(type));
    le_put32(f, REC_MAGIC);
    le_put32(f + 4, (uint32_t)payload);
    le_put32(f + 8, type);
    if (body_len)
        memcpy(f + 12, body, body_len);
    le_put64(f + 12 + body_len, XXH3_64bits(f + 8, 4 + body_len));
    *out = f;
    *out_len = SKIPPABLE_HEADER + payload;
    return ADBK_OK;
}

adbk_status rec_check(const uint8_t *buf, size_t len, uint32_t want_type, const uint8_t **body,
                      size_t *body_len, const char *what, uint64_t offset,
                      struct adbk_error *err)
{
    const char *name = rec_type_name(want_type);
    if (len < SKIPPABLE_HEADER + REC_MIN_PAYLOAD)
        return err_set(err, ADBK_E_CORRUPT, "%s: %s at byte %llu is %zu bytes, too short",
                       what, name, (unsigned long long)offset, len);
    if (le_get32(buf) != REC_MAGIC)
        return err_set(err, ADBK_E_CORRUPT,
                       "%s: expected a %s at byte %llu, found magic 0x%08X", what, name,
                       (unsigned long long)offset, le_get32(buf));
    if (le_get32(buf + 4) != len - SKIPPABLE_HEADER)
        return err_set(err, ADBK_E_CORRUPT,
                       "%s: %s at byte %llu declares %u payload bytes, the seek table %zu",
                       what, name, (unsigned long long)offset, le_get32(buf + 4),
                       len - SKIPPABLE_HEADER);
    uint64_t want = le_get64(buf + len - 8);
    uint64_t got = XXH3_64bits(buf + 8, len - 16);
    if (want != got)
        return err_set(err, ADBK_E_CHECKSUM,
                       "%s: %s at byte %llu fails its checksum (stored %016llx, computed %016llx)",
                       what, name, (unsigned long long)offset, (unsigned long long)want,
                       (unsigned long long)got);
    uint32_t type = le_get32(buf + 8);
    if (want_type && type != want_type)
        return err_set(err, ADBK_E_CORRUPT, "%s: expected a %s at byte %llu, found %s \"%.4s\"",
                       what, name, (unsigned long long)offset, rec_type_name(type),
                       (const char *)buf + 8);
    *body = buf + 12;
    *body_len = len - SKIPPABLE_HEADER - REC_MIN_PAYLOAD;
    return ADBK_OK;
}
