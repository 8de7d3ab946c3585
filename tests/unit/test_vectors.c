/*
 * test_vectors.c - the golden archives in format/vectors/ (FORMAT.md §10).
 *
 * Each vector NAME has: NAME.adbk, NAME.manifest (one member per line: kind,
 * BFT, mode, mtime, name, source path, content file), NAME.properties, the
 * content files in NAME/, and NAME.expected (kind, size, XXH128, name) made
 * by make-vectors.sh with stat and xxhsum, not by adbk. The test checks that
 * the reader lists each vector as expected, returns each content byte for
 * byte, verifies it, and that the writer rebuilds it byte for byte from the
 * same inputs (when libzstd is the version that made the vectors; another
 * version may compress differently, which is no format change).
 *
 * `test_vectors --write DIR` (re)writes the archives through the same build
 * function; make-vectors.sh drives it.
 */
#include "harness.h"
#include "memio.h"

#include <zstd.h>

#ifndef ADBK_VECTORS_DIR
#error "ADBK_VECTORS_DIR must name format/vectors"
#endif

static const char *vectors_dir = ADBK_VECTORS_DIR;

struct line {
    char *field[8];
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
            if (l->n < 8)
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

/* Builds vector `name` from its inputs into m with the fixed parameters. */
static adbk_status build_vector(const char *name, struct membuf *m, struct adbk_error *err)
{
    static const uint8_t id[16] = {0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
                                   0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF};
    struct adbk_writer_options o = {.level = 3, .threads = 1, .chunk_size = 4096,
                                    .archive_id = id, .has_created = 1,
                                    .created_sec = 1700000000, .tool = "adbk vectors"};
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
        struct adbk_member_info mi = {
            .name = f[4], .source_path = f[5], .kind = adbk_kind_from_name(f[0]),
            .bft = (unsigned)strtoul(f[1], NULL, 10), .flags = ADBK_HAS_MODE | ADBK_HAS_MTIME,
            .mode = (uint32_t)strtoul(f[2], NULL, 8), .mtime_sec = strtoll(f[3], NULL, 10)};
        st = adbk_writer_begin_member(w, &mi, err);
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
    return st;
}

static void check_vector(const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.adbk", vectors_dir, name);
    struct adbk_reader *r;
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, adbk_reader_open(path, NULL, &r, &err), &err);
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

    /* The writer reproduces the vector byte for byte with the libzstd that
     * made it. */
    char zv[32] = "";
    snprintf(path, sizeof path, "%s/zstd-version", vectors_dir);
    FILE *f = fopen(path, "r");
    if (f) {
        if (fgets(zv, sizeof zv, f))
            zv[strcspn(zv, "\n")] = '\0';
        fclose(f);
    }
    if (strcmp(zv, ZSTD_versionString()) != 0) {
        fprintf(stderr, "note: vectors made with zstd %s, this is %s: byte comparison skipped\n",
                zv, ZSTD_versionString());
    } else {
        struct membuf m = {0};
        size_t len;
        snprintf(path, sizeof path, "%s/%s.adbk", vectors_dir, name);
        uint8_t *golden = slurp(path, &len);
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
}

TEST(v1_basic) { check_vector("v1-basic"); }
TEST(v1_empty) { check_vector("v1-empty"); }

static int write_vectors(const char *dir)
{
    vectors_dir = dir;
    static const char *const names[] = {"v1-basic", "v1-empty"};
    for (size_t i = 0; i < 2; i++) {
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
    if (argc == 3 && strcmp(argv[1], "--write") == 0)
        return write_vectors(argv[2]);
    return test_run(argc, argv);
}
