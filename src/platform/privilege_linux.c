/*
 * privilege_linux.c - plat_enable_privilege with libcap (privilege.h).
 * A capability can enter the effective set only from the permitted set;
 * when it is not permitted cap_set_proc fails with EPERM and changes nothing,
 * which is the Linux form of Windows' ERROR_NOT_ALL_ASSIGNED (DSBACKUP.md §6).
 */
#include "privilege.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>

const char *plat_privilege_hint(int which)
{
    if (which == PLAT_PRIV_RESTORE)
        return "the restore needs CAP_DAC_OVERRIDE (the Linux form of SeRestorePrivilege): "
               "run it as root, or grant it once with 'setcap cap_dac_override+p adbk'";
    return "the backup needs CAP_DAC_READ_SEARCH (the Linux form of SeBackupPrivilege): "
           "run it as root, or grant it once with 'setcap cap_dac_read_search+p adbk'";
}

adbk_status plat_enable_privilege(int which, struct adbk_error *err)
{
    cap_value_t cap;
    const char *name; /* message prefix: the privilege and that it is missing */
    if (which == PLAT_PRIV_BACKUP) {
        cap = CAP_DAC_READ_SEARCH;
        name = "the backup privilege is not held";
    } else if (which == PLAT_PRIV_RESTORE) {
        cap = CAP_DAC_OVERRIDE;
        name = "the restore privilege is not held";
    } else {
        return adbk_error_set(err, ADBK_E_ARG, "plat_enable_privilege: unknown privilege %d",
                              which);
    }
    cap_t c = cap_get_proc();
    if (!c)
        return adbk_error_set(err, errno == ENOMEM ? ADBK_E_NOMEM : ADBK_E_PRIVILEGE,
                    "cannot read this process's capabilities: %s", strerror(errno));
    cap_flag_value_t eff = CAP_CLEAR, perm = CAP_CLEAR;
    cap_get_flag(c, cap, CAP_EFFECTIVE, &eff);
    cap_get_flag(c, cap, CAP_PERMITTED, &perm);
    adbk_status st = ADBK_OK;
    /* Not permitted, or refused: either way the user must grant it. */
    if (eff != CAP_SET &&
        (perm != CAP_SET || cap_set_flag(c, CAP_EFFECTIVE, 1, &cap, CAP_SET) != 0 ||
         cap_set_proc(c) != 0))
        st = adbk_error_set(err, ADBK_E_PRIVILEGE, "%s: %s", name, plat_privilege_hint(which));
    cap_free(c);
    return st;
}
