/*
 * job.c - one archive from one origin (job.h): the output, the member
 * stream and the order of the steps every kind of backup shares.
 *
 * Streaming: each read lands straight in the writer's chunk buffer
 * (adbk_writer_reserve -> the origin's read -> adbk_writer_commit). Only
 * when the free space left in a chunk is below what the origin can read at
 * once (a DsBackup server's 96 KiB) does a read go through one small bounce
 * buffer and adbk_writer_write. Nothing is staged on disk and no file is
 * held whole in memory.
 */
#include "job.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BOUNCE (128u << 10) /* the bounce buffer, for chunk tails below min_read */

void emit_warn(struct emit *e, const char *fmt, ...)
{
    if (!e->cb || !e->cb->warning)
        return;
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    e->cb->warning(e->cb->ctx, msg);
}

adbk_status emit_check_cancel(struct emit *e, const char *where)
{
    if (!e->cb || !e->cb->cancelled || !e->cb->cancelled(e->cb->ctx))
        return ADBK_OK;
    if (e->job)
        return adbk_error_set(e->err, ADBK_E_INTERRUPTED, "interrupted %s; the %s was abandoned",
                              where, e->job);
    return adbk_error_set(e->err, ADBK_E_INTERRUPTED, "interrupted %s", where);
}

static void begin_note(struct emit *e, const struct adbk_member_info *mi, uint64_t size)
{
    if (e->cb && e->cb->file_begin)
        e->cb->file_begin(e->cb->ctx, mi->name, mi->kind, size);
}

/* Step of the workers' reads in emit_file_member: progress and cancellation
 * are looked at between steps. A multiple of every chunk size up to 64 MiB. */
#define READ_STEP ((uint64_t)64 << 20)

/* emit_member and emit_file_member: with read_at, the first size bytes
 * through the writer's workers, then read until it reports the end. */
static adbk_status emit_content(struct emit *e, const struct adbk_member_info *mi,
                                uint64_t size, adbk_read_at_fn read_at, void *at_ctx,
                                size_t min_read, emit_read_fn read, void *ctx,
                                uint64_t *done_out)
{
    begin_note(e, mi, size);
    adbk_status st = adbk_writer_begin_member(e->w, mi, e->err);
    uint64_t done = 0;
    char where[700];
    snprintf(where, sizeof where, "while reading %s", mi->source_path ? mi->source_path : mi->name);
    while (st == ADBK_OK && read_at && done < size &&
           (st = emit_check_cancel(e, where)) == ADBK_OK) {
        uint64_t n = size - done < READ_STEP ? size - done : READ_STEP;
        st = adbk_writer_read_from(e->w, read_at, at_ctx, done, n, e->err);
        done += n;
        e->res->bytes_in += n;
        if (st == ADBK_OK && e->cb && e->cb->progress)
            e->cb->progress(e->cb->ctx, done);
    }
    while (st == ADBK_OK && (st = emit_check_cancel(e, where)) == ADBK_OK) {
        void *buf;
        size_t cap, got = 0;
        st = adbk_writer_reserve(e->w, &buf, &cap, e->err);
        if (st != ADBK_OK)
            break;
        bool direct = cap >= min_read;
        if (!direct && !e->bounce && !(e->bounce = malloc(BOUNCE)))
            return adbk_error_set(e->err, ADBK_E_NOMEM, "no memory for a %u-byte read buffer",
                                  BOUNCE);
        st = read(ctx, direct ? buf : e->bounce, direct ? cap : BOUNCE, &got, e->err);
        if (st != ADBK_OK || got == 0)
            break;
        st = direct ? adbk_writer_commit(e->w, got, e->err)
                    : adbk_writer_write(e->w, e->bounce, got, e->err);
        done += got;
        e->res->bytes_in += got;
        if (e->cb && e->cb->progress)
            e->cb->progress(e->cb->ctx, done);
    }
    if (done_out)
        *done_out = done;
    if (st == ADBK_OK) {
        st = adbk_writer_end_member(e->w, e->err);
    } else if (read_at) { /* it waits for the workers' reads: the file is closed next */
        struct adbk_error ignored;
        (void)adbk_writer_end_member(e->w, &ignored);
    }
    if (st == ADBK_OK)
        e->res->files++;
    return st;
}

adbk_status emit_member(struct emit *e, const struct adbk_member_info *mi, uint64_t size,
                        size_t min_read, emit_read_fn read, void *ctx, uint64_t *done_out)
{
    return emit_content(e, mi, size, NULL, NULL, min_read, read, ctx, done_out);
}

