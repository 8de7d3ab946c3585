/*
 * test_backup.c - adbk_backup against the simulated DC: a backup of a busy
 * DC restores (dcsim's recovery check on the extracted members), every fault
 * of the simulator surfaces as an error that leaves no archive, no truncated
 * log and no open backup context, and the truncation rules hold.
 * Each test provisions a small DC (4 MiB, 2 closed logs) in $ADBK_TEST_TMP,
 * binds it as DC01 and uses small chunks, so files span many chunks.
 */
#include "adbk.h"
#include "dcsim.h"
#include "dcfix.h"
#include "harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

static adbk_status run(struct bx *b, uint32_t chunk, enum adbk_truncate t,
                       const struct adbk_job_callbacks *cb, struct adbk_backup_result *res,
                       struct adbk_error *err)
{
    struct adbk_backup_options o = {.out = {.output = b->out}, .truncate = t};
    o.out.writer.chunk_size = chunk;
    o.out.writer.threads = 2;
    return adbk_backup(b->server, &o, cb, res, err);
}

/* Nothing at all in root but the DC folder: no archive, no *.partial. */
static size_t leftovers(const struct bx *b)
{
    size_t n = 0;
    DIR *d = opendir(b->root);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "dc")) {
            fprintf(stderr, "left over: %s\n", e->d_name);
            n++;
        }
    if (d)
        closedir(d);
    return n;
}

/* The state every failed backup must leave. */
static void expect_clean_failure(struct bx *b)
{
    struct dcsim_info in;
    EXPECT_TRUE(dcsim_info_read(b->dc, &in) == DCSIM_OK);
    EXPECT_EQ_U64(0, in.backup_running);
    EXPECT_EQ_U64(0, leftovers(b));
    EXPECT_EQ_U64(0, logs_gone(b));
    EXPECT_EQ_U64(0, dcsim_buffers_outstanding());
    EXPECT_EQ_U64(0, dcsim_buffers_bad_frees());
}

/* Extracts the database and the logs and runs dcsim's recovery check. */
static void expect_restorable(struct bx *b, const struct adbk_backup_result *res)
{
    struct adbk_reader *r = NULL;
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, adbk_reader_open(b->out, NULL, &r, &err), &err);
    EXPECT_STATUS(ADBK_OK, adbk_reader_verify(r, NULL, NULL, &err), &err);
    /* The source is the simulator, and the archive says so (FORMAT.md §7). */
    EXPECT_STR("dcsim", adbk_reader_property(r, "source"));
    EXPECT_TRUE(res->simulated);
    EXPECT_STR("DC01", adbk_reader_property(r, "server"));
    EXPECT_STR("corp.example.com", adbk_reader_property(r, "domain"));
    EXPECT_STR("full", adbk_reader_property(r, "backup.type"));
    char lo[16], hi[16];
    snprintf(lo, sizeof lo, "%u", res->gen_low);
    snprintf(hi, sizeof hi, "%u", res->gen_high);
    EXPECT_STR(lo, adbk_reader_property(r, "log.generation.low"));
    EXPECT_STR(hi, adbk_reader_property(r, "log.generation.high"));
    EXPECT_EQ_U64(res->files, adbk_reader_count(r));
    long t = adbk_reader_find(r, "expiry-token");
    EXPECT_TRUE(t == 0);
    if (t == 0)
        EXPECT_EQ_U64(ADBK_KIND_EXPIRY_TOKEN, adbk_reader_member(r, 0)->kind);
    long db = adbk_reader_find(r, "database/ntds.dit");
    EXPECT_TRUE(db == 1);
    if (db == 1) {
        EXPECT_EQ_U64(ADBK_KIND_DATABASE, adbk_reader_member(r, 1)->kind);
        EXPECT_EQ_U64(0x44, adbk_reader_member(r, 1)->bft);
        EXPECT_TRUE(strstr(adbk_reader_member(r, 1)->source_path, "\\\\DC01\\") != NULL);
    }
    REQUIRE_TRUE(mkdir(b->x, 0755) == 0);
    struct adbk_extract_options xo = {.dir = b->x};
    struct adbk_extract_result xr;
    EXPECT_STATUS(ADBK_OK, adbk_extract(r, &xo, NULL, &xr, &err), &err);
    adbk_reader_close(r);
    char dbdir[700], logdir[700];
    snprintf(dbdir, sizeof dbdir, "%s/database", b->x);
    snprintf(logdir, sizeof logdir, "%s/logs", b->x);
    struct dcsim_check_opts co = {.log_dir = logdir};
    struct dcsim_check_report rep;
    EXPECT_TRUE(dcsim_check(dbdir, &co, &rep) == DCSIM_OK);
    if (rep.problem[0])
        fprintf(stderr, "check: %s\n", rep.problem);
    EXPECT_EQ_U64(res->gen_low, rep.gen_first);
    EXPECT_EQ_U64(res->gen_high, rep.gen_last);
}

