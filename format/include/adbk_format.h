/*
 * adbk_format.h - the .adbk container: streaming writer, reader, verifier.
 *
 * The format is specified in format/FORMAT.md; this header is the only way in.
 * The library never prints and never exits: every function that can fail
 * returns an adbk_status and, when given a non-NULL `struct adbk_error *`,
 * fills it with a message that names the object (archive, member, chunk,
 * byte offset) and the cause.
 *
 * How to write an archive:
 *   1. adbk_writer_open(&sink, &options, &w, &err)      sink = where bytes go
 *   2. adbk_writer_set_property(w, "server", "DC01", &err)   (any time before 5)
 *   3. adbk_writer_begin_member(w, &info, &err)
 *   4. adbk_writer_write(w, buf, len, &err) as often as needed, or, to read
 *      straight into the chunk buffer without a copy, adbk_writer_reserve()
 *      then adbk_writer_commit(), or, for a regular file, have the workers
 *      read it: adbk_writer_read_from(w, adbk_fd_read_at, &fds, 0, size,
 *      &err); then adbk_writer_end_member(w, &err).
 *      Repeat 3-4 per member.
 *   5. adbk_writer_finish(w, &err)     index + seek table, then sink->finish
 *   6. adbk_writer_free(w)             always; frees a failed writer too
 *
 * How to read one:
 *   1. adbk_reader_open(path, &options, &r, &err)   reads only the file's tail
 *   2. adbk_reader_info(r), adbk_reader_count(r), adbk_reader_member(r, i)
 *   3. adbk_reader_read_member(r, i, out_fn, ctx, &err)  checked, in order
 *      or adbk_reader_verify(r, &report_fn, ctx, &err)   everything
 *   4. adbk_reader_close(r)
 *
 * Thread safety: a writer or reader handle is used by one thread at a time;
 * the library runs its own worker threads behind it. Different handles are
 * independent.
 */
#ifndef ADBK_FORMAT_H
#define ADBK_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ADBK_API marks each function of the library's interface, on a line of its
 * own before the declaration. The shared library (libadbk-format.so.1) is
 * built with -fvisibility=hidden, so these functions are its only exported
 * symbols; the module functions shared between its files stay inside. The
 * static library and the Windows build export nothing, and there it expands
 * to nothing that matters. A new public function needs it, or the shared
 * library will not export it (tests/install checks the two lists agree). */
#ifndef ADBK_API
#if defined(__GNUC__) && !defined(_WIN32)
#define ADBK_API __attribute__((visibility("default")))
#else
#define ADBK_API
#endif
#endif

/* Format versions this library writes (FORMAT.md 10): 1.2 for a plain
 * archive, signed or not, 2.0 for an encrypted one. It reads every 1.x and
 * 2.0 archive and refuses a newer major version with ADBK_E_VERSION. */
#define ADBK_FORMAT_MAJOR 1
#define ADBK_FORMAT_MINOR 2
#define ADBK_FORMAT_ENCRYPTED_MAJOR 2
#define ADBK_FORMAT_ENCRYPTED_MINOR 0

/* Status codes. Values are pinned: once released a value never changes. */
typedef enum adbk_status {
    ADBK_OK = 0,
    ADBK_E_NOMEM = 1,       /* an allocation failed */
    ADBK_E_IO = 2,          /* reading or writing a file or stream failed */
    ADBK_E_ARG = 3,         /* an argument is invalid (bad name, size, option) */
    ADBK_E_STATE = 4,       /* call made in the wrong state */
    ADBK_E_NOT_ADBK = 5,    /* the file is not an adbk archive */
    ADBK_E_VERSION = 6,     /* archive written by a newer, incompatible version */
    ADBK_E_CORRUPT = 7,     /* a structure is damaged or inconsistent */
    ADBK_E_CHECKSUM = 8,    /* a checksum does not match the data */
    ADBK_E_TRUNCATED = 9,   /* the file ends before the structure does */
    ADBK_E_LIMIT = 10,      /* a size or count beyond what this library accepts */
    ADBK_E_ZSTD = 11,       /* the compressor or decompressor failed */
    ADBK_E_NOT_FOUND = 12,  /* no member by that name */
    ADBK_E_ABORTED = 13,    /* a callback asked to stop */
    ADBK_E_UNSUPPORTED = 14,/* a member kind this version cannot handle */
    ADBK_E_EXISTS = 15,     /* the target exists and overwriting was not allowed */
    ADBK_E_UNSAFE = 16,     /* a member name would land outside the target */
    ADBK_E_SOURCE = 17,     /* the backup source (directory service) failed */
    ADBK_E_PRIVILEGE = 18,  /* a needed privilege is not held */
    ADBK_E_EXPIRED = 19,    /* the backup is older than the tombstone lifetime */
    ADBK_E_INTERRUPTED = 20,/* stopped by a signal */
    ADBK_E_OTHER_DC = 21,   /* the archive is of another domain controller */
    ADBK_E_KEY = 22,        /* encrypted, and no key given opens it */
    ADBK_E_AUTH = 23,       /* a sealed part or the header MAC does not authenticate */
    ADBK_E_SIGNATURE = 24   /* not signed by a trusted key, or its signature fails */
} adbk_status;

