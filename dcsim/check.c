/*
 * check.c - the recovery check: is this set of files restorable?
 *
 * Owns: dcsim_check. It is what hard recovery would need: a database whose
 * pages all carry good checksums, and log files running without a gap from
 * the generation the database header asks for (genStart for a backup copy)
 * through the newest generation any page was changed in and the newest log
 * present, every log's header naming its own generation, belonging to this
 * database and, once closed, matching its checksum.
 */
#include "dcsim_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

static dcsim_status problem(struct dcsim_check_report *rep, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static dcsim_status problem(struct dcsim_check_report *rep, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rep->problem, sizeof rep->problem, fmt, ap);
    va_end(ap);
    return dc_fail(DCSIM_E_CHECK, "%s", rep->problem);
}

static int read_full(int fd, uint8_t *p, size_t n, uint64_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, p + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

/* Verifies one log file; 0 ok, else writes the reason into why. */
static int log_verify(const char *path, uint32_t want_gen, int want_closed,
                      uint64_t sig, uint8_t *buf, uint32_t *gen_out, char *why,
                      size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, cap, "%s: cannot open (%s)", path, strerror(errno));
        return -1;
    }
    int rc = read_full(fd, buf, DCSIM_LOG_SIZE, 0);
    close(fd);
    if (rc) {
        snprintf(why, cap, "%s: shorter than %u bytes", path, DCSIM_LOG_SIZE);
        return -1;
    }
    uint32_t gen = le_get32(buf + LG_GEN), state = le_get32(buf + LG_STATE);
    *gen_out = gen;
    if (memcmp(buf, LOG_MAGIC, 8) != 0) {
        snprintf(why, cap, "%s: not a log file (bad magic)", path);
        return -1;
    }
    if (want_gen && gen != want_gen) {
        snprintf(why, cap, "%s: header says generation 0x%" PRIX32 ", the name says "
                 "0x%" PRIX32, path, gen, want_gen);
        return -1;
    }
    if (le_get64(buf + LG_SIG) != sig) {
        snprintf(why, cap, "%s: belongs to another database (signature %016" PRIX64
                 ", database %016" PRIX64 ")", path, le_get64(buf + LG_SIG), sig);
        return -1;
    }
    if (want_closed && state != LGS_CLOSED) {
        snprintf(why, cap, "%s: generation 0x%" PRIX32 " was never closed", path, gen);
        return -1;
    }
    if (state == LGS_CLOSED &&
        le_get64(buf + LG_CHECKSUM) !=
            XXH3_64bits_withSeed(buf + 0x10, DCSIM_LOG_SIZE - 0x10, gen)) {
        snprintf(why, cap, "%s: checksum mismatch (generation 0x%" PRIX32 ")", path, gen);
        return -1;
    }
    return 0;
}

dcsim_status dcsim_check(const char *dir, const struct dcsim_check_opts *opts,
                         struct dcsim_check_report *rep)
{
    struct dcsim_check_opts none = {0};
    char path[PATH_MAX], why[600];
    uint8_t *buf = NULL, hdr[DBH_END];
    dcsim_status rc = DCSIM_OK;
    int fd = -1;
    DIR *d = NULL;
    uint32_t *have = NULL;
    dc_clear_error();
    if (!dir || !rep)
        return dc_fail(DCSIM_E_ARG, "dcsim_check: dir and report are required");
    if (!opts)
        opts = &none;
    memset(rep, 0, sizeof *rep);
    const char *log_dir = opts->log_dir ? opts->log_dir : dir;

