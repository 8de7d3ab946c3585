/*
 * info.c - what the archive records about a Samba DC beyond its
 * configuration: the store of its partitions (mdb or tdb), the Samba
 * version, and the forest's tombstone lifetime, which is how long a backup
 * stays restorable (docs/DSBACKUP.md §3).
 *
 * The directory is read with libldb (Samba's own database library), read-only
 * and without Samba's modules, straight from the files: sam.ldb's @PARTITION
 * and @ROOTDSE records name the store and the configuration partition's file,
 * which holds tombstoneLifetime. Each database is closed again before
 * samba_info_read returns, since cut.c opens the same files with liblmdb and
 * libtdb, and a process may hold an LMDB environment or a TDB open once only.
 */
#include "samba.h"

#include <ldb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <talloc.h>

/* The tombstone lifetime when the attribute is absent (DSBACKUP.md §3). */
#define TOMBSTONE_DEFAULT_DAYS 60u

static struct ldb_context *open_db(TALLOC_CTX *mem, const char *url, const char *path,
                                   struct adbk_error *err)
{
    static const char *options[] = {"modules:", NULL}; /* no Samba modules */
    struct ldb_context *ldb = ldb_init(mem, NULL);
    if (!ldb) {
        adbk_error_set(err, ADBK_E_NOMEM, "no memory to read %s", path);
        return NULL;
    }
    int rc = ldb_connect(ldb, url, LDB_FLG_RDONLY, options);
    if (rc != LDB_SUCCESS) {
        adbk_error_set(err, ADBK_E_SOURCE, "cannot read the directory database %s: %s", path,
                       ldb_errstring(ldb));
        return NULL;
    }
    return ldb;
}

/* The one record at dn (attrs), or NULL after setting err. */
static struct ldb_message *base_record(struct ldb_context *ldb, const char *dn,
                                       const char *const *attrs, const char *path,
                                       struct adbk_error *err)
{
    struct ldb_result *res = NULL;
    struct ldb_dn *d = ldb_dn_new(ldb, ldb, dn);
    int rc = d ? ldb_search(ldb, ldb, &res, d, LDB_SCOPE_BASE, attrs, NULL) : LDB_ERR_OTHER;
    if (rc != LDB_SUCCESS || !res || res->count != 1) {
        adbk_error_set(err, ADBK_E_SOURCE, "%s: the record %s cannot be read: %s", path, dn,
                       rc == LDB_SUCCESS ? "not there" : ldb_errstring(ldb));
        return NULL;
    }
    return res->msgs[0];
}

/* The file of the partition holding nc, from @PARTITION's "NC:FILE" values. */
static const char *partition_file(const struct ldb_message *part, const char *nc)
{
    const struct ldb_message_element *el = ldb_msg_find_element(part, "partition");
    size_t n = strlen(nc);
    for (unsigned i = 0; el && i < el->num_values; i++) {
        const char *v = (const char *)el->values[i].data;
        if (el->values[i].length > n + 1 && !strncasecmp(v, nc, n) && v[n] == ':')
            return v + n + 1;
    }
    return NULL;
}

static adbk_status read_tombstone(struct samba_dc *dc, TALLOC_CTX *mem, const char *url,
                                  const char *path, const char *config_nc,
                                  struct adbk_error *err)
{
    struct ldb_context *ldb = open_db(mem, url, path, err);
    if (!ldb)
        return err->status;
    char dn[2048];
    if (snprintf(dn, sizeof dn, "CN=Directory Service,CN=Windows NT,CN=Services,%s", config_nc) >=
        (int)sizeof dn)
        return adbk_error_set(err, ADBK_E_SOURCE, "%s: the configuration partition's name is "
                              "too long", path);
    const char *attrs[] = {"tombstoneLifetime", NULL};
    struct ldb_message *m = base_record(ldb, dn, attrs, path, err);
    if (!m)
        return err->status;
    unsigned days = ldb_msg_find_attr_as_uint(m, "tombstoneLifetime", 0);
    dc->tombstone_default = days == 0;
    dc->tombstone_days = days ? days : TOMBSTONE_DEFAULT_DAYS;
    return ADBK_OK;
}

static void read_version(struct samba_dc *dc)
{
    char out[256];
    int status;
    struct adbk_error ignore;
    const char *argv[] = {"samba", "-V", NULL};
    if (samba_ask(argv, out, sizeof out, &status, &ignore) != ADBK_OK || status != 0)
        return;
    const char *v = strncmp(out, "Version ", 8) == 0 ? out + 8 : out;
    snprintf(dc->version, sizeof dc->version, "%.*s", (int)strcspn(v, "\r\n"), v);
}

adbk_status samba_info_read(struct samba_dc *dc, struct adbk_error *err)
{
    TALLOC_CTX *mem = talloc_new(NULL);
    if (!mem)
        return adbk_error_set(err, ADBK_E_NOMEM, "no memory to read the directory");
    char sam[PATH_MAX + 16], url[PATH_MAX + 32];
    snprintf(sam, sizeof sam, "%s/sam.ldb", dc->conf.private_dir);
    snprintf(url, sizeof url, "tdb://%s", sam);
    adbk_status st = ADBK_OK;
    struct ldb_context *ldb = open_db(mem, url, sam, err);
    const char *part_attrs[] = {"backendStore", "partition", NULL};
    const char *root_attrs[] = {"configurationNamingContext", "defaultNamingContext", NULL};
    struct ldb_message *part = ldb ? base_record(ldb, "@PARTITION", part_attrs, sam, err) : NULL;
    struct ldb_message *root = part ? base_record(ldb, "@ROOTDSE", root_attrs, sam, err) : NULL;
    if (!root) {
        st = err->status;
        goto out;
    }
    const char *store = ldb_msg_find_attr_as_string(part, "backendStore", "tdb");
    snprintf(dc->backend, sizeof dc->backend, "%s", !strcmp(store, "mdb") ? "mdb" : "tdb");
    const char *config = ldb_msg_find_attr_as_string(root, "configurationNamingContext", NULL);
    const char *domain = ldb_msg_find_attr_as_string(root, "defaultNamingContext", "");
    snprintf(dc->domain_dn, sizeof dc->domain_dn, "%s", domain);
    const char *file = config ? partition_file(part, config) : NULL;
    if (!file) {
        st = adbk_error_set(err, ADBK_E_SOURCE, "%s names no configuration partition: not an "
                            "AD DC's directory?", sam);
        goto out;
    }
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", dc->conf.private_dir, file) >= (int)sizeof path) {
        st = adbk_error_set(err, ADBK_E_SOURCE, "%s: the path of %s is too long", sam, file);
        goto out;
    }
    snprintf(url, sizeof url, "%s://%s", dc->backend, path);
    char nc[1024];
    snprintf(nc, sizeof nc, "%s", config);
    talloc_free(ldb); /* sam.ldb closed before the partition is opened */
    ldb = NULL;
    st = read_tombstone(dc, mem, url, path, nc, err);
    if (st == ADBK_OK)
        read_version(dc);
out:
    talloc_free(mem);
    return st;
}
