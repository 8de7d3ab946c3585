/*
 * status.h - what `adbk status` learns of the archives it reads, shared by
 * its two halves: status_scan.c finds, reads, verifies, groups and judges
 * them; status_cmd.c is the command (options, the text and JSON reports).
 */
#ifndef ADBK_STATUS_H
#define ADBK_STATUS_H

#include "cli.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Verdicts, valued as the Nagios plugin exit codes. */
enum status_verdict {
    VERDICT_OK = 0,
    VERDICT_WARNING = 1,
    VERDICT_CRITICAL = 2,
    VERDICT_UNKNOWN = 3
};
extern const char *const status_verdict_names[]; /* "OK", ... */

/* What became of one file. */
enum status_problem {
    PROBLEM_NONE,       /* opened, and checked as far as asked */
    PROBLEM_DAMAGED,    /* its tail, its seek table or (--verify) its content */
    PROBLEM_UNTRUSTED,  /* not signed by a key of --trust */
    PROBLEM_FOREIGN,    /* not an adbk archive */
    PROBLEM_NEWER,      /* a format version this adbk does not read */
    PROBLEM_UNREADABLE, /* cannot be read: permissions, I/O, memory */
    PROBLEM_EMPTY,      /* a folder named on the command line holds no archive */
};
extern const char *const status_problem_names[]; /* "damaged", ... */

enum status_verify { VERIFY_NONE, VERIFY_OK, VERIFY_UNFINISHED };

/* One file found. */
struct status_archive {
    char *path;
    enum status_problem problem;
    char *message;         /* why, for a problem or an unfinished verify */
    dev_t dev;             /* the file, to take it once when named twice */
    uint64_t ino;
    bool opened;           /* its index was read: the fields below are known */
    bool keyless;          /* encrypted, and no key given opens it */
    bool encrypted, simulated;
    char *server, *domain; /* NULL: not recorded (or sealed) */
    int64_t created, not_after;
    unsigned tsl_days;
    bool tsl_assumed;      /* the archive does not say: --tombstone-days */
    enum status_verify verify;
};

/* The archives of one domain controller, or an --expect name without any. */
struct status_group {
    size_t *idx;           /* into run.a, newest first */
    size_t n, cap;
    const char *expected;  /* an --expect name no archive matched (n is 0) */
    enum status_verdict verdict;
    char reason[512];
    const struct status_archive *newest, *best; /* best: the newest restorable, or NULL */
};

/* A run: the options, then what status_scan found. */
struct status_run {
    int64_t now;           /* the clock the ages are taken against */
    unsigned default_tsl;  /* days, for archives that do not record it */
    int verify;            /* 0 no, 1 newest first per DC, 2 every archive */
    bool json, quiet, verbose;
    struct adbk_reader_options ro; /* keys and threads; borrowed */
    const char **expect;   /* --expect names, borrowed */
    size_t nexpect;

    struct status_archive *a; /* every file, in the order found */
    size_t n, cap;
    struct status_group *g;   /* worst verdict first, then by domain and server */
    size_t ng, gcap;
    struct cli_progress prog;
};

/* Finds the archives under paths, reads, groups, verifies (as s->verify
 * says) and judges them; the worst verdict of all, groups and files. Exits
 * with VERDICT_UNKNOWN when memory runs out. */
enum status_verdict status_scan(struct status_run *s, char **paths, size_t npaths);
/* Frees what status_scan made. */
void status_free(struct status_run *s);

/* Past its tombstone lifetime (restore refuses it). */
bool status_expired(const struct status_run *s, const struct status_archive *a);
/* Dated more than a day ahead of the clock (restore refuses it too). */
bool status_ahead(const struct status_run *s, const struct status_archive *a);
/* Usable for a restore as far as this run checked. */
bool status_restorable(const struct status_run *s, const struct status_archive *a);
/* "checked", "verified", "unfinished", "DAMAGED" or "UNTRUSTED". */
const char *status_state_word(const struct status_archive *a);
/* What a file that is tied to no DC (opened false) weighs. */
enum status_verdict status_file_verdict(const struct status_archive *a);

#endif
