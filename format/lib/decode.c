/*
 * decode.c - reading members: the member scan shared by adbk_reader_read_member
 * and adbk_reader_verify.
 *
 * DESIGN
 * The caller's thread reads each member's frames in file order. Records are
 * small and checked at once against the index. Each chunk frame is read into
 * a slot and decompressed by a worker (its own ZSTD_DCtx), which checks the
 * frame against its seek-table entry; then, in the job's ordered stage
 * (pool_submit: one chunk at a time, in file order, on a worker, while the
 * bytes are in a cache), the member's XXH3-128 takes the chunk. The ordered
 * pipe (opipe.c) hands the results back in file order, where the content is
 * passed on; a marker item after the member's last chunk compares the hash
 * with the index. So consecutive members' chunks decompress in parallel,
 * nothing waits at a member boundary, and the caller's thread does not hash
 * content. The span hash (compressed bytes) is computed on the reading side,
 * which sees the bytes in order too.
 *
 * Records are decoded by records.c and chunk frame headers checked by
 * frame.c; here they are compared with the index.
 *
 * Encrypted (FORMAT.md 13): a chunk record is checked and, with the key,
 * opened in place by its worker, which then checks the chunk frame inside
 * as above; sealed member and member-end records are opened here. Locked
 * (no key), only what is in clear is checked: record checksums, clear
 * fields, spans. Signed (12): every frame's digest is taken where its bytes
 * are (a chunk's by its worker) and folded into the member's Span_Digest
 * in order, on the emitting side.
 *
 * Memory: 2 x threads slots of compressBound(chunk) + chunk bytes, as many
 * as fit in the reader's memory bound (at least one), and as many of those as
 * can be allocated (scan_create): the archive chooses its chunk size, so it
 * must not choose the reader's memory too.
 */
/* For ZSTD_d_forceIgnoreChecksum, a parameter of ZSTD_DCtx_setParameter
 * (a stable function) that zstd still lists as experimental. */
#define ZSTD_STATIC_LINKING_ONLY
#include "frame.h"
#include "keyrec.h"
#include "reader_private.h"
#include "xxh.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <zstd_errors.h>

enum { ITEM_CHUNK = 1, ITEM_BEGIN, ITEM_END, ITEM_END_BAD_SPAN, ITEM_LOST };

struct dslot {
    struct scan *s;
    unsigned index;
    uint8_t *in, *out;
    uint32_t csize, dsize, checksum;
    uint8_t digest[DIGEST_SIZE]; /* signed: the frame's Frame_Digest */
    uint64_t offset;
    long member;
    int64_t chunk;
    adbk_status st;
    int wrc;     /* write_at's errno value for this chunk, 0 when written */
    uint8_t content[16]; /* the member's content hash up to this chunk's end */
    char msg[200];
};

struct scan {
    struct adbk_reader *r;
    struct scan_hooks h;
    struct pool *pool;
    ZSTD_DCtx **dctx;
    unsigned nworkers;
    struct dslot *slots;
    unsigned nslots;
    size_t in_cap, out_cap;  /* every slot's buffers */
    struct opipe pipe;
    bool piped;

    /* reading side */
    XXH3_state_t *span;
    uint8_t (*rec_digests)[2][DIGEST_SIZE]; /* signed: each member's two records' digests */
    struct digest_list dl;   /* emitting side: the member's Span_Digest so far */
    XXH3_state_t *content;   /* ordered stage: the running content hash */
    /* emitting side, in file order */
    uint8_t cur_hash[16], empty_hash[16];
    long cur;
    uint64_t cur_size;
    bool cur_damaged;
    uint64_t content_bytes, frames;
    bool stopped;            /* a hook asked to stop */
    struct adbk_error stop_err;
};

bool scan_report(struct scan *s, adbk_status st, long member, int64_t chunk, uint64_t offset,
                 const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct adbk_damage d = {
        .status = st,
        .member = member,
        .member_name = member >= 0 ? s->r->entries[member].name : NULL,
        .chunk = chunk,
        .offset = offset,
        .message = msg,
    };
    bool go_on = s->h.damage ? s->h.damage(s->h.ctx, &d) : false;
    if (!go_on && !s->stopped) {
        s->stopped = true;
        s->stop_err.status = st;
        snprintf(s->stop_err.message, sizeof s->stop_err.message, "%s", msg);
    }
    return go_on;
}

/* Whether chunks are decrypted and decompressed: not when locked (no key),
 * nor for the quick check, which takes every stored byte against the hashes
 * its writer recorded and leaves the content alone. */
static bool decodes(const struct scan *s)
{
    return !s->r->info.locked && !s->h.quick;
}

/* ------------------------------------------------------------ worker */

static void chunk_fail(struct dslot *sl, adbk_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void chunk_fail(struct dslot *sl, adbk_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sl->msg, sizeof sl->msg, fmt, ap);
    va_end(ap);
    sl->st = st;
}

/* The rules of FORMAT.md 3.3 for the chunk frame in the slot, and its
 * agreement with the seek table, each with its own message. */
