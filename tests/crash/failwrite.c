/*
 * failwrite.c - an LD_PRELOAD fault injector for the crash-consistency tests.
 * It owns nothing but its own counters: it watches write(), pwrite(),
 * fsync(), fdatasync(), link() and rename() on files whose path contains
 * FAILWRITE_MATCH, counts those calls ("events") and the bytes written, and
 * at a chosen point makes the call fail or kills the process:
 *
 *   FAILWRITE_MATCH=STR     only paths containing STR (required)
 *   FAILWRITE_MODE=M        enospc | eio | kill | count
 *   FAILWRITE_AT=N          the Nth event fails (1-based), or is preceded by
 *                           SIGKILL; with kill, FAILWRITE_AFTER=1 kills right
 *                           after the Nth event instead (so after a rename)
 *   FAILWRITE_BYTES=N       alternatively: writing past N bytes fails (the
 *                           write that crosses N is cut short at N, as a full
 *                           disk does; the next one fails)
 *   FAILWRITE_COUNT_FILE=P  on exit, write "EVENTS BYTES" to P (mode count)
 *
 * Once triggered with enospc or eio every later write and fsync on matching
 * files fails too, like a disk that stays full or broken.
 */
/* Both pwrite and pwrite64 are interposed, so neither may be renamed. */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* The interposed functions are exported; prototypes keep -Wmissing-prototypes quiet. */
ssize_t write(int fd, const void *buf, size_t n);
ssize_t pwrite(int fd, const void *buf, size_t n, off_t off);
ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off);
int fsync(int fd);
int fdatasync(int fd);
int link(const char *from, const char *to);
int rename(const char *from, const char *to);

static const char *match;
static int mode;          /* 0 count, 1 enospc, 2 eio, 3 kill */
static long at, events;
static long long limit = -1, bytes;
static int after, failing;

static void report(void)
{
    const char *p = getenv("FAILWRITE_COUNT_FILE");
    if (!p)
        return;
    FILE *f = fopen(p, "w");
    if (f) {
        fprintf(f, "%ld %lld\n", events, bytes);
        fclose(f);
    }
}

__attribute__((constructor)) static void init(void)
{
    match = getenv("FAILWRITE_MATCH");
    const char *m = getenv("FAILWRITE_MODE");
    mode = !m ? 0 : !strcmp(m, "enospc") ? 1 : !strcmp(m, "eio") ? 2 : !strcmp(m, "kill") ? 3 : 0;
    if (getenv("FAILWRITE_AT"))
        at = atol(getenv("FAILWRITE_AT"));
    if (getenv("FAILWRITE_BYTES"))
        limit = atoll(getenv("FAILWRITE_BYTES"));
    after = getenv("FAILWRITE_AFTER") != NULL;
    if (match && mode == 0)
        atexit(report);
}

static void *real(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

static int path_matches(const char *p)
{
    return match && *match && p && strstr(p, match) != NULL;
}

static int fd_matches(int fd)
{
    if (!match || !*match)
        return 0;
    char link_path[64], target[4096];
    snprintf(link_path, sizeof link_path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link_path, target, sizeof target - 1);
    if (n <= 0)
        return 0;
    target[n] = '\0';
    return strstr(target, match) != NULL;
}

/* Counts an event; returns the errno to fail it with, or 0. */
static int event(void)
{
    if (failing)
        return failing;
    events++;
    if (at && events == at && !after) {
        if (mode == 3)
            kill(getpid(), SIGKILL);
        if (mode == 1 || mode == 2)
            return failing = mode == 1 ? ENOSPC : EIO;
    }
    return 0;
}

static void event_done(void)
{
    if (at && events == at && after && mode == 3)
        kill(getpid(), SIGKILL);
}

/* How many of n bytes may still be written; sets failing at the limit. */
static size_t room(size_t n)
{
    if (limit < 0 || mode == 0 || mode == 3)
        return n;
    if (bytes >= limit) {
        failing = mode == 1 ? ENOSPC : EIO;
        return 0;
    }
    return (unsigned long long)limit - (unsigned long long)bytes < n ?
        (size_t)(limit - bytes) : n;
}

/* What every write wrapper does around the real call: *k_out bytes of n
 * may be written, or -1 (errno set) when this call must fail. */
static int admit(size_t n, size_t *k_out)
{
    int e = event();
    size_t k = e ? 0 : room(n);
    if (e || (k == 0 && n > 0)) {
        errno = e ? e : failing;
        return -1;
    }
    *k_out = k;
    return 0;
}

static ssize_t written(ssize_t r)
{
    if (r > 0)
        bytes += r;
    event_done();
    return r;
}

ssize_t write(int fd, const void *buf, size_t n)
{
    ssize_t (*w)(int, const void *, size_t) = real("write");
    size_t k;
    if (!fd_matches(fd))
        return w(fd, buf, n);
    return admit(n, &k) ? -1 : written(w(fd, buf, k));
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    ssize_t (*w)(int, const void *, size_t, off_t) = real("pwrite");
    size_t k;
    if (!fd_matches(fd))
        return w(fd, buf, n, off);
    return admit(n, &k) ? -1 : written(w(fd, buf, k, off));
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
    ssize_t (*w)(int, const void *, size_t, off64_t) = real("pwrite64");
    size_t k;
    if (!fd_matches(fd))
        return w(fd, buf, n, off);
    return admit(n, &k) ? -1 : written(w(fd, buf, k, off));
}

int fsync(int fd)
{
    int (*f)(int) = real("fsync");
    if (!fd_matches(fd))
        return f(fd);
    int e = event();
    if (e) {
        errno = e;
        return -1;
    }
    int r = f(fd);
    event_done();
    return r;
}

int fdatasync(int fd)
{
    int (*f)(int) = real("fdatasync");
    if (!fd_matches(fd))
        return f(fd);
    int e = event();
    if (e) {
        errno = e;
        return -1;
    }
    int r = f(fd);
    event_done();
    return r;
}

/* A failing disk fails the rename's metadata write too. */
int link(const char *from, const char *to)
{
    int (*f)(const char *, const char *) = real("link");
    if (!path_matches(from))
        return f(from, to);
    int e = event();
    if (e) {
        errno = e;
        return -1;
    }
    int r = f(from, to);
    event_done();
    return r;
}

int rename(const char *from, const char *to)
{
    int (*f)(const char *, const char *) = real("rename");
    if (!path_matches(from))
        return f(from, to);
    int e = event();
    if (e) {
        errno = e;
        return -1;
    }
    int r = f(from, to);
    event_done();
    return r;
}
