/*
 * capability_win32.c - the libcap subset of sys/capability.h that the
 * simulated DC uses to check its caller, answered from the Windows process
 * token (the Windows build of the simulator only).
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <errno.h>
#include <stdlib.h>
#include <sys/capability.h>

/* ---- capabilities, answered from the process token ----------------------- */

struct plat_w32_cap {
    int enabled[4];   /* CAP_EFFECTIVE, indexed by cap_value_t */
    int permitted[4];
};

static const wchar_t *cap_privilege(int v)
{
    switch (v) {
    case CAP_DAC_READ_SEARCH: return L"SeBackupPrivilege";
    case CAP_DAC_OVERRIDE: return L"SeRestorePrivilege";
    case CAP_CHOWN: return L"SeTakeOwnershipPrivilege";
    default: return NULL;
    }
}

cap_t cap_get_proc(void)
{
    struct plat_w32_cap *c = calloc(1, sizeof *c);
    if (!c) {
        errno = ENOMEM;
        return NULL;
    }
    HANDLE tok = NULL;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
        return c; /* nothing enabled */
    DWORD need = 0;
    GetTokenInformation(tok, TokenPrivileges, NULL, 0, &need);
    TOKEN_PRIVILEGES *tp = need ? malloc(need) : NULL;
    if (tp && GetTokenInformation(tok, TokenPrivileges, tp, need, &need)) {
        for (int v = 0; v < 4; v++) {
            LUID luid;
            const wchar_t *name = cap_privilege(v);
            if (!name || !LookupPrivilegeValueW(NULL, name, &luid))
                continue;
            for (DWORD i = 0; i < tp->PrivilegeCount; i++)
                if (tp->Privileges[i].Luid.LowPart == luid.LowPart &&
                    tp->Privileges[i].Luid.HighPart == luid.HighPart) {
                    c->permitted[v] = 1;
                    c->enabled[v] = (tp->Privileges[i].Attributes & SE_PRIVILEGE_ENABLED) != 0;
                }
        }
    }
    free(tp);
    CloseHandle(tok);
    return c;
}

int cap_get_flag(cap_t c, cap_value_t v, cap_flag_t which, cap_flag_value_t *out)
{
    if (!c || v < 0 || v > 3 || which == CAP_INHERITABLE) {
        errno = EINVAL;
        return -1;
    }
    int on = which == CAP_EFFECTIVE ? c->enabled[v] : c->permitted[v];
    *out = on ? CAP_SET : CAP_CLEAR;
    return 0;
}

int cap_set_flag(cap_t c, cap_flag_t which, int n, const cap_value_t *v, cap_flag_value_t val)
{
    (void)c, (void)which, (void)n, (void)v, (void)val;
    errno = ENOSYS; /* privileges are raised by privilege_win32.c, not here */
    return -1;
}

int cap_set_proc(cap_t c)
{
    (void)c;
    errno = ENOSYS;
    return -1;
}

int cap_free(void *p)
{
    free(p);
    return 0;
}
