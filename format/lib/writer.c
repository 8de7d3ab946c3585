/*
 * writer.c - the streaming archive writer (FORMAT.md sections 2-4).
 *
 * DESIGN
 * The caller's thread fills chunk buffers (adbk_writer_write copies into them;
 * adbk_writer_reserve/commit lets a source read straight into them). A full
 * chunk is handed to the worker pool, which compresses it into the slot's own
 * output buffer with that worker's ZSTD_CCtx; then, in the job's ordered
 * stage (pool_submit: one chunk at a time, in order, on whichever worker is
 * free), feeds the member's content hash (XXH3-128) with it, so the caller's
 * thread hashes only what it writes. Everything that goes to the sink
 * - records and compressed chunks - passes through one ordered output queue;
 * the caller's thread emits the head of the queue as soon as it is ready, and
 * blocks only when it needs a slot that is still being compressed. So reading
 * (caller), compressing (workers) and writing (caller, between reads) overlap,
 * and memory is bounded by the slot ring: 2 x threads x (chunk + bound).
 * A slot's buffers grow to what its data needs (doubling from 64 KiB up to
 * the chunk size), so a small archive costs little memory, and a writer that
 * lives for one small archive (a test, a fuzzer's input) maps no large
 * buffers.
 *
 * Emission is the single place that knows file offsets: it appends the seek
 * table entry, feeds the whole-file hash and the current member's span hash,
 * builds the member-end record (its Content_Hash is the hash the member's
 * last chunk left) and completes the index entry as that record goes out.
 *
 * Errors are sticky: after a failure every call returns the first failure's
 * status and message. The writer never seeks. It decides what goes into each
 * record and the seek table; records.c lays the bytes out.
 *
 * Encrypted (FORMAT.md 13): a key record follows the header; member and
 * member-end records are sealed as they are built, on the caller's thread;
 * a worker seals its chunk frame into a chunk record right after compressing
 * it, in place. Signed (12): each frame's BLAKE2b digest is taken where the
 * frame is made (a chunk's by its worker), and emission folds them into the
 * member's Span_Digest, in order; finish signs the index.
 */
#include "crypto.h"
#include "extras.h"
#include "frame.h"
#include "internal.h"
#include "records.h"
#include "xxh.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <zstd.h>
#include <zstd_errors.h>

#ifndef ADBK_VERSION_STRING
#define ADBK_VERSION_STRING "0"
#endif

/* A chunk buffer and the compressed frame made from it. */
struct slot {
    struct adbk_writer *w;
    unsigned index;
    uint8_t *in, *out;
    size_t in_len, in_cap, out_cap, out_len; /* caps grow: slot_room, submit_fill */
    size_t zret;       /* ZSTD result of the worker, checked at emission */
    uint64_t member, chunk;       /* encrypted: the chunk record's clear part */
    uint8_t digest[DIGEST_SIZE];  /* signed: the frame's Frame_Digest */
    uint8_t content[16];          /* the member's Content_Hash up to this chunk's end */
    /* adbk_writer_read_from: the worker reads the chunk (want bytes at
     * read_off) before compressing it; rerr is its errno value. */
    adbk_read_at_fn read_at;
    void *read_ctx;
    uint64_t read_off;
    size_t want;
    int rerr;
};

/* What the index needs about a member, completed as its frames are emitted. */
struct member_meta {
    char *name, *source_path;
    unsigned kind, bft, flags;
    int64_t mtime_sec;
    uint32_t mtime_nsec, mode;
    uint32_t uid, gid;            /* with ADBK_HAS_OWNER */
    char *user, *group;
    struct bytebuf xattr_bytes;   /* with ADBK_HAS_XATTRS: the list's attributes */
    struct xattr_list xattrs;     /* over xattr_bytes */
    uint64_t number;
    uint64_t size, chunk_count;   /* counted as its chunks are emitted */
    uint8_t xxh128[16];           /* set when the member-end record is emitted */
    uint64_t first_frame, offset; /* set when the member record is emitted */
};

/* A built record waiting in the output queue (item tag = its type; chunk
 * items have tag 0 and a slot). */
struct rec_item {
    uint8_t *bytes;
    size_t len;
    struct member_meta *meta;   /* member and member-end records */
};

enum wstate { W_OPEN, W_MEMBER, W_FINISHED, W_FAILED };

struct adbk_writer {
    struct adbk_sink sink;
    enum wstate state;
    bool reserved_kinds;          /* kinds 9-255 accepted (salvage keeps them) */
    bool store_raw;               /* tests only: chunks stored, not compressed */
    struct adbk_error failure;

    int level;
    uint32_t chunk_size;
    uint8_t archive_id[16];
    int64_t created;
    char *tool;

    struct pool *pool;
    ZSTD_CCtx **cctx;           /* one per worker */
    unsigned nworkers;

    struct slot *slots;
    unsigned nslots;
    struct slot *fill;          /* slot being filled, or NULL */
    struct opipe pipe;

    /* emission state */
    uint64_t offset, frames;
    struct bytebuf seek;        /* seek-table entries */
    XXH3_state_t *file_hash;
    XXH3_state_t *span_hash;
    bool in_span;               /* between a member record and its end record */
    struct member_meta *emitting; /* the member whose frames are being emitted */
    uint64_t cut_member;        /* a member ended by a short read: later chunks dropped */
    struct bytebuf entries;     /* index entries */
    uint64_t members_emitted;

    /* the member being written */
    struct member_meta *cur;
    uint64_t member_number, cur_chunks;
    /* Content hashes: the running XXH3-128, fed on the workers in chunk
     * order (hash_job); the emitted member's hash so far; the empty one. */
    XXH3_state_t *content_hash;
    uint8_t emit_content[16], empty_content[16];

    struct nameset names;
    char **prop_keys, **prop_values;
    size_t nprops;

    uint64_t bytes_in;
    uint8_t file_xxh128[16];

    /* Encrypted (FORMAT.md 13): the archive's keys; clear index entries. */
    bool encrypted;
    struct archive_keys keys;
    struct bytebuf centries;
    /* Signed (12): the key, the Span_Digest of the member being emitted and
     * the Prefix_Digest of the frames before the first member. */
    bool signing;
    struct adbk_sign_key sign;
    struct digest_list span_dl, prefix_dl;
    bool prefix_open;
    uint8_t prefix_digest[DIGEST_SIZE];
};

/* ------------------------------------------------------------ failure */

static adbk_status fail(struct adbk_writer *w, struct adbk_error *err)
{
    w->state = W_FAILED;
    if (err)
        *err = w->failure;
    return w->failure.status;
}

static adbk_status failf(struct adbk_writer *w, struct adbk_error *err, adbk_status st,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static adbk_status failf(struct adbk_writer *w, struct adbk_error *err, adbk_status st,
                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->failure.message, sizeof w->failure.message, fmt, ap);
    va_end(ap);
    w->failure.status = st;
    return fail(w, err);
}

