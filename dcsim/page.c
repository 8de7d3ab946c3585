/*
 * page.c - the contents of simulated ntds.dit pages.
 *
 * Owns: which type each page has, and the bytes of every page type: directory
 * records (leaf), index keys (internal), secret blobs (long values), space
 * tree, free pages, the database header; page checksums.
 * Does not own: files (provision.c, churn.c) or streaming (backup.c).
 *
 * The mix aims at a directory database a few years old (see the report in
 * tools/dcsim --help): extents of 16 pages; ~20% of extents free (released
 * by online defragmentation, zeroed), leaf extents of user/group/computer
 * records whose strings are UTF-16LE as AD stores them, with binary GUIDs,
 * SIDs sharing the domain prefix, FILETIME and USN stamps close to each other
 * and PEK-encrypted password hashes (random); long-value extents holding
 * supplementalCredentials-like blobs (random); index pages of normalised
 * keys. Every page is a pure function of (seed, page number, version), so
 * provisioning is deterministic and churn can rewrite any page.
 */
#include "dcsim_int.h"

#include <xxhash.h>

#define EXTENT_PAGES 16u

void rng_fill(struct rng *r, uint8_t *p, size_t n)
{
    while (n >= 8) {
        le_put64(p, rng_next(r));
        p += 8;
        n -= 8;
    }
    if (n) {
        uint64_t v = rng_next(r);
        for (size_t i = 0; i < n; i++)
            p[i] = (uint8_t)(v >> (8 * i));
    }
}

enum pg_type page_type_of(const struct dc_state *st, uint64_t pgno)
{
    if (pgno < 2)
        return PGT_HEADER;
    if (pgno < 4)
        return PGT_SPACE;
    /* The file grows in chunks: its last ~6% has never been used. */
    if (pgno >= st->db_pages - st->db_pages / 16)
        return PGT_FREE;
    uint64_t ext = pgno / EXTENT_PAGES;
    uint64_t h = mix64(st->seed, ext);
    uint32_t kind = (uint32_t)(h % 100), r = (uint32_t)(mix64(h, pgno) % 100);
    if (kind < 18)
        return PGT_FREE;
    if (kind < 66)
        return r < 8 ? PGT_FREE : PGT_LEAF;
    if (kind < 78)
        return r < 20 ? PGT_FREE : PGT_INTERNAL;
    if (kind < 96)
        return r < 5 ? PGT_FREE : PGT_LONGVAL;
    return PGT_SPACE;
}

void page_seal(uint8_t *page, uint32_t page_size)
{
    uint64_t pgno = le_get32(page + PG_PGNO);
    le_put64(page + PG_CHECKSUM,
             XXH3_64bits_withSeed(page + 8, page_size - 8, pgno));
}

int page_verify(const uint8_t *page, uint32_t page_size, uint64_t pgno)
{
    if (le_get32(page + PG_PGNO) != (uint32_t)pgno)
        return 0;
    return le_get64(page + PG_CHECKSUM) ==
           XXH3_64bits_withSeed(page + 8, page_size - 8, pgno);
}

void dbh_fill(uint8_t *page, const struct dc_state *st, uint32_t state,
              uint32_t gen_low, uint64_t bktime)
{
    memcpy(page + DBH_MAGIC, DB_MAGIC, 8);
    le_put32(page + DBH_PAGESIZE, st->page_size);
    le_put32(page + DBH_STATE, state);
    le_put64(page + DBH_PAGES, st->db_pages);
    le_put64(page + DBH_SEED, st->seed);
    le_put64(page + DBH_SIG, st->db_sig);
    le_put32(page + DBH_GENLOW, gen_low);
    le_put32(page + DBH_GENHIGH, 0);
    le_put64(page + DBH_BKTIME, bktime);
    memset(page + DBH_SERVER, 0, DBH_END - DBH_SERVER);
    memcpy(page + DBH_SERVER, st->server, strnlen(st->server, 63));
    memcpy(page + DBH_DOMAIN, st->domain, strnlen(st->domain, 127));
}

