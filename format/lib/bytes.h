/*
 * bytes.h - bytes without meaning: little-endian integers, the growable byte
 * buffer records are built in and the bounds-checked cursor they are read
 * with. Which field lies where is the business of the files that use them.
 */
#ifndef ADBK_BYTES_H
#define ADBK_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------ byte order */

static inline void le_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void le_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void le_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t le_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t le_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t le_get64(const uint8_t *p)
{
    return (uint64_t)le_get32(p) | (uint64_t)le_get32(p + 4) << 32;
}

/* ------------------------------------------------------------ buffers */

/* A growable byte buffer for building records. */
struct bytebuf {
    uint8_t *p;
    size_t len, cap;
    bool failed; /* an allocation failed; every later put is a no-op */
};
void bb_reserve(struct bytebuf *b, size_t more);
void bb_put(struct bytebuf *b, const void *src, size_t n);
void bb_u8(struct bytebuf *b, uint8_t v);
void bb_u16(struct bytebuf *b, uint16_t v);
void bb_u32(struct bytebuf *b, uint32_t v);
void bb_u64(struct bytebuf *b, uint64_t v);
void bb_str16(struct bytebuf *b, const char *s); /* caller checked length <= 65535 */
void bb_free(struct bytebuf *b);

/* A bounds-checked cursor for decoding records. Any read past the end sets
 * `short_read` and yields zeros, so decoders check once at the end. */
struct cursor {
    const uint8_t *p;
    size_t len, pos;
    bool short_read;
};
uint8_t cur_u8(struct cursor *c);
uint16_t cur_u16(struct cursor *c);
uint32_t cur_u32(struct cursor *c);
uint64_t cur_u64(struct cursor *c);
void cur_bytes(struct cursor *c, void *dst, size_t n);
/* Returns a NUL-terminated copy (malloc) of a str16, or NULL on short read or
 * allocation failure (then *nomem is set). Embedded NULs are kept out: a str16
 * with a NUL byte is returned as is but *has_nul is set. */
char *cur_str16(struct cursor *c, bool *nomem, bool *has_nul);

#endif
