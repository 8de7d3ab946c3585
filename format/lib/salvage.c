/*
 * salvage.c - adbk_salvage: recovering every intact chunk of a damaged or cut
 * archive into a new, valid archive, and saying exactly what was lost
 * (FORMAT.md section 11, "Salvage").
 *
 * DESIGN
 * Pass 1 walks the file frame by frame from byte 0. A frame is an adbk
 * record (checked by its Record_Checksum), a zstd chunk frame (its end found
 * from the block headers, then decompressed, which checks its content
 * checksum) or the seek table. When a frame is unusable, its extent comes
 * from the seek table if the seek table is intact (its entries sum to the
 * file size), else from the frame's own size fields when the next frame's
 * magic confirms them, else salvage searches for the next frame magic
 * (resynchronisation) and the number of chunks lost there is unknown.
 *
 * Each member becomes a list of segments in archive order: runs of intact
 * chunks (DATA), runs of lost chunk frames whose count is known (LOST) and
 * regions of unknown extent (UNKNOWN). When the scan is over, each member's
 * runs are placed in its content: forward from offset 0 while every chunk
 * before is accounted for (all chunks but the last hold Chunk_Size bytes),
 * and backward from the size given by the member-end record or the index.
 * The index, when found intact, names members whose own record is lost.
 *
 * Pass 2 writes the repaired archive through the ordinary writer: a member
 * that is complete (every chunk, and its content hash matches the member-end
 * record or the index) under its own name; every intact run of any other
 * member as "lost+found/NAME.bytes-FIRST-LAST". Chunks are decompressed
 * again from the damaged file and recompressed, so the output is produced
 * by the same code as any archive.
 *
 * Encrypted archives (FORMAT.md 13.7) are walked the same way, every frame
 * a record: the key record is opened with the caller's identities
 * (keyrec.c, as the reader does), and the keys derive from the header's
 * Archive_Id, or, when the header is lost or its MAC fails, from that of an
 * index record that opens with them (index_id walks ahead to find it).
 * Sealed member, member-end and index records are opened and then handled
 * as a plain archive's; a chunk record is opened in place and the chunk
 * frame inside checked as a plain chunk. Its clear Member_Number and
 * Chunk_Index (authenticated by the seal) say whose chunk it is and where
 * it lies, so runs are placed by index and a member is contiguous when
 * its indexes run 0, 1, 2, ... A part that does not authenticate is damage
 * like a failed checksum. Pass 2 writes through writer_open_keyed: the same
 * File_Key and stanzas, a new Archive_Id. Without a key that opens it,
 * nothing is scanned: ADBK_E_KEY.
 *
 * Memory: two frame buffers of at most the compress bound of one chunk,
 * a 1 MiB search window, one record at a time (the index up to 64 MiB), and a
 * small record per member and per segment. Every size read from the file is
 * checked against the bytes the file has before anything is allocated.
 *
 * Records and the seek table are decoded by records.c and chunk frame
 * headers checked by frame.c, as the reader does; salvage decides which of
 * their faults it can live with.
 */
#include "extras.h"
#include "frame.h"
#include "internal.h"
#include "keyrec.h"
#include "records.h"
#include "xxh.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#define SMALL_REC_MAX (1u << 20)       /* header, member and member-end records */
#define INDEX_REC_MAX (64u << 20)      /* the index: names of every member */
#define SEARCH_WINDOW (1u << 20)
#define SEEK_BATCH 4096u               /* seek-table entries read at once */
#define LOST_FOUND "lost+found/"

/* ------------------------------------------------------------ state */

enum seg_kind { SEG_DATA, SEG_LOST, SEG_UNKNOWN };

struct seg {
    enum seg_kind kind;
    uint64_t arch_off, arch_end;  /* archive bytes it covers */
    uint64_t chunks;              /* DATA, LOST: chunk frames */
    uint64_t len;                 /* DATA: content bytes; LOST: when len_known */
    bool len_known;               /* LOST: the seek table gave the content sizes */
    uint32_t last_dsize;          /* DATA: content bytes of its last chunk */
    uint64_t pos;                 /* content offset, when placed */
    bool placed;
    bool idx_known;               /* DATA of an encrypted archive: its chunks' Chunk_Index */
    uint64_t first_index;         /* ... is first_index, first_index + 1, ... */
    char *out_name;               /* DATA of an incomplete member: output name */
};

struct smember {
    int64_t number;               /* -1 unknown */
    bool have_rec, have_meta;
    char *name, *source_path;
    unsigned kind, bft, flags;
    uint64_t expected_size;
    int64_t mtime_sec;
    uint32_t mtime_nsec, mode;
    struct adbk_entry ex;         /* owner and attributes: its fields uid .. xattr_count */
    void *ex_block;               /* behind them (NULL: the index's, or none) */
    uint64_t arch_off;
    bool have_end;
    uint64_t end_size, end_chunks;
    uint8_t end_hash[16];
    bool contiguous;              /* no loss so far: the hash below is of all content */
    uint8_t got_hash[16];
    uint64_t chunks_seen;
    uint64_t next_index;          /* encrypted: the Chunk_Index that keeps it contiguous */
    bool closed_exact;            /* the frame after its last chunk is known not to be a chunk */
    struct seg *segs;
    size_t nsegs, capsegs;
    /* results */
    bool complete, size_known;
    uint64_t size;
    char *out_name;
    char note[240];
};

struct ientry {                   /* what salvage keeps of an index entry */
    char *name, *source_path;
    unsigned kind, bft, flags;
    int64_t mtime_sec;
    uint32_t mtime_nsec, mode;
    struct adbk_entry ex;         /* owner and attributes, as in smember */
    void *ex_block;
    uint64_t size;
    uint8_t hash[16];
};

struct salv {
    const struct adbk_source *src;
    const char *name;
    const struct adbk_salvage_callbacks *cb;
    const struct adbk_age_identity *ids; /* the caller's secret keys (borrowed) */
    size_t nids;
    int (*next_data)(void *ctx, uint64_t offset, uint64_t *data);
    struct adbk_salvage_result *res;
    struct adbk_error *err;

    bool hdr_ok;
    uint8_t *hdr_frame;           /* the header record's frame, for Header_MAC */
    size_t hdr_len;
    uint8_t archive_id[16];       /* the header's, or (encrypted) the index's */
    int64_t created;
    uint32_t chunk_size;          /* 0 when not known */
    uint32_t chunk_max_seen;
    bool any_record;

    /* seek table, read as a stream alongside the scan */
    bool seek_ok;
    uint64_t seek_off, nframes, sk_k, sk_off;
    uint8_t *skbuf;
    uint64_t skbuf_first, skbuf_n;

    /* encryption (FORMAT.md 13) */
    bool enc;                     /* format 2.0: the header says so, or a record of 2.0 */
    bool keyed;                   /* the key record opened: the fields below are set */
    struct archive_keys keys;
    uint8_t file_key[FILE_KEY_SIZE];
    uint8_t *stanzas;             /* Stanza_Count and the stanzas, for the repaired archive */
    size_t stanzas_len;
    char key_why[160];            /* what became of a key record that did not open */

    /* index */
    bool idx_ok;
    int64_t idx_created;          /* its Created, when idx_ok */
    struct ientry *ient;
    size_t nient;
    char **pkeys, **pvals;
    size_t nprops;

    /* members */
    struct smember *m;
    size_t nm, capm;
    long cur;                     /* open member, or -1 */
    int64_t next_number;          /* number the next member should have, -1 unknown */
    unsigned lost_records;        /* lost record frames in a row (exact extents) */
    bool unknown_pending;         /* a region of unknown extent since the last member closed */

    /* buffers */
    uint8_t *in, *out, *win;
    size_t in_cap, out_cap;
    ZSTD_DCtx *dctx;
    XXH3_state_t *hash;
    bool stopped;
};

static uint64_t chunk_bound(uint64_t cs)
{
    return cs + (cs >> 8) + (cs < 131072 ? (131072 - cs) >> 11 : 0);
}

static adbk_status nomem(struct salv *s, const char *what)
{
    return err_set(s->err, ADBK_E_NOMEM, "%s: no memory for %s", s->name, what);
}

static adbk_status rd(struct salv *s, uint64_t off, void *buf, size_t len)
{
    if (off > s->src->size || len > s->src->size - off)
        return err_set(s->err, ADBK_E_IO, "%s: read of %zu bytes at byte %llu past the end",
                       s->name, len, (unsigned long long)off);
    int rc = s->src->read_at(s->src->ctx, off, buf, len);
    if (rc != 0)
        return err_set(s->err, ADBK_E_IO, "%s: reading byte %llu: %s", s->name,
                       (unsigned long long)off, strerror(rc));
    return ADBK_OK;
}

static bool grow(uint8_t **p, size_t *cap, size_t need)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap : 65536;
    while (n < need)
        n *= 2;
    uint8_t *q = realloc(*p, n);
    if (!q)
        return false;
    *p = q;
    *cap = n;
    return true;
}

