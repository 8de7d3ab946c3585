/*
 * api_int.h - the context record shared by backup.c and restore.c.
 *
 * Owns: struct ctx (one per HBC) and the helpers api.c gives both halves.
 */
#ifndef ADBK_DCSIM_API_INT_H
#define ADBK_DCSIM_API_INT_H

#include "dcsim_int.h"

enum { CTX_BACKUP = 1, CTX_RESTORE = 2 };
enum { OPEN_NONE = 0, OPEN_DB = 1, OPEN_LOG = 2 };

struct ctx {
    struct ctx *next;
    uintptr_t id;         /* the HBC value: a serial, never reused */
    int kind;
    int busy;             /* a call is running on it (R27) */
    char dir[PATH_MAX];
    struct dc_state st;   /* identity at Prepare */
    char prefix[128];     /* \\SERVER\C$\Windows\NTDS */
    /* backup */
    uint32_t gen_start;
    uint64_t backup_id;
    int64_t started;      /* Unix seconds */
    int listed_db, listed_logs, truncated;
    int dead;             /* R17: a read failed; only End works */
    int offline;          /* R18: the DC went away */
    uint32_t *gens;       /* listed log generations */
    size_t ngens;
    int open_kind;
    int fd;
    uint64_t size, pos;
    char open_name[PATH_MAX];
    int eof_zero_done;
    struct rng rng;
    /* restore */
    int restricted, registered, completed;
};

HRESULT api_resolve(const char *server, const char *call, char *dir_out);
HRESULT api_priv_check(int restore, const char *call, const struct dc_state *st);
void api_unc_prefix(const struct dc_state *st, char *out, size_t cap);
struct ctx *api_ctx_new(int kind);
void api_ctx_free(struct ctx *c);
HRESULT api_enter(HBC hbc, int kind, const char *call, struct ctx **out);
void api_leave(struct ctx *c);
HRESULT api_make_list(const char *call, const unsigned char *bfts,
                      const char *const *names, size_t n, char **list_out,
                      DWORD *cb_out);
void api_count_read(uint64_t bytes, uint64_t *calls_out, uint64_t *total_out);

/* Token layout (little-endian):
 * +0x00 "DCSIMTOK" +0x08 u32 version (1) +0x0C u32 total length
 * +0x10 u64 creation time (Unix seconds) +0x18 u32 tombstone lifetime days
 * +0x1C u32 backup log generation start +0x20 u64 database signature
 * +0x28 u16 server name length, then the name (no NUL)
 * then u64 XXH3_64bits of every preceding byte.                          */
#define TOK_MAGIC "DCSIMTOK"
#define TOK_FIXED 0x2A

#endif