/* Entry check for every call after open. */
static adbk_status usable(struct adbk_writer *w, enum wstate want, const char *call,
                          struct adbk_error *err)
{
    if (!w)
        return err_set(err, ADBK_E_ARG, "%s: no writer", call);
    if (w->state == W_FAILED) {
        if (err)
            *err = w->failure;
        return w->failure.status;
    }
    if (w->state != want) {
        static const char *const names[] = {"no member is open", "a member is open",
                                            "the archive is finished", "failed"};
        return err_set(err, ADBK_E_STATE, "%s: not allowed while %s", call, names[w->state]);
    }
    return ADBK_OK;
}

/* ------------------------------------------------------------ emission */

static adbk_status sink_out(struct adbk_writer *w, const void *buf, size_t len,
                            struct adbk_error *err)
{
    int rc = w->sink.write(w->sink.ctx, buf, len);
    if (rc != 0)
        return failf(w, err, ADBK_E_IO, "writing %s at byte %llu: %s", w->sink.name,
                     (unsigned long long)w->offset, strerror(rc));
    XXH3_128bits_update(w->file_hash, buf, len);
    return ADBK_OK;
}

/* Writes one frame, records it in the seek table, feeds the span hash and,
 * signing, the digest list the frame belongs to (digest: its Frame_Digest,
 * or NULL to take it here). */
static adbk_status emit_frame(struct adbk_writer *w, const uint8_t *buf, size_t len,
                              uint32_t dsize, uint32_t checksum, const uint8_t *digest,
                              struct adbk_error *err)
{
    if (len > UINT32_MAX)
        return failf(w, err, ADBK_E_LIMIT, "%s: a %zu-byte frame does not fit the seek table",
                     w->sink.name, len);
    adbk_status st = sink_out(w, buf, len, err);
    if (st != ADBK_OK)
        return st;
    uint8_t e[SEEK_ENTRY_SIZE];
    seek_entry_encode(&(struct seek_entry){.csize = (uint32_t)len, .dsize = dsize,
                                           .checksum = checksum}, e);
    bb_put(&w->seek, e, sizeof e);
    if (w->seek.failed)
        return failf(w, err, ADBK_E_NOMEM, "%s: no memory for the seek table", w->sink.name);
    if (w->in_span)
        XXH3_64bits_update(w->span_hash, buf, len);
    if (w->signing && (w->in_span || w->prefix_open)) {
        uint8_t d[DIGEST_SIZE];
        if (!digest)
            frame_digest(buf, len, d);
        dlist_add(w->in_span ? &w->span_dl : &w->prefix_dl, digest ? digest : d);
    }
    w->offset += len;
    w->frames++;
    return ADBK_OK;
}

static void meta_free(struct member_meta *m)
{
    if (m) {
        free(m->name);
        free(m->source_path);
        free(m->user);
        free(m->group);
        bb_free(&m->xattr_bytes);
        free(m);
    }
}

/* The owner as records.c takes it. */
static struct owner_rec meta_owner(const struct member_meta *m)
{
    return (struct owner_rec){.uid = m->uid, .gid = m->gid, .user = str16_of(m->user),
                              .group = str16_of(m->group)};
}

/* Appends the index entry of a member whose end record was just emitted
 * (and, encrypted, its clear entry; signed, its Span_Digest). */
static adbk_status add_entry(struct adbk_writer *w, struct member_meta *m, struct adbk_error *err)
{
    uint8_t digest[DIGEST_SIZE];
    if (w->signing)
        dlist_final(&w->span_dl, digest);
    struct entry_rec e = {
        .kind = m->kind, .bft = m->bft, .flags = m->flags, .size = m->size,
        .mtime_sec = m->mtime_sec, .mtime_nsec = m->mtime_nsec, .mode = m->mode,
        .first_frame = m->first_frame, .offset = m->offset, .chunk_count = m->chunk_count,
        .span = w->offset - m->offset, .span_hash = XXH3_64bits_digest(w->span_hash),
        .name = str16_of(m->name), .source_path = str16_of(m->source_path),
        .owner = meta_owner(m), .xattrs = m->xattrs,
        .digest = w->signing && !w->encrypted ? digest : NULL};
    memcpy(e.content_hash, m->xxh128, 16);
    entry_encode(&e, &w->entries);
    if (w->encrypted)
        centry_encode(&(struct centry_rec){.size = e.size, .first_frame = e.first_frame,
                                           .offset = e.offset, .chunk_count = e.chunk_count,
                                           .span = e.span, .span_hash = e.span_hash,
                                           .digest = w->signing ? digest : NULL},
                      &w->centries);
    if (w->entries.failed || w->centries.failed)
        return failf(w, err, ADBK_E_NOMEM, "%s: no memory for the index", w->sink.name);
    w->members_emitted++;
    return ADBK_OK;
}

static void rec_item_free(struct rec_item *r, bool with_meta)
{
    if (!r)
        return;
    free(r->bytes);
    if (with_meta)
        meta_free(r->meta);
    free(r);
}

static adbk_status build_end(struct adbk_writer *w, struct rec_item *r, struct adbk_error *err);

/* A read of adbk_writer_read_from failed (rc, an errno value) at offset of
 * m's file. */
static adbk_status read_failed(struct adbk_writer *w, const struct member_meta *m,
                               uint64_t offset, int rc, struct adbk_error *err)
{
    return failf(w, err, ADBK_E_IO, "%s: reading \"%s\" at byte %llu: %s", w->sink.name,
                 m->source_path ? m->source_path : m->name, (unsigned long long)offset,
                 strerror(rc));
}

/* The pipe's emit callback: the next item in archive order is ready. */
static adbk_status emit_item(void *ctx, const struct opipe_item *it, struct adbk_error *err)
{
    struct adbk_writer *w = ctx;
    if (it->slot >= 0) {
        struct slot *s = &w->slots[it->slot];
        struct member_meta *m = w->emitting;
        if (s->member == w->cut_member)
            return ADBK_OK; /* after its member's short read: left out */
        if (s->read_at && s->rerr)
            return read_failed(w, m, s->read_off, s->rerr, err);
        if (s->read_at && s->in_len < s->want) {
            w->cut_member = s->member; /* the file ended early: so does the member */
            if (s->in_len == 0)
                return ADBK_OK;
        }
        m->size += s->in_len;
        m->chunk_count++;
        w->bytes_in += s->in_len;
        if (ZSTD_isError(s->zret))
            return failf(w, err, ADBK_E_ZSTD, "%s: compressing the chunk at byte %llu: %s",
                         w->sink.name, (unsigned long long)w->offset, ZSTD_getErrorName(s->zret));
        const uint8_t *digest = w->signing ? s->digest : NULL;
        memcpy(w->emit_content, s->content, 16);
        if (w->encrypted) /* a chunk record: a record's seek-table entry (13.5) */
            return emit_frame(w, s->out, s->out_len, 0, EMPTY_XXH64_LOW32, digest, err);
        /* A zstd frame with a checksum ends with the low 32 bits of XXH64 of
         * its content: exactly the seek table's checksum field. */
        return emit_frame(w, s->out, s->out_len, (uint32_t)s->in_len,
                          chunk_checksum(s->out, s->out_len), digest, err);
    }
    struct rec_item *r = it->data;
    adbk_status st = ADBK_OK;
    if (it->tag == REC_MBR) {
        memcpy(w->emit_content, w->empty_content, 16);
        w->emitting = r->meta;
        r->meta->offset = w->offset;
        r->meta->first_frame = w->frames;
        XXH3_64bits_reset(w->span_hash);
        w->in_span = true;
        if (w->signing) {
            if (w->prefix_open)
                dlist_final(&w->prefix_dl, w->prefix_digest);
            w->prefix_open = false;
            dlist_init(&w->span_dl);
        }
    }
    if (it->tag == REC_END)
        st = build_end(w, r, err);
    if (st == ADBK_OK)
        st = emit_frame(w, r->bytes, r->len, 0, EMPTY_XXH64_LOW32, NULL, err);
    if (st == ADBK_OK && it->tag == REC_END) {
        w->in_span = false;
        st = add_entry(w, r->meta, err);
    }
    rec_item_free(r, it->tag == REC_END);
    return st;
}

