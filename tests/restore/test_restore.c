/*
 * test_restore.c - adbk_restore against the simulated DC: a backup of a busy
 * DC, restored onto the wiped DC, comes back byte for byte and passes the
 * DC's recovery at start; every refusal (expired, unreadable token, online
 * directory, damaged member, log gap, privilege, cancellation) leaves the
 * DC's files and restore state exactly as they were.
 * Archives with one thing changed are made by copying a good one member by
 * member through the writer (copy_archive), so they are intact containers
 * that differ only in what the test is about.
 */
#include "adbk.h"
#include "dcfix.h"
#include "dcsim.h"
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

/* ------------------------------------------------------------ helpers */

/* XXH3-128 of every regular file in the DC folder except the lock file, as
 * "name=hex;" lines: equal strings mean untouched files. */
static void dc_state(const struct bx *b, char *out, size_t cap)
{
    out[0] = '\0';
    struct dirent **names = NULL;
    int n = scandir(b->dc, &names, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        const char *nm = names[i]->d_name;
        char p[1200];
        snprintf(p, sizeof p, "%s/%s", b->dc, nm);
        struct stat sb;
        if (strcmp(nm, "dcsim.lock") != 0 && lstat(p, &sb) == 0 && S_ISREG(sb.st_mode)) {
            XXH3_state_t *h = XXH3_createState();
            XXH3_128bits_reset(h);
            int fd = open(p, O_RDONLY);
            static char buf[1 << 16];
            ssize_t k;
            while (fd >= 0 && (k = read(fd, buf, sizeof buf)) > 0)
                XXH3_128bits_update(h, buf, (size_t)k);
            if (fd >= 0)
                close(fd);
            XXH128_hash_t v = XXH3_128bits_digest(h);
            XXH3_freeState(h);
            size_t len = strlen(out);
            snprintf(out + len, cap - len, "%s=%016llx%016llx;", nm,
                     (unsigned long long)v.high64, (unsigned long long)v.low64);
        }
        free(names[i]);
    }
    free(names);
}

static void restore_state(const struct bx *b, char *out, size_t cap)
{
    struct dcsim_info in;
    snprintf(out, cap, "%s", dcsim_info_read(b->dc, &in) == DCSIM_OK ? in.restore_state : "?");
}

/* A full backup of b's DC (online) into b->out, logs not truncated. */
static adbk_status backup_cb(struct bx *b, const struct adbk_job_callbacks *cb,
                             struct adbk_error *err)
{
    struct adbk_backup_options o = {.out = {.output = b->out}, .truncate = ADBK_TRUNCATE_NO};
    o.out.writer.chunk_size = 256u << 10;
    o.out.writer.threads = 2;
    struct adbk_backup_result res;
    return adbk_backup(b->server, &o, cb, &res, err);
}

static adbk_status backup(struct bx *b, struct adbk_error *err)
{
    return backup_cb(b, NULL, err);
}

/* As each log's copy begins (the backup holds it, so the DC cannot recycle
 * it yet), a hard link keeps the DC's own file to compare with later: a
 * closed log is never written again. */
struct keep_logs {
    struct bx *b;
    char dir[700];
    size_t n, failed;
};

static void keep_log(void *ctx, const char *name, unsigned kind, uint64_t size)
{
    struct keep_logs *k = ctx;
    (void)size;
    if (kind != ADBK_KIND_LOG)
        return;
    char from[1300], to[1300];
    snprintf(from, sizeof from, "%s/%s", k->b->dc, name + 5); /* "logs/" */
    snprintf(to, sizeof to, "%s/%s", k->dir, name + 5);
    if (link(from, to) == 0)
        k->n++;
    else
        k->failed++;
}

/* Sets up a DC, backs it up and takes it offline, as DSRM would. */
static int prepared(struct bx *b, const char *name)
{
    struct adbk_error err = {0};
    if (bx_setup(b, name, 1) != 0)
        return -1;
    if (backup(b, &err) != ADBK_OK) {
        fprintf(stderr, "backup: %s\n", err.message);
        return -1;
    }
    return dcsim_stop(b->dc) == DCSIM_OK ? 0 : -1;
}

struct copy_opts {
    const char *skip;        /* member left out */
    const char *rename_from; /* member stored under another name ... */
    const char *rename_to;   /* ... this one */
    bool flip_token;         /* the token's bytes changed (first byte inverted) */
    int64_t created;         /* nonzero: the copy's creation time */
    const char *gen_low;     /* nonzero: log.generation.low property */
    const char *add_patch;   /* nonzero: a patch member of this name is added */
};

