/*
 * state.c - the DC folder's identity and live state, its lock, log files.
 *
 * Owns: dcsim.ini (read, written whole through a temporary file and
 * rename(2) so readers never see half a file), dcsim.lock (flock(2): every
 * change of state, log append and log roll happens under it, whether the
 * other party is a thread or another process), log and checkpoint files,
 * the log roll and circular deletion, the per-thread error text.
 */
#include "dcsim_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

/* ---- errors ------------------------------------------------------------ */

static _Thread_local char last_error[1024];

const char *dcsim_last_error(void)
{
    return last_error;
}

void dc_clear_error(void)
{
    last_error[0] = 0;
}

/* Formats into a buffer of its own first: a message often quotes the one
 * before it (an argument pointing into last_error), which formatting into
 * last_error directly would overwrite while reading it. */
static void set_error(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static void set_error(const char *fmt, va_list ap)
{
    char msg[sizeof last_error];
    vsnprintf(msg, sizeof msg, fmt, ap);
    memcpy(last_error, msg, sizeof msg);
}

dcsim_status dc_fail(dcsim_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(fmt, ap);
    va_end(ap);
    return st;
}

HRESULT dc_hfail(HRESULT hr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(fmt, ap);
    va_end(ap);
    return hr;
}

const char *dcsim_strerror(dcsim_status st)
{
    switch (st) {
    case DCSIM_OK: return "success";
    case DCSIM_E_ARG: return "invalid argument";
    case DCSIM_E_IO: return "input/output error";
    case DCSIM_E_NOMEM: return "out of memory";
    case DCSIM_E_FORMAT: return "not a simulated DC folder or file";
    case DCSIM_E_STATE: return "not allowed in the DC's current state";
    case DCSIM_E_CHECK: return "the set of files is not restorable";
    }
    return "unknown status";
}

/* ---- paths ------------------------------------------------------------- */

int path_join(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

void log_name(uint32_t gen, char *buf, size_t cap)
{
    if (gen > 0xFFFFF)
        snprintf(buf, cap, "edb%08" PRIX32 ".log", gen);
    else
        snprintf(buf, cap, "edb%05" PRIX32 ".log", gen);
}

int log_name_parse(const char *name, uint32_t *gen_out)
{
    size_t n = strlen(name);
    if ((n != 12 && n != 15) || strncasecmp(name, "edb", 3) != 0 ||
        strcasecmp(name + n - 4, ".log") != 0)
        return -1;
    uint32_t g = 0;
    for (size_t i = 3; i < n - 4; i++) {
        char c = name[i];
        int v = c >= '0' && c <= '9' ? c - '0' :
                c >= 'A' && c <= 'F' ? c - 'A' + 10 :
                c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            return -1;
        g = g * 16 + (uint32_t)v;
    }
    *gen_out = g;
    return 0;
}

/* ---- dcsim.ini --------------------------------------------------------- */

static void copy_str(char *dst, size_t cap, const char *v)
{
    snprintf(dst, cap, "%s", v);
}

dcsim_status st_load(const char *dir, struct dc_state *st)
{
    char path[PATH_MAX], line[PATH_MAX + 64];
    memset(st, 0, sizeof *st);
    strcpy(st->restore_state, "none");
    if (path_join(path, sizeof path, dir, "dcsim.ini"))
        return dc_fail(DCSIM_E_ARG, "%s: path too long", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return dc_fail(errno == ENOENT ? DCSIM_E_FORMAT : DCSIM_E_IO,
                       "%s: cannot open (%s); not a DC folder made by "
                       "`dcsim provision`?", path, strerror(errno));
    int have_sig = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        char *eq = strchr(line, '=');
        if (!eq || line[0] == '#')
            continue;
        *eq = 0;
        const char *k = line, *v = eq + 1;
        unsigned long long u = strtoull(v, NULL, 0);
        if (!strcmp(k, "server")) copy_str(st->server, sizeof st->server, v);
        else if (!strcmp(k, "domain")) copy_str(st->domain, sizeof st->domain, v);
        else if (!strcmp(k, "admin_user")) copy_str(st->admin_user, sizeof st->admin_user, v);
        else if (!strcmp(k, "admin_domain")) copy_str(st->admin_domain, sizeof st->admin_domain, v);
        else if (!strcmp(k, "admin_password")) copy_str(st->admin_password, sizeof st->admin_password, v);
        else if (!strcmp(k, "page_size")) st->page_size = (uint32_t)u;
        else if (!strcmp(k, "db_pages")) st->db_pages = u;
        else if (!strcmp(k, "seed")) st->seed = u;
        else if (!strcmp(k, "db_signature")) { st->db_sig = u; have_sig = 1; }
        else if (!strcmp(k, "tombstone_lifetime_days")) st->tsl_days = (uint32_t)u;
        else if (!strcmp(k, "checkpoint_gen")) st->checkpoint_gen = (uint32_t)u;
        else if (!strcmp(k, "current_gen")) st->current_gen = (uint32_t)u;
        else if (!strcmp(k, "dbtime")) st->dbtime = u;
        else if (!strcmp(k, "online")) st->online = (int)u;
        else if (!strcmp(k, "backup_pid")) st->backup_pid = (int)u;
        else if (!strcmp(k, "backup_hold_gen")) st->backup_hold = (uint32_t)u;
        else if (!strcmp(k, "backup_id")) st->backup_id = u;
        else if (!strcmp(k, "churn_pid")) st->churn_pid = (int)u;
        else if (!strcmp(k, "last_backup_log")) st->last_backup_log = (uint32_t)u;
        else if (!strcmp(k, "restore_state")) copy_str(st->restore_state, sizeof st->restore_state, v);
        else if (!strcmp(k, "restore_gen_low")) st->restore_gen_low = (uint32_t)u;
        else if (!strcmp(k, "restore_gen_high")) st->restore_gen_high = (uint32_t)u;
        else if (!strcmp(k, "restore_log_dir")) copy_str(st->restore_log_dir, sizeof st->restore_log_dir, v);
    }
    fclose(f);
    if ((st->page_size != 8192 && st->page_size != 32768) || st->db_pages < 64 ||
        !have_sig || !st->server[0] || !st->current_gen)
        return dc_fail(DCSIM_E_FORMAT, "%s: incomplete identity (page_size, "
                       "db_pages, db_signature, server, current_gen)", path);
    return DCSIM_OK;
}

dcsim_status st_save(const char *dir, const struct dc_state *st)
{
    char path[PATH_MAX], tmp[PATH_MAX + 16];
    if (path_join(path, sizeof path, dir, "dcsim.ini"))
        return dc_fail(DCSIM_E_ARG, "%s: path too long", dir);
    snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return dc_fail(DCSIM_E_IO, "%s: cannot create (%s)", tmp, strerror(errno));
    fprintf(f,
            "# dcsim: simulated domain controller. Identity first, live state after.\n"
            "server=%s\ndomain=%s\nadmin_user=%s\nadmin_domain=%s\nadmin_password=%s\n"
            "page_size=%" PRIu32 "\ndb_pages=%" PRIu64 "\nseed=%" PRIu64 "\n"
            "db_signature=0x%016" PRIX64 "\ntombstone_lifetime_days=%" PRIu32 "\n"
            "checkpoint_gen=0x%" PRIX32 "\ncurrent_gen=0x%" PRIX32 "\n"
            "dbtime=%" PRIu64 "\nonline=%d\nbackup_pid=%d\nbackup_hold_gen=0x%" PRIX32
            "\nbackup_id=%" PRIu64 "\nchurn_pid=%d\nlast_backup_log=0x%" PRIX32 "\n"
            "restore_state=%s\nrestore_gen_low=0x%" PRIX32 "\nrestore_gen_high=0x%" PRIX32
            "\nrestore_log_dir=%s\n",
            st->server, st->domain, st->admin_user, st->admin_domain,
            st->admin_password, st->page_size, st->db_pages, st->seed, st->db_sig,
            st->tsl_days, st->checkpoint_gen, st->current_gen, st->dbtime,
            st->online, st->backup_pid, st->backup_hold, st->backup_id,
            st->churn_pid, st->last_backup_log, st->restore_state,
            st->restore_gen_low, st->restore_gen_high, st->restore_log_dir);
    if (fflush(f) != 0 || ferror(f)) {
        int e = errno;
        fclose(f);
        unlink(tmp);
        return dc_fail(DCSIM_E_IO, "%s: write failed (%s)", tmp, strerror(e));
    }
    fclose(f);
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return dc_fail(DCSIM_E_IO, "%s: rename failed (%s)", path, strerror(e));
    }
    return DCSIM_OK;
}

dcsim_status st_lock(const char *dir, int *fd_out)
{
    char path[PATH_MAX];
    if (path_join(path, sizeof path, dir, "dcsim.lock"))
        return dc_fail(DCSIM_E_ARG, "%s: path too long", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return dc_fail(DCSIM_E_IO, "%s: cannot open lock (%s)", path, strerror(errno));
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            int e = errno;
            close(fd);
            return dc_fail(DCSIM_E_IO, "%s: flock failed (%s)", path, strerror(e));
        }
    }
    *fd_out = fd;
    return DCSIM_OK;
}

