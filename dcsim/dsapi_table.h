/*
 * dsapi_table.h - the simulated DC as a table of Ds* entry points
 * (dsapi_table.c). Apart from dcsim.h so that the simulator's ntdsbcli.dll,
 * which sees <windows.h>, can use the table without dcsim.h's own DWORD and
 * HRESULT.
 */
#ifndef ADBK_DCSIM_DSAPI_TABLE_H
#define ADBK_DCSIM_DSAPI_TABLE_H

#include "dsapi.h"

/* The simulator's calls (ctx unused: its state is per process). What adbk's
 * DsBackup adapter calls on Linux, and the simulator's ntdsbcli.dll too. */
const struct ds_api *dcsim_ds_api(void);

#endif