struct wctx {
    struct adbk_writer *w;
    bool flip;
    struct adbk_error *err;
};

static int copy_piece(void *ctx, const void *buf, size_t len)
{
    struct wctx *c = ctx;
    uint8_t tmp[256];
    if (c->flip && len > 0 && len <= sizeof tmp) {
        memcpy(tmp, buf, len);
        tmp[0] ^= 0xFF;
        buf = tmp;
    }
    return adbk_writer_write(c->w, buf, len, c->err) == ADBK_OK ? 0 : EIO;
}

/* Copies archive from into to, member by member, as o says. */
static adbk_status copy_archive(const char *from, const char *to, const struct copy_opts *o)
{
    struct adbk_error err = {0};
    struct adbk_reader *r = NULL;
    adbk_status st = adbk_reader_open(from, NULL, &r, &err);
    if (st != ADBK_OK)
        return st;
    int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    struct adbk_fd_sink fds;
    struct adbk_sink sink;
    adbk_sink_fd(&sink, &fds, fd, to);
    struct adbk_writer_options wo = {.threads = 2, .chunk_size = 256u << 10,
                                     .has_created = o->created != 0, .created_sec = o->created};
    struct adbk_writer *w = NULL;
    st = adbk_writer_open(&sink, &wo, &w, &err);
    const struct adbk_archive_info *in = adbk_reader_info(r);
    for (size_t i = 0; st == ADBK_OK && i < in->property_count; i++) {
        const char *v = in->properties[i].value;
        if (o->gen_low && !strcmp(in->properties[i].key, "log.generation.low"))
            v = o->gen_low;
        st = adbk_writer_set_property(w, in->properties[i].key, v, &err);
    }
    for (size_t i = 0; st == ADBK_OK && i < adbk_reader_count(r); i++) {
        const struct adbk_entry *e = adbk_reader_member(r, i);
        if (o->skip && !strcmp(e->name, o->skip))
            continue;
        bool ren = o->rename_from && !strcmp(e->name, o->rename_from);
        struct adbk_member_info mi = {.name = ren ? o->rename_to : e->name, .source_path = e->source_path,
                                      .kind = e->kind, .bft = e->bft, .flags = e->flags,
                                      .mtime_sec = e->mtime_sec, .mtime_nsec = e->mtime_nsec,
                                      .mode = e->mode};
        st = adbk_writer_begin_member(w, &mi, &err);
        struct wctx c = {w, o->flip_token && e->kind == ADBK_KIND_EXPIRY_TOKEN, &err};
        if (st == ADBK_OK)
            st = adbk_reader_read_member(r, i, copy_piece, &c, &err);
        if (st == ADBK_OK)
            st = adbk_writer_end_member(w, &err);
    }
    if (st == ADBK_OK && o->add_patch) {
        struct adbk_member_info mi = {.name = o->add_patch, .kind = ADBK_KIND_PATCH};
        st = adbk_writer_begin_member(w, &mi, &err);
        if (st == ADBK_OK)
            st = adbk_writer_write(w, "hostile patch", 13, &err);
        if (st == ADBK_OK)
            st = adbk_writer_end_member(w, &err);
    }
    if (st == ADBK_OK)
        st = adbk_writer_finish(w, &err);
    if (st != ADBK_OK)
        fprintf(stderr, "copy_archive: %s\n", err.message);
    adbk_writer_free(w);
    close(fd);
    adbk_reader_close(r);
    return st;
}

struct cb_count {
    uint64_t total;
    unsigned warnings, progress, cancel_after, notes;
    char last_warning[900], last_note[1400];
};

static void on_note(void *ctx, const char *m)
{
    struct cb_count *c = ctx;
    c->notes++;
    snprintf(c->last_note, sizeof c->last_note, "%s", m);
}

static void on_warning(void *ctx, const char *m)
{
    struct cb_count *c = ctx;
    c->warnings++;
    snprintf(c->last_warning, sizeof c->last_warning, "%s", m);
}

static void on_progress(void *ctx, uint64_t done)
{
    (void)done;
    ((struct cb_count *)ctx)->progress++;
}

