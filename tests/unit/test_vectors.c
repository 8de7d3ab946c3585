/*
 * test_vectors.c - the golden archives in format/vectors/ (FORMAT.md §10).
 *
 * Each vector NAME has: NAME.adbk, NAME.manifest (one member per line: kind,
 * BFT, mode, mtime, name, source path, content file, and from format 1.1 on
 * the owner and the extended attributes), NAME.properties, the content files
 * in NAME/, and NAME.expected (kind, size, XXH128, name, and from 1.1 on the
 * owner and each attribute's name, size and XXH128) made by make-vectors.sh
 * with stat and xxhsum, not by adbk. The test checks that the reader lists
 * each vector as expected, returns each content byte for byte, verifies it,
 * and that the writer rebuilds it byte for byte from the same inputs (when
 * libzstd is the version that made the vectors; another version may compress
 * differently, which is no format change). A vector of an older minor
 * version is rebuilt as this writer's version: the same bytes but for
 * Format_Minor and the header's Record_Checksum.
 *
 * Signed and encrypted vectors (FORMAT.md 12, 13) have NAME.keys: lines of an
 * option and a key file under format/vectors (the public test keys of
 * keys/): --recipients-file and --sign say how the writer made it, --identity
 * and --trust how it is read. A signed vector is rebuilt byte for byte
 * (Ed25519 is deterministic) and read trusting its signer; another signer is
 * refused. An encrypted one holds a random File_Key and random ephemeral
 * shares, so it is not rebuilt: it is read with the test identity (every
 * member against the manifest and .expected), and without a key it must open
 * locked, list what is in clear and verify.
 *
 * `test_vectors --write DIR NAME...` (re)writes the named archives through the
 * same build function; make-vectors.sh drives it.
 */
#include "harness.h"
#include "memio.h"

#include <xxhash.h>
#include <zstd.h>

#ifndef ADBK_VECTORS_DIR
#error "ADBK_VECTORS_DIR must name format/vectors"
#endif

static const char *vectors_dir = ADBK_VECTORS_DIR;

#define FIELDS 10

struct line {
    char *field[FIELDS];
    int n;
};

/* Reads a tab-separated file into lines of fields (empty fields kept). */
static struct line *read_tsv(const char *path, int skip_header, int *count)
{
    FILE *f = fopen(path, "rb");
    *count = 0;
    if (!f)
        return NULL;
    struct line *lines = calloc(1, sizeof *lines); /* non-NULL: the file exists */
    char buf[8192];
    int first = 1;
    while (fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\n")] = '\0';
        if (first && skip_header) {
            first = 0;
            continue;
        }
        lines = realloc(lines, (size_t)(*count + 1) * sizeof *lines);
        struct line *l = &lines[(*count)++];
        memset(l, 0, sizeof *l);
        char *p = buf;
        for (;;) {
            char *tab = strchr(p, '\t');
            if (tab)
                *tab = '\0';
            if (l->n < FIELDS)
                l->field[l->n++] = strdup(p);
            if (!tab)
                break;
            p = tab + 1;
        }
    }
    fclose(f);
    return lines;
}

static void free_tsv(struct line *lines, int n)
{
    for (int i = 0; i < n; i++)
        for (int k = 0; k < lines[i].n; k++)
            free(lines[i].field[k]);
    free(lines);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    *len = 0;
    if (!f)
        return NULL;
    struct membuf m = {0};
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        membuf_write(&m, buf, n);
    fclose(f);
    *len = m.len;
    return m.p ? m.p : calloc(1, 1);
}

/* A member's owner and attributes as a manifest gives them: field 7
 * "UID:GID:USER:GROUP" and field 8 "NAME=FILE,NAME=FILE" (values in the
 * vector's folder), "none" for no attribute; "-" or no field: not stored. */
struct extras_in {
    char *owner[4];
    struct adbk_xattr xattrs[16];
    uint8_t *values[16];
    size_t count;
    unsigned flags;
};

static void extras_free(struct extras_in *x)
{
    for (size_t i = 0; i < x->count; i++) {
        free((char *)x->xattrs[i].name);
        free(x->values[i]);
    }
    for (int i = 0; i < 4; i++)
        free(x->owner[i]);
}

