/*
 * source.h - the backup driver's view of a directory server.
 *
 * Owns: the interface between adbk's backup/restore driver and a server that
 * speaks the DsBackup/DsRestore contract (the DsBackup API reference,
 * dsbackup-api.md). One table of function pointers mirrors the call order:
 *
 *   backup:  is_online -> prepare(token) -> list_databases -> for each:
 *            open -> read... -> close -> list_logs -> for each: open/read/close
 *            -> [truncate_logs, only once every file is durable] -> end
 *   restore: is_online (must be 0) -> restore_prepare(token) ->
 *            restore_locations -> restore_register -> (copy files) ->
 *            restore_complete(hr) -> restore_end
 *
 * Backends: source_dcsim.c (the Linux simulator) now; ntdsbcli_win32.c
 * later, which calls the W entry points. The interface is shaped for both:
 *  - server names may be remote (\\NAME or NAME); NULL means this machine;
 *  - an optional auth identity (user, domain, password) is applied at open;
 *  - names are UTF-8. A Windows backend converts from UTF-16; a lone
 *    surrogate (legal in a WCHAR name, not in UTF-8) is carried as WTF-8 so
 *    the name converts back to the same UTF-16 for open. The BFT type byte is
 *    kept separately and verbatim (unknown codes too, compare as uint8_t);
 *  - every error keeps the server's HRESULT (positive Win32 codes and
 *    0x8007xxxx wrapped ones alike, never tested with FAILED()), the call
 *    that failed and the file, for messages.
 * Does not own: archives, compression, privileges of the local process
 * (src/platform/ will raise them before open), copying restore files.
 *
 * Thread safety: a source is used by one thread at a time.
 */
#ifndef ADBK_SOURCE_H
#define ADBK_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum src_status {
    SRC_OK = 0,
    SRC_EOF,         /* read: end of the open file, nothing delivered */
    SRC_E_ARG,       /* bad argument from the caller (e.g. buffer too small) */
    SRC_E_NOMEM,
    SRC_E_CONNECT,   /* no such server, not a DC, remote, bad name */
    SRC_E_OFFLINE,   /* directory service not running, or it went away */
    SRC_E_PRIVILEGE, /* backup/restore privilege or credentials refused */
    SRC_E_BUSY,      /* another backup / a registered restore is in progress */
    SRC_E_SEQUENCE,  /* call out of order, or the session was cancelled */
    SRC_E_NOTFOUND,  /* a listed file is gone (e.g. a truncated log) */
    SRC_E_CORRUPT,   /* the server's page verification failed */
    SRC_E_TOKEN,     /* expiry token missing, unreadable or expired */
    SRC_E_STREAM,    /* a stream ended short of the size announced at open */
    SRC_E_SERVER     /* any other server failure: see src_error.hr */
} src_status;

const char *src_strerror(src_status st);
/* Symbolic name of an HRESULT of the contract ("hrAlreadyOpen"), or NULL. */
const char *src_hr_name(int32_t hr);

struct src_error {
    int32_t hr;       /* the server's code (0 when the source itself failed) */
    char call[40];    /* "DsBackupOpenFile" */
    char object[512]; /* the file or server concerned, may be "" */
    char msg[1536];   /* full message: call(object): name (0x...): detail */
};

/* One entry of a server name list (ref §2). */
struct src_name {
    uint8_t bft;  /* type byte as the server sent it (BFT_LOG 0x21, ...) */
    char *name;   /* UTF-8, type byte removed: what open() takes */
    char *local;  /* this machine's path for the same object, NULL if none
                     (restore placement; dcsim maps its UNC names here) */
};
struct src_name_list {
    struct src_name *v;
    size_t n;
};
/* Frees every entry; l itself is the caller's. Accepts an empty list. */
void src_names_free(struct src_name_list *l);
/* Parses an A-encoded list (type byte, name, NUL ... NUL) of cb bytes into
 * *out (allocated; free with src_names_free). Stops at the empty string or at
 * cb, keeps unknown type bytes; SRC_E_SERVER if an entry runs past cb. */
src_status src_parse_list(const char *buf, size_t cb, struct src_name_list *out);

struct src_rstmap {
    const char *database_name;     /* path at backup time */
    const char *new_database_name; /* destination */
};