static void on_total(void *ctx, uint64_t bytes)
{
    struct cb_count *c = ctx;
    if (c->progress == 0) /* before the first file */
        c->total = bytes;
}

static int on_cancel(void *ctx)
{
    struct cb_count *c = ctx;
    return c->cancel_after && c->progress >= c->cancel_after;
}

static adbk_status restore(struct bx *b, const char *archive, const struct adbk_restore_options *o,
                           struct cb_count *cc, struct adbk_restore_result *res,
                           struct adbk_error *err)
{
    struct adbk_reader *r = NULL;
    struct adbk_reader_options ro = {.threads = 2};
    adbk_status st = adbk_reader_open(archive, &ro, &r, err);
    if (st != ADBK_OK)
        return st;
    struct adbk_restore_callbacks cb = {NULL, on_progress, on_warning, on_cancel, cc, on_note, on_total};
    st = adbk_restore(r, b->server, o, &cb, res, err);
    adbk_reader_close(r);
    return st;
}

#define EXPECT_HAS(msg, needle)                                                     \
    do {                                                                           \
        if (!strstr((msg), (needle)))                                             \
            TEST_FAIL_AT("message \"%s\" lacks \"%s\"", (msg), (needle));          \
    } while (0)

/* The promise of every refusal: files, restore state and staging as before,
 * and the server's restore context ended (a new restore can start). */
static void expect_untouched(struct bx *b, const char *files_before)
{
    char after[8192], rs[32];
    dc_state(b, after, sizeof after);
    EXPECT_STR(files_before, after);
    restore_state(b, rs, sizeof rs);
    EXPECT_STR("none", rs);
    EXPECT_EQ_U64(0, dcsim_buffers_outstanding());
    DIR *d = opendir(b->dc);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, ".partial"))
            TEST_FAIL_AT("staged file left behind: %s", e->d_name);
    if (d)
        closedir(d);
    HBC h = NULL;
    EXPECT_HR(S_OK, dcsim_DsRestorePrepare("DC01", RESTORE_TYPE_CATCHUP, NULL, 0, &h));
    dcsim_DsRestoreEnd(h);
}

/* ------------------------------------------------------------ tests */

static void file_equals_member(const char *path, struct adbk_reader *r, const char *member)
{
    long i = adbk_reader_find(r, member);
    REQUIRE_TRUE(i >= 0);
    const struct adbk_entry *e = adbk_reader_member(r, (size_t)i);
    int fd = open(path, O_RDONLY);
    REQUIRE_TRUE(fd >= 0);
    struct stat sb;
    EXPECT_TRUE(fstat(fd, &sb) == 0 && (uint64_t)sb.st_size == e->size);
    XXH3_state_t *h = XXH3_createState();
    XXH3_128bits_reset(h);
    static char buf[1 << 16];
    ssize_t k;
    while ((k = read(fd, buf, sizeof buf)) > 0)
        XXH3_128bits_update(h, buf, (size_t)k);
    close(fd);
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h));
    XXH3_freeState(h);
    if (memcmp(c.digest, e->xxh128, 16) != 0)
        TEST_FAIL_AT("%s differs from member %s", path, member);
}

/* provision -> churn -> backup -> wipe -> restore: the database and the logs
 * come back byte for byte (against the members and against the DC's own
 * log files, linked while the backup held them), the restore is registered with the
 * archive's log range, and the DC starts (its recovery check passes). */