/* Splits s at sep into at most n malloc'd parts; returns how many. */
static size_t split(const char *s, char sep, char **out, size_t n)
{
    size_t k = 0;
    while (k < n) {
        const char *e = strchr(s, sep);
        size_t len = e ? (size_t)(e - s) : strlen(s);
        out[k] = strndup(s, len);
        k++;
        if (!e)
            break;
        s = e + 1;
    }
    return k;
}

static void extras_read(const char *vector, const struct line *l, struct extras_in *x)
{
    memset(x, 0, sizeof *x);
    if (l->n > 7 && strcmp(l->field[7], "-") != 0 &&
        split(l->field[7], ':', x->owner, 4) == 4)
        x->flags |= ADBK_HAS_OWNER;
    if (l->n <= 8 || strcmp(l->field[8], "-") == 0)
        return;
    x->flags |= ADBK_HAS_XATTRS;
    if (strcmp(l->field[8], "none") == 0)
        return;
    char *pairs[16];
    size_t n = split(l->field[8], ',', pairs, 16);
    for (size_t i = 0; i < n; i++) {
        char *kv[2] = {NULL, NULL}, path[4096];
        split(pairs[i], '=', kv, 2);
        snprintf(path, sizeof path, "%s/%s/%s", vectors_dir, vector, kv[1] ? kv[1] : "");
        x->xattrs[i].name = kv[0];
        x->values[i] = slurp(path, &x->xattrs[i].size);
        x->xattrs[i].value = x->values[i];
        x->count++;
        free(kv[1]);
        free(pairs[i]);
    }
}

/* The keys of NAME.keys (none when there is no such file). */
struct vector_keys {
    struct adbk_recipient *recipients;
    size_t nrecipients;
    struct adbk_age_identity *identities;
    size_t nidentities;
    struct adbk_sign_key sign;
    int has_sign;
    struct adbk_sign_public trusted;
    int has_trusted;
};

static void keys_free(struct vector_keys *k)
{
    adbk_keys_free(k->recipients, k->nrecipients, sizeof *k->recipients);
    adbk_keys_free(k->identities, k->nidentities, sizeof *k->identities);
    adbk_wipe(&k->sign, sizeof k->sign);
    memset(k, 0, sizeof *k);
}

/* The text of a key file under the vectors' folder, NUL-terminated; NULL
 * when it cannot be read. */
static char *key_file_text(const char *rel)
{
    char path[4096];
    size_t len;
    snprintf(path, sizeof path, "%s/%s", vectors_dir, rel);
    uint8_t *p = slurp(path, &len);
    char *text = p ? realloc(p, len + 1) : NULL;
    if (text)
        text[len] = '\0';
    else
        free(p);
    return text;
}

/* The first line of text that holds a key (not empty, not a '#' comment),
 * white space trimmed, in place. */
static char *first_key_line(char *text)
{
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        line += strspn(line, " \t\r");
        line[strcspn(line, " \t\r")] = '\0';
        if (*line && *line != '#')
            return line;
    }
    return "";
}

/* Reads NAME.keys into k; false (after a test failure) when a key file in it
 * cannot be read. */
static int read_keys(const char *name, struct vector_keys *k)
{
    memset(k, 0, sizeof *k);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.keys", vectors_dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        return 1;
    char line[1024];
    int ok = 1;
    while (ok && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        char *arg = strchr(line, ' ');
        char *text = arg ? key_file_text(arg + 1) : NULL;
        struct adbk_error err = {0};
        adbk_status st = ADBK_E_ARG;
        if (text && strncmp(line, "--recipients-file ", 18) == 0) {
            st = adbk_recipients_read(text, arg + 1, &k->recipients, &k->nrecipients, &err);
        } else if (text && strncmp(line, "--identity ", 11) == 0) {
            st = adbk_age_identities_read(text, arg + 1, &k->identities, &k->nidentities, &err);
        } else if (text && strncmp(line, "--sign ", 7) == 0) {
            st = adbk_sign_key_read(text, arg + 1, &k->sign, &err);
            k->has_sign = st == ADBK_OK;
        } else if (text && strncmp(line, "--trust ", 8) == 0) {
            st = adbk_sign_public_parse(first_key_line(text), &k->trusted, &err);
            k->has_trusted = st == ADBK_OK;
        }
        if (text) {
            adbk_wipe(text, strlen(text));
            free(text);
        }
        if (st != ADBK_OK) {
            TEST_FAIL_AT("%s: line \"%s\": %s", path, line, err.message);
            ok = 0;
        }
    }
    fclose(f);
    return ok;
}

