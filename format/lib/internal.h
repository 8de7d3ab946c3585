/*
 * internal.h - what the container library's files share and nobody else sees:
 * byte-order helpers, the record layout constants of FORMAT.md, error helpers,
 * the growable byte buffer and the worker pool.
 */
#ifndef ADBK_INTERNAL_H
#define ADBK_INTERNAL_H

#include "adbk_format.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------ constants */

#define REC_MAGIC 0x184D2A5Au          /* adbk record (skippable frame) */
#define SEEK_MAGIC 0x184D2A5Eu         /* seek table (skippable frame) */
#define SEEKABLE_FOOTER_MAGIC 0x8F92EAB1u
#define SEEK_DESCRIPTOR 0x80u          /* checksum flag only */
#define SEEK_FOOTER_SIZE 9u
#define SEEK_ENTRY_SIZE 12u
#define SKIPPABLE_HEADER 8u            /* magic + Frame_Size */
#define EMPTY_XXH64_LOW32 0x51D8E999u  /* low 32 bits of XXH64("") */

#define REC_HDR 0x52444841u /* "AHDR" read as LE u32 */
#define REC_MBR 0x52424D41u /* "AMBR" */
#define REC_END 0x444E4541u /* "AEND" */
#define REC_IDX 0x58444941u /* "AIDX" */

#define REC_MIN_PAYLOAD 12u            /* type + checksum */
#define REC_MAX_PAYLOAD (256u << 20)
#define NAME_MAX_BYTES 4095u
#define PROP_KEY_MAX 64u
#define PROP_VALUE_MAX 4096u

/* Body sizes of the fixed parts (FORMAT.md section 3). */
#define HDR_FIXED 36u
#define MBR_FIXED 36u
#define END_FIXED 40u
#define IDX_FIXED 48u
#define ENTRY_FIXED 88u

/* zstd cannot expand data more than this (RLE blocks): used to cap what a
 * hostile frame may ask us to allocate. */
#define ZSTD_MAX_EXPANSION 32768u
#define ZSTD_EXPANSION_SLACK 131072u

/* ------------------------------------------------------------ byte order */

static inline void le_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void le_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void le_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t le_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t le_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t le_get64(const uint8_t *p)
{
    return (uint64_t)le_get32(p) | (uint64_t)le_get32(p + 4) << 32;
}

/* ------------------------------------------------------------ errors */

/* The library's short name for adbk_error_set. */
#define err_set adbk_error_set

/* ------------------------------------------------------------ buffers */

/* A growable byte buffer for building records. */
struct bytebuf {
    uint8_t *p;
    size_t len, cap;
    bool failed; /* an allocation failed; every later put is a no-op */
};
void bb_reserve(struct bytebuf *b, size_t more);
void bb_put(struct bytebuf *b, const void *src, size_t n);
void bb_u8(struct bytebuf *b, uint8_t v);
void bb_u16(struct bytebuf *b, uint16_t v);
void bb_u32(struct bytebuf *b, uint32_t v);
void bb_u64(struct bytebuf *b, uint64_t v);
void bb_str16(struct bytebuf *b, const char *s); /* caller checked length <= 65535 */
void bb_free(struct bytebuf *b);

/* A bounds-checked cursor for decoding records. Any read past the end sets
 * `short_read` and yields zeros, so decoders check once at the end. */
struct cursor {
    const uint8_t *p;
    size_t len, pos;
    bool short_read;
};
uint8_t cur_u8(struct cursor *c);
uint16_t cur_u16(struct cursor *c);
uint32_t cur_u32(struct cursor *c);
uint64_t cur_u64(struct cursor *c);
void cur_bytes(struct cursor *c, void *dst, size_t n);
/* Returns a NUL-terminated copy (malloc) of a str16, or NULL on short read or
 * allocation failure (then *nomem is set). Embedded NULs are kept out: a str16
 * with a NUL byte is returned as is but *has_nul is set. */
char *cur_str16(struct cursor *c, bool *nomem, bool *has_nul);

/* ------------------------------------------------------------ records */

/* Builds a record frame around body: magic, size, type, body, checksum.
 * Returns a malloc'd frame in *out and *out_len, or ADBK_E_NOMEM / ADBK_E_LIMIT. */
adbk_status rec_build(uint32_t type, const uint8_t *body, size_t body_len, uint8_t **out,
                      size_t *out_len, struct adbk_error *err);

/* Checks a whole record frame in buf (len bytes): magic, Frame_Size == len-8,
 * checksum, type == want_type (0 = any). On success body/body_len point into
 * buf. what/offset name the place in messages. */
