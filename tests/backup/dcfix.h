/*
 * dcfix.h - the fixture the backup and restore tests share: a small
 * simulated DC (4 MiB database, 2 closed logs) in its own folder under
 * $ADBK_TEST_TMP, bound as DC01, opened as adbk opens it (adbk_dc_open).
 */
#ifndef ADBK_TEST_DCFIX_H
#define ADBK_TEST_DCFIX_H


#include "adbk.h"

#include <stddef.h>

struct bx {
    char root[512];
    char dc[600];
    char out[600];  /* root/a.adbk */
    char x[600];    /* extraction folder */
    struct adbk_dc *server; /* the DC, open */
    char logs[64][32]; /* closed logs present before the backup */
    size_t nlogs;
};

/* Provisions root/dc (removing what a previous run left), binds it as DC01,
 * skips the privilege check, starts it when online, opens b->server and records
 * the closed logs. 0 on success. */
int bx_setup(struct bx *b, const char *name, int online);
/* Closes the DC, resets the simulator and removes root (unless
 * DCSIM_TEST_KEEP is set). */
void bx_teardown(struct bx *b);
/* Installs simulator faults in the DCSIM_FAULTS form; 0 on success. */
int bx_faults(const char *spec);
/* Records the closed logs the backup holds (checkpoint generation on): only
 * truncation may delete those; older ones the DC recycles by itself. */
void bx_snapshot_logs(struct bx *b);
/* How many of the logs bx_snapshot_logs saw are gone now. */
size_t logs_gone(const struct bx *b);
/* Removes a folder tree (nftw, no symlinks followed). */
void bx_rmtree(const char *path);

#endif
