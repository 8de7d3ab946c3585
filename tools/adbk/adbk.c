/*
 * adbk.c - the main program: create, list, extract, verify, and the dispatch
 * to backup, restore and status (backup_cmd.c, restore_cmd.c, status_cmd.c).
 * Parses arguments, calls the libraries, draws progress, prints messages and
 * maps statuses to exit codes; nothing else.
 */
#include "adbk.h"
#include "cli.h"
#include "keys.h"
#include "salvage_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cmd_backup(int argc, char **argv);  /* backup_cmd.c */
int cmd_restore(int argc, char **argv); /* restore_cmd.c */
int cmd_status(int argc, char **argv);  /* status_cmd.c */

/* Where the manual and the format's specification are: installed with the
 * programs (tools/CMakeLists.txt defines ADBK_DOC_DIR), or, where nothing is
 * installed (Windows), in adbk's source. */
#ifdef ADBK_DOC_DIR
#define DOCS_HELP                                                                     \
    "Manual: 'man adbk'; the format: 'man 5 adbk', and its full specification,\n"     \
    "for anyone who must read an archive without adbk, " ADBK_DOC_DIR "/FORMAT.md.\n"
#else
#define DOCS_HELP                                                                     \
    "format/FORMAT.md, in adbk's source, specifies the format for anyone who must\n"  \
    "read an archive without adbk.\n"
#endif

static void usage(FILE *f)
{
    fprintf(f,
            "usage: adbk COMMAND [OPTIONS] ...\n\n"
            "adbk keeps Active Directory backups in one portable, self-checking .adbk file.\n\n"
            "Commands:\n"
            "  backup -o OUT.adbk           online backup of a domain controller (--server NAME,\n"
            "                               or --dcsim DIR for the simulated one)\n"
            "  restore ARCHIVE              restore a backup to the stopped DC it is of\n"
            "  create -o OUT.adbk PATH...   pack files and folders (e.g. an IFM media folder)\n"
            "  list ARCHIVE                 show the source and the members (instant)\n"
            "  verify ARCHIVE               check every byte; exit 1 if damaged (--quick: the\n"
            "                               stored bytes only, nothing decompressed)\n"
            "  status PATH...               is every DC's newest backup recent and restorable?\n"
            "                               (archives, or folders of them; Nagios exit codes)\n"
            "  salvage DAMAGED -o OUT.adbk  recover what is intact from a damaged or cut archive\n"
            "  extract ARCHIVE [-C DIR] [NAME...]\n"
            "                               unpack members, checking them as they go\n"
            "  keygen [-o FILE]             make a key pair for signing archives\n\n"
            "Encrypting to public keys (age's, from age-keygen) and signing: 'adbk backup\n"
            "--recipient age1... --sign KEYFILE'; reading: '--identity FILE', '--trust KEY'.\n\n"
            "Run 'adbk COMMAND --help' (or 'adbk help COMMAND') for a command's options,\n"
            "'adbk --version' (-V) for the version. An archive is a standard zstd file\n"
            "too: 'zstd -t' tests it and 'zstd -dc' prints its contents.\n\n"
            DOCS_HELP);
}

/* ------------------------------------------------------------ create */

struct cstate {
    struct cli_job job; /* first: the shared callbacks take this struct */
    uint64_t base;      /* content bytes of members already finished */
    uint64_t cur_size;
    const char *cur;
    bool quiet;
};

static void c_member(void *ctx, const char *name, unsigned kind, uint64_t size)
{
    (void)kind;
    struct cstate *c = ctx;
    c->base += c->cur_size;
    c->cur_size = size;
    c->cur = name;
}

static void c_total(void *ctx, uint64_t bytes)
{
    struct cstate *c = ctx;
    c->job.prog.total = bytes;
}

static void c_progress(void *ctx, uint64_t done)
{
    struct cstate *c = ctx;
    cli_progress_update(&c->job.prog, c->base + done, c->cur);
}

