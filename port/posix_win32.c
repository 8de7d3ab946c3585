/*
 * posix_win32.c - the POSIX calls of posix_win32.h over Win32 (wide calls
 * only, so every path is Unicode). Errors are reported POSIX-style: -1 and errno.
 */
#include "posix_win32.h"
#include "wtf8.h"

#include <fcntl.h>
#include <stdarg.h>

#undef open
#undef close
#undef dup
#undef stat
#undef fstat
#undef mkdir
#undef rmdir
#undef unlink
#undef rename
#undef link
#undef fopen
#undef signal
#undef sigaction
#undef DIR
#undef dirent
#undef nanosleep
#undef kill

#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <bcrypt.h>

/* ---- paths ------------------------------------------------------------- */

static int win_errno(DWORD e)
{
    switch (e) {
    case ERROR_FILE_NOT_FOUND: case ERROR_PATH_NOT_FOUND: case ERROR_INVALID_NAME:
    case ERROR_BAD_NETPATH: case ERROR_BAD_NET_NAME: return ENOENT;
    case ERROR_ACCESS_DENIED: case ERROR_SHARING_VIOLATION: case ERROR_LOCK_VIOLATION:
        return EACCES;
    case ERROR_ALREADY_EXISTS: case ERROR_FILE_EXISTS: return EEXIST;
    case ERROR_NOT_ENOUGH_MEMORY: case ERROR_OUTOFMEMORY: return ENOMEM;
    case ERROR_DISK_FULL: case ERROR_HANDLE_DISK_FULL: return ENOSPC;
    case ERROR_DIR_NOT_EMPTY: return ENOTEMPTY;
    case ERROR_DIRECTORY: return ENOTDIR;
    case ERROR_FILENAME_EXCED_RANGE: return ENAMETOOLONG;
    case ERROR_NOT_SAME_DEVICE: return EXDEV;
    case ERROR_INVALID_HANDLE: return EBADF;
    case ERROR_NOT_SUPPORTED: case ERROR_INVALID_FUNCTION: return ENOSYS;
    default: return EIO;
    }
}

static int fail_win(void)
{
    errno = win_errno(GetLastError());
    return -1;
}

/* Paths at or above this many units get the \\?\ form, which lifts the
 * MAX_PATH (260) limit; shorter ones stay as given so relative paths and
 * forward slashes keep working. */
#define LONG_PATH 240

wchar_t *plat_w32_wpath(const char *path)
{
    if (!path) {
        errno = EINVAL;
        return NULL;
    }
    uint16_t *w = plat_wtf8_to_utf16_dup(path);
    if (!w) {
        errno = EILSEQ;
        return NULL;
    }
    wchar_t *ws = (wchar_t *)w;
    size_t n = wcslen(ws);
    if (n < LONG_PATH || wcsncmp(ws, L"\\\\?\\", 4) == 0)
        return ws;
    /* GetFullPathNameW resolves ".", ".." and "/" (\\?\ paths take none of
     * them), then the prefix goes in front: \\?\C:\... or \\?\UNC\srv\... */
    DWORD need = GetFullPathNameW(ws, 0, NULL, NULL);
    wchar_t *full = need ? malloc((need + 8) * sizeof *full) : NULL;
    if (!full || !GetFullPathNameW(ws, need, full, NULL)) {
        free(full);
        free(ws);
        errno = full ? ENAMETOOLONG : ENOMEM;
        return NULL;
    }
    free(ws);
    size_t fl = wcslen(full);
    if (full[0] == L'\\' && full[1] == L'\\') { /* UNC: \\srv\share -> \\?\UNC\srv\share */
        memmove(full + 8, full + 2, (fl - 1) * sizeof *full);
        memcpy(full, L"\\\\?\\UNC\\", 8 * sizeof *full);
    } else {
        memmove(full + 4, full, (fl + 1) * sizeof *full);
        memcpy(full, L"\\\\?\\", 4 * sizeof *full);
    }
    return full;
}

char *plat_w32_wtf8(const wchar_t *w, size_t n)
{
    char *s = plat_utf16_to_wtf8_dup((const uint16_t *)w, n);
    if (!s)
        errno = ENOMEM;
    return s;
}

