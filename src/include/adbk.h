/*
 * adbk.h - the engine: what lies between the container (adbk_format.h) and
 * the programs. Durable archive output; archives written from an origin
 * (files and folders: adbk_create; a domain controller: adbk_backup); a
 * domain controller restored from an archive (adbk_restore); safe
 * extraction. Like the container library it never prints and never exits;
 * progress and warnings reach the caller through callbacks. This header and
 * adbk_format.h are all a program includes: every other engine header is
 * private to src/.
 */
#ifndef ADBK_H
#define ADBK_H

#include "adbk_format.h"

#include <stdbool.h>

/* ------------------------------------------------------------ output file */

/* An archive being written to a file. Bytes go to a temporary file beside
 * the target ("NAME.XXXXXX.partial"); only adbk_outfile_commit gives them the
 * final name, after fsync, and then fsyncs the folder. So a crash, an error or
 * a signal never leaves a partial archive under the final name. With path
 * "-" the archive goes to standard output and commit only flushes. */
struct adbk_outfile;

/* Whether an archive can be written to path, before any work is done: fails
 * with ADBK_E_ARG when path is a folder or its folder does not exist (or is
 * not a folder), ADBK_E_EXISTS when path exists and force is false. "-"
 * (standard output) always passes. adbk_outfile_open checks the same. */
adbk_status adbk_outfile_check(const char *path, bool force, struct adbk_error *err);
/* Fails as adbk_outfile_check, or with ADBK_E_IO when the folder is not
 * writable. Always release with adbk_outfile_abort,
 * which removes the temporary file unless the archive was committed. */
adbk_status adbk_outfile_open(const char *path, bool force, struct adbk_outfile **out,
                              struct adbk_error *err);
/* The sink to hand to adbk_writer_open; valid while the outfile lives. */
const struct adbk_sink *adbk_outfile_sink(struct adbk_outfile *f);
/* The temporary path being written, or NULL for standard output. For signal
 * handlers that must remove it: the string stays valid until free. */
const char *adbk_outfile_temp_path(const struct adbk_outfile *f);
bool adbk_outfile_is_pipe(const struct adbk_outfile *f);
/* Makes the archive durable under its final name: fsync, rename (refusing to
 * replace a file that appeared meanwhile unless force), fsync the folder. */
adbk_status adbk_outfile_commit(struct adbk_outfile *f, struct adbk_error *err);
/* Removes the temporary file (if not committed) and frees. NULL ok. */
void adbk_outfile_abort(struct adbk_outfile *f);

/* Removes what killed runs left beside path: NAME.XXXXXX.partial files no
 * live process is writing (adbk_sweep_leftovers). note (may be NULL) gets
 * one message per file removed. Returns how many were removed. */
size_t adbk_outfile_sweep(const char *path, void (*note)(void *ctx, const char *message),
                          void *ctx);

/* Writes "HEX  NAME\n" (the xxhsum -H2 line for the whole archive) to
 * path, durably, for `xxhsum -c`. */
adbk_status adbk_write_xxh128_sidecar(const char *path, const char *archive_name,
                                      const uint8_t digest[16], struct adbk_error *err);

/* ------------------------------------------------------------ jobs */

/* Where and how an archive is written (adbk_create, adbk_backup). */
struct adbk_output_options {
    const char *output;                 /* archive path, or "-" for standard output */
    bool force;                         /* replace an existing archive */
    struct adbk_writer_options writer;  /* level, threads, chunk size, ... */
    bool xxh128;                        /* also write OUTPUT.xxh128 (the xxhsum -H2
                                         * line of the whole archive), for
                                         * `xxhsum -c` after a copy; not with "-" */
};