/* The pipe's drop callback, for items never emitted (writer freed early). */
static void drop_item(void *ctx, const struct opipe_item *it)
{
    (void)ctx;
    if (it->slot < 0)
        rec_item_free(it->data, it->tag == REC_END);
}

/* Encrypted: turns body (a record body as 1.x lays it out) into the sealed
 * record body of 13.5, the clear part first. */
static void seal_body(struct adbk_writer *w, uint32_t type, const struct sealed_rec *clear,
                      struct bytebuf *body)
{
    struct bytebuf out = {0};
    sealed_clear_encode(type, clear, &out);
    size_t ad = out.len;
    bb_reserve(&out, body->len + SEAL_TAG);
    if (!out.failed && !body->failed) {
        seal(&w->keys, type, clear->number, 0, out.p, ad, body->p, body->len, out.p + ad);
        out.len = ad + body->len + SEAL_TAG;
    } else {
        out.failed = true;
    }
    bb_free(body);
    *body = out;
}

/* Queues a built record behind everything before it; r is the queue's. */
static adbk_status push_built(struct adbk_writer *w, uint32_t type, struct rec_item *r,
                              struct adbk_error *err)
{
    adbk_status st = opipe_push(&w->pipe, (struct opipe_item){.slot = -1, .tag = type, .data = r},
                                NULL, NULL, NULL, err);
    if (st != ADBK_OK)
        rec_item_free(r, type == REC_END);
    return st;
}

/* Builds a record around body (freed) into a queue item. */
static adbk_status build_record(struct adbk_writer *w, uint32_t type, struct bytebuf *body,
                                struct member_meta *meta, struct rec_item **out,
                                struct adbk_error *err)
{
    if (body->failed) {
        bb_free(body);
        if (type == REC_END)
            meta_free(meta);
        return failf(w, err, ADBK_E_NOMEM, "%s: no memory for a %s", w->sink.name,
                     rec_type_name(type));
    }
    struct rec_item *r = calloc(1, sizeof *r);
    adbk_status st = r ? rec_build(type, body->p, body->len, &r->bytes, &r->len, &w->failure)
                       : err_set(&w->failure, ADBK_E_NOMEM, "%s: no memory for a %s",
                                 w->sink.name, rec_type_name(type));
    bb_free(body);
    if (st != ADBK_OK) {
        if (type == REC_END)
            meta_free(meta);
        free(r);
        return fail(w, err);
    }
    r->meta = meta;
    *out = r;
    return ADBK_OK;
}

/* Builds the member-end record of r's member (FORMAT.md 3.4) as it is
 * emitted: its Content_Hash is known once the last chunk has been hashed. */
static adbk_status build_end(struct adbk_writer *w, struct rec_item *r, struct adbk_error *err)
{
    struct member_meta *m = r->meta;
    memcpy(m->xxh128, w->emit_content, 16);
    struct end_rec e = {.number = m->number, .size = m->size, .chunk_count = m->chunk_count};
    memcpy(e.content_hash, m->xxh128, 16);
    struct bytebuf b = {0};
    end_encode(&e, &b);
    if (w->encrypted)
        seal_body(w, REC_END, &(struct sealed_rec){.number = e.number, .size = e.size,
                                                   .chunk_count = e.chunk_count}, &b);
    adbk_status st = b.failed ? err_set(&w->failure, ADBK_E_NOMEM, "%s: no memory for a %s",
                                        w->sink.name, rec_type_name(REC_END))
                              : rec_build(REC_END, b.p, b.len, &r->bytes, &r->len, &w->failure);
    bb_free(&b);
    return st == ADBK_OK ? ADBK_OK : fail(w, err);
}

/* Builds a record and queues it behind everything before it. */
static adbk_status push_record(struct adbk_writer *w, uint32_t type, struct bytebuf *body,
                               struct member_meta *meta, struct adbk_error *err)
{
    struct rec_item *r = NULL;
    adbk_status st = build_record(w, type, body, meta, &r, err);
    return st == ADBK_OK ? push_built(w, type, r, err) : st;
}

/* ------------------------------------------------------------ chunks */

/* Tests only (writer_store_raw): stores n bytes as one zstd frame of Raw
 * blocks (RFC 8878 3.1.1), made by copying, with every rule of FORMAT.md 3.3:
 * single segment (the window is the content size), a 4-byte
 * Frame_Content_Size, no dictionary, and the content checksum (the low 32 bits
 * of XXH64 of the content). Returns the frame's size, or a zstd error code
 * when it does not fit in cap bytes. */
static size_t raw_frame(uint8_t *dst, size_t cap, const uint8_t *src, size_t n)
{
    const size_t block_max = (size_t)128 << 10;
    size_t blocks = n ? (n + block_max - 1) / block_max : 1;
    if (cap < 4 + 1 + 4 + 3 * blocks + n + 4 || n > UINT32_MAX)
        return (size_t)-ZSTD_error_dstSize_tooSmall;
    uint8_t *p = dst;
    le_put32(p, 0xFD2FB528u);
    p[4] = 0xA4; /* FCS_Field_Size 4, Single_Segment, Content_Checksum */
    le_put32(p + 5, (uint32_t)n);
    p += 9;
    size_t at = 0;
    do {
        size_t len = n - at < block_max ? n - at : block_max;
        uint32_t head = (uint32_t)(len << 3) | (at + len == n ? 1u : 0u); /* Raw_Block */
        p[0] = (uint8_t)head;
        p[1] = (uint8_t)(head >> 8);
        p[2] = (uint8_t)(head >> 16);
        memcpy(p + 3, src + at, len);
        p += 3 + len;
        at += len;
    } while (at < n);
    le_put32(p, (uint32_t)XXH64(src, n, 0));
    return (size_t)(p + 4 - dst);
}

void writer_store_raw(struct adbk_writer *w)
{
    if (w)
        w->store_raw = true;
}

/* Compresses a chunk; encrypted, seals the frame into a chunk record in
 * place (13.5); signed, takes the frame's digest. */
