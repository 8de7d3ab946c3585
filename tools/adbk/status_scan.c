/*
 * status_scan.c - the work of `adbk status` (status.h): finds the archives
 * under the paths given, reads each one's tail and seek table through the
 * public reader API (adbk_format.h), verifies where asked, groups them by
 * domain controller and judges each group. It prints only the progress of
 * --verify; the reports are status_cmd.c's.
 *
 * DESIGN
 *
 * What is read. Each archive is opened as list opens it: the reader reads
 * the tail (footer, index, header) and checks them against each other. Then
 * its seek table is read whole, 12 bytes a frame, and checked against the
 * index and the file's size (check_seek_table): every frame's size where
 * the index puts it, each member's frames adding up to its span, its chunks'
 * content sizes to its size, all frames to the seek table's offset. So a
 * file cut short, grown, or with a damaged index or seek table is found
 * with a few small reads whatever the archive's size. Content is read only
 * with --verify (adbk_reader_verify), and then only where it decides a
 * verdict: per domain controller, newest archive first, until one verifies
 * (--verify-all: every archive).
 *
 * Grouping. By the properties "server" and "domain" (FORMAT.md 7),
 * compared without regard to ASCII case as Windows compares those names.
 * Archives of the simulated DC (source=dcsim) form groups of their own,
 * marked SIMULATED. An encrypted archive keeps its properties sealed
 * (FORMAT.md 13.1): without a key that opens it, all such archives form one
 * group, "encrypted archives", judged as one DC by the newest of them; its
 * Not_After date, in clear, still tells until when each can be restored.
 *
 * Verdicts, per group. An archive is restorable when it opened and checked
 * out (verified, with --verify), is not older than its tombstone lifetime
 * (restore refuses it after Created + lifetime) and is not dated more than a
 * day ahead of the clock (restore refuses that too). CRITICAL: none is
 * restorable. WARNING: the newest restorable one is older than half the
 * tombstone lifetime (Active Directory logs event 2089 from then on), or a
 * newer archive than it is not usable (damaged, untrusted, dated ahead), or
 * with --verify none could be verified to the end (an I/O error) though
 * some checked out. OK otherwise. A file that cannot be tied to a DC (not an
 * archive, damaged before its index could be read) is WARNING; one that
 * cannot be read at all, or an archive of a newer format, UNKNOWN. The exit
 * code is the worst verdict, CRITICAL before WARNING before UNKNOWN.
 */
#include "status.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#define DAY 86400
/* Seconds an archive may be dated ahead of this clock: as adbk restore
 * allows, room for a clock set to local time instead of UTC. */
#define FUTURE_SLACK DAY
/* Folders deeper than this below a PATH are not walked (a loop of bind
 * mounts cannot hold status forever). */
#define MAX_DEPTH 32

const char *const status_verdict_names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
const char *const status_problem_names[] = {"", "damaged", "untrusted", "not an archive",
                                            "newer format", "unreadable", "no archive"};

/* A known problem outranks not knowing: CRITICAL, WARNING, UNKNOWN, OK. */
static enum status_verdict worse(enum status_verdict a, enum status_verdict b)
{
    static const int weight[] = {0, 2, 3, 1};
    return weight[b] > weight[a] ? b : a;
}

/* ------------------------------------------------------------ helpers */

static char *dup_or_die(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d) {
        cli_err("out of memory");
        exit(VERDICT_UNKNOWN);
    }
    return d;
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t c = *cap ? *cap * 2 : 16;
    while (c < need)
        c *= 2;
    void *q = realloc(p, c * elem);
    if (!q) {
        cli_err("out of memory");
        exit(VERDICT_UNKNOWN);
    }
    *cap = c;
    return q;
}

static struct status_archive *new_arch(struct status_run *s, const char *path)
{
    s->a = grow(s->a, &s->cap, s->n + 1, sizeof *s->a);
    struct status_archive *a = &s->a[s->n++];
    memset(a, 0, sizeof *a);
    a->path = dup_or_die(path);
    return a;
}