/* ---- descriptors of folders --------------------------------------------
 * A folder cannot be opened by the C runtime. open(O_DIRECTORY) opens the
 * NUL device to get a real descriptor number and remembers the folder's
 * UTF-8 path beside it; the *at() calls join names to that path. */

#define MAX_DIRFD 256
static struct {
    int fd;
    char *path;
} g_dirs[MAX_DIRFD];
static SRWLOCK g_dirs_lock = SRWLOCK_INIT;

static int dir_add(int fd, const char *path)
{
    int rc = -1;
    AcquireSRWLockExclusive(&g_dirs_lock);
    for (int i = 0; i < MAX_DIRFD; i++)
        if (!g_dirs[i].path) {
            g_dirs[i].path = strdup(path);
            g_dirs[i].fd = fd;
            rc = g_dirs[i].path ? 0 : -1;
            break;
        }
    ReleaseSRWLockExclusive(&g_dirs_lock);
    if (rc != 0)
        errno = ENFILE;
    return rc;
}

/* Copies the path of folder descriptor fd into a new string, or NULL. */
static char *dir_path(int fd)
{
    char *p = NULL;
    AcquireSRWLockShared(&g_dirs_lock);
    for (int i = 0; i < MAX_DIRFD; i++)
        if (g_dirs[i].path && g_dirs[i].fd == fd) {
            p = strdup(g_dirs[i].path);
            break;
        }
    ReleaseSRWLockShared(&g_dirs_lock);
    return p;
}

static void dir_del(int fd)
{
    AcquireSRWLockExclusive(&g_dirs_lock);
    for (int i = 0; i < MAX_DIRFD; i++)
        if (g_dirs[i].path && g_dirs[i].fd == fd) {
            free(g_dirs[i].path);
            g_dirs[i].path = NULL;
        }
    ReleaseSRWLockExclusive(&g_dirs_lock);
}

/* ---- stat ---------------------------------------------------------------- */

