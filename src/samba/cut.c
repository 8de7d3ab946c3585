/*
 * cut.c - the directory databases of a running Samba DC, copied as one
 * consistent cut and streamed straight into the archive (samba.h explains
 * why the read lock on metadata.tdb gives one cut). No copy is staged on
 * disk: a TDB file is read as it lies while its read lock holds every
 * writer; an LMDB partition is copied by liblmdb's compact copy on a thread
 * into a pipe, which the archive reads from.
 *
 * Locks are taken without blocking, retried until the lock timeout, so a
 * process that holds one for long gives a clear error instead of a hang.
 * The time commits were held (from taking metadata.tdb's lock to releasing
 * it) is measured, and bounded when the user asks: past the bound the copy
 * stops, the locks are released and the backup fails.
 */
#include "samba.h"
#include "threads.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <tdb.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ------------------------------------------------------------ TDB locks */

struct tdb_held {
    struct tdb_context *tdb;
    const char *path;
};

/* Opens path and takes its whole-file read lock, retrying for timeout_ms.
 * Read-write, since libtdb takes no locks on a database opened read-only;
 * nothing is written through it.
 * *mutexed: the file uses robust mutexes (tdb_open refuses it without
 * TDB_MUTEX_LOCKING), which no outside reader can lock. */
static adbk_status tdb_hold(const char *path, uint32_t timeout_ms, struct tdb_held *h,
                            bool *mutexed, uint64_t *waited_us, struct adbk_error *err)
{
    h->path = path;
    *mutexed = false;
    errno = 0;
    h->tdb = tdb_open(path, 0, TDB_DEFAULT, O_RDWR, 0);
    if (!h->tdb) {
        if (errno == EINVAL) {
            *mutexed = true;
            return ADBK_OK;
        }
        return adbk_error_set(err, ADBK_E_IO, "cannot open the database %s: %s", path,
                              errno ? strerror(errno) : "not a TDB file");
    }
    uint64_t start = now_us(), limit = (uint64_t)timeout_ms * 1000u;
    while (tdb_lockall_read_nonblock(h->tdb) != 0) {
        if (now_us() - start >= limit) {
            tdb_close(h->tdb);
            h->tdb = NULL;
            return adbk_error_set(err, ADBK_E_SOURCE, "the read lock of %s is held by another "
                                  "process for more than %.1f s (a long Samba transaction, or "
                                  "a tool holding the database); nothing was written",
                                  path, timeout_ms / 1000.0);
        }
        struct timespec ts = {0, 2000000}; /* 2 ms */
        nanosleep(&ts, NULL);
    }
    if (waited_us)
        *waited_us = now_us() - start;
    return ADBK_OK;
}

static void tdb_release(struct tdb_held *h)
{
    if (h->tdb) {
        tdb_unlockall_read(h->tdb);
        tdb_close(h->tdb);
        h->tdb = NULL;
    }
}

/* ------------------------------------------------------------ streams */

/* The bound on how long commits may be held, checked between reads. */
struct freeze {
    uint64_t start_us, limit_us; /* limit 0: none */
};

static adbk_status freeze_check(const struct freeze *f, struct adbk_error *err)
{
    if (!f || !f->limit_us || now_us() - f->start_us <= f->limit_us)
        return ADBK_OK;
    return adbk_error_set(err, ADBK_E_SOURCE, "copying the directory databases would hold "
                          "directory writes longer than the %.3f s allowed (--max-freeze); the "
                          "locks were released and no archive was written",
                          f->limit_us / 1e6);
}

/* A file read from its start to a known size (a TDB under its lock). */
struct file_stream {
    int fd;
    const char *path;
    uint64_t size, done;
    const struct freeze *freeze;
};

static adbk_status file_read(void *ctx, void *buf, size_t cap, size_t *got_out,
                             struct adbk_error *err)
{
    struct file_stream *s = ctx;
    *got_out = 0;
    adbk_status st = freeze_check(s->freeze, err);
    if (st != ADBK_OK || s->done == s->size)
        return st;
    if (cap > s->size - s->done)
        cap = (size_t)(s->size - s->done);
    ssize_t n;
    do
        n = pread(s->fd, buf, cap, (off_t)s->done);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return adbk_error_set(err, ADBK_E_IO, "cannot read %s at byte %llu: %s", s->path,
                              (unsigned long long)s->done, n < 0 ? strerror(errno) :
                              "the file became shorter while it was locked");
    s->done += (uint64_t)n;
    *got_out = (size_t)n;
    return ADBK_OK;
}

/* The member for path: its metadata (mode, time, owner, extended
 * attributes), read by path, which opens no descriptor of the file. */
static const struct walk_opts all_meta = {.owner = true, .xattrs = true};

