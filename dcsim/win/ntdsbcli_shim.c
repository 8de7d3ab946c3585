/*
 * ntdsbcli_shim.c - the exported face of the simulated DC's ntdsbcli.dll:
 * the real DLL's W and no-suffix entry points (prototypes from mingw-w64's
 * ntdsbcli.h, so names, __stdcall and signatures are the header's), each
 * converting UTF-16 <-> UTF-8 and calling the simulator through its table of
 * entry points (dsapi_table.h), as adbk itself does on Linux.
 *
 * Owns: the W encoding of the name lists (one WCHAR BFT, the path, a 0 unit;
 * an empty string ends the list; the byte count covers both final 0 units,
 * docs/DSBACKUP.md §2), and DsBackupFree for both kinds of buffer
 * it hands out: W lists it made itself, and the simulator's expiry tokens.
 * "This machine": NULL, "" or this computer's name (with or without "\\")
 * reach the simulator as NULL, so a DC bound by ADBK_DCSIM_DIR answers.
 * Does not own: any rule of the contract; the simulator enforces them all.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#define _stdcall __stdcall /* ntdsbcli.h's spelling; see src/dsbackup/ntdsbcli_win32.c */
#include <ntdsbcli.h>

#include "bridge.h"
#include "dsapi_table.h"
#include "wtf8.h"

#include <stdlib.h>
#include <string.h>

/* The simulator's calls. */
#define T (dcsim_ds_api())

/* ---- buffers this DLL allocated itself (W lists) ---- */

#define MAX_LISTS 64
static void *g_lists[MAX_LISTS];
static SRWLOCK g_lock = SRWLOCK_INIT;

static int remember(void *p)
{
    int ok = 0;
    AcquireSRWLockExclusive(&g_lock);
    for (int i = 0; i < MAX_LISTS && !ok; i++)
        if (!g_lists[i]) {
            g_lists[i] = p;
            ok = 1;
        }
    ReleaseSRWLockExclusive(&g_lock);
    return ok;
}

static int forget(void *p)
{
    int found = 0;
    AcquireSRWLockExclusive(&g_lock);
    for (int i = 0; i < MAX_LISTS && !found; i++)
        if (g_lists[i] == p) {
            g_lists[i] = NULL;
            found = 1;
        }
    ReleaseSRWLockExclusive(&g_lock);
    return found;
}

/* ---- strings ---- */

/* UTF-16 -> malloc'd UTF-8; NULL stays NULL (*bad set on failure). */
static char *u8(LPCWSTR w, int *bad)
{
    if (!w)
        return NULL;
    char *s = plat_utf16_to_wtf8_dup((const uint16_t *)w, wcslen(w));
    if (!s)
        *bad = 1;
    return s;
}

/* The server name for the simulator: NULL for this machine. */
static char *server_u8(LPCWSTR w, int *bad)
{
    if (!w || !*w)
        return NULL;
    wchar_t me[MAX_COMPUTERNAME_LENGTH + 1];
    DWORD n = sizeof me / sizeof me[0];
    LPCWSTR bare = w;
    while (*bare == L'\\')
        bare++;
    if (GetComputerNameW(me, &n) && _wcsicmp(me, bare) == 0)
        return NULL;
    return u8(w, bad);
}

