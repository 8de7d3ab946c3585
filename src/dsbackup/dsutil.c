/*
 * dsutil.c - what the DsBackup drivers share (see dsutil.h).
 */
#include "dsutil.h"

#include "adbk.h"

#include "privilege.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

unsigned ds_kind_of(uint8_t bft)
{
    switch (bft) {
    case DS_BFT_NTDS_DATABASE: return ADBK_KIND_DATABASE;
    case DS_BFT_LOG: return ADBK_KIND_LOG;
    case DS_BFT_PATCH_FILE: return ADBK_KIND_PATCH;
    default: return ADBK_KIND_UNKNOWN;
    }
}

const char *ds_base_name(const char *p)
{
    const char *b = p;
    for (const char *q = p; *q; q++)
        if (*q == '\\' || *q == '/')
            b = q + 1;
    return b;
}

bool ds_log_gen(const char *base, uint32_t *gen_out)
{
    size_t n = strlen(base);
    if (n < 3 + 5 + 4 || strncasecmp(base, "edb", 3) != 0 ||
        strcasecmp(base + n - 4, ".log") != 0)
        return false;
    size_t digits = n - 3 - 4;
    if (digits != 5 && digits != 8)
        return false;
    uint32_t g = 0;
    for (size_t i = 3; i < 3 + digits; i++) {
        char c = base[i];
        unsigned v = c >= '0' && c <= '9' ? (unsigned)(c - '0') :
                     c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) :
                     c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16u;
        if (v > 15)
            return false;
        g = g << 4 | v;
    }
    *gen_out = g;
    return true;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

bool ds_gens_contiguous(uint32_t *g, size_t n, uint32_t *bad_out, bool *repeat_out)
{
    *bad_out = 0;
    *repeat_out = false;
    if (n == 0)
        return false;
    qsort(g, n, sizeof *g, cmp_u32);
    for (size_t i = 1; i < n; i++) {
        if (g[i] != g[i - 1] + 1) {
            *repeat_out = g[i] == g[i - 1];
            *bad_out = *repeat_out ? g[i] : g[i - 1] + 1;
            return false;
        }
    }
    return true;
}

adbk_status ds_error(struct dsb *s, dsb_status ss, const char *job, int priv,
                     struct adbk_error *err)
{
    const char *m = dsb_errmsg(s);
    if (!*m)
        m = dsb_strerror(ss);
    switch (ss) {
    case DSB_E_NOMEM:
        return adbk_error_set(err, ADBK_E_NOMEM, "%s: %s", job, m);
    case DSB_E_PRIVILEGE:
        /* With --user the server judges that account, not this process:
         * the local privilege is beside the point. */
        if (dsb_as_user(s))
            return adbk_error_set(err, ADBK_E_PRIVILEGE, "%s refused: %s; check the account "
                                  "given with --user and its password (ADBK_PASSWORD or the "
                                  "prompt), and that the account may %s the DC (e.g. a member "
                                  "of Backup Operators)", job, m,
                                  priv == PLAT_PRIV_RESTORE ? "restore" : "back up");
        return adbk_error_set(err, ADBK_E_PRIVILEGE, "%s refused: %s; %s", job, m,
                              plat_privilege_hint(priv));
    case DSB_E_OFFLINE:
        return adbk_error_set(err, ADBK_E_SOURCE, "%s: the directory service went offline: %s",
                              job, m);
    default:
        return adbk_error_set(err, ADBK_E_SOURCE, "%s: %s", job, m);
    }
}

adbk_status adbk_identity_parse(const char *spec, char *buf, size_t cap,
                                struct adbk_identity *id, struct adbk_error *err)
{
    memset(id, 0, sizeof *id);
    size_t n = spec ? strlen(spec) : 0;
    if (n == 0 || n >= cap)
        return adbk_error_set(err, ADBK_E_ARG, "--user wants DOMAIN\\name or name@domain%s",
                              n ? " of reasonable length" : "");
    memcpy(buf, spec, n + 1);
    char *bs = strchr(buf, '\\'), *at = strrchr(buf, '@');
    if (bs) {
        *bs = '\0';
        id->domain = buf;
        id->user = bs + 1;
    } else if (at) {
        *at = '\0';
        id->user = buf;
        id->domain = at + 1;
    } else {
        id->user = buf;
        id->domain = "";
    }
    if (!*id->user || strchr(id->user, '\\') || strchr(id->user, '@'))
        return adbk_error_set(err, ADBK_E_ARG, "--user %s names no user: write DOMAIN\\name "
                              "or name@domain", spec);
    return ADBK_OK;
}
