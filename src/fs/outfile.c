/*
 * outfile.c - durable archive output: a temporary file beside the target that
 * takes the final name only once complete and synced (see adbk.h).
 */
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct adbk_outfile {
    char *path, *temp, *dir;
    int fd;
    bool force, committed, pipe;
    struct adbk_fd_sink fds;
    struct adbk_sink sink;
};

static adbk_status set_io(struct adbk_error *err, const char *what, const char *path, int e)
{
    return adbk_error_set(err, e == EEXIST ? ADBK_E_EXISTS : ADBK_E_IO, "%s %s: %s", what, path,
                          strerror(e));
}

adbk_status adbk_outfile_check(const char *path, bool force, struct adbk_error *err)
{
    if (strcmp(path, "-") == 0)
        return ADBK_OK;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return adbk_error_set(err, ADBK_E_ARG, "cannot write %s: it is a folder; name the "
                              "archive file (e.g. %s/NAME.adbk)", path, path);
    if (!force && lstat(path, &st) == 0)
        return adbk_error_set(err, ADBK_E_EXISTS, "%s already exists; use --force to replace it",
                              path);
    char *copy = strdup(path);
    if (!copy)
        return adbk_error_set(err, ADBK_E_NOMEM, "no memory to check %s", path);
    const char *dir = dirname(copy);
    adbk_status s = ADBK_OK;
    int rc = stat(dir, &st);
    if (rc != 0 && (errno == ENOENT || errno == ENOTDIR))
        s = adbk_error_set(err, ADBK_E_ARG, "cannot write %s: the folder %s does not exist",
                           path, dir);
    else if (rc == 0 && !S_ISDIR(st.st_mode))
        s = adbk_error_set(err, ADBK_E_ARG, "cannot write %s: %s is not a folder", path, dir);
    free(copy);
    return s;
}

adbk_status adbk_outfile_open(const char *path, bool force, struct adbk_outfile **out,
                              struct adbk_error *err)
{
    *out = NULL;
    struct adbk_outfile *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path)))
        goto nomem;
    f->force = force;
    f->fd = -1;
    if (strcmp(path, "-") == 0) {
        f->pipe = true;
        f->fd = STDOUT_FILENO;
        adbk_sink_fd(&f->sink, &f->fds, f->fd, "standard output");
        *out = f;
        return ADBK_OK;
    }
    adbk_status s = adbk_outfile_check(path, force, err);
    if (s != ADBK_OK) {
        adbk_outfile_abort(f);
        return s;
    }
    char *copy = strdup(path);
    if (!copy)
        goto nomem;
    f->dir = strdup(dirname(copy));
    free(copy);
    size_t n = strlen(path) + 32;
    f->temp = malloc(n);
    if (!f->dir || !f->temp)
        goto nomem;
    for (int attempt = 0; attempt < 100; attempt++) {
        snprintf(f->temp, n, "%s.XXXXXX.partial", path);
        f->fd = mkostemps(f->temp, 8, O_CLOEXEC);
        if (f->fd < 0 || fs_temp_lock(f->fd) == 0)
            break; /* locked for as long as it lives: see leftover.c */
        close(f->fd);
        f->fd = -1;
        errno = EAGAIN;
    }
    if (f->fd < 0) {
        int e = errno;
        snprintf(f->temp, n, "%s", path); /* nothing to remove */
        free(f->temp);
        f->temp = NULL;
        s = set_io(err, "cannot create a file beside", path, e);
        adbk_outfile_abort(f);
        return s;
    }
    adbk_sink_fd(&f->sink, &f->fds, f->fd, f->path);
    *out = f;
    return ADBK_OK;
nomem:
    adbk_outfile_abort(f);
    return adbk_error_set(err, ADBK_E_NOMEM, "no memory to open %s", path);
}

size_t adbk_outfile_sweep(const char *path, void (*note)(void *ctx, const char *message),
                          void *ctx)
{
    if (strcmp(path, "-") == 0)
        return 0;
    char *a = strdup(path), *b = strdup(path);
    size_t n = 0;
    char prefix[4200];
    if (a && b && snprintf(prefix, sizeof prefix, "%s.", basename(b)) < (int)sizeof prefix)
        n = fs_sweep_leftovers(dirname(a), prefix, 6, ".partial", note, ctx);
    free(a);
    free(b);
    return n;
}

const struct adbk_sink *adbk_outfile_sink(struct adbk_outfile *f) { return &f->sink; }
const char *adbk_outfile_temp_path(const struct adbk_outfile *f) { return f->temp; }
bool adbk_outfile_is_pipe(const struct adbk_outfile *f) { return f->pipe; }

/* Gives temp the final name; without force never replaces a file that
 * appeared since open (link fails with EEXIST where rename would replace). */
static int publish(struct adbk_outfile *f)
{
    if (f->force)
        return rename(f->temp, f->path) == 0 ? 0 : errno;
    if (link(f->temp, f->path) != 0)
        return errno;
    unlink(f->temp);
    return 0;
}

adbk_status adbk_outfile_commit(struct adbk_outfile *f, struct adbk_error *err)
{
    if (f->pipe)
        return ADBK_OK;
    if (fsync(f->fd) != 0)
        return set_io(err, "cannot sync", f->temp, errno);
    /* Named while still open, so still locked: no other run's sweep can
     * take the temporary file between the close and the rename (leftover.c).
     * The fsync above made the bytes durable; close adds nothing. */
    if (!FS_RENAME_OPEN_FILES) {
        close(f->fd);
        f->fd = -1;
    }
    int e = publish(f);
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    if (e == EEXIST)
        return adbk_error_set(err, ADBK_E_EXISTS, "%s appeared while the archive was written; "
                              "left it alone (use --force to replace it)", f->path);
    if (e != 0)
        return set_io(err, "cannot rename the finished archive to", f->path, e);
    f->committed = true;
    int dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) != 0) {
        e = errno;
        if (dfd >= 0)
            close(dfd);
        return set_io(err, "cannot sync the folder", f->dir, e);
    }
    close(dfd);
    return ADBK_OK;
}

void adbk_outfile_abort(struct adbk_outfile *f)
{
    if (!f)
        return;
    if (!f->pipe && f->fd >= 0)
        close(f->fd);
    if (f->temp && !f->committed)
        unlink(f->temp);
    free(f->temp);
    free(f->dir);
    free(f->path);
    free(f);
}

adbk_status adbk_write_xxh128_sidecar(const char *path, const char *archive_name,
                                      const uint8_t digest[16], struct adbk_error *err)
{
    char hex[33], line[4200];
    adbk_hex128(digest, hex);
    char *copy = strdup(archive_name);
    if (!copy)
        return set_io(err, "no memory for", path, ENOMEM);
    int n = snprintf(line, sizeof line, "%s  %s\n", hex, basename(copy));
    free(copy);
    struct adbk_outfile *f;
    adbk_status st = adbk_outfile_open(path, true, &f, err);
    if (st != ADBK_OK)
        return st;
    int rc = f->sink.write(f->sink.ctx, line, (size_t)n);
    st = rc ? set_io(err, "cannot write", path, rc) : adbk_outfile_commit(f, err);
    adbk_outfile_abort(f);
    return st;
}
