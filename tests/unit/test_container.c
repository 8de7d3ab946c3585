/*
 * test_container.c - the container library through its public API: round
 * trips, names, limits, damage and truncation, failing sinks, tail-only
 * listing and member-only reads.
 */
#include "harness.h"
#include "memio.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <xxhash.h>

#define SMALL_CHUNK 4096u

struct spec {
    const char *name;
    size_t size;
    unsigned kind;
};

/* A file in memory for adbk_writer_read_from, counting the reads made off
 * the caller's thread; fail_at (nonzero) fails the read at that offset. */
struct mem_file {
    const uint8_t *p;
    size_t len;
    pthread_t caller;
    uint64_t fail_at;
};
static unsigned file_reads, file_reads_off_caller;
static pthread_mutex_t file_lock = PTHREAD_MUTEX_INITIALIZER;

static int mem_file_read_at(void *ctx, uint64_t off, void *buf, size_t len, size_t *got)
{
    const struct mem_file *f = ctx;
    pthread_mutex_lock(&file_lock);
    file_reads++;
    file_reads_off_caller += !pthread_equal(pthread_self(), f->caller);
    pthread_mutex_unlock(&file_lock);
    if (f->fail_at && off == f->fail_at)
        return EACCES;
    size_t n = off >= f->len ? 0 : f->len - off < len ? (size_t)(f->len - off) : len;
    memcpy(buf, f->p + off, n);
    *got = n;
    return 0;
}

/* Writes members of the given sizes (content from fill_pattern(seed = index))
 * into m, alternating write() in odd pieces and reserve/commit. With ask,
 * a member i with ask[i] > 0 is added with adbk_writer_read_from instead,
 * from a file of its size, asking for ask[i] bytes (more: the file shrank
 * since its size was taken; 5 bytes written after that are left out too). */
static adbk_status build_asked(struct membuf *m, const struct spec *specs, const size_t *ask,
                               size_t n, uint32_t chunk, unsigned threads,
                               struct adbk_error *err)
{
    static const uint8_t id[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    struct adbk_writer_options o = {.level = 3, .threads = threads, .chunk_size = chunk,
                                    .archive_id = id, .has_created = 1,
                                    .created_sec = 1700000000, .tool = "adbk test"};
    struct adbk_sink sink = membuf_sink(m);
    struct adbk_writer *w;
    adbk_status st = adbk_writer_open(&sink, &o, &w, err);
    if (st != ADBK_OK)
        return st;
    st = adbk_writer_set_property(w, "source", "files", err);
    for (size_t i = 0; i < n && st == ADBK_OK; i++) {
        struct adbk_member_info mi = {.name = specs[i].name, .kind = specs[i].kind ? specs[i].kind : ADBK_KIND_FILE,
                                      .flags = ADBK_HAS_MTIME | ADBK_HAS_MODE,
                                      .mtime_sec = 1600000000 + (int64_t)i, .mode = 0640};
        st = adbk_writer_begin_member(w, &mi, err);
        uint8_t *data = malloc(specs[i].size + 1);
        fill_pattern(data, specs[i].size, i);
        size_t done = 0, piece = 1;
        struct mem_file f = {.p = data, .len = specs[i].size, .caller = pthread_self()};
        if (st == ADBK_OK && ask && ask[i]) { /* f and data live until end_member */
            st = adbk_writer_read_from(w, mem_file_read_at, &f, 0, ask[i], err);
            if (st == ADBK_OK && ask[i] > specs[i].size)
                st = adbk_writer_write(w, "grown", 5, err);
            done = specs[i].size;
        }
        while (st == ADBK_OK && done < specs[i].size) {
            if (i % 2 == 0) {
                size_t k = piece < specs[i].size - done ? piece : specs[i].size - done;
                st = adbk_writer_write(w, data + done, k, err);
                done += k;
                piece = piece * 3 + 7; /* sizes that straddle chunk ends */
            } else {
                void *dst;
                size_t cap;
                st = adbk_writer_reserve(w, &dst, &cap, err);
                if (st != ADBK_OK)
                    break;
                size_t k = cap < specs[i].size - done ? cap : specs[i].size - done;
                k = k > 1000 ? k - 999 : k; /* commit less than offered, too */
                memcpy(dst, data + done, k);
                st = adbk_writer_commit(w, k, err);
                done += k;
            }
        }
        if (st == ADBK_OK)
            st = adbk_writer_end_member(w, err);
        free(data);
    }
    if (st == ADBK_OK)
        st = adbk_writer_finish(w, err);
    adbk_writer_free(w);
    return st;
}

static adbk_status build(struct membuf *m, const struct spec *specs, size_t n, uint32_t chunk,
                         unsigned threads, struct adbk_error *err)
{
    return build_asked(m, specs, NULL, n, chunk, threads, err);
}

static void check_roundtrip(struct membuf *m, const struct spec *specs, size_t n, unsigned threads)
{
    struct adbk_source src = membuf_source(m);
    struct adbk_reader_options ro = {.threads = threads};
    struct adbk_reader *r;
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, adbk_reader_open_source(&src, &ro, &r, &err), &err);
    EXPECT_EQ_U64(n, adbk_reader_count(r));
    EXPECT_STR("files", adbk_reader_property(r, "source"));
    for (size_t i = 0; i < n && i < adbk_reader_count(r); i++) {
        const struct adbk_entry *e = adbk_reader_member(r, i);
        EXPECT_STR(specs[i].name, e->name);
        EXPECT_EQ_U64(specs[i].size, e->size);
        EXPECT_EQ_U64(0640, e->mode);
        EXPECT_EQ_U64(1600000000 + i, (uint64_t)e->mtime_sec);
        EXPECT_EQ_U64(i, (uint64_t)adbk_reader_find(r, specs[i].name));
        uint8_t *want = malloc(specs[i].size + 1);
        fill_pattern(want, specs[i].size, i);
        XXH128_canonical_t c;
        XXH128_canonicalFromHash(&c, XXH3_128bits(want, specs[i].size));
        EXPECT_TRUE(memcmp(c.digest, e->xxh128, 16) == 0);
        struct membuf got = {0};
        EXPECT_STATUS_FOR(ADBK_OK, adbk_reader_read_member(r, i, collect, &got, &err), &err,
                          "read member %s", specs[i].name);
        EXPECT_EQ_U64(specs[i].size, got.len);
        EXPECT_TRUE(got.len == specs[i].size && (got.len == 0 || memcmp(got.p, want, got.len) == 0));
        free(got.p);
        free(want);
    }
    struct adbk_verify_result vr;
    EXPECT_STATUS(ADBK_OK, adbk_reader_verify(r, NULL, &vr, &err), &err);
    EXPECT_EQ_U64(0, vr.damaged);
    adbk_reader_close(r);
}

