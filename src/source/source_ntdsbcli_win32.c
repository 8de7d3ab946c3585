/*
 * source_ntdsbcli_win32.c - the source backend over the real ntdsbcli.dll
 * (Windows). It follows source_dcsim.c call for call, with these Windows
 * duties (the DsBackup API reference, dsbackup-api.md, cited as "ref §N"):
 *  - the DLL is loaded at run time (LoadLibraryExW from System32, or the file
 *    named by ADBK_NTDSBCLI_DLL for tests) and every entry point is looked up
 *    with GetProcAddress, so a machine without it gets a status naming the
 *    DLL, never a loader error at start (ref §0);
 *  - only the W entry points are called; names go UTF-8 (WTF-8 for names
 *    that are not valid UTF-16, wtf8.h) -> UTF-16 and back;
 *  - name lists are UTF-16 lists of (BFT unit, path, NUL) ending in an empty
 *    string, bounded by the byte count the server gives (ref §2); every
 *    buffer the DLL returns is released with DsBackupFree exactly once;
 *  - return codes are tested as hr != S_OK, never FAILED() (ref §0); the
 *    message names the ntdsbmsg code when known (src_fail_hr) and adds the
 *    system's text for it (FormatMessageW: ntdsbmsg.dll, then the system);
 *  - DsSetAuthIdentityW runs once at open when an identity is configured; the
 *    password is copied only for the call and wiped after.
 * Owns: nothing beyond this mapping. Privileges of the local process are
 * raised by the driver (src/platform/privilege_win32.c).
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

/* ntdsbcli.h spells the calling convention _stdcall, which mingw-w64 defines
 * only outside strict ISO C mode (we build with -std=c11). */
#define _stdcall __stdcall
#include <ntdsbcli.h>

#include "ntdsbcli_win32.h"
#include "source.h"
#include "wtf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The entry points, typed from mingw-w64's ntdsbcli.h so that a signature
 * that drifts from the header fails to compile. */
struct ntdsbcli_api {
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
#define EP(field, export) {export, offsetof(struct ntdsbcli_api, field)}
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
    HMODULE msgs;        /* ntdsbmsg.dll as a data file, for message text; may be NULL */
    struct ntdsbcli_api f;
    wchar_t *server;     /* as passed to the DLL: never NULL */
    char *server_u8;     /* for messages */
    HBC hbc;             /* backup context */
    HBC rhbc;            /* restore context */
    char file[1024];
    uint64_t size, pos;
    int eof;
};

static struct ntb *N(struct source *s)
{
    return s->impl;
}

/* ---- messages ----------------------------------------------------------- */

/* The text Windows has for hr: the ntdsbmsg table first (hr* codes), then the
 * system's (Win32 codes, plain or wrapped as 0x8007xxxx). "" when none. */
static void hr_text(const struct ntb *d, HRESULT hr, char *buf, size_t cap)
{
    DWORD code = (DWORD)hr;
    if ((code & 0xFFFF0000u) == 0x80070000u)
        code &= 0xFFFFu;
    wchar_t w[512];
    DWORD n = 0;
    if (d && d->msgs)
        n = FormatMessageW(FORMAT_MESSAGE_FROM_HMODULE | FORMAT_MESSAGE_IGNORE_INSERTS, d->msgs,
                           (DWORD)hr, 0, w, sizeof w / sizeof w[0], NULL);
    if (n == 0)
        n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
                           code, 0, w, sizeof w / sizeof w[0], NULL);
    while (n > 0 && (w[n - 1] == L'\r' || w[n - 1] == L'\n' || w[n - 1] == L' ' ||
                     w[n - 1] == L'.'))
        n--;
    plat_utf16_to_wtf8((const uint16_t *)w, n, buf, cap);
}

static src_status fail_hr(struct source *s, const char *call, const char *obj, HRESULT hr)
{
    char text[512];
    hr_text(N(s), hr, text, sizeof text);
    return src_fail_hr(s, call, obj, (int32_t)hr, text);
}

static const char *srv(struct source *s)
{
    return N(s)->server_u8;
}

/* UTF-8 -> a new UTF-16 string, or NULL after recording why. */
static wchar_t *wide(struct source *s, const char *call, const char *u8)
{
    uint16_t *w = plat_wtf8_to_utf16_dup(u8 ? u8 : "");
    if (!w)
        src_fail(s, SRC_E_ARG, call, u8, "the name is not valid UTF-8 (or WTF-8)");
    return (wchar_t *)w;
}