/* A DC that changes during the copy: several generations roll, and the
 * archive, extracted, passes the recovery check. 64 KiB chunks: every read
 * goes through the bounce buffer and files span many chunks. Truncation ran
 * after the archive was durable. */
TEST(churning_dc_backup_is_restorable)
{
    struct bx b;
    REQUIRE_TRUE(bx_setup(&b, "churn", 1) == 0);
    struct dcsim_info before, after;
    REQUIRE_TRUE(dcsim_info_read(b.dc, &before) == DCSIM_OK);
    struct dcsim_churn_opts co = {.pages_per_tick = 16, .tick_ms = 5, .roll_ticks = 4,
                                  .duration_ms = 30000};
    struct dcsim_churn *ch = NULL;
    REQUIRE_TRUE(dcsim_churn_start(b.dc, &co, &ch) == DCSIM_OK);
    REQUIRE_TRUE(bx_faults("slow_read_ms=3") == 0);
    struct adbk_backup_result res;
    struct adbk_error err = {0};
    adbk_status st = run(&b, 64u << 10, ADBK_TRUNCATE_AUTO, NULL, &res, &err);
    EXPECT_TRUE(dcsim_churn_stop(ch) == DCSIM_OK);
    REQUIRE_STATUS_FOR(ADBK_OK, st, &err, "backup");
    REQUIRE_TRUE(dcsim_info_read(b.dc, &after) == DCSIM_OK);
    EXPECT_TRUE(res.has_logs);
    EXPECT_TRUE(res.gen_high >= res.gen_low + 2); /* generations rolled mid-copy */
    EXPECT_TRUE(res.truncated);
    EXPECT_EQ_U64(0, after.backup_running);
    EXPECT_EQ_U64(0, dcsim_buffers_outstanding());
    EXPECT_EQ_U64(0, dcsim_buffers_bad_frees());
    expect_restorable(&b, &res);
    bx_teardown(&b);
}

/* Default 4 MiB chunks (reads straight into them) with the server's random
 * short reads: still a complete, restorable archive. */
struct totals {
    uint64_t total;
    unsigned calls, files, files_before;
};

static void on_total(void *ctx, uint64_t bytes)
{
    struct totals *t = ctx;
    t->total = bytes;
    t->calls++;
    t->files_before = t->files;
}

static void count_file(void *ctx, const char *name, unsigned kind, uint64_t size)
{
    (void)name, (void)kind, (void)size;
    ((struct totals *)ctx)->files++;
}

/* create tells the size of the whole job before its first file, so that a
 * progress line can estimate the job and not only the file being read. */
TEST(create_tells_the_whole_jobs_size_first)
{
    struct bx b;
    REQUIRE_TRUE(bx_setup(&b, "total", 0) == 0);
    struct totals t = {0};
    struct adbk_job_callbacks cb = {.file_begin = count_file, .total = on_total, .ctx = &t};
    struct adbk_output_options o = {.output = b.out};
    const char *paths[] = {b.dc};
    struct adbk_backup_result res;
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, adbk_create(paths, 1, NULL, &o, &cb, &res, &err), &err);
    EXPECT_EQ_U64(1, t.calls);
    EXPECT_EQ_U64(0, t.files_before);
    EXPECT_TRUE(t.total > 4u << 20); /* the database and the logs */
    EXPECT_EQ_U64(res.bytes_in, t.total);
    bx_teardown(&b);
}

