/*
 * backup.c - one full online backup of a directory server into an archive
 * (adbk_backup), the nine steps of the DsBackup walkthrough (the DsBackup API
 * reference, dsbackup-api.md, §1):
 *
 *   privilege -> open archive -> 1 online? -> 2 prepare (token stored at once,
 *   step 7, and freed, step 8) -> 3 database names -> 4 open/read.../close
 *   each -> 5 log names, checked gap-free, open/read.../close each ->
 *   properties -> finish -> durable (fsync, rename, fsync folder) ->
 *   6 truncate logs (only now, only if wanted) -> 9 end.
 *
 * Any failure or cancellation: the writer is freed, the temporary file
 * removed, the backup context ended; logs are never truncated then.
 *
 * Streaming: every read lands straight in the writer's chunk buffer
 * (adbk_writer_reserve -> src read -> adbk_writer_commit). Only when the free
 * space left in a chunk is below the server's minimum read (96 KiB) does a
 * read go through one small bounce buffer and adbk_writer_write. Nothing is
 * staged on disk and no file is held whole in memory.
 *
 * Owns: the call order, member naming, the log-range check, the archive's
 * description. Does not own: the server (source.h), the container
 * (adbk_format.h), durable output (outfile.c), privileges (platform/).
 */
#include "adbk.h"
#include "dsutil.h"
#include "privilege.h"
#include "source.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define READ_MIN (96u << 10)  /* the source's smallest read buffer */
#define BOUNCE (128u << 10)   /* bounce buffer for chunk tails below READ_MIN */

struct run {
    struct source *src;
    struct adbk_writer *w;
    const struct adbk_backup_callbacks *cb;
    struct ds_hooks hooks;  /* cb's warning and cancelled */
    struct adbk_backup_result *res;
    struct adbk_error *err;
    uint8_t *bounce;
};

static adbk_status interrupted(struct run *r, const char *where)
{
    return adbk_error_set(r->err, ADBK_E_INTERRUPTED,
                          "interrupted %s; the backup of %s was abandoned", where, r->res->server);
}

static adbk_status src_err(struct run *r, src_status ss)
{
    char job[100];
    snprintf(job, sizeof job, "backup of %s", r->res->server);
    return ds_source_error(r->src, ss, job, PLAT_PRIV_BACKUP, r->err);
}

/* Step 4 for one listed entry: open, read every byte the server announced
 * straight into the archive, close. folder is "database" or "logs". */
static adbk_status copy_entry(struct run *r, const struct src_name *n, const char *folder)
{
    unsigned kind = ds_kind_of(n->bft);
    const char *base = ds_base_name(n->name);
    char name[600];
    snprintf(name, sizeof name, "%s/%s", kind == ADBK_KIND_PATCH ? "patch" : folder, base);
    struct adbk_error why;
    if (adbk_name_check(name, &why) != ADBK_OK)
        return adbk_error_set(r->err, ADBK_E_SOURCE,
                              "backup of %s: listed file %s cannot be stored: %s",
                              r->res->server, n->name, why.message);
    uint64_t size = 0;
    src_status ss = r->src->ops->open(r->src, n, &size);
    if (ss != SRC_OK)
        return src_err(r, ss);
    struct adbk_member_info mi = {
        .name = name, .source_path = n->name, .kind = kind, .bft = n->bft,
        .flags = ADBK_HAS_EXPECTED_SIZE, .expected_size = size};
    if (r->cb && r->cb->file_begin)
        r->cb->file_begin(r->cb->ctx, name, kind, size);
    adbk_status st = adbk_writer_begin_member(r->w, &mi, r->err);
    uint64_t done = 0;
    while (st == ADBK_OK) {
        if (ds_cancelled(&r->hooks)) {
            char where[640];
            snprintf(where, sizeof where, "while reading %s", n->name);
            return interrupted(r, where);
        }
        void *buf;
        size_t cap, got = 0;
        st = adbk_writer_reserve(r->w, &buf, &cap, r->err);
        if (st != ADBK_OK)
            break;
        bool direct = cap >= READ_MIN;
        if (!direct && !r->bounce && !(r->bounce = malloc(BOUNCE)))
            return adbk_error_set(r->err, ADBK_E_NOMEM, "no memory for a %u-byte read buffer",
                                  BOUNCE);
        ss = r->src->ops->read(r->src, direct ? buf : r->bounce, direct ? cap : BOUNCE, &got);
        if (ss == SRC_EOF)
            break;
        if (ss != SRC_OK)
            return src_err(r, ss);
        if (done + got > size)
            return adbk_error_set(r->err, ADBK_E_SOURCE, "backup of %s: %s delivered more than the "
                           "%llu bytes announced at open", r->res->server, n->name,
                           (unsigned long long)size);
        st = direct ? adbk_writer_commit(r->w, got, r->err)
                    : adbk_writer_write(r->w, r->bounce, got, r->err);
        done += got;
        r->res->bytes_in += got;
        if (r->cb && r->cb->progress)
            r->cb->progress(r->cb->ctx, done);
    }
    if (st != ADBK_OK)
        return st;
    if (done != size)
        return adbk_error_set(r->err, ADBK_E_SOURCE,
                       "backup of %s: %s ended after %llu of the %llu bytes announced at open",
                       r->res->server, n->name,
                       (unsigned long long)done, (unsigned long long)size);
    ss = r->src->ops->close(r->src);
    if (ss != SRC_OK)
        return src_err(r, ss);
    st = adbk_writer_end_member(r->w, r->err);
    if (st == ADBK_OK)
        r->res->files++;
    return st;
}

