/*
 * dc.h - the domain controller a user names (struct adbk_dc of adbk.h),
 * whatever reaches it, and the one function per platform that opens it
 * (open_linux.c, open_win32.c, picked by CMake).
 *
 * Today every DC is reached through the DsBackup contract: the Windows
 * ntdsbcli.dll, or the simulated DC (a test double). adbk_backup and
 * adbk_restore dispatch on how the DC is reached (dc.c).
 */
#ifndef ADBK_DC_H
#define ADBK_DC_H

#include "adbk.h"
#include "dsb.h"

struct adbk_dc {
    struct dsb *dsb; /* the DsBackup/DsRestore server */
};

/* Wraps an open server into a DC (taking it; closes it on failure). */
adbk_status dc_from_dsb(struct dsb *dsb, struct adbk_dc **out, struct adbk_error *err);

/* The identity as the adapter takes it (id may be NULL). */
void dc_identity(const struct adbk_identity *id, struct dsb_identity *out);

#endif
