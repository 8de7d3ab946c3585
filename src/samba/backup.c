/*
 * backup.c - the backup of a Samba AD DC (adbk_backup when the DC is a Samba
 * one) as an origin of the job (job.h), the way samba-tool's offline backup
 * takes it, but while the DC runs and with one cut across the partitions:
 *
 *   check:    the configuration is a DC's; its facts (backend, version,
 *             tombstone lifetime) read
 *   members:  the directory databases under one cut (cut.c); secrets.ldb and
 *             secrets.tdb under their own locks, together; then every other
 *             file of the private folder, the state folder (sysvol included)
 *             and smb.conf's folder, each TDB under its own lock
 *   describe: the archive's properties (FORMAT.md §7), the freeze among them
 *
 * Member names: "private/...", "state/...", "etc/..." as samba-tool names
 * them, each file under the most specific of the three folders it is in.
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

struct plain {
    int fd;
    const char *path;
};

static adbk_status plain_read(void *ctx, void *buf, size_t cap, size_t *got_out,
                              struct adbk_error *err)
{
    struct plain *p = ctx;
    ssize_t n;
    do
        n = read(p->fd, buf, cap);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return adbk_error_set(err, ADBK_E_IO, "cannot read %s: %s", p->path, strerror(errno));
    *got_out = (size_t)n;
    return ADBK_OK;
}

static void stat_meta(struct adbk_member_info *mi, const struct stat *sb)
{
    mi->flags |= ADBK_HAS_MTIME | ADBK_HAS_MODE;
    mi->mtime_sec = sb->st_mtim.tv_sec;
    mi->mtime_nsec = (uint32_t)sb->st_mtim.tv_nsec;
    mi->mode = sb->st_mode & 07777;
}

/* One regular file: a TDB under its own lock, anything else read as it is. */
static adbk_status add_file(struct samba_run *r, struct emit *e, const char *path,
                            const char *name, const struct stat *sb)
{
    struct adbk_member_info mi = {.name = name, .source_path = path, .kind = ADBK_KIND_FILE};
    stat_meta(&mi, sb);
    if (is_tdb(path)) {
        bool skipped = false;
        adbk_status st = samba_tdb_member(e, path, &mi, r->dc->lock_timeout_ms, &skipped);
        if (st == ADBK_OK && skipped && e->cb && e->cb->note) {
            char msg[PATH_MAX + 128];
            snprintf(msg, sizeof msg, "left out %s: a runtime database with mutexes, which "
                     "Samba rebuilds", path);
            e->cb->note(e->cb->ctx, msg);
        }
        return st;
    }
    struct plain p = {open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), path};
    if (p.fd < 0)
        return adbk_error_set(e->err, ADBK_E_IO, "cannot open %s: %s", path, strerror(errno));
    mi.flags |= ADBK_HAS_EXPECTED_SIZE;
    mi.expected_size = (uint64_t)sb->st_size;
    adbk_status st = emit_member(e, &mi, (uint64_t)sb->st_size, 1, plain_read, &p, NULL);
    close(p.fd);
    return st;
}

/* What the walk leaves out (see the top), and what the cut wrote already. */
static bool left_out(const struct samba_run *r, const char *path, const struct stat *sb)
{
    const struct samba_conf *c = &r->dc->conf;
    char p[PATH_MAX + 32];
    if (S_ISSOCK(sb->st_mode) || S_ISFIFO(sb->st_mode) || ends_with(path, ".sock") ||
        ends_with(path, ".ldb-lock"))
        return true;
    snprintf(p, sizeof p, "%s/sam.ldb", c->private_dir);
    if (!strcmp(path, p))
        return true;
    snprintf(p, sizeof p, "%s/sam.ldb.d/", c->private_dir);
    if (!strncmp(path, p, strlen(p)) && !ends_with(path, "-lock") && S_ISREG(sb->st_mode))
        return true;
    snprintf(p, sizeof p, "%s/secrets.", c->private_dir);
    if (!strncmp(path, p, strlen(p)) && (ends_with(path, ".ldb") || ends_with(path, ".tdb")))
        return true;
    snprintf(p, sizeof p, "%s/dns", c->binddns_dir);
    return c->binddns_dir[0] && !strcmp(path, p);
}

