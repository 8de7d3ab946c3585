/*
 * walk.c - packing files and folders into an archive (adbk_add_path).
 * Folders are walked depth-first with names in byte order, so the same tree
 * always gives the same archive. File content is read straight into the
 * writer's chunk buffers (adbk_writer_reserve), never copied on the way.
 */
#include "adbk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void warn(const struct adbk_add_callbacks *cb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void warn(const struct adbk_add_callbacks *cb, const char *fmt, ...)
{
    if (!cb || !cb->warning)
        return;
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cb->warning(cb->ctx, msg);
}

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

static adbk_status add_file(struct adbk_writer *w, const char *path, const char *name,
                            const struct adbk_add_callbacks *cb, struct adbk_error *err)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        warn(cb, "skipped %s: cannot open: %s", path, strerror(errno));
        return ADBK_OK;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        warn(cb, "skipped %s: no longer a regular file", path);
        close(fd);
        return ADBK_OK;
    }
    struct adbk_member_info mi;
    fill_info(&mi, name, path, &st, ADBK_KIND_FILE);
    if (cb && cb->member)
        cb->member(cb->ctx, name, (uint64_t)st.st_size);
    adbk_status s = adbk_writer_begin_member(w, &mi, err);
    uint64_t done = 0;
    while (s == ADBK_OK) {
        if (cb && cb->cancelled && cb->cancelled(cb->ctx)) {
            s = adbk_error_set(err, ADBK_E_INTERRUPTED, "interrupted while reading %s", path);
            break;
        }
        void *buf;
        size_t cap;
        s = adbk_writer_reserve(w, &buf, &cap, err);
        if (s != ADBK_OK)
            break;
        ssize_t n = read(fd, buf, cap);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            s = io_error(err, "cannot read", path, errno);
            break;
        }
        if (n == 0)
            break;
        s = adbk_writer_commit(w, (size_t)n, err);
        done += (uint64_t)n;
        if (cb && cb->progress)
            cb->progress(cb->ctx, done);
    }
    close(fd);
    if (s != ADBK_OK)
        return s;
    if (done != (uint64_t)st.st_size)
        warn(cb, "%s changed size while being read (%lld bytes before, %llu read)", path,
             (long long)st.st_size, (unsigned long long)done);
    return adbk_writer_end_member(w, err);
}

static int byte_order(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static adbk_status add_tree(struct adbk_writer *w, const char *path, const char *name,
                            const struct adbk_add_callbacks *cb, struct adbk_error *err)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return io_error(err, "cannot read", path, errno);
    struct adbk_error why;
    if (adbk_name_check(name, &why) != ADBK_OK) {
        warn(cb, "skipped %s: %s", path, why.message);
        return ADBK_OK;
    }
    if (S_ISREG(st.st_mode))
        return add_file(w, path, name, cb, err);
    if (!S_ISDIR(st.st_mode)) {
        warn(cb, "skipped %s: %s are not archived", path,
             S_ISLNK(st.st_mode) ? "symbolic links" : "special files");
        return ADBK_OK;
    }
    struct adbk_member_info mi;
    fill_info(&mi, name, path, &st, ADBK_KIND_DIRECTORY);
    if (cb && cb->member)
        cb->member(cb->ctx, name, 0);
    adbk_status s = adbk_writer_begin_member(w, &mi, err);
    if (s == ADBK_OK)
        s = adbk_writer_end_member(w, err);
    if (s != ADBK_OK)
        return s;
    struct dirent **list;
    int n = scandir(path, &list, NULL, byte_order);
    if (n < 0) {
        warn(cb, "skipped the contents of %s: %s", path, strerror(errno));
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
                s = add_tree(w, cpath, cname, cb, err);
            }
            free(cpath);
            free(cname);
        }
        free(list[i]);
    }
    free(list);
    return s;
}

adbk_status adbk_add_path(struct adbk_writer *w, const char *path,
                          const struct adbk_add_callbacks *cb, struct adbk_error *err)
{
    /* The member name starts with the path's last component; "." and paths
     * ending in ".." are resolved first so the name means something. */
    char resolved[PATH_MAX];
    const char *base_src = path;
    if (realpath(path, resolved))
        base_src = resolved;
    else
        return io_error(err, "cannot find", path, errno);
    const char *slash = strrchr(base_src, '/');
    const char *base = slash ? slash + 1 : base_src;
    if (*base == '\0')
        return adbk_error_set(err, ADBK_E_ARG, "cannot pack %s: name a folder below the root",
                              path);
    return add_tree(w, path, base, cb, err);
}
