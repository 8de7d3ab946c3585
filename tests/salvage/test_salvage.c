/*
 * test_salvage.c - adbk_salvage through the public API: archives cut at many
 * offsets, a damaged index, seek table, chunk and member record. Each time
 * the repaired archive must verify, hold exactly the intact bytes of the
 * original (compared byte for byte) under the documented names, and the
 * report must give exactly the lost ranges. Encrypted archives (FORMAT.md
 * 13.7) likewise, with a recipient's secret key: the repaired archive is
 * encrypted to the same recipient and read with the same key; and signed
 * ones (12).
 */
#include "harness.h"
#include "unit/memio.h"

#include <dirent.h>
#include <stdbool.h>
#include <xxhash.h>
#include <zstd.h>

#define CS 4096u

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
#define TO_END ADBK_SALVAGE_TO_END

struct orig {
    const char *name;
    unsigned kind;
    size_t size;
    uint8_t *data;
};

/* The original members: a token, a database of 5.25 chunks, an empty log, a
 * log of exactly 3 chunks, a folder and a small last file. */
static struct orig members[] = {
    {"expiry-token", ADBK_KIND_EXPIRY_TOKEN, 100, NULL},
    {"database/ntds.dit", ADBK_KIND_DATABASE, 5 * CS + 1024, NULL},
    {"logs/edb00001.log", ADBK_KIND_LOG, 0, NULL},
    {"logs/edb00002.log", ADBK_KIND_LOG, 3 * CS, NULL},
    {"dir", ADBK_KIND_DIRECTORY, 0, NULL},
    {"notes.txt", ADBK_KIND_FILE, 777, NULL},
};
#define NMEM (sizeof members / sizeof members[0])

static void make_content(void)
{
    for (size_t i = 0; i < NMEM; i++) {
        if (members[i].data)
            continue;
        members[i].data = malloc(members[i].size + 1);
        fill_pattern(members[i].data, members[i].size, 100 + i);
    }
}

/* ------------------------------------------------------------ keys */

/* A key pair age-keygen made (as in test_crypto.c), and another secret key
 * no archive here is encrypted to. */
static const char age_secret[] =
    "AGE-SECRET-KEY-186T9CLA08V08F6UEUDGYX95A25RKZMA6KLE9D75JHQTGGMVNXJEQTDWDDP";
static const char other_secret[] =
    "AGE-SECRET-KEY-17XHQ73Q94P0ZTAEWC9Z9LQG0Q60RQHDRDMMSYDDRQD3S9WNZYYLS99LR08";

/* How the archive of a test is built, salvaged and read back: plain by
 * default; encrypted to the recipient of age_secret and opened with it;
 * signed. Each test that changes it resets it (mode_reset). */
static struct {
    bool enc;                            /* build encrypted, salvage and read with `id` */
    struct adbk_age_identity id;
    const struct adbk_age_identity *ids; /* what salvage is given (default: &id when enc) */
    size_t nids;
    const struct adbk_sign_key *sign;    /* build signed with it */
    const struct adbk_sign_key *salvage_sign; /* salvage signs with it */
} mode;

static void mode_reset(void)
{
    adbk_wipe(&mode, sizeof mode);
}

static void mode_encrypted(void)
{
    struct adbk_error err = {0};
    mode_reset();
    REQUIRE_STATUS(ADBK_OK, adbk_age_identity_parse(age_secret, &mode.id, &err), &err);
    mode.enc = true;
    mode.ids = &mode.id;
    mode.nids = 1;
}

static void build(struct membuf *m)
{
    make_content();
    struct adbk_recipient rcpt;
    if (mode.enc)
        adbk_age_identity_recipient(&mode.id, &rcpt);
    struct adbk_writer_options o = {.level = 3, .threads = 2, .chunk_size = CS,
                                    .has_created = 1, .created_sec = 1700000000,
                                    .recipients = mode.enc ? &rcpt : NULL,
                                    .recipient_count = mode.enc, .sign_key = mode.sign};
    struct adbk_sink sink = membuf_sink(m);
    struct adbk_writer *w;
    struct adbk_error err = {0};
    adbk_status st = adbk_writer_open(&sink, &o, &w, &err);
    if (st == ADBK_OK)
        st = adbk_writer_set_property(w, "server", "DC01", &err);
    for (size_t i = 0; i < NMEM && st == ADBK_OK; i++) {
        struct adbk_member_info mi = {.name = members[i].name, .kind = members[i].kind,
                                      .flags = ADBK_HAS_MTIME | ADBK_HAS_MODE,
                                      .mtime_sec = 1600000000, .mode = 0640,
                                      .source_path = "C:\\src"};
        st = adbk_writer_begin_member(w, &mi, &err);
        if (st == ADBK_OK && members[i].size)
            st = adbk_writer_write(w, members[i].data, members[i].size, &err);
        if (st == ADBK_OK)
            st = adbk_writer_end_member(w, &err);
    }
    if (st == ADBK_OK)
        st = adbk_writer_finish(w, &err);
    adbk_writer_free(w);
    EXPECT_STATUS_FOR(ADBK_OK, st, &err, "building the archive");
}

/* The frames of the original archive, walked by their own sizes. */
struct frame {
    uint64_t off, end;
    bool chunk;
};
static struct frame frames[64];
static size_t nframes;
/* Per member: index of its member record in frames[]. */
static size_t first_frame[NMEM];
/* Frames before the first member: the header, and when encrypted the key
 * record. */
#define PREFIX_FRAMES (mode.enc ? 2u : 1u)

static void walk(const struct membuf *m)
{
    nframes = 0;
    uint64_t off = 0;
    while (off < m->len && nframes < 64) {
        uint32_t magic = le32(m->p + off);
        uint64_t len = magic == 0xFD2FB528u ? ZSTD_findFrameCompressedSize(m->p + off, m->len - off)
                                            : 8 + (uint64_t)le32(m->p + off + 4);
        frames[nframes++] = (struct frame){off, off + len, magic == 0xFD2FB528u};
        off += len;
    }
    size_t f = PREFIX_FRAMES;
    for (size_t i = 0; i < NMEM; i++) {
        first_frame[i] = f;
        f += 2 + (members[i].size + CS - 1) / CS;
    }
}

/* ------------------------------------------------------------ report */

struct rep {
    char name[128];
    bool complete, size_known;
    uint64_t size;
    size_t nlost;
    struct adbk_salvage_range lost[8];
    size_t npieces;
    uint64_t piece_off[8], piece_len[8];
};
static struct rep reps[32];
static size_t nreps;

