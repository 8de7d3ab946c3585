/*
 * dc.c - a domain controller as the programs see it (adbk.h): what every
 * platform's DC shares, and the dispatch of a backup or a restore to the
 * driver of the way the DC is reached.
 */
#include "dc.h"
#include "ds.h"

#include <stdlib.h>
#include <string.h>

adbk_status dc_from_dsb(struct dsb *dsb, struct adbk_dc **out, struct adbk_error *err)
{
    struct adbk_dc *dc = calloc(1, sizeof *dc);
    if (!dc) {
        dsb_close(dsb);
        return adbk_error_set(err, ADBK_E_NOMEM, "no memory to open %s", dsb_server(dsb));
    }
    dc->dsb = dsb;
    *out = dc;
    return ADBK_OK;
}

void dc_identity(const struct adbk_identity *id, struct dsb_identity *out)
{
    memset(out, 0, sizeof *out);
    if (id && id->user) {
        out->user = id->user;
        out->domain = id->domain ? id->domain : "";
        out->password = id->password ? id->password : "";
    }
}

void adbk_dc_close(struct adbk_dc *dc)
{
    if (!dc)
        return;
    dsb_close(dc->dsb);
    free(dc);
}

bool adbk_dc_simulated(const struct adbk_dc *dc)
{
    return dc && dsb_simulated(dc->dsb);
}

adbk_status adbk_backup(struct adbk_dc *dc, const struct adbk_backup_options *o,
                        const struct adbk_job_callbacks *cb, struct adbk_backup_result *res,
                        struct adbk_error *err)
{
    struct adbk_backup_result local;
    if (!res)
        res = &local;
    memset(res, 0, sizeof *res);
    if (!dc || !o)
        return adbk_error_set(err, ADBK_E_ARG, "adbk_backup: no domain controller or no options");
    return ds_backup(dc->dsb, o, cb, res, err);
}

adbk_status adbk_restore(struct adbk_reader *r, struct adbk_dc *dc,
                         const struct adbk_restore_options *o,
                         const struct adbk_restore_callbacks *cb,
                         struct adbk_restore_result *res, struct adbk_error *err)
{
    if (!dc)
        return adbk_error_set(err, ADBK_E_ARG, "adbk_restore: no domain controller");
    return ds_restore(r, dc->dsb, o, cb, res, err);
}
