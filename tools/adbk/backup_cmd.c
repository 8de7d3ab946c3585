/*
 * backup_cmd.c - `adbk backup`: parses options, opens the source, runs
 * adbk_backup, draws its progress and prints the summary. Nothing else.
 */
#include "adbk.h"
#include "cli.h"
#include "keys.h"
#include "identity.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_backup(int argc, char **argv);

static void b_file_begin(void *ctx, const char *name, unsigned kind, uint64_t size)
{
    (void)kind;
    cli_job_file_begin(ctx, "reading", name, size);
}

static void b_progress(void *ctx, uint64_t done) { cli_job_file_progress(ctx, done); }

static void help(void)
{
    cli_help("usage: adbk backup -o OUT.adbk [--samba-conf FILE | --server NAME | --dcsim DIR]\n"
           "                   [OPTIONS]\n\n"
           "Takes a full online backup of a domain controller's directory into one archive,\n"
           "made durable (written to OUT.XXXXXX.partial, synced, renamed to OUT, folder\n"
           "synced); any failure or interruption leaves no archive.\n\n"
           "A Samba AD DC (Linux): the DC of this machine's smb.conf, or of --samba-conf.\n"
           "Its directory databases are copied as one consistent cut while it runs:\n"
           "directory writes wait (the summary says how long) while sam.ldb and every\n"
           "partition are read; then secrets, the other databases, the private and state\n"
           "folders (sysvol with its ACLs) and smb.conf's folder.\n\n"
           "A Windows DC, or adbk's simulated one (the DsBackup sequence): checks the\n"
           "directory is running, stores the backup's expiry token, streams the database and\n"
           "then every transaction log, and only once the archive is durable lets the server\n"
           "truncate its committed logs.\n\n"
           "  -o, --output OUT       the archive; '-' writes to standard output\n"
           "  --samba-conf FILE      the Samba AD DC configured by FILE (default: where Samba\n"
           "                         keeps smb.conf, see 'samba -b')\n"
           "  --lock-timeout SEC     wait at most SEC seconds for a Samba database's read lock\n"
           "                         (default 10); a lock held longer is an error naming it\n"
           "  --max-freeze SEC       hold Samba's directory writes at most SEC seconds (e.g.\n"
           "                         0.5); a copy that would take longer fails, nothing is kept\n"
           "  --server NAME          the DC to back up (Windows: default this machine)\n"
           "  --dcsim DIR            back up adbk's simulated DC in DIR (dcsim, a test double\n"
           "                         of the DsBackup API, made with 'dcsim provision'); also\n"
           "                         chosen by ADBK_DCSIM_DIR=DIR. The archive and every\n"
           "                         listing of it say it is of a simulated DC; adbk never\n"
           "                         picks the simulator by itself\n"
           "  --user DOMAIN\\name    run the server's calls as this account (DsSetAuthIdentity);\n"
           "                         the password comes from ADBK_PASSWORD or a prompt without\n"
           "                         echo, never from the command line\n"
           "  -1 .. -19              zstd level (default 3; 1 fastest, 19 smallest)\n"
           "  -T, --threads N        compression threads (default: all cores)\n"
           "  --chunk-size SIZE      content per independent zstd frame (default 4M)\n"
           "  --no-truncate-logs     never truncate the server's logs (DsBackup)\n"
           "  --truncate-logs        truncate them even when writing to a pipe (by default\n"
           "                         logs are truncated only when OUT is a file, since adbk\n"
           "                         cannot know whether a pipe's reader kept the archive)\n"
           CLI_WRITE_KEY_HELP
           "  -f, --force            replace OUT if it exists\n"
           "  --xxh128               also write OUT.xxh128 for 'xxhsum -c' after a copy\n"
           "  --json                 print a JSON summary on standard output\n"
           "  -q, --quiet            no progress, no summary\n\n"
           "The backup needs the backup privilege: on Linux CAP_DAC_READ_SEARCH, so run\n"
           "it as root or grant it once with 'setcap cap_dac_read_search+p adbk'.\n\n"
           "Exit: 0 done, 1 archive done but with a warning (e.g. logs not truncated),\n"
           "2 error (no archive was written, no log was truncated).\n");
}

