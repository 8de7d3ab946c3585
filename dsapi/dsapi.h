/*
 * dsapi.h - the DsBackup/DsRestore contract as code (docs/DSBACKUP.md): the
 * result codes with their names, the BFT type bytes of name lists, the
 * backup and restore flags, and one table of the Ds* entry points.
 *
 * Owns: the one list of every HRESULT the contract names (DS_RESULTS), from
 * which the names, the enum and the lookup are all generated, so a code is
 * written down once; and struct ds_api, the shape in which adbk's driver
 * reaches a server. Two parties fill the table: the simulated DC (dcsim/, a
 * test double) and the Windows loader of ntdsbcli.dll (src/dsbackup/). The
 * driver's adapter (src/dsbackup/dsb.c) is written once over it.
 * Does not own: what the calls do (the server's business), privileges,
 * archives.
 *
 * Names come in two spellings. DS_hrAlreadyOpen, DS_BFT_LOG, ... always; the
 * Windows headers' own spellings (hrAlreadyOpen, S_OK, BFT_LOG, ...) only
 * where DS_BARE_NAMES is defined before this header is included (the
 * simulator, which has no <windows.h> to clash with).
 */
#ifndef ADBK_DSAPI_H
#define ADBK_DSAPI_H

#include <stddef.h>
#include <stdint.h>

/* ---- result codes (DSBACKUP.md §0) -------------------------------------
 * Win32 and RPC codes are small positive numbers; the hr* codes of
 * ntdsbmsg.h have the top bit set. A call succeeded only when it returned
 * exactly S_OK: never test these with FAILED(). */
#define DS_RESULTS(X)                                                       \
    X(S_OK, 0x00000000u)                                                    \
    X(ERROR_ACCESS_DENIED, 5u)                                              \
    X(ERROR_NOT_ENOUGH_MEMORY, 8u)                                          \
    X(ERROR_HANDLE_EOF, 38u)                                                \
    X(ERROR_INVALID_PARAMETER, 87u)                                         \
    X(RPC_S_INVALID_BINDING, 1702u)                                         \
    X(E_FAIL, 0x80004005u)                                                  \
    X(E_ACCESSDENIED, 0x80070005u)                                          \
    X(E_INVALIDARG, 0x80070057u)                                            \
    X(hrNyi, 0xC0000001u)                                                   \
    X(hrInvalidParam, 0xC7FF0001u)                                          \
    X(hrError, 0xC7FF0002u)                                                 \
    X(hrInvalidHandle, 0xC7FF0003u)                                         \
    X(hrRestoreInProgress, 0xC7FF0004u)                                     \
    X(hrAlreadyOpen, 0xC7FF0005u)                                           \
    X(hrCouldNotConnect, 0xC7FF0007u)                                       \
    X(hrRestoreMapExists, 0xC7FF0008u)                                      \
    X(hrIncrementalBackupDisabled, 0xC7FF0009u)                             \
    X(hrLogFileNotFound, 0xC7FF000Au)                                       \
    X(hrCircularLogging, 0xC7FF000Bu)                                       \
    X(hrNoFullRestore, 0xC7FF000Cu)                                         \
    X(hrCommunicationError, 0xC7FF000Du)                                    \
    X(hrFullBackupNotTaken, 0xC7FF000Eu)                                    \
    X(hrMissingExpiryToken, 0xC7FF000Fu)                                    \
    X(hrUnknownExpiryTokenFormat, 0xC7FF0010u)                              \
    X(hrContentsExpired, 0xC7FF0011u)                                       \
    X(hrBackupInProgress, 0xC80001F9u)                                      \
    X(hrNoBackup, 0xC8000208u)                                              \
    X(hrInvalidBackupSequence, 0xC8000209u)                                 \
    X(hrBackupNotAllowedYet, 0xC800020Bu)                                   \
    X(hrMissingLogFile, 0xC8000210u)                                        \
    X(hrRestoreLogTooLow, 0xC8000229u)                                      \
    X(hrRestoreLogTooHigh, 0xC800022Au)                                     \
    X(hrMissingRestoreLogFiles, 0xC800022Du)                                \
    X(hrOutOfMemory, 0xC80003F3u)                                           \
    X(hrReadVerifyFailure, 0xC80003FAu)                                     \
    X(hrFileAccessDenied, 0xC8000408u)                                      \
    X(hrFileNotFound, 0xC8000713u)                                          \
    X(hrAccessDenied, 0xC8000773u)

/* The BFT type byte in front of every listed name (DSBACKUP.md §2). Compare
 * as unsigned char: 0x82 and 0x83 have the high bit set. */
#define DS_BFTS(X)                                                          \
    X(BFT_DIRECTORY, 0x80u)                                                 \
    X(BFT_DATABASE_DIRECTORY, 0x40u)                                        \
    X(BFT_LOG_DIRECTORY, 0x20u)                                             \
    X(BFT_LOG, 0x21u)                                                       \
    X(BFT_LOG_DIR, 0x82u)                                                   \
    X(BFT_CHECKPOINT_DIR, 0x83u)                                            \
    X(BFT_NTDS_DATABASE, 0x44u)                                             \
    X(BFT_PATCH_FILE, 0x25u)                                                \
    X(BFT_UNKNOWN, 0x0Fu)

