/*
 * api.c - what every Ds* call of the simulator shares (docs/DSBACKUP.md,
 * cited as §N and, for the rules of its §8, R<n>).
 *
 * Owns: server-name binding, the auth identity, privilege mode and check,
 * fault switches, the clock, R20 buffer accounting, the context registry
 * (handles are never-reused serial numbers, so stale or forged handles are
 * recognised without being dereferenced, R6), name lists, and the calls that
 * belong to no context (DsIsNTDSOnline, DsSetAuthIdentity,
 * DsSetCurrentBackupLog).
 * Does not own: the backup calls (backup.c), the restore calls (restore.c),
 * file formats (state.c, page.c).
 *
 * Locking: g_mu guards the registry and switches; it is never held across
 * file I/O. A context being used is marked busy (R27). The DC's own state
 * (online flag, backup hold, generations) lives in dcsim.ini under flock, so
 * a churn process and a backup process see one truth.
 */
#include "dcsim_int.h"
#include "threads.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "api_int.h"

static port_mutex g_mu = PORT_MUTEX_INIT;

struct binding {
    char name[64];
    char dir[PATH_MAX];
};
#define MAX_BIND 16
static struct binding g_bind[MAX_BIND];
static int g_nbind;

static struct dcsim_faults g_faults;
static int g_faults_init;
static uint64_t g_read_calls, g_bytes_read;

static dcsim_priv_mode g_priv;
static int g_priv_init;

static dcsim_clock_fn g_clock;
static void *g_clock_ctx;

static int g_auth_set;
static char g_auth_user[128], g_auth_domain[128], g_auth_password[128];

struct buf_hdr {
    struct buf_hdr *next;
    void *user;
};
static struct buf_hdr *g_bufs;
static size_t g_nbufs, g_bad_frees;

static struct ctx *g_ctx;
static uintptr_t g_serial = 0x5C000;

/* ---- switches ----------------------------------------------------------- */

int64_t dc_now(void)
{
    port_mutex_lock(&g_mu);
    dcsim_clock_fn fn = g_clock;
    void *c = g_clock_ctx;
    port_mutex_unlock(&g_mu);
    if (fn)
        return fn(c);
    const char *e = getenv("DCSIM_NOW");
    if (e && *e)
        return strtoll(e, NULL, 0);
    return (int64_t)time(NULL);
}

void dcsim_clock_set(dcsim_clock_fn fn, void *ctx)
{
    port_mutex_lock(&g_mu);
    g_clock = fn;
    g_clock_ctx = ctx;
    port_mutex_unlock(&g_mu);
}

void dcsim_faults_clear(struct dcsim_faults *f)
{
    memset(f, 0, sizeof *f);
    f->fail_read_hr = hrReadVerifyFailure;
    f->bad_page = -1;
}

dcsim_status dcsim_faults_parse(const char *spec, struct dcsim_faults *f)
{
    dcsim_faults_clear(f);
    if (!spec)
        return DCSIM_OK;
    char buf[512];
    if (strlen(spec) >= sizeof buf)
        return dc_fail(DCSIM_E_ARG, "DCSIM_FAULTS: longer than %zu bytes", sizeof buf - 1);
    strcpy(buf, spec);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq)
            return dc_fail(DCSIM_E_ARG, "DCSIM_FAULTS: \"%s\" is not key=value", tok);
        *eq = 0;
        char *v = eq + 1, *end = NULL;
        errno = 0;
        unsigned long long u = strtoull(v, &end, 0);
        if (errno || end == v || (*end && !(strcmp(tok, "fail_read") == 0 && *end == ':')))
            return dc_fail(DCSIM_E_ARG, "DCSIM_FAULTS: %s: bad number \"%s\"", tok, v);
        if (!strcmp(tok, "fail_read")) {
            f->fail_read_n = (uint32_t)u;
            if (*end == ':') {
                char *e2 = NULL;
                unsigned long long hr = strtoull(end + 1, &e2, 0);
                if (e2 == end + 1 || *e2)
                    return dc_fail(DCSIM_E_ARG, "DCSIM_FAULTS: fail_read: bad HRESULT "
                                   "\"%s\"", end + 1);
                f->fail_read_hr = (HRESULT)(uint32_t)hr;
            }
        } else if (!strcmp(tok, "offline_after")) f->offline_after = u;
        else if (!strcmp(tok, "short_reads")) f->short_reads = (int)u;
        else if (!strcmp(tok, "slow_read_ms")) f->slow_read_ms = (uint32_t)u;
        else if (!strcmp(tok, "missing_log")) f->missing_log = (uint32_t)u;
        else if (!strcmp(tok, "bad_page")) f->bad_page = (int64_t)u;
        else if (!strcmp(tok, "eof_zero_read")) f->eof_zero_read = (int)u;
        else
            return dc_fail(DCSIM_E_ARG, "DCSIM_FAULTS: unknown switch \"%s\" (known: "
                           "fail_read, offline_after, short_reads, slow_read_ms, "
                           "missing_log, bad_page, eof_zero_read)", tok);
    }
    return DCSIM_OK;
}

