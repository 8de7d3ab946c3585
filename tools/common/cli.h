/*
 * cli.h - what the two front ends (adbk, adbk-verify) share: the list and
 * verify commands, which need only the container library, and the helpers
 * for messages, sizes, JSON and progress. Everything here prints; nothing in
 * the libraries does.
 */
#ifndef ADBK_CLI_H
#define ADBK_CLI_H

#include "adbk_format.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes shared by every command. */
enum { EXIT_OK = 0, EXIT_DAMAGED = 1, EXIT_ERROR = 2 };

extern const char *cli_prog;

/* A log generation in text output is hexadecimal with 0x ("0x1F"): ESE names
 * a generation's log by it in hex (edb0001F.log), so the number printed is
 * the one in the file name users see. JSON output and archive properties
 * keep plain (decimal) numbers. CLI_GEN is that format. */
#define CLI_GEN "0x%X"

/* Prints a command's --help (printf's format and arguments) on standard
 * output, its option lines in one layout: the descriptions in one column,
 * wrapped to 80 columns. */
void cli_help(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --version: "PROG VERSION (archive format 1.2; 2.0 encrypted)". */
void cli_version(void);

/* An error on stderr ("adbk: error: ..."); with --json (cli_json_failures)
 * also the command's failure object (cli_json_error). cli_err_status names
 * the library status the failure had. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_err_status(adbk_status st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* --json: every command reports a failure as one object on f (standard
 * output, or standard error where the archive itself goes to standard
 * output), the same for all of them:
 *   {"archive":PATH or null,"ok":false,"status":"...","message":"..."}
 * status: the library's word for the failure (adbk_strerror), or "error"
 * for one of the command's own. verify adds "intact":false. The first
 * cli_err after cli_json_failures prints it; cli_json_done says the command
 * printed its own report, so no failure object follows. Call again to name
 * the archive once it is known. */
void cli_json_failures(FILE *f, const char *archive, bool verify);
void cli_json_error(adbk_status st, const char *message);
void cli_json_done(void);
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Something done that is neither an error nor a warning ("adbk: note: ..."). */
void cli_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Exit code for a library status: damage is 1, everything else 2. */
int cli_exit_for(adbk_status st);

/* getopt_long for every command of both programs. getopt's own messages are
 * off (opterr = 0): an unknown option, an option without its argument, or
 * one given an argument it does not take is reported here, naming the
 * program and the command and pointing to its help,
 *   adbk create: unknown option '--bogus' (try 'adbk create --help')
 * and '?' is returned (the command then exits 2, or 3 for status). cmd is
 * the command's name ("create"), NULL for a program without commands.
 * Leave optind at 1 before the first call, as for getopt_long. */
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
               const char *cmd);

/* How the programs say a time t (Unix seconds, UTC). */
enum cli_time_form {
    CLI_TIME,      /* "2026-12-01 02:00:00", list's times */
    CLI_TIME_UTC,  /* "2026-12-01 02:00:00 UTC", a date in a sentence */
    CLI_TIME_MIN,  /* "2026-12-01 02:00 UTC", status's table */
    CLI_TIME_ISO,  /* "2026-12-01T02:00:00Z", JSON */
};
/* t in that form into buf (the number itself when it has no date); buf. */
const char *cli_utc(int64_t t, enum cli_time_form form, char *buf, size_t cap);

/* "1.5 GiB" style; buf of at least 16 bytes. */
const char *cli_size(uint64_t bytes, char *buf, size_t cap);
/* Parses "4M", "64k", "1G", "1048576"; false when malformed. */
bool cli_parse_size(const char *s, uint64_t *out);
/* Parses seconds ("10", "0.25") into milliseconds, 1 ms .. 1 day. */
bool cli_parse_seconds_ms(const char *s, uint32_t *ms_out);
/* Parses a thread count 1..256. */
bool cli_parse_threads(const char *s, unsigned *out);
double cli_now(void);

/* Writes s as a JSON string (quotes included), escaping everything that is
 * not printable ASCII or valid UTF-8. */
