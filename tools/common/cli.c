/*
 * cli.c - the list and verify commands and the helpers both front ends use.
 * Reads archives through the public reader API only, so it checks the format
 * as FORMAT.md defines it.
 */
#include "cli.h"
#include "keys.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *cli_prog = "adbk";
volatile int cli_interrupted;

#ifndef ADBK_VERSION_STRING
#define ADBK_VERSION_STRING "0"
#endif

void cli_version(void)
{
    printf("%s %s (archive format %d.%d; %d.%d encrypted)\n", cli_prog, ADBK_VERSION_STRING,
           ADBK_FORMAT_MAJOR, ADBK_FORMAT_MINOR, ADBK_FORMAT_ENCRYPTED_MAJOR,
           ADBK_FORMAT_ENCRYPTED_MINOR);
}

/* --help's option lines: every description starts in column HELP_COLUMN
 * (an option too long for that has it on the next line) and is wrapped to
 * HELP_WIDTH columns, so the options of every command line up whatever
 * their text's own spacing. */
enum { HELP_COLUMN = 25, HELP_WIDTH = 80 };

static void help_option(FILE *f, const char *opt, size_t optlen, const char *desc)
{
    fprintf(f, "  %.*s", (int)optlen, opt);
    size_t col = 2 + optlen;
    bool first = true;
    if (col + 2 > HELP_COLUMN && *desc) {
        fputc('\n', f);
        col = 0;
    }
    for (const char *p = desc; *p;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        size_t n = strcspn(p, " ");
        if (first) {
            fprintf(f, "%*s", (int)(HELP_COLUMN - col), "");
            col = HELP_COLUMN;
        } else if (col + 1 + n > HELP_WIDTH) {
            fprintf(f, "\n%*s", HELP_COLUMN, "");
            col = HELP_COLUMN;
        } else {
            fputc(' ', f);
            col++;
        }
        fwrite(p, 1, n, f);
        col += n;
        p += n;
        first = false;
    }
    fputc('\n', f);
}

/* An option line is "  -x, --xx ARG  what it does" (the option, then two
 * spaces), continued by the more indented lines after it. */
static void help_text(FILE *f, const char *text)
{
    size_t cap = strlen(text) + 1;
    char *desc = malloc(cap);
    while (*text) {
        size_t len = strcspn(text, "\n");
        const char *next = text + len + (text[len] == '\n');
        if (!desc || len < 3 || strncmp(text, "  -", 3) != 0) {
            fprintf(f, "%.*s\n", (int)len, text);
            text = next;
            continue;
        }
        const char *opt = text + 2, *gap = strstr(opt, "  ");
        size_t optlen = gap && gap < text + len ? (size_t)(gap - opt) : len - 2;
        size_t d = 0;
        for (const char *p = opt + optlen; p < text + len; p++)
            desc[d++] = *p;
        while (strncmp(next, "    ", 4) == 0) { /* its continuation lines */
            size_t l = strcspn(next, "\n");
            desc[d++] = ' ';
            memcpy(desc + d, next, l);
            d += l;
            next += l + (next[l] == '\n');
        }
        desc[d] = 0;
        help_option(f, opt, optlen, desc);
        text = next;
    }
    free(desc);
}

void cli_help(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *text = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!text) {
        fputs(fmt, stdout); /* unformatted, better than nothing */
        return;
    }
    va_start(ap, fmt);
    vsnprintf(text, (size_t)n + 1, fmt, ap);
    va_end(ap);
    help_text(stdout, text);
    free(text);
}

/* Formats, then writes the result through cli_safe_str. */
static void safe_vprintf(FILE *f, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void safe_vprintf(FILE *f, const char *fmt, va_list ap)
{
    char small[1024], *msg = small;
    va_list aq;
    va_copy(aq, ap);
    int n = vsnprintf(small, sizeof small, fmt, aq);
    va_end(aq);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof small) {
        char *big = malloc((size_t)n + 1);
        if (big && vsnprintf(big, (size_t)n + 1, fmt, ap) >= 0)
            msg = big; /* else the first 1023 bytes, better than nothing */
        else
            free(big);
    }
    cli_safe_str(f, msg);
    if (msg != small)
        free(msg);
}

void cli_safe_printf(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    safe_vprintf(f, fmt, ap);
    va_end(ap);
}

/* Messages carry names from archives and file systems (the libraries' error
 * messages too): all of it is escaped. */
