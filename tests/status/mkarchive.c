/*
 * mkarchive.c - writes a small archive with the properties and creation
 * time a test asks for, through the public writer API, for the tests and
 * the benchmark of `adbk status` (status_cli.sh, tools/bench-status.sh):
 * `adbk backup` dates its archives now and `adbk create` records no server,
 * while status is about servers, domains and ages.
 *
 *   mkarchive OUT CREATED [-p KEY=VALUE]... [-k IDENTITY_FILE] [-s SIZE]
 *
 * CREATED is Unix seconds. The archive holds one member, ntds.dit, of SIZE
 * bytes (default 20000) that do not compress, in chunks of 4 KiB, so the
 * middle of the file is chunk data. -k encrypts it to the public half of the
 * age identity (AGE-SECRET-KEY-1...) in IDENTITY_FILE. Exit 0, or 1 with a
 * message.
 */
#include "adbk_format.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int die(const char *what)
{
    fprintf(stderr, "mkarchive: %s\n", what);
    return 1;
}

/* The recipient of the identity in path. */
static int recipient_of(const char *path, struct adbk_recipient *out)
{
    char text[4096];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f)
        fclose(f);
    text[n] = '\0';
    struct adbk_age_identity *ids = NULL;
    size_t nids = 0;
    struct adbk_error err = {0};
    if (adbk_age_identities_read(text, path, &ids, &nids, &err) != ADBK_OK)
        return die(err.message);
    adbk_age_identity_recipient(&ids[0], out);
    adbk_keys_free(ids, nids, sizeof *ids);
    return 0;
}

/* Content that zstd cannot shrink (xorshift), the same on every run. */
static void content(unsigned char *p, size_t n)
{
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (unsigned char)x;
    }
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return die("usage: mkarchive OUT CREATED [-p KEY=VALUE]... [-k IDENTITY_FILE] [-s SIZE]");
    struct adbk_recipient rcpt;
    struct adbk_writer_options wo = {.in_caller = 1, .chunk_size = 4096, .has_created = 1,
                                     .created_sec = strtoll(argv[2], NULL, 10)};
    size_t size = 20000;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "-k") && i + 1 < argc) {
            if (recipient_of(argv[++i], &rcpt))
                return 1;
            wo.recipients = &rcpt;
            wo.recipient_count = 1;
        } else if (!strcmp(argv[i], "-s") && i + 1 < argc) {
            size = (size_t)strtoull(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "-p") || i + 1 >= argc) {
            return die("unknown argument");
        } else {
            i++;
        }
    }
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return die("cannot create the archive");
    struct adbk_fd_sink fds;
    struct adbk_sink sink;
    adbk_sink_fd(&sink, &fds, fd, argv[1]);
    struct adbk_error err = {0};
    struct adbk_writer *w = NULL;
    adbk_status st = adbk_writer_open(&sink, &wo, &w, &err);
    for (int i = 3; st == ADBK_OK && i + 1 < argc; i++) {
        if (strcmp(argv[i], "-p") != 0)
            continue;
        char kv[4200];
        snprintf(kv, sizeof kv, "%s", argv[++i]);
        char *eq = strchr(kv, '=');
        if (!eq) {
            adbk_writer_free(w);
            close(fd);
            return die("-p wants KEY=VALUE");
        }
        *eq = '\0';
        st = adbk_writer_set_property(w, kv, eq + 1, &err);
    }
    unsigned char *buf = malloc(size ? size : 1);
    if (!buf)
        st = adbk_error_set(&err, ADBK_E_NOMEM, "no memory");
    else
        content(buf, size);
    struct adbk_member_info mi = {.name = "ntds.dit", .kind = ADBK_KIND_DATABASE};
    if (st == ADBK_OK)
        st = adbk_writer_begin_member(w, &mi, &err);
    if (st == ADBK_OK)
        st = adbk_writer_write(w, buf, size, &err);
    if (st == ADBK_OK)
        st = adbk_writer_end_member(w, &err);
    if (st == ADBK_OK)
        st = adbk_writer_finish(w, &err);
    adbk_writer_free(w);
    free(buf);
    close(fd);
    return st == ADBK_OK ? 0 : die(err.message);
}