struct adbk_job_callbacks {
    /* A member begins: archive member name, kind (adbk_kind) and its size
     * (what the server announced, or the file's size). May be NULL. */
    void (*file_begin)(void *ctx, const char *name, unsigned kind, uint64_t size);
    /* Bytes of the current member read so far. May be NULL. */
    void (*progress)(void *ctx, uint64_t done);
    /* The archive is good but something is worth saying: a file skipped
     * (symlink, socket, unreadable) or changed while being read, logs not
     * truncated, a log name that carries no generation. May be NULL. */
    void (*warning)(void *ctx, const char *message);
    /* Polled between reads; nonzero stops with ADBK_E_INTERRUPTED. May be NULL. */
    int (*cancelled)(void *ctx);
    void *ctx;
    /* Something done that is no warning: leftovers of a killed run removed
     * beside the output. May be NULL. */
    void (*note)(void *ctx, const char *message);
    /* The content bytes the whole job will read, when the origin knows them
     * before the first member (create: the files' sizes), for an estimate
     * of the whole job. Called at most once. May be NULL. */
    void (*total)(void *ctx, uint64_t bytes);
};

struct adbk_backup_result {
    uint64_t files;          /* members written (tokens, databases, logs; files and folders) */
    uint64_t bytes_in;       /* content bytes read */
    uint64_t bytes_out;      /* archive bytes written */
    uint32_t gen_low, gen_high; /* log generations in the archive (has_logs) */
    bool has_logs;
    bool truncated;          /* DsBackupTruncateLogs succeeded */
    uint8_t xxh128[16];      /* XXH3-128 of the whole archive file */
    bool written;            /* the archive is complete and durable under its name */
    char server[64];         /* as stored in the archive */
    char domain[128];
    bool simulated;          /* the DC is the simulated one: the archive's
                              * "source" property says "dcsim" */
    /* A Samba DC's backup: */
    uint64_t freeze_us;      /* how long directory writes were held for the
                              * consistent copy of its databases */
    unsigned databases;      /* directory databases copied under that cut */
};

/* Every job below writes its archive the same way: before it opens the
 * archive, the temporary files of killed runs beside it are removed
 * (adbk_outfile_sweep; cb->note says which); the archive is written as
 * OUTPUT.XXXXXX.partial and takes its name only once finished and durable
 * (fsync, rename, fsync of the folder); then the .xxh128 file, when asked
 * (a failure there is a warning: the archive is good without it).
 * On any failure or cancellation no archive is left, not even the temporary
 * file. res (may be NULL) is filled on success and, as far as it got, on
 * failure. */

/* What adbk_create stores of each file and folder besides its content, mode
 * and time (format 1.1, FORMAT.md 3.2); both off by default. Linux only:
 * on Windows either fails the job (ADBK_E_IO, "not implemented"). */
struct adbk_create_options {
    bool owner;   /* uid and gid, with the user and group names they have here */
    bool xattrs;  /* every extended attribute (llistxattr, lgetxattr): ACLs
                   * (system.posix_acl_*), Samba's NT ACLs (security.NTACL), user.*
                   * and trusted.* as far as the process may read them. One that
                   * cannot be read, or that the format cannot hold (FORMAT.md 9),
                   * fails the job: an archive made with xattrs holds them all. */
};

/* Packs the files and folders paths[0..n) (recursively, names sorted) into
 * out->output. Member names start with each path's last component:
 * "media/Active Directory/ntds.dit" for the path "/backups/media". Folders
 * become directory members; modes and times are stored; symlinks and
 * special files are skipped with a warning (the archive is still made).
 * Content is read straight into the writer's chunk buffers. what (may be
 * NULL: neither) adds owners and extended attributes. The archive's source
 * property is "files". Returns ADBK_OK; ADBK_E_EXISTS (the archive
 * exists and !force); ADBK_E_IO (a path cannot be found or read, the output
 * cannot be written); ADBK_E_INTERRUPTED; ADBK_E_ARG; ADBK_E_NOMEM and the
 * writer's statuses. */
adbk_status adbk_create(const char *const *paths, size_t n, const struct adbk_create_options *what,
                        const struct adbk_output_options *out,
                        const struct adbk_job_callbacks *cb, struct adbk_backup_result *res,
                        struct adbk_error *err);

/* ------------------------------------------------------------ domain controllers */

/* A domain controller to back up or restore, opened with adbk_dc_open. */
struct adbk_dc;

/* Whom the server's calls run as (DsSetAuthIdentity): all three set, or
 * user NULL for the process's own identity. Strings are copied by
 * adbk_dc_open; the caller wipes the password after. */
struct adbk_identity {
    const char *user;
    const char *domain;
    const char *password;
};