static void compress_job(void *arg, unsigned worker)
{
    struct slot *s = arg;
    struct adbk_writer *w = s->w;
    if (s->read_at) {
        size_t got = 0;
        s->rerr = s->read_at(s->read_ctx, s->read_off, s->in, s->want, &got);
        if (!s->rerr && got > s->want)
            s->rerr = EIO; /* a reader that says it read more than asked */
        s->in_len = s->rerr ? 0 : got;
        if (s->in_len == 0) { /* nothing to store: emission leaves the chunk out */
            s->zret = s->out_len = 0;
            return;
        }
    }
    size_t at = w->encrypted ? CHK_SEALED_AT : 0;
    size_t room = s->out_cap - (w->encrypted ? CHK_FRAME_SIZE(0) : 0);
    s->zret = w->store_raw ? raw_frame(s->out + at, room, s->in, s->in_len)
                           : ZSTD_compress2(w->cctx[worker], s->out + at, room, s->in, s->in_len);
    s->out_len = ZSTD_isError(s->zret) ? 0 : s->zret;
    if (w->encrypted && !ZSTD_isError(s->zret)) {
        size_t z = s->zret;
        rec_head_encode(REC_CHK, CHK_CLEAR + z + SEAL_TAG, s->out);
        chk_clear_encode(s->member, s->chunk, s->out + REC_HEAD);
        seal(&w->keys, REC_CHK, s->member, s->chunk, s->out + REC_HEAD, CHK_CLEAR, s->out + at,
             z, s->out + at);
        s->out_len = CHK_FRAME_SIZE(z);
        rec_seal_frame(s->out, s->out_len);
    }
    if (w->signing && s->out_len)
        frame_digest(s->out, s->out_len, s->digest);
}

/* The ordered stage of a chunk's job (pool_submit): feeds the member's
 * content hash, in chunk order, on a worker, and keeps the hash so far with
 * the slot: emission hands the last one to the member-end record. */
static void hash_job(void *arg, unsigned worker)
{
    (void)worker;
    struct slot *s = arg;
    content_hash_chunk(s->w->content_hash, s->chunk, s->in, s->in_len, s->content);
}

/* Hands the slot being filled to the workers, with an output buffer that
 * holds the frame zstd makes of its data at worst. */
static adbk_status submit_fill(struct adbk_writer *w, struct adbk_error *err)
{
    struct slot *s = w->fill;
    w->fill = NULL;
    if (!s || (s->in_len == 0 && !s->read_at))
        return ADBK_OK;
    size_t need = ZSTD_compressBound(s->read_at ? s->want : s->in_len) +
                  (w->encrypted ? CHK_FRAME_SIZE(0) : 0);
    if (s->out_cap < need) {
        free(s->out);
        s->out_cap = 0;
        if (!(s->out = malloc(need)))
            return failf(w, err, ADBK_E_NOMEM, "%s: no memory for a compressed chunk of "
                         "%zu bytes", w->sink.name, need);
        s->out_cap = need;
    }
    s->member = w->member_number;
    s->chunk = w->cur_chunks++;
    return opipe_push(&w->pipe, (struct opipe_item){.slot = (int)s->index}, compress_job,
                      hash_job, s, err);
}

/* Gives the slot's chunk buffer cap bytes (at least what it has). */
static adbk_status slot_grow(struct adbk_writer *w, struct slot *s, size_t cap,
                             struct adbk_error *err)
{
    if (cap <= s->in_cap)
        return ADBK_OK;
    uint8_t *p = realloc(s->in, cap);
    if (!p)
        return failf(w, err, ADBK_E_NOMEM, "%s: no memory for a chunk buffer of %zu bytes",
                     w->sink.name, cap);
    s->in = p;
    s->in_cap = cap;
    return ADBK_OK;
}

/* Gives the slot free space in its chunk buffer, growing the buffer when its
 * data fills it and the chunk is not yet full. */
static adbk_status slot_room(struct adbk_writer *w, struct slot *s, struct adbk_error *err)
{
    if (s->in_len < s->in_cap)
        return ADBK_OK;
    size_t cap = s->in_cap ? 2 * s->in_cap : (size_t)64 << 10;
    return slot_grow(w, s, cap < w->chunk_size ? cap : w->chunk_size, err);
}

/* Makes w->fill a slot with free space. Slots are reused round-robin, so the
 * next one is the oldest in flight: emitting up to it keeps the order. */
static adbk_status ensure_fill(struct adbk_writer *w, struct adbk_error *err)
{
    if (w->fill && w->fill->in_len < w->chunk_size)
        return slot_room(w, w->fill, err);
    adbk_status st = submit_fill(w, err);
    if (st != ADBK_OK)
        return st;
    unsigned i;
    st = opipe_take_slot(&w->pipe, &i, err);
    if (st != ADBK_OK)
        return st;
    w->fill = &w->slots[i];
    w->fill->in_len = 0;
    w->fill->read_at = NULL;
    return slot_room(w, w->fill, err);
}

/* ------------------------------------------------------------ keys */

/* What an encrypted archive's key record is made of: a File_Key and the
 * stanzas that wrap it, made here for the recipients of the options, or
 * taken from another archive (salvage keeps its recipients, 13.7). */
struct writer_keys {
    uint8_t file_key[FILE_KEY_SIZE];
    struct bytebuf stanzas; /* Stanza_Count and the stanzas, as the key record holds them */
};
static const struct writer_keys o_keys_none;

/* Sets up encryption and signing from the options (FORMAT.md 12, 13). */
static adbk_status start_keys(struct adbk_writer *w, const struct adbk_writer_options *o,
                              const struct writer_keys *given, struct adbk_error *err)
{
    const char *sname = w->sink.name;
    w->encrypted = o->recipient_count > 0 || given->stanzas.len > 0;
    w->signing = o->sign_key != NULL;
    if (!w->encrypted && !w->signing)
        return ADBK_OK;
    if (!crypto_ready())
        return err_set(err, ADBK_E_IO, "%s: libsodium cannot start (no random source?)", sname);
    if (o->recipient_count > KEY_MAX_STANZAS)
        return err_set(err, ADBK_E_ARG, "%s: %zu recipients (at most %u)", sname,
                       o->recipient_count, KEY_MAX_STANZAS);
    if (w->signing) {
        w->sign = *o->sign_key;
        w->prefix_open = true;
        dlist_init(&w->prefix_dl);
    }
    return ADBK_OK;
}

/* The key record's body for file_key: the stanzas (made for the options'
 * recipients when none are given), then Header_MAC over the header frame. */