/* Sizes around the chunk size: -1, 0, +1, and several chunks. */
TEST(roundtrip_sizes_around_chunk_size)
{
    const struct spec specs[] = {
        {"empty", 0, 0}, {"one", 1, 0}, {"chunk-1", SMALL_CHUNK - 1, 0},
        {"chunk", SMALL_CHUNK, 0}, {"chunk+1", SMALL_CHUNK + 1, 0},
        {"three-chunks", 3 * SMALL_CHUNK, 0}, {"three-chunks+1", 3 * SMALL_CHUNK + 1, 0},
        {"dir/sub/big", 100000, 0},
    };
    for (unsigned threads = 1; threads <= 3; threads++) {
        struct membuf m = {0};
        struct adbk_error err = {0};
        size_t n = sizeof specs / sizeof specs[0];
        if (EXPECT_STATUS_FOR(ADBK_OK, build(&m, specs, n, SMALL_CHUNK, threads, &err), &err,
                              "build with %u threads", threads))
            check_roundtrip(&m, specs, n, threads);
        EXPECT_TRUE(m.finished);
        free(m.p);
    }
}

TEST(roundtrip_default_chunk_size)
{
    const struct spec specs[] = {{"ntds.dit", 9u << 20, ADBK_KIND_DATABASE},
                                 {"edb00001.log", 1u << 20, ADBK_KIND_LOG}};
    struct membuf m = {0};
    struct adbk_error err = {0};
    if (EXPECT_STATUS(ADBK_OK, build(&m, specs, 2, 0, 0, &err), &err))
        check_roundtrip(&m, specs, 2, 0);
    free(m.p);
}

TEST(many_small_members)
{
    enum { N = 1500 };
    struct spec *specs = calloc(N, sizeof *specs);
    char (*names)[32] = calloc(N, 32);
    for (size_t i = 0; i < N; i++) {
        snprintf(names[i], 32, "d%zu/f%zu", i % 7, i);
        specs[i].name = names[i];
        specs[i].size = i % 97;
    }
    struct membuf m = {0};
    struct adbk_error err = {0};
    if (EXPECT_STATUS(ADBK_OK, build(&m, specs, N, SMALL_CHUNK, 2, &err), &err))
        check_roundtrip(&m, specs, N, 2);
    free(m.p);
    free(specs);
    free(names);
}

