/*
 * records.c - the encoder and the decoder of every structure in records.h:
 * record frames, the bodies of the header, member, member-end and index
 * records, properties, index entries, and the seek table's frame header,
 * entries and footer (FORMAT.md sections 3 and 4). Each field of these is
 * written and read here and nowhere else.
 *
 * An encoder fills a layout struct and appends it (and its strings) to a
 * byte buffer; a decoder copies the layout struct out of the bytes, converts
 * each field and checks it against the format's rules.
 */
#include "records.h"

#include "internal.h"
#include "xxh.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ magic numbers */

uint32_t frame_magic(const uint8_t *p, size_t n)
{
    return n >= 4 ? le_get32(p) : 0;
}

bool is_frame_magic(const uint8_t *p)
{
    uint32_t m = frame_magic(p, 4);
    return m == REC_MAGIC || m == ZSTD_MAGIC || m == SEEK_MAGIC;
}

/* Copies the fixed part of a structure out of the cursor: false (and the
 * cursor short) when the bytes end first. */
static bool take_fixed(struct cursor *c, void *disk, size_t size)
{
    const uint8_t *p = cur_take(c, size);
    if (p)
        memcpy(disk, p, size);
    return p != NULL;
}

static bool nsec_valid(uint32_t nsec)
{
    return nsec <= 999999999u;
}

/* ------------------------------------------------------------ record frame */

const char *rec_type_name(uint32_t type)
{
    switch (type) {
    case REC_HDR: return "header record";
    case REC_MBR: return "member record";
    case REC_END: return "member-end record";
    case REC_IDX: return "index record";
    case REC_KEY: return "key record";
    case REC_CHK: return "chunk record";
    }
    return "record";
}

/* The types of 1.x and 2.0 alike: which may stand where is the reader's
 * business (FORMAT.md 2, 13.2). */
static bool rec_type_known(uint32_t type)
{
    return type == REC_HDR || type == REC_MBR || type == REC_END || type == REC_IDX ||
           type == REC_KEY || type == REC_CHK;
}

unsigned rec_head_decode(const uint8_t *p, size_t n, struct rec_head *h)
{
    struct rec_disk d;
    memset(&d, 0, sizeof d);
    memcpy(&d, p, n < sizeof d ? SKIPPABLE_HEADER : sizeof d); /* whole fields only */
    h->magic = le_get32(d.magic);
    h->frame_size = le_get32(d.frame_size);
    h->type = le_get32(d.type);
    unsigned f = 0;
    if (h->magic != REC_MAGIC)
        f |= RH_MAGIC;
    if (h->frame_size < REC_MIN_PAYLOAD || h->frame_size > REC_MAX_PAYLOAD)
        f |= RH_SIZE;
    if (!rec_type_known(h->type))
        f |= RH_TYPE;
    return f;
}

void rec_head_encode(uint32_t type, size_t body_len, uint8_t *frame)
{
    struct rec_disk d;
    le_put32(d.magic, REC_MAGIC);
    le_put32(d.frame_size, (uint32_t)(REC_MIN_PAYLOAD + body_len));
    le_put32(d.type, type);
    memcpy(frame, &d, sizeof d);
}

void rec_seal_frame(uint8_t *frame, size_t frame_len)
{
    size_t covered = frame_len - SKIPPABLE_HEADER - REC_CHECKSUM;
    le_put64(frame + frame_len - REC_CHECKSUM,
             XXH3_64bits(frame + offsetof(struct rec_disk, type), covered));
}

adbk_status rec_build(uint32_t type, const uint8_t *body, size_t body_len, uint8_t **out,
                      size_t *out_len, struct adbk_error *err)
{
    if (body_len > REC_MAX_PAYLOAD - REC_MIN_PAYLOAD)
        return err_set(err, ADBK_E_LIMIT, "%s of %zu bytes exceeds the %u-byte record limit",
                       rec_type_name(type), body_len, REC_MAX_PAYLOAD);
    size_t payload = REC_MIN_PAYLOAD + body_len;
    uint8_t *f = malloc(SKIPPABLE_HEADER + payload);
    if (!f)
        return err_set(err, ADBK_E_NOMEM, "no memory for a %zu-byte %s", payload,
                       rec_type_name(type));
    rec_head_encode(type, body_len, f);
    if (body_len)
        memcpy(f + REC_HEAD, body, body_len);
    rec_seal_frame(f, SKIPPABLE_HEADER + payload);
    *out = f;
    *out_len = SKIPPABLE_HEADER + payload;
    return ADBK_OK;
}