static adbk_status copy_list(struct run *r, const struct src_name_list *l, const char *folder)
{
    for (size_t i = 0; i < l->n; i++) {
        adbk_status st = copy_entry(r, &l->v[i], folder);
        if (st != ADBK_OK)
            return st;
    }
    return ADBK_OK;
}

/* The logs must cover floor..high without a gap, or the fuzzy database copy
 * cannot be rolled forward (ref §5): then the backup is worthless. */
static adbk_status check_logs(struct run *r, const struct src_name_list *l, uint32_t floor)
{
    uint32_t *g = calloc(l->n ? l->n : 1, sizeof *g);
    if (!g)
        return adbk_error_set(r->err, ADBK_E_NOMEM, "no memory for %zu log generations", l->n);
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (ds_kind_of(l->v[i].bft) != ADBK_KIND_LOG)
            continue;
        if (ds_log_gen(ds_base_name(l->v[i].name), &g[n]))
            n++;
        else
            ds_warn(&r->hooks, "log %s carries no generation in its name; stored, but not counted in the "
                 "log range", l->v[i].name);
    }
    adbk_status st = ADBK_OK;
    uint32_t bad;
    bool repeat;
    if (n == 0) {
        st = adbk_error_set(r->err, ADBK_E_SOURCE, "backup of %s: the server listed no transaction "
                     "logs; the database copy cannot be recovered without them, so the backup "
                     "would not be restorable", r->res->server);
        goto out;
    }
    if (!ds_gens_contiguous(g, n, &bad, &repeat)) {
        st = adbk_error_set(r->err, ADBK_E_SOURCE, "backup of %s: the logs listed are not "
                     "contiguous: generation 0x%X (edb%05X.log) is %s between 0x%X and "
                     "0x%X; the backup would not be restorable", r->res->server, bad, bad,
                     repeat ? "listed twice" : "missing", g[0], g[n - 1]);
        goto out;
    }
    if (floor && g[0] != floor) {
        st = adbk_error_set(r->err, ADBK_E_SOURCE,
                     "backup of %s: log generation 0x%X (edb%05X.log) is missing: the backup "
                     "needs every log from 0x%X on and the server "
                     "listed 0x%X..0x%X; the backup would not be restorable", r->res->server,
                     floor < g[0] ? floor : g[0], floor < g[0] ? floor : g[0], floor, g[0],
                     g[n - 1]);
        goto out;
    }
    r->res->gen_low = g[0];
    r->res->gen_high = g[n - 1];
    r->res->has_logs = true;
