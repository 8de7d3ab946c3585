/*
 * ntdsbcli_win32.h - loading the real ntdsbcli.dll as a table of Ds* entry
 * points (ntdsbcli_win32.c). Windows only.
 */
#ifndef ADBK_NTDSBCLI_WIN32_H
#define ADBK_NTDSBCLI_WIN32_H

#include "dsapi.h"

#include <stdbool.h>
#include <stddef.h>

/* Loads ntdsbcli.dll (System32 only; ADBK_NTDSBCLI_DLL names another file,
 * for tests) and looks up every W entry point. On success *api_out and
 * *ctx_out are the table for dsb_open (which releases ctx), *simulated_out
 * says the DLL is adbk's simulated DC, and 0 is returned. On failure -1, and
 * msg names the DLL that could not be loaded or the missing entry point. */
int ntdsbcli_load(const struct ds_api **api_out, void **ctx_out, bool *simulated_out,
                  char *msg, size_t msg_cap);

/* This machine's NetBIOS name (malloc'd), the name the DLL is given for
 * "this machine" (DSBACKUP.md §1); NULL when it cannot be had. */
char *ntdsbcli_this_machine(void);

#endif
