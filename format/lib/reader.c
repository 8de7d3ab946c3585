/*
 * reader.c - opening an archive from its tail (FORMAT.md section 4, "Finding
 * things from the tail"), parsing and cross-checking the header and the index,
 * and the read-only accessors. Reading content lives in decode.c, the
 * whole-archive check in verify.c.
 *
 * Everything read from the file is distrusted: each count and size is checked
 * against what the file can hold before anything is allocated.
 */
#include "reader_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

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
                      uint8_t **frame_out, const uint8_t **body, size_t *body_len,
                      struct adbk_error *err)
{
    *frame_out = NULL;
    if (len < SKIPPABLE_HEADER + REC_MIN_PAYLOAD || len > SKIPPABLE_HEADER + REC_MAX_PAYLOAD)
        return err_set(err, ADBK_E_CORRUPT, "%s: %s at byte %llu has an impossible size of %llu "
                       "bytes", r->src->name, rec_type_name(type), (unsigned long long)off,
                       (unsigned long long)len);
    uint8_t *f = malloc((size_t)len);
    if (!f)
        return err_set(err, ADBK_E_NOMEM, "%s: no memory for a %llu-byte %s", r->src->name,
                       (unsigned long long)len, rec_type_name(type));
    adbk_status st = rd_read(r, off, f, (size_t)len, rec_type_name(type), err);
    if (st == ADBK_OK)
        st = rec_check(f, (size_t)len, type, body, body_len, r->src->name, off, err);
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
        st = rd_read(r, r->seek_offset + SKIPPABLE_HEADER + first * SEEK_ENTRY_SIZE, raw, bytes,
                     "seek table", err);
    if (st == ADBK_OK)
        for (uint64_t i = 0; i < count; i++) {
            const uint8_t *p = raw + i * SEEK_ENTRY_SIZE;
            e[i].csize = le_get32(p);
            e[i].dsize = le_get32(p + 4);
            e[i].checksum = le_get32(p + 8);
        }
    free(raw);
    if (st != ADBK_OK) {
        free(e);
        return st;
    }
    *out = e;
    return ADBK_OK;
}

/* ------------------------------------------------------------ open */

static adbk_status check_header(struct adbk_reader *r, struct adbk_error *err)
{
    const char *name = r->src->name;
    uint8_t head[12];
    if (r->src->size < sizeof head)
        return err_set(err, r->src->size == 0 ? ADBK_E_NOT_ADBK : ADBK_E_TRUNCATED,
                       "%s: only %llu bytes, too short for an adbk archive", name,
                       (unsigned long long)r->src->size);
    adbk_status st = rd_read(r, 0, head, sizeof head, "header", err);
    if (st != ADBK_OK)
        return st;
    if (le_get32(head) != REC_MAGIC || le_get32(head + 8) != REC_HDR) {
        if (le_get32(head) == 0xFD2FB528u)
            return err_set(err, ADBK_E_NOT_ADBK, "%s is a plain zstd file, not an adbk archive",
                           name);
        return err_set(err, ADBK_E_NOT_ADBK, "%s is not an adbk archive (it starts with "
                       "%02x %02x %02x %02x)", name, head[0], head[1], head[2], head[3]);
    }
    uint64_t len = SKIPPABLE_HEADER + (uint64_t)le_get32(head + 4);
    if (len > (1u << 20))
        return err_set(err, ADBK_E_CORRUPT, "%s: header record claims %llu bytes", name,
                       (unsigned long long)len);
    uint8_t *f;
    const uint8_t *body;
    size_t blen;
    st = rd_record(r, 0, len, REC_HDR, &f, &body, &blen, err);
    if (st != ADBK_OK)
        return st;
    /* The version decides how to read everything else: check it first. */
    if (blen >= 4 && le_get16(body) > ADBK_FORMAT_MAJOR) {
        st = err_set(err, ADBK_E_VERSION, "%s: archive format %u.%u is newer than this reader "
                     "(%u.%u); use a newer adbk", name, le_get16(body), le_get16(body + 2),
                     ADBK_FORMAT_MAJOR, ADBK_FORMAT_MINOR);
        goto out;
    }
    struct cursor c = {.p = body, .len = blen};
    r->info.format_major = cur_u16(&c);
    r->info.format_minor = cur_u16(&c);
    (void)cur_u32(&c); /* flags: none defined */
    cur_bytes(&c, r->info.archive_id, 16);
    r->info.created_sec = (int64_t)cur_u64(&c);
    r->info.chunk_size = cur_u32(&c);
    bool nomem = false, nul = false;
    r->tool = cur_str16(&c, &nomem, &nul);
    r->info.tool = r->tool;
    if (nomem)
        st = err_set(err, ADBK_E_NOMEM, "%s: no memory for the header", name);
    else if (c.short_read || r->info.format_major != ADBK_FORMAT_MAJOR)
        st = err_set(err, ADBK_E_CORRUPT, "%s: header record is %s", name,
                     c.short_read ? "too short for format 1" : "of format 0, which never existed");
    else if (r->info.chunk_size < ADBK_CHUNK_MIN || r->info.chunk_size > ADBK_CHUNK_MAX)
        st = err_set(err, ADBK_E_CORRUPT, "%s: header gives a chunk size of %u bytes, outside "
                     "%u..%u", name, r->info.chunk_size, ADBK_CHUNK_MIN, ADBK_CHUNK_MAX);
    r->header_len = len;
out:
    free(f);
    return st;
}

