/*
 * verify.c - adbk_reader_verify: every check of FORMAT.md section 8.
 *
 * Open already checked the header record, the footer, the seek-table frame
 * header, the index record and that the index entries tile the frames between
 * header and index. Here every member is scanned (decode.c: records, chunks,
 * content and span hashes), and the seek-table entries of the header and the
 * index are checked. Findings go to the caller's callback as they are found;
 * the scan goes on after damage so that everything damaged is reported.
 *
 * Two passes (FORMAT.md §8, note on item 3): the first decodes chunks without
 * computing zstd's Content_Checksum (XXH64 of every content byte, about a
 * sixth of the work), since the member's Content_Hash covers the same bytes
 * and its Span_Hash every stored byte. A member whose hashes fail there is
 * decoded again with every Content_Checksum checked, which names the damaged
 * chunk and its byte range.
 *
 * The quick check (FORMAT.md §8, "The quick check") is the first pass without
 * decoding: every stored byte against the hashes its writer recorded. Only a
 * member whose span fails is decoded, by the second pass, to name its chunk.
 */
#include "frame.h"
#include "keyrec.h"
#include "reader_private.h"
#include "xxh.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vctx {
    const struct adbk_verify_callbacks *cb;
    struct adbk_verify_result *res;
    adbk_status first;
    uint64_t total;
    size_t *recheck;       /* members for the second pass, at most count */
    size_t n_recheck;
};

static bool on_damage(void *ctx, const struct adbk_damage *d)
{
    struct vctx *v = ctx;
    v->res->damaged++;
    if (v->first == ADBK_OK)
        v->first = d->status;
    if (v->cb && v->cb->damage)
        v->cb->damage(v->cb->ctx, d);
    return true;
}

static void on_recheck(void *ctx, size_t member)
{
    struct vctx *v = ctx;
    v->recheck[v->n_recheck++] = member;
}

/* The second pass: members decoded again with every Content_Checksum
 * checked; findings are reported as in the first. */
static adbk_status recheck(struct adbk_reader *r, struct vctx *v, const struct seek_entry *se,
                           struct adbk_error *err)
{
    struct scan_hooks h = {.damage = on_damage, .digests = r->info.is_signed, .ctx = v};
    struct scan *s = NULL;
    adbk_status st = scan_create(r, &h, &s, err);
    uint64_t bytes = 0;
    for (size_t k = 0; k < v->n_recheck && st == ADBK_OK; k++)
        st = scan_member(s, v->recheck[k], &se[r->entries[v->recheck[k]].first_frame], &bytes,
                         err);
    if (st == ADBK_OK)
        st = scan_finish(s, err);
    scan_free(s);
    return st;
}

static int on_progress(void *ctx, uint64_t bytes)
{
    struct vctx *v = ctx;
    return v->cb && v->cb->progress ? v->cb->progress(v->cb->ctx, bytes, v->total) : 0;
}

/* The full verify, or the quick check (quick: chunks are not decoded). */
static adbk_status verify_file(struct adbk_reader *r, const struct adbk_verify_callbacks *cb,
                               bool quick, struct adbk_verify_result *result_out,
                               struct adbk_error *err)
{
    struct adbk_verify_result res = {0};
    struct vctx v = {.cb = cb, .res = &res, .total = r->src->size,
                     .recheck = malloc((r->count ? r->count : 1) * sizeof(size_t))};
    struct scan_hooks h = {.damage = on_damage, .progress = on_progress, .recheck = on_recheck,
                           .digests = r->info.is_signed, .quick = quick, .ctx = &v};
    struct scan *s = NULL;
    struct seek_entry *se = NULL;
    uint64_t bytes = r->prefix_len;

    /* The whole seek table: open bounded its size by the file's. */
    adbk_status st = v.recheck ? rd_seek_entries(r, 0, r->info.frame_count, &se, err)
                               : err_set(err, ADBK_E_NOMEM, "%s: no memory to verify",
                                         r->src->name);
    if (st == ADBK_OK)
        st = scan_create(r, &h, &s, err);
    if (st != ADBK_OK)
        goto out;

    /* se[0], the header's entry, was checked at open, and se[1] with the key
     * record of an encrypted archive. A signature that fails is damage of
     * the whole archive (12). */
    if (r->info.is_signed && !r->info.signature_ok)
        scan_report(s, ADBK_E_SIGNATURE, -1, -1, r->info.index_offset, "the signature: %s",
                    r->sig_problem);
    for (size_t i = 0; i < r->count && st == ADBK_OK; i++)
        st = scan_member(s, i, &se[r->entries[i].first_frame], &bytes, err);
    if (st == ADBK_OK)
        st = scan_finish(s, err);
    if (st == ADBK_OK && v.n_recheck)
        st = recheck(r, &v, se, err);
    if (st != ADBK_OK)
        goto out;

