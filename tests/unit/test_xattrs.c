/*
 * test_xattrs.c - the owner and extended attributes of format 1.1 (FORMAT.md
 * 3.2) through the public API: round trips, the writer's limits, a member
 * record that disagrees with its index entry (that member's damage), an index
 * entry that breaks a rule (the archive's), every bit of a 1.1 archive
 * covered, and salvage keeping a complete member's owner and attributes.
 * tests/fixtures/hostile has more of these, built from FORMAT.md alone.
 */
#include "harness.h"
#include "memio.h"

#include <stdbool.h>
#include <xxhash.h>

static const uint8_t NTACL[] = {0x04, 0x00, 0x04, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00,
                                0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x20, 0x00};
static const uint8_t BINARY[] = {0x00, 0x01, 0x00, 0xFF, 0x00};

/* Attributes given out of order: the writer sorts them. */
static const struct adbk_xattr FILE_XATTRS[] = {
    {"user.zz-binary", BINARY, sizeof BINARY},
    {"security.NTACL", NTACL, sizeof NTACL},
    {"user.empty", NULL, 0},
};

static adbk_status open_mem(struct membuf *m, struct adbk_reader **r, struct adbk_error *err)
{
    static struct adbk_source src; /* outlives the reader within one test */
    src = membuf_source(m);
    struct adbk_reader_options ro = {.threads = 1};
    return adbk_reader_open_source(&src, &ro, r, err);
}

static adbk_status writer_new(struct membuf *m, struct adbk_writer **w, struct adbk_error *err)
{
    static const uint8_t id[16] = {7};
    struct adbk_writer_options o = {.level = 3, .in_caller = 1, .chunk_size = 4096,
                                    .archive_id = id, .has_created = 1,
                                    .created_sec = 1700000000, .tool = "adbk test"};
    static struct adbk_sink sink;
    sink = membuf_sink(m);
    return adbk_writer_open(&sink, &o, w, err);
}

static adbk_status add(struct adbk_writer *w, const struct adbk_member_info *mi,
                       const char *content, struct adbk_error *err)
{
    adbk_status st = adbk_writer_begin_member(w, mi, err);
    if (st == ADBK_OK && content)
        st = adbk_writer_write(w, content, strlen(content), err);
    if (st == ADBK_OK)
        st = adbk_writer_end_member(w, err);
    return st;
}

/* A folder with owner and attributes, a file with both, one with an owner
 * only, one with an empty list, one with neither. */
static adbk_status build(struct membuf *m, struct adbk_error *err)
{
    struct adbk_writer *w;
    adbk_status st = writer_new(m, &w, err);
    if (st != ADBK_OK)
        return st;
    const unsigned both = ADBK_HAS_OWNER | ADBK_HAS_XATTRS | ADBK_HAS_MODE;
    struct adbk_member_info mi[] = {
        {.name = "sysvol", .kind = ADBK_KIND_DIRECTORY, .flags = both, .mode = 0770, .uid = 0,
         .gid = 3000000, .user = "root", .group = "BUILTIN\\administrators",
         .xattrs = FILE_XATTRS + 1, .xattr_count = 1},
        {.name = "sysvol/GPT.INI", .kind = ADBK_KIND_FILE, .flags = both, .mode = 0660,
         .uid = 3000000, .gid = 3000001, .user = "CORP\\Administrator", .group = NULL,
         .xattrs = FILE_XATTRS, .xattr_count = 3},
        {.name = "sysvol/owner-only", .kind = ADBK_KIND_FILE, .flags = ADBK_HAS_OWNER,
         .uid = 1000, .gid = 1000, .user = "alice", .group = "staff"},
        {.name = "sysvol/empty-list", .kind = ADBK_KIND_FILE, .flags = ADBK_HAS_XATTRS},
        {.name = "sysvol/plain", .kind = ADBK_KIND_FILE},
    };
    static const char *const content[] = {NULL, "[General]\r\nVersion=3\r\n", "alice\n", "",
                                          "plain\n"};
    for (size_t i = 0; i < sizeof mi / sizeof mi[0] && st == ADBK_OK; i++)
        st = add(w, &mi[i], content[i], err);
    if (st == ADBK_OK)
        st = adbk_writer_finish(w, err);
    adbk_writer_free(w);
    return st;
}

static void expect_attr(const struct adbk_xattr *a, const char *name, const void *value,
                        size_t size)
{
    EXPECT_STR(name, a->name);
    EXPECT_EQ_U64(size, a->size);
    EXPECT_TRUE(size == 0 || memcmp(a->value, value, size) == 0);
}

