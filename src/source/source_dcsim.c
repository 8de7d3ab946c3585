/*
 * source_dcsim.c - the source backend that talks to the simulated DC
 * (src/dcsim/dcsim.h). It is a straight mapping of src_ops onto the Ds*
 * calls, so the Windows backend can follow it line by line with the W
 * entry points; the only simulator-specific step is filling src_name.local
 * through dcsim_unc_to_local.
 */
#include "dcsim.h"
#include "source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dcs {
    char *server;      /* NULL = this machine */
    HBC hbc;           /* backup context */
    HBC rhbc;          /* restore context */
    int file_open;
    char file[1024];
    uint64_t size, pos;
    int eof;
};

static struct dcs *D(struct source *s)
{
    return s->impl;
}

static src_status fail(struct source *s, const char *call, const char *obj, HRESULT hr)
{
    return src_fail_hr(s, call, obj, hr, dcsim_last_error());
}

static const char *srv_name(struct source *s)
{
    return D(s)->server ? D(s)->server : "(local)";
}

static src_status take_list(struct source *s, const char *call, char *buf,
                            DWORD cb, struct src_name_list *out)
{
    src_status st = src_parse_list(buf, cb, out);
    dcsim_DsBackupFree(buf);
    if (st == SRC_E_NOMEM)
        return src_fail(s, st, call, srv_name(s), "no memory for the name list");
    if (st)
        return src_fail(s, st, call, srv_name(s), "malformed name list of %u bytes",
                        (unsigned)cb);
    for (size_t i = 0; i < out->n; i++) {
        char *loc = NULL;
        if (dcsim_unc_to_local(out->v[i].name, &loc) == DCSIM_OK)
            out->v[i].local = loc;
    }
    return SRC_OK;
}

static src_status d_is_online(struct source *s, int *online_out)
{
    BOOL on = 0;
    src_clear_error(s);
    HRESULT hr = dcsim_DsIsNTDSOnline(D(s)->server, &on);
    if (hr != S_OK)
        return fail(s, "DsIsNTDSOnline", srv_name(s), hr);
    *online_out = on != 0;
    return SRC_OK;
}

static src_status d_prepare(struct source *s, uint8_t **token_out, size_t *len_out)
{
    void *tok = NULL;
    DWORD cb = 0;
    src_clear_error(s);
    *token_out = NULL;
    *len_out = 0;
    if (D(s)->hbc)
        return src_fail(s, SRC_E_SEQUENCE, "DsBackupPrepare", srv_name(s),
                        "a backup is already prepared on this source");
    HRESULT hr = dcsim_DsBackupPrepare(D(s)->server, 0, BACKUP_TYPE_FULL, &tok, &cb,
                                       &D(s)->hbc);
    if (hr != S_OK) {
        D(s)->hbc = NULL;
        return fail(s, "DsBackupPrepare", srv_name(s), hr);
    }
    uint8_t *copy = malloc(cb ? cb : 1);
    if (!copy) {
        dcsim_DsBackupFree(tok);
        return src_fail(s, SRC_E_NOMEM, "DsBackupPrepare", srv_name(s),
                        "no memory for the %u-byte expiry token", (unsigned)cb);
    }
    memcpy(copy, tok, cb);
    dcsim_DsBackupFree(tok);
    *token_out = copy;
    *len_out = cb;
    return SRC_OK;
}

static src_status d_list_databases(struct source *s, struct src_name_list *out)
{
    char *buf = NULL;
    DWORD cb = 0;
    src_clear_error(s);
    out->v = NULL;
    out->n = 0;
    HRESULT hr = dcsim_DsBackupGetDatabaseNames(D(s)->hbc, &buf, &cb);
    if (hr != S_OK)
        return fail(s, "DsBackupGetDatabaseNames", srv_name(s), hr);
    return take_list(s, "DsBackupGetDatabaseNames", buf, cb, out);
}