static adbk_status key_body(struct adbk_writer *w, const struct adbk_writer_options *o,
                            const struct writer_keys *given, const uint8_t *hdr, size_t hdr_len,
                            struct bytebuf *b, struct adbk_error *err)
{
    uint8_t file_key[FILE_KEY_SIZE];
    if (given->stanzas.len) {
        memcpy(file_key, given->file_key, sizeof file_key);
        bb_put(b, given->stanzas.p, given->stanzas.len);
    } else {
        crypto_random(file_key, sizeof file_key);
        key_count_encode((uint16_t)o->recipient_count, b);
        for (size_t i = 0; i < o->recipient_count; i++) {
            uint8_t eph[X25519_SIZE], body[WRAPPED_SIZE];
            if (!stanza_wrap(file_key, o->recipients[i].key, eph, body)) {
                crypto_wipe(file_key, sizeof file_key);
                return err_set(err, ADBK_E_ARG, "%s: recipient %zu is not a usable X25519 key "
                               "(a low-order point)", w->sink.name, i + 1);
            }
            struct stanza_rec st = {.type = str16_of("X25519"), .arg_count = 1,
                                    .body = {(const char *)body, sizeof body}};
            st.args[0] = (struct str16){(const char *)eph, sizeof eph};
            stanza_encode(&st, b);
        }
    }
    keys_derive(file_key, w->archive_id, &w->keys);
    crypto_wipe(file_key, sizeof file_key);
    uint8_t mac[MAC_SIZE];
    if (!b->failed)
        header_mac(&w->keys, hdr, hdr_len, b->p, b->len, mac);
    bb_put(b, mac, sizeof mac);
    return b->failed ? err_set(err, ADBK_E_NOMEM, "%s: no memory for the key record",
                               w->sink.name) : ADBK_OK;
}

/* Queues the header record, and when encrypted the key record, whose
 * Header_MAC covers the header's frame. */
static adbk_status push_start(struct adbk_writer *w, const struct adbk_writer_options *o,
                              const struct writer_keys *given, struct adbk_error *err)
{
    struct hdr_rec h = {.format_major = w->encrypted ? ADBK_FORMAT_ENCRYPTED_MAJOR
                                                     : ADBK_FORMAT_MAJOR,
                        .format_minor = w->encrypted ? ADBK_FORMAT_ENCRYPTED_MINOR
                                                     : ADBK_FORMAT_MINOR,
                        .flags = (w->encrypted ? HDR_FLAG_ENCRYPTED : 0) |
                                 (w->signing ? HDR_FLAG_SIGNED : 0),
                        .created = w->created, .chunk_size = w->chunk_size,
                        .tool = str16_of(w->tool)};
    memcpy(h.archive_id, w->archive_id, 16);
    struct bytebuf b = {0};
    hdr_encode(&h, &b);
    struct rec_item *hr = NULL;
    adbk_status st = build_record(w, REC_HDR, &b, NULL, &hr, err);
    if (st != ADBK_OK || !w->encrypted)
        return st == ADBK_OK ? push_built(w, REC_HDR, hr, err) : st;
    struct bytebuf kb = {0};
    st = key_body(w, o, given, hr->bytes, hr->len, &kb, &w->failure);
    if (st != ADBK_OK) {
        bb_free(&kb);
        rec_item_free(hr, false);
        return fail(w, err);
    }
    st = push_built(w, REC_HDR, hr, err);
    return st == ADBK_OK ? push_record(w, REC_KEY, &kb, NULL, err) : st;
}

/* ------------------------------------------------------------ public */

static adbk_status writer_open(const struct adbk_sink *sink,
                               const struct adbk_writer_options *options,
                               const struct writer_keys *given, struct adbk_writer **w_out,
                               struct adbk_error *err)
{
    static const struct adbk_writer_options defaults;
    const struct adbk_writer_options *o = options ? options : &defaults;
    *w_out = NULL;
    if (!sink || !sink->write)
        return err_set(err, ADBK_E_ARG, "adbk_writer_open: no sink");
    const char *sname = sink->name ? sink->name : "archive";
    int level = o->level ? o->level : 3;
    if (level < 1 || level > 19)
        return err_set(err, ADBK_E_ARG, "%s: compression level %d is outside 1..19", sname,
                       o->level);
    uint32_t chunk = o->chunk_size ? o->chunk_size : ADBK_CHUNK_DEFAULT;
    if (chunk < ADBK_CHUNK_MIN || chunk > ADBK_CHUNK_MAX)
        return err_set(err, ADBK_E_ARG, "%s: chunk size %u is outside %u..%u bytes", sname,
                       chunk, ADBK_CHUNK_MIN, ADBK_CHUNK_MAX);
    unsigned threads = o->in_caller ? 1 : o->threads ? o->threads : adbk_cpu_count();
    if (threads > 256)
        threads = 256;

    struct adbk_writer *w = calloc(1, sizeof *w);
    if (!w)
        return err_set(err, ADBK_E_NOMEM, "%s: no memory for a writer", sname);
    w->sink = *sink;
    w->sink.name = sname;
    w->level = level;
    w->chunk_size = chunk;
    w->created = o->has_created ? o->created_sec : (int64_t)time(NULL);
    w->tool = strdup(o->tool ? o->tool : "adbk " ADBK_VERSION_STRING);
    w->nworkers = threads;
    /* Two slots per worker: a worker always has the next chunk waiting while
     * the caller fills or writes another. (threads x 2) x (chunk + bound). */
    w->nslots = 2 * threads;
    w->cctx = calloc(threads, sizeof *w->cctx);
    w->slots = calloc(w->nslots, sizeof *w->slots);
    w->file_hash = XXH3_createState();
    w->span_hash = XXH3_createState();
    w->content_hash = XXH3_createState();
    content_hash_empty(w->empty_content);
    adbk_status st = ADBK_E_NOMEM;
    if (!w->tool || !w->cctx || !w->slots || !w->file_hash || !w->span_hash ||
        !w->content_hash)
        goto nomem;
    XXH3_128bits_reset(w->content_hash); /* and at every member's first chunk */
    w->cut_member = UINT64_MAX;
    if (strlen(w->tool) > 255) {
        st = err_set(err, ADBK_E_ARG, "%s: tool string longer than 255 bytes", sname);
        goto fail;
    }
    if (o->archive_id) {
        memcpy(w->archive_id, o->archive_id, 16);
    } else if (getrandom(w->archive_id, 16, 0) != 16) {
        st = err_set(err, ADBK_E_IO, "%s: cannot get random bytes for the archive id: %s", sname,
                     strerror(errno));
        goto fail;
    }
    for (unsigned i = 0; i < w->nslots; i++) {
        w->slots[i].w = w;
        w->slots[i].index = i;
    }
    for (unsigned i = 0; i < threads; i++) {
        ZSTD_CCtx *c = w->cctx[i] = ZSTD_createCCtx();
        if (!c)
            goto nomem;
        size_t r = ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
        if (!ZSTD_isError(r))
            r = ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
        if (!ZSTD_isError(r))
            r = ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 1);
        if (ZSTD_isError(r)) {
            st = err_set(err, ADBK_E_ZSTD, "%s: setting up the compressor: %s", sname,
                         ZSTD_getErrorName(r));
            goto fail;
        }
    }
    st = pool_create(o->in_caller ? 0 : threads, &w->pool, err);
    if (st == ADBK_OK)
        st = opipe_init(&w->pipe, w->pool, w->nslots, emit_item, w, err);
    if (st != ADBK_OK)
        goto fail;
    XXH3_128bits_reset(w->file_hash);
    st = start_keys(w, o, given, err);
    if (st != ADBK_OK)
        goto fail;
    w->state = W_OPEN;
    st = push_start(w, o, given, err);
    if (st == ADBK_OK)
        st = opipe_drain(&w->pipe, err);
    if (st != ADBK_OK) {
        adbk_writer_free(w);
        return st;
    }
    *w_out = w;
    return ADBK_OK;

