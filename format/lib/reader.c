/*
 * reader.c - opening an archive from its tail (FORMAT.md section 4, "Finding
 * things from the tail"), parsing and cross-checking the header and the index,
 * and the read-only accessors. Reading content lives in decode.c, the
 * whole-archive check in verify.c.
 *
 * Everything read from the file is distrusted: each count and size is checked
 * against what the file can hold before anything is allocated. The fields
 * themselves are decoded by records.c; here their faults become messages
 * and the structures are checked against each other.
 */
#include "reader_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

adbk_status rd_read(struct adbk_reader *r, uint64_t off, void *buf, size_t len, const char *what,
                    struct adbk_error *err)
{
    if (off > r->src->size || len > r->src->size - off)
        return err_set(err, ADBK_E_TRUNCATED, "%s: %s at byte %llu (%zu bytes) lies past the end "
                       "of the file (%llu bytes): cut short?", r->src->name, what,
                       (unsigned long long)off, len, (unsigned long long)r->src->size);
    int rc = r->src->read_at(r->src->ctx, off, buf, len);
    if (rc != 0)
        return err_set(err, ADBK_E_IO, "%s: reading %s at byte %llu: %s", r->src->name, what,
                       (unsigned long long)off, strerror(rc));
    return ADBK_OK;
}

adbk_status rd_record(struct adbk_reader *r, uint64_t off, uint64_t len, uint32_t type,
                      bool unnamed, uint8_t **frame_out, const uint8_t **body,
                      size_t *body_len, struct adbk_error *err)
{
    *frame_out = NULL;
    if (len < REC_FRAME_MIN || len > SKIPPABLE_HEADER + REC_MAX_PAYLOAD)
        return err_set(err, ADBK_E_CORRUPT, "%s%s%s at byte %llu has an impossible size of %llu "
                       "bytes", unnamed ? "" : r->src->name, unnamed ? "" : ": ",
                       rec_type_name(type), (unsigned long long)off, (unsigned long long)len);
    uint8_t *f = malloc((size_t)len);
    if (!f)
        return err_set(err, ADBK_E_NOMEM, "%s: no memory for a %llu-byte %s", r->src->name,
                       (unsigned long long)len, rec_type_name(type));
    adbk_status st = rd_read(r, off, f, (size_t)len, rec_type_name(type), err);
    if (st == ADBK_OK)
        st = rec_check(f, (size_t)len, type, body, body_len, unnamed ? NULL : r->src->name, off,
                       err);
    if (st != ADBK_OK) {
        free(f);
        return st;
    }
    *frame_out = f;
    return ADBK_OK;
}

adbk_status rd_seek_entries(struct adbk_reader *r, uint64_t first, uint64_t count,
                            struct seek_entry **out, struct adbk_error *err)
{
    *out = NULL;
    if (first > r->info.frame_count || count > r->info.frame_count - first)
        return err_set(err, ADBK_E_CORRUPT, "%s: frames %llu..%llu are not in the seek table of "
                       "%llu frames", r->src->name, (unsigned long long)first,
                       (unsigned long long)(first + count), (unsigned long long)r->info.frame_count);
    if (count == 0)
        return ADBK_OK;
    /* count <= frame_count, which open bounded by the file size / 12. */
    size_t bytes = (size_t)count * SEEK_ENTRY_SIZE;
    uint8_t *raw = malloc(bytes);
    struct seek_entry *e = malloc((size_t)count * sizeof *e);
    adbk_status st = ADBK_OK;
    if (!raw || !e)
        st = err_set(err, ADBK_E_NOMEM, "%s: no memory for %llu seek-table entries", r->src->name,
                     (unsigned long long)count);
    else
        st = rd_read(r, seek_entry_at(r->seek_offset, first), raw, bytes, "seek table", err);
    if (st == ADBK_OK)
        for (uint64_t i = 0; i < count; i++)
            seek_entry_decode(raw + i * SEEK_ENTRY_SIZE, &e[i]);
    free(raw);
    if (st != ADBK_OK) {
        free(e);
        return st;
    }
    *out = e;
    return ADBK_OK;
}

/* ------------------------------------------------------------ open */