TEST(churned_backup_restores_byte_for_byte)
{
    struct bx b;
    REQUIRE_TRUE(bx_setup(&b, "churn", 1) == 0);
    struct dcsim_churn_opts co = {.pages_per_tick = 16, .tick_ms = 5, .roll_ticks = 4,
                                  .duration_ms = 30000};
    struct dcsim_churn *ch = NULL;
    REQUIRE_TRUE(dcsim_churn_start(b.dc, &co, &ch) == DCSIM_OK);
    REQUIRE_TRUE(bx_faults("slow_read_ms=3") == 0);
    struct keep_logs kl = {.b = &b};
    snprintf(kl.dir, sizeof kl.dir, "%s/logs-at-backup", b.root);
    REQUIRE_TRUE(mkdir(kl.dir, 0755) == 0);
    struct adbk_job_callbacks bcb = {.file_begin = keep_log, .ctx = &kl};
    struct adbk_error err = {0};
    adbk_status st = backup_cb(&b, &bcb, &err);
    EXPECT_TRUE(dcsim_churn_stop(ch) == DCSIM_OK);
    dcsim_faults_set(NULL);
    REQUIRE_STATUS_FOR(ADBK_OK, st, &err, "backup");
    REQUIRE_TRUE(dcsim_stop(b.dc) == DCSIM_OK);
    EXPECT_EQ_U64(0, kl.failed);

    struct adbk_reader *r = NULL;
    REQUIRE_STATUS(ADBK_OK, adbk_reader_open(b.out, NULL, &r, &err), &err);
    const char *copies = kl.dir;
    size_t nlogs = kl.n;
    EXPECT_TRUE(nlogs >= 3); /* generations rolled during the copy */

    /* Wipe: the database and every log. */
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "rm -f '%s'/ntds.dit '%s'/edb*.log", b.dc, b.dc);
    REQUIRE_TRUE(system(cmd) == 0);

    struct cb_count cc = {0};
    struct adbk_restore_result res;
    st = restore(&b, b.out, NULL, &cc, &res, &err);
    REQUIRE_STATUS_FOR(ADBK_OK, st, &err, "restore");
    EXPECT_TRUE(res.registered && res.completed);
    EXPECT_EQ_U64(1 + nlogs, res.files);
    EXPECT_EQ_U64(res.bytes, cc.total); /* the whole job's size, told first */
    EXPECT_EQ_U64(0, cc.warnings);
    EXPECT_TRUE(cc.progress > 0);
    char lo[16], hi[16];
    snprintf(lo, sizeof lo, "%u", res.gen_low);
    snprintf(hi, sizeof hi, "%u", res.gen_high);
    EXPECT_STR(lo, adbk_reader_property(r, "log.generation.low"));
    EXPECT_STR(hi, adbk_reader_property(r, "log.generation.high"));
    EXPECT_EQ_U64(nlogs, res.gen_high - res.gen_low + 1);

    char path[1200];
    snprintf(path, sizeof path, "%s/ntds.dit", b.dc);
    file_equals_member(path, r, "database/ntds.dit");
    for (size_t i = 0; i < adbk_reader_count(r); i++) {
        const struct adbk_entry *e = adbk_reader_member(r, i);
        if (e->kind != ADBK_KIND_LOG)
            continue;
        snprintf(path, sizeof path, "%s/%s", b.dc, e->name + 5);
        file_equals_member(path, r, e->name);
        snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s/%s'", path, copies, e->name + 5);
        if (system(cmd) != 0)
            TEST_FAIL_AT("restored %s differs from the DC's log at backup time", e->name);
    }
    adbk_reader_close(r);

    struct dcsim_info in;
    REQUIRE_TRUE(dcsim_info_read(b.dc, &in) == DCSIM_OK);
    EXPECT_STR("complete", in.restore_state);
    EXPECT_TRUE(dcsim_start(b.dc) == DCSIM_OK); /* runs the recovery check */
    if (dcsim_info_read(b.dc, &in) == DCSIM_OK)
        EXPECT_STR("none", in.restore_state);
    struct dcsim_check_report rep;
    EXPECT_TRUE(dcsim_check(b.dc, &(struct dcsim_check_opts){0}, &rep) == DCSIM_OK);
    EXPECT_EQ_U64(0, dcsim_buffers_outstanding());
    EXPECT_EQ_U64(0, dcsim_buffers_bad_frees());
    bx_teardown(&b);
}

/* A log missing from the middle (the last one stored one generation up):
 * adbk refuses before anything happens. */
TEST(log_gap_in_archive_is_refused_before_anything)
{
    struct bx b;
    REQUIRE_TRUE(prepared(&b, "gap") == 0);
    struct adbk_error err = {0};
    struct adbk_reader *r = NULL;
    REQUIRE_STATUS(ADBK_OK, adbk_reader_open(b.out, NULL, &r, &err), &err);
    char last[300] = "", up[300];
    unsigned high = (unsigned)strtoul(adbk_reader_property(r, "log.generation.high"), NULL, 10);
    for (size_t i = 0; i < adbk_reader_count(r); i++)
        if (adbk_reader_member(r, i)->kind == ADBK_KIND_LOG)
            snprintf(last, sizeof last, "%s", adbk_reader_member(r, i)->name);
    adbk_reader_close(r);
    snprintf(up, sizeof up, "logs/edb%05X.log", high + 1);
    char gap[700];
    snprintf(gap, sizeof gap, "%s/gap.adbk", b.root);
    REQUIRE_STATUS(ADBK_OK,
                   copy_archive(b.out, gap,
                                &(struct copy_opts){.rename_from = last, .rename_to = up}),
                   NULL);
    char before[8192];
    dc_state(&b, before, sizeof before);
    struct cb_count cc = {0};
    adbk_status st = restore(&b, gap, NULL, &cc, NULL, &err);
    EXPECT_STATUS(ADBK_E_CORRUPT, st, &err);
    EXPECT_HAS(err.message, "not contiguous");
    EXPECT_HAS(err.message, "hrMissingLogFile");
    EXPECT_EQ_U64(0, cc.progress);
    expect_untouched(&b, before);
    bx_teardown(&b);
}