TEST(short_reads_succeed)
{
    struct bx b;
    REQUIRE_TRUE(bx_setup(&b, "short", 1) == 0);
    REQUIRE_TRUE(bx_faults("short_reads=1,eof_zero_read=1") == 0);
    struct adbk_backup_result res;
    struct adbk_error err = {0};
    adbk_status st = run(&b, 0, ADBK_TRUNCATE_NO, NULL, &res, &err);
    REQUIRE_STATUS_FOR(ADBK_OK, st, &err, "backup");
    EXPECT_TRUE(!res.truncated);
    EXPECT_EQ_U64(0, logs_gone(&b));
    EXPECT_EQ_U64(4, res.files); /* token, database, two logs */
    expect_restorable(&b, &res);
    bx_teardown(&b);
}

TEST(slow_reads_succeed)
{
    struct bx b;
    REQUIRE_TRUE(bx_setup(&b, "slow", 1) == 0);
    REQUIRE_TRUE(bx_faults("slow_read_ms=5") == 0);
    struct adbk_backup_result res;
    struct adbk_error err = {0};
    adbk_status st = run(&b, 256u << 10, ADBK_TRUNCATE_NO, NULL, &res, &err);
    REQUIRE_STATUS_FOR(ADBK_OK, st, &err, "backup");
    expect_restorable(&b, &res);
    bx_teardown(&b);
}

/* Changes pages and rolls the DC's log `roll_count` times as the database
 * copy begins, so the backup needs several generations. */
static const char *roll_dc;
static int roll_count;
static void roll_at_database(void *ctx, const char *name, unsigned kind, uint64_t size)
{
    (void)ctx;
    (void)name;
    (void)size;
    struct dcsim_churn_opts co = {.pages_per_tick = 16, .roll_ticks = 1};
    for (int i = 0; kind == ADBK_KIND_DATABASE && i < roll_count; i++)
        if (dcsim_churn_tick(roll_dc, &co, (uint64_t)i + 1) != DCSIM_OK)
            TEST_FAIL_AT("churn tick: %s", dcsim_last_error());
}

/* Runs a backup that must fail with want, message containing needle, and
 * leave nothing behind. */
static void expect_fault(const char *name, const char *spec, adbk_status want, const char *needle,
                         uint32_t vanishing, int rolls)
{
    struct bx b;
    REQUIRE_TRUE(bx_setup(&b, name, 1) == 0);
    roll_dc = b.dc;
    roll_count = rolls;
    char gone[32];
    snprintf(gone, sizeof gone, "edb%05X.log", vanishing);
    for (size_t i = 0; i < b.nlogs; i++)
        if (!strcmp(b.logs[i], gone)) /* the fault deletes it, not the backup */
            memcpy(b.logs[i], b.logs[--b.nlogs], sizeof b.logs[i]);
    REQUIRE_TRUE(bx_faults(spec) == 0);
    struct adbk_backup_result res;
    struct adbk_error err = {0};
    struct adbk_job_callbacks cb = {.file_begin = roll_at_database};
    adbk_status st = run(&b, 64u << 10, ADBK_TRUNCATE_AUTO, &cb, &res, &err);
    EXPECT_STATUS(want, st, &err);
    if (!strstr(err.message, needle))
        TEST_FAIL_AT("message \"%s\" lacks \"%s\"", err.message, needle);
    EXPECT_TRUE(!res.truncated);
    dcsim_faults_set(NULL);
    expect_clean_failure(&b);
    bx_teardown(&b);
}

TEST(fault_fail_read_is_an_error)
{
    expect_fault("failread", "fail_read=3", ADBK_E_SOURCE, "DsBackupRead", 0, 0);
}

TEST(fault_offline_after_is_an_error)
{
    expect_fault("offline", "offline_after=1048576", ADBK_E_SOURCE, "DsBackupRead", 0, 0);
}

