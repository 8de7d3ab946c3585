/*
 * dsapi_table.c - the simulated DC as a table of Ds* entry points (dsapi.h):
 * how adbk's DsBackup adapter reaches the simulator on Linux, and what the
 * simulator's ntdsbcli.dll (win/) calls on Windows. One line per call, types
 * converted; plus what the simulator knows beyond the API (its detail text,
 * the local path of a UNC name, its identity, log floor and tombstone
 * lifetime), read from the DC's state file.
 *
 * The simulator keeps its state per process, so the table needs no context:
 * ctx is ignored.
 */
#include "dcsim.h"
#include "dcsim_int.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static int32_t t_is_online(void *ctx, const char *server, int *online_out)
{
    (void)ctx;
    return dcsim_DsIsNTDSOnline(server, online_out);
}

static int32_t t_set_auth(void *ctx, const char *user, const char *domain, const char *password)
{
    (void)ctx;
    return dcsim_DsSetAuthIdentity(user, domain, password);
}

static int32_t t_backup_prepare(void *ctx, const char *server, uint32_t grbit, uint32_t flag,
                                void **token_out, uint32_t *cb_out, void **hbc_out)
{
    (void)ctx;
    return dcsim_DsBackupPrepare(server, grbit, flag, token_out, cb_out, hbc_out);
}

static int32_t t_database_names(void *ctx, void *hbc, char **list_out, uint32_t *cb_out)
{
    (void)ctx;
    return dcsim_DsBackupGetDatabaseNames(hbc, list_out, cb_out);
}

static int32_t t_open_file(void *ctx, void *hbc, const char *name, uint32_t hint,
                           int64_t *size_out)
{
    (void)ctx;
    LARGE_INTEGER li;
    li.QuadPart = 0;
    HRESULT hr = dcsim_DsBackupOpenFile(hbc, name, hint, &li);
    *size_out = li.QuadPart;
    return hr;
}

static int32_t t_read(void *ctx, void *hbc, void *buf, uint32_t cb, uint32_t *read_out)
{
    (void)ctx;
    return dcsim_DsBackupRead(hbc, buf, cb, read_out);
}

static int32_t t_close(void *ctx, void *hbc)
{
    (void)ctx;
    return dcsim_DsBackupClose(hbc);
}

static int32_t t_backup_logs(void *ctx, void *hbc, char **list_out, uint32_t *cb_out)
{
    (void)ctx;
    return dcsim_DsBackupGetBackupLogs(hbc, list_out, cb_out);
}

static int32_t t_truncate(void *ctx, void *hbc)
{
    (void)ctx;
    return dcsim_DsBackupTruncateLogs(hbc);
}

static int32_t t_end(void *ctx, void *hbc)
{
    (void)ctx;
    return dcsim_DsBackupEnd(hbc);
}

static void t_free(void *ctx, void *buf)
{
    (void)ctx;
    dcsim_DsBackupFree(buf);
}

static int32_t t_restore_prepare(void *ctx, const char *server, uint32_t flag, const void *token,
                                 uint32_t cb, void **hbc_out)
{
    (void)ctx;
    return dcsim_DsRestorePrepare(server, flag, token, cb, hbc_out);
}

static int32_t t_restore_locations(void *ctx, void *hbc, char **list_out, uint32_t *cb_out)
{
    (void)ctx;
    return dcsim_DsRestoreGetDatabaseLocations(hbc, list_out, cb_out);
}