/* The first log missing, the rest contiguous: adbk cannot tell (it does not
 * read the database header), registers 0x(low+1).., and the DC's recovery
 * refuses to start with the documented code; the state stays "complete"
 * so a good restore can follow. */
TEST(first_log_missing_fails_recovery_with_documented_code)
{
    struct bx b;
    REQUIRE_TRUE(prepared(&b, "first") == 0);
    struct adbk_error err = {0};
    struct adbk_reader *r = NULL;
    REQUIRE_STATUS(ADBK_OK, adbk_reader_open(b.out, NULL, &r, &err), &err);
    char first[300] = "", lo[16];
    unsigned low = (unsigned)strtoul(adbk_reader_property(r, "log.generation.low"), NULL, 10);
    for (size_t i = 0; i < adbk_reader_count(r) && !first[0]; i++)
        if (adbk_reader_member(r, i)->kind == ADBK_KIND_LOG)
            snprintf(first, sizeof first, "%s", adbk_reader_member(r, i)->name);
    adbk_reader_close(r);
    snprintf(lo, sizeof lo, "%u", low + 1);
    char late[700];
    snprintf(late, sizeof late, "%s/late.adbk", b.root);
    REQUIRE_STATUS(ADBK_OK,
                   copy_archive(b.out, late, &(struct copy_opts){.skip = first, .gen_low = lo}),
                   NULL);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "rm -f '%s'/ntds.dit '%s'/edb*.log", b.dc, b.dc);
    REQUIRE_TRUE(system(cmd) == 0);
    struct adbk_restore_result res;
    adbk_status st = restore(&b, late, NULL, &(struct cb_count){0}, &res, &err);
    REQUIRE_STATUS_FOR(ADBK_OK, st, &err, "restore");
    EXPECT_EQ_U64(low + 1, res.gen_low);
    EXPECT_TRUE(dcsim_start(b.dc) == DCSIM_E_STATE);
    EXPECT_HAS(dcsim_last_error(), "recovery failed");
    EXPECT_HAS(dcsim_last_error(), "hrRestoreLogTooHigh");
    /* The good archive then restores, and the DC starts. */
    st = restore(&b, b.out, NULL, &(struct cb_count){0}, &res, &err);
    EXPECT_STATUS_FOR(ADBK_OK, st, &err, "restore");
    EXPECT_TRUE(dcsim_start(b.dc) == DCSIM_OK);
    bx_teardown(&b);
}

/* adbk's own check: 200 days after the backup, with a lifetime of 180. */
TEST(expired_backup_is_refused_with_age_and_limit)
{
    struct bx b;
    REQUIRE_TRUE(prepared(&b, "expired") == 0);
    char before[8192];
    dc_state(&b, before, sizeof before);
    struct adbk_restore_options o = {.now = (int64_t)time(NULL) + 200 * 86400};
    struct adbk_error err = {0};
    struct adbk_restore_result res;
    adbk_status st = restore(&b, b.out, &o, &(struct cb_count){0}, &res, &err);
    EXPECT_STATUS(ADBK_E_EXPIRED, st, &err);
    EXPECT_HAS(err.message, "200 days old");
    EXPECT_HAS(err.message, "tombstone lifetime of 180 days");
    EXPECT_HAS(err.message, "--allow-expired");
    EXPECT_TRUE(!res.registered);
    expect_untouched(&b, before);
    bx_teardown(&b);
}

/* --allow-expired: adbk warns and goes on; the server (whose clock is
 * earlier here, as when an operator sets it back) accepts the token. */