/* Builds vector `name` from its inputs into m with the fixed parameters. */
static adbk_status build_vector(const char *name, struct membuf *m, struct adbk_error *err)
{
    static const uint8_t id[16] = {0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
                                   0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF};
    struct adbk_writer_options o = {.level = 3, .threads = 1, .chunk_size = 4096,
                                    .archive_id = id, .has_created = 1,
                                    .created_sec = 1700000000, .tool = "adbk vectors"};
    struct vector_keys keys;
    if (!read_keys(name, &keys))
        return adbk_error_set(err, ADBK_E_ARG, "the keys of vector %s", name);
    o.recipients = keys.recipients;
    o.recipient_count = keys.nrecipients;
    o.sign_key = keys.has_sign ? &keys.sign : NULL;
    char path[4096];
    int nm, np;
    snprintf(path, sizeof path, "%s/%s.manifest", vectors_dir, name);
    struct line *man = read_tsv(path, 1, &nm);
    snprintf(path, sizeof path, "%s/%s.properties", vectors_dir, name);
    struct line *props = read_tsv(path, 0, &np);
    struct adbk_sink sink = membuf_sink(m);
    struct adbk_writer *w = NULL;
    adbk_status st = man ? adbk_writer_open(&sink, &o, &w, err) : ADBK_E_IO;
    for (int i = 0; i < np && st == ADBK_OK; i++)
        st = adbk_writer_set_property(w, props[i].field[0], props[i].field[1], err);
    for (int i = 0; i < nm && st == ADBK_OK; i++) {
        char **f = man[i].field;
        struct extras_in x;
        extras_read(name, &man[i], &x);
        struct adbk_member_info mi = {
            .name = f[4], .source_path = f[5], .kind = adbk_kind_from_name(f[0]),
            .bft = (unsigned)strtoul(f[1], NULL, 10),
            .flags = ADBK_HAS_MODE | ADBK_HAS_MTIME | x.flags,
            .mode = (uint32_t)strtoul(f[2], NULL, 8), .mtime_sec = strtoll(f[3], NULL, 10),
            .xattrs = x.xattrs, .xattr_count = x.count};
        if (x.flags & ADBK_HAS_OWNER) {
            mi.uid = (uint32_t)strtoul(x.owner[0], NULL, 10);
            mi.gid = (uint32_t)strtoul(x.owner[1], NULL, 10);
            mi.user = x.owner[2];
            mi.group = x.owner[3];
        }
        st = adbk_writer_begin_member(w, &mi, err);
        extras_free(&x);
        if (st == ADBK_OK && strcmp(f[6], "-") != 0) {
            size_t len;
            snprintf(path, sizeof path, "%s/%s/%s", vectors_dir, name, f[6]);
            uint8_t *data = slurp(path, &len);
            st = data ? adbk_writer_write(w, data, len, err) : ADBK_E_IO;
            free(data);
        }
        if (st == ADBK_OK)
            st = adbk_writer_end_member(w, err);
    }
    if (st == ADBK_OK)
        st = adbk_writer_finish(w, err);
    adbk_writer_free(w);
    free_tsv(man, nm);
    free_tsv(props, np);
    keys_free(&keys);
    return st;
}

/* The entry's owner and attributes against the manifest (values byte for
 * byte) and against .expected's fields 4 (UID:GID:USER:GROUP or "-") and 5
 * (NAME:SIZE:XXH128 for each attribute, ";"-separated; "-" without the
 * flag, "" for none), which stat and xxhsum made. */