static struct timespec ft_to_ts(FILETIME ft)
{
    /* 100 ns ticks since 1601-01-01 -> Unix seconds and nanoseconds. */
    uint64_t t = ((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
    int64_t u = (int64_t)(t - 116444736000000000ull);
    struct timespec ts;
    ts.tv_sec = (time_t)(u / 10000000);
    ts.tv_nsec = (long)((u % 10000000) * 100);
    if (ts.tv_nsec < 0) {
        ts.tv_sec--;
        ts.tv_nsec += 1000000000;
    }
    return ts;
}

static FILETIME ts_to_ft(const struct timespec *ts)
{
    uint64_t t = (uint64_t)((int64_t)ts->tv_sec * 10000000 + ts->tv_nsec / 100) +
                 116444736000000000ull;
    FILETIME ft;
    ft.dwLowDateTime = (DWORD)t;
    ft.dwHighDateTime = (DWORD)(t >> 32);
    return ft;
}

static void fill_stat(struct plat_w32_stat *st, DWORD attr, uint64_t size, FILETIME a,
                      FILETIME m, FILETIME c, int nofollow)
{
    memset(st, 0, sizeof *st);
    if (nofollow && (attr & FILE_ATTRIBUTE_REPARSE_POINT))
        st->st_mode = S_IFLNK | 0777;
    else if (attr & FILE_ATTRIBUTE_DIRECTORY)
        st->st_mode = S_IFDIR | 0755;
    else
        st->st_mode = S_IFREG | ((attr & FILE_ATTRIBUTE_READONLY) ? 0444 : 0644);
    st->st_nlink = 1;
    st->st_size = (int64_t)size;
    st->st_atim_w32 = ft_to_ts(a);
    st->st_mtim_w32 = ft_to_ts(m);
    st->st_ctim_w32 = ft_to_ts(c);
}

static int stat_common(const char *path, struct plat_w32_stat *st, int nofollow)
{
    wchar_t *w = plat_w32_wpath(path);
    if (!w)
        return -1;
    WIN32_FILE_ATTRIBUTE_DATA d;
    BOOL ok = GetFileAttributesExW(w, GetFileExInfoStandard, &d);
    free(w);
    if (!ok)
        return fail_win();
    fill_stat(st, d.dwFileAttributes, ((uint64_t)d.nFileSizeHigh << 32) | d.nFileSizeLow,
              d.ftLastAccessTime, d.ftLastWriteTime, d.ftCreationTime, nofollow);
    return 0;
}

int plat_w32_stat(const char *path, struct plat_w32_stat *st)
{
    return stat_common(path, st, 0);
}

int plat_w32_lstat(const char *path, struct plat_w32_stat *st)
{
    return stat_common(path, st, 1);
}

int plat_w32_fstat(int fd, struct plat_w32_stat *st)
{
    char *dp = dir_path(fd);
    if (dp) {
        int rc = stat_common(dp, st, 0);
        free(dp);
        return rc;
    }
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    if (h == INVALID_HANDLE_VALUE) {
        errno = EBADF;
        return -1;
    }
    DWORD type = GetFileType(h);
    if (type != FILE_TYPE_DISK) {
        memset(st, 0, sizeof *st);
        st->st_mode = type == FILE_TYPE_PIPE ? S_IFIFO | 0600 : S_IFCHR | 0600;
        return 0;
    }
    BY_HANDLE_FILE_INFORMATION bi;
    if (!GetFileInformationByHandle(h, &bi))
        return fail_win();
    fill_stat(st, bi.dwFileAttributes, ((uint64_t)bi.nFileSizeHigh << 32) | bi.nFileSizeLow,
              bi.ftLastAccessTime, bi.ftLastWriteTime, bi.ftCreationTime, 0);
    st->st_ino = ((uint64_t)bi.nFileIndexHigh << 32) | bi.nFileIndexLow;
    st->st_nlink = (short)bi.nNumberOfLinks;
    return 0;
}

/* ---- descriptors --------------------------------------------------------- */

int plat_w32_open(const char *path, int flags, ...)
{
    int mode = 0;
    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, int);
        va_end(ap);
    }
    if (flags & (O_NOFOLLOW | O_DIRECTORY)) {
        struct plat_w32_stat st;
        int rc = stat_common(path, &st, 1);
        if (rc == 0 && (flags & O_NOFOLLOW) && S_ISLNK(st.st_mode)) {
            errno = ELOOP;
            return -1;
        }
        if (flags & O_DIRECTORY) {
            if (rc != 0)
                return -1;
            if (!S_ISDIR(st.st_mode)) {
                errno = ENOTDIR;
                return -1;
            }
            int fd = _wopen(L"NUL", _O_RDONLY | _O_NOINHERIT);
            if (fd < 0)
                return -1;
            if (dir_add(fd, path) != 0) {
                _close(fd);
                return -1;
            }
            return fd;
        }
    }
    wchar_t *w = plat_w32_wpath(path);
    if (!w)
        return -1;
    int cflags = (flags & ~(O_NOFOLLOW | O_DIRECTORY)) | _O_BINARY | _O_NOINHERIT;
    int pmode = _S_IREAD | ((mode & 0222) || !(flags & O_CREAT) ? _S_IWRITE : 0);
    int fd = _wopen(w, cflags, pmode);
    free(w);
    return fd;
}

int plat_w32_close(int fd)
{
    dir_del(fd);
    return _close(fd);
}

int plat_w32_dup(int fd)
{
    int nfd = _dup(fd);
    char *dp = nfd >= 0 ? dir_path(fd) : NULL;
    if (dp) {
        if (dir_add(nfd, dp) != 0) {
            _close(nfd);
            nfd = -1;
        }
        free(dp);
    }
    return nfd;
}

ssize_t plat_w32_pread(int fd, void *buf, size_t n, int64_t off)
{
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    if (h == INVALID_HANDLE_VALUE || off < 0) {
        errno = h == INVALID_HANDLE_VALUE ? EBADF : EINVAL;
        return -1;
    }
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    ov.Offset = (DWORD)(uint64_t)off;
    ov.OffsetHigh = (DWORD)((uint64_t)off >> 32);
    DWORD got = 0, want = n > 0x40000000u ? 0x40000000u : (DWORD)n;
    if (!ReadFile(h, buf, want, &got, &ov)) {
        if (GetLastError() == ERROR_HANDLE_EOF)
            return 0;
        return fail_win();
    }
    return (ssize_t)got;
}