adbk_status rec_check(const uint8_t *buf, size_t len, uint32_t want_type, const uint8_t **body,
                      size_t *body_len, const char *what, uint64_t offset,
                      struct adbk_error *err)
{
    const char *name = rec_type_name(want_type);
    const char *sep = what ? ": " : "";
    if (!what)
        what = "";
    if (len < REC_FRAME_MIN)
        return err_set(err, ADBK_E_CORRUPT, "%s%s%s at byte %llu is %zu bytes, too short",
                       what, sep, name, (unsigned long long)offset, len);
    struct rec_head h;
    (void)rec_head_decode(buf, len, &h);
    if (h.magic != REC_MAGIC)
        return err_set(err, ADBK_E_CORRUPT,
                       "%s%sexpected a %s at byte %llu, found magic 0x%08X", what, sep, name,
                       (unsigned long long)offset, h.magic);
    if (h.frame_size != len - SKIPPABLE_HEADER)
        return err_set(err, ADBK_E_CORRUPT,
                       "%s%s%s at byte %llu declares %u payload bytes, the seek table %zu",
                       what, sep, name, (unsigned long long)offset, h.frame_size,
                       len - SKIPPABLE_HEADER);
    uint64_t want = le_get64(buf + len - REC_CHECKSUM);
    uint64_t got = XXH3_64bits(buf + offsetof(struct rec_disk, type),
                               len - SKIPPABLE_HEADER - REC_CHECKSUM);
    if (want != got)
        return err_set(err, ADBK_E_CHECKSUM,
                       "%s%s%s at byte %llu fails its checksum (stored %016llx, computed %016llx)",
                       what, sep, name, (unsigned long long)offset, (unsigned long long)want,
                       (unsigned long long)got);
    if (want_type && h.type != want_type)
        return err_set(err, ADBK_E_CORRUPT, "%s%sexpected a %s at byte %llu, found %s \"%.4s\"",
                       what, sep, name, (unsigned long long)offset, rec_type_name(h.type),
                       (const char *)buf + offsetof(struct rec_disk, type));
    *body = buf + REC_HEAD;
    *body_len = len - REC_FRAME_MIN;
    return ADBK_OK;
}

/* ------------------------------------------------------------ header record */

void hdr_encode(const struct hdr_rec *h, struct bytebuf *b)
{
    struct hdr_disk d;
    le_put16(d.format_major, h->format_major);
    le_put16(d.format_minor, h->format_minor);
    le_put32(d.flags, h->flags);
    memcpy(d.archive_id, h->archive_id, sizeof d.archive_id);
    le_put64(d.created, (uint64_t)h->created);
    le_put32(d.chunk_size, h->chunk_size);
    bb_put(b, &d, sizeof d);
    bb_str16(b, h->tool);
}

unsigned hdr_decode(const uint8_t *body, size_t len, struct hdr_rec *h)
{
    struct hdr_disk d;
    memset(h, 0, sizeof *h);
    /* The version decides how to read the rest: known from its 4 bytes. */
    size_t version = offsetof(struct hdr_disk, flags);
    if (len < version)
        return HDR_SHORT;
    memcpy(&d, body, len < sizeof d ? version : sizeof d);
    h->format_major = le_get16(d.format_major);
    h->format_minor = le_get16(d.format_minor);
    unsigned f = h->format_major > ADBK_FORMAT_ENCRYPTED_MAJOR ? HDR_NEWER : 0;
    if (len < sizeof d)
        return f | HDR_SHORT;
    h->flags = le_get32(d.flags); /* unknown bits are ignored */
    memcpy(h->archive_id, d.archive_id, sizeof h->archive_id);
    h->created = (int64_t)le_get64(d.created);
    h->chunk_size = le_get32(d.chunk_size);
    struct cursor c = {.p = body, .len = len, .pos = sizeof d};
    h->tool = cur_str16(&c);
    if (!h->tool.p)
        f |= HDR_TOOL_SHORT;
    if (h->format_major == 0)
        f |= HDR_MAJOR0;
    if (h->chunk_size < ADBK_CHUNK_MIN || h->chunk_size > ADBK_CHUNK_MAX)
        f |= HDR_CHUNK_SIZE;
    if ((h->format_major == ADBK_FORMAT_ENCRYPTED_MAJOR) != !!(h->flags & HDR_FLAG_ENCRYPTED))
        f |= HDR_ENCRYPTION;
    return f;
}

