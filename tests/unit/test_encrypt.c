/*
 * test_encrypt.c - encrypted (format 2.0) and signed (1.2) archives through
 * the public API: round trips with each recipient's key, what a reader
 * without a key sees and checks, what stays out of the clear, and the
 * tampering a key or a signature catches that checksums cannot: parts moved
 * within an archive or spliced from another one made with the same key, a
 * changed header, a wrong key, an archive rewritten by someone without the
 * signing key.
 *
 * Keys are made here with the library's own generators and parsers (the
 * interoperability with age's keys is tests/crypto's business).
 */
#include "harness.h"
#include "memio.h"

#include <stdbool.h>
#include <xxhash.h>

#define CHUNK 4096u

/* Two age identities (made by age-keygen once; test keys, public). */
static const char *const ID_TEXT[2] = {
    "AGE-SECRET-KEY-1D834TVCSWDQWARNCKKVW9EWN659DM4Z9GXDX45Y6J2WXEQFJATXQ5RD36L",
    "AGE-SECRET-KEY-1590UL9HHXXHS45LZJYKS09VF6UJT6UKV8AASC393RVQHEV9YR2LQ0DPN3E",
};

struct keys {
    struct adbk_age_identity id[2];
    struct adbk_recipient rcpt[2];
    struct adbk_sign_key sign, other_sign;
    struct adbk_sign_public sign_pub, other_pub;
};

static bool make_keys(struct keys *k)
{
    struct adbk_error err;
    for (int i = 0; i < 2; i++) {
        if (adbk_age_identity_parse(ID_TEXT[i], &k->id[i], &err) != ADBK_OK) {
            TEST_FAIL_AT("identity %d: %s", i, err.message);
            return false;
        }
        adbk_age_identity_recipient(&k->id[i], &k->rcpt[i]);
    }
    if (adbk_sign_keygen(&k->sign, &err) != ADBK_OK ||
        adbk_sign_keygen(&k->other_sign, &err) != ADBK_OK) {
        TEST_FAIL_AT("keygen: %s", err.message);
        return false;
    }
    adbk_sign_key_public(&k->sign, &k->sign_pub);
    adbk_sign_key_public(&k->other_sign, &k->other_pub);
    return true;
}

struct member {
    const char *name;
    size_t size;
    int random; /* incompressible content: its chunks compress to equal sizes */
};

static const struct member MEMBERS[] = {
    {"Active Directory/ntds.dit", 3 * CHUNK + 77, 0},
    {"secret-token", 40, 0},
    {"random.bin", 2 * CHUNK, 1},
    {"empty", 0, 0},
};
#define NMEMBERS (sizeof MEMBERS / sizeof MEMBERS[0])

static void content(size_t i, uint8_t *p, size_t n)
{
    if (MEMBERS[i].random) {
        uint64_t x = 0x243F6A8885A308D3ull + i;
        for (size_t k = 0; k < n; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            p[k] = (uint8_t)x;
        }
    } else {
        fill_pattern(p, n, i);
    }
}

struct how {
    size_t nrcpt;                       /* 0: plain */
    const struct adbk_sign_key *sign;   /* NULL: unsigned */
    unsigned threads;
    const uint8_t *archive_id;          /* NULL: random */
};

static adbk_status build(struct membuf *m, const struct keys *k, const struct how *h,
                         struct adbk_error *err)
{
    struct adbk_writer_options o = {.threads = h->threads, .chunk_size = CHUNK,
                                    .archive_id = h->archive_id, .has_created = 1,
                                    .created_sec = 1800000000, .tool = "adbk test",
                                    .recipients = k->rcpt, .recipient_count = h->nrcpt,
                                    .sign_key = h->sign};
    struct adbk_sink sink = membuf_sink(m);
    struct adbk_writer *w;
    adbk_status st = adbk_writer_open(&sink, &o, &w, err);
    if (st != ADBK_OK)
        return st;
    st = adbk_writer_set_property(w, "domain", "corp.example.com", err);
    if (st == ADBK_OK)
        st = adbk_writer_set_property(w, "tombstone.lifetime.days", "180", err);
    for (size_t i = 0; i < NMEMBERS && st == ADBK_OK; i++) {
        struct adbk_member_info mi = {.name = MEMBERS[i].name, .kind = ADBK_KIND_FILE,
                                      .flags = ADBK_HAS_MODE, .mode = 0600};
        uint8_t *data = malloc(MEMBERS[i].size + 1);
        content(i, data, MEMBERS[i].size);
        st = adbk_writer_begin_member(w, &mi, err);
        if (st == ADBK_OK)
            st = adbk_writer_write(w, data, MEMBERS[i].size, err);
        if (st == ADBK_OK)
            st = adbk_writer_end_member(w, err);
        free(data);
    }
    if (st == ADBK_OK)
        st = adbk_writer_finish(w, err);
    adbk_writer_free(w);
    return st;
}