out:
    free(g);
    return st;
}

static adbk_status set_props(struct run *r, bool truncate)
{
    char lo[16], hi[16], tsl[16] = "", host[256] = "";
    uint32_t days = 0;
    if (r->src->ops->tombstone_lifetime &&
        r->src->ops->tombstone_lifetime(r->src, &days) == SRC_OK && days)
        snprintf(tsl, sizeof tsl, "%u", (unsigned)days);
    snprintf(lo, sizeof lo, "%u", (unsigned)r->res->gen_low);
    snprintf(hi, sizeof hi, "%u", (unsigned)r->res->gen_high);
    gethostname(host, sizeof host - 1);
    const char *kv[][2] = {
        {"source", r->src->simulated ? "dcsim" : "dsbackup"}, /* FORMAT.md §7 */
        {"server", r->res->server}, {"domain", r->res->domain},
        {"backup.type", "full"}, {"log.generation.low", lo}, {"log.generation.high", hi},
        {"logs.truncate", truncate ? "requested" : "no"}, {"tombstone.lifetime.days", tsl},
        {"host", host}};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
        if (!kv[i][1][0])
            continue; /* unknown domain, lifetime or host: leave the key out */
        adbk_status st = adbk_writer_set_property(r->w, kv[i][0], kv[i][1], r->err);
        if (st != ADBK_OK)
            return st;
    }
    return ADBK_OK;
}

/* Step 2 and 7/8: the token is stored byte-exact as the first member. */
static adbk_status prepare(struct run *r)
{
    uint8_t *tok = NULL;
    size_t len = 0;
    src_status ss = r->src->ops->prepare(r->src, &tok, &len);
    if (ss != SRC_OK)
        return src_err(r, ss);
    struct adbk_member_info mi = {.name = "expiry-token", .kind = ADBK_KIND_EXPIRY_TOKEN,
                                  .flags = ADBK_HAS_EXPECTED_SIZE, .expected_size = len};
    if (r->cb && r->cb->file_begin)
        r->cb->file_begin(r->cb->ctx, mi.name, mi.kind, len);
    adbk_status st = adbk_writer_begin_member(r->w, &mi, r->err);
    if (st == ADBK_OK && len)
        st = adbk_writer_write(r->w, tok, len, r->err);
    if (st == ADBK_OK)
        st = adbk_writer_end_member(r->w, r->err);
    free(tok);
    if (st == ADBK_OK) {
        r->res->files++;
        r->res->bytes_in += len;
    }
    return st;
}

adbk_status adbk_backup(struct source *src, const struct adbk_backup_options *o,
                        const struct adbk_backup_callbacks *cb, struct adbk_backup_result *res_out,
                        struct adbk_error *err)
{
    struct adbk_backup_result local;
    struct adbk_backup_result *res = res_out ? res_out : &local;
    memset(res, 0, sizeof *res);
    if (!src || !src->ops || !o || !o->output || !*o->output)
        return adbk_error_set(err, ADBK_E_ARG, "adbk_backup: no source or no output");
    struct run r = {.src = src, .cb = cb, .res = res, .err = err};
    if (cb)
        r.hooks = (struct ds_hooks){cb->warning, cb->cancelled, cb->ctx};
    res->simulated = src->simulated;
    snprintf(res->server, sizeof res->server, "%s",
             o->server_label && *o->server_label ? o->server_label : "(local)");

    /* Before any thread exists (the writer's workers), so they inherit it. */
    adbk_status st = plat_enable_privilege(PLAT_PRIV_BACKUP, err);
    if (st != ADBK_OK)
        return st;
    if (src->ops->identity) {
        char server[64] = "", domain[128] = "";
        if (src->ops->identity(src, server, sizeof server, domain, sizeof domain) == SRC_OK) {
            if (server[0])
                snprintf(res->server, sizeof res->server, "%s", server);
            snprintf(res->domain, sizeof res->domain, "%s", domain);
        }
    }