static src_status d_list_logs(struct source *s, struct src_name_list *out)
{
    char *buf = NULL;
    DWORD cb = 0;
    src_clear_error(s);
    out->v = NULL;
    out->n = 0;
    HRESULT hr = dcsim_DsBackupGetBackupLogs(D(s)->hbc, &buf, &cb);
    if (hr != S_OK)
        return fail(s, "DsBackupGetBackupLogs", srv_name(s), hr);
    return take_list(s, "DsBackupGetBackupLogs", buf, cb, out);
}

static src_status d_open(struct source *s, const struct src_name *n, uint64_t *size_out)
{
    LARGE_INTEGER li;
    src_clear_error(s);
    li.QuadPart = 0;
    HRESULT hr = dcsim_DsBackupOpenFile(D(s)->hbc, n->name, s->read_hint, &li);
    if (hr != S_OK)
        return fail(s, "DsBackupOpenFile", n->name, hr);
    if (li.QuadPart < 0)
        return src_fail(s, SRC_E_SERVER, "DsBackupOpenFile", n->name,
                        "negative stream size %lld", (long long)li.QuadPart);
    D(s)->file_open = 1;
    snprintf(D(s)->file, sizeof D(s)->file, "%s", n->name);
    D(s)->size = (uint64_t)li.QuadPart;
    D(s)->pos = 0;
    D(s)->eof = 0;
    *size_out = D(s)->size;
    return SRC_OK;
}

#define RD_UNIT 32768u
#define RD_MIN 98304u

static src_status d_read(struct source *s, void *buf, size_t cap, size_t *got_out)
{
    struct dcs *d = D(s);
    size_t got = 0;
    src_clear_error(s);
    *got_out = 0;
    if (cap < RD_MIN)
        return src_fail(s, SRC_E_ARG, "DsBackupRead", d->file, "buffer of %zu bytes "
                        "is below the %u-byte minimum", cap, RD_MIN);
    while (!d->eof) {
        size_t room = cap - got;
        if (room > 0x7FFF8000u)
            room = 0x7FFF8000u;
        room -= room % RD_UNIT;
        if (room < RD_MIN)
            break; /* the rest would break the server's buffer rule */
        DWORD n = 0;
        HRESULT hr = dcsim_DsBackupRead(d->hbc, (char *)buf + got, (DWORD)room, &n);
        if (hr == ERROR_HANDLE_EOF || (hr == S_OK && n == 0)) {
            d->eof = 1;
            break;
        }
        if (hr != S_OK)
            return fail(s, "DsBackupRead", d->file, hr);
        if (n > room || d->pos + n > d->size)
            return src_fail(s, SRC_E_STREAM, "DsBackupRead", d->file, "server "
                            "delivered %u bytes at %llu, more than the %llu announced",
                            (unsigned)n, (unsigned long long)d->pos,
                            (unsigned long long)d->size);
        got += n;
        d->pos += n;
    }
    if (d->eof && d->pos != d->size)
        return src_fail(s, SRC_E_STREAM, "DsBackupRead", d->file, "stream ended "
                        "after %llu of %llu bytes", (unsigned long long)d->pos,
                        (unsigned long long)d->size);
    *got_out = got;
    return got == 0 && d->eof ? SRC_EOF : SRC_OK;
}

static src_status d_close(struct source *s)
{
    src_clear_error(s);
    HRESULT hr = dcsim_DsBackupClose(D(s)->hbc);
    D(s)->file_open = 0;
    if (hr != S_OK)
        return fail(s, "DsBackupClose", D(s)->file, hr);
    return SRC_OK;
}

static src_status d_truncate(struct source *s)
{
    src_clear_error(s);
    HRESULT hr = dcsim_DsBackupTruncateLogs(D(s)->hbc);
    if (hr != S_OK)
        return fail(s, "DsBackupTruncateLogs", srv_name(s), hr);
    return SRC_OK;
}

