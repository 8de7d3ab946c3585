/*
 * source.c - what every source backend shares: status strings, HRESULT
 * names, error recording and mapping, name-list parsing (ref §2).
 *
 * Owns nothing platform-specific: it must build for the Windows backend too,
 * so HRESULT values are written as numbers here rather than taken from a
 * simulator or Windows header.
 */
#include "source.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *src_strerror(src_status st)
{
    switch (st) {
    case SRC_OK: return "success";
    case SRC_EOF: return "end of file";
    case SRC_E_ARG: return "invalid argument";
    case SRC_E_NOMEM: return "out of memory";
    case SRC_E_CONNECT: return "cannot connect to the directory server";
    case SRC_E_OFFLINE: return "directory service offline";
    case SRC_E_PRIVILEGE: return "backup/restore privilege refused";
    case SRC_E_BUSY: return "another backup or restore is in progress";
    case SRC_E_SEQUENCE: return "call out of order or session cancelled";
    case SRC_E_NOTFOUND: return "file no longer exists on the server";
    case SRC_E_CORRUPT: return "server-side page verification failed";
    case SRC_E_TOKEN: return "expiry token missing, unreadable or expired";
    case SRC_E_STREAM: return "stream shorter than announced";
    case SRC_E_SERVER: return "directory server error";
    }
    return "unknown status";
}

static const struct {
    uint32_t hr;
    const char *name;
} hr_names[] = {
    {0x00000000, "S_OK"}, {5, "ERROR_ACCESS_DENIED"}, {8, "ERROR_NOT_ENOUGH_MEMORY"},
    {38, "ERROR_HANDLE_EOF"}, {87, "ERROR_INVALID_PARAMETER"},
    {1702, "RPC_S_INVALID_BINDING"}, {0x80070005, "E_ACCESSDENIED"},
    {0x80070057, "E_INVALIDARG"}, {0xC0000001, "hrNyi"},
    {0xC7FF0001, "hrInvalidParam"}, {0xC7FF0002, "hrError"},
    {0xC7FF0003, "hrInvalidHandle"}, {0xC7FF0004, "hrRestoreInProgress"},
    {0xC7FF0005, "hrAlreadyOpen"}, {0xC7FF0007, "hrCouldNotConnect"},
    {0xC7FF0008, "hrRestoreMapExists"}, {0xC7FF0009, "hrIncrementalBackupDisabled"},
    {0xC7FF000A, "hrLogFileNotFound"}, {0xC7FF000B, "hrCircularLogging"},
    {0xC7FF000C, "hrNoFullRestore"}, {0xC7FF000D, "hrCommunicationError"},
    {0xC7FF000E, "hrFullBackupNotTaken"}, {0xC7FF000F, "hrMissingExpiryToken"},
    {0xC7FF0010, "hrUnknownExpiryTokenFormat"}, {0xC7FF0011, "hrContentsExpired"},
    {0xC80001F9, "hrBackupInProgress"}, {0xC8000208, "hrNoBackup"},
    {0xC8000209, "hrInvalidBackupSequence"}, {0xC800020B, "hrBackupNotAllowedYet"},
    {0xC8000210, "hrMissingLogFile"}, {0xC8000229, "hrRestoreLogTooLow"},
    {0xC800022A, "hrRestoreLogTooHigh"}, {0xC800022D, "hrMissingRestoreLogFiles"},
    {0xC80003F3, "hrOutOfMemory"}, {0xC80003FA, "hrReadVerifyFailure"},
    {0xC8000408, "hrFileAccessDenied"}, {0xC8000713, "hrFileNotFound"},
    {0xC8000773, "hrAccessDenied"},
};

const char *src_hr_name(int32_t hr)
{
    for (size_t i = 0; i < sizeof hr_names / sizeof hr_names[0]; i++)
        if (hr_names[i].hr == (uint32_t)hr)
            return hr_names[i].name;
    return NULL;
}

/* Win32 codes may also arrive wrapped as HRESULT_FROM_WIN32 (ref §0, U). */
static uint32_t unwrap(int32_t hr)
{
    uint32_t u = (uint32_t)hr;
    return (u & 0xFFFF0000u) == 0x80070000u ? (u & 0xFFFFu) : u;
}