static void say(const char *what, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void say(const char *what, const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: %s: ", cli_prog, what);
    safe_vprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

/* --json: where a failure's object goes, and for which archive. */
static struct {
    FILE *f; /* NULL: --json not given */
    const char *archive;
    bool verify, done;
} json_fail;

void cli_json_failures(FILE *f, const char *archive, bool verify)
{
    json_fail.f = f;
    json_fail.archive = archive;
    json_fail.verify = verify;
}

void cli_json_done(void) { json_fail.done = true; }

void cli_json_error(adbk_status st, const char *message)
{
    FILE *f = json_fail.f;
    if (!f || json_fail.done)
        return;
    json_fail.done = true;
    fprintf(f, "{\"archive\":");
    if (json_fail.archive)
        cli_json_str(f, json_fail.archive);
    else
        fputs("null", f);
    fprintf(f, ",\"ok\":false%s,\"status\":", json_fail.verify ? ",\"intact\":false" : "");
    cli_json_str(f, st == ADBK_OK ? "error" : adbk_strerror(st));
    fprintf(f, ",\"message\":");
    cli_json_str(f, message);
    fprintf(f, "}\n");
    fflush(f);
}

static void err_v(adbk_status st, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void err_v(adbk_status st, const char *fmt, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    say("error", fmt, ap);
    if (json_fail.f && !json_fail.done) {
        char small[1024], *msg = small;
        va_list ar;
        va_copy(ar, aq);
        int n = vsnprintf(small, sizeof small, fmt, aq);
        if (n >= 0 && (size_t)n >= sizeof small) {
            char *big = malloc((size_t)n + 1);
            if (big && vsnprintf(big, (size_t)n + 1, fmt, ar) >= 0)
                msg = big;
            else
                free(big);
        }
        va_end(ar);
        cli_json_error(st, n < 0 ? "" : msg);
        if (msg != small)
            free(msg);
    }
    va_end(aq);
}

void cli_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_v(ADBK_OK, fmt, ap);
    va_end(ap);
}

void cli_err_status(adbk_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_v(st, fmt, ap);
    va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say("warning", fmt, ap);
    va_end(ap);
}

void cli_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say("note", fmt, ap);
    va_end(ap);
}

int cli_exit_for(adbk_status st)
{
    switch (st) {
    case ADBK_OK: return EXIT_OK;
    case ADBK_E_CORRUPT: case ADBK_E_CHECKSUM: case ADBK_E_TRUNCATED: case ADBK_E_NOT_ADBK:
    case ADBK_E_AUTH: case ADBK_E_SIGNATURE:
        return EXIT_DAMAGED;
    default: return EXIT_ERROR;
    }
}

/* The long options of table o that name starts (up to '=' or its end). */
static size_t long_matches(const struct option *o, const char *name, size_t n,
                           const struct option **exact)
{
    size_t count = 0;
    *exact = NULL;
    for (; o && o->name; o++) {
        if (strncmp(o->name, name, n) != 0)
            continue;
        if (o->name[n] == '\0')
            *exact = o;
        count++;
    }
    return count;
}

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
               const char *cmd)
{
    /* A leading ':' makes getopt tell a missing argument (':') from an
     * unknown option ('?'). */
    char shorts[64];
    snprintf(shorts, sizeof shorts, ":%s", shortopts[0] == ':' ? shortopts + 1 : shortopts);
    opterr = 0;
    int c = getopt_long(argc, argv, shorts, longopts, NULL);
    if (c != '?' && c != ':')
        return c;
    const char *tok = optind > 0 && optind <= argc ? argv[optind - 1] : "";
    bool is_long = strncmp(tok, "--", 2) == 0;
    char opt[200];
    if (is_long)
        snprintf(opt, sizeof opt, "%.*s", (int)strcspn(tok, "="), tok);
    else
        snprintf(opt, sizeof opt, "-%c", optopt > 0 && optopt < 128 ? optopt : '?');
    char what[300];
    const struct option *exact;
    size_t n = is_long ? long_matches(longopts, opt + 2, strlen(opt) - 2, &exact) : 0;
    if (c == ':')
        snprintf(what, sizeof what, "option '%s' needs an argument", opt);
    else if (is_long && exact && exact->has_arg == no_argument && strchr(tok, '='))
        snprintf(what, sizeof what, "option '%s' takes no argument", opt);
    else if (is_long && !exact && n > 1) {
        int w = snprintf(what, sizeof what, "option '%s' is ambiguous:", opt);
        size_t k = 0;
        for (const struct option *o = longopts; o->name && w > 0 && (size_t)w < sizeof what; o++)
            if (strncmp(o->name, opt + 2, strlen(opt) - 2) == 0)
                w += snprintf(what + w, sizeof what - (size_t)w, "%s --%s", k++ ? "," : "",
                              o->name);
    }
    else
        snprintf(what, sizeof what, "unknown option '%s'", opt);
    if (cmd)
        cli_safe_printf(stderr, "%s %s: %s (try '%s %s --help')", cli_prog, cmd, what, cli_prog,
                        cmd);
    else
        cli_safe_printf(stderr, "%s: %s (try '%s --help')", cli_prog, what, cli_prog);
    fputc('\n', stderr);
    return '?';
}

const char *cli_size(uint64_t b, char *buf, size_t cap)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = (double)b;
    int u = 0;
    while (v >= 1024 && u < 5) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, cap, "%u B", (unsigned)b); /* b < 1024 here */
    else
        snprintf(buf, cap, "%.1f %s", v, unit[u]);
    return buf;
}

bool cli_parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-')
        return false;
    unsigned shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    case '\0': break;
    default: return false;
    }
    if (*end == 'i' && shift)
        end++;
    if ((*end == 'B' || *end == 'b') && shift)
        end++;
    if (*end || v > (UINT64_MAX >> shift))
        return false;
    *out = (uint64_t)v << shift;
    return true;
}

bool cli_parse_seconds_ms(const char *s, uint32_t *ms_out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= 0.001 && v <= 86400.0))
        return false;
    *ms_out = (uint32_t)(v * 1000.0 + 0.5);
    return true;
}

bool cli_parse_threads(const char *s, unsigned *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || end == s || v < 1 || v > 256)
        return false;
    *out = (unsigned)v;
    return true;
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cli_json_str(FILE *f, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    fputc('"', f);
    while (*s) {
        size_t n = adbk_utf8_seq((const char *)s);
        if (*s == '"' || *s == '\\') {
            fprintf(f, "\\%c", *s);
        } else if (*s < 0x20 || *s == 0x7F) {
            fprintf(f, "\\u%04x", *s);
        } else if (n == 0) {
            /* JSON holds no bytes that are not UTF-8: such a byte is given
             * as the text \xHH (FORMAT.md 1), never as the character U+00HH */
            fprintf(f, "\\\\x%02X", *s);
        } else {
            fwrite(s, 1, n, f);
        }
        s += n ? n : 1;
    }
    fputc('"', f);
}

