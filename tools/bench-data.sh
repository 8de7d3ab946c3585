#!/bin/sh
# bench-data.sh - makes a deterministic, realistic test folder imitating an
# Active Directory IFM / NTDS folder, for tools/bench.sh.
#
#   tools/bench-data.sh DIR SIZE_MIB [SEED]
#
# DIR must not exist or be empty. The folder holds exactly SIZE_MIB MiB:
#
#   DIR/Active Directory/ntds.dit         8 KiB ESE-like pages: ~30 % free (zero)
#                                          pages in runs, ~55 % directory pages
#                                          (records: DNs, GUIDs, SIDs, attribute
#                                          names and values, some UTF-16LE, tag
#                                          arrays, page headers with checksums),
#                                          ~15 % incompressible blobs
#   DIR/Active Directory/ntds.jfm         flush map
#   DIR/Active Directory/edb0000A.log ... closed 10 MiB transaction logs (log
#                                          records: binary headers, random fields,
#                                          directory text)
#   DIR/Active Directory/edb.log          current log, partly written, zero tail
#   DIR/Active Directory/edbres0000[12].jrs  reserve logs (header, zeros)
#   DIR/Active Directory/edb.chk          checkpoint file (8 KiB)
#   DIR/registry/SYSTEM, SECURITY         regf hives: hbins of nk/vk cells
#
# The same SIZE_MIB and SEED always give the same bytes and mtimes. The
# generator is a small C program embedded below, compiled with cc -O2 into a
# temporary folder on each run (well under a second); it writes several
# hundred MB/s. Needs: cc (build-essential).
set -eu

usage() {
    sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'
}

case "${1:-}" in
-h | --help) usage; exit 0 ;;
esac
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    usage >&2
    exit 2
fi
dir=$1
size=$2
seed=${3:-1}
case $size in
'' | *[!0-9]*) echo "bench-data: SIZE_MIB must be a whole number of MiB, not '$size'" >&2; exit 2 ;;
esac
case $seed in
'' | *[!0-9]*) echo "bench-data: SEED must be a whole number, not '$seed'" >&2; exit 2 ;;
esac
if [ "$size" -lt 16 ]; then
    echo "bench-data: SIZE_MIB must be at least 16" >&2
    exit 2
fi
if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
    echo "bench-data: $dir exists and is not empty" >&2
    exit 2
fi
command -v cc >/dev/null 2>&1 || { echo "bench-data: needs a C compiler (cc); run tools/setup.sh" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-data.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

cat >"$tmp/gen.c" <<'EOF'
/* gen.c - the data generator of tools/bench-data.sh (see there). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define PAGE 8192
#define MIB (1024u * 1024u)
#define LOGSIZE (10u * MIB)

/* ---------------------------------------------------------------- random */
static uint64_t rs;
static inline uint64_t rnd(void) /* wyrand */
{
    rs += 0xa0761d6478bd642fULL;
    __uint128_t t = (__uint128_t)rs * (rs ^ 0xe7037ed1a0b428dbULL);
    return (uint64_t)(t >> 64) ^ (uint64_t)t;
}
static inline uint32_t rn(uint32_t n) { return (uint32_t)(((rnd() & 0xffffffffu) * (uint64_t)n) >> 32); }
static void rfill(uint8_t *p, size_t n)
{
    while (n >= 8) { uint64_t v = rnd(); memcpy(p, &v, 8); p += 8; n -= 8; }
    if (n) { uint64_t v = rnd(); memcpy(p, &v, n); }
}

/* ---------------------------------------------------------------- output */
static int fd = -1;
static const char *fname;
static uint8_t *obuf;
static size_t olen;
#define OCAP (4u * MIB)
static uint64_t written;

static void die(const char *what)
{
    fprintf(stderr, "bench-data: %s %s: %s\n", what, fname ? fname : "", strerror(errno));
    exit(1);
}
static void flush(void)
{
    size_t off = 0;
    while (off < olen) {
        ssize_t n = write(fd, obuf + off, olen - off);
        if (n < 0) { if (errno == EINTR) continue; die("cannot write"); }
        off += (size_t)n;
    }
    written += olen;
    olen = 0;
}
/* Space for n bytes (n <= OCAP) in the output buffer. */
static uint8_t *room(size_t n)
{
    if (olen + n > OCAP) flush();
    uint8_t *p = obuf + olen;
    olen += n;
    return p;
}
static const char *dirpath;
static time_t mtime_base;
static int file_no;
static void open_out(const char *rel)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", dirpath, rel);
    fname = path;
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) die("cannot create");
}
static void close_out(void)
{
    flush();
    struct timespec ts[2];
    ts[0].tv_sec = ts[1].tv_sec = mtime_base + 3600 * (file_no++);
    ts[0].tv_nsec = ts[1].tv_nsec = 0;
    if (futimens(fd, ts) != 0) die("cannot set the time of");
    if (close(fd) != 0) die("cannot close");
    fd = -1;
}

