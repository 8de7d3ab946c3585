/*
 * files.c - files and folders as the origin of an archive (adbk_create).
 * Folders are walked depth-first with names in byte order, so the same tree
 * always gives the same archive. File content is read straight into the
 * writer's chunk buffers (emit_member), never copied on the way. Symbolic
 * links, special files, what cannot be opened, names longer than an archive
 * holds and paths longer than PATH_MAX are skipped with a warning (which
 * shows a long path shortened);
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

/* path as a message shows it: whole when short, else its first bytes and its
 * last component (or last bytes) around "...", cut between UTF-8
 * characters. Returns path or buf (at least 224 bytes). */
static const char *shown_path(const char *path, char *buf, size_t cap)
{
    size_t len = strlen(path), head = 60, tail = 100;
    const char *last = strrchr(path, '/');
    if (last && (size_t)(path + len - last) <= 160)
        tail = (size_t)(path + len - last); /* the whole last component */
    if (len <= head + tail + 3 || cap < head + tail + 4)
        return path;
    while (head > 0 && ((unsigned char)path[head] & 0xC0) == 0x80)
        head--;
    while (tail > 0 && ((unsigned char)path[len - tail] & 0xC0) == 0x80)
        tail--;
    snprintf(buf, cap, "%.*s...%s", (int)head, path, path + len - tail);
    return buf;
}
#define SHOWN(path) shown_path((path), (char[224]){0}, 224)

static adbk_status io_error(struct adbk_error *err, const char *what, const char *path, int e)
{
    return adbk_error_set(err, ADBK_E_IO, "%s %s: %s", what, SHOWN(path), strerror(e));
}

void file_meta_free(struct file_meta *m)
{
    for (size_t i = 0; i < m->n; i++)
        free((void *)m->v[i].value);
    free(m->v);
    free(m->names);
    memset(m, 0, sizeof *m);
}

/* Every extended attribute of path. A file system without them gives none. */
static adbk_status read_xattrs(const char *path, struct file_meta *m, struct adbk_error *err)
{
    size_t len = 0;
    int rc = fs_list_xattrs(path, &m->names, &len);
    if (rc == ENOTSUP)
        return ADBK_OK;
    if (rc != 0)
        return io_error(err, "cannot list the extended attributes of", path, rc);
    size_t count = 0;
    for (size_t i = 0; i < len; i++)
        count += m->names[i] == '\0';
    m->v = calloc(count ? count : 1, sizeof *m->v);
    if (!m->v)
        return adbk_error_set(err, ADBK_E_NOMEM, "no memory for the attributes of %s", path);
    for (char *name = m->names; name < m->names + len; name += strlen(name) + 1) {
        void *value;
        size_t size;
        rc = fs_get_xattr(path, name, &value, &size);
        if (rc == ENODATA)
            continue; /* removed since it was listed */
        if (rc != 0)
            return adbk_error_set(err, ADBK_E_IO, "cannot read extended attribute %s of %s: %s",
                                  name, SHOWN(path), strerror(rc));
        m->v[m->n++] = (struct adbk_xattr){.name = name, .value = value, .size = size};
    }
    return ADBK_OK;
}

adbk_status file_meta(const struct walk_opts *o, const char *path, const char *name,
                      const struct stat *st, unsigned kind, struct file_meta *m,
                      struct adbk_error *err)
{
    memset(m, 0, sizeof *m);
    struct adbk_member_info *mi = &m->mi;
    mi->name = name;
    mi->source_path = path;
    mi->kind = kind;
    mi->flags = ADBK_HAS_MTIME | ADBK_HAS_MODE;
    if (kind != ADBK_KIND_DIRECTORY) {
        mi->flags |= ADBK_HAS_EXPECTED_SIZE;
        mi->expected_size = (uint64_t)st->st_size;
    }
    mi->mtime_sec = st->st_mtim.tv_sec;
    mi->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
    mi->mode = st->st_mode & 07777;
    if (o && o->owner) {
        int rc = fs_owner_of(st, &mi->uid, &mi->gid);
        if (rc != 0)
            return io_error(err, "cannot read the owner of", path, rc);
        mi->flags |= ADBK_HAS_OWNER;
        fs_id_name(false, mi->uid, m->user, sizeof m->user);
        fs_id_name(true, mi->gid, m->group, sizeof m->group);
        mi->user = m->user;
        mi->group = m->group;
    }
    if (!o || !o->xattrs)
        return ADBK_OK;
    mi->flags |= ADBK_HAS_XATTRS;
    adbk_status s = read_xattrs(path, m, err);
    mi->xattrs = m->v;
    mi->xattr_count = m->n;
    return s;
}

/* A file being added: the writer's workers read its first bytes through
 * fds (adbk_fd_read_at); file_read reads on from pos. */
struct file_stream {
    struct adbk_fd_sink fds;
    const char *path;
    uint64_t pos;
};

static adbk_status file_read(void *ctx, void *buf, size_t cap, size_t *got_out,
                             struct adbk_error *err)
{
    struct file_stream *f = ctx;
    size_t n = 0;
    int rc = adbk_fd_read_at(&f->fds, f->pos, buf, cap, &n);
    if (rc != 0)
        return io_error(err, "cannot read", f->path, rc);
    f->pos += n;
    *got_out = n;
    return ADBK_OK;
}