static int create_with(int argc, char **argv, struct cli_keys *keys)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"threads", required_argument, NULL, 'T'},
        {"chunk-size", required_argument, NULL, 'C'}, {"force", no_argument, NULL, 'f'},
        {"xxh128", no_argument, NULL, 'x'}, {"json", no_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'},
        {"owner", no_argument, NULL, 'U'}, {"xattrs", no_argument, NULL, 'X'},
        CLI_WRITE_KEY_OPTIONS, {NULL, 0, NULL, 0}};
    struct adbk_output_options oo = {0};
    struct adbk_create_options what = {0};
    struct adbk_writer_options *wo = &oo.writer;
    bool json = false;
    struct cstate cs = {0};
    if (!cli_take_level(&argc, argv, &wo->level))
        return EXIT_ERROR;
    int c;
    optind = 1;
    while ((c = cli_getopt_keys(argc, argv, "o:T:fjqhr:R:", opts, "create", keys)) != -1) {
        switch (c) {
        case 'o': oo.output = optarg; break;
        case 'T':
            if (!cli_parse_threads(optarg, &wo->threads)) {
                cli_err("-T wants a thread count from 1 to 256, not '%s'", optarg);
                return EXIT_ERROR;
            }
            break;
        case 'C': {
            uint64_t v;
            if (!cli_parse_size(optarg, &v) || v < ADBK_CHUNK_MIN || v > ADBK_CHUNK_MAX) {
                cli_err("--chunk-size wants a size from 4K to 128M, not '%s'", optarg);
                return EXIT_ERROR;
            }
            wo->chunk_size = (uint32_t)v;
            break;
        }
        case 'f': oo.force = true; break;
        case 'x': oo.xxh128 = true; break;
        case 'U': what.owner = true; break;
        case 'X': what.xattrs = true; break;
        case 'j': json = true; cli_json_failures(stdout, NULL, false); break;
        case 'q': cs.quiet = true; break;
        case 'h':
            cli_help("usage: adbk create -o OUT.adbk [OPTIONS] PATH...\n\n"
                   "Packs files and folders into one archive. Each PATH is stored under its own\n"
                   "name: 'adbk create -o ifm.adbk /srv/ifm' stores ifm/Active Directory/...\n"
                   "Folders are walked in name order; modes and times are kept; symbolic links\n"
                   "and special files are skipped with a warning. The archive is written to a\n"
                   "temporary file beside OUT and takes its name only once complete and synced\n"
                   "to disk, so OUT is never a half-written archive.\n\n"
                   "  -o, --output OUT    the archive; '-' writes to standard output\n"
                   "  -1 .. -19           zstd level (default 3; 1 fastest, 19 smallest)\n"
                   "  -T, --threads N     compression threads (default: all cores)\n"
                   "  --chunk-size SIZE   content per independent zstd frame (default 4M);\n"
                   "                      memory is about 4 x threads x SIZE\n"
                   "  -f, --force         replace OUT if it exists\n"
                   "  --xxh128            also write OUT.xxh128 for 'xxhsum -c' after a copy\n"
                   "  --owner             also store each file's and folder's owner (uid, gid\n"
                   "                      and their names)\n"
                   "  --xattrs            also store every extended attribute: ACLs\n"
                   "                      (system.posix_acl_*), NT ACLs (security.NTACL), ...;\n"
                   "                      one that cannot be read is an error\n"
                   CLI_WRITE_KEY_HELP
                   "  --json              print a JSON summary on standard output\n"
                   "  -q, --quiet         no progress, no summary\n\n"
                   "Exit: 0 done, 1 done but some files were skipped (see warnings),\n"
                   "2 error (no archive was written).\n");
            return EXIT_OK;
        default: return EXIT_ERROR;
        }
    }
    cli_keys_writer(keys, wo);
    const char *out = oo.output;
    if (json) /* the summary's stream: standard error when the archive is on standard output */
        cli_json_failures(out && strcmp(out, "-") == 0 ? stderr : stdout, out, false);
    if (!out) {
        cli_err("create needs -o OUT.adbk (or -o - for standard output)");
        return EXIT_ERROR;
    }
    if (optind >= argc) {
        cli_err("create needs at least one file or folder to pack");
        return EXIT_ERROR;
    }
    bool to_stdout = strcmp(out, "-") == 0;
    if (to_stdout && isatty(STDOUT_FILENO)) {
        cli_err("refusing to write an archive to a terminal; redirect standard output");
        return EXIT_ERROR;
    }
    if (to_stdout && oo.xxh128) {
        cli_err("--xxh128 needs a file name: it cannot be used with -o -");
        return EXIT_ERROR;
    }
    struct adbk_error err = {0};
    adbk_status ost = adbk_outfile_check(out, oo.force, &err);
    if (ost != ADBK_OK) {
        cli_err_status(ost, "%s", err.message);
        return EXIT_ERROR;
    }
    cli_catch_signals();

    double t0 = cli_now();
    cli_progress_init(&cs.job.prog, "packing", 0, cs.quiet);
    struct adbk_job_callbacks cb = {.file_begin = c_member, .progress = c_progress,
                                    .warning = cli_job_warning, .cancelled = cli_job_cancelled,
                                    .ctx = &cs, .note = cs.quiet ? NULL : cli_job_note,
                                    .total = c_total};
    struct adbk_backup_result res;
    adbk_status st = adbk_create((const char *const *)&argv[optind], (size_t)(argc - optind),
                                 &what, &oo, &cb, &res, &err);
    cli_progress_end(&cs.job.prog);
    if (st == ADBK_E_INTERRUPTED) {
        cli_err("interrupted; no archive was written");
        return EXIT_ERROR;
    }
    if (st != ADBK_OK) {
        cli_err_status(st, "%s; no archive was written", err.message);
        return EXIT_ERROR;
    }
    double secs = cli_now() - t0;
    FILE *sf = json && !to_stdout ? stdout : stderr;
    if (json) {
        char hex[33];
        adbk_hex128(res.xxh128, hex);
        fprintf(sf, "{\"archive\":");
        cli_json_str(sf, out);
        fprintf(sf, ",\"members\":%" PRIu64 ",\"bytes_in\":%" PRIu64 ",\"bytes_out\":%" PRIu64
                ",\"seconds\":%.3f,\"warnings\":%u,\"xxh128\":\"%s\"}\n", res.files,
                res.bytes_in, res.bytes_out, secs, cs.job.warnings, hex);
    } else if (!cs.quiet) {
        char a[16], b[16];
        cli_safe_printf(stderr, "%s: %" PRIu64 " members, %s packed into %s (ratio %.2f) in "
                        "%.2f s%s", out, res.files, cli_size(res.bytes_in, a, sizeof a),
                        cli_size(res.bytes_out, b, sizeof b),
                        res.bytes_out ? (double)res.bytes_in / (double)res.bytes_out : 0.0, secs,
                        cs.job.warnings ? "; some files were skipped, see the warnings above" : "");
        fputc('\n', stderr);
    }
    return cs.job.warnings ? EXIT_DAMAGED : EXIT_OK;
}

