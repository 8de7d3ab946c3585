/*
 * test_dcsim.c - the simulated DC: provisioning, the recovery check, the
 * DsBackup/DsRestore contract (one test per rule, DSBACKUP.md §8 R-numbers in the
 * comments), fault injection (one test per fault), churn during a backup,
 * and the source interface on top.
 */
#include "harness.h"
#include "fixture.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SETUP(name, seed, online)                                              \
    struct fx f;                                                               \
    REQUIRE_TRUE(fx_setup(&f, name, seed, online) == 0)

static void file_path(char *out, size_t cap, const char *dir, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

/* ---- provisioning and the check ---------------------------------------- */

/* Equal options give equal bytes in every file of the DC folder. */
TEST(provision_same_seed_same_bytes)
{
    SETUP("det", 42, 0);
    char other[700], a[800], b[800];
    snprintf(other, sizeof other, "%s/dc2", f.root);
    REQUIRE_TRUE(fx_provision(other, 42) == 0);
    static const char *files[] = {"ntds.dit", "edb.log", "edbtmp.log", "edb.chk",
                                  "edbres00001.jrs", "dcsim.ini"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        file_path(a, sizeof a, f.dc, files[i]);
        file_path(b, sizeof b, other, files[i]);
        EXPECT_TRUE(fx_same_file(a, b));
    }
    struct dcsim_info in;
    REQUIRE_TRUE(dcsim_info_read(f.dc, &in) == DCSIM_OK);
    for (uint32_t g = in.oldest_gen; g < in.current_gen; g++) {
        char n[32];
        snprintf(n, sizeof n, "edb%05X.log", g);
        file_path(a, sizeof a, f.dc, n);
        file_path(b, sizeof b, other, n);
        EXPECT_TRUE(fx_same_file(a, b));
    }
    fx_teardown(&f);
}

/* A different seed gives a different database. */
TEST(provision_different_seed_differs)
{
    SETUP("seed", 1, 0);
    char other[700], a[800], b[800];
    snprintf(other, sizeof other, "%s/dc2", f.root);
    REQUIRE_TRUE(fx_provision(other, 2) == 0);
    file_path(a, sizeof a, f.dc, "ntds.dit");
    file_path(b, sizeof b, other, "ntds.dit");
    EXPECT_TRUE(!fx_same_file(a, b));
    fx_teardown(&f);
}

/* The layout ESE would have: 10 MiB logs, edbXXXXX names, a good check. */
TEST(provision_layout_and_check)
{
    SETUP("layout", 3, 0);
    struct dcsim_info in;
    REQUIRE_TRUE(dcsim_info_read(f.dc, &in) == DCSIM_OK);
    EXPECT_STR("DC01", in.server);
    EXPECT_EQ_U64(8192, in.page_size);
    EXPECT_EQ_U64(256, in.db_pages);
    EXPECT_EQ_U64(in.current_gen - 1, in.checkpoint_gen);
    EXPECT_EQ_U64(in.current_gen - 2, in.oldest_gen);
    char p[800], n[32];
    struct stat sb;
    snprintf(n, sizeof n, "edb%05X.log", in.oldest_gen);
    file_path(p, sizeof p, f.dc, n);
    REQUIRE_TRUE(stat(p, &sb) == 0);
    EXPECT_EQ_U64(DCSIM_LOG_SIZE, sb.st_size);
    file_path(p, sizeof p, f.dc, "edbres00002.jrs");
    EXPECT_TRUE(stat(p, &sb) == 0 && sb.st_size == DCSIM_LOG_SIZE);
    struct dcsim_check_report r;
    EXPECT_TRUE(dcsim_check(f.dc, NULL, &r) == DCSIM_OK);
    EXPECT_EQ_U64(256, r.pages);
    EXPECT_EQ_U64(in.checkpoint_gen, r.gen_first);
    fx_teardown(&f);
}

/* A flipped byte in a page is found by the page checksum. */
TEST(check_detects_bad_page_checksum)
{
    SETUP("badpg", 4, 0);
    char p[800];
    file_path(p, sizeof p, f.dc, "ntds.dit");
    int fd = open(p, O_RDWR);
    REQUIRE_TRUE(fd >= 0);
    uint8_t b = 0;
    REQUIRE_TRUE(pread(fd, &b, 1, 17 * 8192 + 1000) == 1);
    b ^= 0x40;
    REQUIRE_TRUE(pwrite(fd, &b, 1, 17 * 8192 + 1000) == 1);
    close(fd);
    struct dcsim_check_report r;
    EXPECT_TRUE(dcsim_check(f.dc, NULL, &r) == DCSIM_E_CHECK);
    EXPECT_EQ_U64(1, r.bad_pages);
    EXPECT_EQ_U64(17, r.first_bad_page);
    EXPECT_TRUE(strstr(r.problem, "checksum") != NULL);
    fx_teardown(&f);
}

/* A gap in the needed log range, and a log renamed to another generation. */
TEST(check_detects_log_gap_and_wrong_generation)
{
    SETUP("gap", 5, 0);
    struct dcsim_info in;
    REQUIRE_TRUE(dcsim_info_read(f.dc, &in) == DCSIM_OK);
    char a[800], b[800], n[32];
    snprintf(n, sizeof n, "edb%05X.log", in.checkpoint_gen);
    file_path(a, sizeof a, f.dc, n);
    snprintf(n, sizeof n, "edb%05X.log", in.checkpoint_gen + 7);
    file_path(b, sizeof b, f.dc, n);
    REQUIRE_TRUE(rename(a, b) == 0);
    struct dcsim_check_report r;
    EXPECT_TRUE(dcsim_check(f.dc, NULL, &r) == DCSIM_E_CHECK);
    EXPECT_TRUE(strstr(r.problem, "missing") != NULL);
    /* Put it back under a wrong name inside the range: header mismatch. */
    struct dcsim_check_opts o = {.gen_low = in.checkpoint_gen - 1};
    snprintf(n, sizeof n, "edb%05X.log", in.checkpoint_gen - 1);
    file_path(a, sizeof a, f.dc, n);
    REQUIRE_TRUE(unlink(a) == 0);
    REQUIRE_TRUE(rename(b, a) == 0);
    EXPECT_TRUE(dcsim_check(f.dc, &o, &r) == DCSIM_E_CHECK);
    EXPECT_TRUE(strstr(r.problem, "header says generation") != NULL);
    fx_teardown(&f);
}

/* ---- name lists and token ---------------------------------------------- */

/* DSBACKUP.md §2: type byte, UNC name, NUL, ..., final NUL; cb counts every byte. */
TEST(name_list_encoding)
{
    SETUP("names", 6, 1);
    void *tok = NULL;
    DWORD cb = 0, cbt = 0;
    HBC h = NULL;
    char *list = NULL, *logs = NULL;
    REQUIRE_HR(S_OK, dcsim_DsBackupPrepare("\\\\DC01", 0, BACKUP_TYPE_FULL, &tok, &cbt, &h));
    EXPECT_HR(S_OK, dcsim_DsBackupGetDatabaseNames(h, &list, &cb));
    static const char want[] = "D\\\\DC01\\C$\\Windows\\NTDS\\ntds.dit";
    REQUIRE_TRUE(list != NULL);
    EXPECT_EQ_U64(sizeof want + 1, cb);
    EXPECT_TRUE(memcmp(list, want, sizeof want) == 0 && list[cb - 1] == 0 &&
                list[cb - 2] == 0);
    EXPECT_HR(S_OK, dcsim_DsBackupGetBackupLogs(h, &logs, &cb));
    struct dsb_name_list l;
    REQUIRE_TRUE(dsb_parse_list(logs, cb, &l) == DSB_OK);
    EXPECT_TRUE(l.n >= 2);
    for (size_t i = 0; i < l.n; i++) {
        EXPECT_EQ_U64(BFT_LOG, l.v[i].bft);
        EXPECT_TRUE(strncmp(l.v[i].name, "\\\\DC01\\C$\\Windows\\NTDS\\edb", 26) == 0);
    }
    dsb_names_free(&l);
    /* Restore locations: the three kinds, high-bit bytes kept verbatim. */
    dcsim_DsBackupFree(list);
    dcsim_DsBackupFree(logs);
    EXPECT_HR(S_OK, dcsim_DsBackupEnd(h));
    REQUIRE_TRUE(dcsim_stop(f.dc) == DCSIM_OK);
    HBC r = NULL;
    char *loc = NULL;
    EXPECT_HR(S_OK, dcsim_DsRestorePrepare("DC01", 0, tok, cbt, &r));
    EXPECT_HR(S_OK, dcsim_DsRestoreGetDatabaseLocations(r, &loc, &cb));
    REQUIRE_TRUE(dsb_parse_list(loc, cb, &l) == DSB_OK);
    REQUIRE_TRUE(l.n == 3);
    EXPECT_EQ_U64(BFT_CHECKPOINT_DIR, l.v[0].bft);
    EXPECT_EQ_U64(BFT_LOG_DIR, l.v[1].bft);
    EXPECT_EQ_U64(BFT_NTDS_DATABASE, l.v[2].bft);
    EXPECT_STR("\\\\DC01\\C$\\Windows\\NTDS", l.v[0].name);
    dsb_names_free(&l);
    dcsim_DsBackupFree(loc);
    dcsim_DsBackupFree(tok);
    EXPECT_HR(S_OK, dcsim_DsRestoreEnd(r));
    EXPECT_EQ_U64(0, dcsim_buffers_outstanding());
    fx_teardown(&f);
}

static int64_t fixed_clock(void *ctx)
{
    return *(int64_t *)ctx;
}

static void *make_token(DWORD *cb)
{
    void *tok = NULL;
    HBC h = NULL;
    if (dcsim_DsBackupPrepare("DC01", 0, BACKUP_TYPE_FULL, &tok, cb, &h) != S_OK)
        return NULL;
    dcsim_DsBackupEnd(h);
    return tok;
}

/* R23: a token older than the tombstone lifetime (180 days) is refused. */
TEST(token_expiry)
{
    SETUP("expiry", 7, 1);
    int64_t now = 1750000000;
    dcsim_clock_set(fixed_clock, &now);
    DWORD cb = 0;
    void *tok = make_token(&cb);
    REQUIRE_TRUE(tok != NULL);
    REQUIRE_TRUE(dcsim_stop(f.dc) == DCSIM_OK);
    HBC r = NULL;
    now += 179 * 86400;
    EXPECT_HR(S_OK, dcsim_DsRestorePrepare("DC01", RESTORE_TYPE_CATCHUP, tok, cb, &r));
    EXPECT_HR(S_OK, dcsim_DsRestoreEnd(r));
    now += 2 * 86400;
    EXPECT_HR(hrContentsExpired, dcsim_DsRestorePrepare("DC01", 0, tok, cb, &r));
    EXPECT_TRUE(r == NULL);
    dcsim_DsBackupFree(tok);
    fx_teardown(&f);
}

/* R23: an unreadable token: hrUnknownExpiryTokenFormat. */
TEST(token_bad_format)
{
    SETUP("badtok", 8, 1);
    DWORD cb = 0;
    uint8_t *tok = make_token(&cb);
    REQUIRE_TRUE(tok != NULL);
    REQUIRE_TRUE(dcsim_stop(f.dc) == DCSIM_OK);
    HBC r = NULL;
    tok[0x10] ^= 1; /* creation time changed: checksum no longer matches */
    EXPECT_HR(hrUnknownExpiryTokenFormat, dcsim_DsRestorePrepare("DC01", 0, tok, cb, &r));
    tok[0x10] ^= 1;
    EXPECT_HR(hrUnknownExpiryTokenFormat, dcsim_DsRestorePrepare("DC01", 0, tok, cb - 1, &r));
    EXPECT_HR(hrUnknownExpiryTokenFormat, dcsim_DsRestorePrepare("DC01", 0, "junk", 4, &r));
    dcsim_DsBackupFree(tok);
    fx_teardown(&f);
}

/* ---- the contract, one rule per test ------------------------------------ */

/* Call order: R8 open before the list, R11 read without a file, R13 double
 * close, R14 logs with a file open and database after the logs. */
TEST(rule_call_order)
{
    SETUP("order", 9, 1);
    void *tok = NULL;
    DWORD cb = 0, n = 0;
    HBC h = NULL;
    LARGE_INTEGER sz;
    char *list = NULL, *logs = NULL, buf[65536];
    static const char db[] = "\\\\DC01\\C$\\Windows\\NTDS\\ntds.dit";
    REQUIRE_HR(S_OK, dcsim_DsBackupPrepare("DC01", 0, BACKUP_TYPE_FULL, &tok, &cb, &h));
    EXPECT_HR(ERROR_INVALID_PARAMETER, dcsim_DsBackupOpenFile(h, db, 65536, &sz));
    EXPECT_HR(hrInvalidHandle, dcsim_DsBackupRead(h, buf, sizeof buf, &n));
    EXPECT_HR(hrInvalidHandle, dcsim_DsBackupClose(h));
    EXPECT_HR(S_OK, dcsim_DsBackupGetDatabaseNames(h, &list, &cb));
    /* R8: with the BFT character still in front, or an unlisted file. */
    EXPECT_HR(ERROR_INVALID_PARAMETER, dcsim_DsBackupOpenFile(h, list, 65536, &sz));
    EXPECT_HR(ERROR_INVALID_PARAMETER, dcsim_DsBackupOpenFile(h, "\\\\DC01\\C$\\Windows\\NTDS\\edb.chk", 65536, &sz));
    EXPECT_HR(S_OK, dcsim_DsBackupOpenFile(h, db, 65536, &sz));
    EXPECT_HR(hrInvalidBackupSequence, dcsim_DsBackupGetBackupLogs(h, &logs, &cb));
    EXPECT_HR(hrInvalidBackupSequence, dcsim_DsBackupTruncateLogs(h));
    EXPECT_HR(S_OK, dcsim_DsBackupClose(h));
    EXPECT_HR(hrInvalidHandle, dcsim_DsBackupClose(h));
    EXPECT_HR(S_OK, dcsim_DsBackupGetBackupLogs(h, &logs, &cb));
    EXPECT_HR(hrInvalidBackupSequence, dcsim_DsBackupOpenFile(h, db, 65536, &sz));
    dcsim_DsBackupFree(list);
    dcsim_DsBackupFree(logs);
    dcsim_DsBackupFree(tok);
    EXPECT_HR(S_OK, dcsim_DsBackupEnd(h));
    fx_teardown(&f);
}

/* R6, R19: forged, ended and wrong-kind handles; End once, also with a file
 * open; a second End is an invalid handle. */
TEST(rule_invalid_and_ended_handles)
{
    SETUP("handles", 10, 1);
    HBC h = NULL;
    LARGE_INTEGER sz;
    char *list = NULL;
    DWORD cb = 0;
    REQUIRE_TRUE(fx_open_db(&h, &sz) == 0);
    EXPECT_HR(ERROR_INVALID_PARAMETER, dcsim_DsBackupGetDatabaseNames((HBC)0x1234, &list, &cb));
    EXPECT_HR(ERROR_INVALID_PARAMETER, dcsim_DsBackupEnd(NULL));
    EXPECT_HR(ERROR_INVALID_PARAMETER, dcsim_DsRestoreEnd(h)); /* backup handle */
    EXPECT_HR(S_OK, dcsim_DsBackupEnd(h));                    /* file still open */
    EXPECT_HR(ERROR_INVALID_PARAMETER, dcsim_DsBackupEnd(h));
    EXPECT_HR(ERROR_INVALID_PARAMETER, dcsim_DsBackupClose(h));
    /* The hold on the logs went with the context. */
    struct dcsim_info in;
    REQUIRE_TRUE(dcsim_info_read(f.dc, &in) == DCSIM_OK);
    EXPECT_TRUE(!in.backup_running);
    fx_teardown(&f);
}

/* R9: one open file per context. */
TEST(rule_one_open_file)
{
    SETUP("oneopen", 11, 1);
    HBC h = NULL;
    LARGE_INTEGER sz;
    REQUIRE_TRUE(fx_open_db(&h, &sz) == 0);
    EXPECT_HR(hrAlreadyOpen, dcsim_DsBackupOpenFile(h, "\\\\DC01\\C$\\Windows\\NTDS\\ntds.dit",
                                                    65536, &sz));
    EXPECT_HR(S_OK, dcsim_DsBackupEnd(h));
    fx_teardown(&f);
}

/* R10: hint and buffer are multiples of 8192 and at least 24576. */
TEST(rule_read_buffer_size)
{
    SETUP("bufsize", 12, 1);
    void *tok = NULL;
    DWORD cb = 0, n = 0;
    HBC h = NULL;
    LARGE_INTEGER sz;
    char *list = NULL;
    static uint8_t buf[65536];
    REQUIRE_HR(S_OK, dcsim_DsBackupPrepare("DC01", 0, BACKUP_TYPE_FULL, &tok, &cb, &h));
    dcsim_DsBackupFree(tok);
    REQUIRE_HR(S_OK, dcsim_DsBackupGetDatabaseNames(h, &list, &cb));
    EXPECT_HR(ERROR_INVALID_PARAMETER, dcsim_DsBackupOpenFile(h, list + 1, 0, &sz));
    EXPECT_HR(ERROR_INVALID_PARAMETER, dcsim_DsBackupOpenFile(h, list + 1, 16384, &sz));
    EXPECT_HR(ERROR_INVALID_PARAMETER, dcsim_DsBackupOpenFile(h, list + 1, 30000, &sz));
    EXPECT_HR(S_OK, dcsim_DsBackupOpenFile(h, list + 1, 24576, &sz));
    EXPECT_HR(ERROR_INVALID_PARAMETER, dcsim_DsBackupRead(h, buf, 16384, &n));
    EXPECT_HR(ERROR_INVALID_PARAMETER, dcsim_DsBackupRead(h, buf, 24577, &n));
    EXPECT_HR(ERROR_INVALID_PARAMETER, dcsim_DsBackupRead(h, buf, 32768 + 4096, &n));
    EXPECT_HR(S_OK, dcsim_DsBackupRead(h, buf, 24576, &n));
    EXPECT_EQ_U64(24576, n);
    dcsim_DsBackupFree(list);
    EXPECT_HR(S_OK, dcsim_DsBackupEnd(h));
    fx_teardown(&f);
}

/* R12, R16: the database stream is longer than ntds.dit; after its last byte
 * every read gives ERROR_HANDLE_EOF with 0 bytes. */
TEST(rule_reads_after_end_of_file)
{
    SETUP("eof", 13, 1);
    HBC h = NULL;
    LARGE_INTEGER sz;
    REQUIRE_TRUE(fx_open_db(&h, &sz) == 0);
    EXPECT_EQ_U64((256 + 2) * 8192, sz.QuadPart);
    uint8_t *buf = malloc(1 << 20);
    uint64_t total = 0;
    DWORD n = 0;
    HRESULT hr;
    while ((hr = dcsim_DsBackupRead(h, buf, 1 << 20, &n)) == S_OK && n)
        total += n;
    EXPECT_HR(ERROR_HANDLE_EOF, hr);
    EXPECT_EQ_U64((uint64_t)sz.QuadPart, total);
    n = 99;
    EXPECT_HR(ERROR_HANDLE_EOF, dcsim_DsBackupRead(h, buf, 1 << 20, &n));
    EXPECT_EQ_U64(0, n);
    EXPECT_HR(ERROR_HANDLE_EOF, dcsim_DsBackupRead(h, buf, 1 << 20, &n));
    free(buf);
    EXPECT_HR(S_OK, dcsim_DsBackupEnd(h));
    fx_teardown(&f);
}

static int set_effective(cap_value_t v, cap_flag_value_t on)
{
    cap_t c = cap_get_proc();
    int rc = c ? cap_set_flag(c, CAP_EFFECTIVE, 1, &v, on) : -1;
    if (rc == 0)
        rc = cap_set_proc(c);
    cap_free(c);
    return rc;
}

static int permitted(cap_value_t v)
{
    cap_t c = cap_get_proc();
    cap_flag_value_t f = CAP_CLEAR;
    if (c)
        cap_get_flag(c, v, CAP_PERMITTED, &f);
    cap_free(c);
    return f == CAP_SET;
}

/* R2: backup needs CAP_DAC_READ_SEARCH effective, restore CAP_DAC_OVERRIDE;
 * the deny switch refuses both; wrong DsSetAuthIdentity credentials too. */
TEST(rule_privilege_not_held)
{
    SETUP("priv", 14, 1);
    void *tok = NULL;
    DWORD cb = 0;
    HBC h = NULL;
    dcsim_privilege_mode(DCSIM_PRIV_DENY);
    EXPECT_HR(ERROR_ACCESS_DENIED, dcsim_DsBackupPrepare("DC01", 0, 1, &tok, &cb, &h));
    dcsim_privilege_mode(DCSIM_PRIV_CHECK);
    if (permitted(CAP_DAC_READ_SEARCH)) {
        EXPECT_HR(S_OK, dcsim_DsBackupPrepare("DC01", 0, 1, &tok, &cb, &h));
        dcsim_DsBackupEnd(h);
        dcsim_DsBackupFree(tok);
        REQUIRE_TRUE(set_effective(CAP_DAC_READ_SEARCH, CAP_CLEAR) == 0);
    }
    EXPECT_HR(ERROR_ACCESS_DENIED, dcsim_DsBackupPrepare("DC01", 0, 1, &tok, &cb, &h));
    if (permitted(CAP_DAC_READ_SEARCH))
        REQUIRE_TRUE(set_effective(CAP_DAC_READ_SEARCH, CAP_SET) == 0);
    /* Credentials replace the capability check: wrong ones are refused. */
    EXPECT_HR(S_OK, dcsim_DsSetAuthIdentity("Administrator", "corp.example.com", "wrong"));
    EXPECT_HR(ERROR_ACCESS_DENIED, dcsim_DsBackupPrepare("DC01", 0, 1, &tok, &cb, &h));
    EXPECT_HR(S_OK, dcsim_DsSetAuthIdentity("administrator", "CORP.EXAMPLE.COM", "dcsim"));
    EXPECT_HR(S_OK, dcsim_DsBackupPrepare("DC01", 0, 1, &tok, &cb, &h));
    dcsim_DsBackupEnd(h);
    EXPECT_HR(S_OK, dcsim_DsSetAuthIdentity(NULL, NULL, NULL));
    /* Restore: CAP_DAC_OVERRIDE. */
    REQUIRE_TRUE(dcsim_stop(f.dc) == DCSIM_OK);
    HBC r = NULL;
    if (permitted(CAP_DAC_OVERRIDE)) {
        EXPECT_HR(S_OK, dcsim_DsRestorePrepare("DC01", 0, tok, cb, &r));
        dcsim_DsRestoreEnd(r);
        REQUIRE_TRUE(set_effective(CAP_DAC_OVERRIDE, CAP_CLEAR) == 0);
    }
    EXPECT_HR(ERROR_ACCESS_DENIED, dcsim_DsRestorePrepare("DC01", 0, tok, cb, &r));
    if (permitted(CAP_DAC_OVERRIDE))
        set_effective(CAP_DAC_OVERRIDE, CAP_SET);
    dcsim_DsBackupFree(tok);
    fx_teardown(&f);
}

/* R1: offline DC, bad names, remote names. */
TEST(rule_server_offline)
{
    SETUP("offline", 15, 0);
    void *tok = NULL;
    DWORD cb = 0;
    HBC h = NULL;
    BOOL on = 1;
    EXPECT_HR(S_OK, dcsim_DsIsNTDSOnline("DC01", &on));
    EXPECT_TRUE(on == 0);
    EXPECT_HR(hrCouldNotConnect, dcsim_DsBackupPrepare("DC01", 0, 1, &tok, &cb, &h));
    EXPECT_TRUE(h == NULL);
    REQUIRE_TRUE(dcsim_start(f.dc) == DCSIM_OK);
    EXPECT_HR(S_OK, dcsim_DsIsNTDSOnline("\\\\dc01", &on));
    EXPECT_TRUE(on == 1);
    EXPECT_HR(hrCouldNotConnect, dcsim_DsBackupPrepare("DC_01", 0, 1, &tok, &cb, &h));
    EXPECT_HR(RPC_S_INVALID_BINDING, dcsim_DsBackupPrepare("OTHERDC", 0, 1, &tok, &cb, &h));
    EXPECT_HR(S_OK, dcsim_DsBackupPrepare(NULL, 0, 1, &tok, &cb, &h)); /* local */
    dcsim_DsBackupEnd(h);
    dcsim_DsBackupFree(tok);
    fx_teardown(&f);
}

/* A wrong ADBK_DCSIM_DIR is said once: the variable, its value, and why
 * (the message quotes the one before it, which must survive). */
TEST(wrong_local_dc_folder_is_named_once)
{
    SETUP("wrongenv", 15, 0);
    dcsim_reset(); /* no binding: the local DC comes from the environment */
    char bad[800], want[2048];
    snprintf(bad, sizeof bad, "%s/nowhere", f.root);
    setenv("ADBK_DCSIM_DIR", bad, 1);
    BOOL on = 1;
    EXPECT_HR(hrCouldNotConnect, dcsim_DsIsNTDSOnline(NULL, &on));
    snprintf(want, sizeof want, "DsIsNTDSOnline: ADBK_DCSIM_DIR=%s: %s/dcsim.ini: cannot open "
             "(No such file or directory); not a DC folder made by `dcsim provision`?", bad, bad);
    EXPECT_STR(want, dcsim_last_error());
    unsetenv("ADBK_DCSIM_DIR");
    fx_teardown(&f);
}

/* R3, R4: flags and out-pointers of Prepare. */
TEST(rule_prepare_arguments)
{
    SETUP("prepargs", 16, 1);
    void *tok = NULL;
    DWORD cb = 0;
    HBC h = NULL;
    EXPECT_HR(ERROR_INVALID_PARAMETER, dcsim_DsBackupPrepare("DC01", 1, 1, &tok, &cb, &h));
    EXPECT_HR(ERROR_INVALID_PARAMETER, dcsim_DsBackupPrepare("DC01", 0, BACKUP_TYPE_INCREMENTAL, &tok, &cb, &h));
    EXPECT_HR(ERROR_INVALID_PARAMETER, dcsim_DsBackupPrepare("DC01", 0, BACKUP_TYPE_LOGS_ONLY, &tok, &cb, &h));
    EXPECT_HR(hrInvalidParam, dcsim_DsBackupPrepare("DC01", 0, 1, NULL, &cb, &h));
    EXPECT_HR(hrInvalidParam, dcsim_DsBackupPrepare("DC01", 0, 1, &tok, NULL, &h));
    EXPECT_HR(ERROR_INVALID_PARAMETER, dcsim_DsBackupPrepare("DC01", 0, 1, &tok, &cb, NULL));
    fx_teardown(&f);
}

/* R5: one backup per server at a time. */
TEST(rule_backup_in_progress)
{
    SETUP("inprog", 17, 1);
    void *t1 = NULL, *t2 = NULL;
    DWORD cb = 0;
    HBC h1 = NULL, h2 = NULL;
    EXPECT_HR(S_OK, dcsim_DsBackupPrepare("DC01", 0, 1, &t1, &cb, &h1));
    EXPECT_HR(hrBackupInProgress, dcsim_DsBackupPrepare("DC01", 0, 1, &t2, &cb, &h2));
    EXPECT_HR(S_OK, dcsim_DsBackupEnd(h1));
    EXPECT_HR(S_OK, dcsim_DsBackupPrepare("DC01", 0, 1, &t2, &cb, &h2));
    EXPECT_HR(S_OK, dcsim_DsBackupEnd(h2));
    dcsim_DsBackupFree(t1);
    dcsim_DsBackupFree(t2);
    fx_teardown(&f);
}

/* R7: list out-pointers must be NULL on entry. */
TEST(rule_list_pointer_not_null)
{
    SETUP("listnull", 18, 1);
    void *tok = NULL;
    DWORD cb = 0;
    HBC h = NULL;
    char junk = 0, *list = &junk;
    REQUIRE_HR(S_OK, dcsim_DsBackupPrepare("DC01", 0, 1, &tok, &cb, &h));
    EXPECT_HR(ERROR_INVALID_PARAMETER, dcsim_DsBackupGetDatabaseNames(h, &list, &cb));
    EXPECT_HR(ERROR_INVALID_PARAMETER, dcsim_DsBackupGetDatabaseNames(h, NULL, &cb));
    dcsim_DsBackupEnd(h);
    dcsim_DsBackupFree(tok);
    fx_teardown(&f);
}

/* R20: every buffer freed once through DsBackupFree; misuse is counted. */
TEST(rule_buffers_freed_exactly_once)
{
    SETUP("frees", 19, 1);
    void *tok = NULL;
    DWORD cb = 0;
    HBC h = NULL;
    char *list = NULL;
    REQUIRE_HR(S_OK, dcsim_DsBackupPrepare("DC01", 0, 1, &tok, &cb, &h));
    REQUIRE_HR(S_OK, dcsim_DsBackupGetDatabaseNames(h, &list, &cb));
    EXPECT_EQ_U64(2, dcsim_buffers_outstanding());
    dcsim_DsBackupFree(list);
    dcsim_DsBackupFree(list);  /* double free: counted, not touched */
    dcsim_DsBackupFree(&cb);   /* never ours */
    dcsim_DsBackupFree(NULL);  /* no-op */
    EXPECT_EQ_U64(1, dcsim_buffers_outstanding());
    EXPECT_EQ_U64(2, dcsim_buffers_bad_frees());
    dcsim_DsBackupFree(tok);
    EXPECT_EQ_U64(0, dcsim_buffers_outstanding());
    dcsim_DsBackupEnd(h);
    fx_teardown(&f);
}

/* R15: truncating before the listed logs were read deletes them; opening
 * one then fails with hrFileNotFound. */
TEST(rule_logs_truncated_before_read)
{
    SETUP("trunc", 20, 1);
    void *tok = NULL;
    DWORD cb = 0;
    HBC h = NULL;
    char *logs = NULL;
    LARGE_INTEGER sz;
    REQUIRE_HR(S_OK, dcsim_DsBackupPrepare("DC01", 0, 1, &tok, &cb, &h));
    REQUIRE_HR(S_OK, dcsim_DsBackupGetBackupLogs(h, &logs, &cb));
    EXPECT_HR(S_OK, dcsim_DsBackupTruncateLogs(h));
    EXPECT_HR(hrFileNotFound, dcsim_DsBackupOpenFile(h, logs + 1, 65536, &sz));
    EXPECT_TRUE(strstr(dcsim_last_error(), "R15") != NULL);
    dcsim_DsBackupFree(logs);
    dcsim_DsBackupFree(tok);
    dcsim_DsBackupEnd(h);
    fx_teardown(&f);
}

/* R22: without a token only GetDatabaseLocations works. */
TEST(rule_restore_without_token)
{
    SETUP("notoken", 21, 0);
    HBC r = NULL;
    char *loc = NULL;
    DWORD cb = 0;
    struct dcsim_rstmap m = {"\\\\DC01\\C$\\Windows\\NTDS\\ntds.dit",
                             "\\\\DC01\\C$\\Windows\\NTDS\\ntds.dit"};
    EXPECT_HR(S_OK, dcsim_DsRestorePrepare("DC01", 0, NULL, 0, &r));
    EXPECT_HR(S_OK, dcsim_DsRestoreGetDatabaseLocations(r, &loc, &cb));
    EXPECT_HR(hrMissingExpiryToken,
              dcsim_DsRestoreRegister(r, "\\\\DC01\\C$\\Windows\\NTDS",
                                      "\\\\DC01\\C$\\Windows\\NTDS", &m, 1, f.bk, 0x10, 0x12));
    EXPECT_HR(hrMissingExpiryToken, dcsim_DsRestoreRegisterComplete(r, S_OK));
    dcsim_DsBackupFree(loc);
    EXPECT_HR(S_OK, dcsim_DsRestoreEnd(r));
    fx_teardown(&f);
}

/* R21: restore only while offline. */
TEST(rule_restore_while_online)
{
    SETUP("rstonline", 22, 1);
    HBC r = NULL;
    EXPECT_HR(hrError, dcsim_DsRestorePrepare("DC01", 0, NULL, 0, &r));
    REQUIRE_TRUE(dcsim_stop(f.dc) == DCSIM_OK);
    EXPECT_HR(ERROR_INVALID_PARAMETER, dcsim_DsRestorePrepare("DC01", RESTORE_TYPE_AUTHORATATIVE, NULL, 0, &r));
    fx_teardown(&f);
}

/* R24-R26 and the whole restore: back up, restore through the source
 * interface, recovery at start; a failed completion keeps the DC down. */
TEST(restore_register_complete_and_recover)
{
    SETUP("restore", 23, 1);
    uint8_t *tok = NULL;
    size_t tl = 0, ng = 0;
    uint32_t gens[64];
    char msg[2048];
    REQUIRE_TRUE(fx_backup(f.bk, &tok, &tl, gens, &ng, 0, msg, sizeof msg) == DSB_OK);
    REQUIRE_TRUE(dcsim_stop(f.dc) == DCSIM_OK);

    struct dsb *s = NULL;
    struct dsb_name_list loc = {0};
    REQUIRE_TRUE(dsb_open(dcsim_ds_api(), NULL, NULL, NULL, true, 0, &s, NULL) == DSB_OK);
    int on = 1;
    EXPECT_TRUE(dsb_is_online(s, &on) == DSB_OK && on == 0);
    REQUIRE_TRUE(dsb_restore_prepare(s, tok, tl) == DSB_OK);
    REQUIRE_TRUE(dsb_restore_locations(s, &loc) == DSB_OK);
    REQUIRE_TRUE(loc.n == 3 && loc.v[2].local != NULL);
    struct ds_rstmap m = {loc.v[2].name, loc.v[2].name};
    /* R24: bad arguments. */
    EXPECT_TRUE(dsb_restore_register(s, loc.v[0].name, loc.v[1].name, &m, 1, f.bk,
                                         gens[ng - 1], gens[0]) == DSB_E_ARG);
    EXPECT_TRUE(dsb_restore_register(s, f.bk, loc.v[1].name, &m, 1, f.bk, gens[0],
                                         gens[ng - 1]) == DSB_E_ARG);
    EXPECT_TRUE(strstr(dsb_errmsg(s), "DsRestoreRegister") != NULL);
    /* Register, then the copy. */
    REQUIRE_TRUE(dsb_restore_register(s, loc.v[0].name, loc.v[1].name, &m, 1, f.bk,
                                          gens[0], gens[ng - 1]) == DSB_OK);
    EXPECT_TRUE(dsb_restore_register(s, loc.v[0].name, loc.v[1].name, &m, 1, f.bk,
                                         gens[0], gens[ng - 1]) == DSB_E_BUSY); /* R25 */
    EXPECT_TRUE(dcsim_start(f.dc) == DCSIM_E_STATE); /* registered, not complete */
    char src[800], dst[800];
    file_path(src, sizeof src, f.bk, "ntds.dit");
    file_path(dst, sizeof dst, f.dc, "ntds.dit");
    REQUIRE_TRUE(rename(src, dst) == 0);
    /* R26: complete with a failure code: the DC will not start. */
    REQUIRE_TRUE(dsb_restore_complete(s, (int32_t)hrError) == DSB_OK);
    EXPECT_TRUE(dcsim_start(f.dc) == DCSIM_E_STATE);
    EXPECT_TRUE(dsb_restore_end(s) == DSB_OK);
    /* A good restore afterwards: the DC recovers and starts. */
    REQUIRE_TRUE(dsb_restore_prepare(s, tok, tl) == DSB_OK);
    REQUIRE_TRUE(dsb_restore_register(s, loc.v[0].name, loc.v[1].local, &m, 1, f.bk,
                                          gens[0], gens[ng - 1]) == DSB_OK);
    REQUIRE_TRUE(dsb_restore_complete(s, 0) == DSB_OK);
    REQUIRE_TRUE(dsb_restore_end(s) == DSB_OK);
    EXPECT_TRUE(dcsim_start(f.dc) == DCSIM_OK);
    struct dcsim_info in;
    REQUIRE_TRUE(dcsim_info_read(f.dc, &in) == DCSIM_OK);
    EXPECT_TRUE(in.online);
    EXPECT_EQ_U64(gens[ng - 1] + 1, in.current_gen);
    struct dcsim_check_report r;
    EXPECT_TRUE(dcsim_check(f.dc, NULL, &r) == DCSIM_OK);
    dsb_names_free(&loc);
    dsb_close(s);
    free(tok);
    fx_teardown(&f);
}

/* ---- faults, one per switch -------------------------------------------- */

/* fail_read: the Nth read fails with the given code; the session is dead
 * (R17: every later call but End gives hrNoBackup). */
TEST(fault_fail_nth_read)
{
    SETUP("failread", 30, 1);
    struct dcsim_faults fl;
    REQUIRE_TRUE(dcsim_faults_parse("fail_read=2:0xC8000408", &fl) == DCSIM_OK);
    dcsim_faults_set(&fl);
    HBC h = NULL;
    LARGE_INTEGER sz;
    REQUIRE_TRUE(fx_open_db(&h, &sz) == 0);
    static uint8_t buf[98304];
    DWORD n = 0;
    EXPECT_HR(S_OK, dcsim_DsBackupRead(h, buf, sizeof buf, &n));
    EXPECT_HR(hrFileAccessDenied, dcsim_DsBackupRead(h, buf, sizeof buf, &n));
    EXPECT_HR(hrNoBackup, dcsim_DsBackupRead(h, buf, sizeof buf, &n));
    EXPECT_HR(hrNoBackup, dcsim_DsBackupClose(h));
    EXPECT_HR(S_OK, dcsim_DsBackupEnd(h));
    fx_teardown(&f);
}

/* offline_after: the DC goes down after N bytes; the next call fails with
 * hrCommunicationError (R18) and DsIsNTDSOnline says FALSE. */
TEST(fault_offline_after_bytes)
{
    SETUP("offafter", 31, 1);
    setenv("DCSIM_FAULTS", "offline_after=200000", 1);
    dcsim_faults_set(NULL);
    struct dcsim_faults fl;
    REQUIRE_TRUE(dcsim_faults_parse(getenv("DCSIM_FAULTS"), &fl) == DCSIM_OK);
    dcsim_faults_set(&fl);
    HBC h = NULL;
    LARGE_INTEGER sz;
    REQUIRE_TRUE(fx_open_db(&h, &sz) == 0);
    static uint8_t buf[131072];
    DWORD n = 0;
    EXPECT_HR(S_OK, dcsim_DsBackupRead(h, buf, sizeof buf, &n));
    EXPECT_HR(S_OK, dcsim_DsBackupRead(h, buf, sizeof buf, &n));
    EXPECT_HR(hrCommunicationError, dcsim_DsBackupRead(h, buf, sizeof buf, &n));
    BOOL on = 1;
    EXPECT_HR(S_OK, dcsim_DsIsNTDSOnline("DC01", &on));
    EXPECT_TRUE(on == 0);
    EXPECT_HR(S_OK, dcsim_DsBackupEnd(h));
    unsetenv("DCSIM_FAULTS");
    fx_teardown(&f);
}

/* short_reads: fewer bytes than asked mid-file, same bytes in total. */
TEST(fault_short_reads)
{
    SETUP("short", 32, 1);
    HBC h = NULL;
    LARGE_INTEGER sz;
    uint8_t *a = malloc(3 << 20), *b = malloc(3 << 20);
    static uint8_t buf[1 << 20];
    uint64_t ta = 0, tb = 0;
    DWORD n = 0;
    REQUIRE_TRUE(fx_open_db(&h, &sz) == 0);
    while (dcsim_DsBackupRead(h, buf, 98304, &n) == S_OK && n) {
        memcpy(a + ta, buf, n);
        ta += n;
    }
    dcsim_DsBackupEnd(h);
    struct dcsim_faults fl;
    dcsim_faults_clear(&fl);
    fl.short_reads = 1;
    dcsim_faults_set(&fl);
    REQUIRE_TRUE(fx_open_db(&h, &sz) == 0);
    int shorts = 0;
    while (dcsim_DsBackupRead(h, buf, 98304, &n) == S_OK && n) {
        if (n < 98304 && tb + n < (uint64_t)sz.QuadPart)
            shorts++;
        memcpy(b + tb, buf, n);
        tb += n;
    }
    EXPECT_TRUE(shorts > 0);
    EXPECT_EQ_U64(ta, tb);
    EXPECT_TRUE(ta == tb && memcmp(a, b, ta) == 0);
    dcsim_DsBackupEnd(h);
    free(a);
    free(b);
    fx_teardown(&f);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* slow_read_ms: every read takes at least that long. */
TEST(fault_slow_reads)
{
    SETUP("slow", 33, 1);
    struct dcsim_faults fl;
    REQUIRE_TRUE(dcsim_faults_parse("slow_read_ms=30", &fl) == DCSIM_OK);
    dcsim_faults_set(&fl);
    HBC h = NULL;
    LARGE_INTEGER sz;
    REQUIRE_TRUE(fx_open_db(&h, &sz) == 0);
    static uint8_t buf[98304];
    DWORD n = 0;
    double t0 = now_s();
    for (int i = 0; i < 4; i++)
        EXPECT_HR(S_OK, dcsim_DsBackupRead(h, buf, sizeof buf, &n));
    EXPECT_TRUE(now_s() - t0 >= 0.12);
    dcsim_DsBackupEnd(h);
    fx_teardown(&f);
}

/* missing_log: a generation vanishes; the list has a gap and the copied set
 * fails the recovery check. */
TEST(fault_missing_log)
{
    SETUP("misslog", 34, 1);
    struct dcsim_info in;
    REQUIRE_TRUE(dcsim_info_read(f.dc, &in) == DCSIM_OK);
    struct dcsim_faults fl;
    dcsim_faults_clear(&fl);
    fl.missing_log = in.checkpoint_gen; /* genStart, the first one needed */
    dcsim_faults_set(&fl);
    uint8_t *tok = NULL;
    size_t tl = 0, ng = 0;
    uint32_t gens[64];
    char msg[2048];
    REQUIRE_TRUE(fx_backup(f.bk, &tok, &tl, gens, &ng, 0, msg, sizeof msg) == DSB_OK);
    for (size_t i = 0; i < ng; i++)
        EXPECT_TRUE(gens[i] != fl.missing_log);
    struct dcsim_check_report r;
    EXPECT_TRUE(dcsim_check(f.bk, NULL, &r) == DCSIM_E_CHECK);
    EXPECT_TRUE(strstr(r.problem, "missing") != NULL);
    free(tok);
    fx_teardown(&f);
}

/* bad_page: the server's verification fails the read with
 * hrReadVerifyFailure, naming the page; the source reports DSB_E_CORRUPT. */
TEST(fault_bad_page_checksum)
{
    SETUP("badpage", 35, 1);
    setenv("DCSIM_FAULTS", "bad_page=17", 1);
    dcsim_faults_set(NULL);
    struct dcsim_faults fl;
    REQUIRE_TRUE(dcsim_faults_parse(getenv("DCSIM_FAULTS"), &fl) == DCSIM_OK);
    EXPECT_EQ_U64(17, fl.bad_page);
    dcsim_faults_set(&fl);
    uint8_t *tok = NULL;
    size_t tl = 0, ng = 0;
    uint32_t gens[64];
    char msg[2048];
    EXPECT_TRUE(fx_backup(f.bk, &tok, &tl, gens, &ng, 0, msg, sizeof msg) == DSB_E_CORRUPT);
    EXPECT_TRUE(strstr(msg, "hrReadVerifyFailure") && strstr(msg, "page 17"));
    free(tok);
    unsetenv("DCSIM_FAULTS");
    fx_teardown(&f);
}

/* eof_zero_read: one S_OK/0-byte read before ERROR_HANDLE_EOF; the source
 * treats both as the end. The parser rejects unknown switches. */
TEST(fault_eof_zero_read_and_parser)
{
    SETUP("eofzero", 36, 1);
    struct dcsim_faults fl;
    EXPECT_TRUE(dcsim_faults_parse("nonsense=1", &fl) == DCSIM_E_ARG);
    EXPECT_TRUE(dcsim_faults_parse("fail_read=x", &fl) == DCSIM_E_ARG);
    REQUIRE_TRUE(dcsim_faults_parse("eof_zero_read=1,missing_log=0x1A,fail_read=3:0xC80003FA,"
                                    "offline_after=1048576,short_reads=0,slow_read_ms=0",
                                    &fl) == DCSIM_OK);
    EXPECT_EQ_U64(0x1A, fl.missing_log);
    EXPECT_EQ_U64(3, fl.fail_read_n);
    EXPECT_EQ_U64(0xC80003FAu, (uint32_t)fl.fail_read_hr);
    fl.missing_log = 0;
    fl.fail_read_n = 0;
    fl.offline_after = 0;
    dcsim_faults_set(&fl);
    uint8_t *tok = NULL;
    size_t tl = 0, ng = 0;
    uint32_t gens[64];
    char msg[2048];
    EXPECT_TRUE(fx_backup(f.bk, &tok, &tl, gens, &ng, 1, msg, sizeof msg) == DSB_OK);
    struct dcsim_check_report r;
    EXPECT_TRUE(dcsim_check(f.bk, NULL, &r) == DCSIM_OK);
    free(tok);
    fx_teardown(&f);
}

/* ---- churn ---------------------------------------------------------------- */

/* A busy DC: pages change and generations roll during the backup. The
 * backup holds every log from genStart, lists genStart..genEnd without a
 * gap, and the copied set passes the recovery check. */
TEST(churn_backup_is_restorable)
{
    SETUP("churn", 40, 1);
    struct dcsim_info before, after;
    REQUIRE_TRUE(dcsim_info_read(f.dc, &before) == DCSIM_OK);
    struct dcsim_churn_opts co = {.pages_per_tick = 16, .tick_ms = 2, .roll_ticks = 3,
                                  .duration_ms = 20000};
    struct dcsim_churn *ch = NULL;
    REQUIRE_TRUE(dcsim_churn_start(f.dc, &co, &ch) == DCSIM_OK);
    struct dcsim_faults fl;
    dcsim_faults_clear(&fl);
    fl.slow_read_ms = 40; /* long enough a copy for several rolls */
    dcsim_faults_set(&fl);
    uint8_t *tok = NULL;
    size_t tl = 0, ng = 0;
    uint32_t gens[256];
    char msg[2048];
    dsb_status st = fx_backup(f.bk, &tok, &tl, gens, &ng, 0, msg, sizeof msg);
    EXPECT_TRUE(st == DSB_OK);
    if (st)
        fprintf(stderr, "backup: %s\n", msg);
    EXPECT_TRUE(dcsim_churn_stop(ch) == DCSIM_OK);
    REQUIRE_TRUE(dcsim_info_read(f.dc, &after) == DCSIM_OK);
    EXPECT_TRUE(after.current_gen > before.current_gen + 2);
    EXPECT_TRUE(ng >= 3);
    EXPECT_EQ_U64(before.checkpoint_gen, ng ? gens[0] : 0);
    for (size_t i = 1; i < ng; i++)
        EXPECT_EQ_U64(gens[i - 1] + 1, gens[i]);
    struct dcsim_check_report r;
    EXPECT_TRUE(dcsim_check(f.bk, NULL, &r) == DCSIM_OK);
    if (r.problem[0])
        fprintf(stderr, "check: %s\n", r.problem);
    EXPECT_TRUE(r.restore_data);
    EXPECT_TRUE(r.gen_needed_high > before.checkpoint_gen); /* pages changed mid-copy */
    /* Without the last log the database is ahead of its logs. */
    char p[800], n[32];
    snprintf(n, sizeof n, "edb%05X.log", r.gen_needed_high);
    file_path(p, sizeof p, f.bk, n);
    REQUIRE_TRUE(unlink(p) == 0);
    EXPECT_TRUE(dcsim_check(f.bk, NULL, &r) == DCSIM_E_CHECK);
    /* And the live DC folder still checks after churn and circular deletion. */
    REQUIRE_TRUE(dcsim_stop(f.dc) == DCSIM_OK);
    EXPECT_TRUE(dcsim_check(f.dc, NULL, &r) == DCSIM_OK);
    free(tok);
    fx_teardown(&f);
}

TEST_MAIN()
