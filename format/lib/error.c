/*
 * error.c - status strings, error detail, kind names, name rules (FORMAT.md
 * 6), UTF-8 and escaping, and the few helpers of the public header every part
 * of the container library uses.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *adbk_strerror(adbk_status st)
{
    switch (st) {
    case ADBK_OK: return "success";
    case ADBK_E_NOMEM: return "out of memory";
    case ADBK_E_IO: return "input/output error";
    case ADBK_E_ARG: return "invalid argument";
    case ADBK_E_STATE: return "call made in the wrong state";
    case ADBK_E_NOT_ADBK: return "not an adbk archive";
    case ADBK_E_VERSION: return "unsupported archive format version";
    case ADBK_E_CORRUPT: return "archive structure damaged";
    case ADBK_E_CHECKSUM: return "checksum mismatch";
    case ADBK_E_TRUNCATED: return "archive cut short";
    case ADBK_E_LIMIT: return "size or count beyond the supported limit";
    case ADBK_E_ZSTD: return "compression error";
    case ADBK_E_NOT_FOUND: return "no such member";
    case ADBK_E_ABORTED: return "stopped by request";
    case ADBK_E_UNSUPPORTED: return "unsupported member kind";
    case ADBK_E_EXISTS: return "target exists";
    case ADBK_E_UNSAFE: return "unsafe member name";
    case ADBK_E_SOURCE: return "backup source failed";
    case ADBK_E_PRIVILEGE: return "privilege not held";
    case ADBK_E_EXPIRED: return "backup expired";
    case ADBK_E_INTERRUPTED: return "interrupted by a signal";
    case ADBK_E_OTHER_DC: return "archive of another domain controller";
    case ADBK_E_KEY: return "no key given opens the encrypted archive";
    case ADBK_E_AUTH: return "authentication failed";
    case ADBK_E_SIGNATURE: return "not signed by a trusted key";
    }
    return "unknown status";
}

/* One switch without a default, so that -Wswitch flags a status added
 * without its name. */
const char *adbk_status_name(adbk_status st)
{
    switch (st) {
#define NAME(s) case s: return #s;
    NAME(ADBK_OK) NAME(ADBK_E_NOMEM) NAME(ADBK_E_IO) NAME(ADBK_E_ARG) NAME(ADBK_E_STATE)
    NAME(ADBK_E_NOT_ADBK) NAME(ADBK_E_VERSION) NAME(ADBK_E_CORRUPT) NAME(ADBK_E_CHECKSUM)
    NAME(ADBK_E_TRUNCATED) NAME(ADBK_E_LIMIT) NAME(ADBK_E_ZSTD) NAME(ADBK_E_NOT_FOUND)
    NAME(ADBK_E_ABORTED) NAME(ADBK_E_UNSUPPORTED) NAME(ADBK_E_EXISTS) NAME(ADBK_E_UNSAFE)
    NAME(ADBK_E_SOURCE) NAME(ADBK_E_PRIVILEGE) NAME(ADBK_E_EXPIRED) NAME(ADBK_E_INTERRUPTED)
    NAME(ADBK_E_OTHER_DC) NAME(ADBK_E_KEY) NAME(ADBK_E_AUTH) NAME(ADBK_E_SIGNATURE)
#undef NAME
    }
    return "unknown status";
}

adbk_status adbk_error_set(struct adbk_error *err, adbk_status st, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->status = st;
    }
    return st;
}

static const char *const kind_names[] = {
    NULL, "file", "directory", "expiry-token", "database", "log", "patch", "checkpoint", "unknown",
};

const char *adbk_kind_name(unsigned kind)
{
    return kind < sizeof kind_names / sizeof kind_names[0] ? kind_names[kind] : NULL;
}

unsigned adbk_kind_from_name(const char *name)
{
    for (unsigned k = 1; k < sizeof kind_names / sizeof kind_names[0]; k++)
        if (strcmp(kind_names[k], name) == 0)
            return k;
    if (strcmp(name, "logs") == 0) /* the plural reads naturally on a command line */
        return ADBK_KIND_LOG;
    return 0;
}

size_t adbk_utf8_seq(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) { n = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; cp = c & 0x07; }
    else return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

size_t adbk_escape_len(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] < 0x20 || u[0] == 0x7F || (u[0] == 0xC2 && u[1] >= 0x80 && u[1] <= 0x9F))
        return 0; /* C0, DEL, C1 (U+0080..U+009F, which some terminals obey) */
    return adbk_utf8_seq(s);
}

void name_printable(const char *name, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *s = name; *s && o + 5 < cap;) {
        size_t n = adbk_escape_len(s);
        if (n == 0 || *s == '\\') {
            o += (size_t)snprintf(out + o, cap - o, "\\x%02X", (unsigned char)*s);
            s++;
        } else {
            for (; n && o + 5 < cap; n--)
                out[o++] = *s++;
        }
    }
    if (cap)
        out[o < cap ? o : cap - 1] = '\0';
}

adbk_status adbk_name_check(const char *name, struct adbk_error *err)
{
    char shown[128];
    size_t len = strlen(name);
    name_printable(name, shown, sizeof shown);
    if (len == 0)
        return err_set(err, ADBK_E_UNSAFE, "member name is empty");
    if (len > NAME_MAX_BYTES)
        return err_set(err, ADBK_E_UNSAFE, "member name \"%.60s...\" is %zu bytes long (at most %u)",
                       shown, len, NAME_MAX_BYTES);
    if (name[0] == '/')
        return err_set(err, ADBK_E_UNSAFE, "member name \"%s\" is an absolute path", shown);
    const unsigned char *s = (const unsigned char *)name;
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        if (c < 0x20 || c == 0x7F)
            return err_set(err, ADBK_E_UNSAFE,
                           "member name \"%s\" holds control character 0x%02X", shown, c);
        if (c == '\\' || c == ':')
            return err_set(err, ADBK_E_UNSAFE, "member name \"%s\" holds '%c'", shown, c);
        size_t n = adbk_utf8_seq(name + i);
        if (n == 0)
            return err_set(err, ADBK_E_UNSAFE, "member name \"%s\" is not valid UTF-8", shown);
        i += n;
    }
    for (const char *comp = name; comp;) {
        const char *slash = strchr(comp, '/');
        size_t clen = slash ? (size_t)(slash - comp) : strlen(comp);
        if (clen == 0)
            return err_set(err, ADBK_E_UNSAFE, "member name \"%s\" has an empty component", shown);
        if ((clen == 1 && comp[0] == '.') || (clen == 2 && comp[0] == '.' && comp[1] == '.'))
            return err_set(err, ADBK_E_UNSAFE, "member name \"%s\" has a \"%.*s\" component",
                           shown, (int)clen, comp);
        comp = slash ? slash + 1 : NULL;
    }
    return ADBK_OK;
}

void adbk_hex128(const uint8_t digest[16], char out[33])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[32] = '\0';
}

unsigned adbk_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1u : n > 256 ? 256u : (unsigned)n;
}
