/*
 * list_verify.c - a program outside adbk's tree, the way another project
 * would use the container library: built against the installed
 * libadbk-format with nothing but `pkg-config --cflags --libs adbk-format`
 * (Makefile) or CMake's find_package(adbk-format) (CMakeLists.txt). It lists
 * an archive's members and verifies every byte, through adbk_format.h only.
 *
 * Exit: 0 intact, 1 damaged, 2 cannot read it.
 */
#include <adbk_format.h>

#include <inttypes.h>
#include <stdio.h>

static void on_damage(void *ctx, const struct adbk_damage *d)
{
    (void)ctx;
    printf("damaged: %s at byte %" PRIu64 ": %s\n", d->member_name ? d->member_name : "-",
           d->offset, d->message);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: list_verify ARCHIVE\n");
        return 2;
    }
    struct adbk_error err = {0};
    struct adbk_reader *r = NULL;
    adbk_status st = adbk_reader_open(argv[1], NULL, &r, &err);
    if (st != ADBK_OK) {
        fprintf(stderr, "list_verify: %s (%s)\n", err.message, adbk_status_name(st));
        return 2;
    }
    const struct adbk_archive_info *in = adbk_reader_info(r);
    printf("%s: format %u.%u, %zu members, written by %s\n", argv[1], in->format_major,
           in->format_minor, adbk_reader_count(r), in->tool);
    for (size_t i = 0; i < adbk_reader_count(r); i++) {
        const struct adbk_entry *e = adbk_reader_member(r, i);
        const char *kind = adbk_kind_name(e->kind);
        char hex[33];
        adbk_hex128(e->xxh128, hex);
        printf("  %-12s %12" PRIu64 "  %s  %s\n", kind ? kind : "?", e->size, hex, e->name);
    }
    struct adbk_verify_callbacks cb = {.damage = on_damage};
    struct adbk_verify_result res = {0};
    st = adbk_reader_verify(r, &cb, &res, &err);
    adbk_reader_close(r);
    if (st != ADBK_OK) {
        printf("%s: %s (%s)\n", argv[1], adbk_strerror(st), err.message);
        return st == ADBK_E_IO || st == ADBK_E_NOMEM ? 2 : 1;
    }
    printf("%s: intact (%" PRIu64 " frames, %" PRIu64 " bytes checked)\n", argv[1],
           res.frames_checked, res.bytes_checked);
    return 0;
}
