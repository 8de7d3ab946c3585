/*
 * ds_restore.c - one restore of an archive to a directory server through
 * DsRestore (adbk_restore), the sequence of docs/DSBACKUP.md §4.
 *
 *   plan -> same DC? -> expiry check -> privilege -> 1 offline? -> 2 prepare(token) ->
 *   3 locations -> stage (write + verify + fsync under temporary names) ->
 *   4 register -> 5 remove stale logs, rename staged files into place, fsync
 *   folders -> 6 complete(S_OK) -> 7 end (every path).
 *
 * Open questions of the contract (DSBACKUP.md), settled here:
 *  - Copy, then register, or register, then copy (§4 step 4/5, §7)? Both,
 *    split: every file is copied and verified under a temporary name first
 *    (so a damaged archive, a full disk or a cancellation never reaches
 *    registration), then the restore is registered, and only then are the
 *    staged files renamed into place - while registration keeps the
 *    directory from starting on a half-placed set. A failure after
 *    registration is reported to the server with RegisterComplete(failure).
 *  - "Delete the files in the destination directories" (step 5): adbk
 *    deletes the transaction logs there (edb.log, edbtmp.log, edbXXXXX.log)
 *    and the checkpoint edb.chk, since stale newer logs or a newer checkpoint
 *    would spoil hard recovery; it replaces the database by rename and leaves
 *    every other file (reserve logs, the simulator's state) alone.
 *  - Paths: registration gets the locations in the form the server returned
 *    them (UNC for the simulator); files are written through the backend's
 *    local form of the same names. The map has one entry, the database's
 *    path at backup time (its source path in the archive) -> the
 *    BFT_NTDS_DATABASE location. The backup-log path is the log folder (ESE
 *    allows them to be equal).
 *  - genLow/genHigh: from the archived logs' names, which must be
 *    contiguous; the archive's log.generation.* properties must agree.
 *  - If GetDatabaseLocations fails, adbk stops: it does not guess where the
 *    files go from the paths recorded at backup time.
 *  - Patch files go to the checkpoint folder (the docs' rule), as the
 *    database's patch file (ntds.dit -> ntds.pat) and under no other name;
 *    an archive with more than one database or patch file is refused (there
 *    is one database location). No destination comes from a member's name
 *    alone (destinations()).
 *
 * Owns: the restore call order, placement, staging and cleanup. Does not
 * own: the server (dsb.h), reading and checking members (the container
 * library), privileges (platform/).
 */
#include "ds.h"
#include "dsutil.h"
#include "fs.h"
#include "privilege.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TOKEN_MAX (64u << 10) /* far above any expiry token seen */
#define STAGE_PREFIX ".adbk-restore-" /* staged files: PREFIX PID-MEMBER-TRY.partial */

/* A member to put in place. */
struct item {
    size_t member;
    unsigned kind;
    char *dir;    /* destination folder, this machine's path */
    char *base;   /* final name in dir */
    char *tmp;    /* staged name in dir, NULL until created */
    int fd;       /* the staged file, open and flock()ed until placed, so that
                   * no other run takes it for a killed run's leftover */
    bool placed;
};

struct run {
    struct adbk_reader *r;
    struct dsb *dsb;
    const struct adbk_restore_options *o;
    const struct adbk_restore_callbacks *cb;
    struct ds_hooks hooks;  /* cb's warning and cancelled */
    struct adbk_restore_result *res;
    struct adbk_error *err;
    char job[120];         /* "restore of DC01" */
    struct item *items;
    size_t n_items;
    long token, database;  /* member indexes, -1 none */
    /* locations, as the server returned them and as local paths */
    char *loc_ckpt, *loc_log, *loc_db;
    char *ckpt_dir, *log_dir, *db_path;
    /* the file being written */
    struct adbk_fd_sink fds;
    struct adbk_sink sink;
    uint64_t done;
};

static adbk_status interrupted(struct run *r, const char *where)
{
    return adbk_error_set(r->err, ADBK_E_INTERRUPTED, "%s: interrupted %s; nothing was "
                          "registered and the server's files are as they were", r->job, where);
}

static adbk_status server_error(struct run *r, dsb_status ss)
{
    return ds_error(r->dsb, ss, r->job, PLAT_PRIV_RESTORE, r->err);
}

