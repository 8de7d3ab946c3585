/*
 * job.h - one archive written from one origin: the part every kind of
 * backup shares (job.c), and the interface an origin fills (a directory
 * server through DsBackup, files and folders, and next a Samba DC).
 *
 * The job owns the output: it sweeps what killed runs left beside it, opens
 * the temporary file and the writer, has the origin write its members and
 * describe itself, finishes the archive, makes it durable under its final
 * name (fsync, rename, fsync of the folder), writes the .xxh128 sidecar when
 * asked, and only then lets the origin act on the durable archive
 * (DsBackupTruncateLogs). The origin is ended on every path. Any failure or
 * cancellation leaves no archive, not even the temporary file.
 *
 * An origin owns what its members are and in which order, with whatever
 * locks or server session that takes; it writes them through the job's
 * member output (struct emit), which streams each one straight into the
 * writer's chunk buffers with progress and cancellation.
 */
#ifndef ADBK_JOB_H
#define ADBK_JOB_H

#include "adbk.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/* The job's member output, handed to the origin's functions. */
struct emit {
    struct adbk_writer *w;
    const struct adbk_job_callbacks *cb; /* may be NULL */
    struct adbk_backup_result *res;      /* files and bytes_in are counted here */
    struct adbk_error *err;
    const char *job;                     /* "backup of DC01", for messages */
    bool to_pipe;                        /* the archive goes to a pipe */
    uint8_t *bounce;                     /* emit_member's small-read buffer */
};

/* Reads up to cap bytes into buf: ADBK_OK with *got_out > 0, or with 0 at
 * the end; any other status stops the member (err set). */
typedef adbk_status (*emit_read_fn)(void *ctx, void *buf, size_t cap, size_t *got_out,
                                    struct adbk_error *err);

/* Writes one member: mi begins it (cb->file_begin is told, with size as the
 * announced size), read fills it until it reports the end, and it ends.
 * Reads land straight in the writer's chunk buffer; when less room is left
 * there than min_read (a server's smallest read), one bounce buffer is used
 * instead. Polls cb->cancelled between reads. *done_out (may be NULL) gets
 * the bytes read. */
adbk_status emit_member(struct emit *e, const struct adbk_member_info *mi, uint64_t size,
                        size_t min_read, emit_read_fn read, void *ctx, uint64_t *done_out);
/* emit_member for a regular file: the size bytes it had when its size was
 * taken are read by the writer's workers (adbk_writer_read_from with
 * read_at and at_ctx: each whole chunk by the worker that compresses it),
 * then read (which must start at byte size) adds any it has gained. A file
 * that shrank meanwhile ends its member where its data ended. When this
 * returns, no worker reads the file any more, even after a failure. */
adbk_status emit_file_member(struct emit *e, const struct adbk_member_info *mi, uint64_t size,
                             adbk_read_at_fn read_at, void *at_ctx, emit_read_fn read,
                             void *ctx, uint64_t *done_out);
/* Writes a member whose content is in memory (len bytes of buf). */
adbk_status emit_bytes(struct emit *e, const struct adbk_member_info *mi, const void *buf,
                       size_t len);
/* ADBK_E_INTERRUPTED with "interrupted WHERE; the JOB was abandoned" when
 * cb->cancelled asks to stop, else ADBK_OK. */
adbk_status emit_check_cancel(struct emit *e, const char *where);
/* Formats a warning for cb->warning (dropped when there is none). */
void emit_warn(struct emit *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets the properties kv[i][0] = kv[i][1]; an empty value leaves its key
 * out (an unknown domain, lifetime or host). */
adbk_status emit_properties(struct emit *e, const char *const (*kv)[2], size_t n);

/* ------------------------------------------------------------ files */

/* A file's or a folder's metadata as a member's (files.c): mode, time, and
 * the owner and extended attributes when asked, held in m until freed. */
struct walk_opts;
struct file_meta {
    struct adbk_member_info mi;
    char user[256], group[256];
    struct adbk_xattr *v;
    size_t n;
    char *names; /* the attribute names v's point into */
};
adbk_status file_meta(const struct walk_opts *o, const char *path, const char *name,
                      const struct stat *st, unsigned kind, struct file_meta *m,
                      struct adbk_error *err);
void file_meta_free(struct file_meta *m);

/* What walk_tree does with one thing it finds. */
enum walk_act {
    WALK_PLAIN, /* the ordinary member (a file, or a folder and its contents) */
    WALK_SKIP,  /* nothing */
    WALK_DONE   /* the visitor wrote it itself; *st_out says how it went */
};

struct walk_opts {
    bool owner, xattrs;  /* store owners, extended attributes */
    /* Called for everything found before it is written (may be NULL). */
    enum walk_act (*visit)(void *ctx, struct emit *e, const char *path, const char *name,
                           const struct stat *st, adbk_status *st_out);
    /* The kind of a plain file (NULL: ADBK_KIND_FILE). */
    unsigned (*kind_of)(void *ctx, const char *path);
    void *ctx;
};

/* Writes path as member name and, for a folder, everything below it, names
 * sorted, so the same tree always gives the same archive. Symbolic links and
 * special files are skipped with a warning, as are names no archive takes
 * (longer than 4,095 bytes, among others) and paths longer than PATH_MAX;
 * a file that changes size while read is kept, with a warning. */
adbk_status walk_tree(struct emit *e, const struct walk_opts *o, const char *path,
                      const char *name);

/* ------------------------------------------------------------ origins */

struct origin;
struct origin_ops {
    /* Before the archive is opened: what must hold for a backup to be
     * worth starting (the directory service is running). May be NULL. */
    adbk_status (*check)(struct origin *o, struct emit *e);
    /* Every member, in archive order. */
    adbk_status (*members)(struct origin *o, struct emit *e);
    /* The archive's properties (FORMAT.md §7), after the members. */
    adbk_status (*describe)(struct origin *o, struct emit *e);
    /* Once the archive is durable under its final name; only warnings can
     * come of it (a failed log truncation). May be NULL. */
    void (*durable)(struct origin *o, struct emit *e);
    /* Last, on every path (DsBackupEnd). May be NULL. */
    void (*end)(struct origin *o, struct emit *e);
};

struct origin {
    const struct origin_ops *ops;
    void *impl;
};

/* Runs the job of origin o into out (see the top of this file). res (may
 * be NULL) is filled as far as the job got. */
adbk_status job_run(struct origin *o, const struct adbk_output_options *out,
                    const struct adbk_job_callbacks *cb, const char *job,
                    struct adbk_backup_result *res, struct adbk_error *err);

#endif
