/*
 * bridge.h - the simulated DC's Ds* calls with plain C types, so that the
 * DLL's exported side (ntdsbcli_shim.c, which needs <windows.h>) never meets
 * dcsim.h (whose DWORD and HRESULT are its own). Implemented in bridge.c.
 * Strings are UTF-8; lists use the A encoding of the DsBackup API reference
 * §2 and are released with shim_free_a.
 */
#ifndef ADBK_DCSIM_WIN_BRIDGE_H
#define ADBK_DCSIM_WIN_BRIDGE_H

#include <stdint.h>

struct shim_rstmap {
    const char *database_name;
    const char *new_database_name;
};

int32_t shim_is_online(const char *server, int *online_out);
int32_t shim_set_auth(const char *user, const char *domain, const char *password);
int32_t shim_backup_prepare(const char *server, uint32_t grbit, uint32_t flag, void **token_out,
                            uint32_t *cb_out, void **hbc_out);
int32_t shim_database_names(void *hbc, char **list_out, uint32_t *cb_out);
int32_t shim_open_file(void *hbc, const char *name, uint32_t hint, int64_t *size_out);
int32_t shim_read(void *hbc, void *buf, uint32_t cb, uint32_t *read_out);
int32_t shim_close(void *hbc);
int32_t shim_backup_logs(void *hbc, char **list_out, uint32_t *cb_out);
int32_t shim_truncate(void *hbc);
int32_t shim_end(void *hbc);
void shim_free_a(void *buf);
int32_t shim_set_current_log(const char *server, uint32_t log);
int32_t shim_restore_prepare(const char *server, uint32_t flag, const void *token,
                             uint32_t cb, void **hbc_out);
int32_t shim_restore_locations(void *hbc, char **list_out, uint32_t *cb_out);
int32_t shim_restore_register(void *hbc, const char *checkpoint, const char *logs,
                              const struct shim_rstmap *map, int32_t n_map,
                              const char *backup_logs, uint32_t gen_low, uint32_t gen_high);
int32_t shim_restore_complete(void *hbc, int32_t hr);
int32_t shim_restore_end(void *hbc);

#endif