static void set_problem(struct status_archive *a, enum status_problem p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_problem(struct status_archive *a, enum status_problem p, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    a->problem = p;
    free(a->message);
    a->message = dup_or_die(msg);
}

bool status_expired(const struct status_run *s, const struct status_archive *a)
{
    return s->now > a->not_after;
}

bool status_ahead(const struct status_run *s, const struct status_archive *a)
{
    return a->created - s->now > FUTURE_SLACK;
}

bool status_restorable(const struct status_run *s, const struct status_archive *a)
{
    return a->opened && a->problem == PROBLEM_NONE && !status_expired(s, a) &&
           !status_ahead(s, a) && (!s->verify || a->verify == VERIFY_OK);
}

/* ------------------------------------------------------------ finding archives */

static bool adbk_name(const char *name)
{
    size_t n = strlen(name);
    return n > 5 && strcasecmp(name + n - 5, ".adbk") == 0;
}

static void add_file(struct status_run *s, const char *path, const struct stat *st)
{
    for (size_t i = 0; i < s->n && st->st_ino; i++)
        if (s->a[i].ino == (uint64_t)st->st_ino && s->a[i].dev == st->st_dev)
            return; /* named twice, or inside a folder also named */
    struct status_archive *a = new_arch(s, path);
    a->dev = st->st_dev;
    a->ino = (uint64_t)st->st_ino;
}

static int by_name(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static void walk(struct status_run *s, const char *dir, int depth);

/* One entry of a folder: a folder is walked, a *.adbk file taken (through a
 * symbolic link too; a linked folder is not followed, so no loop). */
static void walk_entry(struct status_run *s, const char *path, const char *name, int depth)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        set_problem(new_arch(s, path), PROBLEM_UNREADABLE, "%s: %s", path, strerror(errno));
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        walk(s, path, depth + 1);
        return;
    }
    if (!adbk_name(name) || (S_ISLNK(st.st_mode) && stat(path, &st) != 0))
        return;
    if (S_ISREG(st.st_mode))
        add_file(s, path, &st);
}

static void walk(struct status_run *s, const char *dir, int depth)
{
    if (depth > MAX_DEPTH) {
        set_problem(new_arch(s, dir), PROBLEM_UNREADABLE, "%s: folders nested deeper than %d are "
                    "not searched", dir, MAX_DEPTH);
        return;
    }
    DIR *d = opendir(dir);
    if (!d) {
        set_problem(new_arch(s, dir), PROBLEM_UNREADABLE, "cannot read folder %s: %s", dir,
                    strerror(errno));
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        names = grow(names, &cap, n + 1, sizeof *names);
        names[n++] = dup_or_die(e->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, by_name); /* the same order on every run */
    size_t dlen = strlen(dir);
    bool slash = dlen && dir[dlen - 1] == '/';
    for (size_t i = 0; i < n; i++) {
        size_t len = dlen + 1 + strlen(names[i]) + 1;
        char *path = malloc(len);
        if (!path) {
            cli_err("out of memory");
            exit(VERDICT_UNKNOWN);
        }
        snprintf(path, len, "%s%s%s", dir, slash ? "" : "/", names[i]);
        walk_entry(s, path, names[i], depth);
        free(path);
        free(names[i]);
    }
    free(names);
}

/* A PATH of the command line: an archive (whatever its name) or a folder. */
static void add_path(struct status_run *s, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        set_problem(new_arch(s, path), PROBLEM_UNREADABLE, "%s: %s", path, strerror(errno));
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        add_file(s, path, &st);
        return;
    }
    size_t before = s->n;
    walk(s, path, 0);
    if (s->n == before)
        set_problem(new_arch(s, path), PROBLEM_EMPTY, "%s: no .adbk file in this folder", path);
}

/* ------------------------------------------------------------ reading one */

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#define RECORD_CHECKSUM 0x51D8E999u /* a record's seek-table Checksum (FORMAT.md 4) */
#define RECORD_MIN 20u              /* the smallest record frame (FORMAT.md 3) */
#define SEEK_BATCH 4096u            /* entries read at a time */

/* Walks the seek table's entries in file order against the index. */
struct seekwalk {
    const struct adbk_reader *r;
    const struct adbk_archive_info *in;
    uint64_t frame, offset;  /* the entry's frame number, and where that frame starts */
    size_t member;           /* the member whose frames come next */
    uint64_t span, content;  /* the current member's sums so far */
    uint64_t prefix;         /* frames before the first member (header, key record) */
    char *msg;
    size_t cap;
};

