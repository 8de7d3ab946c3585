/*
 * fixture.c - helpers for the dcsim tests (see fixture.h).
 */
#include "fixture.h"

#include <fcntl.h>
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

int fx_provision(const char *dir, uint64_t seed)
{
    struct dcsim_provision_opts o = {0};
    o.size = 2u << 20;
    o.seed = seed;
    o.closed_logs = 2;
    return dcsim_provision(dir, &o) == DCSIM_OK ? 0 : -1;
}

int fx_setup(struct fx *f, const char *test, uint64_t seed, int online)
{
    const char *tmp = getenv("ADBK_TEST_TMP");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    dcsim_reset();
    snprintf(f->root, sizeof f->root, "%s/dcsim-%s-%d", tmp, test, (int)getpid());
    nftw(f->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    snprintf(f->dc, sizeof f->dc, "%s/dc", f->root);
    snprintf(f->bk, sizeof f->bk, "%s/bk", f->root);
    if (mkdir(f->root, 0755) != 0 || mkdir(f->bk, 0755) != 0)
        return -1;
    if (fx_provision(f->dc, seed) != 0) {
        fprintf(stderr, "provision: %s\n", dcsim_last_error());
        return -1;
    }
    dcsim_privilege_mode(DCSIM_PRIV_SKIP);
    if (dcsim_bind("DC01", f->dc) != DCSIM_OK)
        return -1;
    if (online && dcsim_start(f->dc) != DCSIM_OK)
        return -1;
    return 0;
}

void fx_teardown(struct fx *f)
{
    dcsim_reset();
    if (!getenv("DCSIM_TEST_KEEP"))
        nftw(f->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int fx_same_file(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int ca = getc(fa), cb = getc(fb);
        if (ca != cb)
            same = 0;
        if (ca == EOF || cb == EOF)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

static dsb_status copy_entry(struct dsb *s, const struct dsb_name *n,
                             const char *dir, uint8_t *buf, size_t cap)
{
    uint64_t size = 0, total = 0;
    dsb_status st = dsb_open_file(s, n, &size);
    if (st)
        return st;
    const char *base = strrchr(n->name, '\\');
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, base ? base + 1 : n->name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return DSB_E_ARG;
    for (;;) {
        size_t got = 0;
        st = dsb_read(s, buf, cap, &got);
        if (st == DSB_EOF) {
            st = DSB_OK;
            break;
        }
        if (st)
            break;
        if (write(fd, buf, got) != (ssize_t)got) {
            st = DSB_E_ARG;
            break;
        }
        total += got;
    }
    close(fd);
    if (st == DSB_OK && total != size)
        st = DSB_E_STREAM;
    if (st)
        return st; /* keep the read's message; End cleans up (R19) */
    return dsb_close_file(s);
}

dsb_status fx_backup(const char *dir, uint8_t **token_out, size_t *token_len,
                     uint32_t *gens_out, size_t *n_out, int truncate, char *msg,
                     size_t msgcap)
{
    struct dsb *s = NULL;
    struct dsb_name_list dbs = {0}, logs = {0};
    size_t cap = 1u << 20;
    uint8_t *buf = malloc(cap);
    dsb_status st = dsb_open(dcsim_ds_api(), NULL, NULL, NULL, true, 0, &s, NULL);
    int online = 0;
    msg[0] = 0;
    *n_out = 0;
    if (st || !buf)
        goto out;
    st = dsb_is_online(s, &online);
    if (st)
        goto fail;
    st = dsb_prepare(s, token_out, token_len);
    if (st)
        goto fail;
    st = dsb_list_databases(s, &dbs);
    for (size_t i = 0; st == DSB_OK && i < dbs.n; i++)
        st = copy_entry(s, &dbs.v[i], dir, buf, cap);
    if (st)
        goto fail;
    st = dsb_list_logs(s, &logs);
    for (size_t i = 0; st == DSB_OK && i < logs.n; i++) {
        const char *b = strrchr(logs.v[i].name, '\\');
        gens_out[(*n_out)++] = (uint32_t)strtoul(b + 4, NULL, 16);
        st = copy_entry(s, &logs.v[i], dir, buf, cap);
    }
    if (st == DSB_OK && truncate)
        st = dsb_truncate_logs(s);
fail:
    if (st)
        snprintf(msg, msgcap, "%s", dsb_errmsg(s));
    if (s) {
        dsb_status e = dsb_end(s);
        if (st == DSB_OK)
            st = e;
    }
out:
    dsb_names_free(&dbs);
    dsb_names_free(&logs);
    dsb_close(s);
    free(buf);
    return st;
}

int fx_open_db(HBC *hbc_out, LARGE_INTEGER *size_out)
{
    void *tok = NULL;
    DWORD cb = 0;
    char *list = NULL;
    if (dcsim_DsBackupPrepare("DC01", 0, BACKUP_TYPE_FULL, &tok, &cb, hbc_out) != S_OK)
        return -1;
    dcsim_DsBackupFree(tok);
    if (dcsim_DsBackupGetDatabaseNames(*hbc_out, &list, &cb) != S_OK)
        return -1;
    HRESULT hr = dcsim_DsBackupOpenFile(*hbc_out, list + 1, 1u << 20, size_out);
    dcsim_DsBackupFree(list);
    return hr == S_OK ? 0 : -1;
}
