/*
 * bridge.c - bridge.h over dcsim.h: one line per call, types converted.
 */
#include "bridge.h"
#include "api_int.h"
#include "dcsim.h"

#include <stdlib.h>
#include <string.h>

int32_t shim_is_online(const char *server, int *online_out)
{
    return dcsim_DsIsNTDSOnline(server, online_out);
}

int32_t shim_set_auth(const char *user, const char *domain, const char *password)
{
    return dcsim_DsSetAuthIdentity(user, domain, password);
}

int32_t shim_backup_prepare(const char *server, uint32_t grbit, uint32_t flag, void **token_out,
                            uint32_t *cb_out, void **hbc_out)
{
    return dcsim_DsBackupPrepare(server, grbit, flag, token_out, cb_out, hbc_out);
}

int32_t shim_database_names(void *hbc, char **list_out, uint32_t *cb_out)
{
    return dcsim_DsBackupGetDatabaseNames(hbc, list_out, cb_out);
}

int32_t shim_open_file(void *hbc, const char *name, uint32_t hint, int64_t *size_out)
{
    LARGE_INTEGER li;
    li.QuadPart = 0;
    HRESULT hr = dcsim_DsBackupOpenFile(hbc, name, hint, &li);
    *size_out = li.QuadPart;
    return hr;
}

int32_t shim_read(void *hbc, void *buf, uint32_t cb, uint32_t *read_out)
{
    return dcsim_DsBackupRead(hbc, buf, cb, read_out);
}

int32_t shim_close(void *hbc)
{
    return dcsim_DsBackupClose(hbc);
}

int32_t shim_backup_logs(void *hbc, char **list_out, uint32_t *cb_out)
{
    return dcsim_DsBackupGetBackupLogs(hbc, list_out, cb_out);
}

int32_t shim_truncate(void *hbc)
{
    return dcsim_DsBackupTruncateLogs(hbc);
}

int32_t shim_end(void *hbc)
{
    return dcsim_DsBackupEnd(hbc);
}

void shim_free_a(void *buf)
{
    dcsim_DsBackupFree(buf);
}

int32_t shim_set_current_log(const char *server, uint32_t log)
{
    return dcsim_DsSetCurrentBackupLog(server, log);
}

int32_t shim_restore_prepare(const char *server, uint32_t flag, const void *token,
                             uint32_t cb, void **hbc_out)
{
    return dcsim_DsRestorePrepare(server, flag, token, cb, hbc_out);
}

/* The simulator names its restore locations in UNC form (\\DC01\C$\...),
 * a share Wine does not serve. As ntdsbcli.dll it answers with the local
 * folder each name maps to (the drive-letter form; which form a real server
 * returns is an open question of the reference, §4), and registration
 * accepts either form. */
int32_t shim_restore_locations(void *hbc, char **list_out, uint32_t *cb_out)
{
    enum { MAX_LOC = 8 };
    char *a = NULL;
    DWORD cb = 0;
    HRESULT hr = dcsim_DsRestoreGetDatabaseLocations(hbc, &a, &cb);
    if (hr != S_OK)
        return hr;
    unsigned char bfts[MAX_LOC];
    char *locs[MAX_LOC] = {0};
    const char *names[MAX_LOC];
    size_t n = 0, at = 0;
    while (at < cb && a[at] && n < MAX_LOC) {
        bfts[n] = (unsigned char)a[at];
        const char *name = a + at + 1;
        size_t len = strnlen(name, cb - at - 1);
        if (at + 1 + len >= cb)
            break; /* no terminator: the simulator never does this */
        if (dcsim_unc_to_local(name, &locs[n]) != DCSIM_OK)
            locs[n] = NULL;
        names[n] = locs[n] ? locs[n] : name;
        n++;
        at += 2 + len;
    }
    DWORD out_cb = 0;
    hr = api_make_list("DsRestoreGetDatabaseLocations", bfts, names, n, list_out, &out_cb);
    *cb_out = out_cb;
    for (size_t i = 0; i < n; i++)
        free(locs[i]);
    dcsim_DsBackupFree(a);
    return hr;
}

int32_t shim_restore_register(void *hbc, const char *checkpoint, const char *logs,
                              const struct shim_rstmap *map, int32_t n_map,
                              const char *backup_logs, uint32_t gen_low, uint32_t gen_high)
{
    struct dcsim_rstmap m[16];
    if (n_map < 0 || n_map > 16)
        return ERROR_INVALID_PARAMETER;
    for (int32_t i = 0; i < n_map; i++) {
        m[i].database_name = map[i].database_name;
        m[i].new_database_name = map[i].new_database_name;
    }
    return dcsim_DsRestoreRegister(hbc, checkpoint, logs, map ? m : NULL, n_map, backup_logs,
                                   gen_low, gen_high);
}

int32_t shim_restore_complete(void *hbc, int32_t hr)
{
    return dcsim_DsRestoreRegisterComplete(hbc, hr);
}

int32_t shim_restore_end(void *hbc)
{
    return dcsim_DsRestoreEnd(hbc);
}