static int cmd_create(int argc, char **argv)
{
    return cli_with_keys(create_with, argc, argv);
}

/* ------------------------------------------------------------ extract */

struct xstate {
    struct cli_job job; /* first: the shared callbacks take this struct */
    uint64_t base, cur_size;
    const char *cur;
    bool verbose, json;
    const char *archive; /* as the command line names it (--salvage reads a copy) */
    const struct adbk_reader *notes; /* says cli_member_note's notes (not -q) */
};

static void x_member(void *ctx, const struct adbk_entry *e)
{
    struct xstate *x = ctx;
    x->base += x->cur_size;
    x->cur_size = e->size;
    x->cur = e->name;
    if (x->verbose) {
        cli_progress_end(&x->job.prog);
        cli_safe_str(stderr, e->name);
        fputc('\n', stderr);
    }
    const char *note = x->notes ? cli_member_note(x->notes, e) : NULL;
    if (note) {
        cli_progress_end(&x->job.prog);
        cli_note("%s (%" PRIu64 " bytes) is %s", e->name, e->size, note);
    }
}

static void x_progress(void *ctx, uint64_t done)
{
    struct xstate *x = ctx;
    cli_progress_update(&x->job.prog, x->base + done, x->cur);
}

static int to_stdout_fn(void *ctx, const void *buf, size_t len)
{
    (void)ctx;
    if (fwrite(buf, 1, len, stdout) != len)
        return errno ? errno : EIO;
    return cli_interrupted ? -1 : 0;
}

