/*
 * dcsim_main.c - the `dcsim` program: a simulated AD domain controller.
 *
 * Owns: argument parsing, printing and exit codes (0 ok, 1 check failed,
 * 2 usage or I/O error). Everything else is in src/dcsim (dcsim.h).
 */
#include "dcsim.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#ifndef ADBK_VERSION_STRING
#define ADBK_VERSION_STRING "0"
#endif

/* Each command: its synopsis and what it does, for `dcsim --help` (all of
 * them) and `dcsim COMMAND --help` (one). */
struct command {
    const char *name, *synopsis, *text;
};
static const struct command commands[] = {
    {"provision",
     "provision DIR --size SIZE [--seed N] [--server NAME] [--domain DNS]\n"
     "            [--tsl DAYS] [--logs N] [--first-gen GEN] [--page-size 8192|32768]",
     "Make an offline DC: ntds.dit of SIZE (K/M/G suffixes, binary) with 8 KiB\n"
     "pages (header: page number, type, XXH3-64 checksum), 10 MiB logs\n"
     "edbXXXXX.log (N closed, default 3) + edb.log + edbtmp.log, edb.chk,\n"
     "edbres00001.jrs/edbres00002.jrs and dcsim.ini (identity and state).\n"
     "The same options always give the same bytes.\n"},
    {"start",
     "start DIR [--churn] [--pages N] [--tick-ms MS] [--roll-ticks N] [--for SEC]",
     "Bring the DC online (DsIsNTDSOnline reports TRUE). With --churn, a\n"
     "background process keeps rewriting pages and rolling log generations\n"
     "(N pages every MS ms, a roll every N ticks) until `dcsim stop` or SEC\n"
     "seconds (default 600). After a completed restore, start first runs\n"
     "recovery (the check below) and refuses if it fails.\n"},
    {"stop", "stop DIR", "Take the DC offline (DSRM) and end its churn process.\n"},
    {"churn", "churn DIR [--pages N] [--tick-ms MS] [--roll-ticks N] [--for SEC]",
     "Run churn in the foreground (the DC must be online); the options are\n"
     "start's.\n"},
    {"roll", "roll DIR", "Close the current log generation now.\n"},
    {"check", "check DIR [--log-dir D] [--gen-low G] [--gen-high G] [--no-pages] [--json]",
     "The recovery check: database present with good page checksums, logs\n"
     "contiguous from the generation the database needs through the newest,\n"
     "each log's header generation and checksum matching its name.\n"
     "Exit 0 restorable, 1 not restorable.\n"},
    {"info", "info DIR [--json]", "Identity and live state.\n"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const char usage_head[] =
"usage: dcsim COMMAND DIR [options]\n"
"       dcsim COMMAND --help, dcsim --version\n"
"\n"
"A simulated Active Directory domain controller for testing adbk. DIR plays\n"
"the DC's %SystemRoot%\\NTDS folder; the Ds* backup API of libadbk_dcsim\n"
"serves it as \\\\SERVER\\C$\\Windows\\NTDS\\<file>.\n"
"\n"
"Commands:\n";

static const char usage_tail[] =
"\n"
"Environment for programs using the library (e.g. adbk backup):\n"
"  ADBK_DCSIM_DIR=DIR      the local DC\n"
"  DCSIM_FAULTS=fail_read=3:0xC80003FA,offline_after=1048576,short_reads=1,\n"
"               slow_read_ms=5,missing_log=0x1A,bad_page=17,eof_zero_read=1\n"
"  DCSIM_PRIVILEGE=check|deny|skip  (check: CAP_DAC_READ_SEARCH for backup,\n"
"                                    CAP_DAC_OVERRIDE for restore)\n"
"  DCSIM_NOW=UNIX_SECONDS  the clock used for expiry tokens\n"
"\n"
"Example:\n"
"  dcsim provision /tmp/dc --size 64M --seed 7 && dcsim start /tmp/dc --churn\n"
"  ADBK_DCSIM_DIR=/tmp/dc adbk backup ... ; dcsim stop /tmp/dc\n";

/* Writes text with every line indented by `indent` spaces. */
static void indented(FILE *f, const char *text, int indent)
{
    while (*text) {
        size_t n = strcspn(text, "\n");
        fprintf(f, "%*s%.*s\n", indent, "", (int)n, text);
        text += n + (text[n] == '\n');
    }
}

static void usage(FILE *f)
{
    fputs(usage_head, f);
    for (size_t i = 0; i < NCOMMANDS; i++) {
        fprintf(f, "  %s\n", commands[i].synopsis);
        indented(f, commands[i].text, 6);
    }
    fputs(usage_tail, f);
}

static const struct command *command_named(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

static void command_help(const struct command *c)
{
    printf("usage: dcsim %s\n\n", c->synopsis);
    fputs(c->text, stdout);
    printf("\n'dcsim --help' describes every command and the environment the library\n"
           "reads.\n");
}

/* A usage error of command cmd (NULL: of dcsim itself), pointing to its help. */
static int usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "dcsim%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (try 'dcsim%s%s --help')\n", cmd ? " " : "", cmd ? cmd : "");
    return 2;
}

static int fail(const char *what, const char *dir, dcsim_status st)
{
    const char *d = dcsim_last_error();
    fprintf(stderr, "dcsim %s %s: %s\n", what, dir, d && *d ? d : dcsim_strerror(st));
    return st == DCSIM_E_CHECK ? 1 : 2;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end = NULL;
    if (!s || !*s)
        return -1;
    unsigned long long v = strtoull(s, &end, 0);
    if (end == s || *end)
        return -1;
    *out = v;
    return 0;
}

static int parse_size(const char *s, uint64_t *out)
{
    char *end = NULL;
    if (!s || !*s)
        return -1;
    double v = strtod(s, &end);
    if (end == s || v < 0)
        return -1;
    uint64_t mul = 1;
    if (*end) {
        switch (*end) {
        case 'k': case 'K': mul = 1ull << 10; break;
        case 'm': case 'M': mul = 1ull << 20; break;
        case 'g': case 'G': mul = 1ull << 30; break;
        case 't': case 'T': mul = 1ull << 40; break;
        default: return -1;
        }
        end++;
        if (*end == 'i' || *end == 'I')
            end++;
        if (*end == 'b' || *end == 'B')
            end++;
        if (*end)
            return -1;
    }
    *out = (uint64_t)(v * (double)mul);
    return 0;
}

/* The options that take a value (the three flags are handled apart). */
static int is_option(const char *o)
{
    static const char *const names[] = {
        "--size", "--server", "--domain", "--log-dir", "--seed", "--tsl", "--logs",
        "--first-gen", "--page-size", "--pages", "--tick-ms", "--roll-ticks", "--for",
        "--gen-low", "--gen-high"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(o, names[i]))
            return 1;
    return 0;
}

struct args {
    const char *cmd, *dir;
    struct dcsim_provision_opts prov;
    struct dcsim_churn_opts churn;
    struct dcsim_check_opts check;
    int churn_flag, json, have_size;
};

static int parse_args(int argc, char **argv, struct args *a)
{
    memset(a, 0, sizeof *a);
    a->cmd = argv[1];
    if (argc < 3 || argv[2][0] == '-')
        return usage_error(a->cmd, "the DC's folder DIR is missing");
    a->dir = argv[2];
    for (int i = 3; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n = 0;
        int takes = 1;
        if (!strcmp(o, "--json")) { a->json = 1; takes = 0; }
        else if (!strcmp(o, "--churn")) { a->churn_flag = 1; takes = 0; }
        else if (!strcmp(o, "--no-pages")) { a->check.skip_pages = 1; takes = 0; }
        else if (!is_option(o))
            return usage_error(a->cmd, "unknown option '%s'", o);
        else if (!v)
            return usage_error(a->cmd, "option '%s' needs an argument", o);
        else if (!strcmp(o, "--size")) {
            if (parse_size(v, &a->prov.size))
                return usage_error(a->cmd, "--size wants a size such as 64M, not '%s'", v);
            a->have_size = 1;
        } else if (!strcmp(o, "--server")) a->prov.server = v;
        else if (!strcmp(o, "--domain")) a->prov.domain = v;
        else if (!strcmp(o, "--log-dir")) a->check.log_dir = v;
        else if (parse_u64(v, &n) != 0)
            return usage_error(a->cmd, "%s wants a number, not '%s'", o, v);
        else if (!strcmp(o, "--seed")) a->prov.seed = n;
        else if (!strcmp(o, "--tsl")) a->prov.tsl_days = (uint32_t)n;
        else if (!strcmp(o, "--logs")) a->prov.closed_logs = (uint32_t)n;
        else if (!strcmp(o, "--first-gen")) a->prov.first_gen = (uint32_t)n;
        else if (!strcmp(o, "--page-size")) a->prov.page_size = (uint32_t)n;
        else if (!strcmp(o, "--pages")) a->churn.pages_per_tick = (uint32_t)n;
        else if (!strcmp(o, "--tick-ms")) a->churn.tick_ms = (uint32_t)n;
        else if (!strcmp(o, "--roll-ticks")) a->churn.roll_ticks = (uint32_t)n;
        else if (!strcmp(o, "--for")) a->churn.duration_ms = (uint32_t)(n * 1000);
        else if (!strcmp(o, "--gen-low")) a->check.gen_low = (uint32_t)n;
        else if (!strcmp(o, "--gen-high")) a->check.gen_high = (uint32_t)n;
        if (takes)
            i++;
    }
    return 0;
}

static volatile int g_stop;
static void on_term(int sig)
{
    (void)sig;
    g_stop = 1;
}

static int run_churn(const struct args *a)
{
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    dcsim_status st = dcsim_churn_run(a->dir, &a->churn, &g_stop);
    return st ? fail("churn", a->dir, st) : 0;
}

static int cmd_start(const struct args *a)
{
    dcsim_status st = dcsim_start(a->dir);
    if (st)
        return fail("start", a->dir, st);
    if (!a->churn_flag) {
        printf("%s: online\n", a->dir);
        return 0;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("dcsim start: fork");
        return 2;
    }
    if (pid == 0) {
        setsid();
        int nul = open("/dev/null", O_RDWR);
        if (nul >= 0) {
            dup2(nul, 0);
            dup2(nul, 1);
            dup2(nul, 2);
            close(nul);
        }
        dcsim_set_churn_pid(a->dir, (int)getpid());
        _exit(run_churn(a));
    }
    printf("%s: online, churn process %d\n", a->dir, (int)pid);
    return 0;
}

static int cmd_check(const struct args *a)
{
    struct dcsim_check_report r;
    dcsim_status st = dcsim_check(a->dir, &a->check, &r);
    if (st != DCSIM_OK && st != DCSIM_E_CHECK)
        return fail("check", a->dir, st);
    if (a->json) {
        printf("{\"restorable\": %s, \"pages\": %" PRIu64 ", \"bad_pages\": %" PRIu64
               ", \"restore_data\": %s, \"gen_needed_low\": %" PRIu32
               ", \"gen_needed_high\": %" PRIu32 ", \"gen_first\": %" PRIu32
               ", \"gen_last\": %" PRIu32 ", \"logs\": %" PRIu32 ", \"problem\": \"",
               st == DCSIM_OK ? "true" : "false", r.pages, r.bad_pages,
               r.restore_data ? "true" : "false", r.gen_needed_low, r.gen_needed_high,
               r.gen_first, r.gen_last, r.logs);
        for (const char *p = r.problem; *p; p++) {
            if (*p == '"' || *p == '\\')
                putchar('\\');
            putchar(*p);
        }
        printf("\"}\n");
    } else if (st == DCSIM_OK) {
        printf("%s: restorable: %" PRIu64 " pages good%s; logs 0x%" PRIX32 "..0x%"
               PRIX32 " contiguous (%" PRIu32 " files); pages need up to 0x%" PRIX32 "\n",
               a->dir, r.pages, r.restore_data ? " (backup copy with restore data)" : "",
               r.gen_first, r.gen_last, r.logs, r.gen_needed_high);
    } else {
        printf("%s: NOT restorable: %s\n", a->dir, r.problem);
    }
    return st == DCSIM_OK ? 0 : 1;
}

static int cmd_info(const struct args *a)
{
    struct dcsim_info in;
    dcsim_status st = dcsim_info_read(a->dir, &in);
    if (st)
        return fail("info", a->dir, st);
    if (a->json)
        printf("{\"server\": \"%s\", \"domain\": \"%s\", \"page_size\": %" PRIu32
               ", \"db_pages\": %" PRIu64 ", \"seed\": %" PRIu64
               ", \"tombstone_lifetime_days\": %" PRIu32 ", \"checkpoint_gen\": %" PRIu32
               ", \"current_gen\": %" PRIu32 ", \"oldest_gen\": %" PRIu32
               ", \"online\": %s, \"backup_running\": %s, \"backup_gen_hold\": %" PRIu32
               ", \"churn_pid\": %d, \"restore_state\": \"%s\"}\n",
               in.server, in.domain, in.page_size, in.db_pages, in.seed, in.tsl_days,
               in.checkpoint_gen, in.current_gen, in.oldest_gen,
               in.online ? "true" : "false", in.backup_running ? "true" : "false",
               in.backup_gen_hold, in.churn_pid, in.restore_state);
    else
        printf("server            %s.%s\npage size         %" PRIu32 "\n"
               "database          %" PRIu64 " pages (%" PRIu64 " bytes), seed %" PRIu64 "\n"
               "tombstone life    %" PRIu32 " days\n"
               "log generations   oldest 0x%" PRIX32 ", checkpoint 0x%" PRIX32
               ", current 0x%" PRIX32 " (edb.log)\n"
               "state             %s%s%s\nrestore           %s\n",
               in.server, in.domain, in.page_size, in.db_pages,
               in.db_pages * in.page_size, in.seed, in.tsl_days, in.oldest_gen,
               in.checkpoint_gen, in.current_gen, in.online ? "online" : "offline",
               in.backup_running ? ", backup running" : "",
               in.churn_pid ? ", churning" : "", in.restore_state);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || (!strcmp(cmd, "help") && argc < 3)) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        printf("dcsim %s (adbk's simulated domain controller, a test double)\n",
               ADBK_VERSION_STRING);
        return 0;
    }
    if (!strcmp(cmd, "help") && argc > 3)
        return usage_error(NULL, "help takes one command");
    if (!strcmp(cmd, "help"))
        cmd = argv[2];
    const struct command *c = command_named(cmd);
    if (!c)
        return cmd[0] == '-' ? usage_error(NULL, "unknown option '%s'", cmd)
                             : usage_error(NULL, "unknown command '%s'", cmd);
    bool help = !strcmp(argv[1], "help");
    for (int i = 2; i < argc && !help; i++)
        help = !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h");
    if (help) {
        command_help(c);
        return 0;
    }
    struct args a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc;
    if (!strcmp(a.cmd, "provision")) {
        if (!a.have_size)
            return usage_error(a.cmd, "--size is required");
        dcsim_status st = dcsim_provision(a.dir, &a.prov);
        if (st)
            return fail("provision", a.dir, st);
        struct dcsim_info in;
        if (dcsim_info_read(a.dir, &in) == DCSIM_OK)
            printf("%s: %s.%s, %" PRIu64 " pages of %" PRIu32 ", logs 0x%" PRIX32
                   "..0x%" PRIX32 ", offline\n", a.dir, in.server, in.domain,
                   in.db_pages, in.page_size, in.oldest_gen, in.current_gen);
        return 0;
    }
    if (!strcmp(a.cmd, "start"))
        return cmd_start(&a);
    if (!strcmp(a.cmd, "stop")) {
        dcsim_status st = dcsim_stop(a.dir);
        if (st)
            return fail("stop", a.dir, st);
        printf("%s: offline\n", a.dir);
        return 0;
    }
    if (!strcmp(a.cmd, "churn"))
        return run_churn(&a);
    if (!strcmp(a.cmd, "roll")) {
        dcsim_status st = dcsim_roll_log(a.dir);
        return st ? fail("roll", a.dir, st) : 0;
    }
    if (!strcmp(a.cmd, "check"))
        return cmd_check(&a);
    if (!strcmp(a.cmd, "info"))
        return cmd_info(&a);
    return usage_error(NULL, "unknown command '%s'", a.cmd);
}
