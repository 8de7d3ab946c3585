/*
 * salvage_cmd.c - `adbk salvage`: parses options, runs adbk_salvage from the
 * damaged file into a durable output file, and prints what was recovered and
 * what was lost, member by member and byte range by byte range (text on
 * standard error, or JSON on standard output). Also the temporary-archive
 * helper behind `extract --salvage`.
 */
#include "salvage_cmd.h"

#include "adbk.h"
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------ report */

struct sstate {
    struct cli_progress prog;
    bool json, quiet, members_open;
    unsigned damages;
};

static void s_damage(void *ctx, uint64_t off, uint64_t len, const char *msg)
{
    struct sstate *s = ctx;
    if (s->json) {
        printf("%s{\"offset\":%" PRIu64 ",\"length\":%" PRIu64 ",\"message\":",
               s->damages ? "," : "", off, len);
        cli_json_str(stdout, msg);
        printf("}");
    } else if (!s->quiet) {
        cli_progress_end(&s->prog);
        fprintf(stderr, "%s: damage: ", cli_prog);
        cli_safe_str(stderr, msg);
        fputc('\n', stderr);
    }
    s->damages++;
}

static void json_u64_or_null(uint64_t v, uint64_t null_value)
{
    if (v == null_value)
        printf("null");
    else
        printf("%" PRIu64, v);
}

static void s_member_json(struct sstate *s, const struct adbk_salvage_member *m)
{
    if (!s->members_open) {
        printf("],\"members\":[");
        s->members_open = true;
    } else {
        printf(",");
    }
    printf("{\"number\":");
    if (m->number < 0)
        printf("null");
    else
        printf("%" PRId64, m->number);
    printf(",\"name\":");
    if (m->name)
        cli_json_str(stdout, m->name);
    else
        printf("null");
    const char *kind = adbk_kind_name(m->kind);
    printf(",\"kind\":");
    if (kind)
        cli_json_str(stdout, kind);
    else
        printf("null");
    printf(",\"archive_offset\":%" PRIu64 ",\"complete\":%s,\"output_name\":", m->archive_offset,
           m->complete ? "true" : "false");
    if (m->output_name)
        cli_json_str(stdout, m->output_name);
    else
        printf("null");
    printf(",\"size\":");
    if (m->size_known)
        printf("%" PRIu64, m->size);
    else
        printf("null");
    printf(",\"recovered_bytes\":%" PRIu64 ",\"recovered\":[", m->recovered_bytes);
    for (size_t i = 0; i < m->piece_count; i++) {
        const struct adbk_salvage_piece *p = &m->pieces[i];
        printf("%s{\"offset\":", i ? "," : "");
        json_u64_or_null(p->offset, ADBK_SALVAGE_UNPLACED);
        printf(",\"length\":%" PRIu64 ",\"archive_offset\":%" PRIu64 ",\"output_name\":",
               p->length, p->archive_offset);
        cli_json_str(stdout, p->output_name);
        printf("}");
    }
    printf("],\"lost\":[");
    for (size_t i = 0; i < m->lost_count; i++) {
        printf("%s{\"offset\":%" PRIu64 ",\"length\":", i ? "," : "", m->lost[i].offset);
        json_u64_or_null(m->lost[i].length, ADBK_SALVAGE_TO_END);
        printf("}");
    }
    printf("],\"note\":");
    if (m->note)
        cli_json_str(stdout, m->note);
    else
        printf("null");
    printf("}");
}

