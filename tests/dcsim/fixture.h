/*
 * fixture.h - small simulated DCs for the dcsim tests: a scratch folder per
 * test under $ADBK_TEST_TMP, a provisioned DC bound as "DC01", and a full
 * backup through the source interface into a folder.
 */
#ifndef ADBK_TEST_DCSIM_FIXTURE_H
#define ADBK_TEST_DCSIM_FIXTURE_H

#include "dcsim.h"
#include "dsb.h"

#include <stddef.h>
#include <stdint.h>

struct fx {
    char root[512]; /* scratch folder of this test */
    char dc[600];   /* the DC folder (root/dc) */
    char bk[600];   /* a backup folder (root/bk) */
};

/* Makes root, provisions root/dc (2 MiB, seed, 2 closed logs), binds it as
 * DC01, privilege mode SKIP, optionally starts it. Returns 0 on success. */
int fx_setup(struct fx *f, const char *test, uint64_t seed, int online);
/* Unbinds, resets the simulator, removes root. */
void fx_teardown(struct fx *f);
/* Provisions another DC folder with the given seed (no binding). */
int fx_provision(const char *dir, uint64_t seed);
/* 1 if both files have equal bytes. */
int fx_same_file(const char *a, const char *b);
/* Full backup via src_dcsim into dir: databases, then logs. Token copied to
 * *token_out (free()). gens of listed logs into gens_out[] (n_out). Returns
 * the first failing status, message in msg. truncate: call truncate_logs. */
dsb_status fx_backup(const char *dir, uint8_t **token_out, size_t *token_len,
                     uint32_t *gens_out, size_t *n_out, int truncate, char *msg,
                     size_t msgcap);
/* Opens a backup context, lists the database and opens it (hint 1 MiB). */
int fx_open_db(HBC *hbc_out, LARGE_INTEGER *size_out);

#endif