static src_status d_end(struct source *s)
{
    src_clear_error(s);
    if (!D(s)->hbc)
        return SRC_OK;
    HRESULT hr = dcsim_DsBackupEnd(D(s)->hbc);
    D(s)->hbc = NULL;
    if (hr != S_OK)
        return fail(s, "DsBackupEnd", srv_name(s), hr);
    return SRC_OK;
}

static src_status d_restore_prepare(struct source *s, const uint8_t *token, size_t len)
{
    src_clear_error(s);
    if (D(s)->rhbc)
        return src_fail(s, SRC_E_SEQUENCE, "DsRestorePrepare", srv_name(s),
                        "a restore is already prepared on this source");
    if (len > UINT32_MAX)
        return src_fail(s, SRC_E_ARG, "DsRestorePrepare", srv_name(s),
                        "token of %zu bytes", len);
    HRESULT hr = dcsim_DsRestorePrepare(D(s)->server, RESTORE_TYPE_CATCHUP, token,
                                        (DWORD)len, &D(s)->rhbc);
    if (hr != S_OK) {
        D(s)->rhbc = NULL;
        return fail(s, "DsRestorePrepare", srv_name(s), hr);
    }
    return SRC_OK;
}

static src_status d_restore_locations(struct source *s, struct src_name_list *out)
{
    char *buf = NULL;
    DWORD cb = 0;
    src_clear_error(s);
    out->v = NULL;
    out->n = 0;
    HRESULT hr = dcsim_DsRestoreGetDatabaseLocations(D(s)->rhbc, &buf, &cb);
    if (hr != S_OK)
        return fail(s, "DsRestoreGetDatabaseLocations", srv_name(s), hr);
    return take_list(s, "DsRestoreGetDatabaseLocations", buf, cb, out);
}

static src_status d_restore_register(struct source *s, const char *checkpoint_dir,
                                     const char *log_dir, const struct src_rstmap *map,
                                     size_t n_map, const char *backup_log_dir,
                                     uint32_t gen_low, uint32_t gen_high)
{
    src_clear_error(s);
    if (n_map > 16)
        return src_fail(s, SRC_E_ARG, "DsRestoreRegister", srv_name(s),
                        "%zu map entries (at most 16)", n_map);
    struct dcsim_rstmap m[16];
    for (size_t i = 0; i < n_map; i++) {
        m[i].database_name = map[i].database_name;
        m[i].new_database_name = map[i].new_database_name;
    }
    HRESULT hr = dcsim_DsRestoreRegister(D(s)->rhbc, checkpoint_dir, log_dir,
                                         n_map ? m : NULL, (LONG)n_map, backup_log_dir,
                                         gen_low, gen_high);
    if (hr != S_OK)
        return fail(s, "DsRestoreRegister", srv_name(s), hr);
    return SRC_OK;
}

static src_status d_restore_complete(struct source *s, int32_t code)
{
    src_clear_error(s);
    HRESULT hr = dcsim_DsRestoreRegisterComplete(D(s)->rhbc, code);
    if (hr != S_OK)
        return fail(s, "DsRestoreRegisterComplete", srv_name(s), hr);
    return SRC_OK;
}

static src_status d_restore_end(struct source *s)
{
    src_clear_error(s);
    if (!D(s)->rhbc)
        return SRC_OK;
    HRESULT hr = dcsim_DsRestoreEnd(D(s)->rhbc);
    D(s)->rhbc = NULL;
    if (hr != S_OK)
        return fail(s, "DsRestoreEnd", srv_name(s), hr);
    return SRC_OK;
}

/* The folder of the DC this source is bound to: the simulator maps the UNC
 * share root of the server (or of "this machine" for the empty name). */