static void on_member(void *ctx, const struct adbk_salvage_member *m)
{
    (void)ctx;
    if (nreps >= 32)
        return;
    struct rep *r = &reps[nreps++];
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", m->name ? m->name : "");
    r->complete = m->complete;
    r->size_known = m->size_known;
    r->size = m->size;
    r->nlost = m->lost_count < 8 ? m->lost_count : 8;
    memcpy(r->lost, m->lost, r->nlost * sizeof *r->lost);
    r->npieces = m->piece_count < 8 ? m->piece_count : 8;
    for (size_t i = 0; i < r->npieces; i++) {
        r->piece_off[i] = m->pieces[i].offset;
        r->piece_len[i] = m->pieces[i].length;
    }
}

/* The damage salvage reported, for the tests that look at it. */
static struct {
    uint64_t off, len;
    char msg[200];
} damages[32];
static size_t ndamages;

static void on_damage(void *ctx, uint64_t off, uint64_t len, const char *msg)
{
    (void)ctx;
    if (ndamages < 32) {
        damages[ndamages].off = off;
        damages[ndamages].len = len;
        snprintf(damages[ndamages].msg, sizeof damages[ndamages].msg, "%s", msg);
        ndamages++;
    }
}

/* Whether a damage at off was reported whose message holds what. */
static bool damage_reported(uint64_t off, const char *what)
{
    for (size_t i = 0; i < ndamages; i++)
        if (damages[i].off == off && strstr(damages[i].msg, what))
            return true;
    return false;
}

static const struct rep *rep_of(const char *name)
{
    for (size_t i = 0; i < nreps; i++)
        if (strcmp(reps[i].name, name) == 0)
            return &reps[i];
    return NULL;
}

/* Salvages in into out, collecting the report. */
static adbk_status salvage(struct membuf *in, struct membuf *out, struct adbk_salvage_result *res,
                           struct adbk_error *err)
{
    nreps = 0;
    ndamages = 0;
    memset(out, 0, sizeof *out);
    struct adbk_source src = membuf_source(in);
    struct adbk_sink sink = membuf_sink(out);
    struct adbk_salvage_callbacks cb = {.member = on_member, .damage = on_damage};
    struct adbk_salvage_options o = {.threads = 2, .identities = mode.ids,
                                     .identity_count = mode.nids, .sign_key = mode.salvage_sign};
    return adbk_salvage(&src, &sink, &o, &cb, res, err);
}

/* ------------------------------------------------------------ checks */

struct want {
    char name[160];
    const uint8_t *data;
    size_t len;
    unsigned kind;
};

/* The repaired archive verifies and holds exactly the wanted members. */
static void check_output(struct membuf *out, const struct want *w, size_t nw, const char *what)
{
    struct adbk_source src = membuf_source(out);
    struct adbk_reader *r;
    struct adbk_error err = {0};
    struct adbk_reader_options ro = {.identities = mode.enc ? &mode.id : NULL,
                                     .identity_count = mode.enc};
    REQUIRE_STATUS_FOR(ADBK_OK, adbk_reader_open_source(&src, &ro, &r, &err), &err,
                       "%s: opening the repaired archive", what);
    /* Encrypted to the same recipient, opened with the same key. */
    const struct adbk_archive_info *in = adbk_reader_info(r);
    if (!!in->encrypted != mode.enc || in->locked || (mode.enc && in->format_major != 2))
        TEST_FAIL_AT("%s: the repaired archive is format %u.%u, %s, %s", what, in->format_major,
                     in->format_minor, in->encrypted ? "encrypted" : "plain",
                     in->locked ? "locked" : "open");
    /* Signed by salvage's key when given one, else not at all. */
    if (!!in->is_signed != !!mode.salvage_sign ||
        (mode.salvage_sign && (!in->signature_ok ||
                               memcmp(in->signer, mode.salvage_sign->public_key, 32) != 0)))
        TEST_FAIL_AT("%s: the repaired archive is %s, expected %s", what,
                     !in->is_signed ? "unsigned" : in->signature_ok ? "signed by another key"
                                                                    : "signed, but it fails",
                     mode.salvage_sign ? "signed by salvage's key" : "unsigned");
    EXPECT_STATUS_FOR(ADBK_OK, adbk_reader_verify(r, NULL, NULL, &err), &err,
                      "%s: verifying the repaired archive", what);
    if (adbk_reader_count(r) != nw)
        TEST_FAIL_AT("%s: %zu members in the repaired archive, expected %zu", what,
                     adbk_reader_count(r), nw);
    for (size_t i = 0; i < nw; i++) {
        long k = adbk_reader_find(r, w[i].name);
        if (k < 0) {
            TEST_FAIL_AT("%s: no member \"%s\" in the repaired archive", what, w[i].name);
            continue;
        }
        if (w[i].kind && adbk_reader_member(r, (size_t)k)->kind != w[i].kind)
            TEST_FAIL_AT("%s: \"%s\" has kind %u, expected %u", what, w[i].name,
                         adbk_reader_member(r, (size_t)k)->kind, w[i].kind);
        struct membuf got = {0};
        adbk_status st = adbk_reader_read_member(r, (size_t)k, collect, &got, &err);
        if (EXPECT_STATUS_FOR(ADBK_OK, st, &err, "%s: reading \"%s\"", what, w[i].name) &&
            (got.len != w[i].len || (w[i].len && memcmp(got.p, w[i].data, w[i].len) != 0)))
            TEST_FAIL_AT("%s: \"%s\" holds %zu bytes that differ from the original's %zu", what,
                         w[i].name, got.len, w[i].len);
        free(got.p);
    }
    adbk_reader_close(r);
}

static void want_whole(struct want *w, size_t *n, size_t i)
{
    snprintf(w[*n].name, sizeof w[*n].name, "%s", members[i].name);
    w[*n].data = members[i].data;
    w[*n].len = members[i].size;
    w[*n].kind = members[i].kind;
    (*n)++;
}

/* Every member whole but member x, whose record was lost: its bytes go to
 * lost+found under its number. Returns how many entries w holds. */
static size_t want_all_but_record_of(struct want *w, size_t x)
{
    size_t n = 0;
    for (size_t i = 0; i < NMEM; i++)
        if (i != x)
            want_whole(w, &n, i);
    snprintf(w[n].name, sizeof w[n].name, "lost+found/member-%zu.bytes-0-%zu", x,
             members[x].size - 1);
    w[n].data = members[x].data;
    w[n].len = members[x].size;
    w[n].kind = ADBK_KIND_FILE;
    return n + 1;
}