static bool seek_bad(struct seekwalk *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static bool seek_bad(struct seekwalk *w, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(w->msg, w->cap, "the seek table's entry of frame %" PRIu64 " (byte %" PRIu64
             ") %s", w->frame, w->offset, what);
    return false;
}

/* Largest chunk frame (FORMAT.md 3.3): zstd's compress bound of Chunk_Size. */
static uint64_t chunk_bound(uint64_t c)
{
    return c + (c >> 8) + (c < 131072 ? (131072 - c) >> 11 : 0);
}

/* One entry: Compressed_Size csize, Decompressed_Size dsize, Checksum sum. */
static bool seek_entry(struct seekwalk *w, uint32_t csize, uint32_t dsize, uint32_t sum)
{
    size_t count = adbk_reader_count(w->r);
    bool record = true;
    const struct adbk_entry *e = NULL;
    if (w->frame >= w->prefix && w->frame + 1 < w->in->frame_count) {
        if (w->member >= count)
            return seek_bad(w, "lies between the last member and the index");
        e = adbk_reader_member(w->r, w->member);
        uint64_t j = w->frame - e->first_frame; /* the tiling makes this 0 .. chunks + 1 */
        if (j == 0 && e->offset != w->offset)
            return seek_bad(w, "puts member %zu at byte %" PRIu64 ", the index at %" PRIu64,
                            w->member, w->offset, e->offset);
        record = j == 0 || j == e->chunk_count + 1 || w->in->encrypted;
        if (!record && (dsize == 0 || dsize > w->in->chunk_size ||
                        (j < e->chunk_count && dsize != w->in->chunk_size)))
            return seek_bad(w, "gives chunk %" PRIu64 " of member %zu %" PRIu32 " bytes of "
                            "content (chunk size %" PRIu32 ")", j - 1, w->member, dsize,
                            w->in->chunk_size);
        if (!record && csize > chunk_bound(w->in->chunk_size))
            return seek_bad(w, "gives a chunk frame of %" PRIu32 " bytes, over the bound of "
                            "its chunk size", csize);
        w->span += csize;
        w->content += record ? 0 : dsize;
    }
    if (record && (dsize != 0 || sum != RECORD_CHECKSUM || csize < RECORD_MIN))
        return seek_bad(w, "is not a record's (%" PRIu32 " bytes, content %" PRIu32 ", checksum "
                        "0x%08" PRIX32 ")", csize, dsize, sum);
    if (e && w->frame == e->first_frame + e->chunk_count + 1) {
        if (w->span != e->span || (!w->in->encrypted && w->content != e->size))
            return seek_bad(w, "ends member %zu with %" PRIu64 " stored and %" PRIu64 " content "
                            "bytes; the index says %" PRIu64 " and %" PRIu64, w->member, w->span,
                            w->content, e->span, e->size);
        w->member++;
        w->span = w->content = 0;
    }
    w->offset += csize;
    w->frame++;
    return true;
}

/* The seek table (FORMAT.md 4) against the index and the file's size: the
 * check of "what is read" above. False with msg when they disagree. */
static bool check_seek_table(const struct adbk_source *src, const struct adbk_reader *r,
                             char *msg, size_t cap)
{
    const struct adbk_archive_info *in = adbk_reader_info(r);
    struct seekwalk w = {.r = r, .in = in, .msg = msg, .cap = cap, .prefix = in->encrypted ? 2 : 1};
    if (adbk_reader_count(r))
        w.prefix = adbk_reader_member(r, 0)->first_frame;
    uint64_t frames = in->frame_count, table = 8 + 12 * frames + 9;
    if (table > src->size) { /* the reader checked it; a guard, not a finding */
        snprintf(msg, cap, "the seek table is larger than the file");
        return false;
    }
    uint64_t start = src->size - table;
    uint8_t *buf = malloc(SEEK_BATCH * 12);
    if (!buf) {
        snprintf(msg, cap, "no memory for the seek table");
        return false;
    }
    bool ok = true;
    for (uint64_t k = 0; k < frames && ok; k += SEEK_BATCH) {
        size_t n = (size_t)(frames - k < SEEK_BATCH ? frames - k : SEEK_BATCH);
        int e = src->read_at(src->ctx, start + 8 + 12 * k, buf, n * 12);
        if (e) {
            snprintf(msg, cap, "reading the seek table: %s", strerror(e));
            ok = false;
        }
        for (size_t i = 0; i < n && ok; i++)
            ok = seek_entry(&w, get32(buf + 12 * i), get32(buf + 12 * i + 4),
                            get32(buf + 12 * i + 8));
    }
    free(buf);
    if (ok && w.offset != start) {
        snprintf(msg, cap, "its frames add up to %" PRIu64 " bytes, but the seek table starts "
                 "at byte %" PRIu64 " of the file", w.offset, start);
        ok = false;
    }
    return ok;
}

/* A property's value, copied; NULL when absent or empty. */
static char *prop(const struct adbk_reader *r, const char *key)
{
    const char *v = adbk_reader_property(r, key);
    return v && *v ? dup_or_die(v) : NULL;
}

/* The tombstone lifetime the archive records (FORMAT.md 7, or its clear
 * Not_After when encrypted), else the assumed one. */
static void take_lifetime(const struct status_run *s, struct status_archive *a,
                          const struct adbk_reader *r)
{
    const struct adbk_archive_info *in = adbk_reader_info(r);
    const char *v = adbk_reader_property(r, "tombstone.lifetime.days");
    char *end = NULL;
    unsigned long long days = v ? strtoull(v, &end, 10) : 0;
    if (v && (end == v || *end || *v == '-' || days >= 1000000))
        days = 0; /* as the writer reads it for Not_After */
    if (days) {
        a->tsl_days = (unsigned)days;
        a->not_after = a->created + (int64_t)days * DAY;
    } else if (in->not_after > a->created) {
        a->tsl_days = (unsigned)((in->not_after - a->created) / DAY);
        a->not_after = in->not_after;
    } else {
        a->tsl_days = s->default_tsl;
        a->tsl_assumed = true;
        a->not_after = a->created + (int64_t)s->default_tsl * DAY;
    }
}

static enum status_problem problem_for(adbk_status st)
{
    switch (st) {
    case ADBK_E_NOT_ADBK: return PROBLEM_FOREIGN;
    case ADBK_E_VERSION: return PROBLEM_NEWER;
    case ADBK_E_IO: case ADBK_E_NOMEM: case ADBK_E_INTERRUPTED: return PROBLEM_UNREADABLE;
    default: return PROBLEM_DAMAGED; /* corrupt, checksum, truncated, limit, auth, signature */
    }
}

/* Opens a with the run's keys; an encrypted archive that none opens, with
 * none (its clear parts); one not signed by a trusted key, without --trust,
 * to read what it is and mark it untrusted. */
static adbk_status open_reader(const struct status_run *s, struct status_archive *a,
                               const struct adbk_source *src, struct adbk_reader **r,
                               struct adbk_error *err)
{
    struct adbk_reader_options ro = s->ro;
    if (a->keyless)
        ro.identities = NULL, ro.identity_count = 0;
    adbk_status st = adbk_reader_open_source(src, &ro, r, err);
    if (st == ADBK_E_KEY) {
        a->keyless = true;
        ro.identities = NULL, ro.identity_count = 0;
        st = adbk_reader_open_source(src, &ro, r, err);
    }
    if (st == ADBK_E_SIGNATURE && ro.trusted_count) {
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err->message);
        ro.trusted = NULL, ro.trusted_count = 0;
        st = adbk_reader_open_source(src, &ro, r, err);
        if (st == ADBK_OK)
            set_problem(a, PROBLEM_UNTRUSTED, "%s", why);
    }
    return st;
}