TEST(non_ascii_names)
{
    const struct spec specs[] = {{"Active Directory/ntds.dit", 5000, ADBK_KIND_DATABASE},
                                 {"\xC3\x84mter/\xE6\x97\xA5\xE6\x9C\xAC.txt", 10, 0},
                                 {"emoji-\xF0\x9F\x98\x80", 3, 0}};
    struct membuf m = {0};
    struct adbk_error err = {0};
    if (EXPECT_STATUS(ADBK_OK, build(&m, specs, 3, SMALL_CHUNK, 1, &err), &err))
        check_roundtrip(&m, specs, 3, 1);
    free(m.p);
}

TEST(writer_refuses_unsafe_and_duplicate_names)
{
    static const char *const bad[] = {
        "", "/etc/passwd", "../up", "a/../b", "a//b", "a/", "./a", "a\\b", "C:x",
        "ctl\x01", "bad\xC3", "over\xC0\xAF", "del\x7F",
    };
    struct membuf m = {0};
    struct adbk_sink sink = membuf_sink(&m);
    struct adbk_writer *w;
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, adbk_writer_open(&sink, NULL, &w, &err), &err);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct adbk_member_info mi = {.name = bad[i], .kind = ADBK_KIND_FILE};
        err.message[0] = '\0';
        EXPECT_STATUS_FOR(ADBK_E_ARG, adbk_writer_begin_member(w, &mi, &err), &err,
                          "bad name %zu", i);
        EXPECT_TRUE(err.message[0] != '\0');
    }
    struct adbk_member_info ok = {.name = "same", .kind = ADBK_KIND_FILE};
    EXPECT_STATUS(ADBK_OK, adbk_writer_begin_member(w, &ok, &err), &err);
    EXPECT_STATUS(ADBK_OK, adbk_writer_end_member(w, &err), &err);
    EXPECT_STATUS(ADBK_E_ARG, adbk_writer_begin_member(w, &ok, &err), &err);
    EXPECT_TRUE(strstr(err.message, "already") != NULL);
    /* Wrong-state calls. */
    EXPECT_STATUS(ADBK_E_STATE, adbk_writer_write(w, "x", 1, &err), &err);
    EXPECT_STATUS(ADBK_E_STATE, adbk_writer_end_member(w, &err), &err);
    EXPECT_STATUS(ADBK_OK, adbk_writer_finish(w, &err), &err);
    EXPECT_STATUS(ADBK_E_STATE, adbk_writer_begin_member(w, &ok, &err), &err);
    adbk_writer_free(w);
    free(m.p);
}

static const struct spec small_specs[] = {
    {"ntds.dit", 2 * SMALL_CHUNK + 100, ADBK_KIND_DATABASE},
    {"empty.log", 0, ADBK_KIND_LOG},
    {"token", 40, ADBK_KIND_EXPIRY_TOKEN},
};

/* Opens m and verifies it in full, or with the quick check. */
static adbk_status open_and_check(struct membuf *m, bool quick, struct adbk_error *err)
{
    struct adbk_source src = membuf_source(m);
    struct adbk_reader_options ro = {.threads = 1};
    struct adbk_reader *r;
    adbk_status st = adbk_reader_open_source(&src, &ro, &r, err);
    if (st != ADBK_OK)
        return st;
    st = quick ? adbk_reader_verify_quick(r, NULL, NULL, err) : adbk_reader_verify(r, NULL, NULL, err);
    adbk_reader_close(r);
    return st;
}

static adbk_status open_and_verify(struct membuf *m, struct adbk_error *err)
{
    return open_and_check(m, false, err);
}

/* Every single flipped byte anywhere in the file is detected, by verify and
 * by the quick check, which decompresses nothing (FORMAT.md 8). */
