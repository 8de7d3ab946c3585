/*
 * attrs_win32.c - owners and extended attributes (fs.h) on Windows: not
 * there. An NTFS security descriptor is no POSIX owner, and NTFS extended
 * attributes are not what format 1.1 stores; every call fails with ENOSYS,
 * so create --owner/--xattrs and extract --owner/--xattrs fail with a
 * message instead of storing or applying something else.
 */
#include "fs.h"

#include <errno.h>

int fs_owner_of(const struct stat *st, uint32_t *uid, uint32_t *gid)
{
    (void)st;
    *uid = *gid = 0;
    return ENOSYS;
}

int fs_set_owner(int fd, uint32_t uid, uint32_t gid)
{
    (void)fd;
    (void)uid;
    (void)gid;
    return ENOSYS;
}

int fs_set_xattr(int fd, const char *name, const void *value, size_t size)
{
    (void)fd;
    (void)name;
    (void)value;
    (void)size;
    return ENOSYS;
}

int fs_remove_xattr(int fd, const char *name)
{
    (void)fd;
    (void)name;
    return ENOSYS;
}

int fs_list_xattrs(const char *path, char **names, size_t *len)
{
    (void)path;
    *names = NULL;
    *len = 0;
    return ENOSYS;
}

int fs_get_xattr(const char *path, const char *name, void **value, size_t *size)
{
    (void)path;
    (void)name;
    *value = NULL;
    *size = 0;
    return ENOSYS;
}

void fs_id_name(bool group, uint32_t id, char *out, size_t cap)
{
    (void)group;
    (void)id;
    if (cap)
        out[0] = '\0';
}