/* Footer and seek-table frame header (FORMAT.md 4). */
static adbk_status check_tail(struct adbk_reader *r, struct adbk_error *err)
{
    const char *name = r->src->name;
    uint64_t size = r->src->size;
    uint8_t foot[SEEK_FOOTER_SIZE], sh[SKIPPABLE_HEADER];
    if (size < r->header_len + SKIPPABLE_HEADER + SEEK_FOOTER_SIZE)
        return err_set(err, ADBK_E_TRUNCATED, "%s: the file ends before its seek table (%llu "
                       "bytes): cut short; adbk salvage can recover what is intact", name,
                       (unsigned long long)size);
    adbk_status st = rd_read(r, size - sizeof foot, foot, sizeof foot, "seek-table footer", err);
    if (st != ADBK_OK)
        return st;
    if (le_get32(foot + 5) != SEEKABLE_FOOTER_MAGIC)
        return err_set(err, ADBK_E_TRUNCATED, "%s: no seek table at the end of the file: cut "
                       "short or damaged at the end; adbk salvage can recover what is intact",
                       name);
    if (foot[4] != SEEK_DESCRIPTOR)
        return err_set(err, ADBK_E_CORRUPT, "%s: seek-table descriptor is 0x%02X, expected 0x%02X "
                       "(checksums, no reserved bits)", name, foot[4], SEEK_DESCRIPTOR);
    uint64_t nframes = le_get32(foot);
    uint64_t table = SKIPPABLE_HEADER + nframes * SEEK_ENTRY_SIZE + SEEK_FOOTER_SIZE;
    if (nframes < 2 || table > size - r->header_len)
        return err_set(err, ADBK_E_CORRUPT, "%s: seek table lists %llu frames, impossible in %llu "
                       "bytes", name, (unsigned long long)nframes, (unsigned long long)size);
    r->seek_offset = size - table;
    r->info.frame_count = nframes;
    st = rd_read(r, r->seek_offset, sh, sizeof sh, "seek table", err);
    if (st != ADBK_OK)
        return st;
    if (le_get32(sh) != SEEK_MAGIC || le_get32(sh + 4) != table - SKIPPABLE_HEADER)
        return err_set(err, ADBK_E_CORRUPT, "%s: seek table at byte %llu has a bad frame header "
                       "(magic 0x%08X, size %u)", name, (unsigned long long)r->seek_offset,
                       le_get32(sh), le_get32(sh + 4));
    return ADBK_OK;
}