static void summary(const char *out, const char *source, const struct adbk_backup_result *r,
                    double secs, bool json, bool to_stdout)
{
    double ratio = r->bytes_out ? (double)r->bytes_in / (double)r->bytes_out : 0.0;
    if (json) {
        FILE *f = to_stdout ? stderr : stdout;
        char hex[33];
        adbk_hex128(r->xxh128, hex);
        fprintf(f, "{\"archive\":");
        cli_json_str(f, out);
        fprintf(f, ",\"server\":");
        cli_json_str(f, r->server);
        fprintf(f, ",\"domain\":");
        cli_json_str(f, r->domain);
        fprintf(f, ",\"source\":");
        cli_json_str(f, source);
        fprintf(f, ",\"simulated\":%s", r->simulated ? "true" : "false");
        fprintf(f, ",\"files\":%" PRIu64 ",\"bytes_in\":%" PRIu64 ",\"bytes_out\":%" PRIu64
                ",\"ratio\":%.3f,\"seconds\":%.3f", r->files, r->bytes_in, r->bytes_out, ratio,
                secs);
        if (r->has_logs)
            fprintf(f, ",\"log_generation_low\":%u,\"log_generation_high\":%u",
                    (unsigned)r->gen_low, (unsigned)r->gen_high);
        if (r->databases)
            fprintf(f, ",\"databases\":%u,\"writes_frozen_seconds\":%.6f", r->databases,
                    r->freeze_us / 1e6);
        fprintf(f, ",\"logs_truncated\":%s,\"xxh128\":\"%s\"}\n", r->truncated ? "true" : "false",
                hex);
        return;
    }
    char a[16], b[16], c[16];
    /* Names from the command line and the server: escaped (cli_safe_printf). */
    if (r->simulated) {
        cli_safe_printf(stderr, "%s: %s", out, CLI_SIMULATED_WARNING);
        fputc('\n', stderr);
    }
    cli_safe_printf(stderr, "%s: backup of %s%s%s%s: %" PRIu64 " files, %s read, %s written "
                    "(ratio %.2f) in %.2f s (%s/s)", out, r->simulated ? "the SIMULATED DC " : "",
                    r->server, r->domain[0] ? "." : "", r->domain, r->files,
                    cli_size(r->bytes_in, a, sizeof a), cli_size(r->bytes_out, b, sizeof b), ratio,
                    secs,
                    cli_size(secs > 0 ? (uint64_t)((double)r->bytes_in / secs) : 0, c, sizeof c));
    fputc('\n', stderr);
    if (r->databases) {
        cli_safe_printf(stderr, "%s: %u directory databases copied as one cut; directory writes "
                        "waited %.3f s", out, r->databases, r->freeze_us / 1e6);
        fputc('\n', stderr);
    }
    if (r->has_logs) {
        cli_safe_printf(stderr, "%s: logs " CLI_GEN ".." CLI_GEN " (%u), %s", out, (unsigned)r->gen_low,
                        (unsigned)r->gen_high, (unsigned)(r->gen_high - r->gen_low + 1),
                        r->truncated ? "truncated on the server" : "not truncated on the server");
        fputc('\n', stderr);
    }
}

