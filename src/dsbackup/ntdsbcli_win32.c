/*
 * ntdsbcli_win32.c - the real ntdsbcli.dll as a table of Ds* entry points
 * (dsapi.h), for the DsBackup adapter (dsb.c). Windows only.
 *
 * Owns the Windows duties of docs/DSBACKUP.md:
 *  - the DLL is loaded at run time (LoadLibraryExW from System32, or the file
 *    named by ADBK_NTDSBCLI_DLL for tests) and every entry point is looked up
 *    with GetProcAddress, so a machine without it gets a status naming the
 *    DLL, never a loader error at start (§0);
 *  - only the W entry points are called; names go UTF-8 (WTF-8 for names
 *    that are not valid UTF-16, wtf8.h) -> UTF-16 and back;
 *  - name lists come as UTF-16 lists of (BFT unit, path, 0 unit) ending in
 *    an empty string, bounded by the byte count the server gives (§2); they
 *    are handed on in the table's A form, and every buffer the DLL returns
 *    is released with DsBackupFree exactly once, at once;
 *  - the message text for a code comes from ntdsbmsg.dll, then the system
 *    (FormatMessageW);
 *  - a password is copied only for the DsSetAuthIdentityW call and wiped.
 * Everything else - the call order, the read loop, errors - is the
 * adapter's.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

/* ntdsbcli.h spells the calling convention _stdcall, which mingw-w64 defines
 * only outside strict ISO C mode (we build with -std=c11). */
#define _stdcall __stdcall
#include <ntdsbcli.h>

#include "ntdsbcli_win32.h"
#include "wtf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The entry points, typed from mingw-w64's ntdsbcli.h so that a signature
 * that drifts from the header fails to compile. */
struct ntdsbcli_fns {
    __typeof__(DsIsNTDSOnlineW) *IsNTDSOnlineW;
    __typeof__(DsSetAuthIdentityW) *SetAuthIdentityW;
    __typeof__(DsBackupPrepareW) *BackupPrepareW;
    __typeof__(DsBackupGetDatabaseNamesW) *BackupGetDatabaseNamesW;
    __typeof__(DsBackupOpenFileW) *BackupOpenFileW;
    __typeof__(DsBackupRead) *BackupRead;
    __typeof__(DsBackupClose) *BackupClose;
    __typeof__(DsBackupGetBackupLogsW) *BackupGetBackupLogsW;
    __typeof__(DsBackupTruncateLogs) *BackupTruncateLogs;
    __typeof__(DsBackupEnd) *BackupEnd;
    __typeof__(DsBackupFree) *BackupFree;
    __typeof__(DsRestorePrepareW) *RestorePrepareW;
    __typeof__(DsRestoreGetDatabaseLocationsW) *RestoreGetDatabaseLocationsW;
    __typeof__(DsRestoreRegisterW) *RestoreRegisterW;
    __typeof__(DsRestoreRegisterComplete) *RestoreRegisterComplete;
    __typeof__(DsRestoreEnd) *RestoreEnd;
};

static const struct {
    const char *name;
    size_t off;
} entry_points[] = {
#define EP(field, export) {export, offsetof(struct ntdsbcli_fns, field)}
    EP(IsNTDSOnlineW, "DsIsNTDSOnlineW"),
    EP(SetAuthIdentityW, "DsSetAuthIdentityW"),
    EP(BackupPrepareW, "DsBackupPrepareW"),
    EP(BackupGetDatabaseNamesW, "DsBackupGetDatabaseNamesW"),
    EP(BackupOpenFileW, "DsBackupOpenFileW"),
    EP(BackupRead, "DsBackupRead"),
    EP(BackupClose, "DsBackupClose"),
    EP(BackupGetBackupLogsW, "DsBackupGetBackupLogsW"),
    EP(BackupTruncateLogs, "DsBackupTruncateLogs"),
    EP(BackupEnd, "DsBackupEnd"),
    EP(BackupFree, "DsBackupFree"),
    EP(RestorePrepareW, "DsRestorePrepareW"),
    EP(RestoreGetDatabaseLocationsW, "DsRestoreGetDatabaseLocationsW"),
    EP(RestoreRegisterW, "DsRestoreRegisterW"),
    EP(RestoreRegisterComplete, "DsRestoreRegisterComplete"),
    EP(RestoreEnd, "DsRestoreEnd"),
#undef EP
};

