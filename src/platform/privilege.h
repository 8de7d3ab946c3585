/*
 * privilege.h - the process privileges a backup or a restore needs.
 *
 * Owns: raising the local privilege that lets this process read (backup) or
 * write (restore) every file of the directory service. On Windows that is
 * SeBackupPrivilege / SeRestorePrivilege in the process token; on Linux the
 * capabilities CAP_DAC_READ_SEARCH / CAP_DAC_OVERRIDE, moved from the
 * permitted set into the effective set (docs/DSBACKUP.md
 * §6). One file per platform, picked by CMake.
 * Does not own: what the server checks on its side (the source reports that
 * as SRC_E_PRIVILEGE).
 *
 * Capabilities belong to a thread, and new threads inherit the creator's:
 * call this before any worker thread starts (before adbk_writer_open).
 */
#ifndef ADBK_PLATFORM_PRIVILEGE_H
#define ADBK_PLATFORM_PRIVILEGE_H

#include "adbk_format.h"

enum {
    PLAT_PRIV_BACKUP = 1,  /* SeBackupPrivilege / CAP_DAC_READ_SEARCH */
    PLAT_PRIV_RESTORE = 2  /* SeRestorePrivilege / CAP_DAC_OVERRIDE */
};

/* Enables privilege `which` for the calling thread (and the threads it starts
 * afterwards). Already enabled is success. Returns ADBK_OK; ADBK_E_PRIVILEGE
 * when the process does not hold it (err says what is missing and how to
 * grant it); ADBK_E_ARG for an unknown `which`; ADBK_E_NOMEM. */
adbk_status plat_enable_privilege(int which, struct adbk_error *err);

/* What to tell a user who lacks privilege `which`: one sentence naming the
 * privilege and how to grant it. Constant string. */
const char *plat_privilege_hint(int which);

#endif