static src_status dc_dir(struct source *s, const char *call, char **dir_out)
{
    char unc[128];
    snprintf(unc, sizeof unc, "\\\\%s\\C$\\Windows\\NTDS", D(s)->server ? D(s)->server : "");
    if (D(s)->server && D(s)->server[0] == '\\' && D(s)->server[1] == '\\')
        snprintf(unc, sizeof unc, "%s\\C$\\Windows\\NTDS", D(s)->server);
    if (dcsim_unc_to_local(unc, dir_out) != DCSIM_OK)
        return src_fail(s, SRC_E_CONNECT, call, srv_name(s), "%s", dcsim_last_error());
    return SRC_OK;
}

/* identity, log_floor and tombstone_lifetime read the DC's state file. */
static src_status dc_info(struct source *s, const char *call, struct dcsim_info *in)
{
    char *dir = NULL;
    src_clear_error(s);
    src_status st = dc_dir(s, call, &dir);
    if (st)
        return st;
    dcsim_status ds = dcsim_info_read(dir, in);
    free(dir);
    if (ds != DCSIM_OK)
        return src_fail(s, SRC_E_CONNECT, call, srv_name(s), "%s", dcsim_last_error());
    return SRC_OK;
}

static src_status d_log_floor(struct source *s, uint32_t *gen_out)
{
    struct dcsim_info in;
    *gen_out = 0;
    src_status st = dc_info(s, "log_floor", &in);
    if (st == SRC_OK)
        *gen_out = in.backup_gen_hold;
    return st;
}

static src_status d_tombstone_lifetime(struct source *s, uint32_t *days_out)
{
    struct dcsim_info in;
    *days_out = 0;
    src_status st = dc_info(s, "tombstone_lifetime", &in);
    if (st == SRC_OK)
        *days_out = in.tsl_days;
    return st;
}

static src_status d_identity(struct source *s, char *server, size_t server_cap, char *domain,
                             size_t domain_cap)
{
    struct dcsim_info in;
    src_status st = dc_info(s, "identity", &in);
    if (st)
        return st;
    if (server && server_cap)
        snprintf(server, server_cap, "%s", in.server);
    if (domain && domain_cap)
        snprintf(domain, domain_cap, "%s", in.domain);
    return SRC_OK;
}

static void d_destroy(struct source *s)
{
    d_end(s);
    d_restore_end(s);
    free(D(s)->server);
    free(s->impl);
    free(s);
}

static const struct src_ops dcsim_ops = {
    .name = "dcsim",
    .is_online = d_is_online,
    .prepare = d_prepare,
    .list_databases = d_list_databases,
    .list_logs = d_list_logs,
    .open = d_open,
    .read = d_read,
    .close = d_close,
    .truncate_logs = d_truncate,
    .end = d_end,
    .restore_prepare = d_restore_prepare,
    .restore_locations = d_restore_locations,
    .restore_register = d_restore_register,
    .restore_complete = d_restore_complete,
    .restore_end = d_restore_end,
    .destroy = d_destroy,
    .identity = d_identity,
    .log_floor = d_log_floor,
    .tombstone_lifetime = d_tombstone_lifetime,
};

src_status src_dcsim_open(const struct src_config *cfg, struct source **out)
{
    *out = NULL;
    struct source *s = calloc(1, sizeof *s);
    struct dcs *d = calloc(1, sizeof *d);
    if (!s || !d) {
        free(s);
        free(d);
        return SRC_E_NOMEM;
    }
    s->ops = &dcsim_ops;
    s->impl = d;
    s->read_hint = cfg && cfg->read_hint ? cfg->read_hint : 1048576u;
    s->simulated = true;
    if (cfg && cfg->server && *cfg->server && !(d->server = strdup(cfg->server))) {
        d_destroy(s);
        return SRC_E_NOMEM;
    }
    if (cfg && cfg->user) {
        HRESULT hr = dcsim_DsSetAuthIdentity(cfg->user, cfg->domain, cfg->password);
        if (hr != S_OK) {
            d_destroy(s);
            return SRC_E_ARG;
        }
    }
    *out = s;
    return SRC_OK;
}