/* ---------------------------------------------------------------- vocabulary */
static const char *const first[] = {
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Charles", "Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Betty", "Mark", "Sandra",
    "Paul", "Ashley", "Steven", "Emily", "Andrew", "Donna", "Kenneth", "Michelle", "Joshua",
    "Carol", "Kevin", "Amanda", "Brian", "Melissa", "George", "Deborah", "Timothy", "Stephanie",
    "Ronald", "Rebecca", "Jason", "Laura", "Edward", "Sharon", "Jeffrey", "Cynthia", "Ryan",
    "Kathleen", "Jacob", "Amy", "Gary", "Angela", "Nicholas", "Shirley", "Eric", "Anna"};
static const char *const last[] = {
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Dubois", "Moreau", "Laurent",
    "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier",
    "Girard", "Bonnet"};
static const char *const ou[] = {"Staff", "Sales", "Engineering", "Finance", "HR", "IT",
                                 "Support", "Marketing", "Legal", "Operations", "Research",
                                 "Service Accounts"};
static const char *const site[] = {"Paris", "London", "NewYork", "Berlin", "Tokyo", "Sydney",
                                   "Toronto", "Madrid"};
static const char *const attr[] = {
    "objectClass", "cn", "sn", "givenName", "displayName", "description", "sAMAccountName",
    "userPrincipalName", "memberOf", "member", "whenCreated", "whenChanged", "uSNCreated",
    "uSNChanged", "objectGUID", "objectSid", "userAccountControl", "pwdLastSet",
    "lastLogonTimestamp", "primaryGroupID", "accountExpires", "logonCount", "badPwdCount",
    "distinguishedName", "name", "instanceType", "objectCategory", "dSCorePropagationData",
    "mail", "telephoneNumber", "department", "title", "company", "manager", "homeDirectory",
    "scriptPath", "servicePrincipalName", "dNSHostName", "operatingSystem",
    "operatingSystemVersion", "msDS-SupportedEncryptionTypes", "nTSecurityDescriptor",
    "replPropertyMetaData", "showInAdvancedViewOnly", "isCriticalSystemObject", "adminCount"};
static const char *const oclass[] = {"top;person;organizationalPerson;user",
                                     "top;person;organizationalPerson;user;computer",
                                     "top;group", "top;organizationalUnit",
                                     "top;person;organizationalPerson;contact"};
static const char *const domain_dn = "DC=corp,DC=example";
#define N(a) (sizeof(a) / sizeof(a[0]))