static bool chunk_header_ok(struct dslot *sl, const uint8_t *in, size_t csize)
{
    struct chunk_head h;
    unsigned f = chunk_head_check(in, csize, sl->s->r->info.chunk_size, &h);
    if (csize < 9 || (f & CH_MAGIC))
        chunk_fail(sl, ADBK_E_CORRUPT, "not a zstd frame");
    else if (f & (CH_INCOMPLETE | CH_RESERVED | CH_WINDOW_LOG)) /* what zstd refuses */
        chunk_fail(sl, ADBK_E_CORRUPT, "frame header is damaged");
    else if (f & (CH_DICTIONARY | CH_NO_CHECKSUM))
        chunk_fail(sl, ADBK_E_CORRUPT, "frame %s", (f & CH_DICTIONARY) ? "names a dictionary"
                                                                      : "has no content checksum");
    else if ((f & CH_NO_SIZE) || h.content_size == ZSTD_CONTENTSIZE_UNKNOWN)
        chunk_fail(sl, ADBK_E_CORRUPT, "frame has no Frame_Content_Size");
    else if (sl->s->r->streaming && (f & CH_CONTENT))
        chunk_fail(sl, ADBK_E_CORRUPT, "frame declares %llu bytes, outside 1..%u (the chunk size)",
                   (unsigned long long)h.content_size, sl->s->r->info.chunk_size);
    else if (sl->s->r->streaming && sl->dsize == 0 && h.content_size > sl->s->out_cap)
        chunk_fail(sl, ADBK_E_CORRUPT, "frame declares %llu bytes, more than a chunk can hold",
                   (unsigned long long)h.content_size);
    else if (sl->s->r->streaming && sl->dsize == 0) /* sealed: known once opened */
        sl->dsize = (uint32_t)h.content_size;
    else if (h.content_size != sl->dsize)
        chunk_fail(sl, ADBK_E_CORRUPT, "frame declares %llu bytes, %s %u",
                   (unsigned long long)h.content_size,
                   sl->s->r->info.encrypted ? "its member's size gives" : "the seek table", sl->dsize);
    else if (f & CH_WINDOW)
        chunk_fail(sl, ADBK_E_CORRUPT, "frame asks for a %llu MiB window (at most %u MiB)",
                   (unsigned long long)(h.window >> 20), ADBK_WINDOW_MAX >> 20);
    return sl->st == ADBK_OK;
}

/* An encrypted archive's chunk record (13.5): its checksum and clear part,
 * then, with the key, the sealed chunk frame opened in place; *in and *csize
 * then give the frame. False when something fails (sl says what). */
static bool open_chunk_record(struct dslot *sl, const uint8_t **in, size_t *csize)
{
    struct adbk_reader *r = sl->s->r;
    const uint8_t *body;
    size_t blen;
    struct adbk_error why;
    adbk_status st = rec_check(sl->in, sl->csize, REC_CHK, &body, &blen, NULL,
                               sl->offset, &why);
    if (st != ADBK_OK) {
        chunk_fail(sl, st, "%s", why.message);
        return false;
    }
    struct sealed_rec sr;
    if (sealed_decode(REC_CHK, body, blen, &sr) || sr.number != (uint64_t)sl->member ||
        sr.chunk != (uint64_t)sl->chunk) {
        chunk_fail(sl, ADBK_E_CORRUPT, "the chunk record names member %llu chunk %llu",
                   (unsigned long long)sr.number, (unsigned long long)sr.chunk);
        return false;
    }
    if (!decodes(sl->s))
        return true;
    uint8_t *pt = (uint8_t *)sr.sealed; /* in place: the slot's own buffer */
    if (!sealed_open(&r->keys, REC_CHK, body, &sr, pt)) {
        chunk_fail(sl, ADBK_E_AUTH, "the sealed chunk does not authenticate: changed, moved, "
                   "or from another archive");
        return false;
    }
    *in = pt;
    *csize = sr.sealed_len - SEAL_TAG;
    return true;
}

/* Checks a chunk frame against its seek-table entry and decompresses it. */
static void decompress_job(void *arg, unsigned worker)
{
    struct dslot *sl = arg;
    struct adbk_reader *r = sl->s->r;
    const uint8_t *in = sl->in;
    size_t csize = sl->csize;
    sl->st = ADBK_OK;
    sl->wrc = 0;
    if (sl->s->h.digests)
        frame_digest(sl->in, sl->csize, sl->digest);
    if (r->info.encrypted && (!open_chunk_record(sl, &in, &csize) || !decodes(sl->s)))
        return;
    if (!chunk_header_ok(sl, in, csize))
        return;
    size_t fsize = ZSTD_findFrameCompressedSize(in, csize);
    if (ZSTD_isError(fsize) || fsize != csize) {
        chunk_fail(sl, ADBK_E_CORRUPT, "frame is %s bytes long, the seek table says %zu",
                   ZSTD_isError(fsize) ? "an unreadable number of" : "a different number of",
                   csize);
        return;
    }
    if (!r->info.encrypted && chunk_checksum(in, csize) != sl->checksum) {
        chunk_fail(sl, ADBK_E_CHECKSUM, "frame checksum %08x differs from the seek table's %08x",
                   chunk_checksum(in, csize), sl->checksum);
        return;
    }
    if (!decodes(sl->s))
        return; /* quick: the frame is whole and in place; its bytes are in the span hash */
    size_t z = ZSTD_decompressDCtx(sl->s->dctx[worker], sl->out, sl->dsize, in, csize);
    if (ZSTD_isError(z))
        chunk_fail(sl, ZSTD_getErrorCode(z) == ZSTD_error_checksum_wrong ? ADBK_E_CHECKSUM
                                                                         : ADBK_E_CORRUPT,
                   "decompression failed: %s", ZSTD_getErrorName(z));
    else if (z != sl->dsize)
        chunk_fail(sl, ADBK_E_CORRUPT, "frame gave %zu bytes, expected %u", z, sl->dsize);
    else if (sl->s->h.write_at) /* written here, while the bytes are in this core's cache */
        sl->wrc = sl->s->h.write_at(sl->s->h.write_ctx,
                                    (uint64_t)sl->chunk * sl->s->r->info.chunk_size, sl->out,
                                    sl->dsize);
}

