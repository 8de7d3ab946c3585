/*
 * bytes.c - the byte buffer, the cursor and str16 views of bytes.h.
 */
#include "bytes.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ str16 */

struct str16 str16_of(const char *s)
{
    return (struct str16){.p = s ? s : "", .len = s ? strlen(s) : 0};
}

bool str16_has_nul(struct str16 v)
{
    return v.p && memchr(v.p, 0, v.len) != NULL;
}

char *str16_dup(struct str16 v)
{
    char *s = malloc(v.len + 1);
    if (!s)
        return NULL;
    if (v.len)
        memcpy(s, v.p, v.len);
    s[v.len] = '\0';
    return s;
}

bool str16_dup2(struct str16 a, struct str16 b, char **pa, char **pb)
{
    *pa = *pb = NULL;
    if (!a.p)
        return true;
    if (!(*pa = str16_dup(a)))
        return false;
    return !b.p || (*pb = str16_dup(b)) != NULL;
}

/* ------------------------------------------------------------ bytebuf */

void bb_reserve(struct bytebuf *b, size_t more)
{
    if (b->failed || b->cap - b->len >= more)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < more) {
        if (cap > SIZE_MAX / 2) {
            b->failed = true;
            return;
        }
        cap *= 2;
    }
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
        b->failed = true;
        return;
    }
    b->p = p;
    b->cap = cap;
}

void bb_put(struct bytebuf *b, const void *src, size_t n)
{
    bb_reserve(b, n);
    if (b->failed || n == 0)
        return;
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

void bb_str16(struct bytebuf *b, struct str16 s)
{
    uint8_t n[2];
    le_put16(n, (uint16_t)s.len);
    bb_put(b, n, sizeof n);
    bb_put(b, s.p, s.len);
}

void bb_free(struct bytebuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* ------------------------------------------------------------ cursor */

const uint8_t *cur_take(struct cursor *c, size_t n)
{
    if (c->short_read || c->len - c->pos < n) {
        c->short_read = true;
        return NULL;
    }
    const uint8_t *p = c->p + c->pos;
    c->pos += n;
    return p;
}

size_t cur_left(const struct cursor *c)
{
    return c->len - c->pos;
}

struct str16 cur_str16(struct cursor *c)
{
    const uint8_t *n = cur_take(c, 2);
    const uint8_t *p = n ? cur_take(c, le_get16(n)) : NULL;
    return (struct str16){.p = (const char *)p, .len = p ? le_get16(n) : 0};
}