static void s_member(void *ctx, const struct adbk_salvage_member *m)
{
    struct sstate *s = ctx;
    if (s->json) {
        s_member_json(s, m);
        return;
    }
    if (s->quiet)
        return;
    cli_progress_end(&s->prog);
    FILE *f = stderr;
    if (m->number >= 0)
        fprintf(f, "member %" PRId64 " ", m->number);
    else
        fprintf(f, "member at archive byte %" PRIu64 " ", m->archive_offset);
    if (m->name) {
        fputc('"', f);
        cli_safe_str(f, m->name);
        fputc('"', f);
    } else {
        fputs("(name lost)", f);
    }
    if (m->complete) {
        fputs(": complete", f);
        if (m->note) {
            fputs(" (", f);
            cli_safe_str(f, m->note);
            fputc(')', f);
        }
        fputc('\n', f);
        return;
    }
    fputs(": INCOMPLETE (", f);
    cli_safe_str(f, m->note ? m->note : "content is missing");
    fprintf(f, "): %" PRIu64 " bytes recovered", m->recovered_bytes);
    if (m->size_known)
        fprintf(f, " of %" PRIu64 "\n", m->size);
    else
        fputs(", size unknown\n", f);
    for (size_t i = 0; i < m->piece_count; i++) {
        const struct adbk_salvage_piece *p = &m->pieces[i];
        if (p->offset == ADBK_SALVAGE_UNPLACED)
            fprintf(f, "  recovered %" PRIu64 " bytes at an unknown offset as ", p->length);
        else
            fprintf(f, "  recovered bytes %" PRIu64 "..%" PRIu64 " as ", p->offset,
                    p->offset + p->length - 1);
        cli_safe_str(f, p->output_name);
        fputc('\n', f);
    }
    for (size_t i = 0; i < m->lost_count; i++) {
        if (m->lost[i].length == ADBK_SALVAGE_TO_END)
            fprintf(f, "  LOST bytes %" PRIu64 "..end (the size is unknown)\n",
                    m->lost[i].offset);
        else
            fprintf(f, "  LOST bytes %" PRIu64 "..%" PRIu64 " (%" PRIu64 " bytes)\n",
                    m->lost[i].offset, m->lost[i].offset + m->lost[i].length - 1,
                    m->lost[i].length);
    }
}

static int s_progress(void *ctx, uint64_t done, uint64_t total)
{
    struct sstate *s = ctx;
    (void)total;
    cli_progress_update(&s->prog, done, NULL);
    return cli_interrupted;
}

static void summary(struct sstate *s, const char *in, const char *out,
                    const struct adbk_salvage_result *r, adbk_status st, const char *msg)
{
    if (s->json) {
        if (!s->members_open)
            printf("],\"members\":[");
        printf("],\"ok\":%s,\"header_ok\":%s,\"index_ok\":%s,\"seek_table_ok\":%s,"
               "\"chunk_size\":%u,\"members_found\":%" PRIu64 ",\"complete\":%" PRIu64
               ",\"incomplete\":%" PRIu64 ",\"pieces\":%" PRIu64 ",\"chunks_recovered\":%" PRIu64
               ",\"chunks_lost\":%" PRIu64 ",\"bytes_recovered\":%" PRIu64 ",\"bytes_lost\":%"
               PRIu64 ",\"lost_unknown_end\":%s,\"damaged_archive_bytes\":%" PRIu64
               ",\"encrypted\":%s",
               st == ADBK_OK ? "true" : "false", r->header_ok ? "true" : "false",
               r->index_ok ? "true" : "false", r->seek_table_ok ? "true" : "false",
               r->chunk_size, r->members, r->complete, r->incomplete, r->pieces,
               r->chunks_recovered, r->chunks_lost, r->bytes_recovered, r->bytes_lost,
               r->lost_unknown_end ? "true" : "false", r->damaged_bytes,
               r->encrypted ? "true" : "false");
        if (st != ADBK_OK) {
            printf(",\"status\":");
            cli_json_str(stdout, adbk_strerror(st));
            printf(",\"message\":");
            cli_json_str(stdout, msg);
        }
        printf("}\n");
        return;
    }
    if (st != ADBK_OK || s->quiet)
        return;
    char a[16], b[16];
    fprintf(stderr, "%s: %" PRIu64 " members found: %" PRIu64 " complete, %" PRIu64
            " incomplete; %s recovered, %s%s lost; header %s, index %s, seek table %s\n",
            in, r->members, r->complete, r->incomplete, cli_size(r->bytes_recovered, a, sizeof a),
            cli_size(r->bytes_lost, b, sizeof b), r->lost_unknown_end ? " and tails of unknown size" : "",
            r->header_ok ? "intact" : "lost", r->index_ok ? "intact" : "lost",
            r->seek_table_ok ? "intact" : "lost");
    if (out)
        fprintf(stderr, "%s: written%s%s\n", out,
                r->encrypted ? ", encrypted to the same recipients" : "",
                r->pieces ? "; damaged members' intact ranges are under lost+found/" : "");
}

