/*
 * identity.c - the --user option (see identity.h).
 */
#include "identity.h"

#include "cli.h"
#include "password.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool cli_identity_get(const char *spec, struct cli_identity *ci)
{
    memset(ci, 0, sizeof *ci);
    if (!spec)
        return true;
    struct adbk_error err = {0};
    if (adbk_identity_parse(spec, ci->spec, sizeof ci->spec, &ci->id, &err) != ADBK_OK) {
        cli_err("%s", err.message);
        return false;
    }
    const char *env = getenv("ADBK_PASSWORD");
    if (env) {
        if (strlen(env) >= sizeof ci->password) {
            cli_err("ADBK_PASSWORD is longer than %zu bytes", sizeof ci->password - 1);
            return false;
        }
        snprintf(ci->password, sizeof ci->password, "%s", env);
    } else {
        char prompt[600];
        snprintf(prompt, sizeof prompt, "password for %s%s%s: ", ci->id.domain,
                 ci->id.domain[0] ? "\\" : "", ci->id.user);
        if (cli_read_password(prompt, ci->password, sizeof ci->password, &err) != ADBK_OK) {
            cli_err("%s", err.message);
            return false;
        }
    }
    ci->id.password = ci->password;
    return true;
}

void cli_identity_wipe(struct cli_identity *ci)
{
    volatile char *p = ci->password;
    for (size_t i = 0; i < sizeof ci->password; i++)
        p[i] = 0;
}