static char *dup_str(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static char *path_join(const char *dir, const char *base)
{
    size_t a = strlen(dir), b = strlen(base);
    char *p = malloc(a + b + 2);
    if (p)
        snprintf(p, a + b + 2, "%s%s%s", dir, a && dir[a - 1] == '/' ? "" : "/", base);
    return p;
}

/* ------------------------------------------------------------ 0. plan */

/* A name taken from the archive that will name a file in a server folder:
 * one plain component, nothing that walks or hides. */
static bool plain_component(const char *b)
{
    if (!*b || !strcmp(b, ".") || !strcmp(b, "..") || strlen(b) > 255)
        return false;
    for (const unsigned char *p = (const unsigned char *)b; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\' || *p == ':')
            return false;
    return true;
}

static bool prop_u32(const struct adbk_reader *r, const char *key, uint32_t *out)
{
    const char *v = adbk_reader_property(r, key);
    if (!v || !*v)
        return false;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || *end || x > UINT32_MAX)
        return false;
    *out = (uint32_t)x;
    return true;
}

/* Which members go where, the log range, and what is missing. */
static adbk_status plan(struct run *r)
{
    size_t n = adbk_reader_count(r->r);
    uint32_t *gens = calloc(n ? n : 1, sizeof *gens);
    r->items = calloc(n ? n : 1, sizeof *r->items);
    if (!gens || !r->items) {
        free(gens);
        return adbk_error_set(r->err, ADBK_E_NOMEM, "%s: no memory to plan %zu members", r->job,
                              n);
    }
    size_t ngen = 0, databases = 0, patches = 0;
    adbk_status st = ADBK_OK;
    r->token = r->database = -1;
    for (size_t i = 0; i < n && st == ADBK_OK; i++) {
        const struct adbk_entry *e = adbk_reader_member(r->r, i);
        const char *base = ds_base_name(e->name);
        switch (e->kind) {
        case ADBK_KIND_EXPIRY_TOKEN:
            if (r->token >= 0)
                st = adbk_error_set(r->err, ADBK_E_CORRUPT, "%s: the archive holds two expiry "
                                    "tokens (%s and %s)", r->job,
                                    adbk_reader_member(r->r, (size_t)r->token)->name, e->name);
            else if (e->size > TOKEN_MAX)
                st = adbk_error_set(r->err, ADBK_E_CORRUPT, "%s: expiry token %s is %llu bytes, "
                                    "more than the %u a token can be", r->job, e->name,
                                    (unsigned long long)e->size, TOKEN_MAX);
            r->token = (long)i;
            continue;
        case ADBK_KIND_DATABASE:
            databases++;
            r->database = (long)i;
            break;
        case ADBK_KIND_LOG:
            if (!ds_log_gen(base, &gens[ngen]))
                st = adbk_error_set(r->err, ADBK_E_UNSUPPORTED, "%s: log member %s is not named "
                                    "edbXXXXX.log, so its generation is unknown and it cannot "
                                    "be registered", r->job, e->name);
            ngen++;
            break;
        case ADBK_KIND_PATCH:
            patches++;
            break;
        default:
            ds_warn(&r->hooks, "%s has no place on a domain controller (kind %s); not restored", e->name,
                 adbk_kind_name(e->kind) ? adbk_kind_name(e->kind) : "unknown");
            continue;
        }
        if (st == ADBK_OK && e->kind != ADBK_KIND_DATABASE && !plain_component(base))
            st = adbk_error_set(r->err, ADBK_E_UNSAFE, "%s: member %s does not end in a plain "
                                "file name; refused", r->job, e->name);
        struct item *it = &r->items[r->n_items++];
        it->member = i;
        it->kind = e->kind;
        it->fd = -1;
    }
    if (st == ADBK_OK && r->token < 0)
        st = adbk_error_set(r->err, ADBK_E_UNSUPPORTED, "%s: the archive holds no expiry token, "
                            "so it is not an online directory backup (adbk backup makes those; "
                            "adbk create packs files, which adbk extract unpacks)", r->job);
    else if (st == ADBK_OK && databases == 0)
        st = adbk_error_set(r->err, ADBK_E_UNSUPPORTED, "%s: the archive holds no database",
                            r->job);
    else if (st == ADBK_OK && databases > 1)
        st = adbk_error_set(r->err, ADBK_E_UNSUPPORTED, "%s: the archive holds %zu databases, "
                            "but the server has one database location", r->job, databases);
    else if (st == ADBK_OK && patches > 1)
        st = adbk_error_set(r->err, ADBK_E_UNSAFE, "%s: the archive holds %zu patch files, but "
                            "its one database has one", r->job, patches);
    else if (st == ADBK_OK && ngen == 0)
        st = adbk_error_set(r->err, ADBK_E_UNSUPPORTED, "%s: the archive holds no transaction "
                            "log; the database copy cannot be recovered without its logs",
                            r->job);
    uint32_t bad;
    bool repeat;
    if (st == ADBK_OK && !ds_gens_contiguous(gens, ngen, &bad, &repeat))
        st = adbk_error_set(r->err, ADBK_E_CORRUPT, "%s: the archive's logs are not contiguous: "
                            "generation 0x%X (edb%05X.log) is %s between 0x%X and 0x%X, so "
                            "recovery would fail (hrMissingLogFile); nothing was restored",
                            r->job, bad, bad, repeat ? "stored twice" : "missing", gens[0],
                            gens[ngen - 1]);
    if (st == ADBK_OK) {
        r->res->gen_low = gens[0];
        r->res->gen_high = gens[ngen - 1];
        uint32_t lo = 0, hi = 0;
        bool has_lo = prop_u32(r->r, "log.generation.low", &lo);
        bool has_hi = prop_u32(r->r, "log.generation.high", &hi);
        if ((has_lo && lo != gens[0]) || (has_hi && hi != gens[ngen - 1]))
            st = adbk_error_set(r->err, ADBK_E_CORRUPT, "%s: the archive's properties give log "
                                "generations 0x%X..0x%X but it holds 0x%X..0x%X; members are "
                                "missing", r->job, has_lo ? lo : gens[0],
                                has_hi ? hi : gens[ngen - 1], gens[0], gens[ngen - 1]);
    }
    free(gens);
    return st;
}

/* ------------------------------------------------------------ which DC */

/* An archive of DC02 restored onto DC09 would give DC09 another machine's
 * identity and replication state; an archive of the simulator restored onto
 * a real DC (or the reverse) is a test double's data. Each comparison is made
 * where both sides know the value, case-insensitively (NetBIOS and DNS names
 * are); a target that cannot name itself cannot be checked, which is refused
 * too. allow_other_dc turns every refusal into a warning. */
static adbk_status check_dc(struct run *r)
{
    struct adbk_restore_result *res = r->res;
    const char *srv = adbk_reader_property(r->r, "server");
    const char *dom = adbk_reader_property(r->r, "domain");
    const char *source = adbk_reader_property(r->r, "source");
    snprintf(res->server, sizeof res->server, "%s", srv ? srv : "");
    snprintf(res->domain, sizeof res->domain, "%s", dom ? dom : "");
    res->simulated = source && !strcmp(source, "dcsim");
    if (dsb_identity(r->dsb, res->target_server, sizeof res->target_server,
                     res->target_domain, sizeof res->target_domain) != DSB_OK)
        res->target_server[0] = res->target_domain[0] = '\0';
    const char *ts = res->target_server, *td = res->target_domain;
    char why[1024] = "";
    if (!*ts)
        snprintf(why, sizeof why, "the server cannot name itself, so adbk cannot tell whether "
                 "the archive (of %s%s%s) is its own", *res->server ? res->server : "an "
                 "unnamed DC", *res->domain ? "." : "", res->domain);
    else if (*res->server && strcasecmp(res->server, ts))
        snprintf(why, sizeof why, "the archive is of %s%s%s, the server is %s%s%s",
                 res->server, *res->domain ? "." : "", res->domain, ts, *td ? "." : "", td);
    else if (*res->domain && *td && strcasecmp(res->domain, td))
        snprintf(why, sizeof why, "the archive is of %s.%s, the server is %s.%s",
                 res->server, res->domain, ts, td);
    else if (res->simulated != dsb_simulated(r->dsb))
        snprintf(why, sizeof why, "the archive is of %s, the server %s",
                 res->simulated ? "a simulated DC (dcsim)" : "a real DC",
                 dsb_simulated(r->dsb) ? "is a simulated DC (dcsim)" : "is a real DC");
    if (!*why)
        return ADBK_OK;
    if (r->o && r->o->allow_other_dc) {
        ds_warn(&r->hooks, "%s: %s; restoring anyway (--allow-other-dc)", r->job, why);
        return ADBK_OK;
    }
    return adbk_error_set(r->err, ADBK_E_OTHER_DC, "%s: %s; nothing was changed (restore "
                          "another DC's archive only on purpose, with --allow-other-dc)",
                          r->job, why);
}

/* ------------------------------------------------------------ expiry */

#define FUTURE_SLACK 86400 /* seconds a backup may be dated ahead of this clock */

static void utc_time(int64_t sec, char *buf, size_t cap)
{
    time_t t = (time_t)sec;
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(buf, cap, "%Y-%m-%d %H:%M UTC", &tm);
}

static adbk_status check_expiry(struct run *r)
{
    const struct adbk_archive_info *in = adbk_reader_info(r->r);
    int64_t now = r->o && r->o->now ? r->o->now : (int64_t)time(NULL);
    int64_t age = now - in->created_sec;
    r->res->age_days = age > 0 ? age / 86400 : 0;
    /* A backup dated ahead of this clock: the backup host's clock or this
     * one is wrong, or the date was set so. Either way the age, and so the
     * tombstone-lifetime check below, means nothing: a years-old backup
     * could pass as fresh and bring back deleted objects. So it is refused
     * like an expired one, with the same override; a day of slack leaves
     * room for clocks set to local time instead of UTC (at most 14 h off). */
    if (age < -FUTURE_SLACK) {
        char when[40] = "an unknown time";
        utc_time(in->created_sec, when, sizeof when);
        long long ahead = (long long)((-age + 43200) / 86400); /* nearest day */
        if (r->o && r->o->allow_expired) {
            ds_warn(&r->hooks, "the backup is dated %s, %lld days ahead of this clock, so its "
                    "age is unknown; restoring it as asked (--allow-expired)", when, ahead);
            return ADBK_OK;
        }
        return adbk_error_set(r->err, ADBK_E_EXPIRED, "%s: the backup is dated %s, %lld days "
                              "ahead of this machine's clock, so its age (and whether it is "
                              "older than the tombstone lifetime) cannot be known; one of the "
                              "clocks is wrong. Nothing was changed; --allow-expired restores "
                              "it anyway", r->job, when, ahead);
    }
    uint32_t tsl = 0;
    if (!prop_u32(r->r, "tombstone.lifetime.days", &tsl) || tsl == 0)
        return ADBK_OK; /* unknown here: the server's check on the token decides */
    r->res->tsl_days = tsl;
    if (age <= (int64_t)tsl * 86400)
        return ADBK_OK;
    char when[40] = "an unknown time";
    utc_time(in->created_sec, when, sizeof when);
    if (r->o && r->o->allow_expired) {
        ds_warn(&r->hooks, "the backup was taken %s and is %lld days old, older than the tombstone "
             "lifetime of %u days; restoring it as asked (--allow-expired) can bring back "
             "objects deleted since then (lingering objects)", when,
             (long long)r->res->age_days, (unsigned)tsl);
        return ADBK_OK;
    }
    return adbk_error_set(r->err, ADBK_E_EXPIRED, "%s: the backup was taken %s and is %lld days "
                          "old, older than the tombstone lifetime of %u days: restoring it can "
                          "bring back objects deleted since then (lingering objects). Nothing "
                          "was changed; --allow-expired restores it anyway", r->job, when,
                          (long long)r->res->age_days, (unsigned)tsl);
}

/* ------------------------------------------------------------ token */

struct membuf {
    uint8_t *p;
    size_t len, cap;
};

static int to_membuf(void *ctx, const void *buf, size_t len)
{
    struct membuf *m = ctx;
    if (len > m->cap - m->len)
        return EFBIG;
    memcpy(m->p + m->len, buf, len);
    m->len += len;
    return 0;
}

static adbk_status prepare(struct run *r)
{
    const struct adbk_entry *e = adbk_reader_member(r->r, (size_t)r->token);
    struct membuf m = {.p = malloc(e->size ? e->size : 1), .cap = e->size};
    if (!m.p)
        return adbk_error_set(r->err, ADBK_E_NOMEM, "%s: no memory for the expiry token", r->job);
    adbk_status st = adbk_reader_read_member(r->r, (size_t)r->token, to_membuf, &m, r->err);
    if (st == ADBK_OK && m.len != e->size)
        st = adbk_error_set(r->err, ADBK_E_CORRUPT, "%s: expiry token %s gave %zu of %llu bytes",
                            r->job, e->name, m.len, (unsigned long long)e->size);
    if (st == ADBK_OK) {
        dsb_status ss = dsb_restore_prepare(r->dsb, m.p, m.len);
        if (ss == DSB_E_TOKEN) {
            bool expired = dsb_last_error(r->dsb)->hr == DS_hrContentsExpired;
            st = adbk_error_set(r->err, expired ? ADBK_E_EXPIRED : ADBK_E_SOURCE,
                                "%s: the server refused the archive's expiry token%s: %s",
                                r->job, expired ? " as expired (its clock and the token "
                                "decide; --allow-expired cannot override the server)"
                                : "", dsb_errmsg(r->dsb));
        } else if (ss != DSB_OK) {
            st = server_error(r, ss);
        }
    }
    free(m.p);
    return st;
}

/* ------------------------------------------------------------ 3. locations */

/* "ntds.dit" -> "ntds.pat": ESE names a database's patch file after it. */
static char *patch_name(const char *db_base)
{
    const char *dot = strrchr(db_base, '.');
    size_t stem = dot && dot != db_base ? (size_t)(dot - db_base) : strlen(db_base);
    char *p = malloc(stem + 5);
    if (p) {
        memcpy(p, db_base, stem);
        memcpy(p + stem, ".pat", 5);
    }
    return p;
}

/* Where each item goes. The folder and the file name come from the server's
 * restore locations and the member's kind, never from the archive alone:
 *   database -> the BFT_NTDS_DATABASE path, whatever the member is called;
 *   log      -> the log folder, under the member's name, which plan() has
 *               checked is edbXXXXX.log (so it cannot name edb.chk, a
 *               reserve log, the database or the server's own files);
 *   patch    -> the checkpoint folder, as the database's patch file
 *               (ntds.dit -> ntds.pat); a patch member called anything else
 *               is refused, for a name would otherwise choose its target.
 * Then no two destinations may be one file (compared without case, as on
 * Windows). All of it before anything is written. */
static adbk_status destinations(struct run *r)
{
    const char *db_base = ds_base_name(r->db_path);
    if (!plain_component(db_base))
        return adbk_error_set(r->err, ADBK_E_SOURCE, "%s: the database location %s names no "
                              "file", r->job, r->db_path);
    for (size_t k = 0; k < r->n_items; k++) {
        struct item *it = &r->items[k];
        const struct adbk_entry *e = adbk_reader_member(r->r, it->member);
        const char *name = ds_base_name(e->name);
        if (it->kind == ADBK_KIND_DATABASE) {
            size_t dl = (size_t)(db_base - r->db_path);
            it->dir = dl == 0 ? dup_str(".", 1) : dup_str(r->db_path, dl == 1 ? 1 : dl - 1);
            it->base = dup_str(db_base, strlen(db_base));
        } else if (it->kind == ADBK_KIND_LOG) {
            it->dir = dup_str(r->log_dir, strlen(r->log_dir));
            it->base = dup_str(name, strlen(name));
        } else { /* ADBK_KIND_PATCH */
            it->dir = dup_str(r->ckpt_dir, strlen(r->ckpt_dir));
            it->base = patch_name(db_base);
            if (it->base && strcasecmp(it->base, name) != 0)
                return adbk_error_set(r->err, ADBK_E_UNSAFE, "%s: patch member %s is not the "
                                      "patch file of the database %s (that is %s), so it has "
                                      "no place on the server; refused, nothing was written",
                                      r->job, e->name, db_base, it->base);
        }
        if (!it->dir || !it->base)
            return adbk_error_set(r->err, ADBK_E_NOMEM, "%s: no memory", r->job);
    }
    for (size_t k = 0; k < r->n_items; k++)
        for (size_t j = 0; j < k; j++) {
            const struct item *a = &r->items[j], *b = &r->items[k];
            if (strcmp(a->dir, b->dir) == 0 && strcasecmp(a->base, b->base) == 0)
                return adbk_error_set(r->err, ADBK_E_UNSAFE, "%s: members %s and %s would "
                                      "both be written to %s/%s; refused, nothing was written",
                                      r->job, adbk_reader_member(r->r, a->member)->name,
                                      adbk_reader_member(r->r, b->member)->name, b->dir,
                                      b->base);
        }
    /* Staged files of restores killed before they finished (kill -9, a
     * crash) would stay beside the directory's files for good. */
    for (size_t k = 0; k < r->n_items; k++) {
        bool seen = false;
        for (size_t j = 0; j < k && !seen; j++)
            seen = !strcmp(r->items[j].dir, r->items[k].dir);
        if (!seen)
            fs_sweep_leftovers(r->items[k].dir, STAGE_PREFIX, 0, ".partial",
                                 r->cb ? r->cb->note : NULL, r->cb ? r->cb->ctx : NULL);
    }
    return ADBK_OK;
}

static adbk_status locations(struct run *r)
{
    struct dsb_name_list l = {0};
    dsb_status ss = dsb_restore_locations(r->dsb, &l);
    if (ss != DSB_OK) {
        adbk_status st = server_error(r, ss);
        size_t len = strlen(r->err->message);
        snprintf(r->err->message + len, sizeof r->err->message - len,
                 "; adbk does not guess where the files go from the backup-time paths");
        return st;
    }
    for (size_t i = 0; i < l.n; i++) {
        char **srv = NULL, **loc = NULL;
        switch (l.v[i].bft) {
        case DS_BFT_CHECKPOINT_DIR: srv = &r->loc_ckpt; loc = &r->ckpt_dir; break;
        case DS_BFT_LOG_DIR: srv = &r->loc_log; loc = &r->log_dir; break;
        case DS_BFT_NTDS_DATABASE: srv = &r->loc_db; loc = &r->db_path; break;
        default: continue;
        }
        if (*srv)
            continue; /* the first of each kind */
        const char *local = l.v[i].local ? l.v[i].local : l.v[i].name;
        *srv = dup_str(l.v[i].name, strlen(l.v[i].name));
        *loc = dup_str(local, strlen(local));
        if (!*srv || !*loc) {
            dsb_names_free(&l);
            return adbk_error_set(r->err, ADBK_E_NOMEM, "%s: no memory", r->job);
        }
    }
    dsb_names_free(&l);
    if (!r->loc_ckpt || !r->loc_log || !r->loc_db)
        return adbk_error_set(r->err, ADBK_E_SOURCE, "%s: DsRestoreGetDatabaseLocations gave no "
                              "%s location", r->job, !r->loc_db ? "database" :
                              !r->loc_log ? "log folder" : "checkpoint folder");
    snprintf(r->res->database, sizeof r->res->database, "%s", r->db_path);
    snprintf(r->res->log_dir, sizeof r->res->log_dir, "%s", r->log_dir);
    return destinations(r);
}

/* ------------------------------------------------------------ staging */

static int write_piece(void *ctx, const void *buf, size_t len)
{
    struct run *r = ctx;
    int rc = r->sink.write(r->sink.ctx, buf, len);
    if (rc != 0)
        return rc;
    r->done += len;
    if (r->cb && r->cb->progress)
        r->cb->progress(r->cb->ctx, r->done);
    return ds_cancelled(&r->hooks) ? -1 : 0;
}

/* Writes member it under a temporary name beside its destination, checking
 * every chunk and the whole content, then fsyncs it. */
static adbk_status stage(struct run *r, struct item *it)
{
    const struct adbk_entry *e = adbk_reader_member(r->r, it->member);
    char *dest = path_join(it->dir, it->base);
    if (!dest)
        return adbk_error_set(r->err, ADBK_E_NOMEM, "%s: no memory", r->job);
    if (r->cb && r->cb->file_begin)
        r->cb->file_begin(r->cb->ctx, e->name, e->kind, e->size, dest);
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        char base[64];
        snprintf(base, sizeof base, STAGE_PREFIX "%ld-%zu-%d.partial", (long)getpid(),
                 it->member, attempt);
        free(it->tmp);
        if (!(it->tmp = path_join(it->dir, base))) {
            free(dest);
            return adbk_error_set(r->err, ADBK_E_NOMEM, "%s: no memory", r->job);
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
    if (fd < 0) {
        int e2 = errno;
        free(it->tmp);
        it->tmp = NULL;
        adbk_status st = adbk_error_set(r->err, ADBK_E_IO, "%s: cannot write in %s (for %s): %s",
                                        r->job, it->dir, dest, strerror(e2));
        free(dest);
        return st;
    }
    adbk_sink_fd(&r->sink, &r->fds, fd, dest);
    r->done = 0;
    adbk_status st = adbk_reader_read_member(r->r, it->member, write_piece, r, r->err);
    if (st == ADBK_E_ABORTED) {
        char where[1200];
        snprintf(where, sizeof where, "while writing %s", dest);
        st = interrupted(r, where);
    } else if (st == ADBK_E_IO) {
        /* The message names the member; add the file and that nothing changed. */
        char m[sizeof r->err->message];
        snprintf(m, sizeof m, "%s", r->err->message);
        st = adbk_error_set(r->err, ADBK_E_IO, "%s: writing %s: %s; nothing was registered",
                            r->job, dest, m);
    } else if (st != ADBK_OK) {
        char m[sizeof r->err->message];
        snprintf(m, sizeof m, "%s", r->err->message);
        st = adbk_error_set(r->err, st, "%s: member %s is damaged, so the restore stopped before "
                            "registration and nothing was changed: %s", r->job, e->name, m);
    }
    if (st == ADBK_OK && fsync(fd) != 0)
        st = adbk_error_set(r->err, ADBK_E_IO, "%s: cannot sync %s: %s", r->job, it->tmp,
                            strerror(errno));
    it->fd = fd; /* closed once placed (place) or removed (free_run) */
    if (st == ADBK_OK)
        r->res->bytes += e->size;
    free(dest);
    return st;
}

/* ------------------------------------------------------------ 5. place */

static bool stale_file(const char *base, bool log_dir, bool ckpt_dir)
{
    uint32_t g;
    if (log_dir && (!strcasecmp(base, "edb.log") || !strcasecmp(base, "edbtmp.log") ||
                    ds_log_gen(base, &g)))
        return true;
    return ckpt_dir && !strcasecmp(base, "edb.chk");
}

static adbk_status remove_stale(struct run *r, const char *dir, bool log_dir, bool ckpt_dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return adbk_error_set(r->err, ADBK_E_IO, "%s: cannot open %s: %s", r->job, dir,
                              strerror(errno));
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return adbk_error_set(r->err, ADBK_E_IO, "%s: cannot list %s: %s", r->job, dir,
                              strerror(errno));
    }
    adbk_status st = ADBK_OK;
    struct dirent *de;
    while (st == ADBK_OK && (de = readdir(d)) != NULL) {
        if (!stale_file(de->d_name, log_dir, ckpt_dir))
            continue;
        if (unlinkat(dirfd(d), de->d_name, 0) != 0 && errno != ENOENT)
            st = adbk_error_set(r->err, ADBK_E_IO, "%s: cannot remove the old %s/%s: %s",
                                r->job, dir, de->d_name, strerror(errno));
    }
    closedir(d);
    return st;
}

static adbk_status sync_dir(struct run *r, const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return adbk_error_set(r->err, ADBK_E_IO, "%s: cannot sync folder %s: %s", r->job, dir,
                              strerror(e));
    }
    close(fd);
    return ADBK_OK;
}