adbk_status emit_file_member(struct emit *e, const struct adbk_member_info *mi, uint64_t size,
                             adbk_read_at_fn read_at, void *at_ctx, emit_read_fn read,
                             void *ctx, uint64_t *done_out)
{
    return emit_content(e, mi, size, read_at, at_ctx, 1, read, ctx, done_out);
}

adbk_status emit_bytes(struct emit *e, const struct adbk_member_info *mi, const void *buf,
                       size_t len)
{
    begin_note(e, mi, len);
    adbk_status st = adbk_writer_begin_member(e->w, mi, e->err);
    if (st == ADBK_OK && len)
        st = adbk_writer_write(e->w, buf, len, e->err);
    if (st == ADBK_OK)
        st = adbk_writer_end_member(e->w, e->err);
    if (st == ADBK_OK) {
        e->res->files++;
        e->res->bytes_in += len;
    }
    return st;
}

adbk_status emit_properties(struct emit *e, const char *const (*kv)[2], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!kv[i][1] || !kv[i][1][0])
            continue;
        adbk_status st = adbk_writer_set_property(e->w, kv[i][0], kv[i][1], e->err);
        if (st != ADBK_OK)
            return st;
    }
    return ADBK_OK;
}

/* ------------------------------------------------------------ the job */

/* "OUT.xxh128" beside the archive, for xxhsum -c after a copy. The archive
 * is good without it, so a failure is a warning. */
static void write_sidecar(struct emit *e, const char *output, const uint8_t digest[16])
{
    size_t len = strlen(output) + sizeof ".xxh128";
    char *side = malloc(len);
    struct adbk_error why;
    adbk_status st = ADBK_E_NOMEM;
    if (side) {
        snprintf(side, len, "%s.xxh128", output);
        st = adbk_write_xxh128_sidecar(side, output, digest, &why);
    } else {
        adbk_error_set(&why, st, "no memory for its name");
    }
    if (st != ADBK_OK)
        emit_warn(e, "the archive is complete, but its checksum file is not: %s", why.message);
    free(side);
}

adbk_status job_run(struct origin *o, const struct adbk_output_options *out,
                    const struct adbk_job_callbacks *cb, const char *job,
                    struct adbk_backup_result *res_out, struct adbk_error *err)
{
    struct adbk_backup_result local;
    struct adbk_backup_result *res = res_out ? res_out : &local;
    if (!out || !out->output || !*out->output)
        return adbk_error_set(err, ADBK_E_ARG, "no archive named to write to");
    if (out->xxh128 && strcmp(out->output, "-") == 0)
        return adbk_error_set(err, ADBK_E_ARG, "an .xxh128 checksum file needs an archive "
                              "file: it cannot go with standard output");
    struct emit e = {.cb = cb, .res = res, .err = err, .job = job};
    adbk_status st = o->ops->check ? o->ops->check(o, &e) : ADBK_OK;
    struct adbk_outfile *of = NULL;
    if (st == ADBK_OK) {
        adbk_outfile_sweep(out->output, cb ? cb->note : NULL, cb ? cb->ctx : NULL);
        st = adbk_outfile_open(out->output, out->force, &of, err);
    }
    if (st == ADBK_OK) {
        e.to_pipe = adbk_outfile_is_pipe(of);
        st = adbk_writer_open(adbk_outfile_sink(of), &out->writer, &e.w, err);
    }
    if (st == ADBK_OK)
        st = emit_check_cancel(&e, "before the backup started");
    if (st == ADBK_OK)
        st = o->ops->members(o, &e);
    if (st == ADBK_OK)
        st = o->ops->describe(o, &e);
    if (st == ADBK_OK)
        st = emit_check_cancel(&e, "before the archive was finished");
    if (st == ADBK_OK)
        st = adbk_writer_finish(e.w, err);
    if (st == ADBK_OK)
        st = emit_check_cancel(&e, "before the archive was committed");
    if (st == ADBK_OK)
        st = adbk_outfile_commit(of, err); /* durable under its final name */
    res->written = st == ADBK_OK;
    if (e.w) {
        struct adbk_writer_stats ws;
        adbk_writer_get_stats(e.w, &ws);
        res->bytes_out = ws.bytes_out;
        memcpy(res->xxh128, ws.file_xxh128, sizeof res->xxh128);
    }
    if (st == ADBK_OK && out->xxh128)
        write_sidecar(&e, out->output, res->xxh128);
    if (st == ADBK_OK && o->ops->durable)
        o->ops->durable(o, &e);
    free(e.bounce);
    adbk_writer_free(e.w);
    adbk_outfile_abort(of); /* removes the temporary file unless committed */
    if (o->ops->end)
        o->ops->end(o, &e);
    return st;
}