struct opening {
    const struct adbk_age_identity *id; /* NULL: locked */
    const struct adbk_sign_public *trust;
};

static adbk_status open_mem(struct membuf *m, const struct opening *op, struct adbk_reader **r,
                            struct adbk_error *err)
{
    static struct adbk_source src; /* the reader borrows it */
    src = membuf_source(m);
    struct adbk_reader_options ro = {.threads = 2, .identities = op->id,
                                     .identity_count = op->id ? 1 : 0,
                                     .trusted = op->trust, .trusted_count = op->trust ? 1 : 0};
    return adbk_reader_open_source(&src, &ro, r, err);
}

/* What verify found: the first status and how many findings of each kind. */
struct findings {
    adbk_status first;
    unsigned n, auth, corrupt, checksum, signature;
    int64_t chunk;
};

static void on_damage(void *ctx, const struct adbk_damage *d)
{
    struct findings *f = ctx;
    if (!f->n++)
        f->first = d->status, f->chunk = d->chunk;
    f->auth += d->status == ADBK_E_AUTH;
    f->corrupt += d->status == ADBK_E_CORRUPT;
    f->checksum += d->status == ADBK_E_CHECKSUM;
    f->signature += d->status == ADBK_E_SIGNATURE;
}

static adbk_status open_verify(struct membuf *m, const struct opening *op, struct findings *f,
                               struct adbk_error *err)
{
    struct adbk_reader *r;
    adbk_status st = open_mem(m, op, &r, err);
    if (st != ADBK_OK)
        return st;
    struct adbk_verify_callbacks cb = {.damage = on_damage, .ctx = f};
    st = adbk_reader_verify(r, &cb, NULL, err);
    adbk_reader_close(r);
    return st;
}

/* Every member read back equals what was written. */
static void expect_contents(struct adbk_reader *r)
{
    REQUIRE_TRUE(adbk_reader_count(r) == NMEMBERS);
    for (size_t i = 0; i < NMEMBERS; i++) {
        const struct adbk_entry *e = adbk_reader_member(r, i);
        EXPECT_STR(MEMBERS[i].name, e->name);
        struct membuf got = {0};
        struct adbk_error err;
        EXPECT_STATUS(ADBK_OK, adbk_reader_read_member(r, i, collect, &got, &err), &err);
        uint8_t *want = malloc(MEMBERS[i].size + 1);
        content(i, want, MEMBERS[i].size);
        EXPECT_EQ_U64(MEMBERS[i].size, got.len);
        EXPECT_TRUE(got.len == MEMBERS[i].size && memcmp(got.p ? got.p : want, want, got.len) == 0);
        free(want);
        free(got.p);
    }
}

/* ------------------------------------------------------------ round trips */

TEST(each_recipient_reads_back_every_member)
{
    struct keys k;
    REQUIRE_TRUE(make_keys(&k));
    for (unsigned threads = 1; threads <= 2; threads++) {
        struct membuf m = {0};
        struct adbk_error err = {0};
        struct how h = {.nrcpt = 2, .sign = &k.sign, .threads = threads};
        REQUIRE_STATUS(ADBK_OK, build(&m, &k, &h, &err), &err);
        for (int who = 0; who < 2; who++) {
            struct adbk_reader *r;
            struct opening op = {.id = &k.id[who], .trust = &k.sign_pub};
            REQUIRE_STATUS(ADBK_OK, open_mem(&m, &op, &r, &err), &err);
            const struct adbk_archive_info *in = adbk_reader_info(r);
            EXPECT_EQ_U64(2, in->format_major);
            EXPECT_TRUE(in->encrypted && !in->locked && in->is_signed && in->signature_ok &&
                        in->trusted);
            EXPECT_EQ_U64(2, in->recipient_count);
            EXPECT_EQ_U64(1800000000 + 180 * 86400, (uint64_t)in->not_after);
            EXPECT_STR("corp.example.com", adbk_reader_property(r, "domain"));
            expect_contents(r);
            EXPECT_STATUS(ADBK_OK, adbk_reader_verify(r, NULL, NULL, &err), &err);
            adbk_reader_close(r);
        }
        free(m.p);
    }
}