static void want_piece(struct want *w, size_t *n, size_t i, uint64_t from, uint64_t len)
{
    snprintf(w[*n].name, sizeof w[*n].name, "lost+found/%s.bytes-%llu-%llu", members[i].name,
             (unsigned long long)from, (unsigned long long)(from + len - 1));
    w[*n].data = members[i].data + from;
    w[*n].len = (size_t)len;
    w[*n].kind = ADBK_KIND_FILE;
    (*n)++;
}

static void expect_lost(const char *what, const char *name, size_t n,
                        const struct adbk_salvage_range *want)
{
    const struct rep *r = rep_of(name);
    if (!r) {
        TEST_FAIL_AT("%s: no report for \"%s\"", what, name);
        return;
    }
    if (r->complete != (n == 0 && r->npieces == 0) && n > 0)
        TEST_FAIL_AT("%s: \"%s\" reported complete with losses", what, name);
    if (r->nlost != n) {
        TEST_FAIL_AT("%s: \"%s\": %zu lost ranges reported, expected %zu", what, name, r->nlost,
                     n);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (r->lost[i].offset != want[i].offset || r->lost[i].length != want[i].length)
            TEST_FAIL_AT("%s: \"%s\": lost range %zu is %llu+%llu, expected %llu+%llu", what,
                         name, i, (unsigned long long)r->lost[i].offset,
                         (unsigned long long)r->lost[i].length,
                         (unsigned long long)want[i].offset, (unsigned long long)want[i].length);
}

static void flip(struct membuf *m, uint64_t off)
{
    m->p[off] ^= 0xFF;
}

/* Rewrites the Record_Checksum of the record frame at off after a change
 * inside it: then only the seal (or the header MAC) can tell. */
static void fix_record(struct membuf *m, uint64_t off)
{
    uint32_t n = le32(m->p + off + 4); /* Frame_Size: the checksum lies at +n */
    uint64_t h = XXH3_64bits(m->p + off + 8, n - 8);
    for (int i = 0; i < 8; i++)
        m->p[off + n + i] = (uint8_t)(h >> (8 * i));
}

/* ------------------------------------------------------------ tests */

TEST(intact_archive_is_copied_whole)
{
    struct membuf in = {0}, out = {0};
    build(&in);
    struct adbk_salvage_result res;
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, salvage(&in, &out, &res, &err), &err);
    EXPECT_EQ_U64(NMEM, res.members);
    EXPECT_EQ_U64(NMEM, res.complete);
    EXPECT_EQ_U64(0, res.incomplete);
    EXPECT_TRUE(res.header_ok && res.index_ok && res.seek_table_ok);
    EXPECT_EQ_U64(CS, res.chunk_size);
    struct want w[NMEM];
    size_t n = 0;
    for (size_t i = 0; i < NMEM; i++)
        want_whole(w, &n, i);
    check_output(&out, w, n, "intact");
    struct adbk_source src = membuf_source(&out);
    struct adbk_reader *r;
    REQUIRE_STATUS(ADBK_OK, adbk_reader_open_source(&src, NULL, &r, &err), &err);
    EXPECT_STR("DC01", adbk_reader_property(r, "server"));
    EXPECT_STR("complete: all 6 members recovered", adbk_reader_property(r, "salvage.result"));
    adbk_reader_close(r);
    free(in.p);
    free(out.p);
}

/* For a cut at c: what salvage must produce, derived from the frames. */
static void check_cut(struct membuf *in, uint64_t c)
{
    struct membuf cut = *in;
    cut.len = (size_t)c;
    struct membuf out;
    struct adbk_salvage_result res;
    struct adbk_error err = {0};
    char what[64];
    snprintf(what, sizeof what, "cut at %llu", (unsigned long long)c);
    adbk_status st = salvage(&cut, &out, &res, &err);
    if (c < frames[0].end) {
        /* Not even the header record is whole: nothing to salvage. */
        EXPECT_STATUS_FOR(ADBK_E_NOT_ADBK, st, &err, "%s", what);
        free(out.p);
        return;
    }
    if (mode.enc && c < frames[1].end) {
        /* The key record is cut: nothing can be opened. */
        EXPECT_STATUS_FOR(ADBK_E_KEY, st, &err, "%s", what);
        if (st == ADBK_E_KEY && !strstr(err.message, "key record is lost"))
            TEST_FAIL_AT("%s: the message does not say why: %s", what, err.message);
        free(out.p);
        return;
    }
    if (!EXPECT_STATUS_FOR(ADBK_OK, st, &err, "%s", what)) {
        free(out.p);
        return;
    }
    struct want w[2 * NMEM];
    size_t n = 0;
    for (size_t i = 0; i < NMEM; i++) {
        size_t f = first_frame[i];
        size_t chunks = (members[i].size + CS - 1) / CS;
        if (frames[f].end > c) {
            if (rep_of(members[i].name))
                TEST_FAIL_AT("%s: \"%s\" reported though its record is cut", what,
                             members[i].name);
            continue;
        }
        if (frames[f + chunks + 1].end <= c || members[i].kind == ADBK_KIND_DIRECTORY) {
            want_whole(w, &n, i);
            expect_lost(what, members[i].name, 0, NULL);
            continue;
        }
        size_t k = 0;
        while (k < chunks && frames[f + 1 + k].end <= c)
            k++;
        uint64_t got = (uint64_t)k * CS;
        if (got > members[i].size)
            got = members[i].size;
        if (got)
            want_piece(w, &n, i, 0, got);
        /* A short last chunk tells the size even without the end record. */
        bool ends_short = k == chunks && members[i].size % CS != 0;
        struct adbk_salvage_range lost = {got, TO_END};
        expect_lost(what, members[i].name, ends_short ? 0 : 1, &lost);
    }
    check_output(&out, w, n, what);
    free(out.p);
}

