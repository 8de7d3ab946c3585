/*
 * dcfix.c - the shared simulated-DC fixture of the backup and restore tests
 * (see dcfix.h).
 */
#include "dcfix.h"

#include "dcsim.h"

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* The closed logs the backup holds (the checkpoint's generation on): only
 * truncation may delete those; older ones the DC recycles by itself. */
void bx_snapshot_logs(struct bx *b)
{
    struct dcsim_info in;
    uint32_t floor = dcsim_info_read(b->dc, &in) == DCSIM_OK ? in.checkpoint_gen : 0;
    b->nlogs = 0;
    DIR *d = opendir(b->dc);
    struct dirent *e;
    while (d && (e = readdir(d)) && b->nlogs < 64) {
        size_t n = strlen(e->d_name);
        if (n == 12 && !strncmp(e->d_name, "edb", 3) && !strcmp(e->d_name + 8, ".log") &&
            strtoul(e->d_name + 3, NULL, 16) >= floor)
            snprintf(b->logs[b->nlogs++], sizeof b->logs[0], "%.31s", e->d_name); /* n is 12 */
    }
    if (d)
        closedir(d);
}

/* Count of the logs seen by snapshot_logs that are gone now. */
size_t logs_gone(const struct bx *b)
{
    size_t gone = 0;
    for (size_t i = 0; i < b->nlogs; i++) {
        char p[700];
        snprintf(p, sizeof p, "%s/%s", b->dc, b->logs[i]);
        gone += access(p, F_OK) != 0;
    }
    return gone;
}

int bx_setup(struct bx *b, const char *name, int online)
{
    const char *tmp = getenv("ADBK_TEST_TMP");
    memset(b, 0, sizeof *b);
    dcsim_reset();
    snprintf(b->root, sizeof b->root, "%s/backup-%s-%d", tmp && *tmp ? tmp : "/tmp", name,
             (int)getpid());
    bx_rmtree(b->root);
    snprintf(b->dc, sizeof b->dc, "%s/dc", b->root);
    snprintf(b->out, sizeof b->out, "%s/a.adbk", b->root);
    snprintf(b->x, sizeof b->x, "%s/x", b->root);
    if (mkdir(b->root, 0755) != 0)
        return -1;
    struct dcsim_provision_opts po = {.size = 4u << 20, .seed = 11, .closed_logs = 2};
    if (dcsim_provision(b->dc, &po) != DCSIM_OK || dcsim_bind("DC01", b->dc) != DCSIM_OK)
        return -1;
    dcsim_privilege_mode(DCSIM_PRIV_SKIP);
    if (online && dcsim_start(b->dc) != DCSIM_OK)
        return -1;
    struct adbk_dc_spec spec = {.dcsim_dir = b->dc};
    struct adbk_error err;
    if (adbk_dc_open(&spec, NULL, &b->server, &err) != ADBK_OK) {
        fprintf(stderr, "%s\n", err.message);
        return -1;
    }
    bx_snapshot_logs(b);
    return 0;
}

void bx_teardown(struct bx *b)
{
    adbk_dc_close(b->server);
    dcsim_reset();
    if (!getenv("DCSIM_TEST_KEEP"))
        bx_rmtree(b->root);
}

int bx_faults(const char *spec)
{
    struct dcsim_faults f;
    if (dcsim_faults_parse(spec, &f) != DCSIM_OK)
        return -1;
    dcsim_faults_set(&f);
    return 0;
}

void bx_rmtree(const char *path)
{
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
