/*
 * internal.h - what the container library's files share and nobody else sees:
 * limits, error helpers, name sets, file sources, the worker pool and the
 * ordered pipe. The on-disk structures are in records.h, chunk frames in
 * frame.h, bytes, buffers and cursors in bytes.h.
 */
#ifndef ADBK_INTERNAL_H
#define ADBK_INTERNAL_H

#include "adbk_format.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------ limits */

#define NAME_MAX_BYTES 4095u
#define PROP_KEY_MAX 64u
#define PROP_VALUE_MAX 4096u

/* zstd cannot expand data more than this (RLE blocks): used to cap what a
 * hostile frame may ask us to allocate. */
#define ZSTD_MAX_EXPANSION 32768u
#define ZSTD_EXPANSION_SLACK 131072u

/* ------------------------------------------------------------ errors */

/* The library's short name for adbk_error_set. */
#define err_set adbk_error_set

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
 * own per-thread state (a ZSTD context).
 *
 * A job may have an ordered stage: after its fn, its `ordered` runs, one job
 * at a time and in submission order among the jobs that have one, on a
 * worker thread - the one that finished the job whose turn it is, or the one
 * that ran the stage before it. No worker waits for its turn: whoever
 * completes a stage runs the next ones that are ready. So work that must see
 * every job's data in order (a running hash) leaves the caller's thread and
 * runs while the data is in a worker's cache. The job is done when both have
 * run. */
struct pool;
typedef void (*pool_fn)(void *arg, unsigned worker);

struct pool_job {
    pool_fn fn, ordered;
    void *arg;
    struct pool_job *next, *next_ordered;
    int done;  /* read and written under the pool's lock */
    int ready; /* fn has run and ordered has not (under the lock) */
};

/* Starts up to threads workers (at least one, or fails): pool_threads says
 * how many. Worker indexes passed to jobs are below that. threads 0 starts
 * none: pool_submit runs the job at once in the caller (worker index 0). */
adbk_status pool_create(unsigned threads, struct pool **out, struct adbk_error *err);
/* Queues job (borrowed until done): fn(arg), then, when ordered is not
 * NULL, ordered(arg) in its turn. */
void pool_submit(struct pool *p, struct pool_job *job, pool_fn fn, pool_fn ordered, void *arg);
/* Waits until job has run (both stages). */
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
 * jobs themselves (both their stages, see pool_submit). */
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
/* Queues an item; with slot >= 0 also starts fn(arg) on the pool for it,
 * and then ordered(arg) (may be NULL) in push order (pool_submit). */
adbk_status opipe_push(struct opipe *p, struct opipe_item it, pool_fn fn, pool_fn ordered,
                       void *arg, struct adbk_error *err);
adbk_status opipe_drain(struct opipe *p, struct adbk_error *err);
/* Waits for the job of slot, if one is in flight, without emitting. */
void opipe_wait_slot(struct opipe *p, unsigned slot);
/* Waits for running jobs, then hands every queued item to drop (may be NULL)
 * without emitting it, and frees the pipe's arrays. */
void opipe_destroy(struct opipe *p, void (*drop)(void *ctx, const struct opipe_item *it));

/* Lets the writer store the reserved kinds 9-255 (FORMAT.md 5) as they are:
 * salvage keeps a later minor version's kind instead of changing it. */
struct adbk_writer;
void writer_allow_reserved_kinds(struct adbk_writer *w);

/* Tests only (tests/perf/pipeline_scale.c): the workers store each chunk as
 * a zstd frame of Raw blocks, by copying, instead of compressing it, so the
 * rest of the pipeline (reading, hashing, ordering, writing) can be timed
 * without compression's cost. The archive is valid (FORMAT.md 3.3 holds), only
 * not compressed. Call before the first member. */
void writer_store_raw(struct adbk_writer *w);

/* Opens a writer of an encrypted archive under a given File_Key and the
 * stanzas that wrap it (Stanza_Count and the stanzas, stanzas_len bytes, as
 * a key record holds them): salvage keeps the recipients of the archive it
 * repairs (FORMAT.md 13.7). options' recipients are ignored. */
adbk_status writer_open_keyed(const struct adbk_sink *sink,
                              const struct adbk_writer_options *options,
                              const uint8_t file_key[16], const uint8_t *stanzas,
                              size_t stanzas_len, struct adbk_writer **w_out,
                              struct adbk_error *err);

#endif
