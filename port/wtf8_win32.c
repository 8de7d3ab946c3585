/*
 * wtf8_win32.c - UTF-16 <-> WTF-8 (wtf8.h). Portable C; the "_win32" in the
 * name says which build uses it, not that it calls Windows.
 */
#include "wtf8.h"

#include <stdlib.h>

static size_t put(char *out, size_t cap, size_t at, uint32_t cp)
{
    unsigned char b[4];
    size_t k;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        k = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 4;
    }
    for (size_t i = 0; i < k; i++)
        if (at + i + 1 < cap)
            out[at + i] = (char)b[i];
    return k;
}

size_t plat_utf16_to_wtf8(const uint16_t *w, size_t n, char *out, size_t cap)
{
    size_t at = 0;
    for (size_t i = 0; i < n && w[i] != 0; i++) {
        uint32_t cp = w[i];
        /* A high surrogate followed by a low one is one code point; any
         * other surrogate stands alone and is kept as it is (WTF-8). */
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < n && w[i + 1] >= 0xDC00 &&
            w[i + 1] <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (w[i + 1] - 0xDC00u);
            i++;
        }
        at += put(out, cap, at, cp);
    }
    if (cap > 0)
        out[at < cap ? at : cap - 1] = 0;
    return at;
}

size_t plat_wtf8_to_utf16(const char *s, uint16_t *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t at = 0;
    while (*p) {
        uint32_t cp;
        size_t k;
        if (p[0] < 0x80) {
            cp = p[0];
            k = 1;
        } else if (p[0] >= 0xC2 && p[0] <= 0xDF) {
            cp = p[0] & 0x1Fu;
            k = 2;
        } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
            cp = p[0] & 0x0Fu;
            k = 3;
        } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
            cp = p[0] & 0x07u;
            k = 4;
        } else {
            return (size_t)-1;
        }
        for (size_t i = 1; i < k; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return (size_t)-1;
            cp = (cp << 6) | (p[i] & 0x3Fu);
        }
        /* Overlong forms and values past U+10FFFF are not WTF-8; encoded
         * surrogates are (that is the point of it). */
        if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
            return (size_t)-1;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            if (at + 1 < cap)
                out[at] = (uint16_t)(0xD800 + (cp >> 10));
            at++;
            cp = 0xDC00 + (cp & 0x3FF);
        }
        if (at + 1 < cap)
            out[at] = (uint16_t)cp;
        at++;
        p += k;
    }
    if (cap > 0)
        out[at < cap ? at : cap - 1] = 0;
    return at;
}

char *plat_utf16_to_wtf8_dup(const uint16_t *w, size_t n)
{
    size_t need = plat_utf16_to_wtf8(w, n, NULL, 0);
    char *s = malloc(need + 1);
    if (s)
        plat_utf16_to_wtf8(w, n, s, need + 1);
    return s;
}

uint16_t *plat_wtf8_to_utf16_dup(const char *s)
{
    size_t need = plat_wtf8_to_utf16(s, NULL, 0);
    if (need == (size_t)-1)
        return NULL;
    uint16_t *w = malloc((need + 1) * sizeof *w);
    if (w)
        plat_wtf8_to_utf16(s, w, need + 1);
    return w;
}