static adbk_status place(struct run *r)
{
    adbk_status st = remove_stale(r, r->log_dir, true, strcmp(r->log_dir, r->ckpt_dir) == 0);
    if (st == ADBK_OK && strcmp(r->log_dir, r->ckpt_dir) != 0)
        st = remove_stale(r, r->ckpt_dir, false, true);
    for (size_t k = 0; k < r->n_items && st == ADBK_OK; k++) {
        struct item *it = &r->items[k];
        char *dest = path_join(it->dir, it->base);
        if (!dest)
            return adbk_error_set(r->err, ADBK_E_NOMEM, "%s: no memory", r->job);
        if (!FS_RENAME_OPEN_FILES) { /* leftover.c */
            close(it->fd);
            it->fd = -1;
        }
        if (rename(it->tmp, dest) != 0)
            st = adbk_error_set(r->err, ADBK_E_IO, "%s: cannot rename %s to %s: %s", r->job,
                                it->tmp, dest, strerror(errno));
        else {
            it->placed = true;
            r->res->files++;
            if (it->fd >= 0)
                close(it->fd); /* fsynced in stage: nothing is left to write */
            it->fd = -1;
        }
        free(dest);
    }
    for (size_t k = 0; k < r->n_items && st == ADBK_OK; k++) {
        bool seen = false; /* each folder once */
        for (size_t j = 0; j < k && !seen; j++)
            seen = !strcmp(r->items[j].dir, r->items[k].dir);
        if (!seen)
            st = sync_dir(r, r->items[k].dir);
    }
    return st;
}