/* The entries of build()'s archive, as the index gives them. */
static void expect_built(struct adbk_reader *r)
{
    REQUIRE_TRUE(adbk_reader_count(r) == 5);
    const struct adbk_entry *d = adbk_reader_member(r, 0);
    EXPECT_EQ_U64(ADBK_HAS_OWNER | ADBK_HAS_XATTRS | ADBK_HAS_MODE, d->flags);
    EXPECT_EQ_U64(0, d->uid);
    EXPECT_EQ_U64(3000000, d->gid);
    EXPECT_STR("root", d->user);
    EXPECT_STR("BUILTIN\\administrators", d->group);
    REQUIRE_TRUE(d->xattr_count == 1);
    expect_attr(&d->xattrs[0], "security.NTACL", NTACL, sizeof NTACL);

    const struct adbk_entry *f = adbk_reader_member(r, 1);
    EXPECT_EQ_U64(3000001, f->gid);
    EXPECT_STR("CORP\\Administrator", f->user);
    EXPECT_STR("", f->group);
    REQUIRE_TRUE(f->xattr_count == 3);
    expect_attr(&f->xattrs[0], "security.NTACL", NTACL, sizeof NTACL); /* sorted */
    expect_attr(&f->xattrs[1], "user.empty", NULL, 0);
    expect_attr(&f->xattrs[2], "user.zz-binary", BINARY, sizeof BINARY);

    const struct adbk_entry *o = adbk_reader_member(r, 2);
    EXPECT_EQ_U64(ADBK_HAS_OWNER, o->flags);
    EXPECT_STR("alice", o->user);
    EXPECT_STR("staff", o->group);
    EXPECT_TRUE(o->xattrs == NULL && o->xattr_count == 0);

    const struct adbk_entry *e = adbk_reader_member(r, 3);
    EXPECT_EQ_U64(ADBK_HAS_XATTRS, e->flags);
    EXPECT_EQ_U64(0, e->xattr_count);
    EXPECT_STR("", e->user);

    const struct adbk_entry *p = adbk_reader_member(r, 4);
    EXPECT_EQ_U64(0, p->flags);
    EXPECT_TRUE(p->uid == 0 && p->gid == 0 && p->xattrs == NULL && p->xattr_count == 0);
    EXPECT_STR("", p->user);
    EXPECT_STR("", p->group);
}

TEST(round_trip_keeps_owner_and_sorted_attributes)
{
    struct membuf m = {0};
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, build(&m, &err), &err);
    struct adbk_reader *r;
    REQUIRE_STATUS(ADBK_OK, open_mem(&m, &r, &err), &err);
    EXPECT_EQ_U64(ADBK_FORMAT_MINOR, adbk_reader_info(r)->format_minor);
    expect_built(r);
    for (size_t i = 0; i < adbk_reader_count(r); i++)
        EXPECT_STATUS(ADBK_OK, adbk_reader_read_member(r, i, NULL, NULL, &err), &err);
    EXPECT_STATUS(ADBK_OK, adbk_reader_verify(r, NULL, NULL, &err), &err);
    adbk_reader_close(r);
    free(m.p);
}

/* One member refused by the writer with ADBK_E_ARG and text in its message;
 * the writer goes on (the next member is taken). */
static void refused(const struct adbk_member_info *mi, const char *text)
{
    struct membuf m = {0};
    struct adbk_error err = {0};
    struct adbk_writer *w;
    REQUIRE_STATUS(ADBK_OK, writer_new(&m, &w, &err), &err);
    EXPECT_STATUS_FOR(ADBK_E_ARG, adbk_writer_begin_member(w, mi, &err), &err, "%s", text);
    EXPECT_TRUE(strstr(err.message, text) != NULL);
    struct adbk_member_info ok = {.name = "next", .kind = ADBK_KIND_FILE};
    EXPECT_STATUS(ADBK_OK, add(w, &ok, "x", &err), &err);
    EXPECT_STATUS(ADBK_OK, adbk_writer_finish(w, &err), &err);
    adbk_writer_free(w);
    free(m.p);
}

static uint8_t big[65537];