static void every_flip_detected(bool quick)
{
    struct membuf m = {0};
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, build(&m, small_specs, 3, SMALL_CHUNK, 1, &err), &err);
    REQUIRE_STATUS(ADBK_OK, open_and_check(&m, quick, &err), &err);
    size_t missed = 0;
    for (size_t i = 0; i < m.len; i++) {
        for (unsigned mask = 0x01; mask <= 0x80; mask <<= 7) { /* low and high bit */
            m.p[i] ^= (uint8_t)mask;
            adbk_status st = open_and_check(&m, quick, &err);
            m.p[i] ^= (uint8_t)mask;
            if (st == ADBK_OK) {
                if (missed++ < 10)
                    TEST_FAIL_AT("flip 0x%02X at byte %zu of %zu not detected", mask, i, m.len);
            } else if (err.message[0] == '\0') {
                TEST_FAIL_AT("flip at %zu: %s without a message", i, adbk_status_name(st));
            }
        }
    }
    EXPECT_EQ_U64(0, missed);
    fprintf(stderr, "%s: flipped 2 bits in each of %zu bytes: all detected\n",
            quick ? "quick check" : "verify", m.len);
    free(m.p);
}

TEST(every_flipped_byte_is_detected)
{
    every_flip_detected(false);
}

TEST(every_flipped_byte_is_detected_by_the_quick_check)
{
    every_flip_detected(true);
}

/* Cut at every offset: open or verify fails with a clear status. */
TEST(every_truncation_fails_cleanly)
{
    struct membuf m = {0};
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, build(&m, small_specs, 3, SMALL_CHUNK, 1, &err), &err);
    size_t full = m.len, accepted = 0;
    for (size_t cut = 0; cut < full; cut++) {
        m.len = cut;
        err.message[0] = '\0';
        adbk_status st = open_and_verify(&m, &err);
        if (st == ADBK_OK)
            accepted++;
        else
            EXPECT_STATUS_FOR(ONE_OF(ADBK_E_TRUNCATED, ADBK_E_CORRUPT, ADBK_E_NOT_ADBK), st, &err,
                              "cut at %zu", cut);
    }
    EXPECT_EQ_U64(0, accepted);
    m.len = full;
    EXPECT_STATUS(ADBK_OK, open_and_verify(&m, &err), &err);
    fprintf(stderr, "cut at %zu offsets: all refused\n", full);
    free(m.p);
}

/* Rewrites the header's major version and fixes its checksum. */
TEST(newer_major_version_is_refused_with_a_clear_message)
{
    struct membuf m = {0};
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, build(&m, small_specs, 3, SMALL_CHUNK, 1, &err), &err);
    uint32_t payload = (uint32_t)m.p[4] | (uint32_t)m.p[5] << 8;
    m.p[12] = 3; /* Format_Major = 3: after 2.0, the encrypted format */
    uint64_t sum = XXH3_64bits(m.p + 8, payload - 8);
    for (int i = 0; i < 8; i++)
        m.p[8 + payload - 8 + i] = (uint8_t)(sum >> (8 * i));
    EXPECT_STATUS(ADBK_E_VERSION, open_and_verify(&m, &err), &err);
    EXPECT_TRUE(strstr(err.message, "3.2 is newer") != NULL); /* the minor as written */
    free(m.p);
}

/* Format 2 is the encrypted format: a header that says 2 without the
 * Encrypted flag (or the flag with 1) is damage, named as such. */
TEST(encrypted_flag_and_major_version_must_agree)
{
    struct membuf m = {0};
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, build(&m, small_specs, 3, SMALL_CHUNK, 1, &err), &err);
    uint32_t payload = (uint32_t)m.p[4] | (uint32_t)m.p[5] << 8;
    for (int variant = 0; variant < 2; variant++) {
        struct membuf c = {.p = malloc(m.len), .len = m.len, .cap = m.len};
        REQUIRE_TRUE(c.p != NULL);
        memcpy(c.p, m.p, m.len);
        if (variant == 0)
            c.p[12] = 2;  /* Format_Major 2, flags 0 */
        else
            c.p[16] |= 1; /* Header_Flags bit 0 on a 1.2 archive */
        uint64_t sum = XXH3_64bits(c.p + 8, payload - 8);
        for (int i = 0; i < 8; i++)
            c.p[8 + payload - 8 + i] = (uint8_t)(sum >> (8 * i));
        EXPECT_STATUS(ADBK_E_CORRUPT, open_and_verify(&c, &err), &err);
        EXPECT_TRUE(strstr(err.message, "Encrypted flag") != NULL);
        free(c.p);
    }
    free(m.p);
}

TEST(not_an_archive_is_named_as_such)
{
    struct membuf m = {0};
    struct adbk_error err = {0};
    membuf_write(&m, "hello, this is plain text and not an archive at all", 51);
    EXPECT_STATUS(ADBK_E_NOT_ADBK, open_and_verify(&m, &err), &err);
    EXPECT_TRUE(strstr(err.message, "not an adbk archive") != NULL);
    free(m.p);
}