/* ------------------------------------------------------------ the run */

static void free_run(struct run *r)
{
    for (size_t k = 0; k < r->n_items; k++) {
        struct item *it = &r->items[k];
        if (it->fd >= 0)
            close(it->fd);
        if (it->tmp && !it->placed)
            unlink(it->tmp);
        free(it->tmp);
        free(it->dir);
        free(it->base);
    }
    free(r->items);
    free(r->loc_ckpt);
    free(r->loc_log);
    free(r->loc_db);
    free(r->ckpt_dir);
    free(r->log_dir);
    free(r->db_path);
}

adbk_status ds_restore(struct adbk_reader *ar, struct dsb *dsb,
                      const struct adbk_restore_options *o,
                      const struct adbk_restore_callbacks *cb,
                      struct adbk_restore_result *res_out, struct adbk_error *err)
{
    struct adbk_restore_result local;
    struct adbk_restore_result *res = res_out ? res_out : &local;
    memset(res, 0, sizeof *res);
    if (!ar || !dsb)
        return adbk_error_set(err, ADBK_E_ARG, "adbk_restore: no archive or no server");
    struct adbk_error scratch;
    struct run r = {.r = ar, .dsb = dsb, .o = o, .cb = cb, .res = res,
                    .err = err ? err : &scratch};
    if (cb)
        r.hooks = (struct ds_hooks){cb->warning, cb->cancelled, cb->ctx};
    const char *server = adbk_reader_property(ar, "server");
    snprintf(r.job, sizeof r.job, "restore of %s", server && *server ? server : "the archive");