void dcsim_faults_set(const struct dcsim_faults *f)
{
    port_mutex_lock(&g_mu);
    if (f)
        g_faults = *f;
    else
        dcsim_faults_clear(&g_faults);
    g_faults_init = 1;
    g_read_calls = g_bytes_read = 0;
    port_mutex_unlock(&g_mu);
}

/* Caller holds g_mu. A bad DCSIM_FAULTS is ignored rather than guessed at;
 * the CLI validates it with dcsim_faults_parse to report the error. */
static void faults_init_locked(void)
{
    if (g_faults_init)
        return;
    g_faults_init = 1;
    if (dcsim_faults_parse(getenv("DCSIM_FAULTS"), &g_faults) != DCSIM_OK)
        dcsim_faults_clear(&g_faults);
}

const struct dcsim_faults *dc_faults(void)
{
    port_mutex_lock(&g_mu);
    faults_init_locked();
    port_mutex_unlock(&g_mu);
    return &g_faults;
}

void dcsim_privilege_mode(dcsim_priv_mode mode)
{
    port_mutex_lock(&g_mu);
    g_priv = mode;
    g_priv_init = 1;
    port_mutex_unlock(&g_mu);
}

static dcsim_priv_mode priv_mode(void)
{
    port_mutex_lock(&g_mu);
    if (!g_priv_init) {
        const char *e = getenv("DCSIM_PRIVILEGE");
        g_priv = e && !strcmp(e, "deny") ? DCSIM_PRIV_DENY :
                 e && !strcmp(e, "skip") ? DCSIM_PRIV_SKIP : DCSIM_PRIV_CHECK;
        g_priv_init = 1;
    }
    dcsim_priv_mode m = g_priv;
    port_mutex_unlock(&g_mu);
    return m;
}

HRESULT api_priv_check(int restore, const char *call, const struct dc_state *st)
{
    dcsim_priv_mode m = priv_mode();
    const char *priv = restore ? "SeRestorePrivilege (CAP_DAC_OVERRIDE)" :
                                 "SeBackupPrivilege (CAP_DAC_READ_SEARCH)";
    if (m == DCSIM_PRIV_DENY)
        return dc_hfail(ERROR_ACCESS_DENIED, "%s: %s not held (denied by the "
                        "test switch)", call, priv);
    port_mutex_lock(&g_mu);
    int auth = g_auth_set;
    int match = auth && !strcasecmp(g_auth_user, st->admin_user) &&
                (!strcasecmp(g_auth_domain, st->admin_domain) ||
                 !strcasecmp(g_auth_domain, st->server)) &&
                !strcmp(g_auth_password, st->admin_password);
    char user[128];
    snprintf(user, sizeof user, "%s", g_auth_user);
    port_mutex_unlock(&g_mu);
    if (auth)
        return match ? S_OK :
               dc_hfail(ERROR_ACCESS_DENIED, "%s: logon failure for %s on %s "
                        "(DsSetAuthIdentity credentials not accepted)", call,
                        user, st->server);
    if (m == DCSIM_PRIV_SKIP)
        return S_OK;
    cap_t c = cap_get_proc();
    if (!c)
        return dc_hfail(ERROR_ACCESS_DENIED, "%s: cannot read capabilities (%s)",
                        call, strerror(errno));
    cap_flag_value_t v = CAP_CLEAR;
    int rc = cap_get_flag(c, restore ? CAP_DAC_OVERRIDE : CAP_DAC_READ_SEARCH,
                          CAP_EFFECTIVE, &v);
    cap_free(c);
    if (rc != 0 || v != CAP_SET)
        return dc_hfail(ERROR_ACCESS_DENIED, "%s: %s not in the caller's effective "
                        "set", call, priv);
    return S_OK;
}