/* ------------------------------------------------------------ owner and attributes */

void owner_encode(const struct owner_rec *o, struct bytebuf *b)
{
    struct owner_disk d;
    le_put32(d.uid, o->uid);
    le_put32(d.gid, o->gid);
    bb_put(b, &d, sizeof d);
    bb_str16(b, o->user);
    bb_str16(b, o->group);
}

static bool owner_name_ok(struct str16 v)
{
    return v.len <= OWNER_NAME_MAX && !str16_has_nul(v);
}

unsigned owner_decode(struct cursor *c, struct owner_rec *o)
{
    struct owner_disk d;
    memset(o, 0, sizeof *o);
    if (!take_fixed(c, &d, sizeof d))
        return OX_SHORT;
    o->uid = le_get32(d.uid);
    o->gid = le_get32(d.gid);
    o->user = cur_str16(c);
    o->group = cur_str16(c);
    unsigned f = 0;
    if (!o->user.p || !o->group.p)
        f |= OX_SHORT;
    if (!owner_name_ok(o->user) || !owner_name_ok(o->group))
        f |= OX_OWNER_NAME;
    if (o->uid == NO_ID || o->gid == NO_ID)
        f |= OX_ID;
    return f;
}

void xattr_encode(const struct xattr_rec *x, struct bytebuf *b)
{
    uint8_t size[4];
    bb_str16(b, x->name);
    le_put32(size, x->size);
    bb_put(b, size, sizeof size);
    bb_put(b, x->value, x->size);
}

unsigned xattr_decode(struct cursor *c, struct xattr_rec *x)
{
    memset(x, 0, sizeof *x);
    x->name = cur_str16(c);
    const uint8_t *size = cur_take(c, 4);
    if (!size)
        return OX_SHORT;
    x->size = le_get32(size);
    unsigned f = 0;
    if (x->name.len == 0 || x->name.len > XATTR_NAME_MAX || str16_has_nul(x->name))
        f |= OX_NAME;
    if (x->size > XATTR_VALUE_MAX)
        return f | OX_VALUE; /* not taken: the next attribute cannot be found */
    x->value = cur_take(c, x->size);
    return x->value ? f : f | OX_SHORT;
}

void xattr_list_encode(const struct xattr_list *l, struct bytebuf *b)
{
    uint8_t count[2];
    le_put16(count, l->count);
    bb_put(b, count, sizeof count);
    bb_put(b, l->p, l->len);
}

/* Byte order of two names, as memcmp then length: -1, 0 or 1. */
static int name_order(struct str16 a, struct str16 b)
{
    int c = memcmp(a.p, b.p, a.len < b.len ? a.len : b.len);
    if (c)
        return c;
    return a.len < b.len ? -1 : a.len > b.len;
}

unsigned xattr_list_decode(struct cursor *c, struct xattr_list *l)
{
    memset(l, 0, sizeof *l);
    const uint8_t *count = cur_take(c, 2);
    if (!count)
        return OX_SHORT;
    l->count = le_get16(count);
    l->p = c->p + c->pos;
    unsigned f = 0;
    struct str16 prev = {0};
    for (unsigned i = 0; i < l->count && !(f & (OX_SHORT | OX_VALUE)); i++) {
        struct xattr_rec x;
        f |= xattr_decode(c, &x);
        if (i > 0 && x.name.p && name_order(prev, x.name) >= 0)
            f |= OX_ORDER;
        prev = x.name;
    }
    l->len = (size_t)(c->p + c->pos - l->p);
    if (!(f & (OX_SHORT | OX_VALUE)) && 2 + l->len > XATTR_LIST_MAX)
        f |= OX_TOTAL;
    return f;
}

/* The parts of format 1.1 after Source_Path (records.h), as flags say. */
static void extras_encode(unsigned flags, const struct owner_rec *o, const struct xattr_list *l,
                          struct bytebuf *b)
{
    if (flags & ADBK_HAS_OWNER)
        owner_encode(o, b);
    if (flags & ADBK_HAS_XATTRS)
        xattr_list_encode(l, b);
}

static unsigned extras_decode(struct cursor *c, unsigned flags, struct owner_rec *o,
                              struct xattr_list *l)
{
    unsigned f = 0;
    if (flags & ADBK_HAS_OWNER)
        f |= owner_decode(c, o);
    if ((flags & ADBK_HAS_XATTRS) && !(f & OX_SHORT))
        f |= xattr_list_decode(c, l);
    return f;
}