static int backup_with(int argc, char **argv, struct cli_keys *keys)
{
    enum { OPT_SERVER = 256, OPT_DCSIM, OPT_CHUNK, OPT_NOTRUNC, OPT_TRUNC, OPT_XXH, OPT_JSON,
           OPT_USER, OPT_SAMBA, OPT_LOCK_TIMEOUT, OPT_MAX_FREEZE };
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"server", required_argument, NULL, OPT_SERVER},
        {"dcsim", required_argument, NULL, OPT_DCSIM},
        {"samba-conf", required_argument, NULL, OPT_SAMBA},
        {"lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT},
        {"max-freeze", required_argument, NULL, OPT_MAX_FREEZE},
        {"user", required_argument, NULL, OPT_USER},
        {"threads", required_argument, NULL, 'T'}, {"chunk-size", required_argument, NULL, OPT_CHUNK},
        {"no-truncate-logs", no_argument, NULL, OPT_NOTRUNC},
        {"truncate-logs", no_argument, NULL, OPT_TRUNC}, {"force", no_argument, NULL, 'f'},
        {"xxh128", no_argument, NULL, OPT_XXH}, {"json", no_argument, NULL, OPT_JSON},
        {"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'},
        CLI_WRITE_KEY_OPTIONS, {NULL, 0, NULL, 0}};
    struct adbk_backup_options bo = {0};
    struct adbk_output_options *out = &bo.out;
    struct adbk_dc_spec spec = {0};
    const char *user = NULL;
    bool json = false, trunc_yes = false, trunc_no = false;
    struct cli_job job;
    bool quiet = false;
    if (!cli_take_level(&argc, argv, &out->writer.level))
        return EXIT_ERROR;
    int c;
    optind = 1;
    while ((c = cli_getopt_keys(argc, argv, "o:T:fqhr:R:", opts, "backup", keys)) != -1) {
        switch (c) {
        case 'o': out->output = optarg; break;
        case OPT_SERVER: spec.server = optarg; break;
        case OPT_DCSIM: spec.dcsim_dir = optarg; break;
        case OPT_SAMBA: spec.samba_conf = optarg; break;
        case OPT_LOCK_TIMEOUT:
        case OPT_MAX_FREEZE: {
            uint32_t ms;
            if (!cli_parse_seconds_ms(optarg, &ms)) {
                cli_err("--%s wants seconds (e.g. 10 or 0.5), not '%s'",
                        c == OPT_LOCK_TIMEOUT ? "lock-timeout" : "max-freeze", optarg);
                return EXIT_ERROR;
            }
            *(c == OPT_LOCK_TIMEOUT ? &bo.samba.lock_timeout_ms : &bo.samba.max_freeze_ms) = ms;
            break;
        }
        case OPT_USER: user = optarg; break;
        case 'T':
            if (!cli_parse_threads(optarg, &out->writer.threads)) {
                cli_err("-T wants a thread count from 1 to 256, not '%s'", optarg);
                return EXIT_ERROR;
            }
            break;
        case OPT_CHUNK: {
            uint64_t v;
            if (!cli_parse_size(optarg, &v) || v < ADBK_CHUNK_MIN || v > ADBK_CHUNK_MAX) {
                cli_err("--chunk-size wants a size from 4K to 128M, not '%s'", optarg);
                return EXIT_ERROR;
            }
            out->writer.chunk_size = (uint32_t)v;
            break;
        }
        case OPT_NOTRUNC: trunc_no = true; break;
        case OPT_TRUNC: trunc_yes = true; break;
        case 'f': out->force = true; break;
        case OPT_XXH: out->xxh128 = true; break;
        case OPT_JSON: json = true; cli_json_failures(stdout, NULL, false); break;
        case 'q': quiet = true; break;
        case 'h': help(); return EXIT_OK;
        default: return EXIT_ERROR;
        }
    }
    if (json) /* the summary's stream: standard error when the archive is on standard output */
        cli_json_failures(out->output && strcmp(out->output, "-") == 0 ? stderr : stdout,
                          out->output, false);
    if (optind < argc) {
        cli_err("backup takes no file arguments ('%s'); the DC is --samba-conf, --server or --dcsim",
                argv[optind]);
        return EXIT_ERROR;
    }
    if (!out->output) {
        cli_err("backup needs -o OUT.adbk (or -o - for standard output)");
        return EXIT_ERROR;
    }
    if (trunc_yes && trunc_no) {
        cli_err("--truncate-logs and --no-truncate-logs contradict each other");
        return EXIT_ERROR;
    }
    bo.truncate = trunc_no ? ADBK_TRUNCATE_NO : trunc_yes ? ADBK_TRUNCATE_YES : ADBK_TRUNCATE_AUTO;
    cli_keys_writer(keys, &out->writer);
    bool to_stdout = strcmp(out->output, "-") == 0;
    if (to_stdout && isatty(STDOUT_FILENO)) {
        cli_err("refusing to write an archive to a terminal; redirect standard output");
        return EXIT_ERROR;
    }
    if (to_stdout && out->xxh128) {
        cli_err("--xxh128 needs a file name: it cannot be used with -o -");
        return EXIT_ERROR;
    }
    struct adbk_error err = {0};
    /* A folder or a missing folder as OUT: refused before the DC is asked. */
    adbk_status ost = adbk_outfile_check(out->output, out->force, &err);
    if (ost != ADBK_OK) {
        cli_err_status(ost, "%s", err.message);
        return EXIT_ERROR;
    }
    cli_job_init(&job, quiet);
    cli_catch_signals();

    struct cli_identity ci;
    if (!cli_identity_get(user, &ci))
        return EXIT_ERROR;
    struct adbk_dc *dc = NULL;
    adbk_status st = adbk_dc_open(&spec, &ci.id, &dc, &err);
    cli_identity_wipe(&ci); /* the DC keeps its own copy */
    if (st != ADBK_OK) {
        cli_err_status(st, "%s", err.message);
        return EXIT_ERROR;
    }
    bo.server_label = spec.server;
    struct adbk_job_callbacks cb = {b_file_begin, b_progress, cli_job_warning,
                                    cli_job_cancelled, &job, cli_job_note, cli_job_total};
    struct adbk_backup_result res;
    double t0 = cli_now();
    st = adbk_backup(dc, &bo, &cb, &res, &err);
    double secs = cli_now() - t0;
    cli_progress_end(&job.prog);
    /* The source as named on the command line, else as the DC was found
     * (ADBK_DCSIM_DIR, the default smb.conf, this machine). */
    char source[4096];
    snprintf(source, sizeof source, "%s", spec.dcsim_dir ? spec.dcsim_dir : spec.server
             ? spec.server : spec.samba_conf ? spec.samba_conf : adbk_dc_source(dc));
    adbk_dc_close(dc);
    if (st != ADBK_OK) {
        if (st == ADBK_E_EXISTS)
            cli_err_status(st, "%s", err.message);
        else
            cli_err_status(st, "%s; no archive was written and no log was truncated",
                           err.message);
        return EXIT_ERROR;
    }
    if (json || !quiet)
        summary(out->output, source, &res, secs, json, to_stdout);
    return job.warnings ? EXIT_DAMAGED : EXIT_OK;
}

int cmd_backup(int argc, char **argv)
{
    return cli_with_keys(backup_with, argc, argv);
}