/* ---- name lists (ref §2) ------------------------------------------------ */

/* Parses a W list of cb bytes: per entry one BFT unit, the path, a 0 unit;
 * an empty string ends it. Unknown BFT values are kept; one past 0xFF cannot
 * be a BFT character and is stored as BFT_UNKNOWN (0x0F). */
static src_status parse_wlist(const WCHAR *buf, DWORD cb, struct src_name_list *out)
{
    out->v = NULL;
    out->n = 0;
    size_t units = buf ? cb / sizeof(WCHAR) : 0, at = 0, cap = 0;
    while (at < units && buf[at] != 0) {
        size_t end = at;
        while (end < units && buf[end] != 0)
            end++;
        if (end == units)
            goto bad; /* runs past the byte count */
        if (out->n == cap) {
            cap = cap ? cap * 2 : 8;
            struct src_name *nv = realloc(out->v, cap * sizeof *nv);
            if (!nv)
                goto nomem;
            out->v = nv;
        }
        struct src_name *e = &out->v[out->n];
        e->bft = buf[at] > 0xFF ? 0x0F : (uint8_t)buf[at];
        e->local = NULL;
        e->name = plat_utf16_to_wtf8_dup((const uint16_t *)buf + at + 1, end - at - 1);
        if (!e->name)
            goto nomem;
        out->n++;
        at = end + 1;
    }
    return SRC_OK;
nomem:
    src_names_free(out);
    return SRC_E_NOMEM;
bad:
    src_names_free(out);
    return SRC_E_SERVER;
}

static src_status take_list(struct source *s, const char *call, WCHAR *buf, DWORD cb,
                            struct src_name_list *out)
{
    src_status st = parse_wlist(buf, cb, out);
    N(s)->f.BackupFree(buf);
    if (st == SRC_E_NOMEM)
        return src_fail(s, st, call, srv(s), "no memory for the name list");
    if (st)
        return src_fail(s, st, call, srv(s), "malformed name list of %lu bytes (an entry runs "
                        "past the end)", (unsigned long)cb);
    return SRC_OK;
}

/* ---- backup ------------------------------------------------------------- */

static src_status n_is_online(struct source *s, int *online_out)
{
    WINBOOL on = FALSE;
    src_clear_error(s);
    HRESULT hr = N(s)->f.IsNTDSOnlineW(N(s)->server, &on);
    if (hr != S_OK)
        return fail_hr(s, "DsIsNTDSOnline", srv(s), hr);
    *online_out = on != FALSE;
    return SRC_OK;
}

static src_status n_prepare(struct source *s, uint8_t **token_out, size_t *len_out)
{
    struct ntb *d = N(s);
    PVOID tok = NULL;
    DWORD cb = 0;
    src_clear_error(s);
    *token_out = NULL;
    *len_out = 0;
    if (d->hbc)
        return src_fail(s, SRC_E_SEQUENCE, "DsBackupPrepare", srv(s),
                        "a backup is already prepared on this source");
    HRESULT hr = d->f.BackupPrepareW(d->server, 0, BACKUP_TYPE_FULL, &tok, &cb, &d->hbc);
    if (hr != S_OK) {
        d->hbc = NULL;
        if (tok)
            d->f.BackupFree(tok);
        return fail_hr(s, "DsBackupPrepare", srv(s), hr);
    }
    uint8_t *copy = malloc(cb ? cb : 1);
    if (!copy) {
        d->f.BackupFree(tok);
        return src_fail(s, SRC_E_NOMEM, "DsBackupPrepare", srv(s),
                        "no memory for the %lu-byte expiry token", (unsigned long)cb);
    }
    if (cb)
        memcpy(copy, tok, cb);
    d->f.BackupFree(tok);
    *token_out = copy;
    *len_out = cb;
    return SRC_OK;
}