static adbk_status add_file(struct emit *e, const struct walk_opts *o, const char *path,
                            const char *name)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        emit_warn(e, "skipped %s: cannot open: %s", SHOWN(path), strerror(errno));
        return ADBK_OK;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        emit_warn(e, "skipped %s: no longer a regular file", SHOWN(path));
        close(fd);
        return ADBK_OK;
    }
    struct file_meta m;
    adbk_status s = file_meta(o, path, name, &st, o->kind_of ? o->kind_of(o->ctx, path)
                                                           : ADBK_KIND_FILE, &m, e->err);
    struct file_stream f = {.fds = {fd}, .path = path, .pos = (uint64_t)st.st_size};
    uint64_t done = 0;
    if (s == ADBK_OK)
        s = emit_file_member(e, &m.mi, (uint64_t)st.st_size, adbk_fd_read_at, &f.fds, file_read,
                             &f, &done);
    /* A file that shrank ends its member early (emit_file_member); one that
     * grew was read on to its end. Either way the archive holds a file that
     * changed as it was read: say so. */
    struct stat after;
    off_t now = fstat(fd, &after) == 0 ? after.st_size : (off_t)done;
    if (s == ADBK_OK && (done != (uint64_t)st.st_size || now != st.st_size))
        emit_warn(e, "%s changed size while being read (%lld bytes before, %lld after)",
                  SHOWN(path), (long long)st.st_size, (long long)now);
    file_meta_free(&m);
    close(fd);
    return s;
}

static int byte_order(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

adbk_status walk_tree(struct emit *e, const struct walk_opts *o, const char *path,
                      const char *name)
{
    struct adbk_error *err = e->err;
    /* The name first: no archive holds a name longer than FORMAT.md 6
     * allows, however deep the tree goes (a path that long fails lstat). */
    struct adbk_error why;
    if (adbk_name_check(name, &why) != ADBK_OK) {
        emit_warn(e, "skipped %s (and anything in it): %s", SHOWN(path), why.message);
        return ADBK_OK;
    }
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno != ENAMETOOLONG)
            return io_error(err, "cannot read", path, errno);
        emit_warn(e, "skipped %s (and anything in it): its path is %zu bytes long, more than "
                  "this system opens (%d); pack it from a folder nearer to it", SHOWN(path),
                  strlen(path), PATH_MAX);
        return ADBK_OK;
    }
    adbk_status s = ADBK_OK;
    switch (o->visit ? o->visit(o->ctx, e, path, name, &st, &s) : WALK_PLAIN) {
    case WALK_SKIP: return ADBK_OK;
    case WALK_DONE: return s;
    case WALK_PLAIN: break;
    }
    if (S_ISREG(st.st_mode))
        return add_file(e, o, path, name);
    if (!S_ISDIR(st.st_mode)) {
        emit_warn(e, "skipped %s: %s are not archived", SHOWN(path),
             S_ISLNK(st.st_mode) ? "symbolic links" : "special files");
        return ADBK_OK;
    }
    struct file_meta m;
    s = file_meta(o, path, name, &st, ADBK_KIND_DIRECTORY, &m, err);
    if (s == ADBK_OK)
        s = emit_bytes(e, &m.mi, NULL, 0);
    file_meta_free(&m);
    if (s != ADBK_OK)
        return s;
    struct dirent **list;
    int n = scandir(path, &list, NULL, byte_order);
    if (n < 0) {
        emit_warn(e, "skipped the contents of %s: %s", SHOWN(path), strerror(errno));
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
                s = walk_tree(e, o, cpath, cname);
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
static adbk_status add_path(struct emit *e, const struct walk_opts *o, const char *path)
{
    char resolved[PATH_MAX];
    if (!realpath(path, resolved))
        return io_error(e->err, "cannot find", path, errno);
    const char *slash = strrchr(resolved, '/');
    const char *base = slash ? slash + 1 : resolved;
    if (*base == '\0')
        return adbk_error_set(e->err, ADBK_E_ARG, "cannot pack %s: name a folder below the root",
                              path);
    return walk_tree(e, o, path, base);
}

/* The bytes of the regular files at and below path, as walk_tree will find
 * them (what it cannot read counts nothing). */
static uint64_t tree_bytes(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return 0;
    if (S_ISREG(st.st_mode))
        return (uint64_t)st.st_size;
    if (!S_ISDIR(st.st_mode))
        return 0;
    struct dirent **list;
    int n = scandir(path, &list, NULL, NULL);
    if (n < 0)
        return 0;
    uint64_t sum = 0;
    for (int i = 0; i < n; i++) {
        const char *d = list[i]->d_name;
        size_t pl = strlen(path) + strlen(d) + 2;
        char *cpath = strcmp(d, ".") && strcmp(d, "..") ? malloc(pl) : NULL;
        if (cpath) {
            snprintf(cpath, pl, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", d);
            sum += tree_bytes(cpath);
        }
        free(cpath);
        free(list[i]);
    }
    free(list);
    return sum;
}

struct files {
    const char *const *paths;
    size_t n;
    struct walk_opts walk;
};

static adbk_status members(struct origin *o, struct emit *e)
{
    struct files *f = o->impl;
    adbk_status st = ADBK_OK;
    if (e->cb && e->cb->total) {
        uint64_t sum = 0;
        for (size_t i = 0; i < f->n; i++)
            sum += tree_bytes(f->paths[i]);
        e->cb->total(e->cb->ctx, sum);
    }
    for (size_t i = 0; i < f->n && st == ADBK_OK; i++)
        st = add_path(e, &f->walk, f->paths[i]);
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
    struct files f = {paths, n, {.owner = what && what->owner, .xattrs = what && what->xattrs}};
    struct origin o = {&files_ops, &f};
    return job_run(&o, out, cb, NULL, res, err);
}