/* Splits "DOMAIN\name" (or "name@domain") into id's user and domain, which
 * point into buf (cap bytes, a copy of spec). ADBK_E_ARG when spec names no
 * user or does not fit. */
adbk_status adbk_identity_parse(const char *spec, char *buf, size_t cap,
                                struct adbk_identity *id, struct adbk_error *err);

/* Which domain controller to open. A simulated DC (dcsim/, a test double of
 * the DsBackup API) is opened only when asked for by name: a user's backup
 * never silently becomes one of the simulator. */
struct adbk_dc_spec {
    const char *server;    /* a DC by name; NULL or "" = this machine */
    const char *dcsim_dir; /* the simulated DC in this folder (Linux; the front
                            * ends take --dcsim DIR, else ADBK_DCSIM_DIR) */
    const char *samba_conf; /* a Samba AD DC by its smb.conf (Linux); NULL =
                            * this machine's, where Samba keeps it */
    const char *samba_target; /* restore only: a new (or empty) folder to restore
                            * a Samba DC's archive into, as the same DC moved
                            * there (Linux) */
};

/* Opens the DC spec names.
 * Linux:
 *  - dcsim_dir set: the simulated DC in that folder (a folder holding
 *    dcsim.ini), bound under its own server name; a server name given as
 *    well must be that DC's;
 *  - else a server name while ADBK_DCSIM_DIR is set: the simulated DC,
 *    resolved by the simulator's binding;
 *  - samba_target set: that folder, to restore a Samba DC's archive into
 *    (backing it up is refused);
 *  - else the Samba AD DC whose smb.conf is samba_conf (or this machine's):
 *    its "server role" must be an AD DC's, else ADBK_E_SOURCE saying what
 *    the file says and what this machine can back up.
 * Windows: spec->server through ntdsbcli.dll (NULL: this machine);
 * dcsim_dir is refused (the simulator is a DLL there, ADBK_NTDSBCLI_DLL).
 * The simulator never is provisioned or started here.
 * id (may be NULL) is applied to every call of the server.
 * Release *out with adbk_dc_close. Returns ADBK_OK, ADBK_E_SOURCE,
 * ADBK_E_PRIVILEGE (the identity was refused), ADBK_E_ARG, ADBK_E_NOMEM. */
adbk_status adbk_dc_open(const struct adbk_dc_spec *spec, const struct adbk_identity *id,
                         struct adbk_dc **out, struct adbk_error *err);
/* Ends whatever backup or restore is open on dc and frees it. NULL ok. */
void adbk_dc_close(struct adbk_dc *dc);
/* Whether dc is adbk's simulated DC (a test double). */
bool adbk_dc_simulated(const struct adbk_dc *dc);
/* What was opened, as a person names it, also when the spec named nothing:
 * the simulated DC's folder (--dcsim or ADBK_DCSIM_DIR), the smb.conf of a
 * Samba DC, the server's name (Windows: this machine's when none was
 * given). Never NULL; valid until adbk_dc_close. */
const char *adbk_dc_source(const struct adbk_dc *dc);

/* ------------------------------------------------------------ backup */

/* When to truncate the server's logs (DsBackupTruncateLogs) after a backup.
 * It only ever happens once the archive is complete and durable. */
enum adbk_truncate {
    ADBK_TRUNCATE_AUTO = 0, /* when the archive is a file; not when it goes to a pipe */
    ADBK_TRUNCATE_YES,      /* also when writing to a pipe (the caller vouches for it) */
    ADBK_TRUNCATE_NO        /* never */
};

struct adbk_backup_options {
    struct adbk_output_options out;     /* the archive */
    enum adbk_truncate truncate;        /* a DsBackup DC's logs */
    const char *server_label;           /* "server" property when the DC cannot
                                         * name itself; NULL = "(local)" */
    struct {
        uint32_t lock_timeout_ms;       /* wait at most this long for a database's
                                         * read lock; 0 = 10 s */
        uint32_t max_freeze_ms;         /* hold directory writes at most this long,
                                         * else fail; 0 = no bound */
    } samba;                            /* a Samba DC */
};

