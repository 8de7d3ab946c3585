/*
 * restore_cmd.c - `adbk restore`: parses options, opens the archive and the
 * server, runs adbk_restore, draws its progress and prints the summary.
 */
#include "adbk.h"
#include "cli.h"
#include "keys.h"
#include "identity.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int cmd_restore(int argc, char **argv);

static void r_file_begin(void *ctx, const char *name, unsigned kind, uint64_t size,
                         const char *dest)
{
    (void)kind;
    (void)dest;
    cli_job_file_begin(ctx, "restoring", name, size);
}

static void r_progress(void *ctx, uint64_t done) { cli_job_file_progress(ctx, done); }

static void help(void)
{
    cli_help("usage: adbk restore ARCHIVE [--samba-conf FILE | --samba-target DIR |\n"
           "                    --server NAME | --dcsim DIR] [OPTIONS]\n\n"
           "Restores a backup made by 'adbk backup' to the stopped domain controller it\n"
           "is of.\n\n"
           "A Samba AD DC (Linux; the DC of this machine's smb.conf, or of --samba-conf):\n"
           "refused while its samba daemon runs, for another DC or domain, or when older\n"
           "than its tombstone lifetime; every file is written under a temporary name beside\n"
           "its destination and checked as it streams, and only when all are does each take\n"
           "its place (private/, state/ with sysvol, smb.conf's folder), with its owner,\n"
           "mode, extended attributes (sysvol's NT ACLs and POSIX ACLs) and time. Start\n"
           "samba afterwards.\n"
           "With --samba-target DIR the same DC is restored into a new (or empty) folder\n"
           "instead: DIR/private, DIR/state, DIR/etc/smb.conf, that smb.conf rewritten to\n"
           "name DIR's folders (samba -s DIR/etc/smb.conf runs it). It is built beside DIR\n"
           "and takes DIR's name only when whole. Do not start it while the original DC\n"
           "serves the domain: it is that DC. To add a DC under a new name, hand the\n"
           "archive to Samba's own tool with adbk-samba-export.\n\n"
           "A Windows DC or adbk's simulated one, whose directory service is stopped\n"
           "(Directory Services Restore Mode), the DsRestore way:\n"
           "  1. checks the archive: one expiry token, one database, logs without a gap,\n"
           "     and that it is of this DC (server and domain, simulated or real);\n"
           "  2. refuses a backup older than its tombstone lifetime (from the archive);\n"
           "  3. prepares the restore with the archive's expiry token (the server checks\n"
           "     it too) and asks the server where the database and the logs go;\n"
           "  4. writes every file under a temporary name beside its destination, checking\n"
           "     every chunk and the whole content as it streams, and syncs it;\n"
           "  5. registers the restore with the log folder and the archive's lowest and\n"
           "     highest log generation, removes the old logs and checkpoint, renames the\n"
           "     verified files into place and completes the restore.\n"
           "A damaged member, a full disk or an interruption in step 4 stops the restore\n"
           "before registration: the server's files and state stay as they were. At the\n"
           "next start the directory replays the logs (hard recovery).\n\n"
           "  --samba-conf FILE      the Samba AD DC configured by FILE (default: where Samba\n"
           "                         keeps smb.conf, see 'samba -b')\n"
           "  --samba-target DIR     restore a Samba DC's archive into the new folder DIR\n"
           "  --server NAME          the DC to restore (Windows: default this machine)\n"
           "  --dcsim DIR            restore adbk's simulated DC in DIR (a test double; also\n"
           "                         chosen by ADBK_DCSIM_DIR=DIR)\n"
           "  --allow-other-dc       restore an archive of another DC (another server or\n"
           "                         domain, or a simulated DC's archive onto a real one),\n"
           "                         with a warning; without it such a restore is refused\n"
           "                         before anything is changed\n"
           "  --user DOMAIN\\name    run the server's calls as this account (DsSetAuthIdentity);\n"
           "                         the password comes from ADBK_PASSWORD or a prompt without\n"
           "                         echo, never from the command line\n"
           "  --allow-expired        restore a backup older than its tombstone lifetime,\n"
           "                         with a warning (it can bring back deleted objects;\n"
           "                         the server may still refuse the token)\n"
           CLI_READ_KEY_HELP
           "  -T, --threads N        decompression threads (default: all cores)\n"
           "  --json                 print a JSON summary on standard output\n"
           "  -q, --quiet            no progress, no summary\n\n"
           "Needs the restore privilege: on Linux CAP_DAC_OVERRIDE (run as root, or\n"
           "'setcap cap_dac_override+p adbk'), and free space for the database and logs\n"
           "beside the files they replace.\n\n"
           "Exit: 0 restored, 1 restored with a warning, or the archive is damaged,\n"
           "2 any other error (nothing was restored unless the message says otherwise).\n");
}