    /* Frame sizes in the seek table must add up to where the table starts. */
    uint64_t sum = 0;
    for (uint64_t k = 0; k < r->info.frame_count; k++)
        sum += se[k].csize;
    if (sum != r->seek_offset)
        scan_report(s, ADBK_E_CORRUPT, -1, -1, r->seek_offset,
                    "the seek table's frame sizes add up to %llu bytes, but it starts at byte "
                    "%llu", (unsigned long long)sum, (unsigned long long)r->seek_offset);
    res.frames_checked = scan_frames(s) + r->prefix_frames + 1; /* checked at open */
    res.content_bytes = scan_content_bytes(s);
    res.bytes_checked = r->src->size;
    st = v.first;
    if (st != ADBK_OK)
        err_set(err, st, "%s: %llu damaged %s found", r->src->name,
                (unsigned long long)res.damaged, res.damaged == 1 ? "place" : "places");
out:
    scan_free(s);
    free(se);
    free(v.recheck);
    if (result_out)
        *result_out = res;
    return st;
}

adbk_status adbk_reader_verify(struct adbk_reader *r, const struct adbk_verify_callbacks *cb,
                               struct adbk_verify_result *result_out, struct adbk_error *err)
{
    return verify_file(r, cb, false, result_out, err);
}

adbk_status adbk_reader_verify_quick(struct adbk_reader *r,
                                     const struct adbk_verify_callbacks *cb,
                                     struct adbk_verify_result *result_out,
                                     struct adbk_error *err)
{
    return verify_file(r, cb, true, result_out, err);
}

/* ------------------------------------------------------------ streams */

/*
 * adbk_verify_stream: the same checks in one pass over a stream (a pipe),
 * which cannot seek to the tail first. Each frame is checked as it passes,
 * by the same member scan (decode.c) as above; what the index and the seek
 * table will be compared with is kept per member (struct stream_member:
 * where its frames were, its span hash, the seek-table entries its frames
 * make, its record bodies, its content hash and Span_Digest). The tail comes
 * last: it is opened like a file's, over the bytes kept (the frames before
 * the first member and the tail itself), and what was seen is compared with
 * it. Memory: the scan's chunk buffers, one record at a time, the tail, and
 * a small record per member.
 */

struct sin {
    adbk_read_fn read;
    void *ctx;
    const char *name;
    uint64_t off;
};

/* Exactly len bytes, or ADBK_E_TRUNCATED at the end of the input. */
static adbk_status sin_read(struct sin *in, void *buf, size_t len, struct adbk_error *err)
{
    size_t done = 0;
    while (done < len) {
        size_t got = 0;
        int rc = in->read(in->ctx, (uint8_t *)buf + done, len - done, &got);
        if (rc != 0)
            return err_set(err, ADBK_E_IO, "%s: reading at byte %llu: %s", in->name,
                           (unsigned long long)(in->off + done), strerror(rc));
        if (got == 0)
            break;
        done += got;
    }
    in->off += done;
    if (done < len)
        return err_set(err, ADBK_E_TRUNCATED, "%s: truncated: the stream ends at byte %llu",
                       in->name, (unsigned long long)in->off);
    return ADBK_OK;
}

/* A record of len bytes whose first REC_HEAD bytes are head (already read):
 * the rest read into a new buffer *out. The buffer grows with the bytes
 * that arrive, to at most twice them, so a record that claims more than
 * the stream holds costs only what was sent (a file's reader has the file's
 * size to refuse it by; a stream has none). */
static adbk_status sin_record(struct sin *in, const uint8_t *head, uint64_t len, uint8_t **out,
                              struct adbk_error *err)
{
    size_t have = REC_HEAD, cap = len < (1u << 20) ? (size_t)len : (1u << 20);
    uint8_t *f = malloc(cap);
    if (f)
        memcpy(f, head, REC_HEAD);
    while (f && have < len) {
        if (have == cap) {
            size_t grown = (uint64_t)cap * 2 < len ? cap * 2 : (size_t)len;
            uint8_t *g = realloc(f, grown);
            if (!g)
                break;
            f = g;
            cap = grown;
        }
        adbk_status st = sin_read(in, f + have, cap - have, err);
        if (st != ADBK_OK) {
            free(f);
            return st;
        }
        have = cap;
    }
    if (!f || have < len) {
        free(f);
        return err_set(err, ADBK_E_NOMEM, "%s: no memory for a %llu-byte record", in->name,
                       (unsigned long long)len);
    }
    *out = f;
    return ADBK_OK;
}

/* The bytes kept of a stream, as a source: the frames before the first
 * member and the tail, which is all that opening an archive reads. */
struct memsrc {
    struct adbk_source src;
    uint8_t *prefix, *tail;
    uint64_t plen, toff, tlen;
    char *name;
    bool missed; /* something read what the stream did not keep */
};

static int mem_read_at(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct memsrc *m = ctx;
    if (off <= m->plen && len <= m->plen - off) {
        memcpy(buf, m->prefix + off, len);
        return 0;
    }
    if (off >= m->toff && off - m->toff <= m->tlen && len <= m->tlen - (off - m->toff)) {
        memcpy(buf, m->tail + (off - m->toff), len);
        return 0;
    }
    m->missed = true;
    return ESPIPE; /* a stream's other bytes have passed */
}

