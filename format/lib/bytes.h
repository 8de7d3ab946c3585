/*
 * bytes.h - bytes without meaning: little-endian integers (port/le.h), the
 * growable byte buffer records are built in, the bounds-checked cursor they
 * are read with, and views of str16 strings (FORMAT.md section 1). Which
 * field lies where is records.c's business; nothing here knows the format's
 * structures.
 */
#ifndef ADBK_BYTES_H
#define ADBK_BYTES_H

#include "le.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------ str16 */

/* A str16's bytes where they lie (no terminator, may hold NUL bytes). p is
 * NULL when the string is absent: the bytes ended before it. */
struct str16 {
    const char *p;
    size_t len;
};

/* The view of a C string (NULL reads as ""). */
struct str16 str16_of(const char *s);
/* Whether the string holds a NUL byte. */
bool str16_has_nul(struct str16 v);
/* A malloc'd, NUL-terminated copy (an absent string reads as ""); NULL when
 * memory ran out. */
char *str16_dup(struct str16 v);
/* Copies a and, when a is present and copied, b: a name and its source
 * path. An absent string stays NULL. False when memory ran out. */
bool str16_dup2(struct str16 a, struct str16 b, char **pa, char **pb);

/* ------------------------------------------------------------ buffers */

/* A growable byte buffer for building records. */
struct bytebuf {
    uint8_t *p;
    size_t len, cap;
    bool failed; /* an allocation failed; every later put is a no-op */
};
void bb_reserve(struct bytebuf *b, size_t more);
void bb_put(struct bytebuf *b, const void *src, size_t n);
void bb_str16(struct bytebuf *b, struct str16 s); /* caller checked len <= 65535 */
void bb_free(struct bytebuf *b);

/* ------------------------------------------------------------ cursor */

/* A bounds-checked cursor for decoding. A take past the end sets
 * `short_read`, which stays set, and yields NULL. */
struct cursor {
    const uint8_t *p;
    size_t len, pos;
    bool short_read;
};
/* The next n bytes, or NULL when fewer are left. */
const uint8_t *cur_take(struct cursor *c, size_t n);
/* Bytes left after pos. */
size_t cur_left(const struct cursor *c);
/* The next str16; absent (p NULL) when it does not fit. */
struct str16 cur_str16(struct cursor *c);

#endif
