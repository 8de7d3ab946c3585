/*
 * restore.c - DsRestorePrepare .. DsRestoreEnd (DSBACKUP.md §4, R21-R26).
 *
 * Owns: expiry-token checking, the restore locations, registration (stored in
 * dcsim.ini as restore_state registered -> complete | failed, which
 * dcsim_start honours: R26) and the restore context.
 * Does not own: copying files into place (the restore driver does that).
 */
#include "api_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

static HRESULT token_check(const uint8_t *p, DWORD cb, const struct dc_state *st)
{
    static const char call[] = "DsRestorePrepare";
    if (cb < TOK_FIXED + 8 || memcmp(p, TOK_MAGIC, 8) != 0 ||
        le_get32(p + 0x08) != 1 || le_get32(p + 0x0C) != cb)
        return dc_hfail(hrUnknownExpiryTokenFormat, "%s(%s): expiry token of %" PRIu32
                        " bytes has a wrong magic, version or length", call,
                        st->server, cb);
    size_t nl = le_get16(p + 0x28);
    if (TOK_FIXED + nl + 8 != cb ||
        le_get64(p + TOK_FIXED + nl) != XXH3_64bits(p, TOK_FIXED + nl))
        return dc_hfail(hrUnknownExpiryTokenFormat, "%s(%s): expiry token checksum "
                        "or name length is wrong", call, st->server);
    int64_t created = (int64_t)le_get64(p + 0x10), now = dc_now();
    uint32_t tsl = le_get32(p + 0x18);
    if (now - created > (int64_t)tsl * 86400)
        return dc_hfail(hrContentsExpired, "%s(%s): the backup is %" PRId64 " days "
                        "old, older than the tombstone lifetime of %" PRIu32 " days",
                        call, st->server, (now - created) / 86400, tsl);
    return S_OK;
}

HRESULT dcsim_DsRestorePrepare(const char *server, ULONG rtFlag, const void *token,
                               DWORD cb_token, HBC *hbc_out)
{
    static const char call[] = "DsRestorePrepare";
    char dir[PATH_MAX];
    struct dc_state st;
    dc_clear_error();
    if (!hbc_out)
        return dc_hfail(ERROR_INVALID_PARAMETER, "%s: phbc is NULL", call);
    *hbc_out = NULL;
    HRESULT hr = api_resolve(server, call, dir);
    if (hr != S_OK)
        return hr;
    if (st_load(dir, &st) != DCSIM_OK)
        return dc_hfail(hrCouldNotConnect, "%s: %s", call, dcsim_last_error());
    hr = api_priv_check(1, call, &st);
    if (hr != S_OK)
        return hr;
    if (st.online)
        return dc_hfail(hrError, "%s(%s): the directory service is running; restore "
                        "only offline, as in DSRM (dcsim stop)", call, st.server); /* R21 */
    if (rtFlag & ~RESTORE_TYPE_CATCHUP)
        return dc_hfail(ERROR_INVALID_PARAMETER, "%s: restore type 0x%" PRIX32 " not "
                        "supported (authoritative/online restores are not)", call,
                        rtFlag);
    if (token) {
        hr = token_check(token, cb_token, &st);
        if (hr != S_OK)
            return hr;
    }
    struct ctx *c = api_ctx_new(CTX_RESTORE);
    if (!c)
        return dc_hfail(ERROR_NOT_ENOUGH_MEMORY, "%s: no memory", call);
    snprintf(c->dir, sizeof c->dir, "%s", dir);
    c->st = st;
    c->restricted = token == NULL;
    api_unc_prefix(&st, c->prefix, sizeof c->prefix);
    *hbc_out = (HBC)c->id;
    return S_OK;
}

HRESULT dcsim_DsRestoreGetDatabaseLocations(HBC hbc, char **list_out, DWORD *cb_out)
{
    static const char call[] = "DsRestoreGetDatabaseLocations";
    struct ctx *c = NULL;
    dc_clear_error();
    HRESULT hr = api_enter(hbc, CTX_RESTORE, call, &c);
    if (hr != S_OK)
        return hr;
    if (!list_out || !cb_out)
        hr = dc_hfail(ERROR_INVALID_PARAMETER, "%s: NULL out-pointer", call);
    else if (*list_out)
        hr = dc_hfail(ERROR_INVALID_PARAMETER, "%s: *list must be NULL on entry", call); /* R7 */
    else {
        char db[PATH_MAX];
        snprintf(db, sizeof db, "%s\\ntds.dit", c->prefix);
        const char *names[3] = {c->prefix, c->prefix, db};
        const unsigned char bfts[3] = {BFT_CHECKPOINT_DIR, BFT_LOG_DIR, BFT_NTDS_DATABASE};
        hr = api_make_list(call, bfts, names, 3, list_out, cb_out);
    }
    api_leave(c);
    return hr;
}

/* Resolves a UNC or local path to a canonical local path (realpath). */
static int local_real(const char *p, char *out)
{
    char *loc = NULL;
    const char *use = p;
    if (!strncmp(p, "\\\\", 2)) {
        if (dcsim_unc_to_local(p, &loc) != DCSIM_OK)
            return -1;
        use = loc;
    }
    int rc = realpath(use, out) ? 0 : -1;
    free(loc);
    return rc;
}