/* Without a key: the clear parts only, checked all the same. */
TEST(without_a_key_it_lists_and_verifies_its_clear_parts)
{
    struct keys k;
    REQUIRE_TRUE(make_keys(&k));
    struct membuf m = {0};
    struct adbk_error err = {0};
    struct how h = {.nrcpt = 1, .threads = 1};
    REQUIRE_STATUS(ADBK_OK, build(&m, &k, &h, &err), &err);
    struct adbk_reader *r;
    REQUIRE_STATUS(ADBK_OK, open_mem(&m, &(struct opening){0}, &r, &err), &err);
    const struct adbk_archive_info *in = adbk_reader_info(r);
    EXPECT_TRUE(in->encrypted && in->locked && !in->is_signed);
    EXPECT_EQ_U64(0, in->property_count);
    EXPECT_EQ_U64(NMEMBERS, adbk_reader_count(r));
    for (size_t i = 0; i < NMEMBERS; i++) {
        const struct adbk_entry *e = adbk_reader_member(r, i);
        char want[16];
        snprintf(want, sizeof want, "#%zu", i);
        EXPECT_STR(want, e->name);
        EXPECT_EQ_U64(MEMBERS[i].size, e->size);
        EXPECT_EQ_U64(0, e->kind);
    }
    EXPECT_STATUS(ADBK_OK, adbk_reader_verify(r, NULL, NULL, &err), &err);
    EXPECT_STATUS(ADBK_E_KEY, adbk_reader_read_member(r, 0, NULL, NULL, &err), &err);
    EXPECT_TRUE(strstr(err.message, "encrypted") != NULL);
    adbk_reader_close(r);
    free(m.p);
}

TEST(a_key_that_is_no_recipient_opens_nothing)
{
    struct keys k;
    REQUIRE_TRUE(make_keys(&k));
    struct membuf m = {0};
    struct adbk_error err = {0};
    struct how h = {.nrcpt = 1, .threads = 1}; /* to id[0] only */
    REQUIRE_STATUS(ADBK_OK, build(&m, &k, &h, &err), &err);
    struct adbk_reader *r = NULL;
    EXPECT_STATUS(ADBK_E_KEY, open_mem(&m, &(struct opening){.id = &k.id[1]}, &r, &err), &err);
    EXPECT_TRUE(strstr(err.message, "none of the 1 key given opens it") != NULL);
    free(m.p);
}

/* ------------------------------------------------------------ the clear */

static bool contains(const struct membuf *m, const void *needle, size_t n)
{
    for (size_t i = 0; n && i + n <= m->len; i++)
        if (memcmp(m->p + i, needle, n) == 0)
            return true;
    return false;
}

/* No name, property, piece of content or content hash is in the clear. */
TEST(nothing_of_the_plaintext_is_in_the_clear)
{
    struct keys k;
    REQUIRE_TRUE(make_keys(&k));
    struct membuf m = {0}, plain = {0};
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, build(&m, &k, &(struct how){.nrcpt = 1, .threads = 1}, &err), &err);
    REQUIRE_STATUS(ADBK_OK, build(&plain, &k, &(struct how){.threads = 1}, &err), &err);
    const char *words[] = {"ntds.dit", "secret-token", "corp.example.com", "tombstone",
                           "CN=Users,DC=corp"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        EXPECT_TRUE(contains(&plain, words[i], strlen(words[i]))); /* the check can see them */
        if (contains(&m, words[i], strlen(words[i])))
            TEST_FAIL_AT("\"%s\" is in the clear", words[i]);
    }
    for (size_t i = 0; i < NMEMBERS; i++) {
        uint8_t *data = malloc(MEMBERS[i].size + 1);
        content(i, data, MEMBERS[i].size);
        XXH128_canonical_t c;
        XXH128_canonicalFromHash(&c, XXH3_128bits(data, MEMBERS[i].size));
        EXPECT_TRUE(contains(&plain, c.digest, 16));
        if (contains(&m, c.digest, 16))
            TEST_FAIL_AT("member %zu's content hash is in the clear", i);
        if (MEMBERS[i].random && contains(&m, data, 64))
            TEST_FAIL_AT("member %zu's content is in the clear", i);
        free(data);
    }
    free(m.p);
    free(plain.p);
}

/* ------------------------------------------------------------ damage and tampering */