TEST(fault_bad_page_is_an_error)
{
    expect_fault("badpage", "bad_page=100", ADBK_E_SOURCE, "ntds.dit", 0, 0);
}

/* The first generation the backup needs vanishes: the list itself has no
 * gap, but it starts too late. */
TEST(fault_missing_first_log_is_an_error)
{
    struct bx b;
    REQUIRE_TRUE(bx_setup(&b, "missfirst", 1) == 0);
    struct dcsim_info in;
    REQUIRE_TRUE(dcsim_info_read(b.dc, &in) == DCSIM_OK);
    char spec[64], want[32];
    snprintf(spec, sizeof spec, "missing_log=%u", in.checkpoint_gen);
    snprintf(want, sizeof want, "edb%05X.log", in.checkpoint_gen);
    bx_teardown(&b); /* same seed, same DC again */
    expect_fault("missfirst2", spec, ADBK_E_SOURCE, want, in.checkpoint_gen, 0);
}

/* A generation in the middle vanishes: a gap in the list. Three rolls as the
 * database copy begins, so the backup needs several closed generations. (A vanished newest
 * generation cannot be told from a shorter list through the API; dcsim's
 * check at restore time catches it.) */
TEST(fault_missing_middle_log_is_an_error)
{
    struct bx b;
    REQUIRE_TRUE(bx_setup(&b, "missmid", 1) == 0);
    struct dcsim_info in;
    REQUIRE_TRUE(dcsim_info_read(b.dc, &in) == DCSIM_OK);
    bx_teardown(&b);
    /* Same seed, same DC: the backup lists checkpoint..current+1. */
    char spec[64], want[32];
    snprintf(spec, sizeof spec, "missing_log=%u", in.checkpoint_gen + 1);
    snprintf(want, sizeof want, "edb%05X.log", in.checkpoint_gen + 1);
    expect_fault("missmid2", spec, ADBK_E_SOURCE, want, in.checkpoint_gen + 1, 3);
}

TEST(offline_dc_is_an_error)
{
    struct bx b;
    REQUIRE_TRUE(bx_setup(&b, "down", 0) == 0);
    struct adbk_error err = {0};
    struct adbk_backup_result res;
    EXPECT_STATUS(ADBK_E_SOURCE, run(&b, 0, ADBK_TRUNCATE_AUTO, NULL, &res, &err), &err);
    EXPECT_TRUE(strstr(err.message, "not running") != NULL);
    expect_clean_failure(&b);
    bx_teardown(&b);
}

TEST(privilege_refused_by_server_is_explained)
{
    struct bx b;
    REQUIRE_TRUE(bx_setup(&b, "priv", 1) == 0);
    dcsim_privilege_mode(DCSIM_PRIV_DENY);
    struct adbk_error err = {0};
    struct adbk_backup_result res;
    EXPECT_STATUS(ADBK_E_PRIVILEGE, run(&b, 0, ADBK_TRUNCATE_AUTO, NULL, &res, &err), &err);
    EXPECT_TRUE(strstr(err.message, "CAP_DAC_READ_SEARCH") != NULL);
    EXPECT_TRUE(strstr(err.message, "setcap cap_dac_read_search+p") != NULL);
    dcsim_privilege_mode(DCSIM_PRIV_SKIP);
    expect_clean_failure(&b);
    bx_teardown(&b);
}

/* An existing archive is refused before the server is asked for anything. */
TEST(existing_archive_is_not_replaced)
{
    struct bx b;
    REQUIRE_TRUE(bx_setup(&b, "exists", 1) == 0);
    FILE *f = fopen(b.out, "w");
    REQUIRE_TRUE(f != NULL);
    fputs("precious", f);
    fclose(f);
    struct adbk_error err = {0};
    struct adbk_backup_result res;
    EXPECT_STATUS(ADBK_E_EXISTS, run(&b, 0, ADBK_TRUNCATE_AUTO, NULL, &res, &err), &err);
    struct stat sb;
    EXPECT_TRUE(stat(b.out, &sb) == 0 && sb.st_size == 8);
    EXPECT_EQ_U64(0, logs_gone(&b));
    struct adbk_backup_options o = {.out = {.output = b.out, .force = true}};
    EXPECT_STATUS(ADBK_OK, adbk_backup(b.server, &o, NULL, &res, &err), &err);
    EXPECT_TRUE(stat(b.out, &sb) == 0 && sb.st_size > 8);
    bx_teardown(&b);
}