/* The file's first 12 bytes must open a header record: *len gets its size. */
static adbk_status check_start(struct adbk_reader *r, uint64_t *len, struct adbk_error *err)
{
    const char *name = r->src->name;
    uint8_t head[REC_HEAD];
    if (r->src->size < sizeof head)
        return err_set(err, r->src->size == 0 ? ADBK_E_NOT_ADBK : ADBK_E_TRUNCATED,
                       "%s: only %llu bytes, too short for an adbk archive", name,
                       (unsigned long long)r->src->size);
    adbk_status st = rd_read(r, 0, head, sizeof head, "header", err);
    if (st != ADBK_OK)
        return st;
    struct rec_head h;
    if ((rec_head_decode(head, sizeof head, &h) & RH_MAGIC) || h.type != REC_HDR) {
        if (h.magic == ZSTD_MAGIC)
            return err_set(err, ADBK_E_NOT_ADBK, "%s is a plain zstd file, not an adbk archive",
                           name);
        return err_set(err, ADBK_E_NOT_ADBK, "%s is not an adbk archive (it starts with "
                       "%02x %02x %02x %02x)", name, head[0], head[1], head[2], head[3]);
    }
    *len = SKIPPABLE_HEADER + (uint64_t)h.frame_size;
    if (*len > (1u << 20))
        return err_set(err, ADBK_E_CORRUPT, "%s: header record claims %llu bytes", name,
                       (unsigned long long)*len);
    return ADBK_OK;
}

/* Takes what the header record's body gives, or says what is wrong with it. */
static adbk_status take_header(struct adbk_reader *r, unsigned f, const struct hdr_rec *h,
                               struct adbk_error *err)
{
    const char *name = r->src->name;
    /* The version decides how to read everything else: check it first. */
    if (f & HDR_NEWER)
        return err_set(err, ADBK_E_VERSION, "%s: archive format %u.%u is newer than this reader "
                       "(%u.%u); use a newer adbk", name, h->format_major, h->format_minor,
                       ADBK_FORMAT_ENCRYPTED_MAJOR, ADBK_FORMAT_ENCRYPTED_MINOR);
    r->info.format_major = h->format_major;
    r->info.format_minor = h->format_minor;
    memcpy(r->info.archive_id, h->archive_id, 16);
    r->info.created_sec = h->created;
    r->info.chunk_size = h->chunk_size;
    r->tool = h->tool.p ? str16_dup(h->tool) : NULL;
    r->info.tool = r->tool;
    if (h->tool.p && !r->tool)
        return err_set(err, ADBK_E_NOMEM, "%s: no memory for the header", name);
    if (f & (HDR_SHORT | HDR_TOOL_SHORT | HDR_MAJOR0))
        return err_set(err, ADBK_E_CORRUPT, "%s: header record is %s", name,
                       (f & (HDR_SHORT | HDR_TOOL_SHORT)) ? "too short for format 1"
                                                          : "of format 0, which never existed");
    if (f & HDR_CHUNK_SIZE)
        return err_set(err, ADBK_E_CORRUPT, "%s: header gives a chunk size of %u bytes, outside "
                       "%u..%u", name, h->chunk_size, ADBK_CHUNK_MIN, ADBK_CHUNK_MAX);
    if (f & HDR_ENCRYPTION)
        return err_set(err, ADBK_E_CORRUPT, "%s: the header's Encrypted flag and its format "
                       "%u.%u disagree (only format 2 is encrypted)", name, h->format_major,
                       h->format_minor);
    r->info.encrypted = h->format_major == ADBK_FORMAT_ENCRYPTED_MAJOR;
    r->info.locked = r->info.encrypted;
    r->info.is_signed = (h->flags & HDR_FLAG_SIGNED) != 0;
    return ADBK_OK;
}