HRESULT dcsim_DsSetAuthIdentity(const char *user, const char *domain,
                                const char *password)
{
    dc_clear_error();
    if (user && (!domain || !password))
        return dc_hfail(ERROR_INVALID_PARAMETER, "DsSetAuthIdentity: user %s "
                        "given without domain and password", user);
    if ((user && strlen(user) >= sizeof g_auth_user) ||
        (domain && strlen(domain) >= sizeof g_auth_domain) ||
        (password && strlen(password) >= sizeof g_auth_password))
        return dc_hfail(ERROR_INVALID_PARAMETER, "DsSetAuthIdentity: a string "
                        "exceeds 127 bytes");
    port_mutex_lock(&g_mu);
    memset(g_auth_password, 0, sizeof g_auth_password);
    g_auth_set = user != NULL;
    snprintf(g_auth_user, sizeof g_auth_user, "%s", user ? user : "");
    snprintf(g_auth_domain, sizeof g_auth_domain, "%s", domain ? domain : "");
    snprintf(g_auth_password, sizeof g_auth_password, "%s", password ? password : "");
    port_mutex_unlock(&g_mu);
    return S_OK;
}

/* ---- R20 buffers -------------------------------------------------------- */

void *dc_buf_alloc(size_t n)
{
    struct buf_hdr *h = malloc(sizeof *h);
    void *p = malloc(n ? n : 1);
    if (!h || !p) {
        free(h);
        free(p);
        return NULL;
    }
    h->user = p;
    port_mutex_lock(&g_mu);
    h->next = g_bufs;
    g_bufs = h;
    g_nbufs++;
    port_mutex_unlock(&g_mu);
    return p;
}

void dcsim_DsBackupFree(void *buf)
{
    if (!buf)
        return;
    port_mutex_lock(&g_mu);
    for (struct buf_hdr **pp = &g_bufs; *pp; pp = &(*pp)->next) {
        if ((*pp)->user == buf) {
            struct buf_hdr *h = *pp;
            *pp = h->next;
            g_nbufs--;
            port_mutex_unlock(&g_mu);
            free(h->user);
            free(h);
            return;
        }
    }
    g_bad_frees++;
    port_mutex_unlock(&g_mu);
}

size_t dcsim_buffers_outstanding(void)
{
    port_mutex_lock(&g_mu);
    size_t n = g_nbufs;
    port_mutex_unlock(&g_mu);
    return n;
}

size_t dcsim_buffers_bad_frees(void)
{
    port_mutex_lock(&g_mu);
    size_t n = g_bad_frees;
    port_mutex_unlock(&g_mu);
    return n;
}

/* ---- binding and server names ------------------------------------------ */

static const char *strip_bs(const char *s)
{
    return (s[0] == '\\' && s[1] == '\\') ? s + 2 : s;
}