static adbk_status meta_of(struct emit *e, const char *path, const char *name, unsigned kind,
                           struct file_meta *m)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return adbk_error_set(e->err, ADBK_E_IO, "cannot read %s: %s", path, strerror(errno));
    return file_meta(&all_meta, path, name, &sb, kind, m, e->err);
}

/* Streams the TDB file of h, whose lock is held, through libtdb's own
 * descriptor: POSIX drops every fcntl lock a process holds on a file when
 * it closes any descriptor of that file, so opening and closing another one
 * here would let Samba's writers through in the middle of the cut. */
static adbk_status tdb_stream(struct emit *e, const struct tdb_held *h,
                              struct adbk_member_info *mi, const struct freeze *freeze)
{
    struct file_stream s = {.fd = tdb_fd(h->tdb), .path = h->path, .freeze = freeze};
    struct stat sb;
    if (fstat(s.fd, &sb) != 0)
        return adbk_error_set(e->err, ADBK_E_IO, "cannot read %s: %s", h->path,
                              strerror(errno));
    s.size = (uint64_t)sb.st_size;
    mi->flags |= ADBK_HAS_EXPECTED_SIZE;
    mi->expected_size = s.size;
    return emit_member(e, mi, s.size, 1, file_read, &s, NULL);
}

adbk_status samba_tdb_member(struct emit *e, const char *path, struct adbk_member_info *mi,
                             uint32_t timeout_ms, bool *skipped)
{
    struct tdb_held h;
    adbk_status st = tdb_hold(path, timeout_ms, &h, skipped, NULL, e->err);
    if (st != ADBK_OK || *skipped)
        return st;
    st = tdb_stream(e, &h, mi, NULL);
    tdb_release(&h);
    return st;
}

/* An LMDB compact copy on its own thread, into a pipe. */
struct mdb_copy {
    MDB_env *env;
    int rfd, wfd;
    int rc;
    port_thread thread;
    bool started;
    const char *path;
    const struct freeze *freeze;
};

static void *copy_main(void *arg)
{
    struct mdb_copy *c = arg;
    c->rc = mdb_env_copyfd2(c->env, c->wfd, MDB_CP_COMPACT);
    close(c->wfd);
    c->wfd = -1;
    return NULL;
}

static adbk_status pipe_read(void *ctx, void *buf, size_t cap, size_t *got_out,
                             struct adbk_error *err)
{
    struct mdb_copy *c = ctx;
    *got_out = 0;
    adbk_status st = freeze_check(c->freeze, err);
    if (st != ADBK_OK)
        return st;
    ssize_t n;
    do
        n = read(c->rfd, buf, cap);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return adbk_error_set(err, ADBK_E_IO, "reading the copy of %s: %s", c->path,
                              strerror(errno));
    *got_out = (size_t)n;
    return ADBK_OK;
}

/* Stops the copy (closing the pipe ends it with EPIPE if it still runs) and
 * releases everything; the copy's status in *rc. */
static void copy_end(struct mdb_copy *c, int *rc)
{
    if (c->rfd >= 0)
        close(c->rfd);
    c->rfd = -1;
    if (c->started)
        port_thread_join(c->thread);
    c->started = false;
    if (c->wfd >= 0)
        close(c->wfd);
    c->wfd = -1;
    if (c->env)
        mdb_env_close(c->env);
    c->env = NULL;
    *rc = c->rc;
}

static adbk_status mdb_stream(struct emit *e, const char *path, struct adbk_member_info *mi,
                              const struct freeze *freeze)
{
    struct mdb_copy c = {.rfd = -1, .wfd = -1, .path = path, .freeze = freeze};
    /* A compact copy has its own size, known at its end only. */
    mi->flags &= ~ADBK_HAS_EXPECTED_SIZE;
    mi->expected_size = 0;
    int rc = mdb_env_create(&c.env);
    /* The partition's own file, with its -lock file beside it, read-only:
     * the lock file's reader table tells Samba's writers which pages this
     * copy still reads. */
    if (rc == 0)
        rc = mdb_env_open(c.env, path, MDB_NOSUBDIR | MDB_RDONLY, 0600);
    if (rc != 0) {
        copy_end(&c, &rc);
        return adbk_error_set(e->err, ADBK_E_IO, "cannot open the LMDB database %s: %s", path,
                              mdb_strerror(rc));
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        copy_end(&c, &rc);
        return adbk_error_set(e->err, ADBK_E_IO, "cannot copy %s: %s", path, strerror(errno));
    }
    c.rfd = p[0];
    c.wfd = p[1];
    int trc = port_thread_create(&c.thread, copy_main, &c);
    if (trc != 0) {
        copy_end(&c, &rc);
        return adbk_error_set(e->err, ADBK_E_NOMEM, "cannot start the copy of %s: %s", path,
                              strerror(trc));
    }
    c.started = true;
    adbk_status st = emit_member(e, mi, 0, 1, pipe_read, &c, NULL);
    copy_end(&c, &rc);
    if (st == ADBK_OK && rc != 0)
        st = adbk_error_set(e->err, ADBK_E_IO, "the compact copy of %s failed: %s", path,
                            mdb_strerror(rc));
    return st;
}