adbk_status rd_check_header(struct adbk_reader *r, struct adbk_error *err)
{
    uint64_t len = 0;
    adbk_status st = check_start(r, &len, err);
    if (st != ADBK_OK)
        return st;
    uint8_t *f;
    const uint8_t *body;
    size_t blen;
    st = rd_record(r, 0, len, REC_HDR, false, &f, &body, &blen, err);
    if (st != ADBK_OK)
        return st;
    struct hdr_rec h;
    st = take_header(r, hdr_decode(body, blen, &h), &h, err);
    r->header_len = len;
    r->prefix = f; /* kept: the signature's Prefix_Digest covers it, the Header_MAC too */
    r->prefix_len = len;
    r->prefix_frames = 1;
    return st;
}

/* Footer and seek-table frame header (FORMAT.md 4). */
static adbk_status check_tail(struct adbk_reader *r, struct adbk_error *err)
{
    const char *name = r->src->name;
    uint64_t size = r->src->size;
    uint8_t foot[SEEK_FOOTER_SIZE], sh[SKIPPABLE_HEADER];
    if (size < r->header_len + seek_table_size(0))
        return err_set(err, ADBK_E_TRUNCATED, "%s: the file ends before its seek table (%llu "
                       "bytes): cut short; adbk salvage can recover what is intact", name,
                       (unsigned long long)size);
    adbk_status st = rd_read(r, size - sizeof foot, foot, sizeof foot, "seek-table footer", err);
    if (st != ADBK_OK)
        return st;
    struct seek_foot ft;
    unsigned f = seek_foot_decode(foot, &ft);
    if (f & SF_MAGIC)
        return err_set(err, ADBK_E_TRUNCATED, "%s: no seek table at the end of the file: cut "
                       "short or damaged at the end; adbk salvage can recover what is intact",
                       name);
    if (f & SF_DESCRIPTOR)
        return err_set(err, ADBK_E_CORRUPT, "%s: seek-table descriptor is 0x%02X, expected 0x%02X "
                       "(checksums, no reserved bits)", name, ft.descriptor, SEEK_DESCRIPTOR);
    uint64_t nframes = ft.frames;
    uint64_t table = seek_table_size(nframes);
    if (nframes < 2 || table > size - r->header_len)
        return err_set(err, ADBK_E_CORRUPT, "%s: seek table lists %llu frames, impossible in %llu "
                       "bytes", name, (unsigned long long)nframes, (unsigned long long)size);
    r->seek_offset = size - table;
    r->info.frame_count = nframes;
    st = rd_read(r, r->seek_offset, sh, sizeof sh, "seek table", err);
    if (st != ADBK_OK)
        return st;
    struct seek_head h;
    if (seek_head_decode(sh, &h) || h.frame_size != seek_frame_size(nframes))
        return err_set(err, ADBK_E_CORRUPT, "%s: seek table at byte %llu has a bad frame header "
                       "(magic 0x%08X, size %u)", name, (unsigned long long)r->seek_offset,
                       h.magic, h.frame_size);
    return ADBK_OK;
}

static void entry_take(struct adbk_entry *e, const struct entry_rec *v)
{
    e->kind = v->kind;
    e->bft = v->bft;
    e->flags = v->flags;
    e->size = v->size;
    e->mtime_sec = v->mtime_sec;
    e->mtime_nsec = v->mtime_nsec;
    e->mode = v->mode; /* bits above 0o7777 are ignored (3.2) */
    e->first_frame = v->first_frame;
    e->offset = v->offset;
    e->chunk_count = v->chunk_count;
    e->span = v->span;
    memcpy(e->xxh128, v->content_hash, 16);
    e->span_xxh64 = v->span_hash;
}

/* The rules of one entry's fields (FORMAT.md 8 item 6), in the reader's
 * order of messages. */
