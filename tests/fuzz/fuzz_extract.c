/*
 * fuzz_extract.c - adbk_extract of a repaired copy of the input into a fresh
 * folder per input, then a check that nothing was created outside it.
 *
 * Layout, made once per process under $TMPDIR (or /tmp):
 *     adbk-fuzz-XXXXXX/          the scratch root: must hold only "a"
 *         a/                     must hold only "t"
 *             t/                 the target folder, emptied after each input
 * so a member that escaped by one or two levels ("../x", "../../x") shows up
 * as an extra entry in a/ or in the root. Absolute names would escape further;
 * they are refused by the same name check, which fuzz_open_list exercises.
 * Extraction also must never leave a symlink or a file of another type, and
 * never a file whose name the name check refuses. It applies owners and
 * extended attributes as well (an attribute the file system refuses is a
 * member's failure, not a finding).
 */
#include "adbk.h"
#include "fuzz_common.h"
#include "../rmtree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[4096], mid[4200], target[4300];

static void remove_root(void)
{
    rmdir(target); /* there only when the last input stopped the run */
    rmdir(mid);
    rmdir(root);
}

static void make_root(void)
{
    if (root[0])
        return;
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/adbk-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    FUZZ_ASSERT(mkdtemp(root) != NULL);
    snprintf(mid, sizeof mid, "%s/a", root);
    snprintf(target, sizeof target, "%s/t", mid);
    FUZZ_ASSERT(mkdir(mid, 0700) == 0);
    atexit(remove_root);
}

/* The folder holds exactly one entry, called only. */
static void holds_only(const char *dir, const char *only)
{
    DIR *d = opendir(dir);
    FUZZ_ASSERT(d != NULL);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (strcmp(de->d_name, only) != 0)
            fprintf(stderr, "fuzz_extract: %s/%s was created outside the target\n", dir,
                    de->d_name);
        FUZZ_ASSERT(strcmp(de->d_name, only) == 0);
        n++;
    }
    closedir(d);
    FUZZ_ASSERT(n == 1);
}

/* Extraction makes only files and folders. */
static bool file_or_folder(const struct stat *st)
{
    FUZZ_ASSERT(S_ISREG(st->st_mode) || S_ISDIR(st->st_mode));
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    make_root();
    uint8_t *copy;
    struct fuzz_buf b;
    struct adbk_source src;
    struct adbk_reader *r = NULL;
    if (fuzz_open(data, size, 1, &copy, &b, &src, &r) == ADBK_OK) {
        FUZZ_ASSERT(mkdir(target, 0700) == 0);
        /* Owners and attributes too (format 1.1), as extract --owner --xattrs
         * applies them: through the descriptor, inside the target only. */
        struct adbk_extract_options o = {.dir = target, .owner = true, .xattrs = true};
        struct adbk_extract_result res;
        struct adbk_error err = {0};
        adbk_status st = adbk_extract(r, &o, NULL, &res, &err);
        if (adbk_reader_info(r)->locked) {
            /* Encrypted, no key: refused whole, nothing extracted. */
            FUZZ_ASSERT(st == ADBK_E_KEY && res.members == 0);
            fuzz_check_error(st, &err);
        } else if (st != ADBK_OK) {
            fuzz_check_error(st, &err);
            FUZZ_ASSERT(res.failed > 0);
        } else {
            FUZZ_ASSERT(res.failed == 0);
        }
        FUZZ_ASSERT(res.members + res.failed + res.skipped <= adbk_reader_count(r));
        adbk_reader_close(r);
        holds_only(root, "a");
        holds_only(mid, "t");
        FUZZ_ASSERT(chmod(target, 0700) == 0);
        FUZZ_ASSERT(rmtree(target, file_or_folder) == 0);
    }
    free(copy);
    return 0;
}