void cli_safe_str(FILE *f, const char *str)
{
    for (const char *s = str; *s;) {
        size_t n = adbk_escape_len(s);
        if (n == 0)
            fprintf(f, "\\x%02X", (unsigned char)*s++);
        else {
            fwrite(s, 1, n, f);
            s += n;
        }
    }
}

void cli_progress_init(struct cli_progress *p, const char *verb, uint64_t total, bool quiet)
{
    memset(p, 0, sizeof *p);
    p->enabled = !quiet && isatty(STDERR_FILENO);
    p->verb = verb;
    p->total = total;
    p->start = cli_now();
}

bool cli_eta(double elapsed, uint64_t done, uint64_t total, double *left)
{
    if (total == 0 || done == 0 || done >= total || elapsed < CLI_ETA_AFTER ||
        (double)done < CLI_ETA_SHARE * (double)total)
        return false;
    *left = elapsed * (double)(total - done) / (double)done;
    return true;
}

const char *cli_duration(double secs, char *buf, size_t cap)
{
    if (secs < 90)
        snprintf(buf, cap, "%.0f s", secs);
    else if (secs < 90 * 60)
        snprintf(buf, cap, "%.0f min", secs / 60);
    else
        snprintf(buf, cap, "%.1f h", secs / 3600);
    return buf;
}

void cli_progress_update(struct cli_progress *p, uint64_t done, const char *what)
{
    if (!p->enabled)
        return;
    double now = cli_now();
    if (now - p->last < 0.1)
        return;
    p->last = now;
    double secs = now - p->start, left;
    char a[16], b[16], c[16], d[16];
    fprintf(stderr, "\r\033[K%s %s", p->verb, cli_size(done, a, sizeof a));
    if (p->total) {
        fprintf(stderr, " of %s (%.0f%%)", cli_size(p->total, b, sizeof b),
                100.0 * (double)done / (double)p->total);
        if (cli_eta(secs, done, p->total, &left))
            fprintf(stderr, ", %s left", cli_duration(left, d, sizeof d));
    }
    /* A rate over the first instants says nothing. */
    if (secs >= CLI_ETA_AFTER)
        fprintf(stderr, ", %s/s", cli_size((uint64_t)((double)done / secs), c, sizeof c));
    if (what) {
        fputs("  ", stderr);
        cli_safe_str(stderr, what);
    }
    fflush(stderr);
}

void cli_progress_end(struct cli_progress *p)
{
    if (p->enabled && p->last > 0)
        fputs("\r\033[K", stderr);
}

void cli_job_warning(void *ctx, const char *msg)
{
    struct cli_job *j = ctx;
    j->warnings++;
    cli_progress_end(&j->prog);
    cli_warn("%s", msg);
}

void cli_job_note(void *ctx, const char *msg)
{
    struct cli_job *j = ctx;
    if (j->quiet)
        return;
    cli_progress_end(&j->prog);
    cli_note("%s", msg);
}

#define PLAIN_EVERY 5.0 /* seconds between progress lines when stderr is no terminal */

void cli_job_init(struct cli_job *j, bool quiet)
{
    memset(j, 0, sizeof *j);
    j->quiet = quiet;
    j->plain = !quiet && !isatty(STDERR_FILENO);
    j->last_plain = cli_now();
}

void cli_job_total(void *ctx, uint64_t bytes)
{
    struct cli_job *j = ctx;
    j->job_total = bytes;
    j->job_base = 0;
    j->job_start = cli_now();
}

void cli_job_file_begin(struct cli_job *j, const char *verb, const char *name, uint64_t size)
{
    cli_progress_end(&j->prog);
    if (j->job_total) {
        /* One line for the whole job: its total, its start, its rate. */
        j->job_base += j->cur_size;
        cli_progress_init(&j->prog, verb, j->job_total, j->quiet);
        j->prog.start = j->job_start;
    } else {
        cli_progress_init(&j->prog, verb, size, j->quiet);
    }
    snprintf(j->cur, sizeof j->cur, "%s", name);
    j->cur_size = size;
    j->file_start = cli_now();
}

void cli_job_file_progress(struct cli_job *j, uint64_t done)
{
    cli_progress_update(&j->prog, j->job_total ? j->job_base + done : done, j->cur);
    if (!j->plain)
        return;
    double now = cli_now();
    if (now - j->last_plain < PLAIN_EVERY)
        return;
    j->last_plain = now;
    double secs = now - j->file_start, left;
    char a[16], t[16], r[16], d[16];
    fprintf(stderr, "%s: ", cli_prog);
    cli_safe_str(stderr, j->cur);
    fprintf(stderr, ": %s of %s (%.0f%%)", cli_size(done, a, sizeof a),
            cli_size(j->cur_size, t, sizeof t),
            j->cur_size ? 100.0 * (double)done / (double)j->cur_size : 100.0);
    if (secs >= CLI_ETA_AFTER)
        fprintf(stderr, ", %s/s", cli_size((uint64_t)((double)done / secs), r, sizeof r));
    if (j->job_total) {
        uint64_t all = j->job_base + done;
        fprintf(stderr, "; all: %s of %s (%.0f%%)", cli_size(all, a, sizeof a),
                cli_size(j->job_total, t, sizeof t), 100.0 * (double)all / (double)j->job_total);
        if (cli_eta(now - j->job_start, all, j->job_total, &left))
            fprintf(stderr, ", %s left", cli_duration(left, d, sizeof d));
    } else if (cli_eta(secs, done, j->cur_size, &left)) {
        fprintf(stderr, ", %s left", cli_duration(left, d, sizeof d));
    }
    fputc('\n', stderr);
}