static src_status n_list_databases(struct source *s, struct src_name_list *out)
{
    WCHAR *buf = NULL;
    DWORD cb = 0;
    src_clear_error(s);
    out->v = NULL;
    out->n = 0;
    HRESULT hr = N(s)->f.BackupGetDatabaseNamesW(N(s)->hbc, &buf, &cb);
    if (hr != S_OK) {
        if (buf)
            N(s)->f.BackupFree(buf);
        return fail_hr(s, "DsBackupGetDatabaseNames", srv(s), hr);
    }
    return take_list(s, "DsBackupGetDatabaseNames", buf, cb, out);
}

static src_status n_list_logs(struct source *s, struct src_name_list *out)
{
    WCHAR *buf = NULL;
    DWORD cb = 0;
    src_clear_error(s);
    out->v = NULL;
    out->n = 0;
    HRESULT hr = N(s)->f.BackupGetBackupLogsW(N(s)->hbc, &buf, &cb);
    if (hr != S_OK) {
        if (buf)
            N(s)->f.BackupFree(buf);
        return fail_hr(s, "DsBackupGetBackupLogs", srv(s), hr);
    }
    return take_list(s, "DsBackupGetBackupLogs", buf, cb, out);
}

static src_status n_open(struct source *s, const struct src_name *n, uint64_t *size_out)
{
    struct ntb *d = N(s);
    LARGE_INTEGER li;
    src_clear_error(s);
    li.QuadPart = 0;
    wchar_t *w = wide(s, "DsBackupOpenFile", n->name);
    if (!w)
        return SRC_E_ARG;
    HRESULT hr = d->f.BackupOpenFileW(d->hbc, w, s->read_hint, &li);
    free(w);
    if (hr != S_OK)
        return fail_hr(s, "DsBackupOpenFile", n->name, hr);
    if (li.QuadPart < 0)
        return src_fail(s, SRC_E_SERVER, "DsBackupOpenFile", n->name,
                        "negative stream size %lld", (long long)li.QuadPart);
    snprintf(d->file, sizeof d->file, "%s", n->name);
    d->size = (uint64_t)li.QuadPart;
    d->pos = 0;
    d->eof = 0;
    *size_out = d->size;
    return SRC_OK;
}

#define RD_UNIT 32768u
#define RD_MIN 98304u

static src_status n_read(struct source *s, void *buf, size_t cap, size_t *got_out)
{
    struct ntb *d = N(s);
    size_t got = 0;
    src_clear_error(s);
    *got_out = 0;
    if (cap < RD_MIN)
        return src_fail(s, SRC_E_ARG, "DsBackupRead", d->file,
                        "buffer of %llu bytes is below the %u-byte minimum",
                        (unsigned long long)cap, RD_MIN);
    while (!d->eof) {
        size_t room = cap - got;
        if (room > 0x7FFF8000u)
            room = 0x7FFF8000u;
        room -= room % RD_UNIT;
        if (room < RD_MIN)
            break; /* the rest would break the server's buffer rule */
        DWORD n = 0;
        HRESULT hr = d->f.BackupRead(d->hbc, (char *)buf + got, (DWORD)room, &n);
        /* The end shows as ERROR_HANDLE_EOF (maybe wrapped) or as a 0-byte
         * success; both are accepted (ref §1, [U]). */
        if (hr == (HRESULT)ERROR_HANDLE_EOF || hr == HRESULT_FROM_WIN32(ERROR_HANDLE_EOF) ||
            (hr == S_OK && n == 0)) {
            d->eof = 1;
            break;
        }
        if (hr != S_OK)
            return fail_hr(s, "DsBackupRead", d->file, hr);
        if (n > room || d->pos + n > d->size)
            return src_fail(s, SRC_E_STREAM, "DsBackupRead", d->file,
                            "server delivered %lu bytes at %llu, more than the %llu announced",
                            (unsigned long)n, (unsigned long long)d->pos,
                            (unsigned long long)d->size);
        got += n;
        d->pos += n;
    }
    if (d->eof && d->pos != d->size)
        return src_fail(s, SRC_E_STREAM, "DsBackupRead", d->file,
                        "stream ended after %llu of %llu bytes", (unsigned long long)d->pos,
                        (unsigned long long)d->size);
    *got_out = got;
    return got == 0 && d->eof ? SRC_EOF : SRC_OK;
}

static src_status n_close(struct source *s)
{
    src_clear_error(s);
    HRESULT hr = N(s)->f.BackupClose(N(s)->hbc);
    if (hr != S_OK)
        return fail_hr(s, "DsBackupClose", N(s)->file, hr);
    return SRC_OK;
}