struct src_config {
    const char *server;   /* NULL/"" = this machine; "\\NAME" or "NAME" */
    const char *user;     /* optional identity for every call (all three or none) */
    const char *domain;
    const char *password; /* copied by the backend, not kept here */
    uint32_t read_hint;   /* expected read size, 0 = 1 MiB */
};

struct source;

struct src_ops {
    const char *name; /* "dcsim", "ntdsbcli" */
    src_status (*is_online)(struct source *s, int *online_out);
    /* Starts the backup. *token_out: malloc'd copy of the expiry token (caller
     * frees with free()), stored byte-exact with the archive. */
    src_status (*prepare)(struct source *s, uint8_t **token_out, size_t *len_out);
    src_status (*list_databases)(struct source *s, struct src_name_list *out);
    /* After every database is read: the logs genStart..genEnd. */
    src_status (*list_logs)(struct source *s, struct src_name_list *out);
    /* Opens a listed entry; *size_out is what the stream delivers (trust it,
     * not the file size on disk). */
    src_status (*open)(struct source *s, const struct src_name *n, uint64_t *size_out);
    /* Reads into the caller's buffer (e.g. a compression chunk) until it is
     * full or the file ends: SRC_OK with *got_out > 0, or SRC_EOF with 0 once
     * everything was delivered. cap must be >= 96 KiB; only its largest
     * multiple of 32 KiB is used, which satisfies the server's buffer rule
     * for 8 KiB and 32 KiB pages alike. */
    src_status (*read)(struct source *s, void *buf, size_t cap, size_t *got_out);
    src_status (*close)(struct source *s);
    /* Only after every file of the backup is durable (ref R14/R15). */
    src_status (*truncate_logs)(struct source *s);
    /* Ends the backup; always call it, also after failures. Idempotent. */
    src_status (*end)(struct source *s);

    /* token NULL: restricted context, only restore_locations works. */
    src_status (*restore_prepare)(struct source *s, const uint8_t *token, size_t len);
    src_status (*restore_locations)(struct source *s, struct src_name_list *out);
    src_status (*restore_register)(struct source *s, const char *checkpoint_dir,
                                   const char *log_dir, const struct src_rstmap *map,
                                   size_t n_map, const char *backup_log_dir,
                                   uint32_t gen_low, uint32_t gen_high);
    /* hr = 0 (S_OK) when every file is in place, else the failure code. */
    src_status (*restore_complete)(struct source *s, int32_t hr);
    src_status (*restore_end)(struct source *s);

    /* Ends whatever is open and frees s. */
    void (*destroy)(struct source *s);

    /* Optional (NULL when the backend cannot tell): the server's NetBIOS name
     * and DNS domain, for the archive's description. Truncated to fit. */
    src_status (*identity)(struct source *s, char *server, size_t server_cap,
                           char *domain, size_t domain_cap);
    /* Optional: after prepare, the oldest log generation this backup needs
     * (the checkpoint at prepare, ref §5), so the driver can tell a list
     * that starts too late from a complete one. *gen_out = 0: unknown. */
    src_status (*log_floor)(struct source *s, uint32_t *gen_out);
    /* Optional: the forest's tombstone lifetime in days, which is how long a
     * backup stays restorable (ref §3); *days_out = 0: unknown. */
    src_status (*tombstone_lifetime)(struct source *s, uint32_t *days_out);
};

struct source {
    const struct src_ops *ops;
    struct src_error err; /* last failure, valid until the next call */
    uint32_t read_hint;
    bool simulated; /* the server is adbk's simulated DC (src/dcsim/), a test
                     * double: set by the backend at open, recorded in the
                     * archive and shown to the user */
    void *impl;
};

/* The last failure's message ("" after success). */
const char *src_errmsg(const struct source *s);
/* Convenience: s->ops->destroy(s) when s is not NULL. */
void src_destroy(struct source *s);

/* For backends: records a failure and maps hr to a status. */
src_status src_fail_hr(struct source *s, const char *call, const char *object,
                       int32_t hr, const char *detail);
src_status src_fail(struct source *s, src_status st, const char *call,
                    const char *object, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void src_clear_error(struct source *s);

/* The dcsim backend (src/source/source_dcsim.c). */
src_status src_dcsim_open(const struct src_config *cfg, struct source **out);

#endif
