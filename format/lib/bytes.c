/*
 * bytes.c - the byte buffer and the cursor of bytes.h.
 */
#include "bytes.h"

#include <stdlib.h>
#include <string.h>

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

void bb_u8(struct bytebuf *b, uint8_t v) { bb_put(b, &v, 1); }
void bb_u16(struct bytebuf *b, uint16_t v) { uint8_t t[2]; le_put16(t, v); bb_put(b, t, 2); }
void bb_u32(struct bytebuf *b, uint32_t v) { uint8_t t[4]; le_put32(t, v); bb_put(b, t, 4); }
void bb_u64(struct bytebuf *b, uint64_t v) { uint8_t t[8]; le_put64(t, v); bb_put(b, t, 8); }

void bb_str16(struct bytebuf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    bb_u16(b, (uint16_t)n);
    bb_put(b, s, n);
}

void bb_free(struct bytebuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* ------------------------------------------------------------ cursor */

static const uint8_t *cur_take(struct cursor *c, size_t n)
{
    if (c->short_read || c->len - c->pos < n) {
        c->short_read = true;
        return NULL;
    }
    const uint8_t *p = c->p + c->pos;
    c->pos += n;
    return p;
}

uint8_t cur_u8(struct cursor *c) { const uint8_t *p = cur_take(c, 1); return p ? p[0] : 0; }
uint16_t cur_u16(struct cursor *c) { const uint8_t *p = cur_take(c, 2); return p ? le_get16(p) : 0; }
uint32_t cur_u32(struct cursor *c) { const uint8_t *p = cur_take(c, 4); return p ? le_get32(p) : 0; }
uint64_t cur_u64(struct cursor *c) { const uint8_t *p = cur_take(c, 8); return p ? le_get64(p) : 0; }

void cur_bytes(struct cursor *c, void *dst, size_t n)
{
    const uint8_t *p = cur_take(c, n);
    if (p)
        memcpy(dst, p, n);
    else
        memset(dst, 0, n);
}

char *cur_str16(struct cursor *c, bool *nomem, bool *has_nul)
{
    size_t n = cur_u16(c);
    const uint8_t *p = cur_take(c, n);
    if (!p)
        return NULL;
    char *s = malloc(n + 1);
    if (!s) {
        *nomem = true;
        return NULL;
    }
    memcpy(s, p, n);
    s[n] = '\0';
    if (memchr(p, 0, n))
        *has_nul = true;
    return s;
}