/* The ordered stage of a chunk's job: feeds the member's content hash with
 * the chunk and keeps the hash so far with the slot. A damaged chunk is left
 * out: its member's hash goes unused (and a member whose first chunk is lost
 * goes on from the previous state). */
static void hash_job(void *arg, unsigned worker)
{
    (void)worker;
    struct dslot *sl = arg;
    struct scan *s = sl->s;
    if (sl->st == ADBK_OK)
        content_hash_chunk(s->content, (uint64_t)sl->chunk, sl->out, sl->dsize, sl->content);
}

/* ------------------------------------------------------------ in order */

static adbk_status emit_item(void *ctx, const struct opipe_item *it, struct adbk_error *err)
{
    struct scan *s = ctx;
    long m = (long)(intptr_t)it->data;
    const struct adbk_entry *e = m >= 0 ? &s->r->entries[m] : NULL;
    switch (it->tag) {
    case ITEM_BEGIN:
        memcpy(s->cur_hash, s->empty_hash, 16);
        s->cur = m;
        s->cur_size = 0;
        s->cur_damaged = false;
        if (s->h.digests) {
            dlist_init(&s->dl);
            dlist_add(&s->dl, s->r->streaming ? s->r->stream[m].rec_digest[0]
                                              : s->rec_digests[m][0]);
        }
        return ADBK_OK;
    case ITEM_LOST:
        s->cur_damaged = true;
        return ADBK_OK;
    case ITEM_END_BAD_SPAN:
        /* Reported here, in order, so that a damaged chunk of this member -
         * the more precise finding - is reported instead when there is one. */
        if (!s->cur_damaged && !s->stopped && s->h.recheck)
            s->h.recheck(s->h.ctx, (size_t)m);
        else if (!s->cur_damaged && !s->stopped)
            scan_report(s, ADBK_E_CHECKSUM, m, -1, e->offset,
                        "member \"%s\": archive bytes %llu..%llu do not match the index's span "
                        "(a damaged frame header?)", e->name, (unsigned long long)e->offset,
                        (unsigned long long)(e->offset + e->span - 1));
        return ADBK_OK;
    case ITEM_END:
        if (s->r->streaming) { /* compared with the index once it has passed */
            struct stream_member *sm = &s->r->stream[m];
            if (s->cur_damaged)
                sm->damaged = true;
            if (s->h.digests) {
                dlist_add(&s->dl, sm->rec_digest[1]);
                dlist_final(&s->dl, sm->digest);
            }
            if (decodes(s)) {
                memcpy(sm->content_hash, s->cur_hash, 16);
                sm->content_size = s->cur_size;
                sm->decoded = true;
            }
            return ADBK_OK;
        }
        if (!s->cur_damaged && !s->stopped && s->h.digests) {
            uint8_t d[DIGEST_SIZE];
            dlist_add(&s->dl, s->rec_digests[m][1]);
            dlist_final(&s->dl, d);
            if (memcmp(d, s->r->digests[m], DIGEST_SIZE) != 0) {
                scan_report(s, ADBK_E_SIGNATURE, m, -1, e->offset,
                            "member \"%s\": archive bytes %llu..%llu do not match the signed "
                            "Span_Digest: changed after signing", e->name,
                            (unsigned long long)e->offset,
                            (unsigned long long)(e->offset + e->span - 1));
                return ADBK_OK;
            }
        }
        if (!s->cur_damaged && !s->stopped && decodes(s)) {
            if (memcmp(s->cur_hash, e->xxh128, 16) != 0 && s->h.recheck) {
                s->h.recheck(s->h.ctx, (size_t)m);
            } else if (memcmp(s->cur_hash, e->xxh128, 16) != 0) {
                char got[33], want[33];
                adbk_hex128(s->cur_hash, got);
                adbk_hex128(e->xxh128, want);
                scan_report(s, ADBK_E_CHECKSUM, m, -1, e->offset,
                            "member \"%s\": content hash %s differs from the index's %s",
                            e->name, got, want);
            }
        }
        return ADBK_OK;
    }
    struct dslot *sl = &s->slots[it->slot];
    s->frames++;
    if (s->stopped)
        return ADBK_OK;
    if (sl->st != ADBK_OK) {
        s->cur_damaged = true;
        scan_report(s, sl->st, sl->member, sl->chunk, sl->offset,
                    "member \"%s\" chunk %lld (bytes %llu..%llu of the archive): %s",
                    s->r->entries[sl->member].name, (long long)sl->chunk,
                    (unsigned long long)sl->offset,
                    (unsigned long long)(sl->offset + sl->csize - 1), sl->msg);
        return ADBK_OK;
    }
    if (s->h.digests)
        dlist_add(&s->dl, sl->digest);
    if (!decodes(s))
        return ADBK_OK; /* locked or quick: the stored bytes were checked, not the content */
    if (sl->wrc != 0) {
        s->stopped = true;
        return err_set(err, ADBK_E_IO, "writing member \"%s\": %s",
                       s->r->entries[sl->member].name, strerror(sl->wrc));
    }
    if (s->r->streaming) {
        /* Every chunk but a member's last holds Chunk_Size bytes (3.3): the
         * seek table is not there yet to say so. */
        struct stream_member *sm = &s->r->stream[sl->member];
        if (sm->short_chunk) {
            s->cur_damaged = true;
            scan_report(s, ADBK_E_CORRUPT, sl->member, sl->chunk, sl->offset,
                        "member \"%s\" chunk %lld (bytes %llu..%llu of the archive): follows a "
                        "chunk of fewer than %u bytes, which must be the member's last",
                        s->r->entries[sl->member].name, (long long)sl->chunk,
                        (unsigned long long)sl->offset,
                        (unsigned long long)(sl->offset + sl->csize - 1), s->r->info.chunk_size);
            return ADBK_OK;
        }
        if (sl->dsize < s->r->info.chunk_size)
            sm->short_chunk = true;
    }
    memcpy(s->cur_hash, sl->content, 16);
    s->cur_size += sl->dsize;
    s->content_bytes += sl->dsize;
    if (s->h.out && !s->cur_damaged) {
        int rc = s->h.out(s->h.out_ctx, sl->out, sl->dsize);
        if (rc != 0) {
            s->stopped = true;
            if (rc < 0)
                return err_set(err, ADBK_E_ABORTED, "reading member \"%s\": stopped",
                               s->r->entries[sl->member].name);
            return err_set(err, ADBK_E_IO, "writing member \"%s\": %s",
                           s->r->entries[sl->member].name, strerror(rc));
        }
    }
    return ADBK_OK;
}

