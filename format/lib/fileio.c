/*
 * fileio.c - the file descriptor sink and the file source: the container
 * library's only contact with the operating system's files.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes all len bytes to fd at offset, or where it stands when offset is
 * -1 (a pipe). Returns 0 or an errno value. */
static int write_all(int fd, const uint8_t *p, size_t len, int64_t offset)
{
    while (len) {
        ssize_t n = offset < 0 ? write(fd, p, len) : pwrite(fd, p, len, (off_t)offset);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        p += n;
        len -= (size_t)n;
        if (offset >= 0)
            offset += n;
    }
    return 0;
}

static int fd_write(void *ctx, const void *buf, size_t len)
{
    const struct adbk_fd_sink *s = ctx;
    return write_all(s->fd, buf, len, -1);
}

int adbk_fd_write_at(void *ctx, uint64_t offset, const void *buf, size_t len)
{
    const struct adbk_fd_sink *s = ctx;
    if (offset > INT64_MAX)
        return EFBIG;
    return write_all(s->fd, buf, len, (int64_t)offset);
}

/* pread until len bytes or the file's end: 0 and *got, or an errno value.
 * The reader's file source and adbk_fd_read_at share it. */
static int read_full(int fd, uint64_t offset, void *buf, size_t len, size_t *got)
{
    uint8_t *p = buf;
    *got = 0;
    while (len) {
        if (offset > INT64_MAX)
            return EFBIG;
        ssize_t n = pread(fd, p, len, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        if (n == 0)
            break;
        p += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
        *got += (size_t)n;
    }
    return 0;
}

int adbk_fd_read_at(void *ctx, uint64_t offset, void *buf, size_t len, size_t *got)
{
    const struct adbk_fd_sink *s = ctx;
    return read_full(s->fd, offset, buf, len, got);
}

static int fd_finish(void *ctx)
{
    struct adbk_fd_sink *s = ctx;
    struct stat st;
    if (fstat(s->fd, &st) == 0 && S_ISREG(st.st_mode) && fsync(s->fd) != 0)
        return errno;
    return 0;
}

void adbk_sink_fd(struct adbk_sink *sink, struct adbk_fd_sink *fds, int fd, const char *name)
{
    fds->fd = fd;
    sink->write = fd_write;
    sink->finish = fd_finish;
    sink->ctx = fds;
    sink->name = name;
}

/* ------------------------------------------------------------ file source */

struct file_source {
    struct adbk_source src;
    int fd;
    char *name;
};

static int file_read_at(void *ctx, uint64_t offset, void *buf, size_t len)
{
    struct file_source *f = ctx;
    size_t got;
    int rc = read_full(f->fd, offset, buf, len, &got);
    return rc ? rc : got < len ? EIO /* the file shrank under us */ : 0;
}

/* The end of the hole at offset, if the file system tells (SEEK_DATA); a file
 * with no data up to its end: its size. Any other failure: cannot tell. */
static int file_next_data(void *ctx, uint64_t offset, uint64_t *data)
{
#ifdef SEEK_DATA
    struct file_source *f = ctx;
    off_t d = lseek(f->fd, (off_t)offset, SEEK_DATA);
    if (d >= 0) {
        *data = (uint64_t)d;
        return 0;
    }
    if (errno == ENXIO) {
        *data = f->src.size;
        return 0;
    }
    return errno;
#else
    (void)ctx;
    (void)offset;
    (void)data;
    return ENOTSUP;
#endif
}

adbk_status adbk_source_open_file(const char *path, struct adbk_source **out,
                                  struct adbk_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(err, ADBK_E_IO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return err_set(err, ADBK_E_IO, "cannot stat %s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return err_set(err, ADBK_E_IO, "%s is not a regular file", path);
    }
    struct file_source *f = calloc(1, sizeof *f);
    char *name = strdup(path);
    if (!f || !name) {
        free(f);
        free(name);
        close(fd);
        return err_set(err, ADBK_E_NOMEM, "no memory to open %s", path);
    }
    f->fd = fd;
    f->name = name;
    f->src.read_at = file_read_at;
    f->src.ctx = f;
    f->src.size = (uint64_t)st.st_size;
    f->src.name = name;
    f->src.next_data = file_next_data;
    *out = &f->src;
    return ADBK_OK;
}

void adbk_source_close(struct adbk_source *src)
{
    if (!src)
        return;
    struct file_source *f = src->ctx;
    close(f->fd);
    free(f->name);
    free(f);
}