static void mem_free(void *ctx)
{
    struct memsrc *m = ctx;
    if (!m)
        return;
    free(m->prefix);
    free(m->tail);
    free(m->name);
    free(m);
}

static adbk_status mem_append(uint8_t **buf, uint64_t *len, const void *p, size_t n,
                              const char *name, struct adbk_error *err)
{
    uint8_t *b = realloc(*buf, (size_t)*len + n + 1);
    if (!b)
        return err_set(err, ADBK_E_NOMEM, "%s: no memory for %zu bytes", name, n);
    memcpy(b + *len, p, n);
    *buf = b;
    *len += n;
    return ADBK_OK;
}

/* The pass: its reader (no index), scan and position. */
struct spass {
    struct adbk_reader *r;
    struct scan *s;
    struct sin in;
    struct memsrc *ms;
    size_t cap;           /* entries and stream members allocated */
    long cur;             /* the member whose frames pass, or -1 */
    uint64_t chunk;       /* its chunks so far */
    uint64_t frame;       /* frames so far */
    XXH3_state_t *span, *seek;
    bool stopped;         /* the rest cannot be walked */
};

static void seek_add(XXH3_state_t *h, uint32_t csize, uint32_t dsize, uint32_t checksum)
{
    uint8_t b[SEEK_ENTRY_SIZE];
    seek_entry_encode(&(struct seek_entry){csize, dsize, checksum}, b);
    XXH3_64bits_update(h, b, sizeof b);
}

static struct stream_member *cur_member(struct spass *p)
{
    return p->cur >= 0 ? &p->r->stream[p->cur] : NULL;
}

/* Member p->cur ends without its member-end record. */
static adbk_status cut_member(struct spass *p, uint64_t off, struct adbk_error *err)
{
    if (p->cur < 0)
        return ADBK_OK;
    struct stream_member *m = cur_member(p);
    if (!m->damaged)
        scan_report(p->s, ADBK_E_CORRUPT, p->cur, -1, off, "member \"%s\": no member-end record "
                    "before byte %llu", p->r->entries[p->cur].name, (unsigned long long)off);
    m->damaged = true;
    long i = p->cur;
    p->cur = -1;
    return scan_stream_mark(p->s, (size_t)i, true, err);
}

static adbk_status new_member(struct spass *p, uint64_t off, const uint8_t *f, size_t len,
                              const uint8_t *body, size_t blen, struct adbk_error *err)
{
    struct adbk_reader *r = p->r;
    if (r->count == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 64;
        struct adbk_entry *e = realloc(r->entries, cap * sizeof *e);
        if (e)
            r->entries = e;
        struct stream_member *m = e ? realloc(r->stream, cap * sizeof *m) : NULL;
        if (!m)
            return err_set(err, ADBK_E_NOMEM, "%s: no memory for member %zu", p->in.name,
                           r->count);
        r->stream = m;
        p->cap = cap;
    }
    size_t i = r->count;
    struct adbk_entry *e = &r->entries[i];
    struct stream_member *m = &r->stream[i];
    memset(e, 0, sizeof *e);
    memset(m, 0, sizeof *m);
    /* Its name, for messages, from the member record when it is in clear. */
    char *name = NULL;
    struct mbr_rec mr;
    const uint8_t *mb = r->info.encrypted ? NULL : body;
    size_t mlen = blen;
    uint8_t *pt = NULL;
    struct sealed_rec sr;
    if (body && r->unlocked && !sealed_decode(REC_MBR, body, blen, &sr) &&
        (pt = malloc(sr.sealed_len - SEAL_TAG + 1)) && sealed_open(&r->keys, REC_MBR, body, &sr, pt)) {
        mb = pt;
        mlen = sr.sealed_len - SEAL_TAG;
    }
    if (mb && !(mbr_decode(mb, mlen, &mr) & MBR_SHORT) && !str16_has_nul(mr.name) &&
        mr.name.len)
        name = str16_dup(mr.name);
    free(pt);
    if (!name) {
        char shown[32];
        snprintf(shown, sizeof shown, "#%zu", i);
        name = strdup(shown);
    }
    if (!name)
        return err_set(err, ADBK_E_NOMEM, "%s: no memory for member %zu", p->in.name, i);
    e->name = name;
    e->offset = off;
    r->count++;
    m->offset = off;
    m->first_frame = p->frame - 1; /* the member record, counted */
    if (body) {
        m->mbr = malloc(blen ? blen : 1);
        if (!m->mbr)
            return err_set(err, ADBK_E_NOMEM, "%s: no memory for member %zu", p->in.name, i);
        memcpy(m->mbr, body, blen);
        m->mbr_len = blen;
    } else {
        m->damaged = true;
    }
    if (r->info.is_signed)
        frame_digest(f, len, m->rec_digest[0]);
    XXH3_64bits_reset(p->span);
    XXH3_64bits_update(p->span, f, len);
    XXH3_64bits_reset(p->seek);
    seek_add(p->seek, (uint32_t)len, 0, EMPTY_XXH64_LOW32);
    p->cur = (long)i;
    p->chunk = 0;
    return scan_stream_mark(p->s, i, false, err);
}

