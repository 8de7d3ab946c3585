/*
 * live.c - the running DC: start, stop, churn.
 *
 * Owns: the online flag, hard recovery at start after a registered restore
 * (R26), and churn: a busy DC rewriting B-tree leaf pages (checksums kept
 * right, page generation = the current log generation), appending a record
 * per change to edb.log and rolling generations; circular deletion spares
 * every generation from a running backup's genStart on.
 * Every tick runs under the DC's flock, so churn in another process or on a
 * thread cooperates with backups and with `dcsim stop`.
 */
#include "dcsim_int.h"
#include "threads.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void churn_defaults(const struct dcsim_churn_opts *in, struct dcsim_churn_opts *o)
{
    struct dcsim_churn_opts z = {0};
    *o = in ? *in : z;
    if (!o->pages_per_tick)
        o->pages_per_tick = 8;
    if (!o->tick_ms)
        o->tick_ms = 20;
    if (!o->roll_ticks)
        o->roll_ticks = 25;
    if (!o->duration_ms)
        o->duration_ms = 600000;
}

static dcsim_status write_page(int fd, const uint8_t *page, uint32_t ps,
                               uint64_t pg, const char *path)
{
    ssize_t w = pwrite(fd, page, ps, (off_t)(pg * ps));
    if (w != (ssize_t)ps)
        return dc_fail(DCSIM_E_IO, "%s: writing page %" PRIu64 " failed (%s)", path,
                       pg, w < 0 ? strerror(errno) : "short write");
    return DCSIM_OK;
}

/* Rewrites the header pages 0 and 1 with the current checkpoint. */
static dcsim_status header_update(int fd, const struct dc_state *st, const char *path)
{
    uint8_t *page = malloc(st->page_size);
    if (!page)
        return dc_fail(DCSIM_E_NOMEM, "%s: no memory", path);
    dcsim_status rc = DCSIM_OK;
    for (uint64_t pg = 0; pg < 2 && rc == DCSIM_OK; pg++) {
        page_build(page, st, pg, 0, st->dbtime, st->checkpoint_gen);
        rc = write_page(fd, page, st->page_size, pg, path);
    }
    free(page);
    return rc;
}

dcsim_status db_header_rewrite(const char *dir, const struct dc_state *st)
{
    char path[PATH_MAX];
    if (path_join(path, sizeof path, dir, "ntds.dit"))
        return dc_fail(DCSIM_E_ARG, "%s: path too long", dir);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return dc_fail(DCSIM_E_IO, "%s: cannot open (%s)", path, strerror(errno));
    dcsim_status rc = header_update(fd, st, path);
    close(fd);
    return rc;
}