static void summary(const char *archive, const struct adbk_restore_result *r, double secs,
                    bool json)
{
    if (json) {
        printf("{\"archive\":");
        cli_json_str(stdout, archive);
        printf(",\"database\":");
        cli_json_str(stdout, r->database);
        printf(",\"log_dir\":");
        cli_json_str(stdout, r->log_dir);
        printf(",\"server\":");
        cli_json_str(stdout, r->target_server);
        printf(",\"domain\":");
        cli_json_str(stdout, r->target_domain);
        printf(",\"archive_server\":");
        cli_json_str(stdout, r->server);
        printf(",\"archive_domain\":");
        cli_json_str(stdout, r->domain);
        printf(",\"simulated\":%s,\"samba\":%s", r->simulated ? "true" : "false",
               r->samba ? "true" : "false");
        if (r->samba) {
            printf(",\"samba_conf\":");
            cli_json_str(stdout, r->samba_conf);
        }
        printf(",\"files\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"seconds\":%.3f"
               ",\"log_generation_low\":%u,\"log_generation_high\":%u,\"age_days\":%lld",
               r->files, r->bytes, secs, (unsigned)r->gen_low, (unsigned)r->gen_high,
               (long long)r->age_days);
        if (r->tsl_days)
            printf(",\"tombstone_lifetime_days\":%u", (unsigned)r->tsl_days);
        printf(",\"registered\":%s,\"completed\":%s}\n", r->registered ? "true" : "false",
               r->completed ? "true" : "false");
        return;
    }
    char a[16], b[16];
    /* Paths from the command line and the server: escaped (cli_safe_printf). */
    if (r->simulated) {
        cli_safe_printf(stderr, "%s: %s", archive, CLI_SIMULATED_WARNING);
        fputc('\n', stderr);
    }
    cli_safe_printf(stderr, "%s: restored %" PRIu64 " files (%s) in %.2f s (%s/s)", archive,
                    r->files, cli_size(r->bytes, a, sizeof a), secs,
                    cli_size(secs > 0 ? (uint64_t)((double)r->bytes / secs) : 0, b, sizeof b));
    fputc('\n', stderr);
    if (r->samba) {
        cli_safe_printf(stderr, "%s: the Samba DC's files are in place (sam.ldb: %s); the "
                        "backup is %lld days old", archive, r->database, (long long)r->age_days);
        if (r->tsl_days)
            fprintf(stderr, " (tombstone lifetime %u days)", (unsigned)r->tsl_days);
        fputc('\n', stderr);
        cli_safe_printf(stderr, "%s: start samba (samba -s %s, or e.g. systemctl start "
                        "samba-ad-dc)", archive, r->samba_conf);
        fputc('\n', stderr);
        return;
    }
    cli_safe_printf(stderr, "%s: database %s, logs in %s, generations " CLI_GEN ".." CLI_GEN " registered; "
                    "the backup is %lld days old", archive, r->database, r->log_dir,
                    (unsigned)r->gen_low, (unsigned)r->gen_high, (long long)r->age_days);
    if (r->tsl_days)
        fprintf(stderr, " (tombstone lifetime %u days)", (unsigned)r->tsl_days);
    fputc('\n', stderr);
    cli_safe_printf(stderr, "%s: start the directory service to replay the logs", archive);
    fputc('\n', stderr);
}