static adbk_status entry_rules(struct adbk_reader *r, const struct adbk_entry *e, unsigned f,
                               size_t n, struct adbk_error *err)
{
    const char *name = r->src->name;
    char shown[128];
    name_printable(e->name, shown, sizeof shown);
    if (f & (ENT_NUL | ENT_EMPTY))
        return err_set(err, ADBK_E_CORRUPT, "%s: index entry %zu has %s name", name, n,
                       (f & ENT_NUL) ? "a NUL byte in its" : "an empty");
    if (f & ENT_KIND0)
        return err_set(err, ADBK_E_CORRUPT, "%s: member \"%s\" has kind 0", name, shown);
    if (f & ENT_NSEC)
        return err_set(err, ADBK_E_CORRUPT, "%s: member \"%s\" has mtime nanoseconds %u", name,
                       shown, e->mtime_nsec);
    if (f & (ENT_MTIME_NOFLAG | ENT_MODE_NOFLAG))
        return err_set(err, ADBK_E_CORRUPT, "%s: member \"%s\" has a %s without its flag", name,
                       shown, (f & ENT_MTIME_NOFLAG) ? "modification time" : "mode");
    if (f & OX_FAULTS)
        return err_set(err, ADBK_E_CORRUPT, "%s: member \"%s\" %s", name, shown,
                       extras_fault(f));
    return rd_chunk_count_rule(r, e, shown, err);
}

adbk_status rd_chunk_count_rule(struct adbk_reader *r, const struct adbk_entry *e,
                                const char *shown, struct adbk_error *err)
{
    /* Chunk count follows from the size (FORMAT.md 3.3). */
    uint64_t cs = r->info.chunk_size;
    uint64_t want = e->size / cs + (e->size % cs != 0);
    if (e->chunk_count != want || (e->kind == ADBK_KIND_DIRECTORY && e->size != 0))
        return err_set(err, ADBK_E_CORRUPT, "%s: member \"%s\": %llu chunks for %llu bytes "
                       "(expected %llu)", r->src->name, shown,
                       (unsigned long long)e->chunk_count, (unsigned long long)e->size,
                       (unsigned long long)want);
    return ADBK_OK;
}

static adbk_status parse_entry(struct adbk_reader *r, struct cursor *c, struct adbk_entry *e,
                               size_t n, struct adbk_error *err)
{
    const char *name = r->src->name;
    struct entry_rec v;
    unsigned f = entry_decode(c, &v);
    if (f & ENT_SIZE)
        return err_set(err, ADBK_E_CORRUPT, "%s: index entry %zu has a bad size (%u)", name, n,
                       v.entry_size);
    entry_take(e, &v);
    char *ename, *src;
    bool copied = str16_dup2(v.name, v.source_path, &ename, &src);
    e->name = ename;
    e->source_path = src;
    if (!copied)
        return err_set(err, ADBK_E_NOMEM, "%s: no memory for index entry %zu", name, n);
    if ((f & ENT_SHORT) || !e->name || !e->source_path)
        return err_set(err, ADBK_E_CORRUPT, "%s: index entry %zu is cut short", name, n);
    adbk_status st = entry_rules(r, e, f, n, err);
    if (st != ADBK_OK)
        return st;
    if (!extras_unpack(v.flags, &v.owner, &v.xattrs, e, &r->extras[n]))
        return err_set(err, ADBK_E_NOMEM, "%s: no memory for index entry %zu", name, n);
    /* Signed 1.2: the entry ends with its Span_Digest (12). An encrypted
     * archive's come from its clear entries. */
    if (r->info.is_signed && !r->info.encrypted) {
        if (v.digest)
            memcpy(r->digests[n], v.digest, DIGEST_SIZE);
        else if (!r->sig_problem[0])
            snprintf(r->sig_problem, sizeof r->sig_problem, "index entry %zu has no "
                     "Span_Digest", n);
    }
    return ADBK_OK;
}

/* The index record's own fields, checked against the header and the seek
 * table before anything is allocated for its properties and entries. */