nomem:
    st = err_set(err, ADBK_E_NOMEM, "%s: no memory for %u compression buffers of %u bytes", sname,
                 w->nslots, chunk);
fail:
    adbk_writer_free(w);
    return st;
}

adbk_status adbk_writer_open(const struct adbk_sink *sink,
                             const struct adbk_writer_options *options,
                             struct adbk_writer **w_out, struct adbk_error *err)
{
    return writer_open(sink, options, &o_keys_none, w_out, err);
}

adbk_status writer_open_keyed(const struct adbk_sink *sink,
                              const struct adbk_writer_options *options,
                              const uint8_t file_key[16], const uint8_t *stanzas,
                              size_t stanzas_len, struct adbk_writer **w_out,
                              struct adbk_error *err)
{
    struct writer_keys k = {0};
    memcpy(k.file_key, file_key, sizeof k.file_key);
    bb_put(&k.stanzas, stanzas, stanzas_len);
    adbk_status st = k.stanzas.failed ? err_set(err, ADBK_E_NOMEM, "no memory for the key record")
                                      : writer_open(sink, options, &k, w_out, err);
    crypto_wipe(k.file_key, sizeof k.file_key);
    bb_free(&k.stanzas);
    return st;
}

static bool valid_key(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > PROP_KEY_MAX)
        return false;
    for (; *k; k++)
        if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '.' || *k == '_' ||
              *k == '-'))
            return false;
    return true;
}

adbk_status adbk_writer_set_property(struct adbk_writer *w, const char *key, const char *value,
                                     struct adbk_error *err)
{
    if (!w || (w->state != W_OPEN && w->state != W_MEMBER))
        return usable(w, W_OPEN, "adbk_writer_set_property", err);
    if (!key || !valid_key(key))
        return err_set(err, ADBK_E_ARG, "property key \"%s\" is not 1-%u of [a-z0-9._-]",
                       key ? key : "(null)", PROP_KEY_MAX);
    if (!value || strlen(value) > PROP_VALUE_MAX)
        return err_set(err, ADBK_E_ARG, "property \"%s\": value missing or over %u bytes", key,
                       PROP_VALUE_MAX);
    char *v = strdup(value);
    if (!v)
        return err_set(err, ADBK_E_NOMEM, "no memory for property \"%s\"", key);
    for (size_t i = 0; i < w->nprops; i++) {
        if (strcmp(w->prop_keys[i], key) == 0) {
            free(w->prop_values[i]);
            w->prop_values[i] = v;
            return ADBK_OK;
        }
    }
    char *k = strdup(key);
    char **nk = realloc(w->prop_keys, (w->nprops + 1) * sizeof *nk);
    if (nk)
        w->prop_keys = nk;
    char **nv = nk ? realloc(w->prop_values, (w->nprops + 1) * sizeof *nv) : NULL;
    if (nv)
        w->prop_values = nv;
    if (!k || !nk || !nv) {
        free(k);
        free(v);
        return err_set(err, ADBK_E_NOMEM, "no memory for property \"%s\"", key);
    }
    w->prop_keys[w->nprops] = k;
    w->prop_values[w->nprops] = v;
    w->nprops++;
    return ADBK_OK;
}

/* The owner's rules (FORMAT.md 3.2): checked before anything is kept. */
static adbk_status owner_check(const struct adbk_member_info *info, struct adbk_error *err)
{
    if (!(info->flags & ADBK_HAS_OWNER))
        return ADBK_OK;
    if (info->uid == NO_ID || info->gid == NO_ID)
        return err_set(err, ADBK_E_ARG, "member \"%s\": owner %u:%u (4294967295 means no "
                       "change to chown, and is no owner)", info->name, info->uid, info->gid);
    if ((info->user && strlen(info->user) > OWNER_NAME_MAX) ||
        (info->group && strlen(info->group) > OWNER_NAME_MAX))
        return err_set(err, ADBK_E_ARG, "member \"%s\": user or group name longer than %u "
                       "bytes", info->name, OWNER_NAME_MAX);
    return ADBK_OK;
}

void writer_allow_reserved_kinds(struct adbk_writer *w)
{
    if (w)
        w->reserved_kinds = true;
}

adbk_status adbk_writer_begin_member(struct adbk_writer *w, const struct adbk_member_info *info,
                                     struct adbk_error *err)
{
    adbk_status st = usable(w, W_OPEN, "adbk_writer_begin_member", err);
    if (st != ADBK_OK)
        return st;
    if (!info || !info->name)
        return err_set(err, ADBK_E_ARG, "adbk_writer_begin_member: no member name");
    struct adbk_error why;
    if (adbk_name_check(info->name, &why) != ADBK_OK)
        return err_set(err, ADBK_E_ARG, "%s: %s", w->sink.name, why.message);
    const char *src = info->source_path ? info->source_path : "";
    if (strlen(src) > 65535)
        return err_set(err, ADBK_E_ARG, "member \"%s\": source path longer than 65535 bytes",
                       info->name);
    if (info->kind < 1 || info->kind > 255 ||
        (info->kind > ADBK_KIND_UNKNOWN && !w->reserved_kinds) || info->bft > 255)
        return err_set(err, ADBK_E_ARG, "member \"%s\": kind %u / BFT %u not valid", info->name,
                       info->kind, info->bft);
    if ((info->flags & ADBK_HAS_MTIME) && info->mtime_nsec > 999999999u)
        return err_set(err, ADBK_E_ARG, "member \"%s\": mtime nanoseconds %u out of range",
                       info->name, info->mtime_nsec);
    st = owner_check(info, err);
    if (st != ADBK_OK)
        return st;
    struct bytebuf xb = {0};
    struct xattr_list xl = {0};
    if ((info->flags & ADBK_HAS_XATTRS) &&
        (st = extras_pack_xattrs(info->xattrs, info->xattr_count, info->name, &xb, &xl, err)) !=
            ADBK_OK) {
        bb_free(&xb);
        return st;
    }
    switch (nameset_add(&w->names, info->name, 0, NULL)) {
    case ADBK_OK: break;
    case ADBK_E_EXISTS:
        bb_free(&xb);
        return err_set(err, ADBK_E_ARG, "%s: member name \"%s\" is already in the archive",
                       w->sink.name, info->name);
    default:
        bb_free(&xb);
        return failf(w, err, ADBK_E_NOMEM, "%s: no memory for member names", w->sink.name);
    }