/* The Nth write of the sink fails: the writer reports it and frees cleanly. */
TEST(failing_sink_is_reported_at_every_write)
{
    struct membuf probe = {0};
    struct adbk_error err = {0};
    probe.fail_write = 0;
    REQUIRE_STATUS(ADBK_OK, build(&probe, small_specs, 3, SMALL_CHUNK, 2, &err), &err);
    long writes = 0;
    {
        struct membuf count = {.fail_write = 1000000};
        build(&count, small_specs, 3, SMALL_CHUNK, 2, &err);
        writes = count.writes;
        free(count.p);
    }
    REQUIRE_TRUE(writes > 5);
    for (long n = 1; n <= writes; n++) {
        struct membuf m = {.fail_write = n};
        err.message[0] = '\0';
        EXPECT_STATUS_FOR(ADBK_E_IO, build(&m, small_specs, 3, SMALL_CHUNK, 2, &err), &err,
                          "write %ld failing", n);
        EXPECT_TRUE(strstr(err.message, "memory archive") != NULL);
        EXPECT_TRUE(!m.finished);
        free(m.p);
    }
    free(probe.p);
}

/* A source that counts the bytes read and remembers the lowest offset. */
struct counting {
    struct membuf *m;
    uint64_t bytes, lowest;
};
static int counting_read_at(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct counting *c = ctx;
    c->bytes += len;
    if (off < c->lowest && off > 64) /* the header at 0 is always read */
        c->lowest = off;
    return membuf_read_at(c->m, off, buf, len);
}

/* Opening reads the header and the tail only, whatever the content size. */
TEST(open_reads_only_the_tail)
{
    uint64_t read_small = 0, read_big = 0;
    for (int big = 0; big <= 1; big++) {
        struct spec specs[] = {{"a", big ? 6u << 20 : 1000, 0}, {"b", 10, 0}};
        struct membuf m = {0};
        struct adbk_error err = {0};
        REQUIRE_STATUS(ADBK_OK, build(&m, specs, 2, 64u << 10, 2, &err), &err);
        struct counting c = {.m = &m, .lowest = UINT64_MAX};
        struct adbk_source src = {counting_read_at, &c, m.len, "counted", NULL};
        struct adbk_reader *r;
        REQUIRE_STATUS(ADBK_OK, adbk_reader_open_source(&src, NULL, &r, &err), &err);
        EXPECT_TRUE(c.lowest >= adbk_reader_member(r, 1)->offset);
        adbk_reader_close(r);
        *(big ? &read_big : &read_small) = c.bytes;
        free(m.p);
    }
    EXPECT_EQ_U64(read_small, read_big);
}

/* Reading one member touches none of the other members' bytes. */
TEST(read_member_reads_only_its_frames)
{
    struct spec specs[] = {{"first", 50000, 0}, {"second", 30000, 0}};
    struct membuf m = {0};
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, build(&m, specs, 2, SMALL_CHUNK, 2, &err), &err);
    struct counting c = {.m = &m, .lowest = UINT64_MAX};
    struct adbk_source src = {counting_read_at, &c, m.len, "counted", NULL};
    struct adbk_reader *r;
    REQUIRE_STATUS(ADBK_OK, adbk_reader_open_source(&src, NULL, &r, &err), &err);
    c.lowest = UINT64_MAX;
    REQUIRE_STATUS(ADBK_OK, adbk_reader_read_member(r, 1, NULL, NULL, &err), &err);
    EXPECT_TRUE(c.lowest >= adbk_reader_member(r, 1)->offset);
    adbk_reader_close(r);
    free(m.p);
}

struct found {
    int n;
    long member;
    int64_t chunk;
    uint64_t offset;
    adbk_status status;
};

static void first_damage(void *ctx, const struct adbk_damage *d)
{
    struct found *f = ctx;
    if (f->n++ == 0) {
        f->member = d->member;
        f->chunk = d->chunk;
        f->offset = d->offset;
        f->status = d->status;
    }
}

/* The offset of the second chunk frame of member 0 (ntds.dit) of the small
 * archive in m, whose member record is at member_rec: the first zstd magic
 * after its first chunk's. */