static void cut_everywhere(void)
{
    struct membuf in = {0};
    build(&in);
    walk(&in);
    REQUIRE_TRUE(nframes > 10 && frames[nframes - 1].end == in.len);
    /* Every frame boundary, one byte either side, and a spread in between. */
    unsigned tried = 0;
    for (size_t f = 0; f < nframes; f++) {
        for (int d = -1; d <= 1; d++) {
            uint64_t c = frames[f].end + (uint64_t)(int64_t)d;
            if (c > 0 && c < in.len) {
                check_cut(&in, c);
                tried++;
            }
        }
        uint64_t mid = (frames[f].off + frames[f].end) / 2;
        if (mid > 0 && mid < in.len) {
            check_cut(&in, mid);
            tried++;
        }
    }
    for (uint64_t c = 1; c < in.len; c += 211) {
        check_cut(&in, c);
        tried++;
    }
    fprintf(stderr, "%u cut offsets tried\n", tried);
    free(in.p);
}

TEST(cut_at_many_offsets)
{
    cut_everywhere();
}

static void check_all_complete(struct membuf *in, const char *what, bool index_ok)
{
    struct membuf out;
    struct adbk_salvage_result res;
    struct adbk_error err = {0};
    REQUIRE_STATUS_FOR(ADBK_OK, salvage(in, &out, &res, &err), &err, "%s", what);
    EXPECT_EQ_U64(NMEM, res.complete);
    EXPECT_EQ_U64(0, res.incomplete);
    EXPECT_EQ_U64(index_ok, res.index_ok);
    struct want w[NMEM];
    size_t n = 0;
    for (size_t i = 0; i < NMEM; i++)
        want_whole(w, &n, i);
    check_output(&out, w, n, what);
    free(out.p);
}

TEST(damaged_index)
{
    struct membuf in = {0};
    build(&in);
    walk(&in);
    struct frame *idx = &frames[nframes - 2];
    flip(&in, (idx->off + idx->end) / 2);
    check_all_complete(&in, "damaged index", false);
    flip(&in, idx->off + 5); /* and its size field */
    check_all_complete(&in, "damaged index size", false);
    free(in.p);
}

TEST(damaged_seek_table)
{
    struct membuf in = {0};
    build(&in);
    walk(&in);
    struct frame *seek = &frames[nframes - 1];
    flip(&in, seek->off + 8 + 12 * 3); /* an entry's compressed size */
    check_all_complete(&in, "damaged seek-table entry", true);
    flip(&in, seek->end - 1);          /* and the footer's magic */
    check_all_complete(&in, "damaged seek-table footer", true);
    free(in.p);
}

/* A chunk in the middle of the database is damaged: with the seek table, and
 * without it (then the frame's extent comes from its own headers or the
 * member-end record places the rest). */
static void check_damaged_chunk(bool kill_seek, uint64_t where)
{
    struct membuf in = {0};
    build(&in);
    walk(&in);
    size_t db = 1, f = first_frame[db] + 1 + 2; /* chunk 2 of the database */
    uint64_t len = frames[f].end - frames[f].off;
    flip(&in, frames[f].off + (where < len ? where : len / 2));
    if (kill_seek)
        flip(&in, in.len - 1);
    struct membuf out;
    struct adbk_salvage_result res;
    struct adbk_error err = {0};
    char what[80];
    snprintf(what, sizeof what, "%schunk 2 damaged at +%llu%s", mode.enc ? "encrypted, " : "",
             (unsigned long long)where, kill_seek ? ", no seek table" : "");
    if (!EXPECT_STATUS_FOR(ADBK_OK, salvage(&in, &out, &res, &err), &err, "%s", what)) {
        free(in.p);
        return;
    }
    EXPECT_EQ_U64(NMEM - 1, res.complete);
    EXPECT_EQ_U64(1, res.incomplete);
    /* Without the seek table a damaged frame header hides how many frames
     * were lost; the member-end record still places what follows. */
    if (!kill_seek)
        EXPECT_EQ_U64(1, res.chunks_lost);
    EXPECT_EQ_U64(CS, res.bytes_lost);
    struct want w[NMEM + 2];
    size_t n = 0;
    for (size_t i = 0; i < NMEM; i++) {
        if (i != db) {
            want_whole(w, &n, i);
            continue;
        }
        want_piece(w, &n, i, 0, 2 * CS);
        want_piece(w, &n, i, 3 * CS, members[i].size - 3 * CS);
    }
    check_output(&out, w, n, what);
    struct adbk_salvage_range lost = {2 * CS, CS};
    expect_lost(what, members[db].name, 1, &lost);
    free(out.p);
    free(in.p);
}

TEST(damaged_chunk_in_the_middle)
{
    check_damaged_chunk(false, 100);
    check_damaged_chunk(true, 100);
    /* The frame header and the first block header: its extent is unknown. */
    for (uint64_t at = 4; at < 12; at++)
        check_damaged_chunk(true, at);
    check_damaged_chunk(false, 4);
}

TEST(damaged_member_record)
{
    struct membuf in = {0};
    build(&in);
    walk(&in);
    size_t db = 1;
    struct frame *rec = &frames[first_frame[db]];
    flip(&in, rec->off + 20);
    /* The index names it: the member is whole again. */
    check_all_complete(&in, "damaged member record", true);

    /* Without the index it keeps its bytes, under a name from its number. */
    struct frame *idx = &frames[nframes - 2];
    flip(&in, (idx->off + idx->end) / 2);
    struct membuf out;
    struct adbk_salvage_result res;
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, salvage(&in, &out, &res, &err), &err);
    EXPECT_EQ_U64(NMEM - 1, res.complete);
    EXPECT_EQ_U64(1, res.incomplete);
    EXPECT_EQ_U64(0, res.bytes_lost);
    struct want w[NMEM];
    size_t n = want_all_but_record_of(w, db);
    check_output(&out, w, n, "damaged member record, no index");
    free(out.p);

    /* And without the seek table too. */
    flip(&in, in.len - 1);
    REQUIRE_STATUS(ADBK_OK, salvage(&in, &out, &res, &err), &err);
    check_output(&out, w, n, "damaged member record, no index, no seek table");
    free(out.p);
    free(in.p);
}