TEST(writer_refuses_what_the_format_cannot_hold)
{
    char long_name[300];
    memset(long_name, 'n', sizeof long_name);
    memcpy(long_name, "user.", 5);
    long_name[256] = '\0';
    struct adbk_xattr a[5] = {{"user.a", big, 10}};
    struct adbk_member_info mi = {.name = "f", .kind = ADBK_KIND_FILE, .flags = ADBK_HAS_XATTRS,
                                  .xattrs = a, .xattr_count = 1};
    a[0].name = "";
    refused(&mi, "name is 0 bytes");
    a[0].name = long_name;
    refused(&mi, "name is 256 bytes");
    a[0] = (struct adbk_xattr){"user.a", big, 65537};
    refused(&mi, "value of 65537 bytes");
    a[0] = (struct adbk_xattr){"user.a", big, 1};
    a[1] = (struct adbk_xattr){"user.a", big, 2};
    mi.xattr_count = 2;
    refused(&mi, "given twice");
    for (int i = 0; i < 5; i++)
        a[i] = (struct adbk_xattr){(const char *[]){"user.1", "user.2", "user.3", "user.4",
                                                    "user.5"}[i], big, 65536};
    mi.xattr_count = 5;
    refused(&mi, "take 327742 bytes");
    mi.xattrs = NULL;
    refused(&mi, "extended attributes");

    struct adbk_member_info o = {.name = "f", .kind = ADBK_KIND_FILE, .flags = ADBK_HAS_OWNER,
                                 .uid = 0xFFFFFFFFu};
    refused(&o, "4294967295");
    o = (struct adbk_member_info){.name = "f", .kind = ADBK_KIND_FILE, .flags = ADBK_HAS_OWNER,
                                  .gid = 0xFFFFFFFFu};
    refused(&o, "4294967295");
    o = (struct adbk_member_info){.name = "f", .kind = ADBK_KIND_FILE, .flags = ADBK_HAS_OWNER,
                                  .group = long_name};
    refused(&o, "longer than 255");
}

TEST(largest_attributes_are_taken)
{
    char name255[256];
    memset(name255, 'n', 255);
    memcpy(name255, "user.", 5);
    name255[255] = '\0';
    /* 2 + 3 x (6 + 6 + 65536) + (6 + 255 + 65237) = 262144 bytes exactly. */
    struct adbk_xattr a[4] = {{"user.1", big, 65536}, {"user.2", big, 65536},
                              {"user.3", big, 65536}, {name255, big, 65237}};
    struct adbk_member_info mi = {.name = "f", .kind = ADBK_KIND_FILE, .flags = ADBK_HAS_XATTRS,
                                  .xattrs = a, .xattr_count = 4};
    struct membuf m = {0};
    struct adbk_error err = {0};
    struct adbk_writer *w;
    REQUIRE_STATUS(ADBK_OK, writer_new(&m, &w, &err), &err);
    EXPECT_STATUS(ADBK_OK, add(w, &mi, "x", &err), &err);
    a[3].size++;
    mi.name = "g";
    EXPECT_STATUS(ADBK_E_ARG, adbk_writer_begin_member(w, &mi, &err), &err);
    EXPECT_STATUS(ADBK_OK, adbk_writer_finish(w, &err), &err);
    adbk_writer_free(w);
    struct adbk_reader *r;
    REQUIRE_STATUS(ADBK_OK, open_mem(&m, &r, &err), &err);
    REQUIRE_TRUE(adbk_reader_count(r) == 1 && adbk_reader_member(r, 0)->xattr_count == 4);
    EXPECT_EQ_U64(65237, adbk_reader_member(r, 0)->xattrs[3].size); /* "user.nnn" sorts last */
    EXPECT_STATUS(ADBK_OK, adbk_reader_verify(r, NULL, NULL, &err), &err);
    adbk_reader_close(r);
    free(m.p);
}

/* The offset of the first (or last) occurrence of pat in m; the test fails
 * without one. */
static size_t find(const struct membuf *m, const void *pat, size_t n, bool last)
{
    size_t at = SIZE_MAX;
    for (size_t i = 0; i + n <= m->len; i++)
        if (memcmp(m->p + i, pat, n) == 0) {
            at = i;
            if (!last)
                break;
        }
    if (at == SIZE_MAX)
        TEST_FAIL_AT("pattern not in the archive");
    return at;
}

/* Recomputes the Record_Checksum of the record that holds byte `inside`:
 * the last record magic at or before it. */
static void fix_record(struct membuf *m, size_t inside)
{
    static const uint8_t magic[4] = {0x5A, 0x2A, 0x4D, 0x18};
    size_t at = inside;
    while (at > 0 && memcmp(m->p + at, magic, 4) != 0)
        at--;
    uint32_t payload = (uint32_t)m->p[at + 4] | (uint32_t)m->p[at + 5] << 8 |
                       (uint32_t)m->p[at + 6] << 16 | (uint32_t)m->p[at + 7] << 24;
    uint64_t sum = XXH3_64bits(m->p + at + 8, payload - 8);
    for (int i = 0; i < 8; i++)
        m->p[at + payload + i] = (uint8_t)(sum >> (8 * i));
}

static void on_damage(void *ctx, const struct adbk_damage *d)
{
    char *all = ctx;
    size_t used = strlen(all);
    snprintf(all + used, 4096 - used, "%s\n", d->message);
}

