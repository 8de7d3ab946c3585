/*
 * open_linux.c - adbk_dc_open for Linux (adbk.h). The real directory here is
 * a Samba AD DC, found from its smb.conf; the one DsBackup server is the
 * simulated DC (dcsim/), a test double of the contract, opened only when
 * asked for by name:
 *   spec->dcsim_dir        -> that simulated DC, bound under its own name
 *   server, ADBK_DCSIM_DIR -> the simulated DC by name (its binding)
 *   spec->samba_target     -> a new folder to restore a Samba DC into
 *   anything else          -> the Samba AD DC of spec->samba_conf, or of
 *                             this machine's smb.conf; refused, saying what
 *                             the file says, when it is no AD DC's
 * Nothing here provisions or starts a DC: a backup of a simulator the user
 * did not name could pass for a backup of the directory.
 * The Windows build has open_win32.c in its place.
 */
#include "dc.h"
#include "dcsim.h"
#include "dsb.h"
#include "samba.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static adbk_status open_named(const char *server, const struct adbk_identity *id,
                              struct adbk_dc **out, struct adbk_error *err)
{
    struct dsb_identity di;
    dc_identity(id, &di);
    struct dsb *dsb;
    struct dsb_error why = {0};
    dsb_status ss = dsb_open(dcsim_ds_api(), NULL, server, &di, true, 0, &dsb, &why);
    if (ss != DSB_OK)
        return adbk_error_set(err, ss == DSB_E_NOMEM ? ADBK_E_NOMEM : ADBK_E_SOURCE,
                              "cannot open the simulated DC %s: %s", server ? server : "(local)",
                              why.msg[0] ? why.msg : dsb_strerror(ss));
    return dc_new(&dc_dsbackup_ops, dsb, out, err);
}

adbk_status adbk_dc_open(const struct adbk_dc_spec *spec, const struct adbk_identity *id,
                         struct adbk_dc **out, struct adbk_error *err)
{
    *out = NULL;
    const char *server = spec && spec->server && *spec->server ? spec->server : NULL;
    const char *dir = spec && spec->dcsim_dir && *spec->dcsim_dir ? spec->dcsim_dir : NULL;
    const char *env = getenv("ADBK_DCSIM_DIR");
    if (dir) {
        char name[64];
        dcsim_status ds = dcsim_attach(dir, server, name, sizeof name);
        if (ds == DCSIM_E_ARG)
            return adbk_error_set(err, ADBK_E_ARG, "--server %s and --dcsim %s disagree: %s",
                                  server, dir, dcsim_last_error());
        if (ds != DCSIM_OK)
            return adbk_error_set(err, ADBK_E_SOURCE, "--dcsim %s", dcsim_last_error());
        adbk_status st = open_named(name, id, out, err);
        if (st == ADBK_OK)
            dc_set_source(*out, dir);
        return st;
    }
    if (spec && spec->samba_target) {
        adbk_status st = samba_target_open(spec->samba_target, out, err);
        if (st == ADBK_OK)
            dc_set_source(*out, spec->samba_target);
        return st;
    }
    if (env && *env) {
        /* Said here once, in the words of --dcsim, rather than as the answer
         * of the first Ds* call. */
        struct dcsim_info in;
        if (dcsim_info_read(env, &in) != DCSIM_OK)
            return adbk_error_set(err, ADBK_E_SOURCE, "ADBK_DCSIM_DIR=%s: %s", env,
                                  dcsim_last_error());
        adbk_status st = open_named(server, id, out, err); /* the simulator resolves the name */
        if (st == ADBK_OK)
            dc_set_source(*out, server ? server : env);
        return st;
    }
    if (server && dcsim_is_dc_folder(server))
        return adbk_error_set(err, ADBK_E_SOURCE, "%s is a simulated DC's folder, not a "
                              "server; choose the simulator explicitly with --dcsim %s",
                              server, server);
    adbk_status st = samba_dc_open(spec ? spec->samba_conf : NULL, server, out, err);
    if (st == ADBK_E_SOURCE && !server && !(spec && spec->samba_conf)) {
        /* Nothing was named and this machine is no DC: say how to choose. */
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err->message);
        adbk_error_set(err, st, "no domain controller chosen, and %s; choose a Samba AD DC by "
                       "its smb.conf with --samba-conf FILE, or adbk's simulated DC (dcsim, a "
                       "test double) with --dcsim DIR or ADBK_DCSIM_DIR=DIR", why);
    }
    return st;
}