static adbk_status parse_entry(struct adbk_reader *r, struct cursor *c, struct adbk_entry *e,
                               size_t n, struct adbk_error *err)
{
    const char *name = r->src->name;
    size_t start = c->pos;
    uint32_t esize = cur_u32(c);
    if (c->short_read || esize < ENTRY_FIXED + 4 || esize - 4 > c->len - c->pos)
        return err_set(err, ADBK_E_CORRUPT, "%s: index entry %zu has a bad size (%u)", name, n,
                       esize);
    struct cursor ec = {.p = c->p + start, .len = esize, .pos = 4};
    e->kind = cur_u8(&ec);
    e->bft = cur_u8(&ec);
    e->flags = cur_u16(&ec) & (ADBK_HAS_MTIME | ADBK_HAS_MODE);
    e->size = cur_u64(&ec);
    e->mtime_sec = (int64_t)cur_u64(&ec);
    e->mtime_nsec = cur_u32(&ec);
    uint32_t raw_mode = cur_u32(&ec);
    e->mode = raw_mode & 07777u; /* bits above are ignored (3.2) */
    e->first_frame = cur_u64(&ec);
    e->offset = cur_u64(&ec);
    e->chunk_count = cur_u64(&ec);
    e->span = cur_u64(&ec);
    cur_bytes(&ec, e->xxh128, 16);
    e->span_xxh64 = cur_u64(&ec);
    bool nomem = false, nul = false;
    e->name = cur_str16(&ec, &nomem, &nul);
    e->source_path = e->name ? cur_str16(&ec, &nomem, &nul) : NULL;
    c->pos = start + esize;
    if (nomem)
        return err_set(err, ADBK_E_NOMEM, "%s: no memory for index entry %zu", name, n);
    if (ec.short_read || !e->name || !e->source_path)
        return err_set(err, ADBK_E_CORRUPT, "%s: index entry %zu is cut short", name, n);
    char shown[128];
    name_printable(e->name, shown, sizeof shown);
    if (nul || e->name[0] == '\0')
        return err_set(err, ADBK_E_CORRUPT, "%s: index entry %zu has %s name", name, n,
                       nul ? "a NUL byte in its" : "an empty");
    if (e->kind == 0)
        return err_set(err, ADBK_E_CORRUPT, "%s: member \"%s\" has kind 0", name, shown);
    if (e->mtime_nsec > 999999999u)
        return err_set(err, ADBK_E_CORRUPT, "%s: member \"%s\" has mtime nanoseconds %u", name,
                       shown, e->mtime_nsec);
    if ((!(e->flags & ADBK_HAS_MTIME) && (e->mtime_sec || e->mtime_nsec)) ||
        (!(e->flags & ADBK_HAS_MODE) && raw_mode))
        return err_set(err, ADBK_E_CORRUPT, "%s: member \"%s\" has a %s without its flag", name,
                       shown, (e->flags & ADBK_HAS_MTIME) || !(e->mtime_sec || e->mtime_nsec)
                                  ? "mode" : "modification time");
    /* Chunk count follows from the size (FORMAT.md 3.3). */
    uint64_t cs = r->info.chunk_size;
    uint64_t want = e->size / cs + (e->size % cs != 0);
    if (e->chunk_count != want || (e->kind == ADBK_KIND_DIRECTORY && e->size != 0))
        return err_set(err, ADBK_E_CORRUPT, "%s: member \"%s\": %llu chunks for %llu bytes "
                       "(expected %llu)", name, shown, (unsigned long long)e->chunk_count,
                       (unsigned long long)e->size, (unsigned long long)want);
    return ADBK_OK;
}