static int extract_from(const char *path, struct adbk_extract_options *xo,
                        const struct adbk_reader_options *ro, struct xstate *xs, bool to_stdout,
                        bool quiet);

static int extract_with(int argc, char **argv, struct cli_keys *keys)
{
    static const struct option opts[] = {
        {"directory", required_argument, NULL, 'C'}, {"force", no_argument, NULL, 'f'},
        {"kind", required_argument, NULL, 'k'}, {"to-stdout", no_argument, NULL, 'O'},
        {"threads", required_argument, NULL, 'T'}, {"verbose", no_argument, NULL, 'v'},
        {"salvage", no_argument, NULL, 'S'}, {"quiet", no_argument, NULL, 'q'},
        {"owner", no_argument, NULL, 'U'}, {"xattrs", no_argument, NULL, 'X'},
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'},
        CLI_READ_KEY_OPTIONS, {NULL, 0, NULL, 0}};
    struct adbk_extract_options xo = {.dir = "."};
    struct adbk_reader_options ro = {0};
    struct xstate xs = {0};
    bool to_stdout = false, quiet = false, salvage = false;
    int c;
    optind = 1;
    while ((c = cli_getopt_keys(argc, argv, "C:fk:OT:vSqhi:", opts, "extract", keys)) != -1) {
        switch (c) {
        case 'C': xo.dir = optarg; break;
        case 'f': xo.force = true; break;
        case 'k': {
            /* "log" or "logs": the plural reads naturally on a command line. */
            char kind[32];
            snprintf(kind, sizeof kind, "%s", optarg);
            size_t n = strlen(kind);
            xo.kind = adbk_kind_from_name(kind);
            if (!xo.kind && n > 1 && kind[n - 1] == 's') {
                kind[n - 1] = '\0';
                xo.kind = adbk_kind_from_name(kind);
            }
            if (!xo.kind) {
                cli_err("unknown kind '%s' (file, directory, expiry-token, database, log, "
                        "patch, checkpoint, unknown)", optarg);
                return EXIT_ERROR;
            }
            break;
        }
        case 'O': to_stdout = true; break;
        case 'T':
            if (!cli_parse_threads(optarg, &ro.threads)) {
                cli_err("-T wants a thread count from 1 to 256, not '%s'", optarg);
                return EXIT_ERROR;
            }
            break;
        case 'v': xs.verbose = true; break;
        case 'S': salvage = true; break;
        case 'U': xo.owner = true; break;
        case 'X': xo.xattrs = true; break;
        case 'q': quiet = true; break;
        case 'j': xs.json = true; cli_json_failures(stdout, NULL, false); break;
        case 'h':
            cli_help("usage: adbk extract ARCHIVE [OPTIONS] [NAME...]\n\n"
                   "Unpacks members (all, or those NAMEd: a member or a folder of members) into\n"
                   "a folder. Every chunk and every member's XXH128 is checked as it streams; a\n"
                   "file takes its name only once its content checked out. Names that would land\n"
                   "outside the folder ('..', absolute paths, symlinks already there) are refused.\n\n"
                   "  -C, --directory DIR  extract into DIR (default: the current folder)\n"
                   "  -k, --kind KIND      only members of this kind: database, log (or logs), patch,\n"
                   "                       expiry-token, file, directory\n"
                   "  -O, --to-stdout      write the selected contents to standard output\n"
                   "  -f, --force          replace existing files\n"
                   "  --owner              give files and folders the owner (uid, gid) the\n"
                   "                       archive stores for them\n"
                   "  --xattrs             give files and folders the extended attributes the\n"
                   "                       archive stores (ACLs, NT ACLs); one the file system\n"
                   "                       refuses fails its member\n"
                   "  -T, --threads N      decompression threads (default: all cores)\n"
                   "  -v, --verbose        name each member as it is extracted\n"
                   "  --salvage            the archive is damaged or cut short: salvage it first\n"
                   "                       (as 'adbk salvage', into a temporary archive), report\n"
                   "                       what is lost, and extract what is intact; partial\n"
                   "                       members land in lost+found/ with their byte ranges\n"
                   CLI_READ_KEY_HELP
                   "  --json               a JSON summary on standard output (archive, target,\n"
                   "                       members, bytes), or the failure as a JSON object\n"
                   "  -q, --quiet          no progress\n\n"
                   "Exit: 0 all extracted, 1 some member was damaged or refused (or the\n"
                   "archive is not signed by a trusted key), 2 error.\n");
            return EXIT_OK;
        default: return EXIT_ERROR;
        }
    }
    if (!cli_keys_finish(keys))
        return EXIT_ERROR;
    if (salvage && keys->ntrusted) {
        /* The repaired archive is written anew: no signer's signature survives. */
        cli_err("--salvage and --trust cannot go together: a salvaged archive is rewritten and "
                "carries no signature; check the damaged archive with 'adbk verify --trust' (it "
                "names the members that are intact), then extract with --salvage alone");
        return EXIT_ERROR;
    }
    cli_keys_reader(keys, &ro);
    if (optind >= argc) {
        cli_err("extract needs an archive (try 'adbk extract --help')");
        return EXIT_ERROR;
    }
    const char *path = argv[optind++];
    xs.archive = path;
    if (xs.json)
        cli_json_failures(stdout, path, false);
    if (xs.json && to_stdout) {
        cli_err("--json prints on standard output: it cannot be used with --to-stdout");
        return EXIT_ERROR;
    }
    xo.names = (const char *const *)&argv[optind];
    xo.name_count = (size_t)(argc - optind);
    cli_catch_signals();
    char salvaged[4096] = "";
    int salvage_rc = EXIT_OK;
    if (salvage) {
        /* The loss report is a warning, shown even with -q. */
        salvage_rc = cli_salvage_to_temp(path, keys, false, salvaged, sizeof salvaged);
        if (salvage_rc == EXIT_ERROR)
            return EXIT_ERROR;
        path = salvaged;
    }
    int rc = extract_from(path, &xo, &ro, &xs, to_stdout, quiet);
    if (salvaged[0])
        unlink(salvaged);
    return rc > salvage_rc ? rc : salvage_rc;
}