void st_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* releases the flock */
}

int st_backup_live(const struct dc_state *st)
{
    if (st->backup_pid <= 0)
        return 0;
    if (st->backup_pid == (int)getpid())
        return 1;
    return kill(st->backup_pid, 0) == 0 || errno == EPERM;
}

/* ---- logs -------------------------------------------------------------- */

static dcsim_status write_all(int fd, const uint8_t *p, size_t n, uint64_t off,
                              const char *path)
{
    while (n) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return dc_fail(DCSIM_E_IO, "%s: write at %" PRIu64 " failed (%s)",
                           path, off, strerror(errno));
        }
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return DCSIM_OK;
}

/* Log records: u16 length, u8 operation, u8 flags, u32 page, u64 dbtime,
 * then the after-image of the changed bytes (text-like and random mix). */
static uint32_t log_fill_records(uint8_t *p, uint32_t cap, struct rng *r,
                                 const struct dc_state *st, uint32_t gen)
{
    uint32_t n = 0;
    uint64_t dbtime = (uint64_t)gen << 20;
    while (n + 300 <= cap) {
        uint32_t len = 24 + rng_below(r, 240);
        le_put16(p + n, (uint16_t)len);
        p[n + 2] = (uint8_t)(1 + rng_below(r, 6));
        p[n + 3] = 0;
        le_put32(p + n + 4, (uint32_t)(rng_next(r) % st->db_pages));
        le_put64(p + n + 8, dbtime++);
        uint32_t body = len - 16;
        if (rng_below(r, 2))
            rng_fill(r, p + n + 16, body);
        else
            for (uint32_t i = 0; i < body; i += 2) {
                p[n + 16 + i] = (uint8_t)('a' + rng_below(r, 26));
                if (i + 1 < body)
                    p[n + 17 + i] = 0;
            }
        n += len;
    }
    return n;
}

