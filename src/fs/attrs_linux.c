/*
 * attrs_linux.c - owners and extended attributes of files and folders
 * (fs.h): fchown and fsetxattr on descriptors, llistxattr and lgetxattr on
 * paths, the user and group databases for names.
 */
#include "fs.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

int fs_owner_of(const struct stat *st, uint32_t *uid, uint32_t *gid)
{
    *uid = (uint32_t)st->st_uid;
    *gid = (uint32_t)st->st_gid;
    return 0;
}

int fs_set_owner(int fd, uint32_t uid, uint32_t gid)
{
    return fchown(fd, (uid_t)uid, (gid_t)gid) == 0 ? 0 : errno;
}

int fs_set_xattr(int fd, const char *name, const void *value, size_t size)
{
    return fsetxattr(fd, name, value, size, 0) == 0 ? 0 : errno;
}

int fs_remove_xattr(int fd, const char *name)
{
    return fremovexattr(fd, name) == 0 ? 0 : errno;
}

/* What llistxattr (name NULL) or lgetxattr gives, malloc'd: the size first,
 * then the bytes, again while the list or value grows meanwhile. */
static int read_attr(const char *path, const char *name, char **out, size_t *len)
{
    for (int attempt = 0; attempt < 8; attempt++) {
        ssize_t want = name ? lgetxattr(path, name, NULL, 0) : llistxattr(path, NULL, 0);
        if (want < 0)
            return errno;
        char *buf = malloc(want ? (size_t)want : 1);
        if (!buf)
            return ENOMEM;
        ssize_t got = name ? lgetxattr(path, name, buf, (size_t)want)
                           : llistxattr(path, buf, (size_t)want);
        if (got >= 0) {
            *out = buf;
            *len = (size_t)got;
            return 0;
        }
        int e = errno;
        free(buf);
        if (e != ERANGE)
            return e;
    }
    return ERANGE;
}

int fs_list_xattrs(const char *path, char **names, size_t *len)
{
    return read_attr(path, NULL, names, len);
}

int fs_get_xattr(const char *path, const char *name, void **value, size_t *size)
{
    char *v = NULL;
    int e = read_attr(path, name, &v, size);
    *value = v;
    return e;
}

void fs_id_name(bool group, uint32_t id, char *out, size_t cap)
{
    char buf[16384];
    struct passwd pw, *pp = NULL;
    struct group gr, *gp = NULL;
    const char *name = NULL;
    if (group && getgrgid_r((gid_t)id, &gr, buf, sizeof buf, &gp) == 0 && gp)
        name = gp->gr_name;
    if (!group && getpwuid_r((uid_t)id, &pw, buf, sizeof buf, &pp) == 0 && pp)
        name = pp->pw_name;
    snprintf(out, cap, "%s", name && strlen(name) < cap ? name : "");
}
