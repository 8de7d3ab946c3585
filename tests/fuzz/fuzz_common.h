/*
 * fuzz_common.h - what the libFuzzer targets share: a read-only source over
 * the fuzzer's bytes, a pass that repairs record checksums so that mutations
 * reach the parsers behind them, the invariants every failure must keep, and
 * the fixed test keys of the encrypted and signed seeds (seeds/).
 *
 * A finding is a crash, a sanitizer report, a timeout, an allocation over
 * -malloc_limit_mb or an RSS over -rss_limit_mb (see run.sh), or an abort()
 * from FUZZ_ASSERT below: an invariant of the public API that did not hold.
 */
#ifndef ADBK_FUZZ_COMMON_H
#define ADBK_FUZZ_COMMON_H

#include "adbk_format.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>

#define FUZZ_ASSERT(c)                                                           \
    do {                                                                         \
        if (!(c)) {                                                              \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c); \
            abort();                                                             \
        }                                                                        \
    } while (0)

struct fuzz_buf {
    const uint8_t *p;
    size_t len;
};

static inline int fuzz_read_at(void *ctx, uint64_t off, void *buf, size_t len)
{
    const struct fuzz_buf *b = ctx;
    /* The reader must never ask for bytes past the end: it knows the size. */
    FUZZ_ASSERT(off <= b->len && len <= b->len - off);
    memcpy(buf, b->p + off, len);
    return 0;
}

static inline struct adbk_source fuzz_source(struct fuzz_buf *b)
{
    struct adbk_source s = {fuzz_read_at, b, b->len, "fuzz input", NULL};
    return s;
}

static inline uint32_t fuzz_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Walks the frames from the start of buf and rewrites the XXH3-64 checksum of
 * every adbk record it meets (magic 0x184D2A5A), skipping zstd frames by
 * their own size; stops at the first byte that is neither. Random mutations
 * almost never keep a 64-bit checksum right, so without this pass the fuzzer
 * would only ever reach "fails its checksum". The checksum checks themselves
 * are fuzzed on the unrepaired input by fuzz_open_list. */
static inline void fuzz_fix_records(uint8_t *buf, size_t len)
{
    size_t off = 0;
    while (len - off >= 8) {
        uint32_t magic = fuzz_le32(buf + off);
        if (magic == 0x184D2A5Au) {
            uint64_t payload = fuzz_le32(buf + off + 4);
            if (payload < 12 || payload > len - off - 8)
                return;
            uint8_t *f = buf + off;
            uint64_t h = XXH3_64bits(f + 8, (size_t)payload - 8);
            for (int i = 0; i < 8; i++)
                f[8 + payload - 8 + i] = (uint8_t)(h >> (8 * i));
            off += 8 + (size_t)payload;
        } else if (magic == 0xFD2FB528u) {
            size_t n = ZSTD_findFrameCompressedSize(buf + off, len - off);
            if (ZSTD_isError(n) || n == 0)
                return;
            off += n;
        } else {
            return;
        }
    }
}

/* A failed call must say what failed: a status that is not OK, the same
 * status in the error, and a non-empty, terminated message. */
static inline void fuzz_check_error(adbk_status st, const struct adbk_error *err)
{
    FUZZ_ASSERT(st != ADBK_OK);
    FUZZ_ASSERT(err->status == st);
    FUZZ_ASSERT(memchr(err->message, '\0', sizeof err->message) != NULL);
    FUZZ_ASSERT(err->message[0] != '\0');
}

/* The threads every target reads with: two by default, so that the ordered
 * pipe and the worker pool run as they do in the programs; ADBK_FUZZ_THREADS=1
 * for long runs, where the reader then starts no thread at all. (Under
 * AddressSanitizer every thread ever started costs memory that is never
 * given back, about 200 bytes, and the runtime allows 2^22 threads in all: a
 * pool started per input stops a run of millions of inputs.) */
static inline struct adbk_reader_options fuzz_reader_options(void)
{
    const char *t = getenv("ADBK_FUZZ_THREADS");
    int n = t ? atoi(t) : 0;
    return (struct adbk_reader_options){.threads = n >= 1 && n <= 16 ? (unsigned)n : 2};
}

/* The keys the seeds of seeds/ are made with (make-seeds.sh): an age
 * identity (the key pair of tests/unit/test_crypto.c) and an adbk signing
 * key. Test keys, published here; they protect nothing. */
#define FUZZ_AGE_IDENTITY \
    "AGE-SECRET-KEY-186T9CLA08V08F6UEUDGYX95A25RKZMA6KLE9D75JHQTGGMVNXJEQTDWDDP"
#define FUZZ_SIGN_SECRET \
    "ADBK-SIGN-SECRET-KEY-1CU3T7QFHQ9XGEMKEACCY23VGN7AW7YQULNKUN3FCQ2LKKW574G7QFND0C7"

/* The identity that opens the encrypted seeds, parsed once. */
static inline const struct adbk_age_identity *fuzz_identity(void)
{
    static struct adbk_age_identity id;
    static int parsed;
    if (!parsed) {
        struct adbk_error err = {0};
        FUZZ_ASSERT(adbk_age_identity_parse(FUZZ_AGE_IDENTITY, &id, &err) == ADBK_OK);
        parsed = 1;
    }
    return &id;
}

/* The key that signed the signed seeds, and its public half. */
static inline const struct adbk_sign_key *fuzz_sign_key(void)
{
    static struct adbk_sign_key k;
    static int parsed;
    if (!parsed) {
        struct adbk_error err = {0};
        FUZZ_ASSERT(adbk_sign_key_parse(FUZZ_SIGN_SECRET, &k, &err) == ADBK_OK);
        parsed = 1;
    }
    return &k;
}

