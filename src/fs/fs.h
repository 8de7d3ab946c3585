/*
 * fs.h - what the engine's file code shares and programs do not see: the
 * leftovers of killed runs (leftover.c).
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

#include <stddef.h>

/* 1 where a file can be renamed while open (POSIX); the Windows build
 * defines it 0 (its C runtime opens files without FILE_SHARE_DELETE), and
 * there a writer closes its file just before the rename. */
#ifndef FS_RENAME_OPEN_FILES
#define FS_RENAME_OPEN_FILES 1
#endif

int fs_temp_lock(int fd);
size_t fs_sweep_leftovers(const char *dir, const char *prefix, size_t mid, const char *suffix,
                          void (*note)(void *ctx, const char *message), void *ctx);

#endif