struct ntb {
    HMODULE dll;
    HMODULE msgs; /* ntdsbmsg.dll as a data file, for message text; may be NULL */
    struct ntdsbcli_fns f;
};

#define N(ctx) ((struct ntb *)(ctx))

/* An HRESULT for "the name is not UTF-8 (or WTF-8)": the DLL never saw it. */
#define BAD_NAME ((int32_t)ERROR_INVALID_PARAMETER)

static wchar_t *wide(const char *u8)
{
    return (wchar_t *)plat_wtf8_to_utf16_dup(u8 ? u8 : "");
}

/* The server name the DLL is given: NULL stays NULL (this machine). */
static int wide_server(const char *server, wchar_t **out)
{
    *out = NULL;
    return !server || (*out = wide(server)) ? 0 : -1;
}

/* ---- name lists (§2) ------------------------------------------------------ */

/* Turns the DLL's W list of cb bytes into the table's A form (malloc'd) and
 * frees the DLL's buffer. A BFT unit past 0xFF cannot be a BFT character and
 * becomes BFT_UNKNOWN (0x0F). An entry that runs past cb is copied without
 * its terminator, so the adapter reports the list as malformed. */
static int32_t take_wlist(struct ntb *d, WCHAR *w, DWORD cb, char **list_out, uint32_t *cb_out)
{
    size_t units = w ? cb / sizeof(WCHAR) : 0, cap = 2, len = 0;
    bool cut = false;
    char *a = malloc(cap);
    for (size_t at = 0; a && !cut && at < units && w[at] != 0;) {
        size_t end = at;
        while (end < units && w[end] != 0)
            end++;
        size_t need = plat_utf16_to_wtf8((const uint16_t *)w + at + 1, end - at - 1, NULL, 0);
        char *na = realloc(a, cap += need + 3);
        if (!na) {
            free(a);
            a = NULL;
            break;
        }
        a = na;
        a[len++] = (char)(w[at] > 0xFF ? DS_BFT_UNKNOWN : w[at]);
        plat_utf16_to_wtf8((const uint16_t *)w + at + 1, end - at - 1, a + len, need + 1);
        cut = end == units;
        len += need + !cut; /* the NUL only when the entry had one */
        at = end + 1;
    }
    if (w)
        d->f.BackupFree(w);
    if (!a)
        return (int32_t)ERROR_NOT_ENOUGH_MEMORY;
    if (!cut)
        a[len++] = 0;
    *list_out = a;
    *cb_out = (uint32_t)len;
    return S_OK;
}

/* ---- the table ----------------------------------------------------------- */

static int32_t n_is_online(void *ctx, const char *server, int *online_out)
{
    wchar_t *ws;
    if (wide_server(server, &ws) != 0)
        return BAD_NAME;
    WINBOOL on = FALSE;
    HRESULT hr = N(ctx)->f.IsNTDSOnlineW(ws, &on);
    free(ws);
    *online_out = on != FALSE;
    return hr;
}

static int32_t n_set_auth(void *ctx, const char *user, const char *domain, const char *password)
{
    wchar_t *u = wide(user), *dom = u ? wide(domain) : NULL, *pw = dom ? wide(password) : NULL;
    HRESULT hr = pw ? N(ctx)->f.SetAuthIdentityW(u, dom, pw) : BAD_NAME;
    if (pw)
        SecureZeroMemory(pw, wcslen(pw) * sizeof *pw);
    free(u);
    free(dom);
    free(pw);
    return hr;
}

/* The token is copied out of the DLL's buffer at once, so every buffer the
 * table hands out is the table's own (released with free()). */