/* ------------------------------------------------------------ reading */

static adbk_status push_marker(struct scan *s, int tag, long member, struct adbk_error *err)
{
    return opipe_push(&s->pipe,
                      (struct opipe_item){.slot = -1, .tag = (uint32_t)tag,
                                          .data = (void *)(intptr_t)member},
                      NULL, NULL, NULL, err);
}

/* What is wrong with a member record (decoded as m, faults f, strings
 * copied to name and src unless memory ran out) against the index entry e
 * of member i; NULL when nothing is. */
static const char *member_record_differs(const struct adbk_entry *e, long i, unsigned f,
                                         const struct mbr_rec *m, const char *name,
                                         const char *src, bool copied)
{
    if ((f & MBR_SHORT) || !name || !src)
        return copied ? "is too short" : "could not be read (no memory)";
    if (m->number != (uint64_t)i)
        return "has another member number than the index";
    if (m->kind != e->kind || m->bft != e->bft)
        return "gives another kind than the index";
    if (f & (MBR_EXPECTED_NOFLAG | MBR_MODE_NOFLAG)) /* 3.2 */
        return "gives an expected size or a mode without its flag";
    if ((m->flags & (ADBK_HAS_MTIME | ADBK_HAS_MODE)) != (e->flags & (ADBK_HAS_MTIME | ADBK_HAS_MODE)) ||
        m->mtime_sec != e->mtime_sec || m->mtime_nsec != e->mtime_nsec || m->mode != e->mode)
        return "gives other times or modes than the index";
    if (strcmp(name, e->name) != 0 || strcmp(src, e->source_path) != 0)
        return "gives another name or source path than the index";
    if (f & OX_FAULTS)
        return extras_fault(f);
    if ((m->flags & (ADBK_HAS_OWNER | ADBK_HAS_XATTRS)) !=
            (e->flags & (ADBK_HAS_OWNER | ADBK_HAS_XATTRS)) || !extras_match(m, e))
        return "gives another owner or other extended attributes than the index";
    return NULL;
}

/* Compares a member record's body with the index entry; true when it
 * reported a difference. */
static bool check_member_record(struct scan *s, long i, const uint8_t *body, size_t blen,
                                uint64_t off)
{
    const struct adbk_entry *e = &s->r->entries[i];
    struct mbr_rec m;
    unsigned f = mbr_decode(body, blen, &m);
    char *name, *src;
    bool copied = str16_dup2(m.name, m.source_path, &name, &src);
    const char *what = member_record_differs(e, i, f, &m, name, src, copied);
    if (what)
        scan_report(s, ADBK_E_CORRUPT, i, -1, off,
                    "member \"%s\": its member record at byte %llu %s", e->name,
                    (unsigned long long)off, what);
    free(name);
    free(src);
    return what != NULL;
}

static bool check_end_record(struct scan *s, long i, const uint8_t *body, size_t blen,
                             uint64_t off)
{
    const struct adbk_entry *e = &s->r->entries[i];
    struct end_rec v;
    if (!end_decode(body, blen, &v) && v.number == (uint64_t)i && v.size == e->size &&
        v.chunk_count == e->chunk_count && memcmp(v.content_hash, e->xxh128, 16) == 0)
        return false;
    scan_report(s, ADBK_E_CORRUPT, i, -1, off,
                "member \"%s\": its member-end record at byte %llu disagrees with the index "
                "(size, chunk count or hash)", e->name, (unsigned long long)off);
    return true;
}

/* An encrypted archive's member or member-end record (13.5): its clear
 * part against the index; with the key, the record it seals as a plain
 * archive's. True when it reported damage. */
