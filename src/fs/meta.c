/*
 * meta.c - giving an extracted or restored file or folder its member's
 * metadata (fs.h): owner, mode, extended attributes, time.
 */
#include "fs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Every stored attribute; the member's list is complete, so an ACL it lacks
 * was inherited here from the folder's default ACL (the archived file had
 * none) and is removed. */
static int set_xattrs(int fd, const struct adbk_entry *e, char *what, size_t cap)
{
    for (size_t k = 0; k < e->xattr_count; k++) {
        const struct adbk_xattr *a = &e->xattrs[k];
        int rc = fs_set_xattr(fd, a->name, a->value, a->size);
        if (rc != 0) {
            snprintf(what, cap, "extended attribute %s (%zu bytes)", a->name, a->size);
            return rc;
        }
    }
    static const char *const acls[] = {"system.posix_acl_access", "system.posix_acl_default"};
    for (size_t i = 0; i < sizeof acls / sizeof acls[0]; i++) {
        size_t k = 0;
        while (k < e->xattr_count && strcmp(e->xattrs[k].name, acls[i]) != 0)
            k++;
        int rc = k == e->xattr_count ? fs_remove_xattr(fd, acls[i]) : 0;
        if (rc != 0 && rc != ENODATA && rc != ENOTSUP) {
            snprintf(what, cap, "inherited %s (removing it)", acls[i]);
            return rc;
        }
    }
    return 0;
}

int fs_apply_meta(int fd, const struct adbk_entry *e, const struct fs_meta_how *how, char *what,
                  size_t cap)
{
    /* Owner first (a change of owner clears capabilities), then the mode,
     * then the attributes (an ACL sets the group bits itself), then the time. */
    if (how->owner && (e->flags & ADBK_HAS_OWNER)) {
        int rc = fs_set_owner(fd, e->uid, e->gid);
        if (rc != 0) {
            snprintf(what, cap, "owner (%u:%u)", e->uid, e->gid);
            return rc;
        }
    }
    if (how->mode) {
        mode_t mode = (e->flags & ADBK_HAS_MODE) ? (mode_t)e->mode : how->default_mode;
        if (fchmod(fd, mode & 0777) != 0) { /* never set-id bits from an archive */
            snprintf(what, cap, "mode");
            return errno;
        }
    }
    if (how->xattrs && (e->flags & ADBK_HAS_XATTRS)) {
        int rc = set_xattrs(fd, e, what, cap);
        if (rc != 0)
            return rc;
    }
    if (how->time && (e->flags & ADBK_HAS_MTIME)) {
        struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT},
                                 {.tv_sec = e->mtime_sec, .tv_nsec = e->mtime_nsec}};
        if (futimens(fd, ts) != 0) {
            snprintf(what, cap, "time");
            return errno;
        }
    }
    return 0;
}
