/*
 * stage.c - staged placement of restored files (restore.h). A staged file
 * is ".adbk-restore-PID-MEMBER-TRY.partial" in its destination folder,
 * flock()ed by its writer until it is placed (src/fs/leftover.c), so the next
 * restore into that folder removes what a killed one left and never what a
 * live one is writing. The reader's workers write each chunk of a staged
 * file at its place as they decode it (adbk_reader_write_member): the file
 * is placed only once the whole member checked.
 */
#include "fs.h"
#include "restore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define STAGE_PREFIX ".adbk-restore-" /* staged files: PREFIX PID-MEMBER-TRY.partial */

char *stage_path(const char *dir, const char *base)
{
    size_t a = strlen(dir), b = strlen(base);
    char *p = malloc(a + b + 2);
    if (p)
        snprintf(p, a + b + 2, "%s%s%s", dir, a && dir[a - 1] == '/' ? "" : "/", base);
    return p;
}

adbk_status stage_add(struct stage *s, size_t member, const char *dir, const char *base)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        struct stage_item *v = realloc(s->items, cap * sizeof *v);
        if (!v)
            return adbk_error_set(s->c->err, ADBK_E_NOMEM, "%s: no memory", s->c->job);
        s->items = v;
        s->cap = cap;
    }
    struct stage_item *it = &s->items[s->n];
    memset(it, 0, sizeof *it);
    it->member = member;
    it->fd = -1;
    it->dir = strdup(dir);
    it->base = strdup(base);
    s->n++;
    if (!it->dir || !it->base)
        return adbk_error_set(s->c->err, ADBK_E_NOMEM, "%s: no memory", s->c->job);
    return ADBK_OK;
}

adbk_status stage_check(struct stage *s)
{
    struct restore_ctx *c = s->c;
    for (size_t k = 0; k < s->n; k++)
        for (size_t j = 0; j < k; j++) {
            const struct stage_item *a = &s->items[j], *b = &s->items[k];
            if (strcmp(a->dir, b->dir) == 0 && strcasecmp(a->base, b->base) == 0)
                return adbk_error_set(c->err, ADBK_E_UNSAFE, "%s: members %s and %s would "
                                      "both be written to %s/%s; refused, nothing was written",
                                      c->job, adbk_reader_member(c->r, a->member)->name,
                                      adbk_reader_member(c->r, b->member)->name, b->dir,
                                      b->base);
        }
    /* Staged files of restores killed before they finished (kill -9, a
     * crash) would stay beside the directory's files for good. */
    for (size_t k = 0; k < s->n; k++) {
        bool seen = false;
        for (size_t j = 0; j < k && !seen; j++)
            seen = !strcmp(s->items[j].dir, s->items[k].dir);
        if (!seen)
            fs_sweep_leftovers(s->items[k].dir, STAGE_PREFIX, 0, ".partial",
                               c->cb ? c->cb->note : NULL, c->cb ? c->cb->ctx : NULL);
    }
    return ADBK_OK;
}

/* ------------------------------------------------------------ writing */

struct piece {
    struct stage *s;
    struct adbk_fd_sink fds; /* the staged file */
    uint64_t done;
};

/* The caller's thread hears of each piece, in order, once a worker wrote it. */
static int written(void *ctx, const void *buf, size_t len)
{
    struct piece *p = ctx;
    (void)buf;
    p->done += len;
    const struct adbk_restore_callbacks *cb = p->s->c->cb;
    if (cb && cb->progress)
        cb->progress(cb->ctx, p->done);
    return restore_cancelled(p->s->c) ? -1 : 0;
}

/* Creates it's staged file, locked, under a name no other run uses. */
static int stage_open(struct stage *s, struct stage_item *it)
{
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        char base[64];
        snprintf(base, sizeof base, STAGE_PREFIX "%ld-%zu-%d.partial", (long)getpid(),
                 it->member, attempt);
        free(it->tmp);
        if (!(it->tmp = stage_path(it->dir, base))) {
            errno = ENOMEM;
            return -1;
        }
        fd = open(it->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST)
            break;
        if (fd >= 0 && fs_temp_lock(fd) != 0) {
            close(fd); /* swept by another run before we locked it: another name */
            fd = -1;
            errno = EEXIST;
        }
    }
    (void)s;
    return fd;
}