adbk_status rec_check(const uint8_t *buf, size_t len, uint32_t want_type, const uint8_t **body,
                      size_t *body_len, const char *what, uint64_t offset,
                      struct adbk_error *err);

const char *rec_type_name(uint32_t type);

/* ------------------------------------------------------------ misc */

/* Printable form of a name for messages: control bytes escaped. Writes into
 * out (cap bytes, always terminated). */
void name_printable(const char *name, char *out, size_t cap);

/* ------------------------------------------------------------ name sets */

/* A set of names (copied), for duplicate checks and lookups by name. */
struct nameset {
    struct nameset_slot { char *name; size_t value; } *slots;
    size_t cap, count;
};
/* Adds name with value. Returns ADBK_OK, ADBK_E_EXISTS (already there; *found
 * gets the existing value) or ADBK_E_NOMEM. */
adbk_status nameset_add(struct nameset *s, const char *name, size_t value, size_t *found);
/* Looks name up: true and *value when present. */
bool nameset_get(const struct nameset *s, const char *name, size_t *value);
void nameset_free(struct nameset *s);

/* ------------------------------------------------------------ pool */

/* A fixed set of worker threads running jobs in submission order (FIFO).
 * The caller bounds how many jobs are in flight, so submit never blocks for
 * space. Each job is told the index of the worker running it, so workers can
 * own per-thread state (a ZSTD context). */
struct pool;
typedef void (*pool_fn)(void *arg, unsigned worker);

struct pool_job {
    pool_fn fn;
    void *arg;
    struct pool_job *next;
    int done; /* read and written under the pool's lock */
};

/* Starts up to threads workers (at least one, or fails): pool_threads says
 * how many. Worker indexes passed to jobs are below that. threads 0 starts
 * none: pool_submit runs the job at once in the caller (worker index 0). */
adbk_status pool_create(unsigned threads, struct pool **out, struct adbk_error *err);
/* Queues job (borrowed until done). */
void pool_submit(struct pool *p, struct pool_job *job, pool_fn fn, void *arg);
/* Waits until job has run. */
void pool_wait(struct pool *p, struct pool_job *job);
/* Joins the workers after the queue drains. NULL ok. */
void pool_free(struct pool *p);
unsigned pool_threads(const struct pool *p);

/* ------------------------------------------------------------ ordered pipe */

/* The ordering half shared by the writer and the decoder: a ring of output
 * items handed to `emit` strictly in the order they were pushed, some of them
 * bound to a buffer slot whose pool job must finish first. Slots are reused
 * round-robin, so the next slot is always the oldest in flight; taking it
 * emits items up to it. Everything runs on the caller's thread except the
 * jobs themselves. */
struct opipe_item {
    int slot;       /* slot index, or -1 for an item with no job */
    uint32_t tag;   /* the user's item type */
    void *data;     /* the user's pointer */
};

struct opipe {
    struct pool *pool;
    struct pool_job *jobs;
    bool *busy;                 /* slot pushed and not yet emitted */
    unsigned nslots, next_slot;
    struct opipe_item *q;
    unsigned qcap, qhead, qlen;
    adbk_status (*emit)(void *ctx, const struct opipe_item *it, struct adbk_error *err);
    void *ctx;
};

adbk_status opipe_init(struct opipe *p, struct pool *pool, unsigned nslots,
                       adbk_status (*emit)(void *, const struct opipe_item *, struct adbk_error *),
                       void *ctx, struct adbk_error *err);
/* Next slot in round-robin order, emitting items until it is free. */
adbk_status opipe_take_slot(struct opipe *p, unsigned *slot_out, struct adbk_error *err);
/* Queues an item; with slot >= 0 also starts fn(arg) on the pool for it. */
adbk_status opipe_push(struct opipe *p, struct opipe_item it, pool_fn fn, void *arg,
                       struct adbk_error *err);
adbk_status opipe_drain(struct opipe *p, struct adbk_error *err);
/* Waits for running jobs, then hands every queued item to drop (may be NULL)
 * without emitting it, and frees the pipe's arrays. */
void opipe_destroy(struct opipe *p, void (*drop)(void *ctx, const struct opipe_item *it));

/* Lets the writer store the reserved kinds 9-255 (FORMAT.md 5) as they are:
 * salvage keeps a later minor version's kind instead of changing it. */
struct adbk_writer;
void writer_allow_reserved_kinds(struct adbk_writer *w);

#endif