/* ---------------------------------------------------------------- text builder */
struct tb { uint8_t *p, *end; };
static inline int tb_fits(struct tb *t, size_t n) { return t->p + n <= t->end; }
static inline void tb_s(struct tb *t, const char *s)
{
    size_t n = strlen(s);
    if (!tb_fits(t, n)) n = (size_t)(t->end - t->p);
    memcpy(t->p, s, n);
    t->p += n;
}
static inline void tb_c(struct tb *t, char c) { if (t->p < t->end) *t->p++ = (uint8_t)c; }
static inline void tb_u(struct tb *t, uint64_t v)
{
    char d[24];
    int n = 0;
    do { d[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n && t->p < t->end) *t->p++ = (uint8_t)d[--n];
}
static inline void tb_hex(struct tb *t, uint64_t v, int digits)
{
    static const char hx[] = "0123456789abcdef";
    for (int i = digits - 1; i >= 0 && t->p < t->end; i--) *t->p++ = (uint8_t)hx[(v >> (4 * i)) & 15];
}
static inline void tb_guid(struct tb *t)
{
    uint64_t a = rnd(), b = rnd();
    tb_hex(t, a >> 32, 8); tb_c(t, '-'); tb_hex(t, (a >> 16) & 0xffff, 4); tb_c(t, '-');
    tb_hex(t, 0x4000 | (a & 0x0fff), 4); tb_c(t, '-'); tb_hex(t, 0x8000 | (b >> 50), 4);
    tb_c(t, '-'); tb_hex(t, b & 0xffffffffffffULL, 12);
}
static inline void tb_raw(struct tb *t, const void *p, size_t n)
{
    if (!tb_fits(t, n)) n = (size_t)(t->end - t->p);
    memcpy(t->p, p, n);
    t->p += n;
}
static inline void tb_u16le(struct tb *t, const char *s) /* ASCII as UTF-16LE */
{
    for (; *s && t->p + 2 <= t->end; s++) { *t->p++ = (uint8_t)*s; *t->p++ = 0; }
}
/* A directory timestamp: 2019..2024, like 20230517094512.0Z */
static inline void tb_time(struct tb *t)
{
    tb_u(t, 2019 + rn(6));
    unsigned mo = 1 + rn(12), da = 1 + rn(28), h = rn(24), mi = rn(60), se = rn(60);
    char b[16];
    b[0] = (char)('0' + mo / 10); b[1] = (char)('0' + mo % 10);
    b[2] = (char)('0' + da / 10); b[3] = (char)('0' + da % 10);
    b[4] = (char)('0' + h / 10); b[5] = (char)('0' + h % 10);
    b[6] = (char)('0' + mi / 10); b[7] = (char)('0' + mi % 10);
    b[8] = (char)('0' + se / 10); b[9] = (char)('0' + se % 10);
    b[10] = '.'; b[11] = '0'; b[12] = 'Z';
    tb_raw(t, b, 13);
}

/* The object an entry describes. */
struct obj {
    unsigned cls; /* 0 user 1 computer 2 group 3 ou 4 contact */
    unsigned f, l, o, s;
    uint32_t num;
};
static uint32_t next_dnt = 5000;
static uint64_t usn = 12000;
static void pick_obj(struct obj *ob)
{
    uint32_t r = rn(100);
    ob->cls = r < 62 ? 0 : r < 80 ? 1 : r < 90 ? 2 : r < 94 ? 3 : 4;
    ob->f = rn(N(first));
    ob->l = rn(N(last));
    ob->o = rn(N(ou));
    ob->s = rn(N(site));
    ob->num = rn(20000);
}
static void tb_rdn(struct tb *t, const struct obj *ob)
{
    switch (ob->cls) {
    case 1: tb_s(t, "WS-"); tb_s(t, site[ob->s]); tb_c(t, '-'); tb_u(t, ob->num); break;
    case 2: tb_s(t, "GRP-"); tb_s(t, ou[ob->o]); tb_c(t, '-'); tb_u(t, ob->num % 500); break;
    case 3: tb_s(t, ou[ob->o]); break;
    default: tb_s(t, first[ob->f]); tb_c(t, ' '); tb_s(t, last[ob->l]); tb_c(t, ' '); tb_u(t, ob->num);
    }
}
static void tb_dn(struct tb *t, const struct obj *ob)
{
    tb_s(t, ob->cls == 3 ? "OU=" : "CN=");
    tb_rdn(t, ob);
    if (ob->cls != 3) { tb_s(t, ",OU="); tb_s(t, ob->cls == 1 ? "Computers" : ob->cls == 2 ? "Groups" : ou[ob->o]); }
    tb_s(t, ",OU=Sites-"); tb_s(t, site[ob->s]); tb_c(t, ','); tb_s(t, domain_dn);
}
static void tb_sam(struct tb *t, const struct obj *ob)
{
    if (ob->cls == 1) { tb_s(t, "WS-"); tb_s(t, site[ob->s]); tb_c(t, '-'); tb_u(t, ob->num); tb_c(t, '$'); return; }
    char c = first[ob->f][0];
    tb_c(t, (char)(c | 0x20));
    for (const char *p = last[ob->l]; *p; p++) tb_c(t, (char)(*p | 0x20));
    tb_u(t, ob->num);
}

/* One attribute "name: value\n" line for obj; a random attribute. */
static void tb_attr(struct tb *t, const struct obj *ob)
{
    unsigned a = rn(N(attr));
    tb_s(t, attr[a]);
    tb_s(t, ": ");
    switch (a) {
    case 0: tb_s(t, oclass[ob->cls]); break;
    case 1: case 20: case 24: tb_rdn(t, ob); break;
    case 2: tb_s(t, last[ob->l]); break;
    case 3: tb_s(t, first[ob->f]); break;
    case 4: tb_s(t, first[ob->f]); tb_c(t, ' '); tb_s(t, last[ob->l]); break;
    case 5: tb_s(t, ou[ob->o]); tb_s(t, " account, site "); tb_s(t, site[ob->s]); break;
    case 6: tb_sam(t, ob); break;
    case 7: case 28: tb_sam(t, ob); tb_s(t, "@corp.example.com"); break;
    case 8: case 9: {
        struct obj g = *ob;
        g.cls = 2; g.o = rn(N(ou)); g.num = rn(500);
        tb_dn(t, &g);
        break;
    }
    case 10: case 11: tb_time(t); break;
    case 12: case 13: usn += 1 + rn(40); tb_u(t, usn); break;
    case 14: tb_guid(t); break;
    case 15: tb_s(t, "S-1-5-21-3623811015-3361044348-30300820-"); tb_u(t, 1000 + ob->num); break;
    case 16: tb_u(t, ob->cls == 1 ? 4096 : rn(8) ? 512 : 66048); break;
    case 17: case 18: tb_u(t, 133000000000000000ULL + (rnd() % 5000000000000000ULL)); break;
    case 19: tb_u(t, ob->cls == 1 ? 515 : 513); break;
    case 21: tb_u(t, rn(4000)); break;
    case 22: tb_u(t, rn(4)); break;
    case 23: tb_dn(t, ob); break;
    case 25: tb_c(t, '4'); break;
    case 26: tb_s(t, "CN=Person,CN=Schema,CN=Configuration,"); tb_s(t, domain_dn); break;
    case 27: tb_s(t, "16010101000000.0Z"); break;
    case 29: tb_s(t, "+33 1 "); tb_u(t, 40000000 + rn(9999999)); break;
    case 30: tb_s(t, ou[ob->o]); break;
    case 31: tb_s(t, rn(2) ? "Engineer" : "Manager"); break;
    case 32: tb_s(t, "Example Corp"); break;
    case 33: { struct obj m = *ob; m.f = rn(N(first)); m.l = rn(N(last)); m.num = rn(20000); tb_dn(t, &m); break; }
    case 34: tb_s(t, "\\\\fs01\\home$\\"); tb_sam(t, ob); break;
    case 35: tb_s(t, "logon.cmd"); break;
    case 36: tb_s(t, "HOST/"); tb_sam(t, ob); tb_s(t, ".corp.example.com"); break;
    case 37: tb_rdn(t, ob); tb_s(t, ".corp.example.com"); break;
    case 38: tb_s(t, "Windows 10 Enterprise"); break;
    case 39: tb_s(t, "10.0 (19045)"); break;
    case 40: tb_u(t, 28); break;
    case 41: { uint8_t sd[24]; rfill(sd, sizeof sd); tb_s(t, "O:DAG:DAD:"); tb_raw(t, sd, sizeof sd); break; }
    case 42: { uint8_t md[40]; rfill(md, sizeof md); tb_raw(t, md, sizeof md); break; }
    default: tb_s(t, rn(2) ? "TRUE" : "FALSE");
    }
    tb_c(t, '\n');
}

/* One ESE-like record: binary fixed columns, then tagged columns. */
static void tb_record(struct tb *t)
{
    struct obj ob;
    pick_obj(&ob);
    uint8_t fixed[32];
    uint32_t dnt = next_dnt++;
    uint32_t pdnt = 4000 + ob.o * 8 + ob.s;
    uint64_t ft = 133000000000000000ULL + (rnd() % 3000000000000000ULL);
    memset(fixed, 0, sizeof fixed);
    fixed[0] = 0x7f; fixed[1] = 0x0d;
    memcpy(fixed + 2, &dnt, 4);
    memcpy(fixed + 6, &pdnt, 4);
    fixed[10] = 2;
    memcpy(fixed + 12, &ft, 8);
    fixed[20] = (uint8_t)ob.cls;
    tb_raw(t, fixed, sizeof fixed);
    tb_dn(t, &ob);
    tb_c(t, 0);
    if (rn(3) == 0) { tb_u16le(t, first[ob.f]); tb_u16le(t, " "); tb_u16le(t, last[ob.l]); }
    uint8_t bin[16 + 28];
    rfill(bin, 16); /* objectGUID */
    static const uint8_t sidhdr[24] = {1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 0xc7, 0x6b, 0xff,
                                       0xd7, 0x7c, 0x60, 0x54, 0xc8, 0x94, 0x57, 0xce, 0x01};
    memcpy(bin + 16, sidhdr, 24);
    uint32_t rid = 1000 + ob.num;
    memcpy(bin + 40, &rid, 4);
    tb_raw(t, bin, sizeof bin);
    unsigned nattr = 3 + rn(8);
    for (unsigned i = 0; i < nattr; i++) tb_attr(t, &ob);
}

/* ---------------------------------------------------------------- ntds.dit */
static uint64_t dbtime = 0x1000000;
static void page_header(uint8_t *p, uint32_t pgno, uint32_t flags)
{
    uint64_t ck = rnd();
    memcpy(p, &ck, 8);                      /* checksum: looks random */
    dbtime += 1 + rn(200);
    memcpy(p + 8, &dbtime, 8);
    uint32_t prev = pgno ? pgno - 1 : 0, next = pgno + 1, objid = 2 + rn(64);
    memcpy(p + 16, &prev, 4);
    memcpy(p + 20, &next, 4);
    memcpy(p + 24, &objid, 4);
    memcpy(p + 36, &flags, 4);
    memcpy(p + 40, &pgno, 4);
}
static void dit_text_page(uint8_t *p, uint32_t pgno)
{
    memset(p, 0, PAGE);
    page_header(p, pgno, 0x2802);
    /* records grow up from byte 80, the tag array grows down from the end */
    unsigned fill = 5400 + rn(2600); /* 66..99 % used */
    struct tb t = {p + 80, p + 80};
    unsigned ntag = 0;
    uint8_t *tags = p + PAGE;
    while (1) {
        size_t used = (size_t)(t.p - (p + 80)) + 4 * (ntag + 1);
        if (used + 300 > fill) break;
        uint8_t *start = t.p;
        t.end = tags - 4 * (ntag + 1);
        tb_record(&t);
        uint16_t cb = (uint16_t)(t.p - start), ib = (uint16_t)(start - p);
        ntag++;
        memcpy(tags - 4 * ntag, &cb, 2);
        memcpy(tags - 4 * ntag + 2, &ib, 2);
        if (t.p >= t.end) break;
    }
    uint16_t itag = (uint16_t)ntag, ibfree = (uint16_t)(t.p - p);
    memcpy(p + 28, &ibfree, 2);
    memcpy(p + 32, &itag, 2);
}
static void dit_header_page(uint8_t *p, uint64_t pages)
{
    memset(p, 0, PAGE);
    rfill(p, 4);
    uint32_t magic = 0x89abcdef, ver = 0x620, upd = 0x14, pgsz = PAGE;
    memcpy(p + 4, &magic, 4);
    memcpy(p + 8, &ver, 4);
    rfill(p + 12, 40);   /* db signature, times */
    memcpy(p + 216, &upd, 4);
    memcpy(p + 236, &pgsz, 4);
    memcpy(p + 300, &pages, 8);
    rfill(p + 400, 64);
}
static void write_dit(const char *rel, uint64_t bytes)
{
    uint64_t pages = bytes / PAGE;
    open_out(rel);
    uint8_t *p = room(PAGE); dit_header_page(p, pages);
    p = room(PAGE); dit_header_page(p, pages);      /* shadow header */
    uint64_t pg = 2;
    /* Runs of pages of one type. Byte shares: zero 30 %, text 55 %, blob 15 %;
     * run lengths: zero 1..127 (mean 64), text 1..63 (mean 32), blob 1..15 (mean 8).
     * A run type is chosen with probability share / mean run length. */
    while (pg < pages) {
        uint32_t r = rn(1000000), type, len;
        /* weights: 0.30/64, 0.55/32, 0.15/8 -> 4688, 17188, 18750 of 40626 */
        if (r < 115394) { type = 0; len = 1 + rn(127); }
        else if (r < 538467) { type = 1; len = 1 + rn(63); }
        else { type = 2; len = 1 + rn(15); }
        if (pg + len > pages) len = (uint32_t)(pages - pg);
        for (uint32_t i = 0; i < len; i++, pg++) {
            p = room(PAGE);
            if (type == 0) memset(p, 0, PAGE);
            else if (type == 1) dit_text_page(p, (uint32_t)pg);
            else { rfill(p, PAGE); page_header(p, (uint32_t)pg, 0x2004); }
        }
    }
    uint64_t rest = bytes - pages * PAGE;
    if (rest) memset(room(rest), 0, rest);
    close_out();
}

/* ---------------------------------------------------------------- logs */
static uint32_t lgen;
static void log_header(uint8_t *p, uint32_t gen)
{
    memset(p, 0, 4096);
    rfill(p, 4);
    uint32_t sig = 0x01e0b0c0;
    memcpy(p + 4, &sig, 4);
    memcpy(p + 8, &gen, 4);
    rfill(p + 16, 48);
    memcpy(p + 64, "C:\\Windows\\NTDS\\ntds.dit", 25);
}
/* A log of `bytes`, records for `used` bytes of it (the rest zero). */
static void write_log(const char *rel, uint32_t gen, uint64_t bytes, uint64_t used)
{
    open_out(rel);
    log_header(room(4096), gen);
    uint64_t pos = 4096;
    uint8_t sector[4096];
    while (pos < bytes) {
        memset(sector, 0, sizeof sector);
        if (pos < used) {
            struct tb t = {sector, sector + sizeof sector};
            while (t.p + 200 < t.end) {
                uint8_t h[24];
                h[0] = (uint8_t)(1 + rn(40)); /* record type */
                uint32_t pgno = rn(200000);
                dbtime += 1 + rn(5);
                memcpy(h + 1, &pgno, 4);
                memcpy(h + 5, &dbtime, 8);
                uint16_t cb = (uint16_t)rn(200);
                memcpy(h + 13, &cb, 2);
                rfill(h + 15, 9);     /* transaction id, random fields */
                tb_raw(&t, h, sizeof h);
                struct obj ob;
                pick_obj(&ob);
                if (rn(4) == 0) tb_dn(&t, &ob);
                tb_attr(&t, &ob);
                if (rn(3) == 0) { uint8_t r[16]; rfill(r, 16); tb_raw(&t, r, 8 + rn(9)); }
            }
        }
        size_t n = bytes - pos < sizeof sector ? (size_t)(bytes - pos) : sizeof sector;
        memcpy(room(n), sector, n);
        pos += n;
    }
    close_out();
}

/* ---------------------------------------------------------------- small files */
static void write_chk(const char *rel)
{
    open_out(rel);
    uint8_t *p = room(8192);
    memset(p, 0, 8192);
    rfill(p, 4);
    uint32_t gen = lgen;
    memcpy(p + 16, &gen, 4);
    rfill(p + 24, 64);
    close_out();
}
static void write_jfm(const char *rel, uint64_t dit_pages)
{
    open_out(rel);
    uint64_t n = 8192 + ((dit_pages / 8 + 8191) / 8192) * 8192;
    uint8_t *p = room(8192);
    memset(p, 0, 8192);
    rfill(p, 64);
    for (uint64_t off = 8192; off < n; off += 8192) {
        p = room(8192);
        memset(p, 0xff, 8192);
        page_header(p, (uint32_t)(off / 8192), 0x10000);
        for (int k = 0; k < 64; k++) p[64 + rn(8192 - 64)] = (uint8_t)rnd();
    }
    close_out();
}
static void write_jrs(const char *rel, uint32_t gen)
{
    open_out(rel);
    log_header(room(4096), gen);
    for (uint64_t pos = 4096; pos < LOGSIZE; pos += 4096) memset(room(4096), 0, 4096);
    close_out();
}
/* A regf hive of `bytes` (a multiple of 4 KiB, >= 8 KiB). */
static const char *const keys[] = {"ControlSet001", "Services", "Control", "Enum", "Parameters",
                                   "Security", "Linkage", "Tcpip", "Interfaces", "Policy",
                                   "Secrets", "Accounts", "NTDS", "Netlogon", "LanmanServer",
                                   "Class", "Properties", "Device Parameters", "Hardware Profiles",
                                   "Session Manager"};
static const char *const vals[] = {"ImagePath", "Start", "Type", "ErrorControl", "DisplayName",
                                   "ObjectName", "Description", "DependOnService", "Group",
                                   "DSA Working Directory", "DSA Database file",
                                   "Database log files path", "IPAddress", "SubnetMask",
                                   "DefaultGateway", "Domain", "NameServer", "FailureActions"};
static const char *const data[] = {"\\SystemRoot\\System32\\drivers\\", "%SystemRoot%\\system32\\",
                                   "C:\\Windows\\NTDS", "LocalSystem", "NT AUTHORITY\\NetworkService",
                                   "@%SystemRoot%\\system32\\ntdsmsg.dll,-", "corp.example.com"};
static void write_hive(const char *rel, const char *title, uint64_t bytes)
{
    open_out(rel);
    uint8_t *p = room(4096);
    memset(p, 0, 4096);
    memcpy(p, "regf", 4);
    uint32_t seq = 1 + rn(5000), one = 1, three = 3, hbsz = (uint32_t)(bytes - 4096);
    memcpy(p + 4, &seq, 4); memcpy(p + 8, &seq, 4);
    rfill(p + 12, 8);
    memcpy(p + 20, &one, 4); memcpy(p + 24, &three, 4);
    memcpy(p + 40, &hbsz, 4);
    struct tb t = {p + 48, p + 112};
    tb_u16le(&t, title);
    rfill(p + 508, 4);
    for (uint64_t off = 0; off + 4096 <= bytes - 4096; off += 4096) {
        p = room(4096);
        memset(p, 0, 4096);
        memcpy(p, "hbin", 4);
        uint32_t o32 = (uint32_t)off, sz = 4096;
        memcpy(p + 4, &o32, 4); memcpy(p + 8, &sz, 4);
        rfill(p + 20, 8);
        uint8_t *c = p + 32, *end = p + 4096;
        while (c + 200 < end) {
            uint8_t *cell = c;
            struct tb u = {c + 4, end};
            if (rn(4) == 0) {           /* free cell: stale bytes */
                int32_t cs = (int32_t)(16 + 8 * rn(20));
                if (cell + cs > end - 8) break;
                rfill(cell + 4, (size_t)cs - 4);
                memcpy(cell, &cs, 4);
                c += cs;
                continue;
            }
            if (rn(3) == 0) {           /* key node */
                tb_s(&u, "nk");
                uint8_t f[72];
                memset(f, 0, sizeof f);
                f[0] = 0x20;
                rfill(f + 2, 8);        /* last written */
                uint32_t parent = rn(1u << 20) * 8, nsub = rn(12), nval = rn(8);
                memcpy(f + 14, &parent, 4); memcpy(f + 18, &nsub, 4); memcpy(f + 34, &nval, 4);
                uint16_t nl = (uint16_t)strlen(keys[rn(N(keys))]);
                memcpy(f + 70, &nl, 2);
                tb_raw(&u, f, sizeof f);
                tb_s(&u, keys[rn(N(keys))]);
            } else {                    /* value: name + UTF-16 data or a DWORD */
                tb_s(&u, "vk");
                const char *vn = vals[rn(N(vals))];
                uint16_t nl = (uint16_t)strlen(vn);
                uint32_t dl = 4, dt = 4, dv = rn(4);
                uint8_t f[16];
                memcpy(f, &nl, 2); memcpy(f + 2, &dl, 4); memcpy(f + 6, &dv, 4); memcpy(f + 10, &dt, 4);
                f[14] = 1; f[15] = 0;
                tb_raw(&u, f, sizeof f);
                tb_s(&u, vn);
                if (rn(2)) {
                    tb_u16le(&u, data[rn(N(data))]);
                    struct obj ob; pick_obj(&ob);
                    tb_u16le(&u, last[ob.l]);
                    tb_u16le(&u, rn(2) ? ".sys" : ".dll");
                }
            }
            size_t len = (size_t)(u.p - cell);
            len = (len + 7) & ~(size_t)7;
            if (cell + len > end - 8) break;
            int32_t cs = -(int32_t)len;
            memcpy(cell, &cs, 4);
            c = cell + len;
        }
        if (c + 8 <= end) { int32_t cs = (int32_t)(end - c); memcpy(c, &cs, 4); }
    }
    close_out();
}

int main(int argc, char **argv)
{
    if (argc != 4) { fprintf(stderr, "usage: gen DIR SIZE_MIB SEED\n"); return 2; }
    dirpath = argv[1];
    uint64_t total = strtoull(argv[2], NULL, 10) * MIB;
    uint64_t seed = strtoull(argv[3], NULL, 10);
    rs = seed * 0x9e3779b97f4a7c15ULL + 0x2545f4914f6cdd1dULL;
    for (int i = 0; i < 8; i++) (void)rnd();
    obuf = malloc(OCAP);
    if (!obuf) { fprintf(stderr, "bench-data: no memory\n"); return 1; }
    mtime_base = 1704067200 + (time_t)(seed % 1000) * 86400; /* 2024-01-01 + seed days */

    /* Budget: logs ~1/16 of the size (2..24 closed 10 MiB logs), SYSTEM hive
     * 1/128 (1..16 MiB), reserve logs when >= 256 MiB; ntds.dit the rest. */
    uint64_t mib = total / MIB;
    unsigned nlogs = (unsigned)(mib / 160);
    if (nlogs < 2) nlogs = mib >= 64 ? 2 : 0;
    if (nlogs > 24) nlogs = 24;
    int jrs = mib >= 256;
    uint64_t system = (mib / 128) * MIB;
    if (system < MIB) system = MIB;
    if (system > 16 * MIB) system = 16 * MIB;
    uint64_t security = 256 * 1024;
    uint64_t cur_log = nlogs ? LOGSIZE : 0;
    uint64_t fixed = (uint64_t)nlogs * LOGSIZE + cur_log + (jrs ? 2 * LOGSIZE : 0) + system +
                     security + 8192 /* edb.chk */;
    /* jfm size depends on the dit: estimate, then give the dit the rest. */
    uint64_t dit = 0, jfm = 8192;
    for (int k = 0;; k++) {
        dit = (total - fixed - jfm) / PAGE * PAGE;
        uint64_t j = 8192 + ((dit / PAGE / 8 + 8191) / 8192) * 8192;
        if (j == jfm) break;
        if (k == 8) { fprintf(stderr, "bench-data: internal size error\n"); return 1; }
        jfm = j;
    }
    uint64_t slack = total - fixed - jfm - dit; /* < 8 KiB: goes to SECURITY */
    security += slack & ~(uint64_t)4095;
    uint64_t tail = slack & 4095;               /* < 4 KiB: to the dit's end */
    dit += tail;

    char path[4096];
    snprintf(path, sizeof path, "%s/Active Directory", dirpath);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) { fname = path; die("cannot create"); }
    snprintf(path, sizeof path, "%s/registry", dirpath);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) { fname = path; die("cannot create"); }

    write_dit("Active Directory/ntds.dit", dit);
    write_jfm("Active Directory/ntds.jfm", dit / PAGE);
    lgen = 0x0000A;
    for (unsigned i = 0; i < nlogs; i++) {
        snprintf(path, sizeof path, "Active Directory/edb%05X.log", lgen + i);
        write_log(path, lgen + i, LOGSIZE, LOGSIZE);
    }
    lgen += nlogs;
    if (cur_log) write_log("Active Directory/edb.log", lgen, LOGSIZE, (uint64_t)(2 + rn(7)) * MIB);
    if (jrs) {
        write_jrs("Active Directory/edbres00001.jrs", 0);
        write_jrs("Active Directory/edbres00002.jrs", 0);
    }
    write_chk("Active Directory/edb.chk");
    write_hive("registry/SYSTEM", "SYSTEM", system);
    write_hive("registry/SECURITY", "SECURITY", security);
    if (written != total) {
        fprintf(stderr, "bench-data: wrote %llu bytes, wanted %llu\n",
                (unsigned long long)written, (unsigned long long)total);
        return 1;
    }
    return 0;
}
EOF

cc -O2 -std=c11 -Wall -Wextra -o "$tmp/gen" "$tmp/gen.c"
mkdir -p "$dir"
"$tmp/gen" "$dir" "$size" "$seed"
# Folders get fixed times too, so the whole tree is reproducible.
touch -h -d @1704067200 "$dir/Active Directory" "$dir/registry" "$dir"