static adbk_status parse_index(struct adbk_reader *r, const uint8_t *body, size_t blen,
                               uint64_t index_offset, struct adbk_error *err)
{
    const char *name = r->src->name;
    struct cursor c = {.p = body, .len = blen};
    uint8_t id[16];
    cur_bytes(&c, id, 16);
    int64_t created = (int64_t)cur_u64(&c);
    uint64_t count = cur_u64(&c);
    uint64_t index_frame = cur_u64(&c);
    uint64_t ioff = cur_u64(&c);
    bool nomem = false, nul = false;
    char *tool = cur_str16(&c, &nomem, &nul);
    uint32_t nprops = cur_u32(&c);
    int same_tool = tool && r->tool && strcmp(tool, r->tool) == 0;
    free(tool);
    if (nomem)
        return err_set(err, ADBK_E_NOMEM, "%s: no memory for the index", name);
    if (c.short_read)
        return err_set(err, ADBK_E_CORRUPT, "%s: index record is too short", name);
    if (memcmp(id, r->info.archive_id, 16) != 0 || created != r->info.created_sec || !same_tool)
        return err_set(err, ADBK_E_CORRUPT, "%s: the index belongs to another archive (its id, "
                       "time or tool differ from the header's)", name);
    if (index_frame != r->info.frame_count - 1 || ioff != index_offset)
        return err_set(err, ADBK_E_CORRUPT, "%s: the index says it is frame %llu at byte %llu; "
                       "the seek table puts it at frame %llu, byte %llu", name,
                       (unsigned long long)index_frame, (unsigned long long)ioff,
                       (unsigned long long)(r->info.frame_count - 1),
                       (unsigned long long)index_offset);
    /* Each property takes at least 4 bytes, each entry ENTRY_FIXED + 4. */
    if (nprops > (c.len - c.pos) / 4 || count > (c.len - c.pos) / (ENTRY_FIXED + 4))
        return err_set(err, ADBK_E_CORRUPT, "%s: index claims %u properties and %llu members, "
                       "more than its %zu bytes hold", name, nprops, (unsigned long long)count,
                       blen);
    r->props = calloc(nprops ? nprops : 1, sizeof *r->props);
    r->entries = calloc(count ? (size_t)count : 1, sizeof *r->entries);
    if (!r->props || !r->entries)
        return err_set(err, ADBK_E_NOMEM, "%s: no memory for %llu index entries", name,
                       (unsigned long long)count);
    for (uint32_t i = 0; i < nprops; i++) {
        struct adbk_property *p = &r->props[i];
        p->key = cur_str16(&c, &nomem, &nul);
        p->value = p->key ? cur_str16(&c, &nomem, &nul) : NULL;
        r->info.property_count = i + 1;
        if (nomem)
            return err_set(err, ADBK_E_NOMEM, "%s: no memory for properties", name);
        if (!p->key || !p->value || nul)
            return err_set(err, ADBK_E_CORRUPT, "%s: property %u is damaged", name, i);
    }
    r->info.properties = r->props;

    uint64_t frame = 1, off = r->header_len;
    for (uint64_t i = 0; i < count; i++) {
        struct adbk_entry *e = &r->entries[i];
        r->count = (size_t)i + 1;
        adbk_status st = parse_entry(r, &c, e, (size_t)i, err);
        if (st != ADBK_OK)
            return st;
        char shown[128];
        name_printable(e->name, shown, sizeof shown);
        /* Entries tile the frames between header and index exactly. */
        if (e->first_frame != frame || e->offset != off ||
            e->chunk_count > index_frame - frame || e->chunk_count + 2 > index_frame - frame ||
            e->span > ioff - off || e->span < 2 * (SKIPPABLE_HEADER + REC_MIN_PAYLOAD))
            return err_set(err, ADBK_E_CORRUPT, "%s: index entry %llu (\"%s\") places its frames "
                           "at frame %llu, byte %llu, span %llu; expected frame %llu, byte %llu",
                           name, (unsigned long long)i, shown,
                           (unsigned long long)e->first_frame, (unsigned long long)e->offset,
                           (unsigned long long)e->span, (unsigned long long)frame,
                           (unsigned long long)off);
        frame += e->chunk_count + 2;
        off += e->span;
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

static adbk_status reader_load(struct adbk_reader *r, struct adbk_error *err)
{
    adbk_status st = check_header(r, err);
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
    struct seek_entry *last;
    st = rd_seek_entries(r, r->info.frame_count - 1, 1, &last, err);
    if (st != ADBK_OK)
        return st;
    uint64_t ilen = last->csize;
    int plain = last->dsize == 0 && last->checksum == EMPTY_XXH64_LOW32;
    free(last);
    if (!plain || ilen > r->seek_offset - r->header_len)
        return err_set(err, ADBK_E_CORRUPT, "%s: the last seek-table entry (%llu bytes) cannot be "
                       "the index record", r->src->name, (unsigned long long)ilen);
    uint64_t ioff = r->seek_offset - ilen;
    uint8_t *f;
    const uint8_t *body;
    size_t blen;
    st = rd_record(r, ioff, ilen, REC_IDX, &f, &body, &blen, err);
    if (st != ADBK_OK)
        return st;
    r->info.index_offset = ioff;
    r->info.file_size = r->src->size;
    st = parse_index(r, body, blen, ioff, err);
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
    adbk_status st = reader_load(r, err);
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
    for (size_t i = 0; i < r->count; i++) {
        free((char *)r->entries[i].name);
        free((char *)r->entries[i].source_path);
    }
    for (size_t i = 0; i < r->info.property_count; i++) {
        free((char *)r->props[i].key);
        free((char *)r->props[i].value);
    }
    free(r->entries);
    free(r->props);
    free(r->tool);
    nameset_free(&r->names);
    adbk_source_close(r->owned_src);
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
