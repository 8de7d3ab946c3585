/*
 * select_dcsim.c - adbk_open_source for Linux, where the only backend is the
 * simulated DC (src/dcsim/), a test double of the DsBackup API. It is opened
 * only when asked for by name (adbk.h):
 *   spec->dcsim_dir        -> that DC, bound under its own server name
 *   server, ADBK_DCSIM_DIR -> the name, resolved by the simulator's binding
 *   anything else          -> refused, saying what can be backed up here
 * Nothing here provisions or starts a DC: a backup of a simulator the user
 * did not name could pass for a backup of the directory.
 * The Windows build has src/platform/open_source_win32.c in its place.
 */
#include "adbk.h"
#include "dcsim.h"
#include "source.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* What every refusal ends with: what this machine can back up, and how. */
#define CHOOSE_HINT                                                                            \
    "on Linux adbk backs up and restores only its simulated domain controller (dcsim, a test " \
    "double; there is no backend for a real DC yet): choose one with --dcsim DIR or "           \
    "ADBK_DCSIM_DIR=DIR (make one with 'dcsim provision DIR --size 64M' and 'dcsim start DIR')"

static bool is_dc_folder(const char *dir)
{
    char p[PATH_MAX];
    struct stat sb;
    if (snprintf(p, sizeof p, "%s/dcsim.ini", dir) >= (int)sizeof p)
        return false;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

static adbk_status open_named(const char *server, const struct adbk_identity *id,
                              struct source **out, struct adbk_error *err)
{
    struct src_config cfg = {.server = server};
    if (id && id->user) {
        cfg.user = id->user;
        cfg.domain = id->domain ? id->domain : "";
        cfg.password = id->password ? id->password : "";
    }
    src_status ss = src_dcsim_open(&cfg, out);
    if (ss != SRC_OK)
        return adbk_error_set(err, ss == SRC_E_NOMEM ? ADBK_E_NOMEM : ADBK_E_SOURCE,
                       "cannot open the simulated DC %s: %s", server ? server : "(local)",
                       src_strerror(ss));
    return ADBK_OK;
}

static adbk_status open_dir(const char *dir, const char *server,
                            const struct adbk_identity *id, struct source **out,
                            struct adbk_error *err)
{
    if (!is_dc_folder(dir))
        return adbk_error_set(err, ADBK_E_SOURCE, "--dcsim %s: not a simulated DC folder (it "
                              "has no dcsim.ini; make one with 'dcsim provision %s --size 64M')",
                              dir, dir);
    struct dcsim_info in;
    if (dcsim_info_read(dir, &in) != DCSIM_OK)
        return adbk_error_set(err, ADBK_E_SOURCE, "%s: %s", dir, dcsim_last_error());
    if (server && *server) {
        const char *s = server;
        while (*s == '\\')
            s++;
        if (strcasecmp(s, in.server) != 0)
            return adbk_error_set(err, ADBK_E_ARG, "--server %s and --dcsim %s disagree: the "
                                  "simulated DC in %s is %s", server, dir, dir, in.server);
    }
    if (dcsim_bind(in.server, dir) != DCSIM_OK)
        return adbk_error_set(err, ADBK_E_SOURCE, "cannot bind %s as %s: %s", dir, in.server,
                       dcsim_last_error());
    return open_named(in.server, id, out, err);
}

adbk_status adbk_open_source(const struct adbk_source_spec *spec,
                             const struct adbk_identity *id, struct source **out,
                             struct adbk_error *err)
{
    *out = NULL;
    const char *server = spec && spec->server && *spec->server ? spec->server : NULL;
    const char *dir = spec && spec->dcsim_dir && *spec->dcsim_dir ? spec->dcsim_dir : NULL;
    const char *env = getenv("ADBK_DCSIM_DIR");
    if (dir)
        return open_dir(dir, server, id, out, err);
    if (env && *env)
        return open_named(server, id, out, err); /* the simulator resolves the name */
    if (!server)
        return adbk_error_set(err, ADBK_E_SOURCE, "no domain controller chosen; " CHOOSE_HINT);
    if (is_dc_folder(server))
        return adbk_error_set(err, ADBK_E_SOURCE, "%s is a simulated DC's folder, not a "
                              "server; choose the simulator explicitly with --dcsim %s",
                              server, server);
    return adbk_error_set(err, ADBK_E_SOURCE, "no backend can reach the domain controller "
                          "%s; " CHOOSE_HINT, server);
}