/* ---- directory records ------------------------------------------------- */

static const char *const first_names[64] = {
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael",
    "Linda", "David", "Elizabeth", "William", "Barbara", "Richard", "Susan",
    "Joseph", "Jessica", "Thomas", "Sarah", "Christopher", "Karen", "Charles",
    "Lisa", "Daniel", "Nancy", "Matthew", "Betty", "Anthony", "Sandra", "Mark",
    "Margaret", "Donald", "Ashley", "Steven", "Kimberly", "Andrew", "Emily",
    "Paul", "Donna", "Joshua", "Michelle", "Kenneth", "Carol", "Kevin",
    "Amanda", "Brian", "Melissa", "George", "Deborah", "Timothy", "Stephanie",
    "Ronald", "Rebecca", "Jason", "Sharon", "Edward", "Laura", "Jeffrey",
    "Cynthia", "Ryan", "Dorothy", "Jacob", "Amy", "Gary", "Kathleen"};
static const char *const last_names[64] = {
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller",
    "Davis", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez",
    "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark",
    "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King",
    "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams",
    "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter",
    "Roberts", "Mueller", "Schmidt", "Schneider", "Fischer", "Weber",
    "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Dubois", "Moreau",
    "Laurent", "Bernard"};
static const char *const ous[16] = {
    "Sales", "Engineering", "Finance", "HR", "Marketing", "Support",
    "Legal", "Operations", "IT", "Research", "Facilities", "Procurement",
    "Training", "Security", "Logistics", "Executive"};
static const char *const titles[12] = {
    "Account Manager", "Software Engineer", "Accountant", "HR Partner",
    "Marketing Specialist", "Support Engineer", "Counsel", "Analyst",
    "Systems Administrator", "Scientist", "Technician", "Director"};
static const char *const groups[8] = {
    "GG-", "DL-", "Role-", "App-", "Share-", "VPN-", "Print-", "Mail-"};

struct wbuf {
    uint8_t *p;
    size_t n;
};
static inline void w8(struct wbuf *w, uint8_t v) { w->p[w->n++] = v; }
static inline void w16(struct wbuf *w, uint16_t v) { le_put16(w->p + w->n, v); w->n += 2; }
static inline void w32(struct wbuf *w, uint32_t v) { le_put32(w->p + w->n, v); w->n += 4; }
static inline void w64(struct wbuf *w, uint64_t v) { le_put64(w->p + w->n, v); w->n += 8; }
/* UTF-16LE of ASCII text, as AD stores Unicode string attributes. */
static void wutf16(struct wbuf *w, const char *s)
{
    for (; *s; s++) {
        w->p[w->n++] = (uint8_t)*s;
        w->p[w->n++] = 0;
    }
}
static void wdec_utf16(struct wbuf *w, uint32_t v)
{
    char tmp[12];
    int i = 11;
    tmp[i] = 0;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i > 0);
    wutf16(w, tmp + i);
}
/* A tagged column: u16 column id, u16 length, then the value. */
static size_t col_begin(struct wbuf *w, uint16_t colid)
{
    w16(w, colid);
    w16(w, 0);
    return w->n;
}
static void col_end(struct wbuf *w, size_t start)
{
    le_put16(w->p + start - 2, (uint16_t)(w->n - start));
}

#define REC_MAX 1200u /* a record never exceeds this */

static void sid_put(struct wbuf *w, uint64_t seed, uint32_t rid)
{
    w8(w, 1);
    w8(w, 5);
    w8(w, 0); w8(w, 0); w8(w, 0); w8(w, 0); w8(w, 0); w8(w, 5);
    w32(w, 21);
    w32(w, 0x10000000u | (uint32_t)(seed & 0x0FFFFFFF));
    w32(w, (uint32_t)(seed >> 20));
    w32(w, (uint32_t)(seed >> 40) | 0x1000u);
    w32(w, rid);
}

