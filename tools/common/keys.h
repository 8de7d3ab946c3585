/*
 * keys.h - the key options every command shares (FORMAT.md 12, 13):
 * writing, --recipient KEY, --recipients-file FILE and --sign FILE; reading,
 * --identity FILE, --identity-fd N (or ADBK_IDENTITY in the environment)
 * and --trust KEY. A secret key never comes from the command line: it is
 * read from a file, a file descriptor or the environment, and wiped after.
 */
#ifndef ADBK_CLI_KEYS_H
#define ADBK_CLI_KEYS_H

#include "adbk_format.h"

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum {
    CLI_OPT_RECIPIENT = 0x1000,
    CLI_OPT_RECIPIENTS_FILE,
    CLI_OPT_SIGN,
    CLI_OPT_IDENTITY,
    CLI_OPT_IDENTITY_FD,
    CLI_OPT_TRUST,
};

/* getopt_long entries, to put in a command's table. */
#define CLI_WRITE_KEY_OPTIONS                                                  \
    {"recipient", required_argument, NULL, CLI_OPT_RECIPIENT},                 \
    {"recipients-file", required_argument, NULL, CLI_OPT_RECIPIENTS_FILE},     \
    {"sign", required_argument, NULL, CLI_OPT_SIGN}
#define CLI_READ_KEY_OPTIONS                                                   \
    {"identity", required_argument, NULL, CLI_OPT_IDENTITY},                   \
    {"identity-fd", required_argument, NULL, CLI_OPT_IDENTITY_FD},             \
    {"trust", required_argument, NULL, CLI_OPT_TRUST}

#define CLI_WRITE_KEY_HELP                                                                   \
    "  -r, --recipient KEY    encrypt to this public key (age1..., as age-keygen makes it;\n"  \
    "                         repeat for several): only a holder of a matching secret key\n"  \
    "                         can read the archive; anyone can still verify it\n"             \
    "  -R, --recipients-file FILE  encrypt to every public key in FILE (one per line)\n"       \
    "  --sign FILE            sign with the secret key in FILE (from 'adbk keygen'), so a\n"   \
    "                         reader can prove who wrote the archive (--trust)\n"
#define CLI_READ_KEY_HELP                                                                    \
    "  -i, --identity FILE    the secret key(s) to open an encrypted archive with (age's\n"    \
    "                         identity file: AGE-SECRET-KEY-1..., one per line); also\n"      \
    "                         --identity-fd N (read from that descriptor) or the\n"           \
    "                         ADBK_IDENTITY environment variable (the key itself)\n"          \
    "  --trust KEY            refuse the archive unless this signer's public key\n"          \
    "                         (adbk-sign1..., or a file holding it) signed it, over every\n"  \
    "                         byte (repeat for several)\n"

struct cli_keys {
    struct adbk_recipient *recipients;
    size_t nrecipients;
    struct adbk_sign_key sign;
    bool have_sign;
    struct adbk_age_identity *ids;
    size_t nids;
    struct adbk_sign_public *trusted;
    size_t ntrusted;
};

/* cli_getopt for a command that takes key options (CLI_OPT_*, and 'r', 'R',
 * 'i' where a command gives those letters): those are taken into k here and
 * never returned; one that fails returns '?' after its message, as a usage
 * error does. */
int cli_getopt_keys(int argc, char **argv, const char *shortopts,
                    const struct option *longopts, const char *cmd, struct cli_keys *k);
/* Runs a command with keys of its own, wiped and freed after it whatever it
 * returns: cmd_X is cli_with_keys(X_with, argc, argv). */
int cli_with_keys(int (*run)(int argc, char **argv, struct cli_keys *k), int argc, char **argv);
/* After the options: an identity from ADBK_IDENTITY when none was given.
 * False after a message. */
bool cli_keys_finish(struct cli_keys *k);
void cli_keys_writer(const struct cli_keys *k, struct adbk_writer_options *o);
void cli_keys_reader(const struct cli_keys *k, struct adbk_reader_options *o);
/* Wipes and frees. */
void cli_keys_free(struct cli_keys *k);

/* What list and verify say of an archive's encryption and signature, and
 * the JSON members for them (",\"encrypted\":...", no braces). */
void cli_keys_describe(FILE *f, const char *path, const struct adbk_archive_info *in);
void cli_keys_json(FILE *f, const struct adbk_archive_info *in);

/* `adbk keygen`: a signing key pair. */
int cli_keygen(int argc, char **argv);

#endif
