/*
 * bridge.c - bridge.h over dcsim.h.
 */
#include "bridge.h"
#include "api_int.h"
#include "dcsim.h"

#include <stdlib.h>
#include <string.h>

int32_t shim_set_current_log(const char *server, uint32_t log)
{
    return dcsim_DsSetCurrentBackupLog(server, log);
}

/* The simulator names its restore locations in UNC form (\\DC01\C$\...),
 * a share Wine does not serve. As ntdsbcli.dll it answers with the local
 * folder each name maps to (the drive-letter form; which form a real server
 * returns is an open question of the contract, DSBACKUP.md §4), and registration
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