static void record_build(struct wbuf *w, struct rng *r, const struct dc_state *st,
                         uint32_t dnt, uint64_t dbtime)
{
    uint32_t kind = rng_below(r, 100);
    const char *fn = first_names[rng_below(r, 64)];
    const char *ln = last_names[rng_below(r, 64)];
    uint32_t ou = rng_below(r, 16), num = rng_below(r, 1000);
    uint64_t ft_base = 133000000000000000ull + (st->seed % 1000) * 864000000000ull;
    uint64_t created = ft_base + (uint64_t)dnt * 37000000ull + rng_below(r, 1u << 30);
    size_t start = w->n;

    w16(w, 0); /* record length, set at the end */
    w16(w, 9); /* fixed columns */
    w32(w, dnt);
    w32(w, 0x700 + ou);                   /* parent DNT: the OU */
    w32(w, kind < 70 ? 0x30000 + 0x65 : kind < 85 ? 0x30000 + 0x5D :
                       kind < 95 ? 0x30000 + 0x1E : 0x30000 + 0x4F);
    w32(w, 4);                            /* instanceType */
    w32(w, kind < 70 ? (rng_below(r, 10) ? 0x200u : 0x202u) :
           kind >= 85 && kind < 95 ? 0x1000u : 0u);
    w64(w, created);
    w64(w, created + (uint64_t)rng_below(r, 1u << 31) * 1000ull);
    w64(w, 12000 + (uint64_t)dnt * 3);
    w64(w, 12000 + (uint64_t)dnt * 3 + rng_below(r, 1u << 20) + (dbtime & 0xFFFF));
    rng_fill(r, w->p + w->n, 16); /* objectGUID */
    w->n += 16;
    sid_put(w, st->seed, 1100 + dnt);

    size_t c = col_begin(w, 0x0003); /* RDN (cn) */
    if (kind < 70) {
        wutf16(w, fn); wutf16(w, " "); wutf16(w, ln);
    } else if (kind < 85) {
        wutf16(w, groups[num & 7]); wutf16(w, ous[ou]); wutf16(w, "-");
        wdec_utf16(w, num);
    } else if (kind < 95) {
        wutf16(w, "WS"); wutf16(w, ous[ou]); wdec_utf16(w, 10000 + dnt);
    } else {
        wutf16(w, ous[ou]);
    }
    col_end(w, c);
    if (kind < 95) {
        c = col_begin(w, 0x0221); /* sAMAccountName */
        if (kind < 70) {
            w8(w, (uint8_t)fn[0]); w8(w, 0);
            wutf16(w, ln); wdec_utf16(w, num);
        } else if (kind < 85) {
            wutf16(w, groups[num & 7]); wutf16(w, ous[ou]); wdec_utf16(w, num);
        } else {
            wutf16(w, "WS"); wutf16(w, ous[ou]); wdec_utf16(w, 10000 + dnt);
            wutf16(w, "$");
        }
        col_end(w, c);
        c = col_begin(w, 0x0090); /* distinguishedName text as stored in links */
        wutf16(w, "OU="); wutf16(w, ous[ou]); wutf16(w, ",DC=");
        for (const char *d = st->domain; *d; d++) {
            if (*d == '.')
                wutf16(w, ",DC=");
            else {
                w->p[w->n++] = (uint8_t)*d;
                w->p[w->n++] = 0;
            }
        }
        col_end(w, c);
    }
    if (kind < 70) {
        c = col_begin(w, 0x000D); /* displayName */
        wutf16(w, ln); wutf16(w, ", "); wutf16(w, fn);
        col_end(w, c);
        c = col_begin(w, 0x0290); /* userPrincipalName */
        w8(w, (uint8_t)fn[0]); w8(w, 0);
        wutf16(w, ln); wutf16(w, "@"); wutf16(w, st->domain);
        col_end(w, c);
        c = col_begin(w, 0x0011); /* title */
        wutf16(w, titles[rng_below(r, 12)]);
        col_end(w, c);
        c = col_begin(w, 0x0012); /* department */
        wutf16(w, ous[ou]);
        col_end(w, c);
        c = col_begin(w, 0x005A); /* pwdLastSet, lastLogonTimestamp */
        w64(w, created + rng_below(r, 1u << 30) * 100ull);
        w64(w, created + rng_below(r, 1u << 30) * 400ull);
        col_end(w, c);
        c = col_begin(w, 0x005E); /* unicodePwd: PEK-encrypted NT hash */
        rng_fill(r, w->p + w->n, 36);
        w->n += 36;
        col_end(w, c);
        uint32_t hist = rng_below(r, 6);
        if (hist) {
            c = col_begin(w, 0x005F); /* ntPwdHistory */
            rng_fill(r, w->p + w->n, 24 + 16 * hist);
            w->n += 24 + 16 * hist;
            col_end(w, c);
        }
    } else if (kind < 85) {
        uint32_t members = rng_below(r, 24);
        c = col_begin(w, 0x0403); /* member: DNTs, ascending */
        uint32_t m = 0x800;
        for (uint32_t i = 0; i < members; i++) {
            m += 1 + rng_below(r, 300);
            w32(w, m);
        }
        col_end(w, c);
        c = col_begin(w, 0x000E); /* description */
        wutf16(w, "Members of "); wutf16(w, ous[ou]);
        wutf16(w, " with access to shared resources");
        col_end(w, c);
    } else if (kind < 95) {
        c = col_begin(w, 0x0331); /* dNSHostName */
        wutf16(w, "ws"); wdec_utf16(w, 10000 + dnt); wutf16(w, ".");
        wutf16(w, st->domain);
        col_end(w, c);
        c = col_begin(w, 0x0332); /* operatingSystem */
        wutf16(w, rng_below(r, 3) ? "Windows 11 Enterprise" : "Windows 10 Enterprise");
        col_end(w, c);
        c = col_begin(w, 0x005E); /* machine account secret */
        rng_fill(r, w->p + w->n, 36);
        w->n += 36;
        col_end(w, c);
    }
    le_put16(w->p + start, (uint16_t)(w->n - start));
}