static uint64_t second_chunk(const struct membuf *m, uint64_t member_rec)
{
    uint32_t rec_len = 8u + ((uint32_t)m->p[member_rec + 4] | (uint32_t)m->p[member_rec + 5] << 8);
    uint64_t chunk1 = member_rec + rec_len + 4;
    while (!(m->p[chunk1] == 0x28 && m->p[chunk1 + 1] == 0xB5 && m->p[chunk1 + 2] == 0x2F))
        chunk1++;
    return chunk1;
}

/* A damaged chunk is named: member, chunk number and byte offset. The byte
 * changed is a literal, so the frame still decodes, to wrong content: verify's
 * first pass (no Content_Checksum) sees only the member's Content_Hash fail,
 * and its second, checked pass must name the chunk. */
TEST(damage_report_names_member_chunk_and_offset)
{
    struct membuf m = {0};
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, build(&m, small_specs, 3, SMALL_CHUNK, 1, &err), &err);
    struct adbk_source src = membuf_source(&m);
    struct adbk_reader *r;
    REQUIRE_STATUS(ADBK_OK, adbk_reader_open_source(&src, NULL, &r, &err), &err);
    const struct adbk_entry *e = adbk_reader_member(r, 0);
    /* Damage the middle of the second chunk frame of ntds.dit. */
    struct adbk_verify_result vr;
    uint64_t chunk1 = second_chunk(&m, e->offset);
    adbk_reader_close(r);
    m.p[chunk1 + 20] ^= 0x55;
    REQUIRE_STATUS(ADBK_OK, adbk_reader_open_source(&src, NULL, &r, &err), &err);
    struct found f = {0, -2, -2, 0, ADBK_OK};
    struct adbk_verify_callbacks cb = {0};
    cb.ctx = &f;
    cb.damage = first_damage;
    EXPECT_STATUS(ADBK_E_CHECKSUM, adbk_reader_verify(r, &cb, &vr, &err), &err);
    EXPECT_EQ_U64(1, vr.damaged);
    EXPECT_EQ_U64(1, f.n);
    EXPECT_TRUE(f.member == 0);
    EXPECT_TRUE(f.chunk == 1);
    EXPECT_EQ_U64(chunk1, f.offset);
    EXPECT_STATUS(ADBK_E_CHECKSUM, f.status, NULL); /* zstd's Content_Checksum: the checked pass */
    /* And read_member says the same, with the chunk's place. */
    EXPECT_STATUS(ONE_OF(ADBK_E_CHECKSUM, ADBK_E_CORRUPT),
                  adbk_reader_read_member(r, 0, NULL, NULL, &err), &err);
    char where[64];
    snprintf(where, sizeof where, "chunk 1 (bytes %llu..", (unsigned long long)chunk1);
    if (!strstr(err.message, where))
        TEST_FAIL_AT("message lacks \"%s\": %s", where, err.message);
    EXPECT_TRUE(strstr(err.message, "ntds.dit") != NULL);
    /* The intact members still read. */
    EXPECT_STATUS(ADBK_OK, adbk_reader_read_member(r, 2, NULL, NULL, &err), &err);
    adbk_reader_close(r);
    free(m.p);
}

/* The quick check reads every byte and decompresses none: an intact archive
 * passes with no content bytes checked, and a damaged chunk is named as
 * verify names it (the damaged member is decoded to find it). */
TEST(quick_check_reads_stored_bytes_only)
{
    struct membuf m = {0};
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, build(&m, small_specs, 3, SMALL_CHUNK, 2, &err), &err);
    struct adbk_source src = membuf_source(&m);
    struct adbk_reader *r;
    REQUIRE_STATUS(ADBK_OK, adbk_reader_open_source(&src, NULL, &r, &err), &err);
    struct adbk_verify_result full, quick;
    EXPECT_STATUS(ADBK_OK, adbk_reader_verify(r, NULL, &full, &err), &err);
    EXPECT_STATUS(ADBK_OK, adbk_reader_verify_quick(r, NULL, &quick, &err), &err);
    EXPECT_EQ_U64(2 * SMALL_CHUNK + 100 + 40, full.content_bytes);
    EXPECT_EQ_U64(0, quick.content_bytes);
    EXPECT_EQ_U64(full.frames_checked, quick.frames_checked);
    EXPECT_EQ_U64(m.len, quick.bytes_checked);
    uint64_t chunk1 = second_chunk(&m, adbk_reader_member(r, 0)->offset);
    adbk_reader_close(r);

    /* A damaged chunk: found and named (member, chunk, offset). */
    m.p[chunk1 + 20] ^= 0x55;
    REQUIRE_STATUS(ADBK_OK, adbk_reader_open_source(&src, NULL, &r, &err), &err);
    struct found f = {0, -2, -2, 0, ADBK_OK};
    struct adbk_verify_callbacks cb = {.damage = first_damage, .ctx = &f};
    EXPECT_STATUS(ADBK_E_CHECKSUM, adbk_reader_verify_quick(r, &cb, &quick, &err), &err);
    EXPECT_EQ_U64(1, f.n);
    EXPECT_TRUE(f.member == 0 && f.chunk == 1);
    EXPECT_EQ_U64(chunk1, f.offset);
    adbk_reader_close(r);
    free(m.p);
}

