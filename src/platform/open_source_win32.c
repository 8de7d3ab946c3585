/*
 * open_source_win32.c - adbk_open_source for Windows (adbk.h): the server
 * named on the command line (or this machine) through ntdsbcli.dll. The
 * Linux build has src/backup/select_dcsim.c in its place.
 *
 * Credentials, when given (the front ends' --user, with the password from a
 * prompt without echo or ADBK_PASSWORD, never the command line), are handed
 * to DsSetAuthIdentityW by the backend.
 */
#include "adbk.h"
#include "ntdsbcli_win32.h"
#include "source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

adbk_status adbk_open_source(const struct adbk_source_spec *spec,
                             const struct adbk_identity *id, struct source **out,
                             struct adbk_error *err)
{
    *out = NULL;
    if (spec && spec->dcsim_dir && *spec->dcsim_dir)
        return adbk_error_set(err, ADBK_E_ARG, "--dcsim %s: on Windows the simulated DC is a "
                              "DLL in place of ntdsbcli.dll, named by ADBK_NTDSBCLI_DLL",
                              spec->dcsim_dir);
    const char *server_or_dir = spec ? spec->server : NULL;
    struct src_config cfg = {.server = server_or_dir};
    if (id && id->user) {
        cfg.user = id->user;
        cfg.domain = id->domain ? id->domain : "";
        cfg.password = id->password ? id->password : "";
    }
    struct src_error se;
    memset(&se, 0, sizeof se);
    src_status ss = src_ntdsbcli_open(&cfg, out, &se);
    if (ss == SRC_OK)
        return ADBK_OK;
    adbk_status st = ss == SRC_E_NOMEM ? ADBK_E_NOMEM
                     : ss == SRC_E_PRIVILEGE ? ADBK_E_PRIVILEGE : ADBK_E_SOURCE;
    return adbk_error_set(err, st, "cannot open the backup source %s: %s",
                          server_or_dir && *server_or_dir ? server_or_dir : "(this machine)",
                          se.msg[0] ? se.msg : src_strerror(ss));
}
