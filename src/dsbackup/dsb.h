/*
 * dsb.h - the engine's view of a directory server that speaks the DsBackup /
 * DsRestore contract (docs/DSBACKUP.md): the adapter between the backup and
 * restore drivers and a table of Ds* entry points (dsapi.h).
 *
 * Owns: one wrapper per call, written once for every server: it records the
 * call, the object and the server's code and text on failure and maps the
 * code to a dsb_status; the read loop and its buffer rule; the end-of-file
 * forms; copying the expiry token; parsing name lists (§2). The table is
 * filled by the simulated DC (dcsim/dsapi_table.c) or by the Windows loader
 * of ntdsbcli.dll (ntdsbcli_win32.c); the adapter cannot tell them apart
 * except by the `simulated` flag it is given.
 * Does not own: the call order (the drivers), archives, privileges of the
 * local process (src/platform/), copying restore files.
 *
 * Call order, mirrored by the functions below:
 *   backup:  is_online -> prepare(token) -> list_databases -> for each:
 *            open_file -> read... -> close_file -> list_logs -> for each:
 *            open_file/read/close_file -> [truncate_logs, only once every
 *            file is durable] -> end
 *   restore: is_online (must be 0) -> restore_prepare(token) ->
 *            restore_locations -> restore_register -> (copy files) ->
 *            restore_complete(hr) -> restore_end
 *
 * Names are UTF-8; the BFT type byte is kept apart and verbatim (unknown
 * codes too). Every error keeps the server's HRESULT, never tested with
 * FAILED(). Thread safety: a server is used by one thread at a time.
 */
#ifndef ADBK_DSB_H
#define ADBK_DSB_H

#include "dsapi.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum dsb_status {
    DSB_OK = 0,
    DSB_EOF,         /* read: end of the open file, nothing delivered */
    DSB_E_ARG,       /* bad argument from the caller (e.g. buffer too small) */
    DSB_E_NOMEM,
    DSB_E_CONNECT,   /* no such server, not a DC, remote, bad name */
    DSB_E_OFFLINE,   /* directory service not running, or it went away */
    DSB_E_PRIVILEGE, /* backup/restore privilege or credentials refused */
    DSB_E_BUSY,      /* another backup / a registered restore is in progress */
    DSB_E_SEQUENCE,  /* call out of order, or the session was cancelled */
    DSB_E_NOTFOUND,  /* a listed file is gone (e.g. a truncated log) */
    DSB_E_CORRUPT,   /* the server's page verification failed */
    DSB_E_TOKEN,     /* expiry token missing, unreadable or expired */
    DSB_E_STREAM,    /* a stream ended short of the size announced at open */
    DSB_E_SERVER     /* any other server failure: see dsb_error.hr */
} dsb_status;

const char *dsb_strerror(dsb_status st);

struct dsb_error {
    int32_t hr;       /* the server's code (0 when the adapter itself failed) */
    char call[40];    /* "DsBackupOpenFile" */
    char object[512]; /* the file or server concerned, may be "" */
    char msg[1536];   /* full message: call(object): name (0x...): detail */
};

/* One entry of a name list (§2). */
struct dsb_name {
    uint8_t bft;  /* type byte as the server sent it (BFT_LOG 0x21, ...) */
    char *name;   /* UTF-8, type byte removed: what dsb_open_file takes */
    char *local;  /* this machine's path for the same object, NULL if none
                     (restore placement) */
};
struct dsb_name_list {
    struct dsb_name *v;
    size_t n;
};
/* Frees every entry; l itself is the caller's. Accepts an empty list. */
void dsb_names_free(struct dsb_name_list *l);
/* Parses an A-encoded list (type byte, name, NUL ... NUL) of cb bytes into
 * *out (free with dsb_names_free). Stops at the empty string or at cb, keeps
 * unknown type bytes; DSB_E_SERVER if an entry runs past cb. */
dsb_status dsb_parse_list(const char *buf, size_t cb, struct dsb_name_list *out);

/* Whom the calls run as (DsSetAuthIdentity): all three, or user NULL. */
struct dsb_identity {
    const char *user, *domain, *password;
};

