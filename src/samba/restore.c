/*
 * restore.c - the restore of a Samba AD DC from its archive (adbk_restore
 * when the DC is a Samba one), onto the stopped DC its smb.conf describes:
 *
 *   the archive must be a Samba DC's backup -> the DC's daemon must not run
 *   -> the archive must be of this DC (server and domain) -> not older than
 *   its tombstone lifetime nor dated ahead -> restore privilege -> plan
 *   (each member's destination from its first component: private/, state/,
 *   etc/ go to the folders the DC's configuration names; anything else is
 *   refused before anything is written) -> folders made -> stage: every
 *   file written under a temporary name beside its destination, checked
 *   as it streams, given its owner, mode, extended attributes (sysvol's ACLs)
 *   and time, synced -> the partitions' LMDB lock files removed (LMDB makes
 *   them anew) -> staged files renamed into place, folders synced -> folders
 *   given their owner, mode, attributes and time.
 *
 * So a damaged member, a full disk or a cancellation during staging leaves
 * the DC's files as they were. Files of the DC that the archive does not
 * hold are left alone.
 */
#include "privilege.h"
#include "restore.h"
#include "samba.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOTHING_CHANGED "nothing was changed"

struct srun {
    struct restore_ctx c;
    struct samba_dc *dc;
    struct stage stage;
    size_t *dirs;          /* directory members, made and given their metadata */
    char **dir_paths;
    size_t ndirs;
};

/* The destination of member name on this DC: the folder its first
 * component stands for, and the rest. NULL when it has no place here. */
static char *destination(const struct samba_conf *c, const char *name)
{
    static const char *const roots[] = {"private", "state", "etc"};
    const char *dirs[] = {c->private_dir, c->state_dir, c->etc_dir};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(roots[i]);
        if (strncmp(name, roots[i], n) || (name[n] != '/' && name[n] != '\0'))
            continue;
        size_t len = strlen(dirs[i]) + strlen(name + n) + 1;
        char *p = malloc(len);
        if (p)
            snprintf(p, len, "%s%s", dirs[i], name + n);
        return p;
    }
    return NULL;
}

/* mkdir -p, refusing anything on the way that is not a folder (a symlink
 * planted where a folder should be would lead the files elsewhere). */
static adbk_status make_dirs(struct srun *r, const char *path)
{
    char *p = strdup(path);
    if (!p)
        return adbk_error_set(r->c.err, ADBK_E_NOMEM, "%s: no memory", r->c.job);
    adbk_status st = ADBK_OK;
    for (char *s = p + 1; st == ADBK_OK; s++) {
        bool end = *s == '\0';
        if (*s != '/' && !end)
            continue;
        *s = '\0';
        struct stat sb;
        if (mkdir(p, 0700) != 0 && errno != EEXIST)
            st = adbk_error_set(r->c.err, ADBK_E_IO, "%s: cannot make folder %s: %s", r->c.job,
                                p, strerror(errno));
        else if (lstat(p, &sb) != 0 || !S_ISDIR(sb.st_mode))
            st = adbk_error_set(r->c.err, ADBK_E_UNSAFE, "%s: %s is in the way of a folder "
                                "(not a folder itself); refused", r->c.job, p);
        if (end)
            break;
        *s = '/';
    }
    free(p);
    return st;
}

static adbk_status plan(struct srun *r)
{
    size_t n = adbk_reader_count(r->c.r);
    r->dirs = calloc(n ? n : 1, sizeof *r->dirs);
    r->dir_paths = calloc(n ? n : 1, sizeof *r->dir_paths);
    if (!r->dirs || !r->dir_paths)
        return adbk_error_set(r->c.err, ADBK_E_NOMEM, "%s: no memory", r->c.job);
    adbk_status st = ADBK_OK;
    for (size_t i = 0; i < n && st == ADBK_OK; i++) {
        const struct adbk_entry *e = adbk_reader_member(r->c.r, i);
        struct adbk_error why;
        if (adbk_name_check(e->name, &why) != ADBK_OK)
            return adbk_error_set(r->c.err, ADBK_E_UNSAFE, "%s: %s; refused, %s", r->c.job,
                                  why.message, NOTHING_CHANGED);
        char *dest = destination(&r->dc->conf, e->name);
        if (!dest)
            return adbk_error_set(r->c.err, ADBK_E_UNSAFE, "%s: member %s has no place on a "
                                  "Samba DC (its names start with private/, state/ or etc/); "
                                  "refused, %s", r->c.job, e->name, NOTHING_CHANGED);
        if (e->kind == ADBK_KIND_DIRECTORY) {
            r->dirs[r->ndirs] = i;
            r->dir_paths[r->ndirs++] = dest;
            continue;
        }
        char *slash = strrchr(dest, '/');
        *slash = '\0';
        st = stage_add(&r->stage, i, dest, slash + 1);
        free(dest);
    }
    return st == ADBK_OK ? stage_check(&r->stage) : st;
}

/* The folders, made before the files are staged in them. */
static adbk_status make_folders(struct srun *r)
{
    adbk_status st = ADBK_OK;
    for (size_t k = 0; k < r->ndirs && st == ADBK_OK; k++)
        st = make_dirs(r, r->dir_paths[k]);
    for (size_t k = 0; k < r->stage.n && st == ADBK_OK; k++)
        st = make_dirs(r, r->stage.items[k].dir);
    return st;
}

