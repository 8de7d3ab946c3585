/*
 * restore_ops.c - drives the restore operations of the Windows source
 * backend (source_ntdsbcli_win32.c) through ntdsbcli.dll, for
 * tests/wine/run.sh. Not the restore driver: it only checks that each op
 * reaches the DLL with the right strings and that codes come back mapped.
 *
 *   restore_ops.exe SERVER TOKEN_FILE GEN_LOW GEN_HIGH
 *
 * Steps, each printed; exit 0 only if all behave:
 *   0. without SeRestorePrivilege the DLL refuses DsRestorePrepare
 *      (SRC_E_PRIVILEGE); then plat_enable_privilege(PLAT_PRIV_RESTORE)
 *      enables it through AdjustTokenPrivileges;
 *   1. a context without a token lists locations but DsRestoreRegister is
 *      refused with hrMissingExpiryToken (SRC_E_TOKEN);
 *   2. with the archive's token: prepare, locations (checkpoint dir, log dir,
 *      database), register with those paths, complete with S_OK, end.
 */
#include "ntdsbcli_win32.h"
#include "privilege.h"
#include "source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failed;

static void step(const char *what, src_status got, src_status want, const struct source *s)
{
    int ok = got == want;
    printf("%s %s: %s%s%s\n", ok ? "ok  " : "FAIL", what, src_strerror(got),
           s && s->err.msg[0] ? " - " : "", s && s->err.msg[0] ? s->err.msg : "");
    failed |= !ok;
}

/* Finds the location of type bft in l, or NULL. */
static const char *loc(const struct src_name_list *l, uint8_t bft)
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
    struct src_config cfg = {.server = argv[1]};
    struct src_error e;
    struct source *s = NULL;
    src_status st = src_ntdsbcli_open(&cfg, &s, &e);
    if (st) {
        printf("FAIL open: %s\n", e.msg);
        return 1;
    }
    int online = -1;
    step("is_online answers", s->ops->is_online(s, &online), SRC_OK, s);
    printf("     online=%d (a restore needs 0)\n", online);
    failed |= online != 0;

    /* 0. privilege */
    step("restore_prepare before the privilege is enabled",
         s->ops->restore_prepare(s, tok, tl), SRC_E_PRIVILEGE, s);
    struct adbk_error pe;
    memset(&pe, 0, sizeof pe);
    adbk_status ps = plat_enable_privilege(PLAT_PRIV_RESTORE, &pe);
    printf("%s plat_enable_privilege(PLAT_PRIV_RESTORE): %s %s\n", ps ? "FAIL" : "ok  ",
           adbk_strerror(ps), pe.message);
    failed |= ps != ADBK_OK;

    /* 1. restricted context */
    struct src_name_list l = {0};
    step("restore_prepare without a token", s->ops->restore_prepare(s, NULL, 0), SRC_OK, s);
    step("restore_locations in it", s->ops->restore_locations(s, &l), SRC_OK, s);
    const char *ck = loc(&l, 0x83), *lg = loc(&l, 0x82), *db = loc(&l, 0x44);
    struct src_rstmap m = {.database_name = db, .new_database_name = db};
    if (ck && lg && db)
        step("restore_register refused without a token",
             s->ops->restore_register(s, ck, lg, &m, 1, lg, lo, hi), SRC_E_TOKEN, s);
    step("restore_end", s->ops->restore_end(s), SRC_OK, s);
    src_names_free(&l);

    /* 2. with the token */
    step("restore_prepare with the archive's token", s->ops->restore_prepare(s, tok, tl),
         SRC_OK, s);
    step("restore_locations", s->ops->restore_locations(s, &l), SRC_OK, s);
    for (size_t i = 0; i < l.n; i++)
        printf("     0x%02X %s\n", l.v[i].bft, l.v[i].name);
    ck = loc(&l, 0x83), lg = loc(&l, 0x82), db = loc(&l, 0x44);
    if (!ck || !lg || !db) {
        printf("FAIL the three locations (checkpoint, log, database) are not all there\n");
        failed = 1;
    } else {
        m.database_name = db;
        m.new_database_name = db;
        step("restore_register", s->ops->restore_register(s, ck, lg, &m, 1, lg, lo, hi), SRC_OK,
             s);
        step("restore_complete(S_OK)", s->ops->restore_complete(s, 0), SRC_OK, s);
    }
    step("restore_end", s->ops->restore_end(s), SRC_OK, s);
    src_names_free(&l);
    src_destroy(s);
    return failed ? 1 : 0;
}