static bool check_sealed_record(struct scan *s, long i, uint32_t type, const uint8_t *body,
                                size_t blen, uint64_t off)
{
    struct adbk_reader *r = s->r;
    const struct adbk_entry *e = &r->entries[i];
    struct sealed_rec sr;
    if (sealed_decode(type, body, blen, &sr) || sr.number != (uint64_t)i ||
        (type == REC_END && (sr.size != e->size || sr.chunk_count != e->chunk_count))) {
        scan_report(s, ADBK_E_CORRUPT, i, -1, off, "member \"%s\": the clear part of its %s at "
                    "byte %llu disagrees with the index", e->name, rec_type_name(type),
                    (unsigned long long)off);
        return true;
    }
    if (!r->unlocked)
        return false;
    uint8_t *pt = malloc(sr.sealed_len - SEAL_TAG ? sr.sealed_len - SEAL_TAG : 1);
    if (!pt) {
        scan_report(s, ADBK_E_NOMEM, i, -1, off, "member \"%s\": no memory for its %s",
                    e->name, rec_type_name(type));
        return true;
    }
    bool bad = true;
    if (!sealed_open(&r->keys, type, body, &sr, pt))
        scan_report(s, ADBK_E_AUTH, i, -1, off, "member \"%s\": its %s at byte %llu does not "
                    "authenticate: changed, moved, or from another archive", e->name,
                    rec_type_name(type), (unsigned long long)off);
    else if (type == REC_MBR)
        bad = check_member_record(s, i, pt, sr.sealed_len - SEAL_TAG, off);
    else
        bad = check_end_record(s, i, pt, sr.sealed_len - SEAL_TAG, off);
    free(pt);
    return bad;
}

/* Reads and checks one record frame of the member. A damaged one is
 * reported, and *bad set: the member's span then fails too, for the same
 * reason, and is not reported again. */
static adbk_status scan_record(struct scan *s, long i, uint32_t type, uint64_t off,
                               const struct seek_entry *se, bool *bad, struct adbk_error *err)
{
    const struct adbk_entry *e = &s->r->entries[i];
    *bad = true;
    if (se->dsize != 0 || se->checksum != EMPTY_XXH64_LOW32) {
        scan_report(s, ADBK_E_CORRUPT, i, -1, off,
                    "member \"%s\": the seek-table entry of its %s at byte %llu is wrong "
                    "(decompressed size %u, checksum %08x)", e->name, rec_type_name(type),
                    (unsigned long long)off, se->dsize, se->checksum);
        return ADBK_OK;
    }
    uint8_t *f;
    const uint8_t *body;
    size_t blen;
    struct adbk_error why;
    adbk_status st = rd_record(s->r, off, se->csize, type, true, &f, &body, &blen, &why);
    if (st == ADBK_E_IO || st == ADBK_E_NOMEM) {
        if (err)
            *err = why;
        return st;
    }
    if (st != ADBK_OK) {
        scan_report(s, st, i, -1, off, "member \"%s\": %s", e->name, why.message);
        return ADBK_OK;
    }
    XXH3_64bits_update(s->span, f, se->csize);
    s->frames++;
    if (s->h.digests)
        frame_digest(f, se->csize, s->rec_digests[i][type == REC_MBR ? 0 : 1]);
    if (s->r->info.encrypted)
        *bad = check_sealed_record(s, i, type, body, blen, off);
    else if (type == REC_MBR)
        *bad = check_member_record(s, i, body, blen, off);
    else
        *bad = check_end_record(s, i, body, blen, off);
    free(f);
    return ADBK_OK;
}

adbk_status scan_member(struct scan *s, size_t idx, const struct seek_entry *se,
                        uint64_t *bytes_read, struct adbk_error *err)
{
    struct adbk_reader *r = s->r;
    const struct adbk_entry *e = &r->entries[idx];
    long i = (long)idx;
    uint64_t off = e->offset, cs = r->info.chunk_size;
    size_t bound = ZSTD_compressBound(cs);
    bool enc = r->info.encrypted;

    XXH3_64bits_reset(s->span);
    adbk_status st = push_marker(s, ITEM_BEGIN, i, err);
    /* The seek table must place the member's frames exactly over its span,
     * which open checked against the index: otherwise the table disagrees
     * with the frames, and offsets taken from it could point anywhere, even
     * past the end of the file. (At most 2^32 sizes below 2^32: no overflow.) */
    uint64_t sum = 0;
    for (uint64_t k = 0; k < e->chunk_count + 2; k++)
        sum += se[k].csize;
    if (st == ADBK_OK && sum != e->span) {
        scan_report(s, ADBK_E_CORRUPT, i, -1, off,
                    "member \"%s\": the seek table gives its %llu frames %llu bytes, the index "
                    "%llu (bytes %llu..%llu): the seek table disagrees with the frames", e->name,
                    (unsigned long long)(e->chunk_count + 2), (unsigned long long)sum,
                    (unsigned long long)e->span, (unsigned long long)off,
                    (unsigned long long)(off + e->span - 1));
        return push_marker(s, ITEM_LOST, i, err);
    }
    bool bad = false;
    if (st == ADBK_OK)
        st = scan_record(s, i, REC_MBR, off, &se[0], &bad, err);
    if (st == ADBK_OK && bad)
        st = push_marker(s, ITEM_LOST, i, err);
    if (st != ADBK_OK)
        return st;
    off += se[0].csize;
    for (uint64_t k = 0; k < e->chunk_count && !s->stopped; k++) {
        const struct seek_entry *f = &se[1 + k];
        uint64_t want = k + 1 < e->chunk_count ? cs : e->size - k * cs;
        /* A chunk record (13.5) has a record's seek-table entry; its content
         * size follows from the member's. */
        uint64_t dsize = enc ? want : f->dsize;
        uint64_t zsize = enc ? f->csize - (uint64_t)CHK_FRAME_SIZE(0) : f->csize;
        if ((enc ? f->dsize != 0 || f->checksum != EMPTY_XXH64_LOW32 ||
                       f->csize < CHK_FRAME_SIZE(9)
                 : f->dsize != want) ||
            dsize > s->out_cap || f->csize < 9 || zsize > bound ||
            dsize > zsize * ZSTD_MAX_EXPANSION + ZSTD_EXPANSION_SLACK ||
            off + f->csize > r->info.index_offset) {
            scan_report(s, ADBK_E_CORRUPT, i, (int64_t)k, off,
                        "member \"%s\" chunk %llu at byte %llu: impossible seek-table entry "
                        "(%u bytes holding %u, expected %llu)", e->name, (unsigned long long)k,
                        (unsigned long long)off, f->csize, f->dsize, (unsigned long long)want);
            st = push_marker(s, ITEM_LOST, i, err);
            if (st != ADBK_OK)
                return st;
            off += f->csize;
            continue;
        }
        unsigned slot;
        st = opipe_take_slot(&s->pipe, &slot, err);
        if (st != ADBK_OK)
            return st;
        struct dslot *sl = &s->slots[slot];
        st = rd_read(r, off, sl->in, f->csize, "chunk", err);
        if (st != ADBK_OK)
            return st;
        XXH3_64bits_update(s->span, sl->in, f->csize);
        sl->csize = f->csize;
        sl->dsize = (uint32_t)dsize;
        sl->checksum = f->checksum;
        sl->offset = off;
        sl->member = i;
        sl->chunk = (int64_t)k;
        st = opipe_push(&s->pipe, (struct opipe_item){.slot = (int)slot, .tag = ITEM_CHUNK},
                        decompress_job, decodes(s) ? hash_job : NULL, sl, err);
        if (st != ADBK_OK)
            return st;
        off += f->csize;
        *bytes_read += f->csize;
        if (s->h.progress && s->h.progress(s->h.ctx, *bytes_read) != 0)
            return err_set(err, ADBK_E_ABORTED, "%s: stopped by request", r->src->name);
    }
    if (s->stopped)
        return ADBK_OK;
    const struct seek_entry *fe = &se[1 + e->chunk_count];
    st = scan_record(s, i, REC_END, off, fe, &bad, err);
    if (st == ADBK_OK && bad)
        st = push_marker(s, ITEM_LOST, i, err);
    if (st != ADBK_OK)
        return st;
    off += fe->csize;
    *bytes_read += se[0].csize + fe->csize;
    bool span_ok = off - e->offset == e->span && XXH3_64bits_digest(s->span) == e->span_xxh64;
    return push_marker(s, span_ok ? ITEM_END : ITEM_END_BAD_SPAN, i, err);
}