/* Runs one full backup of dc (open, borrowed) into o->out, the DsBackup way
 * (docs/DSBACKUP.md §1): online check, prepare (the expiry token is stored
 * first, as member "expiry-token"), every database ("database/<name>"), then
 * every log ("logs/<name>"; patch files "patch/<name>"), each read straight
 * into the writer's chunk buffers; then the archive is finished and made
 * durable as every job's is (above), and only then, if wanted, the logs are
 * truncated. The backup context is ended on every path; on any failure or
 * cancellation the logs are not truncated.
 * Enables the backup privilege before anything else, so call it before
 * starting threads of your own that must share it.
 * Returns ADBK_OK; ADBK_E_PRIVILEGE (privilege not held, here or refused by
 * the server; err says how to grant it); ADBK_E_SOURCE (the server failed,
 * is offline, a stream was shorter or longer than announced, the logs have a
 * gap); ADBK_E_EXISTS (the archive exists and !force); ADBK_E_INTERRUPTED;
 * ADBK_E_IO, ADBK_E_NOMEM, ADBK_E_ARG and the writer's statuses.
 * A failed truncation is not a failure: a warning, and res->truncated false. */
adbk_status adbk_backup(struct adbk_dc *dc, const struct adbk_backup_options *o,
                        const struct adbk_job_callbacks *cb, struct adbk_backup_result *res,
                        struct adbk_error *err);

/* ------------------------------------------------------------ restore */

struct adbk_restore_options {
    bool allow_expired;   /* restore a backup older than its tombstone lifetime, or
                           * dated more than a day ahead of the clock (age unknown),
                           * with a warning (the server may still refuse it) */
    int64_t now;          /* the clock for the expiry check, Unix seconds; 0 = now */
    bool allow_other_dc;  /* restore an archive of another DC (server, domain, or
                           * simulated against real), with a warning */
};

struct adbk_restore_callbacks {
    /* A file of the backup is being written: member, kind and destination
     * path on this machine. May be NULL. */
    void (*file_begin)(void *ctx, const char *name, unsigned kind, uint64_t size,
                       const char *dest);
    /* Bytes of the current file written so far. May be NULL. */
    void (*progress)(void *ctx, uint64_t done);
    /* Something worth saying that does not stop the restore (an expired
     * backup restored on request, a member that has no place). May be NULL. */
    void (*warning)(void *ctx, const char *message);
    /* Polled between writes; nonzero stops with ADBK_E_INTERRUPTED. May be NULL. */
    int (*cancelled)(void *ctx);
    void *ctx;
    /* Something done that is no warning: staged files of a killed restore
     * removed from the server's folders. May be NULL. */
    void (*note)(void *ctx, const char *message);
    /* The content bytes of every file the restore will write, before the
     * first, for an estimate of the whole job. May be NULL. */
    void (*total)(void *ctx, uint64_t bytes);
};

struct adbk_restore_result {
    uint64_t files;             /* members put in place */
    uint64_t bytes;             /* their content bytes */
    uint32_t gen_low, gen_high; /* log generations registered */
    int64_t age_days;           /* age of the backup at the expiry check */
    uint32_t tsl_days;          /* the archive's tombstone lifetime, 0 unknown */
    bool registered;            /* DsRestoreRegister succeeded */
    bool completed;             /* DsRestoreRegisterComplete(S_OK) succeeded */
    char database[1024];        /* where the database went (this machine's path) */
    char log_dir[1024];         /* where the logs went */
    char server[64], domain[128];              /* the DC the archive is of */
    char target_server[64], target_domain[128]; /* the DC restored to */
    bool simulated;             /* the archive is of the simulated DC */
    bool samba;                 /* a Samba DC's files were put back (no registration) */
    char samba_conf[1024];      /* Samba: the restored DC's smb.conf */
};