static void log_header(uint8_t *h, const struct dc_state *st, uint32_t gen,
                       uint32_t state, uint64_t ctime, uint32_t used)
{
    memset(h, 0, LOG_DATA);
    memcpy(h, LOG_MAGIC, 8);
    le_put32(h + LG_GEN, gen);
    le_put32(h + LG_STATE, state);
    le_put64(h + LG_SIG, st->db_sig);
    le_put64(h + LG_TIME, ctime);
    le_put32(h + LG_USED, used);
    le_put32(h + LG_SIZE, DCSIM_LOG_SIZE);
    le_put32(h + LG_PAGESIZE, st->page_size);
}

dcsim_status log_write_new(const char *path, const struct dc_state *st,
                           uint32_t gen, uint32_t state, uint64_t ctime,
                           uint32_t used, uint64_t rec_seed)
{
    dcsim_status rc = DCSIM_OK;
    uint8_t *buf = NULL;
    int fd = -1;
    if (used > DCSIM_LOG_SIZE - LOG_DATA)
        used = DCSIM_LOG_SIZE - LOG_DATA;
    buf = calloc(1, DCSIM_LOG_SIZE);
    if (!buf) {
        rc = dc_fail(DCSIM_E_NOMEM, "%s: no memory for a log image", path);
        goto out;
    }
    if (used) {
        struct rng r;
        rng_seed(&r, rec_seed);
        used = log_fill_records(buf + LOG_DATA, used, &r, st, gen);
    }
    log_header(buf, st, gen, state, ctime, used);
    if (state == LGS_CLOSED)
        le_put64(buf + LG_CHECKSUM,
                 XXH3_64bits_withSeed(buf + 0x10, DCSIM_LOG_SIZE - 0x10, gen));
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = dc_fail(DCSIM_E_IO, "%s: cannot create (%s)", path, strerror(errno));
        goto out;
    }
    /* Only the used part is written; the zero tail stays sparse. */
    rc = write_all(fd, buf, LOG_DATA + used, 0, path);
    if (rc)
        goto out;
    if (ftruncate(fd, DCSIM_LOG_SIZE) != 0)
        rc = dc_fail(DCSIM_E_IO, "%s: cannot size to %u bytes (%s)", path,
                     DCSIM_LOG_SIZE, strerror(errno));
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    return rc;
}

dcsim_status log_close_fd(int fd, const char *path)
{
    dcsim_status rc = DCSIM_OK;
    uint8_t *buf = malloc(DCSIM_LOG_SIZE);
    if (!buf)
        return dc_fail(DCSIM_E_NOMEM, "%s: no memory to close the log", path);
    size_t got = 0;
    while (got < DCSIM_LOG_SIZE) {
        ssize_t n = pread(fd, buf + got, DCSIM_LOG_SIZE - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = dc_fail(DCSIM_E_IO, "%s: short log (%zu bytes)", path, got);
            goto out;
        }
        got += (size_t)n;
    }
    le_put32(buf + LG_STATE, LGS_CLOSED);
    uint32_t gen = le_get32(buf + LG_GEN);
    le_put64(buf + LG_CHECKSUM,
             XXH3_64bits_withSeed(buf + 0x10, DCSIM_LOG_SIZE - 0x10, gen));
    rc = write_all(fd, buf, 0x30, 0, path);
out:
    free(buf);
    return rc;
}

