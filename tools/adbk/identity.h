/*
 * identity.h - the --user option of the commands that talk to a server
 * (backup, restore): DOMAIN\name from the command line, the password from
 * ADBK_PASSWORD or a prompt without echo - never from the command line.
 */
#ifndef ADBK_TOOLS_IDENTITY_H
#define ADBK_TOOLS_IDENTITY_H

#include "adbk.h"

#include <stdbool.h>

struct cli_identity {
    struct adbk_identity id;
    char spec[512];
    char password[512];
};

/* Fills ci for --user spec (NULL: the process's own identity, ci->id.user
 * NULL). False after a message on stderr. */
bool cli_identity_get(const char *spec, struct cli_identity *ci);
/* Wipes the password. */
void cli_identity_wipe(struct cli_identity *ci);

#endif
