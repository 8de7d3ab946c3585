/*
 * dcsim_int.h - what the simulator's files share and nobody else sees.
 *
 * Owns: the PRNG, the on-disk layouts of the
 * page header, database header, log header and checkpoint (offsets below),
 * the dcsim.ini state record and its lock, the per-thread error text.
 * All integers on disk are little-endian and are written one field at a time.
 */
#ifndef ADBK_DCSIM_INT_H
#define ADBK_DCSIM_INT_H

#include "dcsim.h"
#include "le.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>


/* ---- PRNG: splitmix64 to seed, xoshiro256** to run --------------------- */
struct rng {
    uint64_t s[4];
};
static inline uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static inline uint64_t mix64(uint64_t a, uint64_t b)
{
    uint64_t x = a ^ (b * 0xD1B54A32D192ED03ull);
    return splitmix64(&x);
}
static inline void rng_seed(struct rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}
static inline uint64_t rotl64(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}
static inline uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t res = rotl64(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return res;
}
/* Uniform-enough value in [0, n) for small n. */
static inline uint32_t rng_below(struct rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}
void rng_fill(struct rng *r, uint8_t *p, size_t n);

/* ---- page layout (every page, DCSIM_PAGE_HDR = 40 bytes) ---------------
 * +0x00 u64 checksum: XXH3_64bits_withSeed(page + 8, page_size - 8, pgno)
 * +0x08 u32 page number      +0x0C u16 type     +0x0E u16 flags
 * +0x10 u64 dbtime of the last change
 * +0x18 u32 log generation of the last change
 * +0x1C u32 object id (B-tree)  +0x20 u32 previous page
 * +0x24 u16 tag count           +0x26 u16 free bytes                       */
#define PG_CHECKSUM 0x00
#define PG_PGNO 0x08
#define PG_TYPE 0x0C
#define PG_FLAGS 0x0E
#define PG_DBTIME 0x10
#define PG_GEN 0x18
#define PG_OBJID 0x1C
#define PG_PREV 0x20
#define PG_NTAG 0x24
#define PG_FREE 0x26
_Static_assert(DCSIM_PAGE_HDR == 0x28, "page header is 40 bytes");

enum pg_type {
    PGT_FREE = 0,     /* released page, body zero or stale */
    PGT_HEADER = 1,   /* pages 0 and 1: database header and its shadow */
    PGT_SPACE = 2,    /* space tree (owned/available extents) */
    PGT_INTERNAL = 3, /* B-tree internal page: keys and child pages */
    PGT_LEAF = 4,     /* B-tree leaf: directory records */
    PGT_LONGVAL = 5,  /* long values: secrets, mostly incompressible */
    PGT_RESTORE = 6   /* backup-stream trailer ("restore data", R16) */
};

/* Database header body (pages 0 and 1, and trailer pages), after the page
 * header:
 * +0x28 "DCSIMDB1"   +0x30 u32 page size   +0x34 u32 state (DBS_*)
 * +0x38 u64 pages    +0x40 u64 seed        +0x48 u64 database signature
 * +0x50 u32 generation required low (checkpoint; genStart in a backup)
 * +0x54 u32 generation required high (0: unknown)
 * +0x58 u64 backup time (Unix seconds, backup copies only)
 * +0x60 char[64] server   +0xA0 char[128] domain  (NUL padded)          */
#define DBH_MAGIC 0x28
#define DBH_PAGESIZE 0x30
#define DBH_STATE 0x34
#define DBH_PAGES 0x38
#define DBH_SEED 0x40
#define DBH_SIG 0x48
#define DBH_GENLOW 0x50
#define DBH_GENHIGH 0x54
#define DBH_BKTIME 0x58
#define DBH_SERVER 0x60
#define DBH_DOMAIN 0xA0
#define DBH_END 0x120
enum { DBS_CLEAN = 1, DBS_DIRTY = 2, DBS_BACKUP = 3 };
#define DB_MAGIC "DCSIMDB1"
#define DB_TRAILER_PAGES 2u

/* Log file header (first 4096 bytes; records follow at LOG_DATA):
 * +0x00 "DCSIMLG1"
 * +0x08 u64 checksum: XXH3_64bits_withSeed(file + 0x10, size - 0x10, gen),
 *       closed logs only (0 while open)
 * +0x10 u32 generation  +0x14 u32 state (LGS_*)
 * +0x18 u64 database signature  +0x20 u64 creation time (Unix seconds)
 * +0x28 u32 record bytes used after LOG_DATA  +0x2C u32 file size
 * +0x30 u32 page size                                                     */