static int cmd_extract(int argc, char **argv)
{
    return cli_with_keys(extract_with, argc, argv);
}

/* The rest of extract, once the archive to read is known. */
static int extract_from(const char *path, struct adbk_extract_options *xo_in,
                        const struct adbk_reader_options *ro, struct xstate *xsp, bool to_stdout,
                        bool quiet)
{
    struct adbk_extract_options xo = *xo_in;
    struct xstate xs = *xsp;
    struct adbk_error err = {0};
    struct adbk_reader *r;
    adbk_status st = adbk_reader_open(path, ro, &r, &err);
    if (st != ADBK_OK) {
        cli_err_status(st, "%s", err.message);
        return cli_exit_for(st);
    }
    if (adbk_reader_info(r)->locked) {
        cli_err_status(ADBK_E_KEY, "%s is encrypted: extracting needs a recipient's secret key (--identity FILE, "
                "--identity-fd N or ADBK_IDENTITY)", path);
        adbk_reader_close(r);
        return EXIT_ERROR;
    }
    for (size_t i = 0; i < xo.name_count; i++) {
        struct adbk_extract_options one = {.names = &xo.names[i], .name_count = 1};
        bool any = false;
        for (size_t k = 0; k < adbk_reader_count(r) && !any; k++)
            any = adbk_extract_selects(&one, adbk_reader_member(r, k));
        if (!any) {
            cli_err("%s holds no member named '%s'", path, xo.names[i]);
            adbk_reader_close(r);
            return EXIT_ERROR;
        }
    }
    int rc = EXIT_OK;
    if (to_stdout) {
        for (size_t i = 0; i < adbk_reader_count(r) && rc == EXIT_OK; i++) {
            bool sel = adbk_extract_selects(&xo, adbk_reader_member(r, i));
            if (!sel)
                continue;
            st = adbk_reader_read_member(r, i, to_stdout_fn, NULL, &err);
            if (st != ADBK_OK) {
                cli_err("%s", err.message);
                rc = cli_exit_for(st);
            }
        }
        if (fflush(stdout) != 0 && rc == EXIT_OK) {
            cli_err("writing to standard output: %s", strerror(errno));
            rc = EXIT_ERROR;
        }
        adbk_reader_close(r);
        return rc;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < adbk_reader_count(r); i++)
        total += adbk_reader_member(r, i)->size;
    if (mkdir(xo.dir, 0777) != 0 && errno != EEXIST) {
        char parent[4096];
        snprintf(parent, sizeof parent, "%s", xo.dir);
        if (errno == ENOENT)
            cli_err("cannot create target folder %s: the folder %s does not exist", xo.dir,
                    dirname(parent));
        else
            cli_err("cannot create target folder %s: %s", xo.dir, strerror(errno));
        adbk_reader_close(r);
        return EXIT_ERROR;
    }
    cli_progress_init(&xs.job.prog, "extracting", total, quiet || xs.json);
    xs.notes = quiet ? NULL : r;
    struct adbk_extract_callbacks cb = {x_member, x_progress, cli_job_warning, cli_job_cancelled, &xs};
    struct adbk_extract_result res;
    st = adbk_extract(r, &xo, &cb, &res, &err);
    cli_progress_end(&xs.job.prog);
    adbk_reader_close(r);
    if (st != ADBK_OK) {
        if (st == ADBK_E_INTERRUPTED || st == ADBK_E_IO || st == ADBK_E_NOMEM) {
            cli_err_status(st, "%s", err.message);
            return EXIT_ERROR;
        }
        if (xs.json) {
            cli_err_status(st, "%" PRIu64 " extracted, %" PRIu64 " failed (see the messages on "
                           "standard error)", res.members, res.failed);
            return EXIT_DAMAGED;
        }
        fprintf(stderr, "%s: %" PRIu64 " extracted, %" PRIu64 " failed (see above)\n", cli_prog,
                res.members, res.failed);
        return EXIT_DAMAGED;
    }
    if (xs.json) {
        cli_json_done();
        printf("{\"archive\":");
        cli_json_str(stdout, xs.archive);
        printf(",\"ok\":%s,\"target\":", res.skipped ? "false" : "true");
        cli_json_str(stdout, xo.dir);
        printf(",\"members\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"skipped\":%" PRIu64 "}\n",
               res.members, res.bytes, res.skipped);
    } else if (!quiet) {
        char a[16];
        cli_safe_printf(stderr, "%" PRIu64 " members (%s) extracted into %s%s", res.members,
                        cli_size(res.bytes, a, sizeof a), xo.dir,
                        res.skipped ? ", some skipped (see above)" : "");
        fputc('\n', stderr);
    }
    return res.skipped ? EXIT_DAMAGED : EXIT_OK;
}