static int32_t t_restore_register(void *ctx, void *hbc, const char *checkpoint, const char *logs,
                                  const struct ds_rstmap *map, int32_t n_map,
                                  const char *backup_logs, uint32_t gen_low, uint32_t gen_high)
{
    (void)ctx;
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

static int32_t t_restore_complete(void *ctx, void *hbc, int32_t hr)
{
    (void)ctx;
    return dcsim_DsRestoreRegisterComplete(hbc, hr);
}

static int32_t t_restore_end(void *ctx, void *hbc)
{
    (void)ctx;
    return dcsim_DsRestoreEnd(hbc);
}

/* ------------------------------------------------------------ beyond the API */

static void t_explain(void *ctx, int32_t hr, char *buf, size_t cap)
{
    (void)ctx;
    (void)hr;
    snprintf(buf, cap, "%s", dcsim_last_error());
}

static int t_local_path(void *ctx, const char *name, char **local_out)
{
    (void)ctx;
    return dcsim_unc_to_local(name, local_out) == DCSIM_OK ? 0 : -1;
}

/* The state of the DC server names (NULL: this machine's): its folder is
 * what the share root \\SERVER\C$\Windows\NTDS maps to. */
static int server_info(const char *server, struct dcsim_info *in)
{
    char unc[128];
    if (server && server[0] == '\\' && server[1] == '\\')
        snprintf(unc, sizeof unc, "%s\\C$\\Windows\\NTDS", server);
    else
        snprintf(unc, sizeof unc, "\\\\%s\\C$\\Windows\\NTDS", server ? server : "");
    char *dir = NULL;
    if (dcsim_unc_to_local(unc, &dir) != DCSIM_OK)
        return -1;
    dcsim_status st = dcsim_info_read(dir, in);
    free(dir);
    return st == DCSIM_OK ? 0 : -1;
}

static int t_identity(void *ctx, const char *server, char *name, size_t name_cap, char *domain,
                      size_t domain_cap)
{
    (void)ctx;
    struct dcsim_info in;
    if (server_info(server, &in) != 0)
        return -1;
    if (name && name_cap)
        snprintf(name, name_cap, "%s", in.server);
    if (domain && domain_cap)
        snprintf(domain, domain_cap, "%s", in.domain);
    return 0;
}

static uint32_t t_log_floor(void *ctx, const char *server)
{
    (void)ctx;
    struct dcsim_info in;
    return server_info(server, &in) == 0 ? in.backup_gen_hold : 0;
}

static uint32_t t_tombstone_days(void *ctx, const char *server)
{
    (void)ctx;
    struct dcsim_info in;
    return server_info(server, &in) == 0 ? in.tsl_days : 0;
}

static const struct ds_api table = {
    .name = "the simulated DC",
    .is_online = t_is_online,
    .set_auth_identity = t_set_auth,
    .backup_prepare = t_backup_prepare,
    .backup_database_names = t_database_names,
    .backup_open_file = t_open_file,
    .backup_read = t_read,
    .backup_close = t_close,
    .backup_logs = t_backup_logs,
    .backup_truncate_logs = t_truncate,
    .backup_end = t_end,
    .backup_free = t_free,
    .restore_prepare = t_restore_prepare,
    .restore_locations = t_restore_locations,
    .restore_register = t_restore_register,
    .restore_complete = t_restore_complete,
    .restore_end = t_restore_end,
    .explain = t_explain,
    .local_path = t_local_path,
    .identity = t_identity,
    .log_floor = t_log_floor,
    .tombstone_days = t_tombstone_days,
};

const struct ds_api *dcsim_ds_api(void)
{
    return &table;
}

/* ------------------------------------------------------------ choosing */

static bool is_dc_folder(const char *dir)
{
    char p[PATH_MAX];
    struct stat sb;
    if (snprintf(p, sizeof p, "%s/dcsim.ini", dir) >= (int)sizeof p)
        return false;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

bool dcsim_is_dc_folder(const char *dir)
{
    return dir && is_dc_folder(dir);
}

dcsim_status dcsim_attach(const char *dir, const char *server, char *name_out, size_t cap)
{
    if (!is_dc_folder(dir))
        return dc_fail(DCSIM_E_FORMAT, "%s: not a simulated DC folder (it has no dcsim.ini; "
                       "make one with 'dcsim provision %s --size 64M')", dir, dir);
    struct dcsim_info in;
    if (dcsim_info_read(dir, &in) != DCSIM_OK)
        return dc_fail(DCSIM_E_FORMAT, "%s: %s", dir, dcsim_last_error());
    if (server && *server) {
        const char *s = server;
        while (*s == '\\')
            s++;
        if (strcasecmp(s, in.server) != 0)
            return dc_fail(DCSIM_E_ARG, "the simulated DC in %s is %s", dir, in.server);
    }
    if (dcsim_bind(in.server, dir) != DCSIM_OK)
        return dc_fail(DCSIM_E_STATE, "cannot bind %s as %s: %s", dir, in.server,
                       dcsim_last_error());
    snprintf(name_out, cap, "%s", in.server);
    return DCSIM_OK;
}
