/*
 * dsb.c - the DsBackup adapter (dsb.h), written once over the table of Ds*
 * entry points (dsapi.h), whoever filled it.
 */
#include "dsb.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dsb {
    const struct ds_api *api;
    void *ctx;          /* the table's, released at close */
    char *server;       /* NULL = this machine */
    bool simulated;
    bool as_user;       /* the calls run as an identity given (DsSetAuthIdentity) */
    uint32_t read_hint;
    void *hbc;          /* backup context */
    void *rhbc;         /* restore context */
    char file[1024];    /* the open file, for messages */
    uint64_t size, pos;
    bool eof;
    struct dsb_error err;
};

const char *dsb_strerror(dsb_status st)
{
    switch (st) {
    case DSB_OK: return "success";
    case DSB_EOF: return "end of file";
    case DSB_E_ARG: return "invalid argument";
    case DSB_E_NOMEM: return "out of memory";
    case DSB_E_CONNECT: return "cannot connect to the directory server";
    case DSB_E_OFFLINE: return "directory service offline";
    case DSB_E_PRIVILEGE: return "backup/restore privilege refused";
    case DSB_E_BUSY: return "another backup or restore is in progress";
    case DSB_E_SEQUENCE: return "call out of order or session cancelled";
    case DSB_E_NOTFOUND: return "file no longer exists on the server";
    case DSB_E_CORRUPT: return "server-side page verification failed";
    case DSB_E_TOKEN: return "expiry token missing, unreadable or expired";
    case DSB_E_STREAM: return "stream shorter than announced";
    case DSB_E_SERVER: return "directory server error";
    }
    return "unknown status";
}

/* ------------------------------------------------------------ errors */

/* What a server's code means to the drivers (docs/DSBACKUP.md §0). */
static dsb_status status_of(int32_t hr)
{
    switch (ds_result_unwrap(hr)) {
    case DS_S_OK: return DSB_OK;
    case DS_ERROR_HANDLE_EOF: return DSB_EOF;
    case DS_ERROR_ACCESS_DENIED: case DS_hrAccessDenied: case DS_hrFileAccessDenied:
        return DSB_E_PRIVILEGE;
    case DS_ERROR_NOT_ENOUGH_MEMORY: case DS_hrOutOfMemory: return DSB_E_NOMEM;
    case DS_ERROR_INVALID_PARAMETER: case DS_hrInvalidParam: return DSB_E_ARG;
    case DS_RPC_S_INVALID_BINDING: case DS_hrCouldNotConnect: return DSB_E_CONNECT;
    case DS_hrCommunicationError: case DS_hrBackupNotAllowedYet: return DSB_E_OFFLINE;
    case DS_hrBackupInProgress: case DS_hrRestoreInProgress: case DS_hrRestoreMapExists:
        return DSB_E_BUSY;
    case DS_hrInvalidBackupSequence: case DS_hrNoBackup: case DS_hrInvalidHandle:
    case DS_hrAlreadyOpen:
        return DSB_E_SEQUENCE;
    case DS_hrFileNotFound: case DS_hrLogFileNotFound: case DS_hrMissingLogFile:
        return DSB_E_NOTFOUND;
    case DS_hrReadVerifyFailure: return DSB_E_CORRUPT;
    case DS_hrMissingExpiryToken: case DS_hrUnknownExpiryTokenFormat: case DS_hrContentsExpired:
        return DSB_E_TOKEN;
    default: return DSB_E_SERVER;
    }
}

static void clear_error(struct dsb *s)
{
    memset(&s->err, 0, sizeof s->err);
}

static void set_error(struct dsb *s, int32_t hr, const char *call, const char *object,
                      const char *what)
{
    s->err.hr = hr;
    snprintf(s->err.call, sizeof s->err.call, "%s", call);
    snprintf(s->err.object, sizeof s->err.object, "%s", object ? object : "");
    bool obj = object && *object;
    snprintf(s->err.msg, sizeof s->err.msg, "%s%s%s%s: %s", call, obj ? "(" : "",
             obj ? object : "", obj ? ")" : "", what);
}

