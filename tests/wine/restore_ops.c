/*
 * restore_ops.c - drives the restore operations of the DsBackup adapter
 * (src/dsbackup/dsb.c) over the Windows loader of ntdsbcli.dll, for
 * tests/wine/run.sh. Not the restore driver: it only checks that each op
 * reaches the DLL with the right strings and that codes come back mapped.
 *
 *   restore_ops.exe SERVER TOKEN_FILE GEN_LOW GEN_HIGH
 *
 * Steps, each printed; exit 0 only if all behave:
 *   0. without SeRestorePrivilege the DLL refuses DsRestorePrepare
 *      (DSB_E_PRIVILEGE); then plat_enable_privilege(PLAT_PRIV_RESTORE)
 *      enables it through AdjustTokenPrivileges;
 *   1. a context without a token lists locations but DsRestoreRegister is
 *      refused with hrMissingExpiryToken (DSB_E_TOKEN);
 *   2. with the archive's token: prepare, locations (checkpoint dir, log dir,
 *      database), register with those paths, complete with S_OK, end.
 */
#include "dsb.h"
#include "ntdsbcli_win32.h"
#include "privilege.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failed;

static void step(const char *what, dsb_status got, dsb_status want, const struct dsb *s)
{
    int ok = got == want;
    const char *msg = s ? dsb_errmsg(s) : "";
    printf("%s %s: %s%s%s\n", ok ? "ok  " : "FAIL", what, dsb_strerror(got), msg[0] ? " - " : "",
           msg);
    failed |= !ok;
}

/* Finds the location of type bft in l, or NULL. */
static const char *loc(const struct dsb_name_list *l, uint8_t bft)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].bft == bft)
            return l->v[i].name;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: restore_ops SERVER TOKEN_FILE GEN_LOW GEN_HIGH\n");
        return 2;
    }
    FILE *f = fopen(argv[2], "rb");
    static uint8_t tok[65536];
    size_t tl = f ? fread(tok, 1, sizeof tok, f) : 0;
    if (f)
        fclose(f);
    if (!tl) {
        fprintf(stderr, "restore_ops: cannot read the token %s\n", argv[2]);
        return 2;
    }
    uint32_t lo = (uint32_t)strtoul(argv[3], NULL, 0), hi = (uint32_t)strtoul(argv[4], NULL, 0);
    const struct ds_api *api;
    void *ctx;
    bool simulated;
    char msg[1536];
    if (ntdsbcli_load(&api, &ctx, &simulated, msg, sizeof msg) != 0) {
        printf("FAIL load: %s\n", msg);
        return 1;
    }
    struct dsb *s = NULL;
    struct dsb_error e = {0};
    dsb_status st = dsb_open(api, ctx, argv[1], NULL, simulated, 0, &s, &e);
    if (st) {
        printf("FAIL open: %s\n", e.msg);
        return 1;
    }
    int online = -1;
    step("is_online answers", dsb_is_online(s, &online), DSB_OK, s);
    printf("     online=%d (a restore needs 0)\n", online);
    failed |= online != 0;

    /* 0. privilege */
    step("restore_prepare before the privilege is enabled",
         dsb_restore_prepare(s, tok, tl), DSB_E_PRIVILEGE, s);
    struct adbk_error pe;
    memset(&pe, 0, sizeof pe);
    adbk_status ps = plat_enable_privilege(PLAT_PRIV_RESTORE, &pe);
    printf("%s plat_enable_privilege(PLAT_PRIV_RESTORE): %s %s\n", ps ? "FAIL" : "ok  ",
           adbk_strerror(ps), pe.message);
    failed |= ps != ADBK_OK;

    /* 1. restricted context */
    struct dsb_name_list l = {0};
    step("restore_prepare without a token", dsb_restore_prepare(s, NULL, 0), DSB_OK, s);
    step("restore_locations in it", dsb_restore_locations(s, &l), DSB_OK, s);
    const char *ck = loc(&l, DS_BFT_CHECKPOINT_DIR), *lg = loc(&l, DS_BFT_LOG_DIR),
               *db = loc(&l, DS_BFT_NTDS_DATABASE);
    struct ds_rstmap m = {.database_name = db, .new_database_name = db};
    if (ck && lg && db)
        step("restore_register refused without a token",
             dsb_restore_register(s, ck, lg, &m, 1, lg, lo, hi), DSB_E_TOKEN, s);
    step("restore_end", dsb_restore_end(s), DSB_OK, s);
    dsb_names_free(&l);

    /* 2. with the token */
    step("restore_prepare with the archive's token", dsb_restore_prepare(s, tok, tl),
         DSB_OK, s);
    step("restore_locations", dsb_restore_locations(s, &l), DSB_OK, s);
    for (size_t i = 0; i < l.n; i++)
        printf("     0x%02X %s\n", l.v[i].bft, l.v[i].name);
    ck = loc(&l, DS_BFT_CHECKPOINT_DIR), lg = loc(&l, DS_BFT_LOG_DIR);
    db = loc(&l, DS_BFT_NTDS_DATABASE);
    if (!ck || !lg || !db) {
        printf("FAIL the three locations (checkpoint, log, database) are not all there\n");
        failed = 1;
    } else {
        m.database_name = db;
        m.new_database_name = db;
        step("restore_register", dsb_restore_register(s, ck, lg, &m, 1, lg, lo, hi), DSB_OK,
             s);
        step("restore_complete(S_OK)", dsb_restore_complete(s, 0), DSB_OK, s);
    }
    step("restore_end", dsb_restore_end(s), DSB_OK, s);
    dsb_names_free(&l);
    dsb_close(s);
    return failed ? 1 : 0;
}