dcsim_status dcsim_bind(const char *server, const char *dir)
{
    dc_clear_error();
    if (!server)
        return dc_fail(DCSIM_E_ARG, "dcsim_bind: server name is NULL");
    server = strip_bs(server);
    if (!*server || strlen(server) >= 64 || (dir && strlen(dir) >= PATH_MAX))
        return dc_fail(DCSIM_E_ARG, "dcsim_bind: bad server name or folder");
    port_mutex_lock(&g_mu);
    int i;
    for (i = 0; i < g_nbind; i++)
        if (!strcasecmp(g_bind[i].name, server))
            break;
    if (!dir) {
        if (i < g_nbind)
            g_bind[i] = g_bind[--g_nbind];
        port_mutex_unlock(&g_mu);
        return DCSIM_OK;
    }
    if (i == g_nbind) {
        if (g_nbind == MAX_BIND) {
            port_mutex_unlock(&g_mu);
            return dc_fail(DCSIM_E_ARG, "dcsim_bind: more than %d servers", MAX_BIND);
        }
        g_nbind++;
    }
    snprintf(g_bind[i].name, sizeof g_bind[i].name, "%s", server);
    snprintf(g_bind[i].dir, sizeof g_bind[i].dir, "%s", dir);
    port_mutex_unlock(&g_mu);
    return DCSIM_OK;
}

HRESULT api_resolve(const char *server, const char *call, char *dir_out)
{
    const char *name = server ? strip_bs(server) : "";
    if (strlen(name) >= 64)
        return dc_hfail(hrCouldNotConnect, "%s: server name longer than 63 bytes", call);
    for (const char *p = name; *p; p++)
        if (*p == '_' || *p == '\\' || *p == '/' || *p == ' ')
            return dc_hfail(hrCouldNotConnect, "%s: server name \"%s\" is not "
                            "valid (no '_', '\\', '/' or spaces)", call, server);
    port_mutex_lock(&g_mu);
    int found = -1;
    if (!*name && g_nbind == 1)
        found = 0;
    for (int i = 0; *name && i < g_nbind; i++)
        if (!strcasecmp(g_bind[i].name, name))
            found = i;
    if (found >= 0)
        snprintf(dir_out, PATH_MAX, "%s", g_bind[found].dir);
    int nbind = g_nbind;
    port_mutex_unlock(&g_mu);
    if (found >= 0)
        return S_OK;
    const char *env = getenv("ADBK_DCSIM_DIR");
    if (!env || !*env) {
        if (!*name)
            return dc_hfail(hrCouldNotConnect, "%s: no local DC (%d bound; set "
                            "ADBK_DCSIM_DIR or call dcsim_bind)", call, nbind);
        return dc_hfail(RPC_S_INVALID_BINDING, "%s: \"%s\" is not this machine "
                        "(remote or not a DC)", call, name);
    }
    struct dc_state st;
    if (st_load(env, &st) != DCSIM_OK)
        return dc_hfail(hrCouldNotConnect, "%s: ADBK_DCSIM_DIR=%s: %s", call, env,
                        dcsim_last_error());
    char fq[256];
    snprintf(fq, sizeof fq, "%s.%s", st.server, st.domain);
    if (*name && strcasecmp(name, st.server) && strcasecmp(name, fq))
        return dc_hfail(RPC_S_INVALID_BINDING, "%s: \"%s\" is not this machine "
                        "(the local DC is %s)", call, name, st.server);
    snprintf(dir_out, PATH_MAX, "%s", env);
    return S_OK;
}

void api_unc_prefix(const struct dc_state *st, char *out, size_t cap)
{
    snprintf(out, cap, "\\\\%s\\C$\\Windows\\NTDS", st->server);
}