/* Opens one archive and checks its tail and seek table. */
static void inspect(const struct status_run *s, struct status_archive *a)
{
    struct adbk_error err = {0};
    struct adbk_source *src = NULL;
    struct adbk_reader *r = NULL;
    adbk_status st = adbk_source_open_file(a->path, &src, &err);
    if (st == ADBK_OK)
        st = open_reader(s, a, src, &r, &err);
    if (st != ADBK_OK) {
        set_problem(a, problem_for(st), "%s", err.message);
        adbk_source_close(src);
        return;
    }
    const struct adbk_archive_info *in = adbk_reader_info(r);
    a->opened = true;
    a->keyless = in->locked;
    a->encrypted = in->encrypted;
    a->created = in->created_sec;
    a->simulated = cli_is_simulated(r);
    a->server = prop(r, "server");
    a->domain = prop(r, "domain");
    take_lifetime(s, a, r);
    char msg[600];
    if (!check_seek_table(src, r, msg, sizeof msg))
        set_problem(a, PROBLEM_DAMAGED, "%s: %s", a->path, msg);
    adbk_reader_close(r);
    adbk_source_close(src);
}

/* ------------------------------------------------------------ verifying */

struct vctx {
    struct status_run *s;
    char first[700]; /* the first damage found */
};

static void v_damage(void *ctx, const struct adbk_damage *d)
{
    struct vctx *v = ctx;
    if (!v->first[0])
        snprintf(v->first, sizeof v->first, "at byte %" PRIu64 ": %s", d->offset, d->message);
}

