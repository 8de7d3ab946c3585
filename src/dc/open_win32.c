/*
 * open_win32.c - adbk_dc_open for Windows (adbk.h): the server named on the
 * command line (or this machine) through ntdsbcli.dll. The Linux build has
 * open_linux.c in its place.
 *
 * Credentials, when given (the front ends' --user, with the password from a
 * prompt without echo or ADBK_PASSWORD, never the command line), are handed
 * to DsSetAuthIdentityW once, at open.
 */
#include "dc.h"
#include "dsb.h"
#include "ntdsbcli_win32.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

adbk_status adbk_dc_open(const struct adbk_dc_spec *spec, const struct adbk_identity *id,
                         struct adbk_dc **out, struct adbk_error *err)
{
    *out = NULL;
    if (spec && spec->dcsim_dir && *spec->dcsim_dir)
        return adbk_error_set(err, ADBK_E_ARG, "--dcsim %s: on Windows the simulated DC is a "
                              "DLL in place of ntdsbcli.dll, named by ADBK_NTDSBCLI_DLL",
                              spec->dcsim_dir);
    if (spec && (spec->samba_conf || spec->samba_target))
        return adbk_error_set(err, ADBK_E_ARG, "%s %s: a Samba AD DC is backed up and restored "
                              "on its Linux machine", spec->samba_conf ? "--samba-conf"
                              : "--samba-target", spec->samba_conf ? spec->samba_conf
                              : spec->samba_target);
    const char *given = spec && spec->server && *spec->server ? spec->server : NULL;
    /* The DLL is given a name for this machine too: its NetBIOS name
     * (DSBACKUP.md §1, the local server name, backslashes optional). */
    char *server = given ? strdup(given) : ntdsbcli_this_machine();
    const char *shown = given ? given : "(this machine)";
    if (!server)
        return adbk_error_set(err, given ? ADBK_E_NOMEM : ADBK_E_SOURCE,
                              "cannot open the backup source %s: %s", shown,
                              given ? "no memory" : "cannot name this machine");
    const struct ds_api *api;
    void *ctx;
    bool simulated;
    char msg[1536];
    if (ntdsbcli_load(&api, &ctx, &simulated, msg, sizeof msg) != 0) {
        free(server);
        return adbk_error_set(err, ADBK_E_SOURCE, "cannot open the backup source %s: %s", shown,
                              msg);
    }
    struct dsb_identity di;
    dc_identity(id, &di);
    struct dsb *dsb;
    struct dsb_error why = {0};
    dsb_status ss = dsb_open(api, ctx, server, &di, simulated, 0, &dsb, &why);
    if (ss != DSB_OK) {
        free(server);
        return adbk_error_set(err, ss == DSB_E_NOMEM ? ADBK_E_NOMEM
                                   : ss == DSB_E_PRIVILEGE ? ADBK_E_PRIVILEGE : ADBK_E_SOURCE,
                              "cannot open the backup source %s: %s", shown,
                              why.msg[0] ? why.msg : dsb_strerror(ss));
    }
    adbk_status st = dc_new(&dc_dsbackup_ops, dsb, out, err);
    if (st == ADBK_OK)
        dc_set_source(*out, server); /* this machine's name when none was given */
    free(server);
    return st;
}