/* Fills the body of a leaf page with records and a tag array at its end. */
static void leaf_build(uint8_t *page, struct rng *r, const struct dc_state *st,
                       uint64_t pgno, uint64_t dbtime)
{
    uint32_t ps = st->page_size;
    uint32_t fill = ps * (62 + rng_below(r, 34)) / 100; /* 62..95% used */
    struct wbuf w = {page, DCSIM_PAGE_HDR};
    uint16_t ntag = 0;
    uint32_t dnt = (uint32_t)(pgno * 24);
    while (w.n + REC_MAX + 2u * (ntag + 1u) < fill) {
        size_t at = w.n;
        record_build(&w, r, st, dnt++, dbtime);
        ntag++;
        le_put16(page + ps - 2u * ntag, (uint16_t)at);
    }
    le_put16(page + PG_NTAG, ntag);
    le_put16(page + PG_FREE, (uint16_t)(ps - w.n - 2u * ntag > 0xFFFF ? 0xFFFF :
                                         ps - w.n - 2u * ntag));
}

static void internal_build(uint8_t *page, struct rng *r, const struct dc_state *st)
{
    uint32_t ps = st->page_size;
    uint32_t fill = ps * (45 + rng_below(r, 45)) / 100;
    size_t n = DCSIM_PAGE_HDR;
    uint16_t ntag = 0;
    uint32_t child = (uint32_t)(rng_next(r) % (st->db_pages ? st->db_pages : 1));
    uint32_t li = rng_below(r, 64);
    while (n + 96 + 2u * (ntag + 1u) < fill) {
        /* Normalised key: prefix length, uppercase suffix, child page. */
        const char *ln = last_names[li++ & 63];
        const char *fn = first_names[rng_below(r, 64)];
        size_t at = n, kl = 0;
        uint8_t *kp = page + n + 2;
        kp[kl++] = 0x7F;
        for (const char *s = ln; *s; s++)
            kp[kl++] = (uint8_t)((*s >= 'a' && *s <= 'z') ? *s - 32 : *s);
        kp[kl++] = 0x14;
        for (const char *s = fn; *s; s++)
            kp[kl++] = (uint8_t)((*s >= 'a' && *s <= 'z') ? *s - 32 : *s);
        kp[kl++] = 0;
        kp[kl++] = 1;
        le_put16(page + n, (uint16_t)kl);
        n += 2 + kl;
        child += 1 + rng_below(r, 4);
        le_put32(page + n, child);
        n += 4;
        ntag++;
        le_put16(page + ps - 2u * ntag, (uint16_t)at);
    }
    le_put16(page + PG_NTAG, ntag);
}

