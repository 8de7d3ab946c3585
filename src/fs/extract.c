/*
 * extract.c - safe extraction (adbk_extract).
 *
 * Every member name is checked (adbk_name_check), then walked one component
 * at a time from the target folder's descriptor with openat(O_NOFOLLOW |
 * O_DIRECTORY): a symlink or a ".." can never lead out of the target, and no
 * full path is ever formed, so a name of 4,095 bytes below a deep target is
 * no harder than a short one; only a component longer than a file system
 * holds is refused, before anything is created. Files are written under a
 * temporary name in their final folder and renamed into place only after the
 * reader confirmed every chunk and the whole content's hash, so an
 * unverified file never carries its final name; that is what lets the
 * reader's workers write each chunk at its place as soon as it is decoded
 * (adbk_reader_write_member), in parallel. A folder, which
 * has no content, is created only after the same member scan checked its
 * records and their seek-table entries (adbk_reader_read_member, as verify).
 * Owner and extended attributes (format 1.1) are applied on request only,
 * through the descriptor of the file or folder, never by path.
 */
#include "adbk.h"
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct xctx {
    const struct adbk_extract_options *o;
    const struct adbk_extract_callbacks *cb;
    struct adbk_fd_sink fds; /* the file being written */
    uint64_t done;
};

#define fail adbk_error_set

/* Opens (creating when asked) the folder holding the last component of name,
 * below dirfd. Returns a descriptor or -1 with errno; *last points to the
 * last component inside name. */
static int open_parent(int dirfd, const char *name, bool create, const char **last)
{
    int fd = dup(dirfd);
    const char *p = name;
    for (;;) {
        const char *slash = strchr(p, '/');
        if (!slash) {
            *last = p;
            return fd;
        }
        char comp[4096];
        size_t n = (size_t)(slash - p);
        memcpy(comp, p, n);
        comp[n] = '\0';
        if (create && mkdirat(fd, comp, 0777) != 0 && errno != EEXIST) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        int next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int e = errno;
        close(fd);
        if (next < 0) {
            errno = e;
            return -1;
        }
        fd = next;
        p = slash + 1;
    }
}

/* The most bytes one name component can have where adbk extracts: NAME_MAX
 * of Linux's file systems, 255 UTF-16 units on NTFS (never more than the
 * bytes of the same UTF-8). FORMAT.md 6 bounds only the whole name. */
#define COMPONENT_MAX 255

static size_t longest_component(const char *name)
{
    size_t most = 0;
    for (const char *p = name;;) {
        size_t n = strcspn(p, "/");
        if (n > most)
            most = n;
        if (!p[n])
            return most;
        p += n + 1;
    }
}

/* The caller's thread hears of each piece, in order, once a worker wrote it. */
static int written(void *ctx, const void *buf, size_t len)
{
    struct xctx *x = ctx;
    (void)buf;
    x->done += len;
    if (x->cb && x->cb->progress)
        x->cb->progress(x->cb->ctx, x->done);
    if (x->cb && x->cb->cancelled && x->cb->cancelled(x->cb->ctx))
        return -1;
    return 0;
}

bool adbk_extract_selects(const struct adbk_extract_options *o, const struct adbk_entry *e)
{
    if (o->kind && e->kind != o->kind)
        return false;
    if (!o->names || o->name_count == 0)
        return true;
    for (size_t i = 0; i < o->name_count; i++) {
        size_t n = strlen(o->names[i]);
        while (n > 1 && o->names[i][n - 1] == '/')
            n--;
        if (strncmp(e->name, o->names[i], n) == 0 && (e->name[n] == '\0' || e->name[n] == '/'))
            return true;
    }
    return false;
}

/* Gives the open file or folder fd member e's metadata as how says. */
static adbk_status apply(int fd, const struct adbk_entry *e, const struct fs_meta_how *how,
                         const struct xctx *x, struct adbk_error *err)
{
    char what[320];
    int rc = fs_apply_meta(fd, e, how, what, sizeof what);
    if (rc != 0)
        return fail(err, ADBK_E_IO, "cannot set the %s of %s/%s: %s", what, x->o->dir, e->name,
                    strerror(rc));
    return ADBK_OK;
}