TEST(allow_expired_restores_with_a_warning)
{
    struct bx b;
    REQUIRE_TRUE(prepared(&b, "allow") == 0);
    struct adbk_restore_options o = {.allow_expired = true,
                                     .now = (int64_t)time(NULL) + 200 * 86400};
    struct cb_count cc = {0};
    struct adbk_error err = {0};
    struct adbk_restore_result res;
    adbk_status st = restore(&b, b.out, &o, &cc, &res, &err);
    EXPECT_STATUS_FOR(ADBK_OK, st, &err, "restore");
    EXPECT_EQ_U64(1, cc.warnings);
    EXPECT_HAS(cc.last_warning, "200 days old");
    EXPECT_HAS(cc.last_warning, "lingering objects");
    EXPECT_TRUE(res.completed);
    bx_teardown(&b);
}

static int64_t clock_plus_200_days(void *ctx)
{
    (void)ctx;
    return (int64_t)time(NULL) + 200 * 86400;
}

/* The server's check: its clock says the token is too old. */
TEST(server_refusing_an_expired_token_is_explained)
{
    struct bx b;
    REQUIRE_TRUE(prepared(&b, "srvexp") == 0);
    char before[8192];
    dc_state(&b, before, sizeof before);
    dcsim_clock_set(clock_plus_200_days, NULL);
    struct adbk_error err = {0};
    adbk_status st = restore(&b, b.out, NULL, &(struct cb_count){0}, NULL, &err);
    dcsim_clock_set(NULL, NULL);
    EXPECT_STATUS(ADBK_E_EXPIRED, st, &err);
    EXPECT_HAS(err.message, "hrContentsExpired");
    EXPECT_HAS(err.message, "days");
    expect_untouched(&b, before);
    bx_teardown(&b);
}

TEST(unknown_token_format_is_refused)
{
    struct bx b;
    REQUIRE_TRUE(prepared(&b, "token") == 0);
    char bad[700];
    snprintf(bad, sizeof bad, "%s/badtoken.adbk", b.root);
    REQUIRE_STATUS(ADBK_OK, copy_archive(b.out, bad, &(struct copy_opts){.flip_token = true}),
                   NULL);
    char before[8192];
    dc_state(&b, before, sizeof before);
    struct adbk_error err = {0};
    adbk_status st = restore(&b, bad, NULL, &(struct cb_count){0}, NULL, &err);
    EXPECT_STATUS(ADBK_E_SOURCE, st, &err);
    EXPECT_HAS(err.message, "hrUnknownExpiryTokenFormat");
    expect_untouched(&b, before);
    bx_teardown(&b);
}

TEST(online_directory_is_refused)
{
    struct bx b;
    REQUIRE_TRUE(prepared(&b, "online") == 0);
    REQUIRE_TRUE(dcsim_start(b.dc) == DCSIM_OK);
    char before[8192];
    dc_state(&b, before, sizeof before);
    struct adbk_error err = {0};
    adbk_status st = restore(&b, b.out, NULL, &(struct cb_count){0}, NULL, &err);
    EXPECT_STATUS(ADBK_E_SOURCE, st, &err);
    EXPECT_HAS(err.message, "running");
    char after[8192];
    dc_state(&b, after, sizeof after);
    EXPECT_STR(before, after);
    bx_teardown(&b);
}

/* One byte of a log's compressed data inverted: the restore stops before
 * registration and names the member and the archive bytes. */
TEST(damaged_member_stops_before_registration)
{
    struct bx b;
    REQUIRE_TRUE(prepared(&b, "damaged") == 0);
    struct adbk_error err = {0};
    struct adbk_reader *r = NULL;
    REQUIRE_STATUS(ADBK_OK, adbk_reader_open(b.out, NULL, &r, &err), &err);
    const struct adbk_entry *last = adbk_reader_member(r, adbk_reader_count(r) - 1);
    char name[300];
    snprintf(name, sizeof name, "%s", last->name);
    uint64_t at = last->offset + last->span / 2;
    adbk_reader_close(r);
    int fd = open(b.out, O_RDWR);
    REQUIRE_TRUE(fd >= 0);
    uint8_t c;
    REQUIRE_TRUE(pread(fd, &c, 1, (off_t)at) == 1);
    c ^= 0xFF;
    REQUIRE_TRUE(pwrite(fd, &c, 1, (off_t)at) == 1);
    close(fd);
    char before[8192];
    dc_state(&b, before, sizeof before);
    struct cb_count cc = {0};
    struct adbk_restore_result res;
    adbk_status st = restore(&b, b.out, NULL, &cc, &res, &err);
    EXPECT_STATUS(ONE_OF(ADBK_E_CHECKSUM, ADBK_E_CORRUPT), st, &err);
    EXPECT_HAS(err.message, name);
    EXPECT_HAS(err.message, "bytes");
    EXPECT_HAS(err.message, "before registration");
    EXPECT_TRUE(!res.registered);
    EXPECT_TRUE(cc.progress > 0); /* earlier members were staged, then removed */
    expect_untouched(&b, before);
    bx_teardown(&b);
}