static int v_progress(void *ctx, uint64_t done, uint64_t total)
{
    struct vctx *v = ctx;
    (void)total;
    cli_progress_update(&v->s->prog, done, NULL);
    return cli_interrupted;
}

/* The full check of one archive that opened: VERIFY_OK, damage, or
 * VERIFY_UNFINISHED (could not read it to the end). */
static void verify_one(struct status_run *s, struct status_archive *a)
{
    struct adbk_error err = {0};
    struct adbk_source *src = NULL;
    struct adbk_reader *r = NULL;
    adbk_status st = adbk_source_open_file(a->path, &src, &err);
    if (st == ADBK_OK)
        st = open_reader(s, a, src, &r, &err);
    struct vctx v = {.s = s};
    struct adbk_verify_result res;
    if (st == ADBK_OK) {
        cli_progress_init(&s->prog, "verifying", adbk_reader_info(r)->file_size,
                          s->quiet || s->json);
        struct adbk_verify_callbacks cb = {.damage = v_damage, .progress = v_progress, .ctx = &v};
        st = adbk_reader_verify(r, &cb, &res, &err);
        cli_progress_end(&s->prog);
    }
    adbk_reader_close(r);
    adbk_source_close(src);
    if (st == ADBK_OK) {
        a->verify = VERIFY_OK;
    } else if (cli_exit_for(st) == EXIT_DAMAGED) {
        set_problem(a, PROBLEM_DAMAGED, "%s: %s", a->path, v.first[0] ? v.first : err.message);
    } else {
        a->verify = VERIFY_UNFINISHED;
        free(a->message);
        a->message = dup_or_die(st == ADBK_E_ABORTED ? "interrupted" : err.message);
    }
}

/* ------------------------------------------------------------ grouping */

static bool same(const char *x, const char *y)
{
    return (!x && !y) || (x && y && strcasecmp(x, y) == 0);
}

static bool same_dc(const struct status_archive *x, const struct status_archive *y)
{
    if (x->keyless || y->keyless)
        return x->keyless && y->keyless;
    return x->simulated == y->simulated && same(x->server, y->server) &&
           same(x->domain, y->domain);
}

static void group_add(struct status_group *g, size_t i)
{
    g->idx = grow(g->idx, &g->cap, g->n + 1, sizeof *g->idx);
    g->idx[g->n++] = i;
}

static struct status_group *new_group(struct status_run *s)
{
    s->g = grow(s->g, &s->gcap, s->ng + 1, sizeof *s->g);
    struct status_group *g = &s->g[s->ng++];
    memset(g, 0, sizeof *g);
    return g;
}

/* Groups archives that opened by DC; groups are few, so a linear search. */
static void group_all(struct status_run *s)
{
    for (size_t i = 0; i < s->n; i++) {
        struct status_archive *a = &s->a[i];
        if (!a->opened)
            continue;
        size_t k = 0;
        while (k < s->ng && !same_dc(&s->a[s->g[k].idx[0]], a))
            k++;
        if (k == s->ng)
            new_group(s);
        group_add(&s->g[k], i);
    }
    for (size_t e = 0; e < s->nexpect; e++) {
        bool found = false;
        for (size_t k = 0; k < s->ng && !found; k++) {
            const struct status_archive *a = &s->a[s->g[k].idx[0]];
            found = !s->g[k].expected && a->server && !strcasecmp(a->server, s->expect[e]);
        }
        if (!found)
            new_group(s)->expected = s->expect[e];
    }
}