/* A short, constant description of a status ("checksum mismatch"). */
ADBK_API
const char *adbk_strerror(adbk_status st);
/* The status's own name ("ADBK_E_CHECKSUM"), for logs and test reports;
 * "unknown status" for a value outside the enum. */
ADBK_API
const char *adbk_status_name(adbk_status st);

/* Error detail. Functions that take one fill it on failure and leave it alone
 * on success; message names the object and the cause. */
struct adbk_error {
    adbk_status status;
    char message[640];
};

/* Fills err (when not NULL) with st and a printf-style message; returns st.
 * For the engine and front ends, so every error is built one way. */
ADBK_API
adbk_status adbk_error_set(struct adbk_error *err, adbk_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Member kinds (FORMAT.md, "Kinds"). The value is stored in the archive. */
typedef enum adbk_kind {
    ADBK_KIND_FILE = 1,         /* plain file */
    ADBK_KIND_DIRECTORY = 2,    /* folder, no content */
    ADBK_KIND_EXPIRY_TOKEN = 3, /* backup expiry token, stored byte-exact */
    ADBK_KIND_DATABASE = 4,     /* BFT_NTDS_DATABASE ('D', 0x44) */
    ADBK_KIND_LOG = 5,          /* BFT_LOG ('!', 0x21) */
    ADBK_KIND_PATCH = 6,        /* BFT_PATCH_FILE ('%', 0x25) */
    ADBK_KIND_CHECKPOINT = 7,   /* checkpoint file (edb.chk) */
    ADBK_KIND_UNKNOWN = 8       /* a BFT code this version does not know */
} adbk_kind;

/* "database", "log", ...; "kind-N" style names are the caller's business for
 * values this version does not know, for which this returns NULL. */
ADBK_API
const char *adbk_kind_name(unsigned kind);
/* Parses a kind name as printed by adbk_kind_name; 0 if unknown. */
ADBK_API
unsigned adbk_kind_from_name(const char *name);

#define ADBK_HAS_MTIME 0x1u
#define ADBK_HAS_MODE 0x2u
#define ADBK_HAS_EXPECTED_SIZE 0x4u
#define ADBK_HAS_OWNER 0x8u   /* uid, gid, user, group (format 1.1) */
#define ADBK_HAS_XATTRS 0x10u /* xattrs, xattr_count (format 1.1) */

/* An extended attribute (FORMAT.md 3.2): a name such as "security.NTACL"
 * (1..255 bytes) and a binary value of size bytes (at most 65,536). A
 * member's attributes are stored sorted by name, names unique, and take at
 * most 262,144 bytes in all (2 + per attribute 6 + name + value bytes). */
struct adbk_xattr {
    const char *name;
    const void *value;
    size_t size;
};

/* What the writer is told about a member when it begins. Strings and
 * attributes are copied (borrowed for the call only). */
struct adbk_member_info {
    const char *name;        /* archive name: UTF-8, '/'-separated, relative */
    const char *source_path; /* path as the source gave it; NULL = none */
    unsigned kind;           /* adbk_kind */
    unsigned bft;            /* raw BFT byte from the source list, 0 = none */
    unsigned flags;          /* ADBK_HAS_* */
    uint64_t expected_size;  /* with ADBK_HAS_EXPECTED_SIZE: what the source announced */
    int64_t mtime_sec;       /* with ADBK_HAS_MTIME: Unix seconds */
    uint32_t mtime_nsec;
    uint32_t mode;           /* with ADBK_HAS_MODE: POSIX permission bits */
    /* With ADBK_HAS_OWNER: the numbers a restore applies (neither may be
     * 4294967295, which chown reads as "unchanged") and the names they had
     * where the archive was made (at most 255 bytes each; NULL = ""). */
    uint32_t uid, gid;
    const char *user, *group;
    /* With ADBK_HAS_XATTRS: every extended attribute, in any order (the
     * writer sorts them; a name twice is refused). None is allowed: it
     * says that the member had none. */
    const struct adbk_xattr *xattrs;
    size_t xattr_count;
};

/* A member as the index describes it. Valid until adbk_reader_close. */
struct adbk_entry {
    const char *name;
    const char *source_path; /* "" when none was stored */
    unsigned kind;
    unsigned bft;
    unsigned flags;          /* ADBK_HAS_MTIME | ADBK_HAS_MODE | ADBK_HAS_OWNER |
                              * ADBK_HAS_XATTRS */
    uint64_t size;           /* content bytes */
    int64_t mtime_sec;
    uint32_t mtime_nsec;
    uint32_t mode;
    uint64_t first_frame;    /* seek-table index of the member record */
    uint64_t offset;         /* byte offset of the member record */
    uint64_t chunk_count;
    uint64_t span;           /* bytes from the member record to the end record, inclusive */
    uint8_t xxh128[16];      /* XXH3-128 of the content, canonical (big-endian) bytes */
    uint64_t span_xxh64;     /* XXH3-64 of the span bytes */
    /* With ADBK_HAS_OWNER, else 0, 0, "" and "". */
    uint32_t uid, gid;
    const char *user, *group;
    /* With ADBK_HAS_XATTRS, sorted by name (byte order); else NULL and 0.
     * Names are NUL-terminated; values are binary. */
    const struct adbk_xattr *xattrs;
    size_t xattr_count;
};

/* ---------------------------------------------------------------- keys */

/* Encryption (FORMAT.md 13) is to age's X25519 keys, in age's text forms, so
 * keys made by age-keygen work: a recipient (public key) "age1...", an
 * identity (secret key) "AGE-SECRET-KEY-1...". Signatures (FORMAT.md 12) are
 * Ed25519, in adbk's text forms, Bech32 like age's: a public key
 * "adbk-sign1...", a secret one "ADBK-SIGN-SECRET-KEY-1...". Key files hold
 * one key per line; empty lines and lines starting with '#' are skipped (the
 * form age-keygen writes). Structs holding secrets are wiped by their users
 * with adbk_wipe. */
#define ADBK_KEY_TEXT 96u   /* any key's text form, with its NUL */

struct adbk_recipient {
    uint8_t key[32];        /* X25519 public key */
};
struct adbk_age_identity {
    uint8_t secret[32];     /* X25519 secret key */
    uint8_t public_key[32]; /* its public key: made by the parse and read functions,
                             * which are the way to get an identity */
};
struct adbk_sign_key {
    uint8_t secret[64];     /* Ed25519 secret key as libsodium keeps it */
    uint8_t public_key[32];
};
struct adbk_sign_public {
    uint8_t key[32];        /* Ed25519 public key */
};

/* Parse one key's text (surrounding white space ignored). ADBK_E_ARG names
 * what is wrong (not that kind of key, a Bech32 checksum, a length), never
 * the secret itself. */
ADBK_API
adbk_status adbk_recipient_parse(const char *text, struct adbk_recipient *out,
                                 struct adbk_error *err);
ADBK_API
adbk_status adbk_age_identity_parse(const char *text, struct adbk_age_identity *out,
                                struct adbk_error *err);
ADBK_API
adbk_status adbk_sign_key_parse(const char *text, struct adbk_sign_key *out,
                                struct adbk_error *err);
ADBK_API
adbk_status adbk_sign_public_parse(const char *text, struct adbk_sign_public *out,
                                   struct adbk_error *err);

/* Text forms (out holds ADBK_KEY_TEXT bytes). */
ADBK_API
void adbk_recipient_text(const struct adbk_recipient *r, char *out);
ADBK_API
void adbk_age_identity_text(const struct adbk_age_identity *id, char *out);
ADBK_API
void adbk_sign_public_text(const struct adbk_sign_public *p, char *out);
ADBK_API
void adbk_sign_key_text(const struct adbk_sign_key *k, char *out);
/* The public half of an identity or a signing key. */
ADBK_API
void adbk_age_identity_recipient(const struct adbk_age_identity *id, struct adbk_recipient *out);
ADBK_API
void adbk_sign_key_public(const struct adbk_sign_key *k, struct adbk_sign_public *out);

/* A new signing key pair. ADBK_E_IO when libsodium cannot start. */
ADBK_API
adbk_status adbk_sign_keygen(struct adbk_sign_key *out, struct adbk_error *err);

/* Every key of a key file's text (what names the file in messages): *out is
 * malloc'd (free it with adbk_keys_free(*out, *n, sizeof **out), which wipes
 * it), *n its count. A line
 * that is not a key of that kind fails naming the file and the line number.
 * A file with no key is ADBK_E_ARG. */
ADBK_API
adbk_status adbk_recipients_read(const char *text, const char *what,
                                 struct adbk_recipient **out, size_t *n,
                                 struct adbk_error *err);
ADBK_API
adbk_status adbk_age_identities_read(const char *text, const char *what,
                                 struct adbk_age_identity **out, size_t *n, struct adbk_error *err);
/* The one signing key of a key file. */
ADBK_API
adbk_status adbk_sign_key_read(const char *text, const char *what, struct adbk_sign_key *out,
                               struct adbk_error *err);
ADBK_API
void adbk_keys_free(void *keys, size_t count, size_t elem_size);

/* Wipes n bytes at p (a secret) so that the compiler cannot skip it. */
ADBK_API
void adbk_wipe(void *p, size_t n);

/* ---------------------------------------------------------------- sinks */

/* Where a writer puts its bytes. The writer only ever appends (never seeks),
 * so a pipe works. write() must take all len bytes or fail; both return 0 or
 * an errno value. finish (may be NULL) is called once by adbk_writer_finish
 * after the last byte: flush, fsync. name is used in messages. */
struct adbk_sink {
    int (*write)(void *ctx, const void *buf, size_t len);
    int (*finish)(void *ctx);
    void *ctx;
    const char *name;
};

/* A sink over an open file descriptor (borrowed; not closed). finish fsyncs
 * when fd is a regular file. sink->ctx points into *fds, which must outlive it. */
struct adbk_fd_sink {
    int fd;
};
ADBK_API
void adbk_sink_fd(struct adbk_sink *sink, struct adbk_fd_sink *fds, int fd, const char *name);
/* The adbk_content_at_fn of a file: pwrite of all len bytes at offset to
 * the fd of the struct adbk_fd_sink ctx points to; safe from several threads
 * at once. */
ADBK_API
int adbk_fd_write_at(void *ctx, uint64_t offset, const void *buf, size_t len);

/* ---------------------------------------------------------------- writer */

#define ADBK_CHUNK_DEFAULT (4u << 20)   /* 4 MiB */
#define ADBK_CHUNK_MIN (4u << 10)       /* 4 KiB */
#define ADBK_CHUNK_MAX (128u << 20)     /* 128 MiB: stock zstd decodes it */
#define ADBK_WINDOW_MAX (128u << 20)    /* largest Window_Size of a chunk frame (3.3) */

struct adbk_writer_options {
    int level;               /* zstd level 1..19; 0 = 3 */
    unsigned threads;        /* compression threads; 0 = number of cores */
    /* Nonzero: compress in the calling thread and start none (threads is
     * then ignored). For short-lived writers (tests, fuzzing): one worker
     * thread, the default at threads = 1, lets reading and hashing overlap
     * compression, which made 'adbk create -T 1' about 10% faster. */
    int in_caller;
    uint32_t chunk_size;     /* uncompressed bytes per chunk; 0 = ADBK_CHUNK_DEFAULT */
    const uint8_t *archive_id; /* 16 bytes, copied; NULL = random */
    int has_created;         /* nonzero: use created_sec instead of now */
    int64_t created_sec;     /* Unix seconds, UTC */
    const char *tool;        /* tool name and version; NULL = "adbk <version>" */
    /* Encrypt to these public keys (FORMAT.md 13; format 2.0): copied. None:
     * a plain archive. */
    const struct adbk_recipient *recipients;
    size_t recipient_count;
    /* Sign with this key (FORMAT.md 12); NULL: unsigned. Copied. */
    const struct adbk_sign_key *sign_key;
};

struct adbk_writer;

/* Starts an archive: writes the header record through sink (borrowed: must
 * outlive the writer). options may be NULL for defaults. On success *w_out
 * must be released with adbk_writer_free.
 * Returns ADBK_OK, ADBK_E_ARG (bad level, chunk size), ADBK_E_NOMEM, ADBK_E_IO. */
ADBK_API
adbk_status adbk_writer_open(const struct adbk_sink *sink,
                             const struct adbk_writer_options *options,
                             struct adbk_writer **w_out, struct adbk_error *err);

/* Adds a key/value to the archive's source description (FORMAT.md,
 * "Properties"). Key: 1..64 of [a-z0-9._-]; value: UTF-8, up to 4096 bytes.
 * Setting a key again replaces it. Copied. */
ADBK_API
adbk_status adbk_writer_set_property(struct adbk_writer *w, const char *key,
                                     const char *value, struct adbk_error *err);

/* Begins a member. Fails with ADBK_E_ARG for an invalid or duplicate name,
 * ADBK_E_STATE if a member is already open or the writer failed before. */
ADBK_API
adbk_status adbk_writer_begin_member(struct adbk_writer *w,
                                     const struct adbk_member_info *info,
                                     struct adbk_error *err);

/* Appends content to the open member; buf is copied. */
ADBK_API
adbk_status adbk_writer_write(struct adbk_writer *w, const void *buf, size_t len,
                              struct adbk_error *err);

/* Zero-copy path: *buf_out and *cap_out receive free space (cap >= 1) in the
 * current chunk. Fill up to cap bytes, then adbk_writer_commit(w, n) with
 * n <= cap. The space is valid until the next call on w. */
ADBK_API
adbk_status adbk_writer_reserve(struct adbk_writer *w, void **buf_out, size_t *cap_out,
                                struct adbk_error *err);
ADBK_API
adbk_status adbk_writer_commit(struct adbk_writer *w, size_t n, struct adbk_error *err);

/* Reads up to len bytes at offset of a file into buf, from any thread, with
 * several calls at once: 0 and *got (fewer than len only at the file's
 * end), or an errno value. */
typedef int (*adbk_read_at_fn)(void *ctx, uint64_t offset, void *buf, size_t len,
                               size_t *got);

/* The adbk_read_at_fn of a file: pread until len bytes or the end; ctx
 * points to the file's struct adbk_fd_sink (its fd). */
ADBK_API
int adbk_fd_read_at(void *ctx, uint64_t offset, void *buf, size_t len, size_t *got);

/* Adds the len bytes at offset of a file (read_at, ctx) to the open member,
 * as adbk_writer_write would, but each whole chunk is read by the worker
 * that compresses it, so reading scales with the threads as compression
 * does. Bytes that do not make a whole chunk are read here, on the
 * caller's thread. For a regular file whose size is known; a source that
 * must be read in order goes through adbk_writer_reserve/commit.
 * A read that comes back short (the file shrank since its size was taken)
 * ends the member there: the bytes read are its content, and what was added
 * to it after them, here or later, is left out (the member-end record and
 * the index say the size it has). More may follow (a file that grew). A
 * read error fails the archive, naming the member and the cause. The file
 * and ctx must stay valid until adbk_writer_end_member returns, which waits
 * for the workers' reads (even when the writer has failed), or until the
 * writer is freed. */
ADBK_API
adbk_status adbk_writer_read_from(struct adbk_writer *w, adbk_read_at_fn read_at, void *ctx,
                                  uint64_t offset, uint64_t len, struct adbk_error *err);

/* Ends the open member: flushes its last chunk and writes its end record. */
ADBK_API
adbk_status adbk_writer_end_member(struct adbk_writer *w, struct adbk_error *err);

/* Writes the index and the seek table, then calls sink->finish. */
ADBK_API
adbk_status adbk_writer_finish(struct adbk_writer *w, struct adbk_error *err);

struct adbk_writer_stats {
    uint64_t members;
    uint64_t bytes_in;       /* content bytes accepted */
    uint64_t bytes_out;      /* archive bytes handed to the sink */
    uint64_t frames;
    uint8_t file_xxh128[16]; /* after finish: XXH3-128 of every archive byte */
};
ADBK_API
void adbk_writer_get_stats(const struct adbk_writer *w, struct adbk_writer_stats *out);

/* Stops the workers and frees everything; the sink is not finished. NULL ok. */
ADBK_API
void adbk_writer_free(struct adbk_writer *w);

/* ---------------------------------------------------------------- reader */

/* Random-access input. read_at returns 0 and fills exactly len bytes, or an
 * errno value (EIO for a short read). size is the whole input's length. */
struct adbk_source {
    int (*read_at)(void *ctx, uint64_t offset, void *buf, size_t len);
    void *ctx;
    uint64_t size;
    const char *name;
    /* Optional (NULL: cannot tell): sets *data to the first offset >=
     * offset that may hold a non-zero byte (size when none does), as
     * SEEK_DATA finds the end of a hole in a sparse file; 0 on success,
     * else an errno value (then the bytes are read). Salvage crosses long
     * runs of zeros between frames with it, without reading them. */
    int (*next_data)(void *ctx, uint64_t offset, uint64_t *data);
};

/* A source over a regular file, read with pread, with next_data from the
 * file system where it has SEEK_DATA. ADBK_E_IO names the file and the
 * cause (missing, not a regular file), ADBK_E_NOMEM. Close with
 * adbk_source_close, which accepts NULL. */
ADBK_API
adbk_status adbk_source_open_file(const char *path, struct adbk_source **out,
                                  struct adbk_error *err);
ADBK_API
void adbk_source_close(struct adbk_source *src);

struct adbk_reader_options {
    unsigned threads;        /* decompression threads; 0 = number of cores */
    uint64_t memory;         /* bytes of chunk buffers at most; 0 = ADBK_READ_MEMORY */
    /* Secret keys to open an encrypted archive with (borrowed for the open:
     * the reader keeps only the archive's own keys). None: an encrypted
     * archive opens locked, its clear parts only (FORMAT.md 13.7). */
    const struct adbk_age_identity *identities;
    size_t identity_count;
    /* Signers to trust (FORMAT.md 12): with any, open refuses an archive not
     * signed by one of them (ADBK_E_SIGNATURE), and every member read is
     * checked against its signed Span_Digest. Copied. */
    const struct adbk_sign_public *trusted;
    size_t trusted_count;
};

/* A reader decodes up to 2 x threads chunks at once, each in a buffer of the
 * archive's chunk size, but never more buffers than fit in its memory bound
 * (default 256 MiB: 32 chunks of the default 4 MiB with their frames, or one
 * or two of the largest, 128 MiB), and never fewer than one: an archive of large chunks is read with
 * fewer chunks in flight, not more memory. When even a buffer that fits the
 * bound cannot be allocated (an address-space limit), it goes on with the
 * buffers it has; only when not one chunk fits does it fail (ADBK_E_NOMEM,
 * naming the chunk size). */
#define ADBK_READ_MEMORY (256ull << 20)

struct adbk_property {
    const char *key;
    const char *value;
};

struct adbk_archive_info {
    unsigned format_major, format_minor;
    uint8_t archive_id[16];
    int64_t created_sec;
    const char *tool;
    uint32_t chunk_size;
    uint64_t file_size;
    uint64_t frame_count;    /* frames in the seek table */
    uint64_t index_offset;
    size_t property_count;
    const struct adbk_property *properties;
    /* Encryption and signature (FORMAT.md 12, 13). */
    int encrypted;           /* format 2.0 */
    int locked;              /* encrypted and not opened: only clear parts are known;
                              * entries have names "#N", kind 0, no properties */
    int64_t not_after;       /* encrypted: when the backup can no longer be restored,
                              * Unix seconds; 0 unknown */
    size_t recipient_count;  /* encrypted: stanzas in the key record */
    int is_signed;           /* Header_Flags bit 1 */
    int signature_ok;        /* signed, and the signature and Prefix_Digest check out */
    int trusted;             /* signature_ok by a key of the reader options' trusted */
    uint8_t signer[32];      /* the signer's public key, when signed */
};

struct adbk_reader;

/* Opens an archive by path, reading only its tail (footer, last seek-table
 * entry, index) and its header record. Returns ADBK_E_IO, ADBK_E_NOT_ADBK,
 * ADBK_E_VERSION, ADBK_E_TRUNCATED, ADBK_E_CORRUPT, ADBK_E_CHECKSUM,
 * ADBK_E_LIMIT, ADBK_E_NOMEM. Close with adbk_reader_close. */
ADBK_API
adbk_status adbk_reader_open(const char *path, const struct adbk_reader_options *options,
                             struct adbk_reader **r_out, struct adbk_error *err);
/* Same over a caller's source (borrowed: must outlive the reader). */
ADBK_API
adbk_status adbk_reader_open_source(const struct adbk_source *src,
                                    const struct adbk_reader_options *options,
                                    struct adbk_reader **r_out, struct adbk_error *err);

ADBK_API
const struct adbk_archive_info *adbk_reader_info(const struct adbk_reader *r);
ADBK_API
size_t adbk_reader_count(const struct adbk_reader *r);
ADBK_API
const struct adbk_entry *adbk_reader_member(const struct adbk_reader *r, size_t i);
/* Index of the member called name, or -1. */
ADBK_API
long adbk_reader_find(const struct adbk_reader *r, const char *name);
/* Value of a property, or NULL. */
ADBK_API
const char *adbk_reader_property(const struct adbk_reader *r, const char *key);

/* Receives a member's content in order, piece by piece. Return 0 to go on,
 * an errno value to stop (reported as ADBK_E_IO naming the member), or -1 to
 * stop with ADBK_E_ABORTED. A piece is valid only during the call. */
typedef int (*adbk_content_fn)(void *ctx, const void *buf, size_t len);

/* Reads member i: only its own frames, decompressed in parallel, every chunk
 * checked (zstd checksum, seek-table entry), then the whole content's XXH3-128
 * and the span hash against the index. out may be NULL (check only).
 * Content already delivered before a failure was good chunk by chunk, but the
 * member as a whole is only good when this returns ADBK_OK. */
ADBK_API
adbk_status adbk_reader_read_member(struct adbk_reader *r, size_t i, adbk_content_fn out,
                                    void *ctx, struct adbk_error *err);

/* Writes len bytes of a member's content at offset. Called from several
 * threads at once, each with its own range; return 0, or an errno value to
 * stop (reported as ADBK_E_IO naming the member). */
typedef int (*adbk_content_at_fn)(void *ctx, uint64_t offset, const void *buf, size_t len);

/* Reads member i into a file, written in parallel: each chunk's content goes
 * to write_at (with write_ctx) from the thread that decompressed it, at its
 * offset in the member, in any order. Every check of adbk_reader_read_member is made, but
 * chunks are decompressed without zstd's Content_Checksum, which the
 * member's content hash covers (FORMAT.md 8, note on item 3); a member that
 * fails is read again with every checksum checked, to name the damaged
 * chunk. So what was written is good only when this returns ADBK_OK: write
 * under a temporary name and rename afterwards. done (may be NULL) is
 * called with done_ctx on the caller's thread, in order, with each piece
 * once written (for progress; it returns as an adbk_content_fn does). For a
 * file: write_at = adbk_fd_write_at, write_ctx = its struct adbk_fd_sink. */
ADBK_API
adbk_status adbk_reader_write_member(struct adbk_reader *r, size_t i, adbk_content_at_fn write_at,
                                     void *write_ctx, adbk_content_fn done, void *done_ctx,
                                     struct adbk_error *err);

/* One finding of verify. offset is the archive byte offset of the damaged
 * frame (or structure); member is -1 when the damage is outside any member;
 * chunk is -1 when not about one chunk. */
struct adbk_damage {
    adbk_status status;
    long member;
    const char *member_name;  /* NULL when member is -1 */
    int64_t chunk;
    uint64_t offset;
    const char *message;      /* valid during the callback */
};

struct adbk_verify_callbacks {
    /* Called once per finding; may be NULL. */
    void (*damage)(void *ctx, const struct adbk_damage *d);
    /* Progress: archive bytes checked so far of total. May be NULL. Return
     * nonzero to stop (verify then returns ADBK_E_ABORTED). */
    int (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *ctx;
};

struct adbk_verify_result {
    uint64_t frames_checked;
    uint64_t bytes_checked;   /* archive bytes read */
    uint64_t content_bytes;   /* decompressed bytes checked */
    uint64_t damaged;         /* findings reported */
};

/* Checks everything FORMAT.md promises: every frame against the seek table,
 * every record checksum, every chunk (zstd content checksum, sizes), every
 * member's content hash, size, chunk count and span hash against the index,
 * the header against the index, and the seek table byte for byte. Goes on
 * after damage to report all of it. Returns ADBK_OK when intact, the first
 * damage's status otherwise (ADBK_E_CHECKSUM, ADBK_E_CORRUPT, ...), or
 * ADBK_E_IO / ADBK_E_NOMEM / ADBK_E_ABORTED when it could not finish. */
ADBK_API
adbk_status adbk_reader_verify(struct adbk_reader *r, const struct adbk_verify_callbacks *cb,
                               struct adbk_verify_result *result_out, struct adbk_error *err);

/* The quick check (FORMAT.md 8, "The quick check"): that the file holds
 * exactly the bytes its writer wrote, without decompressing (or decrypting)
 * anything. Every record checksum, every chunk frame's header, size and
 * checksum field against the seek table and section 3.3, every member's
 * Span_Hash over its stored bytes (and its signed Span_Digest when signed),
 * and the seek table against the frames. It does not prove that the chunks
 * decompress to the members' content (adbk_reader_verify does): a copy that
 * passes holds what was written; whether what was written was right is the
 * full verify's question. A member whose span fails is decoded to name the
 * damaged chunk. content_bytes is 0 in the result. Statuses as
 * adbk_reader_verify's. */
ADBK_API
adbk_status adbk_reader_verify_quick(struct adbk_reader *r,
                                     const struct adbk_verify_callbacks *cb,
                                     struct adbk_verify_result *result_out,
                                     struct adbk_error *err);

/* Sequential input: reads up to len bytes into buf and sets *got (0 at the
 * end of the input); returns 0, or an errno value. */
typedef int (*adbk_read_fn)(void *ctx, void *buf, size_t len, size_t *got);

/* adbk_reader_verify over a stream read once from its first byte to its
 * last (a pipe: `rclone cat remote:a.adbk | adbk-verify -`), which cannot
 * seek to the tail first. Every frame is checked as it passes (record
 * checksums, chunks decompressed with their checksums, sizes and content
 * hashes, spans, Span_Digests); what the index and the seek table say is
 * compared with what passed once they arrive, last. The same findings as
 * adbk_reader_verify, in file order; a stream that ends early is
 * ADBK_E_TRUNCATED damage. Memory: the chunk buffers of a reader with these
 * options, the index and seek table, and a small record per member (never
 * the archive). name names the stream in messages (NULL: "stdin").
 * progress gets total 0 (unknown). With tail_out, *tail_out gets a reader
 * of the archive's tail (its index, properties and info; reading members
 * through it fails), or NULL when the tail could not be opened; close it
 * with adbk_reader_close. Statuses as adbk_reader_verify's, and those of
 * adbk_reader_open when the archive's start is refused. */
ADBK_API
adbk_status adbk_verify_stream(adbk_read_fn read, void *ctx, const char *name,
                               const struct adbk_reader_options *options,
                               const struct adbk_verify_callbacks *cb,
                               struct adbk_verify_result *result_out,
                               struct adbk_reader **tail_out, struct adbk_error *err);

ADBK_API
void adbk_reader_close(struct adbk_reader *r);

/* ---------------------------------------------------------------- utils */

/* Checks an archive member name (FORMAT.md, "Names"): non-empty UTF-8, at
 * most 4095 bytes, '/'-separated, no empty, "." or ".." component, no leading
 * '/', no backslash, no control characters. Returns ADBK_OK or ADBK_E_UNSAFE
 * with the reason in err. */
ADBK_API
adbk_status adbk_name_check(const char *name, struct adbk_error *err);

/* Length of the valid UTF-8 sequence at s (1 for ASCII), or 0 when none
 * starts there (a stray or missing continuation byte, an overlong form, a
 * surrogate, a code point above U+10FFFF). */
ADBK_API
size_t adbk_utf8_seq(const char *s);

/* Escaping (FORMAT.md 1, "Escaped"): the bytes of the sequence at s (non-NUL)
 * that may be shown as they are, or 0 when its first byte is to be shown as
 * \xHH: a control character (C0, DEL, or C1 U+0080..U+009F) or a byte that
 * starts no valid UTF-8 sequence. */
ADBK_API
size_t adbk_escape_len(const char *s);

/* Hex form of an XXH3-128 digest as xxhsum prints it (32 chars + NUL). */
ADBK_API
void adbk_hex128(const uint8_t digest[16], char out[33]);

/* Number of online CPUs, at least 1. */
ADBK_API
unsigned adbk_cpu_count(void);

/* ---------------------------------------------------------------- salvage */

/* Salvage (FORMAT.md section 11): rebuilds a valid archive from a damaged
 * or cut one by walking its frames from the start, without trusting the
 * index or the seek table. Every chunk frame is decompressed and checked
 * against its own zstd checksum; only intact chunks are kept. A member whose
 * content is complete and matches its content hash keeps its name; any other
 * member's intact byte ranges become members of their own named
 * "lost+found/NAME.bytes-FIRST-LAST" (byte offsets in the original content,
 * inclusive), and nothing is ever filled in. */

/* Length of a lost range whose end is unknown (the file was cut inside the
 * member, or its size record is lost). */
#define ADBK_SALVAGE_TO_END UINT64_MAX
/* Offset of a recovered piece whose place in the member could not be
 * established (it is stored as "lost+found/NAME.unplaced-at-archive-byte-N"). */
#define ADBK_SALVAGE_UNPLACED UINT64_MAX

/* Content bytes offset .. offset+length-1 of a member. */
struct adbk_salvage_range {
    uint64_t offset;
    uint64_t length;         /* ADBK_SALVAGE_TO_END: up to the unknown end */
};

/* A recovered run of intact chunks. */
struct adbk_salvage_piece {
    uint64_t offset;         /* in the member's content, or ADBK_SALVAGE_UNPLACED */
    uint64_t length;         /* content bytes */
    uint64_t archive_offset; /* first byte of its first chunk frame in the damaged archive */
    const char *output_name; /* its name in the repaired archive */
};

/* What salvage found of one member, in archive order. Pointers are valid
 * during the callback only. */
struct adbk_salvage_member {
    int64_t number;          /* member number, -1 when no record tells it */
    const char *name;        /* original name; NULL when both its record and the index are lost */
    unsigned kind;           /* original kind, 0 when unknown */
    uint64_t archive_offset; /* where it starts in the damaged archive */
    int complete;            /* nonzero: stored whole under output_name */
    const char *output_name; /* complete members: the name in the repaired archive */
    int size_known;
    uint64_t size;           /* content bytes, when size_known */
    uint64_t recovered_bytes;
    const struct adbk_salvage_piece *pieces; /* incomplete members only */
    size_t piece_count;
    const struct adbk_salvage_range *lost;   /* incomplete members only */
    size_t lost_count;
    const char *note;        /* why it is incomplete or renamed; NULL when complete */
};

struct adbk_salvage_callbacks {
    /* One archive byte range that could not be used (damage, cut end);
     * length 0 for an intact structure that was not used (a second index,
     * a malformed record body). May be NULL. */
    void (*damage)(void *ctx, uint64_t offset, uint64_t length, const char *message);
    /* Once per member found, in archive order, after the repaired archive is
     * written (or after the scan when there is no sink). May be NULL. */
    void (*member)(void *ctx, const struct adbk_salvage_member *m);
    /* Archive bytes scanned so far of total; nonzero stops (ADBK_E_ABORTED). */
    int (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *ctx;
};

struct adbk_salvage_options {
    int level;               /* zstd level of the repaired archive; 0 = 3 */
    unsigned threads;        /* compression threads; 0 = number of cores */
    int in_caller;           /* nonzero: compress in the caller (adbk_writer_options) */
    /* An encrypted archive (FORMAT.md 13.7) is salvaged with a recipient's
     * secret key: what is intact is opened, and the repaired archive is
     * sealed anew under the same File_Key, for the same recipients, with a
     * new Archive_Id. Without a key that opens it, salvage of an encrypted
     * archive fails with ADBK_E_KEY, a dry run (sink NULL) included: it
     * reports nothing of the archive's structure (adbk_reader_verify checks
     * the clear parts without a key). Ignored for a plain archive. Borrowed. */
    const struct adbk_age_identity *identities;
    size_t identity_count;
    /* Sign the repaired archive (it cannot keep the original signature), plain
     * or encrypted; NULL: unsigned. Borrowed. */
    const struct adbk_sign_key *sign_key;
};

struct adbk_salvage_result {
    uint64_t members;        /* members found */
    uint64_t complete;       /* stored whole under their own names */
    uint64_t incomplete;     /* stored as lost+found pieces (or not at all) */
    uint64_t pieces;         /* lost+found members written */
    uint64_t chunks_recovered, chunks_lost;
    uint64_t bytes_recovered;   /* content bytes kept */
    uint64_t bytes_lost;        /* content bytes lost, where the length is known */
    int lost_unknown_end;       /* some member lost a tail of unknown length */
    uint64_t damaged_bytes;     /* archive bytes that could not be used */
    int header_ok, index_ok, seek_table_ok;
    uint32_t chunk_size;        /* as the header gave it, or inferred from the chunks */
    uint64_t gap_bytes_read;    /* bytes read while searching for the next frame */
    uint64_t hole_bytes_skipped; /* bytes of such gaps passed over unread (next_data) */
    int encrypted;              /* format 2.0: repaired as an encrypted archive */
};

/* Scans src from its first byte and writes the repaired archive through sink
 * (which is then finished; see adbk_writer_finish). With sink NULL only
 * scans and reports. Memory stays bounded by a few chunk buffers plus a small
 * record per member and per damaged range; no size read from the file is
 * trusted beyond the file's own size. The properties of the index are kept
 * when the index is intact, and "salvage.result" and "salvage.from" are
 * added. Returns ADBK_OK when the repaired archive was written (check
 * res->incomplete for losses); ADBK_E_NOT_ADBK when not one intact adbk
 * record was found; ADBK_E_KEY for an encrypted archive when no identity is
 * given, none opens its key record, or that record (or the Archive_Id its
 * keys derive from: the header's, else an intact index's) is lost;
 * ADBK_E_IO, ADBK_E_NOMEM, ADBK_E_ABORTED, or the writer's status. A sealed
 * part that does not authenticate is damage, reported like any other. res
 * (may be NULL) is filled as far as salvage got. */
ADBK_API
adbk_status adbk_salvage(const struct adbk_source *src, const struct adbk_sink *sink,
                         const struct adbk_salvage_options *options,
                         const struct adbk_salvage_callbacks *cb,
                         struct adbk_salvage_result *res, struct adbk_error *err);

#ifdef __cplusplus
}
#endif
#endif