void cli_json_str(FILE *f, const char *s);
/* Writes s for a terminal, escaped as FORMAT.md 1 says (adbk_escape_len):
 * C0, DEL and C1 controls and bytes that are not UTF-8 shown as \xHH, so a
 * hostile name cannot send escape sequences. */
void cli_safe_str(FILE *f, const char *s);
/* printf, then the result written through cli_safe_str: for a line that
 * mixes text with strings from an archive or a file system. Control bytes of
 * the format are escaped too, so give a newline separately. */
void cli_safe_printf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A one-line progress display on stderr, drawn only when stderr is a
 * terminal, at most ten times a second. */
struct cli_progress {
    bool enabled;
    const char *verb;
    uint64_t total;
    double start, last;
};
void cli_progress_init(struct cli_progress *p, const char *verb, uint64_t total, bool quiet);
/* The estimate a progress line shows after elapsed seconds with done of
 * total bytes: false while it would mean nothing (before CLI_ETA_AFTER
 * seconds and CLI_ETA_SHARE of the work, or with no total), else *left
 * gets the seconds to go at the rate so far. */
#define CLI_ETA_AFTER 2.0
#define CLI_ETA_SHARE 0.01
bool cli_eta(double elapsed, uint64_t done, uint64_t total, double *left);
/* "N s", "N min" or "N.N h". */
const char *cli_duration(double secs, char *buf, size_t cap);
void cli_progress_update(struct cli_progress *p, uint64_t done, const char *what);
void cli_progress_end(struct cli_progress *p);

/* What every long command keeps for its library callbacks. Put it first in
 * the command's own state struct, so the shared callbacks below can take
 * that struct as their ctx. */
struct cli_job {
    struct cli_progress prog;
    unsigned warnings;
    /* per-file progress of cli_job_file_*: */
    bool quiet, plain;       /* plain: periodic lines, stderr is no terminal */
    char cur[600];
    uint64_t cur_size;
    double last_plain, file_start;
    /* the whole job, when the library gave its total (cli_job_total): */
    uint64_t job_total, job_base;
    double job_start;
};
/* Sets up per-file progress: nothing when quiet, a redrawn line when stderr
 * is a terminal, else a plain line every few seconds. */
void cli_job_init(struct cli_job *j, bool quiet);
/* A total callback: the bytes of the whole job, known up front; progress
 * and its estimate are then of the whole job, not of the current file. */
void cli_job_total(void *ctx, uint64_t bytes);
/* A file of size bytes begins ("reading" / "writing" it). */
void cli_job_file_begin(struct cli_job *j, const char *verb, const char *name, uint64_t size);
/* done bytes of the current file: the line with rate and time left. */
void cli_job_file_progress(struct cli_job *j, uint64_t done);
/* A warning callback: clears the progress line, prints, counts. */
void cli_job_warning(void *ctx, const char *msg);
/* A note callback: clears the progress line and prints, unless quiet. */
void cli_job_note(void *ctx, const char *msg);
/* A cancel callback: nonzero once SIGINT/SIGTERM arrived. */
int cli_job_cancelled(void *ctx);

/* Takes the -1 .. -19 level arguments out of argv before getopt sees them;
 * *level gets the last one. False, after a message, when one is out of range. */
bool cli_take_level(int *argc, char **argv, int *level);

/* SIGINT/SIGTERM set a flag that long commands poll. */
void cli_catch_signals(void);
extern volatile int cli_interrupted;

/* What list, verify and the backup summary say of an archive whose "source"
 * property is "dcsim" (FORMAT.md §7), in words a person cannot miss. */
#define CLI_SIMULATED_WARNING                                                               \
    "SIMULATED: a backup of adbk's simulated domain controller (dcsim, a test double), "    \
    "not of a real directory"
/* Whether archive r is of the simulated DC. */
bool cli_is_simulated(const struct adbk_reader *r);
/* What list and extract say of member e of r, or NULL: a database member of
 * a DsBackup archive is the server's backup stream, longer than the DC's
 * ntds.dit (docs/DSBACKUP.md, R16). */
const char *cli_member_note(const struct adbk_reader *r, const struct adbk_entry *e);

int cli_list(int argc, char **argv);
int cli_verify(int argc, char **argv);

#endif
