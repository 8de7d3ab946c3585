/*
 * samba.h - a Samba Active Directory domain controller as adbk reads and
 * restores it (src/samba/). Linux only.
 *
 * Owns: what a Samba AD DC keeps and where (its configuration, read with
 * Samba's own parser, testparm: conf.c), facts about it that the archive
 * records (backend, version, the forest's tombstone lifetime: info.c), the
 * consistent copy of its directory databases while it runs (cut.c), the
 * backup as an origin of the job (backup.c) and the restore (restore.c).
 * Does not own: the container, the job's output steps (src/job/), privileges.
 *
 * Consistency. A DSDB write transaction (source4/dsdb/samdb/ldb_modules/
 * partition.c) starts transactions on sam.ldb.d/metadata.tdb, then sam.ldb,
 * then every partition, and prepares its commit in the same order, so the
 * metadata.tdb commit comes first and needs that file's whole-file write
 * lock. Holding a read lock on metadata.tdb (tdb_lockall_read) therefore
 * holds every directory commit before any partition commits: the partitions
 * read under it agree with each other. Read locks are taken in Samba's own
 * order (metadata.tdb, sam.ldb, each partition) and released in reverse.
 * An LMDB partition is read with a compact copy (mdb_env_copyfd2 with
 * MDB_CP_COMPACT), which needs only a read transaction: a plain copy takes
 * the LMDB writer mutex, which a Samba writer parked on our lock holds, and
 * would deadlock.
 */
#ifndef ADBK_SAMBA_H
#define ADBK_SAMBA_H

#include "adbk.h"
#include "job.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

/* What the DC's smb.conf says (testparm -s -v, Samba's parser). */
struct samba_conf {
    char file[PATH_MAX];        /* the smb.conf read */
    char role[64];              /* "server role" */
    char realm[256];            /* the DNS realm, as configured (upper case) */
    char workgroup[64];         /* the NetBIOS domain */
    char netbios[64];           /* this DC's NetBIOS name */
    char private_dir[PATH_MAX];
    char state_dir[PATH_MAX];
    char etc_dir[PATH_MAX];     /* the folder of smb.conf */
    char pid_dir[PATH_MAX];
    char binddns_dir[PATH_MAX];
    char sysvol[PATH_MAX];      /* the [sysvol] share's path, "" when none */
};

/* Runs one of Samba's programs, argv (found on PATH), with standard input
 * /dev/null and standard error discarded, and collects up to cap - 1 bytes
 * of its standard output in out (terminated). *status is its exit status
 * (-1: killed by a signal). ADBK_E_SOURCE when it cannot be started. */
adbk_status samba_ask(const char *const argv[], char *out, size_t cap, int *status,
                      struct adbk_error *err);

/* Reads conf (NULL: Samba's built-in smb.conf) with testparm. ADBK_E_SOURCE
 * when testparm is missing or refuses the file (the message says which and
 * its first complaint). */
adbk_status samba_conf_read(const char *conf, struct samba_conf *c, struct adbk_error *err);
/* Whether the configuration is an Active Directory DC's. */
bool samba_conf_is_dc(const struct samba_conf *c);
/* The DC's daemon, when it runs: its pid from "pid directory"/samba.pid and
 * alive; 0 when it does not run. */
long samba_daemon_pid(const struct samba_conf *c);

/* A DC restored into a new folder, top: its old folders from[i] are now
 * to[i] (private/, state/, etc/ below top). */
struct samba_move {
    const char *top;
    const char *from[4];
    const char *to[4];
    size_t n;
};
/* The DC's smb.conf text rewritten for its new folder (move.c): malloc'd,
 * NULL without memory. */
char *samba_conf_move(const char *text, const struct samba_move *m);
/* The run-time folders the moved smb.conf names below top, one by one
 * ("private", "state", "cache", ...); NULL past the last. */
const char *samba_move_folder(size_t i);

/* The DC as a backup sees it. */
struct samba_dc {
    struct samba_conf conf;
    char version[64];           /* "4.17.12-Debian", "" unknown */
    char backend[8];            /* "mdb" or "tdb": the partitions' store */
    uint32_t tombstone_days;    /* the forest's tombstone lifetime */
    bool tombstone_default;     /* the attribute is absent: 60 days (DSBACKUP.md §3) */
    char domain_dn[512];        /* DC=samdom,DC=example,DC=com */
    uint32_t lock_timeout_ms;   /* how long to wait for a database's lock */
    uint32_t max_freeze_ms;     /* at most this long may directory writes wait; 0 = no bound */
    char target[PATH_MAX];      /* restore into this new folder; "" = onto conf's DC */
};

/* Fills everything but conf (read already) from the DC's files: backend,
 * version, tombstone lifetime. Reads the directory with libldb, read-only
 * and without modules, and closes it before returning (a process may have
 * an LMDB file open once only). */
adbk_status samba_info_read(struct samba_dc *dc, struct adbk_error *err);

/* The result of the consistent copy of the directory databases. */
struct samba_cut {
    uint64_t freeze_us;         /* how long directory commits were held */
    uint64_t lock_wait_us;      /* how long it waited for metadata.tdb's lock */
    unsigned databases;         /* database members written under the cut */
};

/* Writes sam.ldb, sam.ldb.d/metadata.tdb and every partition as members
 * "private/sam.ldb", "private/sam.ldb.d/NAME", each streamed straight into
 * the archive, all under one read lock on metadata.tdb (see the top). */
adbk_status samba_cut(const struct samba_dc *dc, struct emit *e, struct samba_cut *out);

/* Streams the TDB file at path (an .ldb or .tdb) as member mi under its own
 * read lock, waited for at most timeout_ms. *skipped is set, with no member
 * written, for a database that cannot be locked from outside (one with
 * robust mutexes, which only Samba's runtime files use). */
adbk_status samba_tdb_member(struct emit *e, const char *path, struct adbk_member_info *mi,
                             uint32_t timeout_ms, bool *skipped);

/* Opens the Samba AD DC configured by conf (NULL: this machine's smb.conf)
 * as a DC of the engine; server, when given, must be its NetBIOS name.
 * ADBK_E_SOURCE when the configuration is no AD DC's. */
struct adbk_dc;
adbk_status samba_dc_open(const char *conf, const char *server, struct adbk_dc **out,
                          struct adbk_error *err);

/* A new folder to restore a Samba DC's archive into (restore only): the
 * same DC, moved. ADBK_E_ARG when dir is empty or too long. */
adbk_status samba_target_open(const char *dir, struct adbk_dc **out, struct adbk_error *err);

/* Restores archive r onto the Samba DC dc (adbk_restore for a Samba DC). */
adbk_status samba_restore(struct samba_dc *dc, struct adbk_reader *r,
                          const struct adbk_restore_options *o,
                          const struct adbk_restore_callbacks *cb,
                          struct adbk_restore_result *res, struct adbk_error *err);

/* Backs up the Samba DC dc (adbk_backup for a Samba DC). */
adbk_status samba_backup(struct samba_dc *dc, const struct adbk_backup_options *o,
                         const struct adbk_job_callbacks *cb, struct adbk_backup_result *res,
                         struct adbk_error *err);

#endif
