/*
 * posix_win32.h - the POSIX calls adbk's portable code makes, for the
 * mingw-w64 build. Force-included (gcc -include) into every file of the
 * Windows build by the if(WIN32) branches of the CMakeLists.txt files, so the
 * shared sources keep their POSIX spelling and carry no #ifdef.
 *
 * Owns: paths as UTF-8 (WTF-8 for names that are not valid UTF-16) converted
 * to UTF-16 for the wide Win32 calls, with the \\?\ prefix added for long
 * paths (drive letters and UNC alike); binary, non-inherited descriptors;
 * positional I/O (pread/pwrite through OVERLAPPED offsets, safe across
 * threads); fsync; flock through LockFileEx; kill(pid, 0 or SIGTERM);
 * sysconf(_SC_NPROCESSORS_ONLN); getrandom; sigaction over signal(); the
 * *at() calls of safe extraction, emulated with descriptors that remember
 * their folder's path; lstat/realpath/scandir; st_mtim.
 * Does not own: privileges (privilege_win32.c), the ntdsbcli backend.
 *
 * It includes neither <fcntl.h> (its O_TRUNC-style names would reach files
 * that never asked for them) nor <windows.h>: the simulated DC defines its own DWORD and
 * HRESULT and must not meet the Windows ones. The implementations live in
 * posix_win32.c.
 *
 * Limits: a folder descriptor is not a handle to the folder but to its path,
 * so a folder renamed under an extraction is followed by name; symlinks and
 * junctions are reported by lstat/fstatat(AT_SYMLINK_NOFOLLOW) as links
 * (reparse points) and opens refuse them when O_NOFOLLOW is given.
 */
#ifndef ADBK_POSIX_WIN32_H
#define ADBK_POSIX_WIN32_H

#include <dirent.h>
#include <direct.h>
#include <errno.h>
#include <io.h>
#include <libgen.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* ---- paths ---- */
/* UTF-8/WTF-8 path -> malloc'd UTF-16 (wchar_t), long paths prefixed with
 * \\?\ (or \\?\UNC\). NULL with errno set (EILSEQ, ENOMEM, ENAMETOOLONG). */
wchar_t *plat_w32_wpath(const char *path);
/* UTF-16 (possibly with lone surrogates) -> malloc'd WTF-8. */
char *plat_w32_wtf8(const wchar_t *w, size_t n);

/* ---- flags the C runtime lacks ---- */
#ifndef O_CLOEXEC
#define O_CLOEXEC 0 /* plat_w32_open always adds O_NOINHERIT */
#endif
#define O_NOFOLLOW 0x01000000
#define O_DIRECTORY 0x02000000
#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#ifndef S_IFLNK
#define S_IFLNK 0xA000
#endif
#ifndef S_ISLNK
#define S_ISLNK(m) (((m) & 0xF000) == S_IFLNK)
#endif
#define st_mtim st_mtim_w32 /* struct stat has no timespec: see plat_w32_stat */
#define LOCK_SH 1
#define LOCK_EX 2
#define LOCK_NB 4
#define LOCK_UN 8
#define _SC_NPROCESSORS_ONLN 84
#ifndef SIGHUP
#define SIGHUP 1
#endif
#ifndef SIGPIPE
#define SIGPIPE 13
#endif
#ifndef SIGKILL
#define SIGKILL 9
#endif
#ifndef PATH_MAX
#define PATH_MAX 4096
#endif
#define UTIME_NOW ((1l << 30) - 1l)
#define UTIME_OMIT ((1l << 30) - 2l)

/* stat with a POSIX-shaped mtime (nanoseconds) and link detection. */
struct plat_w32_stat {
    dev_t st_dev;
    uint64_t st_ino;
    unsigned st_mode;
    short st_nlink;
    short st_uid, st_gid;
    int64_t st_size;
    struct timespec st_atim_w32, st_mtim_w32, st_ctim_w32;
};