TEST(record_attributes_that_differ_from_the_index_spoil_that_member)
{
    struct membuf m = {0};
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, build(&m, &err), &err);
    /* The file's binary value in its member record (the index comes later). */
    size_t at = find(&m, BINARY, sizeof BINARY, false);
    m.p[at + 1] ^= 0x40;
    fix_record(&m, at);
    struct adbk_reader *r;
    REQUIRE_STATUS(ADBK_OK, open_mem(&m, &r, &err), &err); /* the index is intact */
    EXPECT_STATUS(ADBK_E_CORRUPT, adbk_reader_read_member(r, 1, NULL, NULL, &err), &err);
    EXPECT_TRUE(strstr(err.message, "other extended attributes than the index") != NULL);
    EXPECT_STATUS(ADBK_OK, adbk_reader_read_member(r, 2, NULL, NULL, &err), &err);
    char all[4096] = "";
    struct adbk_verify_callbacks cb = {.damage = on_damage, .ctx = all};
    EXPECT_STATUS(ADBK_E_CORRUPT, adbk_reader_verify(r, &cb, NULL, &err), &err);
    EXPECT_TRUE(strstr(all, "sysvol/GPT.INI") != NULL);
    EXPECT_TRUE(strstr(all, "sysvol/plain") == NULL);
    adbk_reader_close(r);
    free(m.p);
}

/* build()'s archive with n bytes at `skip` past "user.zz-binary" in its
 * index entry (the name's last occurrence) replaced by patch: open must
 * refuse the archive with ADBK_E_CORRUPT and text in the message. */
static void index_patched(size_t skip, const char *patch, size_t n, const char *text)
{
    struct membuf m = {0};
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, build(&m, &err), &err);
    size_t at = find(&m, "user.zz-binary", 14, true) + skip;
    memcpy(m.p + at, patch, n);
    fix_record(&m, at);
    struct adbk_reader *r;
    EXPECT_STATUS_FOR(ADBK_E_CORRUPT, open_mem(&m, &r, &err), &err, "%s", text);
    EXPECT_TRUE(strstr(err.message, text) != NULL);
    free(m.p);
}

TEST(index_attributes_out_of_order_spoil_the_archive)
{
    /* "user.zz-binary", last of three, renamed to sort before "user.empty". */
    index_patched(0, "user.aa", 7, "not sorted by name");
}

TEST(index_value_size_over_the_limit_spoils_the_archive)
{
    /* Its Value_Size, 5, becomes 65537 (01 00 01 00). */
    index_patched(14, "\x01\x00\x01", 3, "value over 65536 bytes");
}

TEST(every_bit_of_a_1_1_archive_is_covered)
{
    struct membuf m = {0};
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, build(&m, &err), &err);
    size_t missed = 0;
    for (size_t i = 0; i < m.len; i++) {
        m.p[i] ^= 0x10;
        struct adbk_reader *r;
        adbk_status st = open_mem(&m, &r, &err);
        if (st == ADBK_OK) {
            st = adbk_reader_verify(r, NULL, NULL, &err);
            adbk_reader_close(r);
        }
        m.p[i] ^= 0x10;
        if (st == ADBK_OK && missed++ < 10)
            TEST_FAIL_AT("flip at byte %zu of %zu not detected", i, m.len);
    }
    EXPECT_EQ_U64(0, missed);
    free(m.p);
}

TEST(salvage_keeps_a_complete_members_owner_and_attributes)
{
    struct membuf m = {0};
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, build(&m, &err), &err);
    /* Without the index and the seek table: the member records tell it all. */
    struct adbk_reader *r;
    REQUIRE_STATUS(ADBK_OK, open_mem(&m, &r, &err), &err);
    m.len = (size_t)adbk_reader_info(r)->index_offset;
    adbk_reader_close(r);
    struct adbk_source src = membuf_source(&m);
    struct membuf out = {0};
    struct adbk_sink sink = membuf_sink(&out);
    struct adbk_salvage_options so = {.in_caller = 1};
    struct adbk_salvage_result res;
    REQUIRE_STATUS(ADBK_OK, adbk_salvage(&src, &sink, &so, NULL, &res, &err), &err);
    EXPECT_EQ_U64(5, res.complete);
    REQUIRE_STATUS(ADBK_OK, open_mem(&out, &r, &err), &err);
    expect_built(r);
    EXPECT_STATUS(ADBK_OK, adbk_reader_verify(r, NULL, NULL, &err), &err);
    adbk_reader_close(r);
    free(out.p);
    free(m.p);
}

TEST_MAIN()