/* Bytes extras_encode appends. */
static size_t extras_size(unsigned flags, const struct owner_rec *o, const struct xattr_list *l)
{
    size_t n = 0;
    if (flags & ADBK_HAS_OWNER)
        n += OWNER_FIXED + 4 + o->user.len + o->group.len;
    if (flags & ADBK_HAS_XATTRS)
        n += 2 + l->len;
    return n;
}

/* ------------------------------------------------------------ member record */

void mbr_encode(const struct mbr_rec *m, struct bytebuf *b)
{
    struct mbr_disk d;
    le_put64(d.number, m->number);
    d.kind = (uint8_t)m->kind;
    d.bft = (uint8_t)m->bft;
    le_put16(d.flags, (uint16_t)m->flags);
    le_put64(d.expected_size, m->expected_size);
    le_put64(d.mtime_sec, (uint64_t)m->mtime_sec);
    le_put32(d.mtime_nsec, m->mtime_nsec);
    le_put32(d.mode, m->mode);
    bb_put(b, &d, sizeof d);
    bb_str16(b, m->name);
    bb_str16(b, m->source_path);
    extras_encode(m->flags, &m->owner, &m->xattrs, b);
}

/* The "MUST be 0 without bit N" rules of FORMAT.md 3.2, on stored values. */
static unsigned mbr_flag_faults(unsigned flags, const struct mbr_rec *m, uint32_t mode)
{
    unsigned f = 0;
    if (!(flags & ADBK_HAS_MTIME) && (m->mtime_sec || m->mtime_nsec))
        f |= MBR_MTIME_NOFLAG;
    if (!(flags & ADBK_HAS_MODE) && mode)
        f |= MBR_MODE_NOFLAG;
    if (!(flags & ADBK_HAS_EXPECTED_SIZE) && m->expected_size)
        f |= MBR_EXPECTED_NOFLAG;
    return f;
}

unsigned mbr_decode(const uint8_t *body, size_t len, struct mbr_rec *m)
{
    struct mbr_disk d;
    struct cursor c = {.p = body, .len = len};
    memset(m, 0, sizeof *m);
    if (!take_fixed(&c, &d, sizeof d))
        return MBR_SHORT;
    m->number = le_get64(d.number);
    m->kind = d.kind;
    m->bft = d.bft;
    unsigned flags = le_get16(d.flags);
    m->flags = flags & (ADBK_HAS_MTIME | ADBK_HAS_MODE | ADBK_HAS_EXPECTED_SIZE |
                        ADBK_HAS_OWNER | ADBK_HAS_XATTRS);
    m->expected_size = le_get64(d.expected_size);
    m->mtime_sec = (int64_t)le_get64(d.mtime_sec);
    m->mtime_nsec = le_get32(d.mtime_nsec);
    uint32_t mode = le_get32(d.mode);
    m->mode = mode & 07777u;
    m->name = cur_str16(&c);
    m->source_path = cur_str16(&c);
    unsigned f = mbr_flag_faults(flags, m, mode);
    if (!m->name.p || !m->source_path.p)
        f |= MBR_SHORT;
    else
        f |= extras_decode(&c, m->flags, &m->owner, &m->xattrs);
    if (str16_has_nul(m->name) || str16_has_nul(m->source_path))
        f |= MBR_NUL;
    if (m->kind == 0)
        f |= MBR_KIND0;
    if (!nsec_valid(m->mtime_nsec))
        f |= MBR_NSEC;
    return f;
}

/* ------------------------------------------------------------ member-end record */

void end_encode(const struct end_rec *e, struct bytebuf *b)
{
    struct end_disk d;
    le_put64(d.number, e->number);
    le_put64(d.size, e->size);
    le_put64(d.chunk_count, e->chunk_count);
    memcpy(d.content_hash, e->content_hash, sizeof d.content_hash);
    bb_put(b, &d, sizeof d);
}

unsigned end_decode(const uint8_t *body, size_t len, struct end_rec *e)
{
    struct end_disk d;
    struct cursor c = {.p = body, .len = len};
    memset(e, 0, sizeof *e);
    if (!take_fixed(&c, &d, sizeof d))
        return END_SHORT;
    e->number = le_get64(d.number);
    e->size = le_get64(d.size);
    e->chunk_count = le_get64(d.chunk_count);
    memcpy(e->content_hash, d.content_hash, sizeof e->content_hash);
    return 0;
}