/* Records a failure of the adapter itself (no server code). */
static dsb_status fail(struct dsb *s, dsb_status st, const char *call, const char *object,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static dsb_status fail(struct dsb *s, dsb_status st, const char *call, const char *object,
                       const char *fmt, ...)
{
    char detail[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    set_error(s, 0, call, object, detail);
    return st;
}

/* Records a code the server returned, with its name and the table's text. */
static dsb_status fail_hr(struct dsb *s, const char *call, const char *object, int32_t hr)
{
    char text[768] = "", what[1024];
    if (s->api->explain)
        s->api->explain(s->ctx, hr, text, sizeof text);
    const char *name = ds_result_name(hr);
    snprintf(what, sizeof what, "%s%s0x%08X%s%s%s", name ? name : "", name ? " (" : "",
             (unsigned)(uint32_t)hr, name ? ")" : "", text[0] ? ": " : "", text);
    set_error(s, hr, call, object, what);
    dsb_status st = status_of(hr);
    return st == DSB_OK ? DSB_E_SERVER : st;
}

static const char *srv(const struct dsb *s)
{
    return s->server ? s->server : "(local)";
}

const struct dsb_error *dsb_last_error(const struct dsb *s) { return &s->err; }
const char *dsb_errmsg(const struct dsb *s) { return s->err.msg; }
bool dsb_simulated(const struct dsb *s) { return s->simulated; }
const char *dsb_server(const struct dsb *s) { return srv(s); }

/* ------------------------------------------------------------ name lists */

void dsb_names_free(struct dsb_name_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].name);
        free(l->v[i].local);
    }
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

dsb_status dsb_parse_list(const char *buf, size_t cb, struct dsb_name_list *out)
{
    out->v = NULL;
    out->n = 0;
    size_t cap = 0, at = 0;
    while (at < cb && buf[at] != 0) {
        const char *nul = memchr(buf + at, 0, cb - at);
        if (!nul) {
            dsb_names_free(out);
            return DSB_E_SERVER;
        }
        size_t len = (size_t)(nul - (buf + at));
        if (out->n == cap) {
            cap = cap ? cap * 2 : 8;
            struct dsb_name *nv = realloc(out->v, cap * sizeof *nv);
            if (!nv)
                goto nomem;
            out->v = nv;
        }
        struct dsb_name *e = &out->v[out->n];
        e->bft = (uint8_t)buf[at];
        e->local = NULL;
        if (!(e->name = malloc(len)))
            goto nomem;
        memcpy(e->name, buf + at + 1, len - 1);
        e->name[len - 1] = 0;
        out->n++;
        at += len + 1;
    }
    return DSB_OK;
nomem:
    dsb_names_free(out);
    return DSB_E_NOMEM;
}

/* One of the calls that return a name list (§2): the server's buffer is
 * parsed and freed, and each name gets its local path when the table can
 * tell. */
static dsb_status get_list(struct dsb *s, const char *call,
                           int32_t (*fn)(void *ctx, void *hbc, char **list, uint32_t *cb),
                           void *hbc, struct dsb_name_list *out)
{
    char *buf = NULL;
    uint32_t cb = 0;
    clear_error(s);
    out->v = NULL;
    out->n = 0;
    int32_t hr = fn(s->ctx, hbc, &buf, &cb);
    if (hr != DS_S_OK) {
        if (buf)
            s->api->backup_free(s->ctx, buf);
        return fail_hr(s, call, srv(s), hr);
    }
    dsb_status st = dsb_parse_list(buf, cb, out);
    s->api->backup_free(s->ctx, buf);
    if (st == DSB_E_NOMEM)
        return fail(s, st, call, srv(s), "no memory for the name list");
    if (st != DSB_OK)
        return fail(s, st, call, srv(s), "malformed name list of %u bytes (an entry runs past "
                    "the end)", (unsigned)cb);
    for (size_t i = 0; s->api->local_path && i < out->n; i++) {
        char *loc = NULL;
        if (s->api->local_path(s->ctx, out->v[i].name, &loc) == 0)
            out->v[i].local = loc;
    }
    return DSB_OK;
}

