/*
 * rmtree.h - removes a folder's contents through folder descriptors
 * (fdopendir, fstatat, unlinkat), so that paths longer than PATH_MAX (a
 * legal 4,095-byte member name below a test folder) go too; nftw and
 * remove() cannot reach them. For tests and fuzz targets.
 */
#ifndef ADBK_TEST_RMTREE_H
#define ADBK_TEST_RMTREE_H

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Empties the folder open as fd and closes fd; opens each folder up first
 * (an archive may give one mode 0). check, when given, sees every entry
 * before it goes and may stop the walk by returning false. Returns 0, or
 * -1 when something could not be removed (or check said no). */
static inline int rmtree_at(int fd, bool (*check)(const struct stat *st))
{
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -1;
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            (check && !check(&st))) {
            rc = -1;
            break;
        }
        bool dir = S_ISDIR(st.st_mode);
        if (dir) {
            int sub = -1;
            if (fchmodat(dirfd(d), de->d_name, 0700, 0) == 0)
                sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
            if (sub < 0 || rmtree_at(sub, check) != 0)
                rc = -1;
        }
        if (rc == 0 && unlinkat(dirfd(d), de->d_name, dir ? AT_REMOVEDIR : 0) != 0)
            rc = -1;
    }
    closedir(d);
    return rc;
}

/* Removes the folder path and all below it: 0, or -1. */
static inline int rmtree(const char *path, bool (*check)(const struct stat *st))
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (fd < 0 || rmtree_at(fd, check) != 0)
        return -1;
    return rmdir(path);
}

#endif