static void damage(struct salv *s, uint64_t off, uint64_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void damage(struct salv *s, uint64_t off, uint64_t len, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->res->damaged_bytes += len;
    if (s->cb && s->cb->damage)
        s->cb->damage(s->cb->ctx, off, len, msg);
}

/* ------------------------------------------------------------ seek table */

/* Whether the Compressed_Sizes of the n entries of the seek table at off
 * add up to off, each frame 9 bytes at least. */
static adbk_status seek_adds_up(struct salv *s, uint64_t off, uint64_t n, bool *yes)
{
    uint64_t sum = 0;
    *yes = false;
    for (uint64_t k = 0; k < n; k += SEEK_BATCH) {
        uint64_t b = n - k < SEEK_BATCH ? n - k : SEEK_BATCH;
        adbk_status st = rd(s, seek_entry_at(off, k), s->skbuf, (size_t)(b * SEEK_ENTRY_SIZE));
        if (st != ADBK_OK)
            return st;
        for (uint64_t i = 0; i < b; i++) {
            struct seek_entry e;
            seek_entry_decode(s->skbuf + i * SEEK_ENTRY_SIZE, &e);
            if (e.csize < 9)
                return ADBK_OK;
            sum += e.csize;
        }
    }
    *yes = sum == off;
    return ADBK_OK;
}

/* Accepts the seek table only when it is consistent with the file: footer,
 * frame header, and entries whose sizes add up to exactly its own offset. */
static adbk_status seek_load(struct salv *s)
{
    uint64_t size = s->src->size;
    uint8_t foot[SEEK_FOOTER_SIZE], sh[SKIPPABLE_HEADER];
    if (size < seek_table_size(0))
        return ADBK_OK;
    struct seek_foot ft;
    adbk_status st = rd(s, size - sizeof foot, foot, sizeof foot);
    if (st != ADBK_OK || seek_foot_decode(foot, &ft) != 0)
        return st;
    uint64_t n = ft.frames;
    uint64_t table = seek_table_size(n);
    if (n == 0 || table > size)
        return ADBK_OK;
    uint64_t off = size - table;
    if ((st = rd(s, off, sh, sizeof sh)) != ADBK_OK)
        return st;
    struct seek_head h;
    if (seek_head_decode(sh, &h) != 0 || h.frame_size != seek_frame_size(n))
        return ADBK_OK;
    s->skbuf = malloc(SEEK_BATCH * SEEK_ENTRY_SIZE);
    if (!s->skbuf)
        return nomem(s, "the seek table");
    bool adds_up;
    if ((st = seek_adds_up(s, off, n, &adds_up)) != ADBK_OK || !adds_up)
        return st;
    s->seek_ok = true;
    s->seek_off = off;
    s->nframes = n;
    s->skbuf_n = 0;
    return ADBK_OK;
}

/* Entry k of the seek table (k < nframes). */
static adbk_status seek_entry(struct salv *s, uint64_t k, struct seek_entry *e)
{
    if (k < s->skbuf_first || k >= s->skbuf_first + s->skbuf_n) {
        uint64_t b = s->nframes - k < SEEK_BATCH ? s->nframes - k : SEEK_BATCH;
        adbk_status st = rd(s, seek_entry_at(s->seek_off, k), s->skbuf,
                            (size_t)(b * SEEK_ENTRY_SIZE));
        if (st != ADBK_OK)
            return st;
        s->skbuf_first = k;
        s->skbuf_n = b;
    }
    seek_entry_decode(s->skbuf + (k - s->skbuf_first) * SEEK_ENTRY_SIZE, e);
    return ADBK_OK;
}

/* Moves the cursor to the frame starting at off; *at says whether one does. */
static adbk_status seek_sync(struct salv *s, uint64_t off, bool *at, struct seek_entry *e)
{
    *at = false;
    while (s->sk_k < s->nframes) {
        adbk_status st = seek_entry(s, s->sk_k, e);
        if (st != ADBK_OK)
            return st;
        if (s->sk_off >= off) {
            *at = s->sk_off == off;
            return ADBK_OK;
        }
        s->sk_off += e->csize;
        s->sk_k++;
    }
    return ADBK_OK;
}

/* ------------------------------------------------------------ frames */

/* Why a chunk frame's header breaks FORMAT.md 3.3 (chunk_head_check's
 * faults, in salvage's order), or NULL. */
static const char *chunk_head_why(unsigned f)
{
    static const struct { unsigned fault; const char *why; } order[] = {
        {CH_RESERVED, "its frame header sets a reserved bit"},
        {CH_NO_CHECKSUM, "it has no content checksum"},
        {CH_DICTIONARY, "it names a dictionary"},
        {CH_WINDOW, "its window is larger than 128 MiB"},
        {CH_NO_SIZE, "it declares no content size"},
        {CH_INCOMPLETE, "the file ends inside a frame header"},
        {CH_CONTENT, "it declares a content size that no chunk can have"},
    };
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (f & order[i].fault)
            return order[i].why;
    return NULL;
}

/* Reads the blocks of the zstd frame at off, after its header (the first
 * *len bytes, in s->in), into s->in, never past avail bytes or maxlen.
 * Returns NULL with *len the frame's size, or why the frame is unusable
 * (with *io set when reading failed). */
static const char *zframe_blocks(struct salv *s, uint64_t off, uint64_t avail, uint64_t maxlen,
                                 uint64_t *len_io, adbk_status *io)
{
    uint64_t len = *len_io;
    for (bool last = false; !last;) {
        if (len + CHUNK_BLOCK_HEAD > avail)
            return "the file ends inside the frame";
        if (len + CHUNK_BLOCK_HEAD > maxlen)
            return "it is longer than a chunk frame can be";
        if (!grow(&s->in, &s->in_cap, (size_t)len + CHUNK_BLOCK_HEAD)) {
            *io = nomem(s, "a frame");
            return "no memory";
        }
        if ((*io = rd(s, off + len, s->in + len, CHUNK_BLOCK_HEAD)) != ADBK_OK)
            return "unreadable";
        struct chunk_block b;
        unsigned f = chunk_block_decode(s->in + len, &b);
        len += CHUNK_BLOCK_HEAD;
        if (f & CB_RESERVED)
            return "a block has the reserved type";
        if (f & CB_LARGE)
            return "a block is larger than 128 KiB";
        uint64_t need = len + b.stored + (b.last ? CHUNK_CHECKSUM : 0);
        if (need > maxlen)
            return "it is longer than a chunk frame can be";
        if (need > avail)
            return "the file ends inside the frame";
        if (!grow(&s->in, &s->in_cap, (size_t)need)) {
            *io = nomem(s, "a frame");
            return "no memory";
        }
        if ((*io = rd(s, off + len, s->in + len, (size_t)(need - len))) != ADBK_OK)
            return "unreadable";
        len = need;
        last = b.last;
    }
    *len_io = len;
    return NULL;
}

/* Reads the zstd frame at off into s->in, finding its end from the block
 * headers, never past end and never past the compress bound of a chunk.
 * Returns NULL and *csize, *fcs; or why the frame is unusable (with *io set
 * when reading failed). */
static const char *zframe_read(struct salv *s, uint64_t off, uint64_t end, size_t *csize,
                               uint64_t *fcs_out, adbk_status *io)
{
    *io = ADBK_OK;
    uint64_t avail = end - off;
    uint8_t h[18]; /* the longest frame header */
    size_t hn = avail < sizeof h ? (size_t)avail : sizeof h;
    if (hn < 6)
        return "the file ends inside a frame header";
    if ((*io = rd(s, off, h, hn)) != ADBK_OK)
        return "unreadable";
    uint64_t cs = s->chunk_size ? s->chunk_size : ADBK_CHUNK_MAX;
    struct chunk_head ch;
    const char *why = chunk_head_why(chunk_head_check(h, hn, cs, &ch));
    if (why)
        return why;
    if (!grow(&s->in, &s->in_cap, ch.header_size)) {
        *io = nomem(s, "a frame");
        return "no memory";
    }
    memcpy(s->in, h, ch.header_size);
    uint64_t len = ch.header_size;
    if ((why = zframe_blocks(s, off, avail, chunk_bound(cs), &len, io)) != NULL)
        return why;
    /* zstd cannot expand more than this (FORMAT.md section 9). */
    if (ch.content_size > (uint64_t)ZSTD_MAX_EXPANSION * len + ZSTD_EXPANSION_SLACK)
        return "it declares more content than its blocks can hold";
    *csize = (size_t)len;
    *fcs_out = ch.content_size;
    return NULL;
}

/* Decompresses the frame z (csize bytes, in s->in) into s->out; NULL or
 * why not. */
static const char *zframe_decode(struct salv *s, const uint8_t *z, size_t csize, uint64_t fcs,
                                 adbk_status *io)
{
    *io = ADBK_OK;
    if (!grow(&s->out, &s->out_cap, (size_t)fcs)) {
        *io = nomem(s, "a chunk");
        return "no memory";
    }
    size_t n = ZSTD_decompressDCtx(s->dctx, s->out, (size_t)fcs, z, csize);
    if (ZSTD_isError(n))
        return ZSTD_getErrorName(n);
    if (n != fcs)
        return "it holds fewer bytes than it declares";
    return NULL;
}

/* ------------------------------------------------------------ chunk records (2.0) */

/* The largest chunk record a chunk of the archive's size can make (13.8). */
static uint64_t chunk_record_max(const struct salv *s)
{
    return CHK_FRAME_SIZE(chunk_bound(s->chunk_size ? s->chunk_size : ADBK_CHUNK_MAX));
}

/* Reads the chunk record at off (never past end) into s->in and checks its
 * size and Record_Checksum: NULL, *total its frame's bytes and body/blen
 * its body (in s->in); or why it is unusable (*io set when reading failed
 * or memory ran out), *total then its own idea of its size (0: none). */
static const char *chunk_record_load(struct salv *s, uint64_t off, uint64_t end, uint64_t *total,
                                     const uint8_t **body, size_t *blen, adbk_status *io)
{
    *io = ADBK_OK;
    *total = 0;
    uint8_t h[REC_HEAD];
    if (end - off < sizeof h)
        return "the file ends inside a frame";
    if ((*io = rd(s, off, h, sizeof h)) != ADBK_OK)
        return "unreadable";
    struct rec_head rh;
    unsigned f = rec_head_decode(h, sizeof h, &rh);
    uint64_t n = SKIPPABLE_HEADER + (uint64_t)rh.frame_size;
    *total = n;
    if ((f & RH_MAGIC) || rh.type != REC_CHK)
        return "it is not a chunk record";
    if (n < CHK_FRAME_SIZE(0) || n > chunk_record_max(s))
        return "a record with an impossible size";
    if (n > end - off)
        return "a record that runs past the end of the file";
    if (!grow(&s->in, &s->in_cap, (size_t)n)) {
        *io = nomem(s, "a chunk record");
        return "no memory";
    }
    if ((*io = rd(s, off, s->in, (size_t)n)) != ADBK_OK)
        return "unreadable";
    struct adbk_error ignore;
    if (rec_check(s->in, (size_t)n, REC_CHK, body, blen, s->name, off, &ignore) != ADBK_OK)
        return "a record that fails its checksum";
    return NULL;
}

/* Checks the chunk frame z (zlen bytes, in memory) against FORMAT.md 3.3:
 * NULL and its content size in *fcs, or why it is unusable. */
static const char *zframe_check(const struct salv *s, const uint8_t *z, size_t zlen,
                                uint64_t *fcs)
{
    uint64_t cs = s->chunk_size ? s->chunk_size : ADBK_CHUNK_MAX;
    struct chunk_head ch;
    unsigned f = chunk_head_check(z, zlen, cs, &ch);
    if (f & CH_MAGIC)
        return "what it seals is not a zstd frame";
    const char *why = chunk_head_why(f);
    if (why)
        return why;
    if (zlen > chunk_bound(cs))
        return "it is longer than a chunk frame can be";
    size_t n = ZSTD_findFrameCompressedSize(z, zlen);
    if (ZSTD_isError(n) || n != zlen)
        return "the chunk frame it seals does not fill it";
    if (ch.content_size > (uint64_t)ZSTD_MAX_EXPANSION * zlen + ZSTD_EXPANSION_SLACK)
        return "it declares more content than its blocks can hold";
    *fcs = ch.content_size;
    return NULL;
}

/* Opens a chunk record's body (chunk_record_load's, in s->in) with the
 * archive's keys: its clear part into *sr, and the chunk frame it seals,
 * opened in place, checked by zframe_check: *z (zlen bytes) and *fcs. NULL,
 * or why it is unusable. */
static const char *chunk_record_open(struct salv *s, const uint8_t *body, size_t blen,
                                     struct sealed_rec *sr, const uint8_t **z, size_t *zlen,
                                     uint64_t *fcs)
{
    if (sealed_decode(REC_CHK, body, blen, sr) != 0)
        return "a chunk record too short for its sealed chunk";
    if (sr->number > INT64_MAX || sr->chunk > INT64_MAX)
        return "a chunk record whose member or chunk number is impossible";
    uint8_t *pt = (uint8_t *)sr->sealed; /* in place: s->in is ours */
    if (!sealed_open(&s->keys, REC_CHK, body, sr, pt))
        return "it does not authenticate (changed, moved, or from another archive)";
    *z = pt;
    *zlen = sr->sealed_len - SEAL_TAG;
    return zframe_check(s, *z, *zlen, fcs);
}

/* Whether a frame could start at off: one of the three magic numbers, or
 * the end of the scanned range. */
static adbk_status magic_at(struct salv *s, uint64_t off, uint64_t end, bool *yes)
{
    *yes = off == end;
    if (off + 4 > end)
        return ADBK_OK;
    uint8_t b[4];
    adbk_status st = rd(s, off, b, 4);
    if (st == ADBK_OK)
        *yes = is_frame_magic(b);
    return st;
}

/* The first offset >= off that may hold a non-zero byte, per the source's
 * next_data (a hole of a sparse file holds only zeros, and no magic number
 * has a zero byte); off itself when the source cannot tell. */
static uint64_t skip_hole(struct salv *s, uint64_t off, uint64_t end)
{
    uint64_t d;
    if (!s->next_data || s->next_data(s->src->ctx, off, &d) != 0 || d <= off)
        return off;
    if (d > end)
        d = end;
    s->res->hole_bytes_skipped += d - off;
    return d;
}

/* Where the next candidate at or after from starts whose second byte is
 * 0x2A (a record's or the seek table's magic), or n. */
static size_t next_2a(const uint8_t *w, size_t from, size_t n)
{
    if (from > n - 4)
        return n;
    const uint8_t *p = memchr(w + from + 1, 0x2A, n - 3 - from);
    return p ? (size_t)(p - w) - 1 : n;
}

/* Likewise for a first byte 0x28 (a zstd frame's magic). */
static size_t next_28(const uint8_t *w, size_t from, size_t n)
{
    if (from > n - 4)
        return n;
    const uint8_t *p = memchr(w + from, 0x28, n - 3 - from);
    return p ? (size_t)(p - w) : n;
}

/* The first offset of w (n bytes) where one of the three magic numbers
 * starts, or n. Every one has 0x2A at +1 (records, seek table) or 0x28 at
 * +0 (zstd), so memchr, which passes over many bytes a step, finds every
 * candidate; zeros and most other bytes go by at memory speed. */
static size_t magic_in(const uint8_t *w, size_t n)
{
    if (n < 4)
        return n;
    size_t ca = next_2a(w, 0, n), cz = next_28(w, 0, n);
    while (ca < n || cz < n) {
        size_t c = ca < cz ? ca : cz;
        if (is_frame_magic(w + c))
            return c;
        if (c == ca)
            ca = next_2a(w, ca + 1, n);
        if (c == cz)
            cz = next_28(w, cz + 1, n);
    }
    return n;
}

/* The first offset after from where a magic number starts, or end. Holes
 * of a sparse file are stepped over without reading them (skip_hole), and
 * the bytes that are read are searched with memchr. */
static adbk_status resync(struct salv *s, uint64_t from, uint64_t end, uint64_t *found)
{
    *found = end;
    while (from + 4 <= end) {
        from = skip_hole(s, from, end);
        if (from + 4 > end)
            break;
        uint64_t n = end - from < SEARCH_WINDOW ? end - from : SEARCH_WINDOW;
        adbk_status st = rd(s, from, s->win, (size_t)n);
        if (st != ADBK_OK)
            return st;
        s->res->gap_bytes_read += n;
        size_t i = magic_in(s->win, (size_t)n);
        if (i < n) {
            *found = from + i;
            return ADBK_OK;
        }
        if (from + n >= end)
            break;
        from += n - 3;
        if (s->cb && s->cb->progress && s->cb->progress(s->cb->ctx, from, s->src->size))
            return err_set(s->err, ADBK_E_ABORTED, "%s: salvage stopped at byte %llu", s->name,
                           (unsigned long long)from);
    }
    return ADBK_OK;
}

/* ------------------------------------------------------------ members */

static struct smember *cur(struct salv *s)
{
    return s->cur >= 0 ? &s->m[s->cur] : NULL;
}

static struct seg *seg_add(struct salv *s, enum seg_kind kind, uint64_t off);

/* Opens a member. exact_start: its first chunk is known to be chunk 0 (its
 * record is here, or only records were lost before it); otherwise an
 * unknown number of its chunks may have been lost before. (An encrypted
 * archive's chunks say their index: there the indexes decide.) */
static adbk_status member_new(struct salv *s, uint64_t off, int64_t number, bool exact_start)
{
    if (s->nm == s->capm) {
        size_t n = s->capm ? s->capm * 2 : 16;
        struct smember *q = realloc(s->m, n * sizeof *q);
        if (!q)
            return nomem(s, "the member list");
        s->m = q;
        s->capm = n;
    }
    struct smember *m = &s->m[s->nm];
    memset(m, 0, sizeof *m);
    m->number = number;
    m->arch_off = off;
    m->contiguous = true;
    s->cur = (long)s->nm++;
    XXH3_128bits_reset(s->hash);
    bool pending = s->unknown_pending;
    s->unknown_pending = false;
    if (!exact_start && pending && !s->enc) {
        m->contiguous = false;
        struct seg *g = seg_add(s, SEG_UNKNOWN, off);
        if (!g)
            return nomem(s, "the member's segments");
    }
    return ADBK_OK;
}

static void member_close(struct salv *s, bool exact)
{
    struct smember *m = cur(s);
    if (!m)
        return;
    m->closed_exact = exact && !(m->nsegs && m->segs[m->nsegs - 1].kind == SEG_UNKNOWN);
    if (m->contiguous) {
        XXH128_canonical_t c;
        XXH128_canonicalFromHash(&c, XXH3_128bits_digest(s->hash));
        memcpy(m->got_hash, c.digest, 16);
    }
    s->next_number = m->number >= 0 ? m->number + 1 : -1;
    s->cur = -1;
}

/* The member chunks at off belong to: the open one, or a new one whose
 * record was lost. */
static adbk_status member_for_chunk(struct salv *s, uint64_t off)
{
    struct smember *m = cur(s);
    if (m && s->lost_records == 0) {
        /* A short chunk is a member's last: a chunk after it starts another
         * member whose records were lost where the extent is unknown. */
        struct seg *last = NULL;
        for (size_t i = m->nsegs; i-- > 0 && !last;)
            if (m->segs[i].kind == SEG_DATA)
                last = &m->segs[i];
        if (!(last && s->chunk_size && last->last_dsize < s->chunk_size))
            return ADBK_OK;
        member_close(s, false);
        s->next_number = -1;
        s->unknown_pending = true;
    } else if (m) {
        member_close(s, true); /* its end record was the lost record */
    }
    return member_new(s, off, s->next_number, false);
}

/* The member an encrypted archive's chunk of member number belongs to:
 * the open one when it has that number, else a new one (its member record
 * was lost). */
static adbk_status member_for_sealed(struct salv *s, uint64_t off, int64_t number, bool first)
{
    struct smember *m = cur(s);
    if (m && m->number == number)
        return ADBK_OK;
    member_close(s, false);
    return member_new(s, off, number, first);
}

static struct seg *seg_add(struct salv *s, enum seg_kind kind, uint64_t off)
{
    struct smember *m = cur(s);
    if (m->nsegs == m->capsegs) {
        size_t n = m->capsegs ? m->capsegs * 2 : 4;
        struct seg *q = realloc(m->segs, n * sizeof *q);
        if (!q)
            return NULL;
        m->segs = q;
        m->capsegs = n;
    }
    struct seg *g = &m->segs[m->nsegs++];
    memset(g, 0, sizeof *g);
    g->kind = kind;
    g->arch_off = g->arch_end = off;
    return g;
}

/* An intact chunk of csize archive bytes at off, its dsize content bytes in
 * s->out. sr: the clear part of its chunk record in an encrypted archive
 * (which names its member and index), NULL in a plain one. */
static adbk_status chunk_good(struct salv *s, uint64_t off, uint64_t csize, uint64_t dsize,
                              const struct sealed_rec *sr)
{
    adbk_status st = sr ? member_for_sealed(s, off, (int64_t)sr->number, sr->chunk == 0)
                        : member_for_chunk(s, off);
    if (st != ADBK_OK)
        return st;
    s->lost_records = 0;
    struct smember *m = cur(s);
    struct seg *g = m->nsegs ? &m->segs[m->nsegs - 1] : NULL;
    bool extend = g && g->kind == SEG_DATA && g->arch_end == off;
    /* A run of an encrypted archive holds consecutive indexes, each chunk
     * but its last full, so that its place follows from its first index. */
    if (sr && extend)
        extend = g->first_index + g->chunks == sr->chunk &&
                 (!s->chunk_size || g->last_dsize == s->chunk_size);
    if (!extend) {
        if (!(g = seg_add(s, SEG_DATA, off)))
            return nomem(s, "the member's segments");
        g->idx_known = sr != NULL;
        g->first_index = sr ? sr->chunk : 0;
    }
    g->arch_end = off + csize;
    g->chunks++;
    g->len += dsize;
    g->last_dsize = (uint32_t)dsize;
    m->chunks_seen++;
    if (sr) {
        /* Contiguous while the indexes run 0, 1, 2, ... whatever lies
         * between the chunk records. */
        if (sr->chunk != m->next_index)
            m->contiguous = false;
        m->next_index = sr->chunk + 1;
    }
    if (m->contiguous)
        XXH3_128bits_update(s->hash, s->out, (size_t)dsize);
    if (dsize > s->chunk_max_seen)
        s->chunk_max_seen = (uint32_t)dsize;
    s->res->chunks_recovered++;
    return ADBK_OK;
}

static adbk_status chunk_lost(struct salv *s, uint64_t off, uint64_t csize, bool len_known,
                              uint64_t dsize)
{
    if (s->enc) {
        /* Its clear numbers are not to be trusted: the indexes of the
         * chunks around it tell what is missing, and where. */
        s->lost_records = 0;
        s->res->chunks_lost++;
        return ADBK_OK;
    }
    adbk_status st = member_for_chunk(s, off);
    if (st != ADBK_OK)
        return st;
    s->lost_records = 0;
    struct smember *m = cur(s);
    struct seg *g = m->nsegs ? &m->segs[m->nsegs - 1] : NULL;
    if (!g || g->kind != SEG_LOST || g->arch_end != off) {
        if (!(g = seg_add(s, SEG_LOST, off)))
            return nomem(s, "the member's segments");
        g->len_known = true;
    }
    g->arch_end = off + csize;
    g->chunks++;
    g->len_known = g->len_known && len_known;
    g->len += dsize;
    m->chunks_seen++;
    m->contiguous = false;
    s->res->chunks_lost++;
    return ADBK_OK;
}

static adbk_status region_unknown(struct salv *s, uint64_t off, uint64_t end)
{
    s->lost_records = 0;
    struct smember *m = cur(s);
    s->next_number = -1;
    if (!m) {
        s->unknown_pending = true;
        return ADBK_OK;
    }
    if (!s->enc)
        m->contiguous = false; /* encrypted: the next chunk's index says */
    struct seg *g = seg_add(s, SEG_UNKNOWN, off);
    if (!g)
        return nomem(s, "the member's segments");
    g->arch_end = end;
    return ADBK_OK;
}

/* ------------------------------------------------------------ records */

/* Why nothing of an encrypted archive can be opened: no key given, or its
 * key record lost (ADBK_E_KEY). */
static adbk_status no_keys(struct salv *s)
{
    if (!s->nids)
        return err_set(s->err, ADBK_E_KEY, "%s is encrypted (format 2.0): salvage opens what "
                       "is intact with a recipient's secret key (--identity FILE), and none "
                       "was given", s->name);
    return err_set(s->err, ADBK_E_KEY, "%s is encrypted, and its key record %s: without it "
                   "nothing of the archive can be opened", s->name,
                   s->key_why[0] ? s->key_why : "is lost (damaged or cut off)");
}

/* The header record: the whole frame f (flen bytes, kept for Header_MAC)
 * and its body b. */
static adbk_status rec_header(struct salv *s, uint64_t off, const uint8_t *f, size_t flen,
                              const uint8_t *b, size_t n)
{
    struct hdr_rec h;
    /* Its Tool does not matter here: only the fields before it. */
    if (off != 0 || (hdr_decode(b, n, &h) & ~HDR_TOOL_SHORT) != 0) {
        damage(s, off, 0, "a header record at byte %llu is misplaced or of another format; "
               "ignored", (unsigned long long)off);
        return ADBK_OK;
    }
    s->hdr_ok = true;
    memcpy(s->archive_id, h.archive_id, 16);
    s->created = h.created;
    s->chunk_size = h.chunk_size;
    s->enc = h.format_major == ADBK_FORMAT_ENCRYPTED_MAJOR;
    if (s->enc && !s->nids)
        return no_keys(s);
    free(s->hdr_frame);
    if (!(s->hdr_frame = malloc(flen)))
        return nomem(s, "the header record");
    memcpy(s->hdr_frame, f, flen);
    s->hdr_len = flen;
    return ADBK_OK;
}

/* Starts the member of a member record that is intact but malformed; an
 * encrypted archive's still says its number in clear (authenticated). */
static adbk_status member_unnamed(struct salv *s, uint64_t off, int64_t number)
{
    damage(s, off, 0, "the member record at byte %llu is malformed; its member is kept "
           "without a name", (unsigned long long)off);
    member_close(s, true);
    return member_new(s, off, number, true);
}

/* A member record's body b (in an encrypted archive: what its record
 * seals, clear_number the number in clear; else -1). */
static adbk_status rec_member(struct salv *s, uint64_t off, const uint8_t *b, size_t n,
                              int64_t clear_number)
{
    struct mbr_rec v;
    unsigned f = mbr_decode(b, n, &v);
    char *name = NULL, *src = NULL;
    struct adbk_entry ex;
    void *ex_block = NULL;
    if ((f & (MBR_SHORT | MBR_NUL | MBR_KIND0 | OX_FAULTS)) || v.number > INT64_MAX ||
        !str16_dup2(v.name, v.source_path, &name, &src) ||
        !extras_unpack(v.flags, &v.owner, &v.xattrs, &ex, &ex_block)) {
        free(name);
        free(src);
        return member_unnamed(s, off, clear_number);
    }
    member_close(s, true);
    adbk_status st = member_new(s, off, (int64_t)v.number, true);
    if (st != ADBK_OK) {
        free(name);
        free(src);
        free(ex_block);
        return st;
    }
    struct smember *m = cur(s);
    m->have_rec = m->have_meta = true;
    m->name = name;
    m->source_path = src;
    m->kind = v.kind;
    m->bft = v.bft;
    m->flags = v.flags;
    m->expected_size = v.expected_size;
    m->mtime_sec = v.mtime_sec;
    m->mtime_nsec = (f & MBR_NSEC) ? 0 : v.mtime_nsec;
    m->mode = v.mode;
    m->ex = ex;
    m->ex_block = ex_block;
    return ADBK_OK;
}

static adbk_status rec_end(struct salv *s, uint64_t off, const uint8_t *b, size_t n)
{
    struct end_rec v;
    if (end_decode(b, n, &v) != 0 || v.number > INT64_MAX) {
        damage(s, off, 0, "the member-end record at byte %llu is malformed; ignored",
               (unsigned long long)off);
        return ADBK_OK;
    }
    uint64_t number = v.number;
    struct smember *m = cur(s);
    if (m && m->number >= 0 && (uint64_t)m->number != number) {
        /* Not this member's end: this member ended in a lost region or lost
         * record, and the end belongs to a member whose record was lost. If
         * the open member had a region of unknown extent, the chunks after
         * it belong to that other member. */
        size_t cut = m->nsegs;
        while (cut > 0 && m->segs[cut - 1].kind != SEG_UNKNOWN)
            cut--;
        /* (An encrypted archive's chunks name their member: none to move.) */
        size_t moved = cut > 0 && !s->enc ? m->nsegs - cut : 0;
        struct seg *tail = NULL;
        if (moved) {
            tail = malloc(moved * sizeof *tail);
            if (!tail)
                return nomem(s, "the member's segments");
            memcpy(tail, m->segs + cut, moved * sizeof *tail);
            m->nsegs = cut;
            m->contiguous = false;
        }
        member_close(s, false);
        s->unknown_pending = false;
        adbk_status st = member_new(s, moved ? tail[0].arch_off : off, (int64_t)number, true);
        if (st != ADBK_OK) {
            free(tail);
            return st;
        }
        m = cur(s);
        m->contiguous = false;
        if (moved) {
            m->segs = tail;
            m->nsegs = m->capsegs = moved;
        }
    } else if (!m) {
        /* Its member record was lost, and with it any chunk it had. */
        adbk_status st = member_new(s, off, (int64_t)number, false);
        if (st != ADBK_OK)
            return st;
        m = cur(s);
    }
    if (m->number < 0)
        m->number = (int64_t)number;
    m->have_end = true;
    m->end_size = v.size;
    m->end_chunks = v.chunk_count;
    memcpy(m->end_hash, v.content_hash, 16);
    member_close(s, true);
    s->next_number = (int64_t)number + 1;
    return ADBK_OK;
}

/* Forgets what an index record gave (its properties and entries), so that a
 * malformed one leaves nothing behind and a later one starts afresh. */
static void drop_index(struct salv *s)
{
    for (size_t i = 0; i < s->nprops; i++) {
        free(s->pkeys[i]);
        free(s->pvals[i]);
    }
    for (size_t i = 0; s->ient && i < s->nient; i++) {
        free(s->ient[i].name);
        free(s->ient[i].source_path);
        free(s->ient[i].ex_block);
    }
    free(s->pkeys);
    free(s->pvals);
    free(s->ient);
    s->pkeys = s->pvals = NULL;
    s->ient = NULL;
    s->nprops = s->nient = 0;
}

/* The index's properties, copied; false when one is malformed. */
static bool index_props(struct salv *s, struct cursor *c, uint32_t nprops)
{
    for (uint32_t i = 0; i < nprops; i++) {
        struct prop_rec p;
        unsigned f = prop_decode(c, &p);
        s->nprops = i + 1;
        if (f || !str16_dup2(p.key, p.value, &s->pkeys[i], &s->pvals[i]))
            return false;
    }
    return true;
}

/* What salvage keeps of the index's entries; false when one is malformed. */
static bool index_entries(struct salv *s, struct cursor *c, uint64_t count)
{
    for (uint64_t i = 0; i < count; i++) {
        struct entry_rec e;
        unsigned f = entry_decode(c, &e);
        if (f & ENT_SIZE)
            return false;
        struct ientry *ie = &s->ient[i];
        s->nient = (size_t)i + 1;
        ie->kind = e.kind;
        ie->bft = e.bft;
        ie->flags = e.flags;
        ie->size = e.size;
        ie->mtime_sec = e.mtime_sec;
        ie->mtime_nsec = e.mtime_nsec;
        ie->mode = e.mode;
        memcpy(ie->hash, e.content_hash, 16);
        if (!str16_dup2(e.name, e.source_path, &ie->name, &ie->source_path) ||
            !ie->source_path || (f & (ENT_SHORT | ENT_NUL | ENT_KIND0 | ENT_NSEC | OX_FAULTS)) ||
            !extras_unpack(e.flags, &e.owner, &e.xattrs, &ie->ex, &ie->ex_block))
            return false;
    }
    return true;
}

/* Keeps what salvage needs of an intact index: properties and, per member
 * number, the entry. */
static adbk_status rec_index(struct salv *s, uint64_t off, const uint8_t *b, size_t n)
{
    struct idx_rec x;
    if (idx_decode(b, n, &x) != 0 ||
        ((s->hdr_ok || s->keyed) && memcmp(x.archive_id, s->archive_id, 16) != 0) || s->idx_ok) {
        damage(s, off, 0, "the index record at byte %llu %s; ignored", (unsigned long long)off,
               s->idx_ok ? "is a second index" : "is malformed or belongs to another archive");
        return ADBK_OK;
    }
    drop_index(s); /* an earlier, malformed index record */
    uint32_t nprops = x.property_count;
    uint64_t count = x.member_count;
    s->pkeys = calloc(nprops ? nprops : 1, sizeof *s->pkeys);
    s->pvals = calloc(nprops ? nprops : 1, sizeof *s->pvals);
    s->ient = calloc(count ? (size_t)count : 1, sizeof *s->ient);
    if (!s->pkeys || !s->pvals || !s->ient)
        return nomem(s, "the index");
    struct cursor c = {.p = b, .len = n, .pos = x.rest};
    if (!index_props(s, &c, nprops) || !index_entries(s, &c, count)) {
        damage(s, off, 0, "the index record at byte %llu has a malformed entry; the names it "
               "gives are not used", (unsigned long long)off);
        drop_index(s);
        return ADBK_OK;
    }
    s->idx_ok = true;
    s->idx_created = x.created;
    return ADBK_OK;
}

/* ------------------------------------------------------------ pass 1 */

enum fr { FR_OK, FR_BAD, FR_END };

/* Reads the record of total bytes at off into *f (the caller frees it) and
 * checks its frame, of type want (0: any type): *whole says whether it
 * holds, *body and *blen are then its body. A status only when the bytes
 * cannot be read or no memory is left (then *f is NULL or to be freed). */
static adbk_status record_read(struct salv *s, uint64_t off, uint64_t total, uint32_t want,
                               uint8_t **f, const uint8_t **body, size_t *blen, bool *whole)
{
    *whole = false;
    if (!(*f = malloc((size_t)total)))
        return nomem(s, "a record");
    struct adbk_error ignore;
    adbk_status st = rd(s, off, *f, (size_t)total);
    *whole = st == ADBK_OK && rec_check(*f, (size_t)total, want, body, blen, s->name, off,
                                        &ignore) == ADBK_OK;
    return st;
}

/* ------------------------------------------------------------ keys (2.0) */

/* Whether the encrypted index record of total bytes at off opens under the
 * keys that its own clear Archive_Id gives with the File_Key: then it is
 * this archive's, and s->archive_id and s->keys are set from it. */
static adbk_status index_try(struct salv *s, uint64_t off, uint64_t total, bool *found)
{
    uint8_t *f;
    const uint8_t *body;
    size_t blen;
    bool whole;
    adbk_status st = record_read(s, off, total, REC_IDX, &f, &body, &blen, &whole);
    struct eidx_rec x;
    if (whole && eidx_decode(body, blen, &x) == 0) {
        struct archive_keys k;
        uint8_t *pt;
        size_t ptlen;
        keys_derive(s->file_key, x.archive_id, &k);
        int r = eidx_open(&k, body, blen, &x, &pt, &ptlen);
        free(pt);
        if (r == EIDX_OPEN_NOMEM)
            st = nomem(s, "the index");
        if (r == 0) {
            *found = true;
            s->keys = k;
            memcpy(s->archive_id, x.archive_id, 16);
        }
        crypto_wipe(&k, sizeof k);
    }
    free(f);
    return st;
}

/* When the header cannot give the Archive_Id that the archive's keys derive
 * from (13.3): the frames from off on are walked by their heads alone (every
 * frame of a 2.0 archive is a record), resynchronising as the scan does,
 * to an index record that index_try opens. *found says whether one did. */
static adbk_status index_id(struct salv *s, uint64_t off, bool *found)
{
    *found = false;
    uint64_t end = s->src->size;
    uint64_t gap = s->res->gap_bytes_read, hole = s->res->hole_bytes_skipped;
    adbk_status st = ADBK_OK;
    while (st == ADBK_OK && !*found && end - off >= REC_FRAME_MIN) {
        uint8_t h[REC_HEAD];
        if ((st = rd(s, off, h, sizeof h)) != ADBK_OK)
            break;
        struct rec_head rh;
        unsigned f = rec_head_decode(h, sizeof h, &rh);
        uint64_t total = SKIPPABLE_HEADER + (uint64_t)rh.frame_size;
        bool next = false;
        if (!(f & (RH_MAGIC | RH_SIZE)) && total <= end - off) {
            if (rh.type == REC_IDX && total <= INDEX_REC_MAX)
                st = index_try(s, off, total, found);
            if (st == ADBK_OK && !*found)
                st = magic_at(s, off + total, end, &next);
        }
        if (st != ADBK_OK || *found)
            break;
        if (next) {
            off += total;
            continue;
        }
        st = resync(s, off + 1, end, &off);
    }
    /* Only the scan's own searches count in the report. */
    s->res->gap_bytes_read = gap;
    s->res->hole_bytes_skipped = hole;
    return st;
}

/* The key record (13.4), whose frame of flen bytes is at off: opened with
 * the caller's identities. The keys derive from the header's Archive_Id
 * once Header_MAC checks out; when the header is lost, or its MAC fails
 * (then it is not used at all), from the Archive_Id of an index record
 * that opens with it (index_id). *out stays FR_BAD, with *why, for a key
 * record that cannot be used. */
static adbk_status rec_key(struct salv *s, uint64_t off, size_t flen, const uint8_t *body,
                           size_t blen, enum fr *out, const char **why)
{
    if (s->keyed || s->nm > 0 || (s->hdr_ok && !s->enc)) {
        *why = s->hdr_ok && !s->enc ? "a key record in a plain archive"
                                    : "a key record that is not the archive's first";
        return ADBK_OK;
    }
    s->enc = true;
    if (!s->nids)
        return no_keys(s);
    if (!crypto_ready())
        return err_set(s->err, ADBK_E_IO, "%s: libsodium cannot start", s->name);
    uint16_t count;
    size_t mac_at;
    bool found;
    unsigned f = key_record_open(body, blen, s->ids, s->nids, &count, &mac_at, &found,
                                 s->file_key);
    if (f) {
        snprintf(s->key_why, sizeof s->key_why, "at byte %llu is malformed (%s)",
                 (unsigned long long)off, key_record_fault(f));
        *why = "a malformed key record";
        return ADBK_OK;
    }
    if (!found)
        return err_set(s->err, ADBK_E_KEY, "%s is encrypted to %u recipient%s, and none of the "
                       "%zu key%s given opens it", s->name, count, count == 1 ? "" : "s",
                       s->nids, s->nids == 1 ? "" : "s");
    *out = FR_OK;
    bool ok = false;
    if (s->hdr_ok) {
        ok = key_record_keys(s->file_key, s->archive_id, s->hdr_frame, s->hdr_len, body, mac_at,
                             &s->keys);
        if (!ok) {
            damage(s, off, 0, "the key record at byte %llu opens, but its header MAC fails: "
                   "the header or the key record was changed; the header is not used",
                   (unsigned long long)off);
            s->hdr_ok = false;
            s->chunk_size = 0;
        }
    }
    adbk_status st = ADBK_OK;
    if (!ok && (st = index_id(s, off + flen, &ok)) != ADBK_OK)
        return st;
    if (!ok)
        return err_set(s->err, ADBK_E_KEY, "%s: a key opens its key record, but its header "
                       "record is %s and no index record gives the Archive_Id its keys derive "
                       "from: nothing of the archive can be opened", s->name,
                       s->hdr_frame ? "changed (its MAC fails)" : "lost");
    if (!(s->stanzas = malloc(mac_at)))
        return nomem(s, "the key record");
    memcpy(s->stanzas, body, mac_at);
    s->stanzas_len = mac_at;
    s->keyed = true;
    return ADBK_OK;
}

/* Opens a sealed member, member-end or index record (13.5, 13.6) into
 * *pt (malloc'd, *ptlen bytes: the plain record's body); *number gets a
 * member record's number in clear. Sets *why, and *pt NULL, when it does
 * not open or its clear and sealed fields differ. */
static adbk_status unseal_record(struct salv *s, uint32_t type, const uint8_t *body, size_t blen,
                                 uint8_t **pt, size_t *ptlen, int64_t *number, const char **why)
{
    static const char auth[] = "it does not authenticate (changed, moved, or from another "
                               "archive)";
    *pt = NULL;
    *why = NULL;
    if (type == REC_IDX) {
        struct eidx_rec x;
        int r = eidx_open(&s->keys, body, blen, &x, pt, ptlen);
        if (r == EIDX_OPEN_NOMEM)
            return nomem(s, "the index");
        *why = r == EIDX_OPEN_AUTH ? auth : r ? "a malformed encrypted index" : NULL;
        return ADBK_OK;
    }
    struct sealed_rec sr;
    if (sealed_decode(type, body, blen, &sr) != 0 || sr.number > INT64_MAX) {
        *why = "a sealed record too short for its seal, or of an impossible member";
        return ADBK_OK;
    }
    size_t n = sr.sealed_len - SEAL_TAG;
    uint8_t *p = malloc(n ? n : 1);
    if (!p)
        return nomem(s, "a record");
    struct end_rec e;
    if (!sealed_open(&s->keys, type, body, &sr, p))
        *why = auth;
    else if (type == REC_MBR && n >= 8 && le_get64(p) != sr.number)
        *why = "its member numbers in clear and sealed differ";
    else if (type == REC_END && end_decode(p, n, &e) == 0 &&
             (e.number != sr.number || e.size != sr.size || e.chunk_count != sr.chunk_count))
        *why = "its fields in clear and sealed differ";
    if (*why) {
        free(p);
        return ADBK_OK;
    }
    *pt = p;
    *ptlen = n;
    *number = (int64_t)sr.number;
    return ADBK_OK;
}

/* Takes an intact record of a known type: its frame f (flen bytes) and
 * body. In an encrypted archive its sealed part is opened first; *out
 * stays FR_BAD, with *why, when it does not open. */
static adbk_status record_take(struct salv *s, uint64_t off, uint32_t type, const uint8_t *f,
                               size_t flen, const uint8_t *body, size_t blen, enum fr *out,
                               const char **why)
{
    s->any_record = true;
    if (type == REC_KEY)
        return rec_key(s, off, flen, body, blen, out, why);
    uint8_t *pt = NULL;
    int64_t number = -1;
    if (s->enc && type != REC_HDR) {
        if (!s->keyed)
            return no_keys(s);
        size_t ptlen;
        adbk_status st = unseal_record(s, type, body, blen, &pt, &ptlen, &number, why);
        if (st != ADBK_OK || !pt)
            return st;
        body = pt;
        blen = ptlen;
    }
    *out = FR_OK;
    unsigned lost = s->lost_records;
    s->lost_records = 0;
    adbk_status st;
    if (type == REC_HDR) {
        st = rec_header(s, off, f, flen, body, blen);
    } else if (type == REC_MBR) {
        st = rec_member(s, off, body, blen, number);
    } else if (type == REC_END) {
        /* Two lost records before it: the open member's end and this
         * member's own record. (Encrypted, every record names its member:
         * rec_end tells.) */
        if (lost > 1 && !s->enc)
            member_close(s, true);
        st = rec_end(s, off, body, blen);
    } else {
        member_close(s, true);
        st = rec_index(s, off, body, blen);
    }
    free(pt);
    return st;
}

/* Looks at the chunk record of total bytes at off; as scan_frame. */
static adbk_status scan_chunk_record(struct salv *s, uint64_t off, uint64_t end, enum fr *out,
                                     const char **why)
{
    uint64_t total;
    const uint8_t *body;
    size_t blen;
    adbk_status st;
    *why = chunk_record_load(s, off, end, &total, &body, &blen, &st);
    if (st != ADBK_OK || *why)
        return st;
    s->any_record = true;
    if (!s->enc && s->hdr_ok) {
        *why = "a chunk record (format 2.0) in a plain archive";
        return ADBK_OK;
    }
    s->enc = true; /* the header is lost: a chunk record says what it was */
    if (!s->keyed)
        return no_keys(s);
    struct sealed_rec sr;
    const uint8_t *z;
    size_t zlen;
    uint64_t fcs;
    if ((*why = chunk_record_open(s, body, blen, &sr, &z, &zlen, &fcs)) != NULL)
        return ADBK_OK;
    if ((*why = zframe_decode(s, z, zlen, fcs, &st)) != NULL || st != ADBK_OK)
        return st;
    *out = FR_OK;
    return chunk_good(s, off, total, fcs, &sr);
}

/* Looks at the record at off, whose first hn bytes are h; as scan_frame. */
static adbk_status scan_record(struct salv *s, uint64_t off, const uint8_t *h, size_t hn,
                               uint64_t avail, enum fr *out, uint64_t *extent, const char **why,
                               bool *is_chunk)
{
    struct rec_head rh;
    (void)rec_head_decode(h, hn, &rh);
    uint64_t total = SKIPPABLE_HEADER + (uint64_t)rh.frame_size;
    *is_chunk = hn >= REC_HEAD && rh.type == REC_CHK;
    uint64_t cap = rh.type == REC_IDX ? INDEX_REC_MAX
                   : *is_chunk       ? chunk_record_max(s)
                                     : SMALL_REC_MAX;
    *extent = total;
    if (hn < REC_HEAD || total < REC_FRAME_MIN || total > cap) {
        *why = "a record with an impossible size";
        return ADBK_OK;
    }
    if (total > avail) {
        *why = "a record that runs past the end of the file";
        return ADBK_OK;
    }
    if (*is_chunk) {
        adbk_status st = scan_chunk_record(s, off, off + avail, out, why);
        *is_chunk = s->enc; /* in a plain archive, a record of another version */
        return st;
    }
    uint8_t *f;
    const uint8_t *body;
    size_t blen;
    bool whole;
    adbk_status st = record_read(s, off, total, 0, &f, &body, &blen, &whole);
    if (whole) {
        if (rec_head_decode(f, (size_t)total, &rh) & RH_TYPE)
            *why = "a record of an unknown type";
        else
            st = record_take(s, off, rh.type, f, (size_t)total, body, blen, out, why);
    } else if (st == ADBK_OK) {
        *why = "a record that fails its checksum";
    }
    free(f);
    return st;
}

/* Looks at the chunk frame at off; as scan_frame. */
static adbk_status scan_chunk(struct salv *s, uint64_t off, uint64_t end, enum fr *out,
                              uint64_t *extent, const char **why)
{
    size_t csize;
    uint64_t fcs;
    adbk_status st;
    if (s->enc) {
        *why = "a chunk frame in clear, which an encrypted archive never holds";
        return ADBK_OK;
    }
    *why = zframe_read(s, off, end, &csize, &fcs, &st);
    if (st != ADBK_OK || *why)
        return st;
    *extent = csize;
    *why = zframe_decode(s, s->in, csize, fcs, &st);
    if (st != ADBK_OK || *why)
        return st;
    *out = FR_OK;
    return chunk_good(s, off, csize, fcs, NULL);
}

/* Looks at the frame at off. On FR_BAD, *extent is the frame's own idea of
 * its length (0 when it has none), *why says what is wrong and *is_chunk
 * whether it is a chunk frame (encrypted: a chunk record). */
static adbk_status scan_frame(struct salv *s, uint64_t off, uint64_t end, enum fr *out,
                              uint64_t *extent, const char **why, bool *is_chunk)
{
    *out = FR_BAD;
    *extent = 0;
    *is_chunk = false;
    uint64_t avail = end - off;
    uint8_t h[REC_HEAD];
    if (avail < SKIPPABLE_HEADER) {
        *why = "the file ends inside a frame";
        return ADBK_OK;
    }
    size_t hn = avail < sizeof h ? (size_t)avail : sizeof h;
    adbk_status st = rd(s, off, h, hn);
    if (st != ADBK_OK)
        return st;
    uint32_t magic = frame_magic(h, hn);
    if (magic == REC_MAGIC)
        return scan_record(s, off, h, hn, avail, out, extent, why, is_chunk);
    if (magic == SEEK_MAGIC) {
        struct seek_head sh;
        (void)seek_head_decode(h, &sh);
        uint64_t total = SKIPPABLE_HEADER + (uint64_t)sh.frame_size;
        *extent = total;
        if (total == avail && total >= seek_table_size(0)) {
            *out = FR_END;
            return ADBK_OK;
        }
        *why = "a seek table that does not end the file";
        return ADBK_OK;
    }
    if (magic == ZSTD_MAGIC) {
        *is_chunk = true;
        return scan_chunk(s, off, end, out, extent, why);
    }
    *why = "no frame starts here";
    return ADBK_OK;
}

static adbk_status scan(struct salv *s)
{
    uint64_t off = 0;
    uint64_t end = s->seek_ok ? s->seek_off : s->src->size;
    adbk_status st = ADBK_OK;
    while (off < end && st == ADBK_OK) {
        if (s->cb && s->cb->progress && s->cb->progress(s->cb->ctx, off, s->src->size))
            return err_set(s->err, ADBK_E_ABORTED, "%s: salvage stopped at byte %llu", s->name,
                           (unsigned long long)off);
        struct seek_entry sk = {0};
        bool at = false;
        if (s->seek_ok) {
            if ((st = seek_sync(s, off, &at, &sk)) != ADBK_OK)
                return st;
            if (!at) {
                damage(s, off, 0, "the seek table has no frame at byte %llu; it is not used "
                       "from here on", (unsigned long long)off);
                s->seek_ok = false;
            }
        }
        enum fr r;
        uint64_t ext;
        const char *why = NULL;
        bool is_chunk;
        if ((st = scan_frame(s, off, end, &r, &ext, &why, &is_chunk)) != ADBK_OK)
            return st;
        if (r == FR_END)
            break;
        if (r == FR_OK) {
            off += ext;
            continue;
        }
        /* The frame at off is unusable: find where the next one starts. */
        /* A chunk record's seek-table entry is a record's (13.5): its own
         * head says what it is. */
        const char *kind = is_chunk ? (s->enc ? "chunk record" : "chunk frame")
                                    : (s->enc ? "record" : "frame");
        if (s->seek_ok && at) {
            bool record = s->enc ? !is_chunk
                                 : sk.dsize == 0 && sk.checksum == EMPTY_XXH64_LOW32;
            damage(s, off, sk.csize, "%s at byte %llu (%u bytes, per the seek table): %s",
                   record ? "record" : s->enc ? kind : "chunk frame", (unsigned long long)off,
                   sk.csize, why);
            if (record)
                s->lost_records++;
            else if ((st = chunk_lost(s, off, sk.csize, true, sk.dsize)) != ADBK_OK) {
                return st;
            }
            off += sk.csize;
            continue;
        }
        bool next_ok = false;
        if (ext && ext <= end - off && (st = magic_at(s, off + ext, end, &next_ok)) != ADBK_OK)
            return st;
        if (ext && next_ok) {
            damage(s, off, ext, "%s at byte %llu (%llu bytes): %s", kind,
                   (unsigned long long)off, (unsigned long long)ext, why);
            if (is_chunk) {
                if ((st = chunk_lost(s, off, ext, false, 0)) != ADBK_OK)
                    return st;
            } else {
                s->lost_records++;
            }
            off += ext;
            continue;
        }
        uint64_t next;
        if ((st = resync(s, off + 1, end, &next)) != ADBK_OK)
            return st;
        damage(s, off, next - off, "bytes %llu..%llu are unusable (%s)%s",
               (unsigned long long)off, (unsigned long long)(next - 1), why,
               next == end ? ", to the end of the file" : "");
        if ((st = region_unknown(s, off, next)) != ADBK_OK)
            return st;
        off = next;
    }
    member_close(s, false);
    return st;
}

/* ------------------------------------------------------------ placement */

static const struct ientry *index_entry(const struct salv *s, const struct smember *m)
{
    if (!s->idx_ok || m->number < 0 || (uint64_t)m->number >= s->nient)
        return NULL;
    const struct ientry *e = &s->ient[m->number];
    if (m->have_rec && strcmp(e->name, m->name) != 0)
        return NULL;
    return e;
}

/* Places a run of an encrypted archive's chunks where their Chunk_Index
 * says: exactly, whatever was lost before it, provided every chunk but its
 * last is full (else the bytes would not lie where the indexes say). */
static void place_by_index(const struct salv *s, struct seg *g)
{
    uint64_t cs = s->chunk_size;
    if (!cs || !g->idx_known || !g->chunks || g->last_dsize > cs ||
        g->chunks - 1 > (UINT64_MAX - cs) / cs || g->len != (g->chunks - 1) * cs + g->last_dsize ||
        g->first_index > ((uint64_t)INT64_MAX - g->len) / cs)
        return;
    g->pos = g->first_index * cs;
    g->placed = true;
}

static void place(struct salv *s, struct smember *m)
{
    uint64_t cs = s->chunk_size;
    const struct ientry *ie = index_entry(s, m);
    if (!m->have_meta && ie) {
        m->name = strdup(ie->name);
        m->source_path = strdup(ie->source_path);
        if (m->name && m->source_path) {
            m->have_meta = true;
            m->kind = ie->kind;
            m->bft = ie->bft;
            m->flags = ie->flags;
            m->mtime_sec = ie->mtime_sec;
            m->mtime_nsec = ie->mtime_nsec;
            m->mode = ie->mode;
            m->ex = ie->ex; /* the index keeps its block until the end */
        }
    }
    if (m->have_end) {
        m->size_known = true;
        m->size = m->end_size;
    } else if (ie) {
        m->size_known = true;
        m->size = ie->size;
    }
    /* Forward from offset 0. (Encrypted: by the chunks' indexes alone.) */
    uint64_t pos = 0;
    bool known = !s->enc;
    for (size_t i = 0; i < m->nsegs && s->enc; i++)
        if (m->segs[i].kind == SEG_DATA)
            place_by_index(s, &m->segs[i]);
    for (size_t i = 0; i < m->nsegs; i++) {
        struct seg *g = &m->segs[i];
        if (!known)
            break;
        g->pos = pos;
        if (g->kind == SEG_DATA) {
            g->placed = true;
            pos += g->len;
        } else if (g->kind == SEG_LOST) {
            if (g->len_known)
                pos += g->len;
            else if (i + 1 < m->nsegs && cs)
                pos += g->chunks * cs;
            else
                known = false;
        } else {
            known = false;
        }
    }
    /* Backward from the size. */
    if (m->size_known && !s->enc) {
        pos = m->size;
        for (size_t i = m->nsegs; i-- > 0;) {
            struct seg *g = &m->segs[i];
            if (g->placed)
                break;
            if (g->kind == SEG_DATA) {
                if (g->len > pos)
                    break;
                pos -= g->len;
                g->pos = pos;
                g->placed = true;
            } else if (g->kind == SEG_LOST) {
                uint64_t len;
                if (g->len_known)
                    len = g->len;
                else if (i + 1 < m->nsegs && cs)
                    len = g->chunks * cs;
                else if (m->have_end && cs && m->end_chunks >= 1 &&
                         m->size > (m->end_chunks - 1) * cs)
                    len = (g->chunks - 1) * cs + (m->size - (m->end_chunks - 1) * cs);
                else
                    break;
                if (len > pos)
                    break;
                pos -= len;
            } else {
                break;
            }
        }
    } else if (!m->size_known) {
        /* No record gives the size: the content ended with the member's last
         * chunk if that chunk was short (only a member's last chunk is), or
         * if the frame after it is known to be a record. */
        struct seg *last = NULL;
        for (size_t i = m->nsegs; i-- > 0 && !last;)
            if (m->segs[i].kind == SEG_DATA)
                last = &m->segs[i];
        bool at_end = last && last == &m->segs[m->nsegs - 1];
        if (last && last->placed && ((cs && last->last_dsize < cs) || (at_end && m->closed_exact))) {
            m->size_known = true;
            m->size = last->pos + last->len;
        } else if (!m->nsegs && m->closed_exact && m->have_rec) {
            m->size_known = true;
            m->size = 0;
        }
    }
    /* A placement that contradicts the size means the member's frames are
     * not what they seem: trust none of the positions. */
    for (size_t i = 0; i < m->nsegs; i++) {
        struct seg *g = &m->segs[i];
        if (g->kind == SEG_DATA && g->placed && m->size_known && g->pos + g->len > m->size) {
            for (size_t k = 0; k < m->nsegs; k++)
                m->segs[k].placed = false;
            snprintf(m->note, sizeof m->note, "its chunks do not fit its recorded size");
            break;
        }
    }
    /* Complete: everything there, in order, and the content hash agrees. */
    bool all = m->contiguous && m->size_known;
    uint64_t have = 0;
    for (size_t i = 0; i < m->nsegs && all; i++) {
        /* (Encrypted, contiguous already says that no chunk is missing
         * between them: what else was lost there was no chunk of it.) */
        if (m->segs[i].kind != SEG_DATA && s->enc)
            continue;
        if (m->segs[i].kind != SEG_DATA || !m->segs[i].placed)
            all = false;
        else
            have += m->segs[i].len;
    }
    const uint8_t *want = m->have_end ? m->end_hash : ie ? ie->hash : NULL;
    if (!m->have_meta)
        snprintf(m->note, sizeof m->note, "its member record is lost and no index names it");
    else if (m->kind == ADBK_KIND_DIRECTORY && (m->chunks_seen || (m->size_known && m->size)))
        snprintf(m->note, sizeof m->note, "it is a directory and has content; its intact "
                 "bytes are kept under " LOST_FOUND);
    else if (m->kind == ADBK_KIND_DIRECTORY && m->have_rec)
        m->complete = true; /* a folder has no content to lose */
    else if (!all || have != m->size)
        snprintf(m->note, sizeof m->note, "%s", m->note[0] ? m->note : "content is missing");
    else if (!want)
        snprintf(m->note, sizeof m->note, "its member-end record and the index are lost, so "
                 "its content hash cannot be checked");
    else if (memcmp(want, m->got_hash, 16) != 0)
        snprintf(m->note, sizeof m->note, "its content does not match its recorded hash");
    else if (m->have_end && m->end_chunks != m->chunks_seen)
        snprintf(m->note, sizeof m->note, "its chunk count differs from its member-end record");
    else
        m->complete = true;
}

/* ------------------------------------------------------------ naming */

static char *name_try(const char *base, const char *suffix)
{
    size_t n = strlen(LOST_FOUND) + strlen(base) + strlen(suffix) + 1;
    char *v = malloc(n);
    if (!v)
        return NULL;
    snprintf(v, n, "%s%s%s", LOST_FOUND, base, suffix);
    if (adbk_name_check(v, NULL) != ADBK_OK) {
        free(v);
        return NULL;
    }
    return v;
}

/* Makes *name unique among the output names: as it is, else with ".2",
 * ".3", ... appended. */
static adbk_status unique(struct salv *s, struct nameset *used, char **name)
{
    char *v = *name;
    for (unsigned k = 2;; k++) {
        adbk_status st = nameset_add(used, v, 0, NULL);
        if (st == ADBK_OK) {
            if (v != *name) {
                free(*name);
                *name = v;
            }
            return ADBK_OK;
        }
        if (v != *name)
            free(v);
        if (st != ADBK_E_EXISTS)
            return nomem(s, "member names");
        size_t n = strlen(*name) + 16;
        if (!(v = malloc(n)))
            return nomem(s, "member names");
        snprintf(v, n, "%s.%u", *name, k);
        if (adbk_name_check(v, NULL) != ADBK_OK) {
            free(v);
            return err_set(s->err, ADBK_E_LIMIT, "%s: cannot give salvaged member \"%s\" a "
                           "unique name", s->name, *name);
        }
    }
}

static adbk_status name_outputs(struct salv *s, struct nameset *used)
{
    for (size_t i = 0; i < s->nm; i++) {
        struct smember *m = &s->m[i];
        char fallback[64];
        if (m->number >= 0)
            snprintf(fallback, sizeof fallback, "member-%lld", (long long)m->number);
        else
            snprintf(fallback, sizeof fallback, "unknown-at-archive-byte-%llu",
                     (unsigned long long)m->arch_off);
        bool named = m->have_meta && adbk_name_check(m->name, NULL) == ADBK_OK;
        if (m->complete) {
            m->out_name = named ? strdup(m->name) : name_try(fallback, "");
            if (!m->out_name)
                return nomem(s, "member names");
            if (!named)
                snprintf(m->note, sizeof m->note, "its name cannot be stored; kept whole as %s",
                         m->out_name);
            adbk_status st = unique(s, used, &m->out_name);
            if (st != ADBK_OK)
                return st;
            continue;
        }
        for (size_t k = 0; k < m->nsegs; k++) {
            struct seg *g = &m->segs[k];
            if (g->kind != SEG_DATA)
                continue;
            char suffix[96];
            if (g->placed)
                snprintf(suffix, sizeof suffix, ".bytes-%llu-%llu", (unsigned long long)g->pos,
                         (unsigned long long)(g->pos + g->len - 1));
            else
                snprintf(suffix, sizeof suffix, ".unplaced-at-archive-byte-%llu",
                         (unsigned long long)g->arch_off);
            g->out_name = named ? name_try(m->name, suffix) : NULL;
            if (!g->out_name)
                g->out_name = name_try(fallback, suffix);
            if (!g->out_name)
                return nomem(s, "member names");
            adbk_status st = unique(s, used, &g->out_name);
            if (st != ADBK_OK)
                return st;
        }
    }
    return ADBK_OK;
}

/* ------------------------------------------------------------ pass 2 */

/* Reads the chunk at off again (a chunk frame, or in an encrypted archive
 * a chunk record opened), never past end: its csize archive bytes, its
 * content (fcs bytes) in s->out. NULL, or why it is unusable now. */
static const char *chunk_again(struct salv *s, uint64_t off, uint64_t end, uint64_t *csize,
                               uint64_t *fcs, adbk_status *st)
{
    const uint8_t *z = s->in;
    size_t zlen;
    const char *why;
    if (s->enc) {
        const uint8_t *body;
        size_t blen;
        struct sealed_rec sr;
        why = chunk_record_load(s, off, end, csize, &body, &blen, st);
        if (!why && *st == ADBK_OK)
            why = chunk_record_open(s, body, blen, &sr, &z, &zlen, fcs);
    } else {
        why = zframe_read(s, off, end, &zlen, fcs, st);
        *csize = zlen;
    }
    if (!why && *st == ADBK_OK)
        why = zframe_decode(s, z, zlen, *fcs, st);
    return why;
}

/* Decompresses the chunk frames of one segment again and writes them. */
static adbk_status copy_seg(struct salv *s, struct adbk_writer *w, const struct seg *g)
{
    uint64_t off = g->arch_off, chunks = 0, bytes = 0;
    while (off < g->arch_end) {
        uint64_t csize, fcs;
        adbk_status st;
        const char *why = chunk_again(s, off, g->arch_end, &csize, &fcs, &st);
        if (st != ADBK_OK)
            return st;
        if (why)
            return err_set(s->err, ADBK_E_IO, "%s: the chunk frame at byte %llu was intact and "
                           "now is not (%s): did the file change during salvage?", s->name,
                           (unsigned long long)off, why);
        if ((st = adbk_writer_write(w, s->out, (size_t)fcs, s->err)) != ADBK_OK)
            return st;
        off += csize;
        chunks++;
        bytes += fcs;
        if (s->cb && s->cb->progress && s->cb->progress(s->cb->ctx, off, s->src->size))
            return err_set(s->err, ADBK_E_ABORTED, "%s: salvage stopped", s->name);
    }
    if (chunks != g->chunks || bytes != g->len)
        return err_set(s->err, ADBK_E_IO, "%s: bytes %llu..%llu changed during salvage", s->name,
                       (unsigned long long)g->arch_off, (unsigned long long)(g->arch_end - 1));
    return ADBK_OK;
}

/* Writes one member (whole, or only the segment only). *skipped is set,
 * and ADBK_OK returned, when the writer refuses the member before taking
 * any of it (its metadata): the rest of the archive is still written. */
static adbk_status write_member(struct salv *s, struct adbk_writer *w, const struct smember *m,
                                const char *name, bool whole, const struct seg *only,
                                bool *skipped)
{
    struct adbk_member_info mi = {
        .name = name, .source_path = m->source_path,
        .kind = whole ? m->kind : ADBK_KIND_FILE, .bft = whole ? m->bft : 0,
        .flags = m->flags & (whole ? ~0u : (ADBK_HAS_MTIME | ADBK_HAS_MODE)),
        .expected_size = m->expected_size, .mtime_sec = m->mtime_sec,
        .mtime_nsec = m->mtime_nsec, .mode = m->mode, .uid = m->ex.uid, .gid = m->ex.gid,
        .user = m->ex.user, .group = m->ex.group, .xattrs = m->ex.xattrs,
        .xattr_count = m->ex.xattr_count};
    struct adbk_error why = {0};
    *skipped = false;
    adbk_status st = adbk_writer_begin_member(w, &mi, &why);
    if (st == ADBK_E_ARG || st == ADBK_E_STATE) {
        *skipped = true;
        damage(s, whole ? m->arch_off : only->arch_off, 0, "member \"%s\" is skipped: the "
               "writer refuses it (%s)", name, why.message);
        return ADBK_OK;
    }
    if (st != ADBK_OK) {
        *s->err = why;
        return st;
    }
    for (size_t k = 0; k < m->nsegs && st == ADBK_OK; k++)
        if (m->segs[k].kind == SEG_DATA && (whole || &m->segs[k] == only))
            st = copy_seg(s, w, &m->segs[k]);
    if (st == ADBK_OK)
        st = adbk_writer_end_member(w, s->err);
    return st;
}

static adbk_status write_all(struct salv *s, const struct adbk_sink *sink,
                             const struct adbk_salvage_options *o)
{
    /* Created from the header, else from the index: a backup must not look
     * younger than it is (FORMAT.md 7, tombstone lifetime; 13.6 Not_After). */
    struct adbk_writer_options wo = {
        .level = o && o->level ? o->level : 3, .threads = o ? o->threads : 0, .in_caller = o && o->in_caller,
        .chunk_size = s->chunk_size ? s->chunk_size : ADBK_CHUNK_DEFAULT,
        .has_created = s->hdr_ok || s->idx_ok, .created_sec = s->hdr_ok ? s->created : s->idx_created,
        .sign_key = o ? o->sign_key : NULL};
    struct adbk_writer *w;
    /* An encrypted archive is repaired under its own File_Key, for the same
     * recipients (its stanzas as they were), with a new Archive_Id (13.7). */
    adbk_status st = s->keyed ? writer_open_keyed(sink, &wo, s->file_key, s->stanzas,
                                                  s->stanzas_len, &w, s->err)
                              : adbk_writer_open(sink, &wo, &w, s->err);
    if (st != ADBK_OK)
        return st;
    writer_allow_reserved_kinds(w); /* a later minor version's kind is kept as it is */
    for (size_t i = 0; i < s->nprops && st == ADBK_OK && s->idx_ok; i++)
        if (s->pkeys[i] && s->pvals[i] && strncmp(s->pkeys[i], "salvage.", 8) != 0)
            (void)adbk_writer_set_property(w, s->pkeys[i], s->pvals[i], NULL);
    for (size_t i = 0; i < s->nm && st == ADBK_OK; i++) {
        struct smember *m = &s->m[i];
        bool skipped = false;
        if (m->complete) {
            st = write_member(s, w, m, m->out_name, true, NULL, &skipped);
            if (st == ADBK_OK && skipped) {
                /* Not stored whole after all: report it incomplete, its
                 * bytes kept (if the writer takes them) as a piece. */
                m->complete = false;
                s->res->complete--;
                s->res->incomplete++;
                snprintf(m->note, sizeof m->note, "the repaired archive cannot hold it as it is");
                for (size_t k = 0; k < m->nsegs && st == ADBK_OK; k++) {
                    struct seg *g = &m->segs[k];
                    if (g->kind != SEG_DATA)
                        continue;
                    size_t n = strlen(m->out_name) + 64;
                    if (!(g->out_name = malloc(n)))
                        return nomem(s, "member names");
                    snprintf(g->out_name, n, LOST_FOUND "member-%lld.bytes-%llu-%llu",
                             (long long)m->number, (unsigned long long)g->pos,
                             (unsigned long long)(g->pos + g->len - 1));
                }
                free(m->out_name);
                m->out_name = NULL;
            } else {
                continue;
            }
        }
        for (size_t k = 0; k < m->nsegs && st == ADBK_OK; k++)
            if (m->segs[k].kind == SEG_DATA && m->segs[k].out_name) {
                st = write_member(s, w, m, m->segs[k].out_name, false, &m->segs[k], &skipped);
                if (st == ADBK_OK && skipped) {
                    free(m->segs[k].out_name);
                    m->segs[k].out_name = NULL;
                }
            }
    }
    /* Last, so that it counts the members the writer refused too. */
    char result[200], from[33] = "unknown";
    if (s->res->incomplete)
        snprintf(result, sizeof result, "incomplete: %llu of %llu members damaged; their intact "
                 "byte ranges are under " LOST_FOUND, (unsigned long long)s->res->incomplete,
                 (unsigned long long)s->res->members);
    else
        snprintf(result, sizeof result, "complete: all %llu members recovered",
                 (unsigned long long)s->res->members);
    if (s->hdr_ok || s->keyed)
        for (int i = 0; i < 16; i++)
            snprintf(from + 2 * i, 3, "%02x", s->archive_id[i]);
    if (st == ADBK_OK)
        st = adbk_writer_set_property(w, "salvage.result", result, s->err);
    if (st == ADBK_OK)
        st = adbk_writer_set_property(w, "salvage.from", from, s->err);
    if (st == ADBK_OK)
        st = adbk_writer_finish(w, s->err);
    adbk_writer_free(w);
    return st;
}

/* ------------------------------------------------------------ report */

static adbk_status report(struct salv *s)
{
    for (size_t i = 0; i < s->nm; i++) {
        struct smember *m = &s->m[i];
        size_t nd = 0;
        for (size_t k = 0; k < m->nsegs; k++)
            nd += m->segs[k].kind == SEG_DATA;
        struct adbk_salvage_piece *pc = calloc(nd + 1, sizeof *pc);
        struct adbk_salvage_range *lost = calloc(nd + 2, sizeof *lost);
        if (!pc || !lost) {
            free(pc);
            free(lost);
            return nomem(s, "the report");
        }
        uint64_t recovered = 0, covered = 0;
        size_t np = 0, nl = 0;
        for (size_t k = 0; k < m->nsegs; k++) {
            const struct seg *g = &m->segs[k];
            if (g->kind != SEG_DATA || (!m->complete && !g->out_name))
                continue; /* a piece the writer refused is reported as damage */
            recovered += g->len;
            if (m->complete)
                continue;
            pc[np++] = (struct adbk_salvage_piece){
                .offset = g->placed ? g->pos : ADBK_SALVAGE_UNPLACED, .length = g->len,
                .archive_offset = g->arch_off, .output_name = g->out_name};
        }
        if (!m->complete) {
            /* Lost = what the placed pieces do not cover. Segments are in
             * content order, so the placed ones are sorted. */
            for (size_t k = 0; k < m->nsegs; k++) {
                const struct seg *g = &m->segs[k];
                if (g->kind != SEG_DATA || !g->placed)
                    continue;
                if (g->pos > covered)
                    lost[nl++] = (struct adbk_salvage_range){covered, g->pos - covered};
                covered = g->pos + g->len;
            }
            if (m->size_known && m->size > covered)
                lost[nl++] = (struct adbk_salvage_range){covered, m->size - covered};
            else if (!m->size_known)
                lost[nl++] = (struct adbk_salvage_range){covered, ADBK_SALVAGE_TO_END};
            for (size_t k = 0; k < nl; k++) {
                if (lost[k].length == ADBK_SALVAGE_TO_END)
                    s->res->lost_unknown_end = 1;
                else
                    s->res->bytes_lost += lost[k].length;
            }
        }
        s->res->bytes_recovered += recovered;
        s->res->pieces += np;
        if (s->cb && s->cb->member) {
            struct adbk_salvage_member r = {
                .number = m->number, .name = m->have_meta ? m->name : NULL,
                .kind = m->have_meta ? m->kind : 0, .archive_offset = m->arch_off,
                .complete = m->complete, .output_name = m->out_name,
                .size_known = m->size_known, .size = m->size, .recovered_bytes = recovered,
                .pieces = pc, .piece_count = np, .lost = lost, .lost_count = nl,
                .note = m->note[0] ? m->note : NULL};
            s->cb->member(s->cb->ctx, &r);
        }
        free(pc);
        free(lost);
    }
    return ADBK_OK;
}

/* ------------------------------------------------------------ entry */

static void salv_free(struct salv *s)
{
    for (size_t i = 0; i < s->nm; i++) {
        struct smember *m = &s->m[i];
        free(m->ex_block);
        for (size_t k = 0; k < m->nsegs; k++)
            free(m->segs[k].out_name);
        free(m->segs);
        free(m->name);
        free(m->source_path);
        free(m->out_name);
    }
    free(s->m);
    drop_index(s);
    crypto_wipe(&s->keys, sizeof s->keys);
    crypto_wipe(s->file_key, sizeof s->file_key);
    free(s->stanzas);
    free(s->hdr_frame);
    free(s->skbuf);
    free(s->in);
    free(s->out);
    free(s->win);
    ZSTD_freeDCtx(s->dctx);
    XXH3_freeState(s->hash);
}

adbk_status adbk_salvage(const struct adbk_source *src, const struct adbk_sink *sink,
                         const struct adbk_salvage_options *options,
                         const struct adbk_salvage_callbacks *cb,
                         struct adbk_salvage_result *res, struct adbk_error *err)
{
    struct adbk_salvage_result local;
    if (!res)
        res = &local;
    memset(res, 0, sizeof *res);
    if (!src || !src->read_at)
        return err_set(err, ADBK_E_ARG, "adbk_salvage: no source");
    struct salv s = {.src = src, .name = src->name ? src->name : "archive", .cb = cb,
                     .res = res, .err = err, .cur = -1, .next_number = 0,
                     .next_data = src->next_data,
                     .ids = options ? options->identities : NULL,
                     .nids = options && options->identities ? options->identity_count : 0};
    adbk_status st = ADBK_OK;
    s.dctx = ZSTD_createDCtx();
    s.hash = XXH3_createState();
    s.win = malloc(SEARCH_WINDOW);
    if (!s.dctx || !s.hash || !s.win)
        st = nomem(&s, "salvage buffers");
    if (st == ADBK_OK)
        st = seek_load(&s);
    res->seek_table_ok = s.seek_ok;
    if (st == ADBK_OK)
        st = scan(&s);
    res->header_ok = s.hdr_ok;
    res->index_ok = s.idx_ok;
    res->encrypted = s.enc;
    if (st == ADBK_OK && s.enc && !s.keyed)
        st = no_keys(&s); /* its key record was never met */
    if (st == ADBK_OK && !s.any_record)
        st = err_set(err, ADBK_E_NOT_ADBK, "%s: not one intact adbk record found; it is not an "
                     "adbk archive, or nothing of it is left", s.name);
    if (st == ADBK_OK && !s.chunk_size && s.chunk_max_seen >= ADBK_CHUNK_MIN)
        s.chunk_size = s.chunk_max_seen; /* every chunk but a member's last is this big */
    res->chunk_size = s.chunk_size;
    struct nameset used = {0};
    if (st == ADBK_OK) {
        for (size_t i = 0; i < s.nm; i++) {
            place(&s, &s.m[i]);
            res->members++;
            if (s.m[i].complete)
                res->complete++;
            else
                res->incomplete++;
        }
        st = name_outputs(&s, &used);
    }
    if (st == ADBK_OK && sink)
        st = write_all(&s, sink, options);
    if (st == ADBK_OK)
        st = report(&s);
    nameset_free(&used);
    salv_free(&s);
    return st;
}