ssize_t plat_w32_pwrite(int fd, const void *buf, size_t n, int64_t off)
{
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    if (h == INVALID_HANDLE_VALUE || off < 0) {
        errno = h == INVALID_HANDLE_VALUE ? EBADF : EINVAL;
        return -1;
    }
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    ov.Offset = (DWORD)(uint64_t)off;
    ov.OffsetHigh = (DWORD)((uint64_t)off >> 32);
    DWORD put = 0, want = n > 0x40000000u ? 0x40000000u : (DWORD)n;
    if (!WriteFile(h, buf, want, &put, &ov))
        return fail_win();
    return (ssize_t)put;
}

int plat_w32_fsync(int fd)
{
    char *dp = dir_path(fd);
    if (dp) { /* NTFS journals folder changes itself: nothing to flush */
        free(dp);
        return 0;
    }
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    if (h == INVALID_HANDLE_VALUE) {
        errno = EBADF;
        return -1;
    }
    return FlushFileBuffers(h) ? 0 : fail_win();
}

int plat_w32_ftruncate(int fd, int64_t len)
{
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    FILE_END_OF_FILE_INFO eof;
    eof.EndOfFile.QuadPart = len;
    if (h == INVALID_HANDLE_VALUE) {
        errno = EBADF;
        return -1;
    }
    return SetFileInformationByHandle(h, FileEndOfFileInfo, &eof, sizeof eof) ? 0 : fail_win();
}

int plat_w32_flock(int fd, int op)
{
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    if (h == INVALID_HANDLE_VALUE) {
        errno = EBADF;
        return -1;
    }
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    if (op & LOCK_UN)
        return UnlockFileEx(h, 0, MAXDWORD, MAXDWORD, &ov) ? 0 : fail_win();
    DWORD fl = ((op & LOCK_EX) ? LOCKFILE_EXCLUSIVE_LOCK : 0) |
               ((op & LOCK_NB) ? LOCKFILE_FAIL_IMMEDIATELY : 0);
    if (LockFileEx(h, fl, 0, MAXDWORD, MAXDWORD, &ov))
        return 0;
    if (GetLastError() == ERROR_LOCK_VIOLATION || GetLastError() == ERROR_IO_PENDING) {
        errno = EWOULDBLOCK;
        return -1;
    }
    return fail_win();
}

int plat_w32_kill(int pid, int sig)
{
    HANDLE h = OpenProcess(SYNCHRONIZE | PROCESS_TERMINATE | PROCESS_QUERY_LIMITED_INFORMATION,
                           FALSE, (DWORD)pid);
    if (!h) {
        errno = GetLastError() == ERROR_ACCESS_DENIED ? EPERM : ESRCH;
        return -1;
    }
    int rc = 0;
    if (WaitForSingleObject(h, 0) != WAIT_TIMEOUT) {
        errno = ESRCH; /* already exited */
        rc = -1;
    } else if (sig != 0 && !TerminateProcess(h, 128 + (unsigned)sig)) {
        rc = fail_win();
    }
    CloseHandle(h);
    return rc;
}

long plat_w32_sysconf(int name)
{
    if (name != _SC_NPROCESSORS_ONLN) {
        errno = EINVAL;
        return -1;
    }
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return (long)si.dwNumberOfProcessors;
}

