/*
 * fs.h - what the engine's file code shares and programs do not see: the
 * leftovers of killed runs (leftover.c), and owners and extended attributes
 * where the platform has them (attrs_linux.c, attrs_win32.c).
 *
 * Each temporary file adbk writes is flock()ed by its writer while it
 * matters, and the kernel drops the lock when the writer dies (kill -9 too).
 * fs_temp_lock locks a just-created temporary file and checks that it is
 * still linked: -1 means another run swept it first (or holds it), so close
 * it and make another. fs_sweep_leftovers removes the plain files in dir
 * named PREFIX + (mid characters, or any when mid is 0) + SUFFIX whose lock
 * it can take, telling note (may be NULL) about each; it never follows a
 * symlink and never touches a live run's file. Returns how many it removed.
 */
#ifndef ADBK_FS_H
#define ADBK_FS_H

#include "adbk.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* 1 where a file can be renamed while open (POSIX); the Windows build
 * defines it 0 (its C runtime opens files without FILE_SHARE_DELETE), and
 * there a writer closes its file just before the rename. */
#ifndef FS_RENAME_OPEN_FILES
#define FS_RENAME_OPEN_FILES 1
#endif

/* Owners and extended attributes (format 1.1), on Linux; on Windows every
 * call fails with ENOSYS. Each returns 0 or an errno value. Nothing follows
 * a symlink: the setters work on an open file or folder, the readers on a
 * path with the l* calls. */
int fs_owner_of(const struct stat *st, uint32_t *uid, uint32_t *gid);
int fs_set_owner(int fd, uint32_t uid, uint32_t gid);
int fs_set_xattr(int fd, const char *name, const void *value, size_t size);
/* ENODATA when fd has no attribute of that name. */
int fs_remove_xattr(int fd, const char *name);
/* The names of path's attributes, each NUL-terminated, in *names (malloc'd,
 * *len bytes); ENOTSUP when its file system has none. */
int fs_list_xattrs(const char *path, char **names, size_t *len);
/* The value of one (malloc'd, *size bytes); ENODATA when it is gone. */
int fs_get_xattr(const char *path, const char *name, void **value, size_t *size);
/* The name of user (or group) id here, or "" when it has none (or a longer
 * one than cap holds). */
void fs_id_name(bool group, uint32_t id, char *out, size_t cap);

/* Which of a member's metadata fs_apply_meta gives a file or folder. */
struct fs_meta_how {
    bool owner, mode, xattrs, time;
    mode_t default_mode; /* without a stored mode */
};
/* Gives the open file or folder fd member e's owner, mode (permission bits
 * 0777 only, never set-id bits from an archive), extended attributes (an
 * ACL the member lacks is removed: it was inherited) and time, as how asks
 * and e has them, in that order. 0, or an errno value with what (cap
 * bytes) naming the step that failed. */
int fs_apply_meta(int fd, const struct adbk_entry *e, const struct fs_meta_how *how, char *what,
                  size_t cap);

int fs_temp_lock(int fd);
size_t fs_sweep_leftovers(const char *dir, const char *prefix, size_t mid, const char *suffix,
                          void (*note)(void *ctx, const char *message), void *ctx);

#endif