/* Turns the simulator's A list into a W list this DLL owns. */
static HRESULT to_wlist(HRESULT hr, char *a, uint32_t cb, LPWSTR *out, LPDWORD pcb)
{
    if (hr != S_OK) {
        T->backup_free(NULL, a);
        return hr;
    }
    size_t units = 1, at = 0;
    while (at < cb && a[at]) { /* count: BFT unit + UTF-16 path + 0 unit */
        size_t len = strlen(a + at + 1);
        size_t w = plat_wtf8_to_utf16(a + at + 1, NULL, 0);
        if (w == (size_t)-1) {
            T->backup_free(NULL, a);
            return ERROR_INVALID_PARAMETER;
        }
        units += 2 + w;
        at += len + 2;
    }
    WCHAR *list = malloc(units * sizeof *list);
    if (!list || !remember(list)) {
        free(list);
        T->backup_free(NULL, a);
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    size_t put = 0;
    for (at = 0; at < cb && a[at];) {
        size_t len = strlen(a + at + 1);
        list[put++] = (WCHAR)(unsigned char)a[at];
        put += plat_wtf8_to_utf16(a + at + 1, (uint16_t *)list + put, units - put) + 1;
        at += len + 2;
    }
    list[put++] = 0;
    T->backup_free(NULL, a);
    *out = list;
    *pcb = (DWORD)(put * sizeof *list);
    return S_OK;
}

/* The functions below define what ntdsbcli.h declares as dllimport. */
#pragma GCC diagnostic ignored "-Wattributes"

HRESULT WINAPI DsIsNTDSOnlineW(LPCWSTR szServerName, WINBOOL *pfNTDSOnline)
{
    int bad = 0, on = 0;
    char *srv = server_u8(szServerName, &bad);
    HRESULT hr = bad ? ERROR_INVALID_PARAMETER : T->is_online(NULL, srv, &on);
    free(srv);
    if (hr == S_OK && pfNTDSOnline)
        *pfNTDSOnline = on ? TRUE : FALSE;
    return hr;
}

HRESULT WINAPI DsSetAuthIdentityW(LPCWSTR szUserName, LPCWSTR szDomainName, LPCWSTR szPassword)
{
    int bad = 0;
    char *u = u8(szUserName, &bad), *d = u8(szDomainName, &bad), *p = u8(szPassword, &bad);
    HRESULT hr = bad ? ERROR_INVALID_PARAMETER : T->set_auth_identity(NULL, u, d, p);
    if (p)
        SecureZeroMemory(p, strlen(p));
    free(u);
    free(d);
    free(p);
    return hr;
}

HRESULT WINAPI DsBackupPrepareW(LPCWSTR szBackupServer, ULONG grbit, ULONG btFlag,
                                PVOID *ppvExpiryToken, LPDWORD pcbExpiryTokenSize, HBC *phbc)
{
    int bad = 0;
    char *srv = server_u8(szBackupServer, &bad);
    uint32_t cb = 0;
    HRESULT hr = bad ? ERROR_INVALID_PARAMETER
                     : T->backup_prepare(NULL, srv, grbit, btFlag, ppvExpiryToken,
                                           pcbExpiryTokenSize ? &cb : NULL, phbc);
    free(srv);
    if (pcbExpiryTokenSize && hr == S_OK)
        *pcbExpiryTokenSize = cb;
    return hr;
}

HRESULT WINAPI DsBackupGetDatabaseNamesW(HBC hbc, LPWSTR *pszAttachmentInfo, LPDWORD pcbSize)
{
    if (!pszAttachmentInfo || !pcbSize)
        return ERROR_INVALID_PARAMETER;
    if (*pszAttachmentInfo) /* R7: must be NULL on entry */
        return ERROR_INVALID_PARAMETER;
    char *a = NULL;
    uint32_t cb = 0;
    HRESULT hr = T->backup_database_names(NULL, hbc, &a, &cb);
    return to_wlist(hr, a, cb, pszAttachmentInfo, pcbSize);
}

HRESULT WINAPI DsBackupOpenFileW(HBC hbc, LPCWSTR szAttachmentName, DWORD cbReadHintSize,
                                 LARGE_INTEGER *pliFileSize)
{
    int bad = 0;
    char *name = u8(szAttachmentName, &bad);
    int64_t size = 0;
    HRESULT hr = bad || !name ? ERROR_INVALID_PARAMETER
                              : T->backup_open_file(NULL, hbc, name, cbReadHintSize, &size);
    free(name);
    if (hr == S_OK && pliFileSize)
        pliFileSize->QuadPart = size;
    return hr;
}

HRESULT WINAPI DsBackupRead(HBC hbc, PVOID pvBuffer, DWORD cbBuffer, PDWORD pcbRead)
{
    uint32_t n = 0;
    HRESULT hr = T->backup_read(NULL, hbc, pvBuffer, cbBuffer, pcbRead ? &n : NULL);
    if (pcbRead)
        *pcbRead = n;
    return hr;
}

HRESULT WINAPI DsBackupClose(HBC hbc)
{
    return T->backup_close(NULL, hbc);
}

HRESULT WINAPI DsBackupGetBackupLogsW(HBC hbc, LPWSTR *pszBackupLogFiles, LPDWORD pcbSize)
{
    if (!pszBackupLogFiles || !pcbSize || *pszBackupLogFiles)
        return ERROR_INVALID_PARAMETER;
    char *a = NULL;
    uint32_t cb = 0;
    HRESULT hr = T->backup_logs(NULL, hbc, &a, &cb);
    return to_wlist(hr, a, cb, pszBackupLogFiles, pcbSize);
}

HRESULT WINAPI DsBackupTruncateLogs(HBC hbc)
{
    return T->backup_truncate_logs(NULL, hbc);
}

HRESULT WINAPI DsBackupEnd(HBC hbc)
{
    return T->backup_end(NULL, hbc);
}

VOID WINAPI DsBackupFree(PVOID pvBuffer)
{
    if (!pvBuffer)
        return;
    if (forget(pvBuffer))
        free(pvBuffer);
    else
        T->backup_free(NULL, pvBuffer); /* a token, or a bad pointer the simulator counts */
}

HRESULT WINAPI DsSetCurrentBackupLogW(LPCWSTR szServerName, DWORD dwCurrentLog)
{
    int bad = 0;
    char *srv = server_u8(szServerName, &bad);
    HRESULT hr = bad ? ERROR_INVALID_PARAMETER : shim_set_current_log(srv, dwCurrentLog);
    free(srv);
    return hr;
}

HRESULT WINAPI DsRestorePrepareW(LPCWSTR szServerName, ULONG rtFlag, PVOID pvExpiryToken,
                                 DWORD cbExpiryTokenSize, HBC *phbc)
{
    int bad = 0;
    char *srv = server_u8(szServerName, &bad);
    HRESULT hr = bad ? ERROR_INVALID_PARAMETER
                     : T->restore_prepare(NULL, srv, rtFlag, pvExpiryToken, cbExpiryTokenSize, phbc);
    free(srv);
    return hr;
}

HRESULT WINAPI DsRestoreGetDatabaseLocationsW(HBC hbc, LPWSTR *pszDatabaseLocationList,
                                              LPDWORD pcbSize)
{
    if (!pszDatabaseLocationList || !pcbSize || *pszDatabaseLocationList)
        return ERROR_INVALID_PARAMETER;
    char *a = NULL;
    uint32_t cb = 0;
    HRESULT hr = shim_restore_locations(hbc, &a, &cb);
    return to_wlist(hr, a, cb, pszDatabaseLocationList, pcbSize);
}

HRESULT WINAPI DsRestoreRegisterW(HBC hbc, LPCWSTR szCheckPointFilePath, LPCWSTR szLogPath,
                                  EDB_RSTMAPW rgrstmap[], LONG crstmap, LPCWSTR szBackupLogPath,
                                  ULONG genLow, ULONG genHigh)
{
    if (crstmap < 0 || crstmap > 16 || (crstmap > 0 && !rgrstmap))
        return ERROR_INVALID_PARAMETER;
    int bad = 0;
    struct ds_rstmap m[16];
    char *names[32] = {0};
    for (LONG i = 0; i < crstmap; i++) {
        names[2 * i] = u8(rgrstmap[i].wszDatabaseName, &bad);
        names[2 * i + 1] = u8(rgrstmap[i].wszNewDatabaseName, &bad);
        m[i].database_name = names[2 * i];
        m[i].new_database_name = names[2 * i + 1];
    }
    char *ck = u8(szCheckPointFilePath, &bad), *lg = u8(szLogPath, &bad),
         *bk = u8(szBackupLogPath, &bad);
    HRESULT hr = bad ? ERROR_INVALID_PARAMETER
                     : T->restore_register(NULL, hbc, ck, lg, crstmap ? m : NULL, crstmap, bk,
                                             genLow, genHigh);
    for (int i = 0; i < 32; i++)
        free(names[i]);
    free(ck);
    free(lg);
    free(bk);
    return hr;
}

HRESULT WINAPI DsRestoreRegisterComplete(HBC hbc, HRESULT hrRestoreState)
{
    return T->restore_complete(NULL, hbc, hrRestoreState);
}

HRESULT WINAPI DsRestoreEnd(HBC hbc)
{
    return T->restore_end(NULL, hbc);
}

/* Not in the real ntdsbcli.dll: its presence tells adbk that the DLL it
 * loaded is this simulator (src/dsbackup/ntdsbcli_win32.c). */
int WINAPI DcsimSimulatedDC(void); /* exported by ntdsbcli.def */
int WINAPI DcsimSimulatedDC(void)
{
    return 1;
}
