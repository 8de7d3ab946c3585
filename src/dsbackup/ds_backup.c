/*
 * ds_backup.c - the backup of a directory server through DsBackup
 * (adbk_backup): the nine steps of the walkthrough (docs/DSBACKUP.md §1) as
 * an origin of the job (job.h):
 *
 *   check:    privilege -> 1 online?
 *   members:  2 prepare (token stored at once, step 7, and freed, step 8) ->
 *             3 database names -> 4 open/read.../close each -> 5 log names,
 *             checked gap-free, open/read.../close each
 *   describe: the archive's properties
 *   durable:  6 truncate logs (only now, only if wanted)
 *   end:      9 end, on every path
 *
 * Owns: the call order, member naming, the log-range check, the archive's
 * description. Does not own: the server (dsb.h), the container
 * (adbk_format.h), the output and the job's steps (job.c), privileges
 * (platform/).
 */
#include "ds.h"
#include "dsutil.h"
#include "job.h"
#include "privilege.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ds_run {
    struct dsb *dsb;
    const struct adbk_backup_options *o;
    struct adbk_backup_result *res;
    uint32_t floor;   /* the oldest log the backup needs, 0 unknown */
    bool truncate;    /* the logs are to be truncated once the archive is durable */
};

static adbk_status server_error(struct ds_run *r, struct emit *e, dsb_status ss)
{
    char job[100];
    snprintf(job, sizeof job, "backup of %s", r->res->server);
    return ds_error(r->dsb, ss, job, PLAT_PRIV_BACKUP, e->err);
}

/* ------------------------------------------------------------ check */

static adbk_status check(struct origin *o, struct emit *e)
{
    struct ds_run *r = o->impl;
    /* Before any thread exists (the writer's workers), so they inherit it. */
    adbk_status st = plat_enable_privilege(PLAT_PRIV_BACKUP, e->err);
    if (st != ADBK_OK)
        return st;
    char server[64] = "", domain[128] = "";
    if (dsb_identity(r->dsb, server, sizeof server, domain, sizeof domain) == DSB_OK) {
        if (server[0])
            snprintf(r->res->server, sizeof r->res->server, "%s", server);
        snprintf(r->res->domain, sizeof r->res->domain, "%s", domain);
    }
    /* Step 1. */
    int online = 0;
    dsb_status ss = dsb_is_online(r->dsb, &online);
    if (ss != DSB_OK)
        return server_error(r, e, ss);
    if (!online)
        return adbk_error_set(e->err, ADBK_E_SOURCE,
                              "backup of %s: the directory service is not running "
                              "(DsIsNTDSOnline reports it offline); an online backup needs it "
                              "running", r->res->server);
    return ADBK_OK;
}

/* ------------------------------------------------------------ members */

/* Step 2 and 7/8: the token is stored byte-exact as the first member. */
static adbk_status prepare(struct ds_run *r, struct emit *e)
{
    uint8_t *tok = NULL;
    size_t len = 0;
    dsb_status ss = dsb_prepare(r->dsb, &tok, &len);
    if (ss != DSB_OK)
        return server_error(r, e, ss);
    struct adbk_member_info mi = {.name = "expiry-token", .kind = ADBK_KIND_EXPIRY_TOKEN,
                                  .flags = ADBK_HAS_EXPECTED_SIZE, .expected_size = len};
    adbk_status st = emit_bytes(e, &mi, tok, len);
    free(tok);
    return st;
}

/* What emit_member reads from: the open server file, which must deliver
 * exactly the size announced at open. */
struct ds_stream {
    struct ds_run *r;
    struct emit *e;
    const struct dsb_name *n;
    uint64_t size, done;
};

static adbk_status stream_read(void *ctx, void *buf, size_t cap, size_t *got_out,
                               struct adbk_error *err)
{
    struct ds_stream *s = ctx;
    (void)err; /* e->err, the same place */
    dsb_status ss = dsb_read(s->r->dsb, buf, cap, got_out);
    if (ss == DSB_EOF) {
        *got_out = 0;
        return ADBK_OK;
    }
    if (ss != DSB_OK)
        return server_error(s->r, s->e, ss);
    if (s->done + *got_out > s->size)
        return adbk_error_set(s->e->err, ADBK_E_SOURCE, "backup of %s: %s delivered more than "
                              "the %llu bytes announced at open", s->r->res->server, s->n->name,
                              (unsigned long long)s->size);
    s->done += *got_out;
    return ADBK_OK;
}