int cli_job_cancelled(void *ctx)
{
    (void)ctx;
    return cli_interrupted;
}

bool cli_take_level(int *argc, char **argv, int *level)
{
    int n = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] >= '0' && a[1] <= '9' &&
            strspn(a + 1, "0123456789") == strlen(a + 1)) {
            *level = atoi(a + 1);
            if (*level < 1 || *level > 19) {
                cli_err("compression level %s is outside -1..-19", a);
                return false;
            }
        } else {
            argv[n++] = argv[i];
        }
    }
    *argc = n;
    return true;
}

static void on_signal(int sig)
{
    (void)sig;
    cli_interrupted = 1;
}

void cli_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a closed pipe is a write error, reported as such */
}

/* ------------------------------------------------------------ list */

static const char *kind_label(unsigned kind, char *buf, size_t cap)
{
    const char *k = adbk_kind_name(kind);
    if (k)
        return k;
    snprintf(buf, cap, "kind-%u", kind);
    return buf;
}

const char *cli_utc(int64_t t, enum cli_time_form form, char *buf, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    size_t n = 0;
    if (gmtime_r(&tt, &tm)) { /* port/ gives Windows its gmtime_r */
        switch (form) {
        case CLI_TIME: n = strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm); break;
        case CLI_TIME_UTC: n = strftime(buf, cap, "%Y-%m-%d %H:%M:%S UTC", &tm); break;
        case CLI_TIME_MIN: n = strftime(buf, cap, "%Y-%m-%d %H:%M UTC", &tm); break;
        case CLI_TIME_ISO: n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm); break;
        }
    }
    if (n == 0)
        snprintf(buf, cap, "%lld", (long long)t);
    return buf;
}

bool cli_is_simulated(const struct adbk_reader *r)
{
    const char *v = adbk_reader_property(r, "source");
    return v && !strcmp(v, "dcsim");
}

const char *cli_member_note(const struct adbk_reader *r, const struct adbk_entry *e)
{
    const char *v = adbk_reader_property(r, "source");
    if (e->kind != ADBK_KIND_DATABASE || !v || (strcmp(v, "dsbackup") && strcmp(v, "dcsim")))
        return NULL;
    return "the server's backup stream of the database, longer than ntds.dit on the DC by the "
           "pages of restore information the server appends while it is copied; a restore and "
           "the directory's first start fold them in, and the file then has its size again";
}

/* What salvage recorded of an archive it wrote (FORMAT.md 11, the property
 * salvage.result), or NULL when salvage did not write it. *incomplete: some
 * member of the damaged archive could not be recovered whole. */
static const char *salvaged(const struct adbk_reader *r, bool *incomplete)
{
    const char *v = adbk_reader_property(r, "salvage.result");
    *incomplete = v && strncmp(v, "complete", 8) != 0;
    return v;
}

/* "salvaged from a damaged archive: INCOMPLETE: 1 of 6 members damaged; ..." */
static void salvaged_text(FILE *f, const char *v, bool incomplete)
{
    fprintf(f, "salvaged from a damaged archive: ");
    if (incomplete && !strncmp(v, "incomplete", 10)) {
        fprintf(f, "INCOMPLETE");
        v += 10;
    }
    cli_safe_str(f, v);
}

static void salvaged_json(const char *v, bool incomplete)
{
    printf(",\"salvaged\":");
    if (!v) {
        printf("null");
        return;
    }
    printf("{\"complete\":%s,\"result\":", incomplete ? "false" : "true");
    cli_json_str(stdout, v);
    putchar('}');
}

/* Writes len bytes as base64 (RFC 4648, padded), the form getfattr -e base64
 * prints after its "0s". */
static void base64(FILE *f, const uint8_t *p, size_t len)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        fputc(abc[v >> 18], f);
        fputc(abc[(v >> 12) & 63], f);
        fputc(i + 1 < len ? abc[(v >> 6) & 63] : '=', f);
        fputc(i + 2 < len ? abc[v & 63] : '=', f);
    }
}

/* A member's owner and extended attributes (format 1.1), as JSON fields:
 * "uid", "gid", "user", "group" and "xattrs", a list of {"name", "size",
 * "base64"}; each only when the member stores it. */
static void json_extras(const struct adbk_entry *e)
{
    if (e->flags & ADBK_HAS_OWNER) {
        printf(",\"uid\":%" PRIu32 ",\"gid\":%" PRIu32 ",\"user\":", e->uid, e->gid);
        cli_json_str(stdout, e->user);
        printf(",\"group\":");
        cli_json_str(stdout, e->group);
    }
    if (!(e->flags & ADBK_HAS_XATTRS))
        return;
    printf(",\"xattrs\":[");
    for (size_t k = 0; k < e->xattr_count; k++) {
        const struct adbk_xattr *a = &e->xattrs[k];
        printf("%s{\"name\":", k ? "," : "");
        cli_json_str(stdout, a->name);
        printf(",\"size\":%zu,\"base64\":\"", a->size);
        base64(stdout, a->value, a->size);
        printf("\"}");
    }
    putchar(']');
}

