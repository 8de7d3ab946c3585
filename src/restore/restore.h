/*
 * restore.h - what every restore driver shares (the DsRestore one in
 * src/dsbackup/, the Samba one in src/samba/): whether the archive is the
 * target DC's and not too old (checks.c), and staged placement (stage.c):
 * every file is written and verified under a temporary name beside its
 * destination first, and renamed into place only when all of them are, so
 * a damaged archive, a full disk or a cancellation changes nothing.
 */
#ifndef ADBK_RESTORE_H
#define ADBK_RESTORE_H

#include "adbk.h"
#include "fs.h"

#include <stdbool.h>
#include <stddef.h>

/* One restore: the archive, what the caller asked, where to report. */
struct restore_ctx {
    struct adbk_reader *r;
    const struct adbk_restore_options *o;   /* may be NULL */
    const struct adbk_restore_callbacks *cb; /* may be NULL */
    struct adbk_restore_result *res;
    struct adbk_error *err;
    char job[160];                          /* "restore of DC01", for messages */
};

/* Fills job from the archive's server property. */
void restore_ctx_init(struct restore_ctx *c, struct adbk_reader *r,
                      const struct adbk_restore_options *o,
                      const struct adbk_restore_callbacks *cb, struct adbk_restore_result *res,
                      struct adbk_error *err);
void restore_warn(struct restore_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
bool restore_cancelled(struct restore_ctx *c);
/* ADBK_E_INTERRUPTED: "JOB: interrupted WHERE; AFTER". */
adbk_status restore_interrupted(struct restore_ctx *c, const char *where, const char *after);

/* The archive must be of the target DC: its server and domain properties
 * against the target's (case-insensitive, each where both sides know it),
 * and its being of the simulated DC or not against the target's. A target
 * that cannot name itself (target_server "") cannot be checked and is
 * refused too. ADBK_E_OTHER_DC, or a warning with o->allow_other_dc.
 * Fills res->server, domain, target_server, target_domain, simulated. */
adbk_status restore_check_dc(struct restore_ctx *c, const char *target_server,
                             const char *target_domain, bool target_simulated);

/* The archive's age against its tombstone lifetime (and a date ahead of
 * this clock, which makes the age unknown). ADBK_E_EXPIRED, or a warning
 * with o->allow_expired. Fills res->age_days and res->tsl_days. */
adbk_status restore_check_expiry(struct restore_ctx *c);

/* A decimal u32 property, false when absent or malformed. */
bool restore_prop_u32(const struct adbk_reader *r, const char *key, uint32_t *out);

/* ------------------------------------------------------------ staging */

struct stage_item {
    size_t member;
    char *dir;    /* destination folder, this machine's path */
    char *base;   /* final name in dir */
    char *tmp;    /* staged name in dir, NULL until created */
    int fd;       /* the staged file, open and flock()ed until placed, so that
                   * no other run takes it for a killed run's leftover */
    bool placed;
};

struct stage {
    struct restore_ctx *c;
    struct stage_item *items;
    size_t n, cap;
    bool meta;               /* give each file its member's metadata as how says
                              * (else the file stays 0600, root's) */
    struct fs_meta_how how;
};

/* Adds member to be placed as dir/base (both copied). */
adbk_status stage_add(struct stage *s, size_t member, const char *dir, const char *base);
/* Refuses two members with one destination (names compared without case),
 * then removes what killed restores left in the destination folders. */
adbk_status stage_check(struct stage *s);
/* Writes item it under a temporary name beside its destination, checking
 * every chunk and the whole content, then fsyncs it. */
adbk_status stage_write(struct stage *s, struct stage_item *it);
/* Writes every item, polling for cancellation between them. */
adbk_status stage_write_all(struct stage *s, const char *after_cancel);
/* Renames every staged file into place, then fsyncs each folder once. */
adbk_status stage_place(struct stage *s);
/* Removes what was staged and not placed; frees. */
void stage_free(struct stage *s);

/* path_join(dir, base), malloc'd; NULL without memory. */
char *stage_path(const char *dir, const char *base);
/* fsyncs folder dir. */
adbk_status stage_sync_dir(struct restore_ctx *c, const char *dir);

#endif