TEST(damaged_header_record)
{
    struct membuf in = {0};
    build(&in);
    walk(&in);
    flip(&in, 20); /* inside the Archive_Id */
    struct membuf out;
    struct adbk_salvage_result res;
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, salvage(&in, &out, &res, &err), &err);
    EXPECT_TRUE(!res.header_ok);
    EXPECT_EQ_U64(CS, res.chunk_size); /* inferred from the full chunks */
    EXPECT_EQ_U64(NMEM, res.complete);
    struct want w[NMEM];
    size_t n = 0;
    for (size_t i = 0; i < NMEM; i++)
        want_whole(w, &n, i);
    check_output(&out, w, n, "damaged header");
    /* Created comes from the index then: a salvaged backup must not look
     * younger than it is (its tombstone lifetime counts from Created). */
    struct adbk_source src = membuf_source(&out);
    struct adbk_reader *r;
    REQUIRE_STATUS(ADBK_OK, adbk_reader_open_source(&src, NULL, &r, &err), &err);
    EXPECT_EQ_U64(1700000000, (uint64_t)adbk_reader_info(r)->created_sec);
    adbk_reader_close(r);
    free(out.p);
    free(in.p);
}

TEST(not_an_archive_and_dry_run)
{
    struct membuf junk = {0};
    uint8_t bytes[5000];
    fill_pattern(bytes, sizeof bytes, 9);
    membuf_write(&junk, bytes, sizeof bytes);
    struct adbk_source src = membuf_source(&junk);
    struct adbk_salvage_result res;
    struct adbk_error err = {0};
    EXPECT_STATUS(ADBK_E_NOT_ADBK, adbk_salvage(&src, NULL, NULL, NULL, &res, &err), &err);
    EXPECT_TRUE(strstr(err.message, "memory archive") != NULL);
    free(junk.p);

    struct membuf in = {0};
    build(&in);
    src = membuf_source(&in);
    nreps = 0;
    struct adbk_salvage_callbacks cb = {.member = on_member};
    EXPECT_STATUS(ADBK_OK, adbk_salvage(&src, NULL, NULL, &cb, &res, &err), &err);
    EXPECT_EQ_U64(NMEM, nreps);
    EXPECT_EQ_U64(NMEM, res.complete);
    free(in.p);
}

/* ------------------------------------------------------------ encrypted (13.7) */

/* The database's member-end record, chunk k of it, and the index. */
#define DB 1u
static struct frame *db_chunk(size_t k)
{
    return &frames[first_frame[DB] + 1 + k];
}
static struct frame *db_end(void)
{
    return &frames[first_frame[DB] + 1 + (members[DB].size + CS - 1) / CS];
}
static struct frame *index_frame(void)
{
    return &frames[nframes - 2];
}

/* What the database's salvage must give when chunk 2 is lost: every other
 * member whole, the database's chunks 0-1 and 3-5 under lost+found/, and
 * exactly chunk 2's bytes reported lost. */
static void check_db_chunk_2_lost(struct membuf *out, const struct adbk_salvage_result *res,
                                  const char *what)
{
    EXPECT_EQ_U64(NMEM - 1, res->complete);
    EXPECT_EQ_U64(1, res->incomplete);
    EXPECT_EQ_U64(CS, res->bytes_lost);
    EXPECT_TRUE(res->encrypted);
    struct want w[NMEM + 2];
    size_t n = 0;
    for (size_t i = 0; i < NMEM; i++) {
        if (i != DB) {
            want_whole(w, &n, i);
            continue;
        }
        want_piece(w, &n, i, 0, 2 * CS);
        want_piece(w, &n, i, 3 * CS, members[i].size - 3 * CS);
    }
    check_output(out, w, n, what);
    struct adbk_salvage_range lost = {2 * CS, CS};
    expect_lost(what, members[DB].name, 1, &lost);
}

/* An intact encrypted archive is repaired as a whole: encrypted (format
 * 2.0) to the same recipient, read with the same key, under a new
 * Archive_Id, with the old one in salvage.from. */
TEST(encrypted_intact_archive_is_copied_whole)
{
    mode_encrypted();
    struct membuf in = {0}, out = {0};
    build(&in);
    struct adbk_salvage_result res;
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, salvage(&in, &out, &res, &err), &err);
    EXPECT_EQ_U64(NMEM, res.complete);
    EXPECT_TRUE(res.header_ok && res.index_ok && res.seek_table_ok && res.encrypted);
    struct want w[NMEM];
    size_t n = 0;
    for (size_t i = 0; i < NMEM; i++)
        want_whole(w, &n, i);
    check_output(&out, w, n, "encrypted, intact");

    struct adbk_source a = membuf_source(&in), b = membuf_source(&out);
    struct adbk_reader_options ro = {.identities = &mode.id, .identity_count = 1};
    struct adbk_reader *ra, *rb;
    REQUIRE_STATUS(ADBK_OK, adbk_reader_open_source(&a, &ro, &ra, &err), &err);
    REQUIRE_STATUS(ADBK_OK, adbk_reader_open_source(&b, &ro, &rb, &err), &err);
    char id[33];
    adbk_hex128(adbk_reader_info(ra)->archive_id, id);
    EXPECT_TRUE(memcmp(adbk_reader_info(ra)->archive_id, adbk_reader_info(rb)->archive_id,
                       16) != 0);
    EXPECT_STR(id, adbk_reader_property(rb, "salvage.from"));
    EXPECT_STR("DC01", adbk_reader_property(rb, "server"));
    EXPECT_EQ_U64(1, adbk_reader_info(rb)->recipient_count);
    EXPECT_EQ_U64(1700000000, (uint64_t)adbk_reader_info(rb)->created_sec);
    adbk_reader_close(ra);
    adbk_reader_close(rb);
    free(in.p);
    free(out.p);
    mode_reset();
}

/* A damaged chunk record (its checksum fails) is lost; the other members
 * are whole, the database's intact ranges in lost+found/: with and without
 * the seek table, and whatever part of the record is hit. */
TEST(encrypted_damaged_chunk_in_the_middle)
{
    mode_encrypted();
    check_damaged_chunk(false, 100);
    check_damaged_chunk(true, 100);
    for (uint64_t at = 4; at < 12; at++) /* Frame_Size and Record_Type */
        check_damaged_chunk(true, at);
    check_damaged_chunk(false, 4);
    mode_reset();
}

TEST(encrypted_cut_at_many_offsets)
{
    mode_encrypted();
    cut_everywhere();
    mode_reset();
}

/* A chunk record whose checksum holds but whose seal does not (changed on
 * purpose) is damage "does not authenticate" at its offset, and lost. */