static adbk_status end_member(struct spass *p, const uint8_t *f, size_t len, const uint8_t *body,
                              size_t blen, struct adbk_error *err)
{
    struct stream_member *m = cur_member(p);
    if (body) {
        m->end = malloc(blen ? blen : 1);
        if (!m->end)
            return err_set(err, ADBK_E_NOMEM, "%s: no memory for a member-end record",
                           p->in.name);
        memcpy(m->end, body, blen);
        m->end_len = blen;
    } else {
        m->damaged = true;
    }
    if (p->r->info.is_signed)
        frame_digest(f, len, m->rec_digest[1]);
    XXH3_64bits_update(p->span, f, len);
    seek_add(p->seek, (uint32_t)len, 0, EMPTY_XXH64_LOW32);
    m->span = p->in.off - m->offset;
    m->span_hash = XXH3_64bits_digest(p->span);
    m->seek_hash = XXH3_64bits_digest(p->seek);
    m->chunks = p->chunk;
    m->ended = true;
    long i = p->cur;
    p->cur = -1;
    return scan_stream_mark(p->s, (size_t)i, true, err);
}

/* A zstd frame at off, whose first SKIPPABLE_HEADER bytes are head: read to
 * its end (found from its block headers, 3.3 bounds it) and queued. */
static adbk_status pass_chunk(struct spass *p, uint64_t off, const uint8_t *head,
                              struct adbk_error *err)
{
    unsigned slot;
    uint8_t *buf;
    size_t cap;
    adbk_status st = scan_stream_slot(p->s, &slot, &buf, &cap, err);
    if (st != ADBK_OK)
        return st;
    memcpy(buf, head, SKIPPABLE_HEADER);
    size_t have = SKIPPABLE_HEADER, pos = 0; /* bytes read; bytes walked */
    /* Frame_Header size from its descriptor (RFC 8878 3.1.1.1). */
    unsigned fhd = buf[4], fcs = fhd >> 6, single = (fhd >> 5) & 1;
    static const unsigned did_bytes[4] = {0, 1, 2, 4}, fcs_bytes[4] = {0, 2, 4, 8};
    size_t hsize = 5 + (single ? 0 : 1) + did_bytes[fhd & 3] +
                   (fcs == 0 ? single : fcs_bytes[fcs]);
    const char *why = NULL;
    if (fhd & 8)
        why = "its frame header is damaged";
    else if (hsize > have && (st = sin_read(&p->in, buf + have, hsize - have, err)) != ADBK_OK)
        return st;
    if (hsize > have)
        have = hsize;
    if (!why)
        pos = hsize;
    while (!why) {
        struct chunk_block b;
        if (pos + CHUNK_BLOCK_HEAD > cap) {
            why = "it runs past the largest chunk frame";
            break;
        }
        if (pos + CHUNK_BLOCK_HEAD > have) {
            if ((st = sin_read(&p->in, buf + have, pos + CHUNK_BLOCK_HEAD - have, err)) !=
                ADBK_OK)
                return st;
            have = pos + CHUNK_BLOCK_HEAD;
        }
        if (chunk_block_decode(buf + pos, &b) & CB_RESERVED) {
            why = "a block header is damaged";
            break;
        }
        pos += CHUNK_BLOCK_HEAD;
        size_t more = b.stored + (b.last && (buf[4] & 4) ? CHUNK_CHECKSUM : 0);
        if (more > cap - pos) {
            why = "it runs past the largest chunk frame";
            break;
        }
        if (pos + more > have) {
            if ((st = sin_read(&p->in, buf + have, pos + more - have, err)) != ADBK_OK)
                return st;
            have = pos + more;
        }
        pos += more;
        if (b.last)
            break;
    }
    if (!why && pos != have)
        why = "it ends inside its first bytes";
    if (why) {
        /* Without its end, nothing says where the next frame starts. */
        scan_report(p->s, ADBK_E_CORRUPT, p->cur, p->cur >= 0 ? (int64_t)p->chunk : -1, off,
                    "chunk frame at byte %llu: %s, so its end is unknown: the rest of the "
                    "stream cannot be checked", (unsigned long long)off, why);
        p->stopped = true;
        return ADBK_OK;
    }
    p->frame++;
    if (p->cur < 0) {
        scan_report(p->s, ADBK_E_CORRUPT, -1, -1, off, "a chunk frame at byte %llu (%zu bytes) "
                    "belongs to no member", (unsigned long long)off, pos);
        return ADBK_OK;
    }
    struct chunk_head ch;
    chunk_head_check(buf, pos, p->r->info.chunk_size, &ch);
    uint64_t cs = p->r->info.chunk_size;
    uint32_t dsize = ch.content_size >= 1 && ch.content_size <= cs ? (uint32_t)ch.content_size : 1;
    uint32_t sum = (buf[4] & 4) ? chunk_checksum(buf, pos) : 0;
    XXH3_64bits_update(p->span, buf, pos);
    seek_add(p->seek, (uint32_t)pos, (uint32_t)ch.content_size, sum);
    return scan_stream_chunk(p->s, slot, (size_t)p->cur, p->chunk++, off, pos, dsize, sum, err);
}

