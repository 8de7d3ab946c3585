/*
 * open_linux.c - adbk_dc_open for Linux, where the one DsBackup server is the
 * simulated DC (dcsim/), a test double of the contract. It is opened only
 * when asked for by name (adbk.h):
 *   spec->dcsim_dir        -> that DC, bound under its own server name
 *   server, ADBK_DCSIM_DIR -> the name, resolved by the simulator's binding
 *   anything else          -> refused, saying what can be backed up here
 * Nothing here provisions or starts a DC: a backup of a simulator the user
 * did not name could pass for a backup of the directory.
 * The Windows build has open_win32.c in its place.
 */
#include "dc.h"
#include "dcsim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What every refusal ends with: what this machine can back up, and how. */
#define CHOOSE_HINT                                                                            \
    "on Linux adbk backs up and restores only its simulated domain controller (dcsim, a test " \
    "double; there is no backend for a real DC yet): choose one with --dcsim DIR or "           \
    "ADBK_DCSIM_DIR=DIR (make one with 'dcsim provision DIR --size 64M' and 'dcsim start DIR')"

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
    return dc_from_dsb(dsb, out, err);
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
        return open_named(name, id, out, err);
    }
    if (env && *env)
        return open_named(server, id, out, err); /* the simulator resolves the name */
    if (!server)
        return adbk_error_set(err, ADBK_E_SOURCE, "no domain controller chosen; " CHOOSE_HINT);
    if (dcsim_is_dc_folder(server))
        return adbk_error_set(err, ADBK_E_SOURCE, "%s is a simulated DC's folder, not a "
                              "server; choose the simulator explicitly with --dcsim %s",
                              server, server);
    return adbk_error_set(err, ADBK_E_SOURCE, "no backend can reach the domain controller "
                          "%s; " CHOOSE_HINT, server);
}