    adbk_status st = plan(&r);
    if (st == ADBK_OK)
        st = check_dc(&r);
    if (st == ADBK_OK)
        st = check_expiry(&r);
    if (st == ADBK_OK) /* before the reader starts its threads */
        st = plat_enable_privilege(PLAT_PRIV_RESTORE, r.err);
    if (st != ADBK_OK) {
        free_run(&r);
        return st;
    }

    /* Step 1. */
    int online = 1;
    dsb_status ss = dsb_is_online(dsb, &online);
    if (ss != DSB_OK)
        st = server_error(&r, ss);
    else if (online)
        st = adbk_error_set(r.err, ADBK_E_SOURCE, "%s: the directory service is running; a "
                            "restore needs it stopped (Directory Services Restore Mode; for "
                            "the simulated DC: dcsim stop)", r.job);
    bool prepared = false;
    if (st == ADBK_OK && ds_cancelled(&r.hooks))
        st = interrupted(&r, "before the restore started");
    if (st == ADBK_OK) {
        st = prepare(&r); /* step 2 */
        prepared = true;  /* End is called whatever prepare said (it is idempotent) */
    }
    if (st == ADBK_OK)
        st = locations(&r); /* step 3 */
    for (size_t k = 0; k < r.n_items && st == ADBK_OK; k++)
        st = ds_cancelled(&r.hooks) ? interrupted(&r, "while writing the files")
                           : stage(&r, &r.items[k]);
    if (st == ADBK_OK && ds_cancelled(&r.hooks))
        st = interrupted(&r, "before registration");