/* The commands, as 'adbk COMMAND' runs them. */
static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"backup", cmd_backup}, {"restore", cmd_restore}, {"create", cmd_create},
    {"list", cli_list}, {"verify", cli_verify}, {"extract", cmd_extract},
    {"salvage", cmd_salvage}, {"status", cmd_status}, {"keygen", cli_keygen},
};

int main(int argc, char **argv)
{
    cli_prog = "adbk";
    if (argc < 2) {
        usage(stderr);
        return EXIT_ERROR;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || (!strcmp(cmd, "help") && argc == 2)) {
        usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V") || !strcmp(cmd, "version")) {
        cli_version();
        return EXIT_OK;
    }
    /* 'adbk help COMMAND' is 'adbk COMMAND --help'. */
    static char help_opt[] = "--help";
    bool help = !strcmp(cmd, "help");
    if (help && argc > 3) {
        cli_err("help takes one command (try 'adbk help COMMAND')");
        return EXIT_ERROR;
    }
    if (help)
        cmd = argv[2];
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(cmd, commands[i].name) != 0)
            continue;
        char *help_argv[] = {argv[2], help_opt, NULL};
        return help ? commands[i].run(2, help_argv) : commands[i].run(argc - 1, argv + 1);
    }
    if (cmd[0] == '-') {
        cli_safe_printf(stderr, "adbk: unknown option '%s' (try 'adbk --help')", cmd);
        fputc('\n', stderr);
    } else {
        cli_err("unknown command '%s' (try 'adbk --help')", cmd);
    }
    return EXIT_ERROR;
}