static inline const struct adbk_sign_public *fuzz_signer(void)
{
    static struct adbk_sign_public p;
    adbk_sign_key_public(fuzz_sign_key(), &p);
    return &p;
}

/* Opens data (after repairing its record checksums when fix is nonzero) into
 * *r with the reader options ro; the copy is returned in *copy and must
 * outlive the reader. */
static inline adbk_status fuzz_open_with(const uint8_t *data, size_t size, int fix,
                                         const struct adbk_reader_options *ro, uint8_t **copy,
                                         struct fuzz_buf *b, struct adbk_source *src,
                                         struct adbk_reader **r)
{
    *copy = malloc(size ? size : 1);
    FUZZ_ASSERT(*copy != NULL);
    if (size)
        memcpy(*copy, data, size);
    if (fix)
        fuzz_fix_records(*copy, size);
    b->p = *copy;
    b->len = size;
    *src = fuzz_source(b);
    struct adbk_error err = {0};
    adbk_status st = adbk_reader_open_source(src, ro, r, &err);
    if (st != ADBK_OK) {
        fuzz_check_error(st, &err);
        FUZZ_ASSERT(*r == NULL);
    }
    return st;
}

/* fuzz_open_with the default options: no key, so an encrypted archive
 * opens locked. */
static inline adbk_status fuzz_open(const uint8_t *data, size_t size, int fix, uint8_t **copy,
                                    struct fuzz_buf *b, struct adbk_source *src,
                                    struct adbk_reader **r)
{
    struct adbk_reader_options ro = fuzz_reader_options();
    return fuzz_open_with(data, size, fix, &ro, copy, b, src, r);
}

/* ------------------------------------------------------------ invariants */

struct fuzz_seen {
    const struct adbk_reader *r;
    uint64_t findings;
};

/* Each finding names a real member (by its own name) or none, and an offset
 * inside the file. */
static inline void fuzz_on_damage(void *ctx, const struct adbk_damage *d)
{
    struct fuzz_seen *s = ctx;
    s->findings++;
    FUZZ_ASSERT(d->status != ADBK_OK);
    FUZZ_ASSERT(d->message != NULL && d->message[0] != '\0');
    FUZZ_ASSERT(d->member >= -1 && d->member < (long)adbk_reader_count(s->r));
    if (d->member >= 0)
        FUZZ_ASSERT(d->member_name == adbk_reader_member(s->r, (size_t)d->member)->name);
    else
        FUZZ_ASSERT(d->member_name == NULL);
    FUZZ_ASSERT(d->offset <= adbk_reader_info(s->r)->file_size);
}

/* adbk_reader_verify, or its quick check, with the invariants above:
 * "intact" exactly when nothing was reported. */
static inline adbk_status fuzz_verify_one(struct adbk_reader *r, bool quick)
{
    struct fuzz_seen s = {.r = r};
    struct adbk_verify_callbacks cb = {.damage = fuzz_on_damage, .ctx = &s};
    struct adbk_verify_result res;
    struct adbk_error err = {0};
    adbk_status st = quick ? adbk_reader_verify_quick(r, &cb, &res, &err)
                           : adbk_reader_verify(r, &cb, &res, &err);
    FUZZ_ASSERT(res.damaged == s.findings);
    if (quick)
        FUZZ_ASSERT(res.content_bytes == 0);
    if (st == ADBK_OK) {
        FUZZ_ASSERT(s.findings == 0);
    } else {
        fuzz_check_error(st, &err);
        FUZZ_ASSERT(st != ADBK_E_NOMEM && st != ADBK_E_IO);
        FUZZ_ASSERT(s.findings > 0);
    }
    return st;
}

/* Verify and the quick check: the quick check is a part of verify, so it
 * never finds damage in an archive verify calls intact. */
static inline void fuzz_verify_checked(struct adbk_reader *r)
{
    adbk_status full = fuzz_verify_one(r, false);
    adbk_status quick = fuzz_verify_one(r, true);
    FUZZ_ASSERT(full != ADBK_OK || quick == ADBK_OK);
}

struct fuzz_got {
    XXH3_state_t *h;
    uint64_t bytes, limit;
};

static inline int fuzz_on_content(void *ctx, const void *buf, size_t len)
{
    struct fuzz_got *g = ctx;
    FUZZ_ASSERT(len > 0);
    g->bytes += len;
    FUZZ_ASSERT(g->bytes <= g->limit);
    XXH3_128bits_update(g->h, buf, len);
    return 0;
}

/* Reads every member: content never beyond the member's size, and a member
 * read as good has its size and XXH3-128; a failure is never out of memory,
 * an I/O error, or the status never_st (ADBK_OK: none more). */
static inline void fuzz_read_all(struct adbk_reader *r, adbk_status never_st)
{
    XXH3_state_t *h = XXH3_createState();
    FUZZ_ASSERT(h != NULL);
    for (size_t i = 0; i < adbk_reader_count(r); i++) {
        const struct adbk_entry *e = adbk_reader_member(r, i);
        struct fuzz_got g = {.h = h, .limit = e->size};
        XXH3_128bits_reset(h);
        struct adbk_error err = {0};
        adbk_status st = adbk_reader_read_member(r, i, fuzz_on_content, &g, &err);
        if (st == ADBK_OK) {
            FUZZ_ASSERT(g.bytes == e->size);
            XXH128_canonical_t c;
            XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h));
            FUZZ_ASSERT(memcmp(c.digest, e->xxh128, 16) == 0);
        } else {
            fuzz_check_error(st, &err);
            FUZZ_ASSERT(st != ADBK_E_NOMEM && st != ADBK_E_IO);
            FUZZ_ASSERT(never_st == ADBK_OK || st != never_st);
        }
    }
    XXH3_freeState(h);
}

#endif