static adbk_status extract_file(struct adbk_reader *r, size_t i, int parent, const char *last,
                                struct xctx *x, struct adbk_error *err)
{
    const struct adbk_entry *e = adbk_reader_member(r, i);
    struct stat st;
    if (fstatat(parent, last, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (!x->o->force)
            return fail(err, ADBK_E_EXISTS, "%s/%s exists; use --force to replace it",
                        x->o->dir, e->name);
        if (S_ISDIR(st.st_mode))
            return fail(err, ADBK_E_EXISTS, "%s/%s is a folder; not replaced by a file",
                        x->o->dir, e->name);
    }
    char tmp[64];
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        snprintf(tmp, sizeof tmp, ".adbk-%ld-%zu-%d.partial", (long)getpid(), i, attempt);
        fd = openat(parent, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0)
        return fail(err, ADBK_E_IO, "cannot create a file in the folder of %s/%s: %s",
                    x->o->dir, e->name, strerror(errno));
    x->fds.fd = fd;
    x->done = 0;
    adbk_status st2 = adbk_reader_write_member(r, i, adbk_fd_write_at, &x->fds, written, x, err);
    if (st2 == ADBK_E_ABORTED)
        st2 = fail(err, ADBK_E_INTERRUPTED, "interrupted while extracting %s", e->name);
    struct fs_meta_how how = {.owner = x->o->owner, .mode = true, .xattrs = x->o->xattrs,
                              .time = true, .default_mode = 0644};
    if (st2 == ADBK_OK)
        st2 = apply(fd, e, &how, x, err);
    if (close(fd) != 0 && st2 == ADBK_OK)
        st2 = fail(err, ADBK_E_IO, "cannot write %s/%s: %s", x->o->dir, e->name, strerror(errno));
    if (st2 == ADBK_OK && renameat(parent, tmp, parent, last) != 0)
        st2 = fail(err, ADBK_E_IO, "cannot rename into %s/%s: %s", x->o->dir, e->name,
                   strerror(errno));
    if (st2 != ADBK_OK)
        unlinkat(parent, tmp, 0);
    return st2;
}

static adbk_status extract_one(struct adbk_reader *r, size_t i, int root, struct xctx *x,
                               struct adbk_error *err)
{
    const struct adbk_entry *e = adbk_reader_member(r, i);
    struct adbk_error why;
    if (adbk_name_check(e->name, &why) != ADBK_OK)
        return fail(err, ADBK_E_UNSAFE, "refused to extract: %s", why.message);
    /* Refused before anything is created or written: no file system could
     * give it its name (the rename after the content would fail). */
    size_t most = longest_component(e->name);
    if (most > COMPONENT_MAX)
        return fail(err, ADBK_E_UNSAFE, "refused to extract %.80s...: its name has a component "
                    "of %zu bytes, and file systems hold at most %d bytes in one", e->name, most,
                    COMPONENT_MAX);
    /* A folder has no content, but its member and member-end records and
     * their seek-table entries are checked before anything is created, as
     * verify checks them: by the same member scan that reads a file. */
    if (e->kind == ADBK_KIND_DIRECTORY) {
        adbk_status st = adbk_reader_read_member(r, i, NULL, NULL, err);
        if (st != ADBK_OK)
            return st;
    }
    const char *last;
    int parent = open_parent(root, e->name, true, &last);
    if (parent < 0 && (errno == ENOTDIR || errno == ELOOP))
        return fail(err, ADBK_E_UNSAFE, "refused to extract %s/%s: a file or symlink is in the "
                    "way, and symlinks are never followed", x->o->dir, e->name);
    if (parent < 0)
        return fail(err, ADBK_E_IO, "cannot open the folder for %s/%s: %s", x->o->dir, e->name,
                    strerror(errno));
    adbk_status st;
    if (e->kind == ADBK_KIND_DIRECTORY) {
        st = ADBK_OK;
        if (mkdirat(parent, last, (e->flags & ADBK_HAS_MODE) ? (mode_t)(e->mode & 0777) : 0755) != 0 &&
            errno != EEXIST)
            st = fail(err, ADBK_E_IO, "cannot create folder %s/%s: %s", x->o->dir, e->name,
                      strerror(errno));
        else {
            int d = openat(parent, last, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (d < 0)
                st = fail(err, errno == ENOTDIR || errno == ELOOP ? ADBK_E_UNSAFE : ADBK_E_IO,
                          "refused to extract folder %s/%s: %s there is not a folder (symlinks "
                          "are never followed)", x->o->dir, e->name, e->name);
            else {
                /* A folder keeps the mode it was made with and its time. */
                struct fs_meta_how how = {.owner = x->o->owner, .xattrs = x->o->xattrs};
                st = apply(d, e, &how, x, err);
                close(d);
            }
        }
    } else {
        st = extract_file(r, i, parent, last, x, err);
    }
    close(parent);
    return st;
}

adbk_status adbk_extract(struct adbk_reader *r, const struct adbk_extract_options *opts,
                         const struct adbk_extract_callbacks *cb,
                         struct adbk_extract_result *res, struct adbk_error *err)
{
    struct adbk_extract_result local = {0};
    if (!res)
        res = &local;
    memset(res, 0, sizeof *res);
    /* Locked, every entry is "#N" of kind 0: without this, each would be
     * skipped as of an unknown kind and the extraction would succeed having
     * written nothing. */
    if (adbk_reader_info(r)->locked)
        return fail(err, ADBK_E_KEY, "the archive is encrypted and no key given opens it: "
                    "extracting needs a recipient's secret key");
    int root = open(opts->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return fail(err, ADBK_E_IO, "cannot open target folder %s: %s", opts->dir,
                    strerror(errno));
    struct xctx x = {.o = opts, .cb = cb};
    adbk_status first = ADBK_OK;
    for (size_t i = 0; i < adbk_reader_count(r); i++) {
        const struct adbk_entry *e = adbk_reader_member(r, i);
        if (!adbk_extract_selects(opts, e))
            continue;
        if (!adbk_kind_name(e->kind)) {
            res->skipped++;
            if (cb && cb->warning) {
                char msg[300];
                snprintf(msg, sizeof msg, "skipped %s: kind %u is unknown to this version",
                         e->name, e->kind);
                cb->warning(cb->ctx, msg);
            }
            continue;
        }
        if (cb && cb->member)
            cb->member(cb->ctx, e);
        struct adbk_error one;
        adbk_status st = extract_one(r, i, root, &x, &one);
        if (st == ADBK_OK) {
            res->members++;
            res->bytes += e->size;
            continue;
        }
        res->failed++;
        if (first == ADBK_OK) {
            first = st;
            if (err)
                *err = one;
        }
        if (cb && cb->warning)
            cb->warning(cb->ctx, one.message);
        if (st == ADBK_E_INTERRUPTED || st == ADBK_E_NOMEM)
            break;
    }
    close(root);
    return first;
}