static src_status n_truncate(struct source *s)
{
    src_clear_error(s);
    HRESULT hr = N(s)->f.BackupTruncateLogs(N(s)->hbc);
    if (hr != S_OK)
        return fail_hr(s, "DsBackupTruncateLogs", srv(s), hr);
    return SRC_OK;
}

static src_status n_end(struct source *s)
{
    src_clear_error(s);
    if (!N(s)->hbc)
        return SRC_OK;
    HRESULT hr = N(s)->f.BackupEnd(N(s)->hbc);
    N(s)->hbc = NULL;
    if (hr != S_OK)
        return fail_hr(s, "DsBackupEnd", srv(s), hr);
    return SRC_OK;
}

/* ---- restore (ref §4) ---------------------------------------------------- */

static src_status n_restore_prepare(struct source *s, const uint8_t *token, size_t len)
{
    struct ntb *d = N(s);
    src_clear_error(s);
    if (d->rhbc)
        return src_fail(s, SRC_E_SEQUENCE, "DsRestorePrepare", srv(s),
                        "a restore is already prepared on this source");
    if (len > 0xFFFFFFFFu)
        return src_fail(s, SRC_E_ARG, "DsRestorePrepare", srv(s), "token of %llu bytes",
                        (unsigned long long)len);
    HRESULT hr = d->f.RestorePrepareW(d->server, RESTORE_TYPE_CATCHUP, (PVOID)token,
                                      (DWORD)len, &d->rhbc);
    if (hr != S_OK) {
        d->rhbc = NULL;
        return fail_hr(s, "DsRestorePrepare", srv(s), hr);
    }
    return SRC_OK;
}

static src_status n_restore_locations(struct source *s, struct src_name_list *out)
{
    WCHAR *buf = NULL;
    DWORD cb = 0;
    src_clear_error(s);
    out->v = NULL;
    out->n = 0;
    HRESULT hr = N(s)->f.RestoreGetDatabaseLocationsW(N(s)->rhbc, &buf, &cb);
    if (hr != S_OK) {
        if (buf)
            N(s)->f.BackupFree(buf);
        return fail_hr(s, "DsRestoreGetDatabaseLocations", srv(s), hr);
    }
    src_status st = take_list(s, "DsRestoreGetDatabaseLocations", buf, cb, out);
    /* On Windows the server's paths are this machine's paths. */
    for (size_t i = 0; st == SRC_OK && i < out->n; i++)
        if (!(out->v[i].local = strdup(out->v[i].name))) {
            src_names_free(out);
            st = src_fail(s, SRC_E_NOMEM, "DsRestoreGetDatabaseLocations", srv(s),
                          "no memory for the location list");
        }
    return st;
}

#define MAX_MAP 16

static src_status n_restore_register(struct source *s, const char *checkpoint_dir,
                                     const char *log_dir, const struct src_rstmap *map,
                                     size_t n_map, const char *backup_log_dir,
                                     uint32_t gen_low, uint32_t gen_high)
{
    const char *call = "DsRestoreRegister";
    src_clear_error(s);
    if (n_map > MAX_MAP)
        return src_fail(s, SRC_E_ARG, call, srv(s), "%llu map entries (at most %d)",
                        (unsigned long long)n_map, MAX_MAP);
    EDB_RSTMAPW m[MAX_MAP];
    memset(m, 0, sizeof m);
    wchar_t *ck = NULL, *lg = NULL, *bk = NULL;
    src_status st = SRC_E_ARG;
    if (!(ck = wide(s, call, checkpoint_dir)) || !(lg = wide(s, call, log_dir)) ||
        !(bk = wide(s, call, backup_log_dir)))
        goto out;
    for (size_t i = 0; i < n_map; i++)
        if (!(m[i].wszDatabaseName = wide(s, call, map[i].database_name)) ||
            !(m[i].wszNewDatabaseName = wide(s, call, map[i].new_database_name)))
            goto out;
    HRESULT hr = N(s)->f.RestoreRegisterW(N(s)->rhbc, ck, lg, n_map ? m : NULL, (LONG)n_map,
                                          bk, gen_low, gen_high);
    st = hr == S_OK ? SRC_OK : fail_hr(s, call, srv(s), hr);
out:
    for (size_t i = 0; i < n_map; i++) {
        free(m[i].wszDatabaseName);
        free(m[i].wszNewDatabaseName);
    }
    free(ck);
    free(lg);
    free(bk);
    return st;
}

