/*
 * privilege_win32.c - plat_enable_privilege over the process token
 * (privilege.h), the way Microsoft's "Setting the Backup and Restore
 * Privileges" example does it (OpenProcessToken, LookupPrivilegeValue,
 * AdjustTokenPrivileges with SE_PRIVILEGE_ENABLED), with the example's two
 * defects fixed (docs/DSBACKUP.md §6):
 *  1. AdjustTokenPrivileges returns TRUE even when the token does not hold
 *     the privilege; it then sets ERROR_NOT_ALL_ASSIGNED (1300). That case is
 *     a refusal here, not a success.
 *  2. The example returned ERROR_FUNCTION_FAILED (1627) as an HRESULT, which
 *     SUCCEEDED() takes for success. Here every failure is an adbk_status
 *     with the Win32 code and its system text in the message, never a
 *     positive number tested with SUCCEEDED().
 * Privileges belong to the process token, so worker threads started later
 * share them.
 */
#include "privilege.h"

#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdio.h>

const char *plat_privilege_hint(int which)
{
    if (which == PLAT_PRIV_RESTORE)
        return "the restore needs SeRestorePrivilege: run adbk from an elevated prompt as a "
               "member of Administrators or Backup Operators";
    return "the backup needs SeBackupPrivilege: run adbk from an elevated prompt as a member "
           "of Administrators or Backup Operators";
}

/* The system's text for Win32 code e, without the trailing line break. */
static void sys_text(DWORD e, char *buf, size_t cap)
{
    wchar_t w[512];
    DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
                             e, 0, w, sizeof w / sizeof w[0], NULL);
    while (n > 0 && (w[n - 1] == L'\r' || w[n - 1] == L'\n' || w[n - 1] == L' ' ||
                     w[n - 1] == L'.'))
        n--;
    if (n == 0 || !WideCharToMultiByte(CP_UTF8, 0, w, (int)n, buf, (int)cap - 1, NULL, NULL))
        snprintf(buf, cap, "Win32 error %lu", (unsigned long)e);
    else
        buf[cap - 1 < n ? cap - 1 : n] = 0;
}

static adbk_status win_fail(struct adbk_error *err, adbk_status st, const char *step, DWORD e)
{
    char text[256];
    sys_text(e, text, sizeof text);
    return adbk_error_set(err, st, "%s failed: %s (Win32 error %lu)", step, text,
                          (unsigned long)e);
}

adbk_status plat_enable_privilege(int which, struct adbk_error *err)
{
    const wchar_t *priv;
    const char *name;
    if (which == PLAT_PRIV_BACKUP) {
        priv = L"SeBackupPrivilege"; /* SE_BACKUP_NAME */
        name = "the backup privilege (SeBackupPrivilege) is not held";
    } else if (which == PLAT_PRIV_RESTORE) {
        priv = L"SeRestorePrivilege"; /* SE_RESTORE_NAME */
        name = "the restore privilege (SeRestorePrivilege) is not held";
    } else {
        return adbk_error_set(err, ADBK_E_ARG, "plat_enable_privilege: unknown privilege %d",
                              which);
    }
    HANDLE tok = NULL;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &tok))
        return win_fail(err, ADBK_E_PRIVILEGE, "OpenProcessToken", GetLastError());
    TOKEN_PRIVILEGES tp;
    tp.PrivilegeCount = 1;
    tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
    adbk_status st = ADBK_OK;
    if (!LookupPrivilegeValueW(NULL, priv, &tp.Privileges[0].Luid)) {
        st = win_fail(err, ADBK_E_PRIVILEGE, "LookupPrivilegeValue", GetLastError());
    } else if (!AdjustTokenPrivileges(tok, FALSE, &tp, 0, NULL, NULL)) {
        st = win_fail(err, ADBK_E_PRIVILEGE, "AdjustTokenPrivileges", GetLastError());
    } else if (GetLastError() == ERROR_NOT_ALL_ASSIGNED) {
        /* Defect 1 of the example: TRUE, yet nothing was enabled. */
        st = adbk_error_set(err, ADBK_E_PRIVILEGE, "%s (AdjustTokenPrivileges: "
                            "ERROR_NOT_ALL_ASSIGNED): %s", name, plat_privilege_hint(which));
    }
    CloseHandle(tok);
    return st;
}