static int32_t n_backup_prepare(void *ctx, const char *server, uint32_t grbit, uint32_t flag,
                                void **token_out, uint32_t *cb_out, void **hbc_out)
{
    struct ntb *d = N(ctx);
    wchar_t *ws;
    if (wide_server(server, &ws) != 0)
        return BAD_NAME;
    PVOID tok = NULL;
    DWORD cb = 0;
    HRESULT hr = d->f.BackupPrepareW(ws, grbit, flag, &tok, &cb, hbc_out);
    free(ws);
    void *copy = hr == S_OK ? malloc(cb ? cb : 1) : NULL;
    if (copy && cb)
        memcpy(copy, tok, cb);
    if (tok)
        d->f.BackupFree(tok);
    if (hr == S_OK && !copy) {
        d->f.BackupEnd(*hbc_out);
        *hbc_out = NULL;
        return (int32_t)ERROR_NOT_ENOUGH_MEMORY;
    }
    *token_out = copy;
    *cb_out = cb;
    return hr;
}

static int32_t n_database_names(void *ctx, void *hbc, char **list_out, uint32_t *cb_out)
{
    WCHAR *w = NULL;
    DWORD cb = 0;
    HRESULT hr = N(ctx)->f.BackupGetDatabaseNamesW(hbc, &w, &cb);
    if (hr != S_OK) {
        if (w)
            N(ctx)->f.BackupFree(w);
        return hr;
    }
    return take_wlist(N(ctx), w, cb, list_out, cb_out);
}

static int32_t n_open_file(void *ctx, void *hbc, const char *name, uint32_t hint,
                           int64_t *size_out)
{
    wchar_t *w = wide(name);
    if (!w)
        return BAD_NAME;
    LARGE_INTEGER li;
    li.QuadPart = 0;
    HRESULT hr = N(ctx)->f.BackupOpenFileW(hbc, w, hint, &li);
    free(w);
    *size_out = li.QuadPart;
    return hr;
}

static int32_t n_read(void *ctx, void *hbc, void *buf, uint32_t cb, uint32_t *read_out)
{
    DWORD n = 0;
    HRESULT hr = N(ctx)->f.BackupRead(hbc, buf, cb, &n);
    *read_out = n;
    return hr;
}

static int32_t n_close(void *ctx, void *hbc) { return N(ctx)->f.BackupClose(hbc); }

static int32_t n_backup_logs(void *ctx, void *hbc, char **list_out, uint32_t *cb_out)
{
    WCHAR *w = NULL;
    DWORD cb = 0;
    HRESULT hr = N(ctx)->f.BackupGetBackupLogsW(hbc, &w, &cb);
    if (hr != S_OK) {
        if (w)
            N(ctx)->f.BackupFree(w);
        return hr;
    }
    return take_wlist(N(ctx), w, cb, list_out, cb_out);
}

static int32_t n_truncate(void *ctx, void *hbc) { return N(ctx)->f.BackupTruncateLogs(hbc); }
static int32_t n_end(void *ctx, void *hbc) { return N(ctx)->f.BackupEnd(hbc); }

static void n_free(void *ctx, void *buf)
{
    (void)ctx;
    free(buf); /* the table's own copies (take_wlist, n_backup_prepare) */
}

static int32_t n_restore_prepare(void *ctx, const char *server, uint32_t flag, const void *token,
                                 uint32_t cb, void **hbc_out)
{
    wchar_t *ws;
    if (wide_server(server, &ws) != 0)
        return BAD_NAME;
    HRESULT hr = N(ctx)->f.RestorePrepareW(ws, flag, (PVOID)token, cb, hbc_out);
    free(ws);
    return hr;
}

static int32_t n_restore_locations(void *ctx, void *hbc, char **list_out, uint32_t *cb_out)
{
    WCHAR *w = NULL;
    DWORD cb = 0;
    HRESULT hr = N(ctx)->f.RestoreGetDatabaseLocationsW(hbc, &w, &cb);
    if (hr != S_OK) {
        if (w)
            N(ctx)->f.BackupFree(w);
        return hr;
    }
    return take_wlist(N(ctx), w, cb, list_out, cb_out);
}

#define MAX_MAP 16