static src_status n_restore_complete(struct source *s, int32_t code)
{
    src_clear_error(s);
    HRESULT hr = N(s)->f.RestoreRegisterComplete(N(s)->rhbc, (HRESULT)code);
    if (hr != S_OK)
        return fail_hr(s, "DsRestoreRegisterComplete", srv(s), hr);
    return SRC_OK;
}

static src_status n_restore_end(struct source *s)
{
    src_clear_error(s);
    if (!N(s)->rhbc)
        return SRC_OK;
    HRESULT hr = N(s)->f.RestoreEnd(N(s)->rhbc);
    N(s)->rhbc = NULL;
    if (hr != S_OK)
        return fail_hr(s, "DsRestoreEnd", srv(s), hr);
    return SRC_OK;
}

/* ---- identity ------------------------------------------------------------ */

static src_status n_identity(struct source *s, char *server, size_t server_cap, char *domain,
                             size_t domain_cap)
{
    src_clear_error(s);
    const char *name = srv(s);
    while (*name == '\\')
        name++;
    if (server && server_cap)
        snprintf(server, server_cap, "%s", name);
    if (domain && domain_cap) {
        /* The DNS domain is known for this machine only. */
        wchar_t w[256];
        DWORD n = sizeof w / sizeof w[0];
        domain[0] = 0;
        wchar_t me[MAX_COMPUTERNAME_LENGTH + 1];
        DWORD mn = sizeof me / sizeof me[0];
        char me8[64];
        if (GetComputerNameW(me, &mn)) {
            plat_utf16_to_wtf8((const uint16_t *)me, mn, me8, sizeof me8);
            if (_stricmp(me8, name) == 0 &&
                GetComputerNameExW(ComputerNameDnsDomain, w, &n))
                plat_utf16_to_wtf8((const uint16_t *)w, n, domain, domain_cap);
        }
    }
    return SRC_OK;
}

/* ---- open / destroy ------------------------------------------------------ */

static void n_destroy(struct source *s)
{
    struct ntb *d = N(s);
    if (d->dll) {
        n_end(s);
        n_restore_end(s);
        FreeLibrary(d->dll);
    }
    if (d->msgs)
        FreeLibrary(d->msgs);
    free(d->server);
    free(d->server_u8);
    free(d);
    free(s);
}

static const struct src_ops ntdsbcli_ops = {
    .name = "ntdsbcli",
    .is_online = n_is_online,
    .prepare = n_prepare,
    .list_databases = n_list_databases,
    .list_logs = n_list_logs,
    .open = n_open,
    .read = n_read,
    .close = n_close,
    .truncate_logs = n_truncate,
    .end = n_end,
    .restore_prepare = n_restore_prepare,
    .restore_locations = n_restore_locations,
    .restore_register = n_restore_register,
    .restore_complete = n_restore_complete,
    .restore_end = n_restore_end,
    .destroy = n_destroy,
    .identity = n_identity,
};

/* Loads the DLL: ADBK_NTDSBCLI_DLL (a path, for tests) or ntdsbcli.dll from
 * System32 only, never from the current folder (a planted DLL would run with
 * the backup privilege). */