TEST(encrypted_chunk_that_does_not_authenticate)
{
    mode_encrypted();
    struct membuf in = {0}, out;
    build(&in);
    walk(&in);
    struct frame *c = db_chunk(2);
    flip(&in, c->off + 100);
    fix_record(&in, c->off);
    for (int seek = 1; seek >= 0; seek--) {
        if (!seek)
            flip(&in, in.len - 1);
        struct adbk_salvage_result res;
        struct adbk_error err = {0};
        REQUIRE_STATUS(ADBK_OK, salvage(&in, &out, &res, &err), &err);
        if (!damage_reported(c->off, "does not authenticate"))
            TEST_FAIL_AT("no \"does not authenticate\" damage at byte %llu (%zu damages, "
                         "the first: %s)", (unsigned long long)c->off, ndamages,
                         ndamages ? damages[0].msg : "none");
        EXPECT_EQ_U64(1, res.chunks_lost);
        check_db_chunk_2_lost(&out, &res, seek ? "chunk does not authenticate"
                                               : "chunk does not authenticate, no seek table");
        free(out.p);
    }
    free(in.p);
    mode_reset();
}

/* A member record that does not authenticate is damage; the index still
 * names its member, which is whole again. Without the index its chunks
 * still name their member's number: lost+found/member-1.bytes-... */
TEST(encrypted_member_record_that_does_not_authenticate)
{
    mode_encrypted();
    struct membuf in = {0}, out;
    build(&in);
    walk(&in);
    struct frame *rec = &frames[first_frame[DB]];
    flip(&in, rec->end - 20);
    fix_record(&in, rec->off);
    struct adbk_salvage_result res;
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, salvage(&in, &out, &res, &err), &err);
    EXPECT_TRUE(damage_reported(rec->off, "does not authenticate"));
    EXPECT_EQ_U64(NMEM, res.complete);
    struct want w[NMEM];
    size_t n = 0;
    for (size_t i = 0; i < NMEM; i++)
        want_whole(w, &n, i);
    check_output(&out, w, n, "encrypted, member record does not authenticate");
    free(out.p);

    flip(&in, (index_frame()->off + index_frame()->end) / 2);
    REQUIRE_STATUS(ADBK_OK, salvage(&in, &out, &res, &err), &err);
    EXPECT_EQ_U64(NMEM - 1, res.complete);
    EXPECT_EQ_U64(0, res.bytes_lost);
    n = want_all_but_record_of(w, DB);
    check_output(&out, w, n, "encrypted, member record does not authenticate, no index");
    free(out.p);
    free(in.p);
    mode_reset();
}

/* Chunks of an encrypted archive are placed by their Chunk_Index: here
 * chunk 2's size field is damaged (its extent is unknown), and the seek
 * table, the index and the database's member-end record, which a plain
 * archive's salvage would count back from, are lost too. Chunks 3-5 still
 * land at byte 3 x 4096, and the short last chunk gives the size. */
TEST(encrypted_chunks_are_placed_by_their_index)
{
    mode_encrypted();
    struct membuf in = {0}, out;
    build(&in);
    walk(&in);
    flip(&in, db_chunk(2)->off + 5);
    flip(&in, (db_end()->off + db_end()->end) / 2);
    flip(&in, (index_frame()->off + index_frame()->end) / 2);
    flip(&in, in.len - 1);
    struct adbk_salvage_result res;
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, salvage(&in, &out, &res, &err), &err);
    EXPECT_TRUE(!res.index_ok && !res.seek_table_ok);
    check_db_chunk_2_lost(&out, &res, "encrypted, placed by index");
    const struct rep *r = rep_of(members[DB].name);
    EXPECT_TRUE(r && r->size_known && r->size == members[DB].size);
    free(out.p);
    free(in.p);
    mode_reset();
}

/* Without a secret key, or with one the archive is not encrypted to,
 * nothing is opened and nothing written: ADBK_E_KEY, saying which; a dry
 * run too. */
TEST(encrypted_without_the_key_is_refused)
{
    mode_encrypted();
    struct membuf in = {0}, out;
    build(&in);
    struct adbk_salvage_result res;
    struct adbk_error err = {0};
    mode.ids = NULL;
    mode.nids = 0;
    EXPECT_STATUS(ADBK_E_KEY, salvage(&in, &out, &res, &err), &err);
    EXPECT_TRUE(strstr(err.message, "none was given") != NULL);
    EXPECT_EQ_U64(0, out.len);
    free(out.p);
    struct adbk_source src = membuf_source(&in);
    EXPECT_STATUS(ADBK_E_KEY, adbk_salvage(&src, NULL, NULL, NULL, &res, &err), &err);
    /* The header lost: the key record says the archive is encrypted. */
    flip(&in, 20);
    EXPECT_STATUS(ADBK_E_KEY, salvage(&in, &out, &res, &err), &err);
    EXPECT_TRUE(strstr(err.message, "none was given") != NULL);
    free(out.p);
    flip(&in, 20);

    struct adbk_age_identity other;
    REQUIRE_STATUS(ADBK_OK, adbk_age_identity_parse(other_secret, &other, &err), &err);
    mode.ids = &other;
    mode.nids = 1;
    EXPECT_STATUS(ADBK_E_KEY, salvage(&in, &out, &res, &err), &err);
    EXPECT_TRUE(strstr(err.message, "none of the 1 key given opens it") != NULL);
    EXPECT_EQ_U64(0, out.len);
    free(out.p);
    /* Any of several keys will do. */
    struct adbk_age_identity two[2] = {other, mode.id};
    mode.ids = two;
    mode.nids = 2;
    EXPECT_STATUS(ADBK_OK, salvage(&in, &out, &res, &err), &err);
    EXPECT_EQ_U64(NMEM, res.complete);
    free(out.p);
    adbk_wipe(&other, sizeof other);
    adbk_wipe(two, sizeof two);
    free(in.p);
    mode_reset();
}

/* The header lost: the Archive_Id the keys derive from comes from the
 * index's clear part, checked by opening the sealed index. Without the
 * index either, nothing can be opened. */
