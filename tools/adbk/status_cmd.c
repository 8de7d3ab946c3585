/*
 * status_cmd.c - `adbk status PATH...`: does every domain controller have a
 * recent backup that can still be restored? The options, the help, and the
 * reports, as text or JSON; status_scan.c does the reading and judging
 * (and opens with the design). The exit code is the worst verdict, in the
 * Nagios plugin convention: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
 */
#include "status.h"
#include "keys.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int cmd_status(int argc, char **argv); /* called from adbk.c */

#define DAY 86400

/* ------------------------------------------------------------ text */

/* One archive of a DC: role, created, age, until when restorable, state,
 * path; under it what is wrong. */
static void text_archive(const struct status_run *s, const char *role,
                         const struct status_archive *a)
{
    char c[40], u[40];
    printf("          %-10s %s %7.1f d  %-7s %s  %-10s ", role, cli_utc(a->created, CLI_TIME_MIN, c, sizeof c),
           (double)(s->now - a->created) / DAY, status_expired(s, a) ? "expired" : "until",
           cli_utc(a->not_after, CLI_TIME_MIN, u, sizeof u), status_state_word(a));
    cli_safe_str(stdout, a->path);
    putchar('\n');
    if (a->message) {
        printf("%21s", "");
        cli_safe_str(stdout, a->message);
        putchar('\n');
    }
}

static void text_group(const struct status_run *s, const struct status_group *g)
{
    printf("%-9s ", status_verdict_names[g->verdict]);
    if (g->expected) {
        cli_safe_str(stdout, g->expected);
        printf("\n          %s\n", g->reason);
        return;
    }
    const struct status_archive *a = g->newest;
    if (a->keyless) {
        printf("encrypted archives (no key given opens them: --identity tells their domain "
               "controllers apart)");
    } else {
        cli_safe_str(stdout, a->server ? a->server : "(no server recorded)");
        if (a->domain) {
            printf(" of ");
            cli_safe_str(stdout, a->domain);
        }
    }
    printf("%s, %zu archive%s\n", a->simulated ? " (SIMULATED)" : "", g->n, g->n == 1 ? "" : "s");
    if (g->verdict != VERDICT_OK) {
        printf("          ");
        cli_safe_str(stdout, g->reason);
        putchar('\n');
    }
    text_archive(s, "newest", a);
    if (g->best && g->best != a)
        text_archive(s, "restorable", g->best);
    for (size_t i = 0; i < g->n; i++) {
        const struct status_archive *x = &s->a[g->idx[i]];
        if (x != a && x != g->best && (s->verbose || x->message))
            text_archive(s, "archive", x);
    }
}

static void text_report(const struct status_run *s, enum status_verdict worst, size_t nfiles)
{
    size_t count[4] = {0};
    for (size_t k = 0; k < s->ng; k++)
        count[s->g[k].verdict]++;
    printf("%s: ", status_verdict_names[worst]);
    if (s->ng)
        printf("%zu domain controller%s: %zu critical, %zu warning, %zu ok", s->ng,
               s->ng == 1 ? "" : "s", count[VERDICT_CRITICAL], count[VERDICT_WARNING],
               count[VERDICT_OK]);
    else
        printf("no archive found");
    if (nfiles)
        printf("; %zu file%s or folder%s not usable", nfiles, nfiles == 1 ? "" : "s",
               nfiles == 1 ? "" : "s");
    putchar('\n');
    if (s->quiet)
        return;
    bool simulated = false;
    for (size_t k = 0; k < s->ng; k++) {
        putchar('\n');
        text_group(s, &s->g[k]);
        simulated |= !s->g[k].expected && s->g[k].newest->simulated;
    }
    if (nfiles)
        printf("\nNot usable:\n");
    for (size_t i = 0; i < s->n; i++) {
        const struct status_archive *a = &s->a[i];
        if (a->opened)
            continue;
        printf("%-9s %s: ", status_verdict_names[status_file_verdict(a)],
               status_problem_names[a->problem]);
        cli_safe_str(stdout, a->message);
        putchar('\n');
    }
    if (simulated)
        printf("\n%s.\n", CLI_SIMULATED_WARNING);
}