    /* Step 1. */
    int online = 0;
    src_status ss = src->ops->is_online(src, &online);
    if (ss != SRC_OK)
        return src_err(&r, ss);
    if (!online)
        return adbk_error_set(err, ADBK_E_SOURCE,
                       "backup of %s: the directory service is not running "
                       "(DsIsNTDSOnline reports it offline); an online backup needs it running",
                       res->server);

    struct adbk_outfile *of = NULL;
    struct src_name_list dbs = {0}, logs = {0};
    bool truncate = false;
    adbk_outfile_sweep(o->output, cb ? cb->note : NULL, cb ? cb->ctx : NULL);
    st = adbk_outfile_open(o->output, o->force, &of, err);
    if (st == ADBK_OK)
        st = adbk_writer_open(adbk_outfile_sink(of), &o->writer, &r.w, err);
    if (st == ADBK_OK && ds_cancelled(&r.hooks))
        st = interrupted(&r, "before the backup started");
    if (st == ADBK_OK)
        st = prepare(&r);             /* steps 2, 7, 8 */
    uint32_t floor = 0;
    if (st == ADBK_OK && src->ops->log_floor && src->ops->log_floor(src, &floor) != SRC_OK)
        floor = 0; /* unknown: the contiguity check still runs */
    if (st == ADBK_OK && (ss = src->ops->list_databases(src, &dbs)) != SRC_OK)
        st = src_err(&r, ss);         /* step 3 */
    if (st == ADBK_OK && dbs.n == 0)
        st = adbk_error_set(err, ADBK_E_SOURCE, "backup of %s: the server listed no database file",
                     res->server);
    if (st == ADBK_OK)
        st = copy_list(&r, &dbs, "database"); /* step 4 */
    if (st == ADBK_OK && ds_cancelled(&r.hooks))
        st = interrupted(&r, "before the logs were listed");
    if (st == ADBK_OK && (ss = src->ops->list_logs(src, &logs)) != SRC_OK)
        st = src_err(&r, ss);         /* step 5 */
    if (st == ADBK_OK)
        st = check_logs(&r, &logs, floor);
    if (st == ADBK_OK)
        st = copy_list(&r, &logs, "logs");
    truncate = o->truncate == ADBK_TRUNCATE_YES ||
               (o->truncate == ADBK_TRUNCATE_AUTO && of && !adbk_outfile_is_pipe(of));
    if (st == ADBK_OK)
        st = set_props(&r, truncate);
    if (st == ADBK_OK && ds_cancelled(&r.hooks))
        st = interrupted(&r, "before the archive was finished");
    if (st == ADBK_OK)
        st = adbk_writer_finish(r.w, err);
    if (st == ADBK_OK && ds_cancelled(&r.hooks))
        st = interrupted(&r, "before the archive was committed");
    if (st == ADBK_OK)
        st = adbk_outfile_commit(of, err); /* durable under its final name */
    if (r.w) {
        struct adbk_writer_stats ws;
        adbk_writer_get_stats(r.w, &ws);
        res->bytes_out = ws.bytes_out;
        memcpy(res->xxh128, ws.file_xxh128, sizeof res->xxh128);
    }
    /* Step 6, only once the archive is durable; a failure here leaves a good
     * archive, so it is a warning. */
    if (st == ADBK_OK && truncate) {
        ss = src->ops->truncate_logs(src);
        if (ss == SRC_OK)
            res->truncated = true;
        else
            ds_warn(&r.hooks, "the archive is complete, but the server's logs were not truncated: %s",
                 src_errmsg(src));
    }
    src_names_free(&dbs);
    src_names_free(&logs);
    free(r.bounce);
    adbk_writer_free(r.w);
    adbk_outfile_abort(of); /* removes the temporary file unless committed */
    /* Step 9, on every path (End is idempotent, so also after a failed prepare). */
    ss = src->ops->end(src);
    if (ss != SRC_OK && st == ADBK_OK)
        ds_warn(&r.hooks, "the archive is complete, but ending the backup failed: %s", src_errmsg(src));
    return st;
}
