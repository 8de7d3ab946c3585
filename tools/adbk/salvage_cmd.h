/*
 * salvage_cmd.h - `adbk salvage`, and the helper `extract --salvage` uses to
 * salvage a damaged archive into a temporary one before extracting it.
 */
#ifndef ADBK_SALVAGE_CMD_H
#define ADBK_SALVAGE_CMD_H

#include "keys.h"

#include <stdbool.h>
#include <stddef.h>

/* `adbk salvage DAMAGED.adbk -o REPAIRED.adbk`; argv[0] is "salvage".
 * Exit: 0 nothing lost, 1 repaired with losses (listed), 2 error. */
int cmd_salvage(int argc, char **argv);

/* Salvages path into a new temporary archive in $TMPDIR (or /tmp), printing
 * the loss report on standard error unless quiet. On success (exit code 0 or
 * 1, as cmd_salvage) tmp receives the temporary archive's path, which the
 * caller opens and then removes with unlink. On 2 nothing is left behind.
 * keys: the identities of an encrypted archive (the temporary archive is
 * encrypted to the same recipients). */
int cli_salvage_to_temp(const char *path, const struct cli_keys *keys, bool quiet, char *tmp,
                        size_t cap);

#endif
