/*
 * checks.c - what a restore checks before it touches anything: that the
 * archive is the target DC's, and that it is not older than its tombstone
 * lifetime (restore.h).
 */
#include "restore.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

void restore_ctx_init(struct restore_ctx *c, struct adbk_reader *r,
                      const struct adbk_restore_options *o,
                      const struct adbk_restore_callbacks *cb, struct adbk_restore_result *res,
                      struct adbk_error *err)
{
    memset(c, 0, sizeof *c);
    c->r = r;
    c->o = o;
    c->cb = cb;
    c->res = res;
    c->err = err;
    const char *server = adbk_reader_property(r, "server");
    snprintf(c->job, sizeof c->job, "restore of %.128s",
             server && *server ? server : "the archive");
}

void restore_warn(struct restore_ctx *c, const char *fmt, ...)
{
    if (!c->cb || !c->cb->warning)
        return;
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->cb->warning(c->cb->ctx, msg);
}

bool restore_cancelled(struct restore_ctx *c)
{
    return c->cb && c->cb->cancelled && c->cb->cancelled(c->cb->ctx);
}

adbk_status restore_interrupted(struct restore_ctx *c, const char *where, const char *after)
{
    return adbk_error_set(c->err, ADBK_E_INTERRUPTED, "%s: interrupted %s; %s", c->job, where,
                          after);
}

bool restore_prop_u32(const struct adbk_reader *r, const char *key, uint32_t *out)
{
    const char *v = adbk_reader_property(r, key);
    if (!v || !*v)
        return false;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || *end || x > UINT32_MAX)
        return false;
    *out = (uint32_t)x;
    return true;
}

/* ------------------------------------------------------------ same DC */

/* An archive of one DC put onto another would give the target the other's
 * identity and secrets; the same archive put onto a simulated DC, or one of
 * a simulated DC onto a real one, is a test double's data. */
adbk_status restore_check_dc(struct restore_ctx *c, const char *target_server,
                             const char *target_domain, bool target_simulated)
{
    struct adbk_restore_result *res = c->res;
    const char *srv = adbk_reader_property(c->r, "server");
    const char *dom = adbk_reader_property(c->r, "domain");
    const char *source = adbk_reader_property(c->r, "source");
    snprintf(res->server, sizeof res->server, "%s", srv ? srv : "");
    snprintf(res->domain, sizeof res->domain, "%s", dom ? dom : "");
    snprintf(res->target_server, sizeof res->target_server, "%s", target_server);
    snprintf(res->target_domain, sizeof res->target_domain, "%s", target_domain);
    res->simulated = source && !strcmp(source, "dcsim");
    const char *ts = res->target_server, *td = res->target_domain;
    char why[1024] = "";
    if (!*ts)
        snprintf(why, sizeof why, "the server cannot name itself, so adbk cannot tell whether "
                 "the archive (of %s%s%s) is its own", *res->server ? res->server : "an "
                 "unnamed DC", *res->domain ? "." : "", res->domain);
    else if (*res->server && strcasecmp(res->server, ts))
        snprintf(why, sizeof why, "the archive is of %s%s%s, the server is %s%s%s",
                 res->server, *res->domain ? "." : "", res->domain, ts, *td ? "." : "", td);
    else if (*res->domain && *td && strcasecmp(res->domain, td))
        snprintf(why, sizeof why, "the archive is of %s.%s, the server is %s.%s",
                 res->server, res->domain, ts, td);
    else if (res->simulated != target_simulated)
        snprintf(why, sizeof why, "the archive is of %s, the server %s",
                 res->simulated ? "a simulated DC (dcsim)" : "a real DC",
                 target_simulated ? "is a simulated DC (dcsim)" : "is a real DC");
    if (!*why)
        return ADBK_OK;
    if (c->o && c->o->allow_other_dc) {
        restore_warn(c, "%s: %s; restoring anyway (--allow-other-dc)", c->job, why);
        return ADBK_OK;
    }
    return adbk_error_set(c->err, ADBK_E_OTHER_DC, "%s: %s; nothing was changed (restore "
                          "another DC's archive only on purpose, with --allow-other-dc)",
                          c->job, why);
}

/* ------------------------------------------------------------ expiry */

#define FUTURE_SLACK 86400 /* seconds a backup may be dated ahead of this clock */

static void utc_time(int64_t sec, char *buf, size_t cap)
{
    time_t t = (time_t)sec;
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(buf, cap, "%Y-%m-%d %H:%M UTC", &tm);
}

adbk_status restore_check_expiry(struct restore_ctx *c)
{
    const struct adbk_archive_info *in = adbk_reader_info(c->r);
    int64_t now = c->o && c->o->now ? c->o->now : (int64_t)time(NULL);
    int64_t age = now - in->created_sec;
    c->res->age_days = age > 0 ? age / 86400 : 0;
    bool allow = c->o && c->o->allow_expired;
    char when[40] = "an unknown time";
    utc_time(in->created_sec, when, sizeof when);
    /* A backup dated ahead of this clock: the backup host's clock or this
     * one is wrong, or the date was set so. Either way the age, and so the
     * tombstone-lifetime check below, means nothing: a years-old backup
     * could pass as fresh and bring back deleted objects. So it is refused
     * like an expired one, with the same override; a day of slack leaves
     * room for clocks set to local time instead of UTC (at most 14 h off). */
    if (age < -FUTURE_SLACK) {
        long long ahead = (long long)((-age + 43200) / 86400); /* nearest day */
        if (allow) {
            restore_warn(c, "the backup is dated %s, %lld days ahead of this clock, so its age "
                         "is unknown; restoring it as asked (--allow-expired)", when, ahead);
            return ADBK_OK;
        }
        return adbk_error_set(c->err, ADBK_E_EXPIRED, "%s: the backup is dated %s, %lld days "
                              "ahead of this machine's clock, so its age (and whether it is "
                              "older than the tombstone lifetime) cannot be known; one of the "
                              "clocks is wrong. Nothing was changed; --allow-expired restores "
                              "it anyway", c->job, when, ahead);
    }
    uint32_t tsl = 0;
    if (!restore_prop_u32(c->r, "tombstone.lifetime.days", &tsl) || tsl == 0)
        return ADBK_OK; /* unknown here: a DsBackup server's check on the token decides */
    c->res->tsl_days = tsl;
    if (age <= (int64_t)tsl * 86400)
        return ADBK_OK;
    if (allow) {
        restore_warn(c, "the backup was taken %s and is %lld days old, older than the tombstone "
                     "lifetime of %u days; restoring it as asked (--allow-expired) can bring "
                     "back objects deleted since then (lingering objects)", when,
                     (long long)c->res->age_days, (unsigned)tsl);
        return ADBK_OK;
    }
    return adbk_error_set(c->err, ADBK_E_EXPIRED, "%s: the backup was taken %s and is %lld days "
                          "old, older than the tombstone lifetime of %u days: restoring it can "
                          "bring back objects deleted since then (lingering objects). Nothing "
                          "was changed; --allow-expired restores it anyway", c->job, when,
                          (long long)c->res->age_days, (unsigned)tsl);
}