    bool owner = info->flags & ADBK_HAS_OWNER;
    struct member_meta *m = calloc(1, sizeof *m);
    if (m) {
        m->xattr_bytes = xb; /* the meta owns it from here */
        m->xattrs = xl;
    }
    if (!m || !(m->name = strdup(info->name)) || !(m->source_path = strdup(src)) ||
        !(m->user = strdup(owner && info->user ? info->user : "")) ||
        !(m->group = strdup(owner && info->group ? info->group : ""))) {
        if (!m)
            bb_free(&xb);
        meta_free(m);
        return failf(w, err, ADBK_E_NOMEM, "%s: no memory for member \"%s\"", w->sink.name,
                     info->name);
    }
    m->kind = info->kind;
    m->bft = info->bft;
    m->flags = info->flags & (ADBK_HAS_MTIME | ADBK_HAS_MODE | ADBK_HAS_EXPECTED_SIZE |
                              ADBK_HAS_OWNER | ADBK_HAS_XATTRS);
    m->mtime_sec = (m->flags & ADBK_HAS_MTIME) ? info->mtime_sec : 0;
    m->mtime_nsec = (m->flags & ADBK_HAS_MTIME) ? info->mtime_nsec : 0;
    m->mode = (m->flags & ADBK_HAS_MODE) ? (info->mode & 07777u) : 0;
    m->uid = owner ? info->uid : 0;
    m->gid = owner ? info->gid : 0;

    struct mbr_rec rec = {
        .number = w->member_number, .kind = m->kind, .bft = m->bft, .flags = m->flags,
        .expected_size = (m->flags & ADBK_HAS_EXPECTED_SIZE) ? info->expected_size : 0,
        .mtime_sec = m->mtime_sec, .mtime_nsec = m->mtime_nsec, .mode = m->mode,
        .name = str16_of(m->name), .source_path = str16_of(m->source_path),
        .owner = meta_owner(m), .xattrs = m->xattrs};
    struct bytebuf b = {0};
    mbr_encode(&rec, &b);
    if (w->encrypted)
        seal_body(w, REC_MBR, &(struct sealed_rec){.number = w->member_number}, &b);
    m->flags &= ~ADBK_HAS_EXPECTED_SIZE; /* not in the index (FORMAT.md 3.5) */
    w->cur = m;
    w->cur_chunks = 0;
    w->state = W_MEMBER;
    return push_record(w, REC_MBR, &b, m, err);
}

adbk_status adbk_writer_reserve(struct adbk_writer *w, void **buf_out, size_t *cap_out,
                                struct adbk_error *err)
{
    adbk_status st = usable(w, W_MEMBER, "adbk_writer_reserve", err);
    if (st != ADBK_OK)
        return st;
    if (w->cur->kind == ADBK_KIND_DIRECTORY)
        return err_set(err, ADBK_E_STATE, "member \"%s\" is a directory and has no content",
                       w->cur->name);
    st = ensure_fill(w, err);
    if (st != ADBK_OK)
        return st;
    *buf_out = w->fill->in + w->fill->in_len;
    *cap_out = w->fill->in_cap - w->fill->in_len;
    return ADBK_OK;
}

adbk_status adbk_writer_commit(struct adbk_writer *w, size_t n, struct adbk_error *err)
{
    adbk_status st = usable(w, W_MEMBER, "adbk_writer_commit", err);
    if (st != ADBK_OK)
        return st;
    if (n == 0)
        return ADBK_OK;
    if (!w->fill || n > w->fill->in_cap - w->fill->in_len)
        return err_set(err, ADBK_E_ARG, "adbk_writer_commit: %zu bytes is more than reserved", n);
    w->fill->in_len += n;
    if (w->fill->in_len == w->chunk_size)
        return submit_fill(w, err); /* start compressing at once */
    return ADBK_OK;
}

adbk_status adbk_writer_write(struct adbk_writer *w, const void *buf, size_t len,
                              struct adbk_error *err)
{
    const uint8_t *p = buf;
    while (len) {
        void *dst = NULL;
        size_t cap = 0;
        adbk_status st = adbk_writer_reserve(w, &dst, &cap, err);
        if (st != ADBK_OK)
            return st;
        size_t n = len < cap ? len : cap;
        memcpy(dst, p, n);
        st = adbk_writer_commit(w, n, err);
        if (st != ADBK_OK)
            return st;
        p += n;
        len -= n;
    }
    return ADBK_OK;
}

adbk_status adbk_writer_read_from(struct adbk_writer *w, adbk_read_at_fn read_at, void *ctx,
                                  uint64_t offset, uint64_t len, struct adbk_error *err)
{
    adbk_status st = usable(w, W_MEMBER, "adbk_writer_read_from", err);
    if (st == ADBK_OK && w->cur->kind == ADBK_KIND_DIRECTORY)
        st = err_set(err, ADBK_E_STATE, "member \"%s\" is a directory and has no content",
                     w->cur->name);
    while (st == ADBK_OK && len) {
        if ((!w->fill || w->fill->in_len == 0) && len >= w->chunk_size) {
            /* A whole chunk: its worker reads it. */
            st = ensure_fill(w, err);
            struct slot *s = w->fill;
            if (st == ADBK_OK)
                st = slot_grow(w, s, w->chunk_size, err);
            if (st != ADBK_OK)
                break;
            s->read_at = read_at;
            s->read_ctx = ctx;
            s->read_off = offset;
            s->want = w->chunk_size;
            st = submit_fill(w, err);
            offset += w->chunk_size;
            len -= w->chunk_size;
            continue;
        }
        /* The rest of a chunk begun by other bytes, or a tail: read here. */
        void *buf = NULL;
        size_t cap = 0, got = 0;
        st = adbk_writer_reserve(w, &buf, &cap, err);
        if (st != ADBK_OK)
            break;
        size_t n = len < cap ? (size_t)len : cap;
        int rc = read_at(ctx, offset, buf, n, &got);
        if (rc != 0 || got > n)
            return read_failed(w, w->cur, offset, rc ? rc : EIO, err);
        st = adbk_writer_commit(w, got, err);
        if (got < n)
            break; /* the file's end */
        offset += got;
        len -= got;
    }
    return st;
}

/* Waits until the workers have read every chunk of the open member that
 * adbk_writer_read_from gave them: its caller may then close the file. */
static void wait_reads(struct adbk_writer *w)
{
    for (unsigned i = 0; w->pool && w->cur && i < w->nslots; i++)
        if (w->slots[i].read_at && w->slots[i].member == w->member_number)
            opipe_wait_slot(&w->pipe, i);
}

adbk_status adbk_writer_end_member(struct adbk_writer *w, struct adbk_error *err)
{
    if (w)
        wait_reads(w); /* even when failed: the caller closes the file next */
    adbk_status st = usable(w, W_MEMBER, "adbk_writer_end_member", err);
    if (st != ADBK_OK)
        return st;
    st = submit_fill(w, err);
    if (st != ADBK_OK)
        return st;
    struct member_meta *m = w->cur;
    m->number = w->member_number++;
    w->cur = NULL;
    w->state = W_OPEN;
    struct rec_item *r = calloc(1, sizeof *r);
    if (!r) {
        meta_free(m);
        return failf(w, err, ADBK_E_NOMEM, "%s: no memory for a member-end record",
                     w->sink.name);
    }
    r->meta = m; /* built when emitted (build_end) */
    return push_built(w, REC_END, r, err);
}