    /* Step 4: only verified, durable files get this far. */
    if (st == ADBK_OK) {
        const struct adbk_entry *db = adbk_reader_member(ar, (size_t)r.database);
        struct ds_rstmap map = {.database_name = db->source_path[0] ? db->source_path
                                                                     : r.loc_db,
                                 .new_database_name = r.loc_db};
        ss = dsb_restore_register(dsb, r.loc_ckpt, r.loc_log, &map, 1, r.loc_log, res->gen_low,
                                  res->gen_high);
        if (ss != DSB_OK)
            st = server_error(&r, ss);
        else
            res->registered = true;
    }
    /* Step 5, then 6. */
    if (st == ADBK_OK)
        st = place(&r);
    if (res->registered) {
        ss = dsb_restore_complete(dsb, st == ADBK_OK ? 0 : DS_E_FAIL);
        if (st == ADBK_OK && ss != DSB_OK)
            st = server_error(&r, ss);
        else if (st == ADBK_OK)
            res->completed = true;
        else {
            char m[sizeof r.err->message];
            snprintf(m, sizeof m, "%s", r.err->message);
            adbk_error_set(r.err, st, "%s; the restore was registered, so it was completed as "
                           "failed and the directory will not start until a restore succeeds",
                           m);
        }
    }
    free_run(&r);
    /* Step 7, on every path once prepared. */
    if (prepared) {
        ss = dsb_restore_end(dsb);
        if (ss != DSB_OK && st == ADBK_OK)
            ds_warn(&r.hooks, "the restore is complete, but ending it failed: %s",
                    dsb_errmsg(dsb));
    }
    return st;
}
