/*
 * restore_at.c - adbk_restore of a Samba archive with the restore's clock
 * set DAYS days after the archive was made, for samba_cli.sh's expiry cases
 * (the command line has no clock option, and should not).
 *
 *   restore_at ARCHIVE SMB_CONF DAYS [allow]
 *
 * Prints the status name and the message; exits 0 when restored, 1 when the
 * restore was refused as expired, 2 otherwise.
 */
#include "adbk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: restore_at ARCHIVE SMB_CONF DAYS [allow]\n");
        return 2;
    }
    struct adbk_error err = {0};
    struct adbk_reader *r;
    adbk_status st = adbk_reader_open(argv[1], NULL, &r, &err);
    if (st != ADBK_OK) {
        printf("%s: %s\n", adbk_status_name(st), err.message);
        return 2;
    }
    struct adbk_dc_spec spec = {.samba_conf = argv[2]};
    struct adbk_dc *dc;
    st = adbk_dc_open(&spec, NULL, &dc, &err);
    if (st == ADBK_OK) {
        struct adbk_restore_options o = {
            .now = adbk_reader_info(r)->created_sec + (int64_t)atoll(argv[3]) * 86400,
            .allow_expired = argc > 4 && !strcmp(argv[4], "allow")};
        struct adbk_restore_result res;
        st = adbk_restore(r, dc, &o, NULL, &res, &err);
        adbk_dc_close(dc);
    }
    adbk_reader_close(r);
    printf("%s: %s\n", adbk_status_name(st), st == ADBK_OK ? "restored" : err.message);
    return st == ADBK_OK ? 0 : st == ADBK_E_EXPIRED ? 1 : 2;
}
