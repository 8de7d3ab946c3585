/*
 * leftover.c - temporary files that outlive a killed run, and their removal
 * by the next one (fs.h).
 *
 * Every temporary file adbk writes (an archive's NAME.XXXXXX.partial, a
 * restore's staged .adbk-restore-*.partial) is flock()ed by its writer for as
 * long as the file matters; the kernel drops the lock when the process dies,
 * kill -9 included. So a later run can tell a dead run's file from a live
 * one's without trusting process ids (which are reused) or times (clocks and
 * slow disks): if it can take the lock, nobody is writing it.
 *
 * The one race is a writer that has created its file but not yet locked it:
 * a sweeper may take the lock and remove the file in that moment. The writer
 * notices, because after locking it checks that its file is still linked
 * (fs_temp_lock), and makes another.
 *
 * A writer keeps its file open, so locked, until it has renamed it to its
 * final name (FS_RENAME_OPEN_FILES). Windows renames no open file (its C
 * runtime opens files without FILE_SHARE_DELETE), so there the file is
 * closed just before the rename; a sweep that takes it in that moment makes
 * the rename fail, and the run fails cleanly, as for any failed rename.
 */
#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int fs_temp_lock(int fd)
{
    /* A sweeper only ever unlinks, and a new file never takes a name in
     * use, so a file swept before we locked it has no link left. (Windows
     * removes no open file: there the check is moot.) */
    struct stat sb;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0)
        return -1;
    if (fstat(fd, &sb) != 0 || sb.st_nlink == 0)
        return -1; /* swept before we locked it */
    return 0;
}

static bool matches(const char *name, const char *prefix, size_t mid, const char *suffix)
{
    size_t n = strlen(name), p = strlen(prefix), s = strlen(suffix);
    return n > p + s && (!mid || n == p + mid + s) && strncmp(name, prefix, p) == 0 &&
           strcmp(name + n - s, suffix) == 0;
}

size_t fs_sweep_leftovers(const char *dir, const char *prefix, size_t mid, const char *suffix,
                            void (*note)(void *ctx, const char *message), void *ctx)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return 0; /* the caller's own open of the folder will say why */
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return 0;
    }
    size_t removed = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!matches(de->d_name, prefix, mid, suffix))
            continue;
        struct stat sb;
        if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(sb.st_mode))
            continue; /* only plain files we could have made */
        int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            continue;
        bool dead = flock(fd, LOCK_EX | LOCK_NB) == 0;
        close(fd); /* before unlinking: Windows removes no open file */
        if (!dead)
            continue; /* a live run's file */
        if (unlinkat(dirfd(d), de->d_name, 0) != 0)
            continue;
        removed++;
        if (note) {
            char m[1400];
            snprintf(m, sizeof m, "removed %s%s%s (%lld bytes), left by an earlier run that "
                     "was stopped before it finished", dir,
                     dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/", de->d_name,
                     (long long)sb.st_size);
            note(ctx, m);
        }
    }
    closedir(d);
    return removed;
}