static const struct status_run *sort_run; /* qsort has no context argument */

/* Newest first; the same time (a copy, say) by path. */
static int by_age(const void *x, const void *y)
{
    const struct status_archive *a = &sort_run->a[*(const size_t *)x];
    const struct status_archive *b = &sort_run->a[*(const size_t *)y];
    if (a->created != b->created)
        return a->created > b->created ? -1 : 1;
    return strcmp(a->path, b->path);
}

/* --verify: newest first until one verifies, the others only checked;
 * --verify-all: all. Archives that cannot be restored anyway are skipped
 * unless all are asked for. */
static void verify_group(struct status_run *s, struct status_group *g)
{
    for (size_t i = 0; i < g->n && !cli_interrupted; i++) {
        struct status_archive *a = &s->a[g->idx[i]];
        bool candidate = a->problem == PROBLEM_NONE && !status_expired(s, a) && !status_ahead(s, a);
        if (s->verify == 2 ? a->problem == PROBLEM_NONE : candidate)
            verify_one(s, a);
        if (s->verify == 1 && a->verify == VERIFY_OK)
            break;
    }
}

/* ------------------------------------------------------------ verdicts */

static void why(struct status_group *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void why(struct status_group *g, const char *fmt, ...)
{
    size_t len = strlen(g->reason);
    if (len && len + 2 < sizeof g->reason) {
        memcpy(g->reason + len, "; ", 3);
        len += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->reason + len, sizeof g->reason - len, fmt, ap);
    va_end(ap);
}

/* No archive of g is restorable: CRITICAL, and why; WARNING when some
 * checked out but --verify could not read one to the end. */
static void judge_none(const struct status_run *s, struct status_group *g)
{
    size_t damaged = 0, untrusted = 0, old = 0, early = 0, unfinished = 0;
    for (size_t i = 0; i < g->n; i++) {
        const struct status_archive *a = &s->a[g->idx[i]];
        if (a->problem != PROBLEM_NONE)
            *(a->problem == PROBLEM_UNTRUSTED ? &untrusted : &damaged) += 1;
        else if (status_expired(s, a))
            old++;
        else if (status_ahead(s, a))
            early++;
        else
            unfinished++;
    }
    char when[40];
    if (unfinished) {
        g->verdict = VERDICT_WARNING;
        why(g, "only unverified archives: %zu checked out, but none could be verified to the "
            "end", unfinished);
        return;
    }
    g->verdict = VERDICT_CRITICAL;
    if (old == g->n) {
        why(g, "no restorable archive: the newest is older than the tombstone lifetime (%u "
            "days%s) since %s", g->newest->tsl_days, g->newest->tsl_assumed ? ", assumed" : "",
            cli_utc(g->newest->not_after, CLI_TIME_MIN, when, sizeof when));
        return;
    }
    why(g, "no restorable archive:");
    const struct { size_t n; const char *what; } parts[] = {
        {damaged, "damaged"}, {untrusted, "not signed by a trusted key"},
        {old, "older than the tombstone lifetime"}, {early, "dated ahead of this clock"}};
    const char *sep = " ";
    for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
        if (!parts[k].n)
            continue;
        size_t len = strlen(g->reason);
        snprintf(g->reason + len, sizeof g->reason - len, "%s%zu %s", sep, parts[k].n,
                 parts[k].what);
        sep = ", ";
    }
}