HRESULT dcsim_DsRestoreRegister(HBC hbc, const char *checkpoint_path,
                                const char *log_path, const struct dcsim_rstmap *map,
                                LONG n_map, const char *backup_log_path,
                                ULONG gen_low, ULONG gen_high)
{
    static const char call[] = "DsRestoreRegister";
    struct ctx *c = NULL;
    struct dc_state st;
    char dcdir[PATH_MAX], a[PATH_MAX], bk[PATH_MAX];
    int lk = -1;
    dc_clear_error();
    HRESULT hr = api_enter(hbc, CTX_RESTORE, call, &c);
    if (hr != S_OK)
        return hr;
    if (c->restricted) {
        hr = dc_hfail(hrMissingExpiryToken, "%s(%s): the context was prepared without "
                      "an expiry token", call, c->st.server); /* R22 */
        goto out;
    }
    if (!checkpoint_path || !log_path || !backup_log_path || !map || n_map < 1) {
        hr = dc_hfail(ERROR_INVALID_PARAMETER, "%s: checkpoint, log and backup-log "
                      "paths and at least one map entry are required", call); /* R24 */
        goto out;
    }
    if (gen_low == 0 || gen_low > gen_high) {
        hr = dc_hfail(ERROR_INVALID_PARAMETER, "%s: generation range 0x%" PRIX32
                      "..0x%" PRIX32 " is empty or inverted", call, gen_low, gen_high); /* R24 */
        goto out;
    }
    if (!realpath(c->dir, dcdir)) {
        hr = dc_hfail(hrError, "%s: %s: %s", call, c->dir, strerror(errno));
        goto out;
    }
    const char *paths[2] = {checkpoint_path, log_path};
    for (int i = 0; i < 2; i++)
        if (local_real(paths[i], a) != 0 || strcmp(a, dcdir) != 0) {
            hr = dc_hfail(ERROR_INVALID_PARAMETER, "%s: %s is not the location "
                          "DsRestoreGetDatabaseLocations returned (%s)", call,
                          paths[i], c->prefix);
            goto out;
        }
    for (LONG i = 0; i < n_map; i++) {
        char want[PATH_MAX];
        snprintf(want, sizeof want, "%s\\ntds.dit", c->prefix);
        const char *nn = map[i].new_database_name;
        char *loc = NULL;
        int ok = map[i].database_name && nn &&
                 (!strcasecmp(nn, want) ||
                  (dcsim_unc_to_local(want, &loc) == DCSIM_OK && !strcmp(nn, loc)));
        free(loc);
        if (!ok) {
            hr = dc_hfail(ERROR_INVALID_PARAMETER, "%s: map entry %d: destination %s "
                          "is not %s", call, (int)i, nn ? nn : "(null)", want);
            goto out;
        }
    }
    struct stat sb;
    if (local_real(backup_log_path, bk) != 0 || stat(bk, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        hr = dc_hfail(ERROR_INVALID_PARAMETER, "%s: backup log path %s is not a "
                      "folder", call, backup_log_path);
        goto out;
    }
    if (c->registered) {
        hr = dc_hfail(hrRestoreInProgress, "%s: already registered on this context", /* R25 */
                      call);
        goto out;
    }
    if (st_lock(c->dir, &lk) != DCSIM_OK || st_load(c->dir, &st) != DCSIM_OK) {
        hr = dc_hfail(hrError, "%s: %s", call, dcsim_last_error());
        goto out;
    }
    if (!strcmp(st.restore_state, "registered")) {
        hr = dc_hfail(hrRestoreInProgress, "%s(%s): a restore is registered and not "
                      "completed", call, st.server); /* R25 */
        goto out;
    }
    snprintf(st.restore_state, sizeof st.restore_state, "registered");
    st.restore_gen_low = gen_low;
    st.restore_gen_high = gen_high;
    /* "" is the DC's own folder: the state file then holds no path, so a DC
     * restored through the Windows DLL under Wine starts with the Linux tool. */
    snprintf(st.restore_log_dir, sizeof st.restore_log_dir, "%s", strcmp(bk, dcdir) ? bk : "");
    if (st_save(c->dir, &st) != DCSIM_OK) {
        hr = dc_hfail(hrError, "%s: %s", call, dcsim_last_error());
        goto out;
    }
    c->registered = 1;
out:
    st_unlock(lk);
    api_leave(c);
    return hr;
}

HRESULT dcsim_DsRestoreRegisterComplete(HBC hbc, HRESULT restore_state)
{
    static const char call[] = "DsRestoreRegisterComplete";
    struct ctx *c = NULL;
    struct dc_state st;
    int lk = -1;
    dc_clear_error();
    HRESULT hr = api_enter(hbc, CTX_RESTORE, call, &c);
    if (hr != S_OK)
        return hr;
    if (c->restricted) {
        hr = dc_hfail(hrMissingExpiryToken, "%s: the context has no expiry token", /* R22 */
                      call);
        goto out;
    }
    if (!c->registered || c->completed) {
        hr = dc_hfail(hrInvalidBackupSequence, "%s: no registered restore on this "
                      "context", call);
        goto out;
    }
    if (st_lock(c->dir, &lk) != DCSIM_OK || st_load(c->dir, &st) != DCSIM_OK) {
        hr = dc_hfail(hrError, "%s: %s", call, dcsim_last_error());
        goto out;
    }
    snprintf(st.restore_state, sizeof st.restore_state, "%s",
             restore_state == S_OK ? "complete" : "failed");
    if (st_save(c->dir, &st) != DCSIM_OK) {
        hr = dc_hfail(hrError, "%s: %s", call, dcsim_last_error());
        goto out;
    }
    c->completed = 1;
out:
    st_unlock(lk);
    api_leave(c);
    return hr;
}

HRESULT dcsim_DsRestoreEnd(HBC hbc)
{
    struct ctx *c = NULL;
    dc_clear_error();
    HRESULT hr = api_enter(hbc, CTX_RESTORE, "DsRestoreEnd", &c);
    if (hr != S_OK)
        return hr;
    api_ctx_free(c);
    return S_OK;
}