struct dsb;

/* Opens server (NULL or "" = this machine) through api and its ctx, which
 * the server owns from now on: dsb_close releases it, and so does a failed
 * open. id (may be NULL) is applied once, now; the password is not kept.
 * simulated says the table is the simulated DC's. read_hint 0 = 1 MiB.
 * Returns DSB_OK, or the refused identity's status with *err_out (may be
 * NULL) saying why, or DSB_E_NOMEM. */
dsb_status dsb_open(const struct ds_api *api, void *ctx, const char *server,
                    const struct dsb_identity *id, bool simulated, uint32_t read_hint,
                    struct dsb **out, struct dsb_error *err_out);
/* Ends whatever backup or restore context is open, releases the table's
 * ctx and frees s. NULL ok. */
void dsb_close(struct dsb *s);

bool dsb_simulated(const struct dsb *s);
/* Whether the calls run as an identity given at open (not the process's). */
bool dsb_as_user(const struct dsb *s);
/* The server's name as given, or "(local)", for messages. */
const char *dsb_server(const struct dsb *s);
/* The last failure ("" after success), valid until the next call. */
const struct dsb_error *dsb_last_error(const struct dsb *s);
const char *dsb_errmsg(const struct dsb *s);

/* ---- backup (§1) */
dsb_status dsb_is_online(struct dsb *s, int *online_out);
/* Starts the backup. *token_out: malloc'd copy of the expiry token (free()),
 * stored byte-exact with the archive. */
dsb_status dsb_prepare(struct dsb *s, uint8_t **token_out, size_t *len_out);
dsb_status dsb_list_databases(struct dsb *s, struct dsb_name_list *out);
/* After every database is read: the logs the backup needs. */
dsb_status dsb_list_logs(struct dsb *s, struct dsb_name_list *out);
/* Opens a listed entry; *size_out is what the stream delivers (trust it,
 * not the file's size on disk). */
dsb_status dsb_open_file(struct dsb *s, const struct dsb_name *n, uint64_t *size_out);
/* Reads into the caller's buffer until it is full or the file ends: DSB_OK
 * with *got_out > 0, or DSB_EOF with 0 once everything was delivered. cap
 * must be at least DSB_READ_MIN; only its largest multiple of 32 KiB is
 * used, which keeps the server's buffer rule for 8 KiB and 32 KiB pages. */
#define DSB_READ_MIN 98304u
dsb_status dsb_read(struct dsb *s, void *buf, size_t cap, size_t *got_out);
dsb_status dsb_close_file(struct dsb *s);
/* Only after every file of the backup is durable (DSBACKUP.md §1 step 6,
 * R14). */
dsb_status dsb_truncate_logs(struct dsb *s);
/* Ends the backup; always call it, also after failures. Idempotent. */
dsb_status dsb_end(struct dsb *s);

/* ---- restore (§4) */
/* token NULL: restricted context, only dsb_restore_locations works. */
dsb_status dsb_restore_prepare(struct dsb *s, const uint8_t *token, size_t len);
dsb_status dsb_restore_locations(struct dsb *s, struct dsb_name_list *out);
dsb_status dsb_restore_register(struct dsb *s, const char *checkpoint_dir, const char *log_dir,
                                const struct ds_rstmap *map, size_t n_map,
                                const char *backup_log_dir, uint32_t gen_low, uint32_t gen_high);
/* hr = 0 (S_OK) when every file is in place, else the failure code. */
dsb_status dsb_restore_complete(struct dsb *s, int32_t hr);
dsb_status dsb_restore_end(struct dsb *s);

/* ---- what the API does not say (DSB_E_SERVER when the table cannot) */
/* The server's NetBIOS name and DNS domain, truncated to fit. */
dsb_status dsb_identity(struct dsb *s, char *server, size_t server_cap, char *domain,
                        size_t domain_cap);
/* After prepare: the oldest log generation this backup needs (§5); 0 unknown. */
uint32_t dsb_log_floor(struct dsb *s);
/* The forest's tombstone lifetime in days (§3); 0 unknown. */
uint32_t dsb_tombstone_days(struct dsb *s);

#endif