/* ------------------------------------------------------------ index record */

void idx_encode(const struct idx_rec *x, struct bytebuf *b)
{
    struct idx_disk d;
    uint8_t nprops[4];
    memcpy(d.archive_id, x->archive_id, sizeof d.archive_id);
    le_put64(d.created, (uint64_t)x->created);
    le_put64(d.member_count, x->member_count);
    le_put64(d.index_frame, x->index_frame);
    le_put64(d.index_offset, x->index_offset);
    bb_put(b, &d, sizeof d);
    bb_str16(b, x->tool);
    le_put32(nprops, x->property_count);
    bb_put(b, nprops, sizeof nprops);
}

unsigned idx_decode(const uint8_t *body, size_t len, struct idx_rec *x)
{
    struct idx_disk d;
    struct cursor c = {.p = body, .len = len};
    memset(x, 0, sizeof *x);
    if (!take_fixed(&c, &d, sizeof d))
        return IDX_SHORT;
    memcpy(x->archive_id, d.archive_id, sizeof x->archive_id);
    x->created = (int64_t)le_get64(d.created);
    x->member_count = le_get64(d.member_count);
    x->index_frame = le_get64(d.index_frame);
    x->index_offset = le_get64(d.index_offset);
    x->tool = cur_str16(&c);
    const uint8_t *nprops = cur_take(&c, 4);
    unsigned f = str16_has_nul(x->tool) ? IDX_TOOL_NUL : 0;
    if (!nprops)
        return f | IDX_SHORT;
    x->property_count = le_get32(nprops);
    x->rest = c.pos;
    /* A property takes 4 bytes at least, an entry ENTRY_MIN. */
    if (x->property_count > cur_left(&c) / 4 || x->member_count > cur_left(&c) / ENTRY_MIN)
        f |= IDX_COUNTS;
    return f;
}

void prop_encode(const struct prop_rec *p, struct bytebuf *b)
{
    bb_str16(b, p->key);
    bb_str16(b, p->value);
}

unsigned prop_decode(struct cursor *c, struct prop_rec *p)
{
    p->key = cur_str16(c);
    p->value = cur_str16(c);
    unsigned f = 0;
    if (!p->key.p || !p->value.p)
        f |= PROP_SHORT;
    if (str16_has_nul(p->key) || str16_has_nul(p->value))
        f |= PROP_NUL;
    return f;
}

/* The Member_Flags an index entry carries: all but bit 2 (FORMAT.md 3.5). */
#define ENTRY_FLAGS (ADBK_HAS_MTIME | ADBK_HAS_MODE | ADBK_HAS_OWNER | ADBK_HAS_XATTRS)

void entry_encode(const struct entry_rec *e, struct bytebuf *b)
{
    struct entry_disk d;
    unsigned flags = e->flags & ENTRY_FLAGS;
    le_put32(d.entry_size, (uint32_t)(ENTRY_MIN + e->name.len + e->source_path.len +
                                      extras_size(flags, &e->owner, &e->xattrs) +
                                      (e->digest ? SPAN_DIGEST : 0)));
    d.kind = (uint8_t)e->kind;
    d.bft = (uint8_t)e->bft;
    le_put16(d.flags, (uint16_t)flags);
    le_put64(d.size, e->size);
    le_put64(d.mtime_sec, (uint64_t)e->mtime_sec);
    le_put32(d.mtime_nsec, e->mtime_nsec);
    le_put32(d.mode, e->mode);
    le_put64(d.first_frame, e->first_frame);
    le_put64(d.offset, e->offset);
    le_put64(d.chunk_count, e->chunk_count);
    le_put64(d.span, e->span);
    memcpy(d.content_hash, e->content_hash, sizeof d.content_hash);
    le_put64(d.span_hash, e->span_hash);
    bb_put(b, &d, sizeof d);
    bb_str16(b, e->name);
    bb_str16(b, e->source_path);
    extras_encode(flags, &e->owner, &e->xattrs, b);
    if (e->digest)
        bb_put(b, e->digest, SPAN_DIGEST);
}

/* Reads Entry_Size and, when the entry fits, hands back a cursor over the
 * whole entry and moves c past it. */