/* An encrypted archive's chunk record (13.5) of len bytes at off. */
static adbk_status pass_chunk_record(struct spass *p, uint64_t off, const uint8_t *head,
                                     uint64_t len, struct adbk_error *err)
{
    unsigned slot;
    uint8_t *buf;
    size_t cap;
    adbk_status st = scan_stream_slot(p->s, &slot, &buf, &cap, err);
    if (st != ADBK_OK)
        return st;
    if (len > cap) {
        scan_report(p->s, ADBK_E_CORRUPT, p->cur, -1, off, "a chunk record at byte %llu claims "
                    "%llu bytes, more than a chunk can take: the rest of the stream cannot be "
                    "checked", (unsigned long long)off, (unsigned long long)len);
        p->stopped = true;
        return ADBK_OK;
    }
    memcpy(buf, head, REC_HEAD);
    if ((st = sin_read(&p->in, buf + REC_HEAD, (size_t)len - REC_HEAD, err)) != ADBK_OK)
        return st;
    p->frame++;
    if (p->cur < 0) {
        scan_report(p->s, ADBK_E_CORRUPT, -1, -1, off, "a chunk record at byte %llu belongs to "
                    "no member", (unsigned long long)off);
        return ADBK_OK;
    }
    XXH3_64bits_update(p->span, buf, (size_t)len);
    seek_add(p->seek, (uint32_t)len, 0, EMPTY_XXH64_LOW32);
    return scan_stream_chunk(p->s, slot, (size_t)p->cur, p->chunk++, off, (size_t)len, 0, 0, err);
}

/* Walks the members' frames up to the index record, which *idx gets
 * (malloc'd, *idx_len bytes; NULL when the walk stopped before it). */
static adbk_status pass_members(struct spass *p, const struct adbk_verify_callbacks *cb,
                                uint8_t **idx, uint64_t *idx_len, struct adbk_error *err)
{
    *idx = NULL;
    bool enc = p->r->info.encrypted;
    while (!p->stopped) {
        uint64_t off = p->in.off;
        uint8_t head[REC_HEAD];
        adbk_status st = sin_read(&p->in, head, SKIPPABLE_HEADER, err);
        if (st != ADBK_OK)
            return st;
        uint32_t magic = frame_magic(head, SKIPPABLE_HEADER);
        if (magic == ZSTD_MAGIC && !enc) {
            st = pass_chunk(p, off, head, err);
        } else if (magic == REC_MAGIC) {
            struct rec_head rh;
            rec_head_decode(head, SKIPPABLE_HEADER, &rh);
            uint64_t len = SKIPPABLE_HEADER + (uint64_t)rh.frame_size;
            if (len < REC_FRAME_MIN || rh.frame_size > REC_MAX_PAYLOAD) {
                scan_report(p->s, ADBK_E_CORRUPT, p->cur, -1, off, "the record at byte %llu "
                            "has an impossible size of %llu bytes: the rest of the stream "
                            "cannot be checked", (unsigned long long)off,
                            (unsigned long long)len);
                p->stopped = true;
                break;
            }
            if ((st = sin_read(&p->in, head + SKIPPABLE_HEADER, REC_HEAD - SKIPPABLE_HEADER,
                               err)) != ADBK_OK)
                return st;
            rec_head_decode(head, REC_HEAD, &rh);
            if (rh.type == REC_CHK && enc) {
                st = pass_chunk_record(p, off, head, len, err);
            } else {
                uint8_t *f = NULL;
                if ((st = sin_record(&p->in, head, len, &f, err)) != ADBK_OK)
                    return st;
                p->frame++;
                const uint8_t *body = NULL;
                size_t blen = 0;
                struct adbk_error why;
                bool known = rh.type == REC_MBR || rh.type == REC_END || rh.type == REC_IDX;
                bool bad = rec_check(f, (size_t)len, known ? rh.type : 0, &body, &blen,
                                     p->in.name, off, &why) != ADBK_OK;
                if (bad)
                    body = NULL;
                if (rh.type == REC_MBR) { /* a member begins, damaged or not */
                    st = cut_member(p, off, err);
                    if (st == ADBK_OK)
                        st = new_member(p, off, f, (size_t)len, body, blen, err);
                }
                /* A damaged index is reported when the tail is opened. */
                if (bad && rh.type != REC_IDX) {
                    if (cur_member(p))
                        cur_member(p)->damaged = true;
                    scan_report(p->s, why.status, p->cur, -1, off, "%s%s%s%s", p->cur >= 0 ?
                                "member \"" : "", p->cur >= 0 ? p->r->entries[p->cur].name : "",
                                p->cur >= 0 ? "\": " : "", why.message);
                }
                if (rh.type == REC_MBR) {
                } else if (rh.type == REC_END && p->cur >= 0) {
                    st = end_member(p, f, (size_t)len, body, blen, err);
                } else if (rh.type == REC_IDX) {
                    st = cut_member(p, off, err);
                    if (st == ADBK_OK) {
                        *idx = f;
                        *idx_len = len;
                        return ADBK_OK;
                    }
                } else if (body) {
                    scan_report(p->s, ADBK_E_CORRUPT, p->cur, -1, off, "%s at byte %llu where "
                                "it does not belong (%s)", rec_type_name(rh.type),
                                (unsigned long long)off, "FORMAT.md 2");
                    if (cur_member(p))
                        cur_member(p)->damaged = true;
                }
                free(f);
            }
        } else {
            scan_report(p->s, ADBK_E_CORRUPT, p->cur, -1, off, "no frame starts at byte %llu "
                        "(it starts with %02x %02x %02x %02x): the rest of the stream cannot "
                        "be checked", (unsigned long long)off, head[0], head[1], head[2],
                        head[3]);
            p->stopped = true;
        }
        if (st != ADBK_OK)
            return st;
        if (cb && cb->progress && cb->progress(cb->ctx, p->in.off, 0) != 0)
            return err_set(err, ADBK_E_ABORTED, "%s: stopped by request", p->in.name);
    }
    return ADBK_OK;
}