/* Step 4 for one listed entry: open, read every byte the server announced
 * straight into the archive, close. folder is "database" or "logs". */
static adbk_status copy_entry(struct ds_run *r, struct emit *e, const struct dsb_name *n,
                              const char *folder)
{
    unsigned kind = ds_kind_of(n->bft);
    char name[600];
    snprintf(name, sizeof name, "%s/%s", kind == ADBK_KIND_PATCH ? "patch" : folder,
             ds_base_name(n->name));
    struct adbk_error why;
    if (adbk_name_check(name, &why) != ADBK_OK)
        return adbk_error_set(e->err, ADBK_E_SOURCE, "backup of %s: listed file %s cannot be "
                              "stored: %s", r->res->server, n->name, why.message);
    struct ds_stream s = {.r = r, .e = e, .n = n};
    dsb_status ss = dsb_open_file(r->dsb, n, &s.size);
    if (ss != DSB_OK)
        return server_error(r, e, ss);
    struct adbk_member_info mi = {
        .name = name, .source_path = n->name, .kind = kind, .bft = n->bft,
        .flags = ADBK_HAS_EXPECTED_SIZE, .expected_size = s.size};
    adbk_status st = emit_member(e, &mi, s.size, DSB_READ_MIN, stream_read, &s, NULL);
    if (st != ADBK_OK)
        return st;
    if (s.done != s.size)
        return adbk_error_set(e->err, ADBK_E_SOURCE, "backup of %s: %s ended after %llu of the "
                              "%llu bytes announced at open", r->res->server, n->name,
                              (unsigned long long)s.done, (unsigned long long)s.size);
    ss = dsb_close_file(r->dsb);
    return ss == DSB_OK ? ADBK_OK : server_error(r, e, ss);
}

static adbk_status copy_list(struct ds_run *r, struct emit *e, const struct dsb_name_list *l,
                             const char *folder)
{
    for (size_t i = 0; i < l->n; i++) {
        adbk_status st = copy_entry(r, e, &l->v[i], folder);
        if (st != ADBK_OK)
            return st;
    }
    return ADBK_OK;
}

/* The logs must cover floor..high without a gap, or the fuzzy database copy
 * cannot be rolled forward (DSBACKUP.md §5): then the backup is worthless. */
static adbk_status check_logs(struct ds_run *r, struct emit *e, const struct dsb_name_list *l)
{
    uint32_t *g = calloc(l->n ? l->n : 1, sizeof *g);
    if (!g)
        return adbk_error_set(e->err, ADBK_E_NOMEM, "no memory for %zu log generations", l->n);
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (ds_kind_of(l->v[i].bft) != ADBK_KIND_LOG)
            continue;
        if (ds_log_gen(ds_base_name(l->v[i].name), &g[n]))
            n++;
        else
            emit_warn(e, "log %s carries no generation in its name; stored, but not counted in "
                      "the log range", l->v[i].name);
    }
    adbk_status st = ADBK_OK;
    uint32_t bad, floor = r->floor;
    bool repeat;
    const char *server = r->res->server;
    if (n == 0)
        st = adbk_error_set(e->err, ADBK_E_SOURCE, "backup of %s: the server listed no "
                            "transaction logs; the database copy cannot be recovered without "
                            "them, so the backup would not be restorable", server);
    else if (!ds_gens_contiguous(g, n, &bad, &repeat))
        st = adbk_error_set(e->err, ADBK_E_SOURCE, "backup of %s: the logs listed are not "
                            "contiguous: generation 0x%X (edb%05X.log) is %s between 0x%X and "
                            "0x%X; the backup would not be restorable", server, bad, bad,
                            repeat ? "listed twice" : "missing", g[0], g[n - 1]);
    else if (floor && g[0] != floor)
        st = adbk_error_set(e->err, ADBK_E_SOURCE, "backup of %s: log generation 0x%X "
                            "(edb%05X.log) is missing: the backup needs every log from 0x%X on "
                            "and the server listed 0x%X..0x%X; the backup would not be "
                            "restorable", server, floor < g[0] ? floor : g[0],
                            floor < g[0] ? floor : g[0], floor, g[0], g[n - 1]);
    if (st == ADBK_OK) {
        r->res->gen_low = g[0];
        r->res->gen_high = g[n - 1];
        r->res->has_logs = true;
    }
    free(g);
    return st;
}