static int32_t n_restore_register(void *ctx, void *hbc, const char *checkpoint_dir,
                                  const char *log_dir, const struct ds_rstmap *map, int32_t n_map,
                                  const char *backup_log_dir, uint32_t gen_low, uint32_t gen_high)
{
    if (n_map < 0 || n_map > MAX_MAP)
        return BAD_NAME;
    EDB_RSTMAPW m[MAX_MAP];
    memset(m, 0, sizeof m);
    wchar_t *ck = wide(checkpoint_dir), *lg = wide(log_dir), *bk = wide(backup_log_dir);
    HRESULT hr = ck && lg && bk ? S_OK : BAD_NAME;
    for (int32_t i = 0; hr == S_OK && i < n_map; i++)
        if (!(m[i].wszDatabaseName = wide(map[i].database_name)) ||
            !(m[i].wszNewDatabaseName = wide(map[i].new_database_name)))
            hr = BAD_NAME;
    if (hr == S_OK)
        hr = N(ctx)->f.RestoreRegisterW(hbc, ck, lg, n_map ? m : NULL, n_map, bk, gen_low,
                                        gen_high);
    for (int32_t i = 0; i < n_map; i++) {
        free(m[i].wszDatabaseName);
        free(m[i].wszNewDatabaseName);
    }
    free(ck);
    free(lg);
    free(bk);
    return hr;
}

static int32_t n_restore_complete(void *ctx, void *hbc, int32_t state)
{
    return N(ctx)->f.RestoreRegisterComplete(hbc, (HRESULT)state);
}

static int32_t n_restore_end(void *ctx, void *hbc) { return N(ctx)->f.RestoreEnd(hbc); }

/* ---- beyond the API ------------------------------------------------------- */

/* The text Windows has for hr: the ntdsbmsg table first (hr* codes), then the
 * system's (Win32 codes, plain or wrapped as 0x8007xxxx). "" when none. */
static void hr_text(HMODULE msgs, int32_t hr, char *buf, size_t cap)
{
    DWORD code = (DWORD)ds_result_unwrap(hr);
    wchar_t w[512];
    DWORD n = 0;
    if (msgs)
        n = FormatMessageW(FORMAT_MESSAGE_FROM_HMODULE | FORMAT_MESSAGE_IGNORE_INSERTS, msgs,
                           (DWORD)hr, 0, w, sizeof w / sizeof w[0], NULL);
    if (n == 0)
        n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
                           code, 0, w, sizeof w / sizeof w[0], NULL);
    while (n > 0 && (w[n - 1] == L'\r' || w[n - 1] == L'\n' || w[n - 1] == L' ' ||
                     w[n - 1] == L'.'))
        n--;
    plat_utf16_to_wtf8((const uint16_t *)w, n, buf, cap);
}

static void n_explain(void *ctx, int32_t hr, char *buf, size_t cap)
{
    hr_text(N(ctx)->msgs, hr, buf, cap);
}

/* On Windows the server's paths are this machine's paths. */
static int n_local_path(void *ctx, const char *name, char **local_out)
{
    (void)ctx;
    return (*local_out = strdup(name)) ? 0 : -1;
}

/* The server's name as given; the DNS domain is known for this machine only. */
static int n_identity(void *ctx, const char *server, char *name, size_t name_cap, char *domain,
                      size_t domain_cap)
{
    (void)ctx;
    wchar_t me[MAX_COMPUTERNAME_LENGTH + 1];
    DWORD mn = sizeof me / sizeof me[0];
    char me8[64] = "";
    if (GetComputerNameW(me, &mn))
        plat_utf16_to_wtf8((const uint16_t *)me, mn, me8, sizeof me8);
    const char *srv = server && *server ? server : me8;
    while (*srv == '\\')
        srv++;
    if (name && name_cap)
        snprintf(name, name_cap, "%s", srv);
    if (domain && domain_cap) {
        wchar_t w[256];
        DWORD n = sizeof w / sizeof w[0];
        domain[0] = 0;
        if (me8[0] && _stricmp(me8, srv) == 0 && GetComputerNameExW(ComputerNameDnsDomain, w, &n))
            plat_utf16_to_wtf8((const uint16_t *)w, n, domain, domain_cap);
    }
    return 0;
}