dcsim_status dcsim_unc_to_local(const char *unc, char **local_out)
{
    dc_clear_error();
    if (!unc || !local_out)
        return dc_fail(DCSIM_E_ARG, "dcsim_unc_to_local: NULL argument");
    *local_out = NULL;
    if (strncmp(unc, "\\\\", 2) != 0)
        return dc_fail(DCSIM_E_ARG, "%s: not a UNC name", unc);
    const char *srv = unc + 2, *sl = strchr(srv, '\\');
    if (!sl || sl - srv >= 64)
        return dc_fail(DCSIM_E_ARG, "%s: no share part", unc);
    char server[64], dir[PATH_MAX];
    memcpy(server, srv, (size_t)(sl - srv));
    server[sl - srv] = 0;
    if (api_resolve(server, "dcsim_unc_to_local", dir) != S_OK)
        return dc_fail(DCSIM_E_ARG, "%s: %s", unc, dcsim_last_error());
    static const char share[] = "\\C$\\Windows\\NTDS";
    if (strncasecmp(sl, share, sizeof share - 1) != 0)
        return dc_fail(DCSIM_E_ARG, "%s: not under %s", unc, share);
    const char *rest = sl + sizeof share - 1;
    if (*rest == '\\')
        rest++;
    else if (*rest)
        return dc_fail(DCSIM_E_ARG, "%s: not under %s", unc, share);
    if (strchr(rest, '\\') || strchr(rest, '/') || !strcmp(rest, "..") || !strcmp(rest, "."))
        return dc_fail(DCSIM_E_ARG, "%s: nested names are not served", unc);
    size_t n = strlen(dir) + 2 + strlen(rest);
    char *p = malloc(n);
    if (!p)
        return dc_fail(DCSIM_E_NOMEM, "%s: no memory", unc);
    snprintf(p, n, *rest ? "%s/%s" : "%s", dir, rest);
    *local_out = p;
    return DCSIM_OK;
}

/* ---- contexts ----------------------------------------------------------- */

struct ctx *api_ctx_new(int kind)
{
    struct ctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->kind = kind;
    c->fd = -1;
    port_mutex_lock(&g_mu);
    c->id = ++g_serial;
    c->next = g_ctx;
    g_ctx = c;
    port_mutex_unlock(&g_mu);
    return c;
}

HRESULT api_enter(HBC hbc, int kind, const char *call, struct ctx **out)
{
    uintptr_t id = (uintptr_t)hbc;
    port_mutex_lock(&g_mu);
    struct ctx *c = g_ctx;
    while (c && c->id != id)
        c = c->next;
    if (!c || c->kind != kind) {
        port_mutex_unlock(&g_mu);
        return dc_hfail(ERROR_INVALID_PARAMETER, "%s: handle %p is not a live "
                        "%s context", call, hbc, kind == CTX_BACKUP ? "backup" : "restore");
    }
    if (c->busy) {
        port_mutex_unlock(&g_mu);
        return dc_hfail(hrInvalidBackupSequence, "%s: another call is running on "
                        "this context", call); /* R27 */
    }
    c->busy = 1;
    port_mutex_unlock(&g_mu);
    *out = c;
    return S_OK;
}

void api_leave(struct ctx *c)
{
    port_mutex_lock(&g_mu);
    c->busy = 0;
    port_mutex_unlock(&g_mu);
}

/* Unlinks c from the registry; the caller frees it. */
static void ctx_unlink(struct ctx *c)
{
    port_mutex_lock(&g_mu);
    for (struct ctx **pp = &g_ctx; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    port_mutex_unlock(&g_mu);
}

void api_ctx_free(struct ctx *c)
{
    ctx_unlink(c);
    if (c->fd >= 0)
        close(c->fd);
    free(c->gens);
    free(c);
}

HRESULT api_make_list(const char *call, const unsigned char *bfts,
                      const char *const *names, size_t n, char **list_out,
                      DWORD *cb_out)
{
    size_t total = 1;
    for (size_t i = 0; i < n; i++)
        total += 1 + strlen(names[i]) + 1;
    char *p = dc_buf_alloc(total);
    if (!p)
        return dc_hfail(ERROR_NOT_ENOUGH_MEMORY, "%s: no memory for the list", call);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        p[at++] = (char)bfts[i];
        size_t l = strlen(names[i]);
        memcpy(p + at, names[i], l + 1);
        at += l + 1;
    }
    p[at++] = 0;
    *list_out = p;
    *cb_out = (DWORD)total;
    return S_OK;
}