static adbk_status members(struct origin *o, struct emit *e)
{
    struct ds_run *r = o->impl;
    struct dsb_name_list dbs = {0}, logs = {0};
    adbk_status st = prepare(r, e); /* steps 2, 7, 8 */
    dsb_status ss;
    if (st == ADBK_OK)
        r->floor = dsb_log_floor(r->dsb); /* 0 unknown: the contiguity check still runs */
    if (st == ADBK_OK && (ss = dsb_list_databases(r->dsb, &dbs)) != DSB_OK)
        st = server_error(r, e, ss); /* step 3 */
    if (st == ADBK_OK && dbs.n == 0)
        st = adbk_error_set(e->err, ADBK_E_SOURCE, "backup of %s: the server listed no "
                            "database file", r->res->server);
    if (st == ADBK_OK)
        st = copy_list(r, e, &dbs, "database"); /* step 4 */
    if (st == ADBK_OK)
        st = emit_check_cancel(e, "before the logs were listed");
    if (st == ADBK_OK && (ss = dsb_list_logs(r->dsb, &logs)) != DSB_OK)
        st = server_error(r, e, ss); /* step 5 */
    if (st == ADBK_OK)
        st = check_logs(r, e, &logs);
    if (st == ADBK_OK)
        st = copy_list(r, e, &logs, "logs");
    dsb_names_free(&dbs);
    dsb_names_free(&logs);
    return st;
}

/* ------------------------------------------------------------ describe */

static adbk_status describe(struct origin *o, struct emit *e)
{
    struct ds_run *r = o->impl;
    r->truncate = r->o->truncate == ADBK_TRUNCATE_YES ||
                  (r->o->truncate == ADBK_TRUNCATE_AUTO && !e->to_pipe);
    char lo[16], hi[16], tsl[16] = "", host[256] = "";
    uint32_t days = dsb_tombstone_days(r->dsb);
    if (days)
        snprintf(tsl, sizeof tsl, "%u", (unsigned)days);
    snprintf(lo, sizeof lo, "%u", (unsigned)r->res->gen_low);
    snprintf(hi, sizeof hi, "%u", (unsigned)r->res->gen_high);
    gethostname(host, sizeof host - 1);
    const char *const kv[][2] = {
        {"source", r->res->simulated ? "dcsim" : "dsbackup"}, /* FORMAT.md §7 */
        {"server", r->res->server}, {"domain", r->res->domain},
        {"backup.type", "full"}, {"log.generation.low", lo}, {"log.generation.high", hi},
        {"logs.truncate", r->truncate ? "requested" : "no"}, {"tombstone.lifetime.days", tsl},
        {"host", host}};
    return emit_properties(e, kv, sizeof kv / sizeof kv[0]);
}

/* ------------------------------------------------------------ after */

/* Step 6, only once the archive is durable; a failure here leaves a good
 * archive, so it is a warning. */
static void durable(struct origin *o, struct emit *e)
{
    struct ds_run *r = o->impl;
    if (!r->truncate)
        return;
    if (dsb_truncate_logs(r->dsb) == DSB_OK)
        r->res->truncated = true;
    else
        emit_warn(e, "the archive is complete, but the server's logs were not truncated: %s",
                  dsb_errmsg(r->dsb));
}

/* Step 9, on every path (End is idempotent, so also after a failed prepare). */
static void end(struct origin *o, struct emit *e)
{
    struct ds_run *r = o->impl;
    if (dsb_end(r->dsb) != DSB_OK && e->w)
        emit_warn(e, "ending the backup failed: %s", dsb_errmsg(r->dsb));
}

static const struct origin_ops ds_ops = {check, members, describe, durable, end};

adbk_status ds_backup(struct dsb *dsb, const struct adbk_backup_options *o,
                      const struct adbk_job_callbacks *cb, struct adbk_backup_result *res,
                      struct adbk_error *err)
{
    struct ds_run r = {.dsb = dsb, .o = o, .res = res};
    res->simulated = dsb_simulated(dsb);
    snprintf(res->server, sizeof res->server, "%s",
             o->server_label && *o->server_label ? o->server_label : "(local)");
    struct origin origin = {&ds_ops, &r};
    char job[100];
    snprintf(job, sizeof job, "backup of %s", res->server);
    return job_run(&origin, &o->out, cb, job, res, err);
}