static adbk_status index_head(struct adbk_reader *r, unsigned f, const struct idx_rec *x,
                              size_t blen, uint64_t index_offset, struct adbk_error *err)
{
    const char *name = r->src->name;
    char *tool = x->tool.p ? str16_dup(x->tool) : NULL;
    bool nomem = x->tool.p && !tool;
    bool same_tool = tool && r->tool && strcmp(tool, r->tool) == 0;
    free(tool);
    if (nomem)
        return err_set(err, ADBK_E_NOMEM, "%s: no memory for the index", name);
    if (f & IDX_SHORT)
        return err_set(err, ADBK_E_CORRUPT, "%s: index record is too short", name);
    if (memcmp(x->archive_id, r->info.archive_id, 16) != 0 ||
        x->created != r->info.created_sec || !same_tool)
        return err_set(err, ADBK_E_CORRUPT, "%s: the index belongs to another archive (its id, "
                       "time or tool differ from the header's)", name);
    if (x->index_frame != r->info.frame_count - 1 || x->index_offset != index_offset)
        return err_set(err, ADBK_E_CORRUPT, "%s: the index says it is frame %llu at byte %llu; "
                       "the seek table puts it at frame %llu, byte %llu", name,
                       (unsigned long long)x->index_frame, (unsigned long long)x->index_offset,
                       (unsigned long long)(r->info.frame_count - 1),
                       (unsigned long long)index_offset);
    if (f & IDX_COUNTS)
        return err_set(err, ADBK_E_CORRUPT, "%s: index claims %u properties and %llu members, "
                       "more than its %zu bytes hold", name, x->property_count,
                       (unsigned long long)x->member_count, blen);
    return ADBK_OK;
}

/* The properties; tool_nul: the index's Tool holds a NUL byte, which has
 * always been reported as damage of its first property (when it has one). */
static adbk_status parse_props(struct adbk_reader *r, struct cursor *c, uint32_t nprops,
                               bool tool_nul, struct adbk_error *err)
{
    for (uint32_t i = 0; i < nprops; i++) {
        struct prop_rec v;
        unsigned f = prop_decode(c, &v);
        char *key, *value;
        bool copied = str16_dup2(v.key, v.value, &key, &value);
        r->props[i] = (struct adbk_property){.key = key, .value = value};
        r->info.property_count = i + 1;
        if (!copied)
            return err_set(err, ADBK_E_NOMEM, "%s: no memory for properties", r->src->name);
        if (f || tool_nul)
            return err_set(err, ADBK_E_CORRUPT, "%s: property %u is damaged", r->src->name, i);
    }
    r->info.properties = r->props;
    return ADBK_OK;
}

adbk_status rd_tile(struct adbk_reader *r, uint64_t i, const struct adbk_entry *e,
                    uint64_t *frame, uint64_t *off, struct adbk_error *err)
{
    uint64_t index_frame = r->info.frame_count - 1, ioff = r->info.index_offset;
    if (e->first_frame != *frame || e->offset != *off || e->chunk_count > index_frame - *frame ||
        e->chunk_count + 2 > index_frame - *frame || e->span > ioff - *off ||
        e->span < 2 * REC_FRAME_MIN) {
        char shown[128];
        name_printable(e->name, shown, sizeof shown);
        return err_set(err, ADBK_E_CORRUPT, "%s: index entry %llu (\"%s\") places its frames "
                       "at frame %llu, byte %llu, span %llu; expected frame %llu, byte %llu",
                       r->src->name, (unsigned long long)i, shown,
                       (unsigned long long)e->first_frame, (unsigned long long)e->offset,
                       (unsigned long long)e->span, (unsigned long long)*frame,
                       (unsigned long long)*off);
    }
    *frame += e->chunk_count + 2;
    *off += e->span;
    return ADBK_OK;
}

/* The entries, which must tile the frames between header and index exactly,
 * with unique names. */
static adbk_status parse_entries(struct adbk_reader *r, struct cursor *c, const struct idx_rec *x,
                                 struct adbk_error *err)
{
    const char *name = r->src->name;
    uint64_t index_frame = x->index_frame, ioff = x->index_offset;
    uint64_t frame = r->prefix_frames, off = r->prefix_len;
    for (uint64_t i = 0; i < x->member_count; i++) {
        struct adbk_entry *e = &r->entries[i];
        r->count = (size_t)i + 1;
        adbk_status st = parse_entry(r, c, e, (size_t)i, err);
        if (st == ADBK_OK)
            st = rd_tile(r, i, e, &frame, &off, err);
        if (st != ADBK_OK)
            return st;
        char shown[128];
        name_printable(e->name, shown, sizeof shown);
        switch (nameset_add(&r->names, e->name, (size_t)i, NULL)) {
        case ADBK_OK: break;
        case ADBK_E_EXISTS:
            return err_set(err, ADBK_E_CORRUPT, "%s: member name \"%s\" appears twice", name,
                           shown);
        default:
            return err_set(err, ADBK_E_NOMEM, "%s: no memory for member names", name);
        }
    }
    if (frame != index_frame || off != ioff)
        return err_set(err, ADBK_E_CORRUPT, "%s: the index's members end at frame %llu, byte "
                       "%llu, but the index is frame %llu at byte %llu", name,
                       (unsigned long long)frame, (unsigned long long)off,
                       (unsigned long long)index_frame, (unsigned long long)ioff);
    return ADBK_OK;
}