/* What adbk_reader_write_member did: where each chunk went, from which
 * thread, and what the caller's thread heard. */
struct placed {
    pthread_mutex_t lock;
    pthread_t caller;
    uint8_t *file;            /* the member's bytes, as written */
    uint64_t size, heard;
    unsigned writes, off_caller, misplaced, fail_at;
};

static int place(void *ctx, uint64_t offset, const void *buf, size_t len)
{
    struct placed *p = ctx;
    pthread_mutex_lock(&p->lock);
    unsigned n = p->writes++;
    if (!pthread_equal(pthread_self(), p->caller))
        p->off_caller++;
    if (offset % SMALL_CHUNK != 0 || offset + len > p->size)
        p->misplaced++;
    else
        memcpy(p->file + offset, buf, len);
    pthread_mutex_unlock(&p->lock);
    return p->fail_at && n + 1 == p->fail_at ? ENOSPC : 0;
}

static int heard(void *ctx, const void *buf, size_t len)
{
    struct placed *p = ctx;
    (void)buf;
    if (!pthread_equal(pthread_self(), p->caller))
        p->misplaced++; /* told on another thread than the caller's */
    p->heard += len;
    return 0;
}

/* Writing a member in parallel: every chunk is written once, at its place,
 * by the workers rather than the caller's thread; the caller hears of every
 * byte; a failing write stops the read with ADBK_E_IO naming the member. */
TEST(write_member_writes_each_chunk_in_place_from_the_workers)
{
    const struct spec specs[] = {{"ntds.dit", 10 * SMALL_CHUNK + 7, ADBK_KIND_DATABASE}};
    struct membuf m = {0};
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, build(&m, specs, 1, SMALL_CHUNK, 2, &err), &err);
    struct adbk_source src = membuf_source(&m);
    struct adbk_reader_options ro = {.threads = 4};
    struct adbk_reader *r;
    REQUIRE_STATUS(ADBK_OK, adbk_reader_open_source(&src, &ro, &r, &err), &err);
    uint8_t *want = malloc(specs[0].size);
    fill_pattern(want, specs[0].size, 0);

    struct placed p = {.lock = PTHREAD_MUTEX_INITIALIZER, .caller = pthread_self(),
                       .file = calloc(1, specs[0].size), .size = specs[0].size};
    EXPECT_STATUS(ADBK_OK, adbk_reader_write_member(r, 0, place, &p, heard, &p, &err), &err);
    EXPECT_EQ_U64(11, p.writes);
    EXPECT_EQ_U64(11, p.off_caller);
    EXPECT_EQ_U64(0, p.misplaced);
    EXPECT_EQ_U64(specs[0].size, p.heard);
    EXPECT_TRUE(memcmp(p.file, want, specs[0].size) == 0);

    struct placed full = {.lock = PTHREAD_MUTEX_INITIALIZER, .caller = pthread_self(),
                          .file = calloc(1, specs[0].size), .size = specs[0].size, .fail_at = 4};
    EXPECT_STATUS(ADBK_E_IO, adbk_reader_write_member(r, 0, place, &full, heard, &full, &err),
                  &err);
    EXPECT_TRUE(strstr(err.message, "\"ntds.dit\"") && strstr(err.message, strerror(ENOSPC)));
    EXPECT_TRUE(full.heard < specs[0].size);
    adbk_reader_close(r);
    free(full.file);
    free(p.file);
    free(want);
    free(m.p);
}

/* adbk_writer_read_from: each whole chunk is read by a worker, the tail by
 * the caller, and the archive is the one adbk_writer_write makes of the
 * same bytes. */