#define LOG_MAGIC "DCSIMLG1"
#define LG_CHECKSUM 0x08
#define LG_GEN 0x10
#define LG_STATE 0x14
#define LG_SIG 0x18
#define LG_TIME 0x20
#define LG_USED 0x28
#define LG_SIZE 0x2C
#define LG_PAGESIZE 0x30
#define LOG_DATA 4096u
enum { LGS_SPARE = 0, LGS_OPEN = 1, LGS_CLOSED = 2, LGS_RESERVE = 3 };

/* edb.chk (4096 bytes): +0x00 "DCSIMCHK" +0x08 u64 XXH3 of [0x10,4096)
 * +0x10 u32 checkpoint generation +0x18 u64 database signature            */
#define CHK_MAGIC "DCSIMCHK"
#define CHK_SIZE 4096u

/* ---- state (dcsim.ini) ------------------------------------------------- */
struct dc_state {
    char server[64];
    char domain[128];
    char admin_user[64];
    char admin_domain[128];
    char admin_password[64];
    uint32_t page_size;
    uint64_t db_pages;
    uint64_t seed;
    uint64_t db_sig;
    uint32_t tsl_days;
    uint32_t checkpoint_gen;
    uint32_t current_gen;
    uint64_t dbtime;
    int online;
    int backup_pid;
    uint32_t backup_hold;
    uint64_t backup_id;
    int churn_pid;
    uint32_t last_backup_log;
    char restore_state[16];
    uint32_t restore_gen_low;
    uint32_t restore_gen_high;
    char restore_log_dir[PATH_MAX];
};

dcsim_status st_load(const char *dir, struct dc_state *st_out);
dcsim_status st_save(const char *dir, const struct dc_state *st);
/* Exclusive flock on dir/dcsim.lock; returns the fd in *fd_out. */
dcsim_status st_lock(const char *dir, int *fd_out);
void st_unlock(int fd);
/* Is a backup held by a live process (or by this one: pid == getpid())? */
int st_backup_live(const struct dc_state *st);

/* ---- files ------------------------------------------------------------- */
/* "edb%05X.log" (8 digits past 0xFFFFF) into buf. */
void log_name(uint32_t gen, char *buf, size_t cap);
/* Parses "edbXXXXX.log"; 0 on success. */
int log_name_parse(const char *name, uint32_t *gen_out);
int path_join(char *out, size_t cap, const char *dir, const char *name);

/* Builds page pgno of the database described by st into page (page_size
 * bytes), content version ver, header fields dbtime/gen; checksum set. */
void page_build(uint8_t *page, const struct dc_state *st, uint64_t pgno,
                uint64_t ver, uint64_t dbtime, uint32_t gen);
/* Type page pgno has in the database (deterministic from seed). */
enum pg_type page_type_of(const struct dc_state *st, uint64_t pgno);
void page_seal(uint8_t *page, uint32_t page_size);
int page_verify(const uint8_t *page, uint32_t page_size, uint64_t pgno);
/* Header page body (page 0/1 or trailer). */
void dbh_fill(uint8_t *page, const struct dc_state *st, uint32_t state,
              uint32_t gen_low, uint64_t bktime);

/* Writes a log file (10 MiB): header + used bytes of records, sparse tail. */
dcsim_status log_write_new(const char *path, const struct dc_state *st,
                           uint32_t gen, uint32_t state, uint64_t ctime,
                           uint32_t used, uint64_t rec_seed);
/* Recomputes and stores the checksum of a closed log at fd. */
dcsim_status log_close_fd(int fd, const char *path);
dcsim_status chk_write(const char *dir, const struct dc_state *st);
/* Roll with the lock held and st loaded; saves st. */
dcsim_status roll_locked(const char *dir, struct dc_state *st);
/* Rewrites database header pages 0 and 1 (checkpoint moved). */
dcsim_status db_header_rewrite(const char *dir, const struct dc_state *st);
/* Circular deletion below the checkpoint except held generations. */
void circular_delete_locked(const char *dir, const struct dc_state *st);

/* ---- errors ------------------------------------------------------------ */
/* Sets this thread's detail text; returns st / hr for tail calls. */
dcsim_status dc_fail(dcsim_status st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
HRESULT dc_hfail(HRESULT hr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void dc_clear_error(void);

/* ---- process-wide switches (api.c) ------------------------------------- */
int64_t dc_now(void);
const struct dcsim_faults *dc_faults(void);
/* Allocates an API buffer tracked for R20. */
void *dc_buf_alloc(size_t n);

#endif