adbk_status rd_parse_plain_index(struct adbk_reader *r, const uint8_t *body, size_t blen,
                                 uint64_t index_offset, size_t *end, struct adbk_error *err)
{
    struct idx_rec x;
    unsigned f = idx_decode(body, blen, &x);
    adbk_status st = index_head(r, f, &x, blen, index_offset, err);
    if (st != ADBK_OK)
        return st;
    uint32_t nprops = x.property_count;
    uint64_t count = x.member_count;
    r->props = calloc(nprops ? nprops : 1, sizeof *r->props);
    if (!r->entries) /* an encrypted index made them for its clear entries */
        r->entries = calloc(count ? (size_t)count : 1, sizeof *r->entries);
    r->extras = calloc(count ? (size_t)count : 1, sizeof *r->extras);
    if (r->info.is_signed && !r->digests)
        r->digests = calloc(count ? (size_t)count : 1, sizeof *r->digests);
    if (!r->props || !r->entries || !r->extras || (r->info.is_signed && !r->digests))
        return err_set(err, ADBK_E_NOMEM, "%s: no memory for %llu index entries", r->src->name,
                       (unsigned long long)count);
    struct cursor c = {.p = body, .len = blen, .pos = x.rest};
    st = parse_props(r, &c, nprops, f & IDX_TOOL_NUL, err);
    if (st == ADBK_OK)
        st = parse_entries(r, &c, &x, err);
    *end = c.pos;
    return st;
}

static adbk_status reader_load(struct adbk_reader *r, const struct adbk_reader_options *o,
                               struct adbk_error *err)
{
    adbk_status st = rd_check_header(r, err);
    if (st == ADBK_OK)
        st = check_tail(r, err);
    if (st != ADBK_OK)
        return st;
    /* The header's seek-table entry: the frames every member's offset
     * counts from (4, "Finding things from the tail"). One more 12-byte read,
     * so that nothing that verify would call damaged in the header lets
     * extract or list through (FORMAT.md 8: it spoils the archive). */
    struct seek_entry *first;
    st = rd_seek_entries(r, 0, 1, &first, err);
    if (st != ADBK_OK)
        return st;
    bool first_ok = first->csize == r->header_len && first->dsize == 0 &&
                    first->checksum == EMPTY_XXH64_LOW32;
    uint32_t first_size = first->csize;
    free(first);
    if (!first_ok)
        return err_set(err, ADBK_E_CORRUPT, "%s: the seek-table entry of the header record is "
                       "wrong (%u bytes, expected %llu)", r->src->name, first_size,
                       (unsigned long long)r->header_len);
    if (r->info.encrypted && (st = rd_open_keys(r, o, err)) != ADBK_OK)
        return st;
    struct seek_entry *last;
    st = rd_seek_entries(r, r->info.frame_count - 1, 1, &last, err);
    if (st != ADBK_OK)
        return st;
    uint64_t ilen = last->csize;
    int plain = last->dsize == 0 && last->checksum == EMPTY_XXH64_LOW32;
    free(last);
    if (!plain || r->prefix_len > r->seek_offset || ilen > r->seek_offset - r->prefix_len)
        return err_set(err, ADBK_E_CORRUPT, "%s: the last seek-table entry (%llu bytes) cannot be "
                       "the index record", r->src->name, (unsigned long long)ilen);
    uint64_t ioff = r->seek_offset - ilen;
    uint8_t *f;
    const uint8_t *body;
    size_t blen;
    st = rd_record(r, ioff, ilen, REC_IDX, false, &f, &body, &blen, err);
    if (st != ADBK_OK)
        return st;
    r->info.index_offset = ioff;
    r->info.file_size = r->src->size;
    size_t end = 0;
    st = r->info.encrypted ? rd_parse_sealed_index(r, body, blen, ioff, &end, err)
                           : rd_parse_plain_index(r, body, blen, ioff, &end, err);
    if (st == ADBK_OK)
        st = rd_check_signature(r, body, blen, end, err);
    free(f);
    return st;
}