static void n_release(void *ctx)
{
    struct ntb *d = N(ctx);
    if (!d)
        return;
    if (d->dll)
        FreeLibrary(d->dll);
    if (d->msgs)
        FreeLibrary(d->msgs);
    free(d);
}

static const struct ds_api table = {
    .name = "ntdsbcli.dll",
    .is_online = n_is_online,
    .set_auth_identity = n_set_auth,
    .backup_prepare = n_backup_prepare,
    .backup_database_names = n_database_names,
    .backup_open_file = n_open_file,
    .backup_read = n_read,
    .backup_close = n_close,
    .backup_logs = n_backup_logs,
    .backup_truncate_logs = n_truncate,
    .backup_end = n_end,
    .backup_free = n_free,
    .restore_prepare = n_restore_prepare,
    .restore_locations = n_restore_locations,
    .restore_register = n_restore_register,
    .restore_complete = n_restore_complete,
    .restore_end = n_restore_end,
    .explain = n_explain,
    .local_path = n_local_path,
    .identity = n_identity,
    .release = n_release,
};

/* ---- loading ---------------------------------------------------------------- */

int ntdsbcli_load(const struct ds_api **api_out, void **ctx_out, bool *simulated_out,
                  char *msg, size_t msg_cap)
{
    *api_out = NULL;
    *ctx_out = NULL;
    struct ntb *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(msg, msg_cap, "no memory to load ntdsbcli.dll");
        return -1;
    }
    /* ADBK_NTDSBCLI_DLL (a path, for tests) or ntdsbcli.dll from System32
     * only, never from the current folder: a planted DLL would run with the
     * backup privilege. */
    wchar_t env[1024];
    DWORD n = GetEnvironmentVariableW(L"ADBK_NTDSBCLI_DLL", env, sizeof env / sizeof env[0]);
    char what[1024] = "ntdsbcli.dll";
    if (n > 0 && n < sizeof env / sizeof env[0]) {
        d->dll = LoadLibraryExW(env, NULL, LOAD_WITH_ALTERED_SEARCH_PATH);
        plat_utf16_to_wtf8((const uint16_t *)env, n, what, sizeof what);
    } else {
        d->dll = LoadLibraryExW(L"ntdsbcli.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
    }
    if (!d->dll) {
        DWORD e = GetLastError();
        char text[512];
        hr_text(NULL, (int32_t)e, text, sizeof text);
        snprintf(msg, msg_cap, "LoadLibrary(%s): %s (Win32 error %lu); the DsBackup API is part "
                 "of Windows Server domain controllers (Active Directory Domain Services)", what,
                 text, (unsigned long)e);
        n_release(d);
        return -1;
    }
    for (size_t i = 0; i < sizeof entry_points / sizeof entry_points[0]; i++) {
        FARPROC p = GetProcAddress(d->dll, entry_points[i].name);
        if (!p) {
            snprintf(msg, msg_cap, "GetProcAddress(%s): the DLL has no entry point %s", what,
                     entry_points[i].name);
            n_release(d);
            return -1;
        }
        memcpy((char *)&d->f + entry_points[i].off, &p, sizeof p);
    }
    /* adbk's simulated DC built as ntdsbcli.dll (dcsim/win/) exports one
     * name the real DLL does not have, so its archives say they are of it. */
    *simulated_out = GetProcAddress(d->dll, "DcsimSimulatedDC") != NULL;
    /* Message texts of the hr* codes live in ntdsbmsg.dll; optional. */
    d->msgs = LoadLibraryExW(L"ntdsbmsg.dll", NULL,
                             LOAD_LIBRARY_AS_DATAFILE | LOAD_LIBRARY_SEARCH_SYSTEM32);
    *api_out = &table;
    *ctx_out = d;
    return 0;
}

char *ntdsbcli_this_machine(void)
{
    wchar_t me[MAX_COMPUTERNAME_LENGTH + 1];
    DWORD n = sizeof me / sizeof me[0];
    return GetComputerNameW(me, &n) ? plat_utf16_to_wtf8_dup((const uint16_t *)me, n) : NULL;
}