/* Cancelled at several points while files are staged: nothing registered,
 * nothing left, nothing changed. */
TEST(cancel_during_staging_leaves_nothing)
{
    struct bx b;
    REQUIRE_TRUE(prepared(&b, "cancel") == 0);
    char before[8192];
    dc_state(&b, before, sizeof before);
    unsigned points[] = {1, 5, 20, 60};
    for (size_t k = 0; k < sizeof points / sizeof points[0]; k++) {
        struct cb_count cc = {.cancel_after = points[k]};
        struct adbk_error err = {0};
        struct adbk_restore_result res;
        adbk_status st = restore(&b, b.out, NULL, &cc, &res, &err);
        EXPECT_STATUS(ADBK_E_INTERRUPTED, st, &err);
        EXPECT_HAS(err.message, "nothing was registered");
        EXPECT_TRUE(!res.registered);
        expect_untouched(&b, before);
    }
    bx_teardown(&b);
}

TEST(privilege_refused_by_server_is_explained)
{
    struct bx b;
    REQUIRE_TRUE(prepared(&b, "priv") == 0);
    char before[8192];
    dc_state(&b, before, sizeof before);
    dcsim_privilege_mode(DCSIM_PRIV_DENY);
    struct adbk_error err = {0};
    adbk_status st = restore(&b, b.out, NULL, &(struct cb_count){0}, NULL, &err);
    dcsim_privilege_mode(DCSIM_PRIV_SKIP);
    EXPECT_STATUS(ADBK_E_PRIVILEGE, st, &err);
    EXPECT_HAS(err.message, "CAP_DAC_OVERRIDE");
    expect_untouched(&b, before);
    bx_teardown(&b);
}

/* An archive of plain files is not a directory backup. */
TEST(files_archive_is_not_restorable)
{
    struct bx b;
    REQUIRE_TRUE(prepared(&b, "files") == 0);
    char path[700];
    snprintf(path, sizeof path, "%s/files.adbk", b.root);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    struct adbk_fd_sink fds;
    struct adbk_sink sink;
    adbk_sink_fd(&sink, &fds, fd, path);
    struct adbk_error err = {0};
    struct adbk_writer *w = NULL;
    REQUIRE_STATUS(ADBK_OK, adbk_writer_open(&sink, NULL, &w, &err), &err);
    struct adbk_member_info mi = {.name = "media/ntds.dit", .kind = ADBK_KIND_FILE};
    EXPECT_STATUS(ADBK_OK, adbk_writer_begin_member(w, &mi, &err), &err);
    EXPECT_STATUS(ADBK_OK, adbk_writer_write(w, "x", 1, &err), &err);
    EXPECT_STATUS(ADBK_OK, adbk_writer_end_member(w, &err), &err);
    EXPECT_STATUS(ADBK_OK, adbk_writer_finish(w, &err), &err);
    adbk_writer_free(w);
    close(fd);
    char before[8192];
    dc_state(&b, before, sizeof before);
    struct cb_count cc = {0};
    adbk_status st = restore(&b, path, NULL, &cc, NULL, &err);
    EXPECT_STATUS(ADBK_E_UNSUPPORTED, st, &err);
    EXPECT_HAS(err.message, "no expiry token");
    expect_untouched(&b, before);
    bx_teardown(&b);
}

/* Issue 12.1: a patch member's name chose its destination, so an archive
 * re-packed with the backup's own token overwrote the restored database, a
 * log, the reserve log, the checkpoint or the server's state. Now each is
 * refused before anything is written; only the database's own patch file
 * (ntds.pat, into the checkpoint folder) is placed. */