/* The owner and the attributes' names and sizes under a member's line of
 * list --long, indented. */
static void text_extras(const struct adbk_entry *e)
{
    if (e->flags & ADBK_HAS_OWNER) {
        printf("%14s owner %" PRIu32 ":%" PRIu32 " (", "", e->uid, e->gid);
        cli_safe_str(stdout, e->user[0] ? e->user : "?");
        putchar(':');
        cli_safe_str(stdout, e->group[0] ? e->group : "?");
        printf(")\n");
    }
    for (size_t k = 0; k < e->xattr_count; k++) {
        printf("%14s xattr %zu bytes  ", "", e->xattrs[k].size);
        cli_safe_str(stdout, e->xattrs[k].name);
        putchar('\n');
    }
    if ((e->flags & ADBK_HAS_XATTRS) && e->xattr_count == 0)
        printf("%14s xattr none\n", "");
}

static void list_json(const char *path, struct adbk_reader *r)
{
    const struct adbk_archive_info *ai = adbk_reader_info(r);
    char id[33], tbuf[32], kb[16];
    adbk_hex128(ai->archive_id, id);
    cli_utc(ai->created_sec, CLI_TIME, tbuf, sizeof tbuf);
    printf("{\"archive\":");
    cli_json_str(stdout, path);
    printf(",\"format\":\"%u.%u\",\"id\":\"%s\",\"created\":%lld,\"created_utc\":\"%sZ\","
           "\"tool\":", ai->format_major, ai->format_minor, id, (long long)ai->created_sec, tbuf);
    cli_json_str(stdout, ai->tool ? ai->tool : "");
    printf(",\"simulated\":%s", cli_is_simulated(r) ? "true" : "false");
    bool incomplete;
    const char *salv = salvaged(r, &incomplete);
    salvaged_json(salv, incomplete);
    cli_keys_json(stdout, ai);
    printf(",\"chunk_size\":%u,\"file_size\":%" PRIu64 ",\"properties\":{", ai->chunk_size,
           ai->file_size);
    for (size_t i = 0; i < ai->property_count; i++) {
        printf(i ? "," : "");
        cli_json_str(stdout, ai->properties[i].key);
        putchar(':');
        cli_json_str(stdout, ai->properties[i].value);
    }
    printf("},\"members\":[");
    for (size_t i = 0; i < adbk_reader_count(r); i++) {
        const struct adbk_entry *e = adbk_reader_member(r, i);
        char hex[33];
        adbk_hex128(e->xxh128, hex);
        printf("%s{\"name\":", i ? "," : "");
        cli_json_str(stdout, e->name);
        if (ai->locked) { /* only what is in clear (FORMAT.md 13.1) */
            printf(",\"number\":%zu,\"size\":%" PRIu64 ",\"stored\":%" PRIu64
                   ",\"chunks\":%" PRIu64 ",\"offset\":%" PRIu64 "}", i, e->size, e->span,
                   e->chunk_count, e->offset);
            continue;
        }
        printf(",\"kind\":\"%s\",\"bft\":%u,\"size\":%" PRIu64 ",\"stored\":%" PRIu64
               ",\"chunks\":%" PRIu64 ",\"offset\":%" PRIu64 ",\"xxh128\":\"%s\"",
               kind_label(e->kind, kb, sizeof kb), e->bft, e->size, e->span, e->chunk_count,
               e->offset, hex);
        if (e->flags & ADBK_HAS_MTIME)
            printf(",\"mtime\":%lld", (long long)e->mtime_sec);
        if (e->flags & ADBK_HAS_MODE)
            printf(",\"mode\":\"%04o\"", e->mode);
        if (e->source_path[0]) {
            printf(",\"source_path\":");
            cli_json_str(stdout, e->source_path);
        }
        json_extras(e);
        const char *note = cli_member_note(r, e);
        if (note) {
            printf(",\"note\":");
            cli_json_str(stdout, note);
        }
        putchar('}');
    }
    printf("]}\n");
}

