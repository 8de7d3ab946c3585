/*
 * backup.c - DsBackupPrepare .. DsBackupEnd: the backup contract (DSBACKUP.md §1,
 * rules R1-R20 of DSBACKUP.md §8) over a DC folder.
 *
 * Owns: the per-context call sequence, the database stream (fuzzy copy with
 * page checksums verified as streamed, header page marked as a backup copy
 * with genStart, two trailer pages of restore data appended, R16), the log
 * list (roll, then genStart..genEnd), truncation, and the read faults.
 */
#include "api_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

static void sleep_ms(uint32_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Builds the expiry token into a tracked buffer. */
static HRESULT token_make(const struct ctx *c, void **tok_out, DWORD *cb_out)
{
    size_t nl = strlen(c->st.server), total = TOK_FIXED + nl + 8;
    uint8_t *p = dc_buf_alloc(total);
    if (!p)
        return dc_hfail(ERROR_NOT_ENOUGH_MEMORY, "DsBackupPrepare: no memory for "
                        "the expiry token");
    memset(p, 0, total);
    memcpy(p, TOK_MAGIC, 8);
    le_put32(p + 0x08, 1);
    le_put32(p + 0x0C, (uint32_t)total);
    le_put64(p + 0x10, (uint64_t)c->started);
    le_put32(p + 0x18, c->st.tsl_days);
    le_put32(p + 0x1C, c->gen_start);
    le_put64(p + 0x20, c->st.db_sig);
    le_put16(p + 0x28, (uint16_t)nl);
    memcpy(p + TOK_FIXED, c->st.server, nl);
    le_put64(p + TOK_FIXED + nl, XXH3_64bits(p, TOK_FIXED + nl));
    *tok_out = p;
    *cb_out = (DWORD)total;
    return S_OK;
}

HRESULT dcsim_DsBackupPrepare(const char *server, ULONG grbit, ULONG btFlag,
                              void **token_out, DWORD *cb_out, HBC *hbc_out)
{
    static const char call[] = "DsBackupPrepare";
    char dir[PATH_MAX];
    struct dc_state st;
    struct ctx *c = NULL;
    int lk = -1;
    HRESULT hr;
    dc_clear_error();
    if (!hbc_out)
        return dc_hfail(ERROR_INVALID_PARAMETER, "%s: phbc is NULL", call); /* R4 */
    *hbc_out = NULL;
    if (!token_out || !cb_out)
        return dc_hfail(hrInvalidParam, "%s: expiry-token out-pointers are NULL", call); /* R4 */
    *token_out = NULL;
    *cb_out = 0;
    hr = api_resolve(server, call, dir);
    if (hr != S_OK)
        return hr;
    if (st_load(dir, &st) != DCSIM_OK)
        return dc_hfail(hrCouldNotConnect, "%s: %s", call, dcsim_last_error());
    hr = api_priv_check(0, call, &st);
    if (hr != S_OK)
        return hr;
    if (!st.online)
        return dc_hfail(hrCouldNotConnect, "%s(%s): the directory service is not "
                        "running (dcsim start)", call, st.server);
    if (grbit != 0)
        return dc_hfail(ERROR_INVALID_PARAMETER, "%s: grbit 0x%" PRIX32 " must be 0",
                        call, grbit);
    if (btFlag != BACKUP_TYPE_FULL)
        return dc_hfail(ERROR_INVALID_PARAMETER, "%s: backup type 0x%" PRIX32 " not "
                        "supported (AD takes full backups only, R3)", call, btFlag);
    c = api_ctx_new(CTX_BACKUP);
    if (!c)
        return dc_hfail(ERROR_NOT_ENOUGH_MEMORY, "%s: no memory for a context", call);
    if (st_lock(dir, &lk) != DCSIM_OK) {
        hr = dc_hfail(hrCouldNotConnect, "%s: %s", call, dcsim_last_error());
        goto fail;
    }
    if (st_load(dir, &st) != DCSIM_OK) {
        hr = dc_hfail(hrCouldNotConnect, "%s: %s", call, dcsim_last_error());
        goto fail;
    }
    if (st_backup_live(&st)) {
        hr = dc_hfail(hrBackupInProgress, "%s(%s): a backup is already running "
                      "(process %d, R5)", call, st.server, st.backup_pid);
        goto fail;
    }
    c->started = dc_now();
    c->gen_start = st.checkpoint_gen;
    c->backup_id = mix64((uint64_t)c->started ^ ((uint64_t)getpid() << 32), c->id);
    st.backup_pid = (int)getpid();
    st.backup_hold = c->gen_start;
    st.backup_id = c->backup_id;
    if (st_save(dir, &st) != DCSIM_OK) {
        hr = dc_hfail(hrError, "%s: %s", call, dcsim_last_error());
        goto fail;
    }
    st_unlock(lk);
    lk = -1;
    snprintf(c->dir, sizeof c->dir, "%s", dir);
    c->st = st;
    api_unc_prefix(&st, c->prefix, sizeof c->prefix);
    rng_seed(&c->rng, c->backup_id);
    hr = token_make(c, token_out, cb_out);
    if (hr != S_OK) {
        dcsim_DsBackupEnd((HBC)c->id);
        return hr;
    }
    *hbc_out = (HBC)c->id;
    return S_OK;
fail:
    st_unlock(lk);
    api_ctx_free(c);
    return hr;
}

/* Common entry: live handle, not busy, session alive, DC still online. */
static HRESULT enter(HBC hbc, const char *call, struct ctx **out)
{
    struct ctx *c = NULL;
    dc_clear_error();
    HRESULT hr = api_enter(hbc, CTX_BACKUP, call, &c);
    if (hr != S_OK)
        return hr;
    if (c->dead) {
        api_leave(c);
        return dc_hfail(hrNoBackup, "%s: the backup was cancelled by an earlier "
                        "read failure; only DsBackupEnd is allowed", call); /* R17 */
    }
    struct dc_state st;
    if (c->offline || st_load(c->dir, &st) != DCSIM_OK || !st.online) {
        c->offline = 1;
        api_leave(c);
        return dc_hfail(hrCommunicationError, "%s(%s): the directory service went "
                        "offline during the backup", call, c->st.server); /* R18 */
    }
    *out = c;
    return S_OK;
}

static HRESULT check_list_args(const char *call, char **list_out, DWORD *cb_out)
{
    if (!list_out || !cb_out)
        return dc_hfail(ERROR_INVALID_PARAMETER, "%s: NULL out-pointer", call);
    if (*list_out)
        return dc_hfail(ERROR_INVALID_PARAMETER, "%s: *list must be NULL on entry",
                        call); /* R7 */
    return S_OK;
}

static void db_unc(const struct ctx *c, char *out, size_t cap)
{
    snprintf(out, cap, "%s\\ntds.dit", c->prefix);
}

HRESULT dcsim_DsBackupGetDatabaseNames(HBC hbc, char **list_out, DWORD *cb_out)
{
    static const char call[] = "DsBackupGetDatabaseNames";
    struct ctx *c = NULL;
    HRESULT hr = enter(hbc, call, &c);
    if (hr != S_OK)
        return hr;
    hr = check_list_args(call, list_out, cb_out);
    if (hr == S_OK) {
        char name[PATH_MAX];
        db_unc(c, name, sizeof name);
        const char *names[1] = {name};
        const unsigned char bft[1] = {BFT_NTDS_DATABASE};
        hr = api_make_list(call, bft, names, 1, list_out, cb_out);
        if (hr == S_OK)
            c->listed_db = 1;
    }
    api_leave(c);
    return hr;
}

/* R10: a multiple of the page size, at least three pages. */
static int size_ok(const struct ctx *c, DWORD n)
{
    return n % c->st.page_size == 0 && n >= 3 * c->st.page_size;
}

HRESULT dcsim_DsBackupOpenFile(HBC hbc, const char *name, DWORD read_hint,
                               LARGE_INTEGER *size_out)
{
    static const char call[] = "DsBackupOpenFile";
    struct ctx *c = NULL;
    char unc[PATH_MAX], path[PATH_MAX], lname[32];
    HRESULT hr = enter(hbc, call, &c);
    if (hr != S_OK)
        return hr;
    if (!name || !size_out) {
        hr = dc_hfail(ERROR_INVALID_PARAMETER, "%s: NULL name or size pointer", call);
        goto out;
    }
    if (c->open_kind != OPEN_NONE) {
        hr = dc_hfail(hrAlreadyOpen, "%s(%s): %s is still open; one file at a time",
                      call, name, c->open_name); /* R9 */
        goto out;
    }
    if (!size_ok(c, read_hint)) {
        hr = dc_hfail(ERROR_INVALID_PARAMETER, "%s(%s): read hint %" PRIu32 " is not "
                      "a multiple of %" PRIu32 " of at least %" PRIu32, call, /* R10 */
                      name, read_hint, c->st.page_size, 3 * c->st.page_size);
        goto out;
    }
    db_unc(c, unc, sizeof unc);
    struct stat sb;
    if (!strcasecmp(name, unc)) {
        if (!c->listed_db) {
            hr = dc_hfail(ERROR_INVALID_PARAMETER, "%s(%s): not from a returned list; "
                          "call DsBackupGetDatabaseNames first", call, name); /* R8 */
            goto out;
        }
        if (c->listed_logs || c->truncated) {
            hr = dc_hfail(hrInvalidBackupSequence, "%s(%s): databases cannot be "
                          "opened after DsBackupGetBackupLogs/TruncateLogs", /* R14 */
                          call, name);
            goto out;
        }
        path_join(path, sizeof path, c->dir, "ntds.dit");
        c->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (c->fd < 0 || fstat(c->fd, &sb) != 0) {
            hr = dc_hfail(hrFileNotFound, "%s(%s): %s: %s", call, name, path,
                          strerror(errno));
            goto out_close;
        }
        if ((uint64_t)sb.st_size != c->st.db_pages * c->st.page_size) {
            hr = dc_hfail(hrReadVerifyFailure, "%s(%s): %s is %jd bytes, the database "
                          "has %" PRIu64 " pages", call, name, path, (intmax_t)sb.st_size,
                          c->st.db_pages);
            goto out_close;
        }
        c->open_kind = OPEN_DB;
        c->size = (c->st.db_pages + DB_TRAILER_PAGES) * c->st.page_size;
    } else {
        size_t i, pl = strlen(c->prefix);
        for (i = 0; i < c->ngens; i++) {
            log_name(c->gens[i], lname, sizeof lname);
            if (!strncasecmp(name, c->prefix, pl) && name[pl] == '\\' &&
                !strcasecmp(name + pl + 1, lname))
                break;
        }
        if (i == c->ngens) {
            hr = dc_hfail(ERROR_INVALID_PARAMETER, "%s(%s): not a name from a returned "
                          "list, BFT character removed", call, name); /* R8 */
            goto out;
        }
        path_join(path, sizeof path, c->dir, lname);
        c->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (c->fd < 0 || fstat(c->fd, &sb) != 0) {
            hr = dc_hfail(hrFileNotFound, "%s(%s): %s is gone (%s; truncated before it "
                          "was read? R15)", call, name, path, strerror(errno));
            goto out_close;
        }
        c->open_kind = OPEN_LOG;
        c->size = DCSIM_LOG_SIZE;
    }
    snprintf(c->open_name, sizeof c->open_name, "%s", name);
    c->pos = 0;
    c->eof_zero_done = 0;
    size_out->QuadPart = (int64_t)c->size;
    goto out;
out_close:
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
out:
    api_leave(c);
    return hr;
}

/* One page of the database stream into page (page_size bytes). */
static HRESULT stream_page(struct ctx *c, uint64_t pg, uint8_t *page)
{
    uint32_t ps = c->st.page_size;
    const struct dcsim_faults *f = dc_faults();
    if (pg >= c->st.db_pages) {
        /* R16: restore data appended after the file's pages. */
        memset(page, 0, ps);
        le_put32(page + PG_PGNO, (uint32_t)pg);
        le_put16(page + PG_TYPE, PGT_RESTORE);
        le_put32(page + PG_GEN, c->gen_start);
        dbh_fill(page, &c->st, DBS_BACKUP, c->gen_start, (uint64_t)c->started);
        page_seal(page, ps);
        return S_OK;
    }
    /* Churn may be rewriting this page: a torn read is retried, as ESE does,
     * before the checksum failure is believed. */
    for (int attempt = 0;; attempt++) {
        ssize_t n = pread(c->fd, page, ps, (off_t)(pg * ps));
        if (n == (ssize_t)ps && page_verify(page, ps, pg))
            break;
        if (n < 0 && errno == EINTR)
            continue;
        if (attempt == 3)
            return dc_hfail(hrReadVerifyFailure, "DsBackupRead(%s): page %" PRIu64
                            " at offset %" PRIu64 " fails its checksum", c->open_name,
                            pg, pg * ps);
        sleep_ms(1);
    }
    if (f->bad_page >= 0 && (uint64_t)f->bad_page == pg)
        return dc_hfail(hrReadVerifyFailure, "DsBackupRead(%s): page %" PRIu64
                        " at offset %" PRIu64 " fails its checksum (injected)",
                        c->open_name, pg, pg * ps);
    if (pg < 2) {
        /* The copy's header says what recovery needs: logs from genStart. */
        dbh_fill(page, &c->st, DBS_BACKUP, c->gen_start, (uint64_t)c->started);
        page_seal(page, ps);
    }
    return S_OK;
}

static HRESULT read_db(struct ctx *c, uint8_t *dst, size_t want)
{
    uint32_t ps = c->st.page_size;
    uint8_t *tmp = NULL;
    HRESULT hr = S_OK;
    uint64_t pos = c->pos, end = c->pos + want;
    while (pos < end) {
        uint64_t pg = pos / ps, in = pos % ps;
        size_t take = (size_t)(end - pos < ps - in ? end - pos : ps - in);
        if (in == 0 && take == ps) {
            hr = stream_page(c, pg, dst);
        } else {
            if (!tmp && !(tmp = malloc(ps))) {
                hr = dc_hfail(ERROR_NOT_ENOUGH_MEMORY, "DsBackupRead: no memory");
                break;
            }
            hr = stream_page(c, pg, tmp);
            if (hr == S_OK)
                memcpy(dst, tmp + in, take);
        }
        if (hr != S_OK)
            break;
        dst += take;
        pos += take;
    }
    free(tmp);
    return hr;
}

static HRESULT read_log(struct ctx *c, uint8_t *dst, size_t want)
{
    size_t got = 0;
    while (got < want) {
        ssize_t n = pread(c->fd, dst + got, want - got, (off_t)(c->pos + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return dc_hfail(hrFileNotFound, "DsBackupRead(%s): read at %" PRIu64
                            " failed (%s)", c->open_name, c->pos + got,
                            n < 0 ? strerror(errno) : "file shorter than 10 MiB");
        got += (size_t)n;
    }
    return S_OK;
}

static void go_offline(const char *dir)
{
    struct dc_state st;
    int lk = -1;
    if (st_lock(dir, &lk) != DCSIM_OK)
        return;
    if (st_load(dir, &st) == DCSIM_OK) {
        st.online = 0;
        st_save(dir, &st);
    }
    st_unlock(lk);
}

HRESULT dcsim_DsBackupRead(HBC hbc, void *buf, DWORD cb, DWORD *read_out)
{
    static const char call[] = "DsBackupRead";
    struct ctx *c = NULL;
    HRESULT hr = enter(hbc, call, &c);
    if (hr != S_OK)
        return hr;
    const struct dcsim_faults *f = dc_faults();
    uint64_t ncall = 0, total = 0;
    if (!buf || !read_out) {
        hr = dc_hfail(ERROR_INVALID_PARAMETER, "%s: NULL buffer or count pointer", call);
        goto out;
    }
    *read_out = 0;
    if (c->open_kind == OPEN_NONE) {
        hr = dc_hfail(hrInvalidHandle, "%s: no file is open", call); /* R11 */
        goto out;
    }
    if (!size_ok(c, cb)) {
        hr = dc_hfail(ERROR_INVALID_PARAMETER, "%s(%s): buffer of %" PRIu32 " bytes is "
                      "not a multiple of %" PRIu32 " of at least %" PRIu32, call, /* R10 */
                      c->open_name, cb, c->st.page_size, 3 * c->st.page_size);
        goto out;
    }
    api_count_read(0, &ncall, NULL);
    if (f->slow_read_ms)
        sleep_ms(f->slow_read_ms);
    if (f->fail_read_n && ncall == f->fail_read_n) {
        c->dead = 1;
        hr = dc_hfail(f->fail_read_hr, "%s(%s): read %" PRIu64 " failed at offset %"
                      PRIu64 " (injected)", call, c->open_name, ncall, c->pos);
        goto out;
    }
    if (c->pos >= c->size) {
        if (f->eof_zero_read && !c->eof_zero_done) {
            c->eof_zero_done = 1;
            goto out; /* S_OK, 0 bytes: the other end-of-file convention */
        }
        hr = ERROR_HANDLE_EOF; /* R12: every read past the end, pcbRead = 0 */
        goto out;
    }
    uint64_t want = c->size - c->pos < cb ? c->size - c->pos : cb;
    if (f->short_reads && want > 1 && rng_below(&c->rng, 3) == 0)
        want = 1 + rng_next(&c->rng) % (want - 1);
    hr = c->open_kind == OPEN_DB ? read_db(c, buf, (size_t)want)
                                 : read_log(c, buf, (size_t)want);
    if (hr != S_OK) {
        c->dead = 1; /* R17: a read failure cancels the backup */
        goto out;
    }
    c->pos += want;
    *read_out = (DWORD)want;
    api_count_read(want, NULL, &total);
    if (f->offline_after && total >= f->offline_after)
        go_offline(c->dir);
out:
    api_leave(c);
    return hr;
}

HRESULT dcsim_DsBackupClose(HBC hbc)
{
    struct ctx *c = NULL;
    HRESULT hr = enter(hbc, "DsBackupClose", &c);
    if (hr != S_OK)
        return hr;
    if (c->open_kind == OPEN_NONE)
        hr = dc_hfail(hrInvalidHandle, "DsBackupClose: no file is open"); /* R13 */
    else {
        close(c->fd);
        c->fd = -1;
        c->open_kind = OPEN_NONE;
    }
    api_leave(c);
    return hr;
}

HRESULT dcsim_DsBackupGetBackupLogs(HBC hbc, char **list_out, DWORD *cb_out)
{
    static const char call[] = "DsBackupGetBackupLogs";
    struct ctx *c = NULL;
    struct dc_state st;
    int lk = -1;
    char **names = NULL;
    unsigned char *bfts = NULL;
    size_t n = 0;
    HRESULT hr = enter(hbc, call, &c);
    if (hr != S_OK)
        return hr;
    hr = check_list_args(call, list_out, cb_out);
    if (hr != S_OK)
        goto out;
    if (c->open_kind != OPEN_NONE) {
        hr = dc_hfail(hrInvalidBackupSequence, "%s: %s is still open", call, /* R14 */
                      c->open_name);
        goto out;
    }
    if (st_lock(c->dir, &lk) != DCSIM_OK || st_load(c->dir, &st) != DCSIM_OK) {
        hr = dc_hfail(hrCommunicationError, "%s: %s", call, dcsim_last_error());
        goto out;
    }
    /* Close the current generation so every change made during the copy is in
     * a closed log (DSBACKUP.md §5). */
    uint32_t gen_end = st.current_gen;
    if (roll_locked(c->dir, &st) != DCSIM_OK) {
        hr = dc_hfail(hrError, "%s: rolling the log failed: %s", call, dcsim_last_error());
        goto out;
    }
    const struct dcsim_faults *f = dc_faults();
    if (f->missing_log >= c->gen_start && f->missing_log <= gen_end) {
        char ln[32], p[PATH_MAX];
        log_name(f->missing_log, ln, sizeof ln);
        if (path_join(p, sizeof p, c->dir, ln) == 0)
            unlink(p); /* injected: this generation vanished */
    }
    uint32_t count = gen_end - c->gen_start + 1;
    free(c->gens);
    c->gens = calloc(count, sizeof *c->gens);
    names = calloc(count, sizeof *names);
    bfts = calloc(count, 1);
    if (!c->gens || !names || !bfts) {
        hr = dc_hfail(ERROR_NOT_ENOUGH_MEMORY, "%s: no memory", call);
        goto out;
    }
    c->ngens = 0;
    for (uint32_t g = c->gen_start; g <= gen_end; g++) {
        char ln[32], p[PATH_MAX];
        log_name(g, ln, sizeof ln);
        if (path_join(p, sizeof p, c->dir, ln) || access(p, F_OK) != 0)
            continue; /* only logs that exist are listed; a gap is the driver's to see */
        size_t len = strlen(c->prefix) + 1 + strlen(ln) + 1;
        if (!(names[n] = malloc(len))) {
            hr = dc_hfail(ERROR_NOT_ENOUGH_MEMORY, "%s: no memory", call);
            goto out;
        }
        snprintf(names[n], len, "%s\\%s", c->prefix, ln);
        bfts[n++] = BFT_LOG;
        c->gens[c->ngens++] = g;
    }
    hr = api_make_list(call, bfts, (const char *const *)names, n, list_out, cb_out);
    if (hr == S_OK)
        c->listed_logs = 1;
out:
    st_unlock(lk);
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
    free(bfts);
    api_leave(c);
    return hr;
}

HRESULT dcsim_DsBackupTruncateLogs(HBC hbc)
{
    static const char call[] = "DsBackupTruncateLogs";
    struct ctx *c = NULL;
    struct dc_state st;
    int lk = -1;
    HRESULT hr = enter(hbc, call, &c);
    if (hr != S_OK)
        return hr;
    if (c->open_kind != OPEN_NONE) {
        hr = dc_hfail(hrInvalidBackupSequence, "%s: %s is still open", call, /* R14 */
                      c->open_name);
        goto out;
    }
    if (st_lock(c->dir, &lk) != DCSIM_OK || st_load(c->dir, &st) != DCSIM_OK) {
        hr = dc_hfail(hrCommunicationError, "%s: %s", call, dcsim_last_error());
        goto out;
    }
    /* Oldest first, every generation below the current checkpoint (R15). */
    uint32_t lo = st.checkpoint_gen;
    char ln[32], p[PATH_MAX];
    while (lo > 1) {
        log_name(lo - 1, ln, sizeof ln);
        if (path_join(p, sizeof p, c->dir, ln) || access(p, F_OK) != 0)
            break;
        lo--;
    }
    for (uint32_t g = lo; g < st.checkpoint_gen; g++) {
        log_name(g, ln, sizeof ln);
        if (path_join(p, sizeof p, c->dir, ln) == 0 && unlink(p) != 0 && errno != ENOENT) {
            hr = dc_hfail(hrFileAccessDenied, "%s: cannot delete %s (%s)", call, p,
                          strerror(errno));
            break;
        }
    }
    c->truncated = 1;
out:
    st_unlock(lk);
    api_leave(c);
    return hr;
}

HRESULT dcsim_DsBackupEnd(HBC hbc)
{
    struct ctx *c = NULL;
    dc_clear_error();
    HRESULT hr = api_enter(hbc, CTX_BACKUP, "DsBackupEnd", &c);
    if (hr != S_OK)
        return hr;
    struct dc_state st;
    int lk = -1;
    /* Release the log hold if it is still ours. */
    if (st_lock(c->dir, &lk) == DCSIM_OK) {
        if (st_load(c->dir, &st) == DCSIM_OK && st.backup_id == c->backup_id &&
            st.backup_pid == (int)getpid()) {
            st.backup_pid = 0;
            st.backup_hold = 0;
            st.backup_id = 0;
            st_save(c->dir, &st);
        }
        st_unlock(lk);
    }
    api_ctx_free(c);
    return S_OK;
}