/* The tail after the index record: the seek table, then the end of the
 * stream. False (reported) when it cannot be opened. */
static adbk_status pass_tail(struct spass *p, uint8_t *idx, uint64_t idx_len, bool *ok,
                             struct adbk_error *err)
{
    struct memsrc *ms = p->ms;
    *ok = false;
    uint64_t ioff = p->in.off - idx_len;
    ms->tail = idx; /* the memory source's from here on */
    ms->toff = ioff;
    ms->tlen = idx_len;
    uint8_t sh[SKIPPABLE_HEADER];
    adbk_status st = sin_read(&p->in, sh, sizeof sh, err);
    if (st != ADBK_OK)
        return st;
    struct seek_head h;
    if (seek_head_decode(sh, &h) || h.frame_size != seek_frame_size(p->frame)) {
        scan_report(p->s, ADBK_E_CORRUPT, -1, -1, p->in.off - sizeof sh, "the seek table at "
                    "byte %llu has a bad frame header (magic 0x%08X, size %u, expected %llu for "
                    "the %llu frames that passed)", (unsigned long long)(p->in.off - sizeof sh),
                    h.magic, h.frame_size, (unsigned long long)seek_frame_size(p->frame),
                    (unsigned long long)p->frame);
        return ADBK_OK;
    }
    uint64_t tlen = idx_len + seek_table_size(p->frame);
    uint8_t *tail = realloc(idx, (size_t)tlen);
    if (!tail)
        return err_set(err, ADBK_E_NOMEM, "%s: no memory for the seek table", p->in.name);
    memcpy(tail + idx_len, sh, sizeof sh);
    ms->tail = tail;
    ms->tlen = tlen;
    st = sin_read(&p->in, tail + idx_len + sizeof sh, (size_t)(tlen - idx_len - sizeof sh), err);
    if (st != ADBK_OK)
        return st;
    uint8_t extra;
    size_t got = 0;
    int rc = p->in.read(p->in.ctx, &extra, 1, &got);
    if (rc != 0)
        return err_set(err, ADBK_E_IO, "%s: reading at byte %llu: %s", p->in.name,
                       (unsigned long long)p->in.off, strerror(rc));
    if (got) {
        scan_report(p->s, ADBK_E_CORRUPT, -1, -1, p->in.off, "bytes follow the seek table at "
                    "byte %llu: the archive ends there", (unsigned long long)p->in.off);
        return ADBK_OK;
    }
    ms->src.size = p->in.off;
    *ok = true;
    return ADBK_OK;
}