/* ------------------------------------------------------------ the cut */

/* The partition files of sam.ldb.d, sorted (the archive's order is the same
 * for the same DC). */
static int partition_names(const char *dir, struct dirent ***list)
{
    return scandir(dir, list, NULL, alphasort);
}

static bool is_partition(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && !strcmp(name + n - 4, ".ldb");
}

static adbk_status partition(struct emit *e, const struct samba_dc *dc, const char *dir,
                             const char *file, const struct freeze *fz, struct samba_cut *out)
{
    char path[2 * PATH_MAX], name[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    snprintf(name, sizeof name, "private/sam.ldb.d/%s", file);
    struct file_meta m;
    adbk_status st = meta_of(e, path, name, ADBK_KIND_DATABASE, &m);
    if (st == ADBK_OK && !strcmp(dc->backend, "mdb")) {
        st = mdb_stream(e, path, &m.mi, fz);
    } else if (st == ADBK_OK) {
        /* A TDB partition: its own read lock, as Samba's read lock takes it. */
        struct tdb_held h;
        bool mutexed;
        st = tdb_hold(path, dc->lock_timeout_ms, &h, &mutexed, NULL, e->err);
        if (st == ADBK_OK && mutexed)
            st = adbk_error_set(e->err, ADBK_E_SOURCE, "the partition %s cannot be locked from "
                                "outside Samba (it uses mutexes)", path);
        if (st == ADBK_OK)
            st = tdb_stream(e, &h, &m.mi, fz);
        tdb_release(&h);
    }
    file_meta_free(&m);
    if (st == ADBK_OK)
        out->databases++;
    return st;
}

adbk_status samba_cut(const struct samba_dc *dc, struct emit *e, struct samba_cut *out)
{
    memset(out, 0, sizeof *out);
    char sam[PATH_MAX + 16], dir[PATH_MAX + 16], meta[2 * PATH_MAX];
    snprintf(sam, sizeof sam, "%s/sam.ldb", dc->conf.private_dir);
    snprintf(dir, sizeof dir, "%s/sam.ldb.d", dc->conf.private_dir);
    snprintf(meta, sizeof meta, "%s/metadata.tdb", dir);
    struct dirent **list = NULL;
    int n = partition_names(dir, &list);
    if (n < 0)
        return adbk_error_set(e->err, ADBK_E_IO, "cannot list %s: %s", dir, strerror(errno));

    struct tdb_held hm = {0}, hs = {0};
    bool mutexed = false;
    uint64_t waited = 0;
    struct file_meta ms = {0}, mm = {0};
    adbk_status st = meta_of(e, sam, "private/sam.ldb", ADBK_KIND_DATABASE, &ms);
    if (st == ADBK_OK)
        st = meta_of(e, meta, "private/sam.ldb.d/metadata.tdb", ADBK_KIND_DATABASE, &mm);
    if (st == ADBK_OK)
        st = tdb_hold(meta, dc->lock_timeout_ms, &hm, &mutexed, &waited, e->err);
    struct freeze fz = {.start_us = now_us(), .limit_us = (uint64_t)dc->max_freeze_ms * 1000u};
    out->lock_wait_us = waited;
    if (st == ADBK_OK && !mutexed)
        st = tdb_hold(sam, dc->lock_timeout_ms, &hs, &mutexed, NULL, e->err);
    if (st == ADBK_OK && mutexed)
        st = adbk_error_set(e->err, ADBK_E_SOURCE, "%s or %s cannot be locked from outside "
                            "Samba (it uses mutexes)", meta, sam);
    if (st == ADBK_OK)
        st = tdb_stream(e, &hs, &ms.mi, &fz);
    if (st == ADBK_OK)
        st = tdb_stream(e, &hm, &mm.mi, &fz);
    if (st == ADBK_OK)
        out->databases += 2;
    for (int i = 0; i < n; i++) {
        if (st == ADBK_OK && is_partition(list[i]->d_name))
            st = partition(e, dc, dir, list[i]->d_name, &fz, out);
        free(list[i]);
    }
    free(list);
    file_meta_free(&ms);
    file_meta_free(&mm);
    /* Released in the reverse order of taking. */
    tdb_release(&hs);
    bool held = hm.tdb != NULL;
    tdb_release(&hm);
    if (held)
        out->freeze_us = now_us() - fz.start_us;
    return st;
}