/* ------------------------------------------------------------ streaming */

adbk_status scan_stream_slot(struct scan *s, unsigned *slot, uint8_t **buf, size_t *cap,
                             struct adbk_error *err)
{
    adbk_status st = opipe_take_slot(&s->pipe, slot, err);
    if (st != ADBK_OK)
        return st;
    *buf = s->slots[*slot].in;
    *cap = s->in_cap;
    return ADBK_OK;
}

adbk_status scan_stream_chunk(struct scan *s, unsigned slot, size_t i, uint64_t k, uint64_t off,
                              size_t csize, uint32_t dsize, uint32_t checksum,
                              struct adbk_error *err)
{
    struct dslot *sl = &s->slots[slot];
    sl->csize = (uint32_t)csize;
    sl->dsize = dsize;
    sl->checksum = checksum;
    sl->offset = off;
    sl->member = (long)i;
    sl->chunk = (int64_t)k;
    return opipe_push(&s->pipe, (struct opipe_item){.slot = (int)slot, .tag = ITEM_CHUNK},
                      decompress_job, decodes(s) ? hash_job : NULL, sl, err);
}

adbk_status scan_stream_mark(struct scan *s, size_t i, bool end, struct adbk_error *err)
{
    return push_marker(s, end ? ITEM_END : ITEM_BEGIN, (long)i, err);
}

void scan_stream_check(struct adbk_reader *r, const struct scan_hooks *h, size_t i,
                       const struct stream_member *m)
{
    struct scan tmp = {.r = r, .h = *h, .cur = -1};
    struct scan *s = &tmp;
    const struct adbk_entry *e = &r->entries[i];
    long n = (long)i;
    if (m->damaged)
        return; /* reported as it passed */
    if (m->offset != e->offset || m->first_frame != e->first_frame || m->span != e->span) {
        scan_report(s, ADBK_E_CORRUPT, n, -1, m->offset,
                    "member \"%s\": the index places it at byte %llu (frame %llu, %llu bytes), "
                    "but its frames were at byte %llu (frame %llu, %llu bytes)", e->name,
                    (unsigned long long)e->offset, (unsigned long long)e->first_frame,
                    (unsigned long long)e->span, (unsigned long long)m->offset,
                    (unsigned long long)m->first_frame, (unsigned long long)m->span);
        return;
    }
    if (m->chunks != e->chunk_count) {
        scan_report(s, ADBK_E_CORRUPT, n, -1, m->offset,
                    "member \"%s\": %llu chunks passed, the index gives %llu", e->name,
                    (unsigned long long)m->chunks, (unsigned long long)e->chunk_count);
        return;
    }
    if (m->span_hash != e->span_xxh64) {
        scan_report(s, ADBK_E_CHECKSUM, n, -1, e->offset,
                    "member \"%s\": archive bytes %llu..%llu do not match the index's span "
                    "(a damaged frame header?)", e->name, (unsigned long long)e->offset,
                    (unsigned long long)(e->offset + e->span - 1));
        return;
    }
    if (r->info.encrypted) {
        check_sealed_record(s, n, REC_MBR, m->mbr, m->mbr_len, e->offset);
        check_sealed_record(s, n, REC_END, m->end, m->end_len, e->offset + e->span - m->end_len -
                            REC_HEAD - REC_CHECKSUM);
    } else {
        check_member_record(s, n, m->mbr, m->mbr_len, e->offset);
        check_end_record(s, n, m->end, m->end_len, e->offset + e->span - m->end_len - REC_HEAD -
                         REC_CHECKSUM);
    }
    if (h->digests && r->digests && memcmp(m->digest, r->digests[i], DIGEST_SIZE) != 0)
        scan_report(s, ADBK_E_SIGNATURE, n, -1, e->offset,
                    "member \"%s\": archive bytes %llu..%llu do not match the signed "
                    "Span_Digest: changed after signing", e->name, (unsigned long long)e->offset,
                    (unsigned long long)(e->offset + e->span - 1));
    if (m->decoded && m->content_size != e->size)
        scan_report(s, ADBK_E_CORRUPT, n, -1, e->offset,
                    "member \"%s\": its chunks hold %llu bytes, the index gives %llu", e->name,
                    (unsigned long long)m->content_size, (unsigned long long)e->size);
    else if (m->decoded && memcmp(m->content_hash, e->xxh128, 16) != 0) {
        char got[33], want[33];
        adbk_hex128(m->content_hash, got);
        adbk_hex128(e->xxh128, want);
        scan_report(s, ADBK_E_CHECKSUM, n, -1, e->offset,
                    "member \"%s\": content hash %s differs from the index's %s", e->name, got,
                    want);
    }
}

