/*
 * files.c - files and folders as the origin of an archive (adbk_create).
 * Folders are walked depth-first with names in byte order, so the same tree
 * always gives the same archive. File content is read straight into the
 * writer's chunk buffers (emit_member), never copied on the way. Symbolic
 * links, special files and what cannot be opened are skipped with a warning;
 * a file that changes size while being read is kept, with a warning. On
 * request each file and folder also keeps its owner and its extended
 * attributes (format 1.1), read by path without following symlinks; an
 * attribute that cannot be read fails the job.
 */
#include "fs.h"
#include "job.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static adbk_status io_error(struct adbk_error *err, const char *what, const char *path, int e)
{
    return adbk_error_set(err, ADBK_E_IO, "%s %s: %s", what, path, strerror(e));
}

static void fill_info(struct adbk_member_info *mi, const char *name, const char *path,
                      const struct stat *st, unsigned kind)
{
    memset(mi, 0, sizeof *mi);
    mi->name = name;
    mi->source_path = path;
    mi->kind = kind;
    mi->flags = ADBK_HAS_MTIME | ADBK_HAS_MODE | (kind == ADBK_KIND_FILE ? ADBK_HAS_EXPECTED_SIZE : 0);
    mi->expected_size = (uint64_t)st->st_size;
    mi->mtime_sec = st->st_mtim.tv_sec;
    mi->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
    mi->mode = st->st_mode & 07777;
}

/* A member's owner names and extended attributes while it is written. */
struct extras {
    char user[256], group[256];
    struct adbk_xattr *v;
    size_t n;
    char *names; /* llistxattr's list, which v's names point into */
};

static void extras_free(struct extras *x)
{
    for (size_t i = 0; i < x->n; i++)
        free((void *)x->v[i].value);
    free(x->v);
    free(x->names);
    memset(x, 0, sizeof *x);
}

/* Every extended attribute of path. A file system without them gives none. */
static adbk_status read_xattrs(const char *path, struct extras *x, struct adbk_error *err)
{
    size_t len = 0;
    int rc = fs_list_xattrs(path, &x->names, &len);
    if (rc == ENOTSUP)
        return ADBK_OK;
    if (rc != 0)
        return io_error(err, "cannot list the extended attributes of", path, rc);
    size_t count = 0;
    for (size_t i = 0; i < len; i++)
        count += x->names[i] == '\0';
    x->v = calloc(count ? count : 1, sizeof *x->v);
    if (!x->v)
        return adbk_error_set(err, ADBK_E_NOMEM, "no memory for the attributes of %s", path);
    for (char *name = x->names; name < x->names + len; name += strlen(name) + 1) {
        void *value;
        size_t size;
        rc = fs_get_xattr(path, name, &value, &size);
        if (rc == ENODATA)
            continue; /* removed since it was listed */
        if (rc != 0)
            return adbk_error_set(err, ADBK_E_IO, "cannot read extended attribute %s of %s: %s",
                                  name, path, strerror(rc));
        x->v[x->n++] = (struct adbk_xattr){.name = name, .value = value, .size = size};
    }
    return ADBK_OK;
}

/* Adds the owner and the attributes what asks for to mi (their strings and
 * values in x, which the caller frees). */
static adbk_status add_extras(const struct adbk_create_options *what, const char *path,
                              const struct stat *st, struct adbk_member_info *mi,
                              struct extras *x, struct adbk_error *err)
{
    memset(x, 0, sizeof *x);
    if (what && what->owner) {
        int rc = fs_owner_of(st, &mi->uid, &mi->gid);
        if (rc != 0)
            return io_error(err, "cannot read the owner of", path, rc);
        mi->flags |= ADBK_HAS_OWNER;
        fs_id_name(false, mi->uid, x->user, sizeof x->user);
        fs_id_name(true, mi->gid, x->group, sizeof x->group);
        mi->user = x->user;
        mi->group = x->group;
    }
    if (!what || !what->xattrs)
        return ADBK_OK;
    mi->flags |= ADBK_HAS_XATTRS;
    adbk_status s = read_xattrs(path, x, err);
    mi->xattrs = x->v;
    mi->xattr_count = x->n;
    return s;
}

struct file_stream {
    int fd;
    const char *path;
};

static adbk_status file_read(void *ctx, void *buf, size_t cap, size_t *got_out,
                             struct adbk_error *err)
{
    struct file_stream *f = ctx;
    ssize_t n;
    do
        n = read(f->fd, buf, cap);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return io_error(err, "cannot read", f->path, errno);
    *got_out = (size_t)n;
    return ADBK_OK;
}