int plat_w32_open(const char *path, int flags, ...);
int plat_w32_close(int fd);
int plat_w32_dup(int fd);
ssize_t plat_w32_pread(int fd, void *buf, size_t n, int64_t off);
ssize_t plat_w32_pwrite(int fd, const void *buf, size_t n, int64_t off);
int plat_w32_fsync(int fd);
int plat_w32_ftruncate(int fd, int64_t len);
int plat_w32_flock(int fd, int op);
int plat_w32_kill(int pid, int sig);
long plat_w32_sysconf(int name);
ssize_t plat_w32_getrandom(void *buf, size_t n, unsigned flags);
int plat_w32_stat(const char *path, struct plat_w32_stat *st);
int plat_w32_lstat(const char *path, struct plat_w32_stat *st);
int plat_w32_fstat(int fd, struct plat_w32_stat *st);
int plat_w32_mkdir(const char *path, int mode);
int plat_w32_rmdir(const char *path);
int plat_w32_unlink(const char *path);
int plat_w32_rename(const char *from, const char *to);
int plat_w32_link(const char *from, const char *to);
FILE *plat_w32_fopen(const char *path, const char *mode);
char *plat_w32_realpath(const char *path, char *resolved);
int plat_w32_mkostemps(char *tmpl, int suffixlen, int flags);
int plat_w32_openat(int dirfd, const char *name, int flags, ...);
int plat_w32_mkdirat(int dirfd, const char *name, int mode);
int plat_w32_fstatat(int dirfd, const char *name, struct plat_w32_stat *st, int flags);
int plat_w32_renameat(int fromfd, const char *from, int tofd, const char *to);
int plat_w32_unlinkat(int dirfd, const char *name, int flags);
int plat_w32_fchmod(int fd, unsigned mode);
int plat_w32_futimens(int fd, const struct timespec ts[2]);
int plat_w32_gethostname(char *name, size_t len);
struct tm *plat_w32_gmtime_r(const time_t *t, struct tm *out);
struct tm *plat_w32_localtime_r(const time_t *t, struct tm *out);
int plat_w32_nanosleep(const struct timespec *req, struct timespec *rem);

/* Folders as the walker reads them: names in WTF-8. */
struct plat_w32_dirent {
    char d_name[1024];
};
typedef struct plat_w32_dir plat_w32_DIR;
plat_w32_DIR *plat_w32_opendir(const char *path);
/* Takes fd (a folder descriptor from open(O_DIRECTORY)); closedir closes it. */
plat_w32_DIR *plat_w32_fdopendir(int fd);
int plat_w32_dirfd(plat_w32_DIR *d);
struct plat_w32_dirent *plat_w32_readdir(plat_w32_DIR *d);
int plat_w32_closedir(plat_w32_DIR *d);
int plat_w32_scandir(const char *path, struct plat_w32_dirent ***list,
                     int (*filter)(const struct plat_w32_dirent *),
                     int (*cmp)(const struct plat_w32_dirent **,
                                const struct plat_w32_dirent **));

/* sigaction over the C runtime's signal(): only sa_handler is honoured. */
struct plat_w32_sigaction {
    void (*sa_handler)(int);
    int sa_flags;
    int sa_mask;
};
int plat_w32_sigaction(int sig, const struct plat_w32_sigaction *sa,
                       struct plat_w32_sigaction *old);
void (*plat_w32_signal(int sig, void (*fn)(int)))(int);
static inline int plat_w32_sigemptyset(int *set)
{
    *set = 0;
    return 0;
}
#define sigemptyset plat_w32_sigemptyset

/* The object-like spellings keep struct members of the same names
 * consistent in every file (all of them see this header first). */
#define open plat_w32_open
#define close plat_w32_close
#define dup plat_w32_dup
#define pread plat_w32_pread
#define pwrite plat_w32_pwrite
#define fsync plat_w32_fsync
#undef ftruncate
#define ftruncate plat_w32_ftruncate
#define flock plat_w32_flock
#define kill plat_w32_kill
#define sysconf plat_w32_sysconf
#define getrandom plat_w32_getrandom
#undef stat
#undef fstat
#define stat plat_w32_stat
#define lstat plat_w32_lstat
#define fstat plat_w32_fstat
#define mkdir plat_w32_mkdir
#define rmdir plat_w32_rmdir
#define unlink plat_w32_unlink
#define rename plat_w32_rename
#define link plat_w32_link
#define fopen plat_w32_fopen
#define realpath plat_w32_realpath
#define mkostemps plat_w32_mkostemps
#define openat plat_w32_openat
#define mkdirat plat_w32_mkdirat
#define fstatat plat_w32_fstatat
#define renameat plat_w32_renameat
#define unlinkat plat_w32_unlinkat
#define fchmod plat_w32_fchmod
#define futimens plat_w32_futimens
#define nanosleep plat_w32_nanosleep
#define gethostname plat_w32_gethostname
#define gmtime_r plat_w32_gmtime_r
#define localtime_r plat_w32_localtime_r
#define fdopendir plat_w32_fdopendir
#define dirfd plat_w32_dirfd
#define DIR plat_w32_DIR
#define dirent plat_w32_dirent
#define opendir plat_w32_opendir
#define readdir plat_w32_readdir
#define closedir plat_w32_closedir
#define scandir plat_w32_scandir
#define sigaction plat_w32_sigaction
#define signal plat_w32_signal

#endif
