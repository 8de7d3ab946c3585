/*
 * reader_private.h - the reader handle, shared by reader.c (open, index),
 * decode.c (reading members) and verify.c (checking everything).
 */
#ifndef ADBK_READER_PRIVATE_H
#define ADBK_READER_PRIVATE_H

#include "crypto.h"
#include "extras.h"
#include "internal.h"
#include "records.h"

struct adbk_reader {
    const struct adbk_source *src;
    struct adbk_source *owned_src; /* opened by path: ours to close */
    unsigned threads;
    uint64_t memory; /* chunk buffers at most (adbk_reader_options) */
    struct adbk_archive_info info;
    char *tool;
    struct adbk_property *props;
    struct adbk_entry *entries;
    void **extras;        /* per entry: the block of its owner and attributes (extras.h) */
    size_t count;
    struct nameset names;
    uint64_t header_len;  /* bytes of the header record */
    uint64_t seek_offset; /* where the seek-table frame starts */

    /* The frames before the first member: the header record, and in 2.0
     * the key record (FORMAT.md 13.2); their bytes, kept for the signature's
     * Prefix_Digest. */
    uint64_t prefix_frames, prefix_len;
    uint8_t *prefix;
    /* Encrypted: opened with a key (the archive's own keys), or locked. */
    bool unlocked;
    struct archive_keys keys;
    /* Signed (12): each entry's Span_Digest; the keys trusted; why the
     * signature fails, when it does. */
    uint8_t (*digests)[DIGEST_SIZE];
    struct adbk_sign_public *trusted;
    size_t ntrusted;
    char sig_problem[300];

    /* Verifying a stream (verify.c, adbk_verify_stream): the reader of the
     * pass has no index; its entries are the members seen so far, named from
     * their member records, and stream[i] what was seen of member i. The
     * reader opened over the tail afterwards owns the bytes it was opened
     * from (drop, called at close). */
    bool streaming;
    struct stream_member *stream;
    /* The scan of the last member read (decode.c), kept with its threads,
     * decoders and buffers for the next one: reading many small members
     * then starts no threads per member. */
    struct scan *idle;
    void (*drop)(void *);
    void *drop_ctx;
};

/* What a stream's pass saw of one member, for the checks against the index
 * that arrives last (FORMAT.md 8): small and bounded per member. */
struct stream_member {
    uint64_t offset, first_frame, span; /* where its frames were */
    uint64_t span_hash;                 /* XXH3-64 of those bytes */
    uint64_t seek_hash;                 /* XXH3-64 of the seek-table entries rebuilt from them */
    uint64_t chunks;                    /* chunk frames seen */
    uint64_t content_size;              /* bytes they held (when decoded) */
    uint8_t content_hash[16];           /* XXH3-128 of them, canonical */
    bool decoded;                       /* content_size and content_hash are known */
    bool short_chunk;                   /* a chunk below Chunk_Size was seen */
    bool damaged;                       /* reported already: no more checks */
    bool ended;                         /* its member-end record was seen */
    uint8_t *mbr, *end;                 /* the record bodies as stored (NULL: unusable) */
    size_t mbr_len, end_len;
    uint8_t rec_digest[2][DIGEST_SIZE]; /* signed: the two records' Frame_Digests */
    uint8_t digest[DIGEST_SIZE];        /* signed: its Span_Digest as seen */
};

/* ------------------------------------------------------------ open (reader.c, unlock.c) */

/* Parses a plain index body (FORMAT.md 3.5) into the reader's entries and
 * properties; *end is where its entries end in the body. */
adbk_status rd_parse_plain_index(struct adbk_reader *r, const uint8_t *body, size_t blen,
                                 uint64_t index_offset, size_t *end, struct adbk_error *err);
/* The tiling rule (3.5) for entry i: its frames must start at *frame and
 * byte *off, which it moves past them. */
adbk_status rd_tile(struct adbk_reader *r, uint64_t i, const struct adbk_entry *e,
                    uint64_t *frame, uint64_t *off, struct adbk_error *err);
/* The rule that ties an entry's chunk count to its size (3.3). */
adbk_status rd_chunk_count_rule(struct adbk_reader *r, const struct adbk_entry *e,
                                const char *shown, struct adbk_error *err);

/* reader.c: the header record at the start of r->src (FORMAT.md 3.1). */
adbk_status rd_check_header(struct adbk_reader *r, struct adbk_error *err);
/* unlock.c: takes the checked key record frame f (klen bytes, body of blen)
 * as the prefix's second frame and, with identities, opens it (13.4). */
adbk_status rd_take_key_record(struct adbk_reader *r, const struct adbk_reader_options *o,
                               const uint8_t *f, uint64_t klen, size_t blen,
                               struct adbk_error *err);
/* unlock.c: the key record, opened with the options' identities (13.4) */
adbk_status rd_open_keys(struct adbk_reader *r, const struct adbk_reader_options *o,
                         struct adbk_error *err);
/* unlock.c: the encrypted index (13.6); *end is where its sealed index ends. */
adbk_status rd_parse_sealed_index(struct adbk_reader *r, const uint8_t *body, size_t blen,
                                  uint64_t index_offset, size_t *end, struct adbk_error *err);