/* The whole job: open, salvage into out (NULL = report only), report. */
static int run(const char *in, const char *out, bool force, const struct adbk_salvage_options *so,
               struct sstate *s)
{
    struct adbk_error err = {0};
    struct adbk_source *src;
    adbk_status st = adbk_source_open_file(in, &src, &err);
    if (st != ADBK_OK) {
        cli_err_status(st, "%s", err.message);
        return EXIT_ERROR;
    }
    struct adbk_outfile *of = NULL;
    if (out && (st = adbk_outfile_open(out, force, &of, &err)) != ADBK_OK) {
        cli_err_status(st, "%s", err.message);
        adbk_source_close(src);
        return EXIT_ERROR;
    }
    if (s->json) {
        cli_json_done(); /* the report below says what failed */
        printf("{\"archive\":");
        cli_json_str(stdout, in);
        printf(",\"output\":");
        if (out)
            cli_json_str(stdout, out);
        else
            printf("null");
        printf(",\"damage\":[");
    }
    cli_progress_init(&s->prog, "salvaging", src->size, s->quiet || s->json);
    struct adbk_salvage_callbacks cb = {s_damage, s_member, s_progress, s};
    struct adbk_salvage_result res;
    st = adbk_salvage(src, of ? adbk_outfile_sink(of) : NULL, so, &cb, &res, &err);
    if (st == ADBK_OK && of)
        st = adbk_outfile_commit(of, &err);
    cli_progress_end(&s->prog);
    adbk_outfile_abort(of); /* removes the temporary file unless committed */
    adbk_source_close(src);
    if (st == ADBK_E_ABORTED && cli_interrupted)
        st = adbk_error_set(&err, ADBK_E_INTERRUPTED, "%s: salvage interrupted; nothing was "
                            "written", in);
    summary(s, in, out, &res, st, err.message);
    if (st != ADBK_OK) {
        if (!s->json)
            cli_err("%s", err.message);
        return EXIT_ERROR;
    }
    return res.incomplete ? EXIT_DAMAGED : EXIT_OK;
}

static void help(void)
{
    cli_help("usage: adbk salvage DAMAGED.adbk -o REPAIRED.adbk [OPTIONS]\n\n"
           "Recovers every intact chunk of a damaged or cut-short archive into a new, valid\n"
           "archive. It walks the file frame by frame from the start, so it works when the\n"
           "index or the seek table is damaged or missing; every chunk is checked against\n"
           "its own checksum and only intact ones are kept. Then it reports, member by\n"
           "member, the byte ranges recovered and the byte ranges lost.\n\n"
           "A member is stored under its own name only when it is complete: every chunk\n"
           "intact and its content hash matching the archive's record of it. Of any other\n"
           "member, each intact byte range becomes a member of its own,\n"
           "  lost+found/NAME.bytes-FIRST-LAST\n"
           "holding exactly the original bytes FIRST..LAST (offsets in the member's content,\n"
           "inclusive); a range whose offset cannot be established is stored as\n"
           "  lost+found/NAME.unplaced-at-archive-byte-N\n"
           "Lost ranges are never filled in, and a damaged member never appears under its\n"
           "own name, shorter. The repaired archive's property salvage.result says whether\n"
           "anything was lost; the index's other properties are kept when it survived.\n\n"
           "  -o, --output OUT    the repaired archive (written to a temporary file and\n"
           "                      renamed once complete and synced)\n"
           "  -n, --dry-run       only scan and report; write nothing\n"
           "  -1 .. -19           zstd level of the repaired archive (default 3)\n"
           "  -T, --threads N     compression threads (default: all cores)\n"
           "  -f, --force         replace OUT if it exists\n"
           "  -i, --identity FILE  a recipient's secret key, for an encrypted archive (also\n"
           "                      --identity-fd N, or ADBK_IDENTITY): what is intact is\n"
           "                      opened and authenticated, and the repaired archive is\n"
           "                      encrypted anew to the same recipients; an encrypted\n"
           "                      archive is not salvaged, nor scanned, without one\n"
           "  --sign FILE         sign the repaired archive (the original signature cannot\n"
           "                      survive a repair)\n"
           "  --json              the report as JSON on standard output\n"
           "  -q, --quiet         no progress, no report\n\n"
           "Exit: 0 nothing was lost, 1 repaired but something was lost (see the report),\n"
           "2 error (nothing was written).\n");
}