dcsim_status dcsim_churn_tick(const char *dir, const struct dcsim_churn_opts *in,
                              uint64_t tick)
{
    struct dcsim_churn_opts o;
    struct dc_state st;
    char dbp[PATH_MAX], lgp[PATH_MAX];
    uint8_t *page = NULL, *rec = NULL;
    int lk = -1, dfd = -1, lfd = -1;
    churn_defaults(in, &o);
    dcsim_status rc = st_lock(dir, &lk);
    if (rc)
        return rc;
    rc = st_load(dir, &st);
    if (rc)
        goto out;
    if (!st.online) {
        rc = dc_fail(DCSIM_E_STATE, "%s: the DC is offline; churn stops", dir);
        goto out;
    }
    if (path_join(dbp, sizeof dbp, dir, "ntds.dit") ||
        path_join(lgp, sizeof lgp, dir, "edb.log")) {
        rc = dc_fail(DCSIM_E_ARG, "%s: path too long", dir);
        goto out;
    }
    dfd = open(dbp, O_RDWR | O_CLOEXEC);
    lfd = open(lgp, O_RDWR | O_CLOEXEC);
    if (dfd < 0 || lfd < 0) {
        rc = dc_fail(DCSIM_E_IO, "%s: cannot open %s (%s)", dir,
                     dfd < 0 ? "ntds.dit" : "edb.log", strerror(errno));
        goto out;
    }
    page = malloc(st.page_size);
    rec = malloc(64u * o.pages_per_tick + 64u);
    if (!page || !rec) {
        rc = dc_fail(DCSIM_E_NOMEM, "%s: no memory for churn", dir);
        goto out;
    }
    uint8_t lh[LOG_DATA];
    if (pread(lfd, lh, sizeof lh, 0) != (ssize_t)sizeof lh) {
        rc = dc_fail(DCSIM_E_IO, "%s: edb.log header unreadable", lgp);
        goto out;
    }
    uint32_t used = le_get32(lh + LG_USED);
    struct rng r;
    rng_seed(&r, mix64(st.seed ^ 0xC4, st.dbtime));
    size_t rn = 0;
    for (uint32_t k = 0; k < o.pages_per_tick; k++) {
        uint64_t pg = 4;
        for (int tries = 0; tries < 16; tries++) {
            pg = 4 + rng_next(&r) % (st.db_pages - 4);
            if (page_type_of(&st, pg) == PGT_LEAF)
                break;
        }
        st.dbtime++;
        page_build(page, &st, pg, st.dbtime, st.dbtime, st.current_gen);
        rc = write_page(dfd, page, st.page_size, pg, dbp);
        if (rc)
            goto out;
        /* Log record: u16 length, u8 op (replace), u8 flags, u32 page,
         * u64 dbtime, 48 bytes of after-image. */
        le_put16(rec + rn, 64);
        rec[rn + 2] = 2;
        rec[rn + 3] = 0;
        le_put32(rec + rn + 4, (uint32_t)pg);
        le_put64(rec + rn + 8, st.dbtime);
        memcpy(rec + rn + 16, page + DCSIM_PAGE_HDR, 48);
        rn += 64;
    }
    if (LOG_DATA + used + rn > DCSIM_LOG_SIZE)
        rn = 0; /* full: the roll below starts a new generation */
    if (rn) {
        if (pwrite(lfd, rec, rn, (off_t)(LOG_DATA + used)) != (ssize_t)rn) {
            rc = dc_fail(DCSIM_E_IO, "%s: append failed (%s)", lgp, strerror(errno));
            goto out;
        }
        used += (uint32_t)rn;
        uint8_t u[4];
        le_put32(u, used);
        if (pwrite(lfd, u, 4, LG_USED) != 4) {
            rc = dc_fail(DCSIM_E_IO, "%s: header update failed", lgp);
            goto out;
        }
    }
    close(lfd);
    lfd = -1;
    if ((o.roll_ticks && tick % o.roll_ticks == 0) ||
        LOG_DATA + used + 64u * o.pages_per_tick > DCSIM_LOG_SIZE) {
        rc = roll_locked(dir, &st);
    } else {
        rc = st_save(dir, &st);
    }
out:
    if (dfd >= 0)
        close(dfd);
    if (lfd >= 0)
        close(lfd);
    free(page);
    free(rec);
    st_unlock(lk);
    return rc;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

dcsim_status dcsim_churn_run(const char *dir, const struct dcsim_churn_opts *in,
                             volatile int *stop)
{
    struct dcsim_churn_opts o;
    churn_defaults(in, &o);
    int64_t end = mono_ms() + o.duration_ms;
    for (uint64_t tick = 1; !(stop && *stop) && mono_ms() < end; tick++) {
        dcsim_status rc = dcsim_churn_tick(dir, &o, tick);
        if (rc == DCSIM_E_STATE)
            return DCSIM_OK; /* went offline: a normal end of churn */
        if (rc)
            return rc;
        struct timespec ts = {(time_t)(o.tick_ms / 1000), (long)(o.tick_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    return DCSIM_OK;
}

struct dcsim_churn {
    port_thread th;
    char dir[PATH_MAX];
    struct dcsim_churn_opts o;
    volatile int stop;
    dcsim_status rc;
    char err[1024];
};

static void *churn_thread(void *arg)
{
    struct dcsim_churn *c = arg;
    c->rc = dcsim_churn_run(c->dir, &c->o, &c->stop);
    if (c->rc)
        snprintf(c->err, sizeof c->err, "%s", dcsim_last_error());
    return NULL;
}

dcsim_status dcsim_churn_start(const char *dir, const struct dcsim_churn_opts *o,
                               struct dcsim_churn **out)
{
    dc_clear_error();
    if (!dir || !out || strlen(dir) >= PATH_MAX)
        return dc_fail(DCSIM_E_ARG, "dcsim_churn_start: bad arguments");
    struct dcsim_churn *c = calloc(1, sizeof *c);
    if (!c)
        return dc_fail(DCSIM_E_NOMEM, "%s: no memory for churn", dir);
    snprintf(c->dir, sizeof c->dir, "%s", dir);
    churn_defaults(o, &c->o);
    if (port_thread_create(&c->th, churn_thread, c) != 0) {
        free(c);
        return dc_fail(DCSIM_E_IO, "%s: cannot start the churn thread", dir);
    }
    *out = c;
    return DCSIM_OK;
}

dcsim_status dcsim_churn_stop(struct dcsim_churn *c)
{
    if (!c)
        return DCSIM_OK;
    c->stop = 1;
    port_thread_join(c->th);
    dcsim_status rc = c->rc;
    if (rc)
        dc_fail(rc, "%s", c->err);
    free(c);
    return rc;
}

dcsim_status dcsim_set_churn_pid(const char *dir, int pid)
{
    struct dc_state st;
    int lk = -1;
    dc_clear_error();
    dcsim_status rc = st_lock(dir, &lk);
    if (rc)
        return rc;
    rc = st_load(dir, &st);
    if (rc == DCSIM_OK) {
        st.churn_pid = pid;
        rc = st_save(dir, &st);
    }
    st_unlock(lk);
    return rc;
}

/* Hard recovery after a completed restore: check, then start a new
 * generation after genHigh. Called with the lock held. */
static dcsim_status recover_locked(const char *dir, struct dc_state *st)
{
    struct dcsim_check_opts co = {.log_dir = st->restore_log_dir[0] ? st->restore_log_dir : NULL,
                                  .gen_low = st->restore_gen_low,
                                  .gen_high = st->restore_gen_high};
    struct dcsim_check_report rep;
    char path[PATH_MAX];
    dcsim_status rc = dcsim_check(dir, &co, &rep);
    if (rc == DCSIM_E_CHECK)
        return dc_fail(DCSIM_E_STATE, "%s: recovery failed, the DC stays down: %s",
                       dir, rep.problem);
    if (rc)
        return rc;
    if (path_join(path, sizeof path, dir, "ntds.dit"))
        return dc_fail(DCSIM_E_ARG, "%s: path too long", dir);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    uint8_t h[DBH_END];
    if (fd < 0 || pread(fd, h, sizeof h, 0) != (ssize_t)sizeof h) {
        if (fd >= 0)
            close(fd);
        return dc_fail(DCSIM_E_IO, "%s: cannot open the restored database", path);
    }
    st->page_size = le_get32(h + DBH_PAGESIZE);
    st->db_pages = le_get64(h + DBH_PAGES);
    st->seed = le_get64(h + DBH_SEED);
    st->db_sig = le_get64(h + DBH_SIG);
    uint32_t hi = rep.gen_last > st->restore_gen_high ? rep.gen_last : st->restore_gen_high;
    st->current_gen = hi + 1;
    st->checkpoint_gen = hi + 1;
    rc = DCSIM_OK;
    if (ftruncate(fd, (off_t)(st->db_pages * st->page_size)) != 0) /* drop restore data */
        rc = dc_fail(DCSIM_E_IO, "%s: cannot drop the restore data (%s)", path,
                     strerror(errno));
    if (rc == DCSIM_OK)
        rc = header_update(fd, st, path);
    close(fd);
    if (rc)
        return rc;
    char lp[PATH_MAX];
    if (path_join(lp, sizeof lp, dir, "edb.log") == 0)
        rc = log_write_new(lp, st, st->current_gen, LGS_OPEN, (uint64_t)dc_now(), 0, 0);
    if (rc == DCSIM_OK && path_join(lp, sizeof lp, dir, "edbtmp.log") == 0)
        rc = log_write_new(lp, st, 0, LGS_SPARE, 0, 0, 0);
    if (rc == DCSIM_OK)
        rc = chk_write(dir, st);
    return rc;
}

dcsim_status dcsim_start(const char *dir)
{
    struct dc_state st;
    int lk = -1;
    dc_clear_error();
    if (!dir)
        return dc_fail(DCSIM_E_ARG, "dcsim_start: dir is NULL");
    dcsim_status rc = st_lock(dir, &lk);
    if (rc)
        return rc;
    rc = st_load(dir, &st);
    if (rc)
        goto out;
    if (st.online)
        goto out;
    if (!strcmp(st.restore_state, "registered")) {
        rc = dc_fail(DCSIM_E_STATE, "%s: a restore is registered but not completed "
                     "(DsRestoreRegisterComplete); the DC will not start", dir);
        goto out;
    }
    if (!strcmp(st.restore_state, "failed")) {
        rc = dc_fail(DCSIM_E_STATE, "%s: the last restore was completed with a failure "
                     "code; restore a valid backup before starting", dir); /* R26 */
        goto out;
    }
    if (!strcmp(st.restore_state, "complete")) {
        rc = recover_locked(dir, &st);
        if (rc)
            goto out;
        strcpy(st.restore_state, "none");
        st.restore_gen_low = st.restore_gen_high = 0;
        st.restore_log_dir[0] = 0;
    }
    st.online = 1;
    rc = st_save(dir, &st);
out:
    st_unlock(lk);
    return rc;
}

dcsim_status dcsim_stop(const char *dir)
{
    struct dc_state st;
    int lk = -1;
    dc_clear_error();
    if (!dir)
        return dc_fail(DCSIM_E_ARG, "dcsim_stop: dir is NULL");
    dcsim_status rc = st_lock(dir, &lk);
    if (rc)
        return rc;
    rc = st_load(dir, &st);
    int pid = 0;
    if (rc == DCSIM_OK) {
        pid = st.churn_pid;
        st.online = 0;
        st.churn_pid = 0;
        rc = st_save(dir, &st);
    }
    st_unlock(lk);
    if (pid > 0 && pid != (int)getpid() && kill(pid, SIGTERM) == 0) {
        /* It also stops by itself at its next tick (offline); wait briefly. */
        for (int i = 0; i < 200 && kill(pid, 0) == 0; i++) {
            struct timespec ts = {0, 10000000L};
            nanosleep(&ts, NULL);
        }
    }
    return rc;
}