/* ------------------------------------------------------------ lifetime */

adbk_status scan_create(struct adbk_reader *r, const struct scan_hooks *hooks, struct scan **out,
                        struct adbk_error *err)
{
    *out = NULL;
    struct scan *s = calloc(1, sizeof *s);
    if (!s)
        return err_set(err, ADBK_E_NOMEM, "%s: no memory to read", r->src->name);
    s->r = r;
    s->h = *hooks;
    s->cur = -1;
    s->nworkers = r->threads;
    s->nslots = 2 * r->threads; /* a chunk waiting for each worker, as in the writer */
    /* Buffers follow the file, not the header's chunk size: a chunk frame
     * lies before the index, and its content is at most ZSTD_MAX_EXPANSION
     * times its size (scan_member checks both before using a slot). */
    s->in_cap = ZSTD_compressBound(r->info.chunk_size) +
                (r->info.encrypted ? CHK_FRAME_SIZE(0) : 0);
    if (!r->streaming && s->in_cap > r->info.index_offset)
        s->in_cap = (size_t)r->info.index_offset;
    size_t out_cap = r->info.chunk_size;
    if (out_cap > (uint64_t)s->in_cap * ZSTD_MAX_EXPANSION + ZSTD_EXPANSION_SLACK)
        out_cap = (size_t)((uint64_t)s->in_cap * ZSTD_MAX_EXPANSION + ZSTD_EXPANSION_SLACK);
    /* A chunk holds at most its member's size: no buffer larger than the
     * largest member (scan_member checks each frame's size first). */
    uint64_t largest = 1;
    for (size_t i = 0; i < r->count; i++)
        if (r->entries[i].size > largest)
            largest = r->entries[i].size;
    if (out_cap > largest && !r->streaming) /* a stream's sizes come last */
        out_cap = (size_t)largest;
    s->out_cap = out_cap;
    uint64_t per_slot = (uint64_t)s->in_cap + (decodes(s) ? out_cap : 1);
    if (s->nslots > r->memory / per_slot)
        s->nslots = r->memory / per_slot ? (unsigned)(r->memory / per_slot) : 1;
    s->dctx = calloc(s->nworkers, sizeof *s->dctx);
    s->slots = calloc(s->nslots, sizeof *s->slots);
    s->span = XXH3_createState();
    s->content = XXH3_createState();
    content_hash_empty(s->empty_hash);
    if (s->h.digests && !r->digests && !r->streaming)
        s->h.digests = false; /* unsigned: nothing to compare with */
    if (s->h.digests && !r->streaming)
        s->rec_digests = calloc(r->count ? r->count : 1, sizeof *s->rec_digests);
    adbk_status st = ADBK_OK;
    if (!s->dctx || !s->slots || !s->span || !s->content ||
        (s->h.digests && !r->streaming && !s->rec_digests))
        goto nomem;
    /* Each member's first chunk resets it; a member whose first chunk is lost
     * is damaged and its hash unused, but the state stays a valid one. */
    XXH3_128bits_reset(s->content);
    for (unsigned i = 0; i < s->nslots; i++) {
        s->slots[i].s = s;
        s->slots[i].index = i;
        s->slots[i].in = malloc(s->in_cap);
        s->slots[i].out = malloc(decodes(s) ? out_cap : 1);
        if (!s->slots[i].in || !s->slots[i].out) {
            free(s->slots[i].in);
            free(s->slots[i].out);
            s->slots[i].in = s->slots[i].out = NULL;
            if (i == 0)
                goto nomem;
            s->nslots = i; /* fewer chunks in flight, same result */
            break;
        }
    }
    if (s->nworkers > s->nslots)
        s->nworkers = s->nslots;
    for (unsigned i = 0; i < s->nworkers; i++) {
        if (!(s->dctx[i] = ZSTD_createDCtx()))
            goto nomem;
        /* Should a future libzstd refuse the parameter, checksums are simply
         * checked as well: slower, never weaker. */
        if (s->h.recheck)
            (void)ZSTD_DCtx_setParameter(s->dctx[i], ZSTD_d_forceIgnoreChecksum,
                                         ZSTD_d_ignoreChecksum);
    }
    /* One worker is the caller itself: no thread to start and join for
     * each member read (-T 1, or memory for one chunk only). */
    st = pool_create(s->nworkers == 1 ? 0 : s->nworkers, &s->pool, err);
    if (st == ADBK_OK)
        st = opipe_init(&s->pipe, s->pool, s->nslots, emit_item, s, err);
    if (st != ADBK_OK) {
        scan_free(s);
        return st;
    }
    s->piped = true;
    *out = s;
    return ADBK_OK;
nomem:
    scan_free(s);
    return err_set(err, ADBK_E_NOMEM, "%s: no memory for even one read buffer of %llu bytes "
                   "(the archive's chunks hold up to %u bytes each)", r->src->name,
                   (unsigned long long)per_slot, r->info.chunk_size);
}