/* What passed against the tail's reader t. */
static adbk_status compare_tail(struct spass *p, struct adbk_reader *t, struct vctx *v,
                                struct adbk_error *err)
{
    struct scan_hooks h = {.damage = on_damage, .digests = t->info.is_signed, .ctx = v};
    struct adbk_damage d = {.status = ADBK_E_SIGNATURE, .member = -1, .chunk = -1,
                            .offset = t->info.index_offset};
    char msg[400];
    if (t->info.is_signed && !t->info.signature_ok) {
        snprintf(msg, sizeof msg, "the signature: %s", t->sig_problem);
        d.message = msg;
        on_damage(v, &d);
    }
    size_t n = t->count < p->r->count ? t->count : p->r->count;
    if (t->count != p->r->count) {
        snprintf(msg, sizeof msg, "the index lists %zu members, %zu passed in the stream",
                 t->count, p->r->count);
        d.status = ADBK_E_CORRUPT;
        d.message = msg;
        on_damage(v, &d);
    }
    struct seek_entry *se;
    adbk_status st = rd_seek_entries(t, 0, t->info.frame_count, &se, err);
    if (st != ADBK_OK)
        return st;
    for (size_t i = 0; i < n; i++) {
        const struct stream_member *m = &p->r->stream[i];
        scan_stream_check(t, &h, i, m);
        const struct adbk_entry *e = &t->entries[i];
        if (m->damaged || m->first_frame != e->first_frame || m->chunks != e->chunk_count)
            continue; /* reported */
        XXH3_64bits_reset(p->seek);
        for (uint64_t k = 0; k < e->chunk_count + 2; k++) {
            const struct seek_entry *f = &se[e->first_frame + k];
            seek_add(p->seek, f->csize, f->dsize, f->checksum);
        }
        if (XXH3_64bits_digest(p->seek) != m->seek_hash) {
            snprintf(msg, sizeof msg, "member \"%s\": the seek-table entries of its frames "
                     "(%llu..%llu) differ from the frames", e->name,
                     (unsigned long long)e->first_frame,
                     (unsigned long long)(e->first_frame + e->chunk_count + 1));
            struct adbk_damage md = {.status = ADBK_E_CORRUPT, .member = (long)i,
                                     .member_name = e->name, .chunk = -1, .offset = e->offset,
                                     .message = msg};
            on_damage(v, &md);
        }
    }
    free(se);
    return ADBK_OK;
}

adbk_status adbk_verify_stream(adbk_read_fn read, void *ctx, const char *name,
                               const struct adbk_reader_options *o,
                               const struct adbk_verify_callbacks *cb,
                               struct adbk_verify_result *result_out,
                               struct adbk_reader **tail_out, struct adbk_error *err)
{
    struct adbk_verify_result res = {0};
    struct vctx v = {.cb = cb, .res = &res};
    struct spass p = {.in = {.read = read, .ctx = ctx, .name = name ? name : "stdin"},
                      .cur = -1};
    struct adbk_reader *t = NULL;
    uint8_t *idx = NULL;
    uint64_t idx_len = 0;
    bool truncated = false;
    adbk_status st = ADBK_OK;
    if (tail_out)
        *tail_out = NULL;
    p.ms = calloc(1, sizeof *p.ms);
    p.r = calloc(1, sizeof *p.r);
    p.span = XXH3_createState();
    p.seek = XXH3_createState();
    if (p.ms)
        p.ms->name = strdup(p.in.name);
    if (!p.ms || !p.r || !p.span || !p.seek || !p.ms->name) {
        st = err_set(err, ADBK_E_NOMEM, "%s: no memory to verify", p.in.name);
        goto out;
    }
    p.in.name = p.ms->name;
    p.ms->src = (struct adbk_source){.read_at = mem_read_at, .ctx = p.ms, .name = p.ms->name};
    struct adbk_reader *r = p.r;
    r->src = &p.ms->src;
    r->streaming = true;
    r->threads = o && o->threads ? o->threads : adbk_cpu_count();
    if (r->threads > 256)
        r->threads = 256;
    r->memory = o && o->memory ? o->memory : ADBK_READ_MEMORY;

    /* The header record, and in 2.0 the key record: checked as at open. */
    uint8_t head[REC_HEAD];
    size_t got = 0;
    if (read(ctx, head, 1, &got) == 0 && got == 0) {
        st = err_set(err, ADBK_E_NOT_ADBK, "%s is empty, not an adbk archive", p.in.name);
        goto out;
    }
    p.in.off = got;
    st = sin_read(&p.in, head + got, sizeof head - got, err);
    if (st == ADBK_OK)
        st = mem_append(&p.ms->prefix, &p.ms->plen, head, sizeof head, p.in.name, err);
    if (st != ADBK_OK)
        goto out;
    struct rec_head rh;
    rec_head_decode(head, sizeof head, &rh);
    uint64_t hlen = SKIPPABLE_HEADER + (uint64_t)rh.frame_size;
    if (rh.magic == REC_MAGIC && hlen > sizeof head && hlen <= (1u << 20)) {
        uint8_t *b = realloc(p.ms->prefix, (size_t)hlen);
        if (!b) {
            st = err_set(err, ADBK_E_NOMEM, "%s: no memory for the header", p.in.name);
            goto out;
        }
        p.ms->prefix = b;
        st = sin_read(&p.in, b + sizeof head, (size_t)hlen - sizeof head, err);
        if (st != ADBK_OK)
            goto out;
        p.ms->plen = hlen;
    }
    p.ms->src.size = p.ms->plen;
    if ((st = rd_check_header(r, err)) != ADBK_OK)
        goto out;
    p.frame = 1;
    if (r->info.encrypted) {
        uint64_t off = p.in.off;
        if ((st = sin_read(&p.in, head, sizeof head, err)) != ADBK_OK)
            goto out;
        rec_head_decode(head, sizeof head, &rh);
        uint64_t klen = SKIPPABLE_HEADER + (uint64_t)rh.frame_size;
        if (rh.magic != REC_MAGIC || rh.type != REC_KEY || klen < REC_FRAME_MIN ||
            klen > KEY_REC_MAX) {
            st = err_set(err, ADBK_E_CORRUPT, "%s: no key record at byte %llu", p.in.name,
                         (unsigned long long)off);
            goto out;
        }
        uint8_t *f = malloc((size_t)klen);
        const uint8_t *body;
        size_t blen;
        if (!f) {
            st = err_set(err, ADBK_E_NOMEM, "%s: no memory for the key record", p.in.name);
            goto out;
        }
        memcpy(f, head, sizeof head);
        st = sin_read(&p.in, f + sizeof head, (size_t)klen - sizeof head, err);
        if (st == ADBK_OK)
            st = rec_check(f, (size_t)klen, REC_KEY, &body, &blen, p.in.name, off, err);
        if (st == ADBK_OK)
            st = rd_take_key_record(r, o, f, klen, blen, err);
        if (st == ADBK_OK)
            st = mem_append(&p.ms->prefix, &p.ms->plen, f, (size_t)klen, p.in.name, err);
        free(f);
        if (st != ADBK_OK)
            goto out;
        p.frame = 2;
    }