static void list_text(const char *path, struct adbk_reader *r, bool lng)
{
    const struct adbk_archive_info *ai = adbk_reader_info(r);
    uint64_t total = 0;
    for (size_t i = 0; i < adbk_reader_count(r); i++)
        total += adbk_reader_member(r, i)->size;
    char id[33], tbuf[32], a[16], b[16], kb[16];
    adbk_hex128(ai->archive_id, id);
    cli_utc(ai->created_sec, CLI_TIME, tbuf, sizeof tbuf);
    if (cli_is_simulated(r))
        printf("%s\n\n", CLI_SIMULATED_WARNING);
    printf("archive   ");
    cli_safe_str(stdout, path);
    printf("\nformat    %u.%u, written by ", ai->format_major, ai->format_minor);
    cli_safe_str(stdout, ai->tool ? ai->tool : "?");
    printf("\nid        %s\ncreated   %s UTC\n", id, tbuf);
    cli_keys_describe(stdout, path, ai);
    for (size_t i = 0; i < ai->property_count; i++) {
        const char *key = ai->properties[i].key, *value = ai->properties[i].value;
        size_t klen = strlen(key);
        cli_safe_str(stdout, key);
        printf("%*s ", klen < 9 ? (int)(9 - klen) : 0, "");
        char *end = NULL;
        unsigned long gen = 0;
        if (!strncmp(key, "log.generation.", 15) && value[0] >= '0' && value[0] <= '9')
            gen = strtoul(value, &end, 10);
        if (end && !*end && gen <= UINT32_MAX)
            printf(CLI_GEN, (unsigned)gen); /* stored in decimal (FORMAT.md) */
        else
            cli_safe_str(stdout, value);
        putchar('\n');
    }
    printf("members   %zu, %s in %s", adbk_reader_count(r), cli_size(total, a, sizeof a),
           cli_size(ai->file_size, b, sizeof b));
    if (ai->file_size)
        printf(" (ratio %.2f)", (double)total / (double)ai->file_size);
    bool incomplete;
    const char *salv = salvaged(r, &incomplete);
    if (salv) {
        printf("\nnote      ");
        salvaged_text(stdout, salv, incomplete);
    }
    printf("\n\n%-12s %14s  %-19s  %s%s\n", "KIND", "SIZE", "MODIFIED (UTC)",
           lng ? "XXH128                            " : "", "NAME");
    for (size_t i = 0; i < adbk_reader_count(r); i++) {
        const struct adbk_entry *e = adbk_reader_member(r, i);
        char mt[32] = "-";
        if (e->flags & ADBK_HAS_MTIME)
            cli_utc(e->mtime_sec, CLI_TIME, mt, sizeof mt);
        printf("%-12s %14" PRIu64 "  %-19s  ",
               ai->locked ? "encrypted" : kind_label(e->kind, kb, sizeof kb), e->size, mt);
        if (lng) {
            char hex[33];
            adbk_hex128(e->xxh128, hex);
            printf("%s  ", hex);
        }
        cli_safe_str(stdout, e->name);
        if (lng && e->source_path[0]) {
            printf("  <- ");
            cli_safe_str(stdout, e->source_path);
        }
        putchar('\n');
        if (lng)
            text_extras(e);
    }
    for (size_t i = 0; i < adbk_reader_count(r) && !ai->locked; i++) {
        const struct adbk_entry *e = adbk_reader_member(r, i);
        const char *note = cli_member_note(r, e);
        if (!note)
            continue;
        printf("\nnote: ");
        cli_safe_str(stdout, e->name);
        printf(" (%" PRIu64 " bytes) is %s.\n", e->size, note);
    }
}

static int list_with(int argc, char **argv, struct cli_keys *keys)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"long", no_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'}, CLI_READ_KEY_OPTIONS, {NULL, 0, NULL, 0}};
    bool json = false, lng = false;
    struct adbk_reader_options ro = {0};
    int c;
    optind = 1;
    while ((c = cli_getopt_keys(argc, argv, "jlhi:", opts, "list", keys)) != -1) {
        switch (c) {
        case 'j': json = true; cli_json_failures(stdout, NULL, false); break;
        case 'l': lng = true; break;
        case 'h':
            cli_help("usage: %s list [--long] [--json] ARCHIVE\n\n"
                   "Shows what an archive holds: its source (server, domain, log range), and\n"
                   "each member's kind, size, time and name. Reads only the end of the file, so\n"
                   "it is instant on any size; it does not check the content (use verify).\n\n"
                   "  -l, --long   also show each member's XXH128 (as xxhsum -H2 prints it for\n"
                   "               the extracted file), the path the source gave, and on lines\n"
                   "               of their own its owner and extended attributes (name, size)\n"
                   "  --json       one JSON object on standard output, for scripts; owners and\n"
                   "               extended attributes too, values in base64\n"
                   CLI_READ_KEY_HELP "\n"
                   "An encrypted archive lists without a key what it keeps in clear: its id,\n"
                   "time, recipients, the date it can no longer be restored, and each member's\n"
                   "number and sizes; names, kinds and properties need a recipient's key.\n\n"
                   "Exit: 0 listed, 1 the archive is damaged or not an archive (or not signed\n"
                   "by a trusted key), 2 usage or I/O error.\n", cli_prog);
            return EXIT_OK;
        default: return EXIT_ERROR;
        }
    }
    if (optind != argc - 1) {
        cli_err("list takes one archive (try '%s list --help')", cli_prog);
        return EXIT_ERROR;
    }
    if (!cli_keys_finish(keys))
        return EXIT_ERROR;
    cli_keys_reader(keys, &ro);
    const char *path = argv[optind];
    if (json)
        cli_json_failures(stdout, path, false);
    struct adbk_reader *r;
    struct adbk_error err = {0};
    adbk_status st = adbk_reader_open(path, &ro, &r, &err);
    cli_keys_free(keys); /* wiped as soon as they are used */
    if (st != ADBK_OK) {
        cli_err_status(st, "%s", err.message);
        return cli_exit_for(st);
    }
    cli_json_done();
    if (json)
        list_json(path, r);
    else
        list_text(path, r, lng);
    adbk_reader_close(r);
    if (fflush(stdout) != 0) {
        cli_err("writing the listing: %s", strerror(errno));
        return EXIT_ERROR;
    }
    return EXIT_OK;
}

int cli_list(int argc, char **argv)
{
    return cli_with_keys(list_with, argc, argv);
}

/* ------------------------------------------------------------ verify */

struct vstate {
    bool json, quiet, quick;
    unsigned shown;
    struct cli_progress prog;
    const char *path;
};

static void on_damage(void *ctx, const struct adbk_damage *d)
{
    struct vstate *v = ctx;
    v->shown++;
    if (v->json) {
        printf("%s{\"status\":\"%s\",\"member\":", v->shown > 1 ? "," : "", adbk_strerror(d->status));
        if (d->member_name)
            cli_json_str(stdout, d->member_name);
        else
            printf("null");
        printf(",\"chunk\":%lld,\"offset\":%" PRIu64 ",\"message\":", (long long)d->chunk,
               d->offset);
        cli_json_str(stdout, d->message);
        putchar('}');
        return;
    }
    cli_progress_end(&v->prog);
    cli_safe_printf(stderr, "%s: DAMAGED at byte %" PRIu64 ": ", v->path, d->offset);
    cli_safe_str(stderr, d->message);
    fputc('\n', stderr);
}