TEST(encrypted_header_lost)
{
    mode_encrypted();
    struct membuf in = {0}, out;
    build(&in);
    walk(&in);
    flip(&in, 20);
    struct adbk_salvage_result res;
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, salvage(&in, &out, &res, &err), &err);
    EXPECT_TRUE(!res.header_ok && res.index_ok);
    EXPECT_EQ_U64(CS, res.chunk_size);
    EXPECT_EQ_U64(NMEM, res.complete);
    struct want w[NMEM];
    size_t n = 0;
    for (size_t i = 0; i < NMEM; i++)
        want_whole(w, &n, i);
    check_output(&out, w, n, "encrypted, header lost");
    struct adbk_source src = membuf_source(&out);
    struct adbk_reader_options ro = {.identities = &mode.id, .identity_count = 1};
    struct adbk_reader *r;
    REQUIRE_STATUS(ADBK_OK, adbk_reader_open_source(&src, &ro, &r, &err), &err);
    EXPECT_EQ_U64(1700000000, (uint64_t)adbk_reader_info(r)->created_sec); /* the index's */
    adbk_reader_close(r);
    free(out.p);

    flip(&in, (index_frame()->off + index_frame()->end) / 2);
    EXPECT_STATUS(ADBK_E_KEY, salvage(&in, &out, &res, &err), &err);
    EXPECT_TRUE(strstr(err.message, "no index record gives the Archive_Id") != NULL);
    free(out.p);
    free(in.p);
    mode_reset();
}

/* Header and key record intact (their checksums hold) but the header MAC
 * fails: reported, and the header is not used (as if lost). */
TEST(encrypted_header_mac_fails)
{
    mode_encrypted();
    struct membuf in = {0}, out;
    build(&in);
    walk(&in);
    flip(&in, frames[0].end - 9); /* the last byte of Tool */
    fix_record(&in, 0);
    struct adbk_salvage_result res;
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, salvage(&in, &out, &res, &err), &err);
    EXPECT_TRUE(damage_reported(frames[1].off, "header MAC fails"));
    EXPECT_TRUE(!res.header_ok);
    EXPECT_EQ_U64(NMEM, res.complete);
    struct want w[NMEM];
    size_t n = 0;
    for (size_t i = 0; i < NMEM; i++)
        want_whole(w, &n, i);
    check_output(&out, w, n, "encrypted, header MAC fails");
    free(out.p);
    free(in.p);
    mode_reset();
}

/* The key record damaged: ADBK_E_KEY, naming it. */
TEST(encrypted_key_record_lost)
{
    mode_encrypted();
    struct membuf in = {0}, out;
    build(&in);
    walk(&in);
    flip(&in, (frames[1].off + frames[1].end) / 2);
    struct adbk_salvage_result res;
    struct adbk_error err = {0};
    EXPECT_STATUS(ADBK_E_KEY, salvage(&in, &out, &res, &err), &err);
    EXPECT_TRUE(strstr(err.message, "key record is lost") != NULL);
    EXPECT_EQ_U64(0, out.len);
    free(out.p);
    free(in.p);
    mode_reset();
}

/* ------------------------------------------------------------ signed (12) */

/* A signed archive is salvaged like any other; the repaired archive cannot
 * keep the signature: unsigned, or signed by salvage's own key. Encrypted
 * and signed likewise. */
static void check_signed(bool enc)
{
    struct adbk_sign_key writer_key, salvager_key;
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, adbk_sign_keygen(&writer_key, &err), &err);
    REQUIRE_STATUS(ADBK_OK, adbk_sign_keygen(&salvager_key, &err), &err);
    if (enc)
        mode_encrypted();
    else
        mode_reset();
    mode.sign = &writer_key;
    struct membuf in = {0}, out;
    build(&in);
    walk(&in);
    flip(&in, db_chunk(2)->off + 100);
    for (int signs = 0; signs <= 1; signs++) {
        mode.salvage_sign = signs ? &salvager_key : NULL;
        struct adbk_salvage_result res;
        REQUIRE_STATUS(ADBK_OK, salvage(&in, &out, &res, &err), &err);
        EXPECT_EQ_U64(NMEM - 1, res.complete);
        EXPECT_EQ_U64(CS, res.bytes_lost);
        struct want w[NMEM + 2];
        size_t n = 0;
        for (size_t i = 0; i < NMEM; i++) {
            if (i != DB) {
                want_whole(w, &n, i);
                continue;
            }
            want_piece(w, &n, i, 0, 2 * CS);
            want_piece(w, &n, i, 3 * CS, members[i].size - 3 * CS);
        }
        check_output(&out, w, n, signs ? "signed, salvage signs" : "signed");
        free(out.p);
    }
    free(in.p);
    adbk_wipe(&writer_key, sizeof writer_key);
    adbk_wipe(&salvager_key, sizeof salvager_key);
    mode_reset();
}

TEST(signed_archive_is_salvaged_unsigned_or_signed_anew)
{
    check_signed(false);
}

TEST(encrypted_signed_archive_is_salvaged)
{
    check_signed(true);
}

/* Inputs the salvage fuzzer found, kept as regressions: each must be
 * salvaged or refused cleanly; under AddressSanitizer a leak fails the test.
 * two-index-records-first-malformed.bin: a first index record whose entries
 * were malformed, then another; the first one's names leaked. */
TEST(fuzzer_regressions)
{
    static const char *const files[] = {"two-index-records-first-malformed.bin"};
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", ADBK_SALVAGE_REGRESS_DIR, files[k]);
        FILE *f = fopen(path, "rb");
        REQUIRE_TRUE(f != NULL);
        struct membuf in = {0}, out = {0};
        uint8_t buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0)
            membuf_write(&in, buf, n);
        fclose(f);
        struct adbk_salvage_result res;
        struct adbk_error err = {0};
        adbk_status st = salvage(&in, &out, &res, &err);
        if (st != ADBK_OK && err.message[0] == '\0')
            TEST_FAIL_AT("%s: %s without a message", files[k], adbk_status_name(st));
        free(in.p);
        free(out.p);
    }
}

/* Issue 12, point 10: an archive with a hole of 4 GiB of zeros before its
 * last member record, as a sparse file would have it. The source says where
 * the hole ends (next_data, like SEEK_DATA) and refuses to hand out more than
 * 16 MiB of the hole: salvage must step over it, not read it, and recover
 * every member, the one after the hole included. */
#define HOLE (4ull << 30)
struct holey {
    const struct membuf *m;
    uint64_t at;                  /* the hole is at this offset of m */
    uint64_t hole_read;
};

static int holey_read_at(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct holey *h = ctx;
    uint8_t *p = buf;
    while (len) {
        size_t n;
        if (off < h->at) {
            n = h->at - off < len ? (size_t)(h->at - off) : len;
            memcpy(p, h->m->p + off, n);
        } else if (off < h->at + HOLE) {
            n = h->at + HOLE - off < len ? (size_t)(h->at + HOLE - off) : len;
            if ((h->hole_read += n) > (16u << 20))
                return EIO;
            memset(p, 0, n);
        } else {
            n = len;
            memcpy(p, h->m->p + (off - HOLE), n);
        }
        p += n;
        len -= n;
        off += n;
    }
    return 0;
}