TEST(patch_member_cannot_choose_its_destination)
{
    struct bx b;
    REQUIRE_TRUE(prepared(&b, "patch") == 0);
    struct adbk_error err = {0};
    struct adbk_reader *r = NULL;
    REQUIRE_STATUS(ADBK_OK, adbk_reader_open(b.out, NULL, &r, &err), &err);
    char log[300] = "";
    for (size_t i = 0; i < adbk_reader_count(r); i++)
        if (adbk_reader_member(r, i)->kind == ADBK_KIND_LOG)
            snprintf(log, sizeof log, "patch/%s", strrchr(adbk_reader_member(r, i)->name, '/') + 1);
    adbk_reader_close(r);
    const char *names[] = {"patch/ntds.dit", log, "patch/edbres00001.jrs", "patch/edb.chk",
                           "patch/dcsim.ini", "patch/NTDS.DIT", "patch/other.pat"};
    char path[700], before[8192];
    snprintf(path, sizeof path, "%s/patched.adbk", b.root);
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        unlink(path);
        REQUIRE_STATUS(ADBK_OK,
                       copy_archive(b.out, path, &(struct copy_opts){.add_patch = names[k]}),
                       NULL);
        dc_state(&b, before, sizeof before);
        struct cb_count cc = {0};
        adbk_status st = restore(&b, path, NULL, &cc, NULL, &err);
        EXPECT_STATUS_FOR(ADBK_E_UNSAFE, st, &err, "patch member %s", names[k]);
        EXPECT_HAS(err.message, names[k]);
        EXPECT_HAS(err.message, "nothing was written");
        EXPECT_EQ_U64(0, cc.progress);
        expect_untouched(&b, before);
    }
    /* The database's own patch file is placed, beside the checkpoint. */
    unlink(path);
    REQUIRE_STATUS(ADBK_OK,
                   copy_archive(b.out, path, &(struct copy_opts){.add_patch = "patch/NTDS.pat"}),
                   NULL);
    adbk_status st = restore(&b, path, NULL, &(struct cb_count){0}, NULL, &err);
    EXPECT_STATUS_FOR(ADBK_OK, st, &err, "restore");
    char pat[700];
    snprintf(pat, sizeof pat, "%s/ntds.pat", b.dc);
    struct stat sb;
    EXPECT_TRUE(stat(pat, &sb) == 0 && sb.st_size == 13);
    bx_teardown(&b);
}

/* Issue 12.2: a backup dated 30 days ahead of this clock has no knowable
 * age, so the tombstone check means nothing: refused like an expired one,
 * restored with --allow-expired and a warning. A few hours ahead (clock
 * skew) is accepted. */
TEST(future_dated_backup_is_refused_unless_allowed)
{
    struct bx b;
    REQUIRE_TRUE(prepared(&b, "future") == 0);
    char path[700], before[8192];
    snprintf(path, sizeof path, "%s/future.adbk", b.root);
    int64_t now = (int64_t)time(NULL);
    REQUIRE_STATUS(ADBK_OK,
                   copy_archive(b.out, path, &(struct copy_opts){.created = now + 30 * 86400}),
                   NULL);
    dc_state(&b, before, sizeof before);
    struct adbk_error err = {0};
    struct adbk_restore_result res;
    adbk_status st = restore(&b, path, NULL, &(struct cb_count){0}, &res, &err);
    EXPECT_STATUS(ADBK_E_EXPIRED, st, &err);
    EXPECT_HAS(err.message, "30 days ahead");
    EXPECT_HAS(err.message, "--allow-expired");
    expect_untouched(&b, before);
    struct cb_count cc = {0};
    st = restore(&b, path, &(struct adbk_restore_options){.allow_expired = true}, &cc, &res,
                 &err);
    EXPECT_STATUS_FOR(ADBK_OK, st, &err, "restore");
    EXPECT_EQ_U64(1, cc.warnings);
    EXPECT_HAS(cc.last_warning, "ahead of this clock");
    /* Six hours ahead is skew, not a date from the future. */
    unlink(path);
    REQUIRE_STATUS(ADBK_OK,
                   copy_archive(b.out, path, &(struct copy_opts){.created = now + 6 * 3600}),
                   NULL);
    cc = (struct cb_count){0};
    st = restore(&b, path, NULL, &cc, &res, &err);
    EXPECT_STATUS_FOR(ADBK_OK, st, &err, "restore");
    EXPECT_EQ_U64(0, cc.warnings);
    bx_teardown(&b);
}

TEST_MAIN()
