/*
 * adbk.h - the engine: what lies between the container (adbk_format.h) and
 * the programs. Files in and out: durable archive output, packing files and
 * folders, safe extraction. Like the container library it never prints and
 * never exits; progress and warnings reach the caller through callbacks.
 */
#ifndef ADBK_H
#define ADBK_H

#include "adbk_format.h"

#include <stdbool.h>

/* ------------------------------------------------------------ output file */

/* An archive being written to a file. Bytes go to a temporary file beside
 * the target ("NAME.XXXXXX.partial"); only adbk_outfile_commit gives them the
 * final name, after fsync, and then fsyncs the folder. So a crash, an error or
 * a signal never leaves a partial archive under the final name. With path
 * "-" the archive goes to standard output and commit only flushes. */
struct adbk_outfile;

/* Fails with ADBK_E_EXISTS when path exists and force is false, ADBK_E_IO
 * when the folder is not writable. Always release with adbk_outfile_abort,
 * which removes the temporary file unless the archive was committed. */
adbk_status adbk_outfile_open(const char *path, bool force, struct adbk_outfile **out,
                              struct adbk_error *err);
/* The sink to hand to adbk_writer_open; valid while the outfile lives. */
const struct adbk_sink *adbk_outfile_sink(struct adbk_outfile *f);
/* The temporary path being written, or NULL for standard output. For signal
 * handlers that must remove it: the string stays valid until free. */
const char *adbk_outfile_temp_path(const struct adbk_outfile *f);
bool adbk_outfile_is_pipe(const struct adbk_outfile *f);
/* Makes the archive durable under its final name: fsync, rename (refusing to
 * replace a file that appeared meanwhile unless force), fsync the folder. */
adbk_status adbk_outfile_commit(struct adbk_outfile *f, struct adbk_error *err);
/* Removes the temporary file (if not committed) and frees. NULL ok. */
void adbk_outfile_abort(struct adbk_outfile *f);

/* Writes "HEX  NAME\n" (the xxhsum -H2 line for the whole archive) to
 * path, durably, for `xxhsum -c`. */
adbk_status adbk_write_xxh128_sidecar(const char *path, const char *archive_name,
                                      const uint8_t digest[16], struct adbk_error *err);

/* ------------------------------------------------------------ packing files */

struct adbk_add_callbacks {
    /* A member begins: its archive name and size. May be NULL. */
    void (*member)(void *ctx, const char *name, uint64_t size);
    /* Content bytes read so far for the current member. May be NULL. */
    void (*progress)(void *ctx, uint64_t done);
    /* Something was skipped (symlink, socket, unreadable file) or changed
     * while being read; the message names it. May be NULL. */
    void (*warning)(void *ctx, const char *message);
    /* Polled between reads; nonzero stops with ADBK_E_INTERRUPTED. May be NULL. */
    int (*cancelled)(void *ctx);
    void *ctx;
};

/* Adds a file or a folder (recursively, names sorted) to w. Member names
 * start with the last component of path: "media/Active Directory/ntds.dit"
 * for path "/backups/media". Folders become directory members; symlinks and
 * special files are skipped with a warning; mode and mtime are stored.
 * Content is read straight into the writer's chunk buffers. */
adbk_status adbk_add_path(struct adbk_writer *w, const char *path,
                          const struct adbk_add_callbacks *cb, struct adbk_error *err);

/* ------------------------------------------------------------ extraction */

struct adbk_extract_options {
    const char *dir;           /* target folder; must exist */
    bool force;                /* replace existing files */
    const char *const *names;  /* members to extract (exact names or folder
                                * prefixes); NULL = all */
    size_t name_count;
    unsigned kind;             /* only this kind; 0 = all known kinds */
};

/* Whether opts select entry e (kind and names; the same rule extract uses). */
bool adbk_extract_selects(const struct adbk_extract_options *opts, const struct adbk_entry *e);

struct adbk_extract_callbacks {
    void (*member)(void *ctx, const struct adbk_entry *e);
    /* Content bytes written so far for the current member. */
    void (*progress)(void *ctx, uint64_t done);
    void (*warning)(void *ctx, const char *message);
    int (*cancelled)(void *ctx);
    void *ctx;
};

struct adbk_extract_result {
    uint64_t members, bytes, skipped, failed;
};

/* Extracts members of r below opts->dir. Walks every path with openat and
 * O_NOFOLLOW, so neither ".." nor a symlink already in the folder can lead
 * outside it; names that fail adbk_name_check are refused. Each file is
 * written under a temporary name and renamed only after its content checked
 * out (chunks and whole-content hash), then gets its mode and mtime. Goes on
 * after a failed member and returns the first failure; counts in *res. */
adbk_status adbk_extract(struct adbk_reader *r, const struct adbk_extract_options *opts,
                         const struct adbk_extract_callbacks *cb,
                         struct adbk_extract_result *res, struct adbk_error *err);

#endif