/* ------------------------------------------------------------ open */

dsb_status dsb_open(const struct ds_api *api, void *ctx, const char *server,
                    const struct dsb_identity *id, bool simulated, uint32_t read_hint,
                    struct dsb **out, struct dsb_error *err_out)
{
    *out = NULL;
    struct dsb *s = calloc(1, sizeof *s);
    if (!s) {
        if (api->release)
            api->release(ctx);
        return DSB_E_NOMEM;
    }
    s->api = api;
    s->ctx = ctx;
    s->simulated = simulated;
    s->read_hint = read_hint ? read_hint : 1048576u;
    if (server && *server && !(s->server = strdup(server))) {
        dsb_close(s);
        return DSB_E_NOMEM;
    }
    if (id && id->user) {
        int32_t hr = api->set_auth_identity(ctx, id->user, id->domain ? id->domain : "",
                                            id->password ? id->password : "");
        if (hr != DS_S_OK) {
            dsb_status st = fail_hr(s, "DsSetAuthIdentity", id->user, hr);
            if (err_out)
                *err_out = s->err;
            dsb_close(s);
            return st;
        }
        s->as_user = true;
    }
    *out = s;
    return DSB_OK;
}

bool dsb_as_user(const struct dsb *s) { return s->as_user; }

void dsb_close(struct dsb *s)
{
    if (!s)
        return;
    dsb_end(s);
    dsb_restore_end(s);
    if (s->api->release)
        s->api->release(s->ctx);
    free(s->server);
    free(s);
}

/* ------------------------------------------------------------ backup */

dsb_status dsb_is_online(struct dsb *s, int *online_out)
{
    int on = 0;
    clear_error(s);
    int32_t hr = s->api->is_online(s->ctx, s->server, &on);
    if (hr != DS_S_OK)
        return fail_hr(s, "DsIsNTDSOnline", srv(s), hr);
    *online_out = on != 0;
    return DSB_OK;
}

dsb_status dsb_prepare(struct dsb *s, uint8_t **token_out, size_t *len_out)
{
    void *tok = NULL;
    uint32_t cb = 0;
    clear_error(s);
    *token_out = NULL;
    *len_out = 0;
    if (s->hbc)
        return fail(s, DSB_E_SEQUENCE, "DsBackupPrepare", srv(s),
                    "a backup is already prepared on this server");
    int32_t hr = s->api->backup_prepare(s->ctx, s->server, 0, DS_BACKUP_TYPE_FULL, &tok, &cb,
                                        &s->hbc);
    if (hr != DS_S_OK) {
        s->hbc = NULL;
        if (tok)
            s->api->backup_free(s->ctx, tok);
        return fail_hr(s, "DsBackupPrepare", srv(s), hr);
    }
    uint8_t *copy = malloc(cb ? cb : 1);
    if (copy && cb)
        memcpy(copy, tok, cb);
    s->api->backup_free(s->ctx, tok);
    if (!copy)
        return fail(s, DSB_E_NOMEM, "DsBackupPrepare", srv(s),
                    "no memory for the %u-byte expiry token", (unsigned)cb);
    *token_out = copy;
    *len_out = cb;
    return DSB_OK;
}

dsb_status dsb_list_databases(struct dsb *s, struct dsb_name_list *out)
{
    return get_list(s, "DsBackupGetDatabaseNames", s->api->backup_database_names, s->hbc, out);
}

