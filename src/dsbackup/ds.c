/*
 * ds.c - a DsBackup server as a domain controller of the engine (dc.h): its
 * table of operations over the adapter (dsb.h) and the two drivers.
 */
#include "dc.h"
#include "ds.h"

static adbk_status backup(void *impl, const struct adbk_backup_options *o,
                          const struct adbk_job_callbacks *cb, struct adbk_backup_result *res,
                          struct adbk_error *err)
{
    return ds_backup(impl, o, cb, res, err);
}

static adbk_status restore(void *impl, struct adbk_reader *r,
                           const struct adbk_restore_options *o,
                           const struct adbk_restore_callbacks *cb,
                           struct adbk_restore_result *res, struct adbk_error *err)
{
    return ds_restore(r, impl, o, cb, res, err);
}

static bool simulated(const void *impl)
{
    return dsb_simulated(impl);
}

static void close_dsb(void *impl)
{
    dsb_close(impl);
}

const struct dc_ops dc_dsbackup_ops = {"DsBackup", backup, restore, simulated, close_dsb};
