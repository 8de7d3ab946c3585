/*
 * dsutil.h - what the DsBackup backup and restore drivers share
 * (docs/DSBACKUP.md §2, §5).
 *
 * Owns: the BFT type byte -> archive kind mapping, the log generation carried
 * in a log's name ("edb0001A.log" -> 0x1A), the last component of a server
 * path, the gap check of a log range, and turning a server failure into an
 * adbk status and message.
 */
#ifndef ADBK_DSUTIL_H
#define ADBK_DSUTIL_H

#include "adbk_format.h"
#include "dsb.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* adbk_kind of a BFT type byte: database, log, patch; anything else unknown. */
unsigned ds_kind_of(uint8_t bft);

/* The last component of a server path ("\\DC01\C$\Windows\NTDS\ntds.dit"
 * gives "ntds.dit"); both separators count. */
const char *ds_base_name(const char *path);

/* Generation of a closed log "edbXXXXX.log" (five hex digits, eight past
 * 0xFFFFF; any case). False for any other name, edb.log included. */
bool ds_log_gen(const char *base, uint32_t *gen_out);

/* Checks that g[0..n) (sorted here) runs without a gap or a repeat. On a
 * failure, *bad_out is the first missing (or repeated) generation and
 * *repeat_out says which. True when contiguous (n > 0). */
bool ds_gens_contiguous(uint32_t *g, size_t n, uint32_t *bad_out, bool *repeat_out);

/* A server failure as an adbk status, for job ("backup of DC01"): the
 * message keeps the server's call, object and HRESULT; a refused privilege
 * says how to grant it (plat_privilege_hint(priv)), or, when the calls ran as
 * an identity given (--user), to check that identity. */
adbk_status ds_error(struct dsb *s, dsb_status ss, const char *job, int priv,
                     struct adbk_error *err);

#endif