    struct scan_hooks h = {.damage = on_damage, .digests = r->info.is_signed, .ctx = &v};
    if ((st = scan_create(r, &h, &p.s, err)) != ADBK_OK)
        goto out;
    st = pass_members(&p, cb, &idx, &idx_len, err);
    truncated = st == ADBK_E_TRUNCATED;
    bool ok = false;
    if (st == ADBK_OK && idx) {
        uint8_t *i2 = idx;
        idx = NULL;
        st = pass_tail(&p, i2, idx_len, &ok, err);
        truncated = st == ADBK_E_TRUNCATED;
    }
    if (truncated)
        st = ADBK_OK;
    if (st == ADBK_OK)
        st = scan_finish(p.s, err);
    if (st != ADBK_OK)
        goto out;
    if (truncated) {
        char msg[400];
        long m = p.cur;
        snprintf(msg, sizeof msg, "truncated: the stream ends at byte %llu%s%s%s, before the "
                 "seek table: cut short; adbk salvage can recover what is intact",
                 (unsigned long long)p.in.off, m >= 0 ? ", inside member \"" : "",
                 m >= 0 ? r->entries[m].name : "", m >= 0 ? "\"" : "");
        struct adbk_damage d = {.status = ADBK_E_TRUNCATED, .member = m,
                                .member_name = m >= 0 ? r->entries[m].name : NULL, .chunk = -1,
                                .offset = p.in.off, .message = msg};
        on_damage(&v, &d);
    } else if (ok) {
        /* The tail, opened as a file's is, over the bytes kept. */
        struct adbk_error why;
        adbk_status ost = adbk_reader_open_source(&p.ms->src, o, &t, &why);
        if (ost == ADBK_E_IO && p.ms->missed) /* the tail points elsewhere: damage */
            ost = ADBK_E_CORRUPT;
        if (ost == ADBK_E_IO || ost == ADBK_E_NOMEM) {
            st = ost;
            if (err)
                *err = why;
            goto out;
        }
        if (ost != ADBK_OK) {
            char msg[sizeof why.message + 80];
            snprintf(msg, sizeof msg, "%s%s", p.ms->missed ? "the tail does not match the "
                     "frames that passed: " : "", why.message);
            struct adbk_damage d = {.status = ost, .member = -1, .chunk = -1,
                                    .offset = p.ms->toff, .message = msg};
            on_damage(&v, &d);
        } else {
            t->drop = mem_free;
            t->drop_ctx = p.ms;
            p.ms = NULL;
            st = compare_tail(&p, t, &v, err);
            if (st != ADBK_OK)
                goto out;
        }
    } else if (!v.res->damaged) {
        st = err_set(err, ADBK_E_CORRUPT, "%s: the stream could not be checked", p.in.name);
        goto out;
    }
    res.frames_checked = p.frame; /* the seek table is not a frame it lists */
    res.content_bytes = scan_content_bytes(p.s);
    res.bytes_checked = p.in.off;
    st = v.first;
    if (st != ADBK_OK)
        err_set(err, st, "%s: %llu damaged %s found", p.in.name,
                (unsigned long long)res.damaged, res.damaged == 1 ? "place" : "places");
out:
    scan_free(p.s);
    if (p.r) {
        for (size_t i = 0; i < p.r->count; i++) {
            free(p.r->stream[i].mbr);
            free(p.r->stream[i].end);
        }
        free(p.r->stream);
        adbk_reader_close(p.r);
    }
    XXH3_freeState(p.span);
    XXH3_freeState(p.seek);
    free(idx);
    mem_free(p.ms);
    if (tail_out)
        *tail_out = t;
    else
        adbk_reader_close(t);
    if (result_out)
        *result_out = res;
    return st;
}