/* Every flipped bit is found, with the key and without it. */
TEST(every_flipped_byte_is_detected_with_or_without_the_key)
{
    struct keys k;
    REQUIRE_TRUE(make_keys(&k));
    struct membuf m = {0};
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, build(&m, &k, &(struct how){.nrcpt = 1, .sign = &k.sign,
                                                         .threads = 1}, &err), &err);
    size_t missed[2] = {0, 0};
    for (size_t i = 0; i < m.len; i++) {
        m.p[i] ^= 0x01;
        for (int keyed = 0; keyed < 2; keyed++) {
            struct findings f = {0};
            struct opening op = {.id = keyed ? &k.id[0] : NULL};
            if (open_verify(&m, &op, &f, &err) == ADBK_OK && missed[keyed]++ < 5)
                TEST_FAIL_AT("flip at byte %zu of %zu not detected %s the key", i, m.len,
                             keyed ? "with" : "without");
        }
        m.p[i] ^= 0x01;
    }
    EXPECT_EQ_U64(0, missed[0]);
    EXPECT_EQ_U64(0, missed[1]);
    free(m.p);
}

/* Offsets and sizes of frame n, from the seek table (FORMAT.md 4). */
static void frame_at(const struct membuf *m, uint64_t n, size_t *off, size_t *len)
{
    uint32_t frames = (uint32_t)m->p[m->len - 9] | (uint32_t)m->p[m->len - 8] << 8 |
                      (uint32_t)m->p[m->len - 7] << 16 | (uint32_t)m->p[m->len - 6] << 24;
    size_t table = m->len - 17 - 12 * (size_t)frames + 8;
    size_t o = 0;
    for (uint64_t i = 0;; i++) {
        const uint8_t *e = m->p + table + 12 * i;
        size_t cs = (size_t)e[0] | (size_t)e[1] << 8 | (size_t)e[2] << 16 | (size_t)e[3] << 24;
        if (i == n) {
            *off = o;
            *len = cs;
            return;
        }
        o += cs;
    }
}

/* Rewrites a record frame's Record_Checksum after a change of its body. */
static void fix_checksum(uint8_t *frame, size_t len)
{
    uint64_t sum = XXH3_64bits(frame + 8, len - 16);
    for (int i = 0; i < 8; i++)
        frame[len - 8 + i] = (uint8_t)(sum >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* The frames of member "random.bin" (index 2): member record at frame 2 +
 * the frames of members 0 and 1, then its two chunk records. */
static uint64_t random_member_first_frame(void)
{
    uint64_t f = 2; /* header, key record */
    for (size_t i = 0; i < 2; i++)
        f += (MEMBERS[i].size + CHUNK - 1) / CHUNK + 2;
    return f;
}

/* Two chunk records of one member swapped, their clear Chunk_Index fields
 * swapped back and their checksums made right: what checksums cannot see,
 * the seal does (its nonce holds the chunk's place). */
TEST(chunks_swapped_within_an_archive_do_not_authenticate)
{
    struct keys k;
    REQUIRE_TRUE(make_keys(&k));
    struct membuf m = {0};
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, build(&m, &k, &(struct how){.nrcpt = 1, .threads = 1}, &err), &err);
    uint64_t first = random_member_first_frame();
    size_t a, alen, b, blen;
    frame_at(&m, first + 1, &a, &alen);
    frame_at(&m, first + 2, &b, &blen);
    REQUIRE_TRUE(alen == blen); /* incompressible: equal sizes, so they can trade places */
    uint8_t *tmp = malloc(alen);
    memcpy(tmp, m.p + a, alen);
    memcpy(m.p + a, m.p + b, alen);
    memcpy(m.p + b, tmp, alen);
    free(tmp);
    /* Without touching the clear fields the chunk records name their old place. */
    struct findings f = {0};
    EXPECT_STATUS(ADBK_E_CORRUPT, open_verify(&m, &(struct opening){.id = &k.id[0]}, &f, &err),
                  &err);
    EXPECT_TRUE(f.corrupt >= 1);
    /* With them rewritten and the checksums right, only the seal can tell. */
    put64(m.p + a + 12 + 8, 0);
    put64(m.p + b + 12 + 8, 1);
    fix_checksum(m.p + a, alen);
    fix_checksum(m.p + b, blen);
    f = (struct findings){0};
    EXPECT_STATUS(ADBK_E_AUTH, open_verify(&m, &(struct opening){.id = &k.id[0]}, &f, &err),
                  &err);
    EXPECT_EQ_U64(2, f.auth);
    EXPECT_EQ_U64(0, (uint64_t)f.chunk);
    free(m.p);
}

/* A chunk record from another archive made with the same recipient, in the
 * same place: its checksum is right, and it does not authenticate. */
TEST(a_chunk_from_another_archive_of_the_same_key_does_not_authenticate)
{
    struct keys k;
    REQUIRE_TRUE(make_keys(&k));
    struct membuf m = {0}, other = {0};
    struct adbk_error err = {0};
    struct how h = {.nrcpt = 1, .threads = 1};
    REQUIRE_STATUS(ADBK_OK, build(&m, &k, &h, &err), &err);
    REQUIRE_STATUS(ADBK_OK, build(&other, &k, &h, &err), &err);
    uint64_t first = random_member_first_frame();
    size_t a, alen, b, blen;
    frame_at(&m, first + 1, &a, &alen);
    frame_at(&other, first + 1, &b, &blen);
    REQUIRE_TRUE(alen == blen);
    memcpy(m.p + a, other.p + b, alen);
    struct findings f = {0};
    EXPECT_STATUS(ADBK_E_AUTH, open_verify(&m, &(struct opening){.id = &k.id[0]}, &f, &err),
                  &err);
    EXPECT_EQ_U64(1, f.auth);
    /* Keyless, the span no longer matches the index: found too. */
    f = (struct findings){0};
    EXPECT_STATUS(ADBK_E_CHECKSUM, open_verify(&m, &(struct opening){0}, &f, &err), &err);
    free(m.p);
    free(other.p);
}

/* The header's Tool changed and its checksum made right: the key record's
 * Header_MAC covers the header. */
TEST(a_changed_header_fails_the_header_mac)
{
    struct keys k;
    REQUIRE_TRUE(make_keys(&k));
    struct membuf m = {0};
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, build(&m, &k, &(struct how){.nrcpt = 1, .threads = 1}, &err), &err);
    size_t off, len;
    frame_at(&m, 0, &off, &len);
    uint8_t *tool = NULL; /* "adbk test" -> "adbk tesT" */
    for (size_t i = 0; i + 9 <= len && !tool; i++)
        if (memcmp(m.p + i, "adbk test", 9) == 0)
            tool = m.p + i + 5;
    REQUIRE_TRUE(tool != NULL);
    tool[3] = 'T';
    fix_checksum(m.p, len);
    struct adbk_reader *r = NULL;
    EXPECT_STATUS(ADBK_E_AUTH, open_mem(&m, &(struct opening){.id = &k.id[0]}, &r, &err), &err);
    EXPECT_TRUE(strstr(err.message, "header MAC") != NULL);
    free(m.p);
}