/* Restores archive r (borrowed, open) to dc (open, borrowed), the DsRestore
 * way (docs/DSBACKUP.md §4), in this order:
 *
 *   plan (the archive must hold one expiry token, a database and contiguous
 *   logs) -> the archive must be of this DC: its server and domain properties
 *   (case-insensitive, each where both sides know it) and its being of the
 *   simulated DC or not, against the DC's identity; another DC's archive
 *   is refused naming both unless allow_other_dc -> expiry check against
 *   the archive's creation time and its tombstone.lifetime.days -> restore
 *   privilege -> 1 the directory must be
 *   offline -> 2 DsRestorePrepare with the stored token -> 3 locations ->
 *   stage: every database, log and patch member is written under a temporary
 *   name in its destination folder, every chunk and the whole content
 *   verified as it streams, then fsynced -> 4 register (log folder, the
 *   archive's lowest and highest log generation) -> 5 stale logs and the
 *   checkpoint removed, staged files renamed into place, folders fsynced ->
 *   6 complete (S_OK) -> 7 end, on every path.
 *
 * So nothing unverified is ever registered: a damaged member, a full disk or
 * a cancellation during staging removes the staged files and leaves the
 * server's files and state untouched. A failure after registration completes
 * the restore with the failure code, so the directory refuses to start on a
 * half-placed set (DSBACKUP.md R26), and says so. Staging needs free space
 * for the database and logs beside the files they replace.
 * Returns ADBK_OK; ADBK_E_OTHER_DC (the archive is of another DC and
 * !allow_other_dc, or the target cannot name itself); ADBK_E_EXPIRED (too old,
 * or dated more than a day ahead of the clock, and !allow_expired, or the server
 * refused the token as expired); ADBK_E_UNSUPPORTED (not a directory backup:
 * no token, database or logs); ADBK_E_CORRUPT (a log gap, properties that
 * disagree with the members) and the reader's statuses for damaged members;
 * ADBK_E_PRIVILEGE; ADBK_E_SOURCE (online, refused, failed); ADBK_E_IO
 * (a destination not writable, disk full); ADBK_E_INTERRUPTED; ADBK_E_NOMEM. */
adbk_status adbk_restore(struct adbk_reader *r, struct adbk_dc *dc,
                         const struct adbk_restore_options *o,
                         const struct adbk_restore_callbacks *cb,
                         struct adbk_restore_result *res, struct adbk_error *err);

/* ------------------------------------------------------------ extraction */

struct adbk_extract_options {
    const char *dir;           /* target folder; must exist */
    bool force;                /* replace existing files */
    const char *const *names;  /* members to extract (exact names or folder
                                * prefixes); NULL = all */
    size_t name_count;
    unsigned kind;             /* only this kind; 0 = all known kinds */
    /* Format 1.1 (FORMAT.md 8, "What an extractor sets"); both off by
     * default. Members that store no owner or no attributes are extracted
     * as without these. Linux only: on Windows a member that stores them
     * fails (ADBK_E_IO, "not implemented"). */
    bool owner;                /* apply each member's Uid and Gid (fchown, never
                                * through a symlink) */
    bool xattrs;               /* apply each member's extended attributes
                                * (fsetxattr on the open file or folder, before
                                * the file takes its name); one the file system
                                * refuses fails the member, naming it */
};

/* Whether opts select entry e (kind and names; the same rule extract uses). */
bool adbk_extract_selects(const struct adbk_extract_options *opts, const struct adbk_entry *e);

struct adbk_extract_callbacks {
    void (*member)(void *ctx, const struct adbk_entry *e);
    /* Content bytes written so far for the current member. */
    void (*progress)(void *ctx, uint64_t done);
    void (*warning)(void *ctx, const char *message);
    int (*cancelled)(void *ctx);
    void *ctx;
};

struct adbk_extract_result {
    uint64_t members, bytes, skipped, failed;
};

/* Extracts members of r below opts->dir. Walks every path with openat and
 * O_NOFOLLOW, so neither ".." nor a symlink already in the folder can lead
 * outside it; names that fail adbk_name_check are refused. Each file is
 * written under a temporary name and renamed only after its content checked
 * out (chunks and whole-content hash), then gets its owner (opts->owner),
 * mode, extended attributes (opts->xattrs) and mtime; a folder is created
 * only after its records checked out, then gets its owner and attributes
 * (also when it existed already). Goes on after a failed member and returns
 * the first failure; counts in *res. A locked reader (encrypted, opened
 * without a key that opens it) extracts nothing: ADBK_E_KEY. */
adbk_status adbk_extract(struct adbk_reader *r, const struct adbk_extract_options *opts,
                         const struct adbk_extract_callbacks *cb,
                         struct adbk_extract_result *res, struct adbk_error *err);

#endif