static adbk_status add_file(struct emit *e, const struct adbk_create_options *what,
                            const char *path, const char *name)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        emit_warn(e, "skipped %s: cannot open: %s", path, strerror(errno));
        return ADBK_OK;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        emit_warn(e, "skipped %s: no longer a regular file", path);
        close(fd);
        return ADBK_OK;
    }
    struct adbk_member_info mi;
    fill_info(&mi, name, path, &st, ADBK_KIND_FILE);
    struct extras x;
    adbk_status s = add_extras(what, path, &st, &mi, &x, e->err);
    struct file_stream f = {fd, path};
    uint64_t done = 0;
    if (s == ADBK_OK)
        s = emit_member(e, &mi, (uint64_t)st.st_size, 1, file_read, &f, &done);
    extras_free(&x);
    close(fd);
    if (s == ADBK_OK && done != (uint64_t)st.st_size)
        emit_warn(e, "%s changed size while being read (%lld bytes before, %llu read)", path,
                  (long long)st.st_size, (unsigned long long)done);
    return s;
}

static int byte_order(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static adbk_status add_tree(struct emit *e, const struct adbk_create_options *what,
                            const char *path, const char *name)
{
    struct adbk_error *err = e->err;
    struct stat st;
    if (lstat(path, &st) != 0)
        return io_error(err, "cannot read", path, errno);
    struct adbk_error why;
    if (adbk_name_check(name, &why) != ADBK_OK) {
        emit_warn(e, "skipped %s: %s", path, why.message);
        return ADBK_OK;
    }
    if (S_ISREG(st.st_mode))
        return add_file(e, what, path, name);
    if (!S_ISDIR(st.st_mode)) {
        emit_warn(e, "skipped %s: %s are not archived", path,
             S_ISLNK(st.st_mode) ? "symbolic links" : "special files");
        return ADBK_OK;
    }
    struct adbk_member_info mi;
    fill_info(&mi, name, path, &st, ADBK_KIND_DIRECTORY);
    struct extras x;
    adbk_status s = add_extras(what, path, &st, &mi, &x, err);
    if (s == ADBK_OK)
        s = emit_bytes(e, &mi, NULL, 0);
    extras_free(&x);
    if (s != ADBK_OK)
        return s;
    struct dirent **list;
    int n = scandir(path, &list, NULL, byte_order);
    if (n < 0) {
        emit_warn(e, "skipped the contents of %s: %s", path, strerror(errno));
        return ADBK_OK;
    }
    for (int i = 0; i < n; i++) {
        const char *d = list[i]->d_name;
        if (s == ADBK_OK && strcmp(d, ".") != 0 && strcmp(d, "..") != 0) {
            size_t pl = strlen(path) + strlen(d) + 2, nl = strlen(name) + strlen(d) + 2;
            char *cpath = malloc(pl), *cname = malloc(nl);
            if (!cpath || !cname) {
                s = adbk_error_set(err, ADBK_E_NOMEM, "no memory walking %s", path);
            } else {
                snprintf(cpath, pl, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", d);
                snprintf(cname, nl, "%s/%s", name, d);
                s = add_tree(e, what, cpath, cname);
            }
            free(cpath);
            free(cname);
        }
        free(list[i]);
    }
    free(list);
    return s;
}

/* One PATH of adbk create: its member names start with the path's last
 * component; "." and paths ending in ".." are resolved first so the name
 * means something. */
static adbk_status add_path(struct emit *e, const struct adbk_create_options *what,
                            const char *path)
{
    char resolved[PATH_MAX];
    if (!realpath(path, resolved))
        return io_error(e->err, "cannot find", path, errno);
    const char *slash = strrchr(resolved, '/');
    const char *base = slash ? slash + 1 : resolved;
    if (*base == '\0')
        return adbk_error_set(e->err, ADBK_E_ARG, "cannot pack %s: name a folder below the root",
                              path);
    return add_tree(e, what, path, base);
}

struct files {
    const char *const *paths;
    size_t n;
    struct adbk_create_options what;
};

static adbk_status members(struct origin *o, struct emit *e)
{
    struct files *f = o->impl;
    adbk_status st = ADBK_OK;
    for (size_t i = 0; i < f->n && st == ADBK_OK; i++)
        st = add_path(e, &f->what, f->paths[i]);
    return st;
}

static adbk_status describe(struct origin *o, struct emit *e)
{
    (void)o;
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    const char *const kv[][2] = {{"source", "files"}, {"host", host}}; /* FORMAT.md §7 */
    return emit_properties(e, kv, sizeof kv / sizeof kv[0]);
}

static const struct origin_ops files_ops = {.members = members, .describe = describe};

adbk_status adbk_create(const char *const *paths, size_t n, const struct adbk_create_options *what,
                        const struct adbk_output_options *out,
                        const struct adbk_job_callbacks *cb, struct adbk_backup_result *res,
                        struct adbk_error *err)
{
    struct adbk_backup_result local;
    if (!res)
        res = &local;
    memset(res, 0, sizeof *res);
    if (n == 0)
        return adbk_error_set(err, ADBK_E_ARG, "nothing to pack: name a file or a folder");
    struct files f = {paths, n, what ? *what : (struct adbk_create_options){0}};
    struct origin o = {&files_ops, &f};
    return job_run(&o, out, cb, NULL, res, err);
}