TEST(read_from_reads_whole_chunks_in_the_workers_and_writes_the_same_archive)
{
    const struct spec specs[] = {
        {"ntds.dit", 10 * SMALL_CHUNK + SMALL_CHUNK / 2, ADBK_KIND_DATABASE},
        {"edb.log", 3 * SMALL_CHUNK, ADBK_KIND_LOG}};
    const size_t ask[] = {specs[0].size, specs[1].size};
    struct membuf written = {0}, read = {0};
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, build(&written, specs, 2, SMALL_CHUNK, 4, &err), &err);
    file_reads = file_reads_off_caller = 0;
    REQUIRE_STATUS(ADBK_OK, build_asked(&read, specs, ask, 2, SMALL_CHUNK, 4, &err), &err);
    EXPECT_EQ_U64(14, file_reads);            /* 10 + 3 whole chunks, and one tail */
    EXPECT_EQ_U64(13, file_reads_off_caller); /* the whole chunks, by the workers */
    EXPECT_TRUE(read.len == written.len && memcmp(read.p, written.p, read.len) == 0);
    check_roundtrip(&read, specs, 2, 2);
    free(written.p);
    free(read.p);
}

/* A file that shrank after its size was taken: the member ends where the
 * data did (a short chunk, or none), and what was added after is left out;
 * the next member is whole. */
TEST(read_from_a_file_that_shrank_ends_the_member_where_its_data_ends)
{
    const struct spec specs[] = {{"shrank-mid-chunk", 2 * SMALL_CHUNK + SMALL_CHUNK / 2, 0},
                                 {"shrank-at-a-chunk-end", 2 * SMALL_CHUNK, 0},
                                 {"whole", SMALL_CHUNK + 5, 0}};
    const size_t ask[] = {4 * SMALL_CHUNK, 4 * SMALL_CHUNK, 0};
    for (unsigned threads = 1; threads <= 3; threads += 2) {
        struct membuf m = {0};
        struct adbk_error err = {0};
        REQUIRE_STATUS(ADBK_OK, build_asked(&m, specs, ask, 3, SMALL_CHUNK, threads, &err),
                       &err);
        check_roundtrip(&m, specs, 3, threads);
        struct adbk_source src = membuf_source(&m);
        struct adbk_reader *r;
        REQUIRE_STATUS(ADBK_OK, adbk_reader_open_source(&src, NULL, &r, &err), &err);
        EXPECT_EQ_U64(3, adbk_reader_member(r, 0)->chunk_count);
        EXPECT_EQ_U64(2, adbk_reader_member(r, 1)->chunk_count);
        adbk_reader_close(r);
        free(m.p);
    }
}

/* A read that fails in a worker fails the archive, naming the file and the
 * cause. */
TEST(read_from_a_failing_file_fails_naming_it_and_the_cause)
{
    static const uint8_t data[4 * SMALL_CHUNK];
    struct membuf m = {0};
    struct adbk_sink sink = membuf_sink(&m);
    struct adbk_writer_options o = {.threads = 2, .chunk_size = SMALL_CHUNK};
    struct adbk_writer *w;
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, adbk_writer_open(&sink, &o, &w, &err), &err);
    struct adbk_member_info mi = {.name = "ntds.dit", .kind = ADBK_KIND_DATABASE,
                                  .source_path = "/var/lib/dc/ntds.dit"};
    struct mem_file f = {.p = data, .len = sizeof data, .caller = pthread_self(),
                         .fail_at = 2 * SMALL_CHUNK};
    adbk_status st = adbk_writer_begin_member(w, &mi, &err);
    if (st == ADBK_OK)
        st = adbk_writer_read_from(w, mem_file_read_at, &f, 0, sizeof data, &err);
    if (st == ADBK_OK)
        st = adbk_writer_end_member(w, &err);
    if (st == ADBK_OK)
        st = adbk_writer_finish(w, &err);
    EXPECT_STATUS(ADBK_E_IO, st, &err);
    EXPECT_TRUE(strstr(err.message, "/var/lib/dc/ntds.dit") && strstr(err.message, "8192") &&
                strstr(err.message, strerror(EACCES)));
    adbk_writer_free(w);
    free(m.p);
}

/* adbk_status_name gives the enum's own names, which test reports print. */
TEST(status_names_are_the_enum_names)
{
    EXPECT_STR("ADBK_OK", adbk_status_name(ADBK_OK));
    EXPECT_STR("ADBK_E_CORRUPT", adbk_status_name(ADBK_E_CORRUPT));
    EXPECT_STR("ADBK_E_OTHER_DC", adbk_status_name(ADBK_E_OTHER_DC));
    EXPECT_STR("unknown status", adbk_status_name((adbk_status)99));
}

TEST_MAIN()