static int holey_next_data(void *ctx, uint64_t off, uint64_t *data)
{
    struct holey *h = ctx;
    /* Holes are whole pages: report the page-aligned part of it. */
    uint64_t hs = (h->at + 4095) & ~4095ull, he = (h->at + HOLE) & ~4095ull;
    *data = off >= hs && off < he ? he : off;
    return 0;
}

TEST(sparse_gap_is_crossed_unread)
{
    struct membuf in = {0}, out = {0};
    build(&in);
    walk(&in);
    struct holey h = {.m = &in, .at = frames[first_frame[NMEM - 1]].off};
    struct adbk_source src = {holey_read_at, &h, in.len + HOLE, "holey archive",
                              holey_next_data};
    struct adbk_sink sink = membuf_sink(&out);
    struct adbk_salvage_callbacks cb = {.member = on_member};
    struct adbk_salvage_options o = {.threads = 2};
    struct adbk_salvage_result res;
    struct adbk_error err = {0};
    nreps = 0;
    adbk_status st = adbk_salvage(&src, &sink, &o, &cb, &res, &err);
    EXPECT_STATUS_FOR(ADBK_OK, st, &err, "salvage over a 4 GiB hole");
    EXPECT_EQ_U64(NMEM, res.members);
    EXPECT_EQ_U64(NMEM, res.complete);
    EXPECT_TRUE(res.hole_bytes_skipped >= HOLE - (2u << 20));
    EXPECT_TRUE(h.hole_read <= (16u << 20));
    if (st == ADBK_OK) {
        struct want w[NMEM];
        size_t nw = 0;
        for (size_t i = 0; i < NMEM; i++)
            want_whole(w, &nw, i);
        check_output(&out, w, nw, "4 GiB hole");
    }
    free(in.p);
    free(out.p);
}

/* Issue 12, point 4: fixtures of tests/fixtures/hostile (gen.py). */
static void load_hostile(struct membuf *in, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", ADBK_HOSTILE_DIR, name);
    FILE *f = fopen(path, "rb");
    REQUIRE_TRUE(f != NULL);
    uint8_t buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        membuf_write(in, buf, n);
    fclose(f);
}

/* A folder member with content does not stop salvage: the files around it
 * are recovered whole, the folder is reported incomplete and its bytes are
 * kept under lost+found/ as a file. */
TEST(folder_with_content_is_skipped_not_fatal)
{
    struct membuf in = {0}, out = {0};
    load_hostile(&in, "salvage-folder-with-content.adbk");
    struct adbk_salvage_result res;
    struct adbk_error err = {0};
    adbk_status st = salvage(&in, &out, &res, &err);
    EXPECT_STATUS_FOR(ADBK_OK, st, &err, "salvage");
    EXPECT_EQ_U64(3, res.members);
    EXPECT_EQ_U64(2, res.complete);
    EXPECT_EQ_U64(1, res.incomplete);
    const struct rep *d = rep_of("d");
    EXPECT_TRUE(d && !d->complete);
    if (st == ADBK_OK) {
        struct want w[3] = {{"a.txt", (const uint8_t *)"first file\n", 11, ADBK_KIND_FILE},
                            {"lost+found/d.bytes-0-9", (const uint8_t *)"0123456789", 10,
                             ADBK_KIND_FILE},
                            {"z.txt", (const uint8_t *)"last file\n", 10, ADBK_KIND_FILE}};
        check_output(&out, w, 3, "folder with content");
    }
    free(in.p);
    free(out.p);
}

/* A member of a reserved kind keeps its kind in the repaired archive. */
TEST(reserved_kind_is_kept)
{
    struct membuf in = {0}, out = {0};
    load_hostile(&in, "salvage-reserved-kind.adbk");
    struct adbk_salvage_result res;
    struct adbk_error err = {0};
    adbk_status st = salvage(&in, &out, &res, &err);
    EXPECT_STATUS_FOR(ADBK_OK, st, &err, "salvage");
    EXPECT_EQ_U64(2, res.complete);
    if (st == ADBK_OK) {
        struct want w[2] = {{"a.txt", (const uint8_t *)"first file\n", 11, ADBK_KIND_FILE},
                            {"k.bin", (const uint8_t *)"later kind\n", 11, 200}};
        check_output(&out, w, 2, "reserved kind");
    }
    free(in.p);
    free(out.p);
}

/* The threads of this process, counted in /proc/self/task (0: no /proc). */
static unsigned task_count(void)
{
    DIR *d = opendir("/proc/self/task");
    unsigned n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

struct counting_sink {
    struct membuf m;
    unsigned most_tasks;
};

static int counting_write(void *ctx, const void *buf, size_t len)
{
    struct counting_sink *c = ctx;
    unsigned n = task_count();
    if (n > c->most_tasks)
        c->most_tasks = n;
    return membuf_write(&c->m, buf, len);
}

/* Salvage told to compress in the caller starts no thread: a short-lived
 * caller (fuzz_salvage, once per input) then starts none per archive. With
 * one thread but not in the caller, the writer has its compression worker,
 * which this count sees (so the test can fail). */
TEST(in_caller_starts_no_thread)
{
    if (task_count() == 0) {
        fprintf(stderr, "skipped: no /proc/self/task to count threads in\n");
        return;
    }
    struct membuf in = {0};
    build(&in);
    for (int in_caller = 0; in_caller <= 1; in_caller++) {
        struct counting_sink c = {0};
        struct adbk_source src = membuf_source(&in);
        struct adbk_sink sink = {counting_write, NULL, &c, "memory archive"};
        struct adbk_salvage_options o = {.threads = 1, .in_caller = in_caller};
        struct adbk_salvage_result res;
        struct adbk_error err = {0};
        unsigned before = task_count();
        adbk_status st = adbk_salvage(&src, &sink, &o, NULL, &res, &err);
        EXPECT_STATUS_FOR(ADBK_OK, st, &err, "salvage");
        EXPECT_EQ_U64(NMEM, res.complete);
        fprintf(stderr, "in_caller %d: %u threads before, at most %u while writing\n",
                in_caller, before, c.most_tasks);
        if (in_caller)
            EXPECT_EQ_U64(before, c.most_tasks);
        else
            EXPECT_TRUE(c.most_tasks > before);
        free(c.m.p);
    }
    free(in.p);
}

TEST_MAIN()