/* Removes contexts left open (tests) and every switch. */
void dcsim_reset(void)
{
    for (;;) {
        port_mutex_lock(&g_mu);
        struct ctx *c = g_ctx;
        uintptr_t id = c ? c->id : 0;
        int kind = c ? c->kind : 0;
        if (c)
            c->busy = 0;
        port_mutex_unlock(&g_mu);
        if (!c)
            break;
        if (kind == CTX_BACKUP)
            dcsim_DsBackupEnd((HBC)id);
        else
            dcsim_DsRestoreEnd((HBC)id);
    }
    port_mutex_lock(&g_mu);
    g_nbind = 0;
    dcsim_faults_clear(&g_faults);
    g_faults_init = 1;
    g_read_calls = g_bytes_read = 0;
    g_priv = DCSIM_PRIV_CHECK;
    g_priv_init = 0;
    g_clock = NULL;
    g_auth_set = 0;
    memset(g_auth_password, 0, sizeof g_auth_password);
    while (g_bufs) {
        struct buf_hdr *h = g_bufs;
        g_bufs = h->next;
        free(h->user);
        free(h);
    }
    g_nbufs = g_bad_frees = 0;
    port_mutex_unlock(&g_mu);
}

/* Counts one read for the fault switches; returns its 1-based number and
 * the bytes delivered so far. */
void api_count_read(uint64_t bytes, uint64_t *calls_out, uint64_t *total_out)
{
    port_mutex_lock(&g_mu);
    faults_init_locked();
    if (calls_out)
        *calls_out = ++g_read_calls;
    g_bytes_read += bytes;
    if (total_out)
        *total_out = g_bytes_read;
    port_mutex_unlock(&g_mu);
}

/* ---- the online check --------------------------------------------------- */

HRESULT dcsim_DsIsNTDSOnline(const char *server, BOOL *online_out)
{
    char dir[PATH_MAX];
    struct dc_state st;
    dc_clear_error();
    if (!online_out)
        return dc_hfail(ERROR_INVALID_PARAMETER, "DsIsNTDSOnline: online_out is NULL");
    HRESULT hr = api_resolve(server, "DsIsNTDSOnline", dir);
    if (hr != S_OK)
        return hr;
    if (st_load(dir, &st) != DCSIM_OK)
        return dc_hfail(hrCouldNotConnect, "DsIsNTDSOnline: %s", dcsim_last_error());
    if (priv_mode() == DCSIM_PRIV_DENY)
        return dc_hfail(ERROR_ACCESS_DENIED, "DsIsNTDSOnline(%s): access denied "
                        "(test switch)", st.server);
    *online_out = st.online ? 1 : 0;
    return S_OK;
}

HRESULT dcsim_DsSetCurrentBackupLog(const char *server, DWORD current_log)
{
    char dir[PATH_MAX];
    struct dc_state st;
    int lk = -1;
    dc_clear_error();
    HRESULT hr = api_resolve(server, "DsSetCurrentBackupLog", dir);
    if (hr != S_OK)
        return hr;
    if (st_lock(dir, &lk) != DCSIM_OK)
        return dc_hfail(hrCouldNotConnect, "DsSetCurrentBackupLog: %s", dcsim_last_error());
    if (st_load(dir, &st) != DCSIM_OK) {
        hr = dc_hfail(hrCouldNotConnect, "DsSetCurrentBackupLog: %s", dcsim_last_error());
        goto out;
    }
    hr = api_priv_check(0, "DsSetCurrentBackupLog", &st);
    if (hr != S_OK)
        goto out;
    if (current_log == 0 || current_log > st.current_gen) {
        hr = dc_hfail(ERROR_INVALID_PARAMETER, "DsSetCurrentBackupLog(%s): log "
                      "0x%" PRIX32 " is not a generation up to the current 0x%" PRIX32,
                      st.server, current_log, st.current_gen);
        goto out;
    }
    st.last_backup_log = current_log;
    if (st_save(dir, &st) != DCSIM_OK)
        hr = dc_hfail(ERROR_NOT_ENOUGH_MEMORY, "DsSetCurrentBackupLog: %s",
                      dcsim_last_error());
out:
    st_unlock(lk);
    return hr;
}