static void longval_build(uint8_t *page, struct rng *r, const struct dc_state *st,
                          uint64_t pgno)
{
    uint32_t ps = st->page_size;
    uint32_t used = ps * (80 + rng_below(r, 21)) / 100 - DCSIM_PAGE_HDR;
    /* Long-value id and offset, then PEK-encrypted credential material. */
    le_put32(page + DCSIM_PAGE_HDR, (uint32_t)(pgno * 3 + 1));
    le_put32(page + DCSIM_PAGE_HDR + 4, 0);
    if (used > 8)
        rng_fill(r, page + DCSIM_PAGE_HDR + 8, used - 8);
    le_put16(page + PG_NTAG, 1);
}

static void space_build(uint8_t *page, struct rng *r, const struct dc_state *st)
{
    uint32_t ps = st->page_size;
    size_t n = DCSIM_PAGE_HDR;
    uint32_t first = 4 + rng_below(r, 64);
    uint32_t count = 100 + rng_below(r, 500);
    for (uint32_t i = 0; i < count && n + 8 <= ps; i++) {
        uint32_t len = EXTENT_PAGES * (1 + rng_below(r, 8));
        le_put32(page + n, first);
        le_put32(page + n + 4, len);
        n += 8;
        first += len + EXTENT_PAGES * rng_below(r, 4);
    }
}

void page_build(uint8_t *page, const struct dc_state *st, uint64_t pgno,
                uint64_t ver, uint64_t dbtime, uint32_t gen)
{
    uint32_t ps = st->page_size;
    enum pg_type t = page_type_of(st, pgno);
    struct rng r;
    rng_seed(&r, mix64(st->seed ^ (ver * 0x9E3779B97F4A7C15ull), pgno));
    memset(page, 0, ps);
    le_put32(page + PG_PGNO, (uint32_t)pgno);
    le_put16(page + PG_TYPE, (uint16_t)t);
    le_put64(page + PG_DBTIME, dbtime);
    le_put32(page + PG_GEN, gen);
    le_put32(page + PG_OBJID, 0x10 + (uint32_t)(mix64(st->seed, pgno / EXTENT_PAGES) % 40));
    le_put32(page + PG_PREV, pgno ? (uint32_t)pgno - 1 : 0);
    switch (t) {
    case PGT_HEADER:
        dbh_fill(page, st, DBS_DIRTY, st->checkpoint_gen, 0);
        break;
    case PGT_LEAF:
        leaf_build(page, &r, st, pgno, dbtime);
        break;
    case PGT_INTERNAL:
        internal_build(page, &r, st);
        break;
    case PGT_LONGVAL:
        longval_build(page, &r, st, pgno);
        break;
    case PGT_SPACE:
        space_build(page, &r, st);
        break;
    case PGT_FREE:
    case PGT_RESTORE:
        break;
    }
    page_seal(page, ps);
}