static bool entry_frame(struct cursor *c, struct entry_rec *e, struct cursor *ec)
{
    size_t start = c->pos;
    const uint8_t *n = cur_take(c, sizeof((struct entry_disk *)0)->entry_size);
    e->entry_size = n ? le_get32(n) : 0;
    if (!n || e->entry_size < ENTRY_MIN || e->entry_size - 4 > cur_left(c))
        return false;
    *ec = (struct cursor){.p = c->p + start, .len = e->entry_size};
    c->pos = start + e->entry_size;
    return true;
}

/* The single-field rules of FORMAT.md 8 item 6 for an entry. */
static unsigned entry_faults(const struct entry_rec *e, unsigned flags, uint32_t mode)
{
    unsigned f = 0;
    if (!e->name.p || !e->source_path.p)
        f |= ENT_SHORT;
    if (str16_has_nul(e->name) || str16_has_nul(e->source_path))
        f |= ENT_NUL;
    if (e->name.p && e->name.len == 0)
        f |= ENT_EMPTY;
    if (e->kind == 0)
        f |= ENT_KIND0;
    if (!nsec_valid(e->mtime_nsec))
        f |= ENT_NSEC;
    if (!(flags & ADBK_HAS_MTIME) && (e->mtime_sec || e->mtime_nsec))
        f |= ENT_MTIME_NOFLAG;
    if (!(flags & ADBK_HAS_MODE) && mode)
        f |= ENT_MODE_NOFLAG;
    return f;
}

unsigned entry_decode(struct cursor *c, struct entry_rec *e)
{
    struct entry_disk d;
    struct cursor ec;
    memset(e, 0, sizeof *e);
    if (!entry_frame(c, e, &ec) || !take_fixed(&ec, &d, sizeof d)) /* ENTRY_MIN holds d */
        return ENT_SIZE;
    e->kind = d.kind;
    e->bft = d.bft;
    unsigned flags = le_get16(d.flags);
    e->flags = flags & ENTRY_FLAGS; /* bit 2 is ignored here */
    e->size = le_get64(d.size);
    e->mtime_sec = (int64_t)le_get64(d.mtime_sec);
    e->mtime_nsec = le_get32(d.mtime_nsec);
    uint32_t mode = le_get32(d.mode);
    e->mode = mode & 07777u;
    e->first_frame = le_get64(d.first_frame);
    e->offset = le_get64(d.offset);
    e->chunk_count = le_get64(d.chunk_count);
    e->span = le_get64(d.span);
    memcpy(e->content_hash, d.content_hash, sizeof e->content_hash);
    e->span_hash = le_get64(d.span_hash);
    e->name = cur_str16(&ec);
    e->source_path = cur_str16(&ec);
    unsigned f = entry_faults(e, flags, mode);
    if (e->name.p && e->source_path.p)
        f |= extras_decode(&ec, e->flags, &e->owner, &e->xattrs);
    if (!f && cur_left(&ec) >= SPAN_DIGEST)
        e->digest = ec.p + ec.len - SPAN_DIGEST;
    return f;
}

/* ------------------------------------------------------------ seek table */

uint64_t seek_frame_size(uint64_t nframes)
{
    return nframes * sizeof(struct seek_entry_disk) + sizeof(struct seek_foot_disk);
}

uint64_t seek_table_size(uint64_t nframes)
{
    return sizeof(struct seek_head_disk) + seek_frame_size(nframes);
}

void seek_head_encode(uint64_t nframes, uint8_t out[SKIPPABLE_HEADER])
{
    struct seek_head_disk d;
    le_put32(d.magic, SEEK_MAGIC);
    le_put32(d.frame_size, (uint32_t)seek_frame_size(nframes));
    memcpy(out, &d, sizeof d);
}

unsigned seek_head_decode(const uint8_t in[SKIPPABLE_HEADER], struct seek_head *h)
{
    struct seek_head_disk d;
    memcpy(&d, in, sizeof d);
    h->magic = le_get32(d.magic);
    h->frame_size = le_get32(d.frame_size);
    return h->magic != SEEK_MAGIC ? SH_MAGIC : 0;
}

void seek_entry_encode(const struct seek_entry *e, uint8_t out[SEEK_ENTRY_SIZE])
{
    struct seek_entry_disk d;
    le_put32(d.csize, e->csize);
    le_put32(d.dsize, e->dsize);
    le_put32(d.checksum, e->checksum);
    memcpy(out, &d, sizeof d);
}

