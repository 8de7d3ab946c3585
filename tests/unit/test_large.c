/*
 * test_large.c - 64-bit sizes and offsets: a 100 GiB member, generated on
 * the fly and compressed into memory (its chunks repeat, so the archive stays
 * small), then listed and read back through every check. Nothing is written to disk.
 * Labelled "slow": the plain build runs it, the sanitizer build skips it.
 */
#include "harness.h"
#include "memio.h"

#include <xxhash.h>

#define CHUNK (4u << 20)

/* Chunk k of the member: a fixed random block with k stamped in front, so
 * every chunk differs and a reordering would change the hash. */
/* Bytes at..at+n-1 of chunk k: the block, with k in the chunk's first 8. */
static void make_chunk(uint8_t *dst, const uint8_t *block, uint64_t k, size_t at, size_t n)
{
    memcpy(dst, block + at, n);
    if (at < 8)
        memcpy(dst, (const uint8_t *)&k + at, n < 8 - at ? n : 8 - at);
}

/* Counts what the reader delivers; the content itself is checked by the
 * reader against the index hash, which this test computed independently. */
static int count_bytes(void *ctx, const void *buf, size_t len)
{
    (void)buf;
    *(uint64_t *)ctx += len;
    return 0;
}

TEST(member_of_100_gib)
{
    const uint64_t size = 100ull << 30 | 12345; /* not a chunk multiple */
    uint8_t *block = malloc(CHUNK);
    /* Each chunk is an independent frame, so it must compress on its own:
     * a 4 KiB random block repeated keeps the archive near 100 MiB. */
    fill_pattern(block, 4096, 7);
    for (size_t off = 4096; off < CHUNK; off += 4096)
        memcpy(block + off, block, 4096);
    struct membuf m = {0};
    struct adbk_sink sink = membuf_sink(&m);
    struct adbk_writer_options o = {.level = 1, .chunk_size = CHUNK};
    struct adbk_writer *w;
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, adbk_writer_open(&sink, &o, &w, &err), &err);
    struct adbk_member_info mi = {.name = "ntds.dit", .kind = ADBK_KIND_DATABASE};
    REQUIRE_STATUS(ADBK_OK, adbk_writer_begin_member(w, &mi, &err), &err);
    XXH3_state_t *h = XXH3_createState();
    XXH3_128bits_reset(h);
    for (uint64_t done = 0; done < size;) {
        void *dst;
        size_t cap;
        REQUIRE_STATUS(ADBK_OK, adbk_writer_reserve(w, &dst, &cap, &err), &err);
        /* The space is in the current chunk (its buffer may not have grown
         * to the whole chunk yet). */
        REQUIRE_TRUE(cap >= 1 && cap <= CHUNK - done % CHUNK);
        size_t n = size - done < cap ? (size_t)(size - done) : cap;
        make_chunk(dst, block, done / CHUNK, (size_t)(done % CHUNK), n);
        XXH3_128bits_update(h, dst, n);
        REQUIRE_STATUS(ADBK_OK, adbk_writer_commit(w, n, &err), &err);
        done += n;
    }
    REQUIRE_STATUS(ADBK_OK, adbk_writer_end_member(w, &err), &err);
    struct adbk_member_info small = {.name = "after", .kind = ADBK_KIND_FILE};
    REQUIRE_STATUS(ADBK_OK, adbk_writer_begin_member(w, &small, &err), &err);
    REQUIRE_STATUS(ADBK_OK, adbk_writer_write(w, "tail", 4, &err), &err);
    REQUIRE_STATUS(ADBK_OK, adbk_writer_end_member(w, &err), &err);
    REQUIRE_STATUS(ADBK_OK, adbk_writer_finish(w, &err), &err);
    adbk_writer_free(w);
    fprintf(stderr, "100 GiB member stored in %zu bytes\n", m.len);

    struct adbk_source src = membuf_source(&m);
    struct adbk_reader *r;
    REQUIRE_STATUS(ADBK_OK, adbk_reader_open_source(&src, NULL, &r, &err), &err);
    const struct adbk_entry *e = adbk_reader_member(r, 0);
    EXPECT_EQ_U64(size, e->size);
    EXPECT_EQ_U64((size + CHUNK - 1) / CHUNK, e->chunk_count);
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h));
    EXPECT_TRUE(memcmp(c.digest, e->xxh128, 16) == 0);
    EXPECT_EQ_U64(4, adbk_reader_member(r, 1)->size);
    uint64_t delivered = 0;
    EXPECT_STATUS(ADBK_OK, adbk_reader_read_member(r, 0, count_bytes, &delivered, &err), &err);
    EXPECT_EQ_U64(size, delivered);
    adbk_reader_close(r);
    XXH3_freeState(h);
    free(block);
    free(m.p);
}

TEST_MAIN()
