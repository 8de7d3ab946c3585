/*
 * bridge.h - what the simulator's ntdsbcli.dll needs beyond the table of
 * entry points (dsapi_table.h), with plain C types, so that the DLL's
 * exported side (ntdsbcli_shim.c, which needs <windows.h>) never meets
 * dcsim.h (whose DWORD and HRESULT are its own). Implemented in bridge.c.
 */
#ifndef ADBK_DCSIM_WIN_BRIDGE_H
#define ADBK_DCSIM_WIN_BRIDGE_H

#include <stdint.h>

/* DsSetCurrentBackupLog: not in the table, which holds what adbk calls. */
int32_t shim_set_current_log(const char *server, uint32_t log);
/* The restore locations as local folders (see bridge.c); an A list released
 * with the table's backup_free. */
int32_t shim_restore_locations(void *hbc, char **list_out, uint32_t *cb_out);

#endif