ssize_t plat_w32_getrandom(void *buf, size_t n, unsigned flags)
{
    (void)flags;
    if (n > 0x7FFFFFFFu)
        n = 0x7FFFFFFFu;
    if (BCryptGenRandom(NULL, buf, (ULONG)n, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) {
        errno = EIO;
        return -1;
    }
    return (ssize_t)n;
}

int plat_w32_nanosleep(const struct timespec *req, struct timespec *rem)
{
    Sleep((DWORD)(req->tv_sec * 1000 + (req->tv_nsec + 999999) / 1000000));
    if (rem)
        rem->tv_sec = 0, rem->tv_nsec = 0;
    return 0;
}

int plat_w32_gethostname(char *name, size_t len)
{
    wchar_t w[MAX_COMPUTERNAME_LENGTH + 1];
    DWORD n = sizeof w / sizeof w[0];
    if (!GetComputerNameW(w, &n))
        return fail_win();
    if (plat_utf16_to_wtf8((const uint16_t *)w, n, name, len) >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

struct tm *plat_w32_gmtime_r(const time_t *t, struct tm *out)
{
    return gmtime_s(out, t) == 0 ? out : NULL;
}

struct tm *plat_w32_localtime_r(const time_t *t, struct tm *out)
{
    return localtime_s(out, t) == 0 ? out : NULL;
}

/* ---- names --------------------------------------------------------------- */

#define WPATH_CALL(path, expr)                                                     \
    do {                                                                           \
        wchar_t *w_ = plat_w32_wpath(path);                                        \
        if (!w_)                                                                   \
            return -1;                                                             \
        BOOL ok_ = (expr);                                                         \
        free(w_);                                                                  \
        return ok_ ? 0 : fail_win();                                               \
    } while (0)

int plat_w32_mkdir(const char *path, int mode)
{
    (void)mode;
    WPATH_CALL(path, CreateDirectoryW(w_, NULL));
}

int plat_w32_rmdir(const char *path)
{
    WPATH_CALL(path, RemoveDirectoryW(w_));
}

int plat_w32_unlink(const char *path)
{
    WPATH_CALL(path, DeleteFileW(w_));
}

static int two_paths(const char *from, const char *to, int hard_link)
{
    wchar_t *a = plat_w32_wpath(from), *b = a ? plat_w32_wpath(to) : NULL;
    if (!a || !b) {
        free(a);
        return -1;
    }
    BOOL ok = hard_link ? CreateHardLinkW(b, a, NULL)
                        : MoveFileExW(a, b, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH);
    free(a);
    free(b);
    return ok ? 0 : fail_win();
}

int plat_w32_rename(const char *from, const char *to)
{
    return two_paths(from, to, 0);
}

int plat_w32_link(const char *from, const char *to)
{
    return two_paths(from, to, 1);
}

FILE *plat_w32_fopen(const char *path, const char *mode)
{
    wchar_t *w = plat_w32_wpath(path);
    wchar_t wm[16];
    size_t i = 0;
    if (!w)
        return NULL;
    for (; mode[i] && i < 12; i++)
        wm[i] = (wchar_t)(unsigned char)mode[i];
    wm[i++] = L'N'; /* not inherited by child processes */
    wm[i] = 0;
    FILE *f = _wfopen(w, wm);
    free(w);
    return f;
}

char *plat_w32_realpath(const char *path, char *resolved)
{
    wchar_t *w = plat_w32_wpath(path);
    if (!w)
        return NULL;
    if (GetFileAttributesW(w) == INVALID_FILE_ATTRIBUTES) {
        fail_win();
        free(w);
        return NULL;
    }
    DWORD need = GetFullPathNameW(w, 0, NULL, NULL);
    wchar_t *full = need ? malloc(need * sizeof *full) : NULL;
    if (!full || !GetFullPathNameW(w, need, full, NULL)) {
        free(full);
        free(w);
        errno = ENOMEM;
        return NULL;
    }
    free(w);
    const wchar_t *f = full;
    if (wcsncmp(f, L"\\\\?\\", 4) == 0 && wcsncmp(f, L"\\\\?\\UNC\\", 8) != 0)
        f += 4;
    char *s = plat_w32_wtf8(f, wcslen(f));
    free(full);
    if (!s)
        return NULL;
    /* The portable code splits paths at '/', which Windows accepts too. */
    for (char *p = s; *p; p++)
        if (*p == '\\')
            *p = '/';
    if (!resolved)
        return s;
    if (strlen(s) >= PATH_MAX) {
        free(s);
        errno = ENAMETOOLONG;
        return NULL;
    }
    strcpy(resolved, s);
    free(s);
    return resolved;
}

int plat_w32_mkostemps(char *tmpl, int suffixlen, int flags)
{
    size_t n = strlen(tmpl);
    if (n < (size_t)suffixlen + 6 || memcmp(tmpl + n - suffixlen - 6, "XXXXXX", 6) != 0) {
        errno = EINVAL;
        return -1;
    }
    static const char set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    char *x = tmpl + n - suffixlen - 6;
    for (int tries = 0; tries < 100; tries++) {
        unsigned char r[6];
        if (plat_w32_getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
            return -1;
        for (int i = 0; i < 6; i++)
            x[i] = set[r[i] % (sizeof set - 1)];
        int fd = plat_w32_open(tmpl, O_RDWR | O_CREAT | O_EXCL | (flags & ~O_CLOEXEC), 0600);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    errno = EEXIST;
    return -1;
}

/* ---- *at() --------------------------------------------------------------- */

/* dirfd's path joined with name, malloc'd; NULL with errno. */
static char *at_path(int dirfd, const char *name)
{
    if (dirfd == AT_FDCWD)
        return strdup(name);
    char *dp = dir_path(dirfd);
    if (!dp) {
        errno = EBADF;
        return NULL;
    }
    size_t n = strlen(dp) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) {
        size_t dl = strlen(dp);
        int sep = dl > 0 && (dp[dl - 1] == '/' || dp[dl - 1] == '\\');
        snprintf(p, n, "%s%s%s", dp, sep ? "" : "/", name);
    } else {
        errno = ENOMEM;
    }
    free(dp);
    return p;
}

int plat_w32_openat(int dirfd, const char *name, int flags, ...)
{
    int mode = 0;
    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, int);
        va_end(ap);
    }
    char *p = at_path(dirfd, name);
    if (!p)
        return -1;
    int fd = plat_w32_open(p, flags, mode);
    free(p);
    return fd;
}

int plat_w32_mkdirat(int dirfd, const char *name, int mode)
{
    char *p = at_path(dirfd, name);
    if (!p)
        return -1;
    int rc = plat_w32_mkdir(p, mode);
    free(p);
    return rc;
}

int plat_w32_fstatat(int dirfd, const char *name, struct plat_w32_stat *st, int flags)
{
    char *p = at_path(dirfd, name);
    if (!p)
        return -1;
    int rc = stat_common(p, st, (flags & AT_SYMLINK_NOFOLLOW) != 0);
    free(p);
    return rc;
}

int plat_w32_renameat(int fromfd, const char *from, int tofd, const char *to)
{
    char *a = at_path(fromfd, from), *b = a ? at_path(tofd, to) : NULL;
    int rc = a && b ? plat_w32_rename(a, b) : -1;
    free(a);
    free(b);
    return rc;
}

int plat_w32_unlinkat(int dirfd, const char *name, int flags)
{
    char *p = at_path(dirfd, name);
    if (!p)
        return -1;
    int rc = (flags & AT_REMOVEDIR) ? plat_w32_rmdir(p) : plat_w32_unlink(p);
    free(p);
    return rc;
}

int plat_w32_fchmod(int fd, unsigned mode)
{
    /* Windows has only the read-only attribute; archives written by adbk
     * give it to no file, so keeping files writable loses nothing. */
    (void)fd;
    (void)mode;
    return 0;
}

int plat_w32_futimens(int fd, const struct timespec ts[2])
{
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    if (h == INVALID_HANDLE_VALUE) {
        errno = EBADF;
        return -1;
    }
    FILETIME a, m;
    FILETIME *pa = NULL, *pm = NULL;
    if (ts && ts[0].tv_nsec != UTIME_OMIT && ts[0].tv_nsec != UTIME_NOW)
        a = ts_to_ft(&ts[0]), pa = &a;
    if (ts && ts[1].tv_nsec != UTIME_OMIT && ts[1].tv_nsec != UTIME_NOW)
        m = ts_to_ft(&ts[1]), pm = &m;
    return SetFileTime(h, NULL, pa, pm) ? 0 : fail_win();
}

/* ---- folders ------------------------------------------------------------- */

struct plat_w32_dir {
    int fd; /* from fdopendir, closed with the folder; -1 otherwise */
    HANDLE h;
    WIN32_FIND_DATAW fdata;
    int first;
    struct plat_w32_dirent ent;
};

plat_w32_DIR *plat_w32_opendir(const char *path)
{
    size_t n = strlen(path);
    char *pat = malloc(n + 3);
    if (!pat) {
        errno = ENOMEM;
        return NULL;
    }
    snprintf(pat, n + 3, "%s%s*", path,
             n && (path[n - 1] == '/' || path[n - 1] == '\\') ? "" : "\\");
    wchar_t *w = plat_w32_wpath(pat);
    free(pat);
    if (!w)
        return NULL;
    plat_w32_DIR *d = calloc(1, sizeof *d);
    if (!d) {
        free(w);
        errno = ENOMEM;
        return NULL;
    }
    d->h = FindFirstFileW(w, &d->fdata);
    free(w);
    if (d->h == INVALID_HANDLE_VALUE) {
        fail_win();
        free(d);
        return NULL;
    }
    d->first = 1;
    d->fd = -1;
    return d;
}

plat_w32_DIR *plat_w32_fdopendir(int fd)
{
    char *p = dir_path(fd);
    if (!p) {
        errno = EBADF;
        return NULL;
    }
    plat_w32_DIR *d = plat_w32_opendir(p);
    free(p);
    if (d)
        d->fd = fd;
    return d;
}

int plat_w32_dirfd(plat_w32_DIR *d)
{
    if (d->fd < 0)
        errno = ENOTSUP;
    return d->fd;
}

struct plat_w32_dirent *plat_w32_readdir(plat_w32_DIR *d)
{
    for (;;) {
        if (!d->first && !FindNextFileW(d->h, &d->fdata))
            return NULL;
        d->first = 0;
        size_t need = plat_utf16_to_wtf8((const uint16_t *)d->fdata.cFileName,
                                         wcslen(d->fdata.cFileName), d->ent.d_name,
                                         sizeof d->ent.d_name);
        if (need < sizeof d->ent.d_name)
            return &d->ent;
    }
}

int plat_w32_closedir(plat_w32_DIR *d)
{
    if (d) {
        FindClose(d->h);
        if (d->fd >= 0)
            plat_w32_close(d->fd);
        free(d);
    }
    return 0;
}

int plat_w32_scandir(const char *path, struct plat_w32_dirent ***list,
                     int (*filter)(const struct plat_w32_dirent *),
                     int (*cmp)(const struct plat_w32_dirent **, const struct plat_w32_dirent **))
{
    plat_w32_DIR *d = plat_w32_opendir(path);
    if (!d)
        return -1;
    struct plat_w32_dirent **v = NULL, *e;
    size_t n = 0, cap = 0;
    while ((e = plat_w32_readdir(d))) {
        if (filter && !filter(e))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            struct plat_w32_dirent **nv = realloc(v, cap * sizeof *nv);
            if (!nv)
                goto nomem;
            v = nv;
        }
        if (!(v[n] = malloc(sizeof *e)))
            goto nomem;
        memcpy(v[n++], e, sizeof *e);
    }
    plat_w32_closedir(d);
    if (cmp && n > 1)
        qsort(v, n, sizeof *v, (int (*)(const void *, const void *))cmp);
    *list = v;
    return (int)n;
nomem:
    while (n)
        free(v[--n]);
    free(v);
    plat_w32_closedir(d);
    errno = ENOMEM;
    return -1;
}

/* ---- signals ------------------------------------------------------------- */

void (*plat_w32_signal(int sig, void (*fn)(int)))(int)
{
    /* The C runtime knows SIGINT, SIGTERM, SIGABRT, SIGFPE, SIGILL and
     * SIGSEGV; a write to a closed pipe is an error return on Windows. */
    if (sig == SIGHUP || sig == SIGPIPE || sig == SIGKILL)
        return SIG_DFL;
    return signal(sig, fn);
}

int plat_w32_sigaction(int sig, const struct plat_w32_sigaction *sa,
                       struct plat_w32_sigaction *old)
{
    void (*prev)(int) = SIG_DFL;
    if (sa)
        prev = plat_w32_signal(sig, sa->sa_handler);
    if (old) {
        memset(old, 0, sizeof *old);
        old->sa_handler = prev;
    }
    return 0;
}