dcsim_status chk_write(const char *dir, const struct dc_state *st)
{
    char path[PATH_MAX], tmp[PATH_MAX + 16];
    uint8_t buf[CHK_SIZE];
    memset(buf, 0, sizeof buf);
    memcpy(buf, CHK_MAGIC, 8);
    le_put32(buf + 0x10, st->checkpoint_gen);
    le_put64(buf + 0x18, st->db_sig);
    le_put64(buf + 0x08, XXH3_64bits(buf + 0x10, CHK_SIZE - 0x10));
    if (path_join(path, sizeof path, dir, "edb.chk"))
        return dc_fail(DCSIM_E_ARG, "%s: path too long", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return dc_fail(DCSIM_E_IO, "%s: cannot create (%s)", tmp, strerror(errno));
    dcsim_status rc = write_all(fd, buf, sizeof buf, 0, tmp);
    close(fd);
    if (rc == DCSIM_OK && rename(tmp, path) != 0)
        rc = dc_fail(DCSIM_E_IO, "%s: rename failed (%s)", path, strerror(errno));
    return rc;
}

void circular_delete_locked(const char *dir, const struct dc_state *st)
{
    uint32_t hold = st_backup_live(st) && st->backup_hold ? st->backup_hold : UINT32_MAX;
    char name[32], path[PATH_MAX];
    /* Walk down from just below the checkpoint until a generation is absent. */
    for (uint32_t g = st->checkpoint_gen; g-- > 1;) {
        if (g >= hold)
            continue;
        log_name(g, name, sizeof name);
        if (path_join(path, sizeof path, dir, name) || unlink(path) != 0)
            break;
    }
}

dcsim_status roll_locked(const char *dir, struct dc_state *st)
{
    char cur[PATH_MAX], tmpl[PATH_MAX], closed[PATH_MAX], name[32];
    dcsim_status rc;
    if (path_join(cur, sizeof cur, dir, "edb.log") ||
        path_join(tmpl, sizeof tmpl, dir, "edbtmp.log"))
        return dc_fail(DCSIM_E_ARG, "%s: path too long", dir);
    log_name(st->current_gen, name, sizeof name);
    if (path_join(closed, sizeof closed, dir, name))
        return dc_fail(DCSIM_E_ARG, "%s: path too long", dir);
    int fd = open(cur, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return dc_fail(DCSIM_E_IO, "%s: cannot open current log (%s)", cur,
                       strerror(errno));
    rc = log_close_fd(fd, cur);
    close(fd);
    if (rc)
        return rc;
    if (rename(cur, closed) != 0)
        return dc_fail(DCSIM_E_IO, "%s: cannot rename to %s (%s)", cur, name,
                       strerror(errno));
    uint32_t gen = st->current_gen + 1;
    /* edbtmp.log becomes edb.log: rewrite its header for the new generation. */
    uint8_t h[LOG_DATA];
    log_header(h, st, gen, LGS_OPEN, (uint64_t)dc_now(), 0);
    fd = open(tmpl, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        rc = log_write_new(cur, st, gen, LGS_OPEN, (uint64_t)dc_now(), 0, 0);
        if (rc)
            return rc;
    } else {
        rc = write_all(fd, h, sizeof h, 0, tmpl);
        close(fd);
        if (rc)
            return rc;
        if (rename(tmpl, cur) != 0)
            return dc_fail(DCSIM_E_IO, "%s: cannot rename to edb.log (%s)", tmpl,
                           strerror(errno));
    }
    rc = log_write_new(tmpl, st, 0, LGS_SPARE, 0, 0, 0);
    if (rc)
        return rc;
    st->checkpoint_gen = st->current_gen; /* the just-closed log is still needed */
    st->current_gen = gen;
    rc = chk_write(dir, st);
    if (rc == DCSIM_OK)
        rc = db_header_rewrite(dir, st);
    if (rc == DCSIM_OK)
        rc = st_save(dir, st);
    if (rc)
        return rc;
    circular_delete_locked(dir, st);
    return DCSIM_OK;
}

dcsim_status dcsim_roll_log(const char *dir)
{
    struct dc_state st;
    int lk = -1;
    dcsim_status rc = st_lock(dir, &lk);
    if (rc)
        return rc;
    rc = st_load(dir, &st);
    if (rc == DCSIM_OK)
        rc = roll_locked(dir, &st);
    st_unlock(lk);
    return rc;
}