static void judge(struct status_run *s, struct status_group *g)
{
    if (g->expected) {
        g->verdict = VERDICT_CRITICAL;
        why(g, "no archive of this domain controller was found (--expect)");
        return;
    }
    g->newest = &s->a[g->idx[0]];
    for (size_t i = 0; i < g->n && !g->best; i++)
        if (status_restorable(s, &s->a[g->idx[i]]))
            g->best = &s->a[g->idx[i]];
    if (!g->best) {
        judge_none(s, g);
        return;
    }
    const struct status_archive *b = g->best;
    char until[40];
    double age = (double)(s->now - b->created) / DAY;
    g->verdict = VERDICT_OK;
    if (s->now - b->created > (int64_t)b->tsl_days * DAY / 2) {
        g->verdict = VERDICT_WARNING;
        why(g, "the newest restorable backup is %.1f days old, more than half the tombstone "
            "lifetime (%u days%s): a new backup is needed before %s", age, b->tsl_days,
            b->tsl_assumed ? ", assumed" : "", cli_utc(b->not_after, CLI_TIME_MIN, until, sizeof until));
    }
    if (b != g->newest) {
        const struct status_archive *n = g->newest;
        g->verdict = VERDICT_WARNING;
        const char *what = n->problem != PROBLEM_NONE ? status_problem_names[n->problem]
                           : status_ahead(s, n)       ? "dated ahead of this clock"
                           : status_expired(s, n)     ? "older than its own tombstone lifetime"
                                                      : "not verified to the end";
        why(g, "a newer archive than it is %s", what);
    }
    if (g->verdict == VERDICT_OK)
        why(g, "the newest backup is %.1f days old; it can be restored until %s", age,
            cli_utc(b->not_after, CLI_TIME_MIN, until, sizeof until));
}

enum status_verdict status_file_verdict(const struct status_archive *a)
{
    switch (a->problem) {
    case PROBLEM_DAMAGED: case PROBLEM_UNTRUSTED: case PROBLEM_FOREIGN: return VERDICT_WARNING;
    default: return VERDICT_UNKNOWN;
    }
}

static const struct status_run *order_run;

/* Worst first, then by domain and server. */
static int by_verdict(const void *x, const void *y)
{
    static const int weight[] = {0, 2, 3, 1};
    const struct status_group *g = x, *h = y;
    if (g->verdict != h->verdict)
        return weight[h->verdict] - weight[g->verdict];
    if (g->expected || h->expected)
        return g->expected ? (h->expected ? strcasecmp(g->expected, h->expected) : 1) : -1;
    const struct status_archive *a = &order_run->a[g->idx[0]], *b = &order_run->a[h->idx[0]];
    if (a->keyless != b->keyless)
        return a->keyless ? 1 : -1;
    int c = strcasecmp(a->domain ? a->domain : "", b->domain ? b->domain : "");
    return c ? c : strcasecmp(a->server ? a->server : "", b->server ? b->server : "");
}

const char *status_state_word(const struct status_archive *a)
{
    if (a->problem == PROBLEM_DAMAGED)
        return "DAMAGED";
    if (a->problem == PROBLEM_UNTRUSTED)
        return "UNTRUSTED";
    if (a->verify == VERIFY_OK)
        return "verified";
    return a->verify == VERIFY_UNFINISHED ? "unfinished" : "checked";
}

enum status_verdict status_scan(struct status_run *s, char **paths, size_t npaths)
{
    for (size_t i = 0; i < npaths; i++)
        add_path(s, paths[i]);
    for (size_t i = 0; i < s->n; i++)
        if (s->a[i].problem == PROBLEM_NONE)
            inspect(s, &s->a[i]);
    group_all(s);
    sort_run = s;
    for (size_t k = 0; k < s->ng; k++)
        if (s->g[k].n)
            qsort(s->g[k].idx, s->g[k].n, sizeof *s->g[k].idx, by_age);
    for (size_t k = 0; k < s->ng && s->verify; k++)
        verify_group(s, &s->g[k]);
    enum status_verdict worst = VERDICT_OK;
    for (size_t k = 0; k < s->ng; k++) {
        judge(s, &s->g[k]);
        worst = worse(worst, s->g[k].verdict);
    }
    order_run = s;
    if (s->ng)
        qsort(s->g, s->ng, sizeof *s->g, by_verdict);
    for (size_t i = 0; i < s->n; i++)
        if (!s->a[i].opened)
            worst = worse(worst, status_file_verdict(&s->a[i]));
    return worst;
}

void status_free(struct status_run *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->a[i].path);
        free(s->a[i].message);
        free(s->a[i].server);
        free(s->a[i].domain);
    }
    for (size_t k = 0; k < s->ng; k++)
        free(s->g[k].idx);
    free(s->a);
    free(s->g);
}