static void check_extras(const char *vector, const struct line *man, const struct line *exp,
                         const struct adbk_entry *e)
{
    struct extras_in x;
    extras_read(vector, man, &x);
    EXPECT_EQ_U64(x.flags, e->flags & (ADBK_HAS_OWNER | ADBK_HAS_XATTRS));
    char owner[600] = "-", attrs[4096] = "-";
    if (e->flags & ADBK_HAS_OWNER)
        snprintf(owner, sizeof owner, "%u:%u:%s:%s", e->uid, e->gid, e->user, e->group);
    if (e->flags & ADBK_HAS_XATTRS)
        attrs[0] = '\0';
    for (size_t k = 0; k < e->xattr_count; k++) {
        const struct adbk_xattr *a = &e->xattrs[k];
        XXH128_canonical_t c;
        XXH128_canonicalFromHash(&c, XXH3_128bits(a->value, a->size));
        char hex[33];
        adbk_hex128(c.digest, hex);
        size_t used = strlen(attrs);
        snprintf(attrs + used, sizeof attrs - used, "%s%s:%zu:%s", k ? ";" : "", a->name, a->size,
                 hex);
        /* The manifest lists them in any order; the archive sorted them. */
        size_t j = 0;
        while (j < x.count && strcmp(x.xattrs[j].name, a->name) != 0)
            j++;
        EXPECT_TRUE(j < x.count && x.xattrs[j].size == a->size &&
                    (a->size == 0 || memcmp(x.xattrs[j].value, a->value, a->size) == 0));
        EXPECT_TRUE(k == 0 || strcmp(e->xattrs[k - 1].name, a->name) < 0);
    }
    EXPECT_EQ_U64(x.count, e->xattr_count);
    if (x.flags & ADBK_HAS_OWNER) {
        EXPECT_EQ_U64(strtoul(x.owner[0], NULL, 10), e->uid);
        EXPECT_EQ_U64(strtoul(x.owner[1], NULL, 10), e->gid);
        EXPECT_STR(x.owner[2], e->user);
        EXPECT_STR(x.owner[3], e->group);
    }
    EXPECT_STR(exp->n > 4 ? exp->field[4] : "-", owner);
    EXPECT_STR(exp->n > 5 ? exp->field[5] : "-", attrs);
    extras_free(&x);
}

/* An older minor version's golden archive as this writer writes it: its
 * header record with this Format_Minor and Record_Checksum; nothing else
 * changes. */
static void as_this_minor(uint8_t *golden, size_t len)
{
    if (len < 16 || golden[14] >= ADBK_FORMAT_MINOR)
        return;
    uint32_t payload = (uint32_t)golden[4] | (uint32_t)golden[5] << 8 |
                       (uint32_t)golden[6] << 16 | (uint32_t)golden[7] << 24;
    if (payload < 12 || payload > len - 8)
        return;
    fprintf(stderr, "note: a format 1.%u vector; compared as 1.%u\n", golden[14],
            ADBK_FORMAT_MINOR);
    golden[14] = ADBK_FORMAT_MINOR;
    golden[15] = 0;
    uint64_t sum = XXH3_64bits(golden + 8, payload - 8);
    for (int i = 0; i < 8; i++)
        golden[payload + i] = (uint8_t)(sum >> (8 * i));
}

/* The archive's own facts against NAME.keys and its properties: encrypted
 * (to one recipient, opened, with Not_After from the tombstone lifetime) when
 * the writer had a recipient, signed by the test key and trusted when it
 * signed. */
static void check_info(const struct adbk_archive_info *ai, const struct vector_keys *k)
{
    int encrypted = k->nrecipients > 0;
    EXPECT_EQ_U64(encrypted, ai->encrypted);
    EXPECT_EQ_U64(encrypted ? 2 : 1, ai->format_major);
    EXPECT_TRUE(!ai->locked);
    if (encrypted) {
        EXPECT_EQ_U64(k->nrecipients, ai->recipient_count);
        int64_t want = 0;
        for (size_t i = 0; i < ai->property_count; i++)
            if (strcmp(ai->properties[i].key, "tombstone.lifetime.days") == 0)
                want = ai->created_sec + strtoll(ai->properties[i].value, NULL, 10) * 86400;
        EXPECT_EQ_U64(want, ai->not_after);
    }
    EXPECT_EQ_U64(k->has_sign, ai->is_signed);
    if (k->has_sign) {
        EXPECT_TRUE(ai->signature_ok);
        EXPECT_EQ_U64(k->has_trusted, ai->trusted);
        EXPECT_TRUE(memcmp(ai->signer, k->sign.public_key, sizeof ai->signer) == 0);
    }
}

