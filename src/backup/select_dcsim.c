/*
 * select_dcsim.c - adbk_open_source for Linux, where the only directory
 * server is the simulated one (src/dcsim/). The rules (adbk.h):
 *   folder with dcsim.ini  -> bind it under its server name, open "this machine"
 *   other name             -> a server name for the simulator's binding
 *   nothing                -> ADBK_DCSIM_DIR, else the built-in DC in the user's
 *                             cache folder, provisioned and started on demand
 * The Windows build gets its own file with the same function over ntdsbcli.
 */
#include "adbk.h"
#include "dcsim.h"
#include "source.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BUILTIN_SIZE (256ull << 20)
#define BUILTIN_SEED 1

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
                       "cannot open the backup source %s: %s", server ? server : "(local)",
                       src_strerror(ss));
    return ADBK_OK;
}

/* mkdir -p for the cache folder's parents. */
static int make_parents(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0755);
        *p = '/';
        if (rc != 0 && errno != EEXIST)
            return -1;
    }
    return 0;
}

static adbk_status builtin_dc(char *dir, size_t cap, bool make, struct adbk_error *err)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n;
    if (xdg && *xdg == '/')
        n = snprintf(dir, cap, "%s/adbk/builtin-dc", xdg);
    else if (home && *home)
        n = snprintf(dir, cap, "%s/.cache/adbk/builtin-dc", home);
    else
        return adbk_error_set(err, ADBK_E_SOURCE, "no simulated DC: set ADBK_DCSIM_DIR, pass "
                       "--server DIR, or set HOME or XDG_CACHE_HOME for the built-in one");
    if (n < 0 || (size_t)n >= cap)
        return adbk_error_set(err, ADBK_E_ARG, "the built-in DC's path is too long");
    if (!is_dc_folder(dir) && !make)
        return adbk_error_set(err, ADBK_E_SOURCE, "the built-in simulated DC %s does not exist "
                              "yet (an 'adbk backup' makes it); name the DC with --server",
                              dir);
    if (!is_dc_folder(dir)) {
        if (make_parents(dir) != 0)
            return adbk_error_set(err, ADBK_E_IO,
                                  "cannot create the folder for the built-in DC %s: %s", dir,
                                  strerror(errno));
        struct dcsim_provision_opts po = {.size = BUILTIN_SIZE, .seed = BUILTIN_SEED};
        if (dcsim_provision(dir, &po) != DCSIM_OK)
            return adbk_error_set(err, ADBK_E_SOURCE,
                           "cannot provision the built-in simulated DC in %s: %s", dir,
                                  dcsim_last_error());
    }
    return ADBK_OK;
}

adbk_status adbk_open_source(const char *server_or_dir, enum adbk_source_use use,
                             const struct adbk_identity *id, struct source **out,
                             struct adbk_error *err)
{
    *out = NULL;
    char dir[PATH_MAX];
    const char *env = getenv("ADBK_DCSIM_DIR");
    if (server_or_dir && *server_or_dir && !is_dc_folder(server_or_dir)) {
        struct stat sb;
        if (strchr(server_or_dir, '/') || (stat(server_or_dir, &sb) == 0 && S_ISDIR(sb.st_mode)))
            return adbk_error_set(err, ADBK_E_SOURCE, "%s is not a simulated DC folder (it has no "
                           "dcsim.ini; make one with 'dcsim provision %s --size 64M')",
                           server_or_dir, server_or_dir);
        return open_named(server_or_dir, id, out, err);
    }
    if (server_or_dir && *server_or_dir) {
        snprintf(dir, sizeof dir, "%s", server_or_dir);
    } else if (env && *env) {
        return open_named(NULL, id, out, err); /* the simulator binds it itself */
    } else {
        adbk_status st = builtin_dc(dir, sizeof dir, use == ADBK_FOR_BACKUP, err);
        if (st != ADBK_OK)
            return st;
        /* The built-in DC exists for the demo: bring it up for a backup. */
        if (use == ADBK_FOR_BACKUP && dcsim_start(dir) != DCSIM_OK)
            return adbk_error_set(err, ADBK_E_SOURCE,
                           "cannot start the built-in simulated DC in %s: %s", dir,
                                  dcsim_last_error());
    }
    struct dcsim_info in;
    if (dcsim_info_read(dir, &in) != DCSIM_OK)
        return adbk_error_set(err, ADBK_E_SOURCE, "%s: %s", dir, dcsim_last_error());
    if (dcsim_bind(in.server, dir) != DCSIM_OK)
        return adbk_error_set(err, ADBK_E_SOURCE, "cannot bind %s as %s: %s", dir, in.server,
                       dcsim_last_error());
    return open_named(in.server, id, out, err);
}
