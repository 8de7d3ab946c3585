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
 *
 * Into a new folder (dc->target): the same DC, moved (to another machine, or
 * beside the running one to look at a backup). No DC is there to check
 * against and no daemon can run; the folder must be new or empty. It is
 * built beside, as TARGET.adbk-partial (flock()ed while the restore works,
 * removed when it fails, and by the next restore when it was killed), its
 * etc/smb.conf rewritten to name the new folders (move.c), and renamed to
 * TARGET only when whole.
 */
#include "privilege.h"
#include "restore.h"
#include "samba.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOTHING_CHANGED "nothing was changed"
#define PARTIAL ".adbk-partial"

struct srun {
    struct restore_ctx c;
    struct samba_dc *dc;
    struct stage stage;
    size_t *dirs;          /* directory members, made and given their metadata */
    char **dir_paths;
    size_t ndirs;
    char partial[PATH_MAX - 64]; /* into a new folder: where it is built */
    int partial_fd;          /* partial, open and flock()ed; -1 */
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

static adbk_status check_source(struct srun *r)
{
    const char *source = adbk_reader_property(r->c.r, "source");
    if (!source || strcmp(source, "samba"))
        return adbk_error_set(r->c.err, ADBK_E_UNSUPPORTED, "%s: the archive is %s%s%s, not a "
                              "Samba AD DC's backup, so it cannot be restored as a Samba DC "
                              "%s%s (adbk extract unpacks any archive)", r->c.job,
                              source ? "of source \"" : "of no known source", source ? source : "",
                              source ? "\"" : "", r->dc->target[0] ? "into " : "",
                              r->dc->target[0] ? r->dc->target : r->dc->conf.netbios);
    return ADBK_OK;
}

static adbk_status check_target(struct srun *r)
{
    adbk_status st = check_source(r);
    if (st != ADBK_OK)
        return st;
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
    st = restore_check_dc(&r->c, r->dc->conf.netbios, domain, false);
    if (st == ADBK_OK)
        st = restore_check_expiry(&r->c);
    return st;
}

/* ------------------------------------------------------------ into a new folder */

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

/* Removes the tree at path (never following a symlink or leaving its file
 * system). 0 or an errno value. */
static int remove_tree(const char *path)
{
    return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0 ? errno : 0;
}


/* The new folder must be absent or empty; its partial build is made (one a
 * killed restore left is removed first) and held; the DC's folders are
 * set below it. */
static adbk_status check_new_target(struct srun *r)
{
    const char *t = r->dc->target;
    adbk_status st = check_source(r);
    if (st != ADBK_OK)
        return st;
    const char *srv = adbk_reader_property(r->c.r, "server");
    const char *dom = adbk_reader_property(r->c.r, "domain");
    st = restore_check_dc(&r->c, srv ? srv : "", dom ? dom : "", false); /* it becomes this DC */
    if (st == ADBK_OK)
        st = restore_check_expiry(&r->c);
    if (st != ADBK_OK)
        return st;
    DIR *d = opendir(t);
    if (d) {
        struct dirent *de;
        bool empty = true;
        while (empty && (de = readdir(d)) != NULL)
            empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
        closedir(d);
        if (!empty)
            return adbk_error_set(r->c.err, ADBK_E_EXISTS, "%s: %s is not empty; a restore into "
                                  "a folder needs a new or empty one; %s", r->c.job, t,
                                  NOTHING_CHANGED);
    } else if (errno != ENOENT) {
        return adbk_error_set(r->c.err, ADBK_E_IO, "%s: cannot read %s: %s; %s", r->c.job, t,
                              strerror(errno), NOTHING_CHANGED);
    }
    if ((size_t)snprintf(r->partial, sizeof r->partial, "%s" PARTIAL, t) >= sizeof r->partial)
        return adbk_error_set(r->c.err, ADBK_E_ARG, "%s: the folder name %s is too long",
                              r->c.job, t);
    int fd = open(r->partial, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
        bool held = flock(fd, LOCK_EX | LOCK_NB) != 0;
        close(fd);
        if (held)
            return adbk_error_set(r->c.err, ADBK_E_STATE, "%s: another restore into %s is "
                                  "running (it holds %s); %s", r->c.job, t, r->partial,
                                  NOTHING_CHANGED);
        int rc = remove_tree(r->partial);
        if (rc)
            return adbk_error_set(r->c.err, ADBK_E_IO, "%s: cannot remove %s, left by a killed "
                                  "restore: %s", r->c.job, r->partial, strerror(rc));
        if (r->c.cb && r->c.cb->note) {
            char m[3 * PATH_MAX];
            snprintf(m, sizeof m, "removed %s, left by a restore into %s that was killed",
                     r->partial, t);
            r->c.cb->note(r->c.cb->ctx, m);
        }
    }
    if (mkdir(r->partial, 0755) != 0)
        return adbk_error_set(r->c.err, ADBK_E_IO, "%s: cannot make %s: %s", r->c.job,
                              r->partial, strerror(errno));
    r->partial_fd = open(r->partial, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (r->partial_fd < 0 || flock(r->partial_fd, LOCK_EX | LOCK_NB) != 0)
        return adbk_error_set(r->c.err, ADBK_E_IO, "%s: cannot hold %s: %s", r->c.job,
                              r->partial, strerror(errno));
    struct samba_conf *c = &r->dc->conf;
    snprintf(c->private_dir, sizeof c->private_dir, "%s/private", r->partial);
    snprintf(c->state_dir, sizeof c->state_dir, "%s/state", r->partial);
    snprintf(c->etc_dir, sizeof c->etc_dir, "%s/etc", r->partial);
    return ADBK_OK;
}

/* smb.conf, placed in the partial folder, rewritten for the new folder, and
 * the run-time folders it names made. */
static adbk_status move_conf(struct srun *r)
{
    const char *t = r->dc->target;
    char path[PATH_MAX + 32], tmp[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/smb.conf", r->dc->conf.etc_dir);
    snprintf(tmp, sizeof tmp, "%s/smb.conf" PARTIAL, r->dc->conf.etc_dir);
    struct samba_conf old;
    adbk_status st = samba_conf_read(path, &old, r->c.err);
    if (st != ADBK_OK)
        return st == ADBK_E_SOURCE && access(path, F_OK) != 0
                   ? adbk_error_set(r->c.err, ADBK_E_UNSUPPORTED, "%s: the archive holds no "
                                    "etc/smb.conf, so the DC's folders cannot be moved into %s",
                                    r->c.job, t)
                   : st;
    /* The DC's old top folder: the nearest holding both private and state. */
    char top[PATH_MAX], etc[PATH_MAX] = "";
    snprintf(top, sizeof top, "%s", old.private_dir);
    for (char *slash; (slash = strrchr(top, '/')) != NULL;) {
        size_t n = strlen(top);
        if (!strncmp(old.state_dir, top, n) && (old.state_dir[n] == '/' || !old.state_dir[n]))
            break;
        *slash = '\0';
    }
    for (size_t i = 0, n = adbk_reader_count(r->c.r); i < n; i++) {
        const struct adbk_entry *e = adbk_reader_member(r->c.r, i);
        if (!strcmp(e->name, "etc") && e->source_path && e->source_path[0] == '/')
            snprintf(etc, sizeof etc, "%s", e->source_path);
    }
    char to[3][PATH_MAX + 16];
    snprintf(to[0], sizeof to[0], "%s/private", t);
    snprintf(to[1], sizeof to[1], "%s/state", t);
    snprintf(to[2], sizeof to[2], "%s/etc", t);
    struct samba_move m = {.top = t, .from = {old.private_dir, old.state_dir}, .to = {to[0], to[1]},
                           .n = 2};
    if (etc[0]) {
        m.from[m.n] = etc;
        m.to[m.n++] = to[2];
    }
    if (strlen(top) > 1) {
        m.from[m.n] = top;
        m.to[m.n++] = t;
    }
    FILE *f = fopen(path, "r");
    char *text = NULL, *moved = NULL;
    size_t cap = 0;
    ssize_t got = f ? getdelim(&text, &cap, '\0', f) : -1;
    if (f)
        fclose(f);
    if (got < 0) {
        free(text);
        return adbk_error_set(r->c.err, ADBK_E_IO, "%s: cannot read %s: %s", r->c.job, path,
                              strerror(errno));
    }
    moved = samba_conf_move(text, &m);
    free(text);
    if (!moved)
        return adbk_error_set(r->c.err, ADBK_E_NOMEM, "%s: no memory", r->c.job);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    size_t len = strlen(moved), done = 0;
    while (fd >= 0 && done < len) {
        ssize_t w = write(fd, moved + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    free(moved);
    bool ok = fd >= 0 && done == len && fsync(fd) == 0;
    int saved = errno;
    if (fd >= 0)
        close(fd);
    if (!ok || rename(tmp, path) != 0)
        return adbk_error_set(r->c.err, ADBK_E_IO, "%s: cannot write %s: %s", r->c.job, path,
                              strerror(ok ? errno : saved));
    for (size_t i = 0; samba_move_folder(i); i++) {
        char dir[PATH_MAX + 32];
        snprintf(dir, sizeof dir, "%s/%s", r->partial, samba_move_folder(i));
        if (mkdir(dir, 0755) != 0 && errno != EEXIST)
            return adbk_error_set(r->c.err, ADBK_E_IO, "%s: cannot make %s: %s", r->c.job, dir,
                                  strerror(errno));
    }
    return stage_sync_dir(&r->c, r->dc->conf.etc_dir);
}

/* The whole folder takes its name. */
static adbk_status finish_target(struct srun *r)
{
    const char *t = r->dc->target;
    if (rmdir(t) != 0 && errno != ENOENT)
        return adbk_error_set(r->c.err, ADBK_E_IO, "%s: cannot replace the empty folder %s: %s",
                              r->c.job, t, strerror(errno));
    if (rename(r->partial, t) != 0)
        return adbk_error_set(r->c.err, ADBK_E_IO, "%s: cannot rename %s to %s: %s", r->c.job,
                              r->partial, t, strerror(errno));
    r->partial[0] = '\0';
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s", t);
    char *slash = strrchr(parent, '/');
    if (slash == parent)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        snprintf(parent, sizeof parent, ".");
    return stage_sync_dir(&r->c, parent);
}

/* What a failed restore into a new folder made, removed. */
static void drop_partial(struct srun *r)
{
    if (r->partial[0] && r->partial_fd >= 0)
        remove_tree(r->partial);
    if (r->partial_fd >= 0)
        close(r->partial_fd);
}

adbk_status samba_restore(struct samba_dc *dc, struct adbk_reader *ar,
                          const struct adbk_restore_options *o,
                          const struct adbk_restore_callbacks *cb,
                          struct adbk_restore_result *res, struct adbk_error *err)
{
    struct adbk_error scratch;
    struct srun r = {.dc = dc, .partial_fd = -1};
    bool moved = dc->target[0] != '\0';
    restore_ctx_init(&r.c, ar, o, cb, res, err ? err : &scratch);
    r.stage.c = &r.c;
    r.stage.meta = true;
    r.stage.how = (struct fs_meta_how){.owner = true, .mode = true, .xattrs = true, .time = true,
                                       .default_mode = 0600};
    res->samba = true;
    if (moved) {
        snprintf(res->database, sizeof res->database, "%.990s/private/sam.ldb", dc->target);
        snprintf(res->log_dir, sizeof res->log_dir, "%.1000s/private", dc->target);
        snprintf(res->samba_conf, sizeof res->samba_conf, "%.990s/etc/smb.conf", dc->target);
    } else {
        snprintf(res->samba_conf, sizeof res->samba_conf, "%.1000s", dc->conf.file);
        snprintf(res->database, sizeof res->database, "%.1000s/sam.ldb", dc->conf.private_dir);
        snprintf(res->log_dir, sizeof res->log_dir, "%.1000s", dc->conf.private_dir);
    }
    adbk_status st = moved ? check_new_target(&r) : check_target(&r);
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
    if (st == ADBK_OK && moved)
        st = move_conf(&r);
    if (st == ADBK_OK && moved)
        st = finish_target(&r);
    res->completed = st == ADBK_OK;
    stage_free(&r.stage);
    drop_partial(&r);
    for (size_t k = 0; k < r.ndirs; k++)
        free(r.dir_paths[k]);
    free(r.dir_paths);
    free(r.dirs);
    return st;
}