/* Backup and restore flags (DSBACKUP.md §1, §4). */
#define DS_FLAGS(X)                                                         \
    X(BACKUP_TYPE_FULL, 0x01u)                                              \
    X(BACKUP_TYPE_LOGS_ONLY, 0x02u)                                         \
    X(BACKUP_TYPE_INCREMENTAL, 0x04u)                                       \
    X(BACKUP_DISABLE_INCREMENTAL, 0xFFFFFFFFu)                              \
    X(RESTORE_TYPE_AUTHORATATIVE, 0x01u)                                    \
    X(RESTORE_TYPE_ONLINE, 0x02u)                                           \
    X(RESTORE_TYPE_CATCHUP, 0x04u)

/* Enum constants are ints: the 32-bit pattern is kept (0xC7FF0005 is the
 * negative int32_t an HRESULT holds). */
#define DS_CODE_(name, value) DS_##name = (int32_t)(value),
enum ds_result { DS_RESULTS(DS_CODE_) };
enum ds_bft { DS_BFTS(DS_CODE_) };
enum ds_flag { DS_FLAGS(DS_CODE_) };
#undef DS_CODE_

#ifdef DS_BARE_NAMES
#define DS_BARE_(name, value) name = (int32_t)(value),
enum ds_result_bare { DS_RESULTS(DS_BARE_) };
enum ds_bft_bare { DS_BFTS(DS_BARE_) };
enum ds_flag_bare { DS_FLAGS(DS_BARE_) };
#undef DS_BARE_
#endif

/* The name of a result code of DS_RESULTS ("hrAlreadyOpen"), or NULL. */
const char *ds_result_name(int32_t hr);

/* A Win32 code may also arrive wrapped as HRESULT_FROM_WIN32, 0x8007xxxx
 * (DSBACKUP.md §0): the plain Win32 code for both forms, else hr itself. */
int32_t ds_result_unwrap(int32_t hr);

/* ---- the entry points (DSBACKUP.md §1, §4) -----------------------------
 * One table of the Ds* calls in one encoding: strings are UTF-8 (WTF-8 for
 * names that are not valid UTF-16); name lists are the A form of §2 (per
 * entry one BFT byte, the path, a NUL; one more NUL ends the list; the byte
 * count covers both final NULs), released with backup_free, as is the
 * expiry token. Every call takes the filler's ctx first and returns the
 * server's code. A context (hbc) is opaque. */
struct ds_rstmap {
    const char *database_name;     /* path at backup time */
    const char *new_database_name; /* destination */
};

struct ds_api {
    const char *name; /* what is called, for messages: "ntdsbcli.dll" */

    int32_t (*is_online)(void *ctx, const char *server, int *online_out);
    int32_t (*set_auth_identity)(void *ctx, const char *user, const char *domain,
                                 const char *password);
    int32_t (*backup_prepare)(void *ctx, const char *server, uint32_t grbit, uint32_t flag,
                              void **token_out, uint32_t *cb_out, void **hbc_out);
    int32_t (*backup_database_names)(void *ctx, void *hbc, char **list_out, uint32_t *cb_out);
    int32_t (*backup_open_file)(void *ctx, void *hbc, const char *name, uint32_t read_hint,
                                int64_t *size_out);
    int32_t (*backup_read)(void *ctx, void *hbc, void *buf, uint32_t cb, uint32_t *read_out);
    int32_t (*backup_close)(void *ctx, void *hbc);
    int32_t (*backup_logs)(void *ctx, void *hbc, char **list_out, uint32_t *cb_out);
    int32_t (*backup_truncate_logs)(void *ctx, void *hbc);
    int32_t (*backup_end)(void *ctx, void *hbc);
    void (*backup_free)(void *ctx, void *buf);

    int32_t (*restore_prepare)(void *ctx, const char *server, uint32_t flag, const void *token,
                               uint32_t cb, void **hbc_out);
    int32_t (*restore_locations)(void *ctx, void *hbc, char **list_out, uint32_t *cb_out);
    int32_t (*restore_register)(void *ctx, void *hbc, const char *checkpoint_dir,
                                const char *log_dir, const struct ds_rstmap *map, int32_t n_map,
                                const char *backup_log_dir, uint32_t gen_low, uint32_t gen_high);
    int32_t (*restore_complete)(void *ctx, void *hbc, int32_t restore_state);
    int32_t (*restore_end)(void *ctx, void *hbc);

    /* What a server knows but the API does not say; each may be NULL. */
    /* Text for the failure just returned ("" when none): the simulator's
     * own detail, or the system's message for the code. */
    void (*explain)(void *ctx, int32_t hr, char *buf, size_t cap);
    /* A listed name as a path of this machine (malloc'd), for placing
     * restored files; 0 on success. */
    int (*local_path)(void *ctx, const char *name, char **local_out);
    /* The server's NetBIOS name and DNS domain ("" when unknown); 0 on
     * success. */
    int (*identity)(void *ctx, const char *server, char *name, size_t name_cap, char *domain,
                    size_t domain_cap);
    /* After backup_prepare: the oldest log generation the backup needs;
     * the forest's tombstone lifetime in days. 0: unknown. */
    uint32_t (*log_floor)(void *ctx, const char *server);
    uint32_t (*tombstone_days)(void *ctx, const char *server);
    /* Releases ctx (unloads the DLL); called once, last. */
    void (*release)(void *ctx);
};

#endif