static adbk_status reader_new(const struct adbk_source *src, const struct adbk_reader_options *o,
                              struct adbk_source *owned, struct adbk_reader **r_out,
                              struct adbk_error *err)
{
    *r_out = NULL;
    struct adbk_reader *r = calloc(1, sizeof *r);
    if (!r) {
        adbk_source_close(owned);
        return err_set(err, ADBK_E_NOMEM, "no memory to open %s", src->name);
    }
    r->src = src;
    r->owned_src = owned;
    r->threads = o && o->threads ? o->threads : adbk_cpu_count();
    if (r->threads > 256)
        r->threads = 256;
    r->memory = o && o->memory ? o->memory : ADBK_READ_MEMORY;
    adbk_status st = ADBK_OK;
    if (o && o->trusted_count) {
        r->trusted = malloc(o->trusted_count * sizeof *r->trusted);
        if (!r->trusted)
            st = err_set(err, ADBK_E_NOMEM, "no memory to open %s", src->name);
        else
            memcpy(r->trusted, o->trusted, o->trusted_count * sizeof *r->trusted);
        r->ntrusted = o->trusted_count;
    }
    if (st == ADBK_OK)
        st = reader_load(r, o, err);
    if (st != ADBK_OK) {
        adbk_reader_close(r);
        return st;
    }
    *r_out = r;
    return ADBK_OK;
}

adbk_status adbk_reader_open(const char *path, const struct adbk_reader_options *options,
                             struct adbk_reader **r_out, struct adbk_error *err)
{
    struct adbk_source *src;
    *r_out = NULL;
    adbk_status st = adbk_source_open_file(path, &src, err);
    if (st != ADBK_OK)
        return st;
    return reader_new(src, options, src, r_out, err);
}

adbk_status adbk_reader_open_source(const struct adbk_source *src,
                                    const struct adbk_reader_options *options,
                                    struct adbk_reader **r_out, struct adbk_error *err)
{
    if (!src || !src->read_at) {
        *r_out = NULL;
        return err_set(err, ADBK_E_ARG, "adbk_reader_open_source: no source");
    }
    return reader_new(src, options, NULL, r_out, err);
}

void adbk_reader_close(struct adbk_reader *r)
{
    if (!r)
        return;
    scan_free(r->idle);
    for (size_t i = 0; i < r->count; i++) {
        free((char *)r->entries[i].name);
        free((char *)r->entries[i].source_path);
        if (r->extras)
            free(r->extras[i]);
    }
    free(r->extras);
    for (size_t i = 0; i < r->info.property_count; i++) {
        free((char *)r->props[i].key);
        free((char *)r->props[i].value);
    }
    free(r->entries);
    free(r->props);
    free(r->tool);
    free(r->prefix);
    free(r->digests);
    free(r->trusted);
    crypto_wipe(&r->keys, sizeof r->keys);
    nameset_free(&r->names);
    adbk_source_close(r->owned_src);
    if (r->drop)
        r->drop(r->drop_ctx);
    free(r);
}

const struct adbk_archive_info *adbk_reader_info(const struct adbk_reader *r)
{
    return &r->info;
}

size_t adbk_reader_count(const struct adbk_reader *r)
{
    return r->count;
}

const struct adbk_entry *adbk_reader_member(const struct adbk_reader *r, size_t i)
{
    return i < r->count ? &r->entries[i] : NULL;
}

long adbk_reader_find(const struct adbk_reader *r, const char *name)
{
    size_t v;
    return nameset_get(&r->names, name, &v) ? (long)v : -1;
}

const char *adbk_reader_property(const struct adbk_reader *r, const char *key)
{
    for (size_t i = 0; i < r->info.property_count; i++)
        if (strcmp(r->props[i].key, key) == 0)
            return r->props[i].value;
    return NULL;
}