void seek_entry_decode(const uint8_t in[SEEK_ENTRY_SIZE], struct seek_entry *e)
{
    struct seek_entry_disk d;
    memcpy(&d, in, sizeof d);
    e->csize = le_get32(d.csize);
    e->dsize = le_get32(d.dsize);
    e->checksum = le_get32(d.checksum);
}

void seek_foot_encode(uint64_t nframes, uint8_t out[SEEK_FOOTER_SIZE])
{
    struct seek_foot_disk d;
    le_put32(d.frames, (uint32_t)nframes);
    d.descriptor = SEEK_DESCRIPTOR;
    le_put32(d.magic, SEEKABLE_FOOTER_MAGIC);
    memcpy(out, &d, sizeof d);
}

unsigned seek_foot_decode(const uint8_t in[SEEK_FOOTER_SIZE], struct seek_foot *f)
{
    struct seek_foot_disk d;
    memcpy(&d, in, sizeof d);
    f->frames = le_get32(d.frames);
    f->descriptor = d.descriptor;
    f->magic = le_get32(d.magic);
    unsigned faults = 0;
    if (f->magic != SEEKABLE_FOOTER_MAGIC)
        faults |= SF_MAGIC;
    if (f->descriptor != SEEK_DESCRIPTOR)
        faults |= SF_DESCRIPTOR;
    return faults;
}

/* ------------------------------------------------------------ signatures (12) */

void sig_encode_signed_part(const struct sig_rec *s, struct bytebuf *b)
{
    struct sig_disk d;
    le_put32(d.magic, SIG_MAGIC);
    le_put16(d.algorithm, s->algorithm);
    memcpy(d.prefix_digest, s->prefix_digest, sizeof d.prefix_digest);
    memcpy(d.public_key, s->public_key, sizeof d.public_key);
    bb_put(b, &d, SIG_SIGNED_PART);
}

unsigned sig_decode(const uint8_t p[SIG_FIXED], struct sig_rec *s)
{
    struct sig_disk d;
    memcpy(&d, p, sizeof d);
    s->magic = le_get32(d.magic);
    s->algorithm = le_get16(d.algorithm);
    memcpy(s->prefix_digest, d.prefix_digest, sizeof s->prefix_digest);
    memcpy(s->public_key, d.public_key, sizeof s->public_key);
    memcpy(s->signature, d.signature, sizeof s->signature);
    unsigned f = 0;
    if (s->magic != SIG_MAGIC)
        f |= SIG_BAD_MAGIC;
    if (s->algorithm != SIG_ED25519)
        f |= SIG_BAD_ALGORITHM;
    return f;
}

/* ------------------------------------------------------------ encryption (13) */

void key_count_encode(uint16_t count, struct bytebuf *b)
{
    uint8_t n[2];
    le_put16(n, count);
    bb_put(b, n, sizeof n);
}

void stanza_encode(const struct stanza_rec *s, struct bytebuf *b)
{
    bb_str16(b, s->type);
    uint8_t n[2];
    le_put16(n, s->arg_count);
    bb_put(b, n, sizeof n);
    for (unsigned i = 0; i < s->arg_count; i++)
        bb_str16(b, s->args[i]);
    bb_str16(b, s->body);
}

unsigned key_decode(const uint8_t *body, size_t len, uint16_t *count, size_t *mac_at)
{
    *count = 0;
    *mac_at = 0;
    if (len < 2 + KEY_MAC)
        return KEY_SHORT;
    *count = le_get16(body);
    *mac_at = len - KEY_MAC;
    return *count == 0 || *count > KEY_MAX_STANZAS ? KEY_COUNT : 0;
}

static bool printable_ascii(struct str16 v)
{
    for (size_t i = 0; i < v.len; i++)
        if (v.p[i] < 0x21 || v.p[i] > 0x7E)
            return false;
    return true;
}

unsigned stanza_decode(struct cursor *c, struct stanza_rec *s)
{
    memset(s, 0, sizeof *s);
    s->type = cur_str16(c);
    const uint8_t *n = cur_take(c, 2);
    if (!s->type.p || !n)
        return KEY_SHORT;
    unsigned f = 0;
    if (s->type.len == 0 || s->type.len > KEY_TYPE_MAX || !printable_ascii(s->type))
        f |= KEY_TYPE;
    uint16_t args = le_get16(n);
    if (args > KEY_MAX_ARGS)
        return f | KEY_ARGS;
    s->arg_count = args;
    for (unsigned i = 0; i < args; i++)
        if (!(s->args[i] = cur_str16(c)).p)
            return f | KEY_SHORT;
    s->body = cur_str16(c);
    return s->body.p ? f : f | KEY_SHORT;
}