static src_status load_dll(struct source *s)
{
    struct ntb *d = N(s);
    wchar_t env[1024];
    DWORD n = GetEnvironmentVariableW(L"ADBK_NTDSBCLI_DLL", env, sizeof env / sizeof env[0]);
    const char *what = "ntdsbcli.dll";
    char what8[1024];
    if (n > 0 && n < sizeof env / sizeof env[0]) {
        d->dll = LoadLibraryExW(env, NULL, LOAD_WITH_ALTERED_SEARCH_PATH);
        plat_utf16_to_wtf8((const uint16_t *)env, n, what8, sizeof what8);
        what = what8;
    } else {
        d->dll = LoadLibraryExW(L"ntdsbcli.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
    }
    if (!d->dll) {
        DWORD e = GetLastError();
        char text[512];
        hr_text(NULL, (HRESULT)e, text, sizeof text);
        return src_fail(s, SRC_E_CONNECT, "LoadLibrary", what,
                        "%s (Win32 error %lu); the DsBackup API is part of Windows Server "
                        "domain controllers (Active Directory Domain Services)",
                        text, (unsigned long)e);
    }
    for (size_t i = 0; i < sizeof entry_points / sizeof entry_points[0]; i++) {
        FARPROC p = GetProcAddress(d->dll, entry_points[i].name);
        if (!p)
            return src_fail(s, SRC_E_SERVER, "GetProcAddress", what,
                            "the DLL has no entry point %s", entry_points[i].name);
        memcpy((char *)&d->f + entry_points[i].off, &p, sizeof p);
    }
    /* adbk's simulated DC built as ntdsbcli.dll (src/dcsim/win/) exports one
     * name the real DLL does not have, so its archives say they are of it. */
    s->simulated = GetProcAddress(d->dll, "DcsimSimulatedDC") != NULL;
    /* Message texts of the hr* codes live in ntdsbmsg.dll; optional. */
    d->msgs = LoadLibraryExW(L"ntdsbmsg.dll", NULL,
                             LOAD_LIBRARY_AS_DATAFILE | LOAD_LIBRARY_SEARCH_SYSTEM32);
    return SRC_OK;
}

/* The name the DLL is given for "this machine": its NetBIOS name (the API
 * takes the local server name, leading backslashes optional, ref §1). */
static src_status set_server(struct source *s, const char *server)
{
    struct ntb *d = N(s);
    if (server && *server) {
        d->server_u8 = strdup(server);
        if (!d->server_u8)
            return SRC_E_NOMEM;
        d->server = wide(s, "open", server);
        return d->server ? SRC_OK : SRC_E_ARG;
    }
    wchar_t me[MAX_COMPUTERNAME_LENGTH + 1];
    DWORD n = sizeof me / sizeof me[0];
    if (!GetComputerNameW(me, &n)) {
        DWORD e = GetLastError();
        return src_fail(s, SRC_E_CONNECT, "GetComputerName", "(local)",
                        "cannot name this machine (Win32 error %lu)", (unsigned long)e);
    }
    d->server = malloc((n + 1) * sizeof *d->server);
    d->server_u8 = plat_utf16_to_wtf8_dup((const uint16_t *)me, n);
    if (!d->server || !d->server_u8)
        return SRC_E_NOMEM;
    memcpy(d->server, me, (n + 1) * sizeof *me);
    return SRC_OK;
}

static src_status set_identity(struct source *s, const struct src_config *cfg)
{
    struct ntb *d = N(s);
    wchar_t *u = wide(s, "DsSetAuthIdentity", cfg->user);
    wchar_t *dom = u ? wide(s, "DsSetAuthIdentity", cfg->domain ? cfg->domain : "") : NULL;
    wchar_t *pw = dom ? wide(s, "DsSetAuthIdentity", cfg->password ? cfg->password : "") : NULL;
    src_status st = SRC_E_ARG;
    if (pw) {
        HRESULT hr = d->f.SetAuthIdentityW(u, dom, pw);
        st = hr == S_OK ? SRC_OK : fail_hr(s, "DsSetAuthIdentity", cfg->user, hr);
        SecureZeroMemory(pw, wcslen(pw) * sizeof *pw);
    }
    free(u);
    free(dom);
    free(pw);
    return st;
}

src_status src_ntdsbcli_open(const struct src_config *cfg, struct source **out,
                             struct src_error *err_out)
{
    *out = NULL;
    struct source *s = calloc(1, sizeof *s);
    struct ntb *d = calloc(1, sizeof *d);
    if (!s || !d) {
        free(s);
        free(d);
        return SRC_E_NOMEM;
    }
    s->ops = &ntdsbcli_ops;
    s->impl = d;
    s->read_hint = cfg && cfg->read_hint ? cfg->read_hint : 1048576u;
    src_status st = set_server(s, cfg ? cfg->server : NULL);
    if (st == SRC_OK)
        st = load_dll(s);
    if (st == SRC_OK && cfg && cfg->user && *cfg->user)
        st = set_identity(s, cfg);
    if (st != SRC_OK) {
        if (err_out)
            *err_out = s->err;
        n_destroy(s);
        return st;
    }
    *out = s;
    return SRC_OK;
}