/* unlock.c: the signature trailer (12) of the index body, which must start
 * at end; with trusted keys, ADBK_E_SIGNATURE unless one of them signed. */
adbk_status rd_check_signature(struct adbk_reader *r, const uint8_t *body, size_t blen,
                               size_t end, struct adbk_error *err);

/* Reads len bytes at off; names `what` in errors. A range past the end of the
 * file is ADBK_E_TRUNCATED. */
adbk_status rd_read(struct adbk_reader *r, uint64_t off, void *buf, size_t len, const char *what,
                    struct adbk_error *err);
/* Reads and checks a whole record frame of len bytes at off (rec_check);
 * *frame_out is malloc'd and holds body. Messages of a damaged record name
 * the archive first unless unnamed (a caller's message names it). */
adbk_status rd_record(struct adbk_reader *r, uint64_t off, uint64_t len, uint32_t type,
                      bool unnamed, uint8_t **frame_out, const uint8_t **body,
                      size_t *body_len, struct adbk_error *err);
/* Reads seek-table entries first .. first+count-1 (malloc'd array). */
adbk_status rd_seek_entries(struct adbk_reader *r, uint64_t first, uint64_t count,
                            struct seek_entry **out, struct adbk_error *err);

/* ------------------------------------------------------------ member scan */

/* Checks members one after another through one decoder, so chunks of
 * consecutive members decompress in parallel. Each finding goes to `damage`;
 * content goes to `out` in order. Shared by read_member and verify. */
struct scan;
struct scan_hooks {
    adbk_content_fn out;        /* may be NULL */
    void *out_ctx;
    /* Positional output (adbk_reader_write_member): each chunk's content is
     * written by the worker that decoded it, at its offset in the member, in
     * any order; `out` then sees every piece in order once written. NULL:
     * content goes to `out` only. */
    adbk_content_at_fn write_at;
    void *write_ctx;
    /* Compare every member's frames with its signed Span_Digest (12). */
    bool digests;
    /* Called per finding. Returns true to go on (verify), false to stop at
     * the first one (read_member). */
    bool (*damage)(void *ctx, const struct adbk_damage *d);
    /* Archive bytes read so far; nonzero stops with ADBK_E_ABORTED. May be NULL. */
    int (*progress)(void *ctx, uint64_t bytes_read);
    void *ctx;                  /* for damage and progress */
    /* Verify's fast pass (FORMAT.md §8, note on item 3): chunks decode
     * without computing zstd's Content_Checksum, and a member whose
     * Content_Hash or Span_Hash fails is not reported but passed here, for a
     * second, checked pass that names the damaged chunk. NULL: every chunk's
     * Content_Checksum is checked and every finding reported. */
    void (*recheck)(void *ctx, size_t member);
    /* The quick check (adbk_reader_verify_quick): chunks are checked as
     * stored (frame header, size, seek-table entry, the span hash) and
     * neither decrypted nor decompressed. */
    bool quick;
};

adbk_status scan_create(struct adbk_reader *r, const struct scan_hooks *hooks, struct scan **out,
                        struct adbk_error *err);
/* Reads member i's frames (seek-table entries `se`, chunk_count + 2 of them,
 * frame offsets from the entry's offset), checking its records against the
 * index at once and queueing its chunks; the content checks complete in
 * order as the decoder emits. *bytes_read counts archive bytes read. */
adbk_status scan_member(struct scan *s, size_t i, const struct seek_entry *se,
                        uint64_t *bytes_read, struct adbk_error *err);
/* Streaming (r->streaming): a chunk frame of member i, chunk k, at off.
 * scan_stream_slot gives a buffer of *cap bytes to read the frame into;
 * scan_stream_chunk queues it (csize bytes; dsize its declared content size,
 * 0 when sealed). The content checks complete as in scan_member, and each
 * member's results go to r->stream[i] at its end marker. */
adbk_status scan_stream_slot(struct scan *s, unsigned *slot, uint8_t **buf, size_t *cap,
                             struct adbk_error *err);
adbk_status scan_stream_chunk(struct scan *s, unsigned slot, size_t i, uint64_t k, uint64_t off,
                              size_t csize, uint32_t dsize, uint32_t checksum,
                              struct adbk_error *err);
/* Streaming: member i begins (its member record seen) or ends. */
adbk_status scan_stream_mark(struct scan *s, size_t i, bool end, struct adbk_error *err);
/* After a stream: what was seen of member i (m) against the index of the
 * reader opened over the tail. */
void scan_stream_check(struct adbk_reader *r, const struct scan_hooks *h, size_t i,
                       const struct stream_member *m);

/* Waits for everything queued. */
adbk_status scan_finish(struct scan *s, struct adbk_error *err);
uint64_t scan_content_bytes(const struct scan *s);
uint64_t scan_frames(const struct scan *s);
void scan_free(struct scan *s);

/* Formats a finding and passes it to the hooks; returns the hook's answer. */
bool scan_report(struct scan *s, adbk_status st, long member, int64_t chunk, uint64_t offset,
                 const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#endif
