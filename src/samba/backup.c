/*
 * backup.c - the backup of a Samba AD DC (adbk_backup when the DC is a Samba
 * one) as an origin of the job (job.h), the way samba-tool's offline backup
 * takes it, but while the DC runs and with one cut across the partitions:
 *
 *   check:    the configuration is a DC's; its facts (backend, version,
 *             tombstone lifetime) read
 *   members:  the directory databases under one cut (cut.c); secrets.ldb and
 *             secrets.tdb, each under its own lock; then every other
 *             file of the private folder, the state folder (sysvol included)
 *             and smb.conf's folder, each TDB under its own lock
 *   describe: the archive's properties (FORMAT.md §7), the freeze among them
 *
 * Member names: "private/...", "state/...", "etc/..." as samba-tool names
 * them, each file under the most specific of the three folders it is in.
 * Every member carries its owner and its extended attributes (sysvol's NT
 * ACLs in security.NTACL, POSIX ACLs in system.posix_acl_*).
 * Left out as samba-tool leaves them out: sockets, LMDB lock files (remade
 * by LMDB), BIND's regenerable zone files (binddns dir/dns), and runtime
 * TDBs with robust mutexes, which cannot be locked from outside Samba.
 */
#include "samba.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct samba_run {
    struct samba_dc *dc;
    struct adbk_backup_result *res;
    struct samba_cut cut;
    struct walk_opts walk;      /* owners and attributes, through visit() */
    const char *skip_dir;       /* the private folder inside the state folder */
};

/* ------------------------------------------------------------ files */

static bool is_tdb(const char *path)
{
    char head[8];
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    bool yes = fd >= 0 && pread(fd, head, sizeof head, 0) == (ssize_t)sizeof head &&
               !memcmp(head, "TDB file", 8);
    if (fd >= 0)
        close(fd);
    return yes;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && !strcmp(s + n - m, tail);
}

/* What the walk leaves out (see the top), and what the cut and secrets()
 * wrote already. */
static bool left_out(const struct samba_run *r, const char *path, const struct stat *sb)
{
    const struct samba_conf *c = &r->dc->conf;
    char p[PATH_MAX + 32];
    if (S_ISSOCK(sb->st_mode) || S_ISFIFO(sb->st_mode) || ends_with(path, ".sock") ||
        ends_with(path, ".ldb-lock"))
        return true;
    if (r->skip_dir && !strcmp(path, r->skip_dir))
        return true;
    snprintf(p, sizeof p, "%s/sam.ldb", c->private_dir);
    if (!strcmp(path, p))
        return true;
    snprintf(p, sizeof p, "%s/sam.ldb.d/", c->private_dir);
    if (!strncmp(path, p, strlen(p)) && S_ISREG(sb->st_mode))
        return true;
    snprintf(p, sizeof p, "%s/secrets.", c->private_dir);
    if (!strncmp(path, p, strlen(p)) && (ends_with(path, ".ldb") || ends_with(path, ".tdb")))
        return true;
    snprintf(p, sizeof p, "%s/dns", c->binddns_dir);
    return c->binddns_dir[0] && !strcmp(path, p);
}

/* A TDB under its own lock; one that cannot be locked from outside Samba
 * (robust mutexes: runtime state Samba rebuilds) is left out, with a note. */
static adbk_status tdb_file(struct samba_run *r, struct emit *e, const char *path,
                            const char *name, const struct stat *sb)
{
    struct file_meta m;
    adbk_status st = file_meta(&r->walk, path, name, sb, ADBK_KIND_FILE, &m, e->err);
    bool skipped = false;
    if (st == ADBK_OK)
        st = samba_tdb_member(e, path, &m.mi, r->dc->lock_timeout_ms, &skipped);
    file_meta_free(&m);
    if (st == ADBK_OK && skipped && e->cb && e->cb->note) {
        char msg[PATH_MAX + 128];
        snprintf(msg, sizeof msg, "left out %s: a runtime database with mutexes, which Samba "
                 "rebuilds", path);
        e->cb->note(e->cb->ctx, msg);
    }
    return st;
}

static enum walk_act visit(void *ctx, struct emit *e, const char *path, const char *name,
                           const struct stat *sb, adbk_status *st_out)
{
    struct samba_run *r = ctx;
    if (left_out(r, path, sb))
        return WALK_SKIP;
    if (!S_ISREG(sb->st_mode) || !is_tdb(path))
        return WALK_PLAIN;
    *st_out = tdb_file(r, e, path, name, sb);
    return WALK_DONE;
}