static int stop_after;
static void count_progress(void *ctx, uint64_t done)
{
    (void)ctx;
    (void)done;
    if (stop_after > 0)
        stop_after--;
}
static int stop_now(void *ctx)
{
    (void)ctx;
    return stop_after == 0;
}

/* Cancelled mid-database: interrupted, nothing left, nothing truncated. */
TEST(cancel_leaves_nothing)
{
    struct bx b;
    REQUIRE_TRUE(bx_setup(&b, "cancel", 1) == 0);
    stop_after = 5;
    struct adbk_job_callbacks cb = {.progress = count_progress, .cancelled = stop_now};
    struct adbk_error err = {0};
    struct adbk_backup_result res;
    EXPECT_STATUS(ADBK_E_INTERRUPTED, run(&b, 64u << 10, ADBK_TRUNCATE_AUTO, &cb, &res, &err),
                  &err);
    EXPECT_TRUE(strstr(err.message, "ntds.dit") != NULL);
    expect_clean_failure(&b);
    bx_teardown(&b);
}

/* To a pipe, logs are truncated only when asked for explicitly. */
TEST(pipe_output_truncates_only_when_asked)
{
    struct bx b;
    REQUIRE_TRUE(bx_setup(&b, "pipe", 1) == 0);
    int keep = dup(STDOUT_FILENO);
    int fd = open(b.out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE_TRUE(keep >= 0 && fd >= 0);
    dup2(fd, STDOUT_FILENO);
    struct adbk_backup_options o = {.out = {.output = "-"}};
    struct adbk_error err = {0};
    struct adbk_backup_result res;
    adbk_status st = adbk_backup(b.server, &o, NULL, &res, &err);
    fflush(stdout);
    dup2(keep, STDOUT_FILENO);
    close(keep);
    close(fd);
    EXPECT_STATUS(ADBK_OK, st, &err);
    EXPECT_TRUE(!res.truncated);
    EXPECT_EQ_U64(0, logs_gone(&b));
    struct adbk_reader *r = NULL;
    REQUIRE_STATUS(ADBK_OK, adbk_reader_open(b.out, NULL, &r, &err), &err);
    EXPECT_STR("no", adbk_reader_property(r, "logs.truncate"));
    adbk_reader_close(r);

    fd = open(b.out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    keep = dup(STDOUT_FILENO);
    dup2(fd, STDOUT_FILENO);
    o.truncate = ADBK_TRUNCATE_YES;
    st = adbk_backup(b.server, &o, NULL, &res, &err);
    fflush(stdout);
    dup2(keep, STDOUT_FILENO);
    close(keep);
    close(fd);
    EXPECT_STATUS(ADBK_OK, st, &err);
    EXPECT_TRUE(res.truncated);
    EXPECT_TRUE(logs_gone(&b) > 0);
    bx_teardown(&b);
}

/* --no-truncate-logs on a file: the property says so and every log stays. */
TEST(no_truncate_keeps_logs)
{
    struct bx b;
    REQUIRE_TRUE(bx_setup(&b, "notrunc", 1) == 0);
    struct adbk_error err = {0};
    struct adbk_backup_result res;
    EXPECT_STATUS(ADBK_OK, run(&b, 0, ADBK_TRUNCATE_NO, NULL, &res, &err), &err);
    EXPECT_TRUE(!res.truncated);
    EXPECT_EQ_U64(0, logs_gone(&b));
    struct adbk_reader *r = NULL;
    REQUIRE_STATUS(ADBK_OK, adbk_reader_open(b.out, NULL, &r, &err), &err);
    EXPECT_STR("no", adbk_reader_property(r, "logs.truncate"));
    adbk_reader_close(r);
    bx_teardown(&b);
}

TEST_MAIN()