/* LMDB lock files of the partitions being replaced: a lock file belongs to
 * its database file, and LMDB makes a new one. */
static adbk_status remove_lock_files(struct srun *r)
{
    char dir[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/sam.ldb.d", r->dc->conf.private_dir);
    DIR *d = opendir(dir);
    if (!d)
        return ADBK_OK;
    adbk_status st = ADBK_OK;
    struct dirent *de;
    while (st == ADBK_OK && (de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n > 9 && !strcmp(de->d_name + n - 9, ".ldb-lock") &&
            unlinkat(dirfd(d), de->d_name, 0) != 0 && errno != ENOENT)
            st = adbk_error_set(r->c.err, ADBK_E_IO, "%s: cannot remove %s/%s: %s", r->c.job,
                                dir, de->d_name, strerror(errno));
    }
    closedir(d);
    return st;
}

/* A folder's owner, mode, attributes and time, last, deepest first:
 * placing files in a folder changes its time. */
static adbk_status folder_meta(struct srun *r)
{
    for (size_t k = r->ndirs; k-- > 0;) {
        const struct adbk_entry *e = adbk_reader_member(r->c.r, r->dirs[k]);
        const char *p = r->dir_paths[k];
        int fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        char what[320] = "folder";
        int rc = fd < 0 ? errno : fs_apply_meta(fd, e, &r->stage.how, what, sizeof what);
        if (fd >= 0)
            close(fd);
        if (rc != 0)
            return adbk_error_set(r->c.err, ADBK_E_IO, "%s: cannot set the %s of %s: %s",
                                  r->c.job, what, p, strerror(rc));
    }
    return ADBK_OK;
}

static adbk_status check_target(struct srun *r)
{
    const char *source = adbk_reader_property(r->c.r, "source");
    if (!source || strcmp(source, "samba"))
        return adbk_error_set(r->c.err, ADBK_E_UNSUPPORTED, "%s: the archive is %s%s%s, not a "
                              "Samba AD DC's backup, so it cannot be restored onto the Samba DC "
                              "%s (adbk extract unpacks any archive)", r->c.job,
                              source ? "of source \"" : "of no known source", source ? source : "",
                              source ? "\"" : "", r->dc->conf.netbios);
    long pid = samba_daemon_pid(&r->dc->conf);
    if (pid)
        return adbk_error_set(r->c.err, ADBK_E_SOURCE, "%s: the Samba DC is running (samba, pid "
                              "%ld): stop it first (e.g. systemctl stop samba-ad-dc), since a "
                              "restore replaces its databases; %s", r->c.job, pid,
                              NOTHING_CHANGED);
    char domain[256];
    size_t i = 0;
    for (; r->dc->conf.realm[i] && i + 1 < sizeof domain; i++)
        domain[i] = (char)(r->dc->conf.realm[i] >= 'A' && r->dc->conf.realm[i] <= 'Z'
                               ? r->dc->conf.realm[i] - 'A' + 'a' : r->dc->conf.realm[i]);
    domain[i] = '\0';
    adbk_status st = restore_check_dc(&r->c, r->dc->conf.netbios, domain, false);
    if (st == ADBK_OK)
        st = restore_check_expiry(&r->c);
    return st;
}

adbk_status samba_restore(struct samba_dc *dc, struct adbk_reader *ar,
                          const struct adbk_restore_options *o,
                          const struct adbk_restore_callbacks *cb,
                          struct adbk_restore_result *res, struct adbk_error *err)
{
    struct adbk_error scratch;
    struct srun r = {.dc = dc};
    restore_ctx_init(&r.c, ar, o, cb, res, err ? err : &scratch);
    r.stage.c = &r.c;
    r.stage.meta = true;
    r.stage.how = (struct fs_meta_how){.owner = true, .mode = true, .xattrs = true, .time = true,
                                       .default_mode = 0600};
    res->samba = true;
    snprintf(res->database, sizeof res->database, "%.1000s/sam.ldb", dc->conf.private_dir);
    snprintf(res->log_dir, sizeof res->log_dir, "%.1000s", dc->conf.private_dir);
    adbk_status st = check_target(&r);
    if (st == ADBK_OK) /* before the reader starts its threads */
        st = plat_enable_privilege(PLAT_PRIV_RESTORE, r.c.err);
    if (st == ADBK_OK)
        st = plan(&r);
    if (st == ADBK_OK)
        st = make_folders(&r);
    if (st == ADBK_OK)
        st = stage_write_all(&r.stage, NOTHING_CHANGED);
    if (st == ADBK_OK && restore_cancelled(&r.c))
        st = restore_interrupted(&r.c, "before the files were put in place", NOTHING_CHANGED);
    if (st == ADBK_OK)
        st = remove_lock_files(&r);
    if (st == ADBK_OK)
        st = stage_place(&r.stage);
    if (st == ADBK_OK)
        st = folder_meta(&r);
    res->completed = st == ADBK_OK;
    stage_free(&r.stage);
    for (size_t k = 0; k < r.ndirs; k++)
        free(r.dir_paths[k]);
    free(r.dir_paths);
    free(r.dirs);
    return st;
}
