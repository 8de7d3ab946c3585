/*
 * ntdsbcli_win32.h - opening the Windows source backend
 * (src/source/source_ntdsbcli_win32.c), which talks to the real ntdsbcli.dll.
 * Kept apart from source.h only so that file stays as it is for the Linux
 * build; it belongs beside src_dcsim_open there.
 */
#ifndef ADBK_PLATFORM_NTDSBCLI_WIN32_H
#define ADBK_PLATFORM_NTDSBCLI_WIN32_H

#include "source.h"

/* Loads ntdsbcli.dll (System32 only; ADBK_NTDSBCLI_DLL names another file,
 * for tests), looks up every W entry point, and applies cfg's identity with
 * DsSetAuthIdentityW when cfg->user is set (the password is copied for the
 * call and wiped). cfg may be NULL (this machine, process credentials).
 * On success *out is released with src_destroy. On failure *out is NULL and,
 * when err_out is not NULL, it receives the message (the DLL that could not
 * be loaded, the missing entry point, or the refused identity with its
 * HRESULT). Returns SRC_OK, SRC_E_CONNECT (no DLL), SRC_E_SERVER (entry point
 * missing), SRC_E_PRIVILEGE / SRC_E_ARG (identity refused), SRC_E_NOMEM. */
src_status src_ntdsbcli_open(const struct src_config *cfg, struct source **out,
                             struct src_error *err_out);

#endif
