/*
 * restore.c - the restore of a Samba AD DC from an archive (adbk_restore
 * when the DC is a Samba one).
 */
#include "samba.h"

adbk_status samba_restore(struct samba_dc *dc, struct adbk_reader *r,
                          const struct adbk_restore_options *o,
                          const struct adbk_restore_callbacks *cb,
                          struct adbk_restore_result *res, struct adbk_error *err)
{
    (void)dc, (void)r, (void)o, (void)cb, (void)res;
    return adbk_error_set(err, ADBK_E_UNSUPPORTED, "WORK IN PROGRESS");
}