/* secrets.ldb, then secrets.tdb, each under its lock. */
static adbk_status secrets(struct samba_run *r, struct emit *e)
{
    const char *files[] = {"secrets.ldb", "secrets.tdb"};
    for (size_t i = 0; i < 2; i++) {
        char path[PATH_MAX + 16], name[64];
        snprintf(path, sizeof path, "%s/%s", r->dc->conf.private_dir, files[i]);
        snprintf(name, sizeof name, "private/%s", files[i]);
        struct stat sb;
        if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        adbk_status st = tdb_file(r, e, path, name, &sb);
        if (st != ADBK_OK)
            return st;
    }
    return ADBK_OK;
}

/* ------------------------------------------------------------ the origin */

static adbk_status check(struct origin *o, struct emit *e)
{
    struct samba_run *r = o->impl;
    return samba_info_read(r->dc, e->err);
}

static adbk_status members(struct origin *o, struct emit *e)
{
    struct samba_run *r = o->impl;
    const struct samba_conf *c = &r->dc->conf;
    adbk_status st = samba_cut(r->dc, e, &r->cut);
    if (st == ADBK_OK)
        st = secrets(r, e);
    /* The private folder lies inside the state folder in a default
     * installation: it is walked once, as "private". */
    if (st == ADBK_OK)
        st = walk_tree(e, &r->walk, c->private_dir, "private");
    r->skip_dir = c->private_dir;
    if (st == ADBK_OK)
        st = walk_tree(e, &r->walk, c->state_dir, "state");
    r->skip_dir = NULL;
    if (st == ADBK_OK)
        st = walk_tree(e, &r->walk, c->etc_dir, "etc");
    return st;
}

static adbk_status describe(struct origin *o, struct emit *e)
{
    struct samba_run *r = o->impl;
    const struct samba_dc *dc = r->dc;
    char tsl[16], frozen[32], host[256] = "", domain[256];
    snprintf(tsl, sizeof tsl, "%u", (unsigned)dc->tombstone_days);
    snprintf(frozen, sizeof frozen, "%.3f", r->cut.freeze_us / 1e6);
    gethostname(host, sizeof host - 1);
    size_t i = 0;
    for (; dc->conf.realm[i] && i + 1 < sizeof domain; i++)
        domain[i] = (char)(dc->conf.realm[i] >= 'A' && dc->conf.realm[i] <= 'Z'
                               ? dc->conf.realm[i] - 'A' + 'a' : dc->conf.realm[i]);
    domain[i] = '\0';
    snprintf(r->res->server, sizeof r->res->server, "%s", dc->conf.netbios);
    snprintf(r->res->domain, sizeof r->res->domain, "%.127s", domain);
    const char *const kv[][2] = {
        {"source", "samba"}, /* FORMAT.md §7 */
        {"server", dc->conf.netbios}, {"domain", domain}, {"backup.type", "full"},
        {"tombstone.lifetime.days", tsl},
        {"tombstone.lifetime.source", dc->tombstone_default ? "default" : "directory"},
        {"samba.realm", dc->conf.realm}, {"samba.workgroup", dc->conf.workgroup},
        {"samba.version", dc->version}, {"samba.backend", dc->backend},
        {"samba.writes.frozen.seconds", frozen}, {"host", host}};
    return emit_properties(e, kv, sizeof kv / sizeof kv[0]);
}

static const struct origin_ops samba_ops = {.check = check, .members = members,
                                            .describe = describe};

adbk_status samba_backup(struct samba_dc *dc, const struct adbk_backup_options *o,
                         const struct adbk_job_callbacks *cb, struct adbk_backup_result *res,
                         struct adbk_error *err)
{
    struct samba_run r = {.dc = dc, .res = res};
    r.walk = (struct walk_opts){.owner = true, .xattrs = true, .visit = visit, .ctx = &r};
    dc->lock_timeout_ms = o->samba.lock_timeout_ms ? o->samba.lock_timeout_ms : 10000;
    dc->max_freeze_ms = o->samba.max_freeze_ms;
    snprintf(res->server, sizeof res->server, "%s", dc->conf.netbios);
    struct origin origin = {&samba_ops, &r};
    char job[128];
    snprintf(job, sizeof job, "backup of %.100s", dc->conf.netbios);
    adbk_status st = job_run(&origin, &o->out, cb, job, res, err);
    res->freeze_us = r.cut.freeze_us;
    res->databases = r.cut.databases;
    return st;
}
