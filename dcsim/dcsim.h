/*
 * dcsim.h - a simulated Active Directory domain controller for Linux.
 *
 * Owns: the public face of libadbk_dcsim: provisioning of a DC folder, the
 * live state (online/offline, churn), the recovery check, fault injection and
 * a UTF-8 twin of every ntdsbcli.dll function (DsBackup*, DsRestore*,
 * DsSetAuthIdentity, DsSetCurrentBackupLog) with the same semantics and the
 * same HRESULT codes as docs/DSBACKUP.md (cited as
 * "§N", and "R<n>" for the contract rules of its §8).
 * Does not own: the container, the backup driver (src/source/ adapts this API
 * to the driver), printing (tools/dcsim).
 *
 * How a server name finds a DC folder ("binding"):
 *   1. dcsim_bind(name, dir) registers a folder under a name in this process
 *      (tests). The name is matched case-insensitively, leading "\\" ignored.
 *   2. Otherwise the environment variable ADBK_DCSIM_DIR names the folder of
 *      the one local DC (subprocesses such as `adbk backup`). Its dcsim.ini
 *      holds the server name.
 *   A NULL or empty server name means "this machine": the only bound DC, or
 *   the ADBK_DCSIM_DIR one. A syntactically bad name (contains '_', '\\'
 *   inside, empty after "\\") or no DC at all gives hrCouldNotConnect; a
 *   well-formed name that is not a DC here counts as a remote machine and
 *   gives RPC_S_INVALID_BINDING (DSBACKUP.md §1, R1).
 *
 * A DC folder (made by dcsim_provision) holds, as %SystemRoot%\NTDS does:
 *   ntds.dit            database, pages of DCSIM_PAGE_HDR bytes of header each
 *   edb.log             current log (10,485,760 bytes)
 *   edbXXXXX.log        closed logs, 5 uppercase hex digits (8 past 0xFFFFF)
 *   edbtmp.log          the next log, pre-created
 *   edb.chk             checkpoint
 *   edbres00001.jrs, edbres00002.jrs  reserve logs
 *   dcsim.ini           identity and live state (key=value, rewritten by rename)
 *   dcsim.lock          flock(2) target serialising state changes across
 *                       processes and threads
 *   Names listed by the API are UNC: \\SERVER\C$\Windows\NTDS\<file>; the
 *   simulator maps that prefix to the folder (dcsim_unc_to_local).
 *
 * Environment variables (read when first needed, explicit calls win):
 *   ADBK_DCSIM_DIR   folder of the local DC (see above)
 *   DCSIM_FAULTS     fault switches, see dcsim_faults_parse()
 *   DCSIM_PRIVILEGE  "check" (default), "deny" or "skip"
 *   DCSIM_NOW        the simulator's clock, Unix seconds (token expiry tests)
 *
 * Thread safety: all functions may be called from any thread; one context
 * handle must not be used by two threads at once (R27: the second call gets
 * hrInvalidBackupSequence). dcsim_last_error() is per thread.
 */
#ifndef ADBK_DCSIM_H
#define ADBK_DCSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Windows shapes (DSBACKUP.md §0). Never unsigned long / wchar_t. ---------- */
typedef int32_t HRESULT;
typedef uint32_t DWORD;
typedef uint32_t ULONG;
typedef int32_t LONG;
typedef int BOOL;
typedef uint16_t WCHAR;
typedef void *HBC;
typedef union {
    int64_t QuadPart;
    struct {
        uint32_t LowPart;
        int32_t HighPart;
    } u;
} LARGE_INTEGER;

/* Result codes, BFT bytes and flags, under the Windows headers' names
 * (S_OK, hrAlreadyOpen, BFT_LOG, BACKUP_TYPE_FULL, ...): the contract's one
 * list, dsapi.h. */
#define DS_BARE_NAMES
#include "dsapi.h"
#include "dsapi_table.h"

/* ---- The Ds* API (DSBACKUP.md §1, §4), UTF-8 strings ---------------------------
 * Name lists (GetDatabaseNames, GetBackupLogs, RestoreGetDatabaseLocations)
 * use the A encoding of DSBACKUP.md §2: per entry one BFT byte, the UNC path, a NUL;
 * one more NUL ends the list; *pcbSize counts every byte including both
 * final NULs. Every buffer returned (lists and the expiry token) must be
 * released exactly once with dcsim_DsBackupFree (R20). */

