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
#include "privilege.h"
#include "restore.h"

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
/* A member to put in place, and how it is known. */
struct item {
    size_t member;
    unsigned kind;
};

struct run {
    struct restore_ctx c;
    struct dsb *dsb;
    struct stage stage;
    struct item *items;
    size_t n_items;
    long token, database;  /* member indexes, -1 none */
    /* locations, as the server returned them and as local paths */
    char *loc_ckpt, *loc_log, *loc_db;
    char *ckpt_dir, *log_dir, *db_path;
};

#define NOTHING_CHANGED "nothing was registered and the server's files are as they were"

static adbk_status server_error(struct run *r, dsb_status ss)
{
    return ds_error(r->dsb, ss, r->c.job, PLAT_PRIV_RESTORE, r->c.err);
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

/* Which members go where, the log range, and what is missing. */
static adbk_status plan(struct run *r)
{
    size_t n = adbk_reader_count(r->c.r);
    uint32_t *gens = calloc(n ? n : 1, sizeof *gens);
    r->items = calloc(n ? n : 1, sizeof *r->items);
    if (!gens || !r->items) {
        free(gens);
        return adbk_error_set(r->c.err, ADBK_E_NOMEM, "%s: no memory to plan %zu members", r->c.job,
                              n);
    }
    size_t ngen = 0, databases = 0, patches = 0;
    adbk_status st = ADBK_OK;
    r->token = r->database = -1;
    for (size_t i = 0; i < n && st == ADBK_OK; i++) {
        const struct adbk_entry *e = adbk_reader_member(r->c.r, i);
        const char *base = ds_base_name(e->name);
        switch (e->kind) {
        case ADBK_KIND_EXPIRY_TOKEN:
            if (r->token >= 0)
                st = adbk_error_set(r->c.err, ADBK_E_CORRUPT, "%s: the archive holds two expiry "
                                    "tokens (%s and %s)", r->c.job,
                                    adbk_reader_member(r->c.r, (size_t)r->token)->name, e->name);
            else if (e->size > TOKEN_MAX)
                st = adbk_error_set(r->c.err, ADBK_E_CORRUPT, "%s: expiry token %s is %llu bytes, "
                                    "more than the %u a token can be", r->c.job, e->name,
                                    (unsigned long long)e->size, TOKEN_MAX);
            r->token = (long)i;
            continue;
        case ADBK_KIND_DATABASE:
            databases++;
            r->database = (long)i;
            break;
        case ADBK_KIND_LOG:
            if (!ds_log_gen(base, &gens[ngen]))
                st = adbk_error_set(r->c.err, ADBK_E_UNSUPPORTED, "%s: log member %s is not named "
                                    "edbXXXXX.log, so its generation is unknown and it cannot "
                                    "be registered", r->c.job, e->name);
            ngen++;
            break;
        case ADBK_KIND_PATCH:
            patches++;
            break;
        default:
            restore_warn(&r->c, "%s has no place on a domain controller (kind %s); not restored", e->name,
                 adbk_kind_name(e->kind) ? adbk_kind_name(e->kind) : "unknown");
            continue;
        }
        if (st == ADBK_OK && e->kind != ADBK_KIND_DATABASE && !plain_component(base))
            st = adbk_error_set(r->c.err, ADBK_E_UNSAFE, "%s: member %s does not end in a plain "
                                "file name; refused", r->c.job, e->name);
        struct item *it = &r->items[r->n_items++];
        it->member = i;
        it->kind = e->kind;
    }
    if (st == ADBK_OK && r->token < 0)
        st = adbk_error_set(r->c.err, ADBK_E_UNSUPPORTED, "%s: the archive holds no expiry token, "
                            "so it is not an online directory backup (adbk backup makes those; "
                            "adbk create packs files, which adbk extract unpacks)", r->c.job);
    else if (st == ADBK_OK && databases == 0)
        st = adbk_error_set(r->c.err, ADBK_E_UNSUPPORTED, "%s: the archive holds no database",
                            r->c.job);
    else if (st == ADBK_OK && databases > 1)
        st = adbk_error_set(r->c.err, ADBK_E_UNSUPPORTED, "%s: the archive holds %zu databases, "
                            "but the server has one database location", r->c.job, databases);
    else if (st == ADBK_OK && patches > 1)
        st = adbk_error_set(r->c.err, ADBK_E_UNSAFE, "%s: the archive holds %zu patch files, but "
                            "its one database has one", r->c.job, patches);
    else if (st == ADBK_OK && ngen == 0)
        st = adbk_error_set(r->c.err, ADBK_E_UNSUPPORTED, "%s: the archive holds no transaction "
                            "log; the database copy cannot be recovered without its logs",
                            r->c.job);
    uint32_t bad;
    bool repeat;
    if (st == ADBK_OK && !ds_gens_contiguous(gens, ngen, &bad, &repeat))
        st = adbk_error_set(r->c.err, ADBK_E_CORRUPT, "%s: the archive's logs are not contiguous: "
                            "generation 0x%X (edb%05X.log) is %s between 0x%X and 0x%X, so "
                            "recovery would fail (hrMissingLogFile); nothing was restored",
                            r->c.job, bad, bad, repeat ? "stored twice" : "missing", gens[0],
                            gens[ngen - 1]);
    if (st == ADBK_OK) {
        r->c.res->gen_low = gens[0];
        r->c.res->gen_high = gens[ngen - 1];
        uint32_t lo = 0, hi = 0;
        bool has_lo = restore_prop_u32(r->c.r, "log.generation.low", &lo);
        bool has_hi = restore_prop_u32(r->c.r, "log.generation.high", &hi);
        if ((has_lo && lo != gens[0]) || (has_hi && hi != gens[ngen - 1]))
            st = adbk_error_set(r->c.err, ADBK_E_CORRUPT, "%s: the archive's properties give log "
                                "generations 0x%X..0x%X but it holds 0x%X..0x%X; members are "
                                "missing", r->c.job, has_lo ? lo : gens[0],
                                has_hi ? hi : gens[ngen - 1], gens[0], gens[ngen - 1]);
    }
    free(gens);
    return st;
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
    const struct adbk_entry *e = adbk_reader_member(r->c.r, (size_t)r->token);
    struct membuf m = {.p = malloc(e->size ? e->size : 1), .cap = e->size};
    if (!m.p)
        return adbk_error_set(r->c.err, ADBK_E_NOMEM, "%s: no memory for the expiry token", r->c.job);
    adbk_status st = adbk_reader_read_member(r->c.r, (size_t)r->token, to_membuf, &m, r->c.err);
    if (st == ADBK_OK && m.len != e->size)
        st = adbk_error_set(r->c.err, ADBK_E_CORRUPT, "%s: expiry token %s gave %zu of %llu bytes",
                            r->c.job, e->name, m.len, (unsigned long long)e->size);
    if (st == ADBK_OK) {
        dsb_status ss = dsb_restore_prepare(r->dsb, m.p, m.len);
        if (ss == DSB_E_TOKEN) {
            bool expired = dsb_last_error(r->dsb)->hr == DS_hrContentsExpired;
            st = adbk_error_set(r->c.err, expired ? ADBK_E_EXPIRED : ADBK_E_SOURCE,
                                "%s: the server refused the archive's expiry token%s: %s",
                                r->c.job, expired ? " as expired (its clock and the token "
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
        return adbk_error_set(r->c.err, ADBK_E_SOURCE, "%s: the database location %s names no "
                              "file", r->c.job, r->db_path);
    size_t dl = (size_t)(db_base - r->db_path);
    char *db_dir = dl == 0 ? dup_str(".", 1) : dup_str(r->db_path, dl == 1 ? 1 : dl - 1);
    char *pat = patch_name(db_base);
    adbk_status st = db_dir && pat ? ADBK_OK
                                   : adbk_error_set(r->c.err, ADBK_E_NOMEM, "%s: no memory",
                                                    r->c.job);
    for (size_t k = 0; k < r->n_items && st == ADBK_OK; k++) {
        const struct item *it = &r->items[k];
        const struct adbk_entry *e = adbk_reader_member(r->c.r, it->member);
        const char *name = ds_base_name(e->name);
        if (it->kind == ADBK_KIND_DATABASE)
            st = stage_add(&r->stage, it->member, db_dir, db_base);
        else if (it->kind == ADBK_KIND_LOG)
            st = stage_add(&r->stage, it->member, r->log_dir, name);
        else if (strcasecmp(pat, name) != 0) /* ADBK_KIND_PATCH */
            st = adbk_error_set(r->c.err, ADBK_E_UNSAFE, "%s: patch member %s is not the "
                                "patch file of the database %s (that is %s), so it has "
                                "no place on the server; refused, nothing was written",
                                r->c.job, e->name, db_base, pat);
        else
            st = stage_add(&r->stage, it->member, r->ckpt_dir, pat);
    }
    free(db_dir);
    free(pat);
    return st == ADBK_OK ? stage_check(&r->stage) : st;
}

static adbk_status locations(struct run *r)
{
    struct dsb_name_list l = {0};
    dsb_status ss = dsb_restore_locations(r->dsb, &l);
    if (ss != DSB_OK) {
        adbk_status st = server_error(r, ss);
        size_t len = strlen(r->c.err->message);
        snprintf(r->c.err->message + len, sizeof r->c.err->message - len,
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
            return adbk_error_set(r->c.err, ADBK_E_NOMEM, "%s: no memory", r->c.job);
        }
    }
    dsb_names_free(&l);
    if (!r->loc_ckpt || !r->loc_log || !r->loc_db)
        return adbk_error_set(r->c.err, ADBK_E_SOURCE, "%s: DsRestoreGetDatabaseLocations gave no "
                              "%s location", r->c.job, !r->loc_db ? "database" :
                              !r->loc_log ? "log folder" : "checkpoint folder");
    snprintf(r->c.res->database, sizeof r->c.res->database, "%s", r->db_path);
    snprintf(r->c.res->log_dir, sizeof r->c.res->log_dir, "%s", r->log_dir);
    return destinations(r);
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
        return adbk_error_set(r->c.err, ADBK_E_IO, "%s: cannot open %s: %s", r->c.job, dir,
                              strerror(errno));
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return adbk_error_set(r->c.err, ADBK_E_IO, "%s: cannot list %s: %s", r->c.job, dir,
                              strerror(errno));
    }
    adbk_status st = ADBK_OK;
    struct dirent *de;
    while (st == ADBK_OK && (de = readdir(d)) != NULL) {
        if (!stale_file(de->d_name, log_dir, ckpt_dir))
            continue;
        if (unlinkat(dirfd(d), de->d_name, 0) != 0 && errno != ENOENT)
            st = adbk_error_set(r->c.err, ADBK_E_IO, "%s: cannot remove the old %s/%s: %s",
                                r->c.job, dir, de->d_name, strerror(errno));
    }
    closedir(d);
    return st;
}

/* Step 5: stale logs and the checkpoint out, the staged files into place. */
static adbk_status place(struct run *r)
{
    adbk_status st = remove_stale(r, r->log_dir, true, strcmp(r->log_dir, r->ckpt_dir) == 0);
    if (st == ADBK_OK && strcmp(r->log_dir, r->ckpt_dir) != 0)
        st = remove_stale(r, r->ckpt_dir, false, true);
    return st == ADBK_OK ? stage_place(&r->stage) : st;
}

/* ------------------------------------------------------------ the run */

static void free_run(struct run *r)
{
    stage_free(&r->stage);
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
    struct run r = {.dsb = dsb};
    restore_ctx_init(&r.c, ar, o, cb, res, err ? err : &scratch);
    r.stage.c = &r.c;

    adbk_status st = plan(&r);
    char ts[64] = "", td[128] = "";
    if (st == ADBK_OK && dsb_identity(dsb, ts, sizeof ts, td, sizeof td) != DSB_OK)
        ts[0] = td[0] = '\0';
    if (st == ADBK_OK)
        st = restore_check_dc(&r.c, ts, td, dsb_simulated(dsb));
    if (st == ADBK_OK)
        st = restore_check_expiry(&r.c);
    if (st == ADBK_OK) /* before the reader starts its threads */
        st = plat_enable_privilege(PLAT_PRIV_RESTORE, r.c.err);
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
        st = adbk_error_set(r.c.err, ADBK_E_SOURCE, "%s: the directory service is running; a "
                            "restore needs it stopped (Directory Services Restore Mode; for "
                            "the simulated DC: dcsim stop)", r.c.job);
    bool prepared = false;
    if (st == ADBK_OK && restore_cancelled(&r.c))
        st = restore_interrupted(&r.c, "before the restore started", NOTHING_CHANGED);
    if (st == ADBK_OK) {
        st = prepare(&r); /* step 2 */
        prepared = true;  /* End is called whatever prepare said (it is idempotent) */
    }
    if (st == ADBK_OK)
        st = locations(&r); /* step 3 */
    if (st == ADBK_OK)
        st = stage_write_all(&r.stage, NOTHING_CHANGED);
    if (st == ADBK_OK && restore_cancelled(&r.c))
        st = restore_interrupted(&r.c, "before registration", NOTHING_CHANGED);

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
            char m[sizeof r.c.err->message];
            snprintf(m, sizeof m, "%s", r.c.err->message);
            adbk_error_set(r.c.err, st, "%s; the restore was registered, so it was completed as "
                           "failed and the directory will not start until a restore succeeds",
                           m);
        }
    }
    free_run(&r);
    /* Step 7, on every path once prepared. */
    if (prepared) {
        ss = dsb_restore_end(dsb);
        if (ss != DSB_OK && st == ADBK_OK)
            restore_warn(&r.c, "the restore is complete, but ending it failed: %s",
                    dsb_errmsg(dsb));
    }
    return st;
}