/* A drained scan made by read_one, for another member with hooks h (the
 * same kind of read: only the hooks and recheck's decoding differ). */
static void scan_rearm(struct scan *s, const struct scan_hooks *h)
{
    s->h = *h;
    if (s->h.digests && !s->r->digests)
        s->h.digests = false;
    s->cur = -1;
    s->cur_size = s->content_bytes = s->frames = 0;
    s->cur_damaged = s->stopped = false;
    memset(&s->stop_err, 0, sizeof s->stop_err);
    for (unsigned i = 0; i < s->nworkers; i++)
        (void)ZSTD_DCtx_setParameter(s->dctx[i], ZSTD_d_forceIgnoreChecksum,
                                     h->recheck ? ZSTD_d_ignoreChecksum : ZSTD_d_validateChecksum);
}

adbk_status scan_finish(struct scan *s, struct adbk_error *err)
{
    return opipe_drain(&s->pipe, err);
}

uint64_t scan_content_bytes(const struct scan *s) { return s->content_bytes; }
uint64_t scan_frames(const struct scan *s) { return s->frames; }

void scan_free(struct scan *s)
{
    if (!s)
        return;
    if (s->piped)
        opipe_destroy(&s->pipe, NULL); /* markers carry no allocations */
    pool_free(s->pool);
    if (s->slots)
        for (unsigned i = 0; i < s->nslots; i++) {
            free(s->slots[i].in);
            free(s->slots[i].out);
        }
    if (s->dctx)
        for (unsigned i = 0; i < s->nworkers; i++)
            ZSTD_freeDCtx(s->dctx[i]);
    XXH3_freeState(s->span);
    XXH3_freeState(s->content);
    free(s->rec_digests);
    free(s->slots);
    free(s->dctx);
    free(s);
}

/* ------------------------------------------------------------ public */

static bool stop_at_first(void *ctx, const struct adbk_damage *d)
{
    (void)ctx;
    (void)d;
    return false;
}

/* Reads member i with hooks h (damage: stop at the first finding). */
static adbk_status read_one(struct adbk_reader *r, size_t i, struct scan_hooks *h,
                            struct adbk_error *err)
{
    if (!r || i >= r->count)
        return err_set(err, ADBK_E_ARG, "no member %zu in %s", i, r ? r->src->name : "archive");
    if (r->info.locked)
        return err_set(err, ADBK_E_KEY, "%s is encrypted: its members are read with a "
                       "recipient's secret key (--identity FILE)", r->src->name);
    const struct adbk_entry *e = &r->entries[i];
    struct seek_entry *se;
    adbk_status st = rd_seek_entries(r, e->first_frame, e->chunk_count + 2, &se, err);
    if (st != ADBK_OK)
        return st;
    h->damage = stop_at_first;
    h->digests = r->info.trusted;
    struct scan *s = r->idle; /* the last member's, when it ended cleanly */
    r->idle = NULL;
    if (s)
        scan_rearm(s, h);
    else
        st = scan_create(r, h, &s, err);
    uint64_t bytes = 0;
    if (st == ADBK_OK)
        st = scan_member(s, i, se, &bytes, err);
    if (st == ADBK_OK)
        st = scan_finish(s, err);
    bool drained = st == ADBK_OK; /* nothing in flight: fit for the next member */
    if (st == ADBK_OK && s->stopped)
        st = err_set(err, s->stop_err.status, "%s: %s", r->src->name, s->stop_err.message);
    if (drained)
        r->idle = s;
    else
        scan_free(s);
    free(se);
    return st;
}

adbk_status adbk_reader_read_member(struct adbk_reader *r, size_t i, adbk_content_fn out,
                                    void *ctx, struct adbk_error *err)
{
    struct scan_hooks h = {.out = out, .out_ctx = ctx};
    return read_one(r, i, &h, err);
}

static void flag_recheck(void *ctx, size_t member)
{
    (void)member;
    *(bool *)ctx = true;
}

adbk_status adbk_reader_write_member(struct adbk_reader *r, size_t i, adbk_content_at_fn write_at,
                                     void *write_ctx, adbk_content_fn done, void *done_ctx,
                                     struct adbk_error *err)
{
    bool again = false;
    struct scan_hooks h = {.out = done, .out_ctx = done_ctx, .write_at = write_at,
                           .write_ctx = write_ctx, .recheck = flag_recheck, .ctx = &again};
    adbk_status st = read_one(r, i, &h, err);
    if (st != ADBK_OK || !again)
        return st;
    /* The hashes failed: the checked read names the damaged chunk. */
    st = read_one(r, i, &(struct scan_hooks){0}, err);
    if (st == ADBK_OK)
        st = err_set(err, ADBK_E_CHECKSUM, "%s: member \"%s\": its content did not match the "
                     "index's hashes when written, and did when read again: did the archive "
                     "change while it was read?", r->src->name, r->entries[i].name);
    return st;
}