static int salvage_with(int argc, char **argv, struct cli_keys *keys)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"dry-run", no_argument, NULL, 'n'},
        {"threads", required_argument, NULL, 'T'}, {"force", no_argument, NULL, 'f'},
        {"json", no_argument, NULL, 'j'}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'}, CLI_READ_KEY_OPTIONS,
        {"sign", required_argument, NULL, CLI_OPT_SIGN}, {NULL, 0, NULL, 0}};
    struct adbk_salvage_options so = {0};
    struct sstate s = {0};
    const char *out = NULL;
    bool force = false, dry = false;
    if (!cli_take_level(&argc, argv, &so.level))
        return EXIT_ERROR;
    int c;
    optind = 1;
    while ((c = cli_getopt_keys(argc, argv, "o:nT:fqhi:", opts, "salvage", keys)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'n': dry = true; break;
        case 'T':
            if (!cli_parse_threads(optarg, &so.threads)) {
                cli_err("-T wants a thread count from 1 to 256, not '%s'", optarg);
                return EXIT_ERROR;
            }
            break;
        case 'f': force = true; break;
        case 'j': s.json = true; cli_json_failures(stdout, NULL, false); break;
        case 'q': s.quiet = true; break;
        case 'h': help(); return EXIT_OK;
        default: return EXIT_ERROR;
        }
    }
    if (s.json && optind < argc)
        cli_json_failures(stdout, argv[optind], false);
    if (optind != argc - 1) {
        cli_err("salvage takes one damaged archive (try 'adbk salvage --help')");
        return EXIT_ERROR;
    }
    if (!out && !dry) {
        cli_err("salvage needs -o REPAIRED.adbk (or --dry-run to only report)");
        return EXIT_ERROR;
    }
    if (out && dry) {
        cli_err("-o and --dry-run contradict each other");
        return EXIT_ERROR;
    }
    if (out && strcmp(out, "-") == 0 && isatty(STDOUT_FILENO)) {
        cli_err("refusing to write an archive to a terminal; redirect standard output");
        return EXIT_ERROR;
    }
    if (out && strcmp(out, "-") == 0 && s.json) {
        cli_err("--json prints on standard output: it cannot be used with -o -");
        return EXIT_ERROR;
    }
    struct adbk_error err = {0};
    adbk_status ost = out ? adbk_outfile_check(out, force, &err) : ADBK_OK;
    if (ost != ADBK_OK) {
        cli_err_status(ost, "%s", err.message);
        return EXIT_ERROR;
    }
    if (!cli_keys_finish(keys))
        return EXIT_ERROR;
    so.identities = keys->ids;
    so.identity_count = keys->nids;
    so.sign_key = keys->have_sign ? &keys->sign : NULL;
    cli_catch_signals();
    return run(argv[optind], dry ? NULL : out, force, &so, &s);
}

int cmd_salvage(int argc, char **argv)
{
    return cli_with_keys(salvage_with, argc, argv);
}

int cli_salvage_to_temp(const char *path, const struct cli_keys *keys, bool quiet, char *tmp,
                        size_t cap)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    /* A unique name that outfile then creates beside (NAME.XXXXXX.partial). */
    int n = snprintf(tmp, cap, "%s/adbk-salvage-XXXXXX", dir);
    if (n < 0 || (size_t)n >= cap) {
        cli_err("temporary folder name too long: %s", dir);
        return EXIT_ERROR;
    }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        cli_err("cannot create a temporary archive in %s: %s", dir, strerror(errno));
        return EXIT_ERROR;
    }
    close(fd);
    struct sstate s = {.quiet = quiet};
    struct adbk_salvage_options so = {.identities = keys->ids, .identity_count = keys->nids};
    int rc = run(path, tmp, true, &so, &s);
    if (rc == EXIT_ERROR)
        unlink(tmp);
    return rc;
}