dsb_status dsb_list_logs(struct dsb *s, struct dsb_name_list *out)
{
    return get_list(s, "DsBackupGetBackupLogs", s->api->backup_logs, s->hbc, out);
}

dsb_status dsb_open_file(struct dsb *s, const struct dsb_name *n, uint64_t *size_out)
{
    int64_t size = 0;
    clear_error(s);
    int32_t hr = s->api->backup_open_file(s->ctx, s->hbc, n->name, s->read_hint, &size);
    if (hr != DS_S_OK)
        return fail_hr(s, "DsBackupOpenFile", n->name, hr);
    if (size < 0)
        return fail(s, DSB_E_SERVER, "DsBackupOpenFile", n->name, "negative stream size %lld",
                    (long long)size);
    snprintf(s->file, sizeof s->file, "%s", n->name);
    s->size = (uint64_t)size;
    s->pos = 0;
    s->eof = false;
    *size_out = s->size;
    return DSB_OK;
}

#define READ_UNIT 32768u

dsb_status dsb_read(struct dsb *s, void *buf, size_t cap, size_t *got_out)
{
    size_t got = 0;
    clear_error(s);
    *got_out = 0;
    if (cap < DSB_READ_MIN)
        return fail(s, DSB_E_ARG, "DsBackupRead", s->file, "buffer of %llu bytes is below the "
                    "%u-byte minimum", (unsigned long long)cap, DSB_READ_MIN);
    while (!s->eof) {
        size_t room = cap - got;
        if (room > 0x7FFF8000u)
            room = 0x7FFF8000u;
        room -= room % READ_UNIT;
        if (room < DSB_READ_MIN)
            break; /* the rest would break the server's buffer rule */
        uint32_t n = 0;
        int32_t hr = s->api->backup_read(s->ctx, s->hbc, (char *)buf + got, (uint32_t)room, &n);
        /* The end shows as ERROR_HANDLE_EOF, maybe wrapped as an HRESULT, or
         * as a 0-byte success; all are accepted (§1). */
        if (ds_result_unwrap(hr) == DS_ERROR_HANDLE_EOF || (hr == DS_S_OK && n == 0)) {
            s->eof = true;
            break;
        }
        if (hr != DS_S_OK)
            return fail_hr(s, "DsBackupRead", s->file, hr);
        if (n > room || s->pos + n > s->size)
            return fail(s, DSB_E_STREAM, "DsBackupRead", s->file, "server delivered %u bytes at "
                        "%llu, more than the %llu announced", (unsigned)n,
                        (unsigned long long)s->pos, (unsigned long long)s->size);
        got += n;
        s->pos += n;
    }
    if (s->eof && s->pos != s->size)
        return fail(s, DSB_E_STREAM, "DsBackupRead", s->file, "stream ended after %llu of %llu "
                    "bytes", (unsigned long long)s->pos, (unsigned long long)s->size);
    *got_out = got;
    return got == 0 && s->eof ? DSB_EOF : DSB_OK;
}

dsb_status dsb_close_file(struct dsb *s)
{
    clear_error(s);
    int32_t hr = s->api->backup_close(s->ctx, s->hbc);
    if (hr != DS_S_OK)
        return fail_hr(s, "DsBackupClose", s->file, hr);
    return DSB_OK;
}

dsb_status dsb_truncate_logs(struct dsb *s)
{
    clear_error(s);
    int32_t hr = s->api->backup_truncate_logs(s->ctx, s->hbc);
    if (hr != DS_S_OK)
        return fail_hr(s, "DsBackupTruncateLogs", srv(s), hr);
    return DSB_OK;
}

dsb_status dsb_end(struct dsb *s)
{
    clear_error(s);
    if (!s->hbc)
        return DSB_OK;
    int32_t hr = s->api->backup_end(s->ctx, s->hbc);
    s->hbc = NULL;
    if (hr != DS_S_OK)
        return fail_hr(s, "DsBackupEnd", srv(s), hr);
    return DSB_OK;
}