/* R1: online state of server (NULL = local). S_OK with *online_out set. */
HRESULT dcsim_DsIsNTDSOnline(const char *server, BOOL *online_out);
/* Later calls of this process run as user\domain (all three non-NULL), or
 * as the process again when user is NULL. The DC accepts the identity only
 * if it matches its admin_user/admin_domain/admin_password (dcsim.ini); then
 * the capability check is replaced by that identity, otherwise
 * ERROR_ACCESS_DENIED at the next privileged call. Strings are copied. */
HRESULT dcsim_DsSetAuthIdentity(const char *user, const char *domain,
                                const char *password);
/* Starts the one backup of the server (R1-R5). grbit must be 0, btFlag
 * BACKUP_TYPE_FULL. *token_out receives the expiry token (free with
 * dcsim_DsBackupFree), *cb_out its size, *hbc_out the context, released
 * only by dcsim_DsBackupEnd. Records genStart = the checkpoint generation
 * and holds every log from genStart on against circular deletion. */
HRESULT dcsim_DsBackupPrepare(const char *server, ULONG grbit, ULONG btFlag,
                              void **token_out, DWORD *cb_out, HBC *hbc_out);
/* *list_out must be NULL on entry (R7). BFT_NTDS_DATABASE entries. */
HRESULT dcsim_DsBackupGetDatabaseNames(HBC hbc, char **list_out, DWORD *cb_out);
/* Opens name (a listed name without its BFT byte; R8, R9, R10, R14).
 * *size_out = bytes the stream will deliver (R16: the database stream is
 * longer than ntds.dit on disk). */
HRESULT dcsim_DsBackupOpenFile(HBC hbc, const char *name, DWORD read_hint,
                               LARGE_INTEGER *size_out);
/* Reads up to cb bytes (R10-R12, R17, R18). */
HRESULT dcsim_DsBackupRead(HBC hbc, void *buf, DWORD cb, DWORD *read_out);
HRESULT dcsim_DsBackupClose(HBC hbc);
/* Rolls edb.log and lists genStart..genEnd as edbXXXXX.log (DSBACKUP.md §5). */
HRESULT dcsim_DsBackupGetBackupLogs(HBC hbc, char **list_out, DWORD *cb_out);
/* Deletes listed logs below the current checkpoint (R15). */
HRESULT dcsim_DsBackupTruncateLogs(HBC hbc);
/* Frees a buffer this API returned; NULL is a no-op; an unknown or already
 * freed pointer is counted (dcsim_buffers_bad_frees), never touched. */
void dcsim_DsBackupFree(void *buf);
HRESULT dcsim_DsBackupEnd(HBC hbc);
HRESULT dcsim_DsSetCurrentBackupLog(const char *server, DWORD current_log);

/* Restore side (DSBACKUP.md §4, R21-R26). The server must be offline. token NULL
 * gives a restricted context (only GetDatabaseLocations works). */
HRESULT dcsim_DsRestorePrepare(const char *server, ULONG rtFlag,
                               const void *token, DWORD cb_token,
                               HBC *hbc_out);
/* Three entries: BFT_CHECKPOINT_DIR, BFT_LOG_DIR, BFT_NTDS_DATABASE. */
HRESULT dcsim_DsRestoreGetDatabaseLocations(HBC hbc, char **list_out,
                                            DWORD *cb_out);
struct dcsim_rstmap {
    const char *database_name;     /* path at backup time */
    const char *new_database_name; /* destination (the BFT_NTDS_DATABASE one) */
};
/* Paths may be the UNC form the API returned or the local folder form. */
HRESULT dcsim_DsRestoreRegister(HBC hbc, const char *checkpoint_path,
                                const char *log_path,
                                const struct dcsim_rstmap *map, LONG n_map,
                                const char *backup_log_path, ULONG gen_low,
                                ULONG gen_high);
HRESULT dcsim_DsRestoreRegisterComplete(HBC hbc, HRESULT restore_state);
HRESULT dcsim_DsRestoreEnd(HBC hbc);

/* ---- Simulator control ------------------------------------------------ */

typedef enum dcsim_status {
    DCSIM_OK = 0,
    DCSIM_E_ARG,        /* bad argument */
    DCSIM_E_IO,         /* a file could not be read or written */
    DCSIM_E_NOMEM,
    DCSIM_E_FORMAT,     /* not a DC folder, or a file of the wrong kind */
    DCSIM_E_STATE,      /* wrong state (already online, restore pending...) */
    DCSIM_E_CHECK       /* dcsim_check: the set is not restorable */
} dcsim_status;