static adbk_status walk(struct samba_run *r, struct emit *e, const char *path, const char *name,
                        const char *skip_dir);

static adbk_status add_dir(struct samba_run *r, struct emit *e, const char *path,
                           const char *name, const struct stat *sb, const char *skip_dir)
{
    struct adbk_member_info mi = {.name = name, .source_path = path,
                                  .kind = ADBK_KIND_DIRECTORY};
    stat_meta(&mi, sb);
    adbk_status st = emit_bytes(e, &mi, NULL, 0);
    struct dirent **list;
    int n = st == ADBK_OK ? scandir(path, &list, NULL, alphasort) : 0;
    if (n < 0)
        return adbk_error_set(e->err, ADBK_E_IO, "cannot list %s: %s", path, strerror(errno));
    for (int i = 0; i < n; i++) {
        const char *d = list[i]->d_name;
        if (st == ADBK_OK && strcmp(d, ".") && strcmp(d, "..")) {
            size_t pl = strlen(path) + strlen(d) + 2, nl = strlen(name) + strlen(d) + 2;
            char *cp = malloc(pl), *cn = malloc(nl);
            if (!cp || !cn) {
                st = adbk_error_set(e->err, ADBK_E_NOMEM, "no memory walking %s", path);
            } else {
                snprintf(cp, pl, "%s/%s", path, d);
                snprintf(cn, nl, "%s/%s", name, d);
                st = walk(r, e, cp, cn, skip_dir);
            }
            free(cp);
            free(cn);
        }
        free(list[i]);
    }
    free(list);
    return st;
}

static adbk_status walk(struct samba_run *r, struct emit *e, const char *path, const char *name,
                        const char *skip_dir)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return adbk_error_set(e->err, ADBK_E_IO, "cannot read %s: %s", path, strerror(errno));
    if (left_out(r, path, &sb) || (skip_dir && !strcmp(path, skip_dir)))
        return ADBK_OK;
    if (S_ISDIR(sb.st_mode))
        return add_dir(r, e, path, name, &sb, skip_dir);
    if (S_ISREG(sb.st_mode))
        return add_file(r, e, path, name, &sb);
    emit_warn(e, "skipped %s: %s are not archived", path,
              S_ISLNK(sb.st_mode) ? "symbolic links" : "special files");
    return ADBK_OK;
}

/* ------------------------------------------------------------ the origin */

static adbk_status check(struct origin *o, struct emit *e)
{
    struct samba_run *r = o->impl;
    return samba_info_read(r->dc, e->err);
}

/* secrets.ldb, then secrets.tdb: under their locks together, as samba-tool
 * takes them under a transaction on secrets.ldb. */
static adbk_status secrets(struct samba_run *r, struct emit *e)
{
    const char *files[] = {"secrets.ldb", "secrets.tdb"};
    for (size_t i = 0; i < 2; i++) {
        char path[PATH_MAX + 16], name[64];
        snprintf(path, sizeof path, "%s/%s", r->dc->conf.private_dir, files[i]);
        snprintf(name, sizeof name, "private/%s", files[i]);
        struct stat sb;
        if (stat(path, &sb) != 0)
            continue;
        struct adbk_member_info mi = {.name = name, .source_path = path,
                                      .kind = ADBK_KIND_FILE};
        bool skipped = false;
        adbk_status st = samba_tdb_member(e, path, &mi, r->dc->lock_timeout_ms, &skipped);
        if (st != ADBK_OK)
            return st;
    }
    return ADBK_OK;
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
        st = walk(r, e, c->private_dir, "private", NULL);
    if (st == ADBK_OK)
        st = walk(r, e, c->state_dir, "state", c->private_dir);
    if (st == ADBK_OK)
        st = walk(r, e, c->etc_dir, "etc", NULL);
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