    if (path_join(path, sizeof path, dir, "ntds.dit"))
        return dc_fail(DCSIM_E_ARG, "%s: path too long", dir);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = errno == ENOENT ? problem(rep, "%s: database missing", path) :
             dc_fail(DCSIM_E_IO, "%s: cannot open (%s)", path, strerror(errno));
        goto out;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || read_full(fd, hdr, sizeof hdr, 0) != 0 ||
        memcmp(hdr + DBH_MAGIC, DB_MAGIC, 8) != 0) {
        rc = problem(rep, "%s: not a database (header page unreadable or bad magic)",
                     path);
        goto out;
    }
    uint32_t ps = le_get32(hdr + DBH_PAGESIZE);
    uint64_t pages = le_get64(hdr + DBH_PAGES), sig = le_get64(hdr + DBH_SIG);
    if ((ps != 8192 && ps != 32768) || pages < 64) {
        rc = problem(rep, "%s: header has page size %" PRIu32 " and %" PRIu64
                     " pages", path, ps, pages);
        goto out;
    }
    uint64_t fsize = (uint64_t)sb.st_size, filepages = pages;
    if (fsize == (pages + DB_TRAILER_PAGES) * ps) {
        rep->restore_data = 1;
        filepages = pages + DB_TRAILER_PAGES;
    } else if (fsize != pages * ps) {
        rc = problem(rep, "%s: %" PRIu64 " bytes, but the header says %" PRIu64
                     " pages of %" PRIu32, path, fsize, pages, ps);
        goto out;
    }
    rep->pages = filepages;
    rep->gen_needed_low = le_get32(hdr + DBH_GENLOW);
    if (opts->gen_low > rep->gen_needed_low) {
        rep->hr = hrRestoreLogTooHigh;
        rc = problem(rep, "the logs given start at generation 0x%" PRIX32 ", but the database "
                     "needs every log from 0x%" PRIX32 " on (hrRestoreLogTooHigh)", opts->gen_low,
                     rep->gen_needed_low);
        goto out;
    }
    if (opts->gen_low)
        rep->gen_needed_low = opts->gen_low;
    size_t chunk = 128u * ps;
    buf = malloc(chunk > DCSIM_LOG_SIZE ? chunk : DCSIM_LOG_SIZE);
    if (!buf) {
        rc = dc_fail(DCSIM_E_NOMEM, "%s: no memory for the check", path);
        goto out;
    }
    for (uint64_t pg = 0; pg < filepages && !opts->skip_pages;) {
        uint64_t n = filepages - pg < 128 ? filepages - pg : 128;
        if (read_full(fd, buf, (size_t)n * ps, pg * ps) != 0) {
            rc = dc_fail(DCSIM_E_IO, "%s: read at page %" PRIu64 " failed", path, pg);
            goto out;
        }
        for (uint64_t i = 0; i < n; i++, pg++) {
            const uint8_t *p = buf + i * ps;
            if (!page_verify(p, ps, pg)) {
                if (!rep->bad_pages++)
                    rep->first_bad_page = pg;
                continue;
            }
            uint32_t g = le_get32(p + PG_GEN);
            if (g > rep->gen_needed_high)
                rep->gen_needed_high = g;
        }
    }
    if (rep->bad_pages) {
        rc = problem(rep, "%s: %" PRIu64 " page(s) fail their checksum, first page %"
                     PRIu64 " at offset %" PRIu64, path, rep->bad_pages,
                     rep->first_bad_page, rep->first_bad_page * ps);
        goto out;
    }

    /* Logs: which generations are present? */
    d = opendir(log_dir);
    if (!d) {
        rc = problem(rep, "%s: log folder unreadable (%s)", log_dir, strerror(errno));
        goto out;
    }
    size_t nhave = 0, caphave = 0;
    uint32_t cur_gen = 0, hi_present = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        uint32_t g;
        if (!strcasecmp(e->d_name, "edb.log")) {
            uint32_t hg = 0;
            if (path_join(path, sizeof path, log_dir, e->d_name) ||
                log_verify(path, 0, 0, sig, buf, &hg, why, sizeof why) != 0) {
                rc = problem(rep, "%s", why);
                goto out;
            }
            cur_gen = hg;
            continue;
        }
        if (log_name_parse(e->d_name, &g) != 0 || g < rep->gen_needed_low)
            continue;
        if (nhave == caphave) {
            caphave = caphave ? caphave * 2 : 64;
            uint32_t *nh = realloc(have, caphave * sizeof *nh);
            if (!nh) {
                rc = dc_fail(DCSIM_E_NOMEM, "%s: no memory", log_dir);
                goto out;
            }
            have = nh;
        }
        have[nhave++] = g;
        if (g > hi_present)
            hi_present = g;
    }
    if (cur_gen > hi_present)
        hi_present = cur_gen;
    uint32_t lo = rep->gen_needed_low, hi = hi_present;
    if (rep->gen_needed_high > hi)
        hi = rep->gen_needed_high;
    if (opts->gen_high > hi)
        hi = opts->gen_high;
    if (lo == 0 || hi < lo) {
        rep->hr = hrMissingRestoreLogFiles;
        rc = problem(rep, "%s: no log generation from 0x%" PRIX32 " on is present "
                     "(hrMissingRestoreLogFiles)", log_dir, lo);
        goto out;
    }
    for (uint32_t g = lo; g <= hi; g++) {
        int found = g == cur_gen;
        for (size_t i = 0; i < nhave && !found; i++)
            found = have[i] == g;
        char ln[32];
        log_name(g, ln, sizeof ln);
        if (!found) {
            if (g > hi_present) {
                rep->hr = hrRestoreLogTooLow;
                rc = problem(rep, "log generation 0x%" PRIX32 " (%s) missing: database "
                             "pages were changed in generation 0x%" PRIX32 " but the "
                             "logs end at 0x%" PRIX32 " (hrRestoreLogTooLow)", g, ln,
                             rep->gen_needed_high, hi_present);
            } else {
                rep->hr = hrMissingLogFile;
                rc = problem(rep, "log generation 0x%" PRIX32 " (%s) missing: logs must "
                             "run without a gap from 0x%" PRIX32 " through 0x%" PRIX32
                             " (hrMissingLogFile)", g, ln, lo, hi);
            }
            goto out;
        }
        if (g == cur_gen)
            continue; /* edb.log, verified above */
        uint32_t hg;
        if (path_join(path, sizeof path, log_dir, ln) ||
            log_verify(path, g, 1, sig, buf, &hg, why, sizeof why) != 0) {
            rc = problem(rep, "%s", why);
            goto out;
        }
        rep->logs++;
    }
    if (cur_gen >= lo && cur_gen <= hi)
        rep->logs++;
    rep->gen_first = lo;
    rep->gen_last = hi;
out:
    if (d)
        closedir(d);
    if (fd >= 0)
        close(fd);
    free(buf);
    free(have);
    return rc;
}
