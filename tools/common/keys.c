/*
 * keys.c - the key options of the front ends (keys.h) and `adbk keygen`.
 * Key texts are parsed by the container library; here they are read from
 * where the user put them, and secrets are wiped once parsed.
 */
#include "keys.h"

#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define KEY_FILE_MAX (1u << 20)

/* The whole of f (at most KEY_FILE_MAX bytes), NUL-terminated; NULL after a
 * message naming what. */
static char *slurp(FILE *f, const char *what)
{
    char *buf = malloc(KEY_FILE_MAX + 1);
    if (!buf) {
        cli_err("%s: no memory", what);
        return NULL;
    }
    size_t n = fread(buf, 1, KEY_FILE_MAX + 1, f);
    if (ferror(f) || n > KEY_FILE_MAX) {
        cli_err("%s: %s", what, ferror(f) ? strerror(errno) : "larger than 1 MiB: not a key file");
        adbk_wipe(buf, n);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_err("cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    char *s = slurp(f, path);
    fclose(f);
    return s;
}

static void drop_text(char *s)
{
    if (s) {
        adbk_wipe(s, strlen(s));
        free(s);
    }
}

/* Appends n items of size bytes to *arr (count *have). */
static bool append(void **arr, size_t *have, const void *items, size_t n, size_t size)
{
    void *p = realloc(*arr, (*have + n) * size);
    if (!p) {
        cli_err("no memory for keys");
        return false;
    }
    memcpy((char *)p + *have * size, items, n * size);
    *arr = p;
    *have += n;
    return true;
}

static int add_identities(struct cli_keys *k, char *text, const char *what)
{
    struct adbk_age_identity *ids = NULL;
    size_t n = 0;
    struct adbk_error err;
    adbk_status st = adbk_age_identities_read(text, what, &ids, &n, &err);
    drop_text(text);
    if (st != ADBK_OK) {
        cli_err("%s", err.message);
        return -1;
    }
    bool ok = append((void **)&k->ids, &k->nids, ids, n, sizeof *ids);
    adbk_keys_free(ids, n, sizeof *ids);
    return ok ? 1 : -1;
}

/* Option c with its argument: 1 taken, 0 not a key option, -1 failed (the
 * message is printed). */
static int keys_option(struct cli_keys *k, int c, const char *arg)
{
    struct adbk_error err;
    switch (c) {
    case 'r':
    case CLI_OPT_RECIPIENT: {
        struct adbk_recipient r;
        if (adbk_recipient_parse(arg, &r, &err) != ADBK_OK) {
            cli_err("--recipient: %s", err.message);
            return -1;
        }
        return append((void **)&k->recipients, &k->nrecipients, &r, 1, sizeof r) ? 1 : -1;
    }
    case 'R':
    case CLI_OPT_RECIPIENTS_FILE: {
        char *text = read_file(arg);
        if (!text)
            return -1;
        struct adbk_recipient *rs = NULL;
        size_t n = 0;
        adbk_status st = adbk_recipients_read(text, arg, &rs, &n, &err);
        free(text);
        if (st != ADBK_OK) {
            cli_err("%s", err.message);
            return -1;
        }
        bool ok = append((void **)&k->recipients, &k->nrecipients, rs, n, sizeof *rs);
        adbk_keys_free(rs, n, sizeof *rs);
        return ok ? 1 : -1;
    }
    case CLI_OPT_SIGN: {
        char *text = read_file(arg);
        if (!text)
            return -1;
        adbk_status st = adbk_sign_key_read(text, arg, &k->sign, &err);
        drop_text(text);
        if (st != ADBK_OK) {
            cli_err("%s", err.message);
            return -1;
        }
        k->have_sign = true;
        return 1;
    }
    case 'i':
    case CLI_OPT_IDENTITY: {
        char *text = read_file(arg);
        return text ? add_identities(k, text, arg) : -1;
    }
    case CLI_OPT_IDENTITY_FD: {
        char *end;
        long fd = strtol(arg, &end, 10);
        int dupfd = (*end || end == arg || fd < 0 || fd > 65535) ? -1 : dup((int)fd);
        FILE *f = dupfd >= 0 ? fdopen(dupfd, "rb") : NULL;
        if (!f) {
            if (dupfd >= 0)
                close(dupfd);
            cli_err("--identity-fd %s: not an open file descriptor", arg);
            return -1;
        }
        char what[48];
        snprintf(what, sizeof what, "file descriptor %ld", fd);
        char *text = slurp(f, what);
        fclose(f);
        return text ? add_identities(k, text, what) : -1;
    }
    case CLI_OPT_TRUST: {
        struct adbk_sign_public p;
        if (strncmp(arg, "adbk-sign1", 10) != 0) { /* a file holding the key */
            char *text = read_file(arg);
            if (!text)
                return -1;
            char *line = text + strspn(text, " \t\r\n");
            while (*line == '#') { /* comment lines, as keygen writes */
                line += strcspn(line, "\n");
                line += strspn(line, " \t\r\n");
            }
            line[strcspn(line, " \t\r\n")] = '\0';
            adbk_status st = adbk_sign_public_parse(line, &p, &err);
            free(text);
            if (st != ADBK_OK) {
                cli_err("--trust %s: %s", arg, err.message);
                return -1;
            }
        } else if (adbk_sign_public_parse(arg, &p, &err) != ADBK_OK) {
            cli_err("--trust: %s", err.message);
            return -1;
        }
        return append((void **)&k->trusted, &k->ntrusted, &p, 1, sizeof p) ? 1 : -1;
    }
    }
    return 0;
}

bool cli_keys_finish(struct cli_keys *k)
{
    const char *env = getenv("ADBK_IDENTITY");
    if (k->nids || !env || !*env)
        return true;
    char *text = strdup(env);
    if (!text) {
        cli_err("no memory for keys");
        return false;
    }
    return add_identities(k, text, "ADBK_IDENTITY") == 1;
}

void cli_keys_writer(const struct cli_keys *k, struct adbk_writer_options *o)
{
    o->recipients = k->recipients;
    o->recipient_count = k->nrecipients;
    o->sign_key = k->have_sign ? &k->sign : NULL;
}

void cli_keys_reader(const struct cli_keys *k, struct adbk_reader_options *o)
{
    o->identities = k->ids;
    o->identity_count = k->nids;
    o->trusted = k->trusted;
    o->trusted_count = k->ntrusted;
}

void cli_keys_free(struct cli_keys *k)
{
    free(k->recipients);
    adbk_keys_free(k->ids, k->nids, sizeof *k->ids);
    free(k->trusted);
    adbk_wipe(&k->sign, sizeof k->sign);
    memset(k, 0, sizeof *k);
}

int cli_getopt_keys(int argc, char **argv, const char *shortopts,
                    const struct option *longopts, const char *cmd, struct cli_keys *k)
{
    for (;;) {
        int c = cli_getopt(argc, argv, shortopts, longopts, cmd);
        int taken = c == -1 ? 0 : keys_option(k, c, optarg);
        if (taken < 0)
            return '?';
        if (taken == 0)
            return c;
    }
}

int cli_with_keys(int (*run)(int argc, char **argv, struct cli_keys *k), int argc, char **argv)
{
    struct cli_keys keys = {0};
    int rc = run(argc, argv, &keys);
    cli_keys_free(&keys);
    return rc;
}

/* ------------------------------------------------------------ describing */

void cli_keys_describe(FILE *f, const char *path, const struct adbk_archive_info *in)
{
    (void)path;
    if (in->encrypted) {
        fprintf(f, "encrypted to %zu recipient%s; %s\n", in->recipient_count,
                in->recipient_count == 1 ? "" : "s",
                in->locked ? "locked (no key given opens it): names, kinds, contents and "
                             "properties are hidden"
                           : "opened with a recipient's key");
        if (in->not_after) {
            char d[64];
            cli_utc(in->not_after, CLI_TIME_UTC, d, sizeof d);
            fprintf(f, "not after %s (the backup cannot be restored from then on)\n", d);
        }
    }
    if (in->is_signed) {
        struct adbk_sign_public p;
        memcpy(p.key, in->signer, sizeof p.key);
        char text[ADBK_KEY_TEXT];
        adbk_sign_public_text(&p, text);
        fprintf(f, "signed    by %s: %s\n", text,
                !in->signature_ok ? "THE SIGNATURE FAILS (see adbk verify)"
                : in->trusted     ? "good, and trusted"
                                  : "good (check the key with --trust)");
    }
}

void cli_keys_json(FILE *f, const struct adbk_archive_info *in)
{
    fprintf(f, ",\"encrypted\":%s,\"locked\":%s", in->encrypted ? "true" : "false",
            in->locked ? "true" : "false");
    if (in->encrypted)
        fprintf(f, ",\"recipients\":%zu,\"not_after\":%" PRId64, in->recipient_count,
                in->not_after);
    fprintf(f, ",\"signed\":%s", in->is_signed ? "true" : "false");
    if (in->is_signed) {
        struct adbk_sign_public p;
        memcpy(p.key, in->signer, sizeof p.key);
        char text[ADBK_KEY_TEXT];
        adbk_sign_public_text(&p, text);
        fprintf(f, ",\"signer\":\"%s\",\"signature_ok\":%s,\"trusted\":%s", text,
                in->signature_ok ? "true" : "false", in->trusted ? "true" : "false");
    }
}

/* ------------------------------------------------------------ keygen */

int cli_keygen(int argc, char **argv)
{
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                         {"force", no_argument, NULL, 'f'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *out = NULL;
    bool force = false;
    int c;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "o:fh", opts, "keygen")) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'f': force = true; break;
        case 'h':
            cli_help("usage: %s keygen [-o FILE] [-f]\n\n"
                   "Makes a key pair for signing archives (Ed25519). The secret key goes to\n"
                   "FILE (created readable by its owner only; standard output without -o),\n"
                   "the public key to standard output: give the secret key file to the backup\n"
                   "host ('adbk backup --sign FILE') and the public key to whoever checks the\n"
                   "archives ('adbk-verify --trust adbk-sign1...').\n\n"
                   "Keys for encryption are age's: make them with age-keygen.\n\n"
                   "  -o, --output FILE  write the secret key to FILE\n"
                   "  -f, --force        replace FILE if it exists\n",
                   cli_prog);
            return EXIT_OK;
        default: return EXIT_ERROR;
        }
    }
    if (optind != argc) {
        cli_err("keygen takes no arguments (try '%s keygen --help')", cli_prog);
        return EXIT_ERROR;
    }
    struct adbk_sign_key key;
    struct adbk_error err;
    if (adbk_sign_keygen(&key, &err) != ADBK_OK) {
        cli_err("%s", err.message);
        return EXIT_ERROR;
    }
    struct adbk_sign_public pub;
    adbk_sign_key_public(&key, &pub);
    char sec[ADBK_KEY_TEXT], pubtext[ADBK_KEY_TEXT], created[64];
    adbk_sign_key_text(&key, sec);
    adbk_sign_public_text(&pub, pubtext);
    adbk_wipe(&key, sizeof key);
    cli_utc((int64_t)time(NULL), CLI_TIME_UTC, created, sizeof created);
    FILE *f = stdout;
    int rc = EXIT_OK;
    if (out) {
        int fd = open(out, O_WRONLY | O_CREAT | (force ? O_TRUNC : O_EXCL), 0600);
        f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (!f) {
            cli_err("cannot create %s: %s%s", out, strerror(errno),
                    errno == EEXIST ? " (use -f to replace it)" : "");
            if (fd >= 0)
                close(fd);
            adbk_wipe(sec, sizeof sec);
            return EXIT_ERROR;
        }
    }
    fprintf(f, "# created: %s\n# public key: %s\n%s\n", created, pubtext, sec);
    adbk_wipe(sec, sizeof sec);
    if (out) {
        if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
            cli_err("writing %s: %s", out, strerror(errno));
            rc = EXIT_ERROR;
        }
        fclose(f);
        printf("%s\n", pubtext);
    }
    return rc;
}