static int restore_with(int argc, char **argv, struct cli_keys *keys)
{
    enum { OPT_SERVER = 256, OPT_DCSIM, OPT_OTHER_DC, OPT_EXPIRED, OPT_JSON, OPT_USER, OPT_SAMBA,
           OPT_SAMBA_TARGET };
    static const struct option opts[] = {
        {"samba-conf", required_argument, NULL, OPT_SAMBA},
        {"samba-target", required_argument, NULL, OPT_SAMBA_TARGET},
        {"server", required_argument, NULL, OPT_SERVER}, {"user", required_argument, NULL, OPT_USER},
        {"dcsim", required_argument, NULL, OPT_DCSIM},
        {"allow-other-dc", no_argument, NULL, OPT_OTHER_DC},
        {"allow-expired", no_argument, NULL, OPT_EXPIRED},
        {"threads", required_argument, NULL, 'T'}, {"json", no_argument, NULL, OPT_JSON},
        {"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'},
        CLI_READ_KEY_OPTIONS, {NULL, 0, NULL, 0}};
    struct adbk_restore_options ro = {0};
    struct adbk_reader_options rdo = {0};
    struct adbk_dc_spec spec = {0};
    const char *user = NULL;
    bool json = false, quiet = false;
    int c;
    optind = 1;
    while ((c = cli_getopt_keys(argc, argv, "T:qhi:", opts, "restore", keys)) != -1) {
        switch (c) {
        case OPT_SERVER: spec.server = optarg; break;
        case OPT_DCSIM: spec.dcsim_dir = optarg; break;
        case OPT_SAMBA: spec.samba_conf = optarg; break;
        case OPT_SAMBA_TARGET: spec.samba_target = optarg; break;
        case OPT_OTHER_DC: ro.allow_other_dc = true; break;
        case OPT_USER: user = optarg; break;
        case OPT_EXPIRED: ro.allow_expired = true; break;
        case 'T':
            if (!cli_parse_threads(optarg, &rdo.threads)) {
                cli_err("-T wants a thread count from 1 to 256, not '%s'", optarg);
                return EXIT_ERROR;
            }
            break;
        case OPT_JSON: json = true; cli_json_failures(stdout, NULL, false); break;
        case 'q': quiet = true; break;
        case 'h': help(); return EXIT_OK;
        default: return EXIT_ERROR;
        }
    }
    if (optind + 1 != argc) {
        cli_err(optind == argc ? "restore needs an archive (try 'adbk restore --help')"
                               : "restore takes one archive; the target is --samba-conf, --samba-target, "
                                 "--server or --dcsim");
        return EXIT_ERROR;
    }
    if (!cli_keys_finish(keys))
        return EXIT_ERROR;
    cli_keys_reader(keys, &rdo);
    const char *archive = argv[optind];
    if (json)
        cli_json_failures(stdout, archive, false);
    struct cli_job job;
    cli_job_init(&job, quiet);
    cli_catch_signals();

    struct adbk_error err = {0};
    struct adbk_reader *r = NULL;
    adbk_status st = adbk_reader_open(archive, &rdo, &r, &err);
    if (st != ADBK_OK) {
        cli_err_status(st, "%s", err.message);
        return cli_exit_for(st);
    }
    if (adbk_reader_info(r)->locked) {
        cli_err("%s is encrypted: restoring needs a recipient's secret key (--identity FILE, "
                "--identity-fd N or ADBK_IDENTITY)", archive);
        adbk_reader_close(r);
        return EXIT_ERROR;
    }
    struct cli_identity ci;
    if (!cli_identity_get(user, &ci)) {
        adbk_reader_close(r);
        return EXIT_ERROR;
    }
    struct adbk_dc *dc = NULL;
    st = adbk_dc_open(&spec, &ci.id, &dc, &err);
    cli_identity_wipe(&ci); /* the DC keeps its own copy */
    if (st != ADBK_OK) {
        cli_err("%s", err.message);
        adbk_reader_close(r);
        return EXIT_ERROR;
    }
    struct adbk_restore_callbacks cb = {r_file_begin, r_progress, cli_job_warning,
                                        cli_job_cancelled, &job, cli_job_note, cli_job_total};
    struct adbk_restore_result res;
    double t0 = cli_now();
    st = adbk_restore(r, dc, &ro, &cb, &res, &err);
    double secs = cli_now() - t0;
    cli_progress_end(&job.prog);
    adbk_dc_close(dc);
    adbk_reader_close(r);
    if (st != ADBK_OK) {
        cli_err_status(st, "%s", err.message);
        return cli_exit_for(st);
    }
    if (json || !quiet)
        summary(archive, &res, secs, json);
    return job.warnings ? EXIT_DAMAGED : EXIT_OK;
}

int cmd_restore(int argc, char **argv)
{
    return cli_with_keys(restore_with, argc, argv);
}