/* ------------------------------------------------------------ signatures */

TEST(a_trusted_key_refuses_unsigned_and_others_archives)
{
    struct keys k;
    REQUIRE_TRUE(make_keys(&k));
    for (int enc = 0; enc < 2; enc++) {
        struct membuf mine = {0}, others = {0}, unsigned_ = {0};
        struct adbk_error err = {0};
        struct how h = {.nrcpt = (size_t)enc, .sign = &k.sign, .threads = 1};
        REQUIRE_STATUS(ADBK_OK, build(&mine, &k, &h, &err), &err);
        h.sign = &k.other_sign;
        REQUIRE_STATUS(ADBK_OK, build(&others, &k, &h, &err), &err);
        h.sign = NULL;
        REQUIRE_STATUS(ADBK_OK, build(&unsigned_, &k, &h, &err), &err);
        struct opening op = {.trust = &k.sign_pub};
        struct adbk_reader *r = NULL;
        REQUIRE_STATUS(ADBK_OK, open_mem(&mine, &op, &r, &err), &err);
        EXPECT_EQ_U64(enc ? 2 : 1, adbk_reader_info(r)->format_major);
        EXPECT_EQ_U64(enc ? 0 : 2, adbk_reader_info(r)->format_minor);
        EXPECT_TRUE(adbk_reader_info(r)->trusted);
        adbk_reader_close(r);
        EXPECT_STATUS(ADBK_E_SIGNATURE, open_mem(&others, &op, &r, &err), &err);
        EXPECT_TRUE(strstr(err.message, "which is not a trusted key") != NULL);
        EXPECT_STATUS(ADBK_E_SIGNATURE, open_mem(&unsigned_, &op, &r, &err), &err);
        EXPECT_TRUE(strstr(err.message, "not signed") != NULL);
        /* Without --trust they open, and say who signed. */
        REQUIRE_STATUS(ADBK_OK, open_mem(&others, &(struct opening){0}, &r, &err), &err);
        EXPECT_TRUE(adbk_reader_info(r)->signature_ok && !adbk_reader_info(r)->trusted);
        EXPECT_TRUE(memcmp(adbk_reader_info(r)->signer, k.other_pub.key, 32) == 0);
        adbk_reader_close(r);
        free(mine.p);
        free(others.p);
        free(unsigned_.p);
    }
}