static int on_progress(void *ctx, uint64_t done, uint64_t total)
{
    struct vstate *v = ctx;
    (void)total;
    cli_progress_update(&v->prog, done, NULL);
    return cli_interrupted;
}

static int verify_report(struct vstate *vs, adbk_status st, struct adbk_error *errp,
                         const struct adbk_verify_result *resp, struct adbk_reader *r,
                         double secs);

static int read_stdin(void *ctx, void *buf, size_t len, size_t *got)
{
    (void)ctx;
    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf, len);
        if (n >= 0) {
            *got = (size_t)n;
            return 0;
        }
        if (errno != EINTR || cli_interrupted)
            return errno;
    }
}

/* 'verify -': the archive read once from standard input (a pipe). */
static int verify_stream(struct vstate *v, const struct adbk_reader_options *ro,
                         struct cli_keys *keys)
{
    double t0 = cli_now();
    v->path = "stdin";
    if (v->json) {
        printf("{\"archive\":");
        cli_json_str(stdout, v->path);
        printf(",\"stream\":true,\"damage\":[");
    }
    cli_progress_init(&v->prog, "verifying", 0, v->quiet || v->json);
    struct adbk_verify_callbacks cb = {.damage = on_damage, .progress = on_progress, .ctx = v};
    struct adbk_verify_result res = {0};
    struct adbk_error err = {0};
    struct adbk_reader *r = NULL;
    adbk_status st = adbk_verify_stream(read_stdin, NULL, v->path, ro, &cb, &res, &r, &err);
    cli_keys_free(keys);
    cli_progress_end(&v->prog);
    return verify_report(v, st, &err, &res, r, cli_now() - t0);
}

static int verify_with(int argc, char **argv, struct cli_keys *keys)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"quiet", no_argument, NULL, 'q'},
        {"threads", required_argument, NULL, 'T'}, {"help", no_argument, NULL, 'h'},
        {"quick", no_argument, NULL, 'Q'}, CLI_READ_KEY_OPTIONS, {NULL, 0, NULL, 0}};
    struct vstate v = {0};
    struct adbk_reader_options ro = {0};
    int c;
    optind = 1;
    /* adbk-verify's default command has no name on its command line. */
    const char *cmd = strcmp(argv[0], "verify") == 0 ? "verify" : NULL;
    while ((c = cli_getopt_keys(argc, argv, "jqT:hi:", opts, cmd, keys)) != -1) {
        switch (c) {
        case 'j': v.json = true; cli_json_failures(stdout, NULL, true); break;
        case 'q': v.quiet = true; break;
        case 'Q': v.quick = true; break;
        case 'T':
            if (!cli_parse_threads(optarg, &ro.threads)) {
                cli_err("-T wants a thread count from 1 to 256, not '%s'", optarg);
                return EXIT_ERROR;
            }
            break;
        case 'h':
            cli_help("usage: %s verify [--quick] [-T N] [--json] [--quiet] ARCHIVE|-\n\n"
                   "Checks every byte of an archive without a directory service: every chunk\n"
                   "decompressed and checked against its checksum and the seek table, every\n"
                   "member's XXH128 and size against the index, every record's checksum, and\n"
                   "the header, index and seek table against each other. It goes on after\n"
                   "damage and names each damaged member, chunk and byte offset. Run it before\n"
                   "shipping an archive offsite, and again after copying it back.\n\n"
                   "ARCHIVE '-' reads it from standard input in one pass, as from a pipe:\n"
                   "'rclone cat remote:a.adbk | %s verify -' checks an offsite copy\n"
                   "without a local file, with the same checks.\n\n"
                   "  --quick          check that the file holds exactly the bytes its writer\n"
                   "                   wrote, without decompressing anything (below)\n"
                   "  -T, --threads N  decompression threads (default: all cores)\n"
                   "  --json           a JSON report on standard output\n"
                   "  -q, --quiet      print nothing when the archive is intact\n"
                   CLI_READ_KEY_HELP "\n"
                   "An encrypted archive is checked without a key as far as it is in clear:\n"
                   "every stored byte against the checksum its writer recorded, every member's\n"
                   "span against the index, the signature. With a recipient's key every chunk\n"
                   "is also decrypted, authenticated and checked as in a plain archive.\n\n"
                   "--quick checks every stored byte against the checksums its writer recorded\n"
                   "(every record, every member's span, every chunk's header and checksum\n"
                   "field, the seek table) at the speed of reading the file, and decompresses\n"
                   "nothing: it proves a copy is the file that was written, not that the\n"
                   "chunks decompress to the content. Verify in full where the archive is\n"
                   "written; --quick each copy after it moves. It needs a file, not '-'.\n\n"
                   "Exit: 0 intact, 1 damaged (or not an archive, or not signed by a trusted\n"
                   "key), 2 usage or I/O error.\n",
                   cli_prog, cli_prog);
            return EXIT_OK;
        default: return EXIT_ERROR;
        }
    }
    if (optind != argc - 1) {
        cli_err("verify takes one archive (try '%s verify --help')", cli_prog);
        return EXIT_ERROR;
    }
    if (!cli_keys_finish(keys))
        return EXIT_ERROR;
    cli_keys_reader(keys, &ro);
    v.path = argv[optind];
    if (v.json)
        cli_json_failures(stdout, v.path, true);
    cli_catch_signals();
    if (!strcmp(v.path, "-") && v.quick) {
        cli_err("--quick needs a file: from standard input the archive is verified in full "
                "(drop --quick, or save the stream to a file first)");
        return EXIT_ERROR;
    }
    if (!strcmp(v.path, "-"))
        return verify_stream(&v, &ro, keys);
    double t0 = cli_now();
    struct adbk_reader *r;
    struct adbk_error err = {0};
    adbk_status st = adbk_reader_open(v.path, &ro, &r, &err);
    cli_keys_free(keys); /* wiped as soon as they are used */
    if (st != ADBK_OK) {
        cli_err_status(st, "%s", err.message);
        return cli_exit_for(st);
    }
    cli_json_done(); /* from here verify's own report says what failed */
    cli_progress_init(&v.prog, "verifying", adbk_reader_info(r)->file_size, v.quiet || v.json);
    if (v.json) {
        printf("{\"archive\":");
        cli_json_str(stdout, v.path);
        printf(",\"damage\":[");
    }
    struct adbk_verify_callbacks cb = {.damage = on_damage, .progress = on_progress, .ctx = &v};
    struct adbk_verify_result res;
    st = v.quick ? adbk_reader_verify_quick(r, &cb, &res, &err)
                 : adbk_reader_verify(r, &cb, &res, &err);
    cli_progress_end(&v.prog);
    return verify_report(&v, st, &err, &res, r, cli_now() - t0);
}

