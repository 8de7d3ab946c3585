/*
 * dc.h - the domain controller a user names (struct adbk_dc of adbk.h):
 * whatever reaches it, behind one table of operations, and the one function
 * per platform that opens it (open_linux.c, open_win32.c, picked by CMake).
 *
 * A DC is reached through the DsBackup contract (the Windows ntdsbcli.dll,
 * or the simulated DC, a test double: src/dsbackup/) or, on Linux, is a
 * Samba AD DC read from its files (src/samba/). adbk_backup and
 * adbk_restore call the DC's own operations (dc.c).
 */
#ifndef ADBK_DC_H
#define ADBK_DC_H

#include "adbk.h"

struct dc_ops {
    const char *name; /* "DsBackup", "Samba" */
    /* The contracts of adbk_backup and adbk_restore (adbk.h). */
    adbk_status (*backup)(void *impl, const struct adbk_backup_options *o,
                          const struct adbk_job_callbacks *cb, struct adbk_backup_result *res,
                          struct adbk_error *err);
    adbk_status (*restore)(void *impl, struct adbk_reader *r,
                           const struct adbk_restore_options *o,
                           const struct adbk_restore_callbacks *cb,
                           struct adbk_restore_result *res, struct adbk_error *err);
    bool (*simulated)(const void *impl);
    void (*close)(void *impl);
};

struct adbk_dc {
    const struct dc_ops *ops;
    void *impl;
    char source[4096]; /* adbk_dc_source; set by whatever opened it */
};

/* Sets dc's source name (adbk_dc_source), cut to fit. */
void dc_set_source(struct adbk_dc *dc, const char *name);

/* A DC of ops over impl (taken: released with ops->close, also when this
 * fails). */
adbk_status dc_new(const struct dc_ops *ops, void *impl, struct adbk_dc **out,
                   struct adbk_error *err);

/* The identity as the DsBackup adapter takes it (id may be NULL). */
struct dsb_identity;
void dc_identity(const struct adbk_identity *id, struct dsb_identity *out);

/* The operations of each kind of DC. */
extern const struct dc_ops dc_dsbackup_ops; /* impl: struct dsb (dsbackup/ds.c) */
extern const struct dc_ops dc_samba_ops;    /* impl: struct samba_dc (samba/), Linux */

#endif
