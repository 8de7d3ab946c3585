/*
 * dc.c - a Samba AD DC as a domain controller of the engine (src/dc/dc.h):
 * opening it from its smb.conf, and its table of operations.
 */
#include "dc.h"
#include "samba.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static adbk_status backup(void *impl, const struct adbk_backup_options *o,
                          const struct adbk_job_callbacks *cb, struct adbk_backup_result *res,
                          struct adbk_error *err)
{
    struct samba_dc *dc = impl;
    if (dc->target[0])
        return adbk_error_set(err, ADBK_E_ARG, "%s is a folder to restore a Samba DC into, "
                              "not a DC to back up (that is --samba-conf FILE)", dc->target);
    return samba_backup(impl, o, cb, res, err);
}

static adbk_status restore(void *impl, struct adbk_reader *r,
                           const struct adbk_restore_options *o,
                           const struct adbk_restore_callbacks *cb,
                           struct adbk_restore_result *res, struct adbk_error *err)
{
    return samba_restore(impl, r, o, cb, res, err);
}

static bool simulated(const void *impl)
{
    (void)impl;
    return false;
}

static void close_samba(void *impl)
{
    free(impl);
}

const struct dc_ops dc_samba_ops = {"Samba", backup, restore, simulated, close_samba};

adbk_status samba_target_open(const char *dir, struct adbk_dc **out, struct adbk_error *err)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    struct samba_dc *dc = calloc(1, sizeof *dc);
    if (!dc)
        return adbk_error_set(err, ADBK_E_NOMEM, "no memory to open the Samba DC");
    if (n == 0 || n + 64 > sizeof dc->target) {
        free(dc);
        return adbk_error_set(err, ADBK_E_ARG, "the folder to restore into is %s",
                              n ? "too long a name" : "empty");
    }
    memcpy(dc->target, dir, n);
    return dc_new(&dc_samba_ops, dc, out, err);
}

adbk_status samba_dc_open(const char *conf, const char *server, struct adbk_dc **out,
                          struct adbk_error *err)
{
    struct samba_dc *dc = calloc(1, sizeof *dc);
    if (!dc)
        return adbk_error_set(err, ADBK_E_NOMEM, "no memory to open the Samba DC");
    adbk_status st = samba_conf_read(conf, &dc->conf, err);
    bool is_dc = st == ADBK_OK && samba_conf_is_dc(&dc->conf);
    const char *s = server;
    while (s && *s == '\\')
        s++;
    if (st == ADBK_OK && server && (!is_dc || strcasecmp(s, dc->conf.netbios) != 0))
        st = adbk_error_set(err, ADBK_E_SOURCE, "no backend can reach the domain controller "
                            "%s: on Linux adbk backs up the Samba AD DC of this machine, and "
                            "%s configures %s", server, dc->conf.file,
                            is_dc ? dc->conf.netbios : "none (not an AD DC's configuration)");
    else if (st == ADBK_OK && !is_dc)
        st = adbk_error_set(err, ADBK_E_SOURCE, "%s says \"server role = %s\": that is not a "
                            "Samba Active Directory domain controller's configuration",
                            dc->conf.file, dc->conf.role);
    if (st != ADBK_OK) {
        free(dc);
        return st;
    }
    char file[sizeof dc->conf.file];
    snprintf(file, sizeof file, "%s", dc->conf.file);
    st = dc_new(&dc_samba_ops, dc, out, err);
    if (st == ADBK_OK)
        dc_set_source(*out, file);
    return st;
}
