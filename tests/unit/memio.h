/*
 * memio.h - in-memory sink and source for container tests, with a switch to
 * fail the Nth write, and helpers to build archives from a member table.
 */
#ifndef ADBK_TEST_MEMIO_H
#define ADBK_TEST_MEMIO_H

#include "adbk_format.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct membuf {
    uint8_t *p;
    size_t len, cap;
    long fail_write;   /* 1-based number of the write that fails with EIO; 0 = never */
    long writes;
    int finished;
};

static inline int membuf_write(void *ctx, const void *buf, size_t len)
{
    struct membuf *m = ctx;
    if (m->fail_write && ++m->writes == m->fail_write)
        return ENOSPC;
    if (m->cap - m->len < len) {
        size_t cap = m->cap ? m->cap : 4096;
        while (cap - m->len < len)
            cap *= 2;
        uint8_t *p = realloc(m->p, cap);
        if (!p)
            return ENOMEM;
        m->p = p;
        m->cap = cap;
    }
    memcpy(m->p + m->len, buf, len);
    m->len += len;
    return 0;
}

static inline int membuf_finish(void *ctx)
{
    ((struct membuf *)ctx)->finished = 1;
    return 0;
}

static inline struct adbk_sink membuf_sink(struct membuf *m)
{
    struct adbk_sink s = {membuf_write, membuf_finish, m, "memory archive"};
    return s;
}

static inline int membuf_read_at(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct membuf *m = ctx;
    if (off > m->len || len > m->len - off)
        return EIO;
    memcpy(buf, m->p + off, len);
    return 0;
}

static inline struct adbk_source membuf_source(struct membuf *m)
{
    struct adbk_source s = {membuf_read_at, m, m->len, "memory archive", NULL};
    return s;
}

/* Deterministic bytes: xorshift, mixed with some compressible runs. */
static inline void fill_pattern(uint8_t *p, size_t n, uint64_t seed)
{
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; i++) {
        if ((i & 4095) == 0) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        /* half of each 4 KiB page random, half repeated text */
        if ((i & 4095) < 2048) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            p[i] = (uint8_t)x;
        } else {
            p[i] = (uint8_t)("CN=Users,DC=corp,DC=example "[i % 28]);
        }
    }
}

/* Collects a member's content in memory. */
static inline int collect(void *ctx, const void *buf, size_t len)
{
    return membuf_write(ctx, buf, len);
}

#endif