static size_t sealed_clear_len(uint32_t type)
{
    return type == REC_CHK ? CHK_CLEAR : type == REC_END ? SEND_CLEAR : SMBR_CLEAR;
}

void chk_clear_encode(uint64_t number, uint64_t chunk, uint8_t out[CHK_CLEAR])
{
    le_put64(out, number);
    le_put64(out + 8, chunk);
}

void sealed_clear_encode(uint32_t type, const struct sealed_rec *r, struct bytebuf *b)
{
    uint8_t d[SEND_CLEAR];
    le_put64(d, r->number);
    le_put64(d + 8, type == REC_CHK ? r->chunk : r->size);
    le_put64(d + 16, r->chunk_count);
    bb_put(b, d, sealed_clear_len(type));
}

unsigned sealed_decode(uint32_t type, const uint8_t *body, size_t len, struct sealed_rec *r)
{
    memset(r, 0, sizeof *r);
    size_t clear = sealed_clear_len(type);
    if (len < clear + 16u)
        return SEALED_SHORT;
    r->number = le_get64(body);
    if (type == REC_CHK)
        r->chunk = le_get64(body + 8);
    if (type == REC_END) {
        r->size = le_get64(body + 8);
        r->chunk_count = le_get64(body + 16);
    }
    r->clear_len = clear;
    r->sealed = body + clear;
    r->sealed_len = len - clear;
    return 0;
}

void eidx_encode(const struct eidx_rec *x, struct bytebuf *b)
{
    struct eidx_disk d;
    memcpy(d.archive_id, x->archive_id, sizeof d.archive_id);
    le_put64(d.created, (uint64_t)x->created);
    le_put64(d.member_count, x->member_count);
    le_put64(d.index_frame, x->index_frame);
    le_put64(d.index_offset, x->index_offset);
    le_put64(d.not_after, (uint64_t)x->not_after);
    bb_put(b, &d, sizeof d);
}

unsigned eidx_decode(const uint8_t *body, size_t len, struct eidx_rec *x)
{
    memset(x, 0, sizeof *x);
    struct eidx_disk d;
    if (len < sizeof d)
        return EIDX_SHORT;
    memcpy(&d, body, sizeof d);
    memcpy(x->archive_id, d.archive_id, sizeof x->archive_id);
    x->created = (int64_t)le_get64(d.created);
    x->member_count = le_get64(d.member_count);
    x->index_frame = le_get64(d.index_frame);
    x->index_offset = le_get64(d.index_offset);
    x->not_after = (int64_t)le_get64(d.not_after);
    return x->member_count > (len - sizeof d) / CENTRY_FIXED ? EIDX_COUNTS : 0;
}

void centry_encode(const struct centry_rec *e, struct bytebuf *b)
{
    struct centry_disk d;
    le_put32(d.entry_size, CENTRY_FIXED + (e->digest ? SPAN_DIGEST : 0));
    le_put32(d.flags, 0);
    le_put64(d.size, e->size);
    le_put64(d.first_frame, e->first_frame);
    le_put64(d.offset, e->offset);
    le_put64(d.chunk_count, e->chunk_count);
    le_put64(d.span, e->span);
    le_put64(d.span_hash, e->span_hash);
    bb_put(b, &d, sizeof d);
    if (e->digest)
        bb_put(b, e->digest, SPAN_DIGEST);
}

unsigned centry_decode(struct cursor *c, struct centry_rec *e)
{
    memset(e, 0, sizeof *e);
    size_t start = c->pos;
    const uint8_t *n = cur_take(c, 4);
    uint32_t size = n ? le_get32(n) : 0;
    if (!n || size < CENTRY_FIXED || size - 4 > cur_left(c))
        return CENT_SIZE;
    struct centry_disk d;
    memcpy(&d, c->p + start, sizeof d);
    c->pos = start + size;
    e->entry_size = size;
    e->size = le_get64(d.size);
    e->first_frame = le_get64(d.first_frame);
    e->offset = le_get64(d.offset);
    e->chunk_count = le_get64(d.chunk_count);
    e->span = le_get64(d.span);
    e->span_hash = le_get64(d.span_hash);
    if (size >= CENTRY_FIXED + SPAN_DIGEST)
        e->digest = c->p + start + size - SPAN_DIGEST;
    return 0;
}