/* The forgery of the brief: an archive rewritten through adbk_format.h with
 * one content byte changed, keeping its id, time, tool and properties. Its
 * unkeyed checksums are all right; without the signing key it can only be
 * unsigned, signed by another key, or carry the original trailer, which no
 * longer verifies. */
TEST(a_rewritten_archive_is_refused_by_the_trusted_key)
{
    struct keys k;
    REQUIRE_TRUE(make_keys(&k));
    static const uint8_t id[16] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
    struct membuf orig = {0};
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, build(&orig, &k, &(struct how){.sign = &k.sign, .threads = 1,
                                                            .archive_id = id}, &err), &err);
    /* The forger: same id, time, tool, properties and names; byte 100 of the
     * database changed; signed with the forger's own key. */
    struct membuf forged = {0};
    struct adbk_writer_options o = {.threads = 1, .chunk_size = CHUNK, .archive_id = id,
                                    .has_created = 1, .created_sec = 1800000000,
                                    .tool = "adbk test", .sign_key = &k.other_sign};
    struct adbk_sink sink = membuf_sink(&forged);
    struct adbk_writer *w;
    REQUIRE_STATUS(ADBK_OK, adbk_writer_open(&sink, &o, &w, &err), &err);
    adbk_writer_set_property(w, "domain", "corp.example.com", &err);
    adbk_writer_set_property(w, "tombstone.lifetime.days", "180", &err);
    for (size_t i = 0; i < NMEMBERS; i++) {
        struct adbk_member_info mi = {.name = MEMBERS[i].name, .kind = ADBK_KIND_FILE,
                                      .flags = ADBK_HAS_MODE, .mode = 0600};
        uint8_t *data = malloc(MEMBERS[i].size + 1);
        content(i, data, MEMBERS[i].size);
        if (i == 0)
            data[100] ^= 0x20;
        REQUIRE_STATUS(ADBK_OK, adbk_writer_begin_member(w, &mi, &err), &err);
        REQUIRE_STATUS(ADBK_OK, adbk_writer_write(w, data, MEMBERS[i].size, &err), &err);
        REQUIRE_STATUS(ADBK_OK, adbk_writer_end_member(w, &err), &err);
        free(data);
    }
    REQUIRE_STATUS(ADBK_OK, adbk_writer_finish(w, &err), &err);
    adbk_writer_free(w);
    /* Every unkeyed check passes. */
    struct findings f = {0};
    EXPECT_STATUS(ADBK_OK, open_verify(&forged, &(struct opening){0}, &f, &err), &err);
    /* The trusted key refuses it. */
    struct adbk_reader *r = NULL;
    struct opening op = {.trust = &k.sign_pub};
    EXPECT_STATUS(ADBK_E_SIGNATURE, open_mem(&forged, &op, &r, &err), &err);
    /* Nor does the original's signature trailer (the index body's last 134
     * bytes) help: it does not verify over the forged index. */
    size_t ooff, olen, foff, flen;
    uint32_t of = (uint32_t)orig.p[orig.len - 9] | (uint32_t)orig.p[orig.len - 8] << 8;
    uint32_t ff = (uint32_t)forged.p[forged.len - 9] | (uint32_t)forged.p[forged.len - 8] << 8;
    frame_at(&orig, of - 1, &ooff, &olen);
    frame_at(&forged, ff - 1, &foff, &flen);
    memcpy(forged.p + foff + flen - 8 - 134, orig.p + ooff + olen - 8 - 134, 134);
    fix_checksum(forged.p + foff, flen);
    f = (struct findings){0};
    EXPECT_STATUS(ADBK_E_SIGNATURE, open_mem(&forged, &op, &r, &err), &err);
    EXPECT_TRUE(strstr(err.message, "does not verify") != NULL);
    /* Without a trusted key, verify reports the failing signature. */
    EXPECT_STATUS(ADBK_E_SIGNATURE, open_verify(&forged, &(struct opening){0}, &f, &err), &err);
    EXPECT_EQ_U64(1, f.signature);
    free(orig.p);
    free(forged.p);
}

TEST_MAIN()