const char *dcsim_strerror(dcsim_status st);
/* Detail of the last failure on this thread (status or HRESULT): names the
 * call, the object and the cause. Valid until the next call on the thread. */
const char *dcsim_last_error(void);

/* Registers dir (copied) under server name; dir NULL removes the binding. */
dcsim_status dcsim_bind(const char *server, const char *dir);
/* Forgets all bindings, auth identity, faults, privilege mode, clock and
 * buffer accounting; ends contexts left open. For tests. */
void dcsim_reset(void);
/* Maps a UNC name from the lists to the local path (malloc'd, caller frees
 * with free()). DCSIM_E_ARG if the name is not under a bound DC. */
dcsim_status dcsim_unc_to_local(const char *unc, char **local_out);

#define DCSIM_PAGE_HDR   40u            /* bytes of every page header */
#define DCSIM_LOG_SIZE   10485760u      /* every log and reserve file */

struct dcsim_provision_opts {
    uint64_t size;          /* ntds.dit bytes, rounded up to pages (>= 64 pages) */
    uint64_t seed;
    uint32_t page_size;     /* 8192 (default when 0) or 32768 */
    uint32_t closed_logs;   /* closed logs to create (default 3 when 0) */
    uint32_t first_gen;     /* generation of the oldest log (0: from seed) */
    uint32_t tsl_days;      /* tombstone lifetime (default 180 when 0) */
    const char *server;     /* default "DC01" */
    const char *domain;     /* default "corp.example.com" */
};
/* Creates dir (must not exist or be empty) as an offline DC. Deterministic:
 * equal opts give equal bytes in every file. */
dcsim_status dcsim_provision(const char *dir,
                             const struct dcsim_provision_opts *opts);

struct dcsim_info {
    char server[64];
    char domain[128];
    uint32_t page_size;
    uint64_t db_pages;
    uint64_t seed;
    uint32_t tsl_days;
    uint32_t checkpoint_gen;
    uint32_t current_gen;
    uint32_t oldest_gen;    /* oldest closed log present (0: none) */
    int online;
    int backup_running;     /* a live process holds a backup context */
    uint32_t backup_gen_hold;
    int churn_pid;          /* 0: no churn process */
    char restore_state[16]; /* "none", "registered", "complete", "failed" */
};
dcsim_status dcsim_info_read(const char *dir, struct dcsim_info *info_out);

/* Brings the DC online (DsIsNTDSOnline sees TRUE). Refuses (DCSIM_E_STATE)
 * while a restore is registered but not completed, or completed with a
 * failure code (R26); after a completed restore it first runs the recovery
 * check over the registered log range and refuses if it fails. */
dcsim_status dcsim_start(const char *dir);
/* Takes the DC offline and stops its churn process if any. */
dcsim_status dcsim_stop(const char *dir);

struct dcsim_churn_opts {
    uint32_t pages_per_tick; /* pages rewritten per tick (default 8) */
    uint32_t tick_ms;        /* default 20 */
    uint32_t roll_ticks;     /* roll edb.log every N ticks (default 25) */
    uint32_t duration_ms;    /* stop after this long (default 600000) */
};
/* One churn step: rewrite pages, append log records, roll when due. Used by
 * the thread and by `dcsim churn`; tick counts from 1. */
dcsim_status dcsim_churn_tick(const char *dir, const struct dcsim_churn_opts *o,
                              uint64_t tick);
/* Rolls edb.log now (closes the current generation). */
dcsim_status dcsim_roll_log(const char *dir);
/* Runs churn until duration_ms passed or *stop becomes non-zero. */
dcsim_status dcsim_churn_run(const char *dir, const struct dcsim_churn_opts *o,
                             volatile int *stop);
/* In-process churn on a thread (tests): start returns a handle, stop joins
 * it and returns the thread's status. */
struct dcsim_churn;
dcsim_status dcsim_churn_start(const char *dir, const struct dcsim_churn_opts *o,
                               struct dcsim_churn **churn_out);
dcsim_status dcsim_churn_stop(struct dcsim_churn *churn);
/* Records pid as the DC's churn process (for dcsim_stop). */
dcsim_status dcsim_set_churn_pid(const char *dir, int pid);