/* The index record's body (FORMAT.md 3.5): head, properties, the entries
 * built as members went out. */
static void index_body(const struct adbk_writer *w, struct bytebuf *b)
{
    struct idx_rec x = {.created = w->created, .member_count = w->members_emitted,
                        .index_frame = w->frames, .index_offset = w->offset,
                        .tool = str16_of(w->tool), .property_count = (uint32_t)w->nprops};
    memcpy(x.archive_id, w->archive_id, 16);
    idx_encode(&x, b);
    for (size_t i = 0; i < w->nprops; i++)
        prop_encode(&(struct prop_rec){.key = str16_of(w->prop_keys[i]),
                                       .value = str16_of(w->prop_values[i])}, b);
    bb_put(b, w->entries.p, w->entries.len);
}

/* Not_After (13.6): Created plus the tombstone lifetime the properties give,
 * 0 when they give none. */
static int64_t not_after(const struct adbk_writer *w)
{
    for (size_t i = 0; i < w->nprops; i++) {
        if (strcmp(w->prop_keys[i], "tombstone.lifetime.days") != 0)
            continue;
        char *end;
        unsigned long long days = strtoull(w->prop_values[i], &end, 10);
        if (end != w->prop_values[i] && !*end && days > 0 && days < 1000000)
            return w->created + (int64_t)days * 86400;
    }
    return 0;
}

/* The encrypted index's body (13.6): the clear part and entries, then the
 * plain index body sealed. */
static void sealed_index_body(struct adbk_writer *w, struct bytebuf *b)
{
    struct eidx_rec x = {.created = w->created, .not_after = not_after(w),
                         .member_count = w->members_emitted, .index_frame = w->frames,
                         .index_offset = w->offset};
    memcpy(x.archive_id, w->archive_id, 16);
    eidx_encode(&x, b);
    bb_put(b, w->centries.p, w->centries.len);
    struct bytebuf plain = {0};
    index_body(w, &plain);
    uint8_t n[4];
    le_put32(n, (uint32_t)(plain.len + SEAL_TAG));
    bb_put(b, n, sizeof n);
    size_t ad = b->len;
    bb_reserve(b, plain.len + SEAL_TAG);
    if (!b->failed && !plain.failed && plain.len + SEAL_TAG <= UINT32_MAX) {
        seal(&w->keys, REC_IDX, 0, 0, b->p, ad, plain.p, plain.len, b->p + ad);
        b->len = ad + plain.len + SEAL_TAG;
    } else {
        b->failed = true;
    }
    bb_free(&plain);
}

/* The signature trailer (12), at the end of the index body b. */
static void sign_body(struct adbk_writer *w, struct bytebuf *b)
{
    struct sig_rec sr = {.algorithm = SIG_ED25519};
    memcpy(sr.prefix_digest, w->prefix_digest, sizeof sr.prefix_digest);
    memcpy(sr.public_key, w->sign.public_key, sizeof sr.public_key);
    sig_encode_signed_part(&sr, b);
    if (b->failed)
        return;
    uint8_t ih[64], sig[SIGNATURE_SIZE];
    index_hash(b->p, b->len, ih);
    sign_index(&w->sign, ih, sig);
    bb_put(b, sig, sizeof sig);
}

adbk_status adbk_writer_finish(struct adbk_writer *w, struct adbk_error *err)
{
    adbk_status st = usable(w, W_OPEN, "adbk_writer_finish", err);
    if (st != ADBK_OK)
        return st;
    st = opipe_drain(&w->pipe, err);
    if (st != ADBK_OK)
        return st;

    if (w->signing && w->prefix_open) { /* no member: the prefix ends at the index */
        dlist_final(&w->prefix_dl, w->prefix_digest);
        w->prefix_open = false;
    }
    struct bytebuf b = {0};
    if (w->encrypted)
        sealed_index_body(w, &b);
    else
        index_body(w, &b);
    if (w->signing)
        sign_body(w, &b);
    st = push_record(w, REC_IDX, &b, NULL, err);
    if (st == ADBK_OK)
        st = opipe_drain(&w->pipe, err);
    if (st != ADBK_OK)
        return st;

    /* Seek table (FORMAT.md 4): every frame so far, then the footer. */
    if (w->frames > UINT32_MAX || w->seek.len > UINT32_MAX - 64)
        return failf(w, err, ADBK_E_LIMIT, "%s: %llu frames do not fit a seek table",
                     w->sink.name, (unsigned long long)w->frames);
    uint8_t head[SKIPPABLE_HEADER], foot[SEEK_FOOTER_SIZE];
    seek_head_encode(w->frames, head);
    seek_foot_encode(w->frames, foot);
    if ((st = sink_out(w, head, sizeof head, err)) != ADBK_OK ||
        (st = sink_out(w, w->seek.p, w->seek.len, err)) != ADBK_OK ||
        (st = sink_out(w, foot, sizeof foot, err)) != ADBK_OK)
        return st;
    w->offset += sizeof head + w->seek.len + sizeof foot;
    if (w->sink.finish) {
        int rc = w->sink.finish(w->sink.ctx);
        if (rc != 0)
            return failf(w, err, ADBK_E_IO, "finishing %s: %s", w->sink.name, strerror(rc));
    }
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits_digest(w->file_hash));
    memcpy(w->file_xxh128, c.digest, 16);
    w->state = W_FINISHED;
    return ADBK_OK;
}

void adbk_writer_get_stats(const struct adbk_writer *w, struct adbk_writer_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!w)
        return;
    out->members = w->member_number;
    out->bytes_in = w->bytes_in;
    out->bytes_out = w->offset;
    out->frames = w->frames;
    memcpy(out->file_xxh128, w->file_xxh128, 16);
}

void adbk_writer_free(struct adbk_writer *w)
{
    if (!w)
        return;
    if (w->pool)
        opipe_destroy(&w->pipe, drop_item); /* end records own their member's meta */
    pool_free(w->pool);
    meta_free(w->cur); /* an open member has no end record yet: its meta is ours */
    if (w->slots)
        for (unsigned i = 0; i < w->nslots; i++) {
            free(w->slots[i].in);
            free(w->slots[i].out);
        }
    if (w->cctx)
        for (unsigned i = 0; i < w->nworkers; i++)
            ZSTD_freeCCtx(w->cctx[i]);
    for (size_t i = 0; i < w->nprops; i++) {
        free(w->prop_keys[i]);
        free(w->prop_values[i]);
    }
    free(w->prop_keys);
    free(w->prop_values);
    nameset_free(&w->names);
    bb_free(&w->seek);
    bb_free(&w->entries);
    bb_free(&w->centries);
    crypto_wipe(&w->keys, sizeof w->keys);
    crypto_wipe(&w->sign, sizeof w->sign);
    XXH3_freeState(w->file_hash);
    XXH3_freeState(w->span_hash);
    XXH3_freeState(w->content_hash);
    free(w->slots);
    free(w->cctx);
    free(w->tool);
    free(w);
}
