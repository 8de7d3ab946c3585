/*
 * dc.c - a domain controller as the programs see it (adbk.h): the calls that
 * every kind of DC answers through its table of operations (dc.h).
 */
#include "dc.h"
#include "dsb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

adbk_status dc_new(const struct dc_ops *ops, void *impl, struct adbk_dc **out,
                   struct adbk_error *err)
{
    *out = NULL;
    struct adbk_dc *dc = calloc(1, sizeof *dc);
    if (!dc) {
        ops->close(impl);
        return adbk_error_set(err, ADBK_E_NOMEM, "no memory to open a domain controller");
    }
    dc->ops = ops;
    dc->impl = impl;
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
    dc->ops->close(dc->impl);
    free(dc);
}

bool adbk_dc_simulated(const struct adbk_dc *dc)
{
    return dc && dc->ops->simulated(dc->impl);
}

void dc_set_source(struct adbk_dc *dc, const char *name)
{
    snprintf(dc->source, sizeof dc->source, "%s", name ? name : "");
}

const char *adbk_dc_source(const struct adbk_dc *dc) { return dc ? dc->source : ""; }

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
    return dc->ops->backup(dc->impl, o, cb, res, err);
}

adbk_status adbk_restore(struct adbk_reader *r, struct adbk_dc *dc,
                         const struct adbk_restore_options *o,
                         const struct adbk_restore_callbacks *cb,
                         struct adbk_restore_result *res, struct adbk_error *err)
{
    struct adbk_restore_result local;
    if (!res)
        res = &local;
    memset(res, 0, sizeof *res);
    if (!dc || !r)
        return adbk_error_set(err, ADBK_E_ARG, "adbk_restore: no archive or no domain controller");
    return dc->ops->restore(dc->impl, r, o, cb, res, err);
}