struct dcsim_check_opts {
    const char *log_dir;     /* logs folder (NULL: same as dir) */
    uint32_t gen_low;        /* 0: from the database header */
    uint32_t gen_high;       /* 0: highest log present */
    int skip_pages;          /* 1: do not verify page checksums */
};
struct dcsim_check_report {
    uint64_t pages;
    uint64_t bad_pages;
    uint64_t first_bad_page;
    uint32_t gen_needed_low;  /* from the database header (or opts) */
    uint32_t gen_needed_high; /* newest generation a page depends on */
    uint32_t gen_first;       /* logs found, contiguous range checked */
    uint32_t gen_last;
    uint32_t logs;
    int restore_data;        /* database carries the backup trailer */
    char problem[512];       /* first problem, "" when restorable */
    HRESULT hr;              /* for a log problem, the ESE code recovery would
                              * fail with (hrMissingLogFile, hrRestoreLogTooLow,
                              * hrRestoreLogTooHigh, hrMissingRestoreLogFiles);
                              * S_OK otherwise */
};
/* The recovery check: database present with good page checksums, logs
 * contiguous from the needed generation through the highest present and
 * covering every page's generation, each log's header generation and
 * checksum matching its name. DCSIM_OK restorable, DCSIM_E_CHECK not
 * (rep_out->problem says why), other values: could not check. */
dcsim_status dcsim_check(const char *dir, const struct dcsim_check_opts *opts,
                         struct dcsim_check_report *rep_out);

/* ---- For adbk -------------------------------------------------------- */

/* Whether dir holds a simulated DC (a dcsim.ini). */
bool dcsim_is_dc_folder(const char *dir);
/* Binds the simulated DC in dir under its own server name, which goes to
 * name_out (cap bytes). server, when not NULL or "", must be that name
 * (leading "\\" ignored): else DCSIM_E_ARG. DCSIM_E_FORMAT when dir is no
 * DC folder. dcsim_last_error() says why. */
dcsim_status dcsim_attach(const char *dir, const char *server, char *name_out, size_t cap);

/* ---- Test switches ---------------------------------------------------- */

struct dcsim_faults {
    uint32_t fail_read_n;     /* the Nth DsBackupRead (1-based) fails ... */
    HRESULT fail_read_hr;     /* ... with this code (default hrReadVerifyFailure) */
    uint64_t offline_after;   /* DC goes offline after this many bytes read (0: never) */
    int short_reads;          /* 1: random short reads mid-file */
    uint32_t slow_read_ms;    /* sleep per read */
    uint32_t missing_log;     /* this log generation vanishes before listing (0: none) */
    int64_t bad_page;         /* page delivered with a bad checksum (-1: none) */
    int eof_zero_read;        /* 1: at end, one S_OK 0-byte read before ERROR_HANDLE_EOF */
};
/* Fills f with "no faults". */
void dcsim_faults_clear(struct dcsim_faults *f);
/* Parses "fail_read=3:0xC80003FA,offline_after=1048576,short_reads=1,
 * slow_read_ms=5,missing_log=0x1A,bad_page=17,eof_zero_read=1" (the
 * DCSIM_FAULTS form; numbers decimal or 0x hex). */
dcsim_status dcsim_faults_parse(const char *spec, struct dcsim_faults *f_out);
/* Installs f (copied) for this process; NULL clears. Counters restart. */
void dcsim_faults_set(const struct dcsim_faults *f);

typedef enum dcsim_priv_mode {
    DCSIM_PRIV_CHECK = 0, /* CAP_DAC_READ_SEARCH / CAP_DAC_OVERRIDE effective */
    DCSIM_PRIV_DENY,      /* every privileged call: ERROR_ACCESS_DENIED */
    DCSIM_PRIV_SKIP       /* no check (unprivileged test runs) */
} dcsim_priv_mode;
void dcsim_privilege_mode(dcsim_priv_mode mode);

typedef int64_t (*dcsim_clock_fn)(void *ctx); /* Unix seconds */
/* Replaces the clock used for tokens; NULL restores time(NULL). */
void dcsim_clock_set(dcsim_clock_fn fn, void *ctx);

/* R20 accounting: buffers returned and not yet freed, and frees of unknown
 * or already freed pointers, since the last dcsim_reset(). */
size_t dcsim_buffers_outstanding(void);
size_t dcsim_buffers_bad_frees(void);

#ifdef __cplusplus
}
#endif
#endif