int cli_verify(int argc, char **argv)
{
    return cli_with_keys(verify_with, argc, argv);
}

/* The end of a verify: the JSON object's end, or the verdict. Closes r,
 * which may be NULL (a stream whose tail could not be opened). */
static int verify_report(struct vstate *vs, adbk_status st, struct adbk_error *errp,
                         const struct adbk_verify_result *resp, struct adbk_reader *r,
                         double secs)
{
    struct vstate v = *vs;
    struct adbk_error err = *errp;
    struct adbk_verify_result res = *resp;
    size_t members = r ? adbk_reader_count(r) : 0;
    bool simulated = r && cli_is_simulated(r);
    bool incomplete = false;
    const char *salv_prop = r ? salvaged(r, &incomplete) : NULL;
    char *salv = salv_prop ? strdup(salv_prop) : NULL; /* outlives the reader */
    struct adbk_archive_info ai = {0};
    if (r)
        ai = *adbk_reader_info(r); /* its scalars outlive the reader */
    adbk_reader_close(r);
    if (st == ADBK_E_ABORTED && cli_interrupted)
        st = ADBK_E_INTERRUPTED;
    bool intact = st == ADBK_OK;
    bool finished = intact || cli_exit_for(st) == EXIT_DAMAGED;
    if (v.json) {
        printf("],\"intact\":%s,\"complete\":%s,\"members\":%zu,\"frames\":%" PRIu64
               ",\"archive_bytes\":%" PRIu64 ",\"content_bytes\":%" PRIu64 ",\"seconds\":%.3f"
               ",\"simulated\":%s,\"quick\":%s", intact ? "true" : "false",
               finished ? "true" : "false", members, res.frames_checked, res.bytes_checked,
               res.content_bytes, secs, simulated ? "true" : "false", v.quick ? "true" : "false");
        salvaged_json(salv, incomplete);
        cli_keys_json(stdout, &ai);
        if (!intact) {
            printf(",\"message\":");
            cli_json_str(stdout, err.message);
        }
        printf("}\n");
    } else if (!finished || (!intact && res.damaged == 0)) {
        cli_err("%s", err.message);
    } else if (!intact) {
        cli_safe_printf(stderr, "%s: DAMAGED: %" PRIu64 " damaged %s; intact members can still "
                        "be extracted", v.path, res.damaged, res.damaged == 1 ? "place" : "places");
        fputc('\n', stderr);
    } else if (!v.quiet) {
        char a[16], b[16];
        if (v.quick)
            cli_safe_printf(stdout, "%s: OK (quick check, nothing decompressed): %zu members, "
                            "every stored byte of %s against its writer's checksums, in %.2f s "
                            "(the content itself is checked by verify without --quick)", v.path,
                            members, cli_size(res.bytes_checked, b, sizeof b), secs);
        else if (ai.locked)
            cli_safe_printf(stdout, "%s: OK without a key: %zu members, every stored byte of %s "
                            "against its checksum, in %.2f s (encrypted: the content was not "
                            "decrypted; give --identity for that)", v.path, members,
                            cli_size(res.bytes_checked, b, sizeof b), secs);
        else
            cli_safe_printf(stdout, "%s: OK: %zu members, %s of content in %s, checked in %.2f s",
                            v.path, members, cli_size(res.content_bytes, a, sizeof a),
                            cli_size(res.bytes_checked, b, sizeof b), secs);
        if (ai.trusted)
            printf("; signed by a trusted key");
        else if (ai.is_signed)
            printf("; signed (not checked against a trusted key: --trust)");
        if (salv) {
            /* Intact as an archive, but not necessarily all of the backup. */
            printf("; ");
            salvaged_text(stdout, salv, incomplete);
        }
        putchar('\n');
    }
    free(salv);
    if (simulated && !v.json && !v.quiet && finished) {
        cli_safe_printf(stderr, "%s: %s", v.path, CLI_SIMULATED_WARNING);
        fputc('\n', stderr);
    }
    return cli_exit_for(st);
}