adbk_status stage_write(struct stage *s, struct stage_item *it)
{
    struct restore_ctx *c = s->c;
    const struct adbk_entry *e = adbk_reader_member(c->r, it->member);
    char *dest = stage_path(it->dir, it->base);
    if (!dest)
        return adbk_error_set(c->err, ADBK_E_NOMEM, "%s: no memory", c->job);
    if (c->cb && c->cb->file_begin)
        c->cb->file_begin(c->cb->ctx, e->name, e->kind, e->size, dest);
    int fd = stage_open(s, it);
    if (fd < 0) {
        int e2 = errno;
        free(it->tmp);
        it->tmp = NULL;
        adbk_status st = adbk_error_set(c->err, ADBK_E_IO, "%s: cannot write in %s (for %s): %s",
                                        c->job, it->dir, dest, strerror(e2));
        free(dest);
        return st;
    }
    struct piece p = {.s = s, .fds = {.fd = fd}};
    adbk_status st = adbk_reader_write_member(c->r, it->member, adbk_fd_write_at, &p.fds,
                                              written, &p, c->err);
    char m[sizeof c->err->message];
    snprintf(m, sizeof m, "%s", c->err->message);
    if (st == ADBK_E_ABORTED) {
        char where[1200];
        snprintf(where, sizeof where, "while writing %s", dest);
        st = restore_interrupted(c, where, "nothing was registered and the server's files are "
                                 "as they were");
    } else if (st == ADBK_E_IO) {
        /* The message names the member; add the file and that nothing changed. */
        st = adbk_error_set(c->err, ADBK_E_IO, "%s: writing %s: %s; nothing was registered",
                            c->job, dest, m);
    } else if (st != ADBK_OK) {
        st = adbk_error_set(c->err, st, "%s: member %s is damaged, so the restore stopped before "
                            "registration and nothing was changed: %s", c->job, e->name, m);
    }
    char what[320];
    int rc;
    if (st == ADBK_OK && s->meta && (rc = fs_apply_meta(fd, e, &s->how, what, sizeof what)) != 0)
        st = adbk_error_set(c->err, ADBK_E_IO, "%s: cannot set the %s of %s (for %s): %s; "
                            "nothing was changed", c->job, what, it->tmp, dest, strerror(rc));
    if (st == ADBK_OK && fsync(fd) != 0)
        st = adbk_error_set(c->err, ADBK_E_IO, "%s: cannot sync %s: %s", c->job, it->tmp,
                            strerror(errno));
    it->fd = fd; /* closed once placed (stage_place) or removed (stage_free) */
    if (st == ADBK_OK)
        c->res->bytes += e->size;
    free(dest);
    return st;
}

adbk_status stage_write_all(struct stage *s, const char *after_cancel)
{
    adbk_status st = ADBK_OK;
    if (s->c->cb && s->c->cb->total) {
        uint64_t sum = 0;
        for (size_t k = 0; k < s->n; k++)
            sum += adbk_reader_member(s->c->r, s->items[k].member)->size;
        s->c->cb->total(s->c->cb->ctx, sum);
    }
    for (size_t k = 0; k < s->n && st == ADBK_OK; k++)
        st = restore_cancelled(s->c)
                 ? restore_interrupted(s->c, "while writing the files", after_cancel)
                 : stage_write(s, &s->items[k]);
    return st;
}

/* ------------------------------------------------------------ placing */

adbk_status stage_sync_dir(struct restore_ctx *c, const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return adbk_error_set(c->err, ADBK_E_IO, "%s: cannot sync folder %s: %s", c->job, dir,
                              strerror(e));
    }
    close(fd);
    return ADBK_OK;
}

adbk_status stage_place(struct stage *s)
{
    struct restore_ctx *c = s->c;
    adbk_status st = ADBK_OK;
    for (size_t k = 0; k < s->n && st == ADBK_OK; k++) {
        struct stage_item *it = &s->items[k];
        char *dest = stage_path(it->dir, it->base);
        if (!dest)
            return adbk_error_set(c->err, ADBK_E_NOMEM, "%s: no memory", c->job);
        if (!FS_RENAME_OPEN_FILES) { /* leftover.c */
            close(it->fd);
            it->fd = -1;
        }
        if (rename(it->tmp, dest) != 0) {
            st = adbk_error_set(c->err, ADBK_E_IO, "%s: cannot rename %s to %s: %s", c->job,
                                it->tmp, dest, strerror(errno));
        } else {
            it->placed = true;
            c->res->files++;
            if (it->fd >= 0)
                close(it->fd); /* fsynced in stage_write: nothing is left to write */
            it->fd = -1;
        }
        free(dest);
    }
    for (size_t k = 0; k < s->n && st == ADBK_OK; k++) {
        bool seen = false; /* each folder once */
        for (size_t j = 0; j < k && !seen; j++)
            seen = !strcmp(s->items[j].dir, s->items[k].dir);
        if (!seen)
            st = stage_sync_dir(c, s->items[k].dir);
    }
    return st;
}

void stage_free(struct stage *s)
{
    for (size_t k = 0; k < s->n; k++) {
        struct stage_item *it = &s->items[k];
        if (it->fd >= 0)
            close(it->fd);
        if (it->tmp && !it->placed)
            unlink(it->tmp);
        free(it->tmp);
        free(it->dir);
        free(it->base);
    }
    free(s->items);
    s->items = NULL;
    s->n = s->cap = 0;
}