static src_status map_hr(int32_t hr)
{
    switch (unwrap(hr)) {
    case 0: return SRC_OK;
    case 38: return SRC_EOF;
    case 5: case 0xC8000773: case 0xC8000408: return SRC_E_PRIVILEGE;
    case 8: case 0xC80003F3: return SRC_E_NOMEM;
    case 87: case 0xC7FF0001: return SRC_E_ARG;
    case 1702: case 0xC7FF0007: return SRC_E_CONNECT;
    case 0xC7FF000D: case 0xC800020B: return SRC_E_OFFLINE;
    case 0xC80001F9: case 0xC7FF0004: case 0xC7FF0008: return SRC_E_BUSY;
    case 0xC8000209: case 0xC8000208: case 0xC7FF0003: case 0xC7FF0005:
        return SRC_E_SEQUENCE;
    case 0xC8000713: case 0xC7FF000A: case 0xC8000210: return SRC_E_NOTFOUND;
    case 0xC80003FA: return SRC_E_CORRUPT;
    case 0xC7FF000F: case 0xC7FF0010: case 0xC7FF0011: return SRC_E_TOKEN;
    default: return SRC_E_SERVER;
    }
}

void src_clear_error(struct source *s)
{
    memset(&s->err, 0, sizeof s->err);
}

src_status src_fail_hr(struct source *s, const char *call, const char *object,
                       int32_t hr, const char *detail)
{
    const char *nm = src_hr_name(hr);
    char code[48];
    if (nm)
        snprintf(code, sizeof code, "%s (0x%08X)", nm, (unsigned)(uint32_t)hr);
    else
        snprintf(code, sizeof code, "0x%08X", (unsigned)(uint32_t)hr);
    s->err.hr = hr;
    snprintf(s->err.call, sizeof s->err.call, "%s", call);
    snprintf(s->err.object, sizeof s->err.object, "%s", object ? object : "");
    snprintf(s->err.msg, sizeof s->err.msg, "%s%s%s%s: %s%s%s", call,
             object && *object ? "(" : "", object ? object : "",
             object && *object ? ")" : "", code, detail && *detail ? ": " : "",
             detail ? detail : "");
    src_status st = map_hr(hr);
    return st == SRC_OK ? SRC_E_SERVER : st;
}

src_status src_fail(struct source *s, src_status st, const char *call,
                    const char *object, const char *fmt, ...)
{
    char detail[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    s->err.hr = 0;
    snprintf(s->err.call, sizeof s->err.call, "%s", call);
    snprintf(s->err.object, sizeof s->err.object, "%s", object ? object : "");
    snprintf(s->err.msg, sizeof s->err.msg, "%s%s%s%s: %s", call,
             object && *object ? "(" : "", object ? object : "",
             object && *object ? ")" : "", detail);
    return st;
}

const char *src_errmsg(const struct source *s)
{
    return s->err.msg;
}

void src_destroy(struct source *s)
{
    if (s)
        s->ops->destroy(s);
}

void src_names_free(struct src_name_list *l)
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

src_status src_parse_list(const char *buf, size_t cb, struct src_name_list *out)
{
    out->v = NULL;
    out->n = 0;
    size_t cap = 0, at = 0;
    while (at < cb && buf[at] != 0) {
        const char *nul = memchr(buf + at, 0, cb - at);
        if (!nul)
            goto bad;
        size_t len = (size_t)(nul - (buf + at));
        if (out->n == cap) {
            cap = cap ? cap * 2 : 8;
            struct src_name *nv = realloc(out->v, cap * sizeof *nv);
            if (!nv)
                goto nomem;
            out->v = nv;
        }
        struct src_name *e = &out->v[out->n];
        e->bft = (uint8_t)buf[at];
        e->local = NULL;
        e->name = malloc(len);
        if (!e->name)
            goto nomem;
        memcpy(e->name, buf + at + 1, len - 1);
        e->name[len - 1] = 0;
        out->n++;
        at += len + 1;
    }
    return SRC_OK;
nomem:
    src_names_free(out);
    return SRC_E_NOMEM;
bad:
    src_names_free(out);
    return SRC_E_SERVER;
}
