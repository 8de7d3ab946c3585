/*
 * ds.h - the DsBackup drivers: one backup (ds_backup.c) and one restore
 * (ds_restore.c) of a directory server reached through the adapter (dsb.h).
 * adbk_backup and adbk_restore (adbk.h) call these for a DsBackup DC; their
 * contracts are those of adbk.h.
 */
#ifndef ADBK_DS_H
#define ADBK_DS_H

#include "adbk.h"
#include "dsb.h"

adbk_status ds_backup(struct dsb *dsb, const struct adbk_backup_options *o,
                      const struct adbk_job_callbacks *cb, struct adbk_backup_result *res,
                      struct adbk_error *err);
adbk_status ds_restore(struct adbk_reader *r, struct dsb *dsb,
                       const struct adbk_restore_options *o,
                       const struct adbk_restore_callbacks *cb,
                       struct adbk_restore_result *res, struct adbk_error *err);

#endif