/* An encrypted vector without its key (FORMAT.md 13.7): it opens locked,
 * lists each member's number and size as .expected gives them, verifies every
 * stored byte, and hands out no content. */
static void check_locked(const char *name, const struct line *exp, int ne)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.adbk", vectors_dir, name);
    struct adbk_reader *r;
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, adbk_reader_open(path, NULL, &r, &err), &err);
    const struct adbk_archive_info *ai = adbk_reader_info(r);
    EXPECT_TRUE(ai->encrypted && ai->locked);
    EXPECT_EQ_U64(0, ai->property_count);
    EXPECT_EQ_U64(ne, adbk_reader_count(r));
    for (int i = 0; i < ne && (size_t)i < adbk_reader_count(r); i++) {
        const struct adbk_entry *e = adbk_reader_member(r, (size_t)i);
        char shown[32];
        snprintf(shown, sizeof shown, "#%d", i);
        EXPECT_STR(shown, e->name);
        EXPECT_EQ_U64(strtoull(exp[i].field[1], NULL, 10), e->size);
    }
    EXPECT_STATUS(ADBK_OK, adbk_reader_verify(r, NULL, NULL, &err), &err);
    struct membuf got = {0};
    EXPECT_STATUS(ADBK_E_KEY, adbk_reader_read_member(r, 1, collect, &got, &err), &err);
    EXPECT_EQ_U64(0, got.len);
    free(got.p);
    adbk_reader_close(r);
}

/* A signed vector trusting another signer (FORMAT.md 12): refused at open. */
static void check_other_signer(const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.adbk", vectors_dir, name);
    struct adbk_sign_key other;
    struct adbk_sign_public p;
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, adbk_sign_keygen(&other, &err), &err);
    adbk_sign_key_public(&other, &p);
    adbk_wipe(&other, sizeof other);
    struct adbk_reader_options ro = {.trusted = &p, .trusted_count = 1};
    struct adbk_reader *r = NULL;
    EXPECT_STATUS(ADBK_E_SIGNATURE, adbk_reader_open(path, &ro, &r, &err), &err);
    EXPECT_TRUE(r == NULL);
    adbk_reader_close(r);
}