/* ------------------------------------------------------------ restore */

dsb_status dsb_restore_prepare(struct dsb *s, const uint8_t *token, size_t len)
{
    clear_error(s);
    if (s->rhbc)
        return fail(s, DSB_E_SEQUENCE, "DsRestorePrepare", srv(s),
                    "a restore is already prepared on this server");
    if (len > UINT32_MAX)
        return fail(s, DSB_E_ARG, "DsRestorePrepare", srv(s), "token of %llu bytes",
                    (unsigned long long)len);
    int32_t hr = s->api->restore_prepare(s->ctx, s->server, DS_RESTORE_TYPE_CATCHUP, token,
                                         (uint32_t)len, &s->rhbc);
    if (hr != DS_S_OK) {
        s->rhbc = NULL;
        return fail_hr(s, "DsRestorePrepare", srv(s), hr);
    }
    return DSB_OK;
}

dsb_status dsb_restore_locations(struct dsb *s, struct dsb_name_list *out)
{
    return get_list(s, "DsRestoreGetDatabaseLocations", s->api->restore_locations, s->rhbc, out);
}

/* The restore map has one entry per database; a DC has one (§4). */
#define MAX_MAP 16

dsb_status dsb_restore_register(struct dsb *s, const char *checkpoint_dir, const char *log_dir,
                                const struct ds_rstmap *map, size_t n_map,
                                const char *backup_log_dir, uint32_t gen_low, uint32_t gen_high)
{
    clear_error(s);
    if (n_map > MAX_MAP)
        return fail(s, DSB_E_ARG, "DsRestoreRegister", srv(s), "%llu map entries (at most %d)",
                    (unsigned long long)n_map, MAX_MAP);
    int32_t hr = s->api->restore_register(s->ctx, s->rhbc, checkpoint_dir, log_dir,
                                          n_map ? map : NULL, (int32_t)n_map, backup_log_dir,
                                          gen_low, gen_high);
    if (hr != DS_S_OK)
        return fail_hr(s, "DsRestoreRegister", srv(s), hr);
    return DSB_OK;
}

dsb_status dsb_restore_complete(struct dsb *s, int32_t code)
{
    clear_error(s);
    int32_t hr = s->api->restore_complete(s->ctx, s->rhbc, code);
    if (hr != DS_S_OK)
        return fail_hr(s, "DsRestoreRegisterComplete", srv(s), hr);
    return DSB_OK;
}

dsb_status dsb_restore_end(struct dsb *s)
{
    clear_error(s);
    if (!s->rhbc)
        return DSB_OK;
    int32_t hr = s->api->restore_end(s->ctx, s->rhbc);
    s->rhbc = NULL;
    if (hr != DS_S_OK)
        return fail_hr(s, "DsRestoreEnd", srv(s), hr);
    return DSB_OK;
}

/* ------------------------------------------------------------ facts */

dsb_status dsb_identity(struct dsb *s, char *server, size_t server_cap, char *domain,
                        size_t domain_cap)
{
    clear_error(s);
    if (!s->api->identity)
        return fail(s, DSB_E_SERVER, "identity", srv(s), "%s cannot name the server",
                    s->api->name);
    if (s->api->identity(s->ctx, s->server, server, server_cap, domain, domain_cap) != 0) {
        char text[768] = "";
        if (s->api->explain)
            s->api->explain(s->ctx, 0, text, sizeof text);
        return fail(s, DSB_E_CONNECT, "identity", srv(s), "%s", text);
    }
    return DSB_OK;
}

uint32_t dsb_log_floor(struct dsb *s)
{
    return s->api->log_floor ? s->api->log_floor(s->ctx, s->server) : 0;
}

uint32_t dsb_tombstone_days(struct dsb *s)
{
    return s->api->tombstone_days ? s->api->tombstone_days(s->ctx, s->server) : 0;
}