/* ------------------------------------------------------------ JSON */

static void json_opt_str(const char *key, const char *v)
{
    printf(",\"%s\":", key);
    if (v)
        cli_json_str(stdout, v);
    else
        printf("null");
}

static void json_archive(const struct status_run *s, const struct status_archive *a)
{
    char c[40], u[40], state[16];
    if (!a) {
        printf("null");
        return;
    }
    cli_utc(a->created, CLI_TIME_ISO, c, sizeof c);
    cli_utc(a->not_after, CLI_TIME_ISO, u, sizeof u);
    snprintf(state, sizeof state, "%s", status_state_word(a));
    for (char *p = state; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    printf("{\"path\":");
    cli_json_str(stdout, a->path);
    printf(",\"created\":%" PRId64 ",\"created_utc\":\"%s\",\"age_days\":%.3f,\"not_after\":%"
           PRId64 ",\"not_after_utc\":\"%s\",\"tombstone_lifetime_days\":%u,"
           "\"tombstone_lifetime_assumed\":%s,\"expired\":%s,\"dated_ahead\":%s,\"state\":\"%s\","
           "\"restorable\":%s,\"encrypted\":%s,\"simulated\":%s", a->created, c,
           (double)(s->now - a->created) / DAY, a->not_after, u, a->tsl_days,
           a->tsl_assumed ? "true" : "false", status_expired(s, a) ? "true" : "false",
           status_ahead(s, a) ? "true" : "false", state, status_restorable(s, a) ? "true" : "false",
           a->encrypted ? "true" : "false", a->simulated ? "true" : "false");
    json_opt_str("message", a->message);
    putchar('}');
}

static void json_group(const struct status_run *s, const struct status_group *g)
{
    const struct status_archive *a = g->newest;
    printf("{\"verdict\":\"%s\",\"exit\":%d", status_verdict_names[g->verdict], (int)g->verdict);
    json_opt_str("server", g->expected ? g->expected : a && !a->keyless ? a->server : NULL);
    json_opt_str("domain", a && !a->keyless ? a->domain : NULL);
    printf(",\"sealed\":%s,\"simulated\":%s,\"expected_missing\":%s,\"reason\":",
           a && a->keyless ? "true" : "false", a && a->simulated ? "true" : "false",
           g->expected ? "true" : "false");
    cli_json_str(stdout, g->reason);
    printf(",\"newest\":");
    json_archive(s, a);
    printf(",\"restorable\":");
    json_archive(s, g->best);
    printf(",\"archives\":[");
    for (size_t i = 0; i < g->n; i++) {
        printf(i ? "," : "");
        json_archive(s, &s->a[g->idx[i]]);
    }
    printf("]}");
}

static void json_report(const struct status_run *s, enum status_verdict worst, double secs)
{
    static const char *const modes[] = {"none", "newest", "all"};
    char now[40];
    cli_utc(s->now, CLI_TIME_ISO, now, sizeof now);
    size_t opened = 0;
    for (size_t i = 0; i < s->n; i++)
        opened += s->a[i].opened;
    printf("{\"status\":\"%s\",\"exit\":%d,\"now\":%" PRId64 ",\"now_utc\":\"%s\","
           "\"verify\":\"%s\",\"archives\":%zu,\"seconds\":%.3f,\"domain_controllers\":[",
           status_verdict_names[worst], (int)worst, s->now, now, modes[s->verify], opened, secs);
    for (size_t k = 0; k < s->ng; k++) {
        printf(k ? "," : "");
        json_group(s, &s->g[k]);
    }
    printf("],\"files\":[");
    bool first = true;
    for (size_t i = 0; i < s->n; i++) {
        const struct status_archive *a = &s->a[i];
        if (a->opened)
            continue;
        printf("%s{\"verdict\":\"%s\",\"path\":", first ? "" : ",",
               status_verdict_names[status_file_verdict(a)]);
        cli_json_str(stdout, a->path);
        printf(",\"problem\":\"%s\"", status_problem_names[a->problem]);
        json_opt_str("message", a->message);
        putchar('}');
        first = false;
    }
    printf("]}\n");
}

/* ------------------------------------------------------------ the command */

static void help(void)
{
    cli_help("usage: adbk status [OPTIONS] PATH...\n\n"
           "For the morning check, and for monitoring: does every domain controller have a\n"
           "recent backup that can still be restored? Reads the archives named and every\n"
           "*.adbk file in the folders named (subfolders too), groups them by domain\n"
           "controller (their server and domain), and shows for each the newest archive,\n"
           "its age, the date after which it can no longer be restored (its creation plus\n"
           "the forest's tombstone lifetime), whether it checks out, and a verdict:\n\n"
           "  OK        the newest backup is restorable and younger than half the\n"
           "            tombstone lifetime\n"
           "  WARNING   the newest restorable backup is older than half the tombstone\n"
           "            lifetime (Active Directory logs event 2089 from then on), or a\n"
           "            newer archive cannot be restored (damaged, say), or (--verify) none\n"
           "            could be read to the end\n"
           "  CRITICAL  no archive can be restored: all are older than the tombstone\n"
           "            lifetime, damaged, or dated ahead of this clock\n\n"
           "Without --verify each archive is opened as 'adbk list' opens it (index and\n"
           "header checked against each other) and its seek table is checked against the\n"
           "index and the file's size: a few small reads per archive, whatever its size.\n"
           "That finds a cut, grown or overwritten end of file, not a flipped byte in the\n"
           "content; --verify reads that too. Files that are not archives, or too damaged\n"
           "to tell whose they are, are listed apart (WARNING); files or folders that\n"
           "cannot be read, or archives of a newer format, too (UNKNOWN). Archives of\n"
           "adbk's simulated domain controller (dcsim) are marked SIMULATED.\n\n"
           "  --verify            also check every byte (as 'adbk verify') of each domain\n"
           "                      controller's newest archives, newest first until one is\n"
           "                      intact\n"
           "  --verify-all        check every byte of every archive\n"
           "  --expect SERVER     a domain controller that must have archives (repeat for\n"
           "                      several): CRITICAL when none of its archives is found\n"
           "  --tombstone-days N  the tombstone lifetime to assume for an archive that does\n"
           "                      not record it (default 60, Active Directory's default\n"
           "                      when the forest sets none; forests created since Windows\n"
           "                      Server 2003 SP1 set 180)\n"
           "  --now SECONDS       judge as at this time (Unix seconds, UTC) instead of now\n"
           "  -T, --threads N     threads of --verify (default: all cores)\n"
           "  -v, --verbose       list every archive of each domain controller, not only\n"
           "                      the newest, the newest restorable and those with problems\n"
           "  -q, --quiet         print only the first line, the summary\n"
           "  --json              one JSON object on standard output, for scripts\n"
           CLI_READ_KEY_HELP "\n"
           "An encrypted archive keeps its server and domain sealed: without a key that\n"
           "opens them, encrypted archives are judged together, as one group \"encrypted\n"
           "archives\", by the date each keeps in clear; give --identity to tell their\n"
           "domain controllers apart. Without a key --verify checks them as 'adbk verify'\n"
           "does: every stored byte against its checksum, nothing decrypted. With --trust,\n"
           "an archive that no such key signed is UNTRUSTED, and not restorable.\n\n"
           "Exit (the Nagios plugin convention): 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (no\n"
           "archive found, a file or folder that cannot be read, a usage error). The worst\n"
           "verdict decides, CRITICAL before WARNING before UNKNOWN.\n");
}

enum { OPT_VERIFY = 0x2000, OPT_VERIFY_ALL, OPT_EXPECT, OPT_TSL, OPT_NOW };

static bool parse_i64(const char *arg, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(arg, &end, 10);
    if (errno || end == arg || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* The options; false after a message (exit 3), *done for --help. */
static bool parse(int argc, char **argv, struct cli_keys *keys, struct status_run *s, bool *done)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'}, {"threads", required_argument, NULL, 'T'},
        {"verify", no_argument, NULL, OPT_VERIFY},
        {"verify-all", no_argument, NULL, OPT_VERIFY_ALL},
        {"expect", required_argument, NULL, OPT_EXPECT},
        {"tombstone-days", required_argument, NULL, OPT_TSL},
        {"now", required_argument, NULL, OPT_NOW}, {"help", no_argument, NULL, 'h'},
        CLI_READ_KEY_OPTIONS, {NULL, 0, NULL, 0}};
    int c;
    int64_t v;
    optind = 1;
    s->expect = calloc((size_t)argc, sizeof *s->expect); /* at most one per argument */
    if (!s->expect) {
        cli_err("out of memory");
        return false;
    }
    while ((c = cli_getopt_keys(argc, argv, "jqvT:hi:", opts, "status", keys)) != -1) {
        switch (c) {
        case 'j': s->json = true; cli_json_failures(stdout, NULL, false); break;
        case 'q': s->quiet = true; break;
        case 'v': s->verbose = true; break;
        case 'T':
            if (!cli_parse_threads(optarg, &s->ro.threads)) {
                cli_err("-T wants a thread count from 1 to 256, not '%s'", optarg);
                return false;
            }
            break;
        case OPT_VERIFY: s->verify = s->verify > 1 ? s->verify : 1; break;
        case OPT_VERIFY_ALL: s->verify = 2; break;
        case OPT_EXPECT:
            s->expect[s->nexpect++] = optarg;
            break;
        case OPT_TSL:
            if (!parse_i64(optarg, 1, 999999, &v)) {
                cli_err("--tombstone-days wants a number of days from 1 to 999999, not '%s'",
                        optarg);
                return false;
            }
            s->default_tsl = (unsigned)v;
            break;
        case OPT_NOW:
            if (!parse_i64(optarg, 0, INT64_C(1) << 40, &s->now)) {
                cli_err("--now wants a time in Unix seconds, not '%s'", optarg);
                return false;
            }
            break;
        case 'h': help(); *done = true; return true;
        default: return false;
        }
    }
    if (optind >= argc) {
        cli_err("status needs an archive or a folder of archives (try 'adbk status --help')");
        return false;
    }
    if (!cli_keys_finish(keys))
        return false;
    cli_keys_reader(keys, &s->ro);
    return true;
}

int cmd_status(int argc, char **argv)
{
    struct status_run s = {.now = -1, .default_tsl = 60};
    struct cli_keys keys = {0};
    bool done = false;
    if (!parse(argc, argv, &keys, &s, &done) || done) {
        cli_keys_free(&keys);
        free(s.expect);
        return done ? VERDICT_OK : VERDICT_UNKNOWN;
    }
    if (s.now < 0)
        s.now = (int64_t)time(NULL);
    cli_catch_signals();
    double t0 = cli_now();
    enum status_verdict worst = status_scan(&s, &argv[optind], (size_t)(argc - optind));
    cli_keys_free(&keys);
    if (cli_interrupted) {
        cli_err("interrupted");
        status_free(&s);
        free(s.expect);
        return VERDICT_UNKNOWN;
    }
    size_t nfiles = 0;
    for (size_t i = 0; i < s.n; i++)
        nfiles += !s.a[i].opened;
    if (s.json) {
        json_report(&s, worst, cli_now() - t0);
        cli_json_done();
    }
    else
        text_report(&s, worst, nfiles);
    status_free(&s);
    free(s.expect);
    if (fflush(stdout) != 0) {
        cli_err("writing the report: %s", strerror(errno));
        return VERDICT_UNKNOWN;
    }
    return (int)worst;
}