static void check_vector(const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.adbk", vectors_dir, name);
    struct vector_keys keys;
    REQUIRE_TRUE(read_keys(name, &keys));
    struct adbk_reader_options ro = {.identities = keys.identities,
                                     .identity_count = keys.nidentities,
                                     .trusted = keys.has_trusted ? &keys.trusted : NULL,
                                     .trusted_count = keys.has_trusted ? 1 : 0};
    struct adbk_reader *r;
    struct adbk_error err = {0};
    adbk_status st = adbk_reader_open(path, &ro, &r, &err);
    if (st != ADBK_OK)
        keys_free(&keys);
    REQUIRE_STATUS(ADBK_OK, st, &err);
    check_info(adbk_reader_info(r), &keys);
    int ne, nm, np;
    snprintf(path, sizeof path, "%s/%s.expected", vectors_dir, name);
    struct line *exp = read_tsv(path, 0, &ne);
    snprintf(path, sizeof path, "%s/%s.manifest", vectors_dir, name);
    struct line *man = read_tsv(path, 1, &nm);
    snprintf(path, sizeof path, "%s/%s.properties", vectors_dir, name);
    struct line *props = read_tsv(path, 0, &np);
    EXPECT_EQ_U64(ne, adbk_reader_count(r));
    EXPECT_EQ_U64(nm, ne);
    EXPECT_EQ_U64(np, adbk_reader_info(r)->property_count);
    for (int i = 0; i < np; i++)
        EXPECT_STR(props[i].field[1], adbk_reader_property(r, props[i].field[0]));
    for (int i = 0; i < ne && (size_t)i < adbk_reader_count(r); i++) {
        const struct adbk_entry *e = adbk_reader_member(r, (size_t)i);
        char hex[33];
        adbk_hex128(e->xxh128, hex);
        EXPECT_STR(exp[i].field[0], adbk_kind_name(e->kind));
        EXPECT_EQ_U64(strtoull(exp[i].field[1], NULL, 10), e->size);
        EXPECT_STR(exp[i].field[2], hex);
        EXPECT_STR(exp[i].field[3], e->name);
        EXPECT_STR(man[i].field[5], e->source_path);
        EXPECT_EQ_U64(strtoul(man[i].field[2], NULL, 8), e->mode);
        check_extras(name, &man[i], &exp[i], e);
        struct membuf got = {0};
        EXPECT_STATUS_FOR(ADBK_OK, adbk_reader_read_member(r, (size_t)i, collect, &got, &err),
                          &err, "%s: read member %d", name, i);
        size_t len = 0;
        uint8_t *want = NULL;
        if (strcmp(man[i].field[6], "-") != 0) {
            snprintf(path, sizeof path, "%s/%s/%s", vectors_dir, name, man[i].field[6]);
            want = slurp(path, &len);
        }
        EXPECT_TRUE(got.len == len && (len == 0 || memcmp(got.p, want, len) == 0));
        free(want);
        free(got.p);
    }
    EXPECT_STATUS(ADBK_OK, adbk_reader_verify(r, NULL, NULL, &err), &err);
    adbk_reader_close(r);
    if (keys.nrecipients)
        check_locked(name, exp, ne);
    if (keys.has_sign)
        check_other_signer(name);

    /* The writer reproduces the vector byte for byte with the libzstd that
     * made it; not an encrypted one, whose File_Key and ephemeral shares are
     * random (FORMAT.md 13.3, 13.4). */
    char zv[32] = "";
    snprintf(path, sizeof path, "%s/zstd-version", vectors_dir);
    FILE *f = fopen(path, "r");
    if (f) {
        if (fgets(zv, sizeof zv, f))
            zv[strcspn(zv, "\n")] = '\0';
        fclose(f);
    }
    if (keys.nrecipients) {
        fprintf(stderr, "note: %s is encrypted: read, not rebuilt byte for byte\n", name);
    } else if (strcmp(zv, ZSTD_versionString()) != 0) {
        fprintf(stderr, "note: vectors made with zstd %s, this is %s: byte comparison skipped\n",
                zv, ZSTD_versionString());
    } else {
        struct membuf m = {0};
        size_t len;
        snprintf(path, sizeof path, "%s/%s.adbk", vectors_dir, name);
        uint8_t *golden = slurp(path, &len);
        if (golden)
            as_this_minor(golden, len);
        EXPECT_STATUS(ADBK_OK, build_vector(name, &m, &err), &err);
        if (!(m.len == len && golden && memcmp(m.p, golden, len) == 0))
            TEST_FAIL_AT("%s: the writer no longer reproduces the golden archive (%zu vs %zu "
                         "bytes): a format change needs a new version", name, m.len, len);
        free(golden);
        free(m.p);
    }
    free_tsv(exp, ne);
    free_tsv(man, nm);
    free_tsv(props, np);
    keys_free(&keys);
}

TEST(v1_basic) { check_vector("v1-basic"); }
TEST(v1_empty) { check_vector("v1-empty"); }
TEST(v1_1_xattrs) { check_vector("v1.1-xattrs"); }
TEST(v1_2_signed) { check_vector("v1.2-signed"); }
TEST(v2_0_encrypted) { check_vector("v2.0-encrypted"); }

/* Writes the vectors names[0..n) into dir (make-vectors.sh names those of
 * the current version: older ones stay as their version's writer made them). */
static int write_vectors(const char *dir, char **names, int n)
{
    vectors_dir = dir;
    for (int i = 0; i < n; i++) {
        struct membuf m = {0};
        struct adbk_error err = {0};
        if (build_vector(names[i], &m, &err) != ADBK_OK) {
            fprintf(stderr, "%s: %s\n", names[i], err.message);
            return 1;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.adbk", dir, names[i]);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(m.p, 1, m.len, f) != m.len || fclose(f) != 0) {
            fprintf(stderr, "cannot write %s\n", path);
            return 1;
        }
        free(m.p);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "--write") == 0)
        return write_vectors(argv[2], argv + 3, argc - 3);
    return test_run(argc, argv);
}
